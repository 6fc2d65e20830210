/*
 * test_udev_events.c - udev events reach the watcher: umockdev simulates the
 * USB token (a testbed with the device's sysfs entry and udev properties,
 * uevents sent to the watcher's netlink socket). Runs under
 * umockdev-wrapper, so that the watcher started from here loads the
 * umockdev preload library and sees the testbed instead of the machine.
 *   - an "add" of a CCID token makes the watcher poll the PKCS#11 module at
 *     once: with a backoff stretched to a minute, the token initialised in
 *     SoftHSM is seen within moments of the event, not at the next poll;
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

/* Realtime nanoseconds of the first line "what N" of the trace file. */
static long long trace_at(const char *path, const char *what)
{
  char *t = rgs_read_file(path, NULL), *p;
  size_t wl = strlen(what);
  long long v = -1;

  for (p = t; p != NULL && *p != '\0';) {
    if (strncmp(p, what, wl) == 0 && p[wl] == ' ') {
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

static void test_events_reach_the_watcher(void **state)
{
  rgs_softhsm hsm;
  UMockdevTestbed *tb;
  char tokens[600], trace[600], canary[600], run[600], run_env[700];
  char policy[600];
  const char *env[3];
  const char *argv[24];
  rgs_run_result r;
  long long ready, added, visible;
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
  assert_true(rgs_wait_for_text(trace, "ready", 20000));
  doc_err = rgs_read_file(b.err_path, NULL);
  assert_null(strstr(doc_err != NULL ? doc_err : "", "no udev events"));
  free(doc_err);
  ready = trace_at(trace, "ready");
  /* Let the backoff grow past three seconds between polls. */
  rgs_sleep_ms(3300);
  assert_int_equal(rgs_softhsm_add_token(&hsm, "Jean DUPONT"), 0);
  umockdev_testbed_uevent(tb, MOUSE_SYSPATH, "add");
  umockdev_testbed_uevent(tb, TOKEN_SYSPATH, "add");
  assert_true(rgs_wait_for_text(b.out_path, "\"appeared\"", 20000));
  added = trace_at(trace, "usb-add");
  visible = trace_at(trace, "visible");
  assert_true(ready > 0 && added > 0 && visible > 0);
  print_message("uevent to token seen: %.1f ms (polling alone: at least %.1f ms more)\n",
                (visible - added) / 1e6, 6375.0 - (added - ready) / 1e6);
  /* The next poll of the backoff was due at 6.375 s after ready. */
  assert_true(visible - added < 1500000000LL);
  assert_true(visible - ready < 6000000000LL);

  umockdev_testbed_uevent(tb, TOKEN_SYSPATH, "remove");
  assert_true(rgs_wait_for_text(b.err_path, "USB smart-card device removed", 10000));
  rgs_bg_stop(&b, SIGTERM, 10000, &r);
  rgs_assert_status(&r, 0);

  doc_err = r.err;
  assert_non_null(strstr(doc_err, "USB smart-card device plugged in: Evil__touch CANARY_ "
                                  "Token_rm -rf _x_ _y_ _touch CANARY_ (08e6:3438, serial "
                                  "__touch CANARY_)"));
  assert_null(strstr(doc_err, "$("));
  assert_null(strstr(doc_err, "Logitech"));       /* the mouse is not ours */
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
