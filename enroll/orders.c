/* SPDX-License-Identifier: BSD-3-Clause */
/* store.c - the order store for the commands: path, opening, failures,
 * orders in text and JSON, and the binding of a certificate request. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/pem.h>
#include "rgs_common.h"
#include "orders.h"

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
  case RGS_ORDER_ERR_FULL:
  case RGS_ORDER_ERR_OLDER:
    return RGS_EXIT_STORE;
  }
  return RGS_EXIT_INTERNAL;
}

/* A client must tell "no such order" from a mistyped option: its own code. */
static const char *order_rc_code(rgs_order_rc rc)
{
  switch (rc) {
  case RGS_ORDER_ERR_NO_ORDER: return "order-not-found";
  case RGS_ORDER_ERR_NO_AED: return "aed-not-found";
  default: return NULL;
  }
}

int rgs_fail_order(const rgs_io *io, const char *command, rgs_order_rc rc, const char *detail)
{
  const char *code = order_rc_code(rc);

  if (code != NULL)
    return rgs_fail_code(io, command, rgs_exit_for_order(rc), code, rgs_order_strerror(rc),
                         detail, NULL);
  return rgs_fail(io, command, rgs_exit_for_order(rc), rgs_order_strerror(rc), detail);
}

int rgs_fail_store(const rgs_io *io, const char *command, rgs_order_rc rc,
                   const rgs_order_store *st)
{
  return rgs_fail_order(io, command, rc, rgs_order_store_last_error(st));
}

/* ---- the store ------------------------------------------------------------ */

rgs_order_rc rgs_store_path(const rgs_io *io, char *buf, size_t len)
{
  const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
  int n;

  if (io->db != NULL)
    n = snprintf(buf, len, "%s", io->db);
  else if (xdg != NULL && xdg[0] == '/')    /* relative values are ignored (XDG spec) */
    n = snprintf(buf, len, "%s/rgs-enroll/orders.db", xdg);
  else if (home != NULL && home[0] != '\0')
    n = snprintf(buf, len, "%s/.local/share/rgs-enroll/orders.db", home);
  else
    return RGS_ORDER_ERR_IO;
  return n > 0 && (size_t)n < len ? RGS_ORDER_OK : RGS_ORDER_ERR_IO;
}

typedef enum { STORE_CREATE, STORE_EXISTING, STORE_READ } store_mode;

/* A reader opens read-only; a store of an older schema is upgraded by the
 * ordinary open, as every command did before (a read-only file then says
 * so). */
static rgs_order_rc open_read(const char *path, rgs_order_store **out, char *err, size_t len)
{
  rgs_order_rc rc = rgs_order_store_open_readonly(path, out, err, len);

  if (rc == RGS_ORDER_ERR_OLDER)
    rc = rgs_order_store_open_existing(path, out, err, len);
  return rc;
}

static int store_open_mode(const rgs_io *io, const char *command, store_mode mode,
                           rgs_order_store **out)
{
  char path[PATH_MAX], err[1024];
  struct stat sb;
  rgs_order_rc rc;

  *out = NULL;
  if (rgs_store_path(io, path, sizeof(path)) != RGS_ORDER_OK)
    return rgs_fail(io, command, RGS_EXIT_STORE, rgs_order_strerror(RGS_ORDER_ERR_IO),
                    _("no order store: give --db PATH, or set HOME or XDG_DATA_HOME"));
  /* Nothing there (lstat: a dangling link is something, and is refused). */
  if (mode != STORE_CREATE && lstat(path, &sb) != 0 && errno == ENOENT)
    return RGS_EXIT_OK;
  if (mode == STORE_READ)
    rc = open_read(path, out, err, sizeof(err));
  else
    rc = rgs_order_store_open(path, out, err, sizeof(err));
  if (rc != RGS_ORDER_OK)
    return rgs_fail(io, command, RGS_EXIT_STORE, rgs_order_strerror(rc), err);
  rgs_order_store_set_now(*out, rgs_now());
  return RGS_EXIT_OK;
}

int rgs_store_open(const rgs_io *io, const char *command, int create, rgs_order_store **out)
{
  return store_open_mode(io, command, create ? STORE_CREATE : STORE_EXISTING, out);
}

int rgs_store_open_read(const rgs_io *io, const char *command, rgs_order_store **out)
{
  return store_open_mode(io, command, STORE_READ, out);
}

