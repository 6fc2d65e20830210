/* SPDX-License-Identifier: BSD-3-Clause */
/* test_remind_install.c - `install` records the dates of the certificate it
 * installs (before any status or remind looks), and `status` shows them:
 * a real SoftHSM2 token, the real command, a certificate from the test's
 * own CA for the key made on the token by `start --order`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sqlite3.h>
#include "rgs_order.h"
#include "rgs_test.h"
#include "testpki.h"

#define YEAR (365L * TPKI_DAY)
#define SIREN "732829320"
#define SUBJECT "C=FR,O=ACME,OU=0002 " SIREN ",CN=Jean DUPONT"

typedef struct {
  rgs_softhsm hsm;
  char policy[600], db[600], csr[600], cert[600], ca_file[600];
  tpki_ca root, inter;
} fixture;

static const char *const utc_env[] = { "TZ=UTC", NULL };

#define ENROLL(r, f, ...)                                                                    \
  rgs_enroll((r), utc_env, NULL, "--db", (f)->db, "--policy", (f)->policy, "--pin-file",     \
             (f)->hsm.pin_file, __VA_ARGS__, NULL)

static void ok_run(rgs_run_result *r)
{
  rgs_assert_status(r, RGS_EXIT_OK);
  rgs_run_free(r);
}

/* A verified face-to-face record of the bound key, as the AED's session
 * leaves it in the store (the f2f commands are tested elsewhere). */
static void record_face_to_face(fixture *f)
{
  static const unsigned char cms[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
  rgs_order_store *st = NULL;
  rgs_order_binding b;
  char err[256], now[32], today[16];
  time_t t = time(NULL);
  struct tm tm;
  int found = 0;

  strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
  strftime(today, sizeof(today), "%Y-%m-%d", &tm);
  assert_int_equal(rgs_order_store_open_existing(f->db, &st, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_binding_get(st, 1, &b, &found), RGS_ORDER_OK);
  assert_true(found);
  {
    rgs_order_f2f_input in = { cms, sizeof(cms),
                               "0000000000000000000000000000000000000000000000000000000000000000",
                               b.spki_sha256, now, today, 1, 1, NULL, NULL, "Test AED" };
    assert_int_equal(rgs_order_f2f_add(st, 1, &in, NULL), RGS_ORDER_OK);
  }
  rgs_order_binding_clear(&b);
  rgs_order_store_close(st);
}

/* Order 1 with its key on the token, as it is when the CA issues. */
static void order_ready_for_install(fixture *f)
{
  char today[16], extract[16];
  time_t now = time(NULL), then = now - 10 * TPKI_DAY;
  struct tm tm;
  rgs_run_result r;

  strftime(today, sizeof(today), "%Y-%m-%d", gmtime_r(&now, &tm));
  strftime(extract, sizeof(extract), "%Y-%m-%d", gmtime_r(&then, &tm));
  ENROLL(&r, f, "order", "new", "--partner", "cma", "--holder-first-name", "Jean",
         "--holder-last-name", "Dupont", "--email", "jean.dupont@example.fr", "--company", "ACME",
         "--siren", SIREN, "--payment", "carte", "--accept-cgu");
  ok_run(&r);
  ENROLL(&r, f, "start", "--order", "1", "--key-type", "ec:p256", "--out", f->csr);
  ok_run(&r);
  ENROLL(&r, f, "order", "set", "1", "--status", "submitted");
  ok_run(&r);
  record_face_to_face(f);
  ENROLL(&r, f, "order", "docs", "1", "--set", "request-form", "--state", "ready");
  ok_run(&r);
  ENROLL(&r, f, "order", "docs", "1", "--set", "intervention-form", "--state", "ready");
  ok_run(&r);
  ENROLL(&r, f, "order", "docs", "1", "--set", "id-document", "--expires", "2035-01-01");
  ok_run(&r);
  ENROLL(&r, f, "order", "docs", "1", "--set", "registration-extract", "--date", extract);
  ok_run(&r);
  ENROLL(&r, f, "order", "docs", "1", "--sent", today);
  ok_run(&r);
}

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "remind"), 0);
  setenv("RGS_ENROLL_MODULE", rgs_env("SOFTHSM2_MODULE"), 1);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->db, sizeof(f->db), "%s/orders.db", f->hsm.dir);
  snprintf(f->csr, sizeof(f->csr), "%s/req.csr", f->hsm.dir);
  snprintf(f->cert, sizeof(f->cert), "%s/cert.pem", f->hsm.dir);
  snprintf(f->ca_file, sizeof(f->ca_file), "%s/ca.pem", f->hsm.dir);
  assert_int_equal(tpki_ca_new(&f->root, "Test Root", NULL, 3650), 0);
  assert_int_equal(tpki_ca_new(&f->inter, "Test Issuing CA", &f->root, 3000), 0);
  {
    X509 *anchors[] = { f->root.cert, NULL };
    assert_int_equal(tpki_write_pem(f->ca_file, anchors), 0);
  }
  order_ready_for_install(f);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  tpki_ca_free(&f->root);
  tpki_ca_free(&f->inter);
  rgs_softhsm_cleanup(&f->hsm);
  free(f);
  return 0;
}

