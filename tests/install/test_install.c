/* SPDX-License-Identifier: BSD-3-Clause */
/* test_install.c - rgs-enroll install against a real SoftHSM2 token, with
 * certificates made by the test's own CA: good ones in every format CAs
 * deliver, bad ones of every kind, repeats, replacement, and the token
 * pulled out in the middle (fault module). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "rgs_test.h"
#include "testpki.h"

#define SUBJECT "C=FR,O=ACME,OU=0002 732829320,CN=Jean DUPONT"
#define YEAR (365L * TPKI_DAY)

typedef struct {
  rgs_softhsm hsm;
  char policy[512];
  char csr[600], cert[600], ca_file[600], other_ca_file[600];
  char real_env[700];
  const char *fault_env[8];
  tpki_ca root, inter, other_root;
  EVP_PKEY *pub;                /* the token key's public half, from the CSR */
  char key_id[130];             /* its CKA_ID, hex */
} fixture;

static void enroll_start(fixture *f)
{
  rgs_run_result r;
  char *id;

  rgs_enroll(&r, NULL, NULL, "--policy", f->policy, "--pin-file", f->hsm.pin_file, "--json",
             "start", "--key-type", "ec:p256", "--cn", "Jean DUPONT", "--o", "ACME", "--siren",
             "732829320", "--out", f->csr, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  id = rgs_json_get(r.out, "key.id");
  assert_non_null(id);
  snprintf(f->key_id, sizeof(f->key_id), "%s", id);
  free(id);
  rgs_run_free(&r);
}

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "install"), 0);
  setenv("RGS_ENROLL_MODULE", rgs_env("SOFTHSM2_MODULE"), 1);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->csr, sizeof(f->csr), "%s/req.csr", f->hsm.dir);
  snprintf(f->cert, sizeof(f->cert), "%s/cert.pem", f->hsm.dir);
  snprintf(f->ca_file, sizeof(f->ca_file), "%s/ca.pem", f->hsm.dir);
  snprintf(f->other_ca_file, sizeof(f->other_ca_file), "%s/other-ca.pem", f->hsm.dir);
  snprintf(f->real_env, sizeof(f->real_env), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  f->fault_env[0] = f->real_env;
  assert_int_equal(tpki_ca_new(&f->root, "Test Root", NULL, 3650), 0);
  assert_int_equal(tpki_ca_new(&f->inter, "Test Issuing CA", &f->root, 3000), 0);
  assert_int_equal(tpki_ca_new(&f->other_root, "Unknown Root", NULL, 3650), 0);
  {
    X509 *anchors[] = { f->root.cert, NULL }, *others[] = { f->other_root.cert, NULL };
    assert_int_equal(tpki_write_pem(f->ca_file, anchors), 0);
    assert_int_equal(tpki_write_pem(f->other_ca_file, others), 0);
  }
  enroll_start(f);
  f->pub = tpki_csr_pubkey(f->csr);
  assert_non_null(f->pub);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  EVP_PKEY_free(f->pub);
  tpki_ca_free(&f->root);
  tpki_ca_free(&f->inter);
  tpki_ca_free(&f->other_root);
  rgs_softhsm_cleanup(&f->hsm);
  free(f);
  return 0;
}

/* A holder certificate from the issuing CA, valid 3 years from yesterday. */
static X509 *issue(fixture *f, EVP_PKEY *pub, const tpki_leaf *tweak)
{
  time_t now = time(NULL);
  tpki_leaf spec = { SUBJECT, now - TPKI_DAY, now - TPKI_DAY + 3 * YEAR, NULL, 0, 0, NULL, NULL, 0 };

  if (tweak != NULL)
    spec = *tweak;
  return tpki_issue(&f->inter, pub != NULL ? pub : f->pub, &spec);
}

static tpki_leaf default_spec(void)
{
  time_t now = time(NULL);
  tpki_leaf spec = { SUBJECT, now - TPKI_DAY, now - TPKI_DAY + 3 * YEAR, NULL, 0, 0, NULL, NULL, 0 };

  return spec;
}

static void write_bundle(fixture *f, X509 *leaf)
{
  X509 *certs[] = { leaf, f->inter.cert, NULL };

  assert_int_equal(tpki_write_pem(f->cert, certs), 0);
}

