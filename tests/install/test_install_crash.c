/* SPDX-License-Identifier: BSD-3-Clause */
/* test_install_crash.c - rgs-enroll install killed (kill -9) while it writes
 * the certificate object, then run again: the token must end with exactly
 * one certificate object for the key, holding the issued certificate, with
 * the key's CKA_ID and label.
 *
 * The kill happens at a chosen instant, not after a guessed delay: the fault
 * module (RGS_FAULT_CERT_CREATE_KILL) makes the real SoftHSM2 token hold
 * what a kill -9 at that instant leaves, then SIGKILLs the process from
 * inside C_CreateObject. The token is then read through PKCS#11 directly
 * (SoftHSM2 loaded in this process, logged in: SoftHSM2's leftover is a
 * private object that a listing without login does not show). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>
#include "rgs_test.h"
#include "testpki.h"

#define SUBJECT "C=FR,O=ACME,OU=0002 732829320,CN=Jean DUPONT"
#define YEAR (365L * TPKI_DAY)
#define MAX_OBJ 16

typedef struct {
  rgs_softhsm hsm;
  char policy[512], csr[600], cert[600], ca_file[600];
  char real_env[700];
  tpki_ca root, inter;
  EVP_PKEY *pub;                 /* the token key's public half, from the CSR */
} fixture;

/* ---- the token seen through PKCS#11 -------------------------------------- */

typedef struct {
  CK_FUNCTION_LIST_PTR f;
  CK_SESSION_HANDLE s;
} p11;

typedef struct {
  CK_OBJECT_HANDLE h;
  unsigned char id[64];
  CK_ULONG id_len;               /* 0 also when the object has none */
  char label[65];
  unsigned char *value;
  CK_ULONG value_len;
} obj;

/* SoftHSM2 in this process, logged in to the fixture's token (the slot
 * with an initialised token). Loaded once and never unloaded: SoftHSM2
 * keeps process-wide state. */
static void p11_open(p11 *p)
{
  static void *dl;
  CK_C_GetFunctionList get;
  CK_SLOT_ID slots[8];
  CK_ULONG n = 8, i;
  CK_TOKEN_INFO ti;
  int found = 0;

  if (dl == NULL)
    dl = dlopen(rgs_env("SOFTHSM2_MODULE"), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  assert_non_null(dl);
  get = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList");
  assert_non_null(get);
  assert_int_equal(get(&p->f), CKR_OK);
  if (p->f->C_Initialize(NULL) == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    p->f->C_Finalize(NULL);          /* left so by an earlier failed assertion */
    assert_int_equal(p->f->C_Initialize(NULL), CKR_OK);
  }
  assert_int_equal(p->f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
  for (i = 0; i < n && !found; i++) {
    if (p->f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED)) {
      assert_int_equal(p->f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
                                           NULL, &p->s),
                       CKR_OK);
      found = 1;
    }
  }
  assert_true(found);
  assert_int_equal(p->f->C_Login(p->s, CKU_USER, (CK_UTF8CHAR_PTR)RGS_TEST_PIN,
                                 strlen(RGS_TEST_PIN)),
                   CKR_OK);
}

static void p11_close(p11 *p)
{
  p->f->C_CloseSession(p->s);
  p->f->C_Finalize(NULL);
}

static size_t find(p11 *p, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *h, size_t max)
{
  CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
  CK_ULONG n = 0;

  assert_int_equal(p->f->C_FindObjectsInit(p->s, &t, 1), CKR_OK);
  assert_int_equal(p->f->C_FindObjects(p->s, h, max, &n), CKR_OK);
  assert_int_equal(p->f->C_FindObjectsFinal(p->s), CKR_OK);
  return n;
}

