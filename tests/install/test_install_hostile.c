/* SPDX-License-Identifier: BSD-3-Clause */
/* test_install_hostile.c - certificates and requests made by someone who
 * wants to be taken for the holder, or by a careless CA: NUL bytes,
 * repeated and multi-valued attributes, attributes naming someone else,
 * control characters, serials and versions RFC 5280 forbids, repeated or
 * undecodable extensions, a public key that does not decode, a certificate
 * for another key, a FIFO given as a file. Each is refused by
 * `install ID` (the order stays as it was, nothing on the token) or by
 * `order link`, with a message that says what is wrong, and nothing from
 * the certificate reaches the terminal unsanitised. Real SoftHSM2 token,
 * the real command, certificates from the test's own CA. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "rgs_order.h"
#include "rgs_test.h"
#include "testpki.h"

#define YEAR (365L * TPKI_DAY)
#define SIREN "732829320"
#define OTHER_SIREN "552100554"

typedef struct {
  rgs_softhsm hsm;
  char policy[600], db[600], csr[600], cert[600], ca_file[600], fifo[600], req[600];
  tpki_ca root, inter;
  EVP_PKEY *pub;                /* the key of order 1, on the token */
} fixture;

static void ok_run(rgs_run_result *r)
{
  rgs_assert_status(r, RGS_EXIT_OK);
  rgs_run_free(r);
}

#define ENROLL(r, f, ...)                                                                    \
  rgs_enroll((r), NULL, NULL, "--db", (f)->db, "--policy", (f)->policy, "--pin-file",        \
             (f)->hsm.pin_file, __VA_ARGS__, NULL)

static void new_order(fixture *f)
{
  rgs_run_result r;

  ENROLL(&r, f, "order", "new", "--partner", "cma", "--holder-first-name", "Jean",
         "--holder-last-name", "Dupont", "--email", "jean.dupont@example.fr", "--company", "ACME",
         "--siren", SIREN, "--payment", "carte", "--accept-cgu");
  ok_run(&r);
}

/* The face-to-face record as it lands in the store: a verified record of
 * the bound key (the AED's session is tested with the f2f commands). */
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

/* Order 1 as it is when the CA issues: submitted, face-to-face done,
 * originals sent. */
static void through_documents(fixture *f)
{
  char today[16], extract[16];
  time_t now = time(NULL), then = now - 10 * TPKI_DAY;
  struct tm tm;
  rgs_run_result r;

  strftime(today, sizeof(today), "%Y-%m-%d", gmtime_r(&now, &tm));
  strftime(extract, sizeof(extract), "%Y-%m-%d", gmtime_r(&then, &tm));
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
  rgs_run_result r;

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "hostile"), 0);
  setenv("RGS_ENROLL_MODULE", rgs_env("SOFTHSM2_MODULE"), 1);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->db, sizeof(f->db), "%s/orders.db", f->hsm.dir);
  snprintf(f->csr, sizeof(f->csr), "%s/req.csr", f->hsm.dir);
  snprintf(f->cert, sizeof(f->cert), "%s/cert.pem", f->hsm.dir);
  snprintf(f->ca_file, sizeof(f->ca_file), "%s/ca.pem", f->hsm.dir);
  snprintf(f->fifo, sizeof(f->fifo), "%s/fifo", f->hsm.dir);
  snprintf(f->req, sizeof(f->req), "%s/hostile.csr", f->hsm.dir);
  assert_int_equal(tpki_ca_new(&f->root, "Test Root", NULL, 3650), 0);
  assert_int_equal(tpki_ca_new(&f->inter, "Test Issuing CA", &f->root, 3000), 0);
  {
    X509 *anchors[] = { f->root.cert, NULL };
    assert_int_equal(tpki_write_pem(f->ca_file, anchors), 0);
  }
  new_order(f);              /* 1: its key on the token, ready for the certificate */
  new_order(f);              /* 2: ordered, for order link */
  ENROLL(&r, f, "start", "--order", "1", "--key-type", "ec:p256", "--out", f->csr);
  ok_run(&r);
  through_documents(f);
  f->pub = tpki_csr_pubkey(f->csr);
  assert_non_null(f->pub);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  if (f == NULL)                /* the setup failed before it was made */
    return 0;
  EVP_PKEY_free(f->pub);
  tpki_ca_free(&f->root);
  tpki_ca_free(&f->inter);
  rgs_softhsm_cleanup(&f->hsm);
  free(f);
  return 0;
}

