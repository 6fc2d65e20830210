/* SPDX-License-Identifier: BSD-3-Clause */
/* dossier.c - the holder's dossier that travels to the AED's laptop, and
 * the face-to-face record that travels back (see dossier.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include "dossier.h"
#include "f2f.h"
#include "orders.h"
#include "dossier_internal.h"

#define CMD_EXPORT "order export"
#define CMD_IMPORT "order import"
#define CMD_RECORD "f2f import"
/* The certificate that names the key is good for the trip, no longer. */
#define KEY_CERT_DAYS 90

void rgs_dossier_clear(rgs_dossier *d)
{
  if (d == NULL)
    return;
  free(d->content);
  rgs_cj_free(d->doc);
  X509_REQ_free(d->req);
  memset(d, 0, sizeof(*d));
}

/* ---- reading a file -------------------------------------------------------------- */

/* The whole of a regular file of at most max bytes; NULL with errno set
 * (EFBIG when larger, EISDIR-like refusals as rgsx_open_regular says). */
static unsigned char *read_small_file(const char *path, size_t max, size_t *len)
{
  rgsx_rc xrc;
  int fd = rgsx_open_regular(path, &xrc);
  unsigned char *buf = NULL;
  size_t n = 0;
  int saved;

  *len = 0;
  if (fd < 0) {
    if (xrc == RGSX_ERR_NOT_REGULAR)
      errno = EINVAL;
    return NULL;
  }
  buf = malloc(max + 1);
  if (buf == NULL)
    goto fail;
  for (;;) {
    ssize_t r = read(fd, buf + n, max + 1 - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      goto fail;
    if (r == 0)
      break;
    n += (size_t)r;
    if (n > max) {
      errno = EFBIG;
      goto fail;
    }
  }
  close(fd);
  *len = n;
  return buf;

fail:
  saved = errno;
  close(fd);
  free(buf);
  errno = saved;
  return NULL;
}

/* An order-layer failure while taking in what a signed file says: a value
 * the order layer refuses (text, e-mail, SIREN, date) is the file's fault,
 * not the command line's, so exit 1, not 2; the detail may quote the
 * file's text, so it is made printable. Returns the exit. */
static int fail_content(const rgs_io *io, const char *command, rgs_order_rc rc,
                        const rgs_order_store *st)
{
  char clean[512];
  const char *detail = rgs_order_store_last_error(st);
  int code = rgs_exit_for_order(rc);

  if (code == RGS_EXIT_USAGE)
    code = RGS_EXIT_CHECK;
  rgsx_sanitize_buf(clean, sizeof(clean), detail, detail != NULL ? strlen(detail) : 0);
  return rgs_fail(io, command, code, rgs_order_strerror(rc), clean);
}

static int fail_unreadable(const rgs_io *io, const char *command, const char *path)
{
  char detail[600];

  snprintf(detail, sizeof(detail), "%s: %s", path, strerror(errno));
  return rgs_fail(io, command, RGS_EXIT_IO, _("the file could not be read"), detail);
}

/* ---- the request and its key ------------------------------------------------------ */

X509_REQ *rgs_dossier_req_from_pem(const char *pem)
{
  BIO *b = BIO_new_mem_buf(pem, -1);
  X509_REQ *req = b != NULL ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;

  BIO_free(b);
  return req;
}

/* SHA-256 of the DER SubjectPublicKeyInfo of pub; 0 on failure. */
static int spki_sha256(EVP_PKEY *pub, unsigned char md[32])
{
  unsigned char *der = NULL;
  int n = i2d_PUBKEY(pub, &der);

  if (n <= 0)
    return 0;
  SHA256(der, (size_t)n, md);
  OPENSSL_free(der);
  return 1;
}

/* ---- the certificate that names the key -------------------------------------------- */

/* DER tag and length of a value of n bytes at p; returns the bytes written
 * (at most 5). */
static size_t der_header(unsigned char *p, unsigned char tag, size_t n)
{
  size_t k = 0;

  p[k++] = tag;
  if (n < 0x80) {
    p[k++] = (unsigned char)n;
  } else if (n < 0x100) {
    p[k++] = 0x81;
    p[k++] = (unsigned char)n;
  } else if (n < 0x10000) {
    p[k++] = 0x82;
    p[k++] = (unsigned char)(n >> 8);
    p[k++] = (unsigned char)n;
  } else {
    p[k++] = 0x83;
    p[k++] = (unsigned char)(n >> 16);
    p[k++] = (unsigned char)(n >> 8);
    p[k++] = (unsigned char)n;
  }
  return k;
}

/* Certificate ::= SEQUENCE { tbs, signatureAlgorithm, BIT STRING sig },
 * put together from its parts: OpenSSL only signs a certificate with a
 * private key in hand (X509_sign), and this one stays on the token. */
static X509 *assemble_cert(const unsigned char *tbs, size_t tbs_len, const X509_ALGOR *alg,
                           const unsigned char *sig, size_t sig_len)
{
  unsigned char *alg_der = NULL, *buf = NULL, bits_hdr[5];
  const unsigned char *p;
  int alg_len = i2d_X509_ALGOR(alg, &alg_der);
  size_t bits_hdr_len = der_header(bits_hdr, 0x03, sig_len + 1), body, off = 0;
  X509 *x = NULL;

  if (alg_len <= 0)
    goto cleanup;
  body = tbs_len + (size_t)alg_len + bits_hdr_len + 1 + sig_len;
  buf = malloc(body + 5);
  if (buf == NULL)
    goto cleanup;
  off = der_header(buf, 0x30, body);
  memcpy(buf + off, tbs, tbs_len);
  off += tbs_len;
  memcpy(buf + off, alg_der, (size_t)alg_len);
  off += (size_t)alg_len;
  memcpy(buf + off, bits_hdr, bits_hdr_len);
  off += bits_hdr_len;
  buf[off++] = 0x00;              /* no unused bits */
  memcpy(buf + off, sig, sig_len);
  off += sig_len;
  p = buf;
  x = d2i_X509(NULL, &p, (long)off);

cleanup:
  OPENSSL_free(alg_der);
  free(buf);
  return x;
}

/* A self-signed certificate for the request's key, signed by fn (on the
 * token): subject the request's, valid from now for KEY_CERT_DAYS. It is
 * checked before it is handed out. NULL on failure. */
static X509 *key_certificate(X509_REQ *req, time_t now, rgs_f2f_sign_fn fn, void *ud)
{
  EVP_PKEY *pub = X509_REQ_get0_pubkey(req);
  int rsa = pub != NULL && EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA;
  X509 *x = X509_new(), *out = NULL;
  X509_ALGOR *alg = X509_ALGOR_new();
  ASN1_INTEGER *serial = NULL;
  BIGNUM *bn = NULL;
  unsigned char rnd[16], *tbs = NULL, *sig = NULL;
  size_t sig_len = 0;
  int tbs_len;

  if (x == NULL || alg == NULL || pub == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1)
    goto cleanup;
  rnd[0] &= 0x7F;                 /* a positive serial */
  bn = BN_bin2bn(rnd, sizeof(rnd), NULL);
  serial = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
  if (serial == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
      X509_set_serialNumber(x, serial) != 1 ||
      X509_set_subject_name(x, X509_REQ_get_subject_name(req)) != 1 ||
      X509_set_issuer_name(x, X509_REQ_get_subject_name(req)) != 1 ||
      X509_set_pubkey(x, pub) != 1 ||
      X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &now) == NULL ||
      X509_time_adj_ex(X509_getm_notAfter(x), KEY_CERT_DAYS, 0, &now) == NULL)
    goto cleanup;
  if (X509_ALGOR_set0(alg, OBJ_nid2obj(rsa ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256),
                      rsa ? V_ASN1_NULL : V_ASN1_UNDEF, NULL) != 1)
    goto cleanup;
  /* The algorithm inside the signed part: OpenSSL's only setter is
   * X509_sign(), hence the cast. */
  if (X509_ALGOR_copy((X509_ALGOR *)X509_get0_tbs_sigalg(x), alg) != 1)
    goto cleanup;
  tbs_len = i2d_re_X509_tbs(x, &tbs);
  if (tbs_len <= 0 || fn(ud, tbs, (size_t)tbs_len, &sig, &sig_len) != 0 || sig == NULL)
    goto cleanup;
  out = assemble_cert(tbs, (size_t)tbs_len, alg, sig, sig_len);
  if (out != NULL && X509_verify(out, pub) != 1) {
    X509_free(out);
    out = NULL;
  }

cleanup:
  OPENSSL_free(tbs);
  free(sig);
  BN_free(bn);
  ASN1_INTEGER_free(serial);
  X509_ALGOR_free(alg);
  X509_free(x);
  return out;
}

