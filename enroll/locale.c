/* SPDX-License-Identifier: BSD-3-Clause */
/* locale.c - LANGUAGE alone selects the messages' language. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include "rgs_locale.h"

static int set_in_env(const char *name)
{
  const char *v = getenv(name);

  return v != NULL && v[0] != '\0';
}

static int is_c_locale(const char *name)
{
  return name != NULL && (strcmp(name, "C") == 0 || strcmp(name, "POSIX") == 0);
}

int rgs_locale_from_language(void)
{
  if (!set_in_env("LANGUAGE") || set_in_env("LC_ALL") || set_in_env("LC_MESSAGES"))
    return 0;
  if (!is_c_locale(setlocale(LC_MESSAGES, NULL)))
    return 0;
  /* C.UTF-8 is built into glibc 2.35 and later: no locale data needed. */
  return setlocale(LC_MESSAGES, "C.UTF-8") != NULL;
}
