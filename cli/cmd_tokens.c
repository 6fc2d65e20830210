/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_tokens.c - rgs-enroll tokens: every slot and token with its URI. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"

/* Stable words for JSON: what the reader holds. */
static const char *token_state(const rgs_p11_slot_info *s)
{
  if (s->token_present)
    return "present";
  return s->token_unrecognized ? "card-not-recognized" : "empty";
}

static void print_slot_text(const rgs_p11_slot_info *s, const char *uri)
{
  printf(_("Slot %lu: %s%s%s\n"), (unsigned long)s->slot_id, s->slot_description,
         (s->slot_flags & CKF_HW_SLOT) ? _(" [hardware]") : "",
         (s->slot_flags & CKF_REMOVABLE_DEVICE) ? _(" [removable]") : "");
  if (s->token_unrecognized) {
    /* Not "no token": the card is there, another module may read it. */
    printf("  %s\n", _("card present, not recognised by this module"));
    return;
  }
  if (!s->token_present) {
    printf("  %s\n", _("no token"));
    return;
  }
  printf(_("  token        : %s\n  manufacturer : %s\n  model        : %s\n"
           "  serial       : %s\n  URI          : %s\n"),
         s->label, s->manufacturer, s->model, s->serial, uri != NULL ? uri : "?");
  printf(_("  flags        :%s%s%s%s%s\n"),
         (s->token_flags & CKF_TOKEN_INITIALIZED) ? _(" initialised") : _(" NOT-initialised"),
         (s->token_flags & CKF_LOGIN_REQUIRED) ? _(" login-required") : "",
         (s->token_flags & CKF_PROTECTED_AUTHENTICATION_PATH) ? _(" pinpad") : "",
         (s->token_flags & CKF_WRITE_PROTECTED) ? _(" write-protected") : "",
         (s->token_flags & CKF_RNG) ? _(" rng") : "");
  printf(_("  PIN          : %s (length %lu-%lu)\n"), _(rgs_pin_state_code(s->token_flags)),
         (unsigned long)s->min_pin, (unsigned long)s->max_pin);
}

static void print_slot_json(rgs_json *j, const rgs_p11_slot_info *s, const char *uri)
{
  rgs_json_object(j, NULL);
  rgs_json_int(j, "slot_id", (long long)s->slot_id);
  rgs_json_str(j, "slot_description", s->slot_description);
  rgs_json_bool(j, "hardware", (s->slot_flags & CKF_HW_SLOT) != 0);
  rgs_json_bool(j, "removable", (s->slot_flags & CKF_REMOVABLE_DEVICE) != 0);
  rgs_json_bool(j, "token_present", s->token_present);
  rgs_json_str(j, "token_state", token_state(s));
  if (s->token_present) {
    rgs_json_str(j, "uri", uri);
    rgs_json_token(j, "token", s);
  }
  rgs_json_end(j);
}

/* The token's URI; with module_name (--all-modules) it names its module. */
static char *slot_uri(const rgs_p11_slot_info *s, const char *module_name)
{
  rgs_p11_uri *uri = NULL;
  char *text = NULL;

  if (!s->token_present || rgs_p11_uri_for_token(s, &uri) != RGS_P11_OK)
    return NULL;
  if (module_name == NULL || rgs_p11_uri_set(uri, RGS_URI_MODULE_NAME, module_name) == RGS_P11_OK)
    text = rgs_p11_uri_format(uri);
  rgs_p11_uri_free(uri);
  return text;
}

typedef struct {
  int help;
  int all_modules;       /* --all-modules: every module registered with p11-kit */
} tokens_opts;

static int parse(rgs_io *io, int argc, char **argv, tokens_opts *o)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
                                        { "all-modules", no_argument, NULL, 'a' },
                                        { 0, 0, 0, 0 } };
  int c;

  memset(o, 0, sizeof(*o));
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'h') {
      printf("%s\n", _("Usage: rgs-enroll tokens [--all-modules]\n"
                       "List every slot of the module, its token, URI, flags and PIN state.\n"
                       "  --all-modules  the tokens of every module registered with p11-kit,\n"
                       "                 with URIs that name their module (module-name=...)"));
      o->help = 1;
      return RGS_EXIT_OK;
    }
    if (c == 'a') {
      o->all_modules = 1;
      continue;
    }
    return rgs_usage_error(io, "tokens", _("unknown option '%s'"), argv[optind - 1]);
  }
  if (optind < argc)
    return rgs_usage_error(io, "tokens", _("unexpected argument '%s'"), argv[optind]);
  if (o->all_modules && io->module != NULL)
    return rgs_usage_error(io, "tokens", "%s", _("--all-modules lists every registered module: "
                                                  "leave out --module"));
  return RGS_EXIT_OK;
}

/* The module loaded and its slots read; failures reported. */
static int run(rgs_io *io, rgs_p11_ctx **ctx, rgs_p11_slot_info **slots, size_t *n)
{
  char err[512];
  rgs_p11_rc rc;

  rc = rgs_p11_ctx_new(rgs_p11_default_module(io->module), ctx, err, sizeof(err));
  if (rc != RGS_P11_OK)
    return rgs_fail(io, "tokens", rgs_exit_for_p11(rc), rgs_p11_strerror(rc), err);
  rc = rgs_p11_slots(*ctx, slots, n);
  if (rc != RGS_P11_OK)
    return rgs_fail_p11(io, "tokens", rc, *ctx);
  return RGS_EXIT_OK;
}

