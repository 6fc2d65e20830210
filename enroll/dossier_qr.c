/* SPDX-License-Identifier: BSD-3-Clause */
/* dossier_qr.c - the dossier's short form on paper (see dossier.h): its
 * text, its QR code on the terminal and on an A4 sheet for the paper file,
 * and the check the AED runs at the face-to-face: does the token brought
 * hold the key named on paper? */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/sha.h>
#include <qrencode.h>
#include "dossier.h"
#include "dossier_internal.h"
#include "orders.h"
#include "pdfpage.h"

#define CMD_QR "order qr"
#define CMD_CHECK "order check-qr"
/* A scanned line is short; anything longer is not a short form. */
#define SHORT_MAX 2048


/* The SHA-256 of the request's DER, in hex; 0 when it does not read. */
static int csr_sha256_hex(const char *pem, char hex[65])
{
  X509_REQ *req = pem != NULL ? rgs_dossier_req_from_pem(pem) : NULL;
  unsigned char *der = NULL, md[32];
  int len = req != NULL ? i2d_X509_REQ(req, &der) : -1;

  if (len > 0) {
    SHA256(der, (size_t)len, md);
    rgsx_hex(md, sizeof(md), hex);
  }
  OPENSSL_free(der);
  X509_REQ_free(req);
  return len > 0;
}

char *rgs_dossier_short_text(const rgs_order *o, const rgs_order_binding *b)
{
  char csr[65], *out = NULL, *name = NULL;
  char *ref = rgs_f2f_qr_field(o->ca_ref), *spki = rgs_f2f_qr_field(b->spki_sha256);
  char *serial = rgs_f2f_qr_field(b->token_serial), *fname = NULL;

  if (csr_sha256_hex(b->csr_pem, csr) &&
      asprintf(&name, "%s %s", o->first_name, o->last_name) >= 0)
    fname = rgs_f2f_qr_field(name);
  if (ref != NULL && spki != NULL && serial != NULL && fname != NULL &&
      asprintf(&out, RGS_DOSSIER_SHORT_FORMAT ";order=%lld;ref=%s;spki=%s;csr=%s;serial=%s;name=%s",
               o->id, ref, spki, csr, serial, fname) < 0)
    out = NULL;
  free(name);
  free(fname);
  free(ref);
  free(spki);
  free(serial);
  return out;
}

/* Module (row, col) of q with its quiet zone of 4: 1 light, 0 dark. */
static int qr_light(const QRcode *q, int row, int col)
{
  row -= 4;
  col -= 4;
  if (row < 0 || col < 0 || row >= q->width || col >= q->width)
    return 1;
  return !(q->data[row * q->width + col] & 1);
}

char *rgs_dossier_qr_terminal(const char *text)
{
  /* indexed by upper light * 2 + lower light: none, lower, upper, both */
  static const char *const cell[4] = { " ", "\xe2\x96\x84", "\xe2\x96\x80", "\xe2\x96\x88" };
  QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  char *out, *p;
  int n, r, c;

  if (q == NULL)
    return NULL;
  n = q->width + 8;
  /* at most 3 bytes a cell and a newline a line */
  out = malloc((size_t)((n + 1) / 2) * (size_t)(3 * n + 1) + 1);
  if (out != NULL) {
    p = out;
    for (r = 0; r < n; r += 2) {
      for (c = 0; c < n; c++) {
        int up = qr_light(q, r, c), down = r + 1 < n ? qr_light(q, r + 1, c) : 0;
        const char *s = cell[up * 2 + down];
        size_t len = strlen(s);
        memcpy(p, s, len);
        p += len;
      }
      *p++ = '\n';
    }
    *p = '\0';
  }
  QRcode_free(q);
  return out;
}

