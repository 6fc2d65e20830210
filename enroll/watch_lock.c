/* SPDX-License-Identifier: BSD-3-Clause */
/* watch_lock.c - one enrolment step at a time per user: a lock file held
 * with flock while a step runs, holding the pid for the message of a
 * second watcher. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "watch.h"

const char *rgs_watch_lock_strerror(rgs_watch_lock_rc rc)
{
  switch (rc) {
  case RGS_WATCH_LOCK_OK: return _("the lock is held");
  case RGS_WATCH_LOCK_BUSY: return _("another enrolment step is running");
  case RGS_WATCH_LOCK_ERR_PATH: return _("cannot tell where the lock file goes");
  case RGS_WATCH_LOCK_ERR_SYSTEM: return _("cannot take the lock");
  }
  return _("cannot take the lock");
}

int rgs_watch_path_ok(const char *p)
{
  if (p == NULL || p[0] == '\0' || strlen(p) >= PATH_MAX)
    return 0;
  for (; *p != '\0'; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7F)
      return 0;
  return 1;
}

rgs_watch_lock_rc rgs_watch_lock_path(const char *db_path, char *buf, size_t len)
{
  const char *rt = getenv("XDG_RUNTIME_DIR");
  char dir[PATH_MAX];
  const char *slash;

  if (rt != NULL && rt[0] == '/' && rgs_watch_path_ok(rt)) {
    if (snprintf(dir, sizeof(dir), "%s/rgs-enroll", rt) >= (int)sizeof(dir))
      return RGS_WATCH_LOCK_ERR_PATH;
    if (mkdir(dir, 0700) == 0 || errno == EEXIST)
      return snprintf(buf, len, "%s/watch.lock", dir) < (int)len ? RGS_WATCH_LOCK_OK
                                                                 : RGS_WATCH_LOCK_ERR_PATH;
  }
  slash = db_path != NULL ? strrchr(db_path, '/') : NULL;
  if (slash != NULL && slash != db_path) {
    if (snprintf(buf, len, "%.*s/watch.lock", (int)(slash - db_path), db_path) < (int)len)
      return RGS_WATCH_LOCK_OK;
  }
  return snprintf(buf, len, "/tmp/rgs-enroll-%lu.lock", (unsigned long)getuid()) < (int)len
             ? RGS_WATCH_LOCK_OK
             : RGS_WATCH_LOCK_ERR_PATH;
}

/* The pid a holder wrote in the lock file, 0 when unknown. */
static long read_holder(int fd)
{
  char buf[32];
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

  if (n <= 0)
    return 0;
  buf[n] = '\0';
  return strtol(buf, NULL, 10);
}

rgs_watch_lock_rc rgs_watch_lock_take(const char *path, int *fd, long *holder, int *err)
{
  char buf[32];
  int n, lfd;

  *fd = -1;
  *holder = 0;
  *err = 0;
  lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lfd < 0) {
    *err = errno;
    return RGS_WATCH_LOCK_ERR_SYSTEM;
  }
  if (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
    *err = errno;
    *holder = read_holder(lfd);
    close(lfd);
    return *err == EWOULDBLOCK ? RGS_WATCH_LOCK_BUSY : RGS_WATCH_LOCK_ERR_SYSTEM;
  }
  n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
  if (ftruncate(lfd, 0) != 0 || pwrite(lfd, buf, (size_t)n, 0) != n) {
    /* The pid is only for the message of a second watcher. */
  }
  *fd = lfd;
  return RGS_WATCH_LOCK_OK;
}

void rgs_watch_lock_release(int fd)
{
  if (fd < 0)
    return;
  if (ftruncate(fd, 0) != 0) {
    /* nothing to do: the lock goes with the descriptor */
  }
  flock(fd, LOCK_UN);
  close(fd);
}
