/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_browsers.c - rgs-enroll browsers [--add|--remove|--status]: the
 * token's module in the NSS databases of Chromium and every Firefox
 * profile (enroll/browsers.h). rgs-enroll-full only: it links NSS. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509.h>
#include "commands.h"
#include "browsers.h"

typedef enum { ACT_STATUS = 0, ACT_ADD, ACT_REMOVE } browsers_action;

typedef struct {
  int help;
  browsers_action action;
} browsers_opts;

/* What was done or found in one database. */
typedef struct {
  rgs_browser_outcome outcome;
  rgs_browsers_rc rc;
  rgs_browser_state st;
  char err[512];
} db_result;

/* The token for --status: its serial and its certificates (DER). */
typedef struct {
  int found;
  int exit;                    /* why not found: exit class */
  const char *why;             /* ... and the sentence */
  char serial[17];
  char label[33];
  unsigned char **der;
  size_t *der_len;
  size_t n;
  char *module;                /* the token's module (path) */
} token_certs;

/* The whole run. */
typedef struct {
  browsers_opts o;
  rgs_browser_db *dbs;
  size_t n_dbs;
  db_result *res;
  rgs_browsers_module m;
  token_certs tc;
} browsers_run;

static const char *const action_names[] = { "status", "add", "remove" };

static int parse(rgs_io *io, int argc, char **argv, browsers_opts *o)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
                                        { "add", no_argument, NULL, 'a' },
                                        { "remove", no_argument, NULL, 'r' },
                                        { "status", no_argument, NULL, 's' },
                                        { 0, 0, 0, 0 } };
  int c, n_actions = 0;

  memset(o, 0, sizeof(*o));
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'h') {
      printf("%s\n", _("Usage: rgs-enroll browsers [--add|--remove|--status]\n"
                       "Make the token usable in Chromium and Firefox: register its module\n"
                       "(p11-kit's proxy when the module is registered with p11-kit) in their\n"
                       "certificate databases.\n"
                       "  --add     register it (Chromium, every Firefox profile not running)\n"
                       "  --remove  remove what --add registered, and nothing else\n"
                       "  --status  per browser: registered? the token's certificate visible?\n"
                       "            (the default)"));
      o->help = 1;
      return RGS_EXIT_OK;
    }
    if (c == 'a' || c == 'r' || c == 's') {
      o->action = c == 'a' ? ACT_ADD : c == 'r' ? ACT_REMOVE : ACT_STATUS;
      n_actions++;
      continue;
    }
    return rgs_usage_error(io, "browsers", _("unknown option '%s'"), argv[optind - 1]);
  }
  if (optind < argc)
    return rgs_usage_error(io, "browsers", _("unexpected argument '%s'"), argv[optind]);
  if (n_actions > 1)
    return rgs_usage_error(io, "browsers", "%s",
                           _("give one of --add, --remove and --status"));
  return RGS_EXIT_OK;
}

/* ---- the token -------------------------------------------------------- */

static void token_certs_free(token_certs *tc)
{
  size_t i;

  for (i = 0; i < tc->n; i++)
    free(tc->der[i]);
  free(tc->der);
  free(tc->der_len);
  free(tc->module);
  memset(tc, 0, sizeof(*tc));
}

/* The DER of every certificate object of the token. */
static int keep_certs(token_certs *tc, rgs_p11_token *tok)
{
  rgs_p11_cert *list = NULL;
  size_t n = 0, i;
  int ok = 1;

  if (rgs_p11_cert_list(tok, &list, &n) != RGS_P11_OK)
    return 1;                  /* none readable: none visible either */
  tc->der = calloc(n + 1, sizeof(*tc->der));
  tc->der_len = calloc(n + 1, sizeof(*tc->der_len));
  ok = tc->der != NULL && tc->der_len != NULL;
  for (i = 0; ok && i < n; i++) {
    int len = i2d_X509(list[i].x509, &tc->der[i]);
    ok = len > 0;
    tc->der_len[i] = ok ? (size_t)len : 0;
    tc->n = i + 1;
  }
  rgs_p11_cert_list_free(list, n);
  return ok;
}