/* The store must hold order id: a missing store is an unknown order. */
static int store_open_for_mode(const rgs_io *io, const char *command, long long id,
                               store_mode mode, rgs_order_store **out)
{
  char path[PATH_MAX], detail[PATH_MAX + 128];
  int ret = store_open_mode(io, command, mode, out);

  if (ret != RGS_EXIT_OK || *out != NULL)
    return ret;
  rgs_store_path(io, path, sizeof(path));
  snprintf(detail, sizeof(detail), _("no order %lld: there is no order store at %s yet"), id, path);
  return rgs_fail_order(io, command, RGS_ORDER_ERR_NO_ORDER, detail);
}

int rgs_store_open_for(const rgs_io *io, const char *command, long long id,
                       rgs_order_store **out)
{
  return store_open_for_mode(io, command, id, STORE_EXISTING, out);
}

int rgs_store_open_read_for(const rgs_io *io, const char *command, long long id,
                            rgs_order_store **out)
{
  return store_open_for_mode(io, command, id, STORE_READ, out);
}

int rgs_parse_order_id(const rgs_io *io, const char *command, const char *text, long long *id)
{
  long v;

  if (text == NULL || !rgs_parse_number(text, 1, 2147483647L, &v))
    return rgs_usage_error(io, command, _("'%s' is not an order number"), text != NULL ? text : "");
  *id = v;
  return RGS_EXIT_OK;
}

void rgs_aed_shipped_path(char *buf, size_t len)
{
  snprintf(buf, len, "%s/aed/offices.csv", rgs_datadir());
}

int rgs_store_aed_directory(const rgs_io *io, rgs_order_store *st, const char *dept,
                            rgs_order_aed_dir **dir, const char *command)
{
  char path[4096], err[1024];
  rgs_order_rc rc;

  rgs_aed_shipped_path(path, sizeof(path));
  if (st != NULL) {
    rc = dept != NULL ? rgs_order_aed_directory_dept(st, path, dept, dir)
                      : rgs_order_aed_directory(st, path, dir);
    return rc == RGS_ORDER_OK ? RGS_EXIT_OK : rgs_fail_store(io, command, rc, st);
  }
  rc = rgs_order_aed_dir_load(dir, path, err, sizeof(err));
  return rc == RGS_ORDER_OK ? RGS_EXIT_OK : rgs_fail_order(io, command, rc, err);
}

int rgs_store_find_aed(const rgs_io *io, rgs_order_store *st, const char *id,
                       rgs_order_aed *out, const char *command)
{
  rgs_order_aed_dir *dir = NULL;
  const rgs_order_aed *a;
  char detail[256];
  int ret = rgs_store_aed_directory(io, st, NULL, &dir, command);

  if (ret != RGS_EXIT_OK)
    return ret;
  a = rgs_order_aed_dir_find(dir, id);
  if (a != NULL)
    *out = *a;
  rgs_order_aed_dir_free(dir);
  if (a != NULL)
    return RGS_EXIT_OK;
  snprintf(detail, sizeof(detail), _("no AED office '%s' in the directory: see rgs-enroll aed list"), id);
  return rgs_fail_order(io, command, RGS_ORDER_ERR_NO_AED, detail);
}

const char *rgs_when(const char *iso, unsigned flags, char *buf, size_t len)
{
  rgsx_time_text(iso, flags, buf, len);
  return buf;
}

const char *rgs_appt_when(const char *at, unsigned flags, char *buf, size_t len)
{
  char iso[32];

  if (rgs_order_appt_iso(at, iso, sizeof(iso)))
    rgsx_time_text(iso, flags | RGSX_TIME_WALL, buf, len);
  else
    rgsx_time_text(at, flags, buf, len);
  return buf;
}

