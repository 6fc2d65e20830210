/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_key.c - the key pair made on the key and the request saved
 * (`rgs-enroll start --order N --out FILE`), then what to do with it. The
 * step and its elapsed time come from the child's --progress-fd events;
 * PIN failures are told apart by error.code, never by the exit status. */
#include <string.h>
#include "rgsx_i18n.h"
#include "rgsg_files.h"
#include "rgsg_pinrun.h"
#include "rgsg_ui.h"

#define RGSG_PORTAL "https://www.certigna.fr"

/* The step and its time from the child's events, in place of a bare
 * spinner: the person sees the key is still at work. */
static void on_progress(const char *event, const char *step, gint64 elapsed_ms, gpointer data)
{
  rgsg_win *w = data;
  char *text;

  if (strcmp(event, "done") == 0)
    return;
  text = rgsg_progress_text(step, elapsed_ms);
  rgsg_busy(w->key_busy, TRUE, text);
  g_free(text);
}

static void on_started(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  char *text, *path;

  /* Pulled out mid-way: start keeps the order as it was and clears what
   * it made (or the next run does), so plugging in again is all it takes. */
  if (g_strcmp0(rgsg_str(r->root, "error.code"), "token-removed") == 0) {
    gtk_label_set_text(w->key_error,
      _("The key was unplugged while the key pair was being made. Your order is unchanged and no half-made key pair is kept: whatever the interrupted run left on the key is cleared when you try again. Plug the key in again, then press Try again."));
    gtk_button_set_label(GTK_BUTTON(w->key_go), _("Try again"));
    return;
  }
  if (r->exit_status != 0) {
    gtk_label_set_text(w->key_error, rgsg_error_text(r));
    return;
  }
  path = rgsg_clean(rgsg_str(r->root, "csr.file"));
  text = g_strdup_printf(_("Your request is saved in %s"), path);
  g_free(path);
  gtk_label_set_text(w->done_path, text);
  g_free(text);
  rgsg_show(w, "done", w->done_next);
}

static void on_key_go(GtkButton *b, gpointer data)
{
  rgsg_win *w = data;
  char id[32];
  const char *args[] = { "start", "--order", id, "--out", w->out_path, NULL };
  rgsg_pinrun_spec spec = {
    .busy = w->key_busy, .error = w->key_error, .tries = w->key_tries, .go = w->key_go,
    .working = _("Making the key pair on your key and saving the request. Do not unplug the key."),
    .again = _("Type the PIN again"), .args = args, .progress = on_progress, .done = on_started,
  };

  (void)b;
  g_snprintf(id, sizeof(id), "%lld", (long long)w->order_id);
  rgsg_pinrun_start(w, &spec);
}

void rgsg_key_enter(rgsg_win *w)
{
  char name[64], *text;

  g_snprintf(name, sizeof(name), "rgs-request-order-%lld.csr", (long long)w->order_id);
  g_free(w->out_path);
  w->out_path = rgsg_user_file(w, name);
  text = g_strdup_printf(_("The key pair will be made on your key \"%s\" for order %lld, and the request saved as %s."),
                         w->token_label, (long long)w->order_id, w->out_path);
  gtk_label_set_text(w->key_intro, text);
  g_free(text);
  gtk_label_set_text(w->key_error, "");
  gtk_label_set_text(w->key_tries, rgsg_pin_state_text(w->pin_state));
  gtk_button_set_label(GTK_BUTTON(w->key_go), _("Make the key pair"));
  gtk_widget_set_sensitive(w->key_go, TRUE);
  rgsg_show(w, "key", w->key_go);
}

GtkWidget *rgsg_key_page(rgsg_win *w)
{
  GtkWidget *page = rgsg_page(_("Your key pair and your request"));
  GtkWidget *row;

  w->key_intro = GTK_LABEL(rgsg_label("", NULL));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(w->key_intro));
  gtk_box_append(GTK_BOX(page), rgsg_label(
    _("You will be asked for the key's PIN once. Keep the key plugged in until the end."), "dim-label"));
  w->key_busy = rgsg_busy_new("", NULL);
  gtk_box_append(GTK_BOX(page), w->key_busy);
  w->key_error = GTK_LABEL(rgsg_label("", "error"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(w->key_error));
  w->key_tries = GTK_LABEL(rgsg_label("", "warning"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(w->key_tries));
  row = rgsg_button_row(page);
  w->key_go = rgsg_button(row, _("Make the key pair"), TRUE);
  g_signal_connect(w->key_go, "clicked", G_CALLBACK(on_key_go), w);
  return page;
}

/* ---- done ------------------------------------------------------------- */

static void on_close(GtkButton *b, gpointer data)
{
  rgsg_win *w = data;

  (void)b;
  gtk_window_close(w->win);
}

GtkWidget *rgsg_done_page(rgsg_win *w)
{
  GtkWidget *page = rgsg_page(_("Your request is ready"));
  GtkWidget *row, *link;

  w->done_path = GTK_LABEL(rgsg_label("", "heading"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(w->done_path));
  gtk_box_append(GTK_BOX(page), rgsg_label(
    _("What to do now:\n"
      "1. Log in to your customer area on the Certigna portal, open your order and upload this file.\n"
      "2. Meet the AED (the huissier) for the face-to-face, with your identity document and a company registration extract under three months old, then post the signed originals.\n"
      "3. When the certificate is issued, come back here to install it on your key."), NULL));
  link = gtk_link_button_new_with_label(RGSG_PORTAL, _("Open the Certigna portal"));
  gtk_widget_set_halign(link, GTK_ALIGN_START);
  gtk_box_append(GTK_BOX(page), link);
  row = rgsg_button_row(page);
  w->done_close = rgsg_button(row, _("Close"), FALSE);
  w->done_next = rgsg_button(row, _("Next steps"), TRUE);
  g_signal_connect(w->done_close, "clicked", G_CALLBACK(on_close), w);
  g_signal_connect_swapped(w->done_next, "clicked", G_CALLBACK(rgsg_hub_enter), w);
  return page;
}
