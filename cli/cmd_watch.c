/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_watch.c - rgs-enroll watch: the token is plugged in, the enrolment
 * goes on where it stands. The watcher itself (the event loop, the plan,
 * the lock, the step's process, the notifications) is the library of
 * enroll/watch.h; this file parses the options, runs it, and reports each
 * token handled (one JSON document per token under --json). */
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "watch.h"

static void usage(void)
{
  printf("%s\n", _("Usage: rgs-enroll watch [--once] [--timeout SECONDS] [--dry-run] [--no-notify]\n"
                   "                        [--no-udev] [--askpass PROGRAM] [--poll-max MS] [--order N]\n"
                   "                        [--window PROGRAM]\n"
                   "Wait for a token to be plugged in and take the enrolment where it stands.\n"
                   "A token belongs to an order by the serial recorded with the order's request\n"
                   "or by the request's key: its issued certificate is installed (install), or\n"
                   "the next step is told. A token delivered by the CA is checked (check\n"
                   "--delivered). A token that belongs to no order is never used: with one order\n"
                   "awaiting a key, the command to make it is proposed. Tokens already present\n"
                   "count as plugged in.\n"
                   "  --order N          a token that belongs to no order is for order N: it gets\n"
                   "                     its key pair if the order awaits one (start)\n"
                   "  --once             handle the tokens of the first insertion, then exit\n"
                   "  --timeout SECONDS  stop after that long (with --once: exit 4 if no token came)\n"
                   "  --dry-run          say what would be done, do nothing\n"
                   "  --no-notify        no desktop notification (the journal/stderr only)\n"
                   "  --no-udev          do not listen to udev; poll the PKCS#11 module only\n"
                   "  --askpass PROGRAM  ask the PIN with PROGRAM when there is no terminal\n"
                   "                     (default: $RGS_ENROLL_ASKPASS, else $SSH_ASKPASS)\n"
                   "  --poll-max MS      longest pause between two polls of the module (default 150)\n"
                   "  --window PROGRAM   the window the notification opens at the order's step\n"
                   "                     (default: rgs-enroll-gtk beside rgs-enroll, else in PATH)\n"
                   "One step runs at a time: a second watcher leaves the token to the first."));
}

typedef struct {
  rgs_watch_opts w;
  int help;
} watch_cli_opts;

enum { OPT_ONCE = 1, OPT_TIMEOUT, OPT_DRY_RUN, OPT_NO_NOTIFY, OPT_NO_UDEV, OPT_ASKPASS,
       OPT_POLL_MAX, OPT_TRACE, OPT_ORDER, OPT_WINDOW, OPT_HELP };

/* One option that takes a value; RGS_EXIT_OK or a usage error. */
static int parse_value(const rgs_io *io, int c, const char *value, rgs_watch_opts *w)
{
  long n = 0;

  switch (c) {
  case OPT_TIMEOUT:
    if (!rgs_parse_number(value, 1, 7 * 24 * 3600, &w->timeout_s))
      return rgs_usage_error(io, "watch", _("--timeout needs seconds (1 or more), not '%s'"), value);
    break;
  case OPT_POLL_MAX:
    if (!rgs_parse_number(value, 25, 60000, &w->poll_max_ms))
      return rgs_usage_error(io, "watch", _("--poll-max needs milliseconds (25 to 60000), not '%s'"), value);
    break;
  case OPT_ASKPASS:
    if (!rgs_watch_askpass_ok(value))
      return rgs_usage_error(io, "watch", _("--askpass needs the absolute path of a program, not '%s'"), value);
    w->askpass = value;
    break;
  case OPT_ORDER:
    if (!rgs_parse_number(value, 1, LONG_MAX, &n))
      return rgs_usage_error(io, "watch", _("--order needs an order number, not '%s'"), value);
    w->order = n;
    break;
  case OPT_WINDOW:
    if (!rgs_watch_askpass_ok(value))
      return rgs_usage_error(io, "watch", _("--window needs the absolute path of a program, not '%s'"), value);
    w->window = value;
    break;
  case OPT_TRACE:
    if (!rgs_watch_path_ok(value))
      return rgs_usage_error(io, "watch", _("bad path '%s'"), value);
    w->trace = value;
    break;
  default:
    break;
  }
  return RGS_EXIT_OK;
}

static int parse(const rgs_io *io, int argc, char **argv, watch_cli_opts *o)
{
  static const struct option opts[] = {
    { "once", no_argument, NULL, OPT_ONCE },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "dry-run", no_argument, NULL, OPT_DRY_RUN },
    { "no-notify", no_argument, NULL, OPT_NO_NOTIFY },
    { "no-udev", no_argument, NULL, OPT_NO_UDEV },
    { "askpass", required_argument, NULL, OPT_ASKPASS },
    { "poll-max", required_argument, NULL, OPT_POLL_MAX },
    { "trace", required_argument, NULL, OPT_TRACE },   /* bench/: timestamps */
    { "order", required_argument, NULL, OPT_ORDER },
    { "window", required_argument, NULL, OPT_WINDOW },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
  };
  int c, ret;

  memset(o, 0, sizeof(*o));
  o->w.desktop = 1;
  o->w.use_udev = 1;
  o->w.poll_max_ms = 150;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case OPT_ONCE: o->w.once = 1; break;
    case OPT_DRY_RUN: o->w.dry_run = 1; break;
    case OPT_NO_NOTIFY: o->w.desktop = 0; break;
    case OPT_NO_UDEV: o->w.use_udev = 0; break;
    case OPT_TIMEOUT:
    case OPT_POLL_MAX:
    case OPT_ASKPASS:
    case OPT_TRACE:
    case OPT_ORDER:
    case OPT_WINDOW:
      ret = parse_value(io, c, optarg, &o->w);
      if (ret != RGS_EXIT_OK)
        return ret;
      break;
    case 'h':
    case OPT_HELP:
      o->help = 1;
      return RGS_EXIT_OK;
    default:
      return rgs_usage_error(io, "watch", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind < argc)
    return rgs_usage_error(io, "watch", _("unexpected argument '%s'"), argv[optind]);
  if (io->token != NULL)
    return rgs_usage_error(io, "watch", "%s",
                           _("--token does not go with watch: every token plugged in is handled"));
  return RGS_EXIT_OK;
}

