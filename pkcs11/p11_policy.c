/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * p11_policy.c - the qualified-device policy: which tokens count as RGS**
 * qualified devices, and which demo devices may stand in for one.
 *
 * Which models are qualified is data, not code: the shipped file
 * (data/policy/qualified-devices.conf) and any file the user adds with
 * --policy. File format, one entry per section:
 *
 *   # comment (a line whose first non-blank character is '#')
 *   [device "Thales IDPrime MD 840"]
 *   manufacturer = Gemalto*      shell glob on the token's manufacturerID
 *   model = *                    glob on the token's model
 *   label = *                    glob on the token's label
 *   demo = no                    yes: a demo/test device, never qualified
 *   waive = slot.hardware, slot.removable   (demo entries only)
 *   keygen = no                  the module showing it so cannot generate keys
 *   module = OpenSC              [module] section of that module
 *   keygen-module = A, B         [module] sections of modules that can
 *   name-fr = Texte              the entry's NAME when messages are French
 *
 *   [module "OpenSC"]            a PKCS#11 module, for the messages
 *   file = opensc-pkcs11.so      bare file name (required)
 *   path = /usr/lib/x.so, ...    usual install paths (absolute)
 *   vendor = OpenSC project      who distributes it
 *   url = https://...            where to get it
 *
 * - Keys are lower case; an absent pattern key means "*". A value is the
 *   rest of the line with surrounding blanks removed, or a double-quoted
 *   string ("\"" and "\\" escape a quote and a backslash) when it must keep
 *   blanks, start with a quote, or be empty (an unquoted empty pattern is an
 *   error). There are no trailing comments: '#' is part of a value
 *   ("PKCS#15 emulated").
 * - Patterns are matched case-insensitively (ASCII letters) against the
 *   token fields with leading and trailing blanks removed: '*' any run of
 *   characters, '?' one character (one UTF-8 sequence), [abc], [a-z], [!x]
 *   sets of ASCII characters (ranges compare byte values after folding to
 *   lower case), '\' quotes the next character; a '[' without its ']' is an
 *   ordinary character, and a pattern may not end with a lone '\'. This is
 *   fnmatch(3) with FNM_CASEFOLD for ASCII text, but done here so that the
 *   verdict does not depend on the locale and costs O(pattern x field)
 *   whatever the pattern (glibc's fnmatch backtracks exponentially on
 *   patterns such as "*a*a*a*a*b").
 * - Errors: RGS_P11_ERR_POLICY with "FILE:LINE: reason" in errbuf, for an
 *   unknown key, a key outside a section, a malformed line, a NUL byte, a
 *   control character (tab and CR excepted), text that is not UTF-8, a
 *   line over 1024 bytes, an unterminated quote, waive in a non-demo entry,
 *   a module section given twice in one file or without file, a module
 *   name that no [module] section of this file or of a file loaded before
 *   defines.
 *   A load is all or nothing: on error *pol keeps exactly what it had.
 * - Entries are tried in load order and the first entry whose three
 *   patterns match wins.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rgs_p11.h"
#include "p11_internal.h"
#include "rgs_common.h"

#define POLICY_MAX_LINE 1024
/* A policy is a few dozen lines; a bound keeps a wrong path (a device, a
 * huge file) from eating memory. */
#define POLICY_MAX_FILE (1024 * 1024)

enum { PAT_MANUFACTURER = 0, PAT_MODEL, PAT_LABEL, PAT_N };

/* Keys of a section, one bit each for duplicate detection. */
enum {
  KEY_MANUFACTURER = 1u << 0,
  KEY_MODEL = 1u << 1,
  KEY_LABEL = 1u << 2,
  KEY_DEMO = 1u << 3,
  KEY_WAIVE = 1u << 4,
  KEY_KEYGEN = 1u << 5,
  KEY_MODULE = 1u << 6,
  KEY_KEYGEN_MODULE = 1u << 7,
  KEY_FILE = 1u << 8,
  KEY_PATH = 1u << 9,
  KEY_VENDOR = 1u << 10,
  KEY_URL = 1u << 11,
  KEY_NAME_FR = 1u << 12,
};
#define DEVICE_KEYS (KEY_MANUFACTURER | KEY_MODEL | KEY_LABEL | KEY_DEMO | KEY_WAIVE | \
                     KEY_KEYGEN | KEY_MODULE | KEY_KEYGEN_MODULE | KEY_NAME_FR)
#define MODULE_KEYS (KEY_FILE | KEY_PATH | KEY_VENDOR | KEY_URL)
#define POLICY_MAX_PATHS 8

/* A module name a device entry refers to, resolved at the end of its file. */
typedef struct {
  char *name;
  size_t line;
} module_ref;

typedef struct {
  rgs_p11_policy_entry entry;   /* handed out; its strings point into this rule */
  char *name;
  char *name_fr;                /* name-fr =, or NULL */
  char *pattern[PAT_N];         /* NULL: the key was absent, i.e. "*" */
  module_ref module;            /* module = (name NULL when absent) */
  module_ref keygen_modules[RGS_P11_POLICY_MAX_KEYGEN_MODULES];
} policy_rule;

typedef struct {
  rgs_p11_module_info info;     /* handed out; its strings point into this one */
  char *name, *file, *vendor, *url;
  char *paths[POLICY_MAX_PATHS];
  size_t line;                  /* of its header, for messages */
} policy_module;

struct rgs_p11_policy {
  policy_rule **rules;          /* pointers, so entries handed out never move */
  size_t n, cap;
  policy_module **mods;         /* [module] sections, same reason */
  size_t n_mods, cap_mods;
  char **files;                 /* stored copies of the names of loaded files */
  size_t n_files, cap_files;
};

