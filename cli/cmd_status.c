/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_status.c - rgs-enroll status: where an order stands and what to do next. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "expiry.h"
#include "issuance.h"
#include "orders.h"

#define MAX_NEXT 8

/* Stable names of the next steps, for --json. */
static const char *next_name(rgs_order_next n)
{
  switch (n) {
  case RGS_NEXT_ACCEPT_CGU: return "accept-cgu";
  case RGS_NEXT_CHOOSE_PAYMENT: return "choose-payment";
  case RGS_NEXT_MAKE_KEY: return "make-key";
  case RGS_NEXT_LINK_CSR: return "link-csr";
  case RGS_NEXT_SUBMIT: return "submit";
  case RGS_NEXT_CHOOSE_AED: return "choose-aed";
  case RGS_NEXT_BOOK_AED: return "book-aed";
  case RGS_NEXT_MEET_AED: return "meet-aed";
  case RGS_NEXT_PREPARE_DOCS: return "prepare-documents";
  case RGS_NEXT_SEND_DOCS: return "send-documents";
  case RGS_NEXT_WAIT_ISSUE: return "wait-issue";
  case RGS_NEXT_INSTALL: return "install";
  case RGS_NEXT_NOTHING: return "nothing";
  case RGS_NEXT_CANCELLED: return "cancelled";
  case RGS_NEXT_REFUSED: return "refused";
  }
  return "?";
}

static void missing_docs(const rgs_order_doc *docs, char *buf, size_t len)
{
  size_t o = 0;
  int k;

  buf[0] = '\0';
  for (k = 0; k < RGS_DOC_COUNT && o < len; k++)
    if (docs[k].state == RGS_DOC_MISSING)
      o += (size_t)snprintf(buf + o, len - o, "%s%s", o > 0 ? "; " : "", rgs_order_doc_kind_label(docs[k].kind));
}

/* The sentence for a step, in plain words, with the command to type. */
static void next_text(rgs_order_next n, const rgs_order *o, const rgs_order_appointment *a,
                      const rgs_order_doc *docs, char *buf, size_t len)
{
  const char *const *addr = rgs_order_postal_address();
  char list[512], when[128];

  switch (n) {
  case RGS_NEXT_ACCEPT_CGU:
    snprintf(buf, len, _("Accept the CGU of Certigna ID RGS** (mandatory to order): rgs-enroll order set %lld --accept-cgu"), o->id);
    return;
  case RGS_NEXT_CHOOSE_PAYMENT:
    snprintf(buf, len, _("Choose the payment method: rgs-enroll order set %lld --payment carte|virement|cheque"), o->id);
    return;
  case RGS_NEXT_MAKE_KEY:
    snprintf(buf, len, _("Plug the token in, then generate the key pair on it and the certificate request: rgs-enroll start --order %lld. If Certigna posted you a token that already holds the key and the certificate, check it with rgs-enroll check --delivered and change its PIN with rgs-enroll pin change instead."), o->id);
    return;
  case RGS_NEXT_LINK_CSR:
    snprintf(buf, len, _("Bind the certificate request to the order: rgs-enroll order link %lld --csr FILE"), o->id);
    return;
  case RGS_NEXT_SUBMIT:
    snprintf(buf, len, _("Hand the certificate request to Certigna: rgs-enroll submit %lld writes a file that you upload on the Certigna portal (where the CA accepts an upload), or rgs-enroll submit %lld --est URL sends it from here"), o->id, o->id);
    return;
  case RGS_NEXT_CHOOSE_AED:
    snprintf(buf, len, _("Choose the AED (huissier) for the face-to-face: rgs-enroll aed list --dept %s, then make an appointment and record it: rgs-enroll aed book %lld --aed AED_ID --date YYYY-MM-DDTHH:MM --mode holder-travels|aed-travels"),
             o->dept[0] != '\0' ? o->dept : "NN", o->id);
    return;
  case RGS_NEXT_BOOK_AED:
    snprintf(buf, len, _("Make an appointment with the AED %s (%s %s) and record it: rgs-enroll aed book %lld --date YYYY-MM-DDTHH:MM --mode holder-travels|aed-travels"),
             a->aed.name, a->aed.postal_code, a->aed.city, o->id);
    return;
  case RGS_NEXT_MEET_AED:
    snprintf(buf, len, _("Meet the AED on %s at %s, %s, %s %s, with the token, a valid identity document and the face-to-face intervention form."),
             rgs_appt_when(a->at, 0, when, sizeof(when)), a->aed.name, a->aed.address,
             a->aed.postal_code, a->aed.city);
    return;
  case RGS_NEXT_PREPARE_DOCS:
    missing_docs(docs, list, sizeof(list));
    snprintf(buf, len, _("Prepare the originals still missing (rgs-enroll order docs %lld): %s"), o->id, list);
    return;
  case RGS_NEXT_SEND_DOCS:
    snprintf(buf, len, _("Post the four originals to %s, %s, %s, then: rgs-enroll order docs %lld --sent YYYY-MM-DD"),
             addr[0], addr[1], addr[2], o->id);
    return;
  case RGS_NEXT_WAIT_ISSUE:
    snprintf(buf, len, "%s", _("Wait for Certigna to issue the certificate, then install it on the token (rgs-enroll install)."));
    return;
  case RGS_NEXT_INSTALL:
    snprintf(buf, len, "%s", _("Install the issued certificate on the token: rgs-enroll install"));
    return;
  case RGS_NEXT_NOTHING:
    snprintf(buf, len, "%s", _("Nothing left to do: the certificate is on the token."));
    return;
  case RGS_NEXT_CANCELLED:
    snprintf(buf, len, "%s", _("The order is cancelled: nothing left to do."));
    return;
  case RGS_NEXT_REFUSED:
    snprintf(buf, len, "%s", _("The CA refused the order: call Certigna (03 20 79 24 09)."));
    return;
  }
  snprintf(buf, len, "?");
}

