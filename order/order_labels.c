/* SPDX-License-Identifier: BSD-3-Clause */
/* order_labels.c - the words people read and type for the values of an
 * order: a translated label for each status, payment method, operating
 * system and face-to-face mode, and one lookup per kind of value that
 * accepts the stable English code, the French words and the label of the
 * current language. What is stored and what --json prints stay the codes. */
#include <stdio.h>
#include <string.h>
#include "order_internal.h"

/* ---- folding what is typed -------------------------------------------------- */

/* Accented letters of French as their base letter, so that "prêt", "pret"
 * and "PRÊT" are one word. */
static const struct {
  const char *utf8;
  const char *ascii;
} accents[] = {
  { "\xc3\xa0", "a" }, { "\xc3\xa2", "a" }, { "\xc3\xa4", "a" }, { "\xc3\x80", "a" },
  { "\xc3\x82", "a" }, { "\xc3\xa9", "e" }, { "\xc3\xa8", "e" }, { "\xc3\xaa", "e" },
  { "\xc3\xab", "e" }, { "\xc3\x89", "e" }, { "\xc3\x88", "e" }, { "\xc3\x8a", "e" },
  { "\xc3\xae", "i" }, { "\xc3\xaf", "i" }, { "\xc3\x8e", "i" }, { "\xc3\xb4", "o" },
  { "\xc3\xb6", "o" }, { "\xc3\x94", "o" }, { "\xc3\xb9", "u" }, { "\xc3\xbb", "u" },
  { "\xc3\xbc", "u" }, { "\xc3\xa7", "c" }, { "\xc3\x87", "c" }, { "\xc5\x93", "oe" },
  { "\xc5\x92", "oe" }, { "\xe2\x80\x99", "-" },
};

/* Lower case, accents off, and blanks, '_' and apostrophes as one '-'.
 * 0 when the text does not fit (then it matches nothing). */
static int fold(const char *in, char *out, size_t outlen)
{
  size_t o = 0, i, k, len;
  const char *add;
  char one[2];

  for (i = 0; in[i] != '\0';) {
    add = NULL;
    for (k = 0; k < RGS_ARRAY_LEN(accents) && add == NULL; k++) {
      len = strlen(accents[k].utf8);
      if (strncmp(in + i, accents[k].utf8, len) == 0) {
        add = accents[k].ascii;
        i += len;
      }
    }
    if (add == NULL) {
      one[0] = in[i] >= 'A' && in[i] <= 'Z' ? (char)(in[i] - 'A' + 'a') : in[i];
      if (one[0] == ' ' || one[0] == '_' || one[0] == '\'' || one[0] == '\t')
        one[0] = '-';
      one[1] = '\0';
      add = one;
      i++;
    }
    if (add[0] == '-' && (o == 0 || out[o - 1] == '-'))
      continue;
    if (o + strlen(add) + 1 > outlen)
      return 0;
    memcpy(out + o, add, strlen(add));
    o += strlen(add);
  }
  while (o > 0 && out[o - 1] == '-')
    o--;
  out[o] = '\0';
  return o > 0;
}

typedef struct {
  const char *word;          /* folded already: lower case, no accent, '-' */
  int value;
} alias;

/* The value typed as text: one of the aliases, or the label of a value in
 * the current language (label(v) for v in 0..count-1, NULL to skip). */
static int word_lookup(const char *text, const alias *t, size_t n,
                       const char *(*label)(int), int count, int *out)
{
  char typed[128], lab[128];
  size_t i;
  int v;

  if (text == NULL || !fold(text, typed, sizeof(typed)))
    return 0;
  for (i = 0; i < n; i++) {
    if (strcmp(t[i].word, typed) == 0) {
      *out = t[i].value;
      return 1;
    }
  }
  for (v = 0; label != NULL && v < count; v++) {
    if (label(v) != NULL && fold(label(v), lab, sizeof(lab)) && strcmp(lab, typed) == 0) {
      *out = v;
      return 1;
    }
  }
  return 0;
}

/* ---- statuses ------------------------------------------------------------------- */

static const char *const status_words[RGS_STATUS_COUNT] = {
  N_("draft"), N_("ordered"), N_("key generated"), N_("request linked"), N_("submitted"),
  N_("face-to-face done"), N_("documents sent"), N_("issued"), N_("installed"),
  N_("cancelled"), N_("refused"),
};

