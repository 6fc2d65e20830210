/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_renew.c - rgs-enroll renew: a new certificate before the current one
 * ends, over EST /simplereenroll (RFC 7030 4.2.2).
 *
 * The current certificate and its key on the token authenticate the TLS
 * connection (the key stays on the card: libp11 behind OpenSSL behind
 * libcurl); a new key pair is generated on the card for the new
 * certificate, which is checked, written next to it and proven like
 * install does. A run that fails after making the new key removes it. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "certsession.h"
#include "commands.h"
#include "estflow.h"
#include "rgs_common.h"
#include "steps.h"
#include "orders.h"

#define RGS_WAIT_MAX_DEFAULT (24L * 3600)

static void usage(void)
{
  printf("%s\n", _("Usage: rgs-enroll renew ID --est URL [--ca-file FILE] [--ca-fingerprint SHA256]\n"
                   "                  [--key-type T] [--label L] [--wait] [--wait-max SECONDS]\n"
                   "                  [--timeout SECONDS]\n"
                   "Renew the certificate of order ID over EST (/simplereenroll): the current\n"
                   "certificate on the token and its key authenticate the connection, a new key\n"
                   "pair is generated on the card, and the new certificate is checked, written\n"
                   "next to it and proven. The current certificate stays on the token.\n"
                   "  --est URL, --ca-file, --ca-fingerprint, --timeout   as for submit\n"
                   "  --key-type T, --label L   the new key (as for keygen)\n"
                   "  --wait, --wait-max        while the CA answers \"not yet\", ask again after\n"
                   "                            the delay it gives; without --wait such an answer\n"
                   "                            removes the new key: run renew again later"));
}

typedef struct {
  long long id;
  const char *est, *ca_file, *fingerprint;
  rgs_keygen_opts ko;
  int wait;
  long wait_max, timeout;
  char est_url[2048];          /* --est as checked: https://host[:port]/path */
  int help;                    /* --help: the usage was printed, nothing to run */
} renew_opts;

