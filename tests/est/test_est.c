/* SPDX-License-Identifier: BSD-3-Clause */
/* test_est.c - the EST client of enroll/est.c against the real TLS test
 * responder on 127.0.0.1: every answer an EST server can give, and the
 * pieces (URLs, Retry-After, bodies) on their own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/x509.h>
#include "certcheck.h"
#include "est.h"
#include "rgs_common.h"
#include "est_fixture.h"
#include "rgs_test.h"

typedef struct {
  est_fixture est;
  EVP_PKEY *key;
  X509_REQ *req;
  rgs_est_conf conf;
} fixture;

static X509_REQ *make_request(EVP_PKEY *key)
{
  X509_REQ *req = X509_REQ_new();
  X509_NAME *n = X509_NAME_new();

  assert_non_null(req);
  X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"FR", -1, -1, 0);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"Jean DUPONT", -1, -1, 0);
  X509_REQ_set_subject_name(req, n);
  X509_NAME_free(n);
  X509_REQ_set_pubkey(req, key);
  assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
  return req;
}

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  assert_non_null(f);
  assert_int_equal(est_fixture_init(&f->est, NULL), 0);
  f->key = tpki_ec_key();
  f->req = make_request(f->key);
  f->conf.ca_file = f->est.ca_file;
  f->conf.user = "CMD-2026-0042";
  f->conf.secret = "s3cret-code";
  f->conf.secret_len = strlen(f->conf.secret);
  f->conf.timeout = 10;
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  est_fixture_cleanup(&f->est);
  X509_REQ_free(f->req);
  EVP_PKEY_free(f->key);
  free(f);
  rgs_est_global_cleanup();
  return 0;
}

static void start(fixture *f, const char *script)
{
  assert_int_equal(est_fixture_start(&f->est, script, 0, NULL), 0);
  f->conf.url = f->est.url;
}

static rgs_est_rc enroll(fixture *f, STACK_OF(X509) **certs, rgs_est_info *info)
{
  return rgs_est_enroll(&f->conf, f->req, 0, certs, info);
}

/* The certificate that came back is for our key. */
static void assert_issued_for_key(fixture *f, STACK_OF(X509) *certs)
{
  assert_non_null(certs);
  assert_non_null(rgs_certs_leaf(certs, f->key));
}

static void test_cacerts(void **state)
{
  fixture *f = *state;
  STACK_OF(X509) *certs = NULL;
  rgs_est_info info;

  start(f, "200\n");
  assert_int_equal(rgs_est_cacerts(&f->conf, &certs, &info), RGS_EST_OK);
  assert_int_equal(sk_X509_num(certs), 1);
  assert_int_equal(X509_cmp(sk_X509_value(certs, 0), f->est.ca.cert), 0);
  /* /cacerts carries no credentials. */
  assert_int_equal(est_fixture_logged(&f->est, "GET /.well-known/est/cacerts auth=-"), 1);
  rgs_certs_free(certs);
}

static void test_200_with_and_without_cte_and_wrapping(void **state)
{
  fixture *f = *state;
  STACK_OF(X509) *certs = NULL;
  rgs_est_info info;

  start(f, "200\n200-nocte\n200-unwrapped\n");
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_OK);
  assert_issued_for_key(f, certs);
  assert_int_equal(sk_X509_num(certs), 2);
  rgs_certs_free(certs);
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_OK);
  assert_issued_for_key(f, certs);
  rgs_certs_free(certs);
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_OK);
  assert_issued_for_key(f, certs);
  rgs_certs_free(certs);
  /* What the client sent: Basic credentials, application/pkcs10, base64 in
   * CRLF lines. */
  assert_int_equal(est_fixture_logged(&f->est, "POST /.well-known/est/simpleenroll auth=Basic "), 3);
  assert_int_equal(est_fixture_logged(&f->est, "ct=application/pkcs10"), 3);
  assert_int_equal(est_fixture_logged(&f->est, "lines=1"), 3);
}

static void test_202_then_200(void **state)
{
  fixture *f = *state;
  STACK_OF(X509) *certs = NULL;
  rgs_est_info info;

  start(f, "202 7\n200\n");
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_PENDING);
  assert_int_equal(info.http_status, 202);
  assert_int_equal(info.retry_after, 7);
  assert_null(certs);
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_OK);
  assert_issued_for_key(f, certs);
  rgs_certs_free(certs);
}

