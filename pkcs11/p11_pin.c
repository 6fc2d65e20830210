/* SPDX-License-Identifier: BSD-3-Clause */
/* p11_pin.c - reading PINs and logging in without ever burning a try by ourselves.
 *
 * Rules: the PIN flags are read before every login; a locked PIN is explained,
 * never tried; the final try is spent only with the user's explicit consent;
 * one C_Login per call, never a retry; the PIN lives in one fixed buffer that
 * is wiped on every path. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include "p11_internal.h"
#include "rgs_common.h"

#define RGS_PIN_CAP 256

static volatile sig_atomic_t pin_interrupted;

static void on_interrupt(int sig)
{
  (void)sig;
  pin_interrupted = 1;
}

/* At the terminal, wait for input in short slices: a Ctrl-C that lands
 * between the prompt and the read() would otherwise leave read() blocked. */
static int wait_input(int fd, int interruptible)
{
  struct pollfd pf = { fd, POLLIN, 0 };
  int r;

  if (!interruptible)
    return 1;
  do {
    if (pin_interrupted)
      return 0;
    r = poll(&pf, 1, 200);
  } while (r == 0 || (r < 0 && errno == EINTR));
  return r > 0 && !pin_interrupted;
}

/* Read up to cap-1 bytes until '\n' or EOF, one byte at a time so that a
 * second secret on the same descriptor (old PIN, new PIN) stays unread. */
static rgs_p11_rc read_line(int fd, int interruptible, char *buf, size_t cap, size_t *len)
{
  size_t n = 0;
  char c = 0;
  ssize_t r;
  rgs_p11_rc rc = RGS_P11_OK;

  for (;;) {
    if (!wait_input(fd, interruptible)) {
      rc = RGS_P11_ERR_PIN_CANCELLED;
      goto cleanup;
    }
    r = read(fd, &c, 1);
    if (r < 0 && errno == EINTR && !pin_interrupted)
      continue;
    if (r < 0) {
      rc = pin_interrupted ? RGS_P11_ERR_PIN_CANCELLED : RGS_P11_ERR_PIN_INPUT;
      goto cleanup;
    }
    if (r == 0 || c == '\n')
      break;
    if (n + 1 >= cap) {
      rc = RGS_P11_ERR_PIN_LENGTH;     /* longer than any token accepts */
      goto cleanup;
    }
    buf[n++] = c;
  }
  if (n > 0 && buf[n - 1] == '\r')
    n--;
  buf[n] = '\0';
  *len = n;

cleanup:
  rgsx_wipe(&c, sizeof(c));
  return rc;
}

