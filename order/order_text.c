/* SPDX-License-Identifier: BSD-3-Clause */
/* order_text.c - names as people write them: UTF-8, case and accents aside. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "rgs_common.h"
#include "order_internal.h"

/* Decode one UTF-8 sequence; its length, or 0 when it is not valid
 * (overlong, surrogate, above U+10FFFF, truncated). */
static size_t utf8_decode(const unsigned char *p, uint32_t *cp)
{
  if (p[0] < 0x80) {
    *cp = p[0];
    return 1;
  }
  if (p[0] >= 0xC2 && p[0] <= 0xDF && (p[1] & 0xC0) == 0x80) {
    *cp = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if (p[0] >= 0xE0 && p[0] <= 0xEF && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
    *cp = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    if (*cp < 0x800 || (*cp >= 0xD800 && *cp <= 0xDFFF))
      return 0;
    return 3;
  }
  if (p[0] >= 0xF0 && p[0] <= 0xF4 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 &&
      (p[3] & 0xC0) == 0x80) {
    *cp = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
          ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    if (*cp < 0x10000 || *cp > 0x10FFFF)
      return 0;
    return 4;
  }
  return 0;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* U+00C0..U+00FF without accent and case; NULL: kept (× and ÷). */
static const char *const latin1_fold[64] = {
  "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
  "d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "ss",
  "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
  "d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "y",
};

/* U+0100..U+017F (Latin Extended-A): the base letter, '*' for the two
 * ligatures that fold to two letters. */
static const char latin_ext_a_fold[129] =
  "aaaaaaccccccccdd" "ddeeeeeeeeeegggg" "gggghhhhiiiiiiii" "ii**jjkkklllllll"
  "lllnnnnnnnnnoooo" "oo**rrrrrrssssss" "ssttttttuuuuuuuu" "uuuuwwyyyzzzzzzs";

/* The folded spelling of cp, or NULL when cp is kept as it is. */
static const char *fold_cp(uint32_t cp, char *tmp)
{
  if (cp >= 'A' && cp <= 'Z') {
    tmp[0] = (char)(cp - 'A' + 'a');
    tmp[1] = '\0';
    return tmp;
  }
  if (cp >= 0xC0 && cp <= 0xFF)
    return latin1_fold[cp - 0xC0];
  if (cp == 0x132 || cp == 0x133)
    return "ij";
  if (cp == 0x152 || cp == 0x153)
    return "oe";
  if (cp >= 0x100 && cp <= 0x17F) {
    tmp[0] = latin_ext_a_fold[cp - 0x100];
    tmp[1] = '\0';
    return tmp;
  }
  switch (cp) {
  case 0x2018: case 0x2019: case 0x02BC: case 0x00B4: case 0x0060:
    return "'";
  case 0x2010: case 0x2011: case 0x2012: case 0x2013:
    return "-";
  default:
    return NULL;
  }
}

static int is_space_cp(uint32_t cp)
{
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0 ||
         cp == 0x202F || (cp >= 0x2000 && cp <= 0x200A);
}

rgs_order_rc rgs_order_text_fold(const char *in, char *out, size_t outlen)
{
  const unsigned char *p = (const unsigned char *)in;
  size_t o = 0, len, add;
  int pending_space = 0;
  char tmp[8], enc[4];
  const char *f;
  uint32_t cp;

  if (in == NULL || out == NULL || outlen == 0)
    return RGS_ORDER_ERR_ARG;
  while (*p != '\0') {
    len = utf8_decode(p, &cp);
    if (len == 0)
      return RGS_ORDER_ERR_TEXT;
    p += len;
    if (is_space_cp(cp)) {
      pending_space = o > 0;
      continue;
    }
    f = fold_cp(cp, tmp);
    if (f == NULL) {
      add = utf8_encode(cp, enc);
    } else {
      add = strlen(f);
      memcpy(enc, f, add);
    }
    if (o + (size_t)pending_space + add + 1 > outlen)
      return RGS_ORDER_ERR_ARG;
    if (pending_space)
      out[o++] = ' ';
    pending_space = 0;
    memcpy(out + o, enc, add);
    o += add;
  }
  out[o] = '\0';
  return RGS_ORDER_OK;
}

int rgs_order_names_equal(const char *a, const char *b)
{
  char fa[1024], fb[1024];

  if (a == NULL || b == NULL)
    return 0;
  if (rgs_order_text_fold(a, fa, sizeof(fa)) != RGS_ORDER_OK ||
      rgs_order_text_fold(b, fb, sizeof(fb)) != RGS_ORDER_OK)
    return 0;
  return strcmp(fa, fb) == 0;
}

static uint32_t upper_cp(uint32_t cp)
{
  if (cp >= 'a' && cp <= 'z')
    return cp - 'a' + 'A';
  if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)
    return cp - 0x20;
  if (cp == 0xFF)
    return 0x178;
  if (cp == 0x131)
    return 'I';
  /* Latin Extended-A: upper then lower, on even code points up to U+0137,
   * on odd ones from U+0139 to U+0148, even again to U+0177, odd to U+017E. */
  if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
    return (cp & 1) ? cp - 1 : cp;
  if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
    return (cp & 1) ? cp : cp - 1;
  return cp;
}

rgs_order_rc rgs_order_text_upper(const char *in, char *out, size_t outlen)
{
  const unsigned char *p = (const unsigned char *)in;
  size_t o = 0, len, add;
  char enc[4];
  uint32_t cp;

  if (in == NULL || out == NULL || outlen == 0)
    return RGS_ORDER_ERR_ARG;
  while (*p != '\0') {
    len = utf8_decode(p, &cp);
    if (len == 0)
      return RGS_ORDER_ERR_TEXT;
    p += len;
    add = utf8_encode(upper_cp(cp), enc);
    if (o + add + 1 > outlen)
      return RGS_ORDER_ERR_ARG;
    memcpy(out + o, enc, add);
    o += add;
  }
  out[o] = '\0';
  return RGS_ORDER_OK;
}

/* The inverse of upper_cp on the same letters. */
static uint32_t lower_cp(uint32_t cp)
{
  if (cp >= 'A' && cp <= 'Z')
    return cp - 'A' + 'a';
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
    return cp + 0x20;
  if (cp == 0x178)
    return 0xFF;
  if (cp == 0x130)
    return 'i';
  if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
    return (cp & 1) ? cp : cp + 1;
  if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
    return (cp & 1) ? cp + 1 : cp;
  return cp;
}

/* What separates the parts of a compound name: spaces, hyphens, apostrophes. */
static int name_sep_cp(uint32_t cp)
{
  return is_space_cp(cp) || cp == '-' || cp == 0x2010 || cp == 0x2011 || cp == '\'' ||
         cp == 0x2019 || cp == 0x02BC;
}

/* "de", "du", "des", "d'", "la", "le": kept in lower case inside a name. */
static int name_particle(const uint32_t *cp, size_t n)
{
  static const char *const particles[] = { "d", "de", "des", "du", "la", "le" };
  char ascii[4];
  size_t i;

  if (n >= sizeof(ascii))
    return 0;
  for (i = 0; i < n; i++) {
    if (lower_cp(cp[i]) > 0x7F)
      return 0;
    ascii[i] = (char)lower_cp(cp[i]);
  }
  ascii[n] = '\0';
  for (i = 0; i < RGS_ARRAY_LEN(particles); i++)
    if (strcmp(ascii, particles[i]) == 0)
      return 1;
  return 0;
}

/* One part of the name, in place: a part typed all in capitals is lowered
 * first ("JEAN" -> "jean"); then its first letter is upper-cased, except
 * a particle that is not the name's first part. */
static void case_name_part(uint32_t *cp, size_t n, int first_part)
{
  size_t i, letters = 0, upper = 0;

  for (i = 0; i < n; i++) {
    if (lower_cp(cp[i]) != cp[i])
      upper++;
    if (lower_cp(cp[i]) != cp[i] || upper_cp(cp[i]) != cp[i])
      letters++;
  }
  if (letters >= 2 && upper == letters)
    for (i = 0; i < n; i++)
      cp[i] = lower_cp(cp[i]);
  if (n == 0 || (!first_part && name_particle(cp, n) && upper_cp(cp[0]) != cp[0]))
    return;
  cp[0] = upper_cp(cp[0]);
}

rgs_order_rc rgs_order_first_name_case(const char *in, char *out, size_t outlen)
{
  const unsigned char *p = (const unsigned char *)in;
  uint32_t cp[RGS_ORDER_NAME_MAX];
  size_t n = 0, i, start, o = 0, len, add;
  char enc[4];

  if (in == NULL || out == NULL || outlen == 0)
    return RGS_ORDER_ERR_ARG;
  while (*p != '\0') {
    len = utf8_decode(p, &cp[n]);
    if (len == 0)
      return RGS_ORDER_ERR_TEXT;
    if (++n == RGS_ARRAY_LEN(cp))
      return RGS_ORDER_ERR_ARG;
    p += len;
  }
  for (i = 0; i < n; i = start) {
    while (i < n && name_sep_cp(cp[i]))
      i++;
    start = i;
    while (start < n && !name_sep_cp(cp[start]))
      start++;
    case_name_part(cp + i, start - i, o == 0);
    o = 1;
  }
  for (i = 0, o = 0; i < n; i++) {
    add = utf8_encode(cp[i], enc);
    if (o + add + 1 > outlen)
      return RGS_ORDER_ERR_ARG;
    memcpy(out + o, enc, add);
    o += add;
  }
  out[o] = '\0';
  return RGS_ORDER_OK;
}

void rgs_order_holder_name(const rgs_order *o, char *out, size_t outlen)
{
  char first[RGS_ORDER_NAME_MAX], last[RGS_ORDER_NAME_MAX];

  if (o == NULL || out == NULL || outlen == 0)
    return;
  /* A name that cannot be cased (not UTF-8: an old store) is shown as kept. */
  if (rgs_order_first_name_case(o->first_name, first, sizeof(first)) != RGS_ORDER_OK)
    snprintf(first, sizeof(first), "%s", o->first_name);
  if (rgs_order_text_upper(o->last_name, last, sizeof(last)) != RGS_ORDER_OK)
    snprintf(last, sizeof(last), "%s", o->last_name);
  snprintf(out, outlen, "%s %s", first, last);
}

int order_text_ok(const char *text, size_t max)
{
  const unsigned char *p = (const unsigned char *)text;
  size_t len;
  uint32_t cp;
  int visible = 0;

  if (text == NULL || strlen(text) >= max)
    return 0;
  while (*p != '\0') {
    len = utf8_decode(p, &cp);
    if (len == 0 || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
      return 0;
    if (!is_space_cp(cp))
      visible = 1;
    p += len;
  }
  return visible;
}

int order_email_ok(const char *e)
{
  const char *at;

  if (!order_text_ok(e, RGS_ORDER_EMAIL_MAX))
    return 0;
  at = strchr(e, '@');
  return at != NULL && at != e && at[1] != '\0' && strchr(at + 1, '@') == NULL &&
         strchr(at + 1, '.') != NULL && strpbrk(e, " ,;<>\"\\()[]") == NULL;
}

int order_phone_ok(const char *t)
{
  size_t digits = 0;
  const char *p;

  if (t == NULL || strlen(t) >= RGS_ORDER_PHONE_MAX)
    return 0;
  for (p = t; *p != '\0'; p++) {
    if (*p >= '0' && *p <= '9')
      digits++;
    else if (strchr(" +.-()", *p) == NULL)
      return 0;
    if (*p == '+' && p != t)
      return 0;
  }
  return digits >= 6 && digits <= 15;
}

rgs_order_rc rgs_order_field_check(rgs_order_field field, const char *value, char *err,
                                   size_t errlen)
{
  const char *v = value != NULL ? value : "", *p;
  size_t max = field == RGS_FIELD_COMPANY ? RGS_ORDER_COMPANY_MAX : RGS_ORDER_NAME_MAX;

  if (err == NULL || errlen == 0)
    return RGS_ORDER_ERR_ARG;
  switch (field) {
  case RGS_FIELD_NAME:
  case RGS_FIELD_COMPANY:
    if (order_text_ok(v, max))
      return RGS_ORDER_OK;
    snprintf(err, errlen, _("empty, too long (%zu bytes at most) or not plain text"), max - 1);
    return RGS_ORDER_ERR_TEXT;
  case RGS_FIELD_EMAIL:
    if (order_email_ok(v))
      return RGS_ORDER_OK;
    snprintf(err, errlen, _("'%s' is not an email address"), v);
    return RGS_ORDER_ERR_TEXT;
  case RGS_FIELD_PHONE:
    if (v[0] == '\0' || order_phone_ok(v))
      return RGS_ORDER_OK;
    snprintf(err, errlen, _("'%s' is not a telephone number (6 to 15 digits, spaces, dots, dashes, a leading +)"), v);
    return RGS_ORDER_ERR_TEXT;
  case RGS_FIELD_CA_REF:
    for (p = v; *p > ' ' && *p <= '~'; p++)
      ;
    if (*p == '\0' && strlen(v) < RGS_ORDER_REF_MAX)
      return RGS_ORDER_OK;
    snprintf(err, errlen, _("CA reference '%s': printable ASCII without spaces, %d characters at most"),
             v, RGS_ORDER_REF_MAX - 1);
    return RGS_ORDER_ERR_TEXT;
  }
  return RGS_ORDER_ERR_ARG;
}

void order_ascii_lower(const char *in, char *out, size_t outlen)
{
  size_t i;

  for (i = 0; in[i] != '\0' && i + 1 < outlen; i++)
    out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] - 'A' + 'a') : in[i];
  out[i] = '\0';
}

