/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * f2f_record.h - the face-to-face library: the intervention record (its
 * content, its CMS signature and its verification), who counts as an AED
 * (the AED trust list), and the printed fiche d'intervention. It knows
 * nothing of the command line nor of a session's tokens (f2f.h does).
 *
 * ---- Content --------------------------------------------------------------
 * The record is one text of canonical JSON (canon.h): its bytes are fixed
 * by its content, so that its SHA-256 names it.
 *
 * ---- Signature -----------------------------------------------------------
 * The canonical bytes are the eContent (id-data) of a CMS SignedData
 * (RFC 5652) with one SignerInfo: SHA-256, signed attributes contentType,
 * signingTime and messageDigest, the signer's certificate (and any chain
 * certificates given) included, signature made by a callback (on the AED's
 * token). The file is the DER ContentInfo; it verifies with
 *   openssl cms -verify -inform DER -in RECORD -CAfile TRUST.pem -out record.json
 */
#ifndef RGS_F2F_RECORD_H
#define RGS_F2F_RECORD_H

#include <stddef.h>
#include <time.h>
#include <openssl/cms.h>
#include <openssl/x509.h>
#include "canon.h"

/* ---- results --------------------------------------------------------------- */

typedef enum {
  RGS_F2F_OK = 0,
  RGS_F2F_ERR_NOMEM,
  RGS_F2F_ERR_CRYPTO,       /* OpenSSL failure */
  RGS_F2F_ERR_SIGNER,       /* the signing callback failed */
  RGS_F2F_ERR_FORMAT,       /* not a CMS SignedData record, or content not canonical */
  RGS_F2F_ERR_SIGNATURE,    /* signature does not verify: the record was altered */
  RGS_F2F_ERR_UNTRUSTED,    /* signer certificate does not chain to a trust anchor */
  RGS_F2F_ERR_INCONSISTENT, /* the record contradicts itself (signer, key, proof) */
  RGS_F2F_ERR_NOT_AED,      /* no AED trust entry lists the signer (chained or not) */
  RGS_F2F_ERR_TRUST_FILE,   /* an AED trust file cannot be read or is malformed */
  RGS_F2F_ERR_ID_NUMBER,    /* not an identity document number */
  RGS_F2F_ERR_IO,           /* a file could not be written (errno tells why) */
} rgs_f2f_rc;

/* Translated sentence; static storage. */
const char *rgs_f2f_strerror(rgs_f2f_rc rc);

/* ---- the record ---------------------------------------------------------- */

/* Value of the "format" member of every record this version writes. */
#define RGS_F2F_FORMAT "rgs-enroll/f2f-record/1"

/* The steps of a session, in order: their ids in the record ("steps") and
 * in --json output. */
typedef enum {
  RGS_F2F_STEP_TOKEN = 0,     /* "token-check": the holder's token passes check */
  RGS_F2F_STEP_KEY,           /* "key-match": it holds the key of the order's CSR */
  RGS_F2F_STEP_POP,           /* "proof-of-possession": PIN, then a signed challenge */
  RGS_F2F_STEP_IDENTITY,      /* "identity": the identity document */
  RGS_F2F_STEP_COMPANY,       /* "company": the registration extract */
  RGS_F2F_STEP_AED,           /* "aed": the AED and the AED's certificate */
  RGS_F2F_N_STEPS
} rgs_f2f_step;

const char *rgs_f2f_step_id(rgs_f2f_step s);
/* Translated title ("Proof of possession"). */
const char *rgs_f2f_step_title(rgs_f2f_step s);

/* The exact text the holder's token signs for the proof of possession:
 *   "rgs-enroll f2f proof of possession/1\norder=ID\nspki-sha256=HEX\n"
 *   "nonce=HEX\ndate=YYYY-MM-DD\n"
 * Free with free(); NULL on ENOMEM. */
char *rgs_f2f_pop_message(long long order_id, const char *spki_hex, const char *nonce_hex,
                          const char *date);

/* The key derivation of the identity document number: scrypt, N=2^15,
 * r=8, p=1 (32 MiB), 32 bytes out; a verifier accepts no less, and at most
 * what fits in RGS_F2F_KDF_MAXMEM. */
#define RGS_F2F_KDF_N 32768
#define RGS_F2F_KDF_R 8
#define RGS_F2F_KDF_P 1
#define RGS_F2F_KDF_MAXMEM (64ULL * 1024 * 1024)

