/* SPDX-License-Identifier: BSD-3-Clause */
/* pcscd_private.h - a private pcscd for the virtual card (see the .c). */
#ifndef RGS_PCSCD_PRIVATE_H
#define RGS_PCSCD_PRIVATE_H

#include <sys/types.h>

#ifndef PCSCD_BIN
#define PCSCD_BIN "/usr/sbin/pcscd"
#endif

typedef struct {
  pid_t pid;
  char sock[4200];             /* DIR/pcscd.comm */
} pcscd_private;

/* An even port whose pair (PORT, PORT+1) can be bound now; 0 if none. */
unsigned short pcscd_pick_port(void);

/* Write DIR/reader.conf.d/vpcd (FRIENDLYNAME reader, vpcd on port), bind
 * DIR/pcscd.comm, start pcscd on it and point PCSCLITE_CSOCK_NAME of this
 * process at it. 0 on success. Stop with pcscd_stop(). */
int pcscd_start(pcscd_private *p, const char *dir, const char *reader, unsigned short port);
void pcscd_stop(pcscd_private *p);

#endif
