/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_aed.c - rgs-enroll aed: the AED offices (the huissiers who hold the
 * face-to-face), the fee estimate and the appointment. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "orders.h"

static int parse_distance(const rgs_io *io, const char *command, const char *arg, int *km)
{
  long v;

  if (!rgs_parse_number(arg, 0, 2000, &v))
    return rgs_usage_error(io, command, _("--distance-km needs a whole number of km from 0 to 2000, not '%s'"), arg);
  *km = (int)v;
  return RGS_EXIT_OK;
}

static int parse_mode(const rgs_io *io, const char *command, const char *arg,
                      rgs_order_f2f_mode *mode)
{
  char err[256];

  if (rgs_order_mode_parse(arg, mode, err, sizeof(err)) != RGS_ORDER_OK)
    return rgs_usage_error(io, command, "--mode: %s", err);
  return RGS_EXIT_OK;
}

/* ---- aed list ---------------------------------------------------------------- */

/* Where an office was read: the shipped directory is named relative to the
 * data directory ("shipped:aed/offices.csv:22"), never by the path of the
 * build tree or of the installation; an imported file keeps the path it
 * was imported from. */
static void json_office_source(rgs_json *j, const rgs_order_aed *a)
{
  const char *dd = rgs_datadir();
  size_t n = strlen(dd);
  char buf[sizeof(a->source) + 16];
  int shipped = n > 0 && strncmp(a->source, dd, n) == 0 && a->source[n] == '/';

  if (shipped)
    snprintf(buf, sizeof(buf), "shipped:%s", a->source + n + 1);
  rgs_json_str(j, "source", shipped ? buf : a->source);
  rgs_json_str(j, "source_origin", shipped ? "shipped" : "imported");
}

static void json_office(rgs_json *j, const rgs_order_aed *a)
{
  rgs_json_object(j, NULL);
  rgs_json_str(j, "id", a->id);
  rgs_json_str(j, "name", a->name);
  rgs_json_str(j, "address", a->address);
  rgs_json_str(j, "postal_code", a->postal_code);
  rgs_json_str(j, "city", a->city);
  rgs_json_str(j, "dept", a->dept);
  rgs_json_str(j, "phone", a->phone[0] != '\0' ? a->phone : NULL);
  rgs_json_str(j, "email", a->email[0] != '\0' ? a->email : NULL);
  rgs_json_str(j, "depts", a->served[0] != '\0' ? a->served : NULL);
  json_office_source(j, a);
  rgs_json_end(j);
}

static void text_office(const rgs_order_aed *a)
{
  printf("%-40s %s\n%-40s %s, %s %s (%s)", a->id, a->name, "", a->address, a->postal_code, a->city,
         a->dept);
  if (a->phone[0] != '\0')
    printf(", %s", a->phone);
  if (a->email[0] != '\0')
    printf(", %s", a->email);
  if (a->served[0] != '\0')
    printf(_(", also serves %s"), a->served);
  printf("\n");
}

/* Offices of dept, those at postal_code (may be NULL) first. */
static size_t print_offices(const rgs_io *io, const rgs_order_aed_dir *dir, const char *dept,
                            const char *postal_code, rgs_json *j)
{
  size_t i, n = 0;
  int pass;

  for (pass = postal_code != NULL ? 0 : 1; pass < 2; pass++) {
    for (i = 0; i < rgs_order_aed_dir_count(dir); i++) {
      const rgs_order_aed *a = rgs_order_aed_dir_get(dir, i);
      int here = postal_code != NULL && strcmp(a->postal_code, postal_code) == 0;
      if ((dept != NULL && !rgs_order_aed_serves(a, dept)) || (pass == 0 && !here) ||
          (pass == 1 && postal_code != NULL && here))
        continue;
      if (io->json)
        json_office(j, a);
      else
        text_office(a);
      n++;
    }
  }
  return n;
}

