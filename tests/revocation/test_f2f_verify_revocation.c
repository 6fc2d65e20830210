/* SPDX-License-Identifier: BSD-3-Clause */
/* test_f2f_verify_revocation.c - f2f verify asks about the AED certificate
 * that signed the record, through the real rgs-enroll: the AED certificate
 * names an OCSP responder of the test CA (`openssl ocsp` on 127.0.0.1) and
 * the record is signed in software (the face-to-face tests' facts). Good:
 * a valid record; revoked before the record was signed: not valid, exit 1,
 * with the date; no answer: said unknown, the record still valid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "f2f.h"
#include "f2f_facts.h"
#include "f2f_pki.h"
#include "rev_fixture.h"
#include "rgs_common.h"
#include "rgs_order.h"
#include "rgs_test.h"

/* Any OID of the 2.25 (UUID) arc: the trust list below asks for it. */
#define AED_POLICY "2.25.88214955096315620440155407062532163101"

typedef struct {
  rev_fixture rev;
  EVP_PKEY *holder_key, *aed_key;
  char *dir;
  char trust[600], db[600], rec[600];
} fixture;

static const char *const env[] = { "RGS_ENROLL_REVOCATION_TIMEOUT_MS=2000", "http_proxy=",
                                   "HTTP_PROXY=", "all_proxy=", "ALL_PROXY=", NULL };

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));
  char text[512];

  assert_non_null(f);
  assert_int_equal(rev_fixture_init(&f->rev), 0);
  f->holder_key = pki_key("ec");
  f->aed_key = pki_key("ec");
  assert_non_null(f->holder_key);
  assert_non_null(f->aed_key);
  f->dir = rgs_tmpdir();
  snprintf(f->trust, sizeof(f->trust), "%s/aed-trust.conf", f->dir);
  snprintf(f->db, sizeof(f->db), "%s/no-store.db", f->dir);      /* never made */
  snprintf(f->rec, sizeof(f->rec), "%s/record.p7m", f->dir);
  snprintf(text, sizeof(text),
           "[aed \"AEDs of the revocation test CA\"]\n"
           "issuer = C=FR, O=RGS Test PKI, CN=Rev Issuing CA\n"
           "policy = %s\n",
           AED_POLICY);
  assert_int_equal(rgs_write_file(f->trust, text), 0);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  EVP_PKEY_free(f->holder_key);
  EVP_PKEY_free(f->aed_key);
  rgs_rmrf(f->dir);
  free(f->dir);
  rev_fixture_cleanup(&f->rev);
  free(f);
  return 0;
}

/* The sample's face-to-face moved to today, signed two minutes ago: the
 * test CA's certificates are valid from yesterday only. */
static void move_to_today(f2f_sample *s, EVP_PKEY *holder, char *extract, size_t len)
{
  time_t now = time(NULL);
  struct tm tm;

  gmtime_r(&now, &tm);
  strftime(s->f.date, sizeof(s->f.date), "%Y-%m-%d", &tm);
  snprintf(extract, len, "%s", s->f.date);
  s->f.extract_date = extract;
  rgs_order_date_last_day_under(extract, RGS_ORDER_EXTRACT_MONTHS, s->f.extract_last_day,
                                sizeof(s->f.extract_last_day));
  s->f.signed_at = now - 120;
  free(s->pop_msg);
  free(s->pop_sig);
  s->pop_msg = rgs_f2f_pop_message(12, s->spki_hex, s->f.nonce_hex, s->f.date);
  assert_non_null(s->pop_msg);
  assert_int_equal(pki_sign(holder, (const unsigned char *)s->pop_msg, strlen(s->pop_msg),
                            &s->pop_sig, &s->pop_sig_len),
                   0);
  s->f.pop_message = s->pop_msg;
  s->f.pop_sig = s->pop_sig;
  s->f.pop_sig_len = s->pop_sig_len;
}

/* A record signed by an AED certificate of the test CA with this serial
 * and OCSP responder, written to f->rec (DER). */
