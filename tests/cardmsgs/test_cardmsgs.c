/* SPDX-License-Identifier: BSD-3-Clause */
/* test_cardmsgs.c - what rgs-enroll says when the card or its module cannot
 * do the step: a module that cannot make the key pair (policy data, or no
 * key pair generation mechanism), keys too small for the validity, a card
 * the module does not recognise, a reader without a card, a module that
 * refuses the sign-only key template. The real rgs-enroll on a real
 * SoftHSM2 token behind the fault-injecting module: the message, the exit
 * status, the JSON code, no PIN asked or sent when the failure is known
 * before the login, nothing left on the token or in the store. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rgs_test.h"

#define MAX_ENV 24
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
  rgs_softhsm hsm;
  char demo_policy[512];
  char count[600];         /* the fault module's call log */
  char out[600];           /* the request start would write */
  char db[600];
  char real[700], count_env[700];
  const char *env[MAX_ENV];
  size_t n_env;
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "cardmsgs"), 0);
  snprintf(f->demo_policy, sizeof(f->demo_policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->count, sizeof(f->count), "%s/calls", f->hsm.dir);
  snprintf(f->out, sizeof(f->out), "%s/req.csr", f->hsm.dir);
  snprintf(f->db, sizeof(f->db), "%s/orders.db", f->hsm.dir);
  snprintf(f->real, sizeof(f->real), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  snprintf(f->count_env, sizeof(f->count_env), "RGS_FAULT_COUNT_FILE=%s", f->count);
  f->env[f->n_env++] = f->real;
  f->env[f->n_env++] = f->count_env;
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

/* Add a variable (fault or other) for the next runs. */
static void env_add(fixture *f, const char *kv)
{
  assert_true(f->n_env + 1 < MAX_ENV);
  f->env[f->n_env++] = kv;
  f->env[f->n_env] = NULL;
}

/* The token as OpenSC's idprime driver shows an IDPrime card or an eToken
 * 5110, in a hardware reader slot. */
static void as_opensc_idprime(fixture *f)
{
  env_add(f, "RGS_FAULT_TOKEN_MANUFACTURER=Gemalto");
  env_add(f, "RGS_FAULT_TOKEN_MODEL=PKCS#15 emulated");
  env_add(f, "RGS_FAULT_SLOT_FLAGS_SET=CKF_HW_SLOT|CKF_REMOVABLE_DEVICE");
}

/* rgs-enroll --module FAULT --pin-file PIN [--policy P] ARGS... NULL; the
 * call log starts empty. */
static void run(fixture *f, rgs_run_result *r, const char *policy, ...)
{
  const char *args[40];
  size_t n = 0;
  const char *a;
  va_list ap;

  unlink(f->count);
  args[n++] = "--module";
  args[n++] = rgs_env("RGS_FAULT_MODULE");
  args[n++] = "--pin-file";
  args[n++] = f->hsm.pin_file;
  if (policy != NULL) {
    args[n++] = "--policy";
    args[n++] = policy;
  }
  va_start(ap, policy);
  while ((a = va_arg(ap, const char *)) != NULL && n + 1 < N_OF(args))
    args[n++] = a;
  va_end(ap);
  args[n] = NULL;
  assert_int_equal(rgs_enroll_v(r, f->env, NULL, args), 0);
}

/* Key objects on the token, counted by pkcs11-tool straight on SoftHSM2. */
static int key_objects(void)
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

static void assert_json(const char *doc, const char *path, const char *want)
{
  char *v = rgs_json_get(doc, path);

  if (v == NULL || strcmp(v, want) != 0)
    fail_msg("%s is \"%s\", expected \"%s\" in:\n%s", path, v != NULL ? v : "(absent)", want,
             doc);
  free(v);
}

/* The failure was known before the login: no PIN was read or sent, and no
 * key pair was asked for. */
static void assert_no_pin_no_keygen(const fixture *f)
{
  assert_int_equal(rgs_count_lines(f->count, "C_Login"), 0);
  assert_int_equal(rgs_count_lines(f->count, "C_GenerateKeyPair"), 0);
}

/* ---- a module that cannot make the key pair ---------------------------- */

#define SAYS_READ_ONLY "which can read and sign on it but cannot generate its key pair."
#define SAYS_IDPRIME_MODULE                                                          \
  "SafeNet Authentication Client IDPrime module (libIDPrimePKCS11.so) can generate keys " \
  "on it: get it from Thales at https://cpl.thalesgroup.com/"
#define SAYS_ETOKEN_MODULE                                                           \
  "SafeNet Authentication Client eToken module (libeTPkcs11.so) can generate keys on it"

/* The shipped policy alone: OpenSC shows the card, the data says it cannot
 * make keys on it and names the vendor's modules. */
static void test_check_read_only_module(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  as_opensc_idprime(f);
  run(f, &r, NULL, "check", "--details", NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_contains(r.err, "This token is visible through the PKCS#11 module OpenSC (");
  assert_contains(r.err, SAYS_READ_ONLY);
  assert_contains(r.err, SAYS_IDPRIME_MODULE);
  assert_contains(r.err, SAYS_ETOKEN_MODULE);
  assert_contains(r.out, "OpenSC / opensc-pkcs11.so reads and signs on this device but cannot "
                         "generate keys on it");
  assert_not_contains(r.out, "0 bits");
  rgs_run_free(&r);
  /* The data decides: the key pair mechanisms are not even asked. */
  assert_int_equal(rgs_count_lines(f->count, "C_GetMechanismInfo"), 1);   /* signing */
  assert_no_pin_no_keygen(f);

  run(f, &r, NULL, "--json", "check", NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_json(r.out, "exit", "4");
  assert_json(r.out, "ok", "false");
  assert_json(r.out, "error.code", "module-cannot-generate-keys");
  assert_json(r.out, "keygen.state", "read-only-module");
  assert_json(r.out, "keygen.modules.0.file", "libIDPrimePKCS11.so");
  assert_json(r.out, "keygen.modules.1.file", "libeTPkcs11.so");
  assert_contains(r.out, "\"installed\":null");
  assert_json(r.out, "criteria.3.id", "mech.keygen");
  assert_json(r.out, "criteria.3.verdict", "fail");
  rgs_run_free(&r);
}

/* start and keygen stop before the PIN: nothing on the token, no request,
 * the order's store untouched. */
static void test_start_read_only_module_before_pin(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *before, *after;
  size_t len_before = 0, len_after = 0;

  as_opensc_idprime(f);
  run(f, &r, NULL, "start", "--cn", "Jean DUPONT", "--out", f->out, NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_contains(r.err, SAYS_READ_ONLY);
  assert_contains(r.err, SAYS_IDPRIME_MODULE);
  assert_not_contains(r.err, "no policy admits it");
  rgs_run_free(&r);
  assert_no_pin_no_keygen(f);
  assert_int_not_equal(access(f->out, F_OK), 0);

  run(f, &r, NULL, "--json", "keygen", NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_json(r.out, "error.code", "module-cannot-generate-keys");
  assert_json(r.out, "exit", "4");
  rgs_run_free(&r);
  assert_no_pin_no_keygen(f);

  run(f, &r, NULL, "--db", f->db, "order", "new", "--partner", "CMA", "--validity", "3",
      "--holder-first-name", "Jean", "--holder-last-name", "Dupont", "--email",
      "j.dupont@example.fr", "--company", "BS AUTO", "--siren", "732829320", "--payment",
      "virement", "--accept-cgu", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  before = rgs_read_file(f->db, &len_before);
  assert_non_null(before);
  run(f, &r, NULL, "--db", f->db, "--json", "start", "--order", "1", "--out", f->out, NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_json(r.out, "error.code", "module-cannot-generate-keys");
  rgs_run_free(&r);
  assert_no_pin_no_keygen(f);
  after = rgs_read_file(f->db, &len_after);
  assert_non_null(after);
  assert_int_equal(len_before, len_after);
  assert_memory_equal(before, after, len_before);
  free(before);
  free(after);
  assert_int_equal(key_objects(), 0);
}

/* No data for the device, and no key pair generation mechanism: the same
 * exit, a message that says so, never "0 bits". */
static void test_no_keygen_mechanism(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  env_add(f, "RGS_FAULT_MECH_HIDE=CKM_RSA_PKCS_KEY_PAIR_GEN,CKM_EC_KEY_PAIR_GEN");
  run(f, &r, f->demo_policy, "check", "--details", NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_contains(r.err, "which cannot generate a key pair on it (it offers no key pair "
                         "generation). Key generation needs the PKCS#11 module of the token's "
                         "vendor: run again with --module PATH.");
  assert_contains(r.out, "neither CKM_RSA_PKCS_KEY_PAIR_GEN nor CKM_EC_KEY_PAIR_GEN is offered");
  assert_not_contains(r.out, "0 bits");
  rgs_run_free(&r);
  assert_no_pin_no_keygen(f);

  run(f, &r, f->demo_policy, "--json", "start", "--cn", "A B", "--out", f->out, NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_json(r.out, "error.code", "module-cannot-generate-keys");
  rgs_run_free(&r);
  assert_no_pin_no_keygen(f);
  assert_int_equal(key_objects(), 0);
}

/* A policy of the test's own: the module that can is installed at one of
 * its usual paths, so the message hands over --module PATH; removed, the
 * message says where to get it. */
static void test_installed_module_offered(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char policy[700], lib[700], text[2048], want[900];

  snprintf(policy, sizeof(policy), "%s/vendor.conf", f->hsm.dir);
  snprintf(lib, sizeof(lib), "%s/libvendorx.so", f->hsm.dir);
  snprintf(text, sizeof(text),
           "[module \"Vendor X module\"]\nfile = libvendorx.so\n"
           "path = /nonexistent/libvendorx.so, %s\nvendor = Vendor X\n"
           "url = https://vendor-x.example/pkcs11\n\n"
           "[module \"Test fault module\"]\nfile = librgsfaultp11.so\n\n"
           "[device \"Test card through this module\"]\nmanufacturer = Test Maker\n"
           "keygen = no\nkeygen-module = Vendor X module\ndemo = yes\n"
           "waive = slot.hardware, slot.removable\n", lib);
  assert_int_equal(rgs_write_file(policy, text), 0);
  assert_int_equal(rgs_write_file(lib, "not a real module\n"), 0);
  env_add(f, "RGS_FAULT_TOKEN_MANUFACTURER=Test Maker");
  run(f, &r, policy, "keygen", NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  snprintf(want, sizeof(want), "Vendor X module can generate keys on it and is installed: "
                               "run again with --module %s.", lib);
  assert_contains(r.err, want);
  /* The module in use is named from the data by its file name. */
  assert_contains(r.err, "This token is visible through the PKCS#11 module Test fault module (");
  rgs_run_free(&r);
  assert_no_pin_no_keygen(f);

  unlink(lib);
  run(f, &r, policy, "--json", "check", NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_contains(r.err, "Vendor X module (libvendorx.so) can generate keys on it: get it from "
                         "Vendor X at https://vendor-x.example/pkcs11.");
  assert_json(r.out, "keygen.modules.0.name", "Vendor X module");
  rgs_run_free(&r);
}

/* Key generation that exists but is too small for this validity is a
 * verdict on the token (exit 1), said in sizes, never "0 bits". */
static void test_keys_too_small_is_a_verdict(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  env_add(f, "RGS_ENROLL_NOW=2029-01-01");
  env_add(f, "RGS_FAULT_RSA_MAX_BITS=2048");
  env_add(f, "RGS_FAULT_MECH_HIDE=CKM_EC_KEY_PAIR_GEN");
  run(f, &r, f->demo_policy, "check", "--details", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.out, "RSA key generation up to 2048 bits, 3072 required; no EC key generation");
  assert_not_contains(r.err, "cannot generate a key pair");
  rgs_run_free(&r);

  run(f, &r, f->demo_policy, "--json", "start", "--cn", "A B", "--out", f->out, NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_json(r.out, "error.code", "keygen-size-not-available");
  assert_json(r.out, "error.message",
              "the token cannot generate a key that RGS** accepts for this validity");
  rgs_run_free(&r);
  assert_no_pin_no_keygen(f);
}

/* ---- the card and the reader ------------------------------------------ */

/* A card the module does not know: the reader is named (sanitised), the
 * card is said to be there, no session is opened, no PIN asked. */
static void test_card_not_recognized(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  static const char *const commands[][6] = {
    { "check", NULL },
    { "keygen", NULL },
    { "start", "--cn", "A B", "--out", NULL, NULL },
  };
  size_t i;

  env_add(f, "RGS_FAULT_UNRECOGNIZED_SLOTS=*");
  env_add(f, "RGS_FAULT_SLOT_DESCRIPTION=Gemalto USB Shell Token V2 \x1b[31m00 00");
  for (i = 0; i < N_OF(commands); i++) {
    const char *const *c = commands[i];
    run(f, &r, f->demo_policy, c[0], c[1], c[2], c[3], c[1] != NULL ? f->out : NULL, NULL);
    rgs_assert_status(&r, RGS_EXIT_TOKEN);
    assert_contains(r.err, "a card is in the reader \"Gemalto USB Shell Token V2 ");
    assert_contains(r.err, "\", but the PKCS#11 module does not recognise it: use the module "
                           "of the card's vendor (--module)");
    assert_contains(r.err, "C_GetTokenInfo answered CKR_TOKEN_NOT_RECOGNIZED");
    assert_not_contains(r.err, "\x1b");
    assert_not_contains(r.err, "insert the card");
    rgs_run_free(&r);
    assert_int_equal(rgs_count_lines(f->count, "C_OpenSession"), 0);
    assert_no_pin_no_keygen(f);
  }
  run(f, &r, f->demo_policy, "--json", "check", NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_json(r.out, "error.code", "card-not-recognized");
  assert_json(r.out, "exit", "4");
  rgs_run_free(&r);
}

/* tokens lists a card the module does not know in its reader, as such
 * (not "no token"), and still succeeds: it is a listing. */
static void test_tokens_card_not_recognized(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  env_add(f, "RGS_FAULT_UNRECOGNIZED_SLOTS=*");
  env_add(f, "RGS_FAULT_SLOT_DESCRIPTION=Gemalto USB Shell Token V2 \x1b[31m00 00");
  run(f, &r, NULL, "tokens", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, ": Gemalto USB Shell Token V2 ");
  assert_contains(r.out, "  card present, not recognised by this module\n");
  assert_not_contains(r.out, "no token");
  assert_not_contains(r.out, "\x1b");
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count, "C_OpenSession"), 0);

  run(f, &r, NULL, "--json", "tokens", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_json(r.out, "slots.0.token_state", "card-not-recognized");
  assert_json(r.out, "slots.0.token_present", "false");
  rgs_run_free(&r);
}

/* A module that stops recognising the card once the session is open says
 * so, not "the token was removed": the card is there, and the JSON code is
 * the one of a card found unknown before. */
static void test_not_recognized_after_open(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  size_t base = f->n_env;

  env_add(f, "RGS_FAULT_FAIL=C_GetMechanismInfo:1:CKR_TOKEN_NOT_RECOGNIZED");
  run(f, &r, f->demo_policy, "check", NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_contains(r.err, "a card is in the reader, but this PKCS#11 module does not recognise "
                         "it: use the module of the card's vendor (--module)");
  assert_not_contains(r.err, "removed");
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count, "C_OpenSession"), 1);
  assert_no_pin_no_keygen(f);

  f->n_env = base;
  env_add(f, "RGS_FAULT_FAIL=C_GenerateKeyPair:1:CKR_TOKEN_NOT_RECOGNIZED");
  run(f, &r, f->demo_policy, "--json", "start", "--key-type", "ec:p256", "--cn", "A B",
      "--out", f->out, NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_json(r.out, "error.code", "card-not-recognized");
  assert_json(r.out, "error.message", "a card is in the reader, but this PKCS#11 module does "
                                      "not recognise it: use the module of the card's vendor "
                                      "(--module)");
  rgs_run_free(&r);
  assert_int_equal(key_objects(), 0);
  assert_int_not_equal(access(f->out, F_OK), 0);
}

/* Two tokens through the module given and no --token: the stable code of
 * the choice to make, as when they are seen through registered modules. */
static void test_several_tokens_code(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  assert_int_equal(rgs_softhsm_add_token(&f->hsm, "second"), 0);
  run(f, &r, f->demo_policy, "--json", "check", NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_json(r.out, "error.code", "several-tokens");
  assert_json(r.out, "error.message", "several tokens are present: choose one with --token");
  assert_contains(r.err, "pkcs11:token=second;");
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count, "C_OpenSession"), 0);
}

/* Readers without a card: named, and the person asked to insert it. */
static void test_reader_without_card(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  env_add(f, "RGS_FAULT_EMPTY_SLOTS=*");
  env_add(f, "RGS_FAULT_SLOT_DESCRIPTION=Alcor Micro AU9540 00 00");
  run(f, &r, f->demo_policy, "check", NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  /* SoftHSM2 shows two slots: the token's and a free one. */
  assert_contains(r.err, "no card in the readers (\"Alcor Micro AU9540 00 00\" and 1 more): "
                         "insert the card (or plug the crypto key) and try again");
  rgs_run_free(&r);
  assert_no_pin_no_keygen(f);
  run(f, &r, f->demo_policy, "--json", "start", "--cn", "A B", "--out", f->out, NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_json(r.out, "error.code", "no-card");
  rgs_run_free(&r);
  assert_no_pin_no_keygen(f);
}

/* ---- a module that refuses the sign-only template ------------------------ */

static void test_sign_only_template_refused(void **state)
{
  static const char *const refusals[] = {
    "RGS_FAULT_FAIL=C_GenerateKeyPair:1:CKR_TEMPLATE_INCONSISTENT",
    "RGS_FAULT_FAIL=C_GenerateKeyPair:1:CKR_ATTRIBUTE_VALUE_INVALID",
    "RGS_FAULT_FAIL=C_GenerateKeyPair:1:CKR_GENERAL_ERROR",
    /* The module made the pair, then answered the refusal. */
    "RGS_FAULT_FAIL=C_GenerateKeyPair:1:CKR_TEMPLATE_INCONSISTENT:after",
  };
  fixture *f = *state;
  rgs_run_result r;
  size_t i, base = f->n_env;

  for (i = 0; i < N_OF(refusals); i++) {
    f->n_env = base;
    env_add(f, refusals[i]);
    run(f, &r, f->demo_policy, "--json", "start", "--key-type", "ec:p256", "--cn", "A B",
        "--out", f->out, NULL);
    rgs_assert_status(&r, RGS_EXIT_TOKEN);
    assert_contains(r.err, "this PKCS#11 module cannot make a sign-only key as RGS** requires");
    assert_contains(r.err, "Key generation needs the PKCS#11 module of the token's vendor");
    assert_json(r.out, "error.code", "sign-only-key-refused");
    rgs_run_free(&r);
    /* One attempt, never a second one with a looser template. */
    assert_int_equal(rgs_count_lines(f->count, "C_GenerateKeyPair"), 1);
    assert_int_equal(key_objects(), 0);
    assert_int_not_equal(access(f->out, F_OK), 0);
  }
}

/* ---- a delivered token ------------------------------------------------- */

/* OpenSC reads and checks a token delivered with its keys: that it cannot
 * make a key pair is no fault then. */
static void test_delivered_check_not_blocked(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *v;

  as_opensc_idprime(f);
  run(f, &r, NULL, "--json", "check", "--delivered", NULL);
  assert_int_not_equal(r.status, RGS_EXIT_TOKEN);
  assert_not_contains(r.out, "module-cannot-generate-keys");
  v = rgs_json_get(r.out, "criteria.3.evidence");
  assert_non_null(v);
  assert_contains(v, "not needed: the token was delivered with its keys");
  free(v);
  assert_json(r.out, "criteria.3.verdict", "pass");
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_check_read_only_module, setup, teardown),
    cmocka_unit_test_setup_teardown(test_start_read_only_module_before_pin, setup, teardown),
    cmocka_unit_test_setup_teardown(test_no_keygen_mechanism, setup, teardown),
    cmocka_unit_test_setup_teardown(test_installed_module_offered, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keys_too_small_is_a_verdict, setup, teardown),
    cmocka_unit_test_setup_teardown(test_card_not_recognized, setup, teardown),
    cmocka_unit_test_setup_teardown(test_tokens_card_not_recognized, setup, teardown),
    cmocka_unit_test_setup_teardown(test_not_recognized_after_open, setup, teardown),
    cmocka_unit_test_setup_teardown(test_several_tokens_code, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reader_without_card, setup, teardown),
    cmocka_unit_test_setup_teardown(test_sign_only_template_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_delivered_check_not_blocked, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
