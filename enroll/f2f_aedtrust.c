/* SPDX-License-Identifier: BSD-3-Clause */
/* f2f_aedtrust.c - who counts as an AED: the AED trust files (format in
 * f2f_record.h) and the check of a record's signer against them.
 *
 * A certificate that chains to some trusted CA proves a name, not a role:
 * the holder's own certificate chains too. So the role is data, like the
 * qualified devices: an issuer that issues AED certificates plus the policy
 * or EKU that marks them, or the AED certificates themselves, pinned. The
 * files are untrusted input: bounded, all or nothing, errors at FILE:LINE. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include "certcheck.h"
#include "f2f_record.h"
#include "rgs_common.h"
#include "rgsx_i18n.h"

#define TRUST_MAX_FILE (256 * 1024)
#define TRUST_MAX_LINE 1024
#define TRUST_MAX_ENTRIES 256
#define TRUST_MAX_NAME 128
#define TRUST_MAX_RDNS 16
#define ISSUER_MAX_FILE (64 * 1024)

struct rgs_f2f_aed_trust {
  rgs_f2f_aed_entry **e;        /* pointers: entries handed out never move */
  size_t n, cap;
  X509_STORE *anchors;
  char files[1024];
};

/* Keys of a section, one bit each for duplicates. */
enum { KEY_ISSUER = 1u << 0, KEY_ISSUER_FILE = 1u << 1, KEY_POLICY = 1u << 2,
       KEY_EKU = 1u << 3, KEY_DEMO = 1u << 4 };

typedef struct {
  const char *name;             /* for messages */
  unsigned line;
  char *err;
  size_t errlen;
  rgs_f2f_aed_entry **e;        /* this load's entries */
  size_t n, cap;
  unsigned keys;                /* seen in the current section */
} load_state;


/* "NAME:LINE: reason"; returns the error code, for a tail call. */
static rgs_f2f_rc fail_at(load_state *ls, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static rgs_f2f_rc fail_at(load_state *ls, const char *fmt, ...)
{
  char why[512], name[256];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(why, sizeof(why), fmt, ap);
  va_end(ap);
  rgsx_sanitize_buf(name, sizeof(name), ls->name, strlen(ls->name));
  rgsx_errf(ls->err, ls->errlen, "%s:%u: %s", name, ls->line, why);
  ERR_clear_error();
  return RGS_F2F_ERR_TRUST_FILE;
}

static void entry_free(rgs_f2f_aed_entry *e)
{
  if (e == NULL)
    return;
  free(e->name);
  free(e->file);
  X509_NAME_free(e->issuer);
  X509_free(e->issuer_cert);
  ASN1_OBJECT_free(e->policy);
  ASN1_OBJECT_free(e->eku);
  free(e);
}

rgs_f2f_aed_trust *rgs_f2f_aed_trust_new(void)
{
  rgs_f2f_aed_trust *t = calloc(1, sizeof(*t));

  if (t == NULL)
    return NULL;
  t->anchors = X509_STORE_new();
  if (t->anchors == NULL) {
    free(t);
    return NULL;
  }
  return t;
}

void rgs_f2f_aed_trust_free(rgs_f2f_aed_trust *t)
{
  size_t i;

  if (t == NULL)
    return;
  for (i = 0; i < t->n; i++)
    entry_free(t->e[i]);
  free(t->e);
  X509_STORE_free(t->anchors);
  free(t);
}

size_t rgs_f2f_aed_trust_count(const rgs_f2f_aed_trust *t)
{
  return t != NULL ? t->n : 0;
}

const rgs_f2f_aed_entry *rgs_f2f_aed_trust_get(const rgs_f2f_aed_trust *t, size_t i)
{
  return t != NULL && i < t->n ? t->e[i] : NULL;
}

const char *rgs_f2f_aed_trust_files(const rgs_f2f_aed_trust *t)
{
  return t != NULL && t->files[0] != '\0' ? t->files : _("(no file)");
}

/* ---- values ----------------------------------------------------------------- */

static char *trim(char *s)
{
  char *end;

  while (*s == ' ' || *s == '\t')
    s++;
  end = s + strlen(s);
  while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
    *--end = '\0';
  return s;
}

/* A subject DN as written by people and by OpenSSL: "C=FR, O=X, CN=Y"
 * (blanks around '=' allowed, '\' quotes the next character) or
 * "/C=FR/O=X/CN=Y", the first attribute the most significant. Multi-valued
 * RDNs ('+') are refused: the issuer is compared whole. */
static X509_NAME *parse_dn(const char *text, char *why, size_t whylen)
{
  X509_NAME *name = X509_NAME_new();
  char sep = text[0] == '/' ? '/' : ',';
  const char *p = text[0] == '/' ? text + 1 : text;
  char rdn[TRUST_MAX_LINE];
  int n_rdns = 0;

  if (name == NULL) {
    rgsx_errf(why, whylen, "%s", _("out of memory"));
    return NULL;
  }
  while (*p != '\0') {
    size_t k = 0;
    char *eq = NULL, *type, *value;
    int nid;
    while (*p != '\0' && *p != sep && k + 1 < sizeof(rdn)) {
      if (*p == '+' && sep == ',') {
        rgsx_errf(why, whylen, "%s", _("a multi-valued name part ('+') is not accepted"));
        goto fail;
      }
      if (*p == '\\' && p[1] != '\0')
        p++;
      else if (*p == '=' && eq == NULL)
        eq = rdn + k;
      rdn[k++] = *p++;
    }
    rdn[k] = '\0';
    if (*p == sep)
      p++;
    if (eq == NULL) {
      rgsx_errf(why, whylen, "%s", _("each part of the name is TYPE=VALUE"));
      goto fail;
    }
    *eq = '\0';
    type = trim(rdn);
    value = trim(eq + 1);
    nid = OBJ_txt2nid(type);
    if (nid == NID_undef) {
      char clean[64];
      rgsx_errf(why, whylen, _("unknown attribute type '%s'"),
              rgsx_sanitize_buf(clean, sizeof(clean), type, strlen(type)));
      goto fail;
    }
    if (value[0] == '\0' || ++n_rdns > TRUST_MAX_RDNS ||
        !X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, (const unsigned char *)value,
                                    -1, -1, 0)) {
      rgsx_errf(why, whylen, _("bad or empty value for %s"), OBJ_nid2sn(nid));
      goto fail;
    }
  }
  if (n_rdns == 0) {
    rgsx_errf(why, whylen, "%s", _("empty name"));
    goto fail;
  }
  return name;

fail:
  X509_NAME_free(name);
  ERR_clear_error();
  return NULL;
}

