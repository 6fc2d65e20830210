/* SPDX-License-Identifier: BSD-3-Clause */
/* steps.c - check, choose the key type, generate: the steps keygen and start share. */
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>
#include "progress.h"
#include "steps.h"

static void append_keygen_modules(char *buf, size_t len, const rgs_p11_report *rep);

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
  static const rgs_progress_step step = { "check", NULL, 0, 0 };
  rgs_progress_run *pr = rgs_progress_begin(s->io, &step);
  rgs_p11_rc rc = rgs_p11_check_token(s->tok, req, rep);

  /* ok: the token could be read; the verdict is the command's answer. */
  rgs_progress_end(pr, rc == RGS_P11_OK);
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
  rgs_progress_step step = { "keygen", NULL, 0, 0 };
  rgs_progress_run *pr;
  rgs_p11_rc rc, crc = RGS_P11_OK;

  if (!s->io->json)
    printf(_("Generating a %s key pair on the card...\n"), rgs_p11_keyspec_name(spec));
  fflush(stdout);
  rgs_session_hold_signals(s);
  /* After the hold: the ticker thread is made with every signal blocked,
   * and is stopped below before anything else is done with the token. */
  step.tty_text = _("Generating the key pair on the card: do not unplug the key.");
  pr = rgs_progress_begin(s->io, &step);
  rc = rgs_p11_keygen_noted(s->tok, spec, label, note, ud, key);
  if (rc == RGS_P11_OK)
    crc = rgs_p11_check_key(s->tok, *key, req, rep);
  rgs_progress_end(pr, rc == RGS_P11_OK && crc == RGS_P11_OK);
  if (rc == RGS_P11_ERR_KEY_TEMPLATE) {
    /* Never retried with a looser template: RGS** wants this key. */
    char msg[1536];
    snprintf(msg, sizeof(msg), "%s.", rgs_p11_strerror(rc));
    append_keygen_modules(msg, sizeof(msg), *rep);
    return rgs_fail_code(s->io, command, RGS_EXIT_TOKEN, "sign-only-key-refused", msg,
                         rgs_p11_last_error(s->ctx), NULL);
  }
  if (rc != RGS_P11_OK)
    return rgs_fail_p11(s->io, command, rc, s->ctx);
  if (crc != RGS_P11_OK)
    return rgs_fail_p11(s->io, command, crc, s->ctx);
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
  char *uri = NULL;

  if (a->type == RGS_KEY_RSA)
    printf(_("Key: RSA %u bits, label \"%s\"\n"), a->bits, rgs_p11_key_label(key));
  else
    printf(_("Key: EC %u bits, label \"%s\"\n"), a->bits, rgs_p11_key_label(key));
  /* The URI and the hash are evidence for whoever checks: --details. */
  if (!io->details)
    return;
  uri = rgs_p11_key_uri(s->tok, key);
  if (rgs_spki_sha256(rgs_p11_key_public(key), spki))
    rgsx_hex(spki, sizeof(spki), spki_hex);
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

/* ---- a module that cannot make the key ------------------------------- */

static const char *evidence_of(const rgs_p11_report *rep, const char *id)
{
  size_t i;

  for (i = 0; i < rgs_p11_report_count(rep); i++)
    if (strcmp(rgs_p11_report_get(rep, i)->id, id) == 0)
      return rgs_p11_report_get(rep, i)->evidence;
  return NULL;
}

/* Append to buf the sentences that name the modules able to generate keys on
 * this device (policy data), or the generic advice when none is known. */
static void append_keygen_modules(char *buf, size_t len, const rgs_p11_report *rep)
{
  const rgs_p11_policy_entry *e = rgs_p11_report_policy_entry(rep);
  size_t used = strlen(buf), i;
  const char *path;

  if (e == NULL || e->n_keygen_modules == 0) {
    snprintf(buf + used, len - used, " %s",
             _("Key generation needs the PKCS#11 module of the token's vendor: run again with "
               "--module PATH."));
    return;
  }
  for (i = 0; i < e->n_keygen_modules && used < len; i++) {
    const rgs_p11_module_info *m = e->keygen_modules[i];
    path = rgs_p11_module_installed(m);
    if (path != NULL)
      snprintf(buf + used, len - used, _(" %s can generate keys on it and is installed: run again "
                                         "with --module %s."), m->name, path);
    else
      snprintf(buf + used, len - used, _(" %s (%s) can generate keys on it: get it from %s at %s."),
               m->name, m->file, m->vendor != NULL ? m->vendor : _("the token's vendor"),
               m->url != NULL ? m->url : _("the vendor's site"));
    used = strlen(buf);
  }
}

