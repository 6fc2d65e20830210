/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * p11_uri.c - PKCS#11 URIs (RFC 7512) on p11-kit's P11KitUri: parse, format,
 * build from a token, match a token.
 *
 * Who does what in a parse:
 *  - p11-kit (p11_kit_uri_parse) reads the URI and decodes the attributes it
 *    stores exactly: object (CKA_LABEL), id (CKA_ID), type (CKA_CLASS, so a
 *    type means here what it means to every p11-kit tool), module-name and
 *    module-path.
 *  - A pre-scan of the text, before p11-kit sees it, keeps the house rules
 *    that p11-kit does not (it is lenient by design):
 *     . pin-value and pin-source are refused: PINs never travel in a URI
 *       (argv and shell histories are public), and p11-kit would keep a copy
 *       it frees without wiping;
 *     . an unknown attribute, one in the wrong part, or one given twice is an
 *       error that names it; vendor attributes ("x-" then lower-case letters,
 *       digits, '-' or '_', the names p11-kit accepts) are ignored;
 *     . an empty attribute (";;", a trailing ';' or '&') is an error (p11-kit
 *       would read what follows ";;" as the query);
 *     . a bad escape, %00 outside id, and a raw space or control character
 *       are errors that quote the culprit (p11-kit silently drops spaces);
 *       raw UTF-8 and a raw '/' or '&' in a path value are accepted, as
 *       people paste them from token listings;
 *     . the scheme "pkcs11:" is matched case-insensitively, the length
 *       bounded.
 *  - Every value is decoded by p11-kit. The fixed-width token, slot and
 *    library fields, which p11-kit 0.24 pads with blanks and drops when too
 *    long ("Gemalto%20" would equal "Gemalto"), are handed to it as an
 *    object label, which it keeps exactly. Only the numbers are read here:
 *    slot-id (p11-kit reads it into a signed long: "slot-id=" and 2^64 both
 *    become slot 0, 2^64 - 1 reads as absent) and library-version (p11-kit
 *    refuses 255).
 *
 * Canonical form (rgs_p11_uri_format), stable across releases because URIs
 * end up in scripts and in the order store (key_uri); p11_kit_uri_format
 * orders and escapes differently, so formatting stays here:
 *   path:  library-manufacturer, library-description, library-version,
 *          slot-manufacturer, slot-description, slot-id,
 *          token, manufacturer, serial, model, object, type, id
 *   query: module-name, module-path
 * Text values keep the RFC's unreserved characters and its reserved-but-
 * allowed subset raw and percent-encode every other byte as %XX (upper-case
 * hex); id is always fully percent-encoded, one %XX per byte, as p11-kit does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "p11_kitlib.h"

#include "rgs_p11.h"
#include "rgs_common.h"
#include "p11_internal.h"

/* Longer input is refused: no real URI comes close, and a bound keeps the
 * parser's cost (and fuzzing) meaningful. */
#define URI_MAX_LEN (64u * 1024u)

#define URI_SCHEME "pkcs11:"
#define URI_SCHEME_LEN (sizeof(URI_SCHEME) - 1)

/* How many bytes of an attribute name a message quotes. */
#define URI_NAME_QUOTE 48

#define DIGITS "0123456789"

struct rgs_p11_uri {
  char *attrs[RGS_URI_N_ATTRS];  /* decoded text values, NULL when absent */
  unsigned char *id;             /* non-NULL when present, even with 0 bytes */
  size_t id_len;
  int has_slot_id;
  CK_SLOT_ID slot_id;
  int has_lib_version;
  CK_VERSION lib_version;
};

typedef enum {
  KIND_FIELD = 0,     /* fixed-width PKCS#11 field, decoded here: attrs[attr] */
  KIND_SLOT_ID,       /* decoded here */
  KIND_LIB_VERSION,   /* decoded here */
  KIND_LABEL,         /* from p11-kit's CKA_LABEL: attrs[RGS_URI_OBJECT] */
  KIND_TYPE,          /* from p11-kit's CKA_CLASS: attrs[RGS_URI_TYPE] */
  KIND_ID,            /* from p11-kit's CKA_ID */
  KIND_MODULE_NAME,   /* from p11-kit */
  KIND_MODULE_PATH,   /* from p11-kit: attrs[RGS_URI_MODULE_PATH] */
} uri_kind;

typedef struct {
  const char *name;
  int query;          /* 1: query attribute (after '?') */
  uri_kind kind;
  int attr;           /* rgs_p11_uri_attr where the value lives, else -1 */
} uri_attr_def;

