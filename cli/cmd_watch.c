/* cmd_watch.c - rgs-enroll watch: the token is plugged in, the enrolment
 * goes on where it stands.
 *
 * One sd-event loop waits on three things: the PKCS#11 module (polled with
 * backoff through rgs_p11_watch, which uses the module's slot events when
 * it has them), udev (USB smart-card devices added or removed: a hint to
 * poll at once, never a source of truth) and signals. When a token
 * appears, the plan (watch_plan.c) says which step comes next, and the
 * step runs as the rgs-enroll command itself, executed directly (no
 * shell) with an argv built from validated values, under a lock that
 * keeps one step at a time per user.
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
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-device.h>
#include <systemd/sd-event.h>
#include "commands.h"
#include "notify.h"
#include "orders.h"
#include "watch.h"

extern char **environ;

#define WATCH_MAX_ARGS 40
#define WATCH_LAST_LINE 512
/* A module that fails every poll for that long ends the watch. A count
 * of failures would be a clock too, and a short one: a reader service
 * restarting, or SoftHSM2's token directory being replaced, fails a
 * few polls in a row. */
#define WATCH_FAILING_MAX_MS 30000

typedef struct {
  rgs_io *io;
  /* options */
  int once, dry_run, desktop, use_udev;
  long timeout_s;
  long poll_max_ms;
  const char *askpass;
  const char *trace;
  /* state */
  sd_event *ev;
  sd_event_source *tick, *deadline;
  sd_device_monitor *mon;
  rgs_p11_ctx *ctx;
  rgs_p11_watch *w;
  rgs_notifier *note;
  char module[PATH_MAX];
  char db[PATH_MAX];
  char lock_path[PATH_MAX];
  char self[PATH_MAX];
  char csr[PATH_MAX];          /* the request file of the last start */
  int pin_fd_used;
  int handled;
  int polled;                  /* the module was looked at once */
  int kicked;                  /* the next tick comes from a udev event */
  int exit_code;               /* outcome of the last token handled */
  int fatal;                   /* the module or the loop failed */
  uint64_t failing_since;      /* CLOCK_MONOTONIC us of the first failed poll in a row; 0 none */
} watch_ctx;

/* ---- small helpers ------------------------------------------------------- */

static void trace(const watch_ctx *W, const char *what)
{
  struct timespec ts;
  FILE *f;

  if (W->trace == NULL)
    return;
  f = fopen(W->trace, "a");
  if (f == NULL)
    return;
  clock_gettime(CLOCK_REALTIME, &ts);
  fprintf(f, "%s %lld\n", what, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  fclose(f);
}

/* A token for people: "Jean DUPONT" (Gemalto IDPrime MD 840, serial 1234). */
static void token_words(const rgs_p11_slot_info *i, char *buf, size_t len)
{
  snprintf(buf, len, _("\"%s\" (%s %s, serial %s)"), i->label, i->manufacturer, i->model,
           i->serial[0] != '\0' ? i->serial : "?");
}

/* 1 when text is a usable path argument: non-empty, no control bytes. */
static int path_ok(const char *p)
{
  if (p == NULL || p[0] == '\0' || strlen(p) >= PATH_MAX)
    return 0;
  for (; *p != '\0'; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7F)
      return 0;
  return 1;
}

int rgs_watch_lock_path(const char *db_path, char *buf, size_t len)
{
  const char *rt = getenv("XDG_RUNTIME_DIR");
  char dir[PATH_MAX];
  const char *slash;

  if (rt != NULL && rt[0] == '/' && path_ok(rt)) {
    if (snprintf(dir, sizeof(dir), "%s/rgs-enroll", rt) >= (int)sizeof(dir))
      return -1;
    if (mkdir(dir, 0700) == 0 || errno == EEXIST)
      return snprintf(buf, len, "%s/watch.lock", dir) < (int)len ? 0 : -1;
  }
  slash = db_path != NULL ? strrchr(db_path, '/') : NULL;
  if (slash != NULL && slash != db_path) {
    if (snprintf(buf, len, "%.*s/watch.lock", (int)(slash - db_path), db_path) < (int)len)
      return 0;
  }
  return snprintf(buf, len, "/tmp/rgs-enroll-%lu.lock", (unsigned long)getuid()) < (int)len ? 0 : -1;
}

/* Take the lock without waiting: fd >= 0 when held, -1 when another process
 * holds it (*holder = its pid when known), -2 on error. */
static int lock_take(const char *path, long *holder)
{
  char buf[32];
  ssize_t n;
  int fd;

  *holder = 0;
  fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return -2;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n > 0) {
      buf[n] = '\0';
      *holder = strtol(buf, NULL, 10);
    }
    close(fd);
    return errno == EWOULDBLOCK ? -1 : -2;
  }
  n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
    /* The pid is only for the message of a second watcher. */
  }
  return fd;
}

