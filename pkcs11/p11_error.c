/* SPDX-License-Identifier: BSD-3-Clause */
/* p11_error.c - results of the token layer and what they mean to a person. */
#include <stdarg.h>
#include <stdio.h>
#include "p11_internal.h"

const char *rgs_p11_strerror(rgs_p11_rc rc)
{
  /* A switch without default: -Wall names any value someone forgets here. */
  switch (rc) {
  case RGS_P11_OK: return _("success");
  case RGS_P11_ERR_NOMEM: return _("out of memory");
  case RGS_P11_ERR_ARG: return _("invalid argument");
  case RGS_P11_ERR_IO: return _("a file could not be read");
  case RGS_P11_ERR_MODULE_LOAD: return _("the card's software (its PKCS#11 module) could not be loaded: check that it is installed, or the path given with --module");
  case RGS_P11_ERR_MODULE_BAD: return _("the PKCS#11 module is not usable: it is not a PKCS#11 module or it answered nonsense");
  case RGS_P11_ERR_MODULE: return _("the card's software (its PKCS#11 module) reported an error: unplug the card or key, plug it back in and try again");
  case RGS_P11_ERR_MODULE_INIT: return _("the card's software (its PKCS#11 module) could not start: unplug the card or key, plug it back in and try again; if it happens again, reinstall the card's software");
  case RGS_P11_ERR_NO_TOKEN: return _("no token found: plug the crypto key or insert the card");
  case RGS_P11_ERR_MANY_TOKENS: return _("several tokens are present: choose one with --token");
  case RGS_P11_ERR_TOKEN_REMOVED: return _("the token was removed during the operation");
  case RGS_P11_ERR_TOKEN_RO: return _("the token is write-protected");
  case RGS_P11_ERR_TOKEN_FULL: return _("the token has no room left");
  case RGS_P11_ERR_URI: return _("invalid pkcs11: URI");
  case RGS_P11_ERR_PIN_INPUT: return _("the PIN could not be read");
  case RGS_P11_ERR_PIN_INCORRECT: return _("PIN incorrect");
  case RGS_P11_ERR_PIN_LOCKED: return _("the PIN is locked: it can only be unblocked with the unblocking code (PUK) or by the certification authority");
  case RGS_P11_ERR_PIN_FINAL_TRY: return _("only one PIN try is left: nothing was tried; to spend it, confirm at the prompt or pass --final-try");
  case RGS_P11_ERR_PIN_INVALID: return _("the PIN does not have a length or form the token accepts");
  case RGS_P11_ERR_PIN_CANCELLED: return _("PIN entry cancelled");
  case RGS_P11_ERR_MECHANISM: return _("the token does not support the required mechanism or key size");
  case RGS_P11_ERR_KEY_NOT_FOUND: return _("no such key on the token");
  case RGS_P11_ERR_KEY_AMBIGUOUS: return _("several keys match: name one with its pkcs11: URI (id=...)");
  case RGS_P11_ERR_KEY_ATTRS: return _("the key does not read back as generated on the card and non-extractable");
  case RGS_P11_ERR_KEY_REFUSED: return _("this key type or size does not meet RGS**");
  case RGS_P11_ERR_POLICY: return _("the qualified-device policy file is invalid");
  case RGS_P11_ERR_NOT_QUALIFIED: return _("the token does not meet RGS** and no policy admits it");
  case RGS_P11_ERR_SIGNATURE: return _("the signature made by the token does not verify");
  case RGS_P11_ERR_CRYPTO: return _("cryptographic library failure");
  case RGS_P11_ERR_PIN_LENGTH: return _("the PIN does not have a length the token accepts");
  case RGS_P11_ERR_PIN_EXPIRED: return _("the PIN has expired: change it first with 'rgs-enroll pin change'");
  case RGS_P11_ERR_PIN_TEXT: return _("the PIN or code read is not plain text: it was not sent to the token and no try was spent");
  case RGS_P11_ERR_TOKEN_NOT_RECOGNIZED: return _("a card is in the reader, but this PKCS#11 module does not recognise it: use the module of the card's vendor (--module)");
  case RGS_P11_ERR_KEY_TEMPLATE: return _("this PKCS#11 module cannot make a sign-only key as RGS** requires (it refused the key template): use the module of the token's vendor");
  case RGS_P11_ERR_CERT_MISMATCH: return _("the certificate's public key is not the public key of this key pair");
  case RGS_P11_ERR_PIN_WEAK: return _("the new PIN is refused: too easy to guess or the same as the current one");
  case RGS_P11_ERR_PIN_CONFIRM: return _("the two entries of the new PIN differ; nothing was changed");
  case RGS_P11_ERR_SO_PIN_INCORRECT: return _("unblocking code (PUK) incorrect");
  case RGS_P11_ERR_SO_PIN_LOCKED: return _("the unblocking code (PUK) is locked: only the certification authority can help now");
  case RGS_P11_ERR_SO_PIN_FINAL_TRY: return _("only one try of the unblocking code is left: nothing was tried; to spend it, confirm at the prompt or pass --final-try");
  }
  return _("unknown error");
}