/* The token as other commands find it (--module, --token, the only one),
 * read, then its module unloaded: NSS loads it again its own way. */
static int read_token(const rgs_io *io, token_certs *tc, char *err, size_t errlen)
{
  rgs_p11_uri *sel = NULL;
  rgs_p11_ctx *ctx = NULL;
  rgs_p11_token *tok = NULL;
  rgs_p11_open_req req;
  rgs_p11_rc rc = RGS_P11_OK;
  int ret = RGS_EXIT_OK;

  if (io->token != NULL)
    rc = rgs_p11_uri_parse(io->token, &sel, err, errlen);
  if (rc != RGS_P11_OK)
    return rgs_fail(io, "browsers", RGS_EXIT_USAGE, rgs_p11_strerror(rc), err);
  memset(&req, 0, sizeof(req));
  req.module = io->module;
  req.sel = sel;
  rc = rgs_p11_open(&req, &ctx, &tok, err, errlen);
  if (ctx == NULL) {
    ret = rgs_fail(io, "browsers", rgs_exit_for_p11(rc), rgs_p11_strerror(rc), err);
    goto cleanup;
  }
  tc->module = strdup(rgs_p11_module_path(ctx));
  if (tc->module == NULL) {
    ret = rgs_fail(io, "browsers", RGS_EXIT_INTERNAL, _("out of memory"), NULL);
    goto cleanup;
  }
  if (rc != RGS_P11_OK) {
    /* No token: the registration is said all the same. */
    tc->exit = rgs_exit_for_p11(rc);
    tc->why = rgs_p11_strerror(rc);
    goto cleanup;
  }
  tc->found = 1;
  snprintf(tc->serial, sizeof(tc->serial), "%s", rgs_p11_token_info(tok)->serial);
  snprintf(tc->label, sizeof(tc->label), "%s", rgs_p11_token_info(tok)->label);
  if (!keep_certs(tc, tok))
    ret = rgs_fail(io, "browsers", RGS_EXIT_INTERNAL, _("out of memory"), NULL);

cleanup:
  rgs_p11_token_close(tok);
  rgs_p11_ctx_free(ctx);
  rgs_p11_uri_free(sel);
  return ret;
}

/* The token's module as given (--module, RGS_ENROLL_MODULE, OpenSC's). */
static int resolve_module(const rgs_io *io, token_certs *tc, char *err, size_t errlen)
{
  rgs_p11_rc rc = rgs_p11_module_resolve(rgs_p11_default_module(io->module), &tc->module,
                                         NULL, err, errlen);

  if (rc != RGS_P11_OK)
    return rgs_fail(io, "browsers", rgs_exit_for_p11(rc), rgs_p11_strerror(rc), err);
  return RGS_EXIT_OK;
}

/* ---- the work --------------------------------------------------------- */

static void run_one(browsers_run *r, size_t i)
{
  const rgs_browser_db *db = &r->dbs[i];
  db_result *res = &r->res[i];
  rgs_browsers_certs c;
  const rgs_browsers_certs *cp = NULL;

  if (r->o.action == ACT_ADD) {
    res->rc = rgs_browsers_add(db, &r->m, &res->outcome, res->err, sizeof(res->err));
    return;
  }
  if (r->o.action == ACT_REMOVE) {
    res->rc = rgs_browsers_remove(db, &res->outcome, res->err, sizeof(res->err));
    return;
  }
  if (r->tc.found) {
    c.serial = r->tc.serial;
    c.der = (const unsigned char *const *)r->tc.der;
    c.der_len = r->tc.der_len;
    c.n = r->tc.n;
    cp = &c;
  }
  res->rc = rgs_browsers_state_of(db, &r->m, cp, &res->st, res->err, sizeof(res->err));
}

