/* SPDX-License-Identifier: BSD-3-Clause */
/* watch_internal.h - what the watcher's files share; not a public header
 * (watch.h is). */
#ifndef RGS_WATCH_INTERNAL_H
#define RGS_WATCH_INTERNAL_H

#include <limits.h>
#include "watch.h"

/* A notification whose action opens the window, until the person clicks
 * it or it closes. */
typedef struct {
  uint32_t id;                 /* the notification's id, 0: a free place */
  long long order_id;
  char uri[1024];              /* the token's pkcs11: URI */
} watch_offer;

#define WATCH_OFFERS_MAX 8

/* What a step needs of the watcher: the run, the token module, the
 * notifier and the paths the step is given. */
typedef struct {
  const rgs_io *io;
  int dry_run;
  long long chosen;            /* watch --order, 0: none */
  const char *askpass;         /* the askpass program, or NULL */
  const char *trace;           /* --trace file, or NULL */
  rgs_p11_ctx *ctx;
  rgs_notifier *note;
  char module[PATH_MAX];
  char db[PATH_MAX];
  char lock_path[PATH_MAX];
  char self[PATH_MAX];         /* this very program, run for the step */
  char csr[PATH_MAX];          /* the request file of the last start */
  int pin_fd_used;             /* --pin-fd went to a step: a descriptor is read once */
  char window[PATH_MAX];       /* the window program, "" when none */
  watch_offer offers[WATCH_OFFERS_MAX];
  int windows;                 /* windows started and still open */
  int end_when_idle;           /* --once, its token handled: end once no offer or
                                * window is left */
  struct sd_event *ev;
} watch_env;

/* What became of one token (see rgs_watch_outcome). */
typedef struct {
  const char *outcome;
  int exit_code;
  int window;                  /* the notification offers to open the window */
  char message[3072];          /* room for a proposed command (rgs_watch_plan) */
} watch_result;

typedef enum {
  WATCH_STEP_DONE = 0,         /* r is filled */
  WATCH_STEP_REPLANNED,        /* under the lock the store said another step: p is the new plan */
} watch_step_rc;

/* Append "what realtime-ns" to the --trace file, if any. */
void watch_trace(const watch_env *e, const char *what);
/* A token for people: "Jean DUPONT" (Gemalto IDPrime MD 840, serial 1234). */
void watch_token_words(const rgs_p11_slot_info *i, char *buf, size_t len);

/* Run the step of plan p (start, install, check --delivered) for the token
 * of ev, under the lock, telling the person how it goes (watch_step.c). */
watch_step_rc watch_step_run(watch_env *e, const rgs_p11_event *ev, rgs_watch_plan *p,
                             watch_result *r);

/* ---- the window (watch_window.c) ---- */

/* The window program into e->window: given (checked), else rgs-enroll-gtk
 * beside e->self, else in PATH, else "". RGS_EXIT_OK or a usage error. */
int watch_window_find(watch_env *e, const char *given);
/* 1 when a notification for plan p can offer to open the window: a window
 * program, an order, a server that shows actions. */
int watch_window_can_offer(watch_env *e, const rgs_watch_plan *p);
/* The notification (summary, body) with the action that opens the window
 * for order p->order_id on the token of info; the offer kept until the
 * person answers. 1 when shown with its action. */
int watch_window_offer(watch_env *e, rgs_note_level level, const char *summary, const char *body,
                       const rgs_watch_plan *p, const rgs_p11_slot_info *info);
/* Offers still open, or windows still running (a --once watcher waits). */
int watch_window_pending(const watch_env *e);
/* The offers dropped (their wait is over); a --once watcher may end. */
void watch_window_forget(watch_env *e);
/* What the person did with notification id (rgs_note_event_fn). */
void watch_window_event(void *ud, uint32_t id, rgs_note_event what);

#endif
