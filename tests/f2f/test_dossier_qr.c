/* SPDX-License-Identifier: BSD-3-Clause */
/* test_dossier_qr.c - the dossier's short form (order qr): its text for an
 * order bound to a real request (fields, fingerprints computed here with
 * OpenSSL), a CA reference that tries to forge a field, an unreadable
 * request; the terminal QR code read back into modules, written as a PBM
 * image and decoded by zbarimg to the same text; the command's usage
 * through the lean rgs-enroll (handed to rgs-enroll-full). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include "rgs_test.h"
#include "dossier.h"
#include "rgs_common.h"

#define REF "CMD-2026-0042"

typedef struct {
  rgs_order o;
  rgs_order_binding b;
  char csr_hex[65];
} fixture;

/* A P-256 key and its request, in PEM; the SPKI and DER fingerprints. */
static void make_request(fixture *f)
{
  EVP_PKEY *k = EVP_EC_gen("P-256");
  X509_REQ *req = X509_REQ_new();
  X509_NAME *n = X509_NAME_new();
  unsigned char *der = NULL, md[32];
  BIO *bio = BIO_new(BIO_s_mem());
  char *pem;
  long plen;
  int len;

  assert_non_null(k);
  assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
                                              (const unsigned char *)"Martin", -1, -1, 0), 1);
  assert_int_equal(X509_REQ_set_subject_name(req, n), 1);
  assert_int_equal(X509_REQ_set_pubkey(req, k), 1);
  assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
  len = i2d_X509_REQ(req, &der);
  assert_true(len > 0);
  SHA256(der, (size_t)len, md);
  rgsx_hex(md, 32, f->csr_hex);
  OPENSSL_free(der);
  der = NULL;
  len = i2d_PUBKEY(k, &der);
  assert_true(len > 0);
  SHA256(der, (size_t)len, md);
  rgsx_hex(md, 32, f->b.spki_sha256);
  OPENSSL_free(der);
  assert_int_equal(PEM_write_bio_X509_REQ(bio, req), 1);
  plen = BIO_get_mem_data(bio, &pem);
  f->b.csr_pem = strndup(pem, (size_t)plen);
  assert_non_null(f->b.csr_pem);
  BIO_free(bio);
  X509_NAME_free(n);
  X509_REQ_free(req);
  EVP_PKEY_free(k);
}

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  if (f == NULL)
    return -1;
  f->o.id = 42;
  snprintf(f->o.ca_ref, sizeof(f->o.ca_ref), "%s", REF);
  snprintf(f->o.first_name, sizeof(f->o.first_name), "%s", "\xc3\x89lodie");
  snprintf(f->o.last_name, sizeof(f->o.last_name), "%s", "Martin");
  snprintf(f->b.token_serial, sizeof(f->b.token_serial), "%s", "0a1b2c3d4e5f");
  make_request(f);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  free(f->b.csr_pem);
  free(f);
  return 0;
}

static size_t count_char(const char *s, char c)
{
  size_t n = 0;

  for (; *s != '\0'; s++)
    n += *s == c;
  return n;
}

/* Every field, the fingerprints OpenSSL computes, the name percent-encoded. */
static void test_short_text_fields(void **state)
{
  fixture *f = *state;
  char *want = NULL, *text = rgs_dossier_short_text(&f->o, &f->b);

  assert_non_null(text);
  assert_true(asprintf(&want,
                       "RGS-DOSSIER/1;order=42;ref=" REF ";spki=%s;csr=%s;serial=0a1b2c3d4e5f;"
                       "name=%%C3%%89lodie%%20Martin",
                       f->b.spki_sha256, f->csr_hex) > 0);
  assert_string_equal(text, want);
  /* small enough for a QR code read off paper by a phone */
  assert_true(strlen(text) < 400);
  free(want);
  free(text);
}

