/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_dossier.c - the dossier for the AED (page "export"): `order export
 * N --out FILE` signs it on the key (the PIN flow of rgsg_pinrun.c), then
 * `order qr N --pdf FILE` writes the paper sheet with its QR code beside
 * it; a file already there is replaced only after a question. */
#include <string.h>
#include "rgsx_i18n.h"
#include "rgsg_files.h"
#include "rgsg_pinrun.h"
#include "rgsg_ui.h"

struct rgsg_dossier_ui {
  GtkWidget *busy, *go, *choose;
  GtkLabel *place, *error, *tries, *done;
  char *out, *pdf;            /* the dossier's file, its paper sheet beside it */
  gboolean chooser_asked;     /* the file chooser asked before replacing out */
  gboolean force;             /* the person agreed to replace them */
};

static void ui_free(gpointer data)
{
  struct rgsg_dossier_ui *u = data;

  g_free(u->out);
  g_free(u->pdf);
  g_free(u);
}

static char *id_text(rgsg_win *w)
{
  return g_strdup_printf("%lld", (long long)w->order_id);
}

/* out, and the sheet's name beside it: the same name, .pdf. */
static void set_place(rgsg_win *w, const char *out)
{
  struct rgsg_dossier_ui *u = w->dossier;
  char *stem = g_strdup(out), *dot = strrchr(stem, '.'), *slash = strrchr(stem, '/');
  char *text;

  if (dot != NULL && (slash == NULL || dot > slash))
    *dot = '\0';
  g_free(u->out);
  g_free(u->pdf);
  u->out = g_strdup(out);
  u->pdf = g_strdup_printf("%s-sheet.pdf", stem);
  text = g_strdup_printf(_("The dossier will be saved as %s, and its paper sheet with the QR code as %s."),
                         u->out, u->pdf);
  gtk_label_set_text(u->place, text);
  g_free(text);
  g_free(stem);
}

static void on_sheet(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  struct rgsg_dossier_ui *u = w->dossier;
  char *text;

  rgsg_busy(u->busy, FALSE, NULL);
  gtk_widget_set_sensitive(u->go, TRUE);
  gtk_widget_set_sensitive(u->choose, TRUE);
  if (r->exit_status != 0) {
    char *why = rgsg_sentence(rgsg_error_text(r));

    text = g_strdup_printf(_("The dossier is saved in %s, but its paper sheet could not be made. %s"),
                           u->out, why);
    g_free(why);
    gtk_label_set_text(u->error, text);
    g_free(text);
    return;
  }
  text = g_strdup_printf(_("Your dossier is saved in %s and its paper sheet in %s.\n\n"
                           "What to do now:\n"
                           "1. Send the dossier file to the AED (the huissier) before the appointment, by e-mail, or bring it on a USB stick.\n"
                           "2. Print the paper sheet and bring it to the face-to-face with this key, your identity document and the company's registration extract: the AED checks with its QR code that your key holds the key named on the paper."),
                         u->out, u->pdf);
  gtk_label_set_text(u->done, text);
  gtk_label_set_text(u->tries, "");
  g_free(text);
  rgsg_show(w, "export", u->go);
}

/* What to do about a refusal, after the command's own words. */
static const char *export_advice(const rgsg_result *r)
{
  const char *code = rgsg_str(r->root, "error.code");

  if (g_strcmp0(code, "check-failed") == 0)
    return _("The dossier needs the key pair and request made on your key for this order, and the order's reference from Certigna (in its confirmation e-mail). Make the request first, or add the reference to the order.");
  if (r->exit_status == 4)
    return _("Plug in the key on which you made the request for this order, then try again.");
  if (r->exit_status == 8)
    return _("Choose another place for the file, then try again.");
  return NULL;
}

static void on_exported(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  struct rgsg_dossier_ui *u = w->dossier;
  char *id = id_text(w), *text;
  const char *args[] = { "order", "qr", id, "--pdf", u->pdf, u->force ? "--force" : NULL, NULL };

  if (r->exit_status != 0) {
    text = rgsg_failure_text(rgsg_error_text(r), export_advice(r));
    gtk_label_set_text(u->error, text);
    g_free(text);
    g_free(id);
    return;
  }
  gtk_widget_set_sensitive(u->go, FALSE);
  gtk_widget_set_sensitive(u->choose, FALSE);
  rgsg_busy(u->busy, TRUE, _("Making the paper sheet with the QR code…"));
  if (!rgsg_win_run(w, args, NULL, FALSE, on_sheet, u->error)) {
    rgsg_busy(u->busy, FALSE, NULL);
    gtk_widget_set_sensitive(u->go, TRUE);
    gtk_widget_set_sensitive(u->choose, TRUE);
  }
  g_free(id);
}

