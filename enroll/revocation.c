/* SPDX-License-Identifier: BSD-3-Clause */
/* revocation.c - the revocation status of a certificate: OCSP (RFC 6960)
 * from its AIA, else its CRL (RFC 5280), fetched with libcurl.
 *
 * Trust comes from the issuer alone: an OCSP answer must verify with the
 * issuer's key or with a responder certificate the issuer signed with
 * id-kp-OCSPSigning (OCSP_basic_verify, never OCSP_TRUSTOTHER), carry our
 * nonce back (or none at all), and be current at the caller's clock; a
 * CRL must name the issuer, verify with its key and be current. Whatever
 * fails is an "unknown" with its reason. The words (messages, reasons,
 * JSON) are in revocation_text.c, which the lean binary links too. */
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "revocation.h"

/* ---- HTTP --------------------------------------------------------------- */

typedef struct {
  unsigned char *p;
  size_t len, cap;             /* cap: the most that is read */
  int too_large;
} body;

static size_t on_data(char *data, size_t size, size_t n, void *user)
{
  body *b = user;
  size_t add = size * n;
  unsigned char *q;

  if (add > b->cap - b->len) {
    b->too_large = 1;
    return 0;                  /* libcurl stops with CURLE_WRITE_ERROR */
  }
  q = realloc(b->p, b->len + add + 1);
  if (q == NULL)
    return 0;
  memcpy(q + b->len, data, add);
  b->p = q;
  b->len += add;
  return add;
}

/* What a libcurl failure means here. */
static rgs_rev_rc from_curl(CURLcode cc, const body *b)
{
  switch (cc) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_CONNECT:
    return RGS_REV_OFFLINE;
  case CURLE_OPERATION_TIMEDOUT:
    return RGS_REV_TIMEOUT;
  case CURLE_FILESIZE_EXCEEDED:
    return RGS_REV_BAD_ANSWER;
  case CURLE_WRITE_ERROR:
    return b->too_large ? RGS_REV_BAD_ANSWER : RGS_REV_ERR_NOMEM;
  case CURLE_OUT_OF_MEMORY:
    return RGS_REV_ERR_NOMEM;
  default:
    return RGS_REV_RESPONDER_ERROR;
  }
}

static int set_options(CURL *h, const char *url, const char *protocols, const rgs_rev_opts *o,
                       size_t cap, body *b, char *errbuf)
{
  int ok = 1;

  ok &= curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protocols) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, o->max_redirects > 0 ? 1L : 0L) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_MAXREDIRS, o->max_redirects) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->total_timeout_ms) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cap) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_USERAGENT, "rgs-enroll") == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)b) == CURLE_OK;
  return ok;
}

/* GET url (post NULL) or POST post (post_len bytes, content type ctype):
 * the body of a 200 answer in *b (at most cap bytes; free b->p). */
static rgs_rev_rc fetch(const char *url, const char *protocols, const unsigned char *post,
                        size_t post_len, const char *ctype, size_t cap, const rgs_rev_opts *o,
                        body *b, rgs_rev_result *out)
{
  char errbuf[CURL_ERROR_SIZE] = "", said[256], head[96];
  struct curl_slist *headers = NULL;
  CURL *h = curl_easy_init();
  rgs_rev_rc rc = RGS_REV_ERR_NOMEM;
  long status = 0;
  CURLcode cc;

  memset(b, 0, sizeof(*b));
  b->cap = cap;
  if (h == NULL || !set_options(h, url, protocols, o, cap, b, errbuf))
    goto cleanup;
  if (post != NULL) {
    snprintf(head, sizeof(head), "Content-Type: %s", ctype);
    headers = curl_slist_append(NULL, head);
    if (headers == NULL || curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)post) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)post_len) != CURLE_OK)
      goto cleanup;
  }
  cc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (cc != CURLE_OK) {
    rc = from_curl(cc, b);
    rgsx_sanitize_buf(said, sizeof(said), errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc),
                      (size_t)-1);
    if (rc == RGS_REV_BAD_ANSWER)
      rgsx_errf(out->detail, sizeof(out->detail), _("%s: the answer is over %zu bytes"),
                out->url, cap);
    else
      rgsx_errf(out->detail, sizeof(out->detail), "%s: %s", out->url, said);
  } else if (status != 200) {
    rc = RGS_REV_RESPONDER_ERROR;
    rgsx_errf(out->detail, sizeof(out->detail), _("%s: the server answered HTTP %ld"), out->url,
              status);
  } else {
    rc = RGS_REV_GOOD;         /* "fetched": the caller judges the body */
  }

