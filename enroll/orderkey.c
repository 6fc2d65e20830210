/* SPDX-License-Identifier: BSD-3-Clause */
/* orderkey.c - the key pair of an order for start --order (see orderkey.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/pem.h>
#include "orderkey.h"
#include "orders.h"

#define CMD "start"

const char *rgs_orderkey_origin_name(rgs_orderkey_origin o)
{
  switch (o) {
  case RGS_ORDERKEY_GENERATED: return "generated";
  case RGS_ORDERKEY_REUSED: return "reused";
  case RGS_ORDERKEY_RECOVERED: return "recovered";
  }
  return "?";
}

int rgs_orderkey_begin(rgs_orderkey *k, const rgs_io *io, rgs_order_store *st, long long id,
                       int new_key, int yes)
{
  char path[PATH_MAX], err[PATH_MAX + 256], msg[256];
  long holder = 0;
  rgs_orderlock_rc lrc;
  rgs_order_rc orc;

  memset(k, 0, sizeof(*k));
  k->io = io;
  k->st = st;
  k->id = id;
  k->new_key = new_key;
  k->yes = yes;
  if (rgs_store_path(io, path, sizeof(path)) != RGS_ORDER_OK)
    return rgs_fail(io, CMD, RGS_EXIT_STORE, rgs_order_strerror(RGS_ORDER_ERR_IO), NULL);
  err[0] = '\0';
  lrc = rgs_orderlock_take(path, id, &k->lock, &holder, err, sizeof(err));
  switch (lrc) {
  case RGS_ORDERLOCK_OK:
    break;
  case RGS_ORDERLOCK_BUSY:
    if (holder > 0)
      snprintf(msg, sizeof(msg), _("another rgs-enroll is preparing order %lld (pid %ld)"), id,
               holder);
    else
      snprintf(msg, sizeof(msg), _("another rgs-enroll is preparing order %lld"), id);
    return rgs_fail(io, CMD, RGS_EXIT_STORE, msg,
                    _("nothing was done; let it finish, then run start again if it failed"));
  case RGS_ORDERLOCK_ERR_NOMEM:
  case RGS_ORDERLOCK_ERR_ARG:
    return rgs_fail(io, CMD, RGS_EXIT_INTERNAL, rgs_orderlock_strerror(lrc), NULL);
  case RGS_ORDERLOCK_ERR_PATH:
  case RGS_ORDERLOCK_ERR_IO:
  case RGS_ORDERLOCK_ERR_FULL:
    return rgs_fail(io, CMD, RGS_EXIT_STORE, rgs_orderlock_strerror(RGS_ORDERLOCK_ERR_IO), err);
  }
  /* Read under the lock: a run that ended meanwhile may have bound a key. */
  orc = rgs_order_binding_get(st, id, &k->binding, &k->bound);
  if (orc != RGS_ORDER_OK)
    return rgs_fail_store(io, CMD, orc, st);
  return RGS_EXIT_OK;
}

/* The order's key pair is on another token: nothing to do here. */
static int refuse_elsewhere(const rgs_orderkey *k, const char *serial)
{
  char msg[160], detail[512];

  snprintf(detail, sizeof(detail),
           _("nothing was done. Plug in the token with serial %s and run start again; or, to "
             "make a new key pair on this token (serial %s) and replace the order's request: "
             "rgs-enroll start --order %lld --new-key"),
           k->binding.token_serial, serial, k->id);
  snprintf(msg, sizeof(msg), _("the key pair of order %lld is on another token"), k->id);
  return rgs_fail(k->io, CMD, RGS_EXIT_TOKEN, msg, detail);
}

int rgs_orderkey_check_token(rgs_orderkey *k, rgs_session *s)
{
  const char *serial = rgs_p11_token_info(s->tok)->serial;

  if (!k->bound || k->binding.token_serial[0] == '\0' ||
      strcmp(k->binding.token_serial, serial) == 0)
    return RGS_EXIT_OK;
  if (k->new_key) {
    rgs_warn(k->io, _("the key pair of order %lld stays on the token with serial %s: --new-key "
                       "cannot remove it from here; once the new request is bound, a "
                       "certificate asked with it is of no use"),
             k->id, k->binding.token_serial);
    return RGS_EXIT_OK;
  }
  /* A leftover of the order on this token is removed first (after the
   * login), so that plugging this token in clears it. */
  if (rgs_orderlock_left(k->lock, serial)->present) {
    k->elsewhere = 1;
    return RGS_EXIT_OK;
  }
  return refuse_elsewhere(k, serial);
}

