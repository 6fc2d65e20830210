/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_order_procedure.c - issue 11, "a status that follows the procedure"
 * and "two paths, said plainly": the real rgs-enroll on a SoftHSM2 token and
 * a CA made by the test. An order installed without a face-to-face record
 * keeps saying what remains; documents can be recorded after the
 * installation; a certificate kept with the order that install refuses
 * leaves status saying why, not "install"; order new says it records an
 * order placed on the portal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <cmocka.h>

#include "rgs_test.h"
#include "rgs_common.h"
#include "rgs_order.h"
#include "testpki.h"

#define YEAR (365L * TPKI_DAY)
#define SUBJECT "C=FR,O=ACME,OU=0002 732829320,CN=Jean Dupont"

typedef struct {
  rgs_softhsm hsm;
  char policy[600], db[600], csr[600], ca_file[600];
  tpki_ca root, inter;
  EVP_PKEY *pub;                /* the key of order 1, on the token */
} fixture;

#define ENROLL(r, f, ...)                                                                    \
  rgs_enroll((r), NULL, NULL, "--db", (f)->db, "--policy", (f)->policy, "--pin-file",        \
             (f)->hsm.pin_file, __VA_ARGS__, NULL)

static void ok_run(rgs_run_result *r)
{
  rgs_assert_status(r, RGS_EXIT_OK);
  rgs_run_free(r);
}

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));
  rgs_run_result r;

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "procedure"), 0);
  setenv("RGS_ENROLL_MODULE", rgs_env("SOFTHSM2_MODULE"), 1);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->db, sizeof(f->db), "%s/orders.db", f->hsm.dir);
  snprintf(f->csr, sizeof(f->csr), "%s/req.csr", f->hsm.dir);
  snprintf(f->ca_file, sizeof(f->ca_file), "%s/ca.pem", f->hsm.dir);
  assert_int_equal(tpki_ca_new(&f->root, "Test Root", NULL, 3650), 0);
  assert_int_equal(tpki_ca_new(&f->inter, "Test Issuing CA", &f->root, 3000), 0);
  {
    X509 *anchors[] = { f->root.cert, NULL };
    assert_int_equal(tpki_write_pem(f->ca_file, anchors), 0);
  }
  ENROLL(&r, f, "order", "new", "--partner", "cma", "--holder-first-name", "Jean",
         "--holder-last-name", "Dupont", "--email", "jean.dupont@example.fr", "--company", "ACME",
         "--siren", "732829320", "--payment", "carte", "--accept-cgu");
  ok_run(&r);
  ENROLL(&r, f, "start", "--order", "1", "--key-type", "ec:p256", "--out", f->csr);
  ok_run(&r);
  ENROLL(&r, f, "order", "set", "1", "--status", "submitted");
  ok_run(&r);
  f->pub = tpki_csr_pubkey(f->csr);
  assert_non_null(f->pub);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  if (f == NULL)
    return 0;
  EVP_PKEY_free(f->pub);
  tpki_ca_free(&f->root);
  tpki_ca_free(&f->inter);
  rgs_softhsm_cleanup(&f->hsm);
  free(f);
  return 0;
}

/* What submit --est keeps when the CA answers with a certificate: a
 * certificate for pub (NULL: the order's key), with its chain, received
 * at `at` (0: now). */
static void cert_from_est(fixture *f, EVP_PKEY *pub, time_t at)
{
  time_t now = time(NULL);
  tpki_leaf spec = { SUBJECT, now - TPKI_DAY, now - TPKI_DAY + 3 * YEAR, NULL, 0, 0, NULL, NULL, 0 };
  X509 *leaf = tpki_issue(&f->inter, pub != NULL ? pub : f->pub, &spec);
  BIO *b = BIO_new(BIO_s_mem());
  rgs_order_store *st = NULL;
  char err[256], *pem;
  long len;

  assert_non_null(leaf);
  assert_non_null(b);
  assert_int_equal(PEM_write_bio_X509(b, leaf), 1);
  assert_int_equal(PEM_write_bio_X509(b, f->inter.cert), 1);
  assert_int_equal(BIO_write(b, "", 1), 1);
  len = BIO_get_mem_data(b, &pem);
  assert_true(len > 0);
  assert_int_equal(rgs_order_store_open_existing(f->db, &st, err, sizeof(err)), RGS_ORDER_OK);
  if (at != 0)
    rgs_order_store_set_now(st, at);
  assert_int_equal(rgs_order_cert_received(st, 1, pem, NULL, "est"), RGS_ORDER_OK);
  rgs_order_store_close(st);
  BIO_free(b);
  X509_free(leaf);
}

