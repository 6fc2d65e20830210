/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_officer_pop.c - steps 3 to 5 of the officer's window: the holder's
 * PIN (the tries counter read with `tokens` before, the last try only once
 * confirmed), held in a pipe only until f2f run reads it, or typed on
 * the reader's keypad during the run when it has one; the identity
 * document and the registration extract, the document number kept in a
 * password entry and handed to the child on a pipe, never in argv. */
#include <string.h>
#include "rgsx_i18n.h"
#include "rgsg_internal.h"
#include "rgsg_officer_int.h"
#include "rgsg_pin.h"
#include "rgsg_ui.h"

static void pop_idle(rgsg_off *o)
{
  rgsg_busy(o->p_busy, FALSE, NULL);
  gtk_widget_set_sensitive(o->p_go, TRUE);
}

/* The PIN goes into its pipe at once and is wiped by the dialog: the
 * window keeps no copy while the officer fills in the document. */
static void on_pin(const char *pin, gboolean final_try, gpointer data)
{
  rgsg_off *o = data;

  pop_idle(o);
  if (pin == NULL)
    return;
  rgsg_off_drop_pin(o);
  /* A keypad: the holder types the PIN there while f2f run logs in. */
  if (pin[0] == '\0')
    o->holder_pinpad = TRUE;
  else
    o->holder_pin_fd = rgsg_secret_pipe(pin);
  if (o->holder_pin_fd < 0 && !o->holder_pinpad) {
    gtk_label_set_text(o->p_error, _("The PIN could not be handed over (no pipe). Try again."));
    return;
  }
  o->holder_final_try = final_try;
  rgsg_off_identity_enter(o);
}

/* The counter before the try: the holder's key answers for itself. */
static void on_state(const rgsg_result *r, gpointer data)
{
  rgsg_off *o = data;
  JsonNode *s = rgsg_slot_by_uri(r->root, o->holder_uri);
  rgsg_pin_state st;

  if (s == NULL) {
    pop_idle(o);
    gtk_label_set_text(o->p_error, _("The holder's key is no longer there. Plug it in again."));
    return;
  }
  st = rgsg_pin_state_of(rgsg_str(s, "token.pin_state"));
  gtk_label_set_text(o->p_tries, rgsg_pin_state_text(st));
  if (g_object_get_data(G_OBJECT(o->p_go), "ask") == NULL || st == RGSG_PIN_LOCKED) {
    pop_idle(o);
    gtk_widget_set_sensitive(o->p_go, st != RGSG_PIN_LOCKED);
    return;
  }
  rgsg_busy(o->p_busy, FALSE, NULL);
  rgsg_pin_ask_pinpad(o->win, o->holder_label, st, rgsg_bool(s, "token.pinpad", FALSE),
                      o->pop_error, on_pin, o);
}

static void read_state(rgsg_off *o, gboolean ask)
{
  static const char *const args[] = { "tokens", NULL };

  gtk_widget_set_sensitive(o->p_go, FALSE);
  g_object_set_data(G_OBJECT(o->p_go), "ask", ask ? o : NULL);
  rgsg_busy(o->p_busy, TRUE, _("Reading the holder's key…"));
  if (!rgsg_off_run(o, args, NULL, 0, on_state, o->p_error))
    pop_idle(o);
}

static void on_go(GtkButton *b, gpointer data)
{
  rgsg_off *o = data;

  (void)b;
  if (!o->running)
    read_state(o, TRUE);
}

void rgsg_off_pop_enter(rgsg_off *o)
{
  rgsg_off_drop_pin(o);
  gtk_label_set_text(o->p_error, o->pop_error != NULL ? o->pop_error : "");
  gtk_button_set_label(GTK_BUTTON(o->p_go), o->pop_error != NULL ? _("Type the PIN again")
                                                                 : _("The holder types the PIN"));
  rgsg_off_show(o, "pop", o->p_go);
  read_state(o, FALSE);
}

