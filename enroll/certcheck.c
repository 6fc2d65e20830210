/* SPDX-License-Identifier: BSD-3-Clause */
/* certcheck.c - read delivered certificates; judge one against its chain,
 * RGS** and the order. No token, no output: see certcheck.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>
#include "certcheck.h"
#include "rgs_common.h"
#include "rgsx_i18n.h"
/* rgs_name_fields_get (orders.c) and rgs_subject_text (subject.c): pure
 * functions still declared in workflow headers. */
#include "orders.h"

#define RGS_CERTS_MAX_FILE (1024 * 1024)

const char *rgs_certs_strerror(rgs_certs_rc rc)
{
  switch (rc) {
  case RGS_CERTS_OK: return _("certificates read");
  case RGS_CERTS_ERR_IO: return _("the certificate file could not be read");
  case RGS_CERTS_ERR_FORMAT: return _("no certificate could be read from the file: it is not PEM, DER or PKCS#7, or it is truncated");
  case RGS_CERTS_ERR_NOMEM: return _("out of memory");
  case RGS_CERTS_ERR_CRYPTO: return _("cryptographic library failure");
  }
  return _("unknown error");
}

/* ---- reading ------------------------------------------------------------ */

void rgs_certs_free(STACK_OF(X509) *certs)
{
  sk_X509_pop_free(certs, X509_free);
}

STACK_OF(X509) *rgs_certs_from_pkcs7(const unsigned char *der, size_t len)
{
  const unsigned char *p = der;
  PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)len);
  STACK_OF(X509) *in = NULL, *out = NULL;
  int i;

  if (p7 == NULL || p != der + len || !PKCS7_type_is_signed(p7) || p7->d.sign == NULL)
    goto cleanup;
  in = p7->d.sign->cert;
  if (in == NULL || sk_X509_num(in) == 0)
    goto cleanup;
  out = sk_X509_new_null();
  if (out == NULL)
    goto cleanup;
  for (i = 0; i < sk_X509_num(in); i++) {
    X509 *c = sk_X509_value(in, i);
    if (!X509_up_ref(c) || !sk_X509_push(out, c)) {
      rgs_certs_free(out);
      out = NULL;
      goto cleanup;
    }
  }

cleanup:
  PKCS7_free(p7);
  return out;
}

/* Append src's certificates to dst (src consumed). */
static int append(STACK_OF(X509) *dst, STACK_OF(X509) *src)
{
  int ok = 1;
  X509 *c;

  while (src != NULL && (c = sk_X509_shift(src)) != NULL) {
    if (ok && sk_X509_push(dst, c))
      continue;
    X509_free(c);
    ok = 0;
  }
  sk_X509_free(src);
  return ok;
}

static X509 *x509_whole(const unsigned char *der, size_t len)
{
  const unsigned char *p = der;
  X509 *c = d2i_X509(NULL, &p, (long)len);

  if (c != NULL && p != der + len) {   /* trailing bytes: not one certificate */
    X509_free(c);
    c = NULL;
  }
  return c;
}

/* DER certificate or DER PKCS#7. */
static rgs_certs_rc load_der(const unsigned char *der, size_t len, STACK_OF(X509) *out)
{
  X509 *c = x509_whole(der, len);
  STACK_OF(X509) *p7;

  if (c != NULL) {
    if (sk_X509_push(out, c))
      return RGS_CERTS_OK;
    X509_free(c);
    return RGS_CERTS_ERR_NOMEM;
  }
  p7 = rgs_certs_from_pkcs7(der, len);
  if (p7 == NULL)
    return RGS_CERTS_ERR_FORMAT;
  return append(out, p7) ? RGS_CERTS_OK : RGS_CERTS_ERR_NOMEM;
}

/* Every PEM block; certificates and PKCS#7 kept, other blocks (keys,
 * requests) ignored. A block that does not parse fails the whole file: a
 * truncated bundle must not pass for a shorter one. */
static rgs_certs_rc load_pem(const unsigned char *buf, size_t len, STACK_OF(X509) *out)
{
  BIO *bio = BIO_new_mem_buf(buf, (int)len);
  char *name = NULL, *header = NULL;
  unsigned char *data = NULL;
  long dlen = 0;
  rgs_certs_rc rc = RGS_CERTS_OK;
  unsigned long e;

  if (bio == NULL)
    return RGS_CERTS_ERR_NOMEM;
  ERR_set_mark();
  for (;;) {
    if (PEM_read_bio(bio, &name, &header, &data, &dlen) != 1) {
      e = ERR_peek_last_error();
      if (ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) != PEM_R_NO_START_LINE)
        rc = RGS_CERTS_ERR_FORMAT;
      break;
    }
    if (strcmp(name, PEM_STRING_X509) == 0 || strcmp(name, PEM_STRING_X509_OLD) == 0 ||
        strcmp(name, PEM_STRING_PKCS7) == 0 || strcmp(name, "CMS") == 0)
      rc = load_der(data, (size_t)dlen, out);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    name = header = NULL;
    data = NULL;
    if (rc != RGS_CERTS_OK)
      break;
  }
  ERR_pop_to_mark();
  BIO_free(bio);
  return rc;
}

