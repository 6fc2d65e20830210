/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_order.c - the order: chosen from `order list`, or recorded with
 * `order new` through a form that checks as the person types. */
#include <stdlib.h>
#include <string.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgsg_form.h"
#include "rgsg_internal.h"
#include "rgsg_pin.h"
#include "rgsg_ui.h"

/* ---- choosing an order ------------------------------------------------ */

static void on_order_toggled(GtkCheckButton *b, gpointer data)
{
  rgsg_win *w = data;

  if (!gtk_check_button_get_active(b))
    return;
  w->order_id = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(b), "order-id"));
  gtk_widget_set_sensitive(w->order_next, TRUE);
}

static GtkWidget *order_choice(rgsg_win *w, JsonNode *o)
{
  char *text = g_strdup_printf(_("Order %lld: %s %s, %s"), (long long)rgsg_int(o, "id", 0),
                               rgsg_str(o, "holder.first_name"), rgsg_str(o, "holder.last_name"),
                               rgsg_str(o, "company.name"));
  char *c = rgsx_sanitize(text, (size_t)-1);
  GtkWidget *b = gtk_check_button_new_with_label(c != NULL ? c : "");

  if (w->order_group != NULL)
    gtk_check_button_set_group(GTK_CHECK_BUTTON(b), w->order_group);
  else
    w->order_group = GTK_CHECK_BUTTON(b);
  g_object_set_data(G_OBJECT(b), "order-id", GINT_TO_POINTER((int)rgsg_int(o, "id", 0)));
  g_signal_connect(b, "toggled", G_CALLBACK(on_order_toggled), w);
  free(c);
  g_free(text);
  return b;
}

/* `order list` has no "ok" on every version: the exit status decides. */
static void on_orders(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  JsonNode *orders = rgsg_get(r->root, "orders");
  guint i, n = rgsg_len(orders, NULL);

  rgsg_busy(w->order_busy, FALSE, NULL);
  if (r->exit_status != 0) {
    gtk_label_set_text(w->order_status, rgsg_error_text(r));
    return;
  }
  for (i = 0; i < n; i++)
    gtk_list_box_append(w->order_list,
                        order_choice(w, json_array_get_element(json_node_get_array(orders), i)));
  gtk_label_set_text(w->order_status,
                     n == 0 ? _("No order is recorded yet: record the one you placed on the Certigna portal.")
                            : _("Choose the order this key is for, or record a new one."));
  if (w->order_group != NULL)
    gtk_widget_grab_focus(GTK_WIDGET(w->order_group));
}

void rgsg_order_enter(rgsg_win *w)
{
  static const char *const args[] = { "order", "list", NULL };

  if (w->running)
    return;
  rgsg_list_clear(w->order_list);
  w->order_group = NULL;
  w->order_id = 0;
  gtk_widget_set_sensitive(w->order_next, FALSE);
  gtk_label_set_text(w->order_status, "");
  rgsg_show(w, "order", w->order_next);
  rgsg_busy(w->order_busy, TRUE, _("Reading your orders…"));
  if (!rgsg_win_run(w, args, NULL, FALSE, on_orders, w->order_status))
    rgsg_busy(w->order_busy, FALSE, NULL);
}

static void on_order_next(GtkButton *b, gpointer data)
{
  (void)b;
  rgsg_key_enter(data);
}

static void on_order_new(GtkButton *b, gpointer data)
{
  rgsg_win *w = data;

  (void)b;
  rgsg_show(w, "form", w->form_save);
  gtk_widget_grab_focus(w->form_fields[RGSG_F_FIRST]);
}

GtkWidget *rgsg_order_page(rgsg_win *w)
{
  GtkWidget *page = rgsg_page(_("Your order"));
  GtkWidget *row, *add;

  w->order_busy = rgsg_busy_new("", NULL);
  gtk_box_append(GTK_BOX(page), w->order_busy);
  w->order_status = GTK_LABEL(rgsg_label("", NULL));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(w->order_status));
  w->order_list = GTK_LIST_BOX(gtk_list_box_new());
  gtk_list_box_set_selection_mode(w->order_list, GTK_SELECTION_NONE);
  rgsg_a11y_label(GTK_WIDGET(w->order_list), _("Orders"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(w->order_list));
  row = rgsg_button_row(page);
  add = rgsg_button(row, _("Record a new order"), FALSE);
  w->order_next = rgsg_button(row, _("Continue"), TRUE);
  g_signal_connect(add, "clicked", G_CALLBACK(on_order_new), w);
  g_signal_connect(w->order_next, "clicked", G_CALLBACK(on_order_next), w);
  return page;
}

