/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_udev_events.c - udev events reach the watcher: umockdev simulates the
 * USB token (a testbed with the device's sysfs entry and udev properties,
 * uevents sent to the watcher's netlink socket). Runs under
 * umockdev-wrapper, so that the watcher started from here loads the
 * umockdev preload library and sees the testbed instead of the machine.
 *   - an "add" of a CCID token makes the watcher poll the PKCS#11 module at
 *     once: with a backoff stretched to a minute, the token initialised in
 *     SoftHSM is seen by the poll the event asked for, before the timer's
 *     next poll (read from the watcher's --trace, not timed);
 *   - the device's own strings (vendor, model, serial full of ; $() quotes
 *     and newlines) are logged cleaned, and nothing is executed;
 *   - "remove" is seen; a USB mouse is ignored.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <umockdev.h>

#include "watch_test.h"

#define TOKEN_SYSPATH "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2"
#define MOUSE_SYSPATH "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-3"

/* The devices, in umockdev-record's format (tests/udev/data): a CCID
 * token (Gemalto USB Shell Token V2, the IDPrime's USB form) whose vendor,
 * model and serial strings are hostile, and a USB mouse. */
static void add_device(UMockdevTestbed *tb, const char *name)
{
  char path[1024];
  GError *err = NULL;

  snprintf(path, sizeof(path), "%s/tests/udev/data/%s", rgs_env("RGS_SOURCE_DIR"), name);
  if (!umockdev_testbed_add_from_file(tb, path, &err))
    fail_msg("%s: %s", path, err != NULL ? err->message : "?");
}

/* Realtime nanoseconds of the n-th line (1 first) "what N" of the trace
 * file; -1 when there are fewer. */
static long long trace_nth(const char *path, const char *what, int n)
{
  char *t = rgs_read_file(path, NULL), *p;
  size_t wl = strlen(what);
  long long v = -1;

  for (p = t; p != NULL && *p != '\0';) {
    if (strncmp(p, what, wl) == 0 && p[wl] == ' ' && --n == 0) {
      v = atoll(p + wl + 1);
      break;
    }
    p = strchr(p, '\n');
    if (p != NULL)
      p++;
  }
  free(t);
  return v;
}

static long long trace_at(const char *path, const char *what)
{
  return trace_nth(path, what, 1);
}

/* How many lines "what N" have N < before. */
static int trace_count_before(const char *path, const char *what, long long before)
{
  long long v;
  int n = 0;

  while ((v = trace_nth(path, what, n + 1)) >= 0 && v < before)
    n++;
  return n;
}

static void test_events_reach_the_watcher(void **state)
{
  rgs_softhsm hsm;
  UMockdevTestbed *tb;
  char tokens[600], trace[600], canary[600], run[600], run_env[700];
  char policy[600];
  const char *env[3];
  const char *argv[24];
  rgs_run_result r;
  long long ready, added, visible, gap = 0;
  int ticks;
  char *doc_err;
  rgs_bg b;
  size_t n = 0;

  (void)state;
  if (getenv("LD_PRELOAD") == NULL || strstr(getenv("LD_PRELOAD"), "umockdev") == NULL)
    skip();                      /* not started by umockdev-wrapper */
  tb = umockdev_testbed_new();
  assert_non_null(tb);
  assert_int_equal(rgs_softhsm_init(&hsm, "Jean DUPONT"), 0);
  snprintf(tokens, sizeof(tokens), "%s/tokens", hsm.dir);
  rgs_rmrf(tokens);
  assert_int_equal(mkdir(tokens, 0700), 0);
  snprintf(trace, sizeof(trace), "%s/trace", hsm.dir);
  snprintf(canary, sizeof(canary), "%s/CANARY", hsm.dir);
  snprintf(run, sizeof(run), "%s/run", hsm.dir);
  assert_int_equal(mkdir(run, 0700), 0);
  snprintf(run_env, sizeof(run_env), "XDG_RUNTIME_DIR=%s", run);
  snprintf(policy, sizeof(policy), "%s/data/policy/demo-softhsm.conf", rgs_env("RGS_SOURCE_DIR"));
  env[0] = run_env;
  env[1] = "LC_ALL=C.UTF-8";
  env[2] = NULL;
  add_device(tb, "idprime-hostile.umockdev");
  add_device(tb, "usb-mouse.umockdev");

  argv[n++] = rgs_env("RGS_ENROLL_BIN");
  argv[n++] = "--module";
  argv[n++] = rgs_env("SOFTHSM2_MODULE");
  argv[n++] = "--policy";
  argv[n++] = policy;
  argv[n++] = "--json";
  argv[n++] = "watch";
  argv[n++] = "--timeout";
  argv[n++] = "60";
  argv[n++] = "--dry-run";
  argv[n++] = "--no-notify";
  argv[n++] = "--poll-max";
  argv[n++] = "60000";
  argv[n++] = "--trace";
  argv[n++] = trace;
  argv[n] = NULL;
  /* Run from the fixture's directory, where a `touch CANARY` would land. */
  assert_int_equal(chdir(hsm.dir), 0);
  rgs_bg_start(&b, hsm.dir, argv, env);
  rgs_bg_expect(&b, trace, "ready", 1);
  doc_err = rgs_read_file(b.err_path, NULL);
  assert_not_contains(doc_err != NULL ? doc_err : "", "no udev events");
  free(doc_err);
  ready = trace_at(trace, "ready");
  /* Wait, tick by tick, until the backoff has grown past three seconds
   * between polls: the next poll of the timer is then six seconds or more
   * away, and the token plugged in now can only be seen sooner through
   * the udev event. (Event-driven: no guess of how long startup takes.) */
  for (ticks = 2; gap < 3000000000LL; ticks++) {
    assert_true(ticks < 40);
    rgs_bg_expect(&b, trace, "tick-timer", ticks);
    gap = trace_nth(trace, "tick-timer", ticks) - trace_nth(trace, "tick-timer", ticks - 1);
  }
  ticks--;
  assert_int_equal(rgs_softhsm_add_token(&hsm, "Jean DUPONT"), 0);
  umockdev_testbed_uevent(tb, MOUSE_SYSPATH, "add");
  umockdev_testbed_uevent(tb, TOKEN_SYSPATH, "add");
  rgs_bg_expect(&b, b.out_path, "\"appeared\"", 1);
  added = trace_at(trace, "usb-add");
  visible = trace_at(trace, "visible");
  assert_true(ready > 0 && added > 0 && visible > 0);
  print_message("uevent to token seen: %.1f ms (the timer's next poll was %.1f ms later)\n",
                (visible - added) / 1e6,
                (trace_nth(trace, "tick-timer", ticks) + 2 * gap - visible) / 1e6);
  /* Seen by the poll that the udev event asked for: after the event,
   * and before the timer's next tick. Causality, not a stopwatch: a
   * loaded machine may be slow anywhere without failing this. */
  assert_true(added < visible);
  assert_true(trace_count_before(trace, "tick-kick", visible) >= 1);
  if (trace_count_before(trace, "tick-timer", visible) != ticks)
    fail_msg("the timer polled before the udev event's poll saw the token: plugging it in "
             "took longer than the gap of %.1f s between two polls", 2 * gap / 1e9);

  umockdev_testbed_uevent(tb, TOKEN_SYSPATH, "remove");
  rgs_bg_expect(&b, b.err_path, "USB smart-card device removed", 1);
  rgs_bg_stop(&b, SIGTERM, RGS_WAIT_SAFETY_MS, &r);
  rgs_assert_status(&r, RGS_EXIT_OK);

  doc_err = r.err;
  assert_contains(doc_err, "USB smart-card device plugged in: Evil__touch CANARY_ "
                           "Token_rm -rf _x_ _y_ _touch CANARY_ (08e6:3438, serial "
                           "__touch CANARY_)");
  assert_not_contains(doc_err, "$(");
  assert_not_contains(doc_err, "Logitech");       /* the mouse is not ours */
  assert_int_equal(access(canary, F_OK), -1);
  rgs_run_free(&r);
  g_object_unref(tb);
  rgs_softhsm_cleanup(&hsm);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_events_reach_the_watcher),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
