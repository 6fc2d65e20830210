/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_start.c - rgs-enroll start: check, keygen and CSR with one login. */
#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>
#include <openssl/x509.h>
#include "commands.h"
#include "orderkey.h"
#include "steps.h"
#include "orders.h"


#define RGS_DEFAULT_CSR "rgs-request.csr"

static void usage(void)
{
  printf("%s\n%s\n%s\n%s\n", _("Usage: rgs-enroll start [--out FILE] [--der] [--force] [--key-type T]\n"
                       "                        [--label L] [--validity-years N] [--order ID\n"
                       "                        [--new-key [--yes]]] SUBJECT\n"
                       "The holder's one command after plugging the token in: check the token\n"
                       "against RGS**, generate the key pair on the card and build the SHA-256\n"
                       "certificate request, with the PIN asked once. Default FILE: rgs-request.csr\n"
                       "With --order ID: the subject fields not given come from the order (holder,\n"
                       "company, SIREN/SIRET, email), its validity decides the key size, and the\n"
                       "request is bound to the order (as rgs-enroll order link does)."),
         _("Default FILE with --order: rgs-request-order-ID-REF.csr (REF: the order's CA\n"
           "reference, when known), so that two orders never share a request file."),
         _("Run again on the same order, start uses the order's key pair again if it is on\n"
           "the token (or the one an interrupted run left), never makes a second one, and\n"
           "refuses while another start works on the order. --new-key makes a new key pair\n"
           "and replaces the order's request; a key pair of the order on this token is\n"
           "removed once the new request is bound, after a question (or --yes; without\n"
           "either, nothing is done: exit 2); one on another token stays there."),
         _(RGS_SUBJECT_HELP));
}

/* The CSR step failed after this run made a key: remove it, so that running
 * start again leaves one key on the card, not a trail of orphans. Never
 * called for a key this run did not make. */
static void discard_key(const rgs_io *io, rgs_session *s, rgs_p11_key *key)
{
  char *uri = rgs_p11_key_uri(s->tok, key);

  if (rgs_p11_key_destroy(s->tok, key) == RGS_P11_OK)
    rgs_err(io, "%s", _("the key pair made by this run was removed from the token; run start again"));
  else
    rgs_err(io, _("the key pair could not be removed (%s); it stays on the token as %s"),
            rgs_p11_last_error(s->ctx), uri != NULL ? uri : "?");
  free(uri);
}

/* start --order: the token checked as for any start, then, logged in, the
 * order's key used again, an interrupted run's key found, or a new one. */
static int order_key(rgs_orderkey *okey, rgs_session *s, const rgs_keygen_opts *ko,
                     rgs_p11_requirements *req, rgs_p11_report **rep, rgs_p11_key **key)
{
  rgs_p11_keyspec spec;
  int ret = rgs_step_prepare(s, ko, req, rep, &spec, "start");

  if (ret == RGS_EXIT_OK)
    ret = rgs_orderkey_check_token(okey, s);
  if (ret == RGS_EXIT_OK)
    ret = rgs_session_login(s, "start");
  if (ret == RGS_EXIT_OK)
    ret = rgs_orderkey_get(okey, s, ko, &spec, req, rep, key);
  return ret;
}

typedef struct {
  rgs_keygen_opts ko;          /* validity 0 until given: --order may supply it */
  const char *order_text, *out;  /* out NULL until given: --order names the default */
  char out_buf[256];           /* the default name of an order's request */
  rgs_subject_opts so;         /* may point into start_run's cn_buf */
  int der, force, new_key, yes;
  int help;                    /* --help printed the usage: nothing else to do */
} start_opts;

typedef struct {
  rgs_order_store *st;         /* NULL without --order */
  rgs_order order;
  char cn_buf[2 * RGS_ORDER_NAME_MAX + 2];
  X509_NAME *name;
  rgs_orderkey okey;
  rgs_session s;
  int session_open;
  rgs_p11_requirements req;
  rgs_p11_report *rep;
  rgs_p11_key *key;
  X509_REQ *csr;
} start_run;

