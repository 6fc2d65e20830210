/* SPDX-License-Identifier: BSD-3-Clause */
/* test_gtk_files.c - the holder's files through rgs-enroll-gtk, as a person
 * uses them (gtk_files.py over AT-SPI, under Xvfb and a D-Bus session): the
 * dossier for the AED exported and signed on the key (PIN typed in the
 * dialog), then checked by `order import` into a second store; a record
 * for another order refused in words; the order's own face-to-face record
 * imported through the file chooser; the certificate installed through the
 * file chooser with every check listed, then `status` by the command line
 * says installed. Real files on SoftHSM: the holder's token and the AED's
 * (tests/f2f/f2f_aedtoken.c), the records made by `f2f run` beforehand, the
 * certificate issued for the order's key by the test PKI
 * (tests/install/testpki.c). The AED's CA is listed in an AED trust file
 * of a data directory of the test's own (RGS_ENROLL_DATADIR); the
 * certificate's root is the trust store (SSL_CERT_FILE). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "f2f_aedtoken.h"
#include "gtk_run.h"
#include "testpki.h"

#define SIREN "732829320"
#define SUBJECT "C=FR,O=Boulangerie Dupont,OU=0002 " SIREN ",CN=Jean DUPONT"

typedef struct {
  rgs_softhsm t;
  rgs_gtk_envbuf eb;
  char s[6][700];
  const char *env[32];
  size_t n;
} files_fx;

static char *in_dir(files_fx *f, const char *name)
{
  static char buf[8][700];
  static int k;
  char *p = buf[k++ % 8];

  snprintf(p, 700, "%s/%s", f->t.dir, name);
  return p;
}

/* One more "NAME=value" for every run of the case. */
static void add_env(files_fx *f, const char *name, const char *value)
{
  char *s;
  size_t i;

  for (i = 0; i < 6 && f->s[i][0] != '\0'; i++)
    ;
  assert_true(i < 6);
  s = f->s[i];
  snprintf(s, sizeof(f->s[i]), "%s=%s", name, value);
  f->env[f->n++] = s;
  f->env[f->n] = NULL;
}

/* rgs-enroll with the window's environment and its policy (the window
 * hands --policy to its children); exit 0 required. Free the output. */
