/* SPDX-License-Identifier: BSD-3-Clause */
/* watch.h - the watcher of rgs-enroll, as a library: the USB devices udev
 * tells about (validated), the plan for a token (which step of the
 * enrolment comes next), the lock that keeps one step at a time, the
 * step's process, the notifications, and the loop that ties them. The
 * command line (cli/cmd_watch.c) only parses its options, calls
 * rgs_watch_run and reports each token. */
#ifndef RGS_WATCH_H
#define RGS_WATCH_H

#include <stddef.h>
#include <stdint.h>
#include "flow.h"

/* ---- telling the person (notify.c) --------------------------------------
 * A desktop notification (freedesktop Notifications over the session bus,
 * with sd-bus) and a line on stderr, which is the journal when rgs-enroll
 * runs as a systemd service. */

typedef enum {
  RGS_NOTE_INFO = 0,       /* journal priority info, urgency normal */
  RGS_NOTE_WARNING,        /* warning, urgency normal */
  RGS_NOTE_ERROR,          /* err, urgency critical */
} rgs_note_level;

typedef struct rgs_notifier rgs_notifier;

/* desktop 0: stderr/journal only. The session bus is opened on first use;
 * when there is no bus or no notification service the notifier says so
 * once and carries on with stderr. Free with rgs_notifier_free(). NULL on
 * ENOMEM. */
rgs_notifier *rgs_notifier_new(int desktop);
void rgs_notifier_free(rgs_notifier *n);

/* summary and body: translated UTF-8 sentences (body may be NULL). They are
 * cleaned (control characters dropped, markup characters escaped) before
 * they reach the bus. With replace set, the notification replaces the last
 * one shown (a step's "started" by its outcome). Returns 1 when a desktop
 * notification was shown, 0 otherwise; the line on stderr is always
 * written. */
int rgs_notify(rgs_notifier *n, rgs_note_level level, int replace, const char *summary,
               const char *body);

/* The line on stderr / the journal only, no desktop notification (for what
 * a person need not be interrupted by). */
void rgs_notify_log(rgs_notifier *n, rgs_note_level level, const char *text);

/* The action a notification may carry (freedesktop Notifications: the
 * "open" key, and "default" for a click on the notification itself). */
#define RGS_NOTE_ACTION_OPEN "open"

typedef enum {
  RGS_NOTE_INVOKED = 0,    /* the person clicked the action (or the notification) */
  RGS_NOTE_CLOSED,         /* the notification is gone (dismissed, expired) */
} rgs_note_event;

typedef void (*rgs_note_event_fn)(void *ud, uint32_t id, rgs_note_event what);

struct sd_event;
/* What the person does with the notifications reaches fn(ud, id, what)
 * from the loop ev: the session bus joins it (its fd in the loop's poll
 * set) once open. Call before the first notification. */
void rgs_notifier_listen(rgs_notifier *n, struct sd_event *ev, rgs_note_event_fn fn, void *ud);
/* 1 when a notification can carry an action: desktop notifications on,
 * listened to, and the server names "actions" in GetCapabilities. Opens
 * the bus and asks the server once. */
int rgs_notifier_can_act(rgs_notifier *n);
/* rgs_notify (never replacing) with the action RGS_NOTE_ACTION_OPEN
 * labelled action (translated). Returns the notification's id, 0 when no
 * notification with its action was shown (the line on stderr is always
 * written). */
uint32_t rgs_notify_action(rgs_notifier *n, rgs_note_level level, const char *summary,
                           const char *body, const char *action);

/* Copy text into out (size outlen, NUL-terminated), keeping printable
 * UTF-8: control characters and broken UTF-8 become spaces (newlines are
 * kept) and, with markup_safe, < > & become &lt; &gt; &amp; (the body of a
 * notification may be read as markup). Cut at a character boundary. */
void rgs_notify_clean(const char *text, char *out, size_t outlen, int markup_safe);

/* ---- USB devices from udev (watch_udev.c) --------------------------------
 * Every value comes from the device or from the udev database: a USB
 * device chooses its own strings (BadUSB), and the database can be written
 * by rules we do not control. Nothing is used before it is validated here,
 * and nothing from udev is ever passed to a shell or a command line. */

