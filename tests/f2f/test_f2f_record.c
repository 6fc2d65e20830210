/* SPDX-License-Identifier: BSD-3-Clause */
/* test_f2f_record.c - the intervention record in process: its canonical JSON
 * (one spelling, everything else refused), the identity number digest, the
 * CMS signature made through a callback, and verification that tells a
 * valid record from an altered, untrusted or self-contradicting one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include "rgs_test.h"
#include "f2f.h"
#include "f2f_facts.h"
#include "f2f_pki.h"
#include "rgs_common.h"

/* ---- canonical JSON ---------------------------------------------------------- */

static char *serial(const rgs_cj *v)
{
  char *text = NULL;
  size_t len = 0;

  assert_int_equal(rgs_cj_serialize(v, &text, &len), 0);
  assert_int_equal(strlen(text), len);
  return text;
}

static void test_canonical_form(void **state)
{
  rgs_cj *o = rgs_cj_new_object(), *inner, *arr;
  char *text;

  (void)state;
  /* Inserted in any order, written sorted; accents as they are; the
   * controls escaped; integers plain. */
  assert_int_equal(rgs_cj_set_str(o, "zeta", "Frédéric SENEZ"), 0);
  assert_int_equal(rgs_cj_set_int(o, "alpha", -42), 0);
  assert_int_equal(rgs_cj_set_str(o, "Beta", "a\"b\\c\n\t\x01/\x7f"), 0);
  inner = rgs_cj_set_object(o, "mid");
  assert_non_null(inner);
  assert_int_equal(rgs_cj_set_bool(inner, "y", 1), 0);
  assert_int_equal(rgs_cj_set_null(inner, "x"), 0);
  arr = rgs_cj_set_array(o, "list");
  assert_int_equal(rgs_cj_push_str(arr, "€"), 0);
  assert_non_null(rgs_cj_push_object(arr));
  assert_int_equal(rgs_cj_set_int(o, "alpha", 7), 0);        /* replaced, not duplicated */
  text = serial(o);
  assert_string_equal(text, "{\"Beta\":\"a\\\"b\\\\c\\n\\t\\u0001/\x7f\",\"alpha\":7,"
                            "\"list\":[\"€\",{}],\"mid\":{\"x\":null,\"y\":true},"
                            "\"zeta\":\"Frédéric SENEZ\"}");
  free(text);
  rgs_cj_free(o);
}

static void test_builder_refuses_bad_values(void **state)
{
  rgs_cj *o = rgs_cj_new_object();

  (void)state;
  assert_int_not_equal(rgs_cj_set_str(o, "k", "caf\xe9"), 0);        /* Latin-1, not UTF-8 */
  assert_int_not_equal(rgs_cj_set_str(o, "k", "\xed\xa0\x80"), 0);   /* a surrogate */
  assert_int_not_equal(rgs_cj_set_str(o, "k", "\xc0\xaf"), 0);       /* overlong */
  assert_int_not_equal(rgs_cj_set_str(o, "clé", "v"), 0);            /* keys are ASCII */
  assert_int_not_equal(rgs_cj_set_str(o, "", "v"), 0);
  assert_int_not_equal(rgs_cj_set_int(o, "k", RGS_CJ_INT_MAX + 1), 0);
  assert_int_equal(rgs_cj_set_int(o, "k", -RGS_CJ_INT_MAX), 0);
  rgs_cj_free(o);
}

static void test_parser_accepts_canonical_only(void **state)
{
  static const char *const good[] = {
    "{}", "[]", "0", "-1", "9007199254740991", "\"\"", "null", "true",
    "{\"a\":[1,{\"b\":\"Ré\\u001f\"}],\"b\":false}",
    "\"tab\\there\"",
  };
  static const struct {
    const char *text;
    const char *why;
  } bad[] = {
    { "{ }", "white space" },
    { "{\"a\":1 }", "white space" },
    { "{\"b\":1,\"a\":2}", "canonical order" },
    { "{\"a\":1,\"a\":2}", "canonical order" },
    { "\"\\u00e9\"", "canonical form" },        /* é must be written as itself */
    { "\"\\u000A\"", "canonical" },             /* upper-case hex, and \n exists */
    { "\"\\u000a\"", "canonical form" },
    { "\"\\/\"", "canonical form" },
    { "1.5", "integers" },
    { "1e3", "integers" },
    { "01", "canonical form" },
    { "-0", "canonical form" },
    { "9007199254740992", "out of range" },
    { "\"caf\xe9\"", "UTF-8" },
    { "\"a\nb\"", "control character" },
    { "{\"a\":1}x", "trailing" },
    { "{\"a\":1", "expected" },
    { "[1,]", "unexpected" },
    { "tru", "unexpected" },
    { "", "unexpected end" },
    { "{\"\xc3\xa9\":1}", "ASCII" },
  };
  char err[256], deep[64];
  rgs_cj *v = NULL;
  char *again;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    if (rgs_cj_parse(good[i], strlen(good[i]), &v, err, sizeof(err)) != 0)
      fail_msg("refused %s: %s", good[i], err);
    again = serial(v);
    assert_string_equal(again, good[i]);        /* parse then write: the same bytes */
    free(again);
    rgs_cj_free(v);
  }
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    v = NULL;
    if (rgs_cj_parse(bad[i].text, strlen(bad[i].text), &v, err, sizeof(err)) == 0)
      fail_msg("accepted %s", bad[i].text);
    assert_null(v);
    if (strstr(err, bad[i].why) == NULL)
      fail_msg("%s: '%s' does not say '%s'", bad[i].text, err, bad[i].why);
  }
  /* Nesting is bounded. */
  memset(deep, '[', sizeof(deep));
  assert_int_not_equal(rgs_cj_parse(deep, sizeof(deep), &v, err, sizeof(err)), 0);
  assert_contains(err, "deep");
}

static void test_hex_and_base64_are_strict(void **state)
{
  unsigned char *p = NULL;
  size_t n = 0;

  (void)state;
  assert_int_equal(rgs_cj_unhex("00ff10", &p, &n), 0);
  assert_int_equal(n, 3);
  assert_int_equal(p[1], 0xff);
  free(p);
  assert_int_not_equal(rgs_cj_unhex("00FF", &p, &n), 0);
  assert_int_not_equal(rgs_cj_unhex("abc", &p, &n), 0);
  assert_int_equal(rgs_cj_unb64("aGk=", &p, &n), 0);
  assert_int_equal(n, 2);
  assert_memory_equal(p, "hi", 2);
  free(p);
  assert_int_not_equal(rgs_cj_unb64("aGl=", &p, &n), 0);     /* not the canonical spelling */
  assert_int_not_equal(rgs_cj_unb64("aG k", &p, &n), 0);
  assert_int_not_equal(rgs_cj_unb64("aGk", &p, &n), 0);
}

/* ---- the identity document number ---------------------------------------------- */

/* The identity object a record holds for a digest, with chosen KDF terms. */
static rgs_cj *identity_of(const char *salt, const char *md, const char *kdf, long long n,
                           long long r, long long p)
{
  rgs_cj *o = rgs_cj_new_object();

  assert_non_null(o);
  assert_int_equal(rgs_cj_set_str(o, "number_salt", salt), 0);
  assert_int_equal(rgs_cj_set_str(o, "number_scrypt", md), 0);
  assert_int_equal(rgs_cj_set_str(o, "number_kdf", kdf), 0);
  assert_int_equal(rgs_cj_set_int(o, "number_kdf_n", n), 0);
  assert_int_equal(rgs_cj_set_int(o, "number_kdf_r", r), 0);
  assert_int_equal(rgs_cj_set_int(o, "number_kdf_p", p), 0);
  return o;
}

