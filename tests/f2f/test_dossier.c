/* SPDX-License-Identifier: BSD-3-Clause */
/* test_dossier.c - the dossier that travels and the record that comes back,
 * for real: the holder's store and the AED's store (two files), the
 * holder's SoftHSM token and the AED's (a certificate of a test CA for a key
 * made on it); holder: order new, start --order, order export (signed on the
 * token, checked by `openssl cms -verify`); AED: order import (twice:
 * recognised), f2f run with both tokens; holder: f2f import, the order
 * face-to-face-done. Then every forgery and mix-up: a byte changed, a
 * truncated file, a dossier signed by another key, a request swapped, a
 * record for another order, for another key, signed by someone who is not
 * an AED. Both tokens sit in one SoftHSM directory: the holder's token is
 * the one that travels, and f2f run sees both on the AED's laptop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rgs_test.h"
#include "f2f_aedtoken.h"
#include "f2f_pki.h"
#include "f2f_record.h"
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#define NOW "2026-03-10"
#define REF "CMD-2026-0042"

typedef struct {
  rgs_softhsm hsm;
  char policy[512], aed_trust[512], holder_db[600], aed_db[600], other_db[600], ca[600];
  char dossier[600], rec[600], csr[600], work[600], now_env[64], issued_db[600];
  const char *env[4];
} fixture;

static fixture *F;

/* rgs-enroll with a store, the demo policy, the demo AED list and the fixed day. */
#define ENROLL_DB(r, db, ...)                                                             \
  rgs_enroll((r), F->env, NULL, "--db", (db), "--policy", F->policy, "--aed-trust",      \
             F->aed_trust, __VA_ARGS__, NULL)

static void run_ok(const char *const *argv)
{
  rgs_run_result r;

  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  if (r.status != 0)
    fail_msg("%s failed (%d): %s%s", argv[0], r.status, r.out, r.err);
  rgs_run_free(&r);
}

static char *path_in(const char *name)
{
  static char buf[8][700];
  static int k;
  char *p = buf[k++ % 8];

  snprintf(p, 700, "%s/%s", F->hsm.dir, name);
  return p;
}

static void write_bytes(const char *path, const void *p, size_t n)
{
  FILE *f = fopen(path, "wb");

  assert_non_null(f);
  assert_int_equal(fwrite(p, 1, n, f), n);
  assert_int_equal(fclose(f), 0);
}

/* The content of a CMS file as OpenSSL hands it out, signer not chained:
 * what anyone can check with openssl alone. NULL when it does not verify. */
static char *openssl_content(const char *cms_file)
{
  const char *out = path_in("content.json");
  const char *argv[] = { rgs_env("OPENSSL_BIN"), "cms", "-verify", "-inform", "DER", "-in",
                         cms_file, "-noverify", "-binary", "-out", out, NULL };
  rgs_run_result r;
  int status;

  remove(out);
  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  status = r.status;
  rgs_run_free(&r);
  return status == 0 ? rgs_read_file(out, NULL) : NULL;
}

/* content signed by key (certificate cert) at t, as rgs-enroll signs. */
static void sign_to(const char *path, const char *content, X509 *cert, EVP_PKEY *key, time_t t)
{
  unsigned char *der = NULL;
  size_t len = 0;
  char err[256];

  assert_int_equal(rgs_f2f_cms_sign((const unsigned char *)content, strlen(content), cert, NULL,
                                    t, pki_sign, key, &der, &len, err, sizeof(err)),
                   RGS_F2F_OK);
  write_bytes(path, der, len);
  free(der);
}

/* content with the string value of "key" replaced by value (JSON-escaped
 * newlines). Free with free(). */
