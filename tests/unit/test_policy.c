/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_policy.c - the qualified-device policy: the shipped files, the file
 * format and its errors, stacking, glob matching.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <fnmatch.h>
#include <libintl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "rgs_p11.h"
#include "rgs_test.h"

#define SHIPPED "data/policy/qualified-devices.conf"
#define DEMO "data/policy/demo-softhsm.conf"

/* Path of a file of the source tree, from RGS_SOURCE_DIR (set by ctest);
 * skips the test when it is not set. */
static char *source_path(const char *rel)
{
  const char *dir = getenv("RGS_SOURCE_DIR");
  char *path = NULL;

  if (dir == NULL || dir[0] == '\0') {
    print_message("RGS_SOURCE_DIR is not set: skipped\n");
    skip();
  }
  if (asprintf(&path, "%s/%s", dir, rel) < 0)
    fail_msg("out of memory");
  return path;
}

static rgs_p11_policy *load_source(rgs_p11_policy *pol, const char *rel)
{
  char *path = source_path(rel);
  char err[512] = "";
  rgs_p11_rc rc = rgs_p11_policy_load(&pol, path, err, sizeof(err));

  if (rc != RGS_P11_OK)
    fail_msg("loading %s failed (%d): %s", path, (int)rc, err);
  free(path);
  return pol;
}

static rgs_p11_policy *load_text(const char *text)
{
  rgs_p11_policy *pol = NULL;
  char err[512] = "";
  rgs_p11_rc rc = rgs_p11_policy_load_mem(&pol, "test.conf", text, strlen(text), err, sizeof(err));

  if (rc != RGS_P11_OK)
    fail_msg("policy text refused (%d): %s\n%s", (int)rc, err, text);
  assert_non_null(pol);
  return pol;
}

/* Loading text of len bytes must fail with RGS_P11_ERR_POLICY and a message
 * that starts with "test.conf:LINE: ". */
static void assert_policy_error_len(const char *text, size_t len, unsigned line)
{
  rgs_p11_policy *pol = NULL;
  char err[512] = "";
  char prefix[64];
  rgs_p11_rc rc = rgs_p11_policy_load_mem(&pol, "test.conf", text, len, err, sizeof(err));

  snprintf(prefix, sizeof(prefix), "test.conf:%u: ", line);
  if (rc != RGS_P11_ERR_POLICY)
    fail_msg("expected RGS_P11_ERR_POLICY, got %d for:\n%s", (int)rc, text);
  assert_null(pol);
  if (strncmp(err, prefix, strlen(prefix)) != 0 || strlen(err) <= strlen(prefix))
    fail_msg("message \"%s\" does not start with \"%s\"", err, prefix);
}

static void assert_policy_error(const char *text, unsigned line)
{
  assert_policy_error_len(text, strlen(text), line);
}

static void assert_ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s);
  size_t m = strlen(suffix);

  if (n < m || strcmp(s + n - m, suffix) != 0)
    fail_msg("\"%s\" does not end with \"%s\"", s, suffix);
}

/* ---- the shipped files ------------------------------------------------ */

static void test_shipped_file_loads(void **state)
{
  rgs_p11_policy *pol = load_source(NULL, SHIPPED);

  (void)state;
  assert_true(rgs_p11_policy_count(pol) >= 4);
  /* The shipped file holds qualified devices only: no software token. */
  assert_null(rgs_p11_policy_match(pol, "SoftHSM project", "SoftHSM v2", "demo"));
  rgs_p11_policy_free(pol);
}

static void test_shipped_idprime(void **state)
{
  rgs_p11_policy *pol = load_source(NULL, SHIPPED);
  const rgs_p11_policy_entry *e;

  (void)state;
  /* OpenSC's idprime driver: label is the holder's name or "IDPrime". */
  e = rgs_p11_policy_match(pol, "Gemalto", "PKCS#15 emulated", "Jean DUPONT");
  assert_non_null(e);
  assert_contains(e->name, "IDPrime MD 840");
  assert_contains(e->name, "940");
  assert_int_equal(e->demo, 0);
  assert_int_equal(e->waive_hardware_slot, 0);
  assert_ends_with(e->file, SHIPPED);
  assert_non_null(rgs_p11_policy_match(pol, "Gemalto", "PKCS#15 emulated", "IDPrime"));
  /* As PKCS#11 hands them: blank padded. */
  assert_non_null(rgs_p11_policy_match(pol, "Gemalto                         ",
                                       "PKCS#15 emulated", "IDPrime                         "));
  /* SafeNet Authentication Client's IDPrime module, either brand. */
  e = rgs_p11_policy_match(pol, "Gemalto", "ID Prime MD", "Card #1B201C6106F96E94");
  assert_non_null(e);
  assert_int_equal(e->demo, 0);
  e = rgs_p11_policy_match(pol, "Thales", "IDPrime MD 940", "token");
  assert_non_null(e);
  assert_int_equal(e->demo, 0);
  /* Through OpenSC it only reads and signs; the vendor's modules make keys. */
  e = rgs_p11_policy_match(pol, "Gemalto", "PKCS#15 emulated", "Jean DUPONT");
  assert_int_equal(e->keygen, 0);
  assert_non_null(e->module);
  assert_string_equal(e->module->name, "OpenSC");
  assert_string_equal(e->module->file, "opensc-pkcs11.so");
  assert_int_equal(e->n_keygen_modules, 2);
  assert_string_equal(e->keygen_modules[0]->file, "libIDPrimePKCS11.so");
  assert_string_equal(e->keygen_modules[0]->paths[0], "/usr/lib/libIDPrimePKCS11.so");
  assert_string_equal(e->keygen_modules[1]->file, "libeTPkcs11.so");
  assert_string_equal(e->keygen_modules[1]->paths[0], "/usr/lib/libeTPkcs11.so");
  assert_string_equal(e->keygen_modules[1]->vendor, "Thales");
  assert_non_null(strstr(e->keygen_modules[1]->url, "https://cpl.thalesgroup.com/"));
  /* The vendor's own module: nothing said, its mechanisms decide. */
  e = rgs_p11_policy_match(pol, "Thales", "IDPrime MD 940", "token");
  assert_int_equal(e->keygen, -1);
  assert_string_equal(e->module->file, "libIDPrimePKCS11.so");
  /* Another OpenSC card is not an IDPrime. */
  assert_null(rgs_p11_policy_match(pol, "piv_II", "PKCS#15 emulated", "Jean DUPONT"));
  assert_null(rgs_p11_policy_match(pol, "OpenSC Project", "PKCS#15 emulated", "IDPrime"));
  rgs_p11_policy_free(pol);
}

