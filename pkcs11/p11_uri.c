/*
 * p11_uri.c - PKCS#11 URIs (RFC 7512): parse, format, build from a token,
 * match a token.
 *
 * Parsing is strict where a mistake could select the wrong token or leak a
 * secret, and lenient only where the intent is plain:
 *  - the scheme "pkcs11:" is matched case-insensitively (RFC 3986, 3.1);
 *  - pin-value and pin-source are refused: PINs never travel in a URI (argv
 *    and shell histories are public);
 *  - an unknown attribute is an error that names it, except vendor path or
 *    query attributes whose name starts with "x-", which are ignored;
 *  - an attribute given twice is an error (which one would win?);
 *  - values are percent-decoded; a bad escape, %00 in a text value and a raw
 *    space or control character are errors (a space is written %20);
 *  - raw UTF-8 bytes and a raw '/' or '&' in a path value are accepted, as
 *    people paste them from token listings;
 *  - id is binary: any byte, %00 included.
 *
 * Canonical form (rgs_p11_uri_format), stable across releases because URIs
 * end up in scripts and in the order store:
 *   path:  library-manufacturer, library-description, library-version,
 *          slot-manufacturer, slot-description, slot-id,
 *          token, manufacturer, serial, model, object, type, id
 *   query: module-name, module-path
 * i.e. from the broadest scope to the narrowest. RFC 7512 fixes no order.
 * Text values keep the RFC's unreserved characters and its reserved-but-
 * allowed subset raw and percent-encode every other byte as %XX (upper-case
 * hex); id is always fully percent-encoded, one %XX per byte, as p11-kit does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rgs_p11.h"
#include "p11_internal.h"

/* Longer input is refused: no real URI comes close, and a bound keeps the
 * parser's cost (and fuzzing) meaningful. */
#define URI_MAX_LEN (64u * 1024u)

#define URI_SCHEME "pkcs11:"
#define URI_SCHEME_LEN (sizeof(URI_SCHEME) - 1)

/* How many bytes of an attribute name a message quotes. */
#define URI_NAME_QUOTE 48

struct rgs_p11_uri {
  char *attrs[RGS_URI_N_ATTRS];  /* decoded text values, NULL when absent */
  unsigned char *id;             /* non-NULL when present, even with 0 bytes */
  size_t id_len;
  int has_slot_id;
  CK_SLOT_ID slot_id;
  int has_lib_version;
  CK_VERSION lib_version;
  char *module_name;             /* query module-name (no rgs_p11_uri_attr) */
};

typedef enum {
  KIND_TEXT = 0,      /* stored in attrs[attr] */
  KIND_TYPE,          /* attrs[RGS_URI_TYPE], one of the RFC's five values */
  KIND_ID,
  KIND_SLOT_ID,
  KIND_LIB_VERSION,
  KIND_MODULE_NAME,
} uri_kind;

typedef struct {
  const char *name;
  int query;          /* 1: query attribute (after '?') */
  uri_kind kind;
  int attr;           /* rgs_p11_uri_attr for KIND_TEXT / KIND_TYPE, else -1 */
} uri_attr_def;

/* In canonical order: rgs_p11_uri_format walks this table. */
static const uri_attr_def uri_attrs[] = {
  { "library-manufacturer", 0, KIND_TEXT, RGS_URI_LIBRARY_MANUFACTURER },
  { "library-description", 0, KIND_TEXT, RGS_URI_LIBRARY_DESCRIPTION },
  { "library-version", 0, KIND_LIB_VERSION, -1 },
  { "slot-manufacturer", 0, KIND_TEXT, RGS_URI_SLOT_MANUFACTURER },
  { "slot-description", 0, KIND_TEXT, RGS_URI_SLOT_DESCRIPTION },
  { "slot-id", 0, KIND_SLOT_ID, -1 },
  { "token", 0, KIND_TEXT, RGS_URI_TOKEN },
  { "manufacturer", 0, KIND_TEXT, RGS_URI_MANUFACTURER },
  { "serial", 0, KIND_TEXT, RGS_URI_SERIAL },
  { "model", 0, KIND_TEXT, RGS_URI_MODEL },
  { "object", 0, KIND_TEXT, RGS_URI_OBJECT },
  { "type", 0, KIND_TYPE, RGS_URI_TYPE },
  { "id", 0, KIND_ID, -1 },
  { "module-name", 1, KIND_MODULE_NAME, -1 },
  { "module-path", 1, KIND_TEXT, RGS_URI_MODULE_PATH },
};

