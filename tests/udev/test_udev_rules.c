/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_udev_rules.c - the udev rule, read by a parser of its own, and what
 * the watcher takes from udev:
 *   - every line of udev/70-rgs-enroll.rules is "KEY[{attr}] OP \"value\""
 *     pairs with known keys and operators; no RUN, PROGRAM or IMPORT (no
 *     program runs from udev), no substitution ($env, %k...) anywhere, and
 *     every GOTO has its LABEL;
 *   - evaluated on devices (add and remove): CCID readers and the tokens
 *     of the market are tagged for systemd and want the user unit, other
 *     USB devices are not; hostile values change nothing;
 *   - the vendor:product ids of the rule are exactly those of the code;
 *   - rgs_usb_device_read keeps hostile udev values inert (ids validated,
 *     text cleaned), and rgs_notify_clean escapes markup and controls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "watch.h"
#include "rgs_test.h"

/* ---- a parser for the subset of udev rules syntax the file may use ------- */

#define MAX_RULES 64
#define MAX_PAIRS 8

typedef enum { OP_MATCH, OP_NOMATCH, OP_ASSIGN, OP_ADD, OP_FINAL } rule_op;

typedef struct {
  char key[32];
  char attr[64];
  rule_op op;
  char value[256];
} pair;

typedef struct {
  pair p[MAX_PAIRS];
  size_t n;
  int line;
} rule;

typedef struct {
  rule r[MAX_RULES];
  size_t n;
} ruleset;

static const char *parse_pair(const char *s, pair *p, int line)
{
  size_t k = 0, a = 0, v = 0;

  memset(p, 0, sizeof(*p));
  while (*s >= 'A' && *s <= 'Z' && k + 1 < sizeof(p->key))
    p->key[k++] = *s++;
  if (k == 0)
    fail_msg("line %d: a key is expected at '%s'", line, s);
  if (*s == '{') {
    s++;
    while (*s != '}' && *s != '\0' && a + 1 < sizeof(p->attr))
      p->attr[a++] = *s++;
    if (*s++ != '}')
      fail_msg("line %d: unterminated {attribute}", line);
  }
  if (strncmp(s, "==", 2) == 0) { p->op = OP_MATCH; s += 2; }
  else if (strncmp(s, "!=", 2) == 0) { p->op = OP_NOMATCH; s += 2; }
  else if (strncmp(s, "+=", 2) == 0) { p->op = OP_ADD; s += 2; }
  else if (strncmp(s, ":=", 2) == 0) { p->op = OP_FINAL; s += 2; }
  else if (*s == '=') { p->op = OP_ASSIGN; s += 1; }
  else fail_msg("line %d: no operator after %s", line, p->key);
  if (*s++ != '"')
    fail_msg("line %d: the value of %s is not quoted", line, p->key);
  while (*s != '"' && *s != '\0' && v + 1 < sizeof(p->value))
    p->value[v++] = *s++;
  if (*s++ != '"')
    fail_msg("line %d: unterminated value of %s", line, p->key);
  return s;
}

static void parse_rules(const char *text, ruleset *rs)
{
  const char *line = text, *s;
  int no = 0;

  memset(rs, 0, sizeof(*rs));
  while (line != NULL && *line != '\0') {
    const char *end = strchr(line, '\n');
    char buf[1024];
    size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
    rule *r;

    no++;
    assert_true(len < sizeof(buf));
    memcpy(buf, line, len);
    buf[len] = '\0';
    line = end != NULL ? end + 1 : NULL;
    assert_true(len == 0 || buf[len - 1] != '\\');   /* no continuation lines */
    s = buf;
    while (*s == ' ' || *s == '\t')
      s++;
    if (*s == '\0' || *s == '#')
      continue;
    assert_true(rs->n < MAX_RULES);
    r = &rs->r[rs->n++];
    r->line = no;
    for (;;) {
      assert_true(r->n < MAX_PAIRS);
      s = parse_pair(s, &r->p[r->n++], no);
      if (*s == '\0')
        break;
      if (strncmp(s, ", ", 2) != 0)
        fail_msg("line %d: pairs are separated by ', ' (at '%s')", no, s);
      s += 2;
    }
  }
}