/* Certificate objects on the token, counted by pkcs11-tool on SoftHSM. */
static int cert_objects(void)
{
  const char *argv[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "--list-objects", "--type", "cert", NULL };
  rgs_run_result r;
  int n = 0;
  const char *p;

  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  for (p = r.out; (p = strstr(p, "Certificate Object")) != NULL; p++)
    n++;
  rgs_run_free(&r);
  return n;
}

#define INSTALL(r, f, ...)                                                                  \
  rgs_enroll((r), NULL, NULL, "--policy", (f)->policy, "--pin-file", (f)->hsm.pin_file,     \
             "--json", "install", "--ca-file", (f)->ca_file, __VA_ARGS__, NULL)

static void assert_refused(rgs_run_result *r, int status, const char *criterion,
                           const char *text)
{
  rgs_assert_status(r, status);
  rgs_assert_says(r, text);
  if (criterion != NULL) {
    char needle[160];
    snprintf(needle, sizeof(needle), "\"id\":\"%s\"", criterion);
    const char *p = strstr(r->out, needle);
    if (p == NULL)
      fail_msg("criterion %s absent:\n%s", criterion, r->out);
    p = strstr(p, "\"verdict\":\"");
    assert_non_null(p);
    assert_memory_equal(p + 11, "fail", 4);
  }
}

/* ---- good certificates ------------------------------------------------- */

static void test_install_pem_chain_then_again(void **state)
{
  fixture *f = *state;
  X509 *leaf = issue(f, NULL, NULL);
  rgs_run_result r;
  char *v;

  assert_non_null(leaf);
  write_bundle(f, leaf);
  INSTALL(&r, f, "--cert", f->cert);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "certificate_written");
  assert_string_equal(v, "true");
  free(v);
  v = rgs_json_get(r.out, "signature_verified");
  assert_string_equal(v, "true");
  free(v);
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 1);

  /* The same certificate again: nothing changes. */
  INSTALL(&r, f, "--cert", f->cert);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "changed");
  assert_string_equal(v, "false");
  free(v);
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 1);

  /* Text mode says so. */
  rgs_enroll(&r, NULL, NULL, "--pin-file", f->hsm.pin_file, "install", "--ca-file", f->ca_file,
             "--cert", f->cert, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Already installed");
  assert_contains(r.out, "Proof:");
  rgs_run_free(&r);
  X509_free(leaf);
}

static void test_install_with_chain_writes_ca_certs_once(void **state)
{
  fixture *f = *state;
  X509 *leaf = issue(f, NULL, NULL);
  rgs_run_result r;
  char *v;

  write_bundle(f, leaf);
  INSTALL(&r, f, "--cert", f->cert, "--with-chain");
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "ca_certificates_written");
  assert_string_equal(v, "2");
  free(v);
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 3);
  INSTALL(&r, f, "--cert", f->cert, "--with-chain");
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "changed");
  assert_string_equal(v, "false");
  free(v);
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 3);
  X509_free(leaf);
}

/* PKCS#7 as CAs deliver it, DER and PEM, the chain in any order. */
static void test_install_pkcs7_any_order(void **state)
{
  fixture *f = *state;
  X509 *leaf = issue(f, NULL, NULL);
  X509 *shuffled[] = { f->root.cert, leaf, f->inter.cert, NULL };
  X509 *reversed[] = { f->inter.cert, leaf, NULL };
  char p7b[700], p7c[700];
  rgs_run_result r;

  snprintf(p7b, sizeof(p7b), "%s/cert.p7b", f->hsm.dir);
  snprintf(p7c, sizeof(p7c), "%s/cert.p7c", f->hsm.dir);
  assert_int_equal(tpki_write_p7(p7b, shuffled, 0), 0);
  assert_int_equal(tpki_write_p7(p7c, reversed, 1), 0);
  INSTALL(&r, f, "--cert", p7b);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  INSTALL(&r, f, "--cert", p7c);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 1);
  X509_free(leaf);
}

/* A single DER certificate straight from the root. */
static void test_install_der(void **state)
{
  fixture *f = *state;
  tpki_leaf spec = default_spec();
  X509 *leaf = tpki_issue(&f->root, f->pub, &spec);
  char der[700];
  rgs_run_result r;

  snprintf(der, sizeof(der), "%s/cert.der", f->hsm.dir);
  assert_int_equal(tpki_write_der(der, leaf), 0);
  INSTALL(&r, f, "--cert", der);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 1);
  X509_free(leaf);
}

