/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rgs_p11.h - the token layer of rgs-enroll.
 *
 * Loads any PKCS#11 module, names tokens and objects with RFC 7512 URIs, handles
 * PINs safely, checks a token and a key against RGS** and generates key pairs on
 * the card. It knows nothing of orders or of the command line.
 *
 * Ownership: every function that hands out a handle or a buffer says how to
 * release it. Handles are opaque. Functions return rgs_p11_rc, 0 on success.
 */
#ifndef RGS_P11_H
#define RGS_P11_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <p11-kit/pkcs11.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- results ---------------------------------------------------------- */

typedef enum {
  RGS_P11_OK = 0,
  RGS_P11_ERR_NOMEM,
  RGS_P11_ERR_ARG,            /* API misuse or invalid argument */
  RGS_P11_ERR_IO,             /* a file could not be read */
  RGS_P11_ERR_MODULE_LOAD,    /* module file missing or not loadable */
  RGS_P11_ERR_MODULE_BAD,     /* not a PKCS#11 module, or it answers nonsense */
  RGS_P11_ERR_MODULE,         /* the module failed (see rgs_p11_last_error) */
  RGS_P11_ERR_NO_TOKEN,       /* no token present / none matches */
  RGS_P11_ERR_MANY_TOKENS,    /* several tokens match: name one with --token */
  RGS_P11_ERR_TOKEN_REMOVED,  /* the token went away during the operation */
  RGS_P11_ERR_TOKEN_RO,       /* token write-protected */
  RGS_P11_ERR_TOKEN_FULL,     /* no room left on the token */
  RGS_P11_ERR_URI,            /* malformed or refused pkcs11: URI */
  RGS_P11_ERR_PIN_INPUT,      /* PIN could not be read (no terminal, empty file...) */
  RGS_P11_ERR_PIN_INCORRECT,  /* PIN refused by the token */
  RGS_P11_ERR_PIN_LOCKED,     /* PIN locked: unblocking code needed */
  RGS_P11_ERR_PIN_FINAL_TRY,  /* last try left and the user did not consent */
  RGS_P11_ERR_PIN_INVALID,    /* PIN of a length or form the token refuses */
  RGS_P11_ERR_PIN_CANCELLED,  /* cancelled on the pinpad or at the prompt */
  RGS_P11_ERR_MECHANISM,      /* mechanism or key size not supported */
  RGS_P11_ERR_KEY_NOT_FOUND,
  RGS_P11_ERR_KEY_AMBIGUOUS,  /* several keys match the URI */
  RGS_P11_ERR_KEY_ATTRS,      /* key does not read back as generated on the card */
  RGS_P11_ERR_KEY_REFUSED,    /* key type/size not RGS** conformant */
  RGS_P11_ERR_POLICY,         /* policy file malformed */
  RGS_P11_ERR_NOT_QUALIFIED,  /* token fails the RGS** check and no policy admits it */
  RGS_P11_ERR_SIGNATURE,      /* signature made by the token does not verify */
  RGS_P11_ERR_CRYPTO,         /* OpenSSL failure */
  RGS_P11_ERR_CERT_MISMATCH,  /* the certificate's public key is not the key's */
  RGS_P11_ERR_PIN_WEAK,       /* new PIN refused: trivial (0000, 1234...) or same as before */
  RGS_P11_ERR_PIN_CONFIRM,    /* the new PIN and its confirmation differ */
  RGS_P11_ERR_SO_PIN_INCORRECT, /* unblocking code (PUK / SO PIN) refused */
  RGS_P11_ERR_SO_PIN_LOCKED,  /* unblocking code locked: only the CA can help */
  RGS_P11_ERR_SO_PIN_FINAL_TRY, /* last unblocking-code try left, not consented */
  RGS_P11_ERR_PIN_LENGTH,     /* PIN length outside what the token accepts: not sent */
  RGS_P11_ERR_PIN_EXPIRED,    /* the token wants the PIN changed first */
  RGS_P11_ERR_PIN_TEXT,       /* the secret read is not plain text (UTF-16, NUL, control
                                 character, not UTF-8): refused, never sent */
  RGS_P11_ERR_KEY_TEMPLATE,   /* the module refuses the sign-only key template at key
                                 generation: it cannot make the key RGS** asks for */
  RGS_P11_ERR_TOKEN_NOT_RECOGNIZED, /* a card is there, the module does not know it
                                       (CKR_TOKEN_NOT_RECOGNIZED) */
  RGS_P11_ERR_MODULE_INIT,    /* the module loaded but C_Initialize failed */
} rgs_p11_rc;

/* A translated, user-facing sentence for rc. Never NULL; static storage. */
const char *rgs_p11_strerror(rgs_p11_rc rc);

/* Map a PKCS#11 return value to rgs_p11_rc. */
rgs_p11_rc rgs_p11_from_ckr(CK_RV rv);

/* Symbolic name of a CK_RV ("CKR_PIN_INCORRECT"); static storage, never NULL. */
const char *rgs_p11_ckr_name(CK_RV rv);

/* ---- module ----------------------------------------------------------- */

typedef struct rgs_p11_ctx rgs_p11_ctx;

/* The module to use: explicit, else $RGS_ENROLL_MODULE, else OpenSC's
 * ("opensc-pkcs11.so" in p11-kit's module directory). Any of the forms
 * rgs_p11_ctx_new accepts. */
const char *rgs_p11_default_module(const char *explicit_path);

/* Resolve module (see rgs_p11_module_resolve), dlopen it and C_Initialize
 * (OS locking). A module another part of the process already initialised is
 * accepted and not finalised by us. On failure errbuf (may be NULL) says
 * why. Free with rgs_p11_ctx_free(). */
