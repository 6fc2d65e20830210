/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_files.c - the person's files (rgsg_files.h). */
#include <adwaita.h>
#include "rgsx_i18n.h"
#include "rgsg_files.h"

typedef struct {
  rgsg_win *w;
  rgsg_file_fn fn;
} file_cb;

typedef struct {
  rgsg_win *w;
  rgsg_yes_fn fn;
} yes_cb;

char *rgsg_user_file(rgsg_win *w, const char *name)
{
  const char *dir = w->out_dir;

  if (dir == NULL)
    dir = g_get_user_special_dir(G_USER_DIRECTORY_DOCUMENTS);
  if (dir == NULL)
    dir = g_get_home_dir();
  return g_build_filename(dir, name, NULL);
}

static void on_chosen(GtkNativeDialog *d, int response, gpointer data)
{
  file_cb *cb = data;
  GFile *f = NULL;
  char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    f = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d));
  if (f != NULL)
    path = g_file_get_path(f);
  /* A file without a local path (a remote place) cannot go to the command. */
  cb->w->choosers--;
  if (path != NULL && !cb->w->closed)
    cb->fn(cb->w, path);
  g_free(path);
  if (f != NULL)
    g_object_unref(f);
  g_object_unref(d);
  /* A native chooser outlives its parent window: the state waited for it. */
  rgsg_win_release(cb->w);
  g_free(cb);
}

void rgsg_choose_file(rgsg_win *w, const char *title, gboolean save, const char *current,
                      rgsg_file_fn fn)
{
  file_cb *cb = g_new0(file_cb, 1);
  GtkFileChooserNative *d = gtk_file_chooser_native_new(
    title, w->win, save ? GTK_FILE_CHOOSER_ACTION_SAVE : GTK_FILE_CHOOSER_ACTION_OPEN,
    save ? _("Save") : _("Open"), _("Cancel"));
  GFile *f = current != NULL ? g_file_new_for_path(current) : NULL;
  GFile *dir = f != NULL ? g_file_get_parent(f) : NULL;
  char *base = f != NULL ? g_file_get_basename(f) : NULL;

  cb->w = w;
  cb->fn = fn;
  gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(d), TRUE);
  if (dir != NULL)
    gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(d), dir, NULL);
  if (save && base != NULL)
    gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(d), base);
  g_signal_connect(d, "response", G_CALLBACK(on_chosen), cb);
  w->choosers++;
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
  g_free(base);
  if (dir != NULL)
    g_object_unref(dir);
  if (f != NULL)
    g_object_unref(f);
}

/* The first local file of a drop: a file list (file managers) or one file. */
static char *dropped_path(const GValue *value)
{
  GSList *files = NULL;

  if (G_VALUE_HOLDS(value, GDK_TYPE_FILE_LIST))
    files = gdk_file_list_get_files(g_value_get_boxed(value));
  else if (G_VALUE_HOLDS(value, G_TYPE_FILE))
    files = g_slist_prepend(NULL, g_value_get_object(value));
  if (files == NULL)
    return NULL;
  {
    char *path = files->data != NULL ? g_file_get_path(files->data) : NULL;

    g_slist_free(files);
    return path;
  }
}

static gboolean on_drop(GtkDropTarget *t, const GValue *value, double x, double y, gpointer data)
{
  file_cb *cb = data;
  char *path = dropped_path(value);

  (void)t;
  (void)x;
  (void)y;
  if (path == NULL || cb->w->running || cb->w->closed) {
    g_free(path);
    return FALSE;
  }
  cb->fn(cb->w, path);
  g_free(path);
  return TRUE;
}

void rgsg_drop_file(GtkWidget *widget, rgsg_win *w, rgsg_file_fn fn)
{
  GType types[] = { GDK_TYPE_FILE_LIST, G_TYPE_FILE };
  GtkDropTarget *t = gtk_drop_target_new(G_TYPE_INVALID, GDK_ACTION_COPY);
  file_cb *cb = g_new0(file_cb, 1);

  cb->w = w;
  cb->fn = fn;
  gtk_drop_target_set_gtypes(t, types, G_N_ELEMENTS(types));
  g_signal_connect_data(t, "drop", G_CALLBACK(on_drop), cb, (GClosureNotify)(void (*)(void))g_free,
                        0);
  gtk_widget_add_controller(widget, GTK_EVENT_CONTROLLER(t));
}

static void on_answer(AdwMessageDialog *d, const char *response, gpointer data)
{
  yes_cb *cb = data;

  (void)d;
  if (g_strcmp0(response, "yes") == 0 && !cb->w->closed)
    cb->fn(cb->w);
}

void rgsg_ask(rgsg_win *w, const char *heading, const char *body, const char *yes,
              rgsg_yes_fn fn)
{
  yes_cb *cb = g_new0(yes_cb, 1);
  GtkWidget *d = adw_message_dialog_new(w->win, heading, body);
  AdwMessageDialog *m = ADW_MESSAGE_DIALOG(d);

  cb->w = w;
  cb->fn = fn;
  gtk_window_set_title(GTK_WINDOW(d), heading);
  adw_message_dialog_add_responses(m, "cancel", _("Cancel"), "yes", yes, NULL);
  adw_message_dialog_set_response_appearance(m, "yes", ADW_RESPONSE_DESTRUCTIVE);
  /* Cancel is what Enter and Escape do: nothing replaced by a slip. */
  adw_message_dialog_set_default_response(m, "cancel");
  adw_message_dialog_set_close_response(m, "cancel");
  /* The dialog goes with its parent, without a response: cb goes with it. */
  g_object_set_data_full(G_OBJECT(d), "rgsg-yes", cb, g_free);
  g_signal_connect(d, "response", G_CALLBACK(on_answer), cb);
  gtk_window_present(GTK_WINDOW(d));
}
