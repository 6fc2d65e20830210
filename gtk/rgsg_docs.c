/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_docs.c - the four paper originals to post to Certigna (`order docs
 * N`): their state and dates in words, the date rules as warnings (the
 * notes' codes worded here), a document's state and dates set (`--set DOC
 * --state S --date D --expires D`), the planned sending day (`--planned`),
 * the sending recorded (`--sent`), and where to post them. */
#include <stdlib.h>
#include <string.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgsg_internal.h"
#include "rgsg_pin.h"
#include "rgsg_steps.h"
#include "rgsg_ui.h"

static const char *const kinds[] = { "request-form", "intervention-form", "id-document",
                                     "registration-extract" };
static const char *const states[] = { "missing", "ready", "sent", "accepted" };

struct rgsg_docs_ui {
  rgsg_win *w;
  GtkWidget *busy;
  GtkLabel *status, *address, *planned_text;
  GtkListBox *docs, *notes;
  GtkCheckButton *radios[4];
  JsonNode *shown;            /* the last `order docs` document, owned */
  GtkCheckButton *state[4];   /* missing, ready, sent, accepted */
  GtkWidget *issued, *expires, *save;
  GtkWidget *planned, *plan, *sent, *send, *back;
};

typedef struct rgsg_docs_ui rgsg_docs_ui;

/* The document of kind in the last result, or NULL. */
static JsonNode *doc_of(rgsg_docs_ui *d, const char *kind)
{
  JsonNode *docs = d->shown != NULL ? rgsg_get(d->shown, "documents") : NULL, *it;
  guint i, n = rgsg_len(docs, NULL);

  for (i = 0; i < n; i++) {
    it = json_array_get_element(json_node_get_array(docs), i);
    if (g_strcmp0(rgsg_str(it, "kind"), kind) == 0)
      return it;
  }
  return NULL;
}

static int chosen(rgsg_docs_ui *d)
{
  int k;

  for (k = 0; k < 4 && d->radios[k] != NULL; k++)
    if (gtk_check_button_get_active(d->radios[k]))
      return k;
  return -1;
}

/* ---- showing the documents ---------------------------------------------- */

/* "Ready — issued on 1 December 2026 — sent on ..." */
static char *doc_subtitle(JsonNode *doc)
{
  GString *s = g_string_new(rgsg_doc_state_text(rgsg_str(doc, "state")));
  char *c;

  if (rgsg_str(doc, "issued_on") != NULL) {
    char *day = rgsg_when(rgsg_str(doc, "issued_on"), FALSE);
    g_string_append_printf(s, _(" — issued on %s"), day);
    g_free(day);
  }
  if (rgsg_str(doc, "expires_on") != NULL) {
    char *day = rgsg_when(rgsg_str(doc, "expires_on"), FALSE);
    g_string_append_printf(s, _(" — valid until %s"), day);
    g_free(day);
  }
  if (rgsg_str(doc, "sent_on") != NULL) {
    char *day = rgsg_when(rgsg_str(doc, "sent_on"), FALSE);
    g_string_append_printf(s, _(" — sent on %s"), day);
    g_free(day);
  }
  c = rgsg_clean(s->str);
  g_string_free(s, TRUE);
  return c;
}

static void on_doc_toggled(GtkCheckButton *b, gpointer data);

static void show_docs(rgsg_docs_ui *d)
{
  GtkCheckButton *group = NULL;
  int k, was = chosen(d);
  char *sub;
  JsonNode *doc;

  rgsg_list_clear(d->docs);
  for (k = 0; k < 4; k++) {
    doc = doc_of(d, kinds[k]);
    sub = doc != NULL ? doc_subtitle(doc) : g_strdup("");
    d->radios[k] = rgsg_choice_row(d->docs, group, rgsg_doc_title(kinds[k]), sub);
    group = d->radios[0];
    g_signal_connect(d->radios[k], "toggled", G_CALLBACK(on_doc_toggled), d);
    g_free(sub);
  }
  gtk_check_button_set_active(d->radios[was >= 0 ? was : 0], TRUE);
}

static GtkWidget *note_row(const char *text)
{
  GtkWidget *row = adw_action_row_new();
  GtkWidget *icon = gtk_image_new_from_icon_name("dialog-warning-symbolic");

  adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
  adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), text);
  rgsg_a11y_label(icon, _("Warning"));
  adw_action_row_add_prefix(ADW_ACTION_ROW(row), icon);
  return row;
}

