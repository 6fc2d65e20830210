/* SPDX-License-Identifier: BSD-3-Clause */
/* csr.c - the PKCS#10 request, signed on the token, verified before it is written. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "progress.h"
#include "steps.h"

static int add_email_san(X509_REQ *req, const char *email)
{
  STACK_OF(X509_EXTENSION) *exts = NULL;
  X509_EXTENSION *ext = NULL;
  char value[300];
  int ok = 0;

  snprintf(value, sizeof(value), "email:%s", email);
  ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, value);
  exts = sk_X509_EXTENSION_new_null();
  if (ext == NULL || exts == NULL || !sk_X509_EXTENSION_push(exts, ext))
    goto cleanup;
  ext = NULL;
  ok = X509_REQ_add_extensions(req, exts) == 1;

cleanup:
  X509_EXTENSION_free(ext);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  return ok;
}

/* sha256WithRSAEncryption or ecdsa-with-SHA256, and the signature made on
 * the token over the DER CertificationRequestInfo. */
static rgs_p11_rc sign_request(rgs_session *s, const rgs_p11_key *key, X509_REQ *req)
{
  int rsa = rgs_p11_key_get_attrs(key)->type == RGS_KEY_RSA;
  X509_ALGOR *alg = X509_ALGOR_new();
  ASN1_BIT_STRING *bits = ASN1_BIT_STRING_new();
  unsigned char *tbs = NULL, *sig = NULL;
  size_t siglen = 0;
  int tbs_len;
  rgs_p11_rc rc = RGS_P11_ERR_CRYPTO;

  if (alg == NULL || bits == NULL)
    goto cleanup;
  if (X509_ALGOR_set0(alg, OBJ_nid2obj(rsa ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256),
                      rsa ? V_ASN1_NULL : V_ASN1_UNDEF, NULL) != 1)
    goto cleanup;
  tbs_len = i2d_re_X509_REQ_tbs(req, &tbs);
  if (tbs_len <= 0)
    goto cleanup;
  rc = rgs_p11_sign_sha256(s->tok, key, tbs, (size_t)tbs_len, &sig, &siglen);
  if (rc != RGS_P11_OK)
    goto cleanup;
  rc = RGS_P11_ERR_CRYPTO;
  if (ASN1_BIT_STRING_set(bits, sig, (int)siglen) != 1)
    goto cleanup;
  /* No unused bits: the signature is a whole number of bytes. */
  bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
  bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
  if (X509_REQ_set1_signature_algo(req, alg) != 1)
    goto cleanup;
  X509_REQ_set0_signature(req, bits);
  bits = NULL;
  rc = RGS_P11_OK;

cleanup:
  X509_ALGOR_free(alg);
  ASN1_BIT_STRING_free(bits);
  OPENSSL_free(tbs);
  free(sig);
  return rc;
}

int rgs_csr_make(rgs_session *s, const rgs_p11_key *key, const X509_NAME *name,
                 const char *email, X509_REQ **out, const char *command)
{
  static const rgs_progress_step step = { "csr", NULL, 0, 0 };
  rgs_progress_run *pr = rgs_progress_begin(s->io, &step);
  X509_REQ *req = NULL;
  int ret = RGS_EXIT_INTERNAL;
  rgs_p11_rc rc;

  *out = NULL;          /* email: checked with the subject, before the card */
  req = X509_REQ_new();
  if (req == NULL || X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req, name) != 1 ||
      X509_REQ_set_pubkey(req, rgs_p11_key_public(key)) != 1)
    goto crypto_error;
  if (email != NULL && !add_email_san(req, email))
    goto crypto_error;
  rc = sign_request(s, key, req);
  if (rc != RGS_P11_OK) {
    ret = rgs_fail_p11(s->io, command, rc, s->ctx);
    goto cleanup;
  }
  /* Never hand a CA a request that does not verify. */
  if (X509_REQ_verify(req, rgs_p11_key_public(key)) != 1) {
    ret = rgs_fail(s->io, command, RGS_EXIT_CHECK, rgs_p11_strerror(RGS_P11_ERR_SIGNATURE),
                   _("the certificate request does not verify with the key's public key"));
    goto cleanup;
  }
  *out = req;
  req = NULL;
  ret = RGS_EXIT_OK;
  goto cleanup;

