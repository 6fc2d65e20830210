/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_submit.c - rgs-enroll submit: hand the order's request to the CA.
 *
 * Without --est, the request is written to a file to upload on the CA's
 * portal. With --est URL, it goes to the CA's EST server (RFC 7030 / 8951):
 * /cacerts first, to know which CA certificates to trust (an explicit CA
 * file, the system store, or a fingerprint the user confirms), then
 * /simpleenroll with the order reference and the retrieval code (read like
 * a PIN, never from the command line). A 202 answer is recorded in the
 * order with the time to ask again; --wait keeps asking, never sooner than
 * the server's Retry-After. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/pem.h>
#include "certcheck.h"
#include "commands.h"
#include "estflow.h"
#include "rgs_common.h"
#include "secret.h"
#include "orders.h"

#define RGS_WAIT_MAX_DEFAULT (24L * 3600)

static void usage(void)
{
  printf("%s\n", _("Usage: rgs-enroll submit ID [--out FILE] [--force]\n"
                   "       rgs-enroll submit ID --est URL [--ca-file FILE] [--ca-fingerprint SHA256]\n"
                   "                  [--user REF] [--code-file PATH | --code-fd N] [--client-cert]\n"
                   "                  [--wait] [--wait-max SECONDS] [--now] [--timeout SECONDS]\n"
                   "Hand the certificate request bound to order ID to the certification\n"
                   "authority; the order becomes submitted.\n"
                   "Without --est: write the request (PEM) to FILE to upload on the CA's portal\n"
                   "(default rgs-request-order-ID-REF.csr, REF the order's CA reference when\n"
                   "known: the file start --order wrote, left as it is when it holds this request).\n"
                   "On the Certigna portal: ordering, payment, the CGU, and the upload of the\n"
                   "request where the CA accepts it. Here: the key and request on the token, the\n"
                   "request file or the EST exchange, then the installation. When Certigna posts\n"
                   "a token that already holds key and certificate, there is nothing to submit:\n"
                   "rgs-enroll check --delivered, then rgs-enroll pin change.\n"
                   "With --est URL (https://host[:port][/.well-known/est[/label]]): enrol over\n"
                   "EST. The CA certificates of /cacerts are trusted when they chain to --ca-file\n"
                   "(or the system store), or when their SHA-256 fingerprint is the one given\n"
                   "with --ca-fingerprint or confirmed at the terminal.\n"
                   "  --ca-file FILE         trust anchors (PEM) for the server and the CA\n"
                   "  --ca-fingerprint HEX   SHA-256 of the CA certificate, as the CA published it\n"
                   "  --user REF             HTTP user (default: the order's CA reference)\n"
                   "  --code-file PATH, --code-fd N   the retrieval code (default: asked on the\n"
                   "                         terminal); never on the command line\n"
                   "  --client-cert          authenticate with the holder's current certificate\n"
                   "                         on the token (TLS client certificate, PIN asked)\n"
                   "                         instead of the retrieval code\n"
                   "  --wait                 while the CA answers \"not yet\" (202), ask again\n"
                   "                         after the delay it gives (at least 60 s, at most 30\n"
                   "                         requests), up to --wait-max (24 h)\n"
                   "  --now                  ask now, even before the time the CA gave for the\n"
                   "                         next try (by default submit waits for it, with\n"
                   "                         --wait, or says when and sends nothing)\n"
                   "  --timeout SECONDS      for each exchange (default 60)\n"
                   "The certificate received is kept with the order: rgs-enroll install ID."));
}

typedef struct {
  long long id;
  const char *out, *est, *ca_file, *fingerprint, *user;
  cli_secret_opt code;
  int force, wait, client_cert, now;
  long wait_max, timeout;
  char est_url[2048];          /* --est as checked: https://host[:port]/path */
  int help;                    /* --help: the usage was printed, nothing to run */
} submit_opts;

