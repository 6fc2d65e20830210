/* SPDX-License-Identifier: BSD-3-Clause */
/* order_f2f.c - the face-to-face intervention records kept with an order,
 * and the one way to face-to-face-done: a successful, verified record of
 * the key bound to the order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "order_internal.h"

/* Migration 3 (order_store.c). IF NOT EXISTS: stores written while the
 * table was still created with the first record keep theirs. */
const char order_sql_f2f[] =
  "CREATE TABLE IF NOT EXISTS f2f_record ("
  "  id INTEGER PRIMARY KEY,"
  "  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,"
  "  stored_at TEXT NOT NULL,"
  "  signed_at TEXT NOT NULL,"
  "  day TEXT NOT NULL,"
  "  result TEXT NOT NULL CHECK (result IN ('success','refused')),"
  "  verified INTEGER NOT NULL CHECK (verified IN (0,1)),"
  "  failed_step TEXT,"
  "  reason TEXT,"
  "  aed_name TEXT,"
  "  record_sha256 TEXT NOT NULL UNIQUE CHECK (length(record_sha256) = 64),"
  "  spki_sha256 TEXT CHECK (spki_sha256 IS NULL OR length(spki_sha256) = 64),"
  "  cms BLOB NOT NULL"
  ");"
  "CREATE INDEX IF NOT EXISTS f2f_record_order ON f2f_record(order_id, id);";

#define F2F_COLUMNS "id, order_id, stored_at, signed_at, day, result, verified, failed_step, " \
                    "reason, aed_name, record_sha256, spki_sha256"

static int hex64_ok(const char *s)
{
  size_t i;

  if (s == NULL || strlen(s) != 64)
    return 0;
  for (i = 0; i < 64; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return 0;
  return 1;
}

static rgs_order_rc check_input(rgs_order_store *s, const rgs_order_f2f_input *in)
{
  if (in->cms_der == NULL || in->cms_len == 0 || in->cms_len > 1024 * 1024)
    return order_fail(s, RGS_ORDER_ERR_ARG, "%s", _("no signed record"));
  if (!hex64_ok(in->record_sha256) || (in->spki_sha256 != NULL && !hex64_ok(in->spki_sha256)))
    return order_fail(s, RGS_ORDER_ERR_ARG, "%s", _("a SHA-256 must be 64 lower-case hex digits"));
  if (in->signed_at == NULL || strlen(in->signed_at) != 20 || in->day == NULL ||
      !rgs_order_date_valid(in->day))
    return order_fail(s, RGS_ORDER_ERR_DATE, "%s", _("the record's dates are not valid"));
  if ((in->reason != NULL && in->reason[0] != '\0' && !order_text_ok(in->reason, 512)) ||
      (in->aed_name != NULL && in->aed_name[0] != '\0' && !order_text_ok(in->aed_name, 160)) ||
      (in->failed_step != NULL && in->failed_step[0] != '\0' && !order_text_ok(in->failed_step, 32)))
    return order_fail(s, RGS_ORDER_ERR_TEXT, "%s", _("the record's texts are not valid"));
  if (in->success && in->spki_sha256 == NULL)
    return order_fail(s, RGS_ORDER_ERR_ARG, "%s", _("a successful record names the key"));
  return RGS_ORDER_OK;
}

/* The key bound to the order (hex), "" when none. */
static rgs_order_rc bound_key(rgs_order_store *s, long long id, char out[65])
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc = order_prepare(s, "SELECT spki_sha256 FROM binding WHERE order_id = ?", &st);
  int src;

  out[0] = '\0';
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, id);
  src = sqlite3_step(st);
  if (src == SQLITE_ROW)
    order_column_text(st, 0, out, 65);
  else if (src != SQLITE_DONE)
    rc = order_sqlite_fail(s, src, _("reading an order"));
  sqlite3_finalize(st);
  return rc;
}