/* ---- the dossier's content --------------------------------------------------------- */

static void set_opt(rgs_cj *o, const char *key, const char *v, rgs_cj_rc *rc)
{
  rgs_cj_rc r = rgs_cj_set_str(o, key, v != NULL && v[0] != '\0' ? v : NULL);

  if (*rc == RGS_CJ_OK)
    *rc = r;
}

static void set_int(rgs_cj *o, const char *key, long long v, rgs_cj_rc *rc)
{
  rgs_cj_rc r = rgs_cj_set_int(o, key, v);

  if (*rc == RGS_CJ_OK)
    *rc = r;
}

static rgs_cj *sub(rgs_cj *parent, const char *key, rgs_cj_rc *rc)
{
  rgs_cj *o = rgs_cj_set_object(parent, key);

  if (o == NULL && *rc == RGS_CJ_OK)
    *rc = RGS_CJ_ERR_NOMEM;
  return o;
}

static void add_appointment(rgs_cj *d, const rgs_dossier_view *v, rgs_cj_rc *rc)
{
  rgs_cj *a, *aed;

  if (!v->have_appt) {
    if (*rc == RGS_CJ_OK)
      *rc = rgs_cj_set_null(d, "appointment");
    return;
  }
  a = sub(d, "appointment", rc);
  if (a == NULL)
    return;
  set_opt(a, "at", v->a.at, rc);
  set_opt(a, "mode", v->a.mode_set ? rgs_order_mode_name(v->a.mode) : NULL, rc);
  set_int(a, "distance_km", v->a.distance_km, rc);
  aed = sub(a, "aed", rc);
  if (aed == NULL)
    return;
  set_opt(aed, "id", v->a.aed.id, rc);
  set_opt(aed, "name", v->a.aed.name, rc);
  set_opt(aed, "address", v->a.aed.address, rc);
  set_opt(aed, "postal_code", v->a.aed.postal_code, rc);
  set_opt(aed, "city", v->a.aed.city, rc);
  set_opt(aed, "dept", v->a.aed.dept, rc);
  set_opt(aed, "phone", v->a.aed.phone, rc);
  set_opt(aed, "email", v->a.aed.email, rc);
}

/* The canonical JSON of the dossier; NULL on failure. */
static rgs_cj *dossier_content(const rgs_dossier_view *v, time_t now)
{
  rgs_cj *d = rgs_cj_new_object(), *o;
  rgs_cj_rc rc = d != NULL ? RGS_CJ_OK : RGS_CJ_ERR_NOMEM;
  char stamp[32];

  if (d == NULL)
    return NULL;
  rgs_f2f_stamp(now, stamp, sizeof(stamp));
  set_opt(d, "format", RGS_DOSSIER_FORMAT, &rc);
  set_opt(d, "tool", "rgs-enroll " RGS_VERSION, &rc);
  set_opt(d, "exported_at", stamp, &rc);
  o = sub(d, "order", &rc);
  if (o != NULL) {
    set_opt(o, "ca_ref", v->o.ca_ref, &rc);
    set_int(o, "local_id", v->o.id, &rc);
    set_opt(o, "partner", v->o.partner, &rc);
    set_opt(o, "product", v->o.product, &rc);
    set_int(o, "validity_years", v->o.validity_years, &rc);
    set_opt(o, "os", rgs_order_os_name(v->o.os), &rc);
    set_opt(o, "payment",
            v->o.payment != RGS_PAY_NONE ? rgs_order_payment_name(v->o.payment) : NULL, &rc);
    set_opt(o, "cgu_accepted_at", v->o.cgu_accepted_at, &rc);
    set_opt(o, "dept", v->o.dept, &rc);
    set_opt(o, "status", rgs_order_status_name(v->o.status), &rc);
  }
  o = sub(d, "holder", &rc);
  if (o != NULL) {
    set_opt(o, "first_name", v->o.first_name, &rc);
    set_opt(o, "last_name", v->o.last_name, &rc);
    set_opt(o, "email", v->o.email, &rc);
    set_opt(o, "phone", v->o.phone, &rc);
  }
  o = sub(d, "company", &rc);
  if (o != NULL) {
    set_opt(o, "name", v->o.company, &rc);
    set_opt(o, "company_id", v->o.company_id, &rc);
    set_opt(o, "siren", v->o.siren, &rc);
  }
  o = sub(d, "request", &rc);
  if (o != NULL) {
    set_opt(o, "csr_pem", v->b.csr_pem, &rc);
    set_opt(o, "spki_sha256", v->b.spki_sha256, &rc);
    set_opt(o, "subject", v->b.subject, &rc);
  }
  o = sub(d, "token", &rc);
  if (o != NULL) {
    set_opt(o, "serial", v->b.token_serial, &rc);
    set_opt(o, "model", v->b.token_model, &rc);
  }
  add_appointment(d, v, &rc);
  if (rc != RGS_CJ_OK) {
    rgs_cj_free(d);
    return NULL;
  }
  return d;
}

