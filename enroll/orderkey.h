/* SPDX-License-Identifier: BSD-3-Clause */
/* orderkey.h - the key pair of an order for start --order: the order's
 * own key used again, the key an interrupted run left found and used, or a
 * new key made, one run at a time per order (orderlock.h).
 *
 * Decision rules (the same with and without --json):
 * - the order's bound key is on this token: used again (checked against
 *   RGS** for the order's validity); never a second key;
 * - bound, but on another token or gone: refused, saying how to start over
 *   (--new-key); with --new-key a bound key still on this token is removed
 *   only when the person confirms (terminal question, or --yes: else exit
 *   2, nothing done), and only after the new request is bound; a bound key
 *   on another token stays there, and the person is told so;
 * - a key left by an interrupted run of this order (recorded in the order's
 *   journal before C_GenerateKeyPair, so provably this order's and, when no
 *   order is bound to it, unbound): used when the order needs a key and it
 *   passes (RGS**, --key-type), removed when the order already has its own
 *   (here or on another token) or when it does not pass; a leftover bound to
 *   another order is never touched;
 * - a leftover on another token stays in the journal until that token is
 *   seen (a warning says what will then be done); the order needing a key
 *   without --new-key, it is refused.
 * A key found and not used leaves nothing in the run's report, and every
 * refusal is reported once. */
#ifndef RGS_ORDERKEY_H
#define RGS_ORDERKEY_H

#include "steps.h"
#include "orderlock.h"

typedef enum {
  RGS_ORDERKEY_GENERATED,      /* made by this run */
  RGS_ORDERKEY_REUSED,         /* the order's bound key */
  RGS_ORDERKEY_RECOVERED,      /* left by an interrupted run of the order */
} rgs_orderkey_origin;

typedef struct {
  const rgs_io *io;
  rgs_order_store *st;
  long long id;
  int new_key, yes;
  rgs_orderlock *lock;
  rgs_order_binding binding;
  int bound;
  int elsewhere;               /* bound on another token: refused once this token's leftover is dealt with */
  rgs_p11_key *old_key;        /* --new-key: removed once the new request is bound */
  rgs_orderkey_origin origin;
} rgs_orderkey;

/* "generated", "reused", "recovered": stable words for --json. */
const char *rgs_orderkey_origin_name(rgs_orderkey_origin o);

/* Before the token is touched: take the order's lock (another run holding
 * it: RGS_EXIT_STORE, naming its pid) and read the binding. Reports
 * failures; returns the exit. Always end with rgs_orderkey_end(). */
int rgs_orderkey_begin(rgs_orderkey *k, const rgs_io *io, rgs_order_store *st, long long id,
                       int new_key, int yes);
/* Before the login: the order's key on another token is refused here. */
int rgs_orderkey_check_token(rgs_orderkey *k, rgs_session *s);
/* Logged in: the key to use, by the rules above; *key to free with
 * rgs_p11_key_free(). spec: the type a new key would have. */
int rgs_orderkey_get(rgs_orderkey *k, rgs_session *s, const rgs_keygen_opts *o,
                     const rgs_p11_keyspec *spec, const rgs_p11_requirements *req,
                     rgs_p11_report **rep, rgs_p11_key **key);
/* The request is bound: remove the replaced key (--new-key), forget the
 * journal. Problems are warnings: the order is bound. */
void rgs_orderkey_finish(rgs_orderkey *k, rgs_session *s);
void rgs_orderkey_end(rgs_orderkey *k);

#endif
