/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_driver.c - a main() for the fuzz targets without libFuzzer: runs
 * LLVMFuzzerTestOneInput over every regular file of the directories (or the
 * files) given as arguments. ctest uses it to replay the seed corpus, so
 * every input once found by the fuzzer stays a regression test, with any
 * compiler.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are not seeds: refuse them loudly. */
#define DRIVER_MAX_INPUT (1024 * 1024)

static int run_file(const char *path)
{
  FILE *f = NULL;
  uint8_t *buf = NULL;
  size_t n;
  int rc = 1;

  f = fopen(path, "rb");
  if (f == NULL) {
    perror(path);
    goto cleanup;
  }
  buf = malloc(DRIVER_MAX_INPUT + 1);
  if (buf == NULL) {
    fprintf(stderr, "%s: out of memory\n", path);
    goto cleanup;
  }
  n = fread(buf, 1, DRIVER_MAX_INPUT + 1, f);
  if (ferror(f) || n > DRIVER_MAX_INPUT) {
    fprintf(stderr, "%s: unreadable or larger than %d bytes\n", path, DRIVER_MAX_INPUT);
    goto cleanup;
  }
  /* An exact-size copy, so that ASan sees reads past the input. */
  {
    uint8_t *exact = malloc(n > 0 ? n : 1);
    if (exact == NULL)
      goto cleanup;
    memcpy(exact, buf, n);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
  }
  rc = 0;

cleanup:
  free(buf);
  if (f != NULL)
    fclose(f);
  return rc;
}

/* Run every regular file of dir; *count receives how many ran. */
static int run_dir(const char *dir, size_t *count)
{
  DIR *d = NULL;
  struct dirent *e;
  char path[4096];
  struct stat st;
  int rc = 0;

  d = opendir(dir);
  if (d == NULL) {
    perror(dir);
    rc = 1;
    goto cleanup;
  }
  for (e = readdir(d); e != NULL; e = readdir(d)) {
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    if (run_file(path) != 0)
      rc = 1;
    else
      (*count)++;
  }

cleanup:
  if (d != NULL)
    closedir(d);
  return rc;
}

int main(int argc, char **argv)
{
  size_t count = 0;
  struct stat st;
  int rc = 0;
  int i;

  if (argc < 2) {
    fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
    return 2;
  }
  for (i = 1; i < argc; i++) {
    if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
      rc |= run_dir(argv[i], &count);
    } else if (run_file(argv[i]) == 0) {
      count++;
    } else {
      rc = 1;
    }
  }
  printf("%zu input(s) run\n", count);
  /* An empty corpus would make the test pass without testing anything. */
  if (count == 0)
    rc = 1;
  return rc;
}