/* ---- order export -------------------------------------------------------------------- */

void rgs_dossier_view_clear(rgs_dossier_view *v)
{
  rgs_order_binding_clear(&v->b);
}

/* The order, its binding (required, with a CA reference) and its
 * appointment. Failures reported; returns the exit. */
int rgs_dossier_load_view(const rgs_io *io, const char *cmd, long long id, rgs_dossier_view *v)
{
  rgs_order_store *st = NULL;
  rgs_order_rc rc;
  int ret;

  memset(v, 0, sizeof(*v));
  ret = rgs_store_open_read_for(io, cmd, id, &st);
  if (ret != RGS_EXIT_OK)
    return ret;
  rc = rgs_order_get(st, id, &v->o);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_binding_get(st, id, &v->b, &v->bound);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_appointment_get(st, id, &v->a, &v->have_appt);
  if (rc != RGS_ORDER_OK)
    ret = rgs_fail_store(io, cmd, rc, st);
  rgs_order_store_close(st);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (!v->bound) {
    char detail[160];
    snprintf(detail, sizeof(detail), _("make it first: rgs-enroll start --order %lld"), id);
    return rgs_fail(io, cmd, RGS_EXIT_CHECK,
                    _("the order has no key and request yet: there is nothing for the AED to check"),
                    detail);
  }
  if (v->o.ca_ref[0] == '\0') {
    char detail[160];
    snprintf(detail, sizeof(detail), _("record it first: rgs-enroll order set %lld --ca-ref REF"), id);
    return rgs_fail(io, cmd, RGS_EXIT_CHECK,
                    _("the order has no CA reference: the AED could not tell it from another"),
                    detail);
  }
  return RGS_EXIT_OK;
}

/* The token that holds the order's key: the key's URI as recorded, else
 * --token or the one token present. */
static int open_holder_token(rgs_session *s, const rgs_io *io, const rgs_dossier_view *v)
{
  rgs_p11_uri *u = NULL;
  char err[256];
  int ret;

  if (io->token == NULL && v->b.key_uri[0] != '\0' &&
      rgs_p11_uri_parse(v->b.key_uri, &u, err, sizeof(err)) == RGS_P11_OK) {
    ret = rgs_session_open_for_key(s, io, CMD_EXPORT, u);
    rgs_p11_uri_free(u);
    return ret;
  }
  return rgs_session_open(s, io, CMD_EXPORT);
}

/* Sign content on the token with the request's key: the certificate that
 * names the key, then the SignedData. Returns the exit. */
static int sign_dossier(const rgs_io *io, X509_REQ *req, const char *content, size_t len,
                        time_t now, const rgs_dossier_view *v, unsigned char **der, size_t *der_len)
{
  rgs_session s;
  rgs_p11_key *key = NULL;
  rgs_f2f_token_signer signer;
  X509 *cert = NULL;
  char err[512];
  rgs_p11_rc prc;
  rgs_f2f_rc frc;
  int ret;

  memset(&s, 0, sizeof(s));
  ret = open_holder_token(&s, io, v);
  if (ret != RGS_EXIT_OK)
    return ret;
  ret = rgs_session_login(&s, CMD_EXPORT);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  prc = rgs_p11_key_find_by_public(s.tok, X509_REQ_get0_pubkey(req), &key);
  if (prc != RGS_P11_OK) {
    ret = rgs_fail(io, CMD_EXPORT, rgs_exit_for_p11(prc),
                   _("this token does not hold the key of the order's request: plug in the token the request was made on"),
                   rgs_p11_last_error(s.ctx));
    goto cleanup;
  }
  signer.tok = s.tok;
  signer.key = key;
  signer.rc = RGS_P11_OK;
  cert = key_certificate(req, now, rgs_f2f_token_sign, &signer);
  if (cert == NULL) {
    ret = signer.rc != RGS_P11_OK ? rgs_fail_p11(io, CMD_EXPORT, signer.rc, s.ctx)
                                  : rgs_fail(io, CMD_EXPORT, RGS_EXIT_INTERNAL,
                                             _("the dossier could not be signed"), NULL);
    goto cleanup;
  }
  frc = rgs_f2f_cms_sign((const unsigned char *)content, len, cert, NULL, now, rgs_f2f_token_sign,
                         &signer, der, der_len, err, sizeof(err));
  if (frc != RGS_F2F_OK)
    ret = signer.rc != RGS_P11_OK ? rgs_fail_p11(io, CMD_EXPORT, signer.rc, s.ctx)
                                  : rgs_fail(io, CMD_EXPORT, RGS_EXIT_INTERNAL,
                                             rgs_f2f_strerror(frc), err);

cleanup:
  X509_free(cert);
  rgs_p11_key_free(key);
  rgs_session_close(&s);
  return ret;
}

static void print_exported(const rgs_io *io, const rgs_dossier_view *v, const char *out,
                           const unsigned char *der, size_t der_len)
{
  rgs_json j;
  unsigned char md[32];
  char hex[65];

  SHA256(der, der_len, md);
  rgsx_hex(md, sizeof(md), hex);
  if (!io->json) {
    printf(_("Dossier of order %lld (CA reference %s) written: %s\n"
             "  key          : SPKI SHA-256 %s\n"
             "  signed       : on the token, with the key of the request\n"
             "Hand this file to the AED; on the AED's laptop: rgs-enroll order import FILE\n"),
           v->o.id, v->o.ca_ref, out, v->b.spki_sha256);
    return;
  }
  rgs_json_start(&j, stdout);
  rgs_json_object(&j, NULL);
  rgs_json_str(&j, "command", CMD_EXPORT);
  rgs_json_bool(&j, "ok", 1);
  rgs_json_int(&j, "order", v->o.id);
  rgs_json_int(&j, "order_id", v->o.id);
  rgs_json_str(&j, "ca_ref", v->o.ca_ref);
  rgs_json_str(&j, "file", out);
  rgs_json_str(&j, "format", RGS_DOSSIER_FORMAT);
  rgs_json_str(&j, "spki_sha256", v->b.spki_sha256);
  rgs_json_str(&j, "sha256", hex);
  rgs_json_end(&j);
  rgs_json_finish(&j);
}

