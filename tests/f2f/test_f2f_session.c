/* SPDX-License-Identifier: BSD-3-Clause */
/* test_f2f_session.c - the face-to-face for real: two SoftHSM tokens (the
 * holder's and the AED's, whose certificate a test CA issued for a key made
 * on it), an order whose request was made with `start --order`, the whole
 * session scripted and guided on a terminal, every refusal, the record read
 * back by `f2f verify` and by `openssl cms -verify`, the order store, and
 * the printed form read back by pdftoppm, pdftotext and zbarimg. */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "rgs_test.h"
#include "f2f_pki.h"
#include <openssl/pem.h>

#define NOW "2026-03-10"
#define ID_NUMBER "X4RTBPFW4"

typedef struct {
  rgs_softhsm hsm;
  char policy[512], aed_trust[512], db[600], ca[600], other_ca[600], rec[600], pdf[600], csr[600];
  char now_env[64], fault_real[700], fault_state[700], fault_count[700];
  char state_path[600], count_path[600];
  /* The document number, as the AED gives it: the first line of a file. */
  char id_file[600], other_id_file[600], short_id_file[600];
  const char *env[8];
  const char *holder_token;       /* --token for f2f_run; NULL: the one there */
  const char *global_opt;         /* one more option before f2f (--final-try), or NULL */
  int aed_keypad;                 /* f2f_run gives no --aed-pin-file: a keypad's PIN */
} fixture;

/* ---- helpers ------------------------------------------------------------------- */

static void run_ok(const char *const *argv)
{
  rgs_run_result r;

  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  if (r.status != 0)
    fail_msg("%s failed (%d): %s%s", argv[0], r.status, r.out, r.err);
  rgs_run_free(&r);
}

/* rgs-enroll with the store, the demo policy, the demo AED and the fixed day. */
#define ENROLL(r, f, ...)                                                              \
  rgs_enroll((r), (f)->env, NULL, "--db", (f)->db, "--policy", (f)->policy, "--aed-trust", \
             (f)->aed_trust, __VA_ARGS__, NULL)

/* Leave out option (and its value) from args[0..n): the PIN of a token
 * whose reader has a keypad is typed there. The new count. */
static size_t drop_option(const char **args, size_t n, const char *option)
{
  size_t i, j = 0;

  for (i = 0; i < n; i++) {
    if (strcmp(args[i], option) == 0)
      i++;
    else
      args[j++] = args[i];
  }
  return j;
}

/* The scripted session; extra arguments (then NULL) override or add. With
 * input, the document number is read from it (--id-number-fd 0), else from
 * f->id_file. pin_file NULL: no --pin-file (a keypad's PIN). */
static void f2f_run_input(fixture *f, rgs_run_result *r, const char *module,
                          const char *pin_file, const char *const *extra, const char *input)
{
  const char *args[64] = {
    "--db", f->db, "--policy", f->policy, "--aed-trust", f->aed_trust, "--module", module,
    "--pin-file", pin_file != NULL ? pin_file : "", "--json", "f2f", "run", "1", "--aed-token",
    "pkcs11:token=AED", "--aed-module", rgs_env("SOFTHSM2_MODULE"), "--aed-pin-file",
    f->hsm.pin_file, "--out", f->rec, "--force", "--ca-file", f->ca, "--batch",
  };
  size_t n = 0, i;
  /* The answers; a later copy of an option wins (getopt). */
  const char *const answers[] = {
    "--id-document", "id-card", "--id-name", "SENEZ Frédéric", "--id-expires", "2031-05-31",
    input != NULL ? "--id-number-fd" : "--id-number-file", input != NULL ? "0" : f->id_file,
    "--id-verified", "yes", "--extract-date", "2026-02-15",
    "--office", "SELARL Acthemis, 29 Chemin de Séverin 13200 ARLES", "--place", "13200 Arles",
  };

  while (args[n] != NULL)
    n++;
  if (pin_file == NULL)
    n = drop_option(args, n, "--pin-file");
  if (f->aed_keypad)
    n = drop_option(args, n, "--aed-pin-file");
  if (f->holder_token != NULL) {
    memmove(args + 2, args, n * sizeof(args[0]));
    args[0] = "--token";
    args[1] = f->holder_token;
    n += 2;
  }
  if (f->global_opt != NULL) {
    memmove(args + 1, args, n * sizeof(args[0]));
    args[0] = f->global_opt;
    n++;
  }
  for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
    args[n++] = answers[i];
  for (i = 0; extra != NULL && extra[i] != NULL; i++)
    args[n++] = extra[i];
  args[n] = NULL;
  assert_int_equal(rgs_enroll_v(r, f->env, input, args), 0);
}

