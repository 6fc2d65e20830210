/* SPDX-License-Identifier: BSD-3-Clause */
/* watch_loop.c - the watcher: a token is plugged in, the enrolment goes on
 * where it stands.
 *
 * One sd-event loop waits on three things: the PKCS#11 module (polled with
 * backoff through rgs_p11_watch, which uses the module's slot events when
 * it has them; a module whose C_WaitForSlotEvent can block is waited on by
 * a thread of rgs_p11_watch that wakes the loop: no timer then), udev (USB smart-card devices added or removed: a hint to
 * poll at once, never a source of truth) and signals. When a token
 * appears, the plan (watch_plan.c) says which step comes next, and the
 * step runs as a process of its own (watch_step.c). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-device.h>
#include <systemd/sd-event.h>
#include "orders.h"
#include "progress.h"
#include "watch_internal.h"

/* A module that fails every poll for that long ends the watch. A count
 * of failures would be a clock too, and a short one: a reader service
 * restarting, or SoftHSM2's token directory being replaced, fails a
 * few polls in a row. */
#define WATCH_FAILING_MAX_MS 30000
/* How long a --once watcher keeps its offer to open the window once its
 * token is handled (a window opened is waited for until it closes). */
#define WATCH_OFFER_WAIT_S 600

typedef struct {
  watch_env env;               /* what a step needs */
  const rgs_watch_opts *opt;
  rgs_watch_report_fn report;
  void *report_ud;
  sd_event *ev;
  sd_event_source *tick, *deadline;
  sd_event_source *wake;       /* the watch's slot-event thread has news */
  sd_device_monitor *mon;
  rgs_p11_watch *w;
  int handled;
  int polled;                  /* the module was looked at once */
  int kicked;                  /* the next tick comes from a udev event */
  int exit_code;               /* outcome of the last token handled */
  int fatal;                   /* the module or the loop failed */
  uint64_t failing_since;      /* CLOCK_MONOTONIC us of the first failed poll in a row; 0 none */
  rgs_progress_run *waiting;   /* the "wait-token" step while no token is handled */
} watch_ctx;

/* ---- small helpers ------------------------------------------------------- */

