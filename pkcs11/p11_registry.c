/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * p11_registry.c - find the PKCS#11 module as Debian registers them: a path,
 * a file name in p11-kit's module directory, or a name registered with p11-kit
 * (/usr/share/p11-kit/modules/ *.module, ~/.config/pkcs11/modules/); and, when
 * no module is named, the registered module through which the token can do
 * the step.
 *
 * Cost: a path is dlopen'ed as it is; a file name is looked for in p11-kit's
 * module directory (known at build time) without p11-kit; only a name, a
 * URI's module-name, --all-modules, or a token that OpenSC's module cannot
 * serve loads p11-kit (p11_kitlib.h) and reads the registry (which loads
 * every registered module, without initialising them).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rgs_common.h"
#include "p11_internal.h"
#include "p11_kitlib.h"

#ifndef RGS_P11_MODULE_DIR
#error "RGS_P11_MODULE_DIR: p11-kit's module directory (pkg-config p11-kit-1 p11_module_path)"
#endif

/* OpenSC's module, in p11-kit's module directory (no architecture here). */
#define RGS_P11_DEFAULT_FILE "opensc-pkcs11.so"

/* ---- the registry --------------------------------------------------------- */

void rgs_p11_registered_free(rgs_p11_registered *list, size_t n)
{
  size_t i;

  if (list == NULL)
    return;
  for (i = 0; i < n; i++) {
    free(list[i].name);
    free(list[i].path);
  }
  free(list);
}

/* A trust-policy module holds CA certificates: never a person's token. */
static int is_trust_module(const rgs_p11kit *k, CK_FUNCTION_LIST *m)
{
  char *v = k->config_option(m, "trust-policy");
  int trust = v != NULL && strcmp(v, "yes") == 0;

  free(v);
  return trust;
}

rgs_p11_rc rgs_p11_registered_list(rgs_p11_registered **out, size_t *n, char *errbuf,
                                   size_t errlen)
{
  CK_FUNCTION_LIST **mods = NULL;
  rgs_p11_registered *list = NULL;
  size_t count = 0, kept = 0, i;
  rgs_p11_rc rc = RGS_P11_OK;
  const rgs_p11kit *k;

  rgsx_errf(errbuf, errlen, "%s", "");
  if (out == NULL || n == NULL)
    return RGS_P11_ERR_ARG;
  *out = NULL;
  *n = 0;
  k = rgs_p11kit_get(errbuf, errlen);
  if (k == NULL)
    return RGS_P11_ERR_MODULE_LOAD;
  mods = k->modules_load(NULL, P11_KIT_MODULE_UNMANAGED);
  if (mods == NULL) {
    rgsx_errf(errbuf, errlen, _("p11-kit could not read its module registry: %s"),
              k->message() != NULL ? k->message() : "?");
    return RGS_P11_ERR_MODULE_LOAD;
  }
  while (mods[count] != NULL)
    count++;
  list = calloc(count + 1, sizeof(*list));
  if (list == NULL) {
    rc = RGS_P11_ERR_NOMEM;
    goto cleanup;
  }
  for (i = 0; i < count; i++) {
    if (is_trust_module(k, mods[i]))
      continue;
    list[kept].name = k->module_get_name(mods[i]);
    list[kept].path = k->module_get_filename(mods[i]);
    if (list[kept].name == NULL || list[kept].path == NULL) {
      rc = RGS_P11_ERR_NOMEM;
      kept++;
      goto cleanup;
    }
    kept++;
  }
  *out = list;
  *n = kept;
  list = NULL;

cleanup:
  rgs_p11_registered_free(list, kept);
  k->modules_release(mods);
  return rc;
}

/* "a, b, c" of the registered names, for a message. */
static void list_names(const rgs_p11_registered *list, size_t n, char *buf, size_t len)
{
  size_t i, used = 0;

  buf[0] = '\0';
  for (i = 0; i < n && used < len; i++) {
    int w = snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "", list[i].name);
    if (w < 0)
      break;
    used += (size_t)w;
  }
  if (n == 0)
    snprintf(buf, len, "%s", _("none"));
}

