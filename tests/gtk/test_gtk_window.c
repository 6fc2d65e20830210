/* SPDX-License-Identifier: BSD-3-Clause */
/* test_gtk_window.c - rgs-enroll-gtk used as a person uses it: under Xvfb
 * (xvfb-run -a) and a D-Bus session (dbus-run-session), driven through the
 * accessibility tree by gtk_person.py (pyatspi), on a SoftHSM token behind
 * the fault module (PIN counter, C_Login count). This driver makes the
 * token, the store and the environment, runs the script, and checks what
 * it reports; the script checks the screens and the request (openssl req
 * -verify). Screenshots go to <build>/tests/gtk/screenshots.
 * Exit 77 (skipped) when a tool of the run is missing. */
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <cmocka.h>
#include "gtk_run.h"

typedef struct {
  const char *scenario;    /* wrongpin | finaltry | askpass | wait | unplug | keyboard */
  const char *lang;        /* en | fr */
  const char *pin_tries;   /* the fault module's counter at start, NULL: full */
  int with_order;          /* an order recorded beforehand (chosen from the list) */
  int keygen_pause;        /* the fault module holds C_GenerateKeyPair (RGS_FAULT_KEYGEN_PAUSE) */
} gtk_case;

static void run_case(const gtk_case *c)
{
  rgs_softhsm t;
  rgs_gtk_envbuf eb;
  char pins[600], fifo[600], fifo_go[610], e_fifo[700];
  const char *env[24];
  const char *args[8];
  rgs_run_result r;
  size_t n;

  assert_int_equal(rgs_softhsm_init(&t, "holder"), 0);
  mkdir(rgs_env("RGS_GTK_SHOTS"), 0755);
  n = rgs_gtk_env(&eb, env, t.dir, c->lang);
  snprintf(pins, sizeof(pins), "%s/user-pin", t.dir);
  if (c->pin_tries != NULL)
    assert_int_equal(rgs_write_file(pins, c->pin_tries), 0);
  if (c->keygen_pause) {
    snprintf(fifo, sizeof(fifo), "%s/pause", t.dir);
    snprintf(fifo_go, sizeof(fifo_go), "%s.go", fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(mkfifo(fifo_go, 0600), 0);
    snprintf(e_fifo, sizeof(e_fifo), "RGS_FAULT_PAUSE_FIFO=%s", fifo);
    env[n++] = e_fifo;
    env[n++] = "RGS_FAULT_KEYGEN_PAUSE=before";
    env[n] = NULL;
  }
  if (c->with_order)
    rgs_gtk_record_order(env);
  args[0] = c->scenario;
  args[1] = c->lang;
  args[2] = rgs_env("RGS_GTK_WINDOW");
  args[3] = t.dir;
  args[4] = rgs_env("RGS_GTK_SHOTS");
  args[5] = NULL;
  assert_int_equal(rgs_gtk_person(&r, env, "gtk_person.py", args), 0);
  assert_int_equal(r.status, 0);
  assert_contains(r.out, "passed in");
  if (strcmp(c->scenario, "wrongpin") == 0)
    assert_contains(r.out, "wrong PIN: exactly one C_Login");
  if (c->keygen_pause && strcmp(c->scenario, "unplug") == 0)
    assert_contains(r.out, "unplugged: order 1 still ordered, no key pair on the token");
  else if (c->keygen_pause)
    assert_contains(r.out, "while the key generation was held");
  if (strcmp(c->scenario, "keyboard") == 0) {
    assert_contains(r.out, "keyboard: the enrolment done with keys only, the focus where expected");
    assert_contains(r.out, "verify OK");
  } else if (strcmp(c->scenario, "wait") == 0) {
    assert_contains(r.out, "wait: the key found without a press, no watch child left");
    assert_contains(r.out, "wait: no orphan once the window is gone");
  } else if (strcmp(c->scenario, "askpass") == 0) {
    assert_contains(r.out, "askpass: the PIN on stdout, status 0");
    assert_contains(r.out, "askpass cancelled: nothing on stdout, status 1");
  } else {
    assert_contains(r.out, "verify OK");
  }
  rgs_run_free(&r);
  rgs_softhsm_cleanup(&t);
}

/* English: a new order typed in the form (with its checks as one types), a
 * wrong PIN (one C_Login, the message, the counter), then the right one;
 * the key generation held by the fault module while the elapsed time on
 * the key page moves. */
static void test_wrong_pin_en(void **state)
{
  static const gtk_case c = { "wrongpin", "en", NULL, 0, 1 };

  (void)state;
  run_case(&c);
}

/* French: an order chosen from the list, the last try left: spent only
 * once the person ticked the confirmation (then --final-try). */
static void test_final_try_fr(void **state)
{
  static const gtk_case c = { "finaltry", "fr", "1\n", 1, 0 };

  (void)state;
  run_case(&c);
}

/* The watcher's askpass role: `rgs-enroll-gtk --askpass PROMPT` shows the
 * PIN dialog, writes the PIN typed on stdout (status 0), or nothing and
 * status 1 when cancelled. */
static void test_askpass_en(void **state)
{
  static const gtk_case c = { "askpass", "en", NULL, 0, 0 };

  (void)state;
  run_case(&c);
}

/* No key at first: the window waits for one by itself (a `watch` child,
 * replaced by Look again), finds the key made meanwhile without a press,
 * and leaves no child behind, found or closed. English and French. */
static void test_wait_for_key_en(void **state)
{
  static const gtk_case c = { "wait", "en", NULL, 0, 0 };

  (void)state;
  run_case(&c);
}

static void test_wait_for_key_fr(void **state)
{
  static const gtk_case c = { "wait", "fr", NULL, 0, 0 };

  (void)state;
  run_case(&c);
}

/* The key pulled out while the fault module holds C_GenerateKeyPair: the
 * window says it in words, the order and the token are unchanged (the
 * command line says so), and the retry, key plugged in again, makes the
 * request. English and French. */
static void test_unplug_en(void **state)
{
  static const gtk_case c = { "unplug", "en", NULL, 1, 1 };

  (void)state;
  run_case(&c);
}

static void test_unplug_fr(void **state)
{
  static const gtk_case c = { "unplug", "fr", NULL, 1, 1 };

  (void)state;
  run_case(&c);
}

/* The whole holder enrolment with the keyboard only (Tab, Return, space,
 * typed text): the focus on the default button, the first field, the PIN
 * entry; every control passed has an accessible name. */
static void test_keyboard_en(void **state)
{
  static const gtk_case c = { "keyboard", "en", NULL, 0, 0 };

  (void)state;
  run_case(&c);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_wrong_pin_en),
    cmocka_unit_test(test_final_try_fr),
    cmocka_unit_test(test_askpass_en),
    cmocka_unit_test(test_wait_for_key_en),
    cmocka_unit_test(test_wait_for_key_fr),
    cmocka_unit_test(test_unplug_en),
    cmocka_unit_test(test_unplug_fr),
    cmocka_unit_test(test_keyboard_en),
  };

  if (rgs_gtk_tools() != 0)
    return 77;
  /* RGS_GTK_ONLY=test_keyboard_en: one case, when working on it. */
  if (getenv("RGS_GTK_ONLY") != NULL)
    cmocka_set_test_filter(getenv("RGS_GTK_ONLY"));
  return cmocka_run_group_tests(tests, NULL, NULL);
}
