/* SPDX-License-Identifier: BSD-3-Clause */
/* canon.c - canonical JSON: a small tree, its one serialisation, and a
 * parser that accepts that serialisation only (the rules are in canon.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "canon.h"

struct rgs_cj {
  rgs_cj_type type;
  int b;
  long long i;
  char *s;
  char **keys;               /* objects: sorted, same length as items */
  rgs_cj **items;            /* arrays and objects */
  size_t n, cap;
};

const char *rgs_cj_strerror(rgs_cj_rc rc)
{
  switch (rc) {
  case RGS_CJ_OK: return _("success");
  case RGS_CJ_ERR_NOMEM: return _("out of memory");
  case RGS_CJ_ERR_KEY: return _("a member name is empty or not printable ASCII");
  case RGS_CJ_ERR_UTF8: return _("text is not valid UTF-8");
  case RGS_CJ_ERR_RANGE: return _("a number or a text is too large");
  case RGS_CJ_ERR_TYPE: return _("a value is missing or of the wrong kind");
  case RGS_CJ_ERR_SYNTAX: return _("not canonical JSON");
  case RGS_CJ_ERR_ENCODING: return _("not lower-case hexadecimal or canonical base64");
  }
  return _("unknown error");
}

/* ---- keys ---------------------------------------------------------------- */

static int key_valid(const char *key)
{
  const unsigned char *p = (const unsigned char *)key;

  if (key == NULL || *p == '\0')
    return 0;
  for (; *p != '\0'; p++)
    if (*p < 0x20 || *p > 0x7E || *p == '"' || *p == '\\')
      return 0;
  return 1;
}

/* ---- the tree ------------------------------------------------------------- */

static rgs_cj *node(rgs_cj_type type)
{
  rgs_cj *v = calloc(1, sizeof(*v));

  if (v != NULL)
    v->type = type;
  return v;
}

rgs_cj *rgs_cj_new_object(void)
{
  return node(RGS_CJ_OBJECT);
}

rgs_cj *rgs_cj_new_array(void)
{
  return node(RGS_CJ_ARRAY);
}

void rgs_cj_free(rgs_cj *v)
{
  size_t i;

  if (v == NULL)
    return;
  for (i = 0; i < v->n; i++) {
    rgs_cj_free(v->items[i]);
    if (v->keys != NULL)
      free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->s);
  free(v);
}

/* Room for one more element or member. */
static rgs_cj_rc grow(rgs_cj *c)
{
  size_t cap;
  rgs_cj **items;
  char **keys;

  if (c->n < c->cap)
    return RGS_CJ_OK;
  cap = c->cap == 0 ? 8 : c->cap * 2;
  items = realloc(c->items, cap * sizeof(*items));
  if (items == NULL)
    return RGS_CJ_ERR_NOMEM;
  c->items = items;
  if (c->type == RGS_CJ_OBJECT) {
    keys = realloc(c->keys, cap * sizeof(*keys));
    if (keys == NULL)
      return RGS_CJ_ERR_NOMEM;
    c->keys = keys;
  }
  c->cap = cap;
  return RGS_CJ_OK;
}

/* Put v (NULL: it could not be allocated) as member key of obj, in key
 * order; v is owned by obj afterwards, or freed on failure. */
static rgs_cj_rc put(rgs_cj *obj, const char *key, rgs_cj *v)
{
  size_t pos = 0;
  char *k = NULL;
  int cmp = 1;
  rgs_cj_rc rc = RGS_CJ_ERR_NOMEM;

  if (v == NULL)
    return RGS_CJ_ERR_NOMEM;
  if (obj == NULL || obj->type != RGS_CJ_OBJECT) {
    rc = RGS_CJ_ERR_TYPE;
    goto fail;
  }
  if (!key_valid(key)) {
    rc = RGS_CJ_ERR_KEY;
    goto fail;
  }
  while (pos < obj->n && (cmp = strcmp(obj->keys[pos], key)) < 0)
    pos++;
  if (pos < obj->n && cmp == 0) {
    rgs_cj_free(obj->items[pos]);
    obj->items[pos] = v;
    return RGS_CJ_OK;
  }
  k = strdup(key);
  if (k == NULL || grow(obj) != RGS_CJ_OK)
    goto fail;
  memmove(obj->items + pos + 1, obj->items + pos, (obj->n - pos) * sizeof(*obj->items));
  memmove(obj->keys + pos + 1, obj->keys + pos, (obj->n - pos) * sizeof(*obj->keys));
  obj->items[pos] = v;
  obj->keys[pos] = k;
  obj->n++;
  return RGS_CJ_OK;

fail:
  free(k);
  rgs_cj_free(v);
  return rc;
}