/* ---- an evaluator --------------------------------------------------------- */

#define MAX_PROPS 24

typedef struct {
  char key[32];
  char value[256];
} prop;

typedef struct {
  prop p[MAX_PROPS];
  size_t n;
  char tags[256];
} device;

static const char *dget(const device *d, const char *key)
{
  size_t i;

  for (i = 0; i < d->n; i++)
    if (strcmp(d->p[i].key, key) == 0)
      return d->p[i].value;
  return NULL;
}

static void dset(device *d, const char *key, const char *value, int append)
{
  size_t i;

  for (i = 0; i < d->n; i++) {
    if (strcmp(d->p[i].key, key) == 0) {
      if (append && d->p[i].value[0] != '\0') {
        strncat(d->p[i].value, " ", sizeof(d->p[i].value) - strlen(d->p[i].value) - 1);
        strncat(d->p[i].value, value, sizeof(d->p[i].value) - strlen(d->p[i].value) - 1);
      } else {
        snprintf(d->p[i].value, sizeof(d->p[i].value), "%s", value);
      }
      return;
    }
  }
  assert_true(d->n < MAX_PROPS);
  snprintf(d->p[d->n].key, sizeof(d->p[0].key), "%s", key);
  snprintf(d->p[d->n].value, sizeof(d->p[0].value), "%s", value);
  d->n++;
}

/* udev's match: glob patterns, '|' separating alternatives. */
static int value_matches(const char *pattern, const char *value)
{
  char alt[256];
  const char *p = pattern;

  for (;;) {
    size_t len = strcspn(p, "|");
    snprintf(alt, sizeof(alt), "%.*s", (int)len, p);
    if (fnmatch(alt, value, 0) == 0)
      return 1;
    if (p[len] == '\0')
      return 0;
    p += len + 1;
  }
}

static const char *match_value(const device *d, const pair *p)
{
  const char *v = NULL;

  if (strcmp(p->key, "ENV") == 0)
    v = dget(d, p->attr);
  else if (strcmp(p->key, "ACTION") == 0 || strcmp(p->key, "SUBSYSTEM") == 0)
    v = dget(d, p->key);
  else
    fail_msg("no match on key %s in this evaluator", p->key);
  return v != NULL ? v : "";
}

static void evaluate(const ruleset *rs, device *d)
{
  const char *jump = NULL;
  size_t i, j;

  for (i = 0; i < rs->n; i++) {
    const rule *r = &rs->r[i];
    int all = 1;

    if (jump != NULL) {
      if (r->n == 1 && strcmp(r->p[0].key, "LABEL") == 0 && strcmp(r->p[0].value, jump) == 0)
        jump = NULL;
      continue;
    }
    for (j = 0; j < r->n && all; j++) {
      const pair *p = &r->p[j];
      if (p->op == OP_MATCH)
        all = value_matches(p->value, match_value(d, p));
      else if (p->op == OP_NOMATCH)
        all = !value_matches(p->value, match_value(d, p));
    }
    if (!all)
      continue;
    for (j = 0; j < r->n; j++) {
      const pair *p = &r->p[j];
      if (p->op == OP_MATCH || p->op == OP_NOMATCH)
        continue;
      if (strcmp(p->key, "ENV") == 0) {
        dset(d, p->attr, p->value, p->op == OP_ADD);
      } else if (strcmp(p->key, "TAG") == 0) {
        strncat(d->tags, " ", sizeof(d->tags) - strlen(d->tags) - 1);
        strncat(d->tags, p->value, sizeof(d->tags) - strlen(d->tags) - 1);
      } else if (strcmp(p->key, "GOTO") == 0) {
        jump = p->value;
      }
    }
  }
}