static int parse(rgs_io *io, int argc, char **argv, submit_opts *o)
{
  enum { O_OUT = 1, O_FORCE, O_EST, O_CA_FILE, O_FP, O_USER, O_CODE_FILE, O_CODE_FD, O_WAIT,
         O_WAIT_MAX, O_TIMEOUT, O_CLIENT_CERT, O_NOW, O_HELP };
  static const struct option opts[] = {
    { "out", required_argument, NULL, O_OUT },
    { "force", no_argument, NULL, O_FORCE },
    { "est", required_argument, NULL, O_EST },
    { "ca-file", required_argument, NULL, O_CA_FILE },
    { "ca-fingerprint", required_argument, NULL, O_FP },
    { "user", required_argument, NULL, O_USER },
    { "code-file", required_argument, NULL, O_CODE_FILE },
    { "code-fd", required_argument, NULL, O_CODE_FD },
    { "wait", no_argument, NULL, O_WAIT },
    { "wait-max", required_argument, NULL, O_WAIT_MAX },
    { "timeout", required_argument, NULL, O_TIMEOUT },
    { "client-cert", no_argument, NULL, O_CLIENT_CERT },
    { "now", no_argument, NULL, O_NOW },
    { "help", no_argument, NULL, O_HELP },
    { NULL, 0, NULL, 0 },
  };
  cli_secret_opt init = CLI_SECRET_OPT_INIT;
  int c, ret = RGS_EXIT_OK;

  memset(o, 0, sizeof(*o));
  o->code = init;
  o->wait_max = RGS_WAIT_MAX_DEFAULT;
  o->timeout = 60;
  while (ret == RGS_EXIT_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case O_OUT: o->out = optarg; break;
    case O_FORCE: o->force = 1; break;
    case O_EST: o->est = optarg; break;
    case O_CA_FILE: o->ca_file = optarg; break;
    case O_FP: o->fingerprint = optarg; break;
    case O_USER: o->user = optarg; break;
    case O_CODE_FILE: o->code.file = optarg; break;
    case O_CODE_FD: ret = cli_secret_fd_arg(io, "submit", "--code-fd", optarg, &o->code); break;
    case O_WAIT: o->wait = 1; break;
    case O_CLIENT_CERT: o->client_cert = 1; break;
    case O_NOW: o->now = 1; break;
    case O_WAIT_MAX:
      ret = cli_seconds_arg(io, "submit", "--wait-max", optarg, 30L * 24 * 3600, &o->wait_max);
      break;
    case O_TIMEOUT:
      ret = cli_seconds_arg(io, "submit", "--timeout", optarg, 3600, &o->timeout);
      break;
    case 'h':
    case O_HELP: usage(); o->help = 1; return RGS_EXIT_OK;
    default: return rgs_usage_error(io, "submit", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (ret != RGS_EXIT_OK)
    return ret;
  ret = cli_est_tail_args(io, "submit", argc, argv, &o->id, &o->est, o->est_url,
                          sizeof(o->est_url));
  if (ret != RGS_EXIT_OK)
    return ret;
  if (o->est == NULL && (o->ca_file != NULL || o->fingerprint != NULL || o->user != NULL ||
                         o->code.file != NULL || o->code.fd >= 0 || o->wait || o->client_cert ||
                         o->now))
    return rgs_usage_error(io, "submit", "%s", _("--ca-file, --ca-fingerprint, --user, --code-*, --client-cert, --wait, --now go with --est"));
  if (o->client_cert && (o->code.file != NULL || o->code.fd >= 0))
    return rgs_usage_error(io, "submit", "%s", _("--client-cert authenticates instead of the retrieval code: no --code-*"));
  if (o->est != NULL && (o->out != NULL || o->force))
    return rgs_usage_error(io, "submit", "%s", _("--out and --force are for the request file, not --est"));
  return cli_secret_check(io, "submit", "code", &o->code);
}

typedef struct {
  rgs_order_store *st;
  rgs_order order;
  rgs_order_binding binding;
  X509_REQ *req;
} submit_run;

/* The order, its bound request, and a status that allows submitting. */
static int load(const rgs_io *io, const submit_opts *o, submit_run *r)
{
  char detail[256];
  BIO *b = NULL;
  int found = 0, ret;
  rgs_order_rc rc;

  ret = rgs_store_open_for(io, "submit", o->id, &r->st);
  if (ret != RGS_EXIT_OK)
    return ret;
  rc = rgs_order_get(r->st, o->id, &r->order);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_binding_get(r->st, o->id, &r->binding, &found);
  if (rc != RGS_ORDER_OK)
    return rgs_fail_store(io, "submit", rc, r->st);
  if (!found || r->order.status < RGS_STATUS_CSR_LINKED ||
      r->order.status == RGS_STATUS_CANCELLED || r->order.status == RGS_STATUS_REFUSED) {
    snprintf(detail, sizeof(detail),
             _("order %lld is \"%s\": bind a certificate request to it first (rgs-enroll start --order %lld, or order link)"),
             o->id, rgs_order_status_name(r->order.status), o->id);
    if (r->order.status == RGS_STATUS_CANCELLED || r->order.status == RGS_STATUS_REFUSED)
      snprintf(detail, sizeof(detail), _("order %lld is \"%s\""), o->id,
               rgs_order_status_name(r->order.status));
    return rgs_fail_order(io, "submit", RGS_ORDER_ERR_TRANSITION, detail);
  }
  b = BIO_new_mem_buf(r->binding.csr_pem, -1);
  r->req = b != NULL ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
  BIO_free(b);
  if (r->req == NULL)
    return rgs_fail_order(io, "submit", RGS_ORDER_ERR_CORRUPT,
                          _("the request bound to the order cannot be read"));
  return RGS_EXIT_OK;
}

/* csr-linked becomes submitted; later statuses stay as they are. */
static int mark_submitted(const rgs_io *io, submit_run *r, const char *note)
{
  rgs_order_rc rc;

  if (r->order.status != RGS_STATUS_CSR_LINKED)
    return RGS_EXIT_OK;
  rc = rgs_order_set_status(r->st, r->order.id, RGS_STATUS_SUBMITTED, note);
  if (rc != RGS_ORDER_OK)
    return rgs_fail_store(io, "submit", rc, r->st);
  r->order.status = RGS_STATUS_SUBMITTED;
  return RGS_EXIT_OK;
}

/* ---- to a file ---------------------------------------------------------- */

static int same_file(const char *path, const char *text)
{
  size_t len = 0;
  char *have = NULL;
  FILE *f = fopen(path, "rb");
  int same = 0;

  if (f == NULL)
    return 0;
  have = malloc(strlen(text) + 2);
  if (have != NULL) {
    len = fread(have, 1, strlen(text) + 1, f);
    same = len == strlen(text) && memcmp(have, text, len) == 0;
  }
  free(have);
  fclose(f);
  return same;
}

static int to_file(const rgs_io *io, const submit_opts *o, submit_run *r)
{
  char path[4096], note[300];
  int ret = RGS_EXIT_OK;
  rgs_json j;

  if (o->out != NULL)
    snprintf(path, sizeof(path), "%s", o->out);
  else if (!cli_order_file_name(path, sizeof(path), "rgs-request", o->id, r->order.ca_ref, ".csr"))
    return rgs_usage_error(io, "submit", "%s", _("the default file name is too long here: name the file with --out"));
  /* The same request already there is fine: running submit again is harmless. */
  if (!same_file(path, r->binding.csr_pem))
    ret = rgs_csr_write(io, r->req, path, 0, o->force, "submit");
  if (ret != RGS_EXIT_OK)
    return ret;
  snprintf(note, sizeof(note), _("request written to %.250s for the CA portal"), path);
  ret = mark_submitted(io, r, note);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "submit");
    rgs_json_bool(&j, "ok", 1);
    rgs_json_int(&j, "order", o->id);
    rgs_json_int(&j, "order_id", o->id);
    rgs_json_str(&j, "method", "file");
    rgs_json_str(&j, "file", path);
    rgs_json_str(&j, "spki_sha256", r->binding.spki_sha256);
    rgs_json_str(&j, "status", rgs_order_status_name(r->order.status));
    rgs_json_finish(&j);
    return RGS_EXIT_OK;
  }
  printf(_("Certificate request of order %lld written: %s\n"), o->id, path);
  printf("%s\n", _("Done here: the key and the request on the token, and this file. On the Certigna portal: the upload of the file (ordering, payment and the CGU were done there)."));
  printf(_("Next:\n"
           "  1. Log in to your customer area on the CA's site (Certigna: https://www.certigna.fr,\n"
           "     \"Espace client\"), open the order %s and upload this file.\n"
           "  2. Meet the AED for the face-to-face, then post the signed originals.\n"
           "  3. When the certificate is issued: rgs-enroll install %lld --cert FILE\n"),
         r->order.ca_ref[0] != '\0' ? r->order.ca_ref : "Pack ID RGS**", o->id);
  return RGS_EXIT_OK;
}