/* Bare base64 (white space allowed anywhere), as EST bodies are. */
static rgs_certs_rc load_base64(const unsigned char *buf, size_t len, STACK_OF(X509) *out)
{
  EVP_ENCODE_CTX *ctx = NULL;
  unsigned char *der = NULL;
  int n = 0, fin = 0;
  size_t i;
  rgs_certs_rc rc = RGS_CERTS_ERR_FORMAT;

  for (i = 0; i < len; i++) {
    unsigned char ch = buf[i];
    if (!(ch == '+' || ch == '/' || ch == '=' || ch == ' ' || ch == '\t' || ch == '\r' ||
          ch == '\n' || (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= 'a' && ch <= 'z')))
      return RGS_CERTS_ERR_FORMAT;
  }
  if (len > INT_MAX)
    return RGS_CERTS_ERR_FORMAT;
  ctx = EVP_ENCODE_CTX_new();
  der = malloc(len / 4 * 3 + 4);
  if (ctx == NULL || der == NULL) {
    rc = RGS_CERTS_ERR_NOMEM;
    goto cleanup;
  }
  EVP_DecodeInit(ctx);
  if (EVP_DecodeUpdate(ctx, der, &n, buf, (int)len) < 0 || EVP_DecodeFinal(ctx, der + n, &fin) != 1)
    goto cleanup;
  if (n + fin > 0)
    rc = load_der(der, (size_t)(n + fin), out);

cleanup:
  EVP_ENCODE_CTX_free(ctx);
  free(der);
  return rc;
}

rgs_certs_rc rgs_certs_load_mem(const unsigned char *buf, size_t len, STACK_OF(X509) **out)
{
  STACK_OF(X509) *certs = NULL;
  rgs_certs_rc rc;

  if (buf == NULL || out == NULL)
    return RGS_CERTS_ERR_FORMAT;
  *out = NULL;
  if (len == 0 || len > RGS_CERTS_MAX_FILE)
    return RGS_CERTS_ERR_FORMAT;
  certs = sk_X509_new_null();
  if (certs == NULL)
    return RGS_CERTS_ERR_NOMEM;
  if (memmem(buf, len, "-----BEGIN ", 11) != NULL)
    rc = load_pem(buf, len, certs);
  else if (buf[0] == 0x30)
    rc = load_der(buf, len, certs);
  else
    rc = load_base64(buf, len, certs);
  if (rc == RGS_CERTS_OK && sk_X509_num(certs) == 0)
    rc = RGS_CERTS_ERR_FORMAT;
  if (rc != RGS_CERTS_OK) {
    rgs_certs_free(certs);
    return rc;
  }
  *out = certs;
  return RGS_CERTS_OK;
}

rgs_certs_rc rgs_certs_load_file(const char *path, STACK_OF(X509) **out, char *why,
                                 size_t whylen)
{
  FILE *f = NULL;
  unsigned char *buf = NULL;
  size_t len = 0, got;
  rgs_certs_rc rc = RGS_CERTS_ERR_IO;
  rgsx_rc frc = RGSX_OK;

  *out = NULL;
  if (whylen > 0)
    why[0] = '\0';
  /* A FIFO or a device named as a certificate would block the read forever. */
  f = rgsx_fopen_regular(path, &frc);
  if (f == NULL) {
    snprintf(why, whylen, "%s: %s", path,
             frc == RGSX_ERR_SYSTEM ? strerror(errno) : rgsx_strerror(frc));
    return frc == RGSX_ERR_NOMEM ? RGS_CERTS_ERR_NOMEM : RGS_CERTS_ERR_IO;
  }
  buf = malloc(RGS_CERTS_MAX_FILE + 1);
  if (buf == NULL) {
    rc = RGS_CERTS_ERR_NOMEM;
    goto cleanup;
  }
  while ((got = fread(buf + len, 1, RGS_CERTS_MAX_FILE + 1 - len, f)) > 0)
    len += got;
  if (ferror(f)) {
    snprintf(why, whylen, "%s: %s", path, strerror(errno));
    goto cleanup;
  }
  rc = len > RGS_CERTS_MAX_FILE ? RGS_CERTS_ERR_FORMAT : rgs_certs_load_mem(buf, len, out);
  if (rc != RGS_CERTS_OK)
    snprintf(why, whylen, "%s", path);

cleanup:
  free(buf);
  fclose(f);
  return rc;
}