cleanup:
  curl_slist_free_all(headers);
  if (h != NULL)
    curl_easy_cleanup(h);
  if (rc != RGS_REV_GOOD) {
    free(b->p);
    b->p = NULL;
  }
  return rc;
}

/* ---- dates ------------------------------------------------------------- */


static void stamp(time_t t, char *buf, size_t len)
{
  struct tm tm;

  if (t == (time_t)-1 || gmtime_r(&t, &tm) == NULL)
    snprintf(buf, len, "?");
  else
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* An answer is current when it was made before now (give or take the skew)
 * and its next update is not past; next NULL: no next update given. */
static rgs_rev_rc current(const ASN1_TIME *this_upd, const ASN1_TIME *next_upd,
                          const rgs_rev_opts *o, rgs_rev_result *out)
{
  time_t a = rgsx_asn1_time(this_upd), b = next_upd != NULL ? rgsx_asn1_time(next_upd) : 0;
  char when[32];

  if (a == (time_t)-1 || b == (time_t)-1) {
    rgsx_errf(out->detail, sizeof(out->detail), _("%s: the answer's dates cannot be read"),
              out->url);
    return RGS_REV_UNTRUSTED;
  }
  if (a > o->now + o->skew) {
    stamp(a, when, sizeof(when));
    rgsx_errf(out->detail, sizeof(out->detail), _("%s: the answer is dated %s, in the future"),
              out->url, when);
    return RGS_REV_UNTRUSTED;
  }
  if (next_upd != NULL && b < o->now - o->skew) {
    stamp(b, when, sizeof(when));
    rgsx_errf(out->detail, sizeof(out->detail),
              _("%s: the answer is stale: it was to be replaced by %s"), out->url, when);
    return RGS_REV_UNTRUSTED;
  }
  out->this_update = a;
  return RGS_REV_GOOD;
}

/* ---- OCSP -------------------------------------------------------------- */

/* The request for id, with a fresh nonce, DER-encoded into *der. */
static OCSP_REQUEST *ocsp_request(OCSP_CERTID *id, unsigned char **der, int *len)
{
  OCSP_REQUEST *req = OCSP_REQUEST_new();
  OCSP_CERTID *copy = OCSP_CERTID_dup(id);

  *der = NULL;
  if (req == NULL || copy == NULL || OCSP_request_add0_id(req, copy) == NULL) {
    OCSP_CERTID_free(copy);
    OCSP_REQUEST_free(req);
    return NULL;
  }
  if (OCSP_request_add1_nonce(req, NULL, -1) != 1 || (*len = i2d_OCSP_REQUEST(req, der)) <= 0) {
    OCSP_REQUEST_free(req);
    return NULL;
  }
  return req;
}

/* The signer of bs is the issuer, or a responder the issuer certified for
 * OCSP signing, at the caller's clock. */
static rgs_rev_rc ocsp_signed_by_issuer(OCSP_BASICRESP *bs, X509 *issuer, const rgs_rev_opts *o,
                                        rgs_rev_result *out)
{
  X509_STORE *st = X509_STORE_new();
  STACK_OF(X509) *certs = sk_X509_new_null();
  unsigned long e;
  rgs_rev_rc rc = RGS_REV_ERR_NOMEM;

  if (st == NULL || certs == NULL || X509_STORE_add_cert(st, issuer) != 1 ||
      !sk_X509_push(certs, issuer))
    goto cleanup;
  /* The issuer is the only anchor, intermediate CA or not. */
  X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(st), o->now);
  ERR_clear_error();
  if (OCSP_basic_verify(bs, certs, st, 0) == 1) {
    rc = RGS_REV_GOOD;
  } else {
    e = ERR_peek_last_error();
    rgsx_errf(out->detail, sizeof(out->detail),
              _("%s: the answer is not signed by the certificate's issuer nor by a responder it delegated (%s)"),
              out->url, e != 0 ? ERR_reason_error_string(e) : "?");
    rc = RGS_REV_UNTRUSTED;
  }

cleanup:
  ERR_clear_error();
  sk_X509_free(certs);
  X509_STORE_free(st);
  return rc;
}

