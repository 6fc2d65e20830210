/* SPDX-License-Identifier: BSD-3-Clause */
/* test_pin_tty.c - pin change and unblock typed at a real terminal (a
 * pseudo-terminal): nothing echoed, the new PIN asked twice, two entries
 * that differ change nothing and spend no try. */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "rgs_test.h"

typedef struct {
  rgs_softhsm hsm;
  char count[600], count_env[700], real_env[700];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "pintty"), 0);
  snprintf(f->count, sizeof(f->count), "%s/calls", f->hsm.dir);
  snprintf(f->count_env, sizeof(f->count_env), "RGS_FAULT_COUNT_FILE=%s", f->count);
  snprintf(f->real_env, sizeof(f->real_env), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  rgs_softhsm_cleanup(&f->hsm);
  free(f);
  return 0;
}

static void test_change_asks_twice_without_echo(void **state)
{
  fixture *f = *state;
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "pin", "change", NULL };
  rgs_term t;

  rgs_term_start(&t, argv, NULL);
  assert_true(rgs_term_expect(&t, "Current PIN of token \"pintty\": "));
  assert_false(rgs_term_echo_on(&t));
  rgs_term_type(&t, RGS_TEST_PIN "\n");
  assert_true(rgs_term_expect(&t, "New PIN: "));
  assert_false(rgs_term_echo_on(&t));
  rgs_term_type(&t, "258036\n");
  assert_true(rgs_term_expect(&t, "New PIN, again: "));
  rgs_term_type(&t, "258036\n");
  assert_int_equal(rgs_term_wait(&t), 0);
  assert_not_contains(t.seen, "258036");
  assert_not_contains(t.seen, RGS_TEST_PIN);
  assert_contains(t.seen, "PIN changed");
  (void)f;
  assert_true(rgs_softhsm_pin_works("258036"));
}

static void test_entries_that_differ_change_nothing(void **state)
{
  fixture *f = *state;
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--module", rgs_env("RGS_FAULT_MODULE"),
                         "pin", "change", NULL };
  const char *env[] = { f->real_env, f->count_env, NULL };
  rgs_term t;

  rgs_term_start(&t, argv, env);
  assert_true(rgs_term_expect(&t, "Current PIN"));
  rgs_term_type(&t, RGS_TEST_PIN "\n");
  assert_true(rgs_term_expect(&t, "New PIN: "));
  rgs_term_type(&t, "258036\n");
  assert_true(rgs_term_expect(&t, "New PIN, again: "));
  rgs_term_type(&t, "258037\n");
  assert_int_equal(rgs_term_wait(&t), 5);
  assert_contains(t.seen, "differ");
  assert_int_equal(rgs_count_lines(f->count, "C_SetPIN"), 0);
  assert_true(rgs_softhsm_pin_works(RGS_TEST_PIN));
}

static void test_unblock_at_the_terminal(void **state)
{
  fixture *f = *state;
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "pin", "unblock", NULL };
  rgs_term t;

  (void)f;
  rgs_term_start(&t, argv, NULL);
  assert_true(rgs_term_expect(&t, "Unblocking code (PUK) of token \"pintty\": "));
  assert_false(rgs_term_echo_on(&t));
  rgs_term_type(&t, RGS_TEST_SO_PIN "\n");
  assert_true(rgs_term_expect(&t, "New PIN: "));
  rgs_term_type(&t, "369147\n");
  assert_true(rgs_term_expect(&t, "New PIN, again: "));
  rgs_term_type(&t, "369147\n");
  assert_int_equal(rgs_term_wait(&t), 0);
  assert_not_contains(t.seen, RGS_TEST_SO_PIN);
  assert_true(rgs_softhsm_pin_works("369147"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_change_asks_twice_without_echo, setup, teardown),
    cmocka_unit_test_setup_teardown(test_entries_that_differ_change_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unblock_at_the_terminal, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