/* In canonical order: rgs_p11_uri_format walks this table. */
static const uri_attr_def uri_attrs[] = {
  { "library-manufacturer", 0, KIND_FIELD, RGS_URI_LIBRARY_MANUFACTURER },
  { "library-description", 0, KIND_FIELD, RGS_URI_LIBRARY_DESCRIPTION },
  { "library-version", 0, KIND_LIB_VERSION, -1 },
  { "slot-manufacturer", 0, KIND_FIELD, RGS_URI_SLOT_MANUFACTURER },
  { "slot-description", 0, KIND_FIELD, RGS_URI_SLOT_DESCRIPTION },
  { "slot-id", 0, KIND_SLOT_ID, -1 },
  { "token", 0, KIND_FIELD, RGS_URI_TOKEN },
  { "manufacturer", 0, KIND_FIELD, RGS_URI_MANUFACTURER },
  { "serial", 0, KIND_FIELD, RGS_URI_SERIAL },
  { "model", 0, KIND_FIELD, RGS_URI_MODEL },
  { "object", 0, KIND_LABEL, RGS_URI_OBJECT },
  { "type", 0, KIND_TYPE, RGS_URI_TYPE },
  { "id", 0, KIND_ID, -1 },
  { "module-name", 1, KIND_MODULE_NAME, RGS_URI_MODULE_NAME },
  { "module-path", 1, KIND_MODULE_PATH, RGS_URI_MODULE_PATH },
};

/* RFC 7512's five object types, as p11-kit maps them. */
static const struct {
  CK_OBJECT_CLASS klass;
  const char *name;
} uri_types[] = {
  { CKO_PUBLIC_KEY, "public" }, { CKO_PRIVATE_KEY, "private" }, { CKO_CERTIFICATE, "cert" },
  { CKO_SECRET_KEY, "secret-key" }, { CKO_DATA, "data" },
};

/* What the pre-scan hands on to the reading of p11-kit's result. */
typedef struct {
  unsigned seen;            /* bit i: uri_attrs[i] given */
  const char *type_value;   /* raw value of type=, for a message */
  size_t type_len;
} uri_scan;

/* ---- small helpers ---------------------------------------------------- */

/* A printable copy of untrusted bytes for a message, cut when long. */
static void quote_bytes(char *dst, size_t cap, const char *src, size_t len)
{
  size_t n = len < URI_NAME_QUOTE ? len : URI_NAME_QUOTE;

  rgsx_sanitize_buf(dst, cap, src, n);
  if (n < len && strlen(dst) + 4 <= cap)
    strcat(dst, "...");
}

/* How many of the first len bytes of s are in set. */
static size_t span_in(const char *s, size_t len, const char *set)
{
  size_t i = 0;

  while (i < len && s[i] != '\0' && strchr(set, s[i]) != NULL)
    i++;
  return i;
}

/* RFC 7512 pk11-pchar without pct-encoded: what a path value may hold raw. */
static int is_path_char(unsigned char c)
{
  return c != '\0' && strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                             "-._~:[]@!$'()*+,=", c) != NULL;
}

/* RFC 7512 pk11-qchar without pct-encoded: what a query value may hold raw. */
static int is_query_char(unsigned char c)
{
  return is_path_char(c) || c == '/' || c == '?' || c == '|';
}

/* Raw bytes accepted on input: the RFC's set, plus UTF-8 bytes and, in the
 * path, '/' and '&' (unambiguous there, and common in pasted labels). */
static int raw_ok(unsigned char c, int query)
{
  int ok;

  if (c >= 0x80)
    ok = 1;
  else if (query)
    ok = is_query_char(c);
  else
    ok = is_path_char(c) || c == '/' || c == '&';
  return ok;
}

static int name_is(const char *s, size_t len, const char *name)
{
  return strlen(name) == len && memcmp(s, name, len) == 0;
}

static const uri_attr_def *find_attr(const char *name, size_t len)
{
  const uri_attr_def *found = NULL;
  size_t i;

  for (i = 0; i < RGS_ARRAY_LEN(uri_attrs) && found == NULL; i++) {
    if (name_is(name, len, uri_attrs[i].name))
      found = &uri_attrs[i];
  }
  return found;
}

static const char *type_name(CK_OBJECT_CLASS klass)
{
  const char *name = NULL;
  size_t i;

  for (i = 0; i < RGS_ARRAY_LEN(uri_types) && name == NULL; i++) {
    if (uri_types[i].klass == klass)
      name = uri_types[i].name;
  }
  return name;
}

static int type_is_valid(const char *value)
{
  size_t i;
  int ok = 0;

  for (i = 0; i < RGS_ARRAY_LEN(uri_types) && !ok; i++)
    ok = (strcmp(value, uri_types[i].name) == 0);
  return ok;
}

/* A NUL-terminated copy of len bytes (malloc, not strndup: allocation-
 * failure tests wrap malloc). */
static char *dup_bytes(const void *src, size_t len)
{
  char *copy = malloc(len + 1);

  if (copy != NULL) {
    if (len > 0)
      memcpy(copy, src, len);
    copy[len] = '\0';
  }
  return copy;
}

