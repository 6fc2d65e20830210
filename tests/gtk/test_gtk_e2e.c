/* SPDX-License-Identifier: BSD-3-Clause */
/* test_gtk_e2e.c - a whole holder enrolment through rgs-enroll-gtk, from the
 * key plugged in to the certificate installed, in one run as a person goes
 * through it (gtk_e2e.py over AT-SPI, under Xvfb and a D-Bus session): the
 * order recorded with the command line; `watch --once` notifies (the test's
 * notification server, tests/udev/fake_notifyd) and its action opens the
 * window at the key page; the key pair made (PIN in the dialog), the
 * request saved; Certigna's reference set and the dossier exported through
 * the window; the face-to-face run on the AED's side (`f2f run --batch`
 * with the AED's token); the certificate issued from the request by the
 * test PKI (this program, called back as `test_gtk_e2e issue CSR DIR`); the
 * record imported and the certificate installed through the window's file
 * choosers. Then `status` says installed and the certificate is on the
 * token. SoftHSM holds both tokens. Exit 77 when a tool is missing. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "f2f_aedtoken.h"
#include "gtk_run.h"
#include "testpki.h"

#define SUBJECT "C=FR,O=Boulangerie Dupont,OU=0002 732829320,CN=Jean DUPONT"

/* `issue CSR DIR`: the CA's side, called by gtk_e2e.py once the window
 * saved the request: a root and an issuing CA made, a certificate of three
 * years and a day (as ordered) for the request's key written with its CA
 * to DIR/certificate.pem, the root to DIR/root.pem (the run's trust store,
 * SSL_CERT_FILE). Exit 0 when written. */
static int issue(const char *csr, const char *dir)
{
  tpki_ca root, inter;
  EVP_PKEY *pub = tpki_csr_pubkey(csr);
  time_t now = time(NULL);
  tpki_leaf spec = { SUBJECT, now - TPKI_DAY, now + 3 * 365 * TPKI_DAY, NULL, 0, 0, NULL, NULL, 0 };
  X509 *leaf = NULL, *bundle[3] = { NULL, NULL, NULL };
  char path[PATH_MAX];
  int rc = 1;

  if (pub == NULL || tpki_ca_new(&root, "Test Root", NULL, 3650) != 0)
    goto cleanup_pub;
  if (tpki_ca_new(&inter, "Test Issuing CA", &root, 3000) != 0)
    goto cleanup_root;
  leaf = tpki_issue(&inter, pub, &spec);
  bundle[0] = leaf;
  bundle[1] = inter.cert;
  snprintf(path, sizeof(path), "%s/certificate.pem", dir);
  if (leaf == NULL || tpki_write_pem(path, bundle) != 0)
    goto cleanup;
  bundle[0] = root.cert;
  bundle[1] = NULL;
  snprintf(path, sizeof(path), "%s/root.pem", dir);
  rc = tpki_write_pem(path, bundle) != 0;
cleanup:
  X509_free(leaf);
  tpki_ca_free(&inter);
cleanup_root:
  tpki_ca_free(&root);
cleanup_pub:
  EVP_PKEY_free(pub);
  return rc;
}

/* The AED's token (the one token dir of dir/tokens whose name is not
 * holder's) moved to dir/aed-away: not plugged in on the holder's computer
 * (the watcher would see it), gtk_e2e.py brings it back for the
 * face-to-face. */
static void aed_away(const char *dir, const char *holder)
{
  char tokens[700], away[700], from[1000], to[1000];
  DIR *d;
  struct dirent *e;
  int moved = 0;

  snprintf(tokens, sizeof(tokens), "%s/tokens", dir);
  snprintf(away, sizeof(away), "%s/aed-away", dir);
  assert_int_equal(mkdir(away, 0700), 0);
  d = opendir(tokens);
  assert_non_null(d);
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || strcmp(e->d_name, holder) == 0)
      continue;
    snprintf(from, sizeof(from), "%s/%s", tokens, e->d_name);
    snprintf(to, sizeof(to), "%s/%s", away, e->d_name);
    assert_int_equal(rename(from, to), 0);
    moved++;
  }
  closedir(d);
  assert_int_equal(moved, 1);
}

/* The name of the one token dir in dir/tokens (the holder's), to out. */
static void holder_dir(const char *dir, char *out, size_t n)
{
  char tokens[700];
  DIR *d;
  struct dirent *e;

  snprintf(tokens, sizeof(tokens), "%s/tokens", dir);
  out[0] = '\0';
  d = opendir(tokens);
  assert_non_null(d);
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.')
      snprintf(out, n, "%s", e->d_name);
  closedir(d);
  assert_true(out[0] != '\0');
}

