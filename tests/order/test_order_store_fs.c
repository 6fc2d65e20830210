/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_order_store_fs.c - the store when the file system says no (issue 9,
 * items 14 and 15): the commands that only read work on a read-only file,
 * directory or file system; a refusal names its cause (symbolic link,
 * permission denied, read-only file system, missing directory); the
 * read-only open of the library never creates, migrates or writes; and
 * `aed import` under a file size limit (ulimit -f) says so, exits 6 and
 * leaves the store as it was, instead of dying of SIGXFSZ.
 *
 * The commands run in a child made here (not rgs_run) so that it can drop
 * root (permissions do not bind root), set RLIMIT_FSIZE or mount a
 * read-only file system before exec.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>
#include <cmocka.h>

#include "rgs_order.h"
#include "rgs_test.h"

#define NOBODY 65534
#define EXIT_NO_NAMESPACE 77

typedef struct {
  char *dir;
  char sub[600];            /* the store's directory */
  char db[700];
  char data[600];           /* a copy of the data nobody may read */
} fixture;

typedef struct {
  int as_other;             /* drop root, so that permissions bind */
  long fsize;               /* RLIMIT_FSIZE in bytes, 0: none */
  const char *rofs;         /* mount a read-only copy of sub here */
  const fixture *f;
} spawn;

/* The AED directory shipped, copied where nobody can read it: the build
 * tree may sit in a directory only root may enter (a mktemp -d clone). */
static int copy_data(fixture *f)
{
  char src[4096], dst[700];
  char *text;
  size_t len = 0;
  int rc;

  snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
  snprintf(dst, sizeof(dst), "%s/aed", f->data);
  if (mkdir(f->data, 0755) != 0 || mkdir(dst, 0755) != 0)
    return -1;
  snprintf(src, sizeof(src), "%s/data/aed/offices.csv", rgs_env("RGS_SOURCE_DIR"));
  snprintf(dst, sizeof(dst), "%s/aed/offices.csv", f->data);
  text = rgs_read_file(src, &len);
  if (text == NULL)
    return -1;
  rc = rgs_write_file(dst, text);
  free(text);
  return rc != 0 || chmod(dst, 0644) != 0 ? -1 : 0;
}

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));
  rgs_order_store *st = NULL;
  rgs_order_input in;
  char err[512];
  long long id = 0;

  f->dir = rgs_tmpdir();
  /* Others must reach the store's directory when root drops to nobody. */
  chmod(f->dir, 0755);
  if (copy_data(f) != 0)
    return -1;
  snprintf(f->sub, sizeof(f->sub), "%s/store", f->dir);
  snprintf(f->db, sizeof(f->db), "%s/orders.db", f->sub);
  if (rgs_order_store_open(f->db, &st, err, sizeof(err)) != RGS_ORDER_OK) {
    print_error("open: %s\n", err);
    return -1;
  }
  memset(&in, 0, sizeof(in));
  in.partner = "cma";
  in.first_name = "Frédéric";
  in.last_name = "Senez";
  in.email = "f.senez@example.fr";
  in.company = "BS AUTO";
  in.company_id = "732829320";
  if (rgs_order_create(st, &in, &id) != RGS_ORDER_OK || id != 1) {
    print_error("create: %s\n", rgs_order_store_last_error(st));
    return -1;
  }
  rgs_order_store_close(st);
  *state = f;
  return 0;
}

/* Give the store back to us so that it can be removed. */
static int teardown(void **state)
{
  fixture *f = *state;

  chmod(f->sub, 0700);
  chmod(f->db, 0600);
  rgs_rmrf(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

/* Owner nobody when we are root: then modes bind the commands run. */
static void give_to_other(const fixture *f)
{
  char path[800];
  const char *suffix[] = { "", "-wal", "-shm" };
  size_t i;

  if (geteuid() != 0)
    return;
  assert_int_equal(chown(f->sub, NOBODY, NOBODY), 0);
  for (i = 0; i < 3; i++) {
    snprintf(path, sizeof(path), "%s%s", f->db, suffix[i]);
    if (chown(path, NOBODY, NOBODY) != 0)
      assert_int_equal(errno, ENOENT);
  }
}

static int copy_file(const char *from, const char *to)
{
  char buf[65536];
  ssize_t n;
  int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600), rc = 0;

  if (in < 0 || out < 0)
    rc = -1;
  while (rc == 0 && (n = read(in, buf, sizeof(buf))) > 0)
    if (write(out, buf, (size_t)n) != n)
      rc = -1;
  if (in >= 0)
    close(in);
  if (out >= 0)
    close(out);
  return rc;
}

/* In the child: a private mount namespace where sp->rofs is a read-only
 * tmpfs holding a copy of the store. */
static void mount_readonly_copy(const spawn *sp)
{
  char to[800];

  if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
      mount("tmpfs", sp->rofs, "tmpfs", 0, "mode=0755") != 0)
    _exit(EXIT_NO_NAMESPACE);
  snprintf(to, sizeof(to), "%s/orders.db", sp->rofs);
  if (copy_file(sp->f->db, to) != 0 ||
      mount(NULL, sp->rofs, NULL, MS_REMOUNT | MS_RDONLY, NULL) != 0)
    _exit(EXIT_NO_NAMESPACE);
}

