/* SPDX-License-Identifier: BSD-3-Clause */
/* common_wipe.c - the one secret-wipe helper of the project, and hex. */
#include <openssl/crypto.h>
#include "rgs_common.h"

void rgsx_wipe(void *p, size_t n)
{
  /* OPENSSL_cleanse is written so that the compiler cannot drop it as a dead
   * store, which a plain memset before free or return would be. */
  if (p != NULL && n > 0)
    OPENSSL_cleanse(p, n);
}

char *rgsx_hex(const unsigned char *p, size_t n, char *out)
{
  static const char digits[] = "0123456789abcdef";
  size_t i;

  for (i = 0; i < n; i++) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 0x0F];
  }
  out[2 * n] = '\0';
  return out;
}