/* ---- what the tests build ---------------------------------------------------- */

/* C=FR, O=ACME, OU=0002 SIREN; the CN and what follows is up to each test. */
static X509_NAME *holder_base(void)
{
  X509_NAME *n = X509_NAME_new();

  assert_non_null(n);
  assert_true(X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"FR", -1, -1, 0));
  assert_true(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"ACME", -1, -1, 0));
  assert_true(X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8,
                                         (const unsigned char *)"0002 " SIREN, -1, -1, 0));
  return n;
}

/* Add one attribute; set -1 joins it to the RDN before (multi-valued). A
 * UTF8String is written byte for byte, NUL included. */
static void add_attr(X509_NAME *n, const char *type, const char *value, int len, int set)
{
  int nid = OBJ_txt2nid(type);

  assert_int_not_equal(nid, NID_undef);
  assert_true(X509_NAME_add_entry_by_NID(n, nid, V_ASN1_UTF8STRING, (const unsigned char *)value,
                                         len, -1, set));
}

static X509_NAME *holder_name(void)
{
  X509_NAME *n = holder_base();

  add_attr(n, "CN", "Jean DUPONT", -1, 0);
  return n;
}

static tpki_leaf good_spec(void)
{
  time_t now = time(NULL);
  tpki_leaf spec = { "C=FR,O=ACME,OU=0002 " SIREN ",CN=Jean DUPONT", now - TPKI_DAY,
                     now - TPKI_DAY + 3 * YEAR, NULL, 0, 0, NULL, NULL, 0 };

  return spec;
}

/* A certificate from the issuing CA, hostile as h says, written with the
 * CA certificate to f->cert; kept in the fuzz corpus's format too (DER) in
 * the test directory for whoever wants it. */
static void write_cert(fixture *f, EVP_PKEY *pub, const tpki_hostile *h)
{
  tpki_leaf spec = good_spec();
  X509 *leaf = tpki_issue_hostile(&f->inter, pub != NULL ? pub : f->pub, &spec, h);
  X509 *certs[] = { leaf, f->inter.cert, NULL };

  assert_non_null(leaf);
  assert_int_equal(tpki_write_pem(f->cert, certs), 0);
  X509_free(leaf);
}

/* Certificate objects on the token, counted by pkcs11-tool on SoftHSM. */
static int cert_objects(void)
{
  const char *argv[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "--list-objects", "--type", "cert", NULL };
  rgs_run_result r;
  const char *p;
  int n = 0;

  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  for (p = r.out; (p = strstr(p, "Certificate Object")) != NULL; p++)
    n++;
  rgs_run_free(&r);
  return n;
}

static char *order_status(fixture *f, const char *id)
{
  rgs_run_result r;
  char *v;

  ENROLL(&r, f, "--json", "status", id);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "orders.0.status");
  rgs_run_free(&r);
  return v;
}

/* No byte that a terminal or a log would act on: C0 controls (but the
 * newline), DEL, C1 controls in UTF-8, bidirectional overrides, and not
 * their JSON escapes either. */
static void assert_clean(const char *what, const char *s)
{
  static const char *const escapes[] = { "\\u0000", "\\u0007", "\\u001b", "\\u001B",
                                         "\\u009b", "\\u009B", "\\u202e", "\\u202E" };
  const unsigned char *p;
  size_t i;

  for (p = (const unsigned char *)s; *p != '\0'; p++) {
    if ((*p < 0x20 && *p != '\n') || *p == 0x7F ||
        (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) ||
        (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE))
      fail_msg("%s holds the control byte 0x%02x at %ld:\n%s", what, *p,
               (long)(p - (const unsigned char *)s), s);
  }
  for (i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++)
    if (strstr(s, escapes[i]) != NULL)
      fail_msg("%s holds %s:\n%s", what, escapes[i], s);
}

