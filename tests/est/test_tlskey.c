/* SPDX-License-Identifier: BSD-3-Clause */
/* test_tlskey.c - TLS client authentication with a key on the token
 * (libp11 behind OpenSSL, libcurl in front): the EST responder asks for a
 * client certificate and sees the holder's. In-process, against SoftHSM2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>
#include "certcheck.h"
#include "est.h"
#include "est_fixture.h"
#include "rgs_test.h"
#include "tlskey.h"

typedef struct {
  rgs_softhsm hsm;
  est_fixture est;
  char csr[600], policy[600];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));
  rgs_run_result r;

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "tlskey"), 0);
  assert_int_equal(est_fixture_init(&f->est, f->hsm.dir), 0);
  snprintf(f->csr, sizeof(f->csr), "%s/req.csr", f->hsm.dir);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  *state = f;
  (void)r;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  est_fixture_cleanup(&f->est);
  rgs_softhsm_cleanup(&f->hsm);
  free(f);
  rgs_est_global_cleanup();
  return 0;
}

static void client_auth(fixture *f, const char *key_type)
{
  rgs_run_result r;
  rgs_p11_ctx *ctx = NULL;
  rgs_p11_token *tok = NULL;
  rgs_p11_pin_source pin;
  rgs_tls_key *tk = NULL;
  EVP_PKEY *pub, *pkey = NULL;
  X509 *cert;
  STACK_OF(X509) *certs = NULL;
  rgs_est_conf conf;
  rgs_est_info info;
  X509_REQ *req;
  FILE *in;
  char err[256];
  time_t now = time(NULL);
  tpki_leaf spec = { "C=FR,O=ACME,CN=Jean DUPONT", now - 3600, now + 300 * TPKI_DAY, NULL, 0, 0,
                     NULL, NULL, 0 };

  rgs_enroll(&r, NULL, NULL, "--module", rgs_env("SOFTHSM2_MODULE"), "--policy", f->policy,
             "--pin-file", f->hsm.pin_file, "start", "--key-type", key_type, "--validity-years",
             "1", "--cn", "Jean DUPONT", "--out", f->csr, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  pub = tpki_csr_pubkey(f->csr);
  cert = tpki_issue(&f->est.ca, pub, &spec);
  assert_non_null(cert);
  assert_int_equal(est_fixture_start(&f->est, "200\n", 0, f->est.ca_file), 0);

  assert_int_equal(rgs_p11_ctx_new(rgs_env("SOFTHSM2_MODULE"), &ctx, err, sizeof(err)), RGS_P11_OK);
  assert_int_equal(rgs_p11_token_open(ctx, NULL, &tok), RGS_P11_OK);
  memset(&pin, 0, sizeof(pin));
  pin.from = RGS_PIN_FROM_FILE;
  pin.path = f->hsm.pin_file;
  assert_int_equal(rgs_p11_login(tok, RGS_PIN_USER, &pin), RGS_P11_OK);
  assert_int_equal(rgs_tls_key_open(rgs_env("SOFTHSM2_MODULE"), rgs_p11_token_info(tok), pub,
                                    &tk, &pkey, err, sizeof(err)), RGS_P11_OK);

  in = fopen(f->csr, "r");
  req = PEM_read_X509_REQ(in, NULL, NULL, NULL);
  fclose(in);
  memset(&conf, 0, sizeof(conf));
  conf.url = f->est.url;
  conf.ca_file = f->est.ca_file;
  conf.timeout = 10;
  conf.client_key = pkey;
  conf.client_cert = cert;
  assert_int_equal(rgs_est_enroll(&conf, req, 1, &certs, &info), RGS_EST_OK);
  assert_non_null(rgs_certs_leaf(certs, pub));
  assert_int_equal(est_fixture_logged(&f->est, "POST /.well-known/est/simplereenroll auth=- ct=application/pkcs10 client=Jean DUPONT"), 1);
  rgs_certs_free(certs);

  /* Without the client certificate the server refuses the reenrolment. */
  conf.client_key = NULL;
  conf.client_cert = NULL;
  assert_int_equal(rgs_est_enroll(&conf, req, 1, &certs, &info), RGS_EST_ERR_AUTH);

  X509_REQ_free(req);
  rgs_tls_key_free(tk);
  rgs_p11_token_close(tok);
  rgs_p11_ctx_free(ctx);
  X509_free(cert);
  EVP_PKEY_free(pub);
}

static void test_client_auth_ec(void **state)
{
  client_auth(*state, "ec:p256");
}

static void test_client_auth_rsa(void **state)
{
  client_auth(*state, "rsa:2048");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_client_auth_ec, setup, teardown),
    cmocka_unit_test_setup_teardown(test_client_auth_rsa, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
