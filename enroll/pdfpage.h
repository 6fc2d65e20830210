/* SPDX-License-Identifier: BSD-3-Clause */
/* pdfpage.h - one printed A4 page drawn with cairo: the face-to-face report
 * (f2f_pdf.c) and the dossier's paper sheet (dossier_qr.c) share its text
 * wrapping, its labelled fields and its QR code. Text is DejaVu through
 * fontconfig, so accents print and extract. */
#ifndef RGS_PDFPAGE_H
#define RGS_PDFPAGE_H

#include <stddef.h>
#include <cairo.h>
#include "f2f_record.h"

#define RGS_PDF_W 595.28       /* A4 in points */
#define RGS_PDF_H 841.89
#define RGS_PDF_MARGIN 42.0
#define RGS_PDF_LABEL_W 150.0
#define RGS_PDF_FONT "DejaVu Sans"
#define RGS_PDF_FONT_MONO "DejaVu Sans Mono"

typedef struct {
  cairo_t *cr;
  double y;                    /* where the next line starts, from the top */
} rgs_pdf_page;

void rgs_pdf_font(rgs_pdf_page *p, const char *face, double size, int bold);
/* text from x within width, wrapped at spaces (else anywhere on a UTF-8
 * boundary); p->y advances. */
void rgs_pdf_text_block(rgs_pdf_page *p, double x, double width, double size, const char *text);
/* A section title with a rule under it. */
void rgs_pdf_heading(rgs_pdf_page *p, const char *title);
/* label on the left, value (or a dash) on the right, both wrapped. */
void rgs_pdf_field(rgs_pdf_page *p, const char *label, const char *value, int mono);
/* The QR code of text, size points wide at (x, y); nothing when it cannot
 * be encoded. */
void rgs_pdf_qr(rgs_pdf_page *p, const char *text, double x, double y, double size);

typedef void (*rgs_pdf_draw_fn)(rgs_pdf_page *p, void *ud);

/* One page drawn by draw, written to a temporary file beside path and
 * renamed into place: path is the whole page or untouched. created: ISO
 * date for the metadata, or NULL. RGS_F2F_OK, RGS_F2F_ERR_NOMEM or
 * RGS_F2F_ERR_IO with the reason in err. */
rgs_f2f_rc rgs_pdf_write(const char *path, const char *title, const char *created,
                         rgs_pdf_draw_fn draw, void *ud, char *err, size_t errlen);

#endif
