/* SPDX-License-Identifier: BSD-3-Clause */
/* test_pin_input.c - a secret that is not plain text never reaches the token
 * (issue 9, items 5 and 13).
 *
 * A PIN file saved by a Windows editor (UTF-8 with a byte-order mark, UTF-16
 * "Unicode", a stray NUL or control byte) used to be sent as it was and cost
 * a real try of a 3-try card. Each case here runs the real rgs-enroll on a
 * real SoftHSM2 token through the fault module, which counts the calls and
 * keeps the PIN counters SoftHSM lacks: a refused secret leaves C_Login /
 * C_SetPIN uncalled and the counters full. A FIFO given as a file (PIN,
 * unblocking code, new PIN, retrieval code, policy) is refused at once
 * instead of blocking forever; a pipe given with --pin-fd stays allowed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rgs_test.h"

#define USER_PIN_COUNT_LOW 0x00010000UL   /* CKF_USER_PIN_COUNT_LOW */
/* Generous: the commands must return at once; this only turns a hang into
 * a failure instead of a stuck CI job. */
#define HANG_GUARD "60"

typedef struct {
  rgs_softhsm hsm;
  char path[600], fifo[600], demo_policy[600];
  char count[600], pin_state[600], so_state[600];
  char real_env[700], count_env[700], pin_env[700], so_env[700];
  const char *env[8];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "pinin"), 0);
  snprintf(f->path, sizeof(f->path), "%s/secret", f->hsm.dir);
  snprintf(f->fifo, sizeof(f->fifo), "%s/fifo", f->hsm.dir);
  snprintf(f->demo_policy, sizeof(f->demo_policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->count, sizeof(f->count), "%s/calls", f->hsm.dir);
  snprintf(f->pin_state, sizeof(f->pin_state), "%s/pin-tries", f->hsm.dir);
  snprintf(f->so_state, sizeof(f->so_state), "%s/so-tries", f->hsm.dir);
  snprintf(f->real_env, sizeof(f->real_env), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  snprintf(f->count_env, sizeof(f->count_env), "RGS_FAULT_COUNT_FILE=%s", f->count);
  snprintf(f->pin_env, sizeof(f->pin_env), "RGS_FAULT_PIN_STATE=%s", f->pin_state);
  snprintf(f->so_env, sizeof(f->so_env), "RGS_FAULT_SO_PIN_STATE=%s", f->so_state);
  f->env[0] = f->real_env;
  f->env[1] = f->count_env;
  f->env[2] = f->pin_env;
  f->env[3] = f->so_env;
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

/* ---- helpers ------------------------------------------------------------- */

static void write_bytes(const char *path, const char *data, size_t len)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  assert_true(fd >= 0);
  assert_int_equal(write(fd, data, len), (ssize_t)len);
  assert_int_equal(close(fd), 0);
}

/* "123456\r\n" in UTF-16, little or big endian, with or without a BOM. */
static size_t utf16(char *out, const char *ascii, int big_endian, int bom)
{
  size_t n = 0;

  if (bom) {
    out[n++] = big_endian ? '\xFE' : '\xFF';
    out[n++] = big_endian ? '\xFF' : '\xFE';
  }
  for (; *ascii != '\0'; ascii++) {
    out[n++] = big_endian ? '\0' : *ascii;
    out[n++] = big_endian ? *ascii : '\0';
  }
  return n;
}

static int tries_left(const char *state_file)
{
  char *text = rgs_read_file(state_file, NULL);
  int n = text != NULL ? atoi(text) : 3;      /* absent: never touched, all tries */

  free(text);
  return n;
}

/* The token's flags as the fault module reports them (its counters). */
static unsigned long token_flags(fixture *f)
{
  rgs_run_result r;
  char *v;
  unsigned long flags;

  rgs_enroll(&r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--json", "tokens",
             NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "slots.0.token.flags");
  assert_non_null(v);
  flags = strtoul(v, NULL, 10);
  free(v);
  rgs_run_free(&r);
  return flags;
}

/* Nothing reached the token, and its counters are full. */
static void assert_untouched(fixture *f)
{
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 0);
  assert_int_equal(rgs_count_lines(f->count, "C_SetPIN"), 0);
  assert_int_equal(rgs_count_lines(f->count, "C_InitPIN"), 0);
  assert_int_equal(tries_left(f->pin_state), 3);
  assert_int_equal(tries_left(f->so_state), 3);
  assert_int_equal(token_flags(f) & USER_PIN_COUNT_LOW, 0);
}

