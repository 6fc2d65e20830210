/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_check.c - rgs-enroll check: the RGS** report of a token and a key. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "delivered.h"
#include "steps.h"

static void usage(void)
{
  printf("%s\n", _("Usage: rgs-enroll check [--key URI] [--validity-years N] [--details]\n"
                   "       rgs-enroll check --delivered [--ca-file FILE] [--validity-years N]\n"
                   "                        [--details]\n"
                   "Check the token (and with --key, a private key on it) against RGS**.\n"
                   "One sentence per criterion: PASS, FAIL, UNKNOWN, or DEMO for a failure that\n"
                   "a demo policy admits, and what to do when one fails. Exit 0 only if every\n"
                   "criterion passes.\n"
                   "  --details            under each sentence, what was read from the token\n"
                   "                       (PKCS#11 flags, mechanisms, attributes, key URI)\n"
                   "  --key URI            pkcs11: URI of the private key (needs the PIN)\n"
                   "  --validity-years N   certificate validity, 1 to 3 (default 3): decides\n"
                   "                       whether RSA 2048 is still enough\n"
                   "  --delivered          a token delivered by the CA with key and certificate:\n"
                   "                       each certificate with its key (same public key,\n"
                   "                       generated on the card), chain, dates, RGS** rules\n"
                   "                       (needs the PIN)\n"
                   "  --ca-file FILE       trust anchors for --delivered instead of the system store\n"
                   "  --no-revocation-check  with --delivered: do not ask the CA whether the\n"
                   "                       certificates are revoked (offline use)"));
}

/* The check's "error" member when the module cannot make a key here. */
static void json_blocked(rgs_json *j, const char *msg)
{
  rgs_json_object(j, "error");
  rgs_json_str(j, "code", "module-cannot-generate-keys");
  rgs_json_str(j, "message", msg);
  rgs_json_end(j);
}

static int print_result(const rgs_io *io, rgs_session *s, const rgs_p11_report *rep,
                        const rgs_p11_key *key)
{
  int passed = rgs_p11_report_passed(rep);
  char msg[1536];
  /* The token is there, the module cannot make its key: a device problem
   * (exit 4) that another module solves, not a verdict on the token. */
  int blocked = !passed && rgs_keygen_blocked(s, rep, msg, sizeof(msg));
  int exit_code = passed ? RGS_EXIT_OK : blocked ? RGS_EXIT_TOKEN : RGS_EXIT_CHECK;
  rgs_json j;

  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "check");
    rgs_json_bool(&j, "ok", passed);
    rgs_json_int(&j, "exit", exit_code);
    if (blocked)
      json_blocked(&j, msg);
    rgs_json_keygen(&j, "keygen", rep);
    rgs_json_token(&j, "token", rgs_p11_token_info(s->tok));
    if (key != NULL)
      rgs_json_key(&j, "key", s, key);
    rgs_json_bool(&j, "qualified", passed);
    rgs_json_bool(&j, "admitted_by_demo_policy", !passed && rgs_p11_report_admitted(rep));
    rgs_json_report(&j, rep);
    rgs_json_finish(&j);
  } else {
    rgs_print_token(io, rgs_p11_token_info(s->tok));
    if (key != NULL)
      rgs_print_key(io, s, key);
    rgs_print_report(io, rep);
    printf("%s\n", passed ? _("Result: the token meets RGS**.")
                          : _("Result: the token does NOT meet RGS**."));
    rgs_print_demo_notice(io, rep);
    if (!passed && !io->details)
      printf("%s\n", _("To see what was read from the token: rgs-enroll check --details"));
  }
  if (blocked)    /* stderr always, as for every failure */
    rgs_err(io, "%s", msg);
  return exit_code;
}

typedef struct {
  const char *key_text, *ca_file;
  long years;
  int delivered, years_given;
  int no_revocation;           /* --no-revocation-check */
  int help;                    /* --help: the usage was printed, nothing to run */
} check_opts;

typedef struct {
  rgs_session s;
  rgs_p11_uri *key_uri;
  rgs_p11_key *key;
  rgs_p11_report *rep;
} check_run;

