/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_steps.c - the codes after the request in the window's words
 * (rgsg_steps.h). Tables of code and sentence, looked up by code. */
#include <string.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgsg_steps.h"

typedef struct {
  const char *code;
  const char *text;
} code_text;

static const char *lookup(const code_text *t, size_t n, const char *code)
{
  size_t i;

  for (i = 0; code != NULL && i < n; i++)
    if (strcmp(t[i].code, code) == 0)
      return _(t[i].text);
  return NULL;
}

static const code_text steps[] = {
  { "ordered", N_("Order placed on the Certigna portal") },
  { "key-and-request", N_("Key pair and certificate request made on your key") },
  { "face-to-face", N_("Face-to-face with the AED") },
  { "documents-sent", N_("Paper originals posted to Certigna") },
  { "issued", N_("Certificate issued by Certigna") },
  { "installed", N_("Certificate installed on your key") },
};

const char *rgsg_step_title(const char *step)
{
  return lookup(steps, RGS_ARRAY_LEN(steps), step);
}

const char *rgsg_step_state_text(const char *state)
{
  if (state != NULL && strcmp(state, "done") == 0)
    return _("Done");
  if (state != NULL && strcmp(state, "not-recorded") == 0)
    return _("Not recorded");
  return _("To do");
}

static const code_text wheres[] = {
  { "portal", N_("On the Certigna portal") },
  { "here", N_("Here, on this computer") },
  { "aed", N_("At the AED's, face to face") },
  { "post", N_("By post") },
  { "ca", N_("At Certigna, the certification authority") },
};

const char *rgsg_where_text(const char *where)
{
  return lookup(wheres, RGS_ARRAY_LEN(wheres), where);
}

static const code_text nexts[] = {
  { "accept-cgu", N_("Accept Certigna's terms of use (CGU) on the Certigna portal.") },
  { "choose-payment", N_("Choose how you pay on the Certigna portal.") },
  { "make-key", N_("Make the key pair and the certificate request on your key.") },
  { "link-csr", N_("Link the certificate request made on your key to this order.") },
  { "submit", N_("Upload your certificate request on the Certigna portal: it is the file saved when the key pair was made.") },
  { "choose-aed", N_("Choose the AED (commissaire de justice) who will check your identity face to face, and book the appointment.") },
  { "book-aed", N_("Book the appointment with the AED you chose.") },
  { "meet-aed", N_("Go to the appointment with the AED, with your key, a valid identity document and the signed face-to-face intervention form.") },
  { "prepare-documents", N_("Prepare the paper originals that are still missing.") },
  { "send-documents", N_("Post the four paper originals to Certigna, then record the day you posted them.") },
  { "wait-issue", N_("Wait for Certigna to issue your certificate; then install it on your key.") },
  { "install", N_("Install your certificate on your key.") },
  { "install-refused", N_("The certificate Certigna sent could not be installed: plug in the key that holds this order's key pair and try again; if the certificate itself is wrong, call Certigna (03 20 79 24 09).") },
  { "renew", N_("Your certificate ends soon: order its renewal.") },
  { "import-f2f-record", N_("Import the face-to-face record signed by the AED, so that your order proves the face-to-face.") },
  { "nothing", N_("Nothing left to do: your certificate is on your key.") },
  { "cancelled", N_("This order is cancelled: nothing left to do.") },
  { "refused", N_("Certigna refused this order: call Certigna (03 20 79 24 09).") },
};

const char *rgsg_next_text(const char *step)
{
  return lookup(nexts, RGS_ARRAY_LEN(nexts), step);
}

static const code_text docs[] = {
  { "request-form", N_("Signed request form (original)") },
  { "intervention-form", N_("Signed face-to-face intervention form (original)") },
  { "id-document", N_("Photocopy of your identity card or passport") },
  { "registration-extract", N_("Company registration extract (Kbis or equivalent)") },
};

const char *rgsg_doc_title(const char *kind)
{
  return lookup(docs, RGS_ARRAY_LEN(docs), kind);
}

static const code_text doc_states[] = {
  { "missing", N_("Missing") },
  { "ready", N_("Ready") },
  { "sent", N_("Sent") },
  { "accepted", N_("Accepted by Certigna") },
};

const char *rgsg_doc_state_text(const char *state)
{
  const char *t = lookup(doc_states, RGS_ARRAY_LEN(doc_states), state);

  return t != NULL ? t : (state != NULL ? state : "");
}

/* The sentence of a note whose date (in words) goes in, or NULL. */
static char *dated_note(const char *code, const char *day)
{
  if (strcmp(code, "extract-too-old") == 0)
    return g_strdup_printf(_("The registration extract is three months old or more on the sending day (it was good until %s): ask the registry for a new one."), day);
  if (strcmp(code, "extract-expires") == 0)
    return g_strdup_printf(_("The registration extract is good until %s only, before the planned sending: post earlier or get a newer one."), day);
  if (strcmp(code, "id-expired-f2f") == 0)
    return g_strdup_printf(_("Your identity document is no longer valid on the face-to-face day (%s): bring a valid one."), day);
  if (strcmp(code, "id-expired") == 0)
    return g_strdup_printf(_("Your identity document expired on %s."), day);
  return NULL;
}

char *rgsg_doc_note_text(const char *code, const char *kind, const char *date)
{
  const char *title = rgsg_doc_title(kind);
  char *day, *s;

  if (code == NULL)
    return NULL;
  if (strcmp(code, "missing") == 0)
    return g_strdup_printf(_("%s: still missing."), title != NULL ? title : "");
  if (strcmp(code, "extract-undated") == 0)
    return g_strdup(_("Type the registration extract's date of issue: it must be under three months old on the day you post it."));
  if (strcmp(code, "id-undated") == 0)
    return g_strdup(_("Type the end of validity of your identity document: it must be valid on the face-to-face day."));
  day = rgsg_when(date, FALSE);
  s = dated_note(code, day);
  g_free(day);
  return s;
}

static const code_text refusals[] = {
  { "appt-past", N_("This day and time are already past.") },
  { "appt-closed-day", N_("The AED's offices are closed on that day: it is a Sunday or a public holiday.") },
  { "appt-outside-hours", N_("This time is outside the AED's office hours (Monday to Friday 8:00 to 19:00, Saturday 9:00 to 12:00).") },
};

const char *rgsg_appt_refusal_text(const char *code)
{
  return lookup(refusals, RGS_ARRAY_LEN(refusals), code);
}

char *rgsg_when(const char *iso, gboolean wall)
{
  char out[160];

  if (iso == NULL)
    return g_strdup("");
  /* Not a date: rgsx_time_text leaves it sanitised, shown as it is. */
  rgsx_time_text(iso, wall ? RGSX_TIME_WALL : 0, out, sizeof(out));
  return g_strdup(out);
}

char *rgsg_money(gint64 cents)
{
  gint64 a = cents < 0 ? -cents : cents;

  /* TRANSLATORS: an amount in euros, its cents after the separator ("%s%lld,%02lld €" in French). */
  return g_strdup_printf(_("%s%lld.%02lld €"), cents < 0 ? "-" : "", (long long)(a / 100),
                         (long long)(a % 100));
}