/* The recorded end of order 1 and its reminder, "" when no row. */
static void recorded(fixture *f, char *not_after, size_t len, int *reminded_null)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;

  not_after[0] = '\0';
  *reminded_null = -1;
  assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT not_after, reminded IS NULL FROM cert_dates"
                                          " WHERE order_id = 1", -1, &st, NULL), SQLITE_OK);
  if (sqlite3_step(st) == SQLITE_ROW) {
    snprintf(not_after, len, "%s", (const char *)sqlite3_column_text(st, 0));
    *reminded_null = sqlite3_column_int(st, 1);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
}

static void test_install_records_the_dates(void **state)
{
  fixture *f = *state;
  time_t now = time(NULL), end = now - TPKI_DAY + 3 * YEAR;
  tpki_leaf spec = { SUBJECT, now - TPKI_DAY, end, NULL, 0, 0, NULL, NULL, 0 };
  EVP_PKEY *pub = tpki_csr_pubkey(f->csr);
  char want[32], got[32], iso[40], *v;
  X509 *leaf, *certs[3];
  rgs_run_result r;
  struct tm tm;
  long before, after, days;
  int reminded_null;

  assert_non_null(pub);
  leaf = tpki_issue(&f->inter, pub, &spec);
  assert_non_null(leaf);
  certs[0] = leaf;
  certs[1] = f->inter.cert;
  certs[2] = NULL;
  assert_int_equal(tpki_write_pem(f->cert, certs), 0);
  recorded(f, got, sizeof(got), &reminded_null);
  assert_string_equal(got, "");
  ENROLL(&r, f, "install", "1", "--cert", f->cert, "--ca-file", f->ca_file);
  ok_run(&r);
  /* Recorded by install itself, no reminder given yet. */
  strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&end, &tm));
  recorded(f, got, sizeof(got), &reminded_null);
  assert_string_equal(got, want);
  assert_int_equal(reminded_null, 1);
  /* status says it in days (today may turn during the run: either day). */
  before = (long)(end / 86400) - (long)(time(NULL) / 86400);
  ENROLL(&r, f, "--json", "status", "1");
  after = (long)(end / 86400) - (long)(time(NULL) / 86400);
  rgs_assert_status(&r, RGS_EXIT_OK);
  strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S+00:00", gmtime_r(&end, &tm));
  rgs_assert_json(r.out, "orders.0.certificate.not_after", iso);
  v = rgs_json_get(r.out, "orders.0.certificate.days_left");
  assert_non_null(v);
  days = strtol(v, NULL, 10);
  free(v);
  assert_true(days == before || days == after);
  assert_true(days > 1000);
  rgs_run_free(&r);
  ENROLL(&r, f, "status", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "  Certificate: ends on ");
  rgs_run_free(&r);
  X509_free(leaf);
  EVP_PKEY_free(pub);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_install_records_the_dates, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
