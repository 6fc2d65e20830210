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
#include "rgsg_steps.h"
#include "rgsg_ui.h"

#define RGSG_HUB_PORTAL "https://www.certigna.fr"

static const char *step_icon(const char *state)
{
  if (state != NULL && strcmp(state, "done") == 0)
    return "emblem-ok-symbolic";
  if (state != NULL && strcmp(state, "not-recorded") == 0)
    return "dialog-warning-symbolic";
  return "content-loading-symbolic";
}

/* A step in the window's words: its title, its state and where it
 * happens ("Done — on the Certigna portal"); the command's text for a step
 * this window does not know. */
static GtkWidget *step_row(JsonNode *p)
{
  const char *state = rgsg_str(p, "state"), *where = rgsg_where_text(rgsg_str(p, "where"));
  const char *known = rgsg_step_title(rgsg_str(p, "step"));
  char *title = known != NULL ? g_strdup(known) : rgsg_clean(rgsg_str(p, "text"));
  char *sub = where != NULL
    /* TRANSLATORS: a step's state, then where it happens ("Done — At the AED's, face to face"). */
    ? g_strdup_printf(_("%s — %s"), rgsg_step_state_text(state), where)
    : g_strdup(rgsg_step_state_text(state));
  GtkWidget *row = adw_action_row_new();
  GtkWidget *icon = gtk_image_new_from_icon_name(step_icon(state));

  adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
  adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
  adw_action_row_set_subtitle(ADW_ACTION_ROW(row), sub);
  rgsg_a11y_label(icon, rgsg_step_state_text(state));
  adw_action_row_add_prefix(ADW_ACTION_ROW(row), icon);
  g_free(sub);
  g_free(title);
  return row;
}

/* Whether the order's next steps (status --json, next[].step) name code. */
static gboolean next_has(JsonNode *order, const char *code)
{
  JsonNode *next = rgsg_get(order, "next");
  guint i, n = rgsg_len(next, NULL);
  const char *s;

  for (i = 0; i < n; i++) {
    s = rgsg_str(json_array_get_element(json_node_get_array(next), i), "step");
    if (s != NULL && strcmp(s, code) == 0)
      return TRUE;
  }
  return FALSE;
}

/* The screen's button for a next step, NULL when none does it here. */
static GtkWidget *step_button(rgsg_win *w, const char *step)
{
  static const struct { const char *step; size_t off; } map[] = {
    { "make-key", G_STRUCT_OFFSET(rgsg_win, hub_key) },
    { "submit", G_STRUCT_OFFSET(rgsg_win, hub_portal) },
    { "accept-cgu", G_STRUCT_OFFSET(rgsg_win, hub_portal) },
    { "choose-payment", G_STRUCT_OFFSET(rgsg_win, hub_portal) },
    { "choose-aed", G_STRUCT_OFFSET(rgsg_win, hub_aed) },
    { "book-aed", G_STRUCT_OFFSET(rgsg_win, hub_aed) },
    { "meet-aed", G_STRUCT_OFFSET(rgsg_win, hub_aed) },
    { "prepare-documents", G_STRUCT_OFFSET(rgsg_win, hub_docs) },
    { "send-documents", G_STRUCT_OFFSET(rgsg_win, hub_docs) },
    { "import-f2f-record", G_STRUCT_OFFSET(rgsg_win, hub_record) },
    { "install", G_STRUCT_OFFSET(rgsg_win, hub_install) },
    { "install-refused", G_STRUCT_OFFSET(rgsg_win, hub_install) },
  };
  size_t i;

  for (i = 0; step != NULL && i < RGS_ARRAY_LEN(map); i++)
    if (strcmp(map[i].step, step) == 0)
      return G_STRUCT_MEMBER(GtkWidget *, w, map[i].off);
  return NULL;
}

/* What to do now, one row each; returns the button of the first step a
 * screen of the window does (the one suggested), or NULL. */
static GtkWidget *show_next(rgsg_win *w, JsonNode *o)
{
  JsonNode *next = rgsg_get(o, "next"), *it;
  guint i, n = rgsg_len(next, NULL);
  GtkWidget *row, *first = NULL;
  const char *known;
  char *text;

  for (i = 0; i < n; i++) {
    it = json_array_get_element(json_node_get_array(next), i);
    known = rgsg_next_text(rgsg_str(it, "step"));
    text = known != NULL ? g_strdup(known) : rgsg_clean(rgsg_str(it, "text"));
    row = adw_action_row_new();
    adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), text);
    gtk_list_box_append(w->hub_next, row);
    if (first == NULL)
      first = step_button(w, rgsg_str(it, "step"));
    g_free(text);
  }
  return first;
}

