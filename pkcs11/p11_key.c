/* SPDX-License-Identifier: BSD-3-Clause */
/* p11_key.c - key pairs on the token: generate, find, read back, sign. */
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include "p11_internal.h"

#define RGS_ID_MAX 64
#define RGS_MODULUS_MAX 1024    /* 8192-bit RSA */
#define RGS_EC_POINT_MAX 160
#define RGS_EC_PARAMS_MAX 32
#define RGS_TMP_ID_PREFIX "rgs-enroll-tmp:"

struct rgs_p11_key {
  CK_OBJECT_HANDLE priv, pub;
  int has_pub;
  unsigned char id[RGS_ID_MAX];
  size_t id_len;
  char label[65];
  rgs_p11_key_attrs attrs;
  EVP_PKEY *pkey;
};

/* ---- curves and key specs -------------------------------------------- */

static const struct {
  rgs_p11_curve curve;
  const char *name;       /* in "ec:NAME" */
  const char *ossl;       /* OpenSSL group name */
  unsigned bits;
  unsigned char der[10];  /* CKA_EC_PARAMS: the named curve OID */
  size_t der_len;
} curves[] = {
  { RGS_CURVE_P256, "p256", "prime256v1", 256,
    { 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 }, 10 },
  { RGS_CURVE_P384, "p384", "secp384r1", 384, { 0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22 }, 7 },
  { RGS_CURVE_P521, "p521", "secp521r1", 521, { 0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x23 }, 7 },
};

static size_t curve_index(rgs_p11_curve c)
{
  size_t i;

  for (i = 0; i < RGS_ARRAY_LEN(curves); i++)
    if (curves[i].curve == c)
      return i;
  return RGS_ARRAY_LEN(curves);
}

static rgs_p11_curve curve_from_params(const unsigned char *der, size_t len)
{
  size_t i;

  for (i = 0; i < RGS_ARRAY_LEN(curves); i++)
    if (curves[i].der_len == len && memcmp(curves[i].der, der, len) == 0)
      return curves[i].curve;
  return RGS_CURVE_NONE;
}

rgs_p11_rc rgs_p11_keyspec_parse(const char *text, rgs_p11_keyspec *out)
{
  char *end = NULL;
  unsigned long bits;
  size_t i;

  if (text == NULL || out == NULL)
    return RGS_P11_ERR_ARG;
  memset(out, 0, sizeof(*out));
  if (strncasecmp(text, "rsa:", 4) == 0) {
    bits = strtoul(text + 4, &end, 10);
    /* The sizes cards of this market make, within what we read back. */
    if (end == text + 4 || *end != '\0' || (bits != 2048 && bits != 3072 && bits != 4096))
      return RGS_P11_ERR_ARG;
    out->type = RGS_KEY_RSA;
    out->bits = (unsigned)bits;
    return RGS_P11_OK;
  }
  if (strncasecmp(text, "ec:", 3) == 0) {
    for (i = 0; i < RGS_ARRAY_LEN(curves); i++) {
      if (strcasecmp(text + 3, curves[i].name) == 0) {
        out->type = RGS_KEY_EC;
        out->curve = curves[i].curve;
        out->bits = curves[i].bits;
        return RGS_P11_OK;
      }
    }
  }
  return RGS_P11_ERR_ARG;
}

const char *rgs_p11_keyspec_name(const rgs_p11_keyspec *spec)
{
  static __thread char buf[32];
  size_t i;

  if (spec == NULL)
    return "?";
  if (spec->type == RGS_KEY_RSA) {
    snprintf(buf, sizeof(buf), "rsa:%u", spec->bits);
    return buf;
  }
  i = curve_index(spec->curve);
  if (spec->type == RGS_KEY_EC && i < RGS_ARRAY_LEN(curves)) {
    snprintf(buf, sizeof(buf), "ec:%s", curves[i].name);
    return buf;
  }
  return "?";
}

/* ---- public keys ----------------------------------------------------- */

static EVP_PKEY *rsa_public(const unsigned char *n, size_t nlen, const unsigned char *e,
                            size_t elen)
{
  OSSL_PARAM_BLD *bld = NULL;
  OSSL_PARAM *params = NULL;
  EVP_PKEY_CTX *pctx = NULL;
  EVP_PKEY *pkey = NULL;
  BIGNUM *bn_n = NULL, *bn_e = NULL;

  bn_n = BN_bin2bn(n, (int)nlen, NULL);
  bn_e = BN_bin2bn(e, (int)elen, NULL);
  bld = OSSL_PARAM_BLD_new();
  if (bn_n == NULL || bn_e == NULL || bld == NULL)
    goto cleanup;
  if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
      !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
    goto cleanup;
  params = OSSL_PARAM_BLD_to_param(bld);
  pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
  if (params == NULL || pctx == NULL || EVP_PKEY_fromdata_init(pctx) <= 0)
    goto cleanup;
  if (EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    pkey = NULL;

cleanup:
  EVP_PKEY_CTX_free(pctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(bn_n);
  BN_free(bn_e);
  return pkey;
}

static EVP_PKEY *ec_public(rgs_p11_curve curve, const unsigned char *point, size_t len)
{
  ASN1_OCTET_STRING *os = NULL;
  const unsigned char *p = point, *raw = point;
  size_t raw_len = len, ci = curve_index(curve);
  OSSL_PARAM params[3];
  EVP_PKEY_CTX *pctx = NULL;
  EVP_PKEY *pkey = NULL;

  if (ci >= RGS_ARRAY_LEN(curves) || len == 0)
    return NULL;
  /* CKA_EC_POINT is a DER OCTET STRING by the standard; some modules give
   * the bare point. Accept both. */
  if (point[0] == 0x04 && len > 2) {
    os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)len);
    if (os != NULL && p == point + len) {
      raw = ASN1_STRING_get0_data(os);
      raw_len = (size_t)ASN1_STRING_length(os);
    }
  }
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                               (char *)curves[ci].ossl, 0);
  params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)raw,
                                                raw_len);
  params[2] = OSSL_PARAM_construct_end();
  pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
  if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) <= 0 ||
      EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    pkey = NULL;
  EVP_PKEY_CTX_free(pctx);
  ASN1_OCTET_STRING_free(os);
  return pkey;
}

/* CKA_ID derived from the public key: SHA-1 of the subjectPublicKey bits,
 * the RFC 5280 key identifier that CAs put in the certificate, so that the
 * certificate pairs with its key by construction. */
static int public_key_id(EVP_PKEY *pkey, unsigned char *id, size_t *len)
{
  X509_PUBKEY *xpk = NULL;
  const unsigned char *bits = NULL;
  int bits_len = 0, ok = 0;

  if (X509_PUBKEY_set(&xpk, pkey) != 1)
    goto cleanup;
  if (X509_PUBKEY_get0_param(NULL, &bits, &bits_len, NULL, xpk) != 1 || bits_len <= 0)
    goto cleanup;
  SHA1(bits, (size_t)bits_len, id);
  *len = SHA_DIGEST_LENGTH;
  ok = 1;

cleanup:
  X509_PUBKEY_free(xpk);
  return ok;
}