/* One token handled: under --json, its document on stdout. */
static void report_token(void *ud, const rgs_watch_outcome *o)
{
  const rgs_io *io = ud;
  const rgs_watch_plan *p = o->plan;
  rgs_json j;

  if (!io->json)
    return;
  rgs_json_start(&j, stdout);
  rgs_json_object(&j, NULL);
  rgs_json_str(&j, "command", "watch");
  rgs_json_bool(&j, "ok", o->exit_code == RGS_EXIT_OK);
  rgs_json_str(&j, "event", rgs_p11_event_name(o->event->kind));
  rgs_json_token(&j, "token", &o->event->info);
  rgs_json_str(&j, "action", rgs_watch_action_name(p->action));
  if (p->order_id > 0) {
    rgs_json_int(&j, "order", p->order_id);
    rgs_json_int(&j, "order_id", p->order_id);
  } else {
    rgs_json_str(&j, "order", NULL);
    rgs_json_str(&j, "order_id", NULL);
  }
  rgs_json_str(&j, "status", p->status_known ? rgs_order_status_name(p->status) : NULL);
  rgs_json_str(&j, "bound_by", p->how == 1 ? "serial" : p->how == 2 ? "key"
                               : p->how == 3 ? "chosen" : NULL);
  rgs_json_str(&j, "command", p->action == RGS_WATCH_PROPOSE ? p->command : NULL);
  rgs_json_str(&j, "outcome", o->outcome);
  rgs_json_bool(&j, "window_offered", o->window);
  rgs_json_int(&j, "exit", o->exit_code);
  rgs_json_str(&j, "message", o->message);
  rgs_json_finish(&j);
  fflush(stdout);
}

int cli_cmd_watch(rgs_io *io, int argc, char **argv)
{
  watch_cli_opts o;
  int ret;

  ret = parse(io, argc, argv, &o);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (o.help) {
    usage();
    return RGS_EXIT_OK;
  }
  return rgs_watch_run(io, &o.w, report_token, io);
}
