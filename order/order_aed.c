/* SPDX-License-Identifier: BSD-3-Clause */
/* order_aed.c - the directory of AED offices: a CSV file users can edit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rgs_common.h"
#include "order_internal.h"

/* A directory of every commissaire de justice of France is a few hundred
 * kilobytes; the bounds leave room for far more and still cap the memory
 * (an office takes about 1 KiB). */
#define DIR_FILE_MAX (32 * 1024 * 1024)
#define DIR_OFFICES_MAX 200000
#define FIELD_MAX 512
#define MAX_COLUMNS 16

/* Offices in order, and an open-addressing index of their ids (slot value:
 * position + 1, 0 for empty) so that adding, replacing and finding cost
 * the same at 100 000 offices as at 6. */
struct rgs_order_aed_dir {
  rgs_order_aed *a;
  size_t n, cap;
  size_t *slot;
  size_t nslots;             /* a power of two, at least twice n */
};

/* FNV-1a of the id folded to ASCII lower case: ids match in any case. */
static size_t id_hash(const char *id)
{
  size_t h = (size_t)14695981039346656037ULL;
  const unsigned char *p;

  for (p = (const unsigned char *)id; *p != '\0'; p++) {
    h ^= (size_t)(*p >= 'A' && *p <= 'Z' ? *p + ('a' - 'A') : *p);
    h *= (size_t)1099511628211ULL;
  }
  return h;
}

/* The slot of id: the one holding it, or the empty one where it goes. */
static size_t slot_of(const rgs_order_aed_dir *d, const char *id)
{
  size_t mask = d->nslots - 1, i = id_hash(id) & mask;

  while (d->slot[i] != 0 && strcasecmp(d->a[d->slot[i] - 1].id, id) != 0)
    i = (i + 1) & mask;
  return i;
}

static rgs_order_rc grow_index(rgs_order_aed_dir *d)
{
  size_t nslots = d->nslots == 0 ? 32 : d->nslots * 2, i;
  size_t *slot = calloc(nslots, sizeof(*slot));

  if (slot == NULL)
    return RGS_ORDER_ERR_NOMEM;
  free(d->slot);
  d->slot = slot;
  d->nslots = nslots;
  for (i = 0; i < d->n; i++)
    d->slot[slot_of(d, d->a[i].id)] = i + 1;
  return RGS_ORDER_OK;
}

rgs_order_rc order_aed_dir_new(rgs_order_aed_dir **dir)
{
  if (*dir == NULL)
    *dir = calloc(1, sizeof(**dir));
  return *dir != NULL ? RGS_ORDER_OK : RGS_ORDER_ERR_NOMEM;
}

/* Room for n offices at once: a large file is read without a copy of the
 * offices at each doubling (untouched room costs no memory). */
static rgs_order_rc dir_reserve(rgs_order_aed_dir *d, size_t n)
{
  rgs_order_aed *grown;

  if (n <= d->cap)
    return RGS_ORDER_OK;
  grown = realloc(d->a, n * sizeof(*grown));
  if (grown == NULL)
    return RGS_ORDER_ERR_NOMEM;
  d->a = grown;
  d->cap = n;
  while (d->nslots < 2 * n)
    if (grow_index(d) != RGS_ORDER_OK)
      return RGS_ORDER_ERR_NOMEM;
  return RGS_ORDER_OK;
}

rgs_order_rc order_aed_dir_put(rgs_order_aed_dir **dir, const rgs_order_aed *a)
{
  rgs_order_aed_dir *d;
  rgs_order_aed *grown;
  size_t i;

  if (order_aed_dir_new(dir) != RGS_ORDER_OK)
    return RGS_ORDER_ERR_NOMEM;
  d = *dir;
  if (2 * (d->n + 1) > d->nslots && grow_index(d) != RGS_ORDER_OK)
    return RGS_ORDER_ERR_NOMEM;
  i = slot_of(d, a->id);
  if (d->slot[i] != 0) {
    d->a[d->slot[i] - 1] = *a;
    return RGS_ORDER_OK;
  }
  if (d->n == d->cap) {
    size_t cap = d->cap == 0 ? 16 : d->cap * 2;
    grown = realloc(d->a, cap * sizeof(*grown));
    if (grown == NULL)
      return RGS_ORDER_ERR_NOMEM;
    d->a = grown;
    d->cap = cap;
  }
  d->a[d->n++] = *a;
  d->slot[i] = d->n;
  return RGS_ORDER_OK;
}