/* ---- the subject of a request against the order ------------------------ */

static int cn_matches(const rgs_order *o, const char *cn)
{
  char both[2 * RGS_ORDER_NAME_MAX + 2];

  snprintf(both, sizeof(both), "%s %s", o->first_name, o->last_name);
  if (rgs_order_names_equal(cn, both))
    return 1;
  snprintf(both, sizeof(both), "%s %s", o->last_name, o->first_name);
  return rgs_order_names_equal(cn, both);
}

/* One OU "0002 N" whose SIREN part is the order's. *seen gets the last
 * "0002 ..." value found, for the message. */
static int ou_matches(const rgs_order *o, const rgs_order_subject *subj, const char **seen)
{
  char digits[16];
  rgs_order_company_id_kind kind;
  size_t i;

  *seen = NULL;
  for (i = 0; i < subj->n_ou && i < RGS_ORDER_MAX_OU; i++) {
    const char *ou = subj->ou[i];
    if (ou == NULL || strncmp(ou, "0002 ", 5) != 0)
      continue;
    *seen = ou;
    if (rgs_order_company_id_parse(ou + 5, digits, sizeof(digits), &kind) == RGS_ORDER_OK &&
        strncmp(digits, o->siren, 9) == 0)
      return 1;
  }
  return 0;
}

