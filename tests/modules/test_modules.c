/* SPDX-License-Identifier: BSD-3-Clause */
/* test_modules.c - finding the PKCS#11 module without a path: registered
 * names, bare file names, paths, a URI's module-name / module-path, their
 * conflicts, `tokens --all-modules`, and, with no module named, the
 * registered module through which the token can generate keys.
 *
 * A private p11-kit registry: $XDG_CONFIG_HOME/pkcs11/modules holds
 *   rgs-fault.module    the fault module over SoftHSM2, priority 10 (asked
 *                       first), hiding CKM_RSA_PKCS_KEY_PAIR_GEN;
 *   rgs-softhsm.module  SoftHSM2 itself.
 * p11-kit reads no user configuration for root (conf.c), so as root the
 * command runs in a user namespace as uid 1000 (files are still reached as
 * root): a wrapper script stands as RGS_ENROLL_BIN. OpenSC's module is
 * pointed at a pcscd socket that does not exist: it shows no token, whatever
 * reader a test of another suite has running. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rgs_test.h"

typedef struct {
  rgs_softhsm hsm;
  char config[600];          /* XDG_CONFIG_HOME */
  char count[600];           /* the fault module's call log */
  char wrapper[600];
  char policy[600];
  char env_config[700], env_real[700], env_count[700], env_pcsc[700];
  const char *env[8];
} fixture;

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void write_module(const fixture *f, const char *name, const char *body)
{
  char path[700];

  snprintf(path, sizeof(path), "%s/pkcs11/modules/%s.module", f->config, name);
  assert_int_equal(rgs_write_file(path, body), 0);
}

/* RGS_ENROLL_BIN: the command itself, or, as root, the command as uid 1000
 * in a user namespace (p11-kit ignores user modules for root). */
static void make_wrapper(fixture *f, const char *bin)
{
  char text[1200];

  snprintf(f->wrapper, sizeof(f->wrapper), "%s/rgs-enroll-user", f->hsm.dir);
  if (getuid() == 0)
    snprintf(text, sizeof(text),
             "#!/bin/sh\nexec unshare -U --map-user=1000 --map-group=1000 -- '%s' \"$@\"\n", bin);
  else
    snprintf(text, sizeof(text), "#!/bin/sh\nexec '%s' \"$@\"\n", bin);
  assert_int_equal(rgs_write_file(f->wrapper, text), 0);
  assert_int_equal(chmod(f->wrapper, 0755), 0);
}