static int exit_for(rgs_browsers_rc rc)
{
  switch (rc) {
  case RGS_BROWSERS_OK:
  case RGS_BROWSERS_ERR_SANDBOXED:   /* not ours to fix: said, not failed */
    return RGS_EXIT_OK;
  case RGS_BROWSERS_ERR_NOMEM:
  case RGS_BROWSERS_ERR_ARG:
    return RGS_EXIT_INTERNAL;
  case RGS_BROWSERS_ERR_LOAD:
  case RGS_BROWSERS_ERR_REGISTRY:
    return RGS_EXIT_MODULE;
  case RGS_BROWSERS_ERR_HOME:
  case RGS_BROWSERS_ERR_CREATE:
  case RGS_BROWSERS_ERR_OPEN:
  case RGS_BROWSERS_ERR_WRITE:
  case RGS_BROWSERS_ERR_RUNNING:
    return RGS_EXIT_IO;
  }
  return RGS_EXIT_INTERNAL;
}

/* The database shows the token's certificate through a module that serves it. */
static int visible(const browsers_run *r, size_t i)
{
  return r->res[i].st.registered && r->res[i].st.certs_seen > 0;
}

/* --status: the token's exit class when it was not there to look for;
 * else 1 when a browser (not sandboxed) lacks the module or does not show
 * the certificate. A database that could not be read comes first. */
static int status_exit(const browsers_run *r)
{
  size_t i;
  int ret = RGS_EXIT_OK;

  for (i = 0; i < r->n_dbs && ret == RGS_EXIT_OK; i++)
    ret = exit_for(r->res[i].rc);
  if (ret == RGS_EXIT_OK && !r->tc.found)
    ret = r->tc.exit;
  for (i = 0; i < r->n_dbs && ret == RGS_EXIT_OK; i++) {
    if (!r->dbs[i].sandboxed && !visible(r, i))
      ret = RGS_EXIT_CHECK;
  }
  return ret;
}

static int run_exit(const browsers_run *r)
{
  size_t i;
  int ret = RGS_EXIT_OK;

  if (r->o.action == ACT_STATUS)
    return status_exit(r);
  for (i = 0; i < r->n_dbs && ret == RGS_EXIT_OK; i++)
    ret = exit_for(r->res[i].rc);
  return ret;
}

/* ---- report ----------------------------------------------------------- */

static const char *outcome_text(rgs_browser_outcome o)
{
  switch (o) {
  case RGS_BROWSER_ADDED:
    return _("module added");
  case RGS_BROWSER_REPLACED:
    return _("module replaced (it was registered for another library)");
  case RGS_BROWSER_ALREADY:
    return _("already registered: nothing changed");
  case RGS_BROWSER_THEIRS:
    return _("a module you registered yourself already serves the token: nothing changed");
  case RGS_BROWSER_REMOVED:
    return _("module removed");
  case RGS_BROWSER_ABSENT:
    return _("nothing registered by rgs-enroll: nothing changed");
  case RGS_BROWSER_SKIPPED:
  case RGS_BROWSER_FAILED:
    return NULL;                /* the rc says it */
  }
  return NULL;
}

static void print_db_name(const rgs_browser_db *db)
{
  char name[96], dir[512];

  rgsx_sanitize_buf(dir, sizeof(dir), db->dir, strlen(db->dir));
  if (db->kind == RGS_BROWSER_CHROMIUM) {
    printf(_("  Chromium (%s): "), dir);
    return;
  }
  rgsx_sanitize_buf(name, sizeof(name), db->profile != NULL ? db->profile : "?",
                    db->profile != NULL ? strlen(db->profile) : 1);
  printf(_("  Firefox, profile \"%s\" (%s): "), name, dir);
}