static void test_shipped_etoken(void **state)
{
  rgs_p11_policy *pol = load_source(NULL, SHIPPED);
  const rgs_p11_policy_entry *e;

  (void)state;
  e = rgs_p11_policy_match(pol, "SafeNet, Inc.", "eToken", "Mon jeton");
  assert_non_null(e);
  assert_contains(e->name, "eToken 5110 CC");
  assert_int_equal(e->demo, 0);
  assert_int_equal(e->waive_hardware_slot, 0);
  assert_non_null(rgs_p11_policy_match(pol, "safenet, inc.", "ETOKEN", ""));
  assert_null(rgs_p11_policy_match(pol, "SafeNet, Inc.", "iKey", "x"));
  assert_null(rgs_p11_policy_match(pol, "SafeNet", "eToken", "x"));
  rgs_p11_policy_free(pol);
}

static void test_demo_file(void **state)
{
  rgs_p11_policy *pol = load_source(NULL, DEMO);
  const rgs_p11_policy_entry *e;

  (void)state;
  assert_int_equal(rgs_p11_policy_count(pol), 2);
  e = rgs_p11_policy_match(pol, "SoftHSM project", "SoftHSM v2", "Cl\xc3\xa9 Fr\xc3\xa9" "d\xc3\xa9ric");
  assert_non_null(e);
  assert_int_equal(e->demo, 1);
  assert_int_equal(e->waive_hardware_slot, 1);
  assert_contains(e->name, "SoftHSM");
  assert_ends_with(e->file, DEMO);
  e = rgs_p11_policy_match(pol, "rgs-enroll test", "faulty", "t");
  assert_non_null(e);
  assert_string_equal(e->name, "rgs-enroll test token");
  assert_int_equal(e->demo, 1);
  assert_int_equal(e->waive_hardware_slot, 1);
  assert_non_null(rgs_p11_policy_match(pol, "rgs-enroll test module", "x", "y"));
  /* The demo file admits no real device. */
  assert_null(rgs_p11_policy_match(pol, "Gemalto", "PKCS#15 emulated", "IDPrime"));
  assert_null(rgs_p11_policy_match(pol, "SoftHSM project", "SoftHSM v3", "x"));
  rgs_p11_policy_free(pol);
}

static void test_stacking(void **state)
{
  rgs_p11_policy *pol = load_source(NULL, SHIPPED);
  size_t shipped = rgs_p11_policy_count(pol);
  const rgs_p11_policy_entry *idprime =
      rgs_p11_policy_match(pol, "Gemalto", "PKCS#15 emulated", "x");
  const rgs_p11_policy_entry *e;

  (void)state;
  pol = load_source(pol, DEMO);
  assert_int_equal(rgs_p11_policy_count(pol), shipped + 2);
  /* Entries handed out before stay valid and first. */
  assert_ptr_equal(rgs_p11_policy_match(pol, "Gemalto", "PKCS#15 emulated", "x"), idprime);
  assert_ends_with(idprime->file, SHIPPED);
  e = rgs_p11_policy_match(pol, "SoftHSM project", "SoftHSM v2", "demo");
  assert_non_null(e);
  assert_int_equal(e->demo, 1);
  assert_ends_with(e->file, DEMO);
  /* A third, user file adds a model. */
  {
    char err[256];
    const char *user = "[device \"My county's card\"]\nmanufacturer = ACME\nmodel = Card 9*\n";
    assert_int_equal(rgs_p11_policy_load_mem(&pol, "user.conf", user, strlen(user), err,
                                             sizeof(err)),
                     RGS_P11_OK);
  }
  assert_int_equal(rgs_p11_policy_count(pol), shipped + 3);
  e = rgs_p11_policy_match(pol, "ACME", "Card 900", "x");
  assert_non_null(e);
  assert_string_equal(e->file, "user.conf");
  assert_string_equal(e->name, "My county's card");
  assert_int_equal(e->demo, 0);
  rgs_p11_policy_free(pol);
}

