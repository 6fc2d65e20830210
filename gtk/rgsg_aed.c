/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_aed.c - the AED page: the offices of the order's département
 * (`order show`, then `aed list --dept NN`, or another département or a
 * postal code chosen here), the way of meeting and its fee (`aed quote`).
 * The appointment itself is in rgsg_book.c. */
#include <stdlib.h>
#include <string.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgsg_aed.h"
#include "rgsg_pin.h"
#include "rgsg_steps.h"
#include "rgsg_ui.h"

/* Metropolitan départements (Corsica as 2A and 2B), then overseas. */
static char **dept_codes(void)
{
  GPtrArray *v = g_ptr_array_new();
  int i;

  for (i = 1; i <= 95; i++) {
    if (i == 20) {
      g_ptr_array_add(v, g_strdup("2A"));
      g_ptr_array_add(v, g_strdup("2B"));
    } else {
      g_ptr_array_add(v, g_strdup_printf("%02d", i));
    }
  }
  for (i = 971; i <= 976; i++)
    if (i != 975)
      g_ptr_array_add(v, g_strdup_printf("%d", i));
  g_ptr_array_add(v, NULL);
  return (char **)g_ptr_array_free(v, FALSE);
}

const char *rgsg_aed_chosen(rgsg_aed_ui *a)
{
  guint i;

  for (i = 0; i < a->radios->len; i++)
    if (gtk_check_button_get_active(g_ptr_array_index(a->radios, i)))
      return g_ptr_array_index(a->ids, i);
  return NULL;
}

const char *rgsg_aed_mode(rgsg_aed_ui *a)
{
  return gtk_check_button_get_active(a->mode_aed) ? "aed-travels" : "holder-travels";
}

int rgsg_aed_km(rgsg_aed_ui *a)
{
  const char *t = gtk_editable_get_text(GTK_EDITABLE(a->km));
  char *end = NULL;
  long v = strtol(t, &end, 10);

  if (t[0] == '\0' || end == NULL || *end != '\0' || v < 0 || v > 2000)
    return -1;
  return (int)v;
}

/* ---- the offices ------------------------------------------------------ */

/* "29 Chemin de Séverin, 13200 ARLES — 04 90 00 00 00 — x@example.fr" */
static char *office_subtitle(JsonNode *o)
{
  GString *s = g_string_new(NULL);
  const char *phone = rgsg_str(o, "phone"), *mail = rgsg_str(o, "email");
  char *c;

  g_string_append_printf(s, "%s, %s %s", rgsg_str0(o, "address"), rgsg_str0(o, "postal_code"),
                         rgsg_str0(o, "city"));
  if (phone != NULL && phone[0] != '\0')
    /* TRANSLATORS: an office's telephone number after its address. */
    g_string_append_printf(s, _(" — telephone %s"), phone);
  if (mail != NULL && mail[0] != '\0')
    /* TRANSLATORS: an office's e-mail address after its address. */
    g_string_append_printf(s, _(" — e-mail %s"), mail);
  c = rgsg_clean(s->str);
  g_string_free(s, TRUE);
  return c;
}

static void on_office_toggled(GtkCheckButton *b, gpointer data)
{
  (void)b;
  rgsg_aed_update(data);
}

static void offices_clear(rgsg_aed_ui *a)
{
  rgsg_list_clear(a->offices);
  g_ptr_array_set_size(a->radios, 0);
  g_ptr_array_set_size(a->ids, 0);
}

static void add_office(rgsg_aed_ui *a, JsonNode *o)
{
  char *name = rgsg_clean(rgsg_str(o, "name")), *sub = office_subtitle(o);
  GtkCheckButton *group = a->radios->len > 0 ? g_ptr_array_index(a->radios, 0) : NULL;
  GtkCheckButton *r = rgsg_choice_row(a->offices, group, name, sub);
  const char *id = rgsg_str(o, "id");

  g_ptr_array_add(a->radios, r);
  g_ptr_array_add(a->ids, g_strdup(id != NULL ? id : ""));
  if (a->appt_aed != NULL && id != NULL && strcmp(a->appt_aed, id) == 0)
    gtk_check_button_set_active(r, TRUE);
  g_signal_connect(r, "toggled", G_CALLBACK(on_office_toggled), a);
  g_free(name);
  g_free(sub);
}

