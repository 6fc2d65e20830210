/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_pin.c - rgs-enroll pin change | unblock: the holder's PIN and the
 * unblocking code (PUK / SO PIN), under the counter rules of the token
 * layer: read the counters first, never spend the last try unasked, one
 * attempt per run. */
#include <getopt.h>
#include <string.h>
#include "commands.h"
#include "secret.h"

static void usage(void)
{
  printf("%s\n", _("Usage: rgs-enroll pin change [--so] [--puk-file PATH | --puk-fd N]\n"
                   "                              [--new-pin-file PATH | --new-pin-fd N]\n"
                   "       rgs-enroll pin unblock [--puk-file PATH | --puk-fd N]\n"
                   "                              [--new-pin-file PATH | --new-pin-fd N]\n"
                   "change: change the PIN (the current one from --pin-file, --pin-fd or the\n"
                   "  terminal); with --so, change the unblocking code (PUK) instead.\n"
                   "unblock: set a new PIN with the unblocking code, for a locked or forgotten PIN.\n"
                   "A new PIN typed at the terminal is asked twice. It must fit the token's\n"
                   "length limits and not be trivial (0000, 1234, 4321...). The counters are\n"
                   "read before anything is tried: a locked PIN or code is never tried, and its\n"
                   "last try is spent only with --final-try or a confirmation at the terminal.\n"
                   "  --puk-file PATH, --puk-fd N        the unblocking code\n"
                   "  --new-pin-file PATH, --new-pin-fd N the new PIN (or code, with --so);\n"
                   "      with --pin-fd N alone, the new PIN is the line after the current one"));
}

typedef struct {
  int change, so;
  cli_secret_opt puk, fresh;
  int help;                    /* --help printed the usage: nothing else to do */
} pin_opts;

