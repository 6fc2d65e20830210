/* SPDX-License-Identifier: BSD-3-Clause */
/* store.h - the order store as the commands use it: where it is, how its
 * failures are reported, how an order is shown, and the binding of a
 * certificate request that `order link` and `start --order` share. */
#ifndef RGS_STORE_H
#define RGS_STORE_H

#include <openssl/x509.h>
#include "flow.h"
#include "steps.h"

/* Exit status for a result of the order layer. */
int rgs_exit_for_order(rgs_order_rc rc);
/* Report an order-layer failure (message and detail); returns the exit. */
int rgs_fail_order(const rgs_io *io, const char *command, rgs_order_rc rc, const char *detail);
/* Same, the detail taken from the store. */
int rgs_fail_store(const rgs_io *io, const char *command, rgs_order_rc rc,
                   const rgs_order_store *st);

/* The store's path: --db, else $XDG_DATA_HOME/rgs-enroll/orders.db, else
 * $HOME/.local/share/rgs-enroll/orders.db. RGS_ORDER_OK (0) on success,
 * RGS_ORDER_ERR_IO when there is no home or the path does not fit in buf. */
rgs_order_rc rgs_store_path(const rgs_io *io, char *buf, size_t len);

/* Open the store, reporting failures (exit RGS_EXIT_STORE). With create 0
 * a missing store is not created: *out is NULL and RGS_EXIT_OK returned,
 * for commands that read and have nothing to read. The clock is rgs_now(). */
int rgs_store_open(const rgs_io *io, const char *command, int create, rgs_order_store **out);
/* Open an existing store for an order that must exist: a missing store is
 * reported as an unknown order. */
int rgs_store_open_for(const rgs_io *io, const char *command, long long id,
                       rgs_order_store **out);
/* The same two for commands that only read: the store is opened read-only
 * (a read-only file, directory or file system still works; nothing is
 * created or written; a store of an older schema is upgraded first when it
 * can be). */
int rgs_store_open_read(const rgs_io *io, const char *command, rgs_order_store **out);
int rgs_store_open_read_for(const rgs_io *io, const char *command, long long id,
                            rgs_order_store **out);

/* An order number from the command line (1 or more); usage error else. */
int rgs_parse_order_id(const rgs_io *io, const char *command, const char *text, long long *id);

/* The AED directory shipped with rgs-enroll (data/aed/offices.csv). */
void rgs_aed_shipped_path(char *buf, size_t len);
/* The directory in use: the shipped file, with the offices imported into
 * the store when there is one (st may be NULL); with dept, that
 * département's offices only (read through the store's index: a large
 * import costs nothing here). Failures reported; returns the exit. Free
 * *dir with rgs_order_aed_dir_free(). */
int rgs_store_aed_directory(const rgs_io *io, rgs_order_store *st, const char *dept,
                            rgs_order_aed_dir **dir, const char *command);
/* The AED office id from the directory in use, copied to *out; an unknown
 * one is reported (RGS_ORDER_ERR_NO_AED). Returns the exit. */
int rgs_store_find_aed(const rgs_io *io, rgs_order_store *st, const char *id,
                       rgs_order_aed *out, const char *command);

/* "50.00 €" (the translation decides the decimal mark). */
void rgs_format_euros(long cents, char *buf, size_t len);

/* Members describing an order, under key (NULL inside an array). */
void rgs_json_order(rgs_json *j, const char *key, const rgs_order *o);
/* One line for people: "Frédéric SENEZ, BS AUTO (SIREN 732829320)". */
void rgs_orders_oneline(const rgs_order *o, char *buf, size_t len);
/* A sentence for a note on the documents. */
void rgs_docnote_text(const rgs_order_docnote *n, char *buf, size_t len);
/* A stored date or time (ISO 8601) for people, in the machine's zone:
 * "7 décembre 2026 à 10 h 00" (rgsx_time_text); returns buf. */
const char *rgs_when(const char *iso, unsigned flags, char *buf, size_t len);
/* An appointment ("YYYY-MM-DDTHH:MM", Europe/Paris wall clock) for
 * people: its own wall-clock time, with the offset when the machine is in
 * another zone; returns buf. */
const char *rgs_appt_when(const char *at, unsigned flags, char *buf, size_t len);
/* The same for --json: ISO 8601 with the offset, "2026-12-20T10:00:00+01:00";
 * NULL when at is empty (no date booked). */
const char *rgs_appt_json(const char *at, char *buf, size_t len);

/* ---- the binding of a request -------------------------------------------- */

/* The subject fields of a request or a certificate, as UTF-8 copies. */
typedef struct {
  char *cn, *o;
  char *ou[RGS_ORDER_MAX_OU];
  char *gn, *sn, *email, *org_id;
  char refused[320];           /* why the structure is refused, "" when sound */
  rgs_order_subject subj;      /* points into the copies */
} rgs_name_fields;

/* Every RDN of name is read: a NUL byte or control in a value, a repeated
 * attribute, a multi-valued RDN or an attribute type the order cannot
 * vouch for sets f->refused (and f->subj.refused), which
 * rgs_order_subject_match then reports. 1 on success, 0 when out of
 * memory; free with rgs_name_fields_free() in every case. */
int rgs_name_fields_get(const X509_NAME *name, rgs_name_fields *f);
void rgs_name_fields_free(rgs_name_fields *f);

/* Load order id and check, before any token is touched, that a request
 * can be bound to it now (status). Failures reported; returns the exit. */
int rgs_store_order_for_link(const rgs_io *io, rgs_order_store *st, long long id,
                             rgs_order *o, const char *command);
/* Fill the subject options that were not given from the order: CN
 * "Prénom NOM" (last name upper-cased), O the company, the SIREN or SIRET,
 * the email. cn_buf keeps the CN text (at least 2 * RGS_ORDER_NAME_MAX). */
void rgs_store_fill_subject(const rgs_order *o, rgs_subject_opts *so, char *cn_buf, size_t len);
/* Check a name against the order; RGS_EXIT_CHECK with the reason if it
 * does not match. */
int rgs_store_check_name(const rgs_io *io, const rgs_order *o, const X509_NAME *name,
                         const char *command);

/* Bind a verified request to the order with what is known of the token
 * (each may be NULL): the one code `order link` and `start --order` use.
 * Prints nothing on success; reports failures and returns the exit. */
int rgs_store_link(const rgs_io *io, rgs_order_store *st, long long id, X509_REQ *req,
                   const char *token_serial, const char *token_model, const char *key_uri,
                   const char *command);

/* ---- start --order ---------------------------------------------------------- */

/* Before any token is touched: open the store, load order id_text, check
 * that a request can be bound to it, take its validity (a --validity-years
 * given that differs is a usage error; *validity_years is 0 when none was
 * given) and fill the subject options not given (rgs_store_fill_subject).
 * On failure the store is closed and the exit returned. */
int rgs_store_start_order(const rgs_io *io, const char *id_text, rgs_order_store **st,
                          rgs_order *o, int *validity_years, rgs_subject_opts *so,
                          char *cn_buf, size_t len);
/* After the request is written: bind it with the token's serial and model
 * and the key's URI, as order link does; on failure say how to bind the
 * written file later. */
int rgs_store_link_start(const rgs_io *io, rgs_order_store *st, long long id, X509_REQ *csr,
                         rgs_session *s, const rgs_p11_key *key, const char *csr_path);
/* Text line, or "order" member of j under --json, for the bound order. */
void rgs_store_report_start(const rgs_io *io, rgs_json *j, rgs_order_store *st, long long id);

#endif