/* State of one load. */
typedef struct {
  const char *name;             /* file name for messages */
  char *errbuf;
  size_t errlen;
  size_t line_no;
  rgs_p11_policy *pol;          /* fresh policy receiving this file's entries */
  const rgs_p11_policy *prev;   /* what was loaded before: module names resolve there too */
  policy_rule *cur;             /* entry of the current device section, or NULL */
  policy_module *cur_mod;       /* entry of the current module section, or NULL */
  unsigned seen;                /* KEY_* bits seen in the current section */
  int waives;                   /* the current section's waive names a criterion */
  size_t waive_line;
} policy_parser;

/* ---- messages --------------------------------------------------------- */

static void parse_error(policy_parser *ps, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void parse_error(policy_parser *ps, size_t line, const char *fmt, ...)
{
  char reason[512];
  va_list ap;

  if (ps->errbuf == NULL || ps->errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof(reason), fmt, ap);
  va_end(ap);
  snprintf(ps->errbuf, ps->errlen, "%s:%zu: %s", ps->name, line, reason);
}

/* ---- glob matching ---------------------------------------------------- */

static unsigned char ascii_lower(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Bytes of the character at s: one, or a UTF-8 lead byte and its
 * continuation bytes. Never more than n. */
static size_t char_len(const char *s, size_t n)
{
  size_t k = 1;

  if ((unsigned char)s[0] >= 0xC0) {
    while (k < n && k < 4 && ((unsigned char)s[k] & 0xC0) == 0x80)
      k++;
  }
  return k;
}

/* The ']' closing the set that opens at p ('['), or NULL when there is none
 * (the '[' is then an ordinary character, as in fnmatch). */
static const char *set_end(const char *p)
{
  const char *q = p + 1;

  if (*q == '!' || *q == '^')
    q++;
  if (*q == ']')
    q++;   /* a leading ']' is a member */
  while (*q != '\0' && *q != ']') {
    if (*q == '\\' && q[1] != '\0')
      q++;
    q++;
  }
  return *q == ']' ? q : NULL;
}

/* Case-insensitive as fnmatch's FNM_CASEFOLD: the character and both
 * bounds are folded to lower case before comparing byte values. */
static int in_range(unsigned char c, unsigned char lo, unsigned char hi)
{
  unsigned char f = ascii_lower(c);

  return f >= ascii_lower(lo) && f <= ascii_lower(hi);
}

/* Does c belong to the set [p, end] (p at '[', end at its ']')? */
static int set_match(const char *p, const char *end, unsigned char c)
{
  const char *q = p + 1;
  int negate = 0;
  int found = 0;

  if (*q == '!' || *q == '^') {
    negate = 1;
    q++;
  }
  do {
    unsigned char lo;
    unsigned char hi;
    if (*q == '\\' && q + 1 < end)
      q++;
    lo = (unsigned char)*q++;
    hi = lo;
    if (*q == '-' && q + 1 < end) {
      q++;
      if (*q == '\\' && q + 1 < end)
        q++;
      hi = (unsigned char)*q++;
    }
    if (in_range(c, lo, hi))
      found = 1;
  } while (q < end);
  return found != negate;
}

/* Match one non-'*' pattern element at *pp against the character at s[*i];
 * on success advance both. */
static int match_one(const char **pp, const char *s, size_t n, size_t *i)
{
  const char *p = *pp;
  unsigned char c = (unsigned char)s[*i];
  size_t used = char_len(s + *i, n - *i);
  const char *end = *p == '[' ? set_end(p) : NULL;
  int ok;

  if (*p == '?') {
    ok = 1;
    p++;
  } else if (end != NULL) {
    ok = set_match(p, end, c);
    p = end + 1;
  } else {
    if (*p == '\\' && p[1] != '\0')
      p++;
    ok = ascii_lower((unsigned char)*p) == ascii_lower(c);
    p++;
    used = 1;   /* literals compare byte by byte, UTF-8 included */
  }
  if (ok) {
    *pp = p;
    *i += used;
  }
  return ok;
}

/* Glob match of pat against s[0..n): each element but '*' takes exactly one
 * character, so when a later element fails only the last '*' needs to take
 * one more character (the classic linear wildcard algorithm). */
static int glob_match(const char *pat, const char *s, size_t n)
{
  const char *p = pat;
  const char *star_p = NULL;
  size_t i = 0;
  size_t star_i = 0;
  int failed = 0;

  while (i < n && !failed) {
    if (*p == '*') {
      while (*p == '*')
        p++;
      star_p = p;
      star_i = i;
    } else if (*p == '\0' || !match_one(&p, s, n, &i)) {
      if (star_p == NULL) {
        failed = 1;
      } else {
        star_i += char_len(s + star_i, n - star_i);
        p = star_p;
        i = star_i;
      }
    }
  }
  if (failed)
    return 0;
  /* The text is used up: what is left of the pattern must match nothing. */
  while (*p == '*')
    p++;
  return *p == '\0';
}

/* ---- the policy object ------------------------------------------------ */

static void rule_free(policy_rule *r)
{
  size_t i;

  if (r == NULL)
    return;
  for (i = 0; i < PAT_N; i++)
    free(r->pattern[i]);
  for (i = 0; i < r->entry.n_keygen_modules; i++)
    free(r->keygen_modules[i].name);
  free(r->module.name);
  free(r->name);
  free(r->name_fr);
  free(r);
}

static void module_free(policy_module *m)
{
  size_t i;

  if (m == NULL)
    return;
  for (i = 0; i < m->info.n_paths; i++)
    free(m->paths[i]);
  free(m->name);
  free(m->file);
  free(m->vendor);
  free(m->url);
  free(m);
}

/* Room for need elements of size elem in arr: the array, maybe moved, or
 * NULL when out of memory (arr is then untouched and still valid). */
static void *grow(void *arr, size_t *cap, size_t need, size_t elem)
{
  size_t ncap = *cap ? *cap : 8;
  void *np = arr;

  if (need <= *cap && arr != NULL)
    goto cleanup;
  while (ncap < need)
    ncap *= 2;
  np = realloc(arr, ncap * elem);
  if (np != NULL)
    *cap = ncap;

cleanup:
  return np;
}

void rgs_p11_policy_free(rgs_p11_policy *pol)
{
  size_t i;

  if (pol == NULL)
    return;
  for (i = 0; i < pol->n; i++)
    rule_free(pol->rules[i]);
  for (i = 0; i < pol->n_mods; i++)
    module_free(pol->mods[i]);
  for (i = 0; i < pol->n_files; i++)
    free(pol->files[i]);
  free(pol->rules);
  free(pol->mods);
  free(pol->files);
  free(pol);
}

size_t rgs_p11_policy_count(const rgs_p11_policy *pol)
{
  return pol != NULL ? pol->n : 0;
}

/* Move every entry and file name of src to the end of dst. Room is made
 * first, so this either fails leaving both untouched or cannot fail. */
static int policy_merge(rgs_p11_policy *dst, rgs_p11_policy *src)
{
  policy_rule **rules = grow(dst->rules, &dst->cap, dst->n + src->n, sizeof(*rules));
  policy_module **mods = NULL;
  char **files = NULL;
  int ok = 0;

  if (rules == NULL)
    goto cleanup;
  dst->rules = rules;
  mods = grow(dst->mods, &dst->cap_mods, dst->n_mods + src->n_mods, sizeof(*mods));
  if (mods == NULL)
    goto cleanup;
  dst->mods = mods;
  files = grow(dst->files, &dst->cap_files, dst->n_files + src->n_files, sizeof(*files));
  if (files == NULL)
    goto cleanup;
  dst->files = files;
  ok = 1;
  if (src->n > 0)
    memcpy(dst->rules + dst->n, src->rules, src->n * sizeof(*src->rules));
  if (src->n_mods > 0)
    memcpy(dst->mods + dst->n_mods, src->mods, src->n_mods * sizeof(*src->mods));
  if (src->n_files > 0)
    memcpy(dst->files + dst->n_files, src->files, src->n_files * sizeof(*src->files));
  dst->n += src->n;
  dst->n_mods += src->n_mods;
  dst->n_files += src->n_files;
  src->n = 0;
  src->n_mods = 0;
  src->n_files = 0;

cleanup:
  return ok;
}

/* ---- parsing ---------------------------------------------------------- */

static int is_blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r';
}

static int ascii_caseeq(const char *a, const char *b)
{
  while (*a != '\0' && ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b)) {
    a++;
    b++;
  }
  return *a == '\0' && *b == '\0';
}

