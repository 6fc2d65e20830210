/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_install.c - rgs-enroll install: put the issued certificate next to its
 * key on the token, after checking it, and prove the token signs with it.
 *
 * Nothing is written before every check passed. The token is written first
 * and the order last, in one transaction: a run cut short (token pulled
 * out) leaves the order as it was, and running the same command again
 * finds what was already written and finishes the job. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "certsession.h"
#include "expiry.h"
#include "commands.h"
#include "rgs_common.h"
#include "orders.h"

static void usage(void)
{
  printf("%s\n", _("Usage: rgs-enroll install [ID] [--cert FILE] [--ca-file FILE] [--with-chain]\n"
                   "                          [--replace] [--label TEXT] [--validity-years N]\n"
                   "                          [--no-revocation-check]\n"
                   "Check the issued certificate, write it on the token next to its private key\n"
                   "and prove that the token signs with it. FILE: PEM, DER or PKCS#7 (.p7b/.p7c),\n"
                   "with or without its chain, in any order. With the order number ID the\n"
                   "certificate must be for the key bound to the order and name its holder and\n"
                   "company; the order becomes issued, then installed. Without --cert, the\n"
                   "certificate that `submit --est` brought back for the order is used.\n"
                   "  --cert FILE          the certificate (and its chain) as the CA delivered it\n"
                   "  --ca-file FILE       trust anchors (PEM) instead of the system trust store\n"
                   "  --with-chain         also write the CA certificates of the chain\n"
                   "  --replace            replace a different certificate already on the token\n"
                   "                       for the same key\n"
                   "  --label TEXT         label of the certificate object (default: the key's)\n"
                   "  --validity-years N   ordered validity, 1 to 3, when there is no order\n"
                   "  --no-revocation-check  do not ask the CA whether the certificate is revoked\n"
                   "                       (offline use); by default its OCSP service, else its\n"
                   "                       CRL, is asked: a revoked certificate is never\n"
                   "                       installed, an unanswered question is said\n"
                   "Installing the same certificate again changes nothing."));
}

typedef struct {
  long long order_id;          /* 0: no order */
  const char *cert_file, *ca_file, *label;
  int with_chain, replace;
  int no_revocation;           /* --no-revocation-check */
  long years;
  int help;                    /* --help: the usage was printed, nothing to run */
} install_opts;

typedef struct {
  rgs_session s;
  rgs_order_store *st;
  rgs_order order;
  STACK_OF(X509) *certs;       /* as delivered */
  STACK_OF(X509) *anchors;     /* trusted for the order when EST brought it */
  STACK_OF(X509) *chain;       /* verified, leaf first */
  X509 *leaf;                  /* borrowed from certs */
  rgs_p11_key *key;
  rgs_p11_report *rep;
  rgs_p11_cert *on_token;
  size_t n_on_token;
  int had_same, wrote_cert, ca_written, replaced, order_changed;
  char refused[512];           /* why the certificate itself was refused, "" otherwise */
  rgs_rev_result rev;          /* its revocation status */
} install_run;