/* A numeric OID, "1.2.250.1...". */
static ASN1_OBJECT *parse_oid(const char *text)
{
  const char *p;
  int dots = 0;

  if (strlen(text) > 200 || text[0] < '0' || text[0] > '2')
    return NULL;
  for (p = text; *p != '\0'; p++) {
    if (*p == '.') {
      if (p[1] < '0' || p[1] > '9')
        return NULL;
      dots++;
    } else if (*p < '0' || *p > '9') {
      return NULL;
    }
  }
  return dots > 0 ? OBJ_txt2obj(text, 1) : NULL;
}

/* A pinned certificate's SHA-256 in hex (colons and blanks ignored):
 * 1 with its 32 bytes in out, 0 when it is not one. */
static int parse_pin(const char *text, unsigned char out[32])
{
  size_t n = 0;
  const char *p;

  for (p = text; *p != '\0'; p++) {
    int v;
    if (*p == ':' || *p == ' ' || *p == '\t')
      continue;
    if (*p >= '0' && *p <= '9')
      v = *p - '0';
    else if (*p >= 'a' && *p <= 'f')
      v = *p - 'a' + 10;
    else if (*p >= 'A' && *p <= 'F')
      v = *p - 'A' + 10;
    else
      return 0;
    if (n >= 64)
      return 0;
    if (n % 2 == 0)
      out[n / 2] = (unsigned char)(v << 4);
    else
      out[n / 2] |= (unsigned char)v;
    n++;
  }
  return n == 64;
}

/* The issuing CA's certificate, PEM or DER, from a regular file of at most
 * ISSUER_MAX_FILE bytes; a relative path is taken from the trust file's
 * directory. */
