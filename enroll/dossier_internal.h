/* SPDX-License-Identifier: BSD-3-Clause */
/* dossier_internal.h - what dossier.c (the signed dossier, the record
 * coming back) and dossier_qr.c (its short form on paper) share. */
#ifndef RGS_DOSSIER_INTERNAL_H
#define RGS_DOSSIER_INTERNAL_H

#include <openssl/x509.h>
#include "flow.h"
#include "rgs_order.h"

/* An order with its binding and appointment, as exported. */
typedef struct {
  rgs_order o;
  rgs_order_binding b;
  int bound;
  rgs_order_appointment a;
  int have_appt;
} rgs_dossier_view;

void rgs_dossier_view_clear(rgs_dossier_view *v);
/* The order, its binding (required, with a CA reference) and its
 * appointment. Failures reported under cmd; returns the exit. */
int rgs_dossier_load_view(const rgs_io *io, const char *cmd, long long id, rgs_dossier_view *v);
/* The request of a PEM text; NULL when it does not read. */
X509_REQ *rgs_dossier_req_from_pem(const char *pem);

#endif