static rgs_p11_rc resolve_name(const char *module, char **path, char **name, char *errbuf,
                               size_t errlen)
{
  rgs_p11_registered *list = NULL;
  size_t n = 0, i;
  char names[512];
  char quoted[96];
  rgs_p11_rc rc;

  rc = rgs_p11_registered_list(&list, &n, errbuf, errlen);
  if (rc != RGS_P11_OK)
    return rc;
  i = 0;
  while (i < n && strcmp(list[i].name, module) != 0)
    i++;
  if (i == n) {
    list_names(list, n, names, sizeof(names));
    rgsx_sanitize_buf(quoted, sizeof(quoted), module, strlen(module));
    rgsx_errf(errbuf, errlen,
              _("no PKCS#11 module named \"%s\" is registered with p11-kit (registered: %s); "
                "give one of these names, a file name such as opensc-pkcs11.so, or a path"),
              quoted, names);
    rc = RGS_P11_ERR_MODULE_LOAD;
    goto cleanup;
  }
  *path = list[i].path;
  list[i].path = NULL;
  if (name != NULL) {
    *name = list[i].name;
    list[i].name = NULL;
  }

cleanup:
  rgs_p11_registered_free(list, n);
  return rc;
}

/* "x.so", "x.so.2", "x.dll", "x.dylib": a file, not a registered name. */
static int looks_like_file(const char *s)
{
  const char *so = strstr(s, ".so");
  size_t len = strlen(s);

  return (so != NULL && (so[3] == '\0' || so[3] == '.')) ||
         (len > 4 && strcmp(s + len - 4, ".dll") == 0) ||
         (len > 6 && strcmp(s + len - 6, ".dylib") == 0);
}

/* A file name is looked for where p11-kit looks: its module directory,
 * known at build time, without loading p11-kit. */
static rgs_p11_rc resolve_file(const char *module, char **path, char *errbuf, size_t errlen)
{
  char quoted[96], why[PATH_MAX + 64];

  if (asprintf(path, "%s/%s", RGS_P11_MODULE_DIR, module) < 0) {
    *path = NULL;
    return RGS_P11_ERR_NOMEM;
  }
  if (access(*path, R_OK) == 0)
    return RGS_P11_OK;
  snprintf(why, sizeof(why), "%s: %s", *path, strerror(errno));
  rgsx_sanitize_buf(quoted, sizeof(quoted), module, strlen(module));
  rgsx_errf(errbuf, errlen, _("no module %s in p11-kit's module directory: %s"), quoted, why);
  free(*path);
  *path = NULL;
  return RGS_P11_ERR_MODULE_LOAD;
}

rgs_p11_rc rgs_p11_module_resolve(const char *module, char **path, char **name,
                                  char *errbuf, size_t errlen)
{
  rgsx_errf(errbuf, errlen, "%s", "");
  if (path != NULL)
    *path = NULL;
  if (name != NULL)
    *name = NULL;
  if (module == NULL || module[0] == '\0' || path == NULL)
    return RGS_P11_ERR_ARG;
  if (strchr(module, '/') != NULL) {
    *path = strdup(module);
    return *path != NULL ? RGS_P11_OK : RGS_P11_ERR_NOMEM;
  }
  if (looks_like_file(module))
    return resolve_file(module, path, errbuf, errlen);
  return resolve_name(module, path, name, errbuf, errlen);
}

/* ---- the module a run names --------------------------------------------- */

/* 1 when a and b name the same file (or the same text). */
static int same_module(const char *a, const char *b, char *errbuf, size_t errlen)
{
  char *pa = NULL, *pb = NULL;
  char ra[PATH_MAX], rb[PATH_MAX];
  int same = strcmp(a, b) == 0;

  if (!same && rgs_p11_module_resolve(a, &pa, NULL, errbuf, errlen) == RGS_P11_OK &&
      rgs_p11_module_resolve(b, &pb, NULL, errbuf, errlen) == RGS_P11_OK)
    same = strcmp(realpath(pa, ra) != NULL ? ra : pa, realpath(pb, rb) != NULL ? rb : pb) == 0;
  free(pa);
  free(pb);
  return same;
}

