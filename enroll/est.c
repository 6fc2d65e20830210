/* SPDX-License-Identifier: BSD-3-Clause */
/* est.c - the EST client (RFC 7030 as clarified by RFC 8951) over libcurl.
 *
 * HTTPS only, no redirects, the server's certificate always verified (the
 * system store or the explicit CA file), bounded time and body size. The
 * retrieval code goes to libcurl as the Basic password: libcurl copies it,
 * so its allocator wipes every block it frees. */
#include <ctype.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <openssl/ssl.h>
#include "certcheck.h"
#include "est.h"
#include "rgs_common.h"
#include "rgsx_i18n.h"

#define RGS_EST_DEFAULT_TIMEOUT 60L
#define RGS_EST_CONNECT_TIMEOUT 30L
/* RFC 7030 4.2.3 makes Retry-After mandatory on 202; when a server forgets
 * it, ask again after this. */
#define RGS_EST_DEFAULT_RETRY 300L

#ifndef RGS_VERSION
#define RGS_VERSION "0"
#endif

const char *rgs_est_strerror(rgs_est_rc rc)
{
  switch (rc) {
  case RGS_EST_OK: return _("certificate received");
  case RGS_EST_PENDING: return _("the certification authority has not issued the certificate yet");
  case RGS_EST_ERR_NOMEM: return _("out of memory");
  case RGS_EST_ERR_URL: return _("the EST address must be an https:// URL");
  case RGS_EST_ERR_CONNECT: return _("the EST server could not be reached");
  case RGS_EST_ERR_TLS_VERIFY: return _("the EST server's certificate does not verify: the connection was refused (TLS verification is never turned off)");
  case RGS_EST_ERR_TLS: return _("the TLS connection to the EST server failed");
  case RGS_EST_ERR_TIMEOUT: return _("the EST server did not answer in time");
  case RGS_EST_ERR_AUTH: return _("the EST server refused the credentials (order reference and retrieval code, or client certificate)");
  case RGS_EST_ERR_REFUSED: return _("the EST server refused the request");
  case RGS_EST_ERR_SERVER: return _("the EST server failed (server error)");
  case RGS_EST_ERR_HTTP: return _("the EST server gave an unexpected answer");
  case RGS_EST_ERR_CONTENT_TYPE: return _("the EST server answered with a content type other than application/pkcs7-mime");
  case RGS_EST_ERR_BODY: return _("the EST server's answer is not a base64 PKCS#7 certificate bundle");
  case RGS_EST_ERR_TOO_LARGE: return _("the EST server's answer is too large: it was not read to the end");
  case RGS_EST_ERR_INTERNAL: return _("internal failure of the network library");
  }
  return _("unknown error");
}

/* ---- allocators that wipe ----------------------------------------------- */

static void wipe_free(void *p)
{
  if (p == NULL)
    return;
  rgsx_wipe(p, malloc_usable_size(p));
  free(p);
}

static void *wipe_realloc(void *p, size_t n)
{
  size_t old;
  void *q;

  if (p == NULL)
    return malloc(n);
  if (n == 0) {
    wipe_free(p);
    return NULL;
  }
  q = malloc(n);
  if (q == NULL)
    return NULL;
  old = malloc_usable_size(p);
  memcpy(q, p, old < n ? old : n);
  wipe_free(p);
  return q;
}

static int global_done;

rgs_est_rc rgs_est_global_init(void)
{
  if (global_done)
    return RGS_EST_OK;
  if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, wipe_free, wipe_realloc, strdup,
                           calloc) != CURLE_OK)
    return RGS_EST_ERR_INTERNAL;
  global_done = 1;
  return RGS_EST_OK;
}

void rgs_est_global_cleanup(void)
{
  if (global_done)
    curl_global_cleanup();
  global_done = 0;
}

/* ---- pieces --------------------------------------------------------------- */

int rgs_est_is_pkcs7_mime(const char *ct)
{
  static const char want[] = "application/pkcs7-mime";
  size_t n = sizeof(want) - 1;

  if (ct == NULL)
    return 0;
  while (*ct == ' ' || *ct == '\t')
    ct++;
  if (strncasecmp(ct, want, n) != 0)
    return 0;
  ct += n;
  while (*ct == ' ' || *ct == '\t')
    ct++;
  return *ct == '\0' || *ct == ';';
}

