/* SPDX-License-Identifier: BSD-3-Clause */
/* test_enroll.c - tokens, check, keygen, csr and start against a real SoftHSM2
 * token, each result read back by independent tools (pkcs11-tool, openssl). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rgs_test.h"

typedef struct {
  rgs_softhsm hsm;
  char demo_policy[512];
  char pin_arg[600];
  char out[600];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "Clé Frédéric"), 0);
  snprintf(f->demo_policy, sizeof(f->demo_policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->out, sizeof(f->out), "%s/request.csr", f->hsm.dir);
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

/* rgs-enroll with the SoftHSM module, the demo policy and the PIN file,
 * then the given arguments. */
#define ENROLL(r, f, env, ...)                                                         \
  rgs_enroll((r), (env), NULL, "--module", rgs_env("SOFTHSM2_MODULE"), "--policy",   \
             (f)->demo_policy, "--pin-file", (f)->hsm.pin_file, __VA_ARGS__, NULL)

/* Run openssl with args; returns its output (stdout+stderr). */
static char *openssl_out(const char *const *args, int *status)
{
  const char *argv[32];
  rgs_run_result r;
  size_t n = 0;
  char *all;

  argv[n++] = rgs_env("OPENSSL_BIN");
  while (args[n - 1] != NULL)
    argv[n] = args[n - 1], n++;
  argv[n] = NULL;
  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  all = malloc(strlen(r.out) + strlen(r.err) + 1);
  strcpy(all, r.out);
  strcat(all, r.err);
  *status = r.status;
  rgs_run_free(&r);
  return all;
}

/* pkcs11-tool's view of the token's objects, logged in. */
static char *objects(fixture *f)
{
  const char *argv[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "--login", "--pin", RGS_TEST_PIN, "--list-objects", NULL };
  rgs_run_result r;
  char *out;

  (void)f;
  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  assert_int_equal(r.status, 0);
  out = strdup(r.out);
  rgs_run_free(&r);
  return out;
}

static int count_of(const char *hay, const char *needle)
{
  int n = 0;
  const char *p = hay;

  while ((p = strstr(p, needle)) != NULL) {
    n++;
    p += strlen(needle);
  }
  return n;
}

static void test_tokens_lists_uri_and_pin_state(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *v;

  rgs_enroll(&r, NULL, NULL, "--module", rgs_env("SOFTHSM2_MODULE"), "--json", "tokens", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "slots.0.token.label");
  assert_string_equal(v, "Clé Frédéric");
  free(v);
  v = rgs_json_get(r.out, "slots.0.uri");
  assert_contains(v, "token=Cl%C3%A9%20Fr%C3%A9d%C3%A9ric");
  free(v);
  v = rgs_json_get(r.out, "slots.0.token.pin_state");
  assert_string_equal(v, "ok");
  free(v);
  rgs_run_free(&r);
  (void)f;
}

static void test_check_demo_token_says_no_but_admitted(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *v;

  ENROLL(&r, f, NULL, "--json", "check");
  rgs_assert_status(&r, RGS_EXIT_CHECK);                /* SoftHSM is never a qualified device */
  v = rgs_json_get(r.out, "admitted_by_demo_policy");
  assert_string_equal(v, "true");
  free(v);
  v = rgs_json_get(r.out, "criteria.0.id");
  assert_string_equal(v, "device.policy");
  free(v);
  v = rgs_json_get(r.out, "criteria.0.verdict");
  assert_string_equal(v, "fail");
  free(v);
  v = rgs_json_get(r.out, "criteria.3.id");
  assert_string_equal(v, "mech.keygen");
  free(v);
  v = rgs_json_get(r.out, "criteria.3.verdict");
  assert_string_equal(v, "pass");
  free(v);
  rgs_run_free(&r);
}

