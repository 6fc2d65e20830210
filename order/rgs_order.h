/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rgs_order.h - the order component of rgs-enroll: the Certigna "Pack ID RGS**"
 * order, its holder and company, the AED directory and appointment, the
 * documents, the binding to the key and CSR, and the status history, stored
 * in SQLite. It knows nothing of tokens or of the command line.
 *
 * Functions return rgs_order_rc, 0 on success. Each says who owns what it
 * returns. Records (rgs_order, rgs_order_doc, ...) are plain structures
 * filled by the library into memory the caller provides; handles
 * (rgs_order_store, rgs_order_aed_dir) are opaque.
 *
 * Dates are ISO 8601 text: "YYYY-MM-DD" for days, "YYYY-MM-DDTHH:MM" for an
 * appointment, "YYYY-MM-DDTHH:MM:SSZ" (UTC) for the moments the store
 * records. Money is in euro cents.
 */
#ifndef RGS_ORDER_H
#define RGS_ORDER_H

#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  RGS_ORDER_OK = 0,
  RGS_ORDER_ERR_NOMEM,
  RGS_ORDER_ERR_ARG,
  RGS_ORDER_ERR_SIREN,          /* SIREN/SIRET: wrong length, not digits or bad check digit */
  /* values given by the user */
  RGS_ORDER_ERR_PARTNER,        /* unknown partner code */
  RGS_ORDER_ERR_PRODUCT,        /* product not offered through the partner */
  RGS_ORDER_ERR_VALIDITY,       /* validity other than 1, 2 or 3 years */
  RGS_ORDER_ERR_OS,             /* operating system other than windows, macos, other */
  RGS_ORDER_ERR_PAYMENT,        /* payment other than carte, virement, cheque */
  RGS_ORDER_ERR_DATE,           /* not a valid ISO date (or date and time) */
  RGS_ORDER_ERR_TEXT,           /* a name, email, phone or reference that is empty, too long or malformed */
  RGS_ORDER_ERR_DEPT,           /* not a French département number */
  RGS_ORDER_ERR_MODE,           /* face-to-face mode other than holder-travels, aed-travels */
  RGS_ORDER_ERR_DISTANCE,       /* distance in km out of range */
  RGS_ORDER_ERR_STATUS_NAME,    /* unknown status name */
  RGS_ORDER_ERR_DOC_KIND,       /* unknown document name */
  RGS_ORDER_ERR_DOC_STATE,      /* unknown document state */
  /* lookups */
  RGS_ORDER_ERR_NO_ORDER,       /* no order with this number */
  RGS_ORDER_ERR_NO_AED,         /* no AED office with this identifier */
  /* rules */
  RGS_ORDER_ERR_TRANSITION,     /* the order's status does not allow this step */
  RGS_ORDER_ERR_MISMATCH,       /* request subject does not match holder and company */
  RGS_ORDER_ERR_KEY_BOUND,      /* the key is already bound to another order */
  RGS_ORDER_ERR_DUPLICATE,      /* CA reference already used by another order */
  RGS_ORDER_ERR_DOCUMENTS,      /* a rule on the documents is broken */
  /* files */
  RGS_ORDER_ERR_DIRECTORY,      /* AED directory file malformed (file:line in the detail) */
  RGS_ORDER_ERR_IO,             /* a file or directory could not be read or created */
  /* the store */
  RGS_ORDER_ERR_NOT_STORE,      /* the file is not an rgs-enroll order store: left untouched */
  RGS_ORDER_ERR_NEWER,          /* store written by a newer rgs-enroll */
  RGS_ORDER_ERR_CORRUPT,        /* store damaged */
  RGS_ORDER_ERR_BUSY,           /* another process kept the store locked too long */
  RGS_ORDER_ERR_STORE,          /* any other SQLite failure (detail says which) */
  RGS_ORDER_ERR_FULL,           /* disk full or file size limit (ulimit -f): nothing written */
  RGS_ORDER_ERR_OLDER,          /* a read-only open met an older schema it may not migrate */
} rgs_order_rc;

/* Translated sentence for rc; static storage, never NULL. */
const char *rgs_order_strerror(rgs_order_rc rc);

/* ---- company identifiers --------------------------------------------- */

typedef enum { RGS_ID_SIREN = 9, RGS_ID_SIRET = 14 } rgs_order_company_id_kind;

/* Validate a SIREN (9 digits) or SIRET (14 digits) and its Luhn check digit.
 * Spaces are allowed and dropped ("732 829 320"). On success the bare
 * digits are written to out (at least 15 bytes) and *kind is set. */
rgs_order_rc rgs_order_company_id_parse(const char *text, char *out, size_t outlen,
                                        rgs_order_company_id_kind *kind);

/* ---- text: names compared as people read them ------------------------- */

/* Fold UTF-8 text for comparison: Latin letters lose case and accents
 * ("É" -> "e", "œ" -> "oe", "æ" -> "ae", "ß" -> "ss"), the typographic
 * apostrophe becomes "'", runs of white space become one space, leading and
 * trailing space go. Other characters are kept as they are. out gets at
 * most outlen - 1 bytes and a NUL. RGS_ORDER_ERR_TEXT for invalid UTF-8,
 * RGS_ORDER_ERR_ARG when out is too small. */
rgs_order_rc rgs_order_text_fold(const char *in, char *out, size_t outlen);

/* 1 when a and b are equal once folded ("FRÉDÉRIC SENEZ" and "Frédéric
 * Senez"), 0 otherwise (invalid UTF-8 included). */
int rgs_order_names_equal(const char *a, const char *b);

/* Upper-case the Latin letters of UTF-8 text, accents kept ("Lefèvre" ->
 * "LEFÈVRE", "œ" -> "Œ"). RGS_ORDER_ERR_ARG when out is too small. */
rgs_order_rc rgs_order_text_upper(const char *in, char *out, size_t outlen);