/* The module named by --module and the URI (module-path, module-name);
 * *spec NULL when none. RGS_P11_ERR_URI when two of them disagree. */
static rgs_p11_rc named_module(const rgs_p11_open_req *req, const char **spec, char *errbuf,
                               size_t errlen)
{
  const char *cand[3] = { req->module, rgs_p11_uri_get(req->sel, RGS_URI_MODULE_PATH),
                          rgs_p11_uri_get(req->sel, RGS_URI_MODULE_NAME) };
  const char *what[3] = { "--module", "module-path", "module-name" };
  const char *env = getenv("RGS_ENROLL_MODULE");
  size_t i;
  char ignored[64];

  *spec = NULL;
  for (i = 0; i < RGS_ARRAY_LEN(cand); i++) {
    if (cand[i] == NULL || cand[i][0] == '\0')
      continue;
    if (*spec == NULL) {
      *spec = cand[i];
      what[0] = what[i];
    } else if (!same_module(*spec, cand[i], ignored, sizeof(ignored))) {
      char a[128], b[128];
      rgsx_sanitize_buf(a, sizeof(a), *spec, strlen(*spec));
      rgsx_sanitize_buf(b, sizeof(b), cand[i], strlen(cand[i]));
      rgsx_errf(errbuf, errlen,
                _("%s names the module %s but %s names %s: give only one, or the same"),
                what[0], a, what[i], b);
      return RGS_P11_ERR_URI;
    }
  }
  if (*spec == NULL && env != NULL && env[0] != '\0')
    *spec = env;
  return RGS_P11_OK;
}

/* ---- when no module is named: the one that can do the step ------------- */

/* The policy data knows modules that cannot make keys on a device whatever
 * their mechanism list says (keygen = no: OpenSC's idprime driver): read
 * as the check reads it, so that the module chosen is not the one the check
 * then turns down. */
static int policy_read_only(const rgs_p11_policy *pol, const rgs_p11_slot_info *info)
{
  const rgs_p11_policy_entry *e;

  if (pol == NULL)
    return 0;
  e = rgs_p11_policy_match(pol, info->manufacturer, info->model, info->label);
  return e != NULL && e->keygen == 0;
}

static int can_do(rgs_p11_token *tok, const rgs_p11_open_req *req)
{
  CK_MECHANISM_INFO info;

  switch (req->need) {
  case RGS_P11_NEED_ANY:
    return 1;
  case RGS_P11_NEED_KEYGEN:
    if (policy_read_only(req->policy, rgs_p11_token_info(tok)))
      return 0;
    return rgs_p11_mechanism(tok, CKM_RSA_PKCS_KEY_PAIR_GEN, &info) == RGS_P11_OK;
  }
  return 0;
}

/* The same card through another module: by serial number (modules name its
 * label and model differently), by label when it has no serial. */
static rgs_p11_rc identity_uri(const rgs_p11_slot_info *info, rgs_p11_uri **out)
{
  rgs_p11_uri *uri = rgs_p11_uri_new();
  rgs_p11_rc rc;

  *out = NULL;
  if (uri == NULL)
    return RGS_P11_ERR_NOMEM;
  if (info->serial[0] != '\0')
    rc = rgs_p11_uri_set(uri, RGS_URI_SERIAL, info->serial);
  else
    rc = rgs_p11_uri_set(uri, RGS_URI_TOKEN, info->label);
  if (rc == RGS_P11_OK)
    *out = uri;
  else
    rgs_p11_uri_free(uri);
  return rc;
}

typedef struct {
  rgs_p11_ctx *ctx;
  rgs_p11_token *tok;
  rgs_p11_rc rc;
} attempt;