static void test_check_without_demo_policy_is_not_admitted(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  rgs_enroll(&r, NULL, NULL, "--module", rgs_env("SOFTHSM2_MODULE"), "--pin-file",
             f->hsm.pin_file, "keygen", "--key-type", "ec:p256", "--details", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.out, "in no qualified-device policy");
  rgs_run_free(&r);
  /* Nothing was generated on the refused token. */
  {
    char *objs = objects(f);
    assert_int_equal(count_of(objs, "Private Key Object"), 0);
    free(objs);
  }
}

static void test_start_rsa3072_end_to_end(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  const char *verify[] = { "req", "-in", f->out, "-noout", "-verify", "-subject", "-nameopt",
                           "utf8,sep_comma_plus_space", "-text", NULL };
  char *v, *o, *objs;
  int st;

  ENROLL(&r, f, NULL, "--json", "start", "--cn", "FRÉDÉRIC SENEZ", "--o", "BS AUTO", "--siren",
         "732 829 320", "--email", "f.senez@example.fr", "--out", f->out);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "key.bits");
  assert_string_equal(v, "3072");        /* the largest conformant default */
  free(v);
  v = rgs_json_get(r.out, "demo_device");
  assert_string_equal(v, "true");
  free(v);
  rgs_run_free(&r);

  o = openssl_out(verify, &st);
  assert_int_equal(st, 0);
  assert_contains(o, "verify OK");
  assert_contains(o, "C=FR, O=BS AUTO, OU=0002 732829320, CN=FRÉDÉRIC SENEZ");
  assert_contains(o, "sha256WithRSAEncryption");
  assert_contains(o, "Public-Key: (3072 bit)");
  assert_contains(o, "email:f.senez@example.fr");
  free(o);

  /* pkcs11-tool reads the private key back: on the card, never extractable. */
  objs = objects(f);
  assert_int_equal(count_of(objs, "Private Key Object"), 1);
  assert_contains(objs, "Usage:      sign");
  assert_contains(objs, "Access:     sensitive, always sensitive, never extractable, local");
  free(objs);
}

static void test_start_ec_and_der(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  const char *verify[] = { "req", "-in", f->out, "-inform", "DER", "-noout", "-verify",
                           "-text", NULL };
  char *o;
  int st;

  ENROLL(&r, f, NULL, "start", "--key-type", "ec:p256", "--cn", "Ana Ñúñez", "--der", "--out",
         f->out);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  o = openssl_out(verify, &st);
  assert_int_equal(st, 0);
  assert_contains(o, "verify OK");
  assert_contains(o, "ecdsa-with-SHA256");
  assert_contains(o, "prime256v1");
  free(o);
}

static void test_rsa2048_refused_past_2030(void **state)
{
  fixture *f = *state;
  const char *env[] = { "RGS_ENROLL_NOW=2028-06-01", NULL };
  rgs_run_result r;
  char *objs;

  ENROLL(&r, f, env, "keygen", "--key-type", "rsa:2048", "--validity-years", "3");
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "2030-12-31");
  rgs_run_free(&r);
  /* The same key is fine for a certificate that ends before 2031. */
  ENROLL(&r, f, env, "keygen", "--key-type", "rsa:2048", "--validity-years", "2");
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  objs = objects(f);
  assert_int_equal(count_of(objs, "Private Key Object"), 1);
  free(objs);
}