/* Replace *slot by a copy of len bytes at src, or clear it (src NULL). */
static rgs_p11_rc set_bytes(char **slot, const void *src, size_t len)
{
  rgs_p11_rc rc = RGS_P11_OK;
  char *copy = src != NULL ? dup_bytes(src, len) : NULL;

  if (src != NULL && copy == NULL) {
    rc = RGS_P11_ERR_NOMEM;
  } else {
    free(*slot);
    *slot = copy;
  }
  return rc;
}

/* ---- the pre-scan: house rules on the raw text ------------------------ */

/* Check the raw value [s, e) of attribute name: well-formed escapes, no raw
 * character that RFC 7512 wants encoded, no %00 unless nul_ok. p11-kit
 * decodes it afterwards. */
static rgs_p11_rc scan_value(const char *name, const char *s, const char *e, int query,
                             int nul_ok, char *errbuf, size_t errlen)
{
  rgs_p11_rc rc = RGS_P11_OK;
  const char *p = s;
  char quoted[URI_NAME_QUOTE + 8];

  while (p < e && rc == RGS_P11_OK) {
    unsigned char c = (unsigned char)*p;
    unsigned char byte = 0;
    if (c == '%' && !(e - p >= 3 && rgsx_hex_byte(p + 1, 0, &byte))) {
      quote_bytes(quoted, sizeof(quoted), p, (size_t)(e - p) < 3 ? (size_t)(e - p) : 3);
      rgsx_errf(errbuf, errlen,
                _("bad percent escape \"%s\" in the value of \"%s\" (expected %% and two hexadecimal digits)"),
                quoted, name);
      rc = RGS_P11_ERR_URI;
    } else if (c == '%' && byte == 0 && !nul_ok) {
      rgsx_errf(errbuf, errlen, _("the value of \"%s\" contains a NUL byte (%%00)"), name);
      rc = RGS_P11_ERR_URI;
    } else if (c != '%' && !raw_ok(c, query)) {
      if (c == ' ')
        rgsx_errf(errbuf, errlen, _("a space in the value of \"%s\" must be written %%20"), name);
      else if (c > 0x20 && c < 0x7f)
        rgsx_errf(errbuf, errlen,
                  _("character '%c' in the value of \"%s\" must be percent-encoded as %%%02X"),
                  c, name, c);
      else
        rgsx_errf(errbuf, errlen,
                  _("control character 0x%02X in the value of \"%s\" must be percent-encoded as %%%02X"),
                  c, name, c);
      rc = RGS_P11_ERR_URI;
    }
    p += c == '%' ? 3 : 1;
  }
  return rc;
}

/* Numbers are read from the raw text: RFC 7512 allows only digits there, no
 * escape, as p11-kit reads them. The value [s, s + len) is followed by a
 * separator, '?', '.' or the end of the text, never by a digit. */

/* slot-id = 1*DIGIT, within CK_SLOT_ID. */
static int parse_slot_id(const char *s, size_t len, CK_SLOT_ID *out)
{
  unsigned long v = 0;
  int ok = (len > 0 && span_in(s, len, DIGITS) == len);

  if (ok) {
    errno = 0;
    v = strtoul(s, NULL, 10);
    ok = (errno == 0);
  }
  if (ok)
    *out = (CK_SLOT_ID)v;
  return ok;
}

/* 1*DIGIT with a value up to 255 (a CK_VERSION byte). */
static int parse_version_part(const char *s, size_t len, CK_BYTE *out)
{
  unsigned long v = 0;
  int ok = (len > 0 && span_in(s, len, DIGITS) == len);

  if (ok) {
    v = strtoul(s, NULL, 10);   /* ULONG_MAX when too long: above 255 too */
    ok = (v <= 255);
  }
  if (ok)
    *out = (CK_BYTE)v;
  return ok;
}

/* library-version = 1*DIGIT [ "." 1*DIGIT ]; "2" means 2.0. */
static int parse_lib_version(const char *s, size_t len, CK_VERSION *out)
{
  const char *dot = memchr(s, '.', len);
  CK_VERSION v = { 0, 0 };
  int ok;

  if (dot == NULL) {
    ok = parse_version_part(s, len, &v.major);
  } else {
    ok = parse_version_part(s, (size_t)(dot - s), &v.major) &&
         parse_version_part(dot + 1, len - (size_t)(dot - s) - 1, &v.minor);
  }
  if (ok)
    *out = v;
  return ok;
}

