/* SPDX-License-Identifier: BSD-3-Clause */
/* est_server.c - a real TLS EST responder for the tests (RFC 7030 server
 * side, just enough): it listens on 127.0.0.1 on an ephemeral port, serves
 * /cacerts and signs /simpleenroll and /simplereenroll requests with a test
 * CA, behaving for each enrolment as the next line of a script says:
 *
 *   200           sign; base64 PKCS#7 in 64-column lines, with the
 *                 Content-Transfer-Encoding header
 *   200-nocte     the same without the Content-Transfer-Encoding header
 *   200-unwrapped base64 on one line
 *   202 N         pending, Retry-After: N
 *   401 | 400 | 500   that status, with a text body
 *   ctype         200 with Content-Type: text/html
 *   garbage       200 with a body that is not base64
 *   badder        200 with base64 of bytes that are not PKCS#7
 *   hang          read the request, never answer
 *   huge          200 with a 2 MiB pkcs7-mime body (Content-Length given)
 *   huge-nolength the same without Content-Length (the body ends at close)
 *   hostile       400 whose text body holds ESC sequences, a C1 control,
 *                 a bidi override, a NUL and bytes that are not UTF-8
 *   hostile-ctype 200 whose Content-Type holds such characters
 * "202 N" sends N as it is: hostile values ("202 99999999999999999999",
 * "202 Thu, 01 Jan 1970 00:00:00 GMT", "202 soon") go through unchanged
 * (the last line repeats). Each request is logged to --log as
 * "METHOD PATH auth=<Authorization> ct=<Content-Type> client=<CN> body=<n>"
 * so the tests can see what the client sent. Test code only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

typedef struct {
  const char *tls_cert, *tls_key, *issuer_cert, *issuer_key, *script, *log, *port_file;
  const char *client_ca;        /* ask for a client certificate, verified against this */
  long days;                    /* validity of the certificates issued */
  X509 *ca;
  EVP_PKEY *ca_key;
  char lines[64][64];
  int n_lines, next;
} server;

static void die(const char *what)
{
  fprintf(stderr, "est_server: %s\n", what);
  ERR_print_errors_fp(stderr);
  exit(1);
}

static X509 *read_cert(const char *path)
{
  FILE *f = fopen(path, "r");
  X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

  if (f != NULL)
    fclose(f);
  if (x == NULL)
    die(path);
  return x;
}

static EVP_PKEY *read_key(const char *path)
{
  FILE *f = fopen(path, "r");
  EVP_PKEY *k = f != NULL ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

  if (f != NULL)
    fclose(f);
  if (k == NULL)
    die(path);
  return k;
}

static void load_script(server *s)
{
  FILE *f = fopen(s->script, "r");
  char line[64];

  if (f == NULL)
    die(s->script);
  while (s->n_lines < 64 && fgets(line, sizeof(line), f) != NULL) {
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] != '\0')
      snprintf(s->lines[s->n_lines++], sizeof(s->lines[0]), "%s", line);
  }
  fclose(f);
  if (s->n_lines == 0)
    die("empty script");
}

static const char *next_action(server *s)
{
  const char *a = s->lines[s->next < s->n_lines ? s->next : s->n_lines - 1];

  s->next++;
  return a;
}

/* ---- HTTP ---------------------------------------------------------------- */

typedef struct {
  char method[8], path[256], auth[256], ctype[128];
  char *body;
  size_t body_len;
} request;

static const char *header(const char *head, const char *name, char *out, size_t len)
{
  const char *p = head;
  size_t n = strlen(name);

  out[0] = '\0';
  while ((p = strchr(p, '\n')) != NULL) {
    p++;
    if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
      p += n + 1;
      while (*p == ' ')
        p++;
      snprintf(out, len, "%.*s", (int)strcspn(p, "\r\n"), p);
      return out;
    }
  }
  return out;
}

static int read_request(SSL *ssl, request *rq)
{
  char buf[65536], cl[32];
  size_t len = 0, head_len;
  char *end;
  long want;
  int n;

  memset(rq, 0, sizeof(*rq));
  for (;;) {
    n = SSL_read(ssl, buf + len, (int)(sizeof(buf) - 1 - len));
    if (n <= 0)
      return -1;
    len += (size_t)n;
    buf[len] = '\0';
    end = strstr(buf, "\r\n\r\n");
    if (end != NULL)
      break;
    if (len >= sizeof(buf) - 1)
      return -1;
  }
  head_len = (size_t)(end - buf) + 4;
  sscanf(buf, "%7s %255s", rq->method, rq->path);
  header(buf, "Authorization", rq->auth, sizeof(rq->auth));
  header(buf, "Content-Type", rq->ctype, sizeof(rq->ctype));
  want = atol(header(buf, "Content-Length", cl, sizeof(cl)));
  while ((long)(len - head_len) < want && len < sizeof(buf) - 1) {
    n = SSL_read(ssl, buf + len, (int)(sizeof(buf) - 1 - len));
    if (n <= 0)
      return -1;
    len += (size_t)n;
  }
  rq->body_len = len - head_len;
  rq->body = malloc(rq->body_len + 1);
  if (rq->body == NULL)
    return -1;
  memcpy(rq->body, buf + head_len, rq->body_len);
  rq->body[rq->body_len] = '\0';
  return 0;
}