const char *rgs_appt_json(const char *at, char *buf, size_t len)
{
  if (at == NULL || at[0] == '\0')
    return NULL;
  if (!rgs_order_appt_iso(at, buf, len))
    snprintf(buf, len, "%s", at);
  return buf;
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

void rgs_orders_oneline(const rgs_order *o, char *buf, size_t len)
{
  char first[RGS_ORDER_NAME_MAX], last[RGS_ORDER_NAME_MAX];

  if (rgs_order_first_name_case(o->first_name, first, sizeof(first)) != RGS_ORDER_OK)
    snprintf(first, sizeof(first), "%s", o->first_name);
  if (rgs_order_text_upper(o->last_name, last, sizeof(last)) != RGS_ORDER_OK)
    snprintf(last, sizeof(last), "%s", o->last_name);
  snprintf(buf, len, _("%s %s, %s (%s %s)"), first, last, o->company,
           strlen(o->company_id) == 14 ? "SIRET" : "SIREN", o->company_id);
}

void rgs_docnote_text(const rgs_order_docnote *n, char *buf, size_t len)
{
  char day[96];

  rgsx_time_text(n->date, 0, day, sizeof(day));
  switch (n->code) {
  case RGS_DOCNOTE_MISSING:
    snprintf(buf, len, _("missing: %s"), rgs_order_doc_kind_label(n->kind));
    return;
  case RGS_DOCNOTE_EXTRACT_UNDATED:
    snprintf(buf, len, "%s", _("the registration extract's date of issue is not recorded (order docs ID --set registration-extract --date YYYY-MM-DD)"));
    return;
  case RGS_DOCNOTE_EXTRACT_TOO_OLD:
    snprintf(buf, len, _("the registration extract is three months old or more (it was good until %s): ask the registry for a new one"),
             day);
    return;
  case RGS_DOCNOTE_EXTRACT_EXPIRES:
    snprintf(buf, len, _("the registration extract is good until %s only, before the planned sending: send earlier or get a newer one"),
             day);
    return;
  case RGS_DOCNOTE_ID_UNDATED:
    snprintf(buf, len, "%s", _("the identity document's end of validity is not recorded (order docs ID --set id-document --expires YYYY-MM-DD)"));
    return;
  case RGS_DOCNOTE_ID_EXPIRED_F2F:
    snprintf(buf, len, _("the identity document is not valid on the face-to-face day (%s): bring a valid one"),
             day);
    return;
  case RGS_DOCNOTE_ID_EXPIRED:
    snprintf(buf, len, _("the identity document expired on %s"), day);
    return;
  }
  snprintf(buf, len, "?");
}

/* ---- the subject of a request ------------------------------------------------- */

/* The value of e as UTF-8, and its length: a NUL inside stays visible to
 * the caller through *len. NULL when it is not text (or out of memory:
 * *nomem set). */
static char *entry_utf8(const X509_NAME_ENTRY *e, size_t *len, int *nomem)
{
  unsigned char *utf8 = NULL;
  char *copy;
  int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));

  *len = 0;
  if (n < 0)
    return NULL;
  copy = malloc((size_t)n + 1);
  if (copy != NULL) {
    memcpy(copy, utf8, (size_t)n);
    copy[n] = '\0';
    *len = (size_t)n;
  } else {
    *nomem = 1;
  }
  OPENSSL_free(utf8);
  return copy;
}

/* Where the value of an attribute goes (OU apart); NULL for a type the
 * order cannot vouch for. Types that name nobody (C, ST, L, the CA's
 * serialNumber) are kept in spare only to spot repeats. */
static char **slot_of(rgs_name_fields *f, int nid, char **spare)
{
  switch (nid) {
  case NID_commonName: return &f->cn;
  case NID_organizationName: return &f->o;
  case NID_givenName: return &f->gn;
  case NID_surname: return &f->sn;
  case NID_pkcs9_emailAddress: return &f->email;
  case NID_organizationIdentifier: return &f->org_id;
  case NID_countryName: return &spare[0];
  case NID_stateOrProvinceName: return &spare[1];
  case NID_localityName: return &spare[2];
  case NID_serialNumber: return &spare[3];
  default: return NULL;
  }
}

#define RGS_NAME_SPARES 4

