/* SPDX-License-Identifier: BSD-3-Clause */
/* watch_step.c - the step a plan says, run as the rgs-enroll command
 * itself, executed directly (no shell) with an argv built from validated
 * values, under the lock that keeps one step at a time per user.
 *
 * Why a process of its own for the step rather than a call: the step is
 * exactly the command the holder would type (same checks, same messages,
 * same PIN rules, same undo when the token goes away), it owns the
 * terminal for the PIN prompt, a crash in a vendor module ends the step
 * and not the watcher, and SIGTERM to the watcher (KillMode=mixed) lets the
 * step finish instead of cutting a key generation in the middle. Its exit
 * status and last message line are what the watcher reports. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "orders.h"
#include "watch_internal.h"

extern char **environ;

#define WATCH_MAX_ARGS 40
#define WATCH_LAST_LINE 512

/* ---- the step's command line --------------------------------------------- */

typedef struct {
  const char *argv[WATCH_MAX_ARGS + 1];
  size_t n;
  char bufs[6][PATH_MAX];      /* storage for numbers and built values */
  size_t nbufs;
  int broken;                  /* an argument was missing or did not fit: not to be run */
} argv_builder;

static void arg(argv_builder *b, const char *s)
{
  if (b->n >= WATCH_MAX_ARGS || s == NULL) {
    b->broken = 1;
    return;
  }
  b->argv[b->n++] = s;
  b->argv[b->n] = NULL;
}

/* A number as an argument, kept in b; NULL when b has no room left. */
static const char *argnum(argv_builder *b, long long v)
{
  if (b->nbufs >= RGS_ARRAY_LEN(b->bufs))
    return NULL;
  snprintf(b->bufs[b->nbufs], sizeof(b->bufs[0]), "%lld", v);
  return b->bufs[b->nbufs++];
}

/* How the step will get the PIN. */
typedef enum { PIN_NONE_NEEDED, PIN_TTY, PIN_PINPAD, PIN_FILE, PIN_FD, PIN_ASKPASS, PIN_UNAVAILABLE } pin_way;

static int have_tty(void)
{
  int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

  if (fd < 0)
    return 0;
  close(fd);
  return 1;
}

static pin_way choose_pin(const watch_env *e, const rgs_p11_slot_info *info)
{
  if (e->io->pin_file != NULL)
    return PIN_FILE;
  if (e->io->pin_fd >= 0 && !e->pin_fd_used)
    return PIN_FD;
  if (info->token_flags & CKF_PROTECTED_AUTHENTICATION_PATH)
    return PIN_PINPAD;
  if (have_tty())
    return PIN_TTY;
  if (e->askpass != NULL)
    return PIN_ASKPASS;
  return PIN_UNAVAILABLE;
}

int rgs_watch_askpass_ok(const char *p)
{
  return p != NULL && p[0] == '/' && rgs_watch_path_ok(p) && access(p, X_OK) == 0;
}

/* The global options every step gets: the same module, this very token,
 * the same store and policies. 0 when the token's URI cannot be made. */
static int common_args(const watch_env *e, argv_builder *b, const rgs_p11_slot_info *info,
                       char **uri_text)
{
  rgs_p11_uri *uri = NULL;
  size_t i;

  *uri_text = NULL;
  if (rgs_p11_uri_for_token(info, &uri) != RGS_P11_OK)
    return 0;
  *uri_text = rgs_p11_uri_format(uri);
  rgs_p11_uri_free(uri);
  if (*uri_text == NULL)
    return 0;
  arg(b, e->self);
  arg(b, "--module");
  arg(b, e->module);
  arg(b, "--token");
  arg(b, *uri_text);
  arg(b, "--db");
  arg(b, e->db);
  for (i = 0; i < e->io->n_policies; i++) {
    arg(b, "--policy");
    arg(b, e->io->policies[i]);
  }
  if (e->io->final_try)
    arg(b, "--final-try");
  return 1;
}

/* <store dir>/requests/order-N.csr into buf, the directory made (0700)
 * and its path in dir. 0, or the errno of why not. */
