/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_text.h - the command's codes in plain words for the holder. The
 * JSON keeps codes (criterion ids, PIN states); the sentences live here,
 * translated in the rgs-enroll text domain. */
#ifndef RGSG_TEXT_H
#define RGSG_TEXT_H

#include <glib.h>

/* A sentence that says what the criterion checks, in words for an artisan;
 * NULL for an id this window does not know (show the command's title). */
const char *rgsg_criterion_sentence(const char *id);

typedef enum {
  RGSG_VERDICT_PASS = 0,
  RGSG_VERDICT_FAIL,
  RGSG_VERDICT_DEMO,     /* failed, but waived by a demo policy */
  RGSG_VERDICT_UNKNOWN
} rgsg_verdict;

rgsg_verdict rgsg_verdict_of(const char *verdict, int waived);
/* "Yes", "No", "Accepted for the demo only", translated. */
const char *rgsg_verdict_text(rgsg_verdict v);

typedef enum {
  RGSG_PIN_OK = 0,
  RGSG_PIN_COUNT_LOW,
  RGSG_PIN_FINAL_TRY,
  RGSG_PIN_LOCKED,
  RGSG_PIN_NOT_INITIALIZED,
  RGSG_PIN_UNKNOWN
} rgsg_pin_state;

/* The token's pin_state code of `rgs-enroll --json tokens`. */
rgsg_pin_state rgsg_pin_state_of(const char *code);
/* What the tries counter says, for the PIN dialog; translated. */
const char *rgsg_pin_state_text(rgsg_pin_state s);

/* A PIN failure told by the command's error.code (doc/json/v1). */
typedef enum {
  RGSG_PIN_ERR_NONE = 0,      /* not a PIN failure: show the command's message */
  RGSG_PIN_ERR_INCORRECT,     /* pin-incorrect: one try spent */
  RGSG_PIN_ERR_LOCKED,        /* pin-locked */
  RGSG_PIN_ERR_FINAL_TRY,     /* pin-final-try-not-consented: nothing spent */
  RGSG_PIN_ERR_LENGTH,        /* pin-length: not sent */
  RGSG_PIN_ERR_INVALID,       /* pin-invalid */
  RGSG_PIN_ERR_EXPIRED,       /* pin-expired: to be changed first */
  RGSG_PIN_ERR_UNREADABLE,    /* pin-unreadable: the pipe gave nothing */
  RGSG_PIN_ERR_CANCELLED      /* pin-cancelled */
} rgsg_pin_error;

rgsg_pin_error rgsg_pin_error_of(const char *code);
/* The sentence for the person, translated; NULL for RGSG_PIN_ERR_NONE. */
const char *rgsg_pin_error_text(rgsg_pin_error e);
/* Whether typing the PIN again can help (never for locked or expired). */
gboolean rgsg_pin_error_retry(rgsg_pin_error e);

/* What a long step of --progress-fd is doing and for how long, in words:
 * "Making the key pair… 0:12 — do not unplug the key" (step keygen).
 * Translated; free with g_free(). */
char *rgsg_progress_text(const char *step, gint64 elapsed_ms);

/* Text from outside (a label, a name the command printed) made safe to
 * show: rgsx_sanitize's copy, "" for NULL. Free with g_free(). */
char *rgsg_clean(const char *s);

#endif