static char *rules_text(void)
{
  char path[1024];
  char *t;

  snprintf(path, sizeof(path), "%s/udev/70-rgs-enroll.rules", rgs_env("RGS_SOURCE_DIR"));
  t = rgs_read_file(path, NULL);
  assert_non_null(t);
  return t;
}

static ruleset *load(void)
{
  ruleset *rs = calloc(1, sizeof(*rs));
  char *t = rules_text();

  assert_non_null(rs);
  parse_rules(t, rs);
  free(t);
  return rs;
}

/* A device with "K=V" properties, NULL-terminated. */
static void make_device(device *d, ...)
{
  const char *kv;
  va_list ap;

  memset(d, 0, sizeof(*d));
  va_start(ap, d);
  while ((kv = va_arg(ap, const char *)) != NULL) {
    const char *eq = strchr(kv, '=');
    char key[32];
    assert_non_null(eq);
    snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
    dset(d, key, eq + 1, 0);
  }
  va_end(ap);
}

static int wants_unit(const device *d)
{
  const char *w = dget(d, "SYSTEMD_USER_WANTS");

  return strstr(d->tags, " systemd") != NULL && w != NULL &&
         strcmp(w, "rgs-enroll-watch.service") == 0;
}

/* ---- the tests ----------------------------------------------------------- */

static void test_syntax_and_safety(void **state)
{
  ruleset *rs = load();
  size_t i, j, k;
  int wants = 0;

  (void)state;
  for (i = 0; i < rs->n; i++) {
    for (j = 0; j < rs->r[i].n; j++) {
      const pair *p = &rs->r[i].p[j];
      int line = rs->r[i].line;
      if (strcmp(p->key, "ACTION") != 0 && strcmp(p->key, "SUBSYSTEM") != 0 &&
          strcmp(p->key, "ENV") != 0 && strcmp(p->key, "TAG") != 0 &&
          strcmp(p->key, "GOTO") != 0 && strcmp(p->key, "LABEL") != 0)
        fail_msg("line %d: key %s is not one this file may use (no RUN, PROGRAM, IMPORT)", line,
                 p->key);
      /* No substitution: no value of the device reaches an assignment. */
      if (strpbrk(p->value, "$%`") != NULL)
        fail_msg("line %d: substitution in '%s'", line, p->value);
      if ((p->op == OP_MATCH || p->op == OP_NOMATCH) &&
          (strcmp(p->key, "TAG") == 0 || strcmp(p->key, "GOTO") == 0 || strcmp(p->key, "LABEL") == 0))
        fail_msg("line %d: %s is not a match key", line, p->key);
      if (strcmp(p->key, "ENV") == 0 && strcmp(p->attr, "SYSTEMD_USER_WANTS") == 0) {
        assert_int_equal(p->op, OP_ADD);
        assert_string_equal(p->value, "rgs-enroll-watch.service");
        wants++;
      }
      if (strcmp(p->key, "GOTO") == 0) {
        int found = 0;
        for (k = 0; k < rs->n; k++)
          if (rs->r[k].n == 1 && strcmp(rs->r[k].p[0].key, "LABEL") == 0 &&
              strcmp(rs->r[k].p[0].value, p->value) == 0)
            found = 1;
        if (!found)
          fail_msg("line %d: GOTO %s has no LABEL", line, p->value);
      }
    }
  }
  assert_int_equal(wants, 1);
  free(rs);
}

