/* SPDX-License-Identifier: BSD-3-Clause */
/* order_values.c - the values of an order, its statuses and the steps
 * between them, as tables. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "order_internal.h"

/* ---- partners and products ----------------------------------------------- */

typedef struct {
  const char *code;
  const char *name;
  const char *products[4];
} partner_entry;

/* The partner codes of the Certigna portal this tool knows. */
static const partner_entry partners[] = {
  { "CMA", "ASSEMBLEE PERMANENTE CHAMBRES DE METIERS ET DE L'ARTISANAT",
    { RGS_ORDER_PRODUCT, NULL } },
};

static void list_codes(char *out, size_t len)
{
  size_t i, o = 0;

  out[0] = '\0';
  for (i = 0; i < RGS_ARRAY_LEN(partners) && o < len; i++)
    o += (size_t)snprintf(out + o, len - o, "%s%s", i > 0 ? ", " : "", partners[i].code);
}

static const partner_entry *find_partner(const char *code)
{
  size_t i;

  for (i = 0; code != NULL && i < RGS_ARRAY_LEN(partners); i++)
    if (strcasecmp(partners[i].code, code) == 0)
      return &partners[i];
  return NULL;
}

rgs_order_rc rgs_order_partner_parse(const char *text, char *code, size_t codelen, char *err,
                                     size_t errlen)
{
  const partner_entry *p = find_partner(text);
  char codes[128];

  if (p == NULL) {
    list_codes(codes, sizeof(codes));
    snprintf(err, errlen, _("unknown partner code '%s': the accepted codes are %s (any case)"),
             text != NULL ? text : "", codes);
    return RGS_ORDER_ERR_PARTNER;
  }
  snprintf(code, codelen, "%s", p->code);
  return RGS_ORDER_OK;
}

const char *rgs_order_partner_name(const char *code)
{
  const partner_entry *p = find_partner(code);

  return p != NULL ? p->name : NULL;
}

rgs_order_rc rgs_order_product_parse(const char *partner, const char *text, char *out,
                                     size_t outlen, char *err, size_t errlen)
{
  const partner_entry *p = find_partner(partner);
  size_t i;

  if (p == NULL)
    return rgs_order_partner_parse(partner, out, outlen, err, errlen);
  if (text == NULL) {
    snprintf(out, outlen, "%s", p->products[0]);
    return RGS_ORDER_OK;
  }
  for (i = 0; i < RGS_ARRAY_LEN(p->products) && p->products[i] != NULL; i++) {
    if (strcasecmp(p->products[i], text) == 0) {
      snprintf(out, outlen, "%s", p->products[i]);
      return RGS_ORDER_OK;
    }
  }
  snprintf(err, errlen, _("product '%s' is not offered through partner %s: it offers \"%s\""),
           text, p->code, p->products[0]);
  return RGS_ORDER_ERR_PRODUCT;
}

/* ---- simple values -------------------------------------------------------- */

rgs_order_rc rgs_order_validity_parse(const char *text, int *years, char *err, size_t errlen)
{
  if (text != NULL && text[0] >= '1' && text[0] <= '3' && text[1] == '\0') {
    *years = text[0] - '0';
    return RGS_ORDER_OK;
  }
  snprintf(err, errlen, _("validity '%s' is not offered: 1, 2 or 3 (years)"),
           text != NULL ? text : "");
  return RGS_ORDER_ERR_VALIDITY;
}

typedef struct {
  const char *name;
  int value;
} name_value;

static const name_value os_names[] = {
  { "windows", RGS_OS_WINDOWS }, { "macos", RGS_OS_MACOS }, { "other", RGS_OS_OTHER },
  /* as the portal spells them */
  { "mac os", RGS_OS_MACOS }, { "mac", RGS_OS_MACOS }, { "autre", RGS_OS_OTHER },
};