/* How the holder's name is written, one rule for both parts, applied when
 * it is shown and put in a certificate (the store keeps what was typed):
 * - the last name in capitals, accents kept: "Lefèvre" -> "LEFÈVRE";
 * - the first name as typed, with the first letter of each part of a
 *   compound name in capitals ("jean-pierre" -> "Jean-Pierre", "élodie" ->
 *   "Élodie", "marie claire" -> "Marie Claire", "o'neil" -> "O'Neil"); a part
 *   typed all in capitals is lowered first ("JEAN-PIERRE" -> "Jean-Pierre"),
 *   other capitals are kept ("McKenzie"); "de", "du", "des", "d'", "la", "le"
 *   typed in lower case inside the name stay so ("marie de la croix" ->
 *   "Marie de la Croix"). RGS_ORDER_ERR_TEXT for invalid UTF-8,
 *   RGS_ORDER_ERR_ARG when out is too small (or the name over 127 bytes). */
rgs_order_rc rgs_order_first_name_case(const char *in, char *out, size_t outlen);

/* ---- country ------------------------------------------------------------ */

/* 1 when code is an officially assigned ISO 3166-1 alpha-2 code, in
 * capitals ("FR"); the table is order/order_country.c. */
int rgs_order_country_known(const char *code);
/* How many codes the table holds (249). */
size_t rgs_order_country_count(void);
/* A country as typed: spaces around dropped, any case ("fr " -> "FR");
 * out gets the code (3 bytes at least). RGS_ORDER_ERR_TEXT with a sentence
 * in err for anything else ("XX", "FRA", "F1"). */
rgs_order_rc rgs_order_country_parse(const char *text, char *out, size_t outlen, char *err,
                                     size_t errlen);

/* ---- dates ------------------------------------------------------------ */

/* 1 when text is a real calendar day "YYYY-MM-DD" (2026-02-30 is not),
 * years 1900 to 9999. */
int rgs_order_date_valid(const char *text);
/* 1 when text is "YYYY-MM-DDTHH:MM" (a space may stand for the T) with a
 * real day and time; the canonical form (with T) is written to out (17
 * bytes at least). */
int rgs_order_datetime_parse(const char *text, char *out, size_t outlen);
/* "YYYY-MM-DD" of t in UTC; out at least 11 bytes. */
void rgs_order_date_of(time_t t, char *out, size_t outlen);
/* Days from a to b (b - a); both valid dates. */
long rgs_order_date_diff(const char *a, const char *b);
/* The last day on which a document issued on `issued` is less than `months`
 * months old: issued + months (the end of a shorter month clamped: 31
 * January + 3 months is 30 April), minus one day. An extract of 2026-11-01
 * is good until 2027-01-31. out at least 11 bytes. */
void rgs_order_date_last_day_under(const char *issued, int months, char *out, size_t outlen);

/* ---- values of an order ----------------------------------------------- */

typedef enum { RGS_OS_WINDOWS, RGS_OS_MACOS, RGS_OS_OTHER } rgs_order_os;
typedef enum { RGS_PAY_NONE, RGS_PAY_CARTE, RGS_PAY_VIREMENT, RGS_PAY_CHEQUE } rgs_order_payment;

typedef enum {
  RGS_STATUS_DRAFT,
  RGS_STATUS_ORDERED,           /* CGU accepted, payment chosen: placed on the portal */
  RGS_STATUS_KEY_GENERATED,
  RGS_STATUS_CSR_LINKED,
  RGS_STATUS_SUBMITTED,
  RGS_STATUS_F2F_DONE,
  RGS_STATUS_DOCS_SENT,
  RGS_STATUS_ISSUED,
  RGS_STATUS_INSTALLED,
  RGS_STATUS_CANCELLED,
  RGS_STATUS_REFUSED,
  RGS_STATUS_COUNT
} rgs_order_status;

#define RGS_ORDER_DEFAULT_VALIDITY 3
#define RGS_ORDER_PRODUCT "Pack ID RGS**"

/* Each parse function accepts what a user types (any case) and, on
 * failure, writes to err a sentence naming the accepted values. */
rgs_order_rc rgs_order_partner_parse(const char *text, char *code, size_t codelen, char *err,
                                     size_t errlen);
/* Long name of a partner code ("ASSEMBLEE PERMANENTE..."); NULL if unknown. */
const char *rgs_order_partner_name(const char *code);
rgs_order_rc rgs_order_product_parse(const char *partner, const char *text, char *out,
                                     size_t outlen, char *err, size_t errlen);
rgs_order_rc rgs_order_validity_parse(const char *text, int *years, char *err, size_t errlen);
rgs_order_rc rgs_order_os_parse(const char *text, rgs_order_os *out, char *err, size_t errlen);
rgs_order_rc rgs_order_payment_parse(const char *text, rgs_order_payment *out, char *err,
                                     size_t errlen);
/* A département: "13", "01".."95", "2A", "2B", "971".."976". Leading
 * zero added ("1" -> "01"). out at least 4 bytes. */
rgs_order_rc rgs_order_dept_parse(const char *text, char *out, size_t outlen, char *err,
                                  size_t errlen);
/* The département of a 5-digit postal code ("13090" -> "13", "20200" ->
 * "2B", "97400" -> "974"). */
rgs_order_rc rgs_order_dept_of_postal_code(const char *postal_code, char *out, size_t outlen);

/* Stable names, never translated ("windows", "virement", "csr-linked"). */
const char *rgs_order_os_name(rgs_order_os os);
const char *rgs_order_payment_name(rgs_order_payment p);
const char *rgs_order_status_name(rgs_order_status s);
/* Translated words for people ("request linked to the order"). */
const char *rgs_order_status_label(rgs_order_status s);
rgs_order_rc rgs_order_status_parse(const char *text, rgs_order_status *out, char *err,
                                    size_t errlen);
