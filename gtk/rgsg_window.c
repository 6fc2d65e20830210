/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_window.c - the window, the token page and the check page. */
#include <stdlib.h>
#include <string.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "rgsg_internal.h"
#include "rgsg_pin.h"
#include "rgsg_pinrun.h"
#include "rgsg_ui.h"

typedef struct {
  rgsg_win *w;
  rgsg_done_fn done;
  rgsg_progress_fn progress;
} run_ctx;

void rgsg_show(rgsg_win *w, const char *name, GtkWidget *default_button)
{
  rgsg_stack_show(w->win, w->stack, name, default_button);
}

const char *rgsg_error_text(const rgsg_result *r)
{
  const char *m = rgsg_str(r->root, "error.message");

  if (m != NULL)
    return m;
  if (r->exit_status > 128)
    return _("The command stopped abruptly (the token's software may have crashed). Unplug the key, plug it in again and retry.");
  return _("The command failed without saying why.");
}

/* The window closed, its state goes once no child can call back. */
static gboolean can_free(const rgsg_win *w)
{
  return w->closed && !w->running && w->waiters == 0 && w->choosers == 0;
}

void rgsg_win_release(rgsg_win *w)
{
  if (can_free(w))
    rgsg_win_free(w);
}

static void on_child_done(const rgsg_result *r, gpointer data)
{
  run_ctx *rc = data;

  rc->w->running = FALSE;
  if (!rc->w->closed)
    rc->done(r, rc->w);
  else if (can_free(rc->w))
    rgsg_win_free(rc->w);     /* else the last waiter to end frees it */
  g_free(rc);
}

/* The widgets may be gone (window closed, child still running). */
static void on_child_progress(const char *event, const char *step, gint64 elapsed_ms,
                              gpointer data)
{
  run_ctx *rc = data;

  if (!rc->w->closed)
    rc->progress(event, step, elapsed_ms, rc->w);
}

gboolean rgsg_win_run(rgsg_win *w, const char *const *args, const char *pin, gboolean final_try,
                      rgsg_done_fn done, GtkLabel *status)
{
  return rgsg_win_run_progress(w, args, pin, final_try, NULL, done, status);
}

gboolean rgsg_win_run_progress(rgsg_win *w, const char *const *args, const char *pin,
                               gboolean final_try, rgsg_progress_fn progress, rgsg_done_fn done,
                               GtkLabel *status)
{
  GPtrArray *v = g_ptr_array_new();
  GError *err = NULL;
  run_ctx *rc = g_new0(run_ctx, 1);
  gboolean ok;
  size_t i;

  if (w->token_uri != NULL) {
    g_ptr_array_add(v, (gpointer) "--token");
    g_ptr_array_add(v, w->token_uri);
  }
  for (i = 0; args[i] != NULL; i++)
    g_ptr_array_add(v, (gpointer)args[i]);
  g_ptr_array_add(v, NULL);
  rc->w = w;
  rc->done = done;
  rc->progress = progress;
  ok = rgsg_run_progress(&w->ctx, (const char *const *)v->pdata, pin, final_try,
                         progress != NULL ? on_child_progress : NULL, on_child_done, rc, &err);
  if (!ok) {
    rgsg_start_failed(status, err);
    g_free(rc);
  } else {
    w->running = TRUE;
  }
  g_ptr_array_unref(v);
  return ok;
}

/* ---- token page ------------------------------------------------------- */

/* The first slot with an initialised token: SoftHSM, like readers with
 * several slots, also lists an empty, uninitialised one. */
static JsonNode *first_token(JsonNode *root, const char *want_uri)
{
  JsonNode *slots = rgsg_get(root, "slots"), *s;
  guint i, n = rgsg_len(slots, NULL);
  const char *ps, *uri;

  for (i = 0; i < n; i++) {
    s = json_array_get_element(json_node_get_array(slots), i);
    ps = rgsg_str(s, "token.pin_state");
    uri = rgsg_str(s, "uri");
    if (rgsg_bool(s, "token_present", FALSE) && uri != NULL &&
        (ps == NULL || strcmp(ps, "not-initialized") != 0) &&
        (want_uri == NULL || strcmp(uri, want_uri) == 0))
      return s;
  }
  return NULL;
}

