/* SPDX-License-Identifier: BSD-3-Clause */
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

typedef struct {
  rgs_subject_opts so;
  const char *key_text, *out;
  int der, force;
  int help;                    /* --help printed the usage: nothing else to do */
  rgs_p11_uri *key_uri;        /* parsed from key_text; owned */
  X509_NAME *name;             /* built from so; owned */
} csr_opts;

static int parse_options(rgs_io *io, int argc, char **argv, csr_opts *o)
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
  int c;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'k': o->key_text = optarg; break;
    case 'o': o->out = optarg; break;
    case 'd': o->der = 1; break;
    case 'f': o->force = 1; break;
    case 'h': usage(); o->help = 1; return RGS_EXIT_OK;
    default:
      if (!rgs_subject_opt(&o->so, c, optarg))
        return rgs_usage_error(io, "csr", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  return RGS_EXIT_OK;
}

/* The options, the key's URI and the subject, all checked before the PIN
 * and the card; free o's members with free_opts() in every case. */
static int parse(rgs_io *io, int argc, char **argv, csr_opts *o)
{
  char err[512];
  int ret;

  memset(o, 0, sizeof(*o));
  ret = parse_options(io, argc, argv, o);
  if (ret != RGS_EXIT_OK || o->help)
    return ret;
  if (optind < argc)
    return rgs_usage_error(io, "csr", _("unexpected argument '%s'"), argv[optind]);
  if (o->key_text == NULL || o->out == NULL)
    return rgs_usage_error(io, "csr", "%s", _("--key and --out are required"));
  if (rgs_p11_uri_parse(o->key_text, &o->key_uri, err, sizeof(err)) != RGS_P11_OK)
    return rgs_usage_error(io, "csr", "--key: %s", err);
  if (!rgs_subject_build(&o->so, &o->name, err, sizeof(err)))
    return rgs_usage_error(io, "csr", "%s", err);
  if (!o->force && access(o->out, F_OK) == 0)
    return rgs_fail(io, "csr", RGS_EXIT_IO, _("the output file exists; nothing was overwritten"),
                    o->out);
  return RGS_EXIT_OK;
}

static void free_opts(csr_opts *o)
{
  X509_NAME_free(o->name);
  rgs_p11_uri_free(o->key_uri);
}

/* Logged in on the open session: the key found, the request made and written. */
static int run(rgs_io *io, const csr_opts *o, rgs_session *s, rgs_p11_key **key,
               X509_REQ **req)
{
  rgs_p11_rc rc;
  int ret = rgs_session_login(s, "csr");

  if (ret != RGS_EXIT_OK)
    return ret;
  rc = rgs_p11_key_find(s->tok, o->key_uri, key);
  if (rc != RGS_P11_OK)
    return rgs_fail_p11(io, "csr", rc, s->ctx);
  ret = rgs_csr_make(s, *key, o->name, o->so.email, req, "csr");
  if (ret == RGS_EXIT_OK)
    ret = rgs_csr_write(io, *req, o->out, o->der, o->force, "csr");
  return ret;
}

static void print_done(const rgs_io *io, const csr_opts *o, rgs_session *s,
                       const rgs_p11_key *key, X509_REQ *req)
{
  rgs_json j;

  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "csr");
    rgs_json_bool(&j, "ok", 1);
    rgs_json_key(&j, "key", s, key);
  }
  rgs_csr_report(io, &j, req, o->out);
  if (io->json)
    rgs_json_finish(&j);
}

int cli_cmd_csr(rgs_io *io, int argc, char **argv)
{
  csr_opts o;
  rgs_p11_key *key = NULL;
  X509_REQ *req = NULL;
  rgs_session s;
  int ret;

  ret = parse(io, argc, argv, &o);
  if (ret != RGS_EXIT_OK || o.help)
    goto cleanup_args;
  ret = rgs_session_open_for_key(&s, io, "csr", o.key_uri);
  if (ret != RGS_EXIT_OK)
    goto cleanup_args;
  ret = run(io, &o, &s, &key, &req);
  if (ret == RGS_EXIT_OK)
    print_done(io, &o, &s, key, req);
  X509_REQ_free(req);
  rgs_p11_key_free(key);
  rgs_session_close(&s);
cleanup_args:
  free_opts(&o);
  return ret;
}
