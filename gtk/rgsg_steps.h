/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_steps.h - the codes of the screens after the request in the
 * window's own words: the procedure's steps and where they happen, what
 * comes next (status --json), the documents and their notes (order docs),
 * an appointment refused (aed book), dates and amounts for people. The
 * command's prose carries command lines: the window never shows it when it
 * knows the code. Every sentence is translated (rgs-enroll domain). */
#ifndef RGSG_STEPS_H
#define RGSG_STEPS_H

#include <glib.h>

/* procedure[].step ("face-to-face"): a short title; NULL when unknown. */
const char *rgsg_step_title(const char *step);
/* procedure[].state: "Done", "To do", "Not recorded". */
const char *rgsg_step_state_text(const char *state);
/* procedure[].where ("aed"): "At the AED's office"; NULL when unknown. */
const char *rgsg_where_text(const char *where);
/* next[].step ("book-aed"): what to do, for a person; NULL when unknown
 * (then show the command's text, sanitised). */
const char *rgsg_next_text(const char *step);

/* documents[].kind ("registration-extract"); NULL when unknown. */
const char *rgsg_doc_title(const char *kind);
/* documents[].state ("ready"): "Ready"; the code itself when unknown. */
const char *rgsg_doc_state_text(const char *state);
/* A note of `order docs` (notes[].code, .date): the sentence with the date
 * in words; NULL for an unknown code. Free with g_free(). */
char *rgsg_doc_note_text(const char *code, const char *kind, const char *date);

/* The error.code of a refused appointment date (aed book, exit 2):
 * the sentence, NULL when code is not such a refusal. */
const char *rgsg_appt_refusal_text(const char *code);

/* An ISO date or time of the command ("2026-12-07", an appointment's
 * "2026-12-15T10:00:00+01:00") in words: "7 December 2026", "15 December
 * 2026 at 10:00" (French "7 décembre 2026"). wall: keep the appointment's
 * own clock time. Free with g_free(). */
char *rgsg_when(const char *iso, gboolean wall);
/* An amount in cents: "50.00 €" ("50,00 €" in French). Free with g_free(). */
char *rgsg_money(gint64 cents);

#endif
