/* SPDX-License-Identifier: BSD-3-Clause */
/* progress.c - the terminal line and the JSON events of a long step (see
 * progress.h).
 *
 * PKCS#11 calls block (C_GenerateKeyPair takes 10 to 60 s on a card), so
 * the ticking runs in a thread of its own that waits on a condition
 * variable with a timeout: no SIGALRM (a module may not survive EINTR),
 * and the thread touches nothing but stderr and the event descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "progress.h"

#define TICK_MS 150              /* terminal redraw */
#define EVENT_EVERY_MS 1000      /* "progress" events */

struct rgs_progress {
  int fd;
  int broken;                    /* said once; nothing more is written */
  pthread_mutex_t lock;          /* the main thread and a ticker both write */
};

struct rgs_progress_run {
  rgs_progress *sink;            /* may be NULL */
  const char *step;
  const char *tty_text;          /* NULL: no terminal line */
  long countdown_s;
  int ends_only;                 /* no "progress" events */
  struct timespec start;         /* CLOCK_MONOTONIC */
  pthread_t thread;
  int has_thread;
  int stop;                      /* under mu */
  pthread_mutex_t mu;
  pthread_cond_t cv;
};

/* ---- the sink ------------------------------------------------------------ */

static void say_broken(rgs_progress *p, int err)
{
  p->broken = 1;
  fprintf(stderr, _("rgs-enroll: progress events stopped: descriptor %d (%s); the run goes on.\n"),
          p->fd, strerror(err));
}

rgs_progress *rgs_progress_new(int fd)
{
  rgs_progress *p = calloc(1, sizeof(*p));

  if (p == NULL)
    return NULL;
  p->fd = fd;
  pthread_mutex_init(&p->lock, NULL);
  if (fcntl(fd, F_GETFD) < 0)
    say_broken(p, errno);
  return p;
}

void rgs_progress_free(rgs_progress *p)
{
  if (p == NULL)
    return;
  pthread_mutex_destroy(&p->lock);
  free(p);
}

/* write(2) with SIGPIPE held back in this thread: a reader gone must give
 * EPIPE, not end the process. The SIGPIPE the write raised (directed at
 * this thread) is taken off again before the mask is restored. */
static int write_nopipe(int fd, const char *buf, size_t len)
{
  sigset_t pipe_set, old, pending;
  struct timespec zero = { 0, 0 };
  int was_pending, err = 0;
  ssize_t w;

  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  sigpending(&pending);
  was_pending = sigismember(&pending, SIGPIPE);
  while (len > 0) {
    w = write(fd, buf, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      err = w < 0 ? errno : EIO;
      break;
    }
    buf += w;
    len -= (size_t)w;
  }
  if (err == EPIPE && !was_pending)
    while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
      ;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return err;
}

static void sink_line(rgs_progress *p, const char *line)
{
  int err;

  if (p == NULL)
    return;
  pthread_mutex_lock(&p->lock);
  if (!p->broken) {
    err = write_nopipe(p->fd, line, strlen(line));
    if (err != 0)
      say_broken(p, err);
  }
  pthread_mutex_unlock(&p->lock);
}

void rgs_progress_iso8601(const struct timespec *ts, char *buf, size_t len)
{
  struct tm tm;
  char date[32], zone[8];
  time_t t = ts->tv_sec;

  localtime_r(&t, &tm);
  strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
  if (strftime(zone, sizeof(zone), "%z", &tm) != 5)
    snprintf(zone, sizeof(zone), "+0000");
  /* ISO 8601 extended form: +01:00, not +0100. */
  snprintf(buf, len, "%s.%03ld%.3s:%.2s", date, ts->tv_nsec / 1000000L, zone, zone + 3);
}

static long elapsed_ms(const rgs_progress_run *r)
{
  struct timespec now;

  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long)(now.tv_sec - r->start.tv_sec) * 1000L +
         (now.tv_nsec - r->start.tv_nsec) / 1000000L;
}

/* ---- the terminal line --------------------------------------------------- */

/* At most max characters of s (UTF-8: continuation bytes are free), so a
 * line never wraps and "\r" always goes back to its start. */
static size_t fit_columns(const char *s, size_t max)
{
  size_t i, cols = 0;

  for (i = 0; s[i] != '\0'; i++) {
    if (((unsigned char)s[i] & 0xc0) == 0x80)
      continue;
    if (cols == max)
      break;
    cols++;
  }
  return i;
}

