/* SPDX-License-Identifier: BSD-3-Clause */
/* test_labels.c - what people type for the values of an order, in either
 * language, and the stable codes that stay what the store and --json hold
 * (order_labels.c through the public parse functions). */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rgs_order.h"

typedef struct {
  const char *typed;
  int ok;
  int value;
} word_case;

static void test_payment(void **state)
{
  static const word_case cases[] = {
    { "carte", 1, RGS_PAY_CARTE }, { "card", 1, RGS_PAY_CARTE }, { "CB", 1, RGS_PAY_CARTE },
    { "Carte Bancaire", 1, RGS_PAY_CARTE }, { "bank card", 1, RGS_PAY_CARTE },
    { "virement", 1, RGS_PAY_VIREMENT }, { "transfer", 1, RGS_PAY_VIREMENT },
    { "bank transfer", 1, RGS_PAY_VIREMENT }, { "cheque", 1, RGS_PAY_CHEQUE },
    { "ch\xc3\xa8que", 1, RGS_PAY_CHEQUE }, { "CH\xc3\x88QUE", 1, RGS_PAY_CHEQUE },
    { "check", 1, RGS_PAY_CHEQUE },
    { "bitcoin", 0, 0 }, { "", 0, 0 }, { "   ", 0, 0 }, { "car", 0, 0 }, { "cards", 0, 0 },
    { "none", 0, 0 }, { "not chosen", 0, 0 },
  };
  rgs_order_payment p;
  char err[256];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    rgs_order_rc rc = rgs_order_payment_parse(cases[i].typed, &p, err, sizeof(err));
    if ((rc == RGS_ORDER_OK) != cases[i].ok || (cases[i].ok && (int)p != cases[i].value))
      fail_msg("payment '%s': rc %d value %d", cases[i].typed, (int)rc, (int)p);
  }
  /* What is stored stays the code. */
  assert_string_equal(rgs_order_payment_name(RGS_PAY_CARTE), "carte");
  assert_string_equal(rgs_order_payment_label(RGS_PAY_CARTE), "bank card");
  assert_string_equal(rgs_order_payment_label(RGS_PAY_NONE), "not chosen");
}

static void test_status(void **state)
{
  static const word_case cases[] = {
    { "cancelled", 1, RGS_STATUS_CANCELLED }, { "annul\xc3\xa9" "e", 1, RGS_STATUS_CANCELLED },
    { "ANNULEE", 1, RGS_STATUS_CANCELLED }, { "brouillon", 1, RGS_STATUS_DRAFT },
    { "command\xc3\xa9" "e", 1, RGS_STATUS_ORDERED },
    { "face-\xc3\xa0-face fait", 1, RGS_STATUS_F2F_DONE },
    { "Face \xc3\x80 Face Fait", 1, RGS_STATUS_F2F_DONE },
    { "face-to-face-done", 1, RGS_STATUS_F2F_DONE }, { "Demande li\xc3\xa9" "e", 1, RGS_STATUS_CSR_LINKED },
    { "documents envoy\xc3\xa9s", 1, RGS_STATUS_DOCS_SENT }, { "install\xc3\xa9", 1, RGS_STATUS_INSTALLED },
    { "\xc3\xa9mis", 1, RGS_STATUS_ISSUED }, { "refus\xc3\xa9" "e", 1, RGS_STATUS_REFUSED },
    /* the word of the current language (English here) */
    { "key generated", 1, RGS_STATUS_KEY_GENERATED }, { "request linked", 1, RGS_STATUS_CSR_LINKED },
    { "shipped", 0, 0 }, { "", 0, 0 }, { "-", 0, 0 }, { "annul", 0, 0 },
  };
  rgs_order_status s;
  char err[512], longer[400];
  size_t i;
  int k;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    rgs_order_rc rc = rgs_order_status_parse(cases[i].typed, &s, err, sizeof(err));
    if ((rc == RGS_ORDER_OK) != cases[i].ok || (cases[i].ok && (int)s != cases[i].value))
      fail_msg("status '%s': rc %d value %d", cases[i].typed, (int)rc, (int)s);
  }
  /* Too long to be a word: refused, not cut into one. */
  memset(longer, 'a', sizeof(longer) - 1);
  longer[sizeof(longer) - 1] = '\0';
  memcpy(longer, "annulee", 7);
  assert_int_equal(rgs_order_status_parse(longer, &s, err, sizeof(err)), RGS_ORDER_ERR_STATUS_NAME);
  for (k = 0; k < RGS_STATUS_COUNT; k++) {
    assert_string_not_equal(rgs_order_status_word((rgs_order_status)k), "?");
    /* every word reads back as its status */
    assert_int_equal(rgs_order_status_parse(rgs_order_status_word((rgs_order_status)k), &s, err,
                                            sizeof(err)), RGS_ORDER_OK);
    assert_int_equal(s, k);
  }
  assert_string_equal(rgs_order_status_name(RGS_STATUS_F2F_DONE), "face-to-face-done");
}

