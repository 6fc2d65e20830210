/* SPDX-License-Identifier: BSD-3-Clause */
/* test_install_revocation.c - the revocation check through the real
 * rgs-enroll: install refuses a revoked certificate (nothing on the token,
 * the order store unchanged), says "unknown" offline and installs, installs
 * a good one; check --delivered reports the status per certificate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rev_fixture.h"
#include "rgs_test.h"

typedef struct {
  rev_fixture rev;
  rgs_softhsm hsm;
  char policy[600], db[600], csr[600], cert[600];
  EVP_PKEY *pub;
} fixture;

#define ENROLL(r, f, ...)                                                                    \
  rgs_enroll((r), env, NULL, "--db", (f)->db, "--policy", (f)->policy, "--pin-file",         \
             (f)->hsm.pin_file, __VA_ARGS__, NULL)

/* A hanging server must not hold a test for 10 s. */
static const char *const env[] = { "RGS_ENROLL_REVOCATION_TIMEOUT_MS=2000", "http_proxy=",
                                   "HTTP_PROXY=", "all_proxy=", "ALL_PROXY=", NULL };

static void ok_run(rgs_run_result *r)
{
  rgs_assert_status(r, RGS_EXIT_OK);
  rgs_run_free(r);
}

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));
  rgs_run_result r;

  assert_non_null(f);
  assert_int_equal(rev_fixture_init(&f->rev), 0);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "revocation"), 0);
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
  ENROLL(&r, f, "order", "set", "1", "--status", "submitted");
  ok_run(&r);
  f->pub = tpki_csr_pubkey(f->csr);
  assert_non_null(f->pub);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  EVP_PKEY_free(f->pub);
  rgs_softhsm_cleanup(&f->hsm);
  rev_fixture_cleanup(&f->rev);
  free(f);
  return 0;
}

/* The token key's certificate with this serial and OCSP URL, with its
 * issuing CA, in f->cert. */
static void write_cert(fixture *f, const char *serial, const char *ocsp)
{
  X509 *x = rev_leaf(&f->rev, f->pub, serial, ocsp, NULL);
  X509 *certs[] = { x, f->rev.ca.cert, NULL };

  assert_non_null(x);
  assert_int_equal(tpki_write_pem(f->cert, certs), 0);
  X509_free(x);
}

static int cert_objects(void)
{
  const char *argv[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "--list-objects", "--type", "cert", NULL };
  rgs_run_result r;
  int n = 0;
  const char *p;

  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  for (p = r.out; (p = strstr(p, "Certificate Object")) != NULL; p++)
    n++;
  rgs_run_free(&r);
  return n;
}

/* The order as the store holds it (JSON of order show). */
static char *order_doc(fixture *f)
{
  rgs_run_result r;
  char *doc;

  ENROLL(&r, f, "--json", "order", "show", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  doc = strdup(r.out);
  rgs_run_free(&r);
  return doc;
}

static void test_install_refuses_revoked(void **state)
{
  fixture *f = *state;
  char url[128], *before, *after, *v;
  rgs_run_result r;

  rev_responder_url(&f->rev, REV_RESP_CA, url, sizeof(url));
  write_cert(f, REV_SERIAL_REVOKED, url);
  before = order_doc(f);
  ENROLL(&r, f, "--json", "install", "1", "--cert", f->cert, "--ca-file", f->rev.root_file);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  rgs_assert_says(&r, "revoked");
  rgs_assert_json(r.out, "error.code", "certificate-revoked");
  rgs_assert_json(r.out, "revocation.status", "revoked");
  rgs_assert_json(r.out, "revocation.source", "ocsp");
  rgs_assert_json(r.out, "revocation.revoked_at", "2026-01-01T12:00:00Z");
  rgs_assert_json(r.out, "revocation.reason", "keyCompromise");
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 0);
  after = order_doc(f);
  assert_string_equal(before, after);
  /* In words, for people. */
  ENROLL(&r, f, "install", "1", "--cert", f->cert, "--ca-file", f->rev.root_file);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "has revoked it; nothing was written on the token");
  assert_contains(r.err, "the key was compromised");
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 0);
  v = order_doc(f);
  assert_string_equal(before, v);
  free(v);
  free(before);
  free(after);
}

