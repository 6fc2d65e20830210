/* SPDX-License-Identifier: BSD-3-Clause */
/* tlskey.c - a token-backed OpenSSL key through libp11 (see tlskey.h). */
#include <stdlib.h>
#include <string.h>
#include <libp11.h>
#include <openssl/ui.h>
#include "rgsx_i18n.h"
#include "tlskey.h"

struct rgs_tls_key {
  PKCS11_CTX *ctx;
  int loaded;
  PKCS11_SLOT *slots;
  unsigned int n_slots;
  EVP_PKEY *pkey;
  UI_METHOD *ui;              /* refuses every question: libp11 never prompts */
};

void rgs_tls_key_free(rgs_tls_key *k)
{
  if (k == NULL)
    return;
  EVP_PKEY_free(k->pkey);
  if (k->slots != NULL)
    PKCS11_release_all_slots(k->ctx, k->slots, k->n_slots);
  if (k->loaded)
    PKCS11_CTX_unload(k->ctx);
  if (k->ctx != NULL)
    PKCS11_CTX_free(k->ctx);
  if (k->ui != NULL)
    UI_destroy_method(k->ui);
  free(k);
}

/* What an OpenSSL UI reader or writer returns to abort the dialogue. */
#define UI_ABORT (-1)

/* libp11 asks through OpenSSL's UI for a context-specific login
 * (CKA_ALWAYS_AUTHENTICATE): by default at the terminal, outside the PIN
 * rules. Such keys are refused before (rgs_est_token_identity); should one get
 * here anyway, nothing is asked and the signature fails. */
static int ui_refuse(UI *ui, UI_STRING *uis)
{
  (void)ui;
  (void)uis;
  return UI_ABORT;
}

static int same(const char *a, const char *b)
{
  return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static PKCS11_SLOT *find_slot(rgs_tls_key *k, const rgs_p11_slot_info *info)
{
  unsigned int i;

  for (i = 0; i < k->n_slots; i++) {
    PKCS11_TOKEN *t = k->slots[i].token;
    if (t != NULL && same(t->serialnr, info->serial) && same(t->label, info->label) &&
        same(t->manufacturer, info->manufacturer))
      return &k->slots[i];
  }
  return NULL;
}

/* The private key whose public half is pub, compared as keys. */
static EVP_PKEY *find_key(PKCS11_SLOT *slot, const EVP_PKEY *pub)
{
  PKCS11_KEY *keys = NULL;
  unsigned int n = 0, i;
  EVP_PKEY *priv;

  if (PKCS11_enumerate_keys(slot->token, &keys, &n) != 0)
    return NULL;
  for (i = 0; i < n; i++) {
    if (!keys[i].isPrivate)
      continue;
    priv = PKCS11_get_private_key(&keys[i]);
    if (priv != NULL && EVP_PKEY_eq(priv, pub) == 1)
      return priv;
    EVP_PKEY_free(priv);
  }
  return NULL;
}

rgs_p11_rc rgs_tls_key_open(const char *module, const rgs_p11_slot_info *info,
                            const EVP_PKEY *pub, rgs_tls_key **out, EVP_PKEY **pkey,
                            char *err, size_t errlen)
{
  rgs_tls_key *k = calloc(1, sizeof(*k));
  PKCS11_SLOT *slot;
  rgs_p11_rc rc = RGS_P11_ERR_NOMEM;

  *out = NULL;
  *pkey = NULL;
  snprintf(err, errlen, "%s", "");
  if (k == NULL)
    goto fail;
  k->ctx = PKCS11_CTX_new();
  if (k->ctx == NULL)
    goto fail;
  k->ui = UI_create_method("rgs-enroll: no PIN prompt through libp11");
  if (k->ui == NULL || UI_method_set_reader(k->ui, ui_refuse) != 0 ||
      UI_method_set_writer(k->ui, ui_refuse) != 0 ||
      PKCS11_set_ui_method(k->ctx, k->ui, NULL) != 0) {
    snprintf(err, errlen, "%s", _("libp11 could not be told never to ask for the PIN"));
    rc = RGS_P11_ERR_MODULE;
    goto fail;
  }
  if (PKCS11_CTX_load(k->ctx, module) != 0) {
    snprintf(err, errlen, _("libp11 could not load %s"), module);
    rc = RGS_P11_ERR_MODULE_LOAD;
    goto fail;
  }
  k->loaded = 1;
  if (PKCS11_enumerate_slots(k->ctx, &k->slots, &k->n_slots) != 0) {
    snprintf(err, errlen, "%s", _("libp11 could not list the slots"));
    rc = RGS_P11_ERR_MODULE;
    goto fail;
  }
  slot = find_slot(k, info);
  if (slot == NULL) {
    snprintf(err, errlen, _("libp11 does not see the token \"%s\" (serial %s)"), info->label,
             info->serial);
    rc = RGS_P11_ERR_TOKEN_REMOVED;
    goto fail;
  }
  k->pkey = find_key(slot, pub);
  if (k->pkey == NULL) {
    snprintf(err, errlen, "%s", _("libp11 does not see the private key of the current certificate"));
    rc = RGS_P11_ERR_KEY_NOT_FOUND;
    goto fail;
  }
  *out = k;
  *pkey = k->pkey;
  return RGS_P11_OK;

fail:
  rgs_tls_key_free(k);
  return rc;
}
