/* SPDX-License-Identifier: BSD-3-Clause */
/* order_db.c - orders in the store: create, read, change, list, history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "order_internal.h"

#define ORDER_COLUMNS                                                              \
  "id, created_at, partner, product, validity_years, os, first_name, last_name, "  \
  "email, phone, holder_other, ordered_by, company, company_id, siren, payment, "  \
  "cgu_accepted_at, ca_ref, dept, planned_sending, status, status_at"

static void row_to_order(sqlite3_stmt *st, rgs_order *o)
{
  char tmp[32];

  memset(o, 0, sizeof(*o));
  o->id = sqlite3_column_int64(st, 0);
  order_column_text(st, 1, o->created_at, sizeof(o->created_at));
  order_column_text(st, 2, o->partner, sizeof(o->partner));
  order_column_text(st, 3, o->product, sizeof(o->product));
  o->validity_years = sqlite3_column_int(st, 4);
  order_column_text(st, 5, tmp, sizeof(tmp));
  if (!order_os_from_name(tmp, &o->os))
    o->os = RGS_OS_OTHER;
  order_column_text(st, 6, o->first_name, sizeof(o->first_name));
  order_column_text(st, 7, o->last_name, sizeof(o->last_name));
  order_column_text(st, 8, o->email, sizeof(o->email));
  order_column_text(st, 9, o->phone, sizeof(o->phone));
  o->holder_other = sqlite3_column_int(st, 10);
  order_column_text(st, 11, o->ordered_by, sizeof(o->ordered_by));
  order_column_text(st, 12, o->company, sizeof(o->company));
  order_column_text(st, 13, o->company_id, sizeof(o->company_id));
  order_column_text(st, 14, o->siren, sizeof(o->siren));
  order_column_text(st, 15, tmp, sizeof(tmp));
  if (!order_payment_from_name(tmp, &o->payment))
    o->payment = RGS_PAY_NONE;
  order_column_text(st, 16, o->cgu_accepted_at, sizeof(o->cgu_accepted_at));
  order_column_text(st, 17, o->ca_ref, sizeof(o->ca_ref));
  order_column_text(st, 18, o->dept, sizeof(o->dept));
  order_column_text(st, 19, o->planned_sending, sizeof(o->planned_sending));
  order_column_text(st, 20, tmp, sizeof(tmp));
  if (!order_status_from_name(tmp, &o->status))
    o->status = RGS_STATUS_DRAFT;
  order_column_text(st, 21, o->status_at, sizeof(o->status_at));
}

rgs_order_rc order_load(rgs_order_store *s, long long id, rgs_order *o)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  memset(o, 0, sizeof(*o));
  rc = order_prepare(s, "SELECT " ORDER_COLUMNS " FROM orders WHERE id = ?", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, id);
  src = sqlite3_step(st);
  if (src == SQLITE_ROW)
    row_to_order(st, o);
  else if (src == SQLITE_DONE)
    rc = order_fail(s, RGS_ORDER_ERR_NO_ORDER, _("no order %lld in %s"), id, s->path);
  else
    rc = order_sqlite_fail(s, src, _("reading an order"));
  sqlite3_finalize(st);
  return rc;
}

rgs_order_rc order_load_changeable(rgs_order_store *s, long long id, rgs_order *o)
{
  rgs_order_rc rc = order_load(s, id, o);

  if (rc == RGS_ORDER_OK && rgs_order_status_final(o->status))
    rc = order_fail(s, RGS_ORDER_ERR_TRANSITION, _("order %lld is %s: it can no longer change"), id,
                    rgs_order_status_word(o->status));
  return rc;
}

rgs_order_rc rgs_order_get(rgs_order_store *s, long long id, rgs_order *out)
{
  if (s == NULL || out == NULL)
    return RGS_ORDER_ERR_ARG;
  return order_load(s, id, out);
}

/* ---- status ---------------------------------------------------------------- */

