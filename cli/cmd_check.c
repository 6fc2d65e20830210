/* cmd_check.c - rgs-enroll check: the RGS** report of a token and a key. */
#include <getopt.h>
#include <stdlib.h>
#include "commands.h"
#include "delivered.h"
#include "steps.h"

static void usage(void)
{
  printf("%s\n", _("Usage: rgs-enroll check [--key URI] [--validity-years N]\n"
                   "       rgs-enroll check --delivered [--ca-file FILE] [--validity-years N]\n"
                   "Check the token (and with --key, a private key on it) against RGS**.\n"
                   "One line per criterion: PASS, FAIL, UNKNOWN, or DEMO for a failure that\n"
                   "a demo policy admits. Exit 0 only if every criterion passes.\n"
                   "  --key URI            pkcs11: URI of the private key (needs the PIN)\n"
                   "  --validity-years N   certificate validity, 1 to 3 (default 3): decides\n"
                   "                       whether RSA 2048 is still enough\n"
                   "  --delivered          a token delivered by the CA with key and certificate:\n"
                   "                       each certificate with its key (same public key,\n"
                   "                       generated on the card), chain, dates, RGS** rules\n"
                   "                       (needs the PIN)\n"
                   "  --ca-file FILE       trust anchors for --delivered instead of the system store"));
}

static int print_result(const rgs_io *io, rgs_session *s, const rgs_p11_report *rep,
                        const rgs_p11_key *key)
{
  int passed = rgs_p11_report_passed(rep);
  rgs_json j;

  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "check");
    rgs_json_bool(&j, "ok", passed);
    rgs_json_int(&j, "exit", passed ? RGS_EXIT_OK : RGS_EXIT_CHECK);
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
  }
  return passed ? RGS_EXIT_OK : RGS_EXIT_CHECK;
}

int rgs_cmd_check(rgs_io *io, int argc, char **argv)
{
  static const struct option opts[] = {
    { "key", required_argument, NULL, 'k' },
    { "validity-years", required_argument, NULL, 'v' },
    { "delivered", no_argument, NULL, 'd' },
    { "ca-file", required_argument, NULL, 'a' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  rgs_session s;
  rgs_p11_requirements req;
  rgs_p11_report *rep = NULL;
  rgs_p11_uri *key_uri = NULL;
  rgs_p11_key *key = NULL;
  const char *key_text = NULL, *ca_file = NULL;
  long years = RGS_DEFAULT_VALIDITY;
  int delivered = 0, years_given = 0;
  char err[256];
  int c, ret;
  rgs_p11_rc rc;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'k': key_text = optarg; break;
    case 'v':
      if (rgs_parse_int(optarg, 1, 3, &years) != 0)
        return rgs_usage_error(io, "check", _("--validity-years must be 1, 2 or 3"));
      years_given = 1;
      break;
    case 'd': delivered = 1; break;
    case 'a': ca_file = optarg; break;
    case 'h': usage(); return RGS_EXIT_OK;
    default: return rgs_usage_error(io, "check", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind < argc)
    return rgs_usage_error(io, "check", _("unexpected argument '%s'"), argv[optind]);
  if (delivered && key_text != NULL)
    return rgs_usage_error(io, "check", "%s", _("--delivered checks every key with its certificate: no --key"));
  if (ca_file != NULL && !delivered)
    return rgs_usage_error(io, "check", "%s", _("--ca-file goes with --delivered"));
  if (key_text != NULL && rgs_p11_uri_parse(key_text, &key_uri, err, sizeof(err)) != RGS_P11_OK)
    return rgs_usage_error(io, "check", "--key: %s", err);
  ret = rgs_session_open_for_key(&s, io, "check", key_uri);
  if (ret != RGS_EXIT_OK)
    goto cleanup_uri;
  rgs_requirements(&req, &s, (int)years);
  ret = rgs_step_check_token(&s, &req, &rep, "check");
  if (ret != RGS_EXIT_OK && ret != RGS_EXIT_CHECK)
    goto cleanup;
  if (delivered) {
    ret = rgs_check_delivered(&s, rep, ca_file, years_given ? (int)years : 0);
    goto cleanup;
  }
  if (key_uri != NULL) {
    ret = rgs_session_login(&s, "check");
    if (ret != RGS_EXIT_OK)
      goto cleanup;
    rc = rgs_p11_key_find(s.tok, key_uri, &key);
    if (rc == RGS_P11_OK)
      rc = rgs_p11_check_key(s.tok, key, &req, &rep);
    if (rc != RGS_P11_OK) {
      ret = rgs_fail_p11(io, "check", rc, s.ctx);
      goto cleanup;
    }
  }
  ret = print_result(io, &s, rep, key);

cleanup:
  rgs_p11_key_free(key);
  rgs_p11_report_free(rep);
  rgs_session_close(&s);
cleanup_uri:
  rgs_p11_uri_free(key_uri);
  return ret;
}
