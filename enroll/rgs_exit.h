/* SPDX-License-Identifier: BSD-3-Clause */
/* rgs_exit.h - the exit statuses of rgs-enroll: the contract of
 * rgs-enroll(1), section EXIT STATUS (a test holds the two together). */
#ifndef RGS_EXIT_H
#define RGS_EXIT_H

/* Exit status: the contract of rgs-enroll(1), section EXIT STATUS. */
enum {
  RGS_EXIT_OK = 0,
  RGS_EXIT_CHECK = 1,      /* a check said no: not qualified, mismatch, refused */
  RGS_EXIT_USAGE = 2,
  RGS_EXIT_MODULE = 3,     /* PKCS#11 module missing, unloadable or misbehaving */
  RGS_EXIT_TOKEN = 4,      /* no token, several, removed, full, unsupported */
  RGS_EXIT_PIN = 5,        /* PIN wrong, locked, last try not consented, unreadable */
  RGS_EXIT_STORE = 6,      /* order store */
  RGS_EXIT_NETWORK = 7,
  RGS_EXIT_IO = 8,         /* a file could not be read or written */
  RGS_EXIT_INTERNAL = 9,   /* out of memory, cryptographic library failure */
};

#endif
