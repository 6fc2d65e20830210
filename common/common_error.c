/* SPDX-License-Identifier: BSD-3-Clause */
/* common_error.c - results of the shared helpers and their meaning. */
#include <libintl.h>
#include <stdarg.h>
#include <stdio.h>
#include "rgs_common.h"
#include "common_internal.h"

const char *rgsx_strerror(rgsx_rc rc)
{
  /* No default: -Wall names any value someone forgets here. */
  switch (rc) {
  case RGSX_OK: return _("success");
  case RGSX_ERR_NOMEM: return _("out of memory");
  case RGSX_ERR_ARG: return _("invalid argument");
  case RGSX_ERR_NOT_REGULAR: return _("not a regular file (a pipe, a device or a directory): refused so as not to wait forever");
  case RGSX_ERR_SYSTEM: return _("system error");
  }
  return _("unknown error");
}

void rgsx_errf(char *err, size_t errlen, const char *fmt, ...)
{
  va_list ap;

  if (err == NULL || errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}
