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
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <cmocka.h>
#include "rgs_test.h"

typedef struct {
  const char *scenario;    /* wrongpin | finaltry | askpass */
  const char *lang;        /* en | fr */
  const char *pin_tries;   /* the fault module's counter at start, NULL: full */
  int with_order;          /* an order recorded beforehand (chosen from the list) */
  int keygen_pause;        /* the fault module holds C_GenerateKeyPair (RGS_FAULT_KEYGEN_PAUSE) */
} gtk_case;

static int next_server;

static void record_order(const char *const *env)
{
  rgs_run_result r;

  assert_int_equal(rgs_enroll(&r, env, NULL, "--json", "order", "new", "--partner", "cma",
                              "--holder-first-name", "Jean", "--holder-last-name", "Dupont",
                              "--email", "jean@example.fr", "--company", "Boulangerie Dupont",
                              "--siren", "732829320", "--payment", "carte", "--accept-cgu", NULL),
                   0);
  assert_int_equal(r.status, 0);
  rgs_run_free(&r);
}

static void run_case(const gtk_case *c)
{
  rgs_softhsm t;
  char home[600], data[700], pins[600], calls[600], policy[600], lang[32], shots[600];
  char server[32];
  char e_home[700], e_data[800], e_pins[700], e_calls[700], e_policy[700], e_real[700],
    e_mod[700], e_loc[700], fifo[600], fifo_go[610], e_fifo[700];
  const char *env[24];
  const char *argv[16];
  rgs_run_result r;
  size_t n = 0;

  assert_int_equal(rgs_softhsm_init(&t, "holder"), 0);
  snprintf(home, sizeof(home), "%s/home", t.dir);
  snprintf(data, sizeof(data), "%s/data", home);
  snprintf(pins, sizeof(pins), "%s/user-pin", t.dir);
  snprintf(calls, sizeof(calls), "%s/calls", t.dir);
  snprintf(policy, sizeof(policy), "%s/data/policy/demo-softhsm.conf", rgs_env("RGS_SOURCE_DIR"));
  snprintf(shots, sizeof(shots), "%s", rgs_env("RGS_GTK_SHOTS"));
  assert_int_equal(mkdir(home, 0700), 0);
  mkdir(shots, 0755);
  if (c->pin_tries != NULL)
    assert_int_equal(rgs_write_file(pins, c->pin_tries), 0);
  snprintf(e_home, sizeof(e_home), "HOME=%s", home);
  snprintf(e_data, sizeof(e_data), "XDG_DATA_HOME=%s", data);
  snprintf(e_pins, sizeof(e_pins), "RGS_FAULT_PIN_STATE=%s", pins);
  snprintf(e_calls, sizeof(e_calls), "RGS_FAULT_COUNT_FILE=%s", calls);
  snprintf(e_policy, sizeof(e_policy), "RGS_ENROLL_POLICY=%s", policy);
  snprintf(e_real, sizeof(e_real), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  snprintf(e_mod, sizeof(e_mod), "RGS_ENROLL_MODULE=%s", rgs_env("RGS_FAULT_MODULE"));
  snprintf(e_loc, sizeof(e_loc), "RGS_ENROLL_LOCALEDIR=%s", rgs_env("RGS_GTK_LOCALEDIR"));
  snprintf(lang, sizeof(lang), "LANGUAGE=%s", c->lang);
  env[n++] = e_home; env[n++] = e_data; env[n++] = e_pins; env[n++] = e_calls;
  env[n++] = e_policy; env[n++] = e_real; env[n++] = e_mod; env[n++] = e_loc; env[n++] = lang;
  env[n++] = "LC_ALL=C.UTF-8";
  if (c->keygen_pause) {
    snprintf(fifo, sizeof(fifo), "%s/pause", t.dir);
    snprintf(fifo_go, sizeof(fifo_go), "%s.go", fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(mkfifo(fifo_go, 0600), 0);
    snprintf(e_fifo, sizeof(e_fifo), "RGS_FAULT_PAUSE_FIFO=%s", fifo);
    env[n++] = e_fifo;
    env[n++] = "RGS_FAULT_KEYGEN_PAUSE=before";
  }
  /* The cairo renderer: no GL under Xvfb, and less CPU on two cores. */
  env[n++] = "GSK_RENDERER=cairo";
  /* Under ASan, GTK's own libraries (fontconfig, GL loaders dlclosed
   * since) leave allocations LeakSanitizer cannot name or suppress:
   * leaks are not checked in the window's run; ASan's other checks are. */
  env[n++] = "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:detect_odr_violation=0";
  env[n] = NULL;
  if (c->with_order)
    record_order(env);
  n = 0;
  argv[n++] = rgs_env("RGS_XVFB_RUN");
  argv[n++] = "-a";
  /* -a starts from this number: never the one the previous case's server
   * has just left (xvfb-run would take it while that server still exits,
   * and the window would meet the dying server). */
  snprintf(server, sizeof(server), "--server-num=%d", 100 + (int)(getpid() % 300) + next_server++ * 7);
  argv[n++] = server;
  /* No server reset when the last client leaves (the display probe of
   * gtk_person.py is one): Debian 12's Xvfb may exit on that reset. */
  argv[n++] = "--server-args=-screen 0 1280x1024x24 -noreset";
  argv[n++] = rgs_env("RGS_DBUS_RUN_SESSION");
  argv[n++] = "--";
  argv[n++] = rgs_env("RGS_GTK_PYTHON");
  argv[n++] = rgs_env("RGS_GTK_SCRIPT");
  argv[n++] = c->scenario;
  argv[n++] = c->lang;
  argv[n++] = rgs_env("RGS_GTK_WINDOW");
  argv[n++] = t.dir;
  argv[n++] = shots;
  argv[n] = NULL;
  assert_int_equal(rgs_run(argv, env, NULL, &r), 0);
  printf("%s\n", r.out);
  if (r.status != 0)
    fprintf(stderr, "%s\n", r.err);
  assert_int_equal(r.status, 0);
  assert_contains(r.out, "passed in");
  if (strcmp(c->scenario, "wrongpin") == 0)
    assert_contains(r.out, "wrong PIN: exactly one C_Login");
  if (c->keygen_pause)
    assert_contains(r.out, "while the key generation was held");
  if (strcmp(c->scenario, "askpass") == 0) {
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

static int tools_present(void)
{
  static const char *const vars[] = { "RGS_XVFB_RUN", "RGS_DBUS_RUN_SESSION", "RGS_GTK_PYTHON",
                                      "RGS_GTK_HAVE_PYATSPI", "RGS_GTK_IMPORT" };
  size_t i;
  const char *v;

  for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
    v = getenv(vars[i]);
    if (v == NULL || v[0] == '\0' || strstr(v, "NOTFOUND") != NULL) {
      printf("skipped: %s not found (xvfb, dbus, python3-pyatspi, imagemagick)\n", vars[i]);
      return 0;
    }
  }
  return 1;
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_wrong_pin_en),
    cmocka_unit_test(test_final_try_fr),
    cmocka_unit_test(test_askpass_en),
  };

  if (!tools_present())
    return 77;
  return cmocka_run_group_tests(tests, NULL, NULL);
}