/* The public key of the bound request. */
static EVP_PKEY *bound_public_key(const rgs_orderkey *k)
{
  BIO *bio = BIO_new_mem_buf(k->binding.csr_pem, -1);
  X509_REQ *req = bio != NULL ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
  EVP_PKEY *pkey = req != NULL ? X509_REQ_get_pubkey(req) : NULL;

  X509_REQ_free(req);
  BIO_free(bio);
  return pkey;
}

static void key_spec_of(const rgs_p11_key *key, rgs_p11_keyspec *spec)
{
  const rgs_p11_key_attrs *a = rgs_p11_key_get_attrs(key);

  memset(spec, 0, sizeof(*spec));
  spec->type = a->type;
  spec->bits = a->bits;
  spec->curve = a->curve;
}

static int key_is_spec(const rgs_p11_key *key, const rgs_p11_keyspec *spec)
{
  const rgs_p11_key_attrs *a = rgs_p11_key_get_attrs(key);

  if (a->type != spec->type)
    return 0;
  return spec->type == RGS_KEY_RSA ? a->bits == spec->bits : a->curve == spec->curve;
}

typedef enum {
  KEY_GOOD,            /* as a new key would be */
  KEY_OTHER_TYPE,      /* not the --key-type asked */
  KEY_FAILS_RGS,       /* does not meet RGS** for the order's validity */
} key_verdict;

/* A key found on the token, judged as a new one would be: the --key-type
 * asked if any, then RGS** for the order's validity, on a report of its own
 * (a key that is not used must leave nothing in the run's report). why
 * says what is wrong. Reports nothing: the callers decide. */
static rgs_p11_rc judge_key(rgs_session *s, const rgs_p11_key *key, const rgs_keygen_opts *o,
                            const rgs_p11_requirements *req, key_verdict *v, char *why,
                            size_t why_len)
{
  rgs_p11_report *scratch = NULL;
  const rgs_p11_criterion *c;
  rgs_p11_keyspec asked, is;
  char is_name[32];
  rgs_p11_rc rc;
  size_t i;

  *v = KEY_GOOD;
  why[0] = '\0';
  if (o->key_type != NULL && rgs_p11_keyspec_parse(o->key_type, &asked) == RGS_P11_OK &&
      !key_is_spec(key, &asked)) {
    key_spec_of(key, &is);
    snprintf(is_name, sizeof(is_name), "%s", rgs_p11_keyspec_name(&is));
    snprintf(why, why_len, _("it is %s, not the %s that --key-type asks"), is_name,
             rgs_p11_keyspec_name(&asked));
    *v = KEY_OTHER_TYPE;
    return RGS_P11_OK;
  }
  rc = rgs_p11_check_key(s->tok, key, req, &scratch);
  if (rc == RGS_P11_OK && !rgs_p11_report_passed(scratch)) {
    *v = KEY_FAILS_RGS;
    for (i = 0; i < rgs_p11_report_count(scratch); i++) {
      c = rgs_p11_report_get(scratch, i);
      if (c->verdict != RGS_CHECK_PASS) {
        snprintf(why, why_len, "%s: %s", c->title, c->evidence);
        break;
      }
    }
  }
  rgs_p11_report_free(scratch);
  return rc;
}

/* A found key that will be used: its criteria join the run's report, and
 * text mode shows them. */
static int adopt_key(rgs_orderkey *k, rgs_session *s, const rgs_p11_key *key,
                     const rgs_p11_requirements *req, rgs_p11_report **rep)
{
  size_t n_token = rgs_p11_report_count(*rep);
  rgs_p11_rc rc = rgs_p11_check_key(s->tok, key, req, rep);

  if (rc != RGS_P11_OK)
    return rgs_fail_p11(k->io, CMD, rc, s->ctx);
  if (!k->io->json) {
    rgs_print_key(k->io, s, key);
    rgs_print_report_from(k->io, *rep, n_token);
  }
  return RGS_EXIT_OK;
}

/* The key recorded in the journal of an interrupted run on this token and
 * bound to no other order; NULL when there is none. */
