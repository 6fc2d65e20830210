/* SPDX-License-Identifier: BSD-3-Clause */
/* test_delivered.c - rgs-enroll check --delivered: a token "posted by the
 * CA" with key and certificate already on it, made here with keygen and
 * pkcs11-tool (as a CA's tools would), shown through the fault module as a
 * Gemalto IDPrime so that the device itself qualifies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rgs_test.h"
#include "testpki.h"

#define SUBJECT "C=FR,O=ACME,OU=0002 732829320,CN=Jean DUPONT"
#define YEAR (365L * TPKI_DAY)

typedef struct {
  rgs_softhsm hsm;
  char policy[512], ca_file[600], cert[600], real_env[700];
  const char *env[8];
  tpki_ca root;
  EVP_PKEY *pub;
  char key_id[130];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));
  X509 *anchors[2] = { NULL, NULL };
  rgs_run_result r;
  char *v, csr[600];

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "delivered"), 0);
  setenv("RGS_ENROLL_MODULE", rgs_env("SOFTHSM2_MODULE"), 1);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->ca_file, sizeof(f->ca_file), "%s/ca.pem", f->hsm.dir);
  snprintf(f->cert, sizeof(f->cert), "%s/cert.der", f->hsm.dir);
  snprintf(csr, sizeof(csr), "%s/req.csr", f->hsm.dir);
  snprintf(f->real_env, sizeof(f->real_env), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  f->env[0] = f->real_env;
  f->env[1] = "RGS_FAULT_TOKEN_MANUFACTURER=Gemalto";
  f->env[2] = "RGS_FAULT_TOKEN_MODEL=PKCS#15 emulated";
  f->env[3] = "RGS_FAULT_TOKEN_LABEL=IDPrime MD 840";
  f->env[4] = "RGS_FAULT_SLOT_FLAGS_SET=CKF_HW_SLOT|CKF_REMOVABLE_DEVICE";
  assert_int_equal(tpki_ca_new(&f->root, "Test Root", NULL, 3650), 0);
  anchors[0] = f->root.cert;
  assert_int_equal(tpki_write_pem(f->ca_file, anchors), 0);
  rgs_enroll(&r, NULL, NULL, "--policy", f->policy, "--pin-file", f->hsm.pin_file, "--json",
             "start", "--key-type", "ec:p256", "--cn", "Jean DUPONT", "--out", csr, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "key.id");
  snprintf(f->key_id, sizeof(f->key_id), "%s", v);
  free(v);
  rgs_run_free(&r);
  f->pub = tpki_csr_pubkey(csr);
  assert_non_null(f->pub);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  EVP_PKEY_free(f->pub);
  tpki_ca_free(&f->root);
  rgs_softhsm_cleanup(&f->hsm);
  free(f);
  return 0;
}

/* What the CA's tools do: a certificate object with the key's CKA_ID. */
static void ca_writes(fixture *f, EVP_PKEY *pub, time_t nb, time_t na)
{
  tpki_leaf spec = { SUBJECT, nb, na, NULL, 0, 0, NULL, NULL, 0 };
  X509 *cert = tpki_issue(&f->root, pub, &spec);
  const char *argv[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "--login", "--pin", RGS_TEST_PIN, "--write-object", f->cert,
                         "--type", "cert", "--id", f->key_id, "--label", "Certigna ID RGS**",
                         NULL };
  rgs_run_result r;

  assert_non_null(cert);
  assert_int_equal(tpki_write_der(f->cert, cert), 0);
  X509_free(cert);
  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  rgs_assert_status(&r, 0);
  rgs_run_free(&r);
}

static void check_delivered(fixture *f, rgs_run_result *r)
{
  rgs_enroll(r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--pin-file",
             f->hsm.pin_file, "--json", "check", "--delivered", "--ca-file", f->ca_file, NULL);
}

static void assert_verdict(const char *doc, const char *criterion, const char *verdict)
{
  char path[64], *v;
  int i;

  for (i = 0; i < 32; i++) {
    snprintf(path, sizeof(path), "certificates.0.criteria.%d.id", i);
    v = rgs_json_get(doc, path);
    if (v == NULL)
      break;
    if (strcmp(v, criterion) == 0) {
      free(v);
      snprintf(path, sizeof(path), "certificates.0.criteria.%d.verdict", i);
      v = rgs_json_get(doc, path);
      assert_string_equal(v, verdict);
      free(v);
      return;
    }
    free(v);
  }
  fail_msg("criterion %s absent:\n%s", criterion, doc);
}

