/* SPDX-License-Identifier: BSD-3-Clause */
/* order_docs.c - the four paper originals and the rules on their dates. */
#include <stdio.h>
#include <string.h>
#include "order_internal.h"

/* ---- the rules (no store) -------------------------------------------------- */

static void note(rgs_order_docnote *out, size_t max, size_t *n, rgs_order_docnote_code code,
                 rgs_order_doc_kind kind, int blocking, const char *date)
{
  if (out != NULL && *n < max) {
    out[*n].code = code;
    out[*n].kind = kind;
    out[*n].blocking = blocking;
    snprintf(out[*n].date, sizeof(out[*n].date), "%s", date != NULL ? date : "");
  }
  (*n)++;
}

static void check_extract(const rgs_order_doc *d, const char *today, const char *sending,
                          int sent, rgs_order_docnote *out, size_t max, size_t *n)
{
  char last[11];
  const char *day = sending[0] != '\0' ? sending : today;

  if (d->state == RGS_DOC_MISSING)
    return;
  if (!rgs_order_date_valid(d->issued_on)) {
    note(out, max, n, RGS_DOCNOTE_EXTRACT_UNDATED, RGS_DOC_EXTRACT, sent, NULL);
    return;
  }
  rgs_order_date_last_day_under(d->issued_on, RGS_ORDER_EXTRACT_MONTHS, last, sizeof(last));
  if (sent) {
    if (strcmp(day, last) > 0)
      note(out, max, n, RGS_DOCNOTE_EXTRACT_TOO_OLD, RGS_DOC_EXTRACT, 1, last);
  } else if (strcmp(today, last) > 0) {
    note(out, max, n, RGS_DOCNOTE_EXTRACT_TOO_OLD, RGS_DOC_EXTRACT, 0, last);
  } else if (sending[0] != '\0' && strcmp(sending, last) > 0) {
    note(out, max, n, RGS_DOCNOTE_EXTRACT_EXPIRES, RGS_DOC_EXTRACT, 0, last);
  }
}

static void check_id(const rgs_order_doc *d, const char *today, const char *sending, int sent,
                     const char *f2f_day, rgs_order_docnote *out, size_t max, size_t *n)
{
  const char *day = sending[0] != '\0' && sent ? sending : today;

  if (d->state == RGS_DOC_MISSING)
    return;
  if (!rgs_order_date_valid(d->expires_on)) {
    note(out, max, n, RGS_DOCNOTE_ID_UNDATED, RGS_DOC_ID, sent, NULL);
    return;
  }
  /* Valid through its last day. */
  if (f2f_day[0] != '\0' && strcmp(d->expires_on, f2f_day) < 0)
    note(out, max, n, RGS_DOCNOTE_ID_EXPIRED_F2F, RGS_DOC_ID, sent, f2f_day);
  else if (strcmp(d->expires_on, day) < 0)
    note(out, max, n, RGS_DOCNOTE_ID_EXPIRED, RGS_DOC_ID, sent, d->expires_on);
}

size_t rgs_order_docs_check(const rgs_order_doc docs[RGS_DOC_COUNT], const char *today,
                            const char *sending, int sent, const char *f2f_day,
                            rgs_order_docnote *out, size_t max)
{
  char f2f[11] = "";
  size_t n = 0;
  int k;

  if (docs == NULL || !rgs_order_date_valid(today))
    return 0;
  if (sending == NULL || !rgs_order_date_valid(sending))
    sending = "";
  /* Only the day of an appointment counts ("YYYY-MM-DDTHH:MM" -> the day). */
  if (f2f_day != NULL && strlen(f2f_day) >= 10)
    snprintf(f2f, sizeof(f2f), "%.10s", f2f_day);
  for (k = 0; k < RGS_DOC_COUNT; k++)
    if (docs[k].state == RGS_DOC_MISSING)
      note(out, max, &n, RGS_DOCNOTE_MISSING, (rgs_order_doc_kind)k, sent, NULL);
  check_extract(&docs[RGS_DOC_EXTRACT], today, sending, sent, out, max, &n);
  check_id(&docs[RGS_DOC_ID], today, sending, sent, f2f, out, max, &n);
  return n;
}

