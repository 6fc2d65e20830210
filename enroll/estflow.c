/* SPDX-License-Identifier: BSD-3-Clause */
/* estflow.c - the EST steps submit and renew share (see estflow.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/x509v3.h>
#include "certcheck.h"
#include "estflow.h"
#include "rgs_common.h"
#include "orders.h"
#include "progress.h"

int rgs_est_fail(const rgs_io *io, const char *command, rgs_est_rc rc,
                 const rgs_est_info *info)
{
  int exit_code = rc == RGS_EST_ERR_NOMEM || rc == RGS_EST_ERR_INTERNAL ? RGS_EXIT_INTERNAL
                  : rc == RGS_EST_ERR_URL                               ? RGS_EXIT_USAGE
                                                                        : RGS_EXIT_NETWORK;

  /* libcurl failed: its words are the detail of a sentence of ours. */
  if (info->code != NULL)
    return rgs_fail_detail_line(io, command, exit_code, info->code,
                                info->reason != NULL ? info->reason : rgs_est_strerror(rc),
                                info->detail, info->http_status);
  return rgs_fail_http(io, command, exit_code, rgs_est_strerror(rc), info->detail,
                       info->http_status);
}

/* Ask on the terminal, never on stdin: piped data must not consent. */
static int confirm_fingerprint(X509 *ca, const char *fp)
{
  FILE *tty = fopen("/dev/tty", "r+");
  char answer[16], *subject;
  int yes = 0;

  if (tty == NULL)
    return 0;
  subject = rgs_cert_subject(ca);     /* sanitised: the server wrote that name */
  fprintf(tty, _("The EST server gives this CA certificate:\n  %s\n  SHA-256 %s\n"
                 "Compare it with the fingerprint the CA published. Type YES if they are the same: "),
          subject != NULL ? subject : "?", fp);
  fflush(tty);
  if (fgets(answer, sizeof(answer), tty) != NULL) {
    answer[strcspn(answer, "\r\n")] = '\0';
    yes = strcmp(answer, "YES") == 0 || strcmp(answer, _("YES")) == 0;
  }
  fclose(tty);
  OPENSSL_free(subject);
  return yes;
}

/* "AB:CD..." or "abcd...": the hex digits compared, any case. */
static int hex_equal(const char *a, const char *b)
{
  for (;;) {
    while (*a == ':' || *a == ' ')
      a++;
    while (*b == ':' || *b == ' ')
      b++;
    if (*a == '\0' || *b == '\0')
      return *a == *b;
    if ((*a | 0x20) != (*b | 0x20))
      return 0;
    a++;
    b++;
  }
}

static int chains(X509 *cert, STACK_OF(X509) *untrusted, STACK_OF(X509) *anchors,
                  const char *ca_file)
{
  rgs_p11_report *rep = NULL;
  rgs_certcheck_in in;
  int ok;

  memset(&in, 0, sizeof(in));
  in.cert = cert;
  in.untrusted = untrusted;
  in.anchors = anchors;
  in.ca_file = ca_file;
  in.now = rgs_now();
  ok = rgs_certcheck(&in, &rep, NULL) == RGS_CERTS_OK &&
       rgs_report_verdict(rep, "cert.chain") == RGS_CHECK_PASS;
  rgs_p11_report_free(rep);
  return ok;
}

int rgs_est_trust(const rgs_io *io, const char *command, const rgs_est_conf *conf,
                  const char *fingerprint, STACK_OF(X509) **anchors)
{
  STACK_OF(X509) *cacerts = NULL;
  rgs_est_info info;
  rgs_est_rc rc;
  char fp[128];
  int i, ok, ret = RGS_EXIT_OK;

  *anchors = NULL;
  rc = rgs_est_cacerts(conf, &cacerts, &info);
  if (rc != RGS_EST_OK)
    return rgs_est_fail(io, command, rc, &info);
  *anchors = sk_X509_new_null();
  if (*anchors == NULL) {
    ret = rgs_fail(io, command, RGS_EXIT_INTERNAL, rgs_p11_strerror(RGS_P11_ERR_NOMEM), NULL);
    goto cleanup;
  }
  for (i = 0; i < sk_X509_num(cacerts); i++) {
    X509 *ca = sk_X509_value(cacerts, i);
    rgs_cert_fingerprint(ca, fp, sizeof(fp));
    ok = chains(ca, cacerts, NULL, conf->ca_file);
    if (!ok && X509_check_issued(ca, ca) == X509_V_OK)
      ok = fingerprint != NULL ? hex_equal(fp, fingerprint) : confirm_fingerprint(ca, fp);
    if (ok && (!X509_up_ref(ca) || !sk_X509_push(*anchors, ca))) {
      ret = rgs_fail(io, command, RGS_EXIT_INTERNAL, rgs_p11_strerror(RGS_P11_ERR_NOMEM), NULL);
      goto cleanup;
    }
  }
  if (sk_X509_num(*anchors) > 0)
    goto cleanup;
  for (i = 0; i < sk_X509_num(cacerts); i++) {
    rgs_cert_fingerprint(sk_X509_value(cacerts, i), fp, sizeof(fp));
    rgs_err(io, _("CA certificate of the EST server: SHA-256 %s"), fp);
  }
  ret = rgs_fail(io, command, RGS_EXIT_CHECK,
                 _("the CA certificates of the EST server are not trusted: compare their fingerprint with the one the CA published, then pass it with --ca-fingerprint (or give --ca-file)"),
                 fingerprint != NULL ? _("the fingerprint given matches none of them") : NULL);

cleanup:
  if (ret != RGS_EXIT_OK) {
    rgs_certs_free(*anchors);
    *anchors = NULL;
  }
  rgs_certs_free(cacerts);
  return ret;
}