rgs_p11_rc rgs_p11_ctx_new(const char *module, rgs_p11_ctx **out, char *errbuf,
                           size_t errlen);
void rgs_p11_ctx_free(rgs_p11_ctx *ctx);

/* Detail of the last failure on ctx: "C_Login: CKR_PIN_INCORRECT", or a
 * loader message. Empty string when none. Valid until the next call on ctx. */
const char *rgs_p11_last_error(const rgs_p11_ctx *ctx);

const char *rgs_p11_module_path(const rgs_p11_ctx *ctx);
/* Raw function list, for tests and for callers that need a call we lack. */
CK_FUNCTION_LIST_PTR rgs_p11_functions(const rgs_p11_ctx *ctx);

/* ---- finding the module: paths, file names, p11-kit's registry
 * (p11_registry.c) ------------------------------------------------------- */

typedef struct rgs_p11_uri rgs_p11_uri;       /* below, URIs */
typedef struct rgs_p11_token rgs_p11_token;   /* below, an open token */

/* A module registered with p11-kit (/usr/share/p11-kit/modules/ *.module,
 * ~/.config/pkcs11/modules/). */
typedef struct {
  char *name;               /* "softhsm2", "opensc-pkcs11" */
  char *path;               /* the file p11-kit loads */
} rgs_p11_registered;

/* The registered modules, in p11-kit's order (priority, then name); trust-
 * policy modules (CA certificates, never a person's key) are left out.
 * Loads every one (no C_Initialize). *out: free with
 * rgs_p11_registered_free(). */
rgs_p11_rc rgs_p11_registered_list(rgs_p11_registered **out, size_t *n, char *errbuf,
                                   size_t errlen);
void rgs_p11_registered_free(rgs_p11_registered *list, size_t n);

/* The file of module: a path (it has a '/'), a file name in p11-kit's module
 * directory ("opensc-pkcs11.so"), or a name registered with p11-kit
 * ("softhsm2"; only then is the registry read). *path: free with free();
 * *name (may be NULL) gets the registered name (free with free()), NULL
 * when module was not a name. A name that matches nothing:
 * RGS_P11_ERR_MODULE_LOAD, errbuf lists the registered names. */
rgs_p11_rc rgs_p11_module_resolve(const char *module, char **path, char **name,
                                  char *errbuf, size_t errlen);

/* rgs_p11_ctx_new for a path already resolved (a registered module's),
 * keeping its registered name (may be NULL). */
rgs_p11_rc rgs_p11_ctx_new_path(const char *path, const char *name, rgs_p11_ctx **out,
                                char *errbuf, size_t errlen);

/* How the module of a ctx was chosen. */
typedef enum {
  RGS_P11_MODULE_GIVEN = 0,   /* --module, the URI's module-name / module-path,
                                 $RGS_ENROLL_MODULE */
  RGS_P11_MODULE_DEFAULT,     /* none named: OpenSC's */
  RGS_P11_MODULE_REGISTRY,    /* none named: the registered module through which
                                 the token can do the step */
} rgs_p11_module_origin;

/* What the step needs of the token, when no module is named. */
typedef enum {
  RGS_P11_NEED_ANY = 0,
  RGS_P11_NEED_KEYGEN,        /* CKM_RSA_PKCS_KEY_PAIR_GEN */
} rgs_p11_need;

typedef struct {
  const char *module;         /* --module, NULL when not given */
  const rgs_p11_uri *sel;     /* the token (NULL: the only one); its module-name /
                                 module-path select the module too */
  rgs_p11_need need;
  /* May be NULL. With need KEYGEN, a token whose policy entry says keygen = no
   * (the module only reads and signs on it) is not taken for the step
   * through that module when a registered one can do it. */
  const struct rgs_p11_policy *policy;
  /* May be NULL. No module named, no token named, OpenSC's shows none and
   * the registered modules show several different tokens (by serial):
   * RGS_P11_ERR_MANY_TOKENS with *ctx NULL, and here the tokens seen, one
   * per serial, each with the module that shows it. Free with
   * rgs_p11_seen_free(). */
  struct rgs_p11_seen **seen;
  size_t *n_seen;
} rgs_p11_open_req;

/* Load the module and open the token. The module is the one named (--module,
 * the URI's module-path or module-name, $RGS_ENROLL_MODULE: those given must
 * name the same module, else RGS_P11_ERR_URI), else OpenSC's; when none is
 * named and OpenSC's does not show the token or cannot do what need asks,
 * the registered modules are asked in p11-kit's order and the first through
 * which the token can do it is used (else the first that shows it).
 * On success *ctx and *tok are set. On a failure to load, *ctx is NULL and
 * errbuf says why; on a failure to find the token, *ctx is set (see
 * rgs_p11_last_error) and *tok NULL. Free with rgs_p11_token_close(), then
 * rgs_p11_ctx_free(). */
rgs_p11_rc rgs_p11_open(const rgs_p11_open_req *req, rgs_p11_ctx **ctx, rgs_p11_token **tok,
                        char *errbuf, size_t errlen);

/* The registered name of ctx's module, NULL when not known (a path). */
const char *rgs_p11_module_name(const rgs_p11_ctx *ctx);
rgs_p11_module_origin rgs_p11_module_origin_of(const rgs_p11_ctx *ctx);
/* "given", "default", "registry": stable words for JSON. */
const char *rgs_p11_module_origin_name(rgs_p11_module_origin origin);

/* ---- slots and tokens ------------------------------------------------- */