/* organizationIdentifier "NTRFR-" + SIREN or SIRET (ETSI EN 319 412-1). */
static int org_id_matches(const rgs_order *o, const char *id)
{
  char digits[16];
  rgs_order_company_id_kind kind;

  return strncmp(id, "NTRFR-", 6) == 0 &&
         rgs_order_company_id_parse(id + 6, digits, sizeof(digits), &kind) == RGS_ORDER_OK &&
         strncmp(digits, o->siren, 9) == 0;
}

/* The attributes that, when present, must name the holder too. */
static int extras_match(const rgs_order *o, const rgs_order_subject *subj, char *why,
                        size_t whylen)
{
  char clean[128];

  if (subj->gn != NULL && !rgs_order_names_equal(subj->gn, o->first_name)) {
    snprintf(why, whylen, _("GN \"%s\" is not the holder's first name \"%s\""),
             rgsx_sanitize_buf(clean, sizeof(clean), subj->gn, strlen(subj->gn)), o->first_name);
    return 0;
  }
  if (subj->sn != NULL && !rgs_order_names_equal(subj->sn, o->last_name)) {
    snprintf(why, whylen, _("SN \"%s\" is not the holder's last name \"%s\""),
             rgsx_sanitize_buf(clean, sizeof(clean), subj->sn, strlen(subj->sn)), o->last_name);
    return 0;
  }
  if (subj->email != NULL && strcasecmp(subj->email, o->email) != 0) {
    snprintf(why, whylen, _("emailAddress \"%s\" is not the holder's address \"%s\""),
             rgsx_sanitize_buf(clean, sizeof(clean), subj->email, strlen(subj->email)), o->email);
    return 0;
  }
  if (subj->org_id != NULL && !org_id_matches(o, subj->org_id)) {
    snprintf(why, whylen, _("organizationIdentifier \"%s\" is not NTRFR-%s (the company's SIREN)"),
             rgsx_sanitize_buf(clean, sizeof(clean), subj->org_id, strlen(subj->org_id)), o->siren);
    return 0;
  }
  return 1;
}