/* ---- reading attributes ---------------------------------------------- */

/* Unknown when the module did not fill the value (the buffers start as
 * 0xFF, which no CK_BBOOL is). */
static rgs_p11_tri tri(const CK_ATTRIBUTE *a, CK_BBOOL v)
{
  if (a->ulValueLen != sizeof(CK_BBOOL) || (v != CK_TRUE && v != CK_FALSE))
    return RGS_P11_UNKNOWN;
  return v == CK_TRUE ? RGS_P11_YES : RGS_P11_NO;
}

static int have(const CK_ATTRIBUTE *a, size_t cap)
{
  return a->ulValueLen != CK_UNAVAILABLE_INFORMATION && a->ulValueLen > 0 &&
         a->ulValueLen <= cap;
}

static int get_attrs_ok(CK_RV rv)
{
  /* Per PKCS#11 these still fill every attribute they can. */
  return rv == CKR_OK || rv == CKR_ATTRIBUTE_SENSITIVE ||
         rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_BUFFER_TOO_SMALL;
}

static unsigned long exponent_value(const unsigned char *e, size_t len)
{
  unsigned long v = 0;
  size_t i;

  for (i = 0; i < len; i++) {
    if (v > (~0UL >> 8))
      return 0;
    v = (v << 8) | e[i];
  }
  return v;
}

static unsigned count_bits(const unsigned char *n, size_t len)
{
  unsigned bits;
  unsigned char top;

  while (len > 0 && n[0] == 0) {
    n++;
    len--;
  }
  if (len == 0)
    return 0;
  bits = (unsigned)(len * 8);
  for (top = n[0]; (top & 0x80) == 0; top <<= 1)
    bits--;
  return bits;
}

typedef struct {
  CK_KEY_TYPE ktype;
  CK_BBOOL local, asens, nextr, extr, sens, priv, tok, sign, decrypt, always_auth;
  unsigned char id[RGS_ID_MAX];
  char label[64];
  unsigned char modulus[RGS_MODULUS_MAX];
  unsigned char exponent[16];
  unsigned char ec_params[RGS_EC_PARAMS_MAX];
} priv_buf;

enum { PA_KTYPE, PA_LOCAL, PA_ASENS, PA_NEXTR, PA_EXTR, PA_SENS, PA_PRIV, PA_TOKEN,
       PA_SIGN, PA_DECRYPT, PA_ID, PA_LABEL, PA_MOD, PA_EXP, PA_ECP, PA_AAUTH, PA_N };

/* Everything about a private key in one C_GetAttributeValue. */
static rgs_p11_rc read_private(rgs_p11_token *tok, rgs_p11_key *key)
{
  priv_buf b;
  rgs_p11_tmpl t = { .n = 0 };
  rgs_p11_key_attrs *ka = &key->attrs;
  CK_RV rv;

  memset(&b, 0, sizeof(b));
  b.local = b.asens = b.nextr = b.extr = b.sens = b.priv = b.tok = b.sign = b.decrypt = 0xFF;
  b.always_auth = 0xFF;
  rgs_p11_tmpl_ulong(&t, CKA_KEY_TYPE, &b.ktype);
  rgs_p11_tmpl_bool(&t, CKA_LOCAL, &b.local);
  rgs_p11_tmpl_bool(&t, CKA_ALWAYS_SENSITIVE, &b.asens);
  rgs_p11_tmpl_bool(&t, CKA_NEVER_EXTRACTABLE, &b.nextr);
  rgs_p11_tmpl_bool(&t, CKA_EXTRACTABLE, &b.extr);
  rgs_p11_tmpl_bool(&t, CKA_SENSITIVE, &b.sens);
  rgs_p11_tmpl_bool(&t, CKA_PRIVATE, &b.priv);
  rgs_p11_tmpl_bool(&t, CKA_TOKEN, &b.tok);
  rgs_p11_tmpl_bool(&t, CKA_SIGN, &b.sign);
  rgs_p11_tmpl_bool(&t, CKA_DECRYPT, &b.decrypt);
  rgs_p11_tmpl_bytes(&t, CKA_ID, b.id, sizeof(b.id));
  rgs_p11_tmpl_bytes(&t, CKA_LABEL, b.label, sizeof(b.label));
  rgs_p11_tmpl_bytes(&t, CKA_MODULUS, b.modulus, sizeof(b.modulus));
  rgs_p11_tmpl_bytes(&t, CKA_PUBLIC_EXPONENT, b.exponent, sizeof(b.exponent));
  rgs_p11_tmpl_bytes(&t, CKA_EC_PARAMS, b.ec_params, sizeof(b.ec_params));
  rgs_p11_tmpl_bool(&t, CKA_ALWAYS_AUTHENTICATE, &b.always_auth);
  rv = tok->ctx->f->C_GetAttributeValue(tok->session, key->priv, t.a, (CK_ULONG)t.n);
  if (!get_attrs_ok(rv))
    return rgs_p11_fail(tok->ctx, "C_GetAttributeValue", rv);

  ka->local = tri(&t.a[PA_LOCAL], b.local);
  ka->always_sensitive = tri(&t.a[PA_ASENS], b.asens);
  ka->never_extractable = tri(&t.a[PA_NEXTR], b.nextr);
  ka->extractable = tri(&t.a[PA_EXTR], b.extr);
  ka->sensitive = tri(&t.a[PA_SENS], b.sens);
  ka->private_ = tri(&t.a[PA_PRIV], b.priv);
  ka->token = tri(&t.a[PA_TOKEN], b.tok);
  ka->sign = tri(&t.a[PA_SIGN], b.sign);
  ka->decrypt = tri(&t.a[PA_DECRYPT], b.decrypt);
  ka->always_authenticate = tri(&t.a[PA_AAUTH], b.always_auth) == RGS_P11_YES;
  key->id_len = have(&t.a[PA_ID], sizeof(b.id)) ? t.a[PA_ID].ulValueLen : 0;
  memcpy(key->id, b.id, key->id_len);
  if (have(&t.a[PA_LABEL], sizeof(b.label)))
    rgs_p11_trim_copy(key->label, sizeof(key->label), (CK_UTF8CHAR *)b.label,
                      t.a[PA_LABEL].ulValueLen);
  if (t.a[PA_KTYPE].ulValueLen == sizeof(CK_KEY_TYPE) && b.ktype == CKK_RSA) {
    ka->type = RGS_KEY_RSA;
    if (have(&t.a[PA_MOD], sizeof(b.modulus)))
      ka->bits = count_bits(b.modulus, t.a[PA_MOD].ulValueLen);
    if (have(&t.a[PA_EXP], sizeof(b.exponent)))
      ka->exponent = exponent_value(b.exponent, t.a[PA_EXP].ulValueLen);
    if (key->pkey == NULL && ka->bits > 0 && ka->exponent > 0)
      key->pkey = rsa_public(b.modulus, t.a[PA_MOD].ulValueLen, b.exponent,
                             t.a[PA_EXP].ulValueLen);
  } else if (t.a[PA_KTYPE].ulValueLen == sizeof(CK_KEY_TYPE) && b.ktype == CKK_EC) {
    ka->type = RGS_KEY_EC;
    if (have(&t.a[PA_ECP], sizeof(b.ec_params)))
      ka->curve = curve_from_params(b.ec_params, t.a[PA_ECP].ulValueLen);
    if (curve_index(ka->curve) < RGS_ARRAY_LEN(curves))
      ka->bits = curves[curve_index(ka->curve)].bits;
  }
  return RGS_P11_OK;
}