/* Append v (NULL: it could not be allocated) to arr; owned or freed. */
static rgs_cj_rc push(rgs_cj *arr, rgs_cj *v)
{
  rgs_cj_rc rc;

  if (v == NULL)
    return RGS_CJ_ERR_NOMEM;
  rc = arr == NULL || arr->type != RGS_CJ_ARRAY ? RGS_CJ_ERR_TYPE : grow(arr);
  if (rc != RGS_CJ_OK) {
    rgs_cj_free(v);
    return rc;
  }
  arr->items[arr->n++] = v;
  return RGS_CJ_OK;
}

/* A string node, or a null one for NULL. */
static rgs_cj_rc str_node(const char *value, rgs_cj **out)
{
  rgs_cj *v;

  *out = NULL;
  if (value == NULL) {
    *out = node(RGS_CJ_NULL);
    return *out != NULL ? RGS_CJ_OK : RGS_CJ_ERR_NOMEM;
  }
  if (!rgsx_utf8_valid(value, strlen(value)))
    return RGS_CJ_ERR_UTF8;
  v = node(RGS_CJ_STR);
  if (v == NULL)
    return RGS_CJ_ERR_NOMEM;
  v->s = strdup(value);
  if (v->s == NULL) {
    free(v);
    return RGS_CJ_ERR_NOMEM;
  }
  *out = v;
  return RGS_CJ_OK;
}

rgs_cj_rc rgs_cj_set_str(rgs_cj *obj, const char *key, const char *value)
{
  rgs_cj *v = NULL;
  rgs_cj_rc rc = str_node(value, &v);

  return rc != RGS_CJ_OK ? rc : put(obj, key, v);
}

rgs_cj_rc rgs_cj_set_int(rgs_cj *obj, const char *key, long long value)
{
  rgs_cj *v;

  if (value > RGS_CJ_INT_MAX || value < -RGS_CJ_INT_MAX)
    return RGS_CJ_ERR_RANGE;
  v = node(RGS_CJ_INT);
  if (v != NULL)
    v->i = value;
  return put(obj, key, v);
}

rgs_cj_rc rgs_cj_set_bool(rgs_cj *obj, const char *key, int value)
{
  rgs_cj *v = node(RGS_CJ_BOOL);

  if (v != NULL)
    v->b = value != 0;
  return put(obj, key, v);
}

rgs_cj_rc rgs_cj_set_null(rgs_cj *obj, const char *key)
{
  return put(obj, key, node(RGS_CJ_NULL));
}

rgs_cj_rc rgs_cj_set_hex(rgs_cj *obj, const char *key, const unsigned char *p, size_t len)
{
  char *text;
  rgs_cj_rc rc;

  if (len > RGS_CJ_MAX_TEXT / 2)
    return RGS_CJ_ERR_RANGE;
  text = malloc(2 * len + 1);
  if (text == NULL)
    return RGS_CJ_ERR_NOMEM;
  rgsx_hex(p, len, text);
  rc = rgs_cj_set_str(obj, key, text);
  free(text);
  return rc;
}

rgs_cj_rc rgs_cj_set_b64(rgs_cj *obj, const char *key, const unsigned char *p, size_t len)
{
  char *text;
  rgs_cj_rc rc;

  if (len > RGS_CJ_MAX_TEXT / 2)
    return RGS_CJ_ERR_RANGE;
  text = malloc(4 * ((len + 2) / 3) + 1);
  if (text == NULL)
    return RGS_CJ_ERR_NOMEM;
  EVP_EncodeBlock((unsigned char *)text, p, (int)len);
  rc = rgs_cj_set_str(obj, key, text);
  free(text);
  return rc;
}