static void token_look(rgsg_win *w, gboolean may_wait);

/* Stop waiting for a key (the window moves on, looks again, or closes). */
static void waiter_stop(rgsg_win *w)
{
  if (w->token_waiter == NULL)
    return;
  rgsg_stop(w->token_waiter);
  g_clear_object(&w->token_waiter);
}

typedef struct {
  rgsg_win *w;
  GSubprocess *proc;
} waiter_ctx;

/* The watch ended: a key plugged in (its one document names the token),
 * or stopped. A key found this way is looked for once; if `tokens` does
 * not take it (another key than --token's), no new wait starts by itself:
 * it would find that key again at once. */
static void on_waited(const rgsg_result *r, gpointer data)
{
  waiter_ctx *wc = data;
  rgsg_win *w = wc->w;
  gboolean current = wc->proc == w->token_waiter;

  w->waiters--;
  g_object_unref(wc->proc);
  g_free(wc);
  if (can_free(w)) {
    rgsg_win_free(w);
    return;
  }
  if (!current || w->closed)
    return;
  g_clear_object(&w->token_waiter);
  rgsg_busy(w->token_busy, FALSE, NULL);
  if (r->exit_status == 0 && rgsg_str(r->root, "event") != NULL)
    token_look(w, FALSE);
  else                        /* the wait failed: no promise of going on alone */
    gtk_label_set_text(w->token_status, _("No key found. Plug in your key, then press Look again."));
}

/* No key yet: `watch --once --dry-run` waits for one (the module's slot
 * events, or its polls with backoff; udev as a hint), without the person
 * pressing anything. It only says which token came: nothing is done. */
static void waiter_start(rgsg_win *w)
{
  static const char *const args[] = { "watch", "--once", "--dry-run", "--no-notify", NULL };
  waiter_ctx *wc = g_new0(waiter_ctx, 1);

  wc->w = w;
  wc->proc = rgsg_run_stoppable(&w->ctx, args, on_waited, wc, NULL);
  if (wc->proc == NULL) {
    g_free(wc);               /* "Look again" still works */
    return;
  }
  w->token_waiter = g_object_ref(wc->proc);
  w->waiters++;
  /* No spinner turning for as long as no key comes: no busy redraw. */
  rgsg_busy_still(w->token_busy, _("Waiting for your key…"));
}

static void on_tokens(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  JsonNode *s = r->exit_status == 0 ? first_token(r->root, w->want_uri) : NULL;
  char *label, *model, *text;
  gboolean none = r->exit_status == 0 || r->exit_status == 4;

  rgsg_busy(w->token_busy, FALSE, NULL);
  gtk_widget_set_sensitive(w->token_retry, TRUE);
  if (s == NULL) {
    gtk_label_set_text(w->token_status,
                       !none ? rgsg_error_text(r)
                       : w->may_wait ? _("No key found yet. Plug in your key: the window goes on by itself when it finds it.")
                                     : _("No key found. Plug in your key, then press Look again."));
    gtk_widget_set_sensitive(w->token_next, FALSE);
    rgsg_show(w, "token", w->token_retry);
    if (none && w->may_wait)
      waiter_start(w);
    return;
  }
  g_free(w->token_uri);
  w->token_uri = g_strdup(rgsg_str(s, "uri"));
  label = rgsg_clean(rgsg_str(s, "token.label"));
  model = g_strdup_printf("%s %s", rgsg_str0(s, "token.manufacturer"), rgsg_str0(s, "token.model"));
  text = rgsg_clean(model);
  g_free(w->token_label);
  w->token_label = label;
  w->pin_state = rgsg_pin_state_of(rgsg_str(s, "token.pin_state"));
  g_free(model);
  model = g_strdup_printf(_("Key found: \"%s\" (%s)."), label, text);
  gtk_label_set_text(w->token_status, model);
  gtk_widget_set_sensitive(w->token_next, TRUE);
  rgsg_show(w, "token", w->token_next);
  g_free(model);
  g_free(text);
  /* Opened for an order (the watcher's notification): straight to its step. */
  if (w->start_order != 0)
    rgsg_resume(w);
}