static const char *const uri_types[] = { "public", "private", "cert", "secret-key", "data" };

/* ---- small helpers ---------------------------------------------------- */

static void uri_error(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void uri_error(char *errbuf, size_t errlen, const char *fmt, ...)
{
  va_list ap;

  if (errbuf == NULL || errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(errbuf, errlen, fmt, ap);
  va_end(ap);
}

/* A printable copy of untrusted bytes for a message: control characters
 * become '?', and long names are cut. */
static void quote_bytes(char *dst, size_t cap, const char *src, size_t len)
{
  size_t i;
  size_t n = 0;

  for (i = 0; i < len && n + 4 < cap && i < URI_NAME_QUOTE; i++) {
    unsigned char c = (unsigned char)src[i];
    dst[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
  }
  if (i < len && n + 3 < cap) {
    memcpy(dst + n, "...", 3);
    n += 3;
  }
  dst[n] = '\0';
}

static int is_alpha(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
  return c >= '0' && c <= '9';
}

static int hex_value(unsigned char c)
{
  int v = -1;

  if (c >= '0' && c <= '9')
    v = c - '0';
  else if (c >= 'a' && c <= 'f')
    v = c - 'a' + 10;
  else if (c >= 'A' && c <= 'F')
    v = c - 'A' + 10;
  return v;
}

/* RFC 7512 pk11-unreserved. */
static int is_unreserved(unsigned char c)
{
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 7512 pk11-pchar without pct-encoded: what a path value may hold raw. */
static int is_path_char(unsigned char c)
{
  return is_unreserved(c) || (c != '\0' && strchr(":[]@!$'()*+,=", c) != NULL);
}

/* RFC 7512 pk11-qchar without pct-encoded: what a query value may hold raw. */
static int is_query_char(unsigned char c)
{
  return is_unreserved(c) || (c != '\0' && strchr(":[]@!$'()*+,=/?|", c) != NULL);
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

static int ascii_ncaseeq(const char *a, const char *b, size_t n)
{
  size_t i;
  int eq = 1;

  for (i = 0; i < n && eq; i++) {
    unsigned char x = (unsigned char)a[i];
    unsigned char y = (unsigned char)b[i];
    if (x >= 'A' && x <= 'Z')
      x = (unsigned char)(x + ('a' - 'A'));
    if (y >= 'A' && y <= 'Z')
      y = (unsigned char)(y + ('a' - 'A'));
    eq = (x == y);
  }
  return eq;
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

static int type_is_valid(const char *value)
{
  size_t i;
  int ok = 0;

  for (i = 0; i < RGS_ARRAY_LEN(uri_types) && !ok; i++)
    ok = (strcmp(value, uri_types[i]) == 0);
  return ok;
}

/* ---- decoding --------------------------------------------------------- */

/* Percent-decode [s, e) into a new NUL-terminated buffer (*out, *outlen
 * bytes before the terminator). */
static rgs_p11_rc decode_value(const char *name, const char *s, const char *e, int query,
                               char **out, size_t *outlen, char *errbuf, size_t errlen)
{
  rgs_p11_rc rc = RGS_P11_OK;
  char *buf = NULL;
  size_t n = 0;
  const char *p = s;
  char quoted[URI_NAME_QUOTE + 8];

  buf = malloc((size_t)(e - s) + 1);
  if (buf == NULL) {
    rc = RGS_P11_ERR_NOMEM;
    goto cleanup;
  }
  while (p < e && rc == RGS_P11_OK) {
    unsigned char c = (unsigned char)*p;
    if (c == '%') {
      int hi = -1;
      int lo = -1;
      if (e - p >= 3) {
        hi = hex_value((unsigned char)p[1]);
        lo = hex_value((unsigned char)p[2]);
      }
      if (hi < 0 || lo < 0) {
        quote_bytes(quoted, sizeof(quoted), p, (size_t)(e - p) < 3 ? (size_t)(e - p) : 3);
        uri_error(errbuf, errlen,
                  _("bad percent escape \"%s\" in the value of \"%s\" (expected %% and two hexadecimal digits)"),
                  quoted, name);
        rc = RGS_P11_ERR_URI;
      } else {
        buf[n++] = (char)((hi << 4) | lo);
        p += 3;
      }
    } else if (!raw_ok(c, query)) {
      if (c == ' ')
        uri_error(errbuf, errlen, _("a space in the value of \"%s\" must be written %%20"), name);
      else if (c > 0x20 && c < 0x7f)
        uri_error(errbuf, errlen,
                  _("character '%c' in the value of \"%s\" must be percent-encoded as %%%02X"),
                  c, name, c);
      else
        uri_error(errbuf, errlen,
                  _("control character 0x%02X in the value of \"%s\" must be percent-encoded as %%%02X"),
                  c, name, c);
      rc = RGS_P11_ERR_URI;
    } else {
      buf[n++] = (char)c;
      p++;
    }
  }
  if (rc != RGS_P11_OK)
    goto cleanup;
  buf[n] = '\0';
  *out = buf;
  *outlen = n;
  buf = NULL;

cleanup:
  free(buf);
  return rc;
}

/* slot-id = 1*DIGIT, within CK_SLOT_ID. */
static int parse_slot_id(const char *s, size_t len, CK_SLOT_ID *out)
{
  CK_SLOT_ID v = 0;
  size_t i;
  int ok = (len > 0);

  for (i = 0; i < len && ok; i++) {
    unsigned d = (unsigned)(unsigned char)s[i] - '0';
    if (!is_digit((unsigned char)s[i]) || v > ((CK_SLOT_ID)-1 - d) / 10)
      ok = 0;
    else
      v = v * 10 + d;
  }
  if (ok)
    *out = v;
  return ok;
}

/* 1*DIGIT with a value up to 255 (a CK_VERSION byte). */
static int parse_version_part(const char *s, size_t len, CK_BYTE *out)
{
  unsigned v = 0;
  size_t i;
  int ok = (len > 0);

  for (i = 0; i < len && ok; i++) {
    if (!is_digit((unsigned char)s[i]))
      ok = 0;
    else
      v = v * 10 + (unsigned)(s[i] - '0');
    if (v > 255)
      ok = 0;
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

/* Store one decoded value; takes ownership of *value (set to NULL when
 * kept). */
static rgs_p11_rc store_value(rgs_p11_uri *uri, const uri_attr_def *def, char **value,
                              size_t len, char *errbuf, size_t errlen)
{
  rgs_p11_rc rc = RGS_P11_OK;
  char quoted[URI_NAME_QUOTE + 8];

  if (def->kind != KIND_ID && memchr(*value, '\0', len) != NULL) {
    uri_error(errbuf, errlen, _("the value of \"%s\" contains a NUL byte (%%00)"), def->name);
    rc = RGS_P11_ERR_URI;
    goto cleanup;
  }
  switch (def->kind) {
  case KIND_TEXT:
    uri->attrs[def->attr] = *value;
    *value = NULL;
    break;
  case KIND_TYPE:
    if (!type_is_valid(*value)) {
      quote_bytes(quoted, sizeof(quoted), *value, len);
      uri_error(errbuf, errlen,
                _("unknown object type \"%s\" (expected public, private, cert, secret-key or data)"),
                quoted);
      rc = RGS_P11_ERR_URI;
      break;
    }
    uri->attrs[def->attr] = *value;
    *value = NULL;
    break;
  case KIND_ID:
    uri->id = (unsigned char *)*value;
    uri->id_len = len;
    *value = NULL;
    break;
  case KIND_SLOT_ID:
    if (!parse_slot_id(*value, len, &uri->slot_id)) {
      uri_error(errbuf, errlen, _("slot-id must be a decimal number"));
      rc = RGS_P11_ERR_URI;
      break;
    }
    uri->has_slot_id = 1;
    break;
  case KIND_LIB_VERSION:
    if (!parse_lib_version(*value, len, &uri->lib_version)) {
      uri_error(errbuf, errlen,
                _("library-version must be MAJOR or MAJOR.MINOR, numbers from 0 to 255"));
      rc = RGS_P11_ERR_URI;
      break;
    }
    uri->has_lib_version = 1;
    break;
  case KIND_MODULE_NAME:
    uri->module_name = *value;
    *value = NULL;
    break;
  }

cleanup:
  return rc;
}

/* ---- parsing ---------------------------------------------------------- */

static int is_pin_attr(const char *name, size_t len)
{
  return name_is(name, len, "pin-value") || name_is(name, len, "pin-source");
}

static int is_vendor_attr(const char *name, size_t len)
{
  return len > 2 && name[0] == 'x' && name[1] == '-';
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
    uri_error(errbuf, errlen,
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
    uri_error(errbuf, errlen, _("unknown attribute \"%s\" in the PKCS#11 URI"), quoted);
    rc = RGS_P11_ERR_URI;
  } else if (d->query != query) {
    uri_error(errbuf, errlen,
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

static rgs_p11_rc parse_attr(rgs_p11_uri *uri, const char *s, const char *e, int query,
                             unsigned *seen, char *errbuf, size_t errlen)
{
  rgs_p11_rc rc = RGS_P11_OK;
  const char *eq = memchr(s, '=', (size_t)(e - s));
  const uri_attr_def *def = NULL;
  char *value = NULL;
  size_t len = 0;
  unsigned bit;
  char quoted[URI_NAME_QUOTE + 8];

  if (eq == NULL || eq == s) {
    quote_bytes(quoted, sizeof(quoted), s, (size_t)(e - s));
    uri_error(errbuf, errlen, _("\"%s\" is not of the form NAME=VALUE"), quoted);
    rc = RGS_P11_ERR_URI;
    goto cleanup;
  }
  rc = lookup_attr(s, (size_t)(eq - s), query, &def, errbuf, errlen);
  if (rc != RGS_P11_OK)
    goto cleanup;
  /* Vendor attributes are ignored, but their value must still be well
   * formed: a broken escape there is a broken URI. */
  quote_bytes(quoted, sizeof(quoted), s, (size_t)(eq - s));
  rc = decode_value(def != NULL ? def->name : quoted, eq + 1, e, query, &value, &len, errbuf,
                    errlen);
  if (rc != RGS_P11_OK || def == NULL)
    goto cleanup;
  bit = 1u << (unsigned)(def - uri_attrs);
  if (*seen & bit) {
    uri_error(errbuf, errlen, _("attribute \"%s\" appears twice in the PKCS#11 URI"), def->name);
    rc = RGS_P11_ERR_URI;
    goto cleanup;
  }
  *seen |= bit;
  rc = store_value(uri, def, &value, len, errbuf, errlen);

cleanup:
  free(value);
  return rc;
}

/* One part of the URI: the path (attributes separated by ';') or the query
 * (separated by '&'). An empty part is fine; an empty attribute is not. */
static rgs_p11_rc parse_part(rgs_p11_uri *uri, const char *s, const char *e, int query,
                             unsigned *seen, char *errbuf, size_t errlen)
{
  rgs_p11_rc rc = RGS_P11_OK;
  const char sep = query ? '&' : ';';
  const char *p = s;

  while (p < e && rc == RGS_P11_OK) {
    const char *end = memchr(p, sep, (size_t)(e - p));
    if (end == NULL)
      end = e;
    if (end == p) {
      uri_error(errbuf, errlen, _("empty attribute (a doubled or stray '%c') in the PKCS#11 URI"),
                sep);
      rc = RGS_P11_ERR_URI;
    } else {
      rc = parse_attr(uri, p, end, query, seen, errbuf, errlen);
    }
    p = end + 1;
    /* A separator at the very end leaves an empty attribute too. */
    if (rc == RGS_P11_OK && end < e && p == e) {
      uri_error(errbuf, errlen, _("empty attribute (a doubled or stray '%c') in the PKCS#11 URI"),
                sep);
      rc = RGS_P11_ERR_URI;
    }
  }
  return rc;
}

rgs_p11_rc rgs_p11_uri_parse(const char *text, rgs_p11_uri **out, char *errbuf, size_t errlen)
{
  rgs_p11_rc rc = RGS_P11_OK;
  rgs_p11_uri *uri = NULL;
  size_t len;
  const char *body;
  const char *end;
  const char *qmark;
  unsigned seen = 0;

  if (errbuf != NULL && errlen > 0)
    errbuf[0] = '\0';
  if (out != NULL)
    *out = NULL;
  if (text == NULL || out == NULL) {
    uri_error(errbuf, errlen, _("no PKCS#11 URI given"));
    rc = RGS_P11_ERR_ARG;
    goto cleanup;
  }
  len = strnlen(text, URI_MAX_LEN + 1);
  if (len > URI_MAX_LEN) {
    uri_error(errbuf, errlen, _("the PKCS#11 URI is longer than %u bytes"), URI_MAX_LEN);
    rc = RGS_P11_ERR_URI;
    goto cleanup;
  }
  if (len < URI_SCHEME_LEN || !ascii_ncaseeq(text, URI_SCHEME, URI_SCHEME_LEN)) {
    uri_error(errbuf, errlen, _("a PKCS#11 URI starts with \"pkcs11:\""));
    rc = RGS_P11_ERR_URI;
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
  rc = parse_part(uri, body, qmark != NULL ? qmark : end, 0, &seen, errbuf, errlen);
  if (rc == RGS_P11_OK && qmark != NULL)
    rc = parse_part(uri, qmark + 1, end, 1, &seen, errbuf, errlen);
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
  free(uri->module_name);
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
  rgs_p11_rc rc = RGS_P11_OK;
  char *copy = NULL;

  if (uri == NULL || (unsigned)attr >= RGS_URI_N_ATTRS) {
    rc = RGS_P11_ERR_ARG;
    goto cleanup;
  }
  if (value != NULL && attr == RGS_URI_TYPE && !type_is_valid(value)) {
    rc = RGS_P11_ERR_ARG;
    goto cleanup;
  }
  if (value != NULL) {
    copy = strdup(value);
    if (copy == NULL) {
      rc = RGS_P11_ERR_NOMEM;
      goto cleanup;
    }
  }
  free(uri->attrs[attr]);
  uri->attrs[attr] = copy;
  copy = NULL;

cleanup:
  free(copy);
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
    copy = malloc(len > 0 ? len : 1);
    if (copy == NULL) {
      rc = RGS_P11_ERR_NOMEM;
      goto cleanup;
    }
    if (len > 0)
      memcpy(copy, id, len);
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

typedef struct {
  char *p;
  size_t len, cap;
  int oom;
} strbuf;

static void sb_put(strbuf *sb, const char *s, size_t n)
{
  if (sb->oom)
    return;
  if (sb->len + n + 1 > sb->cap) {
    size_t cap = sb->cap ? sb->cap : 64;
    char *np;
    while (cap < sb->len + n + 1)
      cap *= 2;
    np = realloc(sb->p, cap);
    if (np == NULL) {
      sb->oom = 1;
      return;
    }
    sb->p = np;
    sb->cap = cap;
  }
  memcpy(sb->p + sb->len, s, n);
  sb->len += n;
  sb->p[sb->len] = '\0';
}

static void sb_str(strbuf *sb, const char *s)
{
  sb_put(sb, s, strlen(s));
}

static void sb_pct(strbuf *sb, unsigned char c)
{
  static const char hex[] = "0123456789ABCDEF";
  char esc[3];

  esc[0] = '%';
  esc[1] = hex[c >> 4];
  esc[2] = hex[c & 0x0f];
  sb_put(sb, esc, sizeof(esc));
}

/* Percent-encode a value; all = 1 encodes every byte (id). */
static void sb_encode(strbuf *sb, const unsigned char *v, size_t n, int query, int all)
{
  size_t i;
  size_t run = 0;   /* start of the pending run of raw bytes */

  for (i = 0; i < n; i++) {
    int raw = !all && (query ? is_query_char(v[i]) : is_path_char(v[i]));
    if (!raw) {
      sb_put(sb, (const char *)v + run, i - run);
      sb_pct(sb, v[i]);
      run = i + 1;
    }
  }
  sb_put(sb, (const char *)v + run, n - run);
}

/* The text of a present attribute (NULL when absent); num holds the
 * digits of the numeric ones. */
static const char *attr_text(const uri_attr_def *def, const rgs_p11_uri *uri, char *num,
                             size_t cap)
{
  const char *v = NULL;

  switch (def->kind) {
  case KIND_TEXT:
  case KIND_TYPE:
    v = uri->attrs[def->attr];
    break;
  case KIND_MODULE_NAME:
    v = uri->module_name;
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
static void sb_attr(strbuf *sb, const uri_attr_def *def, const rgs_p11_uri *uri, int *first,
                    const char *lead)
{
  char num[32];
  const char *v = attr_text(def, uri, num, sizeof(num));

  if (v == NULL)
    return;
  sb_str(sb, *first ? lead : (def->query ? "&" : ";"));
  sb_str(sb, def->name);
  sb_str(sb, "=");
  if (def->kind == KIND_ID)
    sb_encode(sb, uri->id, uri->id_len, 0, 1);
  else
    sb_encode(sb, (const unsigned char *)v, strlen(v), def->query, 0);
  *first = 0;
}

char *rgs_p11_uri_format(const rgs_p11_uri *uri)
{
  strbuf sb = { NULL, 0, 0, 0 };
  char *out = NULL;
  size_t i;
  int first_path = 1;
  int first_query = 1;

  if (uri == NULL)
    goto cleanup;
  sb_str(&sb, URI_SCHEME);
  for (i = 0; i < RGS_ARRAY_LEN(uri_attrs); i++) {
    const uri_attr_def *def = &uri_attrs[i];
    if (def->query)
      sb_attr(&sb, def, uri, &first_query, "?");
    else
      sb_attr(&sb, def, uri, &first_path, "");
  }
  if (sb.oom)
    goto cleanup;
  out = sb.p;
  sb.p = NULL;

cleanup:
  free(sb.p);
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
  rgs_p11_rc rc = RGS_P11_OK;
  size_t n = field_len(field, cap);
  char *copy = NULL;

  if (n == 0)
    goto cleanup;
  /* malloc, not strndup: allocation-failure tests wrap malloc. */
  copy = malloc(n + 1);
  if (copy == NULL) {
    rc = RGS_P11_ERR_NOMEM;
    goto cleanup;
  }
  memcpy(copy, field, n);
  copy[n] = '\0';
  rc = rgs_p11_uri_set(uri, attr, copy);

cleanup:
  free(copy);
  return rc;
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
