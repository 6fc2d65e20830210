/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_record.c - the face-to-face record back from the AED (page
 * "record"): chosen or dropped on the page, `f2f import FILE --order N`
 * checks and keeps it; then `f2f verify` gives its facts (the AED, the
 * date) and `status N` the order's new step, in the command's words. */
#include "rgsx_i18n.h"
#include "rgsg_files.h"
#include "rgsg_steps.h"
#include "rgsg_ui.h"

struct rgsg_record_ui {
  GtkWidget *busy, *choose;
  GtkLabel *error, *done;
  char *file;                 /* the record being imported */
  char *facts;                /* what verify said, sanitised */
};

static void ui_free(gpointer data)
{
  struct rgsg_record_ui *u = data;

  g_free(u->file);
  g_free(u->facts);
  g_free(u);
}

static void record_idle(rgsg_win *w)
{
  rgsg_busy(w->record->busy, FALSE, NULL);
  gtk_widget_set_sensitive(w->record->choose, TRUE);
}

static void on_status(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  struct rgsg_record_ui *u = w->record;
  const char *label = rgsg_str(rgsg_get(r->root, "orders.0"), "status_label");
  char *status = rgsg_clean(label != NULL ? label : "");
  char *text = g_strdup_printf(_("%s\nWhere your order stands now: %s"), u->facts, status);

  record_idle(w);
  gtk_label_set_text(u->done, text);
  g_free(text);
  g_free(status);
}

static void run_or_idle(rgsg_win *w, const char *const *args, rgsg_done_fn done)
{
  if (!rgsg_win_run(w, args, NULL, FALSE, done, w->record->error))
    record_idle(w);
}

static void on_verified(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  struct rgsg_record_ui *u = w->record;
  char id[32], *signer = rgsg_dn_name(rgsg_str(r->root, "signer"));
  char *when = rgsg_when(rgsg_str(r->root, "signed_at"), FALSE);
  const char *args[] = { "status", id, NULL };

  g_free(u->facts);
  /* The import has checked and kept it; verify only reads its facts back:
   * without them (no answer from a revocation service...) it is still kept. */
  if (rgsg_str(r->root, "signer") != NULL && rgsg_str(r->root, "signed_at") != NULL)
    u->facts = g_strdup_printf(_("The record is verified and kept with your order.\nAED: %s\nSigned on: %s"),
                               signer, when);
  else
    u->facts = g_strdup(_("The record is verified and kept with your order."));
  g_free(signer);
  g_free(when);
  g_snprintf(id, sizeof(id), "%lld", (long long)w->order_id);
  run_or_idle(w, args, on_status);
}

/* What to do about a refused record, after the command's own words. */
static const char *record_advice(const rgsg_result *r)
{
  if (r->exit_status == 1)
    return _("Check that this is the record of this order, from the AED who met you. If it is, ask the AED to send it again.");
  if (r->exit_status == 8)
    return _("The file could not be read: choose it again, or ask the AED to send it again.");
  return NULL;
}

static void on_imported(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  struct rgsg_record_ui *u = w->record;
  char id[32], *text;
  const char *args[] = { "f2f", "verify", u->file, "--order", id, NULL };

  if (r->exit_status != 0) {
    record_idle(w);
    text = rgsg_failure_text(rgsg_error_text(r), record_advice(r));
    gtk_label_set_text(u->error, text);
    g_free(text);
    return;
  }
  if (rgsg_bool(r->root, "already_imported", FALSE)) {
    record_idle(w);
    gtk_label_set_text(u->done, _("This record was already kept with your order. Nothing changed."));
    return;
  }
  g_snprintf(id, sizeof(id), "%lld", (long long)w->order_id);
  run_or_idle(w, args, on_verified);
}

static void on_file(rgsg_win *w, const char *path)
{
  struct rgsg_record_ui *u = w->record;
  char id[32];
  const char *args[] = { "f2f", "import", path, "--order", id, NULL };

  if (w->running)
    return;
  g_free(u->file);
  u->file = g_strdup(path);
  g_snprintf(id, sizeof(id), "%lld", (long long)w->order_id);
  gtk_label_set_text(u->error, "");
  gtk_label_set_text(u->done, "");
  gtk_widget_set_sensitive(u->choose, FALSE);
  rgsg_busy(u->busy, TRUE, _("Checking the record…"));
  run_or_idle(w, args, on_imported);
}

static void on_choose(GtkButton *b, gpointer data)
{
  rgsg_win *w = data;

  (void)b;
  rgsg_choose_file(w, _("The face-to-face record"), FALSE, NULL, on_file);
}

GtkWidget *rgsg_record_page(rgsg_win *w)
{
  struct rgsg_record_ui *u = g_new0(struct rgsg_record_ui, 1);
  GtkWidget *page = rgsg_page(_("The face-to-face record"));
  GtkWidget *row, *back;

  w->record = u;
  g_object_set_data_full(G_OBJECT(page), "rgsg-ui", u, ui_free);
  gtk_box_append(GTK_BOX(page), rgsg_label(
    _("After the face-to-face, the AED (the huissier) sends you its record, signed on the AED's card: a file, by e-mail or on a USB stick. Choose it, or drop it onto this window: it is checked and kept with your order."), NULL));
  gtk_box_append(GTK_BOX(page), rgsg_label(_("Drop the record file here."), "dim-label"));
  u->busy = rgsg_busy_new("", NULL);
  gtk_box_append(GTK_BOX(page), u->busy);
  u->error = GTK_LABEL(rgsg_label("", "error"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(u->error));
  u->done = GTK_LABEL(rgsg_label("", "heading"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(u->done));
  row = rgsg_button_row(page);
  back = rgsg_button(row, _("Back"), FALSE);
  u->choose = rgsg_button(row, _("Choose the record file…"), TRUE);
  g_signal_connect_swapped(back, "clicked", G_CALLBACK(rgsg_hub_enter), w);
  g_signal_connect(u->choose, "clicked", G_CALLBACK(on_choose), w);
  rgsg_drop_file(page, w, on_file);
  return page;
}

void rgsg_record_enter(rgsg_win *w)
{
  struct rgsg_record_ui *u = w->record;

  if (w->running)
    return;
  gtk_label_set_text(u->error, "");
  gtk_label_set_text(u->done, "");
  gtk_widget_set_sensitive(u->choose, TRUE);
  rgsg_show(w, "record", u->choose);
}
