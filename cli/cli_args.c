/* SPDX-License-Identifier: BSD-3-Clause */
/* cli_args.c - options that several commands parse alike (keygen and
 * start: the key; submit and renew: EST), so no command calls another
 * command's file. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rgs_common.h"
#include "cli.h"
#include "progress.h"

const struct option cli_global_options[] = {
  { "module", required_argument, NULL, CLI_G_MODULE },
  { "token", required_argument, NULL, CLI_G_TOKEN },
  { "db", required_argument, NULL, CLI_G_DB },
  { "json", no_argument, NULL, CLI_G_JSON },
  { "pin-file", required_argument, NULL, CLI_G_PIN_FILE },
  { "pin-fd", required_argument, NULL, CLI_G_PIN_FD },
  { "policy", required_argument, NULL, CLI_G_POLICY },
  { "final-try", no_argument, NULL, CLI_G_FINAL_TRY },
  { "aed-trust", required_argument, NULL, CLI_G_AED_TRUST },
  { "progress-fd", required_argument, NULL, CLI_G_PROGRESS_FD },
  /* The evidence under each plain sentence: the shared report printer reads
   * it, so every command that prints a report takes it (check, keygen, start,
   * install, check --delivered...). */
  { "details", no_argument, NULL, CLI_G_DETAILS },
  { "help", no_argument, NULL, CLI_G_HELP },
  { "version", no_argument, NULL, CLI_G_VERSION },
  { NULL, 0, NULL, 0 },
};

/* A usage error of the global options: as before the command (no command
 * to name), or as the command's own. */
static int global_error(const rgs_io *io, const char *command, const char *text)
{
  if (command != NULL)
    return rgs_usage_error(io, command, "%s", text);
  /* Before the command: the JSON document still comes, named after the program. */
  return rgs_fail(io, io->prog != NULL ? io->prog : "rgs-enroll", RGS_EXIT_USAGE, text, NULL);
}

/* Room in a repeatable option's list (--policy, --aed-trust). */
static int global_push(rgs_io *io, const char *command, const char **list, size_t *n,
                       size_t cap, const char *msg, const char *arg)
{
  if (*n >= cap)
    return global_error(io, command, msg);
  list[(*n)++] = arg;
  return RGS_EXIT_OK;
}

/* --progress-fd N: the sink made now (a later --progress-fd replaces it);
 * the front end frees it with rgs_progress_free(). */
static int global_progress(rgs_io *io, const char *command, const char *arg)
{
  char text[512];
  long fd;

  if (!rgs_parse_number(arg, 1, 1 << 20, &fd)) {
    snprintf(text, sizeof(text), _("--progress-fd needs a file descriptor number, not '%s'"),
             arg);
    return global_error(io, command, text);
  }
  /* Standard output carries the result (the JSON document): events mixed
   * into it would make it unreadable for the caller. */
  if (fd == STDOUT_FILENO) {
    snprintf(text, sizeof(text), "%s",
             _("--progress-fd 1 would mix the events into the command's own output: give another descriptor"));
    return global_error(io, command, text);
  }
  rgs_progress_free(io->progress);
  io->progress = rgs_progress_new((int)fd);
  if (io->progress != NULL)
    return RGS_EXIT_OK;
  rgs_err(io, "%s", _("out of memory"));
  return RGS_EXIT_INTERNAL;
}

int cli_global_set(rgs_io *io, const char *command, int code, const char *arg)
{
  char text[512];
  long fd;

  switch (code) {
  case CLI_G_MODULE: io->module = arg; break;
  case CLI_G_TOKEN: io->token = arg; break;
  case CLI_G_DB: io->db = arg; break;
  case CLI_G_JSON: io->json = 1; break;
  case CLI_G_PIN_FILE: io->pin_file = arg; break;
  case CLI_G_FINAL_TRY: io->final_try = 1; break;
  case CLI_G_DETAILS: io->details = 1; break;
  case CLI_G_PIN_FD:
    if (!rgs_parse_number(arg, 0, 1 << 20, &fd)) {
      snprintf(text, sizeof(text), _("--pin-fd needs a file descriptor number, not '%s'"), arg);
      return global_error(io, command, text);
    }
    io->pin_fd = (int)fd;
    break;
  case CLI_G_PROGRESS_FD:
    return global_progress(io, command, arg);
  case CLI_G_POLICY:
    return global_push(io, command, io->policies, &io->n_policies,
                       RGS_ARRAY_LEN(io->policies), _("too many --policy files"), arg);
  case CLI_G_AED_TRUST:
    return global_push(io, command, io->aed_trust, &io->n_aed_trust,
                       RGS_ARRAY_LEN(io->aed_trust), _("too many --aed-trust files"), arg);
  case CLI_G_HELP:
  case CLI_G_VERSION:
    break;                   /* main's own, before the command */
  }
  return RGS_EXIT_OK;
}

