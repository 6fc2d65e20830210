/* SPDX-License-Identifier: BSD-3-Clause */
/* test_revocation.c - rgs_rev_check against real servers on 127.0.0.1:
 * `openssl ocsp` responders (the CA, a delegated responder, a responder
 * signed by another CA's key, one without id-kp-OCSPSigning), and a tiny
 * HTTP server for CRLs and for answers that lie, hang or overflow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rev_fixture.h"
#include "revocation.h"
#include "rgs_test.h"

static int setup(void **state)
{
  rev_fixture *f = calloc(1, sizeof(*f));

  assert_non_null(f);
  unsetenv("http_proxy");
  unsetenv("HTTP_PROXY");
  unsetenv("all_proxy");
  unsetenv("ALL_PROXY");
  assert_int_equal(rev_fixture_init(f), 0);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  rev_fixture *f = *state;

  rev_fixture_cleanup(f);
  free(f);
  return 0;
}

/* Check cert against the issuing CA with the default options at time now. */
static rgs_rev_rc check_at(rev_fixture *f, X509 *cert, time_t now, rgs_rev_result *out)
{
  rgs_rev_opts o;

  rgs_rev_opts_init(&o, now);
  return rgs_rev_check(cert, f->ca.cert, &o, out);
}

static rgs_rev_rc check(rev_fixture *f, X509 *cert, rgs_rev_result *out)
{
  return check_at(f, cert, time(NULL), out);
}

/* The result is rc, with detail saying needle (NULL: not checked). */
static void expect(const rgs_rev_result *r, rgs_rev_rc rc, rgs_rev_source src, const char *needle)
{
  if (r->rc != rc || r->source != src)
    fail_msg("rc %d source %d, expected %d %d; url %s; detail: %s", r->rc, r->source, rc, src,
             r->url, r->detail);
  if (needle != NULL)
    assert_contains(r->detail, needle);
}

static X509 *ocsp_leaf(rev_fixture *f, int responder, const char *serial)
{
  char url[128];
  X509 *x;

  rev_responder_url(f, responder, url, sizeof(url));
  x = rev_leaf(f, NULL, serial, url, NULL);
  assert_non_null(x);
  return x;
}

static X509 *http_leaf(rev_fixture *f, const char *serial, const char *ocsp_path,
                       const char *crl_path)
{
  char a[128], b[128];
  X509 *x;

  if (ocsp_path != NULL)
    rev_http_url(f, ocsp_path, a, sizeof(a));
  if (crl_path != NULL)
    rev_http_url(f, crl_path, b, sizeof(b));
  x = rev_leaf(f, NULL, serial, ocsp_path != NULL ? a : NULL, crl_path != NULL ? b : NULL);
  assert_non_null(x);
  return x;
}

/* ---- OCSP: the truth ------------------------------------------------------ */

static void test_ocsp_good(void **state)
{
  rev_fixture *f = *state;
  X509 *x = ocsp_leaf(f, REV_RESP_CA, REV_SERIAL_GOOD);
  rgs_rev_result r;

  assert_int_equal(check(f, x, &r), RGS_REV_GOOD);
  expect(&r, RGS_REV_GOOD, RGS_REV_SRC_OCSP, NULL);
  assert_true(r.this_update > time(NULL) - 3600);
  assert_string_equal(rgs_rev_status_name(r.rc), "good");
  X509_free(x);
}

static void test_ocsp_revoked_date_and_reason(void **state)
{
  rev_fixture *f = *state;
  X509 *x = ocsp_leaf(f, REV_RESP_CA, REV_SERIAL_REVOKED);
  rgs_rev_result r;

  check(f, x, &r);
  expect(&r, RGS_REV_REVOKED, RGS_REV_SRC_OCSP, NULL);
  assert_int_equal((long)r.revoked_at, REV_REVOKED_AT_T);
  assert_int_equal(r.reason, 1);
  assert_string_equal(rgs_rev_reason_name(r.reason), "keyCompromise");
  assert_string_equal(rgs_rev_status_name(r.rc), "revoked");
  X509_free(x);
}

