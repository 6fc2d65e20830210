/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_officer_int.h - the AED officer's window: its state, shared by its
 * step files (rgsg_officer*.c). A window of its own, not the holder's. */
#ifndef RGSG_OFFICER_INT_H
#define RGSG_OFFICER_INT_H

#include <adwaita.h>
#include "rgsg_child.h"
#include "rgsg_text.h"

typedef struct rgsg_off rgsg_off;

struct rgsg_off {
  GtkWindow *win;
  GtkStack *stack;
  rgsg_ctx ctx;
  gboolean running;            /* a child is at work */
  gboolean closed;             /* the window is gone; free when the child ends */
  int choosers;                /* file choosers open (their callbacks hold o) */
  char *tmpdir;                /* the record and the report before they are saved */
  /* the order imported or chosen */
  gint64 order_id;
  char *holder_name;           /* sanitised */
  char *serial;                /* the holder's token serial named by the dossier */
  char *short_form;            /* the dossier's short form, for order check-qr */
  char *appt_office, *appt_place;  /* from the appointment booked, or NULL (sanitised) */
  /* the two tokens */
  char *holder_uri, *holder_label, *aed_uri, *aed_label;
  /* the holder's PIN, typed at step 3: only in a pipe until f2f run reads it */
  int holder_pin_fd;
  gboolean holder_final_try;
  gboolean holder_pinpad;      /* typed on the reader's keypad during the run: no pipe */
  char *pop_error;             /* the last run's word on the holder's PIN */
  char *record_path, *pdf_path;
  /* step 1: the dossier */
  GtkWidget *d_busy, *d_next;
  GtkLabel *d_status, *d_order;
  GtkListBox *d_list;
  /* step 2: the tokens */
  GtkWidget *t_busy, *t_next;
  GtkLabel *t_holder, *t_aed, *t_summary;
  GtkDropDown *t_aed_pick;     /* shown when several keys could be the AED's */
  GPtrArray *aed_uris, *aed_labels, *aed_texts;  /* the candidates (g_free'd) */
  GtkListBox *t_list;
  /* step 3: proof of possession */
  GtkWidget *p_busy, *p_go;
  GtkLabel *p_error, *p_tries;
  /* steps 4 and 5: the identity document and the registration extract */
  GtkDropDown *i_kind;
  GtkEditable *i_name, *i_expires, *i_number, *i_extract, *i_office, *i_place;
  GtkCheckButton *i_checked;
  GtkLabel *i_status;
  GtkWidget *i_next;
  /* step 6: the AED's PIN and the signature */
  GtkWidget *s_busy, *s_go;
  GtkLabel *s_intro, *s_status, *s_tries;
  /* steps 7 and 8: the report and the record */
  GtkWidget *r_busy, *r_print, *r_save;
  GtkBox *r_pages;
  GtkLabel *r_status;
  GObject *pdf;                /* the PopplerDocument shown and printed */
};

/* Free o when its window is closed and nothing can call back any more. */
void rgsg_off_release(rgsg_off *o);
/* Show page name, its main button as the window's default. */
void rgsg_off_show(rgsg_off *o, const char *name, GtkWidget *default_button);
/* Start `rgs-enroll --json args` with the descriptors fds (owned by the
 * call); done(r, o) unless the window was closed. FALSE (said in status)
 * when it could not start. */
gboolean rgsg_off_run(rgsg_off *o, const char *const *args, const rgsg_child_fd *fds,
                      size_t n_fds, rgsg_done_fn done, GtkLabel *status);
/* The holder's PIN pipe closed, if one is held. */
void rgsg_off_drop_pin(rgsg_off *o);

GtkWidget *rgsg_off_dossier_page(rgsg_off *o);
void rgsg_off_dossier_enter(rgsg_off *o);
GtkWidget *rgsg_off_tokens_page(rgsg_off *o);
void rgsg_off_tokens_enter(rgsg_off *o);
GtkWidget *rgsg_off_pop_page(rgsg_off *o);
void rgsg_off_pop_enter(rgsg_off *o);
GtkWidget *rgsg_off_identity_page(rgsg_off *o);
void rgsg_off_identity_enter(rgsg_off *o);
/* Empty the identity page (name, dates, document number, the box "checked
 * against the person"): nothing of one holder reaches the next one. */
void rgsg_off_identity_reset(rgsg_off *o);
GtkWidget *rgsg_off_sign_page(rgsg_off *o);
void rgsg_off_sign_enter(rgsg_off *o);
GtkWidget *rgsg_off_report_page(rgsg_off *o);
void rgsg_off_report_enter(rgsg_off *o);

#endif
