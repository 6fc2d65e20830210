/* SPDX-License-Identifier: BSD-3-Clause */
/* vcard_test.h - the virtual card of the tests (rgs_vcard.c) with a pcscd
 * of its own, driven from a cmocka test: made, inserted, removed, asked
 * how many APDUs it answered and how many PIN tries it has left. */
#ifndef RGS_VCARD_TEST_H
#define RGS_VCARD_TEST_H

#include "rgs_test.h"

/* The card's content (mkcard.sh): an NSS database with three keys and
 * their certificates, the CA, the PIN files. Made once per test program;
 * the cards only read it. */
typedef struct {
  char *dir;
  char nssdb[600];
  char ca_file[600];           /* the CA of the card's certificates */
  char sign_pem[600];          /* the certificate of the "sign" key (CAC ID) */
  char pin_file[600];          /* RGS_TEST_PIN, the NSS DB's password */
  char bad_pin_file[600];
} rgs_vcard_content;

/* cmocka group setup/teardown: *state is an rgs_vcard_content. */
int rgs_vcard_content_setup(void **state);
int rgs_vcard_content_teardown(void **state);

typedef struct {
  const rgs_vcard_content *content;
  char *dir;                   /* this card's pcscd, socket and logs */
  int pid;
  void *to, *from;             /* FILE *: the card's commands and answers */
  char reader[256];            /* "Virtual PCD 00 00" */
  char pcscd_log[600];
} rgs_vcard;

/* A card of that content (its PIN counter whole), out of its reader, with
 * a pcscd of its own in a new directory; PCSCLITE_CSOCK_NAME of this
 * process (and so of every command run from it) points at that pcscd.
 * Fails the test when it cannot. */
void rgs_vcard_start(rgs_vcard *c, const rgs_vcard_content *content);
/* Quit the card (its pcscd stops with it), remove the directory. */
void rgs_vcard_stop(rgs_vcard *c);
/* Return when pcscd sees the card in its reader / the reader empty. */
void rgs_vcard_insert(rgs_vcard *c);
void rgs_vcard_remove(rgs_vcard *c);
/* APDUs the card answered since it started. */
unsigned long rgs_vcard_apdus(rgs_vcard *c);
/* PIN tries left on the card, and VERIFY commands that carried a PIN. */
void rgs_vcard_pin(rgs_vcard *c, int *tries, int *verifies);

/* cmocka setup/teardown of a test in a group set up with
 * rgs_vcard_content_setup: *state becomes a started rgs_vcard, card out
 * (the content stays reachable as ->content). */
int rgs_vcard_setup(void **state);
int rgs_vcard_teardown(void **state);

#endif