typedef struct {
  rgs_order_store *st;
  const rgs_io *io;
  rgs_json *j;
  rgs_order_rc rc;
  size_t shown;
  int all;                 /* every order: the closed ones only when something remains */
} status_ctx;

/* ---- the steps of the procedure (Certigna's, for the Chambres de Métiers) ---- */

typedef enum {
  PROC_ORDERED, PROC_KEY, PROC_F2F, PROC_DOCS, PROC_ISSUED, PROC_INSTALLED, PROC_COUNT
} proc_step;

/* Stable name, where the step happens (stable), and what it is, for people. */
static void proc_describe(proc_step p, const char **name, const char **where, const char **text)
{
  switch (p) {
  case PROC_ORDERED:
    *name = "ordered"; *where = "portal";
    *text = _("ordered on the Certigna portal (order, payment, CGU); this tool only records it");
    return;
  case PROC_KEY:
    *name = "key-and-request"; *where = "here";
    *text = _("key pair and certificate request made on the token, here (or a token posted by Certigna with its key and certificate)");
    return;
  case PROC_F2F:
    *name = "face-to-face"; *where = "aed";
    *text = _("face-to-face with the AED, its signed record in this store");
    return;
  case PROC_DOCS:
    *name = "documents-sent"; *where = "post";
    *text = _("paper originals posted to Certigna");
    return;
  case PROC_ISSUED:
    *name = "issued"; *where = "ca";
    *text = _("certificate issued by Certigna");
    return;
  case PROC_INSTALLED:
    *name = "installed"; *where = "here";
    *text = _("certificate installed on the token, here");
    return;
  case PROC_COUNT:
    break;
  }
  *name = "?"; *where = "?"; *text = "?";
}

/* What the store shows of each step. */
typedef struct {
  int done[PROC_COUNT];
  int refusal;                          /* install refused the kept certificate */
  char refusal_reason[256];
  char refusal_at[RGS_ORDER_STAMP_MAX];
} proc_state;

static int docs_all_sent(const rgs_order_doc *docs)
{
  int k;

  for (k = 0; k < RGS_DOC_COUNT; k++)
    if (docs[k].state != RGS_DOC_SENT && docs[k].state != RGS_DOC_ACCEPTED)
      return 0;
  return 1;
}

