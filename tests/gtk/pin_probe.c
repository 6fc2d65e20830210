/* SPDX-License-Identifier: BSD-3-Clause */
/* pin_probe.c - the PIN dialog alone, as a page uses it, for the pinpad
 * test (gtk_pinpad.py):
 *   pin_probe PIN_STATE PINPAD LABEL ARGS...
 * shows rgsg_pin_ask_pinpad(PIN_STATE code, PINPAD 0|1, LABEL), then runs
 * `rgs-enroll --json ARGS` through rgsg_run with what the dialog handed on,
 * as the key page does. Prints "dialog: typed|pinpad|cancelled final_try=N"
 * and "child: exit N code CODE"; exit 0 once the child ran, 1 when the
 * dialog was cancelled or the child could not start. The command is
 * rgsg_find_cli()'s ($RGS_ENROLL_GTK_CLI), the policy $RGS_ENROLL_POLICY. */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <adwaita.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgsg_child.h"
#include "rgsg_pin.h"

typedef struct {
  GApplication *app;
  rgsg_ctx ctx;
  char **argv;            /* PIN_STATE PINPAD LABEL ARGS... */
  int status;
} probe;

static void on_done(const rgsg_result *r, gpointer data)
{
  probe *p = data;
  const char *code = rgsg_str(r->root, "error.code");

  printf("child: exit %d code %s\n", r->exit_status, code != NULL ? code : "none");
  fflush(stdout);
  p->status = 0;
  g_application_release(p->app);
}

static void on_pin(const char *pin, gboolean final_try, gpointer data)
{
  probe *p = data;
  GError *err = NULL;

  printf("dialog: %s final_try=%d\n",
         pin == NULL ? "cancelled" : pin[0] == '\0' ? "pinpad" : "typed", final_try ? 1 : 0);
  fflush(stdout);
  if (pin == NULL) {
    g_application_release(p->app);
    return;
  }
  if (!rgsg_run(&p->ctx, (const char *const *)p->argv + 3, pin, final_try, on_done, p, &err)) {
    printf("child: not started: %s\n", err->message);
    g_error_free(err);
    g_application_release(p->app);
  }
}

static void on_activate(GApplication *app, gpointer data)
{
  probe *p = data;

  g_application_hold(app);
  rgsg_pin_ask_pinpad(NULL, p->argv[2], rgsg_pin_state_of(p->argv[0]),
                      strcmp(p->argv[1], "1") == 0, NULL, on_pin, p);
}

int main(int argc, char **argv)
{
  probe p = { NULL, { 0 }, NULL, 1 };
  const char *ldir = g_getenv("RGS_ENROLL_LOCALEDIR");
  char *cli;

  if (argc < 5) {
    fprintf(stderr, "usage: pin_probe PIN_STATE PINPAD LABEL ARGS...\n");
    return 2;
  }
  setlocale(LC_ALL, "");
  if (ldir != NULL)
    bindtextdomain(RGS_TEXTDOMAIN, ldir);
  bind_textdomain_codeset(RGS_TEXTDOMAIN, "UTF-8");
  textdomain(RGS_TEXTDOMAIN);
  /* The name the test's helpers look for in the accessibility tree. */
  g_set_prgname("rgs-enroll-gtk");
  cli = rgsg_find_cli();
  p.ctx.cli = cli;
  p.ctx.policy = g_getenv("RGS_ENROLL_POLICY");
  p.argv = argv + 1;
  p.app = G_APPLICATION(adw_application_new("fr.rgsenroll.PinProbe", G_APPLICATION_NON_UNIQUE));
  g_signal_connect(p.app, "activate", G_CALLBACK(on_activate), &p);
  /* Only the program name to GApplication: the rest are the probe's. */
  (void)g_application_run(p.app, 1, argv);
  g_object_unref(p.app);
  g_free(cli);
  return p.status;
}