static void draw(const rgs_progress_run *r, unsigned frame, long ms)
{
  static const char spin[] = "|/-\\";
  struct winsize ws;
  char line[512], out[600];
  size_t max = 79, n;
  long s = r->countdown_s > 0 ? r->countdown_s - ms / 1000 : ms / 1000;

  if (s < 0)
    s = 0;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
    max = ws.ws_col - 1u;
  snprintf(line, sizeof(line), "%c %ld:%02ld %s", spin[frame % 4], s / 60, s % 60, r->tty_text);
  n = fit_columns(line, max);
  /* Redrawn in place: back to the start, the text, the rest cleared. */
  snprintf(out, sizeof(out), "\r%.*s\033[K", (int)n, line);
  if (write(STDERR_FILENO, out, strlen(out)) < 0)
    return;                    /* nothing to do about a terminal gone */
}

static void erase(void)
{
  if (write(STDERR_FILENO, "\r\033[K", 4) < 0)
    return;
}

/* ---- the ticker ---------------------------------------------------------- */

static void event_progress(rgs_progress_run *r, long ms)
{
  char line[160];

  snprintf(line, sizeof(line), "{\"event\":\"progress\",\"step\":\"%s\",\"elapsed_ms\":%ld}\n",
           r->step, ms);
  sink_line(r->sink, line);
}

static void *ticker(void *ud)
{
  rgs_progress_run *r = ud;
  struct timespec until;
  long next_event = EVENT_EVERY_MS, ms;
  unsigned frame = 0;

  pthread_mutex_lock(&r->mu);
  clock_gettime(CLOCK_MONOTONIC, &until);
  while (!r->stop) {
    until.tv_nsec += TICK_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    if (pthread_cond_timedwait(&r->cv, &r->mu, &until) != ETIMEDOUT || r->stop)
      continue;
    ms = elapsed_ms(r);
    if (r->tty_text != NULL)
      draw(r, frame++, ms);
    if (r->sink != NULL && !r->ends_only && ms >= next_event) {
      event_progress(r, ms);
      next_event = (ms / EVENT_EVERY_MS + 1) * EVENT_EVERY_MS;
    }
  }
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

/* The thread starts with every signal blocked: Ctrl-C, SIGTERM and the
 * watcher's signalfd signals stay the main thread's. */
static int start_thread(rgs_progress_run *r)
{
  pthread_condattr_t ca;
  sigset_t all, old;
  int err;

  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&r->cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&r->mu, NULL);
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  err = pthread_create(&r->thread, NULL, ticker, r);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (err != 0) {
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    return 0;
  }
  r->has_thread = 1;
  return 1;
}

rgs_progress_run *rgs_progress_begin(const rgs_io *io, const rgs_progress_step *st)
{
  rgs_progress *sink = io != NULL ? io->progress : NULL;
  int tty = st->tty_text != NULL && isatty(STDERR_FILENO);
  rgs_progress_run *r;
  struct timespec now;
  char at[48], line[200];

  if (sink == NULL && !tty)
    return NULL;
  r = calloc(1, sizeof(*r));
  if (r == NULL)
    return NULL;
  r->sink = sink;
  r->step = st->step;
  r->tty_text = tty ? st->tty_text : NULL;
  r->countdown_s = st->countdown_s;
  r->ends_only = st->ends_only;
  clock_gettime(CLOCK_MONOTONIC, &r->start);
  clock_gettime(CLOCK_REALTIME, &now);
  rgs_progress_iso8601(&now, at, sizeof(at));
  snprintf(line, sizeof(line), "{\"event\":\"start\",\"step\":\"%s\",\"at\":\"%s\"}\n",
           r->step, at);
  sink_line(sink, line);
  if (r->tty_text != NULL)
    draw(r, 0, 0);             /* at once, not after the first tick */
  if (r->tty_text != NULL || !st->ends_only)
    start_thread(r);           /* without it: start and done events only */
  return r;
}

void rgs_progress_end(rgs_progress_run *r, int ok)
{
  char line[200];

  if (r == NULL)
    return;
  if (r->has_thread) {
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
  }
  if (r->tty_text != NULL)
    erase();
  snprintf(line, sizeof(line),
           "{\"event\":\"done\",\"step\":\"%s\",\"ok\":%s,\"elapsed_ms\":%ld}\n", r->step,
           ok ? "true" : "false", elapsed_ms(r));
  sink_line(r->sink, line);
  free(r);
}
