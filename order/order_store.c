/* SPDX-License-Identifier: BSD-3-Clause */
/* order_store.c - the SQLite file: checked before it is opened, created
 * whole or not at all, migrated by version, written in transactions. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "rgs_common.h"
#include "order_internal.h"

#define STORE_BUSY_TIMEOUT_MS 10000

/* ---- schema -------------------------------------------------------------- */

/* migrations[i] takes a store from user_version i to i + 1. Append only:
 * a released step is never edited. */
static const char *const migrations[] = {
  /* 1: the first schema */
  "CREATE TABLE orders ("
  "  id INTEGER PRIMARY KEY,"
  "  created_at TEXT NOT NULL,"
  "  partner TEXT NOT NULL,"
  "  product TEXT NOT NULL,"
  "  validity_years INTEGER NOT NULL CHECK (validity_years BETWEEN 1 AND 3),"
  "  os TEXT NOT NULL CHECK (os IN ('windows','macos','other')),"
  "  first_name TEXT NOT NULL,"
  "  last_name TEXT NOT NULL,"
  "  email TEXT NOT NULL,"
  "  phone TEXT,"
  "  holder_other INTEGER NOT NULL DEFAULT 0 CHECK (holder_other IN (0,1)),"
  "  ordered_by TEXT,"
  "  company TEXT NOT NULL,"
  "  company_id TEXT NOT NULL CHECK (length(company_id) IN (9,14)),"
  "  siren TEXT NOT NULL CHECK (length(siren) = 9),"
  "  payment TEXT CHECK (payment IN ('carte','virement','cheque')),"
  "  cgu_accepted_at TEXT,"
  "  ca_ref TEXT UNIQUE,"
  "  dept TEXT,"
  "  planned_sending TEXT,"
  "  status TEXT NOT NULL CHECK (status IN ('draft','ordered','key-generated','csr-linked',"
  "    'submitted','face-to-face-done','documents-sent','issued','installed','cancelled',"
  "    'refused')),"
  "  status_at TEXT NOT NULL"
  ");"
  "CREATE INDEX orders_dept ON orders(dept);"
  "CREATE INDEX orders_status ON orders(status);"
  "CREATE INDEX orders_siren ON orders(siren);"
  "CREATE TABLE history ("
  "  id INTEGER PRIMARY KEY,"
  "  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,"
  "  at TEXT NOT NULL,"
  "  from_status TEXT,"
  "  to_status TEXT NOT NULL,"
  "  note TEXT"
  ");"
  "CREATE INDEX history_order ON history(order_id, id);"
  "CREATE TABLE documents ("
  "  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,"
  "  kind TEXT NOT NULL CHECK (kind IN ('request-form','intervention-form','id-document',"
  "    'registration-extract')),"
  "  state TEXT NOT NULL DEFAULT 'missing' CHECK (state IN ('missing','ready','sent','accepted')),"
  "  issued_on TEXT,"
  "  expires_on TEXT,"
  "  sent_on TEXT,"
  "  updated_at TEXT,"
  "  PRIMARY KEY (order_id, kind)"
  ") WITHOUT ROWID;"
  "CREATE TABLE appointment ("
  "  order_id INTEGER PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,"
  "  aed_id TEXT NOT NULL,"
  "  aed_name TEXT NOT NULL,"
  "  aed_address TEXT NOT NULL,"
  "  aed_postal_code TEXT NOT NULL,"
  "  aed_city TEXT NOT NULL,"
  "  aed_dept TEXT NOT NULL,"
  "  aed_phone TEXT,"
  "  aed_email TEXT,"
  "  at TEXT,"
  "  mode TEXT CHECK (mode IN ('holder-travels','aed-travels')),"
  "  distance_km INTEGER,"
  "  fee_ht_cents INTEGER,"
  "  booked_at TEXT NOT NULL"
  ");"
  "CREATE TABLE binding ("
  "  order_id INTEGER PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,"
  "  spki_sha256 TEXT NOT NULL UNIQUE CHECK (length(spki_sha256) = 64),"
  "  csr_pem TEXT NOT NULL,"
  "  subject TEXT NOT NULL,"
  "  token_serial TEXT,"
  "  token_model TEXT,"
  "  key_uri TEXT,"
  "  linked_at TEXT NOT NULL"
  ");"
  "CREATE TABLE aed_office ("
  "  id TEXT PRIMARY KEY,"
  "  name TEXT NOT NULL,"
  "  address TEXT NOT NULL,"
  "  postal_code TEXT NOT NULL,"
  "  city TEXT NOT NULL,"
  "  dept TEXT NOT NULL,"
  "  phone TEXT,"
  "  email TEXT,"
  "  source TEXT"
  ");"
  "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;",
  /* 2: what comes back from the CA (order_issuance.c) */
  order_sql_issuance,
  /* 3: the face-to-face records (order_f2f.c) */
  order_sql_f2f,
  /* 4: aed list --dept reads one département's offices, not all of them */
  "CREATE INDEX aed_office_dept ON aed_office(dept);",
  /* 5: whose copy an order is (order_role.c): the AED's, imported from the
   * holder's dossier, has a row here; the holder's own has none. */
  "CREATE TABLE IF NOT EXISTS order_role ("
  "  order_id INTEGER PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,"
  "  role TEXT NOT NULL CHECK (role IN ('aed'))"
  ");",
  /* 6: the other départements an office serves (order_aed.c), and the time
   * zone of an appointment's wall-clock time (order_appt.c). */
  "CREATE TABLE IF NOT EXISTS aed_office_served ("
  "  office_id TEXT PRIMARY KEY,"
  "  depts TEXT NOT NULL"
  ");"
  "CREATE TABLE IF NOT EXISTS appointment_tz ("
  "  order_id INTEGER PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,"
  "  tz TEXT NOT NULL"
  ");",
  /* 7: the dates of the installed certificate and the expiry reminders
   * given (order_certdates.c); filled by enroll/ from the certificate kept
   * with the order. */
  order_sql_cert_dates,
};