static const name_value payment_names[] = {
  { "carte", RGS_PAY_CARTE }, { "virement", RGS_PAY_VIREMENT }, { "cheque", RGS_PAY_CHEQUE },
  { "chèque", RGS_PAY_CHEQUE }, { "carte-bancaire", RGS_PAY_CARTE }, { "cb", RGS_PAY_CARTE },
};

static const name_value mode_names[] = {
  { "holder-travels", RGS_F2F_HOLDER_TRAVELS }, { "aed-travels", RGS_F2F_AED_TRAVELS },
};

static int lookup(const name_value *t, size_t n, const char *text, int *out)
{
  char low[64];
  size_t i;

  if (text == NULL)
    return 0;
  order_ascii_lower(text, low, sizeof(low));
  for (i = 0; i < n; i++) {
    if (strcmp(t[i].name, low) == 0) {
      *out = t[i].value;
      return 1;
    }
  }
  return 0;
}

int order_os_from_name(const char *name, rgs_order_os *out)
{
  int v;

  if (!lookup(os_names, RGS_ARRAY_LEN(os_names), name, &v))
    return 0;
  *out = (rgs_order_os)v;
  return 1;
}

int order_payment_from_name(const char *name, rgs_order_payment *out)
{
  int v;

  if (!lookup(payment_names, RGS_ARRAY_LEN(payment_names), name, &v))
    return 0;
  *out = (rgs_order_payment)v;
  return 1;
}

int order_mode_from_name(const char *name, rgs_order_f2f_mode *out)
{
  int v;

  if (!lookup(mode_names, RGS_ARRAY_LEN(mode_names), name, &v))
    return 0;
  *out = (rgs_order_f2f_mode)v;
  return 1;
}

rgs_order_rc rgs_order_os_parse(const char *text, rgs_order_os *out, char *err, size_t errlen)
{
  if (order_os_from_name(text, out))
    return RGS_ORDER_OK;
  snprintf(err, errlen, _("operating system '%s' is not one of windows, macos, other"),
           text != NULL ? text : "");
  return RGS_ORDER_ERR_OS;
}

rgs_order_rc rgs_order_payment_parse(const char *text, rgs_order_payment *out, char *err,
                                     size_t errlen)
{
  if (order_payment_from_name(text, out) || order_payment_from_word(text, out))
    return RGS_ORDER_OK;
  snprintf(err, errlen, _("payment method '%s' is not one of carte (card), virement (transfer), cheque (check)"),
           text != NULL ? text : "");
  return RGS_ORDER_ERR_PAYMENT;
}

rgs_order_rc rgs_order_mode_parse(const char *text, rgs_order_f2f_mode *out, char *err,
                                  size_t errlen)
{
  if (order_mode_from_name(text, out))
    return RGS_ORDER_OK;
  snprintf(err, errlen, _("face-to-face mode '%s' is not one of holder-travels (the holder goes to the AED), aed-travels (the AED comes)"),
           text != NULL ? text : "");
  return RGS_ORDER_ERR_MODE;
}

const char *rgs_order_os_name(rgs_order_os os)
{
  switch (os) {
  case RGS_OS_WINDOWS: return "windows";
  case RGS_OS_MACOS: return "macos";
  case RGS_OS_OTHER: return "other";
  }
  return "other";
}

const char *rgs_order_payment_name(rgs_order_payment p)
{
  switch (p) {
  case RGS_PAY_NONE: return "none";
  case RGS_PAY_CARTE: return "carte";
  case RGS_PAY_VIREMENT: return "virement";
  case RGS_PAY_CHEQUE: return "cheque";
  }
  return "none";
}

const char *rgs_order_mode_name(rgs_order_f2f_mode mode)
{
  switch (mode) {
  case RGS_F2F_HOLDER_TRAVELS: return "holder-travels";
  case RGS_F2F_AED_TRAVELS: return "aed-travels";
  }
  return "holder-travels";
}

/* ---- départements ---------------------------------------------------------- */