/* A new container put into obj as key; NULL when it could not be. */
static rgs_cj *put_container(rgs_cj *obj, const char *key, rgs_cj_type type)
{
  rgs_cj *v = node(type);

  return put(obj, key, v) == RGS_CJ_OK ? v : NULL;
}

rgs_cj *rgs_cj_set_object(rgs_cj *obj, const char *key)
{
  return put_container(obj, key, RGS_CJ_OBJECT);
}

rgs_cj *rgs_cj_set_array(rgs_cj *obj, const char *key)
{
  return put_container(obj, key, RGS_CJ_ARRAY);
}

rgs_cj_rc rgs_cj_push_str(rgs_cj *arr, const char *value)
{
  rgs_cj *v = NULL;
  rgs_cj_rc rc = str_node(value, &v);

  return rc != RGS_CJ_OK ? rc : push(arr, v);
}

rgs_cj *rgs_cj_push_object(rgs_cj *arr)
{
  rgs_cj *v = node(RGS_CJ_OBJECT);

  return push(arr, v) == RGS_CJ_OK ? v : NULL;
}

/* ---- reading the tree ------------------------------------------------------ */

rgs_cj_type rgs_cj_type_of(const rgs_cj *v)
{
  return v != NULL ? v->type : RGS_CJ_NULL;
}

const rgs_cj *rgs_cj_get(const rgs_cj *obj, const char *key)
{
  size_t i;

  if (obj == NULL || obj->type != RGS_CJ_OBJECT || key == NULL)
    return NULL;
  for (i = 0; i < obj->n; i++)
    if (strcmp(obj->keys[i], key) == 0)
      return obj->items[i];
  return NULL;
}

const rgs_cj *rgs_cj_path(const rgs_cj *v, const char *path)
{
  char part[64];
  const char *p = path, *dot;
  size_t n;

  while (v != NULL && p != NULL && *p != '\0') {
    dot = strchr(p, '.');
    n = dot != NULL ? (size_t)(dot - p) : strlen(p);
    if (n == 0 || n >= sizeof(part))
      return NULL;
    memcpy(part, p, n);
    part[n] = '\0';
    if (v->type == RGS_CJ_ARRAY) {
      /* An element by its index: digits only. */
      char *end = NULL;
      unsigned long i = strtoul(part, &end, 10);
      v = part[0] >= '0' && part[0] <= '9' && *end == '\0' ? rgs_cj_at(v, i) : NULL;
    } else {
      v = rgs_cj_get(v, part);
    }
    p = dot != NULL ? dot + 1 : NULL;
  }
  return v;
}

const char *rgs_cj_str(const rgs_cj *v)
{
  return v != NULL && v->type == RGS_CJ_STR ? v->s : NULL;
}

int rgs_cj_bool(const rgs_cj *v)
{
  return v != NULL && v->type == RGS_CJ_BOOL ? v->b : -1;
}

long long rgs_cj_int(const rgs_cj *v)
{
  return v != NULL && v->type == RGS_CJ_INT ? v->i : 0;
}

const char *rgs_cj_path_str(const rgs_cj *v, const char *path)
{
  return rgs_cj_str(rgs_cj_path(v, path));
}

long long rgs_cj_path_int(const rgs_cj *v, const char *path, long long def)
{
  const rgs_cj *x = rgs_cj_path(v, path);

  return x != NULL && x->type == RGS_CJ_INT ? x->i : def;
}

int rgs_cj_path_bool(const rgs_cj *v, const char *path)
{
  return rgs_cj_bool(rgs_cj_path(v, path));
}

size_t rgs_cj_count(const rgs_cj *v)
{
  return v != NULL && (v->type == RGS_CJ_ARRAY || v->type == RGS_CJ_OBJECT) ? v->n : 0;
}

const rgs_cj *rgs_cj_at(const rgs_cj *v, size_t i)
{
  return i < rgs_cj_count(v) ? v->items[i] : NULL;
}

const char *rgs_cj_key_at(const rgs_cj *v, size_t i)
{
  return v != NULL && v->type == RGS_CJ_OBJECT && i < v->n ? v->keys[i] : NULL;
}

/* ---- serialisation ---------------------------------------------------------- */

typedef struct {
  char *p;
  size_t len, cap;
  int failed;
} sbuf;

