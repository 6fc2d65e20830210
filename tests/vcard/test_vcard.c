/* SPDX-License-Identifier: BSD-3-Clause */
/* test_vcard.c - OpenSC's module, the project's default, against a card
 * through pcscd: libcacard's CAC emulation behind the vpcd reader driver
 * (rgs_vcard.c), each test with its own card, pcscd and port. The real
 * rgs-enroll binary runs with no --module (the default is OpenSC) unless a
 * test counts PKCS#11 calls through the fault module wrapped around it. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "vcard_test.h"
#include "watch_test.h"

/* rgs-enroll ARGS... (NULL-terminated) with the product's default module. */
#define enroll(r, ...) rgs_enroll((r), NULL, NULL, __VA_ARGS__, NULL)

static void expect_pin(rgs_vcard *c, int tries, int verifies)
{
  int t = -1, v = -1;

  rgs_vcard_pin(c, &t, &v);
  assert_int_equal(v, verifies);
  assert_int_equal(t, tries);
}

/* A reader without card, then the card's token, then the reader empty
 * again: what pcscd says is what `tokens` lists. */
static void test_tokens(void **state)
{
  rgs_vcard *c = *state;
  rgs_run_result r;

  enroll(&r, "tokens");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, c->reader);
  assert_not_contains(r.out, "SENEZ");
  rgs_run_free(&r);

  rgs_vcard_insert(c);
  enroll(&r, "tokens");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, c->reader);
  assert_contains(r.out, "Frédéric SENEZ");
  assert_contains(r.out, "Common Access Card");
  assert_contains(r.out, "pkcs11:token=Fr%C3%A9d%C3%A9ric%20SENEZ");
  rgs_run_free(&r);
  enroll(&r, "--json", "tokens");
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "module", rgs_env("OPENSC_MODULE"));
  rgs_run_free(&r);
  expect_pin(c, 3, 0);

  rgs_vcard_remove(c);
  enroll(&r, "tokens");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, c->reader);
  assert_not_contains(r.out, "SENEZ");
  rgs_run_free(&r);
}

/* A CAC through OpenSC is no qualified device and OpenSC cannot generate a
 * key on it; check says so without logging in. */
static void test_check_not_qualified(void **state)
{
  rgs_vcard *c = *state;
  rgs_run_result r;

  rgs_vcard_insert(c);
  enroll(&r, "check");
  /* Known before any PIN: exit 4, the module named, what it cannot do. */
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  rgs_assert_says(&r, "OpenSC");
  rgs_assert_says(&r, "cannot generate");
  rgs_run_free(&r);
  enroll(&r, "--json", "check");
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  rgs_assert_json(r.out, "error.code", "module-cannot-generate-keys");
  rgs_run_free(&r);
  expect_pin(c, 3, 0);
}

/* The card's preloaded keys and certificates, judged as a delivered token:
 * each certificate paired with its key, chained to the card's CA. */
static void test_check_delivered(void **state)
{
  rgs_vcard *c = *state;
  rgs_run_result r;

  rgs_vcard_insert(c);
  enroll(&r, "--json", "--pin-file", c->content->pin_file, "check", "--delivered", "--ca-file", c->content->ca_file);
  /* Not ready: the token is in no qualified-device policy, and the
   * encryption certificate has no digitalSignature. */
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  rgs_assert_json(r.out, "delivered", "true");
  rgs_assert_json(r.out, "qualified", "false");
  rgs_assert_json(r.out, "token.label", "Frédéric SENEZ");
  rgs_assert_json(r.out, "certificates.0.label", "CAC ID Certificate");
  rgs_assert_json(r.out, "certificates.0.ok", "true");
  rgs_assert_json(r.out, "certificates.0.key.bits", "2048");
  rgs_assert_json(r.out, "certificates.1.ok", "true");
  rgs_assert_json(r.out, "certificates.2.label", "CAC Email Encryption Certificate");
  rgs_assert_json(r.out, "certificates.2.ok", "false");
  rgs_run_free(&r);
  /* One login, the PIN right: the counter is whole again. */
  expect_pin(c, 3, 1);

  enroll(&r, "--pin-file", c->content->pin_file, "check", "--delivered", "--ca-file", c->content->ca_file);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.out, "Frédéric SENEZ");
  assert_contains(r.out, "NOT ready");
  rgs_run_free(&r);
}

/* Same public key in two PEM texts (openssl -pubkey outputs). */
static char *pubkey_of(const char *kind, const char *path)
{
  const char *argv[] = { rgs_env("OPENSSL_BIN"), kind, "-in", path, "-pubkey", "-noout", NULL };
  rgs_run_result r;
  char *pem;

  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  rgs_assert_status(&r, 0);
  pem = strdup(r.out);
  rgs_run_free(&r);
  return pem;
}

