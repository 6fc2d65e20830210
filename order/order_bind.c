/* SPDX-License-Identifier: BSD-3-Clause */
/* order_bind.c - the key and its certificate request, bound to the order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "order_internal.h"

/* The order other than `self` that holds the key, 0 when none. */
static rgs_order_rc holder_of(rgs_order_store *s, const char *spki_hex, long long self,
                              long long *other)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  *other = 0;
  rc = order_prepare(s, "SELECT order_id FROM binding WHERE spki_sha256 = ? AND order_id != ?", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_text(st, 1, spki_hex, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, self);
  src = sqlite3_step(st);
  if (src == SQLITE_ROW)
    *other = sqlite3_column_int64(st, 0);
  else if (src != SQLITE_DONE)
    rc = order_sqlite_fail(s, src, _("reading the store"));
  sqlite3_finalize(st);
  return rc;
}

static rgs_order_rc write_binding(rgs_order_store *s, long long id, const rgs_order_link_input *in,
                                  const char *spki_hex)
{
  char stamp[RGS_ORDER_STAMP_MAX];
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  order_stamp(s, stamp, sizeof(stamp));
  rc = order_prepare(s, "INSERT OR REPLACE INTO binding (order_id, spki_sha256, csr_pem, subject, "
                        "token_serial, token_model, key_uri, linked_at) VALUES (?,?,?,?,?,?,?,?)", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_text(st, 2, spki_hex, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, in->csr_pem, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, in->subject_text != NULL ? in->subject_text : "", -1, SQLITE_TRANSIENT);
  order_bind_text(st, 5, in->token_serial);
  order_bind_text(st, 6, in->token_model);
  order_bind_text(st, 7, in->key_uri);
  sqlite3_bind_text(st, 8, stamp, -1, SQLITE_TRANSIENT);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  if (src != SQLITE_DONE)
    return order_sqlite_fail(s, src, _("writing the binding"));
  return RGS_ORDER_OK;
}

static rgs_order_rc check_link_input(rgs_order_store *s, const rgs_order_link_input *in)
{
  if (in->csr_pem == NULL || strncmp(in->csr_pem, "-----BEGIN", 10) != 0 ||
      in->spki_sha256 == NULL || in->subject == NULL)
    return order_fail(s, RGS_ORDER_ERR_ARG, "%s", _("a PEM request, its key hash and its subject are needed"));
  if ((in->token_serial != NULL && strlen(in->token_serial) > 32) ||
      (in->token_model != NULL && strlen(in->token_model) > 32) ||
      (in->key_uri != NULL && strlen(in->key_uri) >= 1024))
    return order_fail(s, RGS_ORDER_ERR_TEXT, "%s", _("token serial or model (32 bytes) or key URI (1023 bytes) too long"));
  return RGS_ORDER_OK;
}

rgs_order_rc rgs_order_link(rgs_order_store *s, long long id, const rgs_order_link_input *in)
{
  char spki_hex[65], note[160], why[512];
  long long other = 0;
  rgs_order o;
  rgs_order_rc rc;

  if (s == NULL || in == NULL)
    return RGS_ORDER_ERR_ARG;
  rc = check_link_input(s, in);
  if (rc != RGS_ORDER_OK)
    return rc;
  rgsx_hex(in->spki_sha256, 32, spki_hex);
  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_load(s, id, &o);
  if (rc != RGS_ORDER_OK)
    goto done;
  /* ordered goes through key-generated; the table says what is allowed. */
  if (!(o.status == RGS_STATUS_ORDERED
            ? rgs_order_transition_allowed(o.status, RGS_STATUS_KEY_GENERATED)
            : rgs_order_transition_allowed(o.status, RGS_STATUS_CSR_LINKED))) {
    rc = order_refuse_transition(s, &o, RGS_STATUS_CSR_LINKED);
    goto done;
  }
  rc = rgs_order_subject_match(&o, in->subject, why, sizeof(why));
  if (rc != RGS_ORDER_OK) {
    rc = order_fail(s, rc, _("order %lld: %s"), id, why);
    goto done;
  }
  rc = holder_of(s, spki_hex, id, &other);
  if (rc == RGS_ORDER_OK && other != 0)
    rc = order_fail(s, RGS_ORDER_ERR_KEY_BOUND, _("the key (SPKI SHA-256 %.16s...) is bound to order %lld"),
                    spki_hex, other);
  if (rc == RGS_ORDER_OK)
    rc = write_binding(s, id, in, spki_hex);
  if (rc == RGS_ORDER_OK && o.status == RGS_STATUS_ORDERED) {
    snprintf(note, sizeof(note), _("key pair on token %s"),
             in->token_serial != NULL && in->token_serial[0] != '\0' ? in->token_serial : "?");
    rc = order_move(s, &o, RGS_STATUS_KEY_GENERATED, note);
  }
  if (rc == RGS_ORDER_OK) {
    snprintf(note, sizeof(note), _("request bound, SPKI SHA-256 %s"), spki_hex);
    rc = order_move(s, &o, RGS_STATUS_CSR_LINKED, note);
  }

done:
  return order_txn_end(s, rc);
}

void rgs_order_binding_clear(rgs_order_binding *b)
{
  if (b == NULL)
    return;
  free(b->csr_pem);
  memset(b, 0, sizeof(*b));
}

rgs_order_rc rgs_order_binding_get(rgs_order_store *s, long long id, rgs_order_binding *b,
                                   int *found)
{
  sqlite3_stmt *st = NULL;
  const unsigned char *pem;
  rgs_order o;
  rgs_order_rc rc;
  int src;

  if (s == NULL || b == NULL || found == NULL)
    return RGS_ORDER_ERR_ARG;
  memset(b, 0, sizeof(*b));
  *found = 0;
  rc = order_load(s, id, &o);
  if (rc == RGS_ORDER_OK)
    rc = order_prepare(s, "SELECT spki_sha256, subject, token_serial, token_model, key_uri, "
                          "linked_at, csr_pem FROM binding WHERE order_id = ?", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, id);
  src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    b->order_id = id;
    order_column_text(st, 0, b->spki_sha256, sizeof(b->spki_sha256));
    order_column_text(st, 1, b->subject, sizeof(b->subject));
    order_column_text(st, 2, b->token_serial, sizeof(b->token_serial));
    order_column_text(st, 3, b->token_model, sizeof(b->token_model));
    order_column_text(st, 4, b->key_uri, sizeof(b->key_uri));
    order_column_text(st, 5, b->linked_at, sizeof(b->linked_at));
    pem = sqlite3_column_text(st, 6);
    b->csr_pem = strdup(pem != NULL ? (const char *)pem : "");
    if (b->csr_pem == NULL)
      rc = RGS_ORDER_ERR_NOMEM;
    else
      *found = 1;
  } else if (src != SQLITE_DONE) {
    rc = order_sqlite_fail(s, src, _("reading the binding"));
  }
  sqlite3_finalize(st);
  return rc;
}

rgs_order_rc rgs_order_find_by_spki(rgs_order_store *s, const unsigned char spki[32],
                                    long long *id)
{
  char hex[65];

  if (s == NULL || spki == NULL || id == NULL)
    return RGS_ORDER_ERR_ARG;
  rgsx_hex(spki, 32, hex);
  return holder_of(s, hex, 0, id);
}
