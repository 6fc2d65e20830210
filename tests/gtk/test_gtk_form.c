/* SPDX-License-Identifier: BSD-3-Clause */
/* test_gtk_form.c - the order form's checks as the window applies them
 * while the person types (gtk/rgsg_form.h), against `rgs-enroll order new`
 * as the oracle: the command accepts what the form accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rgs_test.h"
#include "rgsg_form.h"
#include "rgsg_text.h"

static void test_company_ids(void **state)
{
  (void)state;
  assert_int_equal(rgsg_check_company_id("732829320"), RGSG_FIELD_OK);
  assert_int_equal(rgsg_check_company_id("732 829 320"), RGSG_FIELD_OK);
  assert_int_equal(rgsg_check_company_id("73282932000074"), RGSG_FIELD_OK);
  assert_int_equal(rgsg_check_company_id("732829321"), RGSG_FIELD_BAD_CHECK_DIGIT);
  /* A SIRET whose own digit holds but whose SIREN part does not. */
  assert_int_equal(rgsg_check_company_id("73282932100066"), RGSG_FIELD_BAD_CHECK_DIGIT);
  assert_int_equal(rgsg_check_company_id("7328293"), RGSG_FIELD_BAD_LENGTH);
  assert_int_equal(rgsg_check_company_id("73282932a"), RGSG_FIELD_NOT_DIGITS);
  assert_int_equal(rgsg_check_company_id(""), RGSG_FIELD_EMPTY);
}

static void test_email_partner_name(void **state)
{
  (void)state;
  assert_int_equal(rgsg_check_email("jean@example.fr"), RGSG_FIELD_OK);
  assert_int_equal(rgsg_check_email("jean@"), RGSG_FIELD_BAD_EMAIL);
  assert_int_equal(rgsg_check_email("jean@example"), RGSG_FIELD_BAD_EMAIL);
  assert_int_equal(rgsg_check_email("@example.fr"), RGSG_FIELD_BAD_EMAIL);
  assert_int_equal(rgsg_check_email("je an@example.fr"), RGSG_FIELD_BAD_EMAIL);
  assert_int_equal(rgsg_check_partner("cma"), RGSG_FIELD_OK);
  assert_int_equal(rgsg_check_partner("CCI"), RGSG_FIELD_BAD_PARTNER);
  assert_int_equal(rgsg_check_name("   "), RGSG_FIELD_EMPTY);
  assert_int_equal(rgsg_check_name("Élodie"), RGSG_FIELD_OK);
  assert_string_not_equal(rgsg_field_message(RGSG_FIELD_BAD_CHECK_DIGIT), "");
}

/* The command is the oracle: it takes every id the form takes and
 * refuses every id the form refuses for its digit. */
static void test_same_verdict_as_command(void **state)
{
  static const char *const ids[] = { "732829320", "732829321", "73282932000074",
                                     "73282932000075", "552100554", "552100555" };
  char *dir = rgs_tmpdir(), db[600];
  rgs_run_result r;
  size_t i;

  (void)state;
  snprintf(db, sizeof(db), "%s/orders.db", dir);
  for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
    assert_int_equal(rgs_enroll(&r, NULL, NULL, "--db", db, "--json", "order", "new",
                                "--partner", "CMA", "--holder-first-name", "Jean",
                                "--holder-last-name", "Dupont", "--email", "j@example.fr",
                                "--company", "B", strlen(ids[i]) == 14 ? "--siret" : "--siren",
                                ids[i], NULL),
                     0);
    if (rgsg_check_company_id(ids[i]) == RGSG_FIELD_OK)
      assert_int_equal(r.status, 0);
    else
      assert_int_not_equal(r.status, 0);
    rgs_run_free(&r);
  }
  rgs_rmrf(dir);
  free(dir);
}

