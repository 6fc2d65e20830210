/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_officer_report.c - steps 7 and 8 of the officer's window: the
 * report of the face-to-face (`f2f print ID --out FILE`) shown, its pages
 * rendered by poppler, and printed (GtkPrintOperation drawing the same
 * pages, "Print to File" in the dialog); the signed record saved where the
 * officer chooses, for the holder to import in their window. */
#include <poppler.h>
#include "rgsx_i18n.h"
#include "rgsg_internal.h"
#include "rgsg_officer_int.h"
#include "rgsg_pin.h"
#include "rgsg_ui.h"

/* Pixels per PDF point on screen: an A4 page about 700 pixels wide. */
#define SCREEN_SCALE 1.15

static void report_idle(rgsg_off *o)
{
  rgsg_busy(o->r_busy, FALSE, NULL);
}

/* One page as a picture: rendered on white (the PDF has no background). */
static GtkWidget *page_picture(PopplerPage *page, int n)
{
  double w, h;
  cairo_surface_t *surf;
  cairo_t *cr;
  GdkTexture *tex;
  GBytes *bytes;
  GtkWidget *pic;
  char *name;
  int pw, ph;

  poppler_page_get_size(page, &w, &h);
  pw = (int)(w * SCREEN_SCALE);
  ph = (int)(h * SCREEN_SCALE);
  surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, pw, ph);
  cr = cairo_create(surf);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_scale(cr, SCREEN_SCALE, SCREEN_SCALE);
  poppler_page_render(page, cr);
  cairo_destroy(cr);
  cairo_surface_flush(surf);
  bytes = g_bytes_new(cairo_image_surface_get_data(surf),
                      (gsize)cairo_image_surface_get_stride(surf) * (gsize)ph);
  tex = gdk_memory_texture_new(pw, ph, GDK_MEMORY_DEFAULT, bytes,
                               (gsize)cairo_image_surface_get_stride(surf));
  pic = gtk_picture_new_for_paintable(GDK_PAINTABLE(tex));
  gtk_picture_set_can_shrink(GTK_PICTURE(pic), FALSE);
  name = g_strdup_printf(_("Page %d of the report"), n);
  rgsg_a11y_label(pic, name);
  g_free(name);
  g_object_unref(tex);
  g_bytes_unref(bytes);
  cairo_surface_destroy(surf);
  return pic;
}

static void show_pages(rgsg_off *o)
{
  PopplerDocument *doc = POPPLER_DOCUMENT(o->pdf);
  GtkWidget *c;
  int i, n = poppler_document_get_n_pages(doc);

  while ((c = gtk_widget_get_first_child(GTK_WIDGET(o->r_pages))) != NULL)
    gtk_box_remove(o->r_pages, c);
  for (i = 0; i < n; i++) {
    PopplerPage *p = poppler_document_get_page(doc, i);

    gtk_box_append(o->r_pages, page_picture(p, i + 1));
    g_object_unref(p);
  }
}

static void on_printed(const rgsg_result *r, gpointer data)
{
  rgsg_off *o = data;
  char *uri;
  GError *err = NULL;

  report_idle(o);
  if (r->exit_status != 0) {
    gtk_label_set_text(o->r_status, rgsg_error_text(r));
    return;
  }
  g_clear_object(&o->pdf);
  uri = g_filename_to_uri(o->pdf_path, NULL, NULL);
  o->pdf = uri != NULL ? G_OBJECT(poppler_document_new_from_file(uri, NULL, &err)) : NULL;
  g_free(uri);
  if (o->pdf == NULL) {
    gtk_label_set_text(o->r_status, _("The report was made but cannot be shown."));
    g_clear_error(&err);
    return;
  }
  show_pages(o);
  gtk_widget_set_sensitive(o->r_print, TRUE);
  rgsg_off_show(o, "report", o->r_print);
}

void rgsg_off_report_enter(rgsg_off *o)
{
  char num[32];
  const char *args[] = { "f2f", "print", num, "--out", NULL, "--force", NULL };

  g_snprintf(num, sizeof(num), "%lld", (long long)o->order_id);
  g_free(o->pdf_path);
  o->pdf_path = g_build_filename(o->tmpdir, "report.pdf", NULL);
  args[4] = o->pdf_path;
  gtk_label_set_text(o->r_status, _("The face-to-face is recorded and signed. Print the report for the holder's file, then save the record for the holder."));
  gtk_widget_set_sensitive(o->r_print, FALSE);
  rgsg_off_show(o, "report", o->r_save);
  rgsg_busy(o->r_busy, TRUE, _("Making the report…"));
  if (!rgsg_off_run(o, args, NULL, 0, on_printed, o->r_status))
    report_idle(o);
}

/* ---- printing: the same pages, fitted to the paper ----------------------- */

static void on_draw_page(GtkPrintOperation *op, GtkPrintContext *ctx, int nr, gpointer data)
{
  rgsg_off *o = data;
  PopplerPage *p = poppler_document_get_page(POPPLER_DOCUMENT(o->pdf), nr);
  cairo_t *cr = gtk_print_context_get_cairo_context(ctx);
  double w, h, s;

  (void)op;
  if (p == NULL)
    return;
  poppler_page_get_size(p, &w, &h);
  s = MIN(gtk_print_context_get_width(ctx) / w, gtk_print_context_get_height(ctx) / h);
  cairo_scale(cr, s, s);
  poppler_page_render_for_printing(p, cr);
  g_object_unref(p);
}

