/* SPDX-License-Identifier: BSD-3-Clause */
/* f2f_pdf.c - the report of the face-to-face record (compte rendu du
 * face-à-face), not the fiche d'intervention that Certigna sends and that is
 * signed on paper and posted with the originals: one A4 page drawn
 * with cairo (text in DejaVu through fontconfig, so accents print and
 * extract), with a QR code from libqrencode that ties the paper to the key
 * and to the signed record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "f2f_record.h"
#include "pdfpage.h"
#include "rgs_common.h"
#include "rgsx_i18n.h"

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

static void signature_box(rgs_pdf_page *p, double x, double w, double h, const char *title)
{
  cairo_set_line_width(p->cr, 0.8);
  cairo_rectangle(p->cr, x, p->y, w, h);
  cairo_stroke(p->cr);
  rgs_pdf_font(p, RGS_PDF_FONT, 9, 1);
  cairo_move_to(p->cr, x + 6, p->y + 14);
  cairo_show_text(p->cr, title);
  rgs_pdf_font(p, RGS_PDF_FONT, 8, 0);
  cairo_move_to(p->cr, x + 6, p->y + h - 8);
  cairo_show_text(p->cr, _("Date:"));
}

/* A string of the record, def when absent. */
static const char *str_or(const rgs_cj *rec, const char *path, const char *def)
{
  const char *s = rgs_cj_path_str(rec, path);

  return s != NULL ? s : def;
}

/* A date of the record (ISO 8601) as people read it, or def when absent:
 * the PDF is for people, the signed record keeps the ISO text. */
static const char *date_or(const rgs_cj *rec, const char *path, char *buf, size_t len,
                           const char *def)
{
  const char *s = rgs_cj_path_str(rec, path);

  if (s == NULL)
    return def;
  rgsx_time_text(s, 0, buf, len);
  return buf;
}

/* Title, and the QR code at the top right. */
static void draw_title(rgs_pdf_page *p, const rgs_cj *rec, const char *qr)
{
  char line[768];
  double y0;

  p->y = RGS_PDF_MARGIN;
  rgs_pdf_font(p, RGS_PDF_FONT, 16, 1);
  cairo_move_to(p->cr, RGS_PDF_MARGIN, p->y + 16);
  cairo_show_text(p->cr, _("Face-to-face report (compte rendu du face-à-face)"));
  p->y += 24;
  rgs_pdf_font(p, RGS_PDF_FONT, 9, 0);
  snprintf(line, sizeof(line), _("RGS** certificate: %s, partner %s. Identity check of the future holder by the delegated registration officer (AED). This page is the report of the signed face-to-face record kept by rgs-enroll; it is not the fiche d'intervention: the intervention form Certigna sent by email is still signed on paper and posted with the originals."),
           str_or(rec, "order.product", ""), str_or(rec, "order.partner", ""));
  y0 = p->y;
  /* leave room for the QR code on the right */
  cairo_save(p->cr);
  rgs_pdf_text_block(p, RGS_PDF_MARGIN, RGS_PDF_W - 2 * RGS_PDF_MARGIN - 130, 9, line);
  cairo_restore(p->cr);
  rgs_pdf_qr(p, qr, RGS_PDF_W - RGS_PDF_MARGIN - 118, RGS_PDF_MARGIN - 6, 118);
  if (p->y < y0 + 72)
    p->y = y0 + 72;
}

/* Who: the order, the holder and company, the token, the AED. */
static void draw_parties(rgs_pdf_page *p, const rgs_cj *rec)
{
  char line[768], day[128];

  rgs_pdf_heading(p, _("Order"));
  snprintf(line, sizeof(line), "%lld", rgs_cj_path_int(rec, "order.id", 0));
  rgs_pdf_field(p, _("Order number"), line, 0);
  rgs_pdf_field(p, _("CA order reference"), rgs_cj_path_str(rec, "order.ca_ref"), 0);
  snprintf(line, sizeof(line), _("%lld years"), rgs_cj_path_int(rec, "order.validity_years", 0));
  rgs_pdf_field(p, _("Certificate validity"), line, 0);

  rgs_pdf_heading(p, _("Holder and company"));
  snprintf(line, sizeof(line), "%s %s", str_or(rec, "holder.first_name", ""),
           str_or(rec, "holder.last_name", ""));
  rgs_pdf_field(p, _("Holder"), line, 0);
  rgs_pdf_field(p, _("Email"), rgs_cj_path_str(rec, "holder.email"), 0);
  rgs_pdf_field(p, _("Company"), rgs_cj_path_str(rec, "company.name"), 0);
  rgs_pdf_field(p, _("SIREN / SIRET"), rgs_cj_path_str(rec, "company.company_id"), 0);

  rgs_pdf_heading(p, _("Token and key"));
  snprintf(line, sizeof(line), "%s %s, %s %s", str_or(rec, "token.manufacturer", ""),
           str_or(rec, "token.model", ""), _("serial"), str_or(rec, "token.serial", ""));
  rgs_pdf_field(p, _("Token"), line, 0);
  rgs_pdf_field(p, _("Key (SPKI SHA-256)"), rgs_cj_path_str(rec, "key.spki_sha256"), 1);
  if (rgs_cj_path_bool(rec, "check.admitted_by_demo_policy") == 1)
    rgs_pdf_field(p, _("Warning"), _("DEMO DEVICE: admitted by a demo policy, NOT a qualified device"), 0);

  rgs_pdf_heading(p, _("AED operator, date and place"));
  rgs_pdf_field(p, _("AED operator"), rgs_cj_path_str(rec, "aed.name"), 0);
  rgs_pdf_field(p, _("Office"), rgs_cj_path_str(rec, "aed.office"), 0);
  rgs_pdf_field(p, _("AED certificate"), rgs_cj_path_str(rec, "aed.certificate_subject"), 0);
  rgs_pdf_field(p, _("Date"), date_or(rec, "intervention.date", day, sizeof(day), NULL), 0);
  rgs_pdf_field(p, _("Place"), rgs_cj_path_str(rec, "intervention.place"), 0);
}

