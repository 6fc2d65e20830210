/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_uri.c - fuzz target for the PKCS#11 URI parser.
 *
 * Besides memory errors, it checks properties that must hold for any input:
 *  - a URI that parses formats to a canonical text that parses again to the
 *    same attributes and formats to the same text (a fixed point);
 *  - p11-kit reads that canonical text, with the same values;
 *  - p11-kit reads the input itself with the same values (the parser is a
 *    pre-scan plus p11-kit: what the pre-scan decodes alone, the token,
 *    slot and library fields and slot-id, must agree with p11-kit);
 *  - a failed parse leaves *out NULL and a printable message;
 *  - a URI built from a token (first bytes of the input as label) parses
 *    back to the label and matches the token.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/uri.h>

#include "rgs_p11.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                \
    }                                                                         \
  } while (0)

static void check_same(const rgs_p11_uri *a, const rgs_p11_uri *b)
{
  int attr;
  size_t la = 0, lb = 0;
  const unsigned char *ia = rgs_p11_uri_get_id(a, &la);
  const unsigned char *ib = rgs_p11_uri_get_id(b, &lb);
  CK_SLOT_ID sa = 0, sb = 0;

  for (attr = 0; attr < RGS_URI_N_ATTRS; attr++) {
    const char *va = rgs_p11_uri_get(a, (rgs_p11_uri_attr)attr);
    const char *vb = rgs_p11_uri_get(b, (rgs_p11_uri_attr)attr);
    CHECK((va == NULL) == (vb == NULL));
    CHECK(va == NULL || strcmp(va, vb) == 0);
  }
  CHECK((ia == NULL) == (ib == NULL));
  CHECK(la == lb);
  CHECK(la == 0 || memcmp(ia, ib, la) == 0);
  CHECK(rgs_p11_uri_get_slot_id(a, &sa) == rgs_p11_uri_get_slot_id(b, &sb));
  CHECK(sa == sb);
}

/* p11-kit pads token strings with blanks to their fixed width. */
static void check_padded(const char *ours, const CK_UTF8CHAR *theirs, size_t width)
{
  size_t n;

  if (ours == NULL)
    return;
  n = strlen(ours);
  if (n > width)
    return;   /* p11-kit marks it unrecognized instead */
  CHECK(memcmp(ours, theirs, n) == 0);
  for (; n < width; n++)
    CHECK(theirs[n] == ' ');
}

/* p11-kit refuses 255 in a version (its "unset" marker) and misreads slot
 * ids beyond a long: the RFC allows both, so skip those URIs. Only a
 * library-version= that starts an attribute counts, not one inside a value;
 * a version without a minor part is skipped too. */
static int p11kit_comparable(const rgs_p11_uri *uri, const char *text)
{
  const char *v;
  CK_SLOT_ID slot = 0;
  int ok = 1;

  for (v = strstr(text, "library-version="); v != NULL && ok;
       v = strstr(v + 1, "library-version=")) {
    unsigned major = 0, minor = 0;
    if (v > text && (v[-1] == ':' || v[-1] == ';') &&
        (sscanf(v, "library-version=%u.%u", &major, &minor) != 2 || major >= 255 ||
         minor >= 255))
      ok = 0;
  }
  if (rgs_p11_uri_get_slot_id(uri, &slot) && slot > (CK_SLOT_ID)0x7fffffffffffffffULL / 10)
    ok = 0;
  return ok;
}