/* Read a double-quoted string starting at *pp ('"') into out (as large as
 * the line). On success *pp points past the closing quote. */
static rgs_p11_rc read_quoted(policy_parser *ps, const char **pp, char *out)
{
  rgs_p11_rc rc = RGS_P11_OK;
  const char *p = *pp + 1;
  size_t n = 0;

  while (*p != '\0' && *p != '"' && rc == RGS_P11_OK) {
    if (*p == '\\') {
      p++;
      if (*p != '"' && *p != '\\') {
        parse_error(ps, ps->line_no,
                    _("unknown escape in a quoted string (only \\\" and \\\\ are allowed)"));
        rc = RGS_P11_ERR_POLICY;
        continue;
      }
    }
    out[n++] = *p++;
  }
  if (rc == RGS_P11_OK && *p != '"') {
    parse_error(ps, ps->line_no, _("unterminated quote"));
    rc = RGS_P11_ERR_POLICY;
  }
  if (rc == RGS_P11_OK) {
    out[n] = '\0';
    *pp = p + 1;
  }
  return rc;
}

/* Checks that need the whole section: waive only with demo = yes; a
 * module section names its file. */
static rgs_p11_rc finish_section(policy_parser *ps)
{
  rgs_p11_rc rc = RGS_P11_OK;

  if (ps->cur != NULL && ps->waives && !ps->cur->entry.demo) {
    parse_error(ps, ps->waive_line,
                _("waive is only allowed in a demo entry (demo = yes): a qualified device "
                  "has nothing to waive"));
    rc = RGS_P11_ERR_POLICY;
  }
  if (ps->cur_mod != NULL && ps->cur_mod->file == NULL) {
    parse_error(ps, ps->cur_mod->line,
                _("a [module \"NAME\"] section needs file = (the module's file name)"));
    rc = RGS_P11_ERR_POLICY;
  }
  ps->cur = NULL;
  ps->cur_mod = NULL;
  ps->seen = 0;
  ps->waives = 0;
  ps->waive_line = 0;
  return rc;
}

static const policy_module *find_module(const rgs_p11_policy *pol, const char *name)
{
  size_t i;

  for (i = 0; pol != NULL && i < pol->n_mods; i++)
    if (strcmp(pol->mods[i]->name, name) == 0)
      return pol->mods[i];
  return NULL;
}

