/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_order_rerun.c - start --order run again, run twice at once, or
 * killed just after the key pair was made, on a real SoftHSM2 token with
 * the real rgs-enroll: the order ends with exactly one key on the token.
 *
 * The runs that must be caught at a precise point go through the fault
 * module (RGS_FAULT_KEYGEN_PAUSE): it stops inside C_GenerateKeyPair (or
 * just after the first half of the pair got its final CKA_ID) and says so
 * on a FIFO; the test waits for that line (an event), then lets the run go
 * on (a byte on FIFO.go) or kills it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "rgs_test.h"

typedef struct {
  rgs_softhsm hsm;
  char db[600];
  char policy[600];
  char csr[600];
  char fifo[600];
  char now_env[64];
  const char *env[4];
  pid_t child;              /* a paused run, killed by teardown if still there */
  char child_out[600], child_err[600];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  if (f == NULL || rgs_softhsm_init(&f->hsm, "rgs-rerun") != 0)
    return -1;
  snprintf(f->db, sizeof(f->db), "%s/orders.db", f->hsm.dir);
  snprintf(f->csr, sizeof(f->csr), "%s/request.csr", f->hsm.dir);
  snprintf(f->fifo, sizeof(f->fifo), "%s/pause", f->hsm.dir);
  snprintf(f->child_out, sizeof(f->child_out), "%s/child.out", f->hsm.dir);
  snprintf(f->child_err, sizeof(f->child_err), "%s/child.err", f->hsm.dir);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->now_env, sizeof(f->now_env), "RGS_ENROLL_NOW=%s", "2026-11-24");
  f->env[0] = f->now_env;
  f->env[1] = "LC_ALL=C.UTF-8";
  f->env[2] = NULL;
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  if (f->child > 0) {
    kill(f->child, SIGKILL);
    waitpid(f->child, NULL, 0);
  }
  rgs_softhsm_cleanup(&f->hsm);
  free(f);
  return 0;
}

/* The arguments of a run: global options, then the command line given. */
static size_t build_args(fixture *f, const char **args, size_t cap, const char *module,
                         va_list ap)
{
  size_t n = 0;
  const char *a;

  args[n++] = "--db";
  args[n++] = f->db;
  args[n++] = "--module";
  args[n++] = module;
  args[n++] = "--pin-file";
  args[n++] = f->hsm.pin_file;
  args[n++] = "--policy";
  args[n++] = f->policy;
  while ((a = va_arg(ap, const char *)) != NULL && n < cap - 1)
    args[n++] = a;
  args[n] = NULL;
  return n;
}

/* rgs-enroll on SoftHSM2 directly, to the end. */
static void run(fixture *f, rgs_run_result *r, ...)
{
  const char *args[48];
  va_list ap;

  va_start(ap, r);
  build_args(f, args, 48, rgs_env("SOFTHSM2_MODULE"), ap);
  va_end(ap);
  assert_int_equal(rgs_enroll_v(r, f->env, NULL, args), 0);
}

/* rgs-enroll through the fault module, paused in its first
 * C_GenerateKeyPair (`when`: before or after the real call); does not
 * wait. Output goes to files. */