static rgs_order_rc proc_read(rgs_order_store *st, const rgs_order *o, const rgs_order_doc *docs,
                              proc_state *ps)
{
  rgs_order_event *ev = NULL;
  rgs_order_binding b;
  rgs_order_f2f rec;
  size_t n = 0, i;
  int found = 0;
  rgs_order_rc rc;

  memset(ps, 0, sizeof(*ps));
  memset(&b, 0, sizeof(b));
  memset(&rec, 0, sizeof(rec));
  rc = rgs_order_history(st, o->id, &ev, &n);
  for (i = 0; rc == RGS_ORDER_OK && i < n; i++) {
    if (ev[i].to == RGS_STATUS_ORDERED)
      ps->done[PROC_ORDERED] = 1;
    else if (ev[i].to == RGS_STATUS_F2F_DONE)
      ps->done[PROC_F2F] = 1;
    else if (ev[i].to == RGS_STATUS_DOCS_SENT)
      ps->done[PROC_DOCS] = 1;
    else if (ev[i].to == RGS_STATUS_ISSUED)
      ps->done[PROC_ISSUED] = 1;
  }
  free(ev);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_binding_get(st, o->id, &b, &found);
  ps->done[PROC_KEY] = found;
  rgs_order_binding_clear(&b);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_f2f_latest(st, o->id, &rec, &found);
  if (found && rec.success && rec.verified)
    ps->done[PROC_F2F] = 1;
  rgs_order_f2f_clear(&rec);
  if (docs_all_sent(docs))
    ps->done[PROC_DOCS] = 1;
  ps->done[PROC_INSTALLED] = o->status == RGS_STATUS_INSTALLED;
  if (ps->done[PROC_INSTALLED])
    ps->done[PROC_ISSUED] = 1;
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_install_refusal(st, o->id, ps->refusal_reason, sizeof(ps->refusal_reason),
                                   ps->refusal_at, sizeof(ps->refusal_at), &ps->refusal);
  return rc;
}

/* "done", or "not-recorded" when a later step is done (the store has no
 * trace of it: never skipped silently), else "to-do". */
static const char *proc_state_name(const proc_state *ps, proc_step p)
{
  int later;

  if (ps->done[p])
    return "done";
  for (later = (int)p + 1; later < PROC_COUNT; later++)
    if (ps->done[later])
      return "not-recorded";
  return "to-do";
}

static const char *proc_state_label(const char *state)
{
  if (strcmp(state, "done") == 0)
    return _("done");
  if (strcmp(state, "not-recorded") == 0)
    return _("NOT RECORDED");
  return _("to do");
}

static void print_procedure(status_ctx *c, const proc_state *ps)
{
  const char *name, *where, *text, *state;
  int p;

  if (c->io->json)
    rgs_json_array(c->j, "procedure");
  else
    printf("%s\n", _("  Procedure:"));
  for (p = 0; p < PROC_COUNT; p++) {
    proc_describe((proc_step)p, &name, &where, &text);
    state = proc_state_name(ps, (proc_step)p);
    if (c->io->json) {
      rgs_json_object(c->j, NULL);
      rgs_json_str(c->j, "step", name);
      rgs_json_str(c->j, "state", state);
      rgs_json_str(c->j, "where", where);
      rgs_json_str(c->j, "text", text);
      rgs_json_end(c->j);
    } else {
      /* Padded by characters, so that a translation keeps the column. */
      fputs("    [", stdout);
      rgs_print_padded(proc_state_label(state), 12);
      printf("] %s\n", text);
    }
  }
  if (c->io->json)
    rgs_json_end(c->j);
}

/* ---- what comes next ---------------------------------------------------------- */

typedef struct {
  const char *code;        /* stable, for --json */
  char text[1024];
} next_item;

static void add_next(next_item *items, size_t *n, const char *code, const char *text)
{
  if (*n >= MAX_NEXT)
    return;
  items[*n].code = code;
  snprintf(items[*n].text, sizeof(items[*n].text), "%s", text);
  (*n)++;
}

static void add_step(next_item *items, size_t *n, rgs_order_next step, const rgs_order *o,
                     const rgs_order_appointment *a, const rgs_order_doc *docs)
{
  char text[1024];

  next_text(step, o, a, docs, text, sizeof(text));
  add_next(items, n, next_name(step), text);
}

/* The next steps: the library's, then, once the certificate is issued,
 * what the procedure still lacks (an installation never hides a missing
 * face-to-face record or unsent papers), and a refused certificate said
 * instead of "install". */
