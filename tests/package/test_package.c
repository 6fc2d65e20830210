/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_package.c - `cpack -G DEB` gives packages that lintian accepts:
 * the project is configured and built in a temporary directory as a package
 * is (RelWithDebInfo, no tests), cpack makes rgs-enroll and its -dbgsym
 * package, and lintian reports no error and no warning on either. Also
 * checked, beyond lintian: the fields (a maintainer that is not on
 * localhost, an extended description, no GTK among the dependencies), the
 * compressed manual pages (English and French), the DEP-5 copyright file,
 * no catalogue for English (the source language), binaries stripped with a
 * link to their symbols, bound at load. And the check can fail: the same
 * package without its copyright file gets an error from lintian.
 * The window's package (cpack --config CPackConfig-gtk.cmake, when the
 * window is built) the same way: lintian-clean, its fields and files, and
 * a warning from lintian once its manual page is taken out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "rgs_test.h"

#define LINTIAN "/usr/bin/lintian"

typedef struct {
  char *dir;
  char deb[900];
  char ddeb[900];
  char gtk_deb[900];     /* the window's package: "" when the window is not built */
  char gtk_ddeb[900];
} fixture;

static fixture fx;

static void run_ok(const char *const *argv, rgs_run_result *r)
{
  assert_int_equal(rgs_run(argv, NULL, NULL, r), 0);
  if (r->status != 0)
    fail_msg("%s exited %d:\n%s\n%s", argv[0], r->status, r->out, r->err);
}

/* The file cpack says it generated with the given ending. */
static void generated(const char *out, const char *ending, char *path, size_t len)
{
  const char *p = out, *q;

  path[0] = '\0';
  while ((p = strstr(p, "package: ")) != NULL) {
    p += strlen("package: ");
    q = strstr(p, " generated.");
    if (q == NULL)
      break;
    if ((size_t)(q - p) > strlen(ending) && strncmp(q - strlen(ending), ending, strlen(ending)) == 0)
      snprintf(path, len, "%.*s", (int)(q - p), p);
    p = q;
  }
}

/* The window's package, from the same build (cpack --config
 * CPackConfig-gtk.cmake), when the window was built. */
static void gtk_package(const char *build, const char *out)
{
  char config[800];
  const char *argv[] = { rgs_env("CPACK_COMMAND"), "-G", "DEB", "--config", config, "-B", out,
                         NULL };
  rgs_run_result r;

  snprintf(config, sizeof(config), "%s/CPackConfig-gtk.cmake", build);
  if (access(config, R_OK) != 0)
    return;
  run_ok(argv, &r);
  generated(r.out, ".deb", fx.gtk_deb, sizeof(fx.gtk_deb));
  generated(r.out, ".ddeb", fx.gtk_ddeb, sizeof(fx.gtk_ddeb));
  rgs_run_free(&r);
  assert_true(fx.gtk_deb[0] != '\0');
  assert_true(fx.gtk_ddeb[0] != '\0');
}

static int setup(void **state)
{
  char build[700], out[700], cache[800];
  rgs_run_result r;

  (void)state;
  fx.dir = rgs_tmpdir();
  snprintf(build, sizeof(build), "%s/build", fx.dir);
  snprintf(out, sizeof(out), "%s/out", fx.dir);
  snprintf(cache, sizeof(cache), "-B%s", build);
  {
    const char *argv[] = { rgs_env("CMAKE_COMMAND"), "-S", rgs_env("RGS_SOURCE_DIR"), cache,
                           "-G", rgs_env("RGS_CMAKE_GENERATOR"),
                           "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DBUILD_TESTING=OFF", NULL };
    run_ok(argv, &r);
    rgs_run_free(&r);
  }
  {
    const char *argv[] = { rgs_env("CMAKE_COMMAND"), "--build", build, NULL };
    run_ok(argv, &r);
    rgs_run_free(&r);
  }
  {
    char config[800];
    const char *argv[] = { rgs_env("CPACK_COMMAND"), "-G", "DEB", "--config", config, "-B", out,
                           NULL };

    snprintf(config, sizeof(config), "%s/CPackConfig.cmake", build);
    run_ok(argv, &r);
    generated(r.out, ".deb", fx.deb, sizeof(fx.deb));
    generated(r.out, ".ddeb", fx.ddeb, sizeof(fx.ddeb));
    rgs_run_free(&r);
  }
  assert_true(fx.deb[0] != '\0');
  assert_true(fx.ddeb[0] != '\0');
  gtk_package(build, out);
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  rgs_rmrf(fx.dir);
  free(fx.dir);
  return 0;
}

