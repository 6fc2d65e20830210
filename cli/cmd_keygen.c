/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_keygen.c - rgs-enroll keygen: an RGS** key pair made on the card. */
#include <getopt.h>
#include <string.h>
#include "rgs_common.h"
#include "commands.h"
#include "steps.h"

static void usage(void)
{
  printf("%s\n", _("Usage: rgs-enroll keygen [--key-type rsa:3072|rsa:2048|ec:p256] [--label L]\n"
                   "                         [--validity-years N] [--details]\n"
                   "Generate a key pair on the card (sensitive, never extractable, sign only),\n"
                   "read it back and verify it. The token must pass 'check' or be admitted by a\n"
                   "demo policy. Default key type: the largest RGS** size the token makes;\n"
                   "RSA 2048 is refused when the certificate would be valid after 2030.\n"
                   "  --details   under each sentence, what was read from the token (PKCS#11\n"
                   "              flags, mechanisms, attributes) and the key's URI"));
}

int cli_cmd_keygen(rgs_io *io, int argc, char **argv)
{
  static const struct option opts[] = {
    { "key-type", required_argument, NULL, 't' },
    { "label", required_argument, NULL, 'l' },
    { "validity-years", required_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  rgs_keygen_opts o = { NULL, NULL, RGS_DEFAULT_VALIDITY };
  rgs_session s;
  rgs_p11_requirements req;
  rgs_p11_report *rep = NULL;
  rgs_p11_key *key = NULL;
  rgs_json j;
  int c, ret = RGS_EXIT_OK;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'h') {
      usage();
      return RGS_EXIT_OK;
    }
    if (!cli_keygen_opt(io, "keygen", &o, c, optarg, &ret))
      return rgs_usage_error(io, "keygen", _("unknown option '%s'"), argv[optind - 1]);
    if (ret != RGS_EXIT_OK)
      return ret;
  }
  if (optind < argc)
    return rgs_usage_error(io, "keygen", _("unexpected argument '%s'"), argv[optind]);
  ret = rgs_session_open_keygen(&s, io, "keygen");
  if (ret != RGS_EXIT_OK)
    return ret;
  ret = rgs_step_generate(&s, &o, &req, &rep, &key, "keygen");
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "keygen");
    rgs_json_bool(&j, "ok", 1);
    rgs_json_token(&j, "token", rgs_p11_token_info(s.tok));
    rgs_json_module(&j, "module", rgs_p11_token_ctx(s.tok));
    rgs_json_bool(&j, "demo_device", rgs_demo_device(rep));
    rgs_json_key(&j, "key", &s, key);
    rgs_json_report(&j, rep);
    rgs_json_finish(&j);
  } else {
    printf("%s\n", _("Result: the key pair was made on the card and meets RGS**."));
    printf("%s\n", io->details ? _("Next: build the certificate request with rgs-enroll csr --key URI.")
                                : _("Next: build the certificate request with rgs-enroll csr --key URI "
                                    "(rgs-enroll keygen --details shows the key's URI)."));
  }

cleanup:
  rgs_p11_key_free(key);
  rgs_p11_report_free(rep);
  rgs_session_close(&s);
  return ret;
}
