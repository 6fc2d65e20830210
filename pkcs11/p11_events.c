/* SPDX-License-Identifier: BSD-3-Clause */
/* p11_events.c - slot events: tokens that appear and disappear.
 *
 * One generic loop serves every module:
 *   - a module with slot events (OpenSC, SafeNet's libeToken) is asked with
 *     C_WaitForSlotEvent(CKF_DONT_BLOCK); once it has reported an event we
 *     trust its "no event" and rescan only when it reports one (plus a slow
 *     safety rescan);
 *   - every other module is rescanned at each poll: C_GetSlotList with a NULL
 *     list first (OpenSC and p11-kit refresh their readers then), then the
 *     token information of each slot;
 *   - a module that only reads its token set at C_Initialize (SoftHSM2,
 *     tpm2-pkcs11, OpenSC without plug-and-play for a new reader) is
 *     finalised and initialised again before the rescan, when we initialised
 *     it ourselves and the caller holds no session. When that C_Initialize
 *     fails (SoftHSM2 while its token directory is being replaced, a reader
 *     service restarting), the module is left finalised: the next polls try
 *     C_Initialize again, on the backoff, before anything else.
 *
 * A failed poll is retried on the backoff too, never at once: a failure
 * that lasts a moment must not burn the caller's patience in a busy loop.
 *
 * Non-blocking C_WaitForSlotEvent on a backoff is the default: a blocked
 * call can only be interrupted by C_Finalize from another thread and cannot
 * honour a timeout or a signal. But through OpenSC and pcsc-lite each
 * non-blocking call is a burst of requests to pcscd, so a caller that can
 * poll a descriptor asks for opts.blocking: a thread of its own
 * (p11_waiter.c) then blocks in C_WaitForSlotEvent(0) and the watch only
 * rescans when it reports an event. The module is then never
 * re-initialised (C_Finalize would end the wait), and rgs_p11_watch_free
 * leaves a thread blocked in the module there, the module initialised and
 * loaded (p11_waiter.c says why).
 *
 * Changes are found by comparing snapshots of the present tokens, by
 * identity (manufacturer, model, serial, label; slot for tokens without a
 * serial), so that a module that renumbers its slots at C_Initialize does
 * not produce false events.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "p11_internal.h"

#define WATCH_MIN_MS 25
#define WATCH_MAX_MS 150
#define WATCH_SAFETY_RESCAN_MS 2000   /* modules with working events */
#define WATCH_SAFETY_REINIT_MS 5000   /* modules with reader slots but no event seen */
#define WATCH_KICK_BURST_MS 3000      /* after a kick: re-initialise at every poll */
#define WATCH_MAX_TOKENS 256
#define WATCH_QUEUE 64

struct rgs_p11_watch {
  rgs_p11_ctx *ctx;
  rgs_p11_watch_opts opts;
  int primed;                    /* a first snapshot was taken */
  int events_supported;          /* C_WaitForSlotEvent(DONT_BLOCK) did not say unsupported */
  int events_seen;               /* ... and it has reported an event at least once */
  int removable_slots;           /* the last scan saw a CKF_REMOVABLE_DEVICE slot */
  int need_init;                 /* we finalised and C_Initialize failed since */
  int failing;                   /* the last look at the module failed */
  int interval_ms;               /* current backoff */
  long long next_poll;           /* monotonic ms */
  long long last_rescan, last_reinit;
  long long burst_until;         /* kick: re-initialise at every poll until then */
  unsigned long reinits, rescans;
  rgs_p11_slot_info *known;      /* the present tokens at the last scan */
  size_t n_known;
  rgs_p11_event queue[WATCH_QUEUE];
  size_t q_head, q_len;
  p11_waiter *waiter;            /* opts.blocking: the thread in C_WaitForSlotEvent(0) */
  int woken;                     /* the waiter reported: rescan at the next poll */
};

