/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_text.c - codes in plain words (rgsg_text.h). */
#include <stdlib.h>
#include <string.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgsg_text.h"

typedef struct {
  const char *id;
  const char *sentence;
} criterion_text;

static const criterion_text criteria[] = {
  { "device.policy", N_("The key is a model qualified for RGS**.") },
  { "slot.hardware", N_("The key is a real device, not software.") },
  { "slot.removable", N_("The key can be unplugged and carried.") },
  { "mech.keygen", N_("The key can make its own key pair, of the size RGS** asks.") },
  { "mech.sign", N_("The key can sign with SHA-256.") },
  { "token.initialized", N_("The key is set up.") },
  { "token.login-required", N_("The key asks for a PIN before it signs.") },
  { "pin.initialized", N_("The key has a PIN.") },
  { "pin.not-locked", N_("The PIN is not locked.") },
  { "key.local", N_("The key pair was made on the key itself.") },
  { "key.always-sensitive", N_("The private key has always been protected.") },
  { "key.never-extractable", N_("The private key has never been allowed out of the key.") },
  { "key.not-extractable", N_("The private key cannot be copied out.") },
  { "key.private", N_("The private key needs the PIN.") },
  { "key.token", N_("The key pair is stored on the key.") },
  { "key.size", N_("The key pair is strong enough for the certificate's whole life.") },
  { "key.exponent", N_("The public key's exponent is the one RGS** asks.") },
};

const char *rgsg_criterion_sentence(const char *id)
{
  size_t i;

  for (i = 0; id != NULL && i < RGS_ARRAY_LEN(criteria); i++)
    if (strcmp(criteria[i].id, id) == 0)
      return _(criteria[i].sentence);
  return NULL;
}

rgsg_verdict rgsg_verdict_of(const char *verdict, int waived)
{
  if (verdict == NULL)
    return RGSG_VERDICT_UNKNOWN;
  if (strcmp(verdict, "pass") == 0)
    return RGSG_VERDICT_PASS;
  if (strcmp(verdict, "fail") == 0)
    return waived ? RGSG_VERDICT_DEMO : RGSG_VERDICT_FAIL;
  return RGSG_VERDICT_UNKNOWN;
}

const char *rgsg_verdict_text(rgsg_verdict v)
{
  switch (v) {
  case RGSG_VERDICT_PASS: return _("Yes");
  case RGSG_VERDICT_FAIL: return _("No");
  case RGSG_VERDICT_DEMO: return _("No, accepted for the demo only");
  case RGSG_VERDICT_UNKNOWN: return _("Not checked");
  }
  return "";
}

rgsg_pin_state rgsg_pin_state_of(const char *code)
{
  static const struct { const char *code; rgsg_pin_state s; } map[] = {
    { "ok", RGSG_PIN_OK }, { "count-low", RGSG_PIN_COUNT_LOW },
    { "final-try", RGSG_PIN_FINAL_TRY }, { "locked", RGSG_PIN_LOCKED },
    { "not-initialized", RGSG_PIN_NOT_INITIALIZED },
  };
  size_t i;

  for (i = 0; code != NULL && i < RGS_ARRAY_LEN(map); i++)
    if (strcmp(map[i].code, code) == 0)
      return map[i].s;
  return RGSG_PIN_UNKNOWN;
}

const char *rgsg_pin_state_text(rgsg_pin_state s)
{
  switch (s) {
  case RGSG_PIN_OK: return _("All tries are left.");
  case RGSG_PIN_COUNT_LOW:
    return _("Fewer tries are left: a wrong PIN was typed since the last correct one. Type it carefully.");
  case RGSG_PIN_FINAL_TRY:
    return _("Last try: if this PIN is wrong, the key locks and only the unblocking code (or the CA) can open it again.");
  case RGSG_PIN_LOCKED:
    return _("The PIN is locked: no try is left. Unlock it with the unblocking code, or contact the CA.");
  case RGSG_PIN_NOT_INITIALIZED: return _("The key has no PIN yet.");
  case RGSG_PIN_UNKNOWN: return _("The key does not say how many tries are left.");
  }
  return "";
}

