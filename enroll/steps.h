/* SPDX-License-Identifier: BSD-3-Clause */
/* steps.h - the steps of an enrolment, shared by check, keygen, csr and start. */
#ifndef RGS_STEPS_H
#define RGS_STEPS_H

#include <openssl/x509.h>
#include "flow.h"

/* --validity-years: 1, 2 or 3 (Pack ID RGS**), default 3. */
#define RGS_DEFAULT_VALIDITY 3

/* Requirements for a certificate of `years` from now. */
void rgs_requirements(rgs_p11_requirements *req, const rgs_session *s, int years);

/* Check the token; print nothing. 0 when it passes or a demo policy admits
 * it, else RGS_EXIT_CHECK; other exits on token failures (reported). */
int rgs_step_check_token(rgs_session *s, const rgs_p11_requirements *req,
                         rgs_p11_report **rep, const char *command);

/* The key type to generate: the requested one if RGS** allows it for this
 * validity, else the largest conformant one the token makes. */
int rgs_step_pick_keyspec(rgs_session *s, const char *requested,
                          const rgs_p11_requirements *req, rgs_p11_keyspec *spec,
                          const char *command);

/* Generate, read back, and add the key criteria to *rep. */
int rgs_step_keygen(rgs_session *s, const rgs_p11_keyspec *spec, const char *label,
                    const rgs_p11_requirements *req, rgs_p11_report **rep,
                    rgs_p11_key **key, const char *command);

/* rgs_step_keygen, telling note the key's ids (rgs_p11_keygen_noted). */
int rgs_step_keygen_noted(rgs_session *s, const rgs_p11_keyspec *spec, const char *label,
                          const rgs_p11_requirements *req, rgs_p11_report **rep,
                          rgs_p11_keygen_note note, void *ud, rgs_p11_key **key,
                          const char *command);

/* What keygen and start share: check the token (printing the report in
 * text mode), refuse it unless it passes or a demo policy admits it, pick
 * the key type, log in once, generate and read back. */
typedef struct {
  const char *key_type;   /* NULL: the default choice */
  const char *label;      /* NULL: "RGS** YYYY-MM-DD" */
  int validity_years;
} rgs_keygen_opts;

int rgs_step_generate(rgs_session *s, const rgs_keygen_opts *o, rgs_p11_requirements *req,
                      rgs_p11_report **rep, rgs_p11_key **key, const char *command);
/* rgs_step_generate in two halves, for start --order, which may use the
 * order's key instead: everything before the login (check, report,
 * refusals, key type), then, logged in, the key pair made and shown. */
int rgs_step_prepare(rgs_session *s, const rgs_keygen_opts *o, rgs_p11_requirements *req,
                     rgs_p11_report **rep, rgs_p11_keyspec *spec, const char *command);
int rgs_step_make_key(rgs_session *s, const rgs_keygen_opts *o, const rgs_p11_keyspec *spec,
                      const rgs_p11_requirements *req, rgs_p11_report **rep,
                      rgs_p11_keygen_note note, void *ud, rgs_p11_key **key,
                      const char *command);


/* A signal came while the key was being made or used: remove the key made by
 * this run, then let the signal end the process. 0 when nothing came. */
int rgs_step_keep_or_discard(rgs_session *s, rgs_p11_key *key, const char *command);

/* The token is there but the module in use cannot make a key pair on it
 * (policy data or no key pair generation mechanism): 1, with msg holding
 * plain sentences that name the module in use and the modules that can
 * (from the policy: "--module PATH" when one is installed, else where to
 * get it). 0 when the module can, or the report does not say. */
int rgs_keygen_blocked(const rgs_session *s, const rgs_p11_report *rep, char *msg, size_t len);
/* Member name: {"state": "ok|unchecked|read-only-module|no-mechanism|too-small",
 * "modules": [{name, file, installed, vendor, url}]}. */
void rgs_json_keygen(rgs_json *j, const char *name, const rgs_p11_report *rep);

/* 1 when the token was admitted by a demo policy entry. */
int rgs_demo_device(const rgs_p11_report *rep);

/* Say loudly that a demo device is not a qualified one. */
void rgs_print_demo_notice(const rgs_io *io, const rgs_p11_report *rep);

/* Default key label: "RGS** YYYY-MM-DD". buf at least 32 bytes. */
void rgs_default_label(char *buf, size_t len);

/* Text and JSON of a key: type, URI, id. */
void rgs_print_key(const rgs_io *io, rgs_session *s, const rgs_p11_key *key);
void rgs_json_key(rgs_json *j, const char *name, rgs_session *s, const rgs_p11_key *key);
/* The same with an "origin" member (NULL: none). */
void rgs_json_key_origin(rgs_json *j, const char *name, rgs_session *s, const rgs_p11_key *key,
                         const char *origin);

/* ---- subject ---- */
typedef struct {
  const char *subject, *cn, *o, *ou, *siren, *siret, *email, *country;
} rgs_subject_opts;

#define RGS_SUBJECT_LONGOPTS                                  \
  { "subject", required_argument, NULL, 1000 },               \
  { "cn", required_argument, NULL, 1001 },                    \
  { "o", required_argument, NULL, 1002 },                     \
  { "ou", required_argument, NULL, 1003 },                    \
  { "siren", required_argument, NULL, 1004 },                 \
  { "siret", required_argument, NULL, 1005 },                 \
  { "email", required_argument, NULL, 1006 },                 \
  { "country", required_argument, NULL, 1007 }

#define RGS_SUBJECT_HELP                                                          \
  N_("Subject: --subject DN, or fields --cn 'Prénom NOM' --o ORGANISATION\n"      \
     "  --siren N | --siret N (placed as OU=0002 N, Luhn-checked) --ou TEXT\n"    \
     "  --email ADDRESS --country FR (default FR)")

/* 1 when c was a subject option (stored), 0 otherwise. */
int rgs_subject_opt(rgs_subject_opts *o, int c, const char *arg);
/* Build the name; on error 0 is not returned and err says why. */
int rgs_subject_build(const rgs_subject_opts *o, X509_NAME **out, char *err, size_t errlen);
/* "C=FR, O=..., CN=..." in UTF-8; free with OPENSSL_free(). */
char *rgs_subject_text(const X509_NAME *name);

/* ---- CSR ---- */
/* Build the PKCS#10 request, signed on the token with SHA-256, verified. */
int rgs_csr_make(rgs_session *s, const rgs_p11_key *key, const X509_NAME *name,
                 const char *email, X509_REQ **out, const char *command);
/* Write PEM or DER atomically (temporary file, then rename). An existing
 * file is kept unless force. */
int rgs_csr_write(const rgs_io *io, X509_REQ *req, const char *path, int der, int force,
                  const char *command);
/* Text, or members of j under --json, describing a written request. */
void rgs_csr_report(const rgs_io *io, rgs_json *j, X509_REQ *req, const char *path);
/* SHA-256 of the request's SubjectPublicKeyInfo (DER). */
int rgs_spki_sha256(EVP_PKEY *pkey, unsigned char out[32]);

#endif