/* keygen with the PIN file, through the fault module (a login, nothing else
 * that a PIN could spoil). */
static void keygen_with_pin_file(fixture *f, rgs_run_result *r, const char *pin_file)
{
  unlink(f->count);
  rgs_enroll(r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--policy",
             f->demo_policy, "--pin-file", pin_file, "keygen", "--key-type", "ec:p256", NULL);
}

/* The same with the PIN on a descriptor: a real pipe, as a front end does. */
static void keygen_with_pin_pipe(fixture *f, rgs_run_result *r, const char *data, size_t len)
{
  int p[2];
  char fd[16];

  assert_int_equal(pipe(p), 0);
  assert_int_equal(write(p[1], data, len), (ssize_t)len);
  close(p[1]);
  snprintf(fd, sizeof(fd), "%d", p[0]);
  unlink(f->count);
  rgs_enroll(r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--policy",
             f->demo_policy, "--pin-fd", fd, "keygen", "--key-type", "ec:p256", NULL);
  close(p[0]);
}

/* rgs-enroll under timeout(1), so that a command that blocks fails the test
 * instead of hanging it. */
static void enroll_guarded(rgs_run_result *r, const char *const *args)
{
  const char *argv[40];
  size_t n = 0, i;

  argv[n++] = "/usr/bin/timeout";
  argv[n++] = "-k";
  argv[n++] = "5";
  argv[n++] = HANG_GUARD;
  argv[n++] = rgs_env("RGS_ENROLL_BIN");
  for (i = 0; args[i] != NULL && n + 1 < sizeof(argv) / sizeof(argv[0]); i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  assert_int_equal(rgs_run(argv, NULL, NULL, r), 0);
  if (r->status == 124 || r->status == 128 + 9)
    fail_msg("rgs-enroll blocked on a FIFO (killed after " HANG_GUARD " s)");
}

/* ---- item 5: what a PIN file may hold ------------------------------------ */

static void test_utf8_bom_is_stripped(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  write_bytes(f->path, "\xEF\xBB\xBF" RGS_TEST_PIN "\r\n", 3 + 6 + 2);
  keygen_with_pin_file(f, &r, f->path);
  rgs_expect(&r, RGS_EXIT_OK, NULL);
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 1);
  assert_int_equal(tries_left(f->pin_state), 3);
  assert_int_equal(token_flags(f) & USER_PIN_COUNT_LOW, 0);
}

static void test_crlf_is_stripped(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  write_bytes(f->path, RGS_TEST_PIN "\r\n", 8);
  keygen_with_pin_file(f, &r, f->path);
  rgs_expect(&r, RGS_EXIT_OK, NULL);
  assert_int_equal(tries_left(f->pin_state), 3);
}

static void test_utf16_is_refused_untried(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char data[64];
  static const int forms[][2] = { { 0, 1 }, { 1, 1 }, { 0, 0 }, { 1, 0 } };
  size_t i, n;

  for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
    n = utf16(data, RGS_TEST_PIN "\r\n", forms[i][0], forms[i][1]);
    write_bytes(f->path, data, n);
    keygen_with_pin_file(f, &r, f->path);
    rgs_expect(&r, RGS_EXIT_PIN, "UTF-16");
    assert_untouched(f);
  }
}

static void test_nul_is_refused_untried(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  write_bytes(f->path, "123\0" "456\n", 8);
  keygen_with_pin_file(f, &r, f->path);
  rgs_expect(&r, RGS_EXIT_PIN, "NUL");
  assert_untouched(f);
}

