/* SPDX-License-Identifier: BSD-3-Clause */
/* testpki.c - the tests' own certification authority (see testpki.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include "testpki.h"

EVP_PKEY *tpki_ec_key(void)
{
  return EVP_EC_gen("P-256");
}

static int set_serial(X509 *x)
{
  unsigned char raw[16];
  BIGNUM *bn = NULL;
  int ok;

  if (RAND_bytes(raw, sizeof(raw)) != 1)
    return 0;
  raw[0] &= 0x7F;
  bn = BN_bin2bn(raw, sizeof(raw), NULL);
  ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
  BN_free(bn);
  return ok;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX ctx;
  X509_EXTENSION *e;
  int ok;

  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
  e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  if (e == NULL)
    return 0;
  ok = X509_add_ext(x, e, -1);
  X509_EXTENSION_free(e);
  return ok;
}

/* "C=FR,O=ACME,CN=x": no escaping needed for the tests' names. */
static X509_NAME *parse_name(const char *text)
{
  X509_NAME *n = X509_NAME_new();
  char *copy = strdup(text), *save = NULL, *part;

  if (n == NULL || copy == NULL)
    goto fail;
  for (part = strtok_r(copy, ",", &save); part != NULL; part = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(part, '=');
    if (eq == NULL)
      goto fail;
    *eq = '\0';
    if (!X509_NAME_add_entry_by_txt(n, part, MBSTRING_UTF8, (unsigned char *)eq + 1, -1, -1, 0))
      goto fail;
  }
  free(copy);
  return n;

fail:
  free(copy);
  X509_NAME_free(n);
  return NULL;
}

static X509 *make(X509_NAME *subject, EVP_PKEY *pub, X509 *issuer_cert, time_t nb, time_t na)
{
  X509 *x = X509_new();

  if (x == NULL || !X509_set_version(x, 2) || !set_serial(x) ||
      !X509_set_subject_name(x, subject) ||
      !X509_set_issuer_name(x, issuer_cert != NULL ? X509_get_subject_name(issuer_cert) : subject) ||
      X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &nb) == NULL ||
      X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &na) == NULL || !X509_set_pubkey(x, pub)) {
    X509_free(x);
    return NULL;
  }
  return x;
}

int tpki_ca_new(tpki_ca *ca, const char *cn, const tpki_ca *parent, long days)
{
  char dn[256];
  X509_NAME *name = NULL;
  time_t now = time(NULL), nb = now - TPKI_DAY, na = now + days * TPKI_DAY;
  X509 *issuer;
  EVP_PKEY *ikey;

  memset(ca, 0, sizeof(*ca));
  snprintf(dn, sizeof(dn), "C=FR,O=RGS Test PKI,CN=%s", cn);
  ca->key = tpki_ec_key();
  name = parse_name(dn);
  if (ca->key == NULL || name == NULL)
    goto fail;
  ca->cert = make(name, ca->key, parent != NULL ? parent->cert : NULL, nb, na);
  if (ca->cert == NULL)
    goto fail;
  issuer = parent != NULL ? parent->cert : ca->cert;
  ikey = parent != NULL ? parent->key : ca->key;
  if (!add_ext(ca->cert, issuer, NID_basic_constraints, "critical,CA:TRUE") ||
      !add_ext(ca->cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_ext(ca->cert, issuer, NID_subject_key_identifier, "hash") ||
      !add_ext(ca->cert, issuer, NID_authority_key_identifier, "keyid:always") ||
      X509_sign(ca->cert, ikey, EVP_sha256()) <= 0)
    goto fail;
  X509_NAME_free(name);
  return 0;

fail:
  X509_NAME_free(name);
  tpki_ca_free(ca);
  return -1;
}

void tpki_ca_free(tpki_ca *ca)
{
  EVP_PKEY_free(ca->key);
  X509_free(ca->cert);
  memset(ca, 0, sizeof(*ca));
}

/* The field changes of a hostile CA made before the extensions. */
static int hostile_fields(X509 *x, const tpki_hostile *h)
{
  BIGNUM *bn = NULL;
  int ok = 1;

  if (h->serial != NULL) {
    ok = BN_dec2bn(&bn, h->serial) > 0 && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
  }
  if (ok && h->version != 0)
    ok = X509_set_version(x, h->version - 1) == 1;
  return ok;
}

/* An EC point that is not on P-256 in place of the key, and extensions
 * that are repeated or do not decode. */
static int hostile_extras(X509 *x, X509 *issuer, const tpki_hostile *h)
{
  static const unsigned char garbage[] = { 0x04, 0x02, 'z', 'z' };
  ASN1_OCTET_STRING *os = NULL;
  X509_EXTENSION *e = NULL;
  unsigned char *point = NULL;
  int ok = 1;

  if (h->dup_ext)
    ok = add_ext(x, issuer, NID_ext_key_usage, "clientAuth");
  if (ok && h->garbage_ext) {
    os = ASN1_OCTET_STRING_new();
    ok = os != NULL && ASN1_OCTET_STRING_set(os, garbage, sizeof(garbage));
    if (ok)
      e = X509_EXTENSION_create_by_NID(NULL, NID_subject_alt_name, 0, os);
    ok = e != NULL && X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(os);
  }
  if (ok && h->bad_pubkey) {
    point = OPENSSL_malloc(65);
    ok = point != NULL;
    if (ok) {
      memset(point, 0x01, 65);
      point[0] = 0x04;
      ok = X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
                                  V_ASN1_OBJECT, OBJ_nid2obj(NID_X9_62_prime256v1), point, 65);
      if (!ok)
        OPENSSL_free(point);
    }
  }
  return ok;
}