static int aed_list(rgs_io *io, int argc, char **argv)
{
  static const struct option opts[] = {
    { "dept", required_argument, NULL, 'd' },
    { "postal-code", required_argument, NULL, 'p' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *pc = NULL, *dept_arg = NULL;
  rgs_order_store *st = NULL;
  rgs_order_aed_dir *dir = NULL;
  char dept[4], err[256];
  size_t n;
  int c, ret;
  rgs_json j;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'd': dept_arg = optarg; break;
    case 'p': pc = optarg; break;
    case 'h':
      printf("%s\n", _("Usage: rgs-enroll aed list [--dept NN | --postal-code NNNNN]\n"
                       "The AED offices (huissiers) that hold the face-to-face, from the directory\n"
                       "shipped with rgs-enroll and the files imported with aed import, with the\n"
                       "other départements each office serves. With --dept, the offices of that\n"
                       "département and those that serve it. With --postal-code, the offices of its\n"
                       "département, those of the same town first. The shipped directory holds only\n"
                       "offices of the Bouches-du-Rhône (13): for another département, import a CSV\n"
                       "file of its offices (see aed import --help), taken from the commissaires de\n"
                       "justice directory."));
      return RGS_EXIT_OK;
    default: return rgs_usage_error(io, "aed list", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind < argc)
    return rgs_usage_error(io, "aed list", _("unexpected argument '%s'"), argv[optind]);
  if (dept_arg != NULL && pc != NULL)
    return rgs_usage_error(io, "aed list", "%s", _("--dept and --postal-code exclude each other"));
  if (dept_arg != NULL && rgs_order_dept_parse(dept_arg, dept, sizeof(dept), err, sizeof(err)) != RGS_ORDER_OK)
    return rgs_usage_error(io, "aed list", "--dept: %s", err);
  if (pc != NULL && rgs_order_dept_of_postal_code(pc, dept, sizeof(dept)) != RGS_ORDER_OK)
    return rgs_usage_error(io, "aed list", _("--postal-code: '%s' is not a French postal code (5 digits)"), pc);
  ret = rgs_store_open_read(io, "aed list", &st);
  if (ret == RGS_EXIT_OK)
    ret = rgs_store_aed_directory(io, st, dept_arg != NULL || pc != NULL ? dept : NULL, &dir,
                                  "aed list");
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "aed list");
    rgs_json_bool(&j, "ok", 1);
    rgs_json_str(&j, "dept", dept_arg != NULL || pc != NULL ? dept : NULL);
    rgs_json_array(&j, "offices");
  }
  n = print_offices(io, dir, dept_arg != NULL || pc != NULL ? dept : NULL, pc, &j);
  if (io->json) {
    rgs_json_end(&j);
    rgs_json_int(&j, "count", (long long)n);
    rgs_json_finish(&j);
  } else if (n == 0) {
    printf(_("No AED office for département %s in the directory: call Certigna (03 20 79 24 09), or import a directory file (rgs-enroll aed import).\n"),
           dept_arg != NULL || pc != NULL ? dept : "-");
  }
  if (!io->json && dept_arg == NULL && pc == NULL)
    printf("%s\n", _("These are the offices of the directory in use. For the offices of another\n"
                     "département, import a CSV file of them (rgs-enroll aed import FILE; the format\n"
                     "is in aed import --help), taken from the commissaires de justice directory.\n"
                     "Then: rgs-enroll aed list --dept NN."));

cleanup:
  rgs_order_aed_dir_free(dir);
  rgs_order_store_close(st);
  return ret;
}

/* ---- aed quote ------------------------------------------------------------------ */

static const char *mode_words(rgs_order_f2f_mode m)
{
  return m == RGS_F2F_HOLDER_TRAVELS ? _("the holder goes to the AED") : _("the AED travels");
}

static const char *taxes_note(void)
{
  return _("The AED may add the taxes of its profession. Ask the AED for a precise quote.");
}

static void quote_text(const rgs_order_quote *q)
{
  char ht[32], vat[32], ttc[32];

  if (!q->priced) {
    printf(_("Estimated AED fee (%s, %d km): none beyond %d km: contact the AED for a quote.\n"),
           mode_words(q->mode), q->distance_km, RGS_ORDER_AED_RADIUS_KM);
  } else {
    rgs_format_euros(q->ht_cents, ht, sizeof(ht));
    rgs_format_euros(q->vat_cents, vat, sizeof(vat));
    rgs_format_euros(q->ttc_cents, ttc, sizeof(ttc));
    if (q->mode == RGS_F2F_AED_TRAVELS)
      printf(_("Estimated AED fee (%s, %d km): %s HT, VAT %d %% %s, %s TTC.\n"), mode_words(q->mode),
             q->distance_km, ht, RGS_ORDER_VAT_PERCENT, vat, ttc);
    else
      printf(_("Estimated AED fee (%s): %s HT, VAT %d %% %s, %s TTC.\n"), mode_words(q->mode), ht,
             RGS_ORDER_VAT_PERCENT, vat, ttc);
  }
  printf("%s\n", taxes_note());
}

