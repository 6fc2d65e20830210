/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_ui.c - small builders the pages share (rgsg_ui.h). */
#include <stdlib.h>
#include <string.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgsg_pin.h"
#include "rgsg_ui.h"

GtkWidget *rgsg_label(const char *text, const char *css)
{
  GtkWidget *l = gtk_label_new(text);

  gtk_label_set_wrap(GTK_LABEL(l), TRUE);
  gtk_label_set_xalign(GTK_LABEL(l), 0);
  gtk_label_set_selectable(GTK_LABEL(l), FALSE);
  if (css != NULL)
    gtk_widget_add_css_class(l, css);
  return l;
}

GtkWidget *rgsg_page(const char *title)
{
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);

  gtk_widget_set_margin_top(box, 18);
  gtk_widget_set_margin_bottom(box, 18);
  gtk_widget_set_margin_start(box, 24);
  gtk_widget_set_margin_end(box, 24);
  gtk_box_append(GTK_BOX(box), rgsg_label(title, "title-2"));
  return box;
}

GtkWidget *rgsg_button_row(GtkWidget *page)
{
  GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);

  gtk_widget_set_halign(row, GTK_ALIGN_END);
  gtk_widget_set_valign(row, GTK_ALIGN_END);
  gtk_widget_set_vexpand(row, TRUE);
  gtk_box_append(GTK_BOX(page), row);
  return row;
}

GtkWidget *rgsg_button(GtkWidget *row, const char *label, gboolean suggested)
{
  GtkWidget *b = gtk_button_new_with_label(label);

  if (suggested)
    gtk_widget_add_css_class(b, "suggested-action");
  gtk_box_append(GTK_BOX(row), b);
  return b;
}

GtkWidget *rgsg_busy_new(const char *text, GtkLabel **label_out)
{
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *spin = gtk_spinner_new();
  GtkWidget *l = rgsg_label(text, NULL);

  rgsg_a11y_label(spin, _("Working"));
  gtk_box_append(GTK_BOX(box), spin);
  gtk_box_append(GTK_BOX(box), l);
  gtk_widget_set_visible(box, FALSE);
  g_object_set_data(G_OBJECT(box), "spinner", spin);
  g_object_set_data(G_OBJECT(box), "label", l);
  if (label_out != NULL)
    *label_out = GTK_LABEL(l);
  return box;
}

void rgsg_busy(GtkWidget *busy, gboolean on, const char *text)
{
  GtkSpinner *spin = g_object_get_data(G_OBJECT(busy), "spinner");
  GtkLabel *l = g_object_get_data(G_OBJECT(busy), "label");

  if (text != NULL)
    gtk_label_set_text(l, text);
  gtk_spinner_set_spinning(spin, on);
  gtk_widget_set_visible(busy, on);
}

void rgsg_list_clear(GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child(GTK_WIDGET(list))) != NULL)
    gtk_list_box_remove(list, child);
}

/* ---- text from outside, dates ------------------------------------------ */

char *rgsg_clean(const char *s)
{
  char *c = rgsx_sanitize(s != NULL ? s : "", (size_t)-1);
  char *g = g_strdup(c != NULL ? c : "");

  free(c);
  return g;
}

char *rgsg_date_text(const char *iso)
{
  GDateTime *t = iso != NULL ? g_date_time_new_from_iso8601(iso, NULL) : NULL;
  GDateTime *l = t != NULL ? g_date_time_to_local(t) : NULL;
  char *text = l != NULL ? g_date_time_format(l, "%x %H:%M") : rgsg_clean(iso);

  if (l != NULL)
    g_date_time_unref(l);
  if (t != NULL)
    g_date_time_unref(t);
  return text;
}

char *rgsg_dn_name(const char *subject)
{
  const char *cn = subject != NULL ? g_strrstr(subject, "CN = ") : NULL;
  const char *end;
  char *name, *clean;

  if (cn == NULL)
    return rgsg_clean(subject);
  cn += 5;
  end = strstr(cn, ", ");
  name = g_strndup(cn, end != NULL ? (gsize)(end - cn) : strlen(cn));
  clean = rgsg_clean(name);
  g_free(name);
  return clean;
}

char *rgsg_sentence(const char *text)
{
  char *clean = rgsg_clean(text), *rest, *first, *out;
  size_t len = strlen(clean);
  gboolean stop = len > 0 && strchr(".!?", clean[len - 1]) != NULL;

  if (len == 0)
    return clean;
  rest = g_utf8_next_char(clean);
  first = g_utf8_strup(clean, rest - clean);
  out = g_strconcat(first, rest, stop ? "" : ".", NULL);
  g_free(first);
  g_free(clean);
  return out;
}

char *rgsg_failure_text(const char *message, const char *advice)
{
  char *sentence = rgsg_sentence(message);
  char *text = advice != NULL ? g_strconcat(sentence, "\n", advice, NULL) : g_strdup(sentence);

  g_free(sentence);
  return text;
}
