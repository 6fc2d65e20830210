/* SPDX-License-Identifier: BSD-3-Clause */
/* watch_plan.c - a token was plugged in: which step of the enrolment comes next.
 *
 * The token is found in the store by its serial number (the binding that
 * `start --order` and `order link` record), else by a key pair it holds
 * whose public key is the key of an order's request. A certificate never
 * binds: it is public, anyone can copy one onto any token. Nothing else
 * binds a token to an order: a token bound to nothing that holds a user
 * certificate and its key pair was delivered by the CA; any other token bound
 * to nothing is not the watcher's to use. When one order awaits a key, the
 * command that would make it on this token is proposed to the person,
 * never run: a new, unrelated token plugged in for something else must
 * not get an order's key pair. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/x509v3.h>
#include "steps.h"
#include "orders.h"
#include "watch.h"

#define PLAN_MAX_IDS 16

const char *rgs_watch_action_name(rgs_watch_action a)
{
  switch (a) {
  case RGS_WATCH_IGNORE: return "ignore";
  case RGS_WATCH_START: return "start";
  case RGS_WATCH_INSTALL: return "install";
  case RGS_WATCH_DELIVERED: return "check-delivered";
  case RGS_WATCH_TELL: return "tell";
  case RGS_WATCH_DONE: return "done";
  case RGS_WATCH_NO_ORDER: return "no-order";
  case RGS_WATCH_AMBIGUOUS: return "ambiguous";
  case RGS_WATCH_PROPOSE: return "propose";
  case RGS_WATCH_NOT_AWAITING: return "not-awaiting-key";
  }
  return "ignore";
}

void rgs_watch_next_text(const rgs_watch_plan *p, char *buf, size_t len)
{
  const char *what = NULL;

  switch (p->next) {
  case RGS_NEXT_ACCEPT_CGU: what = _("accept the general terms of use (CGU) to complete the order"); break;
  case RGS_NEXT_CHOOSE_PAYMENT: what = _("choose the payment method to complete the order"); break;
  case RGS_NEXT_MAKE_KEY: what = _("generate the key pair on the token (rgs-enroll start --order)"); break;
  case RGS_NEXT_LINK_CSR: what = _("bind the certificate request to the order (rgs-enroll order link)"); break;
  case RGS_NEXT_SUBMIT: what = _("hand the certificate request to the CA (rgs-enroll submit)"); break;
  case RGS_NEXT_CHOOSE_AED: what = _("choose the AED office for the face-to-face (rgs-enroll aed)"); break;
  case RGS_NEXT_BOOK_AED: what = _("book the face-to-face appointment with the AED"); break;
  case RGS_NEXT_MEET_AED: what = _("meet the AED for the face-to-face, with this token and your documents"); break;
  case RGS_NEXT_PREPARE_DOCS: what = _("prepare the documents that are still missing"); break;
  case RGS_NEXT_SEND_DOCS: what = _("post the signed originals to Certigna"); break;
  case RGS_NEXT_WAIT_ISSUE: what = _("wait for the CA to issue the certificate, then plug the token in again"); break;
  case RGS_NEXT_INSTALL: what = _("install the issued certificate (rgs-enroll install)"); break;
  case RGS_NEXT_NOTHING: what = _("nothing: the certificate is installed"); break;
  case RGS_NEXT_CANCELLED: what = _("nothing: the order is cancelled"); break;
  case RGS_NEXT_REFUSED: what = _("call Certigna: the CA refused the request"); break;
  }
  /* TRANSLATORS: order number, what to do next, order number. */
  snprintf(buf, len, _("Order %lld, next: %s. Details: rgs-enroll status %lld"), p->order_id,
           what != NULL ? what : "?", p->order_id);
}

/* The SHA-256 of the public keys of the token's key pairs, and whether it
 * holds a user (non-CA) certificate together with its key pair. Read
 * without a PIN.
 *
 * A key pair, not a certificate: a certificate is public and a copy of
 * one can be written on any token, so it proves nothing. The private key
 * itself cannot be the evidence: keygen makes it CKA_PRIVATE, and tokens
 * (SoftHSM, the cards) hide such objects until a login. The strongest
 * evidence without a PIN is the public-key object, which C_GenerateKeyPair
 * makes on the card with the private key; the step that follows logs in
 * and finds the private key by that public key before using it. */
typedef struct {
  unsigned char spki[16][32];
  size_t n;
  int has_user_cert;
} token_certs;

