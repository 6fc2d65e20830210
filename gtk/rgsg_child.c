/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_child.c - rgs-enroll --json as an asynchronous child (rgsg_child.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <glib-unix.h>
#include <gio/gunixinputstream.h>
#include "rgs_common.h"
#include "rgsg_child.h"

#ifndef RGSG_BINDIR
#define RGSG_BINDIR "/usr/local/bin"
#endif

#define RGSG_PIN_FD 3
#define RGSG_PROGRESS_FD 4

/* Shared by the child's exit and its progress pipe: freed when both ended. */
typedef struct {
  rgsg_done_fn done;
  rgsg_progress_fn progress;
  gpointer user;
  gboolean finished;          /* done was called: no progress after it */
  int refs;
  GDataInputStream *in;
} run_state;

static void state_unref(run_state *st)
{
  if (--st->refs > 0)
    return;
  g_clear_object(&st->in);
  g_free(st);
}

char *rgsg_find_cli(void)
{
  static const char *const rel[] = { "../cli/rgs-enroll", "rgs-enroll" };
  const char *env = g_getenv("RGS_ENROLL_GTK_CLI");
  char *exe = NULL, *dir = NULL, *path = NULL;
  size_t i;

  if (env != NULL && env[0] != '\0')
    return g_strdup(env);
  exe = g_file_read_link("/proc/self/exe", NULL);
  if (exe != NULL)
    dir = g_path_get_dirname(exe);
  for (i = 0; dir != NULL && i < G_N_ELEMENTS(rel); i++) {
    path = g_build_filename(dir, rel[i], NULL);
    if (g_file_test(path, G_FILE_TEST_IS_EXECUTABLE) && !g_file_test(path, G_FILE_TEST_IS_DIR))
      goto cleanup;
    g_clear_pointer(&path, g_free);
  }
  path = g_strdup(RGSG_BINDIR "/rgs-enroll");
cleanup:
  g_free(exe);
  g_free(dir);
  return path;
}

/* The whole argv: cli --json, the globals, --pin-fd and --final-try, args. */
static GPtrArray *build_argv(const rgsg_ctx *ctx, const char *const *args, gboolean pin,
                             gboolean final_try, gboolean progress)
{
  GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
  size_t i;

  g_ptr_array_add(v, g_strdup(ctx->cli));
  g_ptr_array_add(v, g_strdup("--json"));
  if (ctx->policy != NULL) {
    g_ptr_array_add(v, g_strdup("--policy"));
    g_ptr_array_add(v, g_strdup(ctx->policy));
  }
  for (i = 0; ctx->policies != NULL && ctx->policies[i] != NULL; i++) {
    g_ptr_array_add(v, g_strdup("--policy"));
    g_ptr_array_add(v, g_strdup(ctx->policies[i]));
  }
  if (ctx->module != NULL) {
    g_ptr_array_add(v, g_strdup("--module"));
    g_ptr_array_add(v, g_strdup(ctx->module));
  }
  if (ctx->db != NULL) {
    g_ptr_array_add(v, g_strdup("--db"));
    g_ptr_array_add(v, g_strdup(ctx->db));
  }
  if (pin) {
    g_ptr_array_add(v, g_strdup("--pin-fd"));
    g_ptr_array_add(v, g_strdup_printf("%d", RGSG_PIN_FD));
  }
  if (final_try)
    g_ptr_array_add(v, g_strdup("--final-try"));
  if (progress) {
    g_ptr_array_add(v, g_strdup("--progress-fd"));
    g_ptr_array_add(v, g_strdup_printf("%d", RGSG_PROGRESS_FD));
  }
  for (i = 0; args[i] != NULL; i++)
    g_ptr_array_add(v, g_strdup(args[i]));
  g_ptr_array_add(v, NULL);
  return v;
}

/* A pipe whose read end is returned and whose write end already holds the
 * PIN and a newline, closed: a PIN is far below the pipe's capacity, so the
 * write never waits for the child. -1 on failure (errno set). */
static int pin_pipe(const char *pin)
{
  int fds[2] = { -1, -1 };
  size_t len = strlen(pin);
  ssize_t n;

  if (!g_unix_open_pipe(fds, FD_CLOEXEC, NULL))
    return -1;
  n = write(fds[1], pin, len);
  /* A secret cut short is never handed on as if whole. */
  n = n == (ssize_t)len ? write(fds[1], "\n", 1) : -1;
  close(fds[1]);
  if (n != 1) {
    close(fds[0]);
    return -1;
  }
  return fds[0];
}

/* The member name of obj (a string) made printable line by line: the
 * command's words may quote what came from outside (a label, a server). */
static void sanitize_member(JsonObject *obj, const char *name)
{
  const char *text = json_object_has_member(obj, name)
                       ? json_node_get_string(json_object_get_member(obj, name)) : NULL;
  char **lines, *joined;
  size_t i;

  if (text == NULL)
    return;
  lines = g_strsplit(text, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    char *c = rgsx_sanitize(lines[i], (size_t)-1);

    g_free(lines[i]);
    lines[i] = g_strdup(c != NULL ? c : "");
    free(c);
  }
  joined = g_strjoinv("\n", lines);
  json_object_set_string_member(obj, name, joined);
  g_free(joined);
  g_strfreev(lines);
}

/* error.message and error.detail, shown as they are by every page. */
static void sanitize_error(JsonNode *root)
{
  JsonNode *err = rgsg_get(root, "error");

  if (err == NULL || !JSON_NODE_HOLDS_OBJECT(err))
    return;
  sanitize_member(json_node_get_object(err), "message");
  sanitize_member(json_node_get_object(err), "detail");
}

static void on_exit_cb(GObject *src, GAsyncResult *res, gpointer data)
{
  GSubprocess *proc = G_SUBPROCESS(src);
  run_state *st = data;
  rgsg_result r = { 0 };
  char *out = NULL;
  JsonParser *parser = NULL;

  g_subprocess_communicate_utf8_finish(proc, res, &out, &r.err_text, NULL);
  if (g_subprocess_get_if_signaled(proc))
    r.exit_status = 128 + g_subprocess_get_term_sig(proc);
  else
    r.exit_status = g_subprocess_get_exit_status(proc);
  parser = json_parser_new();
  if (out != NULL && json_parser_load_from_data(parser, out, -1, NULL) &&
      json_parser_get_root(parser) != NULL)
    r.root = json_node_copy(json_parser_get_root(parser));
  if (r.root != NULL)
    sanitize_error(r.root);
  st->done(&r, st->user);
  if (r.root != NULL)
    json_node_unref(r.root);
  g_object_unref(parser);
  g_free(out);
  g_free(r.err_text);
  st->finished = TRUE;
  state_unref(st);
  g_object_unref(proc);
}

/* One event line; lines that are not an event object are skipped (the
 * contract may grow members, never change these). */
static void progress_line(run_state *st, const char *line)
{
  JsonParser *parser = json_parser_new();
  JsonNode *root;
  const char *event, *step;

  if (json_parser_load_from_data(parser, line, -1, NULL)) {
    root = json_parser_get_root(parser);
    event = rgsg_str(root, "event");
    step = rgsg_str(root, "step");
    if (event != NULL && step != NULL)
      st->progress(event, step, rgsg_int(root, "elapsed_ms", 0), st->user);
  }
  g_object_unref(parser);
}

static void on_progress_line(GObject *src, GAsyncResult *res, gpointer data)
{
  run_state *st = data;
  char *line = g_data_input_stream_read_line_finish_utf8(G_DATA_INPUT_STREAM(src), res, NULL, NULL);

  /* NULL: end of file (the child and its descendants closed the pipe). */
  if (line == NULL) {
    state_unref(st);
    return;
  }
  if (!st->finished)
    progress_line(st, line);
  g_free(line);
  g_data_input_stream_read_line_async(st->in, G_PRIORITY_DEFAULT, NULL, on_progress_line, st);
}

/* The progress pipe: its write end handed to the child as RGSG_PROGRESS_FD
 * (the launcher closes the parent's copy), its read end returned; -1 on
 * failure (errno set). */
static int progress_pipe(GSubprocessLauncher *l)
{
  int fds[2] = { -1, -1 };

  if (!g_unix_open_pipe(fds, FD_CLOEXEC, NULL))
    return -1;
  g_subprocess_launcher_take_fd(l, fds[1], RGSG_PROGRESS_FD);
  return fds[0];
}

gboolean rgsg_run(const rgsg_ctx *ctx, const char *const *args, const char *pin,
                  gboolean final_try, rgsg_done_fn done, gpointer user, GError **error)
{
  return rgsg_run_progress(ctx, args, pin, final_try, NULL, done, user, error);
}

static GSubprocess *spawn(const rgsg_ctx *ctx, const char *const *args, const char *pin,
                          gboolean final_try, rgsg_progress_fn progress, rgsg_done_fn done,
                          gpointer user, gboolean stoppable, GError **error);

gboolean rgsg_run_progress(const rgsg_ctx *ctx, const char *const *args, const char *pin,
                           gboolean final_try, rgsg_progress_fn progress, rgsg_done_fn done,
                           gpointer user, GError **error)
{
  GSubprocess *proc = spawn(ctx, args, pin, final_try, progress, done, user, FALSE, error);

  if (proc == NULL)
    return FALSE;
  g_object_unref(proc);
  return TRUE;
}

/* The process that spawned a stoppable child is its parent for good: the
 * child gets SIGTERM when the window dies, stopped or crashed. */
static void die_with_parent(gpointer data)
{
  (void)data;
  prctl(PR_SET_PDEATHSIG, SIGTERM);
}

/* The child, its exit handed to done; a new reference returned (the wait
 * holds its own). */
static GSubprocess *spawn(const rgsg_ctx *ctx, const char *const *args, const char *pin,
                          gboolean final_try, rgsg_progress_fn progress, rgsg_done_fn done,
                          gpointer user, gboolean stoppable, GError **error)
{
  GSubprocessLauncher *l = NULL;
  GSubprocess *proc = NULL;
  /* An empty PIN is the pinpad's (RGSG_PIN_PINPAD): no --pin-fd, so the
   * command logs in through the reader's keypad. */
  gboolean send_pin = pin != NULL && pin[0] != '\0';
  GPtrArray *argv = build_argv(ctx, args, send_pin, final_try, progress != NULL);
  run_state *st = NULL;
  int fd, pfd = -1;

  l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  if (stoppable)
    g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
  if (send_pin) {
    fd = pin_pipe(pin);
    if (fd < 0) {
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "pipe: %s", g_strerror(errno));
      goto cleanup;
    }
    g_subprocess_launcher_take_fd(l, fd, RGSG_PIN_FD);
  }
  if (progress != NULL) {
    pfd = progress_pipe(l);
    if (pfd < 0) {
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "pipe: %s", g_strerror(errno));
      goto cleanup;
    }
  }
  proc = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, error);
  if (proc == NULL)
    goto cleanup;
  st = g_new0(run_state, 1);
  st->done = done;
  st->progress = progress;
  st->user = user;
  st->refs = 1;
  if (pfd >= 0) {
    GInputStream *raw = g_unix_input_stream_new(pfd, TRUE);

    pfd = -1;
    st->in = g_data_input_stream_new(raw);
    g_object_unref(raw);
    st->refs++;
    g_data_input_stream_read_line_async(st->in, G_PRIORITY_DEFAULT, NULL, on_progress_line, st);
  }
  g_subprocess_communicate_utf8_async(g_object_ref(proc), NULL, NULL, on_exit_cb, st);
