/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_remind.c - rgs-enroll remind: the daily expiry reminder that a
 * systemd user timer runs (udev/rgs-enroll-remind.timer). The workflow is
 * enroll/remind.h; this file parses the options and runs it. */
#include <getopt.h>
#include <string.h>
#include "commands.h"
#include "remind.h"

static void usage(void)
{
  printf("%s\n", _("Usage: rgs-enroll remind [--no-notify]\n"
                   "Say, once, when an installed certificate of the order store comes within\n"
                   "90, 30, 7 and 1 day(s) of its end, and once after it has ended: a desktop\n"
                   "notification and a line in the journal say what to do (order the renewal on\n"
                   "the Certigna portal, or rgs-enroll renew where the certificate came over EST).\n"
                   "Nothing is said when no certificate is near its end. A systemd user timer\n"
                   "(rgs-enroll-remind.timer) runs it every day:\n"
                   "  systemctl --user enable --now rgs-enroll-remind.timer\n"
                   "  --no-notify   no desktop notification (the journal/stderr only)\n"
                   "See also: rgs-enroll status --expiring DAYS."));
}

enum { OPT_NO_NOTIFY = 1, OPT_HELP };

static int parse(const rgs_io *io, int argc, char **argv, rgs_remind_opts *o, int *help)
{
  static const struct option opts[] = {
    { "no-notify", no_argument, NULL, OPT_NO_NOTIFY },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
  };
  int c;

  memset(o, 0, sizeof(*o));
  o->desktop = 1;
  *help = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case OPT_NO_NOTIFY:
      o->desktop = 0;
      break;
    case OPT_HELP:
    case 'h':
      *help = 1;
      return RGS_EXIT_OK;
    default:
      return rgs_usage_error(io, "remind", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind < argc)
    return rgs_usage_error(io, "remind", _("unexpected argument '%s'"), argv[optind]);
  return RGS_EXIT_OK;
}

int cli_cmd_remind(rgs_io *io, int argc, char **argv)
{
  rgs_remind_opts o;
  int ret, help;

  ret = parse(io, argc, argv, &o, &help);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (help) {
    usage();
    return RGS_EXIT_OK;
  }
  return rgs_remind_run(io, &o);
}