/* 1 when number normalises (spaces and dashes dropped, letters upper-
 * cased; 5 to 24 letters and digits). No KDF is run. */
int rgs_f2f_id_number_valid(const char *number);
/* Keep only what the record may hold of an identity document number:
 * the number is normalised (as above, else RGS_F2F_ERR_ID_NUMBER), then
 * scrypt (the parameters above) with a fresh random 16-byte salt. The last
 * four characters are kept too: the slow KDF, not secrecy of the rest's
 * length, is what stands against a search of the rest. salt_hex 33 bytes,
 * digest_hex 65, last4 5. RGS_F2F_ERR_CRYPTO when the KDF fails (memory). */
rgs_f2f_rc rgs_f2f_id_number_digest(const char *number, char salt_hex[33],
                                    char digest_hex[65], char last4[5]);
/* The record's identity object holds number_kdf "scrypt", number_kdf_n,
 * number_kdf_r, number_kdf_p (integers), number_salt and number_scrypt
 * (hex): 1 when these are well formed and no weaker than RGS_F2F_KDF_*. */
int rgs_f2f_id_kdf_acceptable(const rgs_cj *identity);
/* Whether number (as typed) is the one whose digest identity holds. The
 * values are those of the 1 / 0 / -1 this function always returned. */
typedef enum {
  RGS_F2F_ID_NO_DIGEST = -1,   /* the record's KDF is unknown or too weak: nothing computed */
  RGS_F2F_ID_DIFFERENT = 0,
  RGS_F2F_ID_SAME = 1,
} rgs_f2f_id_match;
rgs_f2f_id_match rgs_f2f_id_number_matches(const char *number, const rgs_cj *identity);

/* Identity documents the AED accepts. */
typedef enum { RGS_F2F_DOC_NONE = 0, RGS_F2F_DOC_ID_CARD, RGS_F2F_DOC_PASSPORT } rgs_f2f_doc;
/* The document a word names: "id-card", "passport"; also "cni", "carte",
 * "passeport", in any case. RGS_F2F_DOC_NONE for any other word. */
rgs_f2f_doc rgs_f2f_doc_parse(const char *text);
const char *rgs_f2f_doc_name(rgs_f2f_doc d);       /* "id-card"; NULL for NONE */
const char *rgs_f2f_doc_label(rgs_f2f_doc d);      /* translated; "" for NONE */

/* ---- signing --------------------------------------------------------------- */

/* Sign data: SHA-256 then the signer key's scheme (RSA PKCS#1 v1.5 or
 * ECDSA, DER). *sig is malloc'd (free()). Returns 0 on success. */
typedef int (*rgs_f2f_sign_fn)(void *ud, const unsigned char *data, size_t len,
                               unsigned char **sig, size_t *siglen);

/* Make the CMS SignedData of content (see above). signer's public key must
 * be the callback's. chain (may be NULL) adds certificates. *der is
 * malloc'd (free()). The result is verified before it is returned
 * (signature and digest, not the chain). */
rgs_f2f_rc rgs_f2f_cms_sign(const unsigned char *content, size_t len, X509 *signer,
                            STACK_OF(X509) *chain, time_t signing_time, rgs_f2f_sign_fn fn,
                            void *ud, unsigned char **der, size_t *derlen, char *err,
                            size_t errlen);

/* ---- who counts as an AED -------------------------------------------------- */

/* An AED trust list: the entries of the AED trust files (data/aed-trust/
 * aed-trust.conf, then each --aed-trust FILE) and the chain anchors. Format,
 * one entry per section:
 *   # comment (a line whose first non-blank character is '#')
 *   [aed "NAME"]
 *   issuer = C=FR, O=..., CN=...  subject DN of the CA that issues AED certificates
 *   issuer-file = PATH            or that CA's certificate (PEM or DER; relative
 *                                 to the trust file's directory); it is a chain
 *                                 anchor then
 *   policy = OID                  a certificate policy the AED certificate carries
 *   eku = OID                     an extended key usage it carries
 *   sha256 = HEX                  or: a pinned certificate, SHA-256 of its DER
 *                                 (colons and blanks ignored; up to 16 lines)
 *   demo = yes                    a DEMO entry: reported as such everywhere
 * An issuer entry needs policy and/or eku (every one given must be present);
 * a pinned entry has no issuer, policy or eku. The issuer must be the AED
 * certificate's direct issuer in a chain to the anchors (issuer-file
 * certificates, --ca-file, --ca-path: never the system store). A pinned
 * certificate is its own anchor. A load is all or nothing; errors are
 * "FILE:LINE: reason". Bounds: 256 KiB, lines of 1024 bytes, 256 entries. */
