/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_pinrun.c - the PIN flow shared by the pages that sign on the key
 * (rgsg_pinrun.h). The child's callbacks get the window; the flow under
 * way is w->pinrun (one child runs at a time). */
#include <string.h>
#include "rgsx_i18n.h"
#include "rgsg_pin.h"
#include "rgsg_pinrun.h"
#include "rgsg_ui.h"

struct rgsg_pinrun {
  rgsg_pinrun_spec spec;      /* strings and args below, owned */
  char *working, *again;
  char **args;
};

static const char *const tokens_args[] = { "tokens", NULL };

void rgsg_pinrun_free(struct rgsg_pinrun *p)
{
  if (p == NULL)
    return;
  g_free(p->working);
  g_free(p->again);
  g_strfreev(p->args);
  g_free(p);
}

static void idle(struct rgsg_pinrun *p)
{
  rgsg_busy(p->spec.busy, FALSE, NULL);
  gtk_widget_set_sensitive(p->spec.go, TRUE);
  gtk_widget_grab_focus(p->spec.go);
}

static void show_tries(rgsg_win *w)
{
  if (w->pinrun->spec.tries != NULL)
    gtk_label_set_text(w->pinrun->spec.tries, rgsg_pin_state_text(w->pin_state));
}

/* After a wrong PIN: the counter read again, shown, and nothing else. */
static void on_tries_after(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  struct rgsg_pinrun *p = w->pinrun;
  JsonNode *s = rgsg_slot_by_uri(r->root, w->token_uri);

  if (s != NULL) {
    w->pin_state = rgsg_pin_state_of(rgsg_str(s, "token.pin_state"));
    show_tries(w);
  }
  if (p->again != NULL)
    gtk_button_set_label(GTK_BUTTON(p->spec.go), p->again);
  idle(p);
  /* Locked: no PIN can help here, so nothing to press. */
  if (w->pin_state == RGSG_PIN_LOCKED)
    gtk_widget_set_sensitive(p->spec.go, FALSE);
}

/* PIN failures told apart by error.code, the counter read again when a
 * try may have changed it; any other end goes to the page. */
static void on_done(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  struct rgsg_pinrun *p = w->pinrun;
  rgsg_pin_error e = r->exit_status == 0 ? RGSG_PIN_ERR_NONE
                                         : rgsg_pin_error_of(rgsg_str(r->root, "error.code"));

  if (e == RGSG_PIN_ERR_NONE) {
    /* A success moves on: go stays off until the page says otherwise. */
    if (r->exit_status == 0)
      rgsg_busy(p->spec.busy, FALSE, NULL);
    else
      idle(p);
    p->spec.done(r, w);
    return;
  }
  gtk_label_set_text(p->spec.error, rgsg_pin_error_text(e));
  /* Expired: no try was spent and typing again cannot help. */
  if (e != RGSG_PIN_ERR_EXPIRED) {
    rgsg_busy(p->spec.busy, TRUE, _("Reading the key…"));
    if (rgsg_win_run(w, tokens_args, NULL, FALSE, on_tries_after, p->spec.error))
      return;
  }
  idle(p);
  if (!rgsg_pin_error_retry(e))
    gtk_widget_set_sensitive(p->spec.go, FALSE);
}

static void on_pin(const char *pin, gboolean final_try, gpointer data)
{
  rgsg_win *w = data;
  struct rgsg_pinrun *p = w->pinrun;

  if (pin == NULL) {
    idle(p);
    return;
  }
  gtk_label_set_text(p->spec.error, "");
  /* The pinpad's "PIN": the reader waits for it while the command logs in. */
  rgsg_busy(p->spec.busy, TRUE,
            pin[0] == '\0' ? _("Enter the PIN on the reader's keypad.") : p->working);
  if (!rgsg_win_run_progress(w, (const char *const *)p->args, pin, final_try, p->spec.progress,
                             on_done, p->spec.error))
    idle(p);
}

/* The PIN state read again before each try: the counter is the token's. */
static void on_pin_state(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  struct rgsg_pinrun *p = w->pinrun;
  JsonNode *s = rgsg_slot_by_uri(r->root, w->token_uri);
  const char *prev = gtk_label_get_text(p->spec.error);
  char *prev_copy = g_strdup(prev != NULL && prev[0] != '\0' ? prev : NULL);

  if (s == NULL) {
    gtk_label_set_text(p->spec.error, _("The key is no longer there. Plug it in again."));
    idle(p);
  } else {
    w->pin_state = rgsg_pin_state_of(rgsg_str(s, "token.pin_state"));
    show_tries(w);
    rgsg_busy(p->spec.busy, FALSE, NULL);
    /* A reader with a keypad: the PIN is typed there, never here. */
    rgsg_pin_ask_pinpad(w->win, w->token_label, w->pin_state,
                        rgsg_bool(s, "token.pinpad", FALSE), prev_copy, on_pin, w);
  }
  g_free(prev_copy);
}

void rgsg_pinrun_start(rgsg_win *w, const rgsg_pinrun_spec *spec)
{
  struct rgsg_pinrun *p;

  if (w->running)
    return;
  p = g_new0(struct rgsg_pinrun, 1);
  p->spec = *spec;
  p->working = g_strdup(spec->working);
  p->again = g_strdup(spec->again);
  p->args = g_strdupv((char **)spec->args);
  p->spec.working = p->spec.again = NULL;   /* the copies above only */
  p->spec.args = NULL;
  rgsg_pinrun_free(w->pinrun);
  w->pinrun = p;
  gtk_widget_set_sensitive(p->spec.go, FALSE);
  rgsg_busy(p->spec.busy, TRUE, _("Reading the key…"));
  if (!rgsg_win_run(w, tokens_args, NULL, FALSE, on_pin_state, p->spec.error))
    idle(p);
}