static void test_good_token_passes(void **state)
{
  fixture *f = *state;
  time_t now = time(NULL);
  rgs_run_result r;
  char *v;

  ca_writes(f, f->pub, now - TPKI_DAY, now + 3 * YEAR - TPKI_DAY);
  check_delivered(f, &r);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "certificates.0.ok");
  assert_string_equal(v, "true");
  free(v);
  v = rgs_json_get(r.out, "certificates.0.label");
  assert_string_equal(v, "Certigna ID RGS**");
  free(v);
  assert_verdict(r.out, "key.local", "pass");
  assert_verdict(r.out, "cert.chain", "pass");
  rgs_run_free(&r);
  /* Text mode points to the next step. */
  rgs_enroll(&r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--pin-file",
             f->hsm.pin_file, "check", "--delivered", "--ca-file", f->ca_file, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "rgs-enroll pin change");
  rgs_run_free(&r);
}

static void test_demo_device_is_not_qualified(void **state)
{
  fixture *f = *state;
  time_t now = time(NULL);
  rgs_run_result r;
  char *v;

  ca_writes(f, f->pub, now - TPKI_DAY, now + 3 * YEAR - TPKI_DAY);
  rgs_enroll(&r, NULL, NULL, "--policy", f->policy, "--pin-file", f->hsm.pin_file, "--json",
             "check", "--delivered", "--ca-file", f->ca_file, NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  v = rgs_json_get(r.out, "qualified");
  assert_string_equal(v, "false");
  free(v);
  v = rgs_json_get(r.out, "certificates.0.ok");
  assert_string_equal(v, "true");
  free(v);
  rgs_run_free(&r);
}

static void test_certificate_of_another_key(void **state)
{
  fixture *f = *state;
  EVP_PKEY *other = tpki_ec_key();
  time_t now = time(NULL);
  rgs_run_result r;

  ca_writes(f, other, now - TPKI_DAY, now + 3 * YEAR - TPKI_DAY);
  check_delivered(f, &r);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_verdict(r.out, "cert.key-on-token", "fail");
  rgs_run_free(&r);
  EVP_PKEY_free(other);
}

static void test_expired_certificate(void **state)
{
  fixture *f = *state;
  time_t now = time(NULL);
  rgs_run_result r;

  ca_writes(f, f->pub, now - 3 * YEAR, now - TPKI_DAY);
  check_delivered(f, &r);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_verdict(r.out, "cert.dates", "fail");
  rgs_run_free(&r);
}

static void test_untrusted_issuer(void **state)
{
  fixture *f = *state;
  time_t now = time(NULL);
  tpki_ca other;
  X509 *anchors[2] = { NULL, NULL };
  rgs_run_result r;

  ca_writes(f, f->pub, now - TPKI_DAY, now + 3 * YEAR - TPKI_DAY);
  assert_int_equal(tpki_ca_new(&other, "Other Root", NULL, 3650), 0);
  anchors[0] = other.cert;
  assert_int_equal(tpki_write_pem(f->ca_file, anchors), 0);
  check_delivered(f, &r);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_verdict(r.out, "cert.chain", "fail");
  rgs_run_free(&r);
  tpki_ca_free(&other);
}

/* A key imported from outside does not read back as generated on the card. */
static void test_imported_key_is_refused(void **state)
{
  fixture *f = *state;
  EVP_PKEY *outside = tpki_ec_key();
  time_t now = time(NULL);
  char keyfile[700];
  const char *argv[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "--login", "--pin", RGS_TEST_PIN, "--write-object", keyfile,
                         "--type", "privkey", "--id", "4242", "--label", "imported", NULL };
  rgs_run_result r;

  snprintf(keyfile, sizeof(keyfile), "%s/outside.pem", f->hsm.dir);
  assert_int_equal(tpki_write_key_pem(keyfile, outside), 0);
  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  rgs_assert_status(&r, 0);
  rgs_run_free(&r);
  snprintf(f->key_id, sizeof(f->key_id), "4242");
  ca_writes(f, outside, now - TPKI_DAY, now + 3 * YEAR - TPKI_DAY);
  check_delivered(f, &r);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_verdict(r.out, "key.local", "fail");
  rgs_run_free(&r);
  EVP_PKEY_free(outside);
}

static void test_no_certificate(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  check_delivered(f, &r);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  rgs_run_free(&r);
  rgs_enroll(&r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--pin-file",
             f->hsm.pin_file, "check", "--delivered", "--ca-file", f->ca_file, NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.out, "no holder certificate");
  rgs_run_free(&r);
}

static void test_usage(void **state)
{
  rgs_run_result r;

  (void)state;
  rgs_enroll(&r, NULL, NULL, "check", "--delivered", "--key", "pkcs11:id=%01", NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  rgs_run_free(&r);
  rgs_enroll(&r, NULL, NULL, "check", "--ca-file", "x.pem", NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_good_token_passes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_demo_device_is_not_qualified, setup, teardown),
    cmocka_unit_test_setup_teardown(test_certificate_of_another_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_expired_certificate, setup, teardown),
    cmocka_unit_test_setup_teardown(test_untrusted_issuer, setup, teardown),
    cmocka_unit_test_setup_teardown(test_imported_key_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_no_certificate, setup, teardown),
    cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