static X509 *read_issuer(load_state *ls, const char *path, rgs_f2f_rc *rc)
{
  char full[4096], shown[512], buf[ISSUER_MAX_FILE + 1];
  const char *slash = strrchr(ls->name, '/');
  rgsx_rc xrc = RGSX_OK;
  const unsigned char *q;
  X509 *cert = NULL;
  BIO *b = NULL;
  FILE *f;
  size_t n;

  if (path[0] != '/' && slash != NULL)
    snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - ls->name), ls->name, path);
  else
    snprintf(full, sizeof(full), "%s", path);
  /* The trust file's directory comes from the command line: shown
   * sanitised like any file-derived text. */
  rgsx_sanitize_buf(shown, sizeof(shown), full, strlen(full));
  f = rgsx_fopen_regular(full, &xrc);
  if (f == NULL) {
    *rc = fail_at(ls, _("issuer-file %s: %s"), shown,
                  xrc == RGSX_ERR_SYSTEM ? strerror(errno) : rgsx_strerror(xrc));
    return NULL;
  }
  n = fread(buf, 1, sizeof(buf), f);
  fclose(f);
  if (n == 0 || n > ISSUER_MAX_FILE) {
    *rc = fail_at(ls, _("issuer-file %s: empty, or larger than %d KiB"), shown,
                  ISSUER_MAX_FILE / 1024);
    return NULL;
  }
  b = BIO_new_mem_buf(buf, (int)n);
  cert = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
  BIO_free(b);
  if (cert == NULL) {
    q = (const unsigned char *)buf;
    cert = d2i_X509(NULL, &q, (long)n);
  }
  if (cert == NULL) {
    *rc = fail_at(ls, _("issuer-file %s: not a certificate (PEM or DER)"), shown);
    return NULL;
  }
  if (X509_check_ca(cert) == 0) {
    X509_free(cert);
    *rc = fail_at(ls, _("issuer-file %s: not a CA certificate"), shown);
    return NULL;
  }
  ERR_clear_error();
  return cert;
}

/* ---- the parser --------------------------------------------------------------- */

static rgs_f2f_aed_entry *current(load_state *ls)
{
  return ls->n > 0 ? ls->e[ls->n - 1] : NULL;
}

/* The section just ended must make sense on its own. */
static rgs_f2f_rc finish_entry(load_state *ls)
{
  rgs_f2f_aed_entry *e = current(ls);
  unsigned line = ls->line;
  rgs_f2f_rc rc = RGS_F2F_OK;

  if (e == NULL)
    return RGS_F2F_OK;
  ls->line = e->line;
  if (e->n_pins > 0) {
    e->kind = RGS_F2F_AED_PINNED;
    if (e->issuer != NULL || e->issuer_cert != NULL || e->policy != NULL || e->eku != NULL)
      rc = fail_at(ls, "%s", _("an entry pins certificates (sha256) or names an issuer with its policy or EKU, not both"));
  } else if (e->issuer == NULL && e->issuer_cert == NULL) {
    rc = fail_at(ls, "%s", _("the entry names no issuer and no pinned certificate (sha256)"));
  } else if (e->policy == NULL && e->eku == NULL) {
    rc = fail_at(ls, "%s", _("an issuer alone would admit every certificate it issues: add policy = OID or eku = OID"));
  } else if (e->issuer != NULL && e->issuer_cert != NULL &&
             X509_NAME_cmp(e->issuer, X509_get_subject_name(e->issuer_cert)) != 0) {
    rc = fail_at(ls, "%s", _("issuer and the subject of issuer-file differ"));
  } else {
    e->kind = RGS_F2F_AED_BY_ISSUER;
  }
  ls->line = line;
  return rc;
}

/* [aed "NAME"] */
static rgs_f2f_rc section(load_state *ls, char *s)
{
  rgs_f2f_aed_entry *e = NULL, **grown;
  char *name, *end;
  size_t len;
  rgs_f2f_rc rc = finish_entry(ls);

  if (rc != RGS_F2F_OK)
    return rc;
  if (strncmp(s, "[aed", 4) != 0 || (s[4] != ' ' && s[4] != '\t'))
    return fail_at(ls, "%s", _("a section is [aed \"NAME\"]"));
  name = s + 4;
  while (*name == ' ' || *name == '\t')
    name++;
  if (*name != '"')
    return fail_at(ls, "%s", _("a section is [aed \"NAME\"]"));
  name++;
  end = strchr(name, '"');
  if (end == NULL)
    return fail_at(ls, "%s", _("unterminated quote in the section name"));
  len = (size_t)(end - name);
  *end++ = '\0';
  end = trim(end);
  if (strcmp(end, "]") != 0)
    return fail_at(ls, "%s", _("a section is [aed \"NAME\"]"));
  if (len == 0 || len > TRUST_MAX_NAME || !rgsx_is_clean(name, len))
    return fail_at(ls, _("an entry's name is 1 to %d printable characters"), TRUST_MAX_NAME);
  if (ls->n >= TRUST_MAX_ENTRIES)
    return fail_at(ls, _("more than %d entries"), TRUST_MAX_ENTRIES);
  if (ls->n == ls->cap) {
    size_t cap = ls->cap == 0 ? 8 : ls->cap * 2;
    grown = realloc(ls->e, cap * sizeof(*grown));
    if (grown == NULL)
      return fail_at(ls, "%s", _("out of memory"));
    ls->e = grown;
    ls->cap = cap;
  }
  e = calloc(1, sizeof(*e));
  if (e == NULL || (e->name = strdup(name)) == NULL ||
      (e->file = rgsx_sanitize(ls->name, (size_t)-1)) == NULL) {
    entry_free(e);
    return fail_at(ls, "%s", _("out of memory"));
  }
  e->line = ls->line;
  ls->e[ls->n++] = e;
  ls->keys = 0;
  return RGS_F2F_OK;
}