X509 *tpki_issue(const tpki_ca *ca, EVP_PKEY *pub, const tpki_leaf *spec)
{
  return tpki_issue_hostile(ca, pub, spec, NULL);
}

X509 *tpki_issue_hostile(const tpki_ca *ca, EVP_PKEY *pub, const tpki_leaf *spec,
                         const tpki_hostile *h)
{
  X509_NAME *name = h != NULL && h->name != NULL ? X509_NAME_dup(h->name) : parse_name(spec->subject);
  X509 *x = NULL;
  ASN1_OCTET_STRING *ski = NULL;
  char san[256];
  int ok;

  if (name == NULL)
    return NULL;
  x = make(name, pub, ca->cert, spec->not_before, spec->not_after);
  X509_NAME_free(name);
  if (x == NULL)
    return NULL;
  ok = h == NULL || hostile_fields(x, h);
  ok = ok && add_ext(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE") &&
       add_ext(x, ca->cert, NID_authority_key_identifier, "keyid:always");
  if (ok && spec->ski != NULL) {
    ski = ASN1_OCTET_STRING_new();
    ok = ski != NULL && ASN1_OCTET_STRING_set(ski, spec->ski, (int)spec->ski_len) &&
         X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, 0) == 1;
    ASN1_OCTET_STRING_free(ski);
  } else if (ok) {
    ok = add_ext(x, ca->cert, NID_subject_key_identifier, "hash");
  }
  if (ok && spec->server) {
    snprintf(san, sizeof(san), "DNS:%s,IP:127.0.0.1", spec->san_dns != NULL ? spec->san_dns : "localhost");
    ok = add_ext(x, ca->cert, NID_key_usage, "critical,digitalSignature") &&
         add_ext(x, ca->cert, NID_ext_key_usage, "serverAuth") &&
         add_ext(x, ca->cert, NID_subject_alt_name, san);
  } else if (ok && !spec->no_key_usage) {
    ok = add_ext(x, ca->cert, NID_key_usage, "critical,digitalSignature,nonRepudiation") &&
         add_ext(x, ca->cert, NID_ext_key_usage, "clientAuth,emailProtection");
  }
  if (ok && h != NULL)
    ok = hostile_extras(x, ca->cert, h);
  if (!ok || X509_sign(x, ca->key, spec->md != NULL ? spec->md : EVP_sha256()) <= 0) {
    X509_free(x);
    return NULL;
  }
  return x;
}

