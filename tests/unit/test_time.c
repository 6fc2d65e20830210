/* SPDX-License-Identifier: BSD-3-Clause */
/* test_time.c - dates for people (rgsx_time_text) in English and French,
 * in Europe/Paris across both daylight-saving changes, and dates typed by
 * people (rgsx_date_input), hostile ones included. The French words come
 * from a test catalogue (time_fr.po) through gettext, as in the program:
 * no fr_FR locale data is needed, only C.UTF-8. */
#include <libintl.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rgs_common.h"

static void language(const char *lang, const char *tz)
{
  setenv("LANGUAGE", lang, 1);
  setenv("TZ", tz, 1);
  tzset();
  /* A change of locale tells gettext that LANGUAGE changed (it caches
   * translations otherwise); the same locale again would not. */
  assert_non_null(setlocale(LC_ALL, "C"));
  assert_non_null(setlocale(LC_ALL, "C.UTF-8"));
}

static void expect_text(const char *iso, unsigned flags, const char *want)
{
  char out[128];

  assert_int_equal(rgsx_time_text(iso, flags, out, sizeof(out)), 1);
  assert_string_equal(out, want);
}

static void test_english(void **state)
{
  (void)state;
  language("en", "Europe/Paris");
  expect_text("2026-12-07T09:00:00Z", 0, "7 December 2026 at 10:00");
  expect_text("2026-12-07T09:00:00Z", RGSX_TIME_ON, "on 7 December 2026 at 10:00");
  expect_text("2026-12-07T09:00:00Z", RGSX_TIME_DAY, "7 December 2026");
  expect_text("2026-12-07", 0, "7 December 2026");
  expect_text("2026-12-01", RGSX_TIME_ON, "on 1 December 2026");
  /* Midnight, and a UTC evening that is the next day (and year) in Paris. */
  expect_text("2026-12-06T23:00:00Z", 0, "7 December 2026 at 00:00");
  expect_text("2026-12-31T23:30:00Z", 0, "1 January 2027 at 00:30");
  /* A wall-clock time without a zone is shown as written. */
  expect_text("2026-12-20T10:00", 0, "20 December 2026 at 10:00");
  expect_text("2026-12-20 09:05", 0, "20 December 2026 at 09:05");
}

static void test_french(void **state)
{
  (void)state;
  language("fr", "Europe/Paris");
  expect_text("2026-12-07T09:00:00Z", RGSX_TIME_ON, "le 7 d\xc3\xa9" "cembre 2026 \xc3\xa0 10 h 00");
  expect_text("2026-12-07T09:00:00Z", 0, "7 d\xc3\xa9" "cembre 2026 \xc3\xa0 10 h 00");
  expect_text("2026-12-07", 0, "7 d\xc3\xa9" "cembre 2026");
  expect_text("2026-12-07", RGSX_TIME_ON, "le 7 d\xc3\xa9" "cembre 2026");
  expect_text("2026-12-06T23:00:00Z", 0, "7 d\xc3\xa9" "cembre 2026 \xc3\xa0 0 h 00");
  expect_text("2026-12-31T23:30:00Z", RGSX_TIME_ON, "le 1er janvier 2027 \xc3\xa0 0 h 30");
  expect_text("2026-08-15T07:05:00Z", 0, "15 ao\xc3\xbbt 2026 \xc3\xa0 9 h 05");
  expect_text("2027-02-01", 0, "1er f\xc3\xa9vrier 2027");
}

/* Europe/Paris goes to summer time on 29 March 2026 at 01:00 UTC and back
 * on 25 October 2026 at 01:00 UTC. */
static void test_dst(void **state)
{
  (void)state;
  language("en", "Europe/Paris");
  expect_text("2026-03-29T00:59:00Z", 0, "29 March 2026 at 01:59");
  expect_text("2026-03-29T01:00:00Z", 0, "29 March 2026 at 03:00");
  expect_text("2026-10-25T00:30:00Z", 0, "25 October 2026 at 02:30");
  expect_text("2026-10-25T01:30:00Z", 0, "25 October 2026 at 02:30");
  expect_text("2026-10-25T02:00:00Z", 0, "25 October 2026 at 03:00");
  language("fr", "Europe/Paris");
  expect_text("2026-03-29T01:00:00Z", 0, "29 mars 2026 \xc3\xa0 3 h 00");
}

/* An appointment is Paris wall-clock time: shown as written, with its
 * offset when the machine is elsewhere. */
static void test_wall(void **state)
{
  (void)state;
  language("en", "Europe/Paris");
  expect_text("2026-12-20T10:00:00+01:00", RGSX_TIME_WALL, "20 December 2026 at 10:00");
  expect_text("2026-07-20T10:00:00+02:00", RGSX_TIME_WALL, "20 July 2026 at 10:00");
  language("en", "America/Martinique");
  expect_text("2026-12-20T10:00:00+01:00", RGSX_TIME_WALL,
              "20 December 2026 at 10:00 (UTC+01:00)");
  expect_text("2026-12-20T10:00:00+01:00", 0, "20 December 2026 at 05:00");
  expect_text("2026-12-20T10:00:00+01:00", RGSX_TIME_WALL | RGSX_TIME_DAY, "20 December 2026");
}