static void lock_release(int fd)
{
  if (fd < 0)
    return;
  if (ftruncate(fd, 0) != 0) {
    /* nothing to do: the lock goes with the descriptor */
  }
  flock(fd, LOCK_UN);
  close(fd);
}

/* ---- running a step ------------------------------------------------------ */

typedef struct {
  const char *argv[WATCH_MAX_ARGS + 1];
  size_t n;
  char bufs[6][PATH_MAX];      /* storage for numbers and built values */
  size_t nbufs;
} argv_builder;

static int arg(argv_builder *b, const char *s)
{
  if (b->n >= WATCH_MAX_ARGS || s == NULL)
    return -1;
  b->argv[b->n++] = s;
  b->argv[b->n] = NULL;
  return 0;
}

/* A number as an argument, kept in b. */
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

static pin_way choose_pin(const watch_ctx *W, const rgs_p11_slot_info *info)
{
  if (W->io->pin_file != NULL)
    return PIN_FILE;
  if (W->io->pin_fd >= 0 && !W->pin_fd_used)
    return PIN_FD;
  if (info->token_flags & CKF_PROTECTED_AUTHENTICATION_PATH)
    return PIN_PINPAD;
  if (have_tty())
    return PIN_TTY;
  if (W->askpass != NULL)
    return PIN_ASKPASS;
  return PIN_UNAVAILABLE;
}

/* The askpass program: --askpass, else $RGS_ENROLL_ASKPASS, else
 * $SSH_ASKPASS. Absolute, executable, no control characters; else none. */
static const char *find_askpass(const char *given)
{
  const char *cands[3];
  size_t i;

  cands[0] = given;
  cands[1] = getenv("RGS_ENROLL_ASKPASS");
  cands[2] = getenv("SSH_ASKPASS");
  for (i = 0; i < RGS_ARRAY_LEN(cands); i++)
    if (cands[i] != NULL && cands[i][0] == '/' && path_ok(cands[i]) &&
        access(cands[i], X_OK) == 0)
      return cands[i];
  return NULL;
}

/* The global options every step gets: the same module, this very token,
 * the same store and policies. */
static int common_args(watch_ctx *W, argv_builder *b, const rgs_p11_slot_info *info,
                       char **uri_text)
{
  rgs_p11_uri *uri = NULL;
  size_t i;
  int r = 0;

  *uri_text = NULL;
  if (rgs_p11_uri_for_token(info, &uri) != RGS_P11_OK)
    return -1;
  *uri_text = rgs_p11_uri_format(uri);
  rgs_p11_uri_free(uri);
  if (*uri_text == NULL)
    return -1;
  r |= arg(b, W->self);
  r |= arg(b, "--module");
  r |= arg(b, W->module);
  r |= arg(b, "--token");
  r |= arg(b, *uri_text);
  r |= arg(b, "--db");
  r |= arg(b, W->db);
  for (i = 0; i < W->io->n_policies; i++) {
    r |= arg(b, "--policy");
    r |= arg(b, W->io->policies[i]);
  }
  if (W->io->final_try)
    r |= arg(b, "--final-try");
  return r;
}

/* Run argv with stderr through a pipe (copied to ours, its last line kept
 * for the notification) and, for the PIN, fd 3 from the askpass program.
 * Returns the exit status (128+signal), or -1 when it could not start. */
