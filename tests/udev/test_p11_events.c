/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_p11_events.c - the slot events of the token layer (pkcs11/p11_events.c),
 * in-process:
 *   - SoftHSM2 (no slot events, tokens read at C_Initialize): the tokens
 *     present come first as "appeared"; a token deleted is "removed", a
 *     token made while watching "appeared", by re-initialising the module;
 *     with re-initialisation turned off, the module is never finalised;
 *   - a module with slot events and reader slots (tests/udev/evmod.c over
 *     SoftHSM2): pulled and put back are seen through C_WaitForSlotEvent,
 *     without any re-initialisation;
 *   - the same module waited on by a thread of the watch (opts.blocking):
 *     no rescan while nothing happens, woken by the module's events, the
 *     thread left in the module by rgs_p11_watch_free, the module usable;
 *   - the backoff grows while nothing happens, a kick makes the next poll
 *     due at once;
 *   - a re-initialisation that fails (SoftHSM2 without its token
 *     directory) is told, retried on the backoff rather than at once, and
 *     the watch goes on when the module can be initialised again;
 *   - the public keys of a token, hashed without a login, are those
 *     pkcs11-tool reads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/sha.h>

#include "rgs_p11.h"
#include "watch_test.h"

typedef struct {
  rgs_softhsm hsm;
  char tokens[600];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  if (f == NULL || rgs_softhsm_init(&f->hsm, "first") != 0)
    return -1;
  snprintf(f->tokens, sizeof(f->tokens), "%s/tokens", f->hsm.dir);
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

static rgs_p11_ctx *open_module(const char *path)
{
  rgs_p11_ctx *ctx = NULL;
  char err[256];

  if (rgs_p11_ctx_new(path, &ctx, err, sizeof(err)) != RGS_P11_OK)
    fail_msg("%s: %s", path, err);
  return ctx;
}

/* Wait up to ms for an event of kind about a token labelled label. */
static int wait_for(rgs_p11_watch *w, rgs_p11_event_kind kind, const char *label, int ms)
{
  rgs_p11_event ev;
  int waited = 0;

  while (waited < ms) {
    assert_int_equal(rgs_p11_wait_token(w, 50, &ev), RGS_P11_OK);
    if (ev.kind == kind && strcmp(ev.info.label, label) == 0)
      return 1;
    waited += 50;
  }
  return 0;
}

static void test_softhsm_appears_and_goes(void **state)
{
  fixture *f = *state;
  rgs_p11_ctx *ctx = open_module(rgs_env("SOFTHSM2_MODULE"));
  rgs_p11_watch *w = NULL;
  unsigned long rescans = 0, reinits = 0;

  assert_int_equal(rgs_p11_watch_new(ctx, NULL, &w), RGS_P11_OK);
  assert_true(wait_for(w, RGS_P11_EVENT_APPEARED, "first", 2000));
  rgs_rmrf(f->tokens);
  assert_int_equal(mkdir(f->tokens, 0700), 0);
  assert_true(wait_for(w, RGS_P11_EVENT_REMOVED, "first", 3000));
  assert_int_equal(rgs_softhsm_add_token(&f->hsm, "second"), 0);
  assert_true(wait_for(w, RGS_P11_EVENT_APPEARED, "second", 3000));
  rgs_p11_watch_stats(w, &rescans, &reinits);
  assert_true(rescans > 2);
  assert_true(reinits > 0);
  assert_false(rgs_p11_watch_uses_events(w));
  rgs_p11_watch_free(w);
  rgs_p11_ctx_free(ctx);
}

static void test_reinit_never(void **state)
{
  fixture *f = *state;
  rgs_p11_ctx *ctx = open_module(rgs_env("SOFTHSM2_MODULE"));
  rgs_p11_watch_opts o = { 0, 0, RGS_P11_REINIT_NEVER, 0 };
  rgs_p11_watch *w = NULL;
  unsigned long reinits = 1;

  assert_int_equal(rgs_p11_watch_new(ctx, &o, &w), RGS_P11_OK);
  assert_true(wait_for(w, RGS_P11_EVENT_APPEARED, "first", 2000));
  assert_int_equal(rgs_softhsm_add_token(&f->hsm, "second"), 0);
  (void)wait_for(w, RGS_P11_EVENT_APPEARED, "second", 500);
  rgs_p11_watch_stats(w, NULL, &reinits);
  assert_int_equal(reinits, 0);
  rgs_p11_watch_free(w);
  rgs_p11_ctx_free(ctx);
}

static void test_module_with_slot_events(void **state)
{
  fixture *f = *state;
  char statef[700], real[700], st[760];
  rgs_p11_ctx *ctx;
  rgs_p11_watch *w = NULL;
  unsigned long reinits = 1;

  snprintf(statef, sizeof(statef), "%s/evmod.state", f->hsm.dir);
  assert_int_equal(rgs_write_file(statef, "in\n"), 0);
  snprintf(real, sizeof(real), "%s", rgs_env("SOFTHSM2_MODULE"));
  setenv("RGS_EVMOD_REAL", real, 1);
  snprintf(st, sizeof(st), "%s", statef);
  setenv("RGS_EVMOD_STATE", st, 1);
  ctx = open_module(rgs_env("RGS_EVMOD"));
  assert_int_equal(rgs_p11_watch_new(ctx, NULL, &w), RGS_P11_OK);
  assert_true(wait_for(w, RGS_P11_EVENT_APPEARED, "first", 2000));
  assert_int_equal(rgs_write_file(statef, "out\n"), 0);
  assert_true(wait_for(w, RGS_P11_EVENT_REMOVED, "first", 3000));
  assert_true(rgs_p11_watch_uses_events(w));
  assert_int_equal(rgs_write_file(statef, "in\n"), 0);
  assert_true(wait_for(w, RGS_P11_EVENT_APPEARED, "first", 3000));
  rgs_p11_watch_stats(w, NULL, &reinits);
  assert_int_equal(reinits, 0);
  rgs_p11_watch_free(w);
  rgs_p11_ctx_free(ctx);
  unsetenv("RGS_EVMOD_STATE");
}

static long long mono_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* opts.blocking: a thread blocked in the module's C_WaitForSlotEvent wakes
 * the watch through its descriptor; nothing is rescanned and no timer is
 * due while nothing happens; freeing the watch does not wait for the
 * thread, and leaves the module initialised and usable. */
static void test_blocking_wait(void **state)
{
  fixture *f = *state;
  char statef[700], real[700], st[760];
  rgs_p11_watch_opts o = { 0, 0, RGS_P11_REINIT_AUTO, 1 };
  rgs_p11_ctx *ctx;
  rgs_p11_watch *w = NULL;
  rgs_p11_event ev;
  unsigned long before = 0, rescans = 0, reinits = 1;
  CK_ULONG n = 0;
  long long t0;

  snprintf(statef, sizeof(statef), "%s/evmod.state", f->hsm.dir);
  assert_int_equal(rgs_write_file(statef, "in\n"), 0);
  snprintf(real, sizeof(real), "%s", rgs_env("SOFTHSM2_MODULE"));
  setenv("RGS_EVMOD_REAL", real, 1);
  snprintf(st, sizeof(st), "%s", statef);
  setenv("RGS_EVMOD_STATE", st, 1);
  ctx = open_module(rgs_env("RGS_EVMOD"));
  assert_int_equal(rgs_p11_watch_new(ctx, &o, &w), RGS_P11_OK);
  assert_true(rgs_p11_watch_fd(w) >= 0);
  assert_true(wait_for(w, RGS_P11_EVENT_APPEARED, "first", 2000));
  do                           /* SoftHSM2's blank token too */
    assert_int_equal(rgs_p11_watch_poll(w, &ev), RGS_P11_OK);
  while (ev.kind != RGS_P11_EVENT_NONE);
  assert_int_equal(rgs_p11_watch_next_ms(w), RGS_P11_WAIT_FOREVER);
  rgs_p11_watch_stats(w, &before, NULL);
  assert_int_equal(rgs_p11_wait_token(w, 300, &ev), RGS_P11_OK);
  assert_int_equal(ev.kind, RGS_P11_EVENT_NONE);
  rgs_p11_watch_stats(w, &rescans, NULL);
  assert_int_equal(rescans, before);
  assert_int_equal(rgs_write_file(statef, "out\n"), 0);
  assert_true(wait_for(w, RGS_P11_EVENT_REMOVED, "first", 3000));
  assert_int_equal(rgs_write_file(statef, "in\n"), 0);
  assert_true(wait_for(w, RGS_P11_EVENT_APPEARED, "first", 3000));
  rgs_p11_watch_stats(w, NULL, &reinits);
  assert_int_equal(reinits, 0);
  t0 = mono_ms();
  rgs_p11_watch_free(w);
  assert_true(mono_ms() - t0 < 1000);
  assert_int_equal(rgs_p11_functions(ctx)->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
  /* evmod, unlike OpenSC, can be finalised under a blocked wait: SoftHSM2
   * finalised for the next tests; the thread then leaves by itself. */
  assert_int_equal(rgs_p11_functions(ctx)->C_Finalize(NULL), CKR_OK);
  rgs_p11_ctx_free(ctx);
  unsetenv("RGS_EVMOD_STATE");
}

static void test_reinit_fails_then_recovers(void **state)
{
  fixture *f = *state;
  rgs_p11_ctx *ctx = open_module(rgs_env("SOFTHSM2_MODULE"));
  rgs_p11_watch *w = NULL;
  rgs_p11_event ev;
  char away[700];
  rgs_p11_rc rc = RGS_P11_OK;
  int i;

  snprintf(away, sizeof(away), "%s/tokens.away", f->hsm.dir);
  assert_int_equal(rgs_p11_watch_new(ctx, NULL, &w), RGS_P11_OK);
  assert_true(wait_for(w, RGS_P11_EVENT_APPEARED, "first", 2000));
  /* The next re-initialisation cannot load SoftHSM2's store. */
  assert_int_equal(rename(f->tokens, away), 0);
  for (i = 0; i < 100 && rc == RGS_P11_OK; i++)
    rc = rgs_p11_wait_token(w, 100, &ev);
  assert_int_not_equal(rc, RGS_P11_OK);
  assert_contains(rgs_p11_last_error(ctx), "C_Initialize");
  /* A failure is not retried in a busy loop: the next poll waits. */
  assert_true(rgs_p11_watch_next_ms(w) > 0);
  /* The store is back with one more token: the module is initialised
   * again at the next poll and the new token is seen. */
  assert_int_equal(rename(away, f->tokens), 0);
  assert_int_equal(rgs_softhsm_add_token(&f->hsm, "second"), 0);
  assert_true(wait_for(w, RGS_P11_EVENT_APPEARED, "second", 3000));
  rgs_p11_watch_free(w);
  rgs_p11_ctx_free(ctx);
}

static void test_backoff_and_kick(void **state)
{
  rgs_p11_ctx *ctx = open_module(rgs_env("SOFTHSM2_MODULE"));
  rgs_p11_watch_opts o = { 10, 400, RGS_P11_REINIT_AUTO, 0 };
  rgs_p11_watch *w = NULL;
  rgs_p11_event ev;
  int i, prev = 0, grew = 0;

  (void)state;
  assert_int_equal(rgs_p11_watch_new(ctx, &o, &w), RGS_P11_OK);
  assert_int_equal(rgs_p11_watch_next_ms(w), 0);           /* first poll due now */
  for (i = 0; i < 8; i++) {
    do
      assert_int_equal(rgs_p11_watch_poll(w, &ev), RGS_P11_OK);
    while (ev.kind != RGS_P11_EVENT_NONE);
    int next = rgs_p11_watch_next_ms(w);
    assert_true(next <= 400);
    if (next > prev)
      grew++;
    prev = next;
    rgs_sleep_ms(next);
  }
  assert_true(grew >= 3);
  assert_true(prev >= 200);
  rgs_p11_watch_kick(w);
  assert_int_equal(rgs_p11_watch_next_ms(w), 0);
  assert_string_equal(rgs_p11_event_name(RGS_P11_EVENT_APPEARED), "appeared");
  assert_string_equal(rgs_p11_event_name(RGS_P11_EVENT_REMOVED), "removed");
  assert_int_equal(rgs_p11_watch_new(NULL, NULL, &w), RGS_P11_ERR_ARG);
  assert_int_equal(rgs_p11_watch_poll(NULL, &ev), RGS_P11_ERR_ARG);
  rgs_p11_watch_free(w);
  rgs_p11_ctx_free(ctx);
}

static void test_public_key_hashes(void **state)
{
  fixture *f = *state;
  const char *gen[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"), "--login",
                        "--pin", RGS_TEST_PIN, "--keypairgen", "--key-type", "EC:prime256v1",
                        "--id", "42", "--label", "k", NULL };
  char der_path[700];
  const char *rd[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                       "--read-object", "--type", "pubkey", "--id", "42", "-o", der_path, NULL };
  rgs_p11_ctx *ctx = open_module(rgs_env("SOFTHSM2_MODULE"));
  rgs_p11_token *tok = NULL;
  unsigned char (*h)[32] = NULL, want[32];
  rgs_run_result r;
  size_t n = 0, len = 0;
  char *der;

  assert_int_equal(rgs_run(gen, NULL, NULL, &r), 0);
  rgs_assert_status(&r, 0);
  rgs_run_free(&r);
  snprintf(der_path, sizeof(der_path), "%s/pub.der", f->hsm.dir);
  assert_int_equal(rgs_run(rd, NULL, NULL, &r), 0);
  rgs_assert_status(&r, 0);
  rgs_run_free(&r);
  der = rgs_read_file(der_path, &len);
  assert_non_null(der);
  SHA256((const unsigned char *)der, len, want);
  free(der);
  /* A fresh module load sees the key made by another process. */
  rgs_p11_ctx_free(ctx);
  ctx = open_module(rgs_env("SOFTHSM2_MODULE"));
  assert_int_equal(rgs_p11_token_open(ctx, NULL, &tok), RGS_P11_OK);
  assert_int_equal(rgs_p11_public_key_hashes(tok, &h, &n), RGS_P11_OK);
  assert_int_equal(n, 1);
  assert_memory_equal(h[0], want, 32);
  free(h);
  rgs_p11_token_close(tok);
  rgs_p11_ctx_free(ctx);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_softhsm_appears_and_goes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reinit_never, setup, teardown),
    cmocka_unit_test_setup_teardown(test_module_with_slot_events, setup, teardown),
    cmocka_unit_test_setup_teardown(test_blocking_wait, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reinit_fails_then_recovers, setup, teardown),
    cmocka_unit_test_setup_teardown(test_backoff_and_kick, setup, teardown),
    cmocka_unit_test_setup_teardown(test_public_key_hashes, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
