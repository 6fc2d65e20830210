/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_order.c - rgs-enroll order: the Pack ID RGS** order, recorded as it
 * was placed on the Certigna portal, its documents and its binding to the
 * key and the certificate request. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>
#include "commands.h"
#include "rgs_common.h"
#include "orders.h"

/* ---- order new ------------------------------------------------------------ */

static void usage_new(void)
{
  printf("%s\n", _("Usage: rgs-enroll order new --partner CODE --holder-first-name NAME\n"
                   "         --holder-last-name NAME --email ADDRESS --company NAME\n"
                   "         (--siren N | --siret N) [--payment carte|virement|cheque] [--accept-cgu]\n"
                   "         [--validity 1|2|3] [--os windows|macos|other] [--phone NUMBER]\n"
                   "         [--holder self|other] [--ordered-by NAME] [--product NAME]\n"
                   "         [--ca-ref REF] [--dept NN] [--aed AED_ID]\n"
                   "Record a Pack ID RGS** order placed on the Certigna portal. This records the\n"
                   "order: it does not place it. Ordering, payment and accepting the CGU happen on\n"
                   "the portal; the values given here are what was chosen there.\n"
                   "  --partner CODE        partner code (CMA, any case)\n"
                   "  --validity N          certificate validity in years (default 3)\n"
                   "  --os OS               operating system, for information (default windows)\n"
                   "  --holder self|other   the holder is the person ordering (default) or another\n"
                   "                        person of the company (--ordered-by: who orders)\n"
                   "  --siren N, --siret N  the company's number (Luhn-checked)\n"
                   "  --payment METHOD      carte, virement or cheque\n"
                   "  --accept-cgu          the CGU of Certigna ID RGS** are accepted\n"
                   "  --ca-ref REF          the CA's order reference (or later: order set)\n"
                   "  --dept NN             département of the face-to-face\n"
                   "  --aed AED_ID          the AED office chosen (rgs-enroll aed list)\n"
                   "Without --accept-cgu or --payment the order is kept as a draft."));
}

enum { N_PARTNER = 1, N_PRODUCT, N_VALIDITY, N_OS, N_FIRST, N_LAST, N_EMAIL, N_PHONE, N_HOLDER,
       N_ORDERED_BY, N_COMPANY, N_SIREN, N_SIRET, N_PAYMENT, N_CGU, N_CA_REF, N_DEPT, N_AED,
       N_HELP };

/* ---- the errors of a command's options, all told in one run ------------------ */

#define OPT_ERRORS_MAX 16

typedef struct {
  char option[OPT_ERRORS_MAX][32];
  char text[OPT_ERRORS_MAX][512];
  size_t n;
  size_t more;                 /* errors beyond OPT_ERRORS_MAX: counted only */
} opt_errors;

