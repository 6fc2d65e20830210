/* f2f_pdf.c - the report of the face-to-face record (compte rendu du
 * face-à-face), not the fiche d'intervention that Certigna sends and that is
 * signed on paper and posted with the originals: one A4 page drawn
 * with cairo (text in DejaVu through fontconfig, so accents print and
 * extract), with a QR code from libqrencode that ties the paper to the key
 * and to the signed record. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cairo.h>
#include <cairo-pdf.h>
#include <qrencode.h>
#include "f2f_record.h"
#include "rgs_common.h"
#include "rgsx_i18n.h"

#define PAGE_W 595.28       /* A4 in points */
#define PAGE_H 841.89
#define MARGIN 42.0
#define LABEL_W 150.0
#define FONT "DejaVu Sans"
#define FONT_MONO "DejaVu Sans Mono"

typedef struct {
  cairo_t *cr;
  double y;
} page;

static void font(page *p, const char *face, double size, int bold)
{
  cairo_select_font_face(p->cr, face, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(p->cr, size);
}

static double advance(page *p, const char *text, size_t n)
{
  cairo_text_extents_t e;
  char buf[512];

  if (n >= sizeof(buf))
    n = sizeof(buf) - 1;
  memcpy(buf, text, n);
  buf[n] = '\0';
  cairo_text_extents(p->cr, buf, &e);
  return e.x_advance;
}

/* Length of the longest prefix of text (cut at a space, else anywhere on a
 * UTF-8 boundary) that fits in width. */
static size_t fit(page *p, const char *text, double width)
{
  size_t len = strlen(text), best_space = 0, i;

  if (advance(p, text, len) <= width)
    return len;
  for (i = 1; i < len; i++) {
    if (((unsigned char)text[i] & 0xC0) == 0x80)
      continue;                       /* inside a UTF-8 sequence */
    if (advance(p, text, i) > width)
      break;
    if (text[i] == ' ')
      best_space = i;
  }
  if (best_space > 0)
    return best_space;
  while (i > 1 && ((unsigned char)text[i - 1] & 0xC0) == 0x80)
    i--;
  return i > 1 ? i - 1 : 1;
}

/* Draw text from x within width, wrapped; y advances. */
static void text_block(page *p, double x, double width, double size, const char *text)
{
  double line = size * 1.3;
  char buf[512];
  size_t n;

  if (text == NULL)
    return;
  while (*text != '\0') {
    n = fit(p, text, width);
    if (n >= sizeof(buf))
      n = sizeof(buf) - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
    cairo_move_to(p->cr, x, p->y + size);
    cairo_show_text(p->cr, buf);
    p->y += line;
    text += n;
    while (*text == ' ')
      text++;
  }
}

static void heading(page *p, const char *title)
{
  p->y += 6;
  cairo_set_source_rgb(p->cr, 0.12, 0.23, 0.45);
  font(p, FONT, 11, 1);
  cairo_move_to(p->cr, MARGIN, p->y + 11);
  cairo_show_text(p->cr, title);
  p->y += 15;
  cairo_set_line_width(p->cr, 0.6);
  cairo_move_to(p->cr, MARGIN, p->y);
  cairo_line_to(p->cr, PAGE_W - MARGIN, p->y);
  cairo_stroke(p->cr);
  cairo_set_source_rgb(p->cr, 0, 0, 0);
  p->y += 4;
}

static void field(page *p, const char *label, const char *value, int mono)
{
  double y0 = p->y, y_label;

  font(p, FONT, 9, 1);
  cairo_set_source_rgb(p->cr, 0.3, 0.3, 0.3);
  text_block(p, MARGIN, LABEL_W - 6, 9, label);
  y_label = p->y;
  cairo_set_source_rgb(p->cr, 0, 0, 0);
  p->y = y0;
  font(p, mono ? FONT_MONO : FONT, mono ? 8 : 9, 0);
  text_block(p, MARGIN + LABEL_W, PAGE_W - 2 * MARGIN - LABEL_W, mono ? 8.5 : 9,
             value != NULL && value[0] != '\0' ? value : "—");
  /* The taller of the two columns decides where the next field starts. */
  if (p->y < y_label)
    p->y = y_label;
  if (p->y < y0 + 9 * 1.3)
    p->y = y0 + 9 * 1.3;
}

/* Short names of the steps, for the form's left column. */
static const char *step_label(size_t i)
{
  switch ((rgs_f2f_step)i) {
  case RGS_F2F_STEP_TOKEN: return _("1. Token meets RGS**");
  case RGS_F2F_STEP_KEY: return _("2. Key of the request");
  case RGS_F2F_STEP_POP: return _("3. Proof of possession");
  case RGS_F2F_STEP_IDENTITY: return _("4. Identity");
  case RGS_F2F_STEP_COMPANY: return _("5. Company");
  case RGS_F2F_STEP_AED: return _("6. AED");
  case RGS_F2F_N_STEPS: break;
  }
  return "";
}

static const char *result_label(const char *r)
{
  if (r == NULL)
    return "";
  if (strcmp(r, "pass") == 0)
    return _("PASS");
  if (strcmp(r, "fail") == 0)
    return _("FAIL");
  return _("NOT DONE");
}

/* The QR code of text, size points wide at (x, y); nothing when it
 * cannot be encoded (cairo's status tells of drawing failures). */
static void draw_qr(page *p, const char *text, double x, double y, double size)
{
  QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  double m;
  int i, j;

  if (q == NULL)
    return;
  /* Four modules of quiet zone on each side (ISO/IEC 18004). */
  m = size / (q->width + 8);
  cairo_set_source_rgb(p->cr, 1, 1, 1);
  cairo_rectangle(p->cr, x, y, size, size);
  cairo_fill(p->cr);
  cairo_set_source_rgb(p->cr, 0, 0, 0);
  for (i = 0; i < q->width; i++)
    for (j = 0; j < q->width; j++)
      if (q->data[i * q->width + j] & 1)
        cairo_rectangle(p->cr, x + (j + 4) * m, y + (i + 4) * m, m, m);
  cairo_fill(p->cr);
  QRcode_free(q);
}

/* A field value for the QR text: ';', '=', '%' and anything but printable
 * ASCII percent-encoded, so that a CA reference cannot add a field (such
 * as a forged "result=success") to what a phone reads. NULL: no memory. */
char *rgs_f2f_qr_field(const char *v)
{
  static const char hexd[] = "0123456789ABCDEF";
  size_t i, o = 0, n = v != NULL ? strlen(v) : 0;
  char *out = malloc(3 * n + 1);

  if (out == NULL)
    return NULL;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)v[i];
    if (c > 0x20 && c < 0x7F && c != ';' && c != '=' && c != '%') {
      out[o++] = (char)c;
    } else {
      out[o++] = '%';
      out[o++] = hexd[c >> 4];
      out[o++] = hexd[c & 0x0F];
    }
  }
  out[o] = '\0';
  return out;
}

