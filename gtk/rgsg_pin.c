/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_pin.c - the PIN dialog (rgsg_pin.h). */
#include <string.h>
#include <adwaita.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgsg_pin.h"

typedef struct {
  AdwMessageDialog *dialog;
  GtkEditable *entry;
  GtkCheckButton *confirm;   /* NULL unless this is the last try */
  rgsg_pin_state state;
  gboolean pinpad;           /* typed on the reader's keypad: no entry */
  rgsg_pin_fn fn;
  gpointer user;
} pin_dialog;

void rgsg_a11y_label(GtkWidget *w, const char *name)
{
  gtk_accessible_update_property(GTK_ACCESSIBLE(w), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

gboolean rgsg_pin_can_continue(rgsg_pin_state state, gboolean pinpad, gboolean typed,
                               gboolean confirmed)
{
  if (state == RGSG_PIN_LOCKED)
    return FALSE;
  if (state == RGSG_PIN_FINAL_TRY && !confirmed)
    return FALSE;
  return pinpad || typed;
}

static void update_ok(pin_dialog *p)
{
  const char *t = gtk_editable_get_text(p->entry);

  adw_message_dialog_set_response_enabled(p->dialog, "ok",
    rgsg_pin_can_continue(p->state, p->pinpad, t != NULL && t[0] != '\0',
                          p->confirm != NULL && gtk_check_button_get_active(p->confirm)));
}

static void on_changed(GtkEditable *e, gpointer data)
{
  (void)e;
  update_ok(data);
}

static void on_toggled(GtkCheckButton *b, gpointer data)
{
  (void)b;
  update_ok(data);
}

static void on_activate(GtkWidget *w, gpointer data)
{
  pin_dialog *p = data;

  (void)w;
  if (adw_message_dialog_get_response_enabled(p->dialog, "ok"))
    adw_message_dialog_response(p->dialog, "ok");
}

static void on_response(AdwMessageDialog *d, const char *response, gpointer data)
{
  pin_dialog *p = data;
  char *pin = NULL;
  size_t len;

  /* Focus off the entry before the dialog goes: GTK 4.8's password entry
   * otherwise warns about its caps-lock watch on the way out. */
  gtk_window_set_focus(GTK_WINDOW(d), NULL);
  if (strcmp(response, "ok") == 0 && p->pinpad) {
    p->fn(RGSG_PIN_PINPAD, p->confirm != NULL, p->user);
  } else if (strcmp(response, "ok") == 0) {
    pin = g_strdup(gtk_editable_get_text(p->entry));
    len = strlen(pin);
    /* The entry's own buffer is GTK's secure password buffer: emptied here. */
    gtk_editable_set_text(p->entry, "");
    p->fn(pin, p->confirm != NULL, p->user);
    rgsx_wipe(pin, len);
    g_free(pin);
  } else {
    gtk_editable_set_text(p->entry, "");
    p->fn(NULL, FALSE, p->user);
  }
}

static GtkWidget *label_new(const char *text, const char *css)
{
  GtkWidget *l = gtk_label_new(text);

  gtk_label_set_wrap(GTK_LABEL(l), TRUE);
  gtk_label_set_xalign(GTK_LABEL(l), 0);
  gtk_label_set_max_width_chars(GTK_LABEL(l), 48);
  if (css != NULL)
    gtk_widget_add_css_class(l, css);
  return l;
}

/* The last try's box; Continue waits for it. */
static void add_confirm(pin_dialog *p, GtkWidget *box)
{
  GtkWidget *confirm = gtk_check_button_new_with_label(
    _("I understand: this is the last try, a wrong PIN locks the key."));

  p->confirm = GTK_CHECK_BUTTON(confirm);
  g_signal_connect(confirm, "toggled", G_CALLBACK(on_toggled), p);
  gtk_box_append(GTK_BOX(box), confirm);
}

static GtkWidget *build_body(pin_dialog *p, const char *previous_error)
{
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *entry, *state;

  if (previous_error != NULL)
    gtk_box_append(GTK_BOX(box), label_new(previous_error, "error"));
  state = label_new(rgsg_pin_state_text(p->state),
                    p->state == RGSG_PIN_OK ? "dim-label" : "warning");
  gtk_widget_set_name(state, "pin-tries");
  gtk_box_append(GTK_BOX(box), state);
  if (p->state == RGSG_PIN_LOCKED)
    return box;
  if (p->pinpad) {
    /* The reader asks for the PIN once the command logs in: nothing typed here. */
    gtk_box_append(GTK_BOX(box), label_new(
      _("Press Continue, then type your PIN on the reader's keypad. It is never typed on the computer."),
      NULL));
    if (p->state == RGSG_PIN_FINAL_TRY)
      add_confirm(p, box);
    return box;
  }
  entry = gtk_password_entry_new();
  gtk_password_entry_set_show_peek_icon(GTK_PASSWORD_ENTRY(entry), FALSE);
  rgsg_a11y_label(entry, _("PIN"));
  p->entry = GTK_EDITABLE(entry);
  g_signal_connect(entry, "changed", G_CALLBACK(on_changed), p);
  g_signal_connect(entry, "activate", G_CALLBACK(on_activate), p);
  gtk_box_append(GTK_BOX(box), entry);
  if (p->state == RGSG_PIN_FINAL_TRY)
    add_confirm(p, box);
  return box;
}

void rgsg_pin_ask_text_pinpad(GtkWindow *parent, const char *body, rgsg_pin_state state,
                              gboolean pinpad, const char *previous_error, rgsg_pin_fn fn,
                              gpointer user)
{
  pin_dialog *p = g_new0(pin_dialog, 1);
  GtkWidget *d = adw_message_dialog_new(parent, _("PIN of the key"), body);

  p->dialog = ADW_MESSAGE_DIALOG(d);
  p->state = state;
  p->pinpad = pinpad;
  p->fn = fn;
  p->user = user;
  gtk_window_set_title(GTK_WINDOW(d), _("PIN of the key"));
  adw_message_dialog_add_responses(p->dialog, "cancel", _("Cancel"), "ok", _("Continue"), NULL);
  adw_message_dialog_set_response_appearance(p->dialog, "ok",
    state == RGSG_PIN_FINAL_TRY ? ADW_RESPONSE_DESTRUCTIVE : ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_close_response(p->dialog, "cancel");
  adw_message_dialog_set_extra_child(p->dialog, build_body(p, previous_error));
  if (p->entry == NULL) {
    /* Locked or a keypad: nothing to type; a dummy entry keeps on_response simple. */
    p->entry = GTK_EDITABLE(g_object_ref_sink(gtk_text_new()));
    g_object_set_data_full(G_OBJECT(d), "rgsg-dummy", p->entry, g_object_unref);
  }
  update_ok(p);
  /* Freed with the dialog: also when it goes with its parent, unanswered. */
  g_object_set_data_full(G_OBJECT(d), "rgsg-pin", p, g_free);
  g_signal_connect(d, "response", G_CALLBACK(on_response), p);
  gtk_window_present(GTK_WINDOW(d));
  /* Enter continues on a keypad (nothing to type), the box first on the last try. */
  if (pinpad && p->confirm != NULL)
    gtk_widget_grab_focus(GTK_WIDGET(p->confirm));
  else if (pinpad)
    adw_message_dialog_set_default_response(p->dialog, "ok");
  else if (state != RGSG_PIN_LOCKED)
    gtk_widget_grab_focus(GTK_WIDGET(p->entry));
}

void rgsg_pin_ask(GtkWindow *parent, const char *label, rgsg_pin_state state,
                  const char *previous_error, rgsg_pin_fn fn, gpointer user)
{
  rgsg_pin_ask_pinpad(parent, label, state, FALSE, previous_error, fn, user);
}

void rgsg_pin_ask_pinpad(GtkWindow *parent, const char *label, rgsg_pin_state state,
                         gboolean pinpad, const char *previous_error, rgsg_pin_fn fn,
                         gpointer user)
{
  char *body = pinpad ? g_strdup_printf(_("Type your PIN on the reader's keypad for the key \"%s\"."), label)
                      : g_strdup_printf(_("Type the PIN of the key \"%s\"."), label);

  rgsg_pin_ask_text_pinpad(parent, body, state, pinpad, previous_error, fn, user);
  g_free(body);
}

void rgsg_pin_ask_text(GtkWindow *parent, const char *body, rgsg_pin_state state,
                       const char *previous_error, rgsg_pin_fn fn, gpointer user)
{
  rgsg_pin_ask_text_pinpad(parent, body, state, FALSE, previous_error, fn, user);
}