static void opt_error(opt_errors *l, const char *option, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "--OPTION: sentence"; option NULL for an error that is not one option's. */
static void opt_error(opt_errors *l, const char *option, const char *fmt, ...)
{
  char msg[448];
  va_list ap;

  if (l->n == OPT_ERRORS_MAX) {
    l->more++;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  snprintf(l->option[l->n], sizeof(l->option[0]), "%s", option != NULL ? option : "");
  if (option != NULL)
    snprintf(l->text[l->n], sizeof(l->text[0]), "%s: %s", option, msg);
  else
    snprintf(l->text[l->n], sizeof(l->text[0]), "%s", msg);
  l->n++;
}

/* Every error on stderr, then one "Try ... --help"; under --json one
 * document whose error lists them all (error.errors[].option, .message). */
static int opt_errors_report(const rgs_io *io, const char *command, const opt_errors *l)
{
  rgs_json j;
  size_t i;

  for (i = 0; i < l->n; i++)
    rgs_err(io, "%s", l->text[i]);
  if (l->more > 0)
    rgs_err(io, _("and %zu more errors"), l->more);
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", command);
    rgs_json_bool(&j, "ok", 0);
    rgs_json_int(&j, "exit", RGS_EXIT_USAGE);
    rgs_json_object(&j, "error");
    rgs_json_str(&j, "code", "usage");
    rgs_json_str(&j, "message", l->text[0]);
    rgs_json_str(&j, "detail", NULL);
    rgs_json_array(&j, "errors");
    for (i = 0; i < l->n; i++) {
      rgs_json_object(&j, NULL);
      rgs_json_str(&j, "option", l->option[i][0] != '\0' ? l->option[i] : NULL);
      rgs_json_str(&j, "message", l->text[i]);
      rgs_json_end(&j);
    }
    rgs_json_end(&j);
    rgs_json_end(&j);
    rgs_json_finish(&j);
  }
  fprintf(stderr, _("Try '%s %s --help'.\n"), io->prog, command);
  return RGS_EXIT_USAGE;
}

/* A getopt_long loop's unknown option or missing value, in words. */
static void opt_unknown(opt_errors *l, int c, const char *seen)
{
  if (c == ':')
    opt_error(l, seen, "%s", _("this option needs a value"));
  else
    opt_error(l, NULL, _("unknown option '%s'"), seen);
}

/* A text value of an order, checked as the store will. */
static void check_field(opt_errors *l, const char *option, rgs_order_field field, const char *v)
{
  char err[512];

  if (v != NULL && rgs_order_field_check(field, v, err, sizeof(err)) != RGS_ORDER_OK)
    opt_error(l, option, "%s", err);
}

/* ---- order new: options ----------------------------------------------------- */

typedef struct {
  rgs_order_input in;
  const char *siren, *siret, *aed, *holder;
  char partner[16];
  char dept[4];                /* --dept in canonical form */
  rgs_order_aed aed_office;    /* --aed, found in the directory */
  int help;                    /* --help printed the usage: nothing else to do */
} new_args;

/* A value that the order layer parses: report its sentence as a usage error. */
static int bad_value(const rgs_io *io, const char *command, const char *option, const char *err)
{
  return rgs_usage_error(io, command, "%s: %s", option, err);
}

/* An option whose value is parsed here; an error is noted, parsing goes on.
 * Returns 0 when c is none of them. */
static int parse_new_value(new_args *a, int c, const char *arg, opt_errors *l)
{
  char err[512];

  switch (c) {
  case N_PARTNER:
    a->in.partner = arg;
    if (rgs_order_partner_parse(arg, a->partner, sizeof(a->partner), err, sizeof(err)) != RGS_ORDER_OK)
      opt_error(l, "--partner", "%s", err);
    else
      a->in.partner = a->partner;
    return 1;
  case N_VALIDITY:
    if (rgs_order_validity_parse(arg, &a->in.validity_years, err, sizeof(err)) != RGS_ORDER_OK)
      opt_error(l, "--validity", "%s", err);
    return 1;
  case N_OS:
    if (rgs_order_os_parse(arg, &a->in.os, err, sizeof(err)) != RGS_ORDER_OK)
      opt_error(l, "--os", "%s", err);
    return 1;
  case N_PAYMENT:
    if (rgs_order_payment_parse(arg, &a->in.payment, err, sizeof(err)) != RGS_ORDER_OK)
      opt_error(l, "--payment", "%s", err);
    return 1;
  case N_HOLDER:
    if (strcmp(arg, "self") != 0 && strcmp(arg, "other") != 0)
      opt_error(l, "--holder", _("self or other, not '%s'"), arg);
    a->in.holder_other = strcmp(arg, "other") == 0;
    a->holder = arg;
    return 1;
  default:
    return 0;
  }
}

static int parse_new_text(new_args *a, int c, const char *arg)
{
  switch (c) {
  case N_PRODUCT: a->in.product = arg; return 1;
  case N_FIRST: a->in.first_name = arg; return 1;
  case N_LAST: a->in.last_name = arg; return 1;
  case N_EMAIL: a->in.email = arg; return 1;
  case N_PHONE: a->in.phone = arg; return 1;
  case N_ORDERED_BY: a->in.ordered_by = arg; return 1;
  case N_COMPANY: a->in.company = arg; return 1;
  case N_SIREN: a->siren = arg; return 1;
  case N_SIRET: a->siret = arg; return 1;
  case N_CGU: a->in.accept_cgu = 1; return 1;
  case N_CA_REF: a->in.ca_ref = arg; return 1;
  case N_DEPT: a->in.dept = arg; return 1;
  case N_AED: a->aed = arg; return 1;
  default: return 0;
  }
}

/* The company's number: one of --siren and --siret, of the right kind. */
static void check_new_company_id(new_args *a, opt_errors *l)
{
  const char *option = a->siren != NULL ? "--siren" : "--siret";
  rgs_order_company_id_kind kind;
  char digits[16];

  if (a->siren != NULL && a->siret != NULL) {
    opt_error(l, "--siren, --siret", "%s", _("give the SIREN or the SIRET, not both"));
    return;
  }
  a->in.company_id = a->siren != NULL ? a->siren : a->siret;
  if (a->in.company_id == NULL) {
    opt_error(l, "--siren, --siret", "%s",
              _("required: the company's SIREN (9 digits) or SIRET (14 digits)"));
    return;
  }
  if (rgs_order_company_id_parse(a->in.company_id, digits, sizeof(digits), &kind) != RGS_ORDER_OK)
    opt_error(l, option, "'%s': %s", a->in.company_id, rgs_order_strerror(RGS_ORDER_ERR_SIREN));
  else if (a->siren != NULL && kind == RGS_ID_SIRET)
    opt_error(l, option, _("'%s' is a SIRET (14 digits): give it with --siret"), a->siren);
  else if (a->siret != NULL && kind == RGS_ID_SIREN)
    opt_error(l, option, _("'%s' is a SIREN (9 digits): give it with --siren"), a->siret);
}

/* Everything the options say, checked without the store: the required
 * ones, each value, and the rules between options. */
static void check_new_args(new_args *a, opt_errors *l)
{
  static const char *const names[] = { "--partner", "--holder-first-name", "--holder-last-name",
                                       "--email", "--company" };
  const char *values[] = { a->in.partner, a->in.first_name, a->in.last_name, a->in.email,
                           a->in.company };
  char err[512], product[32];
  size_t i;

  for (i = 0; i < RGS_ARRAY_LEN(names); i++)
    if (values[i] == NULL)
      opt_error(l, names[i], "%s", _("required"));
  check_new_company_id(a, l);
  if (a->in.product != NULL && a->in.partner == a->partner &&
      rgs_order_product_parse(a->partner, a->in.product, product, sizeof(product), err,
                              sizeof(err)) != RGS_ORDER_OK)
    opt_error(l, "--product", "%s", err);
  check_field(l, "--holder-first-name", RGS_FIELD_NAME, a->in.first_name);
  check_field(l, "--holder-last-name", RGS_FIELD_NAME, a->in.last_name);
  check_field(l, "--email", RGS_FIELD_EMAIL, a->in.email);
  check_field(l, "--phone", RGS_FIELD_PHONE, a->in.phone);
  check_field(l, "--company", RGS_FIELD_COMPANY, a->in.company);
  check_field(l, "--ordered-by", RGS_FIELD_NAME, a->in.ordered_by);
  check_field(l, "--ca-ref", RGS_FIELD_CA_REF, a->in.ca_ref);
  if (a->in.ordered_by != NULL && !a->in.holder_other)
    opt_error(l, "--ordered-by", "%s", _("goes with --holder other"));
  if (a->in.dept != NULL &&
      rgs_order_dept_parse(a->in.dept, a->dept, sizeof(a->dept), err, sizeof(err)) != RGS_ORDER_OK)
    opt_error(l, "--dept", "%s", err);
}

/* --aed in the directory (the store's when there is one, else the one
 * shipped), and in the département given. Read only: a failed run creates
 * nothing. A store that cannot be read is its own failure (returned). */
static int check_new_aed(rgs_io *io, new_args *a, opt_errors *l)
{
  rgs_order_store *st = NULL;
  rgs_order_aed_dir *dir = NULL;
  const rgs_order_aed *found = NULL;
  int ret;

  if (a->aed == NULL)
    return RGS_EXIT_OK;
  ret = rgs_store_open_read(io, "order new", &st);
  if (ret == RGS_EXIT_OK)
    ret = rgs_store_aed_directory(io, st, NULL, &dir, "order new");
  if (ret == RGS_EXIT_OK)
    found = rgs_order_aed_dir_find(dir, a->aed);
  if (ret == RGS_EXIT_OK && found == NULL)
    opt_error(l, "--aed", _("no AED office '%s' in the directory: see rgs-enroll aed list"), a->aed);
  else if (found != NULL)
    a->aed_office = *found;
  if (found != NULL && a->in.dept != NULL && a->dept[0] != '\0' && strcmp(a->dept, found->dept) != 0)
    opt_error(l, "--aed", _("the AED office %s is in département %s, not %s"), found->id,
              found->dept, a->dept);
  rgs_order_aed_dir_free(dir);
  rgs_order_store_close(st);
  return ret;
}

static int parse_new(rgs_io *io, int argc, char **argv, new_args *a)
{
  static const struct option opts[] = {
    { "partner", required_argument, NULL, N_PARTNER },
    { "product", required_argument, NULL, N_PRODUCT },
    { "validity", required_argument, NULL, N_VALIDITY },
    { "validity-years", required_argument, NULL, N_VALIDITY },
    { "os", required_argument, NULL, N_OS },
    { "holder-first-name", required_argument, NULL, N_FIRST },
    { "holder-last-name", required_argument, NULL, N_LAST },
    { "email", required_argument, NULL, N_EMAIL },
    { "phone", required_argument, NULL, N_PHONE },
    { "holder", required_argument, NULL, N_HOLDER },
    { "ordered-by", required_argument, NULL, N_ORDERED_BY },
    { "company", required_argument, NULL, N_COMPANY },
    { "siren", required_argument, NULL, N_SIREN },
    { "siret", required_argument, NULL, N_SIRET },
    { "payment", required_argument, NULL, N_PAYMENT },
    { "accept-cgu", no_argument, NULL, N_CGU },
    { "ca-ref", required_argument, NULL, N_CA_REF },
    { "dept", required_argument, NULL, N_DEPT },
    { "aed", required_argument, NULL, N_AED },
    { "help", no_argument, NULL, N_HELP },
    { NULL, 0, NULL, 0 },
  };
  opt_errors errs;
  int c, ret;

  memset(a, 0, sizeof(*a));
  memset(&errs, 0, sizeof(errs));
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    if (c == N_HELP || c == 'h') {
      usage_new();
      a->help = 1;
      return RGS_EXIT_OK;
    }
    if (!parse_new_text(a, c, optarg) && !parse_new_value(a, c, optarg, &errs))
      opt_unknown(&errs, c, argv[optind - 1]);
  }
  for (; optind < argc; optind++)
    opt_error(&errs, NULL, _("unexpected argument '%s'"), argv[optind]);
  check_new_args(a, &errs);
  ret = check_new_aed(io, a, &errs);
  if (ret != RGS_EXIT_OK)
    return ret;
  return errs.n > 0 ? opt_errors_report(io, "order new", &errs) : RGS_EXIT_OK;
}

