/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_man.c - the manual pages, English (doc/rgs-enroll.1) and French
 * (doc/fr/rgs-enroll.1), as readers get them:
 *   - groff (-ww, every warning) and man (the way lintian runs it) render
 *     both without a single warning, and a page with a fault does warn;
 *   - at 80 columns no option list runs into its description: the tag of
 *     each indented paragraph closes every bracket it opens before the text
 *     starts (the fault of `check` and `keygen` in 0.1.0);
 *   - both pages name exactly the key types that the token layer accepts;
 *   - both have the same structure (sections, paragraphs, displays);
 *   - `cmake --install` puts the French page under share/man/fr/man1.
 *   - the window's page (doc/rgs-enroll-gtk.1): no warning, no open tag,
 *     every option of the window named.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "rgs_test.h"
#include "rgs_p11.h"

static const char *const pages[] = { "doc/rgs-enroll.1", "doc/fr/rgs-enroll.1" };

static void page_path(const char *rel, char *out, size_t len)
{
  snprintf(out, len, "%s/%s", rgs_env("RGS_SOURCE_DIR"), rel);
}

static const char *const man_env[] = { "LC_ALL=C.UTF-8", "MANROFFSEQ=", "MANWIDTH=80",
                                       "MAN_KEEP_FORMATTING=", NULL };

/* The warnings groff and man print for the page at path ("" when none). */
static char *warnings(const char *path)
{
  const char *groff[] = { "/usr/bin/groff", "-k", "-man", "-Tutf8", "-ww", "-z", path, NULL };
  /* lintian's own check (groff-message) */
  const char *man[] = { "/usr/bin/man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", path, NULL };
  const char *const *cmds[] = { groff, man };
  size_t i, len = 0;
  char *all = calloc(1, 1);

  for (i = 0; i < 2; i++) {
    rgs_run_result r;
    char *more;

    assert_int_equal(rgs_run(cmds[i], man_env, NULL, &r), 0);
    assert_int_equal(r.status, 0);
    more = realloc(all, len + strlen(r.err) + 1);
    assert_non_null(more);
    all = more;
    memcpy(all + len, r.err, strlen(r.err) + 1);
    len += strlen(r.err);
    rgs_run_free(&r);
  }
  return all;
}

/* The page rendered as a reader sees it on an 80-column terminal. */
static char *render(const char *path)
{
  const char *argv[] = { "/usr/bin/man", "-E", "UTF-8", "-l", path, NULL };
  rgs_run_result r;
  char *out;

  assert_int_equal(rgs_run(argv, man_env, NULL, &r), 0);
  assert_int_equal(r.status, 0);
  out = strdup(r.out);
  rgs_run_free(&r);
  return out;
}

static size_t indent_of(const char *line)
{
  size_t n = 0;

  while (line[n] == ' ')
    n++;
  return n;
}

/* Tags whose brackets do not close before their text starts: a run of
 * lines at one indent directly followed by a deeper line is the tag of a
 * tagged paragraph. Returns how many, printed unless quiet. */
static int open_tags(char *text, int quiet)
{
  char *lines[4096], *p, *save = NULL;
  size_t n = 0, i, start = 0;
  int bad = 0, depth = 0;

  for (p = strtok_r(text, "\n", &save); p != NULL && n < 4096; p = strtok_r(NULL, "\n", &save))
    lines[n++] = p;               /* blank lines vanish: a paragraph ends a run anyway */
  for (i = 0; i < n; i++) {
    const char *c;

    if (i == start)
      depth = 0;
    for (c = lines[i]; *c != '\0'; c++)
      depth += *c == '[' ? 1 : *c == ']' ? -1 : 0;
    if (i + 1 < n && indent_of(lines[i + 1]) == indent_of(lines[i]))
      continue;                   /* the run goes on */
    if (i + 1 < n && indent_of(lines[i + 1]) > indent_of(lines[i]) && depth != 0) {
      bad++;
      if (!quiet)
        print_error("option list runs into its text:\n%s\n%s\n", lines[i], lines[i + 1]);
    }
    start = i + 1;
  }
  return bad;
}

static void test_no_warnings(void **state)
{
  char path[1024], *w;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
    page_path(pages[i], path, sizeof(path));
    w = warnings(path);
    if (w[0] != '\0')
      fail_msg("%s:\n%s", pages[i], w);
    free(w);
  }
}

