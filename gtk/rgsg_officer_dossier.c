/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_officer_dossier.c - step 1 of the officer's window: the holder's
 * dossier opened (file chooser or dropped on the page) and checked by
 * `order import FILE`, or an order imported before chosen from the list
 * (`order list`); the order shown from `order show ID --qr`. */
#include <string.h>
#include "rgsx_i18n.h"
#include "rgsg_internal.h"
#include "rgsg_officer_int.h"
#include "rgsg_pin.h"
#include "rgsg_ui.h"

static void show_order(rgsg_off *o, gint64 id);

static void dossier_idle(rgsg_off *o)
{
  rgsg_busy(o->d_busy, FALSE, NULL);
}

/* The office and the place of the appointment booked with the order, as
 * f2f run takes them by default; NULL when none was booked. */
static void keep_appointment(rgsg_off *o, JsonNode *root)
{
  const char *name = rgsg_str(root, "appointment.aed.name");
  char *office, *addr, *pc, *city;

  g_clear_pointer(&o->appt_office, g_free);
  g_clear_pointer(&o->appt_place, g_free);
  if (name == NULL)
    return;
  /* A member missing is "" (never "(null)" in the signed record). */
  addr = rgsg_clean(rgsg_str(root, "appointment.aed.address"));
  pc = rgsg_clean(rgsg_str(root, "appointment.aed.postal_code"));
  city = rgsg_clean(rgsg_str(root, "appointment.aed.city"));
  office = rgsg_clean(name);
  o->appt_office = g_strdup_printf("%s, %s %s %s", office, addr, pc, city);
  o->appt_place = g_strdup_printf("%s %s", pc, city);
  g_free(office);
  g_free(addr);
  g_free(pc);
  g_free(city);
}

/* The order as the officer checks it against the person and the papers. */
static void on_show(const rgsg_result *r, gpointer data)
{
  rgsg_off *o = data;
  JsonNode *root = r->root;
  char *first, *last, *company, *ref, *siren, *spki, *text;

  dossier_idle(o);
  /* Another order: the identity page starts empty for its holder. */
  rgsg_off_identity_reset(o);
  if (r->exit_status != 0) {
    gtk_label_set_text(o->d_status, rgsg_error_text(r));
    return;
  }
  first = rgsg_clean(rgsg_str(root, "order.holder.first_name"));
  last = rgsg_clean(rgsg_str(root, "order.holder.last_name"));
  company = rgsg_clean(rgsg_str(root, "order.company.name"));
  ref = rgsg_clean(rgsg_str(root, "order.ca_ref"));
  siren = rgsg_clean(rgsg_str(root, "order.company.siren"));
  spki = rgsg_clean(rgsg_str(root, "binding.spki_sha256"));
  g_free(o->serial);
  o->serial = rgsg_clean(rgsg_str(root, "binding.token_serial"));
  g_free(o->short_form);
  o->short_form = g_strdup(rgsg_str(root, "short_form"));
  keep_appointment(o, root);
  g_free(o->holder_name);
  o->holder_name = g_strdup_printf("%s %s", first, last);
  o->order_id = rgsg_int(root, "order_id", 0);
  text = g_strdup_printf(_("Order %lld\nHolder: %s\nCompany: %s (SIREN %s)\nCA reference: %s\nHolder's key: serial %s\nKey fingerprint (SHA-256): %s"),
                         (long long)o->order_id, o->holder_name, company,
                         siren, ref, o->serial, spki);
  gtk_label_set_text(o->d_order, text);
  gtk_widget_set_sensitive(o->d_next, TRUE);
  rgsg_off_show(o, "dossier", o->d_next);
  g_free(text);
  g_free(first);
  g_free(last);
  g_free(company);
  g_free(ref);
  g_free(siren);
  g_free(spki);
}

