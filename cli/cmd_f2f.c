/* cmd_f2f.c - rgs-enroll f2f run | verify | print: the face-to-face with the
 * AED, its signed record, and the printed fiche d'intervention. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "f2f.h"
#include "rgs_common.h"
#include "steps.h"
#include "orders.h"

static void usage_run(void)
{
  printf("%s\n", _("Usage: rgs-enroll [--token URI] [--pin-file F | --pin-fd N] f2f run ID\n"
                   "         --aed-token URI [options]\n"
                   "The face-to-face of order ID, on the AED's laptop, with the holder's token and\n"
                   "the AED's token plugged in. The AED unlocks the AED's token; then: 1. the\n"
                   "holder's token meets RGS**; 2. it holds the key of the order's request (the\n"
                   "holder types the PIN); 3. it signs a fresh challenge that verifies with that\n"
                   "key; 4. the identity document; 5. the registration extract; 6. the AED. The\n"
                   "first step that fails ends the session: the refusal is recorded. The record\n"
                   "(canonical JSON, CMS-signed with the AED's key) is written to FILE and stored\n"
                   "with the order, which becomes face-to-face-done on a verified success.\n"
                   "On a terminal each step has its screen and missing answers are asked.\n"
                   "  --aed-token URI        the AED's token (default $RGS_ENROLL_AED_TOKEN); add\n"
                   "                         id=... to choose among several certificates\n"
                   "  --aed-module PATH      its PKCS#11 module (default $RGS_ENROLL_AED_MODULE,\n"
                   "                         else the holder's)\n"
                   "  --aed-pin-file PATH | --aed-pin-fd N   the AED's PIN (default: terminal)\n"
                   "  --aed-final-try        allow spending the AED PIN's last try\n"
                   "  --aed-name TEXT        AED operator (default: the certificate's CN)\n"
                   "  --office TEXT          AED office (default: the appointment's)\n"
                   "  --place TEXT           where it takes place (default: the office's city)\n"
                   "  --id-document KIND     id-card or passport\n"
                   "  --id-name TEXT         the holder's name as printed on the document\n"
                   "  --id-expires DATE      end of validity of the document (YYYY-MM-DD)\n"
                   "  --id-number NUMBER     document number: only a salted hash and the last\n"
                   "                         four characters are kept\n"
                   "  --id-verified yes|no   the document is genuine and shows the person present\n"
                   "  --extract-date DATE    date of the company registration extract\n"
                   "  --out FILE             record file (default f2f-ID-YYYYMMDD.p7m)\n"
                   "  --force                replace an existing record file\n"
                   "  --ca-file F, --ca-path D   more chain anchors of AED certificates; who\n"
                   "                         counts as an AED is said by the AED trust files\n"
                   "                         (--aed-trust), never by the system's store\n"
                   "  --batch                never ask: a missing answer is a usage error"));
}

static void usage_verify(void)
{
  printf("%s\n", _("Usage: rgs-enroll f2f verify FILE [--ca-file F] [--ca-path D] [--order ID]\n"
                   "                              [--id-number NUMBER]\n"
                   "Check a face-to-face record: the CMS signature over its content, that the\n"
                   "signer is a listed AED (AED trust files, --aed-trust; chain anchors from\n"
                   "them and --ca-file / --ca-path, never the system's store) at the signing\n"
                   "time, and not the holder; the content (canonical JSON, proof of possession,\n"
                   "dates), and its binding to the order in\n"
                   "the store (required with --order, else when the store has the order).\n"
                   "With --id-number, whether that document number is the one recorded.\n"
                   "Exit 0 for a valid record of a successful intervention, 1 otherwise.\n"
                   "The signature and the chain (not the AED list) also verify with:\n"
                   "  openssl cms -verify -inform DER -in FILE -CAfile CA.pem -out record.json"));
}

static void usage_print(void)
{
  printf("%s\n", _("Usage: rgs-enroll f2f print [ID] [--record FILE] [--out FILE] [--force]\n"
                   "                             [--ca-file F] [--ca-path D]\n"
                   "The fiche d'intervention de face à face of the last record of order ID (or of\n"
                   "the record FILE) as a one-page PDF: order, holder, company, AED, date and\n"
                   "place, the checks and their results, blank signature boxes, and a QR code\n"
                   "with the order reference, the key's SPKI SHA-256 and the record's SHA-256.\n"
                   "The record is checked as f2f verify checks it: a record whose signature\n"
                   "does not verify, or that is not signed by a listed AED (AED trust files,\n"
                   "--aed-trust; chain anchors from them and --ca-file / --ca-path, never the\n"
                   "system's store), is not printed (exit 1, with the reason).\n"
                   "  --out FILE   the PDF (default fiche-ID.pdf)"));
}

/* ---- run ---------------------------------------------------------------------- */