/* Public key from a public-key object (one C_GetAttributeValue). */
static rgs_p11_rc read_public(rgs_p11_token *tok, CK_OBJECT_HANDLE h, EVP_PKEY **out)
{
  unsigned char modulus[RGS_MODULUS_MAX], exponent[16];
  unsigned char params[RGS_EC_PARAMS_MAX], point[RGS_EC_POINT_MAX];
  CK_KEY_TYPE ktype = (CK_KEY_TYPE)-1;
  rgs_p11_tmpl t = { .n = 0 };
  CK_RV rv;

  *out = NULL;
  rgs_p11_tmpl_ulong(&t, CKA_KEY_TYPE, &ktype);
  rgs_p11_tmpl_bytes(&t, CKA_MODULUS, modulus, sizeof(modulus));
  rgs_p11_tmpl_bytes(&t, CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent));
  rgs_p11_tmpl_bytes(&t, CKA_EC_PARAMS, params, sizeof(params));
  rgs_p11_tmpl_bytes(&t, CKA_EC_POINT, point, sizeof(point));
  rv = tok->ctx->f->C_GetAttributeValue(tok->session, h, t.a, (CK_ULONG)t.n);
  if (!get_attrs_ok(rv))
    return rgs_p11_fail(tok->ctx, "C_GetAttributeValue", rv);
  if (t.a[0].ulValueLen == sizeof(ktype) && ktype == CKK_RSA &&
      have(&t.a[1], sizeof(modulus)) && have(&t.a[2], sizeof(exponent)))
    *out = rsa_public(modulus, t.a[1].ulValueLen, exponent, t.a[2].ulValueLen);
  else if (t.a[0].ulValueLen == sizeof(ktype) && ktype == CKK_EC &&
           have(&t.a[3], sizeof(params)) && have(&t.a[4], sizeof(point)))
    *out = ec_public(curve_from_params(params, t.a[3].ulValueLen), point,
                     t.a[4].ulValueLen);
  if (*out == NULL) {
    rgs_p11_set_error(tok->ctx, _("the token returned a public key that cannot be read"));
    return RGS_P11_ERR_MODULE_BAD;
  }
  return RGS_P11_OK;
}

/* ---- object search --------------------------------------------------- */

/* Up to max handles of objects matching the template. */
rgs_p11_rc rgs_p11_find_objects(rgs_p11_token *tok, rgs_p11_tmpl *t, CK_OBJECT_HANDLE *h,
                                CK_ULONG max, CK_ULONG *n)
{
  CK_FUNCTION_LIST_PTR f = tok->ctx->f;
  CK_RV rv;

  *n = 0;
  rv = f->C_FindObjectsInit(tok->session, t->a, (CK_ULONG)t->n);
  if (rv != CKR_OK)
    return rgs_p11_fail(tok->ctx, "C_FindObjectsInit", rv);
  rv = f->C_FindObjects(tok->session, h, max, n);
  f->C_FindObjectsFinal(tok->session);
  if (rv != CKR_OK)
    return rgs_p11_fail(tok->ctx, "C_FindObjects", rv);
  if (*n > max) {
    rgs_p11_set_error(tok->ctx, _("the module returned more objects than asked"));
    return RGS_P11_ERR_MODULE_BAD;
  }
  return RGS_P11_OK;
}

static rgs_p11_rc find_by_id(rgs_p11_token *tok, CK_OBJECT_CLASS cls,
                             const unsigned char *id, size_t id_len,
                             CK_OBJECT_HANDLE *h, CK_ULONG max, CK_ULONG *n)
{
  rgs_p11_tmpl t = { .n = 0 };

  rgs_p11_tmpl_ulong(&t, CKA_CLASS, &cls);
  rgs_p11_tmpl_bytes(&t, CKA_ID, (void *)id, id_len);
  return rgs_p11_find_objects(tok, &t, h, max, n);
}

/* For EC keys the public point is not on the private object: take it from
 * the public-key object of the same CKA_ID, else from its certificate. */
static rgs_p11_rc public_from_companion(rgs_p11_token *tok, rgs_p11_key *key)
{
  CK_OBJECT_HANDLE h;
  CK_ULONG n = 0;
  unsigned char der[8192];
  const unsigned char *p = der;
  CK_ATTRIBUTE a = { CKA_VALUE, der, sizeof(der) };
  X509 *cert = NULL;
  rgs_p11_rc rc;
  CK_RV rv;

  if (key->id_len == 0)
    return RGS_P11_ERR_KEY_NOT_FOUND;
  rc = find_by_id(tok, CKO_PUBLIC_KEY, key->id, key->id_len, &h, 1, &n);
  if (rc != RGS_P11_OK)
    return rc;
  if (n == 1) {
    key->pub = h;
    key->has_pub = 1;
    return read_public(tok, h, &key->pkey);
  }
  rc = find_by_id(tok, CKO_CERTIFICATE, key->id, key->id_len, &h, 1, &n);
  if (rc != RGS_P11_OK || n == 0)
    return rc != RGS_P11_OK ? rc : RGS_P11_ERR_KEY_NOT_FOUND;
  rv = tok->ctx->f->C_GetAttributeValue(tok->session, h, &a, 1);
  if (rv != CKR_OK)
    return rgs_p11_fail(tok->ctx, "C_GetAttributeValue", rv);
  if (a.ulValueLen > sizeof(der)) {     /* a module lying about what it wrote */
    rgs_p11_set_error(tok->ctx, _("the module returned an impossible certificate length"));
    return RGS_P11_ERR_MODULE_BAD;
  }
  cert = d2i_X509(NULL, &p, (long)a.ulValueLen);
  if (cert != NULL)
    key->pkey = X509_get_pubkey(cert);
  X509_free(cert);
  return key->pkey != NULL ? RGS_P11_OK : RGS_P11_ERR_MODULE_BAD;
}

/* The public-key object of the same CKA_ID, kept with the key when it holds
 * the very same public key: then removing the key removes both halves. */
static void attach_public_half(rgs_p11_token *tok, rgs_p11_key *key)
{
  CK_OBJECT_HANDLE h;
  CK_ULONG n = 0;
  EVP_PKEY *pub = NULL;

  if (key->has_pub || key->id_len == 0 || key->pkey == NULL)
    return;
  if (find_by_id(tok, CKO_PUBLIC_KEY, key->id, key->id_len, &h, 1, &n) != RGS_P11_OK || n != 1)
    return;
  if (read_public(tok, h, &pub) == RGS_P11_OK && EVP_PKEY_eq(pub, key->pkey) == 1) {
    key->pub = h;
    key->has_pub = 1;
  }
  EVP_PKEY_free(pub);
}

