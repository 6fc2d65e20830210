/* p11_wipe.c - the one secret-wipe helper of the project. */
#include <openssl/crypto.h>
#include "rgs_p11.h"

void rgs_wipe(void *p, size_t n)
{
  /* OPENSSL_cleanse is written so that the compiler cannot drop it as a dead
   * store, which a plain memset before free or return would be. */
  if (p != NULL && n > 0)
    OPENSSL_cleanse(p, n);
}