/* The module in use as the policy names it: the device entry's module,
 * else the [module] section whose file is the loaded file's name. */
static const rgs_p11_module_info *module_in_use(const rgs_session *s,
                                                const rgs_p11_policy_entry *e, const char *path)
{
  const rgs_p11_module_info *m;
  const char *base = path != NULL ? strrchr(path, '/') : NULL;
  size_t i;

  if (e != NULL && e->module != NULL)
    return e->module;
  base = base != NULL ? base + 1 : path;
  for (i = 0; base != NULL && (m = rgs_p11_policy_module_at(s->policy, i)) != NULL; i++)
    if (strcmp(m->file, base) == 0)
      return m;
  return NULL;
}

int rgs_keygen_blocked(const rgs_session *s, const rgs_p11_report *rep, char *msg, size_t len)
{
  rgs_p11_keygen_state st = rgs_p11_report_keygen(rep);
  const char *path = rgs_p11_module_path(s->ctx);
  const rgs_p11_module_info *m = module_in_use(s, rgs_p11_report_policy_entry(rep), path);
  char module[320];

  if (!rgs_p11_keygen_module_cannot(st))
    return 0;
  if (m != NULL)
    snprintf(module, sizeof(module), "%s (%s)", m->name, path != NULL ? path : "?");
  else
    snprintf(module, sizeof(module), "%s", path != NULL ? path : "?");
  if (st == RGS_P11_KEYGEN_READ_ONLY)
    snprintf(msg, len, _("This token is visible through the PKCS#11 module %s, which can read and "
                         "sign on it but cannot generate its key pair."), module);
  else
    snprintf(msg, len, _("This token is visible through the PKCS#11 module %s, which cannot "
                         "generate a key pair on it (it offers no key pair generation)."), module);
  append_keygen_modules(msg, len, rep);
  return 1;
}

/* Stable words for JSON. */
static const char *keygen_state_code(rgs_p11_keygen_state st)
{
  switch (st) {
  case RGS_P11_KEYGEN_OK: return "ok";
  case RGS_P11_KEYGEN_UNCHECKED: return "unchecked";
  case RGS_P11_KEYGEN_READ_ONLY: return "read-only-module";
  case RGS_P11_KEYGEN_NO_MECHANISM: return "no-mechanism";
  case RGS_P11_KEYGEN_TOO_SMALL: return "too-small";
  }
  return "unchecked";
}

void rgs_json_keygen(rgs_json *j, const char *name, const rgs_p11_report *rep)
{
  const rgs_p11_policy_entry *e = rgs_p11_report_policy_entry(rep);
  size_t i;

  rgs_json_object(j, name);
  rgs_json_str(j, "state", keygen_state_code(rgs_p11_report_keygen(rep)));
  rgs_json_array(j, "modules");
  for (i = 0; e != NULL && i < e->n_keygen_modules; i++) {
    const rgs_p11_module_info *m = e->keygen_modules[i];
    rgs_json_object(j, NULL);
    rgs_json_str(j, "name", m->name);
    rgs_json_str(j, "file", m->file);
    rgs_json_str(j, "installed", rgs_p11_module_installed(m));
    rgs_json_str(j, "vendor", m->vendor);
    rgs_json_str(j, "url", m->url);
    rgs_json_end(j);
  }
  rgs_json_end(j);
  rgs_json_end(j);
}

/* The check said no: a module that cannot make any key is a token/device
 * problem (exit 4, before any PIN); a token that makes only keys too small
 * for this validity, or another failed criterion, is a verdict (exit 1). */
static int refuse_token(rgs_session *s, const rgs_p11_report *rep, const char *command)
{
  char msg[1536];

  if (rgs_keygen_blocked(s, rep, msg, sizeof(msg)))
    return rgs_fail_code(s->io, command, RGS_EXIT_TOKEN, "module-cannot-generate-keys", msg,
                         NULL, rep);
  if (rgs_p11_report_keygen(rep) == RGS_P11_KEYGEN_TOO_SMALL)
    return rgs_fail_code(s->io, command, RGS_EXIT_CHECK, "keygen-size-not-available",
                         _("the token cannot generate a key that RGS** accepts for this validity"),
                         evidence_of(rep, "mech.keygen"), rep);
  return rgs_fail_code(s->io, command, RGS_EXIT_CHECK, "not-qualified",
                       rgs_p11_strerror(RGS_P11_ERR_NOT_QUALIFIED), NULL, rep);
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
    return refuse_token(s, *rep, command);
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
