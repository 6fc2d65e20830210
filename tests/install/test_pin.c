/* SPDX-License-Identifier: BSD-3-Clause */
/* test_pin.c - rgs-enroll pin change | unblock against a real SoftHSM2 token,
 * and through the fault module for the PIN counters SoftHSM does not keep:
 * a locked PIN or code is never tried, the last try is spent only with
 * consent, a refused new PIN costs no try, and each run tries once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rgs_test.h"

typedef struct {
  rgs_softhsm hsm;
  char dir[512];
  char new_pin[600], so_pin[600], bad_so[600], new_so[600];
  char pin_state[600], so_state[600], count[600];
  char real_env[700], pin_env[700], so_env[700], count_env[700];
  const char *env[8];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "pin"), 0);
  snprintf(f->new_pin, sizeof(f->new_pin), "%s/new-pin", f->hsm.dir);
  snprintf(f->so_pin, sizeof(f->so_pin), "%s/so-pin", f->hsm.dir);
  snprintf(f->bad_so, sizeof(f->bad_so), "%s/bad-so", f->hsm.dir);
  snprintf(f->new_so, sizeof(f->new_so), "%s/new-so", f->hsm.dir);
  snprintf(f->pin_state, sizeof(f->pin_state), "%s/pin-tries", f->hsm.dir);
  snprintf(f->so_state, sizeof(f->so_state), "%s/so-tries", f->hsm.dir);
  snprintf(f->count, sizeof(f->count), "%s/calls", f->hsm.dir);
  assert_int_equal(rgs_write_file(f->new_pin, "246813\n"), 0);
  assert_int_equal(rgs_write_file(f->so_pin, RGS_TEST_SO_PIN "\n"), 0);
  assert_int_equal(rgs_write_file(f->bad_so, "99999999\n"), 0);
  assert_int_equal(rgs_write_file(f->new_so, "87654329\n"), 0);
  snprintf(f->real_env, sizeof(f->real_env), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  snprintf(f->pin_env, sizeof(f->pin_env), "RGS_FAULT_PIN_STATE=%s", f->pin_state);
  snprintf(f->so_env, sizeof(f->so_env), "RGS_FAULT_SO_PIN_STATE=%s", f->so_state);
  snprintf(f->count_env, sizeof(f->count_env), "RGS_FAULT_COUNT_FILE=%s", f->count);
  f->env[0] = f->real_env;
  f->env[1] = f->pin_env;
  f->env[2] = f->so_env;
  f->env[3] = f->count_env;
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

static int tries_left(const char *state_file)
{
  char *text = rgs_read_file(state_file, NULL);
  int n = text != NULL ? atoi(text) : -1;

  free(text);
  return n;
}

/* Through the fault module with its counters, a fresh call log each time. */
#define FAULTY(r, f, input, ...)                                                             \
  (unlink((f)->count),                                                                        \
   rgs_enroll((r), (f)->env, (input), "--module", rgs_env("RGS_FAULT_MODULE"), __VA_ARGS__, \
              NULL))
#define PLAIN(r, input, ...)                                                                 \
  rgs_enroll((r), NULL, (input), "--module", rgs_env("SOFTHSM2_MODULE"), __VA_ARGS__, NULL)

/* ---- change -------------------------------------------------------------- */

static void test_change_from_files(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  PLAIN(&r, NULL, "--pin-file", f->hsm.pin_file, "pin", "change", "--new-pin-file", f->new_pin);
  rgs_expect(&r, RGS_EXIT_OK, "PIN changed");
  assert_true(rgs_softhsm_pin_works("246813"));
  assert_false(rgs_softhsm_pin_works(RGS_TEST_PIN));
}

static void test_change_from_one_descriptor(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *v;

  (void)f;
  PLAIN(&r, RGS_TEST_PIN "\n" "975310\n", "--pin-fd", "0", "--json", "pin", "change");
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "action");
  assert_string_equal(v, "change");
  free(v);
  rgs_run_free(&r);
  assert_true(rgs_softhsm_pin_works("975310"));
}

