/* store.c - the order store for the commands: path, opening, failures,
 * orders in text and JSON, and the binding of a certificate request. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/pem.h>
#include "store.h"

/* ---- failures ---------------------------------------------------------- */

int rgs_exit_for_order(rgs_order_rc rc)
{
  switch (rc) {
  case RGS_ORDER_OK: return RGS_EXIT_OK;
  case RGS_ORDER_ERR_NOMEM: return RGS_EXIT_INTERNAL;
  case RGS_ORDER_ERR_ARG:
  case RGS_ORDER_ERR_SIREN:
  case RGS_ORDER_ERR_PARTNER:
  case RGS_ORDER_ERR_PRODUCT:
  case RGS_ORDER_ERR_VALIDITY:
  case RGS_ORDER_ERR_OS:
  case RGS_ORDER_ERR_PAYMENT:
  case RGS_ORDER_ERR_DATE:
  case RGS_ORDER_ERR_TEXT:
  case RGS_ORDER_ERR_DEPT:
  case RGS_ORDER_ERR_MODE:
  case RGS_ORDER_ERR_DISTANCE:
  case RGS_ORDER_ERR_STATUS_NAME:
  case RGS_ORDER_ERR_DOC_KIND:
  case RGS_ORDER_ERR_DOC_STATE:
  case RGS_ORDER_ERR_NO_ORDER:
  case RGS_ORDER_ERR_NO_AED:
    return RGS_EXIT_USAGE;
  case RGS_ORDER_ERR_TRANSITION:
  case RGS_ORDER_ERR_MISMATCH:
  case RGS_ORDER_ERR_KEY_BOUND:
  case RGS_ORDER_ERR_DUPLICATE:
  case RGS_ORDER_ERR_DOCUMENTS:
    return RGS_EXIT_CHECK;
  case RGS_ORDER_ERR_DIRECTORY:
  case RGS_ORDER_ERR_IO:
    return RGS_EXIT_IO;
  case RGS_ORDER_ERR_NOT_STORE:
  case RGS_ORDER_ERR_NEWER:
  case RGS_ORDER_ERR_CORRUPT:
  case RGS_ORDER_ERR_BUSY:
  case RGS_ORDER_ERR_STORE:
    return RGS_EXIT_STORE;
  }
  return RGS_EXIT_INTERNAL;
}

int rgs_fail_order(const rgs_cli *cli, const char *command, rgs_order_rc rc, const char *detail)
{
  return rgs_fail(cli, command, rgs_exit_for_order(rc), rgs_order_strerror(rc), detail);
}

int rgs_fail_store(const rgs_cli *cli, const char *command, rgs_order_rc rc,
                   const rgs_order_store *st)
{
  return rgs_fail_order(cli, command, rc, rgs_order_store_last_error(st));
}

/* ---- the store ------------------------------------------------------------ */

int rgs_store_path(const rgs_cli *cli, char *buf, size_t len)
{
  const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
  int n;

  if (cli->db != NULL)
    n = snprintf(buf, len, "%s", cli->db);
  else if (xdg != NULL && xdg[0] == '/')    /* relative values are ignored (XDG spec) */
    n = snprintf(buf, len, "%s/rgs-enroll/orders.db", xdg);
  else if (home != NULL && home[0] != '\0')
    n = snprintf(buf, len, "%s/.local/share/rgs-enroll/orders.db", home);
  else
    return -1;
  return n > 0 && (size_t)n < len ? 0 : -1;
}

int rgs_store_open(const rgs_cli *cli, const char *command, int create, rgs_order_store **out)
{
  char path[PATH_MAX], err[1024];
  struct stat sb;
  rgs_order_rc rc;

  *out = NULL;
  if (rgs_store_path(cli, path, sizeof(path)) != 0)
    return rgs_fail(cli, command, RGS_EXIT_STORE, rgs_order_strerror(RGS_ORDER_ERR_IO),
                    _("no order store: give --db PATH, or set HOME or XDG_DATA_HOME"));
  if (!create && stat(path, &sb) != 0 && errno == ENOENT)
    return RGS_EXIT_OK;
  rc = rgs_order_store_open(path, out, err, sizeof(err));
  if (rc != RGS_ORDER_OK)
    return rgs_fail(cli, command, RGS_EXIT_STORE, rgs_order_strerror(rc), err);
  rgs_order_store_set_now(*out, rgs_now());
  return RGS_EXIT_OK;
}

int rgs_store_open_for(const rgs_cli *cli, const char *command, long long id,
                       rgs_order_store **out)
{
  char path[PATH_MAX], detail[PATH_MAX + 128];
  int ret = rgs_store_open(cli, command, 0, out);

  if (ret != RGS_EXIT_OK || *out != NULL)
    return ret;
  rgs_store_path(cli, path, sizeof(path));
  snprintf(detail, sizeof(detail), _("no order %lld: there is no order store at %s yet"), id, path);
  return rgs_fail_order(cli, command, RGS_ORDER_ERR_NO_ORDER, detail);
}

