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

#define RGS_EST_MAX_BODY (1024 * 1024)
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
  case RGS_EST_ERR_INTERNAL: return _("internal failure of the network library");
  }
  return _("unknown error");
}

/* ---- allocators that wipe ----------------------------------------------- */

static void wipe_free(void *p)
{
  if (p == NULL)
    return;
  rgs_wipe(p, malloc_usable_size(p));
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

int rgs_est_global_init(void)
{
  if (global_done)
    return 0;
  if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, wipe_free, wipe_realloc, strdup,
                           calloc) != CURLE_OK)
    return -1;
  global_done = 1;
  return 0;
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

long rgs_est_retry_after(const char *value, time_t now)
{
  char *end = NULL;
  long secs;
  time_t when;

  if (value == NULL)
    return -1;
  while (*value == ' ' || *value == '\t')
    value++;
  if (isdigit((unsigned char)*value)) {
    secs = strtol(value, &end, 10);
    while (end != NULL && (*end == ' ' || *end == '\t'))
      end++;
    return end != NULL && *end == '\0' && secs >= 0 ? secs : -1;
  }
  when = curl_getdate(value, NULL);
  if (when == (time_t)-1)
    return -1;
  return when > now ? (long)(when - now) : 0;
}

rgs_est_rc rgs_est_parse_certs(const unsigned char *body, size_t len, STACK_OF(X509) **certs)
{
  switch (rgs_certs_load_mem(body, len, certs)) {
  case RGS_CERTS_OK: return RGS_EST_OK;
  case RGS_CERTS_ERR_NOMEM: return RGS_EST_ERR_NOMEM;
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

static int url_split(const char *base, url_parts *p, char *err, size_t errlen)
{
  CURLU *u = NULL;
  char *scheme = NULL;
  const char *auth_end;
  int ret = -1;

  memset(p, 0, sizeof(*p));
  if (err != NULL && errlen > 0)
    err[0] = '\0';
#define URL_ERR(msg) do { if (err != NULL) snprintf(err, errlen, "%s", (msg)); goto done; } while (0)
  if (base == NULL || strncasecmp(base, "https://", 8) != 0)
    URL_ERR(_("the EST address must be an https:// URL"));
  /* Checked on the text too, whatever the parser makes of it. */
  auth_end = base + 8 + strcspn(base + 8, "/?#");
  if (memchr(base + 8, '@', (size_t)(auth_end - (base + 8))) != NULL)
    URL_ERR(_("the EST address must not hold a user name or password (user:code@host): give the order reference with --user and the code with --code-*"));
  if (strpbrk(base, "?#") != NULL)
    URL_ERR(_("the EST address must not have a query (?...) or a fragment (#...)"));
  u = curl_url();
  if (u == NULL)
    URL_ERR(_("out of memory"));
  if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK)
    URL_ERR(_("the EST address is not a valid URL"));
  if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK || strcasecmp(scheme, "https") != 0)
    URL_ERR(_("the EST address must be an https:// URL"));
  if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD) ||
      has_part(u, CURLUPART_OPTIONS))
    URL_ERR(_("the EST address must not hold a user name or password (user:code@host): give the order reference with --user and the code with --code-*"));
  if (has_part(u, CURLUPART_QUERY) || has_part(u, CURLUPART_FRAGMENT))
    URL_ERR(_("the EST address must not have a query (?...) or a fragment (#...)"));
  if (curl_url_get(u, CURLUPART_HOST, &p->host, 0) != CURLUE_OK || p->host[0] == '\0')
    URL_ERR(_("the EST address has no host name"));
  if (curl_url_get(u, CURLUPART_PORT, &p->port, 0) != CURLUE_OK)
    p->port = NULL;
  if (curl_url_get(u, CURLUPART_PATH, &p->path, 0) != CURLUE_OK)
    p->path = NULL;
  ret = 0;
#undef URL_ERR

done:
  curl_free(scheme);
  curl_url_cleanup(u);
  if (ret != 0)
    url_parts_free(p);
  return ret;
}

/* scheme://host[:port] then the path without its trailing slashes ("/"
 * when none), then the operation. */