static rgs_f2f_rc once(load_state *ls, unsigned key, const char *word)
{
  if (ls->keys & key)
    return fail_at(ls, _("%s is given twice in this entry"), word);
  ls->keys |= key;
  return RGS_F2F_OK;
}

/* key = value */
static rgs_f2f_rc setting(load_state *ls, char *s)
{
  rgs_f2f_aed_entry *e = current(ls);
  char *eq = strchr(s, '='), *key, *value, why[256], clean[64];
  size_t vlen;
  rgs_f2f_rc rc = RGS_F2F_OK;

  if (eq == NULL)
    return fail_at(ls, "%s", _("a line is a comment, [aed \"NAME\"] or key = value"));
  if (e == NULL)
    return fail_at(ls, "%s", _("a setting outside an [aed \"NAME\"] section"));
  *eq = '\0';
  key = trim(s);
  value = trim(eq + 1);
  vlen = strlen(value);
  if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
    value[vlen - 1] = '\0';
    value++;
  }
  if (value[0] == '\0')
    return fail_at(ls, _("%s has no value"), rgsx_sanitize_buf(clean, sizeof(clean), key, strlen(key)));
  if (strcmp(key, "issuer") == 0) {
    rc = once(ls, KEY_ISSUER, key);
    if (rc == RGS_F2F_OK && (e->issuer = parse_dn(value, why, sizeof(why))) == NULL)
      rc = fail_at(ls, _("issuer: %s"), why);
  } else if (strcmp(key, "issuer-file") == 0) {
    rc = once(ls, KEY_ISSUER_FILE, key);
    if (rc == RGS_F2F_OK)
      e->issuer_cert = read_issuer(ls, value, &rc);
  } else if (strcmp(key, "policy") == 0 || strcmp(key, "eku") == 0) {
    int is_policy = key[0] == 'p';
    rc = once(ls, is_policy ? KEY_POLICY : KEY_EKU, key);
    if (rc == RGS_F2F_OK) {
      ASN1_OBJECT *oid = parse_oid(value);
      if (oid == NULL)
        return fail_at(ls, _("%s: a numeric OID such as 1.2.250.1.177.1 is needed"), key);
      if (is_policy)
        e->policy = oid;
      else
        e->eku = oid;
    }
  } else if (strcmp(key, "sha256") == 0) {
    if (e->n_pins >= RGS_F2F_AED_MAX_PINS)
      return fail_at(ls, _("more than %d pinned certificates in one entry"), RGS_F2F_AED_MAX_PINS);
    if (!parse_pin(value, e->pins[e->n_pins]))
      return fail_at(ls, "%s", _("sha256: 64 hexadecimal digits (colons allowed) are needed"));
    e->n_pins++;
  } else if (strcmp(key, "demo") == 0) {
    rc = once(ls, KEY_DEMO, key);
    if (rc == RGS_F2F_OK && strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
      return fail_at(ls, "%s", _("demo is yes or no"));
    e->demo = strcmp(value, "yes") == 0;
  } else {
    return fail_at(ls, _("unknown setting '%s' (issuer, issuer-file, policy, eku, sha256, demo)"),
                   rgsx_sanitize_buf(clean, sizeof(clean), key, strlen(key)));
  }
  return rc;
}

/* A line is plain UTF-8 text: no NUL, no control but a tab, no
 * bidirectional override. Whatever a value holds may reach a terminal in a
 * message; a file with an escape sequence in it was not written by hand. */