/* ---- bad certificates: refused, nothing written ------------------------- */

static void test_refuses_another_keys_certificate(void **state)
{
  fixture *f = *state;
  EVP_PKEY *other = tpki_ec_key();
  X509 *leaf = issue(f, other, NULL);
  rgs_run_result r;

  write_bundle(f, leaf);
  INSTALL(&r, f, "--cert", f->cert);
  assert_refused(&r, RGS_EXIT_CHECK, "cert.key-on-token", "no private key on the token");
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 0);
  X509_free(leaf);
  EVP_PKEY_free(other);
}

/* Same CKA_ID (subject key identifier) as the token's key, another public
 * key: tools that pair by CKA_ID would install it. */
static void test_refuses_certificate_matching_only_by_id(void **state)
{
  fixture *f = *state;
  EVP_PKEY *other = tpki_ec_key();
  unsigned char id[64];
  size_t n = strlen(f->key_id) / 2, i;
  tpki_leaf spec = default_spec();
  X509 *leaf;
  rgs_run_result r;

  for (i = 0; i < n; i++)
    sscanf(f->key_id + 2 * i, "%2hhx", &id[i]);
  spec.ski = id;
  spec.ski_len = n;
  leaf = issue(f, other, &spec);
  assert_non_null(leaf);
  write_bundle(f, leaf);
  INSTALL(&r, f, "--cert", f->cert);
  assert_refused(&r, RGS_EXIT_CHECK, "cert.key-on-token", "same CKA_ID but another public key");
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 0);
  X509_free(leaf);
  EVP_PKEY_free(other);
}

static void test_refuses_expired_and_not_yet_valid(void **state)
{
  fixture *f = *state;
  time_t now = time(NULL);
  tpki_leaf spec = default_spec();
  X509 *leaf;
  rgs_run_result r;

  spec.not_before = now - 4 * YEAR;
  spec.not_after = now - 1 * YEAR;
  leaf = issue(f, NULL, &spec);
  write_bundle(f, leaf);
  INSTALL(&r, f, "--cert", f->cert);
  assert_refused(&r, RGS_EXIT_CHECK, "cert.dates", "expired on");
  rgs_run_free(&r);
  X509_free(leaf);

  spec.not_before = now + 30 * TPKI_DAY;
  spec.not_after = now + 30 * TPKI_DAY + 3 * YEAR;
  leaf = issue(f, NULL, &spec);
  write_bundle(f, leaf);
  INSTALL(&r, f, "--cert", f->cert);
  assert_refused(&r, RGS_EXIT_CHECK, "cert.dates", "not valid before");
  rgs_run_free(&r);
  X509_free(leaf);
  assert_int_equal(cert_objects(), 0);
}

static void test_refuses_unknown_issuer(void **state)
{
  fixture *f = *state;
  X509 *leaf = issue(f, NULL, NULL);
  rgs_run_result r;

  write_bundle(f, leaf);
  rgs_enroll(&r, NULL, NULL, "--pin-file", f->hsm.pin_file, "--json", "install", "--ca-file",
             f->other_ca_file, "--cert", f->cert, NULL);
  assert_refused(&r, RGS_EXIT_CHECK, "cert.chain", "unable to get");
  /* OpenSSL's words are the evidence; the person reads a sentence. */
  assert_contains(r.out, "\"plain\":\"The authority that issued the certificate is not known to this computer.\"");
  assert_contains(r.out, "\"advice\":\"Install the certification authority's certificates");
  rgs_run_free(&r);
  /* The system store does not know the test CA either. */
  rgs_enroll(&r, NULL, NULL, "--pin-file", f->hsm.pin_file, "--json", "install", "--cert",
             f->cert, NULL);
  assert_refused(&r, RGS_EXIT_CHECK, "cert.chain", "checked against the system's trusted authorities");
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 0);
  X509_free(leaf);
}

