/* SPDX-License-Identifier: BSD-3-Clause */
/* test_rules.c - the RGS** rules and identifiers as data: key sizes by date,
 * key specs, SIREN/SIRET check digits. */
#include <stdlib.h>
#include <string.h>
#include "rgs_common.h"
#include "rgs_test.h"
#include "rgs_p11.h"
#include "rgs_order.h"

static time_t utc(int y, int m, int d, int hh, int mm, int ss)
{
  struct tm tm;

  memset(&tm, 0, sizeof(tm));
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  return timegm(&tm);
}

static void test_rsa_size_by_end_of_validity(void **state)
{
  (void)state;
  assert_int_equal(rgs_p11_min_rsa_bits(utc(2030, 12, 31, 23, 59, 59)), 2048);
  assert_int_equal(rgs_p11_min_rsa_bits(utc(2031, 1, 1, 0, 0, 0)), 3072);
  assert_int_equal(rgs_p11_min_rsa_bits(utc(2026, 11, 24, 0, 0, 0)), 2048);
}

static void test_validity_end(void **state)
{
  time_t now = utc(2026, 11, 24, 10, 0, 0);

  (void)state;
  assert_int_equal(rgs_p11_validity_end(now, 3), utc(2029, 11, 24, 10, 0, 0));
  /* 2028-06-01 + 3 years ends in 2031: RSA 2048 no longer enough. */
  assert_int_equal(rgs_p11_min_rsa_bits(rgs_p11_validity_end(utc(2028, 6, 1, 0, 0, 0), 3)), 3072);
  assert_int_equal(rgs_p11_min_rsa_bits(rgs_p11_validity_end(utc(2028, 6, 1, 0, 0, 0), 2)), 2048);
  /* A leap day plus one year lands on 1 March, not an invalid date. */
  assert_int_equal(rgs_p11_validity_end(utc(2028, 2, 29, 0, 0, 0), 1), utc(2029, 3, 1, 0, 0, 0));
}

static void test_keyspec(void **state)
{
  rgs_p11_keyspec s;

  (void)state;
  assert_int_equal(rgs_p11_keyspec_parse("rsa:3072", &s), RGS_P11_OK);
  assert_int_equal(s.type, RGS_KEY_RSA);
  assert_int_equal(s.bits, 3072);
  assert_string_equal(rgs_p11_keyspec_name(&s), "rsa:3072");
  assert_int_equal(rgs_p11_keyspec_parse("EC:P256", &s), RGS_P11_OK);
  assert_int_equal(s.curve, RGS_CURVE_P256);
  assert_string_equal(rgs_p11_keyspec_name(&s), "ec:p256");
  assert_int_equal(rgs_p11_keyspec_parse("ec:p521", &s), RGS_P11_OK);
  assert_int_equal(s.bits, 521);
  assert_int_not_equal(rgs_p11_keyspec_parse("rsa:", &s), RGS_P11_OK);
  assert_int_not_equal(rgs_p11_keyspec_parse("rsa:512", &s), RGS_P11_OK);
  assert_int_not_equal(rgs_p11_keyspec_parse("rsa:3000", &s), RGS_P11_OK);
  assert_int_not_equal(rgs_p11_keyspec_parse("rsa:16384", &s), RGS_P11_OK);
  assert_int_not_equal(rgs_p11_keyspec_parse("rsa:3072x", &s), RGS_P11_OK);
  assert_int_not_equal(rgs_p11_keyspec_parse("ec:frp256v1", &s), RGS_P11_OK);
  assert_int_not_equal(rgs_p11_keyspec_parse("dsa:2048", &s), RGS_P11_OK);
  assert_int_not_equal(rgs_p11_keyspec_parse(NULL, &s), RGS_P11_OK);
}

