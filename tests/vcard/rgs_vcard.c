/* SPDX-License-Identifier: BSD-3-Clause */
/* rgs_vcard.c - a virtual smart card for the tests: libcacard's CAC
 * emulation (keys and certificates in an NSS database) presented to pcscd
 * through the vpcd reader driver (vsmartcard-vpcd), the way OpenSC's CI
 * drives its module against a card.
 *
 * vpcd listens on a TCP port (DEVICENAME /dev/null:PORT in reader.conf);
 * the card connects to it ("inserted") and disconnects ("removed"). Each
 * message is a 2-byte big-endian length and a payload: one byte is a
 * control (0 power off, 1 power on, 2 reset, 4 get ATR; only the ATR is
 * answered), anything longer an APDU to answer.
 *
 * rgs-vcard --db DIR --port N [--cert NICK]... [--pin-tries N] [--log FILE]
 *           [--reader NAME]   (reader.conf's FRIENDLYNAME, default "Virtual PCD")
 *           [--pcscd DIR]     start a pcscd of its own (pcscd_private.c) with its
 *                             socket DIR/pcscd.comm; --port 0 or none: a free one
 * Commands on stdin, one a line; answers on stdout, one a line:
 *   (at start)  "ready READER"  pcscd has the vpcd reader of PORT
 *   insert      "inserted"      pcscd sees the card (PC/SC state PRESENT)
 *   remove      "removed"       pcscd sees the reader empty
 *   count       "apdus N"       APDUs answered so far (controls not counted)
 *   pin         "pin tries N verifies M"  PIN tries left, VERIFY commands
 *                               that carried a PIN (each spends a try if wrong)
 *   quit / EOF  "apdus N", exit
 * Failures: "error TEXT" and exit 1 (3 when pcscd has no reader on PORT,
 * so that the caller may try another port).
 *
 * The PIN is the NSS database's password: libcacard hands the VERIFY data
 * to PK11_Authenticate. NSS keeps no try counter, so this program keeps the
 * one a real card has (--pin-tries, default 3): a wrong PIN answers 63Cx,
 * none left answers 6983 without asking NSS, and VERIFY without data
 * (ISO 7816-4: the status) answers 9000 when verified, else 63Cx. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libcacard.h>
#include <winscard.h>

#include "pcscd_private.h"

#define VCARD_MAX_CERTS 3
#define VCARD_WAIT_MS 30000 /* a bound on a PC/SC wait, not a pace */

typedef struct {
  const char *db;
  const char *certs[VCARD_MAX_CERTS];
  int ncerts;
  unsigned short port;
  int pin_tries;
  const char *log_path;
  const char *reader;         /* PC/SC reader name prefix (reader.conf's FRIENDLYNAME) */
  const char *pcscd_dir;      /* --pcscd: start a private pcscd there */
} vcard_opts;

typedef struct {
  VReader *reader;
  FILE *log;
  int max_tries;
  atomic_int tries;           /* PIN tries left: kept across insertions */
  int verified;               /* VERIFY succeeded since the last reset */
  atomic_int verifies;        /* VERIFY commands that carried a PIN */
  int fd;                     /* the connection to vpcd; -1 when removed */
  pthread_t thread;
  atomic_ulong apdus;
  SCARDCONTEXT pcsc;
  char reader_name[256];
  unsigned char atr[64];
  size_t atrlen;
} vcard;

static int usage(void)
{
  fprintf(stderr, "usage: rgs-vcard --db DIR --port N [--cert NICK]... [--pin-tries N]"
                  " [--log FILE]\n"
                  "                 [--reader NAME] [--pcscd DIR]\n");
  return 2;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

static int parse(int argc, char **argv, vcard_opts *o)
{
  static const struct option opts[] = {
    { "db", required_argument, NULL, 'd' },       { "port", required_argument, NULL, 'p' },
    { "cert", required_argument, NULL, 'c' },     { "pin-tries", required_argument, NULL, 't' },
    { "log", required_argument, NULL, 'l' },      { "reader", required_argument, NULL, 'r' },
    { "pcscd", required_argument, NULL, 'P' },    { 0, 0, 0, 0 },
  };
  int c;
  long v;

  memset(o, 0, sizeof(*o));
  o->pin_tries = 3;
  o->reader = "Virtual PCD";
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 'd': o->db = optarg; break;
    case 'p':
      v = strtol(optarg, NULL, 0);
      if (v < 0 || v > 65534)
        return usage();
      o->port = (unsigned short)v;
      break;
    case 'c':
      if (o->ncerts == VCARD_MAX_CERTS)
        return usage();
      o->certs[o->ncerts++] = optarg;
      break;
    case 't':
      o->pin_tries = atoi(optarg);
      if (o->pin_tries < 1 || o->pin_tries > 15)
        return usage();
      break;
    case 'l': o->log_path = optarg; break;
    case 'r': o->reader = optarg; break;
    case 'P': o->pcscd_dir = optarg; break;
    default: return usage();
    }
  }
  if (!o->db || (!o->port && !o->pcscd_dir) || o->ncerts == 0 || optind != argc)
    return usage();
  return 0;
}

