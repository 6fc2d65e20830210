/* SPDX-License-Identifier: BSD-3-Clause */
/* test_json_contract.c - the --json contract (issue 14): every command and
 * subcommand run with --json on a SoftHSM token and a store, successes and
 * failures, each document validated against doc/json/v1/<command>.schema.json
 * by python3-jsonschema (validate.py); and every command that
 * 'rgs-enroll --help' lists has its schema.
 *
 * The cases are data (cases.txt): one command line a line, its expected
 * exit status first. Set RGS_JSON_KEEP=1 to keep the documents. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rgs_test.h"

#define MAX_ARGS 48

typedef struct {
  rgs_softhsm hsm;
  char *dir;
  char db[512];
  char policy[512];
  char schemas[512];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  if (f == NULL || rgs_softhsm_init(&f->hsm, "holder") != 0)
    return -1;
  f->dir = rgs_tmpdir();
  snprintf(f->db, sizeof(f->db), "%s/orders.db", f->dir);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->schemas, sizeof(f->schemas), "%s/doc/json/v1", rgs_env("RGS_SOURCE_DIR"));
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  if (getenv("RGS_JSON_KEEP") == NULL)
    rgs_rmrf(f->dir);
  else
    fprintf(stderr, "documents kept in %s\n", f->dir);
  free(f->dir);
  rgs_softhsm_cleanup(&f->hsm);
  free(f);
  return 0;
}

/* @NAME@ in a case's word replaced by the fixture's value. */
static void expand(const fixture *f, const char *word, char *out, size_t len)
{
  static const char *names[] = { "@DB@", "@MODULE@", "@POLICY@", "@PIN@", "@BADPIN@",
                                 "@TMP@", "@SRC@", "@SP@" };
  const char *values[sizeof(names) / sizeof(names[0])];
  size_t o = 0, i;

  values[0] = f->db;
  values[1] = rgs_env("SOFTHSM2_MODULE");
  values[2] = f->policy;
  values[3] = f->hsm.pin_file;
  values[4] = f->hsm.bad_pin_file;
  values[5] = f->dir;
  values[6] = rgs_env("RGS_SOURCE_DIR");
  values[7] = " ";
  while (*word != '\0' && o + 1 < len) {
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
      if (strncmp(word, names[i], strlen(names[i])) == 0)
        break;
    if (i < sizeof(names) / sizeof(names[0])) {
      o += (size_t)snprintf(out + o, len - o, "%s", values[i]);
      word += strlen(names[i]);
    } else {
      out[o++] = *word++;
    }
  }
  out[o < len ? o : len - 1] = '\0';
}

/* Runs one case line: "STATUS SCHEMA ARGS..."; writes the document to
 * DIR/doc-N.json and a manifest line "doc-N.json SCHEMA line". */
static void run_case(const fixture *f, char *line, int lineno, FILE *manifest)
{
  static char words[MAX_ARGS][1024];
  const char *args[MAX_ARGS + 2];
  char path[640], *tok, *save = NULL;
  int status, n = 0;
  const char *schema;
  rgs_run_result r;

  if (line[0] == '!') {   /* a shell step that prepares a file */
    char cmd[4096];
    const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

    expand(f, line + 1, cmd, sizeof(cmd));
    assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
    rgs_assert_status(&r, 0);
    rgs_run_free(&r);
    return;
  }
  tok = strtok_r(line, " \t\n", &save);
  if (tok == NULL || tok[0] == '#')
    return;
  status = atoi(tok);
  schema = strtok_r(NULL, " \t\n", &save);
  assert_non_null(schema);
  args[n++] = "--json";
  while ((tok = strtok_r(NULL, " \t\n", &save)) != NULL && n < MAX_ARGS) {
    expand(f, tok, words[n], sizeof(words[n]));
    args[n] = words[n];
    n++;
  }
  args[n] = NULL;
  assert_int_equal(rgs_enroll_v(&r, NULL, NULL, args), 0);
  if (r.status != status)
    print_error("cases.txt:%d: exit %d, expected %d\n--- stdout\n%s\n--- stderr\n%s\n",
                lineno, r.status, status, r.out, r.err);
  /* RGS_JSON_EXPLORE: go on, to see every document at once. */
  if (getenv("RGS_JSON_EXPLORE") == NULL)
    assert_int_equal(r.status, status);
  snprintf(path, sizeof(path), "%s/doc-%d.json", f->dir, lineno);
  assert_int_equal(rgs_write_file(path, r.out), 0);
  fprintf(manifest, "doc-%d.json %s %d %d\n", lineno, schema, lineno, status);
  rgs_run_free(&r);
}

static void run_validator(const char *const *argv)
{
  rgs_run_result r;

  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  if (r.status != 0)
    print_error("--- validator stdout\n%s\n--- stderr\n%s\n", r.out, r.err);
  assert_int_equal(r.status, 0);
  rgs_run_free(&r);
}

static void test_every_document_valid(void **state)
{
  fixture *f = *state;
  char cases[512], mpath[600], line[4096];
  FILE *in, *manifest;
  int lineno = 0;

  snprintf(cases, sizeof(cases), "%s/cases.txt", rgs_env("RGS_JSON_DIR"));
  snprintf(mpath, sizeof(mpath), "%s/manifest", f->dir);
  in = fopen(cases, "r");
  assert_non_null(in);
  manifest = fopen(mpath, "w");
  assert_non_null(manifest);
  while (fgets(line, sizeof(line), in) != NULL)
    run_case(f, line, ++lineno, manifest);
  fclose(in);
  fclose(manifest);
  {
    char script[600];
    const char *argv[] = { rgs_env("RGS_PYTHON3"), script, "documents", f->schemas,
                           f->dir, mpath, NULL };

    snprintf(script, sizeof(script), "%s/validate.py", rgs_env("RGS_JSON_DIR"));
    run_validator(argv);
  }
}

/* Every command of the top-level help has its schema, and the schemas are
 * schemas that require something (validate.py schemas). */
static void test_every_command_has_schema(void **state)
{
  fixture *f = *state;
  char script[600], list[600];
  const char *argv[] = { rgs_env("RGS_PYTHON3"), script, "schemas", f->schemas, list, NULL };
  rgs_run_result r;

  assert_int_equal(rgs_enroll(&r, NULL, NULL, "--help", NULL), 0);
  rgs_assert_status(&r, 0);
  snprintf(list, sizeof(list), "%s/help.txt", f->dir);
  assert_int_equal(rgs_write_file(list, r.out), 0);
  rgs_run_free(&r);
  snprintf(script, sizeof(script), "%s/validate.py", rgs_env("RGS_JSON_DIR"));
  run_validator(argv);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_every_command_has_schema),
    cmocka_unit_test(test_every_document_valid),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
