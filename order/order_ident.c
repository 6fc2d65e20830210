/* SPDX-License-Identifier: BSD-3-Clause */
/* order_ident.c - SIREN and SIRET, checked as INSEE defines them. */
#include <string.h>
#include "order_internal.h"

/* Luhn over the digits: double every second digit from the right. */
static int luhn_ok(const char *digits, size_t n)
{
  unsigned sum = 0;
  size_t i;

  for (i = 0; i < n; i++) {
    unsigned d = (unsigned)(digits[n - 1 - i] - '0');
    if (i % 2 == 1) {
      d *= 2;
      if (d > 9)
        d -= 9;
    }
    sum += d;
  }
  return sum % 10 == 0;
}

rgs_order_rc rgs_order_company_id_parse(const char *text, char *out, size_t outlen,
                                        rgs_order_company_id_kind *kind)
{
  char digits[16];
  size_t n = 0;
  const char *p;

  if (text == NULL || out == NULL || outlen < 15 || kind == NULL)
    return RGS_ORDER_ERR_ARG;
  for (p = text; *p != '\0'; p++) {
    if (*p == ' ')
      continue;
    if (*p < '0' || *p > '9' || n >= 14)
      return RGS_ORDER_ERR_SIREN;
    digits[n++] = *p;
  }
  if ((n != RGS_ID_SIREN && n != RGS_ID_SIRET) || !luhn_ok(digits, n))
    return RGS_ORDER_ERR_SIREN;
  /* SIRETs of La Poste (SIREN 356000000) follow another rule; they are not
   * holders of this product, so the plain Luhn rule stands. */
  memcpy(out, digits, n);
  out[n] = '\0';
  *kind = (rgs_order_company_id_kind)n;
  return RGS_ORDER_OK;
}
