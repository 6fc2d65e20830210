/* SPDX-License-Identifier: BSD-3-Clause */
/* delivered.c - check --delivered: a token the CA posted with key and
 * certificate already on it. Each holder certificate must have its private
 * key on the token (same public key), the key must read back as generated
 * on the card and meet RGS**, the certificate must chain to a trust anchor,
 * be valid today and signed with SHA-256 or stronger. */
#include <stdlib.h>
#include <string.h>
#include <openssl/x509v3.h>
#include "certsession.h"
#include "delivered.h"
#include "rgs_common.h"

typedef struct {
  X509 *cert;                  /* borrowed from the token list */
  const char *label;
  rgs_p11_key *key;
  rgs_p11_report *rep;
  rgs_rev_result rev;          /* its revocation status */
} pair;

static void json_pairs(rgs_json *j, rgs_session *s, pair *p, size_t n)
{
  char fp[128], label[256];
  char *subject;
  size_t i;

  rgs_json_array(j, "certificates");
  for (i = 0; i < n; i++) {
    subject = rgs_cert_subject(p[i].cert);
    rgs_cert_fingerprint(p[i].cert, fp, sizeof(fp));
    rgs_json_object(j, NULL);
    rgs_json_str(j, "subject", subject);
    rgs_json_str(j, "sha256", fp);
    rgs_json_str(j, "label", rgsx_sanitize_buf(label, sizeof(label), p[i].label, strlen(p[i].label)));
    rgs_json_bool(j, "ok", rgs_p11_report_passed(p[i].rep) && p[i].rev.rc != RGS_REV_REVOKED);
    if (p[i].key != NULL)
      rgs_json_key(j, "key", s, p[i].key);
    rgs_json_report(j, p[i].rep);
    rgs_rev_json(j, "revocation", &p[i].rev);
    rgs_json_end(j);
    OPENSSL_free(subject);
  }
  rgs_json_end(j);
}

/* Subjects come sanitised from rgs_cert_subject; labels are the token's. */
static void print_pairs(const rgs_io *io, pair *p, size_t n)
{
  char fp[128], label[256], revoc[1024];
  char *subject;
  size_t i;

  for (i = 0; i < n; i++) {
    subject = rgs_cert_subject(p[i].cert);
    rgs_cert_fingerprint(p[i].cert, fp, sizeof(fp));
    rgs_rev_sentence(&p[i].rev, revoc, sizeof(revoc));
    printf(_("Certificate \"%s\": %s\n"),
           rgsx_sanitize_buf(label, sizeof(label), p[i].label, strlen(p[i].label)),
           subject != NULL ? subject : "?");
    if (io->details)     /* evidence, as the criteria's */
      printf(_("  SHA-256 %s\n"), fp);
    rgs_print_report(io, p[i].rep);
    printf(_("  Revocation: %s\n"), revoc);
    OPENSSL_free(subject);
  }
}

/* The CA certificates the token holds help build the chain. */
static STACK_OF(X509) *token_cas(rgs_p11_cert *certs, size_t n)
{
  STACK_OF(X509) *cas = sk_X509_new_null();
  size_t i;

  if (cas == NULL)
    return NULL;
  for (i = 0; i < n; i++) {
    if (X509_check_ca(certs[i].x509) == 0)
      continue;
    if (!sk_X509_push(cas, certs[i].x509)) {
      sk_X509_free(cas);
      return NULL;
    }
  }
  return cas;
}

/* The revocation status of a certificate whose chain verified (its issuer
 * next in the chain), where the binary can ask (io->revocation). */
static void revocation(const rgs_io *io, pair *p, STACK_OF(X509) *chain)
{
  rgs_rev_opts ro;

  if (io->revocation == NULL) {
    rgs_rev_set_not_checked(&p->rev, _("turned off with --no-revocation-check"));
    return;
  }
  if (chain == NULL || sk_X509_num(chain) < 2) {
    rgs_rev_set_not_checked(&p->rev, _("the certificate's chain did not verify: its issuer is not known"));
    return;
  }
  rgs_rev_opts_init(&ro, rgs_now());
  io->revocation(p->cert, sk_X509_value(chain, 1), &ro, &p->rev);
}

/* Each holder certificate with its key (see rgs_certcheck_pair); the CA
 * certificates of the token help build the chains. pairs has room for n. */
