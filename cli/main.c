/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c - rgs-enroll: set up, parse the global options, dispatch, clean up. */
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/asn1.h>
#include "commands.h"
#include "progress.h"
#include "rgs_locale.h"

static void usage(FILE *out, const char *prog)
{
  size_t i;

  fprintf(out, _("Usage: %s [--module PATH|NAME] [--token URI] [--db PATH] [--json]\n"
                 "       [--pin-file PATH | --pin-fd N] [--policy FILE] [--aed-trust FILE]\n"
                 "       [--final-try] [--progress-fd N] COMMAND ...\n\n"),
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
    "  --progress-fd N  write progress events of long steps (key generation,\n"
    "                   waits) to file descriptor N, one JSON object per line\n"
    "PINs are never taken from the command line. See rgs-enroll(1)."));
  fprintf(out, "%s\n", _("Global options may also follow the command and its subcommand, spelt out\n"
                          "in full; write OPTION=VALUE for a command's value that starts with two dashes."));
}

static int parse_global(rgs_io *io, int argc, char **argv)
{
  int c, ret;

  opterr = 0;
  /* "+": stop at the command name; the command parses the rest. */
  while ((c = getopt_long(argc, argv, "+", cli_global_options, NULL)) != -1) {
    switch (c) {
    case CLI_G_HELP: usage(stdout, io->prog); exit(RGS_EXIT_OK);
    case CLI_G_VERSION: printf("rgs-enroll %s\n", RGS_VERSION); exit(RGS_EXIT_OK);
    case '?':
    case ':':
      rgs_err(io, _("unknown global option '%s'"), argv[optind - 1]);
      usage(stderr, io->prog);
      return RGS_EXIT_USAGE;
    default:
      ret = cli_global_set(io, NULL, c, optarg);
      if (ret != RGS_EXIT_OK)
        return ret;
    }
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
  char **cmd_argv = NULL;
  int cmd_argc = 0, ret;

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
    goto cleanup;
  ret = RGS_EXIT_USAGE;
  if (optind >= argc) {
    usage(stderr, io.prog);
    goto cleanup;
  }
  cmd = find_command(argv[optind]);
  if (cmd == NULL) {
    char msg[256];

    /* A client under --json gets its document too, not only a usage text. */
    snprintf(msg, sizeof(msg), _("unknown command '%s'"), argv[optind]);
    rgs_fail_code(&io, argv[optind], RGS_EXIT_USAGE, "unknown-command", msg, NULL, NULL);
    usage(stderr, io.prog);
    goto cleanup;
  }
  /* Global options after the command too; the command parses the rest. */
  ret = cli_global_after(&io, argc - optind, argv + optind, &cmd_argc, &cmd_argv);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  optind = 0;      /* 0: getopt re-initialises for the command's own options */
  ret = cmd->run(&io, cmd_argc, cmd_argv);

cleanup:
  free(cmd_argv);
  rgs_progress_free(io.progress);
  return ret;
}
