/* SPDX-License-Identifier: BSD-3-Clause */
/* rev_fixture.c - the test CA, the OCSP responders and the HTTP server of
 * the revocation tests (see rev_fixture.h). Test code only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "rev_fixture.h"
#include "rgs_test.h"

#define SUBJECT "C=FR,O=ACME,OU=0002 732829320,CN=Jean DUPONT"
#define YEAR (365L * TPKI_DAY)

/* ---- certificates ------------------------------------------------------ */

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

static X509 *leaf_with(rev_fixture *f, EVP_PKEY *pub, const char *serial, const char *ocsp_url,
                       const char *crl_url, const char *policy);

/* certificatePolicies with one OID (the text form needs a config database). */
static int add_policy(X509 *x, const char *oid)
{
  CERTIFICATEPOLICIES *pols = sk_POLICYINFO_new_null();
  POLICYINFO *pi = POLICYINFO_new();
  int ok = pols != NULL && pi != NULL;

  if (ok) {
    ASN1_OBJECT_free(pi->policyid);
    pi->policyid = OBJ_txt2obj(oid, 1);
    ok = pi->policyid != NULL && sk_POLICYINFO_push(pols, pi) > 0;
  }
  if (ok)
    pi = NULL;
  ok = ok && X509_add1_ext_i2d(x, NID_certificate_policies, pols, 0, X509V3_ADD_DEFAULT) == 1;
  POLICYINFO_free(pi);
  CERTIFICATEPOLICIES_free(pols);
  return ok;
}

X509 *rev_leaf(rev_fixture *f, EVP_PKEY *pub, const char *serial, const char *ocsp_url,
               const char *crl_url)
{
  return leaf_with(f, pub, serial, ocsp_url, crl_url, NULL);
}

X509 *rev_aed(rev_fixture *f, EVP_PKEY *pub, const char *serial, const char *ocsp_url,
              const char *policy)
{
  return leaf_with(f, pub, serial, ocsp_url, NULL, policy);
}

static X509 *leaf_with(rev_fixture *f, EVP_PKEY *pub, const char *serial, const char *ocsp_url,
                       const char *crl_url, const char *policy)
{
  time_t now = time(NULL);
  tpki_leaf spec = { SUBJECT, now - TPKI_DAY, now - TPKI_DAY + 3 * YEAR, NULL, 0, 0, NULL, NULL, 0 };
  tpki_hostile h;
  EVP_PKEY *own = pub == NULL ? tpki_ec_key() : NULL;
  char v[300];
  X509 *x;
  int ok;

  memset(&h, 0, sizeof(h));
  h.serial = serial;
  x = tpki_issue_hostile(&f->ca, pub != NULL ? pub : own, &spec, &h);
  EVP_PKEY_free(own);
  if (x == NULL)
    return NULL;
  ok = 1;
  if (ocsp_url != NULL) {
    snprintf(v, sizeof(v), "OCSP;URI:%s", ocsp_url);
    ok = add_ext(x, f->ca.cert, NID_info_access, v);
  }
  if (ok && crl_url != NULL) {
    snprintf(v, sizeof(v), "URI:%s", crl_url);
    ok = add_ext(x, f->ca.cert, NID_crl_distribution_points, v);
  }
  if (ok && policy != NULL)
    ok = add_policy(x, policy);
  if (!ok || X509_sign(x, f->ca.key, EVP_sha256()) <= 0) {
    X509_free(x);
    return NULL;
  }
  return x;
}

/* A responder certificate of the issuing CA: with id-kp-OCSPSigning
 * (delegated) or an ordinary holder's (noeku). */
static X509 *responder_cert(rev_fixture *f, EVP_PKEY *key, int delegated)
{
  time_t now = time(NULL);
  tpki_leaf spec = { "C=FR,O=RGS Test PKI,CN=OCSP Responder", now - TPKI_DAY, now + YEAR, NULL,
                     delegated, 0, NULL, NULL, 0 };
  X509 *x = tpki_issue(&f->ca, key, &spec);

  if (x != NULL && delegated &&
      (!add_ext(x, f->ca.cert, NID_key_usage, "critical,digitalSignature") ||
       !add_ext(x, f->ca.cert, NID_ext_key_usage, "OCSPSigning") ||
       X509_sign(x, f->ca.key, EVP_sha256()) <= 0)) {
    X509_free(x);
    return NULL;
  }
  return x;
}