static void sb_add(sbuf *b, const char *p, size_t n)
{
  char *np;
  size_t cap;

  if (b->failed)
    return;
  if (b->len + n + 1 > b->cap) {
    cap = b->cap == 0 ? 1024 : b->cap;
    while (cap < b->len + n + 1)
      cap *= 2;
    np = realloc(b->p, cap);
    if (np == NULL) {
      b->failed = 1;
      return;
    }
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->len, p, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
  const unsigned char *p = (const unsigned char *)s;
  char esc[8];

  sb_add(b, "\"", 1);
  for (; *p != '\0'; p++) {
    switch (*p) {
    case '"': sb_add(b, "\\\"", 2); break;
    case '\\': sb_add(b, "\\\\", 2); break;
    case '\b': sb_add(b, "\\b", 2); break;
    case '\f': sb_add(b, "\\f", 2); break;
    case '\n': sb_add(b, "\\n", 2); break;
    case '\r': sb_add(b, "\\r", 2); break;
    case '\t': sb_add(b, "\\t", 2); break;
    default:
      if (*p < 0x20) {
        snprintf(esc, sizeof(esc), "\\u%04x", *p);
        sb_add(b, esc, 6);
      } else {
        sb_add(b, (const char *)p, 1);
      }
    }
  }
  sb_add(b, "\"", 1);
}

static void sb_value(sbuf *b, const rgs_cj *v)
{
  char num[32];
  size_t i;

  switch (v->type) {
  case RGS_CJ_NULL: sb_add(b, "null", 4); break;
  case RGS_CJ_BOOL: v->b ? sb_add(b, "true", 4) : sb_add(b, "false", 5); break;
  case RGS_CJ_INT:
    snprintf(num, sizeof(num), "%lld", v->i);
    sb_add(b, num, strlen(num));
    break;
  case RGS_CJ_STR: sb_str(b, v->s); break;
  case RGS_CJ_ARRAY:
  case RGS_CJ_OBJECT:
    sb_add(b, v->type == RGS_CJ_ARRAY ? "[" : "{", 1);
    for (i = 0; i < v->n; i++) {
      if (i > 0)
        sb_add(b, ",", 1);
      if (v->type == RGS_CJ_OBJECT) {
        sb_str(b, v->keys[i]);
        sb_add(b, ":", 1);
      }
      sb_value(b, v->items[i]);
    }
    sb_add(b, v->type == RGS_CJ_ARRAY ? "]" : "}", 1);
    break;
  }
}

rgs_cj_rc rgs_cj_serialize(const rgs_cj *v, char **out, size_t *len)
{
  sbuf b = { NULL, 0, 0, 0 };

  *out = NULL;
  *len = 0;
  if (v == NULL)
    return RGS_CJ_ERR_TYPE;
  sb_value(&b, v);
  if (b.failed || b.p == NULL) {
    free(b.p);
    return RGS_CJ_ERR_NOMEM;
  }
  *out = b.p;
  *len = b.len;
  return RGS_CJ_OK;
}

/* ---- the parser ---------------------------------------------------------------- */

typedef struct {
  const char *p;
  size_t len, pos;
  char *err;
  size_t errlen;
  rgs_cj_rc rc;              /* the first failure; RGS_CJ_OK while none */
} parser;

/* Note a failure, "byte N: why" in err: the first one only counts.
 * Returns the first failure's kind. */
static rgs_cj_rc perr(parser *ps, rgs_cj_rc rc, const char *why)
{
  int c = ps->pos < ps->len ? (unsigned char)ps->p[ps->pos] : -1;

  /* Where white space stands, it is what is wrong. */
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
    why = "white space is not canonical";
    if (rc != RGS_CJ_ERR_NOMEM)
      rc = RGS_CJ_ERR_SYNTAX;
  }
  if (ps->rc != RGS_CJ_OK)
    return ps->rc;
  if (ps->err != NULL && ps->errlen > 0)
    snprintf(ps->err, ps->errlen, "byte %zu: %s", ps->pos, why);
  ps->rc = rc;
  return rc;
}

static int peek(const parser *ps)
{
  return ps->pos < ps->len ? (unsigned char)ps->p[ps->pos] : -1;
}

