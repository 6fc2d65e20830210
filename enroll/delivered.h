/* SPDX-License-Identifier: BSD-3-Clause */
/* delivered.h - check --delivered: a token delivered by the CA with its key
 * and certificate already on it. */
#ifndef RGS_DELIVERED_H
#define RGS_DELIVERED_H

#include "steps.h"

/* Log in, judge every holder certificate on the token with its key (see
 * rgs_certcheck_pair) next to the token's own report, print the whole
 * (text or JSON) and return 0 when everything passes, RGS_EXIT_CHECK when
 * something fails, another exit on token failures (reported). ca_file:
 * trust anchors instead of the system store (NULL); validity_years: the
 * ordered validity to compare with (0: not checked). */
int rgs_check_delivered(rgs_session *s, rgs_p11_report *token_rep, const char *ca_file,
                        int validity_years);

#endif