/* ---- Retry-After (RFC 9110 section 10.2.3) --------------------------------- */

static const char *skip_ows(const char *p)
{
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

/* delay-seconds = 1*DIGIT, saturated at RGS_EST_RETRY_MAX: any number of
 * digits, no overflow. */
static long delay_seconds(const char *p)
{
  long v = 0;

  if (*p < '0' || *p > '9')
    return RGS_EST_RETRY_NONE;
  for (; *p >= '0' && *p <= '9'; p++)
    if (v <= RGS_EST_RETRY_MAX)
      v = v * 10 + (*p - '0');
  if (*skip_ows(p) != '\0')
    return RGS_EST_RETRY_NONE;
  return v < RGS_EST_RETRY_MAX ? v : RGS_EST_RETRY_MAX;
}

/* Exactly n digits (HTTP-date fields have fixed widths). */
static int take_digits(const char **p, int n, int *v)
{
  int i;

  *v = 0;
  for (i = 0; i < n; i++) {
    if ((*p)[i] < '0' || (*p)[i] > '9')
      return 0;
    *v = *v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  return 1;
}

static int take(const char **p, const char *lit)
{
  size_t n = strlen(lit);

  if (strncmp(*p, lit, n) != 0)
    return 0;
  *p += n;
  return 1;
}

#define NO_WORD (-1)

/* One of the words, case-sensitive (HTTP-date is): its index, or NO_WORD. */
static int take_word(const char **p, const char *const *words, int n)
{
  int i;

  for (i = 0; i < n; i++)
    if (take(p, words[i]))
      return i;
  return NO_WORD;
}

static const char *const day_names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const day_names_l[] = { "Monday", "Tuesday", "Wednesday", "Thursday",
                                           "Friday", "Saturday", "Sunday" };
static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

typedef struct {
  int year, month, day, hour, minute, second;   /* month 0 to 11 */
} http_date;

static int take_month(const char **p, http_date *d)
{
  d->month = take_word(p, months, 12);
  return d->month != NO_WORD;
}

/* time-of-day = hour ":" minute ":" second (leap second allowed) */
static int take_time(const char **p, http_date *d)
{
  return take_digits(p, 2, &d->hour) && take(p, ":") && take_digits(p, 2, &d->minute) &&
         take(p, ":") && take_digits(p, 2, &d->second) && d->hour <= 23 && d->minute <= 59 &&
         d->second <= 60;
}

/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
static int imf_fixdate(const char *p, http_date *d)
{
  return take_word(&p, day_names, 7) != NO_WORD && take(&p, ", ") &&
         take_digits(&p, 2, &d->day) &&
         take(&p, " ") && take_month(&p, d) && take(&p, " ") &&
         take_digits(&p, 4, &d->year) && take(&p, " ") && take_time(&p, d) &&
         take(&p, " GMT") && *skip_ows(p) == '\0';
}

/* rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT (two-digit year) */
static int rfc850_date(const char *p, http_date *d)
{
  return take_word(&p, day_names_l, 7) != NO_WORD && take(&p, ", ") &&
         take_digits(&p, 2, &d->day) && take(&p, "-") && take_month(&p, d) && take(&p, "-") &&
         take_digits(&p, 2, &d->year) && take(&p, " ") && take_time(&p, d) &&
         take(&p, " GMT") && *skip_ows(p) == '\0';
}

/* asctime-date: Sun Nov  6 08:49:37 1994 */
static int asctime_date(const char *p, http_date *d)
{
  int one_digit;

  if (take_word(&p, day_names, 7) == NO_WORD || !take(&p, " ") || !take_month(&p, d) ||
      !take(&p, " "))
    return 0;
  one_digit = take(&p, " ");
  return take_digits(&p, one_digit ? 1 : 2, &d->day) && take(&p, " ") && take_time(&p, d) &&
         take(&p, " ") && take_digits(&p, 4, &d->year) && *skip_ows(p) == '\0';
}

static int leap(int y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Seconds since the epoch of a checked date: years 0 to 9999, so the
 * result is within +-3e11 and long long arithmetic cannot overflow. */
static long long date_seconds(const http_date *d)
{
  return rgsx_days_from_civil(d->year, d->month + 1, d->day) * 86400LL + d->hour * 3600LL +
         d->minute * 60LL + d->second;
}

static int date_valid(const http_date *d)
{
  static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  int last = mdays[d->month] + (d->month == 1 && leap(d->year));

  return d->day >= 1 && d->day <= last;
}

/* RFC 9110 5.6.7: a two-digit year that looks more than 50 years ahead is
 * the latest past year with those digits. */
static void full_year(http_date *d, time_t now)
{
  struct tm tm;
  long long this_year = 1970;

  if (gmtime_r(&now, &tm) != NULL)
    this_year = (long long)tm.tm_year + 1900;
  d->year += (int)(this_year - this_year % 100);
  if (d->year > this_year + 50)
    d->year -= 100;
}

long rgs_est_retry_after(const char *value, time_t now)
{
  http_date d;
  long long when;

  if (value == NULL)
    return RGS_EST_RETRY_NONE;
  value = skip_ows(value);
  if (*value >= '0' && *value <= '9')
    return delay_seconds(value);
  memset(&d, 0, sizeof(d));
  if (rfc850_date(value, &d))
    full_year(&d, now);
  else if (!imf_fixdate(value, &d) && !asctime_date(value, &d))
    return RGS_EST_RETRY_NONE;
  if (!date_valid(&d))
    return RGS_EST_RETRY_NONE;
  when = date_seconds(&d);
  /* Compared before subtracting: now may be anything a time_t holds. */
  if ((long long)now >= when)
    return 0;
  if ((long long)now < when - RGS_EST_RETRY_MAX)
    return RGS_EST_RETRY_MAX;
  return (long)(when - (long long)now);
}

rgs_est_rc rgs_est_parse_certs(const unsigned char *body, size_t len, STACK_OF(X509) **certs)
{
  switch (rgs_certs_load_mem(body, len, certs)) {
  case RGS_CERTS_OK: return RGS_EST_OK;
  case RGS_CERTS_ERR_NOMEM: return RGS_EST_ERR_NOMEM;
  case RGS_CERTS_ERR_CRYPTO: return RGS_EST_ERR_INTERNAL;
  case RGS_CERTS_ERR_IO:
  case RGS_CERTS_ERR_FORMAT:
    break;
  }
  return RGS_EST_ERR_BODY;
}

char *rgs_est_csr_body(X509_REQ *req, size_t *len)
{
  unsigned char *der = NULL;
  int n = i2d_X509_REQ(req, &der), i;
  size_t lines, o = 0;
  char *out = NULL;

  if (n <= 0)
    return NULL;
  lines = ((size_t)n + 47) / 48;
  out = malloc(lines * 66 + 1);
  if (out == NULL)
    goto cleanup;
  for (i = 0; i < n; i += 48) {
    int chunk = n - i < 48 ? n - i : 48;
    o += (size_t)EVP_EncodeBlock((unsigned char *)out + o, der + i, chunk);
    out[o++] = '\r';
    out[o++] = '\n';
  }
  out[o] = '\0';
  if (len != NULL)
    *len = o;

cleanup:
  OPENSSL_free(der);
  return out;
}

/* The parts of an EST URL: https, host, port and path only. Credentials,
 * a query or a fragment are refused: libcurl would send credentials found in
 * the URL, and the URL is printed in messages. */
typedef struct {
  char *host, *port, *path;
} url_parts;

static void url_parts_free(url_parts *p)
{
  curl_free(p->host);
  curl_free(p->port);
  curl_free(p->path);
  memset(p, 0, sizeof(*p));
}

static int has_part(CURLU *u, CURLUPart part)
{
  char *v = NULL;
  CURLUcode uc = curl_url_get(u, part, &v, 0);

  curl_free(v);
  return uc == CURLUE_OK;
}

/* Why the text of base cannot be an EST URL, whatever a parser would make
 * of it; NULL when it may be one. */
static const char *url_text_problem(const char *base)
{
  const char *auth_end;

  if (base == NULL || strncasecmp(base, "https://", 8) != 0)
    return _("the EST address must be an https:// URL");
  auth_end = base + 8 + strcspn(base + 8, "/?#");
  if (memchr(base + 8, '@', (size_t)(auth_end - (base + 8))) != NULL)
    return _("the EST address must not hold a user name or password (user:code@host): give the order reference with --user and the code with --code-*");
  if (strpbrk(base, "?#") != NULL)
    return _("the EST address must not have a query (?...) or a fragment (#...)");
  return NULL;
}

/* Why the parsed URL u cannot be an EST URL; NULL when it is one, its
 * parts then in p (the caller frees them either way). */
static const char *url_parsed_problem(CURLU *u, url_parts *p)
{
  char *scheme = NULL;
  int https;

  https = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
          strcasecmp(scheme, "https") == 0;
  curl_free(scheme);
  if (!https)
    return _("the EST address must be an https:// URL");
  if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD) ||
      has_part(u, CURLUPART_OPTIONS))
    return _("the EST address must not hold a user name or password (user:code@host): give the order reference with --user and the code with --code-*");
  if (has_part(u, CURLUPART_QUERY) || has_part(u, CURLUPART_FRAGMENT))
    return _("the EST address must not have a query (?...) or a fragment (#...)");
  if (curl_url_get(u, CURLUPART_HOST, &p->host, 0) != CURLUE_OK || p->host == NULL ||
      p->host[0] == '\0')
    return _("the EST address has no host name");
  if (curl_url_get(u, CURLUPART_PORT, &p->port, 0) != CURLUE_OK)
    p->port = NULL;
  if (curl_url_get(u, CURLUPART_PATH, &p->path, 0) != CURLUE_OK)
    p->path = NULL;
  return NULL;
}

static rgs_est_rc url_split(const char *base, url_parts *p, char *err, size_t errlen)
{
  rgs_est_rc rc = RGS_EST_ERR_URL;
  CURLU *u = NULL;
  const char *why;

  memset(p, 0, sizeof(*p));
  if (err != NULL && errlen > 0)
    err[0] = '\0';
  why = url_text_problem(base);
  if (why == NULL) {
    u = curl_url();
    if (u == NULL) {
      why = _("out of memory");
      rc = RGS_EST_ERR_NOMEM;
    } else if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK) {
      why = _("the EST address is not a valid URL");
    } else {
      why = url_parsed_problem(u, p);
    }
  }
  curl_url_cleanup(u);
  if (why == NULL)
    return RGS_EST_OK;
  if (err != NULL)
    snprintf(err, errlen, "%s", why);
  url_parts_free(p);
  return rc;
}

