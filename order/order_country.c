/* SPDX-License-Identifier: BSD-3-Clause */
/* order_country.c - the country of a subject: an ISO 3166-1 alpha-2 code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "order_internal.h"

/* The officially assigned ISO 3166-1 alpha-2 codes (249), sorted for
 * bsearch. Source: ISO 3166 Maintenance Agency, Online Browsing Platform
 * (https://www.iso.org/obp/ui/#search/code/), as also shipped by Debian's
 * iso-codes (/usr/share/iso-codes/json/iso_3166-1.json, 4.15), which
 * tests/unit/test_country.c reads as an oracle. Reserved and user-assigned
 * codes (EU, UK, XK, XX, ZZ...) are not country names in a certificate. */
static const char country_codes[][3] = {
  "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
  "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
  "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
  "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
  "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
  "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
  "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
  "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
  "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
  "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
  "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
  "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
  "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
  "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
  "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
  "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

static int cmp_code(const void *a, const void *b)
{
  return strcmp((const char *)a, (const char *)b);
}

int rgs_order_country_known(const char *code)
{
  if (code == NULL || strlen(code) != 2)
    return 0;
  return bsearch(code, country_codes, RGS_ARRAY_LEN(country_codes), sizeof(country_codes[0]),
                 cmp_code) != NULL;
}

size_t rgs_order_country_count(void)
{
  return RGS_ARRAY_LEN(country_codes);
}

static int ascii_letter(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

rgs_order_rc rgs_order_country_parse(const char *text, char *out, size_t outlen, char *err,
                                     size_t errlen)
{
  char code[3] = "";
  const char *p;
  size_t n = 0;

  if (text == NULL || out == NULL || outlen < 3 || err == NULL || errlen == 0)
    return RGS_ORDER_ERR_ARG;
  /* Spaces around are dropped and the case is the person's ("fr " is FR);
   * anything else inside (a digit, a third letter, a space) is refused. */
  p = text + strspn(text, " \t");
  while (n < 2 && ascii_letter(*p)) {
    code[n++] = (char)(*p >= 'a' ? *p - 'a' + 'A' : *p);
    p++;
  }
  code[n] = '\0';
  p += strspn(p, " \t");
  if (n == 2 && *p == '\0' && rgs_order_country_known(code)) {
    memcpy(out, code, 3);
    return RGS_ORDER_OK;
  }
  snprintf(err, errlen, _("'%s' is not a country code: two letters of ISO 3166 (FR for France, BE, CH, LU...)"),
           text);
  return RGS_ORDER_ERR_TEXT;
}