typedef struct {
  char vendor_id[5];           /* 4 lower-case hex digits, "" when absent or malformed */
  char product_id[5];
  char vendor[65];             /* cleaned text: see rgs_watch_clean_text */
  char model[65];
  char serial[65];
  int ccid;                    /* a CCID interface (USB class 0x0b) */
  const char *known;           /* name of a token of this market (static), or NULL */
} rgs_usb_device;

/* Property getter: the value of key, or NULL. */
typedef const char *(*rgs_prop_get)(void *ud, const char *key);

/* Read ID_VENDOR_ID, ID_MODEL_ID, ID_USB_INTERFACES, ID_VENDOR, ID_MODEL,
 * ID_SERIAL_SHORT (falling back to the kernel's PRODUCT for the ids).
 * Returns 1 when the device is a smart-card reader or crypto token (CCID
 * interface, or the ids of a known token), 0 when it is to be ignored. */
int rgs_usb_device_read(rgs_prop_get get, void *ud, rgs_usb_device *out);

/* Keep [A-Za-z0-9 ._+-] and replace anything else by '_', at most
 * outlen-1 bytes; never empty ("?" for an empty or absent value). */
void rgs_watch_clean_text(const char *in, char *out, size_t outlen);

/* The vendor:product ids the udev rule names, with the model (for tests
 * that compare the rule with the code). *n receives the count. */
typedef struct {
  const char *vendor_id, *product_id, *name;
} rgs_usb_known;
const rgs_usb_known *rgs_usb_known_tokens(size_t *n);

/* ---- the plan for a token (watch_plan.c) --------------------------------- */

typedef enum {
  RGS_WATCH_IGNORE = 0,        /* blank (uninitialised) token */
  RGS_WATCH_START,             /* the order awaits its key: start --order N */
  RGS_WATCH_INSTALL,           /* certificate issued: install N */
  RGS_WATCH_DELIVERED,         /* token delivered by the CA: check --delivered */
  RGS_WATCH_TELL,              /* tell the next step of the order */
  RGS_WATCH_DONE,              /* the order's certificate is installed */
  RGS_WATCH_NO_ORDER,          /* nothing in the store for this token */
  RGS_WATCH_AMBIGUOUS,         /* several orders await a key: the holder chooses */
  RGS_WATCH_PROPOSE,           /* bound to no order, one order awaits a key: the
                                * command is proposed, never run */
  RGS_WATCH_NOT_AWAITING,      /* the order the person chose (watch --order) does
                                * not await a key pair (or is not in the store):
                                * said, and no other order is proposed */
} rgs_watch_action;

typedef struct {
  rgs_watch_action action;
  long long order_id;          /* 0 when none */
  int status_known;
  rgs_order_status status;
  rgs_order_next next;         /* RGS_WATCH_TELL, RGS_WATCH_NOT_AWAITING */
  int how;                     /* 1: bound by token serial, 2: by a key of the token,
                                * 3: chosen by the person (watch --order) */
  char candidates[128];        /* RGS_WATCH_AMBIGUOUS: "3, 5" */
  char command[2048];          /* RGS_WATCH_PROPOSE: the command for the person to
                                * type (shell-quoted), "" otherwise */
} rgs_watch_plan;

/* Decide what to do for the token in slot info of ctx, reading the store
 * at db_path (may not exist: no order). A token belongs to an order only
 * by the serial its binding records or by the key of its request: a token
 * bound to none is never given an order's step (with one order awaiting
 * a key, the step is proposed), unless the person chose that order
 * (chosen > 0, watch --order: the token gets it if it awaits a key; if
 * it does not, RGS_WATCH_NOT_AWAITING and no other order). A token is
 * bound by key only by a key pair's public key object, never by a
 * certificate (public, copyable). Opens the token read-only-wise (a
 * session, no login) to read its keys and certificates, and closes it.
 * Failures are reported (io, "watch") and returned as exit statuses. */
int rgs_watch_plan_for(const rgs_io *io, rgs_p11_ctx *ctx, const rgs_p11_slot_info *info,
                       const char *db_path, long long chosen, rgs_watch_plan *plan);

/* Stable word for JSON and logs: "start", "install", "check-delivered",
 * "tell", "done", "no-order", "ambiguous", "propose", "not-awaiting-key",
 * "ignore". */
