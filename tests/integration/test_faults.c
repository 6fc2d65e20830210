/* SPDX-License-Identifier: BSD-3-Clause */
/* test_faults.c - every error path of check, keygen, csr and start, driven
 * through the fault-injecting module wrapped around a real SoftHSM2 token:
 * the message, the exit status, no orphan key, no PIN try spent unasked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rgs_test.h"

typedef struct {
  rgs_softhsm hsm;
  char demo_policy[512];
  char count[600];         /* the fault module's call log */
  char pin_state[600];     /* its simulated PIN counter */
  char out[600];
  char real[600], count_env[700], pin_env[700];
  const char *env[16];
  size_t n_env;
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "fault"), 0);
  snprintf(f->demo_policy, sizeof(f->demo_policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->count, sizeof(f->count), "%s/calls", f->hsm.dir);
  snprintf(f->pin_state, sizeof(f->pin_state), "%s/pin-tries", f->hsm.dir);
  snprintf(f->out, sizeof(f->out), "%s/req.csr", f->hsm.dir);
  snprintf(f->real, sizeof(f->real), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  snprintf(f->count_env, sizeof(f->count_env), "RGS_FAULT_COUNT_FILE=%s", f->count);
  snprintf(f->pin_env, sizeof(f->pin_env), "RGS_FAULT_PIN_STATE=%s", f->pin_state);
  f->env[f->n_env++] = f->real;
  f->env[f->n_env++] = f->count_env;
  f->env[f->n_env++] = f->pin_env;
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

/* Add a fault variable for the next runs. */
static void fault(fixture *f, const char *kv)
{
  assert_true(f->n_env + 1 < sizeof(f->env) / sizeof(f->env[0]));
  f->env[f->n_env++] = kv;
  f->env[f->n_env] = NULL;
}

static void reset_count(fixture *f)
{
  unlink(f->count);
}

#define ENROLL_PIN(r, f, pinfile, ...)                                                   \
  rgs_enroll((r), (f)->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--policy",  \
             (f)->demo_policy, "--pin-file", (pinfile), __VA_ARGS__, NULL)
#define ENROLL(r, f, ...) ENROLL_PIN(r, f, (f)->hsm.pin_file, __VA_ARGS__)

/* Private keys on the token, counted by pkcs11-tool straight on SoftHSM. */
static int private_keys(void)
{
  const char *argv[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "--login", "--pin", RGS_TEST_PIN, "--list-objects", "--type",
                         "privkey", NULL };
  rgs_run_result r;
  int n = 0;
  const char *p;

  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  for (p = r.out; (p = strstr(p, "Private Key Object")) != NULL; p++)
    n++;
  rgs_run_free(&r);
  return n;
}

static int all_keys(void)
{
  const char *argv[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "--login", "--pin", RGS_TEST_PIN, "--list-objects", NULL };
  rgs_run_result r;
  int n = 0;
  const char *p;

  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  for (p = r.out; (p = strstr(p, "Key Object")) != NULL; p++)
    n++;
  rgs_run_free(&r);
  return n;
}

static void test_passthrough_counts_calls(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  ENROLL(&r, f, "start", "--key-type", "ec:p256", "--cn", "A B", "--out", f->out);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 1);
  assert_int_equal(rgs_count_lines(f->count, "C_GenerateKeyPair"), 1);
  assert_int_equal(rgs_count_lines(f->count, "C_Initialize"), 1);
  assert_int_equal(private_keys(), 1);
}

static void test_qualified_idprime_passes_check(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  /* As the vendor's module shows an eToken 5110 (through OpenSC's strings
   * the shipped data says the module cannot make keys: tests/cardmsgs). */
  fault(f, "RGS_FAULT_TOKEN_MANUFACTURER=SafeNet, Inc.");
  fault(f, "RGS_FAULT_TOKEN_MODEL=eToken");
  fault(f, "RGS_FAULT_TOKEN_LABEL=Jean DUPONT");
  fault(f, "RGS_FAULT_SLOT_FLAGS_SET=CKF_HW_SLOT|CKF_REMOVABLE_DEVICE");
  /* The shipped policy alone: no demo entry involved. */
  rgs_enroll(&r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--json", "check",
             NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "\"qualified\":true");
  rgs_run_free(&r);
}

static void test_keygen_failure_leaves_no_key(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  fault(f, "RGS_FAULT_FAIL=C_GenerateKeyPair:1:CKR_DEVICE_MEMORY");
  ENROLL(&r, f, "keygen", "--key-type", "ec:p256");
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_contains(r.err, "no room left");
  assert_contains(r.err, "CKR_DEVICE_MEMORY");
  rgs_run_free(&r);
  assert_int_equal(all_keys(), 0);
}

static void test_keygen_answer_lost_sweeps_orphans(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  /* The card made the pair, then the answer was lost: the objects exist. */
  fault(f, "RGS_FAULT_FAIL=C_GenerateKeyPair:1:CKR_DEVICE_ERROR:after");
  ENROLL(&r, f, "keygen", "--key-type", "ec:p256");
  rgs_assert_status(&r, RGS_EXIT_MODULE);
  rgs_run_free(&r);
  assert_int_equal(all_keys(), 0);
}

static void test_readback_failure_destroys_key(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  /* Second C_GetAttributeValue = the private key read-back. */
  fault(f, "RGS_FAULT_FAIL=C_GetAttributeValue:2:CKR_DEVICE_ERROR");
  ENROLL(&r, f, "keygen", "--key-type", "ec:p256");
  rgs_assert_status(&r, RGS_EXIT_MODULE);
  assert_contains(r.err, "removed from the token");
  rgs_run_free(&r);
  assert_int_equal(all_keys(), 0);
}

static void test_lying_attribute_lengths(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  fault(f, "RGS_FAULT_NONSENSE=attr-len-lies");
  ENROLL(&r, f, "keygen", "--key-type", "rsa:2048");
  assert_int_not_equal(r.status, RGS_EXIT_OK);
  assert_true(r.status < 128);            /* a message, not a crash */
  rgs_run_free(&r);
  assert_int_equal(all_keys(), 0);
}

static void test_start_sign_failure_removes_new_key(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  fault(f, "RGS_FAULT_FAIL=C_Sign:1:CKR_DEVICE_ERROR");
  ENROLL(&r, f, "start", "--key-type", "ec:p256", "--cn", "A B", "--out", f->out);
  rgs_assert_status(&r, RGS_EXIT_MODULE);
  assert_contains(r.err, "C_Sign");
  assert_contains(r.err, "run start again");
  rgs_run_free(&r);
  assert_int_equal(all_keys(), 0);
  assert_int_not_equal(access(f->out, F_OK), 0);
}

static void test_short_signature_is_caught(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  fault(f, "RGS_FAULT_NONSENSE=sign-short");
  ENROLL(&r, f, "start", "--key-type", "ec:p256", "--cn", "A B", "--out", f->out);
  rgs_assert_status(&r, RGS_EXIT_MODULE);
  assert_contains(r.err, "3-byte signature");
  rgs_run_free(&r);
  assert_int_not_equal(access(f->out, F_OK), 0);
}

static void test_removal_during_keygen(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  fault(f, "RGS_FAULT_REMOVE_AT=C_GenerateKeyPair:1");
  ENROLL(&r, f, "start", "--key-type", "ec:p256", "--cn", "A B", "--out", f->out);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_contains(r.err, "removed");
  rgs_run_free(&r);
  assert_int_not_equal(access(f->out, F_OK), 0);
  assert_int_equal(all_keys(), 0);
}

static void test_removal_before_login(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  fault(f, "RGS_FAULT_REMOVE_AT=C_Login:1");
  ENROLL(&r, f, "keygen", "--key-type", "ec:p256");
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  rgs_run_free(&r);
}

static void test_final_try_never_spent_unasked(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  assert_int_equal(rgs_write_file(f->pin_state, "1\n"), 0);   /* one try left */
  ENROLL_PIN(&r, f, f->hsm.bad_pin_file, "start", "--key-type", "ec:p256", "--cn", "A B",
             "--out", f->out);
  rgs_assert_status(&r, RGS_EXIT_PIN);
  assert_contains(r.err, "only one PIN try is left");
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 0);
  {
    char *left = rgs_read_file(f->pin_state, NULL);
    assert_int_equal(atoi(left), 1);       /* still one: nothing was spent */
    free(left);
  }
  /* With explicit consent the right PIN goes through and resets the counter. */
  reset_count(f);
  rgs_enroll(&r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--policy",
             f->demo_policy, "--pin-file", f->hsm.pin_file, "--final-try", "keygen",
             "--key-type", "ec:p256", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 1);
}

static void test_wrong_pin_counts_down_and_locks(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  ENROLL_PIN(&r, f, f->hsm.bad_pin_file, "keygen", "--key-type", "ec:p256");
  rgs_assert_status(&r, RGS_EXIT_PIN);
  assert_contains(r.err, "fewer tries are left");
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 1);   /* no retry */

  ENROLL_PIN(&r, f, f->hsm.bad_pin_file, "keygen", "--key-type", "ec:p256");
  rgs_assert_status(&r, RGS_EXIT_PIN);
  assert_contains(r.err, "warning");                   /* count low */
  assert_contains(r.err, "ONE try is left");
  rgs_run_free(&r);

  /* Now at the final try: refused without consent. */
  ENROLL_PIN(&r, f, f->hsm.bad_pin_file, "keygen", "--key-type", "ec:p256");
  rgs_assert_status(&r, RGS_EXIT_PIN);
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 2);

  /* Consent given, and the PIN is wrong again: locked, and said so. */
  rgs_enroll(&r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--policy",
             f->demo_policy, "--pin-file", f->hsm.bad_pin_file, "--final-try", "keygen", NULL);
  rgs_assert_status(&r, RGS_EXIT_PIN);
  assert_contains(r.err, "LOCKED");
  rgs_run_free(&r);

  /* Locked: explained, never tried, even with the right PIN. */
  reset_count(f);
  ENROLL(&r, f, "--json", "check");
  assert_contains(r.out, "\"id\":\"pin.not-locked\",\"title\":\"user PIN not locked\",\"verdict\":\"fail\"");
  rgs_run_free(&r);
  ENROLL(&r, f, "--final-try", "keygen");
  rgs_assert_status(&r, RGS_EXIT_PIN);
  assert_contains(r.err, "unblocking code");
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 0);
  assert_int_equal(all_keys(), 0);
}

