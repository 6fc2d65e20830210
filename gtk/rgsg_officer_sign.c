/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_officer_sign.c - step 6 of the officer's window: the AED's PIN (its
 * counter read before), then one `f2f run ID --batch` with the holder's
 * PIN, the AED's PIN and the document number each on a pipe of its own
 * (--pin-fd 3, --aed-pin-fd 5, --id-number-fd 6), a PIN typed on a
 * reader's keypad on none; its outcome told by the
 * refused step or error.code. Nothing is retried: every try is a press. */
#include <string.h>
#include <unistd.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgsg_internal.h"
#include "rgsg_officer_int.h"
#include "rgsg_pin.h"
#include "rgsg_ui.h"

enum { FD_HOLDER_PIN = 3, FD_AED_PIN = 5, FD_ID_NUMBER = 6 };
/* The exit status of a PIN failure (rgs-enroll(1), EXIT STATUS). */
#define EXIT_PIN 5

static void sign_idle(rgsg_off *o)
{
  rgsg_busy(o->s_busy, FALSE, NULL);
  gtk_widget_set_sensitive(o->s_go, TRUE);
}

/* The step of f2f run that refused, NULL when none did. */
static JsonNode *failed_step(JsonNode *root)
{
  JsonNode *steps = rgsg_get(root, "steps"), *s;
  guint i, n = rgsg_len(steps, NULL);
  const char *res;

  for (i = 0; i < n; i++) {
    s = json_array_get_element(json_node_get_array(steps), i);
    res = rgsg_str(s, "result");
    if (res != NULL && strcmp(res, "fail") == 0)
      return s;
  }
  return NULL;
}

/* The holder's PIN refused by the holder's key: one try spent, back to
 * step 3, where the counter is read again. */
static void holder_pin_refused(rgsg_off *o, const rgsg_result *r)
{
  char *reason = rgsg_clean(rgsg_str(failed_step(r->root), "detail"));

  g_free(o->pop_error);
  o->pop_error = g_strdup_printf(_("The holder's PIN was refused by their key: %s. The refusal is recorded; the holder may type the PIN again."), reason);
  g_free(reason);
  sign_idle(o);
  rgsg_off_pop_enter(o);
}

/* After the AED's PIN was refused: its counter read again and shown. */
static void on_tries_after(const rgsg_result *r, gpointer data)
{
  rgsg_off *o = data;
  JsonNode *s = rgsg_slot_by_uri(r->root, o->aed_uri);

  if (s != NULL)
    gtk_label_set_text(o->s_tries, rgsg_pin_state_text(rgsg_pin_state_of(
                                     rgsg_str(s, "token.pin_state"))));
  sign_idle(o);
}

/* A failure before the session (no record): the AED's key or PIN, an AED
 * not listed, a key unplugged, told by error.code. */
static void run_failed(rgsg_off *o, const rgsg_result *r)
{
  static const char *const args[] = { "tokens", NULL };
  const char *code = rgsg_str(r->root, "error.code");
  rgsg_pin_error e = rgsg_pin_error_of(code);
  char *text;

  if (e != RGSG_PIN_ERR_NONE) {
    text = g_strdup_printf(_("Your AED key refused its PIN: %s"), rgsg_pin_error_text(e));
    /* The button waits for the counter: one child at a time. */
    if (rgsg_off_run(o, args, NULL, 0, on_tries_after, o->s_status))
      gtk_widget_set_sensitive(o->s_go, FALSE);
  } else if (code != NULL && (strcmp(code, "no-token") == 0 || strcmp(code, "token") == 0))
    text = g_strdup_printf(_("A key was unplugged or cannot be read: plug both keys in and try again.\n%s"),
                           rgsg_error_text(r));
  else if (code != NULL && strcmp(code, "check-failed") == 0)
    text = g_strdup_printf(_("The face-to-face cannot be signed: %s"), rgsg_error_text(r));
  else
    text = g_strdup(rgsg_error_text(r));
  gtk_label_set_text(o->s_status, text);
  g_free(text);
}

