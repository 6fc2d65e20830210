/* SPDX-License-Identifier: BSD-3-Clause */
/* order_lookup.c - the orders a token is bound to, by its serial number. */
#include <string.h>
#include "order_internal.h"

rgs_order_rc rgs_order_find_by_token(rgs_order_store *s, const char *serial, long long *ids,
                                     size_t max, size_t *n)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  if (s == NULL || serial == NULL || n == NULL || (ids == NULL && max > 0))
    return RGS_ORDER_ERR_ARG;
  *n = 0;
  /* A token without a serial number names nothing: never match "". */
  if (serial[0] == '\0')
    return RGS_ORDER_OK;
  rc = order_prepare(s, "SELECT order_id FROM binding WHERE token_serial = ? "
                        "ORDER BY order_id DESC", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_text(st, 1, serial, -1, SQLITE_TRANSIENT);
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    if (*n < max)
      ids[*n] = sqlite3_column_int64(st, 0);
    (*n)++;
  }
  if (src != SQLITE_DONE)
    rc = order_sqlite_fail(s, src, _("reading the store"));
  sqlite3_finalize(st);
  return rc;
}