static rgs_cj_rc expect_word(parser *ps, const char *word)
{
  size_t n = strlen(word);

  if (ps->len - ps->pos < n || memcmp(ps->p + ps->pos, word, n) != 0)
    return perr(ps, RGS_CJ_ERR_SYNTAX, "unexpected character");
  ps->pos += n;
  return RGS_CJ_OK;
}

/* 1 when c is a lower-case hex digit (upper case is not canonical), its
 * value in *v. */
static int hexval(int c, int *v)
{
  if (c >= '0' && c <= '9')
    *v = c - '0';
  else if (c >= 'a' && c <= 'f')
    *v = c - 'a' + 10;
  else
    return 0;
  return 1;
}

/* The character an escape stands for, its backslash read: the canonical
 * escapes only. */
static rgs_cj_rc parse_escape(parser *ps, char *ch)
{
  int c = peek(ps), v = 0, h = 0, k;

  ps->pos++;
  switch (c) {
  case '"': *ch = '"'; return RGS_CJ_OK;
  case '\\': *ch = '\\'; return RGS_CJ_OK;
  case 'b': *ch = '\b'; return RGS_CJ_OK;
  case 'f': *ch = '\f'; return RGS_CJ_OK;
  case 'n': *ch = '\n'; return RGS_CJ_OK;
  case 'r': *ch = '\r'; return RGS_CJ_OK;
  case 't': *ch = '\t'; return RGS_CJ_OK;
  case 'u':
    for (k = 0; k < 4; k++) {
      if (!hexval(peek(ps), &h))
        return perr(ps, RGS_CJ_ERR_SYNTAX,
                    "bad \\u escape (canonical form: four lower-case hex digits)");
      v = v * 16 + h;
      ps->pos++;
    }
    /* Only the controls without a short escape are written \u00xx. */
    if (v == 0 || v >= 0x20 || v == '\b' || v == '\f' || v == '\n' || v == '\r' || v == '\t')
      return perr(ps, RGS_CJ_ERR_SYNTAX, "escape not in canonical form");
    *ch = (char)v;
    return RGS_CJ_OK;
  default:
    return perr(ps, RGS_CJ_ERR_SYNTAX, "escape not in canonical form");
  }
}

/* A canonical string; *out malloc'd. */
static rgs_cj_rc parse_string(parser *ps, char **out)
{
  sbuf b = { NULL, 0, 0, 0 };
  rgs_cj_rc rc = RGS_CJ_OK;
  int c;
  char ch;

  *out = NULL;
  if (peek(ps) != '"')
    return perr(ps, RGS_CJ_ERR_SYNTAX, "a string was expected");
  ps->pos++;
  sb_add(&b, "", 0);
  for (;;) {
    c = peek(ps);
    if (c < 0) {
      rc = perr(ps, RGS_CJ_ERR_SYNTAX, "unterminated string");
      goto fail;
    }
    ps->pos++;
    if (c == '"')
      break;
    if (c < 0x20) {
      rc = perr(ps, RGS_CJ_ERR_SYNTAX, "control character in a string");
      goto fail;
    }
    ch = (char)c;
    if (c == '\\') {
      rc = parse_escape(ps, &ch);
      if (rc != RGS_CJ_OK)
        goto fail;
    }
    sb_add(&b, &ch, 1);
  }
  if (b.failed) {
    rc = perr(ps, RGS_CJ_ERR_NOMEM, "out of memory");
    goto fail;
  }
  if (!rgsx_utf8_valid(b.p, b.len)) {
    rc = perr(ps, RGS_CJ_ERR_UTF8, "string is not valid UTF-8");
    goto fail;
  }
  *out = b.p;
  return RGS_CJ_OK;

fail:
  free(b.p);
  return rc;
}

