/* SPDX-License-Identifier: BSD-3-Clause */
/* f2f_build.c - the intervention record made of the facts of a session. */
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/sha.h>
#include "f2f.h"
#include "steps.h"

#ifndef RGS_VERSION
#define RGS_VERSION "?"
#endif

const char *rgs_f2f_result_name(rgs_f2f_result r)
{
  switch (r) {
  case RGS_F2F_NOT_DONE: return "not-done";
  case RGS_F2F_PASS: return "pass";
  case RGS_F2F_FAIL: return "fail";
  }
  return "not-done";
}

/* The record is built whole or thrown away: each addition keeps the first
 * failure in *rc, and an addition to an object that could not be made
 * fails in turn (RGS_CJ_ERR_TYPE, after the first failure). */
static void keep(rgs_cj_rc *rc, rgs_cj_rc now)
{
  if (*rc == RGS_CJ_OK)
    *rc = now;
}

/* A member object; NULL (and *rc set) when it could not be made. */
static rgs_cj *member(rgs_cj *parent, const char *key, rgs_cj_rc *rc)
{
  rgs_cj *o = rgs_cj_set_object(parent, key);

  if (o == NULL)
    keep(rc, RGS_CJ_ERR_NOMEM);
  return o;
}

/* A string member, null when value is NULL or empty. */
static void opt_str(rgs_cj *o, const char *key, const char *value, rgs_cj_rc *rc)
{
  keep(rc, rgs_cj_set_str(o, key, value != NULL && value[0] != '\0' ? value : NULL));
}

static const char *verdict_word(rgs_p11_verdict v)
{
  switch (v) {
  case RGS_CHECK_PASS: return "pass";
  case RGS_CHECK_FAIL: return "fail";
  case RGS_CHECK_UNKNOWN: return "unknown";
  }
  return "unknown";
}

static void add_check(rgs_cj *r, const rgs_f2f_facts *f, rgs_cj_rc *rc)
{
  rgs_cj *c = member(r, "check", rc), *arr, *e;
  size_t i, n = rgs_p11_report_count(f->report);

  keep(rc, rgs_cj_set_bool(c, "passed", f->check_passed));
  keep(rc, rgs_cj_set_bool(c, "admitted_by_demo_policy", !f->check_passed && f->check_admitted));
  arr = rgs_cj_set_array(c, "criteria");
  if (arr == NULL) {
    keep(rc, RGS_CJ_ERR_NOMEM);
    return;
  }
  for (i = 0; *rc == RGS_CJ_OK && i < n; i++) {
    const rgs_p11_criterion *cr = rgs_p11_report_get(f->report, i);
    e = rgs_cj_push_object(arr);
    if (e == NULL)
      keep(rc, RGS_CJ_ERR_NOMEM);
    keep(rc, rgs_cj_set_str(e, "id", cr->id));
    keep(rc, rgs_cj_set_str(e, "verdict", verdict_word(cr->verdict)));
    keep(rc, rgs_cj_set_bool(e, "waived_by_demo_policy", cr->waived));
    keep(rc, rgs_cj_set_str(e, "evidence", cr->evidence));
  }
}

/* What identifies the AED's certificate: its hash, subject, issuer and
 * serial. */
static void add_aed_cert(rgs_cj *a, X509 *cert, rgs_cj_rc *rc)
{
  unsigned char *der = NULL, md[32];
  char *subject = NULL, *issuer = NULL, *serial = NULL;
  BIGNUM *bn = NULL;
  int n;

  if (cert == NULL) {
    keep(rc, RGS_CJ_ERR_TYPE);
    return;
  }
  n = i2d_X509(cert, &der);
  if (n <= 0) {
    keep(rc, RGS_CJ_ERR_NOMEM);
    return;
  }
  SHA256(der, (size_t)n, md);
  OPENSSL_free(der);
  keep(rc, rgs_cj_set_hex(a, "certificate_sha256", md, sizeof(md)));
  subject = rgs_subject_text(X509_get_subject_name(cert));
  issuer = rgs_subject_text(X509_get_issuer_name(cert));
  bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
  serial = bn != NULL ? BN_bn2hex(bn) : NULL;
  if (subject == NULL || issuer == NULL || serial == NULL)
    keep(rc, RGS_CJ_ERR_NOMEM);
  if (*rc == RGS_CJ_OK) {
    keep(rc, rgs_cj_set_str(a, "certificate_subject", subject));
    keep(rc, rgs_cj_set_str(a, "certificate_issuer", issuer));
    keep(rc, rgs_cj_set_str(a, "certificate_serial", serial));
  }
  OPENSSL_free(subject);
  OPENSSL_free(issuer);
  OPENSSL_free(serial);
  BN_free(bn);
}