/* Blank-padded PKCS#11 strings, trimmed and NUL-terminated here. */
typedef struct {
  CK_SLOT_ID slot_id;
  char slot_description[65];
  char slot_manufacturer[33];
  CK_FLAGS slot_flags;           /* CKF_TOKEN_PRESENT, CKF_HW_SLOT, CKF_REMOVABLE_DEVICE */
  int token_present;
  char label[33];
  char manufacturer[33];
  char model[17];
  char serial[17];
  CK_FLAGS token_flags;          /* CKF_USER_PIN_* etc. */
  CK_ULONG min_pin, max_pin;
  CK_VERSION hw_version, fw_version;
  int token_unrecognized;        /* a card is in the reader but the module does not
                                    recognise it (token_present is 0 then) */
} rgs_p11_slot_info;

/* A token seen through a registered module (rgs_p11_open_req.seen). */
typedef struct rgs_p11_seen {
  char *module_name;             /* the p11-kit name */
  char *module_path;
  rgs_p11_slot_info info;
} rgs_p11_seen;
void rgs_p11_seen_free(rgs_p11_seen *list, size_t n);

/* All slots of the module (with or without token). *out is an array of *n
 * entries; free with free(). */
rgs_p11_rc rgs_p11_slots(rgs_p11_ctx *ctx, rgs_p11_slot_info **out, size_t *n);

/* ---- URIs (RFC 7512) --------------------------------------------------- */

typedef struct rgs_p11_uri rgs_p11_uri;

typedef enum {
  RGS_URI_TOKEN = 0,      /* token label */
  RGS_URI_MANUFACTURER,
  RGS_URI_MODEL,
  RGS_URI_SERIAL,
  RGS_URI_OBJECT,         /* object label */
  RGS_URI_TYPE,           /* public | private | cert | secret-key | data */
  RGS_URI_SLOT_DESCRIPTION,
  RGS_URI_SLOT_MANUFACTURER,
  RGS_URI_LIBRARY_MANUFACTURER,
  RGS_URI_LIBRARY_DESCRIPTION,
  RGS_URI_MODULE_PATH,    /* query attribute module-path */
  RGS_URI_MODULE_NAME,    /* query attribute module-name (a p11-kit module name) */
  RGS_URI_N_ATTRS
} rgs_p11_uri_attr;

/* Parse "pkcs11:..." (path and query, percent-decoded). pin-value and
 * pin-source are refused (RGS_P11_ERR_URI): PINs never travel in a URI.
 * errbuf (may be NULL) receives a short explanation. Free with
 * rgs_p11_uri_free(). */
rgs_p11_rc rgs_p11_uri_parse(const char *text, rgs_p11_uri **out, char *errbuf,
                             size_t errlen);
rgs_p11_uri *rgs_p11_uri_new(void);          /* empty URI; NULL on ENOMEM */
void rgs_p11_uri_free(rgs_p11_uri *uri);

/* Attribute value (decoded), NULL when absent. Borrowed from uri. */
const char *rgs_p11_uri_get(const rgs_p11_uri *uri, rgs_p11_uri_attr attr);
/* Set or clear (value NULL) an attribute; the value is copied. */
rgs_p11_rc rgs_p11_uri_set(rgs_p11_uri *uri, rgs_p11_uri_attr attr, const char *value);
/* CKA_ID bytes (id=...), NULL/0 when absent. Borrowed. */
const unsigned char *rgs_p11_uri_get_id(const rgs_p11_uri *uri, size_t *len);
rgs_p11_rc rgs_p11_uri_set_id(rgs_p11_uri *uri, const unsigned char *id, size_t len);
/* slot-id=N; returns 0 when absent, 1 with *slot set when present. */
int rgs_p11_uri_get_slot_id(const rgs_p11_uri *uri, CK_SLOT_ID *slot);

/* Canonical text: library-*, slot-*, token, manufacturer, serial, model,
 * object, type, id, then the query; percent-encoded where RFC 7512 requires
 * (id always fully). Free with free(). NULL on ENOMEM. */
char *rgs_p11_uri_format(const rgs_p11_uri *uri);

/* URI naming a token (token, manufacturer, model, serial); RGS_P11_ERR_NO_TOKEN
 * when the slot has none. Free with rgs_p11_uri_free(). */
rgs_p11_rc rgs_p11_uri_for_token(const rgs_p11_slot_info *info, rgs_p11_uri **out);

/* 1 when every token attribute present in uri (token, manufacturer, model,
 * serial, slot-*) matches info; an absent attribute matches anything. */
int rgs_p11_uri_match_token(const rgs_p11_uri *uri, const rgs_p11_slot_info *info);

/* ---- qualified-device policy ------------------------------------------ */

typedef struct rgs_p11_policy rgs_p11_policy;

/* A PKCS#11 module the policy describes ([module "NAME"] section): what a
 * person needs to find or get it. Borrowed from the policy. */
typedef struct {
  const char *name;              /* section name, shown to the user */
  const char *file;              /* bare file name ("libeTPkcs11.so") */
  const char *const *paths;      /* usual install paths, n_paths of them */
  size_t n_paths;
  const char *vendor;            /* who distributes it; NULL when not given */
  const char *url;               /* where to get it; NULL when not given */
} rgs_p11_module_info;

#define RGS_P11_POLICY_MAX_KEYGEN_MODULES 4

typedef struct {
  const char *name;              /* entry name from the file; its name-fr when messages are French */
  const char *file;              /* file it came from */
  int demo;                      /* 1: a demo/test device, never qualified */
  int waive_hardware_slot;       /* demo entries may waive slot.hardware/removable */
  /* Can the module that shows the device this way generate keys on it?
   * 1 yes, 0 no (it can only read and sign), -1 not said (keygen =). */
  int keygen;
  const rgs_p11_module_info *module;   /* that module (module =), or NULL */
  /* Modules that can generate keys on this device (keygen-module =). */
  const rgs_p11_module_info *keygen_modules[RGS_P11_POLICY_MAX_KEYGEN_MODULES];
  size_t n_keygen_modules;
} rgs_p11_policy_entry;

