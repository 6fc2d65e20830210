/* test_tty.c - the PIN typed at a real terminal (a pseudo-terminal): no echo,
 * consent asked on the terminal before the last try, Ctrl-C cancels. */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "rgs_test.h"

typedef struct {
  int fd;              /* pty master */
  pid_t pid;
  char seen[16384];    /* everything the terminal showed */
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

/* Read until `want` shows up (or the child closes the terminal). */
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

static int echo_on(term *t)
{
  struct termios tio;

  assert_int_equal(tcgetattr(t->fd, &tio), 0);
  return (tio.c_lflag & ECHO) != 0;
}

static int term_wait(term *t)
{
  int status = 0;

  term_expect(t, "\x01never\x01");          /* drain until EOF */
  waitpid(t->pid, &status, 0);
  close(t->fd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

typedef struct {
  rgs_softhsm hsm;
  char policy[512], state_env[600], count[600], count_env[700], real_env[600];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  assert_int_equal(rgs_softhsm_init(&f->hsm, "tty"), 0);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->state_env, sizeof(f->state_env), "RGS_FAULT_PIN_STATE=%s/tries", f->hsm.dir);
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

static void test_pin_prompt_does_not_echo(void **state)
{
  fixture *f = *state;
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "--policy", f->policy, "keygen", "--key-type", "ec:p256", NULL };
  term t;

  term_start(&t, argv, NULL);
  assert_true(term_expect(&t, "PIN of token \"tty\": "));
  assert_false(echo_on(&t));                 /* the PIN will not be shown */
  assert_int_equal(write(t.fd, RGS_TEST_PIN "\n", 7), 7);
  assert_int_equal(term_wait(&t), 0);
  assert_null(strstr(t.seen, RGS_TEST_PIN));  /* and was not */
  assert_non_null(strstr(t.seen, "CKA_NEVER_EXTRACTABLE"));
}

static void test_final_try_needs_yes_on_the_terminal(void **state)
{
  fixture *f = *state;
  char tries[600];
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--module", rgs_env("RGS_FAULT_MODULE"),
                         "--policy", f->policy, "keygen", "--key-type", "ec:p256", NULL };
  const char *env[] = { f->real_env, f->state_env, f->count_env, NULL };
  term t;

  snprintf(tries, sizeof(tries), "%s/tries", f->hsm.dir);
  assert_int_equal(rgs_write_file(tries, "1\n"), 0);
  /* Anything but YES: nothing is tried. */
  term_start(&t, argv, env);
  assert_true(term_expect(&t, "ONLY ONE PIN TRY IS LEFT"));
  assert_int_equal(write(t.fd, "yes please\n", 11), 11);
  assert_int_equal(term_wait(&t), 5);
  assert_null(strstr(t.seen, "PIN of token"));
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 0);
  /* YES, then the right PIN. */
  term_start(&t, argv, env);
  assert_true(term_expect(&t, "Type YES"));
  assert_int_equal(write(t.fd, "YES\n", 4), 4);
  assert_true(term_expect(&t, "PIN of token"));
  assert_int_equal(write(t.fd, RGS_TEST_PIN "\n", 7), 7);
  assert_int_equal(term_wait(&t), 0);
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 1);
}

static void test_ctrl_c_cancels_and_restores_echo(void **state)
{
  fixture *f = *state;
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "--policy", f->policy, "keygen", NULL };
  term t;

  term_start(&t, argv, NULL);
  assert_true(term_expect(&t, "PIN of token"));
  assert_int_equal(write(t.fd, "12\x03", 3), 3);     /* Ctrl-C while typing */
  if (!term_expect(&t, "cancelled"))
    fail_msg("the terminal ended with:\n%s", t.seen + (t.len > 400 ? t.len - 400 : 0));
  assert_true(echo_on(&t));                          /* the terminal is given back */
  assert_int_equal(term_wait(&t), 5);
}

static void test_pinpad_token_gets_no_keyboard_pin(void **state)
{
  fixture *f = *state;
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--module", rgs_env("RGS_FAULT_MODULE"),
                         "--policy", f->policy, "keygen", "--key-type", "ec:p256", NULL };
  const char *env[] = { f->real_env, f->count_env,
                        "RGS_FAULT_TOKEN_FLAGS_SET=CKF_PROTECTED_AUTHENTICATION_PATH", NULL };
  term t;

  term_start(&t, argv, env);
  assert_true(term_expect(&t, "pinpad"));
  term_wait(&t);              /* SoftHSM has no pinpad: the login fails, once */
  assert_null(strstr(t.seen, "PIN of token"));
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_pin_prompt_does_not_echo, setup, teardown),
    cmocka_unit_test_setup_teardown(test_final_try_needs_yes_on_the_terminal, setup, teardown),
    cmocka_unit_test_setup_teardown(test_ctrl_c_cancels_and_restores_echo, setup, teardown),
    cmocka_unit_test_setup_teardown(test_pinpad_token_gets_no_keyboard_pin, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
