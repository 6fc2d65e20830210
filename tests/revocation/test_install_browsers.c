/* SPDX-License-Identifier: BSD-3-Clause */
/* test_install_browsers.c - the browsers step offered at the end of install,
 * through the real rgs-enroll on a pseudo-terminal, in a fake home holding
 * Chromium's NSS database: "y" registers the token's module (NSS's modutil
 * lists it), "n" changes nothing and says how to do it later, and so does a
 * run without a terminal or with --json (a "next" entry). The lean binary
 * (install --no-revocation-check stays in it) never links NSS: it only says
 * how. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rev_fixture.h"
#include "rgs_test.h"

#define QUESTION "Make the certificate usable in Firefox and Chromium now? [y/N]"
#define HINT "To use the certificate in Firefox and Chromium: rgs-enroll browsers --add (close Firefox first)."

typedef struct {
  rev_fixture rev;
  rgs_softhsm hsm;
  char policy[600], db[600], csr[600], cert[600];
  char *home, home_env[700], nssdb[700];
} fixture;

#define ENROLL(r, f, ...)                                                                    \
  rgs_enroll((r), env, NULL, "--db", (f)->db, "--policy", (f)->policy, "--pin-file",         \
             (f)->hsm.pin_file, __VA_ARGS__, NULL)

static const char *const env[] = { "RGS_ENROLL_REVOCATION_TIMEOUT_MS=2000", "http_proxy=",
                                   "HTTP_PROXY=", "all_proxy=", "ALL_PROXY=", NULL };

static void ok_run(rgs_run_result *r)
{
  rgs_assert_status(r, RGS_EXIT_OK);
  rgs_run_free(r);
}

/* modutil -list: the modules of the fake Chromium database. */
static char *modules(const fixture *f)
{
  char db[800];
  rgs_run_result r;
  char *out;

  snprintf(db, sizeof(db), "sql:%s", f->nssdb);
  assert_int_equal(rgs_run((const char *const[]){ rgs_env("MODUTIL"), "-list", "-dbdir", db, NULL },
                           NULL, NULL, &r),
                   0);
  rgs_assert_status(&r, 0);
  out = strdup(r.out);
  rgs_run_free(&r);
  return out;
}

/* A fresh home with an empty Chromium database (~/.pki/nssdb). */
static void home_make(fixture *f)
{
  char path[800];
  rgs_run_result r;

  f->home = rgs_tmpdir();
  snprintf(f->home_env, sizeof(f->home_env), "HOME=%s", f->home);
  snprintf(path, sizeof(path), "%s/.pki", f->home);
  assert_int_equal(mkdir(path, 0700), 0);
  snprintf(f->nssdb, sizeof(f->nssdb), "%s/.pki/nssdb", f->home);
  assert_int_equal(mkdir(f->nssdb, 0700), 0);
  snprintf(path, sizeof(path), "sql:%s", f->nssdb);
  assert_int_equal(rgs_run((const char *const[]){ rgs_env("CERTUTIL"), "-N", "--empty-password",
                                                  "-d", path, NULL },
                           NULL, NULL, &r),
                   0);
  ok_run(&r);
}

static void home_free(fixture *f)
{
  rgs_rmrf(f->home);
  free(f->home);
  f->home = NULL;
}

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));
  rgs_run_result r;
  char url[128];
  X509 *x;
  EVP_PKEY *pub;

  assert_non_null(f);
  assert_int_equal(rev_fixture_init(&f->rev), 0);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "browsers"), 0);
  setenv("RGS_ENROLL_MODULE", rgs_env("SOFTHSM2_MODULE"), 1);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->db, sizeof(f->db), "%s/orders.db", f->hsm.dir);
  snprintf(f->csr, sizeof(f->csr), "%s/req.csr", f->hsm.dir);
  snprintf(f->cert, sizeof(f->cert), "%s/cert.pem", f->hsm.dir);
  ENROLL(&r, f, "order", "new", "--partner", "cma", "--holder-first-name", "Jean",
         "--holder-last-name", "Dupont", "--email", "jean.dupont@example.fr", "--company", "ACME",
         "--siren", "732829320", "--payment", "carte", "--accept-cgu");
  ok_run(&r);
  ENROLL(&r, f, "start", "--order", "1", "--key-type", "ec:p256", "--out", f->csr);
  ok_run(&r);
  pub = tpki_csr_pubkey(f->csr);
  assert_non_null(pub);
  rev_responder_url(&f->rev, REV_RESP_CA, url, sizeof(url));
  x = rev_leaf(&f->rev, pub, REV_SERIAL_GOOD, url, NULL);
  assert_non_null(x);
  assert_int_equal(tpki_write_pem(f->cert, (X509 *const[]){ x, f->rev.ca.cert, NULL }), 0);
  X509_free(x);
  EVP_PKEY_free(pub);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  rgs_softhsm_cleanup(&f->hsm);
  rev_fixture_cleanup(&f->rev);
  free(f);
  return 0;
}