static void expect_no_text(const rgs_run_result *r, const char *text)
{
  assert_not_contains(r->err, text);
  assert_not_contains(r->out, text);
}

/* install 1 refuses f->cert with exit 1 saying text; the order and the
 * token are as they were. Text and JSON both checked for control bytes. */
static void install_refused(fixture *f, const char *text)
{
  rgs_run_result r;
  char *v;

  ENROLL(&r, f, "--json", "install", "1", "--cert", f->cert, "--ca-file", f->ca_file);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  rgs_assert_says(&r, text);
  assert_clean("install --json stdout", r.out);
  assert_clean("install --json stderr", r.err);
  rgs_run_free(&r);
  /* The evidence is under --details; the sentences alone are clean too. */
  ENROLL(&r, f, "install", "1", "--cert", f->cert, "--ca-file", f->ca_file, "--details");
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  rgs_assert_says(&r, text);
  assert_clean("install stdout", r.out);
  assert_clean("install stderr", r.err);
  rgs_run_free(&r);
  v = order_status(f, "1");
  assert_string_equal(v, "documents-sent");
  free(v);
  assert_int_equal(cert_objects(), 0);
}

static void install_name_refused(fixture *f, X509_NAME *name, const char *text)
{
  tpki_hostile h;

  memset(&h, 0, sizeof(h));
  h.name = name;
  write_cert(f, NULL, &h);
  X509_NAME_free(name);
  install_refused(f, text);
}

/* ---- item 2: the holder check reads every RDN ---------------------------------- */

/* "Jean DUPONT\0Paul MARTIN": C strings see the holder. */
static void test_nul_in_cn_refused(void **state)
{
  X509_NAME *n = holder_base();
  static const char cn[] = "Jean DUPONT\0Paul MARTIN";

  add_attr(n, "CN", cn, (int)sizeof(cn) - 1, 0);
  install_name_refused(*state, n, "NUL byte");
}

static void test_second_cn_refused(void **state)
{
  X509_NAME *n = holder_name();

  add_attr(n, "CN", "Paul MARTIN", -1, 0);
  install_name_refused(*state, n, "more than one CN");
}

static void test_second_cn_first_refused(void **state)
{
  X509_NAME *n = holder_base();

  add_attr(n, "CN", "Paul MARTIN", -1, 0);
  add_attr(n, "CN", "Jean DUPONT", -1, 0);
  install_name_refused(*state, n, "more than one CN");
}

/* CN=Jean DUPONT+CN=Paul MARTIN in one RDN. */
static void test_multivalued_rdn_refused(void **state)
{
  X509_NAME *n = holder_name();

  add_attr(n, "CN", "Paul MARTIN", -1, -1);
  install_name_refused(*state, n, "two attributes in one RDN");
}

/* Even with an attribute that is allowed on its own. */
static void test_multivalued_rdn_with_serial_refused(void **state)
{
  X509_NAME *n = holder_name();

  add_attr(n, "serialNumber", "42", -1, -1);
  install_name_refused(*state, n, "two attributes in one RDN");
}

static void test_second_o_refused(void **state)
{
  X509_NAME *n = holder_name();

  add_attr(n, "O", "EVIL CORP", -1, 0);
  install_name_refused(*state, n, "more than one O");
}

/* The holder's company, and another one. */
static void test_second_ou_refused(void **state)
{
  X509_NAME *n = holder_name();

  add_attr(n, "OU", "0002 " OTHER_SIREN, -1, 0);
  install_name_refused(*state, n, "more than one OU");
}

/* An attribute that names someone else, the holder's CN left alone. */
static void test_pseudonym_refused(void **state)
{
  X509_NAME *n = holder_name();

  add_attr(n, "pseudonym", "Paul MARTIN", -1, 0);
  install_name_refused(*state, n, "cannot vouch for");
}

