/* SPDX-License-Identifier: BSD-3-Clause */
/* remind.c - the daily expiry reminder: every installed order's
 * certificate, the threshold it has reached, told once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "orders.h"
#include "watch.h"
#include "remind.h"

typedef struct {
  long long *ids;
  size_t n, cap;
  int nomem;
} id_list;

/* The ids first, then the work: no write while the listing reads. */
static int collect(void *ud, const rgs_order *o)
{
  id_list *l = ud;
  long long *grown;

  if (l->n == l->cap) {
    l->cap = l->cap != 0 ? l->cap * 2 : 16;
    grown = realloc(l->ids, l->cap * sizeof(*l->ids));
    if (grown == NULL) {
      l->nomem = 1;
      return 1;
    }
    l->ids = grown;
  }
  l->ids[l->n++] = o->id;
  return 0;
}

static rgs_order_rc installed_orders(rgs_order_store *st, id_list *l)
{
  rgs_order_filter f;
  rgs_order_rc rc;

  memset(&f, 0, sizeof(f));
  f.status_set = 1;
  f.status = RGS_STATUS_INSTALLED;
  rc = rgs_order_list(st, &f, collect, l, NULL);
  return rc == RGS_ORDER_OK && l->nomem ? RGS_ORDER_ERR_NOMEM : rc;
}

static rgs_note_level level_of(int threshold)
{
  if (threshold == 0)
    return RGS_NOTE_ERROR;
  return threshold <= 7 ? RGS_NOTE_WARNING : RGS_NOTE_INFO;
}

static void summary_of(const rgs_expiry *e, char *buf, size_t len)
{
  if (e->ended)
    snprintf(buf, len, "%s", _("Your RGS** certificate has ended"));
  else if (e->days_left <= 0)
    snprintf(buf, len, "%s", _("Your RGS** certificate ends today"));
  else
    snprintf(buf, len, dngettext(RGS_TEXTDOMAIN, "Your RGS** certificate ends in %ld day",
                                 "Your RGS** certificate ends in %ld days",
                                 (unsigned long)e->days_left),
             e->days_left);
}

static void body_of(const rgs_order *o, const rgs_expiry *e, char *buf, size_t len)
{
  char holder[2 * RGS_ORDER_NAME_MAX], when[256], action[1024];

  rgs_order_holder_name(o, holder, sizeof(holder));
  rgs_expiry_text(e, when, sizeof(when));
  rgs_expiry_action(e, o->id, action, sizeof(action));
  snprintf(buf, len, _("The certificate of %s, %s (order %lld) %s.\n%s"), holder, o->company,
           o->id, when, action);
}

static void json_reminder(rgs_json *j, const rgs_order *o, const rgs_expiry *e, int threshold,
                          const char *summary, const char *body, int shown)
{
  rgs_json_object(j, NULL);
  rgs_json_int(j, "id", o->id);
  rgs_json_int(j, "threshold", threshold);
  rgs_expiry_json(j, "certificate", e);
  rgs_json_str(j, "summary", summary);
  rgs_json_str(j, "text", body);
  rgs_json_bool(j, "desktop", shown);
  rgs_json_end(j);
}

/* One order: its dates brought up to date, the reminder due given, then
 * recorded (told first: a reminder lost to a failed write comes back the
 * next day, one recorded but never told would not). */
static rgs_order_rc remind_one(rgs_order_store *st, long long id, rgs_notifier *n, rgs_json *j)
{
  char summary[256], body[2048];
  rgs_order o;
  rgs_expiry e;
  rgs_order_rc rc;
  int threshold, shown;

  rc = rgs_order_get(st, id, &o);
  if (rc == RGS_ORDER_OK)
    rc = rgs_expiry_get(st, &o, rgs_now(), 1, &e);
  if (rc != RGS_ORDER_OK || !rgs_expiry_due(&e))
    return rc;
  threshold = rgs_expiry_threshold(&e);
  summary_of(&e, summary, sizeof(summary));
  body_of(&o, &e, body, sizeof(body));
  shown = rgs_notify(n, level_of(threshold), 0, summary, body);
  if (j != NULL)
    json_reminder(j, &o, &e, threshold, summary, body, shown);
  return rgs_order_cert_reminded(st, id, threshold);
}

static int report(const rgs_io *io, rgs_json *j, rgs_order_rc rc, rgs_order_store *st)
{
  int ret = rc == RGS_ORDER_OK ? RGS_EXIT_OK : rgs_exit_for_order(rc);

  if (ret != RGS_EXIT_OK)
    rgs_err(io, "%s (%s)", rgs_order_strerror(rc), rgs_order_store_last_error(st));
  if (!io->json)
    return ret;
  rgs_json_end(j);
  rgs_json_bool(j, "ok", ret == RGS_EXIT_OK);
  if (ret != RGS_EXIT_OK) {
    rgs_json_int(j, "exit", ret);
    rgs_json_object(j, "error");
    rgs_json_str(j, "code", rgs_exit_code_name(ret));
    rgs_json_str(j, "message", rgs_order_strerror(rc));
    rgs_json_str(j, "detail", rgs_order_store_last_error(st));
    rgs_json_end(j);
  }
  rgs_json_finish(j);
  return ret;
}

int rgs_remind_run(const rgs_io *io, const rgs_remind_opts *opts)
{
  rgs_order_store *st = NULL;
  rgs_notifier *n = NULL;
  rgs_order_rc rc = RGS_ORDER_OK;
  id_list l;
  rgs_json j;
  size_t i;
  int ret;

  memset(&l, 0, sizeof(l));
  ret = rgs_store_open(io, "remind", 0, &st);
  if (ret != RGS_EXIT_OK)
    return ret;
  n = rgs_notifier_new(opts->desktop);
  if (n == NULL) {
    ret = rgs_fail(io, "remind", RGS_EXIT_INTERNAL, strerror(ENOMEM), NULL);
    goto cleanup;
  }
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "remind");
    rgs_json_array(&j, "reminders");
  }
  if (st != NULL)
    rc = installed_orders(st, &l);
  for (i = 0; rc == RGS_ORDER_OK && i < l.n; i++)
    rc = remind_one(st, l.ids[i], n, io->json ? &j : NULL);
  ret = report(io, &j, rc, st);

cleanup:
  rgs_notifier_free(n);
  free(l.ids);
  rgs_order_store_close(st);
  return ret;
}
