/* SPDX-License-Identifier: BSD-3-Clause */
/* p11_module.c - load a PKCS#11 module, list its slots, open a token. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rgs_common.h"
#include "p11_internal.h"

/* OpenSC's module, found by p11-kit in its module directory: no
 * architecture in a path here. */
#define RGS_DEFAULT_MODULE "opensc-pkcs11.so"

/* A module that claims more slots than this is answering nonsense. */
#define RGS_P11_MAX_SLOTS 1024

const char *rgs_p11_default_module(const char *explicit_path)
{
  const char *env = NULL;

  if (explicit_path != NULL && explicit_path[0] != '\0')
    return explicit_path;
  env = getenv("RGS_ENROLL_MODULE");
  if (env != NULL && env[0] != '\0')
    return env;
  return RGS_DEFAULT_MODULE;
}

static void ctx_release(rgs_p11_ctx *ctx)
{
  if (ctx->f != NULL && ctx->we_initialized && !ctx->keep_loaded)
    ctx->f->C_Finalize(NULL);
  if (ctx->dl != NULL && !ctx->keep_loaded)
    dlclose(ctx->dl);
  free(ctx->path);
  free(ctx->name);
  free(ctx);
}

static rgs_p11_rc ctx_load(rgs_p11_ctx *ctx)
{
  CK_C_GetFunctionList get_list = NULL;
  CK_RV rv;

  /* RTLD_NODELETE keeps the module mapped after dlclose, so that sanitizer
   * reports at exit can still name its frames. */
  ctx->dl = dlopen(ctx->path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (ctx->dl == NULL) {
    rgs_p11_set_error(ctx, "%s", dlerror());
    return RGS_P11_ERR_MODULE_LOAD;
  }
  *(void **)&get_list = dlsym(ctx->dl, "C_GetFunctionList");
  if (get_list == NULL) {
    rgs_p11_set_error(ctx, _("%s has no C_GetFunctionList"), ctx->path);
    return RGS_P11_ERR_MODULE_BAD;
  }
  rv = get_list(&ctx->f);
  if (rv != CKR_OK || ctx->f == NULL) {
    ctx->f = NULL;
    rgs_p11_set_error(ctx, "C_GetFunctionList: %s", rgs_p11_ckr_name(rv));
    return RGS_P11_ERR_MODULE_BAD;
  }
  if (ctx->f->version.major < 2) {
    rgs_p11_set_error(ctx, _("unsupported PKCS#11 version %u.%u"),
                      ctx->f->version.major, ctx->f->version.minor);
    ctx->f = NULL;
    return RGS_P11_ERR_MODULE_BAD;
  }
  return RGS_P11_OK;
}

static rgs_p11_rc ctx_initialize(rgs_p11_ctx *ctx)
{
  CK_C_INITIALIZE_ARGS args;
  CK_RV rv;

  memset(&args, 0, sizeof(args));
  args.flags = CKF_OS_LOCKING_OK;
  rv = ctx->f->C_Initialize(&args);
  if (rv == CKR_CANT_LOCK)            /* no OS locking there: we are single-threaded */
    rv = ctx->f->C_Initialize(NULL);
  if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED)
    return RGS_P11_OK;        /* someone else in the process owns it */
  if (rv != CKR_OK) {
    /* Whatever the code, the module did not start: one sentence for the
     * person, the module's code kept as detail. */
    (void)rgs_p11_fail(ctx, "C_Initialize", rv);
    return rv == CKR_HOST_MEMORY ? RGS_P11_ERR_NOMEM : RGS_P11_ERR_MODULE_INIT;
  }
  ctx->we_initialized = 1;
  return RGS_P11_OK;
}

rgs_p11_rc rgs_p11_ctx_new_path(const char *path, const char *name, rgs_p11_ctx **out,
                                char *errbuf, size_t errlen)
{
  rgs_p11_ctx *ctx = NULL;
  rgs_p11_rc rc = RGS_P11_ERR_NOMEM;

  if (errbuf != NULL && errlen > 0)
    errbuf[0] = '\0';
  if (path == NULL || out == NULL)
    return RGS_P11_ERR_ARG;
  *out = NULL;
  ctx = calloc(1, sizeof(*ctx));
  if (ctx == NULL)
    goto cleanup;
  ctx->path = strdup(path);
  ctx->name = name != NULL ? strdup(name) : NULL;
  if (ctx->path == NULL || (name != NULL && ctx->name == NULL))
    goto cleanup;
  rc = ctx_load(ctx);
  if (rc != RGS_P11_OK)
    goto cleanup;
  rc = ctx_initialize(ctx);
  if (rc != RGS_P11_OK)
    goto cleanup;
  *out = ctx;
  ctx = NULL;

cleanup:
  if (ctx != NULL && errbuf != NULL && errlen > 0)
    snprintf(errbuf, errlen, "%s", ctx->last_error);
  if (ctx != NULL)
    ctx_release(ctx);
  return rc;
}