static void test_change_refuses_weak_pins_without_trying(void **state)
{
  fixture *f = *state;
  static const char *const weak[] = { "0000\n", "1234\n", "111111\n", "654321\n", "abcdef\n",
                                      RGS_TEST_PIN "\n" };
  rgs_run_result r;
  size_t i;

  for (i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
    assert_int_equal(rgs_write_file(f->new_pin, weak[i]), 0);
    FAULTY(&r, f, NULL, "--pin-file", f->hsm.pin_file, "pin", "change", "--new-pin-file",
           f->new_pin);
    rgs_expect(&r, RGS_EXIT_PIN, i + 1 < sizeof(weak) / sizeof(weak[0]) ? "trivial" : "same as the current");
    assert_int_equal(rgs_count_lines(f->count, "C_SetPIN"), 0);
  }
  assert_int_equal(rgs_write_file(f->new_pin, "12\n"), 0);
  FAULTY(&r, f, NULL, "--pin-file", f->hsm.pin_file, "pin", "change", "--new-pin-file",
         f->new_pin);
  rgs_expect(&r, RGS_EXIT_PIN, "too short");
  assert_int_equal(rgs_count_lines(f->count, "C_SetPIN"), 0);
  assert_true(rgs_softhsm_pin_works(RGS_TEST_PIN));
  assert_int_equal(tries_left(f->pin_state), 3);
}

static void test_change_wrong_pin_spends_one_try(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  FAULTY(&r, f, NULL, "--pin-file", f->hsm.bad_pin_file, "pin", "change", "--new-pin-file",
         f->new_pin);
  rgs_expect(&r, RGS_EXIT_PIN, "fewer tries are left");
  assert_int_equal(rgs_count_lines(f->count, "C_SetPIN"), 1);
  assert_int_equal(tries_left(f->pin_state), 2);
  assert_true(rgs_softhsm_pin_works(RGS_TEST_PIN));
}

static void test_change_locked_pin_is_not_tried(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  assert_int_equal(rgs_write_file(f->pin_state, "0\n"), 0);
  FAULTY(&r, f, NULL, "--pin-file", f->hsm.pin_file, "pin", "change", "--new-pin-file",
         f->new_pin);
  rgs_expect(&r, RGS_EXIT_PIN, "locked");
  assert_int_equal(rgs_count_lines(f->count, "C_SetPIN"), 0);
}

static void test_change_final_try_needs_consent(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  assert_int_equal(rgs_write_file(f->pin_state, "1\n"), 0);
  FAULTY(&r, f, NULL, "--pin-file", f->hsm.pin_file, "pin", "change", "--new-pin-file",
         f->new_pin);
  rgs_expect(&r, RGS_EXIT_PIN, "only one PIN try is left");
  assert_int_equal(rgs_count_lines(f->count, "C_SetPIN"), 0);
  FAULTY(&r, f, NULL, "--final-try", "--pin-file", f->hsm.pin_file, "pin", "change",
         "--new-pin-file", f->new_pin);
  rgs_expect(&r, RGS_EXIT_OK, "PIN changed");
  assert_int_equal(rgs_count_lines(f->count, "C_SetPIN"), 1);
  assert_int_equal(tries_left(f->pin_state), 3);
  assert_true(rgs_softhsm_pin_works("246813"));
}

/* ---- unblock ------------------------------------------------------------- */

static void test_unblock_locked_pin(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  assert_int_equal(rgs_write_file(f->pin_state, "0\n"), 0);
  FAULTY(&r, f, NULL, "pin", "unblock", "--puk-file", f->so_pin, "--new-pin-file", f->new_pin);
  rgs_expect(&r, RGS_EXIT_OK, "PIN unblocked");
  assert_int_equal(rgs_count_lines(f->count, "C_InitPIN"), 1);
  assert_int_equal(tries_left(f->pin_state), 3);
  assert_true(rgs_softhsm_pin_works("246813"));
}

static void test_unblock_wrong_code_spends_one_try(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  FAULTY(&r, f, NULL, "pin", "unblock", "--puk-file", f->bad_so, "--new-pin-file", f->new_pin);
  rgs_expect(&r, RGS_EXIT_PIN, "unblocking code (PUK) incorrect");
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 1);
  assert_int_equal(rgs_count_lines(f->count, "C_InitPIN"), 0);
  assert_int_equal(tries_left(f->so_state), 2);
  assert_true(rgs_softhsm_pin_works(RGS_TEST_PIN));
}

static void test_unblock_locked_code_is_not_tried(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  assert_int_equal(rgs_write_file(f->so_state, "0\n"), 0);
  FAULTY(&r, f, NULL, "pin", "unblock", "--puk-file", f->so_pin, "--new-pin-file", f->new_pin);
  rgs_expect(&r, RGS_EXIT_PIN, "only the certification authority");
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 0);
}