typedef enum { RGS_F2F_AED_BY_ISSUER = 1, RGS_F2F_AED_PINNED } rgs_f2f_aed_kind;

#define RGS_F2F_AED_MAX_PINS 16

typedef struct {
  char *name;                    /* as written in [aed "NAME"] */
  char *file;                    /* the trust file's name, sanitised: for messages */
  unsigned line;                 /* of the section */
  int demo;
  rgs_f2f_aed_kind kind;
  X509_NAME *issuer;             /* NULL when not given */
  X509 *issuer_cert;             /* issuer-file; NULL when not given */
  ASN1_OBJECT *policy, *eku;     /* NULL when not given */
  unsigned char pins[RGS_F2F_AED_MAX_PINS][32];
  size_t n_pins;
} rgs_f2f_aed_entry;

typedef struct rgs_f2f_aed_trust rgs_f2f_aed_trust;

/* An empty list; NULL on ENOMEM. Free with rgs_f2f_aed_trust_free(). */
rgs_f2f_aed_trust *rgs_f2f_aed_trust_new(void);
void rgs_f2f_aed_trust_free(rgs_f2f_aed_trust *t);
/* Add the entries of a file, or of text named name (relative issuer-file
 * paths are taken from name's directory). RGS_F2F_ERR_TRUST_FILE with
 * "NAME:LINE: reason" in err; t is then unchanged. */
rgs_f2f_rc rgs_f2f_aed_trust_load(rgs_f2f_aed_trust *t, const char *path, char *err,
                                  size_t errlen);
rgs_f2f_rc rgs_f2f_aed_trust_load_mem(rgs_f2f_aed_trust *t, const char *name,
                                      const char *text, size_t len, char *err,
                                      size_t errlen);
/* More chain anchors: a PEM file and/or a hashed directory (either NULL). */
rgs_f2f_rc rgs_f2f_aed_trust_add_anchors(rgs_f2f_aed_trust *t, const char *cafile,
                                         const char *capath, char *err, size_t errlen);
size_t rgs_f2f_aed_trust_count(const rgs_f2f_aed_trust *t);
const rgs_f2f_aed_entry *rgs_f2f_aed_trust_get(const rgs_f2f_aed_trust *t, size_t i);
/* The files loaded, "a.conf, b.conf", for messages. */
const char *rgs_f2f_aed_trust_files(const rgs_f2f_aed_trust *t);

/* What rgs_f2f_aed_check found, apart from its verdict on the role. */
typedef struct {
  const rgs_f2f_aed_entry *entry;   /* the entry that lists the signer (borrowed
                                       from the list); NULL when none does */
  int chain_ok;                     /* the signer chains to an anchor of the list
                                       at that time (a pinned certificate: it is
                                       valid then), listed or not */
} rgs_f2f_aed_verdict;

/* Whether signer is a listed AED at time when: a pinned entry, else a chain
 * to the anchors whose issuer an issuer entry names, with its policy / EKU.
 * certs (may be NULL) are untrusted intermediates. RGS_F2F_OK with
 * out->entry set; RGS_F2F_ERR_UNTRUSTED when an entry names the signer or
 * its issuer but there is no chain to an anchor (or a pinned certificate is
 * not valid then); RGS_F2F_ERR_NOT_AED when no entry lists it, whether it
 * chains or not (out->chain_ok tells); the reason in err. out is filled in
 * every case. */
rgs_f2f_rc rgs_f2f_aed_check(const rgs_f2f_aed_trust *t, X509 *signer, STACK_OF(X509) *certs,
                             time_t when, rgs_f2f_aed_verdict *out, char *err, size_t errlen);
/* The certificate that issued cert in its chain to the anchors of t at
 * time when (certs: untrusted intermediates, may be NULL), for the
 * revocation check; NULL when cert does not chain or is its own anchor.
 * Free with X509_free(). */
X509 *rgs_f2f_aed_trust_issuer(const rgs_f2f_aed_trust *t, X509 *cert, STACK_OF(X509) *certs,
                               time_t when);

/* ---- verification ---------------------------------------------------------- */

