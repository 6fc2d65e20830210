/* SPDX-License-Identifier: BSD-3-Clause */
/* test_order_dates.c - dates and words for people through the real
 * rgs-enroll (issue 13): prose shows local dates in words and labels in
 * the person's language, never an ISO stamp or a stored code; dates are
 * typed the French way too; --json keeps the codes, and every time in it
 * carries an offset. French assertions need the fr catalogue to hold the
 * translations listed in this report (month names, "bank card",
 * the status words). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rgs_test.h"

#define NOW "RGS_ENROLL_NOW=2026-11-24"
static const char *const env_en[] = { NOW, "LC_ALL=C.UTF-8", "LANGUAGE=en", "TZ=Europe/Paris", NULL };
static const char *const env_fr[] = { NOW, "LC_ALL=C.UTF-8", "LANGUAGE=fr", "TZ=Europe/Paris", NULL };
/* LANGUAGE alone: no LC_ALL, LC_MESSAGES or LANG (the locale is "C"). */
static const char *const env_language_only[] = { NOW, "LC_ALL=", "LC_MESSAGES=", "LANG=",
                                                  "LANGUAGE=fr", "TZ=Europe/Paris", NULL };

static void run_env(rgs_run_result *r, const char *const *env, int json, const char *db, ...)
{
  va_list ap;

  va_start(ap, db);
  rgs_enroll_db_v(r, env, db, json, ap);
  va_end(ap);
}

static int digits(const char *p, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (p[i] < '0' || p[i] > '9')
      return 0;
  return 1;
}

/* Prose must not show "2026-11-24T00:00:00Z" nor a bare "2026-11-24". */
static void assert_no_iso(const char *text)
{
  size_t i, n = strlen(text);

  for (i = 0; i + 10 <= n; i++) {
    if (text[i] == 'T' && i + 9 <= n && digits(text + i + 1, 2) && text[i + 3] == ':' &&
        digits(text + i + 4, 2) && text[i + 6] == ':' && digits(text + i + 7, 2))
      fail_msg("an ISO time in prose at \"%.24s\":\n%s", text + (i >= 10 ? i - 10 : 0), text);
    if (digits(text + i, 4) && text[i + 4] == '-' && digits(text + i + 5, 2) && text[i + 7] == '-' &&
        digits(text + i + 8, 2))
      fail_msg("an ISO date in prose at \"%.20s\":\n%s", text + i, text);
  }
}

/* Every "YYYY-MM-DDTHH:MM" in a JSON document goes on with ":SS" and a
 * zone ("Z" or an offset). */
static void assert_json_times_zoned(const char *doc)
{
  size_t i, n = strlen(doc);
  const char *z;

  for (i = 0; i + 16 <= n; i++) {
    if (!(digits(doc + i, 4) && doc[i + 4] == '-' && doc[i + 10] == 'T' && doc[i + 13] == ':'))
      continue;
    z = doc + i + 16;
    if (!(z[0] == ':' && digits(z + 1, 2) && (z[3] == 'Z' || z[3] == '+' || z[3] == '-')))
      fail_msg("a time without its zone at \"%.26s\" in:\n%s", doc + i, doc);
  }
}

/* An order paid by card, an appointment and documents, all typed the
 * French way. */
