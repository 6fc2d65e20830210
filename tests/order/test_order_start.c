/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_order_start.c - start --order on a real SoftHSM2 token: the subject
 * comes from the order, the order's validity decides the key size, the
 * request is bound with the token's serial and model and the key's URI,
 * and an order that cannot take a request (or a subject that does not
 * match it) is refused before the token is touched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "rgs_test.h"

typedef struct {
  rgs_softhsm hsm;
  char db[600];
  char policy[600];
  char csr[600];
  char now_env[64];
  const char *env[4];
} fixture;

static int setup_at(void **state, const char *today)
{
  fixture *f = calloc(1, sizeof(*f));

  if (rgs_softhsm_init(&f->hsm, "rgs-order") != 0)
    return -1;
  snprintf(f->db, sizeof(f->db), "%s/orders.db", f->hsm.dir);
  snprintf(f->csr, sizeof(f->csr), "%s/request.csr", f->hsm.dir);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf", rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->now_env, sizeof(f->now_env), "RGS_ENROLL_NOW=%s", today);
  f->env[0] = f->now_env;
  f->env[1] = "LC_ALL=C.UTF-8";
  f->env[2] = NULL;
  *state = f;
  return 0;
}

static int setup(void **state)
{
  return setup_at(state, "2026-11-24");
}

static int setup_2029(void **state)
{
  return setup_at(state, "2029-06-01");
}

static int teardown(void **state)
{
  fixture *f = *state;

  rgs_softhsm_cleanup(&f->hsm);
  free(f);
  return 0;
}

/* rgs-enroll --db --module --pin-file --policy [--json] ARGS... NULL */
static void run(fixture *f, rgs_run_result *r, int json, ...)
{
  const char *args[48];
  size_t n = 0;
  const char *a;
  va_list ap;

  args[n++] = "--db";
  args[n++] = f->db;
  args[n++] = "--module";
  args[n++] = rgs_env("SOFTHSM2_MODULE");
  args[n++] = "--pin-file";
  args[n++] = f->hsm.pin_file;
  args[n++] = "--policy";
  args[n++] = f->policy;
  if (json)
    args[n++] = "--json";
  va_start(ap, json);
  while ((a = va_arg(ap, const char *)) != NULL && n < 47)
    args[n++] = a;
  va_end(ap);
  args[n] = NULL;
  assert_int_equal(rgs_enroll_v(r, f->env, NULL, args), 0);
}

