/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_udev_props.c - what udev hands the watcher is hostile: the
 * properties of a USB device (its strings are chosen by the device) go
 * through rgs_usb_device_read, and any text through rgs_notify_clean.
 * Input: "KEY=VALUE" lines. Checked: the ids are four lower-case hex digits
 * or empty, the cleaned strings hold only [A-Za-z0-9 ._+-] and fit, the
 * notification text is valid UTF-8 without controls (but newlines) and,
 * escaped, without < or >.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PROPS 32

typedef struct {
  char *key[MAX_PROPS], *value[MAX_PROPS];
  size_t n;
} props;

static const char *get(void *ud, const char *key)
{
  const props *p = ud;
  size_t i;

  for (i = 0; i < p->n; i++)
    if (strcmp(p->key[i], key) == 0)
      return p->value[i];
  return NULL;
}

static void check_id(const char *id)
{
  size_t i, n = strlen(id);

  if (n != 0 && n != 4)
    abort();
  for (i = 0; i < n; i++)
    if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
      abort();
}

static void check_text(const char *t, size_t cap)
{
  size_t n = strlen(t), i;

  if (n == 0 || n >= cap)
    abort();
  for (i = 0; i < n; i++) {
    char c = t[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          strchr(" ._+-?", c) != NULL))
      abort();
  }
}

static void check_note(const char *t, int markup)
{
  const unsigned char *s = (const unsigned char *)t;

  while (*s != '\0') {
    size_t len = 1, i;
    if (*s < 0x20 && *s != '\n')
      abort();
    if (*s == 0x7F)
      abort();
    if (markup && (*s == '<' || *s == '>'))
      abort();
    if (*s >= 0x80) {
      if (*s >= 0xC2 && *s <= 0xDF) len = 2;
      else if (*s >= 0xE0 && *s <= 0xEF) len = 3;
      else if (*s >= 0xF0 && *s <= 0xF4) len = 4;
      else abort();
      for (i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
          abort();
    }
    s += len;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = malloc(size + 1), *line, *save = NULL, note[256];
  rgs_usb_device d;
  props p;

  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  rgs_notify_clean(text, note, sizeof(note), 1);
  check_note(note, 1);
  rgs_notify_clean(text, note, sizeof(note), 0);
  check_note(note, 0);
  memset(&p, 0, sizeof(p));
  for (line = strtok_r(text, "\n", &save); line != NULL && p.n < MAX_PROPS;
       line = strtok_r(NULL, "\n", &save)) {
    char *eq = strchr(line, '=');
    if (eq == NULL)
      continue;
    *eq = '\0';
    p.key[p.n] = line;
    p.value[p.n] = eq + 1;
    p.n++;
  }
  (void)rgs_usb_device_read(get, &p, &d);
  check_id(d.vendor_id);
  check_id(d.product_id);
  check_text(d.vendor, sizeof(d.vendor));
  check_text(d.model, sizeof(d.model));
  check_text(d.serial, sizeof(d.serial));
  free(text);
  return 0;
}
