/* SPDX-License-Identifier: BSD-3-Clause */
/* f2f_record.c - the intervention record: its steps and identity
 * document, its signature as CMS SignedData made with a key that stays on
 * a token, and its verification by anyone. */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <strings.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgs_order.h"
#include "certcheck.h"
#include "f2f_record.h"

/* ---- steps --------------------------------------------------------------- */

const char *rgs_f2f_step_id(rgs_f2f_step s)
{
  switch (s) {
  case RGS_F2F_STEP_TOKEN: return "token-check";
  case RGS_F2F_STEP_KEY: return "key-match";
  case RGS_F2F_STEP_POP: return "proof-of-possession";
  case RGS_F2F_STEP_IDENTITY: return "identity";
  case RGS_F2F_STEP_COMPANY: return "company";
  case RGS_F2F_STEP_AED: return "aed";
  case RGS_F2F_N_STEPS: break;
  }
  return "?";
}

const char *rgs_f2f_step_title(rgs_f2f_step s)
{
  switch (s) {
  case RGS_F2F_STEP_TOKEN: return _("The holder's token meets RGS**");
  case RGS_F2F_STEP_KEY: return _("The token holds the key of the order's request (holder's PIN)");
  case RGS_F2F_STEP_POP: return _("Proof of possession: the token signs a fresh challenge");
  case RGS_F2F_STEP_IDENTITY: return _("Identity document");
  case RGS_F2F_STEP_COMPANY: return _("Company registration extract");
  case RGS_F2F_STEP_AED: return _("The AED operator and the AED's certificate");
  case RGS_F2F_N_STEPS: break;
  }
  return "?";
}

const char *rgs_f2f_strerror(rgs_f2f_rc rc)
{
  switch (rc) {
  case RGS_F2F_OK: return _("success");
  case RGS_F2F_ERR_NOMEM: return _("out of memory");
  case RGS_F2F_ERR_CRYPTO: return _("cryptographic library failure");
  case RGS_F2F_ERR_SIGNER: return _("the AED's token could not sign the record");
  case RGS_F2F_ERR_FORMAT: return _("not an intervention record of rgs-enroll");
  case RGS_F2F_ERR_SIGNATURE: return _("the record's signature does not verify: it was altered after signing");
  case RGS_F2F_ERR_UNTRUSTED: return _("the record's signer is not trusted: the AED certificate does not chain to a trust anchor");
  case RGS_F2F_ERR_INCONSISTENT: return _("the record contradicts itself");
  case RGS_F2F_ERR_NOT_AED: return _("the record's signer is not a listed AED");
  case RGS_F2F_ERR_TRUST_FILE: return _("an AED trust file cannot be used");
  case RGS_F2F_ERR_ID_NUMBER: return _("not a document number: 5 to 24 letters and digits");
  case RGS_F2F_ERR_IO: return _("the file could not be written");
  }
  return _("unknown error");
}

rgs_f2f_doc rgs_f2f_doc_parse(const char *text)
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

  for (i = 0; text != NULL && i < RGS_ARRAY_LEN(words); i++)
    if (strcasecmp(text, words[i].word) == 0)
      return words[i].doc;
  return RGS_F2F_DOC_NONE;
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

void rgs_f2f_stamp(time_t t, char *out, size_t outlen)
{
  struct tm tm;

  gmtime_r(&t, &tm);
  snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}