cleanup:
  if (pfd >= 0)
    close(pfd);
  g_object_unref(l);
  g_ptr_array_unref(argv);
  return proc;
}

JsonNode *rgsg_get(JsonNode *node, const char *path)
{
  char **parts = g_strsplit(path, ".", -1);
  char *end = NULL;
  guint64 idx;
  size_t i;

  for (i = 0; node != NULL && parts[i] != NULL; i++) {
    if (JSON_NODE_HOLDS_OBJECT(node)) {
      node = json_object_get_member(json_node_get_object(node), parts[i]);
    } else if (JSON_NODE_HOLDS_ARRAY(node)) {
      idx = g_ascii_strtoull(parts[i], &end, 10);
      node = (end != parts[i] && *end == '\0' &&
              idx < json_array_get_length(json_node_get_array(node)))
               ? json_array_get_element(json_node_get_array(node), (guint)idx)
               : NULL;
    } else {
      node = NULL;
    }
  }
  g_strfreev(parts);
  return node;
}

const char *rgsg_str(JsonNode *node, const char *path)
{
  JsonNode *n = rgsg_get(node, path);

  return n != NULL && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
           ? json_node_get_string(n)
           : NULL;
}

JsonNode *rgsg_slot_by_uri(JsonNode *root, const char *uri)
{
  JsonNode *slots = rgsg_get(root, "slots"), *s;
  guint i, n = rgsg_len(slots, NULL);
  const char *u;

  for (i = 0; i < n && uri != NULL; i++) {
    s = json_array_get_element(json_node_get_array(slots), i);
    u = rgsg_str(s, "uri");
    if (u != NULL && strcmp(u, uri) == 0)
      return s;
  }
  return NULL;
}

