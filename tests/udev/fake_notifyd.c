/* SPDX-License-Identifier: BSD-3-Clause */
/* fake_notifyd.c - a notification server for the tests: owns
 * org.freedesktop.Notifications on the session bus named by
 * DBUS_SESSION_BUS_ADDRESS and appends each Notify call to the file argv[1]
 * as one line: "urgency|summary|body" (newlines of the body as \n). It
 * writes "ready" to argv[1] once it owns the name, and runs until SIGTERM. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

static const char *out_path;
static uint32_t next_id = 1;

static void put_escaped(FILE *f, const char *s)
{
  for (; *s != '\0'; s++) {
    if (*s == '\n')
      fputs("\\n", f);
    else
      fputc(*s, f);
  }
}

static int on_notify(sd_bus_message *m, void *ud, sd_bus_error *err)
{
  const char *app, *icon, *summary, *body, *key;
  uint32_t replaces;
  uint8_t urgency = 255;
  int32_t timeout;
  FILE *f;
  int r;

  (void)ud;
  (void)err;
  r = sd_bus_message_read(m, "susss", &app, &replaces, &icon, &summary, &body);
  if (r < 0)
    return r;
  r = sd_bus_message_skip(m, "as");
  if (r < 0)
    return r;
  r = sd_bus_message_enter_container(m, 'a', "{sv}");
  if (r < 0)
    return r;
  while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
    r = sd_bus_message_read(m, "s", &key);
    if (r < 0)
      return r;
    if (strcmp(key, "urgency") == 0)
      r = sd_bus_message_read(m, "v", "y", &urgency);
    else
      r = sd_bus_message_skip(m, "v");
    if (r < 0)
      return r;
    r = sd_bus_message_exit_container(m);
    if (r < 0)
      return r;
  }
  sd_bus_message_exit_container(m);
  r = sd_bus_message_read(m, "i", &timeout);
  if (r < 0)
    return r;
  f = fopen(out_path, "a");
  if (f != NULL) {
    fprintf(f, "%u|%s|%u|", urgency, app, replaces);
    put_escaped(f, summary);
    fputc('|', f);
    put_escaped(f, body);
    fputc('\n', f);
    fclose(f);
  }
  return sd_bus_reply_method_return(m, "u", replaces != 0 ? replaces : next_id++);
}

static const sd_bus_vtable vtable[] = {
  SD_BUS_VTABLE_START(0),
  SD_BUS_METHOD("Notify", "susssasa{sv}i", "u", on_notify, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_VTABLE_END
};

int main(int argc, char **argv)
{
  sd_bus *bus = NULL;
  sd_bus_slot *slot = NULL;
  FILE *f;
  int r;

  if (argc != 2)
    return 2;
  out_path = argv[1];
  r = sd_bus_open_user(&bus);
  if (r >= 0)
    r = sd_bus_add_object_vtable(bus, &slot, "/org/freedesktop/Notifications",
                                 "org.freedesktop.Notifications", vtable, NULL);
  if (r >= 0)
    r = sd_bus_request_name(bus, "org.freedesktop.Notifications", 0);
  if (r < 0) {
    fprintf(stderr, "fake_notifyd: %s\n", strerror(-r));
    return 1;
  }
  f = fopen(out_path, "a");
  if (f != NULL) {
    fputs("ready\n", f);
    fclose(f);
  }
  for (;;) {
    r = sd_bus_process(bus, NULL);
    if (r < 0)
      break;
    if (r > 0)
      continue;
    r = sd_bus_wait(bus, (uint64_t)-1);
    if (r < 0)
      break;
  }
  sd_bus_slot_unref(slot);
  sd_bus_flush_close_unref(bus);
  return 0;
}