/* OpenSSL's first queued reason, for a detail; the queue is emptied. */
static const char *ssl_reason(void)
{
  static char buf[256];
  unsigned long e = ERR_get_error();

  ERR_clear_error();
  if (e == 0)
    return "";
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

/* ---- proof of possession and identity number ------------------------------------ */

char *rgs_f2f_pop_message(long long order_id, const char *spki_hex, const char *nonce_hex,
                          const char *date)
{
  char *m = NULL;

  if (spki_hex == NULL || nonce_hex == NULL || date == NULL)
    return NULL;
  if (asprintf(&m, "rgs-enroll f2f proof of possession/1\norder=%lld\nspki-sha256=%s\n"
                   "nonce=%s\ndate=%s\n",
               order_id, spki_hex, nonce_hex, date) < 0)
    return NULL;
  return m;
}

/* Upper-case letters and digits, spaces and dashes dropped, into out
 * (*len of them): 1 when that makes a document number, else 0 (out wiped). */
static int normalise_number(const char *number, char *out, size_t outlen, size_t *len)
{
  size_t n = 0;
  const unsigned char *p;

  *len = 0;
  for (p = (const unsigned char *)number; *p != '\0'; p++) {
    if (*p == ' ' || *p == '-')
      continue;
    if (!isascii(*p) || !isalnum(*p) || n + 1 >= outlen) {
      rgsx_wipe(out, outlen);
      return 0;
    }
    out[n++] = (char)toupper(*p);
  }
  out[n] = '\0';
  if (n < 5 || n > 24) {
    rgsx_wipe(out, outlen);
    return 0;
  }
  *len = n;
  return 1;
}

/* The document number has few unknowns once its last four characters are
 * in the record (a passport number: about 7e5 candidates), so no hash of it
 * resists a search offline: only the cost of each guess does. scrypt at
 * N=2^15, r=8 takes some 32 MiB and tens of milliseconds per guess, where
 * HMAC-SHA-256 took a microsecond. The random salt keeps two records of the
 * same number apart and rules out precomputed tables. */
static rgs_f2f_rc number_scrypt(const char *norm, size_t n, const unsigned char *salt,
                                size_t salt_len, uint64_t N, uint64_t r, uint64_t p,
                                unsigned char out[32])
{
  int ok = EVP_PBE_scrypt(norm, n, salt, salt_len, N, r, p, RGS_F2F_KDF_MAXMEM, out, 32);

  ERR_clear_error();
  return ok == 1 ? RGS_F2F_OK : RGS_F2F_ERR_CRYPTO;
}

int rgs_f2f_id_number_valid(const char *number)
{
  char norm[32];
  size_t n;
  int ok;

  if (number == NULL)
    return 0;
  ok = normalise_number(number, norm, sizeof(norm), &n);
  rgsx_wipe(norm, sizeof(norm));
  return ok;
}

rgs_f2f_rc rgs_f2f_id_number_digest(const char *number, char salt_hex[33],
                                    char digest_hex[65], char last4[5])
{
  char norm[32];
  unsigned char salt[16], md[32];
  size_t n = 0;
  rgs_f2f_rc rc = RGS_F2F_ERR_CRYPTO;

  if (number == NULL || !normalise_number(number, norm, sizeof(norm), &n))
    return RGS_F2F_ERR_ID_NUMBER;
  if (RAND_bytes(salt, sizeof(salt)) != 1 ||
      number_scrypt(norm, n, salt, sizeof(salt), RGS_F2F_KDF_N, RGS_F2F_KDF_R,
                    RGS_F2F_KDF_P, md) != RGS_F2F_OK)
    goto cleanup;
  rgsx_hex(salt, sizeof(salt), salt_hex);
  rgsx_hex(md, sizeof(md), digest_hex);
  /* Kept because the procedure asks for them; the scrypt cost above is what
   * protects the rest of the number. */
  memcpy(last4, norm + n - 4, 4);
  last4[4] = '\0';
  rc = RGS_F2F_OK;

cleanup:
  rgsx_wipe(norm, sizeof(norm));
  rgsx_wipe(md, sizeof(md));
  return rc;
}

int rgs_f2f_id_kdf_acceptable(const rgs_cj *identity)
{
  const char *kdf = rgs_cj_path_str(identity, "number_kdf");
  const char *salt = rgs_cj_path_str(identity, "number_salt");
  const char *md = rgs_cj_path_str(identity, "number_scrypt");
  long long N = rgs_cj_path_int(identity, "number_kdf_n", 0);
  long long r = rgs_cj_path_int(identity, "number_kdf_r", 0);
  long long p = rgs_cj_path_int(identity, "number_kdf_p", 0);

  if (kdf == NULL || strcmp(kdf, "scrypt") != 0 || salt == NULL || strlen(salt) != 32 ||
      md == NULL || strlen(md) != 64)
    return 0;
  /* No weaker than what we make; no stronger than a verifier can afford
   * (EVP_PBE_scrypt with no output only checks the parameters, maxmem
   * included). */
  if (N < RGS_F2F_KDF_N || r < RGS_F2F_KDF_R || p < RGS_F2F_KDF_P || p > 16 ||
      (N & (N - 1)) != 0)
    return 0;
  if (EVP_PBE_scrypt(NULL, 0, NULL, 0, (uint64_t)N, (uint64_t)r, (uint64_t)p,
                     RGS_F2F_KDF_MAXMEM, NULL, 0) != 1) {
    ERR_clear_error();
    return 0;
  }
  return 1;
}

rgs_f2f_id_match rgs_f2f_id_number_matches(const char *number, const rgs_cj *identity)
{
  char norm[32], hex[65];
  unsigned char *salt = NULL, md[32];
  size_t salt_len = 0, n = 0;
  rgs_f2f_id_match match = RGS_F2F_ID_DIFFERENT;

  if (!rgs_f2f_id_kdf_acceptable(identity))
    return RGS_F2F_ID_NO_DIGEST;
  if (number == NULL ||
      rgs_cj_unhex(rgs_cj_path_str(identity, "number_salt"), &salt, &salt_len) != RGS_CJ_OK)
    return RGS_F2F_ID_DIFFERENT;
  if (normalise_number(number, norm, sizeof(norm), &n) &&
      number_scrypt(norm, n, salt, salt_len,
                    (uint64_t)rgs_cj_path_int(identity, "number_kdf_n", 0),
                    (uint64_t)rgs_cj_path_int(identity, "number_kdf_r", 0),
                    (uint64_t)rgs_cj_path_int(identity, "number_kdf_p", 0), md) == RGS_F2F_OK) {
    rgsx_hex(md, sizeof(md), hex);
    if (strcmp(hex, rgs_cj_path_str(identity, "number_scrypt")) == 0)
      match = RGS_F2F_ID_SAME;
  }
  rgsx_wipe(norm, sizeof(norm));
  rgsx_wipe(md, sizeof(md));
  free(salt);
  return match;
}

/* ---- signing ------------------------------------------------------------------ */

typedef struct {
  unsigned char *p;
  int n;
} der_item;

/* DER SET OF orders its elements by their encodings (X.690 11.6). */
static int der_cmp(const void *a, const void *b)
{
  const der_item *x = a, *y = b;
  int m = x->n < y->n ? x->n : y->n, c = memcmp(x->p, y->p, (size_t)m);

  return c != 0 ? c : x->n - y->n;
}

/* The DER of the signed attributes as a SET OF: what the signature covers
 * (RFC 5652 5.4). */
static rgs_f2f_rc signed_attrs_der(CMS_SignerInfo *si, unsigned char **out, size_t *outlen)
{
  der_item items[8];
  int n = CMS_signed_get_attr_count(si), i;
  size_t total = 0, off = 0;
  unsigned char *buf = NULL;
  rgs_f2f_rc rc = RGS_F2F_ERR_CRYPTO;

  *out = NULL;
  memset(items, 0, sizeof(items));
  if (n <= 0 || n > (int)RGS_ARRAY_LEN(items))
    return RGS_F2F_ERR_CRYPTO;
  for (i = 0; i < n; i++) {
    items[i].n = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &items[i].p);
    if (items[i].n <= 0)
      goto cleanup;
    total += (size_t)items[i].n;
  }
  qsort(items, (size_t)n, sizeof(items[0]), der_cmp);
  if (total > 0xFFFF)
    goto cleanup;
  buf = malloc(total + 4);
  if (buf == NULL) {
    rc = RGS_F2F_ERR_NOMEM;
    goto cleanup;
  }
  buf[off++] = 0x31;
  if (total < 0x80) {
    buf[off++] = (unsigned char)total;
  } else if (total < 0x100) {
    buf[off++] = 0x81;
    buf[off++] = (unsigned char)total;
  } else {
    buf[off++] = 0x82;
    buf[off++] = (unsigned char)(total >> 8);
    buf[off++] = (unsigned char)(total & 0xFF);
  }
  for (i = 0; i < n; i++) {
    memcpy(buf + off, items[i].p, (size_t)items[i].n);
    off += (size_t)items[i].n;
  }
  *out = buf;
  *outlen = off;
  buf = NULL;
  rc = RGS_F2F_OK;

cleanup:
  for (i = 0; i < n && i < (int)RGS_ARRAY_LEN(items); i++)
    OPENSSL_free(items[i].p);
  free(buf);
  return rc;
}