static char *replace_value(const char *content, const char *key, const char *value)
{
  char pat[64], *out, *q;
  const char *start, *end;
  size_t n = 0;

  snprintf(pat, sizeof(pat), "\"%s\":\"", key);
  start = strstr(content, pat);
  assert_non_null(start);
  start += strlen(pat);
  for (end = start; *end != '"'; end++)
    if (*end == '\\')
      end++;
  out = malloc(strlen(content) + 2 * strlen(value) + 1);
  assert_non_null(out);
  memcpy(out, content, (size_t)(start - content));
  q = out + (start - content);
  for (; value[n] != '\0'; n++) {
    if (value[n] == '\n') {
      *q++ = '\\';
      *q++ = 'n';
    } else {
      *q++ = value[n];
    }
  }
  strcpy(q, end);
  return out;
}

/* NOW as a time, for what the tests sign: a signature "from the future"
 * is refused. */
static time_t now_t(void)
{
  struct tm tm = { .tm_year = 2026 - 1900, .tm_mon = 2, .tm_mday = 10 };

  return timegm(&tm);
}

static void copy_file(const char *from, const char *to)
{
  size_t len = 0;
  char *p = rgs_read_file(from, &len);

  assert_non_null(p);
  write_bytes(to, p, len);
  free(p);
}

static char *field(const char *json, const char *path)
{
  char *v = rgs_json_get(json, path);

  if (v == NULL)
    fail_msg("no %s in %s", path, json);
  return v;
}

static void assert_field(const char *json, const char *path, const char *want)
{
  char *v = field(json, path);

  if (strcmp(v, want) != 0)
    fail_msg("%s is '%s', expected '%s' in %s", path, v, want, json);
  free(v);
}

static void assert_order_status(const char *db, const char *id, const char *want)
{
  rgs_run_result r;

  ENROLL_DB(&r, db, "--json", "order", "show", id);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_field(r.out, "order.status", want);
  rgs_run_free(&r);
}

/* ---- the AED's token, the holder's order ------------------------------------------ */

static void make_aed_token(void)
{
  f2f_aed_token(F->hsm.dir, F->ca);
}

/* Order 1 of db with the CA reference ref, its key made on the holder's
 * token and its request bound, handed to the CA. */
static void holder_order(const char *db, const char *ref, int with_key)
{
  rgs_run_result r;

  ENROLL_DB(&r, db, "order", "new", "--partner", "cma", "--holder-first-name", "Frédéric",
            "--holder-last-name", "Senez", "--email", "f.senez@example.fr", "--company",
            "BS AUTO", "--siren", "732829320", "--payment", "virement", "--accept-cgu",
            "--ca-ref", ref);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  if (!with_key)
    return;
  ENROLL_DB(&r, db, "--module", rgs_env("SOFTHSM2_MODULE"), "--token", "pkcs11:token=Holder",
            "--pin-file", F->hsm.pin_file, "start", "--order", "1", "--key-type", "ec:p256",
            "--out", F->csr, "--force");
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  ENROLL_DB(&r, db, "order", "set", "1", "--status", "submitted");
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
}

static void export_dossier(const char *out, int force, rgs_run_result *r)
{
  ENROLL_DB(r, F->holder_db, "--module", rgs_env("SOFTHSM2_MODULE"), "--pin-file",
            F->hsm.pin_file, "--json", "order", "export", "1", "--out", out,
            force ? "--force" : NULL);
}

static void import_dossier(const char *file, rgs_run_result *r)
{
  ENROLL_DB(r, F->aed_db, "--json", "order", "import", file);
}

