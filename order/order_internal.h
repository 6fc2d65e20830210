/* SPDX-License-Identifier: BSD-3-Clause */
/* order_internal.h - shared between the files of order/, not installed. */
#ifndef RGS_ORDER_INTERNAL_H
#define RGS_ORDER_INTERNAL_H

#include <stdarg.h>
#include <sqlite3.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgs_order.h"

/* "RGSE": PRAGMA application_id of every store, checked before opening. */
#define ORDER_APPLICATION_ID 0x52475345

struct rgs_order_store {
  sqlite3 *db;
  char path[4096];
  char err[1024];
  int depth;               /* transaction nesting: 0 none, 1 BEGIN, more SAVEPOINTs */
  int failed;              /* a nested step failed: the outer commit rolls back */
  int readonly;            /* opened by rgs_order_store_open_readonly: no write at all */
  int fixed_now;
  time_t now;
};

/* ---- order_store.c ---- */
/* Record a detail in s->err (printf format); returns rc. */
rgs_order_rc order_fail(rgs_order_store *s, rgs_order_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Map an SQLite result to rc, with the database's message as detail. */
rgs_order_rc order_sqlite_fail(rgs_order_store *s, int sqlite_rc, const char *what);
time_t order_now(const rgs_order_store *s);
/* "YYYY-MM-DDTHH:MM:SSZ" of now; out at least RGS_ORDER_STAMP_MAX. */
void order_stamp(const rgs_order_store *s, char *out, size_t outlen);
void order_today(const rgs_order_store *s, char *out, size_t outlen);
rgs_order_rc order_prepare(rgs_order_store *s, const char *sql, sqlite3_stmt **st);
/* Run one statement with no result rows. */
rgs_order_rc order_exec(rgs_order_store *s, const char *sql);
/* Bind text, or NULL for NULL or "". */
int order_bind_text(sqlite3_stmt *st, int i, const char *text);
/* Copy a column as text ("" for NULL), truncated to outlen. */
void order_column_text(sqlite3_stmt *st, int col, char *out, size_t outlen);
rgs_order_rc order_txn_begin(rgs_order_store *s);
/* Commit when ok, else roll back; returns rc (or the commit's failure). */
rgs_order_rc order_txn_end(rgs_order_store *s, rgs_order_rc rc);

/* ---- order_db.c ---- */
/* Load the order inside the current transaction (RGS_ORDER_ERR_NO_ORDER). */
rgs_order_rc order_load(rgs_order_store *s, long long id, rgs_order *o);
/* The same for a change of what is recorded: an order in a final status
 * is refused (RGS_ORDER_ERR_TRANSITION, "it can no longer change"). */
rgs_order_rc order_load_changeable(rgs_order_store *s, long long id, rgs_order *o);
/* Change status and add the history entry (no transaction of its own).
 * An order whose status_at is "" is being created: its first entry has no
 * "from" status. */
rgs_order_rc order_move(rgs_order_store *s, rgs_order *o, rgs_order_status to,
                        const char *note);
/* RGS_ORDER_ERR_TRANSITION with the sentence that names the current status. */
rgs_order_rc order_refuse_transition(rgs_order_store *s, const rgs_order *o,
                                     rgs_order_status to);

/* ---- order_text.c ---- */
/* 1 when text is valid UTF-8 without control characters, 1..max-1 bytes. */
int order_text_ok(const char *text, size_t max);
int order_email_ok(const char *text);
int order_phone_ok(const char *text);
/* Lower-case ASCII copy, for matching names typed in any case. */
void order_ascii_lower(const char *in, char *out, size_t outlen);

/* ---- order_values.c ---- */
int order_status_from_name(const char *name, rgs_order_status *out);
int order_os_from_name(const char *name, rgs_order_os *out);
int order_payment_from_name(const char *name, rgs_order_payment *out);
int order_doc_kind_from_name(const char *name, rgs_order_doc_kind *out);
int order_doc_state_from_name(const char *name, rgs_order_doc_state *out);
int order_mode_from_name(const char *name, rgs_order_f2f_mode *out);

/* ---- order_labels.c: what people type, in either language ---- */
int order_status_from_word(const char *text, rgs_order_status *out);
int order_payment_from_word(const char *text, rgs_order_payment *out);
int order_doc_kind_from_word(const char *text, rgs_order_doc_kind *out);
int order_doc_state_from_word(const char *text, rgs_order_doc_state *out);

/* ---- order_date.c ---- */
/* Days since 1970-01-01 of a valid date (no check). */
long order_day_number(const char *date);

/* ---- order_aed.c ---- */
/* Create *dir empty when it is NULL; RGS_ORDER_ERR_NOMEM. */
rgs_order_rc order_aed_dir_new(rgs_order_aed_dir **dir);
/* Add (or replace by id) one office; RGS_ORDER_ERR_NOMEM. */
rgs_order_rc order_aed_dir_put(rgs_order_aed_dir **dir, const rgs_order_aed *a);
/* Check one office's fields; 0 and why on error. */
int order_aed_valid(const rgs_order_aed *a, char *why, size_t whylen);

/* Schema migrations defined beside the code that uses the tables. */
extern const char order_sql_issuance[];
extern const char order_sql_f2f[];
extern const char order_sql_cert_dates[];

/* The columns of an AED office, in the order order_aed_put_rows reads them. */
#define ORDER_AED_COLUMNS "id, name, address, postal_code, city, dept, phone, email, source"
/* Put every office the statement st yields into *dir (same id: replaced). */
rgs_order_rc order_aed_put_rows(rgs_order_store *s, sqlite3_stmt *st, rgs_order_aed_dir **dir);

#endif