static rgs_p11_rc add_device(policy_parser *ps, const char *name)
{
  policy_rule **rules = grow(ps->pol->rules, &ps->pol->cap, ps->pol->n + 1, sizeof(*rules));
  policy_rule *r = NULL;

  if (rules == NULL)
    return RGS_P11_ERR_NOMEM;
  ps->pol->rules = rules;
  r = calloc(1, sizeof(*r));
  if (r == NULL)
    return RGS_P11_ERR_NOMEM;
  r->name = strdup(name);
  if (r->name == NULL) {
    rule_free(r);
    return RGS_P11_ERR_NOMEM;
  }
  r->entry.name = r->name;
  r->entry.file = ps->pol->files[0];
  r->entry.keygen = -1;
  ps->pol->rules[ps->pol->n++] = r;
  ps->cur = r;
  return RGS_P11_OK;
}

static rgs_p11_rc add_module(policy_parser *ps, const char *name)
{
  policy_module **mods = NULL;
  policy_module *m = NULL;

  if (find_module(ps->pol, name) != NULL) {
    parse_error(ps, ps->line_no, _("a second [module \"%s\"] section in this file"), name);
    return RGS_P11_ERR_POLICY;
  }
  /* Names are listed after keygen-module =, separated by commas. */
  if (strchr(name, ',') != NULL) {
    parse_error(ps, ps->line_no, _("a module name may not contain a comma"));
    return RGS_P11_ERR_POLICY;
  }
  mods = grow(ps->pol->mods, &ps->pol->cap_mods, ps->pol->n_mods + 1, sizeof(*mods));
  if (mods == NULL)
    return RGS_P11_ERR_NOMEM;
  ps->pol->mods = mods;
  m = calloc(1, sizeof(*m));
  if (m == NULL)
    return RGS_P11_ERR_NOMEM;
  m->name = strdup(name);
  if (m->name == NULL) {
    module_free(m);
    return RGS_P11_ERR_NOMEM;
  }
  m->info.name = m->name;
  m->info.paths = (const char *const *)m->paths;
  m->line = ps->line_no;
  ps->pol->mods[ps->pol->n_mods++] = m;
  ps->cur_mod = m;
  return RGS_P11_OK;
}

/* [device "NAME"] or [module "NAME"] */
static rgs_p11_rc parse_section(policy_parser *ps, const char *line)
{
  rgs_p11_rc rc = RGS_P11_OK;
  char name[POLICY_MAX_LINE + 1];
  const char *p = line + 1;
  int is_module = 0;

  rc = finish_section(ps);
  if (rc != RGS_P11_OK)
    goto cleanup;
  while (is_blank(*p))
    p++;
  if (strncmp(p, "module", 6) == 0 && is_blank(p[6]))
    is_module = 1;
  else if (strncmp(p, "device", 6) != 0 || !is_blank(p[6])) {
    parse_error(ps, ps->line_no,
                _("expected a section header [device \"NAME\"] or [module \"NAME\"]"));
    rc = RGS_P11_ERR_POLICY;
    goto cleanup;
  }
  p += 6;
  while (is_blank(*p))
    p++;
  if (*p != '"') {
    parse_error(ps, ps->line_no, _("the section name must be quoted: [device \"NAME\"]"));
    rc = RGS_P11_ERR_POLICY;
    goto cleanup;
  }
  rc = read_quoted(ps, &p, name);
  if (rc != RGS_P11_OK)
    goto cleanup;
  while (is_blank(*p))
    p++;
  /* line is trimmed: the ']' must end it. */
  if (*p != ']' || p[1] != '\0') {
    parse_error(ps, ps->line_no,
                _("expected a section header [device \"NAME\"] or [module \"NAME\"]"));
    rc = RGS_P11_ERR_POLICY;
    goto cleanup;
  }
  if (name[0] == '\0') {
    parse_error(ps, ps->line_no, _("empty section name"));
    rc = RGS_P11_ERR_POLICY;
    goto cleanup;
  }
  rc = is_module ? add_module(ps, name) : add_device(ps, name);

cleanup:
  return rc;
}

static rgs_p11_rc set_demo(policy_parser *ps, const char *value)
{
  rgs_p11_rc rc = RGS_P11_OK;

  if (ascii_caseeq(value, "yes")) {
    ps->cur->entry.demo = 1;
  } else if (ascii_caseeq(value, "no")) {
    ps->cur->entry.demo = 0;
  } else {
    parse_error(ps, ps->line_no, _("demo must be yes or no"));
    rc = RGS_P11_ERR_POLICY;
  }
  return rc;
}

/* waive = comma list of criteria; empty items are ignored. */
static rgs_p11_rc set_waive(policy_parser *ps, char *value)
{
  rgs_p11_rc rc = RGS_P11_OK;
  char *item = value;

  while (item != NULL && rc == RGS_P11_OK) {
    char *comma = strchr(item, ',');
    char *t;
    if (comma != NULL)
      *comma = '\0';
    t = rgsx_trim(item);
    if (strcmp(t, "slot.hardware") == 0 || strcmp(t, "slot.removable") == 0) {
      ps->waives = 1;
      ps->waive_line = ps->line_no;
      ps->cur->entry.waive_hardware_slot = 1;
    } else if (t[0] != '\0') {
      char shown[65];
      rgsx_sanitize_buf(shown, sizeof(shown), t, (size_t)-1);
      parse_error(ps, ps->line_no,
                  _("\"%s\" cannot be waived (only slot.hardware and slot.removable can)"), shown);
      rc = RGS_P11_ERR_POLICY;
    }
    item = comma != NULL ? comma + 1 : NULL;
  }
  return rc;
}

/* 1 when the pattern ends with a backslash that quotes nothing. */
static int dangling_backslash(const char *p)
{
  int dangling = 0;

  while (*p != '\0' && !dangling) {
    if (*p == '\\' && p[1] == '\0')
      dangling = 1;
    else if (*p == '\\')
      p += 2;
    else
      p++;
  }
  return dangling;
}

