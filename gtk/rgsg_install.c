/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_install.c - the certificate installed on the key (page "install"):
 * the file chosen or dropped on the page, `install N --cert FILE` (the PIN
 * flow of rgsg_pinrun.c), every check of the command in a list with its
 * evidence on demand, --replace only after a question, then `browsers
 * --add` on request. */
#include <adwaita.h>
#include "rgsx_i18n.h"
#include "rgsg_files.h"
#include "rgsg_pin.h"
#include "rgsg_pinrun.h"
#include "rgsg_steps.h"
#include "rgsg_ui.h"

struct rgsg_install_ui {
  GtkWidget *busy, *choose, *browsers;
  GtkLabel *error, *tries, *summary, *browsers_done;
  GtkListBox *checks;
  char *file;                 /* the certificate being installed */
  gboolean replace;           /* the person agreed to replace the one there */
};

static void ui_free(gpointer data)
{
  struct rgsg_install_ui *u = data;

  g_free(u->file);
  g_free(u);
}

/* One line of the list: what was checked in words, the verdict, and the
 * command's evidence under it, shown on demand. */
static GtkWidget *check_row(const char *title, rgsg_verdict v, const char *subtitle,
                            const char *evidence)
{
  GtkWidget *row = adw_expander_row_new();
  GtkWidget *icon = gtk_image_new_from_icon_name(
    v == RGSG_VERDICT_PASS ? "emblem-ok-symbolic"
    : v == RGSG_VERDICT_FAIL ? "dialog-error-symbolic" : "dialog-warning-symbolic");
  GtkWidget *detail = rgsg_label("", "dim-label");
  char *t = rgsg_clean(title), *s = rgsg_clean(subtitle), *e = rgsg_clean(evidence);

  adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), t);
  adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
  adw_expander_row_set_subtitle(ADW_EXPANDER_ROW(row), s);
  rgsg_a11y_label(icon, rgsg_verdict_text(v));
  adw_expander_row_add_prefix(ADW_EXPANDER_ROW(row), icon);
  gtk_label_set_text(GTK_LABEL(detail), e[0] != '\0' ? e : _("No more detail."));
  gtk_label_set_selectable(GTK_LABEL(detail), TRUE);
  gtk_widget_set_margin_start(detail, 12);
  gtk_widget_set_margin_end(detail, 12);
  gtk_widget_set_margin_top(detail, 6);
  gtk_widget_set_margin_bottom(detail, 6);
  adw_expander_row_add_row(ADW_EXPANDER_ROW(row), detail);
  g_free(t);
  g_free(s);
  g_free(e);
  return row;
}

static GtkWidget *criterion_row(JsonNode *c)
{
  const char *sentence = rgsg_criterion_sentence(rgsg_str(c, "id"));
  const char *plain = rgsg_str(c, "plain"), *advice = rgsg_str(c, "advice");
  rgsg_verdict v = rgsg_verdict_of(rgsg_str(c, "verdict"),
                                   rgsg_bool(c, "waived_by_demo_policy", FALSE));
  char *sub = v == RGSG_VERDICT_PASS || advice == NULL
                ? g_strdup(rgsg_verdict_text(v))
                : g_strdup_printf("%s. %s", rgsg_verdict_text(v), advice);
  GtkWidget *row;

  if (sentence == NULL)
    sentence = plain != NULL ? plain : rgsg_str(c, "title");
  row = check_row(sentence, v, sub, rgsg_str(c, "evidence"));
  g_free(sub);
  return row;
}

/* The CA asked whether it revoked the certificate: its answer in the
 * command's words, the service and the details on demand. */
static GtkWidget *revocation_row(JsonNode *rev)
{
  const char *status = rgsg_str(rev, "status");
  rgsg_verdict v = g_strcmp0(status, "good") == 0 ? RGSG_VERDICT_PASS
                   : g_strcmp0(status, "revoked") == 0 ? RGSG_VERDICT_FAIL
                   : RGSG_VERDICT_UNKNOWN;
  const char *detail = rgsg_str(rev, "detail");
  char *evidence = g_strdup_printf("%s%s%s", rgsg_str(rev, "url") != NULL ? rgsg_str(rev, "url") : "",
                                   detail != NULL ? "\n" : "", detail != NULL ? detail : "");
  GtkWidget *row = check_row(_("The certification authority has not revoked the certificate."), v,
                             rgsg_str(rev, "message"), evidence);

  g_free(evidence);
  return row;
}