static long long now_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int same_token(const rgs_p11_slot_info *a, const rgs_p11_slot_info *b)
{
  int init_a = (a->token_flags & CKF_TOKEN_INITIALIZED) != 0;
  int init_b = (b->token_flags & CKF_TOKEN_INITIALIZED) != 0;

  if (init_a != init_b || strcmp(a->manufacturer, b->manufacturer) != 0 ||
      strcmp(a->model, b->model) != 0 || strcmp(a->serial, b->serial) != 0 ||
      strcmp(a->label, b->label) != 0)
    return 0;
  /* Without a serial, two blank tokens are told apart by their slot only. */
  if (a->serial[0] == '\0')
    return a->slot_id == b->slot_id &&
           strcmp(a->slot_description, b->slot_description) == 0;
  return 1;
}

static void queue_push(rgs_p11_watch *w, rgs_p11_event_kind kind, const rgs_p11_slot_info *info)
{
  rgs_p11_event *ev;

  if (w->q_len == WATCH_QUEUE)     /* cannot happen with WATCH_MAX_TOKENS bounded scans */
    return;
  ev = &w->queue[(w->q_head + w->q_len) % WATCH_QUEUE];
  ev->kind = kind;
  ev->info = *info;
  w->q_len++;
}

static int queue_pop(rgs_p11_watch *w, rgs_p11_event *ev)
{
  if (w->q_len == 0)
    return 0;
  *ev = w->queue[w->q_head];
  w->q_head = (w->q_head + 1) % WATCH_QUEUE;
  w->q_len--;
  return 1;
}

/* C_Initialize of a module that we finalised. On failure the module stays
 * finalised and need_init says so: every later poll starts here again. */
static rgs_p11_rc initialize_again(rgs_p11_watch *w)
{
  CK_C_INITIALIZE_ARGS args;
  rgs_p11_ctx *ctx = w->ctx;
  CK_RV rv;

  memset(&args, 0, sizeof(args));
  args.flags = CKF_OS_LOCKING_OK;
  rv = ctx->f->C_Initialize(&args);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    w->need_init = 1;
    return rgs_p11_fail(ctx, "C_Initialize", rv);
  }
  w->need_init = 0;
  ctx->we_initialized = rv == CKR_OK;
  w->reinits++;
  w->last_reinit = now_ms();
  return RGS_P11_OK;
}

/* C_Finalize then C_Initialize, so that a module that reads its token set
 * at initialisation sees the current one. Only for a module we initialised. */
static rgs_p11_rc reinitialize(rgs_p11_watch *w)
{
  rgs_p11_ctx *ctx = w->ctx;

  if (!ctx->we_initialized)
    return RGS_P11_OK;
  ctx->f->C_Finalize(NULL);
  ctx->we_initialized = 0;
  return initialize_again(w);
}

/* Take a snapshot of the present tokens into *out (*n entries; free()). */
static rgs_p11_rc snapshot(rgs_p11_watch *w, rgs_p11_slot_info **out, size_t *n)
{
  rgs_p11_ctx *ctx = w->ctx;
  rgs_p11_slot_info *slots = NULL;
  size_t count = 0, i, kept = 0;
  CK_ULONG refresh = 0;
  CK_RV rv;
  rgs_p11_rc rc;

  *out = NULL;
  *n = 0;
  /* The NULL-list query is where plug-and-play modules look for new
   * readers; its answer is not used. */
  rv = ctx->f->C_GetSlotList(CK_FALSE, NULL, &refresh);
  if (rv != CKR_OK)
    return rgs_p11_fail(ctx, "C_GetSlotList", rv);
  rc = rgs_p11_slots(ctx, &slots, &count);
  if (rc == RGS_P11_ERR_MODULE) {
    /* A slot that vanished between the list and its info (a reader
     * unplugged right then): try once more. */
    free(slots);
    slots = NULL;
    rc = rgs_p11_slots(ctx, &slots, &count);
  }
  if (rc != RGS_P11_OK)
    return rc;
  w->removable_slots = 0;
  for (i = 0; i < count; i++) {
    if (slots[i].slot_flags & CKF_REMOVABLE_DEVICE)
      w->removable_slots = 1;
    if (slots[i].token_present && kept < WATCH_MAX_TOKENS)
      slots[kept++] = slots[i];
  }
  *out = slots;
  *n = kept;
  w->rescans++;
  w->last_rescan = now_ms();
  return RGS_P11_OK;
}

