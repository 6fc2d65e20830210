/* SPDX-License-Identifier: BSD-3-Clause */
/* test_spdx.c - every C file of the source tree starts with the licence's
 * SPDX line (LICENSE: BSD-3-Clause), so that a file copied out of the tree
 * still says under which terms. Read from RGS_SOURCE_DIR, recursively,
 * fuzz corpora and build trees aside. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "rgs_test.h"

#define SPDX "/* SPDX-License-Identifier: BSD-3-Clause */"

static int is_c_file(const char *name)
{
  size_t n = strlen(name);

  return n > 2 && name[n - 2] == '.' && (name[n - 1] == 'c' || name[n - 1] == 'h');
}

/* Files under dir without the line; each one printed. */
static int walk(const char *dir, size_t *seen)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[4096], first[128];
  struct stat st;
  int bad = 0;
  FILE *f;

  assert_non_null(d);
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || strcmp(e->d_name, "corpus") == 0 ||
        strncmp(e->d_name, "build", 5) == 0)
      continue;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    if (lstat(path, &st) != 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      bad += walk(path, seen);
      continue;
    }
    if (!S_ISREG(st.st_mode) || !is_c_file(e->d_name))
      continue;
    f = fopen(path, "r");
    assert_non_null(f);
    if (fgets(first, sizeof(first), f) == NULL || strncmp(first, SPDX, strlen(SPDX)) != 0) {
      print_error("%s: the first line is not %s\n", path, SPDX);
      bad++;
    }
    fclose(f);
    (*seen)++;
  }
  closedir(d);
  return bad;
}

static void test_every_c_file(void **state)
{
  static const char *const dirs[] = { "common", "pkcs11", "order", "enroll", "cli", "gtk", "tests" };
  char path[4096];
  size_t i, seen = 0;
  int bad = 0;

  (void)state;
  for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
    snprintf(path, sizeof(path), "%s/%s", rgs_env("RGS_SOURCE_DIR"), dirs[i]);
    bad += walk(path, &seen);
  }
  assert_true(seen > 200);
  assert_int_equal(bad, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_every_c_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