static rgs_p11_rc load_key(rgs_p11_token *tok, CK_OBJECT_HANDLE priv, rgs_p11_key **out)
{
  rgs_p11_key *key = NULL;
  rgs_p11_rc rc = RGS_P11_ERR_NOMEM;

  key = calloc(1, sizeof(*key));
  if (key == NULL)
    goto cleanup;
  key->priv = priv;
  rc = read_private(tok, key);
  if (rc != RGS_P11_OK)
    goto cleanup;
  if (key->pkey == NULL)
    rc = public_from_companion(tok, key);
  if (rc != RGS_P11_OK)
    goto cleanup;
  attach_public_half(tok, key);
  *out = key;
  key = NULL;

cleanup:
  rgs_p11_key_free(key);
  return rc;
}

rgs_p11_rc rgs_p11_key_find(rgs_p11_token *tok, const rgs_p11_uri *uri, rgs_p11_key **out)
{
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  CK_OBJECT_HANDLE h[2];
  CK_ULONG n = 0;
  rgs_p11_tmpl t = { .n = 0 };
  const char *label = NULL;
  const unsigned char *id = NULL;
  size_t id_len = 0;
  rgs_p11_rc rc;

  if (tok == NULL || uri == NULL || out == NULL)
    return RGS_P11_ERR_ARG;
  *out = NULL;
  label = rgs_p11_uri_get(uri, RGS_URI_OBJECT);
  id = rgs_p11_uri_get_id(uri, &id_len);
  rgs_p11_tmpl_ulong(&t, CKA_CLASS, &cls);
  if (label != NULL)
    rgs_p11_tmpl_bytes(&t, CKA_LABEL, (void *)label, strlen(label));
  if (id != NULL)
    rgs_p11_tmpl_bytes(&t, CKA_ID, (void *)id, id_len);
  rc = rgs_p11_find_objects(tok, &t, h, 2, &n);
  if (rc != RGS_P11_OK)
    return rc;
  if (n == 0)
    return RGS_P11_ERR_KEY_NOT_FOUND;
  if (n > 1)
    return RGS_P11_ERR_KEY_AMBIGUOUS;
  return load_key(tok, h[0], out);
}

rgs_p11_rc rgs_p11_key_find_by_public(rgs_p11_token *tok, const EVP_PKEY *pub,
                                      rgs_p11_key **out)
{
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  CK_OBJECT_HANDLE h[64];
  CK_ULONG n = 0, i;
  rgs_p11_tmpl t = { .n = 0 };
  rgs_p11_key *key = NULL;
  rgs_p11_rc rc;

  if (tok == NULL || pub == NULL || out == NULL)
    return RGS_P11_ERR_ARG;
  *out = NULL;
  rgs_p11_tmpl_ulong(&t, CKA_CLASS, &cls);
  rc = rgs_p11_find_objects(tok, &t, h, RGS_ARRAY_LEN(h), &n);
  if (rc != RGS_P11_OK)
    return rc;
  for (i = 0; i < n; i++) {
    rc = load_key(tok, h[i], &key);
    if (rc == RGS_P11_ERR_KEY_NOT_FOUND || rc == RGS_P11_ERR_MODULE_BAD)
      continue;        /* a key whose public half we cannot see is not it */
    if (rc != RGS_P11_OK)
      return rc;
    if (EVP_PKEY_eq(key->pkey, pub) == 1) {
      *out = key;
      return RGS_P11_OK;
    }
    rgs_p11_key_free(key);
    key = NULL;
  }
  return RGS_P11_ERR_KEY_NOT_FOUND;
}

/* ---- generation ------------------------------------------------------ */

static rgs_p11_rc keygen_mechanism(rgs_p11_token *tok, const rgs_p11_keyspec *spec,
                                   CK_MECHANISM_TYPE *mech)
{
  CK_MECHANISM_INFO mi;
  rgs_p11_rc rc;

  *mech = spec->type == RGS_KEY_RSA ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN;
  rc = rgs_p11_mechanism(tok, *mech, &mi);
  if (rc != RGS_P11_OK)
    return rc;
  if (!(mi.flags & CKF_GENERATE_KEY_PAIR) ||
      (mi.ulMaxKeySize > 0 && spec->bits > mi.ulMaxKeySize) ||
      spec->bits < mi.ulMinKeySize) {
    rgs_p11_set_error(tok->ctx, _("the token generates %s keys of %lu to %lu bits"),
                      spec->type == RGS_KEY_RSA ? "RSA" : "EC",
                      (unsigned long)mi.ulMinKeySize, (unsigned long)mi.ulMaxKeySize);
    return RGS_P11_ERR_MECHANISM;
  }
  return RGS_P11_OK;
}

static rgs_p11_rc destroy_pair(rgs_p11_token *tok, CK_OBJECT_HANDLE priv,
                               CK_OBJECT_HANDLE pub)
{
  CK_RV rv1 = tok->ctx->f->C_DestroyObject(tok->session, priv);
  CK_RV rv2 = tok->ctx->f->C_DestroyObject(tok->session, pub);

  if (rv1 != CKR_OK)
    return rgs_p11_fail(tok->ctx, "C_DestroyObject", rv1);
  if (rv2 != CKR_OK)
    return rgs_p11_fail(tok->ctx, "C_DestroyObject", rv2);
  return RGS_P11_OK;
}

/* C_GenerateKeyPair failed: the card may still have made the objects before
 * the answer was lost. They carry our one-time CKA_ID; remove them. */
static void sweep_orphans(rgs_p11_token *tok, const unsigned char *tmp_id, size_t len)
{
  CK_OBJECT_HANDLE h[4];
  CK_ULONG n = 0, i;
  CK_OBJECT_CLASS classes[2] = { CKO_PRIVATE_KEY, CKO_PUBLIC_KEY };
  size_t c;

  for (c = 0; c < 2; c++) {
    if (find_by_id(tok, classes[c], tmp_id, len, h, RGS_ARRAY_LEN(h), &n) != RGS_P11_OK)
      return;
    for (i = 0; i < n; i++)
      tok->ctx->f->C_DestroyObject(tok->session, h[i]);
  }
}

/* What C_GenerateKeyPair's refusal means. A module that cannot make a key
 * with this template (sign only, sensitive, never extractable) answers
 * CKR_TEMPLATE_INCONSISTENT, CKR_ATTRIBUTE_VALUE_INVALID or
 * CKR_ATTRIBUTE_TYPE_INVALID, and some answer CKR_GENERAL_ERROR: that is
 * the module, not the card, and the template is never relaxed. */
static rgs_p11_rc keygen_refused(rgs_p11_ctx *ctx, CK_RV rv)
{
  rgs_p11_rc rc = rgs_p11_fail(ctx, "C_GenerateKeyPair", rv);

  if (rv == CKR_TEMPLATE_INCONSISTENT || rv == CKR_ATTRIBUTE_VALUE_INVALID ||
      rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_GENERAL_ERROR)
    rc = RGS_P11_ERR_KEY_TEMPLATE;
  return rc;
}

