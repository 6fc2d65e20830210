/* SPDX-License-Identifier: BSD-3-Clause */
/* p11_waiter.c - a thread of its own blocked in C_WaitForSlotEvent(0), for
 * modules whose blocking wait costs nothing while nothing happens (OpenSC:
 * one SCardGetStatusChange with no timeout), where asking with
 * CKF_DONT_BLOCK on a timer makes pcsc-lite busy-wait.
 *
 * The thread tells the owner through an eventfd (readable: call
 * p11_waiter_take) and waits for the owner to take each event before it
 * waits again: one rescan answers it, and a module that answers at once
 * cannot make the thread spin. Only C_Finalize ends a blocked wait; the
 * owner calls it after p11_waiter_stop_begin, then p11_waiter_end joins. A
 * thread that does not come back in time is left behind (it frees its own
 * state) and the module must then stay loaded. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "p11_internal.h"

struct p11_waiter {
  CK_FUNCTION_LIST_PTR f;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int fd;                      /* eventfd: readable when there is news */
  int pending;                 /* an event not taken yet */
  int ended;                   /* the wait failed: end_rv says why */
  CK_RV end_rv;
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

/* One answer of the module: say it, and after an event wait until the
 * owner has taken it. 1 when the thread must end. Under wt->mu. */
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
  while (wt->pending && !wt->stop)
    pthread_cond_wait(&wt->cv, &wt->mu);
  return wt->stop;
}

static void *waiter_main(void *arg)
{
  p11_waiter *wt = arg;
  CK_SLOT_ID slot;
  CK_RV rv;
  int end, abandoned;

  do {
    rv = wt->f->C_WaitForSlotEvent(0, &slot, NULL);
    pthread_mutex_lock(&wt->mu);
    end = waiter_report(wt, rv);
    pthread_mutex_unlock(&wt->mu);
  } while (!end);
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
  if (wt->pending) {
    wt->pending = 0;
    ret = 1;
    pthread_cond_broadcast(&wt->cv);
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

int p11_waiter_running(const p11_waiter *wt)
{
  return wt != NULL && !wt->joined;
}

void p11_waiter_stop_begin(p11_waiter *wt)
{
  if (wt == NULL)
    return;
  pthread_mutex_lock(&wt->mu);
  wt->stop = 1;
  pthread_cond_broadcast(&wt->cv);
  pthread_mutex_unlock(&wt->mu);
}

/* Wait up to timeout_ms for the thread (woken by C_Finalize) to end. */
int p11_waiter_end(p11_waiter *wt, int timeout_ms)
{
  struct timespec dl;
  int r = 0, exited;

  if (wt == NULL)
    return 1;
  if (wt->joined) {
    waiter_free(wt);
    return 1;
  }
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += timeout_ms / 1000;
  dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (dl.tv_nsec >= 1000000000L) {
    dl.tv_sec++;
    dl.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&wt->mu);
  while (!wt->exited && r != ETIMEDOUT)
    r = pthread_cond_timedwait(&wt->cv, &wt->mu, &dl);
  exited = wt->exited;
  wt->abandoned = !exited;
  pthread_mutex_unlock(&wt->mu);
  if (!exited) {
    pthread_detach(wt->thread);         /* it frees wt when it comes back */
    return 0;
  }
  pthread_join(wt->thread, NULL);
  waiter_free(wt);
  return 1;
}
