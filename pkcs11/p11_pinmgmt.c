/* SPDX-License-Identifier: BSD-3-Clause */
/* p11_pinmgmt.c - changing and unblocking PINs under the rules of p11_pin.c.
 *
 * The counters of the PIN about to be presented are read first; a locked
 * PIN is never tried and a final try is only spent with consent. Every
 * secret is read and the new PIN judged (length, triviality, confirmation)
 * before anything reaches the token, so that a typo never costs a try. Each
 * operation makes at most one call that can spend a try, and never retries.
 * Every buffer is wiped on every path. */
#include <stdio.h>
#include <string.h>
#include "p11_internal.h"

#define RGS_PIN_CAP 256
/* Whatever a token accepts, fewer than four characters is no PIN. */
#define RGS_PIN_FLOOR 4

/* ---- judging a new PIN --------------------------------------------------- */

/* One character repeated (0000), or a run up or down by one (1234, 4321,
 * abcd): the first guesses of anyone holding a lost token. */
static int trivial(const char *pin, size_t len)
{
  size_t i;
  int same = 1, up = 1, down = 1;

  for (i = 1; i < len; i++) {
    int d = (unsigned char)pin[i] - (unsigned char)pin[i - 1];
    same &= d == 0;
    up &= d == 1;
    down &= d == -1;
  }
  return same || up || down;
}

rgs_p11_pin_verdict rgs_p11_pin_judge(const rgs_p11_slot_info *info, const char *pin,
                                      size_t len, const char *old, size_t old_len)
{
  size_t i, min = RGS_PIN_FLOOR;

  if (pin == NULL)
    return RGS_PIN_NEW_SHORT;
  for (i = 0; i < len; i++)
    if ((unsigned char)pin[i] < 0x20 || pin[i] == 0x7F)
      return RGS_PIN_NEW_CHARS;
  if (info != NULL && info->min_pin > min && info->min_pin <= RGS_PIN_CAP)
    min = info->min_pin;
  if (len < min)
    return RGS_PIN_NEW_SHORT;
  if (info != NULL && info->max_pin > 0 && info->max_pin >= info->min_pin &&
      len > info->max_pin)
    return RGS_PIN_NEW_LONG;
  if (len >= RGS_PIN_CAP)
    return RGS_PIN_NEW_LONG;
  if (trivial(pin, len))
    return RGS_PIN_NEW_TRIVIAL;
  if (old != NULL && old_len == len && memcmp(old, pin, len) == 0)
    return RGS_PIN_NEW_SAME;
  return RGS_PIN_NEW_OK;
}

const char *rgs_p11_pin_verdict_text(rgs_p11_pin_verdict v)
{
  switch (v) {
  case RGS_PIN_NEW_OK: return _("the new PIN is acceptable");
  case RGS_PIN_NEW_SHORT: return _("the new PIN is too short for this token");
  case RGS_PIN_NEW_LONG: return _("the new PIN is too long for this token");
  case RGS_PIN_NEW_CHARS: return _("the new PIN contains control characters");
  case RGS_PIN_NEW_TRIVIAL: return _("the new PIN is trivial (one repeated character or a run such as 1234): choose another");
  case RGS_PIN_NEW_SAME: return _("the new PIN is the same as the current one");
  }
  return "?";
}

static rgs_p11_rc verdict_rc(rgs_p11_pin_verdict v)
{
  switch (v) {
  case RGS_PIN_NEW_OK: return RGS_P11_OK;
  case RGS_PIN_NEW_SHORT:
  case RGS_PIN_NEW_LONG:
  case RGS_PIN_NEW_CHARS:
    return RGS_P11_ERR_PIN_INVALID;
  case RGS_PIN_NEW_TRIVIAL:
  case RGS_PIN_NEW_SAME:
    return RGS_P11_ERR_PIN_WEAK;
  }
  return RGS_P11_ERR_PIN_WEAK;
}

/* ---- reading ------------------------------------------------------------- */

/* Read one secret; when it cannot be used (no such file, UTF-16, a NUL...)
 * the reason becomes the token context's last error, which callers show. */
static rgs_p11_rc read_secret(rgs_p11_token *tok, const rgs_p11_pin_source *src,
                              const char *prompt, char *buf, size_t cap, size_t *len)
{
  char why[768];
  rgs_p11_rc rc = rgs_p11_pin_read_why(src, prompt, buf, cap, len, why, sizeof(why));

  if (rc != RGS_P11_OK)
    rgs_p11_set_error(tok->ctx, "%s", why);
  return rc;
}