/* Trust anchors (and CRLs) of a PEM file into store, as
 * X509_STORE_load_file does, but refusing what is not a regular file. */
static int load_anchors(X509_STORE *store, const char *path, char *why, size_t whylen)
{
  rgsx_rc frc = RGSX_OK;
  FILE *f = rgsx_fopen_regular(path, &frc);
  STACK_OF(X509_INFO) *infos = NULL;
  BIO *bio = NULL;
  int i, n = 0, ok = 1;

  if (f == NULL) {
    snprintf(why, whylen, "%s", frc == RGSX_ERR_SYSTEM ? strerror(errno) : rgsx_strerror(frc));
    return 0;
  }
  bio = BIO_new_fp(f, BIO_CLOSE);
  if (bio == NULL) {
    fclose(f);
    snprintf(why, whylen, "%s", rgsx_strerror(RGSX_ERR_NOMEM));
    return 0;
  }
  ERR_set_mark();
  infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
  ERR_pop_to_mark();
  for (i = 0; ok && i < sk_X509_INFO_num(infos); i++) {
    X509_INFO *info = sk_X509_INFO_value(infos, i);
    if (info->x509 != NULL) {
      ok = X509_STORE_add_cert(store, info->x509) == 1;
      n++;
    }
    if (ok && info->crl != NULL)
      ok = X509_STORE_add_crl(store, info->crl) == 1;
  }
  sk_X509_INFO_pop_free(infos, X509_INFO_free);
  BIO_free(bio);
  if (ok && n > 0)
    return 1;
  snprintf(why, whylen, "%s", _("no readable certificate in it"));
  return 0;
}

X509 *rgs_certs_leaf(STACK_OF(X509) *certs, const EVP_PKEY *pub)
{
  X509 *found = NULL;
  int i, n = 0;

  for (i = 0; i < sk_X509_num(certs); i++) {
    X509 *c = sk_X509_value(certs, i);
    if (pub != NULL ? EVP_PKEY_eq(X509_get0_pubkey(c), pub) == 1 : X509_check_ca(c) == 0) {
      if (found == NULL || X509_cmp(found, c) != 0)
        n++;
      found = c;
    }
  }
  return n == 1 ? found : NULL;
}

char *rgs_certs_pem(X509 *leaf, STACK_OF(X509) *others)
{
  BIO *b = BIO_new(BIO_s_mem());
  char *data = NULL, *pem = NULL;
  long n;
  int i, ok;

  if (b == NULL)
    return NULL;
  ok = leaf == NULL || PEM_write_bio_X509(b, leaf) == 1;
  for (i = 0; ok && i < sk_X509_num(others); i++) {
    X509 *c = sk_X509_value(others, i);
    if (leaf == NULL || X509_cmp(c, leaf) != 0)
      ok = PEM_write_bio_X509(b, c) == 1;
  }
  n = BIO_get_mem_data(b, &data);
  if (ok && n >= 0) {
    pem = malloc((size_t)n + 1);
    if (pem != NULL) {
      memcpy(pem, data, (size_t)n);
      pem[n] = '\0';
    }
  }
  BIO_free(b);
  return pem;
}

void rgs_cert_fingerprint(X509 *cert, char *out, size_t len)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0, i;
  size_t o = 0;

  if (len == 0)
    return;
  out[0] = '\0';
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1)
    return;
  for (i = 0; i < n && o + 3 < len; i++)
    o += (size_t)snprintf(out + o, len - o, i + 1 < n ? "%02X:" : "%02X", md[i]);
}

char *rgs_cert_subject(X509 *cert)
{
  return rgs_subject_text(X509_get_subject_name(cert));
}

/* ---- judging ------------------------------------------------------------- */


time_t rgs_cert_not_after(const X509 *cert)
{
  return rgsx_asn1_time(X509_get0_notAfter(cert));
}

static void day_text(time_t t, char *out, size_t len)
{
  struct tm tm;

  if (gmtime_r(&t, &tm) == NULL)
    snprintf(out, len, "?");
  else
    strftime(out, len, "%Y-%m-%d", &tm);
}

/* The CN of c, sanitised: it is printed and logged. */
void rgs_cert_cn(X509 *c, char *buf, size_t len)
{
  const X509_NAME *name = X509_get_subject_name(c);
  int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1), n = -1;
  unsigned char *utf8 = NULL;

  if (len == 0)
    return;
  buf[0] = '\0';
  if (i >= 0)
    n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
  if (n > 0)
    rgsx_sanitize_buf(buf, len, (const char *)utf8, (size_t)n);
  OPENSSL_free(utf8);
}

