/* SPDX-License-Identifier: BSD-3-Clause */
/* watch_test.h - what the tests of tests/udev share: a command left running
 * in the background (the watcher) while the test plugs and pulls tokens. */
#ifndef RGS_WATCH_TEST_H
#define RGS_WATCH_TEST_H

#include <stdarg.h>
#include <sys/types.h>
#include "rgs_test.h"

typedef struct {
  pid_t pid;
  int ended, status;           /* reaped by rgs_bg_expect: its wait status */
  char out_path[600], err_path[600];
} rgs_bg;

/* The longest any wait of these tests may take: a safety net against a
 * hung test, never what a test counts on (waits end on the output they
 * wait for). An ASan build on a loaded two-core machine is slow. */
#define RGS_WAIT_SAFETY_MS 120000

/* Start argv (NULL-terminated) with the current environment plus env
 * (NULL-terminated, may be NULL), stdin /dev/null, no controlling terminal,
 * stdout and stderr into files of dir. Fails the test when it cannot. */
void rgs_bg_start(rgs_bg *b, const char *dir, const char *const *argv, const char *const *env);
/* Wait up to timeout_ms; kills it (SIGKILL) when it has not ended and fails
 * the test. Fills r (free with rgs_run_free). */
void rgs_bg_wait(rgs_bg *b, int timeout_ms, rgs_run_result *r);
/* Send sig, then rgs_bg_wait. */
void rgs_bg_stop(rgs_bg *b, int sig, int timeout_ms, rgs_run_result *r);
/* Wait until the file at path contains needle (up to timeout_ms): 1 found. */
int rgs_wait_for_text(const char *path, const char *needle, int timeout_ms);
/* Wait until the file at path (b's out_path or err_path) holds needle
 * `count` times in complete lines (a line still being written does not
 * count). Fails the test, showing b's stdout and stderr, when b ends
 * before that or after RGS_WAIT_SAFETY_MS. */
void rgs_bg_expect(rgs_bg *b, const char *path, const char *needle, int count);

/* Sleep ms milliseconds. */
void rgs_sleep_ms(int ms);

/* A SoftHSM token "Jean DUPONT", a store, a runtime and a data directory
 * of its own, and the environment rgs-enroll runs with (no desktop bus, no
 * askpass, "today" fixed). For cmocka setup/teardown. */
typedef struct {
  rgs_softhsm hsm;
  char db[600], run[600], data[600], policy[600], tokens[600];
  char run_env[700], data_env[700];
  const char *env[6];
} rgs_watch_fixture;
int rgs_watch_setup(void **state);
int rgs_watch_teardown(void **state);
/* argv of rgs-enroll with the fixture's store, module (NULL: SoftHSM2),
 * policy and, with pin, PIN file, then the arguments of ap up to a NULL;
 * argv has room for 48. */
void rgs_watch_argv(rgs_watch_fixture *f, const char **argv, const char *module, int pin,
                    va_list ap);
/* Run rgs-enroll to the end with the fixture's environment plus extra_env. */
void rgs_watch_run(rgs_watch_fixture *f, rgs_run_result *r, const char *const *extra_env,
                   int pin, ...);

#endif