static rgs_cj_rc parse_int(parser *ps, long long *out)
{
  int neg = 0, c, digits = 0;
  unsigned long long v = 0;

  if (peek(ps) == '-') {
    neg = 1;
    ps->pos++;
  }
  c = peek(ps);
  if (c == '0') {
    ps->pos++;
    c = peek(ps);
    if (neg || (c >= '0' && c <= '9'))
      return perr(ps, RGS_CJ_ERR_SYNTAX, "number not in canonical form");
    *out = 0;
    digits = 1;
  } else {
    while ((c = peek(ps)) >= '0' && c <= '9') {
      v = v * 10 + (unsigned)(c - '0');
      if (v > (unsigned long long)RGS_CJ_INT_MAX)
        return perr(ps, RGS_CJ_ERR_RANGE, "integer out of range");
      ps->pos++;
      digits++;
    }
    *out = neg ? -(long long)v : (long long)v;
  }
  if (digits == 0)
    return perr(ps, RGS_CJ_ERR_SYNTAX, "a value was expected");
  c = peek(ps);
  if (c == '.' || c == 'e' || c == 'E')
    return perr(ps, RGS_CJ_ERR_SYNTAX, "only integers are allowed");
  return RGS_CJ_OK;
}

static rgs_cj *parse_value(parser *ps, int depth);

/* A member's key and its ':', after the members of c so far. */
static rgs_cj_rc parse_key(parser *ps, const rgs_cj *c, char **key)
{
  rgs_cj_rc rc = parse_string(ps, key);

  if (rc != RGS_CJ_OK)
    return rc;
  if (!key_valid(*key))
    return perr(ps, RGS_CJ_ERR_KEY, "keys are printable ASCII");
  if (c->n > 0 && strcmp(c->keys[c->n - 1], *key) >= 0)
    return perr(ps, RGS_CJ_ERR_SYNTAX, "keys not in canonical order (sorted, no duplicate)");
  if (peek(ps) != ':')
    return perr(ps, RGS_CJ_ERR_SYNTAX, "':' was expected");
  ps->pos++;
  return RGS_CJ_OK;
}

static rgs_cj *parse_container(parser *ps, int depth, int is_object)
{
  rgs_cj *c = node(is_object ? RGS_CJ_OBJECT : RGS_CJ_ARRAY), *v = NULL;
  char *key = NULL;
  int close = is_object ? '}' : ']';

  if (c == NULL) {
    perr(ps, RGS_CJ_ERR_NOMEM, "out of memory");
    return NULL;
  }
  if (depth >= RGS_CJ_MAX_DEPTH) {
    perr(ps, RGS_CJ_ERR_RANGE, "nested too deep");
    goto fail;
  }
  ps->pos++;
  if (peek(ps) == close) {
    ps->pos++;
    return c;
  }
  for (;;) {
    if (is_object && parse_key(ps, c, &key) != RGS_CJ_OK)
      goto fail;
    v = parse_value(ps, depth + 1);
    if (v == NULL || grow(c) != RGS_CJ_OK) {
      perr(ps, RGS_CJ_ERR_NOMEM, "out of memory");
      goto fail;
    }
    c->items[c->n] = v;
    if (is_object)
      c->keys[c->n] = key;
    c->n++;
    v = NULL;
    key = NULL;
    if (peek(ps) == ',') {
      ps->pos++;
      continue;
    }
    if (peek(ps) == close) {
      ps->pos++;
      return c;
    }
    perr(ps, RGS_CJ_ERR_SYNTAX, is_object ? "',' or '}' was expected" : "',' or ']' was expected");
    goto fail;
  }

fail:
  free(key);
  rgs_cj_free(v);
  rgs_cj_free(c);
  return NULL;
}

/* A scalar: string, true, false, null or integer. */
static rgs_cj *parse_scalar(parser *ps, int c)
{
  rgs_cj *v = NULL;
  long long i = 0;

  switch (c) {
  case '"':
    v = node(RGS_CJ_STR);
    if (v == NULL) {
      perr(ps, RGS_CJ_ERR_NOMEM, "out of memory");
      return NULL;
    }
    if (parse_string(ps, &v->s) != RGS_CJ_OK) {
      rgs_cj_free(v);
      return NULL;
    }
    return v;
  case 't':
  case 'f':
    if (expect_word(ps, c == 't' ? "true" : "false") != RGS_CJ_OK)
      return NULL;
    v = node(RGS_CJ_BOOL);
    if (v != NULL)
      v->b = c == 't';
    return v;
  case 'n':
    if (expect_word(ps, "null") != RGS_CJ_OK)
      return NULL;
    return node(RGS_CJ_NULL);
  default:
    if (parse_int(ps, &i) != RGS_CJ_OK)
      return NULL;
    v = node(RGS_CJ_INT);
    if (v != NULL)
      v->i = i;
    return v;
  }
}