static void test_iso(void **state)
{
  char out[32];
  time_t t;

  (void)state;
  language("en", "Europe/Paris");
  assert_int_equal(rgsx_time_instant("2026-12-07T00:46:04Z", &t), 1);
  rgsx_time_iso_local(t, out, sizeof(out));
  assert_string_equal(out, "2026-12-07T01:46:04+01:00");
  assert_int_equal(rgsx_time_instant("2026-07-01T10:00:00+02:00", &t), 1);
  rgsx_time_iso_local(t, out, sizeof(out));
  assert_string_equal(out, "2026-07-01T10:00:00+02:00");
  assert_int_equal(rgsx_time_instant("2026-12-20T10:00:00-0430", &t), 1);
  assert_int_equal((long long)t, 1797777000LL);
  /* No zone: not an instant. */
  assert_int_equal(rgsx_time_instant("2026-12-20T10:00", &t), 0);
  assert_int_equal(rgsx_time_instant("2026-12-20", &t), 0);
}

static void test_text_refused(void **state)
{
  static const char *const bad[] = {
    "2026-02-30", "2026-13-01", "2026-12-07T24:00:00Z", "2026-12-07T10:00:00+25:00",
    "2026-12-07T10:00:00Zjunk", "07/12/2026", "", "1899-12-31", "2026-12-7",
  };
  char out[64];
  size_t i;

  (void)state;
  language("en", "Europe/Paris");
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(rgsx_time_text(bad[i], 0, out, sizeof(out)), 0);
    assert_string_equal(out, bad[i]);
  }
  /* Shown all the same, but never raw control bytes. */
  assert_int_equal(rgsx_time_text("x\x1b[2J", 0, out, sizeof(out)), 0);
  assert_string_equal(out, "x?[2J");
  assert_int_equal(rgsx_time_text(NULL, 0, out, sizeof(out)), 0);
  assert_string_equal(out, "");
}

typedef struct {
  const char *typed;
  unsigned want;
  rgsx_date_rc rc;
  const char *iso;
} input_case;

static const input_case inputs[] = {
  { "20/12/2026", RGSX_DATE_WANT_DAY, RGSX_DATE_OK, "2026-12-20" },
  { "2026-12-20", RGSX_DATE_WANT_DAY, RGSX_DATE_OK, "2026-12-20" },
  { "  7/1/2027\t", RGSX_DATE_WANT_DAY, RGSX_DATE_OK, "2027-01-07" },
  { "29/02/2028", RGSX_DATE_WANT_DAY, RGSX_DATE_OK, "2028-02-29" },
  { "20/12/2026 10h00", RGSX_DATE_WANT_TIME, RGSX_DATE_OK, "2026-12-20T10:00" },
  { "20/12/2026 10:00", RGSX_DATE_WANT_TIME, RGSX_DATE_OK, "2026-12-20T10:00" },
  { "20/12/2026 10h", RGSX_DATE_WANT_TIME, RGSX_DATE_OK, "2026-12-20T10:00" },
  { "20/12/2026 10H15", RGSX_DATE_WANT_TIME, RGSX_DATE_OK, "2026-12-20T10:15" },
  { "20/12/2026 \xc3\xa0 9 h 30", RGSX_DATE_WANT_TIME, RGSX_DATE_OK, "2026-12-20T09:30" },
  { "20/12/2026 a 9h30", RGSX_DATE_WANT_TIME, RGSX_DATE_OK, "2026-12-20T09:30" },
  { "2026-12-20T10:00", RGSX_DATE_WANT_TIME, RGSX_DATE_OK, "2026-12-20T10:00" },
  { "2026-12-20 10:00", RGSX_DATE_WANT_TIME, RGSX_DATE_OK, "2026-12-20T10:00" },
  { "20/12/2026 0h00", RGSX_DATE_WANT_TIME, RGSX_DATE_OK, "2026-12-20T00:00" },
  { "20/12/2026", 0, RGSX_DATE_OK, "2026-12-20" },
  { "20/12/2026 10h", 0, RGSX_DATE_OK, "2026-12-20T10:00" },
  /* No such day, no such time. */
  { "31/02/2026", RGSX_DATE_WANT_DAY, RGSX_DATE_NO_DAY, "" },
  { "29/02/2027", RGSX_DATE_WANT_DAY, RGSX_DATE_NO_DAY, "" },
  { "2026-13-01", RGSX_DATE_WANT_DAY, RGSX_DATE_NO_DAY, "" },
  { "00/12/2026", RGSX_DATE_WANT_DAY, RGSX_DATE_NO_DAY, "" },
  { "31/04/2026 10h", RGSX_DATE_WANT_TIME, RGSX_DATE_NO_DAY, "" },
  { "20/12/2026 24h00", RGSX_DATE_WANT_TIME, RGSX_DATE_NO_TIME, "" },
  { "20/12/2026 10h75", RGSX_DATE_WANT_TIME, RGSX_DATE_NO_TIME, "" },
  /* Years. */
  { "20/12/99999", RGSX_DATE_WANT_DAY, RGSX_DATE_YEAR, "" },
  { "999999999999999-12-20", RGSX_DATE_WANT_DAY, RGSX_DATE_YEAR, "" },
  { "20/12/1899", RGSX_DATE_WANT_DAY, RGSX_DATE_YEAR, "" },
  { "20/12/26", RGSX_DATE_WANT_DAY, RGSX_DATE_FORM, "" },
  /* Trailing junk and other forms. */
  { "20/12/2026 10h00 junk", RGSX_DATE_WANT_TIME, RGSX_DATE_FORM, "" },
  { "20/12/2026x", RGSX_DATE_WANT_DAY, RGSX_DATE_FORM, "" },
  { "2026-12-20T10:00Z", RGSX_DATE_WANT_TIME, RGSX_DATE_FORM, "" },
  { "2026-12-20T10:00:00", RGSX_DATE_WANT_TIME, RGSX_DATE_FORM, "" },
  { "2026-12-20T", RGSX_DATE_WANT_TIME, RGSX_DATE_FORM, "" },
  { "20/12/2026 \xc3\xa0", RGSX_DATE_WANT_TIME, RGSX_DATE_FORM, "" },
  { "20/12/2026 10h5", RGSX_DATE_WANT_TIME, RGSX_DATE_FORM, "" },
  { "20/12/2026 99999999999999999999h", RGSX_DATE_WANT_TIME, RGSX_DATE_FORM, "" },
  { "-1/12/2026", RGSX_DATE_WANT_DAY, RGSX_DATE_FORM, "" },
  { "20//2026", RGSX_DATE_WANT_DAY, RGSX_DATE_FORM, "" },
  { "20-12-2026", RGSX_DATE_WANT_DAY, RGSX_DATE_FORM, "" },
  { "123/12/2026", RGSX_DATE_WANT_DAY, RGSX_DATE_FORM, "" },
  { "", RGSX_DATE_WANT_DAY, RGSX_DATE_FORM, "" },
  { "   ", RGSX_DATE_WANT_DAY, RGSX_DATE_FORM, "" },
  { "tomorrow", RGSX_DATE_WANT_DAY, RGSX_DATE_FORM, "" },
  /* The wrong kind for the option. */
  { "20/12/2026", RGSX_DATE_WANT_TIME, RGSX_DATE_TIME_NEEDED, "" },
  { "20/12/2026 10h", RGSX_DATE_WANT_DAY, RGSX_DATE_DAY_ONLY, "" },
};

