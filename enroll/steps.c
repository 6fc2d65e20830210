/* steps.c - check, choose the key type, generate: the steps keygen and start share. */
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>
#include "steps.h"

void rgs_requirements(rgs_p11_requirements *req, const rgs_session *s, int years)
{
  memset(req, 0, sizeof(*req));
  /* The certificate is issued after the face-to-face and the documents, not
   * today: the key must still do when it is. */
  req->not_after = rgs_p11_validity_end(rgs_now() + RGS_P11_ISSUANCE_MARGIN_DAYS * 86400L,
                                        years);
  req->policy = s->policy;
}

int rgs_step_check_token(rgs_session *s, const rgs_p11_requirements *req,
                         rgs_p11_report **rep, const char *command)
{
  rgs_p11_rc rc = rgs_p11_check_token(s->tok, req, rep);

  if (rc != RGS_P11_OK)
    return rgs_fail_p11(s->io, command, rc, s->ctx);
  if (rgs_p11_report_passed(*rep) || rgs_p11_report_admitted(*rep))
    return RGS_EXIT_OK;
  return RGS_EXIT_CHECK;
}

static int spec_allowed(const rgs_p11_keyspec *spec, unsigned min_rsa)
{
  if (spec->type == RGS_KEY_RSA)
    return spec->bits >= min_rsa;
  return spec->type == RGS_KEY_EC;
}

/* Largest conformant RSA size the card makes, else P-256. The sizes are
 * those of the cards of this market; 4096 is never a default because some
 * cards take minutes to make it and RGS** does not ask for it. */
static int pick_default(rgs_session *s, unsigned min_rsa, rgs_p11_keyspec *spec)
{
  static const unsigned sizes[] = { 3072, 2048 };
  CK_MECHANISM_INFO mi;
  size_t i;

  if (rgs_p11_mechanism(s->tok, CKM_RSA_PKCS_KEY_PAIR_GEN, &mi) == RGS_P11_OK &&
      (mi.flags & CKF_GENERATE_KEY_PAIR)) {
    for (i = 0; i < RGS_ARRAY_LEN(sizes); i++) {
      if (sizes[i] >= min_rsa && sizes[i] <= mi.ulMaxKeySize && sizes[i] >= mi.ulMinKeySize) {
        spec->type = RGS_KEY_RSA;
        spec->bits = sizes[i];
        return 1;
      }
    }
  }
  if (rgs_p11_mechanism(s->tok, CKM_EC_KEY_PAIR_GEN, &mi) == RGS_P11_OK &&
      (mi.flags & CKF_GENERATE_KEY_PAIR) && mi.ulMaxKeySize >= 256) {
    return rgs_p11_keyspec_parse("ec:p256", spec) == RGS_P11_OK;
  }
  return 0;
}

int rgs_step_pick_keyspec(rgs_session *s, const char *requested,
                          const rgs_p11_requirements *req, rgs_p11_keyspec *spec,
                          const char *command)
{
  unsigned min_rsa = rgs_p11_min_rsa_bits(req->not_after);
  char detail[256];

  if (requested != NULL) {
    if (rgs_p11_keyspec_parse(requested, spec) != RGS_P11_OK)
      return rgs_usage_error(s->io, command,
                             _("--key-type must be rsa:3072, rsa:2048, rsa:4096, ec:p256, ec:p384 or ec:p521, not '%s'"),
                             requested);
    if (spec_allowed(spec, min_rsa))
      return RGS_EXIT_OK;
    snprintf(detail, sizeof(detail),
             _("%s: a certificate valid after 2030-12-31 needs RSA %u bits or more, or EC"),
             requested, min_rsa);
    return rgs_fail(s->io, command, RGS_EXIT_CHECK, rgs_p11_strerror(RGS_P11_ERR_KEY_REFUSED),
                    detail);
  }
  if (pick_default(s, min_rsa, spec))
    return RGS_EXIT_OK;
  snprintf(detail, sizeof(detail), _("no RSA %u-bit nor EC P-256 key generation on this token"),
           min_rsa);
  return rgs_fail(s->io, command, RGS_EXIT_TOKEN, rgs_p11_strerror(RGS_P11_ERR_MECHANISM),
                  detail);
}