static rgs_p11_rc set_pattern(policy_parser *ps, int which, const char *value, int quoted)
{
  rgs_p11_rc rc = RGS_P11_OK;

  if (value[0] == '\0' && !quoted) {
    parse_error(ps, ps->line_no,
                _("empty pattern: write * to match anything, or \"\" for an empty field"));
    rc = RGS_P11_ERR_POLICY;
    goto cleanup;
  }
  /* fnmatch refuses such a pattern too; write \\ for a backslash. */
  if (dangling_backslash(value)) {
    parse_error(ps, ps->line_no,
                _("the pattern ends with a lone backslash (write \\\\ to match a backslash)"));
    rc = RGS_P11_ERR_POLICY;
    goto cleanup;
  }
  ps->cur->pattern[which] = strdup(value);
  if (ps->cur->pattern[which] == NULL)
    rc = RGS_P11_ERR_NOMEM;

cleanup:
  return rc;
}

static rgs_p11_rc set_keygen(policy_parser *ps, const char *value)
{
  if (ascii_caseeq(value, "yes")) {
    ps->cur->entry.keygen = 1;
  } else if (ascii_caseeq(value, "no")) {
    ps->cur->entry.keygen = 0;
  } else {
    parse_error(ps, ps->line_no, _("keygen must be yes or no"));
    return RGS_P11_ERR_POLICY;
  }
  return RGS_P11_OK;
}

static rgs_p11_rc set_ref(policy_parser *ps, module_ref *ref, const char *value)
{
  if (value[0] == '\0') {
    parse_error(ps, ps->line_no, _("empty module name"));
    return RGS_P11_ERR_POLICY;
  }
  ref->name = strdup(value);
  ref->line = ps->line_no;
  return ref->name != NULL ? RGS_P11_OK : RGS_P11_ERR_NOMEM;
}

/* keygen-module = NAME, NAME ... (at most RGS_P11_POLICY_MAX_KEYGEN_MODULES) */
static rgs_p11_rc set_keygen_modules(policy_parser *ps, char *value)
{
  rgs_p11_rc rc = RGS_P11_OK;
  policy_rule *r = ps->cur;
  char *item = value;

  while (item != NULL && rc == RGS_P11_OK) {
    char *comma = strchr(item, ',');
    if (comma != NULL)
      *comma = '\0';
    if (r->entry.n_keygen_modules == RGS_P11_POLICY_MAX_KEYGEN_MODULES) {
      parse_error(ps, ps->line_no, _("more than %d modules after keygen-module"),
                  RGS_P11_POLICY_MAX_KEYGEN_MODULES);
      rc = RGS_P11_ERR_POLICY;
    } else {
      rc = set_ref(ps, &r->keygen_modules[r->entry.n_keygen_modules], rgsx_trim(item));
      if (r->keygen_modules[r->entry.n_keygen_modules].name != NULL)
        r->entry.n_keygen_modules++;
    }
    item = comma != NULL ? comma + 1 : NULL;
  }
  return rc;
}

/* path = /abs/one, /abs/two */
static rgs_p11_rc set_paths(policy_parser *ps, char *value)
{
  policy_module *m = ps->cur_mod;
  char *item = value;

  while (item != NULL) {
    char *comma = strchr(item, ',');
    char *t;
    if (comma != NULL)
      *comma = '\0';
    t = rgsx_trim(item);
    if (t[0] != '/') {
      parse_error(ps, ps->line_no, _("a module path must be absolute (start with /)"));
      return RGS_P11_ERR_POLICY;
    }
    if (m->info.n_paths == POLICY_MAX_PATHS) {
      parse_error(ps, ps->line_no, _("more than %d paths"), POLICY_MAX_PATHS);
      return RGS_P11_ERR_POLICY;
    }
    m->paths[m->info.n_paths] = strdup(t);
    if (m->paths[m->info.n_paths] == NULL)
      return RGS_P11_ERR_NOMEM;
    m->info.n_paths++;
    item = comma != NULL ? comma + 1 : NULL;
  }
  return RGS_P11_OK;
}

/* file, vendor, url: one text each; file is a bare name, url a web address. */
static rgs_p11_rc set_module_text(policy_parser *ps, unsigned bit, const char *value)
{
  policy_module *m = ps->cur_mod;
  char **slot = bit == KEY_FILE ? &m->file : bit == KEY_VENDOR ? &m->vendor : &m->url;

  if (value[0] == '\0') {
    parse_error(ps, ps->line_no, _("empty value"));
    return RGS_P11_ERR_POLICY;
  }
  if (bit == KEY_FILE && strchr(value, '/') != NULL) {
    parse_error(ps, ps->line_no, _("file is the module's file name, without a directory "
                                   "(put directories in path =)"));
    return RGS_P11_ERR_POLICY;
  }
  if (bit == KEY_URL && strncmp(value, "https://", 8) != 0 && strncmp(value, "http://", 7) != 0) {
    parse_error(ps, ps->line_no, _("url must start with https:// or http://"));
    return RGS_P11_ERR_POLICY;
  }
  *slot = strdup(value);
  if (*slot == NULL)
    return RGS_P11_ERR_NOMEM;
  m->info.file = m->file;
  m->info.vendor = m->vendor;
  m->info.url = m->url;
  return RGS_P11_OK;
}

/* The messages are French: the catalogue in use says so in its header
 * ("Language: fr"), so an entry's name follows the rest of the output
 * whatever chose it (LANGUAGE, LC_ALL, LC_MESSAGES, a missing catalogue).
 * dgettext, not _(): the empty msgid is the header, not a message. */
