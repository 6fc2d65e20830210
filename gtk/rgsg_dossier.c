/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_dossier.c - the dossier exported for the AED, the face-to-face
 * record imported (in progress). */
#include "rgsx_i18n.h"
#include "rgsg_internal.h"
#include "rgsg_ui.h"

static GtkWidget *back_page(rgsg_win *w, const char *title)
{
  GtkWidget *page = rgsg_page(title);
  GtkWidget *row = rgsg_button_row(page);
  GtkWidget *back = rgsg_button(row, _("Back"), TRUE);

  g_signal_connect_swapped(back, "clicked", G_CALLBACK(rgsg_hub_enter), w);
  return page;
}

GtkWidget *rgsg_export_page(rgsg_win *w)
{
  return back_page(w, _("The dossier for the AED"));
}

void rgsg_export_enter(rgsg_win *w)
{
  rgsg_show(w, "export", NULL);
}

GtkWidget *rgsg_record_page(rgsg_win *w)
{
  return back_page(w, _("The face-to-face record"));
}

void rgsg_record_enter(rgsg_win *w)
{
  rgsg_show(w, "record", NULL);
}
