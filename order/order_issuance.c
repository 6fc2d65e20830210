/* SPDX-License-Identifier: BSD-3-Clause */
/* order_issuance.c - what comes back from the CA: the EST exchange still
 * pending (and when to ask again), the certificate received and the CA
 * certificates the holder chose to trust for it.
 *
 * Its table comes with schema version 2 (order_store.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "order_internal.h"

/* Migration 2 (order_store.c). IF NOT EXISTS: stores written while the
 * table was still created on first use keep theirs. */
const char order_sql_issuance[] =
  "CREATE TABLE IF NOT EXISTS issuance ("
  " order_id INTEGER PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,"
  " cert_pem TEXT, ca_pem TEXT, cert_source TEXT, cert_at TEXT,"
  " est_url TEXT, pending_since TEXT, next_try_at TEXT,"
  " attempts INTEGER NOT NULL DEFAULT 0);";

static void stamp_of(time_t t, char *out, size_t len)
{
  struct tm tm;

  if (gmtime_r(&t, &tm) == NULL)
    out[0] = '\0';
  else
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *dup_column(sqlite3_stmt *st, int col, rgs_order_rc *rc)
{
  const unsigned char *t = sqlite3_column_text(st, col);
  char *copy;

  if (t == NULL)
    return NULL;
  copy = strdup((const char *)t);
  if (copy == NULL)
    *rc = RGS_ORDER_ERR_NOMEM;
  return copy;
}

void rgs_order_issuance_clear(rgs_order_issuance *i)
{
  if (i == NULL)
    return;
  free(i->cert_pem);
  free(i->ca_pem);
  memset(i, 0, sizeof(*i));
}

rgs_order_rc rgs_order_issuance_get(rgs_order_store *s, long long id, rgs_order_issuance *out,
                                    int *found)
{
  sqlite3_stmt *st = NULL;
  rgs_order o;
  rgs_order_rc rc;
  int src;

  if (s == NULL || out == NULL || found == NULL)
    return RGS_ORDER_ERR_ARG;
  memset(out, 0, sizeof(*out));
  *found = 0;
  rc = order_load(s, id, &o);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_prepare(s, "SELECT cert_pem, ca_pem, cert_source, cert_at, est_url, pending_since,"
                        " next_try_at, attempts FROM issuance WHERE order_id = ?", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, id);
  src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    out->cert_pem = dup_column(st, 0, &rc);
    out->ca_pem = dup_column(st, 1, &rc);
    order_column_text(st, 2, out->cert_source, sizeof(out->cert_source));
    order_column_text(st, 3, out->cert_at, sizeof(out->cert_at));
    order_column_text(st, 4, out->est_url, sizeof(out->est_url));
    order_column_text(st, 5, out->pending_since, sizeof(out->pending_since));
    order_column_text(st, 6, out->next_try_at, sizeof(out->next_try_at));
    out->attempts = sqlite3_column_int(st, 7);
    out->pending = out->next_try_at[0] != '\0';
    *found = rc == RGS_ORDER_OK;
  } else if (src != SQLITE_DONE) {
    rc = order_sqlite_fail(s, src, _("reading the issuance of an order"));
  }
  sqlite3_finalize(st);
  if (rc != RGS_ORDER_OK)
    rgs_order_issuance_clear(out);
  return rc;
}

static rgs_order_rc ensure_row(rgs_order_store *s, long long id)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  rc = order_prepare(s, "INSERT OR IGNORE INTO issuance (order_id) VALUES (?)", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, id);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  return src == SQLITE_DONE ? RGS_ORDER_OK : order_sqlite_fail(s, src, _("writing the issuance of an order"));
}

/* Inside the caller's transaction: order id loaded into *o (it must
 * exist), its issuance row made if needed, then the UPDATE sql prepared. */
static rgs_order_rc prepare_update(rgs_order_store *s, long long id, rgs_order *o,
                                   const char *sql, sqlite3_stmt **st)
{
  rgs_order_rc rc = order_load(s, id, o);

  if (rc == RGS_ORDER_OK)
    rc = ensure_row(s, id);
  if (rc == RGS_ORDER_OK)
    rc = order_prepare(s, sql, st);
  return rc;
}

