/* SPDX-License-Identifier: BSD-3-Clause */
/* test_exit_doc.c - the exit statuses of rgs-enroll (rgs_exit.h) and the
 * EXIT STATUS section of rgs-enroll(1) say the same thing: every RGS_EXIT_*
 * value is documented there, and nothing else is; the same for the CODE DE
 * RETOUR section of the French page (doc/fr/rgs-enroll.1). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rgs_test.h"

#define MAX_CODE 64

/* The enum, as the compiler sees it. A name added to rgs_exit.h but not
 * here is caught by test_header_names_all_known. */
static const struct {
  const char *name;
  int value;
} exits[] = {
  { "RGS_EXIT_OK", RGS_EXIT_OK },           { "RGS_EXIT_CHECK", RGS_EXIT_CHECK },
  { "RGS_EXIT_USAGE", RGS_EXIT_USAGE },     { "RGS_EXIT_MODULE", RGS_EXIT_MODULE },
  { "RGS_EXIT_TOKEN", RGS_EXIT_TOKEN },     { "RGS_EXIT_PIN", RGS_EXIT_PIN },
  { "RGS_EXIT_STORE", RGS_EXIT_STORE },     { "RGS_EXIT_NETWORK", RGS_EXIT_NETWORK },
  { "RGS_EXIT_IO", RGS_EXIT_IO },           { "RGS_EXIT_INTERNAL", RGS_EXIT_INTERNAL },
};
#define N_EXITS (sizeof(exits) / sizeof(exits[0]))

#define EN_SECTION "\n.SH EXIT STATUS\n"
#define FR_SECTION "\n.SH CODE DE RETOUR\n"

/* The statuses that the section (EN_SECTION, FR_SECTION) documents: each
 * ".TP" followed by ".B N" and a line of text, up to the next ".SH".
 * count[n] is how many times n is documented; a ".B" that is not a number
 * in range is reported through *bad. Returns 0 when the section was found. */
static int documented_in(const char *man, const char *section, int count[MAX_CODE], int *bad)
{
  const char *p = strstr(man, section), *end;

  memset(count, 0, sizeof(int) * MAX_CODE);
  *bad = 0;
  if (p == NULL)
    return -1;
  p += strlen(section);
  end = strstr(p, "\n.SH ");
  if (end == NULL)
    end = p + strlen(p);
  while ((p = strstr(p, ".TP\n.B ")) != NULL && p < end) {
    char *after;
    long n;

    p += strlen(".TP\n.B ");
    n = strtol(p, &after, 10);
    if (after == p || *after != '\n' || n < 0 || n >= MAX_CODE || after[1] == '.' ||
        after[1] == '\n' || after[1] == '\0')
      (*bad)++;                 /* not a number, or a number without its text */
    else
      count[n]++;
  }
  return 0;
}

static int documented(const char *man, int count[MAX_CODE], int *bad)
{
  return documented_in(man, EN_SECTION, count, bad);
}

/* 0 when the documented statuses are exactly the enum's values, once each;
 * otherwise returns the number of differences, printed unless quiet. */
static int compare(const int count[MAX_CODE], int bad, int quiet)
{
  int in_enum[MAX_CODE] = { 0 }, n, diffs = bad;
  size_t i;

  for (i = 0; i < N_EXITS; i++)
    in_enum[exits[i].value] = 1;
  for (i = 0; i < N_EXITS; i++)
    if (count[exits[i].value] != 1) {
      if (!quiet)
        print_error("%s (%d) is documented %d times in EXIT STATUS\n", exits[i].name,
                    exits[i].value, count[exits[i].value]);
      diffs++;
    }
  for (n = 0; n < MAX_CODE; n++)
    if (count[n] > 0 && !in_enum[n]) {
      if (!quiet)
        print_error("EXIT STATUS documents %d, which no RGS_EXIT_* names\n", n);
      diffs++;
    }
  if (bad > 0 && !quiet)
    print_error("EXIT STATUS holds %d entries that are not a status and its text\n", bad);
  return diffs;
}

static char *source_file(const char *rel)
{
  char path[1024];

  snprintf(path, sizeof(path), "%s/%s", rgs_env("RGS_SOURCE_DIR"), rel);
  return rgs_read_file(path, NULL);
}

