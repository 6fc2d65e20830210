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
  }
  return _("unknown error");
}