static void quote_json(rgs_json *j, const char *key, const rgs_order_quote *q)
{
  rgs_json_object(j, key);
  rgs_json_str(j, "mode", rgs_order_mode_name(q->mode));
  if (q->distance_km >= 0)
    rgs_json_int(j, "distance_km", q->distance_km);
  else
    rgs_json_str(j, "distance_km", NULL);
  rgs_json_bool(j, "priced", q->priced);
  if (q->priced) {
    rgs_json_int(j, "ht_cents", q->ht_cents);
    rgs_json_int(j, "vat_cents", q->vat_cents);
    rgs_json_int(j, "ttc_cents", q->ttc_cents);
  } else {
    rgs_json_str(j, "ht_cents", NULL);
    rgs_json_str(j, "vat_cents", NULL);
    rgs_json_str(j, "ttc_cents", NULL);
  }
  rgs_json_int(j, "vat_percent", RGS_ORDER_VAT_PERCENT);
  rgs_json_str(j, "note", taxes_note());
  rgs_json_end(j);
}

static int aed_quote(rgs_io *io, int argc, char **argv)
{
  static const struct option opts[] = {
    { "mode", required_argument, NULL, 'm' },
    { "distance-km", required_argument, NULL, 'k' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  rgs_order_f2f_mode mode = RGS_F2F_HOLDER_TRAVELS;
  rgs_order_quote q;
  int c, ret, km = -1, mode_set = 0;
  rgs_json j;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'm':
      ret = parse_mode(io, "aed quote", optarg, &mode);
      if (ret != RGS_EXIT_OK)
        return ret;
      mode_set = 1;
      break;
    case 'k':
      ret = parse_distance(io, "aed quote", optarg, &km);
      if (ret != RGS_EXIT_OK)
        return ret;
      break;
    case 'h':
      printf("%s\n", _("Usage: rgs-enroll aed quote --mode holder-travels|aed-travels [--distance-km N]\n"
                       "The estimated fee of the face-to-face: 50 € HT when the holder goes to the\n"
                       "AED, 170 € HT when the AED travels within 30 km, no estimate beyond (ask the\n"
                       "AED). Amounts HT and TTC (VAT 20 %); the AED may add the taxes of its\n"
                       "profession."));
      return RGS_EXIT_OK;
    default: return rgs_usage_error(io, "aed quote", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind < argc)
    return rgs_usage_error(io, "aed quote", _("unexpected argument '%s'"), argv[optind]);
  if (!mode_set)
    return rgs_usage_error(io, "aed quote", "%s", _("--mode holder-travels or --mode aed-travels is required"));
  if (mode == RGS_F2F_AED_TRAVELS && km < 0)
    return rgs_usage_error(io, "aed quote", "%s", _("when the AED travels, give the distance: --distance-km N"));
  if (rgs_order_aed_quote(mode, km, &q) != RGS_ORDER_OK)
    return rgs_fail_order(io, "aed quote", RGS_ORDER_ERR_DISTANCE, NULL);
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "aed quote");
    rgs_json_bool(&j, "ok", 1);
    quote_json(&j, "quote", &q);
    rgs_json_finish(&j);
  } else {
    quote_text(&q);
  }
  return RGS_EXIT_OK;
}

/* ---- aed book -------------------------------------------------------------------- */

typedef struct {
  const char *aed, *date;
  rgs_order_f2f_mode mode;
  int mode_set, km, force;
  long long id;
  int help;                    /* --help printed the usage: nothing else to do */
  char when[17];               /* --date as typed (20/12/2026 10h00), in ISO form */
} book_args;

