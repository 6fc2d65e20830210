/* SPDX-License-Identifier: BSD-3-Clause */
/* order_error.c - results of the order component and their meaning. */
#include "order_internal.h"

const char *rgs_order_strerror(rgs_order_rc rc)
{
  /* No default: -Wall names any value someone forgets here. */
  switch (rc) {
  case RGS_ORDER_OK: return _("success");
  case RGS_ORDER_ERR_NOMEM: return _("out of memory");
  case RGS_ORDER_ERR_ARG: return _("invalid argument");
  case RGS_ORDER_ERR_SIREN: return _("invalid SIREN or SIRET: 9 or 14 digits with a valid check digit (Luhn) are expected");
  case RGS_ORDER_ERR_PARTNER: return _("unknown partner code");
  case RGS_ORDER_ERR_PRODUCT: return _("product not available through this partner");
  case RGS_ORDER_ERR_VALIDITY: return _("invalid validity: 1, 2 or 3 years");
  case RGS_ORDER_ERR_OS: return _("invalid operating system");
  case RGS_ORDER_ERR_PAYMENT: return _("invalid payment method");
  case RGS_ORDER_ERR_DATE: return _("invalid date");
  case RGS_ORDER_ERR_TEXT: return _("invalid value");
  case RGS_ORDER_ERR_DEPT: return _("invalid département");
  case RGS_ORDER_ERR_MODE: return _("invalid face-to-face mode");
  case RGS_ORDER_ERR_DISTANCE: return _("invalid distance");
  case RGS_ORDER_ERR_STATUS_NAME: return _("unknown status");
  case RGS_ORDER_ERR_DOC_KIND: return _("unknown document");
  case RGS_ORDER_ERR_DOC_STATE: return _("unknown document state");
  case RGS_ORDER_ERR_NO_ORDER: return _("no such order");
  case RGS_ORDER_ERR_NO_AED: return _("no such AED office");
  case RGS_ORDER_ERR_TRANSITION: return _("the order's status does not allow this");
  case RGS_ORDER_ERR_MISMATCH: return _("the request does not match the order's holder and company");
  case RGS_ORDER_ERR_KEY_BOUND: return _("this key is already bound to another order");
  case RGS_ORDER_ERR_DUPLICATE: return _("this CA reference is already recorded on another order");
  case RGS_ORDER_ERR_DOCUMENTS: return _("the documents do not meet the rules");
  case RGS_ORDER_ERR_DIRECTORY: return _("AED directory file malformed");
  case RGS_ORDER_ERR_IO: return _("file or directory error");
  case RGS_ORDER_ERR_NOT_STORE: return _("not an rgs-enroll order store: refused, left untouched");
  case RGS_ORDER_ERR_NEWER: return _("the order store was written by a newer rgs-enroll");
  case RGS_ORDER_ERR_CORRUPT: return _("the order store is damaged");
  case RGS_ORDER_ERR_BUSY: return _("the order store stayed locked by another process");
  case RGS_ORDER_ERR_STORE: return _("order store failure");
  case RGS_ORDER_ERR_FULL: return _("the disk is full or a file size limit was reached: nothing was written");
  case RGS_ORDER_ERR_OLDER: return _("the order store needs an upgrade that a read-only open cannot make");
  }
  return _("unknown error");
}