static rgs_f2f_rc check_text(load_state *ls, const char *p, size_t n)
{
  const char *why = NULL;
  size_t i, start = 0;

  switch (rgsx_text_check(p, n, RGSX_TEXT_BLANKS)) {
  case RGSX_TEXT_OK:
    break;
  case RGSX_TEXT_UTF16:
    why = _("the file is in UTF-16 (as Notepad saves \"Unicode\"): save it as UTF-8");
    break;
  case RGSX_TEXT_NUL:
    why = _("NUL byte in the line (is this a text file?)");
    break;
  case RGSX_TEXT_NOT_UTF8:
    why = _("not UTF-8 text (an accented letter saved as Windows-1252?): save the file as UTF-8");
    break;
  case RGSX_TEXT_CONTROL:
    why = _("control character in the line");
    break;
  }
  /* RGSX_TEXT_BLANKS lets a CR through as a blank: only a tab is one here
   * (the CR of a CRLF end is gone already). */
  if (why == NULL && memchr(p, '\r', n) != NULL)
    why = _("control character in the line");
  /* Between the tabs, what the sanitiser would still change is a
   * bidirectional override or isolate. */
  for (i = 0; why == NULL && i <= n; i++) {
    if (i < n && p[i] != '\t')
      continue;
    if (!rgsx_is_clean(p + start, i - start))
      why = _("bidirectional override character in the line");
    start = i + 1;
  }
  return why == NULL ? RGS_F2F_OK : fail_at(ls, "%s", why);
}

static rgs_f2f_rc parse_line(load_state *ls, const char *start, size_t n)
{
  char line[TRUST_MAX_LINE + 1], *s;
  rgs_f2f_rc rc;

  if (n > 0 && start[n - 1] == '\r')
    n--;
  if (n > TRUST_MAX_LINE)
    return fail_at(ls, _("line longer than %d bytes"), TRUST_MAX_LINE);
  rc = check_text(ls, start, n);
  if (rc != RGS_F2F_OK)
    return rc;
  memcpy(line, start, n);
  line[n] = '\0';
  s = trim(line);
  if (s[0] == '\0' || s[0] == '#')
    return RGS_F2F_OK;
  if (s[0] == '[')
    return section(ls, s);
  return setting(ls, s);
}

/* The names of the files loaded, for messages; cut with "..." when long. */
static void note_file(rgs_f2f_aed_trust *t, const char *name)
{
  size_t used = strlen(t->files), need = strlen(name) + 2;
  char clean[512];

  rgsx_sanitize_buf(clean, sizeof(clean), name, strlen(name));
  if (used + need + 4 >= sizeof(t->files)) {
    if (used + 4 < sizeof(t->files) && strstr(t->files, "...") == NULL)
      strcat(t->files, ", ...");
    return;
  }
  if (used > 0)
    strcat(t->files, ", ");
  strcat(t->files, clean);
}

rgs_f2f_rc rgs_f2f_aed_trust_load_mem(rgs_f2f_aed_trust *t, const char *name,
                                      const char *text, size_t len, char *err,
                                      size_t errlen)
{
  load_state ls;
  size_t off = 0, i;
  rgs_f2f_aed_entry **grown;
  rgs_f2f_rc rc = RGS_F2F_OK;

  memset(&ls, 0, sizeof(ls));
  ls.name = name != NULL ? name : "?";
  ls.err = err;
  ls.errlen = errlen;
  if (t == NULL || (text == NULL && len > 0))
    return fail_at(&ls, "%s", _("nothing to read"));
  if (len > TRUST_MAX_FILE)
    return fail_at(&ls, _("larger than %d KiB"), TRUST_MAX_FILE / 1024);
  if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
    off = 3;                     /* a Windows editor's byte-order mark */
  while (rc == RGS_F2F_OK && off < len) {
    const char *nl = memchr(text + off, '\n', len - off);
    size_t n = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
    ls.line++;
    rc = parse_line(&ls, text + off, n);
    off += n + (nl != NULL);
  }
  if (rc == RGS_F2F_OK)
    rc = finish_entry(&ls);
  if (rc == RGS_F2F_OK && t->n + ls.n > TRUST_MAX_ENTRIES)
    rc = fail_at(&ls, _("more than %d entries in all"), TRUST_MAX_ENTRIES);
  if (rc == RGS_F2F_OK && ls.n > 0) {
    grown = realloc(t->e, (t->n + ls.n) * sizeof(*grown));
    if (grown == NULL)
      rc = fail_at(&ls, "%s", _("out of memory"));
    else
      t->e = grown;
  }
  /* The issuers named by file are anchors; a store keeps its own reference.
   * A failure here leaves anchors behind, harmless: only listed entries
   * make an AED. */
  for (i = 0; rc == RGS_F2F_OK && i < ls.n; i++)
    if (ls.e[i]->issuer_cert != NULL && X509_STORE_add_cert(t->anchors, ls.e[i]->issuer_cert) != 1) {
      unsigned long e = ERR_peek_last_error();
      if (ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE)
        rc = fail_at(&ls, "%s", _("the issuer certificate cannot be used as an anchor"));
      ERR_clear_error();
    }
  if (rc != RGS_F2F_OK) {
    for (i = 0; i < ls.n; i++)
      entry_free(ls.e[i]);
    free(ls.e);
    return rc;
  }
  for (i = 0; i < ls.n; i++)
    t->e[t->n++] = ls.e[i];
  free(ls.e);
  note_file(t, ls.name);
  return RGS_F2F_OK;
}

