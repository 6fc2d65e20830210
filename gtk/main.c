/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c - rgs-enroll-gtk: the holder's window over `rgs-enroll --json`;
 * with --askpass [PROMPT], the PIN dialog alone for the watcher (the PIN on
 * stdout, exit 1 on cancel). */
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <adwaita.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgsg_officer.h"
#include "rgsg_pin.h"
#include "rgsg_window.h"

#ifndef RGSG_LOCALEDIR
#define RGSG_LOCALEDIR "/usr/local/share/locale"
#endif

static char **opt_policies;
static char *opt_module, *opt_db, *opt_out_dir, *opt_token;
static gboolean opt_askpass, opt_officer;
static gint64 opt_order;
static char **opt_rest;
/* The askpass role's exit status: 1 until a PIN was written. */
static int askpass_status = 1;

static const GOptionEntry entries[] = {
  { "policy", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_policies,
    "Qualified-device policy file handed to rgs-enroll (--policy; repeatable)", "FILE" },
  { "module", 0, 0, G_OPTION_ARG_STRING, &opt_module,
    "PKCS#11 module handed to rgs-enroll (--module)", "PATH|NAME" },
  { "db", 0, 0, G_OPTION_ARG_FILENAME, &opt_db, "Order store handed to rgs-enroll (--db)", "PATH" },
  { "out-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_out_dir,
    "Folder for the certificate request (default: Documents)", "DIR" },
  { "order", 0, 0, G_OPTION_ARG_INT64, &opt_order,
    "Open at the step where this order stands (the watcher's notification)", "N" },
  { "token", 0, 0, G_OPTION_ARG_STRING, &opt_token,
    "Use this token (a pkcs11: URI), not the first one found", "URI" },
  { "officer", 0, 0, G_OPTION_ARG_NONE, &opt_officer,
    "The AED officer's window for the face-to-face", NULL },
  { "askpass", 0, 0, G_OPTION_ARG_NONE, &opt_askpass,
    "Ask for a PIN and write it on stdout (the watcher's askpass program)", NULL },
  { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_rest, NULL, "[PROMPT]" },
  { NULL, 0, 0, 0, NULL, NULL, NULL },
};

/* The catalogues: $RGS_ENROLL_LOCALEDIR (as rgs-enroll reads it), else the
 * build tree's (../cli/locale beside this binary), else the installed one. */
static char *localedir(void)
{
  const char *env = g_getenv("RGS_ENROLL_LOCALEDIR");
  char *exe, *dir, *cand;

  if (env != NULL && env[0] != '\0')
    return g_strdup(env);
  exe = g_file_read_link("/proc/self/exe", NULL);
  dir = exe != NULL ? g_path_get_dirname(exe) : g_strdup(".");
  cand = g_build_filename(dir, "..", "cli", "locale", "fr", "LC_MESSAGES", "rgs-enroll.mo", NULL);
  g_free(exe);
  if (g_file_test(cand, G_FILE_TEST_EXISTS)) {
    g_free(cand);
    cand = g_build_filename(dir, "..", "cli", "locale", NULL);
  } else {
    g_free(cand);
    cand = g_strdup(RGSG_LOCALEDIR);
  }
  g_free(dir);
  return cand;
}

/* As rgs-enroll does (enroll/locale.c): LANGUAGE alone chooses the
 * language when nothing chose a locale, glibc ignoring it under "C". */
static void locale_from_language(void)
{
  const char *lang = g_getenv("LANGUAGE"), *all = g_getenv("LC_ALL");
  const char *msg = g_getenv("LC_MESSAGES"), *cur = setlocale(LC_MESSAGES, NULL);

  if (lang == NULL || lang[0] == '\0' || (all != NULL && all[0] != '\0') ||
      (msg != NULL && msg[0] != '\0'))
    return;
  if (cur != NULL && (strcmp(cur, "C") == 0 || strcmp(cur, "POSIX") == 0))
    setlocale(LC_MESSAGES, "C.UTF-8");
}