static size_t build_next(const rgs_order *o, const rgs_order_appointment *a,
                         const rgs_order_doc *docs, const proc_state *ps, const rgs_expiry *e,
                         next_item *items)
{
  rgs_order_next next[MAX_NEXT];
  char text[1024], when[128];
  size_t n, i, out = 0;
  int k, missing = 0, after_issue = o->status == RGS_STATUS_ISSUED || o->status == RGS_STATUS_INSTALLED;

  n = rgs_order_next_steps(o, a, docs, next, MAX_NEXT);
  for (i = 0; i < n && i < MAX_NEXT; i++) {
    if (next[i] == RGS_NEXT_NOTHING && after_issue)
      continue;
    if (next[i] == RGS_NEXT_INSTALL && ps->refusal) {
      snprintf(text, sizeof(text),
               _("The certificate Certigna sent was refused by rgs-enroll install on %s: %s. Do not wait for it to install: plug in the token that holds the order's key and run rgs-enroll install %lld again; if the certificate itself is wrong (another key, another name), call Certigna (03 20 79 24 09) and install the right one with rgs-enroll install %lld --cert FILE."),
               rgs_when(ps->refusal_at, 0, when, sizeof(when)), ps->refusal_reason, o->id, o->id);
      add_next(items, &out, "install-refused", text);
      continue;
    }
    add_step(items, &out, next[i], o, a, docs);
  }
  if (!after_issue)
    return out;
  /* Within the reminders' 90 days, the renewal comes first. */
  if (rgs_expiry_threshold(e) >= 0) {
    rgs_expiry_action(e, o->id, text, sizeof(text));
    add_next(items, &out, "renew", text);
  }
  if (!ps->done[PROC_F2F])
    add_next(items, &out, "import-f2f-record",
             _("The signed face-to-face record is not in this store: ask the AED for it and import it (rgs-enroll f2f import), so that the order proves the face-to-face."));
  for (k = 0; k < RGS_DOC_COUNT; k++)
    if (docs[k].state == RGS_DOC_MISSING)
      missing = 1;
  if (missing)
    add_step(items, &out, RGS_NEXT_PREPARE_DOCS, o, a, docs);
  if (!ps->done[PROC_DOCS])
    add_step(items, &out, RGS_NEXT_SEND_DOCS, o, a, docs);
  if (out == 0)
    add_step(items, &out, RGS_NEXT_NOTHING, o, a, docs);
  return out;
}

/* ---- the end of the installed certificate ---------------------------------- */

/* An installed order's certificate: when it ends, in days. The store is
 * only read: dates not recorded yet are read from the certificate kept
 * with the order. e->known 0 for an order not installed. */
static rgs_order_rc expiry_read(status_ctx *c, const rgs_order *o, rgs_expiry *e)
{
  memset(e, 0, sizeof(*e));
  if (o->status != RGS_STATUS_INSTALLED)
    return RGS_ORDER_OK;
  return rgs_expiry_get(c->st, o, rgs_now(), 0, e);
}

static void print_certificate(status_ctx *c, const rgs_expiry *e)
{
  char text[256];

  if (!e->known)
    return;
  if (c->io->json) {
    rgs_expiry_json(c->j, "certificate", e);
    return;
  }
  rgs_expiry_text(e, text, sizeof(text));
  printf(_("  Certificate: %s\n"), text);
}