static void check_p11kit(const rgs_p11_uri *uri, const char *text)
{
  P11KitUri *pk = p11_kit_uri_new();
  CK_TOKEN_INFO *ti;
  CK_SLOT_INFO *si;
  CK_INFO *mi;
  CK_SLOT_ID slot;
  CK_ATTRIBUTE *attr;
  const unsigned char *id;
  size_t idlen = 0;
  const char *v;

  CHECK(pk != NULL);
  if (!p11kit_comparable(uri, text))
    goto cleanup;
  CHECK(p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, pk) == P11_KIT_URI_OK);
  ti = p11_kit_uri_get_token_info(pk);
  check_padded(rgs_p11_uri_get(uri, RGS_URI_TOKEN), ti->label, sizeof(ti->label));
  check_padded(rgs_p11_uri_get(uri, RGS_URI_MANUFACTURER), ti->manufacturerID,
               sizeof(ti->manufacturerID));
  check_padded(rgs_p11_uri_get(uri, RGS_URI_MODEL), ti->model, sizeof(ti->model));
  check_padded(rgs_p11_uri_get(uri, RGS_URI_SERIAL), ti->serialNumber, sizeof(ti->serialNumber));
  si = p11_kit_uri_get_slot_info(pk);
  check_padded(rgs_p11_uri_get(uri, RGS_URI_SLOT_DESCRIPTION), si->slotDescription,
               sizeof(si->slotDescription));
  check_padded(rgs_p11_uri_get(uri, RGS_URI_SLOT_MANUFACTURER), si->manufacturerID,
               sizeof(si->manufacturerID));
  mi = p11_kit_uri_get_module_info(pk);
  check_padded(rgs_p11_uri_get(uri, RGS_URI_LIBRARY_DESCRIPTION), mi->libraryDescription,
               sizeof(mi->libraryDescription));
  check_padded(rgs_p11_uri_get(uri, RGS_URI_LIBRARY_MANUFACTURER), mi->manufacturerID,
               sizeof(mi->manufacturerID));
  slot = (CK_SLOT_ID)-1;   /* p11-kit's "absent" */
  (void)rgs_p11_uri_get_slot_id(uri, &slot);
  CHECK(p11_kit_uri_get_slot_id(pk) == slot);
  v = rgs_p11_uri_get(uri, RGS_URI_OBJECT);
  attr = p11_kit_uri_get_attribute(pk, CKA_LABEL);
  CHECK((v == NULL) == (attr == NULL));
  CHECK(v == NULL || (attr->ulValueLen == strlen(v) && memcmp(attr->pValue, v, strlen(v)) == 0));
  id = rgs_p11_uri_get_id(uri, &idlen);
  attr = p11_kit_uri_get_attribute(pk, CKA_ID);
  CHECK((id == NULL) == (attr == NULL));
  CHECK(id == NULL || (attr->ulValueLen == idlen && (idlen == 0 || memcmp(attr->pValue, id, idlen) == 0)));
  v = rgs_p11_uri_get(uri, RGS_URI_MODULE_PATH);
  CHECK(v == NULL || strcmp(v, p11_kit_uri_get_module_path(pk)) == 0);

cleanup:
  p11_kit_uri_free(pk);
}

static void check_round_trip(const rgs_p11_uri *uri)
{
  char *text = rgs_p11_uri_format(uri);
  char *again = NULL;
  rgs_p11_uri *back = NULL;
  char err[256];

  CHECK(text != NULL);
  CHECK(rgs_p11_uri_parse(text, &back, err, sizeof(err)) == RGS_P11_OK);
  check_same(uri, back);
  again = rgs_p11_uri_format(back);
  CHECK(again != NULL);
  CHECK(strcmp(text, again) == 0);
  check_p11kit(uri, text);
  free(again);
  free(text);
  rgs_p11_uri_free(back);
}

static void check_message(const char *err)
{
  size_t i;

  CHECK(err[0] != '\0');
  for (i = 0; err[i] != '\0'; i++)
    CHECK((unsigned char)err[i] >= 0x20 && err[i] != 0x7f);
}

/* A token whose label is the start of the input. */
static void check_for_token(const uint8_t *data, size_t size)
{
  rgs_p11_slot_info info;
  rgs_p11_uri *uri = NULL;
  rgs_p11_uri *back = NULL;
  char *text = NULL;
  char err[256];
  size_t n = size < sizeof(info.label) - 1 ? size : sizeof(info.label) - 1;
  const char *label;

  memset(&info, 0, sizeof(info));
  info.token_present = 1;
  memcpy(info.label, data, n);
  snprintf(info.manufacturer, sizeof(info.manufacturer), "%s", "Gemalto");
  snprintf(info.model, sizeof(info.model), "%s", "PKCS#15 emulated");
  CHECK(rgs_p11_uri_for_token(&info, &uri) == RGS_P11_OK);
  text = rgs_p11_uri_format(uri);
  CHECK(text != NULL);
  CHECK(rgs_p11_uri_parse(text, &back, err, sizeof(err)) == RGS_P11_OK);
  CHECK(rgs_p11_uri_match_token(back, &info) == 1);
  label = rgs_p11_uri_get(back, RGS_URI_TOKEN);
  n = strlen(info.label);
  while (n > 0 && info.label[n - 1] == ' ')
    n--;
  CHECK(n == 0 ? label == NULL : (label != NULL && strlen(label) == n &&
                                   memcmp(label, info.label, n) == 0));
  free(text);
  rgs_p11_uri_free(uri);
  rgs_p11_uri_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = NULL;
  rgs_p11_uri *uri = NULL;
  char err[512];
  rgs_p11_slot_info info;

  text = malloc(size + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  err[0] = '\0';
  if (rgs_p11_uri_parse(text, &uri, err, sizeof(err)) == RGS_P11_OK) {
    CHECK(uri != NULL);
    check_p11kit(uri, text);
    check_round_trip(uri);
    memset(&info, 0, sizeof(info));
    info.token_present = 1;
    snprintf(info.label, sizeof(info.label), "%s", "IDPrime");
    (void)rgs_p11_uri_match_token(uri, &info);
  } else {
    CHECK(uri == NULL);
    check_message(err);
  }
  check_for_token(data, size);
  rgs_p11_uri_free(uri);
  free(text);
  return 0;
}
