/* SPDX-License-Identifier: BSD-3-Clause */
/* common_time.c - dates and times for people: the stored ISO 8601 text
 * written as a person reads it, and what a person types read back into
 * ISO 8601. The words and patterns come from the catalogue, so French
 * works on a machine that has no fr_FR locale data (only C.UTF-8). */
#include <stdio.h>
#include <string.h>
#include <openssl/asn1.h>
#include "rgs_common.h"
#include "common_internal.h"

/* ---- the calendar ------------------------------------------------------- */

static int is_leap(long y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(long y, int m)
{
  static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

long long rgsx_days_from_civil(long long y, int m, int d)
{
  long long era, yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153LL * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* ---- stored text: strict ISO 8601 ----------------------------------------- */

typedef struct {
  int y, mo, d, h, mi, s;
  int has_time;
  int has_zone;
  long offset;               /* seconds east of UTC, with has_zone */
} iso_parts;

/* Exactly n digits at *p into *v, *p moved past them. */
static int fixed_digits(const char **p, int n, int *v)
{
  int i;

  *v = 0;
  for (i = 0; i < n; i++) {
    if ((*p)[i] < '0' || (*p)[i] > '9')
      return 0;
    *v = *v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  return 1;
}

static int iso_zone(const char *p, iso_parts *t)
{
  int oh, om, sign;

  if (*p == '\0')
    return 1;
  t->has_zone = 1;
  if (p[0] == 'Z' && p[1] == '\0')
    return 1;
  if (*p != '+' && *p != '-')
    return 0;
  sign = *p == '-' ? -1 : 1;
  p++;
  if (!fixed_digits(&p, 2, &oh))
    return 0;
  if (*p == ':')
    p++;
  if (!fixed_digits(&p, 2, &om) || *p != '\0' || oh > 23 || om > 59)
    return 0;
  t->offset = sign * (oh * 3600L + om * 60L);
  return 1;
}

static int iso_read(const char *text, iso_parts *t)
{
  const char *p = text;

  memset(t, 0, sizeof(*t));
  if (p == NULL || !fixed_digits(&p, 4, &t->y) || *p++ != '-' || !fixed_digits(&p, 2, &t->mo) ||
      *p++ != '-' || !fixed_digits(&p, 2, &t->d))
    return 0;
  if (t->y < 1900 || t->mo < 1 || t->mo > 12 || t->d < 1 || t->d > days_in_month(t->y, t->mo))
    return 0;
  if (*p == '\0')
    return 1;
  if (*p != 'T' && *p != ' ')
    return 0;
  p++;
  t->has_time = 1;
  if (!fixed_digits(&p, 2, &t->h) || *p++ != ':' || !fixed_digits(&p, 2, &t->mi))
    return 0;
  if (*p == ':') {
    p++;
    if (!fixed_digits(&p, 2, &t->s) || t->s > 59)
      return 0;
  }
  return t->h <= 23 && t->mi <= 59 && iso_zone(p, t);
}

static time_t iso_instant(const iso_parts *t)
{
  return (time_t)(rgsx_days_from_civil(t->y, t->mo, t->d) * 86400L + t->h * 3600L + t->mi * 60L + t->s -
                  t->offset);
}

int rgsx_time_instant(const char *text, time_t *t)
{
  iso_parts p;

  if (!iso_read(text, &p) || !p.has_time || !p.has_zone)
    return 0;
  *t = iso_instant(&p);
  return 1;
}

/* ---- words for people --------------------------------------------------- */

static const char *const month_names[12] = {
  N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
  N_("July"), N_("August"), N_("September"), N_("October"), N_("November"), N_("December"),
};

static void words(int y, int mo, int d, int h, int mi, int with_time, unsigned flags, char *out,
                  size_t outlen)
{
  const char *month = _(month_names[mo - 1]);
  char day[96], both[128];

  if (d == 1)
    /* TRANSLATORS: the first day of a month: month name, year ("1er %s %d" in French). */
    snprintf(day, sizeof(day), _("1 %s %d"), month, y);
  else
    /* TRANSLATORS: a date: day of the month, month name, year. */
    snprintf(day, sizeof(day), _("%d %s %d"), d, month, y);
  if (with_time)
    /* TRANSLATORS: a date and a time of day (24-hour clock): "%s à %d h %02d" in French. */
    snprintf(both, sizeof(both), _("%s at %02d:%02d"), day, h, mi);
  else
    snprintf(both, sizeof(both), "%s", day);
  if (flags & RGSX_TIME_ON)
    /* TRANSLATORS: a date inside a sentence ("le %s" in French). */
    snprintf(out, outlen, _("on %s"), both);
  else
    snprintf(out, outlen, "%s", both);
}

static void words_tm(const struct tm *tm, int with_time, unsigned flags, char *out, size_t outlen)
{
  words(tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min, with_time,
        flags, out, outlen);
}

void rgsx_time_text_t(time_t t, unsigned flags, char *out, size_t outlen)
{
  struct tm tm;

  if (out == NULL || outlen == 0)
    return;
  if (localtime_r(&t, &tm) == NULL) {
    snprintf(out, outlen, "?");
    return;
  }
  words_tm(&tm, !(flags & RGSX_TIME_DAY), flags, out, outlen);
}

void rgsx_time_iso_local(time_t t, char *out, size_t outlen)
{
  struct tm tm;
  long off, a;

  if (out == NULL || outlen == 0)
    return;
  if (localtime_r(&t, &tm) == NULL) {
    snprintf(out, outlen, "?");
    return;
  }
  off = tm.tm_gmtoff;
  a = off < 0 ? -off : off;
  snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
           a / 3600, a / 60 % 60);
}

/* A wall-clock time written with its offset: as written, with the offset
 * when the machine's differs at that instant (a Paris appointment seen
 * from Martinique). */
static void wall_text(const iso_parts *p, unsigned flags, char *out, size_t outlen)
{
  time_t t = iso_instant(p);
  struct tm lt;
  size_t n;
  long a = p->offset < 0 ? -p->offset : p->offset;

  words(p->y, p->mo, p->d, p->h, p->mi, !(flags & RGSX_TIME_DAY), flags, out, outlen);
  if ((flags & RGSX_TIME_DAY) || localtime_r(&t, &lt) == NULL || lt.tm_gmtoff == p->offset)
    return;
  n = strlen(out);
  snprintf(out + n, outlen - n, " (UTC%c%02ld:%02ld)", p->offset < 0 ? '-' : '+', a / 3600,
           a / 60 % 60);
}

int rgsx_time_text(const char *text, unsigned flags, char *out, size_t outlen)
{
  iso_parts p;

  if (out == NULL || outlen == 0)
    return 0;
  if (!iso_read(text, &p)) {
    rgsx_sanitize_buf(out, outlen, text, text != NULL ? strlen(text) : 0);
    return 0;
  }
  if (!p.has_time || !p.has_zone)
    words(p.y, p.mo, p.d, p.h, p.mi, p.has_time && !(flags & RGSX_TIME_DAY), flags, out, outlen);
  else if (flags & RGSX_TIME_WALL)
    wall_text(&p, flags, out, outlen);
  else
    rgsx_time_text_t(iso_instant(&p), flags, out, outlen);
  return 1;
}

/* ---- what a person types ------------------------------------------------- */

/* 1 to max digits at *p: *v and *count; digits past max are counted, not
 * added (no overflow on a hostile "99999999999999"). */
static void some_digits(const char **p, int max, int *v, int *count)
{
  *v = 0;
  *count = 0;
  while (**p >= '0' && **p <= '9') {
    if (*count < max)
      *v = *v * 10 + (**p - '0');
    (*count)++;
    (*p)++;
  }
}

typedef struct {
  int y, mo, d, h, mi;
  int has_time;
} typed;

static int is_blank(char c)
{
  return c == ' ' || c == '\t';
}

static const char *skip_blanks(const char *p)
{
  while (is_blank(*p))
    p++;
  return p;
}

/* The day: "YYYY-MM-DD" or "DD/MM/YYYY" (one or two digits for D and M). */
static rgsx_date_rc typed_day(const char **pp, typed *t)
{
  const char *p = *pp;
  int a, b, c, na, nb, nc;
  char sep;

  some_digits(&p, 9, &a, &na);
  sep = *p;
  if (na == 0 || (sep != '-' && sep != '/'))
    return RGSX_DATE_FORM;
  p++;
  some_digits(&p, 9, &b, &nb);
  if (nb < 1 || nb > 2 || *p++ != sep)
    return RGSX_DATE_FORM;
  some_digits(&p, 9, &c, &nc);
  if (sep == '-') {
    if (nc < 1 || nc > 2 || na < 4)
      return RGSX_DATE_FORM;
    if (na > 4)
      return RGSX_DATE_YEAR;
  } else {
    if (na > 2 || nc < 4)
      return RGSX_DATE_FORM;
    if (nc > 4)
      return RGSX_DATE_YEAR;
  }
  t->y = sep == '-' ? a : c;
  t->mo = b;
  t->d = sep == '-' ? c : a;
  *pp = p;
  return RGSX_DATE_OK;
}

/* Between the day and the time: 'T', or blanks with an optional "à". */
static int typed_separator(const char **pp)
{
  const char *p = *pp;

  if (*p == 'T') {
    *pp = p + 1;
    return 1;
  }
  if (!is_blank(*p))
    return 0;
  p = skip_blanks(p);
  if (strncmp(p, "\xc3\xa0", 2) == 0 && is_blank(p[2]))
    p = skip_blanks(p + 2);
  else if ((*p == 'a' || *p == 'A') && is_blank(p[1]))
    p = skip_blanks(p + 1);
  *pp = p;
  return 1;
}

/* "10:00", "10h00", "10h", "10 h 30", "9h05". */
static rgsx_date_rc typed_time(const char *p, typed *t)
{
  int n;

  some_digits(&p, 9, &t->h, &n);
  if (n < 1 || n > 2)
    return RGSX_DATE_FORM;
  if (*p == ':') {
    p++;
    some_digits(&p, 9, &t->mi, &n);
    if (n != 2)
      return RGSX_DATE_FORM;
  } else {
    p = skip_blanks(p);
    if (*p != 'h' && *p != 'H')
      return RGSX_DATE_FORM;
    p = skip_blanks(p + 1);
    some_digits(&p, 9, &t->mi, &n);
    if (n != 0 && n != 2)
      return RGSX_DATE_FORM;
  }
  if (*p != '\0')
    return RGSX_DATE_FORM;
  return t->h <= 23 && t->mi <= 59 ? RGSX_DATE_OK : RGSX_DATE_NO_TIME;
}

static rgsx_date_rc typed_read(const char *text, typed *t)
{
  char buf[64];
  const char *p;
  size_t n;
  rgsx_date_rc rc;

  memset(t, 0, sizeof(*t));
  p = skip_blanks(text);
  n = strlen(p);
  while (n > 0 && is_blank(p[n - 1]))
    n--;
  if (n == 0 || n >= sizeof(buf))
    return RGSX_DATE_FORM;
  memcpy(buf, p, n);
  buf[n] = '\0';
  p = buf;
  rc = typed_day(&p, t);
  if (rc != RGSX_DATE_OK)
    return rc;
  if (*p != '\0') {
    if (!typed_separator(&p))
      return RGSX_DATE_FORM;
    t->has_time = 1;
    rc = typed_time(p, t);
    if (rc != RGSX_DATE_OK)
      return rc;
  }
  if (t->y < 1900)
    return RGSX_DATE_YEAR;
  if (t->mo < 1 || t->mo > 12 || t->d < 1 || t->d > days_in_month(t->y, t->mo))
    return RGSX_DATE_NO_DAY;
  return RGSX_DATE_OK;
}

rgsx_date_rc rgsx_date_input(const char *text, unsigned want, char *out, size_t outlen)
{
  typed t;
  rgsx_date_rc rc;

  if (out != NULL && outlen > 0)
    out[0] = '\0';
  if (text == NULL || out == NULL)
    return RGSX_DATE_FORM;
  rc = typed_read(text, &t);
  if (rc != RGSX_DATE_OK)
    return rc;
  if (want == RGSX_DATE_WANT_DAY && t.has_time)
    return RGSX_DATE_DAY_ONLY;
  if (want == RGSX_DATE_WANT_TIME && !t.has_time)
    return RGSX_DATE_TIME_NEEDED;
  if (outlen < (t.has_time ? 17u : 11u))
    return RGSX_DATE_FORM;
  if (t.has_time)
    snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d", t.y, t.mo, t.d, t.h, t.mi);
  else
    snprintf(out, outlen, "%04d-%02d-%02d", t.y, t.mo, t.d);
  return RGSX_DATE_OK;
}

const char *rgsx_date_strerror(rgsx_date_rc rc)
{
  switch (rc) {
  case RGSX_DATE_OK: return _("a valid date");
  case RGSX_DATE_FORM: return _("not a date: write the day as 20/12/2026 or 2026-12-20, and a time as 20/12/2026 10h00 or 2026-12-20T10:00");
  case RGSX_DATE_NO_DAY: return _("there is no such day in the calendar");
  case RGSX_DATE_NO_TIME: return _("there is no such time of day (00h00 to 23h59)");
  case RGSX_DATE_YEAR: return _("the year is written with four digits, from 1900 to 9999");
  case RGSX_DATE_TIME_NEEDED: return _("the time is missing: write 20/12/2026 10h00 or 2026-12-20T10:00");
  case RGSX_DATE_DAY_ONLY: return _("a day is expected here, without a time: 20/12/2026 or 2026-12-20");
  }
  return _("not a date");
}

time_t rgsx_asn1_time(const ASN1_TIME *t)
{
  struct tm tm;

  memset(&tm, 0, sizeof(tm));
  if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
    return (time_t)-1;
  return timegm(&tm);
}