int rgs_order_store_schema_version(void)
{
  return (int)RGS_ARRAY_LEN(migrations);
}

/* ---- errors and small helpers ----------------------------------------------- */

rgs_order_rc order_fail(rgs_order_store *s, rgs_order_rc rc, const char *fmt, ...)
{
  va_list ap;

  if (s == NULL)
    return rc;
  va_start(ap, fmt);
  vsnprintf(s->err, sizeof(s->err), fmt, ap);
  va_end(ap);
  return rc;
}

static rgs_order_rc rc_of_sqlite(int src)
{
  switch (src & 0xFF) {
  case SQLITE_NOMEM: return RGS_ORDER_ERR_NOMEM;
  case SQLITE_BUSY:
  case SQLITE_LOCKED: return RGS_ORDER_ERR_BUSY;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB: return RGS_ORDER_ERR_CORRUPT;
  case SQLITE_FULL: return RGS_ORDER_ERR_FULL;
  default: return RGS_ORDER_ERR_STORE;
  }
}

/* The directory part of path ("." when there is none). */
static void dir_of(const char *path, char *dir, size_t len)
{
  const char *slash = strrchr(path, '/');

  if (slash == NULL)
    snprintf(dir, len, ".");
  else if (slash == path)
    snprintf(dir, len, "/");
  else
    snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* Why path cannot be read (write 0) or written (write 1), in words, when
 * the file system says so; 0 when no such cause is found. SQLite writes
 * its journal (-wal, -shm) beside the store: the directory counts too. */
static int access_cause(const char *path, int write, char *out, size_t len)
{
  char dir[4096], wal[4200];
  struct statvfs vfs;
  struct stat sb;

  dir_of(path, dir, sizeof(dir));
  if (write && statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0) {
    snprintf(out, len, "%s", _("the order store is on a read-only file system"));
    return 1;
  }
  if (access(path, write ? W_OK : R_OK) != 0 && (errno == EACCES || errno == EPERM || errno == EROFS)) {
    snprintf(out, len, write ? _("permission denied: this user may not write the order store (%s)")
                             : _("permission denied: this user may not read the order store (%s)"),
             errno == EROFS ? strerror(errno) : _("file permissions"));
    return 1;
  }
  snprintf(wal, sizeof(wal), "%s-wal", path);
  if (access(dir, W_OK) != 0 && errno == EACCES && lstat(wal, &sb) != 0) {
    snprintf(out, len, _("permission denied on the directory %s: SQLite cannot create the journal files (-wal, -shm) beside the store"),
             dir);
    return 1;
  }
  return 0;
}

/* SQLite's answers that mean "the file system refused": read-only,
 * permission, cannot open, and I/O errors whose errno says so. */
static int refused_by_files(int src, int sys_errno)
{
  switch (src & 0xFF) {
  case SQLITE_READONLY:
  case SQLITE_CANTOPEN:
  case SQLITE_PERM:
    return 1;
  case SQLITE_IOERR:
    return sys_errno == EACCES || sys_errno == EPERM || sys_errno == EROFS;
  default:
    return 0;
  }
}

/* The errno of the failed system call. sqlite3_system_errno() reads the
 * global errno, often overwritten by then: each file (the store, its -wal
 * journal) keeps its own, which is asked first. */
static int failed_errno(sqlite3 *db)
{
  sqlite3_file *f = NULL;
  int e = 0;

  if (db == NULL)
    return 0;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_LAST_ERRNO, &e) == SQLITE_OK && e != 0)
    return e;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f) == SQLITE_OK &&
      f != NULL && f->pMethods != NULL &&
      f->pMethods->xFileControl(f, SQLITE_FCNTL_LAST_ERRNO, &e) == SQLITE_OK && e != 0)
    return e;
  return sqlite3_system_errno(db);
}