/* lintian's E: and W: lines for a package ("" when none). */
static char *lintian(const char *pkg)
{
  const char *argv[] = { LINTIAN, "--tag-display-limit", "0", pkg, NULL };
  rgs_run_result r;
  char *bad = calloc(1, 1), *line, *save = NULL;
  size_t len = 0;

  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  for (line = strtok_r(r.out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    if (strncmp(line, "E: ", 3) != 0 && strncmp(line, "W: ", 3) != 0)
      continue;
    bad = realloc(bad, len + strlen(line) + 2);
    assert_non_null(bad);
    len += (size_t)sprintf(bad + len, "%s\n", line);
  }
  rgs_run_free(&r);
  return bad;
}

static void test_lintian_clean(void **state)
{
  char *bad;

  (void)state;
  bad = lintian(fx.deb);
  if (bad[0] != '\0')
    fail_msg("lintian %s:\n%s", fx.deb, bad);
  free(bad);
  bad = lintian(fx.ddeb);
  if (bad[0] != '\0')
    fail_msg("lintian %s:\n%s", fx.ddeb, bad);
  free(bad);
}

static void test_fields(void **state)
{
  const char *argv[] = { "/usr/bin/dpkg-deb", "--field", fx.deb, NULL };
  rgs_run_result r;
  const char *desc;

  (void)state;
  run_ok(argv, &r);
  assert_contains(r.out, "Package: rgs-enroll\n");
  assert_contains(r.out, "Version: 0.1.0-1\n");
  assert_contains(r.out, "Maintainer: ");
  assert_true(strstr(r.out, "@localhost") == NULL);
  assert_contains(r.out, "libsystemd0");
  assert_contains(r.out, "Recommends: opensc-pkcs11");
  assert_true(strstr(r.out, "gtk") == NULL);          /* the window comes in its own package */
  desc = strstr(r.out, "Description: ");
  assert_non_null(desc);
  assert_contains(desc, "\n .\n");                     /* an extended description, paragraphs */
  rgs_run_free(&r);
}

/* The names of the files of a package, one a line ("./usr/bin/x\n"). */
static void contents(const char *deb, char *list, size_t size)
{
  const char *argv[] = { "/usr/bin/dpkg-deb", "--contents", deb, NULL };
  rgs_run_result r;
  char *p;
  size_t n = 0;

  list[0] = '\0';
  run_ok(argv, &r);
  /* dpkg-deb -c prints ls -l lines: keep the names. */
  for (p = r.out; p != NULL && *p != '\0';) {
    char *nl = strchr(p, '\n'), *name;
    if (nl != NULL)
      *nl = '\0';
    name = strstr(p, " ./");
    if (name != NULL && n < size)
      n += (size_t)snprintf(list + n, size - n, "%s\n", name + 1);
    p = nl != NULL ? nl + 1 : NULL;
  }
  rgs_run_free(&r);
}

static void test_contents(void **state)
{
  static const char *const wanted[] = {
    "./usr/bin/rgs-enroll\n",
    "./usr/libexec/rgs-enroll/rgs-enroll-full\n",
    "./usr/share/man/man1/rgs-enroll.1.gz\n",
    "./usr/share/man/fr/man1/rgs-enroll.1.gz\n",
    "./usr/share/doc/rgs-enroll/copyright\n",
    "./usr/share/doc/rgs-enroll/changelog.Debian.gz\n",
    "./usr/share/locale/fr/LC_MESSAGES/rgs-enroll.mo\n",
    "./usr/share/bash-completion/completions/rgs-enroll\n",
  };
  char list[8192];
  size_t i;

  (void)state;
  contents(fx.deb, list, sizeof(list));
  for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
    assert_contains(list, wanted[i]);
  assert_true(strstr(list, "/en/LC_MESSAGES") == NULL);  /* English is the source language */
  assert_true(strstr(list, ".1\n") == NULL);             /* no page left uncompressed */
}

/* Extract the package and look at what lintian's checks rest on. */
static void test_binaries_stripped_and_hardened(void **state)
{
  char root[800], bin[900], copyright[900], *text;
  rgs_run_result r;

  (void)state;
  snprintf(root, sizeof(root), "%s/x", fx.dir);
  {
    const char *argv[] = { "/usr/bin/dpkg-deb", "-x", fx.deb, root, NULL };
    run_ok(argv, &r);
    rgs_run_free(&r);
  }
  snprintf(bin, sizeof(bin), "%s/usr/libexec/rgs-enroll/rgs-enroll-full", root);
  {
    const char *argv[] = { "/usr/bin/readelf", "-W", "-S", "-d", "--dyn-syms", bin, NULL };
    run_ok(argv, &r);
    assert_true(strstr(r.out, ".debug_info") == NULL);  /* the symbols are in -dbgsym */
    assert_contains(r.out, ".gnu_debuglink");
    assert_contains(r.out, "BIND_NOW");
    assert_contains(r.out, "PIE");
    assert_contains(r.out, "_chk@");                   /* fortified calls */
    rgs_run_free(&r);
  }
  snprintf(copyright, sizeof(copyright), "%s/usr/share/doc/rgs-enroll/copyright", root);
  text = rgs_read_file(copyright, NULL);
  assert_non_null(text);
  assert_contains(text, "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/");
  assert_contains(text, "License: BSD-3-Clause");
  free(text);
}

/* lintian's E: and W: lines for deb rebuilt without the file at rel. */
static char *lintian_without(const char *deb, const char *rel, const char *name)
{
  char root[800], bad[900], gone[1000];
  rgs_run_result r;

  snprintf(root, sizeof(root), "%s/%s", fx.dir, name);
  snprintf(bad, sizeof(bad), "%s/%s.deb", fx.dir, name);
  {
    const char *argv[] = { "/usr/bin/dpkg-deb", "-R", deb, root, NULL };
    run_ok(argv, &r);
    rgs_run_free(&r);
  }
  snprintf(gone, sizeof(gone), "%s/%s", root, rel);
  assert_int_equal(unlink(gone), 0);
  {
    const char *argv[] = { "/usr/bin/dpkg-deb", "--root-owner-group", "-b", root, bad, NULL };
    run_ok(argv, &r);
    rgs_run_free(&r);
  }
  return lintian(bad);
}

/* The same package without its copyright file: lintian says so. */
static void test_lintian_sees_a_fault(void **state)
{
  char *lines;

  (void)state;
  lines = lintian_without(fx.deb, "usr/share/doc/rgs-enroll/copyright", "broken");
  assert_contains(lines, "E: rgs-enroll: no-copyright-file");
  free(lines);
}

/* ---- the window's package, rgs-enroll-gtk ------------------------------ */

static void test_gtk_lintian_clean(void **state)
{
  char *bad;

  (void)state;
  if (fx.gtk_deb[0] == '\0')
    skip();
  bad = lintian(fx.gtk_deb);
  if (bad[0] != '\0')
    fail_msg("lintian %s:\n%s", fx.gtk_deb, bad);
  free(bad);
  bad = lintian(fx.gtk_ddeb);
  if (bad[0] != '\0')
    fail_msg("lintian %s:\n%s", fx.gtk_ddeb, bad);
  free(bad);
}

/* Its own name, the command line at the same version, the GTK libraries
 * found by dpkg-shlibdeps; what a desktop needs, and nothing of the
 * command line's package. */
static void test_gtk_fields_and_contents(void **state)
{
  static const char *const wanted[] = {
    "./usr/bin/rgs-enroll-gtk\n",
    "./usr/share/man/man1/rgs-enroll-gtk.1.gz\n",
    "./usr/share/doc/rgs-enroll-gtk/copyright\n",
    "./usr/share/doc/rgs-enroll-gtk/changelog.Debian.gz\n",
    "./usr/share/applications/fr.rgsenroll.Enroll.desktop\n",
    "./usr/share/metainfo/fr.rgsenroll.Enroll.metainfo.xml\n",
    "./usr/share/icons/hicolor/scalable/apps/fr.rgsenroll.Enroll.svg\n",
  };
  const char *argv[] = { "/usr/bin/dpkg-deb", "--field", fx.gtk_deb, NULL };
  char list[4096];
  rgs_run_result r;
  size_t i;

  (void)state;
  if (fx.gtk_deb[0] == '\0')
    skip();
  run_ok(argv, &r);
  assert_contains(r.out, "Package: rgs-enroll-gtk\n");
  assert_contains(r.out, "rgs-enroll (= 0.1.0-1)");
  assert_contains(r.out, "libgtk-4-1");
  assert_contains(r.out, "libadwaita-1-0");
  assert_true(strstr(r.out, "@localhost") == NULL);
  rgs_run_free(&r);
  contents(fx.gtk_deb, list, sizeof(list));
  for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
    assert_contains(list, wanted[i]);
  assert_true(strstr(list, "./usr/bin/rgs-enroll\n") == NULL);
  assert_true(strstr(list, ".1\n") == NULL);
}

/* The window's package without its manual page: lintian says so. */
static void test_gtk_lintian_sees_a_fault(void **state)
{
  char *lines;

  (void)state;
  if (fx.gtk_deb[0] == '\0')
    skip();
  lines = lintian_without(fx.gtk_deb, "usr/share/man/man1/rgs-enroll-gtk.1.gz", "broken-gtk");
  assert_contains(lines, "W: rgs-enroll-gtk: no-manual-page");
  free(lines);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_lintian_clean),
    cmocka_unit_test(test_fields),
    cmocka_unit_test(test_contents),
    cmocka_unit_test(test_binaries_stripped_and_hardened),
    cmocka_unit_test(test_lintian_sees_a_fault),
    cmocka_unit_test(test_gtk_lintian_clean),
    cmocka_unit_test(test_gtk_fields_and_contents),
    cmocka_unit_test(test_gtk_lintian_sees_a_fault),
  };

  if (access(LINTIAN, X_OK) != 0 || access("/usr/bin/dpkg-shlibdeps", X_OK) != 0 ||
      access("/usr/bin/readelf", X_OK) != 0) {
    print_message("lintian, dpkg-dev or binutils missing: not checked\n");
    return 77;
  }
  return cmocka_run_group_tests(tests, setup, teardown);
}