static void aed_quote(rgsg_aed_ui *a);

static void on_list(const rgsg_result *r, gpointer data)
{
  rgsg_aed_ui *a = ((rgsg_win *)data)->aed;   /* rgsg_win_run calls back with the window */
  JsonNode *offices = rgsg_get(r->root, "offices");
  guint i, n = rgsg_len(offices, NULL);

  rgsg_busy(a->busy, FALSE, NULL);
  gtk_widget_set_sensitive(a->show, TRUE);
  if (r->exit_status != 0) {
    gtk_label_set_text(a->status, rgsg_error_text(r));
    return;
  }
  for (i = 0; i < n; i++)
    add_office(a, json_array_get_element(json_node_get_array(offices), i));
  gtk_label_set_text(a->status, n == 0
    ? _("No AED office is known for this département. Choose a neighbouring one, or ask the Chambre de Métiers for the commissaires de justice near you.")
    : "");
  rgsg_aed_update(a);
  aed_quote(a);
}

/* The offices of the département chosen, or of the postal code typed. */
static void aed_list(rgsg_aed_ui *a)
{
  GtkStringObject *item = gtk_drop_down_get_selected_item(a->dept);
  const char *pc = gtk_editable_get_text(GTK_EDITABLE(a->postal));
  const char *args[] = { "aed", "list", pc[0] != '\0' ? "--postal-code" : "--dept",
                         pc[0] != '\0' ? pc : gtk_string_object_get_string(item), NULL };

  if (a->w->running)
    return;
  offices_clear(a);
  gtk_label_set_text(a->status, "");
  gtk_widget_set_sensitive(a->show, FALSE);
  rgsg_busy(a->busy, TRUE, _("Looking for the AED offices…"));
  if (!rgsg_win_run(a->w, args, NULL, FALSE, on_list, a->status)) {
    rgsg_busy(a->busy, FALSE, NULL);
    gtk_widget_set_sensitive(a->show, TRUE);
  }
}

/* ---- the fee ---------------------------------------------------------- */

static char *fee_text(JsonNode *q)
{
  char *ht, *vat, *ttc, *s, *note = rgsg_clean(rgsg_str(q, "note"));

  if (!rgsg_bool(q, "priced", FALSE)) {
    s = g_strdup_printf("%s %s", _("Beyond 30 km the fee is not fixed: ask the AED for a quote before you book."), note);
    g_free(note);
    return s;
  }
  ht = rgsg_money(rgsg_int(q, "ht_cents", 0));
  vat = rgsg_money(rgsg_int(q, "vat_cents", 0));
  ttc = rgsg_money(rgsg_int(q, "ttc_cents", 0));
  s = g_strdup_printf(_("Estimated fee: %s excluding VAT, plus %s VAT (%lld %%), that is %s including VAT. %s"),
                      ht, vat, (long long)rgsg_int(q, "vat_percent", 0), ttc, note);
  g_free(ht);
  g_free(vat);
  g_free(ttc);
  g_free(note);
  return s;
}

static void on_quote(const rgsg_result *r, gpointer data)
{
  rgsg_aed_ui *a = ((rgsg_win *)data)->aed;
  char *text;

  rgsg_busy(a->busy, FALSE, NULL);
  if (r->exit_status != 0) {
    gtk_label_set_text(a->fee, rgsg_error_text(r));
  } else {
    text = fee_text(rgsg_get(r->root, "quote"));
    gtk_label_set_text(a->fee, text);
    g_free(text);
  }
  rgsg_aed_after_child(a);
}