static int run_step(watch_ctx *W, const char *const *argv, pin_way pin, const char *prompt,
                    char *last, size_t lastlen)
{
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  sigset_t none, defaults;
  int errp[2] = { -1, -1 }, pinp[2] = { -1, -1 };
  pid_t child = -1, ask = -1;
  char buf[1024], line[WATCH_LAST_LINE];
  size_t ll = 0;
  ssize_t n;
  int status = 0, ret = -1, devnull = -1;

  last[0] = '\0';
  if (pipe2(errp, O_CLOEXEC) != 0)
    return -1;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGHUP);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_init(&at);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &defaults);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  fflush(stdout);
  fflush(stderr);

  if (pin == PIN_ASKPASS) {
    const char *aargv[3];
    posix_spawn_file_actions_t afa;

    aargv[0] = W->askpass;
    aargv[1] = prompt;
    aargv[2] = NULL;
    if (pipe2(pinp, O_CLOEXEC) != 0)
      goto cleanup;
    devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    posix_spawn_file_actions_init(&afa);
    if (devnull >= 0)
      posix_spawn_file_actions_adddup2(&afa, devnull, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&afa, pinp[1], STDOUT_FILENO);
    if (posix_spawn(&ask, W->askpass, &afa, &at, (char *const *)aargv, environ) != 0)
      ask = -1;
    posix_spawn_file_actions_destroy(&afa);
    close(pinp[1]);
    pinp[1] = -1;
    if (ask < 0)
      goto cleanup;
  }

  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
  if (W->io->json)     /* our stdout carries one JSON document per token */
    posix_spawn_file_actions_adddup2(&fa, errp[1], STDOUT_FILENO);
  if (pinp[0] >= 0)
    posix_spawn_file_actions_adddup2(&fa, pinp[0], 3);
  trace(W, "spawn");
  if (posix_spawn(&child, W->self, &fa, &at, (char *const *)argv, environ) != 0)
    child = -1;
  posix_spawn_file_actions_destroy(&fa);
  close(errp[1]);
  errp[1] = -1;
  if (pinp[0] >= 0) {
    close(pinp[0]);
    pinp[0] = -1;
  }
  if (child < 0)
    goto cleanup;

  /* Copy the step's messages and keep the last line. */
  while ((n = read(errp[0], buf, sizeof(buf))) != 0) {
    ssize_t i;
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
  while (waitpid(child, &status, 0) < 0 && errno == EINTR)
    ;
  ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

cleanup:
  if (ask > 0) {
    int st;
    kill(ask, SIGTERM);
    while (waitpid(ask, &st, 0) < 0 && errno == EINTR)
      ;
  }
  if (devnull >= 0)
    close(devnull);
  if (pinp[0] >= 0)
    close(pinp[0]);
  if (pinp[1] >= 0)
    close(pinp[1]);
  if (errp[0] >= 0)
    close(errp[0]);
  if (errp[1] >= 0)
    close(errp[1]);
  posix_spawnattr_destroy(&at);
  return ret;
}

/* ---- one token ----------------------------------------------------------- */

typedef struct {
  const char *outcome;         /* stable word for JSON */
  int exit_code;               /* the step's, or ours */
  char message[1024];          /* what the person was told */
} watch_result;

static void json_result(const watch_ctx *W, const rgs_p11_event *ev, const rgs_watch_plan *p,
                        const watch_result *r)
{
  rgs_json j;

  if (!W->io->json)
    return;
  rgs_json_start(&j, stdout);
  rgs_json_object(&j, NULL);
  rgs_json_str(&j, "command", "watch");
  rgs_json_bool(&j, "ok", r->exit_code == RGS_EXIT_OK);
  rgs_json_str(&j, "event", rgs_p11_event_name(ev->kind));
  rgs_json_token(&j, "token", &ev->info);
  rgs_json_str(&j, "action", rgs_watch_action_name(p->action));
  if (p->order_id > 0)
    rgs_json_int(&j, "order", p->order_id);
  else
    rgs_json_str(&j, "order", NULL);
  rgs_json_str(&j, "status", p->status_known ? rgs_order_status_name(p->status) : NULL);
  rgs_json_str(&j, "bound_by", p->how == 1 ? "serial" : p->how == 2 ? "key" : NULL);
  rgs_json_str(&j, "outcome", r->outcome);
  rgs_json_int(&j, "exit", r->exit_code);
  rgs_json_str(&j, "message", r->message);
  rgs_json_finish(&j);
  fflush(stdout);
}

static const char *step_name(rgs_watch_action a)
{
  switch (a) {
  case RGS_WATCH_START: return "start";
  case RGS_WATCH_INSTALL: return "install";
  case RGS_WATCH_DELIVERED: return "check --delivered";
  default: return "";
  }
}

/* The command line the holder would type for the step (for "run it
 * yourself" messages). */
static void step_hint(const rgs_watch_plan *p, char *buf, size_t len)
{
  switch (p->action) {
  case RGS_WATCH_START: snprintf(buf, len, "rgs-enroll start --order %lld", p->order_id); break;
  case RGS_WATCH_INSTALL: snprintf(buf, len, "rgs-enroll install %lld", p->order_id); break;
  case RGS_WATCH_DELIVERED: snprintf(buf, len, "rgs-enroll check --delivered"); break;
  default: buf[0] = '\0'; break;
  }
}

/* <store dir>/requests/order-N.csr, the directory made (0700). */
static int request_path(const watch_ctx *W, long long id, char *buf, size_t len)
{
  const char *slash = strrchr(W->db, '/');
  char dir[PATH_MAX];

  if (slash == NULL)
    snprintf(dir, sizeof(dir), "requests");
  else if (snprintf(dir, sizeof(dir), "%.*s/requests", (int)(slash - W->db), W->db) >= (int)sizeof(dir))
    return -1;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    return -1;
  return snprintf(buf, len, "%s/order-%lld.csr", dir, id) < (int)len ? 0 : -1;
}