static void show_order(rgsg_off *o, gint64 id)
{
  char num[32];
  const char *args[] = { "order", "show", num, "--qr", NULL };

  g_snprintf(num, sizeof(num), "%lld", (long long)id);
  rgsg_busy(o->d_busy, TRUE, _("Reading the order…"));
  if (!rgsg_off_run(o, args, NULL, 0, on_show, o->d_status))
    dossier_idle(o);
}

/* A refused dossier in words: what it means for the face-to-face. */
static void on_import(const rgsg_result *r, gpointer data)
{
  rgsg_off *o = data;
  char *text;

  if (r->exit_status == 0) {
    gtk_label_set_text(o->d_status, rgsg_bool(r->root, "already_imported", FALSE)
                         ? _("This dossier was already imported: it is the same order.")
                         : _("The dossier is genuine: signed with the key of the holder's request."));
    show_order(o, rgsg_int(r->root, "order_id", 0));
    return;
  }
  dossier_idle(o);
  text = g_strdup_printf(
    r->exit_status == 1
      ? _("This dossier was refused: it was altered, is incomplete, or was not signed with the key of its own request. Do not go on with it; ask the holder to export it again from their window.\n%s")
      : _("The dossier could not be imported.\n%s"),
    rgsg_error_text(r));
  gtk_label_set_text(o->d_status, text);
  g_free(text);
}

static void import_file(rgsg_off *o, GFile *file)
{
  char *path = g_file_get_path(file);
  const char *args[] = { "order", "import", path, NULL };

  if (path == NULL || o->running) {
    g_free(path);
    return;
  }
  gtk_label_set_text(o->d_status, "");
  gtk_label_set_text(o->d_order, "");
  gtk_widget_set_sensitive(o->d_next, FALSE);
  rgsg_busy(o->d_busy, TRUE, _("Checking the dossier…"));
  if (!rgsg_off_run(o, args, NULL, 0, on_import, o->d_status))
    dossier_idle(o);
  g_free(path);
}

static void on_chosen(GtkNativeDialog *d, int response, gpointer data)
{
  rgsg_off *o = data;
  GFile *file = NULL;

  o->choosers--;
  if (response == GTK_RESPONSE_ACCEPT && !o->closed)
    file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d));
  if (file != NULL) {
    import_file(o, file);
    g_object_unref(file);
  }
  g_object_unref(d);
  /* A native chooser outlives its parent window: the state waited for it. */
  rgsg_off_release(o);
}

static void on_open(GtkButton *b, gpointer data)
{
  rgsg_off *o = data;
  GtkFileChooserNative *d = gtk_file_chooser_native_new(
    _("The holder's dossier"), o->win, GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));

  (void)b;
  gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(d), TRUE);
  g_signal_connect(d, "response", G_CALLBACK(on_chosen), o);
  o->choosers++;
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
}

/* A file dropped on the page (from a USB stick's folder, an e-mail). */
static gboolean on_drop(GtkDropTarget *t, const GValue *value, double x, double y, gpointer data)
{
  (void)t;
  (void)x;
  (void)y;
  if (!G_VALUE_HOLDS(value, G_TYPE_FILE))
    return FALSE;
  import_file(data, g_value_get_object(value));
  return TRUE;
}

static void on_pick(GtkButton *b, gpointer data)
{
  rgsg_off *o = data;

  if (o->running)
    return;
  gtk_label_set_text(o->d_status, "");
  show_order(o, GPOINTER_TO_INT(g_object_get_data(G_OBJECT(b), "order-id")));
}

static GtkWidget *order_row(rgsg_off *o, JsonNode *ord)
{
  char *first = rgsg_clean(rgsg_str(ord, "holder.first_name"));
  char *last = rgsg_clean(rgsg_str(ord, "holder.last_name"));
  char *company = rgsg_clean(rgsg_str(ord, "company.name"));
  gint64 id = rgsg_int(ord, "id", 0);
  char *text = g_strdup_printf(_("Order %lld: %s %s, %s"), (long long)id, first, last, company);
  GtkWidget *b = gtk_button_new_with_label(text);

  g_object_set_data(G_OBJECT(b), "order-id", GINT_TO_POINTER((int)id));
  g_signal_connect(b, "clicked", G_CALLBACK(on_pick), o);
  g_free(text);
  g_free(first);
  g_free(last);
  g_free(company);
  return b;
}

