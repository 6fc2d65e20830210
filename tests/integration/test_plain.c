/* SPDX-License-Identifier: BSD-3-Clause */
/* test_plain.c - check and keygen speak to the holder in plain sentences, in
 * English and in French, with the PKCS#11 evidence under --details and in
 * --json; a module that does not start is said in words. Real SoftHSM2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rgs_test.h"

typedef struct {
  rgs_softhsm hsm;
  char demo_policy[512];
} fixture;

static const char *const env_en[] = { "LANGUAGE=", "LC_ALL=C.UTF-8", NULL };
/* LANGUAGE alone chooses the catalogue (no French locale on the machine). */
static const char *const env_fr[] = { "LANGUAGE=fr", "LC_ALL=C.UTF-8", NULL };

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "plain"), 0);
  snprintf(f->demo_policy, sizeof(f->demo_policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  rgs_softhsm_cleanup(&f->hsm);
  free(f);
  return 0;
}

/* rgs-enroll on SoftHSM with the PIN file, then the arguments. */
#define ENROLL(r, env, ...)                                                                \
  rgs_enroll((r), (env), NULL, "--module", rgs_env("SOFTHSM2_MODULE"), "--pin-file",       \
             f->hsm.pin_file, __VA_ARGS__, NULL)

/* Nothing a holder cannot read: no PKCS#11 name, no percent-encoded URI. */
static void assert_plain_text(const char *text)
{
  static const char *const words[] = { "CKF_", "CKM_", "CKA_", "CKR_", "CK_TRUE", "%",
                                       "pkcs11:", "SPKI" };
  size_t i;

  for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
    assert_not_contains(text, words[i]);
}

static void assert_plain_run(const rgs_run_result *r)
{
  assert_plain_text(r->out);
  assert_plain_text(r->err);
}

/* A token no policy admits: every failure in words, with what to do. */
static void test_check_default_is_plain(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  ENROLL(&r, env_en, "check");
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_plain_run(&r);
  assert_contains(r.out, "This card or key is not a model known to be qualified for RGS**.");
  assert_contains(r.out, "What to do: Use a qualified card or USB key");
  assert_contains(r.out, "The card can sign with SHA-256, as RGS** requires.");
  assert_contains(r.out, "Result: the token does NOT meet RGS**.");
  rgs_run_free(&r);
  ENROLL(&r, env_fr, "check");
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_plain_run(&r);
  assert_contains(r.out, "Résultat : le jeton n'est PAS conforme au RGS**.");
  rgs_run_free(&r);
}

/* The key made on the card, said as what it means; no URI, no hash. */
static void test_keygen_default_is_plain(void **state)
{
  fixture *f = *state;
  const char *const *envs[] = { env_en, env_fr };
  rgs_run_result r;
  size_t i;

  for (i = 0; i < 2; i++) {
    ENROLL(&r, envs[i], "--policy", f->demo_policy, "keygen", "--key-type", "ec:p256");
    rgs_assert_status(&r, RGS_EXIT_OK);
    assert_plain_run(&r);
    if (envs[i] == env_en) {
      assert_contains(r.out, "The key was made inside the card.");
      assert_contains(r.out, "The secret part of the key has never been able to leave the card.");
      assert_contains(r.out, "Result: the key pair was made on the card and meets RGS**.");
    }
    rgs_run_free(&r);
  }
}

/* check --key: the key's criteria in words too. */
static void test_check_key_default_is_plain(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *uri;

  ENROLL(&r, NULL, "--policy", f->demo_policy, "--json", "keygen", "--key-type", "ec:p256");
  rgs_assert_status(&r, RGS_EXIT_OK);
  uri = rgs_json_get(r.out, "key.uri");
  assert_non_null(uri);
  rgs_run_free(&r);
  ENROLL(&r, env_en, "--policy", f->demo_policy, "check", "--key", uri);
  rgs_assert_status(&r, RGS_EXIT_CHECK);       /* a demo device is never qualified */
  assert_plain_run(&r);
  assert_contains(r.out, "The key was made inside the card.");
  assert_contains(r.out, "The key can only be used after the PIN is typed.");
  rgs_run_free(&r);
  ENROLL(&r, env_fr, "--policy", f->demo_policy, "check", "--key", uri);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_plain_run(&r);
  rgs_run_free(&r);
  free(uri);
}

/* --details: today's evidence under each sentence, for check, keygen and
 * start (which reuses these lines). */
static void test_details_show_the_evidence(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char out[600];

  ENROLL(&r, env_en, "check", "--details");
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.out, "This card or key is not a model known to be qualified for RGS**.\n"
                         "            qualified device (policy): manufacturer \"SoftHSM project\"");
  assert_contains(r.out, "CKF_HW_SLOT not set");
  assert_contains(r.out, "CKM_RSA_PKCS_KEY_PAIR_GEN");
  assert_not_contains(r.out, "check --details");   /* no hint to what is already shown */
  rgs_run_free(&r);
  ENROLL(&r, env_en, "--policy", f->demo_policy, "keygen", "--key-type", "ec:p256", "--details");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "The key was made inside the card.\n            CKA_LOCAL = CK_TRUE\n");
  assert_contains(r.out, "CKA_NEVER_EXTRACTABLE = CK_TRUE");
  assert_contains(r.out, "URI          : pkcs11:token=plain;");
  assert_contains(r.out, "SPKI SHA-256 : ");
  rgs_run_free(&r);
  snprintf(out, sizeof(out), "%s/request.csr", f->hsm.dir);
  ENROLL(&r, env_en, "--policy", f->demo_policy, "start", "--key-type", "ec:p256", "--cn",
         "Jean DUPONT", "--out", out, "--details");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "CKA_ALWAYS_SENSITIVE = CK_TRUE");
  rgs_run_free(&r);
}