static int find_leftover(rgs_orderkey *k, rgs_session *s, const rgs_orderlock_journal *left,
                         rgs_p11_key **out)
{
  rgs_p11_key *key = NULL;
  unsigned char spki[32];
  long long other = 0;
  rgs_p11_rc rc;
  rgs_order_rc orc;

  *out = NULL;
  rc = rgs_p11_key_find_leftover_ids(s->tok, left->tmp_id, left->tmp_len, left->key_id,
                                     left->key_len, &key);
  if (rc == RGS_P11_ERR_KEY_NOT_FOUND)
    return RGS_EXIT_OK;                 /* the run died before the card made it */
  if (rc != RGS_P11_OK)
    return rgs_fail_p11(k->io, CMD, rc, s->ctx);
  if (!rgs_spki_sha256(rgs_p11_key_public(key), spki)) {
    rgs_p11_key_free(key);
    return rgs_fail(k->io, CMD, RGS_EXIT_INTERNAL, rgs_p11_strerror(RGS_P11_ERR_CRYPTO), NULL);
  }
  orc = rgs_order_find_by_spki(k->st, spki, &other);
  if (orc != RGS_ORDER_OK) {
    rgs_p11_key_free(key);
    return rgs_fail_store(k->io, CMD, orc, k->st);
  }
  if (other != 0) {
    /* Bound after all: this order's own key (dealt with as such), or,
     * against all odds, another order's, which is never touched. */
    if (other != k->id)
      rgs_warn(k->io, _("the key pair recorded for order %lld is bound to order %lld; it is left alone"),
               k->id, other);
    rgs_p11_key_free(key);
    return RGS_EXIT_OK;
  }
  *out = key;
  return RGS_EXIT_OK;
}

/* Remove a leftover that will not be used; say so either way. 1 when it
 * was removed. */
static int remove_leftover(rgs_orderkey *k, rgs_session *s, rgs_p11_key *key, const char *why)
{
  char *uri = rgs_p11_key_uri(s->tok, key);
  int removed = rgs_p11_key_destroy(s->tok, key) == RGS_P11_OK;

  if (removed)
    rgs_warn(k->io, _("the key pair an interrupted run of order %lld left on the token was removed: %s"),
             k->id, why);
  else
    rgs_warn(k->io, _("the key pair an interrupted run of order %lld left could not be removed (%s); it stays on the token as %s"),
             k->id, rgs_p11_last_error(s->ctx), uri != NULL ? uri : "?");
  free(uri);
  return removed;
}

typedef enum { ANSWER_YES, ANSWER_OTHER, ANSWER_NO_ONE } answer;

/* --new-key with the order's key on this token: the person says yes
 * (ANSWER_NO_ONE: no one to ask, no terminal or --json). */
static answer confirmed(const rgs_orderkey *k, const rgs_p11_key *old)
{
  char line[32];

  if (k->yes)
    return ANSWER_YES;
  if (k->io->json || !isatty(STDIN_FILENO))
    return ANSWER_NO_ONE;
  printf(_("The key pair of order %lld (label \"%s\") will be removed from the token once the new "
           "request is bound: a certificate asked with it could no longer be used.\n"
           "Type yes to go on: "),
         k->id, rgs_p11_key_label(old));
  fflush(stdout);
  if (fgets(line, sizeof(line), stdin) == NULL)
    return ANSWER_OTHER;
  line[strcspn(line, "\r\n")] = '\0';
  return strcmp(line, "yes") == 0 || strcmp(line, _("yes")) == 0 ? ANSWER_YES : ANSWER_OTHER;
}

/* --new-key not confirmed: nothing done; the command line lacks --yes
 * (exit 2, as for any usage error). */
static int refuse_unconfirmed(const rgs_orderkey *k, answer a)
{
  char msg[160];

  snprintf(msg, sizeof(msg),
           _("--new-key would remove the key pair of order %lld from the token"), k->id);
  return rgs_fail(k->io, CMD, RGS_EXIT_USAGE, msg,
                  a == ANSWER_NO_ONE ? _("nothing was done; confirm with --yes, or answer the question in a terminal")
                             : _("nothing was done: the answer was not yes"));
}