static void f2f_run(fixture *f, rgs_run_result *r, const char *module, const char *pin_file,
                    const char *const *extra)
{
  f2f_run_input(f, r, module, pin_file, extra, NULL);
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

static char *order_status(fixture *f)
{
  rgs_run_result r;
  char *s;

  ENROLL(&r, f, "--json", "order", "show", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  s = field(r.out, "order.status");
  rgs_run_free(&r);
  return s;
}

static void assert_status(fixture *f, const char *want)
{
  char *s = order_status(f);

  assert_string_equal(s, want);
  free(s);
}

/* 1 when needle occurs in the bytes of the file (NUL bytes included). */
static int file_contains(const char *path, const char *needle)
{
  size_t n = 0, k = strlen(needle), i;
  char *p = rgs_read_file(path, &n);
  int found = 0;

  if (p == NULL)
    return 0;
  for (i = 0; i + k <= n && !found; i++)
    found = memcmp(p + i, needle, k) == 0;
  free(p);
  return found;
}

static int openssl_verify(const char *rec, const char *ca, const char *out)
{
  const char *argv[] = { rgs_env("OPENSSL_BIN"), "cms", "-verify", "-inform", "DER", "-in", rec,
                         "-CAfile", ca, "-out", out, NULL };
  rgs_run_result r;
  int status;

  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  status = r.status;
  rgs_run_free(&r);
  return status;
}

/* ---- the two tokens, the CA, the order ------------------------------------------------ */

static void make_aed_token(fixture *f)
{
  const char *m = rgs_env("SOFTHSM2_MODULE");
  char pub[600], der[600];
  EVP_PKEY *ca_key = pki_key("ec"), *other_key = pki_key("ec"), *aed_pub;
  X509 *ca, *other, *aed;

  snprintf(pub, sizeof(pub), "%s/aed-pub.der", f->hsm.dir);
  snprintf(der, sizeof(der), "%s/aed.der", f->hsm.dir);
  {
    const char *gen[] = { rgs_env("PKCS11_TOOL"), "--module", m, "--token-label", "AED",
                          "--login", "--pin", RGS_TEST_PIN, "--keypairgen", "--key-type",
                          "rsa:2048", "--id", "a1", "--label", "aed-key", NULL };
    const char *read[] = { rgs_env("PKCS11_TOOL"), "--module", m, "--token-label", "AED",
                           "--read-object", "--type", "pubkey", "--id", "a1", "-o", pub, NULL };
    run_ok(gen);
    run_ok(read);
  }
  aed_pub = pki_read_pubkey_der(pub);
  assert_non_null(aed_pub);
  ca = pki_cert("Autorité de test des AED", ca_key, NULL, ca_key, 1, NULL, NULL);
  other = pki_cert("Autorité de test des AED", other_key, NULL, other_key, 1, NULL, NULL);
  aed = pki_cert("Maître Jeanne DUPONT-LÉGER", aed_pub, ca, ca_key, 0, NULL, NULL);
  assert_non_null(aed);
  assert_int_equal(pki_write_pem(f->ca, ca), 0);
  {
    char key_path[640];
    FILE *kf;
    snprintf(key_path, sizeof(key_path), "%s/ca-key.pem", f->hsm.dir);
    kf = fopen(key_path, "w");
    assert_non_null(kf);
    assert_int_equal(PEM_write_PrivateKey(kf, ca_key, NULL, NULL, 0, NULL, NULL), 1);
    fclose(kf);
  }
  assert_int_equal(pki_write_pem(f->other_ca, other), 0);
  assert_int_equal(pki_write_der(der, aed), 0);
  {
    const char *write[] = { rgs_env("PKCS11_TOOL"), "--module", m, "--token-label", "AED",
                            "--login", "--pin", RGS_TEST_PIN, "--write-object", der, "--type",
                            "cert", "--id", "a1", "--label", "aed-cert", NULL };
    run_ok(write);
  }
  X509_free(aed);
  X509_free(ca);
  X509_free(other);
  EVP_PKEY_free(aed_pub);
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(other_key);
}

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));
  rgs_run_result r;

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "Holder"), 0);
  assert_int_equal(rgs_softhsm_add_token(&f->hsm, "AED"), 0);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf", rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->aed_trust, sizeof(f->aed_trust), "%s/data/aed-trust/demo-aed.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->db, sizeof(f->db), "%s/orders.db", f->hsm.dir);
  snprintf(f->ca, sizeof(f->ca), "%s/ca.pem", f->hsm.dir);
  snprintf(f->other_ca, sizeof(f->other_ca), "%s/other-ca.pem", f->hsm.dir);
  snprintf(f->rec, sizeof(f->rec), "%s/record.p7m", f->hsm.dir);
  snprintf(f->pdf, sizeof(f->pdf), "%s/fiche.pdf", f->hsm.dir);
  snprintf(f->csr, sizeof(f->csr), "%s/request.csr", f->hsm.dir);
  snprintf(f->id_file, sizeof(f->id_file), "%s/id-number", f->hsm.dir);
  snprintf(f->other_id_file, sizeof(f->other_id_file), "%s/other-id-number", f->hsm.dir);
  snprintf(f->short_id_file, sizeof(f->short_id_file), "%s/short-id-number", f->hsm.dir);
  assert_int_equal(rgs_write_file(f->id_file, "x4rt bpfw4\n"), 0);
  assert_int_equal(rgs_write_file(f->other_id_file, "X4RTBPFW5\r\n"), 0);
  assert_int_equal(rgs_write_file(f->short_id_file, "12\n"), 0);
  snprintf(f->now_env, sizeof(f->now_env), "RGS_ENROLL_NOW=" NOW);
  snprintf(f->state_path, sizeof(f->state_path), "%s/pin-tries", f->hsm.dir);
  snprintf(f->count_path, sizeof(f->count_path), "%s/calls", f->hsm.dir);
  snprintf(f->fault_real, sizeof(f->fault_real), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  snprintf(f->fault_state, sizeof(f->fault_state), "RGS_FAULT_PIN_STATE=%s", f->state_path);
  snprintf(f->fault_count, sizeof(f->fault_count), "RGS_FAULT_COUNT_FILE=%s", f->count_path);
  f->env[0] = f->now_env;
  f->env[1] = f->fault_real;
  f->env[2] = f->fault_state;
  f->env[3] = f->fault_count;
  make_aed_token(f);
  /* The holder's order, its key and request, handed to the CA. */
  ENROLL(&r, f, "order", "new", "--partner", "cma", "--holder-first-name", "Frédéric",
         "--holder-last-name", "Senez", "--email", "f.senez@example.fr", "--company", "BS AUTO",
         "--siren", "732829320", "--payment", "virement", "--accept-cgu", "--ca-ref",
         "CMD-2026-0042");
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  ENROLL(&r, f, "--module", rgs_env("SOFTHSM2_MODULE"), "--token", "pkcs11:token=Holder",
         "--pin-file", f->hsm.pin_file, "start", "--order", "1", "--key-type", "ec:p256", "--out",
         f->csr);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  ENROLL(&r, f, "order", "set", "1", "--status", "submitted");
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  rgs_softhsm_cleanup(&f->hsm);
  free(f);
  return 0;
}

/* ---- the session ------------------------------------------------------------------ */

