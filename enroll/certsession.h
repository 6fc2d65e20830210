/* SPDX-License-Identifier: BSD-3-Clause */
/* certsession.h - the certificate checks that need the token: the private
 * key of a certificate on it, and the proof that the token signs with the
 * certificate once installed. Workflows: failures are reported through
 * the session's rgs_io and come back as exit classes (rgs_exit.h). The
 * judgement of the certificate itself is certcheck.h's. */
#ifndef RGS_CERTSESSION_H
#define RGS_CERTSESSION_H

#include "certcheck.h"
#include "flow.h"

/* The certificate and its key on the token (logged in): finds the private
 * key whose public key is the certificate's (never by label or CKA_ID) and
 * adds "cert.key-on-token", then the key criteria of rgs_p11_check_key for
 * the certificate's end of validity, then rgs_certcheck's. *key receives
 * the key (NULL when none); free with rgs_p11_key_free(). Token failures
 * are reported and their exit returned; a failed criterion is not one. */
int rgs_certcheck_pair(rgs_session *s, const rgs_certcheck_in *in, rgs_p11_key **key,
                       rgs_p11_report **rep, STACK_OF(X509) **chain, const char *command);

/* The proof that the token is ready: the certificate as read back from the
 * token (X509_cmp equal to cert) verifies a signature the token makes with
 * key over a fresh random challenge. Token failures reported with their
 * exit (a removed token: RGS_EXIT_TOKEN); a failed proof is RGS_EXIT_CHECK. */
int rgs_prove_installed(rgs_session *s, const rgs_p11_key *key, X509 *cert, const char *command);

#endif
