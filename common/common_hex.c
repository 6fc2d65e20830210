/* SPDX-License-Identifier: BSD-3-Clause */
/* common_hex.c - reading hex digits back (rgsx_hex writes them). */
#include "rgs_common.h"

/* The value of one hex digit into *v; 0 when c is not one. */
static int hex_digit(char c, unsigned flags, unsigned *v)
{
  if (c >= '0' && c <= '9')
    *v = (unsigned)(c - '0');
  else if (c >= 'a' && c <= 'f')
    *v = (unsigned)(c - 'a' + 10);
  else if (c >= 'A' && c <= 'F' && !(flags & RGSX_HEX_LOWER))
    *v = (unsigned)(c - 'A' + 10);
  else
    return 0;
  return 1;
}

int rgsx_hex_byte(const char *s, unsigned flags, unsigned char *out)
{
  unsigned hi, lo;

  /* s[1] is read only when s[0] is a digit, so never past a NUL. */
  if (s == NULL || !hex_digit(s[0], flags, &hi) || !hex_digit(s[1], flags, &lo))
    return 0;
  *out = (unsigned char)(hi << 4 | lo);
  return 1;
}
