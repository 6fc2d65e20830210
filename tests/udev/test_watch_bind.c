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
 *     order gets that order's key pair, and only a token bound to none.
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

typedef struct {
  rgs_softhsm hsm;
  char db[600], run[600], data[600], policy[600];
  char run_env[700], data_env[700];
  const char *env[6];
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));

  if (f == NULL || rgs_softhsm_init(&f->hsm, "Jean DUPONT") != 0)
    return -1;
  snprintf(f->db, sizeof(f->db), "%s/store/orders.db", f->hsm.dir);
  snprintf(f->run, sizeof(f->run), "%s/run", f->hsm.dir);
  snprintf(f->data, sizeof(f->data), "%s/data", f->hsm.dir);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf", rgs_env("RGS_SOURCE_DIR"));
  if (mkdir(f->run, 0700) != 0)
    return -1;
  snprintf(f->run_env, sizeof(f->run_env), "XDG_RUNTIME_DIR=%s", f->run);
  snprintf(f->data_env, sizeof(f->data_env), "XDG_DATA_HOME=%s", f->data);
  f->env[0] = f->run_env;
  f->env[1] = f->data_env;
  f->env[2] = "LC_ALL=C.UTF-8";
  f->env[3] = "RGS_ENROLL_NOW=2026-11-24";
  f->env[4] = NULL;
  unsetenv("DBUS_SESSION_BUS_ADDRESS");
  unsetenv("SSH_ASKPASS");
  unsetenv("RGS_ENROLL_ASKPASS");
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

/* argv of rgs-enroll with the fixture's store, module, policy and PIN
 * file, then the arguments of ap (NULL-terminated); room for 48. */
static void make_argv(fixture *f, const char **argv, va_list ap)
{
  size_t n = 0;
  const char *a;

  argv[n++] = rgs_env("RGS_ENROLL_BIN");
  argv[n++] = "--db";
  argv[n++] = f->db;
  argv[n++] = "--module";
  argv[n++] = rgs_env("SOFTHSM2_MODULE");
  argv[n++] = "--policy";
  argv[n++] = f->policy;
  argv[n++] = "--pin-file";
  argv[n++] = f->hsm.pin_file;
  while ((a = va_arg(ap, const char *)) != NULL && n < 47)
    argv[n++] = a;
  argv[n] = NULL;
}

static void run(fixture *f, rgs_run_result *r, ...)
{
  const char *argv[48];
  va_list ap;

  va_start(ap, r);
  make_argv(f, argv, ap);
  va_end(ap);
  assert_int_equal(rgs_run(argv, f->env, NULL, r), 0);
}

/* The watcher for one insertion, with the PIN at hand (so that nothing
 * but the binding rules stops a step), waited for on its own output.
 * order: the value of --order, or NULL. */
static void watch_once(fixture *f, rgs_run_result *r, int dry_run, const char *order)
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

static void new_order(fixture *f)
{
  rgs_run_result r;

  run(f, &r, "order", "new", "--partner", "CMA", "--validity", "2", "--holder-first-name", "Jean",
      "--holder-last-name", "Dupont", "--email", "jean.dupont@example.fr", "--company", "BS AUTO",
      "--siren", "732829320", "--payment", "virement", "--accept-cgu", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
}

/* The key pair of order 1 made on the token by the command itself. */
static void start_order_1(fixture *f)
{
  char csr[700];
  rgs_run_result r;

  snprintf(csr, sizeof(csr), "%s/order-1.csr", f->hsm.dir);
  run(f, &r, "start", "--order", "1", "--out", csr, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
}

static rgs_order_status order_status(fixture *f, long long id)
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
static void store_update(fixture *f, const char *sql)
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
  fixture *f = *state;
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
  fixture *f = *state;
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
  fixture *f = *state;
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
  fixture *f = *state;
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
  fixture *f = *state;
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

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_new_token_is_proposed, setup, teardown),
    cmocka_unit_test_setup_teardown(test_several_orders_the_person_chooses, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bound_by_serial, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bound_by_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_chosen_order_gets_its_key, setup, teardown),
  };

  if (getenv("RGS_TEST_ONLY") != NULL)
    cmocka_set_test_filter(getenv("RGS_TEST_ONLY"));
  return cmocka_run_group_tests(tests, NULL, NULL);
}
