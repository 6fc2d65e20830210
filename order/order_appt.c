/* SPDX-License-Identifier: BSD-3-Clause */
/* order_appt.c - the AED office of an order, the appointment, and the
 * directory offices imported into the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "order_internal.h"

/* ---- the directory in use ------------------------------------------------- */

static rgs_order_rc setting_get(rgs_order_store *s, const char *key, char *out, size_t outlen)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  out[0] = '\0';
  rc = order_prepare(s, "SELECT value FROM settings WHERE key = ?", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  src = sqlite3_step(st);
  if (src == SQLITE_ROW)
    order_column_text(st, 0, out, outlen);
  else if (src != SQLITE_DONE)
    rc = order_sqlite_fail(s, src, _("reading the store"));
  sqlite3_finalize(st);
  return rc;
}

static rgs_order_rc setting_put(rgs_order_store *s, const char *key, const char *value)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  rc = order_prepare(s, "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  return src == SQLITE_DONE ? RGS_ORDER_OK : order_sqlite_fail(s, src, _("writing the store"));
}

static rgs_order_rc imported_offices(rgs_order_store *s, rgs_order_aed_dir **dir)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;

  rc = order_prepare(s, "SELECT " ORDER_AED_COLUMNS " FROM aed_office ORDER BY rowid", &st);
  if (rc == RGS_ORDER_OK)
    rc = order_aed_put_rows(s, st, dir);
  sqlite3_finalize(st);
  return rc;
}

rgs_order_rc rgs_order_aed_directory(rgs_order_store *s, const char *shipped_path,
                                     rgs_order_aed_dir **out)
{
  rgs_order_aed_dir *dir = NULL;
  char replace[8];
  rgs_order_rc rc;

  if (s == NULL || out == NULL)
    return RGS_ORDER_ERR_ARG;
  *out = NULL;
  rc = setting_get(s, "aed.replace", replace, sizeof(replace));
  if (rc == RGS_ORDER_OK && shipped_path != NULL && strcmp(replace, "1") != 0)
    rc = rgs_order_aed_dir_load(&dir, shipped_path, s->err, sizeof(s->err));
  if (rc == RGS_ORDER_OK)
    rc = imported_offices(s, &dir);
  if (rc == RGS_ORDER_OK)
    rc = order_aed_dir_new(&dir);
  if (rc != RGS_ORDER_OK) {
    rgs_order_aed_dir_free(dir);
    return rc;
  }
  *out = dir;
  return RGS_ORDER_OK;
}

/* The départements an office serves besides its own (none: no row). */
static rgs_order_rc put_served(rgs_order_store *s, const rgs_order_aed *a)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  rc = order_prepare(s, a->served[0] != '\0'
                            ? "INSERT OR REPLACE INTO aed_office_served (office_id, depts) VALUES (?, ?)"
                            : "DELETE FROM aed_office_served WHERE office_id = ?", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_text(st, 1, a->id, -1, SQLITE_TRANSIENT);
  if (a->served[0] != '\0')
    sqlite3_bind_text(st, 2, a->served, -1, SQLITE_TRANSIENT);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  return src == SQLITE_DONE ? RGS_ORDER_OK : order_sqlite_fail(s, src, _("writing the AED offices"));
}

static rgs_order_rc put_office(rgs_order_store *s, sqlite3_stmt *st, const rgs_order_aed *a)
{
  int src;

  sqlite3_reset(st);
  sqlite3_bind_text(st, 1, a->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, a->name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, a->address, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, a->postal_code, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, a->city, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 6, a->dept, -1, SQLITE_TRANSIENT);
  order_bind_text(st, 7, a->phone);
  order_bind_text(st, 8, a->email);
  order_bind_text(st, 9, a->source);
  src = sqlite3_step(st);
  if (src != SQLITE_DONE)
    return order_sqlite_fail(s, src, _("writing the AED offices"));
  return put_served(s, a);
}

rgs_order_rc rgs_order_aed_import(rgs_order_store *s, const rgs_order_aed_dir *dir, int replace)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  size_t i;

  if (s == NULL || dir == NULL)
    return RGS_ORDER_ERR_ARG;
  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  if (replace) {
    rc = order_exec(s, "DELETE FROM aed_office; DELETE FROM aed_office_served");
    if (rc == RGS_ORDER_OK)
      rc = setting_put(s, "aed.replace", "1");
  }
  if (rc == RGS_ORDER_OK)
    rc = order_prepare(s, "INSERT OR REPLACE INTO aed_office (id, name, address, postal_code, "
                          "city, dept, phone, email, source) VALUES (?,?,?,?,?,?,?,?,?)", &st);
  for (i = 0; rc == RGS_ORDER_OK && i < rgs_order_aed_dir_count(dir); i++)
    rc = put_office(s, st, rgs_order_aed_dir_get(dir, i));
  sqlite3_finalize(st);
  return order_txn_end(s, rc);
}

