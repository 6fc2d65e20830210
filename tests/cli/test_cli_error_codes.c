/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_cli_error_codes.c - what a client (the window) acts on when a command
 * line is wrong: under --json every failure is a document with a code of
 * its own, also before the command is known. An unknown order is
 * order-not-found (not a mistyped option), an unknown command
 * unknown-command, and --progress-fd 1 is refused, since the events would
 * be mixed into the JSON document on standard output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "rgs_test.h"

static void expect_code(const char *const *env, const char *code, const char *command,
                        const char *a1, const char *a2, const char *a3, const char *a4)
{
  rgs_run_result r;
  char want[128];

  assert_int_equal(rgs_enroll(&r, env, NULL, "--json", a1, a2, a3, a4, NULL), 0);
  assert_int_equal(r.status, 2);
  snprintf(want, sizeof(want), "\"code\":\"%s\"", code);
  assert_contains(r.out, want);
  snprintf(want, sizeof(want), "{\"command\":\"%s\",\"ok\":false", command);
  assert_contains(r.out, want);
  rgs_run_free(&r);
}

static void test_codes(void **state)
{
  char dir[] = "/tmp/rgs-codes-XXXXXX", xdg[64];
  const char *env[3];

  (void)state;
  assert_non_null(mkdtemp(dir));
  snprintf(xdg, sizeof(xdg), "XDG_DATA_HOME=%s", dir);
  env[0] = xdg;
  env[1] = "LC_ALL=C.UTF-8";
  env[2] = NULL;
  expect_code(env, "order-not-found", "status", "status", "99", NULL, NULL);
  expect_code(env, "order-not-found", "order show", "order", "show", "7", NULL);
  expect_code(env, "unknown-command", "frobnicate", "frobnicate", NULL, NULL, NULL);
  expect_code(env, "usage", "rgs-enroll", "--progress-fd", "1", "tokens", NULL);
  /* Nothing was written: reading an order never creates the store. */
  assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(test_codes) };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
