/* SPDX-License-Identifier: BSD-3-Clause */
/* orderlock.c - one run at a time per order, and the journal of the key
 * pairs being made for it (see orderlock.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "flow.h"
#include "orderlock.h"
#include "rgs_common.h"

/* The longest file write_journal() can make: the pid line, then per entry
 * "token S\nrun-pid P\ntmp-id H\nkey-id H\n" (this run's entry on top of
 * the others); so a journal never has to be cut. */
#define PID_LINE_MAX (sizeof("run-pid ") + 20 + 1)
#define ENTRY_MAX (sizeof("token ") + 32 + 1 + PID_LINE_MAX + \
                   2 * (sizeof("tmp-id ") + 2 * RGS_ORDERLOCK_ID_MAX + 1))
#define JOURNAL_MAX 4096
_Static_assert(PID_LINE_MAX + (RGS_ORDERLOCK_ENTRIES_MAX + 1) * ENTRY_MAX < JOURNAL_MAX,
               "the journal must hold every entry");

struct rgs_orderlock {
  int fd;
  char path[PATH_MAX];
  rgs_orderlock_journal left[RGS_ORDERLOCK_ENTRIES_MAX];   /* what earlier runs left */
  size_t n_left;
  rgs_orderlock_journal now;    /* this run's key, once begun */
  rgs_orderlock_journal none;   /* what rgs_orderlock_left() finds for no entry */
};

const char *rgs_orderlock_strerror(rgs_orderlock_rc rc)
{
  /* No default: -Wall names any value someone forgets here. */
  switch (rc) {
  case RGS_ORDERLOCK_OK: return _("success");
  case RGS_ORDERLOCK_BUSY: return _("another rgs-enroll holds the order's lock");
  case RGS_ORDERLOCK_ERR_PATH: return _("the store's path is too long for its lock file");
  case RGS_ORDERLOCK_ERR_IO: return _("the order's lock file cannot be used");
  case RGS_ORDERLOCK_ERR_NOMEM: return _("out of memory");
  case RGS_ORDERLOCK_ERR_ARG: return _("invalid argument");
  case RGS_ORDERLOCK_ERR_FULL:
    return _("the order's journal is full: key pairs left by interrupted runs on too many tokens");
  }
  return _("unknown error");
}

/* Bytes from hex text (lowercase, as written) up to the end of the line;
 * 0 on a malformed value. */
static int from_hex(const char *text, unsigned char *out, size_t cap, size_t *len)
{
  size_t n = 0;

  while (text[0] != '\0' && text[0] != '\n') {
    if (n >= cap || !rgsx_hex_byte(text, RGSX_HEX_LOWER, &out[n]))
      return 0;
    n++;
    text += 2;
  }
  *len = n;
  return 1;
}

/* One line of the journal into the entry being read (NULL: none yet, or
 * one being skipped). */
static void parse_line(const char *line, rgs_orderlock_journal *j)
{
  if (j == NULL)
    return;
  if (strncmp(line, "run-pid ", 8) == 0) {
    j->pid = strtol(line + 8, NULL, 10);
  } else if (strncmp(line, "tmp-id ", 7) == 0) {
    if (!from_hex(line + 7, j->tmp_id, sizeof(j->tmp_id), &j->tmp_len))
      j->tmp_len = 0;
  } else if (strncmp(line, "key-id ", 7) == 0) {
    if (!from_hex(line + 7, j->key_id, sizeof(j->key_id), &j->key_len))
      j->key_len = 0;
  }
}

/* The journal as written by write_journal() (one entry per "token" line;
 * a file of the single-entry format reads the same). Lines not understood
 * are left out, a file from a newer version does no harm; an entry whose
 * serial is not clean text is dropped. */
