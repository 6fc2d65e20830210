/* SPDX-License-Identifier: BSD-3-Clause */
/* order_date.c - calendar days as ISO 8601 text, checked for real. */
#include <stdio.h>
#include <string.h>
#include "order_internal.h"

static int is_leap(int y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
  static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* n digits at p into *v; 0 when one is not a digit. */
static int digits(const char *p, int n, int *v)
{
  int i;

  *v = 0;
  for (i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return 0;
    *v = *v * 10 + (p[i] - '0');
  }
  return 1;
}

static int parse_day(const char *t, int *y, int *m, int *d)
{
  if (t == NULL || strlen(t) < 10 || t[4] != '-' || t[7] != '-')
    return 0;
  if (!digits(t, 4, y) || !digits(t + 5, 2, m) || !digits(t + 8, 2, d))
    return 0;
  return *y >= 1900 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= days_in_month(*y, *m);
}

int rgs_order_date_valid(const char *text)
{
  int y, m, d;

  return text != NULL && strlen(text) == 10 && parse_day(text, &y, &m, &d);
}

int rgs_order_datetime_parse(const char *text, char *out, size_t outlen)
{
  int y, m, d, hh, mm;

  if (text == NULL || out == NULL || outlen < 17 || strlen(text) != 16)
    return 0;
  if (!parse_day(text, &y, &m, &d) || (text[10] != 'T' && text[10] != ' ') ||
      text[13] != ':' || !digits(text + 11, 2, &hh) || !digits(text + 14, 2, &mm) ||
      hh > 23 || mm > 59)
    return 0;
  snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d", y, m, d, hh, mm);
  return 1;
}

void rgs_order_date_of(time_t t, char *out, size_t outlen)
{
  struct tm tm;

  gmtime_r(&t, &tm);
  snprintf(out, outlen, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
  long era, doe, yoe, doy, mp;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)(yoe + era * 400 + (*m <= 2));
}

long order_day_number(const char *date)
{
  int y = 1970, m = 1, d = 1;

  parse_day(date, &y, &m, &d);
  return (long)rgsx_days_from_civil(y, m, d);
}

long rgs_order_date_diff(const char *a, const char *b)
{
  return order_day_number(b) - order_day_number(a);
}

void rgs_order_date_last_day_under(const char *issued, int months, char *out, size_t outlen)
{
  int y = 1970, m = 1, d = 1, total;

  parse_day(issued, &y, &m, &d);
  total = y * 12 + (m - 1) + months;
  y = total / 12;
  m = total % 12 + 1;
  if (d > days_in_month(y, m))
    d = days_in_month(y, m);
  civil_from_days((long)rgsx_days_from_civil(y, m, d) - 1, &y, &m, &d);
  snprintf(out, outlen, "%04d-%02d-%02d", y, m, d);
}