typedef struct {
  CK_BBOOL yes, no;
  CK_ULONG bits;
  unsigned char exponent[3];
  unsigned char tmp_id[sizeof(RGS_TMP_ID_PREFIX) - 1 + 8];
  rgs_p11_tmpl pub, priv;
} keygen_tmpl;

static rgs_p11_rc build_templates(keygen_tmpl *k, const rgs_p11_keyspec *spec,
                                  const char *label)
{
  size_t ci = curve_index(spec->curve), llen = label != NULL ? strlen(label) : 0;

  k->yes = CK_TRUE;
  k->no = CK_FALSE;
  k->bits = spec->bits;
  k->exponent[0] = 0x01;       /* 65537: RGS wants an exponent above 2^16 */
  k->exponent[1] = 0x00;
  k->exponent[2] = 0x01;
  memcpy(k->tmp_id, RGS_TMP_ID_PREFIX, sizeof(RGS_TMP_ID_PREFIX) - 1);
  if (RAND_bytes(k->tmp_id + sizeof(RGS_TMP_ID_PREFIX) - 1, 8) != 1)
    return RGS_P11_ERR_CRYPTO;

  rgs_p11_tmpl_bool(&k->pub, CKA_TOKEN, &k->yes);
  rgs_p11_tmpl_bool(&k->pub, CKA_PRIVATE, &k->no);
  rgs_p11_tmpl_bool(&k->pub, CKA_VERIFY, &k->yes);
  rgs_p11_tmpl_bool(&k->pub, CKA_ENCRYPT, &k->no);
  rgs_p11_tmpl_bool(&k->pub, CKA_WRAP, &k->no);
  rgs_p11_tmpl_bytes(&k->pub, CKA_ID, k->tmp_id, sizeof(k->tmp_id));
  if (llen > 0)
    rgs_p11_tmpl_bytes(&k->pub, CKA_LABEL, (void *)label, llen);
  if (spec->type == RGS_KEY_RSA) {
    rgs_p11_tmpl_ulong(&k->pub, CKA_MODULUS_BITS, &k->bits);
    rgs_p11_tmpl_bytes(&k->pub, CKA_PUBLIC_EXPONENT, k->exponent, sizeof(k->exponent));
  } else if (ci < RGS_ARRAY_LEN(curves)) {
    rgs_p11_tmpl_bytes(&k->pub, CKA_EC_PARAMS, (void *)curves[ci].der, curves[ci].der_len);
  } else {
    return RGS_P11_ERR_ARG;
  }

  rgs_p11_tmpl_bool(&k->priv, CKA_TOKEN, &k->yes);
  rgs_p11_tmpl_bool(&k->priv, CKA_PRIVATE, &k->yes);
  rgs_p11_tmpl_bool(&k->priv, CKA_SENSITIVE, &k->yes);
  rgs_p11_tmpl_bool(&k->priv, CKA_EXTRACTABLE, &k->no);
  rgs_p11_tmpl_bool(&k->priv, CKA_SIGN, &k->yes);
  rgs_p11_tmpl_bool(&k->priv, CKA_DECRYPT, &k->no);
  rgs_p11_tmpl_bool(&k->priv, CKA_UNWRAP, &k->no);
  rgs_p11_tmpl_bool(&k->priv, CKA_DERIVE, &k->no);
  rgs_p11_tmpl_bytes(&k->priv, CKA_ID, k->tmp_id, sizeof(k->tmp_id));
  if (llen > 0)
    rgs_p11_tmpl_bytes(&k->priv, CKA_LABEL, (void *)label, llen);
  return k->pub.overflow || k->priv.overflow ? RGS_P11_ERR_ARG : RGS_P11_OK;
}

static int set_id_refused(CK_RV rv)
{
  return rv == CKR_ATTRIBUTE_READ_ONLY || rv == CKR_FUNCTION_NOT_SUPPORTED ||
         rv == CKR_ACTION_PROHIBITED || rv == CKR_TEMPLATE_INCONSISTENT;
}

/* Give both halves the CKA_ID derived from the public key. A module that
 * will not change CKA_ID keeps the one-time id on both: the pair still
 * matches, which is what finding an EC key's public half relies on. */
static rgs_p11_rc set_derived_id(rgs_p11_token *tok, rgs_p11_key *key,
                                 unsigned char *tmp_id, size_t tmp_len)
{
  unsigned char id[SHA_DIGEST_LENGTH];
  size_t len = 0;
  CK_ATTRIBUTE a = { CKA_ID, id, 0 };
  CK_ATTRIBUTE back = { CKA_ID, tmp_id, (CK_ULONG)tmp_len };
  CK_RV rv;

  if (!public_key_id(key->pkey, id, &len))
    return RGS_P11_ERR_CRYPTO;
  a.ulValueLen = (CK_ULONG)len;
  rv = tok->ctx->f->C_SetAttributeValue(tok->session, key->pub, &a, 1);
  if (set_id_refused(rv))
    return RGS_P11_OK;
  if (rv != CKR_OK)
    return rgs_p11_fail(tok->ctx, "C_SetAttributeValue", rv);
  rv = tok->ctx->f->C_SetAttributeValue(tok->session, key->priv, &a, 1);
  if (set_id_refused(rv))   /* put the public half back in step */
    rv = tok->ctx->f->C_SetAttributeValue(tok->session, key->pub, &back, 1);
  if (rv != CKR_OK)
    return rgs_p11_fail(tok->ctx, "C_SetAttributeValue", rv);
  return RGS_P11_OK;
}

/* The read-back that makes a key count as generated on the card. */
static rgs_p11_rc verify_generated(rgs_p11_token *tok, const rgs_p11_key *key)
{
  const rgs_p11_key_attrs *a = &key->attrs;
  const char *bad = NULL;

  if (a->local != RGS_P11_YES)
    bad = "CKA_LOCAL";
  else if (a->always_sensitive != RGS_P11_YES)
    bad = "CKA_ALWAYS_SENSITIVE";
  else if (a->never_extractable != RGS_P11_YES)
    bad = "CKA_NEVER_EXTRACTABLE";
  else if (a->extractable != RGS_P11_NO)
    bad = "CKA_EXTRACTABLE";
  else if (a->private_ != RGS_P11_YES)
    bad = "CKA_PRIVATE";
  else if (a->token != RGS_P11_YES)
    bad = "CKA_TOKEN";
  if (bad == NULL)
    return RGS_P11_OK;
  rgs_p11_set_error(tok->ctx, _("%s does not read back as required"), bad);
  return RGS_P11_ERR_KEY_ATTRS;
}

/* A module may ignore parts of a template without a word: what was made
 * must be what was asked, or it is not kept. */