rgs_order_rc order_sqlite_fail(rgs_order_store *s, int src, const char *what)
{
  rgs_order_rc rc = rc_of_sqlite(src);
  int sys_errno = failed_errno(s->db);
  char cause[512];

  /* A write refused by ulimit -f (EFBIG, SIGXFSZ ignored) or a full disk
   * comes back as SQLITE_FULL or as an I/O error carrying that errno. */
  if ((src & 0xFF) == SQLITE_IOERR && (sys_errno == EFBIG || sys_errno == ENOSPC))
    rc = RGS_ORDER_ERR_FULL;
  if (rc == RGS_ORDER_ERR_FULL)
    return order_fail(s, rc, _("%s: %s: %s; the store is left as it was"),
                      s->path, what, sys_errno != 0 ? strerror(sys_errno) : sqlite3_errstr(src));
  if (rc == RGS_ORDER_ERR_BUSY)
    return order_fail(s, rc, _("%s: %s (waited %d s)"), s->path, what, STORE_BUSY_TIMEOUT_MS / 1000);
  if (s->readonly && (src & 0xFF) == SQLITE_READONLY)
    return order_fail(s, rc, _("%s: %s: the store was opened for reading only"), s->path, what);
  if (refused_by_files(src, sys_errno) && access_cause(s->path, !s->readonly, cause, sizeof(cause)))
    return order_fail(s, rc, "%s: %s: %s", s->path, what, cause);
  return order_fail(s, rc, "%s: %s: %s", s->path, what,
                    s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(src));
}

time_t order_now(const rgs_order_store *s)
{
  return s->fixed_now ? s->now : time(NULL);
}

void order_stamp(const rgs_order_store *s, char *out, size_t outlen)
{
  time_t t = order_now(s);
  struct tm tm;

  gmtime_r(&t, &tm);
  snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void order_today(const rgs_order_store *s, char *out, size_t outlen)
{
  rgs_order_date_of(order_now(s), out, outlen);
}

void rgs_order_store_set_now(rgs_order_store *s, time_t now)
{
  if (s == NULL)
    return;
  s->fixed_now = 1;
  s->now = now;
}

rgs_order_rc order_prepare(rgs_order_store *s, const char *sql, sqlite3_stmt **st)
{
  int src = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);

  if (src != SQLITE_OK) {
    *st = NULL;
    return order_sqlite_fail(s, src, _("reading the store"));
  }
  return RGS_ORDER_OK;
}