/* --json: the stable fields as before, and the sentence apart. */
static void test_json_has_codes_evidence_and_sentences(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *v;

  ENROLL(&r, env_en, "--json", "check");
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  v = rgs_json_get(r.out, "criteria.0.id");
  assert_string_equal(v, "device.policy");
  free(v);
  v = rgs_json_get(r.out, "criteria.0.verdict");
  assert_string_equal(v, "fail");
  free(v);
  v = rgs_json_get(r.out, "criteria.0.evidence");
  assert_contains(v, "in no qualified-device policy");
  free(v);
  v = rgs_json_get(r.out, "criteria.0.plain");
  assert_string_equal(v, "This card or key is not a model known to be qualified for RGS**.");
  free(v);
  v = rgs_json_get(r.out, "criteria.0.advice");
  assert_contains(v, "Use a qualified card or USB key");
  free(v);
  v = rgs_json_get(r.out, "criteria.1.evidence");
  assert_contains(v, "CKF_HW_SLOT not set");
  free(v);
  /* A pass has a sentence and no advice. */
  v = rgs_json_get(r.out, "criteria.4.id");
  assert_string_equal(v, "mech.sign");
  free(v);
  v = rgs_json_get(r.out, "criteria.4.plain");
  assert_string_equal(v, "The card can sign with SHA-256, as RGS** requires.");
  free(v);
  assert_contains(r.out, "\"id\":\"mech.sign\",\"title\":\"SHA-256 signature\",\"verdict\":\"pass\"");
  assert_contains(r.out, "\"advice\":null");
  rgs_run_free(&r);
}

/* A module that does not start: a sentence, C_Initialize's code as detail. */
static void test_module_that_does_not_start(void **state)
{
  static const char *const text[] = { "LANGUAGE=", "LC_ALL=C.UTF-8",
                                       "RGS_FAULT_FAIL=C_Initialize:1:CKR_GENERAL_ERROR", NULL };
  fixture *f = *state;
  char real[600];
  const char *env[5];
  rgs_run_result r;
  char *v;

  snprintf(real, sizeof(real), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  env[0] = text[0];
  env[1] = text[1];
  env[2] = text[2];
  env[3] = real;
  env[4] = NULL;
  rgs_enroll(&r, env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--pin-file",
             f->hsm.pin_file, "check", NULL);
  rgs_assert_status(&r, RGS_EXIT_MODULE);
  assert_contains(r.err, "rgs-enroll: the card's software (its PKCS#11 module) could not start: "
                         "unplug the card or key, plug it back in and try again");
  assert_contains(r.err, "C_Initialize: CKR_GENERAL_ERROR)\n");
  rgs_run_free(&r);
  rgs_enroll(&r, env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--pin-file",
             f->hsm.pin_file, "--json", "check", NULL);
  rgs_assert_status(&r, RGS_EXIT_MODULE);
  v = rgs_json_get(r.out, "error.detail");
  assert_contains(v, "C_Initialize: CKR_GENERAL_ERROR");
  free(v);
  v = rgs_json_get(r.out, "error.message");
  assert_not_contains(v, "CKR_");
  free(v);
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_check_default_is_plain, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keygen_default_is_plain, setup, teardown),
    cmocka_unit_test_setup_teardown(test_check_key_default_is_plain, setup, teardown),
    cmocka_unit_test_setup_teardown(test_details_show_the_evidence, setup, teardown),
    cmocka_unit_test_setup_teardown(test_json_has_codes_evidence_and_sentences, setup, teardown),
    cmocka_unit_test_setup_teardown(test_module_that_does_not_start, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
