/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_form.c - the order form's checks (rgsg_form.h). */
#include <string.h>
#include <glib.h>
#include "rgsx_i18n.h"
#include "rgsg_form.h"

const char *rgsg_field_message(rgsg_field_rc rc)
{
  switch (rc) {
  case RGSG_FIELD_OK: return "";
  case RGSG_FIELD_EMPTY: return _("Required.");
  case RGSG_FIELD_NOT_DIGITS: return _("Only digits, please.");
  case RGSG_FIELD_BAD_LENGTH: return _("A SIREN has 9 digits, a SIRET 14.");
  case RGSG_FIELD_BAD_CHECK_DIGIT:
    return _("This number has a typing error: its last digit does not match. Check it on the registration extract.");
  case RGSG_FIELD_BAD_EMAIL: return _("This is not an e-mail address (name@example.fr).");
  case RGSG_FIELD_BAD_PARTNER: return _("The partner code is CMA.");
  case RGSG_FIELD_TOO_LONG: return _("Too long: 64 characters at most.");
  }
  return "";
}

int rgsg_luhn_ok(const char *digits)
{
  size_t n = strlen(digits), i;
  int sum = 0, d;

  if (n == 0)
    return 0;
  for (i = 0; i < n; i++) {
    if (digits[n - 1 - i] < '0' || digits[n - 1 - i] > '9')
      return 0;
    d = digits[n - 1 - i] - '0';
    if (i % 2 == 1) {
      d *= 2;
      if (d > 9)
        d -= 9;
    }
    sum += d;
  }
  return sum % 10 == 0;
}

void rgsg_company_id_digits(const char *text, char *out, unsigned long len)
{
  size_t j = 0;

  for (; text != NULL && *text != '\0' && j + 1 < len; text++)
    if (*text != ' ')
      out[j++] = *text;
  if (len > 0)
    out[j] = '\0';
}

rgsg_field_rc rgsg_check_company_id(const char *text)
{
  char d[32];
  size_t i, n;

  if (text == NULL || text[0] == '\0')
    return RGSG_FIELD_EMPTY;
  if (strlen(text) >= sizeof(d))
    return RGSG_FIELD_BAD_LENGTH;
  rgsg_company_id_digits(text, d, sizeof(d));
  n = strlen(d);
  for (i = 0; i < n; i++)
    if (d[i] < '0' || d[i] > '9')
      return RGSG_FIELD_NOT_DIGITS;
  if (n != 9 && n != 14)
    return RGSG_FIELD_BAD_LENGTH;
  /* The SIRET starts with the SIREN: both check digits must hold. */
  if (n == 14) {
    char siren[10];

    memcpy(siren, d, 9);
    siren[9] = '\0';
    if (!rgsg_luhn_ok(siren))
      return RGSG_FIELD_BAD_CHECK_DIGIT;
  }
  return rgsg_luhn_ok(d) ? RGSG_FIELD_OK : RGSG_FIELD_BAD_CHECK_DIGIT;
}

rgsg_field_rc rgsg_check_email(const char *text)
{
  const char *at, *dot;

  if (text == NULL || text[0] == '\0')
    return RGSG_FIELD_EMPTY;
  if (strlen(text) > 254 || strpbrk(text, " \t\r\n") != NULL)
    return RGSG_FIELD_BAD_EMAIL;
  at = strchr(text, '@');
  if (at == NULL || at == text || strchr(at + 1, '@') != NULL)
    return RGSG_FIELD_BAD_EMAIL;
  dot = strrchr(at + 1, '.');
  if (dot == NULL || dot == at + 1 || dot[1] == '\0')
    return RGSG_FIELD_BAD_EMAIL;
  return RGSG_FIELD_OK;
}

rgsg_field_rc rgsg_check_partner(const char *text)
{
  if (text == NULL || text[0] == '\0')
    return RGSG_FIELD_EMPTY;
  return g_ascii_strcasecmp(text, "CMA") == 0 ? RGSG_FIELD_OK : RGSG_FIELD_BAD_PARTNER;
}

rgsg_field_rc rgsg_check_name(const char *text)
{
  const char *p = text;

  while (p != NULL && g_ascii_isspace(*p))
    p++;
  if (p == NULL || *p == '\0')
    return RGSG_FIELD_EMPTY;
  return g_utf8_strlen(text, -1) > 64 ? RGSG_FIELD_TOO_LONG : RGSG_FIELD_OK;
}
