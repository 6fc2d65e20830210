/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * canon.h - canonical JSON (rgs_cj_*): a small tree, its one serialisation,
 * and a parser that accepts that serialisation only. The face-to-face
 * record is written in it; nothing here knows of the record.
 *
 * A text's bytes are fixed by its content, so that its SHA-256 names it
 * and a signature over it can be checked by anyone:
 *   - no white space anywhere outside strings, no trailing newline;
 *   - object members sorted by key, compared byte by byte; keys are ASCII
 *     (so the order is also the one of RFC 8785, JCS); no duplicate key;
 *   - strings are UTF-8 (valid, no U+0000), written as they are except
 *     '"' and '\' (escaped with a backslash), and the controls below U+0020,
 *     written \b \f \n \r \t or else \u00xx in lower-case hex;
 *   - numbers are integers only, within +/-(2^53 - 1), in plain decimal
 *     ("-0" and leading zeros never appear);
 *   - true, false, null.
 * This is the subset of JSON for which RFC 8785 (JCS) gives the same bytes.
 * The parser accepts exactly the canonical form and nothing else, so a
 * text that parses is canonical.
 */
#ifndef RGS_CANON_H
#define RGS_CANON_H

#include <stddef.h>

typedef enum { RGS_CJ_NULL = 0, RGS_CJ_BOOL, RGS_CJ_INT, RGS_CJ_STR, RGS_CJ_ARRAY, RGS_CJ_OBJECT } rgs_cj_type;

typedef struct rgs_cj rgs_cj;

#define RGS_CJ_INT_MAX 9007199254740991LL   /* 2^53 - 1 */
#define RGS_CJ_MAX_DEPTH 16
#define RGS_CJ_MAX_TEXT (1024 * 1024)

/* What a call of this library could not do; 0 is success. */
typedef enum {
  RGS_CJ_OK = 0,
  RGS_CJ_ERR_NOMEM,
  RGS_CJ_ERR_KEY,        /* a key that is empty or not printable ASCII (or has '"', '\') */
  RGS_CJ_ERR_UTF8,       /* a string that is not valid UTF-8 */
  RGS_CJ_ERR_RANGE,      /* an integer beyond +/-(2^53 - 1), a text over 1 MiB, or
                            nesting deeper than RGS_CJ_MAX_DEPTH */
  RGS_CJ_ERR_TYPE,       /* no value, or not an object / array where one is needed */
  RGS_CJ_ERR_SYNTAX,     /* parse: not canonical JSON (the reason in err) */
  RGS_CJ_ERR_ENCODING,   /* unhex / unb64: not lower-case hex / canonical base64 */
} rgs_cj_rc;

/* Translated sentence; static storage. */
const char *rgs_cj_strerror(rgs_cj_rc rc);

/* A new empty object or array; NULL on ENOMEM. Free with rgs_cj_free(). */
rgs_cj *rgs_cj_new_object(void);
rgs_cj *rgs_cj_new_array(void);
void rgs_cj_free(rgs_cj *v);

/* Set a member of an object (replacing a member of the same key). Keys are
 * printable ASCII; strings valid UTF-8 (value NULL sets null); integers
 * within RGS_CJ_INT_MAX. The value is copied. */
rgs_cj_rc rgs_cj_set_str(rgs_cj *obj, const char *key, const char *value);
rgs_cj_rc rgs_cj_set_int(rgs_cj *obj, const char *key, long long value);
rgs_cj_rc rgs_cj_set_bool(rgs_cj *obj, const char *key, int value);
rgs_cj_rc rgs_cj_set_null(rgs_cj *obj, const char *key);
/* Lower-case hex / base64 (RFC 4648, with padding) of bytes. */
rgs_cj_rc rgs_cj_set_hex(rgs_cj *obj, const char *key, const unsigned char *p, size_t len);
rgs_cj_rc rgs_cj_set_b64(rgs_cj *obj, const char *key, const unsigned char *p, size_t len);
/* A new object or array as member key; owned by obj. NULL on ENOMEM (or a
 * bad key, or obj not an object: what a literal key never causes). */
rgs_cj *rgs_cj_set_object(rgs_cj *obj, const char *key);
rgs_cj *rgs_cj_set_array(rgs_cj *obj, const char *key);
/* Append to an array; same rules. */
rgs_cj_rc rgs_cj_push_str(rgs_cj *arr, const char *value);
rgs_cj *rgs_cj_push_object(rgs_cj *arr);

/* The canonical text (NUL-terminated for convenience; *len excludes the
 * NUL). Free with free(). */
rgs_cj_rc rgs_cj_serialize(const rgs_cj *v, char **out, size_t *len);

/* Parse canonical JSON (see above): anything else is refused, with the
 * byte offset and the reason in err (RGS_CJ_ERR_SYNTAX, or _KEY, _UTF8,
 * _RANGE, _NOMEM for those causes). Free *out with rgs_cj_free(). */
rgs_cj_rc rgs_cj_parse(const char *text, size_t len, rgs_cj **out, char *err, size_t errlen);

rgs_cj_type rgs_cj_type_of(const rgs_cj *v);        /* RGS_CJ_NULL for NULL */
/* Member by key, or by dotted path ("aed.token.serial", "steps.0.id": an
 * array element by index); NULL when absent. */
const rgs_cj *rgs_cj_get(const rgs_cj *obj, const char *key);
const rgs_cj *rgs_cj_path(const rgs_cj *v, const char *path);
/* String value (borrowed) or NULL when v is not a string. */
const char *rgs_cj_str(const rgs_cj *v);
/* Path shortcuts: NULL / def when absent or of another type. */
const char *rgs_cj_path_str(const rgs_cj *v, const char *path);
long long rgs_cj_path_int(const rgs_cj *v, const char *path, long long def);
/* 1 for true, 0 for false, -1 when absent or not a boolean. */
int rgs_cj_path_bool(const rgs_cj *v, const char *path);
int rgs_cj_bool(const rgs_cj *v);
long long rgs_cj_int(const rgs_cj *v);
/* Elements of an array (members of an object: their values). */
size_t rgs_cj_count(const rgs_cj *v);
const rgs_cj *rgs_cj_at(const rgs_cj *v, size_t i);
/* Key of member i of an object; NULL otherwise. */
const char *rgs_cj_key_at(const rgs_cj *v, size_t i);

/* Decode lower-case hex / canonical base64 text (RGS_CJ_ERR_ENCODING
 * otherwise); *out malloc'd, free with free(). */
rgs_cj_rc rgs_cj_unhex(const char *text, unsigned char **out, size_t *len);
rgs_cj_rc rgs_cj_unb64(const char *text, unsigned char **out, size_t *len);

#endif