const char *rgs_order_status_word(rgs_order_status s)
{
  return (int)s >= 0 && s < RGS_STATUS_COUNT ? _(status_words[s]) : "?";
}

static const alias status_aliases[] = {
  { "draft", RGS_STATUS_DRAFT }, { "brouillon", RGS_STATUS_DRAFT },
  { "ordered", RGS_STATUS_ORDERED }, { "commandee", RGS_STATUS_ORDERED },
  { "commande", RGS_STATUS_ORDERED }, { "passee", RGS_STATUS_ORDERED },
  { "key-generated", RGS_STATUS_KEY_GENERATED }, { "cle-generee", RGS_STATUS_KEY_GENERATED },
  { "bi-cle-generee", RGS_STATUS_KEY_GENERATED },
  { "csr-linked", RGS_STATUS_CSR_LINKED }, { "request-linked", RGS_STATUS_CSR_LINKED },
  { "demande-liee", RGS_STATUS_CSR_LINKED }, { "csr-liee", RGS_STATUS_CSR_LINKED },
  { "submitted", RGS_STATUS_SUBMITTED }, { "soumise", RGS_STATUS_SUBMITTED },
  { "demande-soumise", RGS_STATUS_SUBMITTED }, { "soumis", RGS_STATUS_SUBMITTED },
  { "face-to-face-done", RGS_STATUS_F2F_DONE }, { "face-a-face-fait", RGS_STATUS_F2F_DONE },
  { "face-a-face-effectue", RGS_STATUS_F2F_DONE }, { "f2f-done", RGS_STATUS_F2F_DONE },
  { "documents-sent", RGS_STATUS_DOCS_SENT }, { "documents-envoyes", RGS_STATUS_DOCS_SENT },
  { "pieces-envoyees", RGS_STATUS_DOCS_SENT },
  { "issued", RGS_STATUS_ISSUED }, { "emis", RGS_STATUS_ISSUED },
  { "certificat-emis", RGS_STATUS_ISSUED }, { "delivre", RGS_STATUS_ISSUED },
  { "installed", RGS_STATUS_INSTALLED }, { "installe", RGS_STATUS_INSTALLED },
  { "installee", RGS_STATUS_INSTALLED }, { "certificat-installe", RGS_STATUS_INSTALLED },
  { "cancelled", RGS_STATUS_CANCELLED }, { "canceled", RGS_STATUS_CANCELLED },
  { "annulee", RGS_STATUS_CANCELLED }, { "annule", RGS_STATUS_CANCELLED },
  { "refused", RGS_STATUS_REFUSED }, { "refusee", RGS_STATUS_REFUSED },
  { "refuse", RGS_STATUS_REFUSED },
};

static const char *status_word_of(int v)
{
  return rgs_order_status_word((rgs_order_status)v);
}

int order_status_from_word(const char *text, rgs_order_status *out)
{
  int v;

  if (!word_lookup(text, status_aliases, RGS_ARRAY_LEN(status_aliases), status_word_of,
                   RGS_STATUS_COUNT, &v))
    return 0;
  *out = (rgs_order_status)v;
  return 1;
}

/* ---- payment methods, operating systems, face-to-face modes ---------------------- */

const char *rgs_order_payment_label(rgs_order_payment p)
{
  switch (p) {
  case RGS_PAY_NONE: return _("not chosen");
  case RGS_PAY_CARTE: return _("bank card");
  case RGS_PAY_VIREMENT: return _("bank transfer");
  case RGS_PAY_CHEQUE: return _("cheque");
  }
  return "?";
}

static const alias payment_aliases[] = {
  { "carte", RGS_PAY_CARTE }, { "card", RGS_PAY_CARTE }, { "cb", RGS_PAY_CARTE },
  { "carte-bancaire", RGS_PAY_CARTE }, { "bank-card", RGS_PAY_CARTE },
  { "credit-card", RGS_PAY_CARTE },
  { "virement", RGS_PAY_VIREMENT }, { "transfer", RGS_PAY_VIREMENT },
  { "bank-transfer", RGS_PAY_VIREMENT }, { "virement-bancaire", RGS_PAY_VIREMENT },
  { "cheque", RGS_PAY_CHEQUE }, { "check", RGS_PAY_CHEQUE },
};

static const char *payment_label_of(int v)
{
  return v == RGS_PAY_NONE ? NULL : rgs_order_payment_label((rgs_order_payment)v);
}