static void print_draft_reasons(const rgs_io *io, const rgs_order *o, rgs_json *j)
{
  if (io->json) {
    rgs_json_array(j, "draft_reasons");
    if (o->status == RGS_STATUS_DRAFT && o->cgu_accepted_at[0] == '\0')
      rgs_json_str(j, NULL, "cgu-not-accepted");
    if (o->status == RGS_STATUS_DRAFT && o->payment == RGS_PAY_NONE)
      rgs_json_str(j, NULL, "no-payment-method");
    rgs_json_end(j);
    return;
  }
  if (o->status != RGS_STATUS_DRAFT)
    return;
  printf("%s\n", _("The order stays a DRAFT:"));
  if (o->cgu_accepted_at[0] == '\0')
    printf("  - %s\n", _("the CGU of Certigna ID RGS** are not accepted (--accept-cgu): accepting them is mandatory to order"));
  if (o->payment == RGS_PAY_NONE)
    printf("  - %s\n", _("no payment method is chosen (--payment carte|virement|cheque)"));
}

static int report_new(const rgs_io *io, const rgs_order *order)
{
  char line[1024];
  rgs_order o = *order;
  rgs_json j;

  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "order new");
    rgs_json_bool(&j, "ok", 1);
    rgs_json_bool(&j, "placed_here", 0);
    rgs_json_int(&j, "order_id", o.id);
    rgs_json_order(&j, "order", &o);
    print_draft_reasons(io, &o, &j);
    rgs_json_finish(&j);
    return RGS_EXIT_OK;
  }
  rgs_orders_oneline(&o, line, sizeof(line));
  printf(_("Order %lld recorded: %s (%s), %d year(s), for %s.\n"), o.id, o.product, o.partner,
         o.validity_years, line);
  printf(_("Status: %s.\n"), rgs_order_status_label(o.status));
  printf("%s\n", _("This records the order placed on the Certigna portal; it does not place it (ordering, payment and the CGU happen on the portal)."));
  print_draft_reasons(io, &o, NULL);
  printf(_("Next: rgs-enroll status %lld\n"), o.id);
  return RGS_EXIT_OK;
}

/* The order, its AED office and its reading back in one transaction:
 * recorded whole or not at all, so that a run that fails leaves no draft. */
static int run_new(rgs_io *io, rgs_order_store *st, const new_args *a, rgs_order *o)
{
  long long id = 0;
  rgs_order_rc rc = rgs_order_store_begin(st);

  if (rc == RGS_ORDER_OK)
    rc = rgs_order_create(st, &a->in, &id);
  if (rc == RGS_ORDER_OK && a->aed != NULL)
    rc = rgs_order_choose_aed(st, id, &a->aed_office);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_get(st, id, o);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_store_commit(st);
  else
    rgs_order_store_rollback(st);
  return rc == RGS_ORDER_OK ? RGS_EXIT_OK : rgs_fail_store(io, "order new", rc, st);
}

static int order_new(rgs_io *io, int argc, char **argv)
{
  rgs_order_store *st = NULL;
  new_args a;
  rgs_order o;
  int ret;

  ret = parse_new(io, argc, argv, &a);
  if (ret != RGS_EXIT_OK || a.help)
    return ret;
  ret = rgs_store_open(io, "order new", 1, &st);
  if (ret != RGS_EXIT_OK)
    return ret;
  ret = run_new(io, st, &a, &o);
  rgs_order_store_close(st);
  return ret == RGS_EXIT_OK ? report_new(io, &o) : ret;
}

/* ---- order set -------------------------------------------------------------- */

static void usage_set(void)
{
  printf("%s\n", _("Usage: rgs-enroll order set ID [--ca-ref REF] [--accept-cgu] [--payment METHOD]\n"
                   "         [--email ADDRESS] [--phone NUMBER] [--os OS] [--validity N] [--dept NN]\n"
                   "         [--status STATUS [--note TEXT]]\n"
                   "Change what is recorded of an order. A draft whose CGU are accepted and whose\n"
                   "payment is chosen becomes ordered. --status records a step done elsewhere\n"
                   "(submitted, face-to-face-done, issued, installed, refused, ...) when the order's\n"
                   "status allows it; the validity can change until the key is generated."));
}

enum { S_CA_REF = 1, S_CGU, S_PAYMENT, S_EMAIL, S_PHONE, S_OS, S_VALIDITY, S_DEPT, S_STATUS,
       S_NOTE, S_HELP };

typedef struct {
  rgs_order_update u;
  int status_set;
  rgs_order_status status;
  const char *note;
  int any;
} set_args;

/* One option of order set, its value checked; an error is noted and
 * parsing goes on. */
static void parse_set_option(set_args *a, int c, const char *arg, const char *seen,
                             opt_errors *l)
{
  char err[512], dept[4];

  a->any = 1;
  switch (c) {
  case S_CA_REF: a->u.ca_ref = arg; check_field(l, "--ca-ref", RGS_FIELD_CA_REF, arg); return;
  case S_CGU: a->u.accept_cgu = 1; return;
  case S_EMAIL: a->u.email = arg; check_field(l, "--email", RGS_FIELD_EMAIL, arg); return;
  case S_PHONE: a->u.phone = arg; check_field(l, "--phone", RGS_FIELD_PHONE, arg); return;
  case S_NOTE: a->note = arg; return;
  case S_DEPT:
    a->u.dept = arg;
    if (arg[0] != '\0' && rgs_order_dept_parse(arg, dept, sizeof(dept), err, sizeof(err)) != RGS_ORDER_OK)
      opt_error(l, "--dept", "%s", err);
    return;
  case S_PAYMENT:
    if (rgs_order_payment_parse(arg, &a->u.payment, err, sizeof(err)) != RGS_ORDER_OK)
      opt_error(l, "--payment", "%s", err);
    return;
  case S_OS:
    a->u.os_set = 1;
    if (rgs_order_os_parse(arg, &a->u.os, err, sizeof(err)) != RGS_ORDER_OK)
      opt_error(l, "--os", "%s", err);
    return;
  case S_VALIDITY:
    if (rgs_order_validity_parse(arg, &a->u.validity_years, err, sizeof(err)) != RGS_ORDER_OK)
      opt_error(l, "--validity", "%s", err);
    return;
  case S_STATUS:
    a->status_set = 1;
    if (rgs_order_status_parse(arg, &a->status, err, sizeof(err)) != RGS_ORDER_OK)
      opt_error(l, "--status", "%s", err);
    return;
  default:
    opt_unknown(l, c, seen);
    return;
  }
}

static int print_order_changed(const rgs_io *io, rgs_order_store *st, long long id,
                               const char *command)
{
  rgs_order o;
  rgs_order_rc rc = rgs_order_get(st, id, &o);
  rgs_json j;

  if (rc != RGS_ORDER_OK)
    return rgs_fail_store(io, command, rc, st);
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", command);
    rgs_json_bool(&j, "ok", 1);
    rgs_json_int(&j, "order_id", o.id);
    rgs_json_order(&j, "order", &o);
    rgs_json_finish(&j);
  } else {
    printf(_("Order %lld: %s.\n"), o.id, rgs_order_status_label(o.status));
    print_draft_reasons(io, &o, NULL);
  }
  return RGS_EXIT_OK;
}

