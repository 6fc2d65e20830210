/* SPDX-License-Identifier: BSD-3-Clause */
/* flow.h - what every workflow of rgs-enroll shares: the options of the run
 * and where its output goes (text or JSON), failures and their exit class,
 * data paths, and the token session. Nothing here parses a command line. */
#ifndef RGS_FLOW_H
#define RGS_FLOW_H

#include <signal.h>
#include <stdio.h>
#include "rgs_p11.h"
#include "rgs_order.h"
#include "json.h"
#include "revocation.h"

#include "rgs_common.h"
#include "rgsx_i18n.h"

#include "rgs_exit.h"

/* The sink of --progress-fd (progress.h). */
typedef struct rgs_progress rgs_progress;

/* The run: what the person chose (module, token, store, policies, PIN
 * source) and how results are shown (text, or JSON on stdout). A front end
 * fills it; the workflows read it and report through it. */
typedef struct {
  const char *module;          /* --module */
  const char *token;           /* --token */
  const char *db;              /* --db */
  const char *policies[8];     /* --policy, in order */
  size_t n_policies;
  const char *aed_trust[8];    /* --aed-trust, in order */
  size_t n_aed_trust;
  int json;                    /* --json */
  int details;                 /* --details: the evidence under each plain sentence */
  int final_try;               /* --final-try */
  const char *pin_file;        /* --pin-file */
  int pin_fd;                  /* --pin-fd, -1 when absent */
  const char *prog;            /* name in messages */
  char **argv_all;             /* the whole command line, for cli_cmd_delegate */
  /* The revocation check (revocation.h), where the binary links libcurl
   * and the person did not turn it off (--no-revocation-check); NULL: not
   * checked. */
  rgs_rev_fn revocation;
  /* --progress-fd: JSON progress events (progress.h); NULL: none. Owned
   * by the front end. */
  rgs_progress *progress;
} rgs_io;