/* ---- recording an order ----------------------------------------------- */

static rgsg_field_rc field_rc(int i, const char *text)
{
  switch (i) {
  case RGSG_F_PARTNER: return rgsg_check_partner(text);
  case RGSG_F_EMAIL: return rgsg_check_email(text);
  case RGSG_F_ID: return rgsg_check_company_id(text);
  default: return rgsg_check_name(text);
  }
}

/* Every field checked again; the messages shown only for fields the person
 * has typed in (an empty form is not a wall of red). */
static void form_validate(rgsg_win *w)
{
  gboolean all = TRUE;
  rgsg_field_rc rc;
  const char *t;
  size_t i;

  for (i = 0; i < RGS_ARRAY_LEN(w->form_fields); i++) {
    t = gtk_editable_get_text(GTK_EDITABLE(w->form_fields[i]));
    rc = field_rc((int)i, t);
    if (rc != RGSG_FIELD_OK)
      all = FALSE;
    gtk_label_set_text(w->form_errors[i],
                       rc == RGSG_FIELD_EMPTY && t[0] == '\0' ? "" : rgsg_field_message(rc));
    if (rc == RGSG_FIELD_OK || t[0] == '\0')
      gtk_widget_remove_css_class(w->form_fields[i], "error");
    else
      gtk_widget_add_css_class(w->form_fields[i], "error");
  }
  if (!gtk_check_button_get_active(w->form_cgu))
    all = FALSE;
  gtk_widget_set_sensitive(w->form_save, all);
}

static void on_field_changed(GtkEditable *e, gpointer data)
{
  (void)e;
  form_validate(data);
}

static void on_cgu_toggled(GtkCheckButton *b, gpointer data)
{
  (void)b;
  form_validate(data);
}

static void on_saved(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;

  gtk_widget_set_sensitive(w->form_save, TRUE);
  if (r->exit_status != 0) {
    gtk_label_set_text(w->form_status, rgsg_error_text(r));
    return;
  }
  /* `order new` gives the order as an object ("order": {"id": N}). */
  w->order_id = rgsg_int(r->root, "order.id", 0);
  gtk_label_set_text(w->form_status, "");
  rgsg_key_enter(w);
}

static void on_form_save(GtkButton *b, gpointer data)
{
  static const char *const pay[] = { "carte", "virement", "cheque" };
  rgsg_win *w = data;
  const char *args[24];
  char id[32];
  size_t n = 0, i;
  guint p = gtk_drop_down_get_selected(w->form_payment);

  (void)b;
  if (w->running || !gtk_widget_get_sensitive(w->form_save))
    return;
  rgsg_company_id_digits(gtk_editable_get_text(GTK_EDITABLE(w->form_fields[RGSG_F_ID])), id,
                         sizeof(id));
  args[n++] = "order";
  args[n++] = "new";
  {
    static const char *const opt[] = { "--partner", "--holder-first-name", "--holder-last-name",
                                       "--email", "--company" };
    for (i = 0; i < RGS_ARRAY_LEN(opt); i++) {
      args[n++] = opt[i];
      args[n++] = gtk_editable_get_text(GTK_EDITABLE(w->form_fields[i]));
    }
  }
  args[n++] = strlen(id) == 14 ? "--siret" : "--siren";
  args[n++] = id;
  args[n++] = "--payment";
  args[n++] = pay[p < RGS_ARRAY_LEN(pay) ? p : 0];
  args[n++] = "--accept-cgu";
  args[n] = NULL;
  gtk_widget_set_sensitive(w->form_save, FALSE);
  gtk_label_set_text(w->form_status, _("Recording the order…"));
  if (!rgsg_win_run(w, args, NULL, FALSE, on_saved, w->form_status))
    gtk_widget_set_sensitive(w->form_save, TRUE);
}