char *rgs_f2f_qr_text(const rgs_cj *rec, const unsigned char record_sha256[32])
{
  char hex[65], *out = NULL;
  char *ref = rgs_f2f_qr_field(rgs_cj_path_str(rec, "order.ca_ref"));
  char *spki = rgs_f2f_qr_field(rgs_cj_path_str(rec, "key.spki_sha256"));
  char *result = rgs_f2f_qr_field(rgs_cj_path_str(rec, "intervention.result"));

  rgsx_hex(record_sha256, 32, hex);
  if (ref != NULL && spki != NULL && result != NULL &&
      asprintf(&out, "RGS-F2F/1;order=%lld;ref=%s;spki=%s;record=%s;result=%s",
               rgs_cj_path_int(rec, "order.id", 0), ref, spki, hex, result) < 0)
    out = NULL;
  free(ref);
  free(spki);
  free(result);
  return out;
}

static void signature_box(page *p, double x, double w, double h, const char *title)
{
  cairo_set_line_width(p->cr, 0.8);
  cairo_rectangle(p->cr, x, p->y, w, h);
  cairo_stroke(p->cr);
  font(p, FONT, 9, 1);
  cairo_move_to(p->cr, x + 6, p->y + 14);
  cairo_show_text(p->cr, title);
  font(p, FONT, 8, 0);
  cairo_move_to(p->cr, x + 6, p->y + h - 8);
  cairo_show_text(p->cr, _("Date:"));
}

/* A string of the record, def when absent. */
static const char *str_or(const rgs_cj *rec, const char *path, const char *def)
{
  const char *s = rgs_cj_path_str(rec, path);

  return s != NULL ? s : def;
}

