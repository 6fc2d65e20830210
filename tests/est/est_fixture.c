/* SPDX-License-Identifier: BSD-3-Clause */
/* est_fixture.c - start and stop the test EST responder (see est_fixture.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "est_fixture.h"
#include "rgs_test.h"

int est_fixture_init(est_fixture *f, const char *dir)
{
  X509 *one[2] = { NULL, NULL };

  memset(f, 0, sizeof(*f));
  f->pid = -1;
  f->own_dir = dir == NULL;
  f->dir = dir != NULL ? strdup(dir) : rgs_tmpdir();
  if (f->dir == NULL)
    return -1;
  snprintf(f->ca_file, sizeof(f->ca_file), "%s/est-ca.pem", f->dir);
  snprintf(f->other_ca_file, sizeof(f->other_ca_file), "%s/est-other-ca.pem", f->dir);
  snprintf(f->tls_cert, sizeof(f->tls_cert), "%s/est-tls.pem", f->dir);
  snprintf(f->tls_key, sizeof(f->tls_key), "%s/est-tls.key", f->dir);
  snprintf(f->ca_cert, sizeof(f->ca_cert), "%s/est-issuer.pem", f->dir);
  snprintf(f->ca_key, sizeof(f->ca_key), "%s/est-issuer.key", f->dir);
  snprintf(f->script, sizeof(f->script), "%s/est-script", f->dir);
  snprintf(f->log, sizeof(f->log), "%s/est-log", f->dir);
  snprintf(f->port_file, sizeof(f->port_file), "%s/est-port", f->dir);
  if (tpki_ca_new(&f->ca, "EST Test CA", NULL, 3650) != 0 ||
      tpki_ca_new(&f->other_ca, "Somebody Else's CA", NULL, 3650) != 0)
    return -1;
  one[0] = f->ca.cert;
  if (tpki_write_pem(f->ca_file, one) != 0 || tpki_write_pem(f->ca_cert, one) != 0 ||
      tpki_write_key_pem(f->ca_key, f->ca.key) != 0)
    return -1;
  one[0] = f->other_ca.cert;
  return tpki_write_pem(f->other_ca_file, one);
}

static int write_tls(est_fixture *f, int untrusted)
{
  const tpki_ca *issuer = untrusted ? &f->other_ca : &f->ca;
  EVP_PKEY *key = tpki_ec_key();
  time_t now = time(NULL);
  tpki_leaf spec = { "C=FR,O=RGS Test PKI,CN=127.0.0.1", now - 3600, now + 30 * TPKI_DAY,
                     NULL, 0, 1, "localhost", NULL, 0 };
  X509 *cert = key != NULL ? tpki_issue(issuer, key, &spec) : NULL;
  X509 *chain[2] = { cert, NULL };
  int ok = cert != NULL && tpki_write_pem(f->tls_cert, chain) == 0 &&
           tpki_write_key_pem(f->tls_key, key) == 0;

  X509_free(cert);
  EVP_PKEY_free(key);
  return ok ? 0 : -1;
}

int est_fixture_start(est_fixture *f, const char *script, int untrusted, const char *client_ca)
{
  const char *server = rgs_env("RGS_EST_SERVER");
  struct timespec pause = { 0, 20 * 1000 * 1000 };
  char *port;
  int i;

  unlink(f->port_file);
  unlink(f->log);
  if (rgs_write_file(f->script, script) != 0 || write_tls(f, untrusted) != 0)
    return -1;
  f->pid = fork();
  if (f->pid < 0)
    return -1;
  if (f->pid == 0) {
    const char *argv[20] = { server, "--tls-cert", f->tls_cert, "--tls-key", f->tls_key,
                             "--issuer-cert", f->ca_cert, "--issuer-key", f->ca_key,
                             "--script", f->script, "--log", f->log, "--port-file",
                             f->port_file, NULL };
    if (client_ca != NULL) {
      argv[15] = "--client-ca";
      argv[16] = client_ca;
      argv[17] = NULL;
    }
    execv(server, (char *const *)argv);
    _exit(127);
  }
  for (i = 0; i < 500; i++) {          /* up to 10 s */
    port = rgs_read_file(f->port_file, NULL);
    if (port != NULL && strchr(port, '\n') != NULL) {
      f->port = atoi(port);
      free(port);
      snprintf(f->url, sizeof(f->url), "https://127.0.0.1:%d", f->port);
      return 0;
    }
    free(port);
    if (waitpid(f->pid, NULL, WNOHANG) == f->pid) {
      f->pid = -1;
      return -1;
    }
    nanosleep(&pause, NULL);
  }
  return -1;
}

void est_fixture_stop(est_fixture *f)
{
  if (f->pid > 0) {
    kill(f->pid, SIGTERM);
    while (waitpid(f->pid, NULL, 0) < 0 && errno == EINTR)
      ;
  }
  f->pid = -1;
}

void est_fixture_cleanup(est_fixture *f)
{
  est_fixture_stop(f);
  tpki_ca_free(&f->ca);
  tpki_ca_free(&f->other_ca);
  if (f->own_dir && f->dir != NULL)
    rgs_rmrf(f->dir);
  free(f->dir);
  f->dir = NULL;
}

int est_fixture_logged(const est_fixture *f, const char *needle)
{
  char *log = rgs_read_file(f->log, NULL), *p;
  int n = 0;

  for (p = log; p != NULL && (p = strstr(p, needle)) != NULL; p++)
    n++;
  free(log);
  return n;
}
