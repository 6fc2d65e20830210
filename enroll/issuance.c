/* SPDX-License-Identifier: BSD-3-Clause */
/* issuance.c - the CA's answer for an order, as status shows it. */
#include <string.h>
#include "rgs_common.h"
#include "issuance.h"

/* A stored time for people, in the machine's zone. */
static const char *when_text(const char *iso, char *buf, size_t len)
{
  rgsx_time_text(iso, 0, buf, len);
  return buf;
}

void rgs_issuance_show(const rgs_io *io, rgs_json *j, rgs_order_store *st, const rgs_order *o)
{
  rgs_order_issuance is;
  char now[RGS_ORDER_STAMP_MAX], when[128];
  time_t t = rgs_now();
  struct tm tm;
  int found = 0, due;

  if (rgs_order_issuance_get(st, o->id, &is, &found) != RGS_ORDER_OK || !found)
    return;
  strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
  due = is.pending && strcmp(is.next_try_at, now) <= 0;
  if (io->json) {
    rgs_json_object(j, "est");
    rgs_json_str(j, "url", is.est_url[0] != '\0' ? is.est_url : NULL);
    rgs_json_bool(j, "pending", is.pending);
    rgs_json_str(j, "next_try_at", is.pending ? is.next_try_at : NULL);
    rgs_json_bool(j, "next_try_due", due);
    rgs_json_int(j, "attempts", is.attempts);
    rgs_json_bool(j, "certificate_received", is.cert_pem != NULL);
    rgs_json_str(j, "certificate_source", is.cert_pem != NULL ? is.cert_source : NULL);
    rgs_json_end(j);
  } else if (is.pending) {
    printf(_("  EST: the CA has not issued the certificate yet (%d answer(s) \"not yet\"); next try %s %s:\n"
             "       rgs-enroll submit %lld --est %s\n"),
           is.attempts, due ? _("due now, since") : _("due at"),
           when_text(is.next_try_at, when, sizeof(when)), o->id, is.est_url);
  } else if (is.cert_pem != NULL && o->status != RGS_STATUS_INSTALLED) {
    printf(_("  Certificate received (%s) on %s: rgs-enroll install %lld\n"), is.cert_source,
           when_text(is.cert_at, when, sizeof(when)), o->id);
  }
  rgs_order_issuance_clear(&is);
}