static rgs_p11_rc store_number(rgs_p11_uri *uri, const uri_attr_def *def, const char *s,
                               size_t len, char *errbuf, size_t errlen)
{
  rgs_p11_rc rc = RGS_P11_OK;

  if (def->kind == KIND_SLOT_ID) {
    uri->has_slot_id = parse_slot_id(s, len, &uri->slot_id);
    if (!uri->has_slot_id) {
      rgsx_errf(errbuf, errlen, _("slot-id must be a decimal number"));
      rc = RGS_P11_ERR_URI;
    }
  } else {
    uri->has_lib_version = parse_lib_version(s, len, &uri->lib_version);
    if (!uri->has_lib_version) {
      rgsx_errf(errbuf, errlen,
                _("library-version must be MAJOR or MAJOR.MINOR, numbers from 0 to 255"));
      rc = RGS_P11_ERR_URI;
    }
  }
  return rc;
}

/* The value [s, e) of a fixed-width field, decoded by p11-kit as an object
 * label: p11-kit 0.24 keeps token, slot and library fields in blank-padded
 * CK_*_INFO arrays ("Gemalto%20" would read as "Gemalto", a longer value
 * would be dropped), but a label exactly. */
static rgs_p11_rc store_field(rgs_p11_uri *uri, const uri_attr_def *def, const char *s,
                              const char *e)
{
  static const char prefix[] = "pkcs11:object=";
  size_t n = (size_t)(e - s);
  /* loaded by rgs_p11_uri_parse before the scan */
  const rgs_p11kit *k = rgs_p11kit_get(NULL, 0);
  char *text = malloc(sizeof(prefix) + n);
  P11KitUri *pk = k != NULL ? k->uri_new() : NULL;
  CK_ATTRIBUTE *label = NULL;
  rgs_p11_rc rc = RGS_P11_ERR_NOMEM;

  if (text == NULL || pk == NULL)
    goto cleanup;
  memcpy(text, prefix, sizeof(prefix) - 1);
  memcpy(text + sizeof(prefix) - 1, s, n);
  text[sizeof(prefix) - 1 + n] = '\0';
  /* The pre-scan leaves p11-kit no cause to fail but memory. */
  if (k->uri_parse(text, P11_KIT_URI_FOR_OBJECT, pk) != P11_KIT_URI_OK)
    goto cleanup;
  label = k->uri_get_attribute(pk, CKA_LABEL);
  if (label != NULL && label->ulValueLen > 0)
    rc = set_bytes(&uri->attrs[def->attr], label->pValue, label->ulValueLen);
  else
    rc = set_bytes(&uri->attrs[def->attr], "", 0);

cleanup:
  if (pk != NULL)
    k->uri_free(pk);
  free(text);
  return rc;
}

static int is_pin_attr(const char *name, size_t len)
{
  return name_is(name, len, "pin-value") || name_is(name, len, "pin-source");
}

/* "x-" then the characters p11-kit allows in a vendor query name. */
static int is_vendor_attr(const char *name, size_t len)
{
  return len > 2 && name[0] == 'x' && name[1] == '-' &&
         span_in(name + 2, len - 2, "abcdefghijklmnopqrstuvwxyz" DIGITS "-_") == len - 2;
}

/* Find the definition of [name, name + len) for this part of the URI, or
 * explain why there is none. *def stays NULL for an ignored vendor
 * attribute. */
static rgs_p11_rc lookup_attr(const char *name, size_t len, int query,
                              const uri_attr_def **def, char *errbuf, size_t errlen)
{
  rgs_p11_rc rc = RGS_P11_OK;
  const uri_attr_def *d = NULL;
  char quoted[URI_NAME_QUOTE + 8];

  *def = NULL;
  quote_bytes(quoted, sizeof(quoted), name, len);
  if (is_pin_attr(name, len)) {
    rgsx_errf(errbuf, errlen,
              _("the URI carries a PIN (\"%s\"), which is refused: PINs never travel in a URI; "
                "give it at the prompt, on the pinpad, or with --pin-file or --pin-fd"),
              quoted);
    rc = RGS_P11_ERR_URI;
    goto cleanup;
  }
  if (is_vendor_attr(name, len))
    goto cleanup;
  d = find_attr(name, len);
  if (d == NULL) {
    rgsx_errf(errbuf, errlen, _("unknown attribute \"%s\" in the PKCS#11 URI"), quoted);
    rc = RGS_P11_ERR_URI;
  } else if (d->query != query) {
    rgsx_errf(errbuf, errlen,
              d->query ? _("attribute \"%s\" belongs in the query part, after '?'")
                       : _("attribute \"%s\" belongs in the path part, before '?'"),
              quoted);
    rc = RGS_P11_ERR_URI;
  } else {
    *def = d;
  }

cleanup:
  return rc;
}

