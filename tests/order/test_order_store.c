/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_order_store.c - the order store through the library: creation,
 * migration, refusal of files that are not ours (left byte-identical),
 * orders, status steps, binding, appointment, documents, AED imports and
 * transactions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include <cmocka.h>

#include "rgs_order.h"
#include "rgs_test.h"

#define NOW 1795478400   /* 2026-11-24T00:00:00Z */

typedef struct {
  char *dir;
  char path[512];
  rgs_order_store *st;
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));
  char err[512];

  f->dir = rgs_tmpdir();
  snprintf(f->path, sizeof(f->path), "%s/orders.db", f->dir);
  if (rgs_order_store_open(f->path, &f->st, err, sizeof(err)) != RGS_ORDER_OK) {
    print_error("open: %s\n", err);
    return -1;
  }
  rgs_order_store_set_now(f->st, NOW);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  rgs_order_store_close(f->st);
  rgs_rmrf(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

static rgs_order_input valid_input(void)
{
  rgs_order_input in;

  memset(&in, 0, sizeof(in));
  in.partner = "cma";
  in.validity_years = 3;
  in.os = RGS_OS_WINDOWS;
  in.first_name = "Frédéric";
  in.last_name = "Senez";
  in.email = "f.senez@example.fr";
  in.company = "BS AUTO";
  in.company_id = "732829320";
  in.payment = RGS_PAY_VIREMENT;
  in.accept_cgu = 1;
  return in;
}

static long long create_ok(rgs_order_store *st, const rgs_order_input *in)
{
  long long id = 0;
  rgs_order_rc rc = rgs_order_create(st, in, &id);

  if (rc != RGS_ORDER_OK)
    fail_msg("create failed (%d): %s", (int)rc, rgs_order_store_last_error(st));
  assert_true(id > 0);
  return id;
}

static int count_cb(void *ud, const rgs_order *o)
{
  (void)o;
  (*(int *)ud)++;
  return 0;
}

static int count_orders(rgs_order_store *st, const rgs_order_filter *flt)
{
  int n = 0;

  assert_int_equal(rgs_order_list(st, flt, count_cb, &n, NULL), RGS_ORDER_OK);
  return n;
}

/* Rows of a table, straight from SQLite. */
static int count_rows(const char *path, const char *table)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  char sql[128];
  int n = -1;

  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  if (sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

static int pragma_int(const char *path, const char *pragma)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  char sql[128];
  int v = -1;

  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  snprintf(sql, sizeof(sql), "PRAGMA %s", pragma);
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  if (sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/* Files in dir other than orders.db and its -wal and -shm. */
static int stray_files(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;

  assert_non_null(d);
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
        strcmp(e->d_name, "orders.db") == 0 || strcmp(e->d_name, "orders.db-wal") == 0 ||
        strcmp(e->d_name, "orders.db-shm") == 0)
      continue;
    print_error("stray file: %s\n", e->d_name);
    n++;
  }
  closedir(d);
  return n;
}

/* ---- creating, opening, refusing ------------------------------------------ */

static void test_create_with_modes(void **state)
{
  char *dir = rgs_tmpdir();
  char path[512], sub[512], err[512];
  rgs_order_store *st = NULL;
  struct stat sb;

  (void)state;
  snprintf(sub, sizeof(sub), "%s/a/b", dir);
  snprintf(path, sizeof(path), "%s/a/b/orders.db", dir);
  umask(022);
  assert_int_equal(rgs_order_store_open(path, &st, err, sizeof(err)), RGS_ORDER_OK);
  rgs_order_store_close(st);
  assert_int_equal(stat(path, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0600);
  assert_int_equal(stat(sub, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0700);
  snprintf(sub, sizeof(sub), "%s/a", dir);
  assert_int_equal(stat(sub, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0700);
  /* complete: marker, version, WAL, the tables */
  assert_int_equal((unsigned)pragma_int(path, "application_id"), 0x52475345u);
  assert_int_equal(pragma_int(path, "user_version"), rgs_order_store_schema_version());
  assert_int_equal(count_rows(path, "orders"), 0);
  assert_int_equal(count_rows(path, "binding"), 0);
  /* no temporary file left beside it */
  snprintf(sub, sizeof(sub), "%s/a/b", dir);
  assert_int_equal(stray_files(sub), 0);
  /* open again: fine */
  assert_int_equal(rgs_order_store_open_existing(path, &st, err, sizeof(err)), RGS_ORDER_OK);
  rgs_order_store_close(st);
  rgs_rmrf(dir);
  free(dir);
}

static void test_open_existing_missing(void **state)
{
  char *dir = rgs_tmpdir();
  char path[512], err[512];
  rgs_order_store *st = NULL;

  (void)state;
  snprintf(path, sizeof(path), "%s/none/orders.db", dir);
  assert_int_equal(rgs_order_store_open_existing(path, &st, err, sizeof(err)), RGS_ORDER_ERR_IO);
  assert_null(st);
  assert_contains(err, path);
  snprintf(path, sizeof(path), "%s/none", dir);
  assert_int_not_equal(access(path, F_OK), 0);
  rgs_rmrf(dir);
  free(dir);
}

/* Opening `path` must fail with rc, name why, and leave it byte-identical
 * with nothing created beside it. */
static void assert_refused(const char *dir, const char *path, rgs_order_rc want, const char *word)
{
  size_t len0 = 0, len1 = 0;
  struct stat sb;
  int is_file = stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
  char *before = is_file ? rgs_read_file(path, &len0) : NULL, *after;
  char err[512] = "", side[600];
  rgs_order_store *st = NULL;
  rgs_order_rc rc = rgs_order_store_open(path, &st, err, sizeof(err));

  (void)dir;
  if (rc != want)
    fail_msg("%s: expected %d, got %d (%s)", path, (int)want, (int)rc, err);
  assert_null(st);
  if (word != NULL)
    assert_contains(err, word);
  after = is_file ? rgs_read_file(path, &len1) : NULL;
  if (is_file) {
    assert_non_null(before);
    assert_non_null(after);
    assert_int_equal(len0, len1);
    assert_memory_equal(before, after, len0);
  }
  snprintf(side, sizeof(side), "%s-wal", path);
  assert_int_not_equal(access(side, F_OK), 0);
  snprintf(side, sizeof(side), "%s-journal", path);
  assert_int_not_equal(access(side, F_OK), 0);
  free(before);
  free(after);
}

static void make_sqlite(const char *path, const char *sql)
{
  sqlite3 *db = NULL;

  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
}

static void test_refuse_foreign_files(void **state)
{
  char *dir = rgs_tmpdir();
  char path[512], good[512], err[512];
  unsigned char junk[8192];
  rgs_order_store *st = NULL;
  size_t i, len = 0;
  char *data;
  FILE *fp;

  (void)state;
  srand(42);
  for (i = 0; i < sizeof(junk); i++)
    junk[i] = (unsigned char)rand();
  snprintf(path, sizeof(path), "%s/random.db", dir);
  fp = fopen(path, "wb");
  fwrite(junk, 1, sizeof(junk), fp);
  fclose(fp);
  assert_refused(dir, path, RGS_ORDER_ERR_NOT_STORE, "not an SQLite database");

  snprintf(path, sizeof(path), "%s/notes.txt", dir);
  rgs_write_file(path, "Rendez-vous chez l'huissier le 3 décembre.\n");
  assert_refused(dir, path, RGS_ORDER_ERR_NOT_STORE, "not an SQLite database");

  snprintf(path, sizeof(path), "%s/empty.db", dir);
  rgs_write_file(path, "");
  assert_refused(dir, path, RGS_ORDER_ERR_NOT_STORE, "empty");

  snprintf(path, sizeof(path), "%s/other-app.db", dir);
  make_sqlite(path, "PRAGMA application_id = 1234; CREATE TABLE contacts (name TEXT); "
                    "INSERT INTO contacts VALUES ('x');");
  assert_refused(dir, path, RGS_ORDER_ERR_NOT_STORE, "another application");

  snprintf(path, sizeof(path), "%s/plain-sqlite.db", dir);
  make_sqlite(path, "CREATE TABLE orders (id INTEGER PRIMARY KEY); PRAGMA user_version = 1;");
  assert_refused(dir, path, RGS_ORDER_ERR_NOT_STORE, "another application");

  snprintf(path, sizeof(path), "%s", dir);
  assert_refused(dir, path, RGS_ORDER_ERR_NOT_STORE, "not a regular file");

  /* a store of ours, damaged after its header */
  snprintf(good, sizeof(good), "%s/good.db", dir);
  assert_int_equal(rgs_order_store_open(good, &st, err, sizeof(err)), RGS_ORDER_OK);
  rgs_order_store_close(st);
  data = rgs_read_file(good, &len);
  assert_non_null(data);
  memset(data + 100, 0xA5, 400);
  snprintf(path, sizeof(path), "%s/damaged.db", dir);
  fp = fopen(path, "wb");
  fwrite(data, 1, len, fp);
  fclose(fp);
  assert_refused(dir, path, RGS_ORDER_ERR_CORRUPT, "malformed");
  /* cut short: the header alone */
  snprintf(path, sizeof(path), "%s/truncated.db", dir);
  fp = fopen(path, "wb");
  fwrite(data, 1, 100, fp);
  fclose(fp);
  assert_refused(dir, path, RGS_ORDER_ERR_CORRUPT, NULL);
  free(data);
  rgs_rmrf(dir);
  free(dir);
}

static void test_migrate_and_newer(void **state)
{
  char *dir = rgs_tmpdir();
  char path[512], err[512];
  rgs_order_store *st = NULL;

  (void)state;
  /* an empty store of schema 0 (ours by its marker) is brought up to date */
  snprintf(path, sizeof(path), "%s/old.db", dir);
  make_sqlite(path, "PRAGMA application_id = 1380406085; PRAGMA journal_mode = WAL;");
  assert_int_equal(rgs_order_store_open(path, &st, err, sizeof(err)), RGS_ORDER_OK);
  rgs_order_store_close(st);
  assert_int_equal(pragma_int(path, "user_version"), rgs_order_store_schema_version());
  assert_int_equal(count_rows(path, "documents"), 0);
  /* a newer schema is refused and not touched */
  snprintf(path, sizeof(path), "%s/newer.db", dir);
  make_sqlite(path, "PRAGMA application_id = 1380406085; PRAGMA user_version = 99;");
  assert_refused(dir, path, RGS_ORDER_ERR_NEWER, "99");
  rgs_rmrf(dir);
  free(dir);
}

/* ---- orders ----------------------------------------------------------------------- */

static void test_create_and_get(void **state)
{
  fixture *f = *state;
  rgs_order_input in = valid_input();
  rgs_order_doc docs[RGS_DOC_COUNT];
  rgs_order_event *ev = NULL;
  size_t n = 0;
  rgs_order o;
  long long id;
  int k;

  in.phone = "+33 4 91 00 00 00";
  in.ca_ref = "CMD-2026-0001";
  in.dept = "13";
  id = create_ok(f->st, &in);
  assert_int_equal(rgs_order_get(f->st, id, &o), RGS_ORDER_OK);
  assert_int_equal(o.id, id);
  assert_string_equal(o.partner, "CMA");
  assert_string_equal(o.product, "Pack ID RGS**");
  assert_int_equal(o.validity_years, 3);
  assert_string_equal(o.first_name, "Frédéric");
  assert_string_equal(o.company_id, "732829320");
  assert_string_equal(o.siren, "732829320");
  assert_string_equal(o.phone, "+33 4 91 00 00 00");
  assert_string_equal(o.ca_ref, "CMD-2026-0001");
  assert_string_equal(o.dept, "13");
  assert_int_equal(o.payment, RGS_PAY_VIREMENT);
  assert_int_equal(o.status, RGS_STATUS_ORDERED);
  assert_string_equal(o.created_at, "2026-11-24T00:00:00Z");
  assert_string_equal(o.cgu_accepted_at, "2026-11-24T00:00:00Z");
  assert_int_equal(rgs_order_history(f->st, id, &ev, &n), RGS_ORDER_OK);
  assert_int_equal(n, 2);
  assert_false(ev[0].has_from);
  assert_int_equal(ev[0].to, RGS_STATUS_DRAFT);
  assert_true(ev[1].has_from);
  assert_int_equal(ev[1].from, RGS_STATUS_DRAFT);
  assert_int_equal(ev[1].to, RGS_STATUS_ORDERED);
  free(ev);
  assert_int_equal(rgs_order_docs_get(f->st, id, docs), RGS_ORDER_OK);
  for (k = 0; k < RGS_DOC_COUNT; k++)
    assert_int_equal(docs[k].state, RGS_DOC_MISSING);
  /* SIRET: the SIREN part is kept apart */
  in.company_id = "73282932000074";
  in.ca_ref = NULL;
  id = create_ok(f->st, &in);
  assert_int_equal(rgs_order_get(f->st, id, &o), RGS_ORDER_OK);
  assert_string_equal(o.company_id, "73282932000074");
  assert_string_equal(o.siren, "732829320");
  assert_int_equal(rgs_order_get(f->st, 999, &o), RGS_ORDER_ERR_NO_ORDER);
  assert_contains(rgs_order_store_last_error(f->st), "999");
}

static void test_draft_without_cgu_or_payment(void **state)
{
  fixture *f = *state;
  rgs_order_input in = valid_input();
  rgs_order_update u;
  rgs_order o;
  long long id;

  in.accept_cgu = 0;
  id = create_ok(f->st, &in);
  assert_int_equal(rgs_order_get(f->st, id, &o), RGS_ORDER_OK);
  assert_int_equal(o.status, RGS_STATUS_DRAFT);
  assert_string_equal(o.cgu_accepted_at, "");
  /* ordered cannot be forced while the CGU are not accepted */
  assert_int_equal(rgs_order_set_status(f->st, id, RGS_STATUS_ORDERED, NULL), RGS_ORDER_ERR_TRANSITION);
  in.accept_cgu = 1;
  in.payment = RGS_PAY_NONE;
  id = create_ok(f->st, &in);
  assert_int_equal(rgs_order_get(f->st, id, &o), RGS_ORDER_OK);
  assert_int_equal(o.status, RGS_STATUS_DRAFT);
  memset(&u, 0, sizeof(u));
  u.payment = RGS_PAY_CHEQUE;
  assert_int_equal(rgs_order_update_fields(f->st, id, &u), RGS_ORDER_OK);
  assert_int_equal(rgs_order_get(f->st, id, &o), RGS_ORDER_OK);
  assert_int_equal(o.status, RGS_STATUS_ORDERED);
  assert_int_equal(o.payment, RGS_PAY_CHEQUE);
}

/* Each bad value: its result, its message, and no order left behind. */
static void assert_create_fails(fixture *f, const rgs_order_input *in, rgs_order_rc want,
                                const char *word)
{
  long long id = 42;
  rgs_order_rc rc = rgs_order_create(f->st, in, &id);

  if (rc != want)
    fail_msg("expected %d, got %d (%s)", (int)want, (int)rc, rgs_order_store_last_error(f->st));
  assert_int_equal(id, 0);
  if (word != NULL)
    assert_contains(rgs_order_store_last_error(f->st), word);
}

static void test_create_bad_values(void **state)
{
  fixture *f = *state;
  rgs_order_input in;
  char long_name[300];

  memset(long_name, 'a', sizeof(long_name) - 1);
  long_name[sizeof(long_name) - 1] = '\0';
  in = valid_input(); in.partner = "XYZ";
  assert_create_fails(f, &in, RGS_ORDER_ERR_PARTNER, "CMA");
  in = valid_input(); in.partner = NULL;
  assert_create_fails(f, &in, RGS_ORDER_ERR_PARTNER, NULL);
  in = valid_input(); in.product = "Pack SSL";
  assert_create_fails(f, &in, RGS_ORDER_ERR_PRODUCT, "Pack ID RGS**");
  in = valid_input(); in.validity_years = 4;
  assert_create_fails(f, &in, RGS_ORDER_ERR_VALIDITY, "1, 2 or 3");
  in = valid_input(); in.validity_years = -1;
  assert_create_fails(f, &in, RGS_ORDER_ERR_VALIDITY, NULL);
  in = valid_input(); in.os = (rgs_order_os)7;
  assert_create_fails(f, &in, RGS_ORDER_ERR_OS, NULL);
  in = valid_input(); in.payment = (rgs_order_payment)9;
  assert_create_fails(f, &in, RGS_ORDER_ERR_PAYMENT, NULL);
  in = valid_input(); in.first_name = "";
  assert_create_fails(f, &in, RGS_ORDER_ERR_TEXT, "first name");
  in = valid_input(); in.first_name = "   ";
  assert_create_fails(f, &in, RGS_ORDER_ERR_TEXT, "first name");
  in = valid_input(); in.last_name = long_name;
  assert_create_fails(f, &in, RGS_ORDER_ERR_TEXT, "last name");
  in = valid_input(); in.last_name = "Sen\xE9z";
  assert_create_fails(f, &in, RGS_ORDER_ERR_TEXT, "last name");
  in = valid_input(); in.last_name = "Sen\nez";
  assert_create_fails(f, &in, RGS_ORDER_ERR_TEXT, "last name");
  in = valid_input(); in.email = "senez.example.fr";
  assert_create_fails(f, &in, RGS_ORDER_ERR_TEXT, "senez.example.fr");
  in = valid_input(); in.email = "a@b@c.fr";
  assert_create_fails(f, &in, RGS_ORDER_ERR_TEXT, NULL);
  in = valid_input(); in.phone = "call me";
  assert_create_fails(f, &in, RGS_ORDER_ERR_TEXT, "call me");
  in = valid_input(); in.company = "";
  assert_create_fails(f, &in, RGS_ORDER_ERR_TEXT, "company");
  in = valid_input(); in.company_id = "732829321";
  assert_create_fails(f, &in, RGS_ORDER_ERR_SIREN, "732829321");
  in = valid_input(); in.company_id = "12345";
  assert_create_fails(f, &in, RGS_ORDER_ERR_SIREN, NULL);
  in = valid_input(); in.company_id = NULL;
  assert_create_fails(f, &in, RGS_ORDER_ERR_SIREN, NULL);
  in = valid_input(); in.dept = "99";
  assert_create_fails(f, &in, RGS_ORDER_ERR_DEPT, "99");
  in = valid_input(); in.ca_ref = "has space";
  assert_create_fails(f, &in, RGS_ORDER_ERR_TEXT, "has space");
  assert_int_equal(count_orders(f->st, NULL), 0);
  assert_int_equal(count_rows(f->path, "documents"), 0);
  assert_int_equal(count_rows(f->path, "history"), 0);
  /* a CA reference is one order's */
  in = valid_input(); in.ca_ref = "REF-1";
  create_ok(f->st, &in);
  assert_create_fails(f, &in, RGS_ORDER_ERR_DUPLICATE, "REF-1");
  assert_int_equal(count_orders(f->st, NULL), 1);
}

static void test_update_fields(void **state)
{
  fixture *f = *state;
  rgs_order_input in = valid_input();
  rgs_order_update u;
  rgs_order o;
  long long id = create_ok(f->st, &in), id2;

  memset(&u, 0, sizeof(u));
  u.ca_ref = "CMD-9";
  u.email = "frederic@example.fr";
  u.phone = "04 91 00 00 00";
  u.os_set = 1;
  u.os = RGS_OS_MACOS;
  u.validity_years = 2;
  u.dept = "1";
  assert_int_equal(rgs_order_update_fields(f->st, id, &u), RGS_ORDER_OK);
  assert_int_equal(rgs_order_get(f->st, id, &o), RGS_ORDER_OK);
  assert_string_equal(o.ca_ref, "CMD-9");
  assert_string_equal(o.email, "frederic@example.fr");
  assert_int_equal(o.os, RGS_OS_MACOS);
  assert_int_equal(o.validity_years, 2);
  assert_string_equal(o.dept, "01");
  /* a bad field changes nothing (one transaction) */
  memset(&u, 0, sizeof(u));
  u.ca_ref = "CMD-10";
  u.email = "nope";
  assert_int_equal(rgs_order_update_fields(f->st, id, &u), RGS_ORDER_ERR_TEXT);
  assert_int_equal(rgs_order_get(f->st, id, &o), RGS_ORDER_OK);
  assert_string_equal(o.ca_ref, "CMD-9");
  /* the same reference on another order */
  id2 = create_ok(f->st, &in);
  memset(&u, 0, sizeof(u));
  u.ca_ref = "CMD-9";
  assert_int_equal(rgs_order_update_fields(f->st, id2, &u), RGS_ORDER_ERR_DUPLICATE);
  /* the validity is fixed once a key exists */
  assert_int_equal(rgs_order_set_status(f->st, id, RGS_STATUS_KEY_GENERATED, "keygen"), RGS_ORDER_OK);
  memset(&u, 0, sizeof(u));
  u.validity_years = 3;
  assert_int_equal(rgs_order_update_fields(f->st, id, &u), RGS_ORDER_ERR_TRANSITION);
  assert_contains(rgs_order_store_last_error(f->st), "key generated");
  /* a closed order no longer changes */
  assert_int_equal(rgs_order_set_status(f->st, id2, RGS_STATUS_CANCELLED, NULL), RGS_ORDER_OK);
  memset(&u, 0, sizeof(u));
  u.phone = "04 91 00 00 01";
  assert_int_equal(rgs_order_update_fields(f->st, id2, &u), RGS_ORDER_ERR_TRANSITION);
  assert_contains(rgs_order_store_last_error(f->st), "cancelled");
  assert_int_equal(rgs_order_update_fields(f->st, 777, &u), RGS_ORDER_ERR_NO_ORDER);
}

static void test_status_steps(void **state)
{
  fixture *f = *state;
  rgs_order_input in = valid_input();
  rgs_order_event *ev = NULL;
  size_t n = 0;
  rgs_order o;
  long long id;

  in.accept_cgu = 0;
  id = create_ok(f->st, &in);
  /* draft cannot jump ahead; the message names the status and what may follow */
  assert_int_equal(rgs_order_set_status(f->st, id, RGS_STATUS_SUBMITTED, NULL), RGS_ORDER_ERR_TRANSITION);
  assert_contains(rgs_order_store_last_error(f->st), "is at the step \"draft (not yet placed)\"");
  assert_contains(rgs_order_store_last_error(f->st), "ordered");
  assert_int_equal(rgs_order_set_status(f->st, id, RGS_STATUS_REFUSED, "refused by Certigna"), RGS_ORDER_OK);
  assert_int_equal(rgs_order_set_status(f->st, id, RGS_STATUS_CANCELLED, NULL), RGS_ORDER_ERR_TRANSITION);
  assert_contains(rgs_order_store_last_error(f->st), "closed");
  assert_int_equal(rgs_order_history(f->st, id, &ev, &n), RGS_ORDER_OK);
  assert_int_equal(n, 2);
  assert_string_equal(ev[1].note, "refused by Certigna");
  free(ev);

  in.accept_cgu = 1;
  id = create_ok(f->st, &in);
  /* the steps that carry data go through their own functions */
  assert_int_equal(rgs_order_set_status(f->st, id, RGS_STATUS_KEY_GENERATED, NULL), RGS_ORDER_OK);
  assert_int_equal(rgs_order_set_status(f->st, id, RGS_STATUS_CSR_LINKED, NULL), RGS_ORDER_ERR_TRANSITION);
  assert_contains(rgs_order_store_last_error(f->st), "bound");
  assert_int_equal(rgs_order_get(f->st, id, &o), RGS_ORDER_OK);
  assert_int_equal(o.status, RGS_STATUS_KEY_GENERATED);
  assert_int_equal(rgs_order_set_status(f->st, id, RGS_STATUS_COUNT, NULL), RGS_ORDER_ERR_ARG);
  assert_int_equal(rgs_order_set_status(f->st, 555, RGS_STATUS_CANCELLED, NULL), RGS_ORDER_ERR_NO_ORDER);
  assert_int_equal(rgs_order_set_status(f->st, id, RGS_STATUS_CANCELLED, "bad\x01note"), RGS_ORDER_ERR_TEXT);
}

/* ---- binding -------------------------------------------------------------------------- */

static void spki_of(unsigned char out[32], unsigned char seed)
{
  memset(out, seed, 32);
}

static rgs_order_rc link_with(rgs_order_store *st, long long id, const char *cn, const char *org,
                              const char *ou, unsigned char seed)
{
  rgs_order_subject s;
  rgs_order_link_input in;
  unsigned char spki[32];

  memset(&s, 0, sizeof(s));
  s.cn = cn;
  s.o = org;
  s.ou[s.n_ou++] = ou;
  spki_of(spki, seed);
  memset(&in, 0, sizeof(in));
  in.csr_pem = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n";
  in.spki_sha256 = spki;
  in.subject = &s;
  in.subject_text = "C = FR, O = BS AUTO";
  in.token_serial = "c4c7aea519f1028e";
  in.token_model = "SoftHSM v2";
  in.key_uri = "pkcs11:token=t;object=k;type=private";
  return rgs_order_link(st, id, &in);
}

/* Face-to-face-done the only way there is: a successful, verified record
 * of the key bound with seed. (The CMS bytes are not read by this layer.) */
static rgs_order_rc f2f_done(rgs_order_store *st, long long id, unsigned char seed)
{
  static unsigned char cms[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
  static int n;
  unsigned char spki[32];
  char spki_hex[65], rec_hex[65];
  rgs_order_f2f_input in;
  size_t i;

  spki_of(spki, seed);
  for (i = 0; i < 32; i++)
    snprintf(spki_hex + 2 * i, 3, "%02x", spki[i]);
  snprintf(rec_hex, sizeof(rec_hex), "%064x", ++n);     /* one record hash each */
  memset(&in, 0, sizeof(in));
  in.cms_der = cms;
  in.cms_len = sizeof(cms);
  in.record_sha256 = rec_hex;
  in.spki_sha256 = spki_hex;
  in.signed_at = "2026-12-03T10:30:00Z";
  in.day = "2026-12-03";
  in.success = 1;
  in.verified = 1;
  in.aed_name = "Acthemis";
  return rgs_order_f2f_add(st, id, &in, NULL);
}

/* The holder's subject, as the order says it (case and accents aside). */
#define HOLDER_CN "Frédéric Senez"
#define HOLDER_O "BS AUTO"
#define HOLDER_OU "0002 732829320"

static rgs_order_status status_of(rgs_order_store *st, long long id)
{
  rgs_order o;

  assert_int_equal(rgs_order_get(st, id, &o), RGS_ORDER_OK);
  return o.status;
}

/* An order whose holder's request, with the key of seed 1, is bound. */
static long long linked_order(rgs_order_store *st)
{
  rgs_order_input in = valid_input();
  long long id = create_ok(st, &in);

  assert_int_equal(link_with(st, id, "FRÉDÉRIC SENEZ", "bs auto", HOLDER_OU, 1), RGS_ORDER_OK);
  return id;
}

static void test_link_refuses_another_subject(void **state)
{
  fixture *f = *state;
  rgs_order_input in = valid_input();
  rgs_order_binding b;
  long long id = create_ok(f->st, &in);
  int found;

  assert_int_equal(link_with(f->st, id, "Jean Dupont", "BS AUTO", "0002 732829320", 1), RGS_ORDER_ERR_MISMATCH);
  assert_contains(rgs_order_store_last_error(f->st), "Jean Dupont");
  assert_int_equal(link_with(f->st, id, "FRÉDÉRIC SENEZ", "AUTRE SARL", "0002 732829320", 1), RGS_ORDER_ERR_MISMATCH);
  assert_int_equal(link_with(f->st, id, "FRÉDÉRIC SENEZ", "BS AUTO", "0002 552100554", 1), RGS_ORDER_ERR_MISMATCH);
  assert_int_equal(status_of(f->st, id), RGS_STATUS_ORDERED);
  assert_int_equal(rgs_order_binding_get(f->st, id, &b, &found), RGS_ORDER_OK);
  assert_false(found);
}

/* The holder's request: ordered -> key-generated -> csr-linked, the
 * binding stored and found by its key. */
static void test_link_binds_the_holders_request(void **state)
{
  fixture *f = *state;
  rgs_order_binding b;
  rgs_order_event *ev = NULL;
  unsigned char spki[32];
  long long id = linked_order(f->st), found_id;
  size_t n = 0;
  int found;

  assert_int_equal(status_of(f->st, id), RGS_STATUS_CSR_LINKED);
  assert_int_equal(rgs_order_history(f->st, id, &ev, &n), RGS_ORDER_OK);
  assert_int_equal(n, 4);
  assert_int_equal(ev[2].to, RGS_STATUS_KEY_GENERATED);
  assert_int_equal(ev[3].to, RGS_STATUS_CSR_LINKED);
  assert_contains(ev[3].note, "0101010101");
  free(ev);
  assert_int_equal(rgs_order_binding_get(f->st, id, &b, &found), RGS_ORDER_OK);
  assert_true(found);
  assert_string_equal(b.spki_sha256, "0101010101010101010101010101010101010101010101010101010101010101");
  assert_string_equal(b.token_serial, "c4c7aea519f1028e");
  assert_string_equal(b.token_model, "SoftHSM v2");
  assert_string_equal(b.key_uri, "pkcs11:token=t;object=k;type=private");
  assert_contains(b.csr_pem, "BEGIN CERTIFICATE REQUEST");
  rgs_order_binding_clear(&b);
  spki_of(spki, 1);
  assert_int_equal(rgs_order_find_by_spki(f->st, spki, &found_id), RGS_ORDER_OK);
  assert_int_equal(found_id, id);
  spki_of(spki, 9);
  assert_int_equal(rgs_order_find_by_spki(f->st, spki, &found_id), RGS_ORDER_OK);
  assert_int_equal(found_id, 0);
}

/* The same key for another order: refused, naming the order it is bound to. */
static void test_link_refuses_a_key_bound_elsewhere(void **state)
{
  fixture *f = *state;
  rgs_order_input in = valid_input();
  long long id = linked_order(f->st), other = create_ok(f->st, &in);
  char want[32];

  assert_int_equal(link_with(f->st, other, HOLDER_CN, HOLDER_O, HOLDER_OU, 1), RGS_ORDER_ERR_KEY_BOUND);
  snprintf(want, sizeof(want), "order %lld", id);
  assert_contains(rgs_order_store_last_error(f->st), want);
  assert_int_equal(status_of(f->st, other), RGS_STATUS_ORDERED);
}

/* A new key for an order replaces its binding, and frees the old key. */
static void test_link_new_key_replaces_the_binding(void **state)
{
  fixture *f = *state;
  rgs_order_input in = valid_input();
  rgs_order_binding b;
  long long id = linked_order(f->st), other = create_ok(f->st, &in);
  int found;

  assert_int_equal(link_with(f->st, id, HOLDER_CN, HOLDER_O, HOLDER_OU, 2), RGS_ORDER_OK);
  assert_int_equal(rgs_order_binding_get(f->st, id, &b, &found), RGS_ORDER_OK);
  assert_string_equal(b.spki_sha256, "0202020202020202020202020202020202020202020202020202020202020202");
  rgs_order_binding_clear(&b);
  assert_int_equal(link_with(f->st, other, HOLDER_CN, HOLDER_O, HOLDER_OU, 1), RGS_ORDER_OK);
}

/* Once submitted, the request can no longer change. */
static void test_link_refused_once_submitted(void **state)
{
  fixture *f = *state;
  long long id = linked_order(f->st);

  assert_int_equal(rgs_order_set_status(f->st, id, RGS_STATUS_SUBMITTED, NULL), RGS_ORDER_OK);
  assert_int_equal(link_with(f->st, id, HOLDER_CN, HOLDER_O, HOLDER_OU, 3), RGS_ORDER_ERR_TRANSITION);
  assert_contains(rgs_order_store_last_error(f->st), "submitted");
}

static void test_link_refused_for_a_draft(void **state)
{
  fixture *f = *state;
  rgs_order_input in = valid_input();
  long long draft;

  in.accept_cgu = 0;
  draft = create_ok(f->st, &in);
  assert_int_equal(link_with(f->st, draft, HOLDER_CN, HOLDER_O, HOLDER_OU, 4), RGS_ORDER_ERR_TRANSITION);
  assert_contains(rgs_order_store_last_error(f->st), "draft");
}

static void test_link_refused_for_no_order(void **state)
{
  fixture *f = *state;

  assert_int_equal(link_with(f->st, 999, HOLDER_CN, HOLDER_O, HOLDER_OU, 5), RGS_ORDER_ERR_NO_ORDER);
}

/* ---- appointment and documents ----------------------------------------------------------- */

static rgs_order_aed office(const char *id)
{
  rgs_order_aed a;

  memset(&a, 0, sizeof(a));
  snprintf(a.id, sizeof(a.id), "%s", id);
  snprintf(a.name, sizeof(a.name), "SELARL Acthemis");
  snprintf(a.address, sizeof(a.address), "29 Chemin de Séverin");
  snprintf(a.postal_code, sizeof(a.postal_code), "13200");
  snprintf(a.city, sizeof(a.city), "ARLES");
  snprintf(a.dept, sizeof(a.dept), "13");
  return a;
}

static void test_appointment(void **state)
{
  fixture *f = *state;
  rgs_order_input in = valid_input();
  rgs_order_aed a = office("acthemis-arles"), b = office("other-office");
  rgs_order_appointment ap;
  rgs_order o;
  long long draft, id;
  int found;

  in.accept_cgu = 0;
  draft = create_ok(f->st, &in);
  /* the office can be chosen on a draft (as on the portal), not booked */
  assert_int_equal(rgs_order_choose_aed(f->st, draft, &a), RGS_ORDER_OK);
  assert_int_equal(rgs_order_get(f->st, draft, &o), RGS_ORDER_OK);
  assert_string_equal(o.dept, "13");
  assert_int_equal(rgs_order_book(f->st, draft, NULL, "2026-12-03T10:00", RGS_F2F_HOLDER_TRAVELS, -1),
                   RGS_ORDER_ERR_TRANSITION);
  assert_contains(rgs_order_store_last_error(f->st), "draft");

  in.accept_cgu = 1;
  id = create_ok(f->st, &in);
  assert_int_equal(rgs_order_book(f->st, id, NULL, "2026-12-03T10:00", RGS_F2F_HOLDER_TRAVELS, -1),
                   RGS_ORDER_ERR_NO_AED);
  assert_int_equal(rgs_order_book(f->st, id, &a, "2026-12-03T25:00", RGS_F2F_HOLDER_TRAVELS, -1),
                   RGS_ORDER_ERR_DATE);
  assert_int_equal(rgs_order_book(f->st, id, &a, "2026-02-30T10:00", RGS_F2F_HOLDER_TRAVELS, -1),
                   RGS_ORDER_ERR_DATE);
  assert_int_equal(rgs_order_book(f->st, id, &a, "2026-12-03T10:00", RGS_F2F_AED_TRAVELS, -1),
                   RGS_ORDER_ERR_DISTANCE);
  assert_int_equal(rgs_order_appointment_get(f->st, id, &ap, &found), RGS_ORDER_OK);
  assert_false(found);
  assert_int_equal(rgs_order_book(f->st, id, &a, "2026-12-03 10:00", RGS_F2F_AED_TRAVELS, 25), RGS_ORDER_OK);
  assert_int_equal(rgs_order_appointment_get(f->st, id, &ap, &found), RGS_ORDER_OK);
  assert_true(found);
  assert_string_equal(ap.at, "2026-12-03T10:00");
  assert_string_equal(ap.aed.id, "acthemis-arles");
  assert_int_equal(ap.mode, RGS_F2F_AED_TRAVELS);
  assert_int_equal(ap.distance_km, 25);
  assert_true(ap.priced);
  assert_int_equal(ap.fee_ht_cents, 17000);
  /* beyond 30 km: no price */
  assert_int_equal(rgs_order_book(f->st, id, NULL, "2026-12-04T10:00", RGS_F2F_AED_TRAVELS, 45), RGS_ORDER_OK);
  assert_int_equal(rgs_order_appointment_get(f->st, id, &ap, &found), RGS_ORDER_OK);
  assert_false(ap.priced);
  assert_string_equal(ap.at, "2026-12-04T10:00");
  /* choosing the same office keeps the date, another one drops it */
  assert_int_equal(rgs_order_choose_aed(f->st, id, &a), RGS_ORDER_OK);
  assert_int_equal(rgs_order_appointment_get(f->st, id, &ap, &found), RGS_ORDER_OK);
  assert_string_equal(ap.at, "2026-12-04T10:00");
  assert_int_equal(rgs_order_choose_aed(f->st, id, &b), RGS_ORDER_OK);
  assert_int_equal(rgs_order_appointment_get(f->st, id, &ap, &found), RGS_ORDER_OK);
  assert_string_equal(ap.at, "");
  assert_string_equal(ap.aed.id, "other-office");
  /* an invalid office is refused */
  b.postal_code[0] = 'x';
  assert_int_equal(rgs_order_choose_aed(f->st, id, &b), RGS_ORDER_ERR_ARG);
  /* after the face-to-face: too late */
  assert_int_equal(rgs_order_set_status(f->st, id, RGS_STATUS_KEY_GENERATED, NULL), RGS_ORDER_OK);
  assert_int_equal(link_with(f->st, id, "Frédéric Senez", "BS AUTO", "0002 732829320", 7), RGS_ORDER_OK);
  assert_int_equal(rgs_order_set_status(f->st, id, RGS_STATUS_SUBMITTED, NULL), RGS_ORDER_OK);
  /* Declared, face-to-face-done is refused: only a verified record moves there. */
  assert_int_equal(rgs_order_set_status(f->st, id, RGS_STATUS_F2F_DONE, NULL),
                   RGS_ORDER_ERR_TRANSITION);
  assert_int_equal(f2f_done(f->st, id, 7), RGS_ORDER_OK);
  assert_int_equal(rgs_order_book(f->st, id, &a, "2026-12-05T10:00", RGS_F2F_HOLDER_TRAVELS, -1),
                   RGS_ORDER_ERR_TRANSITION);
}

static void set_doc(rgs_order_store *st, long long id, rgs_order_doc_kind kind, int state_set,
                    rgs_order_doc_state state, const char *issued, const char *expires,
                    rgs_order_rc want)
{
  rgs_order_doc_update u;
  rgs_order_rc rc;

  memset(&u, 0, sizeof(u));
  u.kind = kind;
  u.state_set = state_set;
  u.state = state;
  u.issued_on = issued;
  u.expires_on = expires;
  rc = rgs_order_doc_set(st, id, &u);
  if (rc != want)
    fail_msg("doc_set: expected %d, got %d (%s)", (int)want, (int)rc, rgs_order_store_last_error(st));
}

/* An order at face-to-face-done, its appointment on 2026-12-03. */
static long long order_after_f2f(fixture *f)
{
  rgs_order_input in = valid_input();
  rgs_order_aed a = office("acthemis-arles");
  long long id = create_ok(f->st, &in);
  static unsigned char seed = 100;

  assert_int_equal(rgs_order_book(f->st, id, &a, "2026-12-03T10:00", RGS_F2F_HOLDER_TRAVELS, -1), RGS_ORDER_OK);
  assert_int_equal(link_with(f->st, id, "Frédéric Senez", "BS AUTO", "0002 732829320", seed), RGS_ORDER_OK);
  assert_int_equal(rgs_order_set_status(f->st, id, RGS_STATUS_SUBMITTED, NULL), RGS_ORDER_OK);
  assert_int_equal(f2f_done(f->st, id, seed++), RGS_ORDER_OK);
  return id;
}

static void test_documents(void **state)
{
  fixture *f = *state;
  rgs_order_input in = valid_input();
  rgs_order_doc docs[RGS_DOC_COUNT];
  rgs_order o;
  long long id = create_ok(f->st, &in), id2;

  /* dates are checked, and kept for the right document only */
  set_doc(f->st, id, RGS_DOC_EXTRACT, 0, 0, "2026-02-30", NULL, RGS_ORDER_ERR_DATE);
  assert_contains(rgs_order_store_last_error(f->st), "2026-02-30");
  set_doc(f->st, id, RGS_DOC_EXTRACT, 0, 0, "2026-12-01", NULL, RGS_ORDER_ERR_DATE);
  assert_contains(rgs_order_store_last_error(f->st), "future");
  set_doc(f->st, id, RGS_DOC_ID, 0, 0, NULL, "31/05/2031", RGS_ORDER_ERR_DATE);
  set_doc(f->st, id, RGS_DOC_REQUEST_FORM, 0, 0, "2026-11-01", NULL, RGS_ORDER_ERR_ARG);
  set_doc(f->st, id, RGS_DOC_EXTRACT, 0, 0, NULL, "2031-05-02", RGS_ORDER_ERR_ARG);
  set_doc(f->st, id, RGS_DOC_EXTRACT, 0, 0, "2026-11-01", NULL, RGS_ORDER_OK);
  set_doc(f->st, id, RGS_DOC_ID, 0, 0, NULL, "2031-05-02", RGS_ORDER_OK);
  set_doc(f->st, id, RGS_DOC_REQUEST_FORM, 1, RGS_DOC_READY, NULL, NULL, RGS_ORDER_OK);
  set_doc(f->st, 999, RGS_DOC_REQUEST_FORM, 1, RGS_DOC_READY, NULL, NULL, RGS_ORDER_ERR_NO_ORDER);
  assert_int_equal(rgs_order_docs_get(f->st, id, docs), RGS_ORDER_OK);
  assert_int_equal(docs[RGS_DOC_EXTRACT].state, RGS_DOC_READY);
  assert_string_equal(docs[RGS_DOC_EXTRACT].issued_on, "2026-11-01");
  assert_int_equal(docs[RGS_DOC_ID].state, RGS_DOC_READY);
  assert_string_equal(docs[RGS_DOC_ID].expires_on, "2031-05-02");
  assert_int_equal(docs[RGS_DOC_REQUEST_FORM].state, RGS_DOC_READY);
  assert_int_equal(docs[RGS_DOC_INTERVENTION_FORM].state, RGS_DOC_MISSING);
  assert_int_equal(rgs_order_docs_plan(f->st, id, "2027-02-10"), RGS_ORDER_OK);
  assert_int_equal(rgs_order_docs_plan(f->st, id, "2027-02-31"), RGS_ORDER_ERR_DATE);
  assert_int_equal(rgs_order_get(f->st, id, &o), RGS_ORDER_OK);
  assert_string_equal(o.planned_sending, "2027-02-10");
  /* the status does not refuse a sending (papers follow their own course);
   * the request form still missing does */
  assert_int_equal(rgs_order_docs_sent(f->st, id, "2026-11-24"), RGS_ORDER_ERR_DOCUMENTS);
  assert_contains(rgs_order_store_last_error(f->st), "missing");

  id2 = order_after_f2f(f);
  rgs_order_store_set_now(f->st, NOW + 20 * 86400);   /* 2026-12-14 */
  /* missing documents block */
  assert_int_equal(rgs_order_docs_sent(f->st, id2, "2026-12-05"), RGS_ORDER_ERR_DOCUMENTS);
  assert_contains(rgs_order_store_last_error(f->st), "missing");
  set_doc(f->st, id2, RGS_DOC_REQUEST_FORM, 1, RGS_DOC_READY, NULL, NULL, RGS_ORDER_OK);
  set_doc(f->st, id2, RGS_DOC_INTERVENTION_FORM, 1, RGS_DOC_READY, NULL, NULL, RGS_ORDER_OK);
  set_doc(f->st, id2, RGS_DOC_ID, 0, 0, NULL, "2026-12-02", RGS_ORDER_OK);
  set_doc(f->st, id2, RGS_DOC_EXTRACT, 0, 0, "2026-11-01", NULL, RGS_ORDER_OK);
  /* an ID that expired before the face-to-face blocks */
  assert_int_equal(rgs_order_docs_sent(f->st, id2, "2026-12-05"), RGS_ORDER_ERR_DOCUMENTS);
  assert_contains(rgs_order_store_last_error(f->st), "2026-12-03");
  set_doc(f->st, id2, RGS_DOC_ID, 0, 0, NULL, "2031-05-02", RGS_ORDER_OK);
  set_doc(f->st, id2, RGS_DOC_EXTRACT, 0, 0, "2026-09-01", NULL, RGS_ORDER_OK);
  /* an extract of 2026-09-01 is good until 2026-11-30: too old on 12-05 */
  assert_int_equal(rgs_order_docs_sent(f->st, id2, "2026-12-05"), RGS_ORDER_ERR_DOCUMENTS);
  assert_contains(rgs_order_store_last_error(f->st), "2026-11-30");
  set_doc(f->st, id2, RGS_DOC_EXTRACT, 0, 0, "2026-11-01", NULL, RGS_ORDER_OK);
  /* not before the face-to-face day, not in the future, a real day */
  assert_int_equal(rgs_order_docs_sent(f->st, id2, "2026-12-02"), RGS_ORDER_ERR_DOCUMENTS);
  assert_int_equal(rgs_order_docs_sent(f->st, id2, "2026-12-20"), RGS_ORDER_ERR_DATE);
  assert_int_equal(rgs_order_docs_sent(f->st, id2, "2026-12-32"), RGS_ORDER_ERR_DATE);
  assert_int_equal(rgs_order_docs_sent(f->st, id2, "2026-12-05"), RGS_ORDER_OK);
  assert_int_equal(rgs_order_get(f->st, id2, &o), RGS_ORDER_OK);
  assert_int_equal(o.status, RGS_STATUS_DOCS_SENT);
  assert_int_equal(rgs_order_docs_get(f->st, id2, docs), RGS_ORDER_OK);
  assert_int_equal(docs[RGS_DOC_EXTRACT].state, RGS_DOC_SENT);
  assert_string_equal(docs[RGS_DOC_EXTRACT].sent_on, "2026-12-05");
  /* twice (a paper posted again): recorded, the status stays */
  assert_int_equal(rgs_order_docs_sent(f->st, id2, "2026-12-06"), RGS_ORDER_OK);
  assert_int_equal(rgs_order_get(f->st, id2, &o), RGS_ORDER_OK);
  assert_int_equal(o.status, RGS_STATUS_DOCS_SENT);
  set_doc(f->st, id2, RGS_DOC_EXTRACT, 1, RGS_DOC_ACCEPTED, NULL, NULL, RGS_ORDER_OK);
  rgs_order_store_set_now(f->st, NOW);
}

/* ---- AED directory in the store ------------------------------------------------------------ */

static void test_aed_import(void **state)
{
  fixture *f = *state;
  static const char first[] = "id,name,address,postal_code,city,department\n"
                              "lyon-1,Étude Lyon,1 rue,69001,LYON,69\n";
  static const char second[] = "id,name,address,postal_code,city,department\n"
                               "nice-1,Étude Nice,1 rue,06000,NICE,06\n";
  char shipped[600], err[256];
  rgs_order_aed_dir *in = NULL, *dir = NULL;
  const char *src = getenv("RGS_SOURCE_DIR");

  if (src == NULL)
    skip();
  snprintf(shipped, sizeof(shipped), "%s/data/aed/offices.csv", src);
  assert_int_equal(rgs_order_aed_directory(f->st, shipped, &dir), RGS_ORDER_OK);
  assert_int_equal(rgs_order_aed_dir_count(dir), 6);
  rgs_order_aed_dir_free(dir);
  dir = NULL;
  /* extend */
  assert_int_equal(rgs_order_aed_dir_load_mem(&in, "first.csv", first, strlen(first), err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_aed_import(f->st, in, 0), RGS_ORDER_OK);
  rgs_order_aed_dir_free(in);
  in = NULL;
  assert_int_equal(rgs_order_aed_directory(f->st, shipped, &dir), RGS_ORDER_OK);
  assert_int_equal(rgs_order_aed_dir_count(dir), 7);
  assert_string_equal(rgs_order_aed_dir_find(dir, "lyon-1")->source, "first.csv:2");
  rgs_order_aed_dir_free(dir);
  dir = NULL;
  /* replace: the shipped file and earlier imports are gone */
  assert_int_equal(rgs_order_aed_dir_load_mem(&in, "second.csv", second, strlen(second), err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_aed_import(f->st, in, 1), RGS_ORDER_OK);
  rgs_order_aed_dir_free(in);
  assert_int_equal(rgs_order_aed_directory(f->st, shipped, &dir), RGS_ORDER_OK);
  assert_int_equal(rgs_order_aed_dir_count(dir), 1);
  assert_non_null(rgs_order_aed_dir_find(dir, "nice-1"));
  assert_string_equal(rgs_order_aed_dir_find(dir, "nice-1")->dept, "06");
  rgs_order_aed_dir_free(dir);
}

/* ---- transactions and lists ------------------------------------------------------------------ */

static void test_transactions(void **state)
{
  fixture *f = *state;
  rgs_order_input in = valid_input();
  rgs_order_input bad = valid_input();
  long long id;

  bad.company_id = "1";
  assert_int_equal(rgs_order_store_begin(f->st), RGS_ORDER_OK);
  create_ok(f->st, &in);
  create_ok(f->st, &in);
  rgs_order_store_rollback(f->st);
  assert_int_equal(count_orders(f->st, NULL), 0);
  /* a failed step inside keeps the others */
  assert_int_equal(rgs_order_store_begin(f->st), RGS_ORDER_OK);
  create_ok(f->st, &in);
  assert_int_equal(rgs_order_create(f->st, &bad, &id), RGS_ORDER_ERR_SIREN);
  create_ok(f->st, &in);
  assert_int_equal(rgs_order_store_commit(f->st), RGS_ORDER_OK);
  assert_int_equal(count_orders(f->st, NULL), 2);
  assert_int_equal(count_rows(f->path, "documents"), 8);
  /* nested begin/commit */
  assert_int_equal(rgs_order_store_begin(f->st), RGS_ORDER_OK);
  assert_int_equal(rgs_order_store_begin(f->st), RGS_ORDER_OK);
  create_ok(f->st, &in);
  assert_int_equal(rgs_order_store_commit(f->st), RGS_ORDER_OK);
  assert_int_equal(rgs_order_store_commit(f->st), RGS_ORDER_OK);
  assert_int_equal(count_orders(f->st, NULL), 3);
  assert_int_equal(rgs_order_store_commit(f->st), RGS_ORDER_ERR_ARG);
  rgs_order_store_rollback(f->st);   /* nothing open: no effect */
}

static int stop_after_two(void *ud, const rgs_order *o)
{
  (void)o;
  return ++(*(int *)ud) >= 2;
}

static void test_list_filters(void **state)
{
  fixture *f = *state;
  rgs_order_input in = valid_input();
  rgs_order_filter flt;
  size_t count = 0;
  int i, seen = 0;
  long long id;

  for (i = 0; i < 5; i++) {
    in.dept = i < 3 ? "13" : "69";
    in.company_id = i == 4 ? "552100554" : "732829320";
    id = create_ok(f->st, &in);
  }
  assert_int_equal(rgs_order_set_status(f->st, id, RGS_STATUS_CANCELLED, NULL), RGS_ORDER_OK);
  memset(&flt, 0, sizeof(flt));
  assert_int_equal(count_orders(f->st, &flt), 5);
  flt.dept = "13";
  assert_int_equal(count_orders(f->st, &flt), 3);
  flt.dept = "69";
  flt.open_only = 1;
  assert_int_equal(count_orders(f->st, &flt), 1);
  memset(&flt, 0, sizeof(flt));
  flt.status_set = 1;
  flt.status = RGS_STATUS_CANCELLED;
  assert_int_equal(count_orders(f->st, &flt), 1);
  memset(&flt, 0, sizeof(flt));
  flt.siren = "552100554";
  assert_int_equal(count_orders(f->st, &flt), 1);
  memset(&flt, 0, sizeof(flt));
  flt.limit = 2;
  assert_int_equal(count_orders(f->st, &flt), 2);
  assert_int_equal(rgs_order_list(f->st, NULL, stop_after_two, &seen, &count), RGS_ORDER_OK);
  assert_int_equal(seen, 2);
  assert_int_equal(count, 2);
  assert_int_equal(rgs_order_list(f->st, NULL, NULL, NULL, NULL), RGS_ORDER_ERR_ARG);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_create_with_modes),
    cmocka_unit_test(test_open_existing_missing),
    cmocka_unit_test(test_refuse_foreign_files),
    cmocka_unit_test(test_migrate_and_newer),
    cmocka_unit_test_setup_teardown(test_create_and_get, setup, teardown),
    cmocka_unit_test_setup_teardown(test_draft_without_cgu_or_payment, setup, teardown),
    cmocka_unit_test_setup_teardown(test_create_bad_values, setup, teardown),
    cmocka_unit_test_setup_teardown(test_update_fields, setup, teardown),
    cmocka_unit_test_setup_teardown(test_status_steps, setup, teardown),
    cmocka_unit_test_setup_teardown(test_link_refuses_another_subject, setup, teardown),
    cmocka_unit_test_setup_teardown(test_link_binds_the_holders_request, setup, teardown),
    cmocka_unit_test_setup_teardown(test_link_refuses_a_key_bound_elsewhere, setup, teardown),
    cmocka_unit_test_setup_teardown(test_link_new_key_replaces_the_binding, setup, teardown),
    cmocka_unit_test_setup_teardown(test_link_refused_once_submitted, setup, teardown),
    cmocka_unit_test_setup_teardown(test_link_refused_for_a_draft, setup, teardown),
    cmocka_unit_test_setup_teardown(test_link_refused_for_no_order, setup, teardown),
    cmocka_unit_test_setup_teardown(test_appointment, setup, teardown),
    cmocka_unit_test_setup_teardown(test_documents, setup, teardown),
    cmocka_unit_test_setup_teardown(test_aed_import, setup, teardown),
    cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
    cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