int rgs_parse_order_id(const rgs_cli *cli, const char *command, const char *text, long long *id)
{
  long v;

  if (text == NULL || rgs_parse_int(text, 1, 2147483647L, &v) != 0)
    return rgs_usage_error(cli, command, _("'%s' is not an order number"), text != NULL ? text : "");
  *id = v;
  return RGS_EXIT_OK;
}

void rgs_aed_shipped_path(char *buf, size_t len)
{
  snprintf(buf, len, "%s/aed/offices.csv", rgs_datadir());
}

void rgs_format_euros(long cents, char *buf, size_t len)
{
  /* TRANSLATORS: an amount in euros: units, then cents. */
  snprintf(buf, len, _("%ld.%02ld €"), cents / 100, cents % 100);
}

/* ---- an order for people and for scripts ------------------------------------ */

static const char *or_null(const char *s)
{
  return s != NULL && s[0] != '\0' ? s : NULL;
}

void rgs_json_order(rgs_json *j, const char *key, const rgs_order *o)
{
  rgs_json_object(j, key);
  rgs_json_int(j, "id", o->id);
  rgs_json_str(j, "status", rgs_order_status_name(o->status));
  rgs_json_str(j, "status_at", o->status_at);
  rgs_json_str(j, "created_at", o->created_at);
  rgs_json_str(j, "partner", o->partner);
  rgs_json_str(j, "product", o->product);
  rgs_json_int(j, "validity_years", o->validity_years);
  rgs_json_str(j, "os", rgs_order_os_name(o->os));
  rgs_json_object(j, "holder");
  rgs_json_str(j, "first_name", o->first_name);
  rgs_json_str(j, "last_name", o->last_name);
  rgs_json_str(j, "email", o->email);
  rgs_json_str(j, "phone", or_null(o->phone));
  rgs_json_bool(j, "is_orderer", !o->holder_other);
  rgs_json_str(j, "ordered_by", or_null(o->ordered_by));
  rgs_json_end(j);
  rgs_json_object(j, "company");
  rgs_json_str(j, "name", o->company);
  rgs_json_str(j, "id", o->company_id);
  rgs_json_str(j, "siren", o->siren);
  rgs_json_end(j);
  rgs_json_str(j, "payment", o->payment == RGS_PAY_NONE ? NULL : rgs_order_payment_name(o->payment));
  rgs_json_str(j, "cgu_accepted_at", or_null(o->cgu_accepted_at));
  rgs_json_str(j, "ca_ref", or_null(o->ca_ref));
  rgs_json_str(j, "dept", or_null(o->dept));
  rgs_json_str(j, "planned_sending", or_null(o->planned_sending));
  rgs_json_end(j);
}

void rgs_order_oneline(const rgs_order *o, char *buf, size_t len)
{
  char last[RGS_ORDER_NAME_MAX];

  if (rgs_order_text_upper(o->last_name, last, sizeof(last)) != RGS_ORDER_OK)
    snprintf(last, sizeof(last), "%s", o->last_name);
  snprintf(buf, len, _("%s %s, %s (%s %s)"), o->first_name, last, o->company,
           strlen(o->company_id) == 14 ? "SIRET" : "SIREN", o->company_id);
}

void rgs_docnote_text(const rgs_order_docnote *n, char *buf, size_t len)
{
  switch (n->code) {
  case RGS_DOCNOTE_MISSING:
    snprintf(buf, len, _("missing: %s"), rgs_order_doc_kind_label(n->kind));
    return;
  case RGS_DOCNOTE_EXTRACT_UNDATED:
    snprintf(buf, len, "%s", _("the registration extract's date of issue is not recorded (order docs ID --set registration-extract --date YYYY-MM-DD)"));
    return;
  case RGS_DOCNOTE_EXTRACT_TOO_OLD:
    snprintf(buf, len, _("the registration extract is three months old or more (it was good until %s): ask the registry for a new one"),
             n->date);
    return;
  case RGS_DOCNOTE_EXTRACT_EXPIRES:
    snprintf(buf, len, _("the registration extract is good until %s only, before the planned sending: send earlier or get a newer one"),
             n->date);
    return;
  case RGS_DOCNOTE_ID_UNDATED:
    snprintf(buf, len, "%s", _("the identity document's end of validity is not recorded (order docs ID --set id-document --expires YYYY-MM-DD)"));
    return;
  case RGS_DOCNOTE_ID_EXPIRED_F2F:
    snprintf(buf, len, _("the identity document is not valid on the face-to-face day (%s): bring a valid one"),
             n->date);
    return;
  case RGS_DOCNOTE_ID_EXPIRED:
    snprintf(buf, len, _("the identity document expired on %s"), n->date);
    return;
  }
  snprintf(buf, len, "?");
}

