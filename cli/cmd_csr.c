/* cmd_csr.c - rgs-enroll csr: a PKCS#10 request signed by a key on the token. */
#include <getopt.h>
#include <unistd.h>
#include <openssl/x509.h>
#include "commands.h"
#include "steps.h"

static void usage(void)
{
  printf("%s\n%s\n", _("Usage: rgs-enroll csr --key URI --out FILE [--der] [--force] SUBJECT\n"
                       "Build a certificate request signed on the token with SHA-256, verify it,\n"
                       "then write it (PEM, or DER with --der). An existing FILE is kept unless\n"
                       "--force."),
         _(RGS_SUBJECT_HELP));
}

int rgs_cmd_csr(rgs_io *io, int argc, char **argv)
{
  static const struct option opts[] = {
    { "key", required_argument, NULL, 'k' },
    { "out", required_argument, NULL, 'o' },
    { "der", no_argument, NULL, 'd' },
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    RGS_SUBJECT_LONGOPTS,
    { NULL, 0, NULL, 0 },
  };
  rgs_subject_opts so = { 0 };
  const char *key_text = NULL, *out = NULL;
  int der = 0, force = 0, c, ret;
  rgs_p11_uri *key_uri = NULL;
  rgs_p11_key *key = NULL;
  X509_NAME *name = NULL;
  X509_REQ *req = NULL;
  rgs_session s;
  char err[512];
  rgs_p11_rc rc;
  rgs_json j;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'k': key_text = optarg; break;
    case 'o': out = optarg; break;
    case 'd': der = 1; break;
    case 'f': force = 1; break;
    case 'h': usage(); return RGS_EXIT_OK;
    default:
      if (!rgs_subject_opt(&so, c, optarg))
        return rgs_usage_error(io, "csr", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind < argc)
    return rgs_usage_error(io, "csr", _("unexpected argument '%s'"), argv[optind]);
  if (key_text == NULL || out == NULL)
    return rgs_usage_error(io, "csr", "%s", _("--key and --out are required"));
  if (rgs_p11_uri_parse(key_text, &key_uri, err, sizeof(err)) != RGS_P11_OK)
    return rgs_usage_error(io, "csr", "--key: %s", err);
  if (!rgs_subject_build(&so, &name, err, sizeof(err))) {
    rgs_p11_uri_free(key_uri);
    return rgs_usage_error(io, "csr", "%s", err);
  }
  if (!force && access(out, F_OK) == 0) {     /* before the PIN and the card */
    ret = rgs_fail(io, "csr", RGS_EXIT_IO, _("the output file exists; nothing was overwritten"),
                   out);
    goto cleanup_args;
  }
  ret = rgs_session_open_for_key(&s, io, "csr", key_uri);
  if (ret != RGS_EXIT_OK)
    goto cleanup_args;
  ret = rgs_session_login(&s, "csr");
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  rc = rgs_p11_key_find(s.tok, key_uri, &key);
  if (rc != RGS_P11_OK) {
    ret = rgs_fail_p11(io, "csr", rc, s.ctx);
    goto cleanup;
  }
  ret = rgs_csr_make(&s, key, name, so.email, &req, "csr");
  if (ret == RGS_EXIT_OK)
    ret = rgs_csr_write(io, req, out, der, force, "csr");
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "csr");
    rgs_json_bool(&j, "ok", 1);
    rgs_json_key(&j, "key", &s, key);
  }
  rgs_csr_report(io, &j, req, out);
  if (io->json)
    rgs_json_finish(&j);

cleanup:
  X509_REQ_free(req);
  rgs_p11_key_free(key);
  rgs_session_close(&s);
cleanup_args:
  X509_NAME_free(name);
  rgs_p11_uri_free(key_uri);
  return ret;
}
