/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_officer.c - the AED officer's window: its pages, its children, its
 * end. The steps live in rgsg_officer_*.c. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgsg_officer.h"
#include "rgsg_officer_int.h"
#include "rgsg_pin.h"
#include "rgsg_ui.h"

typedef struct {
  rgsg_off *o;
  rgsg_done_fn done;
} run_ctx;

static void off_free(rgsg_off *o)
{
  rgsg_off_drop_pin(o);
  if (o->tmpdir != NULL) {
    /* The record and the report were copied where the officer chose. */
    if (o->record_path != NULL)
      unlink(o->record_path);
    if (o->pdf_path != NULL)
      unlink(o->pdf_path);
    rmdir(o->tmpdir);
  }
  g_clear_object(&o->pdf);
  g_free(o->tmpdir);
  g_free(o->holder_name);
  g_free(o->serial);
  g_free(o->short_form);
  g_clear_pointer(&o->aed_uris, g_ptr_array_unref);
  g_clear_pointer(&o->aed_labels, g_ptr_array_unref);
  g_clear_pointer(&o->aed_texts, g_ptr_array_unref);
  g_free(o->appt_office);
  g_free(o->appt_place);
  g_free(o->holder_uri);
  g_free(o->holder_label);
  g_free(o->aed_uri);
  g_free(o->aed_label);
  g_free(o->pop_error);
  g_free(o->record_path);
  g_free(o->pdf_path);
  g_free(o);
}

void rgsg_off_drop_pin(rgsg_off *o)
{
  if (o->holder_pin_fd >= 0)
    close(o->holder_pin_fd);
  o->holder_pin_fd = -1;
  o->holder_final_try = FALSE;
  o->holder_pinpad = FALSE;
}

void rgsg_off_show(rgsg_off *o, const char *name, GtkWidget *default_button)
{
  rgsg_stack_show(o->win, o->stack, name, default_button);
}

void rgsg_off_release(rgsg_off *o)
{
  if (o->closed && !o->running && o->choosers == 0)
    off_free(o);
}

static void on_child_done(const rgsg_result *r, gpointer data)
{
  run_ctx *rc = data;

  rc->o->running = FALSE;
  if (rc->o->closed)
    rgsg_off_release(rc->o);
  else
    rc->done(r, rc->o);
  g_free(rc);
}

gboolean rgsg_off_run(rgsg_off *o, const char *const *args, const rgsg_child_fd *fds,
                      size_t n_fds, rgsg_done_fn done, GtkLabel *status)
{
  run_ctx *rc = g_new0(run_ctx, 1);
  GError *err = NULL;

  rc->o = o;
  rc->done = done;
  if (rgsg_run_fds(&o->ctx, args, fds, n_fds, on_child_done, rc, &err)) {
    o->running = TRUE;
    return TRUE;
  }
  rgsg_start_failed(status, err);
  g_free(rc);
  return FALSE;
}

/* A child still at work calls back later: the state waits for it. */
static void on_destroy(GtkWidget *widget, gpointer data)
{
  rgsg_off *o = data;

  (void)widget;
  o->closed = TRUE;
  rgsg_off_release(o);
}

void rgsg_officer_new(GtkApplication *app, const rgsg_win_opts *opts)
{
  rgsg_off *o = g_new0(rgsg_off, 1);
  GtkWidget *win = adw_application_window_new(app);
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *stack = gtk_stack_new();

  o->win = GTK_WINDOW(win);
  o->ctx = opts->ctx;
  o->holder_pin_fd = -1;
  /* Private: the record and the report until the officer saves them. */
  o->tmpdir = g_dir_make_tmp("rgs-enroll-f2f-XXXXXX", NULL);
  o->stack = GTK_STACK(stack);
  gtk_window_set_title(o->win, _("RGS** face-to-face"));
  gtk_window_set_default_size(o->win, 720, 640);
  gtk_stack_set_transition_type(o->stack, GTK_STACK_TRANSITION_TYPE_NONE);
  gtk_stack_add_named(o->stack, rgsg_off_dossier_page(o), "dossier");
  gtk_stack_add_named(o->stack, rgsg_off_tokens_page(o), "tokens");
  gtk_stack_add_named(o->stack, rgsg_off_pop_page(o), "pop");
  gtk_stack_add_named(o->stack, rgsg_off_identity_page(o), "identity");
  gtk_stack_add_named(o->stack, rgsg_off_sign_page(o), "sign");
  gtk_stack_add_named(o->stack, rgsg_off_report_page(o), "report");
  gtk_widget_set_vexpand(stack, TRUE);
  gtk_box_append(GTK_BOX(box), adw_header_bar_new());
  gtk_box_append(GTK_BOX(box), stack);
  adw_application_window_set_content(ADW_APPLICATION_WINDOW(win), box);
  g_signal_connect(win, "destroy", G_CALLBACK(on_destroy), o);
  gtk_window_present(o->win);
  rgsg_off_dossier_enter(o);
}