static void child(const spawn *sp, const char *const *argv, const char *out, const char *err)
{
  struct rlimit rl;
  int fd_out = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int fd_err = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int fd_in = open("/dev/null", O_RDONLY);
  int exe;

  /* The default disposition, whatever ours: rgs-enroll must set its own. */
  signal(SIGXFSZ, SIG_DFL);
  setsid();
  if (fd_out < 0 || fd_err < 0 || fd_in < 0)
    _exit(126);
  dup2(fd_in, 0);
  dup2(fd_out, 1);
  dup2(fd_err, 2);
  if (sp->rofs != NULL)
    mount_readonly_copy(sp);
  if (sp->fsize > 0) {
    rl.rlim_cur = rl.rlim_max = (rlim_t)sp->fsize;
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
      _exit(126);
  }
  /* Opened before privileges are dropped: the build tree may sit in a
   * directory only root may enter (a mktemp -d clone), and what is tested
   * is the store's permissions, not the binary's path. */
  exe = open(argv[0], O_RDONLY | O_CLOEXEC);
  if (exe < 0)
    _exit(127);
  if (sp->as_other && geteuid() == 0 &&
      (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0))
    _exit(126);
  if (sp->as_other)
    setenv("RGS_ENROLL_DATADIR", sp->f->data, 1);
  setenv("RGS_ENROLL_NOW", "2026-11-24", 1);
  setenv("LC_ALL", "C.UTF-8", 1);
  setenv("LANGUAGE", "en", 1);
  fexecve(exe, (char *const *)argv, environ);
  fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

/* rgs-enroll --db DB ARGS... NULL in a child set up as sp says. */
static void run(rgs_run_result *r, const spawn *sp, const char *db, ...)
{
  const char *argv[32];
  char out[700], err[700];
  size_t n = 0;
  va_list ap;
  pid_t pid;
  int status = 0;

  argv[n++] = rgs_env("RGS_ENROLL_BIN");
  argv[n++] = "--db";
  argv[n++] = db;
  va_start(ap, db);
  while (n < 31 && (argv[n] = va_arg(ap, const char *)) != NULL)
    n++;
  va_end(ap);
  argv[n] = NULL;
  snprintf(out, sizeof(out), "%s/out", sp->f->dir);
  snprintf(err, sizeof(err), "%s/err", sp->f->dir);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0)
    child(sp, argv, out, err);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  memset(r, 0, sizeof(*r));
  r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r->out = rgs_read_file(out, NULL);
  r->err = rgs_read_file(err, NULL);
  assert_non_null(r->out);
  assert_non_null(r->err);
  if (r->status == 126 || r->status == 127)
    fail_msg("the command could not be started (exit %d): %s", r->status, r->err);
}