rgs_f2f_rc rgs_f2f_aed_trust_load(rgs_f2f_aed_trust *t, const char *path, char *err,
                                  size_t errlen)
{
  rgsx_rc xrc = RGSX_OK;
  FILE *f = rgsx_fopen_regular(path, &xrc);
  char *buf = NULL, clean[512];
  size_t n;
  rgs_f2f_rc rc;

  rgsx_sanitize_buf(clean, sizeof(clean), path, strlen(path));
  if (f == NULL) {
    rgsx_errf(err, errlen, "%s: %s", clean,
            xrc == RGSX_ERR_SYSTEM ? strerror(errno) : rgsx_strerror(xrc));
    return RGS_F2F_ERR_TRUST_FILE;
  }
  buf = malloc(TRUST_MAX_FILE + 1);
  if (buf == NULL) {
    fclose(f);
    rgsx_errf(err, errlen, "%s: %s", clean, _("out of memory"));
    return RGS_F2F_ERR_NOMEM;
  }
  n = fread(buf, 1, TRUST_MAX_FILE + 1, f);
  if (ferror(f)) {
    rgsx_errf(err, errlen, "%s: %s", clean, strerror(errno));
    rc = RGS_F2F_ERR_TRUST_FILE;
  } else {
    rc = rgs_f2f_aed_trust_load_mem(t, path, buf, n, err, errlen);
  }
  fclose(f);
  free(buf);
  return rc;
}

rgs_f2f_rc rgs_f2f_aed_trust_add_anchors(rgs_f2f_aed_trust *t, const char *cafile,
                                         const char *capath, char *err, size_t errlen)
{
  char shown[512];

  if (t == NULL)
    return RGS_F2F_ERR_TRUST_FILE;

  if (cafile != NULL && X509_STORE_load_file(t->anchors, cafile) != 1) {
    rgsx_errf(err, errlen, _("%s: no certificate could be read"),
              rgsx_sanitize_buf(shown, sizeof(shown), cafile, strlen(cafile)));
    ERR_clear_error();
    return RGS_F2F_ERR_TRUST_FILE;
  }
  if (capath != NULL && X509_STORE_load_path(t->anchors, capath) != 1) {
    rgsx_errf(err, errlen, _("%s: not a certificate directory"),
              rgsx_sanitize_buf(shown, sizeof(shown), capath, strlen(capath)));
    ERR_clear_error();
    return RGS_F2F_ERR_TRUST_FILE;
  }
  return RGS_F2F_OK;
}

/* ---- the check ---------------------------------------------------------------- */

/* Who signed, for a message: the CN, else the whole subject. */
static void signer_text(X509 *signer, char *buf, size_t len)
{
  char *one;

  rgs_cert_cn(signer, buf, len);
  if (buf[0] != '\0')
    return;
  one = X509_NAME_oneline(X509_get_subject_name(signer), NULL, 0);
  rgsx_sanitize_buf(buf, len, one != NULL ? one : "?", one != NULL ? strlen(one) : 1);
  OPENSSL_free(one);
}

/* The chain of cert to the anchors of st at time when, for S/MIME signing.
 * A CA named by issuer-file may be an intermediate: it is an anchor all the
 * same (partial chain). NULL with the reason in why. */