/* The single answer for id in a verified basic response. */
static rgs_rev_rc ocsp_status(OCSP_BASICRESP *bs, OCSP_CERTID *id, const rgs_rev_opts *o,
                              rgs_rev_result *out)
{
  ASN1_GENERALIZEDTIME *rev = NULL, *this_upd = NULL, *next_upd = NULL;
  int status = -1, reason = -1;
  rgs_rev_rc rc;

  if (OCSP_resp_find_status(bs, id, &status, &reason, &rev, &this_upd, &next_upd) != 1) {
    rgsx_errf(out->detail, sizeof(out->detail),
              _("%s: the answer is not about this certificate"), out->url);
    return RGS_REV_UNTRUSTED;
  }
  rc = current(this_upd, next_upd, o, out);
  if (rc != RGS_REV_GOOD)
    return rc;
  switch (status) {
  case V_OCSP_CERTSTATUS_GOOD:
    return RGS_REV_GOOD;
  case V_OCSP_CERTSTATUS_REVOKED:
    out->revoked_at = rgsx_asn1_time(rev);
    out->reason = reason;
    return RGS_REV_REVOKED;
  default:
    rgsx_errf(out->detail, sizeof(out->detail),
              _("%s: the responder answered \"unknown\" for this certificate"), out->url);
    return RGS_REV_NOT_KNOWN;
  }
}

/* A fetched OCSP answer, judged. */
static rgs_rev_rc ocsp_judge(const body *b, OCSP_REQUEST *req, OCSP_CERTID *id, X509 *issuer,
                             const rgs_rev_opts *o, rgs_rev_result *out)
{
  const unsigned char *p = b->p;
  OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)b->len);
  OCSP_BASICRESP *bs = NULL;
  rgs_rev_rc rc = RGS_REV_BAD_ANSWER;
  int st, nonce;

  if (resp == NULL) {
    rgsx_errf(out->detail, sizeof(out->detail), _("%s: the answer is not an OCSP response"),
              out->url);
    goto cleanup;
  }
  st = OCSP_response_status(resp);
  if (st != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    rgsx_errf(out->detail, sizeof(out->detail), _("%s: the responder answered \"%s\""),
              out->url, OCSP_response_status_str(st));
    rc = RGS_REV_RESPONDER_ERROR;
    goto cleanup;
  }
  bs = OCSP_response_get1_basic(resp);
  if (bs == NULL) {
    rgsx_errf(out->detail, sizeof(out->detail), _("%s: the answer is not a basic OCSP response"),
              out->url);
    goto cleanup;
  }
  rc = ocsp_signed_by_issuer(bs, issuer, o, out);
  if (rc != RGS_REV_GOOD)
    goto cleanup;
  /* Our nonce back, or none at all (a responder that serves answers made
   * in advance, RFC 5019: then the dates alone say it is current). */
  nonce = OCSP_check_nonce(req, bs);
  if (nonce != 1 && nonce != -1) {
    rgsx_errf(out->detail, sizeof(out->detail),
              _("%s: the answer does not carry the nonce of the request (a replayed answer?)"),
              out->url);
    rc = RGS_REV_UNTRUSTED;
    goto cleanup;
  }
  rc = ocsp_status(bs, id, o, out);

cleanup:
  ERR_clear_error();
  OCSP_BASICRESP_free(bs);
  OCSP_RESPONSE_free(resp);
  return rc;
}

static rgs_rev_rc ocsp_try(X509 *cert, X509 *issuer, const rgs_rev_opts *o,
                           rgs_rev_result *out)
{
  /* SHA-1 names the certificate in the request (RFC 5019, what every
   * responder knows); it signs nothing. */
  OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
  unsigned char *der = NULL;
  OCSP_REQUEST *req = NULL;
  rgs_rev_rc rc = RGS_REV_ERR_NOMEM;
  body b = { NULL, 0, 0, 0 };
  int len = 0;

  if (id == NULL || (req = ocsp_request(id, &der, &len)) == NULL)
    goto cleanup;
  rc = fetch(out->url, "http,https", der, (size_t)len, "application/ocsp-request", o->ocsp_max,
             o, &b, out);
  if (rc == RGS_REV_GOOD)
    rc = ocsp_judge(&b, req, id, issuer, o, out);

cleanup:
  ERR_clear_error();
  free(b.p);
  OPENSSL_free(der);
  OCSP_REQUEST_free(req);
  OCSP_CERTID_free(id);
  return rc;
}

