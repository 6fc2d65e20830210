/* SPDX-License-Identifier: BSD-3-Clause */
/* p11_check.c - the RGS** report: one criterion per line, with evidence. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "p11_internal.h"

#define RGS_REPORT_MAX 32

struct rgs_p11_report {
  rgs_p11_criterion c[RGS_REPORT_MAX];
  size_t n;
  int overflow;             /* a criterion did not fit: never a pass */
  const rgs_p11_policy_entry *entry;
  int keygen_checked;
  rgs_p11_keygen_state keygen;
};

/* ---- RGS v2.0 annexe B1 ---------------------------------------------- */

/* 2030-12-31T23:59:59Z: RSA 2048 is acceptable up to this instant. */
#define RGS_RSA2048_LIMIT ((time_t)1924991999)

unsigned rgs_p11_min_rsa_bits(time_t not_after)
{
  return not_after > RGS_RSA2048_LIMIT ? 3072 : 2048;
}

time_t rgs_p11_validity_end(time_t now, int years)
{
  struct tm tm;

  if (gmtime_r(&now, &tm) == NULL)
    return now;
  tm.tm_year += years;
  return timegm(&tm);
}

/* ---- report plumbing ------------------------------------------------- */

static rgs_p11_criterion *add(rgs_p11_report *rep, const char *id, const char *title,
                              rgs_p11_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static rgs_p11_criterion *add(rgs_p11_report *rep, const char *id, const char *title,
                              rgs_p11_verdict v, const char *fmt, ...)
{
  rgs_p11_criterion *c;
  va_list ap;

  if (rep->n >= RGS_REPORT_MAX) {
    rep->overflow = 1;
    return NULL;
  }
  c = &rep->c[rep->n++];
  memset(c, 0, sizeof(*c));
  c->id = id;
  c->title = title;
  c->verdict = v;
  va_start(ap, fmt);
  vsnprintf(c->evidence, sizeof(c->evidence), fmt, ap);
  va_end(ap);
  return c;
}

/* The person's words for c: what the criterion means for them and, when
 * it fails, what to do. c may be NULL (the report was full). */
static void explain(rgs_p11_criterion *c, const char *plain, const char *advice)
{
  if (c == NULL)
    return;
  snprintf(c->plain, sizeof(c->plain), "%s", plain != NULL ? plain : "");
  snprintf(c->advice, sizeof(c->advice), "%s", advice != NULL ? advice : "");
}

static void explainf(rgs_p11_criterion *c, const char *advice, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void explainf(rgs_p11_criterion *c, const char *advice, const char *fmt, ...)
{
  va_list ap;

  if (c == NULL)
    return;
  va_start(ap, fmt);
  vsnprintf(c->plain, sizeof(c->plain), fmt, ap);
  va_end(ap);
  snprintf(c->advice, sizeof(c->advice), "%s", advice != NULL ? advice : "");
}

/* A sentence chosen by the verdict; the advice goes with a failure only. */
static void explain_verdict(rgs_p11_criterion *c, const char *pass, const char *fail,
                            const char *unknown, const char *advice)
{
  if (c == NULL)
    return;
  switch (c->verdict) {
  case RGS_CHECK_PASS: explain(c, pass, NULL); return;
  case RGS_CHECK_FAIL: explain(c, fail, advice); return;
  case RGS_CHECK_UNKNOWN: explain(c, unknown, advice); return;
  }
}

static rgs_p11_rc report_get(rgs_p11_report **rep)
{
  if (*rep == NULL)
    *rep = calloc(1, sizeof(**rep));
  return *rep != NULL ? RGS_P11_OK : RGS_P11_ERR_NOMEM;
}

static rgs_p11_verdict pass_if(int cond)
{
  return cond ? RGS_CHECK_PASS : RGS_CHECK_FAIL;
}

/* ---- token criteria -------------------------------------------------- */

static void check_device(rgs_p11_report *rep, const rgs_p11_slot_info *ti,
                         const rgs_p11_policy *pol)
{
  const rgs_p11_policy_entry *e = NULL;
  rgs_p11_criterion *c;
  const char *title = _("qualified device (policy)");

  if (pol != NULL)
    e = rgs_p11_policy_match(pol, ti->manufacturer, ti->model, ti->label);
  rep->entry = e;
  if (e == NULL) {
    c = add(rep, "device.policy", title, RGS_CHECK_FAIL,
            _("manufacturer \"%s\", model \"%s\", label \"%s\": in no qualified-device policy"),
            ti->manufacturer, ti->model, ti->label);
    explain(c, _("This card or key is not a model known to be qualified for RGS**."),
            _("Use a qualified card or USB key (the one the certification authority supplies). "
              "If this model is qualified, add it to a policy file given with --policy."));
    return;
  }
  if (!e->demo) {
    c = add(rep, "device.policy", title, RGS_CHECK_PASS,
            _("manufacturer \"%s\", model \"%s\": \"%s\" (%s)"), ti->manufacturer, ti->model,
            e->name, e->file);
    explain(c, _("This card or key is a model qualified for RGS**."), NULL);
    return;
  }
  c = add(rep, "device.policy", title, RGS_CHECK_FAIL,
          _("DEMO device \"%s\" (%s), admitted for tests only: not a qualified device"),
          e->name, e->file);
  explain(c, _("This is a test device, admitted for trials only: it is not qualified for RGS**."),
          _("For a real certificate, use a qualified card or USB key."));
  if (c != NULL)
    c->waived = 1;
}

static void check_slot(rgs_p11_report *rep, const rgs_p11_slot_info *ti)
{
  int waive = rep->entry != NULL && rep->entry->demo && rep->entry->waive_hardware_slot;
  rgs_p11_criterion *c;

  c = add(rep, "slot.hardware", _("hardware slot"), pass_if(ti->slot_flags & CKF_HW_SLOT),
          _("slot \"%s\": CKF_HW_SLOT %s"), ti->slot_description,
          (ti->slot_flags & CKF_HW_SLOT) ? _("set") : _("not set"));
  explain_verdict(c, _("The card is in a real reader or USB key."),
                  _("The card is not in a real reader: it looks like a software imitation."),
                  NULL, _("Plug in the card or USB key itself: a software token cannot hold an RGS** key."));
  if (c != NULL && c->verdict == RGS_CHECK_FAIL)
    c->waived = waive;
  c = add(rep, "slot.removable", _("removable device"),
          pass_if(ti->slot_flags & CKF_REMOVABLE_DEVICE), _("CKF_REMOVABLE_DEVICE %s"),
          (ti->slot_flags & CKF_REMOVABLE_DEVICE) ? _("set") : _("not set"));
  explain_verdict(c, _("The card or key can be unplugged and carried with you."),
                  _("The device cannot be unplugged: it is built into this computer or imitated by software."),
                  NULL, _("Plug in the card or USB key itself: a software token cannot hold an RGS** key."));
  if (c != NULL && c->verdict == RGS_CHECK_FAIL)
    c->waived = waive;
}

/* RSA key generation at the size the validity needs, or EC P-256 and more.
 * The mechanisms of the key type about to be made are asked first (RSA when
 * unknown), and the other only when the first will not do: a conformant card
 * costs one call here. */
static int rsa_gen_ok(rgs_p11_token *tok, unsigned min_rsa, CK_MECHANISM_INFO *mi,
                      rgs_p11_rc *rc)
{
  *rc = rgs_p11_mechanism(tok, CKM_RSA_PKCS_KEY_PAIR_GEN, mi);
  return *rc == RGS_P11_OK && (mi->flags & CKF_GENERATE_KEY_PAIR) && mi->ulMaxKeySize >= min_rsa;
}

static int ec_gen_ok(rgs_p11_token *tok, CK_MECHANISM_INFO *mi, rgs_p11_rc *rc)
{
  *rc = rgs_p11_mechanism(tok, CKM_EC_KEY_PAIR_GEN, mi);
  return *rc == RGS_P11_OK && (mi->flags & CKF_GENERATE_KEY_PAIR) && mi->ulMaxKeySize >= 256;
}

static int probe_failed(rgs_p11_rc rc)
{
  return rc != RGS_P11_OK && rc != RGS_P11_ERR_MECHANISM;
}

/* The failed mech.keygen criterion: what the module offers, in words, never
 * "0 bits" for a mechanism it does not have. */
static void keygen_failed(rgs_p11_report *rep, const char *title, unsigned min_rsa,
                          int rsa_gen, const CK_MECHANISM_INFO *rsa, int ec_gen,
                          const CK_MECHANISM_INFO *ec)
{
  char rsa_txt[128], ec_txt[128];
  rgs_p11_criterion *c;

  if (!rsa_gen && !ec_gen) {
    rep->keygen = RGS_P11_KEYGEN_NO_MECHANISM;
    c = add(rep, "mech.keygen", title, RGS_CHECK_FAIL,
            _("this module cannot generate a key pair on this token: neither "
              "CKM_RSA_PKCS_KEY_PAIR_GEN nor CKM_EC_KEY_PAIR_GEN is offered"));
    explain(c, _("The software used for this card (its PKCS#11 module) cannot make a key on it."),
            _("Make the key with the card vendor's software (--module): the message below names it when it is known."));
    return;
  }
  rep->keygen = RGS_P11_KEYGEN_TOO_SMALL;
  if (rsa_gen)
    snprintf(rsa_txt, sizeof(rsa_txt), _("RSA key generation up to %lu bits, %u required"),
             (unsigned long)rsa->ulMaxKeySize, min_rsa);
  else
    snprintf(rsa_txt, sizeof(rsa_txt), "%s", _("no RSA key generation"));
  if (ec_gen)
    snprintf(ec_txt, sizeof(ec_txt), _("EC key generation up to %lu bits, P-256 or larger required"),
             (unsigned long)ec->ulMaxKeySize);
  else
    snprintf(ec_txt, sizeof(ec_txt), "%s", _("no EC key generation"));
  c = add(rep, "mech.keygen", title, RGS_CHECK_FAIL, "%s; %s", rsa_txt, ec_txt);
  explain(c, _("The card cannot make a key large enough for RGS** for a certificate valid this long."),
          _("Choose a shorter validity (--validity-years), or use a card that makes RSA 3072-bit or EC keys."));
}

/* The policy says the module showing this device cannot generate keys on
 * it (OpenSC and the IDPrime cards): no mechanism is asked. */
static int keygen_read_only(rgs_p11_report *rep, const char *title)
{
  const rgs_p11_policy_entry *e = rep->entry;
  rgs_p11_criterion *c;

  if (e == NULL || e->keygen != 0)
    return 0;
  rep->keygen = RGS_P11_KEYGEN_READ_ONLY;
  c = add(rep, "mech.keygen", title, RGS_CHECK_FAIL,
      _("%s%s%s reads and signs on this device but cannot generate keys on it (policy \"%s\", %s)"),
      e->module != NULL ? e->module->name : _("this module"), e->module != NULL ? " / " : "",
      e->module != NULL ? e->module->file : "", e->name, e->file);
  explain(c, _("The software used for this card (its PKCS#11 module) can read and sign on it but cannot make its key."),
          _("Make the key with the card vendor's software (--module): the message below names it when it is known."));
  return 1;
}

static const char *keygen_ok_text(void)
{
  return _("The card can make the key pair itself, of a kind and size RGS** accepts.");
}

static rgs_p11_rc check_keygen(rgs_p11_report *rep, rgs_p11_token *tok, unsigned min_rsa,
                               rgs_p11_key_type prefer)
{
  CK_MECHANISM_INFO rsa, ec;
  rgs_p11_rc rc_rsa = RGS_P11_ERR_MECHANISM, rc_ec = RGS_P11_ERR_MECHANISM;
  const char *title = _("on-card key pair generation");
  int ok;

  memset(&rsa, 0, sizeof(rsa));
  memset(&ec, 0, sizeof(ec));
  rep->keygen_checked = 1;
  rep->keygen = RGS_P11_KEYGEN_OK;
  if (keygen_read_only(rep, title))
    return RGS_P11_OK;
  if (prefer == RGS_KEY_EC) {
    ok = ec_gen_ok(tok, &ec, &rc_ec);
    if (probe_failed(rc_ec))
      return rc_ec;
    if (ok) {
      explain(add(rep, "mech.keygen", title, RGS_CHECK_PASS, _("CKM_EC_KEY_PAIR_GEN %lu-%lu bits%s"),
                  (unsigned long)ec.ulMinKeySize, (unsigned long)ec.ulMaxKeySize,
                  (ec.flags & CKF_HW) ? ", CKF_HW" : ""),
              keygen_ok_text(), NULL);
      return RGS_P11_OK;
    }
  }
  ok = rsa_gen_ok(tok, min_rsa, &rsa, &rc_rsa);
  if (probe_failed(rc_rsa))
    return rc_rsa;
  if (ok) {
    explain(add(rep, "mech.keygen", title, RGS_CHECK_PASS,
                _("CKM_RSA_PKCS_KEY_PAIR_GEN %lu-%lu bits%s; %u bits required"),
                (unsigned long)rsa.ulMinKeySize, (unsigned long)rsa.ulMaxKeySize,
                (rsa.flags & CKF_HW) ? ", CKF_HW" : "", min_rsa),
            keygen_ok_text(), NULL);
    return RGS_P11_OK;
  }
  if (prefer != RGS_KEY_EC) {
    ok = ec_gen_ok(tok, &ec, &rc_ec);
    if (probe_failed(rc_ec))
      return rc_ec;
    if (ok) {
      explain(add(rep, "mech.keygen", title, RGS_CHECK_PASS,
                  _("CKM_EC_KEY_PAIR_GEN %lu-%lu bits (RSA %u bits not available)"),
                  (unsigned long)ec.ulMinKeySize, (unsigned long)ec.ulMaxKeySize, min_rsa),
              keygen_ok_text(), NULL);
      return RGS_P11_OK;
    }
  }
  keygen_failed(rep, title, min_rsa,
                rc_rsa == RGS_P11_OK && (rsa.flags & CKF_GENERATE_KEY_PAIR), &rsa,
                rc_ec == RGS_P11_OK && (ec.flags & CKF_GENERATE_KEY_PAIR), &ec);
  return RGS_P11_OK;
}

/* A token delivered with its keys: that this module cannot make a key pair
 * does not matter (each key's CKA_LOCAL and co. are checked instead). */
static void keygen_not_needed(rgs_p11_report *rep)
{
  rgs_p11_criterion *c = rep->n > 0 ? &rep->c[rep->n - 1] : NULL;
  char was[sizeof(c->evidence)];

  if (c == NULL || strcmp(c->id, "mech.keygen") != 0 || c->verdict != RGS_CHECK_FAIL ||
      !rgs_p11_keygen_module_cannot(rep->keygen))
    return;
  snprintf(was, sizeof(was), "%s", c->evidence);
  c->verdict = RGS_CHECK_PASS;
  snprintf(c->evidence, sizeof(c->evidence),
           _("not needed: the token was delivered with its keys (%s)"), was);
  explain(c, _("Not needed: the card came with its key already made on it."), NULL);
}

static rgs_p11_rc check_sign(rgs_p11_report *rep, rgs_p11_token *tok, rgs_p11_key_type prefer)
{
  static const struct { CK_MECHANISM_TYPE m; rgs_p11_key_type t; const char *name; } cands[] = {
    { CKM_SHA256_RSA_PKCS, RGS_KEY_RSA, "CKM_SHA256_RSA_PKCS" },
    { CKM_RSA_PKCS, RGS_KEY_RSA, "CKM_RSA_PKCS (SHA-256 DigestInfo)" },
    { CKM_ECDSA, RGS_KEY_EC, "CKM_ECDSA (SHA-256)" },
  };
  CK_MECHANISM_INFO mi;
  rgs_p11_rc rc;
  size_t pass, i;

  /* First pass: the preferred key type's mechanisms; second: the others. */
  for (pass = 0; pass < 2; pass++) {
    for (i = 0; i < RGS_ARRAY_LEN(cands); i++) {
      int preferred = prefer == 0 || cands[i].t == prefer;
      if ((pass == 0) != preferred)
        continue;
      rc = rgs_p11_mechanism(tok, cands[i].m, &mi);
      if (probe_failed(rc))
        return rc;
      if (rc == RGS_P11_OK && (mi.flags & CKF_SIGN)) {
        explain(add(rep, "mech.sign", _("SHA-256 signature"), RGS_CHECK_PASS, "%s", cands[i].name),
                _("The card can sign with SHA-256, as RGS** requires."), NULL);
        return RGS_P11_OK;
      }
    }
  }
  explain(add(rep, "mech.sign", _("SHA-256 signature"), RGS_CHECK_FAIL,
              _("no CKM_SHA256_RSA_PKCS, CKM_RSA_PKCS or CKM_ECDSA signing mechanism")),
          _("The card cannot sign with SHA-256, which RGS** requires."),
          _("Use a card or USB key qualified for RGS**."));
  return RGS_P11_OK;
}

/* The PIN counter in words: what the person must know before typing it. */
static const char *pin_state_plain(CK_FLAGS f)
{
  if (f & CKF_USER_PIN_LOCKED)
    return _("The PIN is blocked after too many wrong tries.");
  if (f & CKF_USER_PIN_FINAL_TRY)
    return _("The PIN is not blocked, but only one try is left: type it with care.");
  if (f & CKF_USER_PIN_COUNT_LOW)
    return _("The PIN is not blocked, but a wrong PIN was typed: fewer tries are left.");
  return _("The PIN is not blocked.");
}

static void check_pin_state(rgs_p11_report *rep, const rgs_p11_slot_info *ti)
{
  CK_FLAGS f = ti->token_flags;
  const char *state = _("normal");
  rgs_p11_criterion *c;

  c = add(rep, "token.initialized", _("token initialised"),
          pass_if(f & CKF_TOKEN_INITIALIZED), "CKF_TOKEN_INITIALIZED %s",
          (f & CKF_TOKEN_INITIALIZED) ? _("set") : _("not set"));
  explain_verdict(c, _("The card has been prepared for use."), _("The card has never been prepared for use."),
                  NULL, _("Ask the card's supplier or the certification authority to prepare it."));
  c = add(rep, "token.login-required", _("login required"), pass_if(f & CKF_LOGIN_REQUIRED),
          "CKF_LOGIN_REQUIRED %s", (f & CKF_LOGIN_REQUIRED) ? _("set") : _("not set"));
  explain_verdict(c, _("The card asks for its PIN before its keys are used."),
                  _("The card lets its keys be used without a PIN."), NULL,
                  _("Use a card or USB key qualified for RGS**: they always ask for a PIN."));
  c = add(rep, "pin.initialized", _("user PIN initialised"),
          pass_if(f & CKF_USER_PIN_INITIALIZED), "CKF_USER_PIN_INITIALIZED %s",
          (f & CKF_USER_PIN_INITIALIZED) ? _("set") : _("not set"));
  explain_verdict(c, _("The card has a PIN."), _("The card has no PIN yet."), NULL,
                  _("Set the PIN with the tool of the card's supplier, then run this again."));
  if (f & CKF_USER_PIN_LOCKED)
    state = _("LOCKED: the unblocking code (PUK) is needed");
  else if (f & CKF_USER_PIN_FINAL_TRY)
    state = _("one try left");
  else if (f & CKF_USER_PIN_COUNT_LOW)
    state = _("a wrong PIN was entered: fewer tries left");
  c = add(rep, "pin.not-locked", _("user PIN not locked"), pass_if(!(f & CKF_USER_PIN_LOCKED)),
          "%s", state);
  explain(c, pin_state_plain(f),
          (f & CKF_USER_PIN_LOCKED)
              ? _("Unblock it with the unblocking code (PUK): rgs-enroll pin unblock. Without that code, contact the certification authority.")
              : NULL);
}

rgs_p11_rc rgs_p11_check_token(rgs_p11_token *tok, const rgs_p11_requirements *req,
                               rgs_p11_report **rep)
{
  rgs_p11_rc rc;
  unsigned min_rsa;

  if (tok == NULL || req == NULL || rep == NULL)
    return RGS_P11_ERR_ARG;
  rc = report_get(rep);
  if (rc != RGS_P11_OK)
    return rc;
  min_rsa = rgs_p11_min_rsa_bits(req->not_after);
  check_device(*rep, &tok->info, req->policy);
  check_slot(*rep, &tok->info);
  rc = check_keygen(*rep, tok, min_rsa, req->key_type);
  if (rc == RGS_P11_OK && req->delivered)
    keygen_not_needed(*rep);
  if (rc == RGS_P11_OK)
    rc = check_sign(*rep, tok, req->key_type);
  if (rc != RGS_P11_OK)
    return rc;
  check_pin_state(*rep, &tok->info);
  return RGS_P11_OK;
}

/* ---- key criteria ---------------------------------------------------- */

/* The key's attributes that say it was made on the card and stays there,
 * each with what it means for the holder. */
typedef struct {
  const char *id, *attr;
  int want;
  const char *pass, *fail;     /* N_() texts */
} key_flag;

static const key_flag key_flags[] = {
  { "key.local", "CKA_LOCAL", 1, N_("The key was made inside the card."),
    N_("The key was not made inside the card: it was brought in from elsewhere.") },
  { "key.always-sensitive", "CKA_ALWAYS_SENSITIVE", 1,
    N_("The secret part of the key has always been protected by the card."),
    N_("The secret part of the key has not always been protected by the card.") },
  { "key.never-extractable", "CKA_NEVER_EXTRACTABLE", 1,
    N_("The secret part of the key has never been able to leave the card."),
    N_("The secret part of the key may have left the card.") },
  { "key.not-extractable", "CKA_EXTRACTABLE", 0,
    N_("The secret part of the key cannot be copied out of the card."),
    N_("The secret part of the key can be copied out of the card.") },
  { "key.private", "CKA_PRIVATE", 1, N_("The key can only be used after the PIN is typed."),
    N_("The key can be used without the PIN.") },
  { "key.token", "CKA_TOKEN", 1, N_("The key is kept on the card for good."),
    N_("The key is not kept on the card: it is lost when the card is unplugged.") },
};

static const char *new_key_advice(void)
{
  return _("This key cannot be used for RGS**: make a new key pair on the card (rgs-enroll keygen).");
}

static void add_bool(rgs_p11_report *rep, const key_flag *k, int value)
{
  rgs_p11_verdict v = value == RGS_P11_UNKNOWN ? RGS_CHECK_UNKNOWN : pass_if(value == k->want);

  explain_verdict(add(rep, k->id, k->attr, v, "%s = %s", k->attr,
                      value == RGS_P11_UNKNOWN ? _("not readable") : (value ? "CK_TRUE" : "CK_FALSE")),
                  _(k->pass), _(k->fail),
                  _("The card does not say how this key is protected, so it cannot be trusted for RGS**."),
                  new_key_advice());
}

static void check_key_size(rgs_p11_report *rep, const rgs_p11_key_attrs *a, unsigned min_rsa)
{
  const char *title = _("key algorithm and size");

  rgs_p11_criterion *c;

  if (a->type == RGS_KEY_RSA) {
    if (a->bits == 0)
      c = add(rep, "key.size", title, RGS_CHECK_UNKNOWN, _("RSA modulus not readable"));
    else
      c = add(rep, "key.size", title, pass_if(a->bits >= min_rsa),
              _("RSA %u bits; %u required for this validity"), a->bits, min_rsa);
    if (c != NULL && c->verdict == RGS_CHECK_PASS)
      explainf(c, NULL, _("The key is large enough for a certificate valid this long (RSA %u bits)."),
               a->bits);
    else if (c != NULL && c->verdict == RGS_CHECK_FAIL)
      explainf(c, new_key_advice(),
               _("The key is too small for a certificate valid this long: RSA %u bits, %u needed."),
               a->bits, min_rsa);
    else
      explain(c, _("The size of the key cannot be read."), new_key_advice());
    c = a->exponent == 0 ? add(rep, "key.exponent", _("RSA public exponent"), RGS_CHECK_UNKNOWN,
                               _("public exponent not readable"))
                         : add(rep, "key.exponent", _("RSA public exponent"),
                               pass_if(a->exponent > 65536 && (a->exponent & 1)),
                               _("e = %lu; above 2^16 required"), a->exponent);
    explain_verdict(c, _("The key's public part is of a form RGS** accepts."),
                    _("The key's public part is of a form RGS** refuses (exponent too small)."),
                    _("The key's public part cannot be read."), new_key_advice());
  } else if (a->type == RGS_KEY_EC) {
    c = add(rep, "key.size", title, pass_if(a->curve != RGS_CURVE_NONE),
            a->curve != RGS_CURVE_NONE ? _("EC P-%u") : _("EC on a curve RGS** does not list (%u bits)"),
            a->bits);
    explain_verdict(c, _("The key is an elliptic-curve key of a kind RGS** accepts."),
                    _("The key is an elliptic-curve key of a kind RGS** does not accept."), NULL,
                    new_key_advice());
  } else {
    explain(add(rep, "key.size", title, RGS_CHECK_FAIL, _("neither an RSA nor an EC key")),
            _("The key is of a kind RGS** does not accept (neither RSA nor elliptic curve)."),
            new_key_advice());
  }
}

rgs_p11_rc rgs_p11_check_key(rgs_p11_token *tok, const rgs_p11_key *key,
                             const rgs_p11_requirements *req, rgs_p11_report **rep)
{
  const rgs_p11_key_attrs *a;
  rgs_p11_rc rc;

  if (tok == NULL || key == NULL || req == NULL || rep == NULL)
    return RGS_P11_ERR_ARG;
  rc = report_get(rep);
  if (rc != RGS_P11_OK)
    return rc;
  a = rgs_p11_key_get_attrs(key);
  add_bool(*rep, &key_flags[0], a->local);
  add_bool(*rep, &key_flags[1], a->always_sensitive);
  add_bool(*rep, &key_flags[2], a->never_extractable);
  add_bool(*rep, &key_flags[3], a->extractable);
  add_bool(*rep, &key_flags[4], a->private_);
  add_bool(*rep, &key_flags[5], a->token);
  check_key_size(*rep, a, rgs_p11_min_rsa_bits(req->not_after));
  return RGS_P11_OK;
}

/* ---- reading the report ---------------------------------------------- */

void rgs_p11_report_free(rgs_p11_report *rep)
{
  free(rep);
}

size_t rgs_p11_report_count(const rgs_p11_report *rep)
{
  return rep != NULL ? rep->n : 0;
}

const rgs_p11_criterion *rgs_p11_report_get(const rgs_p11_report *rep, size_t i)
{
  return rep != NULL && i < rep->n ? &rep->c[i] : NULL;
}

int rgs_p11_report_passed(const rgs_p11_report *rep)
{
  size_t i;

  if (rep == NULL || rep->n == 0 || rep->overflow)
    return 0;
  for (i = 0; i < rep->n; i++)
    if (rep->c[i].verdict != RGS_CHECK_PASS)
      return 0;
  return 1;
}

int rgs_p11_report_admitted(const rgs_p11_report *rep)
{
  size_t i;

  if (rep == NULL || rep->n == 0 || rep->overflow)
    return 0;
  for (i = 0; i < rep->n; i++)
    if (rep->c[i].verdict != RGS_CHECK_PASS &&
        !(rep->c[i].verdict == RGS_CHECK_FAIL && rep->c[i].waived))
      return 0;
  return 1;
}

const rgs_p11_policy_entry *rgs_p11_report_policy_entry(const rgs_p11_report *rep)
{
  return rep != NULL ? rep->entry : NULL;
}

rgs_p11_keygen_state rgs_p11_report_keygen(const rgs_p11_report *rep)
{
  return rep != NULL && rep->keygen_checked ? rep->keygen : RGS_P11_KEYGEN_UNCHECKED;
}

int rgs_p11_keygen_module_cannot(rgs_p11_keygen_state st)
{
  switch (st) {
  case RGS_P11_KEYGEN_READ_ONLY:
  case RGS_P11_KEYGEN_NO_MECHANISM:
    return 1;
  case RGS_P11_KEYGEN_OK:
  case RGS_P11_KEYGEN_UNCHECKED:
  case RGS_P11_KEYGEN_TOO_SMALL:
    return 0;
  }
  return 0;
}

/* ---- why no token: the slots seen one by one ------------------------- */

static void diag_slot(rgs_p11_ctx *ctx, CK_SLOT_ID id, rgs_p11_slot_diag *d)
{
  CK_SLOT_INFO si;
  CK_TOKEN_INFO ti;
  char reader[65];
  CK_RV rv;

  if (ctx->f->C_GetSlotInfo(id, &si) != CKR_OK)
    return;   /* a reader unplugged meanwhile */
  d->n_slots++;
  rgs_p11_trim_copy(reader, sizeof(reader), si.slotDescription, sizeof(si.slotDescription));
  rv = (si.flags & CKF_TOKEN_PRESENT) ? ctx->f->C_GetTokenInfo(id, &ti) : CKR_TOKEN_NOT_PRESENT;
  if (rv == CKR_OK) {
    d->n_tokens++;
  } else if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_DEVICE_REMOVED) {
    if (d->n_empty++ == 0)
      snprintf(d->empty_reader, sizeof(d->empty_reader), "%s", reader);
  } else {
    /* CKR_TOKEN_NOT_RECOGNIZED, or a card that answers an error: the card
     * is there all the same. */
    if (d->n_unrecognized++ == 0) {
      snprintf(d->unrecognized_reader, sizeof(d->unrecognized_reader), "%s", reader);
      d->unrecognized_rv = rv;
    }
  }
}

rgs_p11_rc rgs_p11_diagnose_slots(rgs_p11_ctx *ctx, rgs_p11_slot_diag *out)
{
  CK_SLOT_ID ids[64];
  CK_ULONG n = RGS_ARRAY_LEN(ids), i;
  CK_RV rv;

  if (ctx == NULL || ctx->f == NULL || out == NULL)
    return RGS_P11_ERR_ARG;
  memset(out, 0, sizeof(*out));
  rv = ctx->f->C_GetSlotList(CK_FALSE, ids, &n);
  if (rv != CKR_OK)
    return rgs_p11_fail(ctx, "C_GetSlotList", rv);
  /* A module never writes more than it was given; be sure all the same. */
  if (n > RGS_ARRAY_LEN(ids))
    n = RGS_ARRAY_LEN(ids);
  for (i = 0; i < n; i++)
    diag_slot(ctx, ids[i], out);
  return RGS_P11_OK;
}

rgs_p11_rc rgs_p11_report_add(rgs_p11_report **rep, const char *id, const char *title,
                              rgs_p11_verdict verdict, const char *fmt, ...)
{
  rgs_p11_criterion *c;
  va_list ap;

  if (rep == NULL || id == NULL || title == NULL || fmt == NULL)
    return RGS_P11_ERR_ARG;
  if (report_get(rep) != RGS_P11_OK)
    return RGS_P11_ERR_NOMEM;
  c = add(*rep, id, title, verdict, "%s", "");
  if (c == NULL)
    return RGS_P11_ERR_NOMEM;
  va_start(ap, fmt);
  vsnprintf(c->evidence, sizeof(c->evidence), fmt, ap);
  va_end(ap);
  return RGS_P11_OK;
}

rgs_p11_rc rgs_p11_report_explain(rgs_p11_report *rep, const char *plain, const char *advice)
{
  if (rep == NULL || rep->n == 0 || plain == NULL)
    return RGS_P11_ERR_ARG;
  explain(&rep->c[rep->n - 1], plain, advice);
  return RGS_P11_OK;
}
