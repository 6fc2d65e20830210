/* SPDX-License-Identifier: BSD-3-Clause */
/* p11_internal.h - shared between the files of pkcs11/, not installed. */
#ifndef RGS_P11_INTERNAL_H
#define RGS_P11_INTERNAL_H

#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgs_p11.h"

struct rgs_p11_ctx {
  void *dl;
  CK_FUNCTION_LIST_PTR f;
  int we_initialized;        /* finalize only what we initialised */
  int keep_loaded;           /* a thread may still be inside: never finalise nor dlclose */
  char *path;
  char *name;                /* registered p11-kit name, NULL when not known */
  rgs_p11_module_origin origin;
  char last_error[256];
};

#define RGS_P11_MAX_MECHS 8

struct rgs_p11_token {
  rgs_p11_ctx *ctx;
  CK_SESSION_HANDLE session;
  int session_open;
  int logged_in;
  const rgs_p11_pin_source *reauth;   /* for CKA_ALWAYS_AUTHENTICATE keys */
  rgs_p11_slot_info info;
  struct {
    CK_MECHANISM_TYPE type;
    CK_RV rv;
    CK_MECHANISM_INFO info;
  } mechs[RGS_P11_MAX_MECHS];
  size_t n_mechs;
};

/* Record "FUNC: CKR_X" on ctx and return the mapped code. */
rgs_p11_rc rgs_p11_fail(rgs_p11_ctx *ctx, const char *func, CK_RV rv);
/* Record a free-text detail on ctx. */
void rgs_p11_set_error(rgs_p11_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copy a blank-padded PKCS#11 string into a NUL-terminated one. */
void rgs_p11_trim_copy(char *dst, size_t dstlen, const CK_UTF8CHAR *src, size_t srclen);

/* Fill info from C_GetSlotInfo and, when a token is present, C_GetTokenInfo. */
rgs_p11_rc rgs_p11_read_slot(rgs_p11_ctx *ctx, CK_SLOT_ID id, rgs_p11_slot_info *info);

/* ---- PIN counters (p11_pin.c) ---- */
/* What the counters of role's PIN allow, from tok->info (refresh first):
 * RGS_P11_ERR_PIN_LOCKED, RGS_P11_ERR_PIN_FINAL_TRY without consent, else
 * OK (warning through src->warn when the count is low). */
rgs_p11_rc rgs_p11_pin_gate(const rgs_p11_token *tok, rgs_p11_pin_role role,
                            const rgs_p11_pin_source *src);

/* ---- attribute templates (p11_attr.c) ---- */
typedef struct {
  CK_ATTRIBUTE a[24];
  size_t n;
  int overflow;              /* an add did not fit: the template is unusable */
} rgs_p11_tmpl;

void rgs_p11_tmpl_bool(rgs_p11_tmpl *t, CK_ATTRIBUTE_TYPE type, CK_BBOOL *storage);
void rgs_p11_tmpl_ulong(rgs_p11_tmpl *t, CK_ATTRIBUTE_TYPE type, CK_ULONG *storage);
void rgs_p11_tmpl_bytes(rgs_p11_tmpl *t, CK_ATTRIBUTE_TYPE type, void *p, size_t len);

/* ---- objects (p11_key.c) ---- */
/* Up to max handles of the objects matching the template. */
rgs_p11_rc rgs_p11_find_objects(rgs_p11_token *tok, rgs_p11_tmpl *t, CK_OBJECT_HANDLE *h,
                                CK_ULONG max, CK_ULONG *n);

/* ---- a thread blocked in C_WaitForSlotEvent(0) (p11_waiter.c) ---- */
typedef struct p11_waiter p11_waiter;
/* Start the thread on module f (initialised by us), parked until the
 * first p11_waiter_release; NULL when it cannot. */
p11_waiter *p11_waiter_start(CK_FUNCTION_LIST_PTR f);
/* The eventfd that becomes readable when p11_waiter_take has news. */
int p11_waiter_fd(const p11_waiter *wt);
/* 1 an event (the thread waits again once released), 0 nothing, -1 the
 * wait failed (*end_rv says how; the thread has ended). */
int p11_waiter_take(p11_waiter *wt, CK_RV *end_rv);
/* The owner has scanned the slots: the thread may wait again. */
void p11_waiter_release(p11_waiter *wt);
/* The thread is still waiting on the module. */
int p11_waiter_running(const p11_waiter *wt);
/* End the thread and free wt: 1 done; 0 the thread is inside the module
 * and was left there (it frees wt itself): never finalise nor unload the
 * module then (p11_waiter.c says why). */
int p11_waiter_end(p11_waiter *wt);

#endif
