/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_order_text.c - names compared as people read them (case and accents
 * aside), upper-casing, and the subject of a request against the order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rgs_order.h"
#include "rgs_test.h"

static void assert_fold(const char *in, const char *want)
{
  char out[256];

  if (rgs_order_text_fold(in, out, sizeof(out)) != RGS_ORDER_OK)
    fail_msg("fold refused \"%s\"", in);
  if (strcmp(out, want) != 0)
    fail_msg("fold(\"%s\") = \"%s\", expected \"%s\"", in, out, want);
}

static void test_fold_french_letters(void **state)
{
  (void)state;
  assert_fold("FRÉDÉRIC SENEZ", "frederic senez");
  assert_fold("Frédéric Senez", "frederic senez");
  assert_fold("éèêë àâä îï ôö ùûü ç ÿ", "eeee aaa ii oo uuu c y");
  assert_fold("ÉÈÊË ÀÂÄ ÎÏ ÔÖ ÙÛÜ Ç Ÿ", "eeee aaa ii oo uuu c y");
  assert_fold("Œuvre cœur Æsop lætitia", "oeuvre coeur aesop laetitia");
  assert_fold("Straße", "strasse");
  assert_fold("Łukasz Wałęsa Dvořák Šťastný", "lukasz walesa dvorak stastny");
}

static void test_fold_spaces_and_marks(void **state)
{
  (void)state;
  assert_fold("  Jean   Pierre  ", "jean pierre");
  assert_fold("Jean\tPierre", "jean pierre");
  assert_fold("Jean\xC2\xA0Pierre", "jean pierre");              /* no-break space */
  assert_fold("D\xE2\x80\x99" "Artagnan", "d'artagnan");          /* typographic apostrophe */
  assert_fold("Jean-Pierre", "jean-pierre");
  assert_fold("", "");
  /* Outside Latin: kept as is. */
  assert_fold("Σωκράτης", "Σωκράτης");
}

static void test_fold_refuses_bad_utf8(void **state)
{
  char out[64];

  (void)state;
  assert_int_equal(rgs_order_text_fold("caf\xE9", out, sizeof(out)), RGS_ORDER_ERR_TEXT);      /* Latin-1 */
  assert_int_equal(rgs_order_text_fold("\xC0\xAF", out, sizeof(out)), RGS_ORDER_ERR_TEXT);     /* overlong */
  assert_int_equal(rgs_order_text_fold("\xED\xA0\x80", out, sizeof(out)), RGS_ORDER_ERR_TEXT); /* surrogate */
  assert_int_equal(rgs_order_text_fold("\xE2\x82", out, sizeof(out)), RGS_ORDER_ERR_TEXT);     /* truncated */
  assert_int_equal(rgs_order_text_fold("abcdef", out, 4), RGS_ORDER_ERR_ARG);
  assert_int_equal(rgs_order_text_fold(NULL, out, sizeof(out)), RGS_ORDER_ERR_ARG);
}

static void test_names_equal(void **state)
{
  (void)state;
  assert_true(rgs_order_names_equal("FRÉDÉRIC SENEZ", "Frédéric Senez"));
  assert_true(rgs_order_names_equal("frederic senez", "FRÉDÉRIC  SENEZ "));
  assert_true(rgs_order_names_equal("BS AUTO", "bs auto"));
  assert_true(rgs_order_names_equal("Lætitia Cœur", "LAETITIA COEUR"));
  assert_false(rgs_order_names_equal("Frédéric Senez", "Frédérique Senez"));
  assert_false(rgs_order_names_equal("Jean-Pierre", "Jean Pierre"));
  assert_false(rgs_order_names_equal("caf\xE9", "cafe"));
  assert_false(rgs_order_names_equal(NULL, "x"));
}

static void assert_upper(const char *in, const char *want)
{
  char out[256];

  assert_int_equal(rgs_order_text_upper(in, out, sizeof(out)), RGS_ORDER_OK);
  if (strcmp(out, want) != 0)
    fail_msg("upper(\"%s\") = \"%s\", expected \"%s\"", in, out, want);
}

static void test_upper(void **state)
{
  char out[4];

  (void)state;
  assert_upper("Senez", "SENEZ");
  assert_upper("Lefèvre", "LEFÈVRE");
  assert_upper("éèêëàâäîïôöùûüçÿæœ", "ÉÈÊËÀÂÄÎÏÔÖÙÛÜÇŸÆŒ");
  assert_upper("d'Haillecourt-Chetboun", "D'HAILLECOURT-CHETBOUN");
  assert_upper("łęšžźć", "ŁĘŠŽŹĆ");
  assert_upper("Straße", "STRAßE");
  assert_int_equal(rgs_order_text_upper("abcd", out, sizeof(out)), RGS_ORDER_ERR_ARG);
  assert_int_equal(rgs_order_text_upper("\xFF", out, sizeof(out)), RGS_ORDER_ERR_TEXT);
}