/* ---- CRL --------------------------------------------------------------- */

/* DER, or PEM ("-----BEGIN X509 CRL-----"). */
static X509_CRL *crl_parse(const body *b)
{
  static const char pem[] = "-----BEGIN";
  const unsigned char *p = b->p;
  X509_CRL *crl = NULL;
  BIO *bio;

  if (b->len >= sizeof(pem) - 1 && memcmp(b->p, pem, sizeof(pem) - 1) == 0) {
    bio = BIO_new_mem_buf(b->p, (int)b->len);
    crl = bio != NULL ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return crl;
  }
  crl = d2i_X509_CRL(NULL, &p, (long)b->len);
  if (crl != NULL && p != b->p + b->len) {   /* bytes after the CRL */
    X509_CRL_free(crl);
    crl = NULL;
  }
  return crl;
}

static int crl_reason(X509_REVOKED *r)
{
  ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
  long v = e != NULL ? ASN1_ENUMERATED_get(e) : -1;

  ASN1_ENUMERATED_free(e);
  return v >= 0 && v <= 10 ? (int)v : -1;
}

static rgs_rev_rc crl_judge(const body *b, X509 *cert, X509 *issuer, const rgs_rev_opts *o,
                            rgs_rev_result *out)
{
  X509_CRL *crl = crl_parse(b);
  X509_REVOKED *r = NULL;
  rgs_rev_rc rc = RGS_REV_UNTRUSTED;
  EVP_PKEY *key = X509_get0_pubkey(issuer);

  if (crl == NULL) {
    rgsx_errf(out->detail, sizeof(out->detail),
              _("%s: the answer is not a CRL (DER or PEM), or it is cut short"), out->url);
    rc = RGS_REV_BAD_ANSWER;
  } else if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
    rgsx_errf(out->detail, sizeof(out->detail),
              _("%s: the CRL is issued by another authority than the certificate's"), out->url);
  } else if (key == NULL || X509_CRL_verify(crl, key) != 1) {
    rgsx_errf(out->detail, sizeof(out->detail),
              _("%s: the CRL is not signed by the certificate's issuer"), out->url);
  } else if (X509_CRL_get0_nextUpdate(crl) == NULL) {
    /* RFC 5280 5.1.2.5: without it, nothing says the list is current. */
    rgsx_errf(out->detail, sizeof(out->detail), _("%s: the CRL has no next update date"),
              out->url);
  } else {
    rc = current(X509_CRL_get0_lastUpdate(crl), X509_CRL_get0_nextUpdate(crl), o, out);
  }
  if (rc == RGS_REV_GOOD && X509_CRL_get0_by_serial(crl, &r, X509_get0_serialNumber(cert)) == 1) {
    out->revoked_at = rgsx_asn1_time(X509_REVOKED_get0_revocationDate(r));
    out->reason = crl_reason(r);
    rc = RGS_REV_REVOKED;
  }
  ERR_clear_error();
  X509_CRL_free(crl);
  return rc;
}

static rgs_rev_rc crl_try(X509 *cert, X509 *issuer, const rgs_rev_opts *o, rgs_rev_result *out)
{
  body b = { NULL, 0, 0, 0 };
  /* http only: a CRL is signed, and https to the CA's own server would
   * need its revocation status in turn. */
  rgs_rev_rc rc = fetch(out->url, "http", NULL, 0, NULL, o->crl_max, o, &b, out);

  if (rc == RGS_REV_GOOD)
    rc = crl_judge(&b, cert, issuer, o, out);
  free(b.p);
  return rc;
}

/* ---- sources ----------------------------------------------------------- */

#define MAX_URLS 8

typedef struct {
  rgs_rev_source src;
  char *url;                   /* owned */
} source;

static int scheme_is(const char *url, const char *scheme)
{
  size_t n = strlen(scheme);

  return strncmp(url, scheme, n) == 0 && strncmp(url + n, "://", 3) == 0;
}

static void add_source(source *s, size_t *n, rgs_rev_source src, const char *url)
{
  if (*n >= MAX_URLS || url == NULL)
    return;
  s[*n].url = strdup(url);
  if (s[*n].url != NULL)
    s[(*n)++].src = src;
}