/* Translated words for people, short enough for a column or a history
 * line ("draft" -> "brouillon", "installed" -> "certificat installé"). The
 * parse functions accept the stable names, the French words (with or
 * without accents, any case, '-' or blanks between words) and the label
 * in the current language: --status annulée, --payment card, --set kbis,
 * --state prêt (order_labels.c). */
const char *rgs_order_status_word(rgs_order_status s);
const char *rgs_order_payment_label(rgs_order_payment p);   /* "not chosen" for RGS_PAY_NONE */
const char *rgs_order_os_label(rgs_order_os os);

/* ---- the life of an order: a table of allowed steps ------------------- */

/* 1 for installed, cancelled and refused. */
int rgs_order_status_final(rgs_order_status s);
/* 1 when an order in `from` may go to `to`. The chain is draft, ordered,
 * key-generated, csr-linked, submitted, face-to-face-done, documents-sent,
 * issued, installed; csr-linked may be entered again (a new request
 * replaces the bound one); cancelled and refused from any state that is
 * not final. */
int rgs_order_transition_allowed(rgs_order_status from, rgs_order_status to);
/* The statuses `from` may go to, in chain order; returns their number. */
size_t rgs_order_next_statuses(rgs_order_status from, rgs_order_status *out, size_t max);

/* ---- the order -------------------------------------------------------- */

#define RGS_ORDER_NAME_MAX 128     /* bytes, for each of first and last name */
#define RGS_ORDER_COMPANY_MAX 256
#define RGS_ORDER_EMAIL_MAX 256
#define RGS_ORDER_PHONE_MAX 32
#define RGS_ORDER_REF_MAX 64
#define RGS_ORDER_STAMP_MAX 24     /* "YYYY-MM-DDTHH:MM:SSZ" */

typedef struct {
  long long id;
  char created_at[RGS_ORDER_STAMP_MAX];
  char partner[16];
  char product[32];
  int validity_years;
  rgs_order_os os;
  char first_name[RGS_ORDER_NAME_MAX];
  char last_name[RGS_ORDER_NAME_MAX];
  char email[RGS_ORDER_EMAIL_MAX];
  char phone[RGS_ORDER_PHONE_MAX];           /* "" when not given */
  int holder_other;                          /* 0: the person ordering; 1: another person of the company */
  char ordered_by[RGS_ORDER_NAME_MAX];       /* who ordered, when holder_other */
  char company[RGS_ORDER_COMPANY_MAX];
  char company_id[16];                       /* SIREN (9) or SIRET (14) digits */
  char siren[10];                            /* the SIREN part */
  rgs_order_payment payment;                 /* RGS_PAY_NONE while not chosen */
  char cgu_accepted_at[RGS_ORDER_STAMP_MAX]; /* "" while not accepted */
  char ca_ref[RGS_ORDER_REF_MAX];            /* the CA's order reference, "" when unknown */
  char dept[4];                              /* département of the face-to-face, "" when unknown */
  char planned_sending[11];                  /* planned day to post the originals, "" when unknown */
  rgs_order_status status;
  char status_at[RGS_ORDER_STAMP_MAX];
} rgs_order;

/* "Prénom NOM" by the rule of rgs_order_first_name_case: "Jean-Pierre
 * DUPONT"; a name that cannot be cased is written as stored. */
void rgs_order_holder_name(const rgs_order *o, char *out, size_t outlen);

/* One value of an order checked alone, as the store will check it, so that
 * a command can name every wrong option in one run. err gets a sentence
 * (without the option's name). */
typedef enum {
  RGS_FIELD_NAME,              /* first or last name, name of who orders */
  RGS_FIELD_COMPANY,
  RGS_FIELD_EMAIL,
  RGS_FIELD_PHONE,             /* "" allowed: no number */
  RGS_FIELD_CA_REF,            /* the format; whether another order has it is the store's */
} rgs_order_field;
rgs_order_rc rgs_order_field_check(rgs_order_field field, const char *value, char *err,
                                   size_t errlen);

/* What `order new` gathers; text as the user typed it, checked here. */
typedef struct {
  const char *partner;       /* required: "CMA", any case */
  const char *product;       /* NULL: "Pack ID RGS**" */
  int validity_years;        /* 0: 3 */
  rgs_order_os os;
  const char *first_name, *last_name, *email;   /* required */
  const char *phone;         /* NULL or "" when not given */
  int holder_other;
  const char *ordered_by;    /* NULL unless holder_other */
  const char *company;       /* required */
  const char *company_id;    /* required: SIREN or SIRET */
  rgs_order_payment payment; /* RGS_PAY_NONE: not chosen, the order stays a draft */
  int accept_cgu;            /* 0: the order stays a draft */
  const char *ca_ref;        /* NULL */
  const char *dept;          /* NULL; the AED office chosen on the portal is recorded
                              * with rgs_order_choose_aed (in the same transaction) */
} rgs_order_input;

/* Fields of rgs_order_update that are set; others are left alone. */
typedef struct {
  const char *ca_ref;
  int accept_cgu;
  rgs_order_payment payment;       /* RGS_PAY_NONE: unchanged */
  const char *email, *phone;
  int os_set;
  rgs_order_os os;
  int validity_years;              /* 0: unchanged; only before a key is generated */
  const char *dept;
} rgs_order_update;

/* ---- AED directory and fees ------------------------------------------- */

typedef struct {
  char id[48];               /* stable identifier, [a-z0-9-] */
  char name[160];
  char address[200];
  char postal_code[6];
  char city[80];
  char dept[4];
  char phone[RGS_ORDER_PHONE_MAX];
  char email[RGS_ORDER_EMAIL_MAX];
  char source[256];          /* "file:line" it was read from */
  char served[64];           /* other départements it serves, "84;30"; "" none */
} rgs_order_aed;

/* 1 when the office is in dept (canonical) or serves it. */
int rgs_order_aed_serves(const rgs_order_aed *a, const char *dept);

typedef struct rgs_order_aed_dir rgs_order_aed_dir;

