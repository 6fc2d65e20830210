/* SPDX-License-Identifier: BSD-3-Clause */
/* testpki.h - a small certification authority made by the tests: roots,
 * intermediates, holder certificates good and bad, written in the formats
 * CAs deliver (PEM, DER, PKCS#7). Test code only. */
#ifndef RGS_TESTPKI_H
#define RGS_TESTPKI_H

#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

typedef struct {
  EVP_PKEY *key;
  X509 *cert;
} tpki_ca;

#define TPKI_DAY 86400L

/* A CA: self-signed when parent is NULL, else issued by parent. EC P-256,
 * SHA-256, valid from now - 1 day for `days` days. 0 on success. Free with
 * tpki_ca_free(). */
int tpki_ca_new(tpki_ca *ca, const char *cn, const tpki_ca *parent, long days);
void tpki_ca_free(tpki_ca *ca);

typedef struct {
  const char *subject;        /* "C=FR,O=ACME,OU=0002 732829320,CN=Jean DUPONT" */
  time_t not_before, not_after;
  const EVP_MD *md;           /* NULL: SHA-256 */
  int no_key_usage;           /* leave out the key usage extension */
  int server;                 /* a TLS server certificate (EKU serverAuth, SAN) */
  const char *san_dns;        /* for server: DNS name; an IP is also added: 127.0.0.1 */
  const unsigned char *ski;   /* subject key identifier to write instead of the real one */
  size_t ski_len;
} tpki_leaf;

/* A certificate for pub issued by ca. NULL on failure. */
X509 *tpki_issue(const tpki_ca *ca, EVP_PKEY *pub, const tpki_leaf *spec);

/* What a hostile or careless CA does (hostile certificates for the tests
 * of the checks that must refuse them). Zero: as tpki_issue. */
typedef struct {
  const X509_NAME *name;      /* subject as the test built it, instead of spec->subject */
  const char *serial;         /* decimal serial instead of a random one: "0", "-1" */
  long version;               /* the version field plus one (1, 3, 99); 0: 3 */
  int dup_ext;                /* the extended key usage twice */
  int garbage_ext;            /* a subject alternative name whose value is not DER */
  int bad_pubkey;             /* an EC point that is not on the curve */
} tpki_hostile;

X509 *tpki_issue_hostile(const tpki_ca *ca, EVP_PKEY *pub, const tpki_leaf *spec,
                         const tpki_hostile *h);

/* A PKCS#10 request for key with this subject (SHA-256), written as PEM.
 * 0 on success. */
int tpki_write_csr(const char *path, EVP_PKEY *key, const X509_NAME *name);

/* The public key of a PKCS#10 request file (PEM or DER). */
EVP_PKEY *tpki_csr_pubkey(const char *path);
/* A fresh EC P-256 key pair. */
EVP_PKEY *tpki_ec_key(void);

/* Writers; certs is a NULL-terminated array. 0 on success. */
int tpki_write_pem(const char *path, X509 *const *certs);
int tpki_write_der(const char *path, X509 *cert);
/* PKCS#7 certs-only, DER (pem 0) or PEM (pem 1). */
int tpki_write_p7(const char *path, X509 *const *certs, int pem);
/* PKCS#7 certs-only as base64 DER, into a malloc'd string (wrap: 64-column
 * lines, else one line). */
char *tpki_p7_base64(X509 *const *certs, int wrap);
int tpki_write_key_pem(const char *path, EVP_PKEY *key);

#endif