static void on_run(const rgsg_result *r, gpointer data)
{
  rgsg_off *o = data;
  const char *result = rgsg_str(r->root, "result");
  JsonNode *failed = failed_step(r->root);
  const char *step = rgsg_str(failed, "id");
  char *reason, *text;

  if (r->exit_status == 0 && result != NULL && strcmp(result, "success") == 0) {
    sign_idle(o);
    g_free(o->pop_error);
    o->pop_error = NULL;
    gtk_editable_set_text(o->i_number, "");
    rgsg_off_report_enter(o);
    return;
  }
  if (step != NULL && strcmp(step, "key-match") == 0 && r->exit_status == EXIT_PIN) {
    holder_pin_refused(o, r);
    return;
  }
  sign_idle(o);
  gtk_button_set_label(GTK_BUTTON(o->s_go), _("Try again: the holder types the PIN"));
  if (result != NULL) {
    reason = rgsg_clean(rgsg_str(r->root, "reason"));
    text = g_strdup_printf(_("The face-to-face was refused: %s. The refusal is signed and recorded; the order does not move on."), reason);
    gtk_label_set_text(o->s_status, text);
    g_free(text);
    g_free(reason);
    return;
  }
  run_failed(o, r);
}

/* The document number into its pipe; the copy wiped at once. */
static int number_pipe(rgsg_off *o)
{
  char *n = g_strdup(gtk_editable_get_text(o->i_number));
  int fd = rgsg_secret_pipe(n);

  rgsx_wipe(n, strlen(n));
  g_free(n);
  return fd;
}

/* The holder's PIN pipe and its options (global ones, before f2f); a key
 * with a keypad gets no pipe: its PIN is typed on the reader when f2f run
 * logs in (rgs-enroll(1)). The AED's likewise in start_run. */
static size_t holder_pin_args(rgsg_off *o, const char **args, size_t n, rgsg_child_fd *fds,
                              size_t *n_fds)
{
  if (!o->holder_pinpad) {
    args[n++] = "--pin-fd";
    args[n++] = "3";
    fds[(*n_fds)++] = (rgsg_child_fd){ o->holder_pin_fd, FD_HOLDER_PIN };
  }
  if (o->holder_final_try)
    args[n++] = "--final-try";
  return n;
}

static void start_run(rgsg_off *o, int aed_fd, gboolean aed_final)
{
  char num[32];
  const char *kind = gtk_drop_down_get_selected(o->i_kind) == 1 ? "passport" : "id-card";
  const char *args[40] = { "--token", o->holder_uri };
  rgsg_child_fd fds[3] = { { number_pipe(o), FD_ID_NUMBER } };
  size_t n_fds = 1, n = holder_pin_args(o, args, 2, fds, &n_fds);
  gboolean keypad = o->holder_pinpad || aed_fd < 0;

  g_snprintf(num, sizeof(num), "%lld", (long long)o->order_id);
  const char *const rest[] = {
    "f2f", "run", num, "--batch", "--aed-token", o->aed_uri,
    "--id-document", kind, "--id-name", gtk_editable_get_text(o->i_name),
    "--id-expires", gtk_editable_get_text(o->i_expires), "--id-number-fd", "6",
    "--id-verified", "yes", "--extract-date", gtk_editable_get_text(o->i_extract),
    "--office", gtk_editable_get_text(o->i_office), "--place", gtk_editable_get_text(o->i_place),
    "--out", o->record_path, "--force", aed_final ? "--aed-final-try" : NULL, NULL };
  for (size_t i = 0; rest[i] != NULL; i++)
    args[n++] = rest[i];
  if (aed_fd >= 0) {
    args[n++] = "--aed-pin-fd";
    args[n++] = "5";
    fds[n_fds++] = (rgsg_child_fd){ aed_fd, FD_AED_PIN };
  }
  args[n] = NULL;
  /* The holder's PIN is spent with this run: a new try is typed again. */
  o->holder_pin_fd = -1;
  o->holder_final_try = FALSE;
  o->holder_pinpad = FALSE;
  rgsg_busy(o->s_busy, TRUE, keypad
    ? _("The face-to-face is being recorded and signed. Type the PIN on the reader's keypad when it asks for it; do not unplug the keys.")
    : _("The face-to-face is being recorded and signed. Do not unplug the keys."));
  if (fds[0].fd < 0) {
    /* No pipe for the number: the PIN pipes go unused, closed here. */
    for (size_t i = 1; i < n_fds; i++)
      close(fds[i].fd);
    gtk_label_set_text(o->s_status, _("The PIN could not be handed over (no pipe). Try again."));
    sign_idle(o);
    return;
  }
  if (!rgsg_off_run(o, args, fds, n_fds, on_run, o->s_status))
    sign_idle(o);
}