static void new_order(fixture *f, const char *validity, int accept)
{
  rgs_run_result r;

  run(f, &r, 0, "order", "new", "--partner", "CMA", "--validity", validity,
      "--holder-first-name", "Frédéric", "--holder-last-name", "Senez", "--email",
      "f.senez@example.fr", "--company", "BS AUTO", "--siren", "732829320", "--payment",
      "virement", accept ? "--accept-cgu" : NULL, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
}

static char *get(const char *doc, const char *path)
{
  char *v = rgs_json_get(doc, path);

  if (v == NULL)
    fail_msg("%s absent in:\n%s", path, doc);
  return v;
}

/* Private keys on the token, counted with pkcs11-tool. */
static int private_keys(fixture *f)
{
  const char *argv[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"), "--login",
                         "--pin", RGS_TEST_PIN, "--list-objects", "--type", "privkey", NULL };
  rgs_run_result r;
  const char *p;
  int n = 0;

  (void)f;     /* SOFTHSM2_CONF of this process names the fixture's token */
  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  for (p = r.out; (p = strstr(p, "Private Key Object")) != NULL; p++)
    n++;
  rgs_run_free(&r);
  return n;
}

static void test_start_order_binds(void **state)
{
  fixture *f = *state;
  rgs_run_result r, show;
  char *serial, *model, *uri, *spki, *v;

  new_order(f, "2", 1);
  run(f, &r, 1, "start", "--order", "1", "--out", f->csr, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = get(r.out, "csr.subject");
  assert_string_equal(v, "C = FR, O = BS AUTO, OU = 0002 732829320, CN = Frédéric SENEZ");
  free(v);
  v = get(r.out, "order.status");
  assert_string_equal(v, "csr-linked");
  free(v);
  serial = get(r.out, "token.serial");
  model = get(r.out, "token.model");
  uri = get(r.out, "key.uri");
  spki = get(r.out, "csr.spki_sha256");
  run(f, &show, 1, "order", "show", "1", NULL);
  rgs_assert_status(&show, RGS_EXIT_OK);
  v = get(show.out, "binding.token_serial");
  assert_string_equal(v, serial);
  free(v);
  v = get(show.out, "binding.token_model");
  assert_string_equal(v, model);
  free(v);
  v = get(show.out, "binding.key_uri");
  assert_string_equal(v, uri);
  free(v);
  v = get(show.out, "binding.spki_sha256");
  assert_string_equal(v, spki);
  free(v);
  v = get(show.out, "history.2.to");
  assert_string_equal(v, "key-generated");
  free(v);
  v = get(show.out, "history.3.to");
  assert_string_equal(v, "csr-linked");
  free(v);
  rgs_run_free(&show);
  rgs_run_free(&r);
  /* the email of the holder went into the request */
  {
    const char *argv[] = { rgs_env("OPENSSL_BIN"), "req", "-in", f->csr, "-noout", "-text", NULL };
    assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
    assert_contains(r.out, "email:f.senez@example.fr");
    rgs_run_free(&r);
  }
  /* the same key cannot serve a second order */
  new_order(f, "2", 1);
  run(f, &r, 0, "order", "link", "2", "--csr", f->csr, NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "bound to order 1");
  rgs_run_free(&r);
  /* text mode says where the order stands */
  {
    char csr2[700];
    snprintf(csr2, sizeof(csr2), "%s/second.csr", f->hsm.dir);
    run(f, &r, 0, "start", "--order", "2", "--out", csr2, NULL);
    rgs_assert_status(&r, RGS_EXIT_OK);
    assert_contains(r.out, "Request bound to order 2");
    rgs_run_free(&r);
  }
  free(serial);
  free(model);
  free(uri);
  free(spki);
}

/* In mid-2029, 1 year ends before 2031: RSA 2048 is allowed; 3 years end
 * after 2030: 3072 at least. The order says which. */
static void test_start_order_validity_decides_key_size(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char csr2[700], *v;

  new_order(f, "1", 1);
  new_order(f, "3", 1);
  run(f, &r, 1, "start", "--order", "1", "--out", f->csr, "--key-type", "rsa:2048", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = get(r.out, "key.bits");
  assert_string_equal(v, "2048");
  free(v);
  rgs_run_free(&r);
  snprintf(csr2, sizeof(csr2), "%s/three.csr", f->hsm.dir);
  run(f, &r, 0, "start", "--order", "2", "--out", csr2, "--key-type", "rsa:2048", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "3072");
  rgs_run_free(&r);
  run(f, &r, 1, "start", "--order", "2", "--out", csr2, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = get(r.out, "key.bits");
  assert_true(atoi(v) >= 3072 || strcmp(v, "256") == 0);
  free(v);
  rgs_run_free(&r);
  /* a --validity-years that contradicts the order is refused */
  run(f, &r, 0, "start", "--order", "1", "--out", csr2, "--validity-years", "3", "--force", NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  assert_contains(r.err, "differs from the validity of order 1");
  rgs_run_free(&r);
}

static void test_start_order_refused_before_the_token(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  new_order(f, "3", 0);             /* 1: a draft */
  new_order(f, "3", 1);             /* 2: ordered */
  run(f, &r, 0, "start", "--order", "1", "--out", f->csr, NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "order 1 is draft");
  rgs_run_free(&r);
  run(f, &r, 0, "start", "--order", "2", "--out", f->csr, "--cn", "Jean DUPONT", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "CN \"Jean DUPONT\"");
  rgs_run_free(&r);
  run(f, &r, 0, "start", "--order", "2", "--out", f->csr, "--siren", "552100554", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "552100554");
  rgs_run_free(&r);
  run(f, &r, 0, "start", "--order", "9", "--out", f->csr, NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  assert_contains(r.err, "no order 9");
  rgs_run_free(&r);
  run(f, &r, 0, "start", "--order", "x", "--out", f->csr, NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  rgs_run_free(&r);
  /* nothing reached the token, no request was written */
  assert_int_equal(private_keys(f), 0);
  assert_int_not_equal(access(f->csr, F_OK), 0);
  /* a subject given in full that matches is accepted */
  run(f, &r, 0, "start", "--order", "2", "--out", f->csr, "--subject",
      "CN=SENEZ Frédéric,OU=0002 732829320,O=Bs Auto,C=FR", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  assert_int_equal(private_keys(f), 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_start_order_binds, setup, teardown),
    cmocka_unit_test_setup_teardown(test_start_order_validity_decides_key_size, setup_2029, teardown),
    cmocka_unit_test_setup_teardown(test_start_order_refused_before_the_token, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