/* The order's key found on the token does not pass: refused, once. */
static int refuse_bound(rgs_orderkey *k, rgs_session *s, const rgs_p11_key *key,
                        key_verdict v, const char *why, const rgs_p11_requirements *req,
                        rgs_p11_report **rep)
{
  char msg[512], detail[512];
  size_t n_token;
  rgs_p11_rc rc;

  if (v == KEY_OTHER_TYPE) {
    snprintf(detail, sizeof(detail),
             _("the key pair of order %lld: %s; to make a new one: rgs-enroll start --order %lld --new-key"),
             k->id, why, k->id);
    return rgs_fail(k->io, CMD, RGS_EXIT_CHECK, rgs_p11_strerror(RGS_P11_ERR_KEY_REFUSED),
                    detail);
  }
  /* The criteria go with the refusal: they say what fails. */
  n_token = rgs_p11_report_count(*rep);
  rc = rgs_p11_check_key(s->tok, key, req, rep);
  if (rc != RGS_P11_OK)
    return rgs_fail_p11(k->io, CMD, rc, s->ctx);
  if (!k->io->json) {
    rgs_print_key(k->io, s, key);
    rgs_print_report_from(k->io, *rep, n_token);
  }
  snprintf(msg, sizeof(msg),
           _("the key pair of order %lld no longer meets RGS** for the order (%s); to make a new "
             "one: rgs-enroll start --order %lld --new-key"),
           k->id, why, k->id);
  return rgs_fail_report(k->io, CMD, RGS_EXIT_CHECK, msg, *rep);
}

/* --new-key and the order's key is not on this token: say where it stays. */
static void warn_old_key_stays(const rgs_orderkey *k, const char *serial)
{
  /* on another token: rgs_orderkey_check_token() said so */
  if (k->binding.token_serial[0] != '\0' && strcmp(k->binding.token_serial, serial) != 0)
    return;
  if (k->binding.token_serial[0] == '\0')
    rgs_warn(k->io, _("the key pair of order %lld is not on this token; if it is on another "
                       "token, it stays there"),
             k->id);
}

/* The order has a binding: its key is used again, or, with --new-key,
 * kept aside to be removed once the new request is bound. *key is set when
 * it is used again. */
static int bound_key(rgs_orderkey *k, rgs_session *s, const rgs_keygen_opts *o,
                     const rgs_p11_requirements *req, rgs_p11_report **rep, rgs_p11_key **key,
                     int *absent)
{
  EVP_PKEY *pub = bound_public_key(k);
  rgs_p11_key *found = NULL;
  key_verdict v;
  rgs_p11_rc rc;
  char msg[160], detail[512], why[320];
  answer said;
  int ret;

  if (pub == NULL)
    return rgs_fail(k->io, CMD, RGS_EXIT_STORE, rgs_order_strerror(RGS_ORDER_ERR_IO),
                    _("the request bound to the order cannot be read"));
  rc = rgs_p11_key_find_by_public(s->tok, pub, &found);
  EVP_PKEY_free(pub);
  if (rc != RGS_P11_OK && rc != RGS_P11_ERR_KEY_NOT_FOUND)
    return rgs_fail_p11(k->io, CMD, rc, s->ctx);
  *absent = found == NULL;
  if (found == NULL && !k->new_key) {
    snprintf(msg, sizeof(msg), _("the key pair of order %lld is not on this token"), k->id);
    snprintf(detail, sizeof(detail),
             _("its public key (SPKI SHA-256 %.16s...) was not found; nothing was done. Plug in "
               "the token that holds it; or, to make a new key pair and replace the order's "
               "request: rgs-enroll start --order %lld --new-key"),
             k->binding.spki_sha256, k->id);
    return rgs_fail(k->io, CMD, RGS_EXIT_TOKEN, msg, detail);
  }
  if (found == NULL) {
    warn_old_key_stays(k, rgs_p11_token_info(s->tok)->serial);
    return RGS_EXIT_OK;             /* --new-key, nothing to remove here */
  }
  if (k->new_key) {
    said = confirmed(k, found);
    if (said != ANSWER_YES) {
      rgs_p11_key_free(found);
      return refuse_unconfirmed(k, said);
    }
    k->old_key = found;
    return RGS_EXIT_OK;
  }
  rc = judge_key(s, found, o, req, &v, why, sizeof(why));
  if (rc != RGS_P11_OK)
    ret = rgs_fail_p11(k->io, CMD, rc, s->ctx);
  else if (v != KEY_GOOD)
    ret = refuse_bound(k, s, found, v, why, req, rep);
  else
    ret = adopt_key(k, s, found, req, rep);
  if (ret != RGS_EXIT_OK) {
    rgs_p11_key_free(found);
    return ret;
  }
  if (!k->io->json)
    printf(_("Order %lld already has its key pair on this token: it is used again, no new key pair is made.\n"),
           k->id);
  k->origin = RGS_ORDERKEY_REUSED;
  *key = found;
  return RGS_EXIT_OK;
}