static int parse_options(rgs_io *io, int argc, char **argv, start_opts *o)
{
  static const struct option opts[] = {
    { "key-type", required_argument, NULL, 't' },
    { "label", required_argument, NULL, 'l' },
    { "validity-years", required_argument, NULL, 'v' },
    { "out", required_argument, NULL, 'o' },
    { "der", no_argument, NULL, 'd' },
    { "force", no_argument, NULL, 'f' },
    { "order", required_argument, NULL, 'O' },
    { "new-key", no_argument, NULL, 'N' },
    { "yes", no_argument, NULL, 'y' },
    { "help", no_argument, NULL, 'h' },
    RGS_SUBJECT_LONGOPTS,
    { NULL, 0, NULL, 0 },
  };
  int c, ret = RGS_EXIT_OK;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'o': o->out = optarg; break;
    case 'd': o->der = 1; break;
    case 'f': o->force = 1; break;
    case 'O': o->order_text = optarg; break;
    case 'N': o->new_key = 1; break;
    case 'y': o->yes = 1; break;
    case 'h': usage(); o->help = 1; return RGS_EXIT_OK;
    default:
      if (rgs_subject_opt(&o->so, c, optarg))
        break;
      if (!cli_keygen_opt(io, "start", &o->ko, c, optarg, &ret))
        return rgs_usage_error(io, "start", _("unknown option '%s'"), argv[optind - 1]);
      if (ret != RGS_EXIT_OK)
        return ret;
    }
  }
  return RGS_EXIT_OK;
}

static int parse(rgs_io *io, int argc, char **argv, start_opts *o)
{
  int ret;

  memset(o, 0, sizeof(*o));
  ret = parse_options(io, argc, argv, o);
  if (ret != RGS_EXIT_OK || o->help)
    return ret;
  if (optind < argc)
    return rgs_usage_error(io, "start", _("unexpected argument '%s'"), argv[optind]);
  if ((o->new_key || o->yes) && o->order_text == NULL)
    return rgs_usage_error(io, "start", "%s", _("--new-key and --yes go with --order"));
  if (o->yes && !o->new_key)
    return rgs_usage_error(io, "start", "%s", _("--yes confirms --new-key, which was not given"));
  return RGS_EXIT_OK;
}

/* Without --out: rgs-request.csr, or with --order a name of that order's
 * own, so that start on a second order in the same directory does not
 * find the first order's request in its way. */
static int default_out(const rgs_io *io, start_opts *o, const start_run *r)
{
  if (o->out != NULL)
    return RGS_EXIT_OK;
  o->out = RGS_DEFAULT_CSR;
  if (r->st == NULL)
    return RGS_EXIT_OK;
  if (!cli_order_file_name(o->out_buf, sizeof(o->out_buf), "rgs-request", r->order.id,
                           r->order.ca_ref, ".csr"))
    return rgs_usage_error(io, "start", "%s", _("the default file name is too long here: name the file with --out"));
  o->out = o->out_buf;
  return RGS_EXIT_OK;
}

/* Everything the user typed, and the order, is checked before the card is
 * touched; then, with --order, the order's lock is taken. */
static int prepare(rgs_io *io, start_opts *o, start_run *r)
{
  char err[512];
  int ret;

  if (o->order_text != NULL) {
    ret = rgs_store_start_order(io, o->order_text, &r->st, &r->order, &o->ko.validity_years,
                                &o->so, r->cn_buf, sizeof(r->cn_buf));
    if (ret != RGS_EXIT_OK)
      return ret;
  }
  if (o->ko.validity_years == 0)
    o->ko.validity_years = RGS_DEFAULT_VALIDITY;
  if (!rgs_subject_build(&o->so, &r->name, err, sizeof(err)))
    return rgs_usage_error(io, "start", "%s", err);
  if (r->st != NULL) {
    ret = rgs_store_check_name(io, &r->order, r->name, "start");
    if (ret != RGS_EXIT_OK)
      return ret;
  }
  ret = default_out(io, o, r);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (!o->force && access(o->out, F_OK) == 0)
    return rgs_fail(io, "start", RGS_EXIT_IO,
                    _("the output file exists; nothing was done (use --out or --force)"), o->out);
  /* One run per order from here on; the binding is read under the lock. */
  if (r->st != NULL)
    return rgs_orderkey_begin(&r->okey, io, r->st, r->order.id, o->new_key, o->yes);
  return RGS_EXIT_OK;
}

