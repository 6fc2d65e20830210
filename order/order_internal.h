/* order_internal.h - shared between the files of order/, not installed. */
#ifndef RGS_ORDER_INTERNAL_H
#define RGS_ORDER_INTERNAL_H

#include <libintl.h>
#include "rgs_order.h"

#define RGS_TEXTDOMAIN "rgs-enroll"
#define _(s) dgettext(RGS_TEXTDOMAIN, s)
#define N_(s) (s)

#endif
