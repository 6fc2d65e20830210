/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_aed_csv.c - fuzz target for the AED directory reader (CSV,
 * rgs_order_aed_dir_load_mem).
 *
 * A failed load must leave the directory untouched (NULL, or the one
 * office put there first) with a printable "fuzz.csv:LINE: ..." message.
 * A good one must hold sound offices only (id [a-z0-9-], text fields
 * non-empty UTF-8, a canonical département, a "fuzz.csv:LINE" source),
 * each found again by its id in any case; loading the same text on top
 * replaces every office and adds none; and it joins a directory that
 * already holds an office without losing it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rgs_common.h"
#include "rgs_order.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                \
    }                                                                         \
  } while (0)

static const char seed_office[] = "id,name,address,postal_code,city,department\n"
                                  "zz-fuzz-seed,Étude,1 rue,13001,MARSEILLE,13\n";

static void check_message(const char *err)
{
  size_t i;

  CHECK(strncmp(err, "fuzz.csv:", 9) == 0);
  for (i = 0; err[i] != '\0'; i++)
    CHECK((unsigned char)err[i] >= 0x20 && err[i] != 0x7f);
  CHECK(rgsx_is_clean(err, strlen(err)));
}

static int id_sound(const char *id)
{
  const char *p;

  for (p = id; *p != '\0'; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
      return 0;
  return id[0] != '\0';
}

static int text_sound(const char *s)
{
  return s[0] != '\0' && rgsx_utf8_valid(s, strlen(s));
}

static void check_office(const rgs_order_aed_dir *dir, const rgs_order_aed *a)
{
  char upper[sizeof(a->id)], canon[4], why[256];
  size_t i;

  CHECK(id_sound(a->id));
  CHECK(text_sound(a->name) && text_sound(a->address) && text_sound(a->city));
  CHECK(rgs_order_dept_parse(a->dept, canon, sizeof(canon), why, sizeof(why)) == RGS_ORDER_OK);
  CHECK(strcmp(canon, a->dept) == 0);
  CHECK(strlen(a->postal_code) == 5);
  CHECK(strncmp(a->source, "fuzz.csv:", 9) == 0);
  CHECK(rgs_order_aed_dir_find(dir, a->id) == a);
  for (i = 0; a->id[i] != '\0'; i++)
    upper[i] = (char)(a->id[i] >= 'a' && a->id[i] <= 'z' ? a->id[i] - 'a' + 'A' : a->id[i]);
  upper[i] = '\0';
  CHECK(rgs_order_aed_dir_find(dir, upper) == a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *text = (const char *)data;
  rgs_order_aed_dir *dir = NULL, *seeded = NULL;
  char err[1024];
  size_t i, n;
  rgs_order_rc rc;

  err[0] = '\0';
  rc = rgs_order_aed_dir_load_mem(&dir, "fuzz.csv", text, size, err, sizeof(err));
  /* The same text joins a directory that holds one office already. */
  CHECK(rgs_order_aed_dir_load_mem(&seeded, "seed.csv", seed_office, strlen(seed_office), NULL, 0) ==
        RGS_ORDER_OK);
  if (rc != RGS_ORDER_OK) {
    CHECK(rc == RGS_ORDER_ERR_DIRECTORY || rc == RGS_ORDER_ERR_NOMEM);
    CHECK(dir == NULL);
    check_message(err);
    CHECK(rgs_order_aed_dir_load_mem(&seeded, "fuzz.csv", text, size, err, sizeof(err)) == rc);
    CHECK(rgs_order_aed_dir_count(seeded) == 1);
    rgs_order_aed_dir_free(seeded);
    return 0;
  }
  n = rgs_order_aed_dir_count(dir);
  for (i = 0; i < n; i++)
    check_office(dir, rgs_order_aed_dir_get(dir, i));
  CHECK(rgs_order_aed_dir_get(dir, n) == NULL);
  CHECK(rgs_order_aed_dir_load_mem(&dir, "fuzz.csv", text, size, err, sizeof(err)) == RGS_ORDER_OK);
  CHECK(rgs_order_aed_dir_count(dir) == n);
  CHECK(rgs_order_aed_dir_load_mem(&seeded, "fuzz.csv", text, size, err, sizeof(err)) == RGS_ORDER_OK);
  CHECK(rgs_order_aed_dir_count(seeded) ==
        n + (rgs_order_aed_dir_find(dir, "zz-fuzz-seed") == NULL ? 1 : 0));
  rgs_order_aed_dir_free(dir);
  rgs_order_aed_dir_free(seeded);
  return 0;
}