static void aed_quote(rgsg_aed_ui *a)
{
  char km[16];
  int d = rgsg_aed_km(a);
  const char *args[] = { "aed", "quote", "--mode", rgsg_aed_mode(a), NULL, NULL, NULL };

  if (a->w->running) {
    a->quote_pending = TRUE;
    return;
  }
  a->quote_pending = FALSE;
  gtk_widget_set_sensitive(a->km, gtk_check_button_get_active(a->mode_aed));
  if (gtk_check_button_get_active(a->mode_aed)) {
    if (d < 0) {
      gtk_label_set_text(a->fee, _("Type the distance in km from the AED's office to you: the fee depends on it."));
      return;
    }
    g_snprintf(km, sizeof(km), "%d", d);
    args[4] = "--distance-km";
    args[5] = km;
  }
  rgsg_busy(a->busy, TRUE, _("Estimating the fee…"));
  if (!rgsg_win_run(a->w, args, NULL, FALSE, on_quote, a->fee))
    rgsg_busy(a->busy, FALSE, NULL);
}

void rgsg_aed_after_child(rgsg_aed_ui *a)
{
  rgsg_aed_update(a);
  if (a->quote_pending)
    aed_quote(a);
}

static void on_mode(GtkCheckButton *b, gpointer data)
{
  /* Both radios toggle: the one switched on asks. */
  if (gtk_check_button_get_active(b))
    aed_quote(data);
}

static void on_km(GtkEditable *e, gpointer data)
{
  (void)e;
  aed_quote(data);
  rgsg_aed_update(data);
}

/* ---- entering the page ---------------------------------------------- */

static void select_dept(rgsg_aed_ui *a, const char *dept)
{
  GListModel *m = G_LIST_MODEL(gtk_drop_down_get_model(a->dept));
  guint i, n = g_list_model_get_n_items(m);
  GtkStringObject *s;
  gboolean found = FALSE;

  for (i = 0; dept != NULL && i < n && !found; i++) {
    s = g_list_model_get_item(m, i);
    found = strcmp(gtk_string_object_get_string(s), dept) == 0;
    if (found)
      gtk_drop_down_set_selected(a->dept, i);
    g_object_unref(s);
  }
}

static void on_show(const rgsg_result *r, gpointer data)
{
  rgsg_aed_ui *a = ((rgsg_win *)data)->aed;
  const char *dept = rgsg_str(r->root, "order.dept");
  JsonNode *appt = rgsg_get(r->root, "appointment");

  rgsg_busy(a->busy, FALSE, NULL);
  if (r->exit_status != 0) {
    gtk_label_set_text(a->status, rgsg_error_text(r));
    return;
  }
  g_free(a->appt_aed);
  a->appt_aed = g_strdup(appt != NULL ? rgsg_str(appt, "aed.id") : NULL);
  rgsg_book_show(a, appt);
  if (dept != NULL) {
    select_dept(a, dept);
    aed_list(a);
  } else {
    gtk_label_set_text(a->status, _("Your order does not say its département: choose it, or type your postal code, then press Show the offices."));
    rgsg_show(a->w, "aed", a->show);
  }
}

void rgsg_aed_enter(rgsg_win *w)
{
  rgsg_aed_ui *a = w->aed;
  char id[32];
  const char *args[] = { "order", "show", id, NULL };

  if (w->running)
    return;
  g_snprintf(id, sizeof(id), "%lld", (long long)w->order_id);
  offices_clear(a);
  gtk_label_set_text(a->status, "");
  rgsg_book_show(a, NULL);
  rgsg_show(w, "aed", a->book);
  rgsg_busy(a->busy, TRUE, _("Reading your order…"));
  if (!rgsg_win_run(w, args, NULL, FALSE, on_show, a->status))
    rgsg_busy(a->busy, FALSE, NULL);
}

/* ---- the page ------------------------------------------------------- */