static int has_key(const token_certs *tc, const unsigned char spki[32])
{
  size_t i;

  for (i = 0; i < tc->n; i++)
    if (memcmp(tc->spki[i], spki, 32) == 0)
      return 1;
  return 0;
}

static int read_certs(const rgs_io *io, rgs_p11_ctx *ctx, const rgs_p11_slot_info *info,
                      token_certs *tc)
{
  rgs_p11_uri *uri = NULL;
  rgs_p11_token *tok = NULL;
  rgs_p11_cert *certs = NULL;
  unsigned char (*keys)[32] = NULL, spki[32];
  size_t n = 0, n_keys = 0, i;
  rgs_p11_rc rc;
  int ret = RGS_EXIT_OK;

  memset(tc, 0, sizeof(*tc));
  rc = rgs_p11_uri_for_token(info, &uri);
  if (rc == RGS_P11_OK)
    rc = rgs_p11_token_open(ctx, uri, &tok);
  if (rc == RGS_P11_OK)
    rc = rgs_p11_public_key_hashes(tok, &keys, &n_keys);
  if (rc == RGS_P11_OK)
    rc = rgs_p11_cert_list(tok, &certs, &n);
  if (rc != RGS_P11_OK) {
    ret = rgs_fail_p11(io, "watch", rc, ctx);
    goto cleanup;
  }
  for (i = 0; i < n_keys && tc->n < RGS_ARRAY_LEN(tc->spki); i++)
    memcpy(tc->spki[tc->n++], keys[i], 32);
  /* A user certificate counts only with its key pair on the token. */
  for (i = 0; i < n; i++) {
    EVP_PKEY *pub = X509_get0_pubkey(certs[i].x509);
    if (X509_check_ca(certs[i].x509) == 0 && certs[i].category != RGS_CERT_CATEGORY_AUTHORITY &&
        pub != NULL && rgs_spki_sha256(pub, spki) && has_key(tc, spki))
      tc->has_user_cert = 1;
  }

cleanup:
  free(keys);
  rgs_p11_cert_list_free(certs, n);
  rgs_p11_token_close(tok);
  rgs_p11_uri_free(uri);
  return ret;
}

typedef struct {
  long long ids[PLAN_MAX_IDS];
  size_t n;
} id_list;

static int collect(void *ud, const rgs_order *o)
{
  id_list *l = ud;

  if (l->n < PLAN_MAX_IDS)
    l->ids[l->n] = o->id;
  l->n++;
  return 0;
}

static rgs_order_rc orders_in(rgs_order_store *st, rgs_order_status status, id_list *l)
{
  rgs_order_filter f;

  memset(&f, 0, sizeof(f));
  memset(l, 0, sizeof(*l));
  f.status_set = 1;
  f.status = status;
  f.open_only = 1;
  return rgs_order_list(st, &f, collect, l, NULL);
}

/* The next step of order o, in p->next. */
static rgs_order_rc next_step(rgs_order_store *st, const rgs_order *o, rgs_watch_plan *p)
{
  rgs_order_appointment appt;
  rgs_order_doc docs[RGS_DOC_COUNT];
  rgs_order_next next[4];
  int found = 0;
  rgs_order_rc rc;

  memset(&appt, 0, sizeof(appt));
  rc = rgs_order_appointment_get(st, o->id, &appt, &found);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_docs_get(st, o->id, docs);
  if (rc != RGS_ORDER_OK)
    return rc;
  if (rgs_order_next_steps(o, found ? &appt : NULL, docs, next, RGS_ARRAY_LEN(next)) == 0)
    next[0] = RGS_NEXT_NOTHING;
  p->next = next[0];
  return RGS_ORDER_OK;
}

/* What to do for an order bound to the token (or the only one awaiting a key). */
static rgs_order_rc plan_order(rgs_order_store *st, long long id, rgs_watch_plan *p)
{
  rgs_order o;
  rgs_order_rc rc;

  rc = rgs_order_get(st, id, &o);
  if (rc != RGS_ORDER_OK)
    return rc;
  p->order_id = id;
  p->status_known = 1;
  p->status = o.status;
  switch (o.status) {
  case RGS_STATUS_ORDERED: p->action = RGS_WATCH_START; return RGS_ORDER_OK;
  case RGS_STATUS_ISSUED: p->action = RGS_WATCH_INSTALL; return RGS_ORDER_OK;
  case RGS_STATUS_INSTALLED: p->action = RGS_WATCH_DONE; p->next = RGS_NEXT_NOTHING; return RGS_ORDER_OK;
  default: break;
  }
  p->action = RGS_WATCH_TELL;
  return next_step(st, &o, p);
}