static void test_login_device_error(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  fault(f, "RGS_FAULT_FAIL=C_Login:1:CKR_DEVICE_ERROR");
  ENROLL(&r, f, "keygen", "--key-type", "ec:p256");
  rgs_assert_status(&r, RGS_EXIT_MODULE);
  assert_contains(r.err, "C_Login: CKR_DEVICE_ERROR");
  rgs_run_free(&r);
}

static void test_mechanisms_missing(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  const char *env2030[] = { "RGS_ENROLL_NOW=2029-01-01", NULL };
  char *v;

  /* RSA capped at 2048 and a certificate past 2030: EC is the default. */
  fault(f, "RGS_FAULT_RSA_MAX_BITS=2048");
  f->env[f->n_env] = env2030[0];
  f->env[f->n_env + 1] = NULL;
  rgs_enroll(&r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--policy",
             f->demo_policy, "--pin-file", f->hsm.pin_file, "--json", "keygen", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "key.type");
  assert_string_equal(v, "ec");
  free(v);
  rgs_run_free(&r);
  /* No EC either: check fails on key generation, keygen refuses. */
  fault(f, "RGS_FAULT_MECH_HIDE=CKM_EC_KEY_PAIR_GEN");
  f->env[f->n_env] = env2030[0];
  f->env[f->n_env + 1] = NULL;
  rgs_enroll(&r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--policy",
             f->demo_policy, "--pin-file", f->hsm.pin_file, "--json", "check", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.out, "\"id\":\"mech.keygen\",\"title\":\"on-card key pair generation\",\"verdict\":\"fail\"");
  assert_contains(r.out, "\"admitted_by_demo_policy\":false");
  rgs_run_free(&r);
  rgs_enroll(&r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--policy",
             f->demo_policy, "--pin-file", f->hsm.pin_file, "keygen", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 1);       /* only the EC key of the first run */
}