enum {
  OPT_AED_TOKEN = 300, OPT_AED_MODULE, OPT_AED_PIN_FILE, OPT_AED_PIN_FD, OPT_AED_FINAL_TRY,
  OPT_AED_NAME, OPT_OFFICE, OPT_PLACE, OPT_ID_DOC, OPT_ID_NAME, OPT_ID_EXPIRES, OPT_ID_NUMBER,
  OPT_ID_VERIFIED, OPT_EXTRACT, OPT_OUT, OPT_FORCE, OPT_CA_FILE, OPT_CA_PATH, OPT_BATCH,
  OPT_ORDER, OPT_RECORD, OPT_HELP
};

/* Take a copy of a secret argument and wipe it from argv, which other
 * users of the machine can read (curl's cleanarg). */
static char *take_arg(char *arg)
{
  char *copy = strdup(arg);

  rgs_wipe(arg, strlen(arg));
  return copy;
}

static int text_arg(const rgs_io *io, const char *cmd, const char *opt, const char *v)
{
  rgs_cj *probe = rgs_cj_new_object();
  int ok = probe != NULL && v[0] != '\0' && strlen(v) < 250 && rgs_cj_set_str(probe, "t", v) == 0;

  rgs_cj_free(probe);
  if (ok)
    return RGS_EXIT_OK;
  return rgs_usage_error(io, cmd, _("%s: UTF-8 text of 1 to 249 bytes"), opt);
}

