/* SPDX-License-Identifier: BSD-3-Clause */
/* test_common_conf.c - the settings-file pieces of common/ (lines, trim,
 * key = value, what to say of a bad line) and reading hex back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "rgs_common.h"

static void test_lines(void **state)
{
  static const char text[] = "a = 1\r\n\n[x]\nlast";
  const char *line;
  size_t n;
  rgsx_lines r;

  (void)state;
  rgsx_lines_init(&r, text, sizeof(text) - 1);
  assert_true(rgsx_lines_next(&r, &line, &n));
  assert_int_equal(n, 6);                       /* the CR stays */
  assert_memory_equal(line, "a = 1\r", 6);
  assert_int_equal(r.line_no, 1);
  assert_true(rgsx_lines_next(&r, &line, &n));
  assert_int_equal(n, 0);
  assert_true(rgsx_lines_next(&r, &line, &n));
  assert_memory_equal(line, "[x]", 3);
  assert_true(rgsx_lines_next(&r, &line, &n));  /* no final '\n' */
  assert_int_equal(n, 4);
  assert_int_equal(r.line_no, 4);
  assert_false(rgsx_lines_next(&r, &line, &n));
  /* A final '\n' makes no empty line after it; nothing makes no line. */
  rgsx_lines_init(&r, "x\n", 2);
  assert_true(rgsx_lines_next(&r, &line, &n));
  assert_false(rgsx_lines_next(&r, &line, &n));
  rgsx_lines_init(&r, NULL, 0);
  assert_false(rgsx_lines_next(&r, &line, &n));
}

static void test_split(void **state)
{
  char line[] = " \tmodel =  IDPrime = 940 \r";
  char none[] = "no equal sign";
  char *key = NULL, *value = NULL;

  (void)state;
  assert_true(rgsx_conf_split(line, &key, &value));
  assert_string_equal(key, "model");
  assert_string_equal(value, "IDPrime = 940");  /* the first '=' splits */
  assert_false(rgsx_conf_split(none, &key, &value));
  assert_string_equal(none, "no equal sign");   /* untouched */
}

static void test_fault_text(void **state)
{
  (void)state;
  assert_null(rgsx_text_fault_str(RGSX_TEXT_OK));
  assert_non_null(strstr(rgsx_text_fault_str(RGSX_TEXT_UTF16), "UTF-16"));
  assert_non_null(strstr(rgsx_text_fault_str(RGSX_TEXT_NUL), "NUL"));
  assert_non_null(strstr(rgsx_text_fault_str(RGSX_TEXT_NOT_UTF8), "UTF-8"));
  assert_non_null(strstr(rgsx_text_fault_str(RGSX_TEXT_CONTROL), "control"));
}

static void test_hex_byte(void **state)
{
  unsigned char b = 0;

  (void)state;
  assert_true(rgsx_hex_byte("a5", 0, &b));
  assert_int_equal(b, 0xA5);
  assert_true(rgsx_hex_byte("0Fz", 0, &b));
  assert_int_equal(b, 0x0F);
  assert_false(rgsx_hex_byte("0F", RGSX_HEX_LOWER, &b));   /* upper case refused */
  assert_false(rgsx_hex_byte("g0", 0, &b));
  assert_false(rgsx_hex_byte("a", 0, &b));                 /* stops at the NUL */
  assert_false(rgsx_hex_byte("", 0, &b));
  assert_false(rgsx_hex_byte(NULL, 0, &b));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_lines),
    cmocka_unit_test(test_split),
    cmocka_unit_test(test_fault_text),
    cmocka_unit_test(test_hex_byte),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