static void test_ocsp_delegated_responder(void **state)
{
  rev_fixture *f = *state;
  X509 *x = ocsp_leaf(f, REV_RESP_DELEGATED, REV_SERIAL_REVOKED);
  X509 *y = ocsp_leaf(f, REV_RESP_DELEGATED, REV_SERIAL_GOOD);
  rgs_rev_result r;

  check(f, x, &r);
  expect(&r, RGS_REV_REVOKED, RGS_REV_SRC_OCSP, NULL);
  check(f, y, &r);
  expect(&r, RGS_REV_GOOD, RGS_REV_SRC_OCSP, NULL);
  X509_free(x);
  X509_free(y);
}

static void test_ocsp_unknown_serial(void **state)
{
  rev_fixture *f = *state;
  X509 *x = ocsp_leaf(f, REV_RESP_CA, REV_SERIAL_UNLISTED);
  rgs_rev_result r;

  check(f, x, &r);
  expect(&r, RGS_REV_NOT_KNOWN, RGS_REV_SRC_OCSP, "unknown");
  assert_string_equal(rgs_rev_status_name(r.rc), "unknown");
  X509_free(x);
}

/* ---- OCSP: lies --------------------------------------------------------- */

/* Another CA's key says "good" for a revoked certificate: never good. */
static void test_ocsp_other_signer_is_untrusted(void **state)
{
  rev_fixture *f = *state;
  X509 *x = ocsp_leaf(f, REV_RESP_OTHER, REV_SERIAL_REVOKED);
  X509 *y = ocsp_leaf(f, REV_RESP_OTHER, REV_SERIAL_GOOD);
  rgs_rev_result r;

  check(f, x, &r);
  expect(&r, RGS_REV_UNTRUSTED, RGS_REV_SRC_OCSP, "not signed by the certificate's issuer");
  check(f, y, &r);
  expect(&r, RGS_REV_UNTRUSTED, RGS_REV_SRC_OCSP, NULL);
  assert_string_equal(rgs_rev_strerror(r.rc), "unknown: the answer could not be trusted");
  X509_free(x);
  X509_free(y);
}

/* A certificate of the CA that is not an OCSP signer (no id-kp-OCSPSigning). */
static void test_ocsp_signer_without_eku_is_untrusted(void **state)
{
  rev_fixture *f = *state;
  X509 *x = ocsp_leaf(f, REV_RESP_NOEKU, REV_SERIAL_GOOD);
  rgs_rev_result r;

  check(f, x, &r);
  expect(&r, RGS_REV_UNTRUSTED, RGS_REV_SRC_OCSP, "not signed by the certificate's issuer");
  X509_free(x);
}

/* Signed by the CA itself, but with a nonce that is not the request's (a
 * replayed answer). */
static void test_ocsp_wrong_nonce(void **state)
{
  rev_fixture *f = *state;
  X509 *x = http_leaf(f, REV_SERIAL_GOOD, "/ocsp-nonce", NULL);
  time_t now = time(NULL);
  size_t len = 0;
  unsigned char *der = rev_ocsp_canned(f, x, "0123456789abcdef", now - 60, now + 3600, &len);
  rgs_rev_result r;

  assert_non_null(der);
  rev_http_set(f, "/ocsp-nonce", 200, der, len);
  check(f, x, &r);
  expect(&r, RGS_REV_UNTRUSTED, RGS_REV_SRC_OCSP, "nonce");
  free(der);
  X509_free(x);
}

/* Stale: next update past (a canned answer without nonce), and the real
 * responder's answer judged at a clock three days ahead (-ndays 1). */
