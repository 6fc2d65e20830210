/* main.c - rgs-enroll: set up, parse the global options, dispatch, clean up. */
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/asn1.h>
#include "commands.h"
#include "rgs_locale.h"

enum { OPT_MODULE = 256, OPT_TOKEN, OPT_DB, OPT_JSON, OPT_PIN_FILE, OPT_PIN_FD, OPT_POLICY,
       OPT_FINAL_TRY, OPT_HELP, OPT_VERSION, OPT_AED_TRUST };

static const struct option global_options[] = {
  { "module", required_argument, NULL, OPT_MODULE },
  { "token", required_argument, NULL, OPT_TOKEN },
  { "db", required_argument, NULL, OPT_DB },
  { "json", no_argument, NULL, OPT_JSON },
  { "pin-file", required_argument, NULL, OPT_PIN_FILE },
  { "pin-fd", required_argument, NULL, OPT_PIN_FD },
  { "policy", required_argument, NULL, OPT_POLICY },
  { "final-try", no_argument, NULL, OPT_FINAL_TRY },
  { "aed-trust", required_argument, NULL, OPT_AED_TRUST },
  { "help", no_argument, NULL, OPT_HELP },
  { "version", no_argument, NULL, OPT_VERSION },
  { NULL, 0, NULL, 0 },
};

static void usage(FILE *out, const char *prog)
{
  size_t i;

  fprintf(out, _("Usage: %s [--module PATH|NAME] [--token URI] [--db PATH] [--json]\n"
                 "       [--pin-file PATH | --pin-fd N] [--policy FILE] [--aed-trust FILE]\n"
                 "       [--final-try] COMMAND ...\n\n"),
          prog);
  fprintf(out, "%s\n", _("Commands:"));
  for (i = 0; i < cli_n_commands; i++)
    fprintf(out, "  %-10s %s\n", cli_commands[i].name, _(cli_commands[i].summary));
  fprintf(out, "\n%s\n", _("Global options:\n"
    "  --module PATH|NAME\n"
    "                   PKCS#11 module: a path, a file name in p11-kit's module\n"
    "                   directory (opensc-pkcs11.so) or a module name registered\n"
    "                   with p11-kit (softhsm2); a --token URI's module-name or\n"
    "                   module-path also selects it (default: $RGS_ENROLL_MODULE,\n"
    "                   else OpenSC's; see 'rgs-enroll tokens --all-modules')\n"
    "  --token URI      pkcs11: URI of the token (default: the one token present)\n"
    "  --db PATH        order store (default: $XDG_DATA_HOME/rgs-enroll/orders.db)\n"
    "  --json           one JSON document on standard output\n"
    "  --pin-file PATH  read the PIN from the first line of PATH\n"
    "  --pin-fd N       read the PIN from file descriptor N\n"
    "  --policy FILE    add a qualified-device policy file (repeatable)\n"
    "  --aed-trust FILE add an AED trust file: who may sign face-to-face records\n"
    "                   (repeatable)\n"
    "  --final-try      allow spending the PIN's last try (never done otherwise)\n"
    "PINs are never taken from the command line. See rgs-enroll(1)."));
}

static int parse_global(rgs_io *io, int argc, char **argv)
{
  long fd;
  int c;

  opterr = 0;
  /* "+": stop at the command name; the command parses the rest. */
  while ((c = getopt_long(argc, argv, "+", global_options, NULL)) != -1) {
    switch (c) {
    case OPT_MODULE: io->module = optarg; break;
    case OPT_TOKEN: io->token = optarg; break;
    case OPT_DB: io->db = optarg; break;
    case OPT_JSON: io->json = 1; break;
    case OPT_PIN_FILE: io->pin_file = optarg; break;
    case OPT_FINAL_TRY: io->final_try = 1; break;
    case OPT_PIN_FD:
      if (!rgs_parse_number(optarg, 0, 1 << 20, &fd)) {
        rgs_err(io, _("--pin-fd needs a file descriptor number, not '%s'"), optarg);
        return RGS_EXIT_USAGE;
      }
      io->pin_fd = (int)fd;
      break;
    case OPT_POLICY:
      if (io->n_policies >= RGS_ARRAY_LEN(io->policies)) {
        rgs_err(io, "%s", _("too many --policy files"));
        return RGS_EXIT_USAGE;
      }
      io->policies[io->n_policies++] = optarg;
      break;
    case OPT_AED_TRUST:
      if (io->n_aed_trust >= RGS_ARRAY_LEN(io->aed_trust)) {
        rgs_err(io, "%s", _("too many --aed-trust files"));
        return RGS_EXIT_USAGE;
      }
      io->aed_trust[io->n_aed_trust++] = optarg;
      break;
    case OPT_HELP: usage(stdout, io->prog); exit(RGS_EXIT_OK);
    case OPT_VERSION: printf("rgs-enroll %s\n", RGS_VERSION); exit(RGS_EXIT_OK);
    default:
      rgs_err(io, _("unknown global option '%s'"), argv[optind - 1]);
      usage(stderr, io->prog);
      return RGS_EXIT_USAGE;
    }
  }
  if (io->pin_file != NULL && io->pin_fd >= 0) {
    rgs_err(io, "%s", _("--pin-file and --pin-fd exclude each other"));
    return RGS_EXIT_USAGE;
  }
  return RGS_EXIT_OK;
}

static const cli_command *find_command(const char *name)
{
  size_t i;

  for (i = 0; i < cli_n_commands; i++)
    if (strcmp(cli_commands[i].name, name) == 0)
      return &cli_commands[i];
  return NULL;
}

int main(int argc, char **argv)
{
  rgs_io io;
  const cli_command *cmd;
  int ret;

  /* A file size limit (ulimit -f) must not kill us mid-write without a
   * word: the write fails with EFBIG instead, and is reported like a full
   * disk, the store's transaction rolled back. */
  signal(SIGXFSZ, SIG_IGN);
  setlocale(LC_ALL, "");
  rgs_locale_from_language();
  bindtextdomain(RGS_TEXTDOMAIN, rgs_localedir());
  bind_textdomain_codeset(RGS_TEXTDOMAIN, "UTF-8");
  textdomain(RGS_TEXTDOMAIN);
  /* Names with accents go into certificates as UTF8String (RFC 5280). */
  ASN1_STRING_set_default_mask_asc("utf8only");

  memset(&io, 0, sizeof(io));
  io.pin_fd = -1;
  io.prog = "rgs-enroll";
  io.argv_all = argv;
  ret = parse_global(&io, argc, argv);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (optind >= argc) {
    usage(stderr, io.prog);
    return RGS_EXIT_USAGE;
  }
  cmd = find_command(argv[optind]);
  if (cmd == NULL) {
    rgs_err(&io, _("unknown command '%s'"), argv[optind]);
    usage(stderr, io.prog);
    return RGS_EXIT_USAGE;
  }
  argc -= optind;
  argv += optind;
  optind = 0;      /* 0: getopt re-initialises for the command's own options */
  return cmd->run(&io, argc, argv);
}