static void make_order(const char *db)
{
  rgs_run_result r;

  run_env(&r, env_en, 0, db, "order", "new", "--partner", "cma", "--holder-first-name", "Jean",
          "--holder-last-name", "Dupont", "--email", "jean@example.fr", "--company", "ACME",
          "--siren", "732829320", "--payment", "card", "--accept-cgu", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  run_env(&r, env_en, 0, db, "aed", "book", "1", "--aed", "acthemis-arles", "--date",
          "03/12/2026 10h00", "--mode", "holder-travels", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  run_env(&r, env_en, 0, db, "order", "docs", "1", "--set", "kbis", "--date", "1/11/2026", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  run_env(&r, env_en, 0, db, "order", "docs", "1", "--set", "pi\xc3\xa8" "ce d'identit\xc3\xa9",
          "--expires", "02/05/2031", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  run_env(&r, env_en, 0, db, "order", "docs", "1", "--set", "demande", "--state", "pr\xc3\xaat", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
}

static void test_english_prose(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  make_order(f->db);
  run_env(&r, env_en, 0, f->db, "order", "show", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_no_iso(r.out);
  /* Stamps of 2026-11-24T00:00:00Z, shown in Paris. */
  assert_contains(r.out, "Status       : ordered (CGU accepted), since 24 November 2026 at 01:00");
  assert_contains(r.out, "Payment      : bank card;");
  assert_contains(r.out, "Department   : 13");
  assert_contains(r.out, "Appointment  : 3 December 2026 at 10:00, the holder goes to the AED");
  assert_contains(r.out, "24 November 2026 at 01:00      ordered");
  rgs_run_free(&r);
  run_env(&r, env_en, 0, f->db, "order", "docs", "1", NULL);
  assert_no_iso(r.out);
  assert_contains(r.out, "(issued 1 November 2026, good until 31 January 2027)");
  assert_contains(r.out, "(valid until 2 May 2031)");
  assert_contains(r.out, "[ready   ] signed request form");
  rgs_run_free(&r);
  run_env(&r, env_en, 0, f->db, "status", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_no_iso(r.out);
  assert_contains(r.out, "since 24 November 2026 at 01:00");
  assert_contains(r.out, "Meet the AED on 3 December 2026 at 10:00 at ");
  rgs_run_free(&r);
  run_env(&r, env_en, 0, f->db, "order", "list", NULL);
  assert_contains(r.out, "ordered");
  rgs_run_free(&r);
}

static void test_json_codes_and_offsets(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  make_order(f->db);
  run_env(&r, env_fr, 1, f->db, "order", "show", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_json_times_zoned(r.out);
  rgs_assert_json(r.out, "appointment.at", "2026-12-03T10:00:00+01:00");
  rgs_assert_json(r.out, "order.status_at", "2026-11-24T00:00:00Z");
  rgs_assert_json(r.out, "order.status", "ordered");
  rgs_assert_json(r.out, "order.payment", "carte");
  rgs_assert_json(r.out, "history.1.to", "ordered");
  rgs_assert_json(r.out, "documents.0.state", "ready");
  rgs_assert_json(r.out, "documents.2.expires_on", "2031-05-02");
  rgs_assert_json(r.out, "documents.3.kind", "registration-extract");
  rgs_assert_json(r.out, "documents.3.issued_on", "2026-11-01");
  rgs_run_free(&r);
  run_env(&r, env_fr, 1, f->db, "status", "1", NULL);
  assert_json_times_zoned(r.out);
  rgs_assert_json(r.out, "orders.0.status", "ordered");
  rgs_run_free(&r);
  /* Values typed in French select the same codes. */
  run_env(&r, env_fr, 1, f->db, "order", "list", "--status", "command\xc3\xa9" "e", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "count", "1");
  rgs_run_free(&r);
  run_env(&r, env_fr, 1, f->db, "order", "set", "1", "--payment", "virement", NULL);
  rgs_assert_json(r.out, "order.payment", "virement");
  rgs_run_free(&r);
  run_env(&r, env_en, 1, f->db, "order", "set", "1", "--payment", "check", NULL);
  rgs_assert_json(r.out, "order.payment", "cheque");
  rgs_run_free(&r);
}

/* Needs the fr catalogue with this translations. */
static void test_french_prose(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  make_order(f->db);
  run_env(&r, env_fr, 0, f->db, "order", "show", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_no_iso(r.out);
  assert_contains(r.out, "command\xc3\xa9" "e (CGU accept\xc3\xa9" "es), depuis le 24 novembre 2026 \xc3\xa0 1 h 00");
  assert_contains(r.out, "carte bancaire");
  assert_contains(r.out, "D\xc3\xa9partement  : 13");
  assert_contains(r.out, "3 d\xc3\xa9" "cembre 2026 \xc3\xa0 10 h 00");
  /* the history's step in words, not "ordered" */
  assert_contains(r.out, "24 novembre 2026 \xc3\xa0 1 h 00      command\xc3\xa9" "e");
  assert_null(strstr(r.out, " ordered "));
  assert_null(strstr(r.out, "bank card"));
  rgs_run_free(&r);
  run_env(&r, env_fr, 0, f->db, "order", "docs", "1", NULL);
  assert_no_iso(r.out);
  assert_contains(r.out, "valable jusqu'au 31 janvier 2027");
  assert_contains(r.out, "1er novembre 2026");
  rgs_run_free(&r);
  /* No raw code after "à l'état". */
  run_env(&r, env_fr, 0, f->db, "order", "cancel", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  run_env(&r, env_fr, 0, f->db, "order", "cancel", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_null(strstr(r.err, "cancelled"));
  assert_contains(r.err, "annul\xc3\xa9" "e");
  rgs_run_free(&r);
}

/* LANGUAGE=fr alone, the locale being "C": French all the same. */
static void test_language_alone(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  make_order(f->db);
  run_env(&r, env_language_only, 0, f->db, "order", "show", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Commande n\xc2\xb0 1");
  assert_contains(r.out, "Porteur");
  rgs_run_free(&r);
  /* An explicit LC_ALL=C is a script's choice: the messages stay English. */
  {
    static const char *const env_c[] = { NOW, "LC_ALL=C", "LANGUAGE=fr", "TZ=Europe/Paris", NULL };
    run_env(&r, env_c, 0, f->db, "order", "show", "1", NULL);
    assert_contains(r.out, "Order 1:");
    rgs_run_free(&r);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_english_prose, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_json_codes_and_offsets, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_french_prose, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_language_alone, rgs_store_setup, rgs_store_teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
