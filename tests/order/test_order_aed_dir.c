/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_order_aed_dir.c - the AED directory file: the shipped one (the six
 * Bouches-du-Rhône offices of the seed), the CSV format, and errors that
 * name file:line.
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

#define HEADER "id,name,address,postal_code,city,department,phone,email\n"

static rgs_order_aed_dir *load_text(const char *text)
{
  rgs_order_aed_dir *dir = NULL;
  char err[512] = "";
  rgs_order_rc rc = rgs_order_aed_dir_load_mem(&dir, "test.csv", text, strlen(text), err, sizeof(err));

  if (rc != RGS_ORDER_OK)
    fail_msg("refused (%d): %s\n%s", (int)rc, err, text);
  assert_non_null(dir);
  return dir;
}

/* Loading must fail with a message that starts "test.csv:LINE: " and
 * contains `word`, and leave *dir as it was. */
static void assert_bad(const char *text, unsigned line, const char *word)
{
  rgs_order_aed_dir *dir = NULL;
  char err[512] = "", prefix[64];
  rgs_order_rc rc = rgs_order_aed_dir_load_mem(&dir, "test.csv", text, strlen(text), err, sizeof(err));

  snprintf(prefix, sizeof(prefix), "test.csv:%u: ", line);
  if (rc != RGS_ORDER_ERR_DIRECTORY)
    fail_msg("expected RGS_ORDER_ERR_DIRECTORY, got %d for:\n%s", (int)rc, text);
  assert_null(dir);
  if (strncmp(err, prefix, strlen(prefix)) != 0)
    fail_msg("message \"%s\" does not start with \"%s\"", err, prefix);
  if (word != NULL)
    assert_contains(err, word);
}

static void test_shipped_directory(void **state)
{
  const char *src = getenv("RGS_SOURCE_DIR");
  rgs_order_aed_dir *dir = NULL;
  char *path = NULL, err[512] = "";
  const rgs_order_aed *a;
  size_t i;

  (void)state;
  if (src == NULL) {
    print_message("RGS_SOURCE_DIR not set: skipped\n");
    skip();
  }
  assert_true(asprintf(&path, "%s/data/aed/offices.csv", src) > 0);
  if (rgs_order_aed_dir_load(&dir, path, err, sizeof(err)) != RGS_ORDER_OK)
    fail_msg("%s", err);
  assert_int_equal(rgs_order_aed_dir_count(dir), 6);
  for (i = 0; i < 6; i++)
    assert_string_equal(rgs_order_aed_dir_get(dir, i)->dept, "13");
  a = rgs_order_aed_dir_find(dir, "acthemis-arles");
  assert_non_null(a);
  assert_string_equal(a->name, "SELARL Acthemis");
  assert_string_equal(a->address, "29 Chemin de Séverin");
  assert_string_equal(a->postal_code, "13200");
  assert_string_equal(a->city, "ARLES");
  a = rgs_order_aed_dir_find(dir, "benedictis-coeffard-maurel-aix");
  assert_non_null(a);
  assert_string_equal(a->name, "SCP MATHIEU DE BENEDICTIS COEFFARD & MAUREL");
  assert_string_equal(a->postal_code, "13090");
  assert_non_null(rgs_order_aed_dir_find(dir, "synergie-marseille"));
  assert_non_null(rgs_order_aed_dir_find(dir, "gros-haillecourt-chetboun-saitel-salon"));
  a = rgs_order_aed_dir_find(dir, "acthemis-chateaurenard");
  assert_string_equal(a->city, "CHATEAURENARD CEDEX");
  assert_string_equal(a->postal_code, "13832");
  assert_non_null(rgs_order_aed_dir_find(dir, "synergie-la-ciotat"));
  assert_contains(rgs_order_aed_dir_get(dir, 0)->source, "offices.csv:");
  rgs_order_aed_dir_free(dir);
  free(path);
}

static void test_csv_format(void **state)
{
  rgs_order_aed_dir *dir;
  const rgs_order_aed *a;

  (void)state;
  dir = load_text("\xEF\xBB\xBF# comment\r\n\r\n"
                  "Department,ID,Name,Address,Postal_Code,City\r\n"
                  "13,x-1,\"Étude \"\"Le Port\"\", huissiers\",\"1 quai, du port\",13002,MARSEILLE\r\n"
                  "  2a , corse-1 , Étude , 1 cours Napoléon , 20000 , AJACCIO \n"
                  "# another comment\n"
                  "13,last,Étude,3 rue,13100,AIX");
  assert_int_equal(rgs_order_aed_dir_count(dir), 3);
  a = rgs_order_aed_dir_find(dir, "x-1");
  assert_string_equal(a->name, "Étude \"Le Port\", huissiers");
  assert_string_equal(a->address, "1 quai, du port");
  assert_string_equal(a->source, "test.csv:4");
  a = rgs_order_aed_dir_find(dir, "corse-1");
  assert_string_equal(a->dept, "2A");
  assert_string_equal(a->name, "Étude");
  assert_string_equal(a->city, "AJACCIO");
  assert_string_equal(a->phone, "");
  assert_string_equal(rgs_order_aed_dir_find(dir, "last")->source, "test.csv:7");
  rgs_order_aed_dir_free(dir);
}

/* A line break inside quotes is read as part of the field, and refused:
 * no field of an office may hold one. The record's first line is named. */