static int order_set(rgs_io *io, int argc, char **argv)
{
  static const struct option opts[] = {
    { "ca-ref", required_argument, NULL, S_CA_REF },
    { "accept-cgu", no_argument, NULL, S_CGU },
    { "payment", required_argument, NULL, S_PAYMENT },
    { "email", required_argument, NULL, S_EMAIL },
    { "phone", required_argument, NULL, S_PHONE },
    { "os", required_argument, NULL, S_OS },
    { "validity", required_argument, NULL, S_VALIDITY },
    { "validity-years", required_argument, NULL, S_VALIDITY },
    { "dept", required_argument, NULL, S_DEPT },
    { "status", required_argument, NULL, S_STATUS },
    { "note", required_argument, NULL, S_NOTE },
    { "help", no_argument, NULL, S_HELP },
    { NULL, 0, NULL, 0 },
  };
  rgs_order_store *st = NULL;
  opt_errors errs;
  set_args a;
  long long id = 0;
  long number = 0;
  int c, ret;
  rgs_order_rc rc;

  memset(&a, 0, sizeof(a));
  memset(&errs, 0, sizeof(errs));
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    if (c == S_HELP || c == 'h') {
      usage_set();
      return RGS_EXIT_OK;
    }
    parse_set_option(&a, c, optarg, argv[optind - 1], &errs);
  }
  if (optind + 1 != argc)
    opt_error(&errs, NULL, "%s", _("one order number is expected"));
  else if (!rgs_parse_number(argv[optind], 1, 2147483647L, &number))
    opt_error(&errs, NULL, _("'%s' is not an order number"), argv[optind]);
  id = number;
  if (!a.any)
    opt_error(&errs, NULL, "%s", _("nothing to change"));
  if (a.note != NULL && !a.status_set)
    opt_error(&errs, "--note", "%s", _("goes with --status"));
  if (errs.n > 0)
    return opt_errors_report(io, "order set", &errs);
  ret = rgs_store_open_for(io, "order set", id, &st);
  if (ret != RGS_EXIT_OK)
    return ret;
  rc = rgs_order_store_begin(st);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_update_fields(st, id, &a.u);
  if (rc == RGS_ORDER_OK && a.status_set)
    rc = rgs_order_set_status(st, id, a.status, a.note);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_store_commit(st);
  else
    rgs_order_store_rollback(st);
  ret = rc == RGS_ORDER_OK ? print_order_changed(io, st, id, "order set")
                           : rgs_fail_store(io, "order set", rc, st);
  rgs_order_store_close(st);
  return ret;
}

/* ---- order cancel -------------------------------------------------------------- */

