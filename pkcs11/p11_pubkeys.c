/* SPDX-License-Identifier: BSD-3-Clause */
/* p11_pubkeys.c - the public keys a token shows without a PIN, as the
 * SHA-256 of their SubjectPublicKeyInfo: how a token plugged in is matched
 * with the key an order is bound to, before anyone logs in. */
#include <stdlib.h>
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include "p11_internal.h"

#define PUBKEYS_MAX 64
#define MODULUS_MAX 1024          /* 8192-bit RSA */
#define EC_PARAMS_MAX 128
#define EC_POINT_MAX 160

static EVP_PKEY *from_params(const char *type, OSSL_PARAM *params)
{
  EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
  EVP_PKEY *pkey = NULL;

  if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) <= 0 ||
      EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    pkey = NULL;
  EVP_PKEY_CTX_free(pctx);
  return pkey;
}

static EVP_PKEY *rsa_key(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen)
{
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  BIGNUM *bn_n = BN_bin2bn(n, (int)nlen, NULL), *bn_e = BN_bin2bn(e, (int)elen, NULL);
  OSSL_PARAM *params = NULL;
  EVP_PKEY *pkey = NULL;

  if (bld != NULL && bn_n != NULL && bn_e != NULL &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
    params = OSSL_PARAM_BLD_to_param(bld);
  if (params != NULL)
    pkey = from_params("RSA", params);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(bn_n);
  BN_free(bn_e);
  return pkey;
}

/* CKA_EC_PARAMS is the DER OID of a named curve; CKA_EC_POINT a DER OCTET
 * STRING holding the point (some modules give the bare point). */
static EVP_PKEY *ec_key(const unsigned char *der_params, size_t plen,
                        const unsigned char *point, size_t len)
{
  const unsigned char *p = der_params;
  ASN1_OBJECT *oid = d2i_ASN1_OBJECT(NULL, &p, (long)plen);
  ASN1_OCTET_STRING *os = NULL;
  const unsigned char *raw = point;
  size_t raw_len = len;
  const char *group = NULL;
  OSSL_PARAM params[3];
  EVP_PKEY *pkey = NULL;

  if (oid != NULL && p == der_params + plen)
    group = OBJ_nid2sn(OBJ_obj2nid(oid));
  if (group == NULL || len == 0)
    goto cleanup;
  if (point[0] == 0x04 && len > 2) {
    p = point;
    os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)len);
    if (os != NULL && p == point + len) {
      raw = ASN1_STRING_get0_data(os);
      raw_len = (size_t)ASN1_STRING_length(os);
    }
  }
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
  params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)raw, raw_len);
  params[2] = OSSL_PARAM_construct_end();
  pkey = from_params("EC", params);

cleanup:
  ASN1_OCTET_STRING_free(os);
  ASN1_OBJECT_free(oid);
  return pkey;
}

static int attr_ok(const CK_ATTRIBUTE *a, size_t cap)
{
  return a->ulValueLen != CK_UNAVAILABLE_INFORMATION && a->ulValueLen > 0 && a->ulValueLen <= cap;
}

/* The SPKI SHA-256 of one public-key object; 0 when it cannot be read (a
 * key type we do not know, an attribute the module keeps to itself). */
static int hash_one(rgs_p11_token *tok, CK_OBJECT_HANDLE h, unsigned char out[32])
{
  unsigned char modulus[MODULUS_MAX], exponent[16], params[EC_PARAMS_MAX], point[EC_POINT_MAX];
  CK_KEY_TYPE ktype = (CK_KEY_TYPE)-1;
  rgs_p11_tmpl t = { .n = 0 };
  unsigned char *der = NULL;
  EVP_PKEY *pkey = NULL;
  CK_RV rv;
  int n, ok = 0;

  rgs_p11_tmpl_ulong(&t, CKA_KEY_TYPE, &ktype);
  rgs_p11_tmpl_bytes(&t, CKA_MODULUS, modulus, sizeof(modulus));
  rgs_p11_tmpl_bytes(&t, CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent));
  rgs_p11_tmpl_bytes(&t, CKA_EC_PARAMS, params, sizeof(params));
  rgs_p11_tmpl_bytes(&t, CKA_EC_POINT, point, sizeof(point));
  if (t.overflow)
    return 0;
  rv = tok->ctx->f->C_GetAttributeValue(tok->session, h, t.a, (CK_ULONG)t.n);
  /* Either attribute family is absent for the other key type. */
  if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID && rv != CKR_ATTRIBUTE_SENSITIVE)
    return 0;
  if (t.a[0].ulValueLen != sizeof(ktype))
    return 0;
  if (ktype == CKK_RSA && attr_ok(&t.a[1], sizeof(modulus)) && attr_ok(&t.a[2], sizeof(exponent)))
    pkey = rsa_key(modulus, t.a[1].ulValueLen, exponent, t.a[2].ulValueLen);
  else if (ktype == CKK_EC && attr_ok(&t.a[3], sizeof(params)) && attr_ok(&t.a[4], sizeof(point)))
    pkey = ec_key(params, t.a[3].ulValueLen, point, t.a[4].ulValueLen);
  if (pkey == NULL)
    return 0;
  n = i2d_PUBKEY(pkey, &der);
  if (n > 0) {
    SHA256(der, (size_t)n, out);
    ok = 1;
  }
  OPENSSL_free(der);
  EVP_PKEY_free(pkey);
  return ok;
}

rgs_p11_rc rgs_p11_public_key_hashes(rgs_p11_token *tok, unsigned char (**out)[32], size_t *n)
{
  CK_OBJECT_HANDLE handles[PUBKEYS_MAX];
  CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
  rgs_p11_tmpl t = { .n = 0 };
  unsigned char (*hashes)[32] = NULL;
  CK_ULONG count = 0, i;
  size_t kept = 0;
  rgs_p11_rc rc;

  if (tok == NULL || out == NULL || n == NULL)
    return RGS_P11_ERR_ARG;
  *out = NULL;
  *n = 0;
  rgs_p11_tmpl_ulong(&t, CKA_CLASS, &cls);
  rc = rgs_p11_find_objects(tok, &t, handles, PUBKEYS_MAX, &count);
  if (rc != RGS_P11_OK)
    return rc;
  hashes = calloc(count > 0 ? count : 1, sizeof(*hashes));
  if (hashes == NULL)
    return RGS_P11_ERR_NOMEM;
  for (i = 0; i < count; i++)
    if (hash_one(tok, handles[i], hashes[kept]))
      kept++;
  *out = hashes;
  *n = kept;
  return RGS_P11_OK;
}
