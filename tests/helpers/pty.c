/* SPDX-License-Identifier: BSD-3-Clause */
/* pty.c - drive a command through a real pseudo-terminal, as a person would:
 * prompts read, answers typed, echo and exit status checked. */
#include <poll.h>
#include <pty.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "rgs_test.h"

void rgs_term_start(rgs_term *t, const char *const *argv, const char *const *env)
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

int rgs_term_expect(rgs_term *t, const char *want)
{
  struct pollfd pf = { t->fd, POLLIN, 0 };
  char *hit;

  while ((hit = strstr(t->seen + t->mark, want)) == NULL) {
    ssize_t n;
    /* A safety net, not what the test waits for: output ends the wait. An
     * ASan key generation on a loaded machine can be silent for long. */
    if (t->len + 1 >= sizeof(t->seen) || poll(&pf, 1, 120000) <= 0)
      return 0;
    n = read(t->fd, t->seen + t->len, sizeof(t->seen) - 1 - t->len);
    if (n <= 0)
      return 0;
    t->len += (size_t)n;
    t->seen[t->len] = '\0';
  }
  t->mark = (size_t)(hit - t->seen) + strlen(want);
  return 1;
}

void rgs_term_type(rgs_term *t, const char *text)
{
  assert_int_equal(write(t->fd, text, strlen(text)), (ssize_t)strlen(text));
}

void rgs_term_say(rgs_term *t, const char *prompt, const char *answer)
{
  if (!rgs_term_expect(t, prompt))
    fail_msg("never saw '%s'; the terminal ended with:\n%s", prompt,
             t->seen + (t->len > 600 ? t->len - 600 : 0));
  rgs_term_type(t, answer);
}

int rgs_term_echo_on(rgs_term *t)
{
  struct termios tio;

  assert_int_equal(tcgetattr(t->fd, &tio), 0);
  return (tio.c_lflag & ECHO) != 0;
}

int rgs_term_wait(rgs_term *t)
{
  int status = 0;

  rgs_term_expect(t, "\x01never\x01");      /* drain until the end */
  waitpid(t->pid, &status, 0);
  close(t->fd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