/* A signature made by the card's key: a certificate request signed on the
 * token, verified by openssl and carrying the public key of the card's
 * certificate. */
static void test_sign(void **state)
{
  rgs_vcard *c = *state;
  const char *verify[] = { rgs_env("OPENSSL_BIN"), "req", "-in", NULL, "-verify", "-noout", NULL };
  char req[700];
  char *a, *b;
  rgs_run_result r;

  snprintf(req, sizeof(req), "%s/req.pem", c->dir);
  rgs_vcard_insert(c);
  enroll(&r, "--pin-file", c->content->pin_file, "csr", "--key",
         "pkcs11:object=CAC%20ID%20Certificate;type=private", "--out", req, "--cn",
         "Frédéric SENEZ", "--o", "BS AUTO", "--siren", "732829320");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "made on the token, verified");
  rgs_run_free(&r);
  expect_pin(c, 3, 1);

  verify[3] = req;
  assert_int_equal(rgs_run(verify, NULL, NULL, &r), 0);
  rgs_assert_status(&r, 0);
  rgs_run_free(&r);
  a = pubkey_of("req", req);
  b = pubkey_of("x509", c->content->sign_pem);
  assert_string_equal(a, b);
  free(a);
  free(b);
}

/* A wrong PIN spends exactly one try on the card and is not retried; the
 * card's counter reaches the holder where OpenSC reports it (the final
 * try), and the last try is not spent without consent. The calls are
 * counted through the fault module wrapped around OpenSC. */
static void test_wrong_pin(void **state)
{
  rgs_vcard *c = *state;
  char count[700], real[800], file[800];
  const char *env[] = { real, file, NULL };
  rgs_run_result r;

  snprintf(count, sizeof(count), "%s/calls", c->dir);
  snprintf(real, sizeof(real), "RGS_FAULT_REAL=%s", rgs_env("OPENSC_MODULE"));
  snprintf(file, sizeof(file), "RGS_FAULT_COUNT_FILE=%s", count);
  rgs_vcard_insert(c);

  rgs_enroll(&r, env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--pin-file",
             c->content->bad_pin_file, "check", "--delivered", "--ca-file", c->content->ca_file, NULL);
  rgs_assert_status(&r, RGS_EXIT_PIN);
  assert_contains(r.err, "PIN incorrect");
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(count, "C_Login"), 1);
  expect_pin(c, 2, 1);

  /* The second wrong PIN leaves one try: the card says so (63C1), OpenSC
   * turns it into CKF_USER_PIN_FINAL_TRY. */
  enroll(&r, "--pin-file", c->content->bad_pin_file, "check", "--delivered", "--ca-file", c->content->ca_file);
  rgs_assert_status(&r, RGS_EXIT_PIN);
  assert_contains(r.err, "PIN incorrect");
  assert_contains(r.err, "ONE try");
  rgs_run_free(&r);
  expect_pin(c, 1, 2);
  enroll(&r, "tokens");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "final-try");
  rgs_run_free(&r);

  /* The last try is the holder's to spend: nothing reaches the card. */
  enroll(&r, "--pin-file", c->content->bad_pin_file, "check", "--delivered", "--ca-file", c->content->ca_file);
  rgs_assert_status(&r, RGS_EXIT_PIN);
  assert_contains(r.err, "--final-try");
  rgs_run_free(&r);
  expect_pin(c, 1, 2);
}

/* The watcher of these tests, started in the background: watch --json
 * --dry-run --no-notify --no-udev on the default module (OpenSC), its store,
 * runtime and --trace file (into trace) in c->dir. */
static void start_watch(rgs_vcard *c, rgs_bg *b, char *trace, size_t len)
{
  char db[700], run_env[800], data_env[800], run[700];
  const char *env[] = { run_env, data_env, "LC_ALL=C.UTF-8", NULL };
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--db", db, "--json", "watch", "--timeout",
                         "600", "--dry-run", "--no-notify", "--no-udev", "--trace", trace, NULL };

  snprintf(db, sizeof(db), "%s/orders.db", c->dir);
  snprintf(trace, len, "%s/trace", c->dir);
  snprintf(run, sizeof(run), "%s/run", c->dir);
  assert_int_equal(mkdir(run, 0700), 0);
  snprintf(run_env, sizeof(run_env), "XDG_RUNTIME_DIR=%s", run);
  snprintf(data_env, sizeof(data_env), "XDG_DATA_HOME=%s/data", c->dir);
  unsetenv("DBUS_SESSION_BUS_ADDRESS");
  rgs_bg_start(b, c->dir, argv, env);
}

/* watch sees pcscd's reader events: the card connected to vpcd appears,
 * disconnected is removed, connected again appears again. */