static const char *short_name(X509 *c, char *buf, size_t len)
{
  rgs_cert_cn(c, buf, len);
  if (buf[0] == '\0')
    snprintf(buf, len, "?");
  return buf;
}

/* What each criterion means for the holder, passed or failed, and what to
 * do when it fails (the evidence keeps OpenSSL's words). */
typedef struct {
  const char *id, *pass, *fail, *advice;   /* N_() texts */
} cert_words;

static const cert_words words[] = {
  { "cert.structure", N_("The certificate is correctly formed."),
    N_("The certificate is malformed: it cannot be trusted."),
    N_("Do not use it: ask the certification authority for the certificate again.") },
  { "cert.chain", N_("The certificate comes from a certification authority this computer trusts."),
    N_("The certificate's chain of trust does not hold."),
    N_("Ask the certification authority for the complete chain of certificates.") },
  { "cert.dates", N_("The certificate is valid today."), N_("The certificate is not valid today."),
    N_("Check this computer's date; otherwise ask the certification authority for a new certificate.") },
  { "cert.signature", N_("The certificate is signed with a strong hash (SHA-256 or better)."),
    N_("The certificate is signed with a weak hash that RGS** does not accept."),
    N_("Ask the certification authority for a certificate signed with SHA-256.") },
  { "cert.usage", N_("The certificate may be used to sign and to prove who you are."),
    N_("The certificate is not made to sign and to prove who you are."),
    N_("Check that this is your certificate; otherwise ask the certification authority.") },
  { "cert.key", N_("The certificate's key is of a kind and size RGS** accepts."),
    N_("The certificate's key is of a kind or size RGS** does not accept."),
    N_("Ask the certification authority: this certificate does not meet RGS**.") },
  { "cert.subject", N_("The name on the certificate is the one of the order."),
    N_("The name on the certificate is not the one of the order."),
    N_("Check the holder and company of the order; otherwise contact the certification authority.") },
  { "cert.validity", N_("The certificate lasts as long as what was ordered."),
    N_("The certificate does not last as long as what was ordered."),
    N_("Contact the certification authority.") },
};

/* One criterion into the report, in the holder's words (plain, advice;
 * NULL: those of the table); only memory can make that fail. */
static rgs_certs_rc add_said(rgs_p11_report **rep, const char *id, const char *title, int pass,
                             const char *evidence, const char *plain, const char *advice)
{
  size_t i;

  for (i = 0; i < RGS_ARRAY_LEN(words) && (plain == NULL || advice == NULL); i++) {
    if (strcmp(words[i].id, id) != 0)
      continue;
    if (plain == NULL)
      plain = _(pass ? words[i].pass : words[i].fail);
    if (advice == NULL && !pass)
      advice = _(words[i].advice);
  }
  if (rgs_p11_report_add(rep, id, title, pass ? RGS_CHECK_PASS : RGS_CHECK_FAIL, "%s",
                         evidence) != RGS_P11_OK)
    return RGS_CERTS_ERR_NOMEM;
  if (plain != NULL)
    rgs_p11_report_explain(*rep, plain, pass ? NULL : advice);
  return RGS_CERTS_OK;
}

static rgs_certs_rc add(rgs_p11_report **rep, const char *id, const char *title, int pass,
                        const char *evidence)
{
  return add_said(rep, id, title, pass, evidence, NULL, NULL);
}

/* ---- structure: what OpenSSL 3.0 parses but RFC 5280 forbids ----------- */

/* An extension of a type OpenSSL knows whose value does not decode. */
static int ext_garbled(X509_EXTENSION *ext)
{
  const X509V3_EXT_METHOD *m = X509V3_EXT_get(ext);
  void *d;

  if (m == NULL)
    return 0;                  /* unknown type: judged by criticality in the chain check */
  ERR_set_mark();
  d = X509V3_EXT_d2i(ext);
  ERR_pop_to_mark();
  if (d == NULL)
    return 1;
  if (m->it != NULL)
    ASN1_item_free(d, ASN1_ITEM_ptr(m->it));
  else if (m->ext_free != NULL)
    m->ext_free(d);
  return 0;
}

static const char *ext_name(X509_EXTENSION *ext, char *buf, size_t len)
{
  ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);
  int nid = OBJ_obj2nid(obj);

  if (nid != NID_undef)
    snprintf(buf, len, "%s", OBJ_nid2ln(nid));
  else if (OBJ_obj2txt(buf, (int)len, obj, 1) <= 0)
    snprintf(buf, len, "?");
  return buf;
}

