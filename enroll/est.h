/* SPDX-License-Identifier: BSD-3-Clause */
/* est.h - an EST client (RFC 7030, with the clarifications of RFC 8951)
 * over libcurl: /cacerts, /simpleenroll and /simplereenroll, HTTPS only,
 * the server always verified. */
#ifndef RGS_EST_H
#define RGS_EST_H

#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>

typedef enum {
  RGS_EST_OK = 0,             /* 200: the certificates are in *certs */
  RGS_EST_PENDING,            /* 202: ask again after info->retry_after seconds */
  RGS_EST_ERR_NOMEM,
  RGS_EST_ERR_URL,            /* not an https:// URL */
  RGS_EST_ERR_CONNECT,        /* name not resolved, connection refused */
  RGS_EST_ERR_TLS_VERIFY,     /* the server's certificate does not verify */
  RGS_EST_ERR_TLS,            /* any other TLS failure (client certificate refused...) */
  RGS_EST_ERR_TIMEOUT,        /* no complete answer in time */
  RGS_EST_ERR_AUTH,           /* 401 / 403: credentials refused */
  RGS_EST_ERR_REFUSED,        /* another 4xx: the server refused the request */
  RGS_EST_ERR_SERVER,         /* 5xx */
  RGS_EST_ERR_HTTP,           /* any other status */
  RGS_EST_ERR_CONTENT_TYPE,   /* 200 with a content type other than application/pkcs7-mime */
  RGS_EST_ERR_BODY,           /* not base64 of a PKCS#7 certs-only */
  RGS_EST_ERR_TOO_LARGE,      /* an answer over RGS_EST_MAX_BODY bytes */
  RGS_EST_ERR_INTERNAL,       /* libcurl or OpenSSL failure */
} rgs_est_rc;

/* The longest answer read from a server. */
#define RGS_EST_MAX_BODY (1024 * 1024)
/* The longest Retry-After kept (30 days, the longest --wait-max): a server
 * that asks for more is asked again after that. */
#define RGS_EST_RETRY_MAX (30L * 24 * 3600)

/* Translated sentence for rc; static storage. */
const char *rgs_est_strerror(rgs_est_rc rc);

typedef struct {
  const char *url;            /* https://host[:port][/.well-known/est[/label]] */
  const char *ca_file;        /* trust anchors for the server; NULL: the system store */
  const char *user;           /* HTTP Basic user (order reference); NULL: none */
  const char *secret;         /* HTTP Basic password (retrieval code); borrowed */
  size_t secret_len;
  long timeout;               /* seconds for a whole exchange; 0: 60 */
  /* TLS client authentication: a key (an EVP_PKEY backed by the token) and
   * its certificate; both NULL: none. */
  EVP_PKEY *client_key;
  X509 *client_cert;
} rgs_est_conf;

typedef struct {
  long http_status;           /* 0 when no answer */
  long retry_after;           /* RGS_EST_PENDING: seconds, 0 to RGS_EST_RETRY_MAX */
  char detail[512];           /* libcurl's error, or the server's message (sanitised) */
  /* When libcurl failed: what happened in the person's words (translated,
   * static) and a stable code for JSON ("name-not-found", "timeout", ...);
   * NULL otherwise. */
  const char *reason;
  const char *code;
} rgs_est_info;

/* Install allocators that wipe what libcurl frees (it copies the
 * credentials); call once, before any other libcurl use. RGS_EST_OK, or
 * RGS_EST_ERR_INTERNAL when libcurl refuses. */
rgs_est_rc rgs_est_global_init(void);
void rgs_est_global_cleanup(void);

/* GET /cacerts. *certs: free with rgs_certs_free(). */
rgs_est_rc rgs_est_cacerts(const rgs_est_conf *conf, STACK_OF(X509) **certs,
                           rgs_est_info *info);

/* POST /simpleenroll (reenroll: /simplereenroll) with the request. On
 * RGS_EST_OK *certs holds what the server returned (the new certificate,
 * perhaps with its chain). */
rgs_est_rc rgs_est_enroll(const rgs_est_conf *conf, X509_REQ *req, int reenroll,
                          STACK_OF(X509) **certs, rgs_est_info *info);

/* Check an EST URL given by the user: https only, a host, no user name,
 * password, query or fragment (libcurl would send credentials written in
 * the URL, and the URL is printed). canon: https://host[:port]/path, the
 * only form to store and print. RGS_EST_OK; RGS_EST_ERR_URL (refused or too
 * long) or RGS_EST_ERR_NOMEM, with a translated reason in err (may be NULL). */
rgs_est_rc rgs_est_url_canon(const char *base, char *canon, size_t canonlen, char *err,
                             size_t errlen);

/* ---- the pieces, for tests ---------------------------------------------- */

/* "application/pkcs7-mime; smime-type=certs-only" and variants: 1 when the
 * media type is application/pkcs7-mime (any case, any parameters). */
int rgs_est_is_pkcs7_mime(const char *content_type);
/* What rgs_est_retry_after gives for a value that is not a Retry-After. */
#define RGS_EST_RETRY_NONE (-1L)
/* Retry-After as RFC 9110 section 10.2.3 defines it: delay-seconds
 * (1*DIGIT) or an HTTP-date (IMF-fixdate, or the obsolete rfc850-date and
 * asctime-date), surrounded by optional spaces. Seconds from now, 0 for a
 * date in the past, at most RGS_EST_RETRY_MAX whatever the value or now;
 * RGS_EST_RETRY_NONE when value is not a Retry-After. */
long rgs_est_retry_after(const char *value, time_t now);
/* Body of a certs-only response: base64 with or without line breaks
 * (Content-Transfer-Encoding or not); raw DER accepted too. */
rgs_est_rc rgs_est_parse_certs(const unsigned char *body, size_t len, STACK_OF(X509) **certs);
/* The request as base64 DER in 64-column lines (CRLF), NUL-terminated;
 * free with free(). */
char *rgs_est_csr_body(X509_REQ *req, size_t *len);
/* base + "/.well-known/est" when the URL has no path, + "/" + op: the
 * results of rgs_est_url_canon(). */
rgs_est_rc rgs_est_url_op(const char *base, const char *op, char *out, size_t outlen);

#endif