static void f2f_run_aed(void)
{
  rgs_run_result r;
  const char *args[] = {
    "--db", F->aed_db, "--policy", F->policy, "--aed-trust", F->aed_trust, "--module",
    rgs_env("SOFTHSM2_MODULE"), "--pin-file", F->hsm.pin_file, "--json", "f2f", "run", "1",
    "--aed-token", "pkcs11:token=AED", "--aed-module", rgs_env("SOFTHSM2_MODULE"),
    "--aed-pin-file", F->hsm.pin_file, "--out", F->rec, "--force", "--ca-file", F->ca, "--batch",
    "--id-document", "id-card", "--id-name", "SENEZ Frédéric", "--id-expires", "2031-05-31",
    "--id-number-fd", "0", "--id-verified", "yes", "--extract-date", "2026-02-15",
    "--office", "SELARL Acthemis, 29 Chemin de Séverin 13200 ARLES", "--place", "13200 Arles",
    NULL,
  };

  /* The document number on a descriptor: never on the command line. */
  assert_int_equal(rgs_enroll_v(&r, F->env, "x4rt bpfw4\n", args), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_field(r.out, "result", "success");
  assert_field(r.out, "status", "face-to-face-done");
  rgs_run_free(&r);
}

static void record_import(const char *db, const char *file, const char *order,
                          rgs_run_result *r)
{
  if (order != NULL)
    ENROLL_DB(r, db, "f2f", "import", file, "--ca-file", F->ca, "--order", order);
  else
    ENROLL_DB(r, db, "f2f", "import", file, "--ca-file", F->ca);
}

/* The whole round trip once, for every test: the files it leaves are what
 * the tests then forge from. */
static int setup(void **state)
{
  rgs_run_result r;
  char *content;

  F = calloc(1, sizeof(*F));
  assert_non_null(F);
  assert_int_equal(rgs_softhsm_init(&F->hsm, "Holder"), 0);
  assert_int_equal(rgs_softhsm_add_token(&F->hsm, "AED"), 0);
  snprintf(F->policy, sizeof(F->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(F->aed_trust, sizeof(F->aed_trust), "%s/data/aed-trust/demo-aed.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(F->holder_db, sizeof(F->holder_db), "%s", path_in("holder.db"));
  snprintf(F->aed_db, sizeof(F->aed_db), "%s", path_in("aed/orders.db"));
  snprintf(F->other_db, sizeof(F->other_db), "%s", path_in("other.db"));
  snprintf(F->ca, sizeof(F->ca), "%s", path_in("ca.pem"));
  snprintf(F->dossier, sizeof(F->dossier), "%s", path_in("dossier.p7m"));
  snprintf(F->rec, sizeof(F->rec), "%s", path_in("record.p7m"));
  snprintf(F->csr, sizeof(F->csr), "%s", path_in("request.csr"));
  snprintf(F->issued_db, sizeof(F->issued_db), "%s", path_in("issued.db"));
  snprintf(F->now_env, sizeof(F->now_env), "RGS_ENROLL_NOW=" NOW);
  F->env[0] = F->now_env;
  make_aed_token();
  holder_order(F->holder_db, REF, 1);
  /* The same order, to be issued before its record comes back. */
  copy_file(F->holder_db, F->issued_db);

  /* Holder: the dossier, signed on the token; OpenSSL alone can check it. */
  export_dossier(F->dossier, 0, &r);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_field(r.out, "ca_ref", REF);
  rgs_run_free(&r);
  content = openssl_content(F->dossier);
  assert_non_null(content);
  assert_field(content, "format", "rgs-enroll/dossier/1");
  assert_field(content, "order.ca_ref", REF);
  assert_field(content, "holder.last_name", "Senez");
  assert_field(content, "token.model", "SoftHSM v2");
  assert_contains(content, "BEGIN CERTIFICATE REQUEST");
  free(content);
  *state = F;
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  rgs_softhsm_cleanup(&F->hsm);
  free(F);
  F = NULL;
  return 0;
}

/* ---- the round trip ---------------------------------------------------------------- */

static void test_round_trip(void **state)
{
  rgs_run_result r;

  (void)state;
  /* The file is never overwritten without --force. */
  export_dossier(F->dossier, 0, &r);
  rgs_expect(&r, RGS_EXIT_IO, "--force");

  /* AED: imported once, recognised the second time. */
  import_dossier(F->dossier, &r);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_field(r.out, "already_imported", "false");
  assert_field(r.out, "role", "aed");
  assert_field(r.out, "order", "1");
  rgs_run_free(&r);
  ENROLL_DB(&r, F->aed_db, "order", "import", F->dossier);
  rgs_expect(&r, RGS_EXIT_OK, "already imported");
  import_dossier(F->dossier, &r);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_field(r.out, "already_imported", "true");
  assert_field(r.out, "role", "aed");
  rgs_run_free(&r);
  ENROLL_DB(&r, F->aed_db, "--json", "order", "list");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_not_contains(r.out, "\"id\":2");
  rgs_run_free(&r);
  assert_order_status(F->aed_db, "1", "submitted");
  ENROLL_DB(&r, F->aed_db, "order", "show", "1");
  rgs_expect(&r, RGS_EXIT_OK, "imported from the holder's dossier");

  /* The face-to-face on the AED's laptop, both tokens plugged in. */
  f2f_run_aed();

  /* Holder: the record comes back. */
  assert_order_status(F->holder_db, "1", "submitted");
  record_import(F->holder_db, F->rec, NULL, &r);
  rgs_expect(&r, RGS_EXIT_OK, "face-to-face done");
  assert_order_status(F->holder_db, "1", "face-to-face-done");
  record_import(F->holder_db, F->rec, NULL, &r);
  rgs_expect(&r, RGS_EXIT_OK, "already imported");
}

/* ---- forged and mixed-up dossiers ------------------------------------------------- */

static void test_dossier_altered_or_truncated(void **state)
{
  size_t len = 0;
  unsigned char *der = (unsigned char *)rgs_read_file(F->dossier, &len);
  unsigned char *hit;
  rgs_run_result r;

  (void)state;
  assert_non_null(der);
  /* One byte of the holder's name changed. */
  hit = memmem(der, len, "Senez", 5);
  assert_non_null(hit);
  hit[0] = 'Z';
  write_bytes(path_in("altered.p7m"), der, len);
  hit[0] = 'S';
  import_dossier(path_in("altered.p7m"), &r);
  rgs_expect(&r, RGS_EXIT_CHECK, "altered");
  /* Cut in the middle. */
  write_bytes(path_in("truncated.p7m"), der, len / 2);
  import_dossier(path_in("truncated.p7m"), &r);
  rgs_expect(&r, RGS_EXIT_CHECK, "truncated");
  /* A foreign file: the face-to-face record is CMS too, but no dossier. */
  import_dossier(F->rec, &r);
  rgs_expect(&r, RGS_EXIT_CHECK, "not a dossier");
  /* Not there at all: unreadable. */
  import_dossier(path_in("no-such-dossier.p7m"), &r);
  rgs_expect(&r, RGS_EXIT_IO, "could not be read");
  free(der);
}

static void test_dossier_other_key_or_swapped_request(void **state)
{
  char *content = openssl_content(F->dossier), *swapped;
  EVP_PKEY *k = pki_key("ec");
  X509 *cert = pki_cert("Frédéric SENEZ", k, NULL, k, 0, NULL, NULL);
  X509_REQ *req = X509_REQ_new();
  BIO *mem = BIO_new(BIO_s_mem());
  char *pem = NULL;
  long n;
  rgs_run_result r;

  (void)state;
  assert_non_null(content);
  /* The holder's content, signed by a key that is not the request's. */
  sign_to(path_in("other-key.p7m"), content, cert, k, now_t());
  import_dossier(path_in("other-key.p7m"), &r);
  rgs_expect(&r, RGS_EXIT_CHECK, "signed by another key");

  /* The request swapped for one of another key, signed by that key. */
  assert_int_equal(X509_REQ_set_subject_name(req, X509_get_subject_name(cert)), 1);
  assert_int_equal(X509_REQ_set_pubkey(req, k), 1);
  assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
  assert_int_equal(PEM_write_bio_X509_REQ(mem, req), 1);
  n = BIO_get_mem_data(mem, &pem);
  pem = strndup(pem, (size_t)n);
  swapped = replace_value(content, "csr_pem", pem);
  sign_to(path_in("swapped.p7m"), swapped, cert, k, now_t());
  import_dossier(path_in("swapped.p7m"), &r);
  rgs_expect(&r, RGS_EXIT_CHECK, "fingerprint");

  free(swapped);
  free(pem);
  BIO_free(mem);
  X509_REQ_free(req);
  X509_free(cert);
  EVP_PKEY_free(k);
  free(content);
}

/* ---- records that are not this order's --------------------------------------------- */

static void test_record_other_order_or_key(void **state)
{
  rgs_run_result r;

  (void)state;
  /* Order 2 of the holder's store: another CA reference. */
  ENROLL_DB(&r, F->holder_db, "order", "new", "--partner", "cma", "--holder-first-name",
            "Frédéric", "--holder-last-name", "Senez", "--email", "f.senez@example.fr",
            "--company", "BS AUTO", "--siren", "732829320", "--payment", "virement",
            "--accept-cgu", "--ca-ref", "CMD-2026-0099");
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  record_import(F->holder_db, F->rec, "2", &r);
  rgs_expect(&r, RGS_EXIT_CHECK, "another order");
  /* A store whose order has no such CA reference at all. */
  holder_order(F->other_db, "CMD-2026-0777", 0);
  record_import(F->other_db, F->rec, NULL, &r);
  rgs_expect(&r, RGS_EXIT_CHECK, "another order");
  /* The same CA reference, bound to another key (made on the token anew). */
  remove(F->other_db);
  holder_order(F->other_db, REF, 1);
  record_import(F->other_db, F->rec, NULL, &r);
  rgs_expect(&r, RGS_EXIT_CHECK, "another key");
  assert_order_status(F->other_db, "1", "submitted");
}

static void test_record_signed_by_non_aed(void **state)
{
  char *content = openssl_content(F->rec);
  EVP_PKEY *k = pki_key("rsa");
  X509 *cert = pki_cert("Maître Jeanne DUPONT-LÉGER", k, NULL, k, 0, NULL, NULL);
  struct tm tm = { .tm_year = 2026 - 1900, .tm_mon = 2, .tm_mday = 10 };
  rgs_run_result r;

  (void)state;
  assert_non_null(content);
  sign_to(path_in("non-aed.p7m"), content, cert, k, timegm(&tm));
  record_import(F->other_db, path_in("non-aed.p7m"), NULL, &r);
  rgs_expect(&r, RGS_EXIT_CHECK, "not a listed AED");
  X509_free(cert);
  EVP_PKEY_free(k);
  free(content);
}

/* ---- a dossier signed by its own key, with hostile content ------------------------- */

/* The holder's content, with a request, a key and a CA reference of the
 * forger's (k): a dossier that verifies in every way. */
static char *forged_content(EVP_PKEY *k, X509 *cert)
{
  char *content = openssl_content(F->dossier), *a, *b, *c, *pem = NULL, hex[65];
  X509_REQ *req = X509_REQ_new(), *hreq;
  BIO *mem = BIO_new(BIO_s_mem());
  FILE *holder = fopen(F->csr, "r");
  unsigned char *der = NULL, md[32];
  int n, i;
  long m;

  assert_non_null(content);
  /* The holder's subject (the order layer checks it), the forger's key. */
  (void)cert;
  assert_non_null(holder);
  hreq = PEM_read_X509_REQ(holder, NULL, NULL, NULL);
  fclose(holder);
  assert_non_null(hreq);
  assert_int_equal(X509_REQ_set_subject_name(req, X509_REQ_get_subject_name(hreq)), 1);
  X509_REQ_free(hreq);
  assert_int_equal(X509_REQ_set_pubkey(req, k), 1);
  assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
  assert_int_equal(PEM_write_bio_X509_REQ(mem, req), 1);
  m = BIO_get_mem_data(mem, &pem);
  pem = strndup(pem, (size_t)m);
  n = i2d_PUBKEY(k, &der);
  assert_true(n > 0);
  SHA256(der, (size_t)n, md);
  for (i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
  a = replace_value(content, "csr_pem", pem);
  b = replace_value(a, "spki_sha256", hex);
  c = replace_value(b, "ca_ref", "CMD-2026-0555");
  free(a);
  free(b);
  free(pem);
  OPENSSL_free(der);
  BIO_free(mem);
  X509_REQ_free(req);
  free(content);
  return c;
}

static void assert_no_control(const rgs_run_result *r)
{
  const char *s[] = { r->out, r->err };
  size_t i, k;

  for (i = 0; i < 2; i++)
    for (k = 0; s[i][k] != '\0'; k++)
      if ((unsigned char)s[i][k] == 0x1B)
        fail_msg("an escape reached the terminal: %s%s", r->out, r->err);
}

static void test_dossier_hostile_content(void **state)
{
  EVP_PKEY *k = pki_key("ec");
  X509 *cert = pki_cert("Frédéric SENEZ", k, NULL, k, 0, NULL, NULL);
  char *content = forged_content(k, cert), *bad;
  rgs_run_result r;

  (void)state;
  /* The forgery as such is a good dossier: taken (into a store of its own). */
  sign_to(path_in("forged.p7m"), content, cert, k, now_t());
  ENROLL_DB(&r, path_in("forged.db"), "order", "import", path_in("forged.p7m"));
  rgs_expect(&r, RGS_EXIT_OK, "imported as order 1");

  /* A terminal escape in the holder's name: refused before anything is
   * printed or stored, and no escape on screen. */
  bad = replace_value(content, "last_name", "Senez\\u001b[2J\\u001b]0;pwned\\u0007");
  sign_to(path_in("escape.p7m"), bad, cert, k, now_t());
  free(bad);
  import_dossier(path_in("escape.p7m"), &r);
  assert_no_control(&r);
  rgs_expect(&r, RGS_EXIT_CHECK, "control characters");
  ENROLL_DB(&r, F->aed_db, "order", "import", path_in("escape.p7m"));
  assert_no_control(&r);
  rgs_expect(&r, RGS_EXIT_CHECK, "last_name");

  /* A value the order layer refuses, in a signed dossier: the dossier is
   * refused (1), this is no usage error (2). */
  bad = replace_value(content, "email", "not an e-mail address");
  sign_to(path_in("bad-email.p7m"), bad, cert, k, now_t());
  free(bad);
  import_dossier(path_in("bad-email.p7m"), &r);
  rgs_expect(&r, RGS_EXIT_CHECK, NULL);

  /* Signed tomorrow: refused, saying so. */
  sign_to(path_in("future.p7m"), content, cert, k, now_t() + 86400);
  import_dossier(path_in("future.p7m"), &r);
  rgs_expect(&r, RGS_EXIT_CHECK, "later than now");

  free(content);
  X509_free(cert);
  EVP_PKEY_free(k);
}

/* ---- export from a token without the key ------------------------------------------ */

static void test_export_token_without_key(void **state)
{
  rgs_run_result r;

  (void)state;
  ENROLL_DB(&r, F->holder_db, "--module", rgs_env("SOFTHSM2_MODULE"), "--token",
            "pkcs11:token=AED", "--pin-file", F->hsm.pin_file, "order", "export", "1", "--out",
            path_in("wrong-token.p7m"));
  rgs_expect(&r, RGS_EXIT_TOKEN, "does not hold the key");
}

/* ---- the record after the certificate was issued ----------------------------------- */

static void test_record_import_issued_order(void **state)
{
  rgs_run_result r;

  (void)state;
  ENROLL_DB(&r, F->issued_db, "order", "set", "1", "--status", "issued");
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  ENROLL_DB(&r, F->issued_db, "--json", "f2f", "import", F->rec, "--ca-file", F->ca);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_field(r.out, "status", "issued");
  rgs_run_free(&r);
  assert_order_status(F->issued_db, "1", "issued");
  ENROLL_DB(&r, F->issued_db, "order", "show", "1");
  rgs_expect(&r, RGS_EXIT_OK, "signed and verified");
  /* The record is kept: the second time, recognised. */
  ENROLL_DB(&r, F->issued_db, "f2f", "import", F->rec, "--ca-file", F->ca);
  rgs_expect(&r, RGS_EXIT_OK, "already imported");
}

/* ---- the short form on paper (order show --qr, order qr --pdf, order check-qr) ------ */

/* The short form of the holder's order 1, from order show --qr --json. */
static char *short_form(void)
{
  rgs_run_result r;
  char *text;

  ENROLL_DB(&r, F->holder_db, "--json", "order", "show", "1", "--qr");
  rgs_assert_status(&r, RGS_EXIT_OK);
  text = field(r.out, "short_form");
  assert_non_null(text);
  rgs_run_free(&r);
  assert_true(strncmp(text, "RGS-DOSSIER/1;order=1;ref=" REF ";spki=", 40) == 0);
  return text;
}

/* The sheet's QR code, read off the page as a phone would. */
static char *sheet_qr(const char *pdf)
{
  const char *base = path_in("sheet"), *png = path_in("sheet.png");
  const char *ppm[] = { rgs_env("PDFTOPPM"), "-r", "150", "-png", "-singlefile", pdf, base, NULL };
  const char *zbar[] = { rgs_env("ZBARIMG"), "-q", "--raw", png, NULL };
  rgs_run_result r;
  char *text;

  run_ok(ppm);
  assert_int_equal(rgs_run(zbar, NULL, NULL, &r), 0);
  rgs_assert_status(&r, 0);
  r.out[strcspn(r.out, "\r\n")] = '\0';
  text = strdup(r.out);
  rgs_run_free(&r);
  return text;
}

static void test_paper_sheet(void **state)
{
  const char *pdf = path_in("sheet.pdf");
  const char *totext[] = { rgs_env("PDFTOTEXT"), "-enc", "UTF-8", pdf, "-", NULL };
  char *text = short_form(), *read;
  rgs_run_result r;

  (void)state;
  ENROLL_DB(&r, F->holder_db, "order", "show", "1", "--qr");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, text);
  assert_contains(r.out, "\xe2\x96\x88");            /* the QR code's blocks */
  assert_contains(r.out, "order check-qr");
  rgs_run_free(&r);

  ENROLL_DB(&r, F->holder_db, "order", "qr", "1", "--pdf", pdf);
  rgs_expect(&r, RGS_EXIT_OK, "fiche d'intervention");
  ENROLL_DB(&r, F->holder_db, "order", "qr", "1", "--pdf", pdf);
  rgs_expect(&r, RGS_EXIT_IO, "--force");
  ENROLL_DB(&r, F->holder_db, "order", "qr", "1", "--force");
  rgs_expect(&r, RGS_EXIT_USAGE, "--pdf");
  ENROLL_DB(&r, F->holder_db, "--json", "order", "qr", "1", "--pdf", pdf, "--force");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_field(r.out, "file", pdf);
  rgs_run_free(&r);

  read = sheet_qr(pdf);
  assert_string_equal(read, text);
  free(read);
  assert_int_equal(rgs_run(totext, NULL, NULL, &r), 0);
  rgs_assert_status(&r, 0);
  assert_contains(r.out, REF);
  assert_contains(r.out, "Senez");
  assert_contains(r.out, "order check-qr");
  rgs_run_free(&r);
  free(text);
}

/* text with the value of key replaced (key=...;). */
static char *with_value(const char *text, const char *key, const char *value)
{
  const char *at = strstr(text, key), *end;
  char *out = NULL;

  assert_non_null(at);
  at += strlen(key);
  end = strchr(at, ';');
  if (end == NULL)
    end = at + strlen(at);
  assert_true(asprintf(&out, "%.*s%s%s", (int)(at - text), text, value, end) > 0);
  return out;
}

#define CHECK_QR(r, db, token, text)                                                          \
  ENROLL_DB((r), (db), "--module", rgs_env("SOFTHSM2_MODULE"), "--token", (token), "order",   \
            "check-qr", (text))

static void test_paper_check_at_the_face_to_face(void **state)
{
  char *text = short_form(), *other_key, *other_serial, *scanned = NULL;
  rgs_run_result r;

  (void)state;
  import_dossier(F->dossier, &r);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);

  /* The holder's token, on the AED's store with the dossier imported: no PIN. */
  CHECK_QR(&r, F->aed_db, "pkcs11:token=Holder", text);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "holds the key named on paper");
  assert_contains(r.out, "order 1 of this store");
  assert_not_contains(r.out, "PIN");
  assert_not_contains(r.err, "PIN");
  rgs_run_free(&r);
  ENROLL_DB(&r, F->aed_db, "--module", rgs_env("SOFTHSM2_MODULE"), "--token",
            "pkcs11:token=Holder", "--json", "order", "check-qr", text);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_field(r.out, "key_on_token", "true");
  assert_field(r.out, "serial_matches", "true");
  assert_field(r.out, "store_matches", "true");
  rgs_run_free(&r);

  /* As a scanner gives it, on the standard input. */
  assert_true(asprintf(&scanned, "QR-Code:%s\r\n", text) > 0);
  rgs_enroll(&r, F->env, scanned, "--db", F->aed_db, "--module", rgs_env("SOFTHSM2_MODULE"),
             "--token", "pkcs11:token=Holder", "order", "check-qr", "-", NULL);
  rgs_expect(&r, RGS_EXIT_OK, "holds the key named on paper");

  /* Another token brought: the AED's own. */
  CHECK_QR(&r, F->aed_db, "pkcs11:token=AED", text);
  rgs_expect(&r, RGS_EXIT_CHECK, "does NOT hold the key");

  /* Paper naming another key, or another serial. */
  other_key = with_value(text, ";spki=", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  CHECK_QR(&r, F->aed_db, "pkcs11:token=Holder", other_key);
  rgs_expect(&r, RGS_EXIT_CHECK, "does NOT hold the key");
  other_serial = with_value(text, ";serial=", "0000DEADBEEF");
  CHECK_QR(&r, F->aed_db, "pkcs11:token=Holder", other_serial);
  rgs_expect(&r, RGS_EXIT_CHECK, "the paper names 0000DEADBEEF");

  /* A store whose order with this reference has no such key. */
  holder_order(path_in("paper.db"), REF, 0);
  CHECK_QR(&r, path_in("paper.db"), "pkcs11:token=Holder", text);
  rgs_expect(&r, RGS_EXIT_CHECK, "do not agree");

  /* Not a short form at all. */
  CHECK_QR(&r, F->aed_db, "pkcs11:token=Holder", "https://example.com/?x=1");
  rgs_expect(&r, RGS_EXIT_CHECK, "not the short form");
  free(scanned);
  free(other_key);
  free(other_serial);
  free(text);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_round_trip),
    cmocka_unit_test(test_dossier_altered_or_truncated),
    cmocka_unit_test(test_dossier_other_key_or_swapped_request),
    cmocka_unit_test(test_record_other_order_or_key),
    cmocka_unit_test(test_record_signed_by_non_aed),
    cmocka_unit_test(test_dossier_hostile_content),
    cmocka_unit_test(test_export_token_without_key),
    cmocka_unit_test(test_record_import_issued_order),
    cmocka_unit_test(test_paper_sheet),
    cmocka_unit_test(test_paper_check_at_the_face_to_face),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
