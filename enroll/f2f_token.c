/* SPDX-License-Identifier: BSD-3-Clause */
/* f2f_token.c - the AED's token: the certificate whose key it holds, and
 * signatures made with that key. */
#include <stdlib.h>
#include <string.h>
#include "f2f.h"
#include "steps.h"

#define MAX_CERTS 32

int rgs_f2f_token_sign(void *ud, const unsigned char *data, size_t len, unsigned char **sig,
                       size_t *siglen)
{
  rgs_f2f_token_signer *s = ud;

  s->rc = rgs_p11_sign_sha256(s->tok, s->key, data, len, sig, siglen);
  return (int)s->rc;             /* RGS_P11_OK is 0: what rgs_f2f_sign_fn wants */
}

/* One attribute, allocated (free()); the two-call dance of PKCS#11. */
static CK_RV get_attr(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                      CK_ATTRIBUTE_TYPE type, unsigned char **out, size_t *len)
{
  CK_ATTRIBUTE a = { type, NULL, 0 };
  CK_ULONG alloc;
  CK_RV rv;

  *out = NULL;
  *len = 0;
  rv = f->C_GetAttributeValue(h, o, &a, 1);
  if (rv != CKR_OK)
    return rv;
  if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > 64 * 1024)
    return CKR_ATTRIBUTE_VALUE_INVALID;
  alloc = a.ulValueLen;
  a.pValue = malloc(alloc + 1);
  if (a.pValue == NULL)
    return CKR_HOST_MEMORY;
  rv = f->C_GetAttributeValue(h, o, &a, 1);
  /* Never past what was allocated, whatever the module says now. */
  if (rv != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > alloc) {
    free(a.pValue);
    return rv != CKR_OK ? rv : CKR_ATTRIBUTE_VALUE_INVALID;
  }
  *out = a.pValue;
  *len = a.ulValueLen;
  return CKR_OK;
}

typedef struct {
  X509 *cert;
  unsigned char *id;
  size_t id_len;
} cert_obj;

static void cert_objs_free(cert_obj *c, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++) {
    X509_free(c[i].cert);
    free(c[i].id);
  }
}

/* The X.509 certificate objects of the token, read in a session of our own
 * (public objects: no login needed, none is changed). */
static CK_RV read_certs(rgs_p11_token *tok, cert_obj *out, size_t cap, size_t *n,
                        const char **where)
{
  CK_FUNCTION_LIST_PTR f = rgs_p11_functions(rgs_p11_token_ctx(tok));
  CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
  CK_CERTIFICATE_TYPE ctype = CKC_X_509;
  CK_ATTRIBUTE tmpl[] = { { CKA_CLASS, &cls, sizeof(cls) },
                          { CKA_CERTIFICATE_TYPE, &ctype, sizeof(ctype) } };
  CK_OBJECT_HANDLE objs[MAX_CERTS];
  CK_ULONG found = 0, i;
  CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
  unsigned char *value = NULL;
  size_t len = 0;
  CK_RV rv;

  *n = 0;
  *where = "C_OpenSession";
  rv = f->C_OpenSession(rgs_p11_token_info(tok)->slot_id, CKF_SERIAL_SESSION, NULL, NULL, &h);
  if (rv != CKR_OK)
    return rv;
  *where = "C_FindObjectsInit";
  rv = f->C_FindObjectsInit(h, tmpl, RGS_ARRAY_LEN(tmpl));
  if (rv != CKR_OK)
    goto cleanup;
  *where = "C_FindObjects";
  rv = f->C_FindObjects(h, objs, RGS_ARRAY_LEN(objs), &found);
  f->C_FindObjectsFinal(h);
  if (rv != CKR_OK)
    goto cleanup;
  *where = "C_GetAttributeValue";
  for (i = 0; i < found && *n < cap; i++) {
    const unsigned char *p;
    rv = get_attr(f, h, objs[i], CKA_VALUE, &value, &len);
    if (rv == CKR_HOST_MEMORY || rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT ||
        rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_DEVICE_ERROR)
      goto cleanup;
    if (rv != CKR_OK)
      continue;                  /* a certificate we cannot read is not the AED's */
    p = value;
    out[*n].cert = d2i_X509(NULL, &p, (long)len);
    free(value);
    value = NULL;
    if (out[*n].cert == NULL)
      continue;
    if (get_attr(f, h, objs[i], CKA_ID, &out[*n].id, &out[*n].id_len) != CKR_OK) {
      out[*n].id = NULL;
      out[*n].id_len = 0;
    }
    (*n)++;
  }
  rv = CKR_OK;

cleanup:
  free(value);
  f->C_CloseSession(h);
  return rv;
}

