/* f2f_canon.c - canonical JSON for the intervention record: a small tree,
 * its one serialisation, and a parser that accepts that serialisation only
 * (the rules are in f2f_record.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "f2f_record.h"

struct rgs_cj {
  rgs_cj_type type;
  int b;
  long long i;
  char *s;
  char **keys;               /* objects: sorted, same length as items */
  rgs_cj **items;            /* arrays and objects */
  size_t n, cap;
};

/* ---- UTF-8 ---------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * form, no surrogate, nothing above U+10FFFF), 0 when ill-formed. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
  unsigned char c = p[0];

  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
      return 0;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F))
      return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
      return 0;
    if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
      return 0;
    return 4;
  }
  return 0;
}

static int utf8_valid(const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, k;

  while (i < len) {
    if (p[i] == 0)
      return 0;
    k = utf8_seq(p + i, len - i);
    if (k == 0)
      return 0;
    i += k;
  }
  return 1;
}

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

static int grow(rgs_cj *c)
{
  size_t cap;
  rgs_cj **items;
  char **keys;

  if (c->n < c->cap)
    return 0;
  cap = c->cap == 0 ? 8 : c->cap * 2;
  items = realloc(c->items, cap * sizeof(*items));
  if (items == NULL)
    return -1;
  c->items = items;
  if (c->type == RGS_CJ_OBJECT) {
    keys = realloc(c->keys, cap * sizeof(*keys));
    if (keys == NULL)
      return -1;
    c->keys = keys;
  }
  c->cap = cap;
  return 0;
}

/* Put v as member key of obj, in key order; v is owned by obj afterwards,
 * or freed on failure. Returns v or NULL. */
static rgs_cj *put(rgs_cj *obj, const char *key, rgs_cj *v)
{
  size_t pos = 0;
  char *k = NULL;
  int cmp = 1;

  if (v == NULL)
    return NULL;
  if (obj == NULL || obj->type != RGS_CJ_OBJECT || !key_valid(key))
    goto fail;
  while (pos < obj->n && (cmp = strcmp(obj->keys[pos], key)) < 0)
    pos++;
  if (pos < obj->n && cmp == 0) {
    rgs_cj_free(obj->items[pos]);
    obj->items[pos] = v;
    return v;
  }
  k = strdup(key);
  if (k == NULL || grow(obj) != 0)
    goto fail;
  memmove(obj->items + pos + 1, obj->items + pos, (obj->n - pos) * sizeof(*obj->items));
  memmove(obj->keys + pos + 1, obj->keys + pos, (obj->n - pos) * sizeof(*obj->keys));
  obj->items[pos] = v;
  obj->keys[pos] = k;
  obj->n++;
  return v;

fail:
  free(k);
  rgs_cj_free(v);
  return NULL;
}

static rgs_cj *push(rgs_cj *arr, rgs_cj *v)
{
  if (v == NULL)
    return NULL;
  if (arr == NULL || arr->type != RGS_CJ_ARRAY || grow(arr) != 0) {
    rgs_cj_free(v);
    return NULL;
  }
  arr->items[arr->n++] = v;
  return v;
}

static rgs_cj *str_node(const char *value)
{
  rgs_cj *v;

  if (value == NULL)
    return node(RGS_CJ_NULL);
  if (!utf8_valid(value, strlen(value)))
    return NULL;
  v = node(RGS_CJ_STR);
  if (v == NULL)
    return NULL;
  v->s = strdup(value);
  if (v->s == NULL) {
    free(v);
    return NULL;
  }
  return v;
}

int rgs_cj_set_str(rgs_cj *obj, const char *key, const char *value)
{
  return put(obj, key, str_node(value)) != NULL ? 0 : -1;
}

int rgs_cj_set_int(rgs_cj *obj, const char *key, long long value)
{
  rgs_cj *v;

  if (value > RGS_CJ_INT_MAX || value < -RGS_CJ_INT_MAX)
    return -1;
  v = node(RGS_CJ_INT);
  if (v != NULL)
    v->i = value;
  return put(obj, key, v) != NULL ? 0 : -1;
}