static int parse(rgs_io *io, int argc, char **argv, install_opts *o)
{
  static const struct option opts[] = {
    { "cert", required_argument, NULL, 'c' },
    { "ca-file", required_argument, NULL, 'a' },
    { "with-chain", no_argument, NULL, 'w' },
    { "replace", no_argument, NULL, 'r' },
    { "label", required_argument, NULL, 'l' },
    { "validity-years", required_argument, NULL, 'v' },
    { "no-revocation-check", no_argument, NULL, 'R' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;

  memset(o, 0, sizeof(*o));
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'c': o->cert_file = optarg; break;
    case 'a': o->ca_file = optarg; break;
    case 'w': o->with_chain = 1; break;
    case 'r': o->replace = 1; break;
    case 'l': o->label = optarg; break;
    case 'R': o->no_revocation = 1; break;
    case 'v':
      if (!rgs_parse_number(optarg, 1, 3, &o->years))
        return rgs_usage_error(io, "install", "%s", _("--validity-years must be 1, 2 or 3"));
      break;
    case 'h': usage(); o->help = 1; return RGS_EXIT_OK;
    default: return rgs_usage_error(io, "install", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind < argc && rgs_parse_order_id(io, "install", argv[optind++], &o->order_id) != 0)
    return RGS_EXIT_USAGE;
  if (optind < argc)
    return rgs_usage_error(io, "install", _("unexpected argument '%s'"), argv[optind]);
  if (o->cert_file == NULL && o->order_id == 0)
    return rgs_usage_error(io, "install", "%s", _("give --cert FILE, or the order number"));
  if (o->label != NULL && (o->label[0] == '\0' || strlen(o->label) > 64))
    return rgs_usage_error(io, "install", "%s", _("--label must have 1 to 64 bytes"));
  return RGS_EXIT_OK;
}

/* ---- before the token ---------------------------------------------------- */

/* What submit --est kept with the order: the certificate, its chain, and
 * the CA certificates the holder chose to trust for it. */
static int load_received(const rgs_io *io, const install_opts *o, install_run *r)
{
  rgs_order_issuance is;
  char detail[256];
  int found = 0, ret = RGS_EXIT_OK;
  rgs_order_rc rc = rgs_order_issuance_get(r->st, o->order_id, &is, &found);

  if (rc != RGS_ORDER_OK)
    return rgs_fail_store(io, "install", rc, r->st);
  if (!found || is.cert_pem == NULL) {
    snprintf(detail, sizeof(detail),
             _("no certificate was received for order %lld: give --cert FILE, or run rgs-enroll submit %lld --est URL"),
             o->order_id, o->order_id);
    ret = rgs_fail(io, "install", RGS_EXIT_USAGE, _("no certificate to install"), detail);
  } else if (rgs_certs_load_mem((const unsigned char *)is.cert_pem, strlen(is.cert_pem),
                                &r->certs) != RGS_CERTS_OK ||
             (is.ca_pem != NULL && is.ca_pem[0] != '\0' &&
              rgs_certs_load_mem((const unsigned char *)is.ca_pem, strlen(is.ca_pem),
                                 &r->anchors) != RGS_CERTS_OK)) {
    ret = rgs_fail_order(io, "install", RGS_ORDER_ERR_CORRUPT,
                         _("the certificate kept with the order cannot be read"));
  }
  rgs_order_issuance_clear(&is);
  return ret;
}

/* The trust anchors' file is opened once before the token is touched, so
 * that a FIFO or a missing file is said at once (certcheck reads it). */
static int check_ca_file(const rgs_io *io, const install_opts *o)
{
  rgsx_rc frc = RGSX_OK;
  char detail[512];
  int fd;

  if (o->ca_file == NULL)
    return RGS_EXIT_OK;
  fd = rgsx_open_regular(o->ca_file, &frc);
  if (fd >= 0) {
    close(fd);
    return RGS_EXIT_OK;
  }
  snprintf(detail, sizeof(detail), "%s: %s", o->ca_file,
           frc == RGSX_ERR_SYSTEM ? strerror(errno) : rgsx_strerror(frc));
  return rgs_fail(io, "install", RGS_EXIT_IO, _("the CA file could not be read"), detail);
}

static int load_certs(const rgs_io *io, const install_opts *o, install_run *r)
{
  char why[512];
  rgs_certs_rc rc;
  int ret = check_ca_file(io, o);

  if (ret != RGS_EXIT_OK)
    return ret;
  if (o->cert_file == NULL)
    return load_received(io, o, r);
  rc = rgs_certs_load_file(o->cert_file, &r->certs, why, sizeof(why));
  switch (rc) {
  case RGS_CERTS_OK: return RGS_EXIT_OK;
  case RGS_CERTS_ERR_IO:
  case RGS_CERTS_ERR_FORMAT:
    return rgs_fail(io, "install", RGS_EXIT_IO, rgs_certs_strerror(rc), why);
  case RGS_CERTS_ERR_NOMEM:
  case RGS_CERTS_ERR_CRYPTO:
    break;
  }
  return rgs_fail(io, "install", RGS_EXIT_INTERNAL, rgs_certs_strerror(rc), NULL);
}

/* The order must be able to take the certificate before the token is
 * touched: an order that is not yet submitted, or cancelled, refuses it. */
static int check_order(const rgs_io *io, install_run *r, long long id)
{
  char detail[256];
  rgs_order_rc rc = rgs_order_get(r->st, id, &r->order);

  if (rc != RGS_ORDER_OK)
    return rgs_fail_store(io, "install", rc, r->st);
  if (r->order.status == RGS_STATUS_ISSUED || r->order.status == RGS_STATUS_INSTALLED ||
      rgs_order_transition_allowed(r->order.status, RGS_STATUS_ISSUED))
    return RGS_EXIT_OK;
  snprintf(detail, sizeof(detail), _("order %lld is \"%s\" (%s): a certificate cannot be installed for it now; see rgs-enroll status %lld"),
           id, rgs_order_status_word(r->order.status), rgs_order_status_label(r->order.status), id);
  return rgs_fail_order(io, "install", RGS_ORDER_ERR_TRANSITION, detail);
}

/* The end-entity certificate of the bundle. */
static int pick_leaf(const rgs_io *io, const install_opts *o, install_run *r)
{
  char detail[256];

  r->leaf = rgs_certs_leaf(r->certs, NULL);
  if (r->leaf == NULL && sk_X509_num(r->certs) == 1)
    r->leaf = sk_X509_value(r->certs, 0);    /* judged below: a CA one is refused */
  if (r->leaf != NULL)
    return RGS_EXIT_OK;
  snprintf(detail, sizeof(detail), _("%s: %d certificates, none or several of them for a holder"),
           o->cert_file != NULL ? o->cert_file : "", sk_X509_num(r->certs));
  snprintf(r->refused, sizeof(r->refused), "%s", _("the file does not hold exactly one holder certificate"));
  return rgs_fail(io, "install", RGS_EXIT_CHECK,
                  _("the file does not hold exactly one holder certificate"), detail);
}

/* With an order, the certificate must be for the very key of its request. */
static int check_bound_key(const rgs_io *io, install_run *r)
{
  rgs_order_binding b;
  unsigned char spki[32];
  char hex[65], detail[512];
  int found = 0, ret = RGS_EXIT_OK;
  rgs_order_rc rc;

  memset(&b, 0, sizeof(b));
  rc = rgs_order_binding_get(r->st, r->order.id, &b, &found);
  if (rc != RGS_ORDER_OK) {
    ret = rgs_fail_store(io, "install", rc, r->st);
    goto cleanup;
  }
  /* A key that does not decode is the certificate's fault, not the
   * library's: refused like any other bad certificate. */
  if (X509_get0_pubkey(r->leaf) == NULL) {
    snprintf(r->refused, sizeof(r->refused), "%s", _("its public key cannot be read (the certificate is malformed)"));
    ret = rgs_fail(io, "install", RGS_EXIT_CHECK,
                   _("the certificate is refused: its public key cannot be read (the certificate is malformed)"),
                   NULL);
    goto cleanup;
  }
  if (!rgs_spki_sha256(X509_get0_pubkey(r->leaf), spki)) {
    ret = rgs_fail(io, "install", RGS_EXIT_INTERNAL, rgs_p11_strerror(RGS_P11_ERR_CRYPTO), NULL);
    goto cleanup;
  }
  rgsx_hex(spki, sizeof(spki), hex);
  if (!found) {
    snprintf(detail, sizeof(detail), _("order %lld has no certificate request bound to it"),
             r->order.id);
    ret = rgs_fail_order(io, "install", RGS_ORDER_ERR_MISMATCH, detail);
  } else if (strcmp(hex, b.spki_sha256) != 0) {
    /* The key first: a certificate for another key is that, whatever name
     * it carries. */
    snprintf(detail, sizeof(detail),
             _("order %lld: the certificate's public key (SPKI SHA-256 %s) is not the key of the order's request (%s)"),
             r->order.id, hex, b.spki_sha256);
    snprintf(r->refused, sizeof(r->refused), "%s", _("it is for another key, not the key of the order's request"));
    ret = rgs_fail(io, "install", RGS_EXIT_CHECK,
                   _("this certificate is for another key, not the key of the order"), detail);
  }

cleanup:
  rgs_order_binding_clear(&b);
  return ret;
}

/* ---- revocation ---------------------------------------------------------- */

/* A revoked certificate: refused before anything is written, with the
 * revocation's date, reason and source. */
static int fail_revoked(const rgs_io *io, install_run *r)
{
  static const char code[] = "certificate-revoked";
  const char *msg = _("the certificate is refused: the certification authority has revoked it; nothing was written on the token");
  char sentence[1024];
  rgs_json j;

  rgs_rev_sentence(&r->rev, sentence, sizeof(sentence));
  snprintf(r->refused, sizeof(r->refused), "%s", _("the certification authority has revoked it"));
  rgs_err(io, "%s", msg);
  fprintf(stderr, _("  detail: %s\n"), sentence);
  if (!io->json)
    return RGS_EXIT_CHECK;
  rgs_json_start(&j, stdout);
  rgs_json_object(&j, NULL);
  rgs_json_str(&j, "command", "install");
  rgs_json_bool(&j, "ok", 0);
  rgs_json_int(&j, "exit", RGS_EXIT_CHECK);
  rgs_json_object(&j, "error");
  rgs_json_str(&j, "code", code);
  rgs_json_str(&j, "message", msg);
  rgs_json_str(&j, "detail", sentence);
  rgs_json_end(&j);
  rgs_rev_json(&j, "revocation", &r->rev);
  rgs_json_report(&j, r->rep);
  rgs_json_finish(&j);
  return RGS_EXIT_CHECK;
}

/* Ask the CA (OCSP, else CRL) about the verified certificate, its issuer
 * being the next one of the chain. Revoked: refused. Unknown: said, and
 * the install goes on (offline use is legitimate: the token still works,
 * and the status can be asked again with check --delivered). */
static int check_revocation(const rgs_io *io, install_run *r)
{
  rgs_rev_opts ro;
  char sentence[1024];

  if (io->revocation == NULL) {
    rgs_rev_set_not_checked(&r->rev, _("turned off with --no-revocation-check"));
    return RGS_EXIT_OK;
  }
  rgs_rev_opts_init(&ro, rgs_now());
  io->revocation(r->leaf, sk_X509_num(r->chain) >= 2 ? sk_X509_value(r->chain, 1) : NULL, &ro,
                 &r->rev);
  if (r->rev.rc == RGS_REV_REVOKED)
    return fail_revoked(io, r);
  if (r->rev.rc != RGS_REV_GOOD) {
    rgs_rev_sentence(&r->rev, sentence, sizeof(sentence));
    rgs_warn(io, _("whether the certificate is revoked could not be checked: %s; it is installed all the same (ask again later with rgs-enroll check --delivered)"),
             sentence);
  }
  return RGS_EXIT_OK;
}

/* ---- on the token ------------------------------------------------------- */

/* What the token already holds for this key: the same certificate (the run
 * is a repeat), and/or different ones (--replace). */
static int survey_token(const rgs_io *io, const install_opts *o, install_run *r)
{
  EVP_PKEY *pub = rgs_p11_key_public(r->key);
  rgs_p11_rc rc = rgs_p11_cert_list(r->s.tok, &r->on_token, &r->n_on_token);
  char detail[256];
  size_t i;
  int others = 0;

  if (rc != RGS_P11_OK)
    return rgs_fail_p11(io, "install", rc, r->s.ctx);
  for (i = 0; i < r->n_on_token; i++) {
    if (X509_cmp(r->on_token[i].x509, r->leaf) == 0)
      r->had_same = 1;
    else if (EVP_PKEY_eq(X509_get0_pubkey(r->on_token[i].x509), pub) == 1)
      others++;
  }
  if (others == 0 || o->replace)
    return RGS_EXIT_OK;
  if (r->had_same) {
    rgs_warn(io, "%s", _("another certificate for the same key is also on the token: --replace removes it"));
    return RGS_EXIT_OK;
  }
  snprintf(detail, sizeof(detail), _("%d other certificate(s) for this key; nothing was written"),
           others);
  /* A code of its own: the window asks before it runs again with --replace. */
  return rgs_fail_code(io, "install", RGS_EXIT_CHECK, "certificate-other-installed",
                       _("a different certificate is already installed for this key: use --replace to replace it"),
                       detail, NULL);
}

static int on_token(const install_run *r, X509 *c)
{
  size_t i;

  for (i = 0; i < r->n_on_token; i++)
    if (X509_cmp(r->on_token[i].x509, c) == 0)
      return 1;
  return 0;
}

/* Token-layer failure while writing: say what the user should do next. */
static int write_failed(const rgs_io *io, install_run *r, rgs_p11_rc rc)
{
  int ret = rgs_fail_p11(io, "install", rc, r->s.ctx);

  if (rc == RGS_P11_ERR_TOKEN_REMOVED)
    rgs_err(io, "%s", _("the order was not changed: plug the token back in and run the same command again to finish"));
  return ret;
}

/* A run killed while it wrote the certificate can leave an empty or
 * half-written certificate object for the key. Removed once the good one is
 * on the token, so that the token ends with exactly one. Only a pulled-out
 * token stops the install here: the certificate itself is in place. */
static int remove_leftovers(const rgs_io *io, install_run *r)
{
  size_t n = 0;
  rgs_p11_rc rc = rgs_p11_cert_remove_partial(r->s.tok, r->key, &n);

  if (n > 0)
    rgs_warn(io, ngettext("an interrupted installation had left an empty or damaged certificate for this key on the token: removed",
                           "an interrupted installation had left %zu empty or damaged certificates for this key on the token: removed",
                           (unsigned long)n),
             n);
  if (rc == RGS_P11_ERR_TOKEN_REMOVED)
    return write_failed(io, r, rc);
  if (rc != RGS_P11_OK)
    rgs_warn(io, _("an empty or damaged certificate that an interrupted installation left on the token could not be removed (%s: %s)"),
             rgs_p11_strerror(rc), rgs_p11_last_error(r->s.ctx));
  return RGS_EXIT_OK;
}

static int write_objects(const rgs_io *io, const install_opts *o, install_run *r)
{
  const char *label = o->label;
  char cn[65];
  rgs_p11_rc rc;
  size_t i;
  int k, ret;

  if (label == NULL && rgs_p11_key_label(r->key)[0] != '\0')
    label = rgs_p11_key_label(r->key);
  if (label == NULL) {
    rgs_cert_cn(r->leaf, cn, sizeof(cn));
    if (cn[0] == '\0')
      snprintf(cn, sizeof(cn), "RGS**");
    label = cn;
  }
  if (!r->had_same) {
    rc = rgs_p11_cert_write(r->s.tok, r->key, r->leaf, label, NULL);
    if (rc != RGS_P11_OK)
      return write_failed(io, r, rc);
    r->wrote_cert = 1;
  }
  ret = remove_leftovers(io, r);
  if (ret != RGS_EXIT_OK)
    return ret;
  for (k = 1; o->with_chain && k < sk_X509_num(r->chain); k++) {
    X509 *ca = sk_X509_value(r->chain, k);
    if (on_token(r, ca))
      continue;
    rgs_cert_cn(ca, cn, sizeof(cn));
    if (cn[0] == '\0')
      snprintf(cn, sizeof(cn), "CA");
    rc = rgs_p11_cert_write_ca(r->s.tok, ca, cn, NULL);
    if (rc != RGS_P11_OK)
      return write_failed(io, r, rc);
    r->ca_written++;
  }
  /* The new certificate is on the token before the old one goes: a run cut
   * here leaves both, and the next run with --replace removes the old. */
  for (i = 0; o->replace && i < r->n_on_token; i++) {
    if (X509_cmp(r->on_token[i].x509, r->leaf) == 0 ||
        EVP_PKEY_eq(X509_get0_pubkey(r->on_token[i].x509), rgs_p11_key_public(r->key)) != 1)
      continue;
    rc = rgs_p11_cert_destroy(r->s.tok, r->on_token[i].handle);
    if (rc != RGS_P11_OK)
      return write_failed(io, r, rc);
    r->replaced++;
  }
  return RGS_EXIT_OK;
}

/* The token is ready when a signature it makes verifies with the
 * certificate read back from it. */
static int prove(const rgs_io *io, install_run *r)
{
  int ret = rgs_prove_installed(&r->s, r->key, r->leaf, "install");

  if (ret == RGS_EXIT_TOKEN)
    rgs_err(io, "%s", _("the order was not changed: plug the token back in and run the same command again to finish"));
  return ret;
}

/* ---- the order ---------------------------------------------------------- */

/* The CA issued, so the face-to-face took place; but when its signed record
 * is not in this store, the history says so rather than skip it silently. */
static rgs_order_rc note_missing_f2f(install_run *r)
{
  rgs_order_f2f rec;
  int found = 0;
  rgs_order_rc rc = rgs_order_f2f_latest(r->st, r->order.id, &rec, &found);
  int proved = found && rec.success && rec.verified;

  rgs_order_f2f_clear(&rec);
  if (rc != RGS_ORDER_OK || proved)
    return rc;
  return rgs_order_note(r->st, r->order.id, _("installed; no face-to-face record was imported"));
}

/* Issued, then installed, in one transaction, after the token is ready. */
static int record(const rgs_io *io, const install_opts *o, install_run *r)
{
  char note[160], serial_hex[80] = "?", *pem = NULL;
  BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(r->leaf), NULL);
  char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
  rgs_order_rc rc = RGS_ORDER_OK;

  if (hex != NULL)
    snprintf(serial_hex, sizeof(serial_hex), "%s", hex);
  OPENSSL_free(hex);
  BN_free(bn);
  if (r->order.status == RGS_STATUS_INSTALLED)
    return RGS_EXIT_OK;
  snprintf(note, sizeof(note), _("certificate serial %s"), serial_hex);
  rc = rgs_order_store_begin(r->st);
  if (rc == RGS_ORDER_OK && o->cert_file != NULL) {
    pem = rgs_certs_pem(r->leaf, r->chain);
    rc = pem != NULL ? rgs_order_cert_received(r->st, r->order.id, pem, NULL, "file")
                     : RGS_ORDER_ERR_NOMEM;
    free(pem);
  }
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_get(r->st, r->order.id, &r->order);
  if (rc == RGS_ORDER_OK && r->order.status != RGS_STATUS_ISSUED)
    rc = rgs_order_set_status(r->st, r->order.id, RGS_STATUS_ISSUED, note);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_set_status(r->st, r->order.id, RGS_STATUS_INSTALLED, note);
  if (rc == RGS_ORDER_OK)
    rc = rgs_expiry_record(r->st, r->order.id, r->leaf);   /* for status and remind */
  if (rc == RGS_ORDER_OK)
    rc = note_missing_f2f(r);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_store_commit(r->st);
  else
    rgs_order_store_rollback(r->st);
  if (rc != RGS_ORDER_OK) {
    rgs_err(io, "%s", _("the certificate is on the token, but the order could not be updated: run the same command again"));
    return rgs_fail_store(io, "install", rc, r->st);
  }
  r->order_changed = 1;
  return RGS_EXIT_OK;
}

/* ---- the browsers, offered once the certificate is installed ------------- */

static const char *browsers_hint(void)
{
  return _("To use the certificate in Firefox and Chromium: rgs-enroll browsers --add (close Firefox first).");
}

/* --json: the step named for programs, which never get the question. */
static void json_next(rgs_json *j)
{
  rgs_json_array(j, "next");
  rgs_json_object(j, NULL);
  rgs_json_str(j, "step", "browsers");
  rgs_json_str(j, "command", "browsers --add");
  rgs_json_str(j, "text", browsers_hint());
  rgs_json_end(j);
  rgs_json_end(j);
}

/* The person said yes: "y", "yes", "o", "oui" or the translated "yes";
 * anything else (an empty line, end of input) is the default, no. */
static int said_yes(void)
{
  char line[32];

  if (fgets(line, sizeof(line), stdin) == NULL)
    return 0;
  line[strcspn(line, "\r\n")] = '\0';
  return rgs_answer_yes(line);
}

/* After a successful install: ask a person at a terminal whether to
 * register the token's module with the browsers now, and do it (browsers
 * --add, in rgs-enroll-full only: it links NSS); otherwise say how. Run
 * once the token session is closed: NSS loads the module its own way. The
 * install's result stands whatever happens here. */
static void offer_browsers(rgs_io *io)
{
  int (*browsers)(rgs_io *, int, char **) = cli_browsers_fn();
  char *argv[] = { "browsers", "--add", NULL };
  int ret;

  if (io->json)
    return;                    /* said by json_next */
  if (browsers == NULL || !isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
    printf("%s\n", browsers_hint());
    return;
  }
  fflush(stdout);
  /* TRANSLATORS: [y/N]: the answer "y" (or "o", "oui", "yes") means yes, anything else no. */
  fprintf(stderr, "%s ", _("Make the certificate usable in Firefox and Chromium now? [y/N]"));
  if (!said_yes()) {
    printf("%s\n", browsers_hint());
    return;
  }
  optind = 0;                  /* browsers parses its own options afresh */
  ret = browsers(io, 2, argv);
  if (ret != RGS_EXIT_OK)
    rgs_warn(io, "%s", _("the certificate is installed, but the browsers could not all be set up: see above, then run rgs-enroll browsers --add again"));
}

/* ---- output ------------------------------------------------------------- */

static void json_cert(rgs_json *j, const char *name, X509 *c)
{
  char fp[128], from[32], to[32];
  char *subject = rgs_cert_subject(c);
  struct tm tm;

  rgs_cert_fingerprint(c, fp, sizeof(fp));
  memset(&tm, 0, sizeof(tm));
  from[0] = to[0] = '\0';
  if (ASN1_TIME_to_tm(X509_get0_notBefore(c), &tm) == 1)
    strftime(from, sizeof(from), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (ASN1_TIME_to_tm(X509_get0_notAfter(c), &tm) == 1)
    strftime(to, sizeof(to), "%Y-%m-%dT%H:%M:%SZ", &tm);
  rgs_json_object(j, name);
  rgs_json_str(j, "subject", subject);
  rgs_json_str(j, "sha256", fp);
  rgs_json_str(j, "not_before", from);
  rgs_json_str(j, "not_after", to);
  rgs_json_end(j);
  OPENSSL_free(subject);
}

/* The certificate's validity for people, in the machine's local time. */
static void print_validity(X509 *c)
{
  char from[128], to[128];
  time_t a = rgsx_asn1_time(X509_get0_notBefore(c)), b = rgsx_asn1_time(X509_get0_notAfter(c));

  if (a == (time_t)-1 || b == (time_t)-1)
    return;
  rgsx_time_text_t(a, 0, from, sizeof(from));
  rgsx_time_text_t(b, 0, to, sizeof(to));
  /* TRANSLATORS: "  Valide du %s au %s\n" in French (dates with their time). */
  printf(_("  Valid        : from %s until %s\n"), from, to);
}

static void print_done(const rgs_io *io, install_run *r)
{
  rgs_json j;
  char fp[128], revoc[1024];
  char *subject;
  int changed = r->wrote_cert || r->ca_written > 0 || r->replaced > 0 || r->order_changed;

  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "install");
    rgs_json_bool(&j, "ok", 1);
    if (r->order.id > 0) {
      rgs_json_int(&j, "order", r->order.id);
      rgs_json_int(&j, "order_id", r->order.id);
    }
    rgs_json_bool(&j, "changed", changed);
    rgs_json_bool(&j, "certificate_written", r->wrote_cert);
    rgs_json_int(&j, "ca_certificates_written", r->ca_written);
    rgs_json_int(&j, "certificates_replaced", r->replaced);
    rgs_json_bool(&j, "signature_verified", 1);
    if (r->order.id > 0)
      rgs_json_str(&j, "status", rgs_order_status_name(RGS_STATUS_INSTALLED));
    json_cert(&j, "certificate", r->leaf);
    rgs_rev_json(&j, "revocation", &r->rev);
    rgs_json_key(&j, "key", &r->s, r->key);
    rgs_json_token(&j, "token", rgs_p11_token_info(r->s.tok));
    rgs_json_report(&j, r->rep);
    json_next(&j);
    rgs_json_finish(&j);
    return;
  }
  subject = rgs_cert_subject(r->leaf);
  rgs_cert_fingerprint(r->leaf, fp, sizeof(fp));
  rgs_print_token(io, rgs_p11_token_info(r->s.tok));
  rgs_print_key(io, &r->s, r->key);
  rgs_print_report(io, r->rep);
  printf(_("Certificate: %s\n  SHA-256      : %s\n"), subject != NULL ? subject : "?", fp);
  print_validity(r->leaf);
  rgs_rev_sentence(&r->rev, revoc, sizeof(revoc));
  /* TRANSLATORS: aligned with "  Valid        : " above. */
  printf(_("  Revocation   : %s\n"), revoc);
  OPENSSL_free(subject);
  if (!changed)
    printf("%s\n", _("Already installed: nothing was changed."));
  else if (r->wrote_cert)
    printf("%s\n", _("Certificate written on the token next to its key and read back."));
  if (r->ca_written > 0)
    printf(_("%d CA certificate(s) written on the token.\n"), r->ca_written);
  if (r->replaced > 0)
    printf(_("%d previous certificate(s) for this key removed.\n"), r->replaced);
  printf("%s\n", _("Proof: a signature made on the token verifies with the installed certificate."));
  if (r->order_changed)
    printf(_("Order %lld: certificate installed.\n"), r->order.id);
}