/* An unsigned CMS SignedData of content with one SignerInfo for signer
 * (and chain): content inside, the signed attributes contentType,
 * signingTime and messageDigest. NULL on an OpenSSL failure. */
static CMS_ContentInfo *cms_unsigned(const unsigned char *content, size_t len, X509 *signer,
                                     STACK_OF(X509) *chain, time_t signing_time,
                                     CMS_SignerInfo **si)
{
  const int flags = CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP;
  CMS_ContentInfo *cms = NULL;
  ASN1_OCTET_STRING **pos, *body = NULL;
  ASN1_TIME *when = NULL;
  unsigned char md[32];
  int i, ok = 0;

  /* The signer's public key stands in for the private one, which never
   * leaves the token: OpenSSL only reads its type to name the algorithms. */
  cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
  *si = cms != NULL ? CMS_add1_signer(cms, signer, X509_get0_pubkey(signer), EVP_sha256(), flags)
                    : NULL;
  if (*si == NULL)
    goto cleanup;
  for (i = 0; chain != NULL && i < sk_X509_num(chain); i++)
    if (!CMS_add1_cert(cms, sk_X509_value(chain, i)))
      goto cleanup;
  pos = CMS_get0_content(cms);
  body = ASN1_OCTET_STRING_new();
  if (pos == NULL || body == NULL || !ASN1_OCTET_STRING_set(body, content, (int)len))
    goto cleanup;
  ASN1_OCTET_STRING_free(*pos);
  *pos = body;
  body = NULL;
  SHA256(content, len, md);
  when = ASN1_TIME_adj(NULL, signing_time, 0, 0);
  ok = when != NULL &&
       CMS_signed_add1_attr_by_NID(*si, NID_pkcs9_contentType, V_ASN1_OBJECT,
                                   OBJ_nid2obj(NID_pkcs7_data), -1) &&
       CMS_signed_add1_attr_by_NID(*si, NID_pkcs9_signingTime, when->type, when, -1) &&
       CMS_signed_add1_attr_by_NID(*si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, md,
                                   (int)sizeof(md));

cleanup:
  ASN1_TIME_free(when);
  ASN1_OCTET_STRING_free(body);
  if (!ok) {
    CMS_ContentInfo_free(cms);
    cms = NULL;
  }
  return cms;
}