rgs_order_rc order_exec(rgs_order_store *s, const char *sql)
{
  int src = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

  if (src != SQLITE_OK)
    return order_sqlite_fail(s, src, _("writing the store"));
  return RGS_ORDER_OK;
}

int order_bind_text(sqlite3_stmt *st, int i, const char *text)
{
  if (text == NULL || text[0] == '\0')
    return sqlite3_bind_null(st, i);
  return sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
}

void order_column_text(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
  const unsigned char *t = sqlite3_column_text(st, col);

  snprintf(out, outlen, "%s", t != NULL ? (const char *)t : "");
}

const char *rgs_order_store_last_error(const rgs_order_store *s)
{
  return s != NULL ? s->err : "";
}

/* ---- transactions ------------------------------------------------------------ */

/* For the tests of crash safety only: RGS_ORDER_TEST_PAUSE_IN_TXN=N makes
 * every outermost transaction wait N seconds before its COMMIT, once its
 * writes are done, so that a test can kill the process right there. */
static void test_pause(void)
{
  const char *v = getenv("RGS_ORDER_TEST_PAUSE_IN_TXN");
  int n;

  if (v == NULL || v[0] == '\0')
    return;
  n = atoi(v);
  if (n <= 0)
    return;
  fprintf(stderr, "rgs-order: test pause in transaction (%d s)\n", n);
  fflush(stderr);
  sleep((unsigned)n);
}

rgs_order_rc order_txn_begin(rgs_order_store *s)
{
  rgs_order_rc rc;

  if (s->readonly)
    return order_fail(s, RGS_ORDER_ERR_STORE, _("%s: the store was opened for reading only"), s->path);
  /* IMMEDIATE: take the write lock now (waiting busy_timeout for it), so
   * that no read-then-write upgrade can fail half way. */
  rc = order_exec(s, s->depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT rgs_step");
  if (rc != RGS_ORDER_OK)
    return rc;
  if (s->depth == 0)
    s->failed = 0;
  s->depth++;
  return RGS_ORDER_OK;
}

rgs_order_rc order_txn_end(rgs_order_store *s, rgs_order_rc rc)
{
  rgs_order_rc crc;

  if (s->depth <= 0)
    return rc;
  s->depth--;
  if (s->depth > 0) {
    if (rc == RGS_ORDER_OK)
      return order_exec(s, "RELEASE rgs_step");
    /* Undo the step only; the caller of the outer transaction decides. */
    sqlite3_exec(s->db, "ROLLBACK TO rgs_step; RELEASE rgs_step", NULL, NULL, NULL);
    return rc;
  }
  if (rc != RGS_ORDER_OK || s->failed) {
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc != RGS_ORDER_OK ? rc : order_fail(s, RGS_ORDER_ERR_STORE, "%s", _("transaction rolled back"));
  }
  test_pause();
  crc = order_exec(s, "COMMIT");
  if (crc != RGS_ORDER_OK)
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  return crc;
}

rgs_order_rc rgs_order_store_begin(rgs_order_store *s)
{
  if (s == NULL)
    return RGS_ORDER_ERR_ARG;
  return order_txn_begin(s);
}

rgs_order_rc rgs_order_store_commit(rgs_order_store *s)
{
  if (s == NULL || s->depth == 0)
    return RGS_ORDER_ERR_ARG;
  return order_txn_end(s, RGS_ORDER_OK);
}

void rgs_order_store_rollback(rgs_order_store *s)
{
  if (s == NULL || s->depth == 0)
    return;
  if (s->depth > 1)
    s->failed = 1;
  order_txn_end(s, RGS_ORDER_ERR_ARG);
}

/* ---- migrations -------------------------------------------------------------- */

static rgs_order_rc user_version(rgs_order_store *s, int *v)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc = order_prepare(s, "PRAGMA user_version", &st);
  int src;

  if (rc != RGS_ORDER_OK)
    return rc;
  src = sqlite3_step(st);
  if (src == SQLITE_ROW)
    *v = sqlite3_column_int(st, 0);
  else
    rc = order_sqlite_fail(s, src, _("reading the schema version"));
  sqlite3_finalize(st);
  return rc;
}