/* The steps, the identity document and the registration extract. */
static void draw_checks(rgs_pdf_page *p, const rgs_cj *rec)
{
  const rgs_cj *steps = rgs_cj_path(rec, "steps");
  char line[768], d1[128], d2[128];
  const char *s;
  size_t i;

  rgs_pdf_heading(p, _("Checks"));
  for (i = 0; i < rgs_cj_count(steps); i++) {
    const rgs_cj *st = rgs_cj_at(steps, i);
    const char *detail = rgs_cj_path_str(st, "detail");
    snprintf(line, sizeof(line), "%s%s%s", result_label(rgs_cj_path_str(st, "result")),
             detail != NULL ? " — " : "", detail != NULL ? detail : "");
    rgs_pdf_field(p, step_label(i), line, 0);
  }
  s = rgs_cj_path_str(rec, "identity.document");
  if (s != NULL) {
    snprintf(line, sizeof(line), _("%s, name as printed: %s, valid until %s, number ending %s"),
             rgs_f2f_doc_label(rgs_f2f_doc_parse(s)),
             str_or(rec, "identity.name_as_printed", "—"),
             date_or(rec, "identity.expires_on", d1, sizeof(d1), "—"),
             str_or(rec, "identity.number_last4", "—"));
    rgs_pdf_field(p, _("Identity document"), line, 0);
  }
  s = rgs_cj_path_str(rec, "company.extract_date");
  if (s != NULL) {
    snprintf(line, sizeof(line), _("issued on %s (under three months until %s)"),
             date_or(rec, "company.extract_date", d1, sizeof(d1), "—"),
             date_or(rec, "company.extract_last_day", d2, sizeof(d2), "—"));
    rgs_pdf_field(p, _("Registration extract"), line, 0);
  }
}

/* The result, the record's hash, and the two signature boxes at the
 * bottom of the page. */
static void draw_result(rgs_pdf_page *p, const rgs_cj *rec, const unsigned char record_sha256[32])
{
  const char *r = rgs_cj_path_str(rec, "intervention.result");
  char line[768], hex[65], when[128];
  double y_top, box_h = 86;

  rgs_pdf_heading(p, _("Result"));
  if (r != NULL && strcmp(r, "success") == 0) {
    rgs_pdf_field(p, _("Result"), _("SUCCESS: the person present controls the token that holds the key of the order"), 0);
  } else {
    snprintf(line, sizeof(line), _("REFUSED: %s"), str_or(rec, "intervention.reason", ""));
    rgs_pdf_field(p, _("Result"), line, 0);
  }
  rgsx_hex(record_sha256, 32, hex);
  rgs_pdf_field(p, _("Signed record (SHA-256)"), hex, 1);
  rgs_pdf_field(p, _("Signed at"), date_or(rec, "intervention.signed_at", when, sizeof(when), NULL), 0);

  y_top = RGS_PDF_H - RGS_PDF_MARGIN - box_h;
  if (p->y + 10 < y_top)
    p->y = y_top;
  else
    p->y += 10;
  signature_box(p, RGS_PDF_MARGIN, (RGS_PDF_W - 2 * RGS_PDF_MARGIN) / 2 - 6, box_h, _("Signature of the holder"));
  signature_box(p, RGS_PDF_W / 2 + 6, (RGS_PDF_W - 2 * RGS_PDF_MARGIN) / 2 - 6, box_h,
                _("Signature and stamp of the AED operator"));
}

typedef struct {
  const rgs_cj *rec;
  const unsigned char *record_sha256;
  char *qr;
} report;

static void draw(rgs_pdf_page *p, void *ud)
{
  const report *r = ud;

  draw_title(p, r->rec, r->qr);
  draw_parties(p, r->rec);
  draw_checks(p, r->rec);
  draw_result(p, r->rec, r->record_sha256);
}

rgs_f2f_rc rgs_f2f_pdf_write(const rgs_cj *rec, const unsigned char record_sha256[32],
                             const char *path, char *err, size_t errlen)
{
  report r = { rec, record_sha256, NULL };
  char title[160];
  rgs_f2f_rc rc;

  r.qr = rgs_f2f_qr_text(rec, record_sha256);
  if (r.qr == NULL) {
    snprintf(err, errlen, "%s", _("out of memory"));
    return RGS_F2F_ERR_NOMEM;
  }
  snprintf(title, sizeof(title), _("Face-to-face report (compte rendu du face-à-face), order %lld"),
           rgs_cj_path_int(rec, "order.id", 0));
  rc = rgs_pdf_write(path, title, rgs_cj_path_str(rec, "intervention.signed_at"), draw, &r, err,
                     errlen);
  free(r.qr);
  return rc;
}