/* order qr under --json: the short form, and the sheet's file if one was written. */
static void print_qr_json(const rgs_dossier_view *v, const char *text, const char *file)
{
  rgs_json j;

  rgs_json_start(&j, stdout);
  rgs_json_object(&j, NULL);
  rgs_json_str(&j, "command", CMD_QR);
  rgs_json_bool(&j, "ok", 1);
  rgs_json_int(&j, "order", v->o.id);
  rgs_json_int(&j, "order_id", v->o.id);
  rgs_json_str(&j, "ca_ref", v->o.ca_ref);
  rgs_json_str(&j, "format", RGS_DOSSIER_SHORT_FORMAT);
  rgs_json_str(&j, "text", text);
  if (file != NULL)
    rgs_json_str(&j, "file", file);
  rgs_json_end(&j);
  rgs_json_finish(&j);
}

static void print_qr(const rgs_io *io, const rgs_dossier_view *v, const char *text, const char *qr)
{
  if (!io->json) {
    printf(_("Order %lld (CA reference %s), holder %s %s\n"
             "  key          : SPKI SHA-256 %s\n"
             "  token        : serial %s\n"
             "The short form of the dossier, for the AED to check the token at the\n"
             "face-to-face against the key named on paper (it is not signed: the dossier\n"
             "itself is still needed, rgs-enroll order export):\n"),
           v->o.id, v->o.ca_ref, v->o.first_name, v->o.last_name, v->b.spki_sha256,
           v->b.token_serial[0] != '\0' ? v->b.token_serial : "-");
    fputs(qr, stdout);
    printf("%s\n", text);
    return;
  }
  print_qr_json(v, text, NULL);
}

/* ---- the sheet for the paper file --------------------------------------------------- */

typedef struct {
  const rgs_dossier_view *v;
  const char *text;
  char csr[65];
} sheet;

static void sheet_fields(rgs_pdf_page *p, const sheet *sh)
{
  const rgs_order *o = &sh->v->o;
  char line[300], when[128];

  rgs_pdf_heading(p, _("Order"));
  snprintf(line, sizeof(line), "%lld", o->id);
  rgs_pdf_field(p, _("Order number"), line, 0);
  rgs_pdf_field(p, _("CA order reference"), o->ca_ref, 0);
  snprintf(line, sizeof(line), "%s %s", o->first_name, o->last_name);
  rgs_pdf_field(p, _("Holder"), line, 0);
  rgs_pdf_field(p, _("Company"), o->company, 0);
  if (sh->v->a.at[0] != '\0')
    rgs_pdf_field(p, _("Appointment"), rgs_appt_when(sh->v->a.at, 0, when, sizeof(when)), 0);
  rgsx_time_text_t(rgs_now(), RGSX_TIME_DAY, when, sizeof(when));
  rgs_pdf_field(p, _("Printed on"), when, 0);
  rgs_pdf_heading(p, _("Token and key"));
  rgs_pdf_field(p, _("Token serial"), sh->v->b.token_serial, 1);
  rgs_pdf_field(p, _("Key (SPKI SHA-256)"), sh->v->b.spki_sha256, 1);
  rgs_pdf_field(p, _("Request (SHA-256)"), sh->csr, 1);
}

static void draw_sheet(rgs_pdf_page *p, void *ud)
{
  const sheet *sh = ud;
  double qr = 170, y0;

  p->y = RGS_PDF_MARGIN;
  rgs_pdf_font(p, RGS_PDF_FONT, 16, 1);
  cairo_move_to(p->cr, RGS_PDF_MARGIN, p->y + 16);
  cairo_show_text(p->cr, _("Dossier for the face-to-face: short form"));
  p->y += 26;
  y0 = p->y;
  rgs_pdf_font(p, RGS_PDF_FONT, 9, 0);
  rgs_pdf_text_block(p, RGS_PDF_MARGIN, RGS_PDF_W - 2 * RGS_PDF_MARGIN - qr - 12, 9,
                     _("Keep this sheet with the fiche d'intervention and bring it to the face-to-face. "
                       "The QR code names the order and the key made on the holder's token. The AED "
                       "scans it and, with the token plugged in, runs rgs-enroll order check-qr: it says "
                       "whether this token holds the key named here. This sheet is not signed and does "
                       "not replace the signed dossier (rgs-enroll order export), which the AED imports "
                       "to record the order."));
  rgs_pdf_qr(p, sh->text, RGS_PDF_W - RGS_PDF_MARGIN - qr, y0 - 8, qr);
  if (p->y < y0 + qr)
    p->y = y0 + qr;
  sheet_fields(p, sh);
  rgs_pdf_heading(p, _("Short form (the QR code's text)"));
  rgs_pdf_font(p, RGS_PDF_FONT_MONO, 8, 0);
  rgs_pdf_text_block(p, RGS_PDF_MARGIN, RGS_PDF_W - 2 * RGS_PDF_MARGIN, 8.5, sh->text);
}

