/* test_pin_tty.c - pin change and unblock typed at a real terminal (a
 * pseudo-terminal): nothing echoed, the new PIN asked twice, two entries
 * that differ change nothing and spend no try. */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "rgs_test.h"

typedef struct {
  int fd;
  pid_t pid;
  char seen[16384];
  size_t len;
} term;

static void term_start(term *t, const char *const *argv, const char *const *env)
{
  memset(t, 0, sizeof(*t));
  t->pid = forkpty(&t->fd, NULL, NULL, NULL);
  assert_true(t->pid >= 0);
  if (t->pid == 0) {
    size_t i;
    for (i = 0; env != NULL && env[i] != NULL; i++)
      putenv((char *)env[i]);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
}

static int term_expect(term *t, const char *want)
{
  struct pollfd pf = { t->fd, POLLIN, 0 };

  while (strstr(t->seen, want) == NULL) {
    ssize_t n;
    if (poll(&pf, 1, 20000) <= 0)
      return 0;
    n = read(t->fd, t->seen + t->len, sizeof(t->seen) - 1 - t->len);
    if (n <= 0)
      return 0;
    t->len += (size_t)n;
    t->seen[t->len] = '\0';
  }
  return 1;
}

static void term_type(term *t, const char *text)
{
  assert_int_equal(write(t->fd, text, strlen(text)), (ssize_t)strlen(text));
}

static int echo_on(term *t)
{
  struct termios tio;

  assert_int_equal(tcgetattr(t->fd, &tio), 0);
  return (tio.c_lflag & ECHO) != 0;
}

static int term_wait(term *t)
{
  int status = 0;

  term_expect(t, "\x01never\x01");
  waitpid(t->pid, &status, 0);
  close(t->fd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

typedef struct {
  rgs_softhsm hsm;
  char count[600], count_env[700], real_env[700];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "pintty"), 0);
  snprintf(f->count, sizeof(f->count), "%s/calls", f->hsm.dir);
  snprintf(f->count_env, sizeof(f->count_env), "RGS_FAULT_COUNT_FILE=%s", f->count);
  snprintf(f->real_env, sizeof(f->real_env), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
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

static int user_pin_works(const char *pin)
{
  const char *argv[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "--login", "--pin", pin, "--list-objects", NULL };
  rgs_run_result r;
  int ok;

  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  ok = r.status == 0;
  rgs_run_free(&r);
  return ok;
}

static void test_change_asks_twice_without_echo(void **state)
{
  fixture *f = *state;
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "pin", "change", NULL };
  term t;

  term_start(&t, argv, NULL);
  assert_true(term_expect(&t, "Current PIN of token \"pintty\": "));
  assert_false(echo_on(&t));
  term_type(&t, RGS_TEST_PIN "\n");
  assert_true(term_expect(&t, "New PIN: "));
  assert_false(echo_on(&t));
  term_type(&t, "258036\n");
  assert_true(term_expect(&t, "New PIN, again: "));
  term_type(&t, "258036\n");
  assert_int_equal(term_wait(&t), 0);
  assert_null(strstr(t.seen, "258036"));
  assert_null(strstr(t.seen, RGS_TEST_PIN));
  assert_non_null(strstr(t.seen, "PIN changed"));
  (void)f;
  assert_true(user_pin_works("258036"));
}

static void test_entries_that_differ_change_nothing(void **state)
{
  fixture *f = *state;
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--module", rgs_env("RGS_FAULT_MODULE"),
                         "pin", "change", NULL };
  const char *env[] = { f->real_env, f->count_env, NULL };
  term t;

  term_start(&t, argv, env);
  assert_true(term_expect(&t, "Current PIN"));
  term_type(&t, RGS_TEST_PIN "\n");
  assert_true(term_expect(&t, "New PIN: "));
  term_type(&t, "258036\n");
  assert_true(term_expect(&t, "New PIN, again: "));
  term_type(&t, "258037\n");
  assert_int_equal(term_wait(&t), 5);
  assert_non_null(strstr(t.seen, "differ"));
  assert_int_equal(rgs_count_lines(f->count, "C_SetPIN"), 0);
  assert_true(user_pin_works(RGS_TEST_PIN));
}

static void test_unblock_at_the_terminal(void **state)
{
  fixture *f = *state;
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "pin", "unblock", NULL };
  term t;

  (void)f;
  term_start(&t, argv, NULL);
  assert_true(term_expect(&t, "Unblocking code (PUK) of token \"pintty\": "));
  assert_false(echo_on(&t));
  term_type(&t, RGS_TEST_SO_PIN "\n");
  assert_true(term_expect(&t, "New PIN: "));
  term_type(&t, "369147\n");
  assert_true(term_expect(&t, "New PIN, again: "));
  term_type(&t, "369147\n");
  assert_int_equal(term_wait(&t), 0);
  assert_null(strstr(t.seen, RGS_TEST_SO_PIN));
  assert_true(user_pin_works("369147"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_change_asks_twice_without_echo, setup, teardown),
    cmocka_unit_test_setup_teardown(test_entries_that_differ_change_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unblock_at_the_terminal, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