static void test_other_given_name_refused(void **state)
{
  X509_NAME *n = holder_name();

  add_attr(n, "GN", "Paul", -1, 0);
  install_name_refused(*state, n, "first name");
}

static void test_other_org_identifier_refused(void **state)
{
  X509_NAME *n = holder_name();

  add_attr(n, "organizationIdentifier", "NTRFR-" OTHER_SIREN, -1, 0);
  install_name_refused(*state, n, "organizationIdentifier");
}

/* ---- item 3: control characters from a certificate ------------------------------- */

static void test_control_characters_in_cn_never_printed(void **state)
{
  X509_NAME *n = holder_base();

  add_attr(n, "CN", "Jean\x1b[2J DUPONT\a", -1, 0);
  install_name_refused(*state, n, "control characters");
}

/* ---- item 4: what RFC 5280 forbids ------------------------------------------------ */

static void install_hostile_refused(fixture *f, const tpki_hostile *h, const char *text)
{
  write_cert(f, NULL, h);
  install_refused(f, text);
}

static void test_serial_zero_refused(void **state)
{
  tpki_hostile h = { .serial = "0" };

  install_hostile_refused(*state, &h, "serial number");
}

static void test_serial_negative_refused(void **state)
{
  tpki_hostile h = { .serial = "-1" };

  install_hostile_refused(*state, &h, "serial number");
}

static void test_version_99_refused(void **state)
{
  tpki_hostile h = { .version = 99 };

  install_hostile_refused(*state, &h, "version");
}

static void test_v1_with_extensions_refused(void **state)
{
  tpki_hostile h = { .version = 1 };

  install_hostile_refused(*state, &h, "version 1 but carries extensions");
}

/* Item 16 too: said as it is, not as an unknown issuer. */
static void test_duplicate_extension_refused(void **state)
{
  fixture *f = *state;
  tpki_hostile h = { .dup_ext = 1 };
  rgs_run_result r;

  install_hostile_refused(f, &h, "appears twice");
  ENROLL(&r, f, "install", "1", "--cert", f->cert, "--ca-file", f->ca_file);
  expect_no_text(&r, "local issuer");
  rgs_run_free(&r);
}

static void test_garbage_extension_refused(void **state)
{
  fixture *f = *state;
  tpki_hostile h = { .garbage_ext = 1 };
  rgs_run_result r;

  install_hostile_refused(f, &h, "cannot be decoded");
  ENROLL(&r, f, "install", "1", "--cert", f->cert, "--ca-file", f->ca_file);
  expect_no_text(&r, "local issuer");
  rgs_run_free(&r);
}

/* ---- item 16: bad input is exit 1, and says what it is ------------------------------ */

