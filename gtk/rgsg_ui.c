/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_ui.c - small builders the pages share (rgsg_ui.h). */
#include <adwaita.h>

#include <stdlib.h>
#include <string.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgsg_child.h"
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
  gtk_widget_set_visible(GTK_WIDGET(spin), on);
  gtk_widget_set_visible(busy, on);
}

void rgsg_busy_still(GtkWidget *busy, const char *text)
{
  GtkWidget *spin = g_object_get_data(G_OBJECT(busy), "spinner");

  rgsg_busy(busy, TRUE, text);
  gtk_spinner_set_spinning(GTK_SPINNER(spin), FALSE);
  gtk_widget_set_visible(spin, FALSE);
}

void rgsg_start_failed(GtkLabel *status, GError *err)
{
  char *msg = g_strdup_printf(_("rgs-enroll could not be started: %s"), err->message);

  gtk_label_set_text(status, msg);
  g_free(msg);
  g_error_free(err);
}

void rgsg_list_clear(GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child(GTK_WIDGET(list))) != NULL)
    gtk_list_box_remove(list, child);
}

/* ---- for the screens after the request (hub, AED, documents) ---- */

GtkWidget *rgsg_scrolled_body(GtkWidget *page)
{
  GtkWidget *scroll = gtk_scrolled_window_new();
  GtkWidget *body = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);

  gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), body);
  gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER,
                                 GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand(scroll, TRUE);
  gtk_box_append(GTK_BOX(page), scroll);
  return body;
}

GtkListBox *rgsg_boxed_list(GtkWidget *box, const char *a11y)
{
  GtkWidget *list = gtk_list_box_new();

  gtk_list_box_set_selection_mode(GTK_LIST_BOX(list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class(list, "boxed-list");
  rgsg_a11y_label(list, a11y);
  gtk_box_append(GTK_BOX(box), list);
  return GTK_LIST_BOX(list);
}

GtkCheckButton *rgsg_choice_row(GtkListBox *list, GtkCheckButton *group, const char *title,
                                const char *subtitle)
{
  GtkWidget *row = adw_action_row_new();
  GtkWidget *radio = gtk_check_button_new();

  if (group != NULL)
    gtk_check_button_set_group(GTK_CHECK_BUTTON(radio), group);
  gtk_widget_set_valign(radio, GTK_ALIGN_CENTER);
  adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
  adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
  adw_action_row_add_prefix(ADW_ACTION_ROW(row), radio);
  adw_action_row_set_activatable_widget(ADW_ACTION_ROW(row), radio);
  gtk_list_box_append(list, row);
  return GTK_CHECK_BUTTON(radio);
}

GtkWidget *rgsg_labelled_entry(GtkWidget *box, const char *label)
{
  GtkWidget *line = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *l = rgsg_label(label, NULL);
  GtkWidget *e = gtk_entry_new();

  /* The label names the entry (labelled-by): its accessible name. */
  gtk_label_set_mnemonic_widget(GTK_LABEL(l), e);
  gtk_label_set_wrap(GTK_LABEL(l), FALSE);
  gtk_widget_set_hexpand(e, TRUE);
  gtk_box_append(GTK_BOX(line), l);
  gtk_box_append(GTK_BOX(line), e);
  gtk_box_append(GTK_BOX(box), line);
  return e;
}

int rgsg_date_field_iso(GtkWidget *entry, char *iso, size_t n)
{
  const char *text = gtk_editable_get_text(GTK_EDITABLE(entry));
  unsigned want = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(entry), "rgsg-want"));
  const char *p = text;

  iso[0] = '\0';
  while (*p == ' ')
    p++;
  if (*p == '\0')
    return 0;
  return rgsx_date_input(text, want, iso, n) == RGSX_DATE_OK ? 1 : -1;
}

