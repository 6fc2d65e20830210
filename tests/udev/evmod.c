/* SPDX-License-Identifier: BSD-3-Clause */
/* evmod.c - a PKCS#11 module for the tests of slot events: it wraps a real
 * module (RGS_EVMOD_REAL, SoftHSM2) and turns its slots into reader slots
 * (CKF_HW_SLOT | CKF_REMOVABLE_DEVICE) whose token is in or out as the file
 * RGS_EVMOD_STATE says ("in" / "out"), and it has slot events: after each
 * change of that file, C_WaitForSlotEvent reports the slot once. As a
 * reader driver does, it tracks presence itself: its token set never needs
 * C_Initialize to change. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST mine;
static CK_FUNCTION_LIST_PTR real;
static int reported_in = -1;
static int alive;              /* C_Finalize ends a blocked wait, as in OpenSC */

static int token_in(void)
{
  const char *path = getenv("RGS_EVMOD_STATE");
  char buf[8] = "";
  FILE *f;

  if (path == NULL || (f = fopen(path, "r")) == NULL)
    return 1;
  if (fgets(buf, sizeof(buf), f) == NULL)
    buf[0] = '\0';
  fclose(f);
  return strncmp(buf, "out", 3) != 0;
}

static CK_RV ev_initialize(CK_VOID_PTR args)
{
  CK_RV rv = real->C_Initialize(args);

  if (rv == CKR_OK) {
    reported_in = token_in();
    __atomic_store_n(&alive, 1, __ATOMIC_SEQ_CST);
  }
  return rv;
}

static CK_RV ev_get_slot_list(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
  if (present && !token_in()) {
    *count = 0;
    return CKR_OK;
  }
  return real->C_GetSlotList(present, list, count);
}

static CK_RV ev_get_slot_info(CK_SLOT_ID id, CK_SLOT_INFO_PTR info)
{
  CK_RV rv = real->C_GetSlotInfo(id, info);

  if (rv != CKR_OK)
    return rv;
  info->flags |= CKF_HW_SLOT | CKF_REMOVABLE_DEVICE;
  if (!token_in())
    info->flags &= ~(CK_FLAGS)CKF_TOKEN_PRESENT;
  return CKR_OK;
}

static CK_RV ev_get_token_info(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info)
{
  return token_in() ? real->C_GetTokenInfo(id, info) : CKR_TOKEN_NOT_PRESENT;
}

static CK_RV ev_open_session(CK_SLOT_ID id, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
                             CK_SESSION_HANDLE_PTR s)
{
  return token_in() ? real->C_OpenSession(id, flags, app, notify, s) : CKR_TOKEN_NOT_PRESENT;
}

static CK_RV ev_finalize(CK_VOID_PTR reserved)
{
  __atomic_store_n(&alive, 0, __ATOMIC_SEQ_CST);
  return real->C_Finalize(reserved);
}

static CK_RV ev_wait(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved)
{
  struct timespec ts = { 0, 10000000L };
  CK_SLOT_ID ids[8];
  CK_ULONG n = 8;
  int now;

  (void)reserved;
  for (;;) {
    now = token_in();
    if (now != reported_in) {
      reported_in = now;
      if (real->C_GetSlotList(CK_FALSE, ids, &n) == CKR_OK && n > 0)
        *slot = ids[0];
      return CKR_OK;
    }
    if (flags & CKF_DONT_BLOCK)
      return CKR_NO_EVENT;
    if (!__atomic_load_n(&alive, __ATOMIC_SEQ_CST))
      return CKR_CRYPTOKI_NOT_INITIALIZED;
    nanosleep(&ts, NULL);
  }
}

__attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out);

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
  const char *path = getenv("RGS_EVMOD_REAL");
  CK_C_GetFunctionList get;
  void *dl;

  if (out == NULL)
    return CKR_ARGUMENTS_BAD;
  if (real == NULL) {
    if (path == NULL || (dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL)
      return CKR_GENERAL_ERROR;
    *(void **)&get = dlsym(dl, "C_GetFunctionList");
    if (get == NULL || get(&real) != CKR_OK)
      return CKR_GENERAL_ERROR;
    mine = *real;
    mine.C_Initialize = ev_initialize;
    mine.C_Finalize = ev_finalize;
    mine.C_GetSlotList = ev_get_slot_list;
    mine.C_GetSlotInfo = ev_get_slot_info;
    mine.C_GetTokenInfo = ev_get_token_info;
    mine.C_OpenSession = ev_open_session;
    mine.C_WaitForSlotEvent = ev_wait;
  }
  *out = &mine;
  return CKR_OK;
}