static void test_siren_siret(void **state)
{
  char out[16];
  rgs_order_company_id_kind kind;

  (void)state;
  assert_int_equal(rgs_order_company_id_parse("732829320", out, sizeof(out), &kind), RGS_ORDER_OK);
  assert_int_equal(kind, RGS_ID_SIREN);
  assert_int_equal(rgs_order_company_id_parse("732 829 320", out, sizeof(out), &kind), RGS_ORDER_OK);
  assert_string_equal(out, "732829320");
  assert_int_equal(rgs_order_company_id_parse("73282932000074", out, sizeof(out), &kind),
                   RGS_ORDER_OK);
  assert_int_equal(kind, RGS_ID_SIRET);
  assert_int_equal(rgs_order_company_id_parse("732829321", out, sizeof(out), &kind),
                   RGS_ORDER_ERR_SIREN);
  assert_int_equal(rgs_order_company_id_parse("73282932", out, sizeof(out), &kind),
                   RGS_ORDER_ERR_SIREN);
  assert_int_equal(rgs_order_company_id_parse("7328293200007", out, sizeof(out), &kind),
                   RGS_ORDER_ERR_SIREN);
  assert_int_equal(rgs_order_company_id_parse("73282932A", out, sizeof(out), &kind),
                   RGS_ORDER_ERR_SIREN);
  assert_int_equal(rgs_order_company_id_parse("", out, sizeof(out), &kind), RGS_ORDER_ERR_SIREN);
  assert_int_equal(rgs_order_company_id_parse("7328293200007400", out, sizeof(out), &kind),
                   RGS_ORDER_ERR_SIREN);
}

static void test_error_messages_cover_every_code(void **state)
{
  int rc;

  (void)state;
  for (rc = RGS_P11_OK; rc <= RGS_P11_ERR_CRYPTO; rc++)
    assert_string_not_equal(rgs_p11_strerror((rgs_p11_rc)rc), "unknown error");
  assert_string_equal(rgs_p11_ckr_name(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
  assert_string_equal(rgs_p11_ckr_name(0x80001234UL), "CKR_0x80001234");
  assert_int_equal(rgs_p11_from_ckr(CKR_DEVICE_REMOVED), RGS_P11_ERR_TOKEN_REMOVED);
  assert_int_equal(rgs_p11_from_ckr(CKR_PIN_LOCKED), RGS_P11_ERR_PIN_LOCKED);
  assert_int_equal(rgs_p11_from_ckr(CKR_DEVICE_MEMORY), RGS_P11_ERR_TOKEN_FULL);
}

static void test_utf8(void **state)
{
  (void)state;
  assert_int_equal(rgsx_utf8_char_len((const unsigned char *)"a", 1), 1);
  assert_int_equal(rgsx_utf8_char_len((const unsigned char *)"\xc3\xa9", 2), 2);       /* é */
  assert_int_equal(rgsx_utf8_char_len((const unsigned char *)"\xe2\x82\xac", 3), 3);   /* € */
  assert_int_equal(rgsx_utf8_char_len((const unsigned char *)"\xf0\x9f\x94\x91", 4), 4);
  assert_int_equal(rgsx_utf8_char_len((const unsigned char *)"\xc3", 1), 0);           /* cut */
  assert_int_equal(rgsx_utf8_char_len((const unsigned char *)"\xc0\xaf", 2), 0);       /* overlong */
  assert_int_equal(rgsx_utf8_char_len((const unsigned char *)"\xe0\x80\xaf", 3), 0);   /* overlong */
  assert_int_equal(rgsx_utf8_char_len((const unsigned char *)"\xed\xa0\x80", 3), 0);   /* surrogate */
  assert_int_equal(rgsx_utf8_char_len((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);
  assert_int_equal(rgsx_utf8_char_len((const unsigned char *)"\xff", 1), 0);
}

static void test_wipe(void **state)
{
  char secret[16] = "123456";

  (void)state;
  rgsx_wipe(secret, sizeof(secret));
  for (size_t i = 0; i < sizeof(secret); i++)
    assert_int_equal(secret[i], 0);
  rgsx_wipe(NULL, 10);                  /* harmless */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_rsa_size_by_end_of_validity),
    cmocka_unit_test(test_validity_end),
    cmocka_unit_test(test_keyspec),
    cmocka_unit_test(test_siren_siret),
    cmocka_unit_test(test_error_messages_cover_every_code),
    cmocka_unit_test(test_wipe),
    cmocka_unit_test(test_utf8),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
