/* SPDX-License-Identifier: BSD-3-Clause */
/* p11_attr.c - attribute templates built without casts at every call site. */
#include "p11_internal.h"

static void tmpl_add(rgs_p11_tmpl *t, CK_ATTRIBUTE_TYPE type, void *p, CK_ULONG len)
{
  if (t->n >= RGS_ARRAY_LEN(t->a)) {
    t->overflow = 1;
    return;
  }
  t->a[t->n].type = type;
  t->a[t->n].pValue = p;
  t->a[t->n].ulValueLen = len;
  t->n++;
}

void rgs_p11_tmpl_bool(rgs_p11_tmpl *t, CK_ATTRIBUTE_TYPE type, CK_BBOOL *storage)
{
  tmpl_add(t, type, storage, sizeof(*storage));
}

void rgs_p11_tmpl_ulong(rgs_p11_tmpl *t, CK_ATTRIBUTE_TYPE type, CK_ULONG *storage)
{
  tmpl_add(t, type, storage, sizeof(*storage));
}

void rgs_p11_tmpl_bytes(rgs_p11_tmpl *t, CK_ATTRIBUTE_TYPE type, void *p, size_t len)
{
  tmpl_add(t, type, p, (CK_ULONG)len);
}
