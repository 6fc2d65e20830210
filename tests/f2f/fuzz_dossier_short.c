/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_dossier_short.c - fuzz target for the dossier's short form read back
 * from a scanned QR code (rgs_dossier_short_parse, enroll/dossier_qr.c).
 *
 * A refused text gives a printable reason. An accepted one has every field
 * plain text and not empty, a positive order number and two lower-case
 * SHA-256 fingerprints; written again field by field with the encoder of
 * order qr, it reads back to the same fields.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dossier.h"
#include "rgs_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                \
    }                                                                         \
  } while (0)

static void check_hex(const char *h)
{
  size_t i;

  CHECK(strlen(h) == 64);
  for (i = 0; i < 64; i++)
    CHECK((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f'));
}

static void check_text(const char *s)
{
  CHECK(s[0] != '\0');
  CHECK(rgsx_is_clean(s, strlen(s)));
}

/* The fields written again as order qr writes them, and read back. */
static void check_round_trip(const rgs_dossier_short *sf)
{
  char *ref = rgs_f2f_qr_field(sf->ref), *serial = rgs_f2f_qr_field(sf->serial);
  char *name = rgs_f2f_qr_field(sf->name), *text = NULL, err[200];
  rgs_dossier_short again;

  CHECK(ref != NULL && serial != NULL && name != NULL);
  CHECK(asprintf(&text, RGS_DOSSIER_SHORT_FORMAT ";order=%lld;ref=%s;spki=%s;csr=%s;serial=%s;name=%s",
                 sf->order, ref, sf->spki, sf->csr, serial, name) > 0);
  if (strlen(text) <= 2048) {
    CHECK(rgs_dossier_short_parse(text, &again, err, sizeof(err)) == RGS_F2F_OK);
    CHECK(memcmp(&again, sf, sizeof(again)) == 0);
  }
  free(text);
  free(ref);
  free(serial);
  free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = malloc(size + 1), err[200] = "";
  rgs_dossier_short sf;

  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  if (rgs_dossier_short_parse(text, &sf, err, sizeof(err)) == RGS_F2F_OK) {
    CHECK(sf.order > 0);
    check_hex(sf.spki);
    check_hex(sf.csr);
    check_text(sf.ref);
    check_text(sf.serial);
    check_text(sf.name);
    check_round_trip(&sf);
  } else {
    CHECK(err[0] != '\0');
    CHECK(rgsx_is_clean(err, strlen(err)));
  }
  free(text);
  return 0;
}