static void test_documents(void **state)
{
  static const word_case kinds[] = {
    { "kbis", 1, RGS_DOC_EXTRACT }, { "K-Bis", 1, RGS_DOC_EXTRACT }, { "extrait", 1, RGS_DOC_EXTRACT },
    { "registration-extract", 1, RGS_DOC_EXTRACT }, { "pi\xc3\xa8" "ce d'identit\xc3\xa9", 1, RGS_DOC_ID },
    { "pi\xc3\xa8" "ce d\xe2\x80\x99identit\xc3\xa9", 1, RGS_DOC_ID },
    { "passeport", 1, RGS_DOC_ID }, { "CNI", 1, RGS_DOC_ID },
    { "fiche d'intervention", 1, RGS_DOC_INTERVENTION_FORM }, { "demande", 1, RGS_DOC_REQUEST_FORM },
    { "photocopy of a valid identity card or passport", 1, RGS_DOC_ID },
    { "kbis2", 0, 0 }, { "diploma", 0, 0 }, { "", 0, 0 },
  };
  static const word_case states[] = {
    { "pr\xc3\xaat", 1, RGS_DOC_READY }, { "Pr\xc3\xaate", 1, RGS_DOC_READY }, { "ready", 1, RGS_DOC_READY },
    { "envoy\xc3\xa9", 1, RGS_DOC_SENT }, { "manquant", 1, RGS_DOC_MISSING },
    { "accept\xc3\xa9" "e", 1, RGS_DOC_ACCEPTED }, { "lost", 0, 0 }, { "pr\xc3\xaa", 0, 0 },
  };
  rgs_order_doc_kind k;
  rgs_order_doc_state s;
  char err[256];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
    rgs_order_rc rc = rgs_order_doc_kind_parse(kinds[i].typed, &k, err, sizeof(err));
    if ((rc == RGS_ORDER_OK) != kinds[i].ok || (kinds[i].ok && (int)k != kinds[i].value))
      fail_msg("document '%s': rc %d value %d", kinds[i].typed, (int)rc, (int)k);
  }
  for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
    rgs_order_rc rc = rgs_order_doc_state_parse(states[i].typed, &s, err, sizeof(err));
    if ((rc == RGS_ORDER_OK) != states[i].ok || (states[i].ok && (int)s != states[i].value))
      fail_msg("state '%s': rc %d value %d", states[i].typed, (int)rc, (int)s);
  }
  assert_string_equal(rgs_order_doc_kind_name(RGS_DOC_EXTRACT), "registration-extract");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_payment),
    cmocka_unit_test(test_status),
    cmocka_unit_test(test_documents),
  };

  /* The untranslated words: no catalogue is bound. */
  setenv("LANGUAGE", "en", 1);
  setlocale(LC_ALL, "C.UTF-8");
  return cmocka_run_group_tests(tests, NULL, NULL);
}
