/* SPDX-License-Identifier: BSD-3-Clause */
/* test_progress.c - progress of long steps, through the real rgs-enroll on
 * a SoftHSM2 token:
 *   - --progress-fd 3 into a pipe: start and done events of check, keygen
 *     and csr in that order, one valid JSON object per line, stable keys,
 *     elapsed time that never goes back; with and without --json (the
 *     JSON document on stdout is untouched);
 *   - a descriptor whose reader is gone, or that is not open, does not
 *     break the run and is said once on stderr;
 *   - on a terminal (a pty), key generation made slow by the fault module
 *     (paused in C_GenerateKeyPair, resumed by the test) shows a line with
 *     the time and "do not unplug the key", redrawn while the module is
 *     busy, and erased at the end; nothing of it when stderr is a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>
#include "rgs_test.h"

#define UNPLUG "do not unplug the key"

typedef struct {
  rgs_softhsm hsm;
  char policy[512], out[600], fifo[600];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "progress"), 0);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->out, sizeof(f->out), "%s/request.csr", f->hsm.dir);
  snprintf(f->fifo, sizeof(f->fifo), "%s/pause", f->hsm.dir);
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

/* fd 3 of this process (so of the command run next) is the write end of
 * a pipe; returns the read end (close-on-exec: the command does not hold
 * it, so its going away is seen). */
static int pipe_on_fd3(void)
{
  int p[2], r, w;

  assert_int_equal(pipe(p), 0);
  r = fcntl(p[0], F_DUPFD_CLOEXEC, 10);
  w = fcntl(p[1], F_DUPFD_CLOEXEC, 10);
  assert_true(r >= 10 && w >= 10);
  close(p[0]);
  close(p[1]);
  assert_int_equal(dup2(w, 3), 3);          /* 3 without close-on-exec */
  close(w);
  return r;
}

