/* SPDX-License-Identifier: BSD-3-Clause */
/* test_gtk_officer.c - the AED officer's window (rgs-enroll-gtk --officer)
 * used as a huissier uses it, under Xvfb and a D-Bus session, driven by
 * gtk_officer.py through the accessibility tree. Two SoftHSM tokens (the
 * holder's behind the fault module: PIN counter, C_Login count; the AED's
 * with a certificate of a test CA listed by an AED trust file), two stores
 * (the holder's, with the order, its request and the exported dossier; the
 * AED's, empty: the window imports the dossier). Afterwards the record the
 * window saved is checked with the command line: `f2f verify` in the AED's
 * store and `f2f import` into the holder's. Then both keys as keypad readers
 * in a second AED store: no PIN typed or handed on. Exit 77 when a tool is
 * missing. */
#include <dirent.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "gtk_run.h"
#include "f2f_aedtoken.h"
#include "f2f_pki.h"

typedef struct {
  rgs_softhsm hsm;
  char ca[600], data[600], policy[600], holder_db[600], aed_db[600], dossier[600], record[600];
  char keypad_db[600];
  const char *env[32];
} fixture;

/* A data folder (RGS_ENROLL_DATADIR) whose shipped AED trust file lists
 * the test CA: the window passes no --aed-trust or --ca-file, as on an
 * AED's laptop where the trust files are installed. */
static void data_dir(fixture *f)
{
  char path[700], text[1400], link[700];

  snprintf(f->data, sizeof(f->data), "%s/data", f->hsm.dir);
  mkdir(f->data, 0755);
  snprintf(path, sizeof(path), "%s/aed-trust", f->data);
  mkdir(path, 0755);
  snprintf(path, sizeof(path), "%s/aed-trust/aed-trust.conf", f->data);
  snprintf(text, sizeof(text),
           "[aed \"DEMO: AED certificates of the test CA\"]\nissuer-file = %s\n"
           "policy = " PKI_DEMO_AED_POLICY "\ndemo = yes\n", f->ca);
  assert_int_equal(rgs_write_file(path, text), 0);
  snprintf(path, sizeof(path), "%s/policy", f->data);
  snprintf(link, sizeof(link), "%s/data/policy", rgs_env("RGS_SOURCE_DIR"));
  assert_int_equal(symlink(link, path), 0);
  snprintf(path, sizeof(path), "%s/aed", f->data);
  snprintf(link, sizeof(link), "%s/data/aed", rgs_env("RGS_SOURCE_DIR"));
  assert_int_equal(symlink(link, path), 0);
}

/* rgs-enroll on the holder's store, with the demo policy (SoftHSM). */
#define HOLDER(r, f, ...)                                                                \
  rgs_enroll((r), (f)->env, NULL, "--db", (f)->holder_db, "--policy", (f)->policy, __VA_ARGS__, \
             NULL)

/* The holder's side: the order, its key and request on the holder's token,
 * handed to the CA, and the dossier exported for the AED. */
static void holder_dossier(fixture *f)
{
  rgs_run_result r;
  const char *m = rgs_env("SOFTHSM2_MODULE");

  assert_int_equal(HOLDER(&r, f, "order", "new", "--partner", "cma", "--holder-first-name",
                          "Frédéric", "--holder-last-name", "Senez", "--email",
                          "f.senez@example.fr", "--company", "BS AUTO", "--siren", "732829320",
                          "--payment", "virement", "--accept-cgu", "--ca-ref", "CMD-2026-0042"), 0);
  rgs_assert_status(&r, 0);
  rgs_run_free(&r);
  assert_int_equal(HOLDER(&r, f, "--module", m, "--token", "pkcs11:token=Holder", "--pin-file",
                          f->hsm.pin_file, "start", "--order", "1", "--key-type", "ec:p256",
                          "--out", f->record), 0);
  rgs_assert_status(&r, 0);
  rgs_run_free(&r);
  unlink(f->record);
  assert_int_equal(HOLDER(&r, f, "order", "set", "1", "--status", "submitted"), 0);
  rgs_assert_status(&r, 0);
  rgs_run_free(&r);
  assert_int_equal(HOLDER(&r, f, "--module", m, "--token", "pkcs11:token=Holder", "--pin-file",
                          f->hsm.pin_file, "order", "export", "1", "--out", f->dossier), 0);
  rgs_assert_status(&r, 0);
  rgs_run_free(&r);
}

