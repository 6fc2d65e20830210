/* SPDX-License-Identifier: BSD-3-Clause */
/* test_cli_help.c - every command and subcommand that `rgs-enroll --help`
 * and the commands' own help list answers -h as --help (its usage, exit 0),
 * and a bad option with a usage error (exit 2) whose last line sends the
 * person to the command's help: "Try 'rgs-enroll CMD --help'." The lists
 * are read from the program itself, so a command added later is walked too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rgs_test.h"

/* The names of a "Commands:" section: lines of two spaces and a name. */
static size_t command_names(const char *help, char names[][32], size_t max)
{
  const char *p = strstr(help, "Commands:");
  size_t n = 0;

  if (p == NULL)
    return 0;
  p = strchr(p, '\n');
  while (p != NULL && p[1] == ' ' && p[2] == ' ' && p[3] != ' ' && n < max) {
    size_t len = strcspn(p + 3, " \n");
    if (len > 0 && len < 32) {
      memcpy(names[n], p + 3, len);
      names[n][len] = '\0';
      n++;
    }
    p = strchr(p + 1, '\n');
  }
  return n;
}

static char *help_of(const char *cmd)
{
  rgs_run_result r;
  char *out;

  if (cmd != NULL)
    rgs_enroll(&r, NULL, NULL, cmd, "--help", NULL);
  else
    rgs_enroll(&r, NULL, NULL, "--help", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  out = strdup(r.out);
  rgs_run_free(&r);
  return out;
}

/* The last non-empty line of text. */
static const char *last_line(char *text)
{
  size_t n = strlen(text);
  char *nl;

  while (n > 0 && text[n - 1] == '\n')
    text[--n] = '\0';
  nl = strrchr(text, '\n');
  return nl != NULL ? nl + 1 : text;
}

/* rgs-enroll CMD [SUB] OPT */
static void run_with(rgs_run_result *r, const char *cmd, const char *sub, const char *opt)
{
  const char *argv[4] = { cmd, sub != NULL ? sub : opt, sub != NULL ? opt : NULL, NULL };

  assert_int_equal(rgs_enroll_v(r, NULL, NULL, argv), 0);
}

/* -h and --help give the same usage; a bad option names the help to read. */
static void check_one(const char *cmd, const char *sub, const char *help_cmd)
{
  rgs_run_result h, help, bad;
  char want[96];

  run_with(&h, cmd, sub, "-h");
  run_with(&help, cmd, sub, "--help");
  if (h.status != RGS_EXIT_OK || strcmp(h.out, help.out) != 0 || strstr(h.out, "Usage") == NULL)
    fail_msg("%s %s -h: exit %d, not its --help:\n%s%s", cmd, sub != NULL ? sub : "", h.status,
             h.out, h.err);
  run_with(&bad, cmd, sub, "--no-such-option");
  snprintf(want, sizeof(want), "Try 'rgs-enroll %s --help'.", help_cmd);
  if (bad.status != RGS_EXIT_USAGE || strcmp(last_line(bad.err), want) != 0)
    fail_msg("%s %s --no-such-option: exit %d, last line '%s', want '%s'", cmd,
             sub != NULL ? sub : "", bad.status, last_line(bad.err), want);
  rgs_run_free(&h);
  rgs_run_free(&help);
  rgs_run_free(&bad);
}

static void test_every_command(void **state)
{
  char names[64][32], subs[32][32], full[80];
  char *top = help_of(NULL), *help;
  size_t n = command_names(top, names, 64), i, k, m;

  (void)state;
  assert_true(n >= 15);
  for (i = 0; i < n; i++) {
    help = help_of(names[i]);
    m = command_names(help, subs, 32);
    if (m == 0)
      check_one(names[i], NULL, names[i]);
    for (k = 0; k < m; k++) {
      snprintf(full, sizeof(full), "%s %s", names[i], subs[k]);
      check_one(names[i], subs[k], full);
    }
    free(help);
  }
  free(top);
}

/* pin has no Commands: list but two subcommands in its usage. */
static void test_pin_subcommands(void **state)
{
  (void)state;
  check_one("pin", "change", "pin");
  check_one("pin", "unblock", "pin");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_every_command),
    cmocka_unit_test(test_pin_subcommands),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