/* The date rules as warnings; a missing document is in its own row. */
static void show_notes(rgsg_docs_ui *d)
{
  JsonNode *notes = rgsg_get(d->shown, "notes"), *it;
  guint i, n = rgsg_len(notes, NULL);
  const char *code;
  char *text;

  rgsg_list_clear(d->notes);
  for (i = 0; i < n; i++) {
    it = json_array_get_element(json_node_get_array(notes), i);
    code = rgsg_str(it, "code");
    if (g_strcmp0(code, "missing") == 0)
      continue;
    text = rgsg_doc_note_text(code, rgsg_str(it, "document"), rgsg_str(it, "date"));
    if (text == NULL)
      text = rgsg_clean(rgsg_str(it, "text"));
    gtk_list_box_append(d->notes, note_row(text));
    g_free(text);
  }
  gtk_widget_set_visible(GTK_WIDGET(d->notes), gtk_widget_get_first_child(GTK_WIDGET(d->notes)) != NULL);
}

/* Each line sanitised apart: a newline would not survive rgsx_sanitize. */
static void show_address(rgsg_docs_ui *d)
{
  JsonNode *addr = rgsg_get(d->shown, "postal_address");
  guint i, n = rgsg_len(addr, NULL);
  GString *s = g_string_new(_("Post the four originals together to:"));
  char *c;

  for (i = 0; i < n; i++) {
    c = rgsg_clean(json_array_get_string_element(json_node_get_array(addr), i));
    g_string_append_c(s, '\n');
    g_string_append(s, c);
    g_free(c);
  }
  gtk_label_set_text(d->address, s->str);
  g_string_free(s, TRUE);
}

static void show_planned(rgsg_docs_ui *d)
{
  const char *p = rgsg_str(d->shown, "planned_sending");
  char *day, *text;

  if (p == NULL) {
    gtk_label_set_text(d->planned_text, _("No sending day is planned yet."));
    return;
  }
  day = rgsg_when(p, FALSE);
  text = g_strdup_printf(_("You plan to post them on %s."), day);
  gtk_label_set_text(d->planned_text, text);
  g_free(text);
  g_free(day);
}

static void show_result(rgsg_docs_ui *d, JsonNode *root)
{
  if (d->shown != NULL)
    json_node_unref(d->shown);
  d->shown = json_node_copy(root);
  show_docs(d);
  show_notes(d);
  show_address(d);
  show_planned(d);
}

/* ---- the forms ---------------------------------------------------------- */

/* An ISO day into the entry as a person writes it (20/12/2026). */
static void set_day(GtkWidget *entry, const char *iso)
{
  char text[16] = "";
  int y, m, day;

  if (iso != NULL && sscanf(iso, "%4d-%2d-%2d", &y, &m, &day) == 3)
    g_snprintf(text, sizeof(text), "%02d/%02d/%04d", day, m, y);
  gtk_editable_set_text(GTK_EDITABLE(entry), text);
}

static void docs_update(rgsg_docs_ui *d)
{
  char iso[32];
  gboolean busy = d->w->running;

  gtk_widget_set_sensitive(d->save, !busy && chosen(d) >= 0 &&
                           rgsg_date_field_iso(d->issued, iso, sizeof(iso)) >= 0 &&
                           rgsg_date_field_iso(d->expires, iso, sizeof(iso)) >= 0);
  gtk_widget_set_sensitive(d->plan, !busy && rgsg_date_field_iso(d->planned, iso, sizeof(iso)) > 0);
  gtk_widget_set_sensitive(d->send, !busy && rgsg_date_field_iso(d->sent, iso, sizeof(iso)) > 0);
}

/* The form shows the chosen document: its state, the date it needs. */
static void on_doc_toggled(GtkCheckButton *b, gpointer data)
{
  rgsg_docs_ui *d = data;
  int k = chosen(d);
  JsonNode *doc;
  guint s;

  if (!gtk_check_button_get_active(b) || k < 0)
    return;
  doc = doc_of(d, kinds[k]);
  for (s = 0; s < RGS_ARRAY_LEN(states); s++)
    if (doc != NULL && g_strcmp0(rgsg_str(doc, "state"), states[s]) == 0)
      gtk_check_button_set_active(d->state[s], TRUE);
  set_day(d->issued, doc != NULL ? rgsg_str(doc, "issued_on") : NULL);
  set_day(d->expires, doc != NULL ? rgsg_str(doc, "expires_on") : NULL);
  gtk_widget_set_visible(gtk_widget_get_parent(gtk_widget_get_parent(d->issued)), k == 3);
  gtk_widget_set_visible(gtk_widget_get_parent(gtk_widget_get_parent(d->expires)), k == 2);
  docs_update(d);
}

