/* SPDX-License-Identifier: BSD-3-Clause */
/* commands.c - the dispatch table: name, function, one-line help.
 *
 * Compiled twice. In rgs-enroll (RGS_LEAN), the commands that need libcurl,
 * libp11, cairo or libsystemd are handed to rgs-enroll-full: the binary the
 * holder runs most (start, check, install) then maps a dozen libraries
 * instead of sixty, and stays under 10 MB. */
#include "commands.h"
#ifndef RGS_LEAN
#include "dossier.h"
#endif

#ifdef RGS_LEAN
#define HEAVY(fn) cli_cmd_delegate
#else
#define HEAVY(fn) fn
#endif

const cli_command cli_commands[] = {
  { "tokens", cli_cmd_tokens, N_("list slots and tokens with their pkcs11: URIs and PIN state") },
  { "check", cli_cmd_check, N_("check the token (and a key) against RGS**") },
  { "keygen", cli_cmd_keygen, N_("generate an RGS** key pair on the token") },
  { "csr", cli_cmd_csr, N_("build a SHA-256 certificate request signed on the token") },
  { "start", cli_cmd_start, N_("check, generate the key and build the CSR in one go") },
  { "order", cli_cmd_order, N_("record and follow the Pack ID RGS** order, its documents and key") },
  { "aed", cli_cmd_aed, N_("AED offices, face-to-face fee estimate and appointment") },
  { "status", cli_cmd_status, N_("where an order stands and the next thing to do") },
  { "submit", HEAVY(cli_cmd_submit), N_("hand the request to the CA: a file for its portal, or EST") },
  { "install", cli_cmd_install, N_("check the issued certificate and install it next to its key") },
  { "renew", HEAVY(cli_cmd_renew), N_("renew the certificate over EST with a new key on the card") },
  { "pin", cli_cmd_pin, N_("change the PIN or the unblocking code; unblock a locked PIN") },
  { "f2f", HEAVY(cli_cmd_f2f), N_("the face-to-face with the AED: signed record, verification, printed form") },
  { "watch", HEAVY(cli_cmd_watch), N_("wait for the token to be plugged in and take the enrolment where it stands") },
  { "browsers", HEAVY(cli_cmd_browsers), N_("register the token's module in Chromium and Firefox, or say whether they see its certificate") },
  { "remind", HEAVY(cli_cmd_remind), N_("tell once, at 90, 30, 7 and 1 day(s), that an installed certificate ends, and what to do") },
};
const size_t cli_n_commands = RGS_ARRAY_LEN(cli_commands);

/* order export / import sign and verify CMS with the face-to-face library. */
int cli_order_export_entry(rgs_io *io, int argc, char **argv)
{
  return HEAVY(cli_cmd_order_export)(io, argc, argv);
}

int cli_order_import_entry(rgs_io *io, int argc, char **argv)
{
  return HEAVY(cli_cmd_order_import)(io, argc, argv);
}

/* order qr draws with libqrencode. */
int cli_order_qr_entry(rgs_io *io, int argc, char **argv)
{
  return HEAVY(cli_cmd_order_qr)(io, argc, argv);
}

/* order check-qr reads the short form with the dossier library. */
int cli_order_check_qr_entry(rgs_io *io, int argc, char **argv)
{
  return HEAVY(cli_cmd_order_check_qr)(io, argc, argv);
}

/* The revocation check needs libcurl: rgs-enroll-full only. The lean
 * binary hands install and check --delivered over before it would be
 * needed (unless --no-revocation-check). */
rgs_rev_fn cli_revocation_fn(void)
{
#ifdef RGS_LEAN
  return NULL;
#else
  return rgs_rev_check;
#endif
}

int (*cli_browsers_fn(void))(rgs_io *io, int argc, char **argv)
{
#ifdef RGS_LEAN
  return NULL;
#else
  return cli_cmd_browsers;
#endif
}

int cli_is_lean(void)
{
#ifdef RGS_LEAN
  return 1;
#else
  return 0;
#endif
}

int cli_order_short_form(const rgs_order *o, const rgs_order_binding *b, char **text, char **qr)
{
#ifdef RGS_LEAN
  (void)o;
  (void)b;
  *text = *qr = NULL;
  return 0;
#else
  *qr = NULL;
  *text = rgs_dossier_short_text(o, b);
  if (*text != NULL)
    *qr = rgs_dossier_qr_terminal(*text);
  return *qr != NULL;
#endif
}