/* A leftover of this order's interrupted run, when the order needs a key:
 * used if it passes, else removed (a new one is made). Takes left; *key
 * set when used. */
static int use_leftover(rgs_orderkey *k, rgs_session *s, rgs_p11_key *left, long pid,
                        const rgs_keygen_opts *o, const rgs_p11_requirements *req,
                        rgs_p11_report **rep, rgs_p11_key **key)
{
  char why[320], because[400];
  key_verdict v;
  rgs_p11_rc rc = judge_key(s, left, o, req, &v, why, sizeof(why));
  int ret;

  if (rc != RGS_P11_OK) {
    rgs_p11_key_free(left);
    return rgs_fail_p11(k->io, CMD, rc, s->ctx);
  }
  if (v == KEY_GOOD) {
    ret = adopt_key(k, s, left, req, rep);
    if (ret != RGS_EXIT_OK) {
      rgs_p11_key_free(left);
      return ret;
    }
    if (!k->io->json)
      printf(_("Found the key pair an interrupted run of order %lld (process %ld) left on this token: it is used, no new key pair is made.\n"),
             k->id, pid);
    k->origin = RGS_ORDERKEY_RECOVERED;
    *key = left;
    return RGS_EXIT_OK;
  }
  if (v == KEY_OTHER_TYPE)
    snprintf(because, sizeof(because), _("%s; a new one is made"), why);
  else
    snprintf(because, sizeof(because), _("it does not meet RGS** for the order (%s); a new one is made"),
             why);
  remove_leftover(k, s, left, because);
  rgs_p11_key_free(left);
  return RGS_EXIT_OK;
}

/* The id a leftover is known by, in hex, for a person to remove it. */
static const char *journal_id(const rgs_orderlock_journal *j, char *hex)
{
  const unsigned char *id = j->key_len > 0 ? j->key_id : j->tmp_id;
  size_t len = j->key_len > 0 ? j->key_len : j->tmp_len;

  return rgsx_hex(id, len, hex);
}

/* Leftovers of the order on other tokens: they stay in the journal until
 * their token is seen. Refused when the order needs a key, has none here
 * and --new-key was not given; else each is named. */
static int foreign_leftovers(rgs_orderkey *k, const char *serial, int have_leftover)
{
  const rgs_orderlock_journal *e;
  char msg[200], hex[2 * RGS_ORDERLOCK_ID_MAX + 1];
  size_t i;

  for (i = 0; i < rgs_orderlock_left_count(k->lock); i++) {
    e = rgs_orderlock_left_at(k->lock, i);
    if (strcmp(e->token_serial, serial) == 0)
      continue;
    snprintf(msg, sizeof(msg),
             _("an interrupted run of order %lld made a key pair on another token (serial %s)"),
             k->id, e->token_serial);
    if (!k->new_key && !k->bound && !have_leftover)
      return rgs_fail(k->io, CMD, RGS_EXIT_TOKEN, msg,
                      _("nothing was done. Plug in that token and run start again, so that this "
                        "key pair is used or removed; or make a key pair on this token with "
                        "--new-key (the other one then stays on its token)"));
    rgs_warn(k->io, _("%s, with CKA_ID %s. It stays on that token and on record: when that "
                       "token is plugged in, rgs-enroll start --order %lld removes it, the order "
                       "having its key pair on this token"),
             msg, journal_id(e, hex), k->id);
  }
  return RGS_EXIT_OK;
}

/* A leftover that the order has no use for (its own key pair is elsewhere):
 * removed, and forgotten once removed. Takes leftover (may be NULL: the
 * card made nothing, forgotten too). */
