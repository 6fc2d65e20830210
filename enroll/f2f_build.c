/* f2f_build.c - the intervention record made of the facts of a session. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

int rgs_f2f_doc_parse(const char *text, rgs_f2f_doc *out)
{
  static const struct {
    const char *word;
    rgs_f2f_doc doc;
  } words[] = {
    { "id-card", RGS_F2F_DOC_ID_CARD }, { "cni", RGS_F2F_DOC_ID_CARD },
    { "carte", RGS_F2F_DOC_ID_CARD }, { "carte-identite", RGS_F2F_DOC_ID_CARD },
    { "idcard", RGS_F2F_DOC_ID_CARD }, { "passport", RGS_F2F_DOC_PASSPORT },
    { "passeport", RGS_F2F_DOC_PASSPORT },
  };
  size_t i;

  for (i = 0; text != NULL && i < RGS_ARRAY_LEN(words); i++) {
    if (strcasecmp(text, words[i].word) == 0) {
      *out = words[i].doc;
      return 0;
    }
  }
  return -1;
}

const char *rgs_f2f_doc_name(rgs_f2f_doc d)
{
  switch (d) {
  case RGS_F2F_DOC_ID_CARD: return "id-card";
  case RGS_F2F_DOC_PASSPORT: return "passport";
  case RGS_F2F_DOC_NONE: break;
  }
  return NULL;
}

const char *rgs_f2f_doc_label(rgs_f2f_doc d)
{
  switch (d) {
  case RGS_F2F_DOC_ID_CARD: return _("identity card");
  case RGS_F2F_DOC_PASSPORT: return _("passport");
  case RGS_F2F_DOC_NONE: break;
  }
  return "";
}

static int opt_str(rgs_cj *o, const char *key, const char *value)
{
  return rgs_cj_set_str(o, key, value != NULL && value[0] != '\0' ? value : NULL);
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

static int add_check(rgs_cj *r, const rgs_f2f_facts *f)
{
  rgs_cj *c = rgs_cj_set_object(r, "check"), *arr, *e;
  size_t i, n = rgs_p11_report_count(f->report);
  int bad = c == NULL;

  if (bad)
    return -1;
  bad |= rgs_cj_set_bool(c, "passed", f->check_passed);
  bad |= rgs_cj_set_bool(c, "admitted_by_demo_policy", !f->check_passed && f->check_admitted);
  arr = rgs_cj_set_array(c, "criteria");
  if (arr == NULL)
    return -1;
  for (i = 0; i < n; i++) {
    const rgs_p11_criterion *cr = rgs_p11_report_get(f->report, i);
    e = rgs_cj_push_object(arr);
    if (e == NULL)
      return -1;
    bad |= rgs_cj_set_str(e, "id", cr->id);
    bad |= rgs_cj_set_str(e, "verdict", verdict_word(cr->verdict));
    bad |= rgs_cj_set_bool(e, "waived_by_demo_policy", cr->waived);
    bad |= rgs_cj_set_str(e, "evidence", cr->evidence);
  }
  return bad ? -1 : 0;
}

static int add_aed(rgs_cj *r, const rgs_f2f_facts *f)
{
  rgs_cj *a = rgs_cj_set_object(r, "aed"), *t;
  unsigned char *der = NULL, md[32];
  char *subject = NULL, *issuer = NULL, *serial = NULL;
  BIGNUM *bn = NULL;
  int n, bad = a == NULL;

  if (bad)
    return -1;
  bad |= opt_str(a, "name", f->aed_name);
  bad |= opt_str(a, "office", f->aed_office);
  bad |= opt_str(a, "office_id", f->aed_office_id);
  t = rgs_cj_set_object(a, "token");
  bad |= t == NULL;
  if (t != NULL) {
    bad |= opt_str(t, "manufacturer", f->aed_token_manufacturer);
    bad |= opt_str(t, "model", f->aed_token_model);
    bad |= opt_str(t, "serial", f->aed_token_serial);
  }
  if (f->aed_cert == NULL)
    return -1;
  n = i2d_X509(f->aed_cert, &der);
  if (n <= 0)
    return -1;
  SHA256(der, (size_t)n, md);
  OPENSSL_free(der);
  bad |= rgs_cj_set_hex(a, "certificate_sha256", md, sizeof(md));
  subject = rgs_subject_text(X509_get_subject_name(f->aed_cert));
  issuer = rgs_subject_text(X509_get_issuer_name(f->aed_cert));
  bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(f->aed_cert), NULL);
  serial = bn != NULL ? BN_bn2hex(bn) : NULL;
  bad |= subject == NULL || issuer == NULL || serial == NULL;
  if (!bad) {
    bad |= rgs_cj_set_str(a, "certificate_subject", subject);
    bad |= rgs_cj_set_str(a, "certificate_issuer", issuer);
    bad |= rgs_cj_set_str(a, "certificate_serial", serial);
  }
  OPENSSL_free(subject);
  OPENSSL_free(issuer);
  OPENSSL_free(serial);
  BN_free(bn);
  return bad ? -1 : 0;
}

static int add_steps(rgs_cj *r, const rgs_f2f_facts *f, int *success, int *failed)
{
  rgs_cj *arr = rgs_cj_set_array(r, "steps"), *e;
  int bad = arr == NULL;
  size_t i;

  *success = 1;
  *failed = -1;
  for (i = 0; !bad && i < RGS_F2F_N_STEPS; i++) {
    e = rgs_cj_push_object(arr);
    if (e == NULL)
      return -1;
    bad |= rgs_cj_set_str(e, "id", rgs_f2f_step_id((rgs_f2f_step)i));
    bad |= rgs_cj_set_str(e, "result", rgs_f2f_result_name(f->results[i]));
    bad |= opt_str(e, "detail", f->details[i]);
    if (f->results[i] != RGS_F2F_PASS)
      *success = 0;
    if (f->results[i] == RGS_F2F_FAIL && *failed < 0)
      *failed = (int)i;
  }
  return bad ? -1 : 0;
}

rgs_cj *rgs_f2f_record_build(const rgs_f2f_facts *f)
{
  rgs_cj *r = rgs_cj_new_object(), *o;
  unsigned char md[32];
  int bad = r == NULL, success = 0, failed = -1;

  if (bad || f == NULL)
    goto fail;
  bad |= rgs_cj_set_str(r, "format", RGS_F2F_FORMAT);
  bad |= rgs_cj_set_str(r, "tool", "rgs-enroll " RGS_VERSION);
  bad |= add_steps(r, f, &success, &failed);

  o = rgs_cj_set_object(r, "order");
  if (o == NULL)
    goto fail;
  bad |= rgs_cj_set_int(o, "id", f->order_id);
  bad |= opt_str(o, "ca_ref", f->ca_ref);
  bad |= opt_str(o, "partner", f->partner);
  bad |= opt_str(o, "product", f->product);
  bad |= rgs_cj_set_int(o, "validity_years", f->validity_years);

  o = rgs_cj_set_object(r, "holder");
  if (o == NULL)
    goto fail;
  bad |= opt_str(o, "first_name", f->first_name);
  bad |= opt_str(o, "last_name", f->last_name);
  bad |= opt_str(o, "email", f->email);

  o = rgs_cj_set_object(r, "company");
  if (o == NULL)
    goto fail;
  bad |= opt_str(o, "name", f->company);
  bad |= opt_str(o, "company_id", f->company_id);
  bad |= opt_str(o, "siren", f->siren);
  if (f->results[RGS_F2F_STEP_COMPANY] != RGS_F2F_NOT_DONE) {
    bad |= opt_str(o, "extract_date", f->extract_date);
    bad |= opt_str(o, "extract_last_day", f->extract_last_day);
  }

  o = rgs_cj_set_object(r, "token");
  if (o == NULL)
    goto fail;
  bad |= opt_str(o, "label", f->token_label);
  bad |= opt_str(o, "manufacturer", f->token_manufacturer);
  bad |= opt_str(o, "model", f->token_model);
  bad |= opt_str(o, "serial", f->token_serial);
  bad |= add_check(r, f);

  if (f->results[RGS_F2F_STEP_KEY] != RGS_F2F_NOT_DONE && f->spki != NULL) {
    o = rgs_cj_set_object(r, "key");
    if (o == NULL)
      goto fail;
    SHA256(f->spki, f->spki_len, md);
    bad |= rgs_cj_set_b64(o, "spki", f->spki, f->spki_len);
    bad |= rgs_cj_set_hex(o, "spki_sha256", md, sizeof(md));
    bad |= opt_str(o, "type", f->key_type);
    bad |= rgs_cj_set_int(o, "bits", f->key_bits);
    bad |= opt_str(o, "label", f->key_label);
    bad |= opt_str(o, "csr_sha256", f->csr_sha256_hex);
    bad |= rgs_cj_set_bool(o, "on_token", f->key_found);
  }

  if (f->results[RGS_F2F_STEP_POP] != RGS_F2F_NOT_DONE) {
    o = rgs_cj_set_object(r, "proof_of_possession");
    if (o == NULL)
      goto fail;
    bad |= opt_str(o, "nonce", f->nonce_hex);
    bad |= opt_str(o, "message", f->pop_message);
    if (f->pop_sig != NULL)
      bad |= rgs_cj_set_b64(o, "signature", f->pop_sig, f->pop_sig_len);
    else
      bad |= rgs_cj_set_null(o, "signature");
    bad |= rgs_cj_set_bool(o, "verified", f->pop_verified);
  }

  if (f->results[RGS_F2F_STEP_IDENTITY] != RGS_F2F_NOT_DONE) {
    o = rgs_cj_set_object(r, "identity");
    if (o == NULL)
      goto fail;
    bad |= opt_str(o, "document", rgs_f2f_doc_name(f->id_doc));
    bad |= opt_str(o, "name_as_printed", f->id_name);
    bad |= opt_str(o, "expires_on", f->id_expires);
    bad |= opt_str(o, "number_salt", f->id_number_given ? f->id_salt : NULL);
    /* f->id_hmac holds the scrypt digest (rgs_f2f_id_number_digest). */
    bad |= opt_str(o, "number_scrypt", f->id_number_given ? f->id_hmac : NULL);
    if (f->id_number_given) {
      bad |= opt_str(o, "number_kdf", "scrypt");
      bad |= rgs_cj_set_int(o, "number_kdf_n", RGS_F2F_KDF_N);
      bad |= rgs_cj_set_int(o, "number_kdf_r", RGS_F2F_KDF_R);
      bad |= rgs_cj_set_int(o, "number_kdf_p", RGS_F2F_KDF_P);
    } else {
      bad |= opt_str(o, "number_kdf", NULL);
    }
    bad |= opt_str(o, "number_last4", f->id_number_given ? f->id_last4 : NULL);
    bad |= rgs_cj_set_bool(o, "name_matches_order", f->id_name_matches);
    bad |= rgs_cj_set_bool(o, "valid_on_day", f->id_valid_on_day);
    bad |= rgs_cj_set_bool(o, "verified_in_person", f->id_verified_in_person);
  }

  if (add_aed(r, f) != 0)
    goto fail;

  o = rgs_cj_set_object(r, "intervention");
  if (o == NULL)
    goto fail;
  {
    char stamp[32];
    rgs_f2f_stamp(f->signed_at, stamp, sizeof(stamp));
    bad |= rgs_cj_set_str(o, "signed_at", stamp);
  }
  bad |= rgs_cj_set_str(o, "date", f->date);
  bad |= opt_str(o, "place", f->place);
  bad |= rgs_cj_set_str(o, "result", success ? "success" : "refused");
  bad |= opt_str(o, "failed_step", failed >= 0 ? rgs_f2f_step_id((rgs_f2f_step)failed) : NULL);
  bad |= opt_str(o, "reason", success ? NULL : f->reason);
  if (bad)
    goto fail;
  return r;

fail:
  rgs_cj_free(r);
  return NULL;
}
