/* SPDX-License-Identifier: BSD-3-Clause */
/* common_internal.h - what the files of common/ share, not exported. */
#ifndef RGS_COMMON_INTERNAL_H
#define RGS_COMMON_INTERNAL_H

#include "rgsx_i18n.h"

#endif