/* `tokens`; may_wait: when no key is there, wait for one (not after a
 * wait that found a key `tokens` did not take). */
static void token_look(rgsg_win *w, gboolean may_wait)
{
  static const char *const args[] = { "tokens", NULL };
  char *saved = w->token_uri;

  if (w->running)
    return;
  waiter_stop(w);
  w->may_wait = may_wait;
  gtk_widget_set_sensitive(w->token_retry, FALSE);
  gtk_widget_set_sensitive(w->token_next, FALSE);
  gtk_label_set_text(w->token_status, "");
  rgsg_busy(w->token_busy, TRUE, _("Looking for your key…"));
  w->token_uri = NULL;   /* tokens lists them all */
  rgsg_win_run(w, args, NULL, FALSE, on_tokens, w->token_status);
  w->token_uri = saved;
}

static void on_token_retry(GtkButton *b, gpointer data)
{
  (void)b;
  token_look(data, TRUE);
}

static void on_token_next(GtkButton *b, gpointer data)
{
  rgsg_win *w = data;

  (void)b;
  if (w->start_order != 0)
    rgsg_resume(w);
  else
    rgsg_check_start(w);
}

static GtkWidget *token_page(rgsg_win *w)
{
  GtkWidget *page = rgsg_page(_("Your key"));
  GtkWidget *row;

  gtk_box_append(GTK_BOX(page), rgsg_label(
    _("Plug in the USB key (or insert the card) that will hold your RGS** certificate."), NULL));
  w->token_busy = rgsg_busy_new("", NULL);
  gtk_box_append(GTK_BOX(page), w->token_busy);
  w->token_status = GTK_LABEL(rgsg_label("", "heading"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(w->token_status));
  row = rgsg_button_row(page);
  w->token_retry = rgsg_button(row, _("Look again"), FALSE);
  w->token_next = rgsg_button(row, _("Check this key"), TRUE);
  g_signal_connect(w->token_retry, "clicked", G_CALLBACK(on_token_retry), w);
  g_signal_connect(w->token_next, "clicked", G_CALLBACK(on_token_next), w);
  return page;
}

/* ---- check page ------------------------------------------------------- */

static void on_check(const rgsg_result *r, gpointer data)
{
  rgsg_win *w = data;
  JsonNode *crit = rgsg_get(r->root, "criteria");
  guint i, n = rgsg_len(crit, NULL);
  gboolean go = FALSE;

  rgsg_busy(w->check_busy, FALSE, NULL);
  for (i = 0; i < n; i++)
    gtk_list_box_append(w->check_list,
                        rgsg_criterion_row(json_array_get_element(json_node_get_array(crit), i)));
  if (r->exit_status == 0) {
    gtk_label_set_text(w->check_summary, _("This key meets RGS**: you can go on."));
    go = TRUE;
  } else if (r->exit_status == 1 && rgsg_bool(r->root, "admitted_by_demo_policy", FALSE)) {
    gtk_label_set_text(w->check_summary,
      _("A demonstration key: accepted for tests only, never for a real certificate."));
    go = TRUE;
  } else if (r->exit_status == 1) {
    gtk_label_set_text(w->check_summary,
      _("This key cannot hold an RGS** certificate: see the lines marked No. Use a qualified key."));
  } else {
    gtk_label_set_text(w->check_summary, rgsg_error_text(r));
  }
  gtk_widget_set_sensitive(w->check_next, go);
  rgsg_show(w, "check", go ? w->check_next : NULL);
}

void rgsg_check_start(rgsg_win *w)
{
  static const char *const args[] = { "check", NULL };

  if (w->running)
    return;
  rgsg_list_clear(w->check_list);
  gtk_label_set_text(w->check_summary, "");
  gtk_widget_set_sensitive(w->check_next, FALSE);
  rgsg_show(w, "check", NULL);
  rgsg_busy(w->check_busy, TRUE, _("Checking the key…"));
  if (!rgsg_win_run(w, args, NULL, FALSE, on_check, w->check_summary))
    rgsg_busy(w->check_busy, FALSE, NULL);
}

static void on_check_next(GtkButton *b, gpointer data)
{
  rgsg_win *w = data;

  (void)b;
  /* The order is known when the window was opened for it. */
  if (w->start_order != 0) {
    w->order_id = w->start_order;
    rgsg_key_enter(w);
  } else {
    rgsg_order_enter(w);
  }
}

static void on_check_back(GtkButton *b, gpointer data)
{
  (void)b;
  token_look(data, TRUE);
}

static GtkWidget *check_page(rgsg_win *w)
{
  GtkWidget *page = rgsg_page(_("Is this key fit for RGS**?"));
  GtkWidget *row, *back;

  w->check_busy = rgsg_busy_new("", NULL);
  gtk_box_append(GTK_BOX(page), w->check_busy);
  w->check_summary = GTK_LABEL(rgsg_label("", "heading"));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(w->check_summary));
  w->check_list = rgsg_boxed_list(rgsg_scrolled_body(page), _("Checks of the key"));
  row = rgsg_button_row(page);
  gtk_widget_set_vexpand(row, FALSE);
  back = rgsg_button(row, _("Back"), FALSE);
  w->check_next = rgsg_button(row, _("Continue"), TRUE);
  g_signal_connect(back, "clicked", G_CALLBACK(on_check_back), w);
  g_signal_connect(w->check_next, "clicked", G_CALLBACK(on_check_next), w);
  return page;
}