static void test_scripted_session_succeeds(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char json_out[600], *sha, *spki, db_wal[640];
  char *content;

  f2f_run(f, &r, rgs_env("SOFTHSM2_MODULE"), f->hsm.pin_file, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_field(r.out, "result", "success");
  assert_field(r.out, "verified", "true");
  assert_field(r.out, "status", "face-to-face-done");
  assert_field(r.out, "record.stored", "true");
  assert_field(r.out, "steps.2.id", "proof-of-possession");
  assert_field(r.out, "steps.2.result", "pass");
  sha = field(r.out, "record.sha256");
  rgs_run_free(&r);
  assert_status(f, "face-to-face-done");

  /* The tool's verification, with the binding to the order. */
  ENROLL(&r, f, "--json", "f2f", "verify", f->rec, "--ca-file", f->ca, "--id-number-file", f->id_file);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_field(r.out, "signature_valid", "true");
  assert_field(r.out, "signer_trusted", "true");
  assert_field(r.out, "content_consistent", "true");
  assert_field(r.out, "binding", "match");
  assert_field(r.out, "id_number_matches", "true");
  assert_field(r.out, "record_sha256", sha);
  spki = field(r.out, "spki_sha256");
  rgs_run_free(&r);
  /* Another number: the recomputed scrypt differs, verify says so. */
  ENROLL(&r, f, "--json", "f2f", "verify", f->rec, "--ca-file", f->ca, "--id-number-file", f->other_id_file);
  assert_int_not_equal(r.status, RGS_EXIT_OK);
  assert_field(r.out, "id_number_matches", "false");
  rgs_run_free(&r);

  /* OpenSSL's, and what it hands out is the canonical record. */
  snprintf(json_out, sizeof(json_out), "%s/record.json", f->hsm.dir);
  assert_int_equal(openssl_verify(f->rec, f->ca, json_out), 0);
  content = rgs_read_file(json_out, NULL);
  assert_non_null(content);
  assert_field(content, "format", "rgs-enroll/f2f-record/1");
  assert_field(content, "intervention.result", "success");
  assert_field(content, "intervention.date", NOW);
  assert_field(content, "order.ca_ref", "CMD-2026-0042");
  assert_field(content, "key.spki_sha256", spki);
  assert_field(content, "identity.number_last4", "PFW4");
  /* The number: scrypt, with its parameters, no HMAC any more. */
  assert_field(content, "identity.number_kdf", "scrypt");
  assert_field(content, "identity.number_kdf_n", "32768");
  assert_field(content, "identity.number_kdf_r", "8");
  assert_field(content, "identity.number_kdf_p", "1");
  assert_not_contains(content, "hmac");
  {
    char *md = field(content, "identity.number_scrypt");
    assert_int_equal(strlen(md), 64);
    free(md);
  }
  assert_field(content, "aed.name", "Maître Jeanne DUPONT-LÉGER");   /* the certificate's CN */
  assert_field(content, "company.extract_last_day", "2026-05-14");
  assert_not_contains(content, "\n");
  free(content);

  /* The whole document number is nowhere: record, store, its journal. */
  assert_false(file_contains(f->rec, ID_NUMBER));
  assert_false(file_contains(f->db, ID_NUMBER));
  snprintf(db_wal, sizeof(db_wal), "%s-wal", f->db);
  assert_false(file_contains(db_wal, ID_NUMBER));
  assert_true(file_contains(f->db, sha) || file_contains(db_wal, sha));

  /* The documents checklist learnt the dates the AED saw. */
  ENROLL(&r, f, "--json", "order", "show", "1");
  assert_contains(r.out, "\"expires_on\":\"2031-05-31\"");
  assert_contains(r.out, "\"issued_on\":\"2026-02-15\"");
  rgs_run_free(&r);
  free(spki);
  free(sha);
}

static void test_appointment_gives_office_and_place(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char json_out[600], *content;
  const char *argv[] = {
    "--db", f->db, "--policy", f->policy, "--aed-trust", f->aed_trust, "--module",
    rgs_env("SOFTHSM2_MODULE"), "--pin-file",
    f->hsm.pin_file, "f2f", "run", "1", "--aed-token", "pkcs11:token=AED", "--aed-pin-file",
    f->hsm.pin_file, "--out", f->rec, "--ca-file", f->ca, "--id-document", "passport",
    "--id-name", "Senez Frederic", "--id-expires", "2031-05-31", "--id-number-file", f->id_file,
    "--id-verified", "yes", "--extract-date", "2026-02-15", "--aed-name",
    "maitre jeanne dupont-leger", NULL };

  ENROLL(&r, f, "aed", "book", "1", "--aed", "acthemis-arles", "--date", "2026-03-10T10:00",
         "--mode", "holder-travels");
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  /* No --office, no --place, and no terminal: the appointment answers. */
  assert_int_equal(rgs_enroll_v(&r, f->env, NULL, argv), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Face-to-face DONE");
  assert_contains(r.out, "Step 6/6");
  rgs_run_free(&r);
  snprintf(json_out, sizeof(json_out), "%s/record.json", f->hsm.dir);
  assert_int_equal(openssl_verify(f->rec, f->ca, json_out), 0);
  content = rgs_read_file(json_out, NULL);
  assert_non_null(content);
  assert_field(content, "aed.office_id", "acthemis-arles");
  assert_field(content, "aed.office", "SELARL Acthemis, 29 Chemin de Séverin 13200 ARLES");
  assert_field(content, "aed.name", "maitre jeanne dupont-leger");   /* the CN, as typed */
  assert_field(content, "intervention.place", "13200 ARLES");
  assert_field(content, "identity.document", "passport");
  assert_field(content, "identity.name_as_printed", "Senez Frederic");   /* accents aside */
  free(content);
  assert_status(f, "face-to-face-done");
}

static void test_key_not_the_requests_is_refused(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char json_out[600];

  /* A token with a key of its own, not the one of the order's request. */
  assert_int_equal(rgs_softhsm_add_token(&f->hsm, "Other"), 0);
  ENROLL(&r, f, "--module", rgs_env("SOFTHSM2_MODULE"), "--token", "pkcs11:token=Other",
         "--pin-file", f->hsm.pin_file, "keygen", "--key-type", "ec:p256");
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  {
    /* --token is a global option: before the command. */
    const char *argv[] = {
      "--token", "pkcs11:token=Other", "--db", f->db, "--policy", f->policy, "--aed-trust",
      f->aed_trust, "--module",
      rgs_env("SOFTHSM2_MODULE"), "--pin-file", f->hsm.pin_file, "--json", "f2f", "run", "1",
      "--aed-token", "pkcs11:token=AED", "--aed-pin-file", f->hsm.pin_file, "--out", f->rec,
      "--ca-file", f->ca, "--batch", "--id-document", "passport", "--id-name", "Frédéric Senez",
      "--id-expires", "2031-05-31", "--id-number-file", f->id_file, "--id-verified", "yes",
      "--extract-date", "2026-02-15", "--office", "Étude Dupont", "--place", "Arles", NULL };
    assert_int_equal(rgs_enroll_v(&r, f->env, NULL, argv), 0);
  }
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_field(r.out, "result", "refused");
  assert_field(r.out, "steps.0.result", "pass");
  assert_field(r.out, "steps.1.result", "fail");
  assert_field(r.out, "steps.2.result", "not-done");
  assert_field(r.out, "steps.5.result", "pass");
  assert_field(r.out, "record.stored", "true");
  assert_contains(r.out, "does not hold the private key of the order's request");
  rgs_run_free(&r);
  assert_status(f, "submitted");

  /* The refusal is a valid record: signed, trusted, and says refused. */
  ENROLL(&r, f, "--json", "f2f", "verify", f->rec, "--ca-file", f->ca);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_field(r.out, "signature_valid", "true");
  assert_field(r.out, "signer_trusted", "true");
  assert_field(r.out, "result", "refused");
  rgs_run_free(&r);
  snprintf(json_out, sizeof(json_out), "%s/refused.json", f->hsm.dir);
  assert_int_equal(openssl_verify(f->rec, f->ca, json_out), 0);
  assert_true(file_contains(json_out, "\"failed_step\":\"key-match\""));
  /* And the order's history says so. */
  ENROLL(&r, f, "--json", "order", "show", "1");
  assert_contains(r.out, "face-to-face refused");
  rgs_run_free(&r);
}

static void test_wrong_pin_respects_the_counters(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  /* The holder's token through the fault module, which keeps a PIN counter;
   * the AED's straight on SoftHSM. A wrong PIN: one try spent, refused. */
  f2f_run(f, &r, rgs_env("RGS_FAULT_MODULE"), f->hsm.bad_pin_file, NULL);
  rgs_assert_status(&r, RGS_EXIT_PIN);
  assert_field(r.out, "result", "refused");
  assert_field(r.out, "steps.1.result", "fail");
  assert_contains(r.out, "PIN");
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count_path, "C_Login"), 1);
  {
    char *tries = rgs_read_file(f->state_path, NULL);
    assert_non_null(tries);
    assert_int_equal(atoi(tries), 2);
    free(tries);
  }
  assert_status(f, "submitted");

  /* One try left: never spent without consent, not even tried. */
  assert_int_equal(rgs_write_file(f->state_path, "1\n"), 0);
  f2f_run(f, &r, rgs_env("RGS_FAULT_MODULE"), f->hsm.bad_pin_file, NULL);
  rgs_assert_status(&r, RGS_EXIT_PIN);
  assert_field(r.out, "result", "refused");
  assert_contains(r.out, "only one PIN try is left");
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count_path, "C_Login"), 1);

  /* With consent (--final-try) and the right PIN: done. */
  {
    const char *args[64];
    size_t n = 0;
    const char *base[] = {
      "--final-try", "--db", f->db, "--policy", f->policy, "--aed-trust", f->aed_trust,
      "--module", rgs_env("RGS_FAULT_MODULE"),
      "--pin-file", f->hsm.pin_file, "--json", "f2f", "run", "1", "--aed-token",
      "pkcs11:token=AED", "--aed-module", rgs_env("SOFTHSM2_MODULE"), "--aed-pin-file",
      f->hsm.pin_file, "--out", f->rec, "--force", "--ca-file", f->ca, "--batch",
      "--id-document", "id-card", "--id-name", "Frédéric SENEZ", "--id-expires", "2031-05-31",
      "--id-number-file", f->id_file, "--id-verified", "yes", "--extract-date", "2026-02-15",
      "--office", "Étude", "--place", "Arles", NULL };
    while (base[n] != NULL) {
      args[n] = base[n];
      n++;
    }
    args[n] = NULL;
    assert_int_equal(rgs_enroll_v(&r, f->env, NULL, args), 0);
  }
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_field(r.out, "result", "success");
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count_path, "C_Login"), 2);
  assert_status(f, "face-to-face-done");
}