/* scheme://host[:port] then the path without its trailing slashes ("/"
 * when none), then the operation. RGS_EST_ERR_URL when out is too short. */
static rgs_est_rc url_join(const url_parts *p, const char *op, char *out, size_t outlen)
{
  const char *path = p->path != NULL ? p->path : "";
  size_t plen = strlen(path);
  int n;

  while (plen > 0 && path[plen - 1] == '/')
    plen--;
  if (op == NULL)
    n = snprintf(out, outlen, "https://%s%s%s%.*s", p->host, p->port != NULL ? ":" : "",
                 p->port != NULL ? p->port : "", plen == 0 ? 1 : (int)plen,
                 plen == 0 ? "/" : path);
  else
    n = snprintf(out, outlen, "https://%s%s%s%.*s%s/%s", p->host, p->port != NULL ? ":" : "",
                 p->port != NULL ? p->port : "", (int)plen, path,
                 plen == 0 ? "/.well-known/est" : "", op);
  return n > 0 && (size_t)n < outlen ? RGS_EST_OK : RGS_EST_ERR_URL;
}

rgs_est_rc rgs_est_url_canon(const char *base, char *canon, size_t canonlen, char *err,
                             size_t errlen)
{
  url_parts p;
  rgs_est_rc rc = url_split(base, &p, err, errlen);

  if (rc != RGS_EST_OK)
    return rc;
  rc = url_join(&p, NULL, canon, canonlen);
  if (rc != RGS_EST_OK && err != NULL)
    snprintf(err, errlen, "%s", _("the EST address is too long"));
  url_parts_free(&p);
  return rc;
}