/* Among the orders bound to the serial (newest first), the newest one
 * still open, else the newest. */
static rgs_order_rc pick_bound(rgs_order_store *st, const long long *ids, size_t n, long long *id)
{
  rgs_order o;
  size_t i;
  rgs_order_rc rc;

  *id = ids[0];
  for (i = 0; i < n && i < PLAN_MAX_IDS; i++) {
    rc = rgs_order_get(st, ids[i], &o);
    if (rc != RGS_ORDER_OK)
      return rc;
    if (!rgs_order_status_final(o.status)) {
      *id = ids[i];
      break;
    }
  }
  return RGS_ORDER_OK;
}

static void join_ids(const id_list *l, char *buf, size_t len)
{
  size_t i, o = 0;

  buf[0] = '\0';
  for (i = 0; i < l->n && i < PLAN_MAX_IDS && o + 24 < len; i++)
    o += (size_t)snprintf(buf + o, len - o, i == 0 ? "%lld" : ", %lld", l->ids[i]);
}

/* The order the person chose (watch --order) for a token bound to none:
 * START when it awaits a key; otherwise NOT_AWAITING with its status and
 * next step (status_known 0: not in the store). Never another order: the
 * person named this one. */
static rgs_order_rc plan_chosen(rgs_order_store *st, long long chosen, rgs_watch_plan *p)
{
  rgs_watch_plan mine;
  rgs_order o;
  rgs_order_rc rc;

  memset(&mine, 0, sizeof(mine));
  rc = plan_order(st, chosen, &mine);
  if (rc == RGS_ORDER_ERR_NO_ORDER) {
    p->action = RGS_WATCH_NOT_AWAITING;
    p->order_id = chosen;
    return RGS_ORDER_OK;
  }
  if (rc != RGS_ORDER_OK)
    return rc;
  if (mine.action == RGS_WATCH_START) {
    mine.how = 3;
    *p = mine;
    return RGS_ORDER_OK;
  }
  rc = rgs_order_get(st, chosen, &o);
  if (rc == RGS_ORDER_OK)
    rc = next_step(st, &o, &mine);
  if (rc != RGS_ORDER_OK)
    return rc;
  mine.action = RGS_WATCH_NOT_AWAITING;
  mine.how = 0;
  *p = mine;
  return RGS_ORDER_OK;
}

static rgs_order_rc plan_store(rgs_order_store *st, const rgs_p11_slot_info *info,
                               const token_certs *tc, long long chosen, rgs_watch_plan *p)
{
  long long ids[PLAN_MAX_IDS], id = 0;
  size_t n = 0, i;
  id_list l;
  rgs_order_rc rc;

  rc = rgs_order_find_by_token(st, info->serial, ids, PLAN_MAX_IDS, &n);
  if (rc != RGS_ORDER_OK)
    return rc;
  if (n > 0) {
    rc = pick_bound(st, ids, n, &id);
    p->how = 1;
  }
  for (i = 0; rc == RGS_ORDER_OK && id == 0 && i < tc->n; i++) {
    rc = rgs_order_find_by_spki(st, tc->spki[i], &id);
    p->how = 2;
  }
  if (rc != RGS_ORDER_OK)
    return rc;
  if (id != 0)
    return plan_order(st, id, p);
  p->how = 0;
  if (tc->has_user_cert) {
    p->action = RGS_WATCH_DELIVERED;
    return RGS_ORDER_OK;
  }
  if (chosen > 0)
    return plan_chosen(st, chosen, p);
  rc = orders_in(st, RGS_STATUS_ORDERED, &l);
  if (rc != RGS_ORDER_OK)
    return rc;
  if (l.n == 1) {
    /* Not bound: the step is the person's to choose (rgs_watch_plan_for
     * writes the command). */
    rc = plan_order(st, l.ids[0], p);
    if (rc == RGS_ORDER_OK && p->action == RGS_WATCH_START)
      p->action = RGS_WATCH_PROPOSE;
    return rc;
  }
  if (l.n > 1) {
    p->action = RGS_WATCH_AMBIGUOUS;
    join_ids(&l, p->candidates, sizeof(p->candidates));
    return RGS_ORDER_OK;
  }
  /* A draft that still needs the CGU or a payment: say so. */
  rc = orders_in(st, RGS_STATUS_DRAFT, &l);
  if (rc == RGS_ORDER_OK && l.n == 1)
    return plan_order(st, l.ids[0], p);
  return rc;
}

