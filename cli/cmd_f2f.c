/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_f2f.c - rgs-enroll f2f run | verify | print: the face-to-face with the
 * AED, its signed record, and the printed fiche d'intervention. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "f2f.h"
#include "dossier.h"
#include "rgs_common.h"
#include "steps.h"
#include "orders.h"
#include "secret.h"

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
                   "  --id-number-file FILE | --id-number-fd N   the document's number, first\n"
                   "                         line of a regular file or of a descriptor (default:\n"
                   "                         asked on the terminal); never on the command line.\n"
                   "                         Only a salted hash and the last four characters are\n"
                   "                         kept\n"
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
                   "                              [--id-number-file FILE | --id-number-fd N]\n"
                   "                              [--no-revocation-check]\n"
                   "Check a face-to-face record: the CMS signature over its content, that the\n"
                   "signer is a listed AED (AED trust files, --aed-trust; chain anchors from\n"
                   "them and --ca-file / --ca-path, never the system's store) at the signing\n"
                   "time, and not the holder; the content (canonical JSON, proof of possession,\n"
                   "dates), and its binding to the order in\n"
                   "the store (required with --order, else when the store has the order).\n"
                   "With --id-number-file or --id-number-fd (the number on the first line,\n"
                   "never on the command line), whether it is the document number recorded.\n"
                   "The AED certificate's revocation status now is asked of its CA (OCSP, else\n"
                   "CRL) and reported, unless --no-revocation-check; a certificate revoked\n"
                   "before the record was signed makes the record invalid.\n"
                   "Exit 0 for a valid record of a successful intervention, 1 otherwise.\n"
                   "The signature and the chain (not the AED list) also verify with:\n"
                   "  openssl cms -verify -inform DER -in FILE -CAfile CA.pem -out record.json"));
}