/* 1 when a history line of order 1 contains text. */
static int history_says(fixture *f, const char *text)
{
  rgs_order_store *st = NULL;
  rgs_order_event *ev = NULL;
  size_t n = 0, i;
  char err[256];
  int found = 0;

  assert_int_equal(rgs_order_store_open_existing(f->db, &st, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_history(st, 1, &ev, &n), RGS_ORDER_OK);
  for (i = 0; i < n; i++)
    if (strstr(ev[i].note, text) != NULL)
      found = 1;
  free(ev);
  rgs_order_store_close(st);
  return found;
}

static void today(char *out, size_t len, long days_ago)
{
  time_t t = time(NULL) - days_ago * TPKI_DAY;
  struct tm tm;

  strftime(out, len, "%Y-%m-%d", gmtime_r(&t, &tm));
}

/* Submitted, then installed with no face-to-face and no documents: allowed
 * (the CA issued), but the history says so and status keeps listing what
 * remains instead of "nothing left to do". */
static void test_install_without_f2f_keeps_what_remains(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *v;

  cert_from_est(f, NULL, 0);
  ENROLL(&r, f, "install", "1", "--ca-file", f->ca_file);
  ok_run(&r);
  assert_true(history_says(f, "no face-to-face record was imported"));

  ENROLL(&r, f, "status", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Status: certificate installed");
  assert_contains(r.out, "Procedure:");
  assert_contains(r.out, "ordered on the Certigna portal");
  assert_contains(r.out, "[NOT RECORDED] face-to-face with the AED");
  assert_contains(r.out, "[NOT RECORDED] paper originals posted to Certigna");
  assert_contains(r.out, "Next: The signed face-to-face record is not in this store");
  assert_contains(r.out, "Prepare the originals still missing");
  assert_contains(r.out, "Post the four originals");
  if (strstr(r.out, "Nothing left to do") != NULL)
    fail_msg("status says nothing is left to do:\n%s", r.out);
  rgs_run_free(&r);

  /* Without a number too: installed, but not done with. */
  ENROLL(&r, f, "status");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Order 1:");
  assert_contains(r.out, "Next: The signed face-to-face record is not in this store");
  rgs_run_free(&r);

  ENROLL(&r, f, "--json", "status", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "orders.0.next.0.step");
  assert_non_null(v);
  assert_string_equal(v, "import-f2f-record");
  free(v);
  v = rgs_json_get(r.out, "orders.0.procedure.2.state");
  assert_non_null(v);
  assert_string_equal(v, "not-recorded");
  free(v);
  v = rgs_json_get(r.out, "orders.0.procedure.0.where");
  assert_non_null(v);
  assert_string_equal(v, "portal");
  free(v);
  rgs_run_free(&r);
}

/* The papers follow their own course: recorded and sent after the
 * installation, and status then stops asking for them. */
static void test_documents_after_install(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char day[16], extract[16];

  today(day, sizeof(day), 0);
  today(extract, sizeof(extract), 10);
  cert_from_est(f, NULL, 0);
  ENROLL(&r, f, "install", "1", "--ca-file", f->ca_file);
  ok_run(&r);
  ENROLL(&r, f, "order", "docs", "1", "--set", "request-form", "--state", "ready");
  ok_run(&r);
  ENROLL(&r, f, "order", "docs", "1", "--set", "intervention-form", "--state", "ready");
  ok_run(&r);
  ENROLL(&r, f, "order", "docs", "1", "--set", "id-document", "--expires", "2035-01-01");
  ok_run(&r);
  ENROLL(&r, f, "order", "docs", "1", "--set", "registration-extract", "--date", extract);
  ok_run(&r);
  ENROLL(&r, f, "order", "docs", "1", "--sent", day);
  ok_run(&r);
  assert_true(history_says(f, "originals posted on"));

  ENROLL(&r, f, "status", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Status: certificate installed");
  assert_contains(r.out, "[done        ] paper originals posted to Certigna");
  assert_contains(r.out, "[NOT RECORDED] face-to-face with the AED");
  assert_contains(r.out, "Next: The signed face-to-face record is not in this store");
  if (strstr(r.out, "Post the four originals") != NULL || strstr(r.out, "Nothing left to do") != NULL)
    fail_msg("status after the documents were sent:\n%s", r.out);
  rgs_run_free(&r);
}

/* A certificate fetched over EST for another key: install refuses it, and
 * status says why and what to do instead of "install"; a new certificate
 * from the CA brings "install" back. */
static void test_refused_est_certificate(void **state)
{
  fixture *f = *state;
  EVP_PKEY *other = tpki_ec_key();
  rgs_run_result r;
  char *v;

  assert_non_null(other);
  cert_from_est(f, other, 0);
  EVP_PKEY_free(other);
  ENROLL(&r, f, "status", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Next: Install the issued certificate");
  rgs_run_free(&r);

  ENROLL(&r, f, "install", "1", "--ca-file", f->ca_file);
  rgs_expect(&r, RGS_EXIT_CHECK, "another key");
  assert_true(history_says(f, "install refused the certificate kept with the order"));

  ENROLL(&r, f, "status", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Status: certificate issued");
  assert_contains(r.out, "was refused by rgs-enroll install");
  assert_contains(r.out, "it is for another key");
  assert_contains(r.out, "call Certigna");
  if (strstr(r.out, "Install the issued certificate on the token") != NULL)
    fail_msg("status still says install:\n%s", r.out);
  rgs_run_free(&r);
  ENROLL(&r, f, "--json", "status", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "orders.0.next.0.step");
  assert_non_null(v);
  assert_string_equal(v, "install-refused");
  free(v);
  rgs_run_free(&r);

  /* The CA sends the right one later: install again is the next step. */
  cert_from_est(f, NULL, time(NULL) + 120);
  ENROLL(&r, f, "status", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Next: Install the issued certificate");
  rgs_run_free(&r);
}

/* The four originals made ready, for a sending on day. */
static void docs_ready(fixture *f)
{
  rgs_run_result r;
  char extract[16];

  today(extract, sizeof(extract), 10);
  ENROLL(&r, f, "order", "docs", "1", "--set", "request-form", "--state", "ready");
  ok_run(&r);
  ENROLL(&r, f, "order", "docs", "1", "--set", "intervention-form", "--state", "ready");
  ok_run(&r);
  ENROLL(&r, f, "order", "docs", "1", "--set", "id-document", "--expires", "2035-01-01");
  ok_run(&r);
  ENROLL(&r, f, "order", "docs", "1", "--set", "registration-extract", "--date", extract);
  ok_run(&r);
}

/* Papers posted before the face-to-face record came back (the order is
 * submitted): recorded, with a history note, and the status stays. */
static void test_documents_before_f2f(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char day[16];

  today(day, sizeof(day), 0);
  docs_ready(f);
  ENROLL(&r, f, "order", "docs", "1", "--sent", day);
  ok_run(&r);
  assert_true(history_says(f, "originals posted on"));
  ENROLL(&r, f, "status", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Status: request submitted to the CA");
  assert_contains(r.out, "[done        ] paper originals posted to Certigna");
  rgs_run_free(&r);
  /* A cancelled order is closed: nothing is recorded for it any more. */
  ENROLL(&r, f, "order", "set", "1", "--status", "cancelled");
  ok_run(&r);
  ENROLL(&r, f, "order", "docs", "1", "--sent", day);
  rgs_expect(&r, RGS_EXIT_CHECK, "cancelled");
}

/* Only the wrong token plugged in: the certificate is the order's (its key
 * is the key of the order's request), so install says to plug in the
 * right token and records no refusal; with the right token it installs. */
static void test_wrong_token_is_not_a_refusal(void **state)
{
  fixture *f = *state;
  rgs_softhsm other;
  rgs_run_result r;

  cert_from_est(f, NULL, 0);
  assert_int_equal(rgs_softhsm_init(&other, "procedure"), 0);
  ENROLL(&r, f, "install", "1", "--ca-file", f->ca_file);
  rgs_expect(&r, RGS_EXIT_CHECK, "plug in the token that holds the key");
  rgs_softhsm_cleanup(&other);
  setenv("SOFTHSM2_CONF", f->hsm.conf, 1);
  if (history_says(f, "install refused the certificate"))
    fail_msg("the wrong token was recorded as a refusal of the certificate");
  ENROLL(&r, f, "status", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Next: Install the issued certificate");
  rgs_run_free(&r);
  ENROLL(&r, f, "install", "1", "--ca-file", f->ca_file);
  ok_run(&r);
}

/* A long refusal reason in accented French: history gives it back as
 * UTF-8 whatever the byte where the note is cut. */
static void test_refusal_note_stays_utf8(void **state)
{
  fixture *f = *state;
  rgs_order_store *st = NULL;
  rgs_order_event *ev = NULL;
  char reason[300], err[256];
  size_t n = 0, i, shift;

  assert_int_equal(rgs_order_store_open_existing(f->db, &st, err, sizeof(err)), RGS_ORDER_OK);
  for (shift = 0; shift < 3; shift++) {
    memset(reason, 'x', shift);
    for (i = shift; i + 2 < sizeof(reason); i += 2)
      memcpy(reason + i, "\xc3\xa9", 2);
    reason[i] = '\0';
    assert_int_equal(rgs_order_install_refused(st, 1, reason), RGS_ORDER_OK);
  }
  assert_int_equal(rgs_order_history(st, 1, &ev, &n), RGS_ORDER_OK);
  for (i = 0; i < n; i++)
    if (!rgsx_utf8_valid(ev[i].note, strlen(ev[i].note)))
      fail_msg("history note %zu is not UTF-8: %s", i, ev[i].note);
  assert_true(n >= 3);
  free(ev);
  rgs_order_store_close(st);
}

/* order new records an order placed on the portal; it does not place it. */
static void test_order_new_says_it_records(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  ENROLL(&r, f, "order", "new", "--help");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "it does not place it");
  rgs_run_free(&r);
  ENROLL(&r, f, "order", "new", "--partner", "cma", "--holder-first-name", "Anne",
         "--holder-last-name", "Martin", "--email", "anne.martin@example.fr", "--company", "ACME",
         "--siren", "732829320");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Order 2 recorded");
  assert_contains(r.out, "it does not place it");
  rgs_run_free(&r);
  ENROLL(&r, f, "submit", "--help");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "On the Certigna portal: ordering, payment, the CGU");
  assert_contains(r.out, "check --delivered");
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_install_without_f2f_keeps_what_remains, setup, teardown),
    cmocka_unit_test_setup_teardown(test_documents_after_install, setup, teardown),
    cmocka_unit_test_setup_teardown(test_refused_est_certificate, setup, teardown),
    cmocka_unit_test_setup_teardown(test_order_new_says_it_records, setup, teardown),
    cmocka_unit_test_setup_teardown(test_documents_before_f2f, setup, teardown),
    cmocka_unit_test_setup_teardown(test_wrong_token_is_not_a_refusal, setup, teardown),
    cmocka_unit_test_setup_teardown(test_refusal_note_stays_utf8, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