static void test_id_number_digest(void **state)
{
  char salt[33], mac[65], last4[5], salt2[33], mac2[65], want[65];
  unsigned char *raw = NULL, md[32];
  size_t raw_len = 0;
  rgs_cj *id;

  (void)state;
  assert_int_equal(rgs_f2f_id_number_digest("x4rt bpf-w4", salt, mac, last4), 0);
  assert_string_equal(last4, "PFW4");
  assert_int_equal(strlen(salt), 32);
  assert_int_equal(strlen(mac), 64);
  assert_not_contains(mac, "X4RT");
  /* It is scrypt N=2^15 r=8 p=1 over the normalised number and the salt. */
  assert_int_equal(rgs_cj_unhex(salt, &raw, &raw_len), 0);
  assert_int_equal(raw_len, 16);
  assert_int_equal(EVP_PBE_scrypt("X4RTBPFW4", 9, raw, raw_len, 32768, 8, 1,
                                  64ULL * 1024 * 1024, md, sizeof(md)), 1);
  rgsx_hex(md, sizeof(md), want);
  assert_string_equal(mac, want);
  free(raw);
  /* Typed again, in another way: it matches; another number does not. */
  id = identity_of(salt, mac, "scrypt", 32768, 8, 1);
  assert_int_equal(rgs_f2f_id_kdf_acceptable(id), 1);
  assert_int_equal(rgs_f2f_id_number_matches("X4RTBPFW4", id), 1);
  assert_int_equal(rgs_f2f_id_number_matches("x4rt-bpfw4", id), 1);
  assert_int_equal(rgs_f2f_id_number_matches("X4RTBPFW5", id), 0);
  rgs_cj_free(id);
  /* Weaker or unknown parameters: nothing is computed, -1. */
  {
    static const struct {
      const char *kdf;
      long long n, r, p;
    } bad[] = {
      { "scrypt", 16384, 8, 1 }, { "scrypt", 32768, 4, 1 }, { "scrypt", 32768, 8, 0 },
      { "scrypt", 49152, 8, 1 },                  /* not a power of two */
      { "scrypt", 1LL << 20, 8, 1 },              /* beyond what a verifier affords */
      { "hmac-sha256", 32768, 8, 1 }, { "pbkdf2", 32768, 8, 1 },
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
      id = identity_of(salt, mac, bad[i].kdf, bad[i].n, bad[i].r, bad[i].p);
      assert_int_equal(rgs_f2f_id_kdf_acceptable(id), 0);
      assert_int_equal(rgs_f2f_id_number_matches("X4RTBPFW4", id), RGS_F2F_ID_NO_DIGEST);
      rgs_cj_free(id);
    }
  }
  /* A fresh salt each time: two records of the same number do not link. */
  assert_int_equal(rgs_f2f_id_number_digest("X4RTBPFW4", salt2, mac2, last4), 0);
  assert_string_not_equal(salt, salt2);
  assert_string_not_equal(mac, mac2);
  assert_true(rgs_f2f_id_number_valid("x4rt bpf-w4"));
  assert_false(rgs_f2f_id_number_valid("1234"));
  assert_int_not_equal(rgs_f2f_id_number_digest("1234", salt, mac, last4), 0);
  assert_int_not_equal(rgs_f2f_id_number_digest("12345678901234567890123456", salt, mac, last4), 0);
  assert_int_not_equal(rgs_f2f_id_number_digest("12345é", salt, mac, last4), 0);
}

/* ---- records, signed in software ------------------------------------------------- */

typedef struct {
  EVP_PKEY *ca_key, *aed_key, *holder_key, *other_ca_key;
  X509 *ca, *aed, *other_ca;
  rgs_f2f_aed_trust *trust, *other_trust;
  char dir[512], ca_pem[600], other_ca_pem[600];
  f2f_sample s;
} pki;

/* The AED trust list of the tests: the test CA's AED certificates (its
 * name and the demo policy), with ca_pem as the chain anchor. */
static rgs_f2f_aed_trust *aeds_of(const char *ca_pem)
{
  static const char text[] = "[aed \"test AEDs\"]\n"
                             "issuer = C=FR, O=Huissiers de Test, CN=Test CA\n"
                             "policy = " PKI_DEMO_AED_POLICY "\n";
  rgs_f2f_aed_trust *t = rgs_f2f_aed_trust_new();
  char err[512] = "";

  assert_non_null(t);
  if (rgs_f2f_aed_trust_load_mem(t, "test.conf", text, strlen(text), err, sizeof(err)) !=
          RGS_F2F_OK ||
      rgs_f2f_aed_trust_add_anchors(t, ca_pem, NULL, err, sizeof(err)) != RGS_F2F_OK)
    fail_msg("trust list: %s", err);
  return t;
}

static int setup(void **state)
{
  pki *p = calloc(1, sizeof(*p));

  assert_non_null(p);
  p->ca_key = pki_key("ec");
  p->aed_key = pki_key("rsa");
  p->holder_key = pki_key("ec");
  p->other_ca_key = pki_key("ec");
  p->ca = pki_cert("Test CA", p->ca_key, NULL, p->ca_key, 1, NULL, NULL);
  p->other_ca = pki_cert("Test CA", p->other_ca_key, NULL, p->other_ca_key, 1, NULL, NULL);
  p->aed = pki_cert("Jeanne DUPONT-LÉGER", p->aed_key, p->ca, p->ca_key, 0, NULL, NULL);
  assert_non_null(p->aed);
  {
    char *dir = rgs_tmpdir();
    snprintf(p->dir, sizeof(p->dir), "%s", dir);
    free(dir);
  }
  snprintf(p->ca_pem, sizeof(p->ca_pem), "%s/ca.pem", p->dir);
  snprintf(p->other_ca_pem, sizeof(p->other_ca_pem), "%s/other-ca.pem", p->dir);
  assert_int_equal(pki_write_pem(p->ca_pem, p->ca), 0);
  assert_int_equal(pki_write_pem(p->other_ca_pem, p->other_ca), 0);
  p->trust = aeds_of(p->ca_pem);
  p->other_trust = aeds_of(p->other_ca_pem);
  f2f_sample_init(&p->s, p->holder_key, p->aed);
  assert_int_equal(rgs_f2f_id_number_digest("X4RTBPFW4", p->s.f.id_salt, p->s.f.id_hmac, p->s.f.id_last4), 0);
  p->s.f.id_number_given = 1;
  *state = p;
  return 0;
}

static int teardown(void **state)
{
  pki *p = *state;

  f2f_sample_free(&p->s);
  rgs_f2f_aed_trust_free(p->trust);
  rgs_f2f_aed_trust_free(p->other_trust);
  rgs_rmrf(p->dir);
  X509_free(p->ca);
  X509_free(p->other_ca);
  X509_free(p->aed);
  EVP_PKEY_free(p->ca_key);
  EVP_PKEY_free(p->aed_key);
  EVP_PKEY_free(p->holder_key);
  EVP_PKEY_free(p->other_ca_key);
  free(p);
  return 0;
}

/* Build, serialise and sign the facts; *der to free(). */
static void sign_facts(pki *p, const rgs_f2f_facts *f, unsigned char **der, size_t *len)
{
  rgs_cj *rec = rgs_f2f_record_build(f);
  char *text, err[256] = "";
  size_t n;

  assert_non_null(rec);
  text = serial(rec);
  n = strlen(text);
  if (rgs_f2f_cms_sign((const unsigned char *)text, n, f->aed_cert, NULL, f->signed_at, pki_sign,
                       p->aed_key, der, len, err, sizeof(err)) != RGS_F2F_OK)
    fail_msg("sign: %s", err);
  free(text);
  rgs_cj_free(rec);
}

static rgs_f2f_rc verify(const unsigned char *der, size_t len, const rgs_f2f_aed_trust *trust,
                         char *err, size_t errlen, rgs_f2f_verified *v)
{
  return rgs_f2f_verify(der, len, trust, v, err, errlen);
}

