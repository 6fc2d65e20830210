/* estflow.h - what submit and renew share around the EST client: failures
 * in the holder's words, trusting the CA certificates of /cacerts, and the
 * polling that honours Retry-After. */
#ifndef RGS_ESTFLOW_H
#define RGS_ESTFLOW_H

#include "cli.h"
#include "est.h"

/* Report an EST failure (text and JSON, with the HTTP status); returns the
 * exit: RGS_EXIT_NETWORK, RGS_EXIT_USAGE for a bad URL, RGS_EXIT_INTERNAL. */
int rgs_est_fail(const rgs_cli *cli, const char *command, rgs_est_rc rc,
                 const rgs_est_info *info);

/* GET /cacerts and decide which of its certificates to trust: those that
 * chain to conf->ca_file (or the system store), else the self-signed ones
 * whose SHA-256 fingerprint is `fingerprint` or that the user confirms at
 * the terminal. *anchors: free with rgs_certs_free(). Reports failures. */
int rgs_est_trust(const rgs_cli *cli, const char *command, const rgs_est_conf *conf,
                  const char *fingerprint, STACK_OF(X509) **anchors);

/* Called after each "not yet" (202), with the delay the server asked for. */
typedef int (*rgs_est_pending_fn)(void *ud, long retry_after);

/* POST the request; while the server says "not yet" and wait is set, wait
 * the Retry-After it gives (never less) and ask again, until deadline.
 * Returns RGS_EXIT_OK with *certs set (issued) or with *certs NULL (still
 * pending: *retry_after says when to ask), or a reported failure. */
int rgs_est_poll(const rgs_cli *cli, const char *command, const rgs_est_conf *conf,
                 X509_REQ *req, int reenroll, int wait, time_t deadline,
                 rgs_est_pending_fn on_pending, void *ud, STACK_OF(X509) **certs,
                 long *retry_after, int *tries);

/* The certificate for the request's key among what the server returned,
 * chaining to the anchors (and ca_file or the system store). Reports. */
int rgs_est_answer_leaf(const rgs_cli *cli, const char *command, X509_REQ *req,
                        STACK_OF(X509) *certs, STACK_OF(X509) *anchors, const char *ca_file,
                        X509 **leaf);

#endif