/* The slots of one module: text, or members of the current JSON object. */
static void print_slots(const rgs_io *io, rgs_json *j, const rgs_p11_slot_info *slots, size_t n,
                        const char *module_name)
{
  size_t i;

  if (io->json)
    rgs_json_array(j, "slots");
  else if (n == 0)
    printf("%s\n", _("No slot: is the reader connected and pcscd running?"));
  for (i = 0; i < n; i++) {
    char *uri = slot_uri(&slots[i], module_name);
    if (io->json)
      print_slot_json(j, &slots[i], uri);
    else
      print_slot_text(&slots[i], uri);
    free(uri);
  }
  if (io->json)
    rgs_json_end(j);
}

static void print_done(const rgs_io *io, rgs_p11_ctx *ctx, const rgs_p11_slot_info *slots,
                       size_t n)
{
  rgs_json j;

  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "tokens");
    rgs_json_bool(&j, "ok", 1);
    rgs_json_str(&j, "module", rgs_p11_module_path(ctx));
  }
  print_slots(io, &j, slots, n, NULL);
  if (io->json)
    rgs_json_finish(&j);
}

/* One registered module: loaded, listed, unloaded before the next (two
 * modules may wrap the same one). A module that fails is reported and the
 * listing goes on. */
static void list_one_module(const rgs_io *io, rgs_json *j, const rgs_p11_registered *m)
{
  rgs_p11_ctx *ctx = NULL;
  rgs_p11_slot_info *slots = NULL;
  size_t n = 0;
  char err[512];
  rgs_p11_rc rc;

  rc = rgs_p11_ctx_new_path(m->path, m->name, &ctx, err, sizeof(err));
  if (rc == RGS_P11_OK) {
    rc = rgs_p11_slots(ctx, &slots, &n);
    snprintf(err, sizeof(err), "%s", rgs_p11_last_error(ctx));
  }
  if (io->json) {
    rgs_json_object(j, NULL);
    rgs_json_str(j, "name", m->name);
    rgs_json_str(j, "path", m->path);
    rgs_json_bool(j, "ok", rc == RGS_P11_OK);
  } else {
    printf(_("Module %s (%s)\n"), m->name, m->path);
  }
  if (rc == RGS_P11_OK) {
    print_slots(io, j, slots, n, m->name);
  } else if (io->json) {
    rgs_json_object(j, "error");
    rgs_json_str(j, "code", rgs_p11_rc_code(rc));
    rgs_json_str(j, "message", rgs_p11_strerror(rc));
    rgs_json_str(j, "detail", err);
    rgs_json_end(j);
  } else {
    printf("  %s (%s)\n", rgs_p11_strerror(rc), err);
  }
  if (io->json)
    rgs_json_end(j);
  free(slots);
  rgs_p11_ctx_free(ctx);
}

static int run_all_modules(const rgs_io *io)
{
  rgs_p11_registered *list = NULL;
  size_t n = 0, i;
  char err[512];
  rgs_json j;
  rgs_p11_rc rc;

  rc = rgs_p11_registered_list(&list, &n, err, sizeof(err));
  if (rc != RGS_P11_OK)
    return rgs_fail(io, "tokens", rgs_exit_for_p11(rc), rgs_p11_strerror(rc), err);
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "tokens");
    rgs_json_bool(&j, "ok", 1);
    rgs_json_array(&j, "modules");
  } else if (n == 0) {
    printf("%s\n", _("No PKCS#11 module is registered with p11-kit."));
  }
  for (i = 0; i < n; i++)
    list_one_module(io, &j, &list[i]);
  if (io->json)
    rgs_json_finish(&j);
  rgs_p11_registered_free(list, n);
  return RGS_EXIT_OK;
}

/* With --token, only the slots whose token matches the URI are listed (a
 * client asking about one token gets that one); none: no-token. */
static int keep_matching(rgs_io *io, rgs_p11_slot_info *slots, size_t *n)
{
  rgs_p11_uri *uri = NULL;
  char err[512];
  size_t i, kept = 0;
  rgs_p11_rc rc;

  if (io->token == NULL)
    return RGS_EXIT_OK;
  rc = rgs_p11_uri_parse(io->token, &uri, err, sizeof(err));
  if (rc != RGS_P11_OK)
    return rgs_fail(io, "tokens", rgs_exit_for_p11(rc), rgs_p11_strerror(rc), err);
  for (i = 0; i < *n; i++)
    if (slots[i].token_present && rgs_p11_uri_match_token(uri, &slots[i]))
      slots[kept++] = slots[i];
  rgs_p11_uri_free(uri);
  *n = kept;
  if (kept == 0)
    return rgs_fail_code(io, "tokens", RGS_EXIT_TOKEN, "no-token",
                         _("no token matches the one named with --token"), io->token, NULL);
  return RGS_EXIT_OK;
}

int cli_cmd_tokens(rgs_io *io, int argc, char **argv)
{
  rgs_p11_ctx *ctx = NULL;
  rgs_p11_slot_info *slots = NULL;
  size_t n = 0;
  tokens_opts o;
  int ret;

  ret = parse(io, argc, argv, &o);
  if (ret != RGS_EXIT_OK || o.help)
    return ret;
  if (o.all_modules)
    return run_all_modules(io);
  ret = run(io, &ctx, &slots, &n);
  if (ret == RGS_EXIT_OK)
    ret = keep_matching(io, slots, &n);
  if (ret == RGS_EXIT_OK)
    print_done(io, ctx, slots, n);
  free(slots);
  rgs_p11_ctx_free(ctx);
  return ret;
}
