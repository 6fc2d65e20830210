/* SPDX-License-Identifier: BSD-3-Clause */
/* p11_waiter.c - a thread of its own blocked in C_WaitForSlotEvent(0), for
 * modules whose blocking wait costs nothing while nothing happens (OpenSC:
 * one SCardGetStatusChange with no timeout), where asking with
 * CKF_DONT_BLOCK on a timer makes pcsc-lite busy-wait.
 *
 * The thread tells the owner through an eventfd (readable: call
 * p11_waiter_take) and waits again only once the owner has rescanned and
 * handled what changed (p11_waiter_release): one rescan answers the event,
 * a module that answers at once cannot make the thread spin, and the
 * owner's calls do not run beside the start of the next wait (pcsc-lite
 * 1.9.9 keeps the reader states of all its contexts in one array, written
 * without a common lock: ThreadSanitizer shows that race otherwise). It
 * starts parked: the owner releases it after its first scan.
 *
 * Ending it: a parked thread ends at once. A thread inside the module is
 * left there, never woken by C_Finalize: OpenSC 0.23's C_Finalize frees
 * its readers and pcsc-lite 1.9.9's SCardReleaseContext destroys the
 * context's mutex while the cancelled wait still uses them (ThreadSanitizer
 * shows both). The module then stays initialised and loaded; the thread
 * frees its own state when the module returns, if ever (at the next reader
 * or card event, or never: the process ends). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "p11_internal.h"

struct p11_waiter {
  CK_FUNCTION_LIST_PTR f;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int fd;                      /* eventfd: readable when there is news */
  int pending;                 /* 1 an event not taken, 2 taken, not released */
  int ended;                   /* the wait failed: end_rv says why */
  CK_RV end_rv;
  int inside;                  /* in C_WaitForSlotEvent */
  int stop, exited, abandoned, joined;
};

static void waiter_free(p11_waiter *wt)
{
  pthread_mutex_destroy(&wt->mu);
  pthread_cond_destroy(&wt->cv);
  close(wt->fd);
  free(wt);
}

static void wake(p11_waiter *wt)
{
  uint64_t one = 1;

  /* EAGAIN: the counter is full, the owner has news pending anyway. */
  if (write(wt->fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
    return;
}

/* One answer of the module: say it. 1 when the thread must end. Under
 * wt->mu. */
static int waiter_report(p11_waiter *wt, CK_RV rv)
{
  if (wt->stop)
    return 1;                  /* C_Finalize from the owner: not news */
  if (rv != CKR_OK) {
    wt->ended = 1;
    wt->end_rv = rv;
    wake(wt);
    return 1;
  }
  wt->pending = 1;
  wake(wt);
  return 0;
}

/* Parked until the owner releases the thread: 1 when it must end. */
static int waiter_park(p11_waiter *wt)
{
  int stop;

  pthread_mutex_lock(&wt->mu);
  while (wt->pending && !wt->stop)
    pthread_cond_wait(&wt->cv, &wt->mu);
  stop = wt->stop;
  wt->inside = !stop;
  pthread_mutex_unlock(&wt->mu);
  return stop;
}

static void *waiter_main(void *arg)
{
  p11_waiter *wt = arg;
  CK_SLOT_ID slot;
  CK_RV rv;
  int end, abandoned;

  while (!waiter_park(wt)) {
    rv = wt->f->C_WaitForSlotEvent(0, &slot, NULL);
    pthread_mutex_lock(&wt->mu);
    wt->inside = 0;
    end = waiter_report(wt, rv);
    pthread_mutex_unlock(&wt->mu);
    if (end)
      break;
  }
  pthread_mutex_lock(&wt->mu);
  wt->exited = 1;
  abandoned = wt->abandoned;
  pthread_cond_broadcast(&wt->cv);
  pthread_mutex_unlock(&wt->mu);
  if (abandoned)
    waiter_free(wt);           /* the owner gave up on us: nobody else has it */
  return NULL;
}

p11_waiter *p11_waiter_start(CK_FUNCTION_LIST_PTR f)
{
  p11_waiter *wt;
  sigset_t all, old;
  int r;

  wt = calloc(1, sizeof(*wt));
  if (wt == NULL)
    return NULL;
  wt->f = f;
  wt->pending = 2;             /* parked until the owner's first scan */
  wt->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wt->fd < 0) {
    free(wt);
    return NULL;
  }
  pthread_mutex_init(&wt->mu, NULL);
  pthread_cond_init(&wt->cv, NULL);
  /* Signals go to the owner's loop (signalfd), never to this thread. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  r = pthread_create(&wt->thread, NULL, waiter_main, wt);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (r != 0) {
    waiter_free(wt);
    return NULL;
  }
  return wt;
}

int p11_waiter_fd(const p11_waiter *wt)
{
  return wt != NULL ? wt->fd : -1;
}

int p11_waiter_take(p11_waiter *wt, CK_RV *end_rv)
{
  uint64_t n;
  int ret = 0;

  if (wt == NULL || wt->joined)
    return 0;
  if (read(wt->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
    return 0;
  pthread_mutex_lock(&wt->mu);
  if (wt->pending == 1) {
    wt->pending = 2;
    ret = 1;
  } else if (wt->ended) {
    *end_rv = wt->end_rv;
    ret = -1;
  }
  pthread_mutex_unlock(&wt->mu);
  if (ret == -1) {
    pthread_join(wt->thread, NULL);     /* it has returned, or is about to */
    wt->joined = 1;
  }
  return ret;
}

void p11_waiter_release(p11_waiter *wt)
{
  if (wt == NULL)
    return;
  pthread_mutex_lock(&wt->mu);
  if (wt->pending == 2) {
    wt->pending = 0;
    pthread_cond_broadcast(&wt->cv);
  }
  pthread_mutex_unlock(&wt->mu);
}

int p11_waiter_running(const p11_waiter *wt)
{
  return wt != NULL && !wt->joined;
}

int p11_waiter_end(p11_waiter *wt)
{
  int left;

  if (wt == NULL)
    return 1;
  if (wt->joined) {
    waiter_free(wt);
    return 1;
  }
  pthread_mutex_lock(&wt->mu);
  wt->stop = 1;
  pthread_cond_broadcast(&wt->cv);
  left = wt->inside;
  wt->abandoned = left;
  pthread_mutex_unlock(&wt->mu);
  if (left) {
    pthread_detach(wt->thread);         /* it frees wt if the module returns */
    return 0;
  }
  pthread_join(wt->thread, NULL);       /* parked or leaving: at once */
  waiter_free(wt);
  return 1;
}