static int order_cancel(rgs_io *io, int argc, char **argv)
{
  static const struct option opts[] = {
    { "note", required_argument, NULL, 'n' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  rgs_order_store *st = NULL;
  const char *note = NULL;
  long long id;
  int c, ret;
  rgs_order_rc rc;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'n': note = optarg; break;
    case 'h':
      printf("%s\n", _("Usage: rgs-enroll order cancel ID [--note TEXT]\n"
                       "Cancel an order that is not closed yet (the CA is not told: cancel it on\n"
                       "the portal too)."));
      return RGS_EXIT_OK;
    default: return rgs_usage_error(io, "order cancel", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind + 1 != argc)
    return rgs_usage_error(io, "order cancel", "%s", _("one order number is expected"));
  ret = rgs_parse_order_id(io, "order cancel", argv[optind], &id);
  if (ret == RGS_EXIT_OK)
    ret = rgs_store_open_for(io, "order cancel", id, &st);
  if (ret != RGS_EXIT_OK)
    return ret;
  rc = rgs_order_set_status(st, id, RGS_STATUS_CANCELLED, note);
  ret = rc == RGS_ORDER_OK ? print_order_changed(io, st, id, "order cancel")
                           : rgs_fail_store(io, "order cancel", rc, st);
  rgs_order_store_close(st);
  return ret;
}

/* ---- order show ---------------------------------------------------------------- */

static void show_appointment_text(const rgs_order_appointment *a)
{
  char ht[32], ttc[32], when[128];
  rgs_order_quote q;

  printf(_("  AED          : %s, %s, %s %s (%s)\n"), a->aed.name, a->aed.address,
         a->aed.postal_code, a->aed.city, a->aed.id);
  if (a->at[0] == '\0') {
    printf("  %-13s: %s\n", _("Appointment"), _("not booked yet"));
    return;
  }
  printf(_("  Appointment  : %s, %s\n"), rgs_appt_when(a->at, 0, when, sizeof(when)),
         rgs_order_mode_label(a->mode));
  if (a->priced && rgs_order_aed_quote(a->mode, a->distance_km, &q) == RGS_ORDER_OK) {
    rgs_format_euros(a->fee_ht_cents, ht, sizeof(ht));
    rgs_format_euros(q.ttc_cents, ttc, sizeof(ttc));
    printf(_("  Estimated fee: %s HT (%s TTC), taxes of the AED's profession may be added\n"), ht, ttc);
  } else {
    printf(_("  Estimated fee: none beyond %d km: ask the AED for a quote\n"), RGS_ORDER_AED_RADIUS_KM);
  }
}

static void json_appointment(rgs_json *j, const rgs_order_appointment *a, int found)
{
  char at[32];

  if (!found) {
    rgs_json_str(j, "appointment", NULL);
    return;
  }
  rgs_json_object(j, "appointment");
  rgs_json_object(j, "aed");
  rgs_json_str(j, "id", a->aed.id);
  rgs_json_str(j, "name", a->aed.name);
  rgs_json_str(j, "address", a->aed.address);
  rgs_json_str(j, "postal_code", a->aed.postal_code);
  rgs_json_str(j, "city", a->aed.city);
  rgs_json_str(j, "dept", a->aed.dept);
  rgs_json_end(j);
  rgs_json_str(j, "at", rgs_appt_json(a->at, at, sizeof(at)));
  rgs_json_str(j, "mode", a->mode_set ? rgs_order_mode_name(a->mode) : NULL);
  if (a->distance_km >= 0)
    rgs_json_int(j, "distance_km", a->distance_km);
  else
    rgs_json_str(j, "distance_km", NULL);
  if (a->priced)
    rgs_json_int(j, "fee_ht_cents", a->fee_ht_cents);
  else
    rgs_json_str(j, "fee_ht_cents", NULL);
  rgs_json_end(j);
}

static void json_binding(rgs_json *j, const rgs_order_binding *b, int found)
{
  if (!found) {
    rgs_json_str(j, "binding", NULL);
    return;
  }
  rgs_json_object(j, "binding");
  rgs_json_str(j, "spki_sha256", b->spki_sha256);
  rgs_json_str(j, "subject", b->subject);
  rgs_json_str(j, "token_serial", b->token_serial[0] != '\0' ? b->token_serial : NULL);
  rgs_json_str(j, "token_model", b->token_model[0] != '\0' ? b->token_model : NULL);
  rgs_json_str(j, "key_uri", b->key_uri[0] != '\0' ? b->key_uri : NULL);
  rgs_json_str(j, "linked_at", b->linked_at);
  rgs_json_str(j, "csr_pem", b->csr_pem);
  rgs_json_end(j);
}

static void json_docs(rgs_json *j, const rgs_order_doc *docs)
{
  int k;

  rgs_json_array(j, "documents");
  for (k = 0; k < RGS_DOC_COUNT; k++) {
    rgs_json_object(j, NULL);
    rgs_json_str(j, "kind", rgs_order_doc_kind_name(docs[k].kind));
    rgs_json_str(j, "state", rgs_order_doc_state_name(docs[k].state));
    rgs_json_str(j, "issued_on", docs[k].issued_on[0] != '\0' ? docs[k].issued_on : NULL);
    rgs_json_str(j, "expires_on", docs[k].expires_on[0] != '\0' ? docs[k].expires_on : NULL);
    rgs_json_str(j, "sent_on", docs[k].sent_on[0] != '\0' ? docs[k].sent_on : NULL);
    rgs_json_end(j);
  }
  rgs_json_end(j);
}

static void json_history(rgs_json *j, const rgs_order_event *ev, size_t n)
{
  size_t i;

  rgs_json_array(j, "history");
  for (i = 0; i < n; i++) {
    rgs_json_object(j, NULL);
    rgs_json_str(j, "at", ev[i].at);
    rgs_json_str(j, "from", ev[i].has_from ? rgs_order_status_name(ev[i].from) : NULL);
    rgs_json_str(j, "to", rgs_order_status_name(ev[i].to));
    rgs_json_str(j, "note", ev[i].note[0] != '\0' ? ev[i].note : NULL);
    rgs_json_end(j);
  }
  rgs_json_end(j);
}

typedef struct {
  rgs_order o;
  rgs_order_event *ev;
  size_t n_ev;
  rgs_order_appointment a;
  int has_a;
  rgs_order_binding b;
  int has_b;
  rgs_order_doc docs[RGS_DOC_COUNT];
} order_view;

static rgs_order_rc load_view(rgs_order_store *st, long long id, order_view *v)
{
  rgs_order_rc rc;

  memset(v, 0, sizeof(*v));
  rc = rgs_order_get(st, id, &v->o);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_history(st, id, &v->ev, &v->n_ev);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_appointment_get(st, id, &v->a, &v->has_a);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_binding_get(st, id, &v->b, &v->has_b);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_docs_get(st, id, v->docs);
  return rc;
}

static void free_view(order_view *v)
{
  free(v->ev);
  rgs_order_binding_clear(&v->b);
}

/* One line of the history: when, the step in words, the note. */
static void show_event(const rgs_order_event *ev)
{
  char when[128];

  printf("  ");
  rgs_print_padded(rgs_when(ev->at, 0, when, sizeof(when)), 30);
  printf(" ");
  rgs_print_padded(rgs_order_status_word(ev->to), 20);
  /* Notes the store wrote in English (its stable words) are translated
   * here when the catalogue knows them; a person's own note stays. */
  printf(" %s\n", ev->note[0] != '\0' ? _(ev->note) : "");
}

static void show_text(const order_view *v)
{
  const rgs_order *o = &v->o;
  char line[1024], when[128], first[RGS_ORDER_NAME_MAX];
  size_t i;
  int k, ready = 0;

  if (rgs_order_text_upper(o->last_name, line, sizeof(line)) != RGS_ORDER_OK)
    snprintf(line, sizeof(line), "%s", o->last_name);
  printf(_("Order %lld: %s (%s), %d year(s), %s\n"), o->id, o->product, o->partner,
         o->validity_years, rgs_order_os_label(o->os));
  printf(_("  Status       : %s, since %s\n"), rgs_order_status_label(o->status),
         rgs_when(o->status_at, 0, when, sizeof(when)));
  /* The holder's name by one rule (rgs_order_first_name_case). */
  if (rgs_order_first_name_case(o->first_name, first, sizeof(first)) != RGS_ORDER_OK)
    snprintf(first, sizeof(first), "%s", o->first_name);
  printf(_("  Holder       : %s %s <%s>%s%s\n"), first, line, o->email,
         o->phone[0] != '\0' ? ", " : "", o->phone);
  printf(_("  Company      : %s, %s %s\n"), o->company, strlen(o->company_id) == 14 ? "SIRET" : "SIREN",
         o->company_id);
  if (o->holder_other)
    printf(_("  Ordered by   : %s (the holder is another person of the company)\n"),
           o->ordered_by[0] != '\0' ? o->ordered_by : "?");
  printf(_("  Payment      : %s; CGU %s\n"), rgs_order_payment_label(o->payment),
         /* TRANSLATORS: the CGU (terms of use), plural in French. */
         o->cgu_accepted_at[0] != '\0' ? _("terms accepted") : _("terms NOT accepted"));
  printf(_("  CA reference : %s\n"), o->ca_ref[0] != '\0' ? o->ca_ref : "-");
  /* TRANSLATORS: the French département (« Département » in French). */
  printf(_("  Department   : %s\n"), o->dept[0] != '\0' ? o->dept : "-");
  if (v->has_a)
    show_appointment_text(&v->a);
  if (v->has_b) {
    printf(_("  Request      : %s, SPKI SHA-256 %s\n"), v->b.subject, v->b.spki_sha256);
    if (v->b.token_serial[0] != '\0' || v->b.key_uri[0] != '\0')
      printf(_("  Key          : token %s %s, %s\n"), v->b.token_model, v->b.token_serial,
             v->b.key_uri[0] != '\0' ? v->b.key_uri : "-");
  }
  for (k = 0; k < RGS_DOC_COUNT; k++)
    ready += v->docs[k].state != RGS_DOC_MISSING;
  printf(_("  Documents    : %d of %d ready or sent (rgs-enroll order docs %lld)\n"), ready,
         RGS_DOC_COUNT, o->id);
  printf("%s\n", _("History:"));
  for (i = 0; i < v->n_ev; i++)
    show_event(&v->ev[i]);
}

/* order show --qr: the dossier's short form after the order, once the
 * order has a key, a request and a CA reference (as order qr needs). */
static void show_short_form(const rgs_io *io, const order_view *v, rgs_json *j)
{
  char *text = NULL, *qr = NULL;
  int ready = v->has_b && v->o.ca_ref[0] != '\0' && cli_order_short_form(&v->o, &v->b, &text, &qr);

  if (io->json) {
    rgs_json_str(j, "short_form", ready ? text : NULL);
  } else if (ready) {
    printf("%s\n", _("The dossier's short form, for the paper file (not signed; the AED checks the "
                     "token against it with rgs-enroll order check-qr):"));
    fputs(qr, stdout);
    printf("%s\n", text);
  } else {
    printf(_("No short form yet: it needs the order's key and request and its CA reference "
             "(rgs-enroll start --order %lld, rgs-enroll order set %lld --ca-ref REF).\n"),
           v->o.id, v->o.id);
  }
  free(text);
  free(qr);
}

static void usage_show(void)
{
  printf("%s\n", _("Usage: rgs-enroll order show ID [--qr]\n"
                   "Everything recorded of an order, with its history.\n"
                   "  --qr   add the dossier's short form as a QR code (rgs-enroll order qr)"));
}

/* ID and --qr, in any order; RGS_EXIT_OK with *help set for --help. */
static int show_args(rgs_io *io, int argc, char **argv, long long *id, int *qr, int *help)
{
  const char *id_text = NULL;
  int i;

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      *help = 1;
      return RGS_EXIT_OK;
    }
    if (strcmp(argv[i], "--qr") == 0)
      *qr = 1;
    else if (argv[i][0] == '-' && argv[i][1] != '\0')
      return rgs_usage_error(io, "order show", _("unknown option '%s'"), argv[i]);
    else if (id_text != NULL)
      return rgs_usage_error(io, "order show", "%s", _("one order number is expected"));
    else
      id_text = argv[i];
  }
  if (id_text == NULL)
    return rgs_usage_error(io, "order show", "%s", _("one order number is expected"));
  return rgs_parse_order_id(io, "order show", id_text, id);
}

static void show_json(rgs_io *io, const order_view *v, int qr)
{
  rgs_json j;

  rgs_json_start(&j, stdout);
  rgs_json_object(&j, NULL);
  rgs_json_str(&j, "command", "order show");
  rgs_json_bool(&j, "ok", 1);
  rgs_json_int(&j, "order_id", v->o.id);
  rgs_json_order(&j, "order", &v->o);
  json_appointment(&j, &v->a, v->has_a);
  json_binding(&j, &v->b, v->has_b);
  json_docs(&j, v->docs);
  json_history(&j, v->ev, v->n_ev);
  if (qr)
    show_short_form(io, v, &j);
  rgs_json_finish(&j);
}

