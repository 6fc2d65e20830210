/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_order_aed_scale.c - the AED directory at 100 000 offices (issue 9,
 * item 12): the file is read whole, every office imported, a duplicate id
 * found at the end, and the offices of one département listed the same
 * through the store's index as through the whole directory, in the library
 * and through `aed import` / `aed list --dept`. Correctness only: no clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rgs_order.h"
#include "rgs_test.h"

#define N_OFFICES 100000
#define N_DEPTS 94               /* 01 to 95 but 20 (Corsica is 2A/2B) */

static const char *const env[] = { "RGS_ENROLL_NOW=2026-11-24", "LC_ALL=C.UTF-8", "LANGUAGE=en",
                                   NULL };

static void dept_of(int i, char out[3])
{
  int d = 1 + i % N_DEPTS;

  d = d >= 20 ? d + 1 : d;     /* 1 to 95 */
  out[0] = (char)('0' + d / 10);
  out[1] = (char)('0' + d % 10);
  out[2] = '\0';
}

/* A directory file of n offices, one département after the other; with
 * dup, the last line repeats the id of office 7. Free with free(). */
static char *make_csv(int n, int dup, size_t *len)
{
  size_t cap = (size_t)n * 160 + 256, o;
  char *t = malloc(cap), d[3];
  int i;

  assert_non_null(t);
  o = (size_t)snprintf(t, cap, "id,name,address,postal_code,city,department,phone,email\n");
  for (i = 1; i <= n; i++) {
    dept_of(i, d);
    o += (size_t)snprintf(t + o, cap - o,
                          "aed-%06d,\"Étude %d, commissaires de justice\",%d rue de la République,%s%03d,VILLE %d,%s,04 91 %02d %02d %02d,etude%d@example.fr\n",
                          dup && i == n ? 7 : i, i, i % 300 + 1, d, i % 1000, i, d, i % 100,
                          (i / 100) % 100, (i / 10000) % 100, i);
    assert_true(o < cap);
  }
  *len = o;
  return t;
}

static int in_dept(int n, const char *dept)
{
  char d[3];
  int i, count = 0;

  for (i = 1; i <= n; i++) {
    dept_of(i, d);
    count += strcmp(d, dept) == 0;
  }
  return count;
}

static void shipped_path(char *out, size_t len)
{
  snprintf(out, len, "%s/data/aed/offices.csv", rgs_env("RGS_SOURCE_DIR"));
}

/* ---- the library ------------------------------------------------------------- */