static int messages_in_french(void)
{
  static const char header[] = "";   /* a variable: xgettext extracts no empty msgid */
  const char *h = dgettext(RGS_TEXTDOMAIN, header);
  const char *p = strstr(h, "Language: ");

  return p != NULL && (p == h || p[-1] == '\n') && strncmp(p + 10, "fr", 2) == 0 &&
         (p[12] == '\n' || p[12] == '_' || p[12] == '\0');
}

/* name-fr: the entry's name shown when the messages are French (the
 * section's NAME otherwise, and in every case for what is not text for
 * people). */
static rgs_p11_rc set_name_fr(policy_parser *ps, const char *value)
{
  policy_rule *r = ps->cur;

  if (value[0] == '\0') {
    parse_error(ps, ps->line_no, _("empty value"));
    return RGS_P11_ERR_POLICY;
  }
  r->name_fr = strdup(value);
  if (r->name_fr == NULL)
    return RGS_P11_ERR_NOMEM;
  if (messages_in_french())
    r->entry.name = r->name_fr;
  return RGS_P11_OK;
}

static unsigned key_bit(const char *key)
{
  static const struct { const char *name; unsigned bit; } keys[] = {
    { "manufacturer", KEY_MANUFACTURER }, { "model", KEY_MODEL }, { "label", KEY_LABEL },
    { "demo", KEY_DEMO }, { "waive", KEY_WAIVE }, { "keygen", KEY_KEYGEN },
    { "module", KEY_MODULE }, { "keygen-module", KEY_KEYGEN_MODULE }, { "file", KEY_FILE },
    { "path", KEY_PATH }, { "vendor", KEY_VENDOR }, { "url", KEY_URL },
    { "name-fr", KEY_NAME_FR },
  };
  size_t i;

  for (i = 0; i < RGS_ARRAY_LEN(keys); i++)
    if (strcmp(key, keys[i].name) == 0)
      return keys[i].bit;
  return 0;
}

static rgs_p11_rc apply_key(policy_parser *ps, unsigned bit, char *value, int quoted)
{
  rgs_p11_rc rc = RGS_P11_OK;

  switch (bit) {
  case KEY_MANUFACTURER:
    rc = set_pattern(ps, PAT_MANUFACTURER, value, quoted);
    break;
  case KEY_MODEL:
    rc = set_pattern(ps, PAT_MODEL, value, quoted);
    break;
  case KEY_LABEL:
    rc = set_pattern(ps, PAT_LABEL, value, quoted);
    break;
  case KEY_DEMO:
    rc = set_demo(ps, value);
    break;
  case KEY_WAIVE:
    rc = set_waive(ps, value);
    break;
  case KEY_KEYGEN:
    rc = set_keygen(ps, value);
    break;
  case KEY_MODULE:
    rc = set_ref(ps, &ps->cur->module, value);
    break;
  case KEY_KEYGEN_MODULE:
    rc = set_keygen_modules(ps, value);
    break;
  case KEY_PATH:
    rc = set_paths(ps, value);
    break;
  case KEY_NAME_FR:
    rc = set_name_fr(ps, value);
    break;
  default:
    rc = set_module_text(ps, bit, value);
    break;
  }
  return rc;
}

/* The key is known: is it one of the current section's kind? */
static rgs_p11_rc key_fits(policy_parser *ps, unsigned bit, const char *key)
{
  if (ps->cur == NULL && ps->cur_mod == NULL) {
    parse_error(ps, ps->line_no, _("\"%s\" outside a [device \"NAME\"] or [module \"NAME\"] section"),
                key);
    return RGS_P11_ERR_POLICY;
  }
  if (ps->cur != NULL && !(bit & DEVICE_KEYS)) {
    parse_error(ps, ps->line_no, _("\"%s\" belongs in a [module \"NAME\"] section"), key);
    return RGS_P11_ERR_POLICY;
  }
  if (ps->cur_mod != NULL && !(bit & MODULE_KEYS)) {
    parse_error(ps, ps->line_no,
                _("\"%s\" belongs in a [device \"NAME\"] section (a module section takes file, "
                  "path, vendor and url)"), key);
    return RGS_P11_ERR_POLICY;
  }
  if (ps->seen & bit) {
    parse_error(ps, ps->line_no, _("\"%s\" given twice in this section"), key);
    return RGS_P11_ERR_POLICY;
  }
  ps->seen |= bit;
  return RGS_P11_OK;
}

/* KEY = VALUE; line is trimmed and not empty. */
static rgs_p11_rc parse_key(policy_parser *ps, char *line)
{
  rgs_p11_rc rc = RGS_P11_OK;
  char value[POLICY_MAX_LINE + 1];
  char *key;
  char *raw;
  const char *p;
  unsigned bit;
  int quoted = 0;

  if (!rgsx_conf_split(line, &key, &raw)) {
    parse_error(ps, ps->line_no, _("expected KEY = VALUE, a [device \"NAME\"] header or a comment"));
    rc = RGS_P11_ERR_POLICY;
    goto cleanup;
  }
  bit = key_bit(key);
  if (bit == 0) {
    char shown[65];
    rgsx_sanitize_buf(shown, sizeof(shown), key, (size_t)-1);
    parse_error(ps, ps->line_no,
                _("unknown key \"%s\" (expected manufacturer, model, label, demo, waive, keygen, "
                  "module or keygen-module; file, path, vendor or url in a module section)"),
                shown);
    rc = RGS_P11_ERR_POLICY;
    goto cleanup;
  }
  rc = key_fits(ps, bit, key);
  if (rc != RGS_P11_OK)
    goto cleanup;
  if (raw[0] == '"') {
    p = raw;
    quoted = 1;
    rc = read_quoted(ps, &p, value);
    if (rc != RGS_P11_OK)
      goto cleanup;
    if (*p != '\0') {
      parse_error(ps, ps->line_no, _("unexpected text after the closing quote"));
      rc = RGS_P11_ERR_POLICY;
      goto cleanup;
    }
  } else {
    /* raw is at most one line long, like value. */
    memcpy(value, raw, strlen(raw) + 1);
  }
  rc = apply_key(ps, bit, value, quoted);

cleanup:
  return rc;
}

