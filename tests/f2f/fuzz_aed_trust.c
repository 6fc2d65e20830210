/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_aed_trust.c - fuzz target for the AED trust file parser
 * (enroll/f2f_aedtrust.c).
 *
 * The input is a trust file. A failed load must leave the list as it was
 * (empty) with a printable "fuzz.conf:LINE: ..." message; a good one must
 * load again on top of itself with twice the entries, each entry either
 * pinned (with pins, no issuer) or by issuer (with a policy or an EKU);
 * then a fixed certificate is checked against the list (no anchors: it
 * must never be admitted by an issuer entry, nor said to chain). Every
 * message and entry name is printable (rgsx_is_clean).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "f2f_record.h"
#include "rgs_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                \
    }                                                                         \
  } while (0)

static void check_message(const char *err)
{
  size_t i;

  CHECK(strncmp(err, "fuzz.conf:", 10) == 0);
  for (i = 0; err[i] != '\0'; i++)
    CHECK((unsigned char)err[i] >= 0x20 && err[i] != 0x7f);
  CHECK(rgsx_is_clean(err, strlen(err)));       /* no C1 control, no bidi override */
}

/* A self-signed certificate, made once. */
static X509 *probe_cert(void)
{
  static X509 *cert;
  EVP_PKEY *key;
  X509_NAME *name;

  if (cert != NULL)
    return cert;
  key = EVP_EC_gen("P-256");
  cert = X509_new();
  name = X509_get_subject_name(cert);
  CHECK(key != NULL && cert != NULL);
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8, (const unsigned char *)"FR", -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"X", -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  CHECK(X509_sign(cert, key, EVP_sha256()) > 0);
  EVP_PKEY_free(key);
  return cert;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  rgs_f2f_aed_trust *t = rgs_f2f_aed_trust_new();
  const rgs_f2f_aed_entry *e;
  rgs_f2f_aed_verdict verdict;
  char err[1024];
  size_t count, i;
  rgs_f2f_rc rc;

  CHECK(t != NULL);
  err[0] = '\0';
  if (rgs_f2f_aed_trust_load_mem(t, "fuzz.conf", (const char *)data, size, err, sizeof(err)) !=
      RGS_F2F_OK) {
    CHECK(rgs_f2f_aed_trust_count(t) == 0);
    check_message(err);
    rgs_f2f_aed_trust_free(t);
    return 0;
  }
  count = rgs_f2f_aed_trust_count(t);
  for (i = 0; i < count; i++) {
    e = rgs_f2f_aed_trust_get(t, i);
    CHECK(e->name != NULL && e->name[0] != '\0');
    CHECK(rgsx_is_clean(e->name, strlen(e->name)) && rgsx_is_clean(e->file, strlen(e->file)));
    if (e->kind == RGS_F2F_AED_PINNED)
      CHECK(e->n_pins > 0 && e->issuer == NULL && e->issuer_cert == NULL &&
            e->policy == NULL && e->eku == NULL);
    else
      CHECK(e->kind == RGS_F2F_AED_BY_ISSUER && e->n_pins == 0 &&
            (e->issuer != NULL || e->issuer_cert != NULL) &&
            (e->policy != NULL || e->eku != NULL));
  }
  if (count <= 128) {
    CHECK(rgs_f2f_aed_trust_load_mem(t, "fuzz.conf", (const char *)data, size, err,
                                     sizeof(err)) == RGS_F2F_OK);
    CHECK(rgs_f2f_aed_trust_count(t) == 2 * count);
  }
  /* The probe is self-signed and no anchor is its: only a pin admits it,
   * and only a pin makes it "chained". */
  rc = rgs_f2f_aed_check(t, probe_cert(), NULL, time(NULL), &verdict, err, sizeof(err));
  if (rc == RGS_F2F_OK)
    CHECK(verdict.entry != NULL && verdict.entry->kind == RGS_F2F_AED_PINNED &&
          verdict.chain_ok);
  else
    CHECK(verdict.entry == NULL && !verdict.chain_ok);
  CHECK(rgsx_is_clean(err, strlen(err)));
  rgs_f2f_aed_trust_free(t);
  return 0;
}