static rgs_p11_rc verify_spec(rgs_p11_token *tok, const rgs_p11_key *key,
                              const rgs_p11_keyspec *spec)
{
  const rgs_p11_key_attrs *a = &key->attrs;
  const char *bad = NULL;

  if (a->type != spec->type)
    bad = "CKA_KEY_TYPE";
  else if (spec->type == RGS_KEY_RSA && a->bits != spec->bits)
    bad = "CKA_MODULUS";
  else if (spec->type == RGS_KEY_RSA && a->exponent != 65537)
    bad = "CKA_PUBLIC_EXPONENT";
  else if (spec->type == RGS_KEY_EC && a->curve != spec->curve)
    bad = "CKA_EC_PARAMS";
  else if (a->sign != 1)
    bad = "CKA_SIGN";
  else if (a->decrypt == 1)
    bad = "CKA_DECRYPT";
  if (bad == NULL)
    return RGS_P11_OK;
  rgs_p11_set_error(tok->ctx, _("%s does not read back as requested"), bad);
  return RGS_P11_ERR_KEY_ATTRS;
}

/* The caller could not record an id: nothing is made, or what was made is
 * removed, since no later run could find it. */
static rgs_p11_rc note_id(rgs_p11_token *tok, rgs_p11_keygen_note note, void *ud, int final,
                          const unsigned char *id, size_t len)
{
  if (note == NULL || note(ud, final, id, len) == 0)
    return RGS_P11_OK;
  rgs_p11_set_error(tok->ctx, "%s", _("the key pair could not be recorded before it was made"));
  return RGS_P11_ERR_IO;
}

/* The derived CKA_ID, told to the caller before it is set. */
static rgs_p11_rc note_final_id(rgs_p11_token *tok, const rgs_p11_key *key,
                                rgs_p11_keygen_note note, void *ud)
{
  unsigned char id[SHA_DIGEST_LENGTH];
  size_t len = 0;

  if (note == NULL)
    return RGS_P11_OK;
  if (!public_key_id(key->pkey, id, &len))
    return RGS_P11_ERR_CRYPTO;
  return note_id(tok, note, ud, 1, id, len);
}

rgs_p11_rc rgs_p11_keygen(rgs_p11_token *tok, const rgs_p11_keyspec *spec,
                          const char *label, rgs_p11_key **out)
{
  return rgs_p11_keygen_noted(tok, spec, label, NULL, NULL, out);
}

rgs_p11_rc rgs_p11_keygen_noted(rgs_p11_token *tok, const rgs_p11_keyspec *spec,
                                const char *label, rgs_p11_keygen_note note, void *ud,
                                rgs_p11_key **out)
{
  keygen_tmpl k;
  CK_MECHANISM mech = { 0, NULL, 0 };
  rgs_p11_key *key = NULL;
  int created = 0;
  rgs_p11_rc rc;
  CK_RV rv;

  if (tok == NULL || spec == NULL || out == NULL)
    return RGS_P11_ERR_ARG;
  *out = NULL;
  memset(&k, 0, sizeof(k));
  rc = keygen_mechanism(tok, spec, &mech.mechanism);
  if (rc != RGS_P11_OK)
    goto cleanup;
  rc = build_templates(&k, spec, label);
  if (rc != RGS_P11_OK)
    goto cleanup;
  key = calloc(1, sizeof(*key));
  if (key == NULL) {
    rc = RGS_P11_ERR_NOMEM;
    goto cleanup;
  }
  rc = note_id(tok, note, ud, 0, k.tmp_id, sizeof(k.tmp_id));
  if (rc != RGS_P11_OK)
    goto cleanup;
  rv = tok->ctx->f->C_GenerateKeyPair(tok->session, &mech, k.pub.a, (CK_ULONG)k.pub.n,
                                      k.priv.a, (CK_ULONG)k.priv.n, &key->pub, &key->priv);
  if (rv != CKR_OK) {
    rc = keygen_refused(tok->ctx, rv);
    if (rc != RGS_P11_ERR_TOKEN_REMOVED)
      sweep_orphans(tok, k.tmp_id, sizeof(k.tmp_id));
    goto cleanup;
  }
  created = 1;
  key->has_pub = 1;
  rc = read_public(tok, key->pub, &key->pkey);
  if (rc == RGS_P11_OK)
    rc = note_final_id(tok, key, note, ud);
  if (rc == RGS_P11_OK)
    rc = set_derived_id(tok, key, k.tmp_id, sizeof(k.tmp_id));
  if (rc == RGS_P11_OK)
    rc = read_private(tok, key);
  if (rc == RGS_P11_OK)
    rc = verify_generated(tok, key);
  if (rc == RGS_P11_OK)
    rc = verify_spec(tok, key, spec);
  if (rc != RGS_P11_OK)
    goto cleanup;
  *out = key;
  key = NULL;

cleanup:
  if (key != NULL && created && rc != RGS_P11_ERR_TOKEN_REMOVED) {
    char why[256];
    snprintf(why, sizeof(why), "%s", tok->ctx->last_error);
    if (destroy_pair(tok, key->priv, key->pub) != RGS_P11_OK)
      rgs_p11_set_error(tok->ctx, _("%s; the key pair could not be removed from the token"),
                        why);
    else
      rgs_p11_set_error(tok->ctx, _("%s; the key pair was removed from the token"), why);
  }
  rgs_p11_key_free(key);
  return rc;
}

static int is_tmp_id(const unsigned char *id, size_t len)
{
  return len == sizeof(RGS_TMP_ID_PREFIX) - 1 + 8 &&
         memcmp(id, RGS_TMP_ID_PREFIX, sizeof(RGS_TMP_ID_PREFIX) - 1) == 0;
}

/* 1 when the public half of key carries CKA_ID id. */
static int pub_has_id(rgs_p11_token *tok, const rgs_p11_key *key, const unsigned char *id,
                      size_t len)
{
  unsigned char buf[RGS_ID_MAX];
  CK_ATTRIBUTE a = { CKA_ID, buf, sizeof(buf) };

  if (tok->ctx->f->C_GetAttributeValue(tok->session, key->pub, &a, 1) != CKR_OK)
    return 0;
  return a.ulValueLen == len && memcmp(buf, id, len) == 0;
}

/* The public-key object of CKA_ID id when it is key's public half: the same
 * public key as the private half's (RSA), or, for EC, whose private half
 * does not hold it, the public key from which final (when known) derives.
 * RGS_P11_ERR_KEY_NOT_FOUND when there is none such. */
static rgs_p11_rc leftover_public_half(rgs_p11_token *tok, rgs_p11_key *key,
                                       const unsigned char *id, size_t len,
                                       const unsigned char *final, size_t final_len)
{
  CK_OBJECT_HANDLE h[2];
  CK_ULONG n = 0;
  EVP_PKEY *pub = NULL;
  unsigned char derived[SHA_DIGEST_LENGTH];
  size_t dlen = 0;
  int same;
  rgs_p11_rc rc;

  if (id == NULL || len == 0)
    return RGS_P11_ERR_KEY_NOT_FOUND;
  rc = find_by_id(tok, CKO_PUBLIC_KEY, id, len, h, 2, &n);
  if (rc != RGS_P11_OK)
    return rc;
  if (n != 1)
    return RGS_P11_ERR_KEY_NOT_FOUND;
  rc = read_public(tok, h[0], &pub);
  if (rc != RGS_P11_OK)
    return rc;
  if (key->pkey != NULL)
    same = EVP_PKEY_eq(pub, key->pkey) == 1;
  else
    same = final == NULL || (public_key_id(pub, derived, &dlen) && dlen == final_len &&
                             memcmp(derived, final, dlen) == 0);
  if (!same) {
    EVP_PKEY_free(pub);
    return RGS_P11_ERR_KEY_NOT_FOUND;
  }
  key->pub = h[0];
  key->has_pub = 1;
  if (key->pkey == NULL)
    key->pkey = pub;
  else
    EVP_PKEY_free(pub);
  return RGS_P11_OK;
}