static void test_unreadable_public_key_is_exit_1(void **state)
{
  fixture *f = *state;
  tpki_hostile h = { .bad_pubkey = 1 };
  rgs_run_result r;

  install_hostile_refused(f, &h, "public key cannot be read");
  /* Without the order: the token side says so too. */
  rgs_enroll(&r, NULL, NULL, "--policy", f->policy, "--pin-file", f->hsm.pin_file, "install",
             "--cert", f->cert, "--ca-file", f->ca_file, NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  rgs_assert_says(&r, "public key cannot be read");
  rgs_run_free(&r);
  assert_int_equal(cert_objects(), 0);
}

/* Another key and another name: the key is what is said. */
static void test_another_keys_certificate_says_so(void **state)
{
  fixture *f = *state;
  EVP_PKEY *other = tpki_ec_key();
  X509_NAME *n = holder_base();
  tpki_hostile h = { .name = n };
  rgs_run_result r;

  add_attr(n, "CN", "Paul MARTIN", -1, 0);
  write_cert(f, other, &h);
  install_refused(f, "for another key");
  ENROLL(&r, f, "install", "1", "--cert", f->cert, "--ca-file", f->ca_file);
  expect_no_text(&r, "holder");
  rgs_run_free(&r);
  rgs_enroll(&r, NULL, NULL, "--policy", f->policy, "--pin-file", f->hsm.pin_file, "install",
             "--cert", f->cert, "--ca-file", f->ca_file, NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  rgs_assert_says(&r, "for another key");
  rgs_run_free(&r);
  X509_NAME_free(n);
  EVP_PKEY_free(other);
}

/* ---- item 13: a FIFO as a file ------------------------------------------------------ */

/* Run under timeout(1): before the fix the command blocks on the FIFO,
 * and the watchdog turns that into a failure (exit 124) instead of a hang. */
static void run_guarded(fixture *f, rgs_run_result *r, const char *opt, const char *value,
                        const char *other_opt, const char *other_value)
{
  const char *argv[] = { "/usr/bin/timeout", "60", rgs_env("RGS_ENROLL_BIN"), "--db", f->db, "--policy",
                         f->policy, "--pin-file", f->hsm.pin_file, "install", "1", opt, value,
                         other_opt, other_value, NULL };

  assert_int_equal(rgs_run(argv, NULL, NULL, r), 0);
}

static void test_fifo_refused(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  unlink(f->fifo);
  assert_int_equal(mkfifo(f->fifo, 0600), 0);
  run_guarded(f, &r, "--cert", f->fifo, "--ca-file", f->ca_file);
  rgs_assert_status(&r, RGS_EXIT_IO);
  rgs_assert_says(&r, "not a regular file");
  rgs_run_free(&r);
  write_cert(f, NULL, NULL);
  run_guarded(f, &r, "--cert", f->cert, "--ca-file", f->fifo);
  rgs_assert_status(&r, RGS_EXIT_IO);
  rgs_assert_says(&r, "not a regular file");
  rgs_run_free(&r);
  {
    const char *argv[] = { "/usr/bin/timeout", "60", rgs_env("RGS_ENROLL_BIN"), "--db", f->db, "order",
                           "link", "2", "--csr", f->fifo, NULL };
    assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
    rgs_assert_status(&r, RGS_EXIT_IO);
    rgs_assert_says(&r, "not a regular file");
    rgs_run_free(&r);
  }
  assert_int_equal(cert_objects(), 0);
}

/* ---- order link: the same rules for a request ---------------------------------------- */

static void link_refused(fixture *f, X509_NAME *name, const char *text)
{
  EVP_PKEY *key = tpki_ec_key();
  rgs_run_result r;
  char *v;

  assert_int_equal(tpki_write_csr(f->req, key, name), 0);
  X509_NAME_free(name);
  EVP_PKEY_free(key);
  rgs_enroll(&r, NULL, NULL, "--db", f->db, "--json", "order", "link", "2", "--csr", f->req, NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  rgs_assert_says(&r, text);
  assert_clean("order link --json stdout", r.out);
  assert_clean("order link --json stderr", r.err);
  rgs_run_free(&r);
  rgs_enroll(&r, NULL, NULL, "--db", f->db, "order", "link", "2", "--csr", f->req, NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_clean("order link stdout", r.out);
  assert_clean("order link stderr", r.err);
  rgs_run_free(&r);
  v = order_status(f, "2");
  assert_string_equal(v, "ordered");
  free(v);
}

static void test_link_refuses_hostile_subjects(void **state)
{
  fixture *f = *state;
  static const char cn[] = "Jean DUPONT\0Paul MARTIN";
  X509_NAME *n;

  n = holder_base();
  add_attr(n, "CN", cn, (int)sizeof(cn) - 1, 0);
  link_refused(f, n, "NUL byte");
  n = holder_name();
  add_attr(n, "CN", "Paul MARTIN", -1, 0);
  link_refused(f, n, "more than one CN");
  n = holder_name();
  add_attr(n, "CN", "Paul MARTIN", -1, -1);
  link_refused(f, n, "two attributes in one RDN");
  n = holder_name();
  add_attr(n, "OU", "0002 " OTHER_SIREN, -1, 0);
  link_refused(f, n, "more than one OU");
  n = holder_name();
  add_attr(n, "pseudonym", "Paul MARTIN", -1, 0);
  link_refused(f, n, "cannot vouch for");
  n = holder_base();
  add_attr(n, "CN", "Jean\x1b[2J DUPONT\a", -1, 0);
  link_refused(f, n, "control characters");
}

/* The same rules let the holder's own request through. */
static void test_link_accepts_the_holder(void **state)
{
  fixture *f = *state;
  EVP_PKEY *key = tpki_ec_key();
  X509_NAME *n = holder_name();
  rgs_run_result r;
  char *v;

  add_attr(n, "serialNumber", "42", -1, 0);
  add_attr(n, "GN", "Jean", -1, 0);
  add_attr(n, "SN", "Dupont", -1, 0);
  add_attr(n, "organizationIdentifier", "NTRFR-" SIREN, -1, 0);
  assert_int_equal(tpki_write_csr(f->req, key, n), 0);
  rgs_enroll(&r, NULL, NULL, "--db", f->db, "order", "link", "2", "--csr", f->req, NULL);
  ok_run(&r);
  v = order_status(f, "2");
  assert_string_equal(v, "csr-linked");
  free(v);
  X509_NAME_free(n);
  EVP_PKEY_free(key);
}

/* ---- last: what installs is printed sanitised ------------------------------------------ */

/* Without an order nothing compares the name, so a CN with a C1 CSI and a
 * right-to-left override installs; it must still come out clean. */
static void test_installed_subject_printed_clean(void **state)
{
  fixture *f = *state;
  X509_NAME *n = holder_base();
  tpki_hostile h = { .name = n };
  rgs_run_result r;

  add_attr(n, "CN", "Jean \xc2\x9b" "2J\xe2\x80\xae DUPONT", -1, 0);
  write_cert(f, NULL, &h);
  rgs_enroll(&r, NULL, NULL, "--policy", f->policy, "--pin-file", f->hsm.pin_file, "--json",
             "install", "--cert", f->cert, "--ca-file", f->ca_file, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_clean("install --json stdout", r.out);
  assert_clean("install --json stderr", r.err);
  rgs_run_free(&r);
  rgs_enroll(&r, NULL, NULL, "--policy", f->policy, "--pin-file", f->hsm.pin_file, "install",
             "--cert", f->cert, "--ca-file", f->ca_file, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_clean("install stdout", r.out);
  assert_clean("install stderr", r.err);
  rgs_run_free(&r);
  X509_NAME_free(n);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_nul_in_cn_refused),
    cmocka_unit_test(test_second_cn_refused),
    cmocka_unit_test(test_second_cn_first_refused),
    cmocka_unit_test(test_multivalued_rdn_refused),
    cmocka_unit_test(test_multivalued_rdn_with_serial_refused),
    cmocka_unit_test(test_second_o_refused),
    cmocka_unit_test(test_second_ou_refused),
    cmocka_unit_test(test_pseudonym_refused),
    cmocka_unit_test(test_other_given_name_refused),
    cmocka_unit_test(test_other_org_identifier_refused),
    cmocka_unit_test(test_control_characters_in_cn_never_printed),
    cmocka_unit_test(test_serial_zero_refused),
    cmocka_unit_test(test_serial_negative_refused),
    cmocka_unit_test(test_version_99_refused),
    cmocka_unit_test(test_v1_with_extensions_refused),
    cmocka_unit_test(test_duplicate_extension_refused),
    cmocka_unit_test(test_garbage_extension_refused),
    cmocka_unit_test(test_unreadable_public_key_is_exit_1),
    cmocka_unit_test(test_another_keys_certificate_says_so),
    cmocka_unit_test(test_fifo_refused),
    cmocka_unit_test(test_link_refuses_hostile_subjects),
    cmocka_unit_test(test_link_accepts_the_holder),
    cmocka_unit_test(test_installed_subject_printed_clean),
  };

  /* One token, one order store for all: every refusal leaves them as they
   * were (which each test checks), and the one install that succeeds is
   * last. RGS_TEST_ONLY=name runs one test alone (as test_watch does). */
  if (getenv("RGS_TEST_ONLY") != NULL)
    cmocka_set_test_filter(getenv("RGS_TEST_ONLY"));
  return cmocka_run_group_tests(tests, setup, teardown);
}