static void start_paused(fixture *f, const char *when, ...)
{
  const char *args[48], *argv[50];
  char real[700], pause_env[64], fifo_env[700];
  va_list ap;
  size_t i, n;
  pid_t pid;

  va_start(ap, when);
  n = build_args(f, args, 48, rgs_env("RGS_FAULT_MODULE"), ap);
  va_end(ap);
  argv[0] = rgs_env("RGS_ENROLL_BIN");
  for (i = 0; i <= n; i++)
    argv[i + 1] = args[i];
  snprintf(real, sizeof(real), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  snprintf(pause_env, sizeof(pause_env), "RGS_FAULT_KEYGEN_PAUSE=%s", when);
  snprintf(fifo_env, sizeof(fifo_env), "RGS_FAULT_PAUSE_FIFO=%s", f->fifo);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    int out = open(f->child_out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(f->child_err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
      _exit(127);
    setsid();
    putenv(f->now_env);
    putenv((char *)"LC_ALL=C.UTF-8");
    putenv(real);
    putenv(pause_env);
    putenv(fifo_env);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  f->child = pid;
}

/* Wait for the paused run to say it is paused in fn (the fault module
 * writes one line to the FIFO). Fails the test if the run ends first. */
static void wait_paused_in(fixture *f, const char *fn, const char *when)
{
  char line[128], want[64];
  size_t len = 0;
  int fd = open(f->fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  int status, waited = 0;
  ssize_t n;

  assert_true(fd >= 0);
  /* A guard against a run that died: the event is the line, the bound only
   * keeps a broken build from hanging the suite. */
  while (len == 0 || line[len - 1] != '\n') {
    struct pollfd p = { fd, POLLIN, 0 };

    if (waitpid(f->child, &status, WNOHANG) == f->child) {
      char *err = rgs_read_file(f->child_err, NULL);
      f->child = 0;
      fail_msg("the run ended (status 0x%x) before pausing:\n%s", status, err ? err : "");
    }
    if (poll(&p, 1, 100) > 0) {
      n = read(fd, line + len, sizeof(line) - 1 - len);
      if (n > 0)
        len += (size_t)n;
    }
    assert_true(++waited < 1200 && len < sizeof(line) - 1);
  }
  line[len] = '\0';
  close(fd);
  snprintf(want, sizeof(want), "paused %s %s %ld\n", fn, when, (long)f->child);
  assert_string_equal(line, want);
}

static void wait_paused(fixture *f, const char *when)
{
  wait_paused_in(f, "C_GenerateKeyPair", when);
}

/* Kill the paused run as kill -9 would, and reap it. */
static void kill_paused(fixture *f)
{
  int status;

  assert_int_equal(kill(f->child, SIGKILL), 0);
  assert_int_equal(waitpid(f->child, &status, 0), f->child);
  f->child = 0;
  assert_true(WIFSIGNALED(status));
}

/* Let the paused run go on and wait for its end; its exit status. */
static int resume_and_wait(fixture *f)
{
  char go[700];
  int fd, status = 0;

  snprintf(go, sizeof(go), "%s.go", f->fifo);
  fd = open(go, O_WRONLY | O_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "g", 1), 1);
  close(fd);
  assert_int_equal(waitpid(f->child, &status, 0), f->child);
  f->child = 0;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void make_fifos(fixture *f)
{
  char go[700];

  snprintf(go, sizeof(go), "%s.go", f->fifo);
  assert_int_equal(mkfifo(f->fifo, 0600), 0);
  assert_int_equal(mkfifo(go, 0600), 0);
}

static void new_order(fixture *f)
{
  rgs_run_result r;

  run(f, &r, "order", "new", "--partner", "CMA", "--validity", "3", "--holder-first-name",
      "Frédéric", "--holder-last-name", "Senez", "--email", "f.senez@example.fr", "--company",
      "BS AUTO", "--siren", "732829320", "--payment", "virement", "--accept-cgu", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
}

static char *get(const char *doc, const char *path)
{
  char *v = rgs_json_get(doc, path);

  if (v == NULL)
    fail_msg("%s absent in:\n%s", path, doc);
  return v;
}

/* Key objects of a type ("privkey", "pubkey") on the token labelled label
 * (NULL: the first one), counted with pkcs11-tool. */
static int keys_on(const char *label, const char *type)
{
  const char *argv[16] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"), "--login",
                           "--pin", RGS_TEST_PIN, "--list-objects", "--type", type, NULL };
  const char *what = strcmp(type, "privkey") == 0 ? "Private Key Object" : "Public Key Object";
  rgs_run_result r;
  const char *p;
  int n = 0;

  if (label != NULL) {
    argv[9] = "--token-label";
    argv[10] = label;
    argv[11] = NULL;
  }
  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  rgs_assert_status(&r, 0);
  for (p = r.out; (p = strstr(p, what)) != NULL; p++)
    n++;
  rgs_run_free(&r);
  return n;
}

/* Private keys on the token. */
static int private_keys(void)
{
  return keys_on(NULL, "privkey");
}

/* Public-key objects too: a leftover half must not stay either. */
static int public_keys(void)
{
  return keys_on(NULL, "pubkey");
}

/* How many times needle occurs in hay. */
static int count_of(const char *hay, const char *needle)
{
  const char *p;
  int n = 0;

  for (p = hay; (p = strstr(p, needle)) != NULL; p++)
    n++;
  return n;
}

/* stdout of a --json run holds exactly one document. */
static void assert_one_document(const rgs_run_result *r)
{
  if (count_of(r->out, "\"command\"") != 1)
    fail_msg("expected one JSON document, got:\n--- stdout\n%s\n--- stderr\n%s", r->out, r->err);
}

/* SHA-256 of the request's public key, as the binding records it. */
static char *bound_spki(fixture *f)
{
  rgs_run_result r;
  char *v;

  run(f, &r, "--json", "order", "show", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = get(r.out, "binding.spki_sha256");
  rgs_run_free(&r);
  return v;
}

/* (a) A second start --order on the same order and token uses the order's
 * key again: one key on the token, the same public key in both requests. */
static void test_rerun_reuses_the_key(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *spki1, *spki2, *bound, *v;

  new_order(f);
  run(f, &r, "--json", "start", "--order", "1", "--out", f->csr, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  spki1 = get(r.out, "csr.spki_sha256");
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 1);

  run(f, &r, "--json", "start", "--order", "1", "--out", f->csr, "--force", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_int_equal(private_keys(), 1);
  spki2 = get(r.out, "csr.spki_sha256");
  assert_string_equal(spki1, spki2);
  v = get(r.out, "key.origin");
  assert_string_equal(v, "reused");
  free(v);
  rgs_run_free(&r);
  assert_int_equal(public_keys(), 1);
  bound = bound_spki(f);
  assert_string_equal(bound, spki1);
  free(bound);

  /* text mode says so in words */
  run(f, &r, "start", "--order", "1", "--out", f->csr, "--force", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "already has its key pair on this token");
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 1);
  free(spki1);
  free(spki2);
}

/* The order's key is gone from the token: refused, with the way to start
 * over; --new-key then makes a new one. With the key on the token,
 * --new-key removes the old one only when confirmed (--yes here). */
static void test_rerun_key_gone_or_new_key(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *spki1, *spki2, *bound, *key_id;

  new_order(f);
  run(f, &r, "--json", "start", "--order", "1", "--out", f->csr, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  spki1 = get(r.out, "csr.spki_sha256");
  rgs_run_free(&r);

  /* --new-key without a confirmation and without a terminal: nothing done,
   * and a usage error (the command line lacks --yes), not "a check said no" */
  run(f, &r, "start", "--order", "1", "--out", f->csr, "--force", "--new-key", NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  assert_contains(r.err, "--yes");
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 1);

  run(f, &r, "--json", "start", "--order", "1", "--out", f->csr, "--force", "--new-key", "--yes",
      NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  spki2 = get(r.out, "csr.spki_sha256");
  key_id = get(r.out, "key.id");
  rgs_run_free(&r);
  assert_string_not_equal(spki1, spki2);
  assert_int_equal(private_keys(), 1);
  assert_int_equal(public_keys(), 1);
  bound = bound_spki(f);
  assert_string_equal(bound, spki2);
  free(bound);

  /* the key removed behind our back: refused, nothing made */
  {
    const char *argv[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"), "--login",
                           "--pin", RGS_TEST_PIN, "--delete-object", "--type", "privkey",
                           "--id", key_id, NULL };
    rgs_run_result d;
    assert_int_equal(rgs_run(argv, NULL, NULL, &d), 0);
    rgs_assert_status(&d, 0);
    rgs_run_free(&d);
  }
  assert_int_equal(private_keys(), 0);
  run(f, &r, "start", "--order", "1", "--out", f->csr, "--force", NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_contains(r.err, "is not on this token");
  assert_contains(r.err, "--new-key");
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 0);
  run(f, &r, "start", "--order", "1", "--out", f->csr, "--force", "--new-key", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 1);
  free(key_id);
  free(spki1);
  free(spki2);
}

/* (b) Two runs at once on the same order: the second one, started while
 * the first is inside C_GenerateKeyPair, refuses and names the first. */
static void test_concurrent_runs_make_one_key(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char want[128], *out, *spki, *bound;
  pid_t first;

  new_order(f);
  make_fifos(f);
  start_paused(f, "before", "--json", "start", "--order", "1", "--out", f->csr, NULL);
  first = f->child;
  wait_paused(f, "before");

  {
    char csr2[700];
    snprintf(csr2, sizeof(csr2), "%s/second.csr", f->hsm.dir);
    run(f, &r, "start", "--order", "1", "--out", csr2, NULL);
  }
  snprintf(want, sizeof(want), "another rgs-enroll is preparing order 1 (pid %ld)", (long)first);
  assert_contains(r.err, want);
  rgs_assert_status(&r, RGS_EXIT_STORE);
  rgs_run_free(&r);

  assert_int_equal(resume_and_wait(f), 0);
  out = rgs_read_file(f->child_out, NULL);
  assert_non_null(out);
  spki = get(out, "csr.spki_sha256");
  free(out);
  assert_int_equal(private_keys(), 1);
  bound = bound_spki(f);
  assert_string_equal(bound, spki);
  free(bound);
  free(spki);
}

/* (c) kill -9 just after C_GenerateKeyPair, before the key was bound: the
 * next run finds the key that run left and uses it. */
static void test_killed_run_leftover_is_reused(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *spki, *bound, *v;

  new_order(f);
  make_fifos(f);
  start_paused(f, "after", "start", "--order", "1", "--out", f->csr, NULL);
  wait_paused(f, "after");
  kill_paused(f);
  assert_int_equal(private_keys(), 1);      /* the leftover */

  run(f, &r, "--json", "start", "--order", "1", "--out", f->csr, "--force", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_int_equal(private_keys(), 1);
  v = get(r.out, "key.origin");
  assert_string_equal(v, "recovered");
  free(v);
  spki = get(r.out, "csr.spki_sha256");
  rgs_run_free(&r);
  assert_int_equal(public_keys(), 1);
  bound = bound_spki(f);
  assert_string_equal(bound, spki);
  free(bound);
  free(spki);

  /* and once bound, a further run reuses it as any bound key */
  run(f, &r, "start", "--order", "1", "--out", f->csr, "--force", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 1);
}

/* Issue 9 item 6, review 1: --key-type other than the order's bound key is
 * refused once: one JSON document (the error), exit 1, nothing made. */
static void test_key_type_mismatch_reported_once(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *v;

  new_order(f);
  run(f, &r, "--json", "start", "--order", "1", "--out", f->csr, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = get(r.out, "key.type");
  assert_string_equal(v, "rsa");
  free(v);
  rgs_run_free(&r);

  run(f, &r, "--json", "start", "--order", "1", "--out", f->csr, "--force", "--key-type",
      "ec:p256", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_one_document(&r);
  v = get(r.out, "ok");
  assert_string_equal(v, "false");
  free(v);
  assert_contains(r.err, "--new-key");
  assert_int_equal(count_of(r.err, "ec:p256"), 1);
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 1);
}

/* A leftover of another type than --key-type asks: removed, a new key made,
 * and the run reports one success, not an error then a success. */
static void test_leftover_of_other_type_replaced(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *v;

  new_order(f);
  make_fifos(f);
  start_paused(f, "after", "start", "--order", "1", "--out", f->csr, NULL);
  wait_paused(f, "after");
  kill_paused(f);
  assert_int_equal(private_keys(), 1);

  run(f, &r, "--json", "start", "--order", "1", "--out", f->csr, "--force", "--key-type",
      "ec:p256", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_one_document(&r);
  v = get(r.out, "key.origin");
  assert_string_equal(v, "generated");
  free(v);
  v = get(r.out, "key.type");
  assert_string_equal(v, "ec");
  free(v);
  assert_contains(r.err, "was removed");
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 1);
  assert_int_equal(public_keys(), 1);
}

/* Review 7: a leftover that fails RGS** (RSA 2048 when the certificate
 * would outlive 2030) is removed; the success document describes the new
 * key only, no criterion of the removed one. */
static void test_failing_leftover_not_in_report(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *v;

  new_order(f);
  make_fifos(f);
  start_paused(f, "after", "start", "--order", "1", "--out", f->csr, "--key-type", "rsa:2048",
               NULL);
  wait_paused(f, "after");
  kill_paused(f);
  assert_int_equal(private_keys(), 1);

  /* later: a 3-year certificate now ends after 2030, RSA 2048 no longer does */
  snprintf(f->now_env, sizeof(f->now_env), "RGS_ENROLL_NOW=%s", "2028-06-01");
  run(f, &r, "--json", "start", "--order", "1", "--out", f->csr, "--force", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_one_document(&r);
  v = get(r.out, "key.origin");
  assert_string_equal(v, "generated");
  free(v);
  v = get(r.out, "key.bits");
  assert_string_not_equal(v, "2048");
  free(v);
  if (count_of(r.out, "key.local\"") != 1 || count_of(r.out, "key.size\"") > 1)
    fail_msg("the criteria of the removed key are in the report:\n%s", r.out);
  assert_contains(r.err, "was removed");
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 1);
}

/* Review 6: killed between the two C_SetAttributeValue of keygen, the
 * public half has its final CKA_ID and the private half the one-time one;
 * the next run still finds the pair, gives both halves the final id and
 * uses it: one key pair on the token, none made. */
static void killed_between_id_sets(fixture *f, const char *key_type)
{
  rgs_run_result r;
  char *spki, *bound, *v;

  new_order(f);
  make_fifos(f);
  if (key_type != NULL)
    start_paused(f, "setid", "start", "--order", "1", "--out", f->csr, "--key-type", key_type,
                 NULL);
  else
    start_paused(f, "setid", "start", "--order", "1", "--out", f->csr, NULL);
  wait_paused_in(f, "C_SetAttributeValue", "after");
  kill_paused(f);
  assert_int_equal(private_keys(), 1);
  assert_int_equal(public_keys(), 1);

  run(f, &r, "--json", "start", "--order", "1", "--out", f->csr, "--force", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = get(r.out, "key.origin");
  assert_string_equal(v, "recovered");
  free(v);
  spki = get(r.out, "csr.spki_sha256");
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 1);
  assert_int_equal(public_keys(), 1);
  bound = bound_spki(f);
  assert_string_equal(bound, spki);
  free(bound);
  free(spki);

  /* both halves now carry one id: a further run finds the pair as bound */
  run(f, &r, "--json", "start", "--order", "1", "--out", f->csr, "--force", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = get(r.out, "key.origin");
  assert_string_equal(v, "reused");
  free(v);
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 1);
  assert_int_equal(public_keys(), 1);
}

static void test_killed_between_id_sets_ec(void **state)
{
  killed_between_id_sets(*state, "ec:p256");
}

static void test_killed_between_id_sets_rsa(void **state)
{
  killed_between_id_sets(*state, NULL);
}

#define OTHER_LABEL "second-token"   /* pkcs11-tool matches labels by prefix */

/* Review 10 and 16: an interrupted run left a key pair on token B; runs on
 * token A (--new-key, then a plain rerun that reuses A's key) must not
 * forget it. Plugged in again, B's leftover is found and removed (the order
 * has its key pair on A), and the person is told so. --new-key on B then
 * says that the order's old key pair stays on A. */
static void test_foreign_leftover_kept_until_seen(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char uri_a[128], uri_b[128], csr_b[700];

  assert_int_equal(rgs_softhsm_add_token(&f->hsm, OTHER_LABEL), 0);
  snprintf(uri_a, sizeof(uri_a), "pkcs11:token=%s", f->hsm.label);
  snprintf(uri_b, sizeof(uri_b), "pkcs11:token=%s", OTHER_LABEL);
  snprintf(csr_b, sizeof(csr_b), "%s/b.csr", f->hsm.dir);
  new_order(f);
  make_fifos(f);
  start_paused(f, "after", "--token", uri_b, "start", "--order", "1", "--out", csr_b, NULL);
  wait_paused(f, "after");
  kill_paused(f);
  assert_int_equal(keys_on(OTHER_LABEL, "privkey"), 1);

  /* on A with --new-key: made and bound here, B's leftover named, kept */
  run(f, &r, "--token", uri_a, "start", "--order", "1", "--out", f->csr, "--new-key", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.err, "another token (serial");
  assert_contains(r.err, "when that token is plugged in");
  rgs_run_free(&r);
  assert_int_equal(keys_on(f->hsm.label, "privkey"), 1);

  /* a plain rerun on A reuses A's key and still keeps B's entry */
  run(f, &r, "--json", "--token", uri_a, "start", "--order", "1", "--out", f->csr, "--force",
      NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_one_document(&r);
  assert_contains(r.out, "\"reused\"");
  assert_contains(r.err, "when that token is plugged in");
  rgs_run_free(&r);

  /* B plugged in: its leftover is removed, then the order's key pair is on A */
  run(f, &r, "--json", "--token", uri_b, "start", "--order", "1", "--out", csr_b, "--force",
      NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_one_document(&r);
  assert_contains(r.err, "was removed");
  assert_contains(r.err, "is on another token");
  rgs_run_free(&r);
  assert_int_equal(keys_on(OTHER_LABEL, "privkey"), 0);
  assert_int_equal(keys_on(OTHER_LABEL, "pubkey"), 0);
  assert_int_equal(keys_on(f->hsm.label, "privkey"), 1);

  /* dealt with: no word of it on A any more */
  run(f, &r, "--token", uri_a, "start", "--order", "1", "--out", f->csr, "--force", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_not_contains(r.err, "another token");
  rgs_run_free(&r);

  /* --new-key on B: the old key pair stays on A, and the person is told */
  run(f, &r, "--token", uri_b, "start", "--order", "1", "--out", csr_b, "--force", "--new-key",
      NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.err, "stays on the token with serial");
  rgs_run_free(&r);
  assert_int_equal(keys_on(OTHER_LABEL, "privkey"), 1);
  assert_int_equal(keys_on(f->hsm.label, "privkey"), 1);
}

/* A journal naming n other tokens, each with ids of the longest kind. */
static void write_foreign_journal(fixture *f, int n)
{
  char path[700], text[8192], hex[129];
  size_t len;
  int i;

  memset(hex, 'a', 128);
  hex[128] = '\0';
  snprintf(path, sizeof(path), "%s.order-1.lock", f->db);
  len = (size_t)snprintf(text, sizeof(text), "pid 1\n");
  for (i = 0; i < n; i++) {
    hex[0] = (char)('0' + i);
    len += (size_t)snprintf(text + len, sizeof(text) - len,
                            "token FOREIGN-SERIAL-%02d-0123456789\nrun-pid 1\ntmp-id %s\nkey-id %s\n",
                            i, hex, hex);
  }
  assert_int_equal(rgs_write_file(path, text), 0);
}

/* Review 19: the journal is written whole, never cut. Seven other tokens'
 * entries (the longest ids) plus this run's all stay in the file; an
 * eighth token is refused before anything is made. */
static void test_full_journal_written_whole(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char path[700], *text, key_line[140];
  int i;

  new_order(f);
  write_foreign_journal(f, 8);
  run(f, &r, "start", "--order", "1", "--out", f->csr, "--new-key", NULL);
  rgs_assert_status(&r, RGS_EXIT_STORE);
  assert_contains(r.err, "journal is full");
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 0);

  write_foreign_journal(f, 7);
  make_fifos(f);
  start_paused(f, "after", "start", "--order", "1", "--out", f->csr, "--new-key", NULL);
  wait_paused(f, "after");
  kill_paused(f);
  snprintf(path, sizeof(path), "%s.order-1.lock", f->db);
  text = rgs_read_file(path, NULL);
  assert_non_null(text);
  if (count_of(text, "\ntoken ") != 8 || count_of(text, "\nkey-id ") != 7 ||
      count_of(text, "\ntmp-id ") != 8)
    fail_msg("the journal lost entries:\n%s", text);
  for (i = 0; i < 7; i++) {
    snprintf(key_line, sizeof(key_line), "key-id %c%.127s\n", '0' + i,
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_contains(text, key_line);
  }
  free(text);

  /* this token's leftover is found among them */
  run(f, &r, "--json", "start", "--order", "1", "--out", f->csr, "--force", "--new-key", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "\"recovered\"");
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 1);
  text = rgs_read_file(path, NULL);
  assert_non_null(text);
  assert_int_equal(count_of(text, "\ntoken "), 7);
  free(text);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_rerun_reuses_the_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rerun_key_gone_or_new_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_concurrent_runs_make_one_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_killed_run_leftover_is_reused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_key_type_mismatch_reported_once, setup, teardown),
    cmocka_unit_test_setup_teardown(test_leftover_of_other_type_replaced, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failing_leftover_not_in_report, setup, teardown),
    cmocka_unit_test_setup_teardown(test_killed_between_id_sets_ec, setup, teardown),
    cmocka_unit_test_setup_teardown(test_killed_between_id_sets_rsa, setup, teardown),
    cmocka_unit_test_setup_teardown(test_foreign_leftover_kept_until_seen, setup, teardown),
    cmocka_unit_test_setup_teardown(test_full_journal_written_whole, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
