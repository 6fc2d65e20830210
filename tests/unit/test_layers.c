/* SPDX-License-Identifier: BSD-3-Clause */
/* test_layers.c - data flows one way: a layer includes headers of its own
 * layer and of the layers below it, never of a layer above. The layers, top
 * down: cli/ (the command), enroll/ (the workflows), pkcs11/ and order/
 * (which know nothing of each other), common/. Read from the source tree
 * (RGS_SOURCE_DIR): every quoted #include of every .c and .h file. */
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

typedef struct {
  const char *dir;
  const char *may_use;   /* space-separated folders it may include from */
} layer;

static const layer layers[] = {
  { "common", "common" },
  { "pkcs11", "common pkcs11" },
  { "order", "common order" },
  { "enroll", "common pkcs11 order enroll" },
  { "cli", "common pkcs11 order enroll cli" },
  /* The window stands beside the command: it runs it, it includes none of it. */
  { "gtk", "common gtk" },
};

/* The layer folder that holds header name, or NULL (a system header). */
static const char *home_of(const char *src, const char *name)
{
  char path[4096];
  struct stat st;
  size_t i;

  for (i = 0; i < sizeof(layers) / sizeof(layers[0]); i++) {
    snprintf(path, sizeof(path), "%s/%s/%s", src, layers[i].dir, name);
    if (stat(path, &st) == 0)
      return layers[i].dir;
  }
  return NULL;
}

static int allowed(const layer *l, const char *home)
{
  size_t n = strlen(home);
  const char *p = l->may_use;

  while ((p = strstr(p, home)) != NULL) {
    if ((p == l->may_use || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
      return 1;
    p += n;
  }
  return 0;
}

/* Count the includes of one file that go up; print each. */
static int check_file(const char *src, const layer *l, const char *file)
{
  char path[4096], line[1024], name[256];
  int bad = 0;
  FILE *f;

  snprintf(path, sizeof(path), "%s/%s/%s", src, l->dir, file);
  f = fopen(path, "r");
  assert_non_null(f);
  while (fgets(line, sizeof(line), f) != NULL) {
    const char *home;
    if (sscanf(line, " #include \"%255[^\"]\"", name) != 1)
      continue;
    home = home_of(src, name);
    if (home != NULL && !allowed(l, home)) {
      print_error("%s/%s includes %s, a header of %s/ (a layer above)\n", l->dir, file, name,
                  home);
      bad++;
    }
  }
  fclose(f);
  return bad;
}

static void test_no_include_goes_up(void **state)
{
  const char *src = rgs_env("RGS_SOURCE_DIR");
  char path[4096];
  int bad = 0, files = 0;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(layers) / sizeof(layers[0]); i++) {
    DIR *d;
    struct dirent *e;
    snprintf(path, sizeof(path), "%s/%s", src, layers[i].dir);
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
      size_t n = strlen(e->d_name);
      if (n < 3 || (strcmp(e->d_name + n - 2, ".c") != 0 && strcmp(e->d_name + n - 2, ".h") != 0))
        continue;
      bad += check_file(src, &layers[i], e->d_name);
      files++;
    }
    closedir(d);
  }
  assert_true(files > 50);   /* the tree was really read */
  assert_int_equal(bad, 0);
}

/* The check itself can fail: a workflow including the command line's header
 * is caught. */
static void test_the_check_sees_a_violation(void **state)
{
  const char *src = rgs_env("RGS_SOURCE_DIR");
  const layer *enroll = &layers[3];

  (void)state;
  assert_string_equal(home_of(src, "cli.h"), "cli");
  assert_false(allowed(enroll, "cli"));
  assert_true(allowed(enroll, "pkcs11"));
  assert_false(allowed(&layers[1], "order"));   /* pkcs11 knows nothing of order */
  assert_null(home_of(src, "stdio.h"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_no_include_goes_up),
    cmocka_unit_test(test_the_check_sees_a_violation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
