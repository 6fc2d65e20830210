/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_canon.c - the canonical JSON parser of the intervention record:
 * whatever it accepts must serialise back to the very same bytes (one
 * spelling per document), and nothing may crash or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "f2f_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  rgs_cj *v = NULL;
  char err[128], *again = NULL;
  size_t len = 0;

  if (rgs_cj_parse((const char *)data, size, &v, err, sizeof(err)) != 0)
    return 0;
  if (rgs_cj_serialize(v, &again, &len) != 0)
    abort();
  if (len != size || memcmp(again, data, size) != 0)
    abort();                     /* accepted, yet not canonical */
  /* The lookups used on records must hold on any tree. */
  (void)rgs_cj_path_str(v, "intervention.result");
  (void)rgs_cj_path_int(v, "order.id", 0);
  (void)rgs_cj_path(v, "steps.0.id");
  free(again);
  rgs_cj_free(v);
  return 0;
}