rgs_est_rc rgs_est_url_op(const char *base, const char *op, char *out, size_t outlen)
{
  url_parts p;
  rgs_est_rc rc = url_split(base, &p, NULL, 0);

  if (rc != RGS_EST_OK)
    return rc;
  rc = url_join(&p, op, out, outlen);
  url_parts_free(&p);
  return rc;
}

/* ---- one exchange ----------------------------------------------------------- */

typedef struct {
  unsigned char *p;
  size_t len, cap;
  int too_big;
} buffer;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
  buffer *b = ud;
  size_t n = size * nmemb, cap;
  unsigned char *q;

  if (b->len + n > RGS_EST_MAX_BODY) {
    b->too_big = 1;
    return 0;
  }
  if (b->len + n + 1 > b->cap) {
    cap = b->cap > 0 ? b->cap : 4096;
    while (cap < b->len + n + 1)
      cap *= 2;
    q = realloc(b->p, cap);
    if (q == NULL)
      return 0;
    b->p = q;
    b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = '\0';
  return n;
}

static CURLcode on_ssl_ctx(CURL *curl, void *sslctx, void *ud)
{
  const rgs_est_conf *c = ud;
  SSL_CTX *ctx = sslctx;

  (void)curl;
  if (SSL_CTX_use_certificate(ctx, c->client_cert) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, c->client_key) != 1)
    return CURLE_SSL_CERTPROBLEM;
  return CURLE_OK;
}