/* No answer (connection refused): said, and the certificate installed. */
static void test_install_offline_says_unknown(void **state)
{
  fixture *f = *state;
  char url[128];
  rgs_run_result r;

  rev_refused_url(&f->rev, url, sizeof(url));
  write_cert(f, REV_SERIAL_GOOD, url);
  ENROLL(&r, f, "--json", "install", "--cert", f->cert, "--ca-file", f->rev.root_file);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "revocation.status", "unknown");
  rgs_assert_json(r.out, "revocation.source", "ocsp");
  rgs_assert_json(r.out, "certificate_written", "true");
  assert_contains(r.err, "could not be checked");
  assert_contains(r.err, "installed all the same");
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 1);
  /* Text: the status in the summary. */
  ENROLL(&r, f, "install", "--cert", f->cert, "--ca-file", f->rev.root_file);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Revocation   : unknown: the revocation service cannot be reached");
  rgs_run_free(&r);
}

/* The good certificate replaces it; the order becomes installed. */
static void test_install_good(void **state)
{
  fixture *f = *state;
  char url[128];
  rgs_run_result r;

  rev_responder_url(&f->rev, REV_RESP_DELEGATED, url, sizeof(url));
  write_cert(f, REV_SERIAL_GOOD, url);
  ENROLL(&r, f, "--json", "install", "1", "--replace", "--with-chain", "--cert", f->cert,
         "--ca-file", f->rev.root_file);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "revocation.status", "good");
  rgs_assert_json(r.out, "revocation.source", "ocsp");
  rgs_assert_json(r.out, "status", "installed");
  assert_not_contains(r.err, "could not be checked");
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 3);     /* and the chain: issuing CA, root */
}

/* check --delivered asks for each certificate (its issuer from the token's
 * CA certificates); --no-revocation-check says it did not. */
static void test_check_delivered_reports(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  ENROLL(&r, f, "--json", "check", "--delivered", "--ca-file", f->rev.root_file);
  rgs_assert_json(r.out, "certificates.0.revocation.status", "good");
  rgs_assert_json(r.out, "certificates.0.revocation.source", "ocsp");
  rgs_run_free(&r);
  ENROLL(&r, f, "check", "--delivered", "--ca-file", f->rev.root_file);
  assert_contains(r.out, "Revocation: not revoked (answer of the OCSP service");
  rgs_run_free(&r);
  ENROLL(&r, f, "--json", "check", "--delivered", "--no-revocation-check", "--ca-file",
         f->rev.root_file);
  rgs_assert_json(r.out, "certificates.0.revocation.status", "unknown");
  rgs_assert_json(r.out, "certificates.0.revocation.source", "none");
  rgs_assert_json(r.out, "certificates.0.revocation.detail", "turned off with --no-revocation-check");
  rgs_run_free(&r);
  ENROLL(&r, f, "check", "--no-revocation-check");
  rgs_expect(&r, RGS_EXIT_USAGE, "goes with --delivered");
}

/* A hanging responder: unknown within the timeout, and installed. */
static void test_install_hanging_responder(void **state)
{
  fixture *f = *state;
  char url[128];
  rgs_run_result r;

  rev_http_set(&f->rev, "/hang", 0, NULL, 0);
  rev_http_url(&f->rev, "/hang", url, sizeof(url));
  write_cert(f, REV_SERIAL_GOOD, url);
  ENROLL(&r, f, "--json", "install", "--replace", "--cert", f->cert, "--ca-file",
         f->rev.root_file);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "revocation.status", "unknown");
  assert_contains(r.err, "did not answer in time");
  rgs_run_free(&r);
  /* --no-revocation-check: nothing asked. */
  ENROLL(&r, f, "--json", "install", "--no-revocation-check", "--cert", f->cert, "--ca-file",
         f->rev.root_file);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "revocation.status", "unknown");
  rgs_assert_json(r.out, "revocation.detail", "turned off with --no-revocation-check");
  assert_not_contains(r.err, "could not be checked");
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_install_refuses_revoked),
    cmocka_unit_test(test_install_offline_says_unknown),
    cmocka_unit_test(test_install_good),
    cmocka_unit_test(test_check_delivered_reports),
    cmocka_unit_test(test_install_hanging_responder),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
