/* SPDX-License-Identifier: BSD-3-Clause */
/* browsers_find.c - where the browsers' NSS databases are, whether a browser
 * runs on them, and which module to register (browsers.h). No NSS here:
 * its pkcs11t.h and p11-kit's pkcs11.h do not go in one file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "browsers.h"
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgs_p11.h"

#ifndef RGS_P11KIT_PROXY
#define RGS_P11KIT_PROXY "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so"
#endif

const char *rgs_browsers_strerror(rgs_browsers_rc rc)
{
  switch (rc) {
  case RGS_BROWSERS_OK:
    return _("done");
  case RGS_BROWSERS_ERR_NOMEM:
    return _("out of memory");
  case RGS_BROWSERS_ERR_ARG:
    return _("internal error: invalid argument");
  case RGS_BROWSERS_ERR_HOME:
    return _("no home directory: set HOME");
  case RGS_BROWSERS_ERR_CREATE:
    return _("Chromium's certificate database folder could not be made");
  case RGS_BROWSERS_ERR_OPEN:
    return _("the browser's certificate database could not be opened");
  case RGS_BROWSERS_ERR_WRITE:
    return _("the browser's certificate database could not be written");
  case RGS_BROWSERS_ERR_LOAD:
    return _("the browser's security library could not load the token's module");
  case RGS_BROWSERS_ERR_RUNNING:
    return _("Firefox is running on this profile: nothing was changed; close Firefox, then run "
             "the command again");
  case RGS_BROWSERS_ERR_SANDBOXED:
    return _("this Firefox runs in a sandbox (snap or flatpak) that cannot load this "
             "computer's token module: nothing was changed");
  case RGS_BROWSERS_ERR_REGISTRY:
    return _("p11-kit's list of modules could not be read");
  }
  return "?";
}

const char *rgs_browser_kind_name(rgs_browser_kind kind)
{
  switch (kind) {
  case RGS_BROWSER_CHROMIUM:
    return "chromium";
  case RGS_BROWSER_FIREFOX:
    return "firefox";
  }
  return "?";
}

const char *rgs_browser_outcome_name(rgs_browser_outcome o)
{
  switch (o) {
  case RGS_BROWSER_ADDED:
    return "added";
  case RGS_BROWSER_REPLACED:
    return "replaced";
  case RGS_BROWSER_ALREADY:
    return "already";
  case RGS_BROWSER_THEIRS:
    return "theirs";
  case RGS_BROWSER_REMOVED:
    return "removed";
  case RGS_BROWSER_ABSENT:
    return "absent";
  case RGS_BROWSER_SKIPPED:
    return "skipped";
  case RGS_BROWSER_FAILED:
    return "failed";
  }
  return "?";
}

/* ---- is a browser running on it ------------------------------------------ */

/* A process of that id exists (EPERM: it does, under another user). */
static int pid_alive(long pid)
{
  return pid > 0 && pid <= INT_MAX && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* The number after the last `sep` of a symbolic link's target ("1.2.3.4:+4242",
 * "host-4242"), 0 when none. */
static long link_pid(const char *path, char sep)
{
  char target[256];
  ssize_t len = readlink(path, target, sizeof(target) - 1);
  const char *p;
  char *end = NULL;
  long pid;

  if (len <= 0)
    return 0;
  target[len] = '\0';
  p = strrchr(target, sep);
  if (p == NULL)
    return 0;
  p++;
  if (*p == '+')
    p++;
  errno = 0;
  pid = strtol(p, &end, 10);
  return errno == 0 && end != p && *end == '\0' ? pid : 0;
}

/* Firefox holds an fcntl lock on .parentlock while it runs, and leaves a
 * symbolic link "lock" -> "IP:+PID" (stale after a crash: the process is
 * looked for). */
static int firefox_running(const char *profile_dir)
{
  char path[PATH_MAX];
  struct flock fl;
  int fd, held = 0;

  snprintf(path, sizeof(path), "%s/.parentlock", profile_dir);
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    held = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    close(fd);
  }
  snprintf(path, sizeof(path), "%s/lock", profile_dir);
  return held || pid_alive(link_pid(path, ':'));
}

/* Chromium and Chrome leave SingletonLock -> "hostname-PID" while they run. */
static int chromium_running(const char *home)
{
  static const char *const dirs[] = { ".config/chromium", ".config/google-chrome" };
  char path[PATH_MAX];
  size_t i;

  for (i = 0; i < RGS_ARRAY_LEN(dirs); i++) {
    snprintf(path, sizeof(path), "%s/%s/SingletonLock", home, dirs[i]);
    if (pid_alive(link_pid(path, '-')))
      return 1;
  }
  return 0;
}