static int order_show(rgs_io *io, int argc, char **argv)
{
  rgs_order_store *st = NULL;
  order_view v;
  long long id = 0;
  int ret, qr = 0, help = 0;
  rgs_order_rc rc;

  ret = show_args(io, argc, argv, &id, &qr, &help);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (help) {
    usage_show();
    return RGS_EXIT_OK;
  }
  /* The QR code is drawn by rgs-enroll-full: hand it the whole command. */
  if (qr && cli_is_lean())
    return cli_cmd_delegate(io, argc, argv);
  ret = rgs_store_open_read_for(io, "order show", id, &st);
  if (ret != RGS_EXIT_OK)
    return ret;
  rc = load_view(st, id, &v);
  if (rc != RGS_ORDER_OK) {
    ret = rgs_fail_store(io, "order show", rc, st);
  } else if (io->json) {
    show_json(io, &v, qr);
  } else {
    show_text(&v);
    if (qr)
      show_short_form(io, &v, NULL);
  }
  free_view(&v);
  rgs_order_store_close(st);
  return ret;
}

/* ---- order list ---------------------------------------------------------------- */

typedef struct {
  const rgs_io *io;
  rgs_json *j;
} list_ctx;

static int list_one(void *ud, const rgs_order *o)
{
  list_ctx *c = ud;
  char line[1024];

  if (c->io->json) {
    rgs_json_order(c->j, NULL, o);
    return 0;
  }
  rgs_orders_oneline(o, line, sizeof(line));
  printf("%6lld  ", o->id);
  rgs_print_padded(rgs_order_status_word(o->status), 20);
  printf("  %-3s  %s\n", o->dept[0] != '\0' ? o->dept : "-", line);
  return 0;
}

/* *help is set when --help printed the usage (RGS_EXIT_OK then). */
static int parse_list_args(rgs_io *io, int argc, char **argv, rgs_order_filter *f, char *dept,
                           char *siren, int *help)
{
  static const struct option opts[] = {
    { "dept", required_argument, NULL, 'd' },
    { "status", required_argument, NULL, 's' },
    { "siren", required_argument, NULL, 'n' },
    { "open", no_argument, NULL, 'o' },
    { "limit", required_argument, NULL, 'l' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  rgs_order_company_id_kind kind;
  char err[512];
  int c;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'd':
      if (rgs_order_dept_parse(optarg, dept, 4, err, sizeof(err)) != RGS_ORDER_OK)
        return bad_value(io, "order list", "--dept", err);
      f->dept = dept;
      break;
    case 's':
      f->status_set = 1;
      if (rgs_order_status_parse(optarg, &f->status, err, sizeof(err)) != RGS_ORDER_OK)
        return bad_value(io, "order list", "--status", err);
      break;
    case 'n':
      if (rgs_order_company_id_parse(optarg, siren, 16, &kind) != RGS_ORDER_OK)
        return bad_value(io, "order list", "--siren", rgs_order_strerror(RGS_ORDER_ERR_SIREN));
      siren[9] = '\0';
      f->siren = siren;
      break;
    case 'o': f->open_only = 1; break;
    case 'l':
      if (!rgs_parse_number(optarg, 1, 1000000000L, &f->limit))
        return rgs_usage_error(io, "order list", _("--limit needs a positive number, not '%s'"), optarg);
      break;
    case 'h':
      printf("%s\n", _("Usage: rgs-enroll order list [--dept NN] [--status STATUS] [--siren N]\n"
                       "         [--open] [--limit N]\n"
                       "The orders, by number: all, or those of a département (of the face-to-face),\n"
                       "a status, a company; --open leaves out installed, cancelled and refused ones."));
      *help = 1;
      return RGS_EXIT_OK;
    default: return rgs_usage_error(io, "order list", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind < argc)
    return rgs_usage_error(io, "order list", _("unexpected argument '%s'"), argv[optind]);
  return RGS_EXIT_OK;
}

static int order_list(rgs_io *io, int argc, char **argv)
{
  rgs_order_store *st = NULL;
  rgs_order_filter f;
  char dept[4], siren[16];
  list_ctx ctx;
  size_t n = 0;
  int ret, help = 0;
  rgs_order_rc rc = RGS_ORDER_OK;
  rgs_json j;

  memset(&f, 0, sizeof(f));
  ret = parse_list_args(io, argc, argv, &f, dept, siren, &help);
  if (ret != RGS_EXIT_OK || help)
    return ret;
  ret = rgs_store_open_read(io, "order list", &st);
  if (ret != RGS_EXIT_OK)
    return ret;
  ctx.io = io;
  ctx.j = &j;
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "order list");
    rgs_json_array(&j, "orders");
  }
  if (st != NULL)
    rc = rgs_order_list(st, &f, list_one, &ctx, &n);
  if (rc != RGS_ORDER_OK && io->json) {
    /* The document is already under way: it ends with the error. */
    rgs_err(io, "%s (%s)", rgs_order_strerror(rc), rgs_order_store_last_error(st));
    ret = rgs_exit_for_order(rc);
    rgs_json_end(&j);
    rgs_json_bool(&j, "ok", 0);
    rgs_json_int(&j, "exit", ret);
    rgs_json_object(&j, "error");
    rgs_json_str(&j, "code", rgs_exit_code_name(ret));
    rgs_json_str(&j, "message", rgs_order_strerror(rc));
    rgs_json_str(&j, "detail", rgs_order_store_last_error(st));
    rgs_json_finish(&j);
  } else if (rc != RGS_ORDER_OK) {
    ret = rgs_fail_store(io, "order list", rc, st);
  } else if (io->json) {
    rgs_json_end(&j);
    rgs_json_int(&j, "count", (long long)n);
    rgs_json_bool(&j, "ok", 1);
    rgs_json_finish(&j);
  } else if (n == 0) {
    printf("%s\n", _("No order."));
  }
  rgs_order_store_close(st);
  return ret;
}

/* ---- order link ------------------------------------------------------------------ */

/* Read a request, PEM or DER; a FIFO or a device is refused before a read
 * could block. */
static int read_request(const rgs_io *io, const char *path, X509_REQ **out)
{
  rgsx_rc frc = RGSX_OK;
  FILE *f = rgsx_fopen_regular(path, &frc);
  BIO *b = NULL;
  X509_REQ *req = NULL;
  char detail[PATH_MAX + 160];

  *out = NULL;
  if (f == NULL) {
    snprintf(detail, sizeof(detail), "%s: %s", path,
             frc == RGSX_ERR_SYSTEM ? strerror(errno) : rgsx_strerror(frc));
    return rgs_fail(io, "order link", RGS_EXIT_IO, _("the certificate request could not be read"), detail);
  }
  b = BIO_new_fp(f, BIO_CLOSE);
  if (b == NULL) {
    fclose(f);
    return rgs_fail(io, "order link", RGS_EXIT_INTERNAL, rgsx_strerror(RGSX_ERR_NOMEM), NULL);
  }
  req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
  if (req == NULL && BIO_reset(b) == 0)
    req = d2i_X509_REQ_bio(b, NULL);
  BIO_free(b);
  if (req == NULL)
    return rgs_fail(io, "order link", RGS_EXIT_IO,
                    _("not a certificate request (PKCS#10, PEM or DER)"), path);
  *out = req;
  return RGS_EXIT_OK;
}

static int report_link(const rgs_io *io, rgs_order_store *st, long long id)
{
  rgs_order_binding b;
  rgs_order o;
  int found = 0;
  rgs_order_rc rc = rgs_order_get(st, id, &o);
  rgs_json j;

  if (rc == RGS_ORDER_OK)
    rc = rgs_order_binding_get(st, id, &b, &found);
  if (rc != RGS_ORDER_OK)
    return rgs_fail_store(io, "order link", rc, st);
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "order link");
    rgs_json_bool(&j, "ok", 1);
    rgs_json_int(&j, "order_id", o.id);
    rgs_json_order(&j, "order", &o);
    json_binding(&j, &b, found);
    rgs_json_finish(&j);
  } else {
    printf(_("Request bound to order %lld: %s\n  SPKI SHA-256 : %s\n"), id, b.subject, b.spki_sha256);
    printf(_("Status: %s.\n"), rgs_order_status_label(o.status));
  }
  rgs_order_binding_clear(&b);
  return RGS_EXIT_OK;
}