int rgs_step_keygen(rgs_session *s, const rgs_p11_keyspec *spec, const char *label,
                    const rgs_p11_requirements *req, rgs_p11_report **rep,
                    rgs_p11_key **key, const char *command)
{
  return rgs_step_keygen_noted(s, spec, label, req, rep, NULL, NULL, key, command);
}

int rgs_step_keygen_noted(rgs_session *s, const rgs_p11_keyspec *spec, const char *label,
                          const rgs_p11_requirements *req, rgs_p11_report **rep,
                          rgs_p11_keygen_note note, void *ud, rgs_p11_key **key,
                          const char *command)
{
  rgs_p11_rc rc;

  if (!s->io->json)
    printf(_("Generating a %s key pair on the card...\n"), rgs_p11_keyspec_name(spec));
  fflush(stdout);
  rgs_session_hold_signals(s);
  rc = rgs_p11_keygen_noted(s->tok, spec, label, note, ud, key);
  if (rc != RGS_P11_OK)
    return rgs_fail_p11(s->io, command, rc, s->ctx);
  rc = rgs_p11_check_key(s->tok, *key, req, rep);
  if (rc != RGS_P11_OK)
    return rgs_fail_p11(s->io, command, rc, s->ctx);
  return rgs_step_keep_or_discard(s, *key, command);
}

int rgs_step_keep_or_discard(rgs_session *s, rgs_p11_key *key, const char *command)
{
  char *uri = NULL;
  int ret;

  if (!rgs_session_interrupted(s))
    return RGS_EXIT_OK;
  uri = rgs_p11_key_uri(s->tok, key);
  if (rgs_p11_key_destroy(s->tok, key) == RGS_P11_OK)
    ret = rgs_fail(s->io, command, RGS_EXIT_INTERNAL,
                   _("interrupted: the key pair made by this run was removed from the token"), NULL);
  else
    ret = rgs_fail(s->io, command, RGS_EXIT_TOKEN,
                   _("interrupted, and the key pair could not be removed from the token"), uri);
  free(uri);
  rgs_session_release_signals(s);   /* the waiting signal ends the process here */
  return ret;
}

int rgs_demo_device(const rgs_p11_report *rep)
{
  const rgs_p11_policy_entry *e = rgs_p11_report_policy_entry(rep);

  return e != NULL && e->demo;
}

void rgs_print_demo_notice(const rgs_io *io, const rgs_p11_report *rep)
{
  const rgs_p11_policy_entry *e = rgs_p11_report_policy_entry(rep);

  if (e == NULL || !e->demo || rgs_p11_report_passed(rep))
    return;
  fprintf(io->json ? stderr : stdout,
          _("*** DEMO DEVICE: \"%s\" is admitted by the demo policy %s.\n"
            "*** It is NOT a qualified device: a CA will not issue an RGS** certificate for it.\n"),
          e->name, e->file);
}

