/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_watch_bind.c - the watcher binds nothing by guess (issue 11): a
 * token goes to an order only by the serial its binding records or by
 * the key of the order's request.
 *   - a new, unrelated token with one order awaiting a key: the key pair
 *     is proposed (the exact command to type), never made;
 *   - several orders awaiting a key: the person is told to choose;
 *   - a token whose serial is the order's binding: the order's step;
 *   - a token that holds the order's key, the binding naming no serial:
 *     bound by the key;
 *   - the person names the order (watch --order N): a token bound to no
 *     order gets that order's key pair, and only a token bound to none;
 *     an order that does not await a key is said so, and no other order
 *     is proposed instead;
 *   - a certificate binds nothing: a token holding only a copy of order
 *     1's certificate (no key pair) is not order 1's.
 * Real SoftHSM2 token, real rgs-enroll; each wait ends on the watcher's
 * own output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>
#include "rgs_order.h"
#include "watch_test.h"

/* The watcher for one insertion, with the PIN at hand (so that nothing
 * but the binding rules stops a step), waited for on its own output.
 * order: the value of --order, or NULL. */
static void watch_once(rgs_watch_fixture *f, rgs_run_result *r, int dry_run, const char *order)
{
  const char *argv[48];
  size_t n = 16;
  rgs_bg b;

  argv[0] = rgs_env("RGS_ENROLL_BIN");
  argv[1] = "--db";
  argv[2] = f->db;
  argv[3] = "--module";
  argv[4] = rgs_env("SOFTHSM2_MODULE");
  argv[5] = "--policy";
  argv[6] = f->policy;
  argv[7] = "--pin-file";
  argv[8] = f->hsm.pin_file;
  argv[9] = "--json";
  argv[10] = "watch";
  argv[11] = "--once";
  argv[12] = "--timeout";
  argv[13] = "300";
  argv[14] = "--no-notify";
  argv[15] = "--no-udev";
  if (dry_run)
    argv[n++] = "--dry-run";
  if (order != NULL) {
    argv[n++] = "--order";
    argv[n++] = order;
  }
  argv[n] = NULL;
  rgs_bg_start(&b, f->hsm.dir, argv, f->env);
  rgs_bg_expect(&b, b.out_path, "\"outcome\":", 1);
  rgs_bg_wait(&b, RGS_WAIT_SAFETY_MS, r);
}

