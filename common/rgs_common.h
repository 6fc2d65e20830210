/* rgs_common.h - helpers every layer shares (prefix rgsx_): UTF-8, the
 * sanitiser for strings that come from outside (a certificate, a token, a
 * server, a file), and opening files that must be regular files.
 * Knows libc only. */
#ifndef RGS_COMMON_H
#define RGS_COMMON_H

#include <stdio.h>
#include <stddef.h>

typedef enum {
  RGSX_OK = 0,
  RGSX_ERR_NOMEM,
  RGSX_ERR_ARG,
  RGSX_ERR_NOT_REGULAR,   /* a FIFO, a device, a directory, a socket */
  RGSX_ERR_SYSTEM,        /* errno says why */
} rgsx_rc;

/* A sentence for rc, in the person's language (never NULL). */
const char *rgsx_strerror(rgsx_rc rc);

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

#endif
