/* SPDX-License-Identifier: BSD-3-Clause */
/* rgsg_child.h - the window's one way to the token: rgs-enroll --json run as
 * a child process (GSubprocess), asynchronously, its one JSON document read
 * back. The window never loads a PKCS#11 module: a crashing module takes the
 * child down, not the window, and the command line's PIN rules apply. */
#ifndef RGSG_CHILD_H
#define RGSG_CHILD_H

#include <gio/gio.h>
#include <json-glib/json-glib.h>

/* What every child gets: the command, and the global options the window
 * was given (NULL when absent). Strings are borrowed from the caller. */
typedef struct {
  const char *cli;      /* path of rgs-enroll */
  const char *policy;   /* --policy FILE */
  const char *const *policies;  /* more --policy FILEs, NULL-terminated, or NULL */
  const char *module;   /* --module PATH|NAME */
  const char *db;       /* --db PATH */
} rgsg_ctx;

typedef struct {
  int exit_status;      /* the child's exit status; 128+N when killed by signal N */
  JsonNode *root;       /* the JSON document, or NULL when stdout held none */
  char *err_text;       /* what the child wrote on stderr (never a PIN) */
} rgsg_result;

typedef void (*rgsg_done_fn)(const rgsg_result *r, gpointer user);

/* The path of rgs-enroll: $RGS_ENROLL_GTK_CLI, else beside this binary's
 * build directory (../cli/rgs-enroll), else beside it (an installed bindir),
 * else the configured bindir. Free with g_free(). */
char *rgsg_find_cli(void);

/* Run `rgs-enroll --json [globals] args...` without blocking the main loop;
 * done(result, user) is called from it when the child has exited.
 * pin: NULL or "" (none: "" is the pinpad's, the command then logs in
 * through the reader's keypad), or a PIN handed to the child on a pipe as
 * --pin-fd 3 (never argv, never the environment); the caller keeps and
 * wipes its buffer, the
 * copy written into the pipe lives only in the kernel's pipe buffer.
 * final_try adds --final-try (the person confirmed spending the last try).
 * Returns FALSE (and sets error) when the child could not be started; done
 * is then not called. */
gboolean rgsg_run(const rgsg_ctx *ctx, const char *const *args, const char *pin,
                  gboolean final_try, rgsg_done_fn done, gpointer user, GError **error);

/* One JSON line of --progress-fd: event "start", "progress" or "done", the
 * step code (check, keygen, csr...), elapsed_ms (0 for start). Strings are
 * borrowed for the call. */
typedef void (*rgsg_progress_fn)(const char *event, const char *step, gint64 elapsed_ms,
                                 gpointer user);

/* rgsg_run, and the child's --progress-fd on a pipe read in the main loop:
 * progress(..., user) for each event until done is called (none after it).
 * progress NULL: rgsg_run. */
gboolean rgsg_run_progress(const rgsg_ctx *ctx, const char *const *args, const char *pin,
                           gboolean final_try, rgsg_progress_fn progress, rgsg_done_fn done,
                           gpointer user, GError **error);

/* Members of the result's document; NULL / def when absent or of another type. */
const char *rgsg_str(JsonNode *node, const char *path);
gint64 rgsg_int(JsonNode *node, const char *path, gint64 def);
/* rgsg_str, or "" when absent: for text put together for a person. */
const char *rgsg_str0(JsonNode *node, const char *path);
gboolean rgsg_bool(JsonNode *node, const char *path, gboolean def);
/* The slot of a `tokens` document whose uri is uri; NULL when absent or
 * uri is NULL. */
JsonNode *rgsg_slot_by_uri(JsonNode *root, const char *uri);
/* A member by dotted path ("token.pin_state", "slots.0.uri"); NULL when absent. */
JsonNode *rgsg_get(JsonNode *node, const char *path);

/* The length of the array at path (NULL: node itself); 0 when absent or
 * not an array. */
guint rgsg_len(JsonNode *node, const char *path);

/* A secret (a PIN, a document number) for a child: the read end of a pipe
 * that already holds it and a newline, the write end closed, so the secret
 * lives in the kernel's pipe buffer only and the caller wipes its own copy
 * at once. -1 on failure (errno set). Close it, or hand it to rgsg_run_fds. */
int rgsg_secret_pipe(const char *secret);

/* A descriptor handed to a child: fd (owned by the call from then on) as
 * the child's descriptor child_fd (3 and above). */
typedef struct {
  int fd;
  int child_fd;
} rgsg_child_fd;

/* rgsg_run with descriptors of the caller's (secret pipes, each named by an
 * option in args such as --pin-fd 3 --aed-pin-fd 5): every fd is closed in
 * this process, on success and failure alike. No --pin-fd is added. */
gboolean rgsg_run_fds(const rgsg_ctx *ctx, const char *const *args, const rgsg_child_fd *fds,
                      size_t n_fds, rgsg_done_fn done, gpointer user, GError **error);

/* A child that runs until it ends or is stopped (a watch for a key): rgsg_run
 * without a PIN, the process returned (g_object_unref it; NULL and error
 * set when it could not start). done is called when it exits, stopped or
 * not. It gets SIGTERM when this process dies: never an orphan. */
GSubprocess *rgsg_run_stoppable(const rgsg_ctx *ctx, const char *const *args, rgsg_done_fn done,
                                gpointer user, GError **error);
/* Stop it (SIGTERM) if it still runs. */
void rgsg_stop(GSubprocess *proc);

#endif