void watch_trace(const watch_env *e, const char *what)
{
  struct timespec ts;
  FILE *f;

  if (e->trace == NULL)
    return;
  f = fopen(e->trace, "a");
  if (f == NULL)
    return;
  clock_gettime(CLOCK_REALTIME, &ts);
  fprintf(f, "%s %lld\n", what, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  fclose(f);
}

void watch_token_words(const rgs_p11_slot_info *i, char *buf, size_t len)
{
  snprintf(buf, len, _("\"%s\" (%s %s, serial %s)"), i->label, i->manufacturer, i->model,
           i->serial[0] != '\0' ? i->serial : "?");
}

/* The askpass program: the one given, else $RGS_ENROLL_ASKPASS, else
 * $SSH_ASKPASS, the first that rgs_watch_askpass_ok; else none. */
static const char *find_askpass(const char *given)
{
  const char *cands[3];
  size_t i;

  cands[0] = given;
  cands[1] = getenv("RGS_ENROLL_ASKPASS");
  cands[2] = getenv("SSH_ASKPASS");
  for (i = 0; i < RGS_ARRAY_LEN(cands); i++)
    if (rgs_watch_askpass_ok(cands[i]))
      return cands[i];
  return NULL;
}

/* ---- one token ----------------------------------------------------------- */

/* The token is handled: tell the front end, keep its exit status. */
static void token_done(watch_ctx *W, const rgs_p11_event *ev, const rgs_watch_plan *p,
                       const watch_result *r)
{
  rgs_watch_outcome o;

  if (W->report != NULL) {
    o.event = ev;
    o.plan = p;
    o.outcome = r->outcome;
    o.exit_code = r->exit_code;
    o.message = r->message;
    o.window = r->window;
    W->report(W->report_ud, &o);
  }
  W->exit_code = r->exit_code;
}

/* The order chosen with watch --order does not await a key pair: its
 * status and its next step, or that the store does not hold it. */
static void not_awaiting_text(const char *words, const rgs_watch_plan *p, char *buf, size_t len)
{
  char next[512];

  if (!p->status_known) {
    snprintf(buf, len,
             _("Token %s plugged in: there is no order %lld in the store, so nothing was done. List the orders: rgs-enroll order list"),
             words, p->order_id);
    return;
  }
  rgs_watch_next_text(p, next, sizeof(next));
  /* TRANSLATORS: token, order number, order status, next step sentence. */
  snprintf(buf, len,
           _("Token %s plugged in: order %lld does not await a key pair (its status: %s), so nothing was done. %s"),
           words, p->order_id, rgs_order_status_label(p->status), next);
}

/* A token bound to an order, or an order proposed for it: with a window
 * program and a server that shows actions, the notification opens the
 * window at the order's step instead of naming a command to type. */
static void tell_or_offer(watch_ctx *W, rgs_note_level level, const char *words,
                         const rgs_watch_plan *p, const rgs_p11_slot_info *info, watch_result *r)
{
  int bound = p->action == RGS_WATCH_TELL || p->action == RGS_WATCH_DONE;

  if ((bound || p->action == RGS_WATCH_PROPOSE) && watch_window_can_offer(&W->env, p)) {
    if (p->action == RGS_WATCH_PROPOSE)
      /* TRANSLATORS: the token, the order number. */
      snprintf(r->message, sizeof(r->message),
               _("Token %s plugged in: it belongs to no order, so nothing was done. Order %lld awaits its key pair; if this token is meant for it, open the window."),
               words, p->order_id);
    r->window = watch_window_offer(&W->env, level, _("Enrolment"), r->message, p, info);
    if (r->window)
      return;
  }
  rgs_notify(W->env.note, level, 0, _("Enrolment"), r->message);
}

/* No step to run (or the order moved on under the lock): say what comes
 * next. 0 when there is nothing to say (a token to ignore). */
static int tell_next(watch_ctx *W, const char *words, const rgs_watch_plan *p,
                     const rgs_p11_slot_info *info, watch_result *r)
{
  char next[512];
  rgs_note_level level = RGS_NOTE_INFO;

  r->outcome = "told";
  switch (p->action) {
  case RGS_WATCH_START:
  case RGS_WATCH_INSTALL:
  case RGS_WATCH_DELIVERED:
    /* Still a step after the second look: another watcher's step changed
     * the order to another step; the next insertion does it. */
    snprintf(r->message, sizeof(r->message), _("Token %s: the order changed meanwhile; plug the token in again to go on."), words);
    break;
  case RGS_WATCH_TELL:
  case RGS_WATCH_DONE:
    rgs_watch_next_text(p, next, sizeof(next));
    snprintf(r->message, sizeof(r->message), _("Token %s plugged in. %s"), words, next);
    break;
  case RGS_WATCH_NO_ORDER:
    snprintf(r->message, sizeof(r->message),
             _("Token %s plugged in: no order waits for it. Record the order first (rgs-enroll order new), then plug the token in again."),
             words);
    break;
  case RGS_WATCH_AMBIGUOUS:
    snprintf(r->message, sizeof(r->message),
             _("Token %s plugged in: orders %s await a key. Choose one in a terminal: rgs-enroll start --order N"),
             words, p->candidates);
    level = RGS_NOTE_WARNING;
    break;
  case RGS_WATCH_PROPOSE:
    /* Bound to no order: the token may be meant for something else. */
    r->outcome = "proposed";
    snprintf(r->message, sizeof(r->message),
             _("Token %s plugged in: it belongs to no order, so nothing was done. Order %lld awaits its key pair; if this token is meant for it, run in a terminal: %s"),
             words, p->order_id, p->command);
    break;
  case RGS_WATCH_NOT_AWAITING:
    /* The person named the order: say why nothing was done for it, and
     * never offer another order instead. */
    not_awaiting_text(words, p, r->message, sizeof(r->message));
    level = RGS_NOTE_WARNING;
    break;
  case RGS_WATCH_IGNORE:
    return 0;
  }
  tell_or_offer(W, level, words, p, info, r);
  return 1;
}

static int is_step(rgs_watch_action a)
{
  return a == RGS_WATCH_START || a == RGS_WATCH_INSTALL || a == RGS_WATCH_DELIVERED;
}

/* The watcher waits for a token: said on stderr (the journal) in the
 * person's language, and the "wait-token" step begun on --progress-fd
 * (start and done only: a watcher may wait for days). */
static void start_waiting(watch_ctx *W, int first)
{
  static const rgs_progress_step step = { "wait-token", NULL, 0, 1 };
  const char *text;

  if (W->waiting != NULL)
    return;
  if (!first)
    text = _("Waiting for the next token to be plugged in...");
  else if (W->opt->once)
    text = _("Waiting for a token to be plugged in...");
  else
    text = _("Watching for tokens; stop with Ctrl-C.");
  if (!W->env.io->json)
    rgs_notify_log(W->env.note, RGS_NOTE_INFO, text);
  W->waiting = rgs_progress_begin(W->env.io, &step);
}

static void stop_waiting(watch_ctx *W, int ok)
{
  rgs_progress_end(W->waiting, ok);
  W->waiting = NULL;
}

static void handle_token(watch_ctx *W, const rgs_p11_event *ev)
{
  rgs_watch_plan p;
  watch_result r;
  char words[256];
  int ret;

  watch_trace(&W->env, "visible");
  memset(&r, 0, sizeof(r));
  watch_token_words(&ev->info, words, sizeof(words));
  ret = rgs_watch_plan_for(W->env.io, W->env.ctx, &ev->info, W->env.db, W->env.chosen, &p);
  W->handled = 1;
  if (ret != RGS_EXIT_OK) {
    r.outcome = "failed";
    r.exit_code = ret;
    snprintf(r.message, sizeof(r.message), _("Token %s: cannot tell which step comes next."), words);
    rgs_notify(W->env.note, RGS_NOTE_ERROR, 0, _("Enrolment"), r.message);
    token_done(W, ev, &p, &r);
    return;
  }
  r.exit_code = RGS_EXIT_OK;
  if (is_step(p.action) && watch_step_run(&W->env, ev, &p, &r) == WATCH_STEP_DONE) {
    token_done(W, ev, &p, &r);
    return;
  }
  if (tell_next(W, words, &p, &ev->info, &r))
    token_done(W, ev, &p, &r);
}

static void handle_appeared(watch_ctx *W, const rgs_p11_event *ev)
{
  if (!(ev->info.token_flags & CKF_TOKEN_INITIALIZED))
    return;                   /* a blank token (SoftHSM always shows one) */
  stop_waiting(W, 1);
  handle_token(W, ev);
  if (!W->opt->once)
    start_waiting(W, 0);
}

static void handle_removed(watch_ctx *W, const rgs_p11_event *ev)
{
  char words[256], msg[512];

  if (!(ev->info.token_flags & CKF_TOKEN_INITIALIZED))
    return;
  watch_token_words(&ev->info, words, sizeof(words));
  snprintf(msg, sizeof(msg), _("Token %s removed."), words);
  /* The journal only: a notification for every removal is noise. */
  rgs_notify_log(W->env.note, RGS_NOTE_INFO, msg);
}

/* ---- the loop ------------------------------------------------------------ */

static void rearm(watch_ctx *W)
{
  uint64_t now = 0;
  int ms = rgs_p11_watch_next_ms(W->w);

  if (ms == RGS_P11_WAIT_FOREVER) {
    /* The module's own wait wakes us (on_wake): no timer to spin on. */
    sd_event_source_set_enabled(W->tick, SD_EVENT_OFF);
    return;
  }
  sd_event_now(W->ev, CLOCK_MONOTONIC, &now);
  sd_event_source_set_time(W->tick, now + (uint64_t)(ms < 0 ? 0 : ms) * 1000ULL);
  sd_event_source_set_enabled(W->tick, SD_EVENT_ONESHOT);
}

/* A failed poll: a reader unplugged mid-call or pcscd restarting fails
 * polls for a moment (said once); the watch goes on, on the module's
 * backoff, and ends when the module has failed for WATCH_FAILING_MAX_MS.
 * 1 when the watch must end. */
static int poll_failed(watch_ctx *W, rgs_p11_rc rc)
{
  uint64_t now = 0;

  sd_event_now(W->ev, CLOCK_MONOTONIC, &now);
  if (W->failing_since == 0) {
    W->failing_since = now != 0 ? now : 1;
    rgs_warn(W->env.io, "%s (%s)", rgs_p11_strerror(rc), rgs_p11_last_error(W->env.ctx));
    return 0;
  }
  if (now - W->failing_since < (uint64_t)WATCH_FAILING_MAX_MS * 1000ULL)
    return 0;
  W->fatal = rgs_fail_p11(W->env.io, "watch", rc, W->env.ctx);
  return 1;
}

static int on_offer_wait(sd_event_source *s, uint64_t usec, void *ud)
{
  watch_ctx *W = ud;

  (void)s;
  (void)usec;
  watch_window_forget(&W->env);
  return 0;
}

/* --once, its token handled, an offer out: no more polls, the answer (or
 * WATCH_OFFER_WAIT_S) ends the watch. */
static void wait_for_offer(watch_ctx *W)
{
  if (sd_event_add_time_relative(W->ev, NULL, CLOCK_MONOTONIC,
                                 (uint64_t)WATCH_OFFER_WAIT_S * 1000000ULL, 1000000,
                                 on_offer_wait, W) < 0)
    watch_window_forget(&W->env);
}

/* Poll the module until it has nothing more to say, then rearm. */
static int look(watch_ctx *W)
{
  rgs_p11_event ev;
  rgs_p11_rc rc;

  for (;;) {
    rc = rgs_p11_watch_poll(W->w, &ev);
    if (!W->polled) {
      W->polled = 1;
      watch_trace(&W->env, "polled");
    }
    if (rc != RGS_P11_OK) {
      if (poll_failed(W, rc))
        return sd_event_exit(W->ev, 0);
      break;
    }
    /* A poll that was not due yet says nothing of the module. */
    if (W->failing_since != 0 && !rgs_p11_watch_failing(W->w)) {
      W->failing_since = 0;
      rgs_notify_log(W->env.note, RGS_NOTE_INFO, _("The token module answers again; watching goes on."));
    }
    if (ev.kind == RGS_P11_EVENT_NONE)
      break;
    if (ev.kind == RGS_P11_EVENT_APPEARED)
      handle_appeared(W, &ev);
    else
      handle_removed(W, &ev);
  }
  if (W->opt->once && W->handled) {
    /* An offer to open the window waits for the person's answer. */
    W->env.end_when_idle = 1;
    if (!watch_window_pending(&W->env))
      return sd_event_exit(W->ev, 0);
    wait_for_offer(W);
    return 0;
  }
  rearm(W);
  return 0;
}

static int on_tick(sd_event_source *s, uint64_t usec, void *ud)
{
  watch_ctx *W = ud;

  (void)s;
  (void)usec;
  /* For --trace readers: which ticks the backoff made and which a udev
   * event made. */
  watch_trace(&W->env, W->kicked ? "tick-kick" : "tick-timer");
  W->kicked = 0;
  return look(W);
}

static int on_wake(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
  watch_ctx *W = ud;

  (void)fd;
  (void)revents;
  if (W->env.end_when_idle) {
    /* --once, its token handled: the descriptor would stay readable. */
    sd_event_source_set_enabled(s, SD_EVENT_OFF);
    return 0;
  }
  watch_trace(&W->env, "tick-event");
  return look(W);
}

static const char *dev_prop(void *ud, const char *key)
{
  const char *v = NULL;

  if (sd_device_get_property_value(ud, key, &v) < 0)
    return NULL;
  return v;
}

static int on_device(sd_device_monitor *m, sd_device *dev, void *ud)
{
  watch_ctx *W = ud;
  rgs_usb_device d;
  sd_device_action_t action;
  char msg[512];

  (void)m;
  if (W->env.end_when_idle)
    return 0;                 /* --once: its token is handled */
  if (sd_device_get_action(dev, &action) < 0)
    return 0;
  if (action != SD_DEVICE_ADD && action != SD_DEVICE_REMOVE)
    return 0;
  if (!rgs_usb_device_read(dev_prop, dev, &d))
    return 0;
  if (action == SD_DEVICE_ADD)
    snprintf(msg, sizeof(msg), _("USB smart-card device plugged in: %s %s (%s:%s, serial %s)%s%s"),
             d.vendor, d.model, d.vendor_id[0] ? d.vendor_id : "?",
             d.product_id[0] ? d.product_id : "?", d.serial, d.known != NULL ? " - " : "",
             d.known != NULL ? d.known : "");
  else
    snprintf(msg, sizeof(msg), _("USB smart-card device removed: %s %s (%s:%s, serial %s)"),
             d.vendor, d.model, d.vendor_id[0] ? d.vendor_id : "?",
             d.product_id[0] ? d.product_id : "?", d.serial);
  rgs_notify_log(W->env.note, RGS_NOTE_INFO, msg);
  watch_trace(&W->env, action == SD_DEVICE_ADD ? "usb-add" : "usb-remove");
  /* The module may need a moment to see the reader: poll fast now. */
  rgs_p11_watch_kick(W->w);
  W->kicked = 1;
  rearm(W);
  return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *ud)
{
  watch_ctx *W = ud;

  (void)s;
  (void)usec;
  if (W->opt->once && !W->handled)
    W->exit_code = rgs_fail(W->env.io, "watch", RGS_EXIT_TOKEN,
                            rgs_p11_strerror(RGS_P11_ERR_NO_TOKEN),
                            _("no initialised token appeared before the timeout"));
  else if (W->env.end_when_idle)
    return 0;                  /* the token came: its offer waits (WATCH_OFFER_WAIT_S) */
  return sd_event_exit(W->ev, 0);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
  watch_ctx *W = ud;

  (void)s;
  (void)si;
  return sd_event_exit(W->ev, 0);
}

static void start_udev(watch_ctx *W)
{
  int r;

  r = sd_device_monitor_new(&W->mon);
  if (r >= 0)
    r = sd_device_monitor_filter_add_match_subsystem_devtype(W->mon, "usb", "usb_device");
  if (r >= 0)
    r = sd_device_monitor_attach_event(W->mon, W->ev);
  if (r >= 0)
    r = sd_device_monitor_start(W->mon, on_device, W);
  if (r < 0) {
    /* Containers and build machines have no udev: PKCS#11 polling alone
     * still sees the token. */
    rgs_warn(W->env.io, _("no udev events (%s): the module is polled only"), strerror(-r));
    W->mon = sd_device_monitor_unref(W->mon);
  }
}

/* ---- setting up ---------------------------------------------------------- */

/* This program (run for the steps), the store, the lock file, the module. */
static int find_paths(watch_ctx *W)
{
  watch_env *e = &W->env;
  rgs_watch_lock_rc lrc;
  ssize_t n;

  n = readlink("/proc/self/exe", e->self, sizeof(e->self) - 1);
  if (n <= 0)
    return rgs_fail(e->io, "watch", RGS_EXIT_INTERNAL, _("cannot find the rgs-enroll program"),
                    strerror(errno));
  e->self[n] = '\0';
  if (rgs_store_path(e->io, e->db, sizeof(e->db)) != 0 || !rgs_watch_path_ok(e->db))
    return rgs_fail(e->io, "watch", RGS_EXIT_STORE, _("cannot tell where the order store is"), NULL);
  lrc = rgs_watch_lock_path(e->db, e->lock_path, sizeof(e->lock_path));
  if (lrc != RGS_WATCH_LOCK_OK)
    return rgs_fail(e->io, "watch", RGS_EXIT_IO, rgs_watch_lock_strerror(lrc), NULL);
  snprintf(e->module, sizeof(e->module), "%s", rgs_p11_default_module(e->io->module));
  if (!rgs_watch_path_ok(e->module))
    return rgs_usage_error(e->io, "watch", "%s", _("bad module path"));
  return watch_window_find(e, W->opt->window);
}

/* The notifier, the module and its watch. */
static int open_module(watch_ctx *W)
{
  watch_env *e = &W->env;
  rgs_p11_watch_opts wo;
  char err[512], detail[PATH_MAX + 600];
  rgs_p11_rc rc;

  e->note = rgs_notifier_new(W->opt->desktop);
  if (e->note == NULL)
    return rgs_fail(e->io, "watch", RGS_EXIT_INTERNAL, _("out of memory"), NULL);
  rc = rgs_p11_ctx_new(e->module, &e->ctx, err, sizeof(err));
  if (rc != RGS_P11_OK) {
    snprintf(detail, sizeof(detail), "%s: %s", e->module, err);
    return rgs_fail(e->io, "watch", rgs_exit_for_p11(rc), rgs_p11_strerror(rc), detail);
  }
  memset(&wo, 0, sizeof(wo));
  wo.max_interval_ms = (int)W->opt->poll_max_ms;
  wo.blocking = 1;
  rc = rgs_p11_watch_new(e->ctx, &wo, &W->w);
  if (rc != RGS_P11_OK)
    return rgs_fail_p11(e->io, "watch", rc, e->ctx);
  return RGS_EXIT_OK;
}

/* Signals, the poll timer, the deadline, udev. */
static int start_loop(watch_ctx *W)
{
  sigset_t mask;
  int r;

  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  sigaddset(&mask, SIGCHLD);  /* the windows opened are reaped by the loop */
  sigprocmask(SIG_BLOCK, &mask, NULL);
  r = sd_event_new(&W->ev);
  if (r >= 0)
    r = sd_event_add_signal(W->ev, NULL, SIGINT, on_signal, W);
  if (r >= 0)
    r = sd_event_add_signal(W->ev, NULL, SIGTERM, on_signal, W);
  if (r >= 0)
    r = sd_event_add_signal(W->ev, NULL, SIGHUP, on_signal, W);
  if (r >= 0)
    r = sd_event_add_time_relative(W->ev, &W->tick, CLOCK_MONOTONIC, 0, 1000, on_tick, W);
  if (r >= 0 && rgs_p11_watch_fd(W->w) >= 0)
    r = sd_event_add_io(W->ev, &W->wake, rgs_p11_watch_fd(W->w), EPOLLIN, on_wake, W);
  if (r >= 0 && W->opt->timeout_s > 0)
    r = sd_event_add_time_relative(W->ev, &W->deadline, CLOCK_MONOTONIC,
                                   (uint64_t)W->opt->timeout_s * 1000000ULL, 10000, on_deadline, W);
  if (r < 0)
    return rgs_fail(W->env.io, "watch", RGS_EXIT_INTERNAL, _("cannot set up the event loop"),
                    strerror(-r));
  W->env.ev = W->ev;
  rgs_notifier_listen(W->env.note, W->ev, watch_window_event, &W->env);
  if (W->opt->use_udev)
    start_udev(W);
  watch_trace(&W->env, "ready");
  return RGS_EXIT_OK;
}

static void teardown(watch_ctx *W)
{
  stop_waiting(W, 0);          /* no token came */
  sd_device_monitor_unref(W->mon);
  sd_event_source_unref(W->tick);
  sd_event_source_unref(W->deadline);
  sd_event_source_unref(W->wake);    /* before the watch closes its descriptor */
  sd_event_unref(W->ev);
  rgs_p11_watch_free(W->w);
  rgs_p11_ctx_free(W->env.ctx);
  rgs_notifier_free(W->env.note);
}

int rgs_watch_run(const rgs_io *io, const rgs_watch_opts *opts, rgs_watch_report_fn report,
                  void *ud)
{
  watch_ctx W;
  int ret;

  memset(&W, 0, sizeof(W));
  W.env.io = io;
  W.env.dry_run = opts->dry_run;
  W.env.chosen = opts->order;
  W.env.trace = opts->trace;
  W.env.askpass = find_askpass(opts->askpass);
  W.opt = opts;
  W.report = report;
  W.report_ud = ud;
  ret = find_paths(&W);
  if (ret == RGS_EXIT_OK)
    ret = open_module(&W);
  if (ret == RGS_EXIT_OK)
    ret = start_loop(&W);
  if (ret == RGS_EXIT_OK) {
    start_waiting(&W, 1);
    sd_event_loop(W.ev);
    /* --once ends with the outcome of its token; a watcher that runs until
     * stopped fails only when the module or the loop did. */
    ret = W.fatal != RGS_EXIT_OK ? W.fatal : opts->once ? W.exit_code : RGS_EXIT_OK;
  }
  teardown(&W);
  return ret;
}