/* What is wrong with c itself, in why; 1 when nothing. */
static int well_formed(X509 *c, char *why, size_t len)
{
  long version = X509_get_version(c);
  int i, n = X509_get_ext_count(c), ok = 0;
  BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c), NULL);
  char name[96];

  if (version != X509_VERSION_1 && version != X509_VERSION_3) {
    snprintf(why, len, _("it says it is version %ld: only versions 1 and 3 are allowed"),
             version + 1);
    goto cleanup;
  }
  if (version == X509_VERSION_1 && n > 0) {
    snprintf(why, len, "%s", _("it says version 1 but carries extensions, which only version 3 allows"));
    goto cleanup;
  }
  if (serial == NULL || BN_is_negative(serial) || BN_is_zero(serial) || BN_num_bytes(serial) > 20) {
    snprintf(why, len, "%s", _("its serial number is zero, negative or longer than 20 bytes (RFC 5280 wants a positive number)"));
    goto cleanup;
  }
  for (i = 0; i < n; i++) {
    X509_EXTENSION *ext = X509_get_ext(c, i);
    if (X509_get_ext_by_OBJ(c, X509_EXTENSION_get_object(ext), i) >= 0) {
      snprintf(why, len, _("the extension %s appears twice"), ext_name(ext, name, sizeof(name)));
      goto cleanup;
    }
    if (ext_garbled(ext)) {
      snprintf(why, len, _("the extension %s cannot be decoded"), ext_name(ext, name, sizeof(name)));
      goto cleanup;
    }
  }
  if (X509_get_extension_flags(c) & EXFLAG_INVALID) {
    snprintf(why, len, "%s", _("its extensions are malformed or contradict each other"));
    goto cleanup;
  }
  if (X509_get0_pubkey(c) == NULL) {
    snprintf(why, len, "%s", _("its public key cannot be read"));
    goto cleanup;
  }
  ok = 1;

cleanup:
  BN_free(serial);
  return ok;
}

/* The certificate and those delivered with it are judged as they are,
 * before any chain is built: OpenSSL would otherwise report a malformed
 * certificate as one whose issuer is unknown. *sound: 1 when all pass. */
static rgs_certs_rc check_structure(const rgs_certcheck_in *in, rgs_p11_report **rep,
                                    int *sound)
{
  const char *title = _("well-formed certificate (RFC 5280)");
  char why[256], ev[384], name[96];
  int i;

  *sound = 0;
  if (!well_formed(in->cert, why, sizeof(why))) {
    snprintf(ev, sizeof(ev), _("the certificate \"%s\" is malformed: %s"),
             short_name(in->cert, name, sizeof(name)), why);
    return add(rep, "cert.structure", title, 0, ev);
  }
  for (i = 0; i < sk_X509_num(in->untrusted); i++) {
    X509 *c = sk_X509_value(in->untrusted, i);
    if (X509_cmp(c, in->cert) != 0 && !well_formed(c, why, sizeof(why))) {
      snprintf(ev, sizeof(ev), _("the CA certificate \"%s\" delivered with it is malformed: %s"),
               short_name(c, name, sizeof(name)), why);
      return add(rep, "cert.structure", title, 0, ev);
    }
  }
  *sound = 1;
  return add(rep, "cert.structure", title, 1,
             _("version, serial number, extensions and public key as RFC 5280 wants them"));
}

/* A chain that does not verify, in words: an authority this computer does
 * not know (the common case: a CA bundle missing), one it does not trust,
 * a broken signature, or the rest. */
static rgs_certs_rc chain_failed(rgs_p11_report **rep, const char *title, const char *ev, int err)
{
  const char *plain = NULL, *advice = NULL;

  switch (err) {
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
  case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    plain = _("The authority that issued the certificate is not known to this computer.");
    advice = _("Install the certification authority's certificates (Debian: package ca-certificates, which holds Certigna's), or give them with --ca-file.");
    break;
  case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
  case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    plain = _("The certificate leads to an authority this computer does not trust.");
    advice = _("Check that the certificate comes from your certification authority; if it does, give its certificates with --ca-file.");
    break;
  case X509_V_ERR_CERT_SIGNATURE_FAILURE:
  case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
  case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
    plain = _("A signature in the certificate's chain is wrong: the certificate may have been altered.");
    advice = _("Do not use it: ask the certification authority for the certificate again.");
    break;
  default:
    break;                      /* the table's words */
  }
  return add_said(rep, "cert.chain", title, 0, ev, plain, advice);
}

/* Trust: the system store or the given anchors, and the delivered
 * certificates as intermediates. Dates are judged apart (cert.dates), so
 * that an expired certificate is reported as expired, not as untrusted. */
