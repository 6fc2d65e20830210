/* SPDX-License-Identifier: BSD-3-Clause */
/* f2f_pki.h - a test PKI made with OpenSSL: keys, a CA, certificates with
 * fixed dates (2020-01-01 to 2040-01-01 unless told), files. */
#ifndef RGS_F2F_PKI_H
#define RGS_F2F_PKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>

/* "ec" (P-256) or "rsa" (2048). Free with EVP_PKEY_free(). */
EVP_PKEY *pki_key(const char *kind);
/* A certificate for pub: self-signed CA when issuer is NULL (key: issuer_key
 * = the CA's own), else a leaf for digital signatures. Dates as
 * "YYYYMMDDHHMMSSZ", NULL for the defaults. Free with X509_free(). */
X509 *pki_cert(const char *cn, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *issuer_key, int ca,
               const char *not_before, const char *not_after);
/* The policy OID that the DEMO entry of data/aed-trust/demo-aed.conf asks
 * of AED certificates: pki_cert puts it in every leaf. */
#define PKI_DEMO_AED_POLICY "2.25.274948067526918018299264828686314218659"
/* The same with the leaf's certificate policy given (NULL: none), for a
 * certificate of the test CA that is not an AED's. */
X509 *pki_cert_policy(const char *cn, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *issuer_key,
                      int ca, const char *not_before, const char *not_after,
                      const char *policy);
int pki_write_pem(const char *path, X509 *cert);
int pki_write_der(const char *path, X509 *cert);
/* A DER SubjectPublicKeyInfo file (pkcs11-tool --read-object --type pubkey). */
EVP_PKEY *pki_read_pubkey_der(const char *path);
/* SHA-256 + sign, for rgs_f2f_cms_sign: ud is the EVP_PKEY. */
int pki_sign(void *ud, const unsigned char *data, size_t len, unsigned char **sig,
             size_t *siglen);

#endif
