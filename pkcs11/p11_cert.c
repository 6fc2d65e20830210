/* SPDX-License-Identifier: BSD-3-Clause */
/* p11_cert.c - certificate objects: write next to their key, read back, list.
 *
 * A certificate is paired with its private key through CKA_ID, and only
 * after the public keys were compared: labels and ids are never trusted
 * alone. Every object written is read back and compared byte for byte. */
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include "p11_internal.h"

#define RGS_CERT_MAX_OBJECTS 128
#define RGS_CERT_MAX_DER (64 * 1024)

/* ---- reading --------------------------------------------------------- */

/* CKA_VALUE of an object, allocated; free with free(). */
static rgs_p11_rc read_value(rgs_p11_token *tok, CK_OBJECT_HANDLE h, unsigned char **der,
                             size_t *len)
{
  CK_ATTRIBUTE a = { CKA_VALUE, NULL, 0 };
  CK_ULONG alloc;
  CK_RV rv;

  *der = NULL;
  *len = 0;
  rv = tok->ctx->f->C_GetAttributeValue(tok->session, h, &a, 1);
  if (rv != CKR_OK)
    return rgs_p11_fail(tok->ctx, "C_GetAttributeValue", rv);
  if (a.ulValueLen == 0 || a.ulValueLen == CK_UNAVAILABLE_INFORMATION ||
      a.ulValueLen > RGS_CERT_MAX_DER) {
    rgs_p11_set_error(tok->ctx, _("the token gave a certificate value of %lu bytes"),
                      (unsigned long)a.ulValueLen);
    return RGS_P11_ERR_MODULE_BAD;
  }
  alloc = a.ulValueLen;
  a.pValue = malloc(alloc);
  if (a.pValue == NULL)
    return RGS_P11_ERR_NOMEM;
  rv = tok->ctx->f->C_GetAttributeValue(tok->session, h, &a, 1);
  /* Bounded by what we allocated, not by a limit: a module that grows the
   * value between the two calls must not make us read past the buffer. */
  if (rv != CKR_OK || a.ulValueLen == 0 || a.ulValueLen > alloc) {
    free(a.pValue);
    if (rv == CKR_OK) {
      rgs_p11_set_error(tok->ctx, _("the token changed the size of a certificate value"));
      return RGS_P11_ERR_MODULE_BAD;
    }
    return rgs_p11_fail(tok->ctx, "C_GetAttributeValue", rv);
  }
  *der = a.pValue;
  *len = a.ulValueLen;
  return RGS_P11_OK;
}

/* CKA_ID, CKA_LABEL and CKA_CERTIFICATE_CATEGORY in one call. */
static rgs_p11_rc read_meta(rgs_p11_token *tok, rgs_p11_cert *c)
{
  char label[64];
  CK_ULONG category = 0;
  rgs_p11_tmpl t = { .n = 0 };
  CK_RV rv;

  rgs_p11_tmpl_bytes(&t, CKA_ID, c->id, sizeof(c->id));
  rgs_p11_tmpl_bytes(&t, CKA_LABEL, label, sizeof(label));
  rgs_p11_tmpl_ulong(&t, CKA_CERTIFICATE_CATEGORY, &category);
  rv = tok->ctx->f->C_GetAttributeValue(tok->session, c->handle, t.a, (CK_ULONG)t.n);
  if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID && rv != CKR_ATTRIBUTE_SENSITIVE &&
      rv != CKR_BUFFER_TOO_SMALL)
    return rgs_p11_fail(tok->ctx, "C_GetAttributeValue", rv);
  c->id_len = t.a[0].ulValueLen <= sizeof(c->id) ? t.a[0].ulValueLen : 0;
  if (t.a[1].ulValueLen <= sizeof(label))
    rgs_p11_trim_copy(c->label, sizeof(c->label), (CK_UTF8CHAR *)label, t.a[1].ulValueLen);
  c->category = t.a[2].ulValueLen == sizeof(CK_ULONG) ? (unsigned long)category
                                                      : RGS_CERT_CATEGORY_UNKNOWN;
  return RGS_P11_OK;
}