/* One NAME=VALUE of [s, e): the rules on the name, then on the value. */
static rgs_p11_rc scan_attr(rgs_p11_uri *uri, const char *s, const char *e, int query,
                            uri_scan *scan, char *errbuf, size_t errlen)
{
  rgs_p11_rc rc = RGS_P11_OK;
  const char *eq = memchr(s, '=', (size_t)(e - s));
  const uri_attr_def *def = NULL;
  unsigned bit;
  char quoted[URI_NAME_QUOTE + 8];

  if (eq == NULL || eq == s) {
    quote_bytes(quoted, sizeof(quoted), s, (size_t)(e - s));
    rgsx_errf(errbuf, errlen, _("\"%s\" is not of the form NAME=VALUE"), quoted);
    rc = RGS_P11_ERR_URI;
    goto cleanup;
  }
  rc = lookup_attr(s, (size_t)(eq - s), query, &def, errbuf, errlen);
  if (rc != RGS_P11_OK)
    goto cleanup;
  if (def == NULL) {
    /* Vendor attributes are ignored, but their value must still be well
     * formed: a broken escape there is a broken URI. */
    quote_bytes(quoted, sizeof(quoted), s, (size_t)(eq - s));
    rc = scan_value(quoted, eq + 1, e, query, 0, errbuf, errlen);
    goto cleanup;
  }
  bit = 1u << (unsigned)(def - uri_attrs);
  if (scan->seen & bit) {
    rgsx_errf(errbuf, errlen, _("attribute \"%s\" appears twice in the PKCS#11 URI"), def->name);
    rc = RGS_P11_ERR_URI;
    goto cleanup;
  }
  scan->seen |= bit;
  if (def->kind == KIND_TYPE) {
    scan->type_value = eq + 1;
    scan->type_len = (size_t)(e - eq - 1);
  }
  rc = scan_value(def->name, eq + 1, e, query, def->kind == KIND_ID, errbuf, errlen);
  if (rc == RGS_P11_OK && def->kind == KIND_FIELD)
    rc = store_field(uri, def, eq + 1, e);
  if (rc == RGS_P11_OK && (def->kind == KIND_SLOT_ID || def->kind == KIND_LIB_VERSION))
    rc = store_number(uri, def, eq + 1, (size_t)(e - eq - 1), errbuf, errlen);

cleanup:
  return rc;
}

/* One part of the URI: the path (attributes separated by ';') or the query
 * (separated by '&'). An empty part is fine; an empty attribute is not. */
static rgs_p11_rc scan_part(rgs_p11_uri *uri, const char *s, const char *e, int query,
                            uri_scan *scan, char *errbuf, size_t errlen)
{
  rgs_p11_rc rc = RGS_P11_OK;
  const char sep = query ? '&' : ';';
  const char *p = s;

  while (p < e && rc == RGS_P11_OK) {
    const char *end = memchr(p, sep, (size_t)(e - p));
    if (end == NULL)
      end = e;
    if (end == p)
      rc = RGS_P11_ERR_URI;
    else
      rc = scan_attr(uri, p, end, query, scan, errbuf, errlen);
    /* A separator at the very end leaves an empty attribute too. */
    if (end == p || (rc == RGS_P11_OK && end + 1 == e)) {
      rgsx_errf(errbuf, errlen, _("empty attribute (a doubled or stray '%c') in the PKCS#11 URI"),
                sep);
      rc = RGS_P11_ERR_URI;
    }
    p = end + 1;
  }
  return rc;
}

/* ---- p11-kit's reading ------------------------------------------------ */

/* Copy what p11-kit decoded into uri. */
static rgs_p11_rc take_from_p11kit(rgs_p11_uri *uri, const rgs_p11kit *kit, P11KitUri *pk)
{
  rgs_p11_rc rc = RGS_P11_OK;
  CK_ATTRIBUTE *label = kit->uri_get_attribute(pk, CKA_LABEL);
  CK_ATTRIBUTE *id = kit->uri_get_attribute(pk, CKA_ID);
  CK_ATTRIBUTE *klass = kit->uri_get_attribute(pk, CKA_CLASS);
  const char *name = kit->uri_get_module_name(pk);
  const char *path = kit->uri_get_module_path(pk);
  const char *type = NULL;
  CK_OBJECT_CLASS k;

  if (klass != NULL && klass->ulValueLen == sizeof(k)) {
    memcpy(&k, klass->pValue, sizeof(k));
    type = type_name(k);
  }
  if (label != NULL)
    rc = set_bytes(&uri->attrs[RGS_URI_OBJECT], label->pValue, label->ulValueLen);
  /* "id=" is an empty id, present: never a NULL pointer here. */
  if (rc == RGS_P11_OK && id != NULL)
    rc = rgs_p11_uri_set_id(uri, id->ulValueLen > 0 ? id->pValue : (const void *)"",
                            id->ulValueLen);
  if (rc == RGS_P11_OK && type != NULL)
    rc = set_bytes(&uri->attrs[RGS_URI_TYPE], type, strlen(type));
  if (rc == RGS_P11_OK && name != NULL)
    rc = set_bytes(&uri->attrs[RGS_URI_MODULE_NAME], name, strlen(name));
  if (rc == RGS_P11_OK && path != NULL)
    rc = set_bytes(&uri->attrs[RGS_URI_MODULE_PATH], path, strlen(path));
  return rc;
}

