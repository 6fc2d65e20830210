/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_key.c - the key pair made on the key and the request saved
 * (`rgs-enroll start --order N --out FILE`), then what to do with it. The
 * step and its elapsed time come from the child's --progress-fd events;
 * PIN failures are told apart by error.code, never by the exit status. */
#include <string.h>
#include "rgsx_i18n.h"
#include "rgsg_internal.h"
#include "rgsg_pin.h"
#include "rgsg_ui.h"

#define RGSG_PORTAL "https://www.certigna.fr"

static void key_idle(rgsg_win *w)
{
  rgsg_busy(w->key_busy, FALSE, NULL);
  gtk_widget_set_sensitive(w->key_go, TRUE);
  gtk_widget_grab_focus(w->key_go);
}

static void on_started(const rgsg_result *r, gpointer data);

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

static void on_pin(const char *pin, gboolean final_try, gpointer data)
{
  rgsg_win *w = data;
  char id[32];
  const char *args[] = { "start", "--order", id, "--out", w->out_path, NULL };

  if (pin == NULL) {
    key_idle(w);
    return;
  }
  g_snprintf(id, sizeof(id), "%lld", (long long)w->order_id);
  gtk_label_set_text(w->key_error, "");
  rgsg_busy(w->key_busy, TRUE,
            _("Making the key pair on your key and saving the request. Do not unplug the key."));
  if (!rgsg_win_run_progress(w, args, pin, final_try, on_progress, on_started, w->key_error))
    key_idle(w);
}

/* The slot of the chosen token in `tokens` (it lists every slot). */
static JsonNode *chosen_slot(rgsg_win *w, JsonNode *root)
{
  JsonNode *slots = rgsg_get(root, "slots"), *s;
  guint i, n = slots != NULL && JSON_NODE_HOLDS_ARRAY(slots)
                 ? json_array_get_length(json_node_get_array(slots)) : 0;
  const char *uri;

  for (i = 0; i < n; i++) {
    s = json_array_get_element(json_node_get_array(slots), i);
    uri = rgsg_str(s, "uri");
    if (uri != NULL && w->token_uri != NULL && strcmp(uri, w->token_uri) == 0)
      return s;
  }
  return NULL;
}

/* The PIN state read again before each try: the counter is the token's. */
static void on_pin_state(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  JsonNode *s = chosen_slot(w, r->root);
  const char *prev = gtk_label_get_text(w->key_error);
  char *prev_copy = g_strdup(prev != NULL && prev[0] != '\0' ? prev : NULL);

  if (s == NULL) {
    gtk_label_set_text(w->key_error, _("The key is no longer there. Plug it in again."));
    key_idle(w);
    g_free(prev_copy);
    return;
  }
  w->pin_state = rgsg_pin_state_of(rgsg_str(s, "token.pin_state"));
  gtk_label_set_text(w->key_tries, rgsg_pin_state_text(w->pin_state));
  rgsg_busy(w->key_busy, FALSE, NULL);
  rgsg_pin_ask(w->win, w->token_label, w->pin_state, prev_copy, on_pin, w);
  g_free(prev_copy);
}

static void on_key_go(GtkButton *b, gpointer data)
{
  static const char *const args[] = { "tokens", NULL };
  rgsg_win *w = data;

  (void)b;
  if (w->running)
    return;
  gtk_widget_set_sensitive(w->key_go, FALSE);
  rgsg_busy(w->key_busy, TRUE, _("Reading the key…"));
  if (!rgsg_win_run(w, args, NULL, FALSE, on_pin_state, w->key_error))
    key_idle(w);
}

/* After a wrong PIN: the counter read again, shown, and nothing else. */
static void on_tries_after(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  JsonNode *s = chosen_slot(w, r->root);

  if (s != NULL) {
    w->pin_state = rgsg_pin_state_of(rgsg_str(s, "token.pin_state"));
    gtk_label_set_text(w->key_tries, rgsg_pin_state_text(w->pin_state));
  }
  gtk_button_set_label(GTK_BUTTON(w->key_go), _("Type the PIN again"));
  key_idle(w);
  /* Locked: no PIN can help here, so nothing to press. */
  if (w->pin_state == RGSG_PIN_LOCKED)
    gtk_widget_set_sensitive(w->key_go, FALSE);
}

/* A failed start: PIN failures told apart by error.code, the counter read
 * again when a try may have changed it; other failures in the command's words. */
static void key_failed(rgsg_win *w, const rgsg_result *r)
{
  static const char *const args[] = { "tokens", NULL };
  rgsg_pin_error e = rgsg_pin_error_of(rgsg_str(r->root, "error.code"));

  /* Pulled out mid-way: start keeps the order as it was and clears what
   * it made (or the next run does), so plugging in again is all it takes. */
  if (g_strcmp0(rgsg_str(r->root, "error.code"), "token-removed") == 0) {
    gtk_label_set_text(w->key_error,
      _("The key was unplugged while the key pair was being made. Your order is unchanged and no half-made key pair is kept: whatever the interrupted run left on the key is cleared when you try again. Plug the key in again, then press Try again."));
    gtk_button_set_label(GTK_BUTTON(w->key_go), _("Try again"));
    key_idle(w);
    return;
  }

  gtk_label_set_text(w->key_error, e != RGSG_PIN_ERR_NONE ? rgsg_pin_error_text(e)
                                                          : rgsg_error_text(r));
  /* Expired: no try was spent and typing again cannot help. */
  if (e != RGSG_PIN_ERR_NONE && e != RGSG_PIN_ERR_EXPIRED) {
    rgsg_busy(w->key_busy, TRUE, _("Reading the key…"));
    if (rgsg_win_run(w, args, NULL, FALSE, on_tries_after, w->key_error))
      return;
  }
  key_idle(w);
  if (e != RGSG_PIN_ERR_NONE && !rgsg_pin_error_retry(e))
    gtk_widget_set_sensitive(w->key_go, FALSE);
}

static void on_started(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  char *text;

  if (r->exit_status == 0) {
    rgsg_busy(w->key_busy, FALSE, NULL);
    text = g_strdup_printf(_("Your request is saved in %s"), rgsg_str(r->root, "csr.file"));
    gtk_label_set_text(w->done_path, text);
    g_free(text);
    rgsg_show(w, "done", w->done_next);
    return;
  }
  key_failed(w, r);
}

void rgsg_key_enter(rgsg_win *w)
{
  char name[64], *text;
  const char *dir = w->out_dir;

  if (dir == NULL)
    dir = g_get_user_special_dir(G_USER_DIRECTORY_DOCUMENTS);
  if (dir == NULL)
    dir = g_get_home_dir();
  g_snprintf(name, sizeof(name), "rgs-request-order-%lld.csr", (long long)w->order_id);
  g_free(w->out_path);
  w->out_path = g_build_filename(dir, name, NULL);
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
