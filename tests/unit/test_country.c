/* SPDX-License-Identifier: BSD-3-Clause */
/* test_country.c - the country of a subject (order/order_country.c): the
 * ISO 3166-1 alpha-2 table checked against Debian's iso-codes as an
 * independent oracle, the normalisation of what a person types, and the
 * refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "rgs_order.h"

#define ISO_CODES_JSON "/usr/share/iso-codes/json/iso_3166-1.json"

static void test_typed_forms_are_normalised(void **state)
{
  static const struct {
    const char *typed, *code;
  } ok[] = {
    { "FR", "FR" }, { "fr", "FR" }, { "Fr", "FR" }, { " fr ", "FR" }, { "\tbe", "BE" },
    { "ch", "CH" }, { "LU", "LU" }, { "gp", "GP" },   /* Guadeloupe has its own code */
  };
  char out[3], err[256];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    if (rgs_order_country_parse(ok[i].typed, out, sizeof(out), err, sizeof(err)) != RGS_ORDER_OK)
      fail_msg("'%s' refused: %s", ok[i].typed, err);
    assert_string_equal(out, ok[i].code);
  }
}

static void test_refusals(void **state)
{
  /* Not assigned (XX, ZZ, AA), user-assigned or reserved (EU, UK, XK),
   * alpha-3 (FRA), digits, a space inside, nothing. */
  static const char *const bad[] = { "XX", "ZZ", "AA", "EU", "UK", "XK", "FRA", "F1", "1F",
                                     "F R", "F", "", "  ", "fr.", "é" };
  char out[3] = "", err[256];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err[0] = '\0';
    if (rgs_order_country_parse(bad[i], out, sizeof(out), err, sizeof(err)) != RGS_ORDER_ERR_TEXT)
      fail_msg("'%s' accepted as %s", bad[i], out);
    assert_non_null(strstr(err, "is not a country code"));
  }
  assert_false(rgs_order_country_known("fr"));     /* the table holds capitals */
  assert_false(rgs_order_country_known(NULL));
  assert_int_equal(rgs_order_country_parse("FR", out, 2, err, sizeof(err)), RGS_ORDER_ERR_ARG);
}

/* Every officially assigned code of iso-codes is known, and only those:
 * the table is exactly the standard's list. */
static void test_table_is_iso_3166(void **state)
{
  json_object *doc = json_object_from_file(ISO_CODES_JSON), *list = NULL;
  char code[3] = "AA";
  size_t n, i, known = 0;

  (void)state;
  if (doc == NULL || !json_object_object_get_ex(doc, "3166-1", &list))
    fail_msg("%s cannot be read (Debian package iso-codes)", ISO_CODES_JSON);
  n = json_object_array_length(list);
  assert_int_equal(n, rgs_order_country_count());
  for (i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(list, i), *a2 = NULL;
    assert_true(json_object_object_get_ex(e, "alpha_2", &a2));
    if (!rgs_order_country_known(json_object_get_string(a2)))
      fail_msg("%s is in iso-codes but not known", json_object_get_string(a2));
  }
  /* And the table holds nothing else: count every pair of letters. */
  for (code[0] = 'A'; code[0] <= 'Z'; code[0]++)
    for (code[1] = 'A'; code[1] <= 'Z'; code[1]++)
      known += (size_t)rgs_order_country_known(code);
  assert_int_equal(known, n);
  json_object_put(doc);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_typed_forms_are_normalised),
    cmocka_unit_test(test_refusals),
    cmocka_unit_test(test_table_is_iso_3166),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
