/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_window.h - the holder's window: token, check, order, key pair and
 * request, each step a page; every token operation is a child rgs-enroll. */
#ifndef RGSG_WINDOW_H
#define RGSG_WINDOW_H

#include <adwaita.h>
#include "rgsg_child.h"

typedef struct rgsg_win rgsg_win;

/* Options of the window handed on to every child (borrowed, must outlive
 * the window), and where the request goes (NULL: the documents folder). */
typedef struct {
  rgsg_ctx ctx;
  const char *out_dir;
  gint64 order_id;         /* --order N: open at that order's step; 0: none */
  const char *token_uri;   /* --token URI: that token, not the first found */
} rgsg_win_opts;

/* Build and present the window; it frees itself when closed. */
rgsg_win *rgsg_win_new(GtkApplication *app, const rgsg_win_opts *opts);

#endif
