/* SPDX-License-Identifier: BSD-3-Clause */
/* f2f_aedtoken.h - the AED's SoftHSM token of the tests: an RSA key made on
 * the token "AED" (pkcs11-tool), a certificate of a fresh test CA for it
 * (Maître Jeanne DUPONT-LÉGER, the demo AED policy) written beside the key. */
#ifndef RGS_F2F_AEDTOKEN_H
#define RGS_F2F_AEDTOKEN_H

/* On the token labelled "AED" of the current SoftHSM directory; files are
 * made in dir, the CA's certificate written as PEM to ca_pem. Fails the
 * test on error. */
void f2f_aed_token(const char *dir, const char *ca_pem);

#endif
