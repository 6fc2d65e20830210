/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_system_install.c - what goes into the system:
 *   - the user unit passes `systemd-analyze verify`, in the system and the
 *     user manager's view, without a single warning (and a broken copy
 *     does not, so the check is a real one);
 *   - `cmake --install --prefix P` puts the binary, the man page, the
 *     catalogues, the policy and AED data, the udev rule, the user unit
 *     (naming P's binary) and the bash completion where they belong; with
 *     DESTDIR the unit names the final path; the installed binary runs;
 *   - the bash completion completes commands and options from --help;
 *   - `cpack -G DEB` makes a package holding the same files;
 *   - every system call the watcher and the step it runs make (traced with
 *     strace) is in the unit's SystemCallFilter=@system-service.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "rgs_test.h"

static const char *const installed[] = {
  "bin/rgs-enroll",
  "libexec/rgs-enroll/rgs-enroll-full",
  "share/man/man1/rgs-enroll.1",
  "share/locale/fr/LC_MESSAGES/rgs-enroll.mo",
  "share/rgs-enroll/policy/qualified-devices.conf",
  "share/rgs-enroll/aed/offices.csv",
  "lib/udev/rules.d/70-rgs-enroll.rules",
  "lib/systemd/user/rgs-enroll-watch.service",
  "share/bash-completion/completions/rgs-enroll",
};

static const char *tool(const char *env, const char *fallback)
{
  const char *v = getenv(env);

  return v != NULL && v[0] != '\0' ? v : fallback;
}

/* systemd-analyze verify UNIT (user: with --user); returns its result. */
static void verify(const char *unit, int user, rgs_run_result *r)
{
  char rt[600], rt_env[700];
  const char *env[2] = { rt_env, NULL };
  const char *argv[6];
  size_t n = 0;
  char *dir = rgs_tmpdir();

  snprintf(rt, sizeof(rt), "%s", dir);
  chmod(rt, 0700);
  snprintf(rt_env, sizeof(rt_env), "XDG_RUNTIME_DIR=%s", rt);
  argv[n++] = tool("SYSTEMD_ANALYZE", "/usr/bin/systemd-analyze");
  if (user)
    argv[n++] = "--user";
  argv[n++] = "verify";
  argv[n++] = "--man=no";
  argv[n++] = unit;
  argv[n] = NULL;
  assert_int_equal(rgs_run(argv, env, NULL, r), 0);
  rgs_rmrf(dir);
  free(dir);
}

static void assert_verified(const char *unit)
{
  rgs_run_result r;
  int user;

  for (user = 0; user <= 1; user++) {
    verify(unit, user, &r);
    if (r.status != 0 || r.err[0] != '\0' || r.out[0] != '\0')
      fail_msg("systemd-analyze%s verify %s: exit %d\n%s%s", user ? " --user" : "", unit,
               r.status, r.out, r.err);
    rgs_run_free(&r);
  }
}

static void test_unit_verifies(void **state)
{
  char unit[1024], bad[1024], *text, *dir;
  rgs_run_result r;
  char *p;

  (void)state;
  if (access(tool("SYSTEMD_ANALYZE", "/usr/bin/systemd-analyze"), X_OK) != 0)
    skip();
  snprintf(unit, sizeof(unit), "%s/udev/build-tree/rgs-enroll-watch.service",
           rgs_env("RGS_BUILD_DIR"));
  assert_verified(unit);

  /* The same unit with a misspelt key and a bad syscall group fails. */
  text = rgs_read_file(unit, NULL);
  assert_non_null(text);
  p = strstr(text, "LockPersonality=");
  assert_non_null(p);
  memcpy(p, "LockPersonalty=x", 16);
  dir = rgs_tmpdir();
  snprintf(bad, sizeof(bad), "%s/rgs-enroll-watch.service", dir);
  assert_int_equal(rgs_write_file(bad, text), 0);
  verify(bad, 1, &r);
  assert_true(r.status != 0 || r.err[0] != '\0');
  rgs_run_free(&r);
  free(text);
  rgs_rmrf(dir);
  free(dir);
}

static void install_to(const char *prefix, const char *destdir, rgs_run_result *r)
{
  const char *argv[] = { rgs_env("CMAKE_COMMAND"), "--install", rgs_env("RGS_BUILD_DIR"),
                         "--prefix", prefix, NULL };
  char destenv[700];
  const char *env[2] = { NULL, NULL };

  if (destdir != NULL) {
    snprintf(destenv, sizeof(destenv), "DESTDIR=%s", destdir);
    env[0] = destenv;
  }
  assert_int_equal(rgs_run(argv, env, NULL, r), 0);
  rgs_assert_status(r, 0);
}

static void test_install_layout(void **state)
{
  char *dir = rgs_tmpdir(), *unit_text;
  char prefix[600], path[1200], unit[1200], exec_line[1300], dest[600];
  rgs_run_result r;
  size_t i;

  (void)state;
  snprintf(prefix, sizeof(prefix), "%s/prefix", dir);
  install_to(prefix, NULL, &r);
  rgs_run_free(&r);
  for (i = 0; i < sizeof(installed) / sizeof(installed[0]); i++) {
    snprintf(path, sizeof(path), "%s/%s", prefix, installed[i]);
    if (access(path, R_OK) != 0)
      fail_msg("not installed: %s", path);
  }
  snprintf(path, sizeof(path), "%s/bin/rgs-enroll", prefix);
  assert_int_equal(access(path, X_OK), 0);

  /* The unit names the binary of this prefix, and verifies there. */
  snprintf(unit, sizeof(unit), "%s/lib/systemd/user/rgs-enroll-watch.service", prefix);
  unit_text = rgs_read_file(unit, NULL);
  snprintf(exec_line, sizeof(exec_line), "ExecStart=%s/bin/rgs-enroll watch --once", prefix);
  assert_contains(unit_text, exec_line);
  free(unit_text);
  if (access(tool("SYSTEMD_ANALYZE", "/usr/bin/systemd-analyze"), X_OK) == 0)
    assert_verified(unit);

  /* The installed program runs. */
  {
    const char *argv[] = { path, "watch", "--help", NULL };
    assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
    rgs_assert_status(&r, 0);
    assert_contains(r.out, "--once");
    rgs_run_free(&r);
  }

  /* Staged (DESTDIR) for a package: files under DESTDIR, the unit names
   * the final path. */
  snprintf(dest, sizeof(dest), "%s/stage", dir);
  install_to("/usr", dest, &r);
  rgs_run_free(&r);
  snprintf(unit, sizeof(unit), "%s/usr/lib/systemd/user/rgs-enroll-watch.service", dest);
  unit_text = rgs_read_file(unit, NULL);
  assert_non_null(unit_text);
  assert_contains(unit_text, "ExecStart=/usr/bin/rgs-enroll watch --once");
  free(unit_text);
  snprintf(path, sizeof(path), "%s/usr/lib/udev/rules.d/70-rgs-enroll.rules", dest);
  assert_int_equal(access(path, R_OK), 0);
  rgs_rmrf(dir);
  free(dir);
}

/* Complete `line` (the cursor at its end) with the installed completion. */
static char *complete(const char *line)
{
  char script[4096], dir_env[700], *bin_dir;
  const char *argv[] = { "/bin/bash", "--norc", "--noprofile", "-c", script, NULL };
  const char *env[] = { dir_env, NULL };
  rgs_run_result r;
  char *out;

  bin_dir = strdup(rgs_env("RGS_ENROLL_BIN"));
  *strrchr(bin_dir, '/') = '\0';
  snprintf(dir_env, sizeof(dir_env), "PATH=%s:/usr/bin:/bin", bin_dir);
  free(bin_dir);
  snprintf(script, sizeof(script),
           "source /usr/share/bash-completion/bash_completion\n"
           "source '%s/data/bash-completion/rgs-enroll'\n"
           "COMP_LINE='%s'; COMP_POINT=${#COMP_LINE}\n"
           "read -ra COMP_WORDS <<< \"$COMP_LINE\"\n"
           "[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')\n"
           "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
           "_rgs_enroll rgs-enroll \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"\n"
           "printf '%%s\\n' \"${COMPREPLY[@]}\"\n",
           rgs_env("RGS_SOURCE_DIR"), line);
  assert_int_equal(rgs_run(argv, env, NULL, &r), 0);
  rgs_assert_status(&r, 0);
  out = strdup(r.out);
  rgs_run_free(&r);
  return out;
}

static void test_bash_completion(void **state)
{
  char *c;

  (void)state;
  if (access("/usr/share/bash-completion/bash_completion", R_OK) != 0 ||
      access("/bin/bash", X_OK) != 0)
    skip();
  c = complete("rgs-enroll wat");
  assert_string_equal(c, "watch\n");
  free(c);
  c = complete("rgs-enroll watch --on");
  assert_string_equal(c, "--once\n");
  free(c);
  c = complete("rgs-enroll --mod");
  assert_string_equal(c, "--module\n");
  free(c);
  c = complete("rgs-enroll --module x.so sta");
  assert_contains(c, "start\n");
  assert_contains(c, "status\n");
  free(c);
}

static void test_debian_package(void **state)
{
  const char *cpack = getenv("CPACK_COMMAND");
  char *dir = rgs_tmpdir(), config[700], deb[700], *p, *q;
  rgs_run_result r;
  size_t i;

  (void)state;
  if (cpack == NULL || access(cpack, X_OK) != 0 || access("/usr/bin/dpkg-deb", X_OK) != 0 ||
      access("/usr/bin/dpkg-shlibdeps", X_OK) != 0) {
    rgs_rmrf(dir);
    free(dir);
    skip();
  }
  snprintf(config, sizeof(config), "%s/CPackConfig.cmake", rgs_env("RGS_BUILD_DIR"));
  {
    const char *argv[] = { cpack, "-G", "DEB", "--config", config, "-B", dir, NULL };
    assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
    rgs_assert_status(&r, 0);
    p = strstr(r.out, "package: ");
    assert_non_null(p);
    p += strlen("package: ");
    q = strstr(p, " generated");
    assert_non_null(q);
    snprintf(deb, sizeof(deb), "%.*s", (int)(q - p), p);
    rgs_run_free(&r);
  }
  {
    const char *argv[] = { "/usr/bin/dpkg-deb", "--contents", deb, NULL };
    assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
    rgs_assert_status(&r, 0);
    for (i = 0; i < sizeof(installed) / sizeof(installed[0]); i++) {
      char want[300];
      snprintf(want, sizeof(want), "./usr/%s", installed[i]);
      assert_contains(r.out, want);
    }
    rgs_run_free(&r);
  }
  {
    const char *argv[] = { "/usr/bin/dpkg-deb", "--field", deb, "Package", "Depends", "Recommends", NULL };
    assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
    rgs_assert_status(&r, 0);
    assert_contains(r.out, "Package: rgs-enroll");
    assert_contains(r.out, "libsystemd0");
    assert_contains(r.out, "opensc-pkcs11");
    rgs_run_free(&r);
  }
  rgs_rmrf(dir);
  free(dir);
}

/* ---- the unit's SystemCallFilter=@system-service holds -------------------- */

#define MAX_NAMES 1024

typedef struct {
  char name[64];
  char group[64];            /* the group this line belongs to */
} filter_line;

/* Is name in group (expanded through the nested groups)? */
static int in_group(const filter_line *l, size_t n, const char *group, const char *name, int depth)
{
  size_t i;

  if (depth > 8)
    return 0;
  for (i = 0; i < n; i++) {
    if (strcmp(l[i].group, group) != 0)
      continue;
    if (l[i].name[0] == '@' ? in_group(l, n, l[i].name, name, depth + 1)
                            : strcmp(l[i].name, name) == 0)
      return 1;
  }
  return 0;
}

static void test_syscalls_within_unit_filter(void **state)
{
  const char *strace = "/usr/bin/strace";
  const char *sa = tool("SYSTEMD_ANALYZE", "/usr/bin/systemd-analyze");
  char trace[700], db[700], policy[700], rt_env[800], run[700];
  static filter_line lines[4096];
  size_t n_lines = 0;
  char used[MAX_NAMES][48];
  size_t n_used = 0, i;
  rgs_softhsm hsm;
  rgs_run_result r;
  char group[64] = "", *p, *text;

  (void)state;
  /* Sanitizers add system calls of their own. */
  if (access(strace, X_OK) != 0 || access(sa, X_OK) != 0 || getenv("RGS_SANITIZED") != NULL)
    skip();
  {
    const char *argv[] = { sa, "syscall-filter", NULL };
    assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
    rgs_assert_status(&r, 0);
    for (p = r.out; p != NULL && *p != '\0' && n_lines < 4096;) {
      char *nl = strchr(p, '\n'), word[64];
      if (nl != NULL)
        *nl = '\0';
      if (p[0] == '@' && sscanf(p, "%63s", group) == 1) {
        /* a group starts */
      } else if (p[0] == ' ' && sscanf(p, " %63s", word) == 1 && word[0] != '#' && group[0] != '\0') {
        snprintf(lines[n_lines].name, sizeof(lines[0].name), "%s", word);
        snprintf(lines[n_lines].group, sizeof(lines[0].group), "%s", group);
        n_lines++;
      }
      p = nl != NULL ? nl + 1 : NULL;
    }
    rgs_run_free(&r);
  }
  assert_true(n_lines > 100);

  /* The watcher and the step it runs (start --order) on SoftHSM2. */
  assert_int_equal(rgs_softhsm_init(&hsm, "Jean DUPONT"), 0);
  snprintf(db, sizeof(db), "%s/orders.db", hsm.dir);
  snprintf(trace, sizeof(trace), "%s/strace", hsm.dir);
  snprintf(run, sizeof(run), "%s/run", hsm.dir);
  assert_int_equal(mkdir(run, 0700), 0);
  snprintf(rt_env, sizeof(rt_env), "XDG_RUNTIME_DIR=%s", run);
  snprintf(policy, sizeof(policy), "%s/data/policy/demo-softhsm.conf", rgs_env("RGS_SOURCE_DIR"));
  {
    const char *env[] = { rt_env, "LC_ALL=C.UTF-8", NULL };
    assert_int_equal(rgs_enroll(&r, env, NULL, "--db", db, "order", "new", "--partner", "CMA",
                                "--validity", "2", "--holder-first-name", "Jean",
                                "--holder-last-name", "Dupont", "--email", "j@example.fr",
                                "--company", "BS AUTO", "--siren", "732829320", "--payment",
                                "virement", "--accept-cgu", NULL), 0);
    rgs_assert_status(&r, RGS_EXIT_OK);
    rgs_run_free(&r);
  }
  {
    const char *argv[] = { strace, "-f", "-qq", "-o", trace, rgs_env("RGS_ENROLL_BIN"), "--db", db,
                           "--module", rgs_env("SOFTHSM2_MODULE"), "--policy", policy,
                           "--pin-file", hsm.pin_file, "--json", "watch", "--order", "1", "--once",
                           "--timeout", "300", NULL };
    const char *env[] = { rt_env, "LC_ALL=C.UTF-8", NULL };
    assert_int_equal(rgs_run(argv, env, NULL, &r), 0);
    rgs_assert_status(&r, RGS_EXIT_OK);    /* strace exits with rgs-enroll's status */
    assert_contains(r.out, "\"outcome\":\"done\"");
    rgs_run_free(&r);
  }
  text = rgs_read_file(trace, NULL);
  assert_non_null(text);
  for (p = text; p != NULL && *p != '\0';) {
    char *nl = strchr(p, '\n'), name[48];
    const char *q = p;
    if (nl != NULL)
      *nl = '\0';
    while (*q >= '0' && *q <= '9')
      q++;
    while (*q == ' ')
      q++;
    if (strncmp(q, "<... ", 5) == 0)
      q += 5;
    if (sscanf(q, "%47[a-z0-9_]", name) == 1 && (q[strlen(name)] == '(' || q[strlen(name)] == ' ')) {
      for (i = 0; i < n_used && strcmp(used[i], name) != 0; i++)
        ;
      if (i == n_used && n_used < MAX_NAMES)
        snprintf(used[n_used++], sizeof(used[0]), "%s", name);
    }
    p = nl != NULL ? nl + 1 : NULL;
  }
  free(text);
  assert_true(n_used > 20);
  for (i = 0; i < n_used; i++)
    if (!in_group(lines, n_lines, "@system-service", used[i], 0))
      fail_msg("system call %s is outside SystemCallFilter=@system-service of the unit", used[i]);
  print_message("%zu system calls, all in @system-service\n", n_used);
  rgs_softhsm_cleanup(&hsm);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_unit_verifies),
    cmocka_unit_test(test_install_layout),
    cmocka_unit_test(test_bash_completion),
    cmocka_unit_test(test_debian_package),
    cmocka_unit_test(test_syscalls_within_unit_filter),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
