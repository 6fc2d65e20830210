/* SPDX-License-Identifier: BSD-3-Clause */
/* fake_notifyd.c - a notification server for the tests: owns
 * org.freedesktop.Notifications on the session bus named by
 * DBUS_SESSION_BUS_ADDRESS and appends each Notify call to the file argv[1]
 * as one line: "urgency|app|replaces|summary|body" (newlines of the body
 * as \n), then "|key,label,..." when the call carries actions. It writes
 * "ready" to argv[1] once it owns the name, and runs until SIGTERM.
 * GetCapabilities names "actions" (unless RGS_FAKE_NOTIFYD_NO_ACTIONS is
 * set): SIGUSR1 makes it emit ActionInvoked(last id, "open") as a click
 * would, SIGUSR2 NotificationClosed(last id, 2); each is logged as
 * "invoked ID" / "closed ID". */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

static const char *out_path;
static uint32_t next_id = 1, last_id;
static sd_bus *the_bus;

static void put_escaped(FILE *f, const char *s)
{
  for (; *s != '\0'; s++) {
    if (*s == '\n')
      fputs("\\n", f);
    else
      fputc(*s, f);
  }
}

/* The actions "key,label,key,label" into out ("" when none). */
static int read_actions(sd_bus_message *m, char *out, size_t len)
{
  const char *a;
  size_t used = 0;
  int r;

  out[0] = '\0';
  r = sd_bus_message_enter_container(m, 'a', "s");
  if (r < 0)
    return r;
  while ((r = sd_bus_message_read(m, "s", &a)) > 0)
    used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s%s", used ? "," : "", a);
  if (r < 0)
    return r;
  return sd_bus_message_exit_container(m);
}

static int on_notify(sd_bus_message *m, void *ud, sd_bus_error *err)
{
  const char *app, *icon, *summary, *body, *key;
  char actions[1024];
  uint32_t replaces, id;
  uint8_t urgency = 255;
  int32_t timeout;
  FILE *f;
  int r;

  (void)ud;
  (void)err;
  r = sd_bus_message_read(m, "susss", &app, &replaces, &icon, &summary, &body);
  if (r < 0)
    return r;
  r = read_actions(m, actions, sizeof(actions));
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
    if (actions[0] != '\0')
      fprintf(f, "|%s", actions);
    fputc('\n', f);
    fclose(f);
  }
  id = replaces != 0 ? replaces : next_id++;
  last_id = id;
  return sd_bus_reply_method_return(m, "u", id);
}

static int on_caps(sd_bus_message *m, void *ud, sd_bus_error *err)
{
  (void)ud;
  (void)err;
  if (getenv("RGS_FAKE_NOTIFYD_NO_ACTIONS") != NULL)
    return sd_bus_reply_method_return(m, "as", 2, "body", "body-markup");
  return sd_bus_reply_method_return(m, "as", 3, "body", "body-markup", "actions");
}

/* The person clicks "open" (SIGUSR1) or dismisses (SIGUSR2) the last one. */
static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
  FILE *f = fopen(out_path, "a");
  int invoked = si->ssi_signo == SIGUSR1;

  (void)s;
  (void)ud;
  if (invoked)
    sd_bus_emit_signal(the_bus, "/org/freedesktop/Notifications", "org.freedesktop.Notifications",
                       "ActionInvoked", "us", last_id, "open");
  else
    sd_bus_emit_signal(the_bus, "/org/freedesktop/Notifications", "org.freedesktop.Notifications",
                       "NotificationClosed", "uu", last_id, (uint32_t)2);
  sd_bus_flush(the_bus);
  if (f != NULL) {
    fprintf(f, "%s %u\n", invoked ? "invoked" : "closed", last_id);
    fclose(f);
  }
  return 0;
}

static const sd_bus_vtable vtable[] = {
  SD_BUS_VTABLE_START(0),
  SD_BUS_METHOD("Notify", "susssasa{sv}i", "u", on_notify, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD("GetCapabilities", "", "as", on_caps, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_SIGNAL("ActionInvoked", "us", 0),
  SD_BUS_SIGNAL("NotificationClosed", "uu", 0),
  SD_BUS_VTABLE_END
};

int main(int argc, char **argv)
{
  sd_bus *bus = NULL;
  sd_bus_slot *slot = NULL;
  sd_event *ev = NULL;
  sigset_t mask;
  FILE *f;
  int r;

  if (argc != 2)
    return 2;
  out_path = argv[1];
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  sigaddset(&mask, SIGUSR2);
  sigaddset(&mask, SIGTERM);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  r = sd_event_default(&ev);
  if (r >= 0)
    r = sd_bus_open_user(&bus);
  if (r >= 0)
    r = sd_bus_add_object_vtable(bus, &slot, "/org/freedesktop/Notifications",
                                 "org.freedesktop.Notifications", vtable, NULL);
  if (r >= 0)
    r = sd_bus_request_name(bus, "org.freedesktop.Notifications", 0);
  if (r >= 0)
    r = sd_bus_attach_event(bus, ev, 0);
  if (r >= 0)
    r = sd_event_add_signal(ev, NULL, SIGUSR1, on_signal, NULL);
  if (r >= 0)
    r = sd_event_add_signal(ev, NULL, SIGUSR2, on_signal, NULL);
  if (r >= 0)
    r = sd_event_add_signal(ev, NULL, SIGTERM, NULL, NULL);
  if (r < 0) {
    fprintf(stderr, "fake_notifyd: %s\n", strerror(-r));
    return 1;
  }
  the_bus = bus;
  f = fopen(out_path, "a");
  if (f != NULL) {
    fputs("ready\n", f);
    fclose(f);
  }
  sd_event_loop(ev);
  sd_bus_slot_unref(slot);
  sd_bus_flush_close_unref(bus);
  sd_event_unref(ev);
  return 0;
}