void rgs_order_aed_dir_free(rgs_order_aed_dir *dir)
{
  if (dir == NULL)
    return;
  free(dir->slot);
  free(dir->a);
  free(dir);
}

size_t rgs_order_aed_dir_count(const rgs_order_aed_dir *dir)
{
  return dir != NULL ? dir->n : 0;
}

const rgs_order_aed *rgs_order_aed_dir_get(const rgs_order_aed_dir *dir, size_t i)
{
  return dir != NULL && i < dir->n ? &dir->a[i] : NULL;
}

const rgs_order_aed *rgs_order_aed_dir_find(const rgs_order_aed_dir *dir, const char *id)
{
  size_t i;

  if (dir == NULL || id == NULL || dir->n == 0)
    return NULL;
  i = slot_of(dir, id);
  return dir->slot[i] != 0 ? &dir->a[dir->slot[i] - 1] : NULL;
}

/* ---- one office ------------------------------------------------------------ */

static int id_ok(const char *id)
{
  const char *p;

  if (id[0] == '\0')
    return 0;
  for (p = id; *p != '\0'; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
      return 0;
  return 1;
}

/* The postal code's département is the office's (Corsica: 20xxx is 2A or 2B). */
static int dept_matches(const char *postal_code, const char *dept)
{
  char of_pc[4];

  if (rgs_order_dept_of_postal_code(postal_code, of_pc, sizeof(of_pc)) != RGS_ORDER_OK)
    return 0;
  if (strncmp(postal_code, "20", 2) == 0)
    return strcmp(dept, "2A") == 0 || strcmp(dept, "2B") == 0;
  return strcmp(of_pc, dept) == 0;
}

/* The départements served, separated by ';' ("84;30"): each checked and
 * written canonical ("1" -> "01") into out (when not NULL). */
static int served_parse(const char *text, char *out, size_t outlen, char *why, size_t whylen)
{
  char item[8], dept[4], canon[64] = "";
  const char *p = text, *e;
  size_t n, o = 0;

  while (*p != '\0') {
    while (*p == ' ')
      p++;
    e = strchr(p, ';');
    n = e != NULL ? (size_t)(e - p) : strlen(p);
    while (n > 0 && p[n - 1] == ' ')
      n--;
    if (n == 0 || n >= sizeof(item)) {
      snprintf(why, whylen, _("départements served '%s': a list like 13;84"), text);
      return 0;
    }
    memcpy(item, p, n);
    item[n] = '\0';
    if (rgs_order_dept_parse(item, dept, sizeof(dept), why, whylen) != RGS_ORDER_OK)
      return 0;
    o += (size_t)snprintf(canon + o, sizeof(canon) - o, "%s%s", o > 0 ? ";" : "", dept);
    if (o >= sizeof(canon)) {
      snprintf(why, whylen, "%s", _("départements served: the list is too long"));
      return 0;
    }
    p = e != NULL ? e + 1 : p + strlen(p);
  }
  if (out != NULL)
    snprintf(out, outlen, "%s", canon);
  return 1;
}

int order_aed_valid(const rgs_order_aed *a, char *why, size_t whylen)
{
  char dept[4];

  if (!id_ok(a->id)) {
    snprintf(why, whylen, _("id '%s': lower-case letters, digits and '-' only"), a->id);
    return 0;
  }
  if (!order_text_ok(a->name, sizeof(a->name)) || !order_text_ok(a->address, sizeof(a->address)) ||
      !order_text_ok(a->city, sizeof(a->city))) {
    snprintf(why, whylen, "%s", _("name, address and city must be non-empty UTF-8 text"));
    return 0;
  }
  if (rgs_order_dept_parse(a->dept, dept, sizeof(dept), why, whylen) != RGS_ORDER_OK)
    return 0;
  if (!dept_matches(a->postal_code, dept)) {
    snprintf(why, whylen, _("postal code '%s' is not a postal code of département %s"),
             a->postal_code, dept);
    return 0;
  }
  if (a->phone[0] != '\0' && !order_phone_ok(a->phone)) {
    snprintf(why, whylen, _("'%s' is not a telephone number"), a->phone);
    return 0;
  }
  if (a->email[0] != '\0' && !order_email_ok(a->email)) {
    snprintf(why, whylen, _("'%s' is not an email address"), a->email);
    return 0;
  }
  return served_parse(a->served, NULL, 0, why, whylen);
}

int rgs_order_aed_serves(const rgs_order_aed *a, const char *dept)
{
  size_t n = strlen(dept);
  const char *p;

  if (strcmp(a->dept, dept) == 0)
    return 1;
  for (p = a->served; n > 0 && (p = strstr(p, dept)) != NULL; p += n)
    if ((p == a->served || p[-1] == ';') && (p[n] == '\0' || p[n] == ';'))
      return 1;
  return 0;
}

/* ---- CSV --------------------------------------------------------------------- */

typedef enum { COL_ID, COL_NAME, COL_ADDRESS, COL_POSTAL, COL_CITY, COL_DEPT, COL_PHONE,
               COL_EMAIL, COL_DEPTS, COL_COUNT } column;

static const struct {
  const char *name;
  int required;
} columns[COL_COUNT] = {
  { "id", 1 }, { "name", 1 }, { "address", 1 }, { "postal_code", 1 }, { "city", 1 },
  { "department", 1 }, { "phone", 0 }, { "email", 0 }, { "depts", 0 },
};

typedef struct {
  const char *p, *end;
  unsigned line;             /* line of the current position */
  const char *name;
  char *err;
  size_t errlen;
} reader;

typedef struct {
  char field[MAX_COLUMNS][FIELD_MAX];
  size_t n;
  unsigned line;             /* where the record starts */
} record;

static rgs_order_rc fail_at(reader *r, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The message quotes the file's own bytes: printed through the sanitiser,
 * so that a directory file cannot drive the terminal. Always
 * RGS_ORDER_ERR_DIRECTORY: every failure of the reader is a malformed file. */
static rgs_order_rc fail_at(reader *r, unsigned line, const char *fmt, ...)
{
  char raw[1024];
  size_t o;
  va_list ap;

  o = (size_t)snprintf(raw, sizeof(raw), "%s:%u: ", r->name, line);
  if (o < sizeof(raw)) {
    va_start(ap, fmt);
    vsnprintf(raw + o, sizeof(raw) - o, fmt, ap);
    va_end(ap);
  }
  rgsx_sanitize_buf(r->err, r->errlen, raw, strlen(raw));
  return RGS_ORDER_ERR_DIRECTORY;
}

static void skip_line(reader *r)
{
  while (r->p < r->end && *r->p != '\n')
    r->p++;
  if (r->p < r->end) {
    r->p++;
    r->line++;
  }
}

static void trim(char *s)
{
  size_t n = strlen(s), i = 0;

  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    s[--n] = '\0';
  while (s[i] == ' ' || s[i] == '\t')
    i++;
  memmove(s, s + i, n - i + 1);
}

/* One field: quoted ("" for a quote, may span lines) or bare (trimmed). */
static rgs_order_rc read_field(reader *r, char *out, unsigned rec_line)
{
  size_t o = 0;
  int quoted = 0;

  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t'))
    r->p++;
  if (r->p < r->end && *r->p == '"') {
    quoted = 1;
    r->p++;
  }
  while (r->p < r->end) {
    char c = *r->p;
    if (quoted && c == '"') {
      if (r->p + 1 < r->end && r->p[1] == '"') {
        r->p++;
      } else {
        r->p++;
        quoted = 2;
        break;
      }
    } else if (!quoted && (c == ',' || c == '\n' || c == '\r')) {
      break;
    } else if (!quoted && c == '"') {
      return fail_at(r, r->line, "%s", _("a quote inside a field that does not start with one"));
    }
    if (c == '\n')
      r->line++;
    if (o + 1 >= FIELD_MAX)
      return fail_at(r, rec_line, _("a field longer than %d bytes"), FIELD_MAX - 1);
    out[o++] = *r->p++;
  }
  if (quoted == 1)
    return fail_at(r, rec_line, "%s", _("a quoted field is not closed"));
  out[o] = '\0';
  if (quoted == 2) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t'))
      r->p++;
    if (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r')
      return fail_at(r, r->line, "%s", _("text after a closing quote"));
  } else {
    trim(out);
  }
  return RGS_ORDER_OK;
}

/* The next record: *got is 1 when one was read, 0 at the end. */
static rgs_order_rc read_record(reader *r, record *rec, int *got)
{
  rgs_order_rc rc;

  *got = 0;
  for (;;) {
    if (r->p >= r->end)
      return RGS_ORDER_OK;
    if (*r->p == '#' || *r->p == '\n' || (*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n')) {
      skip_line(r);
      continue;
    }
    break;
  }
  rec->n = 0;
  rec->line = r->line;
  for (;;) {
    if (rec->n >= MAX_COLUMNS)
      return fail_at(r, rec->line, _("more than %d fields"), MAX_COLUMNS);
    rc = read_field(r, rec->field[rec->n], rec->line);
    if (rc != RGS_ORDER_OK)
      return rc;
    rec->n++;
    if (r->p < r->end && *r->p == ',') {
      r->p++;
      continue;
    }
    if (r->p < r->end && *r->p == '\r')
      r->p++;
    if (r->p < r->end && *r->p == '\n') {
      r->p++;
      r->line++;
    } else if (r->p < r->end) {
      return fail_at(r, rec->line, "%s", _("a carriage return alone in a line"));
    }
    *got = 1;
    return RGS_ORDER_OK;
  }
}

static rgs_order_rc map_header(reader *r, const record *h, int map[MAX_COLUMNS])
{
  int seen[COL_COUNT] = { 0 };
  size_t i, c;

  for (i = 0; i < h->n; i++) {
    for (c = 0; c < COL_COUNT; c++)
      if (strcasecmp(h->field[i], columns[c].name) == 0)
        break;
    if (c == COL_COUNT)
      return fail_at(r, h->line, _("unknown column '%s' (columns: id, name, address, postal_code, city, department, phone, email, depts)"),
                     h->field[i]);
    if (seen[c])
      return fail_at(r, h->line, _("column '%s' twice"), columns[c].name);
    seen[c] = 1;
    map[i] = (int)c;
  }
  for (c = 0; c < COL_COUNT; c++)
    if (columns[c].required && !seen[c])
      return fail_at(r, h->line, _("column '%s' is missing from the header"), columns[c].name);
  return RGS_ORDER_OK;
}

static rgs_order_rc copy_field(reader *r, unsigned line, char *dst, size_t len,
                               const char *src, const char *what)
{
  if (strlen(src) >= len)
    return fail_at(r, line, _("%s too long (%zu bytes at most)"), what, len - 1);
  memcpy(dst, src, strlen(src) + 1);
  return RGS_ORDER_OK;
}

static rgs_order_rc record_to_aed(reader *r, const record *rec, const int map[MAX_COLUMNS],
                                  size_t ncol, rgs_order_aed *a)
{
  char why[256];
  size_t i;
  rgs_order_rc bad = RGS_ORDER_OK;

  memset(a, 0, sizeof(*a));
  if (rec->n != ncol)
    return fail_at(r, rec->line, _("%zu fields, the header has %zu"), rec->n, ncol);
  for (i = 0; i < rec->n && !bad; i++) {
    const char *v = rec->field[i];
    switch ((column)map[i]) {
    case COL_ID: bad = copy_field(r, rec->line, a->id, sizeof(a->id), v, "id"); break;
    case COL_NAME: bad = copy_field(r, rec->line, a->name, sizeof(a->name), v, "name"); break;
    case COL_ADDRESS: bad = copy_field(r, rec->line, a->address, sizeof(a->address), v, "address"); break;
    case COL_POSTAL: bad = copy_field(r, rec->line, a->postal_code, sizeof(a->postal_code), v, "postal_code"); break;
    case COL_CITY: bad = copy_field(r, rec->line, a->city, sizeof(a->city), v, "city"); break;
    case COL_DEPT: bad = copy_field(r, rec->line, a->dept, sizeof(a->dept), v, "department"); break;
    case COL_PHONE: bad = copy_field(r, rec->line, a->phone, sizeof(a->phone), v, "phone"); break;
    case COL_EMAIL: bad = copy_field(r, rec->line, a->email, sizeof(a->email), v, "email"); break;
    case COL_DEPTS: bad = copy_field(r, rec->line, a->served, sizeof(a->served), v, "depts"); break;
    case COL_COUNT: break;
    }
  }
  if (bad != RGS_ORDER_OK)
    return bad;
  if (!order_aed_valid(a, why, sizeof(why)))
    return fail_at(r, rec->line, "%s", why);
  /* Canonical département ("1" -> "01", "2a" -> "2A"). */
  rgs_order_dept_parse(a->dept, a->dept, sizeof(a->dept), why, sizeof(why));
  served_parse(a->served, a->served, sizeof(a->served), why, sizeof(why));
  snprintf(a->source, sizeof(a->source), "%s:%u", r->name, rec->line);
  return RGS_ORDER_OK;
}

/* Room to reserve before parsing: one record per line at most, capped so
 * that a file of blank lines cannot make us reserve hundreds of MB before
 * its first bad line; past the cap the directory grows by doubling. */
#define DIR_RESERVE_MAX 4096

static size_t lines_in(const reader *r)
{
  const char *p = r->p;
  size_t n = 0;

  while (p < r->end && n < DIR_RESERVE_MAX) {
    p = memchr(p, '\n', (size_t)(r->end - p));
    if (p == NULL)
      break;
    p++;
    n++;
  }
  return n + 1;
}

static rgs_order_rc parse_all(reader *r, rgs_order_aed_dir **parsed)
{
  record *rec = NULL;
  int map[MAX_COLUMNS];
  size_t ncol;
  rgs_order_aed a;
  const rgs_order_aed *dup;
  rgs_order_rc rc = RGS_ORDER_ERR_DIRECTORY;
  int got;

  rec = malloc(sizeof(*rec));
  if (rec == NULL || order_aed_dir_new(parsed) != RGS_ORDER_OK ||
      dir_reserve(*parsed, lines_in(r)) != RGS_ORDER_OK) {
    free(rec);
    return RGS_ORDER_ERR_NOMEM;
  }
  if (read_record(r, rec, &got) != RGS_ORDER_OK)
    goto cleanup;
  if (got == 0) {
    fail_at(r, r->line, "%s", _("no header line (id,name,address,postal_code,city,department)"));
    goto cleanup;
  }
  if (map_header(r, rec, map) != RGS_ORDER_OK)
    goto cleanup;
  ncol = rec->n;
  for (;;) {
    if (read_record(r, rec, &got) != RGS_ORDER_OK)
      goto cleanup;
    if (got == 0)
      break;
    if (record_to_aed(r, rec, map, ncol, &a) != RGS_ORDER_OK)
      goto cleanup;
    dup = rgs_order_aed_dir_find(*parsed, a.id);
    if (dup != NULL) {
      fail_at(r, rec->line, _("id '%s' already used at %s"), a.id, dup->source);
      goto cleanup;
    }
    if (rgs_order_aed_dir_count(*parsed) >= DIR_OFFICES_MAX) {
      fail_at(r, rec->line, _("more than %d offices"), DIR_OFFICES_MAX);
      goto cleanup;
    }
    rc = order_aed_dir_put(parsed, &a);
    if (rc != RGS_ORDER_OK)
      goto cleanup;
    rc = RGS_ORDER_ERR_DIRECTORY;
  }
  rc = RGS_ORDER_OK;

cleanup:
  free(rec);
  return rc;
}

rgs_order_rc rgs_order_aed_dir_load_mem(rgs_order_aed_dir **dir, const char *name,
                                        const char *text, size_t len, char *err,
                                        size_t errlen)
{
  rgs_order_aed_dir *parsed = NULL;
  char dummy[8];
  reader r;
  rgs_order_rc rc;
  size_t i;

  if (dir == NULL || text == NULL)
    return RGS_ORDER_ERR_ARG;
  memset(&r, 0, sizeof(r));
  r.p = text;
  r.end = text + len;
  r.line = 1;
  r.name = name != NULL ? name : "-";
  r.err = err != NULL ? err : dummy;
  r.errlen = err != NULL ? errlen : sizeof(dummy);
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
    r.p += 3;
  if (memchr(text, '\0', len) != NULL) {
    fail_at(&r, 1, "%s", _("binary data, not a CSV text file"));
    return RGS_ORDER_ERR_DIRECTORY;
  }
  rc = parse_all(&r, &parsed);
  /* All or nothing: the offices join *dir only once the file is whole
   * (handed over as they are when *dir has none yet). */
  if (rc == RGS_ORDER_OK && rgs_order_aed_dir_count(*dir) == 0) {
    rgs_order_aed_dir_free(*dir);
    *dir = parsed;
    parsed = NULL;
  }
  for (i = 0; rc == RGS_ORDER_OK && parsed != NULL && i < parsed->n; i++)
    rc = order_aed_dir_put(dir, &parsed->a[i]);
  if (rc == RGS_ORDER_OK)
    rc = order_aed_dir_new(dir);
  rgs_order_aed_dir_free(parsed);
  return rc;
}

/* The whole file, read with its size known (one allocation, no guess). */
static rgs_order_rc read_whole(const char *path, char **buf, size_t *len, char *err,
                               size_t errlen)
{
  struct stat sb;
  rgsx_rc xrc = RGSX_OK;
  size_t got = 0;
  ssize_t n;
  int fd = rgsx_open_regular(path, &xrc);

  *buf = NULL;
  if (fd < 0) {
    snprintf(err, errlen, "%s: %s", path,
             xrc == RGSX_ERR_SYSTEM ? strerror(errno) : rgsx_strerror(xrc));
    return RGS_ORDER_ERR_IO;
  }
  if (fstat(fd, &sb) != 0) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    close(fd);
    return RGS_ORDER_ERR_IO;
  }
  if (sb.st_size > DIR_FILE_MAX) {
    snprintf(err, errlen, _("%s: larger than %d bytes"), path, DIR_FILE_MAX);
    close(fd);
    return RGS_ORDER_ERR_DIRECTORY;
  }
  *buf = malloc((size_t)sb.st_size + 1);
  if (*buf == NULL) {
    close(fd);
    return RGS_ORDER_ERR_NOMEM;
  }
  /* A file that grows meanwhile is read up to the size seen. */
  while (got < (size_t)sb.st_size) {
    n = read(fd, *buf + got, (size_t)sb.st_size - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      snprintf(err, errlen, "%s: %s", path, strerror(errno));
      close(fd);
      free(*buf);
      *buf = NULL;
      return RGS_ORDER_ERR_IO;
    }
    if (n == 0)
      break;
    got += (size_t)n;
  }
  close(fd);
  *len = got;
  return RGS_ORDER_OK;
}

rgs_order_rc rgs_order_aed_dir_load(rgs_order_aed_dir **dir, const char *path, char *err,
                                    size_t errlen)
{
  char *buf = NULL, dummy[8];
  size_t n = 0;
  rgs_order_rc rc;

  if (dir == NULL || path == NULL)
    return RGS_ORDER_ERR_ARG;
  if (err == NULL) {
    err = dummy;
    errlen = sizeof(dummy);
  }
  rc = read_whole(path, &buf, &n, err, errlen);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_aed_dir_load_mem(dir, path, buf, n, err, errlen);
  free(buf);
  return rc;
}

/* ---- the offices of one département, from the store ----------------------------- */

/* The départements an office of the store serves besides its own. */
static rgs_order_rc served_of(rgs_order_store *s, sqlite3_stmt *sv, rgs_order_aed *a)
{
  int src;

  sqlite3_reset(sv);
  sqlite3_bind_text(sv, 1, a->id, -1, SQLITE_TRANSIENT);
  src = sqlite3_step(sv);
  if (src == SQLITE_ROW)
    order_column_text(sv, 0, a->served, sizeof(a->served));
  else if (src != SQLITE_DONE)
    return order_sqlite_fail(s, src, _("reading the AED offices"));
  return RGS_ORDER_OK;
}

/* Put every office the statement yields into *dir (same id: replaced). */
rgs_order_rc order_aed_put_rows(rgs_order_store *s, sqlite3_stmt *st, rgs_order_aed_dir **dir)
{
  sqlite3_stmt *sv = NULL;
  rgs_order_aed a;
  rgs_order_rc rc;
  int src = SQLITE_DONE;

  rc = order_prepare(s, "SELECT depts FROM aed_office_served WHERE office_id = ?", &sv);

  while (rc == RGS_ORDER_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
    memset(&a, 0, sizeof(a));
    order_column_text(st, 0, a.id, sizeof(a.id));
    order_column_text(st, 1, a.name, sizeof(a.name));
    order_column_text(st, 2, a.address, sizeof(a.address));
    order_column_text(st, 3, a.postal_code, sizeof(a.postal_code));
    order_column_text(st, 4, a.city, sizeof(a.city));
    order_column_text(st, 5, a.dept, sizeof(a.dept));
    order_column_text(st, 6, a.phone, sizeof(a.phone));
    order_column_text(st, 7, a.email, sizeof(a.email));
    order_column_text(st, 8, a.source, sizeof(a.source));
    rc = served_of(s, sv, &a);
    if (rc == RGS_ORDER_OK)
      rc = order_aed_dir_put(dir, &a);
  }
  sqlite3_finalize(sv);
  if (rc == RGS_ORDER_OK && src != SQLITE_DONE)
    rc = order_sqlite_fail(s, src, _("reading the AED offices"));
  return rc;
}

/* 1 when the last import replaced the shipped directory. */
static rgs_order_rc shipped_replaced(rgs_order_store *s, int *replaced)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  int src;

  *replaced = 0;
  rc = order_prepare(s, "SELECT value FROM settings WHERE key = 'aed.replace'", &st);
  if (rc != RGS_ORDER_OK)
    return rc;
  src = sqlite3_step(st);
  if (src == SQLITE_ROW)
    *replaced = sqlite3_column_text(st, 0) != NULL &&
                strcmp((const char *)sqlite3_column_text(st, 0), "1") == 0;
  else if (src != SQLITE_DONE)
    rc = order_sqlite_fail(s, src, _("reading the store"));
  sqlite3_finalize(st);
  return rc;
}

/* Shipped offices that an import replaced take the imported version, in
 * their place, as rgs_order_aed_directory() does (whatever its dept). */
static rgs_order_rc apply_imported(rgs_order_store *s, rgs_order_aed_dir **dir)
{
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  size_t i, n = rgs_order_aed_dir_count(*dir);

  rc = order_prepare(s, "SELECT " ORDER_AED_COLUMNS " FROM aed_office WHERE id = ?", &st);
  for (i = 0; rc == RGS_ORDER_OK && i < n; i++) {
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, (*dir)->a[i].id, -1, SQLITE_TRANSIENT);
    rc = order_aed_put_rows(s, st, dir);
  }
  sqlite3_finalize(st);
  return rc;
}