/* The new PIN, twice from a terminal, once from a file or descriptor. */
static rgs_p11_rc read_new(rgs_p11_token *tok, rgs_p11_new_pin *np, const char *what,
                           char *buf, size_t cap, size_t *len)
{
  char again[RGS_PIN_CAP], prompt[160];
  size_t again_len = 0;
  rgs_p11_rc rc;

  snprintf(prompt, sizeof(prompt), _("New %s: "), what);
  rc = read_secret(tok, &np->src, np->src.prompt != NULL ? np->src.prompt : prompt, buf,
                   cap, len);
  if (rc != RGS_P11_OK || np->src.from != RGS_PIN_FROM_TTY)
    goto cleanup;
  snprintf(prompt, sizeof(prompt), _("New %s, again: "), what);
  rc = read_secret(tok, &np->src, prompt, again, sizeof(again), &again_len);
  if (rc == RGS_P11_OK && (again_len != *len || memcmp(again, buf, *len) != 0))
    rc = RGS_P11_ERR_PIN_CONFIRM;

cleanup:
  rgsx_wipe(again, sizeof(again));
  if (rc != RGS_P11_OK) {
    rgsx_wipe(buf, cap);
    *len = 0;
  }
  return rc;
}

/* A current PIN whose length the token cannot accept is refused here: it
 * would only cost a try. */
static rgs_p11_rc length_possible(const rgs_p11_token *tok, size_t len)
{
  if (tok->info.min_pin > 0 && tok->info.min_pin <= RGS_PIN_CAP && len < tok->info.min_pin)
    return RGS_P11_ERR_PIN_INVALID;
  if (tok->info.max_pin > 0 && tok->info.max_pin >= tok->info.min_pin &&
      len > tok->info.max_pin)
    return RGS_P11_ERR_PIN_INVALID;
  return RGS_P11_OK;
}

static int use_pinpad(const rgs_p11_token *tok, const rgs_p11_pin_source *src)
{
  return src->from == RGS_PIN_FROM_TTY &&
         (tok->info.token_flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
}

/* The SO's counters say the unblocking code cannot be tried: say so in
 * its own words rather than those of the user PIN. */
static rgs_p11_rc so_rc(rgs_p11_rc rc)
{
  switch (rc) {
  case RGS_P11_ERR_PIN_INCORRECT: return RGS_P11_ERR_SO_PIN_INCORRECT;
  case RGS_P11_ERR_PIN_LOCKED: return RGS_P11_ERR_SO_PIN_LOCKED;
  case RGS_P11_ERR_PIN_FINAL_TRY: return RGS_P11_ERR_SO_PIN_FINAL_TRY;
  default: return rc;
  }
}

/* After a refused PIN, re-read the flags so the caller can tell what is left. */
static void refresh_after(rgs_p11_token *tok, rgs_p11_rc rc)
{
  if (rc == RGS_P11_ERR_PIN_INCORRECT || rc == RGS_P11_ERR_PIN_LOCKED ||
      rc == RGS_P11_ERR_SO_PIN_INCORRECT || rc == RGS_P11_ERR_SO_PIN_LOCKED)
    (void)rgs_p11_token_refresh(tok);
}

static rgs_p11_rc so_login(rgs_p11_token *tok, const char *code, size_t len)
{
  CK_RV rv = tok->ctx->f->C_Login(tok->session, CKU_SO, (CK_UTF8CHAR_PTR)code, (CK_ULONG)len);

  if (rv == CKR_OK)
    return RGS_P11_OK;
  return so_rc(rgs_p11_fail(tok->ctx, "C_Login", rv));
}

static void so_logout(rgs_p11_token *tok)
{
  tok->ctx->f->C_Logout(tok->session);
  tok->logged_in = 0;
}

/* ---- change ------------------------------------------------------------- */

static rgs_p11_rc change_on_pinpad(rgs_p11_token *tok, rgs_p11_pin_role role,
                                   const rgs_p11_pin_source *cur)
{
  rgs_p11_rc rc = RGS_P11_OK;
  CK_RV rv;

  if (cur->warn != NULL)
    cur->warn(cur->ud, _("enter the current and the new PIN on the reader's pinpad"));
  if (role == RGS_PIN_SO)
    rc = so_login(tok, NULL, 0);
  if (rc != RGS_P11_OK)
    return rc;
  rv = tok->ctx->f->C_SetPIN(tok->session, NULL, 0, NULL, 0);
  if (role == RGS_PIN_SO)
    so_logout(tok);
  if (rv == CKR_OK)
    return RGS_P11_OK;
  rc = rgs_p11_fail(tok->ctx, "C_SetPIN", rv);
  return role == RGS_PIN_SO ? so_rc(rc) : rc;
}

rgs_p11_rc rgs_p11_pin_change(rgs_p11_token *tok, rgs_p11_pin_role role,
                              const rgs_p11_pin_source *cur, rgs_p11_new_pin *np)
{
  char old[RGS_PIN_CAP], fresh[RGS_PIN_CAP], prompt[160];
  size_t old_len = 0, new_len = 0;
  const char *what = role == RGS_PIN_SO ? _("unblocking code (PUK)") : _("PIN");
  rgs_p11_rc rc;
  CK_RV rv;

  if (tok == NULL || cur == NULL || np == NULL)
    return RGS_P11_ERR_ARG;
  np->verdict = RGS_PIN_NEW_OK;
  rc = rgs_p11_token_refresh(tok);
  if (rc == RGS_P11_OK)
    rc = rgs_p11_pin_gate(tok, role, cur);
  if (role == RGS_PIN_SO)
    rc = so_rc(rc);
  if (rc != RGS_P11_OK)
    goto cleanup;
  if (use_pinpad(tok, cur)) {
    rc = change_on_pinpad(tok, role, cur);
    goto cleanup;
  }
  if (role == RGS_PIN_SO)
    snprintf(prompt, sizeof(prompt), _("Current unblocking code (PUK) of token \"%s\": "),
             tok->info.label);
  else
    snprintf(prompt, sizeof(prompt), _("Current PIN of token \"%s\": "), tok->info.label);
  rc = read_secret(tok, cur, cur->prompt != NULL ? cur->prompt : prompt, old, sizeof(old),
                   &old_len);
  if (rc == RGS_P11_OK)
    rc = length_possible(tok, old_len);
  if (rc == RGS_P11_OK)
    rc = read_new(tok, np, what, fresh, sizeof(fresh), &new_len);
  if (rc != RGS_P11_OK)
    goto cleanup;
  np->verdict = rgs_p11_pin_judge(&tok->info, fresh, new_len, old, old_len);
  rc = verdict_rc(np->verdict);
  if (rc != RGS_P11_OK)
    goto cleanup;
  if (role == RGS_PIN_SO) {
    rc = so_login(tok, old, old_len);
    if (rc != RGS_P11_OK)
      goto cleanup;
  }
  rv = tok->ctx->f->C_SetPIN(tok->session, (CK_UTF8CHAR_PTR)old, (CK_ULONG)old_len,
                             (CK_UTF8CHAR_PTR)fresh, (CK_ULONG)new_len);
  if (role == RGS_PIN_SO)
    so_logout(tok);
  if (rv != CKR_OK) {
    rc = rgs_p11_fail(tok->ctx, "C_SetPIN", rv);
    if (role == RGS_PIN_SO)
      rc = so_rc(rc);
  }

cleanup:
  refresh_after(tok, rc);
  rgsx_wipe(old, sizeof(old));
  rgsx_wipe(fresh, sizeof(fresh));
  return rc;
}

/* ---- unblock ------------------------------------------------------------ */

static rgs_p11_rc init_pin(rgs_p11_token *tok, const char *pin, size_t len)
{
  CK_RV rv = tok->ctx->f->C_InitPIN(tok->session, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)len);

  return rv == CKR_OK ? RGS_P11_OK : rgs_p11_fail(tok->ctx, "C_InitPIN", rv);
}