static int build_step(watch_ctx *W, argv_builder *b, const rgs_watch_plan *p, pin_way pin,
                      const rgs_p11_slot_info *info, char **uri_text)
{
  int r = common_args(W, b, info, uri_text);

  if (pin == PIN_FILE) {
    r |= arg(b, "--pin-file");
    r |= arg(b, W->io->pin_file);
  } else if (pin == PIN_FD) {
    r |= arg(b, "--pin-fd");
    r |= arg(b, argnum(b, W->io->pin_fd));
  } else if (pin == PIN_ASKPASS) {
    r |= arg(b, "--pin-fd");
    r |= arg(b, "3");
  }
  switch (p->action) {
  case RGS_WATCH_START:
    /* The request is also kept in the store; this file is for the CA
     * portal. Ours to overwrite: a run cut short may have left it. */
    if (request_path(W, p->order_id, W->csr, sizeof(W->csr)) != 0)
      return -1;
    r |= arg(b, "start");
    r |= arg(b, "--order");
    r |= arg(b, argnum(b, p->order_id));
    r |= arg(b, "--out");
    r |= arg(b, W->csr);
    r |= arg(b, "--force");
    break;
  case RGS_WATCH_INSTALL:
    r |= arg(b, "install");
    r |= arg(b, argnum(b, p->order_id));
    break;
  case RGS_WATCH_DELIVERED:
    r |= arg(b, "check");
    r |= arg(b, "--delivered");
    break;
  default:
    return -1;
  }
  return r;
}

/* Is the token of info still present? Asks the module now. */
static int still_present(watch_ctx *W, const rgs_p11_slot_info *info)
{
  rgs_p11_slot_info *slots = NULL;
  size_t n = 0, i;
  int present = 0;

  if (rgs_p11_slots(W->ctx, &slots, &n) != RGS_P11_OK)
    return 1;                 /* cannot tell: do not claim a removal */
  for (i = 0; i < n; i++)
    if (slots[i].token_present && strcmp(slots[i].serial, info->serial) == 0 &&
        strcmp(slots[i].label, info->label) == 0)
      present = 1;
  free(slots);
  return present;
}

/* Run the step of plan p for the token of ev. Returns 0 when done (r
 * filled), 1 when, under the lock, the store says the step is no longer
 * the one to do (another watcher did it meanwhile): p holds the new plan
 * for the caller to act on. */
