/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_aed.h - the AED page's state, shared by rgsg_aed.c (the offices and
 * the fee) and rgsg_book.c (the appointment). Private to those two files. */
#ifndef RGSG_AED_H
#define RGSG_AED_H

#include "rgsg_internal.h"

struct rgsg_aed_ui {
  rgsg_win *w;
  GtkWidget *busy;
  GtkLabel *status;           /* what failed, or why a date is refused */
  GtkLabel *booked;           /* the appointment recorded */
  GtkDropDown *dept;
  GtkWidget *postal, *show;   /* a postal code instead of the département */
  GtkListBox *offices;
  GPtrArray *radios;          /* GtkCheckButton*, one per office row */
  GPtrArray *ids;             /* char*, the office ids, same order */
  char *appt_aed;             /* the office of the appointment recorded, or NULL */
  GtkCheckButton *mode_holder, *mode_aed;
  GtkWidget *km;
  GtkLabel *fee;
  GtkWidget *date;
  GtkWidget *book, *force, *back;
  gboolean quote_pending;     /* the mode changed while a child ran */
};

typedef struct rgsg_aed_ui rgsg_aed_ui;

/* rgsg_aed.c */
/* The office chosen (borrowed), or NULL. */
const char *rgsg_aed_chosen(rgsg_aed_ui *a);
/* "holder-travels" or "aed-travels". */
const char *rgsg_aed_mode(rgsg_aed_ui *a);
/* The distance typed in km, -1 when none or not a number. */
int rgsg_aed_km(rgsg_aed_ui *a);
/* Book's sensitivity from the office, the date and the mode. */
void rgsg_aed_update(rgsg_aed_ui *a);
/* After a child: the fee again when the mode changed meanwhile. */
void rgsg_aed_after_child(rgsg_aed_ui *a);

/* rgsg_book.c */
/* The booking's widgets (date, result, Book, Book anyway), appended to body
 * and to the button row. */
void rgsg_book_build(rgsg_aed_ui *a, GtkWidget *body, GtkWidget *buttons);
/* The appointment of `order show` (appointment: {aed, at}) shown, or none. */
void rgsg_book_show(rgsg_aed_ui *a, JsonNode *appointment);

#endif