/* The progress line of the key page: minutes and seconds from elapsed_ms. */
static void test_progress_text(void **state)
{
  static const struct {
    const char *step;
    gint64 ms;
    const char *want;
  } cases[] = {
    { "keygen", 0, "Making the key pair… 0:00 — do not unplug the key" },
    { "keygen", 12999, "Making the key pair… 0:12 — do not unplug the key" },
    { "keygen", 61000, "Making the key pair… 1:01 — do not unplug the key" },
    { "check", 2000, "Checking the key… 0:02" },
    { "csr", 1000, "Signing the request on the key… 0:01 — do not unplug the key" },
    { "submit-wait", 600000, "Working… 10:00" },
    { "keygen", -5, "Making the key pair… 0:00 — do not unplug the key" },
  };
  size_t i;
  char *t;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    t = rgsg_progress_text(cases[i].step, cases[i].ms);
    assert_string_equal(t, cases[i].want);
    g_free(t);
  }
}

/* The PIN failures of the real command, through the fault module's PIN
 * counter, told apart by their error.code: each gives the window's own
 * sentence and whether typing again can help. */
static void test_pin_error_codes(void **state)
{
  static const struct {
    const char *tries;      /* the fault module's counter at start */
    const char *final_try;  /* "--final-try" or NULL */
    const char *code;
    rgsg_pin_error want;
    gboolean retry;
  } cases[] = {
    { "3\n", NULL, "pin-incorrect", RGSG_PIN_ERR_INCORRECT, TRUE },
    { "1\n", NULL, "pin-final-try-not-consented", RGSG_PIN_ERR_FINAL_TRY, TRUE },
    { "1\n", "--final-try", "pin-incorrect", RGSG_PIN_ERR_INCORRECT, TRUE },
    { "0\n", NULL, "pin-locked", RGSG_PIN_ERR_LOCKED, FALSE },
  };
  rgs_softhsm t;
  rgs_run_result r;
  char pins[600], e_pins[700], e_real[700], e_mod[700], policy[700];
  const char *env[6];
  char *code;
  size_t i;

  (void)state;
  assert_int_equal(rgs_softhsm_init(&t, "pincodes"), 0);
  snprintf(pins, sizeof(pins), "%s/user-pin", t.dir);
  snprintf(e_pins, sizeof(e_pins), "RGS_FAULT_PIN_STATE=%s", pins);
  snprintf(e_real, sizeof(e_real), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  snprintf(e_mod, sizeof(e_mod), "RGS_ENROLL_MODULE=%s", rgs_env("RGS_FAULT_MODULE"));
  snprintf(policy, sizeof(policy), "%s/data/policy/demo-softhsm.conf", rgs_env("RGS_SOURCE_DIR"));
  env[0] = e_pins; env[1] = e_real; env[2] = e_mod; env[3] = NULL;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    assert_int_equal(rgs_write_file(pins, cases[i].tries), 0);
    assert_int_equal(rgs_enroll(&r, env, NULL, "--json", "--policy", policy, "--pin-file", t.bad_pin_file,
                                "keygen",
                                cases[i].final_try, NULL), 0);
    code = rgs_json_get(r.out, "error.code");
    assert_non_null(code);
    assert_string_equal(code, cases[i].code);
    assert_int_equal(rgsg_pin_error_of(code), cases[i].want);
    assert_int_equal(rgsg_pin_error_retry(rgsg_pin_error_of(code)), cases[i].retry);
    assert_non_null(rgsg_pin_error_text(rgsg_pin_error_of(code)));
    free(code);
    rgs_run_free(&r);
  }
  assert_int_equal(rgsg_pin_error_of("token-removed"), RGSG_PIN_ERR_NONE);
  assert_null(rgsg_pin_error_text(RGSG_PIN_ERR_NONE));
  rgs_softhsm_cleanup(&t);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_company_ids),
    cmocka_unit_test(test_email_partner_name),
    cmocka_unit_test(test_same_verdict_as_command),
    cmocka_unit_test(test_progress_text),
    cmocka_unit_test(test_pin_error_codes),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