/* ---- tokens whose reader has a keypad ------------------------------------------ */

/* One f2f run where a keypad's PIN is asked: no PIN on any descriptor or
 * file, so the command logs in with a NULL PIN, which SoftHSM refuses. The
 * refusal is said (why; NULL: step 2, the holder's key, failed), the
 * number of C_Login made so far is logins. */
static void expect_keypad_login(fixture *f, const char *module, const char *const *extra,
                                const char *why, int logins)
{
  rgs_run_result r;

  unlink(f->rec);
  f2f_run(f, &r, module, f->aed_keypad ? f->hsm.pin_file : NULL, extra);
  if (r.status == RGS_EXIT_OK ||
      (why != NULL && strstr(r.out, why) == NULL && strstr(r.err, why) == NULL))
    fail_msg("exit %d, '%s' not said: %s%s", r.status, why != NULL ? why : "", r.out, r.err);
  /* The holder's key refused: a signed refusal; the AED's: no session. */
  if (why == NULL)
    assert_field(r.out, "steps.1.result", "fail");
  assert_int_equal(access(f->rec, F_OK) == 0, !f->aed_keypad);
  /* Never the terminal's prompt: there is none to read, and none is read. */
  assert_not_contains(r.err, "no terminal");
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count_path, "C_Login"), logins);
  assert_status(f, "submitted");
}

/* --batch without --pin-fd / --aed-pin-fd for a token with a protected
 * authentication path (the fault module's flag over SoftHSM): the login is
 * made once with a NULL PIN, the reader's keypad asks; the counters are
 * read first, the last try only with --final-try / --aed-final-try. */
static void test_keypad_tokens_log_in_without_a_pin(void **state)
{
  fixture *f = *state;
  const char *aed_fault[] = { "--aed-module", rgs_env("RGS_FAULT_MODULE"), NULL };
  const char *aed_final[] = { "--aed-module", rgs_env("RGS_FAULT_MODULE"), "--aed-final-try",
                              NULL };

  f->env[4] = "RGS_FAULT_TOKEN_FLAGS_SET=CKF_PROTECTED_AUTHENTICATION_PATH";
  f->env[5] = NULL;
  /* The holder's token, every try left: one C_Login, refused at step 2. */
  expect_keypad_login(f, rgs_env("RGS_FAULT_MODULE"), NULL, NULL, 1);
  assert_int_equal(rgs_write_file(f->state_path, "1\n"), 0);
  expect_keypad_login(f, rgs_env("RGS_FAULT_MODULE"), NULL, "only one PIN try is left", 1);
  f->global_opt = "--final-try";
  expect_keypad_login(f, rgs_env("RGS_FAULT_MODULE"), NULL, NULL, 2);
  f->global_opt = NULL;

  /* The AED's token, its own counter: before the holder's is touched. */
  assert_int_equal(rgs_write_file(f->state_path, "3\n"), 0);
  f->aed_keypad = 1;
  expect_keypad_login(f, rgs_env("SOFTHSM2_MODULE"), aed_fault, "the AED's token", 3);
  assert_int_equal(rgs_write_file(f->state_path, "1\n"), 0);
  expect_keypad_login(f, rgs_env("SOFTHSM2_MODULE"), aed_fault, "only one PIN try is left", 3);
  expect_keypad_login(f, rgs_env("SOFTHSM2_MODULE"), aed_final, "the AED's token", 4);
  f->aed_keypad = 0;
  f->env[4] = NULL;
}

/* --batch on a terminal, the holder's keypad token on its last try and no
 * --final-try: refused at once, the terminal never asked for consent (a
 * window's child started from a terminal would wait on it unseen). */
static void test_batch_never_asks_the_last_try_on_a_terminal(void **state)
{
  fixture *f = *state;
  char conf[700];
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--db", f->db, "--policy", f->policy,
                         "--aed-trust", f->aed_trust, "--module", rgs_env("RGS_FAULT_MODULE"),
                         "--json", "f2f", "run", "1", "--batch", "--aed-token", "pkcs11:token=AED",
                         "--aed-module", rgs_env("SOFTHSM2_MODULE"), "--aed-pin-file",
                         f->hsm.pin_file, "--ca-file", f->ca, "--out", f->rec, "--force",
                         "--id-document", "id-card", "--id-name", "SENEZ Frédéric",
                         "--id-expires", "2031-05-31", "--id-number-file", f->id_file,
                         "--id-verified", "yes", "--extract-date", "2026-02-15",
                         "--office", "Étude", "--place", "Arles", NULL };
  const char *env[] = { f->now_env, conf, f->fault_real, f->fault_state, f->fault_count,
                        "RGS_FAULT_TOKEN_FLAGS_SET=CKF_PROTECTED_AUTHENTICATION_PATH", NULL };
  rgs_term t;
  int said;

  snprintf(conf, sizeof(conf), "SOFTHSM2_CONF=%s", f->hsm.conf);
  assert_int_equal(rgs_write_file(f->state_path, "1\n"), 0);
  rgs_term_start(&t, argv, env);
  said = rgs_term_expect(&t, "only one PIN try is left");
  if (!said)
    kill(t.pid, SIGKILL);               /* waiting on the terminal: ended here */
  assert_int_equal(rgs_term_wait(&t), said ? RGS_EXIT_PIN : 128 + SIGKILL);
  assert_not_contains(t.seen, "Type YES");
  assert_true(said);
  assert_int_equal(rgs_count_lines(f->count_path, "C_Login"), 0);
  assert_status(f, "submitted");
}

/* A refusal of the identity or company step: exit 1, stored, status kept. */
static void expect_refusal(fixture *f, const char *const *extra, const char *step,
                           const char *why)
{
  rgs_run_result r;
  char path[32];

  f2f_run(f, &r, rgs_env("SOFTHSM2_MODULE"), f->hsm.pin_file, extra);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_field(r.out, "result", "refused");
  assert_field(r.out, "record.stored", "true");
  snprintf(path, sizeof(path), "steps.%s.result", step);
  assert_field(r.out, path, "fail");
  assert_contains(r.out, why);
  rgs_run_free(&r);
  assert_status(f, "submitted");
}

static void test_identity_and_company_refusals(void **state)
{
  fixture *f = *state;
  const char *expired[] = { "--id-expires", "2026-03-09", NULL };
  const char *other_name[] = { "--id-name", "Jean DUPONT", NULL };
  const char *not_seen[] = { "--id-verified", "no", NULL };
  const char *old_extract[] = { "--extract-date", "2025-12-10", NULL };
  const char *future_extract[] = { "--extract-date", "2026-03-11", NULL };
  const char *youngest_ok[] = { "--extract-date", "2025-12-11", "--id-expires", NOW, NULL };
  rgs_run_result r;

  expect_refusal(f, expired, "3", "expired on 2026-03-09");
  expect_refusal(f, other_name, "3", "is not the holder of the order");
  expect_refusal(f, not_seen, "3", "did not confirm");
  expect_refusal(f, old_extract, "4", "three months old or more");
  expect_refusal(f, future_extract, "4", "after today");
  /* Valid on the day itself, an extract of exactly three months less a day. */
  f2f_run(f, &r, rgs_env("SOFTHSM2_MODULE"), f->hsm.pin_file, youngest_ok);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  assert_status(f, "face-to-face-done");
  /* Done is done: no second session. */
  f2f_run(f, &r, rgs_env("SOFTHSM2_MODULE"), f->hsm.pin_file, NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "face-to-face-done");
  rgs_run_free(&r);
}