static void print_state_text(const browsers_run *r, size_t i)
{
  const rgs_browser_state *st = &r->res[i].st;
  char name[128];

  if (!st->registered) {
    printf("%s\n", r->dbs[i].exists ? _("module not registered")
                                    : _("no database yet: module not registered"));
    return;
  }
  rgsx_sanitize_buf(name, sizeof(name), st->module_name, strlen(st->module_name));
  printf(_("registered (\"%s\")"), name);
  if (!r->tc.found)
    printf("\n");
  else if (!st->token_seen)
    printf("; %s\n", _("the token is NOT seen through it"));
  else if (st->certs_seen == 0)
    printf("; %s\n", _("token seen, its certificate is NOT visible"));
  else
    printf("; %s\n", _("token seen, its certificate is visible"));
  if (r->dbs[i].running)
    printf("    %s\n", _("(the browser is running: it sees a change after a restart)"));
}

static void print_module_text(const browsers_run *r)
{
  char lib[512];

  if (r->m.library == NULL)
    return;
  rgsx_sanitize_buf(lib, sizeof(lib), r->m.library, strlen(r->m.library));
  if (r->m.proxy)
    printf(_("Module for the browsers: p11-kit's proxy (%s), which serves every module "
             "registered with p11-kit, the token's among them.\n"), lib);
  else
    printf(_("Module for the browsers: %s (not registered with p11-kit: registered "
             "itself).\n"), lib);
}

static void print_text(const browsers_run *r)
{
  size_t i;
  int restart = 0;

  print_module_text(r);
  if (r->o.action == ACT_STATUS && !r->tc.found)
    printf(_("Token not found (%s): whether the browsers see its certificate cannot be "
             "checked.\n"),
           r->tc.why != NULL ? r->tc.why : "?");
  else if (r->o.action == ACT_STATUS && r->tc.n == 0)
    printf("%s\n", _("Token: it holds no certificate yet."));
  for (i = 0; i < r->n_dbs; i++) {
    const db_result *res = &r->res[i];
    print_db_name(&r->dbs[i]);
    if (res->rc != RGS_BROWSERS_OK)
      printf("%s%s%s%s\n", rgs_browsers_strerror(res->rc), res->err[0] ? " (" : "", res->err,
             res->err[0] ? ")" : "");
    else if (r->o.action == ACT_STATUS)
      print_state_text(r, i);
    else
      printf("%s\n", outcome_text(res->outcome));
    restart |= r->o.action != ACT_STATUS && r->dbs[i].running &&
               (res->outcome == RGS_BROWSER_ADDED || res->outcome == RGS_BROWSER_REMOVED ||
                res->outcome == RGS_BROWSER_REPLACED);
  }
  if (restart)
    printf("%s\n", _("Restart Chromium: it reads its modules when it starts."));
}

static void json_db(rgs_json *j, const browsers_run *r, size_t i)
{
  const rgs_browser_db *db = &r->dbs[i];
  const db_result *res = &r->res[i];

  rgs_json_object(j, NULL);
  rgs_json_str(j, "browser", rgs_browser_kind_name(db->kind));
  rgs_json_str(j, "profile", db->profile);
  rgs_json_str(j, "dir", db->dir);
  rgs_json_bool(j, "exists", db->exists);
  rgs_json_bool(j, "running", db->running);
  rgs_json_bool(j, "sandboxed", db->sandboxed);
  if (r->o.action != ACT_STATUS) {
    rgs_json_str(j, "outcome", rgs_browser_outcome_name(res->outcome));
  } else if (res->rc == RGS_BROWSERS_OK) {
    rgs_json_bool(j, "registered", res->st.registered);
    rgs_json_bool(j, "ours", res->st.ours);
    rgs_json_str(j, "module_name", res->st.registered ? res->st.module_name : NULL);
    rgs_json_bool(j, "token_seen", res->st.token_seen);
    if (r->tc.found)
      rgs_json_bool(j, "certificate_visible", visible(r, i));
    else
      rgs_json_str(j, "certificate_visible", NULL);
  }
  if (res->rc != RGS_BROWSERS_OK) {
    rgs_json_object(j, "error");
    rgs_json_str(j, "code", "browsers");
    rgs_json_str(j, "message", rgs_browsers_strerror(res->rc));
    rgs_json_str(j, "detail", res->err);
    rgs_json_end(j);
  }
  rgs_json_end(j);
}