static void test_keygen_then_csr_then_check_key(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *uri, *spki;

  ENROLL(&r, f, NULL, "--json", "keygen", "--key-type", "rsa:2048", "--label", "ma clé",
         "--validity-years", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  uri = rgs_json_get(r.out, "key.uri");
  spki = rgs_json_get(r.out, "key.spki_sha256");
  assert_non_null(uri);
  assert_contains(uri, "object=ma%20cl%C3%A9");
  assert_contains(uri, "type=private");
  rgs_run_free(&r);

  ENROLL(&r, f, NULL, "--json", "check", "--key", uri, "--validity-years", "1");
  rgs_assert_status(&r, RGS_EXIT_CHECK);              /* demo device, but the key passes */
  assert_contains(r.out, "\"id\":\"key.local\",\"title\":\"CKA_LOCAL\",\"verdict\":\"pass\"");
  assert_contains(r.out, "\"id\":\"key.exponent\"");
  rgs_run_free(&r);

  ENROLL(&r, f, NULL, "--json", "csr", "--key", uri, "--subject",
         "C=FR,O=BS AUTO,OU=0002 732829320,CN=Frédéric SENEZ", "--out", f->out);
  rgs_assert_status(&r, RGS_EXIT_OK);
  {
    char *csr_spki = rgs_json_get(r.out, "csr.spki_sha256");
    assert_string_equal(csr_spki, spki);   /* the request carries that very key */
    free(csr_spki);
  }
  rgs_run_free(&r);

  /* An existing request is never overwritten silently. */
  ENROLL(&r, f, NULL, "csr", "--key", uri, "--cn", "X", "--out", f->out);
  rgs_assert_status(&r, RGS_EXIT_IO);
  rgs_run_free(&r);
  free(uri);
  free(spki);
}

static void test_bad_input_is_refused_before_the_card(void **state)
{
  fixture *f = *state;
  const char *base[] = { "--module", rgs_env("SOFTHSM2_MODULE"), "--policy", f->demo_policy,
                         "--pin-file", f->hsm.pin_file, NULL };
  const rgs_cli_case cases[] = {
    { RGS_EXIT_USAGE, "Luhn", { "start", "--cn", "A B", "--siren", "732829321", "--out", f->out, NULL } },
    { RGS_EXIT_USAGE, NULL, { "start", "--cn", "A B", "--siret", "732829320", "--out", f->out, NULL } },
    { RGS_EXIT_USAGE, NULL, { "start", "--o", "no CN", "--out", f->out, NULL } },
    { RGS_EXIT_USAGE, NULL, { "start", "--cn", "\xC3\x28 invalid", "--out", f->out, NULL } },
    { RGS_EXIT_USAGE, NULL, { "keygen", "--key-type", "rsa:1024x", NULL } },
    { RGS_EXIT_USAGE, NULL, { "keygen", "--validity-years", "4", NULL } },
    { RGS_EXIT_USAGE, NULL, { "csr", "--key", "pkcs11:object=x?pin-value=1234", "--cn", "A", "--out", f->out, NULL } },
  };
  char *objs;

  rgs_cli_cases_run(cases, sizeof(cases) / sizeof(cases[0]), NULL, base);
  objs = objects(f);
  assert_int_equal(count_of(objs, "Private Key Object"), 0);
  free(objs);
  assert_int_not_equal(access(f->out, F_OK), 0);
}

/* The token a key URI names is the token that signs, or nothing does. */
static void test_key_uri_names_its_token(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  assert_int_equal(rgs_softhsm_add_token(&f->hsm, "T2"), 0);
  rgs_enroll(&r, NULL, NULL, "--module", rgs_env("SOFTHSM2_MODULE"), "--policy", f->demo_policy,
             "--pin-file", f->hsm.pin_file, "--token", "pkcs11:token=T2", "keygen", "--key-type",
             "ec:p256", "--label", "same", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  /* No --token: the key URI's token attribute picks T2 among two tokens. */
  ENROLL(&r, f, NULL, "csr", "--key", "pkcs11:token=T2;object=same", "--cn", "A B", "--out",
         f->out);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  /* --token and the key URI disagree: refused, nothing signed. */
  unlink(f->out);
  rgs_enroll(&r, NULL, NULL, "--module", rgs_env("SOFTHSM2_MODULE"), "--policy", f->demo_policy,
             "--pin-file", f->hsm.pin_file, "--token", "pkcs11:token=Cl%C3%A9%20Fr%C3%A9d%C3%A9ric",
             "csr", "--key", "pkcs11:token=T2;object=same", "--cn", "A B", "--out", f->out, NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  assert_contains(r.err, "another token");
  rgs_run_free(&r);
  assert_int_not_equal(access(f->out, F_OK), 0);
}

static void test_subject_cannot_smuggle_attributes(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char subject[600];

  /* A value longer than a field must not spill into a second CN. */
  snprintf(subject, sizeof(subject), "C=FR,CN=Real,description=%0300d,CN=Evil", 0);
  memset(strstr(subject, "description=") + 12, 'A', 300);
  ENROLL(&r, f, NULL, "start", "--subject", subject, "--out", f->out);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  assert_contains(r.err, "too long");
  rgs_run_free(&r);
  ENROLL(&r, f, NULL, "start", "--subject", "C=FR,CN=A\\00B", "--out", f->out);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  rgs_run_free(&r);
  /* Not an address: refused before the PIN, the card and the key. */
  ENROLL(&r, f, NULL, "start", "--cn", "A B", "--email", "caf\xc3\xa9@example.fr", "--out", f->out);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  rgs_run_free(&r);
  ENROLL(&r, f, NULL, "start", "--cn", "A B", "--email", "a@b@c", "--out", f->out);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  rgs_run_free(&r);
  {
    char *objs = objects(f);
    assert_int_equal(count_of(objs, "Private Key Object"), 0);
    free(objs);
  }
}

/* A key that wants the PIN for every signature (CKA_ALWAYS_AUTHENTICATE,
 * as on signature keys of delivered cards): the PIN is read again for the
 * signature, not kept from the login. */
static void test_always_authenticate_key(void **state)
{
  fixture *f = *state;
  const char *gen[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"), "--login",
                        "--pin", RGS_TEST_PIN, "--keypairgen", "--key-type", "EC:prime256v1",
                        "--label", "aauth", "--id", "0a", "--always-auth", "--usage-sign", NULL };
  const char *args[] = { "--module", rgs_env("SOFTHSM2_MODULE"), "--policy", f->demo_policy,
                         "--pin-fd", "0", "csr", "--key", "pkcs11:object=aauth", "--cn", "A B",
                         "--out", f->out, NULL };
  rgs_run_result r;

  assert_int_equal(rgs_run(gen, NULL, NULL, &r), 0);
  rgs_assert_status(&r, 0);
  rgs_run_free(&r);
  /* One PIN on the descriptor: the login takes it, the signature finds none. */
  assert_int_equal(rgs_enroll_v(&r, NULL, RGS_TEST_PIN "\n", args), 0);
  rgs_assert_status(&r, RGS_EXIT_PIN);
  rgs_run_free(&r);
  assert_int_not_equal(access(f->out, F_OK), 0);
  /* The PIN twice: login, then the signature's own. */
  assert_int_equal(rgs_enroll_v(&r, NULL, RGS_TEST_PIN "\n" RGS_TEST_PIN "\n", args), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
}

static void test_token_selection(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  assert_int_equal(rgs_softhsm_add_token(&f->hsm, "second"), 0);
  ENROLL(&r, f, NULL, "check");
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_contains(r.err, "token=second");   /* the choices are listed */
  rgs_run_free(&r);
  rgs_enroll(&r, NULL, NULL, "--module", rgs_env("SOFTHSM2_MODULE"), "--policy",
             f->demo_policy, "--token", "pkcs11:token=second", "--json", "check", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.out, "\"label\":\"second\"");
  rgs_run_free(&r);
  rgs_enroll(&r, NULL, NULL, "--module", rgs_env("SOFTHSM2_MODULE"), "--token",
             "pkcs11:token=nothere", "check", NULL);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  rgs_run_free(&r);
}

static void test_pin_sources(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  const char *args_fd[] = { "--module", rgs_env("SOFTHSM2_MODULE"), "--policy", f->demo_policy,
                            "--pin-fd", "0", "keygen", "--key-type", "ec:p256", NULL };

  /* Wrong PIN: refused once, exit 5, never retried. */
  rgs_enroll(&r, NULL, NULL, "--module", rgs_env("SOFTHSM2_MODULE"), "--policy",
             f->demo_policy, "--pin-file", f->hsm.bad_pin_file, "keygen", NULL);
  rgs_assert_status(&r, RGS_EXIT_PIN);
  assert_contains(r.err, "PIN incorrect");
  rgs_run_free(&r);
  /* No terminal and no --pin-file: a clear message, not a hang. */
  rgs_enroll(&r, NULL, NULL, "--module", rgs_env("SOFTHSM2_MODULE"), "--policy",
             f->demo_policy, "keygen", NULL);
  rgs_assert_status(&r, RGS_EXIT_PIN);
  assert_contains(r.err, "--pin-file");
  rgs_run_free(&r);
  /* --pin-fd 0: the PIN on standard input. */
  assert_int_equal(rgs_enroll_v(&r, NULL, RGS_TEST_PIN "\n", args_fd), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  /* PIN too short for the token: refused locally, nothing sent. */
  assert_int_equal(rgs_enroll_v(&r, NULL, "12\n", args_fd), 0);
  rgs_assert_status(&r, RGS_EXIT_PIN);
  assert_contains(r.err, "nothing was sent");
  rgs_run_free(&r);
  /* Both sources at once is a usage error. */
  rgs_enroll(&r, NULL, NULL, "--pin-file", f->hsm.pin_file, "--pin-fd", "0", "tokens", NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  rgs_run_free(&r);
}

static void test_french_messages(void **state)
{
  fixture *f = *state;
  const char *env[] = { "LANGUAGE=fr", "LANG=C.UTF-8", "LC_ALL=", NULL };
  rgs_run_result r;

  rgs_enroll(&r, env, NULL, "--module", rgs_env("SOFTHSM2_MODULE"), "--policy",
             f->demo_policy, "--pin-file", f->hsm.bad_pin_file, "keygen", NULL);
  rgs_assert_status(&r, RGS_EXIT_PIN);
  assert_contains(r.err, "PIN incorrect");
  assert_contains(r.err, "rien ne sera réessayé");
  rgs_run_free(&r);
}

static void test_module_errors(void **state)
{
  rgs_run_result r;
  Dl_info not_a_module;

  (void)state;
  rgs_enroll(&r, NULL, NULL, "--module", "/nonexistent/module.so", "tokens", NULL);
  rgs_assert_status(&r, RGS_EXIT_MODULE);
  assert_contains(r.err, "/nonexistent/module.so");
  rgs_run_free(&r);
  /* A shared object that is not a PKCS#11 module (cmocka's, by path: a
   * bare file name is looked for in p11-kit's module directory). */
  assert_true(dladdr((void *)&_cmocka_run_group_tests, &not_a_module) != 0);
  rgs_enroll(&r, NULL, NULL, "--module", not_a_module.dli_fname, "tokens", NULL);
  rgs_assert_status(&r, RGS_EXIT_MODULE);
  assert_contains(r.err, "C_GetFunctionList");
  rgs_run_free(&r);
  rgs_enroll(&r, NULL, NULL, "frobnicate", NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_tokens_lists_uri_and_pin_state, setup, teardown),
    cmocka_unit_test_setup_teardown(test_check_demo_token_says_no_but_admitted, setup, teardown),
    cmocka_unit_test_setup_teardown(test_check_without_demo_policy_is_not_admitted, setup, teardown),
    cmocka_unit_test_setup_teardown(test_start_rsa3072_end_to_end, setup, teardown),
    cmocka_unit_test_setup_teardown(test_start_ec_and_der, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rsa2048_refused_past_2030, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keygen_then_csr_then_check_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_input_is_refused_before_the_card, setup, teardown),
    cmocka_unit_test_setup_teardown(test_token_selection, setup, teardown),
    cmocka_unit_test_setup_teardown(test_always_authenticate_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_key_uri_names_its_token, setup, teardown),
    cmocka_unit_test_setup_teardown(test_subject_cannot_smuggle_attributes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_pin_sources, setup, teardown),
    cmocka_unit_test_setup_teardown(test_french_messages, setup, teardown),
    cmocka_unit_test_setup_teardown(test_module_errors, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
