/* SPDX-License-Identifier: BSD-3-Clause */
/* certcheck.h - certificates as CAs deliver them: read them, and judge one
 * against its chain of trust, RGS** and the order it was issued for.
 *
 * A library: no token session, no output; what a judgement finds goes into
 * a report (rgs_p11_report), what stops it is an rgs_certs_rc. The checks
 * that need the token (the key of a certificate on it, the proof that it
 * signs) are in certsession.h. */
#ifndef RGS_CERTCHECK_H
#define RGS_CERTCHECK_H

#include <time.h>
#include <openssl/x509.h>
#include "rgs_order.h"
#include "rgs_p11.h"

/* The results of this library. */
typedef enum {
  RGS_CERTS_OK = 0,
  RGS_CERTS_ERR_IO,        /* the file could not be read */
  RGS_CERTS_ERR_FORMAT,    /* nothing in it parses as PEM, DER or PKCS#7 certificates */
  RGS_CERTS_ERR_NOMEM,
  RGS_CERTS_ERR_CRYPTO,    /* OpenSSL failed where it should not (trust store, chain) */
} rgs_certs_rc;

/* Translated sentence for rc; static storage. */
const char *rgs_certs_strerror(rgs_certs_rc rc);

/* Certificates of a buffer: PEM (any number of CERTIFICATE or PKCS7
 * blocks), DER certificate, DER PKCS#7 (.p7b/.p7c), or PKCS#7 as bare base64
 * (what EST returns), line-wrapped or not. *out keeps the order of the
 * input; free with rgs_certs_free(). */
rgs_certs_rc rgs_certs_load_mem(const unsigned char *buf, size_t len, STACK_OF(X509) **out);
/* The same from a file, refusing what is not a regular file (a FIFO would
 * block); why (may be empty) gets the path and the reason on failure. */
rgs_certs_rc rgs_certs_load_file(const char *path, STACK_OF(X509) **out, char *why,
                                 size_t whylen);
void rgs_certs_free(STACK_OF(X509) *certs);

/* The certificates of a PKCS#7 SignedData (DER); NULL when it is not one. */
STACK_OF(X509) *rgs_certs_from_pkcs7(const unsigned char *der, size_t len);

/* The end-entity certificate of a bundle, in any order: the one whose
 * public key is pub when pub is given, else the only certificate that is
 * not a CA. NULL when there is none or several. Borrowed from certs. */
X509 *rgs_certs_leaf(STACK_OF(X509) *certs, const EVP_PKEY *pub);

/* PEM text of certificates (leaf first), NUL-terminated; free with free(). */
char *rgs_certs_pem(X509 *leaf, STACK_OF(X509) *others);

/* SHA-256 fingerprint "AB:CD:..." (96 bytes at least). */
void rgs_cert_fingerprint(X509 *cert, char *out, size_t len);
/* Subject one-line, UTF-8, sanitised for printing (rgsx_sanitize); free
 * with OPENSSL_free(). */
char *rgs_cert_subject(X509 *cert);
/* The first CN of cert's subject, sanitised for printing and labels, into
 * buf (empty when there is none). */
void rgs_cert_cn(X509 *cert, char *buf, size_t len);
/* The end of validity of cert; (time_t)-1 when it cannot be read, as
 * mktime() says it. */
time_t rgs_cert_not_after(const X509 *cert);

typedef struct {
  X509 *cert;
  STACK_OF(X509) *untrusted;   /* certificates delivered with it; may be NULL */
  const char *ca_file;         /* trust anchors; NULL: the system store */
  STACK_OF(X509) *anchors;     /* more anchors (confirmed by the user); may be NULL */
  time_t now;
  const rgs_order *order;      /* NULL: no subject check */
  int validity_years;          /* ordered validity; 0: not checked */
} rgs_certcheck_in;

/* Append the certificate criteria to *rep (created when NULL):
 *   cert.structure  the certificate and those delivered with it are
 *                   well-formed (version 1 or 3, no extension in v1,
 *                   positive serial, no repeated or undecodable
 *                   extension, readable public key); when it fails, no
 *                   other criterion follows
 *   cert.chain      chains to a trust anchor (OpenSSL's strict mode)
 *   cert.dates      the certificate (and its chain) valid now
 *   cert.signature  SHA-256 or stronger signatures (leaf and CAs)
 *   cert.usage      end entity; key usage digitalSignature; EKU, when
 *                   present, allows client authentication
 *   cert.key        RGS** key rules for the certificate's end of validity
 *   cert.subject    holder and company of the order (with an order)
 *   cert.validity   duration consistent with the ordered one (with years)
 * *chain (may be NULL) receives the verified chain, leaf first, when
 * cert.chain passes; free with rgs_certs_free(). A criterion that fails is
 * not a failure of the call: RGS_CERTS_OK, or RGS_CERTS_ERR_NOMEM /
 * RGS_CERTS_ERR_CRYPTO when the judgement could not be made. */
rgs_certs_rc rgs_certcheck(const rgs_certcheck_in *in, rgs_p11_report **rep,
                           STACK_OF(X509) **chain);

/* Verdict of the criterion id in rep; RGS_CHECK_UNKNOWN when absent. */
rgs_p11_verdict rgs_report_verdict(const rgs_p11_report *rep, const char *id);

#endif