static void print_one(status_ctx *c, const rgs_order *o, const rgs_order_appointment *a,
                      const rgs_order_doc *docs, const proc_state *ps, const rgs_expiry *e)
{
  next_item next[MAX_NEXT];
  rgs_order_docnote notes[RGS_DOC_COUNT + 4];
  char line[1024], text[1024], today[11], when[128];
  size_t n, nn, i;

  n = build_next(o, a, docs, ps, e, next);
  rgs_order_date_of(rgs_now(), today, sizeof(today));
  nn = rgs_order_status_final(o->status) || o->status >= RGS_STATUS_DOCS_SENT
           ? 0
           : rgs_order_docs_check(docs, today, o->planned_sending, 0, a->at, notes, RGS_ARRAY_LEN(notes));
  if (nn > RGS_ARRAY_LEN(notes))
    nn = RGS_ARRAY_LEN(notes);
  rgs_orders_oneline(o, line, sizeof(line));
  if (c->io->json) {
    rgs_json_object(c->j, NULL);
    rgs_json_int(c->j, "id", o->id);
    rgs_json_str(c->j, "status", rgs_order_status_name(o->status));
    rgs_json_str(c->j, "status_label", rgs_order_status_label(o->status));
    /* status_at as in every order object; "since" kept for v1 clients. */
    rgs_json_str(c->j, "status_at", o->status_at);
    rgs_json_str(c->j, "since", o->status_at);
    rgs_json_str(c->j, "summary", line);
  } else {
    printf(_("Order %lld: %s\n  Status: %s, since %s\n"), o->id, line,
           rgs_order_status_label(o->status), rgs_when(o->status_at, 0, when, sizeof(when)));
  }
  print_certificate(c, e);
  print_procedure(c, ps);
  if (c->io->json)
    rgs_json_array(c->j, "next");
  for (i = 0; i < n && i < MAX_NEXT; i++) {
    if (c->io->json) {
      rgs_json_object(c->j, NULL);
      rgs_json_str(c->j, "step", next[i].code);
      rgs_json_str(c->j, "text", next[i].text);
      rgs_json_end(c->j);
    } else {
      printf("  %s %s\n", i == 0 ? _("Next:") : _("Also:"), next[i].text);
    }
  }
  if (c->io->json) {
    rgs_json_end(c->j);
    rgs_json_array(c->j, "warnings");
  }
  for (i = 0; i < nn; i++) {
    if (notes[i].code == RGS_DOCNOTE_MISSING || notes[i].code == RGS_DOCNOTE_EXTRACT_UNDATED ||
        notes[i].code == RGS_DOCNOTE_ID_UNDATED)
      continue;
    rgs_docnote_text(&notes[i], text, sizeof(text));
    if (c->io->json)
      rgs_json_str(c->j, NULL, text);
    else
      printf(_("  Warning: %s\n"), text);
  }
  if (c->io->json)
    rgs_json_end(c->j);
  rgs_issuance_show(c->io, c->j, c->st, o);
  if (c->io->json)
    rgs_json_end(c->j);
}

static int status_one(void *ud, const rgs_order *o)
{
  status_ctx *c = ud;
  rgs_order_appointment a;
  rgs_order_doc docs[RGS_DOC_COUNT];
  proc_state ps;
  rgs_expiry e;
  int found = 0;

  c->rc = rgs_order_appointment_get(c->st, o->id, &a, &found);
  if (c->rc == RGS_ORDER_OK)
    c->rc = rgs_order_docs_get(c->st, o->id, docs);
  if (c->rc == RGS_ORDER_OK)
    c->rc = proc_read(c->st, o, docs, &ps);
  if (c->rc == RGS_ORDER_OK)
    c->rc = expiry_read(c, o, &e);
  if (c->rc != RGS_ORDER_OK)
    return 1;
  /* An installed order near its end is not closed for the person. */
  if (c->all && rgs_order_status_final(o->status) &&
      (o->status != RGS_STATUS_INSTALLED ||
       (ps.done[PROC_F2F] && ps.done[PROC_DOCS] && rgs_expiry_threshold(&e) < 0)))
    return 0;
  if (!c->io->json && c->shown > 0)
    printf("\n");
  print_one(c, o, &a, docs, &ps, &e);
  c->shown++;
  return 0;
}

static int finish(status_ctx *c, long long id)
{
  int ret = RGS_EXIT_OK;

  if (c->rc != RGS_ORDER_OK) {
    ret = rgs_exit_for_order(c->rc);
    rgs_err(c->io, "%s (%s)", rgs_order_strerror(c->rc), rgs_order_store_last_error(c->st));
  }
  if (c->io->json) {
    rgs_json_end(c->j);
    rgs_json_int(c->j, "count", (long long)c->shown);
    rgs_json_bool(c->j, "ok", ret == RGS_EXIT_OK);
    if (ret != RGS_EXIT_OK) {
      rgs_json_int(c->j, "exit", ret);
      rgs_json_object(c->j, "error");
      rgs_json_str(c->j, "code", rgs_exit_code_name(ret));
      rgs_json_str(c->j, "message", rgs_order_strerror(c->rc));
      rgs_json_str(c->j, "detail", rgs_order_store_last_error(c->st));
      rgs_json_end(c->j);
    }
    rgs_json_finish(c->j);
  } else if (ret == RGS_EXIT_OK && c->shown == 0 && id == 0) {
    printf("%s\n", _("No order in progress. Record one with: rgs-enroll order new ..."));
  }
  return ret;
}