/* ---- the command -------------------------------------------------------- */

/* 1 when a criterion of the certificate itself failed (structure,
 * subject, chain, dates, algorithms, key usage). "cert.key-on-token" is
 * not one: it says which token is plugged in, not what the certificate is. */
static int cert_itself_failed(const rgs_p11_report *rep)
{
  const rgs_p11_criterion *c;
  size_t i;

  for (i = 0; i < rgs_p11_report_count(rep); i++) {
    c = rgs_p11_report_get(rep, i);
    if (c->verdict == RGS_CHECK_FAIL && !c->waived && strncmp(c->id, "cert.", 5) == 0 &&
        strcmp(c->id, "cert.key-on-token") != 0)
      return 1;
  }
  return 0;
}

/* The headline of a refusal: the first thing that is wrong, in the order
 * that matters (the certificate itself, then whose key it is for). With an
 * order, check_bound_key has shown the certificate is for the order's key:
 * a key missing from the token then means another token is plugged in. */
static const char *refusal(const rgs_p11_report *rep, int key_is_orders)
{
  if (rgs_report_verdict(rep, "cert.structure") == RGS_CHECK_FAIL)
    return _("the certificate is refused: it is malformed; nothing was written on the token");
  if (key_is_orders && cert_itself_failed(rep))
    return _("the certificate is refused: nothing was written on the token");
  if (key_is_orders && rgs_report_verdict(rep, "cert.key-on-token") == RGS_CHECK_FAIL)
    return _("the token plugged in does not hold the key of this order: plug in the token that holds the key and run install again; nothing was written on the token");
  if (rgs_report_verdict(rep, "cert.key-on-token") == RGS_CHECK_FAIL)
    return _("this certificate is for another key, not a key on the token: nothing was written on the token");
  return _("the certificate is refused: nothing was written on the token");
}

