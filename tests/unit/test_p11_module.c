/* SPDX-License-Identifier: BSD-3-Clause */
/* test_p11_module.c - loading a module that someone else already initialised,
 * and reading PINs from files and descriptors. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rgs_test.h"
#include "rgs_p11.h"

static void test_already_initialized_module_is_left_alone(void **state)
{
  rgs_softhsm hsm;
  void *dl;
  CK_C_GetFunctionList get = NULL;
  CK_FUNCTION_LIST_PTR f = NULL;
  CK_ULONG n = 0;
  rgs_p11_ctx *ctx = NULL;
  rgs_p11_slot_info *slots = NULL;
  size_t count = 0;
  char err[256];

  (void)state;
  assert_int_equal(rgs_softhsm_init(&hsm, "shared"), 0);
  dl = dlopen(rgs_env("SOFTHSM2_MODULE"), RTLD_NOW | RTLD_NODELETE);
  assert_non_null(dl);
  *(void **)&get = dlsym(dl, "C_GetFunctionList");
  assert_non_null(get);
  assert_int_equal(get(&f), CKR_OK);
  assert_int_equal(f->C_Initialize(NULL), CKR_OK);   /* the other owner */

  assert_int_equal(rgs_p11_ctx_new(rgs_env("SOFTHSM2_MODULE"), &ctx, err, sizeof(err)), RGS_P11_OK);
  assert_int_equal(rgs_p11_slots(ctx, &slots, &count), RGS_P11_OK);
  assert_true(count >= 1);
  free(slots);
  rgs_p11_ctx_free(ctx);
  /* Still initialised for its owner: we did not finalise it. */
  assert_int_equal(f->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
  assert_int_equal(f->C_Finalize(NULL), CKR_OK);
  dlclose(dl);
  rgs_softhsm_cleanup(&hsm);
}

static void test_load_errors_say_why(void **state)
{
  rgs_p11_ctx *ctx = NULL;
  char err[256];
  Dl_info where;

  (void)state;
  assert_int_equal(rgs_p11_ctx_new("/nonexistent.so", &ctx, err, sizeof(err)),
                   RGS_P11_ERR_MODULE_LOAD);
  assert_null(ctx);
  assert_contains(err, "nonexistent");
  /* A shared library that is no PKCS#11 module (cmocka's, by path). */
  assert_true(dladdr((void *)&_cmocka_run_group_tests, &where) != 0);
  assert_non_null(strchr(where.dli_fname, '/'));
  assert_int_equal(rgs_p11_ctx_new(where.dli_fname, &ctx, err, sizeof(err)),
                   RGS_P11_ERR_MODULE_BAD);
  assert_null(ctx);
  /* A bare file name is looked for in p11-kit's module directory, not on
   * the library search path: libz.so.1 is not a module there. */
  assert_int_equal(rgs_p11_ctx_new("libz.so.1", &ctx, err, sizeof(err)), RGS_P11_ERR_MODULE_LOAD);
  assert_contains(err, "p11-kit");
  assert_null(ctx);
  assert_int_equal(rgs_p11_ctx_new(NULL, &ctx, err, sizeof(err)), RGS_P11_ERR_ARG);
}

/* The default is OpenSC's module by file name, found by p11-kit: no
 * architecture in it. */
static void test_default_module_is_portable(void **state)
{
  const char *saved = getenv("RGS_ENROLL_MODULE");
  char *copy = saved != NULL ? strdup(saved) : NULL;
  char *path = NULL;
  char err[256];

  (void)state;
  unsetenv("RGS_ENROLL_MODULE");
  assert_string_equal(rgs_p11_default_module(NULL), "opensc-pkcs11.so");
  assert_string_equal(rgs_p11_default_module("softhsm2"), "softhsm2");
  setenv("RGS_ENROLL_MODULE", "/x/y.so", 1);
  assert_string_equal(rgs_p11_default_module(NULL), "/x/y.so");
  if (copy != NULL)
    setenv("RGS_ENROLL_MODULE", copy, 1);
  else
    unsetenv("RGS_ENROLL_MODULE");
  free(copy);
  /* OpenSC is installed with the tests' dependencies: p11-kit finds it. */
  assert_int_equal(rgs_p11_module_resolve("opensc-pkcs11.so", &path, NULL, err, sizeof(err)),
                   RGS_P11_OK);
  assert_true(path[0] == '/');
  assert_contains(path, "/opensc-pkcs11.so");
  free(path);
}

static void test_pin_from_fd_leaves_the_next_secret(void **state)
{
  int p[2];
  char buf[64];
  size_t len = 0;
  rgs_p11_pin_source src;

  (void)state;
  memset(&src, 0, sizeof(src));
  assert_int_equal(pipe(p), 0);
  assert_int_equal(write(p[1], "1234\r\n5678\n", 11), 11);
  close(p[1]);
  src.from = RGS_PIN_FROM_FD;
  src.fd = p[0];
  assert_int_equal(rgs_p11_pin_read(&src, NULL, buf, sizeof(buf), &len), RGS_P11_OK);
  assert_string_equal(buf, "1234");
  assert_int_equal(len, 4);
  assert_int_equal(rgs_p11_pin_read(&src, NULL, buf, sizeof(buf), &len), RGS_P11_OK);
  assert_string_equal(buf, "5678");
  assert_int_equal(rgs_p11_pin_read(&src, NULL, buf, sizeof(buf), &len), RGS_P11_ERR_PIN_INPUT);
  close(p[0]);
}

static void test_pin_from_file(void **state)
{
  char *dir = rgs_tmpdir(), path[512], buf[8];
  size_t len = 0;
  rgs_p11_pin_source src;

  (void)state;
  memset(&src, 0, sizeof(src));
  src.from = RGS_PIN_FROM_FILE;
  src.path = path;
  snprintf(path, sizeof(path), "%s/pin", dir);
  assert_int_equal(rgs_write_file(path, ""), 0);
  assert_int_equal(rgs_p11_pin_read(&src, NULL, buf, sizeof(buf), &len), RGS_P11_ERR_PIN_INPUT);
  assert_int_equal(rgs_write_file(path, "12345678901\n"), 0);       /* over the buffer */
  assert_int_equal(rgs_p11_pin_read(&src, NULL, buf, sizeof(buf), &len), RGS_P11_ERR_PIN_LENGTH);
  for (size_t i = 0; i < sizeof(buf); i++)
    assert_int_equal(buf[i], 0);                                     /* wiped on failure */
  assert_int_equal(rgs_write_file(path, "4321"), 0);                 /* no newline */
  assert_int_equal(rgs_p11_pin_read(&src, NULL, buf, sizeof(buf), &len), RGS_P11_OK);
  assert_string_equal(buf, "4321");
  src.path = "/nonexistent/pin";
  assert_int_equal(rgs_p11_pin_read(&src, NULL, buf, sizeof(buf), &len), RGS_P11_ERR_PIN_INPUT);
  rgs_rmrf(dir);
  free(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_already_initialized_module_is_left_alone),
    cmocka_unit_test(test_load_errors_say_why),
    cmocka_unit_test(test_default_module_is_portable),
    cmocka_unit_test(test_pin_from_fd_leaves_the_next_secret),
    cmocka_unit_test(test_pin_from_file),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
