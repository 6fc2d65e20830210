/* SPDX-License-Identifier: BSD-3-Clause */
/* secret.h - secrets other than the PIN (unblocking code, new PIN, EST
 * retrieval code): from --NAME-file PATH, --NAME-fd N or the terminal,
 * never from the command line, read with the PIN reader and wiped. */
#ifndef RGS_SECRET_H
#define RGS_SECRET_H

#include "cli.h"

typedef struct {
  const char *file;     /* --NAME-file */
  int fd;               /* --NAME-fd, -1 when absent */
} cli_secret_opt;

#define CLI_SECRET_OPT_INIT { NULL, -1 }

/* Store the argument of --NAME-fd. 0, or a usage error reported (exit 2). */
int cli_secret_fd_arg(const rgs_io *io, const char *command, const char *option,
                      const char *arg, cli_secret_opt *o);
/* 0, or a usage error when both --NAME-file and --NAME-fd were given. */
int cli_secret_check(const rgs_io *io, const char *command, const char *name,
                     const cli_secret_opt *o);

/* A source for the secret: a copy of base (callbacks, consent) reading
 * from o's file or descriptor, else from the terminal (then the final-try
 * consent is asked there, as for the PIN). */
void cli_secret_source(rgs_p11_pin_source *src, const rgs_p11_pin_source *base,
                       const cli_secret_opt *o);

/* A secret line that is not a PIN (an identity document's number): the
 * first line of --NAME-file (a regular file) or of --NAME-fd, read with the
 * PIN reader (BOM and CR/LF dropped, other encodings refused), into *out
 * (cap bytes, heap: wipe with rgsx_wipe and free). *out stays NULL when
 * neither option was given (the caller asks on the terminal). 0, or the
 * failure reported (exit 8, the secret never quoted). */
int cli_secret_read_line(const rgs_io *io, const char *command, const char *name,
                         const cli_secret_opt *o, size_t cap, char **out);

#endif
