/* SPDX-License-Identifier: BSD-3-Clause */
/* revocation_text.c - the words of the revocation check: messages, reason
 * names, the defaults, and the result as JSON and as a sentence. Apart
 * from the check itself (revocation.c, libcurl) so that the lean binary,
 * which hands the check over, still says what it did not check. */
#include <stdlib.h>
#include <string.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "revocation.h"

const char *rgs_rev_strerror(rgs_rev_rc rc)
{
  switch (rc) {
  case RGS_REV_GOOD: return _("not revoked");
  case RGS_REV_REVOKED: return _("REVOKED");
  case RGS_REV_NO_SOURCE: return _("unknown: the certificate names no revocation service to ask");
  case RGS_REV_OFFLINE: return _("unknown: the revocation service cannot be reached (no network?)");
  case RGS_REV_TIMEOUT: return _("unknown: the revocation service did not answer in time");
  case RGS_REV_RESPONDER_ERROR: return _("unknown: the revocation service answered with an error");
  case RGS_REV_BAD_ANSWER: return _("unknown: the answer could not be read");
  case RGS_REV_UNTRUSTED: return _("unknown: the answer could not be trusted");
  case RGS_REV_NOT_KNOWN: return _("unknown: the revocation service does not know this certificate");
  case RGS_REV_NOT_CHECKED: return _("not checked");
  case RGS_REV_ERR_NOMEM: return _("unknown: the check failed (out of memory or library failure)");
  }
  return "?";
}

const char *rgs_rev_status_name(rgs_rev_rc rc)
{
  switch (rc) {
  case RGS_REV_GOOD: return "good";
  case RGS_REV_REVOKED: return "revoked";
  case RGS_REV_NO_SOURCE:
  case RGS_REV_OFFLINE:
  case RGS_REV_TIMEOUT:
  case RGS_REV_RESPONDER_ERROR:
  case RGS_REV_BAD_ANSWER:
  case RGS_REV_UNTRUSTED:
  case RGS_REV_NOT_KNOWN:
  case RGS_REV_NOT_CHECKED:
  case RGS_REV_ERR_NOMEM:
    break;
  }
  return "unknown";
}

const char *rgs_rev_source_name(rgs_rev_source s)
{
  switch (s) {
  case RGS_REV_SRC_OCSP: return "ocsp";
  case RGS_REV_SRC_CRL: return "crl";
  case RGS_REV_SRC_NONE: break;
  }
  return "none";
}

/* RFC 5280 5.3.1 CRLReason; 7 is unused. */
static const char *const reason_names[] = {
  "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
  "cessationOfOperation", "certificateHold", NULL, "removeFromCRL", "privilegeWithdrawn",
  "aACompromise",
};

const char *rgs_rev_reason_name(int reason)
{
  if (reason < 0 || (size_t)reason >= RGS_ARRAY_LEN(reason_names))
    return NULL;
  return reason_names[reason];
}

const char *rgs_rev_reason_text(int reason)
{
  switch (reason) {
  case 0: return _("no reason given");
  case 1: return _("the key was compromised");
  case 2: return _("the certification authority was compromised");
  case 3: return _("the holder's affiliation changed");
  case 4: return _("replaced by another certificate");
  case 5: return _("no longer used");
  case 6: return _("suspended (on hold)");
  case 8: return _("taken off the list");
  case 9: return _("the holder's rights were withdrawn");
  case 10: return _("the attribute authority was compromised");
  default: break;
  }
  return _("no reason given");
}

void rgs_rev_opts_init(rgs_rev_opts *o, time_t now)
{
  const char *t = getenv("RGS_ENROLL_REVOCATION_TIMEOUT_MS");
  long ms = t != NULL ? strtol(t, NULL, 10) : 0;

  memset(o, 0, sizeof(*o));
  o->now = now;
  o->connect_timeout_ms = 5000;
  o->total_timeout_ms = 10000;
  /* Tests shorten the wait for a server that never answers. */
  if (ms > 0 && ms < o->connect_timeout_ms) {
    o->connect_timeout_ms = ms;
    o->total_timeout_ms = ms;
  }
  o->ocsp_max = 64 * 1024;
  o->crl_max = 4 * 1024 * 1024;
  o->skew = 300;
  o->max_redirects = 3;
}

void rgs_rev_set_not_checked(rgs_rev_result *r, const char *why)
{
  memset(r, 0, sizeof(*r));
  r->rc = RGS_REV_NOT_CHECKED;
  r->reason = -1;
  snprintf(r->detail, sizeof(r->detail), "%s", why != NULL ? why : "");
}

static void iso(time_t t, char *buf, size_t len)
{
  struct tm tm;

  buf[0] = '\0';
  if (t > 0 && gmtime_r(&t, &tm) != NULL)
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void rgs_rev_json(rgs_json *j, const char *key, const rgs_rev_result *r)
{
  char at[32];

  iso(r->revoked_at, at, sizeof(at));
  rgs_json_object(j, key);
  rgs_json_str(j, "status", rgs_rev_status_name(r->rc));
  rgs_json_str(j, "source", r->rc == RGS_REV_NOT_CHECKED || r->rc == RGS_REV_NO_SOURCE
                                ? "none" : rgs_rev_source_name(r->source));
  rgs_json_str(j, "revoked_at", r->rc == RGS_REV_REVOKED && at[0] != '\0' ? at : NULL);
  rgs_json_str(j, "reason", r->rc == RGS_REV_REVOKED ? rgs_rev_reason_name(r->reason) : NULL);
  rgs_json_str(j, "message", rgs_rev_strerror(r->rc));
  rgs_json_str(j, "url", r->url[0] != '\0' ? r->url : NULL);
  rgs_json_str(j, "detail", r->detail[0] != '\0' ? r->detail : NULL);
  rgs_json_end(j);
}

void rgs_rev_sentence(const rgs_rev_result *r, char *buf, size_t len)
{
  char when[128];

  switch (r->rc) {
  case RGS_REV_GOOD:
    rgsx_time_text_t(r->this_update, 0, when, sizeof(when));
    /* TRANSLATORS: "not revoked (answer of the OCSP service, DATE)". */
    snprintf(buf, len, _("not revoked (answer of the %s service, %s)"),
             r->source == RGS_REV_SRC_OCSP ? "OCSP" : "CRL", when);
    return;
  case RGS_REV_REVOKED:
    rgsx_time_text_t(r->revoked_at, 0, when, sizeof(when));
    snprintf(buf, len, _("REVOKED since %s: %s"), when, rgs_rev_reason_text(r->reason));
    return;
  case RGS_REV_NO_SOURCE:
  case RGS_REV_OFFLINE:
  case RGS_REV_TIMEOUT:
  case RGS_REV_RESPONDER_ERROR:
  case RGS_REV_BAD_ANSWER:
  case RGS_REV_UNTRUSTED:
  case RGS_REV_NOT_KNOWN:
  case RGS_REV_NOT_CHECKED:
  case RGS_REV_ERR_NOMEM:
    break;
  }
  /* No source: the detail would say the sentence again (JSON keeps it). */
  if (r->detail[0] != '\0' && r->rc != RGS_REV_NO_SOURCE)
    snprintf(buf, len, "%s (%s)", rgs_rev_strerror(r->rc), r->detail);
  else
    snprintf(buf, len, "%s", rgs_rev_strerror(r->rc));
}