static void usage_print(void)
{
  printf("%s\n", _("Usage: rgs-enroll f2f print [ID] [--record FILE] [--out FILE] [--force]\n"
                   "                             [--ca-file F] [--ca-path D]\n"
                   "The report of the face-to-face (compte rendu du face-à-face) of the last\n"
                   "record of order ID (or of the record FILE) as a one-page PDF. It is not the\n"
                   "fiche d'intervention: the form Certigna sends is signed on paper and posted\n"
                   "with the originals. The report shows: order, holder, company, AED, date and\n"
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
  OPT_ORDER, OPT_RECORD, OPT_HELP, OPT_ID_NUMBER_FILE, OPT_ID_NUMBER_FD, OPT_NO_REVOCATION
};

/* The longest document number line read (24 characters and separators). */
#define ID_NUMBER_CAP 128

static int text_arg(const rgs_io *io, const char *cmd, const char *opt, const char *v)
{
  rgs_cj *probe = rgs_cj_new_object();
  int ok = probe != NULL && v[0] != '\0' && strlen(v) < 250 &&
           rgs_cj_set_str(probe, "t", v) == RGS_CJ_OK;

  rgs_cj_free(probe);
  if (ok)
    return RGS_EXIT_OK;
  return rgs_usage_error(io, cmd, _("%s: UTF-8 text of 1 to 249 bytes"), opt);
}

static const char run_cmd[] = "f2f run";

/* The options of f2f run before the command line: none given, the AED's
 * token and module from the environment. */
static void run_opts_init(rgs_f2f_run_opts *o)
{
  memset(o, 0, sizeof(*o));
  o->aed_pin_fd = -1;
  o->id_verified = -1;
  o->aed_token = getenv("RGS_ENROLL_AED_TOKEN");
  o->aed_module = getenv("RGS_ENROLL_AED_MODULE");
  if (o->aed_token != NULL && o->aed_token[0] == '\0')
    o->aed_token = NULL;
  if (o->aed_module != NULL && o->aed_module[0] == '\0')
    o->aed_module = NULL;
}

static void run_opts_clear(rgs_f2f_run_opts *o)
{
  if (o->id_number != NULL) {
    rgsx_wipe(o->id_number, strlen(o->id_number));
    free(o->id_number);
    o->id_number = NULL;
  }
}

/* --id-number VALUE: refused. The value is wiped from argv at once (other
 * users of the machine can read it there) and never quoted. */
static int refuse_id_number(const rgs_io *io, const char *cmd, char *arg, int can_ask)
{
  if (arg != NULL)
    rgsx_wipe(arg, strlen(arg));
  return rgs_usage_error(io, cmd, "%s",
                         can_ask ? _("--id-number: a document number is personal data, and the "
                                     "command line can be read by every user of this computer; "
                                     "give it with --id-number-file FILE (its first line) or "
                                     "--id-number-fd N, or type it when asked")
                                 : _("--id-number: a document number is personal data, and the "
                                     "command line can be read by every user of this computer; "
                                     "give it with --id-number-file FILE (its first line) or "
                                     "--id-number-fd N"));
}

/* --id-number-file / --id-number-fd read into *out (wipe and free), and
 * checked; *out stays NULL when neither was given. */
static int read_id_number(const rgs_io *io, const char *cmd, const cli_secret_opt *src,
                          char **out)
{
  int ret = cli_secret_check(io, cmd, "id-number", src);

  if (ret == RGS_EXIT_OK)
    ret = cli_secret_read_line(io, cmd, "id-number", src, ID_NUMBER_CAP, out);
  if (ret != RGS_EXIT_OK || *out == NULL || rgs_f2f_id_number_valid(*out))
    return ret;
  rgsx_wipe(*out, strlen(*out));
  free(*out);
  *out = NULL;
  return rgs_usage_error(io, cmd, "%s",
                         src->file != NULL
                             ? _("--id-number-file: the first line is not a document number "
                                 "(5 to 24 letters and digits; spaces and dashes are ignored)")
                             : _("--id-number-fd: the line read is not a document number "
                                 "(5 to 24 letters and digits; spaces and dashes are ignored)"));
}

/* An option as written, without what follows '=': "--id-numbr=123456"
 * must not be echoed whole. */
static const char *option_name(const char *seen, char *buf, size_t len)
{
  snprintf(buf, len, "%.*s", (int)strcspn(seen, "="), seen);
  return buf;
}

/* The answers about the holder's documents. */
static int run_doc_option(rgs_io *io, int c, char *arg, rgs_f2f_run_opts *o)
{
  /* The days in ISO form, whichever way they were typed (20/12/2026). */
  static char expires[11], extract[11];

  switch (c) {
  case OPT_ID_DOC:
    o->id_doc = rgs_f2f_doc_parse(arg);
    if (o->id_doc == RGS_F2F_DOC_NONE)
      return rgs_usage_error(io, run_cmd, _("--id-document must be id-card or passport, not '%s'"), arg);
    return RGS_EXIT_OK;
  case OPT_ID_NAME:
    o->id_name = arg;
    return text_arg(io, run_cmd, "--id-name", arg);
  case OPT_ID_EXPIRES:
    o->id_expires = expires;
    if (rgsx_date_input(arg, RGSX_DATE_WANT_DAY, expires, sizeof(expires)) != RGSX_DATE_OK)
      return rgs_usage_error(io, run_cmd, _("--id-expires needs a date YYYY-MM-DD, not '%s'"), arg);
    return RGS_EXIT_OK;
  case OPT_ID_NUMBER:
    return refuse_id_number(io, run_cmd, arg, 1);
  case OPT_ID_VERIFIED:
    if (strcmp(arg, "yes") == 0 || strcmp(arg, "oui") == 0)
      o->id_verified = 1;
    else if (strcmp(arg, "no") == 0 || strcmp(arg, "non") == 0)
      o->id_verified = 0;
    else
      return rgs_usage_error(io, run_cmd, _("--id-verified must be yes or no, not '%s'"), arg);
    return RGS_EXIT_OK;
  default: /* OPT_EXTRACT */
    o->extract_date = extract;
    if (rgsx_date_input(arg, RGSX_DATE_WANT_DAY, extract, sizeof(extract)) != RGSX_DATE_OK)
      return rgs_usage_error(io, run_cmd, _("--extract-date needs a date YYYY-MM-DD, not '%s'"), arg);
    return RGS_EXIT_OK;
  }
}

/* One option of f2f run (not --help) into o; the exit status. */
static int run_option(rgs_io *io, int c, char **argv, rgs_f2f_run_opts *o)
{
  char name[64];
  long fd;

  switch (c) {
  case OPT_AED_TOKEN: o->aed_token = optarg; break;
  case OPT_AED_MODULE: o->aed_module = optarg; break;
  case OPT_AED_PIN_FILE: o->aed_pin_file = optarg; break;
  case OPT_AED_PIN_FD:
    if (!rgs_parse_number(optarg, 0, 1 << 20, &fd))
      return rgs_usage_error(io, run_cmd, _("--aed-pin-fd needs a file descriptor number, not '%s'"), optarg);
    o->aed_pin_fd = (int)fd;
    break;
  case OPT_AED_FINAL_TRY: o->aed_final_try = 1; break;
  case OPT_AED_NAME:
    o->aed_name = optarg;
    return text_arg(io, run_cmd, "--aed-name", optarg);
  case OPT_OFFICE:
    o->office = optarg;
    return text_arg(io, run_cmd, "--office", optarg);
  case OPT_PLACE:
    o->place = optarg;
    return text_arg(io, run_cmd, "--place", optarg);
  case OPT_ID_DOC:
  case OPT_ID_NAME:
  case OPT_ID_EXPIRES:
  case OPT_ID_NUMBER:
  case OPT_ID_VERIFIED:
  case OPT_EXTRACT:
    return run_doc_option(io, c, optarg, o);
  case OPT_OUT: o->out = optarg; break;
  case OPT_FORCE: o->force = 1; break;
  case OPT_CA_FILE: o->ca_file = optarg; break;
  case OPT_CA_PATH: o->ca_path = optarg; break;
  case OPT_BATCH: o->batch = 1; break;
  default:
    return rgs_usage_error(io, run_cmd, _("unknown option '%s'"),
                           option_name(argv[optind - 1], name, sizeof(name)));
  }
  return RGS_EXIT_OK;
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
    { "id-number-file", required_argument, NULL, OPT_ID_NUMBER_FILE },
    { "id-number-fd", required_argument, NULL, OPT_ID_NUMBER_FD },
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
  cli_secret_opt idsrc = CLI_SECRET_OPT_INIT;
  rgs_f2f_run_opts o;
  long long id = 0;
  int c, ret = RGS_EXIT_OK;

  run_opts_init(&o);
  while (ret == RGS_EXIT_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'h' || c == OPT_HELP) {
      usage_run();
      goto done;
    }
    if (c == OPT_ID_NUMBER_FILE)
      idsrc.file = optarg;
    else if (c == OPT_ID_NUMBER_FD)
      ret = cli_secret_fd_arg(io, run_cmd, "--id-number-fd", optarg, &idsrc);
    else
      ret = run_option(io, c, argv, &o);
  }
  if (ret != RGS_EXIT_OK)
    goto done;
  if (o.aed_pin_file != NULL && o.aed_pin_fd >= 0) {
    ret = rgs_usage_error(io, run_cmd, "%s", _("--aed-pin-file and --aed-pin-fd exclude each other"));
    goto done;
  }
  if (optind + 1 != argc) {
    ret = rgs_usage_error(io, run_cmd, "%s", optind >= argc ? _("the order number is missing")
                                                          : _("one order number only"));
    goto done;
  }
  ret = rgs_parse_order_id(io, run_cmd, argv[optind], &id);
  if (ret == RGS_EXIT_OK)
    ret = read_id_number(io, run_cmd, &idsrc, &o.id_number);
  if (ret == RGS_EXIT_OK)
    return rgs_f2f_run(io, id, &o);     /* it wipes and frees o.id_number */

done:
  run_opts_clear(&o);
  return ret;
}

/* ---- verify -------------------------------------------------------------------- */

/* What f2f verify was told. */
typedef struct {
  const char *ca_file, *ca_path, *file;
  long long order_id;            /* --order; 0: not given */
  char *id_number;               /* from --id-number-file / -fd: wipe and free */
  cli_secret_opt id_src;
  int help;
  int no_revocation;             /* --no-revocation-check */
} verify_args;

/* What f2f verify found. */
typedef struct {
  rgs_f2f_verified v;
  rgs_f2f_rc frc;
  char err[512];
  const char *result;            /* intervention.result */
  long long order_id;            /* the order checked against; 0: none */
  const char *binding, *why;     /* "match", "mismatch" (why), "not-checked" */
  int number_checked, number_ok; /* --id-number against the recorded digest */
  rgs_rev_result rev;            /* the AED certificate's revocation status now */
} verify_found;

static const char verify_cmd[] = "f2f verify";

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
  rgsx_time_text(stamp, 0, a, sizeof(a));   /* the time in words, local */
  if (v->signature_ok)
    printf(_("  signature     : valid, by %s, at %s\n"), signer != NULL ? signer : "?", a);
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
  rgsx_time_text(rec_text(rec, "intervention.date", "?", d, sizeof(d)), 0, a, sizeof(a));
  printf(_("  date          : %s, %s\n"), a,
         rec_text(rec, "intervention.place", "—", b, sizeof(b)));
  if (rgs_cj_path_str(rec, "key.spki_sha256") != NULL)
    printf(_("  key           : SPKI SHA-256 %s\n"),
           rec_text(rec, "key.spki_sha256", "", a, sizeof(a)));
  printf(_("  record        : SHA-256 %s\n"), hex);
}

