/* SPDX-License-Identifier: BSD-3-Clause */
/* revocation.h - is a certificate revoked? Asked of the OCSP responder its
 * Authority Information Access names, else read in the CRL of its
 * distribution points, over libcurl (http/https, timeouts, size limits).
 *
 * A library: it knows nothing of the run (no flow.h); the caller gives the
 * clock. Only an answer that verifies against the certificate's issuer
 * says "good" or "revoked"; every other outcome is one of the "unknown"
 * results, with its reason, never "good". */
#ifndef RGS_REVOCATION_H
#define RGS_REVOCATION_H

#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>
#include "json.h"

typedef enum {
  RGS_REV_GOOD = 0,            /* a trusted answer says it is not revoked */
  RGS_REV_REVOKED,             /* a trusted answer says it is: date and reason in the result */
  /* unknown: */
  RGS_REV_NO_SOURCE,           /* the certificate names no OCSP responder and no http CRL */
  RGS_REV_OFFLINE,             /* the server cannot be reached (no network, refused, name) */
  RGS_REV_TIMEOUT,             /* the server did not answer in time */
  RGS_REV_RESPONDER_ERROR,     /* the server answered with an error (HTTP or OCSP status) */
  RGS_REV_BAD_ANSWER,          /* the answer cannot be read: malformed, truncated, too large */
  RGS_REV_UNTRUSTED,           /* the answer cannot be trusted: signer, nonce, dates */
  RGS_REV_NOT_KNOWN,           /* the OCSP responder does not know the certificate */
  RGS_REV_NOT_CHECKED,         /* not asked: turned off, or no issuer to check against */
  RGS_REV_ERR_NOMEM,           /* memory, libcurl or OpenSSL failure */
} rgs_rev_rc;

/* Where the verdict comes from (for an unknown one: the last source tried). */
typedef enum { RGS_REV_SRC_NONE = 0, RGS_REV_SRC_OCSP, RGS_REV_SRC_CRL } rgs_rev_source;

/* The translated sentence for rc ("the answer could not be trusted"). */
const char *rgs_rev_strerror(rgs_rev_rc rc);
/* "good", "revoked" or "unknown": the status of rc, stable (JSON). */
const char *rgs_rev_status_name(rgs_rev_rc rc);
/* "ocsp", "crl" or "none" (JSON). */
const char *rgs_rev_source_name(rgs_rev_source s);
/* A CRL reason code (RFC 5280 5.3.1; -1: none given) in words, translated,
 * and as its stable RFC name ("keyCompromise"; NULL for -1). */
const char *rgs_rev_reason_text(int reason);
const char *rgs_rev_reason_name(int reason);

/* Limits and clock. rgs_rev_opts_init fills the defaults: connect 5 s,
 * whole exchange 10 s, OCSP answer 64 KiB, CRL 4 MiB, clock skew 5 min,
 * 3 redirects; RGS_ENROLL_REVOCATION_TIMEOUT_MS (tests) lowers both
 * timeouts. */
typedef struct {
  time_t now;                  /* the clock the answer's dates are judged at */
  long connect_timeout_ms, total_timeout_ms;
  size_t ocsp_max, crl_max;    /* bytes */
  long skew;                   /* seconds */
  long max_redirects;
} rgs_rev_opts;

void rgs_rev_opts_init(rgs_rev_opts *o, time_t now);

typedef struct {
  rgs_rev_rc rc;
  rgs_rev_source source;
  time_t revoked_at;           /* RGS_REV_REVOKED */
  int reason;                  /* RGS_REV_REVOKED: CRL reason code, -1 when none given */
  time_t this_update;          /* of the trusted answer; 0 otherwise */
  char url[256];               /* the source used or last tried (sanitised) */
  char detail[768];            /* the evidence: why unknown, what was tried (sanitised) */
} rgs_rev_result;

/* Check cert, issued by issuer (whose key must have signed the answer, or
 * the certificate of a responder it delegated with id-kp-OCSPSigning):
 * every OCSP responder of the AIA (http/https) in turn, then every http
 * CRL distribution point, until one gives a trusted answer. Returns
 * out->rc; out is filled in every case. */
rgs_rev_rc rgs_rev_check(X509 *cert, X509 *issuer, const rgs_rev_opts *o, rgs_rev_result *out);

/* out says "not checked", with why (translated; may be NULL). */
void rgs_rev_set_not_checked(rgs_rev_result *out, const char *why);
/* Member key: {"status": good|revoked|unknown, "source": ocsp|crl|none,
 * "revoked_at", "reason" (RFC name), "message", "url", "detail"} of the
 * current JSON object. */
void rgs_rev_json(rgs_json *j, const char *key, const rgs_rev_result *r);
/* The result as a sentence for people: "not revoked (answer of the OCSP
 * service, DATE)", "REVOKED since DATE: REASON", or the unknown and why. */
void rgs_rev_sentence(const rgs_rev_result *r, char *buf, size_t len);

/* The type of rgs_rev_check, for the workflows that are built without
 * libcurl and are handed the check by the binary that has it. */
typedef rgs_rev_rc (*rgs_rev_fn)(X509 *cert, X509 *issuer, const rgs_rev_opts *o,
                                 rgs_rev_result *out);

#endif
