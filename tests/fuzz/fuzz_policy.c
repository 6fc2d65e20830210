/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_policy.c - fuzz target for the qualified-device policy parser and
 * its glob matcher.
 *
 * Two modes, chosen by the first byte:
 *  - 0x01: "PATTERN\nVALUE" — differential test of the glob matcher against
 *    fnmatch(3) with FNM_CASEFOLD, on the ASCII subset where both must
 *    agree (letters, digits, '.', '-', '_', '*', '?') and with few
 *    stars, as fnmatch's own cost grows exponentially with them;
 *  - anything else: the input is a policy file. A failed load must leave
 *    the policy untouched (NULL) with a printable "fuzz.conf:LINE: ..."
 *    message; a good one must load again on top of itself with twice the
 *    entries; then matching runs with fields taken from the input.
 */
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rgs_p11.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                \
    }                                                                         \
  } while (0)

#define GLOB_MAX_STARS 4
#define GLOB_MAX_LEN 48

static int glob_char_ok(unsigned char c, int in_pattern)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '-' || c == '_' || (in_pattern && (c == '*' || c == '?'));
}

/* A pattern and a value we can compare with fnmatch, or 0. */
static int glob_input_ok(const char *s, size_t n, int in_pattern)
{
  size_t i;
  int stars = 0;
  int ok = n <= GLOB_MAX_LEN;

  for (i = 0; i < n && ok; i++) {
    ok = glob_char_ok((unsigned char)s[i], in_pattern);
    stars += s[i] == '*';
  }
  return ok && stars <= GLOB_MAX_STARS;
}

static void glob_differential(const char *in, size_t size)
{
  const char *nl = memchr(in, '\n', size);
  char pattern[GLOB_MAX_LEN + 1];
  char value[GLOB_MAX_LEN + 1];
  char text[2 * GLOB_MAX_LEN + 64];
  size_t plen;
  size_t vlen;
  rgs_p11_policy *pol = NULL;
  char err[256];
  int ours;
  int ref;

  if (nl == NULL)
    return;
  plen = (size_t)(nl - in);
  vlen = size - plen - 1;
  if (!glob_input_ok(in, plen, 1) || !glob_input_ok(nl + 1, vlen, 0))
    return;
  memcpy(pattern, in, plen);
  pattern[plen] = '\0';
  memcpy(value, nl + 1, vlen);
  value[vlen] = '\0';
  snprintf(text, sizeof(text), "[device \"d\"]\nmanufacturer = \"%s\"\n", pattern);
  CHECK(rgs_p11_policy_load_mem(&pol, "glob.conf", text, strlen(text), err, sizeof(err)) ==
        RGS_P11_OK);
  ours = rgs_p11_policy_match(pol, value, "", "") != NULL;
  ref = fnmatch(pattern, value, FNM_CASEFOLD) == 0;
  if (ours != ref) {
    fprintf(stderr, "pattern \"%s\" value \"%s\": ours %d, fnmatch %d\n", pattern, value, ours,
            ref);
    abort();
  }
  rgs_p11_policy_free(pol);
}

static void check_message(const char *err)
{
  size_t i;

  CHECK(strncmp(err, "fuzz.conf:", 10) == 0);
  for (i = 0; err[i] != '\0'; i++)
    CHECK((unsigned char)err[i] >= 0x20 && err[i] != 0x7f);
}

/* Field i of three, cut from the input (NUL-free, bounded). */
static void field(const uint8_t *data, size_t size, size_t i, char *out, size_t cap)
{
  size_t start = size * i / 3;
  size_t end = size * (i + 1) / 3;
  size_t n = 0;

  while (start + n < end && n + 1 < cap && data[start + n] != '\0') {
    out[n] = (char)data[start + n];
    n++;
  }
  out[n] = '\0';
}

static void policy_file(const uint8_t *data, size_t size)
{
  rgs_p11_policy *pol = NULL;
  char err[512];
  size_t count;
  char manufacturer[65], model[65], label[65];
  const rgs_p11_policy_entry *e;

  err[0] = '\0';
  if (rgs_p11_policy_load_mem(&pol, "fuzz.conf", (const char *)data, size, err, sizeof(err)) !=
      RGS_P11_OK) {
    CHECK(pol == NULL);
    check_message(err);
    return;
  }
  CHECK(pol != NULL);
  count = rgs_p11_policy_count(pol);
  /* Stacking the same text again doubles the entries. */
  CHECK(rgs_p11_policy_load_mem(&pol, "fuzz.conf", (const char *)data, size, err, sizeof(err)) ==
        RGS_P11_OK);
  CHECK(rgs_p11_policy_count(pol) == 2 * count);
  field(data, size, 0, manufacturer, sizeof(manufacturer));
  field(data, size, 1, model, sizeof(model));
  field(data, size, 2, label, sizeof(label));
  e = rgs_p11_policy_match(pol, manufacturer, model, label);
  if (e != NULL) {
    CHECK(e->name != NULL && e->name[0] != '\0');
    CHECK(strcmp(e->file, "fuzz.conf") == 0);
    CHECK(e->demo || !e->waive_hardware_slot);
  }
  (void)rgs_p11_policy_match(pol, "Gemalto", "PKCS#15 emulated", "IDPrime");
  (void)rgs_p11_policy_match(pol, "SoftHSM project", "SoftHSM v2", "Cl\xc3\xa9 Fr\xc3\xa9" "d\xc3\xa9ric");
  rgs_p11_policy_free(pol);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size > 0 && data[0] == 0x01)
    glob_differential((const char *)data + 1, size - 1);
  else
    policy_file(data, size);
  return 0;
}