/* rgs-enroll BIN ... install --cert CERT [extra] on a terminal, in the fake
 * home; started, not waited for. */
static void install_on_tty(rgs_term *t, fixture *f, const char *bin, const char *extra)
{
  const char *argv[] = { bin, "--db", f->db, "--policy", f->policy, "--pin-file",
                         f->hsm.pin_file, "install", "--cert", f->cert, "--ca-file",
                         f->rev.root_file, extra, NULL };
  const char *tenv[] = { f->home_env, env[0], env[1], env[2], env[3], env[4], NULL };

  rgs_term_start(t, argv, tenv);
}

/* "n" (the default): the hint, and the database as it was. */
static void test_answer_no_changes_nothing(void **state)
{
  fixture *f = *state;
  char *before, *after;
  rgs_term t;

  home_make(f);
  before = modules(f);
  install_on_tty(&t, f, rgs_env("RGS_ENROLL_BIN"), NULL);
  rgs_term_say(&t, QUESTION, "n\r");
  assert_true(rgs_term_expect(&t, HINT));
  assert_int_equal(rgs_term_wait(&t), RGS_EXIT_OK);
  assert_contains(t.seen, "Proof: a signature made on the token verifies");
  after = modules(f);
  assert_string_equal(before, after);
  assert_not_contains(after, "(rgs-enroll)");
  free(before);
  free(after);
  home_free(f);
}

/* "y": browsers --add run by install; NSS lists our module. */
static void test_answer_yes_registers(void **state)
{
  fixture *f = *state;
  char *list;
  rgs_term t;

  home_make(f);
  install_on_tty(&t, f, rgs_env("RGS_ENROLL_BIN"), NULL);
  rgs_term_say(&t, QUESTION, "y\r");
  assert_true(rgs_term_expect(&t, "Chromium ("));
  assert_true(rgs_term_expect(&t, "module added"));
  assert_int_equal(rgs_term_wait(&t), RGS_EXIT_OK);
  assert_not_contains(t.seen, HINT);
  list = modules(f);
  assert_contains(list, "(rgs-enroll)");
  free(list);
  home_free(f);
}

/* No terminal: no question, the hint; --json: a "next" entry. */
static void test_no_terminal_hint_and_json_next(void **state)
{
  fixture *f = *state;
  const char *const henv[] = { f->home_env, env[0], env[1], env[2], env[3], env[4], NULL };
  char *before, *after;
  rgs_run_result r;

  home_make(f);
  before = modules(f);
  assert_int_equal(rgs_enroll(&r, henv, NULL, "--db", f->db, "--policy", f->policy,
                              "--pin-file", f->hsm.pin_file, "install", "--cert", f->cert,
                              "--ca-file", f->rev.root_file, NULL),
                   0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, HINT);
  assert_not_contains(r.err, QUESTION);
  rgs_run_free(&r);
  assert_int_equal(rgs_enroll(&r, henv, NULL, "--db", f->db, "--policy", f->policy,
                              "--pin-file", f->hsm.pin_file, "--json", "install", "--cert",
                              f->cert, "--ca-file", f->rev.root_file, NULL),
                   0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "next.0.step", "browsers");
  rgs_assert_json(r.out, "next.0.command", "browsers --add");
  rgs_run_free(&r);
  after = modules(f);
  assert_string_equal(before, after);
  free(before);
  free(after);
  home_free(f);
}

/* The lean binary: install --no-revocation-check stays in it, asks
 * nothing even on a terminal, says how; and it never links NSS. */
static void test_lean_says_how(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  rgs_term t;

  home_make(f);
  install_on_tty(&t, f, rgs_env("RGS_ENROLL_BIN"), "--no-revocation-check");
  assert_true(rgs_term_expect(&t, HINT));
  assert_int_equal(rgs_term_wait(&t), RGS_EXIT_OK);
  assert_not_contains(t.seen, QUESTION);
  home_free(f);
  assert_int_equal(rgs_run((const char *const[]){ "/usr/bin/ldd", rgs_env("RGS_ENROLL_BIN"), NULL },
                           NULL, NULL, &r),
                   0);
  rgs_assert_status(&r, 0);
  assert_contains(r.out, "libcrypto");      /* ldd did list the libraries */
  assert_not_contains(r.out, "libnss3");
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_answer_no_changes_nothing),
    cmocka_unit_test(test_answer_yes_registers),
    cmocka_unit_test(test_no_terminal_hint_and_json_next),
    cmocka_unit_test(test_lean_says_how),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