static int parse(rgs_io *io, int argc, char **argv, check_opts *o)
{
  static const struct option opts[] = {
    { "key", required_argument, NULL, 'k' },
    { "validity-years", required_argument, NULL, 'v' },
    { "delivered", no_argument, NULL, 'd' },
    { "ca-file", required_argument, NULL, 'a' },
    { "no-revocation-check", no_argument, NULL, 'R' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;

  memset(o, 0, sizeof(*o));
  o->years = RGS_DEFAULT_VALIDITY;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'k': o->key_text = optarg; break;
    case 'v':
      if (!rgs_parse_number(optarg, 1, 3, &o->years))
        return rgs_usage_error(io, "check", _("--validity-years must be 1, 2 or 3"));
      o->years_given = 1;
      break;
    case 'd': o->delivered = 1; break;
    case 'a': o->ca_file = optarg; break;
    case 'R': o->no_revocation = 1; break;
    case 'h': usage(); o->help = 1; return RGS_EXIT_OK;
    default: return rgs_usage_error(io, "check", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind < argc)
    return rgs_usage_error(io, "check", _("unexpected argument '%s'"), argv[optind]);
  if (o->delivered && o->key_text != NULL)
    return rgs_usage_error(io, "check", "%s", _("--delivered checks every key with its certificate: no --key"));
  if (o->ca_file != NULL && !o->delivered)
    return rgs_usage_error(io, "check", "%s", _("--ca-file goes with --delivered"));
  if (o->no_revocation && !o->delivered)
    return rgs_usage_error(io, "check", "%s", _("--no-revocation-check goes with --delivered"));
  return RGS_EXIT_OK;
}

static int run(rgs_io *io, const check_opts *o, check_run *r)
{
  rgs_p11_requirements req;
  char err[256];
  rgs_p11_rc rc;
  int ret;

  if (o->key_text != NULL &&
      rgs_p11_uri_parse(o->key_text, &r->key_uri, err, sizeof(err)) != RGS_P11_OK)
    return rgs_usage_error(io, "check", "--key: %s", err);
  ret = rgs_session_open_for_key(&r->s, io, "check", r->key_uri);
  if (ret != RGS_EXIT_OK)
    return ret;
  rgs_requirements(&req, &r->s, (int)o->years);
  req.delivered = o->delivered;
  ret = rgs_step_check_token(&r->s, &req, &r->rep, "check");
  if (ret != RGS_EXIT_OK && ret != RGS_EXIT_CHECK)
    return ret;
  if (o->delivered)
    return rgs_check_delivered(&r->s, r->rep, o->ca_file, o->years_given ? (int)o->years : 0);
  if (r->key_uri != NULL) {
    ret = rgs_session_login(&r->s, "check");
    if (ret != RGS_EXIT_OK)
      return ret;
    rc = rgs_p11_key_find(r->s.tok, r->key_uri, &r->key);
    if (rc == RGS_P11_OK)
      rc = rgs_p11_check_key(r->s.tok, r->key, &req, &r->rep);
    if (rc != RGS_P11_OK)
      return rgs_fail_p11(io, "check", rc, r->s.ctx);
  }
  return print_result(io, &r->s, r->rep, r->key);
}

int cli_cmd_check(rgs_io *io, int argc, char **argv)
{
  check_opts o;
  check_run r;
  int ret;

  ret = parse(io, argc, argv, &o);
  if (ret != RGS_EXIT_OK || o.help)
    return ret;
  /* --delivered asks the CA about revocation (libcurl): rgs-enroll-full. */
  if (o.delivered && !o.no_revocation && cli_is_lean())
    return cli_cmd_delegate(io, argc, argv);
  io->revocation = o.delivered && !o.no_revocation ? cli_revocation_fn() : NULL;
  memset(&r, 0, sizeof(r));
  ret = run(io, &o, &r);
  rgs_p11_key_free(r.key);
  rgs_p11_report_free(r.rep);
  rgs_session_close(&r.s);
  rgs_p11_uri_free(r.key_uri);
  return ret;
}