crypto_error:
  ret = rgs_fail(s->io, command, RGS_EXIT_INTERNAL, rgs_p11_strerror(RGS_P11_ERR_CRYPTO),
                 _("building the certificate request failed"));
cleanup:
  rgs_progress_end(pr, ret == RGS_EXIT_OK);
  X509_REQ_free(req);
  return ret;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return 0;
    p += w;
    n -= (size_t)w;
  }
  return 1;
}

static int encode(X509_REQ *req, int der, unsigned char **buf, size_t *len)
{
  BIO *b = NULL;
  char *data = NULL;
  long n;
  int ok = 0;

  b = BIO_new(BIO_s_mem());
  if (b == NULL)
    return 0;
  if ((der ? i2d_X509_REQ_bio(b, req) : PEM_write_bio_X509_REQ(b, req)) != 1)
    goto cleanup;
  n = BIO_get_mem_data(b, &data);
  if (n <= 0)
    goto cleanup;
  *buf = malloc((size_t)n);
  if (*buf == NULL)
    goto cleanup;
  memcpy(*buf, data, (size_t)n);
  *len = (size_t)n;
  ok = 1;

cleanup:
  BIO_free(b);
  return ok;
}

int rgs_csr_write(const rgs_io *io, X509_REQ *req, const char *path, int der, int force,
                  const char *command)
{
  char tmp[PATH_MAX];
  unsigned char *buf = NULL;
  size_t len = 0;
  int fd = -1, ret = RGS_EXIT_IO;

  if (!force && access(path, F_OK) == 0)
    return rgs_fail(io, command, RGS_EXIT_IO, _("the output file exists; nothing was overwritten"),
                    path);
  if (!encode(req, der, &buf, &len))
    return rgs_fail(io, command, RGS_EXIT_INTERNAL, rgs_p11_strerror(RGS_P11_ERR_CRYPTO), NULL);
  if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
    ret = rgs_fail(io, command, RGS_EXIT_IO, _("path too long"), path);
    goto cleanup;
  }
  /* Temporary file beside the target, then rename: a reader never sees a
   * half-written request, and a failure leaves the old file alone. */
  fd = mkstemp(tmp);
  if (fd < 0 || !write_all(fd, buf, len) || fsync(fd) != 0) {
    int e = errno;
    if (fd >= 0) {
      close(fd);
      unlink(tmp);
    }
    ret = rgs_fail(io, command, RGS_EXIT_IO, _("the certificate request could not be written"),
                   strerror(e));
    goto cleanup;
  }
  if (close(fd) != 0 || fchmodat(AT_FDCWD, tmp, 0644, 0) != 0 ||
      (force ? rename(tmp, path) : link(tmp, path)) != 0) {
    /* Without --force, link() fails if the file appeared since the check:
     * a request someone else just wrote is never replaced. */
    ret = rgs_fail(io, command, RGS_EXIT_IO, _("the certificate request could not be written"),
                   errno == EEXIST ? path : strerror(errno));
    unlink(tmp);
    goto cleanup;
  }
  if (!force)
    unlink(tmp);
  ret = RGS_EXIT_OK;

cleanup:
  free(buf);
  return ret;
}

void rgs_csr_report(const rgs_io *io, rgs_json *j, X509_REQ *req, const char *path)
{
  char *subject = rgs_subject_text(X509_REQ_get_subject_name(req));
  unsigned char spki[32];
  int have_spki = rgs_spki_sha256(X509_REQ_get0_pubkey(req), spki);
  char hex[65];

  if (io->json) {
    rgs_json_object(j, "csr");
    rgs_json_str(j, "file", path);
    rgs_json_str(j, "subject", subject);
    rgs_json_str(j, "signature", "sha256");
    if (have_spki)
      rgs_json_hex(j, "spki_sha256", spki, sizeof(spki));
    rgs_json_end(j);
  } else {
    printf(_("Certificate request written: %s\n  subject      : %s\n  signature    : SHA-256, made on the token, verified\n"),
           path, subject != NULL ? subject : "?");
    if (have_spki) {
      printf("  SPKI SHA-256 : %s\n", rgsx_hex(spki, sizeof(spki), hex));
    }
  }
  OPENSSL_free(subject);
}