static void test_input(void **state)
{
  char out[32];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
    rgsx_date_rc rc = rgsx_date_input(inputs[i].typed, inputs[i].want, out, sizeof(out));
    if (rc != inputs[i].rc || strcmp(out, inputs[i].iso) != 0)
      fail_msg("'%s': rc %d out '%s', expected rc %d out '%s'", inputs[i].typed, (int)rc, out,
               (int)inputs[i].rc, inputs[i].iso);
    assert_non_null(rgsx_date_strerror(rc));
  }
}

static void test_input_limits(void **state)
{
  char big[300], out[17], small[11];

  (void)state;
  memset(big, '1', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  assert_int_equal(rgsx_date_input(big, 0, out, sizeof(out)), RGSX_DATE_FORM);
  assert_int_equal(rgsx_date_input(NULL, 0, out, sizeof(out)), RGSX_DATE_FORM);
  /* Never cut: a date and time does not fit 11 bytes. */
  assert_int_equal(rgsx_date_input("20/12/2026 10h", 0, small, sizeof(small)), RGSX_DATE_FORM);
  assert_int_equal(rgsx_date_input("20/12/2026", 0, small, sizeof(small)), RGSX_DATE_OK);
  assert_string_equal(small, "2026-12-20");
}

/* Whatever the bytes, the parser either refuses them or gives ISO text
 * that the formatter reads back. */
static void test_input_random(void **state)
{
  static const char alphabet[] = "0123456789/-:hHT aZ+\xc3\xa0";
  char in[24], out[17], shown[128];
  unsigned seed = 13;
  int i, k, n;

  (void)state;
  for (i = 0; i < 200000; i++) {
    n = (int)(rand_r(&seed) % (sizeof(in) - 1));
    for (k = 0; k < n; k++)
      in[k] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
    in[n] = '\0';
    if (rgsx_date_input(in, 0, out, sizeof(out)) == RGSX_DATE_OK)
      assert_int_equal(rgsx_time_text(out, 0, shown, sizeof(shown)), 1);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_english),
    cmocka_unit_test(test_french),
    cmocka_unit_test(test_dst),
    cmocka_unit_test(test_wall),
    cmocka_unit_test(test_iso),
    cmocka_unit_test(test_text_refused),
    cmocka_unit_test(test_input),
    cmocka_unit_test(test_input_limits),
    cmocka_unit_test(test_input_random),
  };

  bindtextdomain("rgs-enroll", TEST_LOCALEDIR);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