static int setup(void **state)
{
  static char bin[600];
  fixture *f = calloc(1, sizeof(*f));
  char dir[700], body[900];

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "modtest"), 0);
  snprintf(f->config, sizeof(f->config), "%s/config", f->hsm.dir);
  snprintf(dir, sizeof(dir), "%s/pkcs11", f->config);
  assert_int_equal(mkdir(f->config, 0700), 0);
  assert_int_equal(mkdir(dir, 0700), 0);
  snprintf(dir, sizeof(dir), "%s/pkcs11/modules", f->config);
  assert_int_equal(mkdir(dir, 0700), 0);
  snprintf(body, sizeof(body), "module: %s\npriority: 10\n", rgs_env("RGS_FAULT_MODULE"));
  write_module(f, "rgs-fault", body);
  snprintf(body, sizeof(body), "module: %s\n", rgs_env("SOFTHSM2_MODULE"));
  write_module(f, "rgs-softhsm", body);
  snprintf(f->count, sizeof(f->count), "%s/fault-calls", f->hsm.dir);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->env_config, sizeof(f->env_config), "XDG_CONFIG_HOME=%s", f->config);
  snprintf(f->env_real, sizeof(f->env_real), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  snprintf(f->env_count, sizeof(f->env_count), "RGS_FAULT_COUNT_FILE=%s", f->count);
  f->env[0] = f->env_config;
  f->env[1] = f->env_real;
  f->env[2] = f->env_count;
  snprintf(f->env_pcsc, sizeof(f->env_pcsc), "PCSCLITE_CSOCK_NAME=%s/no-pcscd.comm", f->hsm.dir);
  f->env[3] = f->env_pcsc;
  f->env[4] = "RGS_FAULT_MECH_HIDE=CKM_RSA_PKCS_KEY_PAIR_GEN";
  f->env[5] = NULL;
  /* The module comes from the options and the registry only. */
  unsetenv("RGS_ENROLL_MODULE");
  if (bin[0] == '\0')   /* the command itself, before any wrapper */
    snprintf(bin, sizeof(bin), "%s", rgs_env("RGS_ENROLL_BIN"));
  make_wrapper(f, bin);
  setenv("RGS_ENROLL_BIN", f->wrapper, 1);
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

/* --module: a registered name, a bare file name, a path; an unknown name
 * gets the list of registered names. */
static void test_module_forms(void **state)
{
  fixture *f = *state;
  const rgs_cli_case cases[] = {
    { RGS_EXIT_OK, NULL, { "--module", "rgs-softhsm", "tokens", NULL } },
    { RGS_EXIT_OK, NULL, { "--module", "rgs-fault", "tokens", NULL } },
    { RGS_EXIT_OK, NULL, { "--module", "opensc-pkcs11.so", "tokens", NULL } },
    { RGS_EXIT_OK, NULL, { "--module", "opensc-pkcs11", "tokens", NULL } },
    { RGS_EXIT_OK, NULL, { "--module", rgs_env("SOFTHSM2_MODULE"), "tokens", NULL } },
    { RGS_EXIT_MODULE, "rgs-softhsm", { "--module", "softhsm9", "tokens", NULL } },
    { RGS_EXIT_MODULE, "rgs-fault", { "--module", "softhsm9", "tokens", NULL } },
    { RGS_EXIT_MODULE, "\"softhsm9\"", { "--module", "softhsm9", "tokens", NULL } },
    { RGS_EXIT_MODULE, "p11-kit", { "--module", "no-such-pkcs11.so", "tokens", NULL } },
    { RGS_EXIT_MODULE, "/no/such.so", { "--module", "/no/such.so", "tokens", NULL } },
  };
  rgs_run_result r;

  rgs_cli_cases_run(cases, sizeof(cases) / sizeof(cases[0]), f->env, NULL);
  /* The name reaches SoftHSM's token. */
  assert_int_equal(rgs_enroll(&r, f->env, NULL, "--module", "rgs-softhsm", "tokens", NULL), 0);
  rgs_expect(&r, RGS_EXIT_OK, "modtest");
}

/* The URI's module-name / module-path choose the module; with --module
 * they must name the same one. check on the demo token exits 1 (checked,
 * not qualified): the module was loaded and the token found (3: module,
 * 4: no token). */
static void test_uri_module(void **state)
{
  fixture *f = *state;
  char by_path[700], both_bad[900], both_ok[900];
  const char *sm = rgs_env("SOFTHSM2_MODULE");
  const char *base[] = { "--policy", f->policy, NULL };

  snprintf(by_path, sizeof(by_path), "pkcs11:token=modtest?module-path=%s", sm);
  snprintf(both_bad, sizeof(both_bad),
           "pkcs11:token=modtest?module-name=rgs-softhsm&module-path=%s", rgs_env("RGS_FAULT_MODULE"));
  snprintf(both_ok, sizeof(both_ok), "pkcs11:token=modtest?module-name=rgs-softhsm&module-path=%s",
           sm);
  {
    const rgs_cli_case cases[] = {
      { RGS_EXIT_CHECK, NULL, { "--token", "pkcs11:token=modtest?module-name=rgs-softhsm", "check", NULL } },
      { RGS_EXIT_CHECK, NULL, { "--token", by_path, "check", NULL } },
      { RGS_EXIT_CHECK, NULL, { "--token", both_ok, "check", NULL } },
      { RGS_EXIT_MODULE, "rgs-softhsm", { "--token", "pkcs11:token=modtest?module-name=nope", "check", NULL } },
      /* --module and the URI agree: the name and the path of one file. */
      { RGS_EXIT_CHECK, NULL, { "--module", sm, "--token", "pkcs11:token=modtest?module-name=rgs-softhsm", "check", NULL } },
      { RGS_EXIT_CHECK, NULL, { "--module", "rgs-softhsm", "--token", by_path, "check", NULL } },
      /* They disagree: a usage error that names both. */
      { RGS_EXIT_USAGE, "module-name", { "--module", "rgs-fault", "--token", "pkcs11:token=modtest?module-name=rgs-softhsm", "check", NULL } },
      { RGS_EXIT_USAGE, "--module", { "--module", "opensc-pkcs11", "--token", by_path, "check", NULL } },
      { RGS_EXIT_USAGE, "module-path", { "--token", both_bad, "check", NULL } },
    };
    rgs_cli_cases_run(cases, sizeof(cases) / sizeof(cases[0]), f->env, base);
  }
}

/* tokens --all-modules: every registered module, OpenSC's and SoftHSM's
 * (both of ours), each token's URI naming its module. */
static void test_all_modules(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *v;

  assert_int_equal(rgs_enroll(&r, f->env, NULL, "tokens", "--all-modules", NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Module opensc-pkcs11 (");
  assert_contains(r.out, "Module rgs-fault (");
  assert_contains(r.out, "Module rgs-softhsm (");
  assert_contains(r.out, "pkcs11:token=modtest;manufacturer=SoftHSM%20project;");
  assert_contains(r.out, "?module-name=rgs-softhsm\n");
  assert_contains(r.out, "?module-name=rgs-fault\n");
  /* p11-kit's order: priority first. */
  assert_true(strstr(r.out, "Module rgs-fault") < strstr(r.out, "Module rgs-softhsm"));
  rgs_run_free(&r);

  assert_int_equal(rgs_enroll(&r, f->env, NULL, "--json", "tokens", "--all-modules", NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "modules.0.name", "rgs-fault");
  v = rgs_json_get(r.out, "modules.0.slots.0.uri");
  assert_non_null(v);
  assert_contains(v, "token=modtest");
  assert_contains(v, "?module-name=rgs-fault");
  free(v);
  v = rgs_json_get(r.out, "modules.0.slots.0.token.label");
  assert_non_null(v);
  assert_string_equal(v, "modtest");
  free(v);
  assert_contains(r.out, "\"name\":\"opensc-pkcs11\"");
  assert_contains(r.out, "\"name\":\"rgs-softhsm\"");
  rgs_run_free(&r);

  /* A listed URI selects its token through its module. */
  assert_int_equal(rgs_enroll(&r, f->env, NULL, "--module", "rgs-softhsm", "tokens",
                              "--all-modules", NULL), 0);
  rgs_expect(&r, RGS_EXIT_USAGE, "--all-modules");
}

/* No module named, OpenSC's shows no such token: keygen takes the
 * registered module through which the token can generate RSA keys
 * (rgs-softhsm), not the first one that shows it (rgs-fault hides the
 * mechanism); check takes the first one. */
static void test_choice_for_keygen(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  unlink(f->count);
  assert_int_equal(rgs_enroll(&r, f->env, NULL, "--json", "--policy", f->policy, "--pin-file",
                              f->hsm.pin_file, "--token", "pkcs11:token=modtest", "keygen",
                              "--key-type", "rsa:2048", "--validity-years", "1", NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "module.name", "rgs-softhsm");
  rgs_assert_json(r.out, "module.chosen", "registry");
  rgs_run_free(&r);
  /* rgs-fault was asked (and said no) and made nothing. */
  assert_true(rgs_count_lines(f->count, "C_GetMechanismInfo") >= 1);
  assert_int_equal(rgs_count_lines(f->count, "C_GenerateKeyPair"), 0);

  /* In text, the choice is said. */
  assert_int_equal(rgs_enroll(&r, f->env, NULL, "--policy", f->policy, "--pin-file",
                              f->hsm.pin_file, "--token", "pkcs11:token=modtest", "keygen",
                              "--key-type", "rsa:2048", "--validity-years", "1", NULL), 0);
  rgs_expect(&r, RGS_EXIT_OK, "Module: rgs-softhsm");

  /* A step that needs no key generation: the first registered module
   * that shows the token. */
  unlink(f->count);
  assert_int_equal(rgs_enroll(&r, f->env, NULL, "--policy", f->policy, "--token",
                              "pkcs11:token=modtest", "check", NULL), 0);
  rgs_run_free(&r);
  assert_true(rgs_count_lines(f->count, "C_OpenSession") >= 1);

  /* A module named is used as it is, even without key generation. */
  unlink(f->count);
  assert_int_equal(rgs_enroll(&r, f->env, NULL, "--json", "--module", "rgs-fault", "--policy",
                              f->policy, "--pin-file", f->hsm.pin_file, "keygen", "--key-type",
                              "rsa:2048", "--validity-years", "1", NULL), 0);
  assert_true(r.status != RGS_EXIT_OK);
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count, "C_GenerateKeyPair"), 0);
}

/* The fixture's environment without the mechanism hiding, plus extra
 * (NULL-terminated) variables for the fault module: env has room for 12. */
static void env_with(const fixture *f, const char **env, const char *const *extra)
{
  size_t n = 0, i;

  for (i = 0; f->env[i] != NULL; i++)
    if (strncmp(f->env[i], "RGS_FAULT_MECH_HIDE=", 20) != 0)
      env[n++] = f->env[i];
  for (i = 0; extra[i] != NULL && n + 1 < 12; i++)
    env[n++] = extra[i];
  env[n] = NULL;
}

/* No module named: the registered module that shows the token first
 * (rgs-fault, priority 10) lists RSA key generation, but it shows the token
 * as OpenSC's idprime driver does, and the shipped policy says that module
 * cannot make keys on it (keygen = no). The module of the same token (same
 * serial) that can, rgs-softhsm, is taken: the key pair is made there. */
static void test_choice_honours_policy_keygen_no(void **state)
{
  static const char *const as_idprime[] = { "RGS_FAULT_TOKEN_MANUFACTURER=Gemalto",
                                            "RGS_FAULT_TOKEN_MODEL=PKCS#15 emulated", NULL };
  fixture *f = *state;
  const char *env[12];
  rgs_run_result r;

  env_with(f, env, as_idprime);
  unlink(f->count);
  assert_int_equal(rgs_enroll(&r, env, NULL, "--json", "--policy", f->policy, "--pin-file",
                              f->hsm.pin_file, "--token", "pkcs11:token=modtest", "keygen",
                              "--key-type", "rsa:2048", "--validity-years", "1", NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "module.name", "rgs-softhsm");
  rgs_assert_json(r.out, "module.chosen", "registry");
  rgs_run_free(&r);
  /* The data decided: rgs-fault was not asked for its mechanism, made nothing. */
  assert_true(rgs_count_lines(f->count, "C_OpenSession") >= 1);
  assert_int_equal(rgs_count_lines(f->count, "C_GetMechanismInfo"), 0);
  assert_int_equal(rgs_count_lines(f->count, "C_GenerateKeyPair"), 0);

  /* check needs no key generation: the first module that shows the token,
   * which says what it cannot do. */
  assert_int_equal(rgs_enroll(&r, env, NULL, "--json", "--token", "pkcs11:token=modtest",
                              "check", NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  rgs_assert_json(r.out, "error.code", "module-cannot-generate-keys");
  rgs_run_free(&r);
}

/* No module and no token named, OpenSC's module shows none: the registered
 * modules show two different tokens (rgs-fault gives the token another
 * serial): none is taken, both are listed with their module, exit 4. */
static void test_several_tokens_through_modules(void **state)
{
  static const char *const other_serial[] = { "RGS_FAULT_TOKEN_SERIAL=FAULT0000000001", NULL };
  static const char *const nothing[] = { NULL };
  fixture *f = *state;
  const char *env[12];
  rgs_run_result r;

  env_with(f, env, other_serial);
  unlink(f->count);
  assert_int_equal(rgs_enroll(&r, env, NULL, "--policy", f->policy, "check", NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  assert_contains(r.err, "several tokens are present: choose one with --token");
  assert_contains(r.err, "\"modtest\" through the module rgs-fault: --token 'pkcs11:token=modtest;");
  assert_contains(r.err, "serial=FAULT0000000001;");
  assert_contains(r.err, "?module-name=rgs-fault'");
  assert_contains(r.err, "\"modtest\" through the module rgs-softhsm: --token 'pkcs11:token=modtest;");
  assert_contains(r.err, "?module-name=rgs-softhsm'");
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count, "C_OpenSession"), 0);

  assert_int_equal(rgs_enroll(&r, env, NULL, "--json", "--policy", f->policy, "--pin-file",
                              f->hsm.pin_file, "keygen", "--key-type", "rsa:2048",
                              "--validity-years", "1", NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_TOKEN);
  rgs_assert_json(r.out, "error.code", "several-tokens");
  rgs_assert_json(r.out, "exit", "4");
  assert_contains(r.out, "(serial FAULT0000000001) through rgs-fault");
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count, "C_GenerateKeyPair"), 0);

  /* One of the listed URIs: its module and its token. */
  assert_int_equal(rgs_enroll(&r, env, NULL, "--json", "--policy", f->policy, "--token",
                              "pkcs11:token=modtest;serial=FAULT0000000001?module-name=rgs-fault", "check",
                              NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  rgs_assert_json(r.out, "token.serial", "FAULT0000000001");
  rgs_run_free(&r);

  /* The same token through both modules (same serial) is one token. */
  env_with(f, env, nothing);
  assert_int_equal(rgs_enroll(&r, env, NULL, "--json", "--policy", f->policy, "check", NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  rgs_assert_json(r.out, "token.label", "modtest");
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_module_forms, setup, teardown),
    cmocka_unit_test_setup_teardown(test_uri_module, setup, teardown),
    cmocka_unit_test_setup_teardown(test_all_modules, setup, teardown),
    cmocka_unit_test_setup_teardown(test_choice_for_keygen, setup, teardown),
    cmocka_unit_test_setup_teardown(test_choice_honours_policy_keygen_no, setup, teardown),
    cmocka_unit_test_setup_teardown(test_several_tokens_through_modules, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