rgs_p11_rc rgs_p11_ctx_new(const char *module, rgs_p11_ctx **out, char *errbuf, size_t errlen)
{
  char *path = NULL;
  char *name = NULL;
  rgs_p11_rc rc;

  if (out != NULL)
    *out = NULL;
  if (module == NULL || out == NULL)
    return RGS_P11_ERR_ARG;
  rc = rgs_p11_module_resolve(module, &path, &name, errbuf, errlen);
  if (rc == RGS_P11_OK)
    rc = rgs_p11_ctx_new_path(path, name, out, errbuf, errlen);
  free(path);
  free(name);
  return rc;
}

void rgs_p11_ctx_free(rgs_p11_ctx *ctx)
{
  if (ctx != NULL)
    ctx_release(ctx);
}

const char *rgs_p11_module_path(const rgs_p11_ctx *ctx)
{
  return ctx != NULL ? ctx->path : "";
}

CK_FUNCTION_LIST_PTR rgs_p11_functions(const rgs_p11_ctx *ctx)
{
  return ctx != NULL ? ctx->f : NULL;
}

void rgs_p11_trim_copy(char *dst, size_t dstlen, const CK_UTF8CHAR *src, size_t srclen)
{
  size_t end = srclen;

  while (end > 0 && (src[end - 1] == ' ' || src[end - 1] == '\0'))
    end--;
  /* Modules may hand back control bytes or broken UTF-8: never pass them on
   * to a terminal or a JSON document. */
  rgsx_sanitize_buf(dst, dstlen, (const char *)src, end);
}

rgs_p11_rc rgs_p11_read_slot(rgs_p11_ctx *ctx, CK_SLOT_ID id, rgs_p11_slot_info *info)
{
  CK_SLOT_INFO si;
  CK_TOKEN_INFO ti;
  CK_RV rv;

  memset(info, 0, sizeof(*info));
  info->slot_id = id;
  rv = ctx->f->C_GetSlotInfo(id, &si);
  if (rv != CKR_OK)
    return rgs_p11_fail(ctx, "C_GetSlotInfo", rv);
  rgs_p11_trim_copy(info->slot_description, sizeof(info->slot_description),
                    si.slotDescription, sizeof(si.slotDescription));
  rgs_p11_trim_copy(info->slot_manufacturer, sizeof(info->slot_manufacturer),
                    si.manufacturerID, sizeof(si.manufacturerID));
  info->slot_flags = si.flags;
  info->token_present = (si.flags & CKF_TOKEN_PRESENT) != 0;
  if (!info->token_present)
    return RGS_P11_OK;
  rv = ctx->f->C_GetTokenInfo(id, &ti);
  if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_TOKEN_NOT_RECOGNIZED) {
    /* No token to use, but a card the module does not know is not an
     * empty reader: the person has another module to try, not a card to
     * insert. */
    info->token_present = 0;
    info->token_unrecognized = rv == CKR_TOKEN_NOT_RECOGNIZED;
    return RGS_P11_OK;
  }
  if (rv != CKR_OK)
    return rgs_p11_fail(ctx, "C_GetTokenInfo", rv);
  rgs_p11_trim_copy(info->label, sizeof(info->label), ti.label, sizeof(ti.label));
  rgs_p11_trim_copy(info->manufacturer, sizeof(info->manufacturer), ti.manufacturerID,
                    sizeof(ti.manufacturerID));
  rgs_p11_trim_copy(info->model, sizeof(info->model), ti.model, sizeof(ti.model));
  rgs_p11_trim_copy(info->serial, sizeof(info->serial), ti.serialNumber,
                    sizeof(ti.serialNumber));
  info->token_flags = ti.flags;
  info->min_pin = ti.ulMinPinLen;
  info->max_pin = ti.ulMaxPinLen;
  info->hw_version = ti.hardwareVersion;
  info->fw_version = ti.firmwareVersion;
  return RGS_P11_OK;
}

/* Slot ids in one call when they fit a fixed buffer, as they nearly always
 * do; the two-call form only when the module says so. Free with free(). */