static void attempt_free(attempt *a)
{
  rgs_p11_token_close(a->tok);
  rgs_p11_ctx_free(a->ctx);
  a->tok = NULL;
  a->ctx = NULL;
}

static void attempt_open(attempt *a, const char *path, const char *name,
                         const rgs_p11_uri *sel, char *errbuf, size_t errlen)
{
  char why[256];

  a->tok = NULL;
  a->rc = rgs_p11_ctx_new_path(path, name, &a->ctx, why, sizeof(why));
  if (a->rc != RGS_P11_OK)
    rgsx_errf(errbuf, errlen, "%s: %s", path, why);
  if (a->rc == RGS_P11_OK)
    a->rc = rgs_p11_token_open(a->ctx, sel, &a->tok);
}

/* The registered modules other than skip_path, one at a time (two modules
 * may wrap the same one: never two of them initialised together). *found
 * gets the first through which the token can do the step; else, when
 * fallback, the first that shows it. */
static void scan_registry(const char *skip_path, const rgs_p11_uri *want,
                          const rgs_p11_open_req *req, int fallback, attempt *found)
{
  rgs_p11_registered *list = NULL;
  size_t n = 0, i, first_seen = (size_t)-1;
  char err[256];

  found->ctx = NULL;
  found->tok = NULL;
  if (rgs_p11_registered_list(&list, &n, err, sizeof(err)) != RGS_P11_OK)
    return;
  for (i = 0; i < n && found->tok == NULL; i++) {
    attempt a;
    if (skip_path != NULL && strcmp(list[i].path, skip_path) == 0)
      continue;
    attempt_open(&a, list[i].path, list[i].name, want, err, sizeof(err));
    if (a.rc == RGS_P11_OK && can_do(a.tok, req)) {
      *found = a;
      continue;
    }
    if (a.rc == RGS_P11_OK && first_seen == (size_t)-1)
      first_seen = i;
    attempt_free(&a);
  }
  if (found->tok == NULL && fallback && first_seen != (size_t)-1) {
    attempt_open(found, list[first_seen].path, list[first_seen].name, want, err, sizeof(err));
    if (found->rc != RGS_P11_OK)
      attempt_free(found);
  }
  if (found->ctx != NULL)
    found->ctx->origin = RGS_P11_MODULE_REGISTRY;
  rgs_p11_registered_free(list, n);
}

/* ---- no token named: which tokens the registered modules show --------- */

void rgs_p11_seen_free(rgs_p11_seen *list, size_t n)
{
  size_t i;

  if (list == NULL)
    return;
  for (i = 0; i < n; i++) {
    free(list[i].module_name);
    free(list[i].module_path);
  }
  free(list);
}

/* One card through two modules is one token: the serial tells (labels and
 * models differ between modules), the label when there is no serial, as
 * identity_uri() finds it again. */
static int same_token(const rgs_p11_slot_info *a, const rgs_p11_slot_info *b)
{
  if (a->serial[0] != '\0' || b->serial[0] != '\0')
    return strcmp(a->serial, b->serial) == 0;
  return strcmp(a->label, b->label) == 0;
}

static rgs_p11_rc seen_add(rgs_p11_seen **list, size_t *n, const rgs_p11_registered *m,
                           const rgs_p11_slot_info *info)
{
  rgs_p11_seen *grown;
  size_t i;

  for (i = 0; i < *n; i++)
    if (same_token(&(*list)[i].info, info))
      return RGS_P11_OK;
  grown = realloc(*list, (*n + 1) * sizeof(**list));
  if (grown == NULL)
    return RGS_P11_ERR_NOMEM;
  *list = grown;
  grown[*n].info = *info;
  grown[*n].module_name = strdup(m->name);
  grown[*n].module_path = strdup(m->path);
  (*n)++;
  if (grown[*n - 1].module_name == NULL || grown[*n - 1].module_path == NULL)
    return RGS_P11_ERR_NOMEM;
  return RGS_P11_OK;
}