/* with_length 0: no Content-Length, the body ends when the connection closes. */
static void respond_raw(SSL *ssl, int status, const char *reason, const char *extra,
                        const char *ctype, const char *body, size_t len, int with_length)
{
  char head[1024], clen[64];
  int n;

  clen[0] = '\0';
  if (with_length)
    snprintf(clen, sizeof(clen), "Content-Length: %zu\r\n", len);
  n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n%s%sConnection: close\r\n\r\n",
               status, reason, ctype, clen, extra != NULL ? extra : "");
  SSL_write(ssl, head, n);
  if (len > 0)
    SSL_write(ssl, body, (int)len);
}

static void respond(SSL *ssl, int status, const char *reason, const char *extra,
                    const char *ctype, const char *body)
{
  respond_raw(ssl, status, reason, extra, ctype, body, strlen(body), 1);
}

/* Over the client's 1 MiB limit: valid base64 characters, 2 MiB of them. */
static void respond_huge(SSL *ssl, int with_length)
{
  size_t len = 2 * 1024 * 1024;
  char *body = malloc(len);

  if (body == NULL)
    die("memory");
  memset(body, 'A', len);
  respond_raw(ssl, 200, "OK", NULL, "application/pkcs7-mime; smime-type=certs-only", body, len,
              with_length);
  free(body);
}

/* What a hostile server says: terminal escapes (ESC [2J, OSC title), a C1
 * CSI (U+009B), a right-to-left override (U+202E), a NUL, bytes that are
 * not UTF-8. */
static const char hostile_text[] =
  "denied \x1b[2J\x1b]0;pwned\x07 csi=\xc2\x9b" "31m rlo=\xe2\x80\xae"
  "txt.exe nul=\0after bad=\xff\xfe end\n";

static void respond_hostile(SSL *ssl)
{
  respond_raw(ssl, 400, "Bad Request", NULL, "text/plain", hostile_text,
              sizeof(hostile_text) - 1, 1);
}

/* ---- PKCS#7 and signing -------------------------------------------------- */

static char *base64(const unsigned char *der, int n, int wrap)
{
  char *b64 = malloc((size_t)(n + 2) / 3 * 4 + 1), *out;
  size_t len, i, o = 0;

  if (b64 == NULL)
    die("memory");
  EVP_EncodeBlock((unsigned char *)b64, der, n);
  len = strlen(b64);
  out = malloc(len + len / 32 + 4);
  if (out == NULL)
    die("memory");
  for (i = 0; i < len; i++) {
    out[o++] = b64[i];
    if (wrap && (i + 1) % 64 == 0) {
      out[o++] = '\r';
      out[o++] = '\n';
    }
  }
  if (wrap) {
    out[o++] = '\r';
    out[o++] = '\n';
  }
  out[o] = '\0';
  free(b64);
  return out;
}

static char *certs_only(X509 *a, X509 *b, int wrap)
{
  PKCS7 *p7 = PKCS7_new();
  unsigned char *der = NULL;
  char *out;
  int n;

  if (p7 == NULL || !PKCS7_set_type(p7, NID_pkcs7_signed) ||
      !PKCS7_content_new(p7, NID_pkcs7_data) || (a != NULL && !PKCS7_add_certificate(p7, a)) ||
      (b != NULL && !PKCS7_add_certificate(p7, b)))
    die("pkcs7");
  n = i2d_PKCS7(p7, &der);
  if (n <= 0)
    die("pkcs7 der");
  out = base64(der, n, wrap);
  OPENSSL_free(der);
  PKCS7_free(p7);
  return out;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX ctx;
  X509_EXTENSION *e;
  int ok;

  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
  e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  if (e == NULL)
    return 0;
  ok = X509_add_ext(x, e, -1);
  X509_EXTENSION_free(e);
  return ok;
}