/* ---- load semantics --------------------------------------------------- */

static void test_failure_leaves_policy_unchanged(void **state)
{
  const char *good = "[device \"A\"]\nmanufacturer = A\n";
  const char *bad = "[device \"B\"]\nmanufacturer = B\n[device \"C\"]\nmanufacturer = C\ncolour = red\n";
  rgs_p11_policy *pol = load_text(good);
  rgs_p11_policy *before = pol;
  const rgs_p11_policy_entry *a = rgs_p11_policy_match(pol, "A", "", "");
  rgs_p11_policy *none = NULL;
  char err[256];

  (void)state;
  assert_non_null(a);
  assert_int_equal(rgs_p11_policy_load_mem(&pol, "bad.conf", bad, strlen(bad), err, sizeof(err)),
                   RGS_P11_ERR_POLICY);
  assert_ptr_equal(pol, before);
  assert_int_equal(rgs_p11_policy_count(pol), 1);
  assert_ptr_equal(rgs_p11_policy_match(pol, "A", "", ""), a);
  assert_null(rgs_p11_policy_match(pol, "B", "", ""));
  assert_null(rgs_p11_policy_match(pol, "C", "", ""));
  assert_string_equal(err, "bad.conf:5: unknown key \"colour\" (expected manufacturer, model, "
                           "label, demo, waive, keygen, module or keygen-module; file, path, "
                           "vendor or url in a module section)");
  /* Starting from nothing, nothing is created. */
  assert_int_equal(rgs_p11_policy_load_mem(&none, "bad.conf", bad, strlen(bad), err, sizeof(err)),
                   RGS_P11_ERR_POLICY);
  assert_null(none);
  /* A missing file: RGS_P11_ERR_IO naming it, policy untouched. */
  assert_int_equal(rgs_p11_policy_load(&pol, "/nonexistent/rgs.conf", err, sizeof(err)),
                   RGS_P11_ERR_IO);
  assert_contains(err, "/nonexistent/rgs.conf");
  assert_int_equal(rgs_p11_policy_count(pol), 1);
  rgs_p11_policy_free(pol);
}

static void test_strings_are_owned(void **state)
{
  char name[32] = "mine.conf";
  char text[128] = "[device \"Owned\"]\nmanufacturer = M*\n";
  rgs_p11_policy *pol = NULL;
  const rgs_p11_policy_entry *e;
  char err[128];

  (void)state;
  assert_int_equal(rgs_p11_policy_load_mem(&pol, name, text, strlen(text), err, sizeof(err)),
                   RGS_P11_OK);
  memset(name, 'x', sizeof(name) - 1);
  memset(text, 'y', sizeof(text) - 1);
  e = rgs_p11_policy_match(pol, "Maker", "", "");
  assert_non_null(e);
  assert_string_equal(e->name, "Owned");
  assert_string_equal(e->file, "mine.conf");
  rgs_p11_policy_free(pol);
}

static void test_null_guards(void **state)
{
  rgs_p11_policy *pol = NULL;
  char err[128];

  (void)state;
  assert_int_equal(rgs_p11_policy_load(NULL, "x", err, sizeof(err)), RGS_P11_ERR_ARG);
  assert_int_equal(rgs_p11_policy_load(&pol, NULL, err, sizeof(err)), RGS_P11_ERR_ARG);
  assert_int_equal(rgs_p11_policy_load_mem(NULL, "n", "", 0, err, sizeof(err)), RGS_P11_ERR_ARG);
  assert_int_equal(rgs_p11_policy_load_mem(&pol, NULL, "", 0, err, sizeof(err)), RGS_P11_ERR_ARG);
  assert_int_equal(rgs_p11_policy_load_mem(&pol, "n", NULL, 3, err, sizeof(err)), RGS_P11_ERR_ARG);
  assert_null(pol);
  assert_null(rgs_p11_policy_match(NULL, "a", "b", "c"));
  assert_int_equal(rgs_p11_policy_count(NULL), 0);
  rgs_p11_policy_free(NULL);
  /* Empty text: a valid, empty policy; NULL fields match as "". */
  assert_int_equal(rgs_p11_policy_load_mem(&pol, "n", NULL, 0, NULL, 0), RGS_P11_OK);
  assert_non_null(pol);
  assert_int_equal(rgs_p11_policy_count(pol), 0);
  rgs_p11_policy_free(pol);
  pol = load_text("[device \"any\"]\n");
  assert_non_null(rgs_p11_policy_match(pol, NULL, NULL, NULL));
  rgs_p11_policy_free(pol);
}

