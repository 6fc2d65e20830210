/* SPDX-License-Identifier: BSD-3-Clause */
/* cli_estargs.c - the EST arguments submit and renew share. */
#include <getopt.h>
#include "cli.h"
#include "estflow.h"
#include "orders.h"

int cli_seconds_arg(const rgs_io *io, const char *command, const char *option,
                    const char *text, long max, long *out)
{
  if (!rgs_parse_number(text, 1, max, out))
    return rgs_usage_error(io, command, _("%s needs 1 to %ld seconds, not '%s'"), option, max,
                           text);
  return RGS_EXIT_OK;
}

int cli_est_tail_args(const rgs_io *io, const char *command, int argc, char **argv,
                      long long *id, const char **est, char *url, size_t url_len)
{
  char why[256];
  int ret;

  if (optind >= argc)
    return rgs_usage_error(io, command, "%s", _("the order number is required"));
  ret = rgs_parse_order_id(io, command, argv[optind++], id);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (optind < argc)
    return rgs_usage_error(io, command, _("unexpected argument '%s'"), argv[optind]);
  if (*est == NULL)
    return RGS_EXIT_OK;
  if (rgs_est_url_canon(*est, url, url_len, why, sizeof(why)) != RGS_EST_OK)
    return rgs_usage_error(io, command, "%s", why);
  *est = url;
  return RGS_EXIT_OK;
}
