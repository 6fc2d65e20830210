/* SPDX-License-Identifier: BSD-3-Clause */
/* test_common.c - the shared helpers: the sanitiser for untrusted strings,
 * the UTF-8 check, and opening only regular files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "rgs_common.h"

static void check_sanitized(const char *in, size_t n, const char *want)
{
  char *out = rgsx_sanitize(in, n);

  assert_non_null(out);
  assert_string_equal(out, want);
  assert_int_equal(rgsx_is_clean(in, n), strcmp(in, want) == 0 && strlen(in) == n);
  free(out);
}

static void test_sanitize_controls(void **state)
{
  (void)state;
  check_sanitized("Jean DUPONT", 11, "Jean DUPONT");
  check_sanitized("Fran\xc3\xa7ois", 9, "Fran\xc3\xa7ois");
  /* A terminal escape that would clear the screen, a bell, DEL. */
  check_sanitized("A\x1b[2JB\x07\x7f", 8, "A?[2JB??");
  /* An embedded NUL is shown, not a place where the name stops. */
  check_sanitized("Jean\0Pirate", 11, "Jean?Pirate");
  /* C1 control U+009B (CSI), encoded in UTF-8. */
  check_sanitized("x\xc2\x9b" "1m", 5, "x?1m");
  /* A right-to-left override that would reverse a name on screen. */
  check_sanitized("ab\xe2\x80\xae" "cd", 7, "ab?cd");
  /* Bytes that are not UTF-8: one '?' each. */
  check_sanitized("\xff\xc3", 2, "??");
  check_sanitized("\xed\xa0\x80", 3, "???");
}

static void test_sanitize_buf_bounds(void **state)
{
  char buf[6];

  (void)state;
  /* Never cuts a character: é is two bytes and does not fit at the end. */
  rgsx_sanitize_buf(buf, sizeof buf, "abcd\xc3\xa9", (size_t)-1);
  assert_string_equal(buf, "abcd");
  rgsx_sanitize_buf(buf, sizeof buf, NULL, 0);
  assert_string_equal(buf, "");
  rgsx_sanitize_buf(buf, 1, "abc", 3);
  assert_string_equal(buf, "");
}

static void test_utf8_valid(void **state)
{
  (void)state;
  assert_true(rgsx_utf8_valid("\xc3\xa9t\xc3\xa9", 5));
  assert_false(rgsx_utf8_valid("a\0b", 3));
  assert_false(rgsx_utf8_valid("\xc0\xaf", 2));
  assert_false(rgsx_utf8_valid("\xe2\x82", 2));
  assert_true(rgsx_utf8_valid("", 0));
}

static void test_text_check(void **state)
{
  (void)state;
  assert_int_equal(rgsx_text_check("1234", 4, 0), RGSX_TEXT_OK);
  assert_int_equal(rgsx_text_check("\xc3\xa9t\xc3\xa9", 5, 0), RGSX_TEXT_OK);
  assert_int_equal(rgsx_text_check("\xff\xfe" "1\0", 4, 0), RGSX_TEXT_UTF16);
  assert_int_equal(rgsx_text_check("1\0" "2\0" "3\0", 6, 0), RGSX_TEXT_UTF16);
  assert_int_equal(rgsx_text_check("12\0" "34", 5, 0), RGSX_TEXT_NUL);
  assert_int_equal(rgsx_text_check("caf\xe9", 4, 0), RGSX_TEXT_NOT_UTF8);
  assert_int_equal(rgsx_text_check("a\tb", 3, 0), RGSX_TEXT_CONTROL);
  assert_int_equal(rgsx_text_check("a\tb\r", 4, RGSX_TEXT_BLANKS), RGSX_TEXT_OK);
  assert_int_equal(rgsx_text_check("a\x1b[1m", 5, RGSX_TEXT_BLANKS), RGSX_TEXT_CONTROL);
  assert_int_equal(rgsx_text_check("a\xc2\x9b", 3, RGSX_TEXT_BLANKS), RGSX_TEXT_CONTROL);
}

static void test_errf(void **state)
{
  char buf[8];

  (void)state;
  rgsx_errf(buf, sizeof buf, "%s:%d", "file.conf", 12);
  assert_string_equal(buf, "file.co");
  rgsx_errf(NULL, 0, "%s", "nothing");
}

static void test_open_regular(void **state)
{
  char dir[] = "/tmp/rgs-common-XXXXXX";
  char fifo[64], file[64];
  rgsx_rc rc;
  FILE *f;
  int fd;

  (void)state;
  assert_non_null(mkdtemp(dir));
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  snprintf(file, sizeof file, "%s/file", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  f = fopen(file, "w");
  assert_non_null(f);
  fputs("1234\n", f);
  fclose(f);

  /* A FIFO with no writer: refused at once (without the check this test
   * would block forever in open or read). */
  fd = rgsx_open_regular(fifo, &rc);
  assert_int_equal(fd, -1);
  assert_int_equal(rc, RGSX_ERR_NOT_REGULAR);
  assert_null(rgsx_fopen_regular(dir, &rc));
  assert_int_equal(rc, RGSX_ERR_NOT_REGULAR);
  assert_null(rgsx_fopen_regular("/dev/null", &rc));
  assert_int_equal(rc, RGSX_ERR_NOT_REGULAR);
  assert_int_equal(rgsx_open_regular("/nonexistent/x", &rc), -1);
  assert_int_equal(rc, RGSX_ERR_SYSTEM);
  assert_int_equal(errno, ENOENT);

  f = rgsx_fopen_regular(file, &rc);
  assert_non_null(f);
  assert_int_equal(rc, RGSX_OK);
  assert_int_equal(fgetc(f), '1');
  fclose(f);
  assert_non_null(rgsx_strerror(RGSX_ERR_NOT_REGULAR));

  unlink(fifo);
  unlink(file);
  rmdir(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sanitize_controls),
    cmocka_unit_test(test_sanitize_buf_bounds),
    cmocka_unit_test(test_utf8_valid),
    cmocka_unit_test(test_text_check),
    cmocka_unit_test(test_errf),
    cmocka_unit_test(test_open_regular),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