static void test_signed_record_verifies(void **state)
{
  pki *p = *state;
  unsigned char *der = NULL, md[32];
  size_t len = 0;
  rgs_f2f_verified v;
  char err[512] = "";
  CMS_ContentInfo *cms;
  const unsigned char *q;

  sign_facts(p, &p->s.f, &der, &len);
  if (verify(der, len, p->trust, err, sizeof(err), &v) != RGS_F2F_OK)
    fail_msg("verify: %s", err);
  assert_true(v.signature_ok && v.chain_ok && v.consistent);
  assert_int_equal(v.signing_time, p->s.f.signed_at);
  assert_string_equal(rgs_cj_path_str(v.record, "intervention.result"), "success");
  assert_string_equal(rgs_cj_path_str(v.record, "intervention.signed_at"), "2026-03-10T10:10:00Z");
  assert_string_equal(rgs_cj_path_str(v.record, "holder.first_name"), "Frédéric");
  assert_string_equal(rgs_cj_path_str(v.record, "identity.number_last4"), "PFW4");
  assert_string_equal(rgs_cj_path_str(v.record, "key.spki_sha256"), p->s.spki_hex);
  assert_not_contains(v.content, "X4RTBPFW4");
  assert_not_contains(v.content, "\": ");         /* no white space outside strings... */
  assert_not_contains(v.content, ", \"");
  assert_not_contains(v.content, "\n");
  SHA256((const unsigned char *)v.content, v.content_len, md);
  assert_memory_equal(md, v.record_sha256, 32);
  /* ...and the CMS is what a verifier expects: SHA-256, signing time. */
  q = der;
  cms = d2i_CMS_ContentInfo(NULL, &q, (long)len);
  assert_non_null(cms);
  assert_int_equal(OBJ_obj2nid(CMS_get0_type(cms)), NID_pkcs7_signed);
  CMS_ContentInfo_free(cms);
  rgs_f2f_verified_clear(&v);
  free(der);
}

static void test_ec_aed_key_verifies(void **state)
{
  pki *p = *state;
  EVP_PKEY *ec = pki_key("ec");
  X509 *aed = pki_cert("AED EC", ec, p->ca, p->ca_key, 0, NULL, NULL);
  rgs_f2f_facts f = p->s.f;
  unsigned char *der = NULL;
  size_t len = 0;
  rgs_f2f_verified v;
  char err[512] = "", *text;
  rgs_cj *rec;

  f.aed_cert = aed;
  f.aed_name = "AED EC";
  rec = rgs_f2f_record_build(&f);
  text = serial(rec);
  assert_int_equal(rgs_f2f_cms_sign((const unsigned char *)text, strlen(text), aed, NULL,
                                    f.signed_at, pki_sign, ec, &der, &len, err, sizeof(err)),
                   RGS_F2F_OK);
  if (verify(der, len, p->trust, err, sizeof(err), &v) != RGS_F2F_OK)
    fail_msg("verify: %s", err);
  rgs_f2f_verified_clear(&v);
  free(der);
  free(text);
  rgs_cj_free(rec);
  X509_free(aed);
  EVP_PKEY_free(ec);
}

static void test_tampered_record_fails(void **state)
{
  pki *p = *state;
  unsigned char *der = NULL, *hit;
  size_t len = 0, i;
  rgs_f2f_verified v;
  char err[512] = "";

  sign_facts(p, &p->s.f, &der, &len);
  /* Change one letter of the holder's name inside the signed content. */
  hit = NULL;
  for (i = 0; i + 5 < len; i++)
    if (memcmp(der + i, "Senez", 5) == 0)
      hit = der + i;
  assert_non_null(hit);
  hit[0] = 'Z';
  assert_int_equal(verify(der, len, p->trust, err, sizeof(err), &v), RGS_F2F_ERR_SIGNATURE);
  assert_false(v.signature_ok);
  rgs_f2f_verified_clear(&v);
  /* Cut short: not a record at all. */
  assert_int_equal(verify(der, len / 2, p->trust, err, sizeof(err), &v), RGS_F2F_ERR_FORMAT);
  rgs_f2f_verified_clear(&v);
  free(der);
}

static void test_untrusted_signer_fails(void **state)
{
  pki *p = *state;
  unsigned char *der = NULL;
  size_t len = 0;
  rgs_f2f_verified v;
  char err[512] = "";

  sign_facts(p, &p->s.f, &der, &len);
  /* Another CA of the same name is not the AED's. */
  assert_int_equal(verify(der, len, p->other_trust, err, sizeof(err), &v), RGS_F2F_ERR_UNTRUSTED);
  assert_true(v.signature_ok);
  assert_false(v.chain_ok);
  assert_contains(err, "Jeanne");
  rgs_f2f_verified_clear(&v);
  /* Without a trust list the signer is not checked at all. */
  assert_int_equal(verify(der, len, NULL, err, sizeof(err), &v), RGS_F2F_OK);
  assert_false(v.chain_ok);
  rgs_f2f_verified_clear(&v);
  free(der);
}

static void test_chain_checked_at_signing_time(void **state)
{
  pki *p = *state;
  X509 *short_lived = pki_cert("AED 2026", p->aed_key, p->ca, p->ca_key, 0, "20260101000000Z",
                               "20260401000000Z");
  rgs_f2f_facts f = p->s.f;
  unsigned char *der = NULL;
  size_t len = 0;
  rgs_f2f_verified v;
  char err[512] = "";

  /* Valid on the day it signed, expired since: the record stays valid. */
  f.aed_cert = short_lived;
  f.aed_name = "AED 2026";
  sign_facts(p, &f, &der, &len);
  if (verify(der, len, p->trust, err, sizeof(err), &v) != RGS_F2F_OK)
    fail_msg("verify: %s", err);
  rgs_f2f_verified_clear(&v);
  free(der);
  /* Signed after the end of the certificate: refused. */
  f.signed_at = 1776000000;                     /* 2026-04-12 */
  sign_facts(p, &f, &der, &len);
  assert_int_equal(verify(der, len, p->trust, err, sizeof(err), &v), RGS_F2F_ERR_UNTRUSTED);
  assert_contains(err, "expired");
  rgs_f2f_verified_clear(&v);
  free(der);
  X509_free(short_lived);
}

/* A record whose signature is fine but whose content lies. */
static void expect_inconsistent(pki *p, const rgs_f2f_facts *f, const char *why)
{
  unsigned char *der = NULL;
  size_t len = 0;
  rgs_f2f_verified v;
  char err[512] = "";

  sign_facts(p, f, &der, &len);
  assert_int_equal(verify(der, len, p->trust, err, sizeof(err), &v), RGS_F2F_ERR_INCONSISTENT);
  assert_true(v.signature_ok && v.chain_ok);
  assert_contains(err, why);
  rgs_f2f_verified_clear(&v);
  free(der);
}

static void test_inconsistent_records_fail(void **state)
{
  pki *p = *state;
  rgs_f2f_facts f;
  EVP_PKEY *other = pki_key("rsa");
  X509 *other_aed = pki_cert("Someone Else", other, p->ca, p->ca_key, 0, NULL, NULL);
  unsigned char bad_sig[72];

  /* The proof of possession signed by another key. */
  f = p->s.f;
  memset(bad_sig, 1, sizeof(bad_sig));
  f.pop_sig = bad_sig;
  f.pop_sig_len = sizeof(bad_sig);
  expect_inconsistent(p, &f, "does not verify");
  /* A challenge for another order. */
  f = p->s.f;
  f.order_id = 13;
  expect_inconsistent(p, &f, "challenge");
  /* An identity document expired on the day, a success all the same. */
  f = p->s.f;
  f.id_expires = "2026-03-09";
  expect_inconsistent(p, &f, "identity document");
  /* An extract three months old. */
  f = p->s.f;
  f.extract_date = "2025-12-10";
  expect_inconsistent(p, &f, "three months");
  /* Signed by one AED, naming another. */
  {
    rgs_f2f_facts g = p->s.f;
    rgs_cj *rec;
    char *text, err[512] = "";
    unsigned char *der = NULL;
    size_t len = 0;
    rgs_f2f_verified v;
    g.aed_cert = other_aed;
    rec = rgs_f2f_record_build(&g);
    text = serial(rec);
    assert_int_equal(rgs_f2f_cms_sign((const unsigned char *)text, strlen(text), p->aed, NULL,
                                      g.signed_at, pki_sign, p->aed_key, &der, &len, err,
                                      sizeof(err)), RGS_F2F_OK);
    assert_int_equal(verify(der, len, p->trust, err, sizeof(err), &v), RGS_F2F_ERR_INCONSISTENT);
    assert_contains(err, "another AED certificate");
    rgs_f2f_verified_clear(&v);
    free(der);
    free(text);
    rgs_cj_free(rec);
  }
  X509_free(other_aed);
  EVP_PKEY_free(other);
}