void rgs_p11_cert_list_free(rgs_p11_cert *list, size_t n)
{
  size_t i;

  if (list == NULL)
    return;
  for (i = 0; i < n; i++)
    X509_free(list[i].x509);
  free(list);
}

rgs_p11_rc rgs_p11_cert_list(rgs_p11_token *tok, rgs_p11_cert **out, size_t *n)
{
  CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
  CK_CERTIFICATE_TYPE type = CKC_X_509;
  CK_OBJECT_HANDLE h[RGS_CERT_MAX_OBJECTS];
  CK_ULONG found = 0, i;
  rgs_p11_tmpl t = { .n = 0 };
  rgs_p11_cert *list = NULL;
  unsigned char *der = NULL;
  const unsigned char *p;
  size_t len = 0, count = 0;
  rgs_p11_rc rc;

  if (tok == NULL || out == NULL || n == NULL)
    return RGS_P11_ERR_ARG;
  *out = NULL;
  *n = 0;
  rgs_p11_tmpl_ulong(&t, CKA_CLASS, &cls);
  rgs_p11_tmpl_ulong(&t, CKA_CERTIFICATE_TYPE, &type);
  rc = rgs_p11_find_objects(tok, &t, h, RGS_ARRAY_LEN(h), &found);
  if (rc != RGS_P11_OK)
    return rc;
  list = calloc(found > 0 ? found : 1, sizeof(*list));
  if (list == NULL)
    return RGS_P11_ERR_NOMEM;
  for (i = 0; i < found; i++) {
    rgs_p11_cert *c = &list[count];

    memset(c, 0, sizeof(*c));
    c->handle = h[i];
    rc = read_meta(tok, c);
    if (rc == RGS_P11_OK)
      rc = read_value(tok, h[i], &der, &len);
    if (rc == RGS_P11_ERR_MODULE_BAD)
      continue;                   /* an unreadable object is not one of ours */
    if (rc != RGS_P11_OK)
      goto cleanup;
    p = der;
    c->x509 = d2i_X509(NULL, &p, (long)len);
    if (c->x509 != NULL && p != der + len) {     /* trailing bytes: not a certificate */
      X509_free(c->x509);
      c->x509 = NULL;
    }
    if (c->x509 != NULL)
      count++;
    free(der);
    der = NULL;
  }
  *out = list;
  *n = count;
  list = NULL;
  rc = RGS_P11_OK;

cleanup:
  free(der);
  rgs_p11_cert_list_free(list, count);
  return rc;
}

/* ---- writing --------------------------------------------------------- */

typedef struct {
  unsigned char *value, *subject, *issuer, *serial;
  int value_len, subject_len, issuer_len, serial_len;
} cert_der;

static void cert_der_free(cert_der *d)
{
  OPENSSL_free(d->value);
  OPENSSL_free(d->subject);
  OPENSSL_free(d->issuer);
  OPENSSL_free(d->serial);
  memset(d, 0, sizeof(*d));
}

static rgs_p11_rc cert_der_make(X509 *cert, cert_der *d)
{
  memset(d, 0, sizeof(*d));
  d->value_len = i2d_X509(cert, &d->value);
  d->subject_len = i2d_X509_NAME(X509_get_subject_name(cert), &d->subject);
  d->issuer_len = i2d_X509_NAME(X509_get_issuer_name(cert), &d->issuer);
  d->serial_len = i2d_ASN1_INTEGER(X509_get_serialNumber(cert), &d->serial);
  if (d->value_len <= 0 || d->subject_len <= 0 || d->issuer_len <= 0 || d->serial_len <= 0) {
    cert_der_free(d);
    return RGS_P11_ERR_CRYPTO;
  }
  return RGS_P11_OK;
}

