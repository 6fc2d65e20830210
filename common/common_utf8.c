/* SPDX-License-Identifier: BSD-3-Clause */
/* common_utf8.c - UTF-8 checks and the sanitiser for untrusted strings. */
#include <stdlib.h>
#include <string.h>
#include "rgs_common.h"

size_t rgsx_utf8_char_len(const unsigned char *s, size_t n)
{
  unsigned char lo = 0x80, hi = 0xBF;
  size_t len, i;

  if (n == 0)
    return 0;
  if (s[0] < 0x80)
    return 1;
  if (s[0] >= 0xC2 && s[0] <= 0xDF)
    len = 2;
  else if (s[0] >= 0xE0 && s[0] <= 0xEF)
    len = 3;
  else if (s[0] >= 0xF0 && s[0] <= 0xF4)
    len = 4;
  else
    return 0;
  if (n < len)
    return 0;
  /* The second byte's range rules out overlong forms, surrogates and code
   * points above U+10FFFF (RFC 3629, section 4). */
  if (s[0] == 0xE0)
    lo = 0xA0;
  else if (s[0] == 0xED)
    hi = 0x9F;
  else if (s[0] == 0xF0)
    lo = 0x90;
  else if (s[0] == 0xF4)
    hi = 0x8F;
  if (s[1] < lo || s[1] > hi)
    return 0;
  for (i = 2; i < len; i++)
    if ((s[i] & 0xC0) != 0x80)
      return 0;
  return len;
}

int rgsx_utf8_valid(const char *s, size_t n)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;

  if (s == NULL)
    return 0;
  while (i < n) {
    size_t k = rgsx_utf8_char_len(p + i, n - i);
    if (k == 0 || p[i] == '\0')
      return 0;
    i += k;
  }
  return 1;
}

/* Every byte of one parity is NUL: ASCII saved as UTF-16 without a BOM. */
static int nul_every_other(const unsigned char *p, size_t n)
{
  size_t i, parity;

  if (n < 2)
    return 0;
  for (parity = 0; parity < 2; parity++) {
    for (i = parity; i < n && p[i] == '\0'; i += 2)
      ;
    if (i >= n)
      return 1;
  }
  return 0;
}

rgsx_text_fault rgsx_text_check(const char *s, size_t n, unsigned flags)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i, k;

  if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)))
    return RGSX_TEXT_UTF16;
  if (memchr(p, '\0', n) != NULL)
    return nul_every_other(p, n) ? RGSX_TEXT_UTF16 : RGSX_TEXT_NUL;
  for (i = 0; i < n; i += k) {
    k = rgsx_utf8_char_len(p + i, n - i);
    if (k == 0)
      return RGSX_TEXT_NOT_UTF8;
    if ((flags & RGSX_TEXT_BLANKS) && (p[i] == '\t' || p[i] == '\r'))
      continue;
    if (p[i] < 0x20 || p[i] == 0x7F || (k == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0))
      return RGSX_TEXT_CONTROL;
  }
  return RGSX_TEXT_OK;
}

/* The code point of a well-formed sequence of k bytes. */
static unsigned long decode(const unsigned char *p, size_t k)
{
  static const unsigned char lead_mask[5] = { 0, 0x7F, 0x1F, 0x0F, 0x07 };
  unsigned long cp = p[0] & lead_mask[k];
  size_t i;

  for (i = 1; i < k; i++)
    cp = (cp << 6) | (p[i] & 0x3F);
  return cp;
}

/* Characters that change what a terminal or a reader sees beyond
 * themselves: controls (C0, DEL, C1) and the bidirectional overrides and
 * isolates that can reorder a name on screen. */
static int is_unsafe(unsigned long cp)
{
  if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
    return 1;
  if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
      cp == 0x200E || cp == 0x200F || cp == 0x061C)
    return 1;
  return 0;
}

/* Bytes of the next piece of output for the input at p: the character
 * itself (*keep = 1) or one '?' standing for k input bytes (*keep = 0). */
static size_t next_piece(const unsigned char *p, size_t avail, int *keep)
{
  size_t k = rgsx_utf8_char_len(p, avail);

  if (k == 0) {
    *keep = 0;
    return 1;
  }
  *keep = !is_unsafe(decode(p, k));
  return k;
}

char *rgsx_sanitize_buf(char *dst, size_t cap, const char *src, size_t n)
{
  const unsigned char *p = (const unsigned char *)src;
  size_t i = 0, o = 0;

  if (dst == NULL || cap == 0)
    return dst;
  if (src != NULL && n == (size_t)-1)
    n = strlen(src);
  while (src != NULL && i < n) {
    int keep;
    size_t k = next_piece(p + i, n - i, &keep);
    size_t out = keep ? k : 1;
    if (o + out >= cap)
      break;
    if (keep)
      memcpy(dst + o, p + i, k);
    else
      dst[o] = '?';
    o += out;
    i += k;
  }
  dst[o] = '\0';
  return dst;
}

char *rgsx_sanitize(const char *src, size_t n)
{
  char *dst;

  if (src == NULL)
    return strdup("");
  if (n == (size_t)-1)
    n = strlen(src);
  /* Never longer than the input: a kept character is copied, anything
   * else becomes one byte. */
  dst = malloc(n + 1);
  if (dst == NULL)
    return NULL;
  return rgsx_sanitize_buf(dst, n + 1, src, n);
}

int rgsx_is_clean(const char *src, size_t n)
{
  const unsigned char *p = (const unsigned char *)src;
  size_t i = 0;

  if (src == NULL)
    return 1;
  if (n == (size_t)-1)
    n = strlen(src);
  while (i < n) {
    int keep;
    i += next_piece(p + i, n - i, &keep);
    if (!keep)
      return 0;
  }
  return 1;
}