/* Write len bytes of text to a new temporary file; returns its path. */
static char *temp_file(const char *text, size_t len)
{
  char *path = strdup("/tmp/rgs-policy-XXXXXX");
  int fd;
  FILE *f;

  assert_non_null(path);
  fd = mkstemp(path);
  assert_true(fd >= 0);
  f = fdopen(fd, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
  return path;
}

static void test_load_from_file(void **state)
{
  const char *text = "[device \"From a file\"]\nmanufacturer = F\n";
  char *path = temp_file(text, strlen(text));
  char *big_text = NULL;
  char *big = NULL;
  rgs_p11_policy *pol = NULL;
  const rgs_p11_policy_entry *e;
  char err[512];
  size_t big_len = 1024 * 1024 + 1;
  size_t i;

  (void)state;
  assert_int_equal(rgs_p11_policy_load(&pol, path, err, sizeof(err)), RGS_P11_OK);
  e = rgs_p11_policy_match(pol, "F", "", "");
  assert_non_null(e);
  assert_string_equal(e->file, path);

  /* Over 1 MiB: not a policy file (a wrong path, a device), refused whole. */
  big_text = malloc(big_len);
  assert_non_null(big_text);
  for (i = 0; i < big_len; i++)
    big_text[i] = (i % 64 == 63) ? '\n' : '#';
  big = temp_file(big_text, big_len);
  assert_int_equal(rgs_p11_policy_load(&pol, big, err, sizeof(err)), RGS_P11_ERR_POLICY);
  assert_contains(err, big);
  assert_int_equal(rgs_p11_policy_count(pol), 1);
  /* One byte less is fine (comments only: no entry). */
  assert_int_equal(truncate(big, (off_t)(big_len - 1)), 0);
  assert_int_equal(rgs_p11_policy_load(&pol, big, err, sizeof(err)), RGS_P11_OK);
  assert_int_equal(rgs_p11_policy_count(pol), 1);

  /* A directory is an I/O error. */
  assert_int_equal(rgs_p11_policy_load(&pol, "/", err, sizeof(err)), RGS_P11_ERR_IO);

  unlink(path);
  unlink(big);
  free(path);
  free(big);
  free(big_text);
  rgs_p11_policy_free(pol);
}

/* ---- the format ------------------------------------------------------- */

static void test_errors_name_file_and_line(void **state)
{
  char longline[1100];
  static const char nul_text[] = "[device \"a\"]\nmodel = x\0y\n";

  (void)state;
  /* unknown key */
  assert_policy_error("# c\n[device \"a\"]\nmanufacturer = x\nserial = 1\n", 4);
  /* key outside a section */
  assert_policy_error("\n\nmanufacturer = x\n[device \"a\"]\n", 3);
  /* malformed lines */
  assert_policy_error("[device \"a\"]\njust words\n", 2);
  assert_policy_error("[device \"a\"]\n= x\n", 2);
  assert_policy_error("[devices \"a\"]\n", 1);
  assert_policy_error("[device a]\n", 1);
  assert_policy_error("[device \"a\"\n", 1);
  assert_policy_error("[device \"a\"] x\n", 1);
  assert_policy_error("[device \"a\"]]\n", 1);
  assert_policy_error("[device \"\"]\n", 1);
  assert_policy_error("[Device \"a\"]\n", 1);
  assert_policy_error("[\"a\"]\n", 1);
  /* unterminated quotes */
  assert_policy_error("[device \"a]\n", 1);
  assert_policy_error("[device \"a\"]\nlabel = \"abc\n", 2);
  assert_policy_error("[device \"a\"]\nlabel = \"abc\\\"\n", 2);
  /* unknown escape, text after the quote */
  assert_policy_error("[device \"a\"]\nlabel = \"a\\n\"\n", 2);
  assert_policy_error("[device \"a\"]\nlabel = \"a\" # comment\n", 2);
  /* NUL byte */
  assert_policy_error_len(nul_text, sizeof(nul_text) - 1, 2);
  /* a line over 1024 bytes */
  memset(longline, 0, sizeof(longline));
  strcpy(longline, "[device \"a\"]\nlabel = ");
  memset(longline + strlen(longline), 'x', 1025 - strlen("label = "));
  strcat(longline, "\n");
  assert_policy_error(longline, 2);
  /* waive outside a demo entry, whatever the order of the keys */
  assert_policy_error("[device \"a\"]\nwaive = slot.hardware\n", 2);
  assert_policy_error("[device \"a\"]\nwaive = slot.removable\ndemo = no\n[device \"b\"]\n", 2);
  assert_policy_error("[device \"a\"]\ndemo = yes\n[device \"b\"]\n\nwaive = slot.hardware\n", 5);
  /* unknown waivable criterion, even in a demo entry */
  assert_policy_error("[device \"a\"]\ndemo = yes\nwaive = slot.hardware, key.local\n", 3);
  /* bad demo value */
  assert_policy_error("[device \"a\"]\ndemo = maybe\n", 2);
  assert_policy_error("[device \"a\"]\ndemo =\n", 2);
  /* duplicate key */
  assert_policy_error("[device \"a\"]\nmodel = x\nlabel = y\nmodel = z\n", 4);
  /* empty unquoted pattern */
  assert_policy_error("[device \"a\"]\nlabel =\n", 2);
  /* a pattern ending with a backslash that quotes nothing */
  assert_policy_error("[device \"a\"]\nmodel = x\nlabel = abc\\\n", 3);
  assert_policy_error("[device \"a\"]\nlabel = \"abc\\\\\"\n", 2);
  /* keys are lower case */
  assert_policy_error("[device \"a\"]\nModel = x\n", 2);
}

/* [module] sections and the device keys that name them. */
static void test_modules(void **state)
{
  static const char text[] =
    "[module \"Vendor\"]\nfile = libv.so\npath = /opt/v/libv.so, /usr/lib/libv.so\n"
    "vendor = Vendor SA\nurl = https://vendor.example/p11\n"
    "[device \"card\"]\nmanufacturer = V\nkeygen = no\nmodule = Vendor\n"
    "keygen-module = Vendor, Later\n"
    "[module \"Later\"]\nfile = liblater.so\n";
  static const char second[] =
    "[device \"other\"]\nmanufacturer = W\nkeygen = yes\nkeygen-module = Later\n"
    "[module \"Vendor\"]\nfile = shadowed.so\n";
  rgs_p11_policy *pol = load_text(text);
  const rgs_p11_policy_entry *e = rgs_p11_policy_match(pol, "V", "", "");
  const rgs_p11_module_info *m;
  char err[512];

  (void)state;
  assert_non_null(e);
  assert_int_equal(e->keygen, 0);
  assert_string_equal(e->module->name, "Vendor");
  assert_int_equal(e->n_keygen_modules, 2);
  m = e->keygen_modules[0];
  assert_string_equal(m->file, "libv.so");
  assert_int_equal(m->n_paths, 2);
  assert_string_equal(m->paths[1], "/usr/lib/libv.so");
  assert_string_equal(m->vendor, "Vendor SA");
  assert_string_equal(m->url, "https://vendor.example/p11");
  assert_null(rgs_p11_module_installed(m));
  /* A name defined later in the same file resolves too. */
  assert_string_equal(e->keygen_modules[1]->file, "liblater.so");
  assert_null(e->keygen_modules[1]->vendor);
  /* A later file may name modules of an earlier one; the first of a name wins. */
  assert_int_equal(rgs_p11_policy_load_mem(&pol, "second.conf", second, strlen(second), err,
                                           sizeof(err)), RGS_P11_OK);
  e = rgs_p11_policy_match(pol, "W", "", "");
  assert_int_equal(e->keygen, 1);
  assert_string_equal(e->keygen_modules[0]->file, "liblater.so");
  assert_string_equal(rgs_p11_policy_module(pol, "Vendor")->file, "libv.so");
  assert_string_equal(rgs_p11_policy_module_at(pol, 2)->file, "shadowed.so");
  assert_null(rgs_p11_policy_module_at(pol, 3));
  assert_null(rgs_p11_policy_module(pol, "None"));
  assert_int_equal(rgs_p11_policy_count(pol), 2);
  /* A device without keygen says nothing. */
  rgs_p11_policy_free(pol);
  pol = load_text("[device \"x\"]\n");
  e = rgs_p11_policy_match(pol, "", "", "");
  assert_int_equal(e->keygen, -1);
  assert_null(e->module);
  assert_int_equal(e->n_keygen_modules, 0);
  rgs_p11_policy_free(pol);
}

static void test_module_installed(void **state)
{
  char *dir = rgs_tmpdir();
  char path[600], text[1400];
  rgs_p11_policy *pol;
  const rgs_p11_module_info *m;

  (void)state;
  snprintf(path, sizeof(path), "%s/libthere.so", dir);
  snprintf(text, sizeof(text), "[module \"m\"]\nfile = libthere.so\npath = /nonexistent/x.so, %s\n",
           path);
  pol = load_text(text);
  m = rgs_p11_policy_module(pol, "m");
  assert_null(rgs_p11_module_installed(m));
  assert_int_equal(rgs_write_file(path, "x"), 0);
  assert_string_equal(rgs_p11_module_installed(m), path);
  assert_null(rgs_p11_module_installed(NULL));
  rgs_p11_policy_free(pol);
  rgs_rmrf(dir);
  free(dir);
}

static void test_module_errors(void **state)
{
  char many[1400];

  (void)state;
  /* an unknown module name, here or before */
  assert_policy_error("[device \"a\"]\nkeygen-module = Nope\n", 2);
  assert_policy_error("[device \"a\"]\n\nmodule = Nope\n", 3);
  assert_policy_error("[module \"m\"]\nfile = m.so\n[device \"a\"]\nkeygen-module = m, Nope\n", 4);
  /* bad values */
  assert_policy_error("[device \"a\"]\nkeygen = maybe\n", 2);
  assert_policy_error("[device \"a\"]\nkeygen-module = \n", 2);
  assert_policy_error("[module \"m\"]\nfile = m.so\n[device \"a\"]\nkeygen-module = m,\n", 4);
  assert_policy_error("[module \"m\"]\nfile = /usr/lib/m.so\n", 2);
  assert_policy_error("[module \"m\"]\nfile = m.so\npath = lib/m.so\n", 3);
  assert_policy_error("[module \"m\"]\nfile = m.so\nurl = ftp://x\n", 3);
  assert_policy_error("[module \"m\"]\nfile = m.so\nvendor = \"\"\n", 3);
  /* a module section needs its file, names it once per file, no comma */
  assert_policy_error("[module \"m\"]\nvendor = V\n[device \"a\"]\n", 1);
  assert_policy_error("[module \"m\"]\nfile = m.so\n[module \"m\"]\nfile = n.so\n", 3);
  assert_policy_error("[module \"a, b\"]\nfile = m.so\n", 1);
  /* keys of the other kind of section */
  assert_policy_error("[module \"m\"]\nfile = m.so\nmanufacturer = x\n", 3);
  assert_policy_error("[device \"a\"]\nfile = m.so\n", 2);
  assert_policy_error("[module \"m\"]\nfile = m.so\nfile = n.so\n", 3);
  assert_policy_error("[device \"a\"]\nkeygen = no\nkeygen = yes\n", 3);
  /* too many */
  assert_policy_error("[module \"m\"]\nfile = m.so\n[device \"a\"]\n"
                      "keygen-module = m, m, m, m, m\n", 4);
  snprintf(many, sizeof(many), "[module \"m\"]\nfile = m.so\npath = /1, /2, /3, /4, /5, /6, /7, "
                               "/8, /9\n");
  assert_policy_error(many, 3);
}

static void test_error_messages(void **state)
{
  rgs_p11_policy *pol = NULL;
  char err[512];
  const char *t1 = "[device \"a\"]\nwaive = slot.hardware\n";
  const char *t2 = "[device \"a\"]\nlabel = \"open\n";
  const char *t3 = "[device \"a\"]\nkey\x1b[31m = 1\n";

  (void)state;
  assert_int_equal(rgs_p11_policy_load_mem(&pol, "f.conf", t1, strlen(t1), err, sizeof(err)),
                   RGS_P11_ERR_POLICY);
  assert_contains(err, "f.conf:2: ");
  assert_contains(err, "demo");
  assert_int_equal(rgs_p11_policy_load_mem(&pol, "f.conf", t2, strlen(t2), err, sizeof(err)),
                   RGS_P11_ERR_POLICY);
  assert_string_equal(err, "f.conf:2: unterminated quote");
  /* Control characters from the file never reach the terminal. */
  assert_int_equal(rgs_p11_policy_load_mem(&pol, "f.conf", t3, strlen(t3), err, sizeof(err)),
                   RGS_P11_ERR_POLICY);
  assert_null(strchr(err, '\x1b'));
  /* errbuf may be NULL or tiny. */
  assert_int_equal(rgs_p11_policy_load_mem(&pol, "f.conf", t1, strlen(t1), NULL, 0),
                   RGS_P11_ERR_POLICY);
  assert_int_equal(rgs_p11_policy_load_mem(&pol, "f.conf", t1, strlen(t1), err, 4),
                   RGS_P11_ERR_POLICY);
  assert_string_equal(err, "f.c");
  assert_null(pol);
}

static void test_accepted_syntax(void **state)
{
  char line[1100];
  rgs_p11_policy *pol;
  const rgs_p11_policy_entry *e;

  (void)state;
  /* CRLF, a byte order mark, indented comments and keys, blanks around '='. */
  pol = load_text("\xEF\xBB\xBF# policy\r\n  # indented comment\r\n\r\n"
                  "  [ device   \"Spaced\" ]  \r\n"
                  "\tmanufacturer=Maker\r\n"
                  "  model   =   Model X  \r\n");
  e = rgs_p11_policy_match(pol, "Maker", "Model X", "");
  assert_non_null(e);
  assert_string_equal(e->name, "Spaced");
  assert_null(rgs_p11_policy_match(pol, "Maker", "Model", ""));
  rgs_p11_policy_free(pol);

  /* '#' belongs to the value; quotes keep blanks; escapes; waive may come
   * before demo; an empty waive is fine anywhere; no final newline. */
  pol = load_text("[device \"Quote \\\"q\\\" and \\\\\"]\n"
                  "model = PKCS#15 emulated\n"
                  "label = \"two  blanks\"\n"
                  "waive = slot.removable,, slot.hardware ,\n"
                  "demo = YES\n"
                  "[device \"plain\"]\n"
                  "waive =\n"
                  "demo = No\n"
                  "manufacturer = \"\"");
  e = rgs_p11_policy_match(pol, "x", "PKCS#15 emulated", " two  blanks ");
  assert_non_null(e);
  assert_string_equal(e->name, "Quote \"q\" and \\");
  assert_int_equal(e->demo, 1);
  assert_int_equal(e->waive_hardware_slot, 1);
  /* "" matches an empty field only. */
  e = rgs_p11_policy_match(pol, "", "m", "l");
  assert_non_null(e);
  assert_string_equal(e->name, "plain");
  assert_int_equal(e->demo, 0);
  assert_int_equal(e->waive_hardware_slot, 0);
  assert_null(rgs_p11_policy_match(pol, "x", "m", "l"));
  rgs_p11_policy_free(pol);

  /* A line of exactly 1024 bytes is fine. */
  memset(line, 0, sizeof(line));
  strcpy(line, "[device \"long\"]\nlabel = ");
  memset(line + strlen(line), 'x', 1024 - strlen("label = "));
  strcat(line, "\n");
  pol = load_text(line);
  assert_int_equal(rgs_p11_policy_count(pol), 1);
  rgs_p11_policy_free(pol);

  /* demo without waive: admitted as demo, nothing waived. */
  pol = load_text("[device \"d\"]\ndemo = yes\n");
  e = rgs_p11_policy_match(pol, "a", "b", "c");
  assert_non_null(e);
  assert_int_equal(e->demo, 1);
  assert_int_equal(e->waive_hardware_slot, 0);
  rgs_p11_policy_free(pol);
}

static void test_first_match_wins(void **state)
{
  rgs_p11_policy *pol = load_text("[device \"first\"]\nmanufacturer = Gem*\n"
                                  "[device \"second\"]\nmanufacturer = Gemalto\n"
                                  "[device \"third\"]\n");

  (void)state;
  assert_string_equal(rgs_p11_policy_match(pol, "Gemalto", "x", "y")->name, "first");
  assert_string_equal(rgs_p11_policy_match(pol, "Other", "x", "y")->name, "third");
  rgs_p11_policy_free(pol);
}

/* ---- glob matching ---------------------------------------------------- */

/* Does pattern (as a manufacturer glob) match value? */
static int glob(const char *pattern, const char *value)
{
  rgs_p11_policy *pol = NULL;
  char *text = NULL;
  char err[256];
  int m;
  size_t i;
  size_t n = 0;

  /* Quote the pattern so that blanks and quotes survive. */
  text = malloc(strlen(pattern) * 2 + 64);
  assert_non_null(text);
  n = (size_t)sprintf(text, "[device \"g\"]\nmanufacturer = \"");
  for (i = 0; pattern[i] != '\0'; i++) {
    if (pattern[i] == '"' || pattern[i] == '\\')
      text[n++] = '\\';
    text[n++] = pattern[i];
  }
  strcpy(text + n, "\"\n");
  if (rgs_p11_policy_load_mem(&pol, "glob.conf", text, strlen(text), err, sizeof(err)) !=
      RGS_P11_OK)
    fail_msg("%s", err);
  m = rgs_p11_policy_match(pol, value, "", "") != NULL;
  rgs_p11_policy_free(pol);
  free(text);
  return m;
}

static void test_glob(void **state)
{
  (void)state;
  assert_true(glob("*", ""));
  assert_true(glob("*", "anything at all"));
  assert_true(glob("Gemalto*", "Gemalto"));
  assert_true(glob("Gemalto*", "GEMALTO S.A."));
  assert_false(glob("Gemalto*", "A Gemalto"));
  assert_true(glob("*IDPrime*", "Thales idprime MD"));
  assert_true(glob("ID?Prime", "ID Prime"));
  assert_false(glob("ID?Prime", "IDPrime"));
  assert_true(glob("eToken [0-9][0-9]*", "eToken 5110"));
  assert_false(glob("eToken [0-9][0-9]*", "eToken PRO"));
  assert_true(glob("[!x]yz", "ayz"));
  assert_false(glob("[!x]yz", "Xyz"));
  assert_true(glob("[]]", "]"));
  assert_true(glob("a[", "a["));
  assert_true(glob("\\*", "*"));
  assert_false(glob("\\*", "x"));
  assert_true(glob("a\\?", "a?"));
  assert_true(glob("a\\\\", "a\\"));
  assert_true(glob("[A-C]x", "bX"));
  assert_false(glob("[A-C]x", "dx"));
  assert_true(glob("**a**", "bab"));
  assert_true(glob("", ""));
  assert_false(glob("", "x"));
  /* Fields are trimmed; blanks inside count. */
  assert_true(glob("SafeNet, Inc.", "  SafeNet, Inc.   "));
  assert_false(glob("SafeNet,Inc.", "SafeNet, Inc."));
  /* UTF-8: '?' takes a whole character; literals compare bytes. */
  assert_true(glob("Cl? Fr?d?ric", "Cl\xc3\xa9 Fr\xc3\xa9" "d\xc3\xa9ric"));
  assert_true(glob("Cl\xc3\xa9*", "Cl\xc3\xa9 Fr\xc3\xa9" "d\xc3\xa9ric"));
  assert_true(glob("*ric", "Cl\xc3\xa9 Fr\xc3\xa9" "d\xc3\xa9ric"));
  assert_false(glob("Cl??", "Cl\xc3\xa9"));
}

static void test_glob_is_linear(void **state)
{
  char value[65];
  clock_t start = clock();
  int i;

  (void)state;
  /* A pattern on which a backtracking matcher takes ages. */
  memset(value, 'a', sizeof(value) - 1);
  value[sizeof(value) - 1] = '\0';
  for (i = 0; i < 200; i++)
    assert_false(glob("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", value));
  assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 5.0);
}