static ASN1_INTEGER *serial_of(const char *dec)
{
  BIGNUM *bn = NULL;
  ASN1_INTEGER *ai = NULL;

  if (BN_dec2bn(&bn, dec) > 0)
    ai = BN_to_ASN1_INTEGER(bn, NULL);
  BN_free(bn);
  return ai;
}

static unsigned char *mem_of(BIO *b, size_t *len)
{
  char *p = NULL;
  long n = BIO_get_mem_data(b, &p);
  unsigned char *out = n > 0 ? malloc((size_t)n) : NULL;

  if (out != NULL)
    memcpy(out, p, (size_t)n);
  *len = out != NULL ? (size_t)n : 0;
  return out;
}

unsigned char *rev_crl(const tpki_ca *signer, const tpki_ca *named, time_t last, time_t next,
                       const char *serial, int reason, int pem, size_t *len)
{
  X509_CRL *crl = X509_CRL_new();
  X509_REVOKED *r = NULL;
  ASN1_TIME *t = NULL;
  ASN1_INTEGER *sn = NULL;
  ASN1_ENUMERATED *why = NULL;
  BIO *b = BIO_new(BIO_s_mem());
  unsigned char *out = NULL;
  int ok = crl != NULL && b != NULL && X509_CRL_set_version(crl, 1) &&
           X509_CRL_set_issuer_name(crl, X509_get_subject_name(named->cert));

  t = ASN1_TIME_set(NULL, last);
  ok = ok && t != NULL && X509_CRL_set1_lastUpdate(crl, t);
  if (ok && next != 0) {
    ASN1_TIME_set(t, next);
    ok = X509_CRL_set1_nextUpdate(crl, t);
  }
  if (ok && serial != NULL) {
    r = X509_REVOKED_new();
    sn = serial_of(serial);
    ok = r != NULL && sn != NULL && X509_REVOKED_set_serialNumber(r, sn) &&
         ASN1_TIME_set_string(t, REV_REVOKED_AT) && X509_REVOKED_set_revocationDate(r, t);
    if (ok && reason >= 0) {
      why = ASN1_ENUMERATED_new();
      ok = why != NULL && ASN1_ENUMERATED_set(why, reason) &&
           X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, why, 0, 0) == 1;
    }
    ok = ok && X509_CRL_add0_revoked(crl, r);
    if (ok)
      r = NULL;
  }
  ok = ok && X509_CRL_sort(crl) && X509_CRL_sign(crl, signer->key, EVP_sha256()) > 0;
  ok = ok && (pem ? PEM_write_bio_X509_CRL(b, crl) : i2d_X509_CRL_bio(b, crl));
  if (ok)
    out = mem_of(b, len);
  ASN1_ENUMERATED_free(why);
  ASN1_INTEGER_free(sn);
  X509_REVOKED_free(r);
  ASN1_TIME_free(t);
  X509_CRL_free(crl);
  BIO_free(b);
  return out;
}

unsigned char *rev_ocsp_canned(rev_fixture *f, X509 *cert, const char *nonce, time_t this_upd,
                               time_t next_upd, size_t *len)
{
  OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), cert, f->ca.cert);
  OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
  OCSP_RESPONSE *resp = NULL;
  ASN1_TIME *a = ASN1_TIME_set(NULL, this_upd), *b = ASN1_TIME_set(NULL, next_upd);
  unsigned char *der = NULL, *out = NULL;
  int n = -1;

  if (id != NULL && bs != NULL && a != NULL && b != NULL &&
      OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD, 0, NULL, a, b) != NULL &&
      (nonce == NULL || OCSP_basic_add1_nonce(bs, (unsigned char *)nonce, (int)strlen(nonce)) == 1) &&
      OCSP_basic_sign(bs, f->ca.cert, f->ca.key, EVP_sha256(), NULL, 0) == 1)
    resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
  if (resp != NULL)
    n = i2d_OCSP_RESPONSE(resp, &der);
  if (n > 0 && (out = malloc((size_t)n)) != NULL) {
    memcpy(out, der, (size_t)n);
    *len = (size_t)n;
  }
  OPENSSL_free(der);
  OCSP_RESPONSE_free(resp);
  OCSP_BASICRESP_free(bs);
  OCSP_CERTID_free(id);
  ASN1_TIME_free(a);
  ASN1_TIME_free(b);
  return out;
}

