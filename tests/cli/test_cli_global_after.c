/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_cli_global_after.c - every global option works after the command and
 * after its subcommand (issue 13, "Command line conventions"): each one is
 * shown to take effect there (a store found, a module or trust file named,
 * a policy or PIN used, the last try allowed), for several commands, on a
 * real SoftHSM2 token and the real rgs-enroll. Also: what stays the
 * command's own (after "--", NAME=VALUE of a command's option, an
 * abbreviation, f2f's --aed-* options), and that the PIN rules hold.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rgs_test.h"

typedef struct {
  rgs_softhsm hsm;
  char db[600], policy[600], xdg[600], xdg_env[640], missing[600];
  const char *env[4];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));
  rgs_run_result r;

  *state = f;
  if (f == NULL || rgs_softhsm_init(&f->hsm, "cliconv") != 0)
    return -1;
  snprintf(f->db, sizeof(f->db), "%s/orders.db", f->hsm.dir);
  snprintf(f->missing, sizeof(f->missing), "%s/no-such-dir/missing.conf", f->hsm.dir);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  /* The default store is an empty one: only --db finds the order. */
  snprintf(f->xdg, sizeof(f->xdg), "%s/xdg", f->hsm.dir);
  snprintf(f->xdg_env, sizeof(f->xdg_env), "XDG_DATA_HOME=%s", f->xdg);
  f->env[0] = f->xdg_env;
  f->env[1] = "LC_ALL=C.UTF-8";
  f->env[2] = NULL;
  /* Order 1, recorded the usual way (the global option first). */
  rgs_enroll(&r, f->env, NULL, "--db", f->db, "order", "new", "--partner", "CMA", "--validity",
             "2", "--holder-first-name", "Jean", "--holder-last-name", "Dupont", "--email",
             "j.dupont@example.fr", "--company", "ACME", "--siren", "732829320", "--payment",
             "virement", "--accept-cgu", NULL);
  if (r.status != RGS_EXIT_OK) {
    print_error("order new: %s%s", r.out, r.err);
    rgs_run_free(&r);
    return -1;
  }
  rgs_run_free(&r);
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  if (f == NULL)
    return 0;
  if (f->hsm.dir != NULL)
    rgs_softhsm_cleanup(&f->hsm);
  free(f);
  return 0;
}

#define END NULL

/* --db, --module, --token, --policy, --pin-file, --aed-trust after the
 * command or subcommand, each beside a control run without it. */