/* The server's words, made safe to print: the start of its text with each
 * run of white space made one space, then through the one sanitiser (what
 * is left of controls, bidi overrides, NULs and bytes that are not UTF-8
 * become '?'). */
static void server_text(const buffer *b, char *out, size_t len)
{
  char flat[300];
  size_t i, o = 0;
  int space = 0;

  for (i = 0; i < b->len && o + 1 < sizeof(flat); i++) {
    unsigned char ch = b->p[i];
    if (ch == '\r' || ch == '\n' || ch == '\t' || ch == ' ') {
      space = o > 0;
      continue;
    }
    if (space && o + 2 < sizeof(flat))
      flat[o++] = ' ';
    space = 0;
    flat[o++] = (char)ch;
  }
  rgsx_sanitize_buf(out, len, flat, o);
}

static rgs_est_rc from_curl(CURLcode cc, const buffer *b)
{
  switch (cc) {
  case CURLE_OK: return RGS_EST_OK;
  case CURLE_OUT_OF_MEMORY: return RGS_EST_ERR_NOMEM;
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_URL_MALFORMAT:
    return RGS_EST_ERR_URL;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_CONNECT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
    return RGS_EST_ERR_CONNECT;
  case CURLE_OPERATION_TIMEDOUT: return RGS_EST_ERR_TIMEOUT;
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
    return RGS_EST_ERR_TLS_VERIFY;
  case CURLE_WRITE_ERROR: return b->too_big ? RGS_EST_ERR_TOO_LARGE : RGS_EST_ERR_NOMEM;
  case CURLE_FILESIZE_EXCEEDED: return RGS_EST_ERR_TOO_LARGE;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_USE_SSL_FAILED:
  case CURLE_SSL_SHUTDOWN_FAILED:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CLIENTCERT:
    return RGS_EST_ERR_TLS;
  default: return RGS_EST_ERR_CONNECT;
  }
}

static int setup(CURL *h, const rgs_est_conf *c, const char *url, char *errbuf,
                 struct curl_slist **headers, int post)
{
  long timeout = c->timeout > 0 ? c->timeout : RGS_EST_DEFAULT_TIMEOUT;
  int ok = 1;

  ok &= curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
                         timeout < RGS_EST_CONNECT_TIMEOUT ? timeout : RGS_EST_CONNECT_TIMEOUT) == CURLE_OK;
  ok &= curl_easy_setopt(h, CURLOPT_USERAGENT, "rgs-enroll/" RGS_VERSION) == CURLE_OK;
  /* A Content-Length over the limit is refused before the body is read;
   * on_body stops the others. */
  ok &= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)RGS_EST_MAX_BODY) == CURLE_OK;
  if (c->ca_file != NULL) {
    /* Only these anchors: an explicit CA file replaces the system store. */
    ok &= curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file) == CURLE_OK;
    ok &= curl_easy_setopt(h, CURLOPT_CAPATH, NULL) == CURLE_OK;
  }
  if (c->user != NULL) {
    ok &= curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) == CURLE_OK;
    ok &= curl_easy_setopt(h, CURLOPT_USERNAME, c->user) == CURLE_OK;
    ok &= curl_easy_setopt(h, CURLOPT_PASSWORD, c->secret != NULL ? c->secret : "") == CURLE_OK;
  }
  if (c->client_key != NULL && c->client_cert != NULL) {
    ok &= curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx) == CURLE_OK;
    ok &= curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, (void *)c) == CURLE_OK;
  }
  *headers = curl_slist_append(NULL, "Accept: application/pkcs7-mime");
  if (post && *headers != NULL) {
    struct curl_slist *more = curl_slist_append(*headers, "Content-Type: application/pkcs10");
    if (more != NULL)
      more = curl_slist_append(more, "Content-Transfer-Encoding: base64");
    if (more != NULL)
      more = curl_slist_append(more, "Expect:");
    ok &= more != NULL;
  }
  ok &= *headers != NULL && curl_easy_setopt(h, CURLOPT_HTTPHEADER, *headers) == CURLE_OK;
  return ok;
}

