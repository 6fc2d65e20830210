/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_internal.h - the window's state, shared by its page files. */
#ifndef RGSG_INTERNAL_H
#define RGSG_INTERNAL_H

#include "rgsg_text.h"
#include "rgsg_window.h"

struct rgsg_win {
  GtkWindow *win;
  GtkStack *stack;
  rgsg_ctx ctx;
  char *out_dir;
  /* the token chosen: its URI goes to every child as --token */
  char *token_uri;
  char *token_label;          /* sanitised */
  char *want_uri;             /* --token URI: only that token is taken */
  rgsg_pin_state pin_state;
  gint64 order_id;
  char *out_path;
  gboolean running;           /* a child is at work */
  gboolean closed;            /* the window is gone; free when the child ends */
  /* token page */
  GtkWidget *token_busy;
  GtkLabel *token_status;
  GtkWidget *token_retry, *token_next;
  GSubprocess *token_waiter;  /* `watch --once` while no key is found, or NULL */
  int waiters;                /* waiting children not ended yet (their callbacks hold w) */
  int choosers;               /* file choosers open (their callbacks hold w) */
  gboolean may_wait;          /* the look in progress may start a wait */
  /* check page */
  GtkWidget *check_busy;
  GtkListBox *check_list;
  GtkLabel *check_summary;
  GtkWidget *check_next;
  /* order page */
  GtkWidget *order_busy;
  GtkListBox *order_list;
  GtkLabel *order_status;
  GtkCheckButton *order_group;
  GtkWidget *order_next;
  /* new order page */
  GtkWidget *form_fields[6];  /* partner, first, last, e-mail, company, SIREN/SIRET */
  GtkLabel *form_errors[6];
  GtkCheckButton *form_cgu;
  GtkDropDown *form_payment;
  GtkWidget *form_save;
  GtkLabel *form_status;
  /* key page */
  GtkWidget *key_busy;
  GtkLabel *key_intro, *key_error, *key_tries;
  GtkWidget *key_go;
  /* done page */
  GtkLabel *done_path;
  GtkWidget *done_close, *done_next;
  /* --order N (the watcher's notification): open at that order's step */
  gint64 start_order;
  /* hub page: where the order stands, a way to every screen after the request */
  GtkWidget *hub_busy;
  GtkLabel *hub_title, *hub_status;
  GtkListBox *hub_steps;
  GtkWidget *hub_aed, *hub_docs, *hub_export, *hub_record, *hub_install, *hub_close;
  GtkListBox *hub_next;        /* what to do now, in the window's words */
  GtkWidget *hub_key, *hub_portal;   /* shown when the order needs them */
  /* pages kept in files of their own: their state is private to the file,
   * allocated by its page builder and freed with the page widget */
  struct rgsg_aed_ui *aed;
  struct rgsg_docs_ui *docs;
  struct rgsg_dossier_ui *dossier;
  struct rgsg_install_ui *install;
  struct rgsg_record_ui *record;
  /* the PIN flow of the page at work (rgsg_pinrun.c), freed with w */
  struct rgsg_pinrun *pinrun;
};

enum { RGSG_F_PARTNER, RGSG_F_FIRST, RGSG_F_LAST, RGSG_F_EMAIL, RGSG_F_COMPANY, RGSG_F_ID };

void rgsg_win_free(rgsg_win *w);
/* Free w when its window is closed and nothing can call back any more. */
void rgsg_win_release(rgsg_win *w);
/* Show page name, its main button as the window's default. */
void rgsg_show(rgsg_win *w, const char *name, GtkWidget *default_button);
/* Start a child with the token's --token; FALSE (message shown in
 * status) when it could not start. */
gboolean rgsg_win_run(rgsg_win *w, const char *const *args, const char *pin, gboolean final_try,
                      rgsg_done_fn done, GtkLabel *status);
/* The same, with the child's --progress-fd events: progress(..., w) until
 * done, never once the window is closed. */
gboolean rgsg_win_run_progress(rgsg_win *w, const char *const *args, const char *pin,
                               gboolean final_try, rgsg_progress_fn progress, rgsg_done_fn done,
                               GtkLabel *status);
/* The command's error message of a failed child, for a person (borrowed
 * from r, or a fixed sentence). */
const char *rgsg_error_text(const rgsg_result *r);

GtkWidget *rgsg_order_page(rgsg_win *w);
GtkWidget *rgsg_form_page(rgsg_win *w);
void rgsg_order_enter(rgsg_win *w);
GtkWidget *rgsg_key_page(rgsg_win *w);
GtkWidget *rgsg_done_page(rgsg_win *w);
void rgsg_key_enter(rgsg_win *w);

/* The check page, started (the token chosen). */
void rgsg_check_start(rgsg_win *w);
/* The hub (rgsg_hub.c): `status ID` of w->order_id, its six steps and the
 * screens after the request. rgsg_resume: the page where the order stands
 * (the key pair to make: the check then the key page; a certificate to
 * install: the install page; else the hub). */
GtkWidget *rgsg_hub_page(rgsg_win *w);
void rgsg_hub_enter(rgsg_win *w);
void rgsg_resume(rgsg_win *w);
/* The AED offices, the fee and the appointment (rgsg_aed.c, page "aed"). */
GtkWidget *rgsg_aed_page(rgsg_win *w);
void rgsg_aed_enter(rgsg_win *w);
/* The documents checklist (rgsg_docs.c, page "docs"). */
GtkWidget *rgsg_docs_page(rgsg_win *w);
void rgsg_docs_enter(rgsg_win *w);
/* The dossier exported for the AED (page "export") and the face-to-face
 * record imported (page "record"), rgsg_dossier.c. */
GtkWidget *rgsg_export_page(rgsg_win *w);
void rgsg_export_enter(rgsg_win *w);
GtkWidget *rgsg_record_page(rgsg_win *w);
void rgsg_record_enter(rgsg_win *w);
/* Installing the certificate (rgsg_install.c, page "install"). */
GtkWidget *rgsg_install_page(rgsg_win *w);
void rgsg_install_enter(rgsg_win *w);

#endif
