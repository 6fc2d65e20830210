/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c - rgs-enroll-gtk: the holder's window over `rgs-enroll --json`. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <adwaita.h>
#include "rgsx_i18n.h"
#include "rgsg_window.h"

#ifndef RGSG_LOCALEDIR
#define RGSG_LOCALEDIR "/usr/local/share/locale"
#endif

static char *opt_policy, *opt_module, *opt_db, *opt_out_dir;

static const GOptionEntry entries[] = {
  { "policy", 0, 0, G_OPTION_ARG_FILENAME, &opt_policy,
    "Qualified-device policy file handed to rgs-enroll (--policy)", "FILE" },
  { "module", 0, 0, G_OPTION_ARG_STRING, &opt_module,
    "PKCS#11 module handed to rgs-enroll (--module)", "PATH|NAME" },
  { "db", 0, 0, G_OPTION_ARG_FILENAME, &opt_db, "Order store handed to rgs-enroll (--db)", "PATH" },
  { "out-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_out_dir,
    "Folder for the certificate request (default: Documents)", "DIR" },
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

static void on_activate(GApplication *app, gpointer data)
{
  rgsg_win_opts *o = data;
  GList *wins = gtk_application_get_windows(GTK_APPLICATION(app));

  if (wins != NULL) {
    gtk_window_present(GTK_WINDOW(wins->data));
    return;
  }
  /* The options are parsed by now; the policy may also come from the
   * environment, as a demo or a test hands it to the window. */
  o->ctx.policy = opt_policy != NULL ? opt_policy : g_getenv("RGS_ENROLL_POLICY");
  if (o->ctx.policy != NULL && o->ctx.policy[0] == '\0')
    o->ctx.policy = NULL;
  o->ctx.module = opt_module;
  o->ctx.db = opt_db;
  o->out_dir = opt_out_dir;
  rgsg_win_new(GTK_APPLICATION(app), o);
}

int main(int argc, char **argv)
{
  rgsg_win_opts o = { { 0 }, NULL };
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
  g_object_unref(app);
  g_free(cli);
  g_free(opt_policy);
  g_free(opt_module);
  g_free(opt_db);
  g_free(opt_out_dir);
  return ret;
}
