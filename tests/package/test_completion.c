/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_completion.c - the bash completion (data/bash-completion/rgs-enroll)
 * as bash runs it: bash-completion's helpers loaded, the line split into
 * words as readline does (complete.sh), the real rgs-enroll on the PATH and
 * a real order store made by it. Checked:
 *   - commands and subcommands at every level (order, aed, pin, f2f);
 *   - options of each command, the global ones after the command too, and
 *     none taken from a sentence of --help ("then rgs-enroll check --delivered");
 *   - values: the stable codes that the order library and the token layer
 *     accept, each of them and nothing else (checked against the libraries);
 *   - order and AED ids read from the store given with --db, before or
 *     after the command.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "rgs_test.h"
#include "rgs_order.h"
#include "rgs_p11.h"

#define BASH_COMPLETION "/usr/share/bash-completion/bash_completion"

typedef struct {
  char *dir;
  char db[600];
} fixture;

static fixture fx;

/* What the completion offers for line (cursor at its end), one a line. */
static char *complete(const char *line)
{
  char path_env[1400], sh[700], comp[700], *bin_dir, *out;
  const char *argv[] = { "/bin/bash", "--norc", "--noprofile", sh, comp, line, NULL };
  const char *env[] = { path_env, "LC_ALL=C.UTF-8", NULL };
  rgs_run_result r;

  bin_dir = strdup(rgs_env("RGS_ENROLL_BIN"));
  assert_non_null(bin_dir);
  *strrchr(bin_dir, '/') = '\0';
  snprintf(path_env, sizeof(path_env), "PATH=%s:/usr/bin:/bin", bin_dir);
  free(bin_dir);
  snprintf(sh, sizeof(sh), "%s/tests/package/complete.sh", rgs_env("RGS_SOURCE_DIR"));
  snprintf(comp, sizeof(comp), "%s/data/bash-completion/rgs-enroll", rgs_env("RGS_SOURCE_DIR"));
  assert_int_equal(rgs_run(argv, env, NULL, &r), 0);
  if (r.status != 0 || r.err[0] != '\0')
    fail_msg("completing '%s': exit %d\n%s", line, r.status, r.err);
  out = strdup(r.out);
  rgs_run_free(&r);
  return out;
}