static void test_ocsp_stale(void **state)
{
  rev_fixture *f = *state;
  X509 *x = http_leaf(f, REV_SERIAL_GOOD, "/ocsp-stale", NULL);
  X509 *y = ocsp_leaf(f, REV_RESP_CA, REV_SERIAL_GOOD);
  time_t now = time(NULL);
  size_t len = 0;
  unsigned char *der = rev_ocsp_canned(f, x, NULL, now - 3 * TPKI_DAY, now - TPKI_DAY, &len);
  rgs_rev_result r;

  assert_non_null(der);
  rev_http_set(f, "/ocsp-stale", 200, der, len);
  check(f, x, &r);
  expect(&r, RGS_REV_UNTRUSTED, RGS_REV_SRC_OCSP, "stale");
  check_at(f, y, now + 3 * TPKI_DAY, &r);
  expect(&r, RGS_REV_UNTRUSTED, RGS_REV_SRC_OCSP, "stale");
  /* Dated in the future of the clock. */
  check_at(f, y, now - TPKI_DAY, &r);
  expect(&r, RGS_REV_UNTRUSTED, RGS_REV_SRC_OCSP, "in the future");
  /* Without a nonce, but current: accepted (answers made in advance). */
  free(der);
  der = rev_ocsp_canned(f, x, NULL, now - 60, now + 3600, &len);
  rev_http_set(f, "/ocsp-stale", 200, der, len);
  check(f, x, &r);
  expect(&r, RGS_REV_GOOD, RGS_REV_SRC_OCSP, NULL);
  free(der);
  X509_free(x);
  X509_free(y);
}

static void test_ocsp_error_answers(void **state)
{
  rev_fixture *f = *state;
  X509 *x = http_leaf(f, REV_SERIAL_GOOD, "/ocsp-err", NULL);
  static const unsigned char try_later[] = { 0x30, 0x03, 0x0a, 0x01, 0x03 };
  static const char garbage[] = "<html>not OCSP</html>";
  unsigned char *big = calloc(1, 100 * 1024);
  rgs_rev_result r;

  assert_non_null(big);
  rev_http_set(f, "/ocsp-err", 200, try_later, sizeof(try_later));
  check(f, x, &r);
  expect(&r, RGS_REV_RESPONDER_ERROR, RGS_REV_SRC_OCSP, "trylater");
  rev_http_set(f, "/ocsp-err", 500, "no", 2);
  check(f, x, &r);
  expect(&r, RGS_REV_RESPONDER_ERROR, RGS_REV_SRC_OCSP, "HTTP 500");
  rev_http_set(f, "/ocsp-err", 200, garbage, strlen(garbage));
  check(f, x, &r);
  expect(&r, RGS_REV_BAD_ANSWER, RGS_REV_SRC_OCSP, "not an OCSP response");
  /* Oversized: 100 KiB where an OCSP answer takes a few hundred bytes. */
  rev_http_set(f, "/ocsp-err", 200, big, 100 * 1024);
  check(f, x, &r);
  expect(&r, RGS_REV_BAD_ANSWER, RGS_REV_SRC_OCSP, "over 65536 bytes");
  free(big);
  X509_free(x);
}

/* ---- the network ---------------------------------------------------------- */

/* A server that accepts and never answers: unknown, within the timeout. */
static void test_hanging_server_times_out(void **state)
{
  rev_fixture *f = *state;
  X509 *x = http_leaf(f, REV_SERIAL_GOOD, "/hang", NULL);
  struct timespec a, b;
  rgs_rev_result r;
  rgs_rev_opts o;
  double s;

  rev_http_set(f, "/hang", 0, NULL, 0);
  rgs_rev_opts_init(&o, time(NULL));
  o.total_timeout_ms = 700;
  clock_gettime(CLOCK_MONOTONIC, &a);
  rgs_rev_check(x, f->ca.cert, &o, &r);
  clock_gettime(CLOCK_MONOTONIC, &b);
  s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  expect(&r, RGS_REV_TIMEOUT, RGS_REV_SRC_OCSP, NULL);
  assert_true(s >= 0.6 && s < 5.0);
  /* The environment variable the binary's tests use does the same. */
  setenv("RGS_ENROLL_REVOCATION_TIMEOUT_MS", "300", 1);
  rgs_rev_opts_init(&o, time(NULL));
  unsetenv("RGS_ENROLL_REVOCATION_TIMEOUT_MS");
  assert_int_equal(o.total_timeout_ms, 300);
  assert_int_equal(o.connect_timeout_ms, 300);
  X509_free(x);
}