/* Signed, trusted, but the document number is kept with a KDF the verifier
 * does not accept (weaker than scrypt N=2^15 r=8, or unknown). */
static void expect_kdf_refused(pki *p, const char *kdf, long long n, long long r)
{
  rgs_cj *rec = rgs_f2f_record_build(&p->s.f);
  rgs_cj *id;
  char *text, err[512] = "";
  unsigned char *der = NULL;
  size_t len = 0;
  rgs_f2f_verified v;

  assert_non_null(rec);
  id = (rgs_cj *)rgs_cj_path(rec, "identity");
  assert_non_null(id);
  assert_int_equal(rgs_cj_set_str(id, "number_kdf", kdf), 0);
  assert_int_equal(rgs_cj_set_int(id, "number_kdf_n", n), 0);
  assert_int_equal(rgs_cj_set_int(id, "number_kdf_r", r), 0);
  text = serial(rec);
  assert_int_equal(rgs_f2f_cms_sign((const unsigned char *)text, strlen(text), p->aed, NULL,
                                    p->s.f.signed_at, pki_sign, p->aed_key, &der, &len, err,
                                    sizeof(err)), RGS_F2F_OK);
  assert_int_equal(verify(der, len, p->trust, err, sizeof(err), &v), RGS_F2F_ERR_INCONSISTENT);
  assert_true(v.signature_ok && v.chain_ok);
  assert_contains(err, "key derivation");
  rgs_f2f_verified_clear(&v);
  free(der);
  free(text);
  rgs_cj_free(rec);
}

static void test_weak_or_unknown_kdf_is_refused(void **state)
{
  pki *p = *state;
  rgs_cj *rec = rgs_f2f_record_build(&p->s.f);

  /* What the builder writes. */
  assert_non_null(rec);
  assert_string_equal(rgs_cj_path_str(rec, "identity.number_kdf"), "scrypt");
  assert_int_equal(rgs_cj_path_int(rec, "identity.number_kdf_n", 0), 32768);
  assert_int_equal(rgs_cj_path_int(rec, "identity.number_kdf_r", 0), 8);
  assert_int_equal(rgs_cj_path_int(rec, "identity.number_kdf_p", 0), 1);
  assert_null(rgs_cj_path(rec, "identity.number_hmac_sha256"));
  rgs_cj_free(rec);
  expect_kdf_refused(p, "scrypt", 16384, 8);        /* N < 2^15 */
  expect_kdf_refused(p, "scrypt", 1024, 1);
  expect_kdf_refused(p, "scrypt", 32768, 1);        /* r < 8 */
  expect_kdf_refused(p, "hmac-sha256", 32768, 8);   /* unknown */
  expect_kdf_refused(p, "SCRYPT", 32768, 8);
}

/* The signer picks the signingTime: one later than now + 5 min is refused. */
static void test_future_signing_time_is_refused(void **state)
{
  pki *p = *state;
  rgs_f2f_facts f = p->s.f;
  unsigned char *der = NULL;
  size_t len = 0;
  rgs_f2f_verified v;
  char err[512] = "";
  time_t now = p->s.f.signed_at - 3600;        /* the record is an hour ahead */

  sign_facts(p, &f, &der, &len);
  assert_int_equal(rgs_f2f_verify_at(der, len, p->trust, now, &v, err, sizeof(err)),
                   RGS_F2F_ERR_UNTRUSTED);
  assert_contains(err, "later than now");
  rgs_f2f_verified_clear(&v);
  /* Within the clock skew: accepted; just beyond: refused. */
  assert_int_equal(rgs_f2f_verify_at(der, len, p->trust, p->s.f.signed_at - RGS_F2F_CLOCK_SKEW,
                                     &v, err, sizeof(err)), RGS_F2F_OK);
  rgs_f2f_verified_clear(&v);
  assert_int_equal(rgs_f2f_verify_at(der, len, p->trust,
                                     p->s.f.signed_at - RGS_F2F_CLOCK_SKEW - 1, &v, err,
                                     sizeof(err)), RGS_F2F_ERR_UNTRUSTED);
  rgs_f2f_verified_clear(&v);
  free(der);
  /* And against the real clock: signed a day from now. */
  f.signed_at = time(NULL) + 86400;
  sign_facts(p, &f, &der, &len);
  assert_int_equal(verify(der, len, p->trust, err, sizeof(err), &v), RGS_F2F_ERR_UNTRUSTED);
  assert_contains(err, "later than now");
  rgs_f2f_verified_clear(&v);
  free(der);
}

static void test_refused_record_is_consistent(void **state)
{
  pki *p = *state;
  rgs_f2f_facts f = p->s.f;
  unsigned char *der = NULL;
  size_t len = 0;
  rgs_f2f_verified v;
  char err[512] = "";

  /* The extract was too old: identity passed, company failed, AED signed. */
  f.results[RGS_F2F_STEP_COMPANY] = RGS_F2F_FAIL;
  snprintf(f.details[RGS_F2F_STEP_COMPANY], sizeof(f.details[0]), "extract too old");
  f.reason = f.details[RGS_F2F_STEP_COMPANY];
  sign_facts(p, &f, &der, &len);
  if (verify(der, len, p->trust, err, sizeof(err), &v) != RGS_F2F_OK)
    fail_msg("verify: %s", err);
  assert_string_equal(rgs_cj_path_str(v.record, "intervention.result"), "refused");
  assert_string_equal(rgs_cj_path_str(v.record, "intervention.failed_step"), "company");
  assert_string_equal(rgs_cj_path_str(v.record, "intervention.reason"), "extract too old");
  rgs_f2f_verified_clear(&v);
  free(der);
  /* A refusal at the key step: later steps not done and absent. */
  f = p->s.f;
  f.results[RGS_F2F_STEP_KEY] = RGS_F2F_FAIL;
  f.results[RGS_F2F_STEP_POP] = f.results[RGS_F2F_STEP_IDENTITY] =
      f.results[RGS_F2F_STEP_COMPANY] = RGS_F2F_NOT_DONE;
  snprintf(f.details[RGS_F2F_STEP_KEY], sizeof(f.details[0]), "not the key");
  f.reason = f.details[RGS_F2F_STEP_KEY];
  sign_facts(p, &f, &der, &len);
  if (verify(der, len, p->trust, err, sizeof(err), &v) != RGS_F2F_OK)
    fail_msg("verify: %s", err);
  assert_null(rgs_cj_path(v.record, "identity"));
  assert_null(rgs_cj_path(v.record, "proof_of_possession"));
  assert_string_equal(rgs_cj_path_str(v.record, "steps.0.id"), "token-check");
  rgs_f2f_verified_clear(&v);
  free(der);
  /* A refusal without its reason contradicts itself. */
  f.reason = NULL;
  expect_inconsistent(p, &f, "reason");
}

static void test_non_canonical_content_is_refused(void **state)
{
  pki *p = *state;
  static const char text[] = "{\"format\": \"rgs-enroll/f2f-record/1\"}";
  unsigned char *der = NULL;
  size_t len = 0;
  rgs_f2f_verified v;
  char err[512] = "";

  assert_int_equal(rgs_f2f_cms_sign((const unsigned char *)text, strlen(text), p->aed, NULL,
                                    p->s.f.signed_at, pki_sign, p->aed_key, &der, &len, err,
                                    sizeof(err)), RGS_F2F_OK);
  assert_int_equal(verify(der, len, p->trust, err, sizeof(err), &v), RGS_F2F_ERR_FORMAT);
  assert_contains(err, "canonical");
  rgs_f2f_verified_clear(&v);
  free(der);
}

static int failing_signer(void *ud, const unsigned char *data, size_t len, unsigned char **sig,
                          size_t *siglen)
{
  (void)ud;
  (void)data;
  (void)len;
  *sig = NULL;
  *siglen = 0;
  return -1;
}