static void test_company_id(void **state)
{
  char out[16];
  rgs_order_company_id_kind kind;

  (void)state;
  assert_int_equal(rgs_order_company_id_parse("732829320", out, sizeof(out), &kind), RGS_ORDER_OK);
  assert_int_equal(kind, RGS_ID_SIREN);
  assert_int_equal(rgs_order_company_id_parse("732 829 320", out, sizeof(out), &kind), RGS_ORDER_OK);
  assert_string_equal(out, "732829320");
  assert_int_equal(rgs_order_company_id_parse("73282932000074", out, sizeof(out), &kind), RGS_ORDER_OK);
  assert_int_equal(kind, RGS_ID_SIRET);
  assert_int_equal(rgs_order_company_id_parse("732829321", out, sizeof(out), &kind), RGS_ORDER_ERR_SIREN);
  assert_int_equal(rgs_order_company_id_parse("73282932", out, sizeof(out), &kind), RGS_ORDER_ERR_SIREN);
  assert_int_equal(rgs_order_company_id_parse("7328293a0", out, sizeof(out), &kind), RGS_ORDER_ERR_SIREN);
}

static rgs_order sample_order(void)
{
  rgs_order o;

  memset(&o, 0, sizeof(o));
  o.id = 7;
  snprintf(o.first_name, sizeof(o.first_name), "Frédéric");
  snprintf(o.last_name, sizeof(o.last_name), "Senez");
  snprintf(o.company, sizeof(o.company), "BS AUTO");
  snprintf(o.company_id, sizeof(o.company_id), "732829320");
  snprintf(o.siren, sizeof(o.siren), "732829320");
  return o;
}

static rgs_order_rc match(const rgs_order *o, const char *cn, const char *org, const char *ou1,
                          const char *ou2, char *why, size_t whylen)
{
  rgs_order_subject s;

  memset(&s, 0, sizeof(s));
  s.cn = cn;
  s.o = org;
  if (ou1 != NULL)
    s.ou[s.n_ou++] = ou1;
  if (ou2 != NULL)
    s.ou[s.n_ou++] = ou2;
  return rgs_order_subject_match(o, &s, why, whylen);
}

static void test_subject_match(void **state)
{
  rgs_order o = sample_order();
  char why[512];

  (void)state;
  assert_int_equal(match(&o, "FRÉDÉRIC SENEZ", "BS AUTO", "0002 732829320", NULL, why, sizeof(why)), RGS_ORDER_OK);
  assert_int_equal(match(&o, "Frédéric SENEZ", "bs auto", "0002 732829320", NULL, why, sizeof(why)), RGS_ORDER_OK);
  /* last name first */
  assert_int_equal(match(&o, "SENEZ Frederic", "BS AUTO", "0002 732829320", NULL, why, sizeof(why)), RGS_ORDER_OK);
  /* the SIREN part of a SIRET, among several OUs */
  assert_int_equal(match(&o, "Frédéric Senez", "BS AUTO", "Atelier", "0002 73282932000074", why, sizeof(why)), RGS_ORDER_OK);
  /* an order recorded with a SIRET, a request with the SIREN */
  snprintf(o.company_id, sizeof(o.company_id), "73282932000074");
  assert_int_equal(match(&o, "Frédéric Senez", "BS AUTO", "0002 732829320", NULL, why, sizeof(why)), RGS_ORDER_OK);
}

static void test_subject_mismatch(void **state)
{
  rgs_order o = sample_order();
  char why[512];

  (void)state;
  assert_int_equal(match(&o, "Frédérique Senez", "BS AUTO", "0002 732829320", NULL, why, sizeof(why)), RGS_ORDER_ERR_MISMATCH);
  assert_contains(why, "CN");
  assert_contains(why, "Frédérique Senez");
  assert_int_equal(match(&o, NULL, "BS AUTO", "0002 732829320", NULL, why, sizeof(why)), RGS_ORDER_ERR_MISMATCH);
  assert_int_equal(match(&o, "Frédéric Senez", "BS AUTOS", "0002 732829320", NULL, why, sizeof(why)), RGS_ORDER_ERR_MISMATCH);
  assert_contains(why, "O \"BS AUTOS\"");
  assert_int_equal(match(&o, "Frédéric Senez", NULL, "0002 732829320", NULL, why, sizeof(why)), RGS_ORDER_ERR_MISMATCH);
  assert_int_equal(match(&o, "Frédéric Senez", "BS AUTO", "0002 552100554", NULL, why, sizeof(why)), RGS_ORDER_ERR_MISMATCH);
  assert_contains(why, "552100554");
  assert_contains(why, "732829320");
  assert_int_equal(match(&o, "Frédéric Senez", "BS AUTO", "Atelier", NULL, why, sizeof(why)), RGS_ORDER_ERR_MISMATCH);
  assert_contains(why, "no OU");
  /* a SIREN with a bad check digit never matches */
  assert_int_equal(match(&o, "Frédéric Senez", "BS AUTO", "0002 732829321", NULL, why, sizeof(why)), RGS_ORDER_ERR_MISMATCH);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_fold_french_letters),
    cmocka_unit_test(test_fold_spaces_and_marks),
    cmocka_unit_test(test_fold_refuses_bad_utf8),
    cmocka_unit_test(test_names_equal),
    cmocka_unit_test(test_upper),
    cmocka_unit_test(test_company_id),
    cmocka_unit_test(test_subject_match),
    cmocka_unit_test(test_subject_mismatch),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
