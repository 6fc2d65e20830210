/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_pin.h - the PIN dialog: masked entry, the tries counter in words, a
 * warning when tries are low, the last try only after an explicit
 * confirmation, nothing retried: every try is one press of Continue. */
#ifndef RGSG_PIN_H
#define RGSG_PIN_H

#include <gtk/gtk.h>
#include "rgsg_text.h"

/* pin: the PIN typed, RGSG_PIN_PINPAD for a token with a pinpad, or NULL
 * when the person cancelled. It is wiped and freed by the dialog once this
 * returns: use it (hand it to rgsg_run, which sends no PIN for
 * RGSG_PIN_PINPAD) before returning, never keep it. final_try: the person
 * confirmed the last try. */
typedef void (*rgsg_pin_fn)(const char *pin, gboolean final_try, gpointer user);

/* The "PIN" of a token whose reader has a keypad (tokens --json: token.pinpad,
 * flag protected-authentication-path): empty, so that rgsg_run starts the
 * child without --pin-fd and the command line logs in through the keypad. */
#define RGSG_PIN_PINPAD ""

/* Show the dialog over parent for the token `label`, its PIN state, and
 * the message of the previous attempt (NULL: none). */
void rgsg_pin_ask(GtkWindow *parent, const char *label, rgsg_pin_state state,
                  const char *previous_error, rgsg_pin_fn fn, gpointer user);

/* rgsg_pin_ask for a token whose reader may have a keypad: pinpad TRUE
 * shows no entry but "type your PIN on the reader's keypad", the tries and
 * the last-try confirmation all the same, and Continue calls fn with
 * RGSG_PIN_PINPAD. pinpad FALSE: rgsg_pin_ask. */
void rgsg_pin_ask_pinpad(GtkWindow *parent, const char *label, rgsg_pin_state state,
                         gboolean pinpad, const char *previous_error, rgsg_pin_fn fn,
                         gpointer user);

/* The same with the whole body text given (the askpass prompt). */
void rgsg_pin_ask_text(GtkWindow *parent, const char *body, rgsg_pin_state state,
                       const char *previous_error, rgsg_pin_fn fn, gpointer user);

/* The same for a token whose reader may have a keypad (as rgsg_pin_ask_pinpad). */
void rgsg_pin_ask_text_pinpad(GtkWindow *parent, const char *body, rgsg_pin_state state,
                              gboolean pinpad, const char *previous_error, rgsg_pin_fn fn,
                              gpointer user);

/* Whether Continue may be pressed: never when locked; a PIN typed unless
 * the reader has a keypad; on the last try, the box ticked. */
gboolean rgsg_pin_can_continue(rgsg_pin_state state, gboolean pinpad, gboolean typed,
                               gboolean confirmed);

/* Set the accessible name of w (a control without a visible label of its own). */
void rgsg_a11y_label(GtkWidget *w, const char *name);

#endif
