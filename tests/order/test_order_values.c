/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_order_values.c - the values of an order, the table of status steps,
 * the AED fee estimate, calendar days, the rules on the documents and the
 * next steps: everything in order/ that needs no store.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rgs_order.h"
#include "rgs_test.h"

static void test_partner_and_product(void **state)
{
  char code[16], err[256], product[32];

  (void)state;
  assert_int_equal(rgs_order_partner_parse("cma", code, sizeof(code), err, sizeof(err)), RGS_ORDER_OK);
  assert_string_equal(code, "CMA");
  assert_int_equal(rgs_order_partner_parse("CmA", code, sizeof(code), err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_partner_parse("XYZ", code, sizeof(code), err, sizeof(err)), RGS_ORDER_ERR_PARTNER);
  /* the message names the accepted codes */
  assert_contains(err, "XYZ");
  assert_contains(err, "CMA");
  assert_int_equal(rgs_order_partner_parse("", code, sizeof(code), err, sizeof(err)), RGS_ORDER_ERR_PARTNER);
  assert_non_null(rgs_order_partner_name("cma"));
  assert_int_equal(rgs_order_product_parse("CMA", NULL, product, sizeof(product), err, sizeof(err)), RGS_ORDER_OK);
  assert_string_equal(product, "Pack ID RGS**");
  assert_int_equal(rgs_order_product_parse("CMA", "pack id rgs**", product, sizeof(product), err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_product_parse("CMA", "Pack ID RGS***", product, sizeof(product), err, sizeof(err)), RGS_ORDER_ERR_PRODUCT);
  assert_contains(err, "Pack ID RGS**");
}

static void test_simple_values(void **state)
{
  rgs_order_os os;
  rgs_order_payment pay;
  rgs_order_f2f_mode mode;
  char err[256];
  int years;

  (void)state;
  assert_int_equal(rgs_order_validity_parse("1", &years, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(years, 1);
  assert_int_equal(rgs_order_validity_parse("3", &years, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_validity_parse("4", &years, err, sizeof(err)), RGS_ORDER_ERR_VALIDITY);
  assert_contains(err, "1, 2 or 3");
  assert_int_equal(rgs_order_validity_parse("0", &years, err, sizeof(err)), RGS_ORDER_ERR_VALIDITY);
  assert_int_equal(rgs_order_validity_parse("03", &years, err, sizeof(err)), RGS_ORDER_ERR_VALIDITY);
  assert_int_equal(rgs_order_validity_parse("", &years, err, sizeof(err)), RGS_ORDER_ERR_VALIDITY);

  assert_int_equal(rgs_order_os_parse("Windows", &os, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(os, RGS_OS_WINDOWS);
  assert_int_equal(rgs_order_os_parse("macos", &os, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(os, RGS_OS_MACOS);
  assert_int_equal(rgs_order_os_parse("Mac OS", &os, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_os_parse("autre", &os, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(os, RGS_OS_OTHER);
  assert_int_equal(rgs_order_os_parse("beos", &os, err, sizeof(err)), RGS_ORDER_ERR_OS);
  assert_contains(err, "windows, macos, other");

  assert_int_equal(rgs_order_payment_parse("VIREMENT", &pay, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(pay, RGS_PAY_VIREMENT);
  assert_int_equal(rgs_order_payment_parse("chèque", &pay, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(pay, RGS_PAY_CHEQUE);
  assert_int_equal(rgs_order_payment_parse("carte", &pay, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_payment_parse("bitcoin", &pay, err, sizeof(err)), RGS_ORDER_ERR_PAYMENT);
  assert_contains(err, "carte (card), virement (transfer), cheque (check)");

  assert_int_equal(rgs_order_mode_parse("holder-travels", &mode, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_mode_parse("aed-travels", &mode, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(mode, RGS_F2F_AED_TRAVELS);
  assert_int_equal(rgs_order_mode_parse("teleport", &mode, err, sizeof(err)), RGS_ORDER_ERR_MODE);
  assert_string_equal(rgs_order_mode_name(RGS_F2F_HOLDER_TRAVELS), "holder-travels");
  assert_string_equal(rgs_order_payment_name(RGS_PAY_CHEQUE), "cheque");
  assert_string_equal(rgs_order_os_name(RGS_OS_MACOS), "macos");
}

static void test_departements(void **state)
{
  char d[4], err[256];

  (void)state;
  assert_int_equal(rgs_order_dept_parse("13", d, sizeof(d), err, sizeof(err)), RGS_ORDER_OK);
  assert_string_equal(d, "13");
  assert_int_equal(rgs_order_dept_parse("1", d, sizeof(d), err, sizeof(err)), RGS_ORDER_OK);
  assert_string_equal(d, "01");
  assert_int_equal(rgs_order_dept_parse("2a", d, sizeof(d), err, sizeof(err)), RGS_ORDER_OK);
  assert_string_equal(d, "2A");
  assert_int_equal(rgs_order_dept_parse("974", d, sizeof(d), err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_dept_parse("20", d, sizeof(d), err, sizeof(err)), RGS_ORDER_ERR_DEPT);
  assert_int_equal(rgs_order_dept_parse("96", d, sizeof(d), err, sizeof(err)), RGS_ORDER_ERR_DEPT);
  assert_int_equal(rgs_order_dept_parse("00", d, sizeof(d), err, sizeof(err)), RGS_ORDER_ERR_DEPT);
  assert_int_equal(rgs_order_dept_parse("977", d, sizeof(d), err, sizeof(err)), RGS_ORDER_ERR_DEPT);
  assert_int_equal(rgs_order_dept_parse("1A", d, sizeof(d), err, sizeof(err)), RGS_ORDER_ERR_DEPT);
  assert_contains(err, "1A");
  assert_int_equal(rgs_order_dept_of_postal_code("13090", d, sizeof(d)), RGS_ORDER_OK);
  assert_string_equal(d, "13");
  assert_int_equal(rgs_order_dept_of_postal_code("13832", d, sizeof(d)), RGS_ORDER_OK);
  assert_string_equal(d, "13");
  assert_int_equal(rgs_order_dept_of_postal_code("01000", d, sizeof(d)), RGS_ORDER_OK);
  assert_string_equal(d, "01");
  assert_int_equal(rgs_order_dept_of_postal_code("20000", d, sizeof(d)), RGS_ORDER_OK);
  assert_string_equal(d, "2A");
  assert_int_equal(rgs_order_dept_of_postal_code("20200", d, sizeof(d)), RGS_ORDER_OK);
  assert_string_equal(d, "2B");
  assert_int_equal(rgs_order_dept_of_postal_code("97400", d, sizeof(d)), RGS_ORDER_OK);
  assert_string_equal(d, "974");
  assert_int_equal(rgs_order_dept_of_postal_code("1309", d, sizeof(d)), RGS_ORDER_ERR_DEPT);
  assert_int_equal(rgs_order_dept_of_postal_code("1309a", d, sizeof(d)), RGS_ORDER_ERR_DEPT);
  assert_int_equal(rgs_order_dept_of_postal_code("00100", d, sizeof(d)), RGS_ORDER_ERR_DEPT);
}

static void test_status_names(void **state)
{
  static const char *const names[RGS_STATUS_COUNT] = {
    "draft", "ordered", "key-generated", "csr-linked", "submitted", "face-to-face-done",
    "documents-sent", "issued", "installed", "cancelled", "refused",
  };
  rgs_order_status s;
  char err[512];
  int i;

  (void)state;
  for (i = 0; i < RGS_STATUS_COUNT; i++) {
    assert_string_equal(rgs_order_status_name((rgs_order_status)i), names[i]);
    assert_int_equal(rgs_order_status_parse(names[i], &s, err, sizeof(err)), RGS_ORDER_OK);
    assert_int_equal(s, i);
    assert_true(strlen(rgs_order_status_label((rgs_order_status)i)) > 0);
  }
  assert_int_equal(rgs_order_status_parse("shipped", &s, err, sizeof(err)), RGS_ORDER_ERR_STATUS_NAME);
  assert_contains(err, "face-to-face-done");
}

/* The whole table, cell by cell: the chain, the re-link, cancel and refuse
 * from every open state, nothing out of a closed one. */
static void test_transition_table(void **state)
{
  static const rgs_order_status chain[] = {
    RGS_STATUS_DRAFT, RGS_STATUS_ORDERED, RGS_STATUS_KEY_GENERATED, RGS_STATUS_CSR_LINKED,
    RGS_STATUS_SUBMITTED, RGS_STATUS_F2F_DONE, RGS_STATUS_DOCS_SENT, RGS_STATUS_ISSUED,
    RGS_STATUS_INSTALLED,
  };
  int from, to, want;
  size_t i;

  (void)state;
  for (from = 0; from < RGS_STATUS_COUNT; from++) {
    for (to = 0; to < RGS_STATUS_COUNT; to++) {
      int final = from == RGS_STATUS_INSTALLED || from == RGS_STATUS_CANCELLED ||
                  from == RGS_STATUS_REFUSED;
      want = 0;
      for (i = 0; i + 1 < sizeof(chain) / sizeof(chain[0]); i++)
        if (chain[i] == (rgs_order_status)from && chain[i + 1] == (rgs_order_status)to)
          want = 1;
      if (from == RGS_STATUS_CSR_LINKED && to == RGS_STATUS_CSR_LINKED)
        want = 1;
      /* the CA's certificate may come before the face-to-face or papers are recorded */
      if ((from == RGS_STATUS_SUBMITTED || from == RGS_STATUS_F2F_DONE) && to == RGS_STATUS_ISSUED)
        want = 1;
      if (!final && (to == RGS_STATUS_CANCELLED || to == RGS_STATUS_REFUSED))
        want = 1;
      if (rgs_order_transition_allowed((rgs_order_status)from, (rgs_order_status)to) != want)
        fail_msg("%s -> %s: expected %s", rgs_order_status_name((rgs_order_status)from),
                 rgs_order_status_name((rgs_order_status)to), want ? "allowed" : "refused");
    }
    assert_int_equal(rgs_order_status_final((rgs_order_status)from),
                     from == RGS_STATUS_INSTALLED || from == RGS_STATUS_CANCELLED || from == RGS_STATUS_REFUSED);
  }
  assert_false(rgs_order_transition_allowed(RGS_STATUS_DRAFT, RGS_STATUS_CSR_LINKED));
  assert_false(rgs_order_transition_allowed(RGS_STATUS_ORDERED, RGS_STATUS_SUBMITTED));
  assert_false(rgs_order_transition_allowed(RGS_STATUS_SUBMITTED, RGS_STATUS_ORDERED));
  assert_false(rgs_order_transition_allowed(RGS_STATUS_COUNT, RGS_STATUS_DRAFT));
}

static void test_next_statuses(void **state)
{
  rgs_order_status out[RGS_STATUS_COUNT];
  size_t n;

  (void)state;
  n = rgs_order_next_statuses(RGS_STATUS_DRAFT, out, RGS_STATUS_COUNT);
  assert_int_equal(n, 3);
  assert_int_equal(out[0], RGS_STATUS_ORDERED);
  assert_int_equal(out[1], RGS_STATUS_CANCELLED);
  assert_int_equal(out[2], RGS_STATUS_REFUSED);
  assert_int_equal(rgs_order_next_statuses(RGS_STATUS_CANCELLED, out, RGS_STATUS_COUNT), 0);
  assert_int_equal(rgs_order_next_statuses(RGS_STATUS_CSR_LINKED, out, RGS_STATUS_COUNT), 4);
}

static void test_quote(void **state)
{
  rgs_order_quote q;

  (void)state;
  assert_int_equal(rgs_order_aed_quote(RGS_F2F_HOLDER_TRAVELS, -1, &q), RGS_ORDER_OK);
  assert_true(q.priced);
  assert_int_equal(q.ht_cents, 5000);
  assert_int_equal(q.vat_cents, 1000);
  assert_int_equal(q.ttc_cents, 6000);
  assert_int_equal(rgs_order_aed_quote(RGS_F2F_AED_TRAVELS, 25, &q), RGS_ORDER_OK);
  assert_true(q.priced);
  assert_int_equal(q.ht_cents, 17000);
  assert_int_equal(q.vat_cents, 3400);
  assert_int_equal(q.ttc_cents, 20400);
  /* 30 km is within the radius, 31 is not */
  assert_int_equal(rgs_order_aed_quote(RGS_F2F_AED_TRAVELS, 30, &q), RGS_ORDER_OK);
  assert_true(q.priced);
  assert_int_equal(rgs_order_aed_quote(RGS_F2F_AED_TRAVELS, 31, &q), RGS_ORDER_OK);
  assert_false(q.priced);
  assert_int_equal(q.ht_cents, 0);
  assert_int_equal(rgs_order_aed_quote(RGS_F2F_AED_TRAVELS, 0, &q), RGS_ORDER_OK);
  assert_true(q.priced);
  assert_int_equal(rgs_order_aed_quote(RGS_F2F_AED_TRAVELS, -1, &q), RGS_ORDER_ERR_DISTANCE);
  assert_int_equal(rgs_order_aed_quote(RGS_F2F_AED_TRAVELS, -5, &q), RGS_ORDER_ERR_DISTANCE);
  assert_int_equal(rgs_order_aed_quote(RGS_F2F_HOLDER_TRAVELS, 5000, &q), RGS_ORDER_ERR_DISTANCE);
  assert_int_equal(rgs_order_aed_quote(RGS_F2F_HOLDER_TRAVELS, -1, NULL), RGS_ORDER_ERR_ARG);
}

static void test_dates(void **state)
{
  char out[32];

  (void)state;
  assert_true(rgs_order_date_valid("2026-11-01"));
  assert_true(rgs_order_date_valid("2028-02-29"));
  assert_false(rgs_order_date_valid("2026-02-29"));
  assert_false(rgs_order_date_valid("2026-02-30"));
  assert_false(rgs_order_date_valid("2100-02-29"));
  assert_true(rgs_order_date_valid("2000-02-29"));
  assert_false(rgs_order_date_valid("2026-13-01"));
  assert_false(rgs_order_date_valid("2026-00-10"));
  assert_false(rgs_order_date_valid("2026-04-31"));
  assert_false(rgs_order_date_valid("2026-4-01"));
  assert_false(rgs_order_date_valid("01/11/2026"));
  assert_false(rgs_order_date_valid("2026-11-01x"));
  assert_false(rgs_order_date_valid(""));
  assert_false(rgs_order_date_valid(NULL));

  assert_true(rgs_order_datetime_parse("2026-12-03T10:00", out, sizeof(out)));
  assert_string_equal(out, "2026-12-03T10:00");
  assert_true(rgs_order_datetime_parse("2026-12-03 09:30", out, sizeof(out)));
  assert_string_equal(out, "2026-12-03T09:30");
  assert_false(rgs_order_datetime_parse("2026-12-03T24:00", out, sizeof(out)));
  assert_false(rgs_order_datetime_parse("2026-12-03T10:60", out, sizeof(out)));
  assert_false(rgs_order_datetime_parse("2026-02-30T10:00", out, sizeof(out)));
  assert_false(rgs_order_datetime_parse("2026-12-03", out, sizeof(out)));
  assert_false(rgs_order_datetime_parse("2026-12-03T10:00:00", out, sizeof(out)));

  assert_int_equal(rgs_order_date_diff("2026-11-01", "2026-11-01"), 0);
  assert_int_equal(rgs_order_date_diff("2026-12-31", "2027-01-01"), 1);
  assert_int_equal(rgs_order_date_diff("2028-02-28", "2028-03-01"), 2);
  assert_int_equal(rgs_order_date_diff("2027-01-01", "2026-01-01"), -365);

  rgs_order_date_of(0, out, sizeof(out));
  assert_string_equal(out, "1970-01-01");

  /* under three months: the day before the same day three months later */
  rgs_order_date_last_day_under("2026-11-01", 3, out, sizeof(out));
  assert_string_equal(out, "2027-01-31");
  rgs_order_date_last_day_under("2026-01-31", 3, out, sizeof(out));
  assert_string_equal(out, "2026-04-29");
  rgs_order_date_last_day_under("2026-11-30", 3, out, sizeof(out));
  assert_string_equal(out, "2027-02-27");
  rgs_order_date_last_day_under("2027-11-30", 3, out, sizeof(out));
  assert_string_equal(out, "2028-02-28");
  rgs_order_date_last_day_under("2026-03-01", 3, out, sizeof(out));
  assert_string_equal(out, "2026-05-31");
}

static void docs_all(rgs_order_doc docs[RGS_DOC_COUNT], rgs_order_doc_state st)
{
  int k;

  memset(docs, 0, sizeof(rgs_order_doc) * RGS_DOC_COUNT);
  for (k = 0; k < RGS_DOC_COUNT; k++) {
    docs[k].kind = (rgs_order_doc_kind)k;
    docs[k].state = st;
  }
}

static const rgs_order_docnote *find_note(const rgs_order_docnote *n, size_t count,
                                          rgs_order_docnote_code code)
{
  size_t i;

  for (i = 0; i < count; i++)
    if (n[i].code == code)
      return &n[i];
  return NULL;
}

static void test_docs_rules(void **state)
{
  rgs_order_doc docs[RGS_DOC_COUNT];
  rgs_order_docnote notes[16];
  const rgs_order_docnote *nt;
  size_t n;

  (void)state;
  /* all missing: four notes, blocking only when the originals are sent */
  docs_all(docs, RGS_DOC_MISSING);
  n = rgs_order_docs_check(docs, "2026-11-24", "", 0, "", notes, 16);
  assert_int_equal(n, 4);
  assert_false(notes[0].blocking);
  n = rgs_order_docs_check(docs, "2026-11-24", "2026-11-24", 1, "", notes, 16);
  assert_int_equal(n, 4);
  assert_true(notes[3].blocking);

  /* all ready and dated: nothing to say */
  docs_all(docs, RGS_DOC_READY);
  snprintf(docs[RGS_DOC_EXTRACT].issued_on, 11, "2026-11-01");
  snprintf(docs[RGS_DOC_ID].expires_on, 11, "2031-05-02");
  assert_int_equal(rgs_order_docs_check(docs, "2026-11-24", "2026-12-05", 1, "2026-12-03T10:00", notes, 16), 0);
  /* sent on the last good day of the extract: fine; the next day: blocking */
  assert_int_equal(rgs_order_docs_check(docs, "2027-01-31", "2027-01-31", 1, "", notes, 16), 0);
  n = rgs_order_docs_check(docs, "2027-02-01", "2027-02-01", 1, "", notes, 16);
  nt = find_note(notes, n, RGS_DOCNOTE_EXTRACT_TOO_OLD);
  assert_non_null(nt);
  assert_true(nt->blocking);
  assert_string_equal(nt->date, "2027-01-31");
  /* planned after the extract's last good day: a warning, not blocking */
  n = rgs_order_docs_check(docs, "2026-11-24", "2027-02-10", 0, "", notes, 16);
  nt = find_note(notes, n, RGS_DOCNOTE_EXTRACT_EXPIRES);
  assert_non_null(nt);
  assert_false(nt->blocking);
  assert_string_equal(nt->date, "2027-01-31");
  /* already too old today, nothing planned */
  n = rgs_order_docs_check(docs, "2027-03-01", "", 0, "", notes, 16);
  assert_non_null(find_note(notes, n, RGS_DOCNOTE_EXTRACT_TOO_OLD));

  /* the ID must be valid on the face-to-face day (through its last day) */
  snprintf(docs[RGS_DOC_ID].expires_on, 11, "2026-12-03");
  assert_null(find_note(notes, rgs_order_docs_check(docs, "2026-11-24", "", 0, "2026-12-03T10:00", notes, 16),
                        RGS_DOCNOTE_ID_EXPIRED_F2F));
  snprintf(docs[RGS_DOC_ID].expires_on, 11, "2026-12-02");
  n = rgs_order_docs_check(docs, "2026-11-24", "", 0, "2026-12-03T10:00", notes, 16);
  nt = find_note(notes, n, RGS_DOCNOTE_ID_EXPIRED_F2F);
  assert_non_null(nt);
  assert_string_equal(nt->date, "2026-12-03");
  n = rgs_order_docs_check(docs, "2026-11-24", "2026-12-05", 1, "2026-12-03T10:00", notes, 16);
  assert_true(find_note(notes, n, RGS_DOCNOTE_ID_EXPIRED_F2F)->blocking);
  /* no appointment: valid on the sending day */
  n = rgs_order_docs_check(docs, "2026-12-10", "2026-12-10", 1, "", notes, 16);
  assert_true(find_note(notes, n, RGS_DOCNOTE_ID_EXPIRED)->blocking);

  /* undated documents: a note, blocking when sending */
  docs_all(docs, RGS_DOC_READY);
  n = rgs_order_docs_check(docs, "2026-11-24", "2026-11-24", 1, "", notes, 16);
  assert_int_equal(n, 2);
  assert_true(find_note(notes, n, RGS_DOCNOTE_EXTRACT_UNDATED)->blocking);
  assert_true(find_note(notes, n, RGS_DOCNOTE_ID_UNDATED)->blocking);
  /* max respected, count still returned */
  docs_all(docs, RGS_DOC_MISSING);
  assert_int_equal(rgs_order_docs_check(docs, "2026-11-24", "", 0, "", notes, 1), 4);
  assert_int_equal(rgs_order_docs_check(docs, "not a day", "", 0, "", notes, 16), 0);
}

static void test_doc_names(void **state)
{
  rgs_order_doc_kind k;
  rgs_order_doc_state s;
  char err[256];

  (void)state;
  assert_int_equal(rgs_order_doc_kind_parse("registration-extract", &k, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(k, RGS_DOC_EXTRACT);
  assert_int_equal(rgs_order_doc_kind_parse("id-document", &k, err, sizeof(err)), RGS_ORDER_OK);
  /* "passport" names the identity document now (either language). */
  assert_int_equal(rgs_order_doc_kind_parse("passport", &k, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(k, RGS_DOC_ID);
  assert_int_equal(rgs_order_doc_kind_parse("diploma", &k, err, sizeof(err)), RGS_ORDER_ERR_DOC_KIND);
  assert_contains(err, "intervention-form");
  assert_int_equal(rgs_order_doc_state_parse("accepted", &s, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(s, RGS_DOC_ACCEPTED);
  assert_int_equal(rgs_order_doc_state_parse("lost", &s, err, sizeof(err)), RGS_ORDER_ERR_DOC_STATE);
  assert_string_equal(rgs_order_postal_address()[0], "Certigna");
  assert_string_equal(rgs_order_postal_address()[1], "20 allée de la Râperie");
  assert_string_equal(rgs_order_postal_address()[2], "59650 Villeneuve d'Ascq");
  assert_null(rgs_order_postal_address()[3]);
}

static void test_next_steps(void **state)
{
  rgs_order o;
  rgs_order_appointment a;
  rgs_order_doc docs[RGS_DOC_COUNT];
  rgs_order_next next[8];
  size_t n;

  (void)state;
  memset(&o, 0, sizeof(o));
  memset(&a, 0, sizeof(a));
  docs_all(docs, RGS_DOC_MISSING);
  o.status = RGS_STATUS_DRAFT;
  n = rgs_order_next_steps(&o, NULL, docs, next, 8);
  assert_int_equal(n, 2);
  assert_int_equal(next[0], RGS_NEXT_ACCEPT_CGU);
  assert_int_equal(next[1], RGS_NEXT_CHOOSE_PAYMENT);
  snprintf(o.cgu_accepted_at, sizeof(o.cgu_accepted_at), "2026-11-24T00:00:00Z");
  assert_int_equal(rgs_order_next_steps(&o, NULL, docs, next, 8), 1);
  assert_int_equal(next[0], RGS_NEXT_CHOOSE_PAYMENT);

  o.status = RGS_STATUS_ORDERED;
  n = rgs_order_next_steps(&o, NULL, docs, next, 8);
  assert_int_equal(n, 3);
  assert_int_equal(next[0], RGS_NEXT_MAKE_KEY);
  assert_int_equal(next[1], RGS_NEXT_CHOOSE_AED);
  assert_int_equal(next[2], RGS_NEXT_PREPARE_DOCS);
  snprintf(a.aed.id, sizeof(a.aed.id), "acthemis-arles");
  n = rgs_order_next_steps(&o, &a, docs, next, 8);
  assert_int_equal(next[1], RGS_NEXT_BOOK_AED);
  snprintf(a.at, sizeof(a.at), "2026-12-03T10:00");
  o.status = RGS_STATUS_CSR_LINKED;
  docs_all(docs, RGS_DOC_READY);
  n = rgs_order_next_steps(&o, &a, docs, next, 8);
  assert_int_equal(n, 2);
  assert_int_equal(next[0], RGS_NEXT_SUBMIT);
  assert_int_equal(next[1], RGS_NEXT_MEET_AED);
  o.status = RGS_STATUS_SUBMITTED;
  n = rgs_order_next_steps(&o, &a, docs, next, 8);
  assert_int_equal(n, 1);
  assert_int_equal(next[0], RGS_NEXT_MEET_AED);
  o.status = RGS_STATUS_F2F_DONE;
  n = rgs_order_next_steps(&o, &a, docs, next, 8);
  assert_int_equal(n, 1);
  assert_int_equal(next[0], RGS_NEXT_SEND_DOCS);
  o.status = RGS_STATUS_DOCS_SENT;
  assert_int_equal(rgs_order_next_steps(&o, &a, docs, next, 8), 1);
  assert_int_equal(next[0], RGS_NEXT_WAIT_ISSUE);
  o.status = RGS_STATUS_ISSUED;
  rgs_order_next_steps(&o, &a, docs, next, 8);
  assert_int_equal(next[0], RGS_NEXT_INSTALL);
  o.status = RGS_STATUS_INSTALLED;
  rgs_order_next_steps(&o, &a, docs, next, 8);
  assert_int_equal(next[0], RGS_NEXT_NOTHING);
  o.status = RGS_STATUS_REFUSED;
  rgs_order_next_steps(&o, &a, docs, next, 8);
  assert_int_equal(next[0], RGS_NEXT_REFUSED);
  o.status = RGS_STATUS_CANCELLED;
  rgs_order_next_steps(&o, &a, docs, next, 8);
  assert_int_equal(next[0], RGS_NEXT_CANCELLED);
  assert_int_equal(rgs_order_next_steps(NULL, &a, docs, next, 8), 0);
}

static void test_strerror_complete(void **state)
{
  int rc;

  (void)state;
  for (rc = RGS_ORDER_OK; rc <= RGS_ORDER_ERR_STORE; rc++) {
    const char *m = rgs_order_strerror((rgs_order_rc)rc);
    assert_non_null(m);
    assert_true(strlen(m) > 0);
    assert_string_not_equal(m, "unknown error");
  }
  assert_string_equal(rgs_order_strerror((rgs_order_rc)999), "unknown error");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_partner_and_product),
    cmocka_unit_test(test_simple_values),
    cmocka_unit_test(test_departements),
    cmocka_unit_test(test_status_names),
    cmocka_unit_test(test_transition_table),
    cmocka_unit_test(test_next_statuses),
    cmocka_unit_test(test_quote),
    cmocka_unit_test(test_dates),
    cmocka_unit_test(test_docs_rules),
    cmocka_unit_test(test_doc_names),
    cmocka_unit_test(test_next_steps),
    cmocka_unit_test(test_strerror_complete),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