/* Everything the read end gives until every writer is gone. */
static char *read_all(int fd)
{
  size_t len = 0, cap = 4096;
  char *buf = malloc(cap);
  ssize_t n;

  assert_non_null(buf);
  for (;;) {
    if (len + 1 >= cap) {
      cap *= 2;
      buf = realloc(buf, cap);
      assert_non_null(buf);
    }
    n = read(fd, buf + len, cap - 1 - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    len += (size_t)n;
  }
  buf[len] = '\0';
  close(fd);
  return buf;
}

/* rgs-enroll with the module, the demo policy, the PIN file, --progress-fd
 * 3 (a pipe) and args; *events gets what came on the pipe. */
static void run_with_events(fixture *f, rgs_run_result *r, char **events, const char *module,
                            const char *const *env, const char *const *args)
{
  const char *all[48];
  size_t n = 0, i;
  int rd = pipe_on_fd3();

  all[n++] = "--module";
  all[n++] = module;
  all[n++] = "--policy";
  all[n++] = f->policy;
  all[n++] = "--pin-file";
  all[n++] = f->hsm.pin_file;
  all[n++] = "--progress-fd";
  all[n++] = "3";
  for (i = 0; args[i] != NULL && n < 47; i++)
    all[n++] = args[i];
  all[n] = NULL;
  assert_int_equal(rgs_enroll_v(r, env, NULL, all), 0);
  close(3);                                 /* our copy: EOF once the command is gone */
  *events = read_all(rd);
}

static const char *member_str(json_object *o, const char *key)
{
  json_object *v = NULL;

  if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
    fail_msg("no string member \"%s\" in %s", key, json_object_to_json_string(o));
  return json_object_get_string(v);
}

static long member_ms(json_object *o)
{
  json_object *v = NULL;

  if (!json_object_object_get_ex(o, "elapsed_ms", &v) || !json_object_is_type(v, json_type_int))
    fail_msg("no elapsed_ms in %s", json_object_to_json_string(o));
  assert_true(json_object_get_int64(v) >= 0);
  return (long)json_object_get_int64(v);
}

/* "2026-12-07T10:00:00.123+01:00" or with Z: the shape, digit by digit. */
static void assert_iso8601(const char *at)
{
  static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddd";
  size_t i;

  assert_true(strlen(at) == 23 + 6 || (strlen(at) == 24 && at[23] == 'Z'));
  for (i = 0; i < sizeof(shape) - 1; i++)
    assert_true(shape[i] == 'd' ? (at[i] >= '0' && at[i] <= '9') : at[i] == shape[i]);
  if (at[23] != 'Z')
    assert_true((at[23] == '+' || at[23] == '-') && at[26] == ':');
}

/* Every line a JSON object with the stable keys; the steps started and
 * done in turn, never two at once, elapsed never going back within a step.
 * The step names in order of their start go into order (comma-separated). */
static void check_events(const char *events, char *order, size_t order_len)
{
  const char *line = events, *nl;
  char cur[32] = "";
  long last_ms = -1;

  order[0] = '\0';
  assert_true(events[0] != '\0');
  for (; *line != '\0'; line = nl + 1) {
    char text[512];
    json_object *o;
    const char *ev, *step;

    nl = strchr(line, '\n');
    assert_non_null(nl);                        /* whole lines only */
    assert_true((size_t)(nl - line) < sizeof(text));
    snprintf(text, sizeof(text), "%.*s", (int)(nl - line), line);
    o = json_tokener_parse(text);
    if (o == NULL || !json_object_is_type(o, json_type_object))
      fail_msg("not a JSON object: %s", text);
    ev = member_str(o, "event");
    step = member_str(o, "step");
    if (strcmp(ev, "start") == 0) {
      assert_string_equal(cur, "");             /* the previous step is done */
      assert_iso8601(member_str(o, "at"));
      snprintf(cur, sizeof(cur), "%s", step);
      last_ms = 0;
      if (order[0] != '\0')
        strncat(order, ",", order_len - strlen(order) - 1);
      strncat(order, step, order_len - strlen(order) - 1);
    } else if (strcmp(ev, "progress") == 0 || strcmp(ev, "done") == 0) {
      long ms = member_ms(o);

      assert_string_equal(step, cur);
      assert_true(ms >= last_ms);
      last_ms = ms;
      if (strcmp(ev, "done") == 0) {
        json_object *ok = NULL;

        assert_true(json_object_object_get_ex(o, "ok", &ok) &&
                    json_object_is_type(ok, json_type_boolean) && json_object_get_boolean(ok));
        cur[0] = '\0';
      }
    } else {
      fail_msg("unknown event: %s", text);
    }
    json_object_put(o);
  }
  assert_string_equal(cur, "");                 /* the last step is done too */
}

static void test_start_events_in_order(void **state)
{
  fixture *f = *state;
  const char *args[] = { "--json", "start", "--key-type", "ec:p256", "--cn", "Jean DUPONT",
                         "--out", f->out, NULL };
  rgs_run_result r;
  char *events, order[256];
  json_object *doc;

  run_with_events(f, &r, &events, rgs_env("SOFTHSM2_MODULE"), NULL, args);
  rgs_assert_status(&r, RGS_EXIT_OK);
  check_events(events, order, sizeof(order));
  assert_string_equal(order, "check,keygen,csr");
  /* The document on stdout is one JSON document, without any event. */
  doc = json_tokener_parse(r.out);
  assert_non_null(doc);
  json_object_put(doc);
  assert_not_contains(r.out, "\"event\"");
  assert_not_contains(r.err, "\"event\"");
  free(events);
  rgs_run_free(&r);
}

static void test_keygen_events_without_json(void **state)
{
  fixture *f = *state;
  const char *args[] = { "keygen", "--key-type", "ec:p256", NULL };
  rgs_run_result r;
  char *events, order[256];

  run_with_events(f, &r, &events, rgs_env("SOFTHSM2_MODULE"), NULL, args);
  rgs_assert_status(&r, RGS_EXIT_OK);
  check_events(events, order, sizeof(order));
  assert_string_equal(order, "check,keygen");
  assert_contains(r.out, "Result:");
  free(events);
  rgs_run_free(&r);
}

/* A key generation that fails says so: done with ok false. */
static void test_failed_keygen_done_false(void **state)
{
  fixture *f = *state;
  char real[700];
  const char *env[] = { real, "RGS_FAULT_FAIL=C_GenerateKeyPair:1:CKR_DEVICE_ERROR", NULL };
  const char *args[] = { "keygen", "--key-type", "ec:p256", NULL };
  rgs_run_result r;
  char *events;

  snprintf(real, sizeof(real), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  run_with_events(f, &r, &events, rgs_env("RGS_FAULT_MODULE"), env, args);
  assert_int_not_equal(r.status, RGS_EXIT_OK);
  assert_contains(events, "{\"event\":\"start\",\"step\":\"keygen\"");
  assert_contains(events, "{\"event\":\"done\",\"step\":\"keygen\",\"ok\":false,\"elapsed_ms\":");
  free(events);
  rgs_run_free(&r);
}

static int count_of(const char *hay, const char *needle)
{
  int n = 0;

  for (hay = strstr(hay, needle); hay != NULL; hay = strstr(hay + 1, needle))
    n++;
  return n;
}

/* Run rgs-enroll with args, SIGPIPE at its default action (as from a
 * shell; rgs_run's children inherit the test's SIG_IGN), stdout and stderr
 * into *out and *err (free them). The exit status, 128+signal if killed. */
static int run_sigpipe_default(fixture *f, const char *const *args, char **out, char **err)
{
  char out_path[700], err_path[700];
  const char *argv[48];
  size_t n = 0;
  int status = 0;
  pid_t pid;

  snprintf(out_path, sizeof(out_path), "%s/child.out", f->hsm.dir);
  snprintf(err_path, sizeof(err_path), "%s/child.err", f->hsm.dir);
  argv[n++] = rgs_env("RGS_ENROLL_BIN");
  while (args[n - 1] != NULL && n < 47)
    argv[n] = args[n - 1], n++;
  argv[n] = NULL;
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
      _exit(127);
    signal(SIGPIPE, SIG_DFL);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  assert_int_equal(waitpid(pid, &status, 0), pid);
  *out = rgs_read_file(out_path, NULL);
  *err = rgs_read_file(err_path, NULL);
  assert_true(*out != NULL && *err != NULL);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The reader is gone before the first event: every write gets EPIPE, and
 * SIGPIPE (not ignored by rgs-enroll) must not end the run. */
static void test_reader_gone_does_not_break_start(void **state)
{
  fixture *f = *state;
  const char *args[] = { "--module", rgs_env("SOFTHSM2_MODULE"), "--policy", f->policy,
                         "start", "--key-type", "ec:p256", "--cn", "Jean DUPONT", "--out", f->out,
                         "--pin-file", f->hsm.pin_file, "--progress-fd", "3", NULL };
  char *out, *err;
  int rd = pipe_on_fd3(), status;

  close(rd);
  status = run_sigpipe_default(f, args, &out, &err);
  close(3);
  if (status != RGS_EXIT_OK)
    fail_msg("exit %d\n--- stdout\n%s\n--- stderr\n%s", status, out, err);
  assert_int_equal(count_of(err, "progress events stopped"), 1);
  assert_contains(err, "descriptor 3");
  assert_contains(out, "request");
  free(out);
  free(err);
}

static void test_descriptor_not_open(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  assert_int_equal(rgs_enroll(&r, NULL, NULL, "--module", rgs_env("SOFTHSM2_MODULE"),
                              "--policy", f->policy, "--pin-file", f->hsm.pin_file,
                              "keygen", "--key-type", "ec:p256", "--progress-fd", "9", NULL),
                   0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_int_equal(count_of(r.err, "progress events stopped"), 1);
  assert_contains(r.err, "descriptor 9");
  rgs_run_free(&r);
}

static void test_bad_descriptor_is_a_usage_error(void **state)
{
  static const rgs_cli_case cases[] = {
    { RGS_EXIT_USAGE, "--progress-fd needs a file descriptor number", { "--progress-fd", "x", "tokens", NULL } },
    { RGS_EXIT_USAGE, "--progress-fd needs a value", { "check", "--progress-fd", NULL } },
    { RGS_EXIT_USAGE, "Try 'rgs-enroll check --help'", { "check", "--progress-fd=-1", NULL } },
    { RGS_EXIT_USAGE, "--progress-fd needs a file descriptor number", { "--progress-fd", "0", "tokens", NULL } },
  };

  (void)state;
  rgs_cli_cases_run(cases, sizeof(cases) / sizeof(cases[0]), NULL, NULL);
}

/* ---- the terminal -------------------------------------------------------- */

/* Wait for the fault module's line on the FIFO: the command is inside
 * C_GenerateKeyPair. Fails when the command ends first. */
static void wait_paused(fixture *f, rgs_term *t)
{
  char line[128];
  size_t len = 0;
  int fd = open(f->fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC), status, rounds = 0;
  ssize_t n;

  assert_true(fd >= 0);
  while (len == 0 || line[len - 1] != '\n') {
    struct pollfd p = { fd, POLLIN, 0 };

    if (waitpid(t->pid, &status, WNOHANG) == t->pid)
      fail_msg("the run ended before pausing:\n%s", t->seen);
    /* The bound keeps a broken build from hanging the suite; the event is the line. */
    assert_true(++rounds < 1200);
    if (poll(&p, 1, 100) > 0) {
      n = read(fd, line + len, sizeof(line) - 1 - len);
      if (n > 0)
        len += (size_t)n;
    }
    assert_true(len < sizeof(line) - 1);
  }
  line[len] = '\0';
  close(fd);
  assert_contains(line, "paused C_GenerateKeyPair before");
}

static void resume(fixture *f)
{
  char go[700];
  int fd;

  snprintf(go, sizeof(go), "%s.go", f->fifo);
  fd = open(go, O_WRONLY | O_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "g", 1), 1);
  close(fd);
}

static void test_terminal_line_during_slow_keygen(void **state)
{
  fixture *f = *state;
  char go[700], real[700], fifo_env[700];
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--module", rgs_env("RGS_FAULT_MODULE"),
                         "--policy", f->policy, "--pin-file", f->hsm.pin_file, "keygen",
                         "--key-type", "ec:p256", NULL };
  const char *env[] = { real, fifo_env, "RGS_FAULT_KEYGEN_PAUSE=before", "LC_ALL=C.UTF-8", NULL };
  const char *last, *erased;
  rgs_term t;

  snprintf(go, sizeof(go), "%s.go", f->fifo);
  assert_int_equal(mkfifo(f->fifo, 0600), 0);
  assert_int_equal(mkfifo(go, 0600), 0);
  snprintf(real, sizeof(real), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  snprintf(fifo_env, sizeof(fifo_env), "RGS_FAULT_PAUSE_FIFO=%s", f->fifo);
  rgs_term_start(&t, argv, env);
  wait_paused(f, &t);
  /* The module is busy: the line is there, and redrawn with the time
   * going on (one second in), by the ticker, not by the blocked call. */
  assert_true(rgs_term_expect(&t, UNPLUG));
  if (!rgs_term_expect(&t, "0:01 Generating the key pair on the card: " UNPLUG))
    fail_msg("the time did not go on; the terminal showed:\n%s", t.seen);
  resume(f);
  assert_int_equal(rgs_term_wait(&t), 0);
  /* Erased at the end: after the last drawing, back to the start of the
   * line and cleared, before the results are printed. */
  for (last = strstr(t.seen, UNPLUG); strstr(last + 1, UNPLUG) != NULL;)
    last = strstr(last + 1, UNPLUG);
  erased = strstr(last, "\r\033[K");
  assert_non_null(erased);
  assert_non_null(strstr(erased, "Result:"));
}

static void test_no_terminal_no_line(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  assert_int_equal(rgs_enroll(&r, NULL, NULL, "--module", rgs_env("SOFTHSM2_MODULE"),
                              "--policy", f->policy, "--pin-file", f->hsm.pin_file, "keygen",
                              "--key-type", "ec:p256", NULL),
                   0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_not_contains(r.err, UNPLUG);
  assert_not_contains(r.out, UNPLUG);
  assert_not_contains(r.err, "\033[K");
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_start_events_in_order, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keygen_events_without_json, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failed_keygen_done_false, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reader_gone_does_not_break_start, setup, teardown),
    cmocka_unit_test_setup_teardown(test_descriptor_not_open, setup, teardown),
    cmocka_unit_test(test_bad_descriptor_is_a_usage_error),
    cmocka_unit_test_setup_teardown(test_terminal_line_during_slow_keygen, setup, teardown),
    cmocka_unit_test_setup_teardown(test_no_terminal_no_line, setup, teardown),
  };

  /* Our own writes to a pipe whose reader is gone must not end the test. */
  signal(SIGPIPE, SIG_IGN);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
