/* SPDX-License-Identifier: BSD-3-Clause */
/* order_certdates.c - the dates of the certificate installed for an order,
 * and which expiry reminder was last given for it.
 *
 * Its table comes with schema version 7 (order_store.c). The order layer
 * reads no X.509: enroll/ reads the certificate and hands the dates over.
 * The migration cannot fill the table for the orders installed before it
 * (SQL does not parse certificates): enroll/ fills a missing row from the
 * certificate kept with the order the first time it looks (remind, status
 * --expiring, install). */
#include <stdio.h>
#include <string.h>
#include "order_internal.h"

/* reminded: the days of the last threshold announced (90, 30, 7, 1; 0 for
 * "it has ended"); NULL while none was. */
const char order_sql_cert_dates[] =
  "CREATE TABLE IF NOT EXISTS cert_dates ("
  " order_id INTEGER PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,"
  " serial TEXT NOT NULL, issuer TEXT NOT NULL, subject_cn TEXT NOT NULL,"
  " not_before TEXT NOT NULL, not_after TEXT NOT NULL, recorded_at TEXT NOT NULL,"
  " reminded INTEGER CHECK (reminded IN (90, 30, 7, 1, 0)), reminded_at TEXT);"
  "CREATE INDEX IF NOT EXISTS cert_dates_not_after ON cert_dates(not_after);";

/* "YYYY-MM-DDTHH:MM:SSZ", as the rest of the store writes its moments. */
static int stamp_ok(const char *t)
{
  static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
  size_t i;

  if (t == NULL || strlen(t) != sizeof(form) - 1)
    return 0;
  for (i = 0; form[i] != '\0'; i++) {
    if (form[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != form[i])
      return 0;
  }
  return 1;
}

static int dates_ok(const rgs_order_cert_dates *d)
{
  return order_text_ok(d->serial, sizeof(d->serial)) &&
         order_text_ok(d->issuer, sizeof(d->issuer)) &&
         (d->subject_cn[0] == '\0' || order_text_ok(d->subject_cn, sizeof(d->subject_cn))) &&
         stamp_ok(d->not_before) && stamp_ok(d->not_after);
}

rgs_order_rc rgs_order_cert_dates_get(rgs_order_store *s, long long id, rgs_order_cert_dates *out,
                                      int *found)
{
  sqlite3_stmt *st = NULL;
  rgs_order o;
  rgs_order_rc rc;
  int src;

  if (s == NULL || out == NULL || found == NULL)
    return RGS_ORDER_ERR_ARG;
  memset(out, 0, sizeof(*out));
  out->reminded = -1;
  *found = 0;
  rc = order_load(s, id, &o);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_prepare(s, "SELECT serial, issuer, subject_cn, not_before, not_after, recorded_at,"
                        " reminded, reminded_at FROM cert_dates WHERE order_id = ?", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, id);
  src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    order_column_text(st, 0, out->serial, sizeof(out->serial));
    order_column_text(st, 1, out->issuer, sizeof(out->issuer));
    order_column_text(st, 2, out->subject_cn, sizeof(out->subject_cn));
    order_column_text(st, 3, out->not_before, sizeof(out->not_before));
    order_column_text(st, 4, out->not_after, sizeof(out->not_after));
    order_column_text(st, 5, out->recorded_at, sizeof(out->recorded_at));
    if (sqlite3_column_type(st, 6) != SQLITE_NULL)
      out->reminded = sqlite3_column_int(st, 6);
    order_column_text(st, 7, out->reminded_at, sizeof(out->reminded_at));
    *found = 1;
  } else if (src != SQLITE_DONE) {
    rc = order_sqlite_fail(s, src, _("reading the dates of a certificate"));
  }
  sqlite3_finalize(st);
  return rc;
}

/* Inside the caller's transaction. The reminders start afresh only for
 * another certificate (a renewal): the same one recorded again keeps them. */
static rgs_order_rc put_dates(rgs_order_store *s, long long id, const rgs_order_cert_dates *d)
{
  char now[RGS_ORDER_STAMP_MAX];
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  rc = order_prepare(s,
                     "INSERT INTO cert_dates (order_id, serial, issuer, subject_cn, not_before,"
                     " not_after, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                     " ON CONFLICT (order_id) DO UPDATE SET"
                     " reminded = CASE WHEN serial = excluded.serial AND issuer = excluded.issuer"
                     "   THEN reminded END,"
                     " reminded_at = CASE WHEN serial = excluded.serial AND issuer = excluded.issuer"
                     "   THEN reminded_at END,"
                     " serial = excluded.serial, issuer = excluded.issuer,"
                     " subject_cn = excluded.subject_cn, not_before = excluded.not_before,"
                     " not_after = excluded.not_after, recorded_at = excluded.recorded_at",
                     &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  order_stamp(s, now, sizeof(now));
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_text(st, 2, d->serial, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, d->issuer, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, d->subject_cn, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, d->not_before, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 6, d->not_after, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 7, now, -1, SQLITE_TRANSIENT);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  return src == SQLITE_DONE ? RGS_ORDER_OK
                            : order_sqlite_fail(s, src, _("writing the dates of a certificate"));
}

rgs_order_rc rgs_order_cert_dates_set(rgs_order_store *s, long long id,
                                      const rgs_order_cert_dates *d)
{
  rgs_order o;
  rgs_order_rc rc;

  if (s == NULL || d == NULL)
    return RGS_ORDER_ERR_ARG;
  if (!dates_ok(d))
    return order_fail(s, RGS_ORDER_ERR_DATE, "%s",
                      _("the dates of the certificate are not YYYY-MM-DDTHH:MM:SSZ, or its serial or issuer is missing"));
  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_load(s, id, &o);
  if (rc == RGS_ORDER_OK)
    rc = put_dates(s, id, d);
  return order_txn_end(s, rc);
}

rgs_order_rc rgs_order_cert_reminded(rgs_order_store *s, long long id, int days)
{
  char now[RGS_ORDER_STAMP_MAX];
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  if (s == NULL || (days != 90 && days != 30 && days != 7 && days != 1 && days != 0))
    return RGS_ORDER_ERR_ARG;
  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_prepare(s, "UPDATE cert_dates SET reminded = ?, reminded_at = ? WHERE order_id = ?",
                     &st);
  if (rc != RGS_ORDER_OK)
    return order_txn_end(s, rc);
  order_stamp(s, now, sizeof(now));
  sqlite3_bind_int(st, 1, days);
  sqlite3_bind_text(st, 2, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, id);
  src = sqlite3_step(st);
  if (src != SQLITE_DONE)
    rc = order_sqlite_fail(s, src, _("writing the dates of a certificate"));
  else if (sqlite3_changes(s->db) == 0)
    rc = order_fail(s, RGS_ORDER_ERR_NO_ORDER,
                    _("order %lld has no certificate dates recorded in %s"), id, s->path);
  sqlite3_finalize(st);
  return order_txn_end(s, rc);
}