/* The AED's certificate was revoked before it signed the record: the
 * signature is not the AED's to trust, whatever the record says. */
static int revoked_before_signing(const verify_found *f)
{
  return f->rev.rc == RGS_REV_REVOKED && f->rev.revoked_at <= f->v.signing_time;
}

/* The end of f2f verify's text for a record that verified. */
static void print_verdict_text(const verify_found *f, int ret)
{
  char reason[512], revoc[1024], when[128];

  rgs_rev_sentence(&f->rev, revoc, sizeof(revoc));
  printf(_("  AED revocation: %s\n"), revoc);
  if (revoked_before_signing(f))
    printf("%s\n", _("  *** the AED's certificate was revoked BEFORE the record was signed"));
  if (strcmp(f->binding, "match") == 0)
    printf(_("  order store   : the record matches order %lld\n"), f->order_id);
  else if (f->why != NULL)
    printf(_("  order store   : MISMATCH with order %lld: %s\n"), f->order_id, f->why);
  else
    printf("%s\n", _("  order store   : not checked (the order is not in this store)"));
  if (f->number_checked)
    printf("%s\n", f->number_ok ? _("  id number     : matches the recorded document")
                                : _("  id number     : does NOT match the recorded document"));
  if (rgs_cj_path_bool(f->v.record, "check.admitted_by_demo_policy") == 1)
    printf("%s\n", _("  *** DEMO DEVICE: the holder's token was admitted by a demo policy only"));
  if (revoked_before_signing(f)) {
    rgsx_time_text_t(f->rev.revoked_at, 0, when, sizeof(when));
    /* TRANSLATORS: %s is a date and time in words ("1 January 2026 at 12:00"). */
    printf(_("Result: the record is NOT valid: the AED's certificate was revoked on %s, before the record was signed.\n"),
           when);
  } else if (f->result != NULL && strcmp(f->result, "success") == 0)
    printf("%s\n", ret == RGS_EXIT_OK ? _("Result: VALID record of a successful face-to-face.")
                                      : _("Result: the record is valid but does not match."));
  else
    printf(_("Result: valid record of a REFUSED face-to-face: %s\n"),
           rec_text(f->v.record, "intervention.reason", "", reason, sizeof(reason)));
}