static void print_json(const browsers_run *r, int ret)
{
  rgs_json j;
  size_t i;

  rgs_json_start(&j, stdout);
  rgs_json_object(&j, NULL);
  rgs_json_str(&j, "command", "browsers");
  rgs_json_bool(&j, "ok", ret == RGS_EXIT_OK);
  rgs_json_int(&j, "exit", ret);
  rgs_json_str(&j, "action", action_names[r->o.action]);
  rgs_json_object(&j, "module");
  rgs_json_str(&j, "library", r->m.library);
  rgs_json_str(&j, "name", r->m.name);
  rgs_json_bool(&j, "proxy", r->m.proxy);
  rgs_json_str(&j, "token_module", r->m.token_module);
  rgs_json_end(&j);
  if (r->o.action == ACT_STATUS) {
    rgs_json_bool(&j, "token_found", r->tc.found);
    rgs_json_str(&j, "token_label", r->tc.found ? r->tc.label : NULL);
    rgs_json_int(&j, "token_certificates", (long long)r->tc.n);
  }
  rgs_json_array(&j, "browsers");
  for (i = 0; i < r->n_dbs; i++)
    json_db(&j, r, i);
  rgs_json_end(&j);
  rgs_json_finish(&j);
}

/* ---- the command ------------------------------------------------------ */

/* The databases found, the token read (--status) and the module chosen. */
static int prepare(rgs_io *io, browsers_run *r)
{
  char err[512];
  rgs_browsers_rc brc;
  int ret = RGS_EXIT_OK;

  brc = rgs_browsers_find(getenv("HOME"), &r->dbs, &r->n_dbs);
  if (brc != RGS_BROWSERS_OK)
    return rgs_fail(io, "browsers", exit_for(brc), rgs_browsers_strerror(brc), NULL);
  r->res = calloc(r->n_dbs, sizeof(*r->res));
  if (r->res == NULL)
    return rgs_fail(io, "browsers", RGS_EXIT_INTERNAL, _("out of memory"), NULL);
  if (r->o.action == ACT_STATUS)
    ret = read_token(io, &r->tc, err, sizeof(err));
  else if (r->o.action == ACT_ADD)
    ret = resolve_module(io, &r->tc, err, sizeof(err));
  else if (rgs_p11_module_resolve(rgs_p11_default_module(io->module), &r->tc.module, NULL, err,
                                  sizeof(err)) != RGS_P11_OK)
    return RGS_EXIT_OK;        /* --remove takes ours by name: no module needed */
  if (ret != RGS_EXIT_OK)
    return ret;
  brc = rgs_browsers_choose(r->tc.module, getenv("RGS_ENROLL_P11KIT_PROXY"), &r->m, err,
                            sizeof(err));
  if (brc != RGS_BROWSERS_OK)
    return rgs_fail(io, "browsers", exit_for(brc), rgs_browsers_strerror(brc), err);
  return RGS_EXIT_OK;
}

int cli_cmd_browsers(rgs_io *io, int argc, char **argv)
{
  browsers_run r;
  size_t i;
  int ret;

  memset(&r, 0, sizeof(r));
  ret = parse(io, argc, argv, &r.o);
  if (ret != RGS_EXIT_OK || r.o.help)
    return ret;
  ret = prepare(io, &r);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  for (i = 0; i < r.n_dbs; i++)
    run_one(&r, i);
  ret = run_exit(&r);
  if (io->json)
    print_json(&r, ret);
  else
    print_text(&r);

cleanup:
  rgs_browsers_module_free(&r.m);
  token_certs_free(&r.tc);
  free(r.res);
  rgs_browsers_free(r.dbs, r.n_dbs);
  return ret;
}
