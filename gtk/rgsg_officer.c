/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_officer.c - the AED officer's window (in progress). */
#include "rgsx_i18n.h"
#include "rgsg_officer.h"
#include "rgsg_ui.h"

void rgsg_officer_new(GtkApplication *app, const rgsg_win_opts *opts)
{
  GtkWidget *win = adw_application_window_new(app);
  GtkWidget *page = rgsg_page(_("Face-to-face"));

  (void)opts;
  gtk_window_set_title(GTK_WINDOW(win), _("RGS** face-to-face"));
  adw_application_window_set_content(ADW_APPLICATION_WINDOW(win), page);
  gtk_window_present(GTK_WINDOW(win));
}