const char *rgsg_str0(JsonNode *node, const char *path)
{
  const char *s = rgsg_str(node, path);

  return s != NULL ? s : "";
}

gint64 rgsg_int(JsonNode *node, const char *path, gint64 def)
{
  JsonNode *n = rgsg_get(node, path);

  return n != NULL && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64
           ? json_node_get_int(n)
           : def;
}

gboolean rgsg_bool(JsonNode *node, const char *path, gboolean def)
{
  JsonNode *n = rgsg_get(node, path);

  return n != NULL && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN
           ? json_node_get_boolean(n)
           : def;
}

guint rgsg_len(JsonNode *node, const char *path)
{
  JsonNode *a = path != NULL ? rgsg_get(node, path) : node;

  return a != NULL && JSON_NODE_HOLDS_ARRAY(a) ? json_array_get_length(json_node_get_array(a)) : 0;
}

int rgsg_secret_pipe(const char *secret)
{
  return pin_pipe(secret);
}

gboolean rgsg_run_fds(const rgsg_ctx *ctx, const char *const *args, const rgsg_child_fd *fds,
                      size_t n_fds, rgsg_done_fn done, gpointer user, GError **error)
{
  GSubprocessLauncher *l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                     G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                                     G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  GPtrArray *argv = build_argv(ctx, args, FALSE, FALSE, FALSE);
  GSubprocess *proc;
  run_state *st;
  size_t i;

  /* The launcher owns them now and closes them once the child has them. */
  for (i = 0; i < n_fds; i++)
    g_subprocess_launcher_take_fd(l, fds[i].fd, fds[i].child_fd);
  proc = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, error);
  if (proc != NULL) {
    st = g_new0(run_state, 1);
    st->done = done;
    st->user = user;
    st->refs = 1;
    g_subprocess_communicate_utf8_async(proc, NULL, NULL, on_exit_cb, st);
  }
  g_object_unref(l);
  g_ptr_array_unref(argv);
  return proc != NULL;
}

GSubprocess *rgsg_run_stoppable(const rgsg_ctx *ctx, const char *const *args, rgsg_done_fn done,
                                gpointer user, GError **error)
{
  return spawn(ctx, args, NULL, FALSE, NULL, done, user, TRUE, error);
}

void rgsg_stop(GSubprocess *proc)
{
  if (proc != NULL && g_subprocess_get_identifier(proc) != NULL)
    g_subprocess_send_signal(proc, SIGTERM);
}