/* libcacard's soft card: the NSS internal key slot (empty slot name), a
 * reader of our own naming, the CAC emulation, the certificates by
 * nickname with their private keys. */
static VReader *card_init(const vcard_opts *o)
{
  char args[1024];
  int n, i;
  VCardEmulOptions *eo;

  n = snprintf(args, sizeof(args), "db=\"sql:%s\" use_hw=no soft=(,rgs-vcard,CAC,", o->db);
  for (i = 0; i < o->ncerts && n > 0 && (size_t)n < sizeof(args); i++)
    n += snprintf(args + n, sizeof(args) - (size_t)n, ",%s", o->certs[i]);
  if (n <= 0 || (size_t)n + 2 > sizeof(args))
    return NULL;
  strcat(args, ")");
  eo = vcard_emul_options(args);
  if (!eo || vcard_emul_init(eo) != VCARD_EMUL_OK)
    return NULL;
  return vreader_get_reader_by_name("rgs-vcard");
}

/* Header and payload in one segment: two small writes would wait for the
 * peer's delayed ACK (Nagle) at every message. */
static int send_msg(int fd, const unsigned char *buf, size_t len)
{
  unsigned char msg[2 + 65538];

  if (len > sizeof(msg) - 2)
    return -1;
  msg[0] = (unsigned char)(len >> 8);
  msg[1] = (unsigned char)len;
  memcpy(msg + 2, buf, len);
  return send(fd, msg, len + 2, MSG_NOSIGNAL) == (ssize_t)(len + 2) ? 0 : -1;
}

/* One message; its length, 0 at the end of the connection, -1 on error.
 * vpcd writes a message's length and payload in two segments: acknowledge
 * at once (TCP_QUICKACK, reset by the kernel, so set before each read), or
 * its second write waits for our delayed ACK, 40 ms per message. */
static ssize_t recv_msg(int fd, unsigned char *buf, size_t cap)
{
  unsigned char hdr[2];
  size_t len;
  int one = 1;
  ssize_t r;

  setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
  r = recv(fd, hdr, 2, MSG_WAITALL);

  if (r != 2)
    return r == 0 ? 0 : -1;
  len = ((size_t)hdr[0] << 8) | hdr[1];
  if (len == 0 || len > cap)
    return -1;
  setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
  r = recv(fd, buf, len, MSG_WAITALL);
  return r == (ssize_t)len ? r : -1;
}

static void set_sw(unsigned char *out, int *outlen, unsigned sw)
{
  out[0] = (unsigned char)(sw >> 8);
  out[1] = (unsigned char)sw;
  *outlen = 2;
}

/* VERIFY (INS 20): the try counter libcacard does not keep, around its
 * login. in: the C-APDU (header + Lc + PIN). */
static void verify(vcard *v, unsigned char *in, size_t inlen, unsigned char *out, int *outlen)
{
  unsigned sw;

  if (inlen <= 5) { /* no data: the PIN's status */
    if (v->tries == 0)
      set_sw(out, outlen, 0x6983);
    else
      set_sw(out, outlen, v->verified ? 0x9000 : 0x63C0u | (unsigned)atomic_load(&v->tries));
    return;
  }
  atomic_fetch_add(&v->verifies, 1);
  if (v->tries == 0) {
    set_sw(out, outlen, 0x6983);
    return;
  }
  if (vreader_xfr_bytes(v->reader, in, (int)inlen, out, outlen) != VREADER_OK || *outlen < 2) {
    set_sw(out, outlen, 0x6F00);
    return;
  }
  sw = ((unsigned)out[*outlen - 2] << 8) | out[*outlen - 1];
  if (sw == 0x9000) {
    atomic_store(&v->tries, v->max_tries);
    v->verified = 1;
    return;
  }
  v->verified = 0;
  atomic_fetch_sub(&v->tries, 1);
  set_sw(out, outlen, atomic_load(&v->tries) == 0 ? 0x6983 : 0x63C0u | (unsigned)atomic_load(&v->tries));
}

