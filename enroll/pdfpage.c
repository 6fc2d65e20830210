/* SPDX-License-Identifier: BSD-3-Clause */
/* pdfpage.c - one A4 page with cairo (see pdfpage.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cairo-pdf.h>
#include <qrencode.h>
#include "pdfpage.h"
#include "rgsx_i18n.h"

void rgs_pdf_font(rgs_pdf_page *p, const char *face, double size, int bold)
{
  cairo_select_font_face(p->cr, face, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(p->cr, size);
}

static double advance(rgs_pdf_page *p, const char *text, size_t n)
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
static size_t fit(rgs_pdf_page *p, const char *text, double width)
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

void rgs_pdf_text_block(rgs_pdf_page *p, double x, double width, double size, const char *text)
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

void rgs_pdf_heading(rgs_pdf_page *p, const char *title)
{
  p->y += 6;
  cairo_set_source_rgb(p->cr, 0.12, 0.23, 0.45);
  rgs_pdf_font(p, RGS_PDF_FONT, 11, 1);
  cairo_move_to(p->cr, RGS_PDF_MARGIN, p->y + 11);
  cairo_show_text(p->cr, title);
  p->y += 15;
  cairo_set_line_width(p->cr, 0.6);
  cairo_move_to(p->cr, RGS_PDF_MARGIN, p->y);
  cairo_line_to(p->cr, RGS_PDF_W - RGS_PDF_MARGIN, p->y);
  cairo_stroke(p->cr);
  cairo_set_source_rgb(p->cr, 0, 0, 0);
  p->y += 4;
}

void rgs_pdf_field(rgs_pdf_page *p, const char *label, const char *value, int mono)
{
  double y0 = p->y, y_label;

  rgs_pdf_font(p, RGS_PDF_FONT, 9, 1);
  cairo_set_source_rgb(p->cr, 0.3, 0.3, 0.3);
  rgs_pdf_text_block(p, RGS_PDF_MARGIN, RGS_PDF_LABEL_W - 6, 9, label);
  y_label = p->y;
  cairo_set_source_rgb(p->cr, 0, 0, 0);
  p->y = y0;
  rgs_pdf_font(p, mono ? RGS_PDF_FONT_MONO : RGS_PDF_FONT, mono ? 8 : 9, 0);
  rgs_pdf_text_block(p, RGS_PDF_MARGIN + RGS_PDF_LABEL_W, RGS_PDF_W - 2 * RGS_PDF_MARGIN - RGS_PDF_LABEL_W, mono ? 8.5 : 9,
             value != NULL && value[0] != '\0' ? value : "—");
  /* The taller of the two columns decides where the next field starts. */
  if (p->y < y_label)
    p->y = y_label;
  if (p->y < y0 + 9 * 1.3)
    p->y = y0 + 9 * 1.3;
}

void rgs_pdf_qr(rgs_pdf_page *p, const char *text, double x, double y, double size)
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

/* Draw, then finish the surface: cairo reports drawing and writing
 * failures through its status, not per call. */
static cairo_status_t render(cairo_surface_t *surface, rgs_pdf_draw_fn draw, void *ud)
{
  rgs_pdf_page p = { NULL, 0 };
  cairo_status_t st;

  p.cr = cairo_create(surface);
  draw(&p, ud);
  cairo_show_page(p.cr);
  st = cairo_status(p.cr);
  cairo_destroy(p.cr);
  cairo_surface_finish(surface);
  return st != CAIRO_STATUS_SUCCESS ? st : cairo_surface_status(surface);
}

rgs_f2f_rc rgs_pdf_write(const char *path, const char *title, const char *created,
                         rgs_pdf_draw_fn draw, void *ud, char *err, size_t errlen)
{
  cairo_surface_t *surface = NULL;
  cairo_status_t st;
  char *tmp = NULL;
  rgs_f2f_rc rc = RGS_F2F_ERR_NOMEM;

  if (asprintf(&tmp, "%s.tmp-%ld", path, (long)getpid()) < 0) {
    tmp = NULL;
    snprintf(err, errlen, "%s", _("out of memory"));
    goto cleanup;
  }
  surface = cairo_pdf_surface_create(tmp, RGS_PDF_W, RGS_PDF_H);
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title);
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "rgs-enroll");
  if (created != NULL)
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, created);
  st = render(surface, draw, ud);
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
  return rc;
}
