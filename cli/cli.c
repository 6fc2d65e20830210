/* SPDX-License-Identifier: BSD-3-Clause */
/* io.c - dispatch of the commands made of subcommands. */
#include <string.h>
#include "cli.h"

static void sub_usage(FILE *out, const char *group, const cli_command *subs, size_t n)
{
  size_t i;

  fprintf(out, _("Usage: rgs-enroll %s COMMAND ...\nCommands:\n"), group);
  for (i = 0; i < n; i++)
    fprintf(out, "  %-8s %s\n", subs[i].name, _(subs[i].summary));
  fprintf(out, _("'rgs-enroll %s COMMAND --help' describes each one.\n"), group);
}

int cli_dispatch(rgs_io *io, const char *group, const cli_command *subs, size_t n,
                 int argc, char **argv)
{
  size_t i;

  if (argc < 2) {
    if (io->json)   /* the --json contract: a document for every failure */
      rgs_fail_code(io, group, RGS_EXIT_USAGE, "usage", _("a subcommand is needed"), NULL, NULL);
    sub_usage(stderr, group, subs, n);
    return RGS_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    sub_usage(stdout, group, subs, n);
    return RGS_EXIT_OK;
  }
  for (i = 0; i < n; i++) {
    if (strcmp(subs[i].name, argv[1]) == 0) {
      optind = 0;        /* the subcommand parses its own options afresh */
      return subs[i].run(io, argc - 1, argv + 1);
    }
  }
  {
    char msg[256];

    /* Same line on stderr as before; under --json, the error document. */
    snprintf(msg, sizeof(msg), _("unknown %s command '%s'"), group, argv[1]);
    rgs_fail_code(io, group, RGS_EXIT_USAGE, "usage", msg, NULL, NULL);
  }
  sub_usage(stderr, group, subs, n);
  return RGS_EXIT_USAGE;
}

/* ---- paths ----------------------------------------------------------- */

/* Directory of the running binary, so that a build tree works unchanged. */