static int write_sheet(const rgs_io *io, const rgs_dossier_view *v, const char *text,
                       const char *path, int force)
{
  sheet sh = { v, text, "" };
  char title[160], err[512];

  if (!force && access(path, F_OK) == 0)
    return rgs_fail(io, CMD_QR, RGS_EXIT_IO,
                    _("the file exists already: give --force to replace it"), path);
  if (!csr_sha256_hex(v->b.csr_pem, sh.csr))
    return rgs_fail(io, CMD_QR, RGS_EXIT_STORE,
                    _("the request recorded with the order cannot be read back"), NULL);
  snprintf(title, sizeof(title), _("Dossier of order %lld: short form"), v->o.id);
  if (rgs_pdf_write(path, title, NULL, draw_sheet, &sh, err, sizeof(err)) != RGS_F2F_OK)
    return rgs_fail(io, CMD_QR, RGS_EXIT_IO, _("the sheet could not be written"), err);
  return RGS_EXIT_OK;
}

static void print_sheet_written(const rgs_io *io, const rgs_dossier_view *v, const char *text,
                                const char *path)
{
  if (!io->json) {
    printf(_("Wrote the short form of order %lld (CA reference %s) to %s: print it and keep it "
             "with the fiche d'intervention.\n"),
           v->o.id, v->o.ca_ref, path);
    return;
  }
  print_qr_json(v, text, path);
}

int rgs_dossier_qr(rgs_io *io, long long id, const char *pdf, int force)
{
  rgs_dossier_view v;
  char *text = NULL, *qr = NULL;
  int ret;

  ret = rgs_dossier_load_view(io, CMD_QR, id, &v);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  text = rgs_dossier_short_text(&v.o, &v.b);
  if (text == NULL) {
    ret = rgs_fail(io, CMD_QR, RGS_EXIT_STORE,
                   _("the request recorded with the order cannot be read back"), NULL);
    goto cleanup;
  }
  if (pdf != NULL) {
    ret = write_sheet(io, &v, text, pdf, force);
    if (ret == RGS_EXIT_OK)
      print_sheet_written(io, &v, text, pdf);
    goto cleanup;
  }
  qr = rgs_dossier_qr_terminal(text);
  if (qr == NULL) {
    ret = rgs_fail(io, CMD_QR, RGS_EXIT_INTERNAL, _("the QR code could not be made"), text);
    goto cleanup;
  }
  print_qr(io, &v, text, qr);

cleanup:
  free(qr);
  free(text);
  rgs_dossier_view_clear(&v);
  return ret;
}

/* ---- reading it back --------------------------------------------------------------- */

enum { F_ORDER, F_REF, F_SPKI, F_CSR, F_SERIAL, F_NAME, F_COUNT };
static const char *const field_names[F_COUNT] = { "order", "ref", "spki", "csr", "serial", "name" };