static int request_path(const watch_env *e, long long id, char *dir, size_t dirlen, char *buf,
                        size_t len)
{
  const char *slash = strrchr(e->db, '/');

  if (slash == NULL)
    snprintf(dir, dirlen, "requests");
  else if (snprintf(dir, dirlen, "%.*s/requests", (int)(slash - e->db), e->db) >= (int)dirlen)
    return ENAMETOOLONG;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    return errno;
  if (snprintf(buf, len, "%s/order-%lld.csr", dir, id) >= (int)len)
    return ENAMETOOLONG;
  return 0;
}

/* The whole command line of the step in b. 1 when it can be run. */
static int build_step(watch_env *e, argv_builder *b, const rgs_watch_plan *p, pin_way pin,
                      const rgs_p11_slot_info *info, char **uri_text)
{
  if (!common_args(e, b, info, uri_text))
    return 0;
  if (pin == PIN_FILE) {
    arg(b, "--pin-file");
    arg(b, e->io->pin_file);
  } else if (pin == PIN_FD) {
    arg(b, "--pin-fd");
    arg(b, argnum(b, e->io->pin_fd));
  } else if (pin == PIN_ASKPASS) {
    arg(b, "--pin-fd");
    arg(b, "3");
  }
  switch (p->action) {
  case RGS_WATCH_START:
    /* The request is also kept in the store; e->csr (made by
     * run_planned) is for the CA portal. Ours to overwrite: a run cut
     * short may have left it. */
    arg(b, "start");
    arg(b, "--order");
    arg(b, argnum(b, p->order_id));
    arg(b, "--out");
    arg(b, e->csr);
    arg(b, "--force");
    break;
  case RGS_WATCH_INSTALL:
    arg(b, "install");
    arg(b, argnum(b, p->order_id));
    break;
  case RGS_WATCH_DELIVERED:
    arg(b, "check");
    arg(b, "--delivered");
    break;
  case RGS_WATCH_IGNORE:
  case RGS_WATCH_TELL:
  case RGS_WATCH_DONE:
  case RGS_WATCH_NO_ORDER:
  case RGS_WATCH_AMBIGUOUS:
  case RGS_WATCH_PROPOSE:
  case RGS_WATCH_NOT_AWAITING:
    return 0;
  }
  return !b->broken;
}

/* ---- the step's process -------------------------------------------------- */

/* The step and its askpass program, and the pipes between them and us. */
typedef struct {
  posix_spawnattr_t at;
  int errp[2];                 /* the step's stderr (and stdout under --json) */
  int pinp[2];                 /* askpass's stdout, the step's fd 3 */
  int devnull;
  pid_t child, ask;
} step_proc;

/* Children start with no signal blocked and the default action for the
 * signals the watcher handles. */
