/* SPDX-License-Identifier: BSD-3-Clause */
/* rev_fixture.h - what the revocation tests serve on 127.0.0.1: a test CA
 * (root, issuing CA), real OCSP responders (`openssl ocsp`, one per
 * signer), a tiny HTTP server in a thread for CRLs and for answers that lie,
 * hang or overflow, and a port that refuses connections. Test code only. */
#ifndef RGS_REV_FIXTURE_H
#define RGS_REV_FIXTURE_H

#include <pthread.h>
#include <stdio.h>
#include <sys/types.h>
#include "testpki.h"

/* Serials the responders know: good, and revoked (keyCompromise, at
 * REV_REVOKED_AT); any other serial is "unknown" to them. */
#define REV_SERIAL_GOOD "1001"
#define REV_SERIAL_REVOKED "1002"
#define REV_SERIAL_UNLISTED "1003"
#define REV_REVOKED_AT "260101120000Z"    /* 2026-01-01T12:00:00Z */
#define REV_REVOKED_AT_T 1767268800L

#define REV_MAX_ROUTES 16

typedef struct {
  char path[64];
  unsigned char *body;         /* owned */
  size_t len;
  int status;                  /* HTTP status; 0: hang (read, never answer) */
} rev_route;

typedef struct {
  int fd, port;
  pthread_t th;
  pthread_mutex_t mu;
  rev_route routes[REV_MAX_ROUTES];
  size_t n;
  int hung[32];                /* connections left unanswered */
  size_t n_hung;
  unsigned requests;           /* answered or hung */
} rev_httpd;

/* The OCSP responders: signed by the issuing CA, by a responder the CA
 * delegated (id-kp-OCSPSigning), by another CA's key, by a certificate of
 * the CA without id-kp-OCSPSigning. */
enum { REV_RESP_CA, REV_RESP_DELEGATED, REV_RESP_OTHER, REV_RESP_NOEKU, REV_N_RESP };

typedef struct {
  char *dir;
  tpki_ca root, ca, other;     /* ca: the issuing CA, under root */
  EVP_PKEY *deleg_key, *noeku_key;
  X509 *deleg_cert, *noeku_cert;
  char root_file[600];         /* root (PEM), the trust anchor */
  char chain_file[600];        /* the issuing CA (PEM) */
  pid_t resp_pid[REV_N_RESP];
  int resp_port[REV_N_RESP];
  FILE *resp_out[REV_N_RESP];  /* their stdout, read up to the ACCEPT line */
  rev_httpd http;
  int refuse_fd, refuse_port;  /* bound, not listening: connections refused */
} rev_fixture;

/* Make the PKI, start the responders and the server. 0 on success. */
int rev_fixture_init(rev_fixture *f);
void rev_fixture_cleanup(rev_fixture *f);

/* "http://127.0.0.1:PORT/ocsp" of a responder; of the tiny server
 * "http://127.0.0.1:PORT" + path; of the refusing port. */
void rev_responder_url(const rev_fixture *f, int which, char *out, size_t len);
void rev_http_url(const rev_fixture *f, const char *path, char *out, size_t len);
void rev_refused_url(const rev_fixture *f, char *out, size_t len);

/* Serve body (copied) with status at path (status 0: hang); replaces. */
void rev_http_set(rev_fixture *f, const char *path, int status, const void *body, size_t len);

/* A holder certificate for pub (NULL: a fresh key) from the issuing CA with
 * this decimal serial, an OCSP URL in its AIA and a CRL distribution point
 * (each NULL: none). */
X509 *rev_leaf(rev_fixture *f, EVP_PKEY *pub, const char *serial, const char *ocsp_url,
               const char *crl_url);

/* The same, for an AED: with the certificate policy OID policy (NULL:
 * none) and no CRL distribution point. */
X509 *rev_aed(rev_fixture *f, EVP_PKEY *pub, const char *serial, const char *ocsp_url,
              const char *policy);

/* A CRL of the issuing CA's name signed by signer's key, dated last and
 * next (next 0: none), revoking serial (decimal, NULL: none) at
 * REV_REVOKED_AT with reason (-1: none); DER or PEM. malloc'd. */
unsigned char *rev_crl(const tpki_ca *signer, const tpki_ca *named, time_t last, time_t next,
                       const char *serial, int reason, int pem, size_t *len);

/* A canned OCSP answer about cert: status good, signed by the issuing CA,
 * with nonce (NULL: none), dated this_upd / next_upd. DER, malloc'd. */
unsigned char *rev_ocsp_canned(rev_fixture *f, X509 *cert, const char *nonce, time_t this_upd,
                               time_t next_upd, size_t *len);

#endif