/* Have p11-kit read text (which passed the pre-scan) into uri. */
static rgs_p11_rc read_with_p11kit(rgs_p11_uri *uri, const char *text, const uri_scan *scan,
                                   char *errbuf, size_t errlen)
{
  rgs_p11_rc rc = RGS_P11_OK;
  const rgs_p11kit *k = rgs_p11kit_get(NULL, 0);
  P11KitUri *pk = k != NULL ? k->uri_new() : NULL;
  int r;
  char quoted[URI_NAME_QUOTE + 8];

  if (pk == NULL) {
    rc = RGS_P11_ERR_NOMEM;
    goto cleanup;
  }
  /* FOR_OBJECT: p11-kit reads object, id, type and the query; the token,
   * slot and library fields were read by the pre-scan. */
  r = k->uri_parse(text, P11_KIT_URI_FOR_OBJECT, pk);
  if (r == P11_KIT_URI_NO_MEMORY) {
    /* the pre-scan leaves p11-kit no other cause for it */
    rc = RGS_P11_ERR_NOMEM;
    goto cleanup;
  }
  if (r != P11_KIT_URI_OK) {
    rgsx_errf(errbuf, errlen, _("p11-kit could not read the PKCS#11 URI: %s"),
              k->uri_message(r));
    rc = RGS_P11_ERR_URI;
    goto cleanup;
  }
  rc = take_from_p11kit(uri, k, pk);
  if (rc == RGS_P11_OK && scan->type_value != NULL && uri->attrs[RGS_URI_TYPE] == NULL) {
    quote_bytes(quoted, sizeof(quoted), scan->type_value, scan->type_len);
    rgsx_errf(errbuf, errlen,
              _("unknown object type \"%s\" (expected public, private, cert, secret-key or data)"),
              quoted);
    rc = RGS_P11_ERR_URI;
  }

cleanup:
  if (pk != NULL)
    k->uri_free(pk);
  return rc;
}

rgs_p11_rc rgs_p11_uri_parse(const char *text, rgs_p11_uri **out, char *errbuf, size_t errlen)
{
  rgs_p11_rc rc = RGS_P11_OK;
  rgs_p11_uri *uri = NULL;
  uri_scan scan = { 0, NULL, 0 };
  size_t len;
  const char *body;
  const char *end;
  const char *qmark;

  rgsx_errf(errbuf, errlen, "%s", "");
  if (out != NULL)
    *out = NULL;
  if (text == NULL || out == NULL) {
    rgsx_errf(errbuf, errlen, _("no PKCS#11 URI given"));
    rc = RGS_P11_ERR_ARG;
    goto cleanup;
  }
  len = strnlen(text, URI_MAX_LEN + 1);
  if (len > URI_MAX_LEN) {
    rgsx_errf(errbuf, errlen, _("the PKCS#11 URI is longer than %u bytes"), URI_MAX_LEN);
    rc = RGS_P11_ERR_URI;
    goto cleanup;
  }
  if (len < URI_SCHEME_LEN || strncasecmp(text, URI_SCHEME, URI_SCHEME_LEN) != 0) {
    rgsx_errf(errbuf, errlen, _("a PKCS#11 URI starts with \"pkcs11:\""));
    rc = RGS_P11_ERR_URI;
    goto cleanup;
  }
  if (rgs_p11kit_get(errbuf, errlen) == NULL) {
    rc = RGS_P11_ERR_MODULE_LOAD;
    goto cleanup;
  }
  uri = rgs_p11_uri_new();
  if (uri == NULL) {
    rc = RGS_P11_ERR_NOMEM;
    goto cleanup;
  }
  body = text + URI_SCHEME_LEN;
  end = text + len;
  qmark = memchr(body, '?', (size_t)(end - body));
  rc = scan_part(uri, body, qmark != NULL ? qmark : end, 0, &scan, errbuf, errlen);
  if (rc == RGS_P11_OK && qmark != NULL)
    rc = scan_part(uri, qmark + 1, end, 1, &scan, errbuf, errlen);
  if (rc == RGS_P11_OK)
    rc = read_with_p11kit(uri, text, &scan, errbuf, errlen);
  if (rc != RGS_P11_OK)
    goto cleanup;
  *out = uri;
  uri = NULL;

cleanup:
  rgs_p11_uri_free(uri);
  return rc;
}

/* ---- the object ------------------------------------------------------- */

rgs_p11_uri *rgs_p11_uri_new(void)
{
  return calloc(1, sizeof(rgs_p11_uri));
}

void rgs_p11_uri_free(rgs_p11_uri *uri)
{
  size_t i;

  if (uri == NULL)
    return;
  for (i = 0; i < RGS_URI_N_ATTRS; i++)
    free(uri->attrs[i]);
  free(uri->id);
  free(uri);
}