const char *rgs_watch_action_name(rgs_watch_action a);
/* A translated sentence for the next step of an order (notification body). */
void rgs_watch_next_text(const rgs_watch_plan *plan, char *buf, size_t len);

/* ---- one step at a time (watch_lock.c) --------------------------------- */

typedef enum {
  RGS_WATCH_LOCK_OK = 0,
  RGS_WATCH_LOCK_BUSY,         /* another process holds the lock */
  RGS_WATCH_LOCK_ERR_PATH,     /* no room for the lock file's path */
  RGS_WATCH_LOCK_ERR_SYSTEM,   /* the lock file cannot be opened or locked: see *err */
} rgs_watch_lock_rc;

/* A sentence for rc, in the person's language (never NULL). */
const char *rgs_watch_lock_strerror(rgs_watch_lock_rc rc);

/* The lock file: $XDG_RUNTIME_DIR/rgs-enroll/watch.lock, else the store's
 * directory, else /tmp/rgs-enroll-UID.lock. RGS_WATCH_LOCK_OK or
 * RGS_WATCH_LOCK_ERR_PATH. */
rgs_watch_lock_rc rgs_watch_lock_path(const char *db_path, char *buf, size_t len);

/* Take the lock at path without waiting. RGS_WATCH_LOCK_OK: *fd holds it
 * (give it to rgs_watch_lock_release). RGS_WATCH_LOCK_BUSY: *holder is the
 * pid of the process that holds it, 0 when unknown. ERR_SYSTEM: *err is
 * the errno. *fd is -1 unless the lock is held. */
rgs_watch_lock_rc rgs_watch_lock_take(const char *path, int *fd, long *holder, int *err);
/* Release and close a lock taken (fd < 0: nothing). */
void rgs_watch_lock_release(int fd);

/* ---- the watcher (watch_loop.c, watch_step.c) --------------------------- */

typedef struct {
  int once;                    /* the tokens of the first insertion, then return */
  int dry_run;                 /* say what would be done, do nothing */
  int desktop;                 /* desktop notifications (else the journal only) */
  int use_udev;                /* udev events as a hint to poll at once */
  long timeout_s;              /* stop after that long; 0: never */
  long poll_max_ms;            /* longest pause between two polls of the module */
  long long order;             /* --order: the order awaiting a key that a token bound
                                * to none is for; 0: none (proposed only) */
  const char *askpass;         /* askpass program chosen by the person, or NULL
                                * ($RGS_ENROLL_ASKPASS, else $SSH_ASKPASS) */
  const char *trace;           /* file for timestamps (bench/, tests), or NULL */
  const char *window;          /* --window: the window program, or NULL (rgs-enroll-gtk
                                * beside this program, else in PATH) */
} rgs_watch_opts;

/* What became of one token plugged in, for the front end to report. The
 * pointers are valid during the call of the report function only. */
typedef struct {
  const rgs_p11_event *event;
  const rgs_watch_plan *plan;
  const char *outcome;         /* stable word: done, removed, failed, busy,
                                * pin-needed, dry-run, told, proposed */
  int window;                  /* the notification offers to open the window */
  int exit_code;               /* the step's, or the watcher's */
  const char *message;         /* what the person was told */
} rgs_watch_outcome;

typedef void (*rgs_watch_report_fn)(void *ud, const rgs_watch_outcome *o);

/* Watch for tokens, and run for each the step its plan says, until a
 * signal (SIGINT, SIGTERM, SIGHUP), the timeout, or with once the first
 * token handled. report (may be NULL) is called once per token handled.
 * Failures are reported through io. Returns the exit status: with once
 * the outcome of its token, else a failure of the module or of the loop
 * only. */
int rgs_watch_run(const rgs_io *io, const rgs_watch_opts *opts, rgs_watch_report_fn report,
                  void *ud);

/* 1 when p is usable as a path argument of a step: non-empty, shorter
 * than PATH_MAX, no control characters. */
int rgs_watch_path_ok(const char *p);
/* 1 when p names an askpass program: absolute, rgs_watch_path_ok,
 * executable. */
int rgs_watch_askpass_ok(const char *p);

#endif
