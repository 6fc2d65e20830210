/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_pinrun.h - the one PIN flow of the pages that sign on the key (the
 * key pair, the dossier, the certificate): the tries counter read again
 * (`tokens`) before each try, the PIN dialog, the child run with the PIN on
 * its pipe, PIN failures told apart by error.code, nothing retried. */
#ifndef RGSG_PINRUN_H
#define RGSG_PINRUN_H

#include "rgsg_internal.h"

typedef struct {
  GtkWidget *busy;            /* the page's spinner (rgsg_busy_new) */
  GtkLabel *error;            /* where a PIN failure is said */
  GtkLabel *tries;            /* the tries counter in words, or NULL */
  GtkWidget *go;              /* the button that started it: usable again after */
  const char *working;        /* the spinner's text while the child works */
  const char *again;          /* go's label after a wrong PIN, or NULL */
  const char *const *args;    /* the child's arguments */
  rgsg_progress_fn progress;  /* the child's --progress-fd events, or NULL */
  rgsg_done_fn done;          /* (r, w): success (go left off), or a failure
                               * not the PIN's (go usable again) */
} rgsg_pinrun_spec;

/* Start the flow for w (the spec and its strings are copied; one flow per
 * window at a time). done is not called when the person cancels or when
 * the PIN failed: the page then shows why, the counter and go again. */
void rgsg_pinrun_start(rgsg_win *w, const rgsg_pinrun_spec *spec);
/* Free w's flow (the window's end). */
void rgsg_pinrun_free(struct rgsg_pinrun *p);

#endif