/* A date the AED's office cannot take: a refused value, exit 2 like a
 * usage error, with a code of its own so that a front end tells the
 * refusals apart (appt-past, appt-closed-day, appt-outside-hours). */
static int refuse_date(const rgs_io *io, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse_date(const rgs_io *io, const char *code, const char *fmt, ...)
{
  char msg[512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  return rgs_fail_code(io, "aed book", RGS_EXIT_USAGE, code, msg, NULL, NULL);
}

static int check_date(const rgs_io *io, const char *at)
{
  char when[128];

  rgs_appt_when(at, 0, when, sizeof(when));
  switch (rgs_order_appt_check(at, rgs_now())) {
  case RGS_APPT_OK: return RGS_EXIT_OK;
  case RGS_APPT_BAD_DATE:
    return rgs_usage_error(io, "aed book", _("--date: '%s' is not a day and time YYYY-MM-DDTHH:MM"), at);
  case RGS_APPT_PAST:
    return refuse_date(io, "appt-past", _("--date: %s is in the past; --force to record it anyway"), when);
  case RGS_APPT_CLOSED_DAY:
    return refuse_date(io, "appt-closed-day", _("--date: %s is a Sunday or a public holiday (office hours: %s); --force if the AED agreed"),
                       when, rgs_order_appt_hours_text());
  case RGS_APPT_OUTSIDE_HOURS:
    return refuse_date(io, "appt-outside-hours", _("--date: %s is outside office hours (%s); --force if the AED agreed"),
                       when, rgs_order_appt_hours_text());
  }
  return RGS_EXIT_USAGE;
}

static int parse_book_args(rgs_io *io, int argc, char **argv, book_args *a)
{
  static const struct option opts[] = {
    { "aed", required_argument, NULL, 'a' },
    { "date", required_argument, NULL, 'd' },
    { "mode", required_argument, NULL, 'm' },
    { "distance-km", required_argument, NULL, 'k' },
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  rgsx_date_rc drc;
  int c, ret;

  a->km = -1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    ret = RGS_EXIT_OK;
    switch (c) {
    case 'a': a->aed = optarg; break;
    case 'd': a->date = optarg; break;
    case 'm': ret = parse_mode(io, "aed book", optarg, &a->mode); a->mode_set = 1; break;
    case 'k': ret = parse_distance(io, "aed book", optarg, &a->km); break;
    case 'f': a->force = 1; break;
    case 'h':
      printf("%s\n", _("Usage: rgs-enroll aed book ID [--aed AED_ID] --date DATE\n"
                       "         --mode holder-travels|aed-travels [--distance-km N] [--force]\n"
                       "Record the face-to-face appointment of order ID with an AED office (by\n"
                       "default the one chosen with the order) and its estimated fee. DATE is a day\n"
                       "and a time, French time (Europe/Paris): 20/12/2026 10h00, 20/12/2026 10:00\n"
                       "or 2026-12-20T10:00. A date in the past, on a Sunday or a public\n"
                       "holiday, or outside office hours (Monday to Friday 08:00-19:00, Saturday\n"
                       "09:00-12:00) is refused unless --force (the AED agreed to it). Booking\n"
                       "again keeps the former date in the order's history."));
      a->help = 1;
      return RGS_EXIT_OK;
    default: return rgs_usage_error(io, "aed book", _("unknown option '%s'"), argv[optind - 1]);
    }
    if (ret != RGS_EXIT_OK)
      return ret;
  }
  if (optind + 1 != argc)
    return rgs_usage_error(io, "aed book", "%s", _("one order number is expected"));
  ret = rgs_parse_order_id(io, "aed book", argv[optind], &a->id);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (a->date == NULL || !a->mode_set)
    return rgs_usage_error(io, "aed book", "%s", _("--date and --mode are required"));
  drc = rgsx_date_input(a->date, RGSX_DATE_WANT_TIME, a->when, sizeof(a->when));
  if (drc != RGSX_DATE_OK)
    return rgs_usage_error(io, "aed book", "%s '%s': %s", "--date", a->date, rgsx_date_strerror(drc));
  a->date = a->when;
  if (a->mode == RGS_F2F_AED_TRAVELS && a->km < 0)
    return rgs_usage_error(io, "aed book", "%s", _("when the AED travels, give the distance: --distance-km N"));
  return a->force ? RGS_EXIT_OK : check_date(io, a->date);
}

/* Warn of what the appointment date tells about the documents. */
static void book_warnings(const rgs_io *io, rgs_order_store *st, long long id, const char *at)
{
  rgs_order_docnote notes[RGS_DOC_COUNT + 4];
  rgs_order_doc docs[RGS_DOC_COUNT];
  char today[11], text[512], when[128];
  size_t n, i;

  rgs_order_date_of(rgs_now(), today, sizeof(today));
  if (strncmp(at, today, 10) < 0)
    rgs_warn(io, _("the appointment (%s) is in the past"), rgs_appt_when(at, 0, when, sizeof(when)));
  if (rgs_order_docs_get(st, id, docs) != RGS_ORDER_OK)
    return;
  n = rgs_order_docs_check(docs, today, "", 0, at, notes, RGS_ARRAY_LEN(notes));
  for (i = 0; i < n && i < RGS_ARRAY_LEN(notes); i++) {
    if (notes[i].code != RGS_DOCNOTE_ID_EXPIRED_F2F && notes[i].code != RGS_DOCNOTE_ID_EXPIRED)
      continue;
    rgs_docnote_text(&notes[i], text, sizeof(text));
    rgs_warn(io, "%s", text);
  }
}

static int report_book(const rgs_io *io, rgs_order_store *st, long long id)
{
  rgs_order_appointment a;
  rgs_order_quote q;
  char local[32], when[128];
  int found = 0;
  rgs_order_rc rc = rgs_order_appointment_get(st, id, &a, &found);
  rgs_json j;

  if (rc != RGS_ORDER_OK || !found)
    return rgs_fail_store(io, "aed book", rc != RGS_ORDER_OK ? rc : RGS_ORDER_ERR_STORE, st);
  rgs_order_aed_quote(a.mode, a.distance_km, &q);
  if (!rgs_order_appt_iso(a.at, local, sizeof(local)))
    snprintf(local, sizeof(local), "%s", a.at);
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "aed book");
    rgs_json_bool(&j, "ok", 1);
    rgs_json_int(&j, "order", id);
    rgs_json_int(&j, "order_id", id);
    /* Both with the offset: "at" had none before (contract change). */
    rgs_json_str(&j, "at", local);
    rgs_json_str(&j, "start", local);
    rgs_json_str(&j, "tz", RGS_ORDER_APPT_TZ);
    rgs_json_object(&j, "aed");
    rgs_json_str(&j, "id", a.aed.id);
    rgs_json_str(&j, "name", a.aed.name);
    rgs_json_str(&j, "address", a.aed.address);
    rgs_json_str(&j, "postal_code", a.aed.postal_code);
    rgs_json_str(&j, "city", a.aed.city);
    rgs_json_str(&j, "dept", a.aed.dept);
    rgs_json_str(&j, "phone", a.aed.phone[0] != '\0' ? a.aed.phone : NULL);
    rgs_json_str(&j, "email", a.aed.email[0] != '\0' ? a.aed.email : NULL);
    rgs_json_end(&j);
    quote_json(&j, "quote", &q);
    rgs_json_finish(&j);
  } else {
    printf(_("Face-to-face of order %lld booked on %s (French time) with %s, %s, %s %s.\n"), id,
           rgs_appt_when(a.at, 0, when, sizeof(when)),
           a.aed.name, a.aed.address, a.aed.postal_code, a.aed.city);
    quote_text(&q);
    printf("%s\n", _("Bring the token, a valid identity document and the face-to-face intervention form."));
  }
  book_warnings(io, st, id, a.at);
  return RGS_EXIT_OK;
}