/* A history entry that leaves the status as it is. */
static rgs_order_rc note_event(rgs_order_store *s, const rgs_order *o, const char *note)
{
  sqlite3_stmt *st = NULL;
  char stamp[RGS_ORDER_STAMP_MAX], text[256];
  size_t n;
  rgs_order_rc rc;
  int src;

  /* At most 255 bytes, cut on a UTF-8 boundary. */
  n = strlen(note);
  if (n > sizeof(text) - 1) {
    n = sizeof(text) - 1;
    while (n > 0 && ((unsigned char)note[n] & 0xC0) == 0x80)
      n--;
  }
  memcpy(text, note, n);
  text[n] = '\0';
  order_stamp(s, stamp, sizeof(stamp));
  rc = order_prepare(s, "INSERT INTO history (order_id, at, from_status, to_status, note) "
                        "VALUES (?, ?, ?, ?, ?)", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, o->id);
  sqlite3_bind_text(st, 2, stamp, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, rgs_order_status_name(o->status), -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, rgs_order_status_name(o->status), -1, SQLITE_STATIC);
  order_bind_text(st, 5, text);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  if (src != SQLITE_DONE)
    return order_sqlite_fail(s, src, _("writing an order's history"));
  return RGS_ORDER_OK;
}

static rgs_order_rc insert_record(rgs_order_store *s, long long id, const rgs_order_f2f_input *in,
                                  long long *record_id)
{
  sqlite3_stmt *st = NULL;
  char stamp[RGS_ORDER_STAMP_MAX];
  rgs_order_rc rc;
  int src;

  order_stamp(s, stamp, sizeof(stamp));
  rc = order_prepare(s, "INSERT INTO f2f_record (order_id, stored_at, signed_at, day, result, "
                        "verified, failed_step, reason, aed_name, record_sha256, spki_sha256, cms) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_text(st, 2, stamp, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, in->signed_at, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, in->day, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, in->success ? "success" : "refused", -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 6, in->verified ? 1 : 0);
  order_bind_text(st, 7, in->failed_step);
  order_bind_text(st, 8, in->reason);
  order_bind_text(st, 9, in->aed_name);
  sqlite3_bind_text(st, 10, in->record_sha256, -1, SQLITE_TRANSIENT);
  order_bind_text(st, 11, in->spki_sha256);
  sqlite3_bind_blob(st, 12, in->cms_der, (int)in->cms_len, SQLITE_TRANSIENT);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  if ((src & 0xFF) == SQLITE_CONSTRAINT)
    return order_fail(s, RGS_ORDER_ERR_DUPLICATE, "%s", _("this record is already stored"));
  if (src != SQLITE_DONE)
    return order_sqlite_fail(s, src, _("writing a face-to-face record"));
  if (record_id != NULL)
    *record_id = sqlite3_last_insert_rowid(s->db);
  return RGS_ORDER_OK;
}

rgs_order_rc rgs_order_f2f_add(rgs_order_store *s, long long order_id,
                               const rgs_order_f2f_input *in, long long *record_id)
{
  rgs_order o;
  char bound[65], note[600];
  rgs_order_rc rc;
  int past;

  if (s == NULL || in == NULL)
    return RGS_ORDER_ERR_ARG;
  rc = check_input(s, in);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_load(s, order_id, &o);
  if (rc != RGS_ORDER_OK)
    goto done;
  if (in->success && in->verified) {
    rc = bound_key(s, order_id, bound);
    if (rc != RGS_ORDER_OK)
      goto done;
    if (strcmp(bound, in->spki_sha256) != 0) {
      rc = order_fail(s, RGS_ORDER_ERR_MISMATCH,
                      _("the record is about key %s, order %lld is bound to %s"),
                      in->spki_sha256, order_id, bound[0] != '\0' ? bound : _("no key"));
      goto done;
    }
    /* Issued or installed: the face-to-face is a past step; the record is
     * kept and the history says so, the status stays (as for the posted
     * originals). */
    past = o.status == RGS_STATUS_ISSUED || o.status == RGS_STATUS_INSTALLED;
    if (!past && !rgs_order_transition_allowed(o.status, RGS_STATUS_F2F_DONE)) {
      rc = order_refuse_transition(s, &o, RGS_STATUS_F2F_DONE);
      goto done;
    }
    rc = insert_record(s, order_id, in, record_id);
    if (rc == RGS_ORDER_OK) {
      snprintf(note, sizeof(note), _("face-to-face record %.16s… signed and verified"),
               in->record_sha256);
      rc = past ? note_event(s, &o, note) : order_move(s, &o, RGS_STATUS_F2F_DONE, note);
    }
    goto done;
  }
  rc = insert_record(s, order_id, in, record_id);
  if (rc != RGS_ORDER_OK)
    goto done;
  if (in->success)
    snprintf(note, sizeof(note), _("face-to-face record not verified: %s"),
             in->reason != NULL ? in->reason : "");
  else
    snprintf(note, sizeof(note), _("face-to-face refused: %s"), in->reason != NULL ? in->reason : "");
  rc = note_event(s, &o, note);

done:
  return order_txn_end(s, rc);
}

static void row_to_record(sqlite3_stmt *st, rgs_order_f2f *r)
{
  char result[16];

  memset(r, 0, sizeof(*r));
  r->id = sqlite3_column_int64(st, 0);
  r->order_id = sqlite3_column_int64(st, 1);
  order_column_text(st, 2, r->stored_at, sizeof(r->stored_at));
  order_column_text(st, 3, r->signed_at, sizeof(r->signed_at));
  order_column_text(st, 4, r->day, sizeof(r->day));
  order_column_text(st, 5, result, sizeof(result));
  r->success = strcmp(result, "success") == 0;
  r->verified = sqlite3_column_int(st, 6) != 0;
  order_column_text(st, 7, r->failed_step, sizeof(r->failed_step));
  order_column_text(st, 8, r->reason, sizeof(r->reason));
  order_column_text(st, 9, r->aed_name, sizeof(r->aed_name));
  order_column_text(st, 10, r->record_sha256, sizeof(r->record_sha256));
  order_column_text(st, 11, r->spki_sha256, sizeof(r->spki_sha256));
}

void rgs_order_f2f_clear(rgs_order_f2f *r)
{
  if (r == NULL)
    return;
  free(r->cms_der);
  memset(r, 0, sizeof(*r));
}

rgs_order_rc rgs_order_f2f_latest(rgs_order_store *s, long long order_id, rgs_order_f2f *out,
                                  int *found)
{
  sqlite3_stmt *st = NULL;
  rgs_order o;
  rgs_order_rc rc;
  int src;
  const void *blob;
  int n;

  if (s == NULL || out == NULL || found == NULL)
    return RGS_ORDER_ERR_ARG;
  memset(out, 0, sizeof(*out));
  *found = 0;
  rc = order_load(s, order_id, &o);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_prepare(s, "SELECT " F2F_COLUMNS ", cms FROM f2f_record WHERE order_id = ? "
                        "ORDER BY id DESC LIMIT 1", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, order_id);
  src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    row_to_record(st, out);
    blob = sqlite3_column_blob(st, 12);
    n = sqlite3_column_bytes(st, 12);
    out->cms_der = n > 0 ? malloc((size_t)n) : NULL;
    if (out->cms_der == NULL) {
      rc = n > 0 ? RGS_ORDER_ERR_NOMEM : order_fail(s, RGS_ORDER_ERR_CORRUPT, "%s", _("empty face-to-face record"));
    } else {
      memcpy(out->cms_der, blob, (size_t)n);
      out->cms_len = (size_t)n;
      *found = 1;
    }
  } else if (src != SQLITE_DONE) {
    rc = order_sqlite_fail(s, src, _("reading a face-to-face record"));
  }
  sqlite3_finalize(st);
  return rc;
}

