/* SPDX-License-Identifier: BSD-3-Clause */
/* progress.h - how a long step goes, told while it runs: on a terminal a
 * line redrawn with the time (and what not to do), erased at the end; for
 * programs, JSON lines on the descriptor of --progress-fd:
 *   {"event":"start","step":"keygen","at":"2026-12-07T10:00:00.123+01:00"}
 *   {"event":"progress","step":"keygen","elapsed_ms":1000}     (about each second)
 *   {"event":"done","step":"keygen","ok":true,"elapsed_ms":12345}
 * Steps: check, keygen, csr, submit-wait, wait-token. The keys and the step
 * codes are a stable contract. */
#ifndef RGS_PROGRESS_H
#define RGS_PROGRESS_H

#include <time.h>
#include "flow.h"

/* The sink of --progress-fd. A descriptor that is not open is said once on
 * stderr when the sink is made; one that the reader closed, at the first
 * write that fails (EPIPE: SIGPIPE is kept from ending the run). From then
 * on nothing is written: the run goes on. Free with rgs_progress_free().
 * NULL on ENOMEM. */
rgs_progress *rgs_progress_new(int fd);
void rgs_progress_free(rgs_progress *p);

/* A step to tell about. */
typedef struct {
  const char *step;            /* stable code in the events */
  const char *tty_text;        /* translated words for a terminal; NULL: nothing shown there */
  long countdown_s;            /* > 0: the terminal counts this wait down instead of up */
  int ends_only;               /* start and done events only (a wait of hours or days) */
} rgs_progress_step;

typedef struct rgs_progress_run rgs_progress_run;

/* The step begins: the "start" event on io's sink (io or its sink may be
 * NULL: no events), then, while the step lasts, a thread that redraws
 * tty_text on stderr when stderr is a terminal (about every 150 ms) and
 * sends a "progress" event about every second. The thread never calls the
 * token's module and takes no signal. NULL when there is nothing to do
 * (rgs_progress_end accepts it). */
rgs_progress_run *rgs_progress_begin(const rgs_io *io, const rgs_progress_step *st);
/* The step ended (ok or not): the thread stopped and joined, the terminal
 * line erased, the "done" event sent. Frees run. Call it on every path. */
void rgs_progress_end(rgs_progress_run *run, int ok);

/* "2026-12-07T10:00:00.123+01:00": local time with its offset. */
void rgs_progress_iso8601(const struct timespec *ts, char *buf, size_t len);

#endif