static void test_devices(void **state)
{
  ruleset *rs = load();
  device d;

  (void)state;
  /* A CCID reader (ACS ACR39U): one interface of class 0b. */
  make_device(&d, "ACTION=add", "SUBSYSTEM=usb", "DEVTYPE=usb_device", "ID_VENDOR_ID=072f",
              "ID_MODEL_ID=b100", "ID_USB_INTERFACES=:0b0000:", NULL);
  evaluate(rs, &d);
  assert_true(wants_unit(&d));
  /* A composite device with a CCID interface among others (YubiKey). */
  make_device(&d, "ACTION=add", "SUBSYSTEM=usb", "DEVTYPE=usb_device", "ID_VENDOR_ID=1050",
              "ID_MODEL_ID=0407", "ID_USB_INTERFACES=:030101:0b0000:", NULL);
  evaluate(rs, &d);
  assert_true(wants_unit(&d));
  /* An IDPrime token whose firmware shows a vendor class. */
  make_device(&d, "ACTION=add", "SUBSYSTEM=usb", "DEVTYPE=usb_device", "ID_VENDOR_ID=08e6",
              "ID_MODEL_ID=3438", "ID_USB_INTERFACES=:ff0000:", NULL);
  evaluate(rs, &d);
  assert_true(wants_unit(&d));
  assert_string_equal(dget(&d, "RGS_ENROLL_TOKEN"), "idprime");
  /* A mouse, a CCID interface device node, a remove event: nothing. */
  make_device(&d, "ACTION=add", "SUBSYSTEM=usb", "DEVTYPE=usb_device", "ID_VENDOR_ID=046d",
              "ID_MODEL_ID=c077", "ID_USB_INTERFACES=:030102:", NULL);
  evaluate(rs, &d);
  assert_false(wants_unit(&d));
  make_device(&d, "ACTION=add", "SUBSYSTEM=usb", "DEVTYPE=usb_interface",
              "ID_USB_INTERFACES=:0b0000:", NULL);
  evaluate(rs, &d);
  assert_false(wants_unit(&d));
  make_device(&d, "ACTION=remove", "SUBSYSTEM=usb", "DEVTYPE=usb_device", "ID_VENDOR_ID=08e6",
              "ID_MODEL_ID=3438", "ID_USB_INTERFACES=:0b0000:", NULL);
  evaluate(rs, &d);
  assert_false(wants_unit(&d));
  make_device(&d, "ACTION=add", "SUBSYSTEM=block", "DEVTYPE=disk", "ID_USB_INTERFACES=:0b0000:",
              NULL);
  evaluate(rs, &d);
  assert_false(wants_unit(&d));
  free(rs);
}

static void test_hostile_values_are_inert(void **state)
{
  ruleset *rs = load();
  device d;

  (void)state;
  make_device(&d, "ACTION=add", "SUBSYSTEM=usb", "DEVTYPE=usb_device", "ID_VENDOR_ID=08e6",
              "ID_MODEL_ID=3438", "ID_USB_INTERFACES=:0b0000:",
              "ID_SERIAL=$(touch /tmp/rgs-pwned);`id`", "ID_MODEL=a\"b';c\nd",
              "ID_VENDOR=%k $env{HOME}", NULL);
  evaluate(rs, &d);
  /* The unit wanted is the constant, whatever the device says of itself;
   * its strings stay values that no rule substitutes or runs. */
  assert_true(wants_unit(&d));
  assert_string_equal(dget(&d, "SYSTEMD_USER_WANTS"), "rgs-enroll-watch.service");
  assert_string_equal(dget(&d, "RGS_ENROLL_TOKEN"), "idprime");
  free(rs);
}