static void test_control_and_bad_utf8_refused_untried(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  write_bytes(f->path, "1234\t56\n", 8);
  keygen_with_pin_file(f, &r, f->path);
  rgs_expect(&r, RGS_EXIT_PIN, "control character");
  assert_untouched(f);
  write_bytes(f->path, "12345\r\r\n", 8);                 /* a CR inside the line */
  keygen_with_pin_file(f, &r, f->path);
  rgs_expect(&r, RGS_EXIT_PIN, "control character");
  assert_untouched(f);
  write_bytes(f->path, "12345\xE9\n", 7);                  /* Windows-1252 e-acute */
  keygen_with_pin_file(f, &r, f->path);
  rgs_expect(&r, RGS_EXIT_PIN, "not UTF-8");
  assert_untouched(f);
}

static void test_pin_fd_pipe_same_rules(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char data[64];
  size_t n;

  n = utf16(data, RGS_TEST_PIN "\r\n", 0, 1);
  keygen_with_pin_pipe(f, &r, data, n);
  rgs_expect(&r, RGS_EXIT_PIN, "UTF-16");
  assert_untouched(f);
  keygen_with_pin_pipe(f, &r, "12\0" "3456\n", 8);
  rgs_expect(&r, RGS_EXIT_PIN, "NUL");
  assert_untouched(f);
  keygen_with_pin_pipe(f, &r, "\xEF\xBB\xBF" RGS_TEST_PIN "\n", 10);
  rgs_expect(&r, RGS_EXIT_OK, NULL);
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 1);
  assert_int_equal(tries_left(f->pin_state), 3);
}

/* ---- the other secrets: unblocking code, new PIN -------------------------- */

static void pin_cmd(fixture *f, rgs_run_result *r, const char *action, const char *opt1,
                    const char *file1, const char *opt2, const char *file2)
{
  unlink(f->count);
  rgs_enroll(r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--pin-file",
             f->hsm.pin_file, "pin", action, opt1, file1, opt2, file2, NULL);
}

static void test_new_pin_with_bom_is_stripped(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char fresh[700];

  snprintf(fresh, sizeof(fresh), "%s/new", f->hsm.dir);
  write_bytes(fresh, "\xEF\xBB\xBF" "246813\r\n", 11);
  unlink(f->count);
  rgs_enroll(&r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--pin-file",
             f->hsm.pin_file, "pin", "change", "--new-pin-file", fresh, NULL);
  rgs_expect(&r, RGS_EXIT_OK, "PIN changed");
  assert_true(rgs_softhsm_pin_works("246813"));
}

static void test_new_pin_utf16_refused_untried(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char fresh[700], data[64], puk[700];
  size_t n;

  snprintf(fresh, sizeof(fresh), "%s/new", f->hsm.dir);
  snprintf(puk, sizeof(puk), "%s/puk", f->hsm.dir);
  n = utf16(data, "246813\r\n", 0, 1);
  write_bytes(fresh, data, n);
  write_bytes(puk, RGS_TEST_SO_PIN "\n", 9);
  unlink(f->count);
  rgs_enroll(&r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--pin-file",
             f->hsm.pin_file, "pin", "change", "--new-pin-file", fresh, NULL);
  rgs_expect(&r, RGS_EXIT_PIN, "UTF-16");
  assert_untouched(f);
  pin_cmd(f, &r, "unblock", "--puk-file", puk, "--new-pin-file", fresh);
  rgs_expect(&r, RGS_EXIT_PIN, "UTF-16");
  assert_untouched(f);
  assert_true(rgs_softhsm_pin_works(RGS_TEST_PIN));
}