static void proc_attrs(step_proc *sp)
{
  sigset_t none, defaults;

  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGHUP);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_init(&sp->at);
  posix_spawnattr_setsigmask(&sp->at, &none);
  posix_spawnattr_setsigdefault(&sp->at, &defaults);
  posix_spawnattr_setflags(&sp->at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

/* The askpass program, its stdout into a pipe that the step reads as fd 3.
 * 0, or the errno of why it did not start. */
static int start_askpass(const watch_env *e, step_proc *sp, const char *prompt)
{
  const char *aargv[3];
  posix_spawn_file_actions_t afa;
  int err;

  aargv[0] = e->askpass;
  aargv[1] = prompt;
  aargv[2] = NULL;
  if (pipe2(sp->pinp, O_CLOEXEC) != 0)
    return errno;
  sp->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  posix_spawn_file_actions_init(&afa);
  if (sp->devnull >= 0)
    posix_spawn_file_actions_adddup2(&afa, sp->devnull, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&afa, sp->pinp[1], STDOUT_FILENO);
  err = posix_spawn(&sp->ask, e->askpass, &afa, &sp->at, (char *const *)aargv, environ);
  if (err != 0)
    sp->ask = -1;
  posix_spawn_file_actions_destroy(&afa);
  close(sp->pinp[1]);
  sp->pinp[1] = -1;
  return err;
}

/* The step itself. 0, or the errno of why it did not start. */
static int start_child(const watch_env *e, step_proc *sp, const char *const *argv)
{
  posix_spawn_file_actions_t fa;
  int err;

  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, sp->errp[1], STDERR_FILENO);
  if (e->io->json)     /* our stdout carries one JSON document per token */
    posix_spawn_file_actions_adddup2(&fa, sp->errp[1], STDOUT_FILENO);
  if (sp->pinp[0] >= 0)
    posix_spawn_file_actions_adddup2(&fa, sp->pinp[0], 3);
  watch_trace(e, "spawn");
  err = posix_spawn(&sp->child, e->self, &fa, &sp->at, (char *const *)argv, environ);
  if (err != 0)
    sp->child = -1;
  posix_spawn_file_actions_destroy(&fa);
  close(sp->errp[1]);
  sp->errp[1] = -1;
  if (sp->pinp[0] >= 0) {
    close(sp->pinp[0]);
    sp->pinp[0] = -1;
  }
  return err;
}

/* Copy the step's messages to our stderr until it closes them, keeping
 * the last non-empty line. */
