/* SPDX-License-Identifier: BSD-3-Clause */
/* orderlock.h - one run at a time per order, and the journal of the key
 * pairs being made for it.
 *
 * The lock is an flock on a file beside the store, "<store>.order-N.lock":
 * it goes with the process, so a kill -9 never leaves it taken. The same
 * file keeps, until the key is bound to the order or dealt with, what a run
 * is about to make: per token, the token's serial and the key's one-time
 * and final CKA_ID. A run killed after C_GenerateKeyPair thus leaves enough
 * for the next one to find that key pair (rgs_p11_key_find_leftover_ids).
 * Entries are per token: a run on one token never forgets what was left on
 * another, which is dealt with when that token is seen again. */
#ifndef RGS_ORDERLOCK_H
#define RGS_ORDERLOCK_H

#include <stddef.h>

#define RGS_ORDERLOCK_ID_MAX 64
/* Tokens with a key pair left for one order; more is refused, not dropped. */
#define RGS_ORDERLOCK_ENTRIES_MAX 8

typedef struct rgs_orderlock rgs_orderlock;

typedef enum {
  RGS_ORDERLOCK_OK = 0,
  RGS_ORDERLOCK_BUSY,          /* another process holds it */
  RGS_ORDERLOCK_ERR_PATH,      /* the lock file's name would be too long */
  RGS_ORDERLOCK_ERR_IO,        /* the lock file cannot be opened, locked or written */
  RGS_ORDERLOCK_ERR_NOMEM,
  RGS_ORDERLOCK_ERR_ARG,       /* API misuse */
  RGS_ORDERLOCK_ERR_FULL,      /* RGS_ORDERLOCK_ENTRIES_MAX tokens already have an entry */
} rgs_orderlock_rc;

/* A sentence for rc, in the person's language (never NULL). */
const char *rgs_orderlock_strerror(rgs_orderlock_rc rc);

/* What a run that did not finish left on one token. */
typedef struct {
  int present;                 /* 0: nothing was left */
  long pid;                    /* the run that wrote it, 0 when unknown */
  char token_serial[33];
  unsigned char tmp_id[RGS_ORDERLOCK_ID_MAX];
  size_t tmp_len;              /* 0 when not recorded */
  unsigned char key_id[RGS_ORDERLOCK_ID_MAX];
  size_t key_len;              /* 0 when the run was killed before */
} rgs_orderlock_journal;

/* Take the lock of order id of the store at db_path, without waiting.
 * RGS_ORDERLOCK_BUSY: *holder is the pid of the run that holds it (0 when
 * it could not be read). On failure err says why. Release with
 * rgs_orderlock_release(). */
rgs_orderlock_rc rgs_orderlock_take(const char *db_path, long long id, rgs_orderlock **out,
                                    long *holder, char *err, size_t errlen);
/* What an earlier run left on the token token_serial (present 0: nothing);
 * borrowed from l. */
const rgs_orderlock_journal *rgs_orderlock_left(const rgs_orderlock *l, const char *token_serial);
/* Every entry an earlier run left (any token): how many, and the i-th. */
size_t rgs_orderlock_left_count(const rgs_orderlock *l);
const rgs_orderlock_journal *rgs_orderlock_left_at(const rgs_orderlock *l, size_t i);
/* Start the journal of a key pair about to be made on token_serial: it
 * replaces what was left on that token (dealt with by then), the entries
 * of other tokens stay. RGS_ORDERLOCK_ERR_FULL when
 * RGS_ORDERLOCK_ENTRIES_MAX other tokens already have one. Written and
 * synced at the first id noted. */
rgs_orderlock_rc rgs_orderlock_begin_key(rgs_orderlock *l, const char *token_serial);
/* Record an id of that key pair (final 0: one-time, 1: derived); same
 * shape as rgs_p11_keygen_note, to be passed as one (ud = the lock): an
 * rgs_orderlock_rc as int, RGS_ORDERLOCK_OK (0) once written and synced. */
int rgs_orderlock_note_id(void *lock, int final, const unsigned char *id, size_t len);
/* The key is bound, or what was left on token_serial is dealt with: forget
 * that token's entry, keep the others. RGS_ORDERLOCK_OK (0) on success
 * (errno set otherwise). */
rgs_orderlock_rc rgs_orderlock_done(rgs_orderlock *l, const char *token_serial);
/* Release the lock; the journal stays in the file. */
void rgs_orderlock_release(rgs_orderlock *l);
/* The file's path, for messages; borrowed. */
const char *rgs_orderlock_path(const rgs_orderlock *l);

#endif