/* ---- the office of an order and the appointment -------------------------------- */

rgs_order_rc rgs_order_appointment_get(rgs_order_store *s, long long id,
                                       rgs_order_appointment *a, int *found)
{
  sqlite3_stmt *st = NULL;
  char mode[32];
  rgs_order o;
  rgs_order_rc rc;
  int src;

  if (s == NULL || a == NULL || found == NULL)
    return RGS_ORDER_ERR_ARG;
  memset(a, 0, sizeof(*a));
  a->distance_km = -1;
  *found = 0;
  rc = order_load(s, id, &o);
  if (rc == RGS_ORDER_OK)
    rc = order_prepare(s, "SELECT aed_id, aed_name, aed_address, aed_postal_code, aed_city, "
                          "aed_dept, aed_phone, aed_email, at, mode, distance_km, fee_ht_cents, "
                          "booked_at FROM appointment WHERE order_id = ?", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, id);
  src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    *found = 1;
    order_column_text(st, 0, a->aed.id, sizeof(a->aed.id));
    order_column_text(st, 1, a->aed.name, sizeof(a->aed.name));
    order_column_text(st, 2, a->aed.address, sizeof(a->aed.address));
    order_column_text(st, 3, a->aed.postal_code, sizeof(a->aed.postal_code));
    order_column_text(st, 4, a->aed.city, sizeof(a->aed.city));
    order_column_text(st, 5, a->aed.dept, sizeof(a->aed.dept));
    order_column_text(st, 6, a->aed.phone, sizeof(a->aed.phone));
    order_column_text(st, 7, a->aed.email, sizeof(a->aed.email));
    order_column_text(st, 8, a->at, sizeof(a->at));
    order_column_text(st, 9, mode, sizeof(mode));
    a->mode_set = order_mode_from_name(mode, &a->mode);
    if (sqlite3_column_type(st, 10) != SQLITE_NULL)
      a->distance_km = sqlite3_column_int(st, 10);
    a->priced = sqlite3_column_type(st, 11) != SQLITE_NULL;
    a->fee_ht_cents = sqlite3_column_int64(st, 11);
    order_column_text(st, 12, a->booked_at, sizeof(a->booked_at));
  } else if (src != SQLITE_DONE) {
    rc = order_sqlite_fail(s, src, _("reading the appointment"));
  }
  sqlite3_finalize(st);
  return rc;
}

/* The office can be chosen or the date booked while the face-to-face is
 * still to come; booking needs a placed order. */
static rgs_order_rc check_can_arrange(rgs_order_store *s, const rgs_order *o, int booking)
{
  if (rgs_order_status_final(o->status) || o->status >= RGS_STATUS_F2F_DONE)
    return order_fail(s, RGS_ORDER_ERR_TRANSITION,
                      _("order %lld is %s: the face-to-face can no longer be arranged"), o->id,
                      rgs_order_status_word(o->status));
  if (booking && o->status == RGS_STATUS_DRAFT)
    return order_fail(s, RGS_ORDER_ERR_TRANSITION,
                      _("order %lld is a draft: place it (accept the CGU, choose the payment) before booking the face-to-face"),
                      o->id);
  return RGS_ORDER_OK;
}