static int aed_book(rgs_io *io, int argc, char **argv)
{
  rgs_order_store *st = NULL;
  rgs_order_aed office;
  book_args a;
  int ret;
  rgs_order_rc rc;

  memset(&a, 0, sizeof(a));
  ret = parse_book_args(io, argc, argv, &a);
  if (ret != RGS_EXIT_OK || a.help)
    return ret;
  ret = rgs_store_open_for(io, "aed book", a.id, &st);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (a.aed != NULL)
    ret = rgs_store_find_aed(io, st, a.aed, &office, "aed book");
  if (ret == RGS_EXIT_OK) {
    rc = rgs_order_book(st, a.id, a.aed != NULL ? &office : NULL, a.date, a.mode, a.km);
    ret = rc == RGS_ORDER_OK ? report_book(io, st, a.id) : rgs_fail_store(io, "aed book", rc, st);
  }
  rgs_order_store_close(st);
  return ret;
}

/* ---- aed import ------------------------------------------------------------------- */

static int aed_import(rgs_io *io, int argc, char **argv)
{
  static const struct option opts[] = {
    { "replace", no_argument, NULL, 'r' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  rgs_order_aed_dir *dir = NULL;
  rgs_order_store *st = NULL;
  char err[1024];
  int c, ret, replace = 0;
  rgs_order_rc rc;
  rgs_json j;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'r': replace = 1; break;
    case 'h':
      printf("%s\n", _("Usage: rgs-enroll aed import FILE [--replace]\n"
                       "Check a directory file and add its offices to the directory in use (an\n"
                       "office with the same id is replaced). With --replace, its offices replace\n"
                       "the shipped directory and every earlier import. A bad line is named\n"
                       "(FILE:LINE) and nothing is imported.\n"
                       "Format: CSV (RFC 4180), UTF-8, a header line naming the columns, then one\n"
                       "office per line; lines starting with # are ignored. Columns:\n"
                       "  id           lower-case letters, digits, '-' (appointments refer to it)\n"
                       "  name, address, city\n"
                       "  postal_code  5 digits, in the office's département\n"
                       "  department   01-95, 2A, 2B, 971-976\n"
                       "  phone        optional, e.g. 04 90 00 00 00\n"
                       "  email        optional\n"
                       "  depts        optional: the other départements it serves, e.g. 84;30\n"
                       "Example:\n"
                       "  id,name,address,postal_code,city,department,phone,email,depts\n"
                       "  dupont-avignon,SCP Dupont,1 rue Carnot,84000,AVIGNON,84,04 90 00 00 00,,13;30\n"
                       "The offices of every département are in the commissaires de justice\n"
                       "directory."));
      return RGS_EXIT_OK;
    default: return rgs_usage_error(io, "aed import", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind + 1 != argc)
    return rgs_usage_error(io, "aed import", "%s", _("one directory file is expected"));
  rc = rgs_order_aed_dir_load(&dir, argv[optind], err, sizeof(err));
  if (rc != RGS_ORDER_OK)
    return rgs_fail_order(io, "aed import", rc, err);
  ret = rgs_store_open(io, "aed import", 1, &st);
  if (ret == RGS_EXIT_OK) {
    rc = rgs_order_aed_import(st, dir, replace);
    if (rc != RGS_ORDER_OK)
      ret = rgs_fail_store(io, "aed import", rc, st);
  }
  if (ret == RGS_EXIT_OK && io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "aed import");
    rgs_json_bool(&j, "ok", 1);
    rgs_json_str(&j, "file", argv[optind]);
    rgs_json_int(&j, "offices", (long long)rgs_order_aed_dir_count(dir));
    rgs_json_bool(&j, "replace", replace);
    rgs_json_finish(&j);
  } else if (ret == RGS_EXIT_OK) {
    printf(replace ? _("%zu AED offices imported from %s; they replace the shipped directory.\n")
                   : _("%zu AED offices imported from %s.\n"),
           rgs_order_aed_dir_count(dir), argv[optind]);
  }
  rgs_order_store_close(st);
  rgs_order_aed_dir_free(dir);
  return ret;
}

/* ---- dispatch ----------------------------------------------------------------------- */

static const cli_command subs[] = {
  { "list", aed_list, N_("the AED offices of a département or near a postal code") },
  { "quote", aed_quote, N_("the estimated fee of the face-to-face, HT and TTC") },
  { "book", aed_book, N_("record the face-to-face appointment of an order") },
  { "import", aed_import, N_("add (or replace) AED offices from a CSV directory file") },
};

int cli_cmd_aed(rgs_io *io, int argc, char **argv)
{
  return cli_dispatch(io, "aed", subs, RGS_ARRAY_LEN(subs), argc, argv);
}