GtkWidget *rgsg_off_pop_page(rgsg_off *o)
{
  GtkWidget *page = rgsg_page(_("3. Proof of possession"));
  GtkWidget *row, *back;

  gtk_box_append(GTK_BOX(page), rgsg_label(
    _("The holder now types the PIN of their key; you look away. When the record is made, the key signs a fresh challenge with the key of the request: this proves the holder holds it. Nothing is retried on the holder's behalf."), NULL));
  o->p_busy = rgsg_busy_new("", NULL);
  gtk_box_append(GTK_BOX(page), o->p_busy);
  o->p_error = GTK_LABEL(rgsg_label("", "error"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(o->p_error));
  o->p_tries = GTK_LABEL(rgsg_label("", "warning"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(o->p_tries));
  row = rgsg_button_row(page);
  back = rgsg_button(row, _("Back"), FALSE);
  o->p_go = rgsg_button(row, _("The holder types the PIN"), TRUE);
  g_signal_connect_swapped(back, "clicked", G_CALLBACK(rgsg_off_tokens_enter), o);
  g_signal_connect(o->p_go, "clicked", G_CALLBACK(on_go), o);
  return page;
}

/* ---- steps 4 and 5: the identity document, the registration extract ------ */

static gboolean filled(GtkEditable *e)
{
  const char *t = gtk_editable_get_text(e);

  return t != NULL && t[0] != '\0';
}

static void update_next(rgsg_off *o)
{
  gboolean ok = filled(o->i_name) && filled(o->i_expires) && filled(o->i_number) &&
                filled(o->i_extract) && filled(o->i_office) && filled(o->i_place) &&
                gtk_check_button_get_active(o->i_checked);

  gtk_widget_set_sensitive(o->i_next, ok);
}

static void on_changed(gpointer data)
{
  update_next(data);
}

/* An entry with its label beside it, in the grid's row rowi. */
static GtkEditable *field(rgsg_off *o, GtkWidget *grid, int rowi, const char *label,
                          gboolean secret)
{
  GtkWidget *l = rgsg_label(label, NULL);
  GtkWidget *e = secret ? gtk_password_entry_new() : gtk_entry_new();

  gtk_widget_set_hexpand(e, TRUE);
  /* The label names the entry (labelled-by) for a screen reader. */
  gtk_label_set_mnemonic_widget(GTK_LABEL(l), e);
  gtk_grid_attach(GTK_GRID(grid), l, 0, rowi, 1, 1);
  gtk_grid_attach(GTK_GRID(grid), e, 1, rowi, 1, 1);
  g_signal_connect_swapped(e, "changed", G_CALLBACK(on_changed), o);
  return GTK_EDITABLE(e);
}

void rgsg_off_identity_reset(rgsg_off *o)
{
  GtkEditable *const fields[] = { o->i_name, o->i_expires, o->i_number, o->i_extract,
                                  o->i_office, o->i_place };
  size_t i;

  /* The number's entry is a password entry: its secure buffer is emptied. */
  for (i = 0; i < G_N_ELEMENTS(fields); i++)
    gtk_editable_set_text(fields[i], "");
  gtk_check_button_set_active(o->i_checked, FALSE);
}

void rgsg_off_identity_enter(rgsg_off *o)
{
  char *text;

  if (gtk_editable_get_text(o->i_name)[0] == '\0' && o->holder_name != NULL) {
    text = g_utf8_strup(o->holder_name, -1);
    gtk_editable_set_text(o->i_name, text);
    g_free(text);
  }
  if (gtk_editable_get_text(o->i_office)[0] == '\0' && o->appt_office != NULL)
    gtk_editable_set_text(o->i_office, o->appt_office);
  if (gtk_editable_get_text(o->i_place)[0] == '\0' && o->appt_place != NULL)
    gtk_editable_set_text(o->i_place, o->appt_place);
  gtk_label_set_text(o->i_status, "");
  update_next(o);
  rgsg_off_show(o, "identity", o->i_next);
}

GtkWidget *rgsg_off_identity_page(rgsg_off *o)
{
  static const char *const kinds[] = { N_("Identity card"), N_("Passport"), NULL };
  const char *shown[3] = { _(kinds[0]), _(kinds[1]), NULL };
  GtkWidget *page = rgsg_page(_("4. Identity document and 5. registration extract"));
  GtkWidget *grid = gtk_grid_new(), *row, *back, *kind, *check;

  gtk_box_append(GTK_BOX(page), rgsg_label(
    _("The holder shows an identity document in force. Its number is personal data: only a salted fingerprint and its last four characters are kept in the record."), NULL));
  gtk_grid_set_row_spacing(GTK_GRID(grid), 8);
  gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
  kind = gtk_drop_down_new_from_strings(shown);
  o->i_kind = GTK_DROP_DOWN(kind);
  rgsg_a11y_label(kind, _("Kind of document"));
  gtk_grid_attach(GTK_GRID(grid), rgsg_label(_("Kind of document"), NULL), 0, 0, 1, 1);
  gtk_grid_attach(GTK_GRID(grid), kind, 1, 0, 1, 1);
  o->i_name = field(o, grid, 1, _("Name as printed on the document"), FALSE);
  o->i_expires = field(o, grid, 2, _("End of validity (YYYY-MM-DD)"), FALSE);
  o->i_number = field(o, grid, 3, _("Document number"), TRUE);
  o->i_extract = field(o, grid, 4, _("Date of the registration extract (YYYY-MM-DD, under three months)"), FALSE);
  o->i_office = field(o, grid, 5, _("Your office (name and address)"), FALSE);
  o->i_place = field(o, grid, 6, _("Place of the face-to-face"), FALSE);
  gtk_box_append(GTK_BOX(page), grid);
  check = gtk_check_button_new_with_label(
    _("I checked the document against the person present: it is genuine and its photo is theirs."));
  o->i_checked = GTK_CHECK_BUTTON(check);
  g_signal_connect_swapped(check, "toggled", G_CALLBACK(on_changed), o);
  gtk_box_append(GTK_BOX(page), check);
  o->i_status = GTK_LABEL(rgsg_label("", "error"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(o->i_status));
  row = rgsg_button_row(page);
  back = rgsg_button(row, _("Back"), FALSE);
  o->i_next = rgsg_button(row, _("Continue"), TRUE);
  g_signal_connect_swapped(back, "clicked", G_CALLBACK(rgsg_off_pop_enter), o);
  g_signal_connect_swapped(o->i_next, "clicked", G_CALLBACK(rgsg_off_sign_enter), o);
  return page;
}