/* As typed: the date in words, or why it does not read yet. */
static void on_date_changed(GtkEditable *e, gpointer data)
{
  GtkLabel *hint = data;
  unsigned want = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(e), "rgsg-want"));
  char iso[32], words[160];
  int rc = rgsg_date_field_iso(GTK_WIDGET(e), iso, sizeof(iso));

  gtk_widget_remove_css_class(GTK_WIDGET(hint), "error");
  gtk_widget_remove_css_class(GTK_WIDGET(e), "error");
  /* Hidden when empty: nothing to read out. */
  gtk_widget_set_visible(GTK_WIDGET(hint), rc != 0);
  if (rc == 0) {
    gtk_label_set_text(hint, "");
  } else if (rc > 0) {
    rgsx_time_text(iso, 0, words, sizeof(words));
    gtk_label_set_text(hint, words);
  } else {
    /* The reason is a clause of the command's messages: a sentence here. */
    const char *why = rgsx_date_strerror(rgsx_date_input(gtk_editable_get_text(e), want, iso,
                                                         sizeof(iso)));
    char *first = g_utf8_strup(why, g_utf8_next_char(why) - why);
    char *text = g_strdup_printf("%s%s.", first, g_utf8_next_char(why));

    gtk_label_set_text(hint, text);
    g_free(text);
    g_free(first);
    gtk_widget_add_css_class(GTK_WIDGET(hint), "error");
    gtk_widget_add_css_class(GTK_WIDGET(e), "error");
  }
}

GtkWidget *rgsg_date_field(GtkWidget *box, const char *label, unsigned want)
{
  GtkWidget *e = rgsg_labelled_entry(box, label);
  GtkWidget *hint = rgsg_label("", "dim-label");

  g_object_set_data(G_OBJECT(e), "rgsg-want", GUINT_TO_POINTER(want));
  gtk_entry_set_placeholder_text(GTK_ENTRY(e), want == RGSX_DATE_WANT_TIME
                                                 ? _("20/12/2026 10h00") : _("20/12/2026"));
  g_signal_connect(e, "changed", G_CALLBACK(on_date_changed), hint);
  gtk_widget_set_visible(hint, FALSE);
  gtk_box_append(GTK_BOX(box), hint);
  return e;
}

/* ---- text from outside, dates ------------------------------------------ */

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

/* ---- shared by the holder's and the officer's windows ------------------- */

/* Only the page shown is visible: the pages behind it stay out of the
 * accessibility tree's visible state (GTK 4.8 sets no SHOWING state), so a
 * screen reader or a test never meets a "Continue" of another page. */
void rgsg_stack_show(GtkWindow *win, GtkStack *stack, const char *name,
                     GtkWidget *default_button)
{
  GtkWidget *page = gtk_stack_get_child_by_name(stack, name);
  GtkWidget *c;

  gtk_widget_set_visible(page, TRUE);
  gtk_stack_set_visible_child(stack, page);
  for (c = gtk_widget_get_first_child(GTK_WIDGET(stack)); c != NULL;
       c = gtk_widget_get_next_sibling(c))
    gtk_widget_set_visible(c, c == page);
  gtk_window_set_default_widget(win, default_button);
  if (default_button != NULL && gtk_widget_get_sensitive(default_button))
    gtk_widget_grab_focus(default_button);
}

GtkWidget *rgsg_criterion_row(JsonNode *c)
{
  const char *sentence = rgsg_criterion_sentence(rgsg_str(c, "id"));
  rgsg_verdict v = rgsg_verdict_of(rgsg_str(c, "verdict"),
                                   rgsg_bool(c, "waived_by_demo_policy", FALSE));
  GtkWidget *row = adw_action_row_new();
  GtkWidget *icon = gtk_image_new_from_icon_name(
    v == RGSG_VERDICT_PASS ? "emblem-ok-symbolic"
    : v == RGSG_VERDICT_DEMO ? "dialog-warning-symbolic" : "dialog-error-symbolic");
  char *title = rgsg_clean(sentence != NULL ? sentence : rgsg_str(c, "title"));

  adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
  adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
  adw_action_row_set_subtitle(ADW_ACTION_ROW(row), rgsg_verdict_text(v));
  rgsg_a11y_label(icon, rgsg_verdict_text(v));
  adw_action_row_add_prefix(ADW_ACTION_ROW(row), icon);
  g_free(title);
  return row;
}
