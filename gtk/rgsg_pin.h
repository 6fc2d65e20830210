/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_pin.h - the PIN dialog: masked entry, the tries counter in words, a
 * warning when tries are low, the last try only after an explicit
 * confirmation, nothing retried: every try is one press of Continue. */
#ifndef RGSG_PIN_H
#define RGSG_PIN_H

#include <gtk/gtk.h>
#include "rgsg_text.h"

/* pin: the PIN typed, or NULL when the person cancelled. It is wiped and
 * freed by the dialog once this returns: use it (hand it to rgsg_run)
 * before returning, never keep it. final_try: the person confirmed the
 * last try. */
typedef void (*rgsg_pin_fn)(const char *pin, gboolean final_try, gpointer user);

/* Show the dialog over parent for the token `label`, its PIN state, and
 * the message of the previous attempt (NULL: none). */
void rgsg_pin_ask(GtkWindow *parent, const char *label, rgsg_pin_state state,
                  const char *previous_error, rgsg_pin_fn fn, gpointer user);

/* The same with the whole body text given (the askpass prompt). */
void rgsg_pin_ask_text(GtkWindow *parent, const char *body, rgsg_pin_state state,
                       const char *previous_error, rgsg_pin_fn fn, gpointer user);

/* Set the accessible name of w (a control without a visible label of its own). */
void rgsg_a11y_label(GtkWidget *w, const char *name);

#endif