static void on_form_back(GtkButton *b, gpointer data)
{
  (void)b;
  rgsg_order_enter(data);
}

static void add_field(rgsg_win *w, GtkGrid *grid, int i, const char *label, const char *init)
{
  GtkWidget *l = rgsg_label(label, NULL);
  GtkWidget *e = gtk_entry_new();
  GtkWidget *err = rgsg_label("", "error");

  /* The label names the entry (labelled-by): its accessible name. */
  gtk_label_set_mnemonic_widget(GTK_LABEL(l), e);
  gtk_editable_set_text(GTK_EDITABLE(e), init);
  gtk_entry_set_activates_default(GTK_ENTRY(e), TRUE);
  gtk_widget_set_hexpand(e, TRUE);
  g_signal_connect(e, "changed", G_CALLBACK(on_field_changed), w);
  gtk_grid_attach(grid, l, 0, i * 2, 1, 1);
  gtk_grid_attach(grid, e, 1, i * 2, 1, 1);
  gtk_grid_attach(grid, err, 1, i * 2 + 1, 1, 1);
  w->form_fields[i] = e;
  w->form_errors[i] = GTK_LABEL(err);
}

GtkWidget *rgsg_form_page(rgsg_win *w)
{
  GtkWidget *page = rgsg_page(_("Record your order"));
  GtkWidget *grid = gtk_grid_new(), *row, *back, *pay_l, *pay;
  const char *pay_names[] = { _("Bank card"), _("Bank transfer"), _("Cheque"), NULL };

  gtk_box_append(GTK_BOX(page), rgsg_label(
    _("Type what you chose when you ordered the Pack ID RGS** on the Certigna portal."), "dim-label"));
  gtk_grid_set_row_spacing(GTK_GRID(grid), 2);
  gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
  add_field(w, GTK_GRID(grid), RGSG_F_PARTNER, _("Partner code"), "CMA");
  add_field(w, GTK_GRID(grid), RGSG_F_FIRST, _("Holder's first name"), "");
  add_field(w, GTK_GRID(grid), RGSG_F_LAST, _("Holder's last name"), "");
  add_field(w, GTK_GRID(grid), RGSG_F_EMAIL, _("E-mail address"), "");
  add_field(w, GTK_GRID(grid), RGSG_F_COMPANY, _("Company name"), "");
  add_field(w, GTK_GRID(grid), RGSG_F_ID, _("SIREN or SIRET"), "");
  pay_l = rgsg_label(_("Payment"), NULL);
  pay = gtk_drop_down_new_from_strings(pay_names);
  rgsg_a11y_label(pay, _("Payment"));
  /* The drop-down's focus goes to its inner button, which GTK 4.8 names
   * after its class: a screen reader on Tab must say "Payment". */
  if (gtk_widget_get_first_child(pay) != NULL)
    rgsg_a11y_label(gtk_widget_get_first_child(pay), _("Payment"));
  w->form_payment = GTK_DROP_DOWN(pay);
  gtk_grid_attach(GTK_GRID(grid), pay_l, 0, 12, 1, 1);
  gtk_grid_attach(GTK_GRID(grid), pay, 1, 12, 1, 1);
  gtk_box_append(GTK_BOX(page), grid);
  w->form_cgu = GTK_CHECK_BUTTON(gtk_check_button_new_with_label(
    _("I accepted Certigna's terms of use (CGU) on the portal")));
  g_signal_connect(w->form_cgu, "toggled", G_CALLBACK(on_cgu_toggled), w);
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(w->form_cgu));
  w->form_status = GTK_LABEL(rgsg_label("", NULL));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(w->form_status));
  row = rgsg_button_row(page);
  back = rgsg_button(row, _("Back"), FALSE);
  w->form_save = rgsg_button(row, _("Record the order"), TRUE);
  g_signal_connect(back, "clicked", G_CALLBACK(on_form_back), w);
  g_signal_connect(w->form_save, "clicked", G_CALLBACK(on_form_save), w);
  form_validate(w);
  return page;
}