int rgs_cj_set_bool(rgs_cj *obj, const char *key, int value)
{
  rgs_cj *v = node(RGS_CJ_BOOL);

  if (v != NULL)
    v->b = value != 0;
  return put(obj, key, v) != NULL ? 0 : -1;
}

int rgs_cj_set_null(rgs_cj *obj, const char *key)
{
  return put(obj, key, node(RGS_CJ_NULL)) != NULL ? 0 : -1;
}

void rgs_f2f_hex(const unsigned char *p, size_t len, char *out)
{
  static const char digits[] = "0123456789abcdef";
  size_t i;

  for (i = 0; i < len; i++) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  out[2 * len] = '\0';
}

int rgs_cj_set_hex(rgs_cj *obj, const char *key, const unsigned char *p, size_t len)
{
  char *text;
  int ret;

  if (len > RGS_CJ_MAX_TEXT / 2)
    return -1;
  text = malloc(2 * len + 1);
  if (text == NULL)
    return -1;
  rgs_f2f_hex(p, len, text);
  ret = rgs_cj_set_str(obj, key, text);
  free(text);
  return ret;
}

int rgs_cj_set_b64(rgs_cj *obj, const char *key, const unsigned char *p, size_t len)
{
  char *text;
  int ret;

  if (len > RGS_CJ_MAX_TEXT / 2)
    return -1;
  text = malloc(4 * ((len + 2) / 3) + 1);
  if (text == NULL)
    return -1;
  EVP_EncodeBlock((unsigned char *)text, p, (int)len);
  ret = rgs_cj_set_str(obj, key, text);
  free(text);
  return ret;
}

rgs_cj *rgs_cj_set_object(rgs_cj *obj, const char *key)
{
  return put(obj, key, node(RGS_CJ_OBJECT));
}

rgs_cj *rgs_cj_set_array(rgs_cj *obj, const char *key)
{
  return put(obj, key, node(RGS_CJ_ARRAY));
}

int rgs_cj_push_str(rgs_cj *arr, const char *value)
{
  return push(arr, str_node(value)) != NULL ? 0 : -1;
}