/* Load a policy file and append its entries to *pol (created when NULL).
 * On a syntax error: RGS_P11_ERR_POLICY with "file:line: reason" in errbuf.
 * Free with rgs_p11_policy_free(). */
rgs_p11_rc rgs_p11_policy_load(rgs_p11_policy **pol, const char *path, char *errbuf,
                               size_t errlen);
/* Same from a buffer (name used in messages). */
rgs_p11_rc rgs_p11_policy_load_mem(rgs_p11_policy **pol, const char *name,
                                   const char *text, size_t len, char *errbuf,
                                   size_t errlen);
void rgs_p11_policy_free(rgs_p11_policy *pol);
size_t rgs_p11_policy_count(const rgs_p11_policy *pol);

/* First entry matching the token's manufacturer, model and label (glob
 * patterns, case-insensitive), or NULL. Borrowed from pol. */
const rgs_p11_policy_entry *rgs_p11_policy_match(const rgs_p11_policy *pol,
                                                 const char *manufacturer,
                                                 const char *model, const char *label);
/* The first [module "NAME"] section of that name, or NULL. Borrowed. */
const rgs_p11_module_info *rgs_p11_policy_module(const rgs_p11_policy *pol, const char *name);
/* Module sections in load order: the i-th, or NULL past the end. */
const rgs_p11_module_info *rgs_p11_policy_module_at(const rgs_p11_policy *pol, size_t i);
/* The first of the module's usual paths that is a readable file here, or
 * NULL. Borrowed from m. */
const char *rgs_p11_module_installed(const rgs_p11_module_info *m);

/* ---- an open token ---------------------------------------------------- */

typedef struct rgs_p11_token rgs_p11_token;

/* Select the token named by sel (NULL: the only initialised token present;
 * several: RGS_P11_ERR_MANY_TOKENS) and open a read-write session on it
 * (read-only when the token is write-protected).
 * Free with rgs_p11_token_close(). */
rgs_p11_rc rgs_p11_token_open(rgs_p11_ctx *ctx, const rgs_p11_uri *sel,
                              rgs_p11_token **out);
void rgs_p11_token_close(rgs_p11_token *tok);

/* Token information as read at open or at the last refresh. Borrowed. */
const rgs_p11_slot_info *rgs_p11_token_info(const rgs_p11_token *tok);
/* Re-read the token information (PIN flags change after a login). */
rgs_p11_rc rgs_p11_token_refresh(rgs_p11_token *tok);
rgs_p11_ctx *rgs_p11_token_ctx(const rgs_p11_token *tok);

/* Mechanism info, cached per token. RGS_P11_ERR_MECHANISM when absent. */
rgs_p11_rc rgs_p11_mechanism(rgs_p11_token *tok, CK_MECHANISM_TYPE mech,
                             CK_MECHANISM_INFO *info);

/* ---- PINs ------------------------------------------------------------- */

typedef enum {
  RGS_PIN_FROM_TTY = 0,   /* prompt on /dev/tty without echo; pinpad when the token has one */
  RGS_PIN_FROM_FILE,      /* first line of a file */
  RGS_PIN_FROM_FD,        /* first line read from a file descriptor */
} rgs_p11_pin_from;

typedef enum {
  RGS_PIN_USER = 0,
  RGS_PIN_SO,             /* unblocking code */
  RGS_PIN_CONTEXT,        /* the user PIN again, for one signature (CKA_ALWAYS_AUTHENTICATE) */
} rgs_p11_pin_role;

typedef struct {
  rgs_p11_pin_from from;
  const char *path;        /* RGS_PIN_FROM_FILE */
  int fd;                  /* RGS_PIN_FROM_FD */
  int allow_final_try;     /* the user said so explicitly (--final-try) */
  /* Interactive consent for the last try; NULL means no. Returns 1 for yes. */
  int (*confirm_final_try)(void *ud, const rgs_p11_slot_info *info);
  /* Receives warnings (count low) as translated sentences. May be NULL. */
  void (*warn)(void *ud, const char *message);
  /* Prompt text shown on the terminal; NULL for the default. */
  const char *prompt;
  void *ud;
} rgs_p11_pin_source;

/* Read the PIN flags, refuse a locked PIN or an unconsented final try, warn
 * on a low count, then read the PIN (or use the pinpad) and log in once.
 * Never retries. The PIN is wiped on every path. On RGS_P11_ERR_PIN_INCORRECT
 * the token info is refreshed so callers can tell what is left. */
rgs_p11_rc rgs_p11_login(rgs_p11_token *tok, rgs_p11_pin_role role,
                         const rgs_p11_pin_source *src);
int rgs_p11_logged_in(const rgs_p11_token *tok);

/* Where to ask the PIN again when a key wants it for each signature
 * (CKA_ALWAYS_AUTHENTICATE); borrowed, must outlive tok. The PIN is read
 * again, never kept: that is the point of such keys. */
void rgs_p11_token_set_reauth(rgs_p11_token *tok, const rgs_p11_pin_source *src);

/* Read one secret line from the source into buf (NUL-terminated), at most
 * cap-1 bytes. The caller wipes buf with rgsx_wipe(). A file must be a
 * regular file (a FIFO would block: pass a pipe as a descriptor). A UTF-8
 * byte-order mark at the start and the final CR/LF are dropped; UTF-16,
 * NUL bytes, text that is not UTF-8 and control characters are refused with
 * RGS_P11_ERR_PIN_TEXT, so that nothing a token would count as a wrong try
 * is ever returned. */
rgs_p11_rc rgs_p11_pin_read(const rgs_p11_pin_source *src, const char *prompt,
                            char *buf, size_t cap, size_t *len);
