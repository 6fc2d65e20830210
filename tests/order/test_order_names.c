/* SPDX-License-Identifier: BSD-3-Clause */
/* test_order_names.c - one rule for the holder's name (order/order_text.c):
 * the last name in capitals, the first name as typed with the first letter
 * of each part of a compound name in capitals; accents, hyphens,
 * apostrophes and the particles. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "rgs_order.h"

static void test_first_name_case(void **state)
{
  static const struct {
    const char *typed, *shown;
  } cases[] = {
    { "jean-pierre", "Jean-Pierre" },
    { "élodie", "Élodie" },
    { "JEAN-PIERRE", "Jean-Pierre" },       /* typed in capitals: lowered first */
    { "ÉLODIE", "Élodie" },
    { "Frédéric", "Frédéric" },             /* already right: kept */
    { "marie claire", "Marie Claire" },
    { "marie-ève", "Marie-Ève" },
    { "œdipe", "Œdipe" },
    { "ÇA", "Ça" },
    { "o'neil", "O'Neil" },
    { "anne-sophie", "Anne-Sophie" },
    { "McKenzie", "McKenzie" },             /* capitals inside a part: as typed */
    { "marie de la croix", "Marie de la Croix" },
    { "jean d'arc", "Jean d'Arc" },
    { "jean d’arc", "Jean d’Arc" },         /* typographic apostrophe */
    { "de gaulle", "De Gaulle" },           /* a particle first is a name */
    { "jean DE la croix", "Jean de la Croix" },
    { "Jean De", "Jean De" },               /* typed with a capital: kept */
    { "łukasz", "Łukasz" },
    { "ÿves", "Ÿves" },
    { "J.-P.", "J.-P." },
    { "  jean  ", "  Jean  " },             /* spaces as typed */
    { "", "" },
  };
  char out[128];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    assert_int_equal(rgs_order_first_name_case(cases[i].typed, out, sizeof(out)), RGS_ORDER_OK);
    if (strcmp(out, cases[i].shown) != 0)
      fail_msg("'%s' -> '%s', expected '%s'", cases[i].typed, out, cases[i].shown);
  }
  assert_int_equal(rgs_order_first_name_case("\xC3", out, sizeof(out)), RGS_ORDER_ERR_TEXT);
  assert_int_equal(rgs_order_first_name_case("élodie", out, 6), RGS_ORDER_ERR_ARG);
}

static void test_holder_name_one_rule(void **state)
{
  rgs_order o;
  char name[256];

  (void)state;
  memset(&o, 0, sizeof(o));
  snprintf(o.first_name, sizeof(o.first_name), "%s", "jean-pierre");
  snprintf(o.last_name, sizeof(o.last_name), "%s", "Lefèvre-d'Ornano");
  rgs_order_holder_name(&o, name, sizeof(name));
  assert_string_equal(name, "Jean-Pierre LEFÈVRE-D'ORNANO");
  /* A name from an old store that is not UTF-8 is shown as kept. */
  snprintf(o.first_name, sizeof(o.first_name), "%s", "\xE9lodie");
  snprintf(o.last_name, sizeof(o.last_name), "%s", "senez");
  rgs_order_holder_name(&o, name, sizeof(name));
  assert_string_equal(name, "\xE9lodie SENEZ");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_first_name_case),
    cmocka_unit_test(test_holder_name_one_rule),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
