/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsx_i18n.h - the message macros every layer of rgs-enroll uses (not a
 * public header of any library: include it from .c files and internal
 * headers only). One text domain; dgettext so that a library's messages
 * are translated whichever program links it. */
#ifndef RGSX_I18N_H
#define RGSX_I18N_H

#include <libintl.h>

#define RGS_TEXTDOMAIN "rgs-enroll"
#define _(s) dgettext(RGS_TEXTDOMAIN, s)
#define N_(s) (s)
#define RGS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