static void parse_journal(const char *text, rgs_orderlock *l)
{
  const char *line = text;
  rgs_orderlock_journal *cur = NULL;
  long file_pid = 0;
  size_t n, i, kept = 0;

  l->n_left = 0;
  memset(l->left, 0, sizeof(l->left));
  while (line != NULL && *line != '\0') {
    if (strncmp(line, "pid ", 4) == 0) {
      file_pid = strtol(line + 4, NULL, 10);
    } else if (strncmp(line, "token ", 6) == 0) {
      cur = NULL;
      n = strcspn(line + 6, "\n");
      if (l->n_left < RGS_ORDERLOCK_ENTRIES_MAX && n < sizeof(cur->token_serial) &&
          rgsx_is_clean(line + 6, n)) {
        cur = &l->left[l->n_left++];
        memcpy(cur->token_serial, line + 6, n);
        cur->token_serial[n] = '\0';
      }
    } else {
      parse_line(line, cur);
    }
    line = strchr(line, '\n');
    if (line != NULL)
      line++;
  }
  for (i = 0; i < l->n_left; i++) {
    l->left[i].present = l->left[i].tmp_len > 0 || l->left[i].key_len > 0;
    if (l->left[i].pid == 0)
      l->left[i].pid = file_pid;          /* the single-entry format */
    if (l->left[i].present)
      l->left[kept++] = l->left[i];
  }
  l->n_left = kept;
}