/* ---- over EST ------------------------------------------------------------- */

typedef struct {
  const rgs_io *io;
  const submit_opts *o;
  submit_run *r;
  time_t next_try;             /* recorded at the last "not yet" */
} pending_ctx;

/* Each "not yet": the order is submitted and knows when to ask again (wall
 * clock: the time is kept across runs and shown to people). */
static int on_pending(void *ud, long delay)
{
  pending_ctx *p = ud;
  rgs_order_rc rc;
  int ret = mark_submitted(p->io, p->r, _("request sent over EST"));

  if (ret != RGS_EXIT_OK)
    return ret;
  p->next_try = time(NULL) + delay;
  rc = rgs_order_est_pending(p->r->st, p->o->id, p->o->est, p->next_try);
  return rc == RGS_ORDER_OK ? RGS_EXIT_OK : rgs_fail_store(p->io, "submit", rc, p->r->st);
}

static int record_issued(const rgs_io *io, const submit_opts *o, submit_run *r, X509 *leaf,
                         STACK_OF(X509) *certs, STACK_OF(X509) *anchors)
{
  char *cert_pem = rgs_certs_pem(leaf, certs), *ca_pem = rgs_certs_pem(NULL, anchors);
  int ret = RGS_EXIT_OK;
  rgs_order_rc rc;

  if (cert_pem == NULL || ca_pem == NULL) {
    ret = rgs_fail(io, "submit", RGS_EXIT_INTERNAL, rgs_p11_strerror(RGS_P11_ERR_NOMEM), NULL);
    goto cleanup;
  }
  ret = mark_submitted(io, r, _("request sent over EST"));
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  rc = rgs_order_cert_received(r->st, o->id, cert_pem, ca_pem, "est");
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_get(r->st, o->id, &r->order);
  if (rc != RGS_ORDER_OK)
    ret = rgs_fail_store(io, "submit", rc, r->st);

cleanup:
  free(cert_pem);
  free(ca_pem);
  return ret;
}

