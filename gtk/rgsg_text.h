/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_text.h - the command's codes in plain words for the holder. The
 * JSON keeps codes (criterion ids, PIN states); the sentences live here,
 * translated in the rgs-enroll text domain. */
#ifndef RGSG_TEXT_H
#define RGSG_TEXT_H

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

#endif
