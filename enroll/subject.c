/* SPDX-License-Identifier: BSD-3-Clause */
/* subject.c - the certificate subject: C=FR, O=..., OU=0002 SIREN, CN=Prénom NOM. */
#include <stdlib.h>
#include <string.h>
#include <openssl/x509.h>
#include "rgs_common.h"
#include "steps.h"

#define RGS_RDN_MAX 16
#define RGS_VALUE_MAX 256

/* Attributes in the order Certigna certificates show them; whatever order a
 * user writes a DN in, the certificate reads top-down the same way. */
static const char *const rank[] = {
  "C", "ST", "L", "O", "OU", "organizationIdentifier", "serialNumber", "CN",
  "GN", "SN", "emailAddress",
};

int rgs_subject_opt(rgs_subject_opts *o, int c, const char *arg)
{
  switch (c) {
  case 1000: o->subject = arg; return 1;
  case 1001: o->cn = arg; return 1;
  case 1002: o->o = arg; return 1;
  case 1003: o->ou = arg; return 1;
  case 1004: o->siren = arg; return 1;
  case 1005: o->siret = arg; return 1;
  case 1006: o->email = arg; return 1;
  case 1007: o->country = arg; return 1;
  default: return 0;
  }
}

static int valid_utf8(const char *s)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s), len;

  while (n > 0) {
    len = rgsx_utf8_char_len(p, n);
    if (len == 0 || *p < 0x20 || *p == 0x7F)
      return 0;
    p += len;
    n -= len;
  }
  return 1;
}

/* An address for an IA5String rfc822Name: printable ASCII, one @, no
 * characters the extension syntax or a mail header would read otherwise. */
static int valid_email(const char *e)
{
  const char *at = strchr(e, '@'), *p;

  if (at == NULL || at == e || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
      strlen(e) > 254)
    return 0;
  for (p = e; *p != '\0'; p++)
    if (*p <= 0x20 || *p >= 0x7F || strchr(",;<>\"\\()[]:", *p) != NULL)
      return 0;
  return 1;
}

typedef struct {
  char type[32];
  char value[RGS_VALUE_MAX];
} rdn;

static int rank_of(const char *type)
{
  size_t i;

  for (i = 0; i < RGS_ARRAY_LEN(rank); i++)
    if (strcasecmp(rank[i], type) == 0)
      return (int)i;
  return (int)RGS_ARRAY_LEN(rank);
}

/* Insertion sort: stable, so two OUs keep the order they were given in. */
static void sort_rdns(rdn *r, size_t n)
{
  size_t i, k;
  rdn tmp;

  for (i = 1; i < n; i++) {
    tmp = r[i];
    for (k = i; k > 0 && rank_of(r[k - 1].type) > rank_of(tmp.type); k--)
      r[k] = r[k - 1];
    r[k] = tmp;
  }
}

static int add_rdn(rdn *r, size_t *n, const char *type, const char *value, char *err,
                   size_t errlen)
{
  if (*n >= RGS_RDN_MAX) {
    snprintf(err, errlen, "%s", _("too many subject attributes"));
    return 0;
  }
  if (strlen(type) >= sizeof(r[*n].type) || strlen(value) >= sizeof(r[*n].value) ||
      value[0] == '\0') {
    snprintf(err, errlen, _("subject attribute %s: empty or too long"), type);
    return 0;
  }
  if (!valid_utf8(value)) {
    snprintf(err, errlen, _("subject attribute %s is not valid UTF-8 text"), type);
    return 0;
  }
  snprintf(r[*n].type, sizeof(r[*n].type), "%s", type);
  snprintf(r[*n].value, sizeof(r[*n].value), "%s", value);
  (*n)++;
  return 1;
}

/* One "TYPE=value" with RFC 4514 escapes (\, \+ \\ \XX), up to the next
 * unescaped separator. Returns the position after it, NULL on error. */
