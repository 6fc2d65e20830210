/* SPDX-License-Identifier: BSD-3-Clause */
/* test_csr_alloc.c - every allocation on the CSR path failing in turn.
 *
 * Our own allocations are wrapped at link time (--wrap=malloc...), OpenSSL's
 * through CRYPTO_set_mem_functions. For n = 1, 2, ... the n-th allocation
 * after the token is open fails; each run must end in a clean error (or
 * success once n is past the last allocation), never a crash, a leak (the
 * sanitizer build checks) or a half-written request file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "rgs_test.h"
#include "flow.h"
#include "steps.h"
/* The token layer's internals, to wrap the module's function list below;
 * its gettext macros are the same as enroll's under other spellings. */
#undef _
#undef N_
#undef RGS_TEXTDOMAIN
#undef RGS_ARRAY_LEN
#include "p11_internal.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static long alloc_count;     /* allocations since arming */
static long fail_at;         /* 0: never fail */
static int failed;           /* an injected failure happened */
static int in_module;        /* inside a PKCS#11 call */

static int should_fail(void)
{
  /* SoftHSM runs OpenSSL in our process and does not check its own
   * allocations: failing those tests SoftHSM, not us. */
  if (fail_at == 0 || in_module)
    return 0;
  if (++alloc_count == fail_at) {
    failed = 1;
    return 1;
  }
  return 0;
}