static int do_step(watch_ctx *W, const rgs_p11_event *ev, rgs_watch_plan *p, watch_result *r)
{
  argv_builder b;
  char *uri_text = NULL, last[WATCH_LAST_LINE], words[256], hint[128], prompt[256];
  char summary[256];
  const char *removed_text = rgs_p11_strerror(RGS_P11_ERR_TOKEN_REMOVED);
  long holder = 0;
  pin_way pin;
  int lock = -1, st;

  memset(&b, 0, sizeof(b));
  token_words(&ev->info, words, sizeof(words));
  step_hint(p, hint, sizeof(hint));
  if (p->order_id > 0)
    snprintf(summary, sizeof(summary), _("Enrolment, order %lld"), p->order_id);
  else
    snprintf(summary, sizeof(summary), "%s", _("Enrolment"));
  if (W->dry_run) {
    r->outcome = "dry-run";
    r->exit_code = RGS_EXIT_OK;
    snprintf(r->message, sizeof(r->message), _("Token %s: would run: %s"), words, hint);
    rgs_notify(W->note, RGS_NOTE_INFO, 0, summary, r->message);
    return 0;
  }
  pin = choose_pin(W, &ev->info);
  if (pin == PIN_UNAVAILABLE) {
    r->outcome = "pin-needed";
    r->exit_code = RGS_EXIT_OK;
    snprintf(r->message, sizeof(r->message),
             _("Token %s: the next step needs the token's PIN. Open a terminal and run: %s"),
             words, hint);
    rgs_notify(W->note, RGS_NOTE_WARNING, 0, summary, r->message);
    return 0;
  }
  lock = lock_take(W->lock_path, &holder);
  if (lock == -1) {
    r->outcome = "busy";
    r->exit_code = RGS_EXIT_OK;
    snprintf(r->message, sizeof(r->message),
             _("Token %s: another enrolment step is running (process %ld); this insertion is left to it."),
             words, holder);
    rgs_notify(W->note, RGS_NOTE_WARNING, 0, summary, r->message);
    return 0;
  }
  if (lock < 0) {
    r->outcome = "failed";
    r->exit_code = RGS_EXIT_IO;
    snprintf(r->message, sizeof(r->message), _("cannot take the lock %s: %s"), W->lock_path,
             strerror(errno));
    rgs_notify(W->note, RGS_NOTE_ERROR, 0, summary, r->message);
    return 0;
  }
  /* The plan was made before the lock: a step that ended meanwhile may
   * have moved the order on. Ask the store again. */
  {
    rgs_watch_plan again;
    if (rgs_watch_plan_for(W->io, W->ctx, &ev->info, W->db, &again) == RGS_EXIT_OK &&
        (again.action != p->action || again.order_id != p->order_id)) {
      *p = again;
      lock_release(lock);
      return 1;
    }
  }
  if (build_step(W, &b, p, pin, &ev->info, &uri_text) != 0) {
    r->outcome = "failed";
    r->exit_code = RGS_EXIT_INTERNAL;
    snprintf(r->message, sizeof(r->message), "%s", _("out of memory"));
    goto cleanup;
  }
  if (pin == PIN_FD)
    W->pin_fd_used = 1;       /* a descriptor is read once */
  switch (p->action) {
  case RGS_WATCH_START:
    snprintf(r->message, sizeof(r->message),
             _("Token %s: generating the key pair and the certificate request on the token..."), words);
    break;
  case RGS_WATCH_INSTALL:
    snprintf(r->message, sizeof(r->message), _("Token %s: installing the issued certificate..."), words);
    break;
  default:
    snprintf(r->message, sizeof(r->message),
             _("Token %s: checking the token delivered by the certification authority..."), words);
    break;
  }
  if (pin == PIN_PINPAD)
    snprintf(r->message + strlen(r->message), sizeof(r->message) - strlen(r->message), " %s",
             _("Enter the PIN on the reader's keypad."));
  rgs_notify(W->note, RGS_NOTE_INFO, 0, summary, r->message);
  /* TRANSLATORS: shown by the askpass program; %s is the token. */
  snprintf(prompt, sizeof(prompt), _("rgs-enroll: PIN of the token %s"), words);
  st = run_step(W, b.argv, pin, prompt, last, sizeof(last));
  if (st < 0) {
    r->outcome = "failed";
    r->exit_code = RGS_EXIT_INTERNAL;
    snprintf(r->message, sizeof(r->message), _("cannot run %s: %s"), W->self, strerror(errno));
    rgs_notify(W->note, RGS_NOTE_ERROR, 1, summary, r->message);
    goto cleanup;
  }
  r->exit_code = st;
  if (st == RGS_EXIT_OK) {
    r->outcome = "done";
    switch (p->action) {
    case RGS_WATCH_START:
      snprintf(r->message, sizeof(r->message),
               _("Order %lld: the key pair is on the token and the certificate request is ready (%s). Next: hand it to the CA (rgs-enroll status %lld)."),
               p->order_id, W->csr, p->order_id);
      break;
    case RGS_WATCH_INSTALL:
      snprintf(r->message, sizeof(r->message),
               _("Order %lld: the certificate is installed on the token and checked."), p->order_id);
      break;
    default:
      snprintf(r->message, sizeof(r->message), "%s",
               _("The token delivered by the certification authority is checked."));
      break;
    }
    rgs_notify(W->note, RGS_NOTE_INFO, 1, summary, r->message);
  } else if (st == RGS_EXIT_TOKEN && (strstr(last, removed_text) != NULL ||
                                      !still_present(W, &ev->info))) {
    r->outcome = "removed";
    snprintf(r->message, sizeof(r->message),
             _("The token was removed during \"%s\": the step stopped and nothing was lost. Plug the token in again to resume."),
             step_name(p->action));
    rgs_notify(W->note, RGS_NOTE_WARNING, 1, summary, r->message);
  } else {
    r->outcome = "failed";
    snprintf(r->message, sizeof(r->message),
             _("The step \"%s\" stopped (exit status %d): %s. To retry in a terminal: %s"),
             step_name(p->action), st, last[0] != '\0' ? last : "?", hint);
    rgs_notify(W->note, RGS_NOTE_ERROR, 1, summary, r->message);
  }

cleanup:
  free(uri_text);
  lock_release(lock);
  return 0;
}

