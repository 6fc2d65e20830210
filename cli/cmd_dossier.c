/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_dossier.c - rgs-enroll order export / order import: the dossier that
 * travels from the holder's machine to the AED's laptop; order qr: its
 * short form as a QR code (libqrencode); order check-qr: the token brought
 * to the face-to-face against that short form. In rgs-enroll-full
 * (it signs and verifies CMS with the face-to-face library); `order`
 * reaches it through the table's entries (commands.c), which the lean
 * rgs-enroll hands to rgs-enroll-full. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "dossier.h"
#include "orders.h"

static void usage_export(void)
{
  printf("%s\n", _("Usage: rgs-enroll order export ID --out FILE [--force]\n"
                   "Write the dossier the AED needs for the face-to-face: the order and its CA\n"
                   "reference, the holder and company, the product and validity, the certificate\n"
                   "request and its key's SPKI SHA-256, the token's serial and model, the\n"
                   "appointment. It is signed on the holder's token with the request's key (the\n"
                   "PIN is asked), so the AED knows it comes from the key to be certified.\n"
                   "  --out FILE   where to write it (DER CMS); an existing file is kept\n"
                   "  --force      replace an existing file"));
}

static void usage_import(void)
{
  printf("%s\n", _("Usage: rgs-enroll order import FILE\n"
                   "On the AED's laptop (its own --db): verify the holder's dossier (the\n"
                   "signature made with the request's key, the request's own signature, the key's\n"
                   "fingerprint) and record the order in the AED's store, bound to the key and\n"
                   "the token, ready for rgs-enroll f2f run. The same dossier twice is\n"
                   "recognised: nothing changes."));
}

/* ID [--FILE_OPT FILE] [--force] [--help], as order export and order qr
 * take them. *help set: the usage was printed. Returns the exit. */
static int id_file_args(rgs_io *io, const char *cmd, const char *file_opt, void (*usage)(void),
                        int argc, char **argv, long long *id, const char **file, int *force,
                        int *help)
{
  enum { A_FILE = 1, A_FORCE, A_HELP };
  const struct option opts[] = {
    { file_opt, required_argument, NULL, A_FILE },
    { "force", no_argument, NULL, A_FORCE },
    { "help", no_argument, NULL, A_HELP },
    { NULL, 0, NULL, 0 },
  };
  int c;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case A_FILE: *file = optarg; break;
    case A_FORCE: *force = 1; break;
    case 'h':
    case A_HELP:
      usage();
      *help = 1;
      return RGS_EXIT_OK;
    default:
      return rgs_usage_error(io, cmd, _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind + 1 != argc)
    return rgs_usage_error(io, cmd, "%s", optind >= argc ? _("the order number is missing")
                                                         : _("one order number only"));
  if (*file != NULL && (*file)[0] == '\0')
    return rgs_usage_error(io, cmd, _("--%s needs a file name"), file_opt);
  return rgs_parse_order_id(io, cmd, argv[optind], id);
}

int cli_cmd_order_export(rgs_io *io, int argc, char **argv)
{
  static const char *const cmd = "order export";
  const char *out = NULL;
  long long id = 0;
  int force = 0, help = 0;
  int ret = id_file_args(io, cmd, "out", usage_export, argc, argv, &id, &out, &force, &help);

  if (ret != RGS_EXIT_OK || help)
    return ret;
  if (out == NULL)
    return rgs_usage_error(io, cmd, "%s", _("--out FILE is needed: where to write the dossier"));
  return rgs_dossier_export(io, id, out, force);
}

int cli_cmd_order_import(rgs_io *io, int argc, char **argv)
{
  static const char *const cmd = "order import";
  static const struct option opts[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'h') {
      usage_import();
      return RGS_EXIT_OK;
    }
    return rgs_usage_error(io, cmd, _("unknown option '%s'"), argv[optind - 1]);
  }
  if (optind + 1 != argc)
    return rgs_usage_error(io, cmd, "%s", optind >= argc ? _("the dossier file is missing")
                                                         : _("one dossier file only"));
  return rgs_dossier_import(io, argv[optind]);
}

static void usage_qr(void)
{
  printf("%s\n", _("Usage: rgs-enroll order qr ID [--pdf FILE [--force]]\n"
                   "Show the short form of the order's dossier as a QR code, with its text under\n"
                   "it: the order's number and CA reference, the fingerprints of the key and of\n"
                   "the request, the token's serial and the holder's name. Printed with the\n"
                   "paper file, it lets the AED check at the face-to-face that the token holds\n"
                   "the key named there (rgs-enroll order check-qr). It is not signed: the AED\n"
                   "still needs the dossier (rgs-enroll order export) to record the order.\n"
                   "  --pdf FILE   an A4 sheet to print and keep with the fiche d'intervention\n"
                   "  --force      replace an existing file"));
}

int cli_cmd_order_qr(rgs_io *io, int argc, char **argv)
{
  static const char *const cmd = "order qr";
  const char *pdf = NULL;
  long long id = 0;
  int force = 0, help = 0;
  int ret = id_file_args(io, cmd, "pdf", usage_qr, argc, argv, &id, &pdf, &force, &help);

  if (ret != RGS_EXIT_OK || help)
    return ret;
  if (force && pdf == NULL)
    return rgs_usage_error(io, cmd, "%s", _("--force goes with --pdf FILE"));
  return rgs_dossier_qr(io, id, pdf, force);
}

static void usage_check_qr(void)
{
  printf("%s\n", _("Usage: rgs-enroll order check-qr TEXT|-\n"
                   "At the face-to-face, with the holder's token plugged in: check that the token\n"
                   "holds the key named by the dossier's short form (the text of the QR code on\n"
                   "the paper file, as a scanner reads it; - reads one line from the standard\n"
                   "input, e.g. zbarimg --raw sheet.png | rgs-enroll order check-qr -) and has\n"
                   "its serial, and that the order imported into this store with the same CA\n"
                   "reference has the same key and request. No PIN is asked.\n"
                   "Exit status 0 when all agree, 1 when not."));
}

/* One scanned line from standard input, without its end. */
static int read_scanned_line(char *buf, size_t len)
{
  if (fgets(buf, (int)len, stdin) == NULL)
    return 0;
  buf[strcspn(buf, "\r\n")] = '\0';
  return 1;
}

int cli_cmd_order_check_qr(rgs_io *io, int argc, char **argv)
{
  static const char *const cmd = "order check-qr";
  static const struct option opts[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  char line[4096];
  const char *text;
  int c;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'h') {
      usage_check_qr();
      return RGS_EXIT_OK;
    }
    return rgs_usage_error(io, cmd, _("unknown option '%s'"), argv[optind - 1]);
  }
  if (optind + 1 != argc)
    return rgs_usage_error(io, cmd, "%s", optind >= argc ? _("the text of the QR code is missing")
                                                         : _("one text only (quote it)"));
  text = argv[optind];
  if (strcmp(text, "-") == 0) {
    if (!read_scanned_line(line, sizeof(line)))
      return rgs_usage_error(io, cmd, "%s", _("nothing was read from the standard input"));
    text = line;
  }
  return rgs_dossier_check_qr(io, text);
}