static int hex_digit(int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  c = tolower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Undo rgs_f2f_qr_field: s[0..n) into out (cap bytes), which must come out
 * plain text (valid UTF-8, no control character). 0 when it does not. */
static int decode_value(const char *s, size_t n, char *out, size_t cap)
{
  size_t i, o = 0;

  for (i = 0; i < n; i++) {
    int c = (unsigned char)s[i];
    if (c == '%') {
      int hi = i + 2 < n ? hex_digit((unsigned char)s[i + 1]) : -1;
      int lo = hi >= 0 ? hex_digit((unsigned char)s[i + 2]) : -1;
      if (lo < 0)
        return 0;
      c = hi * 16 + lo;
      i += 2;
    } else if (c <= 0x20 || c >= 0x7F) {
      return 0;
    }
    if (c == 0 || o + 1 >= cap)
      return 0;
    out[o++] = (char)c;
  }
  out[o] = '\0';
  return rgsx_is_clean(out, o);
}

static int is_sha256_hex(char *s)
{
  size_t i;

  for (i = 0; s[i] != '\0'; i++) {
    if (hex_digit((unsigned char)s[i]) < 0)
      return 0;
    s[i] = (char)tolower((unsigned char)s[i]);
  }
  return i == 64;
}

static char *field_slot(rgs_dossier_short *sf, int k, char order[24], size_t *cap)
{
  switch (k) {
  case F_REF: *cap = sizeof(sf->ref); return sf->ref;
  case F_SPKI: *cap = sizeof(sf->spki); return sf->spki;
  case F_CSR: *cap = sizeof(sf->csr); return sf->csr;
  case F_SERIAL: *cap = sizeof(sf->serial); return sf->serial;
  case F_NAME: *cap = sizeof(sf->name); return sf->name;
  default: *cap = 24; return order;
  }
}

static rgs_f2f_rc short_error(char *err, size_t errlen, const char *why, const char *name,
                              size_t name_len)
{
  char clean[40];

  rgsx_sanitize_buf(clean, sizeof(clean), name, name_len);
  snprintf(err, errlen, _("field '%s': %s"), clean, why);
  return RGS_F2F_ERR_FORMAT;
}

/* One "name=value" of the short form into sf; seen marks the fields read. */
static rgs_f2f_rc short_field(const char *s, size_t n, rgs_dossier_short *sf, int seen[F_COUNT],
                              char *err, size_t errlen)
{
  const char *eq = memchr(s, '=', n);
  size_t name_len = eq != NULL ? (size_t)(eq - s) : n, cap;
  char *slot, *end, order[24];
  int k;

  for (k = 0; k < F_COUNT; k++)
    if (strlen(field_names[k]) == name_len && memcmp(field_names[k], s, name_len) == 0)
      break;
  if (eq == NULL || k == F_COUNT)
    return short_error(err, errlen, _("unknown field"), s, name_len);
  if (seen[k])
    return short_error(err, errlen, _("given twice"), s, name_len);
  seen[k] = 1;
  slot = field_slot(sf, k, order, &cap);
  if (!decode_value(eq + 1, n - name_len - 1, slot, cap) || slot[0] == '\0')
    return short_error(err, errlen, _("empty, too long or not plain text"), s,
                       name_len);
  if ((k == F_SPKI || k == F_CSR) && !is_sha256_hex(slot))
    return short_error(err, errlen, _("not a SHA-256 in hexadecimal"), s, name_len);
  if (k == F_ORDER) {
    sf->order = strtoll(slot, &end, 10);
    if (!isdigit((unsigned char)slot[0]) || *end != '\0' || sf->order <= 0)
      return short_error(err, errlen, _("not an order number"), s, name_len);
  }
  return RGS_F2F_OK;
}

/* A reader's own prefix ("QR-Code:" from zbarimg) and the line's end are
 * not part of the text. */
static size_t trim_scanned(const char **text)
{
  static const char zbar[] = "QR-Code:";
  size_t n;

  if (strncmp(*text, zbar, sizeof(zbar) - 1) == 0)
    *text += sizeof(zbar) - 1;
  n = strlen(*text);
  while (n > 0 && ((*text)[n - 1] == '\n' || (*text)[n - 1] == '\r' || (*text)[n - 1] == ' '))
    n--;
  return n;
}

rgs_f2f_rc rgs_dossier_short_parse(const char *text, rgs_dossier_short *sf, char *err,
                                   size_t errlen)
{
  static const char head[] = RGS_DOSSIER_SHORT_FORMAT ";";
  int seen[F_COUNT] = { 0 }, k;
  size_t n = trim_scanned(&text);
  const char *p, *end = text + n, *semi;
  rgs_f2f_rc rc;

  memset(sf, 0, sizeof(*sf));
  if (n > SHORT_MAX || n < sizeof(head) || memcmp(text, head, sizeof(head) - 1) != 0) {
    snprintf(err, errlen, _("it does not begin with %s"), RGS_DOSSIER_SHORT_FORMAT);
    return RGS_F2F_ERR_FORMAT;
  }
  for (p = text + sizeof(head) - 1; p < end; p = semi + 1) {
    semi = memchr(p, ';', (size_t)(end - p));
    if (semi == NULL)
      semi = end;
    rc = short_field(p, (size_t)(semi - p), sf, seen, err, errlen);
    if (rc != RGS_F2F_OK)
      return rc;
  }
  for (k = 0; k < F_COUNT; k++)
    if (!seen[k])
      return short_error(err, errlen, _("missing"), field_names[k],
                         strlen(field_names[k]));
  return RGS_F2F_OK;
}

/* ---- order check-qr: the token brought against the paper ------------------------------ */

typedef struct {
  rgs_dossier_short sf;
  char token_serial[33];
  size_t n_keys;
  int key_here;                /* the token shows the key named on paper */
  int serial_same;
  long long store_id;          /* this store's order with the reference; 0: none */
  int store_same;              /* its key and request are the paper's */
} paper_check;

static void trim_right(char *s)
{
  size_t n = strlen(s);

  while (n > 0 && s[n - 1] == ' ')
    s[--n] = '\0';
}

/* The token's serial and whether it shows the key, without a login. */
static int check_token(const rgs_io *io, paper_check *r)
{
  rgs_session s;
  unsigned char (*h)[32] = NULL;
  char hex[65];
  size_t i;
  rgs_p11_rc rc;
  int ret = rgs_session_open(&s, io, CMD_CHECK);

  if (ret != RGS_EXIT_OK)
    return ret;
  snprintf(r->token_serial, sizeof(r->token_serial), "%s", rgs_p11_token_info(s.tok)->serial);
  trim_right(r->token_serial);
  rc = rgs_p11_public_key_hashes(s.tok, &h, &r->n_keys);
  if (rc != RGS_P11_OK) {
    ret = rgs_fail_p11(io, CMD_CHECK, rc, s.ctx);
    goto cleanup;
  }
  for (i = 0; i < r->n_keys && !r->key_here; i++)
    r->key_here = strcmp(rgsx_hex(h[i], 32, hex), r->sf.spki) == 0;
  r->serial_same = strcmp(r->token_serial, r->sf.serial) == 0;

cleanup:
  free(h);
  rgs_session_close(&s);
  return ret;
}

/* The order of this store with the paper's CA reference, if the store
 * exists: its key and request against the paper's. */
static int check_store(const rgs_io *io, paper_check *r)
{
  rgs_order_store *st = NULL;
  rgs_order_binding b;
  char csr[65];
  int bound = 0, ret;
  rgs_order_rc rc;

  memset(&b, 0, sizeof(b));
  ret = rgs_store_open_read(io, CMD_CHECK, &st);
  if (ret != RGS_EXIT_OK || st == NULL)
    return ret;
  rc = rgs_order_find_by_ca_ref(st, r->sf.ref, &r->store_id);
  if (rc == RGS_ORDER_OK && r->store_id > 0)
    rc = rgs_order_binding_get(st, r->store_id, &b, &bound);
  if (rc != RGS_ORDER_OK)
    ret = rgs_fail_store(io, CMD_CHECK, rc, st);
  else if (r->store_id > 0)
    r->store_same = bound && strcmp(b.spki_sha256, r->sf.spki) == 0 &&
                    csr_sha256_hex(b.csr_pem, csr) && strcmp(csr, r->sf.csr) == 0;
  rgs_order_binding_clear(&b);
  rgs_order_store_close(st);
  return ret;
}

static int paper_ok(const paper_check *r)
{
  return r->key_here && r->serial_same && (r->store_id == 0 || r->store_same);
}

static void print_store_line(const paper_check *r)
{
  if (r->store_id == 0)
    printf("%s\n", _("This store has no order with this reference: import the signed dossier "
                     "before the face-to-face (rgs-enroll order import FILE)."));
  else if (r->store_same)
    printf(_("It is the key and the request of order %lld of this store.\n"), r->store_id);
  else
    printf(_("Order %lld of this store has this reference but another key or request: the paper "
             "and the dossier imported do not agree. Ask the holder which is current before going "
             "on.\n"),
           r->store_id);
}

static void print_check_text(const paper_check *r)
{
  if (r->key_here)
    printf(_("The token plugged in holds the key named on paper: order %s of %s.\n"), r->sf.ref,
           r->sf.name);
  else
    printf(_("The token plugged in does NOT hold the key named on paper (order %s of %s): it is "
             "not the token of this order, or its key was replaced. Do not hold the face-to-face "
             "with this token.\n"),
           r->sf.ref, r->sf.name);
  if (!r->serial_same)
    printf(_("Its serial is %s; the paper names %s.\n"), r->token_serial, r->sf.serial);
  print_store_line(r);
  printf(_("  key on paper : SPKI SHA-256 %s\n"
           "  token        : serial %s, %zu public key(s) shown\n"),
         r->sf.spki, r->token_serial, r->n_keys);
}

static void print_check_json(const paper_check *r)
{
  rgs_json j;

  rgs_json_start(&j, stdout);
  rgs_json_object(&j, NULL);
  rgs_json_str(&j, "command", CMD_CHECK);
  rgs_json_bool(&j, "ok", paper_ok(r));
  rgs_json_str(&j, "ca_ref", r->sf.ref);
  rgs_json_int(&j, "holder_order", r->sf.order);
  rgs_json_str(&j, "name", r->sf.name);
  rgs_json_str(&j, "spki_sha256", r->sf.spki);
  rgs_json_bool(&j, "key_on_token", r->key_here);
  rgs_json_str(&j, "token_serial", r->token_serial);
  rgs_json_bool(&j, "serial_matches", r->serial_same);
  if (r->store_id > 0) {
    rgs_json_int(&j, "store_order", r->store_id);
    rgs_json_bool(&j, "store_matches", r->store_same);
  } else {
    rgs_json_str(&j, "store_order", NULL);
  }
  rgs_json_end(&j);
  rgs_json_finish(&j);
}

int rgs_dossier_check_qr(rgs_io *io, const char *text)
{
  paper_check r;
  char err[160], clean[100];
  int ret;

  memset(&r, 0, sizeof(r));
  if (rgs_dossier_short_parse(text, &r.sf, err, sizeof(err)) != RGS_F2F_OK) {
    rgsx_sanitize_buf(clean, sizeof(clean), text, strnlen(text, 80));
    snprintf(err + strlen(err), sizeof(err) - strlen(err), " (%s)", clean);
    return rgs_fail(io, CMD_CHECK, RGS_EXIT_CHECK,
                    _("this is not the short form of a dossier printed by rgs-enroll order qr"),
                    err);
  }
  ret = check_token(io, &r);
  if (ret == RGS_EXIT_OK)
    ret = check_store(io, &r);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (io->json)
    print_check_json(&r);
  else
    print_check_text(&r);
  return paper_ok(&r) ? RGS_EXIT_OK : RGS_EXIT_CHECK;
}