static rgs_p11_rc read_tty(const char *prompt, char *buf, size_t cap, size_t *len)
{
  static const int caught[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
  struct termios saved, quiet;
  struct sigaction sa, old[5];
  size_t i;
  int fd = -1, restore = 0;
  rgs_p11_rc rc = RGS_P11_ERR_PIN_INPUT;

  fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    goto cleanup;
  if (tcgetattr(fd, &saved) != 0)
    goto cleanup;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_interrupt;       /* no SA_RESTART: read() returns EINTR */
  sigemptyset(&sa.sa_mask);
  pin_interrupted = 0;
  /* Whatever stops the prompt (Ctrl-C, Ctrl-\\, Ctrl-Z, a hang-up) cancels
   * it: the terminal gets its echo back and no core holds a half PIN. */
  for (i = 0; i < RGS_ARRAY_LEN(caught); i++)
    sigaction(caught[i], &sa, &old[i]);
  quiet = saved;
  quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
  quiet.c_lflag |= ICANON;
  if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
    goto restore_signals;
  restore = 1;
  if (write(fd, prompt, strlen(prompt)) < 0)
    goto restore_signals;
  rc = read_line(fd, 1, buf, cap, len);
  if (write(fd, "\n", 1) < 0) {
    /* nothing to do: the line feed is cosmetic */
  }

restore_signals:
  if (restore)
    tcsetattr(fd, TCSAFLUSH, &saved);
  for (i = 0; i < RGS_ARRAY_LEN(caught); i++)
    sigaction(caught[i], &old[i], NULL);
  if (pin_interrupted)
    rc = RGS_P11_ERR_PIN_CANCELLED;

cleanup:
  if (fd >= 0)
    close(fd);
  return rc;
}

/* Only a regular file: a FIFO named as a file would block the open or the
 * read forever (a pipe belongs on a descriptor). The system's own reason
 * goes in why: not found, permission denied, not a regular file. */
static rgs_p11_rc read_file(const char *path, char *buf, size_t cap, size_t *len, char *why,
                            size_t whylen)
{
  rgsx_rc orc = RGSX_OK;
  char shown[512];
  int fd, err;
  rgs_p11_rc rc;

  if (path == NULL)
    return RGS_P11_ERR_ARG;
  fd = rgsx_open_regular(path, &orc);
  if (fd < 0) {
    err = errno;
    rgsx_sanitize_buf(shown, sizeof(shown), path, strlen(path));
    if (orc == RGSX_ERR_NOT_REGULAR)
      snprintf(why, whylen, _("the file %s cannot be used: %s; a pipe can be given as a descriptor (--pin-fd, --puk-fd, --new-pin-fd...)"),
               shown, rgsx_strerror(orc));
    else
      snprintf(why, whylen, _("the file %s cannot be opened: %s"), shown,
               orc == RGSX_ERR_SYSTEM ? strerror(err) : rgsx_strerror(orc));
    return RGS_P11_ERR_PIN_INPUT;
  }
  rc = read_line(fd, 0, buf, cap, len);
  close(fd);
  return rc;
}

/* ---- what a secret may be: plain text on one line ------------------------ */

/* What was read, named for the person: never its bytes, which are a
 * secret and may end up in a journal. */
static void say_fault(rgsx_text_fault t, const rgs_p11_pin_source *src, char *why, size_t whylen)
{
  char where[600], shown[512];

  if (src->from == RGS_PIN_FROM_FILE)
    snprintf(where, sizeof(where), _("the file %s"),
             rgsx_sanitize_buf(shown, sizeof(shown), src->path, strlen(src->path)));
  else if (src->from == RGS_PIN_FROM_FD)
    snprintf(where, sizeof(where), _("the input on descriptor %d"), src->fd);
  else
    snprintf(where, sizeof(where), "%s", _("what was typed"));
  switch (t) {
  case RGSX_TEXT_OK:
    why[0] = '\0';
    break;
  case RGSX_TEXT_UTF16:
    snprintf(why, whylen, _("%s is in UTF-16 (as Notepad saves \"Unicode\"): save it as UTF-8 or plain text"), where);
    break;
  case RGSX_TEXT_NUL:
    snprintf(why, whylen, _("%s contains a NUL byte: a PIN is plain text; save it again as UTF-8 or plain text"), where);
    break;
  case RGSX_TEXT_NOT_UTF8:
    snprintf(why, whylen, _("%s is not UTF-8 text (an accented letter saved in another encoding, such as Windows-1252?): save it as UTF-8"), where);
    break;
  case RGSX_TEXT_CONTROL:
    snprintf(why, whylen, _("%s contains a control character (a tab, an escape, a carriage return inside the line...): a PIN is plain text on one line"), where);
    break;
  }
}

/* A UTF-8 byte-order mark, as Windows editors write, is no part of a PIN. */
static void strip_bom(char *buf, size_t *len)
{
  if (*len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
    memmove(buf, buf + 3, *len - 3);
    *len -= 3;
    rgsx_wipe(buf + *len, 3);
  }
}

rgs_p11_rc rgs_p11_pin_read_why(const rgs_p11_pin_source *src, const char *prompt, char *buf,
                                size_t cap, size_t *len, char *why, size_t whylen)
{
  char none[1], where[512];
  rgs_p11_rc rc = RGS_P11_ERR_ARG;
  rgsx_text_fault t;

  if (why == NULL || whylen == 0) {
    why = none;
    whylen = sizeof(none);
  }
  why[0] = '\0';
  if (src == NULL || buf == NULL || cap < 2 || len == NULL)
    return RGS_P11_ERR_ARG;
  *len = 0;
  switch (src->from) {
  case RGS_PIN_FROM_TTY:
    rc = read_tty(prompt != NULL ? prompt : _("PIN: "), buf, cap, len);
    break;
  case RGS_PIN_FROM_FILE:
    rc = read_file(src->path, buf, cap, len, why, whylen);
    break;
  case RGS_PIN_FROM_FD:
    rc = src->fd >= 0 ? read_line(src->fd, 0, buf, cap, len) : RGS_P11_ERR_PIN_INPUT;
    break;
  }
  if (rc == RGS_P11_OK) {
    strip_bom(buf, len);
    /* Judged before anything reaches the token: a wrong encoding would
     * cost a real try, and three lock the card. */
    t = rgsx_text_check(buf, *len, 0);
    if (t != RGSX_TEXT_OK) {
      say_fault(t, src, why, whylen);
      rc = RGS_P11_ERR_PIN_TEXT;
    } else if (*len == 0) {
      if (src->from == RGS_PIN_FROM_FILE)
        snprintf(why, whylen, _("the file %s holds no PIN: its first line is empty"),
                 rgsx_sanitize_buf(where, sizeof(where), src->path, strlen(src->path)));
      rc = RGS_P11_ERR_PIN_INPUT;
    }
  }
  if (rc != RGS_P11_OK) {
    rgsx_wipe(buf, cap);
    *len = 0;
  }
  return rc;
}

rgs_p11_rc rgs_p11_pin_read(const rgs_p11_pin_source *src, const char *prompt, char *buf,
                            size_t cap, size_t *len)
{
  return rgs_p11_pin_read_why(src, prompt, buf, cap, len, NULL, 0);
}

typedef struct {
  CK_FLAGS locked, final_try, count_low;
} pin_flag_set;

static pin_flag_set flags_for(rgs_p11_pin_role role)
{
  pin_flag_set s;

  if (role == RGS_PIN_SO) {
    s.locked = CKF_SO_PIN_LOCKED;
    s.final_try = CKF_SO_PIN_FINAL_TRY;
    s.count_low = CKF_SO_PIN_COUNT_LOW;
  } else {
    s.locked = CKF_USER_PIN_LOCKED;
    s.final_try = CKF_USER_PIN_FINAL_TRY;
    s.count_low = CKF_USER_PIN_COUNT_LOW;
  }
  return s;
}

/* What the counters allow before anything is typed or sent. */
rgs_p11_rc rgs_p11_pin_gate(const rgs_p11_token *tok, rgs_p11_pin_role role,
                                   const rgs_p11_pin_source *src)
{
  pin_flag_set fs = flags_for(role);
  CK_FLAGS fl = tok->info.token_flags;

  if (fl & fs.locked)
    return RGS_P11_ERR_PIN_LOCKED;
  if (fl & fs.final_try) {
    if (src->allow_final_try)
      return RGS_P11_OK;
    if (src->confirm_final_try != NULL && src->confirm_final_try(src->ud, &tok->info) == 1)
      return RGS_P11_OK;
    return RGS_P11_ERR_PIN_FINAL_TRY;
  }
  if ((fl & fs.count_low) && src->warn != NULL)
    src->warn(src->ud, _("a wrong PIN was entered since the last correct one: fewer tries are left"));
  return RGS_P11_OK;
}

static int use_pinpad(const rgs_p11_token *tok, const rgs_p11_pin_source *src)
{
  return src->from == RGS_PIN_FROM_TTY &&
         (tok->info.token_flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
}

static rgs_p11_rc check_length(const rgs_p11_token *tok, size_t len)
{
  /* Refusing locally costs no try; sending a PIN the token cannot accept may. */
  if (tok->info.min_pin > 0 && tok->info.min_pin <= RGS_PIN_CAP && len < tok->info.min_pin)
    return RGS_P11_ERR_PIN_LENGTH;
  if (tok->info.max_pin >= tok->info.min_pin && tok->info.max_pin > 0 &&
      len > tok->info.max_pin)
    return RGS_P11_ERR_PIN_LENGTH;
  return RGS_P11_OK;
}

static rgs_p11_rc do_login(rgs_p11_token *tok, CK_USER_TYPE user, const char *pin,
                           size_t len)
{
  CK_RV rv;

  rv = tok->ctx->f->C_Login(tok->session, user, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)len);
  if (rv == CKR_USER_ALREADY_LOGGED_IN)
    rv = CKR_OK;
  if (rv == CKR_OK) {
    tok->logged_in = 1;
    return RGS_P11_OK;
  }
  return rgs_p11_fail(tok->ctx, "C_Login", rv);
}

rgs_p11_rc rgs_p11_login(rgs_p11_token *tok, rgs_p11_pin_role role,
                         const rgs_p11_pin_source *src)
{
  char pin[RGS_PIN_CAP];
  char prompt[160], why[768];
  size_t len = 0;
  CK_USER_TYPE user = role == RGS_PIN_SO        ? CKU_SO
                      : role == RGS_PIN_CONTEXT ? CKU_CONTEXT_SPECIFIC
                                                : CKU_USER;
  rgs_p11_rc rc;

  if (tok == NULL || src == NULL)
    return RGS_P11_ERR_ARG;
  rc = rgs_p11_token_refresh(tok);
  if (rc != RGS_P11_OK)
    goto cleanup;
  rc = rgs_p11_pin_gate(tok, role, src);
  if (rc != RGS_P11_OK)
    goto cleanup;
  if (use_pinpad(tok, src)) {
    if (src->warn != NULL)
      src->warn(src->ud, _("enter the PIN on the reader's pinpad"));
    rc = do_login(tok, user, NULL, 0);
    goto after_login;
  }
  if (src->prompt != NULL)
    snprintf(prompt, sizeof(prompt), "%s", src->prompt);
  else if (role == RGS_PIN_SO)
    snprintf(prompt, sizeof(prompt), _("Unblocking code (PUK) of token \"%s\": "),
             tok->info.label);
  else if (role == RGS_PIN_CONTEXT)
    snprintf(prompt, sizeof(prompt), _("PIN of token \"%s\" again, for this signature: "),
             tok->info.label);
  else
    snprintf(prompt, sizeof(prompt), _("PIN of token \"%s\": "), tok->info.label);
  rc = rgs_p11_pin_read_why(src, prompt, pin, sizeof(pin), &len, why, sizeof(why));
  if (rc != RGS_P11_OK) {
    rgs_p11_set_error(tok->ctx, "%s", why);   /* the detail the caller shows */
    goto cleanup;
  }
  rc = check_length(tok, len);
  if (rc != RGS_P11_OK)
    goto cleanup;
  rc = do_login(tok, user, pin, len);

after_login:
  if (rc == RGS_P11_ERR_PIN_INCORRECT || rc == RGS_P11_ERR_PIN_LOCKED ||
      rc == RGS_P11_ERR_PIN_INVALID || rc == RGS_P11_ERR_PIN_EXPIRED)
    (void)rgs_p11_token_refresh(tok);  /* so the caller can say what is left */

cleanup:
  rgsx_wipe(pin, sizeof(pin));
  return rc;
}

void rgs_p11_token_set_reauth(rgs_p11_token *tok, const rgs_p11_pin_source *src)
{
  if (tok != NULL)
    tok->reauth = src;
}

int rgs_p11_logged_in(const rgs_p11_token *tok)
{
  return tok != NULL && tok->logged_in;
}
