/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_form.h - the order form's checks, as the person types: the same
 * rules as `rgs-enroll order new` (which checks again: the window only
 * spares a round trip). */
#ifndef RGSG_FORM_H
#define RGSG_FORM_H

typedef enum {
  RGSG_FIELD_OK = 0,
  RGSG_FIELD_EMPTY,
  RGSG_FIELD_NOT_DIGITS,       /* SIREN/SIRET: something else than digits */
  RGSG_FIELD_BAD_LENGTH,       /* SIREN/SIRET: neither 9 nor 14 digits */
  RGSG_FIELD_BAD_CHECK_DIGIT,  /* SIREN/SIRET: Luhn check digit wrong */
  RGSG_FIELD_BAD_EMAIL,
  RGSG_FIELD_BAD_PARTNER,
  RGSG_FIELD_TOO_LONG
} rgsg_field_rc;

/* A plain sentence for rc, translated. */
const char *rgsg_field_message(rgsg_field_rc rc);

/* 1 when the digit string passes the Luhn check (used by SIREN and SIRET). */
int rgsg_luhn_ok(const char *digits);
/* A SIREN (9 digits) or SIRET (14 digits); spaces are allowed between groups. */
rgsg_field_rc rgsg_check_company_id(const char *text);
/* One '@', a non-empty local part, a domain with a dot, no spaces. */
rgsg_field_rc rgsg_check_email(const char *text);
/* The partner code: CMA, any case. */
rgsg_field_rc rgsg_check_partner(const char *text);
/* A name: not empty, at most 64 characters. */
rgsg_field_rc rgsg_check_name(const char *text);
/* The company id with its spaces dropped, in out (at least 15 bytes). */
void rgsg_company_id_digits(const char *text, char *out, unsigned long len);

#endif
