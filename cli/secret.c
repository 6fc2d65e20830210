/* SPDX-License-Identifier: BSD-3-Clause */
/* secret.c - sources of secrets other than the PIN (see secret.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "secret.h"

int cli_secret_fd_arg(const rgs_io *io, const char *command, const char *option,
                      const char *arg, cli_secret_opt *o)
{
  long fd;

  if (!rgs_parse_number(arg, 0, 1 << 20, &fd))
    return rgs_usage_error(io, command, _("%s needs a file descriptor number, not '%s'"),
                           option, arg);
  o->fd = (int)fd;
  return RGS_EXIT_OK;
}

int cli_secret_check(const rgs_io *io, const char *command, const char *name,
                     const cli_secret_opt *o)
{
  if (o->file != NULL && o->fd >= 0)
    return rgs_usage_error(io, command, _("--%s-file and --%s-fd exclude each other"), name,
                           name);
  return RGS_EXIT_OK;
}

void cli_secret_source(rgs_p11_pin_source *src, const rgs_p11_pin_source *base,
                       const cli_secret_opt *o)
{
  *src = *base;
  src->prompt = NULL;
  src->path = o->file;
  src->fd = o->fd;
  src->from = o->file != NULL ? RGS_PIN_FROM_FILE : o->fd >= 0 ? RGS_PIN_FROM_FD : RGS_PIN_FROM_TTY;
  if (src->from != RGS_PIN_FROM_TTY)
    src->confirm_final_try = NULL;
}

/* 1 when the first line of the regular file path is empty (the PIN
 * reader's own sentence for it speaks of a PIN). */
static int first_line_empty(const char *path)
{
  rgsx_rc rc = RGSX_OK;
  FILE *f = rgsx_fopen_regular(path, &rc);
  int c;

  if (f == NULL)
    return 0;
  c = fgetc(f);
  fclose(f);
  return c == EOF || c == '\n' || c == '\r';
}

int cli_secret_read_line(const rgs_io *io, const char *command, const char *name,
                         const cli_secret_opt *o, size_t cap, char **out)
{
  rgs_p11_pin_source src;
  char message[128], why[512], where[512];
  char *buf = NULL;
  size_t len = 0;
  rgs_p11_rc rc;
  int ret;

  *out = NULL;
  if (o->file == NULL && o->fd < 0)
    return RGS_EXIT_OK;
  buf = calloc(1, cap);
  if (buf == NULL)
    return rgs_fail(io, command, RGS_EXIT_INTERNAL, rgsx_strerror(RGSX_ERR_NOMEM), NULL);
  /* The PIN reader: a regular file or a descriptor, its first line, a
   * byte-order mark and CR/LF dropped, other encodings refused. */
  memset(&src, 0, sizeof(src));
  src.from = o->file != NULL ? RGS_PIN_FROM_FILE : RGS_PIN_FROM_FD;
  src.path = o->file;
  src.fd = o->fd;
  rc = rgs_p11_pin_read_why(&src, NULL, buf, cap, &len, why, sizeof(why));
  if (rc == RGS_P11_OK) {
    *out = buf;
    return RGS_EXIT_OK;
  }
  /* why never quotes the secret. */
  if (o->file != NULL && first_line_empty(o->file))
    snprintf(why, sizeof(why), _("the first line of %s is empty"),
             rgsx_sanitize_buf(where, sizeof(where), o->file, strlen(o->file)));
  snprintf(message, sizeof(message), o->file != NULL ? _("--%s-file: could not be read")
                                                     : _("--%s-fd: could not be read"), name);
  ret = rgs_fail(io, command, RGS_EXIT_IO, message, why[0] != '\0' ? why : NULL);
  rgsx_wipe(buf, cap);
  free(buf);
  return ret;
}
