/* cli_args.c - options that several commands parse alike (keygen and
 * start: the key; submit and renew: EST), so no command calls another
 * command's file. */
#include <getopt.h>
#include <string.h>
#include "rgs_common.h"
#include "cli.h"

int cli_keygen_opt(rgs_io *io, const char *command, rgs_keygen_opts *o, int c,
                   const char *arg, int *ret)
{
  long years = 0;
  size_t len;

  switch (c) {
  case 't': o->key_type = arg; return 1;
  case 'l':
    len = strlen(arg);
    /* CKA_LABEL has no fixed size, but tokens and their tools show 32 bytes. */
    if (len == 0 || len > 32 || !rgsx_utf8_valid(arg, len))
      *ret = rgs_usage_error(io, command, "%s", _("--label takes 1 to 32 bytes of UTF-8 text"));
    o->label = arg;
    return 1;
  case 'v':
    if (!rgs_parse_number(arg, 1, 3, &years))
      *ret = rgs_usage_error(io, command, "%s", _("--validity-years must be 1, 2 or 3"));
    else
      o->validity_years = (int)years;
    return 1;
  default:
    return 0;
  }
}