static rgs_certs_rc check_chain(const rgs_certcheck_in *in, rgs_p11_report **rep,
                                STACK_OF(X509) **chain)
{
  X509_STORE *store = X509_STORE_new();
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  const char *title = _("chain of trust");
  char ev[512], a[96], why[256];
  rgs_certs_rc rc = RGS_CERTS_ERR_NOMEM;
  int i, verified, err = X509_V_OK;

  if (store == NULL || ctx == NULL)
    goto cleanup;
  rc = RGS_CERTS_ERR_CRYPTO;
  if (in->ca_file != NULL) {
    if (!load_anchors(store, in->ca_file, why, sizeof(why))) {
      snprintf(ev, sizeof(ev), _("the CA file %s cannot be used: %s"), in->ca_file, why);
      rc = add_said(rep, "cert.chain", title, 0, ev,
                    _("The file of trusted authorities given with --ca-file cannot be used."),
                    _("Give with --ca-file a file of PEM certificates of the certification authority."));
      goto cleanup;
    }
  } else if (X509_STORE_set_default_paths(store) != 1) {
    goto cleanup;
  }
  for (i = 0; i < sk_X509_num(in->anchors); i++)
    if (X509_STORE_add_cert(store, sk_X509_value(in->anchors, i)) != 1)
      goto cleanup;
  if (X509_STORE_CTX_init(ctx, store, in->cert, in->untrusted) != 1)
    goto cleanup;
  /* Strict: RFC 5280's rules on extensions, names and algorithms, for the
   * whole chain (check_structure covers what OpenSSL 3.0 lets through). */
  X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx),
                              X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_X509_STRICT);
  ERR_set_mark();
  verified = X509_verify_cert(ctx) == 1;
  ERR_pop_to_mark();
  if (verified) {
    STACK_OF(X509) *built = X509_STORE_CTX_get1_chain(ctx);
    X509 *top = sk_X509_value(built, sk_X509_num(built) - 1);
    snprintf(ev, sizeof(ev), _("%d certificate(s) up to \"%s\" (%s)"), sk_X509_num(built),
             short_name(top, a, sizeof(a)),
             in->ca_file != NULL ? in->ca_file : _("system trust store"));
    if (chain != NULL)
      *chain = built;
    else
      rgs_certs_free(built);
  } else {
    err = X509_STORE_CTX_get_error(ctx);
    /* OpenSSL's English stays as evidence; the person reads chain_words. */
    if (in->ca_file != NULL)
      snprintf(ev, sizeof(ev), _("OpenSSL: %s (checked against %s)"),
               X509_verify_cert_error_string(err), in->ca_file);
    else
      snprintf(ev, sizeof(ev), _("OpenSSL: %s (checked against the system's trusted authorities)"),
               X509_verify_cert_error_string(err));
  }
  rc = verified ? add(rep, "cert.chain", title, 1, ev) : chain_failed(rep, title, ev, err);

cleanup:
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return rc;
}

static rgs_certs_rc check_dates(const rgs_certcheck_in *in, STACK_OF(X509) *chain,
                                rgs_p11_report **rep)
{
  const char *title = _("dates of validity");
  time_t nb = rgsx_asn1_time(X509_get0_notBefore(in->cert));
  time_t na = rgsx_asn1_time(X509_get0_notAfter(in->cert));
  char from[16], to[16], ev[256], name[96];
  time_t now = in->now;
  int i;

  day_text(nb, from, sizeof(from));
  day_text(na, to, sizeof(to));
  if (nb == (time_t)-1 || na == (time_t)-1)
    return add_said(rep, "cert.dates", title, 0, _("dates not readable"),
                    _("The certificate's dates cannot be read."), NULL);
  if (in->now < nb) {
    snprintf(ev, sizeof(ev), _("not valid before %s"), from);
    return add_said(rep, "cert.dates", title, 0, ev, _("The certificate is not valid yet."),
                    _("Check this computer's date and time; otherwise wait for the first day of validity."));
  }
  if (in->now > na) {
    snprintf(ev, sizeof(ev), _("expired on %s"), to);
    return add_said(rep, "cert.dates", title, 0, ev, _("The certificate has expired."),
                    _("Ask the certification authority for a new certificate (renewal)."));
  }
  for (i = 1; i < sk_X509_num(chain); i++) {
    X509 *ca = sk_X509_value(chain, i);
    if (X509_cmp_time(X509_get0_notAfter(ca), &now) < 0 ||
        X509_cmp_time(X509_get0_notBefore(ca), &now) > 0) {
      snprintf(ev, sizeof(ev), _("the CA certificate \"%s\" is not valid today"),
               short_name(ca, name, sizeof(name)));
      return add_said(rep, "cert.dates", title, 0, ev,
                      _("A certificate of the authority, in the chain, is not valid today."), NULL);
    }
  }
  snprintf(ev, sizeof(ev), _("valid from %s to %s"), from, to);
  return add(rep, "cert.dates", title, 1, ev);
}