static const char *parse_one(const char *p, char sep, char *type, size_t tlen, char *value,
                             size_t vlen, char *err, size_t errlen)
{
  size_t t = 0, v = 0;
  unsigned char byte;

  while (*p == ' ')
    p++;
  while (*p != '\0' && *p != '=' && t + 1 < tlen)
    type[t++] = *p++;
  while (t > 0 && type[t - 1] == ' ')
    t--;
  type[t] = '\0';
  if (*p != '=' || t == 0) {
    snprintf(err, errlen, "%s", _("subject: TYPE=value expected"));
    return NULL;
  }
  p++;
  while (*p == ' ')
    p++;
  while (*p != '\0' && *p != sep && v + 1 < vlen) {
    if (*p == '\\' && p[1] != '\0') {
      if (rgsx_hex_byte(p + 1, 0, &byte)) {
        value[v] = (char)byte;
        if (value[v++] == '\0') {
          snprintf(err, errlen, "%s", _("subject: \\00 is not allowed in a value"));
          return NULL;
        }
        p += 3;
      } else {
        value[v++] = p[1];
        p += 2;
      }
      continue;
    }
    value[v++] = *p++;
  }
  if (*p != '\0' && *p != sep) {      /* never split a long value into two */
    snprintf(err, errlen, _("subject attribute %s: value too long"), type);
    return NULL;
  }
  while (v > 0 && value[v - 1] == ' ')
    v--;
  value[v] = '\0';
  if (*p == sep)
    p++;
  return p;
}

/* "C=FR,O=BS AUTO,CN=Frédéric SENEZ" or OpenSSL's "/C=FR/O=BS AUTO/CN=...". */
static int parse_dn(const char *text, rdn *r, size_t *n, char *err, size_t errlen)
{
  char sep = text[0] == '/' ? '/' : ',';
  const char *p = text[0] == '/' ? text + 1 : text;
  char type[32], value[RGS_VALUE_MAX];

  while (*p != '\0') {
    p = parse_one(p, sep, type, sizeof(type), value, sizeof(value), err, errlen);
    if (p == NULL || !add_rdn(r, n, type, value, err, errlen))
      return 0;
  }
  return 1;
}

/* OU=0002 NNN: check a SIREN or SIRET wherever it comes from. */
static int check_company_ou(const rdn *r, size_t n, char *err, size_t errlen)
{
  char digits[16];
  rgs_order_company_id_kind kind;
  size_t i;

  for (i = 0; i < n; i++) {
    if (strcasecmp(r[i].type, "OU") != 0 || strncmp(r[i].value, "0002 ", 5) != 0)
      continue;
    if (rgs_order_company_id_parse(r[i].value + 5, digits, sizeof(digits), &kind) !=
        RGS_ORDER_OK) {
      snprintf(err, errlen, "OU=%s: %s", r[i].value, rgs_order_strerror(RGS_ORDER_ERR_SIREN));
      return 0;
    }
  }
  return 1;
}

/* C: an ISO 3166 code, written in capitals ("fr" -> FR), from --country
 * or from --subject. */
static int check_country(rdn *r, size_t n, int from_option, char *err, size_t errlen)
{
  char code[3], why[256];
  size_t i;

  for (i = 0; i < n; i++) {
    if (strcasecmp(r[i].type, "C") != 0)
      continue;
    if (rgs_order_country_parse(r[i].value, code, sizeof(code), why, sizeof(why)) != RGS_ORDER_OK) {
      snprintf(err, errlen, "%s: %s", from_option ? "--country" : "C", why);
      return 0;
    }
    snprintf(r[i].value, sizeof(r[i].value), "%s", code);
  }
  return 1;
}