static int order_link(rgs_io *io, int argc, char **argv)
{
  static const struct option opts[] = {
    { "csr", required_argument, NULL, 'c' },
    { "token-serial", required_argument, NULL, 's' },
    { "token-model", required_argument, NULL, 'm' },
    { "key-uri", required_argument, NULL, 'k' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *csr = NULL, *serial = NULL, *model = NULL, *key_uri = NULL;
  rgs_order_store *st = NULL;
  rgs_p11_uri *uri = NULL;
  X509_REQ *req = NULL;
  rgs_order o;
  char err[256];
  long long id;
  int c, ret;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'c': csr = optarg; break;
    case 's': serial = optarg; break;
    case 'm': model = optarg; break;
    case 'k': key_uri = optarg; break;
    case 'h':
      printf("%s\n", _("Usage: rgs-enroll order link ID --csr FILE [--token-serial S] [--token-model M]\n"
                       "         [--key-uri URI]\n"
                       "Bind a certificate request (PEM or DER) to the order: its signature must\n"
                       "verify, its subject must name the holder (CN), the company (O) and its SIREN\n"
                       "(OU=0002 N), and its key must not be bound to another order. Stores the\n"
                       "request, the SHA-256 of its public key, and the token and key it came from."));
      return RGS_EXIT_OK;
    default: return rgs_usage_error(io, "order link", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind + 1 != argc)
    return rgs_usage_error(io, "order link", "%s", _("one order number is expected"));
  ret = rgs_parse_order_id(io, "order link", argv[optind], &id);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (csr == NULL)
    return rgs_usage_error(io, "order link", "%s", _("--csr FILE is required"));
  if (key_uri != NULL && rgs_p11_uri_parse(key_uri, &uri, err, sizeof(err)) != RGS_P11_OK)
    return rgs_usage_error(io, "order link", "--key-uri: %s", err);
  rgs_p11_uri_free(uri);
  ret = read_request(io, csr, &req);
  if (ret == RGS_EXIT_OK)
    ret = rgs_store_open_for(io, "order link", id, &st);
  if (ret == RGS_EXIT_OK)
    ret = rgs_store_order_for_link(io, st, id, &o, "order link");
  if (ret == RGS_EXIT_OK)
    ret = rgs_store_link(io, st, id, req, serial, model, key_uri, "order link");
  if (ret == RGS_EXIT_OK)
    ret = report_link(io, st, id);
  rgs_order_store_close(st);
  X509_REQ_free(req);
  return ret;
}

/* ---- order docs ------------------------------------------------------------------ */

static void docs_usage(void)
{
  printf("%s\n", _("Usage: rgs-enroll order docs ID [--set DOCUMENT [--state STATE] [--date DAY]\n"
                   "         [--expires DAY]] [--planned DAY] [--sent DAY]\n"
                   "The four originals to post to Certigna, their state and the rules on their\n"
                   "dates. DOCUMENT: request-form, intervention-form, id-document,\n"
                   "registration-extract. STATE: missing, ready, sent, accepted.\n"
                   "  --date DAY      date of issue of the registration extract (it must be under\n"
                   "                  three months old on the day the originals are sent)\n"
                   "  --expires DAY   end of validity of the identity document (it must be valid\n"
                   "                  on the face-to-face day)\n"
                   "  --planned DAY   the day you plan to post the originals\n"
                   "  --sent DAY      the originals were posted that day (after the face-to-face)\n"
                   "Days are written 20/12/2026 or 2026-12-20. DOCUMENT and STATE may be given\n"
                   "in French too (kbis, pièce-d-identité; manquant, prêt, envoyé, accepté)."));
}

typedef struct {
  int set;
  rgs_order_doc_update u;
  const char *planned, *sent;
  int help;                    /* --help printed the usage: nothing else to do */
  /* The days as typed (20/12/2026), in ISO form for the store. */
  char issued[11], expires[11], planned_day[11], sent_day[11];
} docs_args;

/* A day option: ISO or French form into out (11 bytes); "" stays "" (it
 * clears the date). */
static int parse_day_option(rgs_io *io, const char *command, const char *option,
                            const char *arg, char *out, const char **dst)
{
  rgsx_date_rc rc;

  if (arg[0] == '\0') {
    out[0] = '\0';
    *dst = out;
    return RGS_EXIT_OK;
  }
  rc = rgsx_date_input(arg, RGSX_DATE_WANT_DAY, out, 11);
  if (rc != RGSX_DATE_OK)
    return rgs_usage_error(io, command, "%s '%s': %s", option, arg, rgsx_date_strerror(rc));
  *dst = out;
  return RGS_EXIT_OK;
}

static int parse_docs_args(rgs_io *io, int argc, char **argv, docs_args *a)
{
  static const struct option opts[] = {
    { "set", required_argument, NULL, 'k' },
    { "state", required_argument, NULL, 's' },
    { "date", required_argument, NULL, 'd' },
    { "expires", required_argument, NULL, 'e' },
    { "planned", required_argument, NULL, 'p' },
    { "sent", required_argument, NULL, 'S' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  char err[256];
  int c, ret = RGS_EXIT_OK;

  while (ret == RGS_EXIT_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'k':
      a->set = 1;
      if (rgs_order_doc_kind_parse(optarg, &a->u.kind, err, sizeof(err)) != RGS_ORDER_OK)
        return bad_value(io, "order docs", "--set", err);
      break;
    case 's':
      a->u.state_set = 1;
      if (rgs_order_doc_state_parse(optarg, &a->u.state, err, sizeof(err)) != RGS_ORDER_OK)
        return bad_value(io, "order docs", "--state", err);
      break;
    case 'd': ret = parse_day_option(io, "order docs", "--date", optarg, a->issued, &a->u.issued_on); break;
    case 'e': ret = parse_day_option(io, "order docs", "--expires", optarg, a->expires, &a->u.expires_on); break;
    case 'p': ret = parse_day_option(io, "order docs", "--planned", optarg, a->planned_day, &a->planned); break;
    case 'S': ret = parse_day_option(io, "order docs", "--sent", optarg, a->sent_day, &a->sent); break;
    case 'h': docs_usage(); a->help = 1; return RGS_EXIT_OK;
    default: return rgs_usage_error(io, "order docs", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (ret != RGS_EXIT_OK)
    return ret;
  if (!a->set && (a->u.state_set || a->u.issued_on != NULL || a->u.expires_on != NULL))
    return rgs_usage_error(io, "order docs", "%s", _("--state, --date and --expires go with --set DOCUMENT"));
  if (a->set && !a->u.state_set && a->u.issued_on == NULL && a->u.expires_on == NULL)
    return rgs_usage_error(io, "order docs", "%s", _("--set DOCUMENT needs --state, --date or --expires"));
  return RGS_EXIT_OK;
}

static rgs_order_rc apply_docs(rgs_order_store *st, long long id, const docs_args *a)
{
  rgs_order_rc rc = rgs_order_store_begin(st);

  if (rc == RGS_ORDER_OK && a->set)
    rc = rgs_order_doc_set(st, id, &a->u);
  if (rc == RGS_ORDER_OK && a->planned != NULL)
    rc = rgs_order_docs_plan(st, id, a->planned);
  if (rc == RGS_ORDER_OK && a->sent != NULL)
    rc = rgs_order_docs_sent(st, id, a->sent);
  if (rc == RGS_ORDER_OK)
    return rgs_order_store_commit(st);
  rgs_order_store_rollback(st);
  return rc;
}

static void docs_text(const order_view *v, const rgs_order_docnote *notes, size_t n)
{
  const char *const *addr = rgs_order_postal_address();
  char extra[256], last[11], text[512], w1[96], w2[96];
  size_t i;
  int k;

  printf(_("Documents of order %lld: the originals go by post to\n"), v->o.id);
  for (i = 0; addr[i] != NULL; i++)
    printf("    %s\n", addr[i]);
  for (k = 0; k < RGS_DOC_COUNT; k++) {
    const rgs_order_doc *d = &v->docs[k];
    extra[0] = '\0';
    if (k == RGS_DOC_EXTRACT && d->issued_on[0] != '\0') {
      rgs_order_date_last_day_under(d->issued_on, RGS_ORDER_EXTRACT_MONTHS, last, sizeof(last));
      snprintf(extra, sizeof(extra), _(" (issued %s, good until %s)"),
               rgs_when(d->issued_on, 0, w1, sizeof(w1)), rgs_when(last, 0, w2, sizeof(w2)));
    } else if (k == RGS_DOC_ID && d->expires_on[0] != '\0') {
      snprintf(extra, sizeof(extra), _(" (valid until %s)"), rgs_when(d->expires_on, 0, w1, sizeof(w1)));
    }
    printf("  [");
    rgs_print_padded(rgs_order_doc_state_label(d->state), 8);
    printf("] %s%s", rgs_order_doc_kind_label(d->kind), extra);
    if (d->sent_on[0] != '\0')
      printf(_(", sent %s"), rgs_when(d->sent_on, 0, w1, sizeof(w1)));
    printf("\n");
  }
  if (v->o.planned_sending[0] != '\0')
    printf(_("Planned sending: %s\n"), rgs_when(v->o.planned_sending, 0, w1, sizeof(w1)));
  for (i = 0; i < n; i++) {
    if (notes[i].code == RGS_DOCNOTE_MISSING)
      continue;
    rgs_docnote_text(&notes[i], text, sizeof(text));
    printf(_("Warning: %s\n"), text);
  }
}

/* The note's stable code for --json: a front end words it itself. */
static const char *docnote_code(rgs_order_docnote_code c)
{
  switch (c) {
  case RGS_DOCNOTE_MISSING: return "missing";
  case RGS_DOCNOTE_EXTRACT_UNDATED: return "extract-undated";
  case RGS_DOCNOTE_EXTRACT_TOO_OLD: return "extract-too-old";
  case RGS_DOCNOTE_EXTRACT_EXPIRES: return "extract-expires";
  case RGS_DOCNOTE_ID_UNDATED: return "id-undated";
  case RGS_DOCNOTE_ID_EXPIRED_F2F: return "id-expired-f2f";
  case RGS_DOCNOTE_ID_EXPIRED: return "id-expired";
  }
  return "?";
}

static void docs_json(const order_view *v, const rgs_order_docnote *notes, size_t n)
{
  const char *const *addr = rgs_order_postal_address();
  char text[512];
  size_t i;
  rgs_json j;

  rgs_json_start(&j, stdout);
  rgs_json_object(&j, NULL);
  rgs_json_str(&j, "command", "order docs");
  rgs_json_bool(&j, "ok", 1);
  rgs_json_int(&j, "order", v->o.id);
  rgs_json_int(&j, "order_id", v->o.id);
  rgs_json_str(&j, "status", rgs_order_status_name(v->o.status));
  rgs_json_array(&j, "postal_address");
  for (i = 0; addr[i] != NULL; i++)
    rgs_json_str(&j, NULL, addr[i]);
  rgs_json_end(&j);
  json_docs(&j, v->docs);
  rgs_json_str(&j, "planned_sending", v->o.planned_sending[0] != '\0' ? v->o.planned_sending : NULL);
  rgs_json_array(&j, "notes");
  for (i = 0; i < n; i++) {
    rgs_docnote_text(&notes[i], text, sizeof(text));
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "document", rgs_order_doc_kind_name(notes[i].kind));
    rgs_json_str(&j, "code", docnote_code(notes[i].code));
    rgs_json_str(&j, "text", text);
    rgs_json_str(&j, "date", notes[i].date[0] != '\0' ? notes[i].date : NULL);
    rgs_json_end(&j);
  }
  rgs_json_end(&j);
  rgs_json_finish(&j);
}

/* Print the documents and what is wrong with them (as planned, or today). */
static void print_docs(const rgs_io *io, const order_view *v)
{
  rgs_order_docnote notes[RGS_DOC_COUNT + 4];
  char today[11];
  size_t n;

  rgs_order_date_of(rgs_now(), today, sizeof(today));
  /* Once the originals are posted, the rules have been applied. */
  n = v->o.status >= RGS_STATUS_DOCS_SENT
          ? 0
          : rgs_order_docs_check(v->docs, today, v->o.planned_sending, 0,
                                 v->has_a ? v->a.at : "", notes, RGS_ARRAY_LEN(notes));
  if (n > RGS_ARRAY_LEN(notes))
    n = RGS_ARRAY_LEN(notes);
  if (io->json)
    docs_json(v, notes, n);
  else
    docs_text(v, notes, n);
}

static int order_docs(rgs_io *io, int argc, char **argv)
{
  rgs_order_store *st = NULL;
  docs_args a;
  order_view v;
  long long id;
  int ret;
  rgs_order_rc rc = RGS_ORDER_OK;

  memset(&a, 0, sizeof(a));
  ret = parse_docs_args(io, argc, argv, &a);
  if (ret != RGS_EXIT_OK || a.help)
    return ret;
  if (optind + 1 != argc)
    return rgs_usage_error(io, "order docs", "%s", _("one order number is expected"));
  ret = rgs_parse_order_id(io, "order docs", argv[optind], &id);
  if (ret == RGS_EXIT_OK)
    ret = rgs_store_open_for(io, "order docs", id, &st);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (a.set || a.planned != NULL || a.sent != NULL)
    rc = apply_docs(st, id, &a);
  if (rc == RGS_ORDER_OK)
    rc = load_view(st, id, &v);
  else
    memset(&v, 0, sizeof(v));
  if (rc != RGS_ORDER_OK)
    ret = rgs_fail_store(io, "order docs", rc, st);
  else
    print_docs(io, &v);
  if (rc == RGS_ORDER_OK && a.sent != NULL && !io->json)
    printf(_("Order %lld is now %s (%s).\n"), id, rgs_order_status_word(v.o.status),
           rgs_order_status_label(v.o.status));
  free_view(&v);
  rgs_order_store_close(st);
  return ret;
}

/* ---- dispatch ------------------------------------------------------------------------ */

static const cli_command subs[] = {
  { "new", order_new, N_("record an order placed on the Certigna portal") },
  { "set", order_set, N_("change an order, record a step done elsewhere") },
  { "show", order_show, N_("everything recorded of an order") },
  { "list", order_list, N_("list the orders (by département, status, company)") },
  { "cancel", order_cancel, N_("cancel an order") },
  { "link", order_link, N_("bind a certificate request (and its key) to an order") },
  { "docs", order_docs, N_("the four originals to post, their state and dates") },
  { "export", cli_order_export_entry, N_("the signed dossier to hand to the AED") },
  { "import", cli_order_import_entry, N_("on the AED's laptop: record the holder's dossier") },
  { "qr", cli_order_qr_entry, N_("the dossier's short form as a QR code, for the paper file") },
  { "check-qr", cli_order_check_qr_entry, N_("at the face-to-face: the token brought against the paper's QR code") },
};

int cli_cmd_order(rgs_io *io, int argc, char **argv)
{
  return cli_dispatch(io, "order", subs, RGS_ARRAY_LEN(subs), argc, argv);
}