/* ---- in the store -------------------------------------------------------------- */

rgs_order_rc rgs_order_docs_get(rgs_order_store *s, long long id,
                                rgs_order_doc docs[RGS_DOC_COUNT])
{
  sqlite3_stmt *st = NULL;
  rgs_order_doc_kind kind;
  char tmp[32];
  rgs_order o;
  rgs_order_rc rc;
  int k, src;

  if (s == NULL || docs == NULL)
    return RGS_ORDER_ERR_ARG;
  memset(docs, 0, sizeof(rgs_order_doc) * RGS_DOC_COUNT);
  for (k = 0; k < RGS_DOC_COUNT; k++)
    docs[k].kind = (rgs_order_doc_kind)k;
  rc = order_load(s, id, &o);
  if (rc == RGS_ORDER_OK)
    rc = order_prepare(s, "SELECT kind, state, issued_on, expires_on, sent_on FROM documents "
                          "WHERE order_id = ?", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, id);
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    order_column_text(st, 0, tmp, sizeof(tmp));
    if (!order_doc_kind_from_name(tmp, &kind))
      continue;
    order_column_text(st, 1, tmp, sizeof(tmp));
    if (!order_doc_state_from_name(tmp, &docs[kind].state))
      docs[kind].state = RGS_DOC_MISSING;
    order_column_text(st, 2, docs[kind].issued_on, sizeof(docs[kind].issued_on));
    order_column_text(st, 3, docs[kind].expires_on, sizeof(docs[kind].expires_on));
    order_column_text(st, 4, docs[kind].sent_on, sizeof(docs[kind].sent_on));
  }
  if (src != SQLITE_DONE)
    rc = order_sqlite_fail(s, src, _("reading the documents"));
  sqlite3_finalize(st);
  return rc;
}

static rgs_order_rc check_day(rgs_order_store *s, const char *what, const char *day,
                              int not_after_today)
{
  char today[11];

  if (day == NULL || day[0] == '\0')
    return RGS_ORDER_OK;
  if (!rgs_order_date_valid(day))
    return order_fail(s, RGS_ORDER_ERR_DATE, _("%s: '%s' is not a date YYYY-MM-DD"), what, day);
  order_today(s, today, sizeof(today));
  if (not_after_today && strcmp(day, today) > 0)
    return order_fail(s, RGS_ORDER_ERR_DATE, _("%s: %s is in the future (today is %s)"), what, day,
                      today);
  return RGS_ORDER_OK;
}

static rgs_order_rc check_doc_update(rgs_order_store *s, const rgs_order_doc_update *u)
{
  rgs_order_rc rc;

  if ((int)u->kind < 0 || u->kind >= RGS_DOC_COUNT ||
      (u->state_set && ((int)u->state < 0 || u->state > RGS_DOC_ACCEPTED)))
    return RGS_ORDER_ERR_ARG;
  if (u->issued_on != NULL && u->kind != RGS_DOC_EXTRACT)
    return order_fail(s, RGS_ORDER_ERR_ARG, "%s", _("a date of issue is kept for the registration extract only"));
  if (u->expires_on != NULL && u->kind != RGS_DOC_ID)
    return order_fail(s, RGS_ORDER_ERR_ARG, "%s", _("an end of validity is kept for the identity document only"));
  rc = check_day(s, _("date of issue"), u->issued_on, 1);
  if (rc == RGS_ORDER_OK)
    rc = check_day(s, _("end of validity"), u->expires_on, 0);
  return rc;
}

/* The papers follow their own course: they can be recorded at any time,
 * after the installation too; only a cancelled or refused order is closed. */