/* The same; on failure why (whylen bytes, may be NULL) gets a sentence for
 * the person: what was found and how to mend it ("the file F is in UTF-16
 * (as Notepad saves "Unicode"): save it as UTF-8 or plain text"), or why a
 * file could not be opened. Empty when there is nothing to add. Never
 * quotes the secret. */
rgs_p11_rc rgs_p11_pin_read_why(const rgs_p11_pin_source *src, const char *prompt,
                                char *buf, size_t cap, size_t *len, char *why,
                                size_t whylen);

/* ---- RGS** rules ------------------------------------------------------- */

/* Minimum RSA modulus for a certificate valid until not_after (RGS B1):
 * 2048 up to 2030-12-31 23:59:59 UTC, 3072 beyond. */
unsigned rgs_p11_min_rsa_bits(time_t not_after);
/* not_after of a certificate of `years` years issued at `now`. */
time_t rgs_p11_validity_end(time_t now, int years);
/* Days allowed between the request and the issuance (face-to-face, paper
 * documents): the key must still be conformant for a certificate issued
 * that much later. */
#define RGS_P11_ISSUANCE_MARGIN_DAYS 92

/* ---- keys ------------------------------------------------------------- */

typedef enum { RGS_KEY_RSA = 1, RGS_KEY_EC } rgs_p11_key_type;
typedef enum { RGS_CURVE_NONE = 0, RGS_CURVE_P256, RGS_CURVE_P384, RGS_CURVE_P521 } rgs_p11_curve;

typedef struct {
  rgs_p11_key_type type;
  unsigned bits;            /* RSA modulus size */
  rgs_p11_curve curve;      /* EC */
} rgs_p11_keyspec;

/* "rsa:2048", "rsa:3072", "rsa:4096", "ec:p256", "ec:p384", "ec:p521". */
rgs_p11_rc rgs_p11_keyspec_parse(const char *text, rgs_p11_keyspec *out);
/* Static text such as "rsa:3072". */
const char *rgs_p11_keyspec_name(const rgs_p11_keyspec *spec);

typedef struct rgs_p11_key rgs_p11_key;

/* A boolean attribute as the token told it, or RGS_P11_UNKNOWN when it
 * would not tell. */
typedef enum { RGS_P11_UNKNOWN = -1, RGS_P11_NO = 0, RGS_P11_YES = 1 } rgs_p11_tri;

/* Attributes read back from a private key. Each tri-state is an
 * rgs_p11_tri: 1, 0, or -1 when the token would not tell. */
typedef struct {
  int local, always_sensitive, never_extractable, extractable, sensitive;
  int private_, token, sign, decrypt;
  int always_authenticate;  /* the PIN is needed again for every signature */
  rgs_p11_key_type type;
  unsigned bits;            /* RSA modulus bits or EC field bits */
  rgs_p11_curve curve;
  unsigned long exponent;   /* RSA public exponent (0 when over 64 bits or unknown) */
} rgs_p11_key_attrs;

/* Generate a key pair on the card with a strict template (token, private,
 * sensitive, non-extractable, sign only), set CKA_ID from the public key,
 * read it back and verify it; a key that fails is destroyed. Needs a login.
 * Free with rgs_p11_key_free() (the objects stay on the token). */
rgs_p11_rc rgs_p11_keygen(rgs_p11_token *tok, const rgs_p11_keyspec *spec,
                          const char *label, rgs_p11_key **out);

/* Told each CKA_ID of a key pair being made: the one-time id (final 0)
 * just before C_GenerateKeyPair, the id derived from the public key
 * (final 1) just before it is set. A caller that records them durably can
 * find the key of a run killed in between (rgs_p11_key_find_leftover).
 * Return non-zero when the id could not be recorded: nothing is made then,
 * or what was made is removed (RGS_P11_ERR_IO). */
typedef int (*rgs_p11_keygen_note)(void *ud, int final, const unsigned char *id, size_t len);

/* rgs_p11_keygen, telling note (may be NULL) the ids as above. */
rgs_p11_rc rgs_p11_keygen_noted(rgs_p11_token *tok, const rgs_p11_keyspec *spec,
                                const char *label, rgs_p11_keygen_note note, void *ud,
                                rgs_p11_key **out);

/* The key pair a killed keygen left, by one of the ids it was told: a key
 * still carrying the one-time id gets its derived CKA_ID now, as keygen
 * would have given it; it must read back as generated on the card
 * (RGS_P11_ERR_KEY_ATTRS otherwise). RGS_P11_ERR_KEY_NOT_FOUND when no
 * private key has that id. Needs a login. Free with rgs_p11_key_free(). */
rgs_p11_rc rgs_p11_key_find_leftover(rgs_p11_token *tok, const unsigned char *id, size_t len,
                                     rgs_p11_key **out);
/* The same, given both ids the caller was told (tmp or final may be NULL):
 * also a pair whose halves carry different ids, left by a run killed
 * between the two C_SetAttributeValue of keygen (one half with the final
 * id, the other still with the one-time id), is found whole; both halves
 * then get the final id. */
rgs_p11_rc rgs_p11_key_find_leftover_ids(rgs_p11_token *tok, const unsigned char *tmp,
                                         size_t tmp_len, const unsigned char *final,
                                         size_t final_len, rgs_p11_key **out);

/* Find the private key named by uri (object label and/or id). Needs a login
 * for private objects. Free with rgs_p11_key_free(). */
rgs_p11_rc rgs_p11_key_find(rgs_p11_token *tok, const rgs_p11_uri *uri,
                            rgs_p11_key **out);

/* Find the private key whose public key equals pub (compared by public key,
 * never by label or id alone). */