/* The check sees a warning: an unknown escape and a line too long to fit. */
static void test_warnings_are_seen(void **state)
{
  char *dir = rgs_tmpdir(), path[700], *w;

  (void)state;
  snprintf(path, sizeof(path), "%s/bad.1", dir);
  assert_int_equal(rgs_write_file(path, ".TH BAD 1\n.SH NAME\nbad \\- a fault\n.SH DESCRIPTION\n"
                                        "Text \\qhere.\n.TP\n.B x\n"
                                        "RGS\\-DOSSIER/1;order=ID;ref=REF;spki=SPKI\\-SHA256;"
                                        "csr=CSR\\-DER\\-SHA256;serial=TOKEN;name=HOLDER\n"),
                   0);
  w = warnings(path);
  assert_contains(w, "warning");
  free(w);
  rgs_rmrf(dir);
  free(dir);
}

static void test_tags_close_before_text(void **state)
{
  char path[1024], *text;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
    page_path(pages[i], path, sizeof(path));
    text = render(path);
    assert_true(strlen(text) > 20000);
    if (open_tags(text, 0) != 0)
      fail_msg("%s: an option list runs into its description", pages[i]);
    free(text);
  }
}

/* The check finds the fault of 0.1.0: a tag written on two input lines. */
static void test_open_tag_is_seen(void **state)
{
  char *dir = rgs_tmpdir(), path[700], *text;

  (void)state;
  snprintf(path, sizeof(path), "%s/bad.1", dir);
  assert_int_equal(rgs_write_file(path, ".TH BAD 1\n.SH COMMANDS\n.TP\n"
                                        ".BR check \" [\" \\-\\-key\n"
                                        ".IR URI \"] [\" \\fB\\-\\-validity\\-years\\fR \" \" N ]\n"
                                        "The RGS** report.\n.TP\n.B tokens\nList.\n"),
                   0);
  text = render(path);
  assert_int_equal(open_tags(text, 1), 1);
  free(text);
  rgs_rmrf(dir);
  free(dir);
}

/* The window's page (rgs-enroll-gtk.1, English only): no warning, its
 * option list closed before the text, its options all there. */
static void test_window_page(void **state)
{
  static const char *const opts[] = { "--policy", "--module", "--db", "--out-dir", "--order",
                                      "--token", "--officer", "--askpass" };
  char path[1024], *w, *text;
  size_t i;

  (void)state;
  page_path("doc/rgs-enroll-gtk.1", path, sizeof(path));
  w = warnings(path);
  if (w[0] != '\0')
    fail_msg("doc/rgs-enroll-gtk.1:\n%s", w);
  free(w);
  text = render(path);
  for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
    assert_non_null(strstr(text, opts[i]));
  assert_int_equal(open_tags(text, 0), 0);
  free(text);
}

/* Every "rsa:..." and "ec:..." the page names is accepted by the token
 * layer, and every accepted one (of all plausible names) is named. */
static const char *const key_candidates[] = {
  "rsa:1024", "rsa:1536", "rsa:2048", "rsa:3072", "rsa:4096", "rsa:6144", "rsa:8192",
  "ec:p192", "ec:p224", "ec:p256", "ec:p384", "ec:p521", "ec:frp256v1", "ec:secp256k1",
  "ec:brainpoolp256r1", "ec:ed25519", "ec:prime256v1", "ec:secp384r1",
};

static int accepted(const char *t)
{
  rgs_p11_keyspec spec;

  return rgs_p11_keyspec_parse(t, &spec) == RGS_P11_OK;
}

/* How many key types the page gets wrong, printed unless quiet. */
static int check_key_types(const char *rel, const char *man, int quiet)
{
  char names[64][32];
  size_t n = 0, i, k;
  const char *p;
  int bad = 0, found;

  for (p = man; (p = strchr(p, ':')) != NULL && n < 64; p++) {
    const char *s = p;
    size_t len;

    while (s > man && isalpha((unsigned char)s[-1]))
      s--;
    if (!((p - s == 3 && strncmp(s, "rsa", 3) == 0) || (p - s == 2 && strncmp(s, "ec", 2) == 0)))
      continue;
    len = (size_t)(p - s) + 1 + strspn(p + 1, "abcdefghijklmnopqrstuvwxyz0123456789");
    snprintf(names[n], sizeof(names[n]), "%.*s", (int)len, s);
    if (!accepted(names[n])) {
      bad++;
      if (!quiet)
        print_error("%s names key type %s, which keygen refuses\n", rel, names[n]);
    }
    n++;
  }
  for (i = 0; i < sizeof(key_candidates) / sizeof(key_candidates[0]); i++) {
    if (!accepted(key_candidates[i]))
      continue;
    for (k = 0, found = 0; k < n; k++)
      found |= strcmp(names[k], key_candidates[i]) == 0;
    if (!found) {
      bad++;
      if (!quiet)
        print_error("%s does not name key type %s, which keygen accepts\n", rel,
                    key_candidates[i]);
    }
  }
  return bad;
}