static int dept_ok(const char *d)
{
  int n;

  if (strcmp(d, "2A") == 0 || strcmp(d, "2B") == 0)
    return 1;
  if (strlen(d) == 2 && d[0] >= '0' && d[0] <= '9' && d[1] >= '0' && d[1] <= '9') {
    n = (d[0] - '0') * 10 + (d[1] - '0');
    return n >= 1 && n <= 95 && n != 20;
  }
  if (strlen(d) == 3 && strncmp(d, "97", 2) == 0)
    return d[2] >= '1' && d[2] <= '6';
  return 0;
}

rgs_order_rc rgs_order_dept_parse(const char *text, char *out, size_t outlen, char *err,
                                  size_t errlen)
{
  char d[8];

  if (text == NULL || strlen(text) < 1 || strlen(text) > 3 || outlen < 4)
    goto bad;
  if (strlen(text) == 1) {
    d[0] = '0';
    d[1] = text[0];
    d[2] = '\0';
  } else {
    snprintf(d, sizeof(d), "%s", text);
    if (d[1] == 'a' || d[1] == 'b')
      d[1] = (char)(d[1] - 'a' + 'A');
  }
  if (!dept_ok(d))
    goto bad;
  snprintf(out, outlen, "%s", d);
  return RGS_ORDER_OK;

bad:
  snprintf(err, errlen, _("'%s' is not a French département number (01 to 95, 2A, 2B, 971 to 976)"),
           text != NULL ? text : "");
  return RGS_ORDER_ERR_DEPT;
}

rgs_order_rc rgs_order_dept_of_postal_code(const char *pc, char *out, size_t outlen)
{
  size_t i;

  if (pc == NULL || strlen(pc) != 5 || outlen < 4)
    return RGS_ORDER_ERR_DEPT;
  for (i = 0; i < 5; i++)
    if (pc[i] < '0' || pc[i] > '9')
      return RGS_ORDER_ERR_DEPT;
  if (strncmp(pc, "20", 2) == 0)
    snprintf(out, outlen, "%s", pc[2] < '2' ? "2A" : "2B");
  else if (strncmp(pc, "97", 2) == 0)
    snprintf(out, outlen, "%.3s", pc);
  else
    snprintf(out, outlen, "%.2s", pc);
  return dept_ok(out) ? RGS_ORDER_OK : RGS_ORDER_ERR_DEPT;
}

/* ---- statuses and the steps between them ------------------------------------ */

typedef struct {
  rgs_order_status status;
  const char *name;          /* stable, stored and printed in JSON */
  const char *label;         /* N_(): for people */
  int final;
} status_entry;

static const status_entry statuses[RGS_STATUS_COUNT] = {
  { RGS_STATUS_DRAFT, "draft", N_("draft (not yet placed)"), 0 },
  { RGS_STATUS_ORDERED, "ordered", N_("ordered (CGU accepted)"), 0 },
  { RGS_STATUS_KEY_GENERATED, "key-generated", N_("key pair generated on the token"), 0 },
  { RGS_STATUS_CSR_LINKED, "csr-linked", N_("certificate request linked to the order"), 0 },
  { RGS_STATUS_SUBMITTED, "submitted", N_("request submitted to the CA"), 0 },
  { RGS_STATUS_F2F_DONE, "face-to-face-done", N_("face-to-face with the AED done"), 0 },
  { RGS_STATUS_DOCS_SENT, "documents-sent", N_("original documents sent to Certigna"), 0 },
  { RGS_STATUS_ISSUED, "issued", N_("certificate issued"), 0 },
  { RGS_STATUS_INSTALLED, "installed", N_("certificate installed on the token"), 1 },
  { RGS_STATUS_CANCELLED, "cancelled", N_("cancelled"), 1 },
  { RGS_STATUS_REFUSED, "refused", N_("refused by the CA"), 1 },
};

/* The steps of the chain; cancelled and refused are allowed from every
 * state that is not final, by rule below rather than by rows. */