static void test_ids_match_the_code(void **state)
{
  ruleset *rs = load();
  const rgs_usb_known *known;
  size_t n_known, i, j, in_rules = 0;

  (void)state;
  known = rgs_usb_known_tokens(&n_known);
  for (i = 0; i < rs->n; i++) {
    const rule *r = &rs->r[i];
    const char *vid = NULL, *pid = NULL;
    int found = 0;
    for (j = 0; j < r->n; j++) {
      if (strcmp(r->p[j].key, "ENV") == 0 && strcmp(r->p[j].attr, "ID_VENDOR_ID") == 0)
        vid = r->p[j].value;
      if (strcmp(r->p[j].key, "ENV") == 0 && strcmp(r->p[j].attr, "ID_MODEL_ID") == 0)
        pid = r->p[j].value;
    }
    if (vid == NULL || pid == NULL)
      continue;
    in_rules++;
    for (j = 0; j < n_known; j++)
      if (strcmp(known[j].vendor_id, vid) == 0 && strcmp(known[j].product_id, pid) == 0)
        found = 1;
    if (!found)
      fail_msg("rule line %d: %s:%s is not in enroll/watch_udev.c", r->line, vid, pid);
  }
  assert_int_equal(in_rules, n_known);
  /* And each known token, evaluated, wants the unit. */
  for (j = 0; j < n_known; j++) {
    device d;
    make_device(&d, "ACTION=add", "SUBSYSTEM=usb", "DEVTYPE=usb_device", "ID_USB_INTERFACES=:ff0000:",
                NULL);
    dset(&d, "ID_VENDOR_ID", known[j].vendor_id, 0);
    dset(&d, "ID_MODEL_ID", known[j].product_id, 0);
    evaluate(rs, &d);
    assert_true(wants_unit(&d));
  }
  free(rs);
}

/* The real parser: udevadm test loads every rules file, ours put in
 * /etc/udev/rules.d of a private mount namespace (tmpfs over the rules
 * directory, /run/udev and /dev, so that the machine is left as it was),
 * and says "FILE:LINE ..." for each key, operator or GOTO it refuses.
 * Needs root and unshare: skipped otherwise. */
static void test_udevadm_reads_the_rules(void **state)
{
  char script[2048], rules[1024];
  const char *argv[] = { "/usr/bin/unshare", "-m", "/bin/sh", "-c", script, NULL };
  rgs_run_result r;

  (void)state;
  if (geteuid() != 0 || access("/usr/bin/unshare", X_OK) != 0 ||
      access("/usr/bin/udevadm", X_OK) != 0 || access("/sys/class/mem/null", F_OK) != 0)
    skip();
  snprintf(rules, sizeof(rules), "%s/udev/70-rgs-enroll.rules", rgs_env("RGS_SOURCE_DIR"));
  snprintf(script, sizeof(script),
           "mount -t tmpfs none /etc/udev/rules.d && mount -t tmpfs none /run/udev && "
           "cp '%s' /etc/udev/rules.d/ && mount -t tmpfs none /dev || exit 77\n"
           "exec /usr/bin/udevadm test --action=add /sys/class/mem/null\n", rules);
  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  if (r.status == 77 || strstr(r.err, "unshare failed") != NULL) {
    rgs_run_free(&r);
    skip();
  }
  /* udevadm read the rules, and refused no part of them */
  rgs_assert_says(&r, "Reading rules file: /etc/udev/rules.d/70-rgs-enroll.rules");
  assert_not_contains(r.out, "70-rgs-enroll.rules:");
  assert_not_contains(r.err, "70-rgs-enroll.rules:");
  rgs_run_free(&r);
}

/* ---- what the watcher reads from udev ------------------------------------ */

typedef struct {
  const char *const *kv;
} props;

static const char *get(void *ud, const char *key)
{
  const props *p = ud;
  size_t klen = strlen(key), i;

  for (i = 0; p->kv[i] != NULL; i++)
    if (strncmp(p->kv[i], key, klen) == 0 && p->kv[i][klen] == '=')
      return p->kv[i] + klen + 1;
  return NULL;
}