static char *cli_ok(files_fx *f, const char *input, const char *const *args)
{
  const char *argv[48];
  char policy[700], *out;
  rgs_run_result r;
  size_t n = 0, i;

  snprintf(policy, sizeof(policy), "%s/data/policy/demo-softhsm.conf", rgs_env("RGS_SOURCE_DIR"));
  argv[n++] = "--policy";
  argv[n++] = policy;
  for (i = 0; args[i] != NULL && n < 47; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  assert_int_equal(rgs_enroll_v(&r, f->env, input, argv), 0);
  if (r.status != 0)
    fail_msg("rgs-enroll %s %s failed (%d): %s%s", args[0], args[1], r.status, r.out, r.err);
  out = strdup(r.out);
  rgs_run_free(&r);
  return out;
}

/* A data directory of the test's own (rgs_gtk_aed_datadir). */
static void data_dir(files_fx *f)
{
  char data[700];

  rgs_gtk_aed_datadir(f->t.dir, in_dir(f, "aed-ca.pem"), data, sizeof(data));
  add_env(f, "RGS_ENROLL_DATADIR", data);
}

/* Order id with CA reference ref, its key made on the holder's token,
 * its request handed to the CA. */
static void holder_order(files_fx *f, const char *id, const char *ref)
{
  const char *order[] = { "--json", "order", "new", "--partner", "cma", "--holder-first-name",
                          "Jean", "--holder-last-name", "Dupont", "--email", "jean@example.fr",
                          "--company", "Boulangerie Dupont", "--siren", SIREN, "--payment",
                          "carte", "--accept-cgu", "--ca-ref", ref, NULL };
  const char *start[] = { "--token", "pkcs11:token=holder", "--pin-file", f->t.pin_file,
                          "--json", "start", "--order", id, "--key-type", "ec:p256", "--out",
                          in_dir(f, id[0] == '1' ? "req1.csr" : "req2.csr"), NULL };
  const char *set[] = { "order", "set", id, "--status", "submitted", NULL };

  free(cli_ok(f, NULL, order));
  free(cli_ok(f, NULL, start));
  free(cli_ok(f, NULL, set));
}

/* The face-to-face of holder order id on the AED's laptop (its own store):
 * the dossier exported, imported there, `f2f run` with both tokens; the
 * record written to rec. */
static void aed_record(files_fx *f, const char *id, const char *rec)
{
  char dossier[700], extract[16], *out, *aed_id;
  time_t then = time(NULL) - 10 * TPKI_DAY;
  struct tm tm;
  const char *m = rgs_env("SOFTHSM2_MODULE");
  const char *exp[] = { "--module", m, "--token", "pkcs11:token=holder", "--pin-file",
                        f->t.pin_file, "--json", "order", "export", id, "--out", dossier, NULL };
  const char *imp[] = { "--db", in_dir(f, "aed.db"), "--json", "order", "import", dossier, NULL };
  const char *run[] = {
    "--db", in_dir(f, "aed.db"), "--module", m, "--token", "pkcs11:token=holder", "--pin-file",
    f->t.pin_file, "--json", "f2f", "run", NULL, "--aed-token", "pkcs11:token=AED",
    "--aed-module", m, "--aed-pin-file", f->t.pin_file, "--out", rec, "--force", "--batch",
    "--id-document", "id-card", "--id-name", "DUPONT Jean", "--id-expires", "2035-05-31",
    "--id-number-fd", "0", "--id-verified", "yes", "--extract-date", extract, "--office",
    "SELARL Acthemis, 29 Chemin de Séverin 13200 ARLES", "--place", "13200 Arles", NULL,
  };

  snprintf(dossier, sizeof(dossier), "%s/dossier-%s.p7m", f->t.dir, id);
  strftime(extract, sizeof(extract), "%Y-%m-%d", gmtime_r(&then, &tm));
  free(cli_ok(f, NULL, exp));
  out = cli_ok(f, NULL, imp);
  aed_id = rgs_json_get(out, "order_id");
  assert_non_null(aed_id);
  run[11] = aed_id;
  free(cli_ok(f, "x4rt bpfw4\n", run));
  free(aed_id);
  free(out);
}

/* A certificate of inter for order 1's key, valid `days` from yesterday,
 * with its issuing CA beside it, written to name. */
static void issue_one(files_fx *f, const tpki_ca *inter, long days, const char *name)
{
  EVP_PKEY *pub = tpki_csr_pubkey(in_dir(f, "req1.csr"));
  time_t now = time(NULL);
  tpki_leaf spec = { SUBJECT, now - TPKI_DAY, now - TPKI_DAY + days * TPKI_DAY, NULL, 0, 0,
                     NULL, NULL, 0 };
  X509 *leaf;

  assert_non_null(pub);
  leaf = tpki_issue(inter, pub, &spec);
  assert_non_null(leaf);
  {
    X509 *bundle[] = { leaf, inter->cert, NULL };

    assert_int_equal(tpki_write_pem(in_dir(f, name), bundle), 0);
  }
  X509_free(leaf);
  EVP_PKEY_free(pub);
}

/* The CA's answers for order 1 (three years ordered): a certificate of
 * 1000 days, refused, the right one, and another right one (a second
 * issue, which replaces the first only after the question); the root is
 * the trust store of the run. */
static void issue(files_fx *f)
{
  tpki_ca root, inter;
  X509 *anchors[2] = { NULL, NULL };

  assert_int_equal(tpki_ca_new(&root, "Test Root", NULL, 3650), 0);
  assert_int_equal(tpki_ca_new(&inter, "Test Issuing CA", &root, 3000), 0);
  issue_one(f, &inter, 1000, "certificate-short.pem");
  issue_one(f, &inter, 3 * 365 + 1, "certificate.pem");
  issue_one(f, &inter, 3 * 365 + 1, "certificate-new.pem");
  anchors[0] = root.cert;
  assert_int_equal(tpki_write_pem(in_dir(f, "root.pem"), anchors), 0);
  add_env(f, "SSL_CERT_FILE", in_dir(f, "root.pem"));
  tpki_ca_free(&inter);
  tpki_ca_free(&root);
}

/* The holder token's URI as `tokens` names it (the window takes it exact). */
static char *holder_uri(files_fx *f)
{
  static const char *const args[] = { "--json", "tokens", NULL };
  char *out = cli_ok(f, NULL, args), *uri = NULL, *label, path[64];
  int i;

  for (i = 0; i < 8 && uri == NULL; i++) {
    snprintf(path, sizeof(path), "slots.%d.token.label", i);
    label = rgs_json_get(out, path);
    if (label != NULL && strcmp(label, "holder") == 0) {
      snprintf(path, sizeof(path), "slots.%d.uri", i);
      uri = rgs_json_get(out, path);
    }
    free(label);
  }
  free(out);
  assert_non_null(uri);
  return uri;
}

static void run_case(const char *lang)
{
  files_fx f;
  rgs_run_result r;
  const char *args[8];
  static const char *const status[] = { "--json", "status", "1", NULL };
  char *uri, *out, *st;

  memset(&f, 0, sizeof(f));
  assert_int_equal(rgs_softhsm_init(&f.t, "holder"), 0);
  assert_int_equal(rgs_softhsm_add_token(&f.t, "AED"), 0);
  mkdir(rgs_env("RGS_GTK_SHOTS"), 0755);
  f.n = rgs_gtk_env(&f.eb, f.env, f.t.dir, lang);
  f2f_aed_token(f.t.dir, in_dir(&f, "aed-ca.pem"));
  data_dir(&f);
  holder_order(&f, "1", "CMD-2026-0042");
  holder_order(&f, "2", "CMD-2026-0043");
  aed_record(&f, "1", in_dir(&f, "record-1.p7m"));
  aed_record(&f, "2", in_dir(&f, "record-other.p7m"));
  issue(&f);
  uri = holder_uri(&f);
  args[0] = lang;
  args[1] = rgs_env("RGS_GTK_WINDOW");
  args[2] = f.t.dir;
  args[3] = rgs_env("RGS_GTK_SHOTS");
  args[4] = uri;
  args[5] = NULL;
  assert_int_equal(rgs_gtk_person(&r, f.env, "gtk_files.py", args), 0);
  assert_int_equal(r.status, 0);
  assert_contains(r.out, "dossier verified by order import");
  assert_contains(r.out, "dossier saved in the chosen place");
  assert_contains(r.out, "record for another order refused");
  assert_contains(r.out, "record imported");
  assert_contains(r.out, "short certificate refused");
  assert_contains(r.out, "certificate installed");
  assert_contains(r.out, "certificate replaced");
  assert_contains(r.out, "passed in");
  rgs_run_free(&r);
  /* The command line agrees: the order is installed. */
  out = cli_ok(&f, NULL, status);
  st = rgs_json_get(out, "orders.0.status");
  assert_non_null(st);
  assert_string_equal(st, "installed");
  free(st);
  free(out);
  free(uri);
  rgs_softhsm_cleanup(&f.t);
}

static void test_files_en(void **state)
{
  (void)state;
  run_case("en");
}

static void test_files_fr(void **state)
{
  (void)state;
  run_case("fr");
}

/* One language per ctest case (argument en or fr; none: en), each well
 * under a minute. */
int main(int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_files_en),
    cmocka_unit_test(test_files_fr),
  };

  if (rgs_gtk_tools() != 0)
    return 77;
  cmocka_set_test_filter(argc > 1 && strcmp(argv[1], "fr") == 0 ? "test_files_fr"
                                                                : "test_files_en");
  return cmocka_run_group_tests(tests, NULL, NULL);
}