char *rgsg_progress_text(const char *step, gint64 elapsed_ms)
{
  char clock[32];
  gint64 s = elapsed_ms > 0 ? elapsed_ms / 1000 : 0;

  g_snprintf(clock, sizeof(clock), "%lld:%02lld", (long long)(s / 60), (long long)(s % 60));
  if (strcmp(step, "keygen") == 0)
    return g_strdup_printf(_("Making the key pair… %s — do not unplug the key"), clock);
  if (strcmp(step, "csr") == 0)
    return g_strdup_printf(_("Signing the request on the key… %s — do not unplug the key"), clock);
  if (strcmp(step, "check") == 0)
    return g_strdup_printf(_("Checking the key… %s"), clock);
  return g_strdup_printf(_("Working… %s"), clock);
}

rgsg_pin_error rgsg_pin_error_of(const char *code)
{
  static const struct { const char *code; rgsg_pin_error e; } map[] = {
    { "pin-incorrect", RGSG_PIN_ERR_INCORRECT },
    { "pin-locked", RGSG_PIN_ERR_LOCKED },
    { "pin-final-try-not-consented", RGSG_PIN_ERR_FINAL_TRY },
    { "pin-length", RGSG_PIN_ERR_LENGTH },
    { "pin-invalid", RGSG_PIN_ERR_INVALID },
    { "pin-expired", RGSG_PIN_ERR_EXPIRED },
    { "pin-unreadable", RGSG_PIN_ERR_UNREADABLE },
    { "pin-cancelled", RGSG_PIN_ERR_CANCELLED },
  };
  size_t i;

  for (i = 0; code != NULL && i < RGS_ARRAY_LEN(map); i++)
    if (strcmp(map[i].code, code) == 0)
      return map[i].e;
  return RGSG_PIN_ERR_NONE;
}

const char *rgsg_pin_error_text(rgsg_pin_error e)
{
  switch (e) {
  case RGSG_PIN_ERR_NONE: return NULL;
  case RGSG_PIN_ERR_INCORRECT:
    return _("The PIN is wrong: the key refused it and counted one try.");
  case RGSG_PIN_ERR_LOCKED:
    return _("The PIN is locked: the key refuses every PIN now. Unlock it with the unblocking code (PUK) that came with the key, or contact the CA.");
  case RGSG_PIN_ERR_FINAL_TRY:
    return _("Only one try is left now, and it was not spent: type the PIN again and tick the confirmation to use it.");
  case RGSG_PIN_ERR_LENGTH:
    return _("This PIN is too short or too long for this key: it was not sent, no try was used. Check it and type it again.");
  case RGSG_PIN_ERR_INVALID:
    return _("The key does not accept a PIN of this form. Check it and type it again.");
  case RGSG_PIN_ERR_EXPIRED:
    return _("The key asks for its PIN to be changed first. Change it with the key's software, then come back.");
  case RGSG_PIN_ERR_UNREADABLE:
    return _("The PIN did not reach the command: nothing was sent to the key. Type it again.");
  case RGSG_PIN_ERR_CANCELLED:
    return _("The PIN was not given: nothing was done.");
  }
  return NULL;
}

gboolean rgsg_pin_error_retry(rgsg_pin_error e)
{
  switch (e) {
  case RGSG_PIN_ERR_INCORRECT:
  case RGSG_PIN_ERR_FINAL_TRY:
  case RGSG_PIN_ERR_LENGTH:
  case RGSG_PIN_ERR_INVALID:
  case RGSG_PIN_ERR_UNREADABLE:
  case RGSG_PIN_ERR_CANCELLED:
    return TRUE;
  case RGSG_PIN_ERR_NONE:
  case RGSG_PIN_ERR_LOCKED:
  case RGSG_PIN_ERR_EXPIRED:
    return FALSE;
  }
  return FALSE;
}

char *rgsg_clean(const char *s)
{
  char *c = rgsx_sanitize(s != NULL ? s : "", (size_t)-1);
  char *g = g_strdup(c != NULL ? c : "");

  free(c);
  return g;
}
