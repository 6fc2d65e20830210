/* SPDX-License-Identifier: BSD-3-Clause */
/* expiry.c - the end of an order's installed certificate: dates read from
 * the certificate, kept in the store, told in days and words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include "rgs_common.h"
#include "rgsx_i18n.h"
#include "certcheck.h"
#include "steps.h"
#include "expiry.h"

#define PORTAL "www.certigna.fr"

/* ---- dates of a certificate ------------------------------------------------ */

static int stamp_of_asn1(const ASN1_TIME *t, char *out, size_t len, time_t *tt)
{
  struct tm tm;

  memset(&tm, 0, sizeof(tm));
  if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
    return 0;
  if (tt != NULL)
    *tt = timegm(&tm);
  return strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0;
}

int rgs_expiry_dates_of(X509 *cert, rgs_order_cert_dates *d)
{
  BIGNUM *bn = NULL;
  char *hex = NULL, *issuer = NULL;
  int ok = 0;

  memset(d, 0, sizeof(*d));
  d->reminded = -1;
  if (cert == NULL)
    return 0;
  bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
  hex = bn != NULL ? BN_bn2hex(bn) : NULL;
  issuer = rgs_subject_text(X509_get_issuer_name(cert));
  if (hex == NULL || issuer == NULL)
    goto cleanup;
  snprintf(d->serial, sizeof(d->serial), "%s", hex);
  snprintf(d->issuer, sizeof(d->issuer), "%s", issuer);
  rgs_cert_cn(cert, d->subject_cn, sizeof(d->subject_cn));
  ok = stamp_of_asn1(X509_get0_notBefore(cert), d->not_before, sizeof(d->not_before), NULL) &&
       stamp_of_asn1(X509_get0_notAfter(cert), d->not_after, sizeof(d->not_after), NULL);

cleanup:
  OPENSSL_free(hex);
  OPENSSL_free(issuer);
  BN_free(bn);
  return ok;
}

rgs_order_rc rgs_expiry_record(rgs_order_store *st, long long id, X509 *cert)
{
  rgs_order_cert_dates d;

  if (!rgs_expiry_dates_of(cert, &d))
    return RGS_ORDER_ERR_NOMEM;
  return rgs_order_cert_dates_set(st, id, &d);
}

/* ---- the certificate kept with the order ----------------------------------- */

/* The dates of the first certificate of the kept PEM (certificate, then
 * its chain); *have 0 when nothing is kept or it does not parse. */
static rgs_order_rc kept_cert(rgs_order_store *st, long long id, rgs_order_cert_dates *d,
                              int *have, rgs_expiry *e)
{
  STACK_OF(X509) *certs = NULL;
  rgs_order_issuance is;
  rgs_order_rc rc;
  X509 *leaf;
  int found = 0;

  *have = 0;
  rc = rgs_order_issuance_get(st, id, &is, &found);
  if (rc != RGS_ORDER_OK || !found)
    return rc;
  snprintf(e->est_url, sizeof(e->est_url), "%s", is.est_url);
  e->uses_est = is.est_url[0] != '\0';
  if (is.cert_pem != NULL &&
      rgs_certs_load_mem((const unsigned char *)is.cert_pem, strlen(is.cert_pem), &certs) ==
          RGS_CERTS_OK) {
    leaf = rgs_certs_leaf(certs, NULL);
    if (leaf == NULL && sk_X509_num(certs) > 0)
      leaf = sk_X509_value(certs, 0);
    *have = rgs_expiry_dates_of(leaf, d);
  }
  rgs_certs_free(certs);
  rgs_order_issuance_clear(&is);
  return RGS_ORDER_OK;
}

static int same_cert(const rgs_order_cert_dates *a, const rgs_order_cert_dates *b)
{
  return strcmp(a->serial, b->serial) == 0 && strcmp(a->issuer, b->issuer) == 0;
}

static long local_day(time_t t)
{
  struct tm tm;

  if (localtime_r(&t, &tm) == NULL)
    return 0;
  return rgsx_days_from_civil(tm.tm_year + 1900L, tm.tm_mon + 1, tm.tm_mday);
}

static void count_days(rgs_expiry *e, time_t now)
{
  e->known = rgsx_time_instant(e->d.not_after, &e->not_after) &&
             rgsx_time_instant(e->d.not_before, &e->not_before);
  if (!e->known)
    return;
  e->ended = now >= e->not_after;
  e->days_left = local_day(e->not_after) - local_day(now);
}