static int add_fields(const rgs_subject_opts *o, rdn *r, size_t *n, char *err, size_t errlen)
{
  char digits[16], ou[32];
  rgs_order_company_id_kind kind;
  const char *id = o->siren != NULL ? o->siren : o->siret;

  if (o->siren != NULL && o->siret != NULL) {
    snprintf(err, errlen, "%s", _("--siren and --siret exclude each other"));
    return 0;
  }
  if (!add_rdn(r, n, "C", o->country != NULL ? o->country : "FR", err, errlen))
    return 0;     /* checked and written as a code with the rest (check_country) */
  if (o->o != NULL && !add_rdn(r, n, "O", o->o, err, errlen))
    return 0;
  if (id != NULL) {
    if (rgs_order_company_id_parse(id, digits, sizeof(digits), &kind) != RGS_ORDER_OK ||
        (o->siren != NULL && kind != RGS_ID_SIREN) || (o->siret != NULL && kind != RGS_ID_SIRET)) {
      snprintf(err, errlen, "%s %s: %s", o->siren != NULL ? "--siren" : "--siret", id,
               rgs_order_strerror(RGS_ORDER_ERR_SIREN));
      return 0;
    }
    snprintf(ou, sizeof(ou), "0002 %s", digits);
    if (!add_rdn(r, n, "OU", ou, err, errlen))
      return 0;
  }
  if (o->ou != NULL && !add_rdn(r, n, "OU", o->ou, err, errlen))
    return 0;
  if (o->cn != NULL && !add_rdn(r, n, "CN", o->cn, err, errlen))
    return 0;
  return 1;
}

int rgs_subject_build(const rgs_subject_opts *o, X509_NAME **out, char *err, size_t errlen)
{
  rdn r[RGS_RDN_MAX];
  size_t n = 0, i;
  X509_NAME *name = NULL;
  int ok = 0, has_cn = 0;

  *out = NULL;
  if (o->subject != NULL && (o->cn != NULL || o->o != NULL || o->siren != NULL ||
                             o->siret != NULL || o->ou != NULL || o->country != NULL)) {
    snprintf(err, errlen, "%s", _("--subject excludes --cn, --o, --ou, --siren, --siret and --country"));
    return 0;
  }
  if (o->email != NULL && !valid_email(o->email)) {
    snprintf(err, errlen, _("'%s' is not an email address"), o->email);
    return 0;
  }
  if (o->subject != NULL ? !parse_dn(o->subject, r, &n, err, errlen)
                         : !add_fields(o, r, &n, err, errlen))
    return 0;
  if (!check_company_ou(r, n, err, errlen) ||
      !check_country(r, n, o->subject == NULL, err, errlen))
    return 0;
  sort_rdns(r, n);
  name = X509_NAME_new();
  if (name == NULL)
    goto cleanup;
  for (i = 0; i < n; i++) {
    if (strcasecmp(r[i].type, "CN") == 0)
      has_cn = 1;
    if (X509_NAME_add_entry_by_txt(name, r[i].type, MBSTRING_UTF8,
                                   (const unsigned char *)r[i].value, -1, -1, 0) != 1) {
      snprintf(err, errlen, _("subject attribute %s=%s is not accepted"), r[i].type,
               r[i].value);
      goto cleanup;
    }
  }
  if (!has_cn) {
    snprintf(err, errlen, "%s", _("the subject needs a CN (--cn 'Prénom NOM')"));
    goto cleanup;
  }
  *out = name;
  name = NULL;
  ok = 1;

cleanup:
  X509_NAME_free(name);
  return ok;
}

char *rgs_subject_text(const X509_NAME *name)
{
  BIO *b = BIO_new(BIO_s_mem());
  char *text = NULL, *data = NULL;
  long len;

  if (b == NULL)
    return NULL;
  /* RFC 2253 escaping off for the person reading, UTF-8 kept as is; what
   * a CA or a requester wrote may still hold C1 controls or bidirectional
   * overrides, so the text is sanitised (never longer than its input). */
  if (X509_NAME_print_ex(b, name, 0, (XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) |
                                     ASN1_STRFLGS_UTF8_CONVERT) >= 0) {
    len = BIO_get_mem_data(b, &data);
    text = OPENSSL_malloc((size_t)len + 1);
    if (text != NULL)
      rgsx_sanitize_buf(text, (size_t)len + 1, data, (size_t)len);
  }
  BIO_free(b);
  return text;
}
