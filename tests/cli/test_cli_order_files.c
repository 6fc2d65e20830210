/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_cli_order_files.c - default file names never collide between orders
 * (issue 13, "Command line conventions"): two orders enrolled in one
 * directory with start --order and submit and no --out, on a real SoftHSM2
 * token and the real rgs-enroll. Each order's request gets its own file,
 * named after the order and its CA reference (made safe for a file name);
 * without --order the old default stays.
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
  char db[600], policy[600], work[600], old_cwd[4096];
  const char *env[3];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));
  char mk[700];

  if (f == NULL || rgs_softhsm_init(&f->hsm, "cliconv-files") != 0)
    return -1;
  snprintf(f->db, sizeof(f->db), "%s/orders.db", f->hsm.dir);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  /* The holder's directory: every default file lands here (the child
   * processes inherit this process's working directory). */
  snprintf(f->work, sizeof(f->work), "%s/holder", f->hsm.dir);
  snprintf(mk, sizeof(mk), "mkdir -p '%s'", f->work);
  if (system(mk) != 0 || getcwd(f->old_cwd, sizeof(f->old_cwd)) == NULL || chdir(f->work) != 0)
    return -1;
  f->env[0] = "LC_ALL=C.UTF-8";
  f->env[1] = "RGS_ENROLL_NOW=2026-11-24";
  f->env[2] = NULL;
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  if (chdir(f->old_cwd) != 0)
    return -1;
  rgs_softhsm_cleanup(&f->hsm);
  free(f);
  return 0;
}

/* rgs-enroll --db --module --policy --pin-file ARGS... NULL */
static void run(fixture *f, rgs_run_result *r, ...)
{
  const char *args[48] = { "--db", f->db, "--module", rgs_env("SOFTHSM2_MODULE"), "--policy",
                           f->policy, "--pin-file", f->hsm.pin_file };
  size_t n = 8;
  const char *a;
  va_list ap;

  va_start(ap, r);
  while ((a = va_arg(ap, const char *)) != NULL && n < 47)
    args[n++] = a;
  va_end(ap);
  args[n] = NULL;
  assert_int_equal(rgs_enroll_v(r, f->env, NULL, args), 0);
}

static void new_order(fixture *f, const char *last_name, const char *ca_ref)
{
  rgs_run_result r;

  run(f, &r, "order", "new", "--partner", "CMA", "--validity", "2", "--holder-first-name",
      "Jean", "--holder-last-name", last_name, "--email", "j@example.fr", "--company", "ACME",
      "--siren", "732829320", "--payment", "virement", "--accept-cgu",
      ca_ref != NULL ? "--ca-ref" : NULL, ca_ref, NULL);
  rgs_expect(&r, RGS_EXIT_OK, NULL);
}

static int exists(const char *name)
{
  return access(name, F_OK) == 0;
}

/* The request in file name, as PEM text (free it); fails when absent. */
static char *request(const char *name)
{
  char *pem = rgs_read_file(name, NULL);

  if (pem == NULL)
    fail_msg("%s was not written", name);
  assert_contains(pem, "-----BEGIN CERTIFICATE REQUEST-----");
  return pem;
}

static void test_two_orders_one_directory(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *one, *two, *sent;

  new_order(f, "Dupont", NULL);
  new_order(f, "Martin", "CMD/2026:0042");

  run(f, &r, "start", "--order", "1", "--key-type", "ec:p256", NULL);
  rgs_expect(&r, RGS_EXIT_OK, "rgs-request-order-1.csr");
  /* Order 2 in the same directory: its own file, with its CA reference. */
  run(f, &r, "start", "--order", "2", "--key-type", "ec:p256", NULL);
  rgs_expect(&r, RGS_EXIT_OK, "rgs-request-order-2-CMD-2026-0042.csr");
  assert_false(exists("rgs-request.csr"));
  one = request("rgs-request-order-1.csr");
  two = request("rgs-request-order-2-CMD-2026-0042.csr");
  assert_string_not_equal(one, two);

  /* Run again, the order's file is there: refused, as before (no --force). */
  run(f, &r, "start", "--order", "1", "--key-type", "ec:p256", NULL);
  rgs_expect(&r, RGS_EXIT_IO, "rgs-request-order-1.csr");

  /* submit's file for the portal is the same name: found holding the same
   * request, left as it is. */
  run(f, &r, "--json", "submit", "2", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "file", "rgs-request-order-2-CMD-2026-0042.csr");
  rgs_run_free(&r);
  sent = request("rgs-request-order-2-CMD-2026-0042.csr");
  assert_string_equal(sent, two);
  free(sent);
  run(f, &r, "--json", "submit", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "file", "rgs-request-order-1.csr");
  rgs_run_free(&r);

  /* Without --order, the old default. */
  run(f, &r, "start", "--key-type", "ec:p256", "--cn", "Jean DUPONT", NULL);
  rgs_expect(&r, RGS_EXIT_OK, "rgs-request.csr");
  free(request("rgs-request.csr"));
  free(one);
  free(two);
}

/* --out still wins over the order's default name. */
static void test_out_given(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  new_order(f, "Durand", NULL);
  run(f, &r, "start", "--order", "3", "--key-type", "ec:p256", "--out", "mine.csr", NULL);
  rgs_expect(&r, RGS_EXIT_OK, "mine.csr");
  assert_false(exists("rgs-request-order-3.csr"));
  free(request("mine.csr"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_two_orders_one_directory),
    cmocka_unit_test(test_out_given),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