static int cmd_run(rgs_io *io, int argc, char **argv)
{
  static const struct option opts[] = {
    { "aed-token", required_argument, NULL, OPT_AED_TOKEN },
    { "aed-module", required_argument, NULL, OPT_AED_MODULE },
    { "aed-pin-file", required_argument, NULL, OPT_AED_PIN_FILE },
    { "aed-pin-fd", required_argument, NULL, OPT_AED_PIN_FD },
    { "aed-final-try", no_argument, NULL, OPT_AED_FINAL_TRY },
    { "aed-name", required_argument, NULL, OPT_AED_NAME },
    { "office", required_argument, NULL, OPT_OFFICE },
    { "place", required_argument, NULL, OPT_PLACE },
    { "id-document", required_argument, NULL, OPT_ID_DOC },
    { "id-name", required_argument, NULL, OPT_ID_NAME },
    { "id-expires", required_argument, NULL, OPT_ID_EXPIRES },
    { "id-number", required_argument, NULL, OPT_ID_NUMBER },
    { "id-verified", required_argument, NULL, OPT_ID_VERIFIED },
    { "extract-date", required_argument, NULL, OPT_EXTRACT },
    { "out", required_argument, NULL, OPT_OUT },
    { "force", no_argument, NULL, OPT_FORCE },
    { "ca-file", required_argument, NULL, OPT_CA_FILE },
    { "ca-path", required_argument, NULL, OPT_CA_PATH },
    { "batch", no_argument, NULL, OPT_BATCH },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
  };
  static const char cmd[] = "f2f run";
  rgs_f2f_run_opts o;
  long long id = 0;
  long fd;
  int c, ret = RGS_EXIT_OK;

  memset(&o, 0, sizeof(o));
  o.aed_pin_fd = -1;
  o.id_verified = -1;
  o.aed_token = getenv("RGS_ENROLL_AED_TOKEN");
  o.aed_module = getenv("RGS_ENROLL_AED_MODULE");
  if (o.aed_token != NULL && o.aed_token[0] == '\0')
    o.aed_token = NULL;
  if (o.aed_module != NULL && o.aed_module[0] == '\0')
    o.aed_module = NULL;
  while (ret == RGS_EXIT_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case OPT_AED_TOKEN: o.aed_token = optarg; break;
    case OPT_AED_MODULE: o.aed_module = optarg; break;
    case OPT_AED_PIN_FILE: o.aed_pin_file = optarg; break;
    case OPT_AED_PIN_FD:
      if (rgs_parse_int(optarg, 0, 1 << 20, &fd) != 0)
        ret = rgs_usage_error(io, cmd, _("--aed-pin-fd needs a file descriptor number, not '%s'"), optarg);
      o.aed_pin_fd = (int)fd;
      break;
    case OPT_AED_FINAL_TRY: o.aed_final_try = 1; break;
    case OPT_AED_NAME:
      o.aed_name = optarg;
      ret = text_arg(io, cmd, "--aed-name", optarg);
      break;
    case OPT_OFFICE:
      o.office = optarg;
      ret = text_arg(io, cmd, "--office", optarg);
      break;
    case OPT_PLACE:
      o.place = optarg;
      ret = text_arg(io, cmd, "--place", optarg);
      break;
    case OPT_ID_DOC:
      if (rgs_f2f_doc_parse(optarg, &o.id_doc) != 0)
        ret = rgs_usage_error(io, cmd, _("--id-document must be id-card or passport, not '%s'"), optarg);
      break;
    case OPT_ID_NAME:
      o.id_name = optarg;
      ret = text_arg(io, cmd, "--id-name", optarg);
      break;
    case OPT_ID_EXPIRES:
      o.id_expires = optarg;
      if (!rgs_order_date_valid(optarg))
        ret = rgs_usage_error(io, cmd, _("--id-expires needs a date YYYY-MM-DD, not '%s'"), optarg);
      break;
    case OPT_ID_NUMBER:
      if (o.id_number != NULL) {
        rgs_wipe(o.id_number, strlen(o.id_number));
        free(o.id_number);
      }
      o.id_number = take_arg(optarg);
      if (o.id_number == NULL)
        ret = rgs_fail(io, cmd, RGS_EXIT_INTERNAL, rgs_f2f_strerror(RGS_F2F_ERR_NOMEM), NULL);
      else if (!rgs_f2f_id_number_valid(o.id_number))
        ret = rgs_usage_error(io, cmd, "%s", _("--id-number: 5 to 24 letters and digits (spaces and dashes are ignored)"));
      break;
    case OPT_ID_VERIFIED:
      if (strcmp(optarg, "yes") == 0 || strcmp(optarg, "oui") == 0)
        o.id_verified = 1;
      else if (strcmp(optarg, "no") == 0 || strcmp(optarg, "non") == 0)
        o.id_verified = 0;
      else
        ret = rgs_usage_error(io, cmd, _("--id-verified must be yes or no, not '%s'"), optarg);
      break;
    case OPT_EXTRACT:
      o.extract_date = optarg;
      if (!rgs_order_date_valid(optarg))
        ret = rgs_usage_error(io, cmd, _("--extract-date needs a date YYYY-MM-DD, not '%s'"), optarg);
      break;
    case OPT_OUT: o.out = optarg; break;
    case OPT_FORCE: o.force = 1; break;
    case OPT_CA_FILE: o.ca_file = optarg; break;
    case OPT_CA_PATH: o.ca_path = optarg; break;
    case OPT_BATCH: o.batch = 1; break;
    case 'h':
    case OPT_HELP: usage_run(); goto done;
    default: ret = rgs_usage_error(io, cmd, _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (ret != RGS_EXIT_OK)
    goto done;
  if (o.aed_pin_file != NULL && o.aed_pin_fd >= 0) {
    ret = rgs_usage_error(io, cmd, "%s", _("--aed-pin-file and --aed-pin-fd exclude each other"));
    goto done;
  }
  if (optind + 1 != argc) {
    ret = rgs_usage_error(io, cmd, "%s", optind >= argc ? _("the order number is missing")
                                                      : _("one order number only"));
    goto done;
  }
  ret = rgs_parse_order_id(io, cmd, argv[optind], &id);
  if (ret == RGS_EXIT_OK)
    return rgs_f2f_run(io, id, &o);     /* it wipes and frees o.id_number */

done:
  if (o.id_number != NULL) {
    rgs_wipe(o.id_number, strlen(o.id_number));
    free(o.id_number);
  }
  return ret;
}

/* ---- verify -------------------------------------------------------------------- */

/* A record file whole (at most 16 MiB); NULL when it cannot be read. */
static unsigned char *read_whole(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  unsigned char *p = NULL;
  long n;

  *len = 0;
  if (f == NULL)
    return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n <= 16L * 1024 * 1024 &&
      fseek(f, 0, SEEK_SET) == 0) {
    p = malloc((size_t)n);
    if (p != NULL && fread(p, 1, (size_t)n, f) == (size_t)n) {
      *len = (size_t)n;
    } else {
      free(p);
      p = NULL;
    }
  }
  fclose(f);
  return p;
}

/* The store, if there is one, for a command that can do without it: a
 * missing or unusable store is said (warning) and skipped. */
static rgs_order_store *optional_store(const rgs_io *io)
{
  char path[4096], err[1024];
  rgs_order_store *st = NULL;
  rgs_order_rc rc;

  if (rgs_store_path(io, path, sizeof(path)) != 0 || access(path, F_OK) != 0)
    return NULL;
  rc = rgs_order_store_open_existing(path, &st, err, sizeof(err));
  if (rc != RGS_ORDER_OK) {
    rgs_warn(io, _("the order store was not consulted: %s (%s)"), rgs_order_strerror(rc), err);
    return NULL;
  }
  rgs_order_store_set_now(st, rgs_now());
  return st;
}

/* The record against the order in the store. NULL when it agrees, else why. */
static const char *binding_mismatch(const rgs_cj *rec, const rgs_order *o,
                                    const rgs_order_binding *b, int have_binding)
{
  const char *spki = rgs_cj_path_str(rec, "key.spki_sha256");
  const char *first = rgs_cj_path_str(rec, "holder.first_name");
  const char *last = rgs_cj_path_str(rec, "holder.last_name");
  const char *cid = rgs_cj_path_str(rec, "company.company_id");
  const char *ref = rgs_cj_path_str(rec, "order.ca_ref");
  const char *result = rgs_cj_path_str(rec, "intervention.result");

  if (rgs_cj_path_int(rec, "order.id", 0) != o->id)
    return _("the record is about another order");
  if (first == NULL || last == NULL || !rgs_order_names_equal(first, o->first_name) ||
      !rgs_order_names_equal(last, o->last_name))
    return _("the record's holder is not the order's");
  if (cid == NULL || strcmp(cid, o->company_id) != 0)
    return _("the record's company is not the order's");
  if (ref != NULL && o->ca_ref[0] != '\0' && strcmp(ref, o->ca_ref) != 0)
    return _("the record's CA reference is not the order's");
  if (result != NULL && strcmp(result, "success") == 0 &&
      (!have_binding || spki == NULL || strcmp(spki, b->spki_sha256) != 0))
    return _("the record's key is not the key bound to the order");
  return NULL;
}

/* A string of the record (hostile input) for the terminal: sanitised into
 * buf; def when absent. */
static const char *rec_text(const rgs_cj *rec, const char *path, const char *def, char *buf,
                            size_t len)
{
  const char *s = rgs_cj_path_str(rec, path);

  return s != NULL ? rgsx_sanitize_buf(buf, len, s, strlen(s)) : def;
}

/* What f2f verify found, as text: the signature, the AED, what the record
 * says of itself. */
static void print_record_text(const rgs_io *io, const char *file, const rgs_f2f_verified *v,
                              const char *signer, const char *stamp, const char *hex)
{
  char a[256], b[256], c[256], d[256];
  const rgs_cj *rec = v->record;

  printf(_("Record: %s\n"), file);
  if (v->signature_ok)
    printf(_("  signature     : valid, by %s, at %s\n"), signer != NULL ? signer : "?", stamp);
  if (v->aed_listed) {
    printf(_("  AED certificate: a listed AED (entry \"%s\", %s:%u), valid at the signing time\n"),
           v->aed->name, v->aed->file, v->aed->line);
    rgs_f2f_print_demo_aed(io, v->aed);
  }
  if (rec == NULL)
    return;
  printf(_("  order         : %lld (CA reference %s), %s %s, %s\n"),
         rgs_cj_path_int(rec, "order.id", 0), rec_text(rec, "order.ca_ref", "—", a, sizeof(a)),
         rec_text(rec, "holder.first_name", "?", b, sizeof(b)),
         rec_text(rec, "holder.last_name", "?", c, sizeof(c)),
         rec_text(rec, "company.name", "?", d, sizeof(d)));
  printf(_("  date          : %s, %s\n"), rec_text(rec, "intervention.date", "?", a, sizeof(a)),
         rec_text(rec, "intervention.place", "—", b, sizeof(b)));
  if (rgs_cj_path_str(rec, "key.spki_sha256") != NULL)
    printf(_("  key           : SPKI SHA-256 %s\n"),
           rec_text(rec, "key.spki_sha256", "", a, sizeof(a)));
  printf(_("  record        : SHA-256 %s\n"), hex);
}

/* The end of f2f verify's text for a record that verified. */
static void print_verdict_text(const rgs_f2f_verified *v, long long order_id,
                               const char *binding, const char *why, int number_match,
                               const char *result, int ret)
{
  char reason[512];

  if (strcmp(binding, "match") == 0)
    printf(_("  order store   : the record matches order %lld\n"), order_id);
  else if (why != NULL)
    printf(_("  order store   : MISMATCH with order %lld: %s\n"), order_id, why);
  else
    printf("%s\n", _("  order store   : not checked (the order is not in this store)"));
  if (number_match >= 0)
    printf("%s\n", number_match ? _("  id number     : matches the recorded document")
                                : _("  id number     : does NOT match the recorded document"));
  if (rgs_cj_path_bool(v->record, "check.admitted_by_demo_policy") == 1)
    printf("%s\n", _("  *** DEMO DEVICE: the holder's token was admitted by a demo policy only"));
  if (result != NULL && strcmp(result, "success") == 0)
    printf("%s\n", ret == RGS_EXIT_OK ? _("Result: VALID record of a successful face-to-face.")
                                      : _("Result: the record is valid but does not match."));
  else
    printf(_("Result: valid record of a REFUSED face-to-face: %s\n"),
           rec_text(v->record, "intervention.reason", "", reason, sizeof(reason)));
}

static int cmd_verify(rgs_io *io, int argc, char **argv)
{
  static const struct option opts[] = {
    { "ca-file", required_argument, NULL, OPT_CA_FILE },
    { "ca-path", required_argument, NULL, OPT_CA_PATH },
    { "order", required_argument, NULL, OPT_ORDER },
    { "id-number", required_argument, NULL, OPT_ID_NUMBER },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
  };
  static const char cmd[] = "f2f verify";
  const char *ca_file = NULL, *ca_path = NULL, *file, *result = NULL, *why = NULL;
  const char *binding = "not-checked";
  char *order_arg = NULL, *id_number = NULL, *signer = NULL;
  unsigned char *der = NULL;
  size_t len = 0;
  long long order_id = 0;
  rgs_f2f_aed_trust *aeds = NULL;
  rgs_order_store *st = NULL;
  rgs_order order;
  rgs_order_binding b;
  rgs_f2f_verified v;
  rgs_f2f_rc frc;
  char err[512], hex[65], stamp[32];
  int c, ret = RGS_EXIT_OK, found = 0, number_match = -1;
  rgs_json j;

  memset(&v, 0, sizeof(v));
  memset(&b, 0, sizeof(b));
  while (ret == RGS_EXIT_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case OPT_CA_FILE: ca_file = optarg; break;
    case OPT_CA_PATH: ca_path = optarg; break;
    case OPT_ORDER: order_arg = optarg; break;
    case OPT_ID_NUMBER:
      free(id_number);
      id_number = take_arg(optarg);
      break;
    case 'h':
    case OPT_HELP: usage_verify(); goto cleanup;
    default: ret = rgs_usage_error(io, cmd, _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  if (optind + 1 != argc) {
    ret = rgs_usage_error(io, cmd, "%s", _("one record FILE is needed"));
    goto cleanup;
  }
  file = argv[optind];
  if (order_arg != NULL) {
    ret = rgs_parse_order_id(io, cmd, order_arg, &order_id);
    if (ret != RGS_EXIT_OK)
      goto cleanup;
  }
  der = read_whole(file, &len);
  if (der == NULL) {
    ret = rgs_fail(io, cmd, RGS_EXIT_IO, _("the record cannot be read"), file);
    goto cleanup;
  }
  ret = rgs_f2f_load_aeds(io, cmd, ca_file, ca_path, &aeds);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  err[0] = '\0';
  frc = rgs_f2f_verify(der, len, aeds, &v, err, sizeof(err));
  if (frc == RGS_F2F_OK) {
    result = rgs_cj_path_str(v.record, "intervention.result");
    /* The order: the one named, else the record's if the store has it. */
    if (order_id == 0) {
      st = optional_store(io);
      if (st != NULL && rgs_order_get(st, rgs_cj_path_int(v.record, "order.id", 0), &order) == RGS_ORDER_OK)
        order_id = order.id;
    } else {
      ret = rgs_store_open_for(io, cmd, order_id, &st);
      if (ret != RGS_EXIT_OK)
        goto cleanup;
      if (rgs_order_get(st, order_id, &order) != RGS_ORDER_OK) {
        ret = rgs_fail_store(io, cmd, RGS_ORDER_ERR_NO_ORDER, st);
        goto cleanup;
      }
    }
    if (order_id != 0) {
      if (rgs_order_binding_get(st, order_id, &b, &found) != RGS_ORDER_OK) {
        ret = rgs_fail_store(io, cmd, RGS_ORDER_ERR_STORE, st);
        goto cleanup;
      }
      why = binding_mismatch(v.record, &order, &b, found);
      binding = why == NULL ? "match" : "mismatch";
    }
    if (id_number != NULL) {
      /* -1: no digest this tool recomputes (unknown or weak KDF): no match. */
      number_match = rgs_f2f_id_number_matches(id_number, rgs_cj_path(v.record, "identity"));
      if (number_match < 0)
        number_match = 0;
    }
  }
  if (frc != RGS_F2F_OK)
    ret = frc == RGS_F2F_ERR_NOMEM || frc == RGS_F2F_ERR_CRYPTO ? RGS_EXIT_INTERNAL : RGS_EXIT_CHECK;
  else if (why != NULL || number_match == 0 || result == NULL || strcmp(result, "success") != 0)
    ret = RGS_EXIT_CHECK;
  else
    ret = RGS_EXIT_OK;
  if (v.signer != NULL)
    signer = rgs_subject_text(X509_get_subject_name(v.signer));
  rgs_f2f_hex(v.record_sha256, sizeof(v.record_sha256), hex);
  rgs_f2f_stamp(v.signing_time, stamp, sizeof(stamp));

  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", cmd);
    rgs_json_bool(&j, "ok", ret == RGS_EXIT_OK);
    rgs_json_int(&j, "exit", ret);
    rgs_json_str(&j, "file", file);
    rgs_json_bool(&j, "signature_valid", v.signature_ok);
    rgs_json_bool(&j, "signer_trusted", v.chain_ok);
    rgs_json_bool(&j, "signer_listed_aed", v.aed_listed);
    rgs_json_str(&j, "aed_entry", v.aed != NULL ? v.aed->name : NULL);
    rgs_json_bool(&j, "demo_aed", v.aed != NULL && v.aed->demo);
    rgs_json_bool(&j, "content_consistent", v.consistent);
    rgs_json_str(&j, "signer", signer);
    rgs_json_str(&j, "signed_at", v.signature_ok ? stamp : NULL);
    rgs_json_str(&j, "record_sha256", v.content != NULL ? hex : NULL);
    if (v.record != NULL) {
      rgs_json_int(&j, "order", rgs_cj_path_int(v.record, "order.id", 0));
      rgs_json_str(&j, "result", result);
      rgs_json_str(&j, "reason", rgs_cj_path_str(v.record, "intervention.reason"));
      rgs_json_str(&j, "spki_sha256", rgs_cj_path_str(v.record, "key.spki_sha256"));
      rgs_json_bool(&j, "demo_device", rgs_cj_path_bool(v.record, "check.admitted_by_demo_policy") == 1);
    }
    rgs_json_str(&j, "binding", binding);
    rgs_json_str(&j, "binding_error", why);
    if (number_match >= 0)
      rgs_json_bool(&j, "id_number_matches", number_match);
    if (frc != RGS_F2F_OK) {
      rgs_json_object(&j, "error");
      rgs_json_str(&j, "message", rgs_f2f_strerror(frc));
      rgs_json_str(&j, "detail", err[0] != '\0' ? err : NULL);
      rgs_json_end(&j);
    }
    rgs_json_finish(&j);
  } else {
    print_record_text(io, file, &v, signer, stamp, hex);
    if (frc != RGS_F2F_OK) {
      rgs_err(io, "%s%s%s%s", rgs_f2f_strerror(frc), err[0] != '\0' ? " (" : "", err,
              err[0] != '\0' ? ")" : "");
      printf("%s\n", _("Result: INVALID record."));
    } else {
      print_verdict_text(&v, order_id, binding, why, number_match, result, ret);
    }
  }

cleanup:
  OPENSSL_free(signer);
  rgs_order_binding_clear(&b);
  rgs_order_store_close(st);
  rgs_f2f_verified_clear(&v);
  rgs_f2f_aed_trust_free(aeds);
  free(der);
  if (id_number != NULL) {
    rgs_wipe(id_number, strlen(id_number));
    free(id_number);
  }
  return ret;
}

/* ---- print ------------------------------------------------------------------------ */

static int cmd_print(rgs_io *io, int argc, char **argv)
{
  static const struct option opts[] = {
    { "record", required_argument, NULL, OPT_RECORD },
    { "out", required_argument, NULL, OPT_OUT },
    { "force", no_argument, NULL, OPT_FORCE },
    { "ca-file", required_argument, NULL, OPT_CA_FILE },
    { "ca-path", required_argument, NULL, OPT_CA_PATH },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
  };
  static const char cmd[] = "f2f print";
  const char *record = NULL, *ca_file = NULL, *ca_path = NULL;
  char out_buf[64], err[512], hex[65];
  const char *out = NULL;
  unsigned char *der = NULL;
  size_t len = 0;
  long long id = 0;
  int c, ret = RGS_EXIT_OK, force = 0, found = 0;
  rgs_order_store *st = NULL;
  rgs_order_f2f rec;
  rgs_f2f_aed_trust *aeds = NULL;
  rgs_f2f_verified v;
  rgs_f2f_rc frc;
  char *qr = NULL;
  rgs_json j;

  memset(&rec, 0, sizeof(rec));
  memset(&v, 0, sizeof(v));
  while (ret == RGS_EXIT_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case OPT_RECORD: record = optarg; break;
    case OPT_OUT: out = optarg; break;
    case OPT_FORCE: force = 1; break;
    case OPT_CA_FILE: ca_file = optarg; break;
    case OPT_CA_PATH: ca_path = optarg; break;
    case 'h':
    case OPT_HELP: usage_print(); return RGS_EXIT_OK;
    default: return rgs_usage_error(io, cmd, _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind + 1 < argc)
    return rgs_usage_error(io, cmd, _("unexpected argument '%s'"), argv[optind + 1]);
  if (optind < argc) {
    ret = rgs_parse_order_id(io, cmd, argv[optind], &id);
    if (ret != RGS_EXIT_OK)
      return ret;
  }
  if (id == 0 && record == NULL)
    return rgs_usage_error(io, cmd, "%s", _("give the order number, or --record FILE"));
  /* The record: the file, else the order's last one. */
  if (record != NULL) {
    der = read_whole(record, &len);
    if (der == NULL) {
      ret = rgs_fail(io, cmd, RGS_EXIT_IO, _("the record cannot be read"), record);
      goto cleanup;
    }
  } else {
    rgs_order_rc rc;
    ret = rgs_store_open_for(io, cmd, id, &st);
    if (ret != RGS_EXIT_OK)
      goto cleanup;
    rc = rgs_order_f2f_latest(st, id, &rec, &found);
    if (rc != RGS_ORDER_OK) {
      ret = rgs_fail_store(io, cmd, rc, st);
      goto cleanup;
    }
    if (!found) {
      snprintf(err, sizeof(err), _("order %lld has no face-to-face record: run 'rgs-enroll f2f run %lld' first"), id, id);
      ret = rgs_fail(io, cmd, RGS_EXIT_CHECK, err, NULL);
      goto cleanup;
    }
    der = rec.cms_der;
    len = rec.cms_len;
    rec.cms_der = NULL;
  }
  /* The signer must be a listed AED, as for verify: a form printed from a
   * record signed by anyone else would pass for a finished face-to-face. */
  ret = rgs_f2f_load_aeds(io, cmd, ca_file, ca_path, &aeds);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  err[0] = '\0';
  frc = rgs_f2f_verify(der, len, aeds, &v, err, sizeof(err));
  if (frc != RGS_F2F_OK) {
    ret = rgs_fail(io, cmd, frc == RGS_F2F_ERR_NOMEM ? RGS_EXIT_INTERNAL : RGS_EXIT_CHECK,
                   rgs_f2f_strerror(frc), err);
    goto cleanup;
  }
  if (id != 0 && rgs_cj_path_int(v.record, "order.id", 0) != id) {
    ret = rgs_fail(io, cmd, RGS_EXIT_CHECK, _("the record is about another order"), NULL);
    goto cleanup;
  }
  if (out == NULL) {
    snprintf(out_buf, sizeof(out_buf), "fiche-%lld.pdf", rgs_cj_path_int(v.record, "order.id", 0));
    out = out_buf;
  }
  if (!force && access(out, F_OK) == 0) {
    ret = rgs_fail(io, cmd, RGS_EXIT_IO, _("the output file exists; nothing was done (use --out or --force)"), out);
    goto cleanup;
  }
  if (rgs_f2f_pdf_write(v.record, v.record_sha256, out, err, sizeof(err)) != 0) {
    ret = rgs_fail(io, cmd, RGS_EXIT_IO, _("the form could not be written"), err);
    goto cleanup;
  }
  rgs_f2f_hex(v.record_sha256, sizeof(v.record_sha256), hex);
  qr = rgs_f2f_qr_text(v.record, v.record_sha256);
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", cmd);
    rgs_json_bool(&j, "ok", 1);
    rgs_json_int(&j, "order", rgs_cj_path_int(v.record, "order.id", 0));
    rgs_json_str(&j, "file", out);
    rgs_json_str(&j, "record_sha256", hex);
    rgs_json_str(&j, "result", rgs_cj_path_str(v.record, "intervention.result"));
    rgs_json_str(&j, "qr", qr);
    rgs_json_str(&j, "aed_entry", v.aed->name);
    rgs_json_bool(&j, "demo_aed", v.aed->demo);
    rgs_json_finish(&j);
  } else {
    printf(_("Form written to %s (order %lld, record SHA-256 %s).\n"), out,
           rgs_cj_path_int(v.record, "order.id", 0), hex);
    printf(_("  AED certificate: a listed AED (entry \"%s\", %s:%u)\n"), v.aed->name,
           v.aed->file, v.aed->line);
    rgs_f2f_print_demo_aed(io, v.aed);
    printf("%s\n", _("Print it; the holder and the AED sign it; the original goes to Certigna with the other documents."));
  }

cleanup:
  free(qr);
  rgs_f2f_verified_clear(&v);
  rgs_f2f_aed_trust_free(aeds);
  free(der);
  rgs_order_f2f_clear(&rec);
  rgs_order_store_close(st);
  return ret;
}

/* ---- dispatch ---------------------------------------------------------------------- */

int rgs_cmd_f2f(rgs_io *io, int argc, char **argv)
{
  static const rgs_command subs[] = {
    { "run", cmd_run, N_("the face-to-face session, on the AED's laptop") },
    { "verify", cmd_verify, N_("check a signed intervention record") },
    { "print", cmd_print, N_("the fiche d'intervention as PDF") },
  };

  return rgs_dispatch(io, "f2f", subs, RGS_ARRAY_LEN(subs), argc, argv);
}