static int url_join(const url_parts *p, const char *op, char *out, size_t outlen)
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
  return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int rgs_est_check_url(const char *base, char *canon, size_t canonlen, char *err, size_t errlen)
{
  url_parts p;
  int ret;

  if (url_split(base, &p, err, errlen) != 0)
    return -1;
  ret = url_join(&p, NULL, canon, canonlen);
  if (ret != 0 && err != NULL)
    snprintf(err, errlen, "%s", _("the EST address is too long"));
  url_parts_free(&p);
  return ret;
}

int rgs_est_op_url(const char *base, const char *op, char *out, size_t outlen)
{
  url_parts p;
  int ret;

  if (url_split(base, &p, NULL, 0) != 0)
    return -1;
  ret = url_join(&p, op, out, outlen);
  url_parts_free(&p);
  return ret;
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

/* The server's words, made safe to print: the first line or so of text. */
static void server_text(const buffer *b, char *out, size_t len)
{
  size_t i, o = 0;
  int space = 0;

  for (i = 0; i < b->len && o + 1 < len && o < 300; i++) {
    unsigned char ch = b->p[i];
    if (ch == '\r' || ch == '\n' || ch == '\t' || ch == ' ') {
      space = o > 0;
      continue;
    }
    if (ch < 0x20 || ch == 0x7F)
      continue;
    if (space && o + 2 < len)
      out[o++] = ' ';
    space = 0;
    out[o++] = (char)ch;
  }
  out[o] = '\0';
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
  case CURLE_WRITE_ERROR: return b->too_big ? RGS_EST_ERR_BODY : RGS_EST_ERR_NOMEM;
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

/* One request; the status and headers turned into a result. */
static rgs_est_rc exchange(const rgs_est_conf *c, const char *op, const char *body,
                           size_t body_len, STACK_OF(X509) **certs, rgs_est_info *info)
{
  char url[2048], errbuf[CURL_ERROR_SIZE];
  struct curl_slist *headers = NULL;
  struct curl_header *hdr = NULL;
  buffer resp = { NULL, 0, 0, 0 };
  CURL *h = NULL;
  char *ct = NULL;
  rgs_est_rc rc = RGS_EST_ERR_INTERNAL;
  CURLcode cc;

  memset(info, 0, sizeof(*info));
  info->retry_after = -1;
  errbuf[0] = '\0';
  if (rgs_est_op_url(c->url, op, url, sizeof(url)) != 0)
    return RGS_EST_ERR_URL;
  if (rgs_est_global_init() != 0)
    return RGS_EST_ERR_INTERNAL;
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
  if (cc != CURLE_OK) {
    rc = from_curl(cc, &resp);
    snprintf(info->detail, sizeof(info->detail), "%.200s: %.300s", url,
             errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
    goto cleanup;
  }
  curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
  if (info->http_status == 200) {
    if (!rgs_est_is_pkcs7_mime(ct)) {
      snprintf(info->detail, sizeof(info->detail), "%.200s: Content-Type: %.200s", url,
               ct != NULL ? ct : "(none)");
      rc = RGS_EST_ERR_CONTENT_TYPE;
    } else {
      rc = rgs_est_parse_certs(resp.p, resp.len, certs);
      if (rc != RGS_EST_OK)
        snprintf(info->detail, sizeof(info->detail), "%.200s: %zu bytes", url, resp.len);
    }
  } else if (info->http_status == 202) {
    if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &hdr) == CURLHE_OK)
      info->retry_after = rgs_est_retry_after(hdr->value, time(NULL));
    if (info->retry_after < 0)
      info->retry_after = RGS_EST_DEFAULT_RETRY;
    rc = RGS_EST_PENDING;
  } else {
    char said[320];
    server_text(&resp, said, sizeof(said));
    snprintf(info->detail, sizeof(info->detail), _("%.200s: HTTP %ld%s%.250s"), url, info->http_status,
             said[0] != '\0' ? ": " : "", said);
    if (info->http_status == 401 || info->http_status == 403)
      rc = RGS_EST_ERR_AUTH;
    else if (info->http_status >= 400 && info->http_status < 500)
      rc = RGS_EST_ERR_REFUSED;
    else if (info->http_status >= 500 && info->http_status < 600)
      rc = RGS_EST_ERR_SERVER;
    else
      rc = RGS_EST_ERR_HTTP;
  }

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
  body = rgs_est_csr_body(req, &len);
  if (body == NULL)
    return RGS_EST_ERR_NOMEM;
  rc = exchange(conf, reenroll ? "simplereenroll" : "simpleenroll", body, len, certs, info);
  free(body);
  return rc;
}