static rgs_order_rc docs_load(rgs_order_store *s, long long id, rgs_order *o)
{
  rgs_order_rc rc = order_load(s, id, o);

  if (rc == RGS_ORDER_OK && (o->status == RGS_STATUS_CANCELLED || o->status == RGS_STATUS_REFUSED))
    rc = order_fail(s, RGS_ORDER_ERR_TRANSITION, _("order %lld is %s: it can no longer change"), id,
                    rgs_order_status_word(o->status));
  return rc;
}

rgs_order_rc rgs_order_doc_set(rgs_order_store *s, long long id, const rgs_order_doc_update *u)
{
  rgs_order_doc docs[RGS_DOC_COUNT];
  char stamp[RGS_ORDER_STAMP_MAX];
  rgs_order_doc_state state;
  sqlite3_stmt *st = NULL;
  rgs_order o;
  rgs_order_rc rc;
  int src;

  if (s == NULL || u == NULL)
    return RGS_ORDER_ERR_ARG;
  rc = check_doc_update(s, u);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = docs_load(s, id, &o);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_docs_get(s, id, docs);
  if (rc != RGS_ORDER_OK)
    goto done;
  state = docs[u->kind].state;
  if (u->state_set)
    state = u->state;
  else if (state == RGS_DOC_MISSING && (u->issued_on != NULL || u->expires_on != NULL))
    state = RGS_DOC_READY;
  order_stamp(s, stamp, sizeof(stamp));
  rc = order_prepare(s, "UPDATE documents SET state = ?, "
                        "issued_on = CASE WHEN ?2 THEN ?3 ELSE issued_on END, "
                        "expires_on = CASE WHEN ?4 THEN ?5 ELSE expires_on END, "
                        "updated_at = ?6 WHERE order_id = ?7 AND kind = ?8", &st);
  if (rc != RGS_ORDER_OK)
    goto done;
  sqlite3_bind_text(st, 1, rgs_order_doc_state_name(state), -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, u->issued_on != NULL);
  order_bind_text(st, 3, u->issued_on);
  sqlite3_bind_int(st, 4, u->expires_on != NULL);
  order_bind_text(st, 5, u->expires_on);
  sqlite3_bind_text(st, 6, stamp, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 7, id);
  sqlite3_bind_text(st, 8, rgs_order_doc_kind_name(u->kind), -1, SQLITE_STATIC);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  if (src != SQLITE_DONE)
    rc = order_sqlite_fail(s, src, _("writing the documents"));

done:
  return order_txn_end(s, rc);
}

rgs_order_rc rgs_order_docs_plan(rgs_order_store *s, long long id, const char *day)
{
  sqlite3_stmt *st = NULL;
  rgs_order o;
  rgs_order_rc rc;
  int src;

  if (s == NULL || day == NULL)
    return RGS_ORDER_ERR_ARG;
  rc = check_day(s, _("planned sending"), day, 0);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_load(s, id, &o);
  if (rc == RGS_ORDER_OK)
    rc = order_prepare(s, "UPDATE orders SET planned_sending = ? WHERE id = ?", &st);
  if (rc == RGS_ORDER_OK) {
    order_bind_text(st, 1, day);
    sqlite3_bind_int64(st, 2, id);
    src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
      rc = order_sqlite_fail(s, src, _("writing an order"));
  }
  return order_txn_end(s, rc);
}

static rgs_order_rc blocking_note(rgs_order_store *s, const rgs_order_docnote *nt)
{
  switch (nt->code) {
  case RGS_DOCNOTE_MISSING:
    return order_fail(s, RGS_ORDER_ERR_DOCUMENTS, _("still missing: %s"),
                      rgs_order_doc_kind_label(nt->kind));
  case RGS_DOCNOTE_EXTRACT_UNDATED:
    return order_fail(s, RGS_ORDER_ERR_DOCUMENTS, "%s", _("the date of issue of the registration extract is not known"));
  case RGS_DOCNOTE_EXTRACT_TOO_OLD:
  case RGS_DOCNOTE_EXTRACT_EXPIRES:
    return order_fail(s, RGS_ORDER_ERR_DOCUMENTS,
                      _("the registration extract is three months old or more on the sending day (it was good until %s): get a new one"),
                      nt->date);
  case RGS_DOCNOTE_ID_UNDATED:
    return order_fail(s, RGS_ORDER_ERR_DOCUMENTS, "%s", _("the end of validity of the identity document is not known"));
  case RGS_DOCNOTE_ID_EXPIRED_F2F:
    return order_fail(s, RGS_ORDER_ERR_DOCUMENTS, _("the identity document was not valid on the face-to-face day %s"), nt->date);
  case RGS_DOCNOTE_ID_EXPIRED:
    return order_fail(s, RGS_ORDER_ERR_DOCUMENTS, _("the identity document expired on %s"), nt->date);
  }
  return RGS_ORDER_ERR_DOCUMENTS;
}