/* ---- output ---- */
void rgs_err(const rgs_io *io, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rgs_warn(const rgs_io *io, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report a failure (stderr, and a JSON document under --json); returns exit. */
int rgs_fail(const rgs_io *io, const char *command, int exit_code, const char *message,
             const char *detail);
/* rgs_fail with the HTTP status of a server's answer in the JSON error. */
int rgs_fail_http(const rgs_io *io, const char *command, int exit_code, const char *message,
                  const char *detail, long http_status);
/* The same with a stable code (may be NULL) in the JSON error, and the
 * detail (a library's own words) on a line of its own on stderr; an
 * http_status below 0 is left out. */
int rgs_fail_detail_line(const rgs_io *io, const char *command, int exit_code, const char *code,
                         const char *message, const char *detail, long http_status);
int rgs_exit_for_p11(rgs_p11_rc rc);
/* Stable codes of error documents (doc/json/v1/_error.schema.json): one per
 * token-layer result ("pin-incorrect"), one per exit class ("usage",
 * "module", "token", "pin", "store", "network", "io", "internal"); and the
 * code given to a failure reported without one. Static strings. */
const char *rgs_p11_rc_code(rgs_p11_rc rc);
const char *rgs_exit_code_name(int exit_code);
const char *rgs_error_code_for(int exit_code, const char *message);
/* Report a token-layer failure, with the module's detail; returns the exit. */
int rgs_fail_p11(const rgs_io *io, const char *command, rgs_p11_rc rc,
                 const rgs_p11_ctx *ctx);
/* A failure with a stable English code in the JSON error ("card-not-recognized");
 * rep (may be NULL) adds the check's criteria. Returns exit_code. */
int rgs_fail_code(const rgs_io *io, const char *command, int exit_code, const char *code,
                  const char *message, const char *detail, const rgs_p11_report *rep);
/* No token could be opened on ctx: say whether a card is there that the
 * module does not recognise, or which reader is empty (codes
 * card-not-recognized, no-card, no-reader, no-token). Returns RGS_EXIT_TOKEN. */
int rgs_fail_no_token(const rgs_io *io, const char *command, rgs_p11_ctx *ctx);
/* 1 when a person's answer means yes: y, yes, o, oui or the translated
 * "yes", in any case; anything else (an empty line included) is no. */
int rgs_answer_yes(const char *answer);
/* A usage error of a subcommand: message and hint; returns RGS_EXIT_USAGE. */
int rgs_usage_error(const rgs_io *io, const char *command, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));


/* ---- paths ---- */
const char *rgs_datadir(void);
const char *rgs_localedir(void);

/* ---- the token, opened the same way for every command ---- */
typedef struct {
  rgs_p11_ctx *ctx;
  rgs_p11_token *tok;
  rgs_p11_policy *policy;
  rgs_p11_pin_source pin;
  const rgs_io *io;
  sigset_t held_old;           /* signal mask before rgs_session_hold_signals */
  int holding;
} rgs_session;

/* Load the module, pick the token, load the policies. On failure the
 * message is printed and the exit status returned; the session is freed. */
int rgs_session_open(rgs_session *s, const rgs_io *io, const char *command);
/* The same, taking the token from fallback when --token is absent. */
int rgs_session_open_sel(rgs_session *s, const rgs_io *io, const char *command,
                         const rgs_p11_uri *fallback);
/* For commands given a key URI: that URI's token attributes choose the token
 * when --token is absent, and must agree with it when present. */
int rgs_session_open_for_key(rgs_session *s, const rgs_io *io, const char *command,
                             const rgs_p11_uri *key_uri);
/* For the commands that make a key pair (start, keygen): with no module
 * named, the registered module through which the token offers RSA key
 * generation is used when OpenSC's cannot (rgs_p11_open). */
int rgs_session_open_keygen(rgs_session *s, const rgs_io *io, const char *command);
/* Log in once (counters checked first), reporting failures. 0 or exit. */
int rgs_session_login(rgs_session *s, const char *command);
void rgs_session_close(rgs_session *s);

/* From the moment a key exists on the card until it is kept for good or
 * removed, Ctrl-C, SIGTERM and SIGHUP wait: a signal then must not leave an
 * orphan key. rgs_session_interrupted() says whether one is waiting;
 * releasing delivers it (the process then ends as the signal says). */
void rgs_session_hold_signals(rgs_session *s);
int rgs_session_interrupted(const rgs_session *s);
void rgs_session_release_signals(rgs_session *s);
/* After a refused PIN or unblocking code, what the token now tells of its
 * counter, as a sentence. */
const char *rgs_pin_left_message(const rgs_p11_slot_info *info, rgs_p11_pin_role role);

/* Print the token line and the report (text or JSON members). */
void rgs_print_token(const rgs_io *io, const rgs_p11_slot_info *info);
void rgs_print_report(const rgs_io *io, const rgs_p11_report *rep);
void rgs_print_report_from(const rgs_io *io, const rgs_p11_report *rep, size_t from);
/* Print s on stdout padded with spaces to `width` characters (UTF-8 aware). */
void rgs_print_padded(const char *s, size_t width);
/* A failure whose JSON document carries the report's criteria. */
int rgs_fail_report(const rgs_io *io, const char *command, int exit_code,
                    const char *message, const rgs_p11_report *rep);

/* Members "criteria": [...] of the current JSON object. */
void rgs_json_report(rgs_json *j, const rgs_p11_report *rep);
/* The PIN state of token flags as a stable code: ok, count-low, final-try,
 * locked, not-initialized (an N_() text: translate it to show it). */
const char *rgs_pin_state_code(CK_FLAGS f);
/* Member key: {"path", "name", "chosen": given | default | registry}: the
 * module and how it was chosen. */
void rgs_json_module(rgs_json *j, const char *key, const rgs_p11_ctx *ctx);
/* Members "token": {...} of the current JSON object. */
void rgs_json_token(rgs_json *j, const char *key, const rgs_p11_slot_info *info);

/* Time "now", overridable for tests with RGS_ENROLL_NOW=YYYY-MM-DD. */
time_t rgs_now(void);

/* 1 when text is a whole decimal number in [min, max], stored in *out. */
int rgs_parse_number(const char *text, long min, long max, long *out);

#endif