/* Our matcher agrees with fnmatch(FNM_CASEFOLD) on ASCII text. */
static void test_glob_agrees_with_fnmatch(void **state)
{
  static const char *const patterns[] = {
    "*", "?", "a*", "*a", "a*b", "*a*b*", "a?c", "[abc]", "[!abc]", "[a-c]x", "[]a]",
    "*[0-9]", "Gem*o", "g*M*a*L*t*O", "a\\*b", "??*", "*?", "[A-Z]*", "[^a]b", "ab[",
  };
  static const char *const values[] = {
    "", "a", "b", "ab", "abc", "aXb", "ac", "aab", "]", "x", "bx", "Gemalto", "gemALTO",
    "a*b", "azb", "A", "Zq", "ab[", "ab[c", "abcabc", "9", "x9", "bb",
  };
  size_t i, j;

  (void)state;
  setlocale(LC_ALL, "C");
  for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
    for (j = 0; j < sizeof(values) / sizeof(values[0]); j++) {
      int ours = glob(patterns[i], values[j]);
      int ref = fnmatch(patterns[i], values[j], FNM_CASEFOLD) == 0;
      if (ours != ref)
        fail_msg("pattern \"%s\" on \"%s\": ours %d, fnmatch %d", patterns[i], values[j], ours,
                 ref);
    }
  }
}