static void drop_leftover(rgs_orderkey *k, rgs_session *s, rgs_p11_key *leftover,
                          const char *serial)
{
  int forget = 1;

  if (leftover != NULL)
    forget = remove_leftover(k, s, leftover, _("the order has its key pair on another token"));
  rgs_p11_key_free(leftover);
  if (forget && rgs_orderlock_done(k->lock, serial) != RGS_ORDERLOCK_OK)
    rgs_warn(k->io, _("the order's lock file %s could not be updated: %s"),
             rgs_orderlock_path(k->lock), strerror(errno));
}

int rgs_orderkey_get(rgs_orderkey *k, rgs_session *s, const rgs_keygen_opts *o,
                     const rgs_p11_keyspec *spec, const rgs_p11_requirements *req,
                     rgs_p11_report **rep, rgs_p11_key **key)
{
  const char *serial = rgs_p11_token_info(s->tok)->serial;
  const rgs_orderlock_journal *here = rgs_orderlock_left(k->lock, serial);
  rgs_p11_key *leftover = NULL;
  long pid = here->pid;
  rgs_orderlock_rc lrc;
  int ret, absent = 0;

  *key = NULL;
  if (here->present) {
    ret = find_leftover(k, s, here, &leftover);
    if (ret != RGS_EXIT_OK)
      return ret;
  }
  if (k->elsewhere) {
    /* bound on another token: this token's leftover goes, then the refusal */
    drop_leftover(k, s, leftover, serial);
    return refuse_elsewhere(k, serial);
  }
  ret = foreign_leftovers(k, serial, leftover != NULL);
  if (ret != RGS_EXIT_OK) {
    rgs_p11_key_free(leftover);
    return ret;
  }
  if (k->bound) {
    ret = bound_key(k, s, o, req, rep, key, &absent);
    if (ret != RGS_EXIT_OK && absent && here->present) {
      drop_leftover(k, s, leftover, serial);     /* the order's key pair is elsewhere */
      return ret;
    }
    if (ret != RGS_EXIT_OK || *key != NULL) {
      /* The order keeps its own key: an unbound leftover has no use. */
      if (ret == RGS_EXIT_OK && leftover != NULL)
        remove_leftover(k, s, leftover, _("the order's own key pair is used"));
      rgs_p11_key_free(leftover);
      return ret;
    }
  }
  if (leftover != NULL) {
    ret = use_leftover(k, s, leftover, pid, o, req, rep, key);
    if (ret != RGS_EXIT_OK || *key != NULL)
      return ret;
  }
  lrc = rgs_orderlock_begin_key(k->lock, serial);
  if (lrc != RGS_ORDERLOCK_OK)
    return rgs_fail(k->io, CMD, RGS_EXIT_STORE, rgs_orderlock_strerror(lrc),
                    rgs_orderlock_path(k->lock));
  ret = rgs_step_make_key(s, o, spec, req, rep, rgs_orderlock_note_id, k->lock, key, CMD);
  if (ret == RGS_EXIT_OK)
    k->origin = RGS_ORDERKEY_GENERATED;
  return ret;
}

void rgs_orderkey_finish(rgs_orderkey *k, rgs_session *s)
{
  char *uri = NULL;

  if (k->old_key != NULL) {
    uri = rgs_p11_key_uri(s->tok, k->old_key);
    if (rgs_p11_key_destroy(s->tok, k->old_key) == RGS_P11_OK) {
      if (!k->io->json)
        printf(_("The previous key pair of order %lld was removed from the token.\n"), k->id);
    } else {
      rgs_warn(k->io, _("the previous key pair of order %lld could not be removed (%s); it stays on the token as %s"),
               k->id, rgs_p11_last_error(s->ctx), uri != NULL ? uri : "?");
    }
    free(uri);
  }
  /* This token's entry only: leftovers on other tokens wait for them. */
  if (rgs_orderlock_done(k->lock, rgs_p11_token_info(s->tok)->serial) != RGS_ORDERLOCK_OK)
    rgs_warn(k->io, _("the order's lock file %s could not be updated: %s"),
             rgs_orderlock_path(k->lock), strerror(errno));
}

void rgs_orderkey_end(rgs_orderkey *k)
{
  rgs_p11_key_free(k->old_key);
  k->old_key = NULL;
  rgs_order_binding_clear(&k->binding);
  rgs_orderlock_release(k->lock);
  k->lock = NULL;
}
