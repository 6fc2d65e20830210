/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_docs.c - the documents to post to Certigna (in progress). */
#include "rgsx_i18n.h"
#include "rgsg_internal.h"
#include "rgsg_ui.h"

GtkWidget *rgsg_docs_page(rgsg_win *w)
{
  GtkWidget *page = rgsg_page(_("The documents to post"));
  GtkWidget *row = rgsg_button_row(page);
  GtkWidget *back = rgsg_button(row, _("Back"), TRUE);

  g_signal_connect_swapped(back, "clicked", G_CALLBACK(rgsg_hub_enter), w);
  return page;
}

void rgsg_docs_enter(rgsg_win *w)
{
  rgsg_show(w, "docs", NULL);
}