rgs_order_rc rgs_order_subject_match(const rgs_order *o, const rgs_order_subject *subj,
                                     char *why, size_t whylen)
{
  const char *seen = NULL;
  char clean[128];

  if (o == NULL || subj == NULL || why == NULL || whylen == 0)
    return RGS_ORDER_ERR_ARG;
  why[0] = '\0';
  /* What was read may be hostile: every value quoted below is sanitised. */
  if (subj->refused != NULL) {
    rgsx_sanitize_buf(why, whylen, subj->refused, strlen(subj->refused));
    return RGS_ORDER_ERR_MISMATCH;
  }
  if (subj->cn == NULL || !cn_matches(o, subj->cn)) {
    snprintf(why, whylen, _("CN \"%s\" is not the holder's name \"%s %s\""),
             rgsx_sanitize_buf(clean, sizeof(clean), subj->cn, subj->cn != NULL ? strlen(subj->cn) : 0),
             o->first_name, o->last_name);
    return RGS_ORDER_ERR_MISMATCH;
  }
  if (subj->o == NULL || !rgs_order_names_equal(subj->o, o->company)) {
    snprintf(why, whylen, _("O \"%s\" is not the company \"%s\""),
             rgsx_sanitize_buf(clean, sizeof(clean), subj->o, subj->o != NULL ? strlen(subj->o) : 0),
             o->company);
    return RGS_ORDER_ERR_MISMATCH;
  }
  if (!ou_matches(o, subj, &seen)) {
    if (seen != NULL)
      snprintf(why, whylen, _("OU \"%s\" does not carry the company's SIREN %s"),
               rgsx_sanitize_buf(clean, sizeof(clean), seen, strlen(seen)), o->siren);
    else
      snprintf(why, whylen, _("the request has no OU \"0002 %s\" (the company's SIREN)"), o->siren);
    return RGS_ORDER_ERR_MISMATCH;
  }
  if (!extras_match(o, subj, why, whylen))
    return RGS_ORDER_ERR_MISMATCH;
  return RGS_ORDER_OK;
}