rgs_cj *rgs_cj_push_object(rgs_cj *arr)
{
  return push(arr, node(RGS_CJ_OBJECT));
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

int rgs_cj_serialize(const rgs_cj *v, char **out, size_t *len)
{
  sbuf b = { NULL, 0, 0, 0 };

  *out = NULL;
  *len = 0;
  if (v == NULL)
    return -1;
  sb_value(&b, v);
  if (b.failed || b.p == NULL) {
    free(b.p);
    return -1;
  }
  *out = b.p;
  *len = b.len;
  return 0;
}

/* ---- the parser ---------------------------------------------------------------- */

typedef struct {
  const char *p;
  size_t len, pos;
  char *err;
  size_t errlen;
  int failed;
} parser;

static int perr(parser *ps, const char *why)
{
  int c = ps->pos < ps->len ? (unsigned char)ps->p[ps->pos] : -1;

  /* Where white space stands, it is what is wrong. */
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
    why = "white space is not canonical";
  if (!ps->failed && ps->err != NULL && ps->errlen > 0)
    snprintf(ps->err, ps->errlen, "byte %zu: %s", ps->pos, why);
  ps->failed = 1;
  return -1;
}

static int peek(const parser *ps)
{
  return ps->pos < ps->len ? (unsigned char)ps->p[ps->pos] : -1;
}

static int expect_word(parser *ps, const char *word)
{
  size_t n = strlen(word);

  if (ps->len - ps->pos < n || memcmp(ps->p + ps->pos, word, n) != 0)
    return perr(ps, "unexpected character");
  ps->pos += n;
  return 0;
}

static int hexval(int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;     /* upper-case hex is not canonical */
}

/* A canonical string; *out malloc'd. */
static int parse_string(parser *ps, char **out)
{
  sbuf b = { NULL, 0, 0, 0 };
  int c, v, k;
  char ch;

  *out = NULL;
  if (peek(ps) != '"')
    return perr(ps, "a string was expected");
  ps->pos++;
  sb_add(&b, "", 0);
  for (;;) {
    c = peek(ps);
    if (c < 0) {
      free(b.p);
      return perr(ps, "unterminated string");
    }
    ps->pos++;
    if (c == '"')
      break;
    if (c < 0x20) {
      free(b.p);
      return perr(ps, "control character in a string");
    }
    if (c != '\\') {
      ch = (char)c;
      sb_add(&b, &ch, 1);
      continue;
    }
    c = peek(ps);
    ps->pos++;
    switch (c) {
    case '"': ch = '"'; break;
    case '\\': ch = '\\'; break;
    case 'b': ch = '\b'; break;
    case 'f': ch = '\f'; break;
    case 'n': ch = '\n'; break;
    case 'r': ch = '\r'; break;
    case 't': ch = '\t'; break;
    case 'u':
      v = 0;
      for (k = 0; k < 4; k++) {
        int h = hexval(peek(ps));
        if (h < 0) {
          free(b.p);
          return perr(ps, "bad \\u escape (canonical form: four lower-case hex digits)");
        }
        v = v * 16 + h;
        ps->pos++;
      }
      /* Only the controls without a short escape are written \u00xx. */
      if (v == 0 || v >= 0x20 || v == '\b' || v == '\f' || v == '\n' || v == '\r' ||
          v == '\t') {
        free(b.p);
        return perr(ps, "escape not in canonical form");
      }
      ch = (char)v;
      break;
    default:
      free(b.p);
      return perr(ps, "escape not in canonical form");
    }
    sb_add(&b, &ch, 1);
  }
  if (b.failed) {
    free(b.p);
    return perr(ps, "out of memory");
  }
  if (!utf8_valid(b.p, b.len)) {
    free(b.p);
    return perr(ps, "string is not valid UTF-8");
  }
  *out = b.p;
  return 0;
}

static int parse_int(parser *ps, long long *out)
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
      return perr(ps, "number not in canonical form");
    *out = 0;
    digits = 1;
  } else {
    while ((c = peek(ps)) >= '0' && c <= '9') {
      v = v * 10 + (unsigned)(c - '0');
      if (v > (unsigned long long)RGS_CJ_INT_MAX)
        return perr(ps, "integer out of range");
      ps->pos++;
      digits++;
    }
    *out = neg ? -(long long)v : (long long)v;
  }
  if (digits == 0)
    return perr(ps, "a value was expected");
  c = peek(ps);
  if (c == '.' || c == 'e' || c == 'E')
    return perr(ps, "only integers are allowed");
  return 0;
}

static rgs_cj *parse_value(parser *ps, int depth);

