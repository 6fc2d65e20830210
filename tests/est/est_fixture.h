/* SPDX-License-Identifier: BSD-3-Clause */
/* est_fixture.h - the test EST responder (est_server) run as a child
 * process on 127.0.0.1, with a test CA made by the test. Test code only. */
#ifndef RGS_EST_FIXTURE_H
#define RGS_EST_FIXTURE_H

#include <sys/types.h>
#include "testpki.h"

typedef struct {
  char *dir;
  int own_dir;                /* made here: removed by est_fixture_cleanup */
  tpki_ca ca, other_ca;
  char ca_file[600];          /* the CA that signs everything (PEM) */
  char other_ca_file[600];    /* a CA that signed nothing here */
  char tls_cert[600], tls_key[600], ca_cert[600], ca_key[600];
  char script[600], log[600], port_file[600];
  pid_t pid;
  int port;
  char url[128];
} est_fixture;

/* Make the CAs and files in a fresh directory (dir NULL: its own). */
int est_fixture_init(est_fixture *f, const char *dir);
/* Start the responder with this script (lines, see est_server.c). With
 * untrusted, its TLS certificate comes from the other CA; with client_ca,
 * it asks for a client certificate verified against that file. */
int est_fixture_start(est_fixture *f, const char *script, int untrusted, const char *client_ca);
void est_fixture_stop(est_fixture *f);
void est_fixture_cleanup(est_fixture *f);
/* Lines of the request log that contain needle. */
int est_fixture_logged(const est_fixture *f, const char *needle);

#endif