static int verify_parse(rgs_io *io, int argc, char **argv, verify_args *a)
{
  static const struct option opts[] = {
    { "ca-file", required_argument, NULL, OPT_CA_FILE },
    { "ca-path", required_argument, NULL, OPT_CA_PATH },
    { "order", required_argument, NULL, OPT_ORDER },
    { "id-number", required_argument, NULL, OPT_ID_NUMBER },
    { "id-number-file", required_argument, NULL, OPT_ID_NUMBER_FILE },
    { "id-number-fd", required_argument, NULL, OPT_ID_NUMBER_FD },
    { "no-revocation-check", no_argument, NULL, OPT_NO_REVOCATION },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
  };
  const char *order_arg = NULL;
  char name[64];
  int c, ret;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case OPT_CA_FILE: a->ca_file = optarg; break;
    case OPT_CA_PATH: a->ca_path = optarg; break;
    case OPT_ORDER: order_arg = optarg; break;
    case OPT_NO_REVOCATION: a->no_revocation = 1; break;
    case OPT_ID_NUMBER: return refuse_id_number(io, verify_cmd, optarg, 0);
    case OPT_ID_NUMBER_FILE: a->id_src.file = optarg; break;
    case OPT_ID_NUMBER_FD:
      ret = cli_secret_fd_arg(io, verify_cmd, "--id-number-fd", optarg, &a->id_src);
      if (ret != RGS_EXIT_OK)
        return ret;
      break;
    case 'h':
    case OPT_HELP:
      usage_verify();
      a->help = 1;
      return RGS_EXIT_OK;
    default:
      return rgs_usage_error(io, verify_cmd, _("unknown option '%s'"),
                             option_name(argv[optind - 1], name, sizeof(name)));
    }
  }
  if (optind + 1 != argc)
    return rgs_usage_error(io, verify_cmd, "%s", _("one record FILE is needed"));
  a->file = argv[optind];
  ret = order_arg != NULL ? rgs_parse_order_id(io, verify_cmd, order_arg, &a->order_id)
                          : RGS_EXIT_OK;
  if (ret == RGS_EXIT_OK)
    ret = read_id_number(io, verify_cmd, &a->id_src, &a->id_number);
  return ret;
}