static void test_unblock_final_try_needs_consent(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  assert_int_equal(rgs_write_file(f->so_state, "1\n"), 0);
  FAULTY(&r, f, NULL, "pin", "unblock", "--puk-file", f->so_pin, "--new-pin-file", f->new_pin);
  rgs_expect(&r, RGS_EXIT_PIN, "only one try of the unblocking code");
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 0);
  FAULTY(&r, f, NULL, "--final-try", "pin", "unblock", "--puk-file", f->so_pin,
         "--new-pin-file", f->new_pin);
  rgs_expect(&r, RGS_EXIT_OK, "PIN unblocked");
  assert_int_equal(tries_left(f->so_state), 3);
}

static void test_unblock_weak_new_pin_costs_no_try(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  assert_int_equal(rgs_write_file(f->new_pin, "4444\n"), 0);
  FAULTY(&r, f, NULL, "pin", "unblock", "--puk-file", f->so_pin, "--new-pin-file", f->new_pin);
  rgs_expect(&r, RGS_EXIT_PIN, "trivial");
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 0);
  assert_int_equal(tries_left(f->so_state), 3);
}

/* The unblocking code and the new PIN on one descriptor, one line each. */
static void test_unblock_from_one_descriptor(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  (void)f;
  PLAIN(&r, RGS_TEST_SO_PIN "\n" "135792\n", "pin", "unblock", "--puk-fd", "0", "--new-pin-fd",
        "0");
  rgs_expect(&r, RGS_EXIT_OK, "PIN unblocked");
  assert_true(rgs_softhsm_pin_works("135792"));
}

static void test_change_so_code_then_unblock_with_it(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  PLAIN(&r, NULL, "pin", "change", "--so", "--puk-file", f->so_pin, "--new-pin-file", f->new_so);
  rgs_expect(&r, RGS_EXIT_OK, "Unblocking code (PUK) changed");
  PLAIN(&r, NULL, "pin", "unblock", "--puk-file", f->so_pin, "--new-pin-file", f->new_pin);
  rgs_expect(&r, RGS_EXIT_PIN, "incorrect");
  PLAIN(&r, NULL, "pin", "unblock", "--puk-file", f->new_so, "--new-pin-file", f->new_pin);
  rgs_expect(&r, RGS_EXIT_OK, "PIN unblocked");
  assert_true(rgs_softhsm_pin_works("246813"));
}

static void test_usage(void **state)
{
  rgs_run_result r;

  (void)state;
  PLAIN(&r, NULL, "pin");
  rgs_expect(&r, RGS_EXIT_USAGE, NULL);
  PLAIN(&r, NULL, "pin", "reset");
  rgs_expect(&r, RGS_EXIT_USAGE, "change or unblock");
  PLAIN(&r, NULL, "pin", "unblock", "--so");
  rgs_expect(&r, RGS_EXIT_USAGE, "--so");
  PLAIN(&r, NULL, "pin", "change", "--new-pin-file", "a", "--new-pin-fd", "3");
  rgs_expect(&r, RGS_EXIT_USAGE, "exclude");
  PLAIN(&r, NULL, "pin", "--help");
  rgs_expect(&r, RGS_EXIT_OK, "unblock");
  /* No terminal, no file: nothing is asked, nothing is tried. */
  PLAIN(&r, NULL, "pin", "unblock");
  rgs_expect(&r, RGS_EXIT_PIN, NULL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_change_from_files, setup, teardown),
    cmocka_unit_test_setup_teardown(test_change_from_one_descriptor, setup, teardown),
    cmocka_unit_test_setup_teardown(test_change_refuses_weak_pins_without_trying, setup, teardown),
    cmocka_unit_test_setup_teardown(test_change_wrong_pin_spends_one_try, setup, teardown),
    cmocka_unit_test_setup_teardown(test_change_locked_pin_is_not_tried, setup, teardown),
    cmocka_unit_test_setup_teardown(test_change_final_try_needs_consent, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unblock_locked_pin, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unblock_wrong_code_spends_one_try, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unblock_locked_code_is_not_tried, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unblock_final_try_needs_consent, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unblock_weak_new_pin_costs_no_try, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unblock_from_one_descriptor, setup, teardown),
    cmocka_unit_test_setup_teardown(test_change_so_code_then_unblock_with_it, setup, teardown),
    cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