static void test_puk_refused_untried_or_stripped(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char fresh[700], puk[700];

  snprintf(fresh, sizeof(fresh), "%s/new", f->hsm.dir);
  snprintf(puk, sizeof(puk), "%s/puk", f->hsm.dir);
  write_bytes(fresh, "246813\n", 7);
  write_bytes(puk, "1234\0" "5678\n", 10);
  pin_cmd(f, &r, "unblock", "--puk-file", puk, "--new-pin-file", fresh);
  rgs_expect(&r, RGS_EXIT_PIN, "NUL");
  assert_untouched(f);
  write_bytes(puk, "\xEF\xBB\xBF" RGS_TEST_SO_PIN "\r\n", 3 + 8 + 2);
  pin_cmd(f, &r, "unblock", "--puk-file", puk, "--new-pin-file", fresh);
  rgs_expect(&r, RGS_EXIT_OK, "PIN unblocked");
  assert_int_equal(tries_left(f->so_state), 3);
  assert_true(rgs_softhsm_pin_works("246813"));
}

/* ---- the terminal: a control byte typed is not sent ----------------------- */

static void test_control_byte_typed_not_sent(void **state)
{
  fixture *f = *state;
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--module", rgs_env("RGS_FAULT_MODULE"),
                         "pin", "change", NULL };
  rgs_term t;
  static const char typed[][9] = { "123\001456\n", "123\000456\n" };
  size_t i;

  for (i = 0; i < 2; i++) {
    unlink(f->count);
    rgs_term_start(&t, argv, f->env);
    assert_true(rgs_term_expect(&t, "Current PIN"));
    assert_int_equal(write(t.fd, typed[i], 8), 8);
    /* Refused at once; what went on to ask the new PIN sent the first. */
    if (!rgs_term_expect(&t, i == 0 ? "control character" : "NUL")) {
      kill(t.pid, SIGKILL);
      rgs_term_wait(&t);
      fail_msg("no refusal; the terminal showed:\n%s", t.seen);
    }
    assert_int_equal(rgs_term_wait(&t), 5);
    assert_not_contains(t.seen, "New PIN");      /* stopped at the first entry */
    assert_untouched(f);
  }
}

/* ---- item 13: files that are not files ------------------------------------ */

static void test_fifo_secret_files_refused_at_once(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  const char *module = rgs_env("SOFTHSM2_MODULE");
  const char *pin = f->hsm.pin_file;
  const char *const cases[][12] = {
    { "--module", module, "--pin-file", f->fifo, "--policy", f->demo_policy, "keygen",
      "--key-type", "ec:p256", NULL },
    { "--module", module, "--pin-file", pin, "pin", "unblock", "--puk-file", f->fifo,
      "--new-pin-file", pin, NULL },
    { "--module", module, "--pin-file", pin, "pin", "change", "--new-pin-file", f->fifo,
      NULL },
    { "--module", module, "--policy", f->fifo, "check", NULL },
  };
  size_t i;

  assert_int_equal(mkfifo(f->fifo, 0600), 0);
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    enroll_guarded(&r, cases[i]);
    if (strstr(r.err, "not a regular file") == NULL)
      fail_msg("case %zu: exit %d, no reason given:\n%s", i, r.status, r.err);
    assert_int_not_equal(r.status, RGS_EXIT_OK);
    rgs_run_free(&r);
  }
  assert_true(rgs_softhsm_pin_works(RGS_TEST_PIN));
}

/* A policy file is text: an escape sequence in a device name would reach
 * the terminal with the check's report; Windows-1252 or UTF-16 would match
 * nothing. Each is refused at load with the line and the reason. */