/* What a libcurl failure means for the person, and its stable code: the
 * rgs_est_rc classes are too coarse to say what to do (a name not found and
 * a refused connection are both "could not be reached"). */
static void curl_words(CURLcode cc, const char **reason, const char **code)
{
  switch (cc) {
  case CURLE_COULDNT_RESOLVE_HOST:
    *code = "name-not-found";
    *reason = _("the certification authority's server was not found by its name: check the address, and that this computer is connected to the Internet");
    return;
  case CURLE_COULDNT_RESOLVE_PROXY:
    *code = "proxy-not-found";
    *reason = _("the proxy was not found by its name: check this computer's proxy settings");
    return;
  case CURLE_COULDNT_CONNECT:
    *code = "cannot-connect";
    *reason = _("the certification authority's server cannot be reached: check the address and the Internet connection, or try again later");
    return;
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
    *code = "connection-lost";
    *reason = _("the connection to the certification authority's server was cut: try again later");
    return;
  case CURLE_OPERATION_TIMEDOUT:
    *code = "timeout";
    *reason = _("the certification authority's server did not answer in time: check the Internet connection, or try again later");
    return;
  case CURLE_PEER_FAILED_VERIFICATION:
    *code = "server-not-trusted";
    *reason = _("the server's certificate is not trusted by this computer, or is not the certificate of this address: nothing was sent; check the address, or give the authority's certificate with --ca-file");
    return;
  case CURLE_SSL_CACERT_BADFILE:
    *code = "ca-file-unusable";
    *reason = _("the file of trusted authorities given with --ca-file cannot be used: it must hold PEM certificates");
    return;
  case CURLE_SSL_CERTPROBLEM:
    *code = "client-certificate-unusable";
    *reason = _("the certificate and key of the card could not be used to open the secure connection");
    return;
  case CURLE_SSL_CLIENTCERT:
    *code = "client-certificate-refused";
    *reason = _("the server refused the certificate of the card: check that the certificate on the card is valid");
    return;
  default:
    break;
  }
  *code = "network-error";
  *reason = NULL;               /* rgs_est_strerror of the class says it */
}

/* A transfer libcurl could not complete, with its words (sanitised: they
 * may quote the server, a TLS alert or a status line) in info->detail. */
static rgs_est_rc transfer_failed(CURLcode cc, const buffer *resp, const char *url,
                                  const char *errbuf, rgs_est_info *info)
{
  char said[251];              /* sanitised, whole characters */
  rgs_est_rc rc = from_curl(cc, resp);

  curl_words(cc, &info->reason, &info->code);
  if (rc == RGS_EST_ERR_TOO_LARGE) {
    snprintf(info->detail, sizeof(info->detail), _("%.200s: over %d bytes"), url,
             RGS_EST_MAX_BODY);
    return rc;
  }
  rgsx_sanitize_buf(said, sizeof(said), errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc),
                    (size_t)-1);
  snprintf(info->detail, sizeof(info->detail), "%.200s: %s", url, said);
  return rc;
}

/* The server's answer: 200 with certificates, 202 with Retry-After, or a
 * refusal by status. */