static void show_checks(rgsg_win *w, JsonNode *root)
{
  JsonNode *crit = rgsg_get(root, "criteria"), *rev = rgsg_get(root, "revocation");
  guint i, pass, n = rgsg_len(crit, NULL);

  rgsg_list_clear(w->install->checks);
  /* What failed first, where the person looks. */
  for (pass = 0; pass < 2; pass++)
    for (i = 0; i < n; i++) {
      JsonNode *c = json_array_get_element(json_node_get_array(crit), i);
      gboolean ok = g_strcmp0(rgsg_str(c, "verdict"), "pass") == 0;

      if (ok == (pass == 1))
        gtk_list_box_append(w->install->checks, criterion_row(c));
    }
  if (rev != NULL && JSON_NODE_HOLDS_OBJECT(rev))
    gtk_list_box_append(w->install->checks, revocation_row(rev));
  gtk_widget_set_visible(GTK_WIDGET(w->install->checks), n > 0 || rev != NULL);
}

static void install_now(rgsg_win *w);

static void replace_agreed(rgsg_win *w)
{
  w->install->replace = TRUE;
  install_now(w);
}

static void show_installed(rgsg_win *w, JsonNode *root)
{
  struct rgsg_install_ui *u = w->install;
  char *name = rgsg_dn_name(rgsg_str(root, "certificate.subject"));
  char *from = rgsg_when(rgsg_str(root, "certificate.not_before"), FALSE);
  char *to = rgsg_when(rgsg_str(root, "certificate.not_after"), FALSE);
  char *text = g_strdup_printf(_("Your certificate is installed on your key.\nIn the name of: %s\nValid from %s to %s."),
                               name, from, to);

  gtk_label_set_text(u->summary, text);
  gtk_label_set_text(u->tries, "");
  /* The next step is the browsers: the one main button. */
  gtk_widget_remove_css_class(u->choose, "suggested-action");
  gtk_widget_set_sensitive(u->choose, TRUE);
  gtk_widget_set_visible(u->browsers, TRUE);
  rgsg_show(w, "install", u->browsers);
  g_free(text);
  g_free(to);
  g_free(from);
  g_free(name);
}

static void on_installed(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  struct rgsg_install_ui *u = w->install;
  char *text;

  show_checks(w, r->root);
  if (r->exit_status == 0) {
    show_installed(w, r->root);
    return;
  }
  if (g_strcmp0(rgsg_str(r->root, "error.code"), "certificate-other-installed") == 0) {
    /* The command's words name its option: the question says it for people. */
    gtk_label_set_text(u->summary,
      _("Another certificate for this key pair is already on your key: nothing was changed."));
    rgsg_ask(w, _("Replace the certificate?"),
             _("Another certificate for the same key pair is already on your key. Replace it with this one? The old one is removed only once the new one is written and read back."),
             _("Replace"), replace_agreed);
    return;
  }
  text = rgsg_failure_text(rgsg_error_text(r), rgsg_get(r->root, "criteria") != NULL
    ? _("See the lines marked No below. If the file is the one Certigna sent for this order, contact Certigna with these details.")
    : NULL);
  gtk_label_set_text(u->summary, text);
  g_free(text);
}

static void install_now(rgsg_win *w)
{
  struct rgsg_install_ui *u = w->install;
  char id[32];
  const char *args[] = { "install", id, "--cert", u->file, u->replace ? "--replace" : NULL, NULL };
  rgsg_pinrun_spec spec = {
    .busy = u->busy, .error = u->error, .tries = u->tries, .go = u->choose,
    .working = _("Checking the certificate and writing it on your key. Do not unplug the key."),
    .args = args, .done = on_installed,
  };

  g_snprintf(id, sizeof(id), "%lld", (long long)w->order_id);
  gtk_label_set_text(u->summary, "");
  gtk_label_set_text(u->browsers_done, "");
  gtk_widget_set_visible(u->browsers, FALSE);
  rgsg_list_clear(u->checks);
  gtk_widget_set_visible(GTK_WIDGET(u->checks), FALSE);
  rgsg_pinrun_start(w, &spec);
}

static void on_file(rgsg_win *w, const char *path)
{
  if (w->running)
    return;
  g_free(w->install->file);
  w->install->file = g_strdup(path);
  w->install->replace = FALSE;
  install_now(w);
}

static void on_choose(GtkButton *b, gpointer data)
{
  rgsg_win *w = data;

  (void)b;
  rgsg_choose_file(w, _("Your certificate"), FALSE, NULL, on_file);
}

static void on_browsers_done(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  struct rgsg_install_ui *u = w->install;
  char *text;

  rgsg_busy(u->busy, FALSE, NULL);
  gtk_widget_set_sensitive(u->browsers, TRUE);
  gtk_widget_set_sensitive(u->choose, TRUE);
  if (r->exit_status == 0) {
    gtk_label_set_text(u->browsers_done,
      _("Firefox and Chromium can now use your certificate. If one of them is open, close it and open it again."));
    return;
  }
  text = rgsg_failure_text(rgsg_error_text(r), r->exit_status == 8
    ? _("Close Firefox and Chromium, then press the button again.") : NULL);
  gtk_label_set_text(u->browsers_done, text);
  g_free(text);
}

