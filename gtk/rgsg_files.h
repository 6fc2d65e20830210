/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_files.h - the person's files: where they go by default, a file
 * chooser, files dropped on a page, and the question asked before a file
 * is replaced. */
#ifndef RGSG_FILES_H
#define RGSG_FILES_H

#include "rgsg_internal.h"

typedef void (*rgsg_file_fn)(rgsg_win *w, const char *path);
typedef void (*rgsg_yes_fn)(rgsg_win *w);

/* name in the folder of the person's files: --out-dir, else Documents,
 * else the home folder. Free with g_free(). */
char *rgsg_user_file(rgsg_win *w, const char *name);
/* A file chooser over the window, to open a file or (save) to name one;
 * current: the file proposed (save) or NULL. fn(w, path) once a file is
 * chosen, never on cancel. */
void rgsg_choose_file(rgsg_win *w, const char *title, gboolean save, const char *current,
                      rgsg_file_fn fn);
/* Files dropped onto widget (a file manager's drag): fn(w, path) with the
 * first local file; other drops are refused. */
void rgsg_drop_file(GtkWidget *widget, rgsg_win *w, rgsg_file_fn fn);
/* A question over the window; fn(w) when the person presses yes (a
 * destructive action), nothing on Cancel. */
void rgsg_ask(rgsg_win *w, const char *heading, const char *body, const char *yes,
              rgsg_yes_fn fn);

#endif