static int strong_digest(int mdnid)
{
  return mdnid == NID_sha256 || mdnid == NID_sha384 || mdnid == NID_sha512 ||
         mdnid == NID_sha512_256 || mdnid == NID_sha3_256 || mdnid == NID_sha3_384 ||
         mdnid == NID_sha3_512;
}

/* The hash of every signature that matters: the certificate's and its CAs'
 * (a self-signed anchor's own signature proves nothing). */
static rgs_certs_rc check_signatures(const rgs_certcheck_in *in, STACK_OF(X509) *chain,
                                     rgs_p11_report **rep)
{
  const char *title = _("signature hash (SHA-256 or stronger)");
  int i, n = chain != NULL ? sk_X509_num(chain) : 1, mdnid = NID_undef, pknid;
  char ev[256], name[96];

  for (i = 0; i < n; i++) {
    X509 *c = chain != NULL ? sk_X509_value(chain, i) : in->cert;
    if (i > 0 && (X509_get_extension_flags(c) & EXFLAG_SS))
      continue;
    if (X509_get_signature_info(c, &mdnid, &pknid, NULL, NULL) != 1 || !strong_digest(mdnid)) {
      snprintf(ev, sizeof(ev), _("\"%s\" is signed with %s"), short_name(c, name, sizeof(name)),
               OBJ_nid2ln(X509_get_signature_nid(c)));
      return add(rep, "cert.signature", title, 0, ev);
    }
  }
  return add(rep, "cert.signature", title, 1, OBJ_nid2ln(X509_get_signature_nid(in->cert)));
}

static rgs_certs_rc check_usage(const rgs_certcheck_in *in, rgs_p11_report **rep)
{
  const char *title = _("key usage: signature and authentication");
  uint32_t ku = X509_get_key_usage(in->cert), xku = X509_get_extended_key_usage(in->cert);
  char ev[256];
  size_t o = 0;

  if (X509_check_ca(in->cert) != 0)
    return add_said(rep, "cert.usage", title, 0, _("this is a CA certificate, not the holder's"),
                    _("This is the certificate of an authority, not the holder's."), NULL);
  if (ku == UINT32_MAX)
    return add(rep, "cert.usage", title, 0, _("no key usage extension"));
  ev[0] = '\0';
  if (ku & KU_DIGITAL_SIGNATURE)
    o += (size_t)snprintf(ev + o, sizeof(ev) - o, "digitalSignature ");
  if ((ku & KU_NON_REPUDIATION) && o < sizeof(ev))
    o += (size_t)snprintf(ev + o, sizeof(ev) - o, "nonRepudiation ");
  if ((ku & KU_KEY_ENCIPHERMENT) && o < sizeof(ev))
    o += (size_t)snprintf(ev + o, sizeof(ev) - o, "keyEncipherment ");
  if (!(ku & KU_DIGITAL_SIGNATURE))
    return add(rep, "cert.usage", title, 0, _("digitalSignature missing from the key usage"));
  if (xku != UINT32_MAX && !(xku & (XKU_SSL_CLIENT | XKU_ANYEKU)))
    return add(rep, "cert.usage", title, 0,
               _("the extended key usage does not allow client authentication"));
  if (xku != UINT32_MAX && (xku & XKU_SSL_CLIENT) && o < sizeof(ev))
    snprintf(ev + o, sizeof(ev) - o, "clientAuth");
  return add(rep, "cert.usage", title, 1, ev);
}

static rgs_certs_rc check_key(const rgs_certcheck_in *in, rgs_p11_report **rep)
{
  const char *title = _("key algorithm and size (RGS**)");
  EVP_PKEY *pub = X509_get0_pubkey(in->cert);
  time_t na = rgsx_asn1_time(X509_get0_notAfter(in->cert));
  unsigned min_rsa = rgs_p11_min_rsa_bits(na), bits;
  char group[64] = "", ev[256];
  BIGNUM *e = NULL;
  int ok, pass;

  if (pub == NULL)
    return add(rep, "cert.key", title, 0, _("public key not readable"));
  bits = (unsigned)EVP_PKEY_get_bits(pub);
  if (EVP_PKEY_is_a(pub, "RSA")) {
    pass = bits >= min_rsa &&
           EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
           BN_num_bits(e) > 16 && BN_is_odd(e);
    snprintf(ev, sizeof(ev), _("RSA %u bits, e %s 2^16; %u bits required until the end of validity"),
             bits, e != NULL && BN_num_bits(e) > 16 ? ">" : "<=", min_rsa);
    BN_free(e);
    return add(rep, "cert.key", title, pass, ev);
  }
  if (EVP_PKEY_is_a(pub, "EC")) {
    ok = EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                        NULL) == 1;
    pass = ok && (strcmp(group, "prime256v1") == 0 || strcmp(group, "secp384r1") == 0 ||
                  strcmp(group, "secp521r1") == 0);
    snprintf(ev, sizeof(ev), _("EC on %s"), ok ? group : "?");
    return add(rep, "cert.key", title, pass, ev);
  }
  return add(rep, "cert.key", title, 0, _("neither an RSA nor an EC key"));
}