/* Parse a directory file (CSV, RFC 4180 quoting, UTF-8, a header line
 * naming the columns id,name,address,postal_code,city,department and
 * optionally phone,email in any order; blank lines and lines starting
 * with # ignored) and add its offices to *dir (created when NULL). An
 * office whose id is already there is replaced. On error nothing is added,
 * err says "name:LINE: why" (the file's text sanitised) and
 * RGS_ORDER_ERR_DIRECTORY (or _IO) is returned. At most 32 MiB and 200 000
 * offices; the cost grows linearly. Free with rgs_order_aed_dir_free(). */
rgs_order_rc rgs_order_aed_dir_load(rgs_order_aed_dir **dir, const char *path, char *err,
                                    size_t errlen);
rgs_order_rc rgs_order_aed_dir_load_mem(rgs_order_aed_dir **dir, const char *name,
                                        const char *text, size_t len, char *err,
                                        size_t errlen);
void rgs_order_aed_dir_free(rgs_order_aed_dir *dir);
size_t rgs_order_aed_dir_count(const rgs_order_aed_dir *dir);
/* Borrowed from dir. */
const rgs_order_aed *rgs_order_aed_dir_get(const rgs_order_aed_dir *dir, size_t i);
const rgs_order_aed *rgs_order_aed_dir_find(const rgs_order_aed_dir *dir, const char *id);

typedef enum { RGS_F2F_HOLDER_TRAVELS, RGS_F2F_AED_TRAVELS } rgs_order_f2f_mode;

rgs_order_rc rgs_order_mode_parse(const char *text, rgs_order_f2f_mode *out, char *err,
                                  size_t errlen);
const char *rgs_order_mode_name(rgs_order_f2f_mode mode);
/* "the holder goes to the AED", "the AED travels" (translated). */
const char *rgs_order_mode_label(rgs_order_f2f_mode mode);

#define RGS_ORDER_VAT_PERCENT 20
#define RGS_ORDER_AED_RADIUS_KM 30

typedef struct {
  rgs_order_f2f_mode mode;
  int distance_km;           /* -1 when not given */
  int priced;                /* 0 beyond 30 km: contact the AED */
  long ht_cents, vat_cents, ttc_cents;
} rgs_order_quote;

/* The estimated AED fee: 50 € HT when the holder travels, 170 € HT when the
 * AED travels within 30 km, no price beyond. distance_km is -1 when not
 * known (then RGS_ORDER_ERR_DISTANCE for aed-travels). The AED may add the
 * taxes of its profession: always say so. */
rgs_order_rc rgs_order_aed_quote(rgs_order_f2f_mode mode, int distance_km, rgs_order_quote *q);

/* ---- documents --------------------------------------------------------- */

typedef enum {
  RGS_DOC_REQUEST_FORM,          /* signed request form */
  RGS_DOC_INTERVENTION_FORM,     /* signed face-to-face intervention form */
  RGS_DOC_ID,                    /* photocopy of a valid identity card or passport */
  RGS_DOC_EXTRACT,               /* company registration extract under 3 months */
  RGS_DOC_COUNT
} rgs_order_doc_kind;

typedef enum { RGS_DOC_MISSING, RGS_DOC_READY, RGS_DOC_SENT, RGS_DOC_ACCEPTED } rgs_order_doc_state;

#define RGS_ORDER_EXTRACT_MONTHS 3

typedef struct {
  rgs_order_doc_kind kind;
  rgs_order_doc_state state;
  char issued_on[11];        /* registration extract: date of issue */
  char expires_on[11];       /* identity document: end of validity */
  char sent_on[11];
} rgs_order_doc;

/* "request-form", "intervention-form", "id-document", "registration-extract". */
const char *rgs_order_doc_kind_name(rgs_order_doc_kind k);
const char *rgs_order_doc_kind_label(rgs_order_doc_kind k);   /* translated */
rgs_order_rc rgs_order_doc_kind_parse(const char *text, rgs_order_doc_kind *out, char *err,
                                      size_t errlen);
/* "missing", "ready", "sent", "accepted". */
const char *rgs_order_doc_state_name(rgs_order_doc_state s);
const char *rgs_order_doc_state_label(rgs_order_doc_state s);  /* translated */
rgs_order_rc rgs_order_doc_state_parse(const char *text, rgs_order_doc_state *out, char *err,
                                       size_t errlen);

/* Where the paper originals go: lines of text, NULL-terminated array. */
const char *const *rgs_order_postal_address(void);

/* What may be wrong with the documents. */
typedef enum {
  RGS_DOCNOTE_MISSING,               /* doc: still missing */
  RGS_DOCNOTE_EXTRACT_UNDATED,       /* the extract's date of issue is not known */
  RGS_DOCNOTE_EXTRACT_TOO_OLD,       /* 3 months old or more on the sending day (date) */
  RGS_DOCNOTE_EXTRACT_EXPIRES,       /* will be too old before the planned day (date: last good day) */
  RGS_DOCNOTE_ID_UNDATED,            /* the ID's end of validity is not known */
  RGS_DOCNOTE_ID_EXPIRED_F2F,        /* the ID is not valid on the face-to-face day (date) */
  RGS_DOCNOTE_ID_EXPIRED,            /* the ID is no longer valid on the sending day */
} rgs_order_docnote_code;

typedef struct {
  rgs_order_docnote_code code;
  rgs_order_doc_kind kind;
  int blocking;              /* 1: the originals must not be sent like this */
  char date[11];             /* the date the note is about */
} rgs_order_docnote;

/* Check the documents against the rules. sending: the day the originals
 * are (or are planned to be) sent, "" if unknown (then today is used);
 * sent: 1 when `sending` is the actual day of sending (a too old extract is
 * then blocking), 0 when only planned; f2f_day: the appointment day or "".
 * Writes at most max notes; returns how many there are. */
size_t rgs_order_docs_check(const rgs_order_doc docs[RGS_DOC_COUNT], const char *today,
                            const char *sending, int sent, const char *f2f_day,
                            rgs_order_docnote *out, size_t max);