const char *rgs_p11_uri_get(const rgs_p11_uri *uri, rgs_p11_uri_attr attr)
{
  const char *value = NULL;

  if (uri != NULL && (unsigned)attr < RGS_URI_N_ATTRS)
    value = uri->attrs[attr];
  return value;
}

rgs_p11_rc rgs_p11_uri_set(rgs_p11_uri *uri, rgs_p11_uri_attr attr, const char *value)
{
  rgs_p11_rc rc = RGS_P11_ERR_ARG;

  if (uri != NULL && (unsigned)attr < RGS_URI_N_ATTRS &&
      (value == NULL || attr != RGS_URI_TYPE || type_is_valid(value)))
    rc = set_bytes(&uri->attrs[attr], value, value != NULL ? strlen(value) : 0);
  return rc;
}

const unsigned char *rgs_p11_uri_get_id(const rgs_p11_uri *uri, size_t *len)
{
  const unsigned char *id = NULL;
  size_t n = 0;

  if (uri != NULL && uri->id != NULL) {
    id = uri->id;
    n = uri->id_len;
  }
  if (len != NULL)
    *len = n;
  return id;
}

rgs_p11_rc rgs_p11_uri_set_id(rgs_p11_uri *uri, const unsigned char *id, size_t len)
{
  rgs_p11_rc rc = RGS_P11_OK;
  unsigned char *copy = NULL;

  /* id NULL clears; id non-NULL with len 0 is an empty, present id. */
  if (uri == NULL || (id == NULL && len > 0)) {
    rc = RGS_P11_ERR_ARG;
    goto cleanup;
  }
  if (id != NULL) {
    copy = (unsigned char *)dup_bytes(id, len);
    if (copy == NULL) {
      rc = RGS_P11_ERR_NOMEM;
      goto cleanup;
    }
  }
  free(uri->id);
  uri->id = copy;
  uri->id_len = len;
  copy = NULL;

cleanup:
  free(copy);
  return rc;
}

int rgs_p11_uri_get_slot_id(const rgs_p11_uri *uri, CK_SLOT_ID *slot)
{
  int present = (uri != NULL && uri->has_slot_id);

  if (present && slot != NULL)
    *slot = uri->slot_id;
  return present;
}

/* ---- formatting ------------------------------------------------------- */

/* Percent-encode a value; all = 1 encodes every byte (id). */
static void put_encoded(FILE *f, const unsigned char *v, size_t n, int query, int all)
{
  size_t i;

  for (i = 0; i < n; i++) {
    if (!all && (query ? is_query_char(v[i]) : is_path_char(v[i])))
      fputc(v[i], f);
    else
      fprintf(f, "%%%02X", (unsigned)v[i]);
  }
}

/* The text of a present attribute (NULL when absent); num holds the
 * digits of the numeric ones. */
static const char *attr_text(const uri_attr_def *def, const rgs_p11_uri *uri, char *num,
                             size_t cap)
{
  const char *v = NULL;

  switch (def->kind) {
  case KIND_FIELD:
  case KIND_LABEL:
  case KIND_TYPE:
  case KIND_MODULE_PATH:
  case KIND_MODULE_NAME:
    v = uri->attrs[def->attr];
    break;
  case KIND_ID:
    v = uri->id != NULL ? "" : NULL;   /* encoded from uri->id by the caller */
    break;
  case KIND_SLOT_ID:
    if (uri->has_slot_id) {
      snprintf(num, cap, "%lu", (unsigned long)uri->slot_id);
      v = num;
    }
    break;
  case KIND_LIB_VERSION:
    if (uri->has_lib_version) {
      snprintf(num, cap, "%u.%u", (unsigned)uri->lib_version.major,
               (unsigned)uri->lib_version.minor);
      v = num;
    }
    break;
  }
  return v;
}

/* Append "NAME=VALUE" for one attribute when present, preceded by lead for
 * the first attribute of its part ("" in the path, "?" for the query) and by
 * the part's separator otherwise. */
static void put_attr(FILE *f, const uri_attr_def *def, const rgs_p11_uri *uri, int *first,
                     const char *lead)
{
  char num[32];
  const char *v = attr_text(def, uri, num, sizeof(num));

  if (v == NULL)
    return;
  fprintf(f, "%s%s=", *first ? lead : (def->query ? "&" : ";"), def->name);
  if (def->kind == KIND_ID)
    put_encoded(f, uri->id, uri->id_len, 0, 1);
  else
    put_encoded(f, (const unsigned char *)v, strlen(v), def->query, 0);
  *first = 0;
}