static void handle_appeared(watch_ctx *W, const rgs_p11_event *ev)
{
  rgs_watch_plan p;
  watch_result r;
  char words[256], next[512];
  int ret;

  if (!(ev->info.token_flags & CKF_TOKEN_INITIALIZED))
    return;                   /* a blank token (SoftHSM always shows one) */
  trace(W, "visible");
  memset(&r, 0, sizeof(r));
  token_words(&ev->info, words, sizeof(words));
  ret = rgs_watch_plan_for(W->io, W->ctx, &ev->info, W->db, &p);
  W->handled = 1;
  if (ret != RGS_EXIT_OK) {
    r.outcome = "failed";
    r.exit_code = ret;
    snprintf(r.message, sizeof(r.message), _("Token %s: cannot tell which step comes next."), words);
    rgs_notify(W->note, RGS_NOTE_ERROR, 0, _("Enrolment"), r.message);
    json_result(W, ev, &p, &r);
    W->exit_code = ret;
    return;
  }
  r.exit_code = RGS_EXIT_OK;
  if (p.action == RGS_WATCH_START || p.action == RGS_WATCH_INSTALL ||
      p.action == RGS_WATCH_DELIVERED) {
    if (do_step(W, ev, &p, &r) == 0) {
      json_result(W, ev, &p, &r);
      W->exit_code = r.exit_code;
      return;
    }
  }
  switch (p.action) {
  case RGS_WATCH_START:
  case RGS_WATCH_INSTALL:
  case RGS_WATCH_DELIVERED:
    /* Still a step after the second look: another watcher's step changed
     * the order to another step; the next insertion does it. */
    r.outcome = "told";
    snprintf(r.message, sizeof(r.message), _("Token %s: the order changed meanwhile; plug the token in again to go on."), words);
    rgs_notify(W->note, RGS_NOTE_INFO, 0, _("Enrolment"), r.message);
    break;
  case RGS_WATCH_TELL:
  case RGS_WATCH_DONE:
    r.outcome = "told";
    rgs_watch_next_text(&p, next, sizeof(next));
    snprintf(r.message, sizeof(r.message), _("Token %s plugged in. %s"), words, next);
    rgs_notify(W->note, RGS_NOTE_INFO, 0, _("Enrolment"), r.message);
    break;
  case RGS_WATCH_NO_ORDER:
    r.outcome = "told";
    snprintf(r.message, sizeof(r.message),
             _("Token %s plugged in: no order waits for it. Record the order first (rgs-enroll order new), then plug the token in again."),
             words);
    rgs_notify(W->note, RGS_NOTE_INFO, 0, _("Enrolment"), r.message);
    break;
  case RGS_WATCH_AMBIGUOUS:
    r.outcome = "told";
    snprintf(r.message, sizeof(r.message),
             _("Token %s plugged in: orders %s await a key. Choose one in a terminal: rgs-enroll start --order N"),
             words, p.candidates);
    rgs_notify(W->note, RGS_NOTE_WARNING, 0, _("Enrolment"), r.message);
    break;
  case RGS_WATCH_IGNORE:
    return;
  }
  json_result(W, ev, &p, &r);
  W->exit_code = r.exit_code;
}

static void handle_removed(watch_ctx *W, const rgs_p11_event *ev)
{
  char words[256], msg[512];

  if (!(ev->info.token_flags & CKF_TOKEN_INITIALIZED))
    return;
  token_words(&ev->info, words, sizeof(words));
  snprintf(msg, sizeof(msg), _("Token %s removed."), words);
  /* The journal only: a notification for every removal is noise. */
  rgs_notify_log(W->note, RGS_NOTE_INFO, msg);
}

/* ---- the loop ------------------------------------------------------------ */

static void rearm(watch_ctx *W)
{
  uint64_t now = 0;
  int ms = rgs_p11_watch_next_ms(W->w);

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
    rgs_warn(W->io, "%s (%s)", rgs_p11_strerror(rc), rgs_p11_last_error(W->ctx));
    return 0;
  }
  if (now - W->failing_since < (uint64_t)WATCH_FAILING_MAX_MS * 1000ULL)
    return 0;
  W->fatal = rgs_fail_p11(W->io, "watch", rc, W->ctx);
  return 1;
}

