/* SPDX-License-Identifier: BSD-3-Clause */
/* test_gtk_watch.c - plugging the key in opens the window at the step
 * where the order stands: the watcher's desktop notification carries the
 * action "Open the window", a notification server of the test (fake_notifyd,
 * on the D-Bus session of the run) records it and clicks it, and the REAL
 * window, under Xvfb, shows the order's page (watch_person.py checks it
 * through AT-SPI). Two orders: one that awaits its key pair (the key page,
 * reached because the step needs a PIN the watcher cannot ask), one whose
 * request is made (the hub). Exit 77 when a tool of the run is missing. */
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "gtk_run.h"

typedef struct {
  const char *scenario;    /* key | hub */
  const char *lang;        /* en | fr */
} watch_case;

/* The order, and for "hub" its request made on the token (which binds
 * the token to the order by its serial). */
static void make_order(const watch_case *c, const char *const *env, const rgs_softhsm *t)
{
  char csr[700], policy[700];
  rgs_run_result r;
  const char *start[] = { "--json", "--pin-file", t->pin_file, "--policy", policy, "start",
                          "--order", "1", "--out", csr, NULL };

  rgs_gtk_record_order(env);
  if (strcmp(c->scenario, "hub") != 0)
    return;
  snprintf(csr, sizeof(csr), "%s/order-1.csr", t->dir);
  /* The demo policy the window's environment names (RGS_ENROLL_POLICY). */
  snprintf(policy, sizeof(policy), "%s/data/policy/demo-softhsm.conf", rgs_env("RGS_SOURCE_DIR"));
  assert_int_equal(rgs_enroll_v(&r, env, NULL, start), 0);
  if (r.status != 0)
    fail_msg("start failed: %s%s", r.out, r.err);
  rgs_run_free(&r);
}

static void run_case(const watch_case *c)
{
  rgs_softhsm t;
  rgs_gtk_envbuf eb;
  const char *env[24];
  const char *args[8];
  rgs_run_result r;

  assert_int_equal(rgs_softhsm_init(&t, "holder"), 0);
  mkdir(rgs_env("RGS_GTK_SHOTS"), 0755);
  rgs_gtk_env(&eb, env, t.dir, c->lang);
  make_order(c, env, &t);
  args[0] = c->scenario;
  args[1] = c->lang;
  args[2] = rgs_env("RGS_GTK_WINDOW");
  args[3] = t.dir;
  args[4] = rgs_env("RGS_GTK_SHOTS");
  args[5] = NULL;
  assert_int_equal(rgs_gtk_person(&r, env, "watch_person.py", args), 0);
  assert_int_equal(r.status, 0);
  assert_contains(r.out, "passed in");
  assert_contains(r.out, "notification with the action \"open\"");
  assert_contains(r.out, "the watcher reported window_offered");
  assert_contains(r.out, strcmp(c->scenario, "hub") == 0 ? "window opened at the hub"
                                                         : "window opened at the key page");
  rgs_run_free(&r);
  rgs_softhsm_cleanup(&t);
}

/* English: the order awaits its key pair, the watcher has no way to ask
 * the PIN (no terminal, no askpass): its notification opens the window,
 * which checks the key and shows the key page of that order. */
static void test_watch_key_en(void **state)
{
  static const watch_case c = { "key", "en" };

  (void)state;
  run_case(&c);
}

/* French: the request is made; the token plugged in again, the
 * notification opens the window at the hub of its order. */
static void test_watch_hub_fr(void **state)
{
  static const watch_case c = { "hub", "fr" };

  (void)state;
  run_case(&c);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_watch_key_en),
    cmocka_unit_test(test_watch_hub_fr),
  };

  if (rgs_gtk_tools() != 0)
    return 77;
  return cmocka_run_group_tests(tests, NULL, NULL);
}