/* ---- the tiny HTTP server ------------------------------------------------ */

static const rev_route *find_route(const rev_httpd *h, const char *path)
{
  size_t i;

  for (i = 0; i < h->n; i++)
    if (strcmp(h->routes[i].path, path) == 0)
      return &h->routes[i];
  return NULL;
}

/* The request's head and body (Content-Length), the path in path. */
static int read_request(int c, char *path, size_t len)
{
  char buf[16384], *end, *cl;
  size_t got = 0, head;
  long want = 0;
  ssize_t n;

  for (;;) {
    n = recv(c, buf + got, sizeof(buf) - 1 - got, 0);
    if (n <= 0)
      return -1;
    got += (size_t)n;
    buf[got] = '\0';
    end = strstr(buf, "\r\n\r\n");
    if (end != NULL)
      break;
    if (got >= sizeof(buf) - 1)
      return -1;
  }
  head = (size_t)(end - buf) + 4;
  if (sscanf(buf, "%*s %63s", path) != 1)
    return -1;
  (void)len;
  cl = strcasestr(buf, "\r\nContent-Length:");
  if (cl != NULL)
    want = atol(cl + 17);
  while ((long)(got - head) < want) {
    n = recv(c, buf, sizeof(buf), 0);
    if (n <= 0)
      return -1;
    got += (size_t)n;
  }
  return 0;
}

static void send_all(int c, const void *p, size_t len)
{
  const char *q = p;
  ssize_t n;

  while (len > 0 && (n = send(c, q, len, MSG_NOSIGNAL)) > 0) {
    q += n;
    len -= (size_t)n;
  }
}

static void serve(rev_httpd *h, int c)
{
  char path[64], head[256];
  const rev_route *r;
  int n;

  if (read_request(c, path, sizeof(path)) != 0) {
    close(c);
    return;
  }
  pthread_mutex_lock(&h->mu);
  h->requests++;
  r = find_route(h, path);
  if (r != NULL && r->status == 0 && h->n_hung < sizeof(h->hung) / sizeof(h->hung[0])) {
    h->hung[h->n_hung++] = c;          /* never answered; closed at the end */
    pthread_mutex_unlock(&h->mu);
    return;
  }
  n = snprintf(head, sizeof(head),
               "HTTP/1.1 %d X\r\nContent-Type: application/octet-stream\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
               r != NULL ? r->status : 404, r != NULL ? r->len : 0);
  send_all(c, head, (size_t)n);
  if (r != NULL)
    send_all(c, r->body, r->len);
  pthread_mutex_unlock(&h->mu);
  close(c);
}

static void *http_loop(void *arg)
{
  rev_httpd *h = arg;
  int c;

  /* shutdown() of the listening socket ends accept() and the loop. */
  while ((c = accept(h->fd, NULL, NULL)) >= 0)
    serve(h, c);
  return NULL;
}

/* A socket on 127.0.0.1, ephemeral port; listening or only bound. */
static int local_socket(int listening, int *port)
{
  struct sockaddr_in a;
  socklen_t alen = sizeof(a);
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
      (listening && listen(fd, 16) != 0) || getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return fd;
}

void rev_http_set(rev_fixture *f, const char *path, int status, const void *body, size_t len)
{
  rev_httpd *h = &f->http;
  rev_route *r;

  pthread_mutex_lock(&h->mu);
  r = (rev_route *)find_route(h, path);
  if (r == NULL && h->n < REV_MAX_ROUTES)
    r = &h->routes[h->n++];
  if (r != NULL) {
    free(r->body);
    snprintf(r->path, sizeof(r->path), "%s", path);
    r->body = malloc(len > 0 ? len : 1);
    if (len > 0 && r->body != NULL)
      memcpy(r->body, body, len);
    r->len = r->body != NULL ? len : 0;
    r->status = status;
  }
  pthread_mutex_unlock(&h->mu);
}