int tpki_write_csr(const char *path, EVP_PKEY *key, const X509_NAME *name)
{
  X509_REQ *req = X509_REQ_new();
  FILE *f = NULL;
  int ok = req != NULL && X509_REQ_set_version(req, 0) && X509_REQ_set_subject_name(req, name) &&
           X509_REQ_set_pubkey(req, key) && X509_REQ_sign(req, key, EVP_sha256()) > 0;

  if (ok) {
    f = fopen(path, "w");
    ok = f != NULL && PEM_write_X509_REQ(f, req) == 1;
    if (f != NULL && fclose(f) != 0)
      ok = 0;
  }
  X509_REQ_free(req);
  return ok ? 0 : -1;
}

EVP_PKEY *tpki_csr_pubkey(const char *path)
{
  FILE *f = fopen(path, "rb");
  X509_REQ *req = NULL;
  EVP_PKEY *pub = NULL;

  if (f == NULL)
    return NULL;
  req = PEM_read_X509_REQ(f, NULL, NULL, NULL);
  if (req == NULL) {
    rewind(f);
    req = d2i_X509_REQ_fp(f, NULL);
  }
  fclose(f);
  if (req != NULL)
    pub = X509_REQ_get_pubkey(req);
  X509_REQ_free(req);
  return pub;
}

int tpki_write_pem(const char *path, X509 *const *certs)
{
  FILE *f = fopen(path, "w");
  int ok = f != NULL;

  for (; ok && *certs != NULL; certs++)
    ok = PEM_write_X509(f, *certs) == 1;
  if (f != NULL && fclose(f) != 0)
    ok = 0;
  return ok ? 0 : -1;
}

int tpki_write_der(const char *path, X509 *cert)
{
  FILE *f = fopen(path, "wb");
  int ok = f != NULL && i2d_X509_fp(f, cert) == 1;

  if (f != NULL && fclose(f) != 0)
    ok = 0;
  return ok ? 0 : -1;
}

static PKCS7 *certs_only(X509 *const *certs)
{
  PKCS7 *p7 = PKCS7_new();

  if (p7 == NULL || !PKCS7_set_type(p7, NID_pkcs7_signed) ||
      !PKCS7_content_new(p7, NID_pkcs7_data))
    goto fail;
  for (; *certs != NULL; certs++)
    if (!PKCS7_add_certificate(p7, *certs))
      goto fail;
  return p7;

fail:
  PKCS7_free(p7);
  return NULL;
}

int tpki_write_p7(const char *path, X509 *const *certs, int pem)
{
  PKCS7 *p7 = certs_only(certs);
  FILE *f = p7 != NULL ? fopen(path, "wb") : NULL;
  int ok = f != NULL && (pem ? PEM_write_PKCS7(f, p7) : i2d_PKCS7_fp(f, p7)) == 1;

  if (f != NULL && fclose(f) != 0)
    ok = 0;
  PKCS7_free(p7);
  return ok ? 0 : -1;
}

char *tpki_p7_base64(X509 *const *certs, int wrap)
{
  PKCS7 *p7 = certs_only(certs);
  unsigned char *der = NULL;
  int n = p7 != NULL ? i2d_PKCS7(p7, &der) : -1;
  char *b64 = NULL, *out = NULL;
  size_t i, o = 0, len;

  PKCS7_free(p7);
  if (n <= 0)
    return NULL;
  b64 = malloc((size_t)(n + 2) / 3 * 4 + 1);
  if (b64 == NULL)
    goto done;
  EVP_EncodeBlock((unsigned char *)b64, der, n);
  len = strlen(b64);
  out = malloc(len + len / 64 + 2);
  if (out == NULL)
    goto done;
  for (i = 0; i < len; i++) {
    out[o++] = b64[i];
    if (wrap && (i + 1) % 64 == 0)
      out[o++] = '\n';
  }
  if (wrap && len % 64 != 0)
    out[o++] = '\n';
  out[o] = '\0';

done:
  OPENSSL_free(der);
  free(b64);
  return out;
}

int tpki_write_key_pem(const char *path, EVP_PKEY *key)
{
  FILE *f = fopen(path, "w");
  int ok = f != NULL && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;

  if (f != NULL && fclose(f) != 0)
    ok = 0;
  return ok ? 0 : -1;
}