rgs_order_rc rgs_order_est_pending(rgs_order_store *s, long long id, const char *url,
                                   time_t next_try)
{
  char now[RGS_ORDER_STAMP_MAX], next[RGS_ORDER_STAMP_MAX];
  sqlite3_stmt *st = NULL;
  rgs_order o;
  rgs_order_rc rc;
  int src;

  if (s == NULL || url == NULL || !order_text_ok(url, 512))
    return RGS_ORDER_ERR_ARG;
  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = prepare_update(s, id, &o, "UPDATE issuance SET est_url = ?,"
                                 " pending_since = COALESCE(pending_since, ?), next_try_at = ?,"
                                 " attempts = attempts + 1 WHERE order_id = ?", &st);
  if (rc != RGS_ORDER_OK)
    goto done;
  order_stamp(s, now, sizeof(now));
  stamp_of(next_try, next, sizeof(next));
  sqlite3_bind_text(st, 1, url, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, next, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 4, id);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  if (src != SQLITE_DONE)
    rc = order_sqlite_fail(s, src, _("writing the issuance of an order"));

done:
  return order_txn_end(s, rc);
}

/* "YYYY-MM-DDTHH:MM:SSZ" as stamp_of() writes it, back to UTC seconds;
 * 1 when text is such a stamp, 0 when it cannot be read. */
static int stamp_readable(const char *text, time_t *out)
{
  struct tm tm;
  const char *end;

  memset(&tm, 0, sizeof(tm));
  end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == NULL || *end != '\0')
    return 0;
  *out = timegm(&tm);
  return *out != (time_t)-1;
}

rgs_order_rc rgs_order_est_next_try(rgs_order_store *s, long long id, time_t *next_try,
                                    int *pending)
{
  rgs_order_issuance i;
  rgs_order_rc rc;
  int found = 0;

  if (s == NULL || next_try == NULL || pending == NULL)
    return RGS_ORDER_ERR_ARG;
  *next_try = 0;
  *pending = 0;
  rc = rgs_order_issuance_get(s, id, &i, &found);
  if (rc != RGS_ORDER_OK)
    return rc;
  if (found && i.pending) {
    if (stamp_readable(i.next_try_at, next_try))
      *pending = 1;
    else
      rc = order_fail(s, RGS_ORDER_ERR_CORRUPT, "%s", _("the time to ask the CA again cannot be read"));
  }
  rgs_order_issuance_clear(&i);
  return rc;
}

rgs_order_rc rgs_order_cert_received(rgs_order_store *s, long long id, const char *cert_pem,
                                     const char *ca_pem, const char *source)
{
  char now[RGS_ORDER_STAMP_MAX], note[64];
  sqlite3_stmt *st = NULL;
  rgs_order o;
  rgs_order_rc rc;
  int src;

  if (s == NULL || cert_pem == NULL || source == NULL || !order_text_ok(source, 16))
    return RGS_ORDER_ERR_ARG;
  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = prepare_update(s, id, &o, "UPDATE issuance SET cert_pem = ?, ca_pem = COALESCE(?, ca_pem),"
                                 " cert_source = ?, cert_at = ?, pending_since = NULL,"
                                 " next_try_at = NULL WHERE order_id = ?", &st);
  if (rc != RGS_ORDER_OK)
    goto done;
  order_stamp(s, now, sizeof(now));
  sqlite3_bind_text(st, 1, cert_pem, -1, SQLITE_TRANSIENT);
  order_bind_text(st, 2, ca_pem);
  sqlite3_bind_text(st, 3, source, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 5, id);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  if (src != SQLITE_DONE) {
    rc = order_sqlite_fail(s, src, _("writing the issuance of an order"));
    goto done;
  }
  /* The certificate is the CA's word that the order is issued, when the
   * life of the order allows that step now. */
  snprintf(note, sizeof(note), _("certificate received (%s)"), source);
  if (o.status != RGS_STATUS_ISSUED && o.status != RGS_STATUS_INSTALLED &&
      rgs_order_transition_allowed(o.status, RGS_STATUS_ISSUED))
    rc = order_move(s, &o, RGS_STATUS_ISSUED, note);

done:
  return order_txn_end(s, rc);
}