static rgs_p11_rc slot_ids(rgs_p11_ctx *ctx, CK_BBOOL present, CK_SLOT_ID **ids,
                           CK_ULONG *n)
{
  CK_SLOT_ID fixed[16];
  CK_ULONG count = RGS_ARRAY_LEN(fixed);
  CK_RV rv;

  *ids = NULL;
  *n = 0;
  rv = ctx->f->C_GetSlotList(present, fixed, &count);
  if (rv == CKR_BUFFER_TOO_SMALL) {
    rv = ctx->f->C_GetSlotList(present, NULL, &count);
    if (rv != CKR_OK)
      return rgs_p11_fail(ctx, "C_GetSlotList", rv);
    if (count > RGS_P11_MAX_SLOTS) {
      rgs_p11_set_error(ctx, _("the module claims %lu slots"), (unsigned long)count);
      return RGS_P11_ERR_MODULE_BAD;
    }
    *ids = calloc(count ? count : 1, sizeof(**ids));
    if (*ids == NULL)
      return RGS_P11_ERR_NOMEM;
    rv = ctx->f->C_GetSlotList(present, *ids, &count);
    if (rv != CKR_OK) {
      free(*ids);
      *ids = NULL;
      if (rv == CKR_BUFFER_TOO_SMALL) {
        rgs_p11_set_error(ctx, _("the module changed its slot count twice in a row"));
        return RGS_P11_ERR_MODULE_BAD;
      }
      return rgs_p11_fail(ctx, "C_GetSlotList", rv);
    }
    *n = count;
    return RGS_P11_OK;
  }
  if (rv != CKR_OK)
    return rgs_p11_fail(ctx, "C_GetSlotList", rv);
  if (count > RGS_ARRAY_LEN(fixed)) {
    rgs_p11_set_error(ctx, _("the module wrote past the slot list it was given"));
    return RGS_P11_ERR_MODULE_BAD;
  }
  *ids = calloc(count ? count : 1, sizeof(**ids));
  if (*ids == NULL)
    return RGS_P11_ERR_NOMEM;
  memcpy(*ids, fixed, count * sizeof(*fixed));
  *n = count;
  return RGS_P11_OK;
}

/* A reader unplugged during the scan, or one whose card answers an error,
 * must not hide the other tokens. */
static int slot_skippable(rgs_p11_rc rc)
{
  return rc == RGS_P11_ERR_TOKEN_REMOVED || rc == RGS_P11_ERR_TOKEN_NOT_RECOGNIZED ||
         rc == RGS_P11_ERR_MODULE;
}

rgs_p11_rc rgs_p11_slots(rgs_p11_ctx *ctx, rgs_p11_slot_info **out, size_t *n)
{
  CK_SLOT_ID *ids = NULL;
  CK_ULONG count = 0, i, kept = 0;
  rgs_p11_slot_info *infos = NULL;
  rgs_p11_rc rc;

  if (ctx == NULL || ctx->f == NULL || out == NULL || n == NULL)
    return RGS_P11_ERR_ARG;
  *out = NULL;
  *n = 0;
  rc = slot_ids(ctx, CK_FALSE, &ids, &count);
  if (rc != RGS_P11_OK)
    goto cleanup;
  infos = calloc(count ? count : 1, sizeof(*infos));
  if (infos == NULL) {
    rc = RGS_P11_ERR_NOMEM;
    goto cleanup;
  }
  for (i = 0; i < count; i++) {
    rc = rgs_p11_read_slot(ctx, ids[i], &infos[kept]);
    if (rc == RGS_P11_OK)
      kept++;
    else if (!slot_skippable(rc))
      goto cleanup;
  }
  rc = RGS_P11_OK;
  *out = infos;
  *n = kept;
  infos = NULL;

cleanup:
  free(infos);
  free(ids);
  return rc;
}

static rgs_p11_rc open_session(rgs_p11_token *tok)
{
  CK_FUNCTION_LIST_PTR f = tok->ctx->f;
  CK_RV rv;

  rv = f->C_OpenSession(tok->info.slot_id, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
                        NULL, &tok->session);
  if (rv == CKR_TOKEN_WRITE_PROTECTED)   /* still fine for reading and checking */
    rv = f->C_OpenSession(tok->info.slot_id, CKF_SERIAL_SESSION, NULL, NULL,
                          &tok->session);
  if (rv != CKR_OK)
    return rgs_p11_fail(tok->ctx, "C_OpenSession", rv);
  tok->session_open = 1;
  return RGS_P11_OK;
}

