/* SPDX-License-Identifier: BSD-3-Clause */
/* rgs_locale.h - the messages' language at start-up. */
#ifndef RGS_LOCALE_H
#define RGS_LOCALE_H

/* After setlocale(LC_ALL, ""): when LANGUAGE names a language but the
 * messages' locale is "C" or "POSIX" only because nothing chose one (no
 * LC_ALL, no LC_MESSAGES), select C.UTF-8 for LC_MESSAGES, so that
 * `LANGUAGE=fr rgs-enroll ...` speaks French on a machine without fr_FR
 * locale data (glibc ignores LANGUAGE under the "C" locale, not under
 * C.UTF-8). An explicit LC_ALL=C or LC_MESSAGES=C (a script that wants
 * the untranslated messages) is left alone. Returns 1 when it changed
 * the locale. */
int rgs_locale_from_language(void);

#endif