/* ---- the list ------------------------------------------------------------ */

void rgs_browsers_free(rgs_browser_db *list, size_t n)
{
  size_t i;

  if (list == NULL)
    return;
  for (i = 0; i < n; i++) {
    free(list[i].profile);
    free(list[i].dir);
  }
  free(list);
}

typedef struct {
  rgs_browser_db *v;
  size_t n, cap;
} db_list;

static int is_dir(const char *path)
{
  struct stat st;

  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int has_nss_db(const char *dir)
{
  char path[PATH_MAX];

  snprintf(path, sizeof(path), "%s/cert9.db", dir);
  return access(path, F_OK) == 0;
}

/* Take dir and profile (both malloc'd, freed on failure). */
static rgs_browsers_rc push(db_list *l, rgs_browser_kind kind, char *profile, char *dir)
{
  rgs_browser_db *v;

  if (dir != NULL && l->n == l->cap) {
    v = reallocarray(l->v, l->cap * 2 + 4, sizeof(*v));
    if (v == NULL) {
      free(dir);
      dir = NULL;
    } else {
      l->v = v;
      l->cap = l->cap * 2 + 4;
    }
  }
  if (dir == NULL) {
    free(profile);
    return RGS_BROWSERS_ERR_NOMEM;
  }
  memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
  l->v[l->n].kind = kind;
  l->v[l->n].profile = profile;
  l->v[l->n].dir = dir;
  l->v[l->n].exists = has_nss_db(dir);
  l->n++;
  return RGS_BROWSERS_OK;
}

/* One [Profile...] section read: its directory added when it exists. */
static rgs_browsers_rc end_section(db_list *l, const char *ini_dir, char **name, char **path,
                                   int relative, int sandboxed)
{
  char *dir = NULL;
  rgs_browsers_rc rc = RGS_BROWSERS_OK;

  if (*path != NULL) {
    if (relative || (*path)[0] != '/') {
      if (asprintf(&dir, "%s/%s", ini_dir, *path) < 0)
        dir = NULL;
    } else {
      dir = strdup(*path);
    }
    if (dir == NULL) {
      rc = RGS_BROWSERS_ERR_NOMEM;
    } else if (!is_dir(dir)) {
      free(dir);     /* a profile removed by hand: no database to serve */
    } else {
      rc = push(l, RGS_BROWSER_FIREFOX, *name, dir);
      *name = NULL;  /* taken by push, or freed */
      if (rc == RGS_BROWSERS_OK) {
        l->v[l->n - 1].running = firefox_running(dir);
        l->v[l->n - 1].sandboxed = sandboxed;
      }
    }
  }
  free(*name);
  free(*path);
  *name = *path = NULL;
  return rc;
}

static void chomp(char *line)
{
  size_t len = strlen(line);

  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    line[--len] = '\0';
}

/* The profiles of one profiles.ini (absent: none). */
static rgs_browsers_rc read_profiles_ini(db_list *l, const char *ini_dir, int sandboxed)
{
  char path[PATH_MAX], line[PATH_MAX + 32];
  char *name = NULL, *ppath = NULL;
  int in_profile = 0, relative = 1;
  rgs_browsers_rc rc = RGS_BROWSERS_OK;
  FILE *f;

  rgsx_rc frc;

  /* A directory path that long holds no profile NSS could open. */
  if (snprintf(path, sizeof(path), "%s/profiles.ini", ini_dir) >= (int)sizeof(path))
    return RGS_BROWSERS_OK;
  /* A FIFO or a device put there must not block the command. */
  f = rgsx_fopen_regular(path, &frc);
  if (f == NULL)
    return RGS_BROWSERS_OK;
  while (rc == RGS_BROWSERS_OK && fgets(line, sizeof(line), f) != NULL) {
    chomp(line);
    if (line[0] == '[') {
      rc = end_section(l, ini_dir, &name, &ppath, relative, sandboxed);
      in_profile = strncmp(line, "[Profile", 8) == 0;
      relative = 1;
    } else if (in_profile && strncmp(line, "Name=", 5) == 0 && name == NULL) {
      name = strdup(line + 5);
    } else if (in_profile && strncmp(line, "Path=", 5) == 0 && ppath == NULL) {
      ppath = strdup(line + 5);
    } else if (in_profile && strncmp(line, "IsRelative=", 11) == 0) {
      relative = strcmp(line + 11, "0") != 0;
    }
  }
  if (rc == RGS_BROWSERS_OK)
    rc = end_section(l, ini_dir, &name, &ppath, relative, sandboxed);
  free(name);
  free(ppath);
  fclose(f);
  return rc;
}

rgs_browsers_rc rgs_browsers_find(const char *home, rgs_browser_db **out, size_t *n)
{
  static const struct {
    const char *dir;
    int sandboxed;
  } firefox[] = { { ".mozilla/firefox", 0 },
                  { "snap/firefox/common/.mozilla/firefox", 1 },
                  { ".var/app/org.mozilla.firefox/.mozilla/firefox", 1 } };
  db_list l = { NULL, 0, 0 };
  char dir[PATH_MAX];
  char *chromium = NULL;
  rgs_browsers_rc rc;
  size_t i;

  if (out == NULL || n == NULL)
    return RGS_BROWSERS_ERR_ARG;
  *out = NULL;
  *n = 0;
  if (home == NULL || home[0] != '/')
    return RGS_BROWSERS_ERR_HOME;
  if (asprintf(&chromium, "%s/.pki/nssdb", home) < 0)
    return RGS_BROWSERS_ERR_NOMEM;
  rc = push(&l, RGS_BROWSER_CHROMIUM, NULL, chromium);
  if (rc == RGS_BROWSERS_OK)
    l.v[0].running = chromium_running(home);
  for (i = 0; rc == RGS_BROWSERS_OK && i < RGS_ARRAY_LEN(firefox); i++) {
    snprintf(dir, sizeof(dir), "%s/%s", home, firefox[i].dir);
    rc = read_profiles_ini(&l, dir, firefox[i].sandboxed);
  }
  if (rc != RGS_BROWSERS_OK) {
    rgs_browsers_free(l.v, l.n);
    return rc;
  }
  *out = l.v;
  *n = l.n;
  return RGS_BROWSERS_OK;
}

/* ---- which module -------------------------------------------------------- */

void rgs_browsers_module_free(rgs_browsers_module *m)
{
  if (m == NULL)
    return;
  free(m->library);
  free(m->name);
  free(m->token_module);
  memset(m, 0, sizeof(*m));
}

/* realpath, else a copy: two names of one file compare equal. */
static char *canonical(const char *path)
{
  char *r = realpath(path, NULL);

  return r != NULL ? r : strdup(path);
}

/* 1 when path is one of the modules registered with p11-kit. */
static rgs_browsers_rc in_registry(const char *path, int *found, char *errbuf, size_t errlen)
{
  rgs_p11_registered *list = NULL;
  size_t n = 0, i;
  char *c;

  *found = 0;
  if (rgs_p11_registered_list(&list, &n, errbuf, errlen) != RGS_P11_OK)
    return RGS_BROWSERS_ERR_REGISTRY;
  for (i = 0; i < n && !*found; i++) {
    c = canonical(list[i].path);
    *found = c != NULL && strcmp(c, path) == 0;
    free(c);
  }
  rgs_p11_registered_free(list, n);
  return RGS_BROWSERS_OK;
}

/* "librgsfaultp11 (rgs-enroll)" for /x/librgsfaultp11.so. */
static char *direct_name(const char *path)
{
  const char *base = strrchr(path, '/');
  size_t len;
  char *name = NULL;

  base = base != NULL ? base + 1 : path;
  len = strcspn(base, ".");
  if (len == 0 || len > 64)
    len = strlen(base) > 64 ? 64 : strlen(base);
  if (asprintf(&name, "%.*s%s", (int)len, base, RGS_BROWSERS_MARK) < 0)
    return NULL;
  return name;
}

rgs_browsers_rc rgs_browsers_choose(const char *token_module, const char *proxy_path,
                                    rgs_browsers_module *m, char *errbuf, size_t errlen)
{
  rgs_browsers_rc rc;
  int registered = 0;

  rgsx_errf(errbuf, errlen, "%s", "");
  if (token_module == NULL || m == NULL)
    return RGS_BROWSERS_ERR_ARG;
  memset(m, 0, sizeof(*m));
  if (proxy_path == NULL)
    proxy_path = RGS_P11KIT_PROXY;
  m->token_module = canonical(token_module);
  if (m->token_module == NULL)
    return RGS_BROWSERS_ERR_NOMEM;
  if (access(proxy_path, R_OK) == 0) {
    rc = in_registry(m->token_module, &registered, errbuf, errlen);
    if (rc != RGS_BROWSERS_OK)
      goto fail;
  }
  m->proxy = registered;
  m->library = strdup(registered ? proxy_path : token_module);
  m->name = registered ? strdup("p11-kit-proxy" RGS_BROWSERS_MARK) : direct_name(token_module);
  if (m->library != NULL && m->name != NULL)
    return RGS_BROWSERS_OK;
  rc = RGS_BROWSERS_ERR_NOMEM;
fail:
  rgs_browsers_module_free(m);
  return rc;
}