rgs_p11_rc rgs_p11_key_find_by_public(rgs_p11_token *tok, const EVP_PKEY *pub,
                                      rgs_p11_key **out);

void rgs_p11_key_free(rgs_p11_key *key);

/* Destroy the key pair on the token. The handle stays to be freed. */
rgs_p11_rc rgs_p11_key_destroy(rgs_p11_token *tok, rgs_p11_key *key);

const rgs_p11_key_attrs *rgs_p11_key_get_attrs(const rgs_p11_key *key);
/* Public key; borrowed from key. */
EVP_PKEY *rgs_p11_key_public(const rgs_p11_key *key);
const char *rgs_p11_key_label(const rgs_p11_key *key);
const unsigned char *rgs_p11_key_id(const rgs_p11_key *key, size_t *len);
/* URI of the private key on its token; free with free(). */
char *rgs_p11_key_uri(const rgs_p11_token *tok, const rgs_p11_key *key);

/* Sign data with the key: SHA-256 then RSA PKCS#1 v1.5 or ECDSA, made on
 * the token. *sig is DER for ECDSA, raw for RSA; free with free(). */
rgs_p11_rc rgs_p11_sign_sha256(rgs_p11_token *tok, const rgs_p11_key *key,
                               const unsigned char *data, size_t len,
                               unsigned char **sig, size_t *siglen);

/* ---- the RGS** check -------------------------------------------------- */

typedef enum { RGS_CHECK_PASS = 0, RGS_CHECK_FAIL, RGS_CHECK_UNKNOWN } rgs_p11_verdict;

typedef struct {
  const char *id;           /* stable: "device.policy", "slot.hardware", ... */
  const char *title;        /* translated */
  rgs_p11_verdict verdict;
  char evidence[256];       /* what was read from the token */
  int waived;               /* failed but waived by a demo policy entry */
  char plain[256];          /* translated: what it means for the person, no
                             * PKCS#11 names; empty when the layer gave none */
  char advice[256];         /* translated: what to do when it fails; may be empty */
} rgs_p11_criterion;

typedef struct rgs_p11_report rgs_p11_report;

typedef struct {
  time_t not_after;         /* end of the certificate's validity */
  const rgs_p11_policy *policy;
  /* The key type about to be made, 0 when not known: its mechanisms are
   * probed first, so the evidence names the ones that will be used. */
  rgs_p11_key_type key_type;
  /* 1: the token came from the CA with its keys (check --delivered): a
   * module that cannot generate keys is no fault then, since each key is
   * checked for generation on the card. */
  int delivered;
} rgs_p11_requirements;

/* Check the token (device policy, slot, mechanisms, token and PIN state).
 * Appends to *rep (created when NULL); free with rgs_p11_report_free(). */
rgs_p11_rc rgs_p11_check_token(rgs_p11_token *tok, const rgs_p11_requirements *req,
                               rgs_p11_report **rep);
/* Check a private key (generated on card, sensitivity, size, exponent). */
rgs_p11_rc rgs_p11_check_key(rgs_p11_token *tok, const rgs_p11_key *key,
                             const rgs_p11_requirements *req, rgs_p11_report **rep);
void rgs_p11_report_free(rgs_p11_report *rep);

size_t rgs_p11_report_count(const rgs_p11_report *rep);
const rgs_p11_criterion *rgs_p11_report_get(const rgs_p11_report *rep, size_t i);
/* 1 when every criterion passes. */
int rgs_p11_report_passed(const rgs_p11_report *rep);
/* 1 when every failure is waived by a demo policy entry (and nothing is
 * unknown): keygen may go on, and says the device is a demo one. */
int rgs_p11_report_admitted(const rgs_p11_report *rep);
/* Policy entry that matched the token, or NULL. Borrowed. */
const rgs_p11_policy_entry *rgs_p11_report_policy_entry(const rgs_p11_report *rep);

/* What the check found of on-card key generation (criterion mech.keygen). */
typedef enum {
  RGS_P11_KEYGEN_OK = 0,          /* a conformant key pair can be made */
  RGS_P11_KEYGEN_UNCHECKED,       /* no token check in this report */
  RGS_P11_KEYGEN_READ_ONLY,       /* the policy says this module only reads and signs
                                   * on this device: another module generates keys */
  RGS_P11_KEYGEN_NO_MECHANISM,    /* the module lists no key pair generation at all */
  RGS_P11_KEYGEN_TOO_SMALL,       /* it makes keys, none RGS** accepts for this validity */
} rgs_p11_keygen_state;
rgs_p11_keygen_state rgs_p11_report_keygen(const rgs_p11_report *rep);
/* 1 for the two states where the module cannot make any key on this token
 * (READ_ONLY, NO_MECHANISM): a token/module problem, not a verdict. */
int rgs_p11_keygen_module_cannot(rgs_p11_keygen_state st);

/* Why no token could be opened: what the module's slots (readers) hold. */
typedef struct {
  size_t n_slots;
  size_t n_tokens;                /* tokens the module reads */
  size_t n_empty;                 /* readers without a card */
  size_t n_unrecognized;          /* a card is there, the module cannot read it */
  char empty_reader[65];          /* first reader without a card (sanitised) */
  char unrecognized_reader[65];   /* first reader whose card it cannot read (sanitised) */
  CK_RV unrecognized_rv;          /* what C_GetTokenInfo answered there */
} rgs_p11_slot_diag;
/* Look at every slot (C_GetSlotList, C_GetSlotInfo, C_GetTokenInfo only:
 * no session, no PIN). */
rgs_p11_rc rgs_p11_diagnose_slots(rgs_p11_ctx *ctx, rgs_p11_slot_diag *out);


/* ---- certificate objects (p11_cert.c) ---------------------------------- */