rgs_order_rc order_refuse_transition(rgs_order_store *s, const rgs_order *o,
                                     rgs_order_status to)
{
  rgs_order_status next[RGS_STATUS_COUNT];
  size_t n = rgs_order_next_statuses(o->status, next, RGS_STATUS_COUNT), i, len;

  len = (size_t)snprintf(s->err, sizeof(s->err),
                         _("order %lld is at the step \"%s\": it cannot become \"%s\""), o->id,
                         rgs_order_status_label(o->status), rgs_order_status_word(to));
  if (n == 0 && len < sizeof(s->err)) {
    snprintf(s->err + len, sizeof(s->err) - len, "%s", _("; it is closed"));
  } else if (len < sizeof(s->err)) {
    len += (size_t)snprintf(s->err + len, sizeof(s->err) - len, "%s", _("; it may become:"));
    for (i = 0; i < n && len < sizeof(s->err); i++)
      len += (size_t)snprintf(s->err + len, sizeof(s->err) - len, "%s %s", i > 0 ? "," : "",
                              rgs_order_status_word(next[i]));
  }
  return RGS_ORDER_ERR_TRANSITION;
}

rgs_order_rc order_move(rgs_order_store *s, rgs_order *o, rgs_order_status to,
                        const char *note)
{
  sqlite3_stmt *st = NULL;
  char stamp[RGS_ORDER_STAMP_MAX];
  rgs_order_rc rc;
  int src;

  order_stamp(s, stamp, sizeof(stamp));
  rc = order_prepare(s, "UPDATE orders SET status = ?, status_at = ? WHERE id = ?", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_text(st, 1, rgs_order_status_name(to), -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, stamp, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, o->id);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  if (src != SQLITE_DONE)
    return order_sqlite_fail(s, src, _("writing an order"));
  rc = order_prepare(s, "INSERT INTO history (order_id, at, from_status, to_status, note) "
                        "VALUES (?, ?, ?, ?, ?)", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, o->id);
  sqlite3_bind_text(st, 2, stamp, -1, SQLITE_TRANSIENT);
  if (o->status_at[0] != '\0')
    sqlite3_bind_text(st, 3, rgs_order_status_name(o->status), -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, 3);
  sqlite3_bind_text(st, 4, rgs_order_status_name(to), -1, SQLITE_STATIC);
  order_bind_text(st, 5, note);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  if (src != SQLITE_DONE)
    return order_sqlite_fail(s, src, _("writing an order's history"));
  o->status = to;
  snprintf(o->status_at, sizeof(o->status_at), "%s", stamp);
  return RGS_ORDER_OK;
}

/* A draft is placed once the CGU are accepted and a payment chosen. */
static rgs_order_rc maybe_place(rgs_order_store *s, rgs_order *o)
{
  if (o->status != RGS_STATUS_DRAFT || o->cgu_accepted_at[0] == '\0' ||
      o->payment == RGS_PAY_NONE)
    return RGS_ORDER_OK;
  return order_move(s, o, RGS_STATUS_ORDERED, _("CGU accepted, payment chosen"));
}

rgs_order_rc rgs_order_set_status(rgs_order_store *s, long long id, rgs_order_status to,
                                  const char *note)
{
  rgs_order o;
  rgs_order_rc rc;

  if (s == NULL || (int)to < 0 || to >= RGS_STATUS_COUNT)
    return RGS_ORDER_ERR_ARG;
  if (note != NULL && note[0] != '\0' && !order_text_ok(note, 256))
    return order_fail(s, RGS_ORDER_ERR_TEXT, "%s", _("the note must be text of at most 255 bytes"));
  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_load(s, id, &o);
  if (rc != RGS_ORDER_OK)
    goto done;
  if (!rgs_order_transition_allowed(o.status, to)) {
    rc = order_refuse_transition(s, &o, to);
    goto done;
  }
  /* Steps that carry data come through their own functions. */
  if (to == RGS_STATUS_ORDERED && (o.cgu_accepted_at[0] == '\0' || o.payment == RGS_PAY_NONE)) {
    rc = order_fail(s, RGS_ORDER_ERR_TRANSITION,
                    _("order %lld stays a draft until the CGU are accepted and a payment method is chosen"),
                    id);
    goto done;
  }
  if (to == RGS_STATUS_CSR_LINKED) {
    rc = order_fail(s, RGS_ORDER_ERR_TRANSITION, _("order %lld becomes csr-linked when a certificate request is bound to it"), id);
    goto done;
  }
  /* The face-to-face is proved by a signed, verified record, not declared. */
  if (to == RGS_STATUS_F2F_DONE) {
    rc = order_fail(s, RGS_ORDER_ERR_TRANSITION, _("order %lld becomes face-to-face-done when a verified face-to-face record is stored (rgs-enroll f2f run)"), id);
    goto done;
  }
  if (to == RGS_STATUS_DOCS_SENT) {
    rc = order_fail(s, RGS_ORDER_ERR_TRANSITION, _("order %lld becomes documents-sent when the sending of the originals is recorded, after their check"), id);
    goto done;
  }
  rc = order_move(s, &o, to, note);

done:
  return order_txn_end(s, rc);
}

/* ---- create ---------------------------------------------------------------- */

typedef struct {
  char partner[16];
  char product[32];
  char company_id[16];
  char siren[10];
  char dept[4];
  int validity;
} checked_input;

static rgs_order_rc check_text(rgs_order_store *s, const char *what, const char *v, size_t max)
{
  if (!order_text_ok(v, max))
    return order_fail(s, RGS_ORDER_ERR_TEXT, _("%s: empty, too long (%zu bytes at most) or not UTF-8 text"),
                      what, max - 1);
  return RGS_ORDER_OK;
}

static rgs_order_rc check_email(rgs_order_store *s, const char *v)
{
  if (!order_email_ok(v))
    return order_fail(s, RGS_ORDER_ERR_TEXT, _("'%s' is not an email address"), v != NULL ? v : "");
  return RGS_ORDER_OK;
}

static rgs_order_rc check_phone(rgs_order_store *s, const char *v)
{
  if (v != NULL && v[0] != '\0' && !order_phone_ok(v))
    return order_fail(s, RGS_ORDER_ERR_TEXT, _("'%s' is not a telephone number (6 to 15 digits, spaces, dots, dashes, a leading +)"), v);
  return RGS_ORDER_OK;
}

static rgs_order_rc check_ca_ref(rgs_order_store *s, const char *v, long long self)
{
  sqlite3_stmt *st = NULL;
  const char *p;
  rgs_order_rc rc;
  int src;

  if (v == NULL || v[0] == '\0')
    return RGS_ORDER_OK;
  for (p = v; *p != '\0'; p++)
    if (*p <= ' ' || *p > '~')
      break;
  if (*p != '\0' || strlen(v) >= RGS_ORDER_REF_MAX)
    return order_fail(s, RGS_ORDER_ERR_TEXT, _("CA reference '%s': printable ASCII without spaces, %d characters at most"),
                      v, RGS_ORDER_REF_MAX - 1);
  rc = order_prepare(s, "SELECT id FROM orders WHERE ca_ref = ? AND id != ?", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_text(st, 1, v, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, self);
  src = sqlite3_step(st);
  if (src == SQLITE_ROW)
    rc = order_fail(s, RGS_ORDER_ERR_DUPLICATE, _("the CA reference %s is already recorded on order %lld"),
                    v, (long long)sqlite3_column_int64(st, 0));
  else if (src != SQLITE_DONE)
    rc = order_sqlite_fail(s, src, _("reading the store"));
  sqlite3_finalize(st);
  return rc;
}

static rgs_order_rc check_input(rgs_order_store *s, const rgs_order_input *in, checked_input *c)
{
  rgs_order_company_id_kind kind;
  rgs_order_rc rc;
  char v[16];

  memset(c, 0, sizeof(*c));
  rc = rgs_order_partner_parse(in->partner, c->partner, sizeof(c->partner), s->err, sizeof(s->err));
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_product_parse(c->partner, in->product, c->product, sizeof(c->product), s->err,
                                 sizeof(s->err));
  if (rc != RGS_ORDER_OK)
    return rc;
  c->validity = in->validity_years == 0 ? RGS_ORDER_DEFAULT_VALIDITY : in->validity_years;
  snprintf(v, sizeof(v), "%d", c->validity);
  rc = rgs_order_validity_parse(v, &c->validity, s->err, sizeof(s->err));
  if (rc == RGS_ORDER_OK && ((int)in->os < 0 || in->os > RGS_OS_OTHER))
    rc = order_fail(s, RGS_ORDER_ERR_OS, "%s", rgs_order_strerror(RGS_ORDER_ERR_OS));
  if (rc == RGS_ORDER_OK && ((int)in->payment < 0 || in->payment > RGS_PAY_CHEQUE))
    rc = order_fail(s, RGS_ORDER_ERR_PAYMENT, "%s", rgs_order_strerror(RGS_ORDER_ERR_PAYMENT));
  if (rc == RGS_ORDER_OK)
    rc = check_text(s, _("holder's first name"), in->first_name, RGS_ORDER_NAME_MAX);
  if (rc == RGS_ORDER_OK)
    rc = check_text(s, _("holder's last name"), in->last_name, RGS_ORDER_NAME_MAX);
  if (rc == RGS_ORDER_OK)
    rc = check_email(s, in->email);
  if (rc == RGS_ORDER_OK)
    rc = check_phone(s, in->phone);
  if (rc == RGS_ORDER_OK && in->holder_other && in->ordered_by != NULL)
    rc = check_text(s, _("name of the person ordering"), in->ordered_by, RGS_ORDER_NAME_MAX);
  if (rc == RGS_ORDER_OK)
    rc = check_text(s, _("company name"), in->company, RGS_ORDER_COMPANY_MAX);
  if (rc != RGS_ORDER_OK)
    return rc;
  if (rgs_order_company_id_parse(in->company_id != NULL ? in->company_id : "", c->company_id,
                                 sizeof(c->company_id), &kind) != RGS_ORDER_OK)
    return order_fail(s, RGS_ORDER_ERR_SIREN, _("'%s': %s"), in->company_id != NULL ? in->company_id : "",
                      rgs_order_strerror(RGS_ORDER_ERR_SIREN));
  memcpy(c->siren, c->company_id, 9);
  c->siren[9] = '\0';
  if (in->dept != NULL) {
    rc = rgs_order_dept_parse(in->dept, c->dept, sizeof(c->dept), s->err, sizeof(s->err));
    if (rc != RGS_ORDER_OK)
      return rc;
  }
  return check_ca_ref(s, in->ca_ref, 0);
}

static rgs_order_rc insert_order(rgs_order_store *s, const rgs_order_input *in,
                                 const checked_input *c, const char *stamp, long long *id)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  rc = order_prepare(s, "INSERT INTO orders (created_at, partner, product, validity_years, os, "
                        "first_name, last_name, email, phone, holder_other, ordered_by, company, "
                        "company_id, siren, payment, cgu_accepted_at, ca_ref, dept, status, status_at) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'draft',?)", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_text(st, 1, stamp, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, c->partner, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, c->product, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(st, 4, c->validity);
  sqlite3_bind_text(st, 5, rgs_order_os_name(in->os), -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, in->first_name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 7, in->last_name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 8, in->email, -1, SQLITE_TRANSIENT);
  order_bind_text(st, 9, in->phone);
  sqlite3_bind_int(st, 10, in->holder_other ? 1 : 0);
  order_bind_text(st, 11, in->holder_other ? in->ordered_by : NULL);
  sqlite3_bind_text(st, 12, in->company, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 13, c->company_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 14, c->siren, -1, SQLITE_TRANSIENT);
  order_bind_text(st, 15, in->payment == RGS_PAY_NONE ? NULL : rgs_order_payment_name(in->payment));
  order_bind_text(st, 16, in->accept_cgu ? stamp : NULL);
  order_bind_text(st, 17, in->ca_ref);
  order_bind_text(st, 18, c->dept);
  sqlite3_bind_text(st, 19, stamp, -1, SQLITE_TRANSIENT);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  if (src != SQLITE_DONE)
    return order_sqlite_fail(s, src, _("writing an order"));
  *id = sqlite3_last_insert_rowid(s->db);
  return RGS_ORDER_OK;
}

static rgs_order_rc insert_documents(rgs_order_store *s, long long id, const char *stamp)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int k, src = SQLITE_DONE;

  rc = order_prepare(s, "INSERT INTO documents (order_id, kind, state, updated_at) "
                        "VALUES (?, ?, 'missing', ?)", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  for (k = 0; k < RGS_DOC_COUNT && src == SQLITE_DONE; k++) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, rgs_order_doc_kind_name((rgs_order_doc_kind)k), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, stamp, -1, SQLITE_TRANSIENT);
    src = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if (src != SQLITE_DONE)
    return order_sqlite_fail(s, src, _("writing an order's documents"));
  return RGS_ORDER_OK;
}

rgs_order_rc rgs_order_create(rgs_order_store *s, const rgs_order_input *in, long long *id)
{
  char stamp[RGS_ORDER_STAMP_MAX];
  checked_input c;
  rgs_order o;
  rgs_order_rc rc;

  if (s == NULL || in == NULL || id == NULL)
    return RGS_ORDER_ERR_ARG;
  *id = 0;
  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = check_input(s, in, &c);
  if (rc != RGS_ORDER_OK)
    goto done;
  order_stamp(s, stamp, sizeof(stamp));
  rc = insert_order(s, in, &c, stamp, id);
  if (rc == RGS_ORDER_OK)
    rc = insert_documents(s, *id, stamp);
  if (rc == RGS_ORDER_OK)
    rc = order_load(s, *id, &o);
  if (rc != RGS_ORDER_OK)
    goto done;
  /* The first history entry: from nothing to draft. */
  o.status_at[0] = '\0';
  rc = order_move(s, &o, RGS_STATUS_DRAFT, _("order recorded"));
  if (rc == RGS_ORDER_OK) {
    snprintf(o.cgu_accepted_at, sizeof(o.cgu_accepted_at), "%s", in->accept_cgu ? stamp : "");
    rc = maybe_place(s, &o);
  }

done:
  rc = order_txn_end(s, rc);
  if (rc != RGS_ORDER_OK)
    *id = 0;
  return rc;
}

/* ---- update ------------------------------------------------------------------ */

static rgs_order_rc set_column(rgs_order_store *s, long long id, const char *column,
                               const char *text, int number, int is_number)
{
  char sql[128];
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  snprintf(sql, sizeof(sql), "UPDATE orders SET %s = ? WHERE id = ?", column);
  rc = order_prepare(s, sql, &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  if (is_number)
    sqlite3_bind_int(st, 1, number);
  else
    order_bind_text(st, 1, text);
  sqlite3_bind_int64(st, 2, id);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  if (src != SQLITE_DONE)
    return order_sqlite_fail(s, src, _("writing an order"));
  return RGS_ORDER_OK;
}

static rgs_order_rc apply_update(rgs_order_store *s, rgs_order *o, const rgs_order_update *u)
{
  char stamp[RGS_ORDER_STAMP_MAX], dept[4];
  rgs_order_rc rc = RGS_ORDER_OK;

  if (u->ca_ref != NULL) {
    rc = check_ca_ref(s, u->ca_ref, o->id);
    if (rc == RGS_ORDER_OK)
      rc = set_column(s, o->id, "ca_ref", u->ca_ref, 0, 0);
  }
  if (rc == RGS_ORDER_OK && u->email != NULL) {
    rc = check_email(s, u->email);
    if (rc == RGS_ORDER_OK)
      rc = set_column(s, o->id, "email", u->email, 0, 0);
  }
  if (rc == RGS_ORDER_OK && u->phone != NULL) {
    rc = check_phone(s, u->phone);
    if (rc == RGS_ORDER_OK)
      rc = set_column(s, o->id, "phone", u->phone, 0, 0);
  }
  if (rc == RGS_ORDER_OK && u->os_set)
    rc = set_column(s, o->id, "os", rgs_order_os_name(u->os), 0, 0);
  if (rc == RGS_ORDER_OK && u->dept != NULL) {
    rc = rgs_order_dept_parse(u->dept, dept, sizeof(dept), s->err, sizeof(s->err));
    if (rc == RGS_ORDER_OK)
      rc = set_column(s, o->id, "dept", dept, 0, 0);
  }
  if (rc == RGS_ORDER_OK && u->validity_years != 0) {
    if (u->validity_years < 1 || u->validity_years > 3)
      rc = order_fail(s, RGS_ORDER_ERR_VALIDITY, "%s", rgs_order_strerror(RGS_ORDER_ERR_VALIDITY));
    else if (o->status > RGS_STATUS_ORDERED && u->validity_years != o->validity_years)
      rc = order_fail(s, RGS_ORDER_ERR_TRANSITION,
                      _("order %lld is %s: the validity decided the key size and can no longer change"),
                      o->id, rgs_order_status_word(o->status));
    else
      rc = set_column(s, o->id, "validity_years", NULL, u->validity_years, 1);
  }
  if (rc == RGS_ORDER_OK && u->payment != RGS_PAY_NONE) {
    rc = set_column(s, o->id, "payment", rgs_order_payment_name(u->payment), 0, 0);
    o->payment = u->payment;
  }
  if (rc == RGS_ORDER_OK && u->accept_cgu && o->cgu_accepted_at[0] == '\0') {
    order_stamp(s, stamp, sizeof(stamp));
    rc = set_column(s, o->id, "cgu_accepted_at", stamp, 0, 0);
    snprintf(o->cgu_accepted_at, sizeof(o->cgu_accepted_at), "%s", stamp);
  }
  return rc;
}

rgs_order_rc rgs_order_update_fields(rgs_order_store *s, long long id, const rgs_order_update *u)
{
  rgs_order o;
  rgs_order_rc rc;

  if (s == NULL || u == NULL)
    return RGS_ORDER_ERR_ARG;
  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_load_changeable(s, id, &o);
  if (rc == RGS_ORDER_OK)
    rc = apply_update(s, &o, u);
  if (rc == RGS_ORDER_OK)
    rc = maybe_place(s, &o);
  return order_txn_end(s, rc);
}

/* ---- list and history ------------------------------------------------------------ */

rgs_order_rc rgs_order_list(rgs_order_store *s, const rgs_order_filter *f,
                            int (*cb)(void *ud, const rgs_order *o), void *ud, size_t *count)
{
  char sql[512];
  sqlite3_stmt *st = NULL;
  rgs_order_filter none;
  rgs_order o;
  rgs_order_rc rc;
  size_t n = 0;
  int src, i = 1;

  if (s == NULL || cb == NULL)
    return RGS_ORDER_ERR_ARG;
  if (f == NULL) {
    memset(&none, 0, sizeof(none));
    f = &none;
  }
  snprintf(sql, sizeof(sql), "SELECT " ORDER_COLUMNS " FROM orders WHERE 1%s%s%s%s ORDER BY id%s",
           f->dept != NULL ? " AND dept = ?" : "", f->status_set ? " AND status = ?" : "",
           f->open_only ? " AND status NOT IN ('installed','cancelled','refused')" : "",
           f->siren != NULL ? " AND siren = ?" : "", f->limit > 0 ? " LIMIT ?" : "");
  rc = order_prepare(s, sql, &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  if (f->dept != NULL)
    sqlite3_bind_text(st, i++, f->dept, -1, SQLITE_TRANSIENT);
  if (f->status_set)
    sqlite3_bind_text(st, i++, rgs_order_status_name(f->status), -1, SQLITE_STATIC);
  if (f->siren != NULL)
    sqlite3_bind_text(st, i++, f->siren, -1, SQLITE_TRANSIENT);
  if (f->limit > 0)
    sqlite3_bind_int64(st, i++, f->limit);
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    row_to_order(st, &o);
    n++;
    if (cb(ud, &o) != 0) {
      src = SQLITE_DONE;
      break;
    }
  }
  if (src != SQLITE_DONE)
    rc = order_sqlite_fail(s, src, _("reading the orders"));
  sqlite3_finalize(st);
  if (count != NULL)
    *count = n;
  return rc;
}

/* A refusal by install is kept as a history note with this stable prefix,
 * so that status finds it whatever the language it was written in. */
#define INSTALL_REFUSED_PREFIX "install-refused: "

/* The stored form of a refusal, in words for people. The translated
 * prefix makes it longer than the note: it is cut on a character boundary
 * (snprintf could cut one in two, and history and --json would then print
 * bytes that are not UTF-8). */
static void render_note(char *note, size_t len)
{
  size_t plen = strlen(INSTALL_REFUSED_PREFIX);
  char reason[256], full[768];

  if (strncmp(note, INSTALL_REFUSED_PREFIX, plen) != 0)
    return;
  snprintf(reason, sizeof(reason), "%s", note + plen);
  snprintf(full, sizeof(full), _("install refused the certificate kept with the order: %s"),
           reason);
  rgsx_sanitize_buf(note, len, full, strlen(full));
}

rgs_order_rc rgs_order_history(rgs_order_store *s, long long id, rgs_order_event **events,
                               size_t *n)
{
  sqlite3_stmt *st = NULL;
  rgs_order_event *ev = NULL, *grown;
  size_t cap = 0, count = 0;
  char tmp[32];
  rgs_order o;
  rgs_order_rc rc;
  int src;

  if (s == NULL || events == NULL || n == NULL)
    return RGS_ORDER_ERR_ARG;
  *events = NULL;
  *n = 0;
  rc = order_load(s, id, &o);
  if (rc == RGS_ORDER_OK)
    rc = order_prepare(s, "SELECT at, from_status, to_status, note FROM history "
                          "WHERE order_id = ? ORDER BY id", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, id);
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    if (count == cap) {
      cap = cap == 0 ? 8 : cap * 2;
      grown = realloc(ev, cap * sizeof(*ev));
      if (grown == NULL) {
        rc = RGS_ORDER_ERR_NOMEM;
        goto cleanup;
      }
      ev = grown;
    }
    memset(&ev[count], 0, sizeof(ev[count]));
    order_column_text(st, 0, ev[count].at, sizeof(ev[count].at));
    order_column_text(st, 1, tmp, sizeof(tmp));
    ev[count].has_from = order_status_from_name(tmp, &ev[count].from);
    order_column_text(st, 2, tmp, sizeof(tmp));
    order_status_from_name(tmp, &ev[count].to);
    order_column_text(st, 3, ev[count].note, sizeof(ev[count].note));
    render_note(ev[count].note, sizeof(ev[count].note));
    count++;
  }
  if (src != SQLITE_DONE)
    rc = order_sqlite_fail(s, src, _("reading an order's history"));

cleanup:
  sqlite3_finalize(st);
  if (rc != RGS_ORDER_OK) {
    free(ev);
    return rc;
  }
  *events = ev;
  *n = count;
  return RGS_ORDER_OK;
}

/* ---- notes: history lines that do not change the status ------------------------- */

static rgs_order_rc insert_note(rgs_order_store *s, const rgs_order *o, const char *note)
{
  sqlite3_stmt *st = NULL;
  char stamp[RGS_ORDER_STAMP_MAX];
  rgs_order_rc rc;
  int src;

  order_stamp(s, stamp, sizeof(stamp));
  rc = order_prepare(s, "INSERT INTO history (order_id, at, from_status, to_status, note) "
                        "VALUES (?, ?, ?, ?, ?)", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, o->id);
  sqlite3_bind_text(st, 2, stamp, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, rgs_order_status_name(o->status), -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, rgs_order_status_name(o->status), -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, note, -1, SQLITE_TRANSIENT);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  if (src != SQLITE_DONE)
    return order_sqlite_fail(s, src, _("writing an order's history"));
  return RGS_ORDER_OK;
}

rgs_order_rc rgs_order_note(rgs_order_store *s, long long id, const char *note)
{
  rgs_order o;
  rgs_order_rc rc;

  if (s == NULL || note == NULL)
    return RGS_ORDER_ERR_ARG;
  if (!order_text_ok(note, 256))
    return order_fail(s, RGS_ORDER_ERR_TEXT, "%s", _("the note must be text of at most 255 bytes"));
  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_load(s, id, &o);
  if (rc == RGS_ORDER_OK)
    rc = insert_note(s, &o, note);
  return order_txn_end(s, rc);
}

rgs_order_rc rgs_order_install_refused(rgs_order_store *s, long long id, const char *reason)
{
  char note[256], clean[256 - sizeof(INSTALL_REFUSED_PREFIX)];

  if (s == NULL || reason == NULL || reason[0] == '\0')
    return RGS_ORDER_ERR_ARG;
  /* Cut at a character boundary to fit a history note. */
  rgsx_sanitize_buf(clean, sizeof(clean), reason, strlen(reason));
  snprintf(note, sizeof(note), "%s%s", INSTALL_REFUSED_PREFIX, clean);
  return rgs_order_note(s, id, note);
}

rgs_order_rc rgs_order_install_refusal(rgs_order_store *s, long long id, char *reason,
                                       size_t reasonlen, char *at, size_t atlen, int *found)
{
  sqlite3_stmt *st = NULL;
  rgs_order_issuance is;
  char note[256], when[RGS_ORDER_STAMP_MAX];
  int src, got = 0, have_is = 0;
  rgs_order o;
  rgs_order_rc rc;

  if (s == NULL || reason == NULL || reasonlen == 0 || at == NULL || atlen == 0 || found == NULL)
    return RGS_ORDER_ERR_ARG;
  *found = 0;
  reason[0] = at[0] = '\0';
  rc = order_load(s, id, &o);
  if (rc != RGS_ORDER_OK)
    return rc;
  /* Installed since: the refusal is history, nothing to say now. */
  if (o.status != RGS_STATUS_ISSUED)
    return RGS_ORDER_OK;
  rc = order_prepare(s, "SELECT at, note FROM history WHERE order_id = ? AND "
                        "substr(note, 1, length(?2)) = ?2 ORDER BY id DESC LIMIT 1", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_text(st, 2, INSTALL_REFUSED_PREFIX, -1, SQLITE_STATIC);
  src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    order_column_text(st, 0, when, sizeof(when));
    order_column_text(st, 1, note, sizeof(note));
    got = 1;
  } else if (src != SQLITE_DONE) {
    rc = order_sqlite_fail(s, src, _("reading an order's history"));
  }
  sqlite3_finalize(st);
  if (rc != RGS_ORDER_OK || !got)
    return rc;
  /* A certificate received after the refusal has not been refused yet. */
  rc = rgs_order_issuance_get(s, id, &is, &have_is);
  if (rc != RGS_ORDER_OK)
    return rc;
  if (!have_is || is.cert_at[0] == '\0' || strcmp(is.cert_at, when) <= 0) {
    snprintf(reason, reasonlen, "%s", note + strlen(INSTALL_REFUSED_PREFIX));
    snprintf(at, atlen, "%s", when);
    *found = 1;
  }
  rgs_order_issuance_clear(&is);
  return RGS_ORDER_OK;
}
