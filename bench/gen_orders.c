/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_orders.c - fill an order store with N orders for the benchmark, through
 * the order library itself (the same checks and transactions as the
 * commands), in batches of 5000 orders per transaction.
 *
 * Usage: gen_orders STORE N
 *
 * The orders spread over the 101 départements (13 gets its share, about 1 %),
 * each with an AED office of its département; one in three has a request
 * bound (csr-linked), one in ten is cancelled. Deterministic: the same N
 * gives the same store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rgs_order.h"

#define BATCH 5000

static const char *dept_of(long i, char *buf, size_t len)
{
  long k = i % 101;

  if (k < 19)
    snprintf(buf, len, "%02ld", k + 1);
  else if (k == 19)
    snprintf(buf, len, "2A");
  else if (k == 20)
    snprintf(buf, len, "2B");
  else if (k < 96)
    snprintf(buf, len, "%02ld", k);
  else
    snprintf(buf, len, "%ld", 971 + (k - 96));
  return buf;
}

/* An office per département: a postal code that belongs to it. */
static void office_of(const char *dept, rgs_order_aed *a)
{
  memset(a, 0, sizeof(*a));
  /* ids are lower-case: "2A" -> "bench-2a" */
  snprintf(a->id, sizeof(a->id), "bench-%c%c%s", dept[0], dept[1] == 'A' ? 'a' : dept[1] == 'B' ? 'b' : dept[1],
           dept + 2);
  snprintf(a->name, sizeof(a->name), "Étude d'huissiers %s", dept);
  snprintf(a->address, sizeof(a->address), "1 place de la Mairie");
  if (strcmp(dept, "2A") == 0)
    snprintf(a->postal_code, sizeof(a->postal_code), "20000");
  else if (strcmp(dept, "2B") == 0)
    snprintf(a->postal_code, sizeof(a->postal_code), "20200");
  else if (strlen(dept) == 3)
    snprintf(a->postal_code, sizeof(a->postal_code), "%s00", dept);
  else
    snprintf(a->postal_code, sizeof(a->postal_code), "%s000", dept);
  snprintf(a->city, sizeof(a->city), "VILLE %s", dept);
  snprintf(a->dept, sizeof(a->dept), "%s", dept);
}

static int fail(rgs_order_store *st, const char *what, rgs_order_rc rc)
{
  fprintf(stderr, "gen_orders: %s: %s (%s)\n", what, rgs_order_strerror(rc),
          rgs_order_store_last_error(st));
  return 1;
}

static rgs_order_rc one_order(rgs_order_store *st, long i)
{
  static const char *const first[] = { "Frédéric", "Élodie", "Jérôme", "Anaïs", "François", "Chloé" };
  static const char *const last[] = { "Senez", "Lefèvre", "Dupré", "Cœur", "Martin", "Bénard" };
  char dept[4], email[64], first_name[32];
  unsigned char spki[32];
  rgs_order_subject subj;
  rgs_order_link_input li;
  rgs_order_input in;
  rgs_order_aed a;
  rgs_order_rc rc;
  long long id;
  char cn[96];

  memset(&in, 0, sizeof(in));
  dept_of(i, dept, sizeof(dept));
  snprintf(first_name, sizeof(first_name), "%s", first[i % 6]);
  snprintf(email, sizeof(email), "holder%ld@example.fr", i);
  in.partner = "CMA";
  in.validity_years = (int)(i % 3) + 1;
  in.first_name = first_name;
  in.last_name = last[(i / 6) % 6];
  in.email = email;
  in.company = "BS AUTO";
  in.company_id = "732829320";
  in.payment = RGS_PAY_VIREMENT;
  in.accept_cgu = 1;
  rc = rgs_order_create(st, &in, &id);
  if (rc != RGS_ORDER_OK)
    return rc;
  office_of(dept, &a);
  rc = rgs_order_choose_aed(st, id, &a);
  if (rc != RGS_ORDER_OK)
    return rc;
  if (i % 3 == 0) {
    memset(spki, 0, sizeof(spki));
    memcpy(spki, &id, sizeof(id));
    memset(&subj, 0, sizeof(subj));
    snprintf(cn, sizeof(cn), "%s %s", in.first_name, in.last_name);
    subj.cn = cn;
    subj.o = "BS AUTO";
    subj.ou[subj.n_ou++] = "0002 732829320";
    memset(&li, 0, sizeof(li));
    li.csr_pem = "-----BEGIN CERTIFICATE REQUEST-----\n(bench)\n-----END CERTIFICATE REQUEST-----\n";
    li.spki_sha256 = spki;
    li.subject = &subj;
    li.subject_text = cn;
    li.token_serial = "0123456789ABCDEF";
    li.token_model = "IDPrime 940";
    rc = rgs_order_link(st, id, &li);
  } else if (i % 10 == 1) {
    rc = rgs_order_set_status(st, id, RGS_STATUS_CANCELLED, "bench");
  }
  return rc;
}

int main(int argc, char **argv)
{
  rgs_order_store *st = NULL;
  char err[1024];
  long n, i;
  rgs_order_rc rc;

  if (argc != 3 || (n = atol(argv[2])) <= 0) {
    fprintf(stderr, "usage: gen_orders STORE N\n");
    return 2;
  }
  rc = rgs_order_store_open(argv[1], &st, err, sizeof(err));
  if (rc != RGS_ORDER_OK) {
    fprintf(stderr, "gen_orders: %s: %s\n", rgs_order_strerror(rc), err);
    return 1;
  }
  for (i = 0; i < n; i++) {
    rc = i % BATCH == 0 ? rgs_order_store_begin(st) : RGS_ORDER_OK;
    if (rc == RGS_ORDER_OK)
      rc = one_order(st, i);
    if (rc == RGS_ORDER_OK && (i % BATCH == BATCH - 1 || i == n - 1))
      rc = rgs_order_store_commit(st);
    if (rc != RGS_ORDER_OK)
      return fail(st, "order", rc);
  }
  rgs_order_store_close(st);
  return 0;
}