static void ocsp_sources(X509 *cert, source *s, size_t *n)
{
  STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(cert);
  int i;

  for (i = 0; i < sk_OPENSSL_STRING_num(urls); i++) {
    const char *u = sk_OPENSSL_STRING_value(urls, i);
    if (scheme_is(u, "http") || scheme_is(u, "https"))
      add_source(s, n, RGS_REV_SRC_OCSP, u);
  }
  X509_email_free(urls);
}

/* The full names of the distribution points, http only; a point limited
 * to some reasons or a CRL issuer other than the CA's is not used. */
static void crl_sources(X509 *cert, source *s, size_t *n)
{
  STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
  int i, k;

  for (i = 0; i < sk_DIST_POINT_num(dps); i++) {
    DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
    if (dp->distpoint == NULL || dp->distpoint->type != 0 || dp->reasons != NULL ||
        dp->CRLissuer != NULL)
      continue;
    for (k = 0; k < sk_GENERAL_NAME_num(dp->distpoint->name.fullname); k++) {
      GENERAL_NAME *g = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, k);
      const char *u;
      if (g->type != GEN_URI)
        continue;
      u = (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
      if ((size_t)ASN1_STRING_length(g->d.uniformResourceIdentifier) == strlen(u) &&
          scheme_is(u, "http"))
        add_source(s, n, RGS_REV_SRC_CRL, u);
    }
  }
  sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
  ERR_clear_error();
}

/* Which unknown to report when every source failed: the one that says most
 * about the answers (a lie above silence). */
static int weight(rgs_rev_rc rc)
{
  switch (rc) {
  case RGS_REV_UNTRUSTED: return 7;
  case RGS_REV_BAD_ANSWER: return 6;
  case RGS_REV_NOT_KNOWN: return 5;
  case RGS_REV_RESPONDER_ERROR: return 4;
  case RGS_REV_TIMEOUT: return 3;
  case RGS_REV_OFFLINE: return 2;
  case RGS_REV_ERR_NOMEM: return 1;
  case RGS_REV_GOOD:
  case RGS_REV_REVOKED:
  case RGS_REV_NO_SOURCE:
  case RGS_REV_NOT_CHECKED:
    break;
  }
  return 0;
}

static void try_one(X509 *cert, X509 *issuer, const rgs_rev_opts *o, const source *s,
                    rgs_rev_result *r)
{
  memset(r, 0, sizeof(*r));
  r->reason = -1;
  r->source = s->src;
  rgsx_sanitize_buf(r->url, sizeof(r->url), s->url, (size_t)-1);
  r->rc = s->src == RGS_REV_SRC_OCSP ? ocsp_try(cert, issuer, o, r) : crl_try(cert, issuer, o, r);
}

rgs_rev_rc rgs_rev_check(X509 *cert, X509 *issuer, const rgs_rev_opts *o, rgs_rev_result *out)
{
  source s[MAX_URLS];
  rgs_rev_result r, worst;
  size_t n = 0, i;
  int inited;

  memset(out, 0, sizeof(*out));
  out->reason = -1;
  out->rc = RGS_REV_NOT_CHECKED;
  if (cert == NULL || issuer == NULL || o == NULL) {
    rgsx_errf(out->detail, sizeof(out->detail), "%s", _("the certificate's issuer is not known"));
    return out->rc;
  }
  ocsp_sources(cert, s, &n);
  crl_sources(cert, s, &n);
  if (n == 0) {
    out->rc = RGS_REV_NO_SOURCE;
    rgsx_errf(out->detail, sizeof(out->detail), "%s",
              _("the certificate names no OCSP responder and no CRL (http) to ask"));
    return out->rc;
  }
  inited = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  memset(&worst, 0, sizeof(worst));
  worst.rc = RGS_REV_ERR_NOMEM;
  for (i = 0; i < n && inited; i++) {
    try_one(cert, issuer, o, &s[i], &r);
    if (r.rc == RGS_REV_GOOD || r.rc == RGS_REV_REVOKED) {
      /* A trusted answer after failed ones: what failed stays said. */
      if (i > 0)
        snprintf(r.detail, sizeof(r.detail), "%s", worst.detail);
      *out = r;
      break;
    }
    if (i == 0 || weight(r.rc) > weight(worst.rc))
      worst = r;
  }
  if (i == n || !inited)
    *out = worst;
  if (inited)
    curl_global_cleanup();
  for (i = 0; i < n; i++)
    free(s[i].url);
  return out->rc;
}
