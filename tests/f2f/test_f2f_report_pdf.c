/* SPDX-License-Identifier: BSD-3-Clause */
/* test_f2f_report_pdf.c - issue 11: the PDF of f2f print is the report of
 * the face-to-face record ("compte rendu du face-à-face"), not a second
 * fiche d'intervention, and says so, in French too. The page is written in
 * process from a record and read back with poppler's pdftotext. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include "rgs_test.h"
#include "f2f.h"
#include "f2f_facts.h"
#include "f2f_pki.h"
#include "rgs_common.h"
#include "rgsx_i18n.h"

typedef struct {
  EVP_PKEY *ca_key, *aed_key, *holder_key;
  X509 *ca, *aed;
  char *dir;
  f2f_sample s;
} fixture;

static int setup(void **state)
{
  fixture *p = calloc(1, sizeof(*p));

  assert_non_null(p);
  p->ca_key = pki_key("ec");
  p->aed_key = pki_key("ec");
  p->holder_key = pki_key("ec");
  p->ca = pki_cert("Test CA", p->ca_key, NULL, p->ca_key, 1, NULL, NULL);
  p->aed = pki_cert("Jeanne DUPONT-LÉGER", p->aed_key, p->ca, p->ca_key, 0, NULL, NULL);
  assert_non_null(p->aed);
  p->dir = rgs_tmpdir();
  f2f_sample_init(&p->s, p->holder_key, p->aed);
  *state = p;
  return 0;
}

static int teardown(void **state)
{
  fixture *p = *state;

  rgs_rmrf(p->dir);
  free(p->dir);
  f2f_sample_free(&p->s);
  X509_free(p->aed);
  X509_free(p->ca);
  EVP_PKEY_free(p->ca_key);
  EVP_PKEY_free(p->aed_key);
  EVP_PKEY_free(p->holder_key);
  free(p);
  return 0;
}

/* The PDF's text as pdftotext reads it, ASCII letters lower-cased (accents
 * kept). */
static char *pdf_text(const char *path)
{
  const char *argv[] = { rgs_env("PDFTOTEXT"), "-enc", "UTF-8", path, "-", NULL };
  rgs_run_result r;
  char *text, *c;

  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  rgs_assert_status(&r, 0);
  text = strdup(r.out);
  assert_non_null(text);
  rgs_run_free(&r);
  /* Lines wrapped on the page become spaces again. */
  for (c = text; *c != '\0'; c++) {
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a');
    else if (*c == '\n')
      *c = ' ';
  }
  return text;
}

static void write_pdf(fixture *p, const char *path)
{
  rgs_cj *rec = rgs_f2f_record_build(&p->s.f);
  unsigned char sha[32];
  char err[256] = "";

  assert_non_null(rec);
  memset(sha, 0xab, sizeof(sha));
  if (rgs_f2f_pdf_write(rec, sha, path, err, sizeof(err)) != 0)
    fail_msg("pdf: %s", err);
  rgs_cj_free(rec);
}

static void test_report_in_french(void **state)
{
  fixture *p = *state;
  char path[600], locdir[600], *text, *slash;

  /* The messages as the command finds them, next to the built binary. */
  snprintf(locdir, sizeof(locdir), "%s", rgs_env("RGS_ENROLL_BIN"));
  slash = strrchr(locdir, '/');
  assert_non_null(slash);
  snprintf(slash, sizeof(locdir) - (size_t)(slash - locdir), "/locale");
  setenv("LANGUAGE", "fr", 1);
  setenv("LC_ALL", "C.UTF-8", 1);
  assert_non_null(setlocale(LC_ALL, ""));
  bindtextdomain(RGS_TEXTDOMAIN, locdir);
  bind_textdomain_codeset(RGS_TEXTDOMAIN, "UTF-8");
  snprintf(path, sizeof(path), "%s/compte-rendu.pdf", p->dir);
  write_pdf(p, path);
  text = pdf_text(path);
  assert_contains(text, "porteur et entreprise");     /* the page is in French */
  assert_contains(text, "compte rendu du face-à-face");
  assert_contains(text, "fiche d'intervention");
  assert_contains(text, "cmd-2026-0042");
  free(text);
}

static void test_report_in_english(void **state)
{
  fixture *p = *state;
  char path[600], *text;

  setenv("LANGUAGE", "en", 1);
  setenv("LC_ALL", "C.UTF-8", 1);
  assert_non_null(setlocale(LC_ALL, ""));
  snprintf(path, sizeof(path), "%s/report.pdf", p->dir);
  write_pdf(p, path);
  text = pdf_text(path);
  assert_contains(text, "face-to-face report");
  assert_contains(text, "it is not the fiche d'intervention");
  free(text);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_report_in_french, setup, teardown),
    cmocka_unit_test_setup_teardown(test_report_in_english, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