static void test_parse_100000(void **state)
{
  rgs_order_aed_dir *dir = NULL;
  const rgs_order_aed *a;
  char err[512], want[64];
  size_t len;
  char *csv = make_csv(N_OFFICES, 0, &len);

  (void)state;
  assert_true(len > 4 * 1024 * 1024);    /* beyond the old 4 MiB bound */
  if (rgs_order_aed_dir_load_mem(&dir, "big.csv", csv, len, err, sizeof(err)) != RGS_ORDER_OK)
    fail_msg("load: %s", err);
  assert_int_equal(rgs_order_aed_dir_count(dir), N_OFFICES);
  a = rgs_order_aed_dir_find(dir, "AED-099999");  /* any case */
  assert_non_null(a);
  assert_string_equal(a->name, "Étude 99999, commissaires de justice");
  assert_string_equal(a->source, "big.csv:100000");
  snprintf(want, sizeof(want), "aed-%06d", N_OFFICES);
  assert_string_equal(rgs_order_aed_dir_get(dir, N_OFFICES - 1)->id, want);
  assert_null(rgs_order_aed_dir_find(dir, "aed-000000"));
  /* loading it again on top replaces every office, adds none */
  assert_int_equal(rgs_order_aed_dir_load_mem(&dir, "again.csv", csv, len, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_aed_dir_count(dir), N_OFFICES);
  assert_string_equal(rgs_order_aed_dir_find(dir, "aed-000001")->source, "again.csv:2");
  rgs_order_aed_dir_free(dir);
  free(csv);
  /* a duplicate on the last line is found and named, nothing is added */
  dir = NULL;
  csv = make_csv(N_OFFICES, 1, &len);
  assert_int_equal(rgs_order_aed_dir_load_mem(&dir, "dup.csv", csv, len, err, sizeof(err)),
                   RGS_ORDER_ERR_DIRECTORY);
  assert_null(dir);
  assert_contains(err, "dup.csv:100001: ");
  assert_contains(err, "'aed-000007' already used at dup.csv:8");
  free(csv);
}

/* The offices of dept in the whole directory, in order, against the
 * département read through the index: the same ids in the same order. */
static void assert_same_dept(rgs_order_store *st, const char *shipped, const char *dept,
                             size_t want)
{
  rgs_order_aed_dir *all = NULL, *one = NULL;
  size_t i, k = 0;

  assert_int_equal(rgs_order_aed_directory(st, shipped, &all), RGS_ORDER_OK);
  assert_int_equal(rgs_order_aed_directory_dept(st, shipped, dept, &one), RGS_ORDER_OK);
  for (i = 0; i < rgs_order_aed_dir_count(all); i++) {
    const rgs_order_aed *a = rgs_order_aed_dir_get(all, i);
    if (strcmp(a->dept, dept) != 0)
      continue;
    assert_true(k < rgs_order_aed_dir_count(one));
    assert_string_equal(rgs_order_aed_dir_get(one, k)->id, a->id);
    assert_string_equal(rgs_order_aed_dir_get(one, k)->name, a->name);
    k++;
  }
  assert_int_equal(k, rgs_order_aed_dir_count(one));
  assert_int_equal(k, want);
  rgs_order_aed_dir_free(all);
  rgs_order_aed_dir_free(one);
}

static void test_import_100000(void **state)
{
  static const char moved[] = "id,name,address,postal_code,city,department\n"
                              "acthemis-arles,SELARL Acthemis,1 place Bellecour,69002,LYON,69\n";
  char *dir = rgs_tmpdir(), path[600], shipped[600], err[512];
  rgs_order_aed_dir *in = NULL, *all = NULL;
  rgs_order_store *st = NULL;
  size_t len;
  char *csv = make_csv(N_OFFICES, 0, &len);
  size_t in13 = (size_t)in_dept(N_OFFICES, "13");

  (void)state;
  shipped_path(shipped, sizeof(shipped));
  snprintf(path, sizeof(path), "%s/orders.db", dir);
  assert_int_equal(rgs_order_store_open(path, &st, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_aed_dir_load_mem(&in, "big.csv", csv, len, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_aed_import(st, in, 0), RGS_ORDER_OK);
  rgs_order_aed_dir_free(in);
  in = NULL;
  assert_int_equal(rgs_order_aed_directory(st, shipped, &all), RGS_ORDER_OK);
  assert_int_equal(rgs_order_aed_dir_count(all), N_OFFICES + 6);
  assert_string_equal(rgs_order_aed_dir_get(all, 6)->id, "aed-000001");
  rgs_order_aed_dir_free(all);
  /* the 6 shipped offices first, then the imported ones in file order */
  assert_same_dept(st, shipped, "13", in13 + 6);
  assert_same_dept(st, shipped, "69", (size_t)in_dept(N_OFFICES, "69"));
  assert_same_dept(st, shipped, "2A", 0);
  /* a shipped office that an import moved to Lyon leaves 13 for 69 */
  assert_int_equal(rgs_order_aed_dir_load_mem(&in, "moved.csv", moved, strlen(moved), err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_aed_import(st, in, 0), RGS_ORDER_OK);
  rgs_order_aed_dir_free(in);
  in = NULL;
  assert_same_dept(st, shipped, "13", in13 + 5);
  assert_same_dept(st, shipped, "69", (size_t)in_dept(N_OFFICES, "69") + 1);
  /* --replace: the shipped file is no longer read */
  assert_int_equal(rgs_order_aed_dir_load_mem(&in, "big.csv", csv, len, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_aed_import(st, in, 1), RGS_ORDER_OK);
  rgs_order_aed_dir_free(in);
  assert_same_dept(st, shipped, "13", in13);
  rgs_order_store_close(st);
  free(csv);
  rgs_rmrf(dir);
  free(dir);
}

/* ---- the commands ------------------------------------------------------------- */

static void test_commands_100000(void **state)
{
  char *dir = rgs_tmpdir(), db[600], file[600], want[64], *v;
  rgs_run_result r;
  size_t len;
  char *csv = make_csv(N_OFFICES, 0, &len);
  int in13 = in_dept(N_OFFICES, "13");

  (void)state;
  snprintf(db, sizeof(db), "%s/orders.db", dir);
  snprintf(file, sizeof(file), "%s/big.csv", dir);
  assert_int_equal(rgs_write_file(file, csv), 0);
  assert_int_equal(rgs_enroll(&r, env, NULL, "--db", db, "aed", "import", file, NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "100000 AED offices imported");
  rgs_run_free(&r);
  assert_int_equal(rgs_enroll(&r, env, NULL, "--db", db, "--json", "aed", "list", "--dept", "13", NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "count");
  snprintf(want, sizeof(want), "%d", in13 + 6);
  assert_string_equal(v, want);
  free(v);
  v = rgs_json_get(r.out, "offices.0.id");
  assert_string_equal(v, "acthemis-arles");   /* the shipped offices first */
  free(v);
  v = rgs_json_get(r.out, "offices.6.id");
  assert_string_equal(v, "aed-000012");       /* then the file's, in order */
  free(v);
  snprintf(want, sizeof(want), "offices.%d.source", in13 + 5);
  v = rgs_json_get(r.out, want);
  assert_non_null(v);
  assert_contains(v, "big.csv:99");
  free(v);
  rgs_run_free(&r);
  /* by postal code: the same département, that town first */
  assert_int_equal(rgs_enroll(&r, env, NULL, "--db", db, "--json", "aed", "list", "--postal-code", "13012", NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "count");
  snprintf(want, sizeof(want), "%d", in13 + 6);
  assert_string_equal(v, want);
  free(v);
  v = rgs_json_get(r.out, "offices.0.postal_code");
  assert_string_equal(v, "13012");
  free(v);
  rgs_run_free(&r);
  free(csv);
  rgs_rmrf(dir);
  free(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_parse_100000),
    cmocka_unit_test(test_import_100000),
    cmocka_unit_test(test_commands_100000),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