/* The token: checked, the key pair made (or the order's found), the
 * request built, written and bound to the order. */
static int run(rgs_io *io, const start_opts *o, start_run *r)
{
  int ret = rgs_session_open_keygen(&r->s, io, "start");

  if (ret != RGS_EXIT_OK)
    return ret;
  r->session_open = 1;
  if (r->st == NULL)
    ret = rgs_step_generate(&r->s, &o->ko, &r->req, &r->rep, &r->key, "start");
  else
    ret = order_key(&r->okey, &r->s, &o->ko, &r->req, &r->rep, &r->key);
  if (ret != RGS_EXIT_OK)
    return ret;
  ret = rgs_csr_make(&r->s, r->key, r->name, o->so.email, &r->csr, "start");
  if (ret == RGS_EXIT_OK && rgs_session_interrupted(&r->s))
    return rgs_step_keep_or_discard(&r->s, r->key, "start");
  if (ret == RGS_EXIT_OK)
    ret = rgs_csr_write(io, r->csr, o->out, o->der, o->force, "start");
  if (ret != RGS_EXIT_OK) {
    if (r->st == NULL || r->okey.origin == RGS_ORDERKEY_GENERATED)
      discard_key(io, &r->s, r->key);
    return ret;
  }
  if (r->st != NULL) {
    ret = rgs_store_link_start(io, r->st, r->order.id, r->csr, &r->s, r->key, o->out);
    if (ret != RGS_EXIT_OK)
      return ret;
    rgs_orderkey_finish(&r->okey, &r->s);
  }
  return RGS_EXIT_OK;
}

static void print_done(const rgs_io *io, const start_opts *o, start_run *r)
{
  rgs_json j;

  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "start");
    rgs_json_bool(&j, "ok", 1);
    rgs_json_token(&j, "token", rgs_p11_token_info(r->s.tok));
    rgs_json_module(&j, "module", rgs_p11_token_ctx(r->s.tok));
    rgs_json_bool(&j, "demo_device", rgs_demo_device(r->rep));
    rgs_json_key_origin(&j, "key", &r->s, r->key,
                        rgs_orderkey_origin_name(r->st != NULL ? r->okey.origin
                                                               : RGS_ORDERKEY_GENERATED));
  }
  rgs_csr_report(io, &j, r->csr, o->out);
  if (r->st != NULL)
    rgs_store_report_start(io, &j, r->st, r->order.id);
  if (io->json) {
    rgs_json_report(&j, r->rep);
    rgs_json_finish(&j);
  } else {
    printf("%s\n", _("Next: upload this request on the CA portal, then meet the AED for the face-to-face."));
  }
}

int cli_cmd_start(rgs_io *io, int argc, char **argv)
{
  start_opts o;
  start_run r;
  int ret;

  ret = parse(io, argc, argv, &o);
  if (ret != RGS_EXIT_OK || o.help)
    return ret;
  memset(&r, 0, sizeof(r));
  ret = prepare(io, &o, &r);
  if (ret == RGS_EXIT_OK)
    ret = run(io, &o, &r);
  if (ret == RGS_EXIT_OK)
    print_done(io, &o, &r);

  X509_REQ_free(r.csr);
  rgs_p11_key_free(r.key);
  rgs_p11_report_free(r.rep);
  if (r.session_open)
    rgs_session_close(&r.s);
  rgs_orderkey_end(&r.okey);
  X509_NAME_free(r.name);
  rgs_order_store_close(r.st);
  return ret;
}