static void test_tampered_and_untrusted_records(void **state)
{
  fixture *f = *state;
  const char *hostile_place[] = { "--place", "13200 Arles\x1b]0;x\x07\xe2\x80\xae", NULL };
  rgs_run_result r;
  char out[600], *der;
  size_t n = 0, i;
  FILE *fp;

  /* A place with an escape sequence and a bidi override: the record keeps
   * it, f2f verify shows it sanitised. */
  f2f_run(f, &r, rgs_env("SOFTHSM2_MODULE"), f->hsm.pin_file, hostile_place);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  ENROLL(&r, f, "f2f", "verify", f->rec, "--ca-file", f->ca);
  rgs_assert_status(&r, RGS_EXIT_OK);
  /* verify must not show the record's text raw */
  assert_contains(r.out, "13200 Arles?]0;x??");
  assert_not_contains(r.out, "\x1b");
  assert_not_contains(r.out, "\xe2\x80\xae");
  rgs_run_free(&r);

  /* Another CA of the same name: not the AED's. */
  ENROLL(&r, f, "--json", "f2f", "verify", f->rec, "--ca-file", f->other_ca);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_field(r.out, "signature_valid", "true");
  assert_field(r.out, "signer_trusted", "false");
  assert_contains(r.out, "not trusted");
  rgs_run_free(&r);
  snprintf(out, sizeof(out), "%s/untrusted.json", f->hsm.dir);
  assert_int_not_equal(openssl_verify(f->rec, f->other_ca, out), 0);

  /* One byte of the content changed: "13200 Arles" becomes "13201 Arles". */
  der = rgs_read_file(f->rec, &n);
  assert_non_null(der);
  for (i = 0; i + 11 <= n; i++)
    if (memcmp(der + i, "13200 Arles", 11) == 0)
      break;
  assert_true(i + 11 <= n);
  der[i + 4] = '1';
  fp = fopen(f->rec, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(der, 1, n, fp), n);
  fclose(fp);
  free(der);
  ENROLL(&r, f, "--json", "f2f", "verify", f->rec, "--ca-file", f->ca);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_field(r.out, "signature_valid", "false");
  assert_contains(r.out, "altered");
  rgs_run_free(&r);
  snprintf(out, sizeof(out), "%s/tampered.json", f->hsm.dir);
  assert_int_not_equal(openssl_verify(f->rec, f->ca, out), 0);
  /* Not a record at all. */
  ENROLL(&r, f, "f2f", "verify", f->csr);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "not an intervention record");
  rgs_run_free(&r);
  ENROLL(&r, f, "f2f", "verify", "/nonexistent/record.p7m");
  rgs_assert_status(&r, RGS_EXIT_IO);
  rgs_run_free(&r);
}

static void test_untrusted_aed_stops_before_the_holder(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  const char *other[] = { "--ca-file", f->other_ca, NULL };

  /* The AED's certificate does not chain to the anchors given: nothing is
   * asked of the holder, no record is made. */
  unlink(f->rec);
  f2f_run(f, &r, rgs_env("RGS_FAULT_MODULE"), f->hsm.pin_file, other);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "not trusted");
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count_path, "C_Login"), 0);
  assert_int_not_equal(access(f->rec, F_OK), 0);
  assert_status(f, "submitted");
}

/* The document number is personal data, like a PIN: never on the command
 * line. --id-number VALUE is refused before any token is touched (exit 2),
 * its value is never repeated; a file that is not a regular file, an empty
 * one, or a file and a descriptor together are refused; the number read
 * from a descriptor does the session. */
static void test_id_number_never_on_the_command_line(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char fifo[700], empty[700];
  const char *on_argv[] = { "--id-number", "ZQ7PL93KX", NULL };
  const char *on_argv_eq[] = { "--id-number=ZQ7PL93KX", NULL };
  const char *abbreviated[] = { "--id-numbe=ZQ7PL93KX", NULL };
  const char *both[] = { "--id-number-fd", "0", NULL };
  const char *from_fifo[] = { "--id-number-file", fifo, NULL };
  const char *from_empty[] = { "--id-number-file", empty, NULL };
  const struct {
    const char *const *extra;
    int status;
    const char *says;
  } cases[] = {
    { on_argv, RGS_EXIT_USAGE, "--id-number: a document number is personal data" },
    { on_argv_eq, RGS_EXIT_USAGE, "give it with --id-number-file FILE" },
    { abbreviated, RGS_EXIT_USAGE, "unknown option '--id-numbe'" },
    { both, RGS_EXIT_USAGE, "--id-number-file and --id-number-fd exclude each other" },
    { from_fifo, RGS_EXIT_IO, "--id-number-file: could not be read" },
    { from_empty, RGS_EXIT_IO, "is empty" },
  };
  size_t i;

  snprintf(fifo, sizeof(fifo), "%s/id-fifo", f->hsm.dir);
  snprintf(empty, sizeof(empty), "%s/id-empty", f->hsm.dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(rgs_write_file(empty, "\n"), 0);
  unlink(f->rec);
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    f2f_run(f, &r, rgs_env("RGS_FAULT_MODULE"), f->hsm.pin_file, cases[i].extra);
    if (r.status != cases[i].status || strstr(r.err, cases[i].says) == NULL)
      fail_msg("case %zu: exit %d, expected %d saying \"%s\"\n%s", i, r.status,
               cases[i].status, cases[i].says, r.err);
    assert_not_contains(r.err, "ZQ7PL93KX");
    assert_not_contains(r.out, "ZQ7PL93KX");
    rgs_run_free(&r);
  }
  ENROLL(&r, f, "f2f", "verify", f->rec, "--ca-file", f->ca, "--id-number", "ZQ7PL93KX");
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  assert_contains(r.err, "--id-number-fd N");
  assert_not_contains(r.err, "ZQ7PL93KX");
  rgs_run_free(&r);
  /* Nothing reached a token, nothing was recorded. */
  assert_int_equal(rgs_count_lines(f->count_path, "C_Login"), 0);
  assert_int_not_equal(access(f->rec, F_OK), 0);

  /* From a descriptor (a pipe, as a window would give it). */
  f2f_run_input(f, &r, rgs_env("RGS_FAULT_MODULE"), f->hsm.pin_file, NULL, "X4RT-BPFW4\n");
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_not_contains(r.out, ID_NUMBER);
  rgs_run_free(&r);
  ENROLL(&r, f, "--json", "f2f", "verify", f->rec, "--ca-file", f->ca, "--id-number-file",
         f->id_file);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_field(r.out, "id_number_matches", "true");
  rgs_run_free(&r);
}