static void on_print(GtkButton *b, gpointer data)
{
  rgsg_off *o = data;
  GtkPrintOperation *op = gtk_print_operation_new();
  GtkPrintSettings *set = gtk_print_settings_new();
  GError *err = NULL;
  char *name = g_strdup_printf("face-to-face-report-order-%lld.pdf", (long long)o->order_id);
  char *path = g_build_filename(g_get_home_dir(), name, NULL);
  char *uri = g_filename_to_uri(path, NULL, NULL);

  (void)b;
  /* "Print to File" writes here unless the officer chooses another file. */
  gtk_print_settings_set(set, GTK_PRINT_SETTINGS_OUTPUT_URI, uri);
  gtk_print_operation_set_print_settings(op, set);
  gtk_print_operation_set_n_pages(op, poppler_document_get_n_pages(POPPLER_DOCUMENT(o->pdf)));
  gtk_print_operation_set_job_name(op, name);
  gtk_print_operation_set_use_full_page(op, TRUE);
  gtk_print_operation_set_unit(op, GTK_UNIT_POINTS);
  g_signal_connect(op, "draw-page", G_CALLBACK(on_draw_page), o);
  if (gtk_print_operation_run(op, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG, o->win, &err) ==
      GTK_PRINT_OPERATION_RESULT_ERROR) {
    gtk_label_set_text(o->r_status, err->message);
    g_error_free(err);
  }
  g_object_unref(set);
  g_object_unref(op);
  g_free(uri);
  g_free(path);
  g_free(name);
}

/* ---- the record for the holder -------------------------------------------- */

static void on_save_chosen(GtkNativeDialog *d, int response, gpointer data)
{
  rgsg_off *o = data;
  GFile *dest, *src;
  GError *err = NULL;
  char *path, *text;

  o->choosers--;
  if (o->closed) {
    g_object_unref(d);
    rgsg_off_release(o);    /* the window went while the chooser was open */
    return;
  }
  dest = response == GTK_RESPONSE_ACCEPT ? gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d)) : NULL;
  src = g_file_new_for_path(o->record_path);
  if (dest != NULL && g_file_copy(src, dest, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &err)) {
    path = g_file_get_path(dest);
    text = g_strdup_printf(_("The record is saved as %s.\nGive it to the holder: in their window, under \"Face-to-face record\", they import it; their order then moves on to the certificate."), path);
    gtk_label_set_text(o->r_status, text);
    g_free(text);
    g_free(path);
  } else if (err != NULL) {
    text = g_strdup_printf(_("The record could not be saved: %s"), err->message);
    gtk_label_set_text(o->r_status, text);
    g_free(text);
    g_error_free(err);
  }
  g_clear_object(&dest);
  g_object_unref(src);
  g_object_unref(d);
}

static void on_save(GtkButton *b, gpointer data)
{
  rgsg_off *o = data;
  GtkFileChooserNative *d = gtk_file_chooser_native_new(
    _("Save the record for the holder"), o->win, GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"),
    _("_Cancel"));
  char *name = g_strdup_printf("face-to-face-record-order-%lld.p7m", (long long)o->order_id);

  (void)b;
  gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(d), TRUE);
  gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(d), name);
  g_signal_connect(d, "response", G_CALLBACK(on_save_chosen), o);
  o->choosers++;
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
  g_free(name);
}

static void on_next(GtkButton *b, gpointer data)
{
  (void)b;
  rgsg_off_dossier_enter(data);
}

GtkWidget *rgsg_off_report_page(rgsg_off *o)
{
  GtkWidget *page = rgsg_page(_("7. The report and 8. the record for the holder"));
  GtkWidget *row, *scroll, *next;

  o->r_busy = rgsg_busy_new("", NULL);
  gtk_box_append(GTK_BOX(page), o->r_busy);
  o->r_status = GTK_LABEL(rgsg_label("", "heading"));
  gtk_label_set_selectable(o->r_status, TRUE);
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(o->r_status));
  o->r_pages = GTK_BOX(gtk_box_new(GTK_ORIENTATION_VERTICAL, 12));
  gtk_widget_set_halign(GTK_WIDGET(o->r_pages), GTK_ALIGN_CENTER);
  scroll = gtk_scrolled_window_new();
  gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), GTK_WIDGET(o->r_pages));
  gtk_widget_set_vexpand(scroll, TRUE);
  gtk_box_append(GTK_BOX(page), scroll);
  row = rgsg_button_row(page);
  gtk_widget_set_vexpand(row, FALSE);
  next = rgsg_button(row, _("Next face-to-face"), FALSE);
  o->r_print = rgsg_button(row, _("Print the report…"), FALSE);
  o->r_save = rgsg_button(row, _("Save the record for the holder…"), TRUE);
  g_signal_connect(next, "clicked", G_CALLBACK(on_next), o);
  g_signal_connect(o->r_print, "clicked", G_CALLBACK(on_print), o);
  g_signal_connect(o->r_save, "clicked", G_CALLBACK(on_save), o);
  return page;
}