/* ---- the binding of a key and its request to the order ---------------- */

/* The subject of a certificate request, as read from it (UTF-8). */
#define RGS_ORDER_MAX_OU 8
typedef struct {
  const char *cn;
  const char *o;
  const char *ou[RGS_ORDER_MAX_OU];
  size_t n_ou;
  /* Attributes that must name the same holder when present (NULL: absent). */
  const char *gn, *sn, *email, *org_id;
  /* Why the subject's structure is refused (a NUL byte, a repeated or
   * multi-valued attribute, an attribute the order cannot vouch for);
   * NULL when it is sound. Set by whoever read the subject. */
  const char *refused;
} rgs_order_subject;

/* Compare a request's subject with the order: refused when subj->refused
 * is set; CN equals "first last" or "last first", O equals the company
 * (both folded as rgs_order_names_equal does), one OU is "0002 " + a SIREN
 * or SIRET whose SIREN part is the order's; GN,
 * SN, emailAddress and organizationIdentifier (NTRFR-SIREN), when present,
 * are the holder's. RGS_ORDER_OK, or RGS_ORDER_ERR_MISMATCH with why
 * saying which field differs and what was expected (values from the
 * subject sanitised). */
rgs_order_rc rgs_order_subject_match(const rgs_order *o, const rgs_order_subject *subj,
                                     char *why, size_t whylen);

typedef struct {
  const char *csr_pem;                 /* required */
  const unsigned char *spki_sha256;    /* required, 32 bytes */
  const rgs_order_subject *subject;    /* required */
  const char *subject_text;            /* one line, for people */
  const char *token_serial, *token_model, *key_uri;   /* NULL or "" when unknown */
} rgs_order_link_input;

typedef struct {
  long long order_id;
  char spki_sha256[65];      /* hex */
  char subject[512];
  char token_serial[33];
  char token_model[33];
  char key_uri[1024];
  char linked_at[RGS_ORDER_STAMP_MAX];
  char *csr_pem;             /* free with free() (rgs_order_binding_clear) */
} rgs_order_binding;

void rgs_order_binding_clear(rgs_order_binding *b);

/* ---- appointment -------------------------------------------------------- */

typedef struct {
  rgs_order_aed aed;         /* snapshot of the office when it was chosen */
  char at[17];               /* "YYYY-MM-DDTHH:MM", "" while no date is booked */
  int mode_set;
  rgs_order_f2f_mode mode;
  int distance_km;           /* -1 when not given */
  int priced;
  long fee_ht_cents;
  char booked_at[RGS_ORDER_STAMP_MAX];
} rgs_order_appointment;

/* ---- history ------------------------------------------------------------ */

typedef struct {
  char at[RGS_ORDER_STAMP_MAX];
  int has_from;
  rgs_order_status from, to;
  char note[256];
} rgs_order_event;

/* ---- the store ---------------------------------------------------------- */

typedef struct rgs_order_store rgs_order_store;

/* Open the store at path. A missing file is created (and its missing
 * directories, mode 0700; the file 0600), complete or not at all. An
 * existing file is checked before SQLite may write to it: anything that is
 * not an rgs-enroll store (another SQLite database, text, random bytes, an
 * empty file) is refused with RGS_ORDER_ERR_NOT_STORE and left untouched;
 * a store of an older schema is migrated in one transaction. WAL journal,
 * foreign keys on, a writer waits up to 10 s for another. A symbolic link
 * is refused (RGS_ORDER_ERR_IO); a write refused by the file system says
 * why (read-only, permission), a full disk or a file size limit gives
 * RGS_ORDER_ERR_FULL with the transaction rolled back.
 * On failure err says why. Close with rgs_order_store_close(). */
rgs_order_rc rgs_order_store_open(const char *path, rgs_order_store **out, char *err,
                                  size_t errlen);
/* As above, but a missing file is not created: RGS_ORDER_ERR_IO. */
rgs_order_rc rgs_order_store_open_existing(const char *path, rgs_order_store **out,
                                           char *err, size_t errlen);
/* Open an existing store for reading only: never created, never migrated,
 * never written (any write through it fails). Works on a read-only file,
 * directory or file system. A store of an older schema gives
 * RGS_ORDER_ERR_OLDER (rgs_order_store_open_existing() migrates it). A
 * refusal names its cause in err: a symbolic link, permission denied, a
 * read-only file system, a missing directory. */
rgs_order_rc rgs_order_store_open_readonly(const char *path, rgs_order_store **out,
                                           char *err, size_t errlen);
void rgs_order_store_close(rgs_order_store *s);

/* Detail of the last failure on s ("order 12 is cancelled: ..."), to read
 * after a call returned an error; "" before any failure. Valid until the
 * next call on s. */
const char *rgs_order_store_last_error(const rgs_order_store *s);
/* The schema version this library writes. */
int rgs_order_store_schema_version(void);

/* The clock used for the moments recorded and for "today" in the rules
 * (default: time(NULL) at each call). */
void rgs_order_store_set_now(rgs_order_store *s, time_t now);

/* Group several writes in one transaction (BEGIN IMMEDIATE): each call
 * made in between joins it (a call that fails undoes only its own part).
 * Nested begin/commit pairs are allowed; a rollback of an inner pair makes
 * the outer commit roll back.
 * For crash tests only: with RGS_ORDER_TEST_PAUSE_IN_TXN=N in the
 * environment, every outermost commit first writes "test pause in
 * transaction" to stderr and sleeps N seconds. */
rgs_order_rc rgs_order_store_begin(rgs_order_store *s);
rgs_order_rc rgs_order_store_commit(rgs_order_store *s);
void rgs_order_store_rollback(rgs_order_store *s);

/* Record a new order: status draft, then ordered at once when the CGU are
 * accepted and a payment method is chosen; four missing documents. *id
 * receives its number. */
