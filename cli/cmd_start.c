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
  printf("%s\n%s\n%s\n", _("Usage: rgs-enroll start [--out FILE] [--der] [--force] [--key-type T]\n"
                       "                        [--label L] [--validity-years N] [--order ID\n"
                       "                        [--new-key [--yes]]] SUBJECT\n"
                       "The holder's one command after plugging the token in: check the token\n"
                       "against RGS**, generate the key pair on the card and build the SHA-256\n"
                       "certificate request, with the PIN asked once. Default FILE: rgs-request.csr\n"
                       "With --order ID: the subject fields not given come from the order (holder,\n"
                       "company, SIREN/SIRET, email), its validity decides the key size, and the\n"
                       "request is bound to the order (as rgs-enroll order link does)."),
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

int rgs_cmd_start(rgs_io *io, int argc, char **argv)
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
  /* validity 0 until given: --order may supply it */
  rgs_keygen_opts ko = { NULL, NULL, 0 };
  const char *order_text = NULL;
  rgs_order_store *st = NULL;
  rgs_order order;
  char cn_buf[2 * RGS_ORDER_NAME_MAX + 2];
  rgs_subject_opts so = { 0 };
  const char *out = RGS_DEFAULT_CSR;
  int der = 0, force = 0, new_key = 0, yes = 0, c, ret = RGS_EXIT_OK;
  rgs_orderkey okey;
  rgs_p11_requirements req;
  rgs_p11_report *rep = NULL;
  rgs_p11_key *key = NULL;
  X509_NAME *name = NULL;
  X509_REQ *csr = NULL;
  rgs_session s;
  char err[512];
  rgs_json j;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'o': out = optarg; break;
    case 'd': der = 1; break;
    case 'f': force = 1; break;
    case 'O': order_text = optarg; break;
    case 'N': new_key = 1; break;
    case 'y': yes = 1; break;
    case 'h': usage(); return RGS_EXIT_OK;
    default:
      if (rgs_subject_opt(&so, c, optarg))
        break;
      if (rgs_keygen_opt(io, "start", &ko, c, optarg, &ret) != 0)
        return rgs_usage_error(io, "start", _("unknown option '%s'"), argv[optind - 1]);
      if (ret != RGS_EXIT_OK)
        return ret;
    }
  }
  if (optind < argc)
    return rgs_usage_error(io, "start", _("unexpected argument '%s'"), argv[optind]);
  if ((new_key || yes) && order_text == NULL)
    return rgs_usage_error(io, "start", "%s", _("--new-key and --yes go with --order"));
  if (yes && !new_key)
    return rgs_usage_error(io, "start", "%s", _("--yes confirms --new-key, which was not given"));
  memset(&okey, 0, sizeof(okey));
  /* Everything the user typed, and the order, is checked before the card is touched. */
  if (order_text != NULL) {
    ret = rgs_store_start_order(io, order_text, &st, &order, &ko.validity_years, &so, cn_buf,
                                sizeof(cn_buf));
    if (ret != RGS_EXIT_OK)
      return ret;
  }
  if (ko.validity_years == 0)
    ko.validity_years = RGS_DEFAULT_VALIDITY;
  if (!rgs_subject_build(&so, &name, err, sizeof(err))) {
    rgs_order_store_close(st);
    return rgs_usage_error(io, "start", "%s", err);
  }
  if (st != NULL) {
    ret = rgs_store_check_name(io, &order, name, "start");
    if (ret != RGS_EXIT_OK)
      goto cleanup_name;
  }
  if (!force && access(out, F_OK) == 0) {
    ret = rgs_fail(io, "start", RGS_EXIT_IO,
                   _("the output file exists; nothing was done (use --out or --force)"), out);
    goto cleanup_name;
  }
  /* One run per order from here on; the binding is read under the lock. */
  if (st != NULL) {
    ret = rgs_orderkey_begin(&okey, io, st, order.id, new_key, yes);
    if (ret != RGS_EXIT_OK)
      goto cleanup_name;
  }
  ret = rgs_session_open(&s, io, "start");
  if (ret != RGS_EXIT_OK)
    goto cleanup_name;
  if (st == NULL)
    ret = rgs_step_generate(&s, &ko, &req, &rep, &key, "start");
  else
    ret = order_key(&okey, &s, &ko, &req, &rep, &key);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  ret = rgs_csr_make(&s, key, name, so.email, &csr, "start");
  if (ret == RGS_EXIT_OK && rgs_session_interrupted(&s)) {
    ret = rgs_step_keep_or_discard(&s, key, "start");
    goto cleanup;
  }
  if (ret == RGS_EXIT_OK)
    ret = rgs_csr_write(io, csr, out, der, force, "start");
  if (ret != RGS_EXIT_OK) {
    if (st == NULL || okey.origin == RGS_ORDERKEY_GENERATED)
      discard_key(io, &s, key);
    goto cleanup;
  }
  if (st != NULL) {
    ret = rgs_store_link_start(io, st, order.id, csr, &s, key, out);
    if (ret != RGS_EXIT_OK)
      goto cleanup;
    rgs_orderkey_finish(&okey, &s);
  }
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "start");
    rgs_json_bool(&j, "ok", 1);
    rgs_json_token(&j, "token", rgs_p11_token_info(s.tok));
    rgs_json_bool(&j, "demo_device", rgs_demo_device(rep));
    rgs_json_key_origin(&j, "key", &s, key,
                        rgs_orderkey_origin_name(st != NULL ? okey.origin : RGS_ORDERKEY_GENERATED));
  }
  rgs_csr_report(io, &j, csr, out);
  if (st != NULL)
    rgs_store_report_start(io, &j, st, order.id);
  if (io->json) {
    rgs_json_report(&j, rep);
    rgs_json_finish(&j);
  } else {
    printf("%s\n", _("Next: upload this request on the CA portal, then meet the AED for the face-to-face."));
  }

cleanup:
  X509_REQ_free(csr);
  rgs_p11_key_free(key);
  rgs_p11_report_free(rep);
  rgs_session_close(&s);
cleanup_name:
  rgs_orderkey_end(&okey);
  X509_NAME_free(name);
  rgs_order_store_close(st);
  return ret;
}
