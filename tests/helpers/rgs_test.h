/* SPDX-License-Identifier: BSD-3-Clause */
/* rgs_test.h - what the tests share: running commands, SoftHSM tokens, JSON. */
#ifndef RGS_TEST_H
#define RGS_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "rgs_exit.h"

typedef struct {
  int status;          /* exit status, or 128+signal */
  char *out;           /* captured stdout, NUL-terminated */
  char *err;           /* captured stderr */
} rgs_run_result;

/* Run argv[0] with argv (NULL-terminated), the current environment plus env
 * ("K=V", NULL-terminated, may be NULL), input on stdin (NULL: /dev/null),
 * and no controlling terminal (setsid) so nothing can prompt. Returns 0 when
 * the command could be run. Free with rgs_run_free(). */
int rgs_run(const char *const *argv, const char *const *env, const char *input,
            rgs_run_result *r);
void rgs_run_free(rgs_run_result *r);

/* Environment variable that the test needs; fails the test when absent. */
const char *rgs_env(const char *name);

/* A fresh directory under $TMPDIR; remove with rgs_rmrf(). Free the string. */
char *rgs_tmpdir(void);
void rgs_rmrf(const char *dir);
/* Write a file whole; 0 on success. */
int rgs_write_file(const char *path, const char *text);
/* Read a file whole (NUL-terminated); NULL when it cannot be read. */
char *rgs_read_file(const char *path, size_t *len);

#define RGS_TEST_PIN "123456"
#define RGS_TEST_SO_PIN "12345678"

/* A SoftHSM2 token in its own directory. SOFTHSM2_CONF is set in this
 * process, so every command run afterwards sees this token only. */
typedef struct {
  char *dir;
  char conf[512];
  char pin_file[512];      /* holds RGS_TEST_PIN */
  char bad_pin_file[512];  /* holds a wrong PIN */
  char label[64];
} rgs_softhsm;

int rgs_softhsm_init(rgs_softhsm *t, const char *label);
/* A second token in the same directory (same SOFTHSM2_CONF). */
int rgs_softhsm_add_token(rgs_softhsm *t, const char *label);
void rgs_softhsm_cleanup(rgs_softhsm *t);
/* 1 when SoftHSM accepts pin as the user PIN of the token in use (asked
 * with pkcs11-tool, straight, no fault module). */
int rgs_softhsm_pin_works(const char *pin);

/* Run rgs-enroll (RGS_ENROLL_BIN) with the arguments that follow, up to
 * NULL. */
int rgs_enroll(rgs_run_result *r, const char *const *env, const char *input, ...);
int rgs_enroll_v(rgs_run_result *r, const char *const *env, const char *input,
                 const char *const *args);

/* Count lines equal to `line` in a file (the fault module's count file). */
int rgs_count_lines(const char *path, const char *line);

/* The value of a JSON member found by a dotted path in a document,
 * "key.uri" or "criteria.3.verdict", as text (strings unquoted); NULL when
 * absent. Free with free(). Fails the test on invalid JSON. */
char *rgs_json_get(const char *doc, const char *path);

/* A command on a pseudo-terminal (pty.c): no stdin pipe, a real tty. */
typedef struct {
  int fd;                /* the master side */
  int pid;
  char seen[65536];      /* everything the terminal showed */
  size_t len, mark;      /* mark: just past the last text expected */
} rgs_term;

void rgs_term_start(rgs_term *t, const char *const *argv, const char *const *env);
/* Read until want shows up after the previous expectation (1), or the
 * command ends or 30 s pass (0). */
int rgs_term_expect(rgs_term *t, const char *want);
void rgs_term_type(rgs_term *t, const char *text);
/* Expect prompt (failing the test otherwise), then type answer. */
void rgs_term_say(rgs_term *t, const char *prompt, const char *answer);
int rgs_term_echo_on(rgs_term *t);
/* Read to the end, reap; the exit status (128+signal when killed). */
int rgs_term_wait(rgs_term *t);

/* Assert a command's exit status, printing its output when it differs. */
#define rgs_assert_status(r, want)                                                  \
  do {                                                                              \
    if ((r)->status != (want))                                                      \
      print_error("exit %d, expected %d\n--- stdout\n%s\n--- stderr\n%s\n",         \
                  (r)->status, (want), (r)->out, (r)->err);                         \
    assert_int_equal((r)->status, (want));                                          \
  } while (0)

/* Assert that haystack contains needle (or does not): on failure, print the
 * needle, the start of the haystack with control characters escaped, and
 * the caller's file:line, then fail the test. */
void rgs_assert_contains_at(const char *haystack, const char *needle, int want,
                            const char *file, int line);
#define assert_contains(haystack, needle)                                           \
  rgs_assert_contains_at((haystack), (needle), 1, __FILE__, __LINE__)
#define assert_not_contains(haystack, needle)                                       \
  rgs_assert_contains_at((haystack), (needle), 0, __FILE__, __LINE__)

/* One command-line case of a table: rgs-enroll run with a table's common
 * arguments, then args (NULL-terminated), must exit with status, saying
 * err_has on stderr (NULL: not checked). */
#define RGS_CASE_ARGS_MAX 32
typedef struct {
  int status;
  const char *err_has;
  const char *args[RGS_CASE_ARGS_MAX];
} rgs_cli_case;

/* Run every case with env (may be NULL) and the common arguments base (NULL-
 * terminated, may be NULL). The first case that differs fails the test,
 * printed with its row number, its whole command line, its exit status and
 * its output. */
void rgs_cli_cases_run_at(const rgs_cli_case *cases, size_t n, const char *const *env,
                          const char *const *base, const char *file, int line);
#define rgs_cli_cases_run(cases, n, env, base)                                      \
  rgs_cli_cases_run_at((cases), (n), (env), (base), __FILE__, __LINE__)

/* Assert that a command said needle on stdout or stderr (NULL: nothing to
 * check), printing both on failure. */
void rgs_assert_says_at(const rgs_run_result *r, const char *needle, const char *file,
                        int line);
#define rgs_assert_says(r, needle) rgs_assert_says_at((r), (needle), __FILE__, __LINE__)

/* Assert a command's exit status and that it said needle (NULL: not
 * checked) on stdout or stderr; then free r. */
void rgs_expect_at(rgs_run_result *r, int status, const char *needle, const char *file,
                   int line);
#define rgs_expect(r, status, needle) rgs_expect_at((r), (status), (needle), __FILE__, __LINE__)

/* A store in a fresh directory (store.c), for cmocka setup/teardown. */
typedef struct {
  char *dir;
  char db[512];          /* DIR/orders.db, not created */
} rgs_store_fixture;
int rgs_store_setup(void **state);
int rgs_store_teardown(void **state);
/* rgs-enroll [--db DB] [--json] ARGS... (up to a NULL in ap) with env. */
void rgs_enroll_db_v(rgs_run_result *r, const char *const *env, const char *db, int json,
                     va_list ap);
/* The member at path (rgs_json_get) of doc equals want, or the test fails
 * showing the document. */
void rgs_assert_json(const char *doc, const char *path, const char *want);

#endif