/* ---- the OCSP responders --------------------------------------------------- */

static int write_file(const char *dir, const char *name, char *path, size_t len,
                      int (*w)(const char *, const void *), const void *what)
{
  snprintf(path, len, "%s/%s", dir, name);
  return w(path, what);
}

static int w_cert(const char *path, const void *x)
{
  X509 *certs[] = { (X509 *)x, NULL };
  return tpki_write_pem(path, certs);
}

static int w_key(const char *path, const void *k)
{
  return tpki_write_key_pem(path, (EVP_PKEY *)k);
}

static int w_text(const char *path, const void *t)
{
  return rgs_write_file(path, t);
}

/* openssl ocsp on an ephemeral port; its "ACCEPT [::]:PORT" line on a
 * pipe says it listens (a blocking read: the event itself). */
static int start_responder(rev_fixture *f, int which, const char *index, const char *ca,
                           const char *cert, const char *key)
{
  char log[700], line[256], *colon;
  int fds[2];
  FILE *in;
  pid_t pid;

  snprintf(log, sizeof(log), "%s/ocsp-%d.log", f->dir, which);
  if (pipe(fds) != 0)
    return -1;
  pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    const char *argv[] = { rgs_env("OPENSSL_BIN"), "ocsp", "-index", index, "-port", "0",
                           "-CA", ca, "-rsigner", cert, "-rkey", key, "-ndays", "1", NULL };
    FILE *err = fopen(log, "w");
    dup2(fds[1], 1);
    if (err != NULL)
      dup2(fileno(err), 2);
    close(fds[0]);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  close(fds[1]);
  f->resp_pid[which] = pid;
  in = fdopen(fds[0], "r");
  f->resp_out[which] = in;
  while (in != NULL && fgets(line, sizeof(line), in) != NULL) {
    if (strncmp(line, "ACCEPT ", 7) == 0 && (colon = strrchr(line, ':')) != NULL) {
      f->resp_port[which] = atoi(colon + 1);
      break;
    }
  }
  /* The read end stays open until the end: a responder writing to a
   * closed pipe would die of SIGPIPE. */
  return f->resp_port[which] > 0 ? 0 : -1;
}

static int make_pki(rev_fixture *f)
{
  if (tpki_ca_new(&f->root, "Rev Root", NULL, 3650) != 0 ||
      tpki_ca_new(&f->ca, "Rev Issuing CA", &f->root, 3000) != 0 ||
      tpki_ca_new(&f->other, "Other CA", NULL, 3650) != 0)
    return -1;
  f->deleg_key = tpki_ec_key();
  f->noeku_key = tpki_ec_key();
  if (f->deleg_key == NULL || f->noeku_key == NULL)
    return -1;
  f->deleg_cert = responder_cert(f, f->deleg_key, 1);
  f->noeku_cert = responder_cert(f, f->noeku_key, 0);
  return f->deleg_cert != NULL && f->noeku_cert != NULL ? 0 : -1;
}

