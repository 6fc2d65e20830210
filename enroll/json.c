/* SPDX-License-Identifier: BSD-3-Clause */
/* json.c - JSON output. Strings are escaped and broken UTF-8 is replaced, so
 * that whatever a token or a user typed, the document stays valid. */
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "rgs_common.h"

void rgs_json_start(rgs_json *j, FILE *out)
{
  memset(j, 0, sizeof(*j));
  j->out = out;
  j->first[0] = 1;
}

static void put_string(FILE *o, const char *s)
{
  const unsigned char *p = (const unsigned char *)s;

  fputc('"', o);
  while (*p != '\0') {
    size_t len = 1;
    if (*p == '"' || *p == '\\') {
      fprintf(o, "\\%c", *p);
    } else if (*p < 0x20 || *p == 0x7F) {
      fprintf(o, "\\u%04x", *p);
    } else if (*p < 0x80) {
      fputc(*p, o);
    } else {
      len = rgsx_utf8_char_len(p, strnlen((const char *)p, 4));
      if (len == 0) {
        fputs("\\ufffd", o);
        len = 1;
      } else {
        fwrite(p, 1, len, o);
      }
    }
    p += len;
  }
  fputc('"', o);
}

static void member(rgs_json *j, const char *key)
{
  if (!j->first[j->depth])
    fputc(',', j->out);
  j->first[j->depth] = 0;
  if (key != NULL) {
    put_string(j->out, key);
    fputc(':', j->out);
  }
}

static void open_container(rgs_json *j, const char *key, int is_array)
{
  member(j, key);
  fputc(is_array ? '[' : '{', j->out);
  /* Our documents are shallow; deeper nesting than the stack is a
   * programming error that the tests' JSON parsing would catch. */
  if (j->depth + 1 < RGS_JSON_DEPTH) {
    j->depth++;
    j->first[j->depth] = 1;
    j->array[j->depth] = is_array;
  }
}

void rgs_json_object(rgs_json *j, const char *key)
{
  open_container(j, key, 0);
}

void rgs_json_array(rgs_json *j, const char *key)
{
  open_container(j, key, 1);
}

void rgs_json_end(rgs_json *j)
{
  fputc(j->array[j->depth] ? ']' : '}', j->out);
  if (j->depth > 0)
    j->depth--;
}

void rgs_json_str(rgs_json *j, const char *key, const char *value)
{
  member(j, key);
  if (value == NULL)
    fputs("null", j->out);
  else
    put_string(j->out, value);
}

void rgs_json_int(rgs_json *j, const char *key, long long value)
{
  member(j, key);
  fprintf(j->out, "%lld", value);
}

void rgs_json_bool(rgs_json *j, const char *key, int value)
{
  member(j, key);
  fputs(value ? "true" : "false", j->out);
}

void rgs_json_hex(rgs_json *j, const char *key, const unsigned char *p, size_t len)
{
  char *text = malloc(2 * len + 1);

  member(j, key);
  /* Out of memory: an empty string rather than a broken document. */
  fprintf(j->out, "\"%s\"", text != NULL ? rgsx_hex(p, len, text) : "");
  free(text);
}

void rgs_json_finish(rgs_json *j)
{
  while (j->depth > 0)
    rgs_json_end(j);
  fputc('\n', j->out);
  fflush(j->out);
}
