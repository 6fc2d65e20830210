/* SPDX-License-Identifier: BSD-3-Clause */
/* softhsm.c - a real SoftHSM2 token per test, in a temporary directory. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rgs_test.h"

char *rgs_tmpdir(void)
{
  const char *base = getenv("TMPDIR");
  char path[512];

  snprintf(path, sizeof(path), "%s/rgs-test-XXXXXX", base != NULL ? base : "/tmp");
  assert_non_null(mkdtemp(path));
  return strdup(path);
}

void rgs_rmrf(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[1024];
  struct stat st;

  if (d == NULL) {
    unlink(dir);
    return;
  }
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
      rgs_rmrf(path);
    else
      unlink(path);
  }
  closedir(d);
  rmdir(dir);
}

int rgs_write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");

  if (f == NULL)
    return -1;
  fputs(text, f);
  return fclose(f);
}

char *rgs_read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *p = NULL;
  long n;

  if (f == NULL)
    return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
    p = malloc((size_t)n + 1);
    if (p != NULL && fread(p, 1, (size_t)n, f) == (size_t)n) {
      p[n] = '\0';
      if (len != NULL)
        *len = (size_t)n;
    } else {
      free(p);
      p = NULL;
    }
  }
  fclose(f);
  return p;
}

int rgs_softhsm_add_token(rgs_softhsm *t, const char *label)
{
  const char *argv[] = { rgs_env("SOFTHSM2_UTIL"), "--init-token", "--free", "--label", label,
                         "--pin", RGS_TEST_PIN, "--so-pin", RGS_TEST_SO_PIN, NULL };
  rgs_run_result r;
  int ok;

  (void)t;          /* the token lives in the directory SOFTHSM2_CONF names */
  if (rgs_run(argv, NULL, NULL, &r) != 0)
    return -1;
  ok = r.status == 0;
  if (!ok)
    print_error("softhsm2-util failed: %s%s", r.out, r.err);
  rgs_run_free(&r);
  return ok ? 0 : -1;
}

int rgs_softhsm_init(rgs_softhsm *t, const char *label)
{
  char tokens[600], conf_text[800];

  memset(t, 0, sizeof(*t));
  t->dir = rgs_tmpdir();
  snprintf(tokens, sizeof(tokens), "%s/tokens", t->dir);
  if (mkdir(tokens, 0700) != 0)
    return -1;
  snprintf(t->conf, sizeof(t->conf), "%s/softhsm2.conf", t->dir);
  snprintf(conf_text, sizeof(conf_text),
           "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", tokens);
  if (rgs_write_file(t->conf, conf_text) != 0)
    return -1;
  setenv("SOFTHSM2_CONF", t->conf, 1);
  snprintf(t->pin_file, sizeof(t->pin_file), "%s/pin", t->dir);
  snprintf(t->bad_pin_file, sizeof(t->bad_pin_file), "%s/bad-pin", t->dir);
  if (rgs_write_file(t->pin_file, RGS_TEST_PIN "\n") != 0 ||
      rgs_write_file(t->bad_pin_file, "999999\n") != 0)
    return -1;
  snprintf(t->label, sizeof(t->label), "%s", label);
  return rgs_softhsm_add_token(t, label);
}

void rgs_softhsm_cleanup(rgs_softhsm *t)
{
  if (t->dir != NULL) {
    rgs_rmrf(t->dir);
    free(t->dir);
  }
  unsetenv("SOFTHSM2_CONF");
  memset(t, 0, sizeof(*t));
}

int rgs_softhsm_pin_works(const char *pin)
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
