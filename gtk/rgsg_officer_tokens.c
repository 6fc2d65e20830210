/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_officer_tokens.c - step 2 of the officer's window: the two tokens
 * plugged in told apart (`tokens`: the holder's is the one whose serial the
 * dossier names, the AED's the other one), then the holder's checked
 * (`check`), in plain words as on the holder's check page. */
#include <string.h>
#include "rgsx_i18n.h"
#include "rgsg_internal.h"
#include "rgsg_officer_int.h"
#include "rgsg_pin.h"
#include "rgsg_ui.h"

static void tokens_idle(rgsg_off *o)
{
  rgsg_busy(o->t_busy, FALSE, NULL);
}

static void check_holder(rgsg_off *o);

/* order check-qr on the holder's key: the key of the dossier is on it (a
 * serial alone can be copied). Then the key is checked. */
static void on_qr(const rgsg_result *r, gpointer data)
{
  rgsg_off *o = data;
  char *text;

  tokens_idle(o);
  if (!rgsg_bool(r->root, "key_on_token", FALSE)) {
    gtk_label_set_text(o->t_summary, rgsg_str(r->root, "error") != NULL
      ? rgsg_error_text(r)
      : _("This key does not hold the key named in the dossier: it is not the key of this order, or its key was replaced. Do not hold the face-to-face with it."));
    return;
  }
  text = g_strdup_printf("%s\n%s", gtk_label_get_text(o->t_holder),
                         _("It holds the key named in the dossier."));
  gtk_label_set_text(o->t_holder, text);
  g_free(text);
  check_holder(o);
}

static void check_qr(rgsg_off *o)
{
  const char *args[] = { "--token", o->holder_uri, "order", "check-qr", o->short_form, NULL };

  /* Without the dossier's key nothing ties this key to the order: refused,
   * never checked by its serial alone. */
  if (o->short_form == NULL) {
    gtk_label_set_text(o->t_summary, _("The dossier does not name the key of the order: the holder's key cannot be told apart from a copy. Ask the holder to export the dossier again from their window."));
    gtk_widget_set_sensitive(o->t_next, FALSE);
    return;
  }
  rgsg_busy(o->t_busy, TRUE, _("Looking for the dossier's key on the holder's key…"));
  if (!rgsg_off_run(o, args, NULL, 0, on_qr, o->t_summary))
    tokens_idle(o);
}

static void on_check(const rgsg_result *r, gpointer data)
{
  rgsg_off *o = data;
  JsonNode *crit = rgsg_get(r->root, "criteria");
  guint i, n = rgsg_len(crit, NULL);
  gboolean go = r->exit_status == 0 ||
                (r->exit_status == 1 && rgsg_bool(r->root, "admitted_by_demo_policy", FALSE));

  tokens_idle(o);
  for (i = 0; i < n; i++)
    gtk_list_box_append(o->t_list,
                        rgsg_criterion_row(json_array_get_element(json_node_get_array(crit), i)));
  if (r->exit_status == 0)
    gtk_label_set_text(o->t_summary, _("The holder's key meets RGS**."));
  else if (go)
    gtk_label_set_text(o->t_summary,
      _("A demonstration key: accepted for tests only, never for a real certificate."));
  else if (r->exit_status == 1)
    gtk_label_set_text(o->t_summary,
      _("The holder's key cannot hold an RGS** certificate: the face-to-face cannot go on with it."));
  else
    gtk_label_set_text(o->t_summary, rgsg_error_text(r));
  gtk_widget_set_sensitive(o->t_next, go);
  rgsg_off_show(o, "tokens", go ? o->t_next : NULL);
}

static void check_holder(rgsg_off *o)
{
  const char *args[] = { "--token", o->holder_uri, "check", NULL };

  rgsg_busy(o->t_busy, TRUE, _("Checking the holder's key…"));
  if (!rgsg_off_run(o, args, NULL, 0, on_check, o->t_summary))
    tokens_idle(o);
}

/* "label" (manufacturer model, serial S), sanitised. */
static char *describe(JsonNode *s)
{
  char *label = rgsg_clean(rgsg_str(s, "token.label"));
  char *maker = rgsg_clean(rgsg_str(s, "token.manufacturer"));
  char *model = rgsg_clean(rgsg_str(s, "token.model"));
  char *serial = rgsg_clean(rgsg_str(s, "token.serial"));
  char *text = g_strdup_printf(_("\"%s\" (%s %s, serial %s)"), label, maker, model, serial);

  g_free(label);
  g_free(maker);
  g_free(model);
  g_free(serial);
  return text;
}

/* The holder's token: the serial of the dossier; the AED's: the other
 * tokens ready for use, kept in o->aed_* (the first one chosen). */
static JsonNode *pick_tokens(rgsg_off *o, JsonNode *root)
{
  JsonNode *slots = rgsg_get(root, "slots"), *s, *holder = NULL;
  guint i, n = rgsg_len(slots, NULL);
  const char *serial, *ps;

  for (i = 0; i < n; i++) {
    s = json_array_get_element(json_node_get_array(slots), i);
    serial = rgsg_str(s, "token.serial");
    ps = rgsg_str(s, "token.pin_state");
    if (!rgsg_bool(s, "token_present", FALSE) || rgsg_str(s, "uri") == NULL || serial == NULL ||
        (ps != NULL && strcmp(ps, "not-initialized") == 0))
      continue;
    if (holder == NULL && o->serial != NULL && strcmp(serial, o->serial) == 0) {
      holder = s;
      continue;
    }
    g_ptr_array_add(o->aed_uris, g_strdup(rgsg_str(s, "uri")));
    g_ptr_array_add(o->aed_labels, rgsg_clean(rgsg_str(s, "token.label")));
    g_ptr_array_add(o->aed_texts, describe(s));
  }
  return holder;
}

/* The AED's key: candidate i. */
static void choose_aed(rgsg_off *o, guint i)
{
  char *text;

  if (i >= o->aed_uris->len)
    return;
  g_free(o->aed_uri);
  g_free(o->aed_label);
  o->aed_uri = g_strdup(g_ptr_array_index(o->aed_uris, i));
  o->aed_label = g_strdup(g_ptr_array_index(o->aed_labels, i));
  text = g_strdup_printf(_("Your AED key: %s. It signs the record."),
                         (const char *)g_ptr_array_index(o->aed_texts, i));
  gtk_label_set_text(o->t_aed, text);
  g_free(text);
}

static void on_aed_picked(GObject *dd, GParamSpec *ps, gpointer data)
{
  (void)ps;
  choose_aed(data, gtk_drop_down_get_selected(GTK_DROP_DOWN(dd)));
}

/* Several keys besides the holder's: the officer says which is theirs. */
static void offer_aeds(rgsg_off *o)
{
  GtkStringList *model = gtk_string_list_new(NULL);
  guint i;

  for (i = 0; i < o->aed_texts->len; i++)
    gtk_string_list_append(model, g_ptr_array_index(o->aed_texts, i));
  gtk_drop_down_set_model(o->t_aed_pick, G_LIST_MODEL(model));
  g_object_unref(model);
  gtk_drop_down_set_selected(o->t_aed_pick, 0);
  gtk_widget_set_visible(GTK_WIDGET(o->t_aed_pick), o->aed_texts->len > 1);
  choose_aed(o, 0);
}

static void reset_candidates(rgsg_off *o)
{
  g_clear_pointer(&o->aed_uris, g_ptr_array_unref);
  g_clear_pointer(&o->aed_labels, g_ptr_array_unref);
  g_clear_pointer(&o->aed_texts, g_ptr_array_unref);
  o->aed_uris = g_ptr_array_new_with_free_func(g_free);
  o->aed_labels = g_ptr_array_new_with_free_func(g_free);
  o->aed_texts = g_ptr_array_new_with_free_func(g_free);
}

static void on_tokens(const rgsg_result *r, gpointer data)
{
  rgsg_off *o = data;
  JsonNode *holder;
  char *text, *desc;

  tokens_idle(o);
  reset_candidates(o);
  holder = pick_tokens(o, r->exit_status == 0 ? r->root : NULL);
  if (holder == NULL) {
    text = g_strdup_printf(_("The holder's key (serial %s, named in the dossier) is not plugged in. Plug it in, then press Look again."), o->serial);
    gtk_label_set_text(o->t_holder, r->exit_status == 0 || r->exit_status == 4 ? text
                                                                              : rgsg_error_text(r));
    g_free(text);
  } else {
    g_free(o->holder_uri);
    g_free(o->holder_label);
    o->holder_uri = g_strdup(rgsg_str(holder, "uri"));
    o->holder_label = rgsg_clean(rgsg_str(holder, "token.label"));
    desc = describe(holder);
    text = g_strdup_printf(_("The holder's key: %s, the serial named in the dossier."), desc);
    gtk_label_set_text(o->t_holder, text);
    g_free(text);
    g_free(desc);
  }
  if (o->aed_uris->len == 0)
    gtk_label_set_text(o->t_aed, _("Your own AED key is not plugged in. Plug it in, then press Look again."));
  else
    offer_aeds(o);
  if (holder != NULL && o->aed_uris->len > 0)
    check_qr(o);
}

static void look(rgsg_off *o)
{
  static const char *const args[] = { "tokens", NULL };

  if (o->running)
    return;
  rgsg_list_clear(o->t_list);
  gtk_label_set_text(o->t_holder, "");
  gtk_label_set_text(o->t_aed, "");
  gtk_label_set_text(o->t_summary, "");
  gtk_widget_set_sensitive(o->t_next, FALSE);
  rgsg_off_show(o, "tokens", NULL);
  rgsg_busy(o->t_busy, TRUE, _("Looking for the two keys…"));
  if (!rgsg_off_run(o, args, NULL, 0, on_tokens, o->t_summary))
    tokens_idle(o);
}

void rgsg_off_tokens_enter(rgsg_off *o)
{
  look(o);
}

GtkWidget *rgsg_off_tokens_page(rgsg_off *o)
{
  GtkWidget *page = rgsg_page(_("2. The two keys"));
  GtkWidget *row, *back, *again;

  gtk_box_append(GTK_BOX(page), rgsg_label(
    _("Plug in the holder's key and your own AED key. The holder's key is checked first."), NULL));
  o->t_busy = rgsg_busy_new("", NULL);
  gtk_box_append(GTK_BOX(page), o->t_busy);
  o->t_holder = GTK_LABEL(rgsg_label("", "heading"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(o->t_holder));
  o->t_aed = GTK_LABEL(rgsg_label("", "heading"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(o->t_aed));
  o->t_aed_pick = GTK_DROP_DOWN(gtk_drop_down_new(NULL, NULL));
  rgsg_a11y_label(GTK_WIDGET(o->t_aed_pick), _("Which key is yours"));
  gtk_widget_set_visible(GTK_WIDGET(o->t_aed_pick), FALSE);
  g_signal_connect(o->t_aed_pick, "notify::selected", G_CALLBACK(on_aed_picked), o);
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(o->t_aed_pick));
  o->t_summary = GTK_LABEL(rgsg_label("", NULL));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(o->t_summary));
  o->t_list = rgsg_boxed_list(rgsg_scrolled_body(page), _("Checks of the holder's key"));
  row = rgsg_button_row(page);
  gtk_widget_set_vexpand(row, FALSE);
  back = rgsg_button(row, _("Back"), FALSE);
  again = rgsg_button(row, _("Look again"), FALSE);
  o->t_next = rgsg_button(row, _("Continue"), TRUE);
  g_signal_connect_swapped(back, "clicked", G_CALLBACK(rgsg_off_dossier_enter), o);
  g_signal_connect_swapped(again, "clicked", G_CALLBACK(look), o);
  g_signal_connect_swapped(o->t_next, "clicked", G_CALLBACK(rgsg_off_pop_enter), o);
  return page;
}