/* ---- status --expiring DAYS: every certificate that ends soon ---------------- */

typedef struct {
  long long id;
  char summary[1024];
  rgs_expiry e;
} expiring_item;

typedef struct {
  rgs_order_store *st;
  long within;
  expiring_item *items;
  size_t n, cap;
  rgs_order_rc rc;
} expiring_ctx;

static int expiring_one(void *ud, const rgs_order *o)
{
  expiring_ctx *x = ud;
  expiring_item *grown;
  rgs_expiry e;

  x->rc = rgs_expiry_get(x->st, o, rgs_now(), 0, &e);
  if (x->rc != RGS_ORDER_OK)
    return 1;
  if (!e.known || e.days_left > x->within)
    return 0;
  if (x->n == x->cap) {
    x->cap = x->cap != 0 ? x->cap * 2 : 8;
    grown = realloc(x->items, x->cap * sizeof(*x->items));
    if (grown == NULL) {
      x->rc = RGS_ORDER_ERR_NOMEM;
      return 1;
    }
    x->items = grown;
  }
  x->items[x->n].id = o->id;
  rgs_orders_oneline(o, x->items[x->n].summary, sizeof(x->items[x->n].summary));
  x->items[x->n].e = e;
  x->n++;
  return 0;
}

/* The soonest end first; the order number breaks a tie. */
static int by_end(const void *a, const void *b)
{
  const expiring_item *x = a, *y = b;

  if (x->e.not_after != y->e.not_after)
    return x->e.not_after < y->e.not_after ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static void expiring_print(const rgs_io *io, rgs_json *j, const expiring_ctx *x)
{
  char text[256], action[1024];
  size_t i;

  if (!io->json && x->n == 0)
    printf(_("No installed certificate ends within %ld days.\n"), x->within);
  else if (!io->json)
    printf(_("Certificates that end within %ld days, the soonest first:\n"), x->within);
  for (i = 0; i < x->n; i++) {
    const expiring_item *it = &x->items[i];
    rgs_expiry_action(&it->e, it->id, action, sizeof(action));
    if (io->json) {
      rgs_json_object(j, NULL);
      rgs_json_int(j, "id", it->id);
      rgs_json_str(j, "summary", it->summary);
      rgs_expiry_json(j, "certificate", &it->e);
      rgs_json_str(j, "action", action);
      rgs_json_end(j);
      continue;
    }
    rgs_expiry_text(&it->e, text, sizeof(text));
    printf(_("  Order %lld: %s\n    %s\n    %s\n"), it->id, it->summary, text, action);
  }
}

static int status_expiring(const rgs_io *io, long within)
{
  rgs_order_filter f;
  rgs_order_rc lrc;
  expiring_ctx x;
  int ret;
  rgs_json j;

  memset(&x, 0, sizeof(x));
  x.within = within;
  ret = rgs_store_open_read(io, "status", &x.st);
  if (ret != RGS_EXIT_OK)
    return ret;
  memset(&f, 0, sizeof(f));
  f.status_set = 1;
  f.status = RGS_STATUS_INSTALLED;
  if (x.st != NULL) {
    lrc = rgs_order_list(x.st, &f, expiring_one, &x, NULL);
    if (x.rc == RGS_ORDER_OK)
      x.rc = lrc;
  }
  if (x.rc != RGS_ORDER_OK) {
    ret = rgs_fail_store(io, "status", x.rc, x.st);
    goto cleanup;
  }
  if (x.n > 1)
    qsort(x.items, x.n, sizeof(*x.items), by_end);
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "status");
    rgs_json_int(&j, "expiring_within", within);
    rgs_json_array(&j, "certificates");
  }
  expiring_print(io, &j, &x);
  if (io->json) {
    rgs_json_end(&j);
    rgs_json_int(&j, "count", (long long)x.n);
    rgs_json_bool(&j, "ok", 1);
    rgs_json_finish(&j);
  }