/* Is word a whole line of list? */
static int has_line(const char *list, const char *word)
{
  size_t n = strlen(word);
  const char *p = list;

  while ((p = strstr(p, word)) != NULL) {
    if ((p == list || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
      return 1;
    p += n;
  }
  return 0;
}

static size_t count_lines(const char *list)
{
  size_t n = 0;

  for (; *list != '\0'; list++)
    n += *list == '\n';
  return n;
}

/* line completes to exactly the words of want (space separated), in any order. */
static void expect_set(const char *line, const char *want)
{
  char *got = complete(line), *copy = strdup(want), *save = NULL, *w;
  size_t n = 0;

  for (w = strtok_r(copy, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save), n++)
    if (!has_line(got, w))
      fail_msg("'%s' does not offer %s; it offers:\n%s", line, w, got);
  if (count_lines(got) != n)
    fail_msg("'%s' offers %zu words, not %zu:\n%s", line, count_lines(got), n, got);
  free(copy);
  free(got);
}

static void expect_has(const char *line, const char *word, int want)
{
  char *got = complete(line);

  if (has_line(got, word) != want)
    fail_msg("'%s' %s %s; it offers:\n%s", line, want ? "does not offer" : "offers", word, got);
  free(got);
}

static int setup(void **state)
{
  rgs_run_result r;
  char csv[700];

  (void)state;
  fx.dir = rgs_tmpdir();
  snprintf(fx.db, sizeof(fx.db), "%s/orders.db", fx.dir);
  snprintf(csv, sizeof(csv), "%s/offices.csv", fx.dir);
  assert_int_equal(rgs_write_file(csv, "id,name,address,postal_code,city,department\n"
                                       "durand-avignon,SCP Durand,1 rue X,84000,AVIGNON,84\n"), 0);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(rgs_enroll(&r, NULL, NULL, "--db", fx.db, "order", "new", "--partner", "cma",
                                "--holder-first-name", "Jean", "--holder-last-name", "Dupont",
                                "--email", "j@example.fr", "--company", "BS AUTO", "--siren",
                                "732829320", "--payment", "virement", "--accept-cgu", NULL), 0);
    rgs_assert_status(&r, RGS_EXIT_OK);
    rgs_run_free(&r);
  }
  assert_int_equal(rgs_enroll(&r, NULL, NULL, "--db", fx.db, "aed", "import", csv, NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  rgs_rmrf(fx.dir);
  free(fx.dir);
  return 0;
}

static void test_commands_every_level(void **state)
{
  (void)state;
  expect_set("rgs-enroll wat", "watch");
  expect_set("rgs-enroll --module x.so sta", "start status");
  expect_set("rgs-enroll order ", "new set show list cancel link docs export import qr check-qr");
  expect_set("rgs-enroll aed ", "list quote book import");
  expect_set("rgs-enroll pin ", "change unblock");
  expect_set("rgs-enroll f2f ", "run import verify print");
  expect_set("rgs-enroll --db x.db order s", "set show");
  expect_set("rgs-enroll --json f2f --db x.db v", "verify");
  /* A command without subcommands: no command after it. */
  expect_set("rgs-enroll check ", "");
}

static void test_options(void **state)
{
  (void)state;
  expect_set("rgs-enroll order new --pa", "--partner --payment");
  expect_set("rgs-enroll watch --on", "--once");
  expect_set("rgs-enroll --mod", "--module");
  expect_set("rgs-enroll pin change --new", "--new-pin-file --new-pin-fd");
  expect_set("rgs-enroll aed list --", "--dept --postal-code --module --token --db --json "
                                      "--pin-file --pin-fd --policy --aed-trust --final-try "
                                      "--progress-fd");
  /* Global options after the command, options of the subcommand. */
  expect_has("rgs-enroll order set 1 --", "--status", 1);
  expect_has("rgs-enroll order set 1 --", "--db", 1);
  expect_has("rgs-enroll start --", "--order", 1);
  expect_has("rgs-enroll start --", "--pin-file", 1);
  expect_has("rgs-enroll start --", "--subject", 1);
  /* Not from a sentence of the help. */
  expect_has("rgs-enroll submit --", "--delivered", 0);
  expect_has("rgs-enroll watch --", "--delivered", 0);
  expect_has("rgs-enroll install --", "--est", 0);
  expect_has("rgs-enroll check --", "--delivered", 1);
}

static void test_fixed_values(void **state)
{
  (void)state;
  expect_set("rgs-enroll order new --partner ", "CMA");
  expect_set("rgs-enroll order new --payment ", "carte virement cheque");
  expect_set("rgs-enroll order new --os ", "windows macos other");
  expect_set("rgs-enroll order new --holder ", "self other");
  expect_set("rgs-enroll order new --validity ", "1 2 3");
  expect_set("rgs-enroll aed quote --mode ", "holder-travels aed-travels");
  expect_set("rgs-enroll order docs 1 --set ",
             "request-form intervention-form id-document registration-extract");
  expect_set("rgs-enroll order docs 1 --set id-document --state ", "missing ready sent accepted");
  expect_set("rgs-enroll f2f run 1 --id-document ", "id-card passport");
  expect_set("rgs-enroll order list --status d", "draft documents-sent");
  expect_set("rgs-enroll keygen --key-type ", "rsa:2048 rsa:3072 rsa:4096 ec:p256 ec:p384 ec:p521");
  /* After a colon, bash replaces the part after it. */
  expect_set("rgs-enroll keygen --key-type rsa:3", "3072");
  expect_set("rgs-enroll start --key-type ec:p", "p256 p384 p521");
}

/* Every value offered for opt is accepted by parse, and the names of
 * [0, count) are all offered. */
static void check_against(const char *opt, int (*accepts)(const char *),
                          const char *(*name)(int), int count)
{
  char line[200], *got, *p, *nl;
  int i;

  snprintf(line, sizeof(line), "rgs-enroll order new %s ", opt);
  got = complete(line);
  assert_true(got[0] != '\0');
  for (p = got; *p != '\0'; p = nl + 1) {
    nl = strchr(p, '\n');
    assert_non_null(nl);
    *nl = '\0';
    if (!accepts(p))
      fail_msg("%s offers '%s', which the program refuses", opt, p);
    *nl = '\n';
  }
  for (i = 0; i < count; i++)
    if (!has_line(got, name(i)))
      fail_msg("%s does not offer '%s'", opt, name(i));
  free(got);
}

static int status_ok(const char *t)
{
  rgs_order_status s;
  char err[512];

  return rgs_order_status_parse(t, &s, err, sizeof(err)) == RGS_ORDER_OK;
}
static const char *status_name(int i) { return rgs_order_status_name((rgs_order_status)i); }

static int kind_ok(const char *t)
{
  rgs_order_doc_kind k;
  char err[512];

  return rgs_order_doc_kind_parse(t, &k, err, sizeof(err)) == RGS_ORDER_OK;
}
static const char *kind_name(int i) { return rgs_order_doc_kind_name((rgs_order_doc_kind)i); }

static int state_ok(const char *t)
{
  rgs_order_doc_state s;
  char err[512];

  return rgs_order_doc_state_parse(t, &s, err, sizeof(err)) == RGS_ORDER_OK;
}
static const char *state_name(int i) { return rgs_order_doc_state_name((rgs_order_doc_state)i); }

static int payment_ok(const char *t)
{
  rgs_order_payment p;
  char err[512];

  return rgs_order_payment_parse(t, &p, err, sizeof(err)) == RGS_ORDER_OK;
}
/* RGS_PAY_NONE is no choice: names from RGS_PAY_CARTE on. */
static const char *payment_name(int i) { return rgs_order_payment_name((rgs_order_payment)(i + 1)); }

static int os_ok(const char *t)
{
  rgs_order_os o;
  char err[512];

  return rgs_order_os_parse(t, &o, err, sizeof(err)) == RGS_ORDER_OK;
}
static const char *os_name(int i) { return rgs_order_os_name((rgs_order_os)i); }

static int mode_ok(const char *t)
{
  rgs_order_f2f_mode m;
  char err[512];

  return rgs_order_mode_parse(t, &m, err, sizeof(err)) == RGS_ORDER_OK;
}
static const char *mode_name(int i) { return rgs_order_mode_name((rgs_order_f2f_mode)i); }

static int partner_ok(const char *t)
{
  char code[32], err[512];

  return rgs_order_partner_parse(t, code, sizeof(code), err, sizeof(err)) == RGS_ORDER_OK;
}
static const char *partner_name(int i) { (void)i; return "CMA"; }

static int key_type_ok(const char *t)
{
  rgs_p11_keyspec spec;

  return rgs_p11_keyspec_parse(t, &spec) == RGS_P11_OK;
}

/* The key types that the token layer accepts, out of every plausible one. */
static const char *const key_candidates[] = {
  "rsa:1024", "rsa:1536", "rsa:2048", "rsa:3072", "rsa:4096", "rsa:6144", "rsa:8192",
  "ec:p192", "ec:p224", "ec:p256", "ec:p384", "ec:p521", "ec:frp256v1", "ec:secp256k1",
  "ec:brainpoolp256r1", "ec:ed25519", "ed25519", "ec:prime256v1",
};
static const char *key_name(int i)
{
  int seen = -1;
  size_t k;

  for (k = 0; k < sizeof(key_candidates) / sizeof(key_candidates[0]); k++)
    if (key_type_ok(key_candidates[k]) && ++seen == i)
      return key_candidates[k];
  return "?";
}
static int key_count(void)
{
  int n = 0;
  size_t k;

  for (k = 0; k < sizeof(key_candidates) / sizeof(key_candidates[0]); k++)
    n += key_type_ok(key_candidates[k]);
  return n;
}

static void test_values_are_the_programs(void **state)
{
  (void)state;
  check_against("--status", status_ok, status_name, RGS_STATUS_COUNT);
  check_against("--set", kind_ok, kind_name, RGS_DOC_COUNT);
  check_against("--state", state_ok, state_name, RGS_DOC_ACCEPTED + 1);
  check_against("--payment", payment_ok, payment_name, RGS_PAY_CHEQUE);
  check_against("--os", os_ok, os_name, RGS_OS_OTHER + 1);
  check_against("--mode", mode_ok, mode_name, RGS_F2F_AED_TRAVELS + 1);
  check_against("--partner", partner_ok, partner_name, 1);
  assert_true(key_count() >= 3);
  check_against("--key-type", key_type_ok, key_name, key_count());
}

static void test_ids_from_the_store(void **state)
{
  char line[900];

  (void)state;
  snprintf(line, sizeof(line), "rgs-enroll --db %s order show ", fx.db);
  expect_set(line, "1 2 3");
  snprintf(line, sizeof(line), "rgs-enroll order set --db %s ", fx.db);
  expect_set(line, "1 2 3");
  snprintf(line, sizeof(line), "rgs-enroll --db %s status ", fx.db);
  expect_set(line, "1 2 3");
  snprintf(line, sizeof(line), "rgs-enroll --db %s start --order ", fx.db);
  expect_set(line, "1 2 3");
  /* Only the first argument is an order. */
  snprintf(line, sizeof(line), "rgs-enroll --db %s order show 2 ", fx.db);
  expect_set(line, "");
  /* The shipped directory and the office imported into this store. */
  snprintf(line, sizeof(line), "rgs-enroll --db %s aed book 1 --aed ", fx.db);
  expect_has(line, "durand-avignon", 1);
  expect_has(line, "synergie-marseille", 1);
  snprintf(line, sizeof(line), "rgs-enroll --db %s aed book 1 --aed syn", fx.db);
  expect_set(line, "synergie-marseille synergie-la-ciotat");
  snprintf(line, sizeof(line), "rgs-enroll aed book 1 --db %s --aed dur", fx.db);
  expect_set(line, "durand-avignon");
  /* An empty store: no id, nothing created. */
  snprintf(line, sizeof(line), "rgs-enroll --db %s/none.db order show ", fx.dir);
  expect_set(line, "");
  snprintf(line, sizeof(line), "%s/none.db", fx.dir);
  assert_int_not_equal(access(line, F_OK), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_commands_every_level),
    cmocka_unit_test(test_options),
    cmocka_unit_test(test_fixed_values),
    cmocka_unit_test(test_values_are_the_programs),
    cmocka_unit_test(test_ids_from_the_store),
  };

  if (access(BASH_COMPLETION, R_OK) != 0 || access("/bin/bash", X_OK) != 0) {
    print_message("bash or bash-completion missing (Debian: bash-completion)\n");
    return 77;
  }
  return cmocka_run_group_tests(tests, setup, teardown);
}
