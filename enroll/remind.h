/* SPDX-License-Identifier: BSD-3-Clause */
/* remind.h - `rgs-enroll remind`, run daily by a systemd user timer: at 90,
 * 30, 7 and 1 day(s) before an installed certificate ends, and once after
 * it has ended, a desktop notification and a journal line say what to do
 * (order the renewal on the Certigna portal, or renew over EST). Once per
 * threshold and certificate: the store records the last one given. */
#ifndef RGS_REMIND_H
#define RGS_REMIND_H

#include "expiry.h"
#include "flow.h"

typedef struct {
  int desktop;                 /* desktop notifications (else the journal/stderr only) */
} rgs_remind_opts;

/* Every installed order of the store (--db or the default one), at
 * rgs_now(): the reminders due are given and recorded. Nothing is said when
 * no certificate is near its end; a missing store is not an error. Under
 * --json one document lists the reminders given. Returns the exit status
 * (store failures: RGS_EXIT_STORE). */
int rgs_remind_run(const rgs_io *io, const rgs_remind_opts *opts);

#endif