static int parse(rgs_io *io, int argc, char **argv, renew_opts *o)
{
  enum { O_EST = 1, O_CA_FILE, O_FP, O_WAIT, O_WAIT_MAX, O_TIMEOUT, O_HELP };
  static const struct option opts[] = {
    { "est", required_argument, NULL, O_EST },
    { "ca-file", required_argument, NULL, O_CA_FILE },
    { "ca-fingerprint", required_argument, NULL, O_FP },
    { "wait", no_argument, NULL, O_WAIT },
    { "wait-max", required_argument, NULL, O_WAIT_MAX },
    { "timeout", required_argument, NULL, O_TIMEOUT },
    { "key-type", required_argument, NULL, 't' },
    { "label", required_argument, NULL, 'l' },
    { "help", no_argument, NULL, O_HELP },
    { NULL, 0, NULL, 0 },
  };
  int c, ret = RGS_EXIT_OK;

  memset(o, 0, sizeof(*o));
  o->wait_max = RGS_WAIT_MAX_DEFAULT;
  o->timeout = 60;
  while (ret == RGS_EXIT_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case O_EST: o->est = optarg; break;
    case O_CA_FILE: o->ca_file = optarg; break;
    case O_FP: o->fingerprint = optarg; break;
    case O_WAIT: o->wait = 1; break;
    case O_WAIT_MAX:
      ret = cli_seconds_arg(io, "renew", "--wait-max", optarg, 30L * 24 * 3600, &o->wait_max);
      break;
    case O_TIMEOUT:
      ret = cli_seconds_arg(io, "renew", "--timeout", optarg, 3600, &o->timeout);
      break;
    case 't': o->ko.key_type = optarg; break;
    case 'l': o->ko.label = optarg; break;
    case 'h':
    case O_HELP: usage(); o->help = 1; return RGS_EXIT_OK;
    default: return rgs_usage_error(io, "renew", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (ret != RGS_EXIT_OK)
    return ret;
  ret = cli_est_tail_args(io, "renew", argc, argv, &o->id, &o->est, o->est_url,
                          sizeof(o->est_url));
  if (ret == RGS_EXIT_OK && o->est == NULL)
    ret = rgs_usage_error(io, "renew", "%s", _("--est URL is required: renewal goes over EST"));
  return ret;
}

typedef struct {
  rgs_session s;
  rgs_order_store *st;
  rgs_order order;
  X509 *current;               /* the certificate that authenticates */
  EVP_PKEY *current_key;       /* its key on the token (borrowed from tls) */
  rgs_p11_key *new_key;
  X509_REQ *req;
  STACK_OF(X509) *anchors, *issued, *chain;
  X509 *leaf;                  /* borrowed from issued */
  rgs_p11_report *rep;
  rgs_tls_key *tls;            /* libp11 finalises the module when freed: last */
  CK_OBJECT_HANDLE new_cert;   /* written by this run, when wrote_cert */
  int wrote_cert;
} renew_run;

/* The steps of keygen, without a second login. */
static int make_key(const rgs_io *io, const renew_opts *o, renew_run *r)
{
  rgs_p11_requirements req;
  rgs_p11_report *token_rep = NULL;
  rgs_p11_keyspec spec;
  char label[64];
  int ret;

  rgs_requirements(&req, &r->s, r->order.validity_years > 0 ? r->order.validity_years
                                                             : RGS_DEFAULT_VALIDITY);
  ret = rgs_step_check_token(&r->s, &req, &token_rep, "renew");
  if (ret == RGS_EXIT_CHECK)
    ret = rgs_fail_report(io, "renew", RGS_EXIT_CHECK,
                          rgs_p11_strerror(RGS_P11_ERR_NOT_QUALIFIED), token_rep);
  if (ret == RGS_EXIT_OK)
    ret = rgs_step_pick_keyspec(&r->s, o->ko.key_type, &req, &spec, "renew");
  if (ret == RGS_EXIT_OK) {
    if (o->ko.label != NULL)
      snprintf(label, sizeof(label), "%s", o->ko.label);
    else
      rgs_default_label(label, sizeof(label));
    ret = rgs_step_keygen(&r->s, &spec, label, &req, &token_rep, &r->new_key, "renew");
  }
  rgs_p11_report_free(token_rep);
  return ret;
}

/* Over EST, authenticated by the current certificate through the token. */
static int reenroll(const rgs_io *io, const renew_opts *o, renew_run *r)
{
  rgs_est_pace pace;
  rgs_est_conf conf;
  long retry_after = 0;
  int ret, tries = 0;

  memset(&pace, 0, sizeof(pace));
  pace.wait = o->wait;
  pace.wait_max = o->wait_max;
  memset(&conf, 0, sizeof(conf));
  conf.url = o->est;
  conf.ca_file = o->ca_file;
  conf.timeout = o->timeout;
  conf.client_key = r->current_key;
  conf.client_cert = r->current;
  ret = rgs_est_trust(io, "renew", &conf, o->fingerprint, &r->anchors);
  if (ret == RGS_EXIT_OK)
    ret = rgs_est_poll(io, "renew", &conf, r->req, 1, &pace, NULL, NULL, &r->issued,
                       &retry_after, &tries);
  if (ret == RGS_EXIT_OK && r->issued == NULL)
    ret = rgs_fail(io, "renew", RGS_EXIT_NETWORK,
                   _("the CA has not issued the new certificate yet: run renew again later, with --wait to keep asking"),
                   NULL);
  if (ret == RGS_EXIT_OK)
    ret = rgs_est_answer_leaf(io, "renew", r->req, r->issued, r->anchors, o->ca_file, &r->leaf);
  return ret;
}

/* Checked like install does, written next to the new key, proven. */
static int install_new(const rgs_io *io, const renew_opts *o, renew_run *r)
{
  rgs_p11_key *key = NULL;
  rgs_certcheck_in in;
  rgs_p11_rc rc;
  int ret;

  memset(&in, 0, sizeof(in));
  in.cert = r->leaf;
  in.untrusted = r->issued;
  in.anchors = r->anchors;
  in.ca_file = o->ca_file;
  in.now = rgs_now();
  in.order = &r->order;
  in.validity_years = r->order.validity_years;
  ret = rgs_certcheck_pair(&r->s, &in, &key, &r->rep, &r->chain, "renew");
  rgs_p11_key_free(key);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (!rgs_p11_report_passed(r->rep)) {
    if (!io->json)
      rgs_print_report(io, r->rep);
    return rgs_fail_report(io, "renew", RGS_EXIT_CHECK,
                           _("the new certificate is refused: nothing was written on the token"), r->rep);
  }
  rc = rgs_p11_cert_write(r->s.tok, r->new_key, r->leaf, rgs_p11_key_label(r->new_key),
                          &r->new_cert);
  if (rc != RGS_P11_OK)
    return rgs_fail_p11(io, "renew", rc, r->s.ctx);
  r->wrote_cert = 1;
  /* A module killed inside C_CreateObject may leave an empty certificate
   * object without CKA_ID beside the one just written (see install): the
   * good one is on the token now. */
  rc = rgs_p11_cert_remove_partial(r->s.tok, r->new_key, NULL);
  if (rc != RGS_P11_OK)
    rgs_warn(io, _("an empty or damaged certificate that an interrupted installation left on the token could not be removed (%s: %s)"),
             rgs_p11_strerror(rc), rgs_p11_last_error(r->s.ctx));
  return rgs_prove_installed(&r->s, r->new_key, r->leaf, "renew");
}

static int record(const rgs_io *io, renew_run *r)
{
  char *cert_pem = rgs_certs_pem(r->leaf, r->issued), *ca_pem = rgs_certs_pem(NULL, r->anchors);
  rgs_order_rc rc = RGS_ORDER_ERR_NOMEM;

  if (cert_pem != NULL && ca_pem != NULL)
    rc = rgs_order_cert_received(r->st, r->order.id, cert_pem, ca_pem, "renew");
  free(cert_pem);
  free(ca_pem);
  if (rc == RGS_ORDER_OK)
    return RGS_EXIT_OK;
  rgs_err(io, "%s", _("the new certificate is on the token, but the order could not record it"));
  return rgs_fail_store(io, "renew", rc, r->st);
}

static void print_done(const rgs_io *io, renew_run *r)
{
  char fp[128];
  char *subject = rgs_cert_subject(r->leaf);     /* sanitised: the CA wrote it */
  const char *shown = subject != NULL ? subject : "?";
  rgs_json j;

  rgs_cert_fingerprint(r->leaf, fp, sizeof(fp));
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "renew");
    rgs_json_bool(&j, "ok", 1);
    rgs_json_int(&j, "order", r->order.id);
    rgs_json_int(&j, "order_id", r->order.id);
    rgs_json_object(&j, "certificate");
    rgs_json_str(&j, "subject", shown);
    rgs_json_str(&j, "sha256", fp);
    rgs_json_end(&j);
    rgs_json_key(&j, "key", &r->s, r->new_key);
    rgs_json_bool(&j, "signature_verified", 1);
    rgs_json_report(&j, r->rep);
    rgs_json_finish(&j);
  } else {
    rgs_print_key(io, &r->s, r->new_key);
    rgs_print_report(io, r->rep);
    printf(_("New certificate installed next to the new key: %s\n  SHA-256 %s\n"
             "Proof: a signature made on the token verifies with it. The previous certificate stays on the token.\n"),
           shown, fp);
  }
  OPENSSL_free(subject);
}

