/* SPDX-License-Identifier: BSD-3-Clause */
/* commands.h - the subcommands of rgs-enroll, one file each. */
#ifndef RGS_COMMANDS_H
#define RGS_COMMANDS_H

#include "cli.h"

int cli_cmd_tokens(rgs_io *io, int argc, char **argv);
int cli_cmd_check(rgs_io *io, int argc, char **argv);
int cli_cmd_keygen(rgs_io *io, int argc, char **argv);
int cli_cmd_csr(rgs_io *io, int argc, char **argv);
int cli_cmd_start(rgs_io *io, int argc, char **argv);
int cli_cmd_order(rgs_io *io, int argc, char **argv);
int cli_cmd_aed(rgs_io *io, int argc, char **argv);
int cli_cmd_status(rgs_io *io, int argc, char **argv);
int cli_cmd_submit(rgs_io *io, int argc, char **argv);
int cli_cmd_install(rgs_io *io, int argc, char **argv);
int cli_cmd_renew(rgs_io *io, int argc, char **argv);
int cli_cmd_f2f(rgs_io *io, int argc, char **argv);
int cli_cmd_pin(rgs_io *io, int argc, char **argv);
int cli_cmd_watch(rgs_io *io, int argc, char **argv);
int cli_cmd_browsers(rgs_io *io, int argc, char **argv);
int cli_cmd_remind(rgs_io *io, int argc, char **argv);

/* order export / order import (cmd_dossier.c, rgs-enroll-full only), and
 * the entries `order` dispatches to (commands.c): the lean rgs-enroll
 * hands them to rgs-enroll-full. */
int cli_cmd_order_export(rgs_io *io, int argc, char **argv);
int cli_cmd_order_import(rgs_io *io, int argc, char **argv);
int cli_order_export_entry(rgs_io *io, int argc, char **argv);
int cli_order_import_entry(rgs_io *io, int argc, char **argv);
/* order qr (cmd_dossier.c, rgs-enroll-full only) and its entry. */
int cli_cmd_order_qr(rgs_io *io, int argc, char **argv);
int cli_order_qr_entry(rgs_io *io, int argc, char **argv);
/* order check-qr (cmd_dossier.c, rgs-enroll-full only) and its entry. */
int cli_cmd_order_check_qr(rgs_io *io, int argc, char **argv);
int cli_order_check_qr_entry(rgs_io *io, int argc, char **argv);
/* order show --qr: the short form's text and QR code of order o bound by
 * b, made by rgs-enroll-full (free both with free()); 0 in the lean
 * binary, which hands order show --qr over before printing anything. */
int cli_order_short_form(const rgs_order *o, const rgs_order_binding *b, char **text, char **qr);

/* 1 in the lean rgs-enroll, 0 in rgs-enroll-full. */
int cli_is_lean(void);
/* The revocation check (rgs_rev_check) in rgs-enroll-full; NULL in the
 * lean binary, which hands the commands that use it over. */
rgs_rev_fn cli_revocation_fn(void);
/* browsers --add for the step offered at the end of install: the browsers
 * command in rgs-enroll-full; NULL in the lean binary, which never links
 * NSS (install there prints how to do it instead). */
int (*cli_browsers_fn(void))(rgs_io *io, int argc, char **argv);
/* Exec rgs-enroll-full with the same command line (lean binary only). */
int cli_cmd_delegate(rgs_io *io, int argc, char **argv);

/* The table main() dispatches on. */
extern const cli_command cli_commands[];
extern const size_t cli_n_commands;

#endif
