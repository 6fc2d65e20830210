/* SPDX-License-Identifier: BSD-3-Clause */
/* f2f_aedtoken.c - the AED's SoftHSM token of the tests (f2f_aedtoken.h). */
#include <stdio.h>
#include "rgs_test.h"
#include "f2f_aedtoken.h"
#include "f2f_pki.h"

static void tool_ok(const char *const *argv)
{
  rgs_run_result r;

  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  if (r.status != 0)
    fail_msg("%s failed (%d): %s%s", argv[0], r.status, r.out, r.err);
  rgs_run_free(&r);
}

void f2f_aed_token(const char *dir, const char *ca_pem)
{
  const char *m = rgs_env("SOFTHSM2_MODULE"), *tool = rgs_env("PKCS11_TOOL");
  char pub[700], der[700];
  const char *gen[] = { tool, "--module", m, "--token-label", "AED", "--login", "--pin",
                        RGS_TEST_PIN, "--keypairgen", "--key-type", "rsa:2048", "--id", "a1",
                        "--label", "aed-key", NULL };
  const char *read[] = { tool, "--module", m, "--token-label", "AED", "--read-object", "--type",
                         "pubkey", "--id", "a1", "-o", pub, NULL };
  const char *write[] = { tool, "--module", m, "--token-label", "AED", "--login", "--pin",
                          RGS_TEST_PIN, "--write-object", der, "--type", "cert", "--id", "a1",
                          "--label", "aed-cert", NULL };
  EVP_PKEY *ca_key = pki_key("ec"), *aed_pub;
  X509 *ca, *aed;

  snprintf(pub, sizeof(pub), "%s/aed-pub.der", dir);
  snprintf(der, sizeof(der), "%s/aed.der", dir);
  tool_ok(gen);
  tool_ok(read);
  aed_pub = pki_read_pubkey_der(pub);
  assert_non_null(aed_pub);
  ca = pki_cert("Autorité de test des AED", ca_key, NULL, ca_key, 1, NULL, NULL);
  aed = pki_cert("Maître Jeanne DUPONT-LÉGER", aed_pub, ca, ca_key, 0, NULL, NULL);
  assert_non_null(aed);
  assert_int_equal(pki_write_pem(ca_pem, ca), 0);
  assert_int_equal(pki_write_der(der, aed), 0);
  tool_ok(write);
  X509_free(aed);
  X509_free(ca);
  EVP_PKEY_free(aed_pub);
  EVP_PKEY_free(ca_key);
}