cleanup:
  free(x.items);
  rgs_order_store_close(x.st);
  return ret;
}

/* ---- the command ---------------------------------------------------------------- */

typedef struct {
  long long id;            /* 0: every open order */
  long expiring;           /* --expiring DAYS; -1 when absent */
  int help;                /* --help printed the usage */
} status_opts;

static void usage(void)
{
  printf("%s\n", _("Usage: rgs-enroll status [ID]\n"
                   "Where an order stands and the next thing to do; without ID, every order\n"
                   "that is not closed (installed, cancelled or refused), and the installed\n"
                   "ones that still lack the face-to-face record or the sending of the papers.\n"
                   "Each step of the procedure is shown: ordered, key and request, face-to-face,\n"
                   "documents sent, issued, installed. Ordering, payment and the CGU happen on\n"
                   "the Certigna portal (and the upload of the request, where the CA accepts it);\n"
                   "the token, the key, the request and the installation happen here."));
  printf("%s\n", _("An installed certificate shows when it ends, in days; within 90 days of its\n"
                   "end, status without ID shows it too.\n"
                   "Usage: rgs-enroll status --expiring DAYS\n"
                   "Every installed certificate of the store that ends within DAYS days (or has\n"
                   "ended), the soonest first, with what to do: for whoever follows several\n"
                   "holders."));
}

enum { OPT_EXPIRING = 1, OPT_HELP };

static int parse(rgs_io *io, int argc, char **argv, status_opts *o)
{
  static const struct option opts[] = {
    { "expiring", required_argument, NULL, OPT_EXPIRING },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
  };
  int opt;

  memset(o, 0, sizeof(*o));
  o->expiring = -1;
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (opt) {
    case OPT_EXPIRING:
      if (!rgs_parse_number(optarg, 0, 36600, &o->expiring))
        return rgs_usage_error(io, "status", _("--expiring needs a number of days (0 to 36600), not '%s'"), optarg);
      break;
    case OPT_HELP:
    case 'h':
      usage();
      o->help = 1;
      return RGS_EXIT_OK;
    default:
      return rgs_usage_error(io, "status", _("unknown option '%s'"), argv[optind - 1]);
    }
  }
  if (optind + 1 < argc)
    return rgs_usage_error(io, "status", _("unexpected argument '%s'"), argv[optind + 1]);
  if (optind < argc && o->expiring >= 0)
    return rgs_usage_error(io, "status", "%s", _("--expiring lists every order of the store: give no order number with it"));
  if (optind < argc)
    return rgs_parse_order_id(io, "status", argv[optind], &o->id);
  return RGS_EXIT_OK;
}

int cli_cmd_status(rgs_io *io, int argc, char **argv)
{
  rgs_order_filter f;
  rgs_order_rc lrc;
  status_opts so;
  status_ctx c;
  rgs_order o;
  long long id;
  int ret;
  rgs_json j;

  ret = parse(io, argc, argv, &so);
  if (ret != RGS_EXIT_OK || so.help)
    return ret;
  if (so.expiring >= 0)
    return status_expiring(io, so.expiring);
  id = so.id;
  memset(&c, 0, sizeof(c));
  ret = id != 0 ? rgs_store_open_read_for(io, "status", id, &c.st) : rgs_store_open_read(io, "status", &c.st);
  if (ret != RGS_EXIT_OK)
    return ret;
  /* A single order that does not exist is an error before any output. */
  if (id != 0) {
    c.rc = rgs_order_get(c.st, id, &o);
    if (c.rc != RGS_ORDER_OK) {
      ret = rgs_fail_store(io, "status", c.rc, c.st);
      rgs_order_store_close(c.st);
      return ret;
    }
  }
  c.io = io;
  c.j = &j;
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "status");
    rgs_json_array(&j, "orders");
  }
  if (id != 0) {
    status_one(&c, &o);
  } else if (c.st != NULL) {
    memset(&f, 0, sizeof(f));
    c.all = 1;
    lrc = rgs_order_list(c.st, &f, status_one, &c, NULL);
    if (c.rc == RGS_ORDER_OK)
      c.rc = lrc;
  }
  ret = finish(&c, id);
  rgs_order_store_close(c.st);
  return ret;
}