/* ---- pace ------------------------------------------------------------------ */

/* A test setting from the environment: a number in [1, max], else max (a
 * bad value never loosens the bound). Said once on stderr when used. */
static long lowered(const char *name, long max, int *warned)
{
  const char *v = getenv(name);
  char *end = NULL, shown[64];
  long n;

  if (v == NULL || v[0] == '\0')
    return max;
  errno = 0;
  n = strtol(v, &end, 10);
  if (errno != 0 || end == v || *end != '\0' || n < 1 || n > max) {
    /* Whoever set the environment wrote that value: made printable first. */
    if (!(*warned)++)
      fprintf(stderr, _("rgs-enroll: %s=%s ignored: 1 to %ld\n"), name,
              rgsx_sanitize_buf(shown, sizeof(shown), v, strlen(v)), max);
    return max;
  }
  if (!(*warned)++)
    fprintf(stderr, _("rgs-enroll: %s is set to %ld (a test setting)\n"), name, n);
  return n;
}

static long retry_floor(void)
{
  static int warned;

  return lowered("RGS_ENROLL_EST_FLOOR", RGS_EST_RETRY_FLOOR, &warned);
}

static int max_tries(void)
{
  static int warned;

  return (int)lowered("RGS_ENROLL_EST_MAX_TRIES", RGS_EST_MAX_TRIES, &warned);
}

long rgs_est_next_delay(long retry_after)
{
  long floor_s = retry_floor();

  if (retry_after < floor_s)
    return floor_s;
  return retry_after < RGS_EST_RETRY_MAX ? retry_after : RGS_EST_RETRY_MAX;
}

/* Whole seconds since start on the monotonic clock: a change of the wall
 * clock neither shortens nor stretches a wait. */
static long elapsed_since(const struct timespec *start)
{
  struct timespec now;

  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long)(now.tv_sec - start->tv_sec) - (now.tv_nsec < start->tv_nsec);
}

/* Sleep the whole delay; a signal that interrupts it does not cut it short. */
static void pause_for(long seconds)
{
  struct timespec until;

  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += seconds;
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
    ;
}

/* Wait for the next try, counted down on a terminal and told as the step
 * "submit-wait" on the progress descriptor (io NULL: the terminal only). */
static void wait_next_try(const rgs_io *io, long seconds)
{
  rgs_progress_step step = { "submit-wait", NULL, 0, 0 };
  rgs_progress_run *pr;

  step.tty_text = _("left before the CA is asked again.");
  step.countdown_s = seconds;
  pr = rgs_progress_begin(io, &step);
  pause_for(seconds);
  rgs_progress_end(pr, 1);
}

/* After a "not yet": 1 when the pace allows waiting delay and asking again. */
static int may_ask_again(const rgs_est_pace *pace, const struct timespec *start, int tries,
                         long delay)
{
  long left;

  if (!pace->wait)
    return 0;
  if (tries >= max_tries()) {
    fprintf(stderr, _("Not issued yet after %d requests, the most one run makes: stopping here.\n"),
            tries);
    return 0;
  }
  left = pace->wait_max - elapsed_since(start);
  if (delay > left) {
    fprintf(stderr, _("Not issued yet: the next try is in %ld s, beyond what --wait-max leaves (%ld s): stopping here.\n"),
            delay, left > 0 ? left : 0);
    return 0;
  }
  return 1;
}

void rgs_est_pace_begin(rgs_est_pace *pace, const rgs_io *io, long first_delay)
{
  clock_gettime(CLOCK_MONOTONIC, &pace->start);
  pace->begun = 1;
  if (first_delay > 0)
    wait_next_try(io, first_delay);
}

int rgs_est_poll(const rgs_io *io, const char *command, const rgs_est_conf *conf,
                 X509_REQ *req, int reenroll, const rgs_est_pace *pace,
                 rgs_est_pending_fn on_pending, void *ud, STACK_OF(X509) **certs,
                 long *retry_after, int *tries)
{
  struct timespec start;
  rgs_est_info info;
  rgs_est_rc rc;
  long delay;
  int ret;

  *certs = NULL;
  *retry_after = 0;
  *tries = 0;
  if (pace->begun)
    start = pace->start;
  else
    clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    (*tries)++;
    rc = rgs_est_enroll(conf, req, reenroll, certs, &info);
    if (rc == RGS_EST_OK)
      return RGS_EXIT_OK;
    if (rc != RGS_EST_PENDING)
      return rgs_est_fail(io, command, rc, &info);
    delay = rgs_est_next_delay(info.retry_after);
    *retry_after = delay;
    if (on_pending != NULL) {
      ret = on_pending(ud, delay);
      if (ret != RGS_EXIT_OK)
        return ret;
    }
    if (!may_ask_again(pace, &start, *tries, delay))
      return RGS_EXIT_OK;
    fprintf(stderr, _("Not issued yet (try %d): asking again in %ld s...\n"), *tries, delay);
    wait_next_try(io, delay);
  }
}