/* The private half by the final id, else by the one-time id. */
static rgs_p11_rc leftover_private_half(rgs_p11_token *tok, const unsigned char *tmp,
                                        size_t tmp_len, const unsigned char *final,
                                        size_t final_len, CK_OBJECT_HANDLE *priv)
{
  CK_OBJECT_HANDLE h[2];
  CK_ULONG n = 0;
  rgs_p11_rc rc = RGS_P11_OK;

  if (final != NULL && final_len > 0)
    rc = find_by_id(tok, CKO_PRIVATE_KEY, final, final_len, h, 2, &n);
  if (rc == RGS_P11_OK && n == 0 && tmp != NULL && tmp_len > 0)
    rc = find_by_id(tok, CKO_PRIVATE_KEY, tmp, tmp_len, h, 2, &n);
  if (rc != RGS_P11_OK)
    return rc;
  if (n == 0)
    return RGS_P11_ERR_KEY_NOT_FOUND;
  if (n > 1)
    return RGS_P11_ERR_KEY_AMBIGUOUS;
  *priv = h[0];
  return RGS_P11_OK;
}

rgs_p11_rc rgs_p11_key_find_leftover_ids(rgs_p11_token *tok, const unsigned char *tmp,
                                         size_t tmp_len, const unsigned char *final,
                                         size_t final_len, rgs_p11_key **out)
{
  rgs_p11_key *key = NULL;
  unsigned char own[RGS_ID_MAX];
  size_t own_len;
  rgs_p11_rc rc;

  if (tok == NULL || out == NULL || tmp_len > RGS_ID_MAX || final_len > RGS_ID_MAX ||
      ((tmp == NULL || tmp_len == 0) && (final == NULL || final_len == 0)))
    return RGS_P11_ERR_ARG;
  *out = NULL;
  if (final_len == 0)
    final = NULL;
  key = calloc(1, sizeof(*key));
  if (key == NULL)
    return RGS_P11_ERR_NOMEM;
  rc = leftover_private_half(tok, tmp, tmp_len, final, final_len, &key->priv);
  if (rc == RGS_P11_OK)
    rc = read_private(tok, key);
  if (rc != RGS_P11_OK)
    goto cleanup;
  own_len = key->id_len;
  memcpy(own, key->id, own_len);
  /* A run killed between the two C_SetAttributeValue of set_derived_id()
   * leaves the halves with different ids: the public half is looked for by
   * the private half's id, then by each id of the journal. */
  rc = leftover_public_half(tok, key, own, own_len, final, final_len);
  if (rc == RGS_P11_ERR_KEY_NOT_FOUND)
    rc = leftover_public_half(tok, key, final, final_len, final, final_len);
  if (rc == RGS_P11_ERR_KEY_NOT_FOUND)
    rc = leftover_public_half(tok, key, tmp, tmp_len, final, final_len);
  if (rc == RGS_P11_ERR_KEY_NOT_FOUND && key->pkey != NULL && !is_tmp_id(own, own_len))
    rc = RGS_P11_OK;    /* final id on the private half, public half gone: still usable */
  if (rc != RGS_P11_OK)
    goto cleanup;
  /* Finish what keygen would have done: both halves get the derived id
   * (the private half's current id is the one to go back to). */
  if (key->has_pub && (is_tmp_id(own, own_len) || !pub_has_id(tok, key, own, own_len))) {
    rc = set_derived_id(tok, key, own, own_len);
    if (rc == RGS_P11_OK)
      rc = read_private(tok, key);
    if (rc != RGS_P11_OK)
      goto cleanup;
  }
  rc = verify_generated(tok, key);
  if (rc != RGS_P11_OK)
    goto cleanup;
  *out = key;
  key = NULL;

cleanup:
  rgs_p11_key_free(key);
  return rc;
}

rgs_p11_rc rgs_p11_key_find_leftover(rgs_p11_token *tok, const unsigned char *id, size_t len,
                                     rgs_p11_key **out)
{
  if (id != NULL && is_tmp_id(id, len))
    return rgs_p11_key_find_leftover_ids(tok, id, len, NULL, 0, out);
  return rgs_p11_key_find_leftover_ids(tok, NULL, 0, id, len, out);
}

rgs_p11_rc rgs_p11_key_destroy(rgs_p11_token *tok, rgs_p11_key *key)
{
  CK_RV rv;

  if (tok == NULL || key == NULL)
    return RGS_P11_ERR_ARG;
  if (key->has_pub)
    return destroy_pair(tok, key->priv, key->pub);
  rv = tok->ctx->f->C_DestroyObject(tok->session, key->priv);
  return rv == CKR_OK ? RGS_P11_OK : rgs_p11_fail(tok->ctx, "C_DestroyObject", rv);
}

void rgs_p11_key_free(rgs_p11_key *key)
{
  if (key == NULL)
    return;
  EVP_PKEY_free(key->pkey);
  free(key);
}

const rgs_p11_key_attrs *rgs_p11_key_get_attrs(const rgs_p11_key *key)
{
  return key != NULL ? &key->attrs : NULL;
}

EVP_PKEY *rgs_p11_key_public(const rgs_p11_key *key)
{
  return key != NULL ? key->pkey : NULL;
}

const char *rgs_p11_key_label(const rgs_p11_key *key)
{
  return key != NULL ? key->label : "";
}

const unsigned char *rgs_p11_key_id(const rgs_p11_key *key, size_t *len)
{
  if (key == NULL || len == NULL)
    return NULL;
  *len = key->id_len;
  return key->id;
}

char *rgs_p11_key_uri(const rgs_p11_token *tok, const rgs_p11_key *key)
{
  rgs_p11_uri *uri = NULL;
  char *text = NULL;

  if (tok == NULL || key == NULL)
    return NULL;
  if (rgs_p11_uri_for_token(&tok->info, &uri) != RGS_P11_OK)
    return NULL;
  if (key->label[0] != '\0' && rgs_p11_uri_set(uri, RGS_URI_OBJECT, key->label) != RGS_P11_OK)
    goto cleanup;
  if (key->id_len > 0 && rgs_p11_uri_set_id(uri, key->id, key->id_len) != RGS_P11_OK)
    goto cleanup;
  if (rgs_p11_uri_set(uri, RGS_URI_TYPE, "private") != RGS_P11_OK)
    goto cleanup;
  text = rgs_p11_uri_format(uri);

cleanup:
  rgs_p11_uri_free(uri);
  return text;
}