static void on_aed_pin(const char *pin, gboolean final_try, gpointer data)
{
  rgsg_off *o = data;
  int fd;

  if (pin == NULL) {
    sign_idle(o);
    return;
  }
  /* A keypad (RGSG_PIN_PINPAD): no pipe, the AED types it on the reader. */
  fd = pin[0] != '\0' ? rgsg_secret_pipe(pin) : -1;
  if ((fd < 0 && pin[0] != '\0') || (o->holder_pin_fd < 0 && !o->holder_pinpad)) {
    if (fd >= 0)
      close(fd);
    gtk_label_set_text(o->s_status, _("The holder's PIN is no longer held: go back and let the holder type it again."));
    sign_idle(o);
    return;
  }
  start_run(o, fd, final_try);
}

static void on_state(const rgsg_result *r, gpointer data)
{
  rgsg_off *o = data;
  JsonNode *s = rgsg_slot_by_uri(r->root, o->aed_uri);
  rgsg_pin_state st;
  gboolean pinpad;
  char *body;

  if (s == NULL) {
    gtk_label_set_text(o->s_status, _("Your AED key is no longer there. Plug it in again."));
    sign_idle(o);
    return;
  }
  st = rgsg_pin_state_of(rgsg_str(s, "token.pin_state"));
  gtk_label_set_text(o->s_tries, rgsg_pin_state_text(st));
  rgsg_busy(o->s_busy, FALSE, NULL);
  pinpad = rgsg_bool(s, "token.pinpad", FALSE);
  body = pinpad ? g_strdup_printf(_("AED: type the PIN of your key \"%s\" on the reader's keypad. It signs the record."),
                                  o->aed_label)
                : g_strdup_printf(_("AED: type the PIN of your key \"%s\". It signs the record."),
                                  o->aed_label);
  rgsg_pin_ask_text_pinpad(o->win, body, st, pinpad, NULL, on_aed_pin, o);
  g_free(body);
}

static void on_go(GtkButton *b, gpointer data)
{
  static const char *const args[] = { "tokens", NULL };
  rgsg_off *o = data;

  (void)b;
  if (o->running)
    return;
  /* The last run spent the holder's PIN: a new try starts at step 3. */
  if (o->holder_pin_fd < 0 && !o->holder_pinpad) {
    g_free(o->pop_error);
    o->pop_error = g_strdup(_("The record was not made: for a new try the holder types the PIN again."));
    rgsg_off_pop_enter(o);
    return;
  }
  gtk_label_set_text(o->s_status, "");
  gtk_widget_set_sensitive(o->s_go, FALSE);
  rgsg_busy(o->s_busy, TRUE, _("Reading your AED key…"));
  if (!rgsg_off_run(o, args, NULL, 0, on_state, o->s_status))
    sign_idle(o);
}

void rgsg_off_sign_enter(rgsg_off *o)
{
  char *text = g_strdup_printf(_("Order %lld, %s. Your AED key \"%s\" signs the record of the face-to-face: the holder's proof of possession, the document and the extract you checked."),
                               (long long)o->order_id, o->holder_name, o->aed_label);

  g_free(o->record_path);
  o->record_path = g_build_filename(o->tmpdir, "record.p7m", NULL);
  gtk_label_set_text(o->s_intro, text);
  gtk_label_set_text(o->s_status, "");
  gtk_label_set_text(o->s_tries, "");
  gtk_button_set_label(GTK_BUTTON(o->s_go), _("Sign with your AED key"));
  g_free(text);
  rgsg_off_show(o, "sign", o->s_go);
}

GtkWidget *rgsg_off_sign_page(rgsg_off *o)
{
  GtkWidget *page = rgsg_page(_("6. Your signature"));
  GtkWidget *row, *back;

  o->s_intro = GTK_LABEL(rgsg_label("", NULL));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(o->s_intro));
  o->s_busy = rgsg_busy_new("", NULL);
  gtk_box_append(GTK_BOX(page), o->s_busy);
  o->s_status = GTK_LABEL(rgsg_label("", "error"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(o->s_status));
  o->s_tries = GTK_LABEL(rgsg_label("", "warning"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(o->s_tries));
  row = rgsg_button_row(page);
  back = rgsg_button(row, _("Back"), FALSE);
  o->s_go = rgsg_button(row, _("Sign with your AED key"), TRUE);
  g_signal_connect_swapped(back, "clicked", G_CALLBACK(rgsg_off_identity_enter), o);
  g_signal_connect(o->s_go, "clicked", G_CALLBACK(on_go), o);
  return page;
}