static void test_module_nonsense(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  fault(f, "RGS_FAULT_NONSENSE=slotlist-huge");
  ENROLL(&r, f, "tokens");
  rgs_assert_status(&r, RGS_EXIT_MODULE);
  rgs_run_free(&r);
}

static void test_garbage_token_info_stays_printable(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *label;

  fault(f, "RGS_FAULT_NONSENSE=tokeninfo-garbage");
  rgs_enroll(&r, f->env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--json", "tokens",
             NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  label = rgs_json_get(r.out, "slots.0.token.label");   /* valid JSON, and... */
  assert_non_null(label);
  for (const char *p = label; *p != '\0'; p++)
    assert_true((unsigned char)*p >= 0x20);             /* ...no control bytes */
  free(label);
  rgs_run_free(&r);
}

/* A module that makes something else than the template asks: the key is
 * not kept, whatever it made. */
static void test_tampered_keys_are_not_kept(void **state)
{
  static const char *const tampers[] = {
    "RGS_FAULT_KEYGEN_TAMPER=exponent3", "RGS_FAULT_KEYGEN_TAMPER=smaller",
    "RGS_FAULT_KEYGEN_TAMPER=decrypt",
  };
  static const char *const attr[] = { "CKA_PUBLIC_EXPONENT", "CKA_MODULUS", "CKA_DECRYPT" };
  fixture *f = *state;
  rgs_run_result r;
  size_t i, base = f->n_env;

  for (i = 0; i < 3; i++) {
    f->n_env = base;
    fault(f, tampers[i]);
    ENROLL(&r, f, "start", "--key-type", "rsa:2048", "--cn", "A B", "--out", f->out);
    rgs_assert_status(&r, RGS_EXIT_CHECK);
    assert_contains(r.err, attr[i]);
    assert_contains(r.err, "removed from the token");
    rgs_run_free(&r);
    assert_int_equal(all_keys(), 0);
    assert_int_not_equal(access(f->out, F_OK), 0);
  }
}

static void test_init_failures(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  fault(f, "RGS_FAULT_FAIL=C_Initialize:1:CKR_GENERAL_ERROR");
  ENROLL(&r, f, "tokens");
  rgs_assert_status(&r, RGS_EXIT_MODULE);
  assert_contains(r.err, "C_Initialize: CKR_GENERAL_ERROR");
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_passthrough_counts_calls, setup, teardown),
    cmocka_unit_test_setup_teardown(test_qualified_idprime_passes_check, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keygen_failure_leaves_no_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keygen_answer_lost_sweeps_orphans, setup, teardown),
    cmocka_unit_test_setup_teardown(test_readback_failure_destroys_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_lying_attribute_lengths, setup, teardown),
    cmocka_unit_test_setup_teardown(test_start_sign_failure_removes_new_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_short_signature_is_caught, setup, teardown),
    cmocka_unit_test_setup_teardown(test_removal_during_keygen, setup, teardown),
    cmocka_unit_test_setup_teardown(test_removal_before_login, setup, teardown),
    cmocka_unit_test_setup_teardown(test_final_try_never_spent_unasked, setup, teardown),
    cmocka_unit_test_setup_teardown(test_wrong_pin_counts_down_and_locks, setup, teardown),
    cmocka_unit_test_setup_teardown(test_login_device_error, setup, teardown),
    cmocka_unit_test_setup_teardown(test_mechanisms_missing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_module_nonsense, setup, teardown),
    cmocka_unit_test_setup_teardown(test_garbage_token_info_stays_printable, setup, teardown),
    cmocka_unit_test_setup_teardown(test_init_failures, setup, teardown),
    cmocka_unit_test_setup_teardown(test_tampered_keys_are_not_kept, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