/* Append to text; 0 (errno EOVERFLOW) rather than a cut line. */
static int appended(char *text, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int appended(char *text, size_t cap, size_t *len, const char *fmt, ...)
{
  va_list ap;
  int n;

  if (*len >= cap) {
    errno = EOVERFLOW;
    return 0;
  }
  va_start(ap, fmt);
  n = vsnprintf(text + *len, cap - *len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= cap - *len) {
    errno = EOVERFLOW;
    return 0;
  }
  *len += (size_t)n;
  return 1;
}

static int entry_appended(char *text, size_t cap, size_t *len, const rgs_orderlock_journal *j)
{
  char hex[2 * RGS_ORDERLOCK_ID_MAX + 1];

  if (!appended(text, cap, len, "token %s\nrun-pid %ld\n", j->token_serial, j->pid))
    return 0;
  if (j->tmp_len > 0 && !appended(text, cap, len, "tmp-id %s\n",
                                  rgsx_hex(j->tmp_id, j->tmp_len, hex)))
    return 0;
  if (j->key_len > 0 && !appended(text, cap, len, "key-id %s\n",
                                  rgsx_hex(j->key_id, j->key_len, hex)))
    return 0;
  return 1;
}

/* The whole file: our pid, what was left, then this run's entry; synced,
 * so that what is recorded before C_GenerateKeyPair survives a power cut
 * too. RGS_ORDERLOCK_ERR_IO with errno set on failure. */
static rgs_orderlock_rc write_journal(rgs_orderlock *l)
{
  char text[JOURNAL_MAX];
  size_t len = 0, i;

  if (!appended(text, sizeof(text), &len, "pid %ld\n", (long)getpid()))
    return RGS_ORDERLOCK_ERR_IO;
  for (i = 0; i < l->n_left; i++)
    if (!entry_appended(text, sizeof(text), &len, &l->left[i]))
      return RGS_ORDERLOCK_ERR_IO;
  if (l->now.present && !entry_appended(text, sizeof(text), &len, &l->now))
    return RGS_ORDERLOCK_ERR_IO;
  if (pwrite(l->fd, text, len, 0) != (ssize_t)len || ftruncate(l->fd, (off_t)len) != 0 ||
      fdatasync(l->fd) != 0)
    return RGS_ORDERLOCK_ERR_IO;
  return RGS_ORDERLOCK_OK;
}

static long read_holder(int fd)
{
  char buf[64];
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

  if (n <= 4 || strncmp(buf, "pid ", 4) != 0)
    return 0;
  buf[n] = '\0';
  return strtol(buf + 4, NULL, 10);
}

rgs_orderlock_rc rgs_orderlock_take(const char *db_path, long long id, rgs_orderlock **out,
                                    long *holder, char *err, size_t errlen)
{
  rgs_orderlock *l = NULL;
  char text[JOURNAL_MAX];
  rgs_orderlock_rc rc;
  ssize_t n;

  *out = NULL;
  *holder = 0;
  l = calloc(1, sizeof(*l));
  if (l == NULL)
    return RGS_ORDERLOCK_ERR_NOMEM;
  l->fd = -1;
  if (snprintf(l->path, sizeof(l->path), "%s.order-%lld.lock", db_path, id) >=
      (int)sizeof(l->path)) {
    snprintf(err, errlen, "%s", _("the store's path is too long for its lock file"));
    rc = RGS_ORDERLOCK_ERR_PATH;
    goto cleanup;
  }
  l->fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (l->fd < 0) {
    snprintf(err, errlen, "%s: %s", l->path, strerror(errno));
    rc = RGS_ORDERLOCK_ERR_IO;
    goto cleanup;
  }
  if (flock(l->fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      *holder = read_holder(l->fd);
      rc = RGS_ORDERLOCK_BUSY;
    } else {
      snprintf(err, errlen, "%s: %s", l->path, strerror(errno));
      rc = RGS_ORDERLOCK_ERR_IO;
    }
    goto cleanup;
  }
  n = pread(l->fd, text, sizeof(text) - 1, 0);
  text[n > 0 ? n : 0] = '\0';
  parse_journal(text, l);
  /* Our pid for a second run's message; what was left stays recorded
   * until it is dealt with. */
  rc = write_journal(l);
  if (rc != RGS_ORDERLOCK_OK) {
    snprintf(err, errlen, "%s: %s", l->path, strerror(errno));
    goto cleanup;
  }
  *out = l;
  l = NULL;
  rc = RGS_ORDERLOCK_OK;

cleanup:
  rgs_orderlock_release(l);
  return rc;
}

const rgs_orderlock_journal *rgs_orderlock_left(const rgs_orderlock *l, const char *token_serial)
{
  size_t i;

  if (l == NULL || token_serial == NULL)
    return NULL;
  for (i = 0; i < l->n_left; i++)
    if (strcmp(l->left[i].token_serial, token_serial) == 0)
      return &l->left[i];
  return &l->none;
}

size_t rgs_orderlock_left_count(const rgs_orderlock *l)
{
  return l != NULL ? l->n_left : 0;
}

const rgs_orderlock_journal *rgs_orderlock_left_at(const rgs_orderlock *l, size_t i)
{
  return l != NULL && i < l->n_left ? &l->left[i] : NULL;
}

/* Drop the entries of token_serial from what was left. */
static void forget_left(rgs_orderlock *l, const char *token_serial)
{
  size_t i, kept = 0;

  for (i = 0; i < l->n_left; i++)
    if (strcmp(l->left[i].token_serial, token_serial) != 0)
      l->left[kept++] = l->left[i];
  memset(&l->left[kept], 0, (l->n_left - kept) * sizeof(l->left[0]));
  l->n_left = kept;
}

rgs_orderlock_rc rgs_orderlock_begin_key(rgs_orderlock *l, const char *token_serial)
{
  if (l == NULL || token_serial == NULL)
    return RGS_ORDERLOCK_ERR_ARG;
  forget_left(l, token_serial);
  if (l->n_left >= RGS_ORDERLOCK_ENTRIES_MAX)
    return RGS_ORDERLOCK_ERR_FULL;
  memset(&l->now, 0, sizeof(l->now));
  snprintf(l->now.token_serial, sizeof(l->now.token_serial), "%s", token_serial);
  l->now.pid = (long)getpid();
  return RGS_ORDERLOCK_OK;
}

int rgs_orderlock_note_id(void *lock, int final, const unsigned char *id, size_t len)
{
  rgs_orderlock *l = lock;

  if (l == NULL || id == NULL || len == 0 || len > RGS_ORDERLOCK_ID_MAX)
    return RGS_ORDERLOCK_ERR_ARG;
  if (final) {
    memcpy(l->now.key_id, id, len);
    l->now.key_len = len;
  } else {
    memcpy(l->now.tmp_id, id, len);
    l->now.tmp_len = len;
  }
  l->now.present = 1;
  return write_journal(l);
}

rgs_orderlock_rc rgs_orderlock_done(rgs_orderlock *l, const char *token_serial)
{
  if (l == NULL || token_serial == NULL) {
    errno = EINVAL;
    return RGS_ORDERLOCK_ERR_ARG;
  }
  forget_left(l, token_serial);
  if (strcmp(l->now.token_serial, token_serial) == 0)
    memset(&l->now, 0, sizeof(l->now));
  return write_journal(l);
}

void rgs_orderlock_release(rgs_orderlock *l)
{
  if (l == NULL)
    return;
  if (l->fd >= 0)
    close(l->fd);    /* the flock goes with the descriptor */
  free(l);
}

const char *rgs_orderlock_path(const rgs_orderlock *l)
{
  return l != NULL ? l->path : "";
}