int order_payment_from_word(const char *text, rgs_order_payment *out)
{
  int v;

  if (!word_lookup(text, payment_aliases, RGS_ARRAY_LEN(payment_aliases), payment_label_of,
                   RGS_PAY_CHEQUE + 1, &v))
    return 0;
  *out = (rgs_order_payment)v;
  return 1;
}

const char *rgs_order_os_label(rgs_order_os os)
{
  switch (os) {
  case RGS_OS_WINDOWS: return "Windows";
  case RGS_OS_MACOS: return "Mac OS";
  /* TRANSLATORS: another operating system than Windows and Mac OS. */
  case RGS_OS_OTHER: return _("other system");
  }
  return "?";
}

const char *rgs_order_mode_label(rgs_order_f2f_mode mode)
{
  switch (mode) {
  case RGS_F2F_HOLDER_TRAVELS: return _("the holder goes to the AED");
  case RGS_F2F_AED_TRAVELS: return _("the AED travels");
  }
  return "?";
}

/* ---- documents -------------------------------------------------------------------- */

static const alias doc_kind_aliases[] = {
  { "request-form", RGS_DOC_REQUEST_FORM }, { "request", RGS_DOC_REQUEST_FORM },
  { "demande", RGS_DOC_REQUEST_FORM }, { "formulaire-de-demande", RGS_DOC_REQUEST_FORM },
  { "formulaire-demande", RGS_DOC_REQUEST_FORM },
  { "intervention-form", RGS_DOC_INTERVENTION_FORM }, { "intervention", RGS_DOC_INTERVENTION_FORM },
  { "fiche-d-intervention", RGS_DOC_INTERVENTION_FORM },
  { "fiche-intervention", RGS_DOC_INTERVENTION_FORM },
  { "formulaire-d-intervention", RGS_DOC_INTERVENTION_FORM },
  { "id-document", RGS_DOC_ID }, { "id", RGS_DOC_ID }, { "identity", RGS_DOC_ID },
  { "passport", RGS_DOC_ID }, { "passeport", RGS_DOC_ID }, { "cni", RGS_DOC_ID },
  { "piece-d-identite", RGS_DOC_ID }, { "identite", RGS_DOC_ID },
  { "carte-d-identite", RGS_DOC_ID },
  { "registration-extract", RGS_DOC_EXTRACT }, { "kbis", RGS_DOC_EXTRACT },
  { "k-bis", RGS_DOC_EXTRACT }, { "extract", RGS_DOC_EXTRACT }, { "extrait", RGS_DOC_EXTRACT },
  { "extrait-kbis", RGS_DOC_EXTRACT }, { "extrait-d-immatriculation", RGS_DOC_EXTRACT },
};

static const char *doc_kind_label_of(int v)
{
  return rgs_order_doc_kind_label((rgs_order_doc_kind)v);
}

int order_doc_kind_from_word(const char *text, rgs_order_doc_kind *out)
{
  int v;

  if (!word_lookup(text, doc_kind_aliases, RGS_ARRAY_LEN(doc_kind_aliases), doc_kind_label_of,
                   RGS_DOC_COUNT, &v))
    return 0;
  *out = (rgs_order_doc_kind)v;
  return 1;
}

static const alias doc_state_aliases[] = {
  { "missing", RGS_DOC_MISSING }, { "manquant", RGS_DOC_MISSING },
  { "manquante", RGS_DOC_MISSING }, { "absent", RGS_DOC_MISSING },
  { "ready", RGS_DOC_READY }, { "pret", RGS_DOC_READY }, { "prete", RGS_DOC_READY },
  { "sent", RGS_DOC_SENT }, { "envoye", RGS_DOC_SENT }, { "envoyee", RGS_DOC_SENT },
  { "expedie", RGS_DOC_SENT },
  { "accepted", RGS_DOC_ACCEPTED }, { "accepte", RGS_DOC_ACCEPTED },
  { "acceptee", RGS_DOC_ACCEPTED },
};

static const char *doc_state_label_of(int v)
{
  return rgs_order_doc_state_label((rgs_order_doc_state)v);
}

int order_doc_state_from_word(const char *text, rgs_order_doc_state *out)
{
  int v;

  if (!word_lookup(text, doc_state_aliases, RGS_ARRAY_LEN(doc_state_aliases),
                   doc_state_label_of, RGS_DOC_ACCEPTED + 1, &v))
    return 0;
  *out = (rgs_order_doc_state)v;
  return 1;
}