static void test_usage_and_order_state(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  const char *bad_date[] = { "--id-expires", "31/02/2031", NULL };
  const char *bad_number[] = { "--id-number-file", f->short_id_file, NULL };
  const char *bad_doc[] = { "--id-document", "permis", NULL };
  const char *const *bad[] = { bad_date, bad_number, bad_doc };
  size_t i;

  unlink(f->rec);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    f2f_run(f, &r, rgs_env("RGS_FAULT_MODULE"), f->hsm.pin_file, bad[i]);
    rgs_assert_status(&r, RGS_EXIT_USAGE);
    rgs_run_free(&r);
  }
  /* A script that forgot an answer learns it before any PIN is used. */
  {
    const char *argv[] = { "--db", f->db, "--policy", f->policy, "--aed-trust", f->aed_trust,
                           "--module",
                           rgs_env("RGS_FAULT_MODULE"), "--pin-file", f->hsm.pin_file, "f2f",
                           "run", "1", "--aed-token", "pkcs11:token=AED", "--aed-module",
                           rgs_env("SOFTHSM2_MODULE"), "--aed-pin-file", f->hsm.pin_file,
                           "--ca-file", f->ca, "--out", f->rec, "--id-document", "id-card",
                           "--id-name", "Frédéric Senez", "--id-expires", "2031-05-31",
                           "--id-verified", "yes", "--extract-date", "2026-02-15", "--office",
                           "Étude", "--place", "Arles", NULL };
    assert_int_equal(rgs_enroll_v(&r, f->env, NULL, argv), 0);
    rgs_assert_status(&r, RGS_EXIT_USAGE);
    assert_contains(r.err, "--id-number-file is needed");
    rgs_run_free(&r);
  }
  assert_int_equal(rgs_count_lines(f->count_path, "C_Login"), 0);
  assert_int_not_equal(access(f->rec, F_OK), 0);
  /* No AED token named. */
  ENROLL(&r, f, "f2f", "run", "1");
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  assert_contains(r.err, "--aed-token");
  rgs_run_free(&r);
  /* An order that has no request yet. */
  ENROLL(&r, f, "order", "new", "--partner", "cma", "--holder-first-name", "Anne",
         "--holder-last-name", "Martin", "--email", "a.martin@example.fr", "--company", "BS AUTO",
         "--siren", "732829320", "--payment", "cheque", "--accept-cgu");
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  {
    const char *base[] = { "--db", f->db, "--policy", f->policy, "--aed-trust", f->aed_trust,
                           NULL };
    const rgs_cli_case cases[] = {
      { RGS_EXIT_CHECK, "once the request is submitted",
        { "f2f", "run", "2", "--aed-token", "pkcs11:token=AED", NULL } },
      { RGS_EXIT_USAGE, NULL, { "f2f", "run", "99", "--aed-token", "pkcs11:token=AED", NULL } },
      { RGS_EXIT_CHECK, "no face-to-face record", { "f2f", "print", "1", NULL } },
      { RGS_EXIT_USAGE, NULL, { "f2f", "frobnicate", NULL } },
    };
    rgs_cli_cases_run(cases, sizeof(cases) / sizeof(cases[0]), f->env, base);
  }
}

/* ---- who may sign as the AED --------------------------------------------------------- */

/* A token `label` whose key (EC, made on it) has a certificate of the test
 * CA for cn, with the certificate policy given (NULL: none). */
static void make_signer_token(fixture *f, const char *label, const char *cn, const char *policy)
{
  const char *m = rgs_env("SOFTHSM2_MODULE");
  char pub[600], der[600], key_path[640];
  EVP_PKEY *ca_key, *key;
  X509 *ca, *cert;
  FILE *fp;

  assert_int_equal(rgs_softhsm_add_token(&f->hsm, label), 0);
  snprintf(pub, sizeof(pub), "%s/%s-pub.der", f->hsm.dir, label);
  snprintf(der, sizeof(der), "%s/%s.der", f->hsm.dir, label);
  snprintf(key_path, sizeof(key_path), "%s/ca-key.pem", f->hsm.dir);
  {
    const char *gen[] = { rgs_env("PKCS11_TOOL"), "--module", m, "--token-label", label,
                          "--login", "--pin", RGS_TEST_PIN, "--keypairgen", "--key-type",
                          "EC:prime256v1", "--id", "b1", "--label", "k", NULL };
    const char *read[] = { rgs_env("PKCS11_TOOL"), "--module", m, "--token-label", label,
                           "--read-object", "--type", "pubkey", "--id", "b1", "-o", pub, NULL };
    run_ok(gen);
    run_ok(read);
  }
  fp = fopen(key_path, "r");
  assert_non_null(fp);
  ca_key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
  fclose(fp);
  fp = fopen(f->ca, "r");
  assert_non_null(fp);
  ca = PEM_read_X509(fp, NULL, NULL, NULL);
  fclose(fp);
  key = pki_read_pubkey_der(pub);
  assert_non_null(ca_key);
  assert_non_null(ca);
  assert_non_null(key);
  cert = pki_cert_policy(cn, key, ca, ca_key, 0, NULL, NULL, policy);
  assert_non_null(cert);
  assert_int_equal(pki_write_der(der, cert), 0);
  {
    const char *write[] = { rgs_env("PKCS11_TOOL"), "--module", m, "--token-label", label,
                            "--login", "--pin", RGS_TEST_PIN, "--write-object", der, "--type",
                            "cert", "--id", "b1", "--label", "cert", NULL };
    run_ok(write);
  }
  X509_free(cert);
  X509_free(ca);
  EVP_PKEY_free(key);
  EVP_PKEY_free(ca_key);
}

/* f2f run refused before the holder's PIN: the holder's token through the
 * fault module counts the logins; no record, no change to the order. */
static void expect_refused_before_holder(fixture *f, const char *const *extra, const char *why)
{
  rgs_run_result r;

  unlink(f->rec);
  f2f_run(f, &r, rgs_env("RGS_FAULT_MODULE"), f->hsm.pin_file, extra);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, why);
  rgs_run_free(&r);
  assert_int_equal(rgs_count_lines(f->count_path, "C_Login"), 0);
  assert_int_not_equal(access(f->rec, F_OK), 0);
  assert_status(f, "submitted");
}

/* Someone with a certificate of the trusted CA who is not an AED, the holder
 * under the holder's own name, an --aed-name that is not the certificate's:
 * each refused before the holder types a PIN. */
static void test_only_a_listed_aed_signs(void **state)
{
  fixture *f = *state;
  const char *notary[] = { "--aed-token", "pkcs11:token=Notary", NULL };
  const char *holder[] = { "--aed-token", "pkcs11:token=Holder2", NULL };
  const char *other_name[] = { "--aed-name", "Me Jean AUTRE", NULL };

  f->holder_token = "pkcs11:token=Holder";
  make_signer_token(f, "Notary", "Paul MARTIN", NULL);
  make_signer_token(f, "Holder2", "Frédéric SENEZ", PKI_DEMO_AED_POLICY);
  expect_refused_before_holder(f, notary, "signed by Paul MARTIN, who is not a listed AED");
  expect_refused_before_holder(f, notary, "demo-aed.conf");
  expect_refused_before_holder(f, holder, "the holder cannot be the AED");
  expect_refused_before_holder(f, other_name, "not the name of the AED's certificate");
}

/* f2f verify: the AED trust list decides, never the system store; the
 * demo entry is said to be one; --aed-trust adds entries. */