static int judge_pairs(rgs_session *s, rgs_p11_cert *certs, size_t n, STACK_OF(X509) *cas,
                       const char *ca_file, int validity_years, pair *pairs, size_t *n_pairs)
{
  rgs_certcheck_in in;
  STACK_OF(X509) *chain = NULL;
  size_t i;
  int ret;

  for (i = 0; i < n; i++) {
    pair *p;
    if (X509_check_ca(certs[i].x509) != 0)
      continue;
    p = &pairs[(*n_pairs)++];
    p->cert = certs[i].x509;
    p->label = certs[i].label;
    memset(&in, 0, sizeof(in));
    in.cert = p->cert;
    in.untrusted = cas;
    in.ca_file = ca_file;
    in.now = rgs_now();
    in.validity_years = validity_years;
    ret = rgs_certcheck_pair(s, &in, &p->key, &p->rep, &chain, "check");
    if (ret == RGS_EXIT_OK)
      revocation(s->io, p, chain);
    rgs_certs_free(chain);
    chain = NULL;
    if (ret != RGS_EXIT_OK)
      return ret;
  }
  return RGS_EXIT_OK;
}

static void print_result(rgs_session *s, const rgs_p11_report *token_rep, pair *pairs,
                         size_t n_pairs, int all_ok, int exit_code)
{
  const rgs_io *io = s->io;
  rgs_json j;

  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "check");
    rgs_json_bool(&j, "ok", all_ok);
    rgs_json_int(&j, "exit", exit_code);
    rgs_json_bool(&j, "delivered", 1);
    rgs_json_token(&j, "token", rgs_p11_token_info(s->tok));
    rgs_json_bool(&j, "qualified", rgs_p11_report_passed(token_rep));
    rgs_json_report(&j, token_rep);
    json_pairs(&j, s, pairs, n_pairs);
    rgs_json_finish(&j);
    return;
  }
  rgs_print_token(io, rgs_p11_token_info(s->tok));
  rgs_print_report(io, token_rep);
  print_pairs(io, pairs, n_pairs);
  if (n_pairs == 0)
    printf("%s\n", _("The token holds no holder certificate."));
  printf("%s\n", all_ok ? _("Result: the delivered token meets RGS** and holds a usable key and certificate.")
                        : _("Result: the delivered token is NOT ready."));
  rgs_print_demo_notice(io, token_rep);
  if (all_ok)
    printf("%s\n", _("Next: replace the initial PIN with your own: rgs-enroll pin change"));
}

int rgs_check_delivered(rgs_session *s, rgs_p11_report *token_rep, const char *ca_file,
                        int validity_years)
{
  rgs_p11_cert *certs = NULL;
  size_t n = 0, n_pairs = 0, i;
  STACK_OF(X509) *cas = NULL;
  pair *pairs = NULL;
  int ret, all_ok;
  rgs_p11_rc rc;

  ret = rgs_session_login(s, "check");
  if (ret != RGS_EXIT_OK)
    return ret;
  rc = rgs_p11_cert_list(s->tok, &certs, &n);
  if (rc != RGS_P11_OK)
    return rgs_fail_p11(s->io, "check", rc, s->ctx);
  cas = token_cas(certs, n);
  pairs = calloc(n > 0 ? n : 1, sizeof(*pairs));
  if (cas == NULL || pairs == NULL) {
    ret = rgs_fail(s->io, "check", RGS_EXIT_INTERNAL, rgs_p11_strerror(RGS_P11_ERR_NOMEM), NULL);
    goto cleanup;
  }
  ret = judge_pairs(s, certs, n, cas, ca_file, validity_years, pairs, &n_pairs);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  all_ok = rgs_p11_report_passed(token_rep) && n_pairs > 0;
  for (i = 0; i < n_pairs; i++)
    all_ok = all_ok && rgs_p11_report_passed(pairs[i].rep) && pairs[i].rev.rc != RGS_REV_REVOKED;
  ret = all_ok ? RGS_EXIT_OK : RGS_EXIT_CHECK;
  print_result(s, token_rep, pairs, n_pairs, all_ok, ret);

cleanup:
  for (i = 0; pairs != NULL && i < n_pairs; i++) {
    rgs_p11_key_free(pairs[i].key);
    rgs_p11_report_free(pairs[i].rep);
  }
  free(pairs);
  sk_X509_free(cas);
  rgs_p11_cert_list_free(certs, n);
  return ret;
}