static void new_order(rgs_watch_fixture *f)
{
  rgs_run_result r;

  rgs_watch_run(f, &r, NULL, 1, "order", "new", "--partner", "CMA", "--validity", "2", "--holder-first-name", "Jean",
      "--holder-last-name", "Dupont", "--email", "jean.dupont@example.fr", "--company", "BS AUTO",
      "--siren", "732829320", "--payment", "virement", "--accept-cgu", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
}

/* The key pair of order 1 made on the token by the command itself. */
static void start_order_1(rgs_watch_fixture *f)
{
  char csr[700];
  rgs_run_result r;

  snprintf(csr, sizeof(csr), "%s/order-1.csr", f->hsm.dir);
  rgs_watch_run(f, &r, NULL, 1, "start", "--order", "1", "--out", csr, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
}

static rgs_order_status order_status(rgs_watch_fixture *f, long long id)
{
  rgs_order_store *st = NULL;
  rgs_order o;
  char err[256];

  assert_int_equal(rgs_order_store_open_existing(f->db, &st, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_get(st, id, &o), RGS_ORDER_OK);
  rgs_order_store_close(st);
  return o.status;
}

/* One UPDATE in the store that changes exactly one row: the steps that
 * lead there (issuance, a binding made elsewhere) are other tests'
 * business; here only the watcher's reading of the store is under test. */
static void store_update(rgs_watch_fixture *f, const char *sql)
{
  sqlite3 *db = NULL;

  assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_changes(db), 1);
  sqlite3_close(db);
}

static int private_keys(void)
{
  const char *argv[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"), "--login",
                         "--pin", RGS_TEST_PIN, "--list-objects", "--type", "privkey", NULL };
  rgs_run_result r;
  const char *p;
  int n = 0;

  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  for (p = r.out; (p = strstr(p, "Private Key Object")) != NULL; p++)
    n++;
  rgs_run_free(&r);
  return n;
}

/* The first JSON document of out. Free with free(). */
static char *first_doc(const char *out)
{
  const char *p = strchr(out, '{'), *nl;

  if (p == NULL)
    fail_msg("no JSON document in:\n%s", out);
  nl = strchr(p, '\n');
  return strndup(p, nl != NULL ? (size_t)(nl - p) : strlen(p));
}

static void assert_member(const char *doc, const char *path, const char *want)
{
  char *v = rgs_json_get(doc, path);

  if (v == NULL || strcmp(v, want) != 0)
    fail_msg("%s is %s, expected %s, in:\n%s", path, v != NULL ? v : "(absent)", want, doc);
  free(v);
}

/* ---- no binding: proposed, never taken ----------------------------------- */

static void test_new_token_is_proposed(void **state)
{
  rgs_watch_fixture *f = *state;
  rgs_run_result r;
  char *doc, *cmd;

  new_order(f);
  watch_once(f, &r, 0, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  doc = first_doc(r.out);
  assert_member(doc, "action", "propose");
  assert_member(doc, "order", "1");
  assert_member(doc, "outcome", "proposed");
  cmd = rgs_json_get(doc, "command");
  assert_non_null(cmd);
  assert_contains(cmd, "rgs-enroll ");
  assert_contains(cmd, " start --order 1 --token 'pkcs11:");
  assert_contains(cmd, "token=Jean%20DUPONT");
  /* The person is told the same command. */
  assert_contains(r.err, cmd);
  free(cmd);
  free(doc);
  rgs_run_free(&r);
  /* Nothing done: no key on the token, the order still awaits its key. */
  assert_int_equal(private_keys(), 0);
  assert_int_equal(order_status(f, 1), RGS_STATUS_ORDERED);
}

static void test_several_orders_the_person_chooses(void **state)
{
  rgs_watch_fixture *f = *state;
  rgs_run_result r;
  char *doc;

  new_order(f);
  new_order(f);
  watch_once(f, &r, 0, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  doc = first_doc(r.out);
  assert_member(doc, "action", "ambiguous");
  assert_contains(doc, "orders 1, 2 await a key");
  free(doc);
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 0);
}

/* ---- bound: the order's step --------------------------------------------- */

/* Order 1 is bound to this token's serial; order 2 awaits a key. The
 * token is order 1's: its step comes, order 2 is not proposed. */
static void test_bound_by_serial(void **state)
{
  rgs_watch_fixture *f = *state;
  rgs_run_result r;
  char *doc;

  new_order(f);
  start_order_1(f);
  new_order(f);
  store_update(f, "UPDATE orders SET status = 'issued' WHERE id = 1");
  watch_once(f, &r, 1, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  doc = first_doc(r.out);
  assert_member(doc, "action", "install");
  assert_member(doc, "order", "1");
  assert_member(doc, "bound_by", "serial");
  assert_member(doc, "outcome", "dry-run");
  assert_contains(doc, "rgs-enroll install 1");
  free(doc);
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 1);
  assert_int_equal(order_status(f, 2), RGS_STATUS_ORDERED);
}

/* The binding names no serial: the token holding the request's key is
 * the order's. */
static void test_bound_by_key(void **state)
{
  rgs_watch_fixture *f = *state;
  rgs_run_result r;
  char *doc;

  new_order(f);
  start_order_1(f);
  new_order(f);
  store_update(f, "UPDATE binding SET token_serial = NULL WHERE order_id = 1");
  store_update(f, "UPDATE orders SET status = 'issued' WHERE id = 1");
  watch_once(f, &r, 1, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  doc = first_doc(r.out);
  assert_member(doc, "action", "install");
  assert_member(doc, "order", "1");
  assert_member(doc, "bound_by", "key");
  free(doc);
  rgs_run_free(&r);
}

/* The person chose the order (watch --order 1): the token bound to no
 * order gets its key pair, and is bound to it from then on. */
static void test_chosen_order_gets_its_key(void **state)
{
  rgs_watch_fixture *f = *state;
  rgs_run_result r;
  char *doc;

  new_order(f);
  new_order(f);
  watch_once(f, &r, 0, "2");
  rgs_assert_status(&r, RGS_EXIT_OK);
  doc = first_doc(r.out);
  assert_member(doc, "action", "start");
  assert_member(doc, "order", "2");
  assert_member(doc, "bound_by", "chosen");
  assert_member(doc, "outcome", "done");
  free(doc);
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 1);
  assert_int_equal(order_status(f, 2), RGS_STATUS_CSR_LINKED);
  assert_int_equal(order_status(f, 1), RGS_STATUS_ORDERED);

  /* Plugged in again with --order 1: the token is order 2's (its serial),
   * the choice does not move it. */
  watch_once(f, &r, 1, "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  doc = first_doc(r.out);
  assert_member(doc, "order", "2");
  assert_member(doc, "bound_by", "serial");
  assert_member(doc, "action", "tell");
  free(doc);
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 1);
}

/* The person names an order that does not await a key (watch --order 2,
 * order 2 issued) while order 1 does: order 2 is said not to await a key
 * pair, with its status and next step, and order 1 is not proposed. */
static void test_chosen_order_not_awaiting(void **state)
{
  rgs_watch_fixture *f = *state;
  rgs_run_result r;
  char *doc;

  new_order(f);
  new_order(f);
  store_update(f, "UPDATE orders SET status = 'issued' WHERE id = 2");
  watch_once(f, &r, 0, "2");
  rgs_assert_status(&r, RGS_EXIT_OK);
  doc = first_doc(r.out);
  assert_member(doc, "action", "not-awaiting-key");
  assert_member(doc, "order", "2");
  assert_member(doc, "status", "issued");
  assert_contains(doc, "order 2 does not await a key pair");
  assert_contains(r.err, "order 2 does not await a key pair");
  assert_contains(r.err, "rgs-enroll status 2");
  if (strstr(r.out, "start --order 1") != NULL || strstr(r.err, "start --order 1") != NULL)
    fail_msg("order 1 proposed for a token meant for order 2:\n%s\n%s", r.out, r.err);
  free(doc);
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 0);
  assert_int_equal(order_status(f, 1), RGS_STATUS_ORDERED);
}

/* pkcs11-tool on the rgs_watch_fixture's token, logged in; fails the test unless it
 * succeeds. Free r with rgs_run_free(). */
static void p11tool(rgs_run_result *r, ...)
{
  const char *argv[16] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                           "--login", "--pin", RGS_TEST_PIN };
  size_t n = 6;
  const char *a;
  va_list ap;

  va_start(ap, r);
  while ((a = va_arg(ap, const char *)) != NULL && n < 15)
    argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  assert_int_equal(rgs_run(argv, NULL, NULL, r), 0);
  if (r->status != 0)
    fail_msg("pkcs11-tool failed:\n%s\n%s", r->out, r->err);
}

/* openssl with the arguments of argv (NULL-terminated); must succeed. */
static void openssl(const char **argv)
{
  rgs_run_result r;

  argv[0] = rgs_env("OPENSSL_BIN");
  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  if (r.status != 0)
    fail_msg("openssl failed:\n%s", r.err);
  rgs_run_free(&r);
}

/* A certificate is public: a token holding only a copy of order 1's
 * certificate, without its key pair, is not order 1's (nor a delivered
 * token). */
static void test_copied_certificate_binds_nothing(void **state)
{
  rgs_watch_fixture *f = *state;
  rgs_run_result r;
  char *doc, id[130], ext[700], cakey[700], ca[700], csr[700], der[700];
  const char *p;
  size_t n = 0;
  FILE *fp;

  new_order(f);
  start_order_1(f);
  /* A certificate of order 1's key, from a test CA. */
  snprintf(ext, sizeof(ext), "%s/user.ext", f->hsm.dir);
  snprintf(cakey, sizeof(cakey), "%s/ca.key", f->hsm.dir);
  snprintf(ca, sizeof(ca), "%s/ca.pem", f->hsm.dir);
  snprintf(csr, sizeof(csr), "%s/order-1.csr", f->hsm.dir);
  snprintf(der, sizeof(der), "%s/user.der", f->hsm.dir);
  fp = fopen(ext, "w");
  assert_non_null(fp);
  fputs("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n", fp);
  fclose(fp);
  {
    const char *mk_ca[] = { NULL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-nodes", "-keyout", cakey, "-out", ca,
                            "-subj", "/CN=Test CA", "-days", "30", NULL };
    const char *issue[] = { NULL, "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", cakey,
                            "-set_serial", "7", "-days", "30", "-extfile", ext,
                            "-outform", "DER", "-out", der, NULL };
    openssl(mk_ca);
    openssl(issue);
  }
  /* The key pair goes; the certificate copy is all the token holds. */
  p11tool(&r, "--list-objects", "--type", "pubkey", NULL);
  p = strstr(r.out, "ID:");
  assert_non_null(p);
  for (p += 3; *p == ' '; p++)
    ;
  while (n + 1 < sizeof(id) && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
    id[n++] = *p++;
  id[n] = '\0';
  rgs_run_free(&r);
  assert_true(n > 0);
  p11tool(&r, "--delete-object", "--type", "privkey", "--id", id, NULL);
  rgs_run_free(&r);
  p11tool(&r, "--delete-object", "--type", "pubkey", "--id", id, NULL);
  rgs_run_free(&r);
  p11tool(&r, "--write-object", der, "--type", "cert", "--id", id, "--label", "copy", NULL);
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 0);
  store_update(f, "UPDATE binding SET token_serial = NULL WHERE order_id = 1");
  store_update(f, "UPDATE orders SET status = 'issued' WHERE id = 1");

  watch_once(f, &r, 1, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  doc = first_doc(r.out);
  assert_member(doc, "action", "no-order");
  if (strstr(doc, "\"bound_by\":\"key\"") != NULL)
    fail_msg("bound by a copied certificate:\n%s", doc);
  free(doc);
  rgs_run_free(&r);
  assert_int_equal(order_status(f, 1), RGS_STATUS_ISSUED);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_new_token_is_proposed, rgs_watch_setup, rgs_watch_teardown),
    cmocka_unit_test_setup_teardown(test_several_orders_the_person_chooses, rgs_watch_setup, rgs_watch_teardown),
    cmocka_unit_test_setup_teardown(test_bound_by_serial, rgs_watch_setup, rgs_watch_teardown),
    cmocka_unit_test_setup_teardown(test_bound_by_key, rgs_watch_setup, rgs_watch_teardown),
    cmocka_unit_test_setup_teardown(test_chosen_order_gets_its_key, rgs_watch_setup, rgs_watch_teardown),
    cmocka_unit_test_setup_teardown(test_chosen_order_not_awaiting, rgs_watch_setup, rgs_watch_teardown),
    cmocka_unit_test_setup_teardown(test_copied_certificate_binds_nothing, rgs_watch_setup, rgs_watch_teardown),
  };

  if (getenv("RGS_TEST_ONLY") != NULL)
    cmocka_set_test_filter(getenv("RGS_TEST_ONLY"));
  return cmocka_run_group_tests(tests, NULL, NULL);
}