static void test_policy_not_plain_text_refused(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  const char *const args[] = { "--module", rgs_env("SOFTHSM2_MODULE"), "--policy", f->path,
                               "check", NULL };
  static const struct { const char *text; size_t len; const char *why; } cases[] = {
    { "[device \"\033[31mQualified\007\"]\nmanufacturer = SoftHSM*\ndemo = yes\n"
      "waive = slot.hardware, slot.removable\n", 0, ":1: control character" },
    { "[device \"Cl\xE9\"]\nmanufacturer = SoftHSM*\n", 0, ":1: not UTF-8" },
    { "\xFF\xFE[\0d\0", 6, ":1: the file is in UTF-16" },
  };
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    write_bytes(f->path, cases[i].text,
                cases[i].len != 0 ? cases[i].len : strlen(cases[i].text));
    enroll_guarded(&r, args);
    if (r.status != RGS_EXIT_IO || strstr(r.err, cases[i].why) == NULL)
      fail_msg("case %zu: exit %d, expected %d and '%s':\n%s%s", i, r.status, RGS_EXIT_IO, cases[i].why,
               r.out, r.err);
    assert_null(strchr(r.out, '\033'));
    assert_null(strchr(r.err, '\033'));
    rgs_run_free(&r);
  }
}

/* A pipe given as a descriptor stays allowed (test_pin_fd_pipe_same_rules
 * logs in through one); a FIFO opened by the caller is a pipe too. */
static void test_fifo_as_pin_fd_allowed(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  int rd, wr;
  char fd[16];

  assert_int_equal(mkfifo(f->fifo, 0600), 0);
  rd = open(f->fifo, O_RDONLY | O_NONBLOCK);
  assert_true(rd >= 0);
  wr = open(f->fifo, O_WRONLY);
  assert_true(wr >= 0);
  assert_int_equal(write(wr, RGS_TEST_PIN "\n", 7), 7);
  close(wr);
  assert_int_equal(fcntl(rd, F_SETFL, 0), 0);
  snprintf(fd, sizeof(fd), "%d", rd);
  unlink(f->count);
  rgs_enroll(&r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--policy",
             f->demo_policy, "--pin-fd", fd, "keygen", "--key-type", "ec:p256", NULL);
  close(rd);
  rgs_expect(&r, RGS_EXIT_OK, NULL);
}

/* The real cause when a PIN file cannot be used. */
static void test_pin_file_refusal_names_cause(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char missing[700];

  snprintf(missing, sizeof(missing), "%s/no-such-pin", f->hsm.dir);
  keygen_with_pin_file(f, &r, missing);
  rgs_expect(&r, RGS_EXIT_PIN, "No such file or directory");
  keygen_with_pin_file(f, &r, f->hsm.dir);                 /* a directory */
  rgs_expect(&r, RGS_EXIT_PIN, "not a regular file");
  if (geteuid() != 0) {                                    /* root reads anything */
    write_bytes(f->path, RGS_TEST_PIN "\n", 7);
    assert_int_equal(chmod(f->path, 0), 0);
    keygen_with_pin_file(f, &r, f->path);
    rgs_expect(&r, RGS_EXIT_PIN, "Permission denied");
  }
  assert_untouched(f);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_utf8_bom_is_stripped, setup, teardown),
    cmocka_unit_test_setup_teardown(test_crlf_is_stripped, setup, teardown),
    cmocka_unit_test_setup_teardown(test_utf16_is_refused_untried, setup, teardown),
    cmocka_unit_test_setup_teardown(test_nul_is_refused_untried, setup, teardown),
    cmocka_unit_test_setup_teardown(test_control_and_bad_utf8_refused_untried, setup, teardown),
    cmocka_unit_test_setup_teardown(test_pin_fd_pipe_same_rules, setup, teardown),
    cmocka_unit_test_setup_teardown(test_new_pin_with_bom_is_stripped, setup, teardown),
    cmocka_unit_test_setup_teardown(test_new_pin_utf16_refused_untried, setup, teardown),
    cmocka_unit_test_setup_teardown(test_puk_refused_untried_or_stripped, setup, teardown),
    cmocka_unit_test_setup_teardown(test_control_byte_typed_not_sent, setup, teardown),
    cmocka_unit_test_setup_teardown(test_fifo_secret_files_refused_at_once, setup, teardown),
    cmocka_unit_test_setup_teardown(test_policy_not_plain_text_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_fifo_as_pin_fd_allowed, setup, teardown),
    cmocka_unit_test_setup_teardown(test_pin_file_refusal_names_cause, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