static int start_responders(rev_fixture *f)
{
  char index[600], ca[600], cert[600], key[600], text[512];
  X509 *signers[REV_N_RESP];
  EVP_PKEY *keys[REV_N_RESP];
  int i;

  signers[REV_RESP_CA] = f->ca.cert;
  keys[REV_RESP_CA] = f->ca.key;
  signers[REV_RESP_DELEGATED] = f->deleg_cert;
  keys[REV_RESP_DELEGATED] = f->deleg_key;
  signers[REV_RESP_OTHER] = f->other.cert;
  keys[REV_RESP_OTHER] = f->other.key;
  signers[REV_RESP_NOEKU] = f->noeku_cert;
  keys[REV_RESP_NOEKU] = f->noeku_key;
  /* openssl ca's index: the serial as BN_bn2hex writes it. */
  snprintf(text, sizeof(text),
           "V\t491231000000Z\t\t03E9\tunknown\t/CN=good\n"
           "R\t491231000000Z\t%s,keyCompromise\t03EA\tunknown\t/CN=revoked\n", REV_REVOKED_AT);
  if (write_file(f->dir, "index.txt", index, sizeof(index), w_text, text) != 0 ||
      write_file(f->dir, "index.txt.attr", text, sizeof(text), w_text, "unique_subject = no\n") != 0 ||
      write_file(f->dir, "ca.pem", ca, sizeof(ca), w_cert, f->ca.cert) != 0)
    return -1;
  for (i = 0; i < REV_N_RESP; i++) {
    char name[32];
    snprintf(name, sizeof(name), "signer-%d.pem", i);
    if (write_file(f->dir, name, cert, sizeof(cert), w_cert, signers[i]) != 0)
      return -1;
    snprintf(name, sizeof(name), "signer-%d.key", i);
    if (write_file(f->dir, name, key, sizeof(key), w_key, keys[i]) != 0 ||
        start_responder(f, i, index, ca, cert, key) != 0)
      return -1;
  }
  return 0;
}

int rev_fixture_init(rev_fixture *f)
{
  memset(f, 0, sizeof(*f));
  f->http.fd = f->refuse_fd = -1;
  f->dir = rgs_tmpdir();
  pthread_mutex_init(&f->http.mu, NULL);
  if (f->dir == NULL || make_pki(f) != 0 ||
      write_file(f->dir, "root.pem", f->root_file, sizeof(f->root_file), w_cert, f->root.cert) != 0 ||
      write_file(f->dir, "chain.pem", f->chain_file, sizeof(f->chain_file), w_cert, f->ca.cert) != 0 ||
      start_responders(f) != 0)
    return -1;
  f->refuse_fd = local_socket(0, &f->refuse_port);
  f->http.fd = local_socket(1, &f->http.port);
  if (f->refuse_fd < 0 || f->http.fd < 0 ||
      pthread_create(&f->http.th, NULL, http_loop, &f->http) != 0) {
    if (f->http.fd >= 0)
      close(f->http.fd);
    f->http.fd = -1;
    return -1;
  }
  return 0;
}

void rev_fixture_cleanup(rev_fixture *f)
{
  size_t i;
  int k;

  if (f->http.fd >= 0) {
    shutdown(f->http.fd, SHUT_RDWR);
    pthread_join(f->http.th, NULL);
    close(f->http.fd);
  }
  for (i = 0; i < f->http.n_hung; i++)
    close(f->http.hung[i]);
  for (i = 0; i < f->http.n; i++)
    free(f->http.routes[i].body);
  pthread_mutex_destroy(&f->http.mu);
  if (f->refuse_fd >= 0)
    close(f->refuse_fd);
  for (k = 0; k < REV_N_RESP; k++) {
    if (f->resp_pid[k] > 0) {
      kill(f->resp_pid[k], SIGTERM);
      while (waitpid(f->resp_pid[k], NULL, 0) < 0 && errno == EINTR)
        ;
    }
    if (f->resp_out[k] != NULL)
      fclose(f->resp_out[k]);
  }
  X509_free(f->deleg_cert);
  X509_free(f->noeku_cert);
  EVP_PKEY_free(f->deleg_key);
  EVP_PKEY_free(f->noeku_key);
  tpki_ca_free(&f->root);
  tpki_ca_free(&f->ca);
  tpki_ca_free(&f->other);
  if (f->dir != NULL)
    rgs_rmrf(f->dir);
  free(f->dir);
}

void rev_responder_url(const rev_fixture *f, int which, char *out, size_t len)
{
  snprintf(out, len, "http://127.0.0.1:%d/ocsp", f->resp_port[which]);
}

void rev_http_url(const rev_fixture *f, const char *path, char *out, size_t len)
{
  snprintf(out, len, "http://127.0.0.1:%d%s", f->http.port, path);
}

void rev_refused_url(const rev_fixture *f, char *out, size_t len)
{
  snprintf(out, len, "http://127.0.0.1:%d/ocsp", f->refuse_port);
}