static void stamp(time_t t, char *out, size_t len)
{
  struct tm tm;

  out[0] = '\0';
  if (gmtime_r(&t, &tm) != NULL)
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The members every EST answer of submit starts with. */
static void est_json_head(rgs_json *j, const submit_opts *o, int pending, int sent, int tries)
{
  rgs_json_start(j, stdout);
  rgs_json_object(j, NULL);
  rgs_json_str(j, "command", "submit");
  rgs_json_bool(j, "ok", 1);
  rgs_json_int(j, "order", o->id);
  rgs_json_int(j, "order_id", o->id);
  rgs_json_str(j, "method", "est");
  rgs_json_str(j, "url", o->est);
  rgs_json_bool(j, "pending", pending);
  rgs_json_bool(j, "sent", sent);
  rgs_json_int(j, "tries", tries);
}

/* Still pending: ask again at next_try, in `left` seconds. sent 0: this
 * run sent nothing, the time is the one the order recorded. */
static void print_pending(const rgs_io *io, const submit_opts *o, submit_run *r,
                          time_t next_try, long left, int tries, int sent)
{
  char when[32], words[128];
  rgs_json j;

  stamp(next_try, when, sizeof(when));
  rgsx_time_text_t(next_try, 0, words, sizeof(words));   /* for people: local, in words */
  if (io->json) {
    est_json_head(&j, o, 1, sent, tries);
    rgs_json_int(&j, "retry_after", left);
    rgs_json_str(&j, "next_try_at", when);
    rgs_json_str(&j, "status", rgs_order_status_name(r->order.status));
    rgs_json_finish(&j);
  } else if (sent) {
    printf(_("Order %lld: the CA has not issued the certificate yet (it waits for the face-to-face and the paper documents).\n"
             "Ask again after %s: rgs-enroll submit %lld --est %s (or add --wait).\n"),
           o->id, words, o->id, o->est);
  } else {
    printf(_("Order %lld: the CA asked to be asked again after %s (in %ld s); nothing was sent now.\n"
             "Run rgs-enroll submit %lld --est %s after that time, or add --wait (with a --wait-max long enough) to wait for it here.\n"),
           o->id, words, left, o->id, o->est);
  }
}

static void print_issued(const rgs_io *io, const submit_opts *o, submit_run *r, X509 *leaf,
                         int tries)
{
  char fp[128];
  char *subject = rgs_cert_subject(leaf);      /* sanitised: the CA wrote it */
  const char *shown = subject != NULL ? subject : "?";
  rgs_json j;

  rgs_cert_fingerprint(leaf, fp, sizeof(fp));
  if (io->json) {
    est_json_head(&j, o, 0, 1, tries);
    rgs_json_object(&j, "certificate");
    rgs_json_str(&j, "subject", shown);
    rgs_json_str(&j, "sha256", fp);
    rgs_json_end(&j);
    rgs_json_str(&j, "status", rgs_order_status_name(r->order.status));
    rgs_json_finish(&j);
  } else {
    printf(_("Order %lld: certificate received: %s\n  SHA-256 %s\nNext: rgs-enroll install %lld\n"),
           o->id, shown, fp, o->id);
  }
  OPENSSL_free(subject);
}

/* The next try the order recorded (RFC 7030 4.2.3: the client waits for
 * it, across runs). *first_delay: seconds to wait before asking (0: now).
 * *done: nothing is to be sent in this run (said already). */
static int honour_next_try(const rgs_io *io, const submit_opts *o, submit_run *r,
                           long *first_delay, int *done)
{
  time_t next_try = 0, now = time(NULL);
  long left;
  char when[32];
  int pending = 0;
  rgs_order_rc rc;

  *first_delay = 0;
  *done = 0;
  if (o->now)
    return RGS_EXIT_OK;
  rc = rgs_order_est_next_try(r->st, o->id, &next_try, &pending);
  if (rc != RGS_ORDER_OK)
    return rgs_fail_store(io, "submit", rc, r->st);
  if (!pending || next_try <= now)
    return RGS_EXIT_OK;
  /* A time edited far away in the store waits no longer than a server may ask. */
  left = next_try - now < RGS_EST_RETRY_MAX ? (long)(next_try - now) : RGS_EST_RETRY_MAX;
  if (o->wait && left <= o->wait_max) {
    stamp(next_try, when, sizeof(when));
    fprintf(stderr, _("Order %lld: the CA asked to be asked again after %s: asking again at that time (in %ld s)...\n"),
            o->id, when, left);
    *first_delay = left;
    return RGS_EXIT_OK;
  }
  print_pending(io, o, r, now + left, left, 0, 0);
  *done = 1;
  return RGS_EXIT_OK;
}

/* The retrieval code, read like a PIN, for HTTP Basic with the order
 * reference. */
static int read_code(const rgs_io *io, const submit_opts *o, const char *user, char *code,
                     size_t cap, size_t *len)
{
  rgs_p11_pin_source base, src;
  char prompt[200], why[768];

  memset(&base, 0, sizeof(base));
  base.from = RGS_PIN_FROM_TTY;
  cli_secret_source(&src, &base, &o->code);
  snprintf(prompt, sizeof(prompt), _("Retrieval code of order %s: "), user);
  if (rgs_p11_pin_read_why(&src, prompt, code, cap, len, why, sizeof(why)) == RGS_P11_OK)
    return RGS_EXIT_OK;
  return rgs_fail(io, "submit", RGS_EXIT_PIN, _("the retrieval code could not be read"),
                  why[0] != '\0' ? why : _("use --code-file or --code-fd when there is no terminal"));
}

/* TLS client authentication with the holder's current certificate: the
 * token logged in (the PIN read then, after the recorded next try). */
static int token_client(const rgs_io *io, submit_run *r, rgs_session *s, X509 **client,
                        rgs_tls_key **tls, rgs_est_conf *conf)
{
  int ret = rgs_session_open(s, io, "submit");

  if (ret == RGS_EXIT_OK)
    ret = rgs_session_login(s, "submit");
  if (ret == RGS_EXIT_OK)
    ret = rgs_est_token_identity(s, &r->order, client, tls, &conf->client_key, "submit");
  conf->client_cert = *client;
  return ret;
}

static int over_est(const rgs_io *io, const submit_opts *o, submit_run *r)
{
  STACK_OF(X509) *anchors = NULL, *certs = NULL;
  pending_ctx pc = { io, o, r, 0 };
  rgs_session s;
  rgs_tls_key *tls = NULL;
  X509 *client = NULL;
  rgs_est_conf conf;
  char code[256];
  size_t code_len = 0;
  X509 *leaf = NULL;
  rgs_est_pace pace;
  long retry_after = 0, first_delay = 0;
  int ret = RGS_EXIT_OK, tries = 0, done = 0;

  memset(&s, 0, sizeof(s));
  memset(&conf, 0, sizeof(conf));
  memset(&pace, 0, sizeof(pace));
  pace.wait = o->wait;
  pace.wait_max = o->wait_max;
  rgsx_wipe(code, sizeof(code));
  if (r->order.status == RGS_STATUS_INSTALLED)
    return rgs_fail(io, "submit", RGS_EXIT_CHECK,
                    _("the certificate of this order is already installed: to get a new one, use rgs-enroll renew"),
                    NULL);
  conf.url = o->est;
  conf.ca_file = o->ca_file;
  conf.timeout = o->timeout;
  conf.user = o->user != NULL ? o->user : o->client_cert ? NULL : r->order.ca_ref;
  if (conf.user != NULL && conf.user[0] == '\0')
    return rgs_usage_error(io, "submit", _("order %lld has no CA reference: give --user, or record it with rgs-enroll order set %lld --ca-ref REF"),
                           o->id, o->id);
  /* Before anything is asked or sent: too early means no contact at all. */
  ret = honour_next_try(io, o, r, &first_delay, &done);
  if (ret != RGS_EXIT_OK || done)
    return ret;
  /* The wait comes first, the PIN and the code after it: no secret is held
   * through it. */
  rgs_est_pace_begin(&pace, io, first_delay);
  if (o->client_cert)
    ret = token_client(io, r, &s, &client, &tls, &conf);
  if (ret == RGS_EXIT_OK)
    ret = rgs_est_trust(io, "submit", &conf, o->fingerprint, &anchors);
  if (ret == RGS_EXIT_OK && conf.user != NULL) {
    ret = read_code(io, o, conf.user, code, sizeof(code), &code_len);
    conf.secret = code;
    conf.secret_len = code_len;
  }
  if (ret == RGS_EXIT_OK)
    ret = rgs_est_poll(io, "submit", &conf, r->req, 0, &pace, on_pending, &pc, &certs,
                       &retry_after, &tries);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  /* The last request is sent: the code is no longer needed. */
  rgsx_wipe(code, sizeof(code));
  if (certs == NULL) {
    print_pending(io, o, r, pc.next_try, retry_after, tries, 1);
    goto cleanup;
  }
  ret = rgs_est_answer_leaf(io, "submit", r->req, certs, anchors, o->ca_file, &leaf);
  if (ret == RGS_EXIT_OK)
    ret = record_issued(io, o, r, leaf, certs, anchors);
  if (ret == RGS_EXIT_OK)
    print_issued(io, o, r, leaf, tries);

cleanup:
  rgsx_wipe(code, sizeof(code));
  rgs_certs_free(certs);
  rgs_certs_free(anchors);
  X509_free(client);
  rgs_tls_key_free(tls);         /* before the session: libp11 finalises the module */
  rgs_session_close(&s);
  rgs_est_global_cleanup();
  return ret;
}

int cli_cmd_submit(rgs_io *io, int argc, char **argv)
{
  submit_opts o;
  submit_run r;
  int ret;

  ret = parse(io, argc, argv, &o);
  if (ret != RGS_EXIT_OK || o.help)
    return ret;
  memset(&r, 0, sizeof(r));
  ret = load(io, &o, &r);
  if (ret == RGS_EXIT_OK)
    ret = o.est != NULL ? over_est(io, &o, &r) : to_file(io, &o, &r);
  X509_REQ_free(r.req);
  rgs_order_binding_clear(&r.binding);
  rgs_order_store_close(r.st);
  return ret;
}