/* A verified record against the order in the store (the one named, else
 * the record's if the store has it) and against --id-number. */
static int verify_against_order(rgs_io *io, const verify_args *a, verify_found *f)
{
  rgs_order_store *st = NULL;
  rgs_order order;
  rgs_order_binding b;
  int found = 0, ret = RGS_EXIT_OK;

  memset(&b, 0, sizeof(b));
  f->result = rgs_cj_path_str(f->v.record, "intervention.result");
  f->order_id = a->order_id;
  if (f->order_id == 0) {
    st = optional_store(io);
    if (st != NULL &&
        rgs_order_get(st, rgs_cj_path_int(f->v.record, "order.id", 0), &order) == RGS_ORDER_OK)
      f->order_id = order.id;
  } else {
    ret = rgs_store_open_for(io, verify_cmd, f->order_id, &st);
    if (ret != RGS_EXIT_OK)
      goto cleanup;
    if (rgs_order_get(st, f->order_id, &order) != RGS_ORDER_OK) {
      ret = rgs_fail_store(io, verify_cmd, RGS_ORDER_ERR_NO_ORDER, st);
      goto cleanup;
    }
  }
  if (f->order_id != 0) {
    if (rgs_order_binding_get(st, f->order_id, &b, &found) != RGS_ORDER_OK) {
      ret = rgs_fail_store(io, verify_cmd, RGS_ORDER_ERR_STORE, st);
      goto cleanup;
    }
    f->why = binding_mismatch(f->v.record, &order, &b, found);
    f->binding = f->why == NULL ? "match" : "mismatch";
  }
  if (a->id_number != NULL) {
    /* No digest this tool recomputes (unknown or weak KDF): no match. */
    f->number_checked = 1;
    f->number_ok = rgs_f2f_id_number_matches(a->id_number, rgs_cj_path(f->v.record, "identity")) ==
                   RGS_F2F_ID_SAME;
  }

cleanup:
  rgs_order_binding_clear(&b);
  rgs_order_store_close(st);
  return ret;
}

/* The exit status of what was found. */
static int verify_status(const verify_found *f)
{
  if (f->frc != RGS_F2F_OK)
    return f->frc == RGS_F2F_ERR_NOMEM || f->frc == RGS_F2F_ERR_CRYPTO ? RGS_EXIT_INTERNAL
                                                                      : RGS_EXIT_CHECK;
  if (f->why != NULL || (f->number_checked && !f->number_ok) || f->result == NULL ||
      strcmp(f->result, "success") != 0)
    return RGS_EXIT_CHECK;
  if (revoked_before_signing(f))
    return RGS_EXIT_CHECK;
  return RGS_EXIT_OK;
}

/* The AED certificate's revocation status now (a listed AED only: its
 * issuer is known from the chain to the AED anchors). */
static void verify_revocation(const verify_args *a, verify_found *f)
{
  rgs_rev_opts ro;

  if (a->no_revocation) {
    rgs_rev_set_not_checked(&f->rev, _("turned off with --no-revocation-check"));
    return;
  }
  rgs_rev_opts_init(&ro, rgs_now());
  rgs_rev_check(f->v.signer, f->v.signer_issuer, &ro, &f->rev);
}

static void verify_json(const verify_args *a, const verify_found *f, const char *signer,
                        const char *stamp, const char *hex, int ret)
{
  const rgs_f2f_verified *v = &f->v;
  rgs_json j;

  rgs_json_start(&j, stdout);
  rgs_json_object(&j, NULL);
  rgs_json_str(&j, "command", verify_cmd);
  rgs_json_bool(&j, "ok", ret == RGS_EXIT_OK);
  rgs_json_int(&j, "exit", ret);
  rgs_json_str(&j, "file", a->file);
  rgs_json_bool(&j, "signature_valid", v->signature_ok);
  rgs_json_bool(&j, "signer_trusted", v->chain_ok);
  rgs_json_bool(&j, "signer_listed_aed", v->aed_listed);
  rgs_json_str(&j, "aed_entry", v->aed != NULL ? v->aed->name : NULL);
  rgs_json_bool(&j, "demo_aed", v->aed != NULL && v->aed->demo);
  rgs_json_bool(&j, "content_consistent", v->consistent);
  rgs_json_str(&j, "signer", signer);
  rgs_json_str(&j, "signed_at", v->signature_ok ? stamp : NULL);
  rgs_json_str(&j, "record_sha256", v->content != NULL ? hex : NULL);
  if (v->record != NULL) {
    rgs_json_int(&j, "order", rgs_cj_path_int(v->record, "order.id", 0));
    rgs_json_int(&j, "order_id", rgs_cj_path_int(v->record, "order.id", 0));
    rgs_json_str(&j, "result", f->result);
    rgs_json_str(&j, "reason", rgs_cj_path_str(v->record, "intervention.reason"));
    rgs_json_str(&j, "spki_sha256", rgs_cj_path_str(v->record, "key.spki_sha256"));
    rgs_json_bool(&j, "demo_device", rgs_cj_path_bool(v->record, "check.admitted_by_demo_policy") == 1);
  }
  rgs_json_str(&j, "binding", f->binding);
  rgs_json_str(&j, "binding_error", f->why);
  if (f->number_checked)
    rgs_json_bool(&j, "id_number_matches", f->number_ok);
  if (f->frc == RGS_F2F_OK)
    rgs_rev_json(&j, "revocation", &f->rev);
  if (f->frc != RGS_F2F_OK) {
    rgs_json_object(&j, "error");
    rgs_json_str(&j, "code", "record-invalid");
    rgs_json_str(&j, "message", rgs_f2f_strerror(f->frc));
    rgs_json_str(&j, "detail", f->err[0] != '\0' ? f->err : NULL);
    rgs_json_end(&j);
  }
  rgs_json_finish(&j);
}