static int parse(rgs_io *io, int argc, char **argv, pin_opts *o)
{
  enum { O_SO = 1, O_PUK_FILE, O_PUK_FD, O_NEW_FILE, O_NEW_FD, O_HELP };
  static const struct option opts[] = {
    { "so", no_argument, NULL, O_SO },
    { "puk-file", required_argument, NULL, O_PUK_FILE },
    { "puk-fd", required_argument, NULL, O_PUK_FD },
    { "new-pin-file", required_argument, NULL, O_NEW_FILE },
    { "new-pin-fd", required_argument, NULL, O_NEW_FD },
    { "help", no_argument, NULL, O_HELP },
    { NULL, 0, NULL, 0 },
  };
  cli_secret_opt init = CLI_SECRET_OPT_INIT;
  int c, ret = RGS_EXIT_OK;

  memset(o, 0, sizeof(*o));
  o->puk = o->fresh = init;
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage();
    o->help = 1;
    return argc < 2 ? RGS_EXIT_USAGE : RGS_EXIT_OK;
  }
  if (strcmp(argv[1], "change") == 0)
    o->change = 1;
  else if (strcmp(argv[1], "unblock") != 0)
    return rgs_usage_error(io, "pin", _("unknown action '%s': change or unblock"), argv[1]);
  argc--;
  argv++;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1 && ret == RGS_EXIT_OK) {
    switch (c) {
    case O_SO: o->so = 1; break;
    case O_PUK_FILE: o->puk.file = optarg; break;
    case O_PUK_FD: ret = cli_secret_fd_arg(io, "pin", "--puk-fd", optarg, &o->puk); break;
    case O_NEW_FILE: o->fresh.file = optarg; break;
    case O_NEW_FD: ret = cli_secret_fd_arg(io, "pin", "--new-pin-fd", optarg, &o->fresh); break;
    case 'h':
    case O_HELP: usage(); o->help = 1; return RGS_EXIT_OK;
    default: return rgs_usage_error(io, "pin", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (ret != RGS_EXIT_OK)
    return ret;
  if (optind < argc)
    return rgs_usage_error(io, "pin", _("unexpected argument '%s'"), argv[optind]);
  if (o->so && !o->change)
    return rgs_usage_error(io, "pin", "%s", _("--so goes with pin change"));
  ret = cli_secret_check(io, "pin", "puk", &o->puk);
  if (ret == RGS_EXIT_OK)
    ret = cli_secret_check(io, "pin", "new-pin", &o->fresh);
  return ret;
}

/* Reported failures, in the holder's words. */
static int pin_failed(rgs_session *s, rgs_p11_rc rc, const rgs_p11_new_pin *np,
                      const char *command)
{
  const rgs_p11_slot_info *info = rgs_p11_token_info(s->tok);
  char detail[512];

  switch (rc) {
  case RGS_P11_ERR_PIN_INCORRECT:
  case RGS_P11_ERR_PIN_LOCKED:
    snprintf(detail, sizeof(detail), "%s", rgs_pin_left_message(info, RGS_PIN_USER));
    break;
  case RGS_P11_ERR_SO_PIN_INCORRECT:
  case RGS_P11_ERR_SO_PIN_LOCKED:
    snprintf(detail, sizeof(detail), "%s", rgs_pin_left_message(info, RGS_PIN_SO));
    break;
  case RGS_P11_ERR_PIN_WEAK:
    snprintf(detail, sizeof(detail), _("%s; nothing was changed"), rgs_p11_pin_verdict_text(np->verdict));
    break;
  case RGS_P11_ERR_PIN_INVALID:
    if (np->verdict != RGS_PIN_NEW_OK)
      snprintf(detail, sizeof(detail), _("%s: the token accepts %lu to %lu characters; nothing was sent to it"),
               rgs_p11_pin_verdict_text(np->verdict), (unsigned long)info->min_pin,
               (unsigned long)info->max_pin);
    else
      snprintf(detail, sizeof(detail), _("the token accepts %lu to %lu characters; nothing was sent to it"),
               (unsigned long)info->min_pin, (unsigned long)info->max_pin);
    break;
  case RGS_P11_ERR_PIN_INPUT:
    /* The reader's own reason (no such file, not a regular file...) when
     * it has one. */
    snprintf(detail, sizeof(detail), "%s",
             rgs_p11_last_error(s->ctx)[0] != '\0'
                 ? rgs_p11_last_error(s->ctx)
                 : _("no terminal to ask it on, or an empty line: use the --...-file or --...-fd options"));
    break;
  default:
    return rgs_fail_p11(s->io, command, rc, s->ctx);
  }
  return rgs_fail(s->io, command, rgs_exit_for_p11(rc), rgs_p11_strerror(rc), detail);
}

static void print_done(const rgs_io *io, rgs_session *s, const pin_opts *o)
{
  const char *action = o->change ? "change" : "unblock";
  rgs_json j;

  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "pin");
    rgs_json_str(&j, "action", action);
    rgs_json_str(&j, "role", o->so ? "so" : "user");
    rgs_json_bool(&j, "ok", 1);
    rgs_json_token(&j, "token", rgs_p11_token_info(s->tok));
    rgs_json_finish(&j);
    return;
  }
  rgs_print_token(io, rgs_p11_token_info(s->tok));
  if (!o->change)
    printf("%s\n", _("PIN unblocked: the new PIN is set and its tries are restored."));
  else if (o->so)
    printf("%s\n", _("Unblocking code (PUK) changed. Keep it apart from the token."));
  else
    printf("%s\n", _("PIN changed."));
}

/* Change or unblock on the open session; np is told the new PIN's source. */
static rgs_p11_rc run(rgs_session *s, pin_opts *o, rgs_p11_new_pin *np)
{
  rgs_p11_pin_source cur;

  memset(np, 0, sizeof(*np));
  /* With --pin-fd alone, the new PIN is the next line of the same
   * descriptor: read one byte at a time, nothing of it is lost. */
  if (o->fresh.file == NULL && o->fresh.fd < 0 && !o->so && s->pin.from == RGS_PIN_FROM_FD)
    o->fresh.fd = s->pin.fd;
  cli_secret_source(&np->src, &s->pin, &o->fresh);
  if (o->change && !o->so)
    return rgs_p11_pin_change(s->tok, RGS_PIN_USER, &s->pin, np);
  cli_secret_source(&cur, &s->pin, &o->puk);
  return o->change ? rgs_p11_pin_change(s->tok, RGS_PIN_SO, &cur, np)
                   : rgs_p11_pin_unblock(s->tok, &cur, np);
}

int cli_cmd_pin(rgs_io *io, int argc, char **argv)
{
  rgs_p11_new_pin np;
  pin_opts o;
  rgs_session s;
  rgs_p11_rc rc;
  int ret;

  ret = parse(io, argc, argv, &o);
  if (ret != RGS_EXIT_OK || o.help)
    return ret;
  ret = rgs_session_open(&s, io, "pin");
  if (ret != RGS_EXIT_OK)
    return ret;
  rc = run(&s, &o, &np);
  if (rc == RGS_P11_OK)
    print_done(io, &s, &o);
  else
    ret = pin_failed(&s, rc, &np, "pin");
  rgs_session_close(&s);
  return ret;
}
