/* SPDX-License-Identifier: BSD-3-Clause */
/* watch_internal.h - what the watcher's files share; not a public header
 * (watch.h is). */
#ifndef RGS_WATCH_INTERNAL_H
#define RGS_WATCH_INTERNAL_H

#include <limits.h>
#include "watch.h"

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
} watch_env;

/* What became of one token (see rgs_watch_outcome). */
typedef struct {
  const char *outcome;
  int exit_code;
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

#endif