static void on_list(const rgsg_result *r, gpointer data)
{
  rgsg_off *o = data;
  JsonNode *orders = rgsg_get(r->root, "orders");
  guint i, n = rgsg_len(orders, NULL);

  dossier_idle(o);
  rgsg_list_clear(o->d_list);
  for (i = 0; i < n; i++)
    gtk_list_box_append(o->d_list,
                        order_row(o, json_array_get_element(json_node_get_array(orders), i)));
  gtk_widget_set_visible(GTK_WIDGET(o->d_list), n > 0);
}

void rgsg_off_dossier_enter(rgsg_off *o)
{
  static const char *const args[] = { "order", "list", NULL };

  rgsg_off_drop_pin(o);
  rgsg_off_identity_reset(o);
  rgsg_off_show(o, "dossier", gtk_widget_get_sensitive(o->d_next) ? o->d_next : NULL);
  rgsg_busy(o->d_busy, TRUE, _("Reading the orders already imported…"));
  if (!rgsg_off_run(o, args, NULL, 0, on_list, o->d_status))
    dossier_idle(o);
}

GtkWidget *rgsg_off_dossier_page(rgsg_off *o)
{
  GtkWidget *page = rgsg_page(_("1. The holder's dossier"));
  GtkWidget *row, *open, *scroll;
  GtkDropTarget *drop = gtk_drop_target_new(G_TYPE_FILE, GDK_ACTION_COPY);

  gtk_box_append(GTK_BOX(page), rgsg_label(
    _("Open the dossier the holder exported from their window (a .p7m file, often on a USB stick), or drop it here. It is checked before anything else: an altered or forged dossier is refused."), NULL));
  open = gtk_button_new_with_label(_("Open the holder's dossier…"));
  gtk_widget_set_halign(open, GTK_ALIGN_START);
  g_signal_connect(open, "clicked", G_CALLBACK(on_open), o);
  gtk_box_append(GTK_BOX(page), open);
  o->d_busy = rgsg_busy_new("", NULL);
  gtk_box_append(GTK_BOX(page), o->d_busy);
  o->d_status = GTK_LABEL(rgsg_label("", "heading"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(o->d_status));
  o->d_order = GTK_LABEL(rgsg_label("", NULL));
  gtk_label_set_selectable(o->d_order, TRUE);
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(o->d_order));
  gtk_box_append(GTK_BOX(page), rgsg_label(_("Or choose an order imported before:"), "dim-label"));
  o->d_list = GTK_LIST_BOX(gtk_list_box_new());
  gtk_list_box_set_selection_mode(o->d_list, GTK_SELECTION_NONE);
  rgsg_a11y_label(GTK_WIDGET(o->d_list), _("Orders imported before"));
  scroll = gtk_scrolled_window_new();
  gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), GTK_WIDGET(o->d_list));
  gtk_scrolled_window_set_min_content_height(GTK_SCROLLED_WINDOW(scroll), 80);
  gtk_widget_set_vexpand(scroll, TRUE);
  gtk_box_append(GTK_BOX(page), scroll);
  row = rgsg_button_row(page);
  gtk_widget_set_vexpand(row, FALSE);
  o->d_next = rgsg_button(row, _("Continue"), TRUE);
  gtk_widget_set_sensitive(o->d_next, FALSE);
  g_signal_connect_swapped(o->d_next, "clicked", G_CALLBACK(rgsg_off_tokens_enter), o);
  g_signal_connect(drop, "drop", G_CALLBACK(on_drop), o);
  gtk_widget_add_controller(page, GTK_EVENT_CONTROLLER(drop));
  return page;
}
