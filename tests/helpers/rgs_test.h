/* rgs_test.h - what the tests share: running commands, SoftHSM tokens, JSON. */
#ifndef RGS_TEST_H
#define RGS_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

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

#endif
