/* SPDX-License-Identifier: BSD-3-Clause */
/* watch_test.c - background commands for the watcher tests. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int rgs_watch_setup(void **state)
{
  rgs_watch_fixture *f = calloc(1, sizeof(*f));

  if (f == NULL || rgs_softhsm_init(&f->hsm, "Jean DUPONT") != 0)
    return -1;
  snprintf(f->db, sizeof(f->db), "%s/store/orders.db", f->hsm.dir);
  snprintf(f->run, sizeof(f->run), "%s/run", f->hsm.dir);
  snprintf(f->data, sizeof(f->data), "%s/data", f->hsm.dir);
  snprintf(f->tokens, sizeof(f->tokens), "%s/tokens", f->hsm.dir);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf", rgs_env("RGS_SOURCE_DIR"));
  if (mkdir(f->run, 0700) != 0)
    return -1;
  snprintf(f->run_env, sizeof(f->run_env), "XDG_RUNTIME_DIR=%s", f->run);
  snprintf(f->data_env, sizeof(f->data_env), "XDG_DATA_HOME=%s", f->data);
  f->env[0] = f->run_env;
  f->env[1] = f->data_env;
  f->env[2] = "LC_ALL=C.UTF-8";
  f->env[3] = "RGS_ENROLL_NOW=2026-11-24";
  f->env[4] = NULL;
  /* No desktop bus unless a test makes one. */
  unsetenv("DBUS_SESSION_BUS_ADDRESS");
  unsetenv("SSH_ASKPASS");
  unsetenv("RGS_ENROLL_ASKPASS");
  *state = f;
  return 0;
}

int rgs_watch_teardown(void **state)
{
  rgs_watch_fixture *f = *state;

  rgs_softhsm_cleanup(&f->hsm);
  free(f);
  return 0;
}

void rgs_watch_argv(rgs_watch_fixture *f, const char **argv, const char *module, int pin,
                    va_list ap)
{
  size_t n = 0;
  const char *a;

  argv[n++] = rgs_env("RGS_ENROLL_BIN");
  argv[n++] = "--db";
  argv[n++] = f->db;
  argv[n++] = "--module";
  argv[n++] = module != NULL ? module : rgs_env("SOFTHSM2_MODULE");
  argv[n++] = "--policy";
  argv[n++] = f->policy;
  if (pin) {
    argv[n++] = "--pin-file";
    argv[n++] = f->hsm.pin_file;
  }
  while ((a = va_arg(ap, const char *)) != NULL && n < 47)
    argv[n++] = a;
  argv[n] = NULL;
}

void rgs_watch_run(rgs_watch_fixture *f, rgs_run_result *r, const char *const *extra_env,
                   int pin, ...)
{
  const char *argv[48], *env[12];
  size_t n = 0, i;
  va_list ap;

  va_start(ap, pin);
  rgs_watch_argv(f, argv, NULL, pin, ap);
  va_end(ap);
  for (i = 0; f->env[i] != NULL; i++)
    env[n++] = f->env[i];
  for (i = 0; extra_env != NULL && extra_env[i] != NULL && n < 11; i++)
    env[n++] = extra_env[i];
  env[n] = NULL;
  assert_int_equal(rgs_run(argv, env, NULL, r), 0);
}