/* A run that failed after making the new key leaves no trace of it. */
static void discard_new_key(const rgs_io *io, renew_run *r)
{
  char *uri;

  if (r->new_key == NULL)
    return;
  if (r->wrote_cert)
    (void)rgs_p11_cert_destroy(r->s.tok, r->new_cert);
  uri = rgs_p11_key_uri(r->s.tok, r->new_key);
  if (rgs_p11_key_destroy(r->s.tok, r->new_key) == RGS_P11_OK)
    rgs_err(io, "%s", _("the new key pair made by this run was removed from the token"));
  else
    rgs_err(io, _("the new key pair could not be removed (%s); it stays on the token as %s"),
            rgs_p11_last_error(r->s.ctx), uri != NULL ? uri : "?");
  free(uri);
}

static int run(rgs_io *io, const renew_opts *o, renew_run *r)
{
  rgs_order_rc rc;
  int ret;

  ret = rgs_store_open_for(io, "renew", o->id, &r->st);
  if (ret != RGS_EXIT_OK)
    return ret;
  rc = rgs_order_get(r->st, o->id, &r->order);
  if (rc != RGS_ORDER_OK)
    return rgs_fail_store(io, "renew", rc, r->st);
  ret = rgs_session_open(&r->s, io, "renew");
  if (ret == RGS_EXIT_OK)
    ret = rgs_session_login(&r->s, "renew");
  if (ret == RGS_EXIT_OK)
    ret = rgs_est_token_identity(&r->s, &r->order, &r->current, &r->tls, &r->current_key,
                                 "renew");
  if (ret == RGS_EXIT_OK)
    ret = make_key(io, o, r);
  if (ret != RGS_EXIT_OK)
    return ret;
  ret = rgs_csr_make(&r->s, r->new_key, X509_get_subject_name(r->current), NULL, &r->req, "renew");
  if (ret == RGS_EXIT_OK)
    ret = reenroll(io, o, r);
  if (ret == RGS_EXIT_OK)
    ret = install_new(io, o, r);
  if (ret != RGS_EXIT_OK) {
    discard_new_key(io, r);
    return ret;
  }
  ret = record(io, r);
  if (ret == RGS_EXIT_OK)
    print_done(io, r);
  return ret;
}

int cli_cmd_renew(rgs_io *io, int argc, char **argv)
{
  renew_opts o;
  renew_run r;
  int ret;

  ret = parse(io, argc, argv, &o);
  if (ret != RGS_EXIT_OK || o.help)
    return ret;
  memset(&r, 0, sizeof(r));
  ret = run(io, &o, &r);
  rgs_p11_report_free(r.rep);
  rgs_certs_free(r.chain);
  rgs_certs_free(r.issued);
  rgs_certs_free(r.anchors);
  X509_REQ_free(r.req);
  rgs_p11_key_free(r.new_key);
  X509_free(r.current);
  /* libp11 finalises the module it shares with the session: after every
   * use of the session, before closing it (which then finds it closed). */
  rgs_tls_key_free(r.tls);
  rgs_session_close(&r.s);
  rgs_order_store_close(r.st);
  rgs_est_global_cleanup();
  return ret;
}
