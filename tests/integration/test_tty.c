/* SPDX-License-Identifier: BSD-3-Clause */
/* test_tty.c - the PIN typed at a real terminal (a pseudo-terminal): no echo,
 * consent asked on the terminal before the last try, Ctrl-C cancels. */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "rgs_test.h"

typedef struct {
  rgs_softhsm hsm;
  char policy[512], state_env[600], count[600], count_env[700], real_env[600];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  assert_int_equal(rgs_softhsm_init(&f->hsm, "tty"), 0);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->state_env, sizeof(f->state_env), "RGS_FAULT_PIN_STATE=%s/tries", f->hsm.dir);
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

static void test_pin_prompt_does_not_echo(void **state)
{
  fixture *f = *state;
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "--policy", f->policy, "keygen", "--key-type", "ec:p256", "--details",
                         NULL };
  rgs_term t;

  rgs_term_start(&t, argv, NULL);
  assert_true(rgs_term_expect(&t, "PIN of token \"tty\": "));
  assert_false(rgs_term_echo_on(&t));                 /* the PIN will not be shown */
  assert_int_equal(write(t.fd, RGS_TEST_PIN "\n", 7), 7);
  assert_int_equal(rgs_term_wait(&t), 0);
  assert_not_contains(t.seen, RGS_TEST_PIN);  /* and was not */
  assert_contains(t.seen, "CKA_NEVER_EXTRACTABLE");
}

static void test_final_try_needs_yes_on_the_terminal(void **state)
{
  fixture *f = *state;
  char tries[600];
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--module", rgs_env("RGS_FAULT_MODULE"),
                         "--policy", f->policy, "keygen", "--key-type", "ec:p256", NULL };
  const char *env[] = { f->real_env, f->state_env, f->count_env, NULL };
  rgs_term t;

  snprintf(tries, sizeof(tries), "%s/tries", f->hsm.dir);
  assert_int_equal(rgs_write_file(tries, "1\n"), 0);
  /* Anything but YES: nothing is tried. */
  rgs_term_start(&t, argv, env);
  assert_true(rgs_term_expect(&t, "ONLY ONE PIN TRY IS LEFT"));
  assert_int_equal(write(t.fd, "yes please\n", 11), 11);
  assert_int_equal(rgs_term_wait(&t), 5);
  assert_not_contains(t.seen, "PIN of token");
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 0);
  /* YES, then the right PIN. */
  rgs_term_start(&t, argv, env);
  assert_true(rgs_term_expect(&t, "Type YES"));
  assert_int_equal(write(t.fd, "YES\n", 4), 4);
  assert_true(rgs_term_expect(&t, "PIN of token"));
  assert_int_equal(write(t.fd, RGS_TEST_PIN "\n", 7), 7);
  assert_int_equal(rgs_term_wait(&t), 0);
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 1);
}

static void test_ctrl_c_cancels_and_restores_echo(void **state)
{
  fixture *f = *state;
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "--policy", f->policy, "keygen", NULL };
  rgs_term t;

  rgs_term_start(&t, argv, NULL);
  assert_true(rgs_term_expect(&t, "PIN of token"));
  assert_int_equal(write(t.fd, "12\x03", 3), 3);     /* Ctrl-C while typing */
  if (!rgs_term_expect(&t, "cancelled"))
    fail_msg("the terminal ended with:\n%s", t.seen + (t.len > 400 ? t.len - 400 : 0));
  assert_true(rgs_term_echo_on(&t));                          /* the terminal is given back */
  assert_int_equal(rgs_term_wait(&t), 5);
}

static void test_pinpad_token_gets_no_keyboard_pin(void **state)
{
  fixture *f = *state;
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--module", rgs_env("RGS_FAULT_MODULE"),
                         "--policy", f->policy, "keygen", "--key-type", "ec:p256", NULL };
  const char *env[] = { f->real_env, f->count_env,
                        "RGS_FAULT_TOKEN_FLAGS_SET=CKF_PROTECTED_AUTHENTICATION_PATH", NULL };
  rgs_term t;

  rgs_term_start(&t, argv, env);
  assert_true(rgs_term_expect(&t, "pinpad"));
  rgs_term_wait(&t);              /* SoftHSM has no pinpad: the login fails, once */
  assert_not_contains(t.seen, "PIN of token");
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_pin_prompt_does_not_echo, setup, teardown),
    cmocka_unit_test_setup_teardown(test_final_try_needs_yes_on_the_terminal, setup, teardown),
    cmocka_unit_test_setup_teardown(test_ctrl_c_cancels_and_restores_echo, setup, teardown),
    cmocka_unit_test_setup_teardown(test_pinpad_token_gets_no_keyboard_pin, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
