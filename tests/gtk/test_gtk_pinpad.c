/* SPDX-License-Identifier: BSD-3-Clause */
/* test_gtk_pinpad.c - the PIN dialog for a reader with a keypad (issue 14).
 * The rule of Continue (rgsg_pin_can_continue) without a display; then
 * gtk_pinpad.py under xvfb-run and dbus-run-session drives the dialog of
 * pin_probe on a SoftHSM token that the fault module makes look like a
 * pinpad reader (RGS_FAULT_TOKEN_FLAGS_SET=CKF_PROTECTED_AUTHENTICATION_PATH):
 * no entry but the keypad sentence, the tries and the last-try box all the
 * same, and no PIN sent to the command (no --pin-fd, fd 3 closed, one
 * C_Login that SoftHSM refuses for its NULL PIN), against a control where
 * a typed PIN does reach it. English and French, with screenshots. */
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "gtk_run.h"
#include "rgsg_pin.h"

static void test_continue_rule(void **state)
{
  (void)state;
  /* A keypad: nothing to type, so Continue is there at once... */
  assert_true(rgsg_pin_can_continue(RGSG_PIN_OK, TRUE, FALSE, FALSE));
  assert_true(rgsg_pin_can_continue(RGSG_PIN_COUNT_LOW, TRUE, FALSE, FALSE));
  /* ...but the last try still waits for the box, and a lock for nothing. */
  assert_false(rgsg_pin_can_continue(RGSG_PIN_FINAL_TRY, TRUE, FALSE, FALSE));
  assert_true(rgsg_pin_can_continue(RGSG_PIN_FINAL_TRY, TRUE, FALSE, TRUE));
  assert_false(rgsg_pin_can_continue(RGSG_PIN_LOCKED, TRUE, FALSE, TRUE));
  /* Typed on the computer: a PIN first. */
  assert_false(rgsg_pin_can_continue(RGSG_PIN_OK, FALSE, FALSE, FALSE));
  assert_true(rgsg_pin_can_continue(RGSG_PIN_OK, FALSE, TRUE, FALSE));
  assert_false(rgsg_pin_can_continue(RGSG_PIN_FINAL_TRY, FALSE, TRUE, FALSE));
  assert_true(rgsg_pin_can_continue(RGSG_PIN_FINAL_TRY, FALSE, TRUE, TRUE));
  assert_false(rgsg_pin_can_continue(RGSG_PIN_LOCKED, FALSE, TRUE, TRUE));
  assert_string_equal(RGSG_PIN_PINPAD, "");
}

static void run_lang(const char *lang)
{
  rgs_softhsm t;
  rgs_gtk_envbuf eb;
  const char *env[24];
  const char *args[6];
  rgs_run_result r;
  size_t n;

  if (rgs_gtk_tools() != 0)
    skip();
  assert_int_equal(rgs_softhsm_init(&t, "holder"), 0);
  mkdir(rgs_env("RGS_GTK_SHOTS"), 0755);
  n = rgs_gtk_env(&eb, env, t.dir, lang);
  env[n++] = "RGS_FAULT_TOKEN_FLAGS_SET=CKF_PROTECTED_AUTHENTICATION_PATH";
  env[n] = NULL;
  args[0] = lang;
  args[1] = rgs_env("RGS_GTK_PIN_PROBE");
  args[2] = t.dir;
  args[3] = rgs_env("RGS_GTK_SHOTS");
  args[4] = rgs_env("RGS_ENROLL_BIN");
  args[5] = NULL;
  assert_int_equal(rgs_gtk_person(&r, env, "gtk_pinpad.py", args), 0);
  assert_int_equal(r.status, 0);
  assert_contains(r.out, "typed: --pin-fd 3 and fd 3 open");
  assert_contains(r.out, "pinpad: no --pin-fd, fd 3 closed, one C_Login without a PIN");
  assert_contains(r.out, "pinpad last try: confirmed, --final-try, no --pin-fd");
  assert_contains(r.out, "passed");
  rgs_run_free(&r);
  rgs_softhsm_cleanup(&t);
}

static void test_pinpad_en(void **state)
{
  (void)state;
  run_lang("en");
}

static void test_pinpad_fr(void **state)
{
  (void)state;
  run_lang("fr");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_continue_rule),
    cmocka_unit_test(test_pinpad_en),
    cmocka_unit_test(test_pinpad_fr),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