static STACK_OF(X509) *chain_of(X509_STORE *st, X509 *cert, STACK_OF(X509) *certs, time_t when,
                               char *why, size_t whylen)
{
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  STACK_OF(X509) *chain = NULL;

  if (ctx == NULL || X509_STORE_CTX_init(ctx, st, cert, certs) != 1) {
    rgsx_errf(why, whylen, "%s", _("cryptographic library failure"));
  } else {
    X509_STORE_CTX_set_default(ctx, "smime_sign");
    X509_STORE_CTX_set_time(ctx, 0, when);
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
    if (X509_verify_cert(ctx) == 1)
      chain = X509_STORE_CTX_get1_chain(ctx);
    else
      rgsx_errf(why, whylen, "%s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
  }
  X509_STORE_CTX_free(ctx);
  ERR_clear_error();
  return chain;
}

X509 *rgs_f2f_aed_trust_issuer(const rgs_f2f_aed_trust *t, X509 *cert, STACK_OF(X509) *certs,
                               time_t when)
{
  char why[256];
  STACK_OF(X509) *chain = t != NULL ? chain_of(t->anchors, cert, certs, when, why, sizeof(why))
                                    : NULL;
  X509 *issuer = NULL;

  if (chain != NULL && sk_X509_num(chain) >= 2) {
    issuer = sk_X509_value(chain, 1);
    X509_up_ref(issuer);
  }
  sk_X509_pop_free(chain, X509_free);
  return issuer;
}

static int has_policy(X509 *cert, const ASN1_OBJECT *oid)
{
  CERTIFICATEPOLICIES *cp = X509_get_ext_d2i(cert, NID_certificate_policies, NULL, NULL);
  int i, found = 0;

  for (i = 0; cp != NULL && i < sk_POLICYINFO_num(cp) && !found; i++)
    found = OBJ_cmp(sk_POLICYINFO_value(cp, i)->policyid, oid) == 0;
  CERTIFICATEPOLICIES_free(cp);
  ERR_clear_error();
  return found;
}

static int has_eku(X509 *cert, const ASN1_OBJECT *oid)
{
  EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
  int i, found = 0;

  for (i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku) && !found; i++)
    found = OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), oid) == 0;
  sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
  ERR_clear_error();
  return found;
}

static int pinned(const rgs_f2f_aed_entry *e, const unsigned char md[32])
{
  size_t i;

  for (i = 0; i < e->n_pins; i++)
    if (memcmp(e->pins[i], md, 32) == 0)
      return 1;
  return 0;
}

/* The issuer entry e admits the chain's issuer; 0 when not, with what the
 * certificate lacks in why when the issuer is e's. */
static int issuer_admits(const rgs_f2f_aed_entry *e, X509 *signer, X509 *issuer, char *why,
                         size_t whylen)
{
  char oid[128];

  if (e->issuer != NULL && X509_NAME_cmp(e->issuer, X509_get_subject_name(issuer)) != 0)
    return 0;
  if (e->issuer_cert != NULL && X509_cmp(e->issuer_cert, issuer) != 0)
    return 0;
  if (e->policy != NULL && !has_policy(signer, e->policy)) {
    OBJ_obj2txt(oid, sizeof(oid), e->policy, 1);
    rgsx_errf(why, whylen, _("its certificate lacks the certificate policy %s that entry \"%s\" (%s:%u) requires"),
            oid, e->name, e->file, e->line);
    return 0;
  }
  if (e->eku != NULL && !has_eku(signer, e->eku)) {
    OBJ_obj2txt(oid, sizeof(oid), e->eku, 1);
    rgsx_errf(why, whylen, _("its certificate lacks the extended key usage %s that entry \"%s\" (%s:%u) requires"),
            oid, e->name, e->file, e->line);
    return 0;
  }
  return 1;
}

/* A pinned certificate is its own anchor; still valid then, for signing. */
static rgs_f2f_rc check_pinned(X509 *signer, time_t when, char *why, size_t whylen)
{
  X509_STORE *st = X509_STORE_new();
  STACK_OF(X509) *chain = NULL;

  if (st != NULL && X509_STORE_add_cert(st, signer) == 1)
    chain = chain_of(st, signer, NULL, when, why, whylen);
  else
    rgsx_errf(why, whylen, "%s", _("cryptographic library failure"));
  X509_STORE_free(st);
  ERR_clear_error();
  if (chain == NULL)
    return RGS_F2F_ERR_UNTRUSTED;
  sk_X509_pop_free(chain, X509_free);
  return RGS_F2F_OK;
}