/* Title, and the QR code at the top right. */
static void draw_title(page *p, const rgs_cj *rec, const char *qr)
{
  char line[768];
  double y0;

  p->y = MARGIN;
  font(p, FONT, 16, 1);
  cairo_move_to(p->cr, MARGIN, p->y + 16);
  cairo_show_text(p->cr, _("Face-to-face report (compte rendu du face-à-face)"));
  p->y += 24;
  font(p, FONT, 9, 0);
  snprintf(line, sizeof(line), _("RGS** certificate: %s, partner %s. Identity check of the future holder by the delegated registration officer (AED). This page is the report of the signed face-to-face record kept by rgs-enroll; it is not the fiche d'intervention: the intervention form Certigna sent by email is still signed on paper and posted with the originals."),
           str_or(rec, "order.product", ""), str_or(rec, "order.partner", ""));
  y0 = p->y;
  /* leave room for the QR code on the right */
  cairo_save(p->cr);
  text_block(p, MARGIN, PAGE_W - 2 * MARGIN - 130, 9, line);
  cairo_restore(p->cr);
  draw_qr(p, qr, PAGE_W - MARGIN - 118, MARGIN - 6, 118);
  if (p->y < y0 + 72)
    p->y = y0 + 72;
}

/* Who: the order, the holder and company, the token, the AED. */
static void draw_parties(page *p, const rgs_cj *rec)
{
  char line[768];

  heading(p, _("Order"));
  snprintf(line, sizeof(line), "%lld", rgs_cj_path_int(rec, "order.id", 0));
  field(p, _("Order number"), line, 0);
  field(p, _("CA order reference"), rgs_cj_path_str(rec, "order.ca_ref"), 0);
  snprintf(line, sizeof(line), _("%lld years"), rgs_cj_path_int(rec, "order.validity_years", 0));
  field(p, _("Certificate validity"), line, 0);

  heading(p, _("Holder and company"));
  snprintf(line, sizeof(line), "%s %s", str_or(rec, "holder.first_name", ""),
           str_or(rec, "holder.last_name", ""));
  field(p, _("Holder"), line, 0);
  field(p, _("Email"), rgs_cj_path_str(rec, "holder.email"), 0);
  field(p, _("Company"), rgs_cj_path_str(rec, "company.name"), 0);
  field(p, _("SIREN / SIRET"), rgs_cj_path_str(rec, "company.company_id"), 0);

  heading(p, _("Token and key"));
  snprintf(line, sizeof(line), "%s %s, %s %s", str_or(rec, "token.manufacturer", ""),
           str_or(rec, "token.model", ""), _("serial"), str_or(rec, "token.serial", ""));
  field(p, _("Token"), line, 0);
  field(p, _("Key (SPKI SHA-256)"), rgs_cj_path_str(rec, "key.spki_sha256"), 1);
  if (rgs_cj_path_bool(rec, "check.admitted_by_demo_policy") == 1)
    field(p, _("Warning"), _("DEMO DEVICE: admitted by a demo policy, NOT a qualified device"), 0);

  heading(p, _("AED operator, date and place"));
  field(p, _("AED operator"), rgs_cj_path_str(rec, "aed.name"), 0);
  field(p, _("Office"), rgs_cj_path_str(rec, "aed.office"), 0);
  field(p, _("AED certificate"), rgs_cj_path_str(rec, "aed.certificate_subject"), 0);
  field(p, _("Date"), rgs_cj_path_str(rec, "intervention.date"), 0);
  field(p, _("Place"), rgs_cj_path_str(rec, "intervention.place"), 0);
}

/* The steps, the identity document and the registration extract. */
static void draw_checks(page *p, const rgs_cj *rec)
{
  const rgs_cj *steps = rgs_cj_path(rec, "steps");
  char line[768];
  const char *s;
  size_t i;

  heading(p, _("Checks"));
  for (i = 0; i < rgs_cj_count(steps); i++) {
    const rgs_cj *st = rgs_cj_at(steps, i);
    const char *detail = rgs_cj_path_str(st, "detail");
    snprintf(line, sizeof(line), "%s%s%s", result_label(rgs_cj_path_str(st, "result")),
             detail != NULL ? " — " : "", detail != NULL ? detail : "");
    field(p, step_label(i), line, 0);
  }
  s = rgs_cj_path_str(rec, "identity.document");
  if (s != NULL) {
    snprintf(line, sizeof(line), _("%s, name as printed: %s, valid until %s, number ending %s"),
             rgs_f2f_doc_label(rgs_f2f_doc_parse(s)),
             str_or(rec, "identity.name_as_printed", "—"),
             str_or(rec, "identity.expires_on", "—"), str_or(rec, "identity.number_last4", "—"));
    field(p, _("Identity document"), line, 0);
  }
  s = rgs_cj_path_str(rec, "company.extract_date");
  if (s != NULL) {
    snprintf(line, sizeof(line), _("issued on %s (under three months until %s)"), s,
             str_or(rec, "company.extract_last_day", "—"));
    field(p, _("Registration extract"), line, 0);
  }
}