static const struct {
  rgs_order_status from, to;
} steps[] = {
  { RGS_STATUS_DRAFT, RGS_STATUS_ORDERED },
  { RGS_STATUS_ORDERED, RGS_STATUS_KEY_GENERATED },
  { RGS_STATUS_KEY_GENERATED, RGS_STATUS_CSR_LINKED },
  { RGS_STATUS_CSR_LINKED, RGS_STATUS_CSR_LINKED },     /* a new request replaces the old */
  { RGS_STATUS_CSR_LINKED, RGS_STATUS_SUBMITTED },
  { RGS_STATUS_SUBMITTED, RGS_STATUS_F2F_DONE },
  { RGS_STATUS_F2F_DONE, RGS_STATUS_DOCS_SENT },
  { RGS_STATUS_DOCS_SENT, RGS_STATUS_ISSUED },
  /* The CA is the judge of when to issue: a certificate it sent (EST 200)
   * is issued, even before the face-to-face or the papers are recorded. */
  { RGS_STATUS_SUBMITTED, RGS_STATUS_ISSUED },
  { RGS_STATUS_F2F_DONE, RGS_STATUS_ISSUED },
  { RGS_STATUS_ISSUED, RGS_STATUS_INSTALLED },
};

static int status_in_range(rgs_order_status s)
{
  return (int)s >= 0 && s < RGS_STATUS_COUNT;
}

const char *rgs_order_status_name(rgs_order_status s)
{
  return status_in_range(s) ? statuses[s].name : "?";
}

const char *rgs_order_status_label(rgs_order_status s)
{
  return status_in_range(s) ? _(statuses[s].label) : "?";
}

int order_status_from_name(const char *name, rgs_order_status *out)
{
  char low[32];
  size_t i;

  if (name == NULL)
    return 0;
  order_ascii_lower(name, low, sizeof(low));
  for (i = 0; i < RGS_ARRAY_LEN(statuses); i++) {
    if (strcmp(statuses[i].name, low) == 0) {
      *out = statuses[i].status;
      return 1;
    }
  }
  return 0;
}

rgs_order_rc rgs_order_status_parse(const char *text, rgs_order_status *out, char *err,
                                    size_t errlen)
{
  size_t i, o = 0;

  if (order_status_from_name(text, out) || order_status_from_word(text, out))
    return RGS_ORDER_OK;
  o = (size_t)snprintf(err, errlen, _("unknown status '%s'; the statuses are:"),
                       text != NULL ? text : "");
  for (i = 0; i < RGS_ARRAY_LEN(statuses) && o < errlen; i++)
    o += (size_t)snprintf(err + o, errlen - o, " %s", statuses[i].name);
  return RGS_ORDER_ERR_STATUS_NAME;
}

int rgs_order_status_final(rgs_order_status s)
{
  return status_in_range(s) && statuses[s].final;
}

int rgs_order_transition_allowed(rgs_order_status from, rgs_order_status to)
{
  size_t i;

  if (!status_in_range(from) || !status_in_range(to) || statuses[from].final)
    return 0;
  if (to == RGS_STATUS_CANCELLED || to == RGS_STATUS_REFUSED)
    return 1;
  for (i = 0; i < RGS_ARRAY_LEN(steps); i++)
    if (steps[i].from == from && steps[i].to == to)
      return 1;
  return 0;
}

size_t rgs_order_next_statuses(rgs_order_status from, rgs_order_status *out, size_t max)
{
  size_t n = 0;
  int s;

  for (s = 0; s < RGS_STATUS_COUNT; s++) {
    if (rgs_order_transition_allowed(from, (rgs_order_status)s)) {
      if (out != NULL && n < max)
        out[n] = (rgs_order_status)s;
      n++;
    }
  }
  return n;
}

/* ---- documents ---------------------------------------------------------------- */

static const struct {
  const char *name;
  const char *label;
} doc_kinds[RGS_DOC_COUNT] = {
  { "request-form", N_("signed request form (original)") },
  { "intervention-form", N_("signed face-to-face intervention form (original)") },
  { "id-document", N_("photocopy of a valid identity card or passport") },
  { "registration-extract", N_("company registration extract under three months old") },
};