static void verify_report(const rgs_io *io, const verify_args *a, const verify_found *f, int ret)
{
  char hex[65], stamp[32], *signer = NULL;

  if (f->v.signer != NULL)
    signer = rgs_subject_text(X509_get_subject_name(f->v.signer));
  rgsx_hex(f->v.record_sha256, sizeof(f->v.record_sha256), hex);
  rgs_f2f_stamp(f->v.signing_time, stamp, sizeof(stamp));
  if (io->json) {
    verify_json(a, f, signer, stamp, hex, ret);
  } else {
    print_record_text(io, a->file, &f->v, signer, stamp, hex);
    if (f->frc != RGS_F2F_OK) {
      rgs_err(io, "%s%s%s%s", rgs_f2f_strerror(f->frc), f->err[0] != '\0' ? " (" : "", f->err,
              f->err[0] != '\0' ? ")" : "");
      printf("%s\n", _("Result: INVALID record."));
    } else {
      print_verdict_text(f, ret);
    }
  }
  OPENSSL_free(signer);
}

static int cmd_verify(rgs_io *io, int argc, char **argv)
{
  verify_args a;
  verify_found f;
  rgs_f2f_aed_trust *aeds = NULL;
  unsigned char *der = NULL;
  size_t len = 0;
  int ret;

  memset(&a, 0, sizeof(a));
  a.id_src.fd = -1;
  memset(&f, 0, sizeof(f));
  f.binding = "not-checked";
  ret = verify_parse(io, argc, argv, &a);
  if (ret != RGS_EXIT_OK || a.help)
    goto cleanup;
  der = read_whole(a.file, &len);
  if (der == NULL) {
    ret = rgs_fail(io, verify_cmd, RGS_EXIT_IO, _("the record cannot be read"), a.file);
    goto cleanup;
  }
  ret = rgs_f2f_load_aeds(io, verify_cmd, a.ca_file, a.ca_path, &aeds);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  f.frc = rgs_f2f_verify(der, len, aeds, &f.v, f.err, sizeof(f.err));
  if (f.frc == RGS_F2F_OK) {
    ret = verify_against_order(io, &a, &f);
    if (ret != RGS_EXIT_OK)
      goto cleanup;
    verify_revocation(&a, &f);
  }
  ret = verify_status(&f);
  verify_report(io, &a, &f, ret);

cleanup:
  rgs_f2f_verified_clear(&f.v);
  rgs_f2f_aed_trust_free(aeds);
  free(der);
  if (a.id_number != NULL) {
    rgsx_wipe(a.id_number, strlen(a.id_number));
    free(a.id_number);
  }
  return ret;
}

/* ---- print ------------------------------------------------------------------------ */

/* What f2f print was told. */
typedef struct {
  const char *record, *out, *ca_file, *ca_path;
  int force, help;
  long long id;                  /* 0: not given */
} print_args;

static const char print_cmd[] = "f2f print";