static rgs_cj *parse_value(parser *ps, int depth)
{
  int c = peek(ps);

  if (ps->rc != RGS_CJ_OK)
    return NULL;
  if (c == '{' || c == '[')
    return parse_container(ps, depth, c == '{');
  if (c == '"' || c == 't' || c == 'f' || c == 'n' || c == '-' || (c >= '0' && c <= '9'))
    return parse_scalar(ps, c);
  perr(ps, RGS_CJ_ERR_SYNTAX,
       c < 0 ? "unexpected end" : "unexpected character (white space is not canonical)");
  return NULL;
}

rgs_cj_rc rgs_cj_parse(const char *text, size_t len, rgs_cj **out, char *err, size_t errlen)
{
  parser ps = { text, len, 0, err, errlen, RGS_CJ_OK };
  rgs_cj *v;

  *out = NULL;
  if (err != NULL && errlen > 0)
    err[0] = '\0';
  if (text == NULL || len > RGS_CJ_MAX_TEXT)
    return perr(&ps, text == NULL ? RGS_CJ_ERR_TYPE : RGS_CJ_ERR_RANGE,
                "no text, or larger than 1 MiB");
  v = parse_value(&ps, 0);
  if (v == NULL)
    return perr(&ps, RGS_CJ_ERR_NOMEM, "out of memory");     /* unless it said why */
  if (ps.pos != len) {
    rgs_cj_free(v);
    return perr(&ps, RGS_CJ_ERR_SYNTAX, "trailing bytes after the document");
  }
  *out = v;
  return RGS_CJ_OK;
}

/* ---- hex and base64 ------------------------------------------------------------ */

rgs_cj_rc rgs_cj_unhex(const char *text, unsigned char **out, size_t *len)
{
  size_t n, i;
  unsigned char *p;
  int hi = 0, lo = 0;

  *out = NULL;
  *len = 0;
  if (text == NULL)
    return RGS_CJ_ERR_TYPE;
  n = strlen(text);
  if (n % 2 != 0)
    return RGS_CJ_ERR_ENCODING;
  p = malloc(n / 2 + 1);
  if (p == NULL)
    return RGS_CJ_ERR_NOMEM;
  for (i = 0; i < n / 2; i++) {
    if (!hexval((unsigned char)text[2 * i], &hi) || !hexval((unsigned char)text[2 * i + 1], &lo)) {
      free(p);
      return RGS_CJ_ERR_ENCODING;
    }
    p[i] = (unsigned char)(hi * 16 + lo);
  }
  *out = p;
  *len = n / 2;
  return RGS_CJ_OK;
}

rgs_cj_rc rgs_cj_unb64(const char *text, unsigned char **out, size_t *len)
{
  size_t n, pad = 0;
  unsigned char *p = NULL, *check = NULL;
  int r;
  rgs_cj_rc rc = RGS_CJ_ERR_ENCODING;

  *out = NULL;
  *len = 0;
  if (text == NULL)
    return RGS_CJ_ERR_TYPE;
  n = strlen(text);
  if (n > RGS_CJ_MAX_TEXT)
    return RGS_CJ_ERR_RANGE;
  if (n == 0 || n % 4 != 0)
    return RGS_CJ_ERR_ENCODING;
  if (text[n - 1] == '=')
    pad++;
  if (text[n - 2] == '=')
    pad++;
  p = malloc(n / 4 * 3 + 1);
  check = malloc(n + 1);
  if (p == NULL || check == NULL) {
    rc = RGS_CJ_ERR_NOMEM;
    goto cleanup;
  }
  r = EVP_DecodeBlock(p, (const unsigned char *)text, (int)n);
  if (r < 0 || (size_t)r < pad)
    goto cleanup;
  /* One spelling per value: what does not encode back the same is refused. */
  if (EVP_EncodeBlock(check, p, r - (int)pad) != (int)n || memcmp(check, text, n) != 0)
    goto cleanup;
  *out = p;
  *len = (size_t)r - pad;
  p = NULL;
  rc = RGS_CJ_OK;

cleanup:
  free(check);
  free(p);
  return rc;
}