/* The messages in French, as `LANGUAGE=fr LC_ALL=C.UTF-8 rgs-enroll` has
 * them, with the catalogue the build made beside rgs-enroll (cli/locale). */
static void messages_in(const char *language)
{
  const char *bin = getenv("RGS_ENROLL_BIN");
  char dir[1024];
  const char *slash = bin != NULL ? strrchr(bin, '/') : NULL;

  if (slash == NULL) {
    print_message("RGS_ENROLL_BIN is not set: skipped\n");
    skip();
  }
  snprintf(dir, sizeof(dir), "%.*s/locale", (int)(slash - bin), bin);
  bindtextdomain("rgs-enroll", dir);
  if (language != NULL) {
    setenv("LANGUAGE", language, 1);
    assert_non_null(setlocale(LC_ALL, "C.UTF-8"));
  } else {
    unsetenv("LANGUAGE");
    assert_non_null(setlocale(LC_ALL, "C"));
  }
}

/* name-fr: the entry's name when the messages are French, the section's
 * NAME otherwise; an empty or repeated one is an error. */
static void test_name_in_french(void **state)
{
  static const char two[] = "[device \"A\"]\nname-fr = B\nname-fr = C\n";
  static const char empty[] = "[device \"A\"]\nname-fr = \"\"\n";
  static const char in_module[] = "[module \"M\"]\nfile = m.so\nname-fr = B\n";
  rgs_p11_policy *pol = NULL;
  const rgs_p11_policy_entry *e;
  char err[512];

  (void)state;
  messages_in("fr");
  pol = load_source(NULL, DEMO);
  e = rgs_p11_policy_match(pol, "SoftHSM project", "SoftHSM v2", "x");
  assert_non_null(e);
  assert_string_equal(e->name, "SoftHSM v2 (d\xc3\xa9monstration, pas un dispositif qualifi\xc3\xa9)");
  rgs_p11_policy_free(pol);
  pol = load_source(NULL, SHIPPED);
  e = rgs_p11_policy_match(pol, "Gemalto", "PKCS#15 emulated", "x");
  assert_non_null(e);
  assert_contains(e->name, "(pilote idprime d'OpenSC)");
  rgs_p11_policy_free(pol);
  pol = NULL;
  assert_int_equal(rgs_p11_policy_load_mem(&pol, "t.conf", two, strlen(two), err, sizeof(err)),
                   RGS_P11_ERR_POLICY);
  assert_contains(err, "t.conf:3:");
  assert_int_equal(rgs_p11_policy_load_mem(&pol, "t.conf", empty, strlen(empty), err, sizeof(err)),
                   RGS_P11_ERR_POLICY);
  assert_contains(err, "t.conf:2:");
  assert_int_equal(rgs_p11_policy_load_mem(&pol, "t.conf", in_module, strlen(in_module), err,
                                           sizeof(err)),
                   RGS_P11_ERR_POLICY);
  assert_contains(err, "t.conf:3:");
  assert_null(pol);
  /* English (and the C locale): the section's NAME. */
  messages_in(NULL);
  pol = load_source(NULL, DEMO);
  e = rgs_p11_policy_match(pol, "SoftHSM project", "SoftHSM v2", "x");
  assert_string_equal(e->name, "SoftHSM v2 (demo, not a qualified device)");
  rgs_p11_policy_free(pol);
  messages_in("en");
  pol = load_source(NULL, DEMO);
  e = rgs_p11_policy_match(pol, "SoftHSM project", "SoftHSM v2", "x");
  assert_string_equal(e->name, "SoftHSM v2 (demo, not a qualified device)");
  rgs_p11_policy_free(pol);
  messages_in(NULL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_shipped_file_loads),
    cmocka_unit_test(test_shipped_idprime),
    cmocka_unit_test(test_shipped_etoken),
    cmocka_unit_test(test_demo_file),
    cmocka_unit_test(test_stacking),
    cmocka_unit_test(test_failure_leaves_policy_unchanged),
    cmocka_unit_test(test_strings_are_owned),
    cmocka_unit_test(test_null_guards),
    cmocka_unit_test(test_load_from_file),
    cmocka_unit_test(test_errors_name_file_and_line),
    cmocka_unit_test(test_error_messages),
    cmocka_unit_test(test_modules),
    cmocka_unit_test(test_module_installed),
    cmocka_unit_test(test_module_errors),
    cmocka_unit_test(test_accepted_syntax),
    cmocka_unit_test(test_first_match_wins),
    cmocka_unit_test(test_glob),
    cmocka_unit_test(test_glob_is_linear),
    cmocka_unit_test(test_glob_agrees_with_fnmatch),
    cmocka_unit_test(test_name_in_french),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