static rgs_order_rc write_appointment(rgs_order_store *s, long long id, const rgs_order_aed *aed,
                                      const char *at, const rgs_order_quote *q)
{
  char stamp[RGS_ORDER_STAMP_MAX];
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  order_stamp(s, stamp, sizeof(stamp));
  rc = order_prepare(s, "INSERT OR REPLACE INTO appointment (order_id, aed_id, aed_name, aed_address, "
                        "aed_postal_code, aed_city, aed_dept, aed_phone, aed_email, at, mode, "
                        "distance_km, fee_ht_cents, booked_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_text(st, 2, aed->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, aed->name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, aed->address, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, aed->postal_code, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 6, aed->city, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 7, aed->dept, -1, SQLITE_TRANSIENT);
  order_bind_text(st, 8, aed->phone);
  order_bind_text(st, 9, aed->email);
  order_bind_text(st, 10, at);
  order_bind_text(st, 11, q != NULL ? rgs_order_mode_name(q->mode) : NULL);
  if (q != NULL && q->distance_km >= 0)
    sqlite3_bind_int(st, 12, q->distance_km);
  else
    sqlite3_bind_null(st, 12);
  if (q != NULL && q->priced)
    sqlite3_bind_int64(st, 13, q->ht_cents);
  else
    sqlite3_bind_null(st, 13);
  sqlite3_bind_text(st, 14, stamp, -1, SQLITE_TRANSIENT);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  if (src != SQLITE_DONE)
    return order_sqlite_fail(s, src, _("writing the appointment"));
  st = NULL;
  rc = order_prepare(s, "UPDATE orders SET dept = ? WHERE id = ?", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_text(st, 1, aed->dept, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, id);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  return src == SQLITE_DONE ? RGS_ORDER_OK : order_sqlite_fail(s, src, _("writing an order"));
}

static rgs_order_rc check_aed(rgs_order_store *s, const rgs_order_aed *aed)
{
  char why[256];

  if (!order_aed_valid(aed, why, sizeof(why)))
    return order_fail(s, RGS_ORDER_ERR_ARG, _("AED office '%s': %s"), aed->id, why);
  return RGS_ORDER_OK;
}

rgs_order_rc rgs_order_choose_aed(rgs_order_store *s, long long id, const rgs_order_aed *aed)
{
  rgs_order_appointment cur;
  rgs_order_quote q;
  rgs_order o;
  rgs_order_rc rc;
  int found = 0, keep;

  if (s == NULL || aed == NULL)
    return RGS_ORDER_ERR_ARG;
  rc = check_aed(s, aed);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_load(s, id, &o);
  if (rc == RGS_ORDER_OK)
    rc = check_can_arrange(s, &o, 0);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_appointment_get(s, id, &cur, &found);
  if (rc == RGS_ORDER_OK) {
    /* Same office: the booked date and fee stay. */
    keep = found && strcmp(cur.aed.id, aed->id) == 0;
    memset(&q, 0, sizeof(q));
    q.mode = cur.mode;
    q.distance_km = cur.distance_km;
    q.priced = cur.priced;
    q.ht_cents = cur.fee_ht_cents;
    rc = write_appointment(s, id, aed, keep ? cur.at : NULL, keep && cur.mode_set ? &q : NULL);
  }
  return order_txn_end(s, rc);
}

/* The zone of the appointment's wall-clock time, and a history line when
 * the date changes, so that the old appointment is not lost. */
static rgs_order_rc record_booking(rgs_order_store *s, const rgs_order *o, const char *old_at,
                                   const char *at)
{
  char stamp[RGS_ORDER_STAMP_MAX], note[128];
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  rc = order_prepare(s, "INSERT OR REPLACE INTO appointment_tz (order_id, tz) VALUES (?, ?)", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  sqlite3_bind_int64(st, 1, o->id);
  sqlite3_bind_text(st, 2, RGS_ORDER_APPT_TZ, -1, SQLITE_STATIC);
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  if (src != SQLITE_DONE)
    return order_sqlite_fail(s, src, _("writing the appointment"));
  if (old_at[0] == '\0' || strcmp(old_at, at) == 0)
    return RGS_ORDER_OK;
  /* Stable English words, as the other notes of the history. */
  snprintf(note, sizeof(note), "appointment moved from %s to %s (%s)", old_at, at,
           RGS_ORDER_APPT_TZ);
  order_stamp(s, stamp, sizeof(stamp));
  st = NULL;
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
  return src == SQLITE_DONE ? RGS_ORDER_OK : order_sqlite_fail(s, src, _("writing an order's history"));
}

rgs_order_rc rgs_order_book(rgs_order_store *s, long long id, const rgs_order_aed *aed,
                            const char *at, rgs_order_f2f_mode mode, int distance_km)
{
  rgs_order_appointment cur;
  rgs_order_quote q;
  char when[17];
  rgs_order o;
  rgs_order_rc rc;
  int found = 0;

  if (s == NULL)
    return RGS_ORDER_ERR_ARG;
  if (!rgs_order_datetime_parse(at, when, sizeof(when)))
    return order_fail(s, RGS_ORDER_ERR_DATE, _("'%s' is not a day and time YYYY-MM-DDTHH:MM"),
                      at != NULL ? at : "");
  rc = rgs_order_aed_quote(mode, distance_km, &q);
  if (rc != RGS_ORDER_OK)
    return order_fail(s, rc, "%s", mode == RGS_F2F_AED_TRAVELS && distance_km == -1
                                       ? _("when the AED travels, give the distance in km")
                                       : _("the distance must be 0 to 2000 km"));
  rc = aed != NULL ? check_aed(s, aed) : RGS_ORDER_OK;
  if (rc == RGS_ORDER_OK)
    rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  rc = order_load(s, id, &o);
  if (rc == RGS_ORDER_OK)
    rc = check_can_arrange(s, &o, 1);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_appointment_get(s, id, &cur, &found);
  if (rc == RGS_ORDER_OK && aed == NULL && !found)
    rc = order_fail(s, RGS_ORDER_ERR_NO_AED, _("order %lld has no AED office yet: name one"), id);
  if (rc == RGS_ORDER_OK)
    rc = write_appointment(s, id, aed != NULL ? aed : &cur.aed, when, &q);
  if (rc == RGS_ORDER_OK)
    rc = record_booking(s, &o, found ? cur.at : "", when);
  return order_txn_end(s, rc);
}

/* ---- office hours and time zone -------------------------------------------------- */

/* The hours at which an appointment can be booked, per day of the week
 * (tm_wday, 0 = Sunday), in minutes after midnight, Europe/Paris: the usual
 * opening of a commissaire de justice's office. Closed: open == close. */
static const struct {
  int open, close;
} office_hours[7] = {
  { 0, 0 },                    /* Sunday: closed */
  { 8 * 60, 19 * 60 },         /* Monday to Friday 08:00-19:00 */
  { 8 * 60, 19 * 60 },
  { 8 * 60, 19 * 60 },
  { 8 * 60, 19 * 60 },
  { 8 * 60, 19 * 60 },
  { 9 * 60, 12 * 60 },         /* Saturday 09:00-12:00 */
};

const char *rgs_order_appt_hours_text(void)
{
  return _("Monday to Friday 08:00-19:00, Saturday 09:00-12:00, not on Sundays or public holidays");
}

/* Day of the year (1 = 1 January) of Easter Sunday (Gregorian computus). */
static int easter_yday(int y)
{
  int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25;
  int g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4;
  int l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451;
  int month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

  return month == 3 ? 31 + 28 + leap + day : 31 + 28 + leap + 31 + day;
}

/* The French public holidays (metropolitan): fixed dates, and Easter
 * Monday, Ascension and Whit Monday. tm as normalised by mktime. */
static int public_holiday(const struct tm *tm)
{
  static const int fixed[][2] = { { 1, 1 }, { 5, 1 }, { 5, 8 }, { 7, 14 }, { 8, 15 },
                                  { 11, 1 }, { 11, 11 }, { 12, 25 } };
  int e = easter_yday(tm->tm_year + 1900), yday = tm->tm_yday + 1;
  size_t i;

  for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
    if (tm->tm_mon + 1 == fixed[i][0] && tm->tm_mday == fixed[i][1])
      return 1;
  return yday == e + 1 || yday == e + 39 || yday == e + 50;
}

/* at read as Europe/Paris wall-clock time: the instant, the normalised
 * fields and the offset from UTC in seconds. TZ is process-wide: it is set
 * and restored within this one function (the program has one thread), so
 * that nothing else sees another zone. */
static int paris_time(const char *at, time_t *t, struct tm *tm, long *offset)
{
  char when[17], *saved = NULL;
  const char *old = getenv("TZ");
  struct tm lt;
  int ok = 0;

  if (!rgs_order_datetime_parse(at, when, sizeof(when)))
    return 0;
  memset(tm, 0, sizeof(*tm));
  if (sscanf(when, "%4d-%2d-%2dT%2d:%2d", &tm->tm_year, &tm->tm_mon, &tm->tm_mday, &tm->tm_hour,
             &tm->tm_min) != 5)
    return 0;
  tm->tm_year -= 1900;
  tm->tm_mon -= 1;
  tm->tm_isdst = -1;
  if (old != NULL && (saved = strdup(old)) == NULL)
    return 0;
  setenv("TZ", RGS_ORDER_APPT_TZ, 1);
  tzset();
  *t = mktime(tm);
  if (*t != (time_t)-1 && localtime_r(t, &lt) != NULL) {
    *offset = lt.tm_gmtoff;
    ok = 1;
  }
  if (saved != NULL)
    setenv("TZ", saved, 1);
  else
    unsetenv("TZ");
  tzset();
  free(saved);
  return ok;
}

rgs_order_appt_check_rc rgs_order_appt_check(const char *at, time_t now)
{
  struct tm tm;
  time_t t;
  long offset, minute;

  if (!paris_time(at, &t, &tm, &offset))
    return RGS_APPT_BAD_DATE;
  if (t < now)
    return RGS_APPT_PAST;
  if (office_hours[tm.tm_wday].open == office_hours[tm.tm_wday].close || public_holiday(&tm))
    return RGS_APPT_CLOSED_DAY;
  minute = tm.tm_hour * 60 + tm.tm_min;
  if (minute < office_hours[tm.tm_wday].open || minute >= office_hours[tm.tm_wday].close)
    return RGS_APPT_OUTSIDE_HOURS;
  return RGS_APPT_OK;
}

int rgs_order_appt_iso(const char *at, char *out, size_t outlen)
{
  struct tm tm;
  time_t t;
  long offset, a;

  if (!paris_time(at, &t, &tm, &offset))
    return 0;
  a = offset < 0 ? -offset : offset;
  snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:00%c%02ld:%02ld", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, offset < 0 ? '-' : '+', a / 3600,
           a / 60 % 60);
  return 1;
}
