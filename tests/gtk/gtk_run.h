/* SPDX-License-Identifier: BSD-3-Clause */
/* gtk_run.h - what every window test driver shares: a Python script of
 * the person (rgsg_person.py) run under xvfb-run and dbus-run-session, and
 * the environment a window test needs. */
#ifndef GTK_RUN_H
#define GTK_RUN_H

#include "rgs_test.h"

/* 0 when the tools of a window test are present (xvfb-run, dbus-run-session,
 * Debian's python3 with pyatspi, imagemagick); else prints why, returns 77. */
int rgs_gtk_tools(void);

/* The environment of a window run in the SoftHSM token dir `tokdir`, in
 * language lang (en|fr): HOME=<tokdir>/home (made), XDG_DATA_HOME under it,
 * the fault module over SoftHSM (RGS_FAULT_PIN_STATE=<tokdir>/user-pin,
 * RGS_FAULT_COUNT_FILE=<tokdir>/calls), the demo policy, the catalogues,
 * the cairo renderer, ASan's leak check off for GTK's libraries. Strings
 * are kept in buf; env gets at most 16 entries, then room for `extra` more
 * and the NULL; returns the number of entries set. */
typedef struct {
  char s[12][800];
} rgs_gtk_envbuf;
size_t rgs_gtk_env(rgs_gtk_envbuf *buf, const char **env, const char *tokdir, const char *lang);

/* Run `python3 SCRIPT ARGS...` under xvfb-run -a (a fresh server number
 * for each call) and dbus-run-session; the script is <source>/tests/gtk/SCRIPT.
 * Prints its output; the status in r (free with rgs_run_free). */
int rgs_gtk_person(rgs_run_result *r, const char *const *env, const char *script,
                   const char *const *args);

/* Order 1 of the window tests recorded with the command line (Jean Dupont,
 * Boulangerie Dupont, SIREN 732829320) in env's store; fails the test
 * when it cannot. */
void rgs_gtk_record_order(const char *const *env);

/* A data directory of the test's own in dir/data (made): the source's policy
 * and aed folders linked, and an AED trust file listing the CA aed_ca (the
 * test AED's, tests/f2f/f2f_aedtoken.c) with the demo AED policy; its path
 * (for RGS_ENROLL_DATADIR) written to out. Fails the test when it cannot. */
void rgs_gtk_aed_datadir(const char *dir, const char *aed_ca, char *out, size_t n);

#endif