static void test_after_command_takes_effect(void **state)
{
  fixture *f = *state;
  const char *mod = rgs_env("SOFTHSM2_MODULE");
  const rgs_cli_case cases[] = {
    /* --db: the order is in DB only. */
    { RGS_EXIT_USAGE, "no such order", { "status", "1", END } },
    { RGS_EXIT_OK, NULL, { "status", "1", "--db", f->db, END } },
    { RGS_EXIT_OK, NULL, { "order", "show", "1", "--db", f->db, END } },
    { RGS_EXIT_OK, NULL, { "order", "--db", f->db, "show", "1", END } },
    { RGS_EXIT_OK, NULL,
      { "order", "new", "--partner", "CMA", "--holder-first-name", "Ana", "--holder-last-name",
        "Silva", "--email", "a.silva@example.fr", "--company", "ACME", "--siren", "732829320",
        "--payment", "carte", "--accept-cgu", "--db", f->db, END } },
    { RGS_EXIT_OK, NULL, { "aed", "list", "--db", f->db, END } },
    /* --module: the module named after the command is the one loaded. */
    { RGS_EXIT_MODULE, "/nonexistent/module.so", { "check", "--module", "/nonexistent/module.so", END } },
    { RGS_EXIT_MODULE, "/nonexistent/module.so", { "tokens", "--module=/nonexistent/module.so", END } },
    { RGS_EXIT_MODULE, "/nonexistent/module.so",
      { "keygen", "--key-type", "ec:p256", "--module", "/nonexistent/module.so", END } },
    /* --policy: SoftHSM is admitted (as a demo device) by the demo policy only. */
    { RGS_EXIT_CHECK, NULL, { "keygen", "--key-type", "ec:p256", "--module", mod, "--pin-file",
                              f->hsm.pin_file, END } },
    { RGS_EXIT_OK, NULL, { "keygen", "--key-type", "ec:p256", "--module", mod, "--pin-file",
                           f->hsm.pin_file, "--policy", f->policy, END } },
    { RGS_EXIT_IO, "missing.conf", { "check", "--module", mod, "--policy", f->missing, END } },
    /* --token: the token named after the command is the one looked for. */
    { RGS_EXIT_TOKEN, NULL, { "check", "--module", mod, "--policy", f->policy, "--token",
                              "pkcs11:token=not-this-one", END } },
    { RGS_EXIT_OK, NULL, { "keygen", "--key-type", "ec:p256", "--module", mod, "--policy",
                           f->policy, "--pin-file", f->hsm.pin_file, "--token",
                           "pkcs11:token=cliconv", END } },
    /* --pin-file: without it there is no terminal to ask the PIN. */
    { RGS_EXIT_PIN, NULL, { "keygen", "--key-type", "ec:p256", "--module", mod, "--policy",
                            f->policy, END } },
    { RGS_EXIT_OK, NULL, { "keygen", "--key-type", "ec:p256", "--module", mod, "--policy",
                           f->policy, "--pin-file", f->hsm.pin_file, END } },
    /* --aed-trust: the trust file named after f2f verify is the one read. */
    { RGS_EXIT_IO, "missing.conf", { "f2f", "verify", f->db, "--aed-trust", f->missing, END } },
    /* --json after a failing subcommand: the failure as JSON (on stdout). */
    { RGS_EXIT_USAGE, NULL, { "order", "show", "99", "--json", "--db", f->db, END } },
  };

  rgs_cli_cases_run(cases, sizeof(cases) / sizeof(cases[0]), f->env, NULL);
}

