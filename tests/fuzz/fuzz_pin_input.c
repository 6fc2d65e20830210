/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_pin_input.c - fuzz target for the secret reader of pkcs11/p11_pin.c
 * (PIN, unblocking code, new PIN, retrieval code from a file or a
 * descriptor), issue 9 item 5.
 *
 * The input is the content of a PIN file (first byte 0x01: of a descriptor
 * read line after line, as pin change reads the current and the new PIN).
 * Whatever the bytes, a secret the reader returns must be what a token may
 * be sent: non-empty, well-formed UTF-8 without NUL or control characters,
 * without a byte-order mark, and equal to the first line minus the final CR
 * and a leading UTF-8 BOM (an oracle written here from the rules, not from
 * the code). A refused one leaves the buffer wiped and a printable reason;
 * only a line too long for the buffer may be refused for its length.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rgs_common.h"
#include "rgs_p11.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                \
    }                                                                         \
  } while (0)

#define CAP 64            /* small, so that the length limit is reached too */
#define MAX_LINES 16

/* What the reader should return for one line (without its '\n'): 1 and
 * the secret in out/outlen, or 0 for a refusal. */
static int oracle(const uint8_t *line, size_t n, const uint8_t **out, size_t *outlen)
{
  size_t i, k;

  if (n > 0 && line[n - 1] == '\r')
    n--;
  if (n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
    line += 3;
    n -= 3;
  }
  if (n == 0)
    return 0;
  for (i = 0; i < n; i += k) {
    k = rgsx_utf8_char_len(line + i, n - i);
    if (k == 0 || line[i] < 0x20 || line[i] == 0x7F ||
        (k == 2 && line[i] == 0xC2 && line[i + 1] < 0xA0))
      return 0;
  }
  *out = line;
  *outlen = n;
  return 1;
}

static void check_one(rgs_p11_rc rc, const char *buf, size_t len, const char *why,
                      const uint8_t *line, size_t n)
{
  const uint8_t *want = NULL;
  size_t want_len = 0, i;
  int ok = oracle(line, n, &want, &want_len);

  CHECK(rgsx_is_clean(why, strlen(why)));
  if (rc == RGS_P11_OK) {
    CHECK(ok);
    CHECK(len == want_len && memcmp(buf, want, len) == 0 && buf[len] == '\0');
    CHECK(len < CAP);
    return;
  }
  for (i = 0; i < CAP; i++)
    CHECK(buf[i] == '\0');                     /* wiped on every refusal */
  CHECK(len == 0);
  if (rc == RGS_P11_ERR_PIN_LENGTH)
    CHECK(n >= CAP - 1);                         /* refused only when too long */
  else
    CHECK(!ok);
}

static int memfd_with(const uint8_t *data, size_t size)
{
  int fd = memfd_create("pin", MFD_CLOEXEC);

  CHECK(fd >= 0);
  CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  rgs_p11_pin_source src;
  char buf[CAP], why[512];
  size_t len = 0, pos = 0, lines = 0, n;
  const uint8_t *nl;
  int by_line = size > 0 && data[0] == 0x01;
  rgs_p11_rc rc;

  memset(&src, 0, sizeof(src));
  if (by_line) {
    data++;
    size--;
  }
  src.from = RGS_PIN_FROM_FD;
  src.fd = memfd_with(data, size);
  do {
    nl = memchr(data + pos, '\n', size - pos);
    n = nl != NULL ? (size_t)(nl - (data + pos)) : size - pos;
    rc = rgs_p11_pin_read_why(&src, NULL, buf, sizeof(buf), &len, why, sizeof(why));
    check_one(rc, buf, len, why, data + pos, n);
    pos += n + 1;
    rgsx_wipe(buf, sizeof(buf));
  } while (by_line && rc != RGS_P11_ERR_PIN_LENGTH && pos < size && ++lines < MAX_LINES);
  close(src.fd);
  return 0;
}
