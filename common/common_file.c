/* SPDX-License-Identifier: BSD-3-Clause */
/* common_file.c - opening files that must be regular files. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rgs_common.h"

int rgsx_open_regular(const char *path, rgsx_rc *rc)
{
  struct stat st;
  int fd, flags, saved;

  if (path == NULL) {
    *rc = RGSX_ERR_ARG;
    errno = EINVAL;
    return -1;
  }
  /* O_NONBLOCK: opening a FIFO without a writer must not wait; it is
   * refused below, before any read. */
  fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    *rc = RGSX_ERR_SYSTEM;
    return -1;
  }
  if (fstat(fd, &st) != 0) {
    *rc = RGSX_ERR_SYSTEM;
    goto fail;
  }
  if (!S_ISREG(st.st_mode)) {
    *rc = RGSX_ERR_NOT_REGULAR;
    errno = EINVAL;
    goto fail;
  }
  flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    *rc = RGSX_ERR_SYSTEM;
    goto fail;
  }
  *rc = RGSX_OK;
  return fd;

fail:
  saved = errno;
  close(fd);
  errno = saved;
  return -1;
}

FILE *rgsx_fopen_regular(const char *path, rgsx_rc *rc)
{
  int fd = rgsx_open_regular(path, rc);
  FILE *f;
  int saved;

  if (fd < 0)
    return NULL;
  f = fdopen(fd, "rb");
  if (f == NULL) {
    saved = errno;
    close(fd);
    errno = saved;
    *rc = errno == ENOMEM ? RGSX_ERR_NOMEM : RGSX_ERR_SYSTEM;
  }
  return f;
}
