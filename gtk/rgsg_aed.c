/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_aed.c - the AED offices, the fee and the appointment (in progress). */
#include "rgsx_i18n.h"
#include "rgsg_internal.h"
#include "rgsg_ui.h"

GtkWidget *rgsg_aed_page(rgsg_win *w)
{
  GtkWidget *page = rgsg_page(_("The AED and the appointment"));
  GtkWidget *row = rgsg_button_row(page);
  GtkWidget *back = rgsg_button(row, _("Back"), TRUE);

  g_signal_connect_swapped(back, "clicked", G_CALLBACK(rgsg_hub_enter), w);
  return page;
}

void rgsg_aed_enter(rgsg_win *w)
{
  rgsg_show(w, "aed", NULL);
}