static void write_record(fixture *f, const char *serial, const char *ocsp_url)
{
  X509 *aed = rev_aed(&f->rev, f->aed_key, serial, ocsp_url, AED_POLICY);
  STACK_OF(X509) *chain = sk_X509_new_null();
  unsigned char *der = NULL;
  char extract[16], err[512] = "", *text = NULL;
  size_t len = 0, n = 0;
  f2f_sample s;
  rgs_cj *rec;
  FILE *out;

  assert_non_null(aed);
  assert_non_null(chain);
  assert_true(sk_X509_push(chain, f->rev.ca.cert) > 0);
  f2f_sample_init(&s, f->holder_key, aed);
  move_to_today(&s, f->holder_key, extract, sizeof(extract));
  assert_int_equal(rgs_f2f_id_number_digest("X4RTBPFW4", s.f.id_salt, s.f.id_hmac, s.f.id_last4), 0);
  s.f.id_number_given = 1;
  s.f.aed_name = "Jean DUPONT";        /* the CN of rev_aed's certificates */
  rec = rgs_f2f_record_build(&s.f);
  assert_non_null(rec);
  assert_int_equal(rgs_cj_serialize(rec, &text, &n), 0);
  if (rgs_f2f_cms_sign((const unsigned char *)text, n, aed, chain, s.f.signed_at, pki_sign,
                       f->aed_key, &der, &len, err, sizeof(err)) != RGS_F2F_OK)
    fail_msg("sign: %s", err);
  out = fopen(f->rec, "wb");
  assert_non_null(out);
  assert_int_equal(fwrite(der, 1, len, out), len);
  assert_int_equal(fclose(out), 0);
  free(der);
  free(text);
  rgs_cj_free(rec);
  f2f_sample_free(&s);
  sk_X509_free(chain);
  X509_free(aed);
}

/* rgs-enroll [--json] f2f verify RECORD against the test AEDs. */
static void verify(rgs_run_result *r, const fixture *f, int json)
{
  const char *args[16];
  size_t n = 0;

  args[n++] = "--db";
  args[n++] = f->db;
  args[n++] = "--aed-trust";
  args[n++] = f->trust;
  if (json)
    args[n++] = "--json";
  args[n++] = "f2f";
  args[n++] = "verify";
  args[n++] = f->rec;
  args[n++] = "--ca-file";
  args[n++] = f->rev.root_file;
  args[n] = NULL;
  assert_int_equal(rgs_enroll_v(r, env, NULL, args), 0);
}

static void test_aed_good(void **state)
{
  fixture *f = *state;
  char url[128];
  rgs_run_result r;

  rev_responder_url(&f->rev, REV_RESP_CA, url, sizeof(url));
  write_record(f, REV_SERIAL_GOOD, url);
  verify(&r, f, 1);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "signer_listed_aed", "true");
  rgs_assert_json(r.out, "revocation.status", "good");
  rgs_assert_json(r.out, "revocation.source", "ocsp");
  rgs_run_free(&r);
  verify(&r, f, 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "AED revocation: not revoked (answer of the OCSP service");
  assert_contains(r.out, "Result: VALID record of a successful face-to-face.");
  rgs_run_free(&r);
}

/* Revoked on 2026-01-01, before the record was signed: the signature is
 * not the AED's to trust, and the result line says so, with the date. */
static void test_aed_revoked_before_signing(void **state)
{
  fixture *f = *state;
  char url[128];
  rgs_run_result r;

  rev_responder_url(&f->rev, REV_RESP_DELEGATED, url, sizeof(url));
  write_record(f, REV_SERIAL_REVOKED, url);
  verify(&r, f, 1);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  rgs_assert_json(r.out, "ok", "false");
  rgs_assert_json(r.out, "revocation.status", "revoked");
  rgs_assert_json(r.out, "revocation.revoked_at", "2026-01-01T12:00:00Z");
  rgs_assert_json(r.out, "revocation.reason", "keyCompromise");
  rgs_run_free(&r);
  verify(&r, f, 0);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.out, "Result: the record is NOT valid: the AED's certificate was revoked on ");
  assert_contains(r.out, "2026");
  assert_contains(r.out, ", before the record was signed.");
  assert_not_contains(r.out, "valid but does not match");
  rgs_run_free(&r);
}

/* No answer (connection refused): unknown, said; the record stays valid. */
static void test_aed_unknown_offline(void **state)
{
  fixture *f = *state;
  char url[128];
  rgs_run_result r;

  rev_refused_url(&f->rev, url, sizeof(url));
  write_record(f, REV_SERIAL_GOOD, url);
  verify(&r, f, 1);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "revocation.status", "unknown");
  rgs_assert_json(r.out, "revocation.source", "ocsp");
  rgs_run_free(&r);
  verify(&r, f, 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "AED revocation: unknown: the revocation service cannot be reached");
  assert_contains(r.out, "Result: VALID record of a successful face-to-face.");
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_aed_good),
    cmocka_unit_test(test_aed_revoked_before_signing),
    cmocka_unit_test(test_aed_unknown_offline),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
