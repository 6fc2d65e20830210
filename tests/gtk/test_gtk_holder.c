/* SPDX-License-Identifier: BSD-3-Clause */
/* test_gtk_holder.c - the holder's screens after the request, used as a
 * person uses them (gtk_holder.py through the accessibility tree): an order
 * of the Bouches-du-Rhône whose request was made (`start --order 1` with a
 * PIN file), the window opened on it (--order 1 --token URI) at the hub,
 * the AED offices, the fee, a Sunday refused then booked once confirmed,
 * moved to a weekday and moved again,
 * the documents with the extract's date rule and the planned sending. The
 * clock is fixed (RGS_ENROLL_NOW=2026-12-07, a Monday) so that the date
 * rules are the same every day. This driver checks the store afterwards
 * with the command itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "gtk_run.h"

#define TODAY "RGS_ENROLL_NOW=2026-12-07"

static void enroll_ok(const char *const *env, rgs_run_result *r, const char *what, ...)
{
  const char *argv[24];
  va_list ap;
  size_t n = 0;

  va_start(ap, what);
  for (const char *a = what; a != NULL && n < 23; a = va_arg(ap, const char *))
    argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  assert_int_equal(rgs_enroll_v(r, env, NULL, argv), 0);
  if (r->status != 0)
    fprintf(stderr, "%s\n%s\n", r->out, r->err);
  assert_int_equal(r->status, 0);
}

/* The order of the Bouches-du-Rhône and its request made on the token. */
static void order_with_request(const char *const *env, const rgs_softhsm *t)
{
  rgs_run_result r;
  char csr[600], policy[600];

  snprintf(csr, sizeof(csr), "%s/request.csr", t->dir);
  /* The window passes the demo policy on from RGS_ENROLL_POLICY; the
   * command line needs it given. */
  snprintf(policy, sizeof(policy), "%s/data/policy/demo-softhsm.conf", rgs_env("RGS_SOURCE_DIR"));
  enroll_ok(env, &r, "--json", "order", "new", "--partner", "cma", "--holder-first-name", "Jean",
            "--holder-last-name", "Dupont", "--email", "jean@example.fr", "--company",
            "Boulangerie Dupont", "--siren", "732829320", "--payment", "carte", "--accept-cgu",
            "--dept", "13", NULL);
  rgs_run_free(&r);
  enroll_ok(env, &r, "--policy", policy, "--pin-file", t->pin_file, "start", "--order", "1", "--key-type", "ec:p256",
            "--out", csr, NULL);
  rgs_run_free(&r);
}

/* The token's URI as `tokens` gives it (the window takes that one only). */
static void token_uri(const char *const *env, char *uri, size_t n)
{
  rgs_run_result r;
  const char *p, *end;

  enroll_ok(env, &r, "--json", "tokens", NULL);
  p = strstr(r.out, "\"uri\":\"pkcs11:");
  while (p != NULL && (end = strchr(p + 7, '"')) != NULL &&
         memmem(p, (size_t)(end - p), "token=holder", 12) == NULL)
    p = strstr(end, "\"uri\":\"pkcs11:");
  assert_non_null(p);
  end = strchr(p + 7, '"');
  snprintf(uri, n, "%.*s", (int)(end - (p + 7)), p + 7);
  rgs_run_free(&r);
}

/* What the person typed is in the store, as the command reads it. */
static void check_store(const char *const *env)
{
  rgs_run_result r;

  enroll_ok(env, &r, "--json", "order", "docs", "1", NULL);
  assert_contains(r.out, "{\"kind\":\"registration-extract\",\"state\":\"ready\","
                         "\"issued_on\":\"2026-12-01\"");
  assert_contains(r.out, "\"planned_sending\":\"2026-12-20\"");
  assert_not_contains(r.out, "extract-too-old");
  rgs_run_free(&r);
  enroll_ok(env, &r, "--json", "order", "show", "1", NULL);
  assert_contains(r.out, "\"appointment\":{\"aed\":{\"id\":\"acthemis-arles\"");
  assert_contains(r.out, "\"at\":\"2026-12-16T14:30:00+01:00\"");
  /* The Sunday only once confirmed (the first try was cancelled), then
   * moved twice. */
  assert_contains(r.out, "appointment moved from 2026-12-13T10:00 to 2026-12-15T10:00");
  assert_contains(r.out, "appointment moved from 2026-12-15T10:00 to 2026-12-16T14:30");
  assert_not_contains(r.out, "to 2026-12-13T10:00");
  rgs_run_free(&r);
  enroll_ok(env, &r, "--json", "status", "1", NULL);
  assert_contains(r.out, "\"step\":\"meet-aed\"");
  rgs_run_free(&r);
}

static void run_case(const char *lang)
{
  rgs_softhsm t;
  rgs_gtk_envbuf eb;
  const char *env[24];
  const char *args[8];
  char uri[512];
  rgs_run_result r;
  size_t n;

  assert_int_equal(rgs_softhsm_init(&t, "holder"), 0);
  mkdir(rgs_env("RGS_GTK_SHOTS"), 0755);
  n = rgs_gtk_env(&eb, env, t.dir, lang);
  env[n++] = TODAY;
  /* The holder is in France: the appointment's time is shown as it is. */
  env[n++] = "TZ=Europe/Paris";
  env[n] = NULL;
  order_with_request(env, &t);
  token_uri(env, uri, sizeof(uri));
  args[0] = lang;
  args[1] = rgs_env("RGS_GTK_WINDOW");
  args[2] = uri;
  args[3] = rgs_env("RGS_GTK_SHOTS");
  args[4] = NULL;
  assert_int_equal(rgs_gtk_person(&r, env, "gtk_holder.py", args), 0);
  assert_int_equal(r.status, 0);
  assert_contains(r.out, "passed in");
  assert_contains(r.out, "Sunday refused in words");
  rgs_run_free(&r);
  check_store(env);
  rgs_softhsm_cleanup(&t);
}

static void test_holder_en(void **state)
{
  (void)state;
  run_case("en");
}

static void test_holder_fr(void **state)
{
  (void)state;
  run_case("fr");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_holder_en),
    cmocka_unit_test(test_holder_fr),
  };

  if (rgs_gtk_tools() != 0)
    return 77;
  return cmocka_run_group_tests(tests, NULL, NULL);
}