/* ---- the window ------------------------------------------------------- */

void rgsg_win_free(rgsg_win *w)
{
  rgsg_pinrun_free(w->pinrun);
  g_free(w->token_uri);
  g_free(w->token_label);
  g_free(w->want_uri);
  g_free(w->out_path);
  g_free(w->out_dir);
  g_free(w);
}

/* A child still at work calls back later: the state waits for it. */
static void on_destroy(GtkWidget *widget, gpointer data)
{
  rgsg_win *w = data;

  (void)widget;
  w->closed = TRUE;
  waiter_stop(w);
  if (can_free(w))
    rgsg_win_free(w);
}

rgsg_win *rgsg_win_new(GtkApplication *app, const rgsg_win_opts *opts)
{
  rgsg_win *w = g_new0(rgsg_win, 1);
  GtkWidget *win = adw_application_window_new(app);
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new();
  GtkWidget *stack = gtk_stack_new();

  w->win = GTK_WINDOW(win);
  w->ctx = opts->ctx;
  w->out_dir = g_strdup(opts->out_dir);
  w->start_order = opts->order_id;
  w->order_id = opts->order_id;
  w->want_uri = g_strdup(opts->token_uri);
  w->stack = GTK_STACK(stack);
  gtk_window_set_title(w->win, _("RGS** certificate"));
  gtk_window_set_default_size(w->win, 640, 560);
  gtk_stack_set_transition_type(w->stack, GTK_STACK_TRANSITION_TYPE_NONE);
  gtk_stack_add_named(w->stack, token_page(w), "token");
  gtk_stack_add_named(w->stack, check_page(w), "check");
  gtk_stack_add_named(w->stack, rgsg_order_page(w), "order");
  gtk_stack_add_named(w->stack, rgsg_form_page(w), "form");
  gtk_stack_add_named(w->stack, rgsg_key_page(w), "key");
  gtk_stack_add_named(w->stack, rgsg_done_page(w), "done");
  gtk_stack_add_named(w->stack, rgsg_hub_page(w), "hub");
  gtk_stack_add_named(w->stack, rgsg_aed_page(w), "aed");
  gtk_stack_add_named(w->stack, rgsg_docs_page(w), "docs");
  gtk_stack_add_named(w->stack, rgsg_export_page(w), "export");
  gtk_stack_add_named(w->stack, rgsg_record_page(w), "record");
  gtk_stack_add_named(w->stack, rgsg_install_page(w), "install");
  rgsg_show(w, "token", NULL);
  gtk_widget_set_vexpand(stack, TRUE);
  gtk_box_append(GTK_BOX(box), header);
  gtk_box_append(GTK_BOX(box), stack);
  adw_application_window_set_content(ADW_APPLICATION_WINDOW(win), box);
  g_signal_connect(win, "destroy", G_CALLBACK(on_destroy), w);
  gtk_window_present(w->win);
  token_look(w, TRUE);
  return w;
}