/* ---- signing --------------------------------------------------------- */

/* DER DigestInfo prefix for SHA-256 (PKCS#1 v1.5, RFC 8017 9.2 note 1). */
static const unsigned char sha256_prefix[19] = {
  0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
  0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20
};

/* What to send to C_Sign and with which mechanism: the whole data when the
 * token hashes (CKM_SHA256_RSA_PKCS), else a host-side SHA-256 wrapped as
 * the raw mechanism expects. */
static rgs_p11_rc sign_input(rgs_p11_token *tok, const rgs_p11_key *key,
                             const unsigned char *data, size_t len, CK_MECHANISM_TYPE *mech,
                             unsigned char *buf, const unsigned char **in, size_t *in_len)
{
  CK_MECHANISM_INFO mi;
  unsigned char digest[SHA256_DIGEST_LENGTH];

  if (key->attrs.type == RGS_KEY_RSA &&
      rgs_p11_mechanism(tok, CKM_SHA256_RSA_PKCS, &mi) == RGS_P11_OK &&
      (mi.flags & CKF_SIGN)) {
    *mech = CKM_SHA256_RSA_PKCS;
    *in = data;
    *in_len = len;
    return RGS_P11_OK;
  }
  SHA256(data, len, digest);
  if (key->attrs.type == RGS_KEY_RSA) {
    *mech = CKM_RSA_PKCS;
    memcpy(buf, sha256_prefix, sizeof(sha256_prefix));
    memcpy(buf + sizeof(sha256_prefix), digest, sizeof(digest));
    *in_len = sizeof(sha256_prefix) + sizeof(digest);
  } else if (key->attrs.type == RGS_KEY_EC) {
    *mech = CKM_ECDSA;
    memcpy(buf, digest, sizeof(digest));
    *in_len = sizeof(digest);
  } else {
    return RGS_P11_ERR_KEY_REFUSED;
  }
  *in = buf;
  return RGS_P11_OK;
}

/* ECDSA on a token gives r||s; X.509 and CMS want the DER SEQUENCE. */
static rgs_p11_rc ecdsa_to_der(const unsigned char *raw, size_t len, unsigned char **der,
                               size_t *der_len)
{
  ECDSA_SIG *es = ECDSA_SIG_new();
  BIGNUM *r = NULL, *s = NULL;
  unsigned char *p = NULL;
  int n;
  rgs_p11_rc rc = RGS_P11_ERR_CRYPTO;

  if (es == NULL)
    return RGS_P11_ERR_NOMEM;
  r = BN_bin2bn(raw, (int)(len / 2), NULL);
  s = BN_bin2bn(raw + len / 2, (int)(len / 2), NULL);
  if (r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    goto cleanup;
  }
  n = i2d_ECDSA_SIG(es, &p);
  if (n <= 0)
    goto cleanup;
  *der = malloc((size_t)n);      /* callers free() what we hand out */
  if (*der == NULL) {
    rc = RGS_P11_ERR_NOMEM;
    goto cleanup;
  }
  memcpy(*der, p, (size_t)n);
  *der_len = (size_t)n;
  rc = RGS_P11_OK;

cleanup:
  OPENSSL_free(p);
  ECDSA_SIG_free(es);
  return rc;
}

static size_t expected_sig_len(const rgs_p11_key *key)
{
  if (key->attrs.type == RGS_KEY_RSA)
    return (key->attrs.bits + 7) / 8;
  return 2 * ((key->attrs.bits + 7) / 8);
}

static rgs_p11_rc verify_on_host(const rgs_p11_key *key, const unsigned char *data,
                                 size_t len, const unsigned char *sig, size_t siglen)
{
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  rgs_p11_rc rc = RGS_P11_ERR_SIGNATURE;

  if (md == NULL)
    return RGS_P11_ERR_NOMEM;
  if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
      EVP_DigestVerify(md, sig, siglen, data, len) == 1)
    rc = RGS_P11_OK;
  EVP_MD_CTX_free(md);
  return rc;
}

rgs_p11_rc rgs_p11_sign_sha256(rgs_p11_token *tok, const rgs_p11_key *key,
                               const unsigned char *data, size_t len, unsigned char **sig,
                               size_t *siglen)
{
  unsigned char inbuf[64];
  const unsigned char *in = NULL;
  size_t in_len = 0, want;
  CK_MECHANISM mech = { 0, NULL, 0 };
  unsigned char *raw = NULL;
  CK_ULONG raw_len;
  rgs_p11_rc rc;
  CK_RV rv;

  if (tok == NULL || key == NULL || data == NULL || sig == NULL || siglen == NULL)
    return RGS_P11_ERR_ARG;
  *sig = NULL;
  *siglen = 0;
  rc = sign_input(tok, key, data, len, &mech.mechanism, inbuf, &in, &in_len);
  if (rc != RGS_P11_OK)
    goto cleanup;
  want = expected_sig_len(key);
  if (want == 0) {              /* a curve or size we could not read */
    rc = RGS_P11_ERR_KEY_REFUSED;
    goto cleanup;
  }
  raw_len = (CK_ULONG)want;
  raw = malloc(want ? want : 1);
  if (raw == NULL) {
    rc = RGS_P11_ERR_NOMEM;
    goto cleanup;
  }
  rv = tok->ctx->f->C_SignInit(tok->session, &mech, key->priv);
  if (rv != CKR_OK) {
    rc = rgs_p11_fail(tok->ctx, "C_SignInit", rv);
    goto cleanup;
  }
  /* Such a key wants the PIN for this very signature (PKCS#11 2.40, 4.9):
   * asked again, with the same counter rules, never kept from the login. */
  if (key->attrs.always_authenticate) {
    rc = tok->reauth != NULL ? rgs_p11_login(tok, RGS_PIN_CONTEXT, tok->reauth)
                             : RGS_P11_ERR_PIN_INPUT;
    if (rc != RGS_P11_OK)
      goto cleanup;
  }
  rv = tok->ctx->f->C_Sign(tok->session, (CK_BYTE_PTR)in, (CK_ULONG)in_len, raw, &raw_len);
  if (rv != CKR_OK) {
    rc = rgs_p11_fail(tok->ctx, "C_Sign", rv);
    goto cleanup;
  }
  if (raw_len != want) {
    rgs_p11_set_error(tok->ctx, _("the token returned a %lu-byte signature, %zu expected"),
                      (unsigned long)raw_len, want);
    rc = RGS_P11_ERR_MODULE_BAD;
    goto cleanup;
  }
  if (key->attrs.type == RGS_KEY_EC) {
    rc = ecdsa_to_der(raw, raw_len, sig, siglen);
  } else {
    *sig = raw;
    *siglen = raw_len;
    raw = NULL;
  }
  if (rc == RGS_P11_OK)
    rc = verify_on_host(key, data, len, *sig, *siglen);
  if (rc != RGS_P11_OK) {
    free(*sig);
    *sig = NULL;
    *siglen = 0;
  }

cleanup:
  free(raw);
  return rc;
}