rgs_p11_rc rgs_p11_from_ckr(CK_RV rv)
{
  switch (rv) {
  case CKR_OK: return RGS_P11_OK;
  case CKR_HOST_MEMORY: return RGS_P11_ERR_NOMEM;
  case CKR_DEVICE_REMOVED:
  case CKR_TOKEN_NOT_PRESENT:
  case CKR_SESSION_HANDLE_INVALID:
  case CKR_SESSION_CLOSED:
  case CKR_SLOT_ID_INVALID:
    return RGS_P11_ERR_TOKEN_REMOVED;
  /* The card is still there: another module may know it. */
  case CKR_TOKEN_NOT_RECOGNIZED: return RGS_P11_ERR_TOKEN_NOT_RECOGNIZED;
  case CKR_TOKEN_WRITE_PROTECTED:
  case CKR_SESSION_READ_ONLY:
    return RGS_P11_ERR_TOKEN_RO;
  case CKR_DEVICE_MEMORY: return RGS_P11_ERR_TOKEN_FULL;
  case CKR_PIN_INCORRECT: return RGS_P11_ERR_PIN_INCORRECT;
  case CKR_PIN_LOCKED: return RGS_P11_ERR_PIN_LOCKED;
  case CKR_PIN_LEN_RANGE:
  case CKR_PIN_INVALID:
    return RGS_P11_ERR_PIN_INVALID;
  case CKR_PIN_EXPIRED: return RGS_P11_ERR_PIN_EXPIRED;
  case CKR_USER_PIN_NOT_INITIALIZED: return RGS_P11_ERR_PIN_INVALID;
  case CKR_FUNCTION_CANCELED: return RGS_P11_ERR_PIN_CANCELLED;
  case CKR_MECHANISM_INVALID:
  case CKR_MECHANISM_PARAM_INVALID:
  case CKR_KEY_SIZE_RANGE:
  case CKR_DOMAIN_PARAMS_INVALID:
  case CKR_CURVE_NOT_SUPPORTED:
    return RGS_P11_ERR_MECHANISM;
  case CKR_SIGNATURE_INVALID: return RGS_P11_ERR_SIGNATURE;
  default: return RGS_P11_ERR_MODULE;
  }
}