/* --json and --pin-fd need stdout and stdin: run one by one. */
static void test_json_and_pin_fd_after(void **state)
{
  fixture *f = *state;
  const char *mod = rgs_env("SOFTHSM2_MODULE");
  rgs_run_result r;
  char *v;

  rgs_enroll(&r, f->env, NULL, "status", "1", "--db", f->db, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_true(r.out[0] != '{');
  rgs_run_free(&r);
  rgs_enroll(&r, f->env, NULL, "status", "1", "--json", "--db", f->db, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "command", "status");
  rgs_run_free(&r);
  rgs_enroll(&r, f->env, NULL, "order", "list", "--db", f->db, "--json", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "orders.0.id");
  assert_non_null(v);
  assert_string_equal(v, "1");
  free(v);
  rgs_run_free(&r);

  rgs_enroll(&r, f->env, RGS_TEST_PIN "\n", "keygen", "--key-type", "ec:p256", "--module", mod,
             "--policy", f->policy, "--pin-fd", "0", "--json", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "command", "keygen");
  rgs_run_free(&r);
}

/* --final-try after the command: a token at its last PIN try (the fault
 * module says so) is used only with it. */
static void test_final_try_after(void **state)
{
  fixture *f = *state;
  char real[600];
  const char *env[] = { f->xdg_env, "LC_ALL=C.UTF-8", real,
                        "RGS_FAULT_TOKEN_FLAGS_SET=CKF_USER_PIN_FINAL_TRY", NULL };
  const char *fault = rgs_env("RGS_FAULT_MODULE");
  const rgs_cli_case cases[] = {
    { RGS_EXIT_PIN, "only one PIN try is left",
      { "keygen", "--key-type", "ec:p256", "--module", fault, "--policy", f->policy,
        "--pin-file", f->hsm.pin_file, END } },
    { RGS_EXIT_OK, NULL,
      { "keygen", "--key-type", "ec:p256", "--module", fault, "--policy", f->policy,
        "--pin-file", f->hsm.pin_file, "--final-try", END } },
    { RGS_EXIT_OK, NULL,
      { "--module", fault, "keygen", "--final-try", "--key-type", "ec:p256", "--policy",
        f->policy, "--pin-file", f->hsm.pin_file, END } },
  };

  snprintf(real, sizeof(real), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  rgs_cli_cases_run(cases, sizeof(cases) / sizeof(cases[0]), env, NULL);
}

/* What is not a global option after the command stays the command's. */
static void test_command_keeps_its_own(void **state)
{
  fixture *f = *state;
  const char *mod = rgs_env("SOFTHSM2_MODULE");
  const rgs_cli_case cases[] = {
    /* After "--": an argument, never an option. */
    { RGS_EXIT_USAGE, "'--json' is not an order number", { "status", "--db", f->db, "--", "--json", END } },
    /* Only the full name: an abbreviation is the command's (unknown here). */
    { RGS_EXIT_USAGE, "unknown option '--pol'", { "check", "--pol", f->policy, END } },
    /* A global option's missing value or a flag given one. */
    { RGS_EXIT_USAGE, "--pin-file needs a value", { "start", "--pin-file", END } },
    { RGS_EXIT_USAGE, "Try 'rgs-enroll start --help'", { "start", "--pin-file", END } },
    { RGS_EXIT_USAGE, "--json takes no value", { "status", "1", "--json=yes", END } },
    { RGS_EXIT_USAGE, "not 'x'", { "tokens", "--pin-fd", "x", END } },
    /* PIN rules: one source, wherever the options stand; still no --pin. */
    { RGS_EXIT_USAGE, "exclude each other",
      { "--pin-file", f->hsm.pin_file, "keygen", "--pin-fd", "0", END } },
    { RGS_EXIT_USAGE, "exclude each other",
      { "order", "list", "--pin-fd", "0", "--pin-file", f->hsm.pin_file, END } },
    { RGS_EXIT_USAGE, NULL, { "keygen", "--module", mod, "--pin", RGS_TEST_PIN, END } },
    /* f2f's --aed-module is f2f's: without its value, f2f says so, and the
     * global --module beside it is not taken for it. */
    { RGS_EXIT_USAGE, "aed-module", { "f2f", "run", "1", "--module", mod, "--aed-module", END } },
  };

  rgs_cli_cases_run(cases, sizeof(cases) / sizeof(cases[0]), f->env, NULL);
}

/* A command option's value that reads like a global option is kept with
 * NAME=VALUE; a global option given before and after the command adds up
 * (--policy) or the last one counts, as before the command alone. */
static void test_values_and_repeats(void **state)
{
  fixture *f = *state;
  const char *mod = rgs_env("SOFTHSM2_MODULE");
  rgs_run_result r;

  rgs_enroll(&r, f->env, NULL, "order", "set", "1", "--ca-ref=--json", "--db", f->db, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_true(r.out[0] != '{');
  rgs_run_free(&r);
  rgs_enroll(&r, f->env, NULL, "--json", "order", "show", "1", "--db", f->db, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "order.ca_ref", "--json");
  rgs_run_free(&r);

  rgs_enroll(&r, f->env, NULL, "--policy", f->missing, "check", "--module", mod, "--policy",
             f->policy, NULL);
  rgs_expect(&r, RGS_EXIT_IO, "missing.conf");      /* both read: the first is missing */
  rgs_enroll(&r, f->env, NULL, "--db", f->missing, "status", "1", "--db", f->db, NULL);
  rgs_expect(&r, RGS_EXIT_OK, NULL);                  /* the last --db counts */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_after_command_takes_effect),
    cmocka_unit_test(test_json_and_pin_fd_after),
    cmocka_unit_test(test_final_try_after),
    cmocka_unit_test(test_command_keeps_its_own),
    cmocka_unit_test(test_values_and_repeats),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
