/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_certs.c - fuzz target for what a CA or an EST server hands us: the
 * certificate loader of install (PEM, DER, PKCS#7, bare base64), the EST
 * body parser, the Retry-After and content-type readers.
 *
 * Properties for any input:
 *  - a load that succeeds gives at least one certificate, none NULL;
 *  - its PEM text loads again to the same certificates, in the same order;
 *  - the EST body parser agrees with the loader;
 *  - Retry-After is -1 or a delay of at least 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "certcheck.h"
#include "est.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                \
    }                                                                         \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  STACK_OF(X509) *certs = NULL, *again = NULL, *body = NULL;
  char *text = malloc(size + 1), *pem;
  rgs_certs_rc rc;
  long secs;
  int i;

  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  /* A Retry-After: -1 or 0 to the clamp, whatever now is (UBSan watches
   * the arithmetic). */
  secs = rgs_est_retry_after(text, 0);
  CHECK(secs >= -1 && secs <= RGS_EST_RETRY_MAX);
  CHECK(rgs_est_retry_after(text, (time_t)INT64_MIN) <= RGS_EST_RETRY_MAX);
  CHECK(rgs_est_retry_after(text, (time_t)INT64_MAX) <= RGS_EST_RETRY_MAX);
  (void)rgs_est_is_pkcs7_mime(text);

  rc = rgs_certs_load_mem(data, size, &certs);
  CHECK(rc == RGS_CERTS_OK || certs == NULL);
  CHECK((rgs_est_parse_certs(data, size, &body) == RGS_EST_OK) == (rc == RGS_CERTS_OK));
  if (rc == RGS_CERTS_OK) {
    CHECK(sk_X509_num(certs) > 0);
    for (i = 0; i < sk_X509_num(certs); i++)
      CHECK(sk_X509_value(certs, i) != NULL);
    pem = rgs_certs_pem(NULL, certs);
    CHECK(pem != NULL);
    CHECK(rgs_certs_load_mem((const unsigned char *)pem, strlen(pem), &again) == RGS_CERTS_OK);
    CHECK(sk_X509_num(again) == sk_X509_num(certs));
    for (i = 0; i < sk_X509_num(certs); i++)
      CHECK(X509_cmp(sk_X509_value(again, i), sk_X509_value(certs, i)) == 0);
    free(pem);
  }
  rgs_certs_free(again);
  rgs_certs_free(body);
  rgs_certs_free(certs);
  free(text);
  return 0;
}
