/* SPDX-License-Identifier: BSD-3-Clause */
/* dossier.h - what travels between the holder's machine and the AED's
 * laptop: the holder's dossier (order export / order import) and the signed
 * face-to-face record coming back (f2f import).
 *
 * ---- The dossier ------------------------------------------------------------
 * One text of canonical JSON (canon.h), format RGS_DOSSIER_FORMAT: the
 * order (CA reference, local number, partner, product, validity, payment),
 * the holder and company, the request (CSR in PEM, its SPKI SHA-256, its
 * subject), the token's serial and model, and the appointment when booked.
 * It is the eContent of a CMS SignedData (f2f_record.h's rgs_f2f_cms_sign:
 * SHA-256, contentType / signingTime / messageDigest) signed on the holder's
 * token with the key of the request. That key has no certificate yet, so,
 * as SCEP does (RFC 8894 3.2.1), the SignedData carries a self-signed
 * certificate over it, made on the token for this purpose only: it names
 * the key, it vouches for nothing. What vouches is that its public key is
 * the request's, and the request's own signature. OpenSSL checks the
 * signature with
 *   openssl cms -verify -inform DER -in DOSSIER -noverify -out dossier.json
 * and the key with `openssl cms -cmsout -print_certs` against
 * `openssl req -in request.csr -verify -pubkey` (the CSR is in the JSON). */
#ifndef RGS_DOSSIER_H
#define RGS_DOSSIER_H

#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>
#include "flow.h"
#include "f2f_record.h"
#include "rgs_order.h"

#define RGS_DOSSIER_FORMAT "rgs-enroll/dossier/1"
/* Bigger than any dossier: a CSR, a certificate and some text. */
#define RGS_DOSSIER_MAX_BYTES (256 * 1024)

/* What rgs_dossier_open found in a dossier file. */
typedef struct {
  char *content;                 /* the canonical JSON, NUL-terminated */
  size_t content_len;
  rgs_cj *doc;                   /* parsed content */
  X509_REQ *req;                 /* the request it carries */
  unsigned char spki_sha256[32]; /* of the request's public key */
  char spki_hex[65];
  time_t signing_time;
} rgs_dossier;

void rgs_dossier_clear(rgs_dossier *d);

/* Open a DER dossier: CMS SignedData of id-data with one signer and its
 * certificate, a signing time (into d->signing_time) no later than
 * rgs_now() + RGS_F2F_CLOCK_SKEW (else RGS_F2F_ERR_UNTRUSTED), signature
 * and digest verified, content canonical of format RGS_DOSSIER_FORMAT,
 * every string plain text (no control character but the newlines of a
 * multi-line value, no bidirectional override: else RGS_F2F_ERR_FORMAT),
 * the request's own signature verified, the request's
 * public key the signer's, and the SPKI SHA-256 written in the dossier the
 * request's. RGS_F2F_ERR_FORMAT (not a dossier, truncated),
 * RGS_F2F_ERR_SIGNATURE (altered), RGS_F2F_ERR_INCONSISTENT (signed by
 * another key, request swapped or altered), with the reason in err. Fills d
 * as far as it got: clear it in every case. */
rgs_f2f_rc rgs_dossier_open(const unsigned char *der, size_t len, rgs_dossier *d, char *err,
                            size_t errlen);

/* order export ID --out FILE [--force]: the signed dossier of order id,
 * signed on the holder's token (PIN per rgs_session_login). Prints and
 * returns the exit status. */
int rgs_dossier_export(rgs_io *io, long long id, const char *out, int force);

/* order import FILE: the AED's copy of the order, in the AED's store
 * (--db), role aed, bound to the request's key and the token. The same
 * dossier twice: "already imported", exit 0. Prints and returns the exit
 * status (1 refused dossier, 8 unreadable file). */
int rgs_dossier_import(rgs_io *io, const char *path);

/* f2f import RECORD [--order ID]: the record of a face-to-face held on the
 * AED's laptop, verified (signature, AED per the trust list with ca_file /
 * ca_path as anchors, content) and bound to an order of this store (CA
 * reference) and its key (SPKI of the binding); stored, the order then
 * face-to-face-done (an issued or installed order keeps its status; its
 * history notes the record). id 0: the order is found by the record's CA
 * reference. Prints and returns the exit status. */
int rgs_dossier_record_import(rgs_io *io, const char *path, long long id, const char *ca_file,
                              const char *ca_path);

/* ---- The dossier's short form (a QR code) ------------------------------
 * So that the AED can start from paper: one line of printable ASCII, a few
 * hundred bytes,
 *   RGS-DOSSIER/1;order=ID;ref=REF;spki=HEX;csr=HEX;serial=SERIAL;name=NAME
 * order the holder's local number, ref the CA's reference, spki the SHA-256
 * of the request's public key, csr the SHA-256 of the request's DER, serial
 * the token's serial, name the holder's first and last names. Values are
 * percent-encoded (';', '=', '%', space and anything but printable ASCII)
 * so that no value can add or replace a field. It names the order and the
 * key; it is not signed: the signed dossier (order import) stays the way
 * to record the order, the short form lets the AED check that the token at
 * the face-to-face holds the key named on paper. */
#define RGS_DOSSIER_SHORT_FORMAT "RGS-DOSSIER/1"

/* The short form of order o bound by b (b->csr_pem a PEM request). NULL:
 * the request does not read, or no memory. Free with free(). */
char *rgs_dossier_short_text(const rgs_order *o, const rgs_order_binding *b);

/* text as a QR code (level M) for a terminal: UTF-8 half blocks, two rows
 * of modules a line, light modules drawn (white on a dark terminal, as
 * qrencode -t UTF8 does) with a quiet zone of 4 modules. NULL: too long
 * for a QR code, or no memory. Free with free(). */
char *rgs_dossier_qr_terminal(const char *text);

/* order qr ID: the order's summary, its short form as a QR code and the
 * text under it (JSON: the text). With pdf, an A4 sheet for the paper file
 * instead (QR code, fields, explanation), written whole or not at all; an
 * existing file is replaced only with force. Prints and returns the exit
 * status. */
int rgs_dossier_qr(rgs_io *io, long long id, const char *pdf, int force);

/* A short form read back: every field present once, no other field,
 * values decoded to plain text, fingerprints 64 hexadecimal digits (in
 * lower case). */
typedef struct {
  long long order;             /* the holder's local number */
  char ref[RGS_ORDER_REF_MAX];
  char spki[65];
  char csr[65];
  char serial[33];
  char name[2 * RGS_ORDER_NAME_MAX];
} rgs_dossier_short;

/* Parse text as a scanner gives it (a "QR-Code:" prefix of zbarimg and
 * the line's end are ignored). RGS_F2F_OK, else RGS_F2F_ERR_FORMAT with
 * the reason (naming the field) in err. */
rgs_f2f_rc rgs_dossier_short_parse(const char *text, rgs_dossier_short *sf, char *err,
                                   size_t errlen);

/* order check-qr TEXT: at the face-to-face, whether the token plugged in
 * (--token, or the only one) shows the key named on paper and has its
 * serial, and whether this store's order with the paper's CA reference
 * (imported from the signed dossier) has the same key and request. No PIN.
 * Exit 0 when all agree, 1 when not (or the text is not a short form). */
int rgs_dossier_check_qr(rgs_io *io, const char *text);

#endif