int rgs_est_answer_leaf(const rgs_io *io, const char *command, X509_REQ *req,
                        STACK_OF(X509) *certs, STACK_OF(X509) *anchors, const char *ca_file,
                        X509 **leaf)
{
  *leaf = rgs_certs_leaf(certs, X509_REQ_get0_pubkey(req));
  if (*leaf == NULL)
    return rgs_fail(io, command, RGS_EXIT_CHECK,
                    _("the EST server returned no certificate for the key of the request"), NULL);
  if (!chains(*leaf, certs, anchors, ca_file))
    return rgs_fail(io, command, RGS_EXIT_CHECK,
                    _("the certificate returned by the EST server does not chain to the trusted CA"),
                    NULL);
  return RGS_EXIT_OK;
}

/* Valid today, naming the order's holder and company, key on the token. */
static int holder_cert(rgs_session *s, const rgs_order *o, X509 *c)
{
  time_t now = rgs_now();
  rgs_p11_key *key = NULL;
  rgs_name_fields f;
  char why[256];
  int mine;

  if (X509_cmp_time(X509_get0_notAfter(c), &now) < 0 ||
      X509_cmp_time(X509_get0_notBefore(c), &now) > 0 || X509_check_ca(c) != 0)
    return 0;
  mine = rgs_name_fields_get(X509_get_subject_name(c), &f) &&
         rgs_order_subject_match(o, &f.subj, why, sizeof(why)) == RGS_ORDER_OK;
  rgs_name_fields_free(&f);
  if (mine && rgs_p11_key_find_by_public(s->tok, X509_get0_pubkey(c), &key) != RGS_P11_OK)
    mine = 0;
  rgs_p11_key_free(key);
  return mine;
}

/* A key that wants the PIN again for every signature (CKA_ALWAYS_AUTHENTICATE)
 * would make libp11 ask for it on its own, outside the PIN rules (counters
 * read first, never the last try without consent): such a key is refused. */
static int always_authenticates(rgs_session *s, X509 *cert)
{
  rgs_p11_key *key = NULL;
  int always = 0;

  if (rgs_p11_key_find_by_public(s->tok, X509_get0_pubkey(cert), &key) == RGS_P11_OK &&
      key != NULL)
    always = rgs_p11_key_get_attrs(key)->always_authenticate == 1;
  rgs_p11_key_free(key);
  return always;
}

int rgs_est_token_identity(rgs_session *s, const rgs_order *o, X509 **cert, rgs_tls_key **tls,
                           EVP_PKEY **pkey, const char *command)
{
  rgs_p11_cert *certs = NULL;
  X509 *best = NULL;
  size_t n = 0, i;
  char err[256];
  rgs_p11_rc rc;
  int ret = RGS_EXIT_OK;

  *cert = NULL;
  *tls = NULL;
  *pkey = NULL;
  rc = rgs_p11_cert_list(s->tok, &certs, &n);
  if (rc != RGS_P11_OK)
    return rgs_fail_p11(s->io, command, rc, s->ctx);
  for (i = 0; i < n; i++) {
    X509 *c = certs[i].x509;
    if (holder_cert(s, o, c) &&
        (best == NULL || ASN1_TIME_compare(X509_get0_notAfter(c), X509_get0_notAfter(best)) > 0))
      best = c;
  }
  if (best == NULL) {
    ret = rgs_fail(s->io, command, RGS_EXIT_CHECK,
                   _("no valid certificate of this order's holder with its key on the token to authenticate with"),
                   NULL);
    goto cleanup;
  }
  if (always_authenticates(s, best)) {
    ret = rgs_fail(s->io, command, RGS_EXIT_CHECK,
                   _("this key asks for the PIN at every signature; it cannot authenticate a TLS connection unattended"),
                   NULL);
    goto cleanup;
  }
  rc = rgs_tls_key_open(rgs_p11_module_path(s->ctx), rgs_p11_token_info(s->tok),
                        X509_get0_pubkey(best), tls, pkey, err, sizeof(err));
  if (rc != RGS_P11_OK) {
    ret = rgs_fail(s->io, command, rgs_exit_for_p11(rc), rgs_p11_strerror(rc), err);
    goto cleanup;
  }
  if (!X509_up_ref(best)) {
    ret = rgs_fail(s->io, command, RGS_EXIT_INTERNAL, rgs_p11_strerror(RGS_P11_ERR_NOMEM), NULL);
    goto cleanup;
  }
  *cert = best;

cleanup:
  rgs_p11_cert_list_free(certs, n);
  return ret;
}