static void test_401(void **state)
{
  fixture *f = *state;
  STACK_OF(X509) *certs = NULL;
  rgs_est_info info;

  start(f, "401\n");
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_ERR_AUTH);
  assert_int_equal(info.http_status, 401);
  assert_contains(info.detail, "retrieval code");
  assert_null(certs);
}

static void test_400_and_500(void **state)
{
  fixture *f = *state;
  STACK_OF(X509) *certs = NULL;
  rgs_est_info info;

  start(f, "400\n500\n");
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_ERR_REFUSED);
  assert_contains(info.detail, "does not match the order");
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_ERR_SERVER);
  assert_int_equal(info.http_status, 500);
}

static void test_wrong_content_type(void **state)
{
  fixture *f = *state;
  STACK_OF(X509) *certs = NULL;
  rgs_est_info info;

  start(f, "ctype\n");
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_ERR_CONTENT_TYPE);
  assert_contains(info.detail, "text/html");
  assert_null(certs);
}

static void test_garbage_bodies(void **state)
{
  fixture *f = *state;
  STACK_OF(X509) *certs = NULL;
  rgs_est_info info;

  start(f, "garbage\nbadder\n");
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_ERR_BODY);
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_ERR_BODY);
  assert_null(certs);
}

static void test_untrusted_server(void **state)
{
  fixture *f = *state;
  STACK_OF(X509) *certs = NULL;
  rgs_est_info info;

  assert_int_equal(est_fixture_start(&f->est, "200\n", 1, NULL), 0);
  f->conf.url = f->est.url;
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_ERR_TLS_VERIFY);
  assert_int_equal(rgs_est_cacerts(&f->conf, &certs, &info), RGS_EST_ERR_TLS_VERIFY);
  /* Nothing reached the server's application layer. */
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 0);
  /* The system store does not know the test CA either. */
  f->conf.ca_file = NULL;
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_ERR_TLS_VERIFY);
  assert_null(certs);
}

static void test_hanging_server_times_out(void **state)
{
  fixture *f = *state;
  STACK_OF(X509) *certs = NULL;
  rgs_est_info info;
  time_t t0 = time(NULL);

  start(f, "hang\n");
  f->conf.timeout = 2;
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_ERR_TIMEOUT);
  assert_true(time(NULL) - t0 <= 6);
  assert_null(certs);
}

static void test_refused_connection(void **state)
{
  fixture *f = *state;
  STACK_OF(X509) *certs = NULL;
  rgs_est_info info;

  start(f, "200\n");
  est_fixture_stop(&f->est);
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_ERR_CONNECT);
  f->conf.url = "http://127.0.0.1:1";
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_ERR_URL);
}

