/* SPDX-License-Identifier: BSD-3-Clause */
/* flow.c - what the workflows share: messages, exit classes, paths, the token session. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "flow.h"
#include "json.h"

#ifndef RGS_DATADIR
#define RGS_DATADIR "/usr/local/share/rgs-enroll"
#endif
#ifndef RGS_LOCALEDIR
#define RGS_LOCALEDIR "/usr/local/share/locale"
#endif

/* ---- messages -------------------------------------------------------- */

static void vmessage(const rgs_io *io, const char *kind, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void vmessage(const rgs_io *io, const char *kind, const char *fmt, va_list ap)
{
  fprintf(stderr, "%s: ", io != NULL && io->prog != NULL ? io->prog : "rgs-enroll");
  if (kind != NULL)
    fprintf(stderr, "%s", kind);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

void rgs_err(const rgs_io *io, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vmessage(io, NULL, fmt, ap);
  va_end(ap);
}

void rgs_warn(const rgs_io *io, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vmessage(io, _("warning: "), fmt, ap);
  va_end(ap);
}

/* ---- stable error codes (the --json contract, doc/json/v1) ---------- */

const char *rgs_p11_rc_code(rgs_p11_rc rc)
{
  switch (rc) {
  case RGS_P11_OK: return "ok";
  case RGS_P11_ERR_NOMEM: return "out-of-memory";
  case RGS_P11_ERR_ARG: return "usage";
  case RGS_P11_ERR_IO: return "io";
  case RGS_P11_ERR_MODULE_LOAD: return "module-not-loaded";
  case RGS_P11_ERR_MODULE_BAD: return "module-bad";
  case RGS_P11_ERR_MODULE: return "module-failed";
  case RGS_P11_ERR_MODULE_INIT: return "module-init-failed";
  case RGS_P11_ERR_NO_TOKEN: return "no-token";
  case RGS_P11_ERR_MANY_TOKENS: return "several-tokens";
  case RGS_P11_ERR_TOKEN_REMOVED: return "token-removed";
  case RGS_P11_ERR_TOKEN_RO: return "token-read-only";
  case RGS_P11_ERR_TOKEN_FULL: return "token-full";
  case RGS_P11_ERR_TOKEN_NOT_RECOGNIZED: return "card-not-recognized";
  case RGS_P11_ERR_URI: return "bad-uri";
  case RGS_P11_ERR_PIN_INPUT: return "pin-unreadable";
  case RGS_P11_ERR_PIN_INCORRECT: return "pin-incorrect";
  case RGS_P11_ERR_PIN_LOCKED: return "pin-locked";
  case RGS_P11_ERR_PIN_FINAL_TRY: return "pin-final-try-not-consented";
  case RGS_P11_ERR_PIN_INVALID: return "pin-invalid";
  case RGS_P11_ERR_PIN_CANCELLED: return "pin-cancelled";
  case RGS_P11_ERR_PIN_LENGTH: return "pin-length";
  case RGS_P11_ERR_PIN_EXPIRED: return "pin-expired";
  case RGS_P11_ERR_PIN_TEXT: return "pin-not-text";
  case RGS_P11_ERR_PIN_WEAK: return "pin-weak";
  case RGS_P11_ERR_PIN_CONFIRM: return "pin-confirmation-differs";
  case RGS_P11_ERR_SO_PIN_INCORRECT: return "puk-incorrect";
  case RGS_P11_ERR_SO_PIN_LOCKED: return "puk-locked";
  case RGS_P11_ERR_SO_PIN_FINAL_TRY: return "puk-final-try-not-consented";
  case RGS_P11_ERR_MECHANISM: return "mechanism-unsupported";
  case RGS_P11_ERR_KEY_TEMPLATE: return "key-template-refused";
  case RGS_P11_ERR_KEY_NOT_FOUND: return "key-not-found";
  case RGS_P11_ERR_KEY_AMBIGUOUS: return "key-ambiguous";
  case RGS_P11_ERR_KEY_ATTRS: return "key-not-generated-on-card";
  case RGS_P11_ERR_KEY_REFUSED: return "key-refused";
  case RGS_P11_ERR_POLICY: return "policy-file";
  case RGS_P11_ERR_NOT_QUALIFIED: return "not-qualified";
  case RGS_P11_ERR_SIGNATURE: return "signature-invalid";
  case RGS_P11_ERR_CRYPTO: return "crypto";
  case RGS_P11_ERR_CERT_MISMATCH: return "cert-key-mismatch";
  }
  return "internal";
}

const char *rgs_exit_code_name(int exit_code)
{
  switch (exit_code) {
  case RGS_EXIT_OK: return "ok";
  case RGS_EXIT_CHECK: return "check-failed";
  case RGS_EXIT_USAGE: return "usage";
  case RGS_EXIT_MODULE: return "module";
  case RGS_EXIT_TOKEN: return "token";
  case RGS_EXIT_PIN: return "pin";
  case RGS_EXIT_STORE: return "store";
  case RGS_EXIT_NETWORK: return "network";
  case RGS_EXIT_IO: return "io";
  case RGS_EXIT_INTERNAL: return "internal";
  }
  return "internal";
}

/* A failure reported without a code: when its message is a token-layer
 * sentence, that rc's code (many commands pass rgs_p11_strerror(rc) on);
 * else the code of its exit class, so that every error document has one. */
const char *rgs_error_code_for(int exit_code, const char *message)
{
  int rc;

  for (rc = RGS_P11_ERR_NOMEM; message != NULL && rc <= RGS_P11_ERR_MODULE_INIT; rc++)
    if (strcmp(message, rgs_p11_strerror((rgs_p11_rc)rc)) == 0 &&
        rgs_exit_for_p11((rgs_p11_rc)rc) == exit_code)
      return rgs_p11_rc_code((rgs_p11_rc)rc);
  return rgs_exit_code_name(exit_code);
}

/* The one failure report: stderr always, and under --json one document
 * with the error (and the check report when there is one). */
/* The failure on stderr and, under --json, as the command's document; the
 * HTTP status (when >= 0) and the report's criteria go into it too. */
/* detail_line: a library's own words (libcurl's English) go on a line of
 * their own under the person's sentence, not inside it. */
static int fail_doc_ex(const rgs_io *io, const char *command, int exit_code, const char *code,
                       const char *message, const char *detail, const rgs_p11_report *rep,
                       long http_status, int detail_line)
{
  int has_detail = detail != NULL && detail[0] != '\0';
  rgs_json j;

  if (has_detail && detail_line) {
    rgs_err(io, "%s", message);
    fprintf(stderr, _("  detail: %s\n"), detail);
  } else if (has_detail) {
    rgs_err(io, "%s (%s)", message, detail);
  } else {
    rgs_err(io, "%s", message);
  }
  if (io == NULL || !io->json)
    return exit_code;
  rgs_json_start(&j, stdout);
  rgs_json_object(&j, NULL);
  rgs_json_str(&j, "command", command);
  rgs_json_bool(&j, "ok", 0);
  rgs_json_int(&j, "exit", exit_code);
  rgs_json_object(&j, "error");
  rgs_json_str(&j, "code", code != NULL ? code : rgs_error_code_for(exit_code, message));
  rgs_json_str(&j, "message", message);
  rgs_json_str(&j, "detail", has_detail ? detail : NULL);
  if (http_status >= 0)
    rgs_json_int(&j, "http_status", http_status);
  rgs_json_end(&j);
  if (rep != NULL)
    rgs_json_report(&j, rep);
  rgs_json_finish(&j);
  return exit_code;
}

static int fail_doc(const rgs_io *io, const char *command, int exit_code, const char *code,
                    const char *message, const char *detail, const rgs_p11_report *rep,
                    long http_status)
{
  return fail_doc_ex(io, command, exit_code, code, message, detail, rep, http_status, 0);
}

int rgs_fail_detail_line(const rgs_io *io, const char *command, int exit_code, const char *code,
                         const char *message, const char *detail, long http_status)
{
  return fail_doc_ex(io, command, exit_code, code, message, detail, NULL, http_status, 1);
}

int rgs_fail(const rgs_io *io, const char *command, int exit_code, const char *message,
             const char *detail)
{
  return fail_doc(io, command, exit_code, NULL, message, detail, NULL, -1);
}

int rgs_fail_code(const rgs_io *io, const char *command, int exit_code, const char *code,
                  const char *message, const char *detail, const rgs_p11_report *rep)
{
  return fail_doc(io, command, exit_code, code, message, detail, rep, -1);
}

int rgs_usage_error(const rgs_io *io, const char *command, const char *fmt, ...)
{
  char msg[512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  rgs_fail(io, command, RGS_EXIT_USAGE, msg, NULL);
  fprintf(stderr, _("Try '%s %s --help'.\n"), io->prog, command);
  return RGS_EXIT_USAGE;
}

int rgs_exit_for_p11(rgs_p11_rc rc)
{
  switch (rc) {
  case RGS_P11_OK: return RGS_EXIT_OK;
  case RGS_P11_ERR_NOMEM:
  case RGS_P11_ERR_CRYPTO:
    return RGS_EXIT_INTERNAL;
  case RGS_P11_ERR_ARG:
  case RGS_P11_ERR_URI:
    return RGS_EXIT_USAGE;
  case RGS_P11_ERR_IO:
  case RGS_P11_ERR_POLICY:
    return RGS_EXIT_IO;
  case RGS_P11_ERR_MODULE_LOAD:
  case RGS_P11_ERR_MODULE_BAD:
  case RGS_P11_ERR_MODULE:
  case RGS_P11_ERR_MODULE_INIT:
    return RGS_EXIT_MODULE;
  case RGS_P11_ERR_NO_TOKEN:
  case RGS_P11_ERR_MANY_TOKENS:
  case RGS_P11_ERR_TOKEN_REMOVED:
  case RGS_P11_ERR_TOKEN_NOT_RECOGNIZED:
  case RGS_P11_ERR_TOKEN_RO:
  case RGS_P11_ERR_TOKEN_FULL:
  case RGS_P11_ERR_MECHANISM:
  case RGS_P11_ERR_KEY_TEMPLATE:
  case RGS_P11_ERR_KEY_NOT_FOUND:
  case RGS_P11_ERR_KEY_AMBIGUOUS:
    return RGS_EXIT_TOKEN;
  case RGS_P11_ERR_PIN_INPUT:
  case RGS_P11_ERR_PIN_INCORRECT:
  case RGS_P11_ERR_PIN_LOCKED:
  case RGS_P11_ERR_PIN_FINAL_TRY:
  case RGS_P11_ERR_PIN_INVALID:
  case RGS_P11_ERR_PIN_CANCELLED:
  case RGS_P11_ERR_PIN_LENGTH:
  case RGS_P11_ERR_PIN_EXPIRED:
  case RGS_P11_ERR_PIN_TEXT:
  case RGS_P11_ERR_PIN_WEAK:
  case RGS_P11_ERR_PIN_CONFIRM:
  case RGS_P11_ERR_SO_PIN_INCORRECT:
  case RGS_P11_ERR_SO_PIN_LOCKED:
  case RGS_P11_ERR_SO_PIN_FINAL_TRY:
    return RGS_EXIT_PIN;
  case RGS_P11_ERR_KEY_ATTRS:
  case RGS_P11_ERR_KEY_REFUSED:
  case RGS_P11_ERR_NOT_QUALIFIED:
  case RGS_P11_ERR_SIGNATURE:
  case RGS_P11_ERR_CERT_MISMATCH:
    return RGS_EXIT_CHECK;
  }
  return RGS_EXIT_INTERNAL;
}

int rgs_fail_report(const rgs_io *io, const char *command, int exit_code,
                    const char *message, const rgs_p11_report *rep)
{
  return fail_doc(io, command, exit_code, NULL, message, NULL, rep, -1);
}

int rgs_fail_p11(const rgs_io *io, const char *command, rgs_p11_rc rc,
                 const rgs_p11_ctx *ctx)
{
  /* The codes of the same cases found before the session (rgs_fail_no_token,
   * several tokens through the registered modules). */
  const char *code = rgs_p11_rc_code(rc);

  return fail_doc(io, command, rgs_exit_for_p11(rc), code, rgs_p11_strerror(rc),
                  ctx != NULL ? rgs_p11_last_error(ctx) : NULL, NULL, -1);
}

/* ---- subcommands ---------------------------------------------------- */

static int exe_dir(char *buf, size_t len)
{
  ssize_t n = readlink("/proc/self/exe", buf, len - 1);
  char *slash;

  if (n <= 0)
    return 0;
  buf[n] = '\0';
  slash = strrchr(buf, '/');
  if (slash == NULL)
    return 0;
  *slash = '\0';
  return 1;
}

static const char *find_dir(const char *env, const char *build_sub, const char *probe,
                            const char *installed, char *cache, size_t len)
{
  char dir[PATH_MAX], test[PATH_MAX + 64];
  const char *v = getenv(env);

  if (v != NULL && v[0] != '\0')
    return v;
  if (exe_dir(dir, sizeof(dir)) &&
      snprintf(cache, len, "%s/%s", dir, build_sub) < (int)len &&
      snprintf(test, sizeof(test), "%s/%s", cache, probe) < (int)sizeof(test) &&
      access(test, R_OK) == 0)
    return cache;
  return installed;
}

const char *rgs_datadir(void)
{
  static char cache[PATH_MAX];

  return find_dir("RGS_ENROLL_DATADIR", "data", "policy/qualified-devices.conf",
                  RGS_DATADIR, cache, sizeof(cache));
}

const char *rgs_localedir(void)
{
  static char cache[PATH_MAX];

  return find_dir("RGS_ENROLL_LOCALEDIR", "locale", "fr/LC_MESSAGES/rgs-enroll.mo",
                  RGS_LOCALEDIR, cache, sizeof(cache));
}

/* ---- small parsers --------------------------------------------------- */

int rgs_parse_number(const char *text, long min, long max, long *out)
{
  char *end = NULL;
  long v;

  if (text == NULL || text[0] == '\0')
    return 0;
  errno = 0;
  v = strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max)
    return 0;
  *out = v;
  return 1;
}

time_t rgs_now(void)
{
  const char *fake = getenv("RGS_ENROLL_NOW");
  struct tm tm;

  static int warned;

  if (fake != NULL && fake[0] != '\0') {
    memset(&tm, 0, sizeof(tm));
    if (strptime(fake, "%Y-%m-%d", &tm) != NULL) {
      /* A test hook that changes RGS** decisions: never silent. */
      if (!warned++)
        fprintf(stderr, _("rgs-enroll: RGS_ENROLL_NOW is set: today is taken as %s\n"), fake);
      return timegm(&tm);
    }
  }
  return time(NULL);
}

/* ---- the token session ----------------------------------------------- */

static void session_warn(void *ud, const char *message)
{
  rgs_warn((const rgs_io *)ud, "%s", message);
}

/* Ask on the terminal, never on stdin: a script piping data must not
 * consent by accident. */
static int session_confirm(void *ud, const rgs_p11_slot_info *info)
{
  const rgs_io *io = ud;
  char answer[16];
  FILE *tty = fopen("/dev/tty", "r+");
  int yes = 0;

  if (tty == NULL)
    return 0;
  fprintf(tty, _("Token \"%s\": ONLY ONE PIN TRY IS LEFT. A wrong PIN now locks the token "
                 "until it is unblocked with the PUK.\nType YES to try anyway: "),
          info->label);
  fflush(tty);
  if (fgets(answer, sizeof(answer), tty) != NULL) {
    answer[strcspn(answer, "\r\n")] = '\0';
    /* The English word always works, so that written procedures stay valid
     * whatever the locale of the machine. */
    yes = strcmp(answer, "YES") == 0 || strcmp(answer, _("YES")) == 0;
  }
  fclose(tty);
  if (!yes)
    rgs_err(io, "%s", _("not confirmed: the last PIN try was not spent"));
  return yes;
}

static int load_policies(rgs_session *s, const char *command)
{
  char path[PATH_MAX], err[512];
  rgs_p11_rc rc;
  size_t i;

  snprintf(path, sizeof(path), "%s/policy/qualified-devices.conf", rgs_datadir());
  rc = rgs_p11_policy_load(&s->policy, path, err, sizeof(err));
  if (rc != RGS_P11_OK)
    return rgs_fail(s->io, command, rgs_exit_for_p11(rc), rgs_p11_strerror(rc), err);
  for (i = 0; i < s->io->n_policies; i++) {
    rc = rgs_p11_policy_load(&s->policy, s->io->policies[i], err, sizeof(err));
    if (rc != RGS_P11_OK)
      return rgs_fail(s->io, command, rgs_exit_for_p11(rc), rgs_p11_strerror(rc), err);
  }
  return RGS_EXIT_OK;
}

/* The tokens present, for the message that asks the user to choose. */
static void list_candidates(const rgs_session *s)
{
  rgs_p11_slot_info *slots = NULL;
  size_t n = 0, i;
  char *uri_text = NULL;
  rgs_p11_uri *uri = NULL;

  if (rgs_p11_slots(s->ctx, &slots, &n) != RGS_P11_OK)
    return;
  for (i = 0; i < n; i++) {
    if (!slots[i].token_present || rgs_p11_uri_for_token(&slots[i], &uri) != RGS_P11_OK)
      continue;
    uri_text = rgs_p11_uri_format(uri);
    fprintf(stderr, "  %s\n", uri_text != NULL ? uri_text : "?");
    free(uri_text);
    rgs_p11_uri_free(uri);
    uri = NULL;
  }
  free(slots);
}

/* No token to open: say what the readers hold, in the person's words. A
 * card the module does not know and an empty reader are two different
 * things to do; only slot and token information is read (no PIN). */
int rgs_fail_no_token(const rgs_io *io, const char *command, rgs_p11_ctx *ctx)
{
  rgs_p11_slot_diag d;
  char msg[512], detail[512];
  const char *module = rgs_p11_module_path(ctx);

  if (rgs_p11_diagnose_slots(ctx, &d) != RGS_P11_OK || d.n_tokens > 0)
    return rgs_fail_code(io, command, RGS_EXIT_TOKEN, "no-token",
                         rgs_p11_strerror(RGS_P11_ERR_NO_TOKEN), rgs_p11_last_error(ctx), NULL);
  if (d.n_unrecognized > 0) {
    snprintf(msg, sizeof(msg),
             _("a card is in the reader \"%s\", but the PKCS#11 module does not recognise it: "
               "use the module of the card's vendor (--module)"),
             d.unrecognized_reader);
    snprintf(detail, sizeof(detail), _("module %s: C_GetTokenInfo answered %s"),
             module != NULL ? module : "?", rgs_p11_ckr_name(d.unrecognized_rv));
    return rgs_fail_code(io, command, RGS_EXIT_TOKEN, "card-not-recognized", msg, detail, NULL);
  }
  snprintf(detail, sizeof(detail), _("module %s"), module != NULL ? module : "?");
  if (d.n_empty == 0)
    return rgs_fail_code(io, command, RGS_EXIT_TOKEN, "no-reader",
                         _("no card reader and no crypto key found: plug the crypto key or the "
                           "card reader"), detail, NULL);
  if (d.n_empty == 1)
    snprintf(msg, sizeof(msg),
             _("no card in the reader \"%s\": insert the card (or plug the crypto key) and try again"),
             d.empty_reader);
  else
    snprintf(msg, sizeof(msg),
             _("no card in the readers (\"%s\" and %zu more): insert the card (or plug the crypto "
               "key) and try again"), d.empty_reader, d.n_empty - 1);
  return rgs_fail_code(io, command, RGS_EXIT_TOKEN, "no-card", msg, detail, NULL);
}

/* Does the URI name a token (as opposed to only an object)? */
static int names_token(const rgs_p11_uri *uri)
{
  return uri != NULL && (rgs_p11_uri_get(uri, RGS_URI_TOKEN) != NULL ||
                         rgs_p11_uri_get(uri, RGS_URI_SERIAL) != NULL ||
                         rgs_p11_uri_get(uri, RGS_URI_MANUFACTURER) != NULL ||
                         rgs_p11_uri_get(uri, RGS_URI_MODEL) != NULL);
}

int rgs_session_open_for_key(rgs_session *s, const rgs_io *io, const char *command,
                             const rgs_p11_uri *key_uri)
{
  const rgs_p11_uri *use = io->token == NULL && names_token(key_uri) ? key_uri : NULL;
  int ret = rgs_session_open_sel(s, io, command, use);

  /* --token and a key URI naming another token: never sign on the wrong one. */
  if (ret == RGS_EXIT_OK && names_token(key_uri) &&
      !rgs_p11_uri_match_token(key_uri, rgs_p11_token_info(s->tok))) {
    ret = rgs_fail(io, command, RGS_EXIT_USAGE,
                   _("the key's URI names another token than the one selected with --token"),
                   NULL);
    rgs_session_close(s);
  }
  return ret;
}

int rgs_session_open(rgs_session *s, const rgs_io *io, const char *command)
{
  return rgs_session_open_sel(s, io, command, NULL);
}

/* No module and no token named, and the registered modules show several
 * tokens: never the first one; each with the module that shows it, as a
 * --token value that names its module. */
static int fail_many_seen(const rgs_io *io, const char *command, const rgs_p11_seen *seen,
                          size_t n, const char *detail)
{
  int ret = rgs_fail_code(io, command, RGS_EXIT_TOKEN, "several-tokens",
                          rgs_p11_strerror(RGS_P11_ERR_MANY_TOKENS), detail, NULL);
  rgs_p11_uri *uri = NULL;
  char *text = NULL;
  char name[128];
  size_t i;

  for (i = 0; i < n; i++) {
    if (rgs_p11_uri_for_token(&seen[i].info, &uri) == RGS_P11_OK &&
        rgs_p11_uri_set(uri, RGS_URI_MODULE_NAME, seen[i].module_name) == RGS_P11_OK)
      text = rgs_p11_uri_format(uri);
    rgsx_sanitize_buf(name, sizeof(name), seen[i].module_name, strlen(seen[i].module_name));
    /* TRANSLATORS: a token's label, its module's name, its pkcs11: URI. */
    fprintf(stderr, _("  \"%s\" through the module %s: --token '%s'\n"), seen[i].info.label,
            name, text != NULL ? text : "?");
    free(text);
    text = NULL;
    rgs_p11_uri_free(uri);
    uri = NULL;
  }
  return ret;
}

/* With no module named, the one the token was found through. */
static void say_module_choice(const rgs_session *s)
{
  const char *name = rgs_p11_module_name(s->ctx);

  if (s->io->json || rgs_p11_module_origin_of(s->ctx) != RGS_P11_MODULE_REGISTRY)
    return;
  printf(_("Module: %s (%s), registered with p11-kit: the token can do this step through it\n"),
         name != NULL ? name : "?", rgs_p11_module_path(s->ctx));
}

static int session_open(rgs_session *s, const rgs_io *io, const char *command,
                        const rgs_p11_uri *fallback, rgs_p11_need need);

int rgs_session_open_keygen(rgs_session *s, const rgs_io *io, const char *command)
{
  return session_open(s, io, command, NULL, RGS_P11_NEED_KEYGEN);
}

int rgs_session_open_sel(rgs_session *s, const rgs_io *io, const char *command,
                         const rgs_p11_uri *fallback)
{
  return session_open(s, io, command, fallback, RGS_P11_NEED_ANY);
}

static int session_open(rgs_session *s, const rgs_io *io, const char *command,
                        const rgs_p11_uri *fallback, rgs_p11_need need)
{
  rgs_p11_uri *sel = NULL;
  rgs_p11_open_req req;
  rgs_p11_seen *seen = NULL;
  size_t n_seen = 0;
  char err[512];
  int ret = RGS_EXIT_OK;
  rgs_p11_rc rc;

  memset(s, 0, sizeof(*s));
  s->io = io;
  s->pin.from = io->pin_file != NULL ? RGS_PIN_FROM_FILE
                : io->pin_fd >= 0     ? RGS_PIN_FROM_FD
                                       : RGS_PIN_FROM_TTY;
  s->pin.path = io->pin_file;
  s->pin.fd = io->pin_fd;
  s->pin.allow_final_try = io->final_try;
  s->pin.confirm_final_try = s->pin.from == RGS_PIN_FROM_TTY ? session_confirm : NULL;
  s->pin.warn = session_warn;
  s->pin.ud = (void *)io;
  if (io->token != NULL) {
    rc = rgs_p11_uri_parse(io->token, &sel, err, sizeof(err));
    if (rc != RGS_P11_OK) {
      ret = rgs_fail(io, command, RGS_EXIT_USAGE, rgs_p11_strerror(rc), err);
      goto cleanup;
    }
  }
  ret = load_policies(s, command);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  memset(&req, 0, sizeof(req));
  req.module = io->module;
  req.sel = sel != NULL ? sel : fallback;
  req.need = need;
  req.policy = s->policy;
  req.seen = &seen;
  req.n_seen = &n_seen;
  rc = rgs_p11_open(&req, &s->ctx, &s->tok, err, sizeof(err));
  if (rc == RGS_P11_ERR_MANY_TOKENS && s->ctx == NULL) {
    ret = fail_many_seen(io, command, seen, n_seen, err);
    goto cleanup;
  }
  if (rc != RGS_P11_OK && s->ctx == NULL) {
    ret = rgs_fail(io, command, rgs_exit_for_p11(rc), rgs_p11_strerror(rc), err);
    goto cleanup;
  }
  if (rc == RGS_P11_OK) {
    say_module_choice(s);
  } else if (rc == RGS_P11_ERR_NO_TOKEN) {
    ret = rgs_fail_no_token(io, command, s->ctx);
  } else if (rc != RGS_P11_OK) {
    ret = rgs_fail_p11(io, command, rc, s->ctx);
    if (rc == RGS_P11_ERR_MANY_TOKENS)
      list_candidates(s);
  }

cleanup:
  rgs_p11_seen_free(seen, n_seen);
  rgs_p11_uri_free(sel);
  if (ret != RGS_EXIT_OK)
    rgs_session_close(s);
  return ret;
}

const char *rgs_pin_left_message(const rgs_p11_slot_info *info, rgs_p11_pin_role role)
{
  if (role == RGS_PIN_SO) {
    if (info->token_flags & CKF_SO_PIN_LOCKED)
      return _("the unblocking code is now LOCKED: only the certification authority can help");
    if (info->token_flags & CKF_SO_PIN_FINAL_TRY)
      return _("ONE try of the unblocking code is left; nothing will be retried automatically");
    if (info->token_flags & CKF_SO_PIN_COUNT_LOW)
      return _("fewer tries of the unblocking code are left; nothing will be retried automatically");
    return _("nothing will be retried automatically");
  }
  if (info->token_flags & CKF_USER_PIN_LOCKED)
    return _("the token is now LOCKED: use the unblocking code (rgs-enroll pin unblock) or contact the certification authority");
  if (info->token_flags & CKF_USER_PIN_FINAL_TRY)
    return _("ONE try is left before the token locks; nothing will be retried automatically");
  if (info->token_flags & CKF_USER_PIN_COUNT_LOW)
    return _("fewer tries are left; nothing will be retried automatically");
  return _("nothing will be retried automatically");
}

int rgs_session_login(rgs_session *s, const char *command)
{
  rgs_p11_rc rc = rgs_p11_login(s->tok, RGS_PIN_USER, &s->pin);
  char detail[512];

  if (rc == RGS_P11_OK) {
    rgs_p11_token_set_reauth(s->tok, &s->pin);   /* keys that want it per signature */
    return RGS_EXIT_OK;
  }
  /* A PIN the token refused: say what its counter now shows. */
  if (rc == RGS_P11_ERR_PIN_INCORRECT || rc == RGS_P11_ERR_PIN_INVALID) {
    snprintf(detail, sizeof(detail), "%s", rgs_pin_left_message(rgs_p11_token_info(s->tok), RGS_PIN_USER));
    return rgs_fail(s->io, command, RGS_EXIT_PIN, rgs_p11_strerror(rc), detail);
  }
  if (rc == RGS_P11_ERR_PIN_INPUT && s->pin.from == RGS_PIN_FROM_TTY)
    return rgs_fail(s->io, command, RGS_EXIT_PIN, rgs_p11_strerror(rc),
                    _("no terminal to ask it on: use --pin-file or --pin-fd"));
  if (rc == RGS_P11_ERR_PIN_LENGTH) {
    const rgs_p11_slot_info *i = rgs_p11_token_info(s->tok);
    snprintf(detail, sizeof(detail), _("the token accepts %lu to %lu characters; nothing was sent to it"),
             (unsigned long)i->min_pin, (unsigned long)i->max_pin);
    return rgs_fail(s->io, command, RGS_EXIT_PIN, rgs_p11_strerror(rc), detail);
  }
  return rgs_fail_p11(s->io, command, rc, s->ctx);
}

static void terminating_set(sigset_t *set)
{
  sigemptyset(set);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGHUP);
}

void rgs_session_hold_signals(rgs_session *s)
{
  sigset_t set;

  if (s->holding)
    return;
  terminating_set(&set);
  if (sigprocmask(SIG_BLOCK, &set, &s->held_old) == 0)
    s->holding = 1;
}

int rgs_session_interrupted(const rgs_session *s)
{
  sigset_t pending;

  (void)s;
  if (sigpending(&pending) != 0)
    return 0;
  return sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1 ||
         sigismember(&pending, SIGHUP) == 1;
}

void rgs_session_release_signals(rgs_session *s)
{
  if (!s->holding)
    return;
  s->holding = 0;
  sigprocmask(SIG_SETMASK, &s->held_old, NULL);
}

void rgs_session_close(rgs_session *s)
{
  rgs_p11_token_close(s->tok);
  rgs_p11_ctx_free(s->ctx);
  rgs_p11_policy_free(s->policy);
  rgs_session_release_signals(s);
  s->tok = NULL;
  s->ctx = NULL;
  s->policy = NULL;
}

/* ---- printing tokens and reports ------------------------------------- */

void rgs_print_token(const rgs_io *io, const rgs_p11_slot_info *info)
{
  (void)io;
  printf(_("Token: \"%s\" (%s %s, serial %s)\n"), info->label, info->manufacturer,
         info->model, info->serial);
}

static const char *verdict_word(rgs_p11_verdict v)
{
  switch (v) {
  case RGS_CHECK_PASS: return "pass";
  case RGS_CHECK_FAIL: return "fail";
  case RGS_CHECK_UNKNOWN: return "unknown";
  }
  return "unknown";
}

static const char *verdict_label(const rgs_p11_criterion *c)
{
  if (c->verdict == RGS_CHECK_FAIL && c->waived)
    return _("DEMO");
  switch (c->verdict) {
  case RGS_CHECK_PASS: return _("PASS");
  case RGS_CHECK_FAIL: return _("FAIL");
  case RGS_CHECK_UNKNOWN: return _("UNKNOWN");
  }
  return "?";
}

void rgs_print_report(const rgs_io *io, const rgs_p11_report *rep)
{
  rgs_print_report_from(io, rep, 0);
}

void rgs_print_padded(const char *s, size_t width)
{
  size_t cols = 0;
  const unsigned char *p;

  /* Columns by characters, not bytes: "DÉMO" is four wide, in any locale. */
  for (p = (const unsigned char *)s; *p != '\0'; p++)
    if ((*p & 0xC0) != 0x80)
      cols++;
  fputs(s, stdout);
  while (cols++ < width)
    fputc(' ', stdout);
}

/* One criterion: the plain sentence, what to do when it fails (not for a
 * failure a demo policy waives: the demo notice says it once), and the
 * evidence read from the token under --details (or when the layer that
 * made the criterion gave no sentence). */
static void print_criterion(const rgs_io *io, const rgs_p11_criterion *c)
{
  int plain = c->plain[0] != '\0';

  fputs("  [", stdout);
  rgs_print_padded(verdict_label(c), 7);
  fputs("] ", stdout);
  if (!plain) {
    rgs_print_padded(c->title, 32);
    printf(" %s\n", c->evidence);
  } else {
    printf("%s\n", c->plain);
  }
  if (plain && io != NULL && io->details) {
    /* "CKA_LOCAL = CK_TRUE" names itself; others get their title. */
    if (strncmp(c->evidence, c->title, strlen(c->title)) == 0)
      printf("%12s%s\n", "", c->evidence);
    else
      printf("%12s%s: %s\n", "", c->title, c->evidence);
  }
  if (c->verdict != RGS_CHECK_PASS && !c->waived && c->advice[0] != '\0')
    printf("%12s%s %s\n", "", _("What to do:"), c->advice);
}

void rgs_print_report_from(const rgs_io *io, const rgs_p11_report *rep, size_t from)
{
  size_t i, n = rgs_p11_report_count(rep);

  for (i = from; i < n; i++)
    print_criterion(io, rgs_p11_report_get(rep, i));
}

void rgs_json_report(rgs_json *j, const rgs_p11_report *rep)
{
  size_t i, n = rgs_p11_report_count(rep);

  rgs_json_array(j, "criteria");
  for (i = 0; i < n; i++) {
    const rgs_p11_criterion *c = rgs_p11_report_get(rep, i);
    rgs_json_object(j, NULL);
    rgs_json_str(j, "id", c->id);
    rgs_json_str(j, "title", c->title);
    rgs_json_str(j, "verdict", verdict_word(c->verdict));
    rgs_json_bool(j, "waived_by_demo_policy", c->waived);
    rgs_json_str(j, "evidence", c->evidence);
    rgs_json_str(j, "plain", c->plain[0] != '\0' ? c->plain : NULL);
    rgs_json_str(j, "advice", c->advice[0] != '\0' ? c->advice : NULL);
    rgs_json_end(j);
  }
  rgs_json_end(j);
}

/* The PIN state as a stable code (an N_() text: translate to show it). */
const char *rgs_pin_state_code(CK_FLAGS f)
{
  if (f & CKF_USER_PIN_LOCKED)
    return N_("locked");
  if (f & CKF_USER_PIN_FINAL_TRY)
    return N_("final-try");
  if (f & CKF_USER_PIN_COUNT_LOW)
    return N_("count-low");
  if (!(f & CKF_USER_PIN_INITIALIZED))
    return N_("not-initialized");
  return N_("ok");
}

void rgs_json_module(rgs_json *j, const char *key, const rgs_p11_ctx *ctx)
{
  rgs_json_object(j, key);
  rgs_json_str(j, "path", rgs_p11_module_path(ctx));
  rgs_json_str(j, "name", rgs_p11_module_name(ctx));
  rgs_json_str(j, "chosen", rgs_p11_module_origin_name(rgs_p11_module_origin_of(ctx)));
  rgs_json_end(j);
}

/* The token flags by name, next to the number (kept for compatibility):
 * a client should not have to know PKCS#11's bit values. */
static void json_flag_names(rgs_json *j, CK_FLAGS f)
{
  static const struct {
    CK_FLAGS bit;
    const char *name;
  } names[] = {
    { CKF_RNG, "rng" },
    { CKF_WRITE_PROTECTED, "write-protected" },
    { CKF_LOGIN_REQUIRED, "login-required" },
    { CKF_USER_PIN_INITIALIZED, "user-pin-initialized" },
    { CKF_RESTORE_KEY_NOT_NEEDED, "restore-key-not-needed" },
    { CKF_CLOCK_ON_TOKEN, "clock-on-token" },
    { CKF_PROTECTED_AUTHENTICATION_PATH, "protected-authentication-path" },
    { CKF_DUAL_CRYPTO_OPERATIONS, "dual-crypto-operations" },
    { CKF_TOKEN_INITIALIZED, "token-initialized" },
    { CKF_SECONDARY_AUTHENTICATION, "secondary-authentication" },
    { CKF_USER_PIN_COUNT_LOW, "user-pin-count-low" },
    { CKF_USER_PIN_FINAL_TRY, "user-pin-final-try" },
    { CKF_USER_PIN_LOCKED, "user-pin-locked" },
    { CKF_USER_PIN_TO_BE_CHANGED, "user-pin-to-be-changed" },
    { CKF_SO_PIN_COUNT_LOW, "so-pin-count-low" },
    { CKF_SO_PIN_FINAL_TRY, "so-pin-final-try" },
    { CKF_SO_PIN_LOCKED, "so-pin-locked" },
    { CKF_SO_PIN_TO_BE_CHANGED, "so-pin-to-be-changed" },
  };
  size_t i;

  rgs_json_array(j, "flag_names");
  for (i = 0; i < RGS_ARRAY_LEN(names); i++)
    if ((f & names[i].bit) != 0)
      rgs_json_str(j, NULL, names[i].name);
  rgs_json_end(j);
}

void rgs_json_token(rgs_json *j, const char *key, const rgs_p11_slot_info *s)
{
  rgs_json_object(j, key);
  rgs_json_str(j, "label", s->label);
  rgs_json_str(j, "manufacturer", s->manufacturer);
  rgs_json_str(j, "model", s->model);
  rgs_json_str(j, "serial", s->serial);
  rgs_json_int(j, "flags", (long long)s->token_flags);
  json_flag_names(j, s->token_flags);
  rgs_json_str(j, "pin_state", rgs_pin_state_code(s->token_flags));
  rgs_json_bool(j, "pinpad", (s->token_flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0);
  rgs_json_int(j, "min_pin", (long long)s->min_pin);
  rgs_json_int(j, "max_pin", (long long)s->max_pin);
  rgs_json_end(j);
}

int rgs_fail_http(const rgs_io *io, const char *command, int exit_code, const char *message,
                  const char *detail, long http_status)
{
  return fail_doc(io, command, exit_code, NULL, message, detail, NULL, http_status);
}

int rgs_answer_yes(const char *a)
{
  return strcasecmp(a, "y") == 0 || strcasecmp(a, "yes") == 0 || strcasecmp(a, "o") == 0 ||
         strcasecmp(a, "oui") == 0 || strcasecmp(a, _("yes")) == 0;
}