static rgs_order_rc migrate(rgs_order_store *s)
{
  char sql[64];
  int v = 0, n = rgs_order_store_schema_version();
  rgs_order_rc rc;

  rc = order_txn_begin(s);
  if (rc != RGS_ORDER_OK)
    return rc;
  /* Read again under the write lock: another process may have migrated. */
  rc = user_version(s, &v);
  for (; rc == RGS_ORDER_OK && v < n; v++)
    rc = order_exec(s, migrations[v]);
  if (rc == RGS_ORDER_OK) {
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", n);
    rc = order_exec(s, sql);
  }
  return order_txn_end(s, rc);
}

/* ---- checking a file before SQLite touches it --------------------------------- */

static rgs_order_rc check_header(rgs_order_store *s)
{
  static const char magic[16] = "SQLite format 3";
  unsigned char h[100];
  ssize_t n;
  unsigned long app;
  int fd;

  fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
  if (fd < 0 && (errno == EACCES || errno == EPERM))
    return order_fail(s, RGS_ORDER_ERR_IO, _("%s: permission denied: this user may not read the order store"),
                      s->path);
  if (fd < 0)
    return order_fail(s, RGS_ORDER_ERR_IO, "%s: %s", s->path, strerror(errno));
  n = read(fd, h, sizeof(h));
  close(fd);
  if (n < 0)
    return order_fail(s, RGS_ORDER_ERR_IO, "%s: %s", s->path, strerror(errno));
  if (n == 0)
    return order_fail(s, RGS_ORDER_ERR_NOT_STORE, _("%s: the file is empty"), s->path);
  if (n < (ssize_t)sizeof(h) || memcmp(h, magic, sizeof(magic)) != 0)
    return order_fail(s, RGS_ORDER_ERR_NOT_STORE, _("%s: not an SQLite database"), s->path);
  app = ((unsigned long)h[68] << 24) | ((unsigned long)h[69] << 16) |
        ((unsigned long)h[70] << 8) | (unsigned long)h[71];
  if (app != ORDER_APPLICATION_ID)
    return order_fail(s, RGS_ORDER_ERR_NOT_STORE,
                      _("%s: an SQLite database of another application (application_id 0x%08lx)"),
                      s->path, app);
  return RGS_ORDER_OK;
}

/* Inside SQLite: the marker again, the schema readable, the version known. */
static rgs_order_rc check_open(rgs_order_store *s)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src, v = 0, app = 0;

  rc = order_prepare(s, "PRAGMA application_id", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  src = sqlite3_step(st);
  if (src == SQLITE_ROW)
    app = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (src != SQLITE_ROW)
    return order_sqlite_fail(s, src, _("reading the store"));
  if ((unsigned)app != ORDER_APPLICATION_ID)
    return order_fail(s, RGS_ORDER_ERR_NOT_STORE, _("%s: not an rgs-enroll order store"), s->path);
  /* Reading the schema table parses the first page: damage shows here. */
  rc = order_prepare(s, "SELECT count(*) FROM sqlite_schema", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  src = sqlite3_step(st);
  sqlite3_finalize(st);
  if (src != SQLITE_ROW)
    return order_sqlite_fail(s, src, _("reading the store"));
  rc = user_version(s, &v);
  if (rc != RGS_ORDER_OK)
    return rc;
  if (v > rgs_order_store_schema_version())
    return order_fail(s, RGS_ORDER_ERR_NEWER,
                      _("%s: schema version %d, this rgs-enroll knows up to %d; nothing was changed"),
                      s->path, v, rgs_order_store_schema_version());
  if (v < rgs_order_store_schema_version() && s->readonly)
    return order_fail(s, RGS_ORDER_ERR_OLDER,
                      _("%s: schema version %d, this rgs-enroll writes %d: a command that writes upgrades it; nothing was changed"),
                      s->path, v, rgs_order_store_schema_version());
  if (v < rgs_order_store_schema_version())
    return migrate(s);
  return RGS_ORDER_OK;
}

static rgs_order_rc store_connect_flags(rgs_order_store *s, const char *path, int flags)
{
  int src;

  src = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOFOLLOW, NULL);
  if (src != SQLITE_OK)
    return order_sqlite_fail(s, src, _("opening the store"));
  sqlite3_extended_result_codes(s->db, 1);
  sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
  return RGS_ORDER_OK;
}