/* ---- the subject of a request ------------------------------------------------- */

static char *entry_utf8(const X509_NAME_ENTRY *e)
{
  unsigned char *utf8 = NULL;
  char *copy;
  int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));

  if (n < 0)
    return NULL;
  copy = malloc((size_t)n + 1);
  if (copy != NULL) {
    memcpy(copy, utf8, (size_t)n);
    copy[n] = '\0';
  }
  OPENSSL_free(utf8);
  return copy;
}

int rgs_name_fields_get(const X509_NAME *name, rgs_name_fields *f)
{
  int i, nid, n = X509_NAME_entry_count(name);
  char *v;

  memset(f, 0, sizeof(*f));
  for (i = 0; i < n; i++) {
    const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
    nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    if (nid != NID_commonName && nid != NID_organizationName &&
        nid != NID_organizationalUnitName)
      continue;
    v = entry_utf8(e);
    if (v == NULL)
      return 0;
    if (nid == NID_commonName && f->cn == NULL)
      f->cn = v;
    else if (nid == NID_organizationName && f->o == NULL)
      f->o = v;
    else if (nid == NID_organizationalUnitName && f->subj.n_ou < RGS_ORDER_MAX_OU)
      f->ou[f->subj.n_ou++] = v;
    else
      free(v);
  }
  f->subj.cn = f->cn;
  f->subj.o = f->o;
  for (i = 0; (size_t)i < f->subj.n_ou; i++)
    f->subj.ou[i] = f->ou[i];
  return 1;
}

void rgs_name_fields_free(rgs_name_fields *f)
{
  size_t i;

  free(f->cn);
  free(f->o);
  for (i = 0; i < RGS_ORDER_MAX_OU; i++)
    free(f->ou[i]);
  memset(f, 0, sizeof(*f));
}

int rgs_store_order_for_link(const rgs_cli *cli, rgs_order_store *st, long long id,
                             rgs_order *o, const char *command)
{
  rgs_order_rc rc = rgs_order_get(st, id, o);
  rgs_order_status first;
  char detail[512];

  if (rc != RGS_ORDER_OK)
    return rgs_fail_store(cli, command, rc, st);
  first = o->status == RGS_STATUS_ORDERED ? RGS_STATUS_KEY_GENERATED : RGS_STATUS_CSR_LINKED;
  if (rgs_order_transition_allowed(o->status, first))
    return RGS_EXIT_OK;
  snprintf(detail, sizeof(detail), _("order %lld is %s (%s): a certificate request can be bound to an order that is ordered, key-generated or csr-linked"),
           id, rgs_order_status_name(o->status), rgs_order_status_label(o->status));
  return rgs_fail_order(cli, command, RGS_ORDER_ERR_TRANSITION, detail);
}

void rgs_store_fill_subject(const rgs_order *o, rgs_subject_opts *so, char *cn_buf, size_t len)
{
  char last[RGS_ORDER_NAME_MAX];

  if (so->email == NULL)
    so->email = o->email;
  if (so->subject != NULL)
    return;
  if (so->cn == NULL) {
    if (rgs_order_text_upper(o->last_name, last, sizeof(last)) != RGS_ORDER_OK)
      snprintf(last, sizeof(last), "%s", o->last_name);
    snprintf(cn_buf, len, "%s %s", o->first_name, last);
    so->cn = cn_buf;
  }
  if (so->o == NULL)
    so->o = o->company;
  if (so->siren == NULL && so->siret == NULL) {
    if (strlen(o->company_id) == 14)
      so->siret = o->company_id;
    else
      so->siren = o->company_id;
  }
}

int rgs_store_check_name(const rgs_cli *cli, const rgs_order *o, const X509_NAME *name,
                         const char *command)
{
  rgs_name_fields f;
  char why[512], detail[600];
  int ret = RGS_EXIT_OK;

  if (!rgs_name_fields_get(name, &f)) {
    ret = rgs_fail(cli, command, RGS_EXIT_INTERNAL, rgs_order_strerror(RGS_ORDER_ERR_NOMEM), NULL);
  } else if (rgs_order_subject_match(o, &f.subj, why, sizeof(why)) != RGS_ORDER_OK) {
    snprintf(detail, sizeof(detail), _("order %lld: %s"), o->id, why);
    ret = rgs_fail_order(cli, command, RGS_ORDER_ERR_MISMATCH, detail);
  }
  rgs_name_fields_free(&f);
  return ret;
}