static void test_signer_failures(void **state)
{
  pki *p = *state;
  EVP_PKEY *wrong = pki_key("rsa");
  unsigned char *der = NULL;
  size_t len = 0;
  char err[512] = "";

  assert_int_equal(rgs_f2f_cms_sign((const unsigned char *)"{}", 2, p->aed, NULL, 0,
                                    failing_signer, NULL, &der, &len, err, sizeof(err)),
                   RGS_F2F_ERR_SIGNER);
  assert_null(der);
  /* A token that signs with another key than the certificate's: caught. */
  assert_int_equal(rgs_f2f_cms_sign((const unsigned char *)"{}", 2, p->aed, NULL, 0, pki_sign,
                                    wrong, &der, &len, err, sizeof(err)),
                   RGS_F2F_ERR_SIGNER);
  assert_null(der);
  EVP_PKEY_free(wrong);
}

static void test_qr_text_and_pdf(void **state)
{
  pki *p = *state;
  rgs_cj *rec = rgs_f2f_record_build(&p->s.f);
  unsigned char sha[32];
  char *qr, path[600], *dir = rgs_tmpdir(), err[256] = "", want[400];
  size_t n = 0;
  char *pdf;

  memset(sha, 0xab, sizeof(sha));
  qr = rgs_f2f_qr_text(rec, sha);
  snprintf(want, sizeof(want), "RGS-F2F/1;order=12;ref=CMD-2026-0042;spki=%s;record=%s;result=success",
           p->s.spki_hex, "abababababababababababababababababababababababababababababababab");
  assert_string_equal(qr, want);
  snprintf(path, sizeof(path), "%s/fiche.pdf", dir);
  if (rgs_f2f_pdf_write(rec, sha, path, err, sizeof(err)) != 0)
    fail_msg("pdf: %s", err);
  pdf = rgs_read_file(path, &n);
  assert_non_null(pdf);
  assert_true(n > 1000);
  assert_memory_equal(pdf, "%PDF-", 5);
  free(pdf);
  /* A refusal prints too, with its reason. */
  {
    rgs_f2f_facts g = p->s.f;
    rgs_cj *refused;
    g.results[RGS_F2F_STEP_IDENTITY] = RGS_F2F_FAIL;
    g.results[RGS_F2F_STEP_COMPANY] = RGS_F2F_NOT_DONE;
    snprintf(g.details[RGS_F2F_STEP_IDENTITY], sizeof(g.details[0]), "the identity card expired");
    g.reason = g.details[RGS_F2F_STEP_IDENTITY];
    /* A CA reference that tries to add a field to the QR text of a refusal. */
    g.ca_ref = "X;result=success";
    refused = rgs_f2f_record_build(&g);
    assert_non_null(refused);
    {
      char *forged = rgs_f2f_qr_text(refused, sha);
      assert_non_null(forged);
      if (strstr(forged, ";result=success") != NULL || strstr(forged, "ref=X%3Bresult%3Dsuccess;") == NULL)
        fail_msg("QR text of a refusal: %s", forged);
      free(forged);
    }
    snprintf(path, sizeof(path), "%s/refused.pdf", dir);
    if (rgs_f2f_pdf_write(refused, sha, path, err, sizeof(err)) != 0)
      fail_msg("pdf: %s", err);
    rgs_cj_free(refused);
  }
  /* An unwritable place: an error, no crash. */
  snprintf(path, sizeof(path), "%s/no/such/dir/fiche.pdf", dir);
  assert_int_not_equal(rgs_f2f_pdf_write(rec, sha, path, err, sizeof(err)), 0);
  assert_true(err[0] != '\0');
  rgs_rmrf(dir);
  free(dir);
  free(qr);
  rgs_cj_free(rec);
}

/* ---- who counts as an AED --------------------------------------------------------- */

/* facts signed by cert (key), verified against trust; returns the result. */
static rgs_f2f_rc sign_as(pki *p, const rgs_f2f_facts *f, X509 *cert, EVP_PKEY *key,
                          const rgs_f2f_aed_trust *trust, rgs_f2f_verified *v, char *err,
                          size_t errlen)
{
  rgs_f2f_facts g = *f;
  rgs_cj *rec;
  char *text, serr[256] = "";
  unsigned char *der = NULL;
  size_t len = 0;
  rgs_f2f_rc rc;

  (void)p;
  g.aed_cert = cert;
  rec = rgs_f2f_record_build(&g);
  assert_non_null(rec);
  text = serial(rec);
  if (rgs_f2f_cms_sign((const unsigned char *)text, strlen(text), cert, NULL, g.signed_at,
                       pki_sign, key, &der, &len, serr, sizeof(serr)) != RGS_F2F_OK)
    fail_msg("sign: %s", serr);
  err[0] = '\0';
  rc = rgs_f2f_verify_at(der, len, trust, g.signed_at + 60, v, err, errlen);
  free(der);
  free(text);
  rgs_cj_free(rec);
  return rc;
}

/* A certificate of the trusted CA proves a name, not the AED's role. */
static void test_non_aed_signer_fails(void **state)
{
  pki *p = *state;
  EVP_PKEY *key = pki_key("ec");
  X509 *plain = pki_cert_policy("Paul MARTIN", key, p->ca, p->ca_key, 0, NULL, NULL, NULL);
  X509 *other_policy = pki_cert_policy("Paul MARTIN", key, p->ca, p->ca_key, 0, NULL, NULL,
                                       "1.2.3.4.5");
  rgs_f2f_facts f = p->s.f;
  rgs_f2f_verified v;
  char err[1024];

  f.aed_name = "Paul Martin";
  assert_int_equal(sign_as(p, &f, plain, key, p->trust, &v, err, sizeof(err)),
                   RGS_F2F_ERR_NOT_AED);
  assert_true(v.signature_ok);
  assert_true(v.chain_ok);                    /* it chains: that is not enough */
  assert_false(v.aed_listed);
  assert_null(v.aed);
  assert_contains(err, "signed by Paul MARTIN, who is not a listed AED");
  assert_contains(err, "entry of the AED trust list (test.conf) names this certificate");
  rgs_f2f_verified_clear(&v);
  /* Another policy than the one the entry asks: said too. */
  assert_int_equal(sign_as(p, &f, other_policy, key, p->trust, &v, err, sizeof(err)),
                   RGS_F2F_ERR_NOT_AED);
  assert_contains(err, "lacks the certificate policy " PKI_DEMO_AED_POLICY);
  rgs_f2f_verified_clear(&v);
  /* The listed AED: its entry is named. */
  assert_int_equal(sign_as(p, &p->s.f, p->aed, p->aed_key, p->trust, &v, err, sizeof(err)),
                   RGS_F2F_OK);
  assert_true(v.aed_listed);
  assert_string_equal(v.aed->name, "test AEDs");
  assert_false(v.aed->demo);
  rgs_f2f_verified_clear(&v);
  X509_free(plain);
  X509_free(other_policy);
  EVP_PKEY_free(key);
}

/* The holder cannot sign the holder's own face-to-face, by name or by key. */
static void test_holder_cannot_sign_as_aed(void **state)
{
  pki *p = *state;
  X509 *by_name = pki_cert("Frédéric SENEZ", p->aed_key, p->ca, p->ca_key, 0, NULL, NULL);
  X509 *reversed = pki_cert("senez frederic", p->aed_key, p->ca, p->ca_key, 0, NULL, NULL);
  X509 *by_key = pki_cert("Jeanne DUPONT-LÉGER", p->holder_key, p->ca, p->ca_key, 0, NULL, NULL);
  rgs_f2f_facts f = p->s.f;
  rgs_f2f_verified v;
  char err[1024];

  f.aed_name = "Frédéric Senez";
  assert_int_equal(sign_as(p, &f, by_name, p->aed_key, p->trust, &v, err, sizeof(err)),
                   RGS_F2F_ERR_INCONSISTENT);
  assert_contains(err, "signed by the holder");
  rgs_f2f_verified_clear(&v);
  f.aed_name = "SENEZ Frédéric";
  assert_int_equal(sign_as(p, &f, reversed, p->aed_key, p->trust, &v, err, sizeof(err)),
                   RGS_F2F_ERR_INCONSISTENT);
  assert_contains(err, "signed by the holder");
  rgs_f2f_verified_clear(&v);
  assert_int_equal(sign_as(p, &p->s.f, by_key, p->holder_key, p->trust, &v, err, sizeof(err)),
                   RGS_F2F_ERR_INCONSISTENT);
  assert_contains(err, "holder's own key");
  rgs_f2f_verified_clear(&v);
  X509_free(by_name);
  X509_free(reversed);
  X509_free(by_key);
}

