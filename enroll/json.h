/* SPDX-License-Identifier: BSD-3-Clause */
/* json.h - a small streaming JSON writer for --json output (one document). */
#ifndef RGS_JSON_H
#define RGS_JSON_H

#include <stdio.h>

#define RGS_JSON_DEPTH 16

typedef struct {
  FILE *out;
  int depth;
  int first[RGS_JSON_DEPTH];     /* no member written yet at this depth */
  int array[RGS_JSON_DEPTH];     /* the container at this depth is an array */
} rgs_json;

/* key is NULL inside arrays and for the top-level value. */
void rgs_json_start(rgs_json *j, FILE *out);
void rgs_json_object(rgs_json *j, const char *key);
void rgs_json_array(rgs_json *j, const char *key);
void rgs_json_end(rgs_json *j);            /* closes the innermost object/array */
void rgs_json_str(rgs_json *j, const char *key, const char *value);  /* NULL -> null */
void rgs_json_int(rgs_json *j, const char *key, long long value);
void rgs_json_bool(rgs_json *j, const char *key, int value);
void rgs_json_hex(rgs_json *j, const char *key, const unsigned char *p, size_t len);
/* Ends the document with a newline. */
void rgs_json_finish(rgs_json *j);

#endif