static void log_apdu(vcard *v, const unsigned char *in, size_t inlen, const unsigned char *out,
                     int outlen)
{
  if (!v->log || inlen < 4 || outlen < 2)
    return;
  fprintf(v->log, "%02X %02X %02X %02X Lc=%zu -> %zu bytes %02X%02X\n", in[0], in[1], in[2], in[3],
          inlen > 5 ? (size_t)in[4] : 0, (size_t)outlen - 2, out[outlen - 2], out[outlen - 1]);
  fflush(v->log);
}

static void apdu(vcard *v, unsigned char *in, size_t inlen, unsigned char *out, int *outlen)
{
  *outlen = 65538;
  if (in[1] == 0x20 && (in[0] & 0x80) == 0)
    verify(v, in, inlen, out, outlen);
  else if (vreader_xfr_bytes(v->reader, in, (int)inlen, out, outlen) != VREADER_OK)
    set_sw(out, outlen, 0x6F00);
  atomic_fetch_add(&v->apdus, 1);
  log_apdu(v, in, inlen, out, *outlen);
}

static int control(vcard *v, unsigned char c)
{
  unsigned char atr[64];
  int atrlen = (int)sizeof(atr);

  switch (c) {
  case 0: /* power off: a real card forgets its login */
    v->verified = 0;
    vreader_power_off(v->reader);
    return 0;
  case 1:
  case 2:
    v->verified = 0;
    vreader_power_on(v->reader, atr, &atrlen);
    return 0;
  case 4: /* asked at every presence poll: no reset here */
    return send_msg(v->fd, v->atr, v->atrlen);
  default:
    return 0;
  }
}

/* The card's side of one insertion: answer until vpcd or `remove` ends
 * the connection. */
static void *serve(void *arg)
{
  vcard *v = arg;
  unsigned char *in = malloc(65536), *out = malloc(65538);
  ssize_t n;
  int outlen;

  while (in && out && (n = recv_msg(v->fd, in, 65536)) > 0) {
    if (n == 1) {
      if (control(v, in[0]) != 0)
        break;
      continue;
    }
    apdu(v, in, (size_t)n, out, &outlen);
    if (send_msg(v->fd, out, (size_t)outlen) != 0)
      break;
  }
  free(in);
  free(out);
  return NULL;
}

/* ---- pcscd's view: the events the caller waits on ---------------------- */

/* The reader of vpcd's first slot (PORT) in this pcscd: "NAME 00 00". Its
 * presence proves that this pcscd's vpcd holds PORT (the driver fails the
 * reader when it cannot listen), so the card talks to the right pcscd. */
static int pcsc_find_reader(vcard *v, const char *prefix)
{
  char *list = NULL, *r;
  DWORD len = SCARD_AUTOALLOCATE;
  size_t plen = strlen(prefix);
  int found = 0;

  if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &v->pcsc) != SCARD_S_SUCCESS)
    return -1;
  if (SCardListReaders(v->pcsc, NULL, (LPSTR)&list, &len) != SCARD_S_SUCCESS)
    return 0;
  for (r = list; *r && !found; r += strlen(r) + 1) {
    size_t l = strlen(r);
    if (strncmp(r, prefix, plen) == 0 && l > 3 && strcmp(r + l - 3, " 00") == 0 &&
        l < sizeof(v->reader_name)) {
      memcpy(v->reader_name, r, l + 1);
      found = 1;
    }
  }
  SCardFreeMemory(v->pcsc, list);
  return found;
}

/* Wait (bounded) until pcscd reports the card present (1) or absent (0). */
static int pcsc_wait(vcard *v, int present)
{
  SCARD_READERSTATE rs;
  LONG rv;
  int i;

  memset(&rs, 0, sizeof(rs));
  rs.szReader = v->reader_name;
  rs.dwCurrentState = SCARD_STATE_UNAWARE;
  for (i = 0; i < 100; i++) {
    rv = SCardGetStatusChange(v->pcsc, VCARD_WAIT_MS, &rs, 1);
    if (rv != SCARD_S_SUCCESS)
      return -1;
    if (present && (rs.dwEventState & SCARD_STATE_PRESENT) &&
        !(rs.dwEventState & SCARD_STATE_MUTE))
      return 0;
    if (!present && (rs.dwEventState & SCARD_STATE_EMPTY))
      return 0;
    rs.dwCurrentState = rs.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
  }
  return -1;
}