/* Compare a new snapshot with the known one and queue the differences:
 * removals first, then appearances, each in slot order. */
static void diff_and_keep(rgs_p11_watch *w, rgs_p11_slot_info *cur, size_t n)
{
  size_t i, j;

  for (i = 0; i < w->n_known; i++) {
    for (j = 0; j < n; j++)
      if (same_token(&w->known[i], &cur[j]))
        break;
    if (j == n)
      queue_push(w, RGS_P11_EVENT_REMOVED, &w->known[i]);
  }
  for (j = 0; j < n; j++) {
    for (i = 0; i < w->n_known; i++)
      if (same_token(&w->known[i], &cur[j]))
        break;
    if (i == w->n_known)
      queue_push(w, RGS_P11_EVENT_APPEARED, &cur[j]);
  }
  free(w->known);
  w->known = cur;
  w->n_known = n;
}

/* Does the module say something happened? 1 yes, 0 no. */
static int module_event(rgs_p11_watch *w)
{
  CK_SLOT_ID slot = 0;
  CK_RV rv;
  int any = 0, guard;

  if (!w->events_supported)
    return 0;
  /* Drain what is pending: one rescan answers all of it. */
  for (guard = 0; guard < WATCH_MAX_TOKENS; guard++) {
    rv = w->ctx->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL);
    if (rv == CKR_OK) {
      any = 1;
      w->events_seen = 1;
      continue;
    }
    if (rv == CKR_FUNCTION_NOT_SUPPORTED)
      w->events_supported = 0;
    break;
  }
  return any;
}

static int want_reinit(const rgs_p11_watch *w, long long t)
{
  if (!w->ctx->we_initialized || w->opts.reinit == RGS_P11_REINIT_NEVER ||
      p11_waiter_running(w->waiter))
    return 0;
  if (w->opts.reinit == RGS_P11_REINIT_ALWAYS)
    return 1;
  if (w->events_seen)                        /* the module tracks its tokens */
    return 0;
  if (t < w->burst_until)                    /* a device was just plugged or pulled */
    return 1;
  if (!w->removable_slots)                   /* software tokens: seen at init only */
    return 1;
  return t - w->last_reinit >= WATCH_SAFETY_REINIT_MS;
}

rgs_p11_rc rgs_p11_watch_new(rgs_p11_ctx *ctx, const rgs_p11_watch_opts *opts,
                             rgs_p11_watch **out)
{
  rgs_p11_watch *w = NULL;
  CK_SLOT_ID slot = 0;
  CK_RV rv;

  if (ctx == NULL || ctx->f == NULL || out == NULL)
    return RGS_P11_ERR_ARG;
  *out = NULL;
  w = calloc(1, sizeof(*w));
  if (w == NULL)
    return RGS_P11_ERR_NOMEM;
  w->ctx = ctx;
  if (opts != NULL)
    w->opts = *opts;
  if (w->opts.min_interval_ms <= 0)
    w->opts.min_interval_ms = WATCH_MIN_MS;
  if (w->opts.max_interval_ms <= 0)
    w->opts.max_interval_ms = WATCH_MAX_MS;
  if (w->opts.max_interval_ms < w->opts.min_interval_ms)
    w->opts.max_interval_ms = w->opts.min_interval_ms;
  w->interval_ms = w->opts.min_interval_ms;
  /* Probe once; the events already pending describe the tokens that the
   * first snapshot will list anyway. */
  rv = ctx->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL);
  w->events_supported = rv != CKR_FUNCTION_NOT_SUPPORTED && rv != CKR_ARGUMENTS_BAD;
  if (rv == CKR_OK)
    module_event(w);
  w->last_reinit = w->last_rescan = now_ms();
  /* Only a module we initialised: nobody else may finalise it under the
   * blocked wait (p11_waiter.c). */
  if (w->opts.blocking && w->events_supported && ctx->we_initialized)
    w->waiter = p11_waiter_start(ctx->f);
  *out = w;
  return RGS_P11_OK;
}