/* Module names of the file's device entries, resolved against the file's
 * own module sections first, then against what was loaded before. */
static rgs_p11_rc resolve_ref(policy_parser *ps, const module_ref *ref,
                              const rgs_p11_module_info **out)
{
  const policy_module *m = find_module(ps->pol, ref->name);

  if (m == NULL)
    m = find_module(ps->prev, ref->name);
  if (m == NULL) {
    char shown[65];
    rgsx_sanitize_buf(shown, sizeof(shown), ref->name, (size_t)-1);
    parse_error(ps, ref->line,
                _("no [module \"%s\"] section in this file or in a file loaded before"), shown);
    return RGS_P11_ERR_POLICY;
  }
  *out = &m->info;
  return RGS_P11_OK;
}

static rgs_p11_rc resolve_refs(policy_parser *ps)
{
  rgs_p11_rc rc = RGS_P11_OK;
  size_t i, k;

  for (i = 0; i < ps->pol->n && rc == RGS_P11_OK; i++) {
    policy_rule *r = ps->pol->rules[i];
    if (r->module.name != NULL)
      rc = resolve_ref(ps, &r->module, &r->entry.module);
    for (k = 0; k < r->entry.n_keygen_modules && rc == RGS_P11_OK; k++)
      rc = resolve_ref(ps, &r->keygen_modules[k], &r->entry.keygen_modules[k]);
  }
  return rc;
}

/* A policy is UTF-8 text: a control character in a device name would reach
 * the terminal with every report, and another encoding would silently
 * match nothing. Tabs and the CR of a CRLF ending are blanks. */
static rgs_p11_rc check_text(policy_parser *ps, const unsigned char *p, size_t len)
{
  const char *why = rgsx_text_fault_str(rgsx_text_check((const char *)p, len, RGSX_TEXT_BLANKS));

  if (why == NULL)
    return RGS_P11_OK;
  parse_error(ps, ps->line_no, "%s", why);
  return RGS_P11_ERR_POLICY;
}