void rgs_default_label(char *buf, size_t len)
{
  time_t now = rgs_now();
  struct tm tm;

  gmtime_r(&now, &tm);
  snprintf(buf, len, "RGS** %04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int rgs_spki_sha256(EVP_PKEY *pkey, unsigned char out[32])
{
  unsigned char *der = NULL;
  int n = i2d_PUBKEY(pkey, &der);

  if (n <= 0)
    return 0;
  SHA256(der, (size_t)n, out);
  OPENSSL_free(der);
  return 1;
}

void rgs_print_key(const rgs_io *io, rgs_session *s, const rgs_p11_key *key)
{
  const rgs_p11_key_attrs *a = rgs_p11_key_get_attrs(key);
  unsigned char spki[32];
  char spki_hex[65] = "";
  char *uri = rgs_p11_key_uri(s->tok, key);

  (void)io;
  if (rgs_spki_sha256(rgs_p11_key_public(key), spki))
    rgsx_hex(spki, sizeof(spki), spki_hex);
  if (a->type == RGS_KEY_RSA)
    printf(_("Key: RSA %u bits, label \"%s\"\n"), a->bits, rgs_p11_key_label(key));
  else
    printf(_("Key: EC %u bits, label \"%s\"\n"), a->bits, rgs_p11_key_label(key));
  printf(_("  URI          : %s\n  SPKI SHA-256 : %s\n"), uri != NULL ? uri : "?", spki_hex);
  free(uri);
}

void rgs_json_key(rgs_json *j, const char *name, rgs_session *s, const rgs_p11_key *key)
{
  rgs_json_key_origin(j, name, s, key, NULL);
}

void rgs_json_key_origin(rgs_json *j, const char *name, rgs_session *s, const rgs_p11_key *key,
                         const char *origin)
{
  const rgs_p11_key_attrs *a = rgs_p11_key_get_attrs(key);
  unsigned char spki[32];
  const unsigned char *id;
  size_t id_len = 0;
  char *uri = rgs_p11_key_uri(s->tok, key);

  rgs_json_object(j, name);
  rgs_json_str(j, "type", a->type == RGS_KEY_RSA ? "rsa" : "ec");
  rgs_json_int(j, "bits", a->bits);
  rgs_json_str(j, "label", rgs_p11_key_label(key));
  id = rgs_p11_key_id(key, &id_len);
  rgs_json_hex(j, "id", id, id_len);
  rgs_json_str(j, "uri", uri);
  if (rgs_spki_sha256(rgs_p11_key_public(key), spki))
    rgs_json_hex(j, "spki_sha256", spki, sizeof(spki));
  if (origin != NULL)
    rgs_json_str(j, "origin", origin);
  rgs_json_end(j);
  free(uri);
}

int rgs_step_prepare(rgs_session *s, const rgs_keygen_opts *o, rgs_p11_requirements *req,
                     rgs_p11_report **rep, rgs_p11_keyspec *spec, const char *command)
{
  const rgs_io *io = s->io;
  int ret;

  rgs_requirements(req, s, o->validity_years);
  if (o->key_type != NULL && rgs_p11_keyspec_parse(o->key_type, spec) == RGS_P11_OK)
    req->key_type = spec->type;    /* probe the mechanisms that will be used */
  ret = rgs_step_check_token(s, req, rep, command);
  if (ret != RGS_EXIT_OK && ret != RGS_EXIT_CHECK)
    return ret;
  if (!io->json) {
    rgs_print_token(io, rgs_p11_token_info(s->tok));
    rgs_print_report(io, *rep);
    rgs_print_demo_notice(io, *rep);
  }
  /* A locked PIN is what the user must act on first, whatever else fails. */
  if (rgs_p11_token_info(s->tok)->token_flags & CKF_USER_PIN_LOCKED)
    return rgs_fail_report(io, command, RGS_EXIT_PIN, rgs_p11_strerror(RGS_P11_ERR_PIN_LOCKED),
                           *rep);
  if (ret == RGS_EXIT_CHECK)
    return rgs_fail_report(io, command, RGS_EXIT_CHECK,
                           rgs_p11_strerror(RGS_P11_ERR_NOT_QUALIFIED), *rep);
  return rgs_step_pick_keyspec(s, o->key_type, req, spec, command);
}

int rgs_step_make_key(rgs_session *s, const rgs_keygen_opts *o, const rgs_p11_keyspec *spec,
                      const rgs_p11_requirements *req, rgs_p11_report **rep,
                      rgs_p11_keygen_note note, void *ud, rgs_p11_key **key,
                      const char *command)
{
  char label[64];
  size_t n_token;
  int ret;

  if (o->label != NULL)
    snprintf(label, sizeof(label), "%s", o->label);
  else
    rgs_default_label(label, sizeof(label));
  n_token = rgs_p11_report_count(*rep);
  ret = rgs_step_keygen_noted(s, spec, label, req, rep, note, ud, key, command);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (!s->io->json) {
    rgs_print_key(s->io, s, *key);
    rgs_print_report_from(s->io, *rep, n_token);
  }
  return RGS_EXIT_OK;
}

int rgs_step_generate(rgs_session *s, const rgs_keygen_opts *o, rgs_p11_requirements *req,
                      rgs_p11_report **rep, rgs_p11_key **key, const char *command)
{
  rgs_p11_keyspec spec;
  int ret;

  ret = rgs_step_prepare(s, o, req, rep, &spec, command);
  if (ret == RGS_EXIT_OK)
    ret = rgs_session_login(s, command);
  if (ret == RGS_EXIT_OK)
    ret = rgs_step_make_key(s, o, &spec, req, rep, NULL, NULL, key, command);
  return ret;
}