/* The first reason is the one people read. */
static void refuse(rgs_name_fields *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(rgs_name_fields *f, const char *fmt, ...)
{
  va_list ap;

  if (f->refused[0] != '\0')
    return;
  va_start(ap, fmt);
  vsnprintf(f->refused, sizeof(f->refused), fmt, ap);
  va_end(ap);
}

/* One attribute of the subject: its text must be clean, its type known and
 * not repeated. Values are quoted sanitised. Returns 0 only when out of
 * memory. */
static int take_entry(rgs_name_fields *f, const X509_NAME_ENTRY *e, char **spare)
{
  int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)), nomem = 0;
  const char *type = nid != NID_undef ? OBJ_nid2sn(nid) : "?";
  char oid[80], clean[128], **slot;
  size_t len = 0;
  char *v = entry_utf8(e, &len, &nomem);

  if (nid == NID_undef && OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(e), 1) > 0)
    type = oid;
  if (v == NULL) {
    if (!nomem)
      refuse(f, _("the subject's %s cannot be read as text"), type);
    return !nomem;
  }
  rgsx_sanitize_buf(clean, sizeof(clean), v, len);
  if (memchr(v, '\0', len) != NULL)
    refuse(f, _("the subject's %s holds a NUL byte, which would hide what follows it (\"%s\")"),
           type, clean);
  else if (!rgsx_is_clean(v, len))
    refuse(f, _("the subject's %s holds control characters or text that is not UTF-8 (\"%s\")"),
           type, clean);
  if (nid == NID_organizationalUnitName) {
    if (f->subj.n_ou > 0)
      refuse(f, _("the subject names more than one %s (the second is \"%s\")"), type, clean);
    if (f->subj.n_ou < RGS_ORDER_MAX_OU)
      f->ou[f->subj.n_ou++] = v;
    else
      free(v);
    return 1;
  }
  slot = slot_of(f, nid, spare);
  if (slot == NULL)
    refuse(f, _("the subject carries the attribute %s (\"%s\"), which the order cannot vouch for"),
           type, clean);
  else if (*slot != NULL)
    refuse(f, _("the subject names more than one %s (the second is \"%s\")"), type, clean);
  else if (nid == NID_countryName && strcmp(v, "FR") != 0)
    refuse(f, _("the subject's %s is \"%s\", not FR"), type, clean);
  if (slot != NULL && *slot == NULL) {
    *slot = v;
    return 1;
  }
  free(v);
  return 1;
}

int rgs_name_fields_get(const X509_NAME *name, rgs_name_fields *f)
{
  int i, n = X509_NAME_entry_count(name), ok = 1;
  char *spare[RGS_NAME_SPARES] = { NULL };

  memset(f, 0, sizeof(*f));
  for (i = 0; i < n && ok; i++) {
    const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
    /* Two attributes in one RDN ("CN=A+CN=B"): which one counts is up to
     * each reader; refused whatever they say. */
    if (i > 0 && X509_NAME_ENTRY_set(e) == X509_NAME_ENTRY_set(X509_NAME_get_entry(name, i - 1)))
      refuse(f, _("the subject puts two attributes in one RDN (%s joined to the one before), which readers understand differently"),
             OBJ_nid2sn(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e))));
    ok = take_entry(f, e, spare);
  }
  for (i = 0; i < RGS_NAME_SPARES; i++)
    free(spare[i]);
  f->subj.cn = f->cn;
  f->subj.o = f->o;
  for (i = 0; (size_t)i < f->subj.n_ou; i++)
    f->subj.ou[i] = f->ou[i];
  f->subj.gn = f->gn;
  f->subj.sn = f->sn;
  f->subj.email = f->email;
  f->subj.org_id = f->org_id;
  f->subj.refused = f->refused[0] != '\0' ? f->refused : NULL;
  return ok;
}

void rgs_name_fields_free(rgs_name_fields *f)
{
  size_t i;

  free(f->cn);
  free(f->o);
  for (i = 0; i < RGS_ORDER_MAX_OU; i++)
    free(f->ou[i]);
  free(f->gn);
  free(f->sn);
  free(f->email);
  free(f->org_id);
  memset(f, 0, sizeof(*f));
}

int rgs_store_order_for_link(const rgs_io *io, rgs_order_store *st, long long id,
                             rgs_order *o, const char *command)
{
  rgs_order_rc rc = rgs_order_get(st, id, o);
  rgs_order_status first;
  char detail[512];

  if (rc != RGS_ORDER_OK)
    return rgs_fail_store(io, command, rc, st);
  first = o->status == RGS_STATUS_ORDERED ? RGS_STATUS_KEY_GENERATED : RGS_STATUS_CSR_LINKED;
  if (rgs_order_transition_allowed(o->status, first))
    return RGS_EXIT_OK;
  snprintf(detail, sizeof(detail), _("order %lld is %s (%s): a certificate request can be bound to an order that is ordered, key-generated or csr-linked"),
           id, rgs_order_status_name(o->status), rgs_order_status_label(o->status));
  return rgs_fail_order(io, command, RGS_ORDER_ERR_TRANSITION, detail);
}