char *rgs_p11_uri_format(const rgs_p11_uri *uri)
{
  char *out = NULL;
  size_t size = 0;
  FILE *f = NULL;
  size_t i;
  int first_path = 1;
  int first_query = 1;
  int failed;

  if (uri == NULL)
    goto cleanup;
  f = open_memstream(&out, &size);
  if (f == NULL)
    goto cleanup;
  fputs(URI_SCHEME, f);
  for (i = 0; i < RGS_ARRAY_LEN(uri_attrs); i++) {
    const uri_attr_def *def = &uri_attrs[i];
    if (def->query)
      put_attr(f, def, uri, &first_query, "?");
    else
      put_attr(f, def, uri, &first_path, "");
  }
  /* A failed allocation shows as a stream error, or at the final flush. */
  failed = ferror(f);
  if (fclose(f) != 0 || failed) {
    free(out);
    out = NULL;
  }

cleanup:
  return out;
}

/* ---- tokens ----------------------------------------------------------- */

/* Length of a fixed-size PKCS#11 field without its trailing blanks. */
static size_t field_len(const char *field, size_t cap)
{
  size_t n = strnlen(field, cap);

  while (n > 0 && field[n - 1] == ' ')
    n--;
  return n;
}

static rgs_p11_rc set_from_field(rgs_p11_uri *uri, rgs_p11_uri_attr attr, const char *field,
                                 size_t cap)
{
  size_t n = field_len(field, cap);

  return n > 0 ? set_bytes(&uri->attrs[attr], field, n) : RGS_P11_OK;
}

rgs_p11_rc rgs_p11_uri_for_token(const rgs_p11_slot_info *info, rgs_p11_uri **out)
{
  rgs_p11_rc rc = RGS_P11_OK;
  rgs_p11_uri *uri = NULL;

  if (out != NULL)
    *out = NULL;
  if (info == NULL || out == NULL) {
    rc = RGS_P11_ERR_ARG;
    goto cleanup;
  }
  /* Without a token every field is empty and the URI would be "pkcs11:",
   * which selects any token: refuse rather than hand that out. */
  if (!info->token_present) {
    rc = RGS_P11_ERR_NO_TOKEN;
    goto cleanup;
  }
  uri = rgs_p11_uri_new();
  if (uri == NULL) {
    rc = RGS_P11_ERR_NOMEM;
    goto cleanup;
  }
  rc = set_from_field(uri, RGS_URI_TOKEN, info->label, sizeof(info->label));
  if (rc == RGS_P11_OK)
    rc = set_from_field(uri, RGS_URI_MANUFACTURER, info->manufacturer, sizeof(info->manufacturer));
  if (rc == RGS_P11_OK)
    rc = set_from_field(uri, RGS_URI_MODEL, info->model, sizeof(info->model));
  if (rc == RGS_P11_OK)
    rc = set_from_field(uri, RGS_URI_SERIAL, info->serial, sizeof(info->serial));
  if (rc != RGS_P11_OK)
    goto cleanup;
  *out = uri;
  uri = NULL;

cleanup:
  rgs_p11_uri_free(uri);
  return rc;
}

/* An absent attribute matches anything; a present one must equal the
 * trimmed field exactly (byte for byte: labels are UTF-8 and case counts). */
static int field_matches(const char *want, const char *field, size_t cap)
{
  size_t n;

  if (want == NULL)
    return 1;
  n = field_len(field, cap);
  return strlen(want) == n && memcmp(want, field, n) == 0;
}

/* Both arguments are non-NULL here. */
static int token_matches(const rgs_p11_uri *uri, const rgs_p11_slot_info *info)
{
  int wants_token = uri->attrs[RGS_URI_TOKEN] != NULL || uri->attrs[RGS_URI_MANUFACTURER] != NULL ||
                    uri->attrs[RGS_URI_MODEL] != NULL || uri->attrs[RGS_URI_SERIAL] != NULL;

  /* An empty slot has empty token fields: "serial=" must not pick it. */
  if (wants_token && !info->token_present)
    return 0;
  return field_matches(uri->attrs[RGS_URI_TOKEN], info->label, sizeof(info->label)) &&
         field_matches(uri->attrs[RGS_URI_MANUFACTURER], info->manufacturer,
                       sizeof(info->manufacturer)) &&
         field_matches(uri->attrs[RGS_URI_MODEL], info->model, sizeof(info->model)) &&
         field_matches(uri->attrs[RGS_URI_SERIAL], info->serial, sizeof(info->serial)) &&
         field_matches(uri->attrs[RGS_URI_SLOT_DESCRIPTION], info->slot_description,
                       sizeof(info->slot_description)) &&
         field_matches(uri->attrs[RGS_URI_SLOT_MANUFACTURER], info->slot_manufacturer,
                       sizeof(info->slot_manufacturer)) &&
         (!uri->has_slot_id || uri->slot_id == info->slot_id);
}

int rgs_p11_uri_match_token(const rgs_p11_uri *uri, const rgs_p11_slot_info *info)
{
  int match = 0;

  if (uri != NULL && info != NULL)
    match = token_matches(uri, info);
  return match;
}