static void aed_ui_free(gpointer p)
{
  rgsg_aed_ui *a = p;

  g_ptr_array_unref(a->radios);
  g_ptr_array_unref(a->ids);
  g_free(a->appt_aed);
  g_free(a);
}

static void build_where(rgsg_aed_ui *a, GtkWidget *body)
{
  GtkWidget *line = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *l = rgsg_label(_("Département"), NULL);
  char **codes = dept_codes();

  a->dept = GTK_DROP_DOWN(gtk_drop_down_new_from_strings((const char *const *)codes));
  g_strfreev(codes);
  gtk_label_set_mnemonic_widget(GTK_LABEL(l), GTK_WIDGET(a->dept));
  rgsg_a11y_label(GTK_WIDGET(a->dept), _("Département"));
  gtk_box_append(GTK_BOX(line), l);
  gtk_box_append(GTK_BOX(line), GTK_WIDGET(a->dept));
  gtk_box_append(GTK_BOX(body), line);
  a->postal = rgsg_labelled_entry(line, _("or postal code"));
  gtk_entry_set_max_length(GTK_ENTRY(a->postal), 5);
  a->show = gtk_button_new_with_label(_("Show the offices"));
  gtk_box_append(GTK_BOX(line), a->show);
  g_signal_connect_swapped(a->show, "clicked", G_CALLBACK(aed_list), a);
}

static void build_mode(rgsg_aed_ui *a, GtkWidget *body)
{
  GtkListBox *modes;

  gtk_box_append(GTK_BOX(body), rgsg_label(_("How you meet"), "heading"));
  modes = rgsg_boxed_list(body, _("How you meet"));
  a->mode_holder = rgsg_choice_row(modes, NULL, _("I go to the AED's office"), NULL);
  a->mode_aed = rgsg_choice_row(modes, a->mode_holder, _("The AED comes to me"),
                                _("Travel costs depend on the distance."));
  gtk_check_button_set_active(a->mode_holder, TRUE);
  g_signal_connect(a->mode_holder, "toggled", G_CALLBACK(on_mode), a);
  g_signal_connect(a->mode_aed, "toggled", G_CALLBACK(on_mode), a);
  a->km = rgsg_labelled_entry(body, _("Distance from the AED's office to you, in km"));
  g_signal_connect(a->km, "changed", G_CALLBACK(on_km), a);
  a->fee = GTK_LABEL(rgsg_label("", NULL));
  gtk_box_append(GTK_BOX(body), GTK_WIDGET(a->fee));
}

GtkWidget *rgsg_aed_page(rgsg_win *w)
{
  GtkWidget *page = rgsg_page(_("The AED and the appointment"));
  rgsg_aed_ui *a = g_new0(rgsg_aed_ui, 1);
  GtkWidget *body, *row;

  w->aed = a;
  a->w = w;
  a->radios = g_ptr_array_new();
  a->ids = g_ptr_array_new_with_free_func(g_free);
  g_object_set_data_full(G_OBJECT(page), "rgsg-aed", a, aed_ui_free);
  gtk_box_append(GTK_BOX(page), rgsg_label(
    _("An AED (a commissaire de justice) checks your identity face to face. Choose an office, how you meet, then the day and time you agreed with it."), "dim-label"));
  a->busy = rgsg_busy_new("", NULL);
  gtk_box_append(GTK_BOX(page), a->busy);
  a->status = GTK_LABEL(rgsg_label("", "heading"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(a->status));
  body = rgsg_scrolled_body(page);
  build_where(a, body);
  a->offices = rgsg_boxed_list(body, _("AED offices"));
  build_mode(a, body);
  row = rgsg_button_row(page);
  gtk_widget_set_vexpand(row, FALSE);
  a->back = rgsg_button(row, _("Back"), FALSE);
  g_signal_connect_swapped(a->back, "clicked", G_CALLBACK(rgsg_hub_enter), w);
  rgsg_book_build(a, body, row);
  return page;
}