rgs_order_rc rgs_order_f2f_list(rgs_order_store *s, long long order_id, rgs_order_f2f **out,
                                size_t *n)
{
  sqlite3_stmt *st = NULL;
  rgs_order_f2f *arr = NULL, *grown;
  size_t cap = 0;
  rgs_order o;
  rgs_order_rc rc;
  int src;

  if (s == NULL || out == NULL || n == NULL)
    return RGS_ORDER_ERR_ARG;
  *out = NULL;
  *n = 0;
  rc = order_load(s, order_id, &o);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_prepare(s, "SELECT " F2F_COLUMNS " FROM f2f_record WHERE order_id = ? ORDER BY id",
                     &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, order_id);
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap == 0 ? 4 : cap * 2;
      grown = realloc(arr, cap * sizeof(*arr));
      if (grown == NULL) {
        rc = RGS_ORDER_ERR_NOMEM;
        break;
      }
      arr = grown;
    }
    row_to_record(st, &arr[(*n)++]);
  }
  if (rc == RGS_ORDER_OK && src != SQLITE_DONE)
    rc = order_sqlite_fail(s, src, _("reading a face-to-face record"));
  sqlite3_finalize(st);
  if (rc != RGS_ORDER_OK) {
    free(arr);
    *n = 0;
    return rc;
  }
  *out = arr;
  return RGS_ORDER_OK;
}
