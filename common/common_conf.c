/* SPDX-License-Identifier: BSD-3-Clause */
/* common_conf.c - the pieces every "[section] key = value" settings file
 * of the project reads alike (the qualified-device policy, the AED trust
 * file): lines, blanks, the split at '=', and what to say of text that is
 * not plain UTF-8. What a section or a value means stays with each file. */
#include <string.h>
#include "common_internal.h"
#include "rgs_common.h"

void rgsx_lines_init(rgsx_lines *r, const char *text, size_t len)
{
  r->text = text;
  r->len = text != NULL ? len : 0;
  r->off = 0;
  r->line_no = 0;
}

int rgsx_lines_next(rgsx_lines *r, const char **line, size_t *n)
{
  const char *nl;

  if (r->off >= r->len)
    return 0;
  nl = memchr(r->text + r->off, '\n', r->len - r->off);
  *line = r->text + r->off;
  *n = nl != NULL ? (size_t)(nl - *line) : r->len - r->off;
  r->off += *n + 1;
  r->line_no++;
  return 1;
}

static int is_blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r';
}

char *rgsx_trim(char *s)
{
  size_t n;

  while (is_blank(*s))
    s++;
  n = strlen(s);
  while (n > 0 && is_blank(s[n - 1]))
    s[--n] = '\0';
  return s;
}

int rgsx_conf_split(char *line, char **key, char **value)
{
  char *eq = strchr(line, '=');

  if (eq == NULL)
    return 0;
  *eq = '\0';
  *key = rgsx_trim(line);
  *value = rgsx_trim(eq + 1);
  return 1;
}

const char *rgsx_text_fault_str(rgsx_text_fault f)
{
  /* No default: -Wall names any value someone forgets here. */
  switch (f) {
  case RGSX_TEXT_OK: return NULL;
  case RGSX_TEXT_UTF16:
    return _("the file is in UTF-16 (as Notepad saves \"Unicode\"): save it as UTF-8");
  case RGSX_TEXT_NUL: return _("NUL byte in the line (is this a text file?)");
  case RGSX_TEXT_NOT_UTF8:
    return _("not UTF-8 text (an accented letter saved as Windows-1252?): save the file as UTF-8");
  case RGSX_TEXT_CONTROL: return _("control character in the line");
  }
  return NULL;
}
