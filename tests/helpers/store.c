/* SPDX-License-Identifier: BSD-3-Clause */
/* store.c - what the tests of the order commands share: a store in a fresh
 * directory, rgs-enroll run on it, and a JSON member checked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rgs_test.h"

int rgs_store_setup(void **state)
{
  rgs_store_fixture *f = calloc(1, sizeof(*f));

  if (f == NULL)
    return -1;
  f->dir = rgs_tmpdir();
  snprintf(f->db, sizeof(f->db), "%s/orders.db", f->dir);
  *state = f;
  return 0;
}

int rgs_store_teardown(void **state)
{
  rgs_store_fixture *f = *state;

  rgs_rmrf(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

void rgs_enroll_db_v(rgs_run_result *r, const char *const *env, const char *db, int json,
                     va_list ap)
{
  const char *args[64];
  size_t n = 0;
  const char *a;

  if (db != NULL) {
    args[n++] = "--db";
    args[n++] = db;
  }
  if (json)
    args[n++] = "--json";
  while ((a = va_arg(ap, const char *)) != NULL && n < 63)
    args[n++] = a;
  args[n] = NULL;
  assert_int_equal(rgs_enroll_v(r, env, NULL, args), 0);
}

void rgs_assert_json(const char *doc, const char *path, const char *want)
{
  char *v = rgs_json_get(doc, path);

  if (v == NULL || strcmp(v, want) != 0)
    fail_msg("%s = %s, expected %s, in:\n%s", path, v != NULL ? v : "(absent)", want, doc);
  free(v);
}