rgs_f2f_rc rgs_f2f_cms_sign(const unsigned char *content, size_t len, X509 *signer,
                            STACK_OF(X509) *chain, time_t signing_time, rgs_f2f_sign_fn fn,
                            void *ud, unsigned char **der, size_t *derlen, char *err,
                            size_t errlen)
{
  CMS_ContentInfo *cms = NULL;
  CMS_SignerInfo *si = NULL;
  unsigned char *attrs = NULL, *sig = NULL, *out = NULL;
  size_t attrs_len = 0, sig_len = 0;
  BIO *check = NULL;
  rgs_f2f_rc rc = RGS_F2F_ERR_CRYPTO;
  int n;

  if (der == NULL || derlen == NULL)
    return RGS_F2F_ERR_CRYPTO;
  *der = NULL;
  *derlen = 0;
  if (content == NULL || signer == NULL || fn == NULL || len > RGS_CJ_MAX_TEXT) {
    rgsx_errf(err, errlen, "%s", _("nothing to sign"));
    return RGS_F2F_ERR_CRYPTO;
  }
  cms = cms_unsigned(content, len, signer, chain, signing_time, &si);
  if (cms == NULL)
    goto crypto;
  rc = signed_attrs_der(si, &attrs, &attrs_len);
  if (rc == RGS_F2F_ERR_NOMEM)
    goto cleanup;
  if (rc != RGS_F2F_OK)
    goto crypto;
  if (fn(ud, attrs, attrs_len, &sig, &sig_len) != 0 || sig == NULL || sig_len == 0) {
    rc = RGS_F2F_ERR_SIGNER;
    goto cleanup;
  }
  if (!ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)sig_len))
    goto crypto;
  /* What was made must verify, or it is not handed out. */
  check = BIO_new(BIO_s_null());
  if (check == NULL)
    goto crypto;
  if (CMS_verify(cms, NULL, NULL, NULL, check, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
    rgsx_errf(err, errlen, _("the signature made by the token does not verify (%s)"), ssl_reason());
    rc = RGS_F2F_ERR_SIGNER;
    goto cleanup;
  }
  n = i2d_CMS_ContentInfo(cms, &out);
  if (n <= 0)
    goto crypto;
  *der = malloc((size_t)n);
  if (*der == NULL) {
    rc = RGS_F2F_ERR_NOMEM;
    goto cleanup;
  }
  memcpy(*der, out, (size_t)n);
  *derlen = (size_t)n;
  rc = RGS_F2F_OK;
  goto cleanup;

crypto:
  rgsx_errf(err, errlen, "%s", ssl_reason());
  rc = RGS_F2F_ERR_CRYPTO;

cleanup:
  OPENSSL_free(out);
  BIO_free(check);
  free(sig);
  free(attrs);
  CMS_ContentInfo_free(cms);
  return rc;
}

/* ---- verification ------------------------------------------------------------- */

void rgs_f2f_verified_clear(rgs_f2f_verified *v)
{
  if (v == NULL)
    return;
  free(v->content);
  rgs_cj_free(v->record);
  X509_free(v->signer);
  X509_free(v->signer_issuer);
  memset(v, 0, sizeof(*v));
}

int rgs_f2f_signing_time(CMS_SignerInfo *si, time_t *out)
{
  int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
  X509_ATTRIBUTE *a;
  ASN1_TYPE *t;
  struct tm tm;

  if (idx < 0)
    return 0;
  a = CMS_signed_get_attr(si, idx);
  t = a != NULL ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
  if (t == NULL || (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME))
    return 0;
  memset(&tm, 0, sizeof(tm));
  if (ASN1_TIME_to_tm((const ASN1_TIME *)t->value.asn1_string, &tm) != 1)
    return 0;
  *out = timegm(&tm);
  return 1;
}

/* The CMS structure of a record: a SignedData of id-data with one signer
 * and its content inside, and a signing time (into v). */
static rgs_f2f_rc open_record(const unsigned char *der, size_t len, CMS_ContentInfo **out,
                              rgs_f2f_verified *v, char *err, size_t errlen)
{
  const unsigned char *p = der;
  CMS_ContentInfo *cms = NULL;
  STACK_OF(CMS_SignerInfo) *sis;
  ASN1_OCTET_STRING **pos;
  const ASN1_OBJECT *etype;

  *out = NULL;
  cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
  if (cms == NULL || p != der + len) {
    rgsx_errf(err, errlen, "%s", _("not a DER CMS structure"));
    goto fail;
  }
  etype = CMS_get0_eContentType(cms);
  if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed || etype == NULL ||
      OBJ_obj2nid(etype) != NID_pkcs7_data) {
    rgsx_errf(err, errlen, "%s", _("not a CMS SignedData of data"));
    goto fail;
  }
  sis = CMS_get0_SignerInfos(cms);
  pos = CMS_get0_content(cms);
  if (sis == NULL || sk_CMS_SignerInfo_num(sis) != 1 || pos == NULL || *pos == NULL) {
    rgsx_errf(err, errlen, "%s", _("a record has one signer and its content inside"));
    goto fail;
  }
  if (!rgs_f2f_signing_time(sk_CMS_SignerInfo_value(sis, 0), &v->signing_time)) {
    rgsx_errf(err, errlen, "%s", _("the signature has no signing time"));
    goto fail;
  }
  *out = cms;
  return RGS_F2F_OK;