/* One attribute, allocated (NUL-terminated); *len 0 when absent or empty. */
static unsigned char *attr(p11 *p, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, CK_ULONG *len)
{
  CK_ATTRIBUTE a = { type, NULL, 0 };
  unsigned char *v;

  *len = 0;
  if (p->f->C_GetAttributeValue(p->s, h, &a, 1) != CKR_OK ||
      a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
    return calloc(1, 1);
  v = calloc(1, a.ulValueLen + 1);
  assert_non_null(v);
  a.pValue = v;
  assert_int_equal(p->f->C_GetAttributeValue(p->s, h, &a, 1), CKR_OK);
  *len = a.ulValueLen;
  return v;
}

/* Every certificate object on the token (any type, any state). */
static size_t cert_objects(obj *out)
{
  CK_OBJECT_HANDLE h[MAX_OBJ];
  unsigned char *v;
  CK_ULONG len;
  size_t n, i;
  p11 p;

  p11_open(&p);
  n = find(&p, CKO_CERTIFICATE, h, MAX_OBJ);
  for (i = 0; i < n; i++) {
    memset(&out[i], 0, sizeof(out[i]));
    out[i].h = h[i];
    v = attr(&p, h[i], CKA_ID, &out[i].id_len);
    assert_true(out[i].id_len <= sizeof(out[i].id));
    memcpy(out[i].id, v, out[i].id_len);
    free(v);
    v = attr(&p, h[i], CKA_LABEL, &len);
    snprintf(out[i].label, sizeof(out[i].label), "%s", (char *)v);
    free(v);
    out[i].value = attr(&p, h[i], CKA_VALUE, &out[i].value_len);
  }
  p11_close(&p);
  return n;
}

static void objs_free(obj *o, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    free(o[i].value);
}

/* The CKA_ID and label of the token's one private key (made by start). */
static void key_id_label(unsigned char *id, CK_ULONG *id_len, char *label, size_t label_size)
{
  CK_OBJECT_HANDLE h[4];
  unsigned char *v;
  CK_ULONG len;
  p11 p;

  p11_open(&p);
  assert_int_equal(find(&p, CKO_PRIVATE_KEY, h, 4), 1);
  v = attr(&p, h[0], CKA_ID, id_len);
  assert_true(*id_len > 0 && *id_len <= 64);
  memcpy(id, v, *id_len);
  free(v);
  v = attr(&p, h[0], CKA_LABEL, &len);
  snprintf(label, label_size, "%s", (char *)v);
  free(v);
  p11_close(&p);
}

/* A certificate object made directly on the token, as a crashed writer
 * (or another tool) may leave it; CKA_SUBJECT (required by SoftHSM2) is
 * subject's. */
static void create_cert_object(const unsigned char *id, CK_ULONG id_len, const char *label,
                               const unsigned char *value, CK_ULONG value_len, X509 *subject)
{
  unsigned char *name = NULL;
  int name_len = i2d_X509_NAME(X509_get_subject_name(subject), &name);
  CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
  CK_CERTIFICATE_TYPE type = CKC_X_509;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  unsigned char none = 0;
  CK_ATTRIBUTE t[] = {
    { CKA_CLASS, &cls, sizeof(cls) },
    { CKA_CERTIFICATE_TYPE, &type, sizeof(type) },
    { CKA_TOKEN, &yes, sizeof(yes) },
    { CKA_PRIVATE, &no, sizeof(no) },
    { CKA_VALUE, value != NULL ? (void *)value : &none, value_len },
    { CKA_ID, (void *)id, id_len },
    { CKA_LABEL, (void *)label, strlen(label) },
    { CKA_SUBJECT, name, (CK_ULONG)name_len },
  };
  CK_OBJECT_HANDLE h;
  CK_RV rv;
  p11 p;

  assert_true(name_len > 0);
  p11_open(&p);
  rv = p.f->C_CreateObject(p.s, t, sizeof(t) / sizeof(t[0]), &h);
  p11_close(&p);
  OPENSSL_free(name);
  assert_int_equal(rv, CKR_OK);
}

/* ---- the fixture ---------------------------------------------------------- */

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));
  X509 *anchors[2];
  rgs_run_result r;

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "crash"), 0);
  setenv("RGS_ENROLL_MODULE", rgs_env("SOFTHSM2_MODULE"), 1);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->csr, sizeof(f->csr), "%s/req.csr", f->hsm.dir);
  snprintf(f->cert, sizeof(f->cert), "%s/cert.pem", f->hsm.dir);
  snprintf(f->ca_file, sizeof(f->ca_file), "%s/ca.pem", f->hsm.dir);
  snprintf(f->real_env, sizeof(f->real_env), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  assert_int_equal(tpki_ca_new(&f->root, "Test Root", NULL, 3650), 0);
  assert_int_equal(tpki_ca_new(&f->inter, "Test Issuing CA", &f->root, 3000), 0);
  anchors[0] = f->root.cert;
  anchors[1] = NULL;
  assert_int_equal(tpki_write_pem(f->ca_file, anchors), 0);
  rgs_enroll(&r, NULL, NULL, "--policy", f->policy, "--pin-file", f->hsm.pin_file, "--json",
             "start", "--key-type", "ec:p256", "--cn", "Jean DUPONT", "--o", "ACME", "--siren",
             "732829320", "--out", f->csr, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  f->pub = tpki_csr_pubkey(f->csr);
  assert_non_null(f->pub);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  EVP_PKEY_free(f->pub);
  tpki_ca_free(&f->root);
  tpki_ca_free(&f->inter);
  rgs_softhsm_cleanup(&f->hsm);
  free(f);
  return 0;
}

/* A holder certificate for the token's key, written as the CA delivers it
 * (leaf and issuing CA). Free with X509_free(). */
static X509 *issue_to_file(fixture *f)
{
  time_t now = time(NULL);
  tpki_leaf spec = { SUBJECT, now - TPKI_DAY, now - TPKI_DAY + 3 * YEAR, NULL, 0, 0, NULL, NULL, 0 };
  X509 *leaf = tpki_issue(&f->inter, f->pub, &spec);
  X509 *certs[3];

  assert_non_null(leaf);
  certs[0] = leaf;
  certs[1] = f->inter.cert;
  certs[2] = NULL;
  assert_int_equal(tpki_write_pem(f->cert, certs), 0);
  return leaf;
}

/* install --cert, through the fault module when fault is not NULL. */
static void install(fixture *f, rgs_run_result *r, const char *fault, int replace)
{
  const char *env[] = { f->real_env, fault, NULL };
  const char *module = fault != NULL ? rgs_env("RGS_FAULT_MODULE") : rgs_env("SOFTHSM2_MODULE");

  rgs_enroll(r, fault != NULL ? env : NULL, NULL, "--module", module, "--policy", f->policy,
             "--pin-file", f->hsm.pin_file, "--json", "install", "--ca-file", f->ca_file,
             "--cert", f->cert, replace ? "--replace" : NULL, NULL);
}

/* The run died by SIGKILL at the instant the fault module chose. */
static void install_killed(fixture *f, const char *fault, int replace)
{
  rgs_run_result r;

  install(f, &r, fault, replace);
  rgs_assert_status(&r, 128 + 9);
  assert_contains(r.err, "then SIGKILL");
  rgs_run_free(&r);
}

/* Exactly one certificate object with the key's CKA_ID: the issued
 * certificate, labelled like the key. Returns how many certificate objects
 * the token holds in all. */
static size_t assert_one_good(X509 *leaf)
{
  unsigned char id[64], *der = NULL;
  char label[65];
  CK_ULONG id_len = 0;
  obj o[MAX_OBJ];
  size_t n, i, mine = 0;
  int der_len = i2d_X509(leaf, &der);

  assert_true(der_len > 0);
  key_id_label(id, &id_len, label, sizeof(label));
  n = cert_objects(o);
  for (i = 0; i < n; i++) {
    if (o[i].id_len != id_len || memcmp(o[i].id, id, id_len) != 0)
      continue;
    mine++;
    assert_int_equal(o[i].value_len, (CK_ULONG)der_len);
    assert_memory_equal(o[i].value, der, (size_t)der_len);
    assert_string_equal(o[i].label, label);
  }
  if (mine != 1)
    fail_msg("%zu certificate objects with the key's CKA_ID, %zu certificate objects in all", mine, n);
  objs_free(o, n);
  OPENSSL_free(der);
  return n;
}

/* ---- killed inside C_CreateObject ------------------------------------------ */

/* What SoftHSM2 itself leaves when killed inside its C_CreateObject (it
 * writes the object file with default attributes first, then the
 * template): an X.509 certificate object with no CKA_ID, no label, no
 * value. Seen in 5 runs out of 30 with a plain kill -9. */
static void test_killed_bare_then_again(void **state)
{
  fixture *f = *state;
  X509 *leaf = issue_to_file(f);
  rgs_run_result r;
  obj o[MAX_OBJ];
  size_t n;

  install_killed(f, "RGS_FAULT_CERT_CREATE_KILL=bare", 0);
  n = cert_objects(o);
  assert_int_equal(n, 1);                      /* the leftover is there */
  assert_int_equal(o[0].value_len, 0);
  assert_int_equal(o[0].id_len, 0);
  objs_free(o, n);

  install(f, &r, NULL, 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_int_equal(assert_one_good(leaf), 1);
  assert_contains(r.err, "interrupted");
  rgs_run_free(&r);
  X509_free(leaf);
}

/* A module that creates the object, then fills its value: the kill leaves
 * an object with the key's CKA_ID and label, and no value. */
static void test_killed_empty_then_again(void **state)
{
  fixture *f = *state;
  X509 *leaf = issue_to_file(f);
  rgs_run_result r;
  obj o[MAX_OBJ];
  size_t n;

  install_killed(f, "RGS_FAULT_CERT_CREATE_KILL=empty", 0);
  n = cert_objects(o);
  assert_int_equal(n, 1);
  assert_int_equal(o[0].value_len, 0);
  assert_true(o[0].id_len > 0);
  objs_free(o, n);

  install(f, &r, NULL, 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  assert_int_equal(assert_one_good(leaf), 1);
  /* And once more: nothing left to do. */
  install(f, &r, NULL, 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_not_contains(r.err, "interrupted");
  rgs_run_free(&r);
  assert_int_equal(assert_one_good(leaf), 1);
  X509_free(leaf);
}

/* The object was written whole, the run never heard it: the rerun finds it
 * and writes no second one. */
static void test_killed_after_write_then_again(void **state)
{
  fixture *f = *state;
  X509 *leaf = issue_to_file(f);
  rgs_run_result r;
  char *v;

  install_killed(f, "RGS_FAULT_CERT_CREATE_KILL=written", 0);
  assert_int_equal(assert_one_good(leaf), 1);
  install(f, &r, NULL, 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "certificate_written");
  assert_string_equal(v, "false");
  free(v);
  rgs_run_free(&r);
  assert_int_equal(assert_one_good(leaf), 1);
  X509_free(leaf);
}

/* --replace killed when the new certificate is written: the old one is
 * still there (a good certificate at every instant); the rerun with
 * --replace leaves the new one only. */
static void test_replace_killed_then_again(void **state)
{
  fixture *f = *state;
  X509 *first = issue_to_file(f), *second;
  rgs_run_result r;

  install(f, &r, NULL, 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  assert_int_equal(assert_one_good(first), 1);
  second = issue_to_file(f);
  assert_int_not_equal(X509_cmp(first, second), 0);

  install_killed(f, "RGS_FAULT_CERT_CREATE_KILL=bare", 1);
  assert_int_equal(assert_one_good(first), 2);  /* old one intact, plus the leftover */
  install(f, &r, NULL, 1);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  assert_int_equal(assert_one_good(second), 1);
  X509_free(first);
  X509_free(second);
}

/* ---- leftovers made directly on the token ---------------------------------- */

/* An empty certificate object and a truncated one with the key's CKA_ID
 * are removed by the next install; a broken object for another key and a
 * good certificate of someone else are not the install's to remove. */
static void test_leftovers_removed_others_kept(void **state)
{
  fixture *f = *state;
  X509 *leaf = issue_to_file(f);
  X509 *ca = f->inter.cert;
  unsigned char id[64], other_id[] = { 0xde, 0xad }, other_ca_id[] = { 0xca };
  unsigned char *der = NULL, *ca_der = NULL;
  char label[65];
  CK_ULONG id_len = 0;
  int der_len = i2d_X509(leaf, &der), ca_len = i2d_X509(ca, &ca_der);
  rgs_run_result r;
  obj o[MAX_OBJ];
  size_t n, i;
  int kept_broken = 0, kept_ca = 0;

  assert_true(der_len > 100 && ca_len > 0);
  key_id_label(id, &id_len, label, sizeof(label));
  create_cert_object(id, id_len, label, NULL, 0, leaf);                      /* empty */
  create_cert_object(id, id_len, label, der, (CK_ULONG)der_len / 2, leaf);   /* truncated */
  create_cert_object(other_id, sizeof(other_id), "other", NULL, 0, ca);
  create_cert_object(other_ca_id, sizeof(other_ca_id), "someone's CA", ca_der, (CK_ULONG)ca_len, ca);
  n = cert_objects(o);
  assert_int_equal(n, 4);
  objs_free(o, n);

  install(f, &r, NULL, 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_int_equal(assert_one_good(leaf), 3);
  assert_contains(r.err, "interrupted");
  rgs_run_free(&r);
  n = cert_objects(o);
  for (i = 0; i < n; i++) {
    kept_broken += o[i].id_len == sizeof(other_id) && memcmp(o[i].id, other_id, 2) == 0;
    kept_ca += o[i].value_len == (CK_ULONG)ca_len && memcmp(o[i].value, ca_der, (size_t)ca_len) == 0;
  }
  objs_free(o, n);
  assert_int_equal(kept_broken, 1);
  assert_int_equal(kept_ca, 1);
  OPENSSL_free(der);
  OPENSSL_free(ca_der);
  X509_free(leaf);
}

/* The leftover beside a certificate already installed (an earlier run
 * finished; a later one was killed): the repeat, which writes nothing,
 * still removes it. */
static void test_leftover_beside_installed_removed(void **state)
{
  fixture *f = *state;
  X509 *leaf = issue_to_file(f);
  unsigned char id[64];
  char label[65];
  CK_ULONG id_len = 0;
  rgs_run_result r;
  obj o[MAX_OBJ];
  size_t n;
  char *v;

  install(f, &r, NULL, 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  key_id_label(id, &id_len, label, sizeof(label));
  create_cert_object(id, id_len, label, NULL, 0, leaf);
  n = cert_objects(o);
  assert_int_equal(n, 2);
  objs_free(o, n);

  install(f, &r, NULL, 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "certificate_written");
  assert_string_equal(v, "false");
  free(v);
  rgs_run_free(&r);
  assert_int_equal(assert_one_good(leaf), 1);
  X509_free(leaf);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_killed_bare_then_again, setup, teardown),
    cmocka_unit_test_setup_teardown(test_killed_empty_then_again, setup, teardown),
    cmocka_unit_test_setup_teardown(test_killed_after_write_then_again, setup, teardown),
    cmocka_unit_test_setup_teardown(test_replace_killed_then_again, setup, teardown),
    cmocka_unit_test_setup_teardown(test_leftovers_removed_others_kept, setup, teardown),
    cmocka_unit_test_setup_teardown(test_leftover_beside_installed_removed, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