/* Every pure reader works and says what the store holds. */
static void readers_work(const spawn *sp, const char *db)
{
  rgs_run_result r;

  run(&r, sp, db, "order", "list", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "SENEZ");
  rgs_run_free(&r);
  run(&r, sp, db, "status", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Order 1");
  rgs_run_free(&r);
  run(&r, sp, db, "status", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  run(&r, sp, db, "--json", "order", "show", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "\"Senez\"");
  rgs_run_free(&r);
  run(&r, sp, db, "aed", "list", "--dept", "13", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "acthemis-arles");
  rgs_run_free(&r);
  run(&r, sp, db, "aed", "list", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
}

/* A writer is refused with the cause, and the order did not change. */
static void writer_refused(const spawn *sp, const char *db, const char *cause)
{
  rgs_run_result r;

  run(&r, sp, db, "order", "cancel", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_STORE);
  assert_contains(r.err, cause);
  rgs_run_free(&r);
  run(&r, sp, db, "--json", "order", "show", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "\"draft\"");
  rgs_run_free(&r);
}

/* ---- item 14: read-only file, directory, file system; symbolic link ------------ */

static void test_readonly_directory(void **state)
{
  fixture *f = *state;
  spawn sp = { 1, 0, NULL, f };

  give_to_other(f);
  assert_int_equal(chmod(f->sub, 0555), 0);
  readers_work(&sp, f->db);
  writer_refused(&sp, f->db, "permission denied on the directory");
}

static void test_readonly_file(void **state)
{
  fixture *f = *state;
  spawn sp = { 1, 0, NULL, f };

  give_to_other(f);
  assert_int_equal(chmod(f->db, 0444), 0);
  readers_work(&sp, f->db);
  writer_refused(&sp, f->db, "permission denied: this user may not write the order store");
}

static void test_unreadable_file(void **state)
{
  fixture *f = *state;
  spawn sp = { 1, 0, NULL, f };
  rgs_run_result r;

  give_to_other(f);
  assert_int_equal(chmod(f->db, 0), 0);
  run(&r, &sp, f->db, "order", "list", NULL);
  rgs_assert_status(&r, RGS_EXIT_STORE);
  assert_contains(r.err, "permission denied: this user may not read the order store");
  rgs_run_free(&r);
}

static void test_readonly_file_system(void **state)
{
  fixture *f = *state;
  char mnt[700], db[800];
  spawn sp = { 0, 0, mnt, f };
  rgs_run_result r;

  snprintf(mnt, sizeof(mnt), "%s/mnt", f->dir);
  snprintf(db, sizeof(db), "%s/orders.db", mnt);
  assert_int_equal(mkdir(mnt, 0755), 0);
  run(&r, &sp, db, "order", "list", NULL);
  if (r.status == EXIT_NO_NAMESPACE) {
    rgs_run_free(&r);
    skip();    /* no mount namespace here (needs CAP_SYS_ADMIN) */
  }
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "SENEZ");
  rgs_run_free(&r);
  readers_work(&sp, db);
  run(&r, &sp, db, "order", "cancel", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_STORE);
  assert_contains(r.err, "read-only file system");
  rgs_run_free(&r);
}

static void test_symbolic_link(void **state)
{
  fixture *f = *state;
  spawn sp = { 0, 0, NULL, f };
  char link[700];
  rgs_run_result r;

  snprintf(link, sizeof(link), "%s/link.db", f->dir);
  assert_int_equal(symlink(f->db, link), 0);
  run(&r, &sp, link, "order", "list", NULL);
  rgs_assert_status(&r, RGS_EXIT_STORE);
  assert_contains(r.err, "the order store is a symbolic link");
  assert_contains(r.err, "give the real path");
  rgs_run_free(&r);
  run(&r, &sp, link, "order", "cancel", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_STORE);
  assert_contains(r.err, "the order store is a symbolic link");
  rgs_run_free(&r);
}

/* ---- the library's read-only open ------------------------------------------------ */

static int user_version(const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int v = -1;

  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
  if (sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

static void test_readonly_open_api(void **state)
{
  fixture *f = *state;
  rgs_order_store *st = NULL;
  rgs_order_input in;
  char path[800], err[1024];
  struct stat sb;
  sqlite3 *db = NULL;
  rgs_order o;
  long long id = 0;
  int v = rgs_order_store_schema_version();

  /* never creates: neither the file nor its directory */
  snprintf(path, sizeof(path), "%s/nodir/orders.db", f->dir);
  assert_int_equal(rgs_order_store_open_readonly(path, &st, err, sizeof(err)), RGS_ORDER_ERR_IO);
  assert_null(st);
  assert_contains(err, "does not exist");
  snprintf(path, sizeof(path), "%s/nodir", f->dir);
  assert_int_equal(stat(path, &sb), -1);
  snprintf(path, sizeof(path), "%s/none.db", f->sub);
  assert_int_equal(rgs_order_store_open_readonly(path, &st, err, sizeof(err)), RGS_ORDER_ERR_IO);
  assert_int_equal(stat(path, &sb), -1);
  /* never writes */
  assert_int_equal(rgs_order_store_open_readonly(f->db, &st, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_get(st, 1, &o), RGS_ORDER_OK);
  assert_string_equal(o.last_name, "Senez");
  memset(&in, 0, sizeof(in));
  in.partner = "cma";
  in.first_name = "A";
  in.last_name = "B";
  in.email = "a@b.fr";
  in.company = "X";
  in.company_id = "732829320";
  assert_int_not_equal(rgs_order_create(st, &in, &id), RGS_ORDER_OK);
  assert_contains(rgs_order_store_last_error(st), "reading only");
  assert_int_not_equal(rgs_order_set_status(st, 1, RGS_STATUS_CANCELLED, NULL), RGS_ORDER_OK);
  rgs_order_store_close(st);
  st = NULL;
  assert_int_equal(rgs_order_store_open_existing(f->db, &st, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_get(st, 2, &o), RGS_ORDER_ERR_NO_ORDER);
  assert_int_equal(rgs_order_get(st, 1, &o), RGS_ORDER_OK);
  assert_int_equal(o.status, RGS_STATUS_DRAFT);
  rgs_order_store_close(st);
  st = NULL;
  /* never migrates: an older schema is named, and left as it is */
  assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "DROP INDEX IF EXISTS aed_office_dept; PRAGMA user_version = 3",
                                NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(rgs_order_store_open_readonly(f->db, &st, err, sizeof(err)), RGS_ORDER_ERR_OLDER);
  assert_contains(err, "schema version 3");
  assert_int_equal(user_version(f->db), 3);
  assert_int_equal(rgs_order_store_open_existing(f->db, &st, err, sizeof(err)), RGS_ORDER_OK);
  rgs_order_store_close(st);
  st = NULL;
  assert_int_equal(user_version(f->db), v);
  /* a symbolic link, whichever open */
  snprintf(path, sizeof(path), "%s/link.db", f->sub);
  assert_int_equal(symlink("orders.db", path), 0);
  assert_int_equal(rgs_order_store_open_readonly(path, &st, err, sizeof(err)), RGS_ORDER_ERR_IO);
  assert_contains(err, "the order store is a symbolic link (to orders.db): refused; give the real path");
  assert_int_equal(rgs_order_store_open(path, &st, err, sizeof(err)), RGS_ORDER_ERR_IO);
  assert_contains(err, "symbolic link");
  assert_null(st);
}

/* ---- item 15: a file size limit ------------------------------------------------------ */

static void test_file_size_limit(void **state)
{
  fixture *f = *state;
  spawn none = { 0, 0, NULL, f }, limited = { 0, 256 * 1024, NULL, f };
  char small[700], big[700];
  rgs_run_result r;
  char *text;
  size_t cap = 5000 * 100 + 100, o;
  int i;

  snprintf(small, sizeof(small), "%s/small.csv", f->dir);
  snprintf(big, sizeof(big), "%s/big.csv", f->dir);
  rgs_write_file(small, "id,name,address,postal_code,city,department\n"
                        "lyon-a,Étude A,1 rue,69001,LYON,69\n"
                        "lyon-b,Étude B,2 rue,69002,LYON,69\n");
  text = malloc(cap);
  assert_non_null(text);
  o = (size_t)snprintf(text, cap, "id,name,address,postal_code,city,department\n");
  for (i = 1; i <= 5000; i++)
    o += (size_t)snprintf(text + o, cap - o, "lyon-%d,Étude %d,%d rue de la République,69%03d,LYON,69\n",
                          i + 100, i, i, i % 10);
  assert_true(o < cap);
  assert_int_equal(rgs_write_file(big, text), 0);
  free(text);
  run(&r, &none, f->db, "aed", "import", small, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  /* the store's journal would pass 256 KiB: the write is refused */
  run(&r, &limited, f->db, "aed", "import", big, NULL);
  rgs_assert_status(&r, RGS_EXIT_STORE);
  assert_contains(r.err, "the disk is full or a file size limit was reached");
  assert_contains(r.err, "the store is left as it was");
  rgs_run_free(&r);
  run(&r, &limited, f->db, "--json", "aed", "import", big, NULL);
  rgs_assert_status(&r, RGS_EXIT_STORE);
  text = rgs_json_get(r.out, "exit");
  assert_string_equal(text, "6");
  free(text);
  rgs_run_free(&r);
  /* the store still reads, with the old data only */
  run(&r, &none, f->db, "--json", "aed", "list", "--dept", "69", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  text = rgs_json_get(r.out, "count");
  assert_string_equal(text, "2");
  free(text);
  rgs_run_free(&r);
  run(&r, &none, f->db, "status", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  /* without the limit the same file imports */
  run(&r, &none, f->db, "aed", "import", big, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "5000 AED offices imported");
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_readonly_directory, setup, teardown),
    cmocka_unit_test_setup_teardown(test_readonly_file, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unreadable_file, setup, teardown),
    cmocka_unit_test_setup_teardown(test_readonly_file_system, setup, teardown),
    cmocka_unit_test_setup_teardown(test_symbolic_link, setup, teardown),
    cmocka_unit_test_setup_teardown(test_readonly_open_api, setup, teardown),
    cmocka_unit_test_setup_teardown(test_file_size_limit, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