static void test_verify_needs_a_listed_aed(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char pins[600], bad[600], der[600], text[400], *fp, *colon;
  char sslenv[700];
  const char *env[10];
  size_t i;

  f2f_run(f, &r, rgs_env("SOFTHSM2_MODULE"), f->hsm.pin_file, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_field(r.out, "demo_aed", "true");
  rgs_run_free(&r);

  /* The demo entry: accepted, and said to be a demo. */
  ENROLL(&r, f, "f2f", "verify", f->rec, "--ca-file", f->ca);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "DEMO AED");
  rgs_run_free(&r);
  ENROLL(&r, f, "--json", "f2f", "verify", f->rec, "--ca-file", f->ca);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_field(r.out, "signer_listed_aed", "true");
  assert_field(r.out, "demo_aed", "true");
  rgs_run_free(&r);

  /* No AED trust file given: the shipped one lists no AED, and a record of
   * an AED that chains to the CA given is refused, saying why. */
  {
    const char *argv[] = { "--db", f->db, "--json", "f2f", "verify", f->rec, "--ca-file",
                           f->ca, NULL };
    assert_int_equal(rgs_enroll_v(&r, f->env, NULL, argv), 0);
  }
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_field(r.out, "signature_valid", "true");
  assert_field(r.out, "signer_trusted", "true");
  assert_field(r.out, "signer_listed_aed", "false");
  assert_contains(r.out, "signed by Maître Jeanne DUPONT-LÉGER, who is not a listed AED");
  assert_contains(r.out, "aed-trust.conf");
  rgs_run_free(&r);

  /* The CA in OpenSSL's default store (SSL_CERT_FILE), not given with
   * --ca-file: no fallback, the AED's chain has no anchor. */
  snprintf(sslenv, sizeof(sslenv), "SSL_CERT_FILE=%s", f->ca);
  for (i = 0; f->env[i] != NULL; i++)
    env[i] = f->env[i];
  env[i++] = sslenv;
  env[i] = NULL;
  {
    const char *argv[] = { "--db", f->db, "--aed-trust", f->aed_trust, "--json", "f2f",
                           "verify", f->rec, NULL };
    assert_int_equal(rgs_enroll_v(&r, env, NULL, argv), 0);
  }
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_field(r.out, "signer_trusted", "false");
  assert_contains(r.out, "not trusted");
  rgs_run_free(&r);

  /* --aed-trust FILE pinning the AED's certificate: accepted, no anchor
   * needed, not a demo. */
  snprintf(der, sizeof(der), "%s/aed.der", f->hsm.dir);
  {
    const char *argv[] = { rgs_env("OPENSSL_BIN"), "x509", "-inform", "DER", "-in", der,
                           "-noout", "-fingerprint", "-sha256", NULL };
    assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
    rgs_assert_status(&r, 0);
  }
  fp = strchr(r.out, '=');
  assert_non_null(fp);
  fp++;
  fp[strcspn(fp, "\r\n")] = '\0';
  snprintf(text, sizeof(text), "# the AED of the tests\n[aed \"Maître Dupont-Léger\"]\nsha256 = %s\n", fp);
  rgs_run_free(&r);
  snprintf(pins, sizeof(pins), "%s/pins.conf", f->hsm.dir);
  assert_int_equal(rgs_write_file(pins, text), 0);
  {
    const char *argv[] = { "--db", f->db, "--aed-trust", pins, "--json", "f2f", "verify",
                           f->rec, NULL };
    assert_int_equal(rgs_enroll_v(&r, f->env, NULL, argv), 0);
  }
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_field(r.out, "aed_entry", "Maître Dupont-Léger");
  assert_field(r.out, "demo_aed", "false");
  rgs_run_free(&r);

  /* A malformed trust file: its line, exit 8, nothing verified. */
  colon = strstr(text, "sha256 = ");
  assert_non_null(colon);
  colon[9] = 'Z';
  snprintf(bad, sizeof(bad), "%s/bad.conf", f->hsm.dir);
  assert_int_equal(rgs_write_file(bad, text), 0);
  ENROLL(&r, f, "--aed-trust", bad, "f2f", "verify", f->rec, "--ca-file", f->ca);
  rgs_assert_status(&r, RGS_EXIT_IO);
  assert_contains(r.err, "bad.conf:3: sha256: 64 hexadecimal digits");
  rgs_run_free(&r);
}

/* ---- faults on the AED's token ------------------------------------------------------ */

/* The holder's token straight on SoftHSM, the AED's through the fault
 * module over the same SoftHSM (already initialised by the process): the
 * fault is reported with its exit status, no record is written or stored,
 * the order does not move. */
static void expect_aed_fault(fixture *f, const char *var, int status, const char *why)
{
  const char *extra[] = { "--aed-module", rgs_env("RGS_FAULT_MODULE"), NULL };
  rgs_run_result r;

  unlink(f->rec);
  f->env[4] = var;
  f->env[5] = NULL;
  f2f_run(f, &r, rgs_env("SOFTHSM2_MODULE"), f->hsm.pin_file, extra);
  f->env[4] = NULL;
  if (r.status != status || strstr(r.err, why) == NULL)
    fail_msg("%s: exit %d (expected %d), '%s' not in: %s%s", var, r.status, status, why, r.out,
             r.err);
  rgs_run_free(&r);
  assert_int_not_equal(access(f->rec, F_OK), 0);
  assert_status(f, "submitted");
  ENROLL(&r, f, "f2f", "print", "1");
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "no face-to-face record");
  rgs_run_free(&r);
}

static void test_faults_on_the_aed_token(void **state)
{
  fixture *f = *state;
  const char *extra[] = { "--aed-module", rgs_env("RGS_FAULT_MODULE"), NULL };
  rgs_run_result r;

  /* No fault: the fault module works over the SoftHSM the holder's token
   * already uses, and the AED's token signs through it. */
  expect_aed_fault(f, "RGS_FAULT_FAIL=C_Sign:1:CKR_DEVICE_ERROR", RGS_EXIT_MODULE, "the AED's token could not sign the record");
  expect_aed_fault(f, "RGS_FAULT_REMOVE_AT=C_Sign:1", RGS_EXIT_TOKEN, "the AED's token could not sign the record");
  expect_aed_fault(f, "RGS_FAULT_FAIL=C_Login:1:CKR_DEVICE_ERROR", RGS_EXIT_MODULE, "the AED's token");
  expect_aed_fault(f, "RGS_FAULT_FAIL=C_Login:1:CKR_PIN_INCORRECT", RGS_EXIT_PIN, "the AED's token");
  f2f_run(f, &r, rgs_env("SOFTHSM2_MODULE"), f->hsm.pin_file, extra);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_field(r.out, "verified", "true");
  rgs_run_free(&r);
  assert_status(f, "face-to-face-done");
}

/* ---- the printed form ----------------------------------------------------------------- */

/* Share of dark pixels of a binary PGM (P5) image, in per mille. */
static long dark_per_mille(const char *path)
{
  size_t n = 0, i, pixels, dark = 0;
  char *p = rgs_read_file(path, &n);
  int w = 0, h = 0, max = 0, off = 0;

  assert_non_null(p);
  assert_int_equal(sscanf(p, "P5 %d %d %d%n", &w, &h, &max, &off), 3);
  off++;                                    /* the single white space after maxval */
  pixels = (size_t)w * (size_t)h;
  assert_true((size_t)off + pixels <= n);
  for (i = 0; i < pixels; i++)
    if ((unsigned char)p[off + i] < 128)
      dark++;
  free(p);
  return (long)(dark * 1000 / pixels);
}