/* The global option that token names exactly ("--name" or "--name=..."),
 * --help and --version left to the command; NULL when none. */
static const struct option *global_named(const char *token)
{
  const struct option *g;
  size_t n;

  if (strncmp(token, "--", 2) != 0)
    return NULL;
  token += 2;
  n = strcspn(token, "=");
  for (g = cli_global_options; g->name != NULL; g++)
    if (g->val != CLI_G_HELP && g->val != CLI_G_VERSION && strlen(g->name) == n &&
        strncmp(g->name, token, n) == 0)
      return g;
  return NULL;
}

/* Global option g written at argv[*i]: its value (after '=' or the next
 * word) stored, *i moved past what it used. */
static int global_take(rgs_io *io, const char *command, const struct option *g, int argc,
                       char **argv, int *i)
{
  const char *eq = strchr(argv[*i], '=');
  const char *arg = NULL;

  if (g->has_arg == no_argument && eq != NULL)
    return rgs_usage_error(io, command, _("--%s takes no value"), g->name);
  if (g->has_arg != no_argument) {
    if (eq != NULL)
      arg = eq + 1;
    else if (*i + 1 < argc)
      arg = argv[++*i];
    else
      return rgs_usage_error(io, command, _("--%s needs a value"), g->name);
  }
  (*i)++;
  return cli_global_set(io, command, g->val, arg);
}

int cli_global_after(rgs_io *io, int argc, char **argv, int *out_argc, char ***out_argv)
{
  char **kept = calloc((size_t)argc + 1, sizeof(*kept));
  const struct option *g;
  int i = 1, n = 0, ret = RGS_EXIT_OK;

  *out_argv = NULL;
  *out_argc = 0;
  if (kept == NULL)
    return rgs_fail(io, argv[0], RGS_EXIT_INTERNAL, _("out of memory"), NULL);
  kept[n++] = argv[0];
  while (ret == RGS_EXIT_OK && i < argc) {
    if (strcmp(argv[i], "--") == 0) {
      while (i < argc)       /* after "--", everything is the command's */
        kept[n++] = argv[i++];
      break;
    }
    g = global_named(argv[i]);
    if (g != NULL)
      ret = global_take(io, argv[0], g, argc, argv, &i);
    else
      kept[n++] = argv[i++];
  }
  if (ret == RGS_EXIT_OK)
    ret = cli_global_check(io, argv[0]);
  if (ret != RGS_EXIT_OK) {
    free(kept);
    return ret;
  }
  kept[n] = NULL;
  *out_argv = kept;
  *out_argc = n;
  return RGS_EXIT_OK;
}

int cli_global_check(const rgs_io *io, const char *command)
{
  static const char *const both = N_("--pin-file and --pin-fd exclude each other");

  if (io->pin_file == NULL || io->pin_fd < 0)
    return RGS_EXIT_OK;
  if (command != NULL)
    return rgs_usage_error(io, command, "%s", _(both));
  rgs_err(io, "%s", _(both));
  return RGS_EXIT_USAGE;
}

int cli_order_file_name(char *buf, size_t len, const char *prefix, long long id,
                        const char *ca_ref, const char *suffix)
{
  char ref[41];
  size_t n = 0;
  const char *p;
  int gap = 0, w;

  for (p = ca_ref != NULL ? ca_ref : ""; *p != '\0' && n < sizeof(ref) - 1; p++) {
    unsigned char c = (unsigned char)*p;
    int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';

    if (!keep) {
      gap = n > 0;           /* a run of others is one '-', none in front */
      continue;
    }
    if (gap && n < sizeof(ref) - 2)
      ref[n++] = '-';
    gap = 0;
    ref[n++] = (char)c;
  }
  ref[n] = '\0';
  if (n > 0)
    w = snprintf(buf, len, "%s-order-%lld-%s%s", prefix, id, ref, suffix);
  else
    w = snprintf(buf, len, "%s-order-%lld%s", prefix, id, suffix);
  return w >= 0 && (size_t)w < len;
}

int cli_keygen_opt(rgs_io *io, const char *command, rgs_keygen_opts *o, int c,
                   const char *arg, int *ret)
{
  long years = 0;
  size_t len;

  switch (c) {
  case 't': o->key_type = arg; return 1;
  case 'l':
    len = strlen(arg);
    /* CKA_LABEL has no fixed size, but tokens and their tools show 32 bytes. */
    if (len == 0 || len > 32 || !rgsx_utf8_valid(arg, len))
      *ret = rgs_usage_error(io, command, "%s", _("--label takes 1 to 32 bytes of UTF-8 text"));
    o->label = arg;
    return 1;
  case 'v':
    if (!rgs_parse_number(arg, 1, 3, &years))
      *ret = rgs_usage_error(io, command, "%s", _("--validity-years must be 1, 2 or 3"));
    else
      o->validity_years = (int)years;
    return 1;
  default:
    return 0;
  }
}
