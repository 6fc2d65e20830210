/* SPDX-License-Identifier: BSD-3-Clause */
/* notify.c - desktop notification over sd-bus, and the journal line. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include "rgs_common.h"
#include "flow.h"
#include "watch.h"

#define NOTIFY_BUS_NAME "org.freedesktop.Notifications"
#define NOTIFY_PATH "/org/freedesktop/Notifications"
#define NOTIFY_CALL_TIMEOUT_USEC (3 * 1000 * 1000ULL)
#define NOTIFY_TEXT_MAX 1024

struct rgs_notifier {
  int desktop;               /* still worth trying the bus */
  int journal;               /* stderr is connected to the journal */
  sd_bus *bus;
  uint32_t last_id;
  int caps_known;            /* GetCapabilities asked */
  int can_act;               /* the server shows actions */
  sd_event *ev;              /* rgs_notifier_listen: the loop the bus joins */
  rgs_note_event_fn on_event;
  void *on_event_ud;
};

/* JOURNAL_STREAM=dev:ino names the stream systemd connected; it is only
 * ours if it is still stderr (a child of the service may have redirected). */
static int stderr_is_journal(void)
{
  const char *v = getenv("JOURNAL_STREAM");
  unsigned long long dev = 0, ino = 0;
  struct stat st;

  if (v == NULL || sscanf(v, "%llu:%llu", &dev, &ino) != 2)
    return 0;
  if (fstat(STDERR_FILENO, &st) != 0)
    return 0;
  return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

rgs_notifier *rgs_notifier_new(int desktop)
{
  rgs_notifier *n = calloc(1, sizeof(*n));

  if (n == NULL)
    return NULL;
  n->desktop = desktop;
  n->journal = stderr_is_journal();
  return n;
}

void rgs_notifier_free(rgs_notifier *n)
{
  if (n == NULL)
    return;
  if (n->bus != NULL)
    sd_bus_flush_close_unref(n->bus);
  free(n);
}

void rgs_notify_clean(const char *text, char *out, size_t outlen, int markup_safe)
{
  const unsigned char *s = (const unsigned char *)(text != NULL ? text : "");
  size_t o = 0, len;
  const char *rep;

  if (outlen == 0)
    return;
  while (*s != '\0') {
    rep = NULL;
    len = rgsx_utf8_char_len(s, strnlen((const char *)s, 4));
    if (len == 0 || (len == 1 && (*s < 0x20 || *s == 0x7F))) {
      /* A newline between sentences is kept; other controls become a space. */
      rep = *s == '\n' ? "\n" : " ";
      len = 1;
    } else if (markup_safe && len == 1) {
      switch (*s) {
      case '<': rep = "&lt;"; break;
      case '>': rep = "&gt;"; break;
      case '&': rep = "&amp;"; break;
      default: break;
      }
    }
    if (rep != NULL) {
      size_t r = strlen(rep);
      if (o + r >= outlen)
        break;
      memcpy(out + o, rep, r);
      o += r;
    } else {
      if (o + len >= outlen)
        break;
      memcpy(out + o, s, len);
      o += len;
    }
    s += len;
  }
  out[o] = '\0';
}

static const char *journal_prefix(rgs_note_level level)
{
  switch (level) {
  case RGS_NOTE_INFO: return SD_INFO;
  case RGS_NOTE_WARNING: return SD_WARNING;
  case RGS_NOTE_ERROR: return SD_ERR;
  }
  return SD_INFO;
}

static void log_line(const rgs_notifier *n, rgs_note_level level, const char *summary,
                     const char *body)
{
  char s[NOTIFY_TEXT_MAX], b[NOTIFY_TEXT_MAX];
  char *nl;

  rgs_notify_clean(summary, s, sizeof(s), 0);
  rgs_notify_clean(body, b, sizeof(b), 0);
  /* One journal entry per message: no newline inside. */
  for (nl = strchr(b, '\n'); nl != NULL; nl = strchr(nl, '\n'))
    *nl = ' ';
  fprintf(stderr, "%srgs-enroll: %s%s%s\n", n->journal ? journal_prefix(level) : "", s,
          b[0] != '\0' ? ": " : "", b);
  fflush(stderr);
}

static void give_up_desktop(rgs_notifier *n, const char *why)
{
  n->desktop = 0;
  fprintf(stderr, "%srgs-enroll: %s (%s)\n", n->journal ? SD_NOTICE : "",
          _("no desktop notification: messages go to the journal and the terminal only"), why);
  if (n->bus != NULL) {
    sd_bus_flush_close_unref(n->bus);
    n->bus = NULL;
  }
}

/* The server's answers to what the person did: the action clicked
 * (ActionInvoked, "default" is a click on the notification itself), or
 * the notification gone (NotificationClosed). */
static int on_action_invoked(sd_bus_message *m, void *ud, sd_bus_error *err)
{
  rgs_notifier *n = ud;
  const char *key = NULL;
  uint32_t id = 0;

  (void)err;
  if (sd_bus_message_read(m, "us", &id, &key) < 0 || n->on_event == NULL)
    return 0;
  if (strcmp(key, RGS_NOTE_ACTION_OPEN) == 0 || strcmp(key, "default") == 0)
    n->on_event(n->on_event_ud, id, RGS_NOTE_INVOKED);
  return 0;
}

static int on_closed(sd_bus_message *m, void *ud, sd_bus_error *err)
{
  rgs_notifier *n = ud;
  uint32_t id = 0, reason = 0;

  (void)err;
  if (sd_bus_message_read(m, "uu", &id, &reason) >= 0 && n->on_event != NULL)
    n->on_event(n->on_event_ud, id, RGS_NOTE_CLOSED);
  return 0;
}

/* The bus joins the loop: its fd in the loop's poll set, no polling. A
 * failure costs the actions only, said once. */
static void listen_bus(rgs_notifier *n)
{
  int r;

  r = sd_bus_match_signal(n->bus, NULL, NOTIFY_BUS_NAME, NOTIFY_PATH, NOTIFY_BUS_NAME,
                          "ActionInvoked", on_action_invoked, n);
  if (r >= 0)
    r = sd_bus_match_signal(n->bus, NULL, NOTIFY_BUS_NAME, NOTIFY_PATH, NOTIFY_BUS_NAME,
                            "NotificationClosed", on_closed, n);
  if (r >= 0)
    r = sd_bus_attach_event(n->bus, n->ev, SD_EVENT_PRIORITY_NORMAL);
  if (r < 0) {
    n->caps_known = 1;
    n->can_act = 0;
    fprintf(stderr, "%srgs-enroll: %s (%s)\n", n->journal ? SD_NOTICE : "",
            _("the notifications carry no action"), strerror(-r));
  }
}

static int open_bus(rgs_notifier *n)
{
  int r;

  if (n->bus != NULL)
    return 1;
  r = sd_bus_open_user(&n->bus);
  if (r < 0) {
    n->bus = NULL;
    give_up_desktop(n, strerror(-r));
    return 0;
  }
  if (n->ev != NULL)
    listen_bus(n);
  return 1;
}

/* GetCapabilities: whether the server shows actions (asked once). */
static void ask_caps(rgs_notifier *n)
{
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message *reply = NULL;
  const char *cap;

  n->caps_known = 1;
  if (sd_bus_call_method(n->bus, NOTIFY_BUS_NAME, NOTIFY_PATH, NOTIFY_BUS_NAME, "GetCapabilities",
                         &error, &reply, "") < 0)
    goto cleanup;
  if (sd_bus_message_enter_container(reply, 'a', "s") < 0)
    goto cleanup;
  while (sd_bus_message_read(reply, "s", &cap) > 0)
    if (strcmp(cap, "actions") == 0)
      n->can_act = 1;

cleanup:
  sd_bus_error_free(&error);
  sd_bus_message_unref(reply);
}

int rgs_notifier_can_act(rgs_notifier *n)
{
  if (n == NULL || !n->desktop || n->ev == NULL || !open_bus(n))
    return 0;
  if (!n->caps_known)
    ask_caps(n);
  return n->can_act;
}

void rgs_notifier_listen(rgs_notifier *n, struct sd_event *ev, rgs_note_event_fn fn, void *ud)
{
  if (n == NULL)
    return;
  n->ev = ev;
  n->on_event = fn;
  n->on_event_ud = ud;
  if (n->bus != NULL)
    listen_bus(n);
}

/* The Notify call's arguments; action: the label of "open", or NULL. */
static int append_notify(sd_bus_message *m, const rgs_notifier *n, rgs_note_level level,
                         int replace, const char *s, const char *b, const char *action)
{
  uint8_t urgency = level == RGS_NOTE_ERROR ? 2 : 1;
  int r;

  r = sd_bus_message_append(m, "susss", "rgs-enroll", replace ? n->last_id : (uint32_t)0,
                            level == RGS_NOTE_INFO ? "dialog-information"
                            : level == RGS_NOTE_WARNING ? "dialog-warning"
                                                        : "dialog-error",
                            s, b);
  if (r >= 0 && action != NULL)
    r = sd_bus_message_append(m, "as", 4, "default", action, RGS_NOTE_ACTION_OPEN, action);
  else if (r >= 0)
    r = sd_bus_message_append(m, "as", 0);
  if (r >= 0)
    r = sd_bus_message_append(m, "a{sv}i", 2, "urgency", "y", urgency, "desktop-entry", "s",
                              "rgs-enroll", (int32_t)-1);
  return r;
}

/* The notification's id, 0 when none was shown. */
static uint32_t send_desktop(rgs_notifier *n, rgs_note_level level, int replace,
                             const char *summary, const char *body, const char *action)
{
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message *m = NULL, *reply = NULL;
  char s[NOTIFY_TEXT_MAX], b[NOTIFY_TEXT_MAX], a[NOTIFY_TEXT_MAX];
  uint32_t id = 0, shown = 0;
  int r;

  if (!open_bus(n))
    return 0;
  /* The summary is plain text in the specification, the body may carry
   * markup: escape both, the servers differ. */
  rgs_notify_clean(summary, s, sizeof(s), 1);
  rgs_notify_clean(body, b, sizeof(b), 1);
  rgs_notify_clean(action, a, sizeof(a), 0);
  r = sd_bus_message_new_method_call(n->bus, &m, NOTIFY_BUS_NAME, NOTIFY_PATH, NOTIFY_BUS_NAME,
                                     "Notify");
  if (r >= 0)
    r = append_notify(m, n, level, replace, s, b, action != NULL ? a : NULL);
  if (r >= 0)
    r = sd_bus_call(n->bus, m, NOTIFY_CALL_TIMEOUT_USEC, &error, &reply);
  if (r >= 0 && sd_bus_message_read(reply, "u", &id) >= 0) {
    n->last_id = id;
    shown = id != 0 ? id : 1;
  } else if (r < 0) {
    give_up_desktop(n, error.message != NULL ? error.message : strerror(-r));
  }
  sd_bus_error_free(&error);
  sd_bus_message_unref(reply);
  sd_bus_message_unref(m);
  return shown;
}

void rgs_notify_log(rgs_notifier *n, rgs_note_level level, const char *text)
{
  if (n != NULL && text != NULL)
    log_line(n, level, text, NULL);
}

int rgs_notify(rgs_notifier *n, rgs_note_level level, int replace, const char *summary,
               const char *body)
{
  if (n == NULL || summary == NULL)
    return 0;
  log_line(n, level, summary, body);
  if (!n->desktop)
    return 0;
  return send_desktop(n, level, replace, summary, body, NULL) != 0;
}

uint32_t rgs_notify_action(rgs_notifier *n, rgs_note_level level, const char *summary,
                           const char *body, const char *action)
{
  if (n == NULL || summary == NULL || action == NULL)
    return 0;
  log_line(n, level, summary, body);
  if (!rgs_notifier_can_act(n))
    return 0;
  return send_desktop(n, level, 0, summary, body, action);
}