void rgs_store_fill_subject(const rgs_order *o, rgs_subject_opts *so, char *cn_buf, size_t len)
{
  if (so->email == NULL)
    so->email = o->email;
  if (so->subject != NULL)
    return;
  if (so->cn == NULL) {
    rgs_order_holder_name(o, cn_buf, len);
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

int rgs_store_check_name(const rgs_io *io, const rgs_order *o, const X509_NAME *name,
                         const char *command)
{
  rgs_name_fields f;
  char why[512], detail[600];
  int ret = RGS_EXIT_OK;

  if (!rgs_name_fields_get(name, &f)) {
    ret = rgs_fail(io, command, RGS_EXIT_INTERNAL, rgs_order_strerror(RGS_ORDER_ERR_NOMEM), NULL);
  } else if (rgs_order_subject_match(o, &f.subj, why, sizeof(why)) != RGS_ORDER_OK) {
    snprintf(detail, sizeof(detail), _("order %lld: %s"), o->id, why);
    ret = rgs_fail_order(io, command, RGS_ORDER_ERR_MISMATCH, detail);
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

int rgs_store_link(const rgs_io *io, rgs_order_store *st, long long id, X509_REQ *req,
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
    ret = rgs_fail(io, command, RGS_EXIT_CHECK, _("the certificate request fails its own signature check"),
                   _("it was not signed by the private key of the public key it carries, or it was altered"));
    goto cleanup;
  }
  pem = request_pem(req);
  subject = rgs_subject_text(X509_REQ_get_subject_name(req));
  if (pem == NULL || subject == NULL || !rgs_spki_sha256(pub, spki) ||
      !rgs_name_fields_get(X509_REQ_get_subject_name(req), &f)) {
    ret = rgs_fail(io, command, RGS_EXIT_INTERNAL, rgs_order_strerror(RGS_ORDER_ERR_NOMEM), NULL);
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
  ret = rc == RGS_ORDER_OK ? RGS_EXIT_OK : rgs_fail_store(io, command, rc, st);

cleanup:
  rgs_name_fields_free(&f);
  OPENSSL_free(subject);
  free(pem);
  return ret;
}

/* ---- start --order -------------------------------------------------------------- */

int rgs_store_start_order(const rgs_io *io, const char *id_text, rgs_order_store **st,
                          rgs_order *o, int *validity_years, rgs_subject_opts *so,
                          char *cn_buf, size_t len)
{
  long long id = 0;
  int ret;

  *st = NULL;
  ret = rgs_parse_order_id(io, "start", id_text, &id);
  if (ret == RGS_EXIT_OK)
    ret = rgs_store_open_for(io, "start", id, st);
  if (ret == RGS_EXIT_OK)
    ret = rgs_store_order_for_link(io, *st, id, o, "start");
  if (ret == RGS_EXIT_OK && *validity_years != 0 && *validity_years != o->validity_years)
    ret = rgs_usage_error(io, "start", _("--validity-years %d differs from the validity of order %lld (%d years)"),
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

int rgs_store_link_start(const rgs_io *io, rgs_order_store *st, long long id, X509_REQ *csr,
                         rgs_session *s, const rgs_p11_key *key, const char *csr_path)
{
  const rgs_p11_slot_info *info = rgs_p11_token_info(s->tok);
  char *uri = rgs_p11_key_uri(s->tok, key);
  int ret = rgs_store_link(io, st, id, csr, info->serial, info->model, uri, "start");

  free(uri);
  if (ret != RGS_EXIT_OK)
    rgs_err(io, _("the request is kept in %s; bind it to the order with: rgs-enroll order link %lld --csr %s"),
            csr_path, id, csr_path);
  return ret;
}

void rgs_store_report_start(const rgs_io *io, rgs_json *j, rgs_order_store *st, long long id)
{
  rgs_order o;

  if (rgs_order_get(st, id, &o) != RGS_ORDER_OK)
    return;
  if (io->json) {
    rgs_json_int(j, "order_id", o.id);
    rgs_json_order(j, "order", &o);
  } else
    printf(_("Request bound to order %lld: %s. Where it stands: rgs-enroll status %lld\n"), id,
           rgs_order_status_label(o.status), id);
}