static const struct {
  const char *name;
  const char *label;
} doc_states[] = {
  { "missing", N_("missing") },
  { "ready", N_("ready") },
  { "sent", N_("sent") },
  { "accepted", N_("accepted") },
};

const char *rgs_order_doc_kind_name(rgs_order_doc_kind k)
{
  return (int)k >= 0 && k < RGS_DOC_COUNT ? doc_kinds[k].name : "?";
}

const char *rgs_order_doc_kind_label(rgs_order_doc_kind k)
{
  return (int)k >= 0 && k < RGS_DOC_COUNT ? _(doc_kinds[k].label) : "?";
}

const char *rgs_order_doc_state_name(rgs_order_doc_state s)
{
  return (size_t)s < RGS_ARRAY_LEN(doc_states) ? doc_states[s].name : "?";
}

const char *rgs_order_doc_state_label(rgs_order_doc_state s)
{
  return (size_t)s < RGS_ARRAY_LEN(doc_states) ? _(doc_states[s].label) : "?";
}

int order_doc_kind_from_name(const char *name, rgs_order_doc_kind *out)
{
  char low[32];
  size_t i;

  if (name == NULL)
    return 0;
  order_ascii_lower(name, low, sizeof(low));
  for (i = 0; i < RGS_DOC_COUNT; i++) {
    if (strcmp(doc_kinds[i].name, low) == 0) {
      *out = (rgs_order_doc_kind)i;
      return 1;
    }
  }
  return 0;
}

int order_doc_state_from_name(const char *name, rgs_order_doc_state *out)
{
  char low[32];
  size_t i;

  if (name == NULL)
    return 0;
  order_ascii_lower(name, low, sizeof(low));
  for (i = 0; i < RGS_ARRAY_LEN(doc_states); i++) {
    if (strcmp(doc_states[i].name, low) == 0) {
      *out = (rgs_order_doc_state)i;
      return 1;
    }
  }
  return 0;
}

rgs_order_rc rgs_order_doc_kind_parse(const char *text, rgs_order_doc_kind *out, char *err,
                                      size_t errlen)
{
  if (order_doc_kind_from_name(text, out) || order_doc_kind_from_word(text, out))
    return RGS_ORDER_OK;
  snprintf(err, errlen, _("unknown document '%s': request-form, intervention-form, id-document or registration-extract (kbis)"),
           text != NULL ? text : "");
  return RGS_ORDER_ERR_DOC_KIND;
}

rgs_order_rc rgs_order_doc_state_parse(const char *text, rgs_order_doc_state *out, char *err,
                                       size_t errlen)
{
  if (order_doc_state_from_name(text, out) || order_doc_state_from_word(text, out))
    return RGS_ORDER_OK;
  snprintf(err, errlen, _("unknown document state '%s': missing, ready, sent or accepted"),
           text != NULL ? text : "");
  return RGS_ORDER_ERR_DOC_STATE;
}

const char *const *rgs_order_postal_address(void)
{
  static const char *const lines[] = {
    "Certigna", "20 allée de la Râperie", "59650 Villeneuve d'Ascq", NULL,
  };

  return lines;
}

/* ---- AED fees ---------------------------------------------------------------- */

/* The estimate the portal gives (seed, step 7). */
static const struct {
  rgs_order_f2f_mode mode;
  int max_km;                /* -1: any distance */
  long ht_cents;
} fees[] = {
  { RGS_F2F_HOLDER_TRAVELS, -1, 5000 },
  { RGS_F2F_AED_TRAVELS, RGS_ORDER_AED_RADIUS_KM, 17000 },
};