/* End the waiter. One left inside the module keeps the module initialised
 * and loaded (p11_waiter.c): the ctx stays usable, rgs_p11_ctx_free then
 * neither finalises nor unloads it. */
static void stop_waiter(rgs_p11_watch *w)
{
  if (w->waiter != NULL && !p11_waiter_end(w->waiter))
    w->ctx->keep_loaded = 1;
  w->waiter = NULL;
}

void rgs_p11_watch_free(rgs_p11_watch *w)
{
  if (w == NULL)
    return;
  stop_waiter(w);
  free(w->known);
  free(w);
}

void rgs_p11_watch_kick(rgs_p11_watch *w)
{
  long long t;

  if (w == NULL)
    return;
  t = now_ms();
  w->interval_ms = w->opts.min_interval_ms;
  w->next_poll = t;
  w->burst_until = t + WATCH_KICK_BURST_MS;
}

/* The waiter watches the module and nothing else is due: no timer. */
static int waiting_quietly(const rgs_p11_watch *w)
{
  return p11_waiter_running(w->waiter) && w->primed && !w->woken && !w->failing &&
         !w->need_init && now_ms() >= w->burst_until;
}

int rgs_p11_watch_fd(const rgs_p11_watch *w)
{
  return w != NULL ? p11_waiter_fd(w->waiter) : -1;
}

int rgs_p11_watch_next_ms(const rgs_p11_watch *w)
{
  long long d;

  if (w == NULL)
    return RGS_P11_WAIT_FOREVER;
  if (w->q_len > 0)
    return 0;
  if (waiting_quietly(w))
    return RGS_P11_WAIT_FOREVER;
  d = w->next_poll - now_ms();
  if (d < 0)
    return 0;
  return d > w->opts.max_interval_ms ? w->opts.max_interval_ms : (int)d;
}

int rgs_p11_watch_failing(const rgs_p11_watch *w)
{
  return w != NULL && w->failing;
}

int rgs_p11_watch_uses_events(const rgs_p11_watch *w)
{
  return w != NULL && w->events_seen;
}

void rgs_p11_watch_stats(const rgs_p11_watch *w, unsigned long *rescans,
                         unsigned long *reinits)
{
  if (rescans != NULL)
    *rescans = w != NULL ? w->rescans : 0;
  if (reinits != NULL)
    *reinits = w != NULL ? w->reinits : 0;
}

/* One look at the module: initialise it again if a re-initialisation
 * failed, else the slot events, re-initialisation and rescan that are due. */
static rgs_p11_rc look(rgs_p11_watch *w, long long t)
{
  rgs_p11_slot_info *cur = NULL;
  size_t n = 0;
  int rescan;
  rgs_p11_rc rc;

  if (w->need_init) {
    rc = initialize_again(w);
    if (rc != RGS_P11_OK)
      return rc;
    rescan = 1;
  } else {
    /* With the waiter, a failed rescan is tried again until it works:
     * there is no safety rescan to catch what it missed. */
    if (p11_waiter_running(w->waiter))
      rescan = !w->primed || w->woken || w->failing || t < w->burst_until;
    else
      rescan = !w->primed || module_event(w) || !w->events_seen || t < w->burst_until ||
               t - w->last_rescan >= WATCH_SAFETY_RESCAN_MS;
    if (rescan && w->primed && want_reinit(w, t)) {
      rc = reinitialize(w);
      if (rc != RGS_P11_OK)
        return rc;
    }
  }
  if (!rescan)
    return RGS_P11_OK;
  rc = snapshot(w, &cur, &n);
  if (rc != RGS_P11_OK)
    return rc;
  diff_and_keep(w, cur, n);
  w->primed = 1;
  w->woken = 0;
  return RGS_P11_OK;
}