/* The result, the record's hash, and the two signature boxes at the
 * bottom of the page. */
static void draw_result(page *p, const rgs_cj *rec, const unsigned char record_sha256[32])
{
  const char *r = rgs_cj_path_str(rec, "intervention.result");
  char line[768], hex[65];
  double y_top, box_h = 86;

  heading(p, _("Result"));
  if (r != NULL && strcmp(r, "success") == 0) {
    field(p, _("Result"), _("SUCCESS: the person present controls the token that holds the key of the order"), 0);
  } else {
    snprintf(line, sizeof(line), _("REFUSED: %s"), str_or(rec, "intervention.reason", ""));
    field(p, _("Result"), line, 0);
  }
  rgsx_hex(record_sha256, 32, hex);
  field(p, _("Signed record (SHA-256)"), hex, 1);
  field(p, _("Signed at"), rgs_cj_path_str(rec, "intervention.signed_at"), 0);

  y_top = PAGE_H - MARGIN - box_h;
  if (p->y + 10 < y_top)
    p->y = y_top;
  else
    p->y += 10;
  signature_box(p, MARGIN, (PAGE_W - 2 * MARGIN) / 2 - 6, box_h, _("Signature of the holder"));
  signature_box(p, PAGE_W / 2 + 6, (PAGE_W - 2 * MARGIN) / 2 - 6, box_h,
                _("Signature and stamp of the AED operator"));
}

static void draw(page *p, const rgs_cj *rec, const unsigned char record_sha256[32],
                 const char *qr)
{
  draw_title(p, rec, qr);
  draw_parties(p, rec);
  draw_checks(p, rec);
  draw_result(p, rec, record_sha256);
}

rgs_f2f_rc rgs_f2f_pdf_write(const rgs_cj *rec, const unsigned char record_sha256[32],
                             const char *path, char *err, size_t errlen)
{
  cairo_surface_t *surface = NULL;
  cairo_status_t st;
  page p = { NULL, 0 };
  char *qr = NULL, *tmp = NULL, title[160];
  const char *signed_at = rgs_cj_path_str(rec, "intervention.signed_at");
  rgs_f2f_rc rc = RGS_F2F_ERR_NOMEM;

  qr = rgs_f2f_qr_text(rec, record_sha256);
  if (qr == NULL || asprintf(&tmp, "%s.tmp-%ld", path, (long)getpid()) < 0) {
    tmp = NULL;
    snprintf(err, errlen, "%s", _("out of memory"));
    goto cleanup;
  }
  surface = cairo_pdf_surface_create(tmp, PAGE_W, PAGE_H);
  snprintf(title, sizeof(title), _("Face-to-face report (compte rendu du face-à-face), order %lld"),
           rgs_cj_path_int(rec, "order.id", 0));
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title);
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "rgs-enroll");
  if (signed_at != NULL)
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, signed_at);
  p.cr = cairo_create(surface);
  draw(&p, rec, record_sha256, qr);
  cairo_show_page(p.cr);
  st = cairo_status(p.cr);
  cairo_destroy(p.cr);
  cairo_surface_finish(surface);
  if (st == CAIRO_STATUS_SUCCESS)
    st = cairo_surface_status(surface);
  rc = RGS_F2F_ERR_IO;
  if (st != CAIRO_STATUS_SUCCESS) {
    snprintf(err, errlen, "%s: %s", path, cairo_status_to_string(st));
    goto cleanup;
  }
  if (rename(tmp, path) != 0) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    goto cleanup;
  }
  rc = RGS_F2F_OK;

cleanup:
  cairo_surface_destroy(surface);
  if (rc != RGS_F2F_OK && tmp != NULL)
    unlink(tmp);
  free(tmp);
  free(qr);
  return rc;
}