rgs_order_rc rgs_order_aed_directory_dept(rgs_order_store *s, const char *shipped_path,
                                          const char *dept, rgs_order_aed_dir **out)
{
  rgs_order_aed_dir *all = NULL;
  sqlite3_stmt *st = NULL;
  rgs_order_rc rc;
  size_t i;
  int replaced = 0;

  if (s == NULL || dept == NULL || out == NULL)
    return RGS_ORDER_ERR_ARG;
  *out = NULL;
  rc = shipped_replaced(s, &replaced);
  if (rc == RGS_ORDER_OK && shipped_path != NULL && !replaced)
    rc = rgs_order_aed_dir_load(&all, shipped_path, s->err, sizeof(s->err));
  if (rc == RGS_ORDER_OK)
    rc = apply_imported(s, &all);
  /* The index on dept: only this département's rows are read. */
  if (rc == RGS_ORDER_OK)
    rc = order_prepare(s, "SELECT " ORDER_AED_COLUMNS " FROM aed_office WHERE dept = ?1 "
                          "OR id IN (SELECT office_id FROM aed_office_served "
                          "WHERE ';' || depts || ';' LIKE '%;' || ?1 || ';%') ORDER BY rowid", &st);
  if (rc == RGS_ORDER_OK) {
    sqlite3_bind_text(st, 1, dept, -1, SQLITE_TRANSIENT);
    rc = order_aed_put_rows(s, st, &all);
  }
  sqlite3_finalize(st);
  if (rc == RGS_ORDER_OK)
    rc = order_aed_dir_new(out);
  for (i = 0; rc == RGS_ORDER_OK && i < rgs_order_aed_dir_count(all); i++)
    if (rgs_order_aed_serves(&all->a[i], dept))
      rc = order_aed_dir_put(out, &all->a[i]);
  rgs_order_aed_dir_free(all);
  if (rc != RGS_ORDER_OK) {
    rgs_order_aed_dir_free(*out);
    *out = NULL;
  }
  return rc;
}