static void test_enum_is_dense(void **state)
{
  size_t i;

  (void)state;
  for (i = 0; i < N_EXITS; i++)
    assert_int_equal(exits[i].value, (int)i);
}

/* rgs_exit.h names no status that this test does not know (and so does
 * not compare with the man page). */
static void test_header_names_all_known(void **state)
{
  char *h = source_file("cli/rgs_exit.h");
  const char *p;
  size_t i, names = 0;

  (void)state;
  if (h == NULL)
    h = source_file("enroll/rgs_exit.h");
  assert_non_null(h);
  for (p = h; (p = strstr(p, "RGS_EXIT_")) != NULL; p++) {
    size_t len = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
    const char *q = p + len;
    int known = 0;

    while (*q == ' ')
      q++;
    if (*q != '=')
      continue;                 /* a mention, not a definition */
    names++;
    for (i = 0; i < N_EXITS; i++)
      if (strlen(exits[i].name) == len && strncmp(exits[i].name, p, len) == 0)
        known = 1;
    if (!known)
      fail_msg("rgs_exit.h defines %.*s, unknown to this test and to the man page check", (int)len,
               p);
  }
  assert_int_equal(names, N_EXITS);
  free(h);
}

static void test_man_page_documents_each_status(void **state)
{
  char *man = source_file("doc/rgs-enroll.1");
  int count[MAX_CODE], bad;

  (void)state;
  assert_non_null(man);
  assert_int_equal(documented(man, count, &bad), 0);
  assert_int_equal(compare(count, bad, 0), 0);
  free(man);
}

/* The French page, translated from the English one, documents the same. */
static void test_french_man_page_documents_each_status(void **state)
{
  char *man = source_file("doc/fr/rgs-enroll.1");
  int count[MAX_CODE], bad;

  (void)state;
  assert_non_null(man);
  assert_int_equal(documented_in(man, FR_SECTION, count, &bad), 0);
  assert_int_equal(compare(count, bad, 0), 0);
  assert_int_equal(documented_in(man, EN_SECTION, count, &bad), -1);   /* translated */
  free(man);
}

/* The check itself can fail: a status missing, one too many, one twice. */
static void test_check_sees_differences(void **state)
{
  static const char head[] = ".TH X 1\n.SH EXIT STATUS\n";
  static const char tail[] = ".PP\nMore text.\n.B 42\nnot an entry\n.SH SEE ALSO\n.TP\n.B 77\nx\n";
  char man[4096];
  int count[MAX_CODE], bad, n;
  size_t len;

  (void)state;
  len = (size_t)snprintf(man, sizeof(man), "%s", head);
  for (n = 0; n < (int)N_EXITS; n++)
    len += (size_t)snprintf(man + len, sizeof(man) - len, ".TP\n.B %d\nText %d.\n", n, n);
  snprintf(man + len, sizeof(man) - len, "%s", tail);
  assert_int_equal(documented(man, count, &bad), 0);
  assert_int_equal(compare(count, bad, 1), 0);       /* complete: no difference */

  man[len] = '\0';                                 /* one too many */
  snprintf(man + len, sizeof(man) - len, ".TP\n.B %d\nText.\n%s", (int)N_EXITS, tail);
  assert_int_equal(documented(man, count, &bad), 0);
  assert_int_equal(compare(count, bad, 1), 1);

  snprintf(man + len, sizeof(man) - len, ".TP\n.B 3\nAgain.\n%s", tail);   /* 3 twice */
  assert_int_equal(documented(man, count, &bad), 0);
  assert_int_equal(compare(count, bad, 1), 1);

  snprintf(man + len, sizeof(man) - len, ".TP\n.B many\nText.\n%s", tail); /* not a number */
  assert_int_equal(documented(man, count, &bad), 0);
  assert_int_equal(compare(count, bad, 1), 1);

  man[len] = '\0';
  *strstr(man, ".B 9\n") = '\0';                   /* the last status missing */
  assert_int_equal(documented(man, count, &bad), 0);
  assert_int_equal(compare(count, bad, 1), 1);

  assert_int_equal(documented(".TH X 1\n.SH DESCRIPTION\n", count, &bad), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_enum_is_dense),
    cmocka_unit_test(test_header_names_all_known),
    cmocka_unit_test(test_man_page_documents_each_status),
    cmocka_unit_test(test_french_man_page_documents_each_status),
    cmocka_unit_test(test_check_sees_differences),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