/* The command line after the run: order 1 installed, a certificate on
 * the holder's token next to its key. */
static void check_installed(const char *const *env, const rgs_softhsm *t)
{
  const char *tool[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "--token-label", "holder", "--list-objects", "--type", "cert", NULL };
  rgs_run_result r;
  char *st;

  (void)t;
  assert_int_equal(rgs_enroll(&r, env, NULL, "--json", "status", "1", NULL), 0);
  assert_int_equal(r.status, 0);
  st = rgs_json_get(r.out, "orders.0.status");
  assert_non_null(st);
  assert_string_equal(st, "installed");
  free(st);
  rgs_run_free(&r);
  assert_int_equal(rgs_run(tool, env, NULL, &r), 0);
  assert_int_equal(r.status, 0);
  assert_contains(r.out, "Certificate Object");
  assert_contains(r.out, "Jean DUPONT");
  printf("status 1: installed; on the token:\n%s\n", r.out);
  rgs_run_free(&r);
}

static void run_case(const char *lang)
{
  rgs_softhsm t;
  rgs_gtk_envbuf eb;
  char ca[700], data[700], e_data[720], e_trust[720], self[PATH_MAX], holder[256];
  const char *env[32], *args[10];
  rgs_run_result r;
  size_t n;
  ssize_t len;

  len = readlink("/proc/self/exe", self, sizeof(self) - 1);
  assert_true(len > 0);
  self[len] = '\0';
  assert_int_equal(rgs_softhsm_init(&t, "holder"), 0);
  holder_dir(t.dir, holder, sizeof(holder));
  assert_int_equal(rgs_softhsm_add_token(&t, "AED"), 0);
  mkdir(rgs_env("RGS_GTK_SHOTS"), 0755);
  n = rgs_gtk_env(&eb, env, t.dir, lang);
  snprintf(ca, sizeof(ca), "%s/aed-ca.pem", t.dir);
  f2f_aed_token(t.dir, ca);
  aed_away(t.dir, holder);
  rgs_gtk_aed_datadir(t.dir, ca, data, sizeof(data));
  snprintf(e_data, sizeof(e_data), "RGS_ENROLL_DATADIR=%s", data);
  /* The trust store the test PKI's root is written to once it issues. */
  snprintf(e_trust, sizeof(e_trust), "SSL_CERT_FILE=%s/root.pem", t.dir);
  env[n++] = e_data;
  env[n++] = e_trust;
  env[n] = NULL;
  rgs_gtk_record_order(env);
  args[0] = lang;
  args[1] = rgs_env("RGS_GTK_WINDOW");
  args[2] = t.dir;
  args[3] = rgs_env("RGS_GTK_SHOTS");
  args[4] = t.pin_file;
  args[5] = self;
  args[6] = NULL;
  assert_int_equal(rgs_gtk_person(&r, env, "gtk_e2e.py", args), 0);
  assert_int_equal(r.status, 0);
  assert_contains(r.out, "window opened at the key page of order 1");
  assert_contains(r.out, "verify OK");
  assert_contains(r.out, "dossier exported through the window");
  assert_contains(r.out, "face-to-face record made by the AED");
  assert_contains(r.out, "record imported");
  assert_contains(r.out, "checks, every one passed");
  assert_contains(r.out, "passed in");
  rgs_run_free(&r);
  check_installed(env, &t);
  rgs_softhsm_cleanup(&t);
}

static void test_e2e_en(void **state)
{
  (void)state;
  run_case("en");
}

static void test_e2e_fr(void **state)
{
  (void)state;
  run_case("fr");
}

/* `test_gtk_e2e [fr]`: one language per ctest case; `test_gtk_e2e issue
 * CSR DIR`: the CA's side, called by the script. */
int main(int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_e2e_en),
    cmocka_unit_test(test_e2e_fr),
  };

  if (argc == 4 && strcmp(argv[1], "issue") == 0)
    return issue(argv[2], argv[3]);
  if (rgs_gtk_tools() != 0)
    return 77;
  cmocka_set_test_filter(argc > 1 && strcmp(argv[1], "fr") == 0 ? "test_e2e_fr" : "test_e2e_en");
  return cmocka_run_group_tests(tests, NULL, NULL);
}