/* Read the new object back; destroy it when it is not what was written. */
static rgs_p11_rc verify_written(rgs_p11_token *tok, CK_OBJECT_HANDLE h, const cert_der *d)
{
  unsigned char *back = NULL;
  size_t len = 0;
  rgs_p11_rc rc = read_value(tok, h, &back, &len);

  if (rc == RGS_P11_OK && (len != (size_t)d->value_len || memcmp(back, d->value, len) != 0)) {
    rgs_p11_set_error(tok->ctx, _("the certificate read back from the token differs from the one written"));
    rc = RGS_P11_ERR_MODULE_BAD;
  }
  free(back);
  if (rc != RGS_P11_OK && rc != RGS_P11_ERR_TOKEN_REMOVED) {
    char why[256];
    snprintf(why, sizeof(why), "%s", tok->ctx->last_error);
    if (tok->ctx->f->C_DestroyObject(tok->session, h) == CKR_OK)
      rgs_p11_set_error(tok->ctx, _("%s; the object was removed from the token"), why);
    else
      rgs_p11_set_error(tok->ctx, _("%s; the object could not be removed from the token"), why);
  }
  return rc;
}

static int category_refused(CK_RV rv)
{
  /* Modules older than PKCS#11 2.40 do not know CKA_CERTIFICATE_CATEGORY. */
  return rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_TEMPLATE_INCONSISTENT ||
         rv == CKR_ATTRIBUTE_VALUE_INVALID;
}

static rgs_p11_rc write_object(rgs_p11_token *tok, X509 *cert, const unsigned char *id,
                               size_t id_len, const char *label, CK_ULONG category,
                               CK_OBJECT_HANDLE *handle)
{
  CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
  CK_CERTIFICATE_TYPE type = CKC_X_509;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
  rgs_p11_tmpl t = { .n = 0 };
  cert_der d;
  rgs_p11_rc rc;
  CK_RV rv;

  rc = cert_der_make(cert, &d);
  if (rc != RGS_P11_OK)
    return rc;
  rgs_p11_tmpl_ulong(&t, CKA_CLASS, &cls);
  rgs_p11_tmpl_ulong(&t, CKA_CERTIFICATE_TYPE, &type);
  rgs_p11_tmpl_bool(&t, CKA_TOKEN, &yes);
  rgs_p11_tmpl_bool(&t, CKA_PRIVATE, &no);
  rgs_p11_tmpl_bytes(&t, CKA_ID, (void *)id, id_len);
  if (label != NULL && label[0] != '\0')
    rgs_p11_tmpl_bytes(&t, CKA_LABEL, (void *)label, strlen(label));
  rgs_p11_tmpl_bytes(&t, CKA_SUBJECT, d.subject, (size_t)d.subject_len);
  rgs_p11_tmpl_bytes(&t, CKA_ISSUER, d.issuer, (size_t)d.issuer_len);
  rgs_p11_tmpl_bytes(&t, CKA_SERIAL_NUMBER, d.serial, (size_t)d.serial_len);
  rgs_p11_tmpl_bytes(&t, CKA_VALUE, d.value, (size_t)d.value_len);
  rgs_p11_tmpl_ulong(&t, CKA_CERTIFICATE_CATEGORY, &category);
  if (t.overflow) {
    rc = RGS_P11_ERR_ARG;
    goto cleanup;
  }
  rv = tok->ctx->f->C_CreateObject(tok->session, t.a, (CK_ULONG)t.n, &h);
  if (category_refused(rv))     /* the category is the last attribute: drop it */
    rv = tok->ctx->f->C_CreateObject(tok->session, t.a, (CK_ULONG)t.n - 1, &h);
  if (rv != CKR_OK) {
    rc = rgs_p11_fail(tok->ctx, "C_CreateObject", rv);
    goto cleanup;
  }
  rc = verify_written(tok, h, &d);
  if (rc == RGS_P11_OK && handle != NULL)
    *handle = h;

cleanup:
  cert_der_free(&d);
  return rc;
}