static int print_parse(rgs_io *io, int argc, char **argv, print_args *a)
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
  int c, ret;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case OPT_RECORD: a->record = optarg; break;
    case OPT_OUT: a->out = optarg; break;
    case OPT_FORCE: a->force = 1; break;
    case OPT_CA_FILE: a->ca_file = optarg; break;
    case OPT_CA_PATH: a->ca_path = optarg; break;
    case 'h':
    case OPT_HELP:
      usage_print();
      a->help = 1;
      return RGS_EXIT_OK;
    default: return rgs_usage_error(io, print_cmd, _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind + 1 < argc)
    return rgs_usage_error(io, print_cmd, _("unexpected argument '%s'"), argv[optind + 1]);
  if (optind < argc) {
    ret = rgs_parse_order_id(io, print_cmd, argv[optind], &a->id);
    if (ret != RGS_EXIT_OK)
      return ret;
  }
  if (a->id == 0 && a->record == NULL)
    return rgs_usage_error(io, print_cmd, "%s", _("give the order number, or --record FILE"));
  return RGS_EXIT_OK;
}

/* The record: the file, else the order's last one. *der: free(). */
static int print_load(rgs_io *io, const print_args *a, unsigned char **der, size_t *len)
{
  rgs_order_store *st = NULL;
  rgs_order_f2f rec;
  char msg[512];
  int found = 0, ret = RGS_EXIT_OK;
  rgs_order_rc rc;

  *der = NULL;
  *len = 0;
  if (a->record != NULL) {
    *der = read_whole(a->record, len);
    if (*der == NULL)
      return rgs_fail(io, print_cmd, RGS_EXIT_IO, _("the record cannot be read"), a->record);
    return RGS_EXIT_OK;
  }
  memset(&rec, 0, sizeof(rec));
  ret = rgs_store_open_for(io, print_cmd, a->id, &st);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  rc = rgs_order_f2f_latest(st, a->id, &rec, &found);
  if (rc != RGS_ORDER_OK) {
    ret = rgs_fail_store(io, print_cmd, rc, st);
    goto cleanup;
  }
  if (!found) {
    snprintf(msg, sizeof(msg), _("order %lld has no face-to-face record: run 'rgs-enroll f2f run %lld' first"), a->id, a->id);
    ret = rgs_fail(io, print_cmd, RGS_EXIT_CHECK, msg, NULL);
    goto cleanup;
  }
  *der = rec.cms_der;
  *len = rec.cms_len;
  rec.cms_der = NULL;

cleanup:
  rgs_order_f2f_clear(&rec);
  rgs_order_store_close(st);
  return ret;
}

static void print_report(const rgs_io *io, const char *out, const rgs_f2f_verified *v)
{
  char hex[65], *qr;
  rgs_json j;

  rgsx_hex(v->record_sha256, sizeof(v->record_sha256), hex);
  qr = rgs_f2f_qr_text(v->record, v->record_sha256);
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", print_cmd);
    rgs_json_bool(&j, "ok", 1);
    rgs_json_int(&j, "order", rgs_cj_path_int(v->record, "order.id", 0));
    rgs_json_int(&j, "order_id", rgs_cj_path_int(v->record, "order.id", 0));
    rgs_json_str(&j, "file", out);
    rgs_json_str(&j, "record_sha256", hex);
    rgs_json_str(&j, "result", rgs_cj_path_str(v->record, "intervention.result"));
    rgs_json_str(&j, "qr", qr);
    rgs_json_str(&j, "aed_entry", v->aed->name);
    rgs_json_bool(&j, "demo_aed", v->aed->demo);
    rgs_json_finish(&j);
  } else {
    printf(_("Face-to-face report written to %s (order %lld, record SHA-256 %s).\n"), out,
           rgs_cj_path_int(v->record, "order.id", 0), hex);
    printf(_("  AED certificate: a listed AED (entry \"%s\", %s:%u)\n"), v->aed->name,
           v->aed->file, v->aed->line);
    rgs_f2f_print_demo_aed(io, v->aed);
    printf("%s\n", _("Keep it with the order. The fiche d'intervention itself (Certigna's form) is signed on paper by the holder and the AED and posted with the other documents."));
  }
  free(qr);
}

/* The form of a verified record, at --out or fiche-ID.pdf. */
static int print_write(rgs_io *io, const print_args *a, const rgs_f2f_verified *v)
{
  char out_buf[64], err[512];
  const char *out = a->out;

  if (a->id != 0 && rgs_cj_path_int(v->record, "order.id", 0) != a->id)
    return rgs_fail(io, print_cmd, RGS_EXIT_CHECK, _("the record is about another order"), NULL);
  if (out == NULL) {
    snprintf(out_buf, sizeof(out_buf), "fiche-%lld.pdf", rgs_cj_path_int(v->record, "order.id", 0));
    out = out_buf;
  }
  if (!a->force && access(out, F_OK) == 0)
    return rgs_fail(io, print_cmd, RGS_EXIT_IO, _("the output file exists; nothing was done (use --out or --force)"), out);
  err[0] = '\0';
  if (rgs_f2f_pdf_write(v->record, v->record_sha256, out, err, sizeof(err)) != RGS_F2F_OK)
    return rgs_fail(io, print_cmd, RGS_EXIT_IO, _("the form could not be written"), err);
  print_report(io, out, v);
  return RGS_EXIT_OK;
}