static void test_pieces(void **state)
{
  char url[256], *body;
  size_t len = 0;
  fixture *f = *state;

  assert_int_equal(rgs_est_url_op("https://ca.example", "cacerts", url, sizeof(url)), RGS_EST_OK);
  assert_string_equal(url, "https://ca.example/.well-known/est/cacerts");
  assert_int_equal(rgs_est_url_op("https://ca.example:8443/", "simpleenroll", url, sizeof(url)), RGS_EST_OK);
  assert_string_equal(url, "https://ca.example:8443/.well-known/est/simpleenroll");
  assert_int_equal(rgs_est_url_op("https://ca.example/.well-known/est/rgs/", "cacerts", url, sizeof(url)), RGS_EST_OK);
  assert_string_equal(url, "https://ca.example/.well-known/est/rgs/cacerts");
  assert_int_equal(rgs_est_url_op("http://ca.example", "cacerts", url, sizeof(url)), RGS_EST_ERR_URL);
  assert_int_equal(rgs_est_url_op("https://", "cacerts", url, sizeof(url)), RGS_EST_ERR_URL);
  assert_int_equal(rgs_est_url_op("https://ca.example/?x=1", "cacerts", url, sizeof(url)), RGS_EST_ERR_URL);
  assert_int_equal(rgs_est_url_op("https://ca.example/#top", "cacerts", url, sizeof(url)), RGS_EST_ERR_URL);
  assert_int_equal(rgs_est_url_op("https://REF:CODE@ca.example/", "cacerts", url, sizeof(url)), RGS_EST_ERR_URL);
  assert_int_equal(rgs_est_url_op("https://REF@ca.example/", "cacerts", url, sizeof(url)), RGS_EST_ERR_URL);
  assert_int_equal(rgs_est_url_op("https://:CODE@ca.example/", "cacerts", url, sizeof(url)), RGS_EST_ERR_URL);
  {
    char canon[256], why[256];
    assert_int_equal(rgs_est_url_canon("https://ca.example:8443/.well-known/est/rgs/", canon,
                                       sizeof(canon), why, sizeof(why)), RGS_EST_OK);
    assert_string_equal(canon, "https://ca.example:8443/.well-known/est/rgs");
    assert_int_equal(rgs_est_url_canon("https://ca.example", canon, sizeof(canon), why,
                                       sizeof(why)), RGS_EST_OK);
    assert_string_equal(canon, "https://ca.example/");
    assert_int_equal(rgs_est_url_canon("https://a:b@ca.example/", canon, sizeof(canon), why,
                                       sizeof(why)), RGS_EST_ERR_URL);
    assert_contains(why, "user name or password");
    assert_not_contains(why, "ca.example");
    assert_int_equal(rgs_est_url_canon("https://ca.example/est?code=b", canon, sizeof(canon), why,
                                       sizeof(why)), RGS_EST_ERR_URL);
    assert_contains(why, "query");
    assert_int_equal(rgs_est_url_canon("ftp://ca.example/", canon, sizeof(canon), why,
                                       sizeof(why)), RGS_EST_ERR_URL);
  }
  /* Each refusal with its own reason (review item 15: the checks written
   * as plain code, no macro hiding a goto). */
  {
    static const struct {
      const char *url, *why;
    } refused[] = {
      { NULL, "https://" },
      { "ftp://ca.example/", "https://" },
      { "https:/ca.example/", "https://" },
      { "https://user@ca.example/", "user name or password" },
      { "https://ca.example/est#top", "fragment" },
      { "https://ca.example:99999/", "not a valid URL" },
      { "https://ca.example/a b", "not a valid URL" },
    };
    char canon[256], why[256];
    size_t i;

    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
      why[0] = '\0';
      assert_int_equal(rgs_est_url_canon(refused[i].url, canon, sizeof(canon), why, sizeof(why)),
                       RGS_EST_ERR_URL);
      if (strstr(why, refused[i].why) == NULL)
        fail_msg("%s: '%s', not '%s'", refused[i].url != NULL ? refused[i].url : "(null)", why,
                 refused[i].why);
    }
    assert_int_equal(rgs_est_url_canon("HTTPS://Ca.Example:8443", canon, sizeof(canon), why,
                                       sizeof(why)), RGS_EST_OK);
    assert_int_equal(rgs_est_url_canon("https://ca.example/x", canon, sizeof(canon), NULL, 0), RGS_EST_OK);
    assert_int_equal(rgs_est_url_canon("https://a@ca.example/x", canon, sizeof(canon), NULL, 0),
                     RGS_EST_ERR_URL);
  }

  assert_true(rgs_est_is_pkcs7_mime("application/pkcs7-mime; smime-type=certs-only"));
  assert_true(rgs_est_is_pkcs7_mime("Application/PKCS7-MIME"));
  assert_false(rgs_est_is_pkcs7_mime("application/pkcs7-mimex"));
  assert_false(rgs_est_is_pkcs7_mime("text/html"));
  assert_false(rgs_est_is_pkcs7_mime(NULL));

  assert_int_equal(rgs_est_retry_after("120", 0), 120);
  assert_int_equal(rgs_est_retry_after(" 5 ", 0), 5);
  assert_int_equal(rgs_est_retry_after("-3", 0), -1);
  assert_int_equal(rgs_est_retry_after("soon", 0), -1);
  assert_int_equal(rgs_est_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 60), 60);
  assert_int_equal(rgs_est_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 + 60), 0);

  body = rgs_est_csr_body(f->req, &len);
  assert_non_null(body);
  assert_int_equal(strlen(body), len);
  assert_true(strchr(body, '\n') - body == 65 || len < 66);    /* 64 columns + CRLF */
  free(body);
}


/* The clamp of a Retry-After: 30 days, the longest --wait-max. */
#define MONTH (30L * 24 * 3600)
/* 2015-10-21T07:28:00Z */
#define T2015 1445412480L

