/* SPDX-License-Identifier: BSD-3-Clause */
/* watch_udev.c - the USB devices udev tells about, validated before use. */
#include <ctype.h>
#include <string.h>
#include "watch.h"

/* Keep in step with udev/70-rgs-enroll.rules (tests/udev checks both).
 * Source: the reader list of Debian 12's libccid 1.5.2
 * (/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Info.plist, generated
 * from CCID's readers/supported_readers.txt). The IDPrime MD 840 / 3840 /
 * 940 USB tokens are an IDPrime card in Gemalto's "USB Shell Token V2"
 * (IDBridge K30); the eToken 5110 enumerates as SafeNet's 0529:0620. */
static const rgs_usb_known known_tokens[] = {
  { "08e6", "3438", "Gemalto USB Shell Token V2 (IDBridge K30, IDPrime MD token)" },
  { "0529", "0620", "SafeNet eToken 5100/5110" },
  { "08e6", "34cf", "SafeNet eToken 5110+ FIPS" },
  { "08e6", "34cc", "SafeNet eToken 5300" },
  { "08e6", "34ce", "SafeNet eToken 5300 C" },
};

const rgs_usb_known *rgs_usb_known_tokens(size_t *n)
{
  if (n != NULL)
    *n = RGS_ARRAY_LEN(known_tokens);
  return known_tokens;
}

void rgs_watch_clean_text(const char *in, char *out, size_t outlen)
{
  size_t o = 0;

  if (outlen == 0)
    return;
  if (in != NULL) {
    for (; *in != '\0' && o + 1 < outlen; in++) {
      unsigned char c = (unsigned char)*in;
      out[o++] = (isascii(c) && (isalnum(c) || strchr(" ._+-", c) != NULL)) ? (char)c : '_';
    }
  }
  if (o == 0 && outlen > 1)
    out[o++] = '?';
  out[o] = '\0';
}

/* Exactly four hex digits, copied in lower case; 0 otherwise. */
static int hex4(const char *in, char out[5])
{
  size_t i;

  out[0] = '\0';
  if (in == NULL || strlen(in) != 4)
    return 0;
  for (i = 0; i < 4; i++) {
    if (!isxdigit((unsigned char)in[i]))
      return 0;
    out[i] = (char)tolower((unsigned char)in[i]);
  }
  out[4] = '\0';
  return 1;
}

/* The kernel's PRODUCT=vid/pid/bcd, hex without leading zeros. */
static void ids_from_product(const char *product, rgs_usb_device *d)
{
  unsigned v = 0, p = 0;
  char tail = 0;
  char buf[8];

  if (product == NULL || strlen(product) > 20)
    return;
  if (sscanf(product, "%4x/%4x/%*x%c", &v, &p, &tail) < 2 || tail != 0)
    return;
  /* sscanf accepts signs and spaces: ask for hex digits and slashes only. */
  if (strspn(product, "0123456789abcdefABCDEF/") != strlen(product))
    return;
  snprintf(buf, sizeof(buf), "%04x", v & 0xFFFF);
  hex4(buf, d->vendor_id);
  snprintf(buf, sizeof(buf), "%04x", p & 0xFFFF);
  hex4(buf, d->product_id);
}

/* ":0b0000:030000:" — every interface as :CCSSPP:. 1 when well formed and
 * one of them has class 0b. */
static int has_ccid(const char *ifaces)
{
  size_t len, i;
  int ccid = 0;

  if (ifaces == NULL)
    return 0;
  len = strlen(ifaces);
  if (len < 8 || len > 7 * 32 + 1 || (len - 1) % 7 != 0 || ifaces[0] != ':')
    return 0;
  for (i = 1; i < len; i += 7) {
    size_t k;
    for (k = 0; k < 6; k++)
      if (!isxdigit((unsigned char)ifaces[i + k]))
        return 0;
    if (ifaces[i + 6] != ':')
      return 0;
    if (ifaces[i] == '0' && (ifaces[i + 1] == 'b' || ifaces[i + 1] == 'B'))
      ccid = 1;
  }
  return ccid;
}

int rgs_usb_device_read(rgs_prop_get get, void *ud, rgs_usb_device *out)
{
  size_t i;

  memset(out, 0, sizeof(*out));
  if (!hex4(get(ud, "ID_VENDOR_ID"), out->vendor_id) ||
      !hex4(get(ud, "ID_MODEL_ID"), out->product_id)) {
    out->vendor_id[0] = out->product_id[0] = '\0';
    ids_from_product(get(ud, "PRODUCT"), out);
  }
  rgs_watch_clean_text(get(ud, "ID_VENDOR"), out->vendor, sizeof(out->vendor));
  rgs_watch_clean_text(get(ud, "ID_MODEL"), out->model, sizeof(out->model));
  rgs_watch_clean_text(get(ud, "ID_SERIAL_SHORT"), out->serial, sizeof(out->serial));
  out->ccid = has_ccid(get(ud, "ID_USB_INTERFACES"));
  for (i = 0; i < RGS_ARRAY_LEN(known_tokens); i++)
    if (strcmp(out->vendor_id, known_tokens[i].vendor_id) == 0 &&
        strcmp(out->product_id, known_tokens[i].product_id) == 0)
      out->known = known_tokens[i].name;
  return out->ccid || out->known != NULL;
}