static int on_tick(sd_event_source *s, uint64_t usec, void *ud)
{
  watch_ctx *W = ud;
  rgs_p11_event ev;
  rgs_p11_rc rc;

  (void)s;
  (void)usec;
  /* For --trace readers: which ticks the backoff made and which a udev
   * event made. */
  trace(W, W->kicked ? "tick-kick" : "tick-timer");
  W->kicked = 0;
  for (;;) {
    rc = rgs_p11_watch_poll(W->w, &ev);
    if (!W->polled) {
      W->polled = 1;
      trace(W, "polled");
    }
    if (rc != RGS_P11_OK) {
      if (poll_failed(W, rc))
        return sd_event_exit(W->ev, 0);
      break;
    }
    /* A poll that was not due yet says nothing of the module. */
    if (W->failing_since != 0 && !rgs_p11_watch_failing(W->w)) {
      W->failing_since = 0;
      rgs_notify_log(W->note, RGS_NOTE_INFO, _("The token module answers again; watching goes on."));
    }
    if (ev.kind == RGS_P11_EVENT_NONE)
      break;
    if (ev.kind == RGS_P11_EVENT_APPEARED)
      handle_appeared(W, &ev);
    else
      handle_removed(W, &ev);
  }
  if (W->once && W->handled)
    return sd_event_exit(W->ev, 0);
  rearm(W);
  return 0;
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
  rgs_notify_log(W->note, RGS_NOTE_INFO, msg);
  trace(W, action == SD_DEVICE_ADD ? "usb-add" : "usb-remove");
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
  if (W->once && !W->handled)
    W->exit_code = rgs_fail(W->io, "watch", RGS_EXIT_TOKEN,
                            rgs_p11_strerror(RGS_P11_ERR_NO_TOKEN),
                            _("no initialised token appeared before the timeout"));
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
    rgs_warn(W->io, _("no udev events (%s): the module is polled only"), strerror(-r));
    W->mon = sd_device_monitor_unref(W->mon);
  }
}

/* ---- the command --------------------------------------------------------- */

static void usage(void)
{
  printf("%s\n", _("Usage: rgs-enroll watch [--once] [--timeout SECONDS] [--dry-run] [--no-notify]\n"
                   "                        [--no-udev] [--askpass PROGRAM] [--poll-max MS]\n"
                   "Wait for a token to be plugged in and take the enrolment where it stands:\n"
                   "the order awaiting a key gets it (start), an issued certificate is installed\n"
                   "(install), a token delivered by the CA is checked (check --delivered);\n"
                   "otherwise the next step is told. Tokens already present count as plugged in.\n"
                   "  --once             handle the tokens of the first insertion, then exit\n"
                   "  --timeout SECONDS  stop after that long (with --once: exit 4 if no token came)\n"
                   "  --dry-run          say what would be done, do nothing\n"
                   "  --no-notify        no desktop notification (the journal/stderr only)\n"
                   "  --no-udev          do not listen to udev; poll the PKCS#11 module only\n"
                   "  --askpass PROGRAM  ask the PIN with PROGRAM when there is no terminal\n"
                   "                     (default: $RGS_ENROLL_ASKPASS, else $SSH_ASKPASS)\n"
                   "  --poll-max MS      longest pause between two polls of the module (default 150)\n"
                   "One step runs at a time: a second watcher leaves the token to the first."));
}

enum { OPT_ONCE = 1, OPT_TIMEOUT, OPT_DRY_RUN, OPT_NO_NOTIFY, OPT_NO_UDEV, OPT_ASKPASS,
       OPT_POLL_MAX, OPT_TRACE, OPT_HELP };

static int parse(watch_ctx *W, int argc, char **argv)
{
  static const struct option opts[] = {
    { "once", no_argument, NULL, OPT_ONCE },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "dry-run", no_argument, NULL, OPT_DRY_RUN },
    { "no-notify", no_argument, NULL, OPT_NO_NOTIFY },
    { "no-udev", no_argument, NULL, OPT_NO_UDEV },
    { "askpass", required_argument, NULL, OPT_ASKPASS },
    { "poll-max", required_argument, NULL, OPT_POLL_MAX },
    { "trace", required_argument, NULL, OPT_TRACE },   /* bench/: timestamps */
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
  };
  const char *askpass = NULL;
  int c;

  W->desktop = 1;
  W->use_udev = 1;
  W->poll_max_ms = 150;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case OPT_ONCE: W->once = 1; break;
    case OPT_DRY_RUN: W->dry_run = 1; break;
    case OPT_NO_NOTIFY: W->desktop = 0; break;
    case OPT_NO_UDEV: W->use_udev = 0; break;
    case OPT_TIMEOUT:
      if (rgs_parse_int(optarg, 1, 7 * 24 * 3600, &W->timeout_s) != 0)
        return rgs_usage_error(W->io, "watch", _("--timeout needs seconds (1 or more), not '%s'"), optarg);
      break;
    case OPT_POLL_MAX:
      if (rgs_parse_int(optarg, 25, 60000, &W->poll_max_ms) != 0)
        return rgs_usage_error(W->io, "watch", _("--poll-max needs milliseconds (25 to 60000), not '%s'"), optarg);
      break;
    case OPT_ASKPASS:
      askpass = optarg;
      if (askpass[0] != '/' || !path_ok(askpass) || access(askpass, X_OK) != 0)
        return rgs_usage_error(W->io, "watch", _("--askpass needs the absolute path of a program, not '%s'"), optarg);
      break;
    case OPT_TRACE:
      if (!path_ok(optarg))
        return rgs_usage_error(W->io, "watch", _("bad path '%s'"), optarg);
      W->trace = optarg;
      break;
    case OPT_HELP: usage(); exit(RGS_EXIT_OK);
    default:
      return rgs_usage_error(W->io, "watch", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind < argc)
    return rgs_usage_error(W->io, "watch", _("unexpected argument '%s'"), argv[optind]);
  if (W->io->token != NULL)
    return rgs_usage_error(W->io, "watch", "%s",
                           _("--token does not go with watch: every token plugged in is handled"));
  W->askpass = find_askpass(askpass);
  return RGS_EXIT_OK;
}