/* ---- insertion and removal ---------------------------------------------- */

static int insert(vcard *v, unsigned short port)
{
  struct sockaddr_in sa;
  int one = 1;

  if (v->fd >= 0)
    return -1;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  v->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (v->fd < 0)
    return -1;
  setsockopt(v->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(v->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
      pthread_create(&v->thread, NULL, serve, v) != 0) {
    close(v->fd);
    v->fd = -1;
    return -1;
  }
  return pcsc_wait(v, 1);
}

static void disconnect(vcard *v)
{
  if (v->fd < 0)
    return;
  shutdown(v->fd, SHUT_RDWR);
  pthread_join(v->thread, NULL);
  close(v->fd);
  v->fd = -1;
  /* Out of the reader, a card loses power and its login. */
  v->verified = 0;
  vreader_power_off(v->reader);
}

/* The reader of this card in pcscd: the running one (PCSCLITE_CSOCK_NAME or
 * the system's) on o->port, or with --pcscd a private one, on a free port
 * when none is given (another tried when a concurrent run took it). */
static int attach(vcard *v, const vcard_opts *o, pcscd_private *pd, unsigned short *port)
{
  int i, found;

  if (!o->pcscd_dir) {
    *port = o->port;
    return pcsc_find_reader(v, o->reader);
  }
  for (i = 0; i < 10; i++) {
    *port = o->port ? o->port : pcscd_pick_port();
    if (*port == 0 || pcscd_start(pd, o->pcscd_dir, o->reader, *port) != 0)
      return -1;
    found = pcsc_find_reader(v, o->reader);
    if (found == 1 || o->port)
      return found;
    if (found == 0)
      SCardReleaseContext(v->pcsc);
    pcscd_stop(pd);
  }
  return 0;
}

static int run(vcard *v, unsigned short port)
{
  char line[64];

  while (fgets(line, sizeof(line), stdin)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (strcmp(line, "insert") == 0) {
      if (insert(v, port) != 0) {
        say("error insert: the card is in, or pcscd did not see it");
        return 1;
      }
      say("inserted");
    } else if (strcmp(line, "remove") == 0) {
      if (v->fd < 0) {
        say("error remove: no card in the reader");
        return 1;
      }
      disconnect(v);
      if (pcsc_wait(v, 0) != 0) {
        say("error remove: pcscd still sees a card");
        return 1;
      }
      say("removed");
    } else if (strcmp(line, "count") == 0) {
      say("apdus %lu", (unsigned long)atomic_load(&v->apdus));
    } else if (strcmp(line, "pin") == 0) {
      say("pin tries %d verifies %d", atomic_load(&v->tries), atomic_load(&v->verifies));
    } else if (strcmp(line, "quit") == 0) {
      break;
    } else if (line[0]) {
      say("error unknown command");
    }
  }
  return 0;
}

int main(int argc, char **argv)
{
  vcard_opts o;
  vcard v;
  pcscd_private pd;
  unsigned short port = 0;
  int rc, atrlen;

  rc = parse(argc, argv, &o);
  if (rc != 0)
    return rc;
  memset(&v, 0, sizeof(v));
  v.fd = -1;
  v.max_tries = o.pin_tries;
  atomic_store(&v.tries, o.pin_tries);
  if (o.log_path && !(v.log = fopen(o.log_path, "a"))) {
    say("error cannot open %s: %s", o.log_path, strerror(errno));
    return 1;
  }
  v.reader = card_init(&o);
  if (!v.reader) {
    say("error libcacard found no card in %s (certificates %s...)", o.db, o.certs[0]);
    return 1;
  }
  atrlen = (int)sizeof(v.atr);
  vreader_power_on(v.reader, v.atr, &atrlen);
  v.atrlen = (size_t)atrlen;
  memset(&pd, 0, sizeof(pd));
  pd.pid = -1;
  rc = attach(&v, &o, &pd, &port);
  if (rc != 1) {
    say("error pcscd has no reader \"%s\" on port %u (%s)", o.reader, (unsigned)port,
        rc < 0 ? "pcscd unreachable" : "vpcd could not listen");
    pcscd_stop(&pd);
    return 3;
  }
  say("ready %s", v.reader_name);
  rc = run(&v, port);
  disconnect(&v);
  say("apdus %lu", (unsigned long)atomic_load(&v.apdus));
  SCardReleaseContext(v.pcsc);
  pcscd_stop(&pd);
  vreader_free(v.reader);
  if (v.log)
    fclose(v.log);
  return rc;
}
