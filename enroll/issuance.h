/* SPDX-License-Identifier: BSD-3-Clause */
/* issuance.h - what came back from the CA for an order, as status shows it. */
#ifndef RGS_ISSUANCE_H
#define RGS_ISSUANCE_H

#include "flow.h"

/* Text lines, or members "est": {...} of the current JSON object (j), on
 * the EST exchange of order o: pending or not, when the next try is due,
 * whether a certificate waits to be installed. Prints nothing when the
 * order never used EST nor received a certificate. */
void rgs_issuance_show(const rgs_io *io, rgs_json *j, rgs_order_store *st, const rgs_order *o);

#endif
