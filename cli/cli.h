/* SPDX-License-Identifier: BSD-3-Clause */
/* io.h - the rgs-enroll command line: the dispatch table's entries, the
 * subcommand groups, and the options several commands parse alike. The
 * workflows below know nothing of it (flow.h). */
#ifndef RGS_CLI_H
#define RGS_CLI_H

#include <getopt.h>
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

/* The global options (rgs-enroll --help), one table for both places they
 * may stand: before the command (main's getopt_long) and after the command
 * or its subcommand (cli_global_after). A global option added here works in
 * both. --help and --version are global before the command only. */
enum {
  CLI_G_MODULE = 256, CLI_G_TOKEN, CLI_G_DB, CLI_G_JSON, CLI_G_PIN_FILE, CLI_G_PIN_FD,
  CLI_G_POLICY, CLI_G_FINAL_TRY, CLI_G_AED_TRUST, CLI_G_HELP, CLI_G_VERSION,
  CLI_G_PROGRESS_FD, CLI_G_DETAILS
};
extern const struct option cli_global_options[];

/* Store global option `code` (CLI_G_*, not help or version) with its value
 * arg (NULL for a flag) in io; command names the command in a usage error
 * (NULL: before any command). 0, or the usage error's exit status. */
int cli_global_set(rgs_io *io, const char *command, int code, const char *arg);

/* The command's argv (argv[0] its name) with the global options that follow
 * it taken out and stored in io: only their exact names (--pin-file F or
 * --pin-file=F), never after "--", so no subcommand option nor an
 * abbreviation of one is taken for a global one. *out_argv (free it with
 * free(); its strings are argv's) gets the rest, NULL-terminated, and
 * *out_argc their number. 0, or the usage error's exit status (then
 * *out_argv is NULL). */
int cli_global_after(rgs_io *io, int argc, char **argv, int *out_argc, char ***out_argv);

/* After every global option is read: the rules that join several of them
 * (one PIN source). 0, or the usage error's exit status. */
int cli_global_check(const rgs_io *io, const char *command);

/* The default name of a file made for one order, so that two orders never
 * share it: PREFIX-order-ID-REF SUFFIX, REF the order's CA reference kept
 * to letters, digits, '.', '_' and '-' (other runs become one '-', at most
 * 40 characters; left out when empty). 1, or 0 when it does not fit len. */
int cli_order_file_name(char *buf, size_t len, const char *prefix, long long id,
                        const char *ca_ref, const char *suffix);

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
