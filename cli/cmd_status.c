/* cmd_status.c - rgs-enroll status: where an order stands and what to do next. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
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
  char list[512];

  switch (n) {
  case RGS_NEXT_ACCEPT_CGU:
    snprintf(buf, len, _("Accept the CGU of Certigna ID RGS** (mandatory to order): rgs-enroll order set %lld --accept-cgu"), o->id);
    return;
  case RGS_NEXT_CHOOSE_PAYMENT:
    snprintf(buf, len, _("Choose the payment method: rgs-enroll order set %lld --payment carte|virement|cheque"), o->id);
    return;
  case RGS_NEXT_MAKE_KEY:
    snprintf(buf, len, _("Plug the token in, then generate the key pair on it and the certificate request: rgs-enroll start --order %lld"), o->id);
    return;
  case RGS_NEXT_LINK_CSR:
    snprintf(buf, len, _("Bind the certificate request to the order: rgs-enroll order link %lld --csr FILE"), o->id);
    return;
  case RGS_NEXT_SUBMIT:
    snprintf(buf, len, _("Hand the certificate request to Certigna: rgs-enroll submit %lld (a file to upload on the portal), or rgs-enroll submit %lld --est URL"), o->id, o->id);
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
             a->at, a->aed.name, a->aed.address, a->aed.postal_code, a->aed.city);
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
} status_ctx;

static void print_one(status_ctx *c, const rgs_order *o, const rgs_order_appointment *a,
                      const rgs_order_doc *docs)
{
  rgs_order_next next[MAX_NEXT];
  rgs_order_docnote notes[RGS_DOC_COUNT + 4];
  char line[1024], text[1024], today[11];
  size_t n, nn, i;

  n = rgs_order_next_steps(o, a, docs, next, MAX_NEXT);
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
    rgs_json_str(c->j, "since", o->status_at);
    rgs_json_str(c->j, "summary", line);
    rgs_json_array(c->j, "next");
  } else {
    printf(_("Order %lld: %s\n  Status: %s, since %s\n"), o->id, line,
           rgs_order_status_label(o->status), o->status_at);
  }
  for (i = 0; i < n && i < MAX_NEXT; i++) {
    next_text(next[i], o, a, docs, text, sizeof(text));
    if (c->io->json) {
      rgs_json_object(c->j, NULL);
      rgs_json_str(c->j, "step", next_name(next[i]));
      rgs_json_str(c->j, "text", text);
      rgs_json_end(c->j);
    } else {
      printf("  %s %s\n", i == 0 ? _("Next:") : _("Also:"), text);
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
  int found = 0;

  c->rc = rgs_order_appointment_get(c->st, o->id, &a, &found);
  if (c->rc == RGS_ORDER_OK)
    c->rc = rgs_order_docs_get(c->st, o->id, docs);
  if (c->rc != RGS_ORDER_OK)
    return 1;
  if (!c->io->json && c->shown > 0)
    printf("\n");
  print_one(c, o, &a, docs);
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

/* The order number, if any (*id 0: every open order); *help is set when
 * --help printed the usage. */
static int parse(rgs_io *io, int argc, char **argv, long long *id, int *help)
{
  static const struct option opts[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int opt;

  *id = 0;
  *help = 0;
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (opt != 'h')
      return rgs_usage_error(io, "status", _("unknown option '%s'"), argv[optind - 1]);
    printf("%s\n", _("Usage: rgs-enroll status [ID]\n"
                     "Where an order stands and the next thing to do; without ID, every order\n"
                     "that is not closed (installed, cancelled or refused)."));
    *help = 1;
    return RGS_EXIT_OK;
  }
  if (optind + 1 < argc)
    return rgs_usage_error(io, "status", _("unexpected argument '%s'"), argv[optind + 1]);
  if (optind < argc)
    return rgs_parse_order_id(io, "status", argv[optind], id);
  return RGS_EXIT_OK;
}

int cli_cmd_status(rgs_io *io, int argc, char **argv)
{
  rgs_order_filter f;
  rgs_order_rc lrc;
  status_ctx c;
  rgs_order o;
  long long id;
  int ret, help;
  rgs_json j;

  ret = parse(io, argc, argv, &id, &help);
  if (ret != RGS_EXIT_OK || help)
    return ret;
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
    f.open_only = 1;
    lrc = rgs_order_list(c.st, &f, status_one, &c, NULL);
    if (c.rc == RGS_ORDER_OK)
      c.rc = lrc;
  }
  ret = finish(&c, id);
  rgs_order_store_close(c.st);
  return ret;
}
