/* SPDX-License-Identifier: BSD-3-Clause */
/* expiry.h - when the installed certificate of an order ends: its dates
 * read from the certificate and kept in the store, the days left, the
 * reminder threshold reached, and what to do, in words. `status` shows it,
 * `remind` (remind.h) tells the person at 90, 30, 7 and 1 day(s). */
#ifndef RGS_EXPIRY_H
#define RGS_EXPIRY_H

#include <time.h>
#include <openssl/x509.h>
#include "json.h"
#include "rgs_order.h"

typedef struct {
  int known;                 /* 0: no certificate kept with the order, no dates recorded */
  rgs_order_cert_dates d;    /* d.reminded: -1 when none was given for this certificate */
  time_t not_before, not_after;
  long days_left;            /* calendar days, local time, from today to the end day;
                              * negative once it has ended */
  int ended;                 /* now is past not_after */
  int uses_est;              /* the order's certificate came over EST: renew there */
  char est_url[512];         /* the EST server used, "" when none */
} rgs_expiry;

/* The dates, serial, issuer and CN of cert (UTF-8, sanitised). 1 on
 * success, 0 when a date cannot be read or memory runs out. */
int rgs_expiry_dates_of(X509 *cert, rgs_order_cert_dates *d);

/* Record the dates of cert, just installed for order id (joins the
 * caller's transaction). */
rgs_order_rc rgs_expiry_record(rgs_order_store *st, long long id, X509 *cert);

/* The end of order o's certificate at time now: the certificate kept with
 * the order (issuance) is read and, when its dates are not recorded yet
 * (an install of an older rgs-enroll) or another certificate replaced it
 * (renew), they are recorded when write is 1 (a store opened for reading
 * only is left alone with 0). Without a kept certificate, the recorded
 * dates; e->known 0 when there are none. */
rgs_order_rc rgs_expiry_get(rgs_order_store *st, const rgs_order *o, time_t now, int write,
                            rgs_expiry *e);

/* The reminder threshold e has reached: 90, 30, 7 or 1 (days before the
 * end), 0 once it has ended, -1 when the end is more than 90 days away or
 * unknown. */
int rgs_expiry_threshold(const rgs_expiry *e);
/* 1 when the threshold reached was not announced yet for this certificate
 * (a later one than the last reminder given). */
int rgs_expiry_due(const rgs_expiry *e);

/* "ends on 7 December 2029, in 1096 days", "ends today (on 7 December 2029 at 10:00)",
 * "ended on 7 December 2029, 3 days ago" (translated). */
void rgs_expiry_text(const rgs_expiry *e, char *buf, size_t len);
/* What to do for order id in plain words: order the renewal on the
 * Certigna portal, or `rgs-enroll renew ID --est URL` where EST was used
 * and the certificate still authenticates (not after the end). */
void rgs_expiry_action(const rgs_expiry *e, long long id, char *buf, size_t len);
/* "portal" or "est": the stable name of the way to renew, for --json. */
const char *rgs_expiry_renew_name(const rgs_expiry *e);

/* Members of the certificate's dates under key (NULL in an array):
 * not_before, not_after (ISO 8601 with the machine's offset), days_left,
 * ended, serial, subject_cn, issuer, renew, text. */
void rgs_expiry_json(rgs_json *j, const char *key, const rgs_expiry *e);

#endif
