/* SPDX-License-Identifier: BSD-3-Clause */
/* assert.c - assertions on text that say what they looked for and in what. */
#include <stdio.h>
#include <string.h>
#include "rgs_test.h"

/* How much of the haystack a failure shows: enough to read the message,
 * not a whole PDF. */
#define SHOWN_MAX 2000

/* Print s (at most SHOWN_MAX bytes) with control characters escaped, so a
 * terminal control sequence in the output cannot hide the report. */
static void print_escaped(const char *s)
{
  size_t i;

  for (i = 0; s[i] != '\0' && i < SHOWN_MAX; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\n')
      print_error("\\n\n");
    else if (c == '\t')
      print_error("\\t");
    else if (c < 0x20 || c == 0x7F)
      print_error("\\x%02x", c);
    else
      print_error("%c", c);
  }
  if (s[i] != '\0')
    print_error("... (%zu bytes in all)", strlen(s));
  print_error("\n");
}

/* What a command said, both streams. */
static void print_output(const rgs_run_result *r)
{
  print_error("--- stdout\n");
  print_escaped(r->out != NULL ? r->out : "(null)");
  print_error("--- stderr\n");
  print_escaped(r->err != NULL ? r->err : "(null)");
}

void rgs_assert_contains_at(const char *haystack, const char *needle, int want,
                            const char *file, int line)
{
  int found = haystack != NULL && needle != NULL && strstr(haystack, needle) != NULL;

  if (found == want)
    return;
  print_error("%s:%d: %s\n--- needle\n", file, line,
              want ? "text not found" : "text found where it must not be");
  print_escaped(needle != NULL ? needle : "(null)");
  print_error("--- haystack\n");
  print_escaped(haystack != NULL ? haystack : "(null)");
  _fail(file, line);
}

void rgs_assert_says_at(const rgs_run_result *r, const char *needle, const char *file,
                        int line)
{
  if (needle == NULL || (r->out != NULL && strstr(r->out, needle) != NULL) ||
      (r->err != NULL && strstr(r->err, needle) != NULL))
    return;
  print_error("%s:%d: text not in the command's output (exit %d)\n--- needle\n", file,
              line, r->status);
  print_escaped(needle);
  print_output(r);
  _fail(file, line);
}

void rgs_expect_at(rgs_run_result *r, int status, const char *needle, const char *file,
                   int line)
{
  if (r->status != status) {
    print_error("%s:%d: exit %d, expected %d\n", file, line, r->status, status);
    print_output(r);
    rgs_run_free(r);
    _fail(file, line);
  }
  rgs_assert_says_at(r, needle, file, line);
  rgs_run_free(r);
}

static void cli_case_run(const rgs_cli_case *c, size_t row, const char *const *env,
                         const char *const *base, const char *file, int line)
{
  const char *args[2 * RGS_CASE_ARGS_MAX + 1];
  rgs_run_result r;
  size_t n = 0, i;

  for (i = 0; base != NULL && base[i] != NULL && n < RGS_CASE_ARGS_MAX; i++)
    args[n++] = base[i];
  for (i = 0; i < RGS_CASE_ARGS_MAX && c->args[i] != NULL; i++)
    args[n++] = c->args[i];
  args[n] = NULL;
  assert_int_equal(rgs_enroll_v(&r, env, NULL, args), 0);
  if (r.status != c->status || (c->err_has != NULL && strstr(r.err, c->err_has) == NULL)) {
    print_error("%s:%d: case %zu: rgs-enroll", file, line, row);
    for (i = 0; args[i] != NULL; i++)
      print_error(" '%s'", args[i]);
    print_error("\nexit %d, expected %d", r.status, c->status);
    if (c->err_has != NULL)
      print_error(" saying on stderr: %s", c->err_has);
    print_error("\n");
    print_output(&r);
    rgs_run_free(&r);
    _fail(file, line);
  }
  rgs_run_free(&r);
}

void rgs_cli_cases_run_at(const rgs_cli_case *cases, size_t n, const char *const *env,
                          const char *const *base, const char *file, int line)
{
  size_t i;

  for (i = 0; i < n; i++)
    cli_case_run(&cases[i], i, env, base, file, line);
}