static void on_browsers(GtkButton *b, gpointer data)
{
  static const char *const args[] = { "browsers", "--add", NULL };
  rgsg_win *w = data;
  struct rgsg_install_ui *u = w->install;

  (void)b;
  if (w->running)
    return;
  gtk_label_set_text(u->browsers_done, "");
  gtk_widget_set_sensitive(u->browsers, FALSE);
  gtk_widget_set_sensitive(u->choose, FALSE);
  rgsg_busy(u->busy, TRUE, _("Adding your key to Firefox and Chromium…"));
  /* Not started: the reason is already in browsers_done; the buttons back. */
  if (!rgsg_win_run(w, args, NULL, FALSE, on_browsers_done, u->browsers_done)) {
    rgsg_busy(u->busy, FALSE, NULL);
    gtk_widget_set_sensitive(u->browsers, TRUE);
    gtk_widget_set_sensitive(u->choose, TRUE);
  }
}

static GtkWidget *checks_list(struct rgsg_install_ui *u)
{
  GtkWidget *scroll = gtk_scrolled_window_new();

  u->checks = GTK_LIST_BOX(gtk_list_box_new());
  gtk_list_box_set_selection_mode(u->checks, GTK_SELECTION_NONE);
  gtk_widget_add_css_class(GTK_WIDGET(u->checks), "boxed-list");
  gtk_widget_set_valign(GTK_WIDGET(u->checks), GTK_ALIGN_START);
  rgsg_a11y_label(GTK_WIDGET(u->checks), _("Checks of the certificate"));
  gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), GTK_WIDGET(u->checks));
  gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER,
                                 GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand(scroll, TRUE);
  /* Room for a few checks at once: the window grows to show them. */
  gtk_scrolled_window_set_min_content_height(GTK_SCROLLED_WINDOW(scroll), 220);
  return scroll;
}

GtkWidget *rgsg_install_page(rgsg_win *w)
{
  struct rgsg_install_ui *u = g_new0(struct rgsg_install_ui, 1);
  GtkWidget *page = rgsg_page(_("Installing your certificate"));
  GtkWidget *row, *back;

  w->install = u;
  g_object_set_data_full(G_OBJECT(page), "rgsg-ui", u, ui_free);
  gtk_box_append(GTK_BOX(page), rgsg_label(
    _("Certigna sends your certificate by e-mail or in your customer area: a file ending in .pem, .cer, .crt or .p7b. Choose it, or drop it onto this window. Every check is made before anything is written on your key; you will be asked for the key's PIN."), NULL));
  gtk_box_append(GTK_BOX(page), rgsg_label(_("Drop the certificate file here."), "dim-label"));
  u->busy = rgsg_busy_new("", NULL);
  gtk_box_append(GTK_BOX(page), u->busy);
  u->error = GTK_LABEL(rgsg_label("", "error"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(u->error));
  u->tries = GTK_LABEL(rgsg_label("", "warning"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(u->tries));
  u->summary = GTK_LABEL(rgsg_label("", "heading"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(u->summary));
  gtk_box_append(GTK_BOX(page), checks_list(u));
  u->browsers_done = GTK_LABEL(rgsg_label("", NULL));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(u->browsers_done));
  row = rgsg_button_row(page);
  gtk_widget_set_vexpand(row, FALSE);
  back = rgsg_button(row, _("Back"), FALSE);
  u->choose = rgsg_button(row, _("Choose the certificate file…"), TRUE);
  u->browsers = rgsg_button(row, _("Use it in Firefox and Chromium"), TRUE);
  g_signal_connect_swapped(back, "clicked", G_CALLBACK(rgsg_hub_enter), w);
  g_signal_connect(u->choose, "clicked", G_CALLBACK(on_choose), w);
  g_signal_connect(u->browsers, "clicked", G_CALLBACK(on_browsers), w);
  rgsg_drop_file(page, w, on_file);
  return page;
}

void rgsg_install_enter(rgsg_win *w)
{
  struct rgsg_install_ui *u = w->install;

  if (w->running)
    return;
  gtk_label_set_text(u->error, "");
  gtk_label_set_text(u->tries, "");
  gtk_label_set_text(u->summary, "");
  gtk_label_set_text(u->browsers_done, "");
  rgsg_list_clear(u->checks);
  gtk_widget_set_visible(GTK_WIDGET(u->checks), FALSE);
  gtk_widget_set_visible(u->browsers, FALSE);
  gtk_widget_add_css_class(u->choose, "suggested-action");
  gtk_widget_set_sensitive(u->choose, TRUE);
  rgsg_show(w, "install", u->choose);
}
