/* SPDX-License-Identifier: BSD-3-Clause */
/* test_gtk_metadata.c - the window's desktop entry and AppStream metadata
 * as the desktop and the software centres judge them (desktop-file-validate,
 * appstreamcli validate --no-net), and `cmake --install --component gtk`
 * installing them with the binary. Exit 77 when the validators are absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "rgs_test.h"

#define APP_ID "fr.rgsenroll.Enroll"

static void test_validators(void **state)
{
  char desktop[600], meta[600];
  const char *src = rgs_env("RGS_SOURCE_DIR");
  rgs_run_result r;

  (void)state;
  snprintf(desktop, sizeof(desktop), "%s/gtk/" APP_ID ".desktop", src);
  snprintf(meta, sizeof(meta), "%s/gtk/" APP_ID ".metainfo.xml", src);
  {
    const char *argv[] = { rgs_env("RGS_APPSTREAMCLI"), "validate", "--no-net", meta, NULL };

    assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
    if (r.status != 0)
      fprintf(stderr, "%s%s\n", r.out, r.err);
    assert_int_equal(r.status, 0);
    rgs_run_free(&r);
  }
  {
    const char *argv[] = { rgs_env("RGS_DESKTOP_FILE_VALIDATE"), desktop, NULL };

    assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
    if (r.status != 0)
      fprintf(stderr, "%s%s\n", r.out, r.err);
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "error"));
    rgs_run_free(&r);
  }
}

static void test_install_component(void **state)
{
  static const char *const files[] = {
    "bin/rgs-enroll-gtk", "share/applications/" APP_ID ".desktop",
    "share/metainfo/" APP_ID ".metainfo.xml", "share/icons/hicolor/scalable/apps/" APP_ID ".svg",
  };
  char *dir = rgs_tmpdir(), path[800];
  const char *argv[] = { rgs_env("CMAKE_COMMAND"), "--install", rgs_env("RGS_BUILD_DIR"),
                         "--component", "gtk", "--prefix", dir, NULL };
  rgs_run_result r;
  size_t i;

  (void)state;
  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  if (r.status != 0)
    fprintf(stderr, "%s%s\n", r.out, r.err);
  assert_int_equal(r.status, 0);
  rgs_run_free(&r);
  for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
    if (access(path, R_OK) != 0)
      fail_msg("not installed: %s", files[i]);
  }
  /* The component holds the window only: the command line is not in it. */
  snprintf(path, sizeof(path), "%s/bin/rgs-enroll", dir);
  assert_int_not_equal(access(path, F_OK), 0);
  rgs_rmrf(dir);
  free(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_validators),
    cmocka_unit_test(test_install_component),
  };
  const char *a = getenv("RGS_APPSTREAMCLI"), *d = getenv("RGS_DESKTOP_FILE_VALIDATE");

  if (a == NULL || strstr(a, "NOTFOUND") != NULL || d == NULL || strstr(d, "NOTFOUND") != NULL) {
    printf("skipped: appstreamcli or desktop-file-validate not found\n");
    return 77;
  }
  return cmocka_run_group_tests(tests, NULL, NULL);
}
