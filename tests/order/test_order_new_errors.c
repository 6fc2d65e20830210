/* SPDX-License-Identifier: BSD-3-Clause */
/* test_order_new_errors.c - order new and order set name every wrong
 * option in one run (exit 2 once), --siren with --siret says "not both",
 * a run that fails leaves no order behind; the holder's name shown by one
 * rule; --country checked and normalised in a real request (SoftHSM). All
 * through the rgs-enroll binary on a store. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "rgs_test.h"

static const char *const base_env[] = { "RGS_ENROLL_NOW=2026-11-24", "LC_ALL=C.UTF-8",
                                        "LANGUAGE=en", NULL };

static void run(rgs_run_result *r, const char *db, int json, ...)
{
  va_list ap;

  va_start(ap, json);
  rgs_enroll_db_v(r, base_env, db, json, ap);
  va_end(ap);
}

/* Count the lines of text that hold needle. */
static int count_in(const char *text, const char *needle)
{
  int n = 0;
  const char *p = text;

  while ((p = strstr(p, needle)) != NULL) {
    n++;
    p += strlen(needle);
  }
  return n;
}

static void assert_no_order(const char *db)
{
  rgs_run_result r;

  run(&r, db, 1, "order", "list", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "count", "0");
  rgs_run_free(&r);
}

#define GOOD "order", "new", "--partner", "cma", "--holder-first-name", "jean-pierre", \
  "--holder-last-name", "Dupont", "--email", "jp.dupont@example.fr", "--company", "BS AUTO"

static void test_each_option_named(void **state)
{
  rgs_store_fixture *f = *state;
  const char *const base[] = { "--db", f->db, NULL };
  const rgs_cli_case cases[] = {
    { RGS_EXIT_USAGE, "--partner: unknown partner code 'xyz'", { GOOD, "--siren", "732829320", "--partner", "xyz", NULL } },
    { RGS_EXIT_USAGE, "--email: 'jp@' is not an email address", { GOOD, "--siren", "732829320", "--email", "jp@", NULL } },
    { RGS_EXIT_USAGE, "--phone: '12' is not a telephone number", { GOOD, "--siren", "732829320", "--phone", "12", NULL } },
    { RGS_EXIT_USAGE, "--siren: '732829321': invalid SIREN", { GOOD, "--siren", "732829321", NULL } },
    { RGS_EXIT_USAGE, "--siren: '73282932000074' is a SIRET (14 digits): give it with --siret", { GOOD, "--siren", "73282932000074", NULL } },
    { RGS_EXIT_USAGE, "--siret: '732829320' is a SIREN (9 digits): give it with --siren", { GOOD, "--siret", "732829320", NULL } },
    { RGS_EXIT_USAGE, "--siren, --siret: give the SIREN or the SIRET, not both", { GOOD, "--siren", "732829320", "--siret", "73282932000074", NULL } },
    { RGS_EXIT_USAGE, "--siren, --siret: required", { GOOD, NULL } },
    { RGS_EXIT_USAGE, "--holder-first-name: empty", { GOOD, "--siren", "732829320", "--holder-first-name", " ", NULL } },
    { RGS_EXIT_USAGE, "--company: empty", { GOOD, "--siren", "732829320", "--company", "", NULL } },
    { RGS_EXIT_USAGE, "--ca-ref: CA reference 'a b'", { GOOD, "--siren", "732829320", "--ca-ref", "a b", NULL } },
    { RGS_EXIT_USAGE, "--product: ", { GOOD, "--siren", "732829320", "--product", "Pack Or", NULL } },
    { RGS_EXIT_USAGE, "--holder: self or other, not 'boss'", { GOOD, "--siren", "732829320", "--holder", "boss", NULL } },
    { RGS_EXIT_USAGE, "--ordered-by: goes with --holder other", { GOOD, "--siren", "732829320", "--ordered-by", "X", NULL } },
    { RGS_EXIT_USAGE, "--dept: '99'", { GOOD, "--siren", "732829320", "--dept", "99", NULL } },
    { RGS_EXIT_USAGE, "--aed: no AED office 'nowhere'", { GOOD, "--siren", "732829320", "--aed", "nowhere", NULL } },
    { RGS_EXIT_USAGE, "--aed: the AED office acthemis-arles is in département 13, not 69", { GOOD, "--siren", "732829320", "--aed", "acthemis-arles", "--dept", "69", NULL } },
    { RGS_EXIT_USAGE, "--validity: this option needs a value", { GOOD, "--siren", "732829320", "--validity", NULL } },
    { RGS_EXIT_USAGE, "unexpected argument 'extra'", { GOOD, "--siren", "732829320", "extra", NULL } },
    { RGS_EXIT_USAGE, "--email: 'bad' is not an email address", { "order", "set", "1", "--email", "bad", NULL } },
    { RGS_EXIT_USAGE, "--note: goes with --status", { "order", "set", "1", "--note", "n", NULL } },
    { RGS_EXIT_USAGE, "'x' is not an order number", { "order", "set", "x", "--accept-cgu", NULL } },
  };

  rgs_cli_cases_run(cases, sizeof(cases) / sizeof(cases[0]), base_env, base);
  /* None of them made a store, let alone a draft. */
  assert_int_not_equal(access(f->db, F_OK), 0);
}

