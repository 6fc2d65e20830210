/* SPDX-License-Identifier: BSD-3-Clause */
/* run.c - run a command for real and capture what it says. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>
#include "rgs_test.h"

extern char **environ;

typedef struct {
  char *p;
  size_t len, cap;
} buf;

static void buf_add(buf *b, const char *p, size_t n)
{
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->p = realloc(b->p, b->cap);
    assert_non_null(b->p);
  }
  memcpy(b->p + b->len, p, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static char **merged_env(const char *const *extra)
{
  size_t n = 0, m = 0, i, k = 0;
  char **env;

  while (environ[n] != NULL)
    n++;
  while (extra != NULL && extra[m] != NULL)
    m++;
  env = calloc(n + m + 1, sizeof(*env));
  assert_non_null(env);
  for (i = 0; i < n; i++) {
    size_t j, klen = strcspn(environ[i], "=");
    int overridden = 0;
    for (j = 0; j < m; j++)
      if (strncmp(extra[j], environ[i], klen + 1) == 0)
        overridden = 1;
    if (!overridden)
      env[k++] = environ[i];
  }
  for (i = 0; i < m; i++)
    env[k++] = (char *)extra[i];
  return env;
}

static void child(const char *const *argv, char **env, int in_fd, int out_fd, int err_fd)
{
  setsid();                      /* no controlling terminal: nothing can prompt */
  dup2(in_fd, 0);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  execve(argv[0], (char *const *)argv, env);
  fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

int rgs_run(const char *const *argv, const char *const *env, const char *input,
            rgs_run_result *r)
{
  int in_p[2], out_p[2], err_p[2], status = 0;
  char **full_env = merged_env(env);
  buf out = { 0 }, err = { 0 };
  struct pollfd pf[2];
  size_t in_off = 0, in_len = input != NULL ? strlen(input) : 0;
  char chunk[4096];
  pid_t pid;

  memset(r, 0, sizeof(*r));
  buf_add(&out, "", 0);
  buf_add(&err, "", 0);
  if (pipe(in_p) != 0 || pipe(out_p) != 0 || pipe(err_p) != 0)
    return -1;
  pid = fork();
  if (pid == 0) {
    close(in_p[1]);
    close(out_p[0]);
    close(err_p[0]);
    child(argv, full_env, in_p[0], out_p[1], err_p[1]);
  }
  free(full_env);
  close(in_p[0]);
  close(out_p[1]);
  close(err_p[1]);
  signal(SIGPIPE, SIG_IGN);
  if (input != NULL && in_len > 0) {
    while (in_off < in_len) {
      ssize_t w = write(in_p[1], input + in_off, in_len - in_off);
      if (w <= 0)
        break;
      in_off += (size_t)w;
    }
  }
  close(in_p[1]);
  pf[0].fd = out_p[0];
  pf[1].fd = err_p[0];
  pf[0].events = pf[1].events = POLLIN;
  while (pf[0].fd >= 0 || pf[1].fd >= 0) {
    int i;
    if (poll(pf, 2, -1) < 0 && errno != EINTR)
      break;
    for (i = 0; i < 2; i++) {
      ssize_t n;
      if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP)))
        continue;
      n = read(pf[i].fd, chunk, sizeof(chunk));
      if (n > 0) {
        buf_add(i == 0 ? &out : &err, chunk, (size_t)n);
      } else {
        close(pf[i].fd);
        pf[i].fd = -1;
      }
    }
  }
  waitpid(pid, &status, 0);
  r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r->out = out.p;
  r->err = err.p;
  return 0;
}

void rgs_run_free(rgs_run_result *r)
{
  free(r->out);
  free(r->err);
  memset(r, 0, sizeof(*r));
}

const char *rgs_env(const char *name)
{
  const char *v = getenv(name);

  if (v == NULL || v[0] == '\0')
    fail_msg("environment variable %s is not set (run the tests through ctest)", name);
  return v;
}

int rgs_enroll_v(rgs_run_result *r, const char *const *env, const char *input,
                 const char *const *args)
{
  const char *argv[64];
  size_t n = 0;

  argv[n++] = rgs_env("RGS_ENROLL_BIN");
  while (args[n - 1] != NULL && n < 63) {
    argv[n] = args[n - 1];
    n++;
  }
  argv[n] = NULL;
  return rgs_run(argv, env, input, r);
}

int rgs_enroll(rgs_run_result *r, const char *const *env, const char *input, ...)
{
  const char *args[63];
  size_t n = 0;
  va_list ap;

  va_start(ap, input);
  while (n < 62) {
    args[n] = va_arg(ap, const char *);
    if (args[n] == NULL)
      break;
    n++;
  }
  va_end(ap);
  args[n] = NULL;
  return rgs_enroll_v(r, env, input, args);
}

int rgs_count_lines(const char *path, const char *line)
{
  FILE *f = fopen(path, "r");
  char l[256];
  int n = 0;

  if (f == NULL)
    return 0;
  while (fgets(l, sizeof(l), f) != NULL) {
    l[strcspn(l, "\n")] = '\0';
    if (strcmp(l, line) == 0)
      n++;
  }
  fclose(f);
  return n;
}

char *rgs_json_get(const char *doc, const char *path)
{
  json_object *root = json_tokener_parse(doc), *cur;
  char *copy = strdup(path), *save = NULL, *part, *result = NULL;

  if (root == NULL)
    fail_msg("not a JSON document:\n%s", doc);
  cur = root;
  for (part = strtok_r(copy, ".", &save); part != NULL && cur != NULL;
       part = strtok_r(NULL, ".", &save)) {
    if (json_object_is_type(cur, json_type_array))
      cur = json_object_array_get_idx(cur, (size_t)atoi(part));
    else if (!json_object_object_get_ex(cur, part, &cur))
      cur = NULL;
  }
  if (cur != NULL)
    result = strdup(json_object_is_type(cur, json_type_string) ? json_object_get_string(cur)
                                                                : json_object_to_json_string(cur));
  free(copy);
  json_object_put(root);
  return result;
}