rgs_order_rc rgs_expiry_get(rgs_order_store *st, const rgs_order *o, time_t now, int write,
                            rgs_expiry *e)
{
  rgs_order_cert_dates rec, cur;
  int found = 0, have = 0;
  rgs_order_rc rc;

  memset(e, 0, sizeof(*e));
  e->d.reminded = -1;
  rc = rgs_order_cert_dates_get(st, o->id, &rec, &found);
  if (rc == RGS_ORDER_OK)
    rc = kept_cert(st, o->id, &cur, &have, e);
  if (rc != RGS_ORDER_OK)
    return rc;
  if (have && (!found || !same_cert(&rec, &cur))) {
    if (write) {
      rc = rgs_order_cert_dates_set(st, o->id, &cur);
      if (rc == RGS_ORDER_OK)
        rc = rgs_order_cert_dates_get(st, o->id, &rec, &found);
      if (rc != RGS_ORDER_OK)
        return rc;
    } else {
      rec = cur;           /* reminded -1: nothing given yet for this one */
      found = 1;
    }
  }
  if (!found)
    return RGS_ORDER_OK;
  e->d = rec;
  count_days(e, now);
  return RGS_ORDER_OK;
}

/* ---- thresholds -------------------------------------------------------------- */

int rgs_expiry_threshold(const rgs_expiry *e)
{
  static const int days[] = { 1, 7, 30, 90 };
  size_t i;

  if (!e->known)
    return -1;
  if (e->ended)
    return 0;
  for (i = 0; i < RGS_ARRAY_LEN(days); i++)
    if (e->days_left <= days[i])
      return days[i];
  return -1;
}

int rgs_expiry_due(const rgs_expiry *e)
{
  int t = rgs_expiry_threshold(e);

  return t >= 0 && (e->d.reminded < 0 || t < e->d.reminded);
}

/* ---- words -------------------------------------------------------------------- */

void rgs_expiry_text(const rgs_expiry *e, char *buf, size_t len)
{
  char when[128];
  long n;

  if (!e->known) {
    snprintf(buf, len, "%s", _("end of validity unknown"));
    return;
  }
  rgsx_time_text_t(e->not_after, RGSX_TIME_ON | RGSX_TIME_DAY, when, sizeof(when));
  if (e->days_left == 0) {
    rgsx_time_text_t(e->not_after, RGSX_TIME_ON, when, sizeof(when));
    snprintf(buf, len, e->ended ? _("ended today (%s)") : _("ends today (%s)"), when);
  } else if (!e->ended) {
    n = e->days_left;
    snprintf(buf, len, dngettext(RGS_TEXTDOMAIN, "ends %s, in %ld day", "ends %s, in %ld days",
                                 (unsigned long)n), when, n);
  } else {
    n = -e->days_left;
    snprintf(buf, len, dngettext(RGS_TEXTDOMAIN, "ended %s, %ld day ago", "ended %s, %ld days ago",
                                 (unsigned long)n), when, n);
  }
}

/* Over EST, the current certificate authenticates the renewal: not once
 * it has ended. */
static int renew_over_est(const rgs_expiry *e)
{
  return e->uses_est && !e->ended;
}

void rgs_expiry_action(const rgs_expiry *e, long long id, char *buf, size_t len)
{
  if (renew_over_est(e))
    snprintf(buf, len, _("Renew it from here over EST, with the token plugged in: rgs-enroll renew %lld --est %s"),
             id, e->est_url);
  else if (e->ended)
    snprintf(buf, len, _("Signatures and logins with it are refused now. Order a new certificate on the Certigna portal (%s), then record the order here: rgs-enroll order new"),
             PORTAL);
  else
    snprintf(buf, len, _("Order its renewal on the Certigna portal (%s) now: the new certificate needs a face-to-face with an AED and the paper originals, which takes weeks. Then record the order here: rgs-enroll order new"),
             PORTAL);
}

const char *rgs_expiry_renew_name(const rgs_expiry *e)
{
  return renew_over_est(e) ? "est" : "portal";
}

void rgs_expiry_json(rgs_json *j, const char *key, const rgs_expiry *e)
{
  char from[32], to[32], text[256];

  rgs_json_object(j, key);
  if (!e->known) {
    rgs_json_bool(j, "known", 0);
    rgs_json_end(j);
    return;
  }
  rgsx_time_iso_local(e->not_before, from, sizeof(from));
  rgsx_time_iso_local(e->not_after, to, sizeof(to));
  rgs_expiry_text(e, text, sizeof(text));
  rgs_json_bool(j, "known", 1);
  rgs_json_str(j, "not_before", from);
  rgs_json_str(j, "not_after", to);
  rgs_json_int(j, "days_left", e->days_left);
  rgs_json_bool(j, "ended", e->ended);
  rgs_json_str(j, "serial", e->d.serial);
  rgs_json_str(j, "subject_cn", e->d.subject_cn);
  rgs_json_str(j, "issuer", e->d.issuer);
  rgs_json_str(j, "renew", rgs_expiry_renew_name(e));
  rgs_json_str(j, "text", text);
  rgs_json_end(j);
}