rgs_order_rc rgs_order_create(rgs_order_store *s, const rgs_order_input *in, long long *id);

rgs_order_rc rgs_order_get(rgs_order_store *s, long long id, rgs_order *out);

/* Apply the fields of u that are set, in one transaction; a draft whose CGU
 * are now accepted with a payment chosen becomes ordered. */
rgs_order_rc rgs_order_update_fields(rgs_order_store *s, long long id, const rgs_order_update *u);

/* Move the order to status `to`, with a dated history entry carrying note
 * (may be NULL). Refused with RGS_ORDER_ERR_TRANSITION (the detail names the
 * current status and the allowed next ones) unless the table allows it.
 * This is the entry point for the commands that drive later steps
 * (submit, f2f, install). */
rgs_order_rc rgs_order_set_status(rgs_order_store *s, long long id, rgs_order_status to,
                                  const char *note);

typedef struct {
  const char *dept;          /* NULL: any */
  int status_set;
  rgs_order_status status;
  int open_only;             /* 1: only orders whose status is not final */
  const char *siren;         /* NULL: any */
  long limit;                /* 0: no limit */
} rgs_order_filter;

/* Call cb for each order matching f, by number; cb returns non-zero to
 * stop. *count (may be NULL) receives the number of orders passed. */
rgs_order_rc rgs_order_list(rgs_order_store *s, const rgs_order_filter *f,
                            int (*cb)(void *ud, const rgs_order *o), void *ud, size_t *count);

/* History, oldest first. *events is an array of *n entries; free with free(). */
rgs_order_rc rgs_order_history(rgs_order_store *s, long long id, rgs_order_event **events,
                               size_t *n);

/* Add a dated line to the order's history without changing its status
 * (from and to are the current status); note: text of 1 to 255 bytes.
 * Allowed on every order, closed ones included. */
rgs_order_rc rgs_order_note(rgs_order_store *s, long long id, const char *note);

/* `install` refused the certificate kept with the order: a history line
 * records why (reason: text, cut to fit). */
rgs_order_rc rgs_order_install_refused(rgs_order_store *s, long long id, const char *reason);
/* The last refusal recorded by rgs_order_install_refused() that is not
 * older than the certificate kept with the order, and not followed by the
 * installation: *found 0 when there is none. reason at least 256 bytes,
 * at at least RGS_ORDER_STAMP_MAX. */
rgs_order_rc rgs_order_install_refusal(rgs_order_store *s, long long id, char *reason,
                                       size_t reasonlen, char *at, size_t atlen, int *found);

/* Bind a request to the order, in one transaction: checks the status
 * (ordered, key-generated or csr-linked: the order goes through
 * key-generated to csr-linked), the subject (rgs_order_subject_match) and
 * that no other order holds the key (RGS_ORDER_ERR_KEY_BOUND naming it).
 * A new request for the same order replaces the previous one. */
rgs_order_rc rgs_order_link(rgs_order_store *s, long long id, const rgs_order_link_input *in);
/* The binding of order id: *found is 0 when nothing is bound yet (not an
 * error; RGS_ORDER_ERR_NO_ORDER is for an order that does not exist).
 * b->csr_pem is allocated: release with rgs_order_binding_clear(). */
rgs_order_rc rgs_order_binding_get(rgs_order_store *s, long long id, rgs_order_binding *b,
                                   int *found);
/* The order a key is bound to, by the SHA-256 of its SubjectPublicKeyInfo
 * (32 bytes); *id = 0 when none. */
rgs_order_rc rgs_order_find_by_spki(rgs_order_store *s, const unsigned char spki[32],
                                    long long *id);

/* The directory in use: the file at shipped_path (may be NULL), extended
 * by the offices imported into the store, or replaced by them when the
 * last import said so. Free with rgs_order_aed_dir_free(). */
rgs_order_rc rgs_order_aed_directory(rgs_order_store *s, const char *shipped_path,
                                     rgs_order_aed_dir **out);
/* Import a directory into the store in one transaction: its offices are
 * added (same id: replaced); with replace, they replace every office
 * imported before and the shipped file is no longer used. */
rgs_order_rc rgs_order_aed_import(rgs_order_store *s, const rgs_order_aed_dir *dir, int replace);
/* The offices of one département (canonical: "13", "2A") in the directory
 * in use: the same offices, in the same order, as rgs_order_aed_directory()
 * holds for dept, read through the store's index so that the cost follows
 * that département's offices, not the whole directory. Free with
 * rgs_order_aed_dir_free(). */
rgs_order_rc rgs_order_aed_directory_dept(rgs_order_store *s, const char *shipped_path,
                                          const char *dept, rgs_order_aed_dir **out);

/* Choose the AED office of the order (as on the portal), keeping any
 * booked date if the office is the same. Sets the order's département. */
rgs_order_rc rgs_order_choose_aed(rgs_order_store *s, long long id, const rgs_order_aed *aed);
/* Book the face-to-face: day and time, mode, distance (-1: unknown), the
 * fee estimate. aed may be NULL to keep the office chosen before. Refused
 * for a draft and once the face-to-face is done. */
rgs_order_rc rgs_order_book(rgs_order_store *s, long long id, const rgs_order_aed *aed,
                            const char *at, rgs_order_f2f_mode mode, int distance_km);
rgs_order_rc rgs_order_appointment_get(rgs_order_store *s, long long id,
                                       rgs_order_appointment *a, int *found);

/* Appointments are wall-clock times in this zone, stored with its name. */
#define RGS_ORDER_APPT_TZ "Europe/Paris"
typedef enum {
  RGS_APPT_OK,
  RGS_APPT_BAD_DATE,         /* not YYYY-MM-DDTHH:MM */
  RGS_APPT_PAST,             /* before now */
  RGS_APPT_CLOSED_DAY,       /* Sunday or a French public holiday */
  RGS_APPT_OUTSIDE_HOURS     /* outside the office hours of that day */
} rgs_order_appt_check_rc;
/* Whether the appointment at ("YYYY-MM-DDTHH:MM", Europe/Paris) can be
 * booked at time now: not past, within the office hours. */
