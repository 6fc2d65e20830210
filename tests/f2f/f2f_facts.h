/* SPDX-License-Identifier: BSD-3-Clause */
/* f2f_facts.h - the facts of one face-to-face that passed every step
 * (order 12, CMD-2026-0042, Frédéric Senez of BS AUTO, 10 March 2026,
 * Maître Jeanne DUPONT-LÉGER at Arles), shared by the tests that build,
 * sign and print records in process. */
#ifndef RGS_F2F_FACTS_H
#define RGS_F2F_FACTS_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include "f2f.h"

typedef struct {
  rgs_f2f_facts f;
  unsigned char *spki;         /* DER SubjectPublicKeyInfo of the holder's key */
  size_t spki_len;
  char spki_hex[65];           /* its SHA-256 */
  char *pop_msg;               /* the proof of possession, signed by the holder's key */
  unsigned char *pop_sig;
  size_t pop_sig_len;
} f2f_sample;

/* Fill s for the holder's key holder and the AED's certificate aed (kept,
 * not owned). Fails the test on error. */
void f2f_sample_init(f2f_sample *s, EVP_PKEY *holder, X509 *aed);
void f2f_sample_free(f2f_sample *s);

#endif
