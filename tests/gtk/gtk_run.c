/* SPDX-License-Identifier: BSD-3-Clause */
/* gtk_run.c - the window tests' shared driver (gtk_run.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gtk_run.h"

static int next_server;

int rgs_gtk_tools(void)
{
  static const char *const vars[] = { "RGS_XVFB_RUN", "RGS_DBUS_RUN_SESSION", "RGS_GTK_PYTHON",
                                      "RGS_GTK_HAVE_PYATSPI", "RGS_GTK_IMPORT" };
  size_t i;
  const char *v;

  for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
    v = getenv(vars[i]);
    if (v == NULL || v[0] == '\0' || strstr(v, "NOTFOUND") != NULL) {
      printf("skipped: %s not found (xvfb, dbus, python3-pyatspi, imagemagick)\n", vars[i]);
      return 77;
    }
  }
  return 0;
}

size_t rgs_gtk_env(rgs_gtk_envbuf *buf, const char **env, const char *tokdir, const char *lang)
{
  size_t n = 0;
  char home[700];

  snprintf(home, sizeof(home), "%s/home", tokdir);
  mkdir(home, 0700);
  snprintf(buf->s[n], sizeof(buf->s[n]), "HOME=%s", home); n++;
  snprintf(buf->s[n], sizeof(buf->s[n]), "XDG_DATA_HOME=%s/data", home); n++;
  snprintf(buf->s[n], sizeof(buf->s[n]), "RGS_FAULT_PIN_STATE=%s/user-pin", tokdir); n++;
  snprintf(buf->s[n], sizeof(buf->s[n]), "RGS_FAULT_COUNT_FILE=%s/calls", tokdir); n++;
  snprintf(buf->s[n], sizeof(buf->s[n]), "RGS_ENROLL_POLICY=%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR")); n++;
  snprintf(buf->s[n], sizeof(buf->s[n]), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE")); n++;
  snprintf(buf->s[n], sizeof(buf->s[n]), "RGS_ENROLL_MODULE=%s", rgs_env("RGS_FAULT_MODULE")); n++;
  snprintf(buf->s[n], sizeof(buf->s[n]), "RGS_ENROLL_LOCALEDIR=%s", rgs_env("RGS_GTK_LOCALEDIR")); n++;
  snprintf(buf->s[n], sizeof(buf->s[n]), "LANGUAGE=%s", lang); n++;
  for (size_t i = 0; i < n; i++)
    env[i] = buf->s[i];
  env[n++] = "LC_ALL=C.UTF-8";
  /* The cairo renderer: no GL under Xvfb, and less CPU on two cores. */
  env[n++] = "GSK_RENDERER=cairo";
  /* Under ASan, GTK's own libraries (fontconfig, GL loaders dlclosed
   * since) leave allocations LeakSanitizer cannot name or suppress:
   * leaks are not checked in the window's run; ASan's other checks are. */
  env[n++] = "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:detect_odr_violation=0";
  env[n] = NULL;
  return n;
}

int rgs_gtk_person(rgs_run_result *r, const char *const *env, const char *script,
                   const char *const *args)
{
  const char *argv[32];
  char server[32], path[700];
  size_t n = 0, i;
  int rc;

  snprintf(path, sizeof(path), "%s/tests/gtk/%s", rgs_env("RGS_SOURCE_DIR"), script);
  argv[n++] = rgs_env("RGS_XVFB_RUN");
  argv[n++] = "-a";
  /* -a starts from this number: never the one the previous run's server
   * has just left (xvfb-run would take it while that server still exits,
   * and the window would meet the dying server). */
  snprintf(server, sizeof(server), "--server-num=%d",
           100 + (int)(getpid() % 300) + next_server++ * 7);
  argv[n++] = server;
  /* No server reset when the last client leaves (the display probe of
   * rgsg_person.py is one): Debian 12's Xvfb may exit on that reset. */
  argv[n++] = "--server-args=-screen 0 1280x1024x24 -noreset";
  argv[n++] = rgs_env("RGS_DBUS_RUN_SESSION");
  argv[n++] = "--";
  argv[n++] = rgs_env("RGS_GTK_PYTHON");
  argv[n++] = path;
  for (i = 0; args[i] != NULL && n < sizeof(argv) / sizeof(argv[0]) - 1; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  rc = rgs_run(argv, env, NULL, r);
  if (rc == 0) {
    printf("%s\n", r->out);
    if (r->status != 0)
      fprintf(stderr, "%s\n", r->err);
  }
  return rc;
}

void rgs_gtk_record_order(const char *const *env)
{
  rgs_run_result r;

  assert_int_equal(rgs_enroll(&r, env, NULL, "--json", "order", "new", "--partner", "cma",
                              "--holder-first-name", "Jean", "--holder-last-name", "Dupont",
                              "--email", "jean@example.fr", "--company", "Boulangerie Dupont",
                              "--siren", "732829320", "--payment", "carte", "--accept-cgu", NULL),
                   0);
  if (r.status != 0)
    fail_msg("order new failed: %s%s", r.out, r.err);
  rgs_run_free(&r);
}

void rgs_gtk_aed_datadir(const char *dir, const char *aed_ca, char *out, size_t n)
{
  static const char *const subs[] = { "policy", "aed" };
  char conf[1600], link[700], target[700], path[700];
  size_t i;

  snprintf(out, n, "%s/data", dir);
  mkdir(out, 0755);
  snprintf(path, sizeof(path), "%s/aed-trust", out);
  mkdir(path, 0755);
  for (i = 0; i < 2; i++) {
    snprintf(link, sizeof(link), "%s/%s", out, subs[i]);
    snprintf(target, sizeof(target), "%s/data/%s", rgs_env("RGS_SOURCE_DIR"), subs[i]);
    assert_int_equal(symlink(target, link), 0);
  }
  snprintf(conf, sizeof(conf),
           "[aed \"DEMO: the test AED office\"]\nissuer-file = %s\npolicy = %s\ndemo = yes\n",
           aed_ca, "2.25.274948067526918018299264828686314218659");
  snprintf(path, sizeof(path), "%s/aed-trust/aed-trust.conf", out);
  assert_int_equal(rgs_write_file(path, conf), 0);
}
