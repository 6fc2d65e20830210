/* io.h - the rgs-enroll command line: the dispatch table's entries, the
 * subcommand groups, and the options several commands parse alike. The
 * workflows below know nothing of it (flow.h). */
#ifndef RGS_CLI_H
#define RGS_CLI_H

#include "flow.h"
#include "steps.h"

typedef struct {
  const char *name;
  int (*run)(rgs_io *io, int argc, char **argv);
  const char *summary;         /* N_() text, translated when shown */
} cli_command;

/* A command made of subcommands (order, aed, f2f): run argv[1] from subs,
 * or print the list of them (stdout for --help, stderr on misuse). */
int cli_dispatch(rgs_io *io, const char *group, const cli_command *subs, size_t n,
                 int argc, char **argv);

/* --key-type, --label, --validity-years of keygen and start: 1 when c was
 * one of them (stored; *ret set on a bad value), 0 otherwise. */
int cli_keygen_opt(rgs_io *io, const char *command, rgs_keygen_opts *o, int c,
                   const char *arg, int *ret);

/* --wait-max and --timeout of submit and renew: a number of seconds in
 * [1, max]; 0, or the usage error's exit status. */
int cli_seconds_arg(const rgs_io *io, const char *command, const char *option,
                        const char *text, long max, long *out);

/* What follows the options of submit and renew: exactly one order number;
 * then, when *est is set, the URL checked and replaced by its printable form
 * (https://host[:port]/path, written to url). 0, or the usage error's exit. */
int cli_est_tail_args(const rgs_io *io, const char *command, int argc, char **argv,
                      long long *id, const char **est, char *url, size_t url_len);

#endif