static rgs_est_rc answer(CURL *h, const buffer *resp, const char *url, STACK_OF(X509) **certs,
                         rgs_est_info *info)
{
  struct curl_header *hdr = NULL;
  char said[251];              /* sanitised, whole characters */
  char *ct = NULL;
  rgs_est_rc rc;

  curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
  if (info->http_status == 200) {
    if (!rgs_est_is_pkcs7_mime(ct)) {
      rgsx_sanitize_buf(said, sizeof(said), ct != NULL ? ct : "(none)", (size_t)-1);
      snprintf(info->detail, sizeof(info->detail), "%.200s: Content-Type: %s", url, said);
      return RGS_EST_ERR_CONTENT_TYPE;
    }
    rc = rgs_est_parse_certs(resp->p, resp->len, certs);
    if (rc != RGS_EST_OK)
      snprintf(info->detail, sizeof(info->detail), "%.200s: %zu bytes", url, resp->len);
    return rc;
  }
  if (info->http_status == 202) {
    if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &hdr) == CURLHE_OK)
      info->retry_after = rgs_est_retry_after(hdr->value, time(NULL));
    if (info->retry_after == RGS_EST_RETRY_NONE)
      info->retry_after = RGS_EST_DEFAULT_RETRY;
    return RGS_EST_PENDING;
  }
  server_text(resp, said, sizeof(said));
  snprintf(info->detail, sizeof(info->detail), _("%.200s: HTTP %ld%s%s"), url, info->http_status,
           said[0] != '\0' ? ": " : "", said);
  if (info->http_status == 401 || info->http_status == 403)
    return RGS_EST_ERR_AUTH;
  if (info->http_status >= 400 && info->http_status < 500)
    return RGS_EST_ERR_REFUSED;
  if (info->http_status >= 500 && info->http_status < 600)
    return RGS_EST_ERR_SERVER;
  return RGS_EST_ERR_HTTP;
}

/* One request; the status and headers turned into a result. */
static rgs_est_rc exchange(const rgs_est_conf *c, const char *op, const char *body,
                           size_t body_len, STACK_OF(X509) **certs, rgs_est_info *info)
{
  char url[2048], errbuf[CURL_ERROR_SIZE];
  struct curl_slist *headers = NULL;
  buffer resp = { NULL, 0, 0, 0 };
  CURL *h = NULL;
  rgs_est_rc rc;
  CURLcode cc;

  memset(info, 0, sizeof(*info));
  info->retry_after = RGS_EST_RETRY_NONE;
  errbuf[0] = '\0';
  rc = rgs_est_url_op(c->url, op, url, sizeof(url));
  if (rc == RGS_EST_OK)
    rc = rgs_est_global_init();
  if (rc != RGS_EST_OK)
    return rc;
  rc = RGS_EST_ERR_INTERNAL;
  h = curl_easy_init();
  if (h == NULL || !setup(h, c, url, errbuf, &headers, body != NULL))
    goto cleanup;
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
  if (body != NULL) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body_len);
  }
  cc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &info->http_status);
  if (cc != CURLE_OK)
    rc = transfer_failed(cc, &resp, url, errbuf, info);
  else
    rc = answer(h, &resp, url, certs, info);

cleanup:
  curl_slist_free_all(headers);
  if (h != NULL)
    curl_easy_cleanup(h);
  free(resp.p);
  return rc;
}

rgs_est_rc rgs_est_cacerts(const rgs_est_conf *conf, STACK_OF(X509) **certs,
                           rgs_est_info *info)
{
  rgs_est_conf anonymous;

  if (conf == NULL || certs == NULL || info == NULL)
    return RGS_EST_ERR_INTERNAL;
  *certs = NULL;
  /* /cacerts needs no credentials: none are sent. */
  anonymous = *conf;
  anonymous.user = NULL;
  anonymous.secret = NULL;
  anonymous.secret_len = 0;
  return exchange(&anonymous, "cacerts", NULL, 0, certs, info);
}

rgs_est_rc rgs_est_enroll(const rgs_est_conf *conf, X509_REQ *req, int reenroll,
                          STACK_OF(X509) **certs, rgs_est_info *info)
{
  size_t len = 0;
  char *body;
  rgs_est_rc rc;

  if (conf == NULL || req == NULL || certs == NULL || info == NULL)
    return RGS_EST_ERR_INTERNAL;
  *certs = NULL;
  /* Read by the caller on every failure, those before any exchange too. */
  memset(info, 0, sizeof(*info));
  info->retry_after = RGS_EST_RETRY_NONE;
  body = rgs_est_csr_body(req, &len);
  if (body == NULL)
    return RGS_EST_ERR_NOMEM;
  rc = exchange(conf, reenroll ? "simplereenroll" : "simpleenroll", body, len, certs, info);
  free(body);
  return rc;
}