/* RFC 9110 section 10.2.3: delay-seconds (1*DIGIT) or an HTTP-date in one
 * of its three formats; anything else is not a Retry-After. Huge values
 * are clamped, never overflowed. */
static void test_retry_after_rfc9110(void **state)
{
  (void)state;
  /* delay-seconds */
  assert_int_equal(rgs_est_retry_after("0", 0), 0);
  assert_int_equal(rgs_est_retry_after("007", 0), 7);
  assert_int_equal(rgs_est_retry_after("\t42\t", 0), 42);
  assert_int_equal(rgs_est_retry_after("2592000", 0), MONTH);
  assert_int_equal(rgs_est_retry_after("2592001", 0), MONTH);
  assert_int_equal(rgs_est_retry_after("9223372036854775807", 0), MONTH);
  assert_int_equal(rgs_est_retry_after("99999999999999999999999999999999999999", 0), MONTH);
  assert_int_equal(rgs_est_retry_after("+5", 0), -1);
  assert_int_equal(rgs_est_retry_after("5s", 0), -1);
  assert_int_equal(rgs_est_retry_after("5 5", 0), -1);
  assert_int_equal(rgs_est_retry_after("1e3", 0), -1);
  assert_int_equal(rgs_est_retry_after("0x10", 0), -1);
  assert_int_equal(rgs_est_retry_after("", 0), -1);
  assert_int_equal(rgs_est_retry_after("   ", 0), -1);
  assert_int_equal(rgs_est_retry_after(NULL, 0), -1);
  /* IMF-fixdate, rfc850-date, asctime-date */
  assert_int_equal(rgs_est_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", T2015 - 90), 90);
  assert_int_equal(rgs_est_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", T2015 - 90), 90);
  assert_int_equal(rgs_est_retry_after("Wed Oct 21 07:28:00 2015", T2015 - 90), 90);
  assert_int_equal(rgs_est_retry_after("Thu Oct  1 07:28:00 2015", T2015 - 20 * 86400 - 90), 90);
  assert_int_equal(rgs_est_retry_after("Sat, 29 Feb 2020 00:00:00 GMT", 1582934400L - 1), 1);
  /* In the past: now. */
  assert_int_equal(rgs_est_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", T2015), 0);
  assert_int_equal(rgs_est_retry_after("Mon, 01 Jan 0001 00:00:00 GMT", T2015), 0);
  /* Far away: clamped, whatever "now" is. */
  assert_int_equal(rgs_est_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", T2015), MONTH);
  assert_int_equal(rgs_est_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", (time_t)INT64_MIN), MONTH);
  assert_int_equal(rgs_est_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", (time_t)INT64_MAX), 0);
  assert_int_equal(rgs_est_retry_after("5", (time_t)INT64_MAX), 5);
  /* Two-digit years (RFC 9110 5.6.7): more than 50 years ahead means the
   * century before. */
  assert_int_equal(rgs_est_retry_after("Monday, 01-Jan-80 00:00:00 GMT", T2015), 0);
  assert_int_equal(rgs_est_retry_after("Thursday, 22-Oct-15 07:28:00 GMT", T2015), 86400);
  /* Not HTTP-dates: wrong case, wrong names, out of range, trailing text,
   * the formats curl_getdate() would also take. */
  assert_int_equal(rgs_est_retry_after("Wed, 21 Oct 2015 07:28:00 gmt", 0), -1);
  assert_int_equal(rgs_est_retry_after("wed, 21 Oct 2015 07:28:00 GMT", 0), -1);
  assert_int_equal(rgs_est_retry_after("Wed, 21 Okt 2015 07:28:00 GMT", 0), -1);
  assert_int_equal(rgs_est_retry_after("Wed, 32 Oct 2015 07:28:00 GMT", 0), -1);
  assert_int_equal(rgs_est_retry_after("Fri, 29 Feb 2019 00:00:00 GMT", 0), -1);
  assert_int_equal(rgs_est_retry_after("Wed, 21 Oct 2015 24:00:00 GMT", 0), -1);
  assert_int_equal(rgs_est_retry_after("Wed, 21 Oct 2015 07:60:00 GMT", 0), -1);
  assert_int_equal(rgs_est_retry_after("Wed, 21 Oct 2015 07:28:00 GMT x", 0), -1);
  assert_int_equal(rgs_est_retry_after("Wed, 21 Oct 15 07:28:00 GMT", 0), -1);
  assert_int_equal(rgs_est_retry_after("Wed, 21 Oct 2015 07:28 GMT", 0), -1);
  assert_int_equal(rgs_est_retry_after("Wed, 21 Oct 2015 07:28:00 +0000", 0), -1);
  assert_int_equal(rgs_est_retry_after("2015-10-21T07:28:00Z", 0), -1);
  assert_int_equal(rgs_est_retry_after("tomorrow", 0), -1);
  assert_int_equal(rgs_est_retry_after("Wed, 21 Oct 99999 07:28:00 GMT", 0), -1);
}

/* Hostile Retry-After values from the server itself. */
static void test_202_hostile_retry_after(void **state)
{
  fixture *f = *state;
  STACK_OF(X509) *certs = NULL;
  rgs_est_info info;

  start(f, "202 99999999999999999999\n202 Fri, 31 Dec 9999 23:59:59 GMT\n"
           "202 Thu, 01 Jan 1970 00:00:00 GMT\n202 0\n");
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_PENDING);
  assert_int_equal(info.retry_after, MONTH);
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_PENDING);
  assert_int_equal(info.retry_after, MONTH);
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_PENDING);
  assert_int_equal(info.retry_after, 0);
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_PENDING);
  assert_int_equal(info.retry_after, 0);
  assert_null(certs);
}

/* Over the size limit the answer is "too large", with or without a
 * Content-Length, never "not a PKCS#7 bundle". */
static void test_body_too_large(void **state)
{
  fixture *f = *state;
  STACK_OF(X509) *certs = NULL;
  rgs_est_info info;
  rgs_est_rc rc;

  start(f, "huge\nhuge-nolength\n");
  rc = enroll(f, &certs, &info);
  assert_contains(rgs_est_strerror(rc), "too large");
  assert_contains(info.detail, "1048576");
  rc = enroll(f, &certs, &info);
  assert_contains(rgs_est_strerror(rc), "too large");
  assert_null(certs);
}

/* Nothing the server wrote reaches a message unsanitised: no control
 * character, no bidi override, no byte that is not UTF-8. */
static void assert_clean(const char *text)
{
  size_t i;

  if (!rgsx_is_clean(text, strlen(text)))
    fail_msg("not clean: %s", text);
  for (i = 0; text[i] != '\0'; i++)
    assert_true((unsigned char)text[i] >= 0x20 && (unsigned char)text[i] != 0x7F);
  assert_not_contains(text, "\xe2\x80\xae");
  assert_not_contains(text, "\xc2\x9b");
}

static void test_server_strings_sanitised(void **state)
{
  fixture *f = *state;
  STACK_OF(X509) *certs = NULL;
  rgs_est_info info;

  start(f, "hostile\nhostile-ctype\n");
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_ERR_REFUSED);
  assert_contains(info.detail, "denied");
  assert_contains(info.detail, "txt.exe");
  assert_clean(info.detail);
  assert_int_equal(enroll(f, &certs, &info), RGS_EST_ERR_CONTENT_TYPE);
  assert_contains(info.detail, "application/x-");
  assert_clean(info.detail);
  assert_null(certs);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_cacerts, setup, teardown),
    cmocka_unit_test_setup_teardown(test_200_with_and_without_cte_and_wrapping, setup, teardown),
    cmocka_unit_test_setup_teardown(test_202_then_200, setup, teardown),
    cmocka_unit_test_setup_teardown(test_401, setup, teardown),
    cmocka_unit_test_setup_teardown(test_400_and_500, setup, teardown),
    cmocka_unit_test_setup_teardown(test_wrong_content_type, setup, teardown),
    cmocka_unit_test_setup_teardown(test_garbage_bodies, setup, teardown),
    cmocka_unit_test_setup_teardown(test_untrusted_server, setup, teardown),
    cmocka_unit_test_setup_teardown(test_hanging_server_times_out, setup, teardown),
    cmocka_unit_test_setup_teardown(test_refused_connection, setup, teardown),
    cmocka_unit_test_setup_teardown(test_pieces, setup, teardown),
    cmocka_unit_test(test_retry_after_rfc9110),
    cmocka_unit_test_setup_teardown(test_202_hostile_retry_after, setup, teardown),
    cmocka_unit_test_setup_teardown(test_body_too_large, setup, teardown),
    cmocka_unit_test_setup_teardown(test_server_strings_sanitised, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
