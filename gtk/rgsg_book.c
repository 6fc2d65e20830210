/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_book.c - the appointment with the AED (`aed book N --aed ID --date
 * ISO --mode M`): the day and time checked as they are typed, a refused
 * date (past, Sunday or public holiday, outside office hours: told apart
 * by error.code) said in words, booked anyway (--force) only after the
 * person confirmed the AED agreed. Booking again moves the appointment. */
#include <stdlib.h>
#include <string.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgsg_aed.h"
#include "rgsg_steps.h"
#include "rgsg_ui.h"

void rgsg_aed_update(rgsg_aed_ui *a)
{
  char iso[32];
  gboolean ok = rgsg_aed_chosen(a) != NULL && rgsg_date_field_iso(a->date, iso, sizeof(iso)) > 0 &&
                (!gtk_check_button_get_active(a->mode_aed) || rgsg_aed_km(a) >= 0);

  gtk_widget_set_sensitive(a->book, ok && !a->w->running);
}

/* "Appointment recorded: 15 December 2026 at 10:00, SELARL Acthemis, 29
 * Chemin de Séverin, 13200 ARLES." The office's clock time: with its
 * offset only where this computer's differs (overseas). */
void rgsg_book_show(rgsg_aed_ui *a, JsonNode *appt)
{
  char *when, *text, *shown;

  if (appt == NULL || rgsg_str(appt, "at") == NULL) {
    gtk_label_set_text(a->booked, _("No appointment is recorded yet."));
    gtk_button_set_label(GTK_BUTTON(a->book), _("Book"));
    return;
  }
  when = rgsg_when(rgsg_str(appt, "at"), TRUE);
  text = g_strdup_printf(_("Appointment recorded: %s, %s, %s, %s %s. Bring your key, a valid identity document and the signed face-to-face intervention form."),
                         when, rgsg_str0(appt, "aed.name"), rgsg_str0(appt, "aed.address"),
                         rgsg_str0(appt, "aed.postal_code"), rgsg_str0(appt, "aed.city"));
  shown = rgsg_clean(text);
  gtk_label_set_text(a->booked, shown);
  gtk_button_set_label(GTK_BUTTON(a->book), _("Move the appointment"));
  g_free(shown);
  g_free(text);
  g_free(when);
}

static void aed_book(rgsg_aed_ui *a, gboolean force);

static void on_booked(const rgsg_result *r, gpointer data)
{
  rgsg_aed_ui *a = ((rgsg_win *)data)->aed;   /* rgsg_win_run calls back with the window */
  const char *code = rgsg_str(r->root, "error.code");
  const char *refusal = rgsg_appt_refusal_text(code);

  rgsg_busy(a->busy, FALSE, NULL);
  if (r->exit_status == 0) {
    g_free(a->appt_aed);
    a->appt_aed = g_strdup(rgsg_str(r->root, "aed.id"));
    gtk_label_set_text(a->status, _("The appointment is recorded."));
    rgsg_book_show(a, r->root);
    rgsg_show(a->w, "aed", a->back);
  } else if (refusal != NULL) {
    char *text = g_strdup_printf(_("%s If the AED agreed to meet you then, you can book it anyway."), refusal);

    gtk_label_set_text(a->status, text);
    gtk_widget_set_visible(a->force, TRUE);
    g_free(text);
  } else {
    gtk_label_set_text(a->status, rgsg_error_text(r));
  }
  rgsg_aed_after_child(a);
}

static void aed_book(rgsg_aed_ui *a, gboolean force)
{
  char id[32], iso[32], km[16];
  const char *args[16];
  size_t n = 0;

  if (a->w->running || rgsg_aed_chosen(a) == NULL || rgsg_date_field_iso(a->date, iso, sizeof(iso)) <= 0)
    return;
  g_snprintf(id, sizeof(id), "%lld", (long long)a->w->order_id);
  args[n++] = "aed";
  args[n++] = "book";
  args[n++] = id;
  args[n++] = "--aed";
  args[n++] = rgsg_aed_chosen(a);
  args[n++] = "--date";
  args[n++] = iso;
  args[n++] = "--mode";
  args[n++] = rgsg_aed_mode(a);
  if (gtk_check_button_get_active(a->mode_aed)) {
    g_snprintf(km, sizeof(km), "%d", rgsg_aed_km(a));
    args[n++] = "--distance-km";
    args[n++] = km;
  }
  if (force)
    args[n++] = "--force";
  args[n] = NULL;
  gtk_label_set_text(a->status, "");
  gtk_widget_set_visible(a->force, FALSE);
  gtk_widget_set_sensitive(a->book, FALSE);
  rgsg_busy(a->busy, TRUE, _("Recording the appointment…"));
  if (!rgsg_win_run(a->w, args, NULL, FALSE, on_booked, a->status)) {
    rgsg_busy(a->busy, FALSE, NULL);
    rgsg_aed_update(a);
  }
}

static void on_book(rgsg_aed_ui *a)
{
  aed_book(a, FALSE);
}

static void on_force_response(AdwMessageDialog *d, const char *response, gpointer data)
{
  (void)d;
  if (strcmp(response, "book") == 0)
    aed_book(data, TRUE);
}

/* Booking a refused date is the person's decision, asked once, plainly. */
static void on_force(rgsg_aed_ui *a)
{
  char iso[32], *when, *body;
  GtkWidget *d;

  if (rgsg_date_field_iso(a->date, iso, sizeof(iso)) <= 0)
    return;
  when = rgsg_when(iso, FALSE);
  body = g_strdup_printf(_("Book %s only if the AED agreed to meet you then: the appointment is recorded as it is."), when);
  d = adw_message_dialog_new(a->w->win, _("Book this date anyway?"), body);
  adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(d), "cancel", _("Cancel"), "book",
                                   _("Book anyway"), NULL);
  adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(d), "book",
                                             ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(d), "cancel");
  adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(d), "cancel");
  g_signal_connect(d, "response", G_CALLBACK(on_force_response), a);
  gtk_window_present(GTK_WINDOW(d));
  g_free(body);
  g_free(when);
}

static void on_date_changed(GtkEditable *e, gpointer data)
{
  rgsg_aed_ui *a = data;

  (void)e;
  /* Another date: the refusal was about the former one. */
  gtk_widget_set_visible(a->force, FALSE);
  rgsg_aed_update(a);
}

void rgsg_book_build(rgsg_aed_ui *a, GtkWidget *body, GtkWidget *buttons)
{
  gtk_box_append(GTK_BOX(body), rgsg_label(_("The appointment"), "heading"));
  a->date = rgsg_date_field(body, _("Day and time (French time)"), RGSX_DATE_WANT_TIME);
  gtk_entry_set_activates_default(GTK_ENTRY(a->date), TRUE);
  g_signal_connect(a->date, "changed", G_CALLBACK(on_date_changed), a);
  a->booked = GTK_LABEL(rgsg_label("", NULL));
  gtk_box_append(GTK_BOX(body), GTK_WIDGET(a->booked));
  a->force = rgsg_button(buttons, _("Book anyway…"), FALSE);
  gtk_widget_set_visible(a->force, FALSE);
  a->book = rgsg_button(buttons, _("Book"), TRUE);
  gtk_widget_set_sensitive(a->book, FALSE);
  g_signal_connect_swapped(a->force, "clicked", G_CALLBACK(on_force), a);
  g_signal_connect_swapped(a->book, "clicked", G_CALLBACK(on_book), a);
}
