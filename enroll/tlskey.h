/* SPDX-License-Identifier: BSD-3-Clause */
/* tlskey.h - an OpenSSL key backed by the token, through libp11, for TLS
 * client authentication (renew: /simplereenroll with the current
 * certificate). The private key never leaves the card: OpenSSL's signing
 * calls go to the token. */
#ifndef RGS_TLSKEY_H
#define RGS_TLSKEY_H

#include <stddef.h>
#include <openssl/evp.h>
#include "rgs_p11.h"

typedef struct rgs_tls_key rgs_tls_key;

/* Load the module a second time through libp11, find the token described
 * by info (serial, label, manufacturer) and the private key whose public key
 * is pub. The token must already be logged in through the rgs_p11 session
 * (a PKCS#11 login belongs to the whole process): libp11 is never given the
 * PIN. *pkey is borrowed from the handle. Free with rgs_tls_key_free()
 * before the rgs_p11 context: libp11 finalises the module when it unloads.
 * On failure, err says why; returns the rgs_p11_rc it maps to. */
rgs_p11_rc rgs_tls_key_open(const char *module, const rgs_p11_slot_info *info,
                            const EVP_PKEY *pub, rgs_tls_key **out, EVP_PKEY **pkey,
                            char *err, size_t errlen);
void rgs_tls_key_free(rgs_tls_key *k);

#endif