static void test_connection_refused_is_offline(void **state)
{
  rev_fixture *f = *state;
  char url[128];
  X509 *x;
  rgs_rev_result r;

  rev_refused_url(f, url, sizeof(url));
  x = rev_leaf(f, NULL, REV_SERIAL_GOOD, url, NULL);
  check(f, x, &r);
  expect(&r, RGS_REV_OFFLINE, RGS_REV_SRC_OCSP, url);
  assert_string_equal(rgs_rev_status_name(r.rc), "unknown");
  X509_free(x);
  /* A name that does not resolve: offline too. */
  x = rev_leaf(f, NULL, REV_SERIAL_GOOD, "http://rgs-enroll-test.invalid/ocsp", NULL);
  check(f, x, &r);
  expect(&r, RGS_REV_OFFLINE, RGS_REV_SRC_OCSP, NULL);
  X509_free(x);
}

static void test_no_source(void **state)
{
  rev_fixture *f = *state;
  X509 *x = rev_leaf(f, NULL, REV_SERIAL_GOOD, NULL, NULL);
  X509 *y = rev_leaf(f, NULL, REV_SERIAL_GOOD, "ldap://127.0.0.1/ocsp", "https://127.0.0.1/x.crl");
  rgs_rev_result r;
  rgs_rev_opts o;

  check(f, x, &r);
  expect(&r, RGS_REV_NO_SOURCE, RGS_REV_SRC_NONE, "no OCSP responder and no CRL");
  /* Only http(s) OCSP and http CRLs are asked. */
  check(f, y, &r);
  expect(&r, RGS_REV_NO_SOURCE, RGS_REV_SRC_NONE, NULL);
  /* No issuer: not checked, said. */
  rgs_rev_opts_init(&o, time(NULL));
  assert_int_equal(rgs_rev_check(x, NULL, &o, &r), RGS_REV_NOT_CHECKED);
  assert_contains(r.detail, "issuer");
  X509_free(x);
  X509_free(y);
}

/* ---- CRL --------------------------------------------------------------- */

static void serve_crl(rev_fixture *f, const char *path, const tpki_ca *signer, time_t last,
                      time_t next, int pem, int cut)
{
  size_t len = 0;
  unsigned char *crl = rev_crl(signer, &f->ca, last, next, REV_SERIAL_REVOKED, 4, pem, &len);

  assert_non_null(crl);
  rev_http_set(f, path, 200, crl, cut ? len / 2 : len);
  free(crl);
}

static void test_crl_good_and_revoked(void **state)
{
  rev_fixture *f = *state;
  X509 *good = http_leaf(f, REV_SERIAL_GOOD, NULL, "/ca.crl");
  X509 *bad = http_leaf(f, REV_SERIAL_REVOKED, NULL, "/ca.crl");
  time_t now = time(NULL);
  rgs_rev_result r;
  int pem;

  for (pem = 0; pem <= 1; pem++) {
    serve_crl(f, "/ca.crl", &f->ca, now - 3600, now + TPKI_DAY, pem, 0);
    check(f, good, &r);
    expect(&r, RGS_REV_GOOD, RGS_REV_SRC_CRL, NULL);
    check(f, bad, &r);
    expect(&r, RGS_REV_REVOKED, RGS_REV_SRC_CRL, NULL);
    assert_int_equal((long)r.revoked_at, REV_REVOKED_AT_T);
    assert_int_equal(r.reason, 4);
    assert_string_equal(rgs_rev_reason_name(r.reason), "superseded");
  }
  X509_free(good);
  X509_free(bad);
}