static void check_record(fixture *f)
{
  rgs_run_result r;

  /* The AED's store: the record verifies and is bound to the order. */
  assert_int_equal(rgs_enroll(&r, f->env, NULL, "--db", f->aed_db, "--json", "f2f", "verify",
                              f->record, "--order", "1", NULL), 0);
  rgs_assert_status(&r, 0);
  rgs_assert_json(r.out, "binding", "match");
  rgs_run_free(&r);
  /* The holder's store takes it: the order is face-to-face-done. */
  assert_int_equal(HOLDER(&r, f, "--json", "f2f", "import", f->record), 0);
  rgs_assert_status(&r, 0);
  rgs_run_free(&r);
  assert_int_equal(HOLDER(&r, f, "--json", "order", "show", "1"), 0);
  rgs_assert_status(&r, 0);
  rgs_assert_json(r.out, "order.status", "face-to-face-done");
  rgs_run_free(&r);
}

/* The screenshots of an earlier run in lang removed: what is left after a
 * run is this run's. */
static void clear_shots(const char *lang)
{
  const char *dir = rgs_env("RGS_GTK_SHOTS");
  char path[900];
  struct dirent *e;
  DIR *d;

  mkdir(dir, 0755);
  d = opendir(dir);
  assert_non_null(d);
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, lang, 2) != 0 || e->d_name[2] != '-')
      continue;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(d);
}

static void run_case(const char *lang)
{
  fixture *f = calloc(1, sizeof(*f));
  rgs_gtk_envbuf eb;
  char e_data[700], e_aed_module[700], aed_dir[500];
  const char *args[12];
  rgs_run_result r;
  size_t n;

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "Holder"), 0);
  assert_int_equal(rgs_softhsm_add_token(&f->hsm, "AED"), 0);
  clear_shots(lang);
  snprintf(f->ca, sizeof(f->ca), "%s/ca.pem", f->hsm.dir);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->holder_db, sizeof(f->holder_db), "%s/holder.db", f->hsm.dir);
  snprintf(aed_dir, sizeof(aed_dir), "%s/aed", f->hsm.dir);
  mkdir(aed_dir, 0700);
  snprintf(f->aed_db, sizeof(f->aed_db), "%s/orders.db", aed_dir);
  snprintf(f->dossier, sizeof(f->dossier), "%s/dossier-senez.p7m", f->hsm.dir);
  snprintf(f->record, sizeof(f->record), "%s/record-for-the-holder.p7m", f->hsm.dir);
  n = rgs_gtk_env(&eb, f->env, f->hsm.dir, lang);
  f2f_aed_token(f->hsm.dir, f->ca);
  data_dir(f);
  snprintf(e_data, sizeof(e_data), "RGS_ENROLL_DATADIR=%s", f->data);
  /* The holder's token through the fault module (its PIN counter and
   * C_Login count), the AED's through SoftHSM itself, as f2f tests do. */
  snprintf(e_aed_module, sizeof(e_aed_module), "RGS_ENROLL_AED_MODULE=%s",
           rgs_env("SOFTHSM2_MODULE"));
  f->env[n++] = e_data;
  f->env[n++] = e_aed_module;
  f->env[n] = NULL;
  holder_dossier(f);
  /* A second AED store, the dossier imported: the keypad run starts there. */
  snprintf(f->keypad_db, sizeof(f->keypad_db), "%s/keypad.db", aed_dir);
  assert_int_equal(rgs_enroll(&r, f->env, NULL, "--db", f->keypad_db, "order", "import",
                              f->dossier, NULL), 0);
  rgs_assert_status(&r, 0);
  rgs_run_free(&r);
  args[0] = lang;
  args[1] = rgs_env("RGS_GTK_WINDOW");
  args[2] = f->hsm.dir;
  args[3] = rgs_env("RGS_GTK_SHOTS");
  args[4] = f->aed_db;
  args[5] = f->dossier;
  args[6] = f->record;
  args[7] = f->keypad_db;
  args[8] = rgs_env("RGS_ENROLL_BIN");
  args[9] = NULL;
  assert_int_equal(rgs_gtk_person(&r, f->env, "gtk_officer.py", args), 0);
  assert_int_equal(r.status, 0);
  assert_contains(r.out, "passed in");
  assert_contains(r.out, "holder's wrong PIN: exactly one C_Login");
  assert_contains(r.out, "printed to a file with the holder's name");
  assert_contains(r.out, "keypad readers: no PIN option, no PIN descriptor, one C_Login");
  rgs_run_free(&r);
  check_record(f);
  rgs_softhsm_cleanup(&f->hsm);
  free(f);
}

static void test_officer_en(void **state)
{
  (void)state;
  run_case("en");
}

static void test_officer_fr(void **state)
{
  (void)state;
  run_case("fr");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_officer_en),
    cmocka_unit_test(test_officer_fr),
  };

  if (rgs_gtk_tools() != 0)
    return 77;
  return cmocka_run_group_tests(tests, NULL, NULL);
}
