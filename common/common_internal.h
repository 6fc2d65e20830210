/* common_internal.h - what the files of common/ share, not exported. */
#ifndef RGS_COMMON_INTERNAL_H
#define RGS_COMMON_INTERNAL_H

#include <libintl.h>

#define RGS_TEXTDOMAIN "rgs-enroll"
#define _(s) dgettext(RGS_TEXTDOMAIN, s)

#endif