/* What the waiter said: an event, or its wait failed (the module cannot
 * block after all, or pcscd went away): either way look now; without the
 * thread the watch polls as for any module. */
static void take_waiter(rgs_p11_watch *w)
{
  CK_RV rv = CKR_OK;
  int r = p11_waiter_take(w->waiter, &rv);

  if (r == 0)
    return;
  if (r > 0)
    w->events_seen = 1;
  w->woken = 1;
  w->next_poll = 0;
}

/* The waiter may wait again once the module has been scanned since its
 * event and every change has been handed out: the caller's own calls for
 * those changes (its plan) do not run beside the start of the wait. */
static void release_waiter(rgs_p11_watch *w)
{
  if (w->primed && !w->woken && w->q_len == 0)
    p11_waiter_release(w->waiter);
}

rgs_p11_rc rgs_p11_watch_poll(rgs_p11_watch *w, rgs_p11_event *ev)
{
  rgs_p11_rc rc;

  if (w == NULL || ev == NULL)
    return RGS_P11_ERR_ARG;
  memset(ev, 0, sizeof(*ev));
  ev->kind = RGS_P11_EVENT_NONE;
  take_waiter(w);
  if (queue_pop(w, ev))
    return RGS_P11_OK;
  if (now_ms() < w->next_poll) {
    release_waiter(w);
    return RGS_P11_OK;
  }
  rc = look(w, now_ms());
  w->failing = rc != RGS_P11_OK;
  /* Backoff: fast again after a change, slower while nothing happens or
   * while the module fails. */
  if (rc == RGS_P11_OK && w->q_len > 0)
    w->interval_ms = w->opts.min_interval_ms;
  else if (w->interval_ms < w->opts.max_interval_ms)
    w->interval_ms = w->interval_ms * 2 > w->opts.max_interval_ms ? w->opts.max_interval_ms
                                                                 : w->interval_ms * 2;
  w->next_poll = now_ms() + w->interval_ms;
  if (!queue_pop(w, ev))
    release_waiter(w);
  return rc;
}

rgs_p11_rc rgs_p11_wait_token(rgs_p11_watch *w, int timeout_ms, rgs_p11_event *ev)
{
  struct pollfd pfd;
  long long deadline, t;
  int wait_ms;
  rgs_p11_rc rc;

  if (w == NULL || ev == NULL)
    return RGS_P11_ERR_ARG;
  deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
  for (;;) {
    rc = rgs_p11_watch_poll(w, ev);
    if (rc != RGS_P11_OK || ev->kind != RGS_P11_EVENT_NONE)
      return rc;
    t = now_ms();
    if (deadline >= 0 && t >= deadline)
      return RGS_P11_OK;
    wait_ms = rgs_p11_watch_next_ms(w);
    if (deadline >= 0 && (wait_ms < 0 || t + wait_ms > deadline))
      wait_ms = (int)(deadline - t);
    if (wait_ms == 0)
      continue;
    /* The waiter's descriptor (-1: none, poll then only sleeps); EINTR
     * only brings the next look forward. */
    pfd.fd = rgs_p11_watch_fd(w);
    pfd.events = POLLIN;
    pfd.revents = 0;
    poll(&pfd, 1, wait_ms);
  }
}

const char *rgs_p11_event_name(rgs_p11_event_kind kind)
{
  switch (kind) {
  case RGS_P11_EVENT_NONE: return "none";
  case RGS_P11_EVENT_APPEARED: return "appeared";
  case RGS_P11_EVENT_REMOVED: return "removed";
  }
  return "none";
}