static void test_printed_form(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char base[600], pgm[640], png[640], *qr, *text;
  long dark;

  f2f_run(f, &r, rgs_env("SOFTHSM2_MODULE"), f->hsm.pin_file, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  /* The signer is checked as f2f verify checks it, anchors given or not:
   * without the test CA as anchor the demo AED has no chain... */
  ENROLL(&r, f, "f2f", "print", "1", "--out", f->pdf);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "not trusted");         /* print without an anchor */
  rgs_run_free(&r);
  assert_int_not_equal(access(f->pdf, F_OK), 0);
  /* ...and without the demo trust file it is not a listed AED. */
  {
    const char *argv[] = { "--db", f->db, "f2f", "print", "1", "--out", f->pdf, "--ca-file",
                           f->ca, NULL };
    assert_int_equal(rgs_enroll_v(&r, f->env, NULL, argv), 0);
  }
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "not a listed AED");    /* print by a non-listed AED */
  rgs_run_free(&r);
  assert_int_not_equal(access(f->pdf, F_OK), 0);
  ENROLL(&r, f, "--json", "f2f", "print", "1", "--out", f->pdf, "--ca-file", f->ca);
  rgs_assert_status(&r, RGS_EXIT_OK);
  qr = field(r.out, "qr");
  assert_field(r.out, "demo_aed", "true");
  rgs_run_free(&r);
  assert_contains(qr, "RGS-F2F/1;order=1;ref=CMD-2026-0042;spki=");
  assert_contains(qr, ";result=success");
  /* An existing file is kept. */
  ENROLL(&r, f, "f2f", "print", "1", "--out", f->pdf, "--ca-file", f->ca);
  rgs_assert_status(&r, RGS_EXIT_IO);
  rgs_run_free(&r);

  /* Rendered: a page that is not blank (and not black). */
  snprintf(base, sizeof(base), "%s/page", f->hsm.dir);
  {
    const char *argv[] = { rgs_env("PDFTOPPM"), "-r", "50", "-gray", "-singlefile", f->pdf, base, NULL };
    run_ok(argv);
  }
  snprintf(pgm, sizeof(pgm), "%s.pgm", base);
  dark = dark_per_mille(pgm);
  assert_true(dark > 10);
  assert_true(dark < 500);

  /* The text: the order reference, the holder's name with its accents. */
  {
    const char *argv[] = { rgs_env("PDFTOTEXT"), "-enc", "UTF-8", f->pdf, "-", NULL };
    assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
    rgs_assert_status(&r, 0);
    text = r.out;
    assert_contains(text, "CMD-2026-0042");
    assert_contains(text, "Frédéric Senez");
    assert_contains(text, "Maître Jeanne DUPONT-LÉGER");
    assert_contains(text, "SUCCESS");
    rgs_run_free(&r);
  }

  /* The QR code says what the record says. */
  {
    const char *ppm[] = { rgs_env("PDFTOPPM"), "-r", "150", "-png", "-singlefile", f->pdf, base, NULL };
    run_ok(ppm);
  }
  snprintf(png, sizeof(png), "%s.png", base);
  {
    const char *argv[] = { rgs_env("ZBARIMG"), "-q", "--raw", png, NULL };
    assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
    rgs_assert_status(&r, 0);
    r.out[strcspn(r.out, "\r\n")] = '\0';
    assert_string_equal(r.out, qr);
    rgs_run_free(&r);
  }
  /* The same form from the record file, without the store. */
  {
    char other_pdf[640];
    snprintf(other_pdf, sizeof(other_pdf), "%s/fiche2.pdf", f->hsm.dir);
    ENROLL(&r, f, "f2f", "print", "--record", f->rec, "--out", other_pdf, "--ca-file", f->ca);
    rgs_assert_status(&r, RGS_EXIT_OK);
    rgs_run_free(&r);
  }
  free(qr);
}

/* ---- the guided session on a terminal --------------------------------------------------- */

static void test_guided_session_on_a_terminal(void **state)
{
  fixture *f = *state;
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--db", f->db, "--policy", f->policy,
                         "--aed-trust", f->aed_trust,
                         "--module", rgs_env("SOFTHSM2_MODULE"), "--token", "pkcs11:token=Holder",
                         "f2f", "run", "1", "--aed-token", "pkcs11:token=AED",
                         "--aed-pin-file", f->hsm.pin_file, "--ca-file", f->ca, "--out", f->rec,
                         "--office", "SELARL Acthemis, Arles", "--place", "Arles", NULL };
  char conf[700];
  const char *env[] = { f->now_env, conf, NULL };
  rgs_term t;

  snprintf(conf, sizeof(conf), "SOFTHSM2_CONF=%s", f->hsm.conf);
  rgs_term_start(&t, argv, env);
  rgs_term_say(&t, "Press Enter", "\n");                       /* the AED's token */
  rgs_term_say(&t, "Step 1/6", "");
  rgs_term_say(&t, "Press Enter", "\n");
  rgs_term_say(&t, "Step 2/6", "");
  rgs_term_say(&t, "Holder: PIN of token \"Holder\": ", RGS_TEST_PIN "\n");
  rgs_term_say(&t, "Press Enter", "\n");
  rgs_term_say(&t, "Step 3/6", "");
  rgs_term_say(&t, "Press Enter", "\n");
  rgs_term_say(&t, "Step 4/6", "");
  rgs_term_say(&t, "Document (id-card or passport): ", "passeport\n");
  rgs_term_say(&t, "Name as printed on the document: ", "SENEZ Frédéric\n");
  rgs_term_say(&t, "(YYYY-MM-DD): ", "31/05/2031\n");           /* refused, asked again */
  rgs_term_say(&t, "a date such as", "");
  rgs_term_say(&t, "(YYYY-MM-DD): ", "2031-05-31\n");
  rgs_term_say(&t, "last four characters are kept): ", "X4RT BPFW4\n");
  rgs_term_say(&t, "show the person present? [y/n] ", "maybe\n");
  rgs_term_say(&t, "[y/n] ", "oui\n");
  rgs_term_say(&t, "Press Enter", "\n");
  rgs_term_say(&t, "Step 5/6", "");
  rgs_term_say(&t, "registration extract (YYYY-MM-DD): ", "2026-02-15\n");
  rgs_term_say(&t, "Press Enter", "\n");
  rgs_term_say(&t, "Step 6/6", "");
  rgs_term_say(&t, "AED operator's name [Maître Jeanne DUPONT-LÉGER]: ", "\n");
  rgs_term_say(&t, "Face-to-face DONE", "");
  assert_int_equal(rgs_term_wait(&t), 0);
  assert_not_contains(t.seen, RGS_TEST_PIN);               /* the PIN was not echoed */
  assert_status(f, "face-to-face-done");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_scripted_session_succeeds, setup, teardown),
    cmocka_unit_test_setup_teardown(test_appointment_gives_office_and_place, setup, teardown),
    cmocka_unit_test_setup_teardown(test_key_not_the_requests_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_wrong_pin_respects_the_counters, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keypad_tokens_log_in_without_a_pin, setup, teardown),
    cmocka_unit_test_setup_teardown(test_batch_never_asks_the_last_try_on_a_terminal, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_identity_and_company_refusals, setup, teardown),
    cmocka_unit_test_setup_teardown(test_tampered_and_untrusted_records, setup, teardown),
    cmocka_unit_test_setup_teardown(test_untrusted_aed_stops_before_the_holder, setup, teardown),
    cmocka_unit_test_setup_teardown(test_usage_and_order_state, setup, teardown),
    cmocka_unit_test_setup_teardown(test_id_number_never_on_the_command_line, setup, teardown),
    cmocka_unit_test_setup_teardown(test_printed_form, setup, teardown),
    cmocka_unit_test_setup_teardown(test_only_a_listed_aed_signs, setup, teardown),
    cmocka_unit_test_setup_teardown(test_verify_needs_a_listed_aed, setup, teardown),
    cmocka_unit_test_setup_teardown(test_faults_on_the_aed_token, setup, teardown),
    cmocka_unit_test_setup_teardown(test_guided_session_on_a_terminal, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