/* Everything wrong at once: every option named, "Try" said once, exit 2. */
static void test_all_errors_in_one_run(void **state)
{
  rgs_store_fixture *f = *state;
  static const char *const said[] = {
    "--partner: unknown partner code 'xyz'", "--holder-first-name: required",
    "--holder-last-name: required", "--company: required",
    "--siren, --siret: give the SIREN or the SIRET, not both",
    "--email: 'x@y' is not an email address", "--phone: 'abc' is not a telephone number",
    "--validity: ", "--dept: '99'", "--aed: no AED office 'nowhere'", "unknown option '--colour'",
  };
  rgs_run_result r;
  size_t i;

  run(&r, f->db, 0, "order", "new", "--partner", "xyz", "--email", "x@y", "--siren", "732829320",
      "--siret", "73282932000074", "--validity", "5", "--phone", "abc", "--dept", "99", "--aed",
      "nowhere", "--colour", "red", NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  for (i = 0; i < sizeof(said) / sizeof(said[0]); i++)
    assert_contains(r.err, said[i]);
  assert_int_equal(count_in(r.err, "Try 'rgs-enroll order new --help'."), 1);
  assert_string_equal(r.out, "");
  rgs_run_free(&r);

  /* The same for scripts: one document, each error with its option. */
  run(&r, f->db, 1, "order", "new", "--partner", "CMA", "--holder-first-name", "A",
      "--holder-last-name", "B", "--company", "C", "--email", "nope", "--siren", "732829321",
      NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  rgs_assert_json(r.out, "ok", "false");
  rgs_assert_json(r.out, "exit", "2");
  rgs_assert_json(r.out, "error.errors.0.option", "--siren");
  rgs_assert_json(r.out, "error.errors.1.option", "--email");
  rgs_assert_json(r.out, "error.errors.1.message", "--email: 'nope' is not an email address");
  rgs_assert_json(r.out, "error.message", "--siren: '732829321': invalid SIREN or SIRET: 9 or 14 digits with a valid check digit (Luhn) are expected");
  assert_null(rgs_json_get(r.out, "error.errors.2"));
  rgs_run_free(&r);

  /* order set: the same, all at once. */
  run(&r, f->db, 0, "order", "set", "1", "--email", "bad", "--phone", "x", "--payment",
      "bitcoin", "--validity", "0", "--note", "n", NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  assert_contains(r.err, "--email: 'bad'");
  assert_contains(r.err, "--phone: 'x'");
  assert_contains(r.err, "--payment: ");
  assert_contains(r.err, "--validity: ");
  assert_contains(r.err, "--note: goes with --status");
  assert_int_equal(count_in(r.err, "Try 'rgs-enroll order set --help'."), 1);
  rgs_run_free(&r);
  assert_int_not_equal(access(f->db, F_OK), 0);
}

/* A run that fails, whatever fails, leaves no order: the checks that need
 * the store come before the insert, and the insert, the AED office and the
 * order read back are one transaction. */
static void test_failed_run_leaves_no_draft(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  run(&r, f->db, 0, GOOD, "--siren", "732829320", "--ca-ref", "CMD-1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  /* Refused by the store itself (another order has that reference). */
  run(&r, f->db, 0, GOOD, "--siren", "732829320", "--ca-ref", "CMD-1", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "CA reference");
  rgs_run_free(&r);
  run(&r, f->db, 0, GOOD, "--siren", "732829320", "--aed", "nowhere", NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  rgs_run_free(&r);
  run(&r, f->db, 0, GOOD, "--siren", "732829320", "--aed", "acthemis-arles", "--dept", "69", NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  rgs_run_free(&r);
  run(&r, f->db, 1, "order", "list", NULL);
  rgs_assert_json(r.out, "count", "1");
  rgs_run_free(&r);
  /* The next order is number 2: nothing was half made in between. */
  run(&r, f->db, 1, GOOD, "--siren", "732829320", "--aed", "acthemis-arles", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "order.id", "2");
  rgs_run_free(&r);
}

static void test_empty_store_stays_empty(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  run(&r, f->db, 0, "order", "list", NULL);      /* no store: no order, nothing made */
  rgs_run_free(&r);
  assert_no_order(f->db);
}

/* The first name by the rule of the last: shown cased, kept as typed. */
static void test_holder_name_shown_by_one_rule(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  run(&r, f->db, 0, "order", "new", "--partner", "cma", "--holder-first-name", "élodie",
      "--holder-last-name", "lefèvre", "--email", "e.lefevre@example.fr", "--company", "BS AUTO",
      "--siren", "732829320", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "for Élodie LEFÈVRE, BS AUTO");
  rgs_run_free(&r);
  run(&r, f->db, 1, "order", "show", "1", NULL);
  rgs_assert_json(r.out, "order.holder.first_name", "élodie");  /* the store keeps what was typed */
  rgs_assert_json(r.out, "order.holder.last_name", "lefèvre");
  rgs_run_free(&r);
  run(&r, f->db, 0, "order", "list", NULL);
  assert_contains(r.out, "Élodie LEFÈVRE");
  rgs_run_free(&r);
  run(&r, f->db, 0, "order", "show", "1", NULL);
  assert_contains(r.out, ": Élodie LEFÈVRE <e.lefevre@example.fr>");
  rgs_run_free(&r);
}

/* --country in a real request on a SoftHSM token: typed "fr ", written FR;
 * XX, FRA, F1 refused before the token is used. */
static void test_country_in_a_request(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_softhsm hsm;
  rgs_run_result r;
  char out[600], *uri, *subject;
  const char *policy = NULL;
  char policy_path[600];

  assert_int_equal(rgs_softhsm_init(&hsm, "Holder"), 0);
  snprintf(policy_path, sizeof(policy_path), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  policy = policy_path;
  snprintf(out, sizeof(out), "%s/request.csr", f->dir);
  assert_int_equal(rgs_enroll(&r, base_env, NULL, "--module", rgs_env("SOFTHSM2_MODULE"),
                              "--policy", policy, "--pin-file", hsm.pin_file, "--json", "keygen",
                              "--key-type", "ec:p256", NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  uri = rgs_json_get(r.out, "key.uri");
  assert_non_null(uri);
  rgs_run_free(&r);
  {
    const char *const base[] = { "--module", rgs_env("SOFTHSM2_MODULE"), "--policy", policy,
                                 "--pin-file", hsm.pin_file, NULL };
    const rgs_cli_case cases[] = {
      { RGS_EXIT_USAGE, "--country: 'XX' is not a country code", { "csr", "--key", uri, "--cn", "A B", "--country", "XX", "--out", out, NULL } },
      { RGS_EXIT_USAGE, "--country: 'FRA' is not a country code", { "csr", "--key", uri, "--cn", "A B", "--country", "FRA", "--out", out, NULL } },
      { RGS_EXIT_USAGE, "--country: 'F1' is not a country code", { "csr", "--key", uri, "--cn", "A B", "--country", "F1", "--out", out, NULL } },
      { RGS_EXIT_USAGE, "C: 'fra' is not a country code", { "csr", "--key", uri, "--subject", "C=fra,CN=A B", "--out", out, NULL } },
    };
    rgs_cli_cases_run(cases, sizeof(cases) / sizeof(cases[0]), base_env, base);
  }
  assert_int_not_equal(access(out, F_OK), 0);
  assert_int_equal(rgs_enroll(&r, base_env, NULL, "--module", rgs_env("SOFTHSM2_MODULE"),
                              "--policy", policy, "--pin-file", hsm.pin_file, "--json", "csr",
                              "--key", uri, "--cn", "Élodie LEFÈVRE", "--o", "BS AUTO", "--siren",
                              "732829320", "--country", " fr ", "--out", out, NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  subject = rgs_json_get(r.out, "csr.subject");
  assert_non_null(subject);
  assert_contains(subject, "C = FR,");
  free(subject);
  rgs_run_free(&r);
  free(uri);
  rgs_softhsm_cleanup(&hsm);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_each_option_named, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_all_errors_in_one_run, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_failed_run_leaves_no_draft, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_empty_store_stays_empty, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_holder_name_shown_by_one_rule, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_country_in_a_request, rgs_store_setup, rgs_store_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