static void add_aed(rgs_cj *r, const rgs_f2f_facts *f, rgs_cj_rc *rc)
{
  rgs_cj *a = member(r, "aed", rc), *t;

  opt_str(a, "name", f->aed_name, rc);
  opt_str(a, "office", f->aed_office, rc);
  opt_str(a, "office_id", f->aed_office_id, rc);
  t = member(a, "token", rc);
  opt_str(t, "manufacturer", f->aed_token_manufacturer, rc);
  opt_str(t, "model", f->aed_token_model, rc);
  opt_str(t, "serial", f->aed_token_serial, rc);
  add_aed_cert(a, f->aed_cert, rc);
}

/* The steps; *success when all passed, *failed the first that failed
 * (RGS_F2F_N_STEPS: none). */
static void add_steps(rgs_cj *r, const rgs_f2f_facts *f, int *success, size_t *failed,
                      rgs_cj_rc *rc)
{
  rgs_cj *arr = rgs_cj_set_array(r, "steps"), *e;
  size_t i;

  *success = 1;
  *failed = RGS_F2F_N_STEPS;
  if (arr == NULL)
    keep(rc, RGS_CJ_ERR_NOMEM);
  for (i = 0; *rc == RGS_CJ_OK && i < RGS_F2F_N_STEPS; i++) {
    e = rgs_cj_push_object(arr);
    if (e == NULL)
      keep(rc, RGS_CJ_ERR_NOMEM);
    keep(rc, rgs_cj_set_str(e, "id", rgs_f2f_step_id((rgs_f2f_step)i)));
    keep(rc, rgs_cj_set_str(e, "result", rgs_f2f_result_name(f->results[i])));
    opt_str(e, "detail", f->details[i], rc);
    if (f->results[i] != RGS_F2F_PASS)
      *success = 0;
    if (f->results[i] == RGS_F2F_FAIL && *failed == RGS_F2F_N_STEPS)
      *failed = i;
  }
}

/* The order, its holder and company, and the holder's token. */
static void add_order(rgs_cj *r, const rgs_f2f_facts *f, rgs_cj_rc *rc)
{
  rgs_cj *o = member(r, "order", rc);

  keep(rc, rgs_cj_set_int(o, "id", f->order_id));
  opt_str(o, "ca_ref", f->ca_ref, rc);
  opt_str(o, "partner", f->partner, rc);
  opt_str(o, "product", f->product, rc);
  keep(rc, rgs_cj_set_int(o, "validity_years", f->validity_years));

  o = member(r, "holder", rc);
  opt_str(o, "first_name", f->first_name, rc);
  opt_str(o, "last_name", f->last_name, rc);
  opt_str(o, "email", f->email, rc);

  o = member(r, "company", rc);
  opt_str(o, "name", f->company, rc);
  opt_str(o, "company_id", f->company_id, rc);
  opt_str(o, "siren", f->siren, rc);
  if (f->results[RGS_F2F_STEP_COMPANY] != RGS_F2F_NOT_DONE) {
    opt_str(o, "extract_date", f->extract_date, rc);
    opt_str(o, "extract_last_day", f->extract_last_day, rc);
  }

  o = member(r, "token", rc);
  opt_str(o, "label", f->token_label, rc);
  opt_str(o, "manufacturer", f->token_manufacturer, rc);
  opt_str(o, "model", f->token_model, rc);
  opt_str(o, "serial", f->token_serial, rc);
}

static void add_key(rgs_cj *r, const rgs_f2f_facts *f, rgs_cj_rc *rc)
{
  rgs_cj *o = member(r, "key", rc);
  unsigned char md[32];

  SHA256(f->spki, f->spki_len, md);
  keep(rc, rgs_cj_set_b64(o, "spki", f->spki, f->spki_len));
  keep(rc, rgs_cj_set_hex(o, "spki_sha256", md, sizeof(md)));
  opt_str(o, "type", f->key_type, rc);
  keep(rc, rgs_cj_set_int(o, "bits", f->key_bits));
  opt_str(o, "label", f->key_label, rc);
  opt_str(o, "csr_sha256", f->csr_sha256_hex, rc);
  keep(rc, rgs_cj_set_bool(o, "on_token", f->key_found));
}

