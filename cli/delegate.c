/* SPDX-License-Identifier: BSD-3-Clause */
/* delegate.c - the lean rgs-enroll hands the commands that need the heavy
 * libraries (libcurl, libp11, cairo, libsystemd) to rgs-enroll-full.
 *
 * execv, not a shell: the command line is passed on as it was typed, file
 * descriptors (--pin-fd, --code-fd) stay open, and the exit status is the
 * full binary's own. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"

#ifndef RGS_LIBEXECDIR
#define RGS_LIBEXECDIR "/usr/local/libexec/rgs-enroll"
#endif

/* Beside this binary (a build tree), else ../libexec/rgs-enroll/ from it
 * (an installed prefix, wherever it was moved), else the configured path. */
static const char *full_path(char *buf, size_t len)
{
  static const char *const rel[] = { "/rgs-enroll-full", "/../libexec/rgs-enroll/rgs-enroll-full" };
  const char *env = getenv("RGS_ENROLL_FULL");
  char dir[PATH_MAX];
  ssize_t n;
  char *slash;
  size_t i;

  if (env != NULL && env[0] != '\0')
    return env;
  n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
  if (n > 0) {
    dir[n] = '\0';
    slash = strrchr(dir, '/');
    if (slash != NULL)
      *slash = '\0';
    for (i = 0; slash != NULL && i < sizeof(rel) / sizeof(rel[0]); i++)
      if (snprintf(buf, len, "%s%s", dir, rel[i]) < (int)len && access(buf, X_OK) == 0)
        return buf;
  }
  return RGS_LIBEXECDIR "/rgs-enroll-full";
}

int cli_cmd_delegate(rgs_io *io, int argc, char **argv)
{
  char buf[PATH_MAX];
  const char *path = full_path(buf, sizeof(buf));

  (void)argc;
  execv(path, io->argv_all);
  return rgs_fail(io, argv[0], RGS_EXIT_INTERNAL,
                  _("this command is in rgs-enroll-full, which could not be run"), path);
}