#define CKR_ENTRY(x) { x, #x }
static const struct { CK_RV rv; const char *name; } ckr_names[] = {
  CKR_ENTRY(CKR_OK), CKR_ENTRY(CKR_CANCEL), CKR_ENTRY(CKR_HOST_MEMORY),
  CKR_ENTRY(CKR_SLOT_ID_INVALID), CKR_ENTRY(CKR_GENERAL_ERROR),
  CKR_ENTRY(CKR_FUNCTION_FAILED), CKR_ENTRY(CKR_ARGUMENTS_BAD),
  CKR_ENTRY(CKR_CANT_LOCK), CKR_ENTRY(CKR_ATTRIBUTE_READ_ONLY),
  CKR_ENTRY(CKR_ATTRIBUTE_SENSITIVE), CKR_ENTRY(CKR_ATTRIBUTE_TYPE_INVALID),
  CKR_ENTRY(CKR_ATTRIBUTE_VALUE_INVALID), CKR_ENTRY(CKR_DATA_INVALID),
  CKR_ENTRY(CKR_DATA_LEN_RANGE), CKR_ENTRY(CKR_DEVICE_ERROR),
  CKR_ENTRY(CKR_DEVICE_MEMORY), CKR_ENTRY(CKR_DEVICE_REMOVED),
  CKR_ENTRY(CKR_FUNCTION_CANCELED), CKR_ENTRY(CKR_FUNCTION_NOT_SUPPORTED),
  CKR_ENTRY(CKR_KEY_HANDLE_INVALID), CKR_ENTRY(CKR_KEY_SIZE_RANGE),
  CKR_ENTRY(CKR_KEY_TYPE_INCONSISTENT), CKR_ENTRY(CKR_MECHANISM_INVALID),
  CKR_ENTRY(CKR_MECHANISM_PARAM_INVALID), CKR_ENTRY(CKR_OBJECT_HANDLE_INVALID),
  CKR_ENTRY(CKR_OPERATION_ACTIVE), CKR_ENTRY(CKR_OPERATION_NOT_INITIALIZED),
  CKR_ENTRY(CKR_PIN_INCORRECT), CKR_ENTRY(CKR_PIN_INVALID),
  CKR_ENTRY(CKR_PIN_LEN_RANGE), CKR_ENTRY(CKR_PIN_EXPIRED),
  CKR_ENTRY(CKR_PIN_LOCKED), CKR_ENTRY(CKR_SESSION_CLOSED),
  CKR_ENTRY(CKR_SESSION_COUNT), CKR_ENTRY(CKR_SESSION_HANDLE_INVALID),
  CKR_ENTRY(CKR_SESSION_READ_ONLY), CKR_ENTRY(CKR_SESSION_EXISTS),
  CKR_ENTRY(CKR_SIGNATURE_INVALID), CKR_ENTRY(CKR_SIGNATURE_LEN_RANGE),
  CKR_ENTRY(CKR_TEMPLATE_INCOMPLETE), CKR_ENTRY(CKR_TEMPLATE_INCONSISTENT),
  CKR_ENTRY(CKR_TOKEN_NOT_PRESENT), CKR_ENTRY(CKR_TOKEN_NOT_RECOGNIZED),
  CKR_ENTRY(CKR_TOKEN_WRITE_PROTECTED), CKR_ENTRY(CKR_USER_ALREADY_LOGGED_IN),
  CKR_ENTRY(CKR_USER_NOT_LOGGED_IN), CKR_ENTRY(CKR_USER_PIN_NOT_INITIALIZED),
  CKR_ENTRY(CKR_USER_TYPE_INVALID), CKR_ENTRY(CKR_BUFFER_TOO_SMALL),
  CKR_ENTRY(CKR_CRYPTOKI_NOT_INITIALIZED), CKR_ENTRY(CKR_CRYPTOKI_ALREADY_INITIALIZED),
  CKR_ENTRY(CKR_CURVE_NOT_SUPPORTED), CKR_ENTRY(CKR_DOMAIN_PARAMS_INVALID),
  CKR_ENTRY(CKR_RANDOM_NO_RNG), CKR_ENTRY(CKR_USER_TOO_MANY_TYPES),
  CKR_ENTRY(CKR_ACTION_PROHIBITED), CKR_ENTRY(CKR_KEY_FUNCTION_NOT_PERMITTED),
  CKR_ENTRY(CKR_KEY_UNEXTRACTABLE), CKR_ENTRY(CKR_KEY_NOT_NEEDED),
};
#undef CKR_ENTRY

const char *rgs_p11_ckr_name(CK_RV rv)
{
  static __thread char unknown[32];
  size_t i;

  for (i = 0; i < RGS_ARRAY_LEN(ckr_names); i++)
    if (ckr_names[i].rv == rv)
      return ckr_names[i].name;
  snprintf(unknown, sizeof(unknown), "CKR_0x%08lX", (unsigned long)rv);
  return unknown;
}

void rgs_p11_set_error(rgs_p11_ctx *ctx, const char *fmt, ...)
{
  va_list ap;

  if (ctx == NULL)
    return;
  va_start(ap, fmt);
  vsnprintf(ctx->last_error, sizeof(ctx->last_error), fmt, ap);
  va_end(ap);
}

rgs_p11_rc rgs_p11_fail(rgs_p11_ctx *ctx, const char *func, CK_RV rv)
{
  rgs_p11_set_error(ctx, "%s: %s", func, rgs_p11_ckr_name(rv));
  return rgs_p11_from_ckr(rv);
}

const char *rgs_p11_last_error(const rgs_p11_ctx *ctx)
{
  return ctx != NULL ? ctx->last_error : "";
}
