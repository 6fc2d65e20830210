/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_hub.c - where the order stands (`rgs-enroll status ID`): its six
 * steps in the command's words, and a way to every screen that comes after
 * the request (the AED, the documents, the dossier, the face-to-face record,
 * the certificate). rgsg_resume opens the page of the order's next step. */
#include <stdlib.h>
#include <string.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgsg_internal.h"
#include "rgsg_pin.h"
#include "rgsg_ui.h"

static const char *step_icon(const char *state)
{
  if (state != NULL && strcmp(state, "done") == 0)
    return "emblem-ok-symbolic";
  if (state != NULL && strcmp(state, "not-recorded") == 0)
    return "dialog-warning-symbolic";
  return "content-loading-symbolic";
}

static const char *step_state_text(const char *state)
{
  if (state != NULL && strcmp(state, "done") == 0)
    return _("Done");
  if (state != NULL && strcmp(state, "not-recorded") == 0)
    return _("Not recorded");
  return _("To do");
}

static GtkWidget *step_row(JsonNode *p)
{
  const char *state = rgsg_str(p, "state");
  char *title = rgsx_sanitize(rgsg_str(p, "text") != NULL ? rgsg_str(p, "text") : "", (size_t)-1);
  GtkWidget *row = adw_action_row_new();
  GtkWidget *icon = gtk_image_new_from_icon_name(step_icon(state));

  adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title != NULL ? title : "");
  adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
  adw_action_row_set_subtitle(ADW_ACTION_ROW(row), step_state_text(state));
  rgsg_a11y_label(icon, step_state_text(state));
  adw_action_row_add_prefix(ADW_ACTION_ROW(row), icon);
  free(title);
  return row;
}

/* Whether the order's next steps (status --json, next[].step) name code. */
static gboolean next_has(JsonNode *order, const char *code)
{
  JsonNode *next = rgsg_get(order, "next");
  guint i, n = next != NULL && JSON_NODE_HOLDS_ARRAY(next)
                 ? json_array_get_length(json_node_get_array(next)) : 0;
  const char *s;

  for (i = 0; i < n; i++) {
    s = rgsg_str(json_array_get_element(json_node_get_array(next), i), "step");
    if (s != NULL && strcmp(s, code) == 0)
      return TRUE;
  }
  return FALSE;
}

static void show_order(rgsg_win *w, JsonNode *o)
{
  JsonNode *proc = rgsg_get(o, "procedure");
  guint i, n = proc != NULL && JSON_NODE_HOLDS_ARRAY(proc)
                 ? json_array_get_length(json_node_get_array(proc)) : 0;
  char *title = g_strdup_printf(_("Order %lld: %s"), (long long)rgsg_int(o, "id", 0),
                                rgsg_str(o, "summary") != NULL ? rgsg_str(o, "summary") : "");
  char *clean = rgsx_sanitize(title, (size_t)-1);
  gboolean open = !next_has(o, "cancelled") && !next_has(o, "refused");

  gtk_label_set_text(w->hub_title, clean != NULL ? clean : "");
  for (i = 0; i < n; i++)
    gtk_list_box_append(w->hub_steps, step_row(json_array_get_element(json_node_get_array(proc), i)));
  gtk_label_set_text(w->hub_status, rgsg_str(o, "status_label") != NULL
                                      ? rgsg_str(o, "status_label") : "");
  gtk_widget_set_sensitive(w->hub_aed, open);
  gtk_widget_set_sensitive(w->hub_docs, open);
  gtk_widget_set_sensitive(w->hub_export, open);
  gtk_widget_set_sensitive(w->hub_record, open);
  gtk_widget_set_sensitive(w->hub_install, open);
  free(clean);
  g_free(title);
}

static JsonNode *the_order(const rgsg_result *r)
{
  return r->exit_status == 0 ? rgsg_get(r->root, "orders.0") : NULL;
}

static void on_status(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  JsonNode *o = the_order(r);

  rgsg_busy(w->hub_busy, FALSE, NULL);
  if (o == NULL) {
    gtk_label_set_text(w->hub_status, rgsg_error_text(r));
    return;
  }
  show_order(w, o);
}

static void hub_clear(rgsg_win *w)
{
  rgsg_list_clear(w->hub_steps);
  gtk_label_set_text(w->hub_title, "");
  gtk_label_set_text(w->hub_status, "");
}