static int cmd_print(rgs_io *io, int argc, char **argv)
{
  print_args a;
  char err[512];
  unsigned char *der = NULL;
  size_t len = 0;
  int ret;
  rgs_f2f_aed_trust *aeds = NULL;
  rgs_f2f_verified v;
  rgs_f2f_rc frc;

  memset(&a, 0, sizeof(a));
  memset(&v, 0, sizeof(v));
  ret = print_parse(io, argc, argv, &a);
  if (ret != RGS_EXIT_OK || a.help)
    return ret;
  ret = print_load(io, &a, &der, &len);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  /* The signer must be a listed AED, as for verify: a form printed from a
   * record signed by anyone else would pass for a finished face-to-face. */
  ret = rgs_f2f_load_aeds(io, print_cmd, a.ca_file, a.ca_path, &aeds);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  err[0] = '\0';
  frc = rgs_f2f_verify(der, len, aeds, &v, err, sizeof(err));
  if (frc != RGS_F2F_OK) {
    ret = rgs_fail(io, print_cmd, frc == RGS_F2F_ERR_NOMEM ? RGS_EXIT_INTERNAL : RGS_EXIT_CHECK,
                   rgs_f2f_strerror(frc), err);
    goto cleanup;
  }
  ret = print_write(io, &a, &v);

cleanup:
  rgs_f2f_verified_clear(&v);
  rgs_f2f_aed_trust_free(aeds);
  free(der);
  return ret;
}

/* ---- dispatch ---------------------------------------------------------------------- */

/* ---- import: the record back on the holder's side ------------------------------------ */

static void usage_import(void)
{
  printf("%s\n", _("Usage: rgs-enroll f2f import RECORD [--order ID] [--ca-file F] [--ca-path D]\n"
                   "Take back the signed record of the face-to-face held on the AED's laptop: it\n"
                   "is verified as f2f verify does (signature, the signer is an AED of the AED\n"
                   "trust list, the content), it must be for an order of this store (its CA\n"
                   "reference) and for that order's key; then it is kept with the order, which\n"
                   "becomes face-to-face-done. The same record twice changes nothing.\n"
                   "  --order ID           the order (default: the one with the record's CA reference)\n"
                   "  --ca-file F, --ca-path D   more chain anchors of AED certificates"));
}

static int cmd_import(rgs_io *io, int argc, char **argv)
{
  static const char *const cmd = "f2f import";
  static const struct option opts[] = {
    { "ca-file", required_argument, NULL, OPT_CA_FILE },
    { "ca-path", required_argument, NULL, OPT_CA_PATH },
    { "order", required_argument, NULL, OPT_ORDER },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
  };
  const char *ca_file = NULL, *ca_path = NULL, *order_arg = NULL;
  long long id = 0;
  int c, ret;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case OPT_CA_FILE: ca_file = optarg; break;
    case OPT_CA_PATH: ca_path = optarg; break;
    case OPT_ORDER: order_arg = optarg; break;
    case 'h':
    case OPT_HELP:
      usage_import();
      return RGS_EXIT_OK;
    default:
      return rgs_usage_error(io, cmd, _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind + 1 != argc)
    return rgs_usage_error(io, cmd, "%s", optind >= argc ? _("the record file is missing")
                                                         : _("one record file only"));
  if (order_arg != NULL) {
    ret = rgs_parse_order_id(io, cmd, order_arg, &id);
    if (ret != RGS_EXIT_OK)
      return ret;
  }
  return rgs_dossier_record_import(io, argv[optind], id, ca_file, ca_path);
}

int cli_cmd_f2f(rgs_io *io, int argc, char **argv)
{
  static const cli_command subs[] = {
    { "run", cmd_run, N_("the face-to-face session, on the AED's laptop") },
    { "import", cmd_import, N_("take back the signed record on the holder's side") },
    { "verify", cmd_verify, N_("check a signed intervention record") },
    { "print", cmd_print, N_("the face-to-face report (compte rendu) as PDF") },
  };

  return cli_dispatch(io, "f2f", subs, RGS_ARRAY_LEN(subs), argc, argv);
}