static void test_aed_name_must_be_the_certificates(void **state)
{
  pki *p = *state;
  rgs_f2f_facts f = p->s.f;
  rgs_f2f_verified v;
  char err[1024];

  f.aed_name = "Me Jean AUTRE";
  assert_int_equal(sign_as(p, &f, p->aed, p->aed_key, p->trust, &v, err, sizeof(err)),
                   RGS_F2F_ERR_INCONSISTENT);
  assert_contains(err, "names the AED \"Me Jean AUTRE\"");
  rgs_f2f_verified_clear(&v);
  /* Case, accents and blanks aside, it is the same name. */
  f.aed_name = "JEANNE  Dupont-Leger";
  assert_int_equal(sign_as(p, &f, p->aed, p->aed_key, p->trust, &v, err, sizeof(err)),
                   RGS_F2F_OK);
  rgs_f2f_verified_clear(&v);
}

/* The trust list decides, never the system store; a pinned certificate is
 * its own anchor. */
static void test_pinned_aed_and_no_system_store(void **state)
{
  pki *p = *state;
  rgs_f2f_aed_trust *dn_only = rgs_f2f_aed_trust_new(), *pins = rgs_f2f_aed_trust_new();
  static const char dn_text[] = "[aed \"by name\"]\nissuer = /C=FR/O=Huissiers de Test/CN=Test CA\n"
                                "policy = " PKI_DEMO_AED_POLICY "\n";
  unsigned char *der = NULL, md[32];
  char text[256], hex[65], err[1024] = "";
  rgs_f2f_verified v;
  int n;

  /* OpenSSL's default store made of the test CA: not used for the AED. */
  setenv("SSL_CERT_FILE", p->ca_pem, 1);
  assert_int_equal(rgs_f2f_aed_trust_load_mem(dn_only, "dn.conf", dn_text, strlen(dn_text), err,
                                              sizeof(err)), RGS_F2F_OK);
  assert_int_equal(sign_as(p, &p->s.f, p->aed, p->aed_key, dn_only, &v, err, sizeof(err)),
                   RGS_F2F_ERR_UNTRUSTED);
  assert_false(v.chain_ok);
  rgs_f2f_verified_clear(&v);
  unsetenv("SSL_CERT_FILE");
  /* The AED certificate pinned: no anchor needed. */
  n = i2d_X509(p->aed, &der);
  assert_true(n > 0);
  SHA256(der, (size_t)n, md);
  OPENSSL_free(der);
  rgsx_hex(md, 32, hex);
  snprintf(text, sizeof(text), "[aed \"Jeanne\"]\nsha256 = %.2s:%s\n", hex, hex + 2);
  assert_int_equal(rgs_f2f_aed_trust_load_mem(pins, "pins.conf", text, strlen(text), err,
                                              sizeof(err)), RGS_F2F_OK);
  assert_int_equal(sign_as(p, &p->s.f, p->aed, p->aed_key, pins, &v, err, sizeof(err)),
                   RGS_F2F_OK);
  assert_true(v.aed_listed);
  assert_int_equal(v.aed->kind, RGS_F2F_AED_PINNED);
  rgs_f2f_verified_clear(&v);
  rgs_f2f_aed_trust_free(dn_only);
  rgs_f2f_aed_trust_free(pins);
}

/* The trust files are untrusted input: each fault at its line. */
static void test_aed_trust_file_errors(void **state)
{
  static const struct {
    const char *text, *want;
  } bad[] = {
    { "issuer = C=FR\n", "t.conf:1: a setting outside" },
    { "[aed \"a\"]\nissuer = C=FR, CN=X\n", "t.conf:1: an issuer alone" },
    { "[aed \"a\"]\npolicy = 1.2.3\n", "t.conf:1: the entry names no issuer" },
    { "[aed \"a\"]\nsha256 = 00\n", "t.conf:2: sha256: 64 hexadecimal" },
    { "# c\n[aed \"a\"]\nissuer = C=FR, CN=X\npolicy = 1.2.3\nsha256 = "
      "0000000000000000000000000000000000000000000000000000000000000000\n", "t.conf:2: an entry pins" },
    { "[aed \"a\"]\nissuer = C=FR + CN=X\n", "t.conf:2: issuer: a multi-valued" },
    { "[aed \"a\"]\nissuer = XX=1\n", "t.conf:2: issuer: unknown attribute type 'XX'" },
    { "[aed \"a\"]\nissuer = C=FRANCE\n", "t.conf:2: issuer: bad or empty value for C" },
    { "[aed \"a\"]\npolicy = 1..2\n", "t.conf:2: policy: a numeric OID" },
    { "[aed \"a\"]\npolicy = 1.2\npolicy = 1.3\n", "t.conf:3: policy is given twice" },
    { "[aed \"a\"]\ncolour = blue\n", "t.conf:2: unknown setting 'colour'" },
    { "[aed \"a\"]\ncol\x1bur = blue\n", "t.conf:2: control character" },
    { "[aed \"a\"]\ndemo = maybe\n", "t.conf:2: demo is yes or no" },
    { "[aed \"\"]\n", "t.conf:1: an entry's name" },
    { "[aed \"a\n", "t.conf:1: unterminated quote" },
    { "[device \"a\"]\n", "t.conf:1: a section is" },
    { "[aed \"a\"]\nissuer-file = /nonexistent/ca.pem\n", "t.conf:2: issuer-file /nonexistent/ca.pem" },
    { "[aed \"a\"]\nissuer-file = /dev/null\n", "t.conf:2: issuer-file /dev/null" },
    { "[aed \"a\"]\nissuer = C\xff\n", "t.conf:2: not UTF-8" },
    { "junk\n", "t.conf:1: a line is a comment" },
  };
  rgs_f2f_aed_trust *t = rgs_f2f_aed_trust_new();
  char err[1024], text[2048], nul[] = "[aed \"a\"]\nde\0mo = yes\n";
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err[0] = '\0';
    assert_int_equal(rgs_f2f_aed_trust_load_mem(t, "t.conf", bad[i].text, strlen(bad[i].text),
                                                err, sizeof(err)), RGS_F2F_ERR_TRUST_FILE);
    if (strstr(err, bad[i].want) == NULL)
      fail_msg("%zu: '%s' does not say '%s'", i, err, bad[i].want);
    assert_int_equal(rgs_f2f_aed_trust_count(t), 0);         /* all or nothing */
  }
  assert_int_equal(rgs_f2f_aed_trust_load_mem(t, "t.conf", nul, sizeof(nul) - 1, err,
                                              sizeof(err)), RGS_F2F_ERR_TRUST_FILE);
  assert_contains(err, "t.conf:2: NUL byte");
  memset(text, 'a', sizeof(text));
  text[sizeof(text) - 1] = '\n';
  assert_int_equal(rgs_f2f_aed_trust_load_mem(t, "t.conf", text, sizeof(text), err,
                                              sizeof(err)), RGS_F2F_ERR_TRUST_FILE);
  assert_contains(err, "t.conf:1: line longer than 1024 bytes");
  /* A good file (a Windows editor's: BOM, CRLF) with a bad one after it:
   * the good entries stay. */
  snprintf(text, sizeof(text), "\xef\xbb\xbf# c\r\n[aed \"a\"]\r\nissuer = C=FR, CN=X\r\neku = 1.3.6.1.5.5.7.3.4\r\ndemo = yes\r\n");
  assert_int_equal(rgs_f2f_aed_trust_load_mem(t, "good.conf", text, strlen(text), err,
                                              sizeof(err)), RGS_F2F_OK);
  assert_int_equal(rgs_f2f_aed_trust_load_mem(t, "bad.conf", "x", 1, err, sizeof(err)),
                   RGS_F2F_ERR_TRUST_FILE);
  assert_int_equal(rgs_f2f_aed_trust_count(t), 1);
  assert_true(rgs_f2f_aed_trust_get(t, 0)->demo);
  assert_int_equal(rgs_f2f_aed_trust_get(t, 0)->line, 2);
  assert_string_equal(rgs_f2f_aed_trust_files(t), "good.conf");
  /* A FIFO is refused before any read could block. */
  assert_int_equal(rgs_f2f_aed_trust_load(t, "/nonexistent.conf", err, sizeof(err)),
                   RGS_F2F_ERR_TRUST_FILE);
  assert_contains(err, "/nonexistent.conf");
  rgs_f2f_aed_trust_free(t);
}

