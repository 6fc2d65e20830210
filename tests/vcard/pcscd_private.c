/* SPDX-License-Identifier: BSD-3-Clause */
/* pcscd_private.c - a pcscd of the card's own: its socket, its reader.conf
 * directory, its vpcd port; never the system's /run/pcscd/pcscd.comm.
 *
 * pcscd 1.9.9 binds its socket at a path fixed when it was built (only the
 * client library reads PCSCLITE_CSOCK_NAME), but it accepts a listening
 * socket handed over by systemd's protocol (LISTEN_FDS=1, LISTEN_PID, fd 3).
 * So the socket is bound here, at DIR/pcscd.comm, before pcscd starts:
 * a client that connects early waits in the backlog until pcscd serves,
 * which it does only after loading the readers of its -c directory.
 * The other files pcscd writes (/run/pcscd/pcscd.pid) are shared by every
 * instance and read by none of our clients. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pcscd_private.h"

#define VPCD_DRIVER "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"

/* vpcd listens on PORT and PORT+1 (its two slots), on every address. A
 * port pair that cannot be bound now is skipped; one taken between this
 * check and pcscd's bind shows as a missing reader (the caller retries). */
static int port_free(unsigned short port)
{
  struct sockaddr_in sa;
  int fd, ok, one = 1;

  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
  close(fd);
  return ok;
}

unsigned short pcscd_pick_port(void)
{
  unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL) ^ (unsigned)clock();
  int i;

  for (i = 0; i < 200; i++) {
    unsigned short p = (unsigned short)(20000 + 2 * (rand_r(&seed) % 20000));
    if (port_free(p) && port_free((unsigned short)(p + 1)))
      return p;
  }
  return 0;
}

static int write_conf(const char *dir, const char *reader, unsigned short port)
{
  char path[4200];
  FILE *f;

  snprintf(path, sizeof(path), "%s/reader.conf.d", dir);
  if (mkdir(path, 0700) != 0 && errno != EEXIST)
    return -1;
  snprintf(path, sizeof(path), "%s/reader.conf.d/vpcd", dir);
  f = fopen(path, "w");
  if (!f)
    return -1;
  fprintf(f, "FRIENDLYNAME \"%s\"\nDEVICENAME /dev/null:0x%04X\nLIBPATH %s\nCHANNELID 0x%04X\n",
          reader, port, VPCD_DRIVER, port);
  return fclose(f) == 0 ? 0 : -1;
}

static int listen_unix(const char *path)
{
  struct sockaddr_un sa;
  int fd;

  if (strlen(path) >= sizeof(sa.sun_path))
    return -1;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path, strlen(path) + 1);
  unlink(path);
  fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0)
    return -1;
  if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 64) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* In the child: fd 3 is the socket, pcscd in the foreground, its log in
 * DIR/pcscd.log; it ends with this process (PR_SET_PDEATHSIG). */
static void exec_pcscd(const char *dir, int lfd)
{
  char conf[4200], log[4200], pid[32];
  int out;

  prctl(PR_SET_PDEATHSIG, SIGTERM);
  snprintf(conf, sizeof(conf), "%s/reader.conf.d", dir);
  snprintf(log, sizeof(log), "%s/pcscd.log", dir);
  out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (out >= 0) {
    dup2(out, 1);
    dup2(out, 2);
  }
  if (lfd != 3) {
    dup2(lfd, 3);
    close(lfd);
  }
  snprintf(pid, sizeof(pid), "%ld", (long)getpid());
  setenv("LISTEN_FDS", "1", 1);
  setenv("LISTEN_PID", pid, 1);
  unsetenv("LISTEN_FDNAMES");
  execl(PCSCD_BIN, "pcscd", "--foreground", "--config", conf, (char *)NULL);
  _exit(127);
}

int pcscd_start(pcscd_private *p, const char *dir, const char *reader, unsigned short port)
{
  int lfd;

  memset(p, 0, sizeof(*p));
  p->pid = -1;
  snprintf(p->sock, sizeof(p->sock), "%s/pcscd.comm", dir);
  if (write_conf(dir, reader, port) != 0)
    return -1;
  lfd = listen_unix(p->sock);
  if (lfd < 0)
    return -1;
  p->pid = fork();
  if (p->pid == 0)
    exec_pcscd(dir, lfd);
  close(lfd);
  if (p->pid < 0)
    return -1;
  /* libpcsclite reads it at its first use, in this process and in every
   * command started from it. */
  setenv("PCSCLITE_CSOCK_NAME", p->sock, 1);
  return 0;
}

void pcscd_stop(pcscd_private *p)
{
  int status;

  if (p->pid <= 0)
    return;
  kill(p->pid, SIGTERM);
  while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
    ;
  p->pid = -1;
  unlink(p->sock);
}
