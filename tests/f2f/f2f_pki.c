/* SPDX-License-Identifier: BSD-3-Clause */
/* f2f_pki.c - the test PKI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include "f2f_pki.h"

EVP_PKEY *pki_key(const char *kind)
{
  if (strcmp(kind, "rsa") == 0)
    return EVP_RSA_gen(2048);
  return EVP_EC_gen("P-256");
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX ctx;
  X509_EXTENSION *e;
  int ok;

  X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
  e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  if (e == NULL)
    return 0;
  ok = X509_add_ext(x, e, -1);
  X509_EXTENSION_free(e);
  return ok;
}

/* certificatePolicies with one OID (the text form needs a config database). */
static int add_policy(X509 *x, const char *oid)
{
  CERTIFICATEPOLICIES *pols = sk_POLICYINFO_new_null();
  POLICYINFO *pi = POLICYINFO_new();
  int ok = pols != NULL && pi != NULL;

  if (ok) {
    ASN1_OBJECT_free(pi->policyid);
    pi->policyid = OBJ_txt2obj(oid, 1);
    ok = pi->policyid != NULL && sk_POLICYINFO_push(pols, pi) > 0;
  }
  if (ok)
    pi = NULL;
  ok = ok && X509_add1_ext_i2d(x, NID_certificate_policies, pols, 0, X509V3_ADD_DEFAULT) == 1;
  POLICYINFO_free(pi);
  CERTIFICATEPOLICIES_free(pols);
  return ok;
}

X509 *pki_cert(const char *cn, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *issuer_key, int ca,
               const char *not_before, const char *not_after)
{
  return pki_cert_policy(cn, pub, issuer, issuer_key, ca, not_before, not_after,
                         PKI_DEMO_AED_POLICY);
}

X509 *pki_cert_policy(const char *cn, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *issuer_key,
                      int ca, const char *not_before, const char *not_after,
                      const char *policy)
{
  X509 *x = X509_new();
  X509_NAME *name = X509_NAME_new();
  unsigned char serial[8];
  BIGNUM *bn = NULL;
  int ok;

  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7F;
  bn = BN_bin2bn(serial, sizeof(serial), NULL);
  ok = x != NULL && name != NULL && bn != NULL && X509_set_version(x, 2) &&
       BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL &&
       ASN1_TIME_set_string_X509(X509_getm_notBefore(x), not_before != NULL ? not_before : "20200101000000Z") &&
       ASN1_TIME_set_string_X509(X509_getm_notAfter(x), not_after != NULL ? not_after : "20400101000000Z") &&
       X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8, (const unsigned char *)"FR", -1, -1, 0) &&
       X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"Huissiers de Test", -1, -1, 0) &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) &&
       X509_set_subject_name(x, name) &&
       X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) &&
       X509_set_pubkey(x, pub);
  if (ok && ca)
    ok = add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE") &&
         add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
         add_ext(x, issuer, NID_subject_key_identifier, "hash");
  else if (ok)
    ok = add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") &&
         add_ext(x, issuer, NID_key_usage, "critical,digitalSignature,nonRepudiation") &&
         add_ext(x, issuer, NID_subject_key_identifier, "hash") &&
         add_ext(x, issuer, NID_authority_key_identifier, "keyid") &&
         (policy == NULL || add_policy(x, policy));
  if (ok)
    ok = X509_sign(x, issuer_key, EVP_sha256()) > 0;
  BN_free(bn);
  X509_NAME_free(name);
  if (!ok) {
    X509_free(x);
    return NULL;
  }
  return x;
}

int pki_write_pem(const char *path, X509 *cert)
{
  FILE *f = fopen(path, "w");
  int ok;

  if (f == NULL)
    return -1;
  ok = PEM_write_X509(f, cert);
  fclose(f);
  return ok ? 0 : -1;
}

int pki_write_der(const char *path, X509 *cert)
{
  FILE *f = fopen(path, "wb");
  int ok;

  if (f == NULL)
    return -1;
  ok = i2d_X509_fp(f, cert);
  fclose(f);
  return ok ? 0 : -1;
}

EVP_PKEY *pki_read_pubkey_der(const char *path)
{
  FILE *f = fopen(path, "rb");
  EVP_PKEY *k;

  if (f == NULL)
    return NULL;
  k = d2i_PUBKEY_fp(f, NULL);
  fclose(f);
  return k;
}

int pki_sign(void *ud, const unsigned char *data, size_t len, unsigned char **sig,
             size_t *siglen)
{
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  int ok = 0;

  *sig = NULL;
  if (md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, ud) == 1 &&
      EVP_DigestSign(md, NULL, siglen, data, len) == 1) {
    *sig = malloc(*siglen);
    ok = *sig != NULL && EVP_DigestSign(md, *sig, siglen, data, len) == 1;
  }
  EVP_MD_CTX_free(md);
  return ok ? 0 : -1;
}