static void test_refuses_sha1(void **state)
{
  fixture *f = *state;
  tpki_leaf spec = default_spec();
  X509 *leaf;
  rgs_run_result r;

  spec.md = EVP_sha1();
  leaf = issue(f, NULL, &spec);
  assert_non_null(leaf);
  write_bundle(f, leaf);
  INSTALL(&r, f, "--cert", f->cert);
  assert_refused(&r, RGS_EXIT_CHECK, "cert.signature", "SHA1");
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 0);
  X509_free(leaf);
}

static void test_refuses_missing_key_usage(void **state)
{
  fixture *f = *state;
  tpki_leaf spec = default_spec();
  X509 *leaf;
  rgs_run_result r;

  spec.no_key_usage = 1;
  leaf = issue(f, NULL, &spec);
  write_bundle(f, leaf);
  INSTALL(&r, f, "--cert", f->cert);
  assert_refused(&r, RGS_EXIT_CHECK, "cert.usage", "no key usage");
  rgs_run_free(&r);
  X509_free(leaf);
}

static void test_refuses_validity_longer_than_ordered(void **state)
{
  fixture *f = *state;
  X509 *leaf = issue(f, NULL, NULL);
  rgs_run_result r;

  write_bundle(f, leaf);
  INSTALL(&r, f, "--cert", f->cert, "--validity-years", "1");
  assert_refused(&r, RGS_EXIT_CHECK, "cert.validity", "1 year(s) ordered");
  rgs_run_free(&r);
  INSTALL(&r, f, "--cert", f->cert, "--validity-years", "3");
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  X509_free(leaf);
}

static void test_refuses_truncated_file(void **state)
{
  fixture *f = *state;
  X509 *leaf = issue(f, NULL, NULL);
  char *pem;
  size_t len = 0;
  FILE *out;
  rgs_run_result r;

  write_bundle(f, leaf);
  pem = rgs_read_file(f->cert, &len);
  assert_non_null(pem);
  out = fopen(f->cert, "w");
  assert_non_null(out);
  fwrite(pem, 1, len / 3, out);    /* cut inside the first certificate */
  fclose(out);
  INSTALL(&r, f, "--cert", f->cert);
  assert_refused(&r, RGS_EXIT_IO, NULL, "truncated");
  rgs_run_free(&r);
  /* A bundle whose second certificate is cut is refused too. */
  out = fopen(f->cert, "w");
  fwrite(pem, 1, len - 200, out);
  fclose(out);
  INSTALL(&r, f, "--cert", f->cert);
  assert_refused(&r, RGS_EXIT_IO, NULL, "truncated");
  rgs_run_free(&r);
  INSTALL(&r, f, "--cert", "/nonexistent/cert.pem");
  assert_refused(&r, RGS_EXIT_IO, NULL, "could not be read");
  rgs_run_free(&r);
  free(pem);
  X509_free(leaf);
  assert_int_equal(cert_objects(), 0);
}

/* ---- replacing ------------------------------------------------------------ */

static void test_different_certificate_needs_replace(void **state)
{
  fixture *f = *state;
  X509 *first = issue(f, NULL, NULL), *second = issue(f, NULL, NULL);
  rgs_run_result r;
  char *v;

  write_bundle(f, first);
  INSTALL(&r, f, "--cert", f->cert);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  write_bundle(f, second);
  INSTALL(&r, f, "--cert", f->cert);
  assert_refused(&r, RGS_EXIT_CHECK, NULL, "--replace");
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 1);
  INSTALL(&r, f, "--cert", f->cert, "--replace");
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "certificates_replaced");
  assert_string_equal(v, "1");
  free(v);
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 1);
  /* The one left is the second: installing it again changes nothing. */
  INSTALL(&r, f, "--cert", f->cert);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "changed");
  assert_string_equal(v, "false");
  free(v);
  rgs_run_free(&r);
  X509_free(first);
  X509_free(second);
}

/* ---- the token pulled out -------------------------------------------------- */

static void install_fault(fixture *f, rgs_run_result *r, const char *fault)
{
  const char *env[] = { f->real_env, fault, NULL };

  rgs_enroll(r, env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--policy", f->policy,
             "--pin-file", f->hsm.pin_file, "install", "--ca-file", f->ca_file, "--cert",
             f->cert, "--with-chain", NULL);
}