/* Find the one token matching sel among the present ones. */
static rgs_p11_rc select_token(rgs_p11_ctx *ctx, const rgs_p11_uri *sel,
                               rgs_p11_slot_info *chosen)
{
  CK_SLOT_ID *ids = NULL;
  CK_ULONG count = 0, i;
  size_t matches = 0, uninitialized = 0;
  rgs_p11_slot_info info;
  rgs_p11_rc rc;

  rc = slot_ids(ctx, CK_TRUE, &ids, &count);
  if (rc != RGS_P11_OK)
    goto cleanup;
  for (i = 0; i < count; i++) {
    rc = rgs_p11_read_slot(ctx, ids[i], &info);
    if (slot_skippable(rc))
      continue;
    if (rc != RGS_P11_OK)
      goto cleanup;
    if (!info.token_present)
      continue;
    if (sel != NULL && !rgs_p11_uri_match_token(sel, &info))
      continue;
    /* "The one token present" means one that can be used: a blank token
     * (SoftHSM always shows one) is only taken when named explicitly. */
    if (sel == NULL && !(info.token_flags & CKF_TOKEN_INITIALIZED)) {
      uninitialized++;
      continue;
    }
    if (matches++ == 0)
      *chosen = info;
  }
  rc = RGS_P11_OK;
  if (matches == 0 && uninitialized > 0)
    rgs_p11_set_error(ctx, _("%zu token(s) present but not initialised"), uninitialized);
  if (matches == 0)
    rc = RGS_P11_ERR_NO_TOKEN;
  else if (matches > 1)
    rc = RGS_P11_ERR_MANY_TOKENS;

cleanup:
  free(ids);
  return rc;
}

rgs_p11_rc rgs_p11_token_open(rgs_p11_ctx *ctx, const rgs_p11_uri *sel,
                              rgs_p11_token **out)
{
  rgs_p11_token *tok = NULL;
  rgs_p11_rc rc = RGS_P11_ERR_NOMEM;

  if (ctx == NULL || ctx->f == NULL || out == NULL)
    return RGS_P11_ERR_ARG;
  *out = NULL;
  tok = calloc(1, sizeof(*tok));
  if (tok == NULL)
    goto cleanup;
  tok->ctx = ctx;
  rc = select_token(ctx, sel, &tok->info);
  if (rc != RGS_P11_OK)
    goto cleanup;
  rc = open_session(tok);
  if (rc != RGS_P11_OK)
    goto cleanup;
  *out = tok;
  tok = NULL;

cleanup:
  rgs_p11_token_close(tok);
  return rc;
}

void rgs_p11_token_close(rgs_p11_token *tok)
{
  if (tok == NULL)
    return;
  /* Closing the last session logs out (PKCS#11 2.40, 11.6): no C_Logout. */
  if (tok->session_open)
    tok->ctx->f->C_CloseSession(tok->session);
  free(tok);
}

const rgs_p11_slot_info *rgs_p11_token_info(const rgs_p11_token *tok)
{
  return tok != NULL ? &tok->info : NULL;
}

rgs_p11_ctx *rgs_p11_token_ctx(const rgs_p11_token *tok)
{
  return tok != NULL ? tok->ctx : NULL;
}

rgs_p11_rc rgs_p11_token_refresh(rgs_p11_token *tok)
{
  CK_TOKEN_INFO ti;
  CK_RV rv;

  if (tok == NULL)
    return RGS_P11_ERR_ARG;
  rv = tok->ctx->f->C_GetTokenInfo(tok->info.slot_id, &ti);
  if (rv != CKR_OK)
    return rgs_p11_fail(tok->ctx, "C_GetTokenInfo", rv);
  tok->info.token_flags = ti.flags;
  tok->info.min_pin = ti.ulMinPinLen;
  tok->info.max_pin = ti.ulMaxPinLen;
  return RGS_P11_OK;
}

rgs_p11_rc rgs_p11_mechanism(rgs_p11_token *tok, CK_MECHANISM_TYPE mech,
                             CK_MECHANISM_INFO *info)
{
  size_t i;
  CK_RV rv;

  if (tok == NULL || info == NULL)
    return RGS_P11_ERR_ARG;
  for (i = 0; i < tok->n_mechs; i++) {
    if (tok->mechs[i].type == mech) {
      *info = tok->mechs[i].info;
      return tok->mechs[i].rv == CKR_OK ? RGS_P11_OK : RGS_P11_ERR_MECHANISM;
    }
  }
  memset(info, 0, sizeof(*info));
  rv = tok->ctx->f->C_GetMechanismInfo(tok->info.slot_id, mech, info);
  if (rv != CKR_OK && rv != CKR_MECHANISM_INVALID)
    return rgs_p11_fail(tok->ctx, "C_GetMechanismInfo", rv);
  if (tok->n_mechs < RGS_P11_MAX_MECHS) {
    tok->mechs[tok->n_mechs].type = mech;
    tok->mechs[tok->n_mechs].rv = rv;
    tok->mechs[tok->n_mechs].info = *info;
    tok->n_mechs++;
  }
  return rv == CKR_OK ? RGS_P11_OK : RGS_P11_ERR_MECHANISM;
}
