/* SPDX-License-Identifier: BSD-3-Clause */
/* rgs_common.h - helpers every layer shares (prefix rgsx_): UTF-8, the
 * sanitiser for strings that come from outside (a certificate, a token, a
 * server, a file), and opening files that must be regular files.
 * Knows libc and OpenSSL (for the wipe). */
#ifndef RGS_COMMON_H
#define RGS_COMMON_H

#include <stdio.h>
#include <stddef.h>
#include <time.h>

typedef enum {
  RGSX_OK = 0,
  RGSX_ERR_NOMEM,
  RGSX_ERR_ARG,
  RGSX_ERR_NOT_REGULAR,   /* a FIFO, a device, a directory, a socket */
  RGSX_ERR_SYSTEM,        /* errno says why */
} rgsx_rc;

/* A sentence for rc, in the person's language (never NULL). */
const char *rgsx_strerror(rgsx_rc rc);

/* The one secret-wipe helper: a store the compiler cannot drop as dead
 * (OPENSSL_cleanse). NULL or 0 bytes: nothing. */
void rgsx_wipe(void *p, size_t n);

/* n bytes as 2n lowercase hex digits and a NUL in out (2n + 1 bytes). */
char *rgsx_hex(const unsigned char *p, size_t n, char *out);

/* With RGSX_HEX_LOWER only lowercase digits count, as rgsx_hex writes
 * them (a canonical form, a file of our own). */
#define RGSX_HEX_LOWER 1u

/* The byte written as two hex digits at s: 1 with *out set, 0 when s does
 * not start with two hex digits (reads no further than a NUL). */
int rgsx_hex_byte(const char *s, unsigned flags, unsigned char *out);

/* Format a message into err (errlen bytes, always terminated, cut when
 * longer); nothing when err is NULL or errlen is 0. */
void rgsx_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Length in bytes of the well-formed UTF-8 character at s (1 to 4), or 0
 * when it is not one (overlong, surrogate, above U+10FFFF, cut by n). */
size_t rgsx_utf8_char_len(const unsigned char *s, size_t n);
/* 1 when the n bytes at s are well-formed UTF-8 without NUL, else 0. */
int rgsx_utf8_valid(const char *s, size_t n);

/* What is wrong with text that should be plain UTF-8 (a PIN file, a
 * policy or trust file line), so the message can say how to fix it. */
typedef enum {
  RGSX_TEXT_OK = 0,
  RGSX_TEXT_UTF16,      /* a UTF-16 byte-order mark, or a NUL every other byte */
  RGSX_TEXT_NUL,
  RGSX_TEXT_NOT_UTF8,   /* another 8-bit encoding (Windows-1252...) or garbage */
  RGSX_TEXT_CONTROL,    /* C0, DEL or C1 controls: an escape, a stray CR */
} rgsx_text_fault;

/* With RGSX_TEXT_BLANKS, a tab and a CR count as blanks, not controls. */
#define RGSX_TEXT_BLANKS 1u

/* Judge the n bytes at s (no byte-order mark stripping: the caller strips a
 * UTF-8 BOM where one is allowed). */
rgsx_text_fault rgsx_text_check(const char *s, size_t n, unsigned flags);
/* What to tell the person of a fault in a line of a settings file, how to
 * fix it included (translated, static); NULL for RGSX_TEXT_OK. */
const char *rgsx_text_fault_str(rgsx_text_fault f);

/* ---- "[section] key = value" settings files ---- */

/* The lines of a whole file in memory, each without its '\n' (a CR before
 * it stays: the caller decides). The last line may lack its '\n'. */
typedef struct {
  const char *text;
  size_t len, off;
  size_t line_no;         /* of the line last returned, from 1 */
} rgsx_lines;

void rgsx_lines_init(rgsx_lines *r, const char *text, size_t len);
/* The next line as *line, *n bytes (not NUL-terminated, inside text);
 * 0 at the end. */
int rgsx_lines_next(rgsx_lines *r, const char **line, size_t *n);
/* s without its leading and trailing blanks (space, tab, CR), in place. */
char *rgsx_trim(char *s);
/* A "key = value" line split at its first '=', in place: 1 with *key and
 * *value trimmed; 0 when there is no '='. */
int rgsx_conf_split(char *line, char **key, char **value);

/* A printable copy of untrusted text for a terminal, a log or a message:
 * C0 and C1 controls, DEL, NUL, bidirectional overrides and bytes that are
 * not UTF-8 each become '?'; printable UTF-8 is kept. Writes at most
 * cap - 1 bytes plus the terminating NUL, never cutting a character.
 * Returns dst (an empty string when src is NULL). */
char *rgsx_sanitize_buf(char *dst, size_t cap, const char *src, size_t n);
/* The same in a new string (free with free()); n == (size_t)-1 means
 * strlen(src). NULL only when out of memory. */