/* The initialised tokens of one module (a blank one is never "the token
 * present"). A module that does not load or list shows none: the others
 * still count. Unloaded before the next one. */
static rgs_p11_rc survey_module(const rgs_p11_registered *m, rgs_p11_seen **list, size_t *n)
{
  rgs_p11_ctx *ctx = NULL;
  rgs_p11_slot_info *slots = NULL;
  size_t ns = 0, i;
  char why[256];
  rgs_p11_rc rc = RGS_P11_OK;

  if (rgs_p11_ctx_new_path(m->path, m->name, &ctx, why, sizeof(why)) == RGS_P11_OK &&
      rgs_p11_slots(ctx, &slots, &ns) == RGS_P11_OK) {
    for (i = 0; i < ns && rc == RGS_P11_OK; i++)
      if (slots[i].token_present && (slots[i].token_flags & CKF_TOKEN_INITIALIZED))
        rc = seen_add(list, n, m, &slots[i]);
  }
  free(slots);
  rgs_p11_ctx_free(ctx);
  return rc;
}

static rgs_p11_rc survey_registry(const char *skip_path, rgs_p11_seen **out, size_t *n)
{
  rgs_p11_registered *list = NULL;
  size_t nm = 0, i;
  char err[256];
  rgs_p11_rc rc;

  *out = NULL;
  *n = 0;
  rc = rgs_p11_registered_list(&list, &nm, err, sizeof(err));
  for (i = 0; rc == RGS_P11_OK && i < nm; i++)
    if (skip_path == NULL || strcmp(list[i].path, skip_path) != 0)
      rc = survey_module(&list[i], out, n);
  rgs_p11_registered_free(list, nm);
  if (rc != RGS_P11_OK) {
    rgs_p11_seen_free(*out, *n);
    *out = NULL;
    *n = 0;
  }
  return rc;
}

/* "\"A\" (serial 1) through m1; ..." for the failure's detail. */
static void describe_seen(const rgs_p11_seen *seen, size_t n, char *buf, size_t len)
{
  size_t i, used = 0;

  rgsx_errf(buf, len, "%s", _("tokens seen through the modules registered with p11-kit: "));
  used = strlen(buf);
  for (i = 0; i < n && used < len; i++) {
    char name[128];
    int w;
    rgsx_sanitize_buf(name, sizeof(name), seen[i].module_name, strlen(seen[i].module_name));
    w = snprintf(buf + used, len - used, _("%s\"%s\" (serial %s) through %s"),
                 i > 0 ? "; " : "", seen[i].info.label, seen[i].info.serial, name);
    if (w < 0)
      break;
    used += (size_t)w;
  }
}

/* No token named and OpenSC's module shows none. Several different tokens
 * through the registered modules: RGS_P11_ERR_MANY_TOKENS, never the first
 * one (the list goes to req->seen and errbuf). One: *id names it for the
 * scan. None: RGS_P11_ERR_NO_TOKEN. */
static rgs_p11_rc registry_token(const char *skip_path, const rgs_p11_open_req *req,
                                 rgs_p11_uri **id, char *errbuf, size_t errlen)
{
  rgs_p11_seen *seen = NULL;
  size_t n = 0;
  rgs_p11_rc rc = survey_registry(skip_path, &seen, &n);

  if (rc == RGS_P11_OK && n == 0)
    rc = RGS_P11_ERR_NO_TOKEN;
  else if (rc == RGS_P11_OK && n == 1)
    rc = identity_uri(&seen[0].info, id);
  else if (rc == RGS_P11_OK) {
    rc = RGS_P11_ERR_MANY_TOKENS;
    describe_seen(seen, n, errbuf, errlen);
    if (req->seen != NULL && req->n_seen != NULL) {
      *req->seen = seen;
      *req->n_seen = n;
      seen = NULL;
      n = 0;
    }
  }
  rgs_p11_seen_free(seen, n);
  return rc;
}