static rgs_p11_rc parse_line(policy_parser *ps, const char *start, size_t len)
{
  rgs_p11_rc rc = RGS_P11_OK;
  char buf[POLICY_MAX_LINE + 1];
  char *line;

  if (len > POLICY_MAX_LINE) {
    parse_error(ps, ps->line_no, _("line longer than %d bytes"), POLICY_MAX_LINE);
    rc = RGS_P11_ERR_POLICY;
    goto cleanup;
  }
  rc = check_text(ps, (const unsigned char *)start, len);
  if (rc != RGS_P11_OK)
    goto cleanup;
  memcpy(buf, start, len);
  buf[len] = '\0';
  line = buf;
  /* A UTF-8 byte order mark, as some editors write, is not content. */
  if (ps->line_no == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
    line += 3;
  line = rgsx_trim(line);
  if (line[0] == '\0' || line[0] == '#')
    goto cleanup;
  if (line[0] == '[')
    rc = parse_section(ps, line);
  else
    rc = parse_key(ps, line);

cleanup:
  return rc;
}

static rgs_p11_rc parse_text(policy_parser *ps, const char *text, size_t len)
{
  rgs_p11_rc rc = RGS_P11_OK;
  rgsx_lines lines;
  const char *line;
  size_t n;

  rgsx_lines_init(&lines, text, len);
  while (rc == RGS_P11_OK && rgsx_lines_next(&lines, &line, &n)) {
    ps->line_no = lines.line_no;
    rc = parse_line(ps, line, n);
  }
  if (rc == RGS_P11_OK)
    rc = finish_section(ps);
  if (rc == RGS_P11_OK)
    rc = resolve_refs(ps);
  return rc;
}

static rgs_p11_policy *policy_new(const char *name)
{
  rgs_p11_policy *pol = calloc(1, sizeof(*pol));
  rgs_p11_policy *out = NULL;

  if (pol == NULL)
    goto cleanup;
  pol->files = grow(NULL, &pol->cap_files, 1, sizeof(*pol->files));
  if (pol->files == NULL)
    goto cleanup;
  pol->files[0] = strdup(name);
  if (pol->files[0] == NULL)
    goto cleanup;
  pol->n_files = 1;
  out = pol;
  pol = NULL;

cleanup:
  rgs_p11_policy_free(pol);
  return out;
}

rgs_p11_rc rgs_p11_policy_load_mem(rgs_p11_policy **pol, const char *name, const char *text,
                                   size_t len, char *errbuf, size_t errlen)
{
  rgs_p11_rc rc = RGS_P11_OK;
  rgs_p11_policy *fresh = NULL;
  rgs_p11_policy *created = NULL;
  policy_parser ps;

  if (errbuf != NULL && errlen > 0)
    errbuf[0] = '\0';
  if (pol == NULL || name == NULL || (text == NULL && len > 0)) {
    rgsx_errf(errbuf, errlen, _("policy: missing argument"));
    rc = RGS_P11_ERR_ARG;
    goto cleanup;
  }
  /* Parse into a policy of its own and move the entries over only when the
   * whole text is good: a failed load leaves *pol as it was. */
  fresh = policy_new(name);
  if (fresh == NULL) {
    rc = RGS_P11_ERR_NOMEM;
    goto cleanup;
  }
  memset(&ps, 0, sizeof(ps));
  ps.name = name;
  ps.errbuf = errbuf;
  ps.errlen = errlen;
  ps.pol = fresh;
  ps.prev = *pol;
  rc = parse_text(&ps, text != NULL ? text : "", len);
  if (rc != RGS_P11_OK)
    goto cleanup;
  if (*pol == NULL) {
    created = calloc(1, sizeof(*created));
    if (created == NULL) {
      rc = RGS_P11_ERR_NOMEM;
      goto cleanup;
    }
  }
  if (!policy_merge(*pol != NULL ? *pol : created, fresh)) {
    rc = RGS_P11_ERR_NOMEM;
    goto cleanup;
  }
  if (created != NULL) {
    *pol = created;
    created = NULL;
  }

cleanup:
  if (rc == RGS_P11_ERR_NOMEM)
    rgsx_errf(errbuf, errlen, "%s: %s", name != NULL ? name : "?", _("out of memory"));
  rgs_p11_policy_free(created);
  rgs_p11_policy_free(fresh);
  return rc;
}

/* Read a whole file, refusing more than POLICY_MAX_FILE bytes. */
static rgs_p11_rc read_file(const char *path, char **out, size_t *outlen, char *errbuf,
                            size_t errlen)
{
  rgs_p11_rc rc = RGS_P11_OK;
  rgsx_rc orc = RGSX_OK;
  FILE *f = NULL;
  char *buf = NULL;
  size_t n;

  /* A FIFO or a device given as --policy would block the read forever. */
  f = rgsx_fopen_regular(path, &orc);
  if (f == NULL) {
    rgsx_errf(errbuf, errlen, "%s: %s", path,
                orc == RGSX_ERR_SYSTEM ? strerror(errno) : rgsx_strerror(orc));
    rc = orc == RGSX_ERR_NOMEM ? RGS_P11_ERR_NOMEM : RGS_P11_ERR_IO;
    goto cleanup;
  }
  buf = malloc(POLICY_MAX_FILE + 1);
  if (buf == NULL) {
    rc = RGS_P11_ERR_NOMEM;
    goto cleanup;
  }
  n = fread(buf, 1, POLICY_MAX_FILE + 1, f);
  if (ferror(f)) {
    rgsx_errf(errbuf, errlen, "%s: %s", path, strerror(errno));
    rc = RGS_P11_ERR_IO;
    goto cleanup;
  }
  if (n > POLICY_MAX_FILE) {
    rgsx_errf(errbuf, errlen, _("%s: larger than %d bytes, not a policy file"), path,
                POLICY_MAX_FILE);
    rc = RGS_P11_ERR_POLICY;
    goto cleanup;
  }
  *out = buf;
  *outlen = n;
  buf = NULL;

cleanup:
  free(buf);
  if (f != NULL)
    fclose(f);
  return rc;
}

rgs_p11_rc rgs_p11_policy_load(rgs_p11_policy **pol, const char *path, char *errbuf,
                               size_t errlen)
{
  rgs_p11_rc rc = RGS_P11_OK;
  char *text = NULL;
  size_t len = 0;

  if (errbuf != NULL && errlen > 0)
    errbuf[0] = '\0';
  if (pol == NULL || path == NULL) {
    rgsx_errf(errbuf, errlen, _("policy: missing argument"));
    rc = RGS_P11_ERR_ARG;
    goto cleanup;
  }
  rc = read_file(path, &text, &len, errbuf, errlen);
  if (rc != RGS_P11_OK)
    goto cleanup;
  rc = rgs_p11_policy_load_mem(pol, path, text, len, errbuf, errlen);

cleanup:
  free(text);
  return rc;
}

/* ---- matching --------------------------------------------------------- */

/* The field without surrounding blanks, as [*s, *s + *n). */
static void trimmed(const char *field, const char **s, size_t *n)
{
  const char *p = field != NULL ? field : "";
  size_t len;

  while (*p == ' ' || *p == '\t')
    p++;
  len = strlen(p);
  while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
    len--;
  *s = p;
  *n = len;
}

static int pattern_matches(const char *pattern, const char *field)
{
  const char *s;
  size_t n;

  if (pattern == NULL)
    return 1;   /* absent key: "*" */
  trimmed(field, &s, &n);
  return glob_match(pattern, s, n);
}

const rgs_p11_policy_entry *rgs_p11_policy_match(const rgs_p11_policy *pol,
                                                 const char *manufacturer,
                                                 const char *model, const char *label)
{
  const rgs_p11_policy_entry *found = NULL;
  size_t i;

  if (pol == NULL)
    goto cleanup;
  for (i = 0; i < pol->n && found == NULL; i++) {
    const policy_rule *r = pol->rules[i];
    if (pattern_matches(r->pattern[PAT_MANUFACTURER], manufacturer) &&
        pattern_matches(r->pattern[PAT_MODEL], model) &&
        pattern_matches(r->pattern[PAT_LABEL], label))
      found = &r->entry;
  }

cleanup:
  return found;
}

const rgs_p11_module_info *rgs_p11_policy_module(const rgs_p11_policy *pol, const char *name)
{
  const policy_module *m = name != NULL ? find_module(pol, name) : NULL;

  return m != NULL ? &m->info : NULL;
}

const rgs_p11_module_info *rgs_p11_policy_module_at(const rgs_p11_policy *pol, size_t i)
{
  return pol != NULL && i < pol->n_mods ? &pol->mods[i]->info : NULL;
}

const char *rgs_p11_module_installed(const rgs_p11_module_info *m)
{
  size_t i;

  for (i = 0; m != NULL && i < m->n_paths; i++)
    if (access(m->paths[i], R_OK) == 0)
      return m->paths[i];
  return NULL;
}