/* PEM text of the request; free with free(). */
static char *request_pem(X509_REQ *req)
{
  BIO *b = BIO_new(BIO_s_mem());
  char *data = NULL, *pem = NULL;
  long n;

  if (b == NULL)
    return NULL;
  if (PEM_write_bio_X509_REQ(b, req) == 1) {
    n = BIO_get_mem_data(b, &data);
    pem = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (pem != NULL) {
      memcpy(pem, data, (size_t)n);
      pem[n] = '\0';
    }
  }
  BIO_free(b);
  return pem;
}

int rgs_store_link(const rgs_cli *cli, rgs_order_store *st, long long id, X509_REQ *req,
                   const char *token_serial, const char *token_model, const char *key_uri,
                   const char *command)
{
  EVP_PKEY *pub = X509_REQ_get0_pubkey(req);
  rgs_order_link_input in;
  unsigned char spki[32];
  rgs_name_fields f;
  char *pem = NULL, *subject = NULL;
  int ret = RGS_EXIT_INTERNAL;
  rgs_order_rc rc;

  memset(&f, 0, sizeof(f));
  /* A request that fails its own signature proves nothing about the key. */
  if (pub == NULL || X509_REQ_verify(req, pub) != 1) {
    ret = rgs_fail(cli, command, RGS_EXIT_CHECK, _("the certificate request fails its own signature check"),
                   _("it was not signed by the private key of the public key it carries, or it was altered"));
    goto cleanup;
  }
  pem = request_pem(req);
  subject = rgs_subject_text(X509_REQ_get_subject_name(req));
  if (pem == NULL || subject == NULL || !rgs_spki_sha256(pub, spki) ||
      !rgs_name_fields_get(X509_REQ_get_subject_name(req), &f)) {
    ret = rgs_fail(cli, command, RGS_EXIT_INTERNAL, rgs_order_strerror(RGS_ORDER_ERR_NOMEM), NULL);
    goto cleanup;
  }
  memset(&in, 0, sizeof(in));
  in.csr_pem = pem;
  in.spki_sha256 = spki;
  in.subject = &f.subj;
  in.subject_text = subject;
  in.token_serial = token_serial;
  in.token_model = token_model;
  in.key_uri = key_uri;
  rc = rgs_order_link(st, id, &in);
  ret = rc == RGS_ORDER_OK ? RGS_EXIT_OK : rgs_fail_store(cli, command, rc, st);

cleanup:
  rgs_name_fields_free(&f);
  OPENSSL_free(subject);
  free(pem);
  return ret;
}

/* ---- start --order -------------------------------------------------------------- */

int rgs_store_start_order(const rgs_cli *cli, const char *id_text, rgs_order_store **st,
                          rgs_order *o, int *validity_years, rgs_subject_opts *so,
                          char *cn_buf, size_t len)
{
  long long id = 0;
  int ret;

  *st = NULL;
  ret = rgs_parse_order_id(cli, "start", id_text, &id);
  if (ret == RGS_EXIT_OK)
    ret = rgs_store_open_for(cli, "start", id, st);
  if (ret == RGS_EXIT_OK)
    ret = rgs_store_order_for_link(cli, *st, id, o, "start");
  if (ret == RGS_EXIT_OK && *validity_years != 0 && *validity_years != o->validity_years)
    ret = rgs_usage_error(cli, "start", _("--validity-years %d differs from the validity of order %lld (%d years)"),
                          *validity_years, id, o->validity_years);
  if (ret != RGS_EXIT_OK) {
    rgs_order_store_close(*st);
    *st = NULL;
    return ret;
  }
  *validity_years = o->validity_years;
  rgs_store_fill_subject(o, so, cn_buf, len);
  return RGS_EXIT_OK;
}

int rgs_store_link_start(const rgs_cli *cli, rgs_order_store *st, long long id, X509_REQ *csr,
                         rgs_session *s, const rgs_p11_key *key, const char *csr_path)
{
  const rgs_p11_slot_info *info = rgs_p11_token_info(s->tok);
  char *uri = rgs_p11_key_uri(s->tok, key);
  int ret = rgs_store_link(cli, st, id, csr, info->serial, info->model, uri, "start");

  free(uri);
  if (ret != RGS_EXIT_OK)
    rgs_err(cli, _("the request is kept in %s; bind it to the order with: rgs-enroll order link %lld --csr %s"),
            csr_path, id, csr_path);
  return ret;
}

void rgs_store_report_start(const rgs_cli *cli, rgs_json *j, rgs_order_store *st, long long id)
{
  rgs_order o;

  if (rgs_order_get(st, id, &o) != RGS_ORDER_OK)
    return;
  if (cli->json)
    rgs_json_order(j, "order", &o);
  else
    printf(_("Request bound to order %lld: %s. Where it stands: rgs-enroll status %lld\n"), id,
           rgs_order_status_label(o.status), id);
}