rgs_p11_rc rgs_p11_pin_unblock(rgs_p11_token *tok, const rgs_p11_pin_source *so_src,
                               rgs_p11_new_pin *np)
{
  char code[RGS_PIN_CAP], fresh[RGS_PIN_CAP], prompt[160];
  size_t code_len = 0, new_len = 0;
  int pinpad;
  rgs_p11_rc rc;

  if (tok == NULL || so_src == NULL || np == NULL)
    return RGS_P11_ERR_ARG;
  np->verdict = RGS_PIN_NEW_OK;
  rc = rgs_p11_token_refresh(tok);
  if (rc == RGS_P11_OK)
    rc = so_rc(rgs_p11_pin_gate(tok, RGS_PIN_SO, so_src));
  if (rc != RGS_P11_OK)
    goto cleanup;
  pinpad = use_pinpad(tok, so_src);
  if (pinpad) {
    if (so_src->warn != NULL)
      so_src->warn(so_src->ud, _("enter the unblocking code, then the new PIN, on the reader's pinpad"));
  } else {
    snprintf(prompt, sizeof(prompt), _("Unblocking code (PUK) of token \"%s\": "),
             tok->info.label);
    rc = read_secret(tok, so_src, so_src->prompt != NULL ? so_src->prompt : prompt, code,
                     sizeof(code), &code_len);
    if (rc == RGS_P11_OK)
      rc = length_possible(tok, code_len);
    if (rc == RGS_P11_OK)
      rc = read_new(tok, np, _("PIN"), fresh, sizeof(fresh), &new_len);
    if (rc != RGS_P11_OK)
      goto cleanup;
    np->verdict = rgs_p11_pin_judge(&tok->info, fresh, new_len, NULL, 0);
    rc = verdict_rc(np->verdict);
    if (rc != RGS_P11_OK)
      goto cleanup;
  }
  rc = so_login(tok, pinpad ? NULL : code, code_len);
  if (rc != RGS_P11_OK)
    goto cleanup;
  rc = init_pin(tok, pinpad ? NULL : fresh, new_len);
  so_logout(tok);

cleanup:
  refresh_after(tok, rc);
  rgsx_wipe(code, sizeof(code));
  rgsx_wipe(fresh, sizeof(fresh));
  return rc;
}
