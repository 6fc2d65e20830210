/* SPDX-License-Identifier: BSD-3-Clause */
/* certsession.c - a certificate against the token: its key on it, and the
 * proof that the token signs with it (see certsession.h). */
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include "certsession.h"

/* When no key has the certificate's public key, say whether one carries
 * its key identifier: the classic trap of tools that pair by CKA_ID. */
static void no_key_evidence(rgs_session *s, X509 *cert, char *ev, size_t len)
{
  const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);
  rgs_p11_uri *uri = rgs_p11_uri_new();
  rgs_p11_key *other = NULL;

  snprintf(ev, len, "%s", _("no private key on the token has this certificate's public key"));
  if (uri != NULL && ski != NULL &&
      rgs_p11_uri_set_id(uri, ASN1_STRING_get0_data(ski), (size_t)ASN1_STRING_length(ski)) ==
          RGS_P11_OK &&
      rgs_p11_key_find(s->tok, uri, &other) == RGS_P11_OK)
    snprintf(ev, len, _("no private key on the token has this certificate's public key; "
                        "the key \"%s\" has the same CKA_ID but another public key: the certificate is not for it"),
             rgs_p11_key_label(other));
  rgs_p11_key_free(other);
  rgs_p11_uri_free(uri);
}

/* "cert.key-on-token": the private key whose public key is the
 * certificate's, into *key. A certificate without a readable key, or no
 * such key on the token, is a failed criterion; token failures are
 * reported and their exit returned. */
static int key_on_token(rgs_session *s, X509 *cert, rgs_p11_key **key, rgs_p11_report **rep,
                        const char *command)
{
  const char *title = _("private key of the certificate on the token");
  EVP_PKEY *pub = X509_get0_pubkey(cert);
  rgs_p11_rc rc = RGS_P11_ERR_KEY_NOT_FOUND;
  char ev[256];

  /* No key to look for: bad input, said by the criteria, not a failure. */
  if (pub == NULL)
    snprintf(ev, sizeof(ev), "%s", _("the certificate's public key cannot be read"));
  else
    rc = rgs_p11_key_find_by_public(s->tok, pub, key);
  if (rc == RGS_P11_OK)
    snprintf(ev, sizeof(ev), _("\"%s\", public key identical"), rgs_p11_key_label(*key));
  else if (rc != RGS_P11_ERR_KEY_NOT_FOUND)
    return rgs_fail_p11(s->io, command, rc, s->ctx);
  else if (pub != NULL)
    no_key_evidence(s, cert, ev, sizeof(ev));
  if (rgs_p11_report_add(rep, "cert.key-on-token", title,
                         rc == RGS_P11_OK ? RGS_CHECK_PASS : RGS_CHECK_FAIL, "%s",
                         ev) != RGS_P11_OK)
    return rgs_fail(s->io, command, RGS_EXIT_INTERNAL, rgs_p11_strerror(RGS_P11_ERR_NOMEM), NULL);
  if (rc == RGS_P11_OK)
    rgs_p11_report_explain(*rep, _("The card holds the key of this certificate."), NULL);
  else if (pub == NULL)
    rgs_p11_report_explain(*rep, _("The certificate's public key cannot be read: the certificate is damaged."),
                           _("Ask the certification authority for the certificate again."));
  else
    rgs_p11_report_explain(*rep,
                           _("The card does not hold the key of this certificate: it was made for another card or another key."),
                           _("Install the certificate on the card that made its request, and check that it is yours."));
  return RGS_EXIT_OK;
}

int rgs_certcheck_pair(rgs_session *s, const rgs_certcheck_in *in, rgs_p11_key **key,
                       rgs_p11_report **rep, STACK_OF(X509) **chain, const char *command)
{
  rgs_p11_requirements req;
  rgs_certs_rc crc;
  rgs_p11_rc rc;
  int ret;

  *key = NULL;
  if (chain != NULL)
    *chain = NULL;
  ret = key_on_token(s, in->cert, key, rep, command);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (*key != NULL) {
    memset(&req, 0, sizeof(req));
    req.not_after = rgs_cert_not_after(in->cert);
    req.policy = s->policy;
    rc = rgs_p11_check_key(s->tok, *key, &req, rep);
    if (rc != RGS_P11_OK)
      return rgs_fail_p11(s->io, command, rc, s->ctx);
  }
  crc = rgs_certcheck(in, rep, chain);
  if (crc != RGS_CERTS_OK)
    return rgs_fail(s->io, command, RGS_EXIT_INTERNAL, rgs_certs_strerror(crc), NULL);
  return RGS_EXIT_OK;
}

int rgs_prove_installed(rgs_session *s, const rgs_p11_key *key, X509 *cert, const char *command)
{
  unsigned char challenge[32], *sig = NULL;
  size_t siglen = 0, i, n = 0;
  rgs_p11_cert *now = NULL;
  EVP_MD_CTX *md = NULL;
  X509 *installed = NULL;
  int ret = RGS_EXIT_OK, ok;
  rgs_p11_rc rc;

  if (RAND_bytes(challenge, sizeof(challenge)) != 1)
    return rgs_fail(s->io, command, RGS_EXIT_INTERNAL, rgs_p11_strerror(RGS_P11_ERR_CRYPTO), NULL);
  rc = rgs_p11_cert_list(s->tok, &now, &n);
  if (rc == RGS_P11_OK)
    rc = rgs_p11_sign_sha256(s->tok, key, challenge, sizeof(challenge), &sig, &siglen);
  if (rc != RGS_P11_OK) {
    ret = rgs_fail_p11(s->io, command, rc, s->ctx);
    goto cleanup;
  }
  for (i = 0; i < n && installed == NULL; i++)
    if (X509_cmp(now[i].x509, cert) == 0)
      installed = now[i].x509;
  md = EVP_MD_CTX_new();
  ok = installed != NULL && md != NULL &&
       EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_get0_pubkey(installed)) == 1 &&
       EVP_DigestVerify(md, sig, siglen, challenge, sizeof(challenge)) == 1;
  if (!ok)
    ret = rgs_fail(s->io, command, RGS_EXIT_CHECK, rgs_p11_strerror(RGS_P11_ERR_SIGNATURE),
                   installed == NULL ? _("the certificate is not on the token after writing it")
                                     : _("the token's signature does not verify with the installed certificate"));

cleanup:
  EVP_MD_CTX_free(md);
  free(sig);
  rgs_p11_cert_list_free(now, n);
  return ret;
}