rgs_order_appt_check_rc rgs_order_appt_check(const char *at, time_t now);
/* "Monday to Friday 08:00-19:00, Saturday 09:00-12:00": the office hours. */
const char *rgs_order_appt_hours_text(void);
/* at in ISO 8601 with the zone's offset: "2026-12-20T10:00:00+01:00";
 * out at least 26 bytes. 0 when at is not a valid date. */
int rgs_order_appt_iso(const char *at, char *out, size_t outlen);

rgs_order_rc rgs_order_docs_get(rgs_order_store *s, long long id,
                                rgs_order_doc docs[RGS_DOC_COUNT]);

typedef struct {
  rgs_order_doc_kind kind;
  int state_set;
  rgs_order_doc_state state;
  const char *issued_on;     /* NULL: unchanged; "" clears */
  const char *expires_on;    /* NULL: unchanged; "" clears */
} rgs_order_doc_update;

/* Record what is known of one document. Giving a date to a missing
 * document makes it ready unless a state is given. */
rgs_order_rc rgs_order_doc_set(rgs_order_store *s, long long id, const rgs_order_doc_update *u);
/* The day the originals are planned to be posted ("" clears). */
rgs_order_rc rgs_order_docs_plan(rgs_order_store *s, long long id, const char *day);
/* The originals were posted on `day`: every document becomes sent and the
 * order documents-sent, in one transaction. Refused with
 * RGS_ORDER_ERR_DOCUMENTS (detail: the first blocking note) when a
 * document is missing, the extract is 3 months old or more on that day or
 * the ID is not valid; with RGS_ORDER_ERR_TRANSITION before the
 * face-to-face is done. */
rgs_order_rc rgs_order_docs_sent(rgs_order_store *s, long long id, const char *day);

/* ---- where an order stands and what comes next ------------------------- */

typedef enum {
  RGS_NEXT_ACCEPT_CGU,        /* draft: accept the CGU */
  RGS_NEXT_CHOOSE_PAYMENT,    /* draft: choose the payment */
  RGS_NEXT_MAKE_KEY,          /* ordered: generate the key and request on the token */
  RGS_NEXT_LINK_CSR,          /* key generated: bind the request */
  RGS_NEXT_SUBMIT,            /* csr linked: hand the request to the CA */
  RGS_NEXT_CHOOSE_AED,        /* no AED office chosen yet */
  RGS_NEXT_BOOK_AED,          /* an office, no date: make the appointment */
  RGS_NEXT_MEET_AED,          /* the face-to-face is booked */
  RGS_NEXT_PREPARE_DOCS,      /* documents missing */
  RGS_NEXT_SEND_DOCS,         /* face-to-face done: post the originals */
  RGS_NEXT_WAIT_ISSUE,        /* documents sent: wait for the certificate */
  RGS_NEXT_INSTALL,           /* issued: install it on the token */
  RGS_NEXT_NOTHING,           /* installed */
  RGS_NEXT_CANCELLED,
  RGS_NEXT_REFUSED,           /* call Certigna */
} rgs_order_next;

/* The next steps for an order, most urgent first. Returns their number. */
size_t rgs_order_next_steps(const rgs_order *o, const rgs_order_appointment *a,
                            const rgs_order_doc docs[RGS_DOC_COUNT], rgs_order_next *out,
                            size_t max);

/* ---- which orders a token is bound to (order_lookup.c) ------------------- */

/* The orders whose binding names the token serial `serial` (as
 * rgs_order_link recorded it), newest first: up to max ids into ids, and
 * *n receives how many there are (may exceed max). An empty serial matches
 * nothing. */
rgs_order_rc rgs_order_find_by_token(rgs_order_store *s, const char *serial, long long *ids,
                                     size_t max, size_t *n);

/* ---- face-to-face intervention records (order_f2f.c) -------------------- */

/* A signed intervention record as the face-to-face session hands it over.
 * The order layer does not read CMS: it keeps the bytes and trusts the
 * caller's verified flag (enroll/ verifies the signature, the AED's chain
 * and the record's content before calling). */
typedef struct {
  const unsigned char *cms_der;  /* required: the signed record (DER CMS) */
  size_t cms_len;
  const char *record_sha256;     /* required: hex SHA-256 of the record's JSON */
  const char *spki_sha256;       /* hex; required for a success: must be the bound key's */
  const char *signed_at;         /* required: "YYYY-MM-DDTHH:MM:SSZ" */
  const char *day;               /* required: "YYYY-MM-DD" of the intervention */
  int success;                   /* 1: every step passed; 0: refused */
  int verified;                  /* 1: signature, chain and content verified */
  const char *failed_step;       /* refused: the step that failed, else NULL */
  const char *reason;            /* refused (or not verified): why; NULL otherwise */
  const char *aed_name;          /* NULL when unknown */
} rgs_order_f2f_input;

typedef struct {
  long long id;                  /* record number in the store */
  long long order_id;
  char stored_at[RGS_ORDER_STAMP_MAX];
  char signed_at[RGS_ORDER_STAMP_MAX];
  char day[11];
  int success, verified;
  char failed_step[32];
  char reason[512];
  char aed_name[160];
  char record_sha256[65];
  char spki_sha256[65];          /* "" when the key step was not reached */
  unsigned char *cms_der;        /* free with rgs_order_f2f_clear() */
  size_t cms_len;
} rgs_order_f2f;

/* Keep a face-to-face record with the order, in one transaction. A
 * successful, verified record whose key is the one bound to the order
 * moves the order to face-to-face-done (RGS_ORDER_ERR_TRANSITION when its
 * status does not allow it, RGS_ORDER_ERR_MISMATCH when the key is not the
 * bound one: then nothing is stored); an issued or installed order keeps
 * its status, the record is kept and the history notes it. Any other record (refused, or not
 * verified) is kept, the status is left as it is, and the history gets an
 * entry saying so. *record_id (may be NULL) receives its number. */