/* The shipped files: the default one lists no AED, the demo one a DEMO entry
 * that admits the test PKI's AED certificates. */
static void test_shipped_trust_files(void **state)
{
  pki *p = *state;
  rgs_f2f_aed_trust *t = rgs_f2f_aed_trust_new();
  char path[700], err[1024] = "";
  const rgs_f2f_aed_entry *e;

  snprintf(path, sizeof(path), "%s/data/aed-trust/aed-trust.conf", rgs_env("RGS_SOURCE_DIR"));
  if (rgs_f2f_aed_trust_load(t, path, err, sizeof(err)) != RGS_F2F_OK)
    fail_msg("%s", err);
  assert_int_equal(rgs_f2f_aed_trust_count(t), 0);
  snprintf(path, sizeof(path), "%s/data/aed-trust/demo-aed.conf", rgs_env("RGS_SOURCE_DIR"));
  if (rgs_f2f_aed_trust_load(t, path, err, sizeof(err)) != RGS_F2F_OK)
    fail_msg("%s", err);
  assert_int_equal(rgs_f2f_aed_trust_count(t), 1);
  e = rgs_f2f_aed_trust_get(t, 0);
  assert_true(e->demo);
  assert_contains(e->name, "DEMO");
  rgs_f2f_aed_trust_free(t);
  (void)p;
}

/* ---- issue 9, items 3, 4, 8, 13 ---------------------------------------------------- */

/* No byte of text is a control, DEL, C1 control or bidirectional override. */
static void assert_printable(const char *text)
{
  if (!rgsx_is_clean(text, strlen(text)))
    fail_msg("'%s' holds a control or bidi character", text);
}

/* A signer that chains to no anchor and whose issuer no entry names: not a
 * listed AED, and not trusted either (--json "signer_trusted": false). */
static void test_unchained_signer_is_not_trusted(void **state)
{
  pki *p = *state;
  EVP_PKEY *foreign_key = pki_key("ec"), *key = pki_key("ec");
  X509 *foreign = pki_cert("Autorite Etrangere", foreign_key, NULL, foreign_key, 1, NULL, NULL);
  X509 *signer = pki_cert("Paul MARTIN", key, foreign, foreign_key, 0, NULL, NULL);
  rgs_f2f_facts f = p->s.f;
  rgs_f2f_aed_verdict verdict;
  rgs_f2f_verified v;
  char err[1024];

  f.aed_name = "Paul Martin";
  assert_int_equal(sign_as(p, &f, signer, key, p->trust, &v, err, sizeof(err)),
                   RGS_F2F_ERR_NOT_AED);
  assert_true(v.signature_ok);
  assert_false(v.chain_ok);
  assert_false(v.aed_listed);
  assert_contains(err, "not a listed AED");
  rgs_f2f_verified_clear(&v);
  /* The check itself says so apart from the verdict on the role. */
  assert_int_equal(rgs_f2f_aed_check(p->trust, signer, NULL, p->s.f.signed_at, &verdict, err,
                                     sizeof(err)), RGS_F2F_ERR_NOT_AED);
  assert_false(verdict.chain_ok);
  assert_null(verdict.entry);
  /* A certificate of the anchored CA that is not an AED's does chain. */
  X509_free(signer);
  signer = pki_cert_policy("Paul MARTIN", key, p->ca, p->ca_key, 0, NULL, NULL, NULL);
  assert_int_equal(rgs_f2f_aed_check(p->trust, signer, NULL, p->s.f.signed_at, &verdict, err,
                                     sizeof(err)), RGS_F2F_ERR_NOT_AED);
  assert_true(verdict.chain_ok);
  X509_free(signer);
  X509_free(foreign);
  EVP_PKEY_free(key);
  EVP_PKEY_free(foreign_key);
}

/* An entry that names its issuer by issuer-file only: an expired or
 * unchained AED certificate is reported with the real cause. */
static void test_issuer_file_entry_gives_the_real_cause(void **state)
{
  pki *p = *state;
  rgs_f2f_aed_trust *t = rgs_f2f_aed_trust_new();
  X509 *short_lived = pki_cert("AED 2026", p->aed_key, p->ca, p->ca_key, 0, "20260101000000Z",
                               "20260401000000Z");
  X509 *by_other = pki_cert("AED Autre", p->aed_key, p->other_ca, p->other_ca_key, 0, NULL,
                            NULL);
  static const char text[] = "[aed \"by file\"]\nissuer-file = ca.pem\npolicy = "
                             PKI_DEMO_AED_POLICY "\n";
  char name[600], err[1024] = "";
  rgs_f2f_facts f = p->s.f;
  rgs_f2f_verified v;

  snprintf(name, sizeof(name), "%s/t.conf", p->dir);
  if (rgs_f2f_aed_trust_load_mem(t, name, text, strlen(text), err, sizeof(err)) != RGS_F2F_OK)
    fail_msg("%s", err);
  /* Valid on the day: a listed AED. */
  f.aed_cert = short_lived;
  f.aed_name = "AED 2026";
  f.signed_at = 1773137400;                     /* 2026-03-10 */
  if (sign_as(p, &f, short_lived, p->aed_key, t, &v, err, sizeof(err)) != RGS_F2F_OK)
    fail_msg("verify: %s", err);
  assert_string_equal(v.aed->name, "by file");
  rgs_f2f_verified_clear(&v);
  /* Signed after its end: expired, not "not a listed AED". */
  f.signed_at = 1776000000;                     /* 2026-04-12 */
  assert_int_equal(sign_as(p, &f, short_lived, p->aed_key, t, &v, err, sizeof(err)),
                   RGS_F2F_ERR_UNTRUSTED);
  assert_contains(err, "expired");
  assert_false(v.chain_ok);
  rgs_f2f_verified_clear(&v);
  /* Issued by another CA of the same name: no chain, said so. */
  f = p->s.f;
  f.aed_name = "AED Autre";
  assert_int_equal(sign_as(p, &f, by_other, p->aed_key, t, &v, err, sizeof(err)),
                   RGS_F2F_ERR_UNTRUSTED);
  assert_not_contains(err, "not a listed AED");
  rgs_f2f_verified_clear(&v);
  X509_free(by_other);
  X509_free(short_lived);
  rgs_f2f_aed_trust_free(t);
}