/* write(2) the whole buffer; FALSE on failure. */
static gboolean write_all(int fd, const char *buf, size_t len)
{
  ssize_t n;

  while (len > 0) {
    n = write(fd, buf, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    buf += n;
    len -= (size_t)n;
  }
  return TRUE;
}

/* The PIN and a newline on stdout, for the watcher's pipe; nothing kept. */
static void on_askpass_pin(const char *pin, gboolean final_try, gpointer data)
{
  GApplication *app = data;

  (void)final_try;
  if (pin != NULL && write_all(STDOUT_FILENO, pin, strlen(pin)) &&
      write_all(STDOUT_FILENO, "\n", 1))
    askpass_status = 0;
  g_application_release(app);
}

/* The same PIN dialog, alone, for `watch --askpass PROGRAM`: the prompt
 * (sanitised: it names the token) as its text. */
static void askpass_run(GApplication *app)
{
  const char *prompt = opt_rest != NULL && opt_rest[0] != NULL ? opt_rest[0] : NULL;
  char *clean = rgsx_sanitize(prompt != NULL ? prompt : _("Type the PIN of the key."), (size_t)-1);

  g_application_hold(app);
  rgsg_pin_ask_text(NULL, clean != NULL ? clean : "", RGSG_PIN_UNKNOWN, NULL, on_askpass_pin, app);
  free(clean);
}

static void on_activate(GApplication *app, gpointer data)
{
  rgsg_win_opts *o = data;
  GList *wins = gtk_application_get_windows(GTK_APPLICATION(app));

  if (wins != NULL) {
    gtk_window_present(GTK_WINDOW(wins->data));
    return;
  }
  if (opt_askpass) {
    askpass_run(app);
    return;
  }
  /* The options are parsed by now; the policy may also come from the
   * environment, as a demo or a test hands it to the window. */
  /* Every --policy the watcher had is handed on, in its order. */
  o->ctx.policies = (const char *const *)opt_policies;
  o->ctx.policy = opt_policies != NULL ? NULL : g_getenv("RGS_ENROLL_POLICY");
  if (o->ctx.policy != NULL && o->ctx.policy[0] == '\0')
    o->ctx.policy = NULL;
  o->ctx.module = opt_module;
  o->ctx.db = opt_db;
  o->out_dir = opt_out_dir;
  o->order_id = opt_order > 0 ? opt_order : 0;
  o->token_uri = opt_token;
  if (opt_officer)
    rgsg_officer_new(GTK_APPLICATION(app), o);
  else
    rgsg_win_new(GTK_APPLICATION(app), o);
}

int main(int argc, char **argv)
{
  rgsg_win_opts o = { { 0 }, NULL, 0, NULL };
  AdwApplication *app;
  char *cli, *ldir;
  int ret;

  setlocale(LC_ALL, "");
  locale_from_language();
  ldir = localedir();
  bindtextdomain(RGS_TEXTDOMAIN, ldir);
  bind_textdomain_codeset(RGS_TEXTDOMAIN, "UTF-8");
  textdomain(RGS_TEXTDOMAIN);
  g_free(ldir);
  cli = rgsg_find_cli();
  app = adw_application_new("fr.rgsenroll.Enroll", G_APPLICATION_NON_UNIQUE);
  g_application_add_main_option_entries(G_APPLICATION(app), entries);
  g_signal_connect(app, "activate", G_CALLBACK(on_activate), &o);
  o.ctx.cli = cli;
  ret = g_application_run(G_APPLICATION(app), argc, argv);
  if (ret == 0 && opt_askpass)
    ret = askpass_status;
  g_object_unref(app);
  g_free(cli);
  g_strfreev(opt_policies);
  g_free(opt_module);
  g_free(opt_db);
  g_free(opt_out_dir);
  g_free(opt_token);
  g_strfreev(opt_rest);
  return ret;
}