static void add_pop(rgs_cj *r, const rgs_f2f_facts *f, rgs_cj_rc *rc)
{
  rgs_cj *o = member(r, "proof_of_possession", rc);

  opt_str(o, "nonce", f->nonce_hex, rc);
  opt_str(o, "message", f->pop_message, rc);
  if (f->pop_sig != NULL)
    keep(rc, rgs_cj_set_b64(o, "signature", f->pop_sig, f->pop_sig_len));
  else
    keep(rc, rgs_cj_set_null(o, "signature"));
  keep(rc, rgs_cj_set_bool(o, "verified", f->pop_verified));
}

static void add_identity(rgs_cj *r, const rgs_f2f_facts *f, rgs_cj_rc *rc)
{
  rgs_cj *o = member(r, "identity", rc);

  opt_str(o, "document", rgs_f2f_doc_name(f->id_doc), rc);
  opt_str(o, "name_as_printed", f->id_name, rc);
  opt_str(o, "expires_on", f->id_expires, rc);
  opt_str(o, "number_salt", f->id_number_given ? f->id_salt : NULL, rc);
  /* f->id_hmac holds the scrypt digest (rgs_f2f_id_number_digest). */
  opt_str(o, "number_scrypt", f->id_number_given ? f->id_hmac : NULL, rc);
  if (f->id_number_given) {
    opt_str(o, "number_kdf", "scrypt", rc);
    keep(rc, rgs_cj_set_int(o, "number_kdf_n", RGS_F2F_KDF_N));
    keep(rc, rgs_cj_set_int(o, "number_kdf_r", RGS_F2F_KDF_R));
    keep(rc, rgs_cj_set_int(o, "number_kdf_p", RGS_F2F_KDF_P));
  } else {
    opt_str(o, "number_kdf", NULL, rc);
  }
  opt_str(o, "number_last4", f->id_number_given ? f->id_last4 : NULL, rc);
  keep(rc, rgs_cj_set_bool(o, "name_matches_order", f->id_name_matches));
  keep(rc, rgs_cj_set_bool(o, "valid_on_day", f->id_valid_on_day));
  keep(rc, rgs_cj_set_bool(o, "verified_in_person", f->id_verified_in_person));
}

static void add_intervention(rgs_cj *r, const rgs_f2f_facts *f, int success, size_t failed,
                             rgs_cj_rc *rc)
{
  rgs_cj *o = member(r, "intervention", rc);
  char stamp[32];

  rgs_f2f_stamp(f->signed_at, stamp, sizeof(stamp));
  keep(rc, rgs_cj_set_str(o, "signed_at", stamp));
  keep(rc, rgs_cj_set_str(o, "date", f->date));
  opt_str(o, "place", f->place, rc);
  keep(rc, rgs_cj_set_str(o, "result", success ? "success" : "refused"));
  opt_str(o, "failed_step",
          failed < RGS_F2F_N_STEPS ? rgs_f2f_step_id((rgs_f2f_step)failed) : NULL, rc);
  opt_str(o, "reason", success ? NULL : f->reason, rc);
}

rgs_cj_rc rgs_f2f_record_make(const rgs_f2f_facts *f, rgs_cj **out)
{
  rgs_cj *r = NULL;
  rgs_cj_rc rc = RGS_CJ_OK;
  size_t failed = RGS_F2F_N_STEPS;
  int success = 0;

  *out = NULL;
  if (f == NULL)
    return RGS_CJ_ERR_TYPE;
  r = rgs_cj_new_object();
  if (r == NULL)
    return RGS_CJ_ERR_NOMEM;
  keep(&rc, rgs_cj_set_str(r, "format", RGS_F2F_FORMAT));
  keep(&rc, rgs_cj_set_str(r, "tool", "rgs-enroll " RGS_VERSION));
  add_steps(r, f, &success, &failed, &rc);
  add_order(r, f, &rc);
  add_check(r, f, &rc);
  if (f->results[RGS_F2F_STEP_KEY] != RGS_F2F_NOT_DONE && f->spki != NULL)
    add_key(r, f, &rc);
  if (f->results[RGS_F2F_STEP_POP] != RGS_F2F_NOT_DONE)
    add_pop(r, f, &rc);
  if (f->results[RGS_F2F_STEP_IDENTITY] != RGS_F2F_NOT_DONE)
    add_identity(r, f, &rc);
  add_aed(r, f, &rc);
  add_intervention(r, f, success, failed, &rc);
  if (rc != RGS_CJ_OK) {
    rgs_cj_free(r);
    return rc;
  }
  *out = r;
  return RGS_CJ_OK;
}

rgs_cj *rgs_f2f_record_build(const rgs_f2f_facts *f)
{
  rgs_cj *r = NULL;

  return rgs_f2f_record_make(f, &r) == RGS_CJ_OK ? r : NULL;
}