void rgsg_hub_enter(rgsg_win *w)
{
  char id[32];
  const char *args[] = { "status", id, NULL };

  if (w->running)
    return;
  g_snprintf(id, sizeof(id), "%lld", (long long)w->order_id);
  hub_clear(w);
  rgsg_show(w, "hub", w->hub_close);
  rgsg_busy(w->hub_busy, TRUE, _("Reading your order…"));
  if (!rgsg_win_run(w, args, NULL, FALSE, on_status, w->hub_status))
    rgsg_busy(w->hub_busy, FALSE, NULL);
}

/* The page of the order's next step: the key pair to make (after the
 * check), the certificate to install, else the hub with every step. */
static void on_resume_status(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  JsonNode *o = the_order(r);

  rgsg_busy(w->hub_busy, FALSE, NULL);
  if (o == NULL) {
    rgsg_show(w, "hub", w->hub_close);
    gtk_label_set_text(w->hub_status, rgsg_error_text(r));
    return;
  }
  if (next_has(o, "make-key")) {
    rgsg_check_start(w);
  } else if (next_has(o, "install")) {
    rgsg_install_enter(w);
  } else {
    rgsg_show(w, "hub", w->hub_close);
    show_order(w, o);
  }
}

void rgsg_resume(rgsg_win *w)
{
  char id[32];
  const char *args[] = { "status", id, NULL };

  if (w->running)
    return;
  w->order_id = w->start_order;
  g_snprintf(id, sizeof(id), "%lld", (long long)w->order_id);
  hub_clear(w);
  rgsg_busy(w->hub_busy, TRUE, _("Reading your order…"));
  if (!rgsg_win_run(w, args, NULL, FALSE, on_resume_status, w->hub_status)) {
    rgsg_busy(w->hub_busy, FALSE, NULL);
    rgsg_show(w, "hub", w->hub_close);
  }
}

static void on_hub_close(GtkButton *b, gpointer data)
{
  rgsg_win *w = data;

  (void)b;
  gtk_window_close(w->win);
}

static GtkWidget *hub_button(GtkWidget *box, const char *label, GCallback enter, rgsg_win *w)
{
  GtkWidget *b = gtk_button_new_with_label(label);

  gtk_widget_set_halign(b, GTK_ALIGN_START);
  /* box is the hub's GtkFlowBox: a GtkBox cast drops every button. */
  gtk_flow_box_append(GTK_FLOW_BOX(box), b);
  g_signal_connect_swapped(b, "clicked", enter, w);
  return b;
}

GtkWidget *rgsg_hub_page(rgsg_win *w)
{
  GtkWidget *page = rgsg_page(_("Your order"));
  GtkWidget *row, *scroll, *actions;

  w->hub_title = GTK_LABEL(rgsg_label("", "heading"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(w->hub_title));
  w->hub_busy = rgsg_busy_new("", NULL);
  gtk_box_append(GTK_BOX(page), w->hub_busy);
  w->hub_status = GTK_LABEL(rgsg_label("", NULL));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(w->hub_status));
  w->hub_steps = GTK_LIST_BOX(gtk_list_box_new());
  gtk_list_box_set_selection_mode(w->hub_steps, GTK_SELECTION_NONE);
  gtk_widget_add_css_class(GTK_WIDGET(w->hub_steps), "boxed-list");
  rgsg_a11y_label(GTK_WIDGET(w->hub_steps), _("Steps of the order"));
  scroll = gtk_scrolled_window_new();
  gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), GTK_WIDGET(w->hub_steps));
  gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER,
                                 GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand(scroll, TRUE);
  gtk_box_append(GTK_BOX(page), scroll);
  actions = gtk_flow_box_new();
  gtk_flow_box_set_selection_mode(GTK_FLOW_BOX(actions), GTK_SELECTION_NONE);
  gtk_box_append(GTK_BOX(page), actions);
  w->hub_aed = hub_button(actions, _("AED and appointment"), G_CALLBACK(rgsg_aed_enter), w);
  w->hub_docs = hub_button(actions, _("Documents to post"), G_CALLBACK(rgsg_docs_enter), w);
  w->hub_export = hub_button(actions, _("Dossier for the AED"), G_CALLBACK(rgsg_export_enter), w);
  w->hub_record = hub_button(actions, _("Face-to-face record"), G_CALLBACK(rgsg_record_enter), w);
  w->hub_install = hub_button(actions, _("Install the certificate"),
                              G_CALLBACK(rgsg_install_enter), w);
  row = rgsg_button_row(page);
  gtk_widget_set_vexpand(row, FALSE);
  w->hub_close = rgsg_button(row, _("Close"), TRUE);
  g_signal_connect(w->hub_close, "clicked", G_CALLBACK(on_hub_close), w);
  return page;
}
