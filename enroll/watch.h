/* watch.h - what `rgs-enroll watch` is made of: the USB devices udev tells
 * about (validated), the plan for a token (which step of the enrolment comes
 * next), the lock that keeps one step at a time, and the step's process. */
#ifndef RGS_WATCH_H
#define RGS_WATCH_H

#include <stddef.h>
#include "flow.h"

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
} rgs_watch_action;

typedef struct {
  rgs_watch_action action;
  long long order_id;          /* 0 when none */
  int status_known;
  rgs_order_status status;
  rgs_order_next next;         /* RGS_WATCH_TELL */
  int how;                     /* 1: bound by token serial, 2: by a certificate's key */
  char candidates[128];        /* RGS_WATCH_AMBIGUOUS: "3, 5" */
} rgs_watch_plan;

/* Decide what to do for the token in slot info of ctx, reading the store
 * at db_path (may not exist: no order). Opens the token read-only-wise (a
 * session, no login) to read its certificates, and closes it. Failures are
 * reported (io, "watch") and returned as exit statuses. */
int rgs_watch_plan_for(const rgs_io *io, rgs_p11_ctx *ctx, const rgs_p11_slot_info *info,
                       const char *db_path, rgs_watch_plan *plan);

/* Stable word for JSON and logs: "start", "install", "check-delivered",
 * "tell", "done", "no-order", "ambiguous", "ignore". */
const char *rgs_watch_action_name(rgs_watch_action a);
/* A translated sentence for the next step of an order (notification body). */
void rgs_watch_next_text(const rgs_watch_plan *plan, char *buf, size_t len);

/* ---- one step at a time (cmd_watch.c) ----------------------------------- */

/* The lock file: $XDG_RUNTIME_DIR/rgs-enroll/watch.lock, else the store's
 * directory, else /tmp/rgs-enroll-UID.lock. 0 on success. */
int rgs_watch_lock_path(const char *db_path, char *buf, size_t len);

#endif