static rgs_order_rc check_sending(rgs_order_store *s, long long id, const char *day)
{
  rgs_order_doc docs[RGS_DOC_COUNT];
  rgs_order_docnote notes[RGS_DOC_COUNT + 4];
  rgs_order_appointment a;
  char today[11];
  size_t n, i;
  int found = 0;
  rgs_order_rc rc;

  rc = rgs_order_docs_get(s, id, docs);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_appointment_get(s, id, &a, &found);
  if (rc != RGS_ORDER_OK)
    return rc;
  if (found && a.at[0] != '\0' && strncmp(day, a.at, 10) < 0)
    return order_fail(s, RGS_ORDER_ERR_DOCUMENTS,
                      _("%s is before the face-to-face (%.10s), where the intervention form is signed"),
                      day, a.at);
  order_today(s, today, sizeof(today));
  n = rgs_order_docs_check(docs, today, day, 1, found ? a.at : "", notes, RGS_ARRAY_LEN(notes));
  for (i = 0; i < n && i < RGS_ARRAY_LEN(notes); i++)
    if (notes[i].blocking)
      return blocking_note(s, &notes[i]);
  return RGS_ORDER_OK;
}

/* Cancelled or refused: nothing is sent for such an order any more. */
static int docs_order_closed(rgs_order_status st)
{
  return st == RGS_STATUS_CANCELLED || st == RGS_STATUS_REFUSED;
}

rgs_order_rc rgs_order_docs_sent(rgs_order_store *s, long long id, const char *day)
{
  sqlite3_stmt *st = NULL;
  char note_text[64];
  rgs_order o;
  rgs_order_rc rc;
  int src, keep = 0;

  if (s == NULL || day == NULL)
    return RGS_ORDER_ERR_ARG;
  rc = check_day(s, _("sending day"), day, 1);
  if (rc == RGS_ORDER_OK && day[0] == '\0')
    rc = order_fail(s, RGS_ORDER_ERR_DATE, "%s", _("the sending day is needed"));
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = docs_load(s, id, &o);
  /* The papers follow their own course: posted before the face-to-face
   * record came back, or after the issuance, they are recorded as sent and
   * the history says so; the status stays. Only a closed order refuses. */
  if (rc == RGS_ORDER_OK) {
    keep = !rgs_order_transition_allowed(o.status, RGS_STATUS_DOCS_SENT);
    if (keep && docs_order_closed(o.status))
      rc = order_refuse_transition(s, &o, RGS_STATUS_DOCS_SENT);
  }
  if (rc == RGS_ORDER_OK)
    rc = check_sending(s, id, day);
  if (rc == RGS_ORDER_OK)
    rc = order_prepare(s, "UPDATE documents SET state = 'sent', sent_on = ? "
                          "WHERE order_id = ? AND state != 'accepted'", &st);
  if (rc == RGS_ORDER_OK) {
    sqlite3_bind_text(st, 1, day, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, id);
    src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
      rc = order_sqlite_fail(s, src, _("writing the documents"));
  }
  if (rc == RGS_ORDER_OK) {
    snprintf(note_text, sizeof(note_text), _("originals posted on %s"), day);
    rc = keep ? rgs_order_note(s, id, note_text) : order_move(s, &o, RGS_STATUS_DOCS_SENT, note_text);
  }
  return order_txn_end(s, rc);
}