char *rgsx_sanitize(const char *src, size_t n);
/* 1 when src (n bytes) would come out of the sanitiser unchanged. */
int rgsx_is_clean(const char *src, size_t n);

/* Open path read-only, refusing what is not a regular file before any
 * read can block (a FIFO given as a file would wait forever). The
 * descriptor is close-on-exec and blocking. On failure returns -1 and sets
 * *rc (and errno for RGSX_ERR_SYSTEM). */
int rgsx_open_regular(const char *path, rgsx_rc *rc);
/* The same as a stdio stream ("r" or "rb" modes only). */
FILE *rgsx_fopen_regular(const char *path, rgsx_rc *rc);

/* ---- dates and times for people (common_time.c) ---- */

/* How a date is written for a person: French "7 décembre 2026 à 10 h 00",
 * English "7 December 2026 at 10:00"; month names and patterns come from
 * the catalogue (no LC_TIME locale data needed). */
#define RGSX_TIME_ON   1u   /* inside a sentence: "le 7 décembre 2026", "on 7 December 2026" */
#define RGSX_TIME_DAY  2u   /* the day alone, even when a time is given */
#define RGSX_TIME_WALL 4u   /* keep the wall-clock time written before an offset
                             * (an appointment in its own zone) instead of
                             * converting to the machine's zone (TZ) */

/* text as stored: "YYYY-MM-DD" (a day, shown as it is), "YYYY-MM-DDTHH:MM"
 * or "...:SS" (a wall-clock time, shown as written), either followed by
 * "Z" or "+HH:MM"/"-HH:MM" (an instant, shown in the machine's local time
 * unless RGSX_TIME_WALL; with RGSX_TIME_WALL the offset is added when the
 * machine's differs). Returns 1; 0 when text is none of these, then out
 * holds text sanitised (something to show all the same). */
int rgsx_time_text(const char *text, unsigned flags, char *out, size_t outlen);
/* The instant t in the machine's local time, in the same words. */
void rgsx_time_text_t(time_t t, unsigned flags, char *out, size_t outlen);
/* The instant t as ISO 8601 with the machine's offset:
 * "2026-12-07T01:46:04+01:00"; out at least 26 bytes. */
void rgsx_time_iso_local(time_t t, char *out, size_t outlen);
/* text as rgsx_time_text reads it, with "Z" or an offset, as an instant:
 * 1 with *t set, 0 when it has no zone or is not such a time. */
int rgsx_time_instant(const char *text, time_t *t);
/* Days since 1970-01-01 of a proleptic Gregorian date, m 1 to 12 (Howard
 * Hinnant's days_from_civil): the one copy for every layer. */
long long rgsx_days_from_civil(long long y, int m, int d);
/* An ASN.1 time (certificate, CRL, OCSP) as seconds since the epoch, UTC;
 * (time_t)-1 when it does not read. */
struct asn1_string_st;
time_t rgsx_asn1_time(const struct asn1_string_st *t);

/* What a person typed for a date, and why it is refused. */
typedef enum {
  RGSX_DATE_OK = 0,
  RGSX_DATE_FORM,          /* none of the accepted forms, or junk after it */
  RGSX_DATE_NO_DAY,        /* no such day: 31/02/2026, 2026-13-01 */
  RGSX_DATE_NO_TIME,       /* no such time: 24h00, 10h75 */
  RGSX_DATE_YEAR,          /* the year is not 1900 to 9999 */
  RGSX_DATE_TIME_NEEDED,   /* a day without the time where a time is needed */
  RGSX_DATE_DAY_ONLY,      /* a time where only a day is wanted */
} rgsx_date_rc;

#define RGSX_DATE_WANT_DAY  1u   /* a day: "YYYY-MM-DD" out (11 bytes) */
#define RGSX_DATE_WANT_TIME 2u   /* a day and a time: "YYYY-MM-DDTHH:MM" out (17 bytes) */

/* Read a date typed by a person: ISO "2026-12-20", "2026-12-20T10:00",
 * "2026-12-20 10:00", or French "20/12/2026", "20/12/2026 10h00",
 * "20/12/2026 10:00", "20/12/2026 10h", "20/12/2026 à 10 h 30" (day and
 * month of one or two digits, a four-digit year). Blanks around are
 * ignored. want says which of the two is expected. The canonical ISO form
 * goes to out (cut never: RGSX_DATE_FORM when outlen is too small). */
rgsx_date_rc rgsx_date_input(const char *text, unsigned want, char *out, size_t outlen);
/* A sentence for rc naming the accepted forms (translated, never NULL). */
const char *rgsx_date_strerror(rgsx_date_rc rc);

#endif
