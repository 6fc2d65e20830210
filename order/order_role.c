/* SPDX-License-Identifier: BSD-3-Clause */
/* order_role.c - whose copy an order is: the holder's, or the AED's made
 * from the holder's dossier; and the lookup by the CA's reference that
 * recognises a dossier imported twice. */
#include <string.h>
#include "order_internal.h"

const char *rgs_order_role_name(rgs_order_role r)
{
  switch (r) {
  case RGS_ORDER_ROLE_HOLDER:
    return "holder";
  case RGS_ORDER_ROLE_AED:
    return "aed";
  }
  return "holder";
}

rgs_order_rc rgs_order_role_get(rgs_order_store *s, long long id, rgs_order_role *out)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  if (s == NULL || out == NULL)
    return RGS_ORDER_ERR_ARG;
  *out = RGS_ORDER_ROLE_HOLDER;
  rc = order_prepare(s, "SELECT r.role FROM orders o LEFT JOIN order_role r ON r.order_id = o.id"
                       " WHERE o.id = ?", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, id);
  src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    const unsigned char *t = sqlite3_column_text(st, 0);
    if (t != NULL && strcmp((const char *)t, "aed") == 0)
      *out = RGS_ORDER_ROLE_AED;
  } else if (src == SQLITE_DONE) {
    rc = order_fail(s, RGS_ORDER_ERR_NO_ORDER, _("no order %lld in %s"), id, s->path);
  } else {
    rc = order_sqlite_fail(s, src, _("reading the store"));
  }
  sqlite3_finalize(st);
  return rc;
}

rgs_order_rc rgs_order_role_set(rgs_order_store *s, long long id, rgs_order_role r)
{
  sqlite3_stmt *st = NULL;
  rgs_order o;
  rgs_order_rc rc;
  int src;

  if (s == NULL)
    return RGS_ORDER_ERR_ARG;
  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  /* The order must exist; then its row says aed, or there is none. */
  rc = order_load(s, id, &o);
  if (rc == RGS_ORDER_OK)
    rc = order_prepare(s, r == RGS_ORDER_ROLE_AED
                              ? "INSERT OR REPLACE INTO order_role (order_id, role) VALUES (?, 'aed')"
                              : "DELETE FROM order_role WHERE order_id = ?",
                       &st);
  if (rc == RGS_ORDER_OK) {
    sqlite3_bind_int64(st, 1, id);
    src = sqlite3_step(st);
    if (src != SQLITE_DONE)
      rc = order_sqlite_fail(s, src, _("writing the store"));
  }
  sqlite3_finalize(st);
  return order_txn_end(s, rc);
}

rgs_order_rc rgs_order_find_by_ca_ref(rgs_order_store *s, const char *ca_ref, long long *id)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  if (s == NULL || ca_ref == NULL || id == NULL)
    return RGS_ORDER_ERR_ARG;
  *id = 0;
  rc = order_prepare(s, "SELECT id FROM orders WHERE ca_ref = ?", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_text(st, 1, ca_ref, -1, SQLITE_TRANSIENT);
  src = sqlite3_step(st);
  if (src == SQLITE_ROW)
    *id = sqlite3_column_int64(st, 0);
  else if (src != SQLITE_DONE)
    rc = order_sqlite_fail(s, src, _("reading the store"));
  sqlite3_finalize(st);
  return rc;
}