/* CKA_CERTIFICATE_CATEGORY values (PKCS#11 2.40). */
#define RGS_CERT_CATEGORY_UNSPECIFIED 0UL
#define RGS_CERT_CATEGORY_USER 1UL
#define RGS_CERT_CATEGORY_AUTHORITY 2UL
#define RGS_CERT_CATEGORY_UNKNOWN ((unsigned long)-1)

/* One X.509 certificate object read from the token. */
typedef struct {
  CK_OBJECT_HANDLE handle;
  X509 *x509;                  /* owned by the list */
  unsigned char id[64];        /* CKA_ID */
  size_t id_len;
  char label[65];
  unsigned long category;      /* RGS_CERT_CATEGORY_*, _UNKNOWN when not readable */
} rgs_p11_cert;

/* Every X.509 certificate object of the token (public objects; private ones
 * too after a login). Objects whose value does not parse are skipped.
 * *out is an array of *n entries; free with rgs_p11_cert_list_free(). */
rgs_p11_rc rgs_p11_cert_list(rgs_p11_token *tok, rgs_p11_cert **out, size_t *n);
void rgs_p11_cert_list_free(rgs_p11_cert *list, size_t n);

/* Write cert as a token object of category "user" with the key's CKA_ID,
 * the given label, CKA_SUBJECT, CKA_ISSUER and CKA_SERIAL_NUMBER, after
 * checking that its public key is the key's (RGS_P11_ERR_CERT_MISMATCH:
 * nothing written). The object is read back and compared byte for byte; an
 * object that does not read back identical is destroyed. *handle (may be
 * NULL) receives the new object. Needs a login on most tokens. */
rgs_p11_rc rgs_p11_cert_write(rgs_p11_token *tok, const rgs_p11_key *key, X509 *cert,
                              const char *label, CK_OBJECT_HANDLE *handle);

/* Write a CA certificate (category "authority", CKA_ID = its subject key
 * identifier, else the SHA-1 of its public key), read back as above. */
rgs_p11_rc rgs_p11_cert_write_ca(rgs_p11_token *tok, X509 *cert, const char *label,
                                 CK_OBJECT_HANDLE *handle);

/* Destroy a certificate object. */
rgs_p11_rc rgs_p11_cert_destroy(rgs_p11_token *tok, CK_OBJECT_HANDLE handle);

/* Remove what an interrupted write of a certificate left for key: the
 * certificate objects whose CKA_ID is the key's or empty and whose value is
 * empty or not one DER X.509 certificate. (SoftHSM2 killed inside
 * C_CreateObject leaves a certificate object with every attribute at its
 * default; a module that creates the object then fills it leaves one with
 * the key's CKA_ID and no value.) Certificates that parse, other types and
 * objects with another CKA_ID are left alone. *removed (may be NULL) counts
 * the objects removed, also when an error stopped the sweep. Run it after
 * the good certificate is on the token; needs a login (the leftover may be
 * a private object). */
rgs_p11_rc rgs_p11_cert_remove_partial(rgs_p11_token *tok, const rgs_p11_key *key,
                                       size_t *removed);

/* Add a criterion to *rep (created when NULL), for layers above that check
 * more than the token (certificates). id and title must outlive the report
 * (string literals, translated catalogue strings). */