static void show_order(rgsg_win *w, JsonNode *o)
{
  JsonNode *proc = rgsg_get(o, "procedure");
  guint i, n = rgsg_len(proc, NULL);
  char *title = g_strdup_printf(_("Order %lld: %s"), (long long)rgsg_int(o, "id", 0),
                                rgsg_str(o, "summary") != NULL ? rgsg_str(o, "summary") : "");
  char *text = rgsg_clean(title);
  gboolean open = !next_has(o, "cancelled") && !next_has(o, "refused");
  GtkWidget *buttons[] = { w->hub_aed, w->hub_docs, w->hub_export, w->hub_record, w->hub_install,
                           w->hub_key, w->hub_portal };
  GtkWidget *suggested;

  gtk_label_set_text(w->hub_title, text);
  g_free(text);
  for (i = 0; i < n; i++)
    gtk_list_box_append(w->hub_steps, step_row(json_array_get_element(json_node_get_array(proc), i)));
  text = rgsg_clean(rgsg_str(o, "status_label"));
  gtk_label_set_text(w->hub_status, text);
  g_free(text);
  /* The flow box's cell, not only the button: no empty cell left. */
  gtk_widget_set_visible(gtk_widget_get_parent(w->hub_key), next_has(o, "make-key"));
  gtk_widget_set_visible(gtk_widget_get_parent(w->hub_portal),
                         next_has(o, "submit") || next_has(o, "accept-cgu") ||
                           next_has(o, "choose-payment"));
  suggested = show_next(w, o);
  for (i = 0; i < RGS_ARRAY_LEN(buttons); i++) {
    gtk_widget_set_sensitive(buttons[i], open);
    if (buttons[i] == suggested)
      gtk_widget_add_css_class(buttons[i], "suggested-action");
    else
      gtk_widget_remove_css_class(buttons[i], "suggested-action");
  }
  rgsg_show(w, "hub", suggested != NULL && open ? suggested : w->hub_close);
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
  rgsg_list_clear(w->hub_next);
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
  gtk_flow_box_append(GTK_FLOW_BOX(box), b);
  g_signal_connect_swapped(b, "clicked", enter, w);
  return b;
}

/* The portal in the person's browser: the request is uploaded there. */
static void on_portal(rgsg_win *w)
{
  gtk_show_uri(w->win, RGSG_HUB_PORTAL, GDK_CURRENT_TIME);
}

static GtkWidget *hub_actions(rgsg_win *w, GtkWidget *body)
{
  GtkWidget *actions = gtk_flow_box_new();

  gtk_flow_box_set_selection_mode(GTK_FLOW_BOX(actions), GTK_SELECTION_NONE);
  gtk_flow_box_set_max_children_per_line(GTK_FLOW_BOX(actions), 3);
  gtk_box_append(GTK_BOX(body), actions);
  w->hub_key = hub_button(actions, _("Make the key pair"), G_CALLBACK(rgsg_check_start), w);
  w->hub_portal = hub_button(actions, _("Open the Certigna portal"), G_CALLBACK(on_portal), w);
  w->hub_aed = hub_button(actions, _("AED and appointment"), G_CALLBACK(rgsg_aed_enter), w);
  w->hub_docs = hub_button(actions, _("Documents to post"), G_CALLBACK(rgsg_docs_enter), w);
  w->hub_export = hub_button(actions, _("Dossier for the AED"), G_CALLBACK(rgsg_export_enter), w);
  w->hub_record = hub_button(actions, _("Face-to-face record"), G_CALLBACK(rgsg_record_enter), w);
  w->hub_install = hub_button(actions, _("Install the certificate"),
                              G_CALLBACK(rgsg_install_enter), w);
  return actions;
}

GtkWidget *rgsg_hub_page(rgsg_win *w)
{
  GtkWidget *page = rgsg_page(_("Your order"));
  GtkWidget *row, *body;

  w->hub_title = GTK_LABEL(rgsg_label("", "heading"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(w->hub_title));
  w->hub_busy = rgsg_busy_new("", NULL);
  gtk_box_append(GTK_BOX(page), w->hub_busy);
  w->hub_status = GTK_LABEL(rgsg_label("", NULL));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(w->hub_status));
  body = rgsg_scrolled_body(page);
  gtk_box_append(GTK_BOX(body), rgsg_label(_("What to do now"), "heading"));
  w->hub_next = rgsg_boxed_list(body, _("What to do now"));
  hub_actions(w, body);
  gtk_box_append(GTK_BOX(body), rgsg_label(_("The six steps"), "heading"));
  w->hub_steps = rgsg_boxed_list(body, _("Steps of the order"));
  row = rgsg_button_row(page);
  gtk_widget_set_vexpand(row, FALSE);
  w->hub_close = rgsg_button(row, _("Close"), FALSE);
  g_signal_connect(w->hub_close, "clicked", G_CALLBACK(on_hub_close), w);
  return page;
}
