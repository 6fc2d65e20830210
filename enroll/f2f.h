/* SPDX-License-Identifier: BSD-3-Clause */
/* f2f.h - the face-to-face workflow (f2f_run.c, f2f_token.c, f2f_build.c):
 * the facts of a session, the record made of them, the AED's token, the
 * session itself. The record, the AED trust list and the printed form are
 * the library of f2f_record.h. */
#ifndef RGS_F2F_H
#define RGS_F2F_H

#include <openssl/x509.h>
#include "flow.h"
#include "f2f_record.h"

typedef enum { RGS_F2F_NOT_DONE = 0, RGS_F2F_PASS, RGS_F2F_FAIL } rgs_f2f_result;

/* "pass", "fail", "not-done". */
const char *rgs_f2f_result_name(rgs_f2f_result r);

/* Everything a session found out, in the order of the steps. Strings are
 * borrowed (they outlive the record's construction); NULL when unknown. */
typedef struct {
  /* the order */
  long long order_id;
  const char *ca_ref, *partner, *product;
  int validity_years;
  const char *first_name, *last_name, *email, *company, *company_id, *siren;
  /* the holder's token and its RGS** check */
  const char *token_label, *token_manufacturer, *token_model, *token_serial;
  const rgs_p11_report *report;
  int check_passed, check_admitted;
  /* the key */
  const unsigned char *spki;          /* DER SubjectPublicKeyInfo of the CSR */
  size_t spki_len;
  const char *key_type;               /* "rsa" / "ec" */
  unsigned key_bits;
  const char *key_label;
  const char *csr_sha256_hex;         /* SHA-256 of the CSR's DER */
  int key_found;                      /* the token holds the private key */
  /* the proof of possession */
  char nonce_hex[65];
  const char *pop_message;
  const unsigned char *pop_sig;
  size_t pop_sig_len;
  int pop_verified;
  /* the identity document */
  rgs_f2f_doc id_doc;
  const char *id_name, *id_expires;
  char id_salt[33], id_hmac[65], id_last4[5];
  int id_number_given;
  int id_name_matches, id_valid_on_day, id_verified_in_person;
  /* the company */
  const char *extract_date;
  char extract_last_day[11];
  int extract_ok;
  /* the AED */
  X509 *aed_cert;
  const char *aed_name, *aed_office, *aed_office_id;
  const char *aed_token_manufacturer, *aed_token_model, *aed_token_serial;
  /* the intervention */
  char date[11];
  time_t signed_at;
  const char *place;
  rgs_f2f_result results[RGS_F2F_N_STEPS];
  char details[RGS_F2F_N_STEPS][256];
  const char *reason;                 /* refused: why (the failed step's detail) */
} rgs_f2f_facts;

/* The record of the facts (see f2f_record.h for the form). The result is
 * success when every step passed. RGS_CJ_ERR_NOMEM, or RGS_CJ_ERR_UTF8 for
 * a text that is not UTF-8, RGS_CJ_ERR_TYPE without the AED's
 * certificate. Free *out with rgs_cj_free(). */
rgs_cj_rc rgs_f2f_record_make(const rgs_f2f_facts *f, rgs_cj **out);
/* The same, NULL on any failure. */
rgs_cj *rgs_f2f_record_build(const rgs_f2f_facts *f);

/* ---- the AED's token ------------------------------------------------------ */

/* The AED's signing identity: the certificate objects of the token whose
 * private key is on it (matched by public key). With id (CKA_ID, may be
 * NULL), only that one. Needs the AED logged in. On failure the exit status
 * is returned and the message printed. *cert and *key: free with
 * X509_free() and rgs_p11_key_free(). */
int rgs_f2f_aed_identity(const rgs_io *io, rgs_p11_token *tok, const unsigned char *id,
                         size_t id_len, time_t now, X509 **cert, rgs_p11_key **key,
                         const char *command);

/* Sign for rgs_f2f_cms_sign with a key on a token; ud is rgs_f2f_token_signer. */
typedef struct {
  rgs_p11_token *tok;
  const rgs_p11_key *key;
  rgs_p11_rc rc;               /* the token layer's answer */
} rgs_f2f_token_signer;
int rgs_f2f_token_sign(void *ud, const unsigned char *data, size_t len, unsigned char **sig,
                       size_t *siglen);

/* ---- the session -------------------------------------------------------------- */

/* What `f2f run` was told on its command line (NULL / -1: not given). */
typedef struct {
  const char *aed_token, *aed_module, *aed_pin_file;
  int aed_pin_fd, aed_final_try;
  const char *aed_name, *office, *place;
  rgs_f2f_doc id_doc;
  const char *id_name, *id_expires;
  char *id_number;             /* read from a file, a descriptor or the terminal, never
                                * argv (personal data); wiped and freed by the run */
  int id_verified;             /* -1: not given, 0: no, 1: yes */
  const char *extract_date;
  const char *out;
  int force, batch;
  const char *ca_file, *ca_path;
} rgs_f2f_run_opts;

/* The AED trust list of the command line: data/aed-trust/aed-trust.conf,
 * then each --aed-trust file, with ca_file / ca_path (either NULL) as more
 * chain anchors; never the system store. The exit status; on failure the
 * message is printed. Free *out with rgs_f2f_aed_trust_free(). */
int rgs_f2f_load_aeds(const rgs_io *io, const char *command, const char *ca_file,
                      const char *ca_path, rgs_f2f_aed_trust **out);
/* The notice of a DEMO AED entry (text output only; nothing for others). */
void rgs_f2f_print_demo_aed(const rgs_io *io, const rgs_f2f_aed_entry *e);

/* rgs_f2f_verify_at at the run's clock (rgs_now(): RGS_ENROLL_NOW in tests). */
rgs_f2f_rc rgs_f2f_verify(const unsigned char *der, size_t len, const rgs_f2f_aed_trust *aeds,
                          rgs_f2f_verified *v, char *err, size_t errlen);

/* The whole session for order id; prints and returns the exit status. */
int rgs_f2f_run(rgs_io *io, long long id, rgs_f2f_run_opts *o);

/* Write a file whole, atomically (temporary file, then rename); an
 * existing file is kept unless force. RGS_F2F_ERR_IO with errno set. */
rgs_f2f_rc rgs_f2f_write_file(const char *path, const unsigned char *data, size_t len,
                              int force);

#endif