rgs_p11_rc rgs_p11_cert_write(rgs_p11_token *tok, const rgs_p11_key *key, X509 *cert,
                              const char *label, CK_OBJECT_HANDLE *handle)
{
  const unsigned char *id;
  size_t id_len = 0;
  EVP_PKEY *pub;

  if (tok == NULL || key == NULL || cert == NULL)
    return RGS_P11_ERR_ARG;
  pub = X509_get0_pubkey(cert);
  if (pub == NULL || rgs_p11_key_public(key) == NULL ||
      EVP_PKEY_eq(pub, rgs_p11_key_public(key)) != 1)
    return RGS_P11_ERR_CERT_MISMATCH;
  id = rgs_p11_key_id(key, &id_len);
  if (id == NULL || id_len == 0) {
    rgs_p11_set_error(tok->ctx, _("the key has no CKA_ID to pair the certificate with"));
    return RGS_P11_ERR_KEY_ATTRS;
  }
  return write_object(tok, cert, id, id_len, label, RGS_CERT_CATEGORY_USER, handle);
}

rgs_p11_rc rgs_p11_cert_write_ca(rgs_p11_token *tok, X509 *cert, const char *label,
                                 CK_OBJECT_HANDLE *handle)
{
  const ASN1_OCTET_STRING *ski;
  unsigned char id[SHA_DIGEST_LENGTH];
  unsigned int id_len = 0;

  if (tok == NULL || cert == NULL)
    return RGS_P11_ERR_ARG;
  ski = X509_get0_subject_key_id(cert);
  if (ski != NULL && ASN1_STRING_length(ski) > 0 &&
      (size_t)ASN1_STRING_length(ski) <= sizeof(((rgs_p11_cert *)0)->id))
    return write_object(tok, cert, ASN1_STRING_get0_data(ski),
                        (size_t)ASN1_STRING_length(ski), label, RGS_CERT_CATEGORY_AUTHORITY,
                        handle);
  /* The RFC 5280 method 1 key identifier, as keygen gives keys. */
  if (X509_pubkey_digest(cert, EVP_sha1(), id, &id_len) != 1)
    return RGS_P11_ERR_CRYPTO;
  return write_object(tok, cert, id, id_len, label, RGS_CERT_CATEGORY_AUTHORITY, handle);
}

/* ---- leftovers of an interrupted write ------------------------------- */

/* Whether the object's CKA_ID is empty or the key's: only then can a broken
 * object be a leftover of ours. An ID that cannot be read, or of another
 * length, is someone else's. */
static rgs_p11_rc id_is_ours_or_none(rgs_p11_token *tok, CK_OBJECT_HANDLE h,
                                     const unsigned char *id, size_t id_len, int *ours)
{
  unsigned char buf[64];
  CK_ATTRIBUTE a = { CKA_ID, NULL, 0 };
  CK_RV rv;

  *ours = 0;
  rv = tok->ctx->f->C_GetAttributeValue(tok->session, h, &a, 1);
  if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE)
    return RGS_P11_OK;
  if (rv != CKR_OK)
    return rgs_p11_fail(tok->ctx, "C_GetAttributeValue", rv);
  if (a.ulValueLen == 0) {
    *ours = 1;
    return RGS_P11_OK;
  }
  if (a.ulValueLen != id_len || id_len > sizeof(buf))
    return RGS_P11_OK;
  a.pValue = buf;
  rv = tok->ctx->f->C_GetAttributeValue(tok->session, h, &a, 1);
  if (rv != CKR_OK)
    return rgs_p11_fail(tok->ctx, "C_GetAttributeValue", rv);
  *ours = a.ulValueLen == id_len && memcmp(buf, id, id_len) == 0;
  return RGS_P11_OK;
}

/* Whether the object is broken: an X.509 object (or of unknown type) whose
 * value is empty or not exactly one DER certificate. A value that cannot
 * be read or is too large to judge leaves the object alone. */