/* The request, base64 DER as RFC 7030 sends it, signed by the test CA. */
static X509 *sign_request(server *s, const request *rq)
{
  EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
  unsigned char *der = malloc(rq->body_len + 4);
  const unsigned char *p;
  int n = 0, fin = 0;
  X509_REQ *req = NULL;
  X509 *x = NULL;
  EVP_PKEY *pub;
  unsigned char serial[16];
  BIGNUM *bn;
  time_t now = time(NULL), nb = now - 3600, na = now - 3600 + s->days * 86400L;

  if (ctx == NULL || der == NULL)
    die("memory");
  EVP_DecodeInit(ctx);
  if (EVP_DecodeUpdate(ctx, der, &n, (unsigned char *)rq->body, (int)rq->body_len) < 0 ||
      EVP_DecodeFinal(ctx, der + n, &fin) != 1)
    goto done;
  p = der;
  req = d2i_X509_REQ(NULL, &p, n + fin);
  pub = req != NULL ? X509_REQ_get0_pubkey(req) : NULL;
  if (pub == NULL || X509_REQ_verify(req, pub) != 1)
    goto done;
  x = X509_new();
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7F;
  bn = BN_bin2bn(serial, sizeof(serial), NULL);
  if (x == NULL || bn == NULL || !X509_set_version(x, 2) ||
      BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
      !X509_set_subject_name(x, X509_REQ_get_subject_name(req)) ||
      !X509_set_issuer_name(x, X509_get_subject_name(s->ca)) ||
      X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &nb) == NULL ||
      X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &na) == NULL || !X509_set_pubkey(x, pub) ||
      !add_ext(x, s->ca, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(x, s->ca, NID_key_usage, "critical,digitalSignature,nonRepudiation") ||
      !add_ext(x, s->ca, NID_ext_key_usage, "clientAuth,emailProtection") ||
      !add_ext(x, s->ca, NID_subject_key_identifier, "hash") ||
      !add_ext(x, s->ca, NID_authority_key_identifier, "keyid:always") ||
      X509_sign(x, s->ca_key, EVP_sha256()) <= 0) {
    X509_free(x);
    x = NULL;
  }
  BN_free(bn);

done:
  X509_REQ_free(req);
  EVP_ENCODE_CTX_free(ctx);
  free(der);
  return x;
}

/* ---- one connection ------------------------------------------------------ */

static void log_request(server *s, const request *rq, SSL *ssl)
{
  FILE *f = fopen(s->log, "a");
  X509 *peer = SSL_get1_peer_certificate(ssl);
  char cn[128] = "-";

  if (peer != NULL)
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
  X509_free(peer);
  if (f == NULL)
    return;
  fprintf(f, "%s %s auth=%s ct=%s client=%s body=%zu lines=%d\n", rq->method, rq->path,
          rq->auth[0] != '\0' ? rq->auth : "-", rq->ctype[0] != '\0' ? rq->ctype : "-", cn,
          rq->body_len, rq->body_len > 0 && strstr(rq->body, "\r\n") != NULL);
  fclose(f);
}

static void enroll(server *s, SSL *ssl, const request *rq)
{
  const char *action = next_action(s);
  X509 *issued = NULL;
  char *b64 = NULL, extra[128];

  if (strncmp(action, "202", 3) == 0) {
    snprintf(extra, sizeof(extra), "Retry-After: %s\r\n", action[3] == ' ' ? action + 4 : "1");
    respond(ssl, 202, "Accepted", extra, "text/plain", "");
    return;
  }
  if (strcmp(action, "401") == 0) {
    respond(ssl, 401, "Unauthorized", "WWW-Authenticate: Basic realm=\"est\"\r\n", "text/plain",
            "bad order reference or retrieval code\n");
    return;
  }
  if (strcmp(action, "400") == 0 || strcmp(action, "500") == 0) {
    respond(ssl, atoi(action), action[0] == '4' ? "Bad Request" : "Internal Server Error", NULL,
            "text/plain", "the request subject does not match the order\n");
    return;
  }
  if (strcmp(action, "hang") == 0) {
    char buf[256];
    while (SSL_read(ssl, buf, sizeof(buf)) > 0)
      ;                        /* until the client gives up */
    return;
  }
  if (strcmp(action, "huge") == 0 || strcmp(action, "huge-nolength") == 0) {
    respond_huge(ssl, strcmp(action, "huge") == 0);
    return;
  }
  if (strcmp(action, "hostile") == 0) {
    respond_hostile(ssl);
    return;
  }
  if (strcmp(action, "hostile-ctype") == 0) {
    respond(ssl, 200, "OK", NULL, "application/x-\x1b[31mred\xe2\x80\xae\xc2\x9bzz", "AAAA\r\n");
    return;
  }
  if (strcmp(action, "garbage") == 0) {
    respond(ssl, 200, "OK", "Content-Transfer-Encoding: base64\r\n",
            "application/pkcs7-mime; smime-type=certs-only", "<html>this is not base64!</html>\n");
    return;
  }
  if (strcmp(action, "badder") == 0) {
    respond(ssl, 200, "OK", NULL, "application/pkcs7-mime; smime-type=certs-only",
            "SGVsbG8sIHRoaXMgaXMgbm90IFBLQ1MjNw==\r\n");
    return;
  }
  issued = sign_request(s, rq);
  if (issued == NULL) {
    respond(ssl, 400, "Bad Request", NULL, "text/plain", "not a PKCS#10 request\n");
    return;
  }
  b64 = certs_only(issued, s->ca, strcmp(action, "200-unwrapped") != 0);
  if (strcmp(action, "ctype") == 0)
    respond(ssl, 200, "OK", NULL, "text/html", b64);
  else
    respond(ssl, 200, "OK",
            strcmp(action, "200") == 0 ? "Content-Transfer-Encoding: base64\r\n" : NULL,
            "application/pkcs7-mime; smime-type=certs-only", b64);
  free(b64);
  X509_free(issued);
}