static void on_field(GtkEditable *e, gpointer data)
{
  (void)e;
  docs_update(data);
}

/* ---- the children --------------------------------------------------------- */

static void on_docs(const rgsg_result *r, gpointer data)
{
  rgsg_docs_ui *d = ((rgsg_win *)data)->docs;   /* rgsg_win_run calls back with the window */
  const char *detail = rgsg_str(r->root, "error.detail");
  char *text, *c;

  rgsg_busy(d->busy, FALSE, NULL);
  if (r->exit_status == 0) {
    gtk_label_set_text(d->status, "");
    show_result(d, r->root);
  } else {
    /* A rule refused (check-failed): its detail says which one. */
    text = g_strdup_printf("%s%s%s", rgsg_error_text(r), detail != NULL ? " — " : "",
                           detail != NULL ? detail : "");
    c = rgsg_clean(text);
    gtk_label_set_text(d->status, c);
    g_free(c);
    g_free(text);
  }
  docs_update(d);
}

/* `order docs N` and the options in extra (NULL-terminated, at most 10). */
static void docs_run(rgsg_docs_ui *d, const char *const *extra, const char *busy_text)
{
  char id[32];
  const char *args[16] = { "order", "docs", id };
  size_t n = 3, i;

  if (d->w->running)
    return;
  g_snprintf(id, sizeof(id), "%lld", (long long)d->w->order_id);
  for (i = 0; extra != NULL && extra[i] != NULL && n < RGS_ARRAY_LEN(args) - 1; i++)
    args[n++] = extra[i];
  args[n] = NULL;
  rgsg_busy(d->busy, TRUE, busy_text);
  if (!rgsg_win_run(d->w, args, NULL, FALSE, on_docs, d->status))
    rgsg_busy(d->busy, FALSE, NULL);
  docs_update(d);
}

static void on_save(rgsg_docs_ui *d)
{
  char issued[32], expires[32];
  const char *extra[10] = { "--set", NULL, "--state", NULL };
  size_t n = 4;
  int k = chosen(d);
  guint s = 0;

  if (k < 0)
    return;
  while (s + 1 < RGS_ARRAY_LEN(states) && !gtk_check_button_get_active(d->state[s]))
    s++;
  extra[1] = kinds[k];
  extra[3] = states[s];
  if (k == 3 && rgsg_date_field_iso(d->issued, issued, sizeof(issued)) > 0) {
    extra[n++] = "--date";
    extra[n++] = issued;
  }
  if (k == 2 && rgsg_date_field_iso(d->expires, expires, sizeof(expires)) > 0) {
    extra[n++] = "--expires";
    extra[n++] = expires;
  }
  extra[n] = NULL;
  docs_run(d, extra, _("Saving the document…"));
}

static void on_plan(rgsg_docs_ui *d)
{
  char day[32];
  const char *extra[] = { "--planned", day, NULL };

  if (rgsg_date_field_iso(d->planned, day, sizeof(day)) > 0)
    docs_run(d, extra, _("Saving the planned day…"));
}

static void on_send(rgsg_docs_ui *d)
{
  char day[32];
  const char *extra[] = { "--sent", day, NULL };

  if (rgsg_date_field_iso(d->sent, day, sizeof(day)) > 0)
    docs_run(d, extra, _("Recording the sending…"));
}

void rgsg_docs_enter(rgsg_win *w)
{
  rgsg_docs_ui *d = w->docs;

  if (w->running)
    return;
  gtk_label_set_text(d->status, "");
  rgsg_show(w, "docs", d->back);
  docs_run(d, NULL, _("Reading the documents…"));
}

/* ---- the page ------------------------------------------------------------- */

static void docs_ui_free(gpointer p)
{
  rgsg_docs_ui *d = p;

  if (d->shown != NULL)
    json_node_unref(d->shown);
  g_free(d);
}