fail:
  CMS_ContentInfo_free(cms);
  return RGS_F2F_ERR_FORMAT;
}

/* The signature over the content, with the certificate the record
 * carries; then the signer and a copy of the content (into v). */
static rgs_f2f_rc signed_content(CMS_ContentInfo *cms, rgs_f2f_verified *v, char *err,
                                 size_t errlen)
{
  STACK_OF(X509) *signers = NULL;
  ASN1_OCTET_STRING **pos = CMS_get0_content(cms);
  rgs_f2f_rc rc = RGS_F2F_ERR_FORMAT;

  if (CMS_verify(cms, NULL, NULL, NULL, NULL, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
    rgsx_errf(err, errlen, "%s", ssl_reason());
    return RGS_F2F_ERR_SIGNATURE;
  }
  v->signature_ok = 1;
  signers = CMS_get0_signers(cms);
  if (signers == NULL || sk_X509_num(signers) != 1) {
    rgsx_errf(err, errlen, "%s", _("the signer's certificate is not in the record"));
    goto cleanup;
  }
  v->signer = sk_X509_value(signers, 0);
  X509_up_ref(v->signer);
  v->content_len = (size_t)ASN1_STRING_length(*pos);
  v->content = malloc(v->content_len + 1);
  if (v->content == NULL) {
    rc = RGS_F2F_ERR_NOMEM;
    goto cleanup;
  }
  memcpy(v->content, ASN1_STRING_get0_data(*pos), v->content_len);
  v->content[v->content_len] = '\0';
  SHA256((const unsigned char *)v->content, v->content_len, v->record_sha256);
  rc = RGS_F2F_OK;

cleanup:
  sk_X509_free(signers);
  return rc;
}

/* Who signed: a listed AED, by the AED trust list alone. */
static rgs_f2f_rc signer_is_aed(CMS_ContentInfo *cms, const rgs_f2f_aed_trust *aeds,
                                rgs_f2f_verified *v, char *err, size_t errlen)
{
  STACK_OF(X509) *certs = CMS_get1_certs(cms);
  rgs_f2f_aed_verdict verdict;
  char detail[1024];
  rgs_f2f_rc rc;

  rc = rgs_f2f_aed_check(aeds, v->signer, certs, v->signing_time, &verdict, detail,
                         sizeof(detail));
  v->chain_ok = verdict.chain_ok;
  v->aed = verdict.entry;
  if (rc != RGS_F2F_OK)
    rgsx_errf(err, errlen, "%s", detail);
  else
    v->aed_listed = 1;
  if (rc == RGS_F2F_OK)    /* for the revocation check of f2f verify */
    v->signer_issuer = rgs_f2f_aed_trust_issuer(aeds, v->signer, certs, v->signing_time);
  sk_X509_pop_free(certs, X509_free);
  return rc;
}

/* The content: canonical JSON, byte for byte (into v->record). */
static rgs_f2f_rc parse_content(rgs_f2f_verified *v, char *err, size_t errlen)
{
  char *again = NULL, detail[1024];
  size_t again_len = 0;
  rgs_cj_rc crc;
  rgs_f2f_rc rc = RGS_F2F_ERR_FORMAT;

  crc = rgs_cj_parse(v->content, v->content_len, &v->record, detail, sizeof(detail));
  if (crc == RGS_CJ_ERR_NOMEM)
    return RGS_F2F_ERR_NOMEM;
  if (crc != RGS_CJ_OK) {
    rgsx_errf(err, errlen, _("the content is not canonical JSON (%s)"), detail);
    return RGS_F2F_ERR_FORMAT;
  }
  if (rgs_cj_serialize(v->record, &again, &again_len) != RGS_CJ_OK) {
    rc = RGS_F2F_ERR_NOMEM;
  } else if (again_len != v->content_len || memcmp(again, v->content, again_len) != 0) {
    rgsx_errf(err, errlen, "%s", _("the content is not canonical JSON"));
  } else {
    rc = RGS_F2F_OK;
  }
  free(again);
  return rc;
}

rgs_f2f_rc rgs_f2f_verify_at(const unsigned char *der, size_t len,
                             const rgs_f2f_aed_trust *aeds, time_t now, rgs_f2f_verified *v,
                             char *err, size_t errlen)
{
  CMS_ContentInfo *cms = NULL;
  char when[32], clock[32];
  rgs_f2f_rc rc;

  memset(v, 0, sizeof(*v));
  if (der == NULL || len == 0 || len > 16 * 1024 * 1024) {
    rgsx_errf(err, errlen, "%s", _("empty or oversized file"));
    return RGS_F2F_ERR_FORMAT;
  }
  rc = open_record(der, len, &cms, v, err, errlen);
  if (rc != RGS_F2F_OK)
    goto cleanup;
  /* The signer chooses the signingTime, and the chain is checked at that
   * time: a record "from the future" is refused (the chain of an expired
   * key cannot be checked at a date to come either way). Backdating is not
   * caught here: f2f run checks the chain at the current time too. */
  if (v->signing_time > now + RGS_F2F_CLOCK_SKEW) {
    rgs_f2f_stamp(v->signing_time, when, sizeof(when));
    rgs_f2f_stamp(now, clock, sizeof(clock));
    rgsx_errf(err, errlen, _("the signature says it was made at %s, later than now (%s)"), when,
              clock);
    rc = RGS_F2F_ERR_UNTRUSTED;
    goto cleanup;
  }
  rc = signed_content(cms, v, err, errlen);
  if (rc == RGS_F2F_OK && aeds != NULL)
    rc = signer_is_aed(cms, aeds, v, err, errlen);
  if (rc == RGS_F2F_OK)
    rc = parse_content(v, err, errlen);
  if (rc == RGS_F2F_OK)
    rc = rgs_f2f_record_check(v->record, v->signer, v->signing_time, err, errlen);
  if (rc == RGS_F2F_OK)
    v->consistent = 1;

cleanup:
  CMS_ContentInfo_free(cms);
  ERR_clear_error();
  return rc;
}

/* ---- what a record says of itself ---------------------------------------------- */

/* Say why the record contradicts itself; returns RGS_F2F_ERR_INCONSISTENT. */
static rgs_f2f_rc inconsistent(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static rgs_f2f_rc inconsistent(char *err, size_t errlen, const char *fmt, ...)
{
  va_list ap;

  if (err != NULL && errlen > 0) {
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return RGS_F2F_ERR_INCONSISTENT;
}

/* A string of the record (hostile input) for a message: sanitised, "" for
 * NULL. Returns buf. */
static const char *shown(const char *s, char *buf, size_t len)
{
  return rgsx_sanitize_buf(buf, len, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

static int is_date(const char *s)
{
  return s != NULL && rgs_order_date_valid(s);
}

/* The steps: six, in order; success: all pass; refused: the failed one is
 * among the holder's steps, those after it were not done, the AED's was. */
static int steps_consistent(const rgs_cj *steps, int success)
{
  size_t i, failed_at = RGS_F2F_N_STEPS;

  if (rgs_cj_type_of(steps) != RGS_CJ_ARRAY || rgs_cj_count(steps) != RGS_F2F_N_STEPS)
    return 0;
  for (i = 0; i < RGS_F2F_N_STEPS; i++) {
    const rgs_cj *s = rgs_cj_at(steps, i);
    const char *id = rgs_cj_path_str(s, "id"), *res = rgs_cj_path_str(s, "result");
    if (id == NULL || res == NULL || strcmp(id, rgs_f2f_step_id((rgs_f2f_step)i)) != 0)
      return 0;
    if (strcmp(res, "pass") == 0) {
      if (failed_at < i && i != RGS_F2F_STEP_AED)
        return 0;
    } else if (strcmp(res, "fail") == 0) {
      if (success || failed_at != RGS_F2F_N_STEPS || i == RGS_F2F_STEP_AED)
        return 0;
      failed_at = i;
    } else if (strcmp(res, "not-done") == 0) {
      if (failed_at >= i || i == RGS_F2F_STEP_AED)
        return 0;
    } else {
      return 0;
    }
  }
  return success ? failed_at == RGS_F2F_N_STEPS : failed_at != RGS_F2F_N_STEPS;
}

static int pop_verifies(EVP_PKEY *pub, const char *message, const unsigned char *sig,
                        size_t sig_len)
{
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  int ok;

  ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
       EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)message, strlen(message)) == 1;
  EVP_MD_CTX_free(md);
  ERR_clear_error();
  return ok;
}

rgs_f2f_name_match rgs_f2f_is_holder_name(const char *first, const char *last,
                                          const char *name)
{
  char *both = NULL;
  size_t len;
  int same = 0;

  if (first == NULL || last == NULL || name == NULL || first[0] == '\0' || last[0] == '\0' ||
      name[0] == '\0')
    return RGS_F2F_NAME_OTHER;
  /* On the heap: a record's names may be long, and a cut name could
   * compare equal to what it is not. */
  len = strlen(first) + strlen(last) + 2;
  both = malloc(len);
  if (both == NULL)
    return RGS_F2F_NAME_NOMEM;
  snprintf(both, len, "%s %s", first, last);
  same = rgs_order_names_equal(name, both);
  if (!same) {
    snprintf(both, len, "%s %s", last, first);
    same = rgs_order_names_equal(name, both);
  }
  free(both);
  return same ? RGS_F2F_NAME_HOLDER : RGS_F2F_NAME_OTHER;
}

/* The AED signs for someone else: not with the holder's key, not under the
 * holder's name; and the name the record gives the AED is the signer's. */
static rgs_f2f_rc aed_is_not_holder(const rgs_cj *rec, X509 *signer, char *err, size_t errlen)
{
  unsigned char *spki = NULL, *mine = NULL;
  size_t spki_len = 0;
  const char *aed_name = rgs_cj_path_str(rec, "aed.name");
  char cn[256], name[256];
  int n;
  rgs_f2f_rc rc = RGS_F2F_OK;

  rc = RGS_F2F_ERR_INCONSISTENT;
  rgs_cert_cn(signer, cn, sizeof(cn));
  if (cn[0] == '\0') {
    rgsx_errf(err, errlen, "%s", _("the AED's certificate names no one (no CN)"));
    goto cleanup;
  }
  /* Out of memory counts as the holder's name: refused, never let through. */
  if (rgs_f2f_is_holder_name(rgs_cj_path_str(rec, "holder.first_name"),
                             rgs_cj_path_str(rec, "holder.last_name"), cn) != RGS_F2F_NAME_OTHER) {
    rgsx_errf(err, errlen, _("the record is signed by the holder (%s): the AED and the holder must be two people"), cn);
    goto cleanup;
  }
  if (aed_name == NULL || !rgs_order_names_equal(aed_name, cn)) {
    rgsx_errf(err, errlen, _("the record names the AED \"%s\", the signer's certificate \"%s\""),
            shown(aed_name, name, sizeof(name)), cn);
    goto cleanup;
  }
  rc = RGS_F2F_OK;
  if (rgs_cj_unb64(rgs_cj_path_str(rec, "key.spki"), &spki, &spki_len) != RGS_CJ_OK)
    goto cleanup;                /* a refusal before the key step has none */
  n = i2d_PUBKEY(X509_get0_pubkey(signer), &mine);
  if (n <= 0) {
    rc = RGS_F2F_ERR_CRYPTO;
    goto cleanup;
  }
  if ((size_t)n == spki_len && memcmp(mine, spki, spki_len) == 0) {
    rgsx_errf(err, errlen, "%s", _("the record is signed with the holder's own key: the AED and the holder must be two people"));
    rc = RGS_F2F_ERR_INCONSISTENT;
  }

cleanup:
  OPENSSL_free(mine);
  free(spki);
  return rc;
}

/* The record's signer is its AED: the certificate hash it gives, not the
 * holder, and signed_at is the signature's time. */
static rgs_f2f_rc check_signer(const rgs_cj *rec, X509 *signer, time_t signing_time, char *err,
                               size_t errlen)
{
  unsigned char cert_md[32], *der = NULL;
  char hex[65], stamp[32], clean[128];
  const char *s;
  int n;
  rgs_f2f_rc rc;

  n = i2d_X509(signer, &der);
  if (n <= 0)
    return RGS_F2F_ERR_CRYPTO;
  SHA256(der, (size_t)n, cert_md);
  OPENSSL_free(der);
  rgsx_hex(cert_md, sizeof(cert_md), hex);
  s = rgs_cj_path_str(rec, "aed.certificate_sha256");
  if (s == NULL || strcmp(s, hex) != 0)
    return inconsistent(err, errlen, "%s", _("the record names another AED certificate than its signer's"));
  rc = aed_is_not_holder(rec, signer, err, errlen);
  if (rc != RGS_F2F_OK)
    return rc;
  rgs_f2f_stamp(signing_time, stamp, sizeof(stamp));
  s = rgs_cj_path_str(rec, "intervention.signed_at");
  if (s == NULL || strcmp(s, stamp) != 0)
    return inconsistent(err, errlen, _("the record says it was signed at %s, the signature says %s"),
                        s != NULL ? shown(s, clean, sizeof(clean)) : "?", stamp);
  return RGS_F2F_OK;
}

/* The order, date and result, and steps that agree with the result; a
 * refusal gives its reason. *success: the result is a success. */
static rgs_f2f_rc check_outcome(const rgs_cj *rec, int *success, char *err, size_t errlen)
{
  const char *result = rgs_cj_path_str(rec, "intervention.result");
  const char *date = rgs_cj_path_str(rec, "intervention.date"), *s;

  *success = 0;
  if (result == NULL || (strcmp(result, "success") != 0 && strcmp(result, "refused") != 0) ||
      !is_date(date) || rgs_cj_path_int(rec, "order.id", 0) <= 0)
    return inconsistent(err, errlen, "%s", _("the record lacks its order, date or result"));
  *success = strcmp(result, "success") == 0;
  if (!steps_consistent(rgs_cj_path(rec, "steps"), *success))
    return inconsistent(err, errlen, "%s", _("the steps of the record do not agree with its result"));
  if (!*success) {
    s = rgs_cj_path_str(rec, "intervention.reason");
    if (s == NULL || s[0] == '\0')
      return inconsistent(err, errlen, "%s", _("a refused intervention must give its reason"));
  }
  return RGS_F2F_OK;
}

/* The holder's key (the SPKI and its hash), and the proof of possession:
 * the very message, signed by that key. */
static rgs_f2f_rc check_key_and_pop(const rgs_cj *rec, char *err, size_t errlen)
{
  unsigned char spki_md[32], *spki = NULL, *sig = NULL;
  size_t spki_len = 0, sig_len = 0;
  const unsigned char *q;
  const char *s, *nonce = rgs_cj_path_str(rec, "proof_of_possession.nonce");
  char hex[65], *message = NULL;
  EVP_PKEY *pub = NULL;
  rgs_f2f_rc rc = RGS_F2F_ERR_INCONSISTENT;

  if (rgs_cj_unb64(rgs_cj_path_str(rec, "key.spki"), &spki, &spki_len) != RGS_CJ_OK) {
    inconsistent(err, errlen, "%s", _("the record lacks the holder's public key"));
    goto cleanup;
  }
  SHA256(spki, spki_len, spki_md);
  rgsx_hex(spki_md, sizeof(spki_md), hex);
  s = rgs_cj_path_str(rec, "key.spki_sha256");
  if (s == NULL || strcmp(s, hex) != 0) {
    inconsistent(err, errlen, "%s", _("the holder's public key does not hash to the SPKI SHA-256 of the record"));
    goto cleanup;
  }
  q = spki;
  pub = d2i_PUBKEY(NULL, &q, (long)spki_len);
  if (pub == NULL || q != spki + spki_len) {
    inconsistent(err, errlen, "%s", _("the holder's public key cannot be read"));
    goto cleanup;
  }
  message = rgs_f2f_pop_message(rgs_cj_path_int(rec, "order.id", 0), hex, nonce,
                                rgs_cj_path_str(rec, "intervention.date"));
  s = rgs_cj_path_str(rec, "proof_of_possession.message");
  if (message == NULL || s == NULL || strcmp(s, message) != 0 || strlen(nonce) != 64) {
    inconsistent(err, errlen, "%s", _("the proof-of-possession challenge is not the one this order and key call for"));
    goto cleanup;
  }
  if (rgs_cj_unb64(rgs_cj_path_str(rec, "proof_of_possession.signature"), &sig, &sig_len) !=
          RGS_CJ_OK ||
      !pop_verifies(pub, message, sig, sig_len)) {
    inconsistent(err, errlen, "%s", _("the holder's signature of the challenge does not verify with the key of the order"));
    goto cleanup;
  }
  rc = RGS_F2F_OK;

cleanup:
  free(message);
  EVP_PKEY_free(pub);
  free(sig);
  free(spki);
  return rc;
}

/* The checks of the day: the token, the identity document, the extract. */
static rgs_f2f_rc check_day(const rgs_cj *rec, char *err, size_t errlen)
{
  const char *date = rgs_cj_path_str(rec, "intervention.date"), *s;
  char last_day[16];

  if (rgs_cj_path_bool(rec, "check.passed") != 1 &&
      rgs_cj_path_bool(rec, "check.admitted_by_demo_policy") != 1)
    return inconsistent(err, errlen, "%s", _("the record says the token failed the RGS** check"));
  s = rgs_cj_path_str(rec, "identity.expires_on");
  if (!is_date(s) || strcmp(s, date) < 0)
    return inconsistent(err, errlen, "%s", _("the identity document was not valid on the day of the intervention"));
  if (rgs_cj_path_bool(rec, "identity.name_matches_order") != 1 ||
      rgs_cj_path_bool(rec, "identity.verified_in_person") != 1 ||
      rgs_cj_path_str(rec, "identity.number_scrypt") == NULL)
    return inconsistent(err, errlen, "%s", _("the identity of the holder was not established"));
  if (!rgs_f2f_id_kdf_acceptable(rgs_cj_path(rec, "identity")))
    return inconsistent(err, errlen, "%s", _("the document number is kept with an unknown or too weak key derivation (scrypt, N >= 32768, r >= 8 required)"));
  s = rgs_cj_path_str(rec, "company.extract_date");
  if (!is_date(s) || strcmp(s, date) > 0)
    return inconsistent(err, errlen, "%s", _("the registration extract has no valid date"));
  rgs_order_date_last_day_under(s, RGS_ORDER_EXTRACT_MONTHS, last_day, sizeof(last_day));
  if (strcmp(date, last_day) > 0)
    return inconsistent(err, errlen, "%s", _("the registration extract was three months old or more on the day"));
  return RGS_F2F_OK;
}

rgs_f2f_rc rgs_f2f_record_check(const rgs_cj *rec, X509 *signer, time_t signing_time,
                                char *err, size_t errlen)
{
  const char *s = rgs_cj_path_str(rec, "format");
  char clean[128];
  int success = 0;
  rgs_f2f_rc rc;

  if (s == NULL || strcmp(s, RGS_F2F_FORMAT) != 0) {
    rgsx_errf(err, errlen, _("unknown record format '%s'"), shown(s, clean, sizeof(clean)));
    return RGS_F2F_ERR_FORMAT;
  }
  rc = check_signer(rec, signer, signing_time, err, errlen);
  if (rc == RGS_F2F_OK)
    rc = check_outcome(rec, &success, err, errlen);
  if (rc == RGS_F2F_OK && success)
    rc = check_key_and_pop(rec, err, errlen);
  if (rc == RGS_F2F_OK && success)
    rc = check_day(rec, err, errlen);
  return rc;
}