static int setup(watch_ctx *W)
{
  rgs_p11_watch_opts wo;
  sigset_t mask;
  char err[512], detail[PATH_MAX + 600];
  ssize_t n;
  rgs_p11_rc rc;
  int r;

  n = readlink("/proc/self/exe", W->self, sizeof(W->self) - 1);
  if (n <= 0)
    return rgs_fail(W->io, "watch", RGS_EXIT_INTERNAL, _("cannot find the rgs-enroll program"),
                    strerror(errno));
  W->self[n] = '\0';
  if (rgs_store_path(W->io, W->db, sizeof(W->db)) != 0 || !path_ok(W->db))
    return rgs_fail(W->io, "watch", RGS_EXIT_STORE, _("cannot tell where the order store is"), NULL);
  if (rgs_watch_lock_path(W->db, W->lock_path, sizeof(W->lock_path)) != 0)
    return rgs_fail(W->io, "watch", RGS_EXIT_IO, _("cannot tell where the lock file goes"), NULL);
  snprintf(W->module, sizeof(W->module), "%s", rgs_p11_default_module(W->io->module));
  if (!path_ok(W->module))
    return rgs_usage_error(W->io, "watch", "%s", _("bad module path"));
  W->note = rgs_notifier_new(W->desktop);
  if (W->note == NULL)
    return rgs_fail(W->io, "watch", RGS_EXIT_INTERNAL, _("out of memory"), NULL);
  rc = rgs_p11_ctx_new(W->module, &W->ctx, err, sizeof(err));
  if (rc != RGS_P11_OK) {
    snprintf(detail, sizeof(detail), "%s: %s", W->module, err);
    return rgs_fail(W->io, "watch", rgs_exit_for_p11(rc), rgs_p11_strerror(rc), detail);
  }
  memset(&wo, 0, sizeof(wo));
  wo.max_interval_ms = (int)W->poll_max_ms;
  rc = rgs_p11_watch_new(W->ctx, &wo, &W->w);
  if (rc != RGS_P11_OK)
    return rgs_fail_p11(W->io, "watch", rc, W->ctx);

  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
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
  if (r >= 0 && W->timeout_s > 0)
    r = sd_event_add_time_relative(W->ev, &W->deadline, CLOCK_MONOTONIC,
                                   (uint64_t)W->timeout_s * 1000000ULL, 10000, on_deadline, W);
  if (r < 0)
    return rgs_fail(W->io, "watch", RGS_EXIT_INTERNAL, _("cannot set up the event loop"),
                    strerror(-r));
  if (W->use_udev)
    start_udev(W);
  trace(W, "ready");
  return RGS_EXIT_OK;
}

static void teardown(watch_ctx *W)
{
  sd_device_monitor_unref(W->mon);
  sd_event_source_unref(W->tick);
  sd_event_source_unref(W->deadline);
  sd_event_unref(W->ev);
  rgs_p11_watch_free(W->w);
  rgs_p11_ctx_free(W->ctx);
  rgs_notifier_free(W->note);
}

int rgs_cmd_watch(rgs_io *io, int argc, char **argv)
{
  watch_ctx W;
  int ret;

  memset(&W, 0, sizeof(W));
  W.io = io;
  ret = parse(&W, argc, argv);
  if (ret != RGS_EXIT_OK)
    return ret;
  ret = setup(&W);
  if (ret == RGS_EXIT_OK) {
    if (!io->json)
      rgs_notify_log(W.note, RGS_NOTE_INFO,
                     W.once ? _("Waiting for a token to be plugged in...")
                            : _("Watching for tokens; stop with Ctrl-C."));
    sd_event_loop(W.ev);
    /* --once ends with the outcome of its token; a watcher that runs until
     * stopped fails only when the module or the loop did. */
    ret = W.fatal != RGS_EXIT_OK ? W.fatal : W.once ? W.exit_code : RGS_EXIT_OK;
  }
  teardown(&W);
  return ret;
}
