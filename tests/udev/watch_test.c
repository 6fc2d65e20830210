/* watch_test.c - background commands for the watcher tests. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "watch_test.h"

extern char **environ;

void rgs_sleep_ms(int ms)
{
  struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

void rgs_bg_start(rgs_bg *b, const char *dir, const char *const *argv, const char *const *env)
{
  static int seq;
  int in, out, err;
  size_t i;

  memset(b, 0, sizeof(*b));
  seq++;
  snprintf(b->out_path, sizeof(b->out_path), "%s/bg%d.out", dir, seq);
  snprintf(b->err_path, sizeof(b->err_path), "%s/bg%d.err", dir, seq);
  in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  out = open(b->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  err = open(b->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  assert_true(in >= 0 && out >= 0 && err >= 0);
  b->pid = fork();
  assert_true(b->pid >= 0);
  if (b->pid == 0) {
    setsid();
    for (i = 0; env != NULL && env[i] != NULL; i++)
      putenv((char *)env[i]);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execve(argv[0], (char *const *)argv, environ);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(in);
  close(out);
  close(err);
}

void rgs_bg_wait(rgs_bg *b, int timeout_ms, rgs_run_result *r)
{
  int status = b->status, waited = 0;
  pid_t p;

  memset(r, 0, sizeof(*r));
  for (;;) {
    p = b->ended ? b->pid : waitpid(b->pid, &status, WNOHANG);
    if (p == b->pid)
      break;
    if (waited >= timeout_ms) {
      kill(b->pid, SIGKILL);
      waitpid(b->pid, &status, 0);
      r->out = rgs_read_file(b->out_path, NULL);
      r->err = rgs_read_file(b->err_path, NULL);
      fail_msg("still running after %d ms\n--- stdout\n%s\n--- stderr\n%s", timeout_ms,
               r->out ? r->out : "", r->err ? r->err : "");
    }
    rgs_sleep_ms(20);
    waited += 20;
  }
  r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r->out = rgs_read_file(b->out_path, NULL);
  r->err = rgs_read_file(b->err_path, NULL);
  if (r->out == NULL)
    r->out = strdup("");
  if (r->err == NULL)
    r->err = strdup("");
  b->pid = 0;
  b->ended = 0;
}

void rgs_bg_stop(rgs_bg *b, int sig, int timeout_ms, rgs_run_result *r)
{
  if (!b->ended)
    kill(b->pid, sig);
  rgs_bg_wait(b, timeout_ms, r);
}

/* How many times needle occurs in the complete lines of text. */
static int count_in_lines(const char *text, const char *needle)
{
  const char *end = strrchr(text, '\n'), *p = text;
  int n = 0;

  while (end != NULL && (p = strstr(p, needle)) != NULL && p + strlen(needle) <= end + 1) {
    n++;
    p += strlen(needle);
  }
  return n;
}

void rgs_bg_expect(rgs_bg *b, const char *path, const char *needle, int count)
{
  static char msg[32768];
  int waited = 0, found, last_look = 0;
  const char *why = NULL;
  char *out, *err, *t;

  for (;;) {
    /* Whether it ended is asked before the file is read: what it wrote
     * before its end is all there then. */
    if (!b->ended && waitpid(b->pid, &b->status, WNOHANG) == b->pid)
      b->ended = 1;
    last_look = b->ended || waited >= RGS_WAIT_SAFETY_MS;
    t = rgs_read_file(path, NULL);
    found = t != NULL && count_in_lines(t, needle) >= count;
    free(t);
    if (found)
      return;
    if (last_look)
      break;
    rgs_sleep_ms(20);
    waited += 20;
  }
  if (b->ended) {
    why = "it ended first";
  } else {
    why = "still waiting after the safety net";
    kill(b->pid, SIGKILL);
    waitpid(b->pid, &b->status, 0);
    b->ended = 1;
  }
  out = rgs_read_file(b->out_path, NULL);
  err = rgs_read_file(b->err_path, NULL);
  snprintf(msg, sizeof(msg),
           "%s: \"%s\" %d time(s) expected in %s; wait status %d\n--- stdout\n%s\n--- stderr\n%s",
           why, needle, count, path, b->status, out != NULL ? out : "", err != NULL ? err : "");
  free(out);
  free(err);
  /* cmocka cuts long failure messages: the output goes to stderr whole. */
  fprintf(stderr, "%s\n", msg);
  fail_msg("%s: \"%s\" expected in %s", why, needle, path);
}

int rgs_wait_for_text(const char *path, const char *needle, int timeout_ms)
{
  int waited = 0;

  for (;;) {
    char *t = rgs_read_file(path, NULL);
    int found = t != NULL && strstr(t, needle) != NULL;
    free(t);
    if (found)
      return 1;
    if (waited >= timeout_ms)
      return 0;
    rgs_sleep_ms(20);
    waited += 20;
  }
}
