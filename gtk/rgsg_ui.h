/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_ui.h - small builders the pages share. */
#ifndef RGSG_UI_H
#define RGSG_UI_H

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

/* A wrapping, left-aligned label; css: a style class or NULL. */
GtkWidget *rgsg_label(const char *text, const char *css);
/* A page: a vertical box with a title, margins; append to it. */
GtkWidget *rgsg_page(const char *title);
/* A row of buttons, right-aligned, appended to page. */
GtkWidget *rgsg_button_row(GtkWidget *page);
/* A button with a label, appended to row; suggested: the main action. */
GtkWidget *rgsg_button(GtkWidget *row, const char *label, gboolean suggested);
/* A spinner with a label beside it, hidden; rgsg_busy shows or hides it. */
GtkWidget *rgsg_busy_new(const char *text, GtkLabel **label_out);
void rgsg_busy(GtkWidget *busy, gboolean on, const char *text);
/* The same line shown without the spinner turning: a wait of unknown length
 * (for a key to be plugged in) costs no redraw while nothing happens. */
void rgsg_busy_still(GtkWidget *busy, const char *text);
/* A child that could not be started, said in status (err is freed). */
void rgsg_start_failed(GtkLabel *status, GError *err);
/* Remove every row of a list box. */
void rgsg_list_clear(GtkListBox *list);

/* ---- for the screens after the request (hub, AED, documents) ---- */
/* A page's body that scrolls: a vertical box in a scrolled window that
 * takes the page's free height; append to the box returned. */
GtkWidget *rgsg_scrolled_body(GtkWidget *page);
/* A list box styled as a boxed list, named a11y, appended to box. */
GtkListBox *rgsg_boxed_list(GtkWidget *box, const char *a11y);
/* A row of list with a radio button (in group, or the first of one when
 * group is NULL) named title: Space or Enter on the row chooses it.
 * subtitle may be NULL. Returns the radio button. */
GtkCheckButton *rgsg_choice_row(GtkListBox *list, GtkCheckButton *group, const char *title,
                                const char *subtitle);
/* A date typed by a person (20/12/2026 or 2026-12-20, with a time when
 * want is RGSX_DATE_WANT_TIME), checked as it is typed: the label names
 * the entry, a line under it says the date in words or why it does not
 * read. Appended to box; returns the entry. */
GtkWidget *rgsg_date_field(GtkWidget *box, const char *label, unsigned want);
/* The entry's date in ISO form into iso (17 bytes): 1 when it reads, 0
 * when it is empty, -1 when it does not read. */
int rgsg_date_field_iso(GtkWidget *entry, char *iso, size_t n);
/* A label and an entry on one line, the label naming the entry; appended
 * to box; returns the entry. */
GtkWidget *rgsg_labelled_entry(GtkWidget *box, const char *label);

/* The name in a certificate's subject as the command prints it ("C = FR,
 * O = ..., CN = Jean DUPONT"): its CN, else the whole subject; sanitised.
 * Free with g_free(). */
char *rgsg_dn_name(const char *subject);
/* The command's message (lower case, no full stop, as it follows
 * "rgs-enroll: " in a terminal) as a sentence on its own: a capital and a
 * full stop; sanitised. Free with g_free(). */
char *rgsg_sentence(const char *text);
/* A failure for the person: the command's message as a sentence, then
 * what to do (advice, or NULL) on a line of its own. Free with g_free(). */
char *rgsg_failure_text(const char *message, const char *advice);

/* Show the page name of stack (the others hidden) with default_button as
 * win's default, focused when it can be pressed. */
void rgsg_stack_show(GtkWindow *win, GtkStack *stack, const char *name,
                     GtkWidget *default_button);
/* One criterion of `check --json` (criteria[]): its sentence for a person
 * and its verdict, with an icon named for screen readers. */
GtkWidget *rgsg_criterion_row(JsonNode *c);

#endif