rgs_order_rc rgs_order_f2f_add(rgs_order_store *s, long long order_id,
                               const rgs_order_f2f_input *in, long long *record_id);
/* The latest record of the order; *found 0 when there is none. Clear with
 * rgs_order_f2f_clear() in every case. */
rgs_order_rc rgs_order_f2f_latest(rgs_order_store *s, long long order_id, rgs_order_f2f *out,
                                  int *found);
/* The order's records, oldest first (cms_der left NULL); *n entries, free
 * the array with free(). */
rgs_order_rc rgs_order_f2f_list(rgs_order_store *s, long long order_id, rgs_order_f2f **out,
                                size_t *n);
void rgs_order_f2f_clear(rgs_order_f2f *r);

/* ---- whose copy an order is (order_role.c) ------------------------------ */

/* The holder's own order, or the AED's copy made by `order import` from
 * the holder's signed dossier (on the AED's laptop, its own store). */
typedef enum { RGS_ORDER_ROLE_HOLDER = 0, RGS_ORDER_ROLE_AED } rgs_order_role;

/* "holder", "aed": stable words. */
const char *rgs_order_role_name(rgs_order_role r);
rgs_order_rc rgs_order_role_get(rgs_order_store *s, long long id, rgs_order_role *out);
/* Mark order id as the AED's copy (or the holder's again). */
rgs_order_rc rgs_order_role_set(rgs_order_store *s, long long id, rgs_order_role r);
/* The order whose CA reference is ca_ref; *id = 0 when none. */
rgs_order_rc rgs_order_find_by_ca_ref(rgs_order_store *s, const char *ca_ref, long long *id);

/* ---- issuance: the CA's answer (order_issuance.c) ---------------------- */

/* What came back from the CA for an order. */
typedef struct {
  char *cert_pem;            /* certificate received, then its chain (PEM); NULL when none */
  char *ca_pem;              /* CA certificates trusted for it (EST /cacerts, confirmed); NULL */
  char cert_source[16];      /* "est", "file", "renew"; "" when no certificate */
  char cert_at[RGS_ORDER_STAMP_MAX];
  char est_url[512];         /* EST server used, "" when none */
  int pending;               /* 1: the CA answered "not yet" (EST 202) */
  char pending_since[RGS_ORDER_STAMP_MAX];
  char next_try_at[RGS_ORDER_STAMP_MAX];   /* when to ask again, "" when nothing pending */
  int attempts;              /* EST answers "not yet" so far */
} rgs_order_issuance;

/* *found is 0 when nothing came back yet. Free the strings with
 * rgs_order_issuance_clear(). */
rgs_order_rc rgs_order_issuance_get(rgs_order_store *s, long long id, rgs_order_issuance *out,
                                    int *found);
void rgs_order_issuance_clear(rgs_order_issuance *i);
/* The EST server answered "not yet" (202): record the URL and when to ask
 * again, count the attempt. The status is not changed. */
rgs_order_rc rgs_order_est_pending(rgs_order_store *s, long long id, const char *url,
                                   time_t next_try);
/* The next try recorded by rgs_order_est_pending (UTC seconds), *pending 1;
 * *pending 0 and *next_try 0 when nothing is pending. A recorded time that
 * does not read back is RGS_ORDER_ERR_CORRUPT. */
rgs_order_rc rgs_order_est_next_try(rgs_order_store *s, long long id, time_t *next_try,
                                    int *pending);
/* A certificate came back (source "est", "file" or "renew"): keep it (PEM,
 * certificate then chain) and the CA certificates trusted for it (ca_pem,
 * may be NULL to keep the previous), clear the pending state, and move the
 * order to issued when its status allows that step now. One transaction. */
rgs_order_rc rgs_order_cert_received(rgs_order_store *s, long long id, const char *cert_pem,
                                     const char *ca_pem, const char *source);

/* ---- the installed certificate's dates (order_certdates.c) ------------- */

/* What enroll/ read from the certificate installed for an order, and the
 * last expiry reminder given for it. */
typedef struct {
  char serial[130];                        /* hex, as OpenSSL writes it */
  char issuer[512];                        /* one line, UTF-8 */
  char subject_cn[256];                    /* "" when the subject has no CN */
  char not_before[RGS_ORDER_STAMP_MAX];    /* "YYYY-MM-DDTHH:MM:SSZ" */
  char not_after[RGS_ORDER_STAMP_MAX];
  char recorded_at[RGS_ORDER_STAMP_MAX];
  int reminded;                            /* last threshold announced, in days before the
                                            * end (90, 30, 7, 1; 0: after the end); -1 none */
  char reminded_at[RGS_ORDER_STAMP_MAX];   /* "" when none */
} rgs_order_cert_dates;

/* *found 0 when no dates are recorded for order id (RGS_ORDER_ERR_NO_ORDER
 * when the order does not exist). */
rgs_order_rc rgs_order_cert_dates_get(rgs_order_store *s, long long id, rgs_order_cert_dates *out,
                                      int *found);
/* Record the dates of the certificate installed for order id (d->recorded_at
 * and d->reminded are the store's). Another certificate than the one
 * recorded (serial or issuer differ: a renewal) starts its reminders
 * afresh; the same one keeps them. RGS_ORDER_ERR_DATE when a date is not a
 * UTC stamp or the serial or issuer is empty. */
rgs_order_rc rgs_order_cert_dates_set(rgs_order_store *s, long long id,
                                      const rgs_order_cert_dates *d);
/* The reminder of threshold `days` (90, 30, 7, 1, or 0 after the end) was
 * given now. RGS_ORDER_ERR_NO_ORDER when no dates are recorded for id. */
rgs_order_rc rgs_order_cert_reminded(rgs_order_store *s, long long id, int days);

#ifdef __cplusplus
}
#endif
#endif /* RGS_ORDER_H */