static int valid_at(X509 *cert, time_t now)
{
  return X509_cmp_time(X509_get0_notBefore(cert), &now) <= 0 &&
         X509_cmp_time(X509_get0_notAfter(cert), &now) >= 0;
}

int rgs_f2f_aed_identity(const rgs_io *io, rgs_p11_token *tok, const unsigned char *id,
                         size_t id_len, time_t now, X509 **cert, rgs_p11_key **key,
                         const char *command)
{
  cert_obj certs[MAX_CERTS];
  rgs_p11_key *keys[MAX_CERTS];
  size_t n = 0, i, n_match = 0, n_valid = 0, pick = 0;
  const char *where = "";
  char detail[256];
  rgs_p11_rc rc;
  CK_RV rv;
  int ret = RGS_EXIT_OK;

  *cert = NULL;
  *key = NULL;
  memset(certs, 0, sizeof(certs));
  memset(keys, 0, sizeof(keys));
  rv = read_certs(tok, certs, MAX_CERTS, &n, &where);
  if (rv != CKR_OK) {
    snprintf(detail, sizeof(detail), "%s: %s", where, rgs_p11_ckr_name(rv));
    ret = rgs_fail(io, command, rgs_exit_for_p11(rgs_p11_from_ckr(rv)),
                   rgs_p11_strerror(rgs_p11_from_ckr(rv)), detail);
    goto cleanup;
  }
  for (i = 0; i < n; i++) {
    if (id != NULL && (certs[i].id_len != id_len || memcmp(certs[i].id, id, id_len) != 0))
      continue;
    rc = rgs_p11_key_find_by_public(tok, X509_get0_pubkey(certs[i].cert), &keys[i]);
    if (rc == RGS_P11_ERR_KEY_NOT_FOUND)
      continue;
    if (rc != RGS_P11_OK) {
      ret = rgs_fail_p11(io, command, rc, rgs_p11_token_ctx(tok));
      goto cleanup;
    }
    n_match++;
    if (valid_at(certs[i].cert, now))
      n_valid++;
  }
  if (n_match == 0) {
    ret = rgs_fail(io, command, RGS_EXIT_TOKEN,
                   _("the AED's token holds no certificate together with its private key"),
                   id != NULL ? _("none with the id= of --aed-token") : NULL);
    goto cleanup;
  }
  /* Several: a valid one if it is the only valid one, else the AED names it. */
  for (i = 0; i < n; i++) {
    if (keys[i] == NULL || (n_match > 1 && !valid_at(certs[i].cert, now)))
      continue;
    pick = i;
    break;
  }
  if (n_match > 1 && n_valid != 1) {
    rgs_fail(io, command, RGS_EXIT_USAGE,
             _("the AED's token holds several certificates with their keys: name one with id= in --aed-token"),
             NULL);
    for (i = 0; i < n; i++) {
      char hex[129] = "";
      char *subj;
      if (keys[i] == NULL)
        continue;
      if (certs[i].id_len <= 64)
        rgsx_hex(certs[i].id, certs[i].id_len, hex);
      subj = rgs_subject_text(X509_get_subject_name(certs[i].cert));
      fprintf(stderr, "  id=%s  %s\n", hex, subj != NULL ? subj : "?");
      OPENSSL_free(subj);
    }
    ret = RGS_EXIT_USAGE;
    goto cleanup;
  }
  if (!valid_at(certs[pick].cert, now)) {
    ret = rgs_fail(io, command, RGS_EXIT_CHECK,
                   _("the AED's certificate is not valid today: it cannot sign the record"), NULL);
    goto cleanup;
  }
  *cert = certs[pick].cert;
  certs[pick].cert = NULL;
  *key = keys[pick];
  keys[pick] = NULL;

cleanup:
  for (i = 0; i < MAX_CERTS; i++)
    rgs_p11_key_free(keys[i]);
  cert_objs_free(certs, n);
  return ret;
}