static void test_watch(void **state)
{
  rgs_vcard *c = *state;
  char trace[700];
  rgs_run_result r;
  rgs_bg b;

  start_watch(c, &b, trace, sizeof(trace));
  rgs_bg_expect(&b, trace, "polled", 1);
  rgs_vcard_insert(c);
  rgs_bg_expect(&b, b.out_path, "\"event\":\"appeared\"", 1);
  rgs_vcard_remove(c);
  rgs_bg_expect(&b, b.err_path, ") removed.", 1);
  rgs_vcard_insert(c);
  rgs_bg_expect(&b, b.out_path, "\"event\":\"appeared\"", 2);
  rgs_bg_stop(&b, SIGTERM, RGS_WAIT_SAFETY_MS, &r);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "\"label\":\"Frédéric SENEZ\"");
  assert_contains(r.err, "Frédéric SENEZ");
  rgs_run_free(&r);
  /* A watcher that only looks never logs in. */
  expect_pin(c, 3, 0);
}

/* Context switches of one thread (/proc/PID/task/TID/status). */
static long task_switches(const char *status)
{
  char line[256];
  long n = 0, v;
  FILE *f = fopen(status, "r");

  if (f == NULL)
    return 0;                  /* the thread just ended */
  while (fgets(line, sizeof(line), f) != NULL)
    if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1 ||
        sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
      n += v;
  fclose(f);
  return n;
}

/* Context switches of every live thread of pid (a thread that ended
 * meanwhile takes its count with it: a bound from below, enough here). */
static long proc_switches(pid_t pid)
{
  char path[600];
  struct dirent *d;
  long n = 0;
  DIR *dir;

  snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
  dir = opendir(path);
  assert_non_null(dir);
  while ((d = readdir(dir)) != NULL) {
    if (d->d_name[0] == '.')
      continue;
    snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, d->d_name);
    n += task_switches(path);
  }
  closedir(dir);
  return n;
}

static long long mono_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* utime + stime of pid, in clock ticks. */
static long proc_ticks(pid_t pid)
{
  char path[64], buf[1024], *p;
  unsigned long ut = 0, st = 0;
  FILE *f;

  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  f = fopen(path, "r");
  assert_non_null(f);
  assert_non_null(fgets(buf, sizeof(buf), f));
  fclose(f);
  p = strrchr(buf, ')');
  assert_non_null(p);
  assert_int_equal(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st), 2);
  return (long)(ut + st);
}

/* Issue 14, CPU while waiting for a token: waiting with no card, the
 * watcher sleeps in OpenSC's blocking wait (it used to ask OpenSC about 7
 * times a second, about 400 wakeups a second through pcsc-lite), and a card
 * put in is still seen at once. The sample is a measurement, not a wait for
 * anything: it starts once the watcher has looked at the module. */
static void test_watch_idle(void **state)
{
  rgs_vcard *c = *state;
  char trace[700];
  long sw0, cpu0, sw, cpu;
  long long t0;
  rgs_run_result r;
  rgs_bg b;

  start_watch(c, &b, trace, sizeof(trace));
  rgs_bg_expect(&b, trace, "polled", 1);
  sw0 = proc_switches(b.pid);
  cpu0 = proc_ticks(b.pid);
  rgs_sleep_ms(2000);
  sw = proc_switches(b.pid) - sw0;
  cpu = proc_ticks(b.pid) - cpu0;
  print_message("watch waiting 2 s: %ld context switches, %ld clock ticks of CPU\n", sw, cpu);
  assert_true(sw < 40);
  assert_true(cpu <= 5);
  rgs_vcard_insert(c);
  t0 = mono_ms();
  rgs_bg_expect(&b, b.out_path, "\"event\":\"appeared\"", 1);
  /* Woken by the module, not by a timer: well under a second. */
  assert_true(mono_ms() - t0 < 5000);
  t0 = mono_ms();
  rgs_bg_stop(&b, SIGTERM, RGS_WAIT_SAFETY_MS, &r);
  print_message("watch stopped in %lld ms\n", mono_ms() - t0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_tokens, rgs_vcard_setup, rgs_vcard_teardown),
    cmocka_unit_test_setup_teardown(test_check_not_qualified, rgs_vcard_setup, rgs_vcard_teardown),
    cmocka_unit_test_setup_teardown(test_check_delivered, rgs_vcard_setup, rgs_vcard_teardown),
    cmocka_unit_test_setup_teardown(test_sign, rgs_vcard_setup, rgs_vcard_teardown),
    cmocka_unit_test_setup_teardown(test_wrong_pin, rgs_vcard_setup, rgs_vcard_teardown),
    cmocka_unit_test_setup_teardown(test_watch, rgs_vcard_setup, rgs_vcard_teardown),
    cmocka_unit_test_setup_teardown(test_watch_idle, rgs_vcard_setup, rgs_vcard_teardown),
  };
  return cmocka_run_group_tests(tests, rgs_vcard_content_setup, rgs_vcard_content_teardown);
}