static rgs_order_rc store_settings(rgs_order_store *s)
{
  /* FULL: a commit is on disk when it returns, even in WAL mode. */
  int src = sqlite3_exec(s->db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;", NULL, NULL, NULL);

  return src == SQLITE_OK ? RGS_ORDER_OK : order_sqlite_fail(s, src, _("opening the store"));
}

static rgs_order_rc store_connect(rgs_order_store *s, const char *path)
{
  rgs_order_rc rc = store_connect_flags(s, path, SQLITE_OPEN_READWRITE);

  return rc == RGS_ORDER_OK ? store_settings(s) : rc;
}

/* path as a "file:" URI with immutable=1 ('%', '?', '#' escaped);
 * 1 when it fits in uri, 0 when the path is too long. */
static int immutable_uri_fits(const char *path, char *uri, size_t len)
{
  size_t o;
  const char *p;

  o = (size_t)snprintf(uri, len, "%s", path[0] == '/' ? "file://" : "file:");
  for (p = path; *p != '\0' && o + 4 < len; p++) {
    if (*p == '%' || *p == '?' || *p == '#')
      o += (size_t)snprintf(uri + o, len - o, "%%%02X", (unsigned char)*p);
    else
      uri[o++] = *p;
  }
  if (*p != '\0' || o + sizeof("?immutable=1") > len)
    return 0;
  snprintf(uri + o, len - o, "?immutable=1");
  return 1;
}

/* Read only. In WAL mode even a reader needs the -shm index beside the
 * store; in a directory it may not write (or on a read-only file system)
 * SQLite cannot make it. When no journal is pending (no -wal, or an empty
 * one) the file itself is the whole store, and it is read as immutable. */
static rgs_order_rc store_connect_readonly(rgs_order_store *s, const char *path)
{
  char wal[4200], uri[3 * 4096 + 32];
  struct stat sb;
  rgs_order_rc rc;
  int src;

  rc = store_connect_flags(s, path, SQLITE_OPEN_READONLY);
  if (rc != RGS_ORDER_OK)
    return rc;
  src = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
  if (src == SQLITE_OK)
    return store_settings(s);
  if ((src & 0xFF) != SQLITE_READONLY && (src & 0xFF) != SQLITE_CANTOPEN)
    return order_sqlite_fail(s, src, _("reading the store"));
  snprintf(wal, sizeof(wal), "%s-wal", path);
  if (lstat(wal, &sb) == 0 && sb.st_size > 0)
    return order_sqlite_fail(s, src, _("reading the store (changes are pending in its -wal journal)"));
  sqlite3_close(s->db);
  s->db = NULL;
  if (!immutable_uri_fits(path, uri, sizeof(uri)))
    return order_fail(s, RGS_ORDER_ERR_IO, _("%s: path too long"), path);
  rc = store_connect_flags(s, uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
  return rc == RGS_ORDER_OK ? store_settings(s) : rc;
}

/* ---- creating a store ----------------------------------------------------------- */

/* mkdir -p for the directories of path, each new one 0700. */
static rgs_order_rc make_parents(rgs_order_store *s, const char *path)
{
  char dir[PATH_MAX];
  char *p;

  if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
    return order_fail(s, RGS_ORDER_ERR_IO, _("%s: path too long"), path);
  p = strrchr(dir, '/');
  if (p == NULL || p == dir)
    return RGS_ORDER_OK;
  *p = '\0';
  for (p = dir + 1; *p != '\0'; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
      return order_fail(s, RGS_ORDER_ERR_IO, "%s: %s", dir, strerror(errno));
    *p = '/';
  }
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    return order_fail(s, RGS_ORDER_ERR_IO, "%s: %s", dir, strerror(errno));
  return RGS_ORDER_OK;
}

static void sync_path(const char *path, int directory)
{
  int fd = open(path, (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);

  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

static void sync_parent(const char *path)
{
  char dir[PATH_MAX];
  char *p;

  snprintf(dir, sizeof(dir), "%s", path);
  p = strrchr(dir, '/');
  if (p == NULL)
    snprintf(dir, sizeof(dir), ".");
  else if (p == dir)
    p[1] = '\0';
  else
    *p = '\0';
  sync_path(dir, 1);
}

/* Build a complete store in a temporary file beside path. */
static rgs_order_rc build_store(rgs_order_store *s, const char *tmp)
{
  char sql[64];
  rgs_order_rc rc;

  rc = store_connect(s, tmp);
  if (rc == RGS_ORDER_OK) {
    snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", (int)ORDER_APPLICATION_ID);
    rc = order_exec(s, sql);
  }
  if (rc == RGS_ORDER_OK)
    rc = migrate(s);
  if (rc == RGS_ORDER_OK)
    rc = order_exec(s, "PRAGMA journal_mode = WAL");
  if (rc == RGS_ORDER_OK)
    rc = order_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_close(s->db);
  s->db = NULL;
  return rc;
}

/* Put the finished file at path unless someone else was faster. */
static rgs_order_rc publish(rgs_order_store *s, const char *tmp, const char *path)
{
  if (link(tmp, path) == 0 || errno == EEXIST) {
    unlink(tmp);
    return RGS_ORDER_OK;
  }
  /* File systems without hard links. */
  if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
    return RGS_ORDER_OK;
  if (errno == EEXIST) {
    unlink(tmp);
    return RGS_ORDER_OK;
  }
  unlink(tmp);
  return order_fail(s, RGS_ORDER_ERR_IO, "%s: %s", path, strerror(errno));
}

static rgs_order_rc create_store(rgs_order_store *s, const char *path)
{
  char tmp[PATH_MAX];
  rgs_order_rc rc;
  int fd;

  rc = make_parents(s, path);
  if (rc != RGS_ORDER_OK)
    return rc;
  if (snprintf(tmp, sizeof(tmp), "%s.new-XXXXXX", path) >= (int)sizeof(tmp))
    return order_fail(s, RGS_ORDER_ERR_IO, _("%s: path too long"), path);
  fd = mkstemp(tmp);
  if (fd < 0)
    return order_fail(s, RGS_ORDER_ERR_IO, "%s: %s", path, strerror(errno));
  fchmod(fd, 0600);
  close(fd);
  rc = build_store(s, tmp);
  if (rc != RGS_ORDER_OK) {
    unlink(tmp);
    return rc;
  }
  sync_path(tmp, 0);
  rc = publish(s, tmp, path);
  if (rc == RGS_ORDER_OK)
    sync_parent(path);
  return rc;
}

/* ---- open and close -------------------------------------------------------------- */

typedef enum { OPEN_CREATE, OPEN_EXISTING, OPEN_READONLY } open_mode;

/* lstat(path) failed: say why in words. */
static rgs_order_rc missing_cause(rgs_order_store *s, const char *path, int err)
{
  char dir[4096];
  struct stat sb;

  dir_of(path, dir, sizeof(dir));
  if (err == ENOENT && stat(dir, &sb) != 0 && errno == ENOENT)
    return order_fail(s, RGS_ORDER_ERR_IO, _("%s: the directory %s does not exist"), path, dir);
  if (err == EACCES)
    return order_fail(s, RGS_ORDER_ERR_IO, _("%s: permission denied: this user may not enter the directory %s"),
                      path, dir);
  return order_fail(s, RGS_ORDER_ERR_IO, "%s: %s", path, strerror(err));
}

/* A symbolic link is refused: the store would be written wherever the
 * link points, now or after someone changes it. */
static rgs_order_rc refuse_link(rgs_order_store *s, const char *path)
{
  char target[4096], shown[1024];
  ssize_t n = readlink(path, target, sizeof(target) - 1);

  target[n > 0 ? n : 0] = '\0';
  /* The link's text is whatever someone wrote there: printable first. */
  rgsx_sanitize_buf(shown, sizeof(shown), n > 0 ? target : "?", (size_t)-1);
  return order_fail(s, RGS_ORDER_ERR_IO,
                    _("%s: the order store is a symbolic link (to %s): refused; give the real path"),
                    path, shown);
}

static rgs_order_rc open_store(const char *path, open_mode mode, rgs_order_store **out, char *err,
                               size_t errlen)
{
  rgs_order_store *s = NULL;
  struct stat sb;
  rgs_order_rc rc;

  if (out == NULL)
    return RGS_ORDER_ERR_ARG;
  *out = NULL;
  if (err != NULL && errlen > 0)
    err[0] = '\0';
  if (path == NULL || path[0] == '\0')
    return RGS_ORDER_ERR_ARG;
  s = calloc(1, sizeof(*s));
  if (s == NULL)
    return RGS_ORDER_ERR_NOMEM;
  s->readonly = mode == OPEN_READONLY;
  if (snprintf(s->path, sizeof(s->path), "%s", path) >= (int)sizeof(s->path)) {
    rc = order_fail(s, RGS_ORDER_ERR_IO, _("%s: path too long"), path);
    goto cleanup;
  }
  if (lstat(path, &sb) != 0) {
    if (errno != ENOENT || mode != OPEN_CREATE) {
      rc = missing_cause(s, path, errno);
      goto cleanup;
    }
    rc = create_store(s, path);
    if (rc != RGS_ORDER_OK)
      goto cleanup;
  } else if (S_ISLNK(sb.st_mode)) {
    rc = refuse_link(s, path);
    goto cleanup;
  } else if (!S_ISREG(sb.st_mode)) {
    rc = order_fail(s, RGS_ORDER_ERR_NOT_STORE, _("%s: not a regular file"), path);
    goto cleanup;
  }
  rc = check_header(s);
  if (rc == RGS_ORDER_OK)
    rc = mode == OPEN_READONLY ? store_connect_readonly(s, path) : store_connect(s, path);
  if (rc == RGS_ORDER_OK)
    rc = check_open(s);

cleanup:
  if (rc != RGS_ORDER_OK) {
    if (err != NULL && errlen > 0)
      snprintf(err, errlen, "%s", s->err);
    rgs_order_store_close(s);
    return rc;
  }
  *out = s;
  return RGS_ORDER_OK;
}

rgs_order_rc rgs_order_store_open(const char *path, rgs_order_store **out, char *err,
                                  size_t errlen)
{
  return open_store(path, OPEN_CREATE, out, err, errlen);
}

rgs_order_rc rgs_order_store_open_existing(const char *path, rgs_order_store **out,
                                           char *err, size_t errlen)
{
  return open_store(path, OPEN_EXISTING, out, err, errlen);
}

rgs_order_rc rgs_order_store_open_readonly(const char *path, rgs_order_store **out,
                                           char *err, size_t errlen)
{
  return open_store(path, OPEN_READONLY, out, err, errlen);
}

void rgs_order_store_close(rgs_order_store *s)
{
  if (s == NULL)
    return;
  if (s->depth > 0)
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(s->db);
  free(s);
}