/* A CA reference with ';' and '=' stays one value: no forged field. */
static void test_forged_ref_encoded(void **state)
{
  fixture *f = *state;
  char *text;

  snprintf(f->o.ca_ref, sizeof(f->o.ca_ref), "%s", "X;spki=00;serial=evil");
  text = rgs_dossier_short_text(&f->o, &f->b);
  assert_non_null(text);
  assert_non_null(strstr(text, ";ref=X%3Bspki%3D00%3Bserial%3Devil;"));
  assert_int_equal(count_char(text, ';'), 6);
  assert_int_equal(count_char(text, '='), 6);
  assert_null(strstr(text, ";spki=00"));
  assert_null(strstr(text, ";serial=evil"));
  free(text);
  snprintf(f->o.ca_ref, sizeof(f->o.ca_ref), "%s", REF);
}

/* A request that does not read gives no short form (not one without csr=). */
static void test_bad_request(void **state)
{
  fixture *f = *state;
  char *saved = f->b.csr_pem;

  f->b.csr_pem = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
  assert_null(rgs_dossier_short_text(&f->o, &f->b));
  f->b.csr_pem = NULL;
  assert_null(rgs_dossier_short_text(&f->o, &f->b));
  f->b.csr_pem = saved;
}

/* The terminal rendering back into modules: 1 light, 0 dark, rows * cols. */
static unsigned char *read_blocks(const char *qr, int *rows, int *cols)
{
  unsigned char *m = calloc(258 * 256, 1); /* rows * stride of 256 */
  int r = 0, c = 0, width = -1;
  const char *p = qr;

  assert_non_null(m);
  while (*p != '\0') {
    int up, down;
    if (*p == '\n') {
      if (width < 0)
        width = c;
      assert_int_equal(c, width);
      r += 2;
      c = 0;
      p++;
      continue;
    }
    if (*p == ' ') {
      up = 0, down = 0, p++;
    } else {
      assert_true((unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x96);
      switch ((unsigned char)p[2]) {
      case 0x84: up = 0, down = 1; break;
      case 0x80: up = 1, down = 0; break;
      case 0x88: up = 1, down = 1; break;
      default: fail_msg("unexpected character in the QR code"); return NULL;
      }
      p += 3;
    }
    /* the matrix is written with a stride of 256 columns */
    assert_true(c < 256 && r < 256);
    m[r * 256 + c] = (unsigned char)up;
    m[(r + 1) * 256 + c] = (unsigned char)down;
    c++;
  }
  *rows = r;
  *cols = width;
  return m;
}

/* The QR code on the terminal decodes to the text (zbarimg on a PBM made
 * from the half blocks, four pixels a module). */
static void test_terminal_qr_decodes(void **state)
{
  fixture *f = *state;
  char *text = rgs_dossier_short_text(&f->o, &f->b), *qr, *dir, pbm[600];
  unsigned char *m;
  int rows, cols, r, c, s = 4;
  FILE *fp;
  rgs_run_result res;

  assert_non_null(text);
  qr = rgs_dossier_qr_terminal(text);
  assert_non_null(qr);
  m = read_blocks(qr, &rows, &cols);
  /* a QR code is 21 + 4k modules, plus 4 of quiet zone each side; the last
   * line's lower half is off the code */
  assert_int_equal((cols - 8 - 21) % 4, 0);
  assert_int_equal(rows, cols + 1);
  /* the quiet zone is light, the finder's corner dark */
  assert_int_equal(m[0], 1);
  assert_int_equal(m[4 * 256 + 4], 0);
  /* fits an 80-column terminal */
  assert_true(cols <= 80);

  dir = rgs_tmpdir();
  snprintf(pbm, sizeof(pbm), "%s/qr.pbm", dir);
  fp = fopen(pbm, "w");
  assert_non_null(fp);
  fprintf(fp, "P1\n%d %d\n", cols * s, cols * s);
  for (r = 0; r < cols * s; r++) {
    for (c = 0; c < cols * s; c++)
      fputs(m[(r / s) * 256 + c / s] ? "0" : "1", fp); /* PBM: 1 is black */
    fputc('\n', fp);
  }
  assert_int_equal(fclose(fp), 0);
  {
    const char *argv[] = { rgs_env("ZBARIMG"), "--raw", "-q", pbm, NULL };
    assert_int_equal(rgs_run(argv, NULL, NULL, &res), 0);
  }
  if (res.status != 0)
    fail_msg("zbarimg failed (%d): %s", res.status, res.err);
  /* zbarimg ends the symbol with a newline */
  assert_true(strlen(res.out) == strlen(text) + 1);
  assert_memory_equal(res.out, text, strlen(text));
  rgs_run_free(&res);
  rgs_rmrf(dir);
  free(dir);
  free(m);
  free(qr);
  free(text);
}

/* A text too long for any QR code: NULL, not a truncated code. */
static void test_too_long(void **state)
{
  char *big = malloc(8000);

  (void)state;
  assert_non_null(big);
  memset(big, 'A', 7999);
  big[7999] = '\0';
  assert_null(rgs_dossier_qr_terminal(big));
  free(big);
}

/* order qr through the lean binary: its usage and its refusals. */
static void test_cli_usage(void **state)
{
  rgs_run_result r;

  (void)state;
  assert_int_equal(rgs_enroll(&r, NULL, NULL, "order", "qr", "--help", NULL), 0);
  rgs_expect(&r, RGS_EXIT_OK, "Usage: rgs-enroll order qr ID");
  assert_int_equal(rgs_enroll(&r, NULL, NULL, "order", "qr", NULL), 0);
  rgs_expect(&r, RGS_EXIT_USAGE, "the order number is missing");
  assert_int_equal(rgs_enroll(&r, NULL, NULL, "order", "qr", "1", "2", NULL), 0);
  rgs_expect(&r, RGS_EXIT_USAGE, "one order number only");
}

/* What order qr prints reads back field for field, the forged reference
 * and the accented name included; a scanner's prefix and line end too. */
static void test_short_form_reads_back(void **state)
{
  fixture *f = *state;
  rgs_dossier_short sf;
  char err[200] = "", *text, *scanned = NULL;

  snprintf(f->o.ca_ref, sizeof(f->o.ca_ref), "%s", "X;spki=00;serial=evil");
  text = rgs_dossier_short_text(&f->o, &f->b);
  assert_non_null(text);
  assert_int_equal(rgs_dossier_short_parse(text, &sf, err, sizeof(err)), RGS_F2F_OK);
  assert_int_equal(sf.order, 42);
  assert_string_equal(sf.ref, "X;spki=00;serial=evil");
  assert_string_equal(sf.spki, f->b.spki_sha256);
  assert_string_equal(sf.csr, f->csr_hex);
  assert_string_equal(sf.serial, "0a1b2c3d4e5f");
  assert_string_equal(sf.name, "\xc3\x89lodie Martin");
  assert_true(asprintf(&scanned, "QR-Code:%s\r\n", text) > 0);
  assert_int_equal(rgs_dossier_short_parse(scanned, &sf, err, sizeof(err)), RGS_F2F_OK);
  assert_string_equal(sf.name, "\xc3\x89lodie Martin");
  free(scanned);
  free(text);
  snprintf(f->o.ca_ref, sizeof(f->o.ca_ref), "%s", REF);
}

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define GOOD "RGS-DOSSIER/1;order=7;ref=R1;spki=" H64 ";csr=" H64 ";serial=AB12;name=A%20B"

/* Each hostile form is refused, and the reason names the field. */
static void test_short_form_refused(void **state)
{
  static const struct {
    const char *text, *why;
  } cases[] = {
    { "RGS-DOSSIER/2;order=7", "RGS-DOSSIER/1" },
    { "hello", "RGS-DOSSIER/1" },
    { "", "RGS-DOSSIER/1" },
    { GOOD ";result=success", "'result'" },
    { GOOD ";name=C", "'name'" },
    { "RGS-DOSSIER/1;order=7;ref=R1;spki=" H64 ";csr=" H64 ";name=A", "'serial'" },
    { "RGS-DOSSIER/1;order=0;ref=R1;spki=" H64 ";csr=" H64 ";serial=1;name=A", "'order'" },
    { "RGS-DOSSIER/1;order=7x;ref=R1;spki=" H64 ";csr=" H64 ";serial=1;name=A", "'order'" },
    { "RGS-DOSSIER/1;order=7;ref=R1;spki=00;csr=" H64 ";serial=1;name=A", "'spki'" },
    { "RGS-DOSSIER/1;order=7;ref=R1;spki=" H64 ";csr=" H64 "zz;serial=1;name=A", "'csr'" },
    { "RGS-DOSSIER/1;order=7;ref=R%00X;spki=" H64 ";csr=" H64 ";serial=1;name=A", "'ref'" },
    { "RGS-DOSSIER/1;order=7;ref=R1;spki=" H64 ";csr=" H64 ";serial=1;name=A%0AB", "'name'" },
    { "RGS-DOSSIER/1;order=7;ref=R1;spki=" H64 ";csr=" H64 ";serial=1;name=%E2%80%AEB", "'name'" },
    { "RGS-DOSSIER/1;order=7;ref=R1;spki=" H64 ";csr=" H64 ";serial=1;name=%C3", "'name'" },
    { "RGS-DOSSIER/1;order=7;ref=R1;spki=" H64 ";csr=" H64 ";serial=1;name=A%4", "'name'" },
    { "RGS-DOSSIER/1;order=7;ref=R1;spki=" H64 ";csr=" H64 ";serial=;name=A", "'serial'" },
    { "RGS-DOSSIER/1;order=7;ref=R 1;spki=" H64 ";csr=" H64 ";serial=1;name=A", "'ref'" },
    { "RGS-DOSSIER/1;order=7;noequals;spki=" H64, "'noequals'" },
  };
  rgs_dossier_short sf;
  char err[200];
  size_t i;

  (void)state;
  assert_int_equal(rgs_dossier_short_parse(GOOD, &sf, err, sizeof(err)), RGS_F2F_OK);
  assert_string_equal(sf.name, "A B");
  for (i = 0; i < RGS_ARRAY_LEN(cases); i++) {
    err[0] = '\0';
    if (rgs_dossier_short_parse(cases[i].text, &sf, err, sizeof(err)) != RGS_F2F_ERR_FORMAT)
      fail_msg("accepted: %s", cases[i].text);
    if (strstr(err, cases[i].why) == NULL)
      fail_msg("%s: reason '%s' does not name %s", cases[i].text, err, cases[i].why);
  }
}

/* Upper-case fingerprints (some scanners) are the same fingerprints. */
static void test_short_form_upper_hex(void **state)
{
  rgs_dossier_short sf;
  char err[200];

  (void)state;
  assert_int_equal(rgs_dossier_short_parse("RGS-DOSSIER/1;order=7;ref=R1;spki="
                                           "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
                                           ";csr=" H64 ";serial=1;name=A",
                                           &sf, err, sizeof(err)),
                   RGS_F2F_OK);
  assert_string_equal(sf.spki, H64);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_short_text_fields),
    cmocka_unit_test(test_forged_ref_encoded),
    cmocka_unit_test(test_bad_request),
    cmocka_unit_test(test_terminal_qr_decodes),
    cmocka_unit_test(test_too_long),
    cmocka_unit_test(test_cli_usage),
    cmocka_unit_test(test_short_form_reads_back),
    cmocka_unit_test(test_short_form_refused),
    cmocka_unit_test(test_short_form_upper_hex),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