static void export_now(rgsg_win *w)
{
  struct rgsg_dossier_ui *u = w->dossier;
  char *id = id_text(w);
  const char *args[] = { "order", "export", id, "--out", u->out, u->force ? "--force" : NULL,
                         NULL };
  rgsg_pinrun_spec spec = {
    .busy = u->busy, .error = u->error, .tries = u->tries, .go = u->go,
    .working = _("Signing the dossier on your key. Do not unplug the key."),
    .again = _("Type the PIN again"), .args = args, .done = on_exported,
  };

  gtk_label_set_text(u->done, "");
  rgsg_pinrun_start(w, &spec);
  g_free(id);
}

static void replace_agreed(rgsg_win *w)
{
  w->dossier->force = TRUE;
  export_now(w);
}

static void on_go(GtkButton *b, gpointer data)
{
  rgsg_win *w = data;
  struct rgsg_dossier_ui *u = w->dossier;
  gboolean out_there = g_file_test(u->out, G_FILE_TEST_EXISTS) && !u->chooser_asked;
  char *body;

  (void)b;
  if (w->running)
    return;
  u->force = u->chooser_asked;
  if (!out_there && !g_file_test(u->pdf, G_FILE_TEST_EXISTS)) {
    export_now(w);
    return;
  }
  body = g_strdup_printf(_("%s or %s is already there. Replace it with the new dossier and sheet?"),
                         u->out, u->pdf);
  rgsg_ask(w, _("Replace the files?"), body, _("Replace"), replace_agreed);
  g_free(body);
}

static void on_place_chosen(rgsg_win *w, const char *path)
{
  set_place(w, path);
  /* GTK's chooser itself asked before a file there is replaced. */
  w->dossier->chooser_asked = TRUE;
  gtk_widget_grab_focus(w->dossier->go);
}

static void on_choose(GtkButton *b, gpointer data)
{
  rgsg_win *w = data;

  (void)b;
  rgsg_choose_file(w, _("Where to save the dossier"), TRUE, w->dossier->out, on_place_chosen);
}

GtkWidget *rgsg_export_page(rgsg_win *w)
{
  struct rgsg_dossier_ui *u = g_new0(struct rgsg_dossier_ui, 1);
  GtkWidget *page = rgsg_page(_("The dossier for the AED"));
  GtkWidget *row, *back;

  w->dossier = u;
  g_object_set_data_full(G_OBJECT(page), "rgsg-ui", u, ui_free);
  gtk_box_append(GTK_BOX(page), rgsg_label(
    _("The AED (the huissier) needs your dossier before the face-to-face: your order, your request and your key's details. It is signed on your key, so the AED knows it comes from the key to be certified: you will be asked for the key's PIN."), NULL));
  u->place = GTK_LABEL(rgsg_label("", "heading"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(u->place));
  u->busy = rgsg_busy_new("", NULL);
  gtk_box_append(GTK_BOX(page), u->busy);
  u->error = GTK_LABEL(rgsg_label("", "error"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(u->error));
  u->tries = GTK_LABEL(rgsg_label("", "warning"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(u->tries));
  u->done = GTK_LABEL(rgsg_label("", NULL));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(u->done));
  row = rgsg_button_row(page);
  back = rgsg_button(row, _("Back"), FALSE);
  u->choose = rgsg_button(row, _("Choose another place…"), FALSE);
  u->go = rgsg_button(row, _("Save the dossier"), TRUE);
  g_signal_connect_swapped(back, "clicked", G_CALLBACK(rgsg_hub_enter), w);
  g_signal_connect(u->choose, "clicked", G_CALLBACK(on_choose), w);
  g_signal_connect(u->go, "clicked", G_CALLBACK(on_go), w);
  return page;
}

void rgsg_export_enter(rgsg_win *w)
{
  struct rgsg_dossier_ui *u = w->dossier;
  char name[64], *out;

  if (w->running)
    return;
  g_snprintf(name, sizeof(name), "rgs-dossier-order-%lld.p7m", (long long)w->order_id);
  out = rgsg_user_file(w, name);
  set_place(w, out);
  g_free(out);
  u->chooser_asked = FALSE;
  gtk_label_set_text(u->error, "");
  gtk_label_set_text(u->done, "");
  gtk_label_set_text(u->tries, "");
  gtk_button_set_label(GTK_BUTTON(u->go), _("Save the dossier"));
  gtk_widget_set_sensitive(u->go, TRUE);
  gtk_widget_set_sensitive(u->choose, TRUE);
  rgsg_show(w, "export", u->go);
}
