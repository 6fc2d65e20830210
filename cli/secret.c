/* secret.c - sources of secrets other than the PIN (see secret.h). */
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
