/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_order_crash.c - the store under failure and contention:
 *  - a process killed (SIGKILL) inside a write transaction loses nothing
 *    committed before and leaves no half order (the real binary, paused in
 *    its transaction by RGS_ORDER_TEST_PAUSE_IN_TXN, for order new, order
 *    set, order link and aed import);
 *  - a writer loop killed at random moments: every order it reported as
 *    committed is there and whole, and the database checks out;
 *  - two writers at once: the second waits for the first, both succeed;
 *    two loops writing at once, and two processes creating the store at
 *    once, all succeed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include <cmocka.h>

#include "rgs_order.h"
#include "rgs_test.h"

extern char **environ;

#define PAUSE_MARK "test pause in transaction"

static const char *const new_args[] = {
  "order", "new", "--partner", "cma", "--holder-first-name", "Frédéric",
  "--holder-last-name", "Senez", "--email", "f.senez@example.fr", "--company", "BS AUTO",
  "--siren", "732829320", "--payment", "virement", "--accept-cgu", NULL,
};

static double now_s(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run `rgs-enroll --db db ARGS` in the background; its stderr on *errfd. */
static pid_t spawn(const char *db, const char *const *args, const char *pause_s, int *errfd)
{
  const char *argv[64];
  int p[2];
  size_t n = 0, i;
  pid_t pid;

  argv[n++] = rgs_env("RGS_ENROLL_BIN");
  argv[n++] = "--db";
  argv[n++] = db;
  for (i = 0; args[i] != NULL && n < 63; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  assert_int_equal(pipe(p), 0);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(p[1], 2);
    close(p[0]);
    if (pause_s != NULL)
      setenv("RGS_ORDER_TEST_PAUSE_IN_TXN", pause_s, 1);
    else
      unsetenv("RGS_ORDER_TEST_PAUSE_IN_TXN");
    execve(argv[0], (char *const *)argv, environ);
    _exit(127);
  }
  close(p[1]);
  *errfd = p[0];
  return pid;
}

/* Read fd until `mark` shows up (1) or the process ends / 30 s pass (0). */
static int wait_for_mark(int fd, const char *mark)
{
  char buf[4096];
  size_t len = 0;
  double end = now_s() + 30;
  struct pollfd pf = { fd, POLLIN, 0 };

  buf[0] = '\0';
  while (now_s() < end) {
    ssize_t r;
    if (poll(&pf, 1, 200) <= 0)
      continue;
    r = read(fd, buf + len, sizeof(buf) - 1 - len);
    if (r <= 0)
      return 0;
    len += (size_t)r;
    buf[len] = '\0';
    if (strstr(buf, mark) != NULL)
      return 1;
    if (len >= sizeof(buf) - 1)
      len = 0;
  }
  return 0;
}

static int wait_status(pid_t pid)
{
  int st = 0;

  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void run_ok(const char *db, const char *const *args)
{
  const char *argv[64];
  rgs_run_result r;
  size_t n = 0, i;

  argv[n++] = "--db";
  argv[n++] = db;
  for (i = 0; args[i] != NULL; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  assert_int_equal(rgs_enroll_v(&r, NULL, NULL, argv), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
}

static char *show_json(const char *db, const char *id)
{
  rgs_run_result r;
  char *out;

  assert_int_equal(rgs_enroll(&r, NULL, NULL, "--db", db, "--json", "order", "show", id, NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  out = r.out;
  r.out = NULL;
  rgs_run_free(&r);
  return out;
}

/* The invariants of a sound store, straight from SQLite: integrity, no
 * orphan rows, every order whole. Returns the number of orders. */
static int check_whole(const char *db_path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  static const char *const zero[] = {
    "SELECT count(*) FROM documents WHERE order_id NOT IN (SELECT id FROM orders)",
    "SELECT count(*) FROM history WHERE order_id NOT IN (SELECT id FROM orders)",
    "SELECT count(*) FROM orders o WHERE (SELECT count(*) FROM documents d WHERE d.order_id = o.id) != 4",
    "SELECT count(*) FROM orders o WHERE (SELECT count(*) FROM history h WHERE h.order_id = o.id) < 1",
    "SELECT count(*) FROM orders o WHERE o.status != (SELECT to_status FROM history h "
    "  WHERE h.order_id = o.id ORDER BY h.id DESC LIMIT 1)",
    "SELECT count(*) FROM binding WHERE order_id NOT IN (SELECT id FROM orders)",
    "SELECT count(*) FROM orders WHERE status = 'csr-linked' AND id NOT IN (SELECT order_id FROM binding)",
  };
  size_t i;
  int n = -1;

  assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
  sqlite3_finalize(st);
  for (i = 0; i < sizeof(zero) / sizeof(zero[0]); i++) {
    assert_int_equal(sqlite3_prepare_v2(db, zero[i], -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    if (sqlite3_column_int(st, 0) != 0)
      fail_msg("%d rows for: %s", sqlite3_column_int(st, 0), zero[i]);
    sqlite3_finalize(st);
  }
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM orders", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  n = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

/* Kill `args` inside its transaction; the store must be as before. */
static void kill_inside(const char *db, const char *const *args, int orders_before,
                        char *const *snapshots)
{
  int errfd, i;
  char id[16], *now;
  pid_t pid = spawn(db, args, "30", &errfd);

  if (!wait_for_mark(errfd, PAUSE_MARK)) {
    kill(pid, SIGKILL);
    wait_status(pid);
    fail_msg("the command never reached its transaction: %s %s", args[0], args[1]);
  }
  assert_int_equal(kill(pid, SIGKILL), 0);
  assert_int_equal(wait_status(pid), 128 + SIGKILL);
  close(errfd);
  assert_int_equal(check_whole(db), orders_before);
  for (i = 0; i < orders_before; i++) {
    snprintf(id, sizeof(id), "%d", i + 1);
    now = show_json(db, id);
    assert_string_equal(now, snapshots[i]);
    free(now);
  }
}

static void test_kill_in_transaction(void **state)
{
  char *dir = rgs_tmpdir(), db[512], csv[512], id[16];
  char *snap[3];
  static const char *const set_args[] = { "order", "set", "1", "--ca-ref", "CMD-1", "--status",
                                          "key-generated", NULL };
  static const char *const cancel_args[] = { "order", "cancel", "2", NULL };
  const char *import_args[] = { "aed", "import", csv, "--replace", NULL };
  FILE *f;
  int i;

  (void)state;
  snprintf(db, sizeof(db), "%s/orders.db", dir);
  snprintf(csv, sizeof(csv), "%s/aed.csv", dir);
  f = fopen(csv, "w");
  fprintf(f, "id,name,address,postal_code,city,department\n");
  for (i = 0; i < 200; i++)
    fprintf(f, "office-%d,Étude %d,%d rue,13001,MARSEILLE,13\n", i, i, i);
  fclose(f);
  for (i = 0; i < 3; i++)
    run_ok(db, new_args);
  for (i = 0; i < 3; i++) {
    snprintf(id, sizeof(id), "%d", i + 1);
    snap[i] = show_json(db, id);
  }
  kill_inside(db, new_args, 3, snap);
  kill_inside(db, set_args, 3, snap);
  kill_inside(db, cancel_args, 3, snap);
  kill_inside(db, import_args, 3, snap);
  {
    rgs_run_result r;
    assert_int_equal(rgs_enroll(&r, NULL, NULL, "--db", db, "--json", "aed", "list", NULL), 0);
    rgs_assert_status(&r, RGS_EXIT_OK);
    /* the shipped six, not the 200 of the killed import */
    char *count = rgs_json_get(r.out, "count");
    assert_non_null(count);
    assert_string_equal(count, "6");
    free(count);
    rgs_run_free(&r);
  }
  /* and the store goes on working */
  run_ok(db, new_args);
  assert_int_equal(check_whole(db), 4);
  for (i = 0; i < 3; i++)
    free(snap[i]);
  rgs_rmrf(dir);
  free(dir);
}

/* The child: create orders one by one, report each committed id. */
static void writer_loop(const char *db, int fd)
{
  rgs_order_store *st = NULL;
  rgs_order_input in;
  long long id;
  char err[512];

  memset(&in, 0, sizeof(in));
  in.partner = "CMA";
  in.first_name = "Frédéric";
  in.last_name = "Senez";
  in.email = "f.senez@example.fr";
  in.company = "BS AUTO";
  in.company_id = "732829320";
  in.payment = RGS_PAY_CARTE;
  in.accept_cgu = 1;
  in.dept = "13";
  if (rgs_order_store_open(db, &st, err, sizeof(err)) != RGS_ORDER_OK)
    _exit(3);
  for (;;) {
    if (rgs_order_create(st, &in, &id) != RGS_ORDER_OK)
      _exit(4);
    if (write(fd, &id, sizeof(id)) != (ssize_t)sizeof(id))
      _exit(5);
  }
}

static int has_order(sqlite3 *db, long long id)
{
  sqlite3_stmt *st = NULL;
  int found;

  assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM orders WHERE id = ? AND status = 'ordered'",
                                      -1, &st, NULL), SQLITE_OK);
  sqlite3_bind_int64(st, 1, id);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  found = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return found;
}

static void test_kill_writer_at_random(void **state)
{
  char *dir = rgs_tmpdir(), db_path[512];
  long long ids[100000];
  size_t n_ids = 0, i;
  int round, p[2], total = 0;
  sqlite3 *db = NULL;
  pid_t pid;

  (void)state;
  snprintf(db_path, sizeof(db_path), "%s/orders.db", dir);
  srand((unsigned)time(NULL));
  for (round = 0; round < 12; round++) {
    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      close(p[0]);
      writer_loop(db_path, p[1]);
    }
    close(p[1]);
    usleep((useconds_t)(20000 + rand() % 120000));
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(wait_status(pid), 128 + SIGKILL);
    for (;;) {
      long long id;
      ssize_t r = read(p[0], &id, sizeof(id));
      if (r != (ssize_t)sizeof(id))
        break;
      if (n_ids < sizeof(ids) / sizeof(ids[0]))
        ids[n_ids++] = id;
    }
    close(p[0]);
    /* Killed before the store even existed (a loaded machine): then nothing
     * may have been reported committed. */
    if (access(db_path, F_OK) != 0) {
      assert_int_equal(n_ids, 0);
      continue;
    }
    total = check_whole(db_path);
    assert_true((size_t)total >= n_ids);
  }
  print_message("%zu orders reported committed in 12 killed runs, %d in the store\n", n_ids, total);
  assert_true(n_ids > 0);
  assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  for (i = 0; i < n_ids; i++)
    if (!has_order(db, ids[i]))
      fail_msg("order %lld was committed and is gone", ids[i]);
  sqlite3_close(db);
  rgs_rmrf(dir);
  free(dir);
}

static void test_two_writers_one_waits(void **state)
{
  char *dir = rgs_tmpdir(), db[512];
  int errfd_a, errfd_b, st_a, st_b;
  double t0, waited;
  pid_t a, b;

  (void)state;
  snprintf(db, sizeof(db), "%s/orders.db", dir);
  run_ok(db, new_args);
  /* A holds the write lock for 2 s inside its transaction */
  a = spawn(db, new_args, "2", &errfd_a);
  assert_true(wait_for_mark(errfd_a, PAUSE_MARK));
  t0 = now_s();
  b = spawn(db, new_args, NULL, &errfd_b);
  st_b = wait_status(b);
  waited = now_s() - t0;
  st_a = wait_status(a);
  close(errfd_a);
  close(errfd_b);
  assert_int_equal(st_a, 0);
  assert_int_equal(st_b, 0);
  print_message("the second writer waited %.2f s\n", waited);
  assert_true(waited > 0.5);
  assert_int_equal(check_whole(db), 3);
  rgs_rmrf(dir);
  free(dir);
}

/* n processes, each running `count` order new; all from a missing store. */
static void test_writers_at_once(void **state)
{
  char *dir = rgs_tmpdir(), db[512];
  pid_t pids[4];
  int i, k;

  (void)state;
  snprintf(db, sizeof(db), "%s/new/orders.db", dir);
  for (i = 0; i < 4; i++) {
    pids[i] = fork();
    assert_true(pids[i] >= 0);
    if (pids[i] == 0) {
      int failures = 0;
      for (k = 0; k < 15; k++) {
        rgs_run_result r;
        const char *argv[32];
        size_t n = 0, j;
        argv[n++] = "--db";
        argv[n++] = db;
        for (j = 0; new_args[j] != NULL; j++)
          argv[n++] = new_args[j];
        argv[n] = NULL;
        if (rgs_enroll_v(&r, NULL, NULL, argv) != 0 || r.status != RGS_EXIT_OK) {
          fprintf(stderr, "writer %d: exit %d: %s\n", i, r.status, r.err);
          failures++;
        }
        rgs_run_free(&r);
      }
      _exit(failures);
    }
  }
  for (i = 0; i < 4; i++)
    assert_int_equal(wait_status(pids[i]), 0);
  assert_int_equal(check_whole(db), 60);
  rgs_rmrf(dir);
  free(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_kill_in_transaction),
    cmocka_unit_test(test_kill_writer_at_random),
    cmocka_unit_test(test_two_writers_one_waits),
    cmocka_unit_test(test_writers_at_once),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
