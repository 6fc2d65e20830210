/* SPDX-License-Identifier: BSD-3-Clause */
/* vcard_test.c - see vcard_test.h. Each test has its own card, pcscd and
 * vpcd port (rgs-vcard --pcscd picks a free one), so tests run in
 * parallel (ctest -j, the normal and the ASan pass) without sharing a
 * reader, and never touch the system's pcscd. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vcard_test.h"

static void show_logs(const rgs_vcard *c)
{
  char path[700];
  char *t;

  snprintf(path, sizeof(path), "%s/card.err", c->dir);
  t = rgs_read_file(path, NULL);
  fprintf(stderr, "--- rgs-vcard stderr\n%s\n", t != NULL ? t : "");
  free(t);
  t = rgs_read_file(c->pcscd_log, NULL);
  fprintf(stderr, "--- pcscd log\n%s\n", t != NULL ? t : "");
  free(t);
}

/* Send a command (NULL: none) and read the card's answer line. Its own
 * waits on pcscd are bounded (30 s), so this read is. */
static void card_say(rgs_vcard *c, const char *cmd, char *answer, size_t len)
{
  if (cmd != NULL) {
    fprintf((FILE *)c->to, "%s\n", cmd);
    fflush((FILE *)c->to);
  }
  if (fgets(answer, (int)len, (FILE *)c->from) == NULL) {
    show_logs(c);
    fail_msg("rgs-vcard ended before answering \"%s\"", cmd != NULL ? cmd : "(start)");
  }
  answer[strcspn(answer, "\n")] = '\0';
}

int rgs_vcard_content_setup(void **state)
{
  rgs_vcard_content *k = calloc(1, sizeof(*k));
  const char *argv[] = { rgs_env("RGS_VCARD_MKCARD"), NULL, RGS_TEST_PIN, NULL };
  rgs_run_result r;

  if (k == NULL || (k->dir = rgs_tmpdir()) == NULL)
    return -1;
  argv[1] = k->dir;
  if (rgs_run(argv, NULL, NULL, &r) != 0)
    return -1;
  if (r.status != 0) {
    fprintf(stderr, "mkcard.sh: exit %d\n%s\n%s\n", r.status, r.out, r.err);
    rgs_run_free(&r);
    return -1;
  }
  rgs_run_free(&r);
  snprintf(k->nssdb, sizeof(k->nssdb), "%s/nssdb", k->dir);
  snprintf(k->ca_file, sizeof(k->ca_file), "%s/ca.pem", k->dir);
  snprintf(k->sign_pem, sizeof(k->sign_pem), "%s/pki/sign.pem", k->dir);
  snprintf(k->pin_file, sizeof(k->pin_file), "%s/pin.txt", k->dir);
  snprintf(k->bad_pin_file, sizeof(k->bad_pin_file), "%s/bad-pin.txt", k->dir);
  if (rgs_write_file(k->pin_file, RGS_TEST_PIN "\n") != 0 ||
      rgs_write_file(k->bad_pin_file, "654321\n") != 0)
    return -1;
  *state = k;
  return 0;
}

int rgs_vcard_content_teardown(void **state)
{
  rgs_vcard_content *k = *state;

  rgs_rmrf(k->dir);
  free(k->dir);
  free(k);
  return 0;
}

/* The card runs with its stdin and stdout on pipes, stderr in a file. */
static void spawn(rgs_vcard *c)
{
  char err[700], log[700];
  int in[2], out[2];
  pid_t pid;

  snprintf(err, sizeof(err), "%s/card.err", c->dir);
  snprintf(log, sizeof(log), "%s/apdu.log", c->dir);
  assert_int_equal(pipe2(in, O_CLOEXEC), 0);
  assert_int_equal(pipe2(out, O_CLOEXEC), 0);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    if (!freopen(err, "w", stderr))
      _exit(127);
    /* NSS keeps its caches to the end: not this test's leaks. */
    setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
    execl(rgs_env("RGS_VCARD_BIN"), "rgs-vcard", "--db", c->content->nssdb, "--pcscd", c->dir, "--cert",
          "sign", "--cert", "auth", "--cert", "enc", "--log", log, (char *)NULL);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  c->pid = pid;
  c->to = fdopen(in[1], "w");
  c->from = fdopen(out[0], "r");
  assert_non_null(c->to);
  assert_non_null(c->from);
}

void rgs_vcard_start(rgs_vcard *c, const rgs_vcard_content *content)
{
  char line[512], sock[700];

  memset(c, 0, sizeof(*c));
  c->content = content;
  c->dir = rgs_tmpdir();
  assert_non_null(c->dir);
  snprintf(c->pcscd_log, sizeof(c->pcscd_log), "%s/pcscd.log", c->dir);
  /* A card or a command that dies must not kill the test with SIGPIPE. */
  signal(SIGPIPE, SIG_IGN);
  spawn(c);
  card_say(c, NULL, line, sizeof(line));
  if (strncmp(line, "ready ", 6) != 0) {
    show_logs(c);
    fail_msg("rgs-vcard: %s", line);
  }
  snprintf(c->reader, sizeof(c->reader), "%s", line + 6);
  snprintf(sock, sizeof(sock), "%s/pcscd.comm", c->dir);
  setenv("PCSCLITE_CSOCK_NAME", sock, 1);
}

void rgs_vcard_stop(rgs_vcard *c)
{
  char line[512];
  int status;

  if (c->to != NULL)
    fclose((FILE *)c->to);          /* end of input: the card quits */
  if (c->from != NULL) {
    while (fgets(line, sizeof(line), (FILE *)c->from) != NULL)
      ;
    fclose((FILE *)c->from);
  }
  if (c->pid > 0)
    waitpid(c->pid, &status, 0);
  unsetenv("PCSCLITE_CSOCK_NAME");
  if (c->dir != NULL) {
    rgs_rmrf(c->dir);
    free(c->dir);
  }
  memset(c, 0, sizeof(*c));
}

static void expect(rgs_vcard *c, const char *cmd, const char *want)
{
  char line[512];

  card_say(c, cmd, line, sizeof(line));
  if (strcmp(line, want) != 0) {
    show_logs(c);
    fail_msg("rgs-vcard %s: \"%s\", expected \"%s\"", cmd, line, want);
  }
}

void rgs_vcard_insert(rgs_vcard *c)
{
  expect(c, "insert", "inserted");
}

void rgs_vcard_remove(rgs_vcard *c)
{
  expect(c, "remove", "removed");
}

unsigned long rgs_vcard_apdus(rgs_vcard *c)
{
  char line[512];
  unsigned long n = 0;

  card_say(c, "count", line, sizeof(line));
  assert_int_equal(sscanf(line, "apdus %lu", &n), 1);
  return n;
}

void rgs_vcard_pin(rgs_vcard *c, int *tries, int *verifies)
{
  char line[512];

  card_say(c, "pin", line, sizeof(line));
  assert_int_equal(sscanf(line, "pin tries %d verifies %d", tries, verifies), 2);
}

int rgs_vcard_setup(void **state)
{
  rgs_vcard *c = calloc(1, sizeof(*c));

  if (c == NULL)
    return -1;
  rgs_vcard_start(c, *state);
  *state = c;
  return 0;
}

int rgs_vcard_teardown(void **state)
{
  rgs_vcard *c = *state;

  *state = (void *)c->content;
  rgs_vcard_stop(c);
  free(c);
  return 0;
}