static void test_csv_quoted_newline(void **state)
{
  (void)state;
  assert_bad(HEADER "a,\"Étude\nsur deux lignes\",2 rue,13100,AIX,13,,\n", 2, "UTF-8 text");
}

static void test_replace_and_extend(void **state)
{
  static const char more[] = HEADER "b,Office B2,2 rue,13001,MARSEILLE,13,,\n"
                                    "c,Office C,3 rue,69001,LYON,69,,\n";
  static const char bad[] = HEADER "d,D,4 rue,13001,MARSEILLE,13,,\nbad\n";
  rgs_order_aed_dir *dir = NULL;
  char err[256];

  (void)state;
  dir = load_text(HEADER "a,Office A,1 rue,13001,MARSEILLE,13,04 91 00 00 00,a@example.fr\n"
                         "b,Office B,2 rue,13001,MARSEILLE,13,,\n");
  assert_int_equal(rgs_order_aed_dir_load_mem(&dir, "more.csv", more, strlen(more), err, sizeof(err)),
                   RGS_ORDER_OK);
  assert_int_equal(rgs_order_aed_dir_count(dir), 3);
  assert_string_equal(rgs_order_aed_dir_find(dir, "b")->name, "Office B2");
  assert_string_equal(rgs_order_aed_dir_find(dir, "a")->phone, "04 91 00 00 00");
  /* a bad file adds nothing to what is there */
  assert_int_equal(rgs_order_aed_dir_load_mem(&dir, "bad.csv", bad, strlen(bad), err, sizeof(err)),
                   RGS_ORDER_ERR_DIRECTORY);
  assert_int_equal(rgs_order_aed_dir_count(dir), 3);
  assert_null(rgs_order_aed_dir_find(dir, "d"));
  assert_contains(err, "bad.csv:3: ");
  assert_null(rgs_order_aed_dir_find(dir, "zz"));
  assert_null(rgs_order_aed_dir_get(dir, 3));
  rgs_order_aed_dir_free(dir);
}

static void test_csv_errors(void **state)
{
  (void)state;
  assert_bad("", 1, "header");
  assert_bad("# only a comment\n", 2, "header");
  assert_bad("id,name,address,postal_code,city\n", 1, "department");
  assert_bad("id,name,address,postal_code,city,department,fax\n", 1, "fax");
  assert_bad("id,name,id,address,postal_code,city,department\n", 1, "twice");
  assert_bad(HEADER "a,A,1 rue,13001,MARSEILLE,13\n", 2, "6 fields");
  assert_bad(HEADER "a,A,1 rue,13001,MARSEILLE,13,,\n"
                    "b,B,1 rue,13001,MARSEILLE,13,,,\n", 3, "9 fields");
  assert_bad(HEADER "\n\n# x\nA B,A,1 rue,13001,MARSEILLE,13,,\n", 5, "id 'A B'");
  assert_bad(HEADER "a,,1 rue,13001,MARSEILLE,13,,\n", 2, "non-empty");
  assert_bad(HEADER "a,A,1 rue,1300,MARSEILLE,13,,\n", 2, "postal code");
  assert_bad(HEADER "a,A,1 rue,69001,LYON,13,,\n", 2, "69001");
  assert_bad(HEADER "a,A,1 rue,13001,MARSEILLE,99,,\n", 2, "99");
  assert_bad(HEADER "a,A,1 rue,13001,MARSEILLE,13,not a phone,\n", 2, "not a phone");
  assert_bad(HEADER "a,A,1 rue,13001,MARSEILLE,13,,nobody\n", 2, "nobody");
  assert_bad(HEADER "a,A,1 rue,13001,MARSEILLE,13,,\n"
                    "a,A2,1 rue,13001,MARSEILLE,13,,\n", 3, "test.csv:2");
  assert_bad(HEADER "a,\"A,1 rue,13001,MARSEILLE,13,,\n", 2, "not closed");
  assert_bad(HEADER "a,\"A\"x,1 rue,13001,MARSEILLE,13,,\n", 2, "closing quote");
  assert_bad(HEADER "a,A\"B,1 rue,13001,MARSEILLE,13,,\n", 2, "quote");
  assert_bad(HEADER "a,Caf\xE9,1 rue,13001,MARSEILLE,13,,\n", 2, "UTF-8");
  assert_bad(HEADER "a,A,1 rue,13001,MARSEILLE,13,,\rb\n", 2, "carriage return");
}

static void test_binary_and_io(void **state)
{
  rgs_order_aed_dir *dir = NULL;
  static const char bin[] = "id,name\0garbage";
  char err[512];

  (void)state;
  assert_int_equal(rgs_order_aed_dir_load_mem(&dir, "test.csv", bin, sizeof(bin), err, sizeof(err)),
                   RGS_ORDER_ERR_DIRECTORY);
  assert_contains(err, "test.csv:1: ");
  assert_int_equal(rgs_order_aed_dir_load(&dir, "/nonexistent/aed.csv", err, sizeof(err)), RGS_ORDER_ERR_IO);
  assert_contains(err, "/nonexistent/aed.csv");
  assert_null(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_shipped_directory),
    cmocka_unit_test(test_csv_format),
    cmocka_unit_test(test_csv_quoted_newline),
    cmocka_unit_test(test_replace_and_extend),
    cmocka_unit_test(test_csv_errors),
    cmocka_unit_test(test_binary_and_io),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