int rgs_dossier_export(rgs_io *io, long long id, const char *out, int force)
{
  rgs_dossier_view v;
  X509_REQ *req = NULL;
  rgs_cj *doc = NULL;
  char *content = NULL;
  size_t len = 0, der_len = 0;
  unsigned char *der = NULL, md[32];
  char hex[65];
  time_t now = rgs_now();
  int ret;

  ret = rgs_dossier_load_view(io, CMD_EXPORT, id, &v);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  req = rgs_dossier_req_from_pem(v.b.csr_pem);
  if (req == NULL || !spki_sha256(X509_REQ_get0_pubkey(req), md) ||
      strcmp(rgsx_hex(md, sizeof(md), hex), v.b.spki_sha256) != 0) {
    ret = rgs_fail(io, CMD_EXPORT, RGS_EXIT_STORE,
                   _("the request recorded with the order cannot be read back"), NULL);
    goto cleanup;
  }
  if (!force && access(out, F_OK) == 0) {
    ret = rgs_fail(io, CMD_EXPORT, RGS_EXIT_IO, _("the file exists already: give --force to replace it"),
                   out);
    goto cleanup;
  }
  doc = dossier_content(&v, now);
  if (doc == NULL || rgs_cj_serialize(doc, &content, &len) != RGS_CJ_OK) {
    ret = rgs_fail(io, CMD_EXPORT, RGS_EXIT_INTERNAL, rgs_cj_strerror(RGS_CJ_ERR_NOMEM), NULL);
    goto cleanup;
  }
  ret = sign_dossier(io, req, content, len, now, &v, &der, &der_len);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  if (rgs_f2f_write_file(out, der, der_len, force) != RGS_F2F_OK) {
    char detail[600];
    snprintf(detail, sizeof(detail), "%s: %s", out, strerror(errno));
    ret = rgs_fail(io, CMD_EXPORT, RGS_EXIT_IO, _("the dossier could not be written"), detail);
    goto cleanup;
  }
  print_exported(io, &v, out, der, der_len);

cleanup:
  free(der);
  free(content);
  rgs_cj_free(doc);
  X509_REQ_free(req);
  rgs_dossier_view_clear(&v);
  return ret;
}

/* ---- opening a dossier ---------------------------------------------------------- */

static const char *ssl_reason(void)
{
  static char buf[256];
  unsigned long e = ERR_peek_last_error();

  if (e == 0)
    return "";
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

/* The CMS structure: one signer, its certificate, id-data content. */
static rgs_f2f_rc open_cms(const unsigned char *der, size_t len, CMS_ContentInfo **out,
                           X509 **signer, char *err, size_t errlen)
{
  const unsigned char *p = der;
  CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
  STACK_OF(X509) *certs = NULL;

  *out = NULL;
  *signer = NULL;
  if (cms == NULL || p != der + len || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed ||
      OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data ||
      sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) != 1) {
    rgsx_errf(err, errlen, "%s", _("not a signed dossier of rgs-enroll (the file is truncated, damaged or of another kind)"));
    CMS_ContentInfo_free(cms);
    ERR_clear_error();
    return RGS_F2F_ERR_FORMAT;
  }
  certs = CMS_get1_certs(cms);
  if (certs == NULL || sk_X509_num(certs) != 1) {
    rgsx_errf(err, errlen, "%s", _("the dossier does not carry the certificate of its key"));
    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);
    return RGS_F2F_ERR_FORMAT;
  }
  *signer = sk_X509_shift(certs);
  sk_X509_pop_free(certs, X509_free);
  *out = cms;
  return RGS_F2F_OK;
}