/* Append text to buf (size len, used *o), single-quoted for a POSIX shell
 * when quote is set. 0 when it does not fit. */
static int put(char *buf, size_t len, size_t *o, const char *text, int quote)
{
  const char *c;

  for (c = quote ? "'" : ""; *c != '\0'; c++)
    if (*o + 1 < len)
      buf[(*o)++] = *c;
  for (c = text; *c != '\0' && *o + 5 < len; c++) {
    if (quote && *c == '\'') {
      memcpy(buf + *o, "'\\''", 4);
      *o += 4;
    } else {
      buf[(*o)++] = *c;
    }
  }
  if (*c != '\0' || *o + 2 >= len)
    return 0;
  if (quote)
    buf[(*o)++] = '\'';
  buf[*o] = '\0';
  return 1;
}

/* The command the person may type to make the order's key pair on this
 * very token: the watcher's module, store and policies, this token's URI.
 * Without room for all of it, the short form (the person adds --token). */
static void propose_command(const rgs_io *io, const rgs_p11_slot_info *info, rgs_watch_plan *p)
{
  rgs_p11_uri *uri = NULL;
  char *uri_text = NULL, order[64];
  size_t o = 0, i;
  int ok;

  if (rgs_p11_uri_for_token(info, &uri) == RGS_P11_OK)
    uri_text = rgs_p11_uri_format(uri);
  snprintf(order, sizeof(order), " start --order %lld", p->order_id);
  ok = put(p->command, sizeof(p->command), &o, "rgs-enroll", 0);
  if (ok && io->module != NULL)
    ok = put(p->command, sizeof(p->command), &o, " --module ", 0) &&
         put(p->command, sizeof(p->command), &o, io->module, 1);
  if (ok && io->db != NULL)
    ok = put(p->command, sizeof(p->command), &o, " --db ", 0) &&
         put(p->command, sizeof(p->command), &o, io->db, 1);
  for (i = 0; ok && i < io->n_policies; i++)
    ok = put(p->command, sizeof(p->command), &o, " --policy ", 0) &&
         put(p->command, sizeof(p->command), &o, io->policies[i], 1);
  if (ok)
    ok = put(p->command, sizeof(p->command), &o, order, 0);
  if (ok && uri_text != NULL)
    ok = put(p->command, sizeof(p->command), &o, " --token ", 0) &&
         put(p->command, sizeof(p->command), &o, uri_text, 1);
  if (!ok || uri_text == NULL)
    snprintf(p->command, sizeof(p->command), "rgs-enroll%s", order);
  free(uri_text);
  rgs_p11_uri_free(uri);
}

int rgs_watch_plan_for(const rgs_io *io, rgs_p11_ctx *ctx, const rgs_p11_slot_info *info,
                       const char *db_path, long long chosen, rgs_watch_plan *plan)
{
  rgs_order_store *st = NULL;
  token_certs tc;
  char err[512];
  rgs_order_rc rc;
  int ret;

  memset(plan, 0, sizeof(*plan));
  plan->action = RGS_WATCH_IGNORE;
  if (!(info->token_flags & CKF_TOKEN_INITIALIZED))
    return RGS_EXIT_OK;
  ret = read_certs(io, ctx, info, &tc);
  if (ret != RGS_EXIT_OK)
    return ret;
  plan->action = tc.has_user_cert ? RGS_WATCH_DELIVERED : RGS_WATCH_NO_ORDER;
  if (access(db_path, F_OK) != 0)
    return RGS_EXIT_OK;        /* no store yet: nothing ordered */
  rc = rgs_order_store_open_existing(db_path, &st, err, sizeof(err));
  if (rc != RGS_ORDER_OK)
    return rgs_fail_order(io, "watch", rc, err);
  plan->action = RGS_WATCH_NO_ORDER;
  rc = plan_store(st, info, &tc, chosen, plan);
  ret = rc == RGS_ORDER_OK ? RGS_EXIT_OK : rgs_fail_store(io, "watch", rc, st);
  if (ret == RGS_EXIT_OK && plan->action == RGS_WATCH_PROPOSE)
    propose_command(io, info, plan);
  rgs_order_store_close(st);
  return ret;
}