static void serve(server *s, SSL *ssl)
{
  request rq;
  char *b64;

  if (read_request(ssl, &rq) != 0)
    return;
  log_request(s, &rq, ssl);
  if (strcmp(rq.method, "GET") == 0 && strstr(rq.path, "/.well-known/est") == rq.path &&
      strstr(rq.path, "/cacerts") != NULL) {
    b64 = certs_only(s->ca, NULL, 1);
    respond(ssl, 200, "OK", "Content-Transfer-Encoding: base64\r\n",
            "application/pkcs7-mime; smime-type=certs-only", b64);
    free(b64);
  } else if (strcmp(rq.method, "POST") == 0 &&
             (strstr(rq.path, "/simpleenroll") != NULL || strstr(rq.path, "/simplereenroll") != NULL)) {
    if (strstr(rq.path, "/simplereenroll") != NULL && SSL_get0_peer_certificate(ssl) == NULL)
      respond(ssl, 401, "Unauthorized", NULL, "text/plain", "client certificate required\n");
    else
      enroll(s, ssl, &rq);
  } else {
    respond(ssl, 404, "Not Found", NULL, "text/plain", "no such EST operation\n");
  }
  free(rq.body);
}

int main(int argc, char **argv)
{
  server s;
  SSL_CTX *ctx;
  struct sockaddr_in addr;
  socklen_t alen = sizeof(addr);
  int fd, i, one = 1;
  FILE *pf;

  memset(&s, 0, sizeof(s));
  s.days = 3 * 365;
  for (i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--tls-cert") == 0) s.tls_cert = argv[i + 1];
    else if (strcmp(argv[i], "--tls-key") == 0) s.tls_key = argv[i + 1];
    else if (strcmp(argv[i], "--issuer-cert") == 0) s.issuer_cert = argv[i + 1];
    else if (strcmp(argv[i], "--issuer-key") == 0) s.issuer_key = argv[i + 1];
    else if (strcmp(argv[i], "--script") == 0) s.script = argv[i + 1];
    else if (strcmp(argv[i], "--log") == 0) s.log = argv[i + 1];
    else if (strcmp(argv[i], "--port-file") == 0) s.port_file = argv[i + 1];
    else if (strcmp(argv[i], "--client-ca") == 0) s.client_ca = argv[i + 1];
    else if (strcmp(argv[i], "--days") == 0) s.days = atol(argv[i + 1]);
    else die(argv[i]);
  }
  if (s.tls_cert == NULL || s.tls_key == NULL || s.issuer_cert == NULL ||
      s.issuer_key == NULL || s.script == NULL || s.log == NULL || s.port_file == NULL)
    die("usage: est_server --tls-cert --tls-key --issuer-cert --issuer-key --script --log --port-file [--client-ca] [--days]");
  signal(SIGPIPE, SIG_IGN);
  load_script(&s);
  s.ca = read_cert(s.issuer_cert);
  s.ca_key = read_key(s.issuer_key);
  ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, s.tls_cert) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, s.tls_key, SSL_FILETYPE_PEM) != 1)
    die("TLS context");
  if (s.client_ca != NULL) {
    if (SSL_CTX_load_verify_locations(ctx, s.client_ca, NULL) != 1)
      die(s.client_ca);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);   /* optional: /cacerts needs none */
  }
  fd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 8) != 0 ||
      getsockname(fd, (struct sockaddr *)&addr, &alen) != 0)
    die("socket");
  pf = fopen(s.port_file, "w");
  if (pf == NULL)
    die(s.port_file);
  fprintf(pf, "%u\n", ntohs(addr.sin_port));
  fclose(pf);
  for (;;) {
    int c = accept(fd, NULL, NULL);
    SSL *ssl;
    if (c < 0) {
      if (errno == EINTR)
        continue;
      die("accept");
    }
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, c);
    if (SSL_accept(ssl) == 1)
      serve(&s, ssl);
    else
      ERR_clear_error();
    SSL_shutdown(ssl);
    SSL_free(ssl);
    close(c);
  }
}