rgs_order_rc rgs_order_aed_quote(rgs_order_f2f_mode mode, int distance_km, rgs_order_quote *q)
{
  size_t i;

  if (q == NULL)
    return RGS_ORDER_ERR_ARG;
  memset(q, 0, sizeof(*q));
  q->mode = mode;
  q->distance_km = distance_km;
  if (distance_km < -1 || distance_km > 2000)
    return RGS_ORDER_ERR_DISTANCE;
  if (mode == RGS_F2F_AED_TRAVELS && distance_km < 0)
    return RGS_ORDER_ERR_DISTANCE;
  for (i = 0; i < RGS_ARRAY_LEN(fees); i++) {
    if (fees[i].mode != mode)
      continue;
    if (fees[i].max_km >= 0 && distance_km > fees[i].max_km)
      return RGS_ORDER_OK;              /* beyond the radius: no price */
    q->priced = 1;
    q->ht_cents = fees[i].ht_cents;
    /* VAT rounded to the cent, half up. */
    q->vat_cents = (fees[i].ht_cents * RGS_ORDER_VAT_PERCENT + 50) / 100;
    q->ttc_cents = q->ht_cents + q->vat_cents;
    return RGS_ORDER_OK;
  }
  return RGS_ORDER_ERR_MODE;
}

/* ---- what comes next ------------------------------------------------------------ */

static int docs_missing(const rgs_order_doc docs[RGS_DOC_COUNT])
{
  size_t i;

  for (i = 0; docs != NULL && i < RGS_DOC_COUNT; i++)
    if (docs[i].state == RGS_DOC_MISSING)
      return 1;
  return 0;
}

static void push(rgs_order_next *out, size_t max, size_t *n, rgs_order_next v)
{
  if (*n < max)
    out[*n] = v;
  (*n)++;
}

size_t rgs_order_next_steps(const rgs_order *o, const rgs_order_appointment *a,
                            const rgs_order_doc docs[RGS_DOC_COUNT], rgs_order_next *out,
                            size_t max)
{
  size_t n = 0;
  int before_f2f;

  if (o == NULL)
    return 0;
  switch (o->status) {
  case RGS_STATUS_DRAFT:
    if (o->cgu_accepted_at[0] == '\0')
      push(out, max, &n, RGS_NEXT_ACCEPT_CGU);
    if (o->payment == RGS_PAY_NONE)
      push(out, max, &n, RGS_NEXT_CHOOSE_PAYMENT);
    return n;
  case RGS_STATUS_ORDERED: push(out, max, &n, RGS_NEXT_MAKE_KEY); break;
  case RGS_STATUS_KEY_GENERATED: push(out, max, &n, RGS_NEXT_LINK_CSR); break;
  case RGS_STATUS_CSR_LINKED: push(out, max, &n, RGS_NEXT_SUBMIT); break;
  case RGS_STATUS_SUBMITTED: break;
  case RGS_STATUS_F2F_DONE: push(out, max, &n, RGS_NEXT_SEND_DOCS); break;
  case RGS_STATUS_DOCS_SENT: push(out, max, &n, RGS_NEXT_WAIT_ISSUE); return n;
  case RGS_STATUS_ISSUED: push(out, max, &n, RGS_NEXT_INSTALL); return n;
  case RGS_STATUS_INSTALLED: push(out, max, &n, RGS_NEXT_NOTHING); return n;
  case RGS_STATUS_CANCELLED: push(out, max, &n, RGS_NEXT_CANCELLED); return n;
  case RGS_STATUS_REFUSED: push(out, max, &n, RGS_NEXT_REFUSED); return n;
  case RGS_STATUS_COUNT: return n;
  }
  /* The face-to-face can be arranged as soon as the order is placed. */
  before_f2f = o->status < RGS_STATUS_F2F_DONE;
  if (before_f2f && (a == NULL || a->aed.id[0] == '\0'))
    push(out, max, &n, RGS_NEXT_CHOOSE_AED);
  else if (before_f2f && a->at[0] == '\0')
    push(out, max, &n, RGS_NEXT_BOOK_AED);
  else if (before_f2f)
    push(out, max, &n, RGS_NEXT_MEET_AED);
  if (docs_missing(docs))
    push(out, max, &n, RGS_NEXT_PREPARE_DOCS);
  return n;
}