static void test_key_types(void **state)
{
  char path[1024], *man;
  size_t i, n = 0;

  (void)state;
  for (i = 0; i < sizeof(key_candidates) / sizeof(key_candidates[0]); i++)
    n += (size_t)accepted(key_candidates[i]);
  assert_true(n >= 3);
  for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
    page_path(pages[i], path, sizeof(path));
    man = rgs_read_file(path, NULL);
    assert_non_null(man);
    assert_int_equal(check_key_types(pages[i], man, 0), 0);
    free(man);
  }
  /* The check can fail. */
  assert_int_equal(check_key_types("sample", ".BR rsa:2048 \", \" rsa:1024 \", \" rsa:3072 \", \" "
                                   "rsa:4096 \", \" ec:p256 \", \" ec:p384 \" and \" ec:p521\n", 1), 1);
  assert_int_equal(check_key_types("sample", ".BR rsa:2048 \", \" rsa:3072\n", 1), 4);
  assert_int_equal(check_key_types("sample", ".BR rsa:2048 \", \" rsa:3072 \", \" rsa:4096 \", \" "
                                   "ec:p256 \", \" ec:p384 \" and \" ec:p521\n", 1), 0);
}

/* The requests that shape the page (.SH .SS .TP .IP .RS .RE .PP .nf .fi),
 * in order, one letter pair each. */
static char *structure(const char *man)
{
  static const char *const reqs[] = { ".SH", ".SS", ".TP", ".IP", ".RS", ".RE", ".PP", ".nf", ".fi" };
  char *out = calloc(1, strlen(man) + 1);
  const char *p = man;
  size_t o = 0, i;

  while (p != NULL && *p != '\0') {
    for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
      if (strncmp(p, reqs[i], 3) == 0 && (p[3] == '\n' || p[3] == ' ')) {
        memcpy(out + o, reqs[i] + 1, 2);
        o += 2;
      }
    p = strchr(p, '\n');
    if (p != NULL)
      p++;
  }
  return out;
}

static void test_french_page_follows_english(void **state)
{
  char path[1024], *en, *fr, *s_en, *s_fr;

  (void)state;
  page_path(pages[0], path, sizeof(path));
  en = rgs_read_file(path, NULL);
  page_path(pages[1], path, sizeof(path));
  fr = rgs_read_file(path, NULL);
  assert_non_null(en);
  assert_non_null(fr);
  s_en = structure(en);
  s_fr = structure(fr);
  assert_true(strlen(s_en) > 200);
  assert_string_equal(s_fr, s_en);
  assert_contains(fr, "\n.SH CODE DE RETOUR\n");
  assert_contains(fr, "\n.SH NOM\n");
  free(s_en);
  free(s_fr);
  free(en);
  free(fr);
}

static void test_installed(void **state)
{
  char *dir = rgs_tmpdir(), path[900], *text;
  const char *argv[] = { rgs_env("CMAKE_COMMAND"), "--install", rgs_env("RGS_BUILD_DIR"),
                         "--prefix", dir, "--component", "man", NULL };
  rgs_run_result r;

  (void)state;
  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  rgs_assert_status(&r, 0);
  rgs_run_free(&r);
  snprintf(path, sizeof(path), "%s/share/man/fr/man1/rgs-enroll.1", dir);
  text = rgs_read_file(path, NULL);
  assert_non_null(text);
  assert_contains(text, ".SH CODE DE RETOUR");
  free(text);
  snprintf(path, sizeof(path), "%s/share/man/man1/rgs-enroll.1", dir);
  text = rgs_read_file(path, NULL);
  assert_non_null(text);
  assert_contains(text, ".SH EXIT STATUS");
  free(text);
  rgs_rmrf(dir);
  free(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_no_warnings),
    cmocka_unit_test(test_warnings_are_seen),
    cmocka_unit_test(test_tags_close_before_text),
    cmocka_unit_test(test_open_tag_is_seen),
    cmocka_unit_test(test_window_page),
    cmocka_unit_test(test_key_types),
    cmocka_unit_test(test_french_page_follows_english),
    cmocka_unit_test(test_installed),
  };

  if (access("/usr/bin/groff", X_OK) != 0 || access("/usr/bin/man", X_OK) != 0) {
    print_message("groff or man missing (Debian: groff-base, man-db)\n");
    return 77;
  }
  return cmocka_run_group_tests(tests, NULL, NULL);
}