/* Signature and digest; the content into d. */
static rgs_f2f_rc signed_content(CMS_ContentInfo *cms, rgs_dossier *d, char *err, size_t errlen)
{
  BIO *mem = BIO_new(BIO_s_mem());
  char *p = NULL;
  long n;
  rgs_f2f_rc rc = RGS_F2F_ERR_NOMEM;

  if (mem == NULL)
    return RGS_F2F_ERR_NOMEM;
  if (CMS_verify(cms, NULL, NULL, NULL, mem, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
    rgsx_errf(err, errlen, _("the signature does not verify: the dossier was altered after it was signed (%s)"),
              ssl_reason());
    rc = RGS_F2F_ERR_SIGNATURE;
    goto cleanup;
  }
  n = BIO_get_mem_data(mem, &p);
  if (n <= 0 || (size_t)n > RGS_CJ_MAX_TEXT) {
    rgsx_errf(err, errlen, "%s", _("the dossier is empty or too large"));
    rc = RGS_F2F_ERR_FORMAT;
    goto cleanup;
  }
  d->content = malloc((size_t)n + 1);
  if (d->content == NULL)
    goto cleanup;
  memcpy(d->content, p, (size_t)n);
  d->content[n] = '\0';
  d->content_len = (size_t)n;
  rc = RGS_F2F_OK;

cleanup:
  BIO_free(mem);
  return rc;
}

/* One line of a string: plain UTF-8 without controls (rgsx_text_check)
 * nor bidirectional overrides (rgsx_is_clean). */
static int line_clean(const char *p, size_t n)
{
  return rgsx_text_check(p, n, 0) == RGSX_TEXT_OK && rgsx_is_clean(p, n);
}

/* A string of the document: its lines clean (newlines only between lines:
 * the request's PEM has them). */
static int string_clean(const char *s)
{
  const char *nl;

  while ((nl = strchr(s, '\n')) != NULL) {
    if (!line_clean(s, (size_t)(nl - s)))
      return 0;
    s = nl + 1;
  }
  return line_clean(s, strlen(s));
}

/* Every string of the document (keys are printable ASCII by the parser)
 * is plain text. A signature proves who signed, not that the text is
 * harmless: an ESC in a name would reach the AED's terminal. 0 with the
 * key of the first offender in err. */
static int strings_clean(const rgs_cj *v, const char *key, int depth, char *err, size_t errlen)
{
  size_t i, n;

  switch (rgs_cj_type_of(v)) {
  case RGS_CJ_STR:
    if (string_clean(rgs_cj_str(v)))
      return 1;
    rgsx_errf(err, errlen, _("the value of \"%s\" holds control characters (such as a terminal escape): a dossier made by rgs-enroll never does"),
              key != NULL ? key : "-");
    return 0;
  case RGS_CJ_ARRAY:
  case RGS_CJ_OBJECT:
    if (depth > RGS_CJ_MAX_DEPTH)
      return 0;
    n = rgs_cj_count(v);
    for (i = 0; i < n; i++) {
      const char *k = rgs_cj_key_at(v, i);
      if (!strings_clean(rgs_cj_at(v, i), k != NULL ? k : key, depth + 1, err, errlen))
        return 0;
    }
    return 1;
  case RGS_CJ_NULL:
  case RGS_CJ_BOOL:
  case RGS_CJ_INT:
    return 1;
  }
  return 1;
}

static rgs_f2f_rc inconsistent(char *err, size_t errlen, const char *why)
{
  rgsx_errf(err, errlen, "%s", why);
  return RGS_F2F_ERR_INCONSISTENT;
}

/* The request: its own signature, its key the signer's, its SPKI SHA-256
 * the one written in the dossier. */
static rgs_f2f_rc check_request(rgs_dossier *d, X509 *signer, char *err, size_t errlen)
{
  const char *pem = rgs_cj_path_str(d->doc, "request.csr_pem");
  const char *written = rgs_cj_path_str(d->doc, "request.spki_sha256");
  EVP_PKEY *pub;

  if (pem == NULL || written == NULL)
    return inconsistent(err, errlen, _("the dossier holds no certificate request"));
  d->req = rgs_dossier_req_from_pem(pem);
  pub = d->req != NULL ? X509_REQ_get0_pubkey(d->req) : NULL;
  if (pub == NULL) {
    ERR_clear_error();
    return inconsistent(err, errlen, _("the certificate request in the dossier cannot be read"));
  }
  if (X509_REQ_verify(d->req, pub) != 1) {
    ERR_clear_error();
    return inconsistent(err, errlen, _("the certificate request in the dossier does not carry a valid signature of its own key: it was altered"));
  }
  if (EVP_PKEY_eq(X509_get0_pubkey(signer), pub) != 1) {
    ERR_clear_error();
    return inconsistent(err, errlen, _("the dossier was signed by another key than the key of its certificate request: it does not come from the holder's token, or its request was swapped"));
  }
  if (!spki_sha256(pub, d->spki_sha256))
    return RGS_F2F_ERR_CRYPTO;
  rgsx_hex(d->spki_sha256, sizeof(d->spki_sha256), d->spki_hex);
  if (strcmp(written, d->spki_hex) != 0)
    return inconsistent(err, errlen, _("the key fingerprint written in the dossier is not the one of its certificate request"));
  return RGS_F2F_OK;
}

/* The signingTime of the one signer into d; not in the future beyond
 * RGS_F2F_CLOCK_SKEW (as for a face-to-face record): a dossier "signed"
 * later than now was made on a machine with a wrong clock, or forged. */
static rgs_f2f_rc check_signing_time(CMS_ContentInfo *cms, rgs_dossier *d, time_t now, char *err,
                                     size_t errlen)
{
  CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
  char when[32], clock[32];

  if (!rgs_f2f_signing_time(si, &d->signing_time)) {
    ERR_clear_error();
    rgsx_errf(err, errlen, "%s", _("the dossier's signature has no signing time"));
    return RGS_F2F_ERR_FORMAT;
  }
  if (d->signing_time > now + RGS_F2F_CLOCK_SKEW) {
    rgs_f2f_stamp(d->signing_time, when, sizeof(when));
    rgs_f2f_stamp(now, clock, sizeof(clock));
    rgsx_errf(err, errlen,
              _("the dossier says it was signed at %s, later than now (%s): the clock of the machine that signed it is wrong, or the dossier is forged"),
              when, clock);
    return RGS_F2F_ERR_UNTRUSTED;
  }
  return RGS_F2F_OK;
}

rgs_f2f_rc rgs_dossier_open(const unsigned char *der, size_t len, rgs_dossier *d, char *err,
                            size_t errlen)
{
  CMS_ContentInfo *cms = NULL;
  X509 *signer = NULL;
  char perr[256];
  const char *format;
  rgs_f2f_rc rc;

  if (der == NULL || d == NULL)
    return RGS_F2F_ERR_FORMAT;
  memset(d, 0, sizeof(*d));
  rc = open_cms(der, len, &cms, &signer, err, errlen);
  if (rc == RGS_F2F_OK)
    rc = check_signing_time(cms, d, rgs_now(), err, errlen);
  if (rc == RGS_F2F_OK)
    rc = signed_content(cms, d, err, errlen);
  if (rc != RGS_F2F_OK)
    goto cleanup;
  if (rgs_cj_parse(d->content, d->content_len, &d->doc, perr, sizeof(perr)) != RGS_CJ_OK) {
    rgsx_errf(err, errlen, _("the signed content is not canonical JSON (%s)"), perr);
    rc = RGS_F2F_ERR_FORMAT;
    goto cleanup;
  }
  format = rgs_cj_path_str(d->doc, "format");
  if (format == NULL || strcmp(format, RGS_DOSSIER_FORMAT) != 0) {
    rgsx_errf(err, errlen, _("not a dossier of this version of rgs-enroll (expected the format %s)"),
              RGS_DOSSIER_FORMAT);
    rc = RGS_F2F_ERR_FORMAT;
    goto cleanup;
  }
  if (!strings_clean(d->doc, NULL, 0, err, errlen)) {
    rc = RGS_F2F_ERR_FORMAT;
    goto cleanup;
  }
  rc = check_request(d, signer, err, errlen);

cleanup:
  X509_free(signer);
  CMS_ContentInfo_free(cms);
  return rc;
}

/* ---- order import -------------------------------------------------------------------- */

static const char *dstr(const rgs_dossier *d, const char *path)
{
  return rgs_cj_path_str(d->doc, path);
}

/* The order input of the dossier; values are checked again by the order
 * layer, as if typed. */
static int dossier_input(const rgs_dossier *d, rgs_order_input *in)
{
  const char *os = dstr(d, "order.os"), *pay = dstr(d, "order.payment");
  char err[256];

  memset(in, 0, sizeof(*in));
  in->partner = dstr(d, "order.partner");
  in->product = dstr(d, "order.product");
  in->validity_years = (int)rgs_cj_path_int(d->doc, "order.validity_years", 0);
  in->first_name = dstr(d, "holder.first_name");
  in->last_name = dstr(d, "holder.last_name");
  in->email = dstr(d, "holder.email");
  in->phone = dstr(d, "holder.phone");
  in->company = dstr(d, "company.name");
  in->company_id = dstr(d, "company.company_id");
  in->ca_ref = dstr(d, "order.ca_ref");
  in->dept = dstr(d, "order.dept");
  in->accept_cgu = 1;
  if (os != NULL && rgs_order_os_parse(os, &in->os, err, sizeof(err)) != RGS_ORDER_OK)
    return 0;
  if (pay == NULL || rgs_order_payment_parse(pay, &in->payment, err, sizeof(err)) != RGS_ORDER_OK)
    return 0;
  return in->ca_ref != NULL && in->partner != NULL;
}

/* The appointment of the dossier, when it names an office. */
static int dossier_appointment(const rgs_dossier *d, rgs_order_aed *aed, const char **at,
                               rgs_order_f2f_mode *mode, int *distance)
{
  static const struct {
    const char *path;
    size_t off, len;
  } fields[] = {
    { "appointment.aed.id", offsetof(rgs_order_aed, id), sizeof(((rgs_order_aed *)0)->id) },
    { "appointment.aed.name", offsetof(rgs_order_aed, name), sizeof(((rgs_order_aed *)0)->name) },
    { "appointment.aed.address", offsetof(rgs_order_aed, address), sizeof(((rgs_order_aed *)0)->address) },
    { "appointment.aed.postal_code", offsetof(rgs_order_aed, postal_code), sizeof(((rgs_order_aed *)0)->postal_code) },
    { "appointment.aed.city", offsetof(rgs_order_aed, city), sizeof(((rgs_order_aed *)0)->city) },
    { "appointment.aed.dept", offsetof(rgs_order_aed, dept), sizeof(((rgs_order_aed *)0)->dept) },
    { "appointment.aed.phone", offsetof(rgs_order_aed, phone), sizeof(((rgs_order_aed *)0)->phone) },
    { "appointment.aed.email", offsetof(rgs_order_aed, email), sizeof(((rgs_order_aed *)0)->email) },
  };
  const char *m = dstr(d, "appointment.mode");
  char err[128];
  size_t i;

  memset(aed, 0, sizeof(*aed));
  if (dstr(d, "appointment.aed.id") == NULL)
    return 0;
  for (i = 0; i < RGS_ARRAY_LEN(fields); i++) {
    const char *v = dstr(d, fields[i].path);
    if (v != NULL)
      snprintf((char *)aed + fields[i].off, fields[i].len, "%s", v);
  }
  snprintf(aed->source, sizeof(aed->source), "%s", _("the holder's dossier"));
  *at = dstr(d, "appointment.at");
  *distance = (int)rgs_cj_path_int(d->doc, "appointment.distance_km", -1);
  *mode = RGS_F2F_HOLDER_TRAVELS;
  if (m != NULL && rgs_order_mode_parse(m, mode, err, sizeof(err)) != RGS_ORDER_OK)
    *mode = RGS_F2F_HOLDER_TRAVELS;
  return 1;
}

/* Already here? 1 with *id when the same CA reference is bound to the same
 * key; a refusal (exit 1) when the reference or the key is here with
 * something else. */
static int already_here(const rgs_io *io, rgs_order_store *st, const rgs_dossier *d,
                        long long *id, int *ret)
{
  const char *ref = dstr(d, "order.ca_ref");
  long long by_ref = 0, by_key = 0;
  rgs_order_binding b;
  int found = 0;
  rgs_order_rc rc;
  char detail[512];

  *ret = RGS_EXIT_OK;
  *id = 0;
  memset(&b, 0, sizeof(b));
  rc = rgs_order_find_by_ca_ref(st, ref != NULL ? ref : "", &by_ref);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_find_by_spki(st, d->spki_sha256, &by_key);
  if (rc == RGS_ORDER_OK && by_ref != 0)
    rc = rgs_order_binding_get(st, by_ref, &b, &found);
  if (rc != RGS_ORDER_OK) {
    *ret = rgs_fail_store(io, CMD_IMPORT, rc, st);
    goto cleanup;
  }
  if (by_ref != 0 && found && strcmp(b.spki_sha256, d->spki_hex) == 0) {
    *id = by_ref;
    goto cleanup;
  }
  if (by_ref != 0) {
    if (found)
      snprintf(detail, sizeof(detail),
               _("order %lld of this store has the CA reference %s with another key"), by_ref, ref);
    else
      snprintf(detail, sizeof(detail),
               _("order %lld of this store has the CA reference %s and no key yet"), by_ref, ref);
    *ret = rgs_fail(io, CMD_IMPORT, RGS_EXIT_CHECK,
                    _("this store already holds this order with another key: the dossier is refused"),
                    detail);
  } else if (by_key != 0) {
    snprintf(detail, sizeof(detail), _("the key %s is bound to order %lld of this store"),
             d->spki_hex, by_key);
    *ret = rgs_fail(io, CMD_IMPORT, RGS_EXIT_CHECK,
                    _("this key already belongs to another order: the dossier is refused"), detail);
  }

cleanup:
  rgs_order_binding_clear(&b);
  return *id != 0;
}

/* The AED's copy, in one transaction: the order, its request bound with
 * the token's serial and model, submitted (the CA has the order), the
 * appointment, role aed. Returns the exit. */
static int create_copy(const rgs_io *io, rgs_order_store *st, const rgs_dossier *d,
                       long long *id)
{
  rgs_order_input in;
  rgs_order_aed aed;
  rgs_order_f2f_mode mode;
  const char *at = NULL;
  int distance = -1, ret = RGS_EXIT_OK;
  rgs_order_rc rc;
  char note[256];

  if (!dossier_input(d, &in))
    return rgs_fail(io, CMD_IMPORT, RGS_EXIT_CHECK,
                    _("the dossier lacks what the order needs (CA reference, partner, payment)"), NULL);
  rc = rgs_order_store_begin(st);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_create(st, &in, id);
  if (rc != RGS_ORDER_OK) {
    ret = fail_content(io, CMD_IMPORT, rc, st);
    goto cleanup;
  }
  ret = rgs_store_link(io, st, *id, d->req, dstr(d, "token.serial"), dstr(d, "token.model"),
                       NULL, CMD_IMPORT);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  snprintf(note, sizeof(note), _("imported from the holder's dossier (holder's order %lld, signed %s)"),
           (long long)rgs_cj_path_int(d->doc, "order.local_id", 0),
           dstr(d, "exported_at") != NULL ? dstr(d, "exported_at") : "?");
  rc = rgs_order_set_status(st, *id, RGS_STATUS_SUBMITTED, note);
  if (rc == RGS_ORDER_OK && dossier_appointment(d, &aed, &at, &mode, &distance)) {
    rc = rgs_order_choose_aed(st, *id, &aed);
    if (rc == RGS_ORDER_OK && at != NULL &&
        rgs_order_book(st, *id, NULL, at, mode, distance) != RGS_ORDER_OK) {
      const char *why = rgs_order_store_last_error(st);
      char at_clean[64], why_clean[512];
      rgsx_sanitize_buf(at_clean, sizeof(at_clean), at, strlen(at));
      rgsx_sanitize_buf(why_clean, sizeof(why_clean), why, why != NULL ? strlen(why) : 0);
      rgs_warn(io, _("the appointment of %s could not be recorded: %s"), at_clean, why_clean);
    }
  }
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_role_set(st, *id, RGS_ORDER_ROLE_AED);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_store_commit(st);
  if (rc != RGS_ORDER_OK) {
    ret = fail_content(io, CMD_IMPORT, rc, st);
    goto cleanup;
  }
  return RGS_EXIT_OK;

cleanup:
  rgs_order_store_rollback(st);
  return ret;
}

static void print_imported(const rgs_io *io, const rgs_dossier *d, long long id, int again,
                           rgs_order_role role)
{
  rgs_json j;

  if (!io->json) {
    if (again)
      printf(_("This dossier was already imported: order %lld (CA reference %s). Nothing changed.\n"),
             id, dstr(d, "order.ca_ref"));
    else
      printf(_("Dossier verified and imported as order %lld (CA reference %s)\n"
               "  holder       : %s %s, %s\n"
               "  key          : SPKI SHA-256 %s (the request's own, signed on the holder's token)\n"
               "Face-to-face: rgs-enroll f2f run %lld, with both tokens plugged in.\n"),
             id, dstr(d, "order.ca_ref"), dstr(d, "holder.first_name"),
             dstr(d, "holder.last_name"), dstr(d, "company.name"), d->spki_hex, id);
    return;
  }
  rgs_json_start(&j, stdout);
  rgs_json_object(&j, NULL);
  rgs_json_str(&j, "command", CMD_IMPORT);
  rgs_json_bool(&j, "ok", 1);
  rgs_json_int(&j, "order", id);
  rgs_json_int(&j, "order_id", id);
  rgs_json_bool(&j, "already_imported", again);
  rgs_json_str(&j, "ca_ref", dstr(d, "order.ca_ref"));
  rgs_json_str(&j, "role", rgs_order_role_name(role));
  rgs_json_str(&j, "spki_sha256", d->spki_hex);
  rgs_json_end(&j);
  rgs_json_finish(&j);
}

int rgs_dossier_import(rgs_io *io, const char *path)
{
  rgs_dossier d;
  rgs_order_store *st = NULL;
  unsigned char *der = NULL;
  size_t len = 0;
  long long id = 0;
  char err[512];
  rgs_f2f_rc frc;
  rgs_order_role role = RGS_ORDER_ROLE_HOLDER;
  rgs_order_rc rc;
  int ret, again;

  memset(&d, 0, sizeof(d));
  der = read_small_file(path, RGS_DOSSIER_MAX_BYTES, &len);
  if (der == NULL)
    return fail_unreadable(io, CMD_IMPORT, path);
  frc = rgs_dossier_open(der, len, &d, err, sizeof(err));
  if (frc != RGS_F2F_OK) {
    ret = rgs_fail(io, CMD_IMPORT,
                   frc == RGS_F2F_ERR_NOMEM || frc == RGS_F2F_ERR_CRYPTO ? RGS_EXIT_INTERNAL
                                                                         : RGS_EXIT_CHECK,
                   _("the dossier is refused"), err);
    goto cleanup;
  }
  ret = rgs_store_open(io, CMD_IMPORT, 1, &st);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  again = already_here(io, st, &d, &id, &ret);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  if (!again)
    ret = create_copy(io, st, &d, &id);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  rc = rgs_order_role_get(st, id, &role);
  if (rc != RGS_ORDER_OK)
    ret = rgs_fail_store(io, CMD_IMPORT, rc, st);
  else
    print_imported(io, &d, id, again, role);

cleanup:
  rgs_order_store_close(st);
  free(der);
  rgs_dossier_clear(&d);
  return ret;
}

/* ---- f2f import: the record coming back ------------------------------------------------ */

/* The order of this store the record is for: by --order, else by its CA
 * reference; then its key must be the record's. Refusals say which of the
 * two differs. Returns the exit. */
static int record_order(const rgs_io *io, rgs_order_store *st, const rgs_cj *rec, long long want,
                        long long *id)
{
  const char *ref = rgs_cj_path_str(rec, "order.ca_ref");
  const char *spki = rgs_cj_path_str(rec, "key.spki_sha256");
  char ref_clean[128], spki_clean[128];
  rgs_order o;
  rgs_order_binding b;
  int found = 0, ret = RGS_EXIT_OK;
  rgs_order_rc rc = RGS_ORDER_OK;
  char detail[512];

  memset(&b, 0, sizeof(b));
  /* Only for messages: the record is signed, not necessarily sensible. */
  rgsx_sanitize_buf(ref_clean, sizeof(ref_clean), ref != NULL ? ref : "-", ref != NULL ? strlen(ref) : 1);
  rgsx_sanitize_buf(spki_clean, sizeof(spki_clean), spki != NULL ? spki : "-",
                    spki != NULL ? strlen(spki) : 1);
  *id = want;
  if (*id == 0 && ref != NULL)
    rc = rgs_order_find_by_ca_ref(st, ref, id);
  if (rc != RGS_ORDER_OK)
    return rgs_fail_store(io, CMD_RECORD, rc, st);
  if (*id == 0) {
    snprintf(detail, sizeof(detail), _("the record is for the CA reference %s"), ref_clean);
    return rgs_fail(io, CMD_RECORD, RGS_EXIT_CHECK,
                    _("no order of this store is the one of this record: it is for another order"),
                    detail);
  }
  rc = rgs_order_get(st, *id, &o);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_binding_get(st, *id, &b, &found);
  if (rc != RGS_ORDER_OK)
    return rgs_fail_store(io, CMD_RECORD, rc, st);
  if (ref == NULL || strcmp(o.ca_ref, ref) != 0) {
    snprintf(detail, sizeof(detail), _("the record is for the CA reference %s, order %lld has %s"),
             ref_clean, *id, o.ca_ref[0] != '\0' ? o.ca_ref : "-");
    ret = rgs_fail(io, CMD_RECORD, RGS_EXIT_CHECK,
                   _("this record is for another order: it is refused"), detail);
  } else if (!found || spki == NULL || strcmp(b.spki_sha256, spki) != 0) {
    snprintf(detail, sizeof(detail), _("the record's key is %s, order %lld's key is %s"),
             spki_clean, *id, found ? b.spki_sha256 : "-");
    ret = rgs_fail(io, CMD_RECORD, RGS_EXIT_CHECK,
                   _("this record is for another key than the order's: it is refused"), detail);
  }
  rgs_order_binding_clear(&b);
  return ret;
}

/* The record already kept with the order? */
static int record_known(rgs_order_store *st, long long id, const char *sha_hex)
{
  rgs_order_f2f r;
  int found = 0, same;

  memset(&r, 0, sizeof(r));
  if (rgs_order_f2f_latest(st, id, &r, &found) != RGS_ORDER_OK)
    found = 0;
  same = found && strcmp(r.record_sha256, sha_hex) == 0;
  rgs_order_f2f_clear(&r);
  return same;
}

static int store_imported_record(const rgs_io *io, rgs_order_store *st, long long id,
                                 const unsigned char *der, size_t len, const rgs_f2f_verified *v,
                                 const char *sha_hex)
{
  rgs_order_f2f_input in;
  const char *result = rgs_cj_path_str(v->record, "intervention.result");
  rgs_order_rc rc;

  memset(&in, 0, sizeof(in));
  in.cms_der = der;
  in.cms_len = len;
  in.record_sha256 = sha_hex;
  in.spki_sha256 = rgs_cj_path_str(v->record, "key.spki_sha256");
  in.signed_at = rgs_cj_path_str(v->record, "intervention.signed_at");
  in.day = rgs_cj_path_str(v->record, "intervention.date");
  in.success = result != NULL && strcmp(result, "success") == 0;
  in.verified = 1;
  in.failed_step = rgs_cj_path_str(v->record, "intervention.failed_step");
  in.reason = rgs_cj_path_str(v->record, "intervention.reason");
  in.aed_name = rgs_cj_path_str(v->record, "aed.name");
  rc = rgs_order_f2f_add(st, id, &in, NULL);
  if (rc != RGS_ORDER_OK)
    return fail_content(io, CMD_RECORD, rc, st);
  if (!in.success) {
    char reason[512];
    rgsx_sanitize_buf(reason, sizeof(reason), in.reason, in.reason != NULL ? strlen(in.reason) : 0);
    return rgs_fail(io, CMD_RECORD, RGS_EXIT_CHECK,
                    _("the AED refused the face-to-face: the record is kept, the order does not move"),
                    reason);
  }
  return RGS_EXIT_OK;
}

static void print_record_imported(const rgs_io *io, long long id, const char *sha_hex,
                                  const rgs_f2f_verified *v, int again, rgs_order_status status)
{
  rgs_json j;

  if (!io->json) {
    if (again)
      printf(_("This record was already imported for order %lld. Nothing changed.\n"), id);
    else if (status == RGS_STATUS_F2F_DONE)
      printf(_("Face-to-face record verified and kept with order %lld: face-to-face done.\n"
               "  AED          : %s\n  record       : SHA-256 %s\n"),
             id, v->aed != NULL ? v->aed->name : "-", sha_hex);
    else
      printf(_("Face-to-face record verified and kept with order %lld. The order stays %s.\n"
               "  AED          : %s\n  record       : SHA-256 %s\n"),
             id, rgs_order_status_name(status), v->aed != NULL ? v->aed->name : "-", sha_hex);
    return;
  }
  rgs_json_start(&j, stdout);
  rgs_json_object(&j, NULL);
  rgs_json_str(&j, "command", CMD_RECORD);
  rgs_json_bool(&j, "ok", 1);
  rgs_json_int(&j, "order", id);
  rgs_json_int(&j, "order_id", id);
  rgs_json_bool(&j, "already_imported", again);
  rgs_json_str(&j, "record_sha256", sha_hex);
  rgs_json_str(&j, "aed_entry", v->aed != NULL ? v->aed->name : NULL);
  rgs_json_str(&j, "status", rgs_order_status_name(status));
  rgs_json_end(&j);
  rgs_json_finish(&j);
}

int rgs_dossier_record_import(rgs_io *io, const char *path, long long want, const char *ca_file,
                              const char *ca_path)
{
  rgs_f2f_aed_trust *aeds = NULL;
  rgs_f2f_verified v;
  rgs_order_store *st = NULL;
  unsigned char *der = NULL;
  size_t len = 0;
  long long id = 0;
  char err[512], sha_hex[65];
  rgs_f2f_rc frc;
  rgs_order o;
  rgs_order_rc orc;
  int ret, again = 0;

  memset(&v, 0, sizeof(v));
  der = read_small_file(path, RGS_DOSSIER_MAX_BYTES, &len);
  if (der == NULL)
    return fail_unreadable(io, CMD_RECORD, path);
  ret = rgs_f2f_load_aeds(io, CMD_RECORD, ca_file, ca_path, &aeds);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  frc = rgs_f2f_verify(der, len, aeds, &v, err, sizeof(err));
  if (frc != RGS_F2F_OK) {
    ret = rgs_fail(io, CMD_RECORD,
                   frc == RGS_F2F_ERR_NOMEM || frc == RGS_F2F_ERR_CRYPTO ? RGS_EXIT_INTERNAL
                                                                         : RGS_EXIT_CHECK,
                   rgs_f2f_strerror(frc), err);
    goto cleanup;
  }
  rgs_f2f_print_demo_aed(io, v.aed);
  rgsx_hex(v.record_sha256, sizeof(v.record_sha256), sha_hex);
  ret = rgs_store_open(io, CMD_RECORD, 0, &st);
  if (ret == RGS_EXIT_OK && st == NULL)
    ret = rgs_fail(io, CMD_RECORD, RGS_EXIT_CHECK,
                   _("no order of this store is the one of this record: it is for another order"),
                   NULL);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  ret = record_order(io, st, v.record, want, &id);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  again = record_known(st, id, sha_hex);
  if (!again)
    ret = store_imported_record(io, st, id, der, len, &v, sha_hex);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  /* The status as it now is: an issued or installed order keeps its own. */
  orc = rgs_order_get(st, id, &o);
  if (orc != RGS_ORDER_OK)
    ret = rgs_fail_store(io, CMD_RECORD, orc, st);
  else
    print_record_imported(io, id, sha_hex, &v, again, o.status);

cleanup:
  rgs_order_store_close(st);
  rgs_f2f_verified_clear(&v);
  rgs_f2f_aed_trust_free(aeds);
  free(der);
  return ret;
}