/* Strings of the record (hostile input) reach messages only sanitised. */
static void test_record_strings_are_sanitised(void **state)
{
  pki *p = *state;
  rgs_f2f_facts f = p->s.f;
  rgs_f2f_verified v;
  rgs_cj *rec, *obj;
  char err[1024];

  f.aed_name = "Me \x1b[2J\xe2\x80\xae AUTRE\xc2\x9b";
  assert_int_equal(sign_as(p, &f, p->aed, p->aed_key, p->trust, &v, err, sizeof(err)),
                   RGS_F2F_ERR_INCONSISTENT);
  assert_contains(err, "names the AED \"Me ?[2J? AUTRE?\"");
  assert_printable(err);
  rgs_f2f_verified_clear(&v);
  /* The signing time the record claims. */
  rec = rgs_f2f_record_build(&p->s.f);
  assert_non_null(rec);
  obj = (rgs_cj *)rgs_cj_path(rec, "intervention");
  assert_int_equal(rgs_cj_set_str(obj, "signed_at", "2026\x1b]0;x\x07"), 0);
  assert_int_equal(rgs_f2f_record_check(rec, p->aed, p->s.f.signed_at, err, sizeof(err)),
                   RGS_F2F_ERR_INCONSISTENT);
  assert_contains(err, "signed at 2026?]0;x?");
  assert_printable(err);
  /* The format. */
  assert_int_equal(rgs_cj_set_str(rec, "format", "rgs\xe2\x80\xae\x1b"), 0);
  assert_int_equal(rgs_f2f_record_check(rec, p->aed, p->s.f.signed_at, err, sizeof(err)),
                   RGS_F2F_ERR_FORMAT);
  assert_contains(err, "'rgs?" "?'");
  assert_printable(err);
  rgs_cj_free(rec);
}

/* Trust files: control characters and bidi overrides are refused (a tab is
 * a blank), and what comes from a file reaches a message sanitised. */
static void test_aed_trust_file_text(void **state)
{
  static const struct {
    const char *text;
    size_t len;
    const char *want;
  } bad[] = {
    { "[aed \"a\"]\nissuer = C=FR, CN=X\x1b[2J\npolicy = 1.2.3\n", 0, "t.conf:2: control character" },
    { "# \xc2\x85 next line\n", 0, "t.conf:1: control character" },
    { "# \x7f\n", 0, "t.conf:1: control character" },
    { "[aed \"a\"]\nissuer = C=FR, CN=\xe2\x80\xaeX\npolicy = 1.2.3\n", 0,
      "t.conf:2: bidirectional" },
    { "#\xe2\x81\xa6\n", 0, "t.conf:1: bidirectional" },
    { "\xff\xfe[\0a\0e\0d\0", 10, "t.conf:1: the file is in UTF-16" },
    { "[aed \"a\"]\nissuer = C\xe9\n", 0, "t.conf:2: not UTF-8" },
  };
  rgs_f2f_aed_trust *t = rgs_f2f_aed_trust_new();
  static const char tabs[] = "[aed \"a\"]\n\tissuer =\tC=FR, CN=X\t\npolicy = 1.2.3\n";
  static const char rel[] = "[aed \"a\"]\nissuer-file = ca.pem\npolicy = 1.2.3\n";
  char err[1024];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    size_t len = bad[i].len != 0 ? bad[i].len : strlen(bad[i].text);
    err[0] = '\0';
    assert_int_equal(rgs_f2f_aed_trust_load_mem(t, "t.conf", bad[i].text, len, err,
                                                sizeof(err)), RGS_F2F_ERR_TRUST_FILE);
    if (strstr(err, bad[i].want) == NULL)
      fail_msg("%zu: '%s' does not say '%s'", i, err, bad[i].want);
    assert_printable(err);
    assert_int_equal(rgs_f2f_aed_trust_count(t), 0);
  }
  err[0] = '\0';
  if (rgs_f2f_aed_trust_load_mem(t, "t.conf", tabs, strlen(tabs), err, sizeof(err)) !=
      RGS_F2F_OK)
    fail_msg("tabs: %s", err);
  /* The trust file's own name, and the issuer-file path made from it. */
  assert_int_equal(rgs_f2f_aed_trust_load_mem(t, "/nonexistent/\x1b]0;x\x07/t.conf", rel,
                                              strlen(rel), err, sizeof(err)),
                   RGS_F2F_ERR_TRUST_FILE);
  assert_contains(err, "issuer-file /nonexistent/?]0;x?/ca.pem");
  assert_printable(err);
  /* --ca-file and --ca-path. */
  assert_int_equal(rgs_f2f_aed_trust_add_anchors(t, "/nonexistent/\xe2\x80\xae.pem", NULL, err,
                                                 sizeof(err)), RGS_F2F_ERR_TRUST_FILE);
  assert_printable(err);
  /* An entry's file, kept for messages, is printable. */
  assert_int_equal(rgs_f2f_aed_trust_load_mem(t, "x\x1b.conf", tabs, strlen(tabs), err,
                                              sizeof(err)), RGS_F2F_OK);
  assert_printable(rgs_f2f_aed_trust_get(t, 1)->file);
  rgs_f2f_aed_trust_free(t);
}

/* The holder's names as a record gives them may be long (blanks fold
 * away): the holder is still found behind them. */
static void test_holder_found_behind_long_names(void **state)
{
  pki *p = *state;
  X509 *by_name = pki_cert("Frédéric SENEZ", p->aed_key, p->ca, p->ca_key, 0, NULL, NULL);
  rgs_f2f_facts f = p->s.f;
  rgs_f2f_verified v;
  char first[1200], err[1024];

  memset(first, ' ', sizeof(first));
  memcpy(first, "Frédéric", strlen("Frédéric"));
  first[sizeof(first) - 1] = '\0';
  assert_int_equal(rgs_f2f_is_holder_name(first, "Senez", "frederic senez"), 1);
  assert_int_equal(rgs_f2f_is_holder_name("Senez", first, "frederic senez"), 1);
  assert_int_equal(rgs_f2f_is_holder_name(first, "Senez", "Jeanne Senez"), 0);
  assert_int_equal(rgs_f2f_is_holder_name(NULL, "Senez", "Senez"), 0);
  assert_int_equal(rgs_f2f_is_holder_name("", "Senez", "Senez"), 0);
  f.first_name = first;
  f.aed_name = "Frédéric Senez";
  assert_int_equal(sign_as(p, &f, by_name, p->aed_key, p->trust, &v, err, sizeof(err)),
                   RGS_F2F_ERR_INCONSISTENT);
  assert_contains(err, "signed by the holder");
  rgs_f2f_verified_clear(&v);
  X509_free(by_name);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_canonical_form),
    cmocka_unit_test(test_builder_refuses_bad_values),
    cmocka_unit_test(test_parser_accepts_canonical_only),
    cmocka_unit_test(test_hex_and_base64_are_strict),
    cmocka_unit_test(test_id_number_digest),
    cmocka_unit_test_setup_teardown(test_signed_record_verifies, setup, teardown),
    cmocka_unit_test_setup_teardown(test_ec_aed_key_verifies, setup, teardown),
    cmocka_unit_test_setup_teardown(test_tampered_record_fails, setup, teardown),
    cmocka_unit_test_setup_teardown(test_untrusted_signer_fails, setup, teardown),
    cmocka_unit_test_setup_teardown(test_chain_checked_at_signing_time, setup, teardown),
    cmocka_unit_test_setup_teardown(test_inconsistent_records_fail, setup, teardown),
    cmocka_unit_test_setup_teardown(test_weak_or_unknown_kdf_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_future_signing_time_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_refused_record_is_consistent, setup, teardown),
    cmocka_unit_test_setup_teardown(test_non_canonical_content_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_signer_failures, setup, teardown),
    cmocka_unit_test_setup_teardown(test_qr_text_and_pdf, setup, teardown),
    cmocka_unit_test_setup_teardown(test_non_aed_signer_fails, setup, teardown),
    cmocka_unit_test_setup_teardown(test_holder_cannot_sign_as_aed, setup, teardown),
    cmocka_unit_test_setup_teardown(test_aed_name_must_be_the_certificates, setup, teardown),
    cmocka_unit_test_setup_teardown(test_pinned_aed_and_no_system_store, setup, teardown),
    cmocka_unit_test(test_aed_trust_file_errors),
    cmocka_unit_test_setup_teardown(test_shipped_trust_files, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unchained_signer_is_not_trusted, setup, teardown),
    cmocka_unit_test_setup_teardown(test_issuer_file_entry_gives_the_real_cause, setup, teardown),
    cmocka_unit_test_setup_teardown(test_record_strings_are_sanitised, setup, teardown),
    cmocka_unit_test(test_aed_trust_file_text),
    cmocka_unit_test_setup_teardown(test_holder_found_behind_long_names, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