void *__wrap_malloc(size_t n) { return should_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { return should_fail() ? NULL : __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { return should_fail() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return should_fail() ? NULL : __real_strdup(s); }

static void *ossl_malloc(size_t n, const char *file, int line)
{
  (void)file;
  (void)line;
  return should_fail() ? NULL : __real_malloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
  (void)file;
  (void)line;
  return should_fail() ? NULL : __real_realloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
  (void)file;
  (void)line;
  free(p);
}

/* The module's calls on the CSR path, with injection paused inside them. */
static CK_FUNCTION_LIST wrapped;
static CK_FUNCTION_LIST_PTR real;

static CK_RV w_sign_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
  CK_RV rv;

  in_module = 1;
  rv = real->C_SignInit(h, m, k);
  in_module = 0;
  return rv;
}

static CK_RV w_sign(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR s,
                    CK_ULONG_PTR sl)
{
  CK_RV rv;

  in_module = 1;
  rv = real->C_Sign(h, d, dl, s, sl);
  in_module = 0;
  return rv;
}

static CK_RV w_mech_info(CK_SLOT_ID id, CK_MECHANISM_TYPE t, CK_MECHANISM_INFO_PTR i)
{
  CK_RV rv;

  in_module = 1;
  rv = real->C_GetMechanismInfo(id, t, i);
  in_module = 0;
  return rv;
}

static void wrap_module(rgs_p11_ctx *ctx)
{
  real = ctx->f;
  wrapped = *real;
  wrapped.C_SignInit = w_sign_init;
  wrapped.C_Sign = w_sign;
  wrapped.C_GetMechanismInfo = w_mech_info;
  ctx->f = &wrapped;
}

static void unwrap_module(rgs_p11_ctx *ctx)
{
  ctx->f = real;
}

/* Build and write a request with allocation n failing; the exit status. */
static int csr_path(rgs_session *s, const rgs_p11_key *key, const char *out, long n)
{
  rgs_subject_opts so = { .cn = "Frédéric SENEZ", .o = "BS AUTO", .siren = "732829320",
                          .email = "f.senez@example.fr" };
  X509_NAME *name = NULL;
  X509_REQ *req = NULL;
  char err[256];
  int ret;

  alloc_count = 0;
  failed = 0;
  fail_at = n;
  if (!rgs_subject_build(&so, &name, err, sizeof(err))) {
    ret = RGS_EXIT_INTERNAL;
    goto cleanup;
  }
  ret = rgs_csr_make(s, key, name, so.email, &req, "csr");
  if (ret == RGS_EXIT_OK)
    ret = rgs_csr_write(s->io, req, out, 0, 1, "csr");

cleanup:
  fail_at = 0;
  X509_REQ_free(req);
  X509_NAME_free(name);
  return ret;
}

static void run_every_failure(const char *key_type)
{
  rgs_softhsm hsm;
  rgs_run_result r;
  rgs_io cli;
  rgs_session s;
  rgs_p11_uri *uri = NULL;
  rgs_p11_key *key = NULL;
  char policy[512], out[600], datadir[512], err[256];
  long n;
  int ret, successes = 0;

  assert_int_equal(rgs_softhsm_init(&hsm, "alloc"), 0);
  snprintf(policy, sizeof(policy), "%s/data/policy/demo-softhsm.conf", rgs_env("RGS_SOURCE_DIR"));
  snprintf(datadir, sizeof(datadir), "%s/data", rgs_env("RGS_SOURCE_DIR"));
  setenv("RGS_ENROLL_DATADIR", datadir, 1);
  snprintf(out, sizeof(out), "%s/req.csr", hsm.dir);
  rgs_enroll(&r, NULL, NULL, "--module", rgs_env("SOFTHSM2_MODULE"), "--policy", policy,
             "--pin-file", hsm.pin_file, "keygen", "--key-type", key_type, "--label", "alloc",
             NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);

  memset(&cli, 0, sizeof(cli));
  cli.prog = "test";
  cli.module = rgs_env("SOFTHSM2_MODULE");
  cli.pin_file = hsm.pin_file;
  cli.pin_fd = -1;
  cli.policies[cli.n_policies++] = policy;
  assert_int_equal(rgs_session_open(&s, &cli, "csr"), RGS_EXIT_OK);
  assert_int_equal(rgs_session_login(&s, "csr"), RGS_EXIT_OK);
  assert_int_equal(rgs_p11_uri_parse("pkcs11:object=alloc", &uri, err, sizeof(err)), RGS_P11_OK);
  assert_int_equal(rgs_p11_key_find(s.tok, uri, &key), RGS_P11_OK);
  wrap_module(s.ctx);

  for (n = 1; n < 5000; n++) {
    unlink(out);
    ret = csr_path(&s, key, out, n);
    if (!failed) {
      assert_int_equal(ret, RGS_EXIT_OK);   /* past the last allocation */
      successes++;
      break;
    }
    /* A failure may be absorbed (OpenSSL retries some paths); then the
     * request written must be whole and valid. Otherwise: nothing on disk. */
    if (ret != RGS_EXIT_OK)
      assert_int_not_equal(access(out, F_OK), 0);
  }
  print_message("%s: %ld allocations on the CSR path, each failed once\n", key_type, n - 1);
  assert_true(n > 20);                        /* the wrap really intercepted */
  assert_int_equal(successes, 1);
  {
    const char *argv[] = { rgs_env("OPENSSL_BIN"), "req", "-in", out, "-noout", "-verify", NULL };
    assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
    assert_int_equal(r.status, 0);
    rgs_run_free(&r);
  }
  unwrap_module(s.ctx);
  rgs_p11_key_free(key);
  rgs_p11_uri_free(uri);
  rgs_session_close(&s);
  rgs_softhsm_cleanup(&hsm);
}

static void test_csr_alloc_ec(void **state)
{
  (void)state;
  run_every_failure("ec:p256");
}

static void test_csr_alloc_rsa(void **state)
{
  (void)state;
  run_every_failure("rsa:2048");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_csr_alloc_ec),
    cmocka_unit_test(test_csr_alloc_rsa),
  };

  /* Before OpenSSL allocates anything, or it refuses. */
  if (!CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free)) {
    fprintf(stderr, "CRYPTO_set_mem_functions refused\n");
    return 1;
  }
  return cmocka_run_group_tests(tests, NULL, NULL);
}