static rgs_certs_rc check_subject(const rgs_certcheck_in *in, rgs_p11_report **rep)
{
  const char *title = _("subject matches the order");
  rgs_name_fields f;
  char why[256], ev[256];
  char *text;
  rgs_certs_rc rc;

  if (!rgs_name_fields_get(X509_get_subject_name(in->cert), &f)) {
    rgs_name_fields_free(&f);
    return RGS_CERTS_ERR_NOMEM;
  }
  if (rgs_order_subject_match(in->order, &f.subj, why, sizeof(why)) == RGS_ORDER_OK) {
    text = rgs_cert_subject(in->cert);
    snprintf(ev, sizeof(ev), "%s", text != NULL ? text : "");
    OPENSSL_free(text);
    rc = add(rep, "cert.subject", title, 1, ev);
  } else {
    snprintf(ev, sizeof(ev), _("order %lld: %s"), in->order->id, why);
    rc = add(rep, "cert.subject", title, 0, ev);
  }
  rgs_name_fields_free(&f);
  return rc;
}

/* A CA may start the validity a little before issuing and round it down;
 * a certificate longer than what was ordered, or a month shorter, is not
 * the one that was paid for. */
#define RGS_VALIDITY_SLACK_LONG (2 * 86400)
#define RGS_VALIDITY_SLACK_SHORT (31 * 86400)

static rgs_certs_rc check_validity(const rgs_certcheck_in *in, rgs_p11_report **rep)
{
  const char *title = _("validity matches the ordered duration");
  time_t nb = rgsx_asn1_time(X509_get0_notBefore(in->cert));
  time_t na = rgsx_asn1_time(X509_get0_notAfter(in->cert));
  time_t want = rgs_p11_validity_end(nb, in->validity_years);
  char ev[256];
  int pass = nb != (time_t)-1 && na != (time_t)-1 && na <= want + RGS_VALIDITY_SLACK_LONG &&
             na >= want - RGS_VALIDITY_SLACK_SHORT;

  snprintf(ev, sizeof(ev), _("%ld days; %d year(s) ordered"), (long)((na - nb) / 86400),
           in->validity_years);
  return add(rep, "cert.validity", title, pass, ev);
}

rgs_certs_rc rgs_certcheck(const rgs_certcheck_in *in, rgs_p11_report **rep,
                           STACK_OF(X509) **chain)
{
  STACK_OF(X509) *built = NULL;
  rgs_certs_rc rc;
  int sound = 0;

  if (chain != NULL)
    *chain = NULL;
  /* A malformed certificate is judged no further: any other verdict on it
   * would be about what some parser made of it. */
  rc = check_structure(in, rep, &sound);
  if (rc != RGS_CERTS_OK || !sound)
    return rc;
  rc = check_chain(in, rep, &built);
  if (rc == RGS_CERTS_OK)
    rc = check_dates(in, built, rep);
  if (rc == RGS_CERTS_OK)
    rc = check_signatures(in, built, rep);
  if (rc == RGS_CERTS_OK)
    rc = check_usage(in, rep);
  if (rc == RGS_CERTS_OK)
    rc = check_key(in, rep);
  if (rc == RGS_CERTS_OK && in->order != NULL)
    rc = check_subject(in, rep);
  if (rc == RGS_CERTS_OK && in->validity_years > 0)
    rc = check_validity(in, rep);
  if (rc == RGS_CERTS_OK && chain != NULL) {
    *chain = built;
    built = NULL;
  }
  rgs_certs_free(built);
  return rc;
}

rgs_p11_verdict rgs_report_verdict(const rgs_p11_report *rep, const char *id)
{
  size_t i;

  for (i = 0; i < rgs_p11_report_count(rep); i++)
    if (strcmp(rgs_p11_report_get(rep, i)->id, id) == 0)
      return rgs_p11_report_get(rep, i)->verdict;
  return RGS_CHECK_UNKNOWN;
}
