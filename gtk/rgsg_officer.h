/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_officer.h - the AED officer's (huissier's) window for the
 * face-to-face: the holder's dossier imported, the holder's token checked,
 * the proof of possession, the identity document and the registration
 * extract, the AED's signature, the report and the record for the holder.
 * Every token operation is a child rgs-enroll, as in the holder's window. */
#ifndef RGSG_OFFICER_H
#define RGSG_OFFICER_H

#include "rgsg_window.h"

/* Build and present the window (rgs-enroll-gtk --officer); it frees itself
 * when closed. opts is read during the call (its strings must outlive the
 * window, as for rgsg_win_new). */
void rgsg_officer_new(GtkApplication *app, const rgsg_win_opts *opts);

#endif