static void test_crl_lies_and_damage(void **state)
{
  rev_fixture *f = *state;
  X509 *x = http_leaf(f, REV_SERIAL_REVOKED, NULL, "/bad.crl");
  time_t now = time(NULL);
  unsigned char *big = calloc(1, 5 * 1024 * 1024);
  rgs_rev_result r;

  assert_non_null(big);
  /* Signed by another CA's key under the CA's name. */
  serve_crl(f, "/bad.crl", &f->other, now - 3600, now + TPKI_DAY, 0, 0);
  check(f, x, &r);
  expect(&r, RGS_REV_UNTRUSTED, RGS_REV_SRC_CRL, "not signed by the certificate's issuer");
  serve_crl(f, "/bad.crl", &f->ca, now - 3600, now + TPKI_DAY, 0, 1);
  check(f, x, &r);
  expect(&r, RGS_REV_BAD_ANSWER, RGS_REV_SRC_CRL, "cut short");
  serve_crl(f, "/bad.crl", &f->ca, now - 3600, now + TPKI_DAY, 1, 1);
  check(f, x, &r);
  expect(&r, RGS_REV_BAD_ANSWER, RGS_REV_SRC_CRL, NULL);
  serve_crl(f, "/bad.crl", &f->ca, now - 3 * TPKI_DAY, now - TPKI_DAY, 0, 0);
  check(f, x, &r);
  expect(&r, RGS_REV_UNTRUSTED, RGS_REV_SRC_CRL, "stale");
  serve_crl(f, "/bad.crl", &f->ca, now - 3600, 0, 0, 0);
  check(f, x, &r);
  expect(&r, RGS_REV_UNTRUSTED, RGS_REV_SRC_CRL, "no next update");
  rev_http_set(f, "/bad.crl", 200, big, 5 * 1024 * 1024);
  check(f, x, &r);
  expect(&r, RGS_REV_BAD_ANSWER, RGS_REV_SRC_CRL, "over 4194304 bytes");
  rev_http_set(f, "/bad.crl", 404, "", 0);
  check(f, x, &r);
  expect(&r, RGS_REV_RESPONDER_ERROR, RGS_REV_SRC_CRL, "HTTP 404");
  free(big);
  X509_free(x);
}

/* OCSP first; the CRL when OCSP gives no trusted answer, and the OCSP
 * failure stays said. */
static void test_crl_after_ocsp_fails(void **state)
{
  rev_fixture *f = *state;
  char ocsp[128], crl[128];
  time_t now = time(NULL);
  X509 *x, *y;
  rgs_rev_result r;

  rev_refused_url(f, ocsp, sizeof(ocsp));
  rev_http_url(f, "/fallback.crl", crl, sizeof(crl));
  serve_crl(f, "/fallback.crl", &f->ca, now - 3600, now + TPKI_DAY, 0, 0);
  x = rev_leaf(f, NULL, REV_SERIAL_GOOD, ocsp, crl);
  check(f, x, &r);
  expect(&r, RGS_REV_GOOD, RGS_REV_SRC_CRL, ocsp);
  /* A lying responder does not hide the revocation the CRL shows. */
  rev_responder_url(f, REV_RESP_OTHER, ocsp, sizeof(ocsp));
  y = rev_leaf(f, NULL, REV_SERIAL_REVOKED, ocsp, crl);
  check(f, y, &r);
  expect(&r, RGS_REV_REVOKED, RGS_REV_SRC_CRL, "not signed");
  X509_free(x);
  X509_free(y);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_ocsp_good),
    cmocka_unit_test(test_ocsp_revoked_date_and_reason),
    cmocka_unit_test(test_ocsp_delegated_responder),
    cmocka_unit_test(test_ocsp_unknown_serial),
    cmocka_unit_test(test_ocsp_other_signer_is_untrusted),
    cmocka_unit_test(test_ocsp_signer_without_eku_is_untrusted),
    cmocka_unit_test(test_ocsp_wrong_nonce),
    cmocka_unit_test(test_ocsp_stale),
    cmocka_unit_test(test_ocsp_error_answers),
    cmocka_unit_test(test_hanging_server_times_out),
    cmocka_unit_test(test_connection_refused_is_offline),
    cmocka_unit_test(test_no_source),
    cmocka_unit_test(test_crl_good_and_revoked),
    cmocka_unit_test(test_crl_lies_and_damage),
    cmocka_unit_test(test_crl_after_ocsp_fails),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