static GtkWidget *action_line(GtkWidget *body, const char *button, GCallback cb, rgsg_docs_ui *d)
{
  GtkWidget *b = gtk_button_new_with_label(button);

  gtk_widget_set_halign(b, GTK_ALIGN_END);
  gtk_box_append(GTK_BOX(body), b);
  g_signal_connect_swapped(b, "clicked", cb, d);
  return b;
}

static void build_form(rgsg_docs_ui *d, GtkWidget *body)
{
  const char *names[] = { _("Missing"), _("Ready"), _("Sent"), _("Accepted by Certigna") };
  GtkWidget *line = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
  guint i;

  gtk_box_append(GTK_BOX(body), rgsg_label(_("Change the document chosen"), "heading"));
  gtk_box_append(GTK_BOX(line), rgsg_label(_("Its state:"), NULL));
  for (i = 0; i < RGS_ARRAY_LEN(names); i++) {
    d->state[i] = GTK_CHECK_BUTTON(gtk_check_button_new_with_label(names[i]));
    if (i > 0)
      gtk_check_button_set_group(d->state[i], d->state[0]);
    gtk_box_append(GTK_BOX(line), GTK_WIDGET(d->state[i]));
  }
  gtk_check_button_set_active(d->state[0], TRUE);
  gtk_box_append(GTK_BOX(body), line);
  /* Each date field sits in its own box, shown for its document only. */
  line = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
  gtk_box_append(GTK_BOX(body), line);
  d->issued = rgsg_date_field(line, _("Date of issue of the extract"), RGSX_DATE_WANT_DAY);
  line = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
  gtk_box_append(GTK_BOX(body), line);
  d->expires = rgsg_date_field(line, _("End of validity of the identity document"), RGSX_DATE_WANT_DAY);
  d->save = action_line(body, _("Save the document"), G_CALLBACK(on_save), d);
  g_signal_connect(d->issued, "changed", G_CALLBACK(on_field), d);
  g_signal_connect(d->expires, "changed", G_CALLBACK(on_field), d);
}

static void build_sending(rgsg_docs_ui *d, GtkWidget *body)
{
  gtk_box_append(GTK_BOX(body), rgsg_label(_("Sending"), "heading"));
  d->address = GTK_LABEL(rgsg_label("", NULL));
  gtk_label_set_selectable(d->address, TRUE);
  gtk_box_append(GTK_BOX(body), GTK_WIDGET(d->address));
  d->planned_text = GTK_LABEL(rgsg_label("", NULL));
  gtk_box_append(GTK_BOX(body), GTK_WIDGET(d->planned_text));
  d->planned = rgsg_date_field(body, _("Day you plan to post them"), RGSX_DATE_WANT_DAY);
  d->plan = action_line(body, _("Save the planned day"), G_CALLBACK(on_plan), d);
  d->sent = rgsg_date_field(body, _("Day you posted them"), RGSX_DATE_WANT_DAY);
  d->send = action_line(body, _("Record the sending"), G_CALLBACK(on_send), d);
  g_signal_connect(d->planned, "changed", G_CALLBACK(on_field), d);
  g_signal_connect(d->sent, "changed", G_CALLBACK(on_field), d);
}

GtkWidget *rgsg_docs_page(rgsg_win *w)
{
  GtkWidget *page = rgsg_page(_("The documents to post"));
  rgsg_docs_ui *d = g_new0(rgsg_docs_ui, 1);
  GtkWidget *body, *row;

  w->docs = d;
  d->w = w;
  g_object_set_data_full(G_OBJECT(page), "rgsg-docs", d, docs_ui_free);
  gtk_box_append(GTK_BOX(page), rgsg_label(
    _("Certigna needs four paper originals by post. The registration extract must be under three months old on the day you post it; your identity document must be valid on the face-to-face day."), "dim-label"));
  d->busy = rgsg_busy_new("", NULL);
  gtk_box_append(GTK_BOX(page), d->busy);
  d->status = GTK_LABEL(rgsg_label("", "heading"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(d->status));
  body = rgsg_scrolled_body(page);
  d->docs = rgsg_boxed_list(body, _("The four originals"));
  d->notes = rgsg_boxed_list(body, _("Warnings"));
  build_form(d, body);
  build_sending(d, body);
  row = rgsg_button_row(page);
  gtk_widget_set_vexpand(row, FALSE);
  d->back = rgsg_button(row, _("Back"), TRUE);
  g_signal_connect_swapped(d->back, "clicked", G_CALLBACK(rgsg_hub_enter), w);
  return page;
}