static void test_device_values_validated(void **state)
{
  static const char *const ok[] = { "ID_VENDOR_ID=08E6", "ID_MODEL_ID=3438",
                                    "ID_USB_INTERFACES=:0b0000:", "ID_VENDOR=Gemalto",
                                    "ID_MODEL=USB_Shell_Token_V2", "ID_SERIAL_SHORT=ABC-123", NULL };
  static const char *const hostile[] = {
    "ID_VENDOR_ID=08e6;x", "ID_MODEL_ID=$(id)", "ID_USB_INTERFACES=:0b0000:;rm -rf ~:",
    "ID_VENDOR=Evil$(touch /tmp/rgs-pwned)", "ID_MODEL=a\"b'c;d\ne`id`",
    "ID_SERIAL_SHORT=<b>&amp;</b>\t%s%n", "PRODUCT=8e6/3438/100;reboot", NULL };
  static const char *const from_product[] = { "PRODUCT=8e6/3438/100", NULL };
  static const char *const mouse[] = { "ID_VENDOR_ID=046d", "ID_MODEL_ID=c077",
                                       "ID_USB_INTERFACES=:030102:", NULL };
  props p;
  rgs_usb_device d;
  char longv[2100];
  const char *longkv[3];
  char longbuf[2200];

  (void)state;
  p.kv = ok;
  assert_true(rgs_usb_device_read(get, &p, &d));
  assert_string_equal(d.vendor_id, "08e6");
  assert_string_equal(d.product_id, "3438");
  assert_true(d.ccid);
  assert_non_null(d.known);
  assert_string_equal(d.serial, "ABC-123");

  p.kv = hostile;
  /* Malformed ids and interface list: not a token by them. */
  assert_false(rgs_usb_device_read(get, &p, &d));
  assert_string_equal(d.vendor_id, "");
  assert_string_equal(d.product_id, "");
  assert_false(d.ccid);
  assert_string_equal(d.vendor, "Evil__touch _tmp_rgs-pwned_");
  assert_string_equal(d.model, "a_b_c_d_e_id_");
  assert_string_equal(d.serial, "_b__amp___b___s_n");

  p.kv = from_product;
  assert_true(rgs_usb_device_read(get, &p, &d));
  assert_string_equal(d.vendor_id, "08e6");
  assert_string_equal(d.product_id, "3438");
  assert_string_equal(d.vendor, "?");

  p.kv = mouse;
  assert_false(rgs_usb_device_read(get, &p, &d));

  memset(longv, 'A', sizeof(longv) - 1);
  longv[sizeof(longv) - 1] = '\0';
  snprintf(longbuf, sizeof(longbuf), "ID_MODEL=%s", longv);
  longkv[0] = "ID_USB_INTERFACES=:0b0000:";
  longkv[1] = longbuf;
  longkv[2] = NULL;
  p.kv = longkv;
  assert_true(rgs_usb_device_read(get, &p, &d));
  assert_int_equal(strlen(d.model), sizeof(d.model) - 1);
}

static void test_notify_clean(void **state)
{
  char out[64], small[8];

  (void)state;
  rgs_notify_clean("<b>Jean</b> & \"Co\"", out, sizeof(out), 1);
  assert_string_equal(out, "&lt;b&gt;Jean&lt;/b&gt; &amp; \"Co\"");
  rgs_notify_clean("<b>Jean</b>", out, sizeof(out), 0);
  assert_string_equal(out, "<b>Jean</b>");
  rgs_notify_clean("a\tb\x1b[31mc\nd\x7f", out, sizeof(out), 1);
  assert_string_equal(out, "a b [31mc\nd ");
  rgs_notify_clean("bad \xff\xfe utf8 \xc3", out, sizeof(out), 1);
  assert_string_equal(out, "bad    utf8  ");
  /* Cut at a character boundary: "éé" is 4 bytes, 7 fit in small. */
  rgs_notify_clean("abcé&é", small, sizeof(small), 1);
  assert_string_equal(small, "abcé");
  rgs_notify_clean(NULL, out, sizeof(out), 1);
  assert_string_equal(out, "");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_syntax_and_safety),
    cmocka_unit_test(test_devices),
    cmocka_unit_test(test_hostile_values_are_inert),
    cmocka_unit_test(test_ids_match_the_code),
    cmocka_unit_test(test_udevadm_reads_the_rules),
    cmocka_unit_test(test_device_values_validated),
    cmocka_unit_test(test_notify_clean),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
