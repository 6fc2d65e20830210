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

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_company_ids),
    cmocka_unit_test(test_email_partner_name),
    cmocka_unit_test(test_same_verdict_as_command),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