typedef struct {
  char *content;                 /* the canonical JSON, NUL-terminated */
  size_t content_len;
  rgs_cj *record;                /* parsed content */
  X509 *signer;                  /* the signer's certificate */
  X509 *signer_issuer;           /* its issuer in the chain to the AED anchors,
                                    when the signer is a listed AED; may be NULL */
  time_t signing_time;
  unsigned char record_sha256[32];   /* SHA-256 of content */
  int signature_ok;              /* signature and digest verified */
  int chain_ok;                  /* the signer chains to an anchor of the AED
                                    trust list (rgs_f2f_aed_verdict.chain_ok) */
  int aed_listed;                /* ... and the AED trust list names it */
  const rgs_f2f_aed_entry *aed;  /* the entry that does (borrowed from the list) */
  int consistent;                /* rgs_f2f_record_check passed */
} rgs_f2f_verified;

void rgs_f2f_verified_clear(rgs_f2f_verified *v);

/* Read and check a DER record at time now: CMS structure, a signing time
 * no later than now + RGS_F2F_CLOCK_SKEW (else RGS_F2F_ERR_UNTRUSTED,
 * before the signature is even checked), signature over the content, the
 * signer is a listed AED of aeds (rgs_f2f_aed_check; aeds NULL: not
 * checked, chain_ok and aed_listed 0) at the signing time (so a record
 * stays verifiable after the AED's certificate expires), the content
 * canonical, then rgs_f2f_record_check. Fills v as far as it got (clear it
 * in every case); the first failure is returned with its detail in err.
 * (f2f.h's rgs_f2f_verify: the same at the run's clock.) */
#define RGS_F2F_CLOCK_SKEW 300
rgs_f2f_rc rgs_f2f_verify_at(const unsigned char *der, size_t len,
                             const rgs_f2f_aed_trust *aeds, time_t now, rgs_f2f_verified *v,
                             char *err, size_t errlen);

/* What a record must say of itself: the format; the AED certificate hash
 * equals the signer's; the AED is not the holder (the signer's public key
 * is not the holder's, its CN is not the holder's name) and the AED's name
 * is the CN of the signer's certificate; signed_at equals the signing time; for a successful
 * intervention every step passed, the public key hashes to spki_sha256, the
 * proof-of-possession message is the one rgs_f2f_pop_message makes and its
 * signature verifies with that key, the identity document was valid on the
 * day, the extract under three months old, and the name matched. */
rgs_f2f_rc rgs_f2f_record_check(const rgs_cj *rec, X509 *signer, time_t signing_time,
                                char *err, size_t errlen);

/* Whether name is the holder's, "First Last" or "Last First" (folded as
 * rgs_order_names_equal does); RGS_F2F_NAME_OTHER also when a part is
 * NULL or empty. */
typedef enum {
  RGS_F2F_NAME_OTHER = 0,
  RGS_F2F_NAME_HOLDER = 1,
  RGS_F2F_NAME_NOMEM = 2,      /* not compared: a caller refuses as for the holder's */
} rgs_f2f_name_match;
rgs_f2f_name_match rgs_f2f_is_holder_name(const char *first, const char *last,
                                          const char *name);

/* "YYYY-MM-DDTHH:MM:SSZ" of t; out at least 21 bytes. */
void rgs_f2f_stamp(time_t t, char *out, size_t outlen);

/* ---- the printed form ------------------------------------------------------- */

/* The fiche d'intervention de face à face of a verified record, as a one-
 * page A4 PDF at path (written whole, then renamed into place): order,
 * holder, company, AED, date and place, the steps and their results, blank
 * signature boxes, and a QR code holding rgs_f2f_qr_text(). On failure
 * (RGS_F2F_ERR_NOMEM, RGS_F2F_ERR_IO) the reason is in err. */
rgs_f2f_rc rgs_f2f_pdf_write(const rgs_cj *rec, const unsigned char record_sha256[32],
                             const char *path, char *err, size_t errlen);

/* The QR code's text, one line:
 *   "RGS-F2F/1;order=ID;ref=CA_REF;spki=HEX;record=HEX;result=success"
 * (ref empty when the CA's reference is not known). Free with free(). */
char *rgs_f2f_qr_text(const rgs_cj *rec, const unsigned char record_sha256[32]);

/* 1 with the signingTime attribute of si in *out; 0 when it has none or
 * it cannot be read. */
int rgs_f2f_signing_time(CMS_SignerInfo *si, time_t *out);

/* A field value for a QR text: ';', '=', '%' and anything but printable
 * ASCII percent-encoded, so no value can add a field. Free with free();
 * NULL when out of memory. */
char *rgs_f2f_qr_field(const char *v);

#endif