static void copy_output(int fd, char *last, size_t lastlen)
{
  char buf[1024], line[WATCH_LAST_LINE];
  size_t ll = 0;
  ssize_t n, i;

  while ((n = read(fd, buf, sizeof(buf))) != 0) {
    if (n < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (fwrite(buf, 1, (size_t)n, stderr) != (size_t)n)
      clearerr(stderr);
    for (i = 0; i < n; i++) {
      if (buf[i] == '\n') {
        line[ll] = '\0';
        if (ll > 0)
          snprintf(last, lastlen, "%s", line);
        ll = 0;
      } else if (ll + 1 < sizeof(line)) {
        line[ll++] = buf[i];
      }
    }
  }
  fflush(stderr);
  if (ll > 0) {
    line[ll] = '\0';
    snprintf(last, lastlen, "%s", line);
  }
}

/* The exit status of pid, 128 + the signal that ended it. */
static int reap(pid_t pid)
{
  int status = 0;

  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void proc_cleanup(step_proc *sp)
{
  if (sp->ask > 0) {
    kill(sp->ask, SIGTERM);
    reap(sp->ask);
  }
  if (sp->devnull >= 0)
    close(sp->devnull);
  if (sp->pinp[0] >= 0)
    close(sp->pinp[0]);
  if (sp->pinp[1] >= 0)
    close(sp->pinp[1]);
  if (sp->errp[0] >= 0)
    close(sp->errp[0]);
  if (sp->errp[1] >= 0)
    close(sp->errp[1]);
  posix_spawnattr_destroy(&sp->at);
}

/* Run argv with stderr through a pipe (copied to ours, its last line kept
 * for the notification) and, for the PIN, fd 3 from the askpass program.
 * 0 and *status the step's exit status (128+signal), or the errno of why
 * it could not start. */
static int run_step(const watch_env *e, const char *const *argv, pin_way pin,
                    const char *prompt, char *last, size_t lastlen, int *status)
{
  step_proc sp;
  int err = 0;

  last[0] = '\0';
  memset(&sp, 0, sizeof(sp));
  sp.errp[0] = sp.errp[1] = sp.pinp[0] = sp.pinp[1] = sp.devnull = -1;
  sp.child = sp.ask = -1;
  if (pipe2(sp.errp, O_CLOEXEC) != 0)
    return errno;
  proc_attrs(&sp);
  fflush(stdout);
  fflush(stderr);
  if (pin == PIN_ASKPASS)
    err = start_askpass(e, &sp, prompt);
  if (err == 0)
    err = start_child(e, &sp, argv);
  if (err == 0) {
    copy_output(sp.errp[0], last, lastlen);
    *status = reap(sp.child);
  }
  proc_cleanup(&sp);
  return err;
}

/* ---- telling how it goes ------------------------------------------------- */

/* The command as the holder would name it. */
static const char *step_name(rgs_watch_action a)
{
  switch (a) {
  case RGS_WATCH_START: return "start";
  case RGS_WATCH_INSTALL: return "install";
  case RGS_WATCH_DELIVERED: return "check --delivered";
  case RGS_WATCH_IGNORE:
  case RGS_WATCH_TELL:
  case RGS_WATCH_DONE:
  case RGS_WATCH_NO_ORDER:
  case RGS_WATCH_AMBIGUOUS:
  case RGS_WATCH_PROPOSE:
  case RGS_WATCH_NOT_AWAITING:
    break;
  }
  return "";
}

/* The command line the holder would type for the step (for "run it
 * yourself" messages). */
static void step_hint(const rgs_watch_plan *p, char *buf, size_t len)
{
  switch (p->action) {
  case RGS_WATCH_START: snprintf(buf, len, "rgs-enroll start --order %lld", p->order_id); break;
  case RGS_WATCH_INSTALL: snprintf(buf, len, "rgs-enroll install %lld", p->order_id); break;
  case RGS_WATCH_DELIVERED: snprintf(buf, len, "rgs-enroll check --delivered"); break;
  case RGS_WATCH_IGNORE:
  case RGS_WATCH_TELL:
  case RGS_WATCH_DONE:
  case RGS_WATCH_NO_ORDER:
  case RGS_WATCH_AMBIGUOUS:
  case RGS_WATCH_PROPOSE:
  case RGS_WATCH_NOT_AWAITING:
    buf[0] = '\0';
    break;
  }
}

/* What every message of a step names. */
typedef struct {
  char words[256];             /* the token */
  char hint[128];              /* the command to type */
  char summary[256];           /* the notification's title */
  pin_way pin;
} step_texts;

static void step_texts_make(const rgs_p11_event *ev, const rgs_watch_plan *p, step_texts *t)
{
  memset(t, 0, sizeof(*t));
  watch_token_words(&ev->info, t->words, sizeof(t->words));
  step_hint(p, t->hint, sizeof(t->hint));
  if (p->order_id > 0)
    snprintf(t->summary, sizeof(t->summary), _("Enrolment, order %lld"), p->order_id);
  else
    snprintf(t->summary, sizeof(t->summary), "%s", _("Enrolment"));
}

static void set_result(watch_result *r, const char *outcome, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_result(watch_result *r, const char *outcome, int exit_code, const char *fmt, ...)
{
  va_list ap;

  r->outcome = outcome;
  r->exit_code = exit_code;
  va_start(ap, fmt);
  vsnprintf(r->message, sizeof(r->message), fmt, ap);
  va_end(ap);
}

/* Is the token of info still present? Asks the module now. */
static int still_present(const watch_env *e, const rgs_p11_slot_info *info)
{
  rgs_p11_slot_info *slots = NULL;
  size_t n = 0, i;
  int present = 0;

  if (rgs_p11_slots(e->ctx, &slots, &n) != RGS_P11_OK)
    return 1;                 /* cannot tell: do not claim a removal */
  for (i = 0; i < n; i++)
    if (slots[i].token_present && strcmp(slots[i].serial, info->serial) == 0 &&
        strcmp(slots[i].label, info->label) == 0)
      present = 1;
  free(slots);
  return present;
}

/* ---- the step ------------------------------------------------------------ */

/* Before the lock: a dry run, or a step that cannot get the PIN, ends
 * here. 1 when it did (r filled). */
static int ends_before_lock(watch_env *e, const rgs_p11_slot_info *info,
                            const rgs_watch_plan *p, step_texts *t, watch_result *r)
{
  if (e->dry_run) {
    set_result(r, "dry-run", RGS_EXIT_OK, _("Token %s: would run: %s"), t->words, t->hint);
    rgs_notify(e->note, RGS_NOTE_INFO, 0, t->summary, r->message);
    return 1;
  }
  t->pin = choose_pin(e, info);
  if (t->pin != PIN_UNAVAILABLE)
    return 0;
  /* No PIN to be had here: the window asks for it, at this very step. */
  if (watch_window_can_offer(e, p)) {
    set_result(r, "pin-needed", RGS_EXIT_OK,
               _("Token %s: the next step needs the token's PIN. Open the window to go on."),
               t->words);
    r->window = watch_window_offer(e, RGS_NOTE_WARNING, t->summary, r->message, p, info);
    if (r->window)
      return 1;
  }
  set_result(r, "pin-needed", RGS_EXIT_OK,
             _("Token %s: the next step needs the token's PIN. Open a terminal and run: %s"),
             t->words, t->hint);
  rgs_notify(e->note, RGS_NOTE_WARNING, 0, t->summary, r->message);
  return 1;
}

/* Take the lock into *fd; 1 when held, else r says why. */
static int take_lock(watch_env *e, const step_texts *t, watch_result *r, int *fd)
{
  long holder = 0;
  int err = 0;
  rgs_watch_lock_rc rc = rgs_watch_lock_take(e->lock_path, fd, &holder, &err);

  switch (rc) {
  case RGS_WATCH_LOCK_OK:
    return 1;
  case RGS_WATCH_LOCK_BUSY:
    set_result(r, "busy", RGS_EXIT_OK,
               _("Token %s: another enrolment step is running (process %ld); this insertion is left to it."),
               t->words, holder);
    rgs_notify(e->note, RGS_NOTE_WARNING, 0, t->summary, r->message);
    return 0;
  case RGS_WATCH_LOCK_ERR_PATH:
  case RGS_WATCH_LOCK_ERR_SYSTEM:
    /* TRANSLATORS: what failed, the lock file, the system's reason. */
    set_result(r, "failed", RGS_EXIT_IO, _("%s %s: %s"), rgs_watch_lock_strerror(rc),
               e->lock_path, strerror(err));
    rgs_notify(e->note, RGS_NOTE_ERROR, 0, t->summary, r->message);
    return 0;
  }
  return 0;
}

/* The plan was made before the lock: a step that ended meanwhile may have
 * moved the order on. Ask the store again; 1 when p changed. */
static int replanned(watch_env *e, const rgs_p11_event *ev, rgs_watch_plan *p)
{
  rgs_watch_plan again;

  if (rgs_watch_plan_for(e->io, e->ctx, &ev->info, e->db, e->chosen, &again) != RGS_EXIT_OK ||
      (again.action == p->action && again.order_id == p->order_id))
    return 0;
  *p = again;
  return 1;
}

/* "The step begins" (and, on a pinpad reader, where the PIN goes). */
static void announce(watch_env *e, const rgs_watch_plan *p, const step_texts *t, watch_result *r)
{
  size_t used;

  if (p->action == RGS_WATCH_START)
    snprintf(r->message, sizeof(r->message),
             _("Token %s: generating the key pair and the certificate request on the token..."), t->words);
  else if (p->action == RGS_WATCH_INSTALL)
    snprintf(r->message, sizeof(r->message), _("Token %s: installing the issued certificate..."), t->words);
  else
    snprintf(r->message, sizeof(r->message),
             _("Token %s: checking the token delivered by the certification authority..."), t->words);
  used = strlen(r->message);
  if (t->pin == PIN_PINPAD)
    snprintf(r->message + used, sizeof(r->message) - used, " %s",
             _("Enter the PIN on the reader's keypad."));
  rgs_notify(e->note, RGS_NOTE_INFO, 0, t->summary, r->message);
}

/* The step ended with status st: done, the token pulled out, or failed. */
static void conclude(watch_env *e, const rgs_p11_event *ev, const rgs_watch_plan *p,
                     const step_texts *t, int st, const char *last, watch_result *r)
{
  const char *removed_text = rgs_p11_strerror(RGS_P11_ERR_TOKEN_REMOVED);

  if (st == RGS_EXIT_OK) {
    if (p->action == RGS_WATCH_START)
      set_result(r, "done", st,
                 _("Order %lld: the key pair is on the token and the certificate request is ready (%s). Next: hand it to the CA (rgs-enroll status %lld)."),
                 p->order_id, e->csr, p->order_id);
    else if (p->action == RGS_WATCH_INSTALL)
      set_result(r, "done", st, _("Order %lld: the certificate is installed on the token and checked."),
                 p->order_id);
    else
      set_result(r, "done", st, "%s", _("The token delivered by the certification authority is checked."));
    rgs_notify(e->note, RGS_NOTE_INFO, 1, t->summary, r->message);
  } else if (st == RGS_EXIT_TOKEN && (strstr(last, removed_text) != NULL ||
                                      !still_present(e, &ev->info))) {
    set_result(r, "removed", st,
               _("The token was removed during \"%s\": the step stopped and nothing was lost. Plug the token in again to resume."),
               step_name(p->action));
    rgs_notify(e->note, RGS_NOTE_WARNING, 1, t->summary, r->message);
  } else {
    set_result(r, "failed", st, _("The step \"%s\" stopped (exit status %d): %s. To retry in a terminal: %s"),
               step_name(p->action), st, last[0] != '\0' ? last : "?", t->hint);
    rgs_notify(e->note, RGS_NOTE_ERROR, 1, t->summary, r->message);
  }
}

/* Under the lock: build the command line, run it, say how it went. */
static void run_planned(watch_env *e, const rgs_p11_event *ev, const rgs_watch_plan *p,
                        const step_texts *t, watch_result *r)
{
  argv_builder b;
  char *uri_text = NULL, last[WATCH_LAST_LINE], prompt[256], dir[PATH_MAX];
  int st = 0, err;

  memset(&b, 0, sizeof(b));
  if (p->action == RGS_WATCH_START) {
    err = request_path(e, p->order_id, dir, sizeof(dir), e->csr, sizeof(e->csr));
    if (err != 0) {
      /* TRANSLATORS: the folder, the system's reason. */
      set_result(r, "failed", RGS_EXIT_IO,
                 _("cannot make the folder %s for the certificate request: %s"), dir,
                 strerror(err));
      rgs_notify(e->note, RGS_NOTE_ERROR, 0, t->summary, r->message);
      goto cleanup;
    }
  }
  if (!build_step(e, &b, p, t->pin, &ev->info, &uri_text)) {
    set_result(r, "failed", RGS_EXIT_INTERNAL, "%s", _("out of memory"));
    goto cleanup;
  }
  if (t->pin == PIN_FD)
    e->pin_fd_used = 1;       /* a descriptor is read once */
  announce(e, p, t, r);
  /* TRANSLATORS: shown by the askpass program; %s is the token. */
  snprintf(prompt, sizeof(prompt), _("rgs-enroll: PIN of the token %s"), t->words);
  err = run_step(e, b.argv, t->pin, prompt, last, sizeof(last), &st);
  if (err != 0) {
    set_result(r, "failed", RGS_EXIT_INTERNAL, _("cannot run %s: %s"), e->self, strerror(err));
    rgs_notify(e->note, RGS_NOTE_ERROR, 1, t->summary, r->message);
    goto cleanup;
  }
  conclude(e, ev, p, t, st, last, r);

cleanup:
  free(uri_text);
}

watch_step_rc watch_step_run(watch_env *e, const rgs_p11_event *ev, rgs_watch_plan *p,
                             watch_result *r)
{
  step_texts t;
  int lock = -1;
  watch_step_rc rc = WATCH_STEP_DONE;

  step_texts_make(ev, p, &t);
  if (ends_before_lock(e, &ev->info, p, &t, r) || !take_lock(e, &t, r, &lock))
    return WATCH_STEP_DONE;
  if (replanned(e, ev, p))
    rc = WATCH_STEP_REPLANNED;
  else
    run_planned(e, ev, p, &t, r);
  rgs_watch_lock_release(lock);
  return rc;
}