/* The refusal in a few words, for the order's history and status; NULL
 * when the certificate itself passed (the wrong token, a key criterion):
 * nothing to hold against the certificate then. */
static const char *refusal_reason(const rgs_p11_report *rep)
{
  if (rgs_report_verdict(rep, "cert.structure") == RGS_CHECK_FAIL)
    return _("it is malformed");
  if (cert_itself_failed(rep))
    return _("a check of the certificate failed (rgs-enroll install shows which)");
  return NULL;
}

/* The certificate kept with the order was refused: the order keeps why,
 * so that status says it instead of "install". A failure to write that
 * is only warned about: the refusal itself is the command's result. */
static void keep_refusal(const rgs_io *io, const install_opts *o, install_run *r, int ret)
{
  rgs_order_rc rc;

  if (ret != RGS_EXIT_CHECK || r->st == NULL || o->cert_file != NULL || r->refused[0] == '\0')
    return;
  rc = rgs_order_install_refused(r->st, r->order.id, r->refused);
  if (rc != RGS_ORDER_OK)
    rgs_warn(io, _("the refusal could not be recorded with the order: %s (%s)"),
             rgs_order_strerror(rc), rgs_order_store_last_error(r->st));
}

static int run(rgs_io *io, const install_opts *o, install_run *r)
{
  rgs_certcheck_in in;
  int ret;

  if (o->order_id > 0) {
    ret = rgs_store_open_for(io, "install", o->order_id, &r->st);
    if (ret == RGS_EXIT_OK)
      ret = check_order(io, r, o->order_id);
    if (ret != RGS_EXIT_OK)
      return ret;
  }
  ret = load_certs(io, o, r);
  if (ret == RGS_EXIT_OK)
    ret = pick_leaf(io, o, r);
  if (ret == RGS_EXIT_OK && r->st != NULL)
    ret = check_bound_key(io, r);
  if (ret == RGS_EXIT_OK)
    ret = rgs_session_open(&r->s, io, "install");
  if (ret == RGS_EXIT_OK)
    ret = rgs_session_login(&r->s, "install");
  if (ret != RGS_EXIT_OK)
    return ret;
  memset(&in, 0, sizeof(in));
  in.cert = r->leaf;
  in.untrusted = r->certs;
  in.anchors = r->anchors;
  in.ca_file = o->ca_file;
  in.now = rgs_now();
  in.order = r->st != NULL ? &r->order : NULL;
  in.validity_years = r->st != NULL ? r->order.validity_years : (int)o->years;
  ret = rgs_certcheck_pair(&r->s, &in, &r->key, &r->rep, &r->chain, "install");
  if (ret != RGS_EXIT_OK)
    return ret;
  if (!rgs_p11_report_passed(r->rep)) {
    if (!io->json)
      rgs_print_report(io, r->rep);
    if (r->st != NULL && refusal_reason(r->rep) != NULL)
      snprintf(r->refused, sizeof(r->refused), "%s", refusal_reason(r->rep));
    return rgs_fail_report(io, "install", RGS_EXIT_CHECK, refusal(r->rep, r->st != NULL),
                           r->rep);
  }
  ret = check_revocation(io, r);
  if (ret == RGS_EXIT_OK)
    ret = survey_token(io, o, r);
  if (ret == RGS_EXIT_OK)
    ret = write_objects(io, o, r);
  if (ret == RGS_EXIT_OK)
    ret = prove(io, r);
  if (ret == RGS_EXIT_OK && r->st != NULL)
    ret = record(io, o, r);
  if (ret == RGS_EXIT_OK)
    print_done(io, r);
  return ret;
}

int cli_cmd_install(rgs_io *io, int argc, char **argv)
{
  install_opts o;
  install_run r;
  int ret;

  ret = parse(io, argc, argv, &o);
  if (ret != RGS_EXIT_OK || o.help)
    return ret;
  /* The revocation check needs libcurl: rgs-enroll-full does it. */
  if (!o.no_revocation && cli_is_lean())
    return cli_cmd_delegate(io, argc, argv);
  io->revocation = o.no_revocation ? NULL : cli_revocation_fn();
  memset(&r, 0, sizeof(r));
  ret = run(io, &o, &r);
  keep_refusal(io, &o, &r, ret);
  rgs_p11_cert_list_free(r.on_token, r.n_on_token);
  rgs_p11_report_free(r.rep);
  rgs_p11_key_free(r.key);
  rgs_certs_free(r.chain);
  rgs_certs_free(r.certs);
  rgs_certs_free(r.anchors);
  rgs_session_close(&r.s);
  rgs_order_store_close(r.st);
  if (ret == RGS_EXIT_OK)
    offer_browsers(io);
  return ret;
}
