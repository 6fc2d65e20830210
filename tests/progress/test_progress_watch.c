/* SPDX-License-Identifier: BSD-3-Clause */
/* test_progress_watch.c - the watcher says it is waiting for a token: a
 * line on stderr (the journal) when it starts waiting and again after each
 * token it handled, and the "wait-token" step on --progress-fd (here the
 * descriptor 2, so the events land in the same file). A SoftHSM2 token
 * with no order: the watcher tells so, then waits again. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "watch_test.h"

static void start_bg(rgs_watch_fixture *f, rgs_bg *b, ...)
{
  const char *argv[48];
  va_list ap;

  va_start(ap, b);
  rgs_watch_argv(f, argv, NULL, 0, ap);
  va_end(ap);
  rgs_bg_start(b, f->hsm.dir, argv, f->env);
}

static void test_watcher_says_it_waits(void **state)
{
  rgs_watch_fixture *f = *state;
  rgs_run_result r;
  rgs_bg b;

  start_bg(f, &b, "--progress-fd", "2", "watch", "--timeout", "600", "--dry-run", "--no-notify",
           "--no-udev", NULL);
  rgs_bg_expect(&b, b.err_path, "Watching for tokens; stop with Ctrl-C.", 1);
  rgs_bg_expect(&b, b.err_path, "no order waits for it", 1);
  /* Handled: waiting again, said in words and as an event. */
  rgs_bg_expect(&b, b.err_path, "Waiting for the next token to be plugged in...", 1);
  rgs_bg_expect(&b, b.err_path, "{\"event\":\"start\",\"step\":\"wait-token\",\"at\":\"", 2);
  rgs_bg_stop(&b, SIGTERM, RGS_WAIT_SAFETY_MS, &r);
  assert_contains(r.err, "{\"event\":\"done\",\"step\":\"wait-token\",\"ok\":true,");
  /* Stopped while waiting: the last wait ends without a token. */
  assert_contains(r.err, "{\"event\":\"done\",\"step\":\"wait-token\",\"ok\":false,");
  assert_true(strstr(r.err, "no order waits for it") <
              strstr(r.err, "Waiting for the next token"));
  rgs_run_free(&r);
}

static void test_once_says_it_waits_in_french(void **state)
{
  rgs_watch_fixture *f = *state;
  rgs_run_result r;
  const char *env[] = { "LANGUAGE=fr", NULL };

  rgs_watch_run(f, &r, env, 0, "watch", "--once", "--timeout", "600", "--dry-run",
                "--no-notify", "--no-udev", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.err, "En attente du branchement");
  assert_not_contains(r.err, "Waiting for a token");
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_watcher_says_it_waits, rgs_watch_setup,
                                    rgs_watch_teardown),
    cmocka_unit_test_setup_teardown(test_once_says_it_waits_in_french, rgs_watch_setup,
                                    rgs_watch_teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
