/* SPDX-License-Identifier: BSD-3-Clause */
/* watch_window.c - the notification's action opens the window
 * (rgs-enroll-gtk --order N --token URI) at the step where the order
 * stands: for a person who has no terminal, and for a step that needs a
 * PIN the watcher cannot ask for.
 *
 * The window is executed directly (no shell) with an argv of validated
 * values: the token's URI and label come from the token, hostile input,
 * and never meet a shell. It starts in a session of its own, its stdio on
 * /dev/null; the watcher reaps it from its loop (SIGCHLD, no polling),
 * and a --once watcher waits for it, so that stopping the watcher's unit
 * does not take the window with it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <systemd/sd-event.h>
#include "watch_internal.h"

extern char **environ;

#define WINDOW_PROGRAM "rgs-enroll-gtk"
#define WINDOW_MAX_ARGS 48

/* dir/rgs-enroll-gtk into out when it is an executable; 1 when it is. */
static int try_dir(const char *dir, size_t dirlen, char *out, size_t len)
{
  if (dirlen == 0 || (size_t)snprintf(out, len, "%.*s/%s", (int)dirlen, dir, WINDOW_PROGRAM) >= len)
    return 0;
  return rgs_watch_askpass_ok(out);
}

int watch_window_find(watch_env *e, const char *given)
{
  const char *path = getenv("PATH"), *slash = strrchr(e->self, '/'), *p, *end;

  e->window[0] = '\0';
  if (given != NULL) {
    if (!rgs_watch_askpass_ok(given))
      return rgs_usage_error(e->io, "watch",
                             _("--window needs the absolute path of a program, not '%s'"), given);
    snprintf(e->window, sizeof(e->window), "%s", given);
    return RGS_EXIT_OK;
  }
  if (slash != NULL && try_dir(e->self, (size_t)(slash - e->self), e->window, sizeof(e->window)))
    return RGS_EXIT_OK;
  for (p = path; p != NULL && *p != '\0'; p = *end != '\0' ? end + 1 : end) {
    end = strchrnul(p, ':');
    /* Relative entries of PATH are skipped: they depend on the folder. */
    if (*p == '/' && try_dir(p, (size_t)(end - p), e->window, sizeof(e->window)))
      return RGS_EXIT_OK;
  }
  e->window[0] = '\0';
  return RGS_EXIT_OK;
}

int watch_window_can_offer(watch_env *e, const rgs_watch_plan *p)
{
  return !e->dry_run && e->window[0] != '\0' && e->ev != NULL && p->order_id > 0 &&
         rgs_notifier_can_act(e->note);
}

int watch_window_pending(const watch_env *e)
{
  size_t i;

  if (e->windows > 0)
    return 1;
  for (i = 0; i < WATCH_OFFERS_MAX; i++)
    if (e->offers[i].id != 0)
      return 1;
  return 0;
}

/* A --once watcher ends when nothing is left to wait for. */
static void maybe_end(watch_env *e)
{
  if (e->end_when_idle && !watch_window_pending(e))
    sd_event_exit(e->ev, 0);
}

int watch_window_offer(watch_env *e, rgs_note_level level, const char *summary, const char *body,
                       const rgs_watch_plan *p, const rgs_p11_slot_info *info)
{
  rgs_p11_uri *uri = NULL;
  char *text = NULL;
  uint32_t id;
  size_t i, slot = 0;
  int ok = 0;

  /* All places taken (a watcher running for days, notifications never
   * answered): the first place gives way. */
  for (i = 0; i < WATCH_OFFERS_MAX; i++)
    if (e->offers[i].id == 0) {
      slot = i;
      break;
    }
  if (rgs_p11_uri_for_token(info, &uri) != RGS_P11_OK)
    goto cleanup;
  text = rgs_p11_uri_format(uri);
  if (text == NULL || strlen(text) >= sizeof(e->offers[slot].uri) || !rgs_watch_path_ok(text))
    goto cleanup;
  id = rgs_notify_action(e->note, level, summary, body, _("Open the window"));
  if (id == 0)
    goto cleanup;
  e->offers[slot].id = id;
  e->offers[slot].order_id = p->order_id;
  snprintf(e->offers[slot].uri, sizeof(e->offers[slot].uri), "%s", text);
  watch_trace(e, "window-offered");
  ok = 1;

cleanup:
  free(text);
  rgs_p11_uri_free(uri);
  return ok;
}

static int on_window_exit(sd_event_source *s, const siginfo_t *si, void *ud)
{
  watch_env *e = ud;

  (void)s;                    /* floating and one-shot: the loop frees it */
  (void)si;
  e->windows--;
  watch_trace(e, "window-closed");
  maybe_end(e);
  return 0;
}

/* The window's command line: the program, the order, the token, and the
 * store, module and policies this watcher was given. */
static void window_argv(const watch_env *e, const watch_offer *o, char *num, size_t numlen,
                        const char **argv)
{
  size_t n = 0, i;

  snprintf(num, numlen, "%lld", o->order_id);
  argv[n++] = e->window;
  argv[n++] = "--order";
  argv[n++] = num;
  argv[n++] = "--token";
  argv[n++] = o->uri;
  argv[n++] = "--db";
  argv[n++] = e->db;
  argv[n++] = "--module";
  argv[n++] = e->module;
  for (i = 0; i < e->io->n_policies && n + 3 < WINDOW_MAX_ARGS; i++) {
    argv[n++] = "--policy";
    argv[n++] = e->io->policies[i];
  }
  argv[n] = NULL;
}

/* Start the window for offer o: its own session, stdio on /dev/null. */
static void open_window(watch_env *e, const watch_offer *o)
{
  const char *argv[WINDOW_MAX_ARGS + 1];
  char num[32], msg[256];
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  sigset_t none, defaults;
  pid_t pid = -1;
  int err;

  window_argv(e, o, num, sizeof(num), argv);
  sigemptyset(&none);
  sigfillset(&defaults);
  posix_spawnattr_init(&at);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &defaults);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  /* Nothing else of the watcher's: its --pin-fd, the bus, the udev monitor. */
  posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
  err = posix_spawn(&pid, e->window, &fa, &at, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  if (err != 0) {
    /* TRANSLATORS: the window program, the system's reason. */
    snprintf(msg, sizeof(msg), _("cannot open the window %s: %s"), e->window, strerror(err));
    rgs_notify(e->note, RGS_NOTE_ERROR, 0, _("Enrolment"), msg);
    return;
  }
  if (sd_event_add_child(e->ev, NULL, pid, WEXITED, on_window_exit, e) >= 0)
    e->windows++;
  snprintf(msg, sizeof(msg), _("Opening the window for order %lld."), o->order_id);
  rgs_notify_log(e->note, RGS_NOTE_INFO, msg);
  watch_trace(e, "window-opened");
}

void watch_window_event(void *ud, uint32_t id, rgs_note_event what)
{
  watch_env *e = ud;
  size_t i;

  for (i = 0; i < WATCH_OFFERS_MAX; i++) {
    if (e->offers[i].id != id || id == 0)
      continue;
    if (what == RGS_NOTE_INVOKED)
      open_window(e, &e->offers[i]);
    memset(&e->offers[i], 0, sizeof(e->offers[i]));
  }
  maybe_end(e);
}

void watch_window_forget(watch_env *e)
{
  memset(e->offers, 0, sizeof(e->offers));
  maybe_end(e);
}