static void test_removed_before_writing_then_again(void **state)
{
  fixture *f = *state;
  X509 *leaf = issue(f, NULL, NULL);
  rgs_run_result r;

  write_bundle(f, leaf);
  install_fault(f, &r, "RGS_FAULT_REMOVE_AT=C_CreateObject:1");
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_contains(r.err, "removed");
  assert_contains(r.err, "run the same command again");
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 0);
  install_fault(f, &r, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 3);
  X509_free(leaf);
}

/* Pulled out after the holder certificate, before the CA ones. */
static void test_removed_between_objects_then_again(void **state)
{
  fixture *f = *state;
  X509 *leaf = issue(f, NULL, NULL);
  rgs_run_result r;

  write_bundle(f, leaf);
  install_fault(f, &r, "RGS_FAULT_REMOVE_AT=C_CreateObject:2");
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 1);     /* whole objects only */
  install_fault(f, &r, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 3);
  X509_free(leaf);
}

/* The card wrote the object, then the answer was lost. */
static void test_answer_lost_then_again(void **state)
{
  fixture *f = *state;
  X509 *leaf = issue(f, NULL, NULL);
  rgs_run_result r;

  write_bundle(f, leaf);
  install_fault(f, &r, "RGS_FAULT_FAIL=C_CreateObject:1:CKR_DEVICE_ERROR:after");
  assert_int_not_equal(r.status, RGS_EXIT_OK);
  rgs_run_free(&r);
  install_fault(f, &r, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 3);
  X509_free(leaf);
}

/* Pulled out at the proof signature: the objects are whole, the run failed. */
static void test_removed_at_proof_then_again(void **state)
{
  fixture *f = *state;
  X509 *leaf = issue(f, NULL, NULL);
  rgs_run_result r;

  write_bundle(f, leaf);
  install_fault(f, &r, "RGS_FAULT_REMOVE_AT=C_SignInit:1");
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  rgs_run_free(&r);
  install_fault(f, &r, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Proof:");
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 3);
  X509_free(leaf);
}

static void test_usage_errors(void **state)
{
  const rgs_cli_case cases[] = {
    { RGS_EXIT_USAGE, NULL, { "install", NULL } },
    { RGS_EXIT_USAGE, NULL, { "install", "--cert", "x", "--validity-years", "4", NULL } },
    { RGS_EXIT_USAGE, NULL, { "install", "--bogus", NULL } },
    { RGS_EXIT_OK, NULL, { "install", "--help", NULL } },
  };

  (void)state;
  rgs_cli_cases_run(cases, sizeof(cases) / sizeof(cases[0]), NULL, NULL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_install_pem_chain_then_again, setup, teardown),
    cmocka_unit_test_setup_teardown(test_install_with_chain_writes_ca_certs_once, setup, teardown),
    cmocka_unit_test_setup_teardown(test_install_pkcs7_any_order, setup, teardown),
    cmocka_unit_test_setup_teardown(test_install_der, setup, teardown),
    cmocka_unit_test_setup_teardown(test_refuses_another_keys_certificate, setup, teardown),
    cmocka_unit_test_setup_teardown(test_refuses_certificate_matching_only_by_id, setup, teardown),
    cmocka_unit_test_setup_teardown(test_refuses_expired_and_not_yet_valid, setup, teardown),
    cmocka_unit_test_setup_teardown(test_refuses_unknown_issuer, setup, teardown),
    cmocka_unit_test_setup_teardown(test_refuses_sha1, setup, teardown),
    cmocka_unit_test_setup_teardown(test_refuses_missing_key_usage, setup, teardown),
    cmocka_unit_test_setup_teardown(test_refuses_validity_longer_than_ordered, setup, teardown),
    cmocka_unit_test_setup_teardown(test_refuses_truncated_file, setup, teardown),
    cmocka_unit_test_setup_teardown(test_different_certificate_needs_replace, setup, teardown),
    cmocka_unit_test_setup_teardown(test_removed_before_writing_then_again, setup, teardown),
    cmocka_unit_test_setup_teardown(test_removed_between_objects_then_again, setup, teardown),
    cmocka_unit_test_setup_teardown(test_answer_lost_then_again, setup, teardown),
    cmocka_unit_test_setup_teardown(test_removed_at_proof_then_again, setup, teardown),
    cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