/* OpenSC's module first; the registry only when it cannot serve. */
static void open_unnamed(const rgs_p11_open_req *req, attempt *out, char *errbuf,
                         size_t errlen)
{
  attempt def = { NULL, NULL, RGS_P11_OK };
  attempt other = { NULL, NULL, RGS_P11_OK };
  rgs_p11_uri *id = NULL;
  char *path = NULL;
  const rgs_p11_uri *want = req->sel;

  def.rc = rgs_p11_module_resolve(RGS_P11_DEFAULT_FILE, &path, NULL, errbuf, errlen);
  if (def.rc == RGS_P11_OK)
    attempt_open(&def, path, NULL, req->sel, errbuf, errlen);
  if (def.ctx != NULL)
    def.ctx->origin = RGS_P11_MODULE_DEFAULT;
  /* OpenSC's module shows several: the person chooses among them. */
  if ((def.rc == RGS_P11_OK && can_do(def.tok, req)) || def.rc == RGS_P11_ERR_MANY_TOKENS)
    goto done;
  if (def.rc == RGS_P11_OK && want == NULL && identity_uri(rgs_p11_token_info(def.tok), &id) == RGS_P11_OK)
    want = id;
  if (def.rc != RGS_P11_OK && want == NULL) {
    rgs_p11_rc rc = registry_token(path, req, &id, errbuf, errlen);
    if (rc == RGS_P11_ERR_MANY_TOKENS) {
      attempt_free(&def);
      def.rc = rc;
    }
    if (rc == RGS_P11_ERR_MANY_TOKENS || rc == RGS_P11_ERR_NO_TOKEN)
      goto done;
    want = id;
  }
  scan_registry(path, want, req, def.rc != RGS_P11_OK, &other);
  if (other.tok != NULL) {
    attempt_free(&def);
    def = other;
    errbuf[0] = '\0';
  }

done:
  *out = def;
  rgs_p11_uri_free(id);
  free(path);
}

rgs_p11_rc rgs_p11_open(const rgs_p11_open_req *req, rgs_p11_ctx **ctx, rgs_p11_token **tok,
                        char *errbuf, size_t errlen)
{
  attempt a = { NULL, NULL, RGS_P11_OK };
  const char *spec = NULL;
  char *path = NULL;
  char *name = NULL;
  char err[512] = "";

  rgsx_errf(errbuf, errlen, "%s", "");
  if (req == NULL || ctx == NULL || tok == NULL)
    return RGS_P11_ERR_ARG;
  *ctx = NULL;
  *tok = NULL;
  if (req->seen != NULL)
    *req->seen = NULL;
  if (req->n_seen != NULL)
    *req->n_seen = 0;
  a.rc = named_module(req, &spec, err, sizeof(err));
  if (a.rc == RGS_P11_OK && spec != NULL) {
    a.rc = rgs_p11_module_resolve(spec, &path, &name, err, sizeof(err));
    if (a.rc == RGS_P11_OK)
      attempt_open(&a, path, name, req->sel, err, sizeof(err));
  } else if (a.rc == RGS_P11_OK) {
    open_unnamed(req, &a, err, sizeof(err));
  }
  rgsx_errf(errbuf, errlen, "%s", err);
  free(path);
  free(name);
  *ctx = a.ctx;
  *tok = a.tok;
  return a.rc;
}

const char *rgs_p11_module_name(const rgs_p11_ctx *ctx)
{
  return ctx != NULL ? ctx->name : NULL;
}

rgs_p11_module_origin rgs_p11_module_origin_of(const rgs_p11_ctx *ctx)
{
  return ctx != NULL ? ctx->origin : RGS_P11_MODULE_GIVEN;
}

const char *rgs_p11_module_origin_name(rgs_p11_module_origin origin)
{
  switch (origin) {
  case RGS_P11_MODULE_GIVEN: return "given";
  case RGS_P11_MODULE_DEFAULT: return "default";
  case RGS_P11_MODULE_REGISTRY: return "registry";
  }
  return "given";
}
