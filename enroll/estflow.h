/* SPDX-License-Identifier: BSD-3-Clause */
/* estflow.h - what submit and renew share around the EST client: failures
 * in the holder's words, trusting the CA certificates of /cacerts, and the
 * polling that honours Retry-After. */
#ifndef RGS_ESTFLOW_H
#define RGS_ESTFLOW_H

#include <time.h>
#include "flow.h"
#include "est.h"
#include "tlskey.h"

/* Report an EST failure (text and JSON, with the HTTP status); returns the
 * exit: RGS_EXIT_NETWORK, RGS_EXIT_USAGE for a bad URL, RGS_EXIT_INTERNAL. */

int rgs_est_fail(const rgs_io *io, const char *command, rgs_est_rc rc,
                 const rgs_est_info *info);

/* GET /cacerts and decide which of its certificates to trust: those that
 * chain to conf->ca_file (or the system store), else the self-signed ones
 * whose SHA-256 fingerprint is `fingerprint` or that the user confirms at
 * the terminal. *anchors: free with rgs_certs_free(). Reports failures. */
int rgs_est_trust(const rgs_io *io, const char *command, const rgs_est_conf *conf,
                  const char *fingerprint, STACK_OF(X509) **anchors);

/* The pace of asking again after "not yet" (RFC 7030 4.2.3). Never sooner
 * than the server's Retry-After, and never sooner than the floor after the
 * previous request, even when the server says 0 or a date in the past
 * (60 s: the least Retry-After Cisco's libest server lets a CA set); at
 * most RGS_EST_MAX_TRIES requests in one run. For the tests only, the
 * environment may lower both, never raise them: RGS_ENROLL_EST_FLOOR (1 to
 * 60 seconds) and RGS_ENROLL_EST_MAX_TRIES (1 to 30); a warning says so. */
#define RGS_EST_RETRY_FLOOR 60L
#define RGS_EST_MAX_TRIES 30

/* The delay before asking again after "not yet" with this Retry-After
 * (seconds, as rgs_est_info gives it): the floor at least,
 * RGS_EST_RETRY_MAX at most. */
long rgs_est_next_delay(long retry_after);

typedef struct {
  int wait;                   /* ask again while the answer is "not yet" */
  long wait_max;              /* seconds this run may wait in all (--wait-max) */
  struct timespec start;      /* CLOCK_MONOTONIC when rgs_est_pace_begin() ran */
  int begun;
} rgs_est_pace;

/* Start the --wait-max clock, then wait first_delay seconds (the next try
 * the order recorded; 0: none), told on io's progress descriptor as every
 * wait is. Call it before any secret is read (the retrieval code, the PIN
 * of a token login), so that no secret is held through that wait. */
void rgs_est_pace_begin(rgs_est_pace *pace, const rgs_io *io, long first_delay);

/* Called after each "not yet" (202), with the delay before the next try. */
typedef int (*rgs_est_pending_fn)(void *ud, long delay);

/* POST the request; while the server says "not yet" and pace->wait is set,
 * wait rgs_est_next_delay() and ask again, as long as the wait fits in
 * pace->wait_max (counted from rgs_est_pace_begin(), else from the call)
 * and the cap of tries allows. The credentials in conf are held through
 * those waits: HTTP Basic sends the code with every request, and a pipe or
 * a terminal cannot give it again. Returns RGS_EXIT_OK with *certs set
 * (issued) or with *certs NULL (still pending: *retry_after says in how
 * many seconds to ask), or a reported failure. */
int rgs_est_poll(const rgs_io *io, const char *command, const rgs_est_conf *conf,
                 X509_REQ *req, int reenroll, const rgs_est_pace *pace,
                 rgs_est_pending_fn on_pending, void *ud, STACK_OF(X509) **certs,
                 long *retry_after, int *tries);

/* The certificate for the request's key among what the server returned,
 * chaining to the anchors (and ca_file or the system store). Reports. */
int rgs_est_answer_leaf(const rgs_io *io, const char *command, X509_REQ *req,
                        STACK_OF(X509) *certs, STACK_OF(X509) *anchors, const char *ca_file,
                        X509 **leaf);

/* TLS client authentication with the token: the holder's current
 * certificate on it for order o (its subject names the order's holder and
 * company, its private key is on the token, it is valid today; the one
 * that ends last) and that key as an OpenSSL key through libp11. The
 * session must be logged in. *cert: free with X509_free(); *tls: free with
 * rgs_tls_key_free() after the last use of the session (libp11 finalises
 * the module it shares with it); *pkey is borrowed from *tls. Reports
 * failures (none: RGS_EXIT_CHECK). */
int rgs_est_token_identity(rgs_session *s, const rgs_order *o, X509 **cert, rgs_tls_key **tls,
                           EVP_PKEY **pkey, const char *command);

#endif