static rgs_cj *parse_container(parser *ps, int depth, int is_object)
{
  rgs_cj *c = node(is_object ? RGS_CJ_OBJECT : RGS_CJ_ARRAY), *v = NULL;
  char *key = NULL;
  int close = is_object ? '}' : ']';

  if (c == NULL) {
    perr(ps, "out of memory");
    return NULL;
  }
  if (depth >= RGS_CJ_MAX_DEPTH) {
    perr(ps, "nested too deep");
    goto fail;
  }
  ps->pos++;
  if (peek(ps) == close) {
    ps->pos++;
    return c;
  }
  for (;;) {
    if (is_object) {
      if (parse_string(ps, &key) != 0)
        goto fail;
      if (!key_valid(key)) {
        perr(ps, "keys are printable ASCII");
        goto fail;
      }
      if (c->n > 0 && strcmp(c->keys[c->n - 1], key) >= 0) {
        perr(ps, "keys not in canonical order (sorted, no duplicate)");
        goto fail;
      }
      if (peek(ps) != ':') {
        perr(ps, "':' was expected");
        goto fail;
      }
      ps->pos++;
    }
    v = parse_value(ps, depth + 1);
    if (v == NULL || grow(c) != 0) {
      perr(ps, "out of memory");
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
    perr(ps, is_object ? "',' or '}' was expected" : "',' or ']' was expected");
    goto fail;
  }

fail:
  free(key);
  rgs_cj_free(v);
  rgs_cj_free(c);
  return NULL;
}

static rgs_cj *parse_value(parser *ps, int depth)
{
  rgs_cj *v = NULL;
  int c = peek(ps);

  if (ps->failed)
    return NULL;
  switch (c) {
  case '{': return parse_container(ps, depth, 1);
  case '[': return parse_container(ps, depth, 0);
  case '"':
    v = node(RGS_CJ_STR);
    if (v == NULL || parse_string(ps, &v->s) != 0) {
      perr(ps, "out of memory");
      rgs_cj_free(v);
      return NULL;
    }
    return v;
  case 't':
  case 'f':
    if (expect_word(ps, c == 't' ? "true" : "false") != 0)
      return NULL;
    v = node(RGS_CJ_BOOL);
    if (v != NULL)
      v->b = c == 't';
    return v;
  case 'n':
    if (expect_word(ps, "null") != 0)
      return NULL;
    return node(RGS_CJ_NULL);
  default:
    if (c == '-' || (c >= '0' && c <= '9')) {
      long long i = 0;
      if (parse_int(ps, &i) != 0)
        return NULL;
      v = node(RGS_CJ_INT);
      if (v != NULL)
        v->i = i;
      return v;
    }
    perr(ps, c < 0 ? "unexpected end" : "unexpected character (white space is not canonical)");
    return NULL;
  }
}

int rgs_cj_parse(const char *text, size_t len, rgs_cj **out, char *err, size_t errlen)
{
  parser ps = { text, len, 0, err, errlen, 0 };
  rgs_cj *v;

  *out = NULL;
  if (err != NULL && errlen > 0)
    err[0] = '\0';
  if (text == NULL || len > RGS_CJ_MAX_TEXT)
    return perr(&ps, "no text, or larger than 1 MiB");
  v = parse_value(&ps, 0);
  if (v == NULL) {
    perr(&ps, "out of memory");
    return -1;
  }
  if (ps.pos != len) {
    rgs_cj_free(v);
    return perr(&ps, "trailing bytes after the document");
  }
  *out = v;
  return 0;
}

/* ---- hex and base64 ------------------------------------------------------------ */

int rgs_cj_unhex(const char *text, unsigned char **out, size_t *len)
{
  size_t n, i;
  unsigned char *p;

  *out = NULL;
  *len = 0;
  if (text == NULL)
    return -1;
  n = strlen(text);
  if (n % 2 != 0)
    return -1;
  p = malloc(n / 2 + 1);
  if (p == NULL)
    return -1;
  for (i = 0; i < n / 2; i++) {
    int hi = hexval((unsigned char)text[2 * i]), lo = hexval((unsigned char)text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      free(p);
      return -1;
    }
    p[i] = (unsigned char)(hi * 16 + lo);
  }
  *out = p;
  *len = n / 2;
  return 0;
}

int rgs_cj_unb64(const char *text, unsigned char **out, size_t *len)
{
  size_t n, pad = 0;
  unsigned char *p, *check;
  int r;

  *out = NULL;
  *len = 0;
  if (text == NULL)
    return -1;
  n = strlen(text);
  if (n == 0 || n % 4 != 0 || n > RGS_CJ_MAX_TEXT)
    return -1;
  if (text[n - 1] == '=')
    pad++;
  if (text[n - 2] == '=')
    pad++;
  p = malloc(n / 4 * 3 + 1);
  if (p == NULL)
    return -1;
  r = EVP_DecodeBlock(p, (const unsigned char *)text, (int)n);
  if (r < 0 || (size_t)r < pad) {
    free(p);
    return -1;
  }
  *len = (size_t)r - pad;
  /* One spelling per value: what does not encode back the same is refused. */
  check = malloc(n + 1);
  if (check == NULL || EVP_EncodeBlock(check, p, (int)*len) != (int)n ||
      memcmp(check, text, n) != 0) {
    free(check);
    free(p);
    *len = 0;
    return -1;
  }
  free(check);
  *out = p;
  return 0;
}
