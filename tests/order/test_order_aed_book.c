/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_order_aed_book.c - the appointment as the AED's office can take it
 * (issue 11, "The AED directory"): a date in the past, on a Sunday or a
 * public holiday, or outside office hours is refused (usage, 2) unless
 * --force; the date is shown with its offset (Europe/Paris, winter and
 * summer time); booking again keeps the former date in the history; the
 * offices that serve another département are listed for it; aed list
 * without a département says how to get the others.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rgs_test.h"
#include "rgs_order.h"

/* "Today" is Tuesday 24 November 2026. */
static const char *const env[] = { "RGS_ENROLL_NOW=2026-11-24", "LC_ALL=C.UTF-8", "LANGUAGE=en",
                                   "TZ=Europe/Paris", NULL };

static void run(rgs_run_result *r, const char *db, ...)
{
  va_list ap;

  va_start(ap, db);
  rgs_enroll_db_v(r, env, db, 0, ap);
  va_end(ap);
}

static void run_json(rgs_run_result *r, const char *db, ...)
{
  va_list ap;

  va_start(ap, db);
  rgs_enroll_db_v(r, env, db, 1, ap);
  va_end(ap);
}

static void new_order(const char *db)
{
  rgs_run_result r;

  run(&r, db, "order", "new", "--partner", "cma", "--validity", "3", "--holder-first-name",
      "Frédéric", "--holder-last-name", "Senez", "--email", "f.senez@example.fr", "--company",
      "BS AUTO", "--siren", "732829320", "--payment", "virement", "--accept-cgu", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
}

static void book_refused(const char *db, const char *date, const char *why)
{
  rgs_run_result r;

  run(&r, db, "aed", "book", "1", "--aed", "acthemis-arles", "--date", date, "--mode",
      "holder-travels", NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  assert_contains(r.err, why);
  assert_contains(r.err, "--force");
  rgs_run_free(&r);
}

static void test_refused_dates(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  new_order(f->db);
  book_refused(f->db, "2026-11-20T10:00", "in the past");
  book_refused(f->db, "2026-11-24T00:30", "in the past");      /* today, already gone */
  book_refused(f->db, "2026-12-06T10:00", "Sunday");
  book_refused(f->db, "2026-12-25T10:00", "public holiday");   /* a Friday */
  book_refused(f->db, "2027-03-29T10:00", "public holiday");   /* Easter Monday 2027 */
  book_refused(f->db, "2026-12-03T07:59", "outside office hours");
  book_refused(f->db, "2026-12-03T19:00", "outside office hours");
  book_refused(f->db, "2026-12-05T12:00", "outside office hours");   /* Saturday noon */
  /* nothing was recorded */
  run_json(&r, f->db, "order", "show", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_not_contains(r.out, "2026-12-06");
  rgs_run_free(&r);
  /* the edges of the hours are open */
  run(&r, f->db, "aed", "book", "1", "--aed", "acthemis-arles", "--date", "2026-12-05T09:00",
      "--mode", "holder-travels", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  run(&r, f->db, "aed", "book", "1", "--date", "2026-12-03T18:59", "--mode", "holder-travels", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
}

static void test_force_and_history(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  new_order(f->db);
  run_json(&r, f->db, "aed", "book", "1", "--aed", "acthemis-arles", "--date", "2026-12-06T10:00",
           "--mode", "holder-travels", "--force", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "at", "2026-12-06T10:00:00+01:00");
  rgs_assert_json(r.out, "start", "2026-12-06T10:00:00+01:00");
  rgs_assert_json(r.out, "tz", "Europe/Paris");
  rgs_run_free(&r);
  /* rebooked in summer time: the offset follows; the old date stays */
  run_json(&r, f->db, "aed", "book", "1", "--date", "2027-06-15T14:30", "--mode", "holder-travels",
           NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "start", "2027-06-15T14:30:00+02:00");
  rgs_run_free(&r);
  run_json(&r, f->db, "order", "show", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "appointment.at", "2027-06-15T14:30:00+02:00");
  assert_contains(r.out, "appointment moved from 2026-12-06T10:00 to 2027-06-15T14:30");
  rgs_run_free(&r);
  /* the date typed the French way; the text shows it in words, French time */
  run(&r, f->db, "aed", "book", "1", "--date", "07/12/2026 9h00", "--mode", "holder-travels", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "booked on 7 December 2026 at 09:00");
  rgs_run_free(&r);
  run_json(&r, f->db, "order", "show", "1", NULL);
  assert_contains(r.out, "appointment moved from 2027-06-15T14:30 to 2026-12-07T09:00");
  assert_contains(r.out, "appointment moved from 2026-12-06T10:00 to 2027-06-15T14:30");
  rgs_run_free(&r);
}

static void test_served_departments(void **state)
{
  rgs_store_fixture *f = *state;
  char csv[600];
  rgs_run_result r;

  snprintf(csv, sizeof(csv), "%s/vaucluse.csv", f->dir);
  assert_int_equal(rgs_write_file(csv,
                                  "id,name,address,postal_code,city,department,phone,email,depts\n"
                                  "dupont-avignon,SCP Dupont,1 rue Carnot,84000,AVIGNON,84,04 90 00 00 00,etude@dupont.example.fr,30; 4\n"
                                  "martin-orange,SCP Martin,2 cours Aristide Briand,84100,ORANGE,84,,,\n"),
                   0);
  run(&r, f->db, "aed", "import", csv, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  /* Gard (30) has no office of its own: the Avignon office serves it */
  run_json(&r, f->db, "aed", "list", "--dept", "30", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "count", "1");
  rgs_assert_json(r.out, "offices.0.id", "dupont-avignon");
  rgs_assert_json(r.out, "offices.0.dept", "84");
  rgs_assert_json(r.out, "offices.0.depts", "30;04");
  rgs_assert_json(r.out, "offices.0.phone", "04 90 00 00 00");
  rgs_run_free(&r);
  run_json(&r, f->db, "aed", "list", "--dept", "04", NULL);
  rgs_assert_json(r.out, "count", "1");
  rgs_run_free(&r);
  run_json(&r, f->db, "aed", "list", "--dept", "84", NULL);
  rgs_assert_json(r.out, "count", "2");
  rgs_run_free(&r);
  run(&r, f->db, "aed", "list", "--dept", "13", NULL);
  assert_not_contains(r.out, "dupont-avignon");
  rgs_run_free(&r);
  /* a bad served list names the line */
  assert_int_equal(rgs_write_file(csv, "id,name,address,postal_code,city,department,depts\n"
                                       "x,X,1 rue,84000,AVIGNON,84,30;99x\n"), 0);
  run(&r, f->db, "aed", "import", csv, NULL);
  assert_true(r.status != RGS_EXIT_OK);
  assert_contains(r.err, "vaucluse.csv:2");
  rgs_run_free(&r);
}

static void test_list_says_how(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  run(&r, f->db, "aed", "list", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "acthemis-arles");
  assert_contains(r.out, "another\ndépartement, import a CSV file");
  assert_contains(r.out, "commissaires de justice directory");
  rgs_run_free(&r);
  run(&r, f->db, "aed", "import", "--help", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "depts");
  assert_contains(r.out, "id,name,address,postal_code,city,department,phone,email,depts");
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_refused_dates, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_force_and_history, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_served_departments, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_list_says_how, rgs_store_setup, rgs_store_teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