rgs_p11_rc rgs_p11_report_add(rgs_p11_report **rep, const char *id, const char *title,
                              rgs_p11_verdict verdict, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The plain sentence and, for a failure, the advice (may be NULL) of the
 * criterion last added to rep (see rgs_p11_criterion). */
rgs_p11_rc rgs_p11_report_explain(rgs_p11_report *rep, const char *plain, const char *advice);

/* ---- PIN change and unblocking (p11_pinmgmt.c) --------------------------- */

/* Why a new PIN is refused before anything is sent to the token. */
typedef enum {
  RGS_PIN_NEW_OK = 0,
  RGS_PIN_NEW_SHORT,           /* under the token's minimum length */
  RGS_PIN_NEW_LONG,            /* over the token's maximum length */
  RGS_PIN_NEW_CHARS,           /* control characters */
  RGS_PIN_NEW_TRIVIAL,         /* one repeated character, or a run such as 1234 / 4321 */
  RGS_PIN_NEW_SAME,            /* equal to the PIN it replaces */
} rgs_p11_pin_verdict;

/* Judge a new PIN against the token's length limits (info) and the
 * triviality rules. old may be NULL. */
rgs_p11_pin_verdict rgs_p11_pin_judge(const rgs_p11_slot_info *info, const char *pin,
                                      size_t len, const char *old, size_t old_len);
/* Translated sentence for a verdict; static storage. */
const char *rgs_p11_pin_verdict_text(rgs_p11_pin_verdict v);

/* Where the new PIN comes from. From the terminal it is asked twice and the
 * two entries must match (RGS_P11_ERR_PIN_CONFIRM); a file or descriptor is
 * read once. */
typedef struct {
  rgs_p11_pin_source src;
  rgs_p11_pin_verdict verdict;  /* out: why RGS_P11_ERR_PIN_WEAK / _INVALID was returned */
} rgs_p11_new_pin;

/* Change the PIN of `role` with C_SetPIN: the counters of that PIN are read
 * first (locked: refused; final try: only with consent), then the current
 * PIN is read from cur, the new one from np and judged; only then is
 * C_SetPIN called, once. Changing the SO PIN logs in as SO with the current
 * code first. Every PIN buffer is wiped on every path. After a refused PIN
 * the token info is refreshed (see rgs_p11_token_info). */
rgs_p11_rc rgs_p11_pin_change(rgs_p11_token *tok, rgs_p11_pin_role role,
                              const rgs_p11_pin_source *cur, rgs_p11_new_pin *np);

/* Unblock the user PIN: the SO counters are read first (locked:
 * RGS_P11_ERR_SO_PIN_LOCKED; final try without consent:
 * RGS_P11_ERR_SO_PIN_FINAL_TRY), the unblocking code is read from so_src and
 * the new user PIN from np and judged; then one C_Login(CKU_SO), C_InitPIN
 * and C_Logout. A wrong code gives RGS_P11_ERR_SO_PIN_INCORRECT. */
rgs_p11_rc rgs_p11_pin_unblock(rgs_p11_token *tok, const rgs_p11_pin_source *so_src,
                               rgs_p11_new_pin *np);

/* ---- slot events: tokens that appear and disappear (p11_events.c) ------- */

typedef enum {
  RGS_P11_EVENT_NONE = 0,     /* nothing changed (timeout) */
  RGS_P11_EVENT_APPEARED,     /* a token is present that was not */
  RGS_P11_EVENT_REMOVED,      /* a token seen before is gone */
} rgs_p11_event_kind;

typedef struct {
  rgs_p11_event_kind kind;
  rgs_p11_slot_info info;     /* appeared: as read now; removed: as last seen */
} rgs_p11_event;

/* Whether the watch may C_Finalize/C_Initialize the module to see new tokens.
 * Only ever done for a module that this ctx initialised itself. */
typedef enum {
  RGS_P11_REINIT_AUTO = 0,    /* when the module shows no slot events and either has
                               * no removable slot (software tokens) or a USB device
                               * was just plugged (rgs_p11_watch_kick); every 5 s
                               * for reader slots that never reported an event */
  RGS_P11_REINIT_ALWAYS,      /* before every rescan */
  RGS_P11_REINIT_NEVER,
} rgs_p11_reinit;

typedef struct {
  int min_interval_ms;        /* poll interval right after a change; 0: 25 */
  int max_interval_ms;        /* cap of the backoff, so the worst latency; 0: 150 */
  rgs_p11_reinit reinit;
  int blocking;               /* a module with slot events is waited on by a thread
                               * of its own (blocking C_WaitForSlotEvent) instead of
                               * polled: the caller polls rgs_p11_watch_fd too */
} rgs_p11_watch_opts;

typedef struct rgs_p11_watch rgs_p11_watch;

/* Watch the tokens of ctx's module. opts may be NULL (defaults). The first
 * poll reports every token already present as APPEARED. Free with
 * rgs_p11_watch_free() before ctx; with opts.blocking, a thread still
 * blocked in the module is left there and the module is then never
 * finalised nor unloaded (finalising under a blocked wait is unsafe in
 * OpenSC 0.23 with pcsc-lite 1.9.9). */
rgs_p11_rc rgs_p11_watch_new(rgs_p11_ctx *ctx, const rgs_p11_watch_opts *opts,
                             rgs_p11_watch **out);
void rgs_p11_watch_free(rgs_p11_watch *w);

/* Check once, without sleeping: the next queued change, else (when the
 * backoff says it is time) ask the module for slot events
 * (C_WaitForSlotEvent with CKF_DONT_BLOCK) and rescan the slots. ev->kind is
 * RGS_P11_EVENT_NONE when nothing changed.
 * Re-initialising the module invalidates sessions: close every token opened
 * on ctx (rgs_p11_token_close) before calling this.
 * A failed poll is due again after the backoff, not at once; when the
 * failure was the C_Initialize of a re-initialisation, the module stays
 * finalised and the next polls initialise it first. */
rgs_p11_rc rgs_p11_watch_poll(rgs_p11_watch *w, rgs_p11_event *ev);
/* poll(2)'s "no timeout": what rgs_p11_watch_next_ms says of no watch. */
enum { RGS_P11_WAIT_FOREVER = -1 };
/* Milliseconds until the next poll is due (0: now); for poll(2) loops. */
int rgs_p11_watch_next_ms(const rgs_p11_watch *w);
/* With opts.blocking and a module whose blocking wait works: a descriptor
 * that becomes readable when rgs_p11_watch_poll has news (next_ms is then
 * RGS_P11_WAIT_FOREVER while nothing is due). -1 otherwise. */
int rgs_p11_watch_fd(const rgs_p11_watch *w);
/* Something outside the module (a USB device added or removed) says the
 * token set may change: poll at the fastest rate again and, for modules
 * without slot events, re-initialise at each poll for a few seconds. */
void rgs_p11_watch_kick(rgs_p11_watch *w);
/* Poll with backoff until a change or timeout_ms (-1: forever). */
rgs_p11_rc rgs_p11_wait_token(rgs_p11_watch *w, int timeout_ms, rgs_p11_event *ev);

/* 1 while the last look at the module failed (a poll that was not due
 * does not count as a look). */
int rgs_p11_watch_failing(const rgs_p11_watch *w);
/* 1 once the module has reported a slot event of its own. */
int rgs_p11_watch_uses_events(const rgs_p11_watch *w);
/* Counters since rgs_p11_watch_new (either pointer may be NULL). */
void rgs_p11_watch_stats(const rgs_p11_watch *w, unsigned long *rescans,
                         unsigned long *reinits);
/* "appeared", "removed", "none": stable words for logs and JSON. */
const char *rgs_p11_event_name(rgs_p11_event_kind kind);

/* The public keys the token shows without a login (p11_pubkeys.c), each as
 * the SHA-256 of its DER SubjectPublicKeyInfo: what ties a token plugged
 * in to the key an order is bound to. Keys of a type or form that cannot
 * be read are left out. *out is an array of *n hashes; free with free(). */
rgs_p11_rc rgs_p11_public_key_hashes(rgs_p11_token *tok, unsigned char (**out)[32], size_t *n);

#ifdef __cplusplus
}
#endif
#endif /* RGS_P11_H */