static rgs_p11_rc value_is_broken(rgs_p11_token *tok, CK_OBJECT_HANDLE h, int *broken)
{
  CK_CERTIFICATE_TYPE type = CKC_X_509;
  CK_ATTRIBUTE a[2] = { { CKA_CERTIFICATE_TYPE, &type, sizeof(type) }, { CKA_VALUE, NULL, 0 } };
  unsigned char *der = NULL;
  const unsigned char *p;
  size_t len = 0;
  X509 *x = NULL;
  rgs_p11_rc rc;
  CK_RV rv;

  *broken = 0;
  /* A module answering TYPE_INVALID or SENSITIVE may leave an entry
   * alone: the value's length must then read "unknown", not "empty" (its
   * pValue is NULL, so this input length is not a buffer size). */
  a[1].ulValueLen = CK_UNAVAILABLE_INFORMATION;
  rv = tok->ctx->f->C_GetAttributeValue(tok->session, h, a, 2);
  if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID && rv != CKR_ATTRIBUTE_SENSITIVE)
    return rgs_p11_fail(tok->ctx, "C_GetAttributeValue", rv);
  if (a[0].ulValueLen == sizeof(type) && type != CKC_X_509)
    return RGS_P11_OK;          /* an attribute or WTLS certificate: not ours */
  if (a[1].ulValueLen == 0) {
    *broken = 1;
    return RGS_P11_OK;
  }
  if (a[1].ulValueLen == CK_UNAVAILABLE_INFORMATION || a[1].ulValueLen > RGS_CERT_MAX_DER)
    return RGS_P11_OK;
  rc = read_value(tok, h, &der, &len);
  if (rc == RGS_P11_ERR_MODULE_BAD)
    return RGS_P11_OK;
  if (rc != RGS_P11_OK)
    return rc;
  p = der;
  x = d2i_X509(NULL, &p, (long)len);
  *broken = x == NULL || p != der + len;
  X509_free(x);
  free(der);
  return RGS_P11_OK;
}

rgs_p11_rc rgs_p11_cert_remove_partial(rgs_p11_token *tok, const rgs_p11_key *key,
                                       size_t *removed)
{
  CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
  CK_OBJECT_HANDLE h[RGS_CERT_MAX_OBJECTS];
  CK_ULONG found = 0, i;
  rgs_p11_tmpl t = { .n = 0 };
  const unsigned char *id;
  size_t id_len = 0, count = 0;
  int ours, broken;
  rgs_p11_rc rc;
  CK_RV rv;

  if (removed != NULL)
    *removed = 0;
  if (tok == NULL || key == NULL)
    return RGS_P11_ERR_ARG;
  id = rgs_p11_key_id(key, &id_len);
  if (id == NULL || id_len == 0)
    return RGS_P11_OK;          /* nothing can be paired with the key: nothing is ours */
  /* By class only: the object may have lost (or never got) its type. */
  rgs_p11_tmpl_ulong(&t, CKA_CLASS, &cls);
  rc = rgs_p11_find_objects(tok, &t, h, RGS_ARRAY_LEN(h), &found);
  for (i = 0; rc == RGS_P11_OK && i < found; i++) {
    rc = id_is_ours_or_none(tok, h[i], id, id_len, &ours);
    if (rc != RGS_P11_OK || !ours)
      continue;
    rc = value_is_broken(tok, h[i], &broken);
    if (rc != RGS_P11_OK || !broken)
      continue;
    rv = tok->ctx->f->C_DestroyObject(tok->session, h[i]);
    if (rv != CKR_OK)
      rc = rgs_p11_fail(tok->ctx, "C_DestroyObject", rv);
    else
      count++;
  }
  if (removed != NULL)
    *removed = count;
  return rc;
}

rgs_p11_rc rgs_p11_cert_destroy(rgs_p11_token *tok, CK_OBJECT_HANDLE handle)
{
  CK_RV rv;

  if (tok == NULL)
    return RGS_P11_ERR_ARG;
  rv = tok->ctx->f->C_DestroyObject(tok->session, handle);
  return rv == CKR_OK ? RGS_P11_OK : rgs_p11_fail(tok->ctx, "C_DestroyObject", rv);
}