/* Some issuer entry names signer's issuer, by DN or by issuer-file: then a
 * missing chain is what to report (an expired certificate, a missing
 * anchor), not that the signer is not listed. */
static int issuer_named(const rgs_f2f_aed_trust *t, X509 *signer)
{
  const X509_NAME *by = X509_get_issuer_name(signer);
  size_t i;

  for (i = 0; i < t->n; i++) {
    const rgs_f2f_aed_entry *e = t->e[i];
    if (e->kind != RGS_F2F_AED_BY_ISSUER)
      continue;
    if (e->issuer != NULL && X509_NAME_cmp(e->issuer, by) == 0)
      return 1;
    if (e->issuer_cert != NULL && X509_NAME_cmp(X509_get_subject_name(e->issuer_cert), by) == 0)
      return 1;
  }
  return 0;
}

/* A pinned entry that names signer (md: SHA-256 of its DER); NULL if none. */
static const rgs_f2f_aed_entry *pinned_entry(const rgs_f2f_aed_trust *t,
                                             const unsigned char md[32])
{
  size_t i;

  for (i = 0; i < t->n; i++)
    if (t->e[i]->kind == RGS_F2F_AED_PINNED && pinned(t->e[i], md))
      return t->e[i];
  return NULL;
}

rgs_f2f_rc rgs_f2f_aed_check(const rgs_f2f_aed_trust *t, X509 *signer, STACK_OF(X509) *certs,
                             time_t when, rgs_f2f_aed_verdict *out, char *err, size_t errlen)
{
  unsigned char md[32], *der = NULL;
  char why[512] = "", lacks[512] = "", subj[256];
  const rgs_f2f_aed_entry *pin;
  STACK_OF(X509) *chain = NULL;
  size_t i;
  int n;
  rgs_f2f_rc rc = RGS_F2F_ERR_NOT_AED;

  out->entry = NULL;
  out->chain_ok = 0;
  if (t == NULL || signer == NULL)
    return RGS_F2F_ERR_NOT_AED;
  n = i2d_X509(signer, &der);
  if (n <= 0)
    return RGS_F2F_ERR_CRYPTO;
  SHA256(der, (size_t)n, md);
  OPENSSL_free(der);
  signer_text(signer, subj, sizeof(subj));
  /* Pinned: its own anchor, valid at that time or refused. */
  pin = pinned_entry(t, md);
  if (pin != NULL) {
    rc = check_pinned(signer, when, why, sizeof(why));
    if (rc != RGS_F2F_OK) {
      rgsx_errf(err, errlen, _("%s, pinned by entry \"%s\": %s"), subj, pin->name, why);
      goto cleanup;
    }
    out->chain_ok = 1;
    out->entry = pin;
    goto cleanup;
  }
  chain = chain_of(t->anchors, signer, certs, when, why, sizeof(why));
  out->chain_ok = chain != NULL;
  if (chain == NULL && issuer_named(t, signer)) {
    rgsx_errf(err, errlen, "%s: %s", subj, why);
    rc = RGS_F2F_ERR_UNTRUSTED;
    goto cleanup;
  }
  /* With no chain and no entry naming the issuer, what matters is that the
   * signer is not an AED; chain_ok says the rest. */
  if (chain != NULL && sk_X509_num(chain) >= 2)
    for (i = 0; i < t->n && out->entry == NULL; i++)
      if (t->e[i]->kind == RGS_F2F_AED_BY_ISSUER &&
          issuer_admits(t->e[i], signer, sk_X509_value(chain, 1), lacks, sizeof(lacks)))
        out->entry = t->e[i];
  if (out->entry != NULL) {
    rc = RGS_F2F_OK;
    goto cleanup;
  }
  if (lacks[0] != '\0')
    rgsx_errf(err, errlen, _("signed by %s, who is not a listed AED: %s, and no other entry of the AED trust list (%s) names this certificate"),
            subj, lacks, rgs_f2f_aed_trust_files(t));
  else
    rgsx_errf(err, errlen, _("signed by %s, who is not a listed AED: no entry of the AED trust list (%s) names this certificate"),
            subj, rgs_f2f_aed_trust_files(t));
  rc = RGS_F2F_ERR_NOT_AED;

cleanup:
  sk_X509_pop_free(chain, X509_free);
  return rc;
}
