/* SPDX-License-Identifier: BSD-3-Clause */
/* f2f_run.c - rgs-enroll f2f run: the face-to-face session on the AED's
 * laptop. The AED unlocks the AED's token first (the record is signed with
 * it whatever happens), then six steps; the first that fails ends the
 * session, and the refusal is recorded, signed and stored like a success. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include "certcheck.h"
#include "f2f.h"
#include "rgs_common.h"
#include "steps.h"
#include "orders.h"

#define CMD "f2f run"

typedef struct {
  rgs_io *io;
  rgs_io hcli;                   /* io, with the holder's token chosen */
  char *holder_uri;
  rgs_f2f_run_opts *o;
  int interactive;
  long long id;
  /* the order */
  rgs_order_store *st;
  rgs_order order;
  rgs_order_binding bind;
  rgs_order_appointment appt;
  int have_appt;
  /* the request and its key */
  X509_REQ *csr;
  unsigned char *spki;
  int spki_len;
  char spki_hex[65], csr_hex[65];
  /* the holder's token */
  rgs_session s;
  int s_open;
  char holder_prompt[160];
  rgs_p11_report *rep;
  rgs_p11_key *hkey;
  char *pop_msg;
  unsigned char *pop_sig;
  size_t pop_sig_len;
  /* the AED's token */
  rgs_p11_ctx *aed_ctx;
  rgs_p11_token *aed_tok;
  rgs_p11_key *aed_key;
  X509 *aed_cert;
  rgs_p11_pin_source aed_pin;
  char aed_prompt[160];
  rgs_f2f_aed_trust *aeds;        /* who counts as an AED, and the anchors */
  const rgs_f2f_aed_entry *aed_entry;   /* the entry that lists the AED */
  /* answers */
  char id_name[256], id_expires[16], extract[16], aed_name[256], office[512], place[256];
  char holder_name[2 * RGS_ORDER_NAME_MAX + 2];
  rgs_f2f_facts f;
  int exit_code;                  /* of the failed step */
} run;

/* ---- small helpers ------------------------------------------------------------ */

rgs_f2f_rc rgs_f2f_write_file(const char *path, const unsigned char *data, size_t len,
                              int force)
{
  char *tmp = NULL;
  int fd = -1, ret = -1, saved;
  size_t off = 0;

  if (asprintf(&tmp, "%s.tmp-%ld", path, (long)getpid()) < 0)
    return RGS_F2F_ERR_IO;
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    goto cleanup;
  while (off < len) {
    ssize_t w = write(fd, data + off, len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      goto cleanup;
    off += (size_t)w;
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    fd = -1;
    goto cleanup;
  }
  fd = -1;
  if (force)
    ret = rename(tmp, path);
  else if ((ret = link(tmp, path)) == 0)     /* never replaces a file */
    unlink(tmp);
cleanup:
  saved = errno;
  if (fd >= 0)
    close(fd);
  if (ret != 0)
    unlink(tmp);
  free(tmp);
  errno = saved;
  return ret == 0 ? RGS_F2F_OK : RGS_F2F_ERR_IO;
}

int rgs_f2f_load_aeds(const rgs_io *io, const char *command, const char *ca_file,
                      const char *ca_path, rgs_f2f_aed_trust **out)
{
  rgs_f2f_aed_trust *t = rgs_f2f_aed_trust_new();
  char path[4096], err[1024];
  rgs_f2f_rc rc = RGS_F2F_OK;
  size_t i;

  *out = NULL;
  if (t == NULL)
    return rgs_fail(io, command, RGS_EXIT_INTERNAL, rgs_f2f_strerror(RGS_F2F_ERR_NOMEM), NULL);
  snprintf(path, sizeof(path), "%s/aed-trust/aed-trust.conf", rgs_datadir());
  rc = rgs_f2f_aed_trust_load(t, path, err, sizeof(err));
  for (i = 0; rc == RGS_F2F_OK && i < io->n_aed_trust; i++)
    rc = rgs_f2f_aed_trust_load(t, io->aed_trust[i], err, sizeof(err));
  if (rc == RGS_F2F_OK)
    rc = rgs_f2f_aed_trust_add_anchors(t, ca_file, ca_path, err, sizeof(err));
  if (rc != RGS_F2F_OK) {
    rgs_f2f_aed_trust_free(t);
    return rgs_fail(io, command, rc == RGS_F2F_ERR_NOMEM ? RGS_EXIT_INTERNAL : RGS_EXIT_IO,
                    rgs_f2f_strerror(rc), err);
  }
  *out = t;
  return RGS_EXIT_OK;
}

rgs_f2f_rc rgs_f2f_verify(const unsigned char *der, size_t len, const rgs_f2f_aed_trust *aeds,
                          rgs_f2f_verified *v, char *err, size_t errlen)
{
  return rgs_f2f_verify_at(der, len, aeds, rgs_now(), v, err, errlen);
}

void rgs_f2f_print_demo_aed(const rgs_io *io, const rgs_f2f_aed_entry *e)
{
  if (io->json || e == NULL || !e->demo)
    return;
  printf(_("  *** DEMO AED: the AED's certificate is admitted by the demo entry \"%s\" (%s:%u) only; the record is worth nothing for a real certificate.\n"),
         e->name, e->file, e->line);
}

static void out(const run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out(const run *r, const char *fmt, ...)
{
  va_list ap;

  if (r->io->json)
    return;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
}

/* One screen per step on a terminal; plain headings otherwise. */
static void screen(const run *r, const char *title, int n)
{
  if (r->io->json)
    return;
  if (r->interactive)
    fputs("\033[H\033[2J", stdout);
  if (n > 0)
    printf(_("\n== Step %d/%d: %s ==\n"), n, RGS_F2F_N_STEPS, title);
  else
    printf("\n== %s ==\n", title);
  fflush(stdout);
}

/* A line from the operator: 1, or 0 at end of input. */
static int read_answer(char *buf, size_t len)
{
  size_t n;

  fflush(stdout);
  if (fgets(buf, (int)len, stdin) == NULL)
    return 0;
  n = strcspn(buf, "\r\n");
  if (buf[n] == '\0' && n + 1 == len) {
    int c;
    while ((c = getchar()) != EOF && c != '\n')
      ;                            /* too long: the rest is dropped */
  }
  buf[n] = '\0';
  return 1;
}

static void pause_screen(const run *r)
{
  char buf[8];

  if (!r->interactive)
    return;
  printf("%s", _("Press Enter to continue..."));
  read_answer(buf, sizeof(buf));
}

static int is_no(const char *a)
{
  return strcasecmp(a, "n") == 0 || strcasecmp(a, "no") == 0 || strcasecmp(a, "non") == 0 ||
         strcasecmp(a, _("no")) == 0;
}

/* Checks of an answer for ask(); ud is what the check needs, if anything. */
typedef int (*answer_check)(const void *ud, const char *answer);

static int date_ok(const void *ud, const char *s)
{
  (void)ud;
  return rgs_order_date_valid(s);
}

static int text_ok(const void *ud, const char *s)
{
  (void)ud;
  return s[0] != '\0' && strlen(s) < 250;
}

/* Copy text, cut on a UTF-8 boundary if it does not fit. */
static void copy_text(char *dst, size_t len, const char *src)
{
  size_t n = strlen(src);

  if (n >= len) {
    n = len - 1;
    while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
      n--;
  }
  memmove(dst, src, n);
  dst[n] = '\0';
}

/* The answer to a question: the flag's value, else asked on the terminal
 * (again until valid(ud, answer); Enter keeps a default), else a usage
 * error. */
static int ask(run *r, const char *given, const char *default_answer, const char *flag,
               const char *question, answer_check valid, const void *ud, const char *invalid,
               char *buf, size_t len)
{
  char def[512];

  /* The default may live in buf itself: keep a copy before buf is used. */
  copy_text(def, sizeof(def), default_answer != NULL ? default_answer : "");
  if (given != NULL) {
    copy_text(buf, len, given);
    return RGS_EXIT_OK;
  }
  if (!r->interactive) {
    if (def[0] != '\0') {
      copy_text(buf, len, def);
      return RGS_EXIT_OK;
    }
    return rgs_usage_error(r->io, CMD, _("%s is needed (no terminal to ask on)"), flag);
  }
  for (;;) {
    if (def[0] != '\0')
      printf("%s [%s]: ", question, def);
    else
      printf("%s: ", question);
    if (!read_answer(buf, len))
      return rgs_usage_error(r->io, CMD, _("%s is needed (end of input)"), flag);
    if (buf[0] == '\0' && def[0] != '\0')
      copy_text(buf, len, def);
    if (valid(ud, buf))
      return RGS_EXIT_OK;
    printf("  %s\n", invalid);
  }
}

/* A yes/no question: the flag's value (-1: not given), else asked. */
static int ask_yes_no(run *r, int given, const char *flag, const char *question, int *answer)
{
  char buf[16];

  if (given >= 0) {
    *answer = given;
    return RGS_EXIT_OK;
  }
  if (!r->interactive)
    return rgs_usage_error(r->io, CMD, _("%s is needed (no terminal to ask on)"), flag);
  for (;;) {
    printf("%s [%s] ", question, _("y/n"));
    if (!read_answer(buf, sizeof(buf)))
      return rgs_usage_error(r->io, CMD, _("%s is needed (end of input)"), flag);
    if (rgs_answer_yes(buf) || is_no(buf)) {
      *answer = rgs_answer_yes(buf);
      return RGS_EXIT_OK;
    }
  }
}

static int step_result(run *r, rgs_f2f_step i, rgs_f2f_result res, int exit_code,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Record a step's outcome and say it. Returns exit_code for a failure. */
static int step_result(run *r, rgs_f2f_step i, rgs_f2f_result res, int exit_code,
                       const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(r->f.details[i], sizeof(r->f.details[i]), fmt, ap);
  va_end(ap);
  r->f.results[i] = res;
  if (res == RGS_F2F_FAIL) {
    r->f.reason = r->f.details[i];
    r->exit_code = exit_code;
    out(r, "  -> %s: %s\n", _("REFUSED"), r->f.details[i]);
    if (!r->io->json)
      fprintf(stderr, "%s: %s\n", r->io->prog, r->f.details[i]);
    return exit_code;
  }
  out(r, "  -> %s: %s\n", _("PASS"), r->f.details[i]);
  return RGS_EXIT_OK;
}

/* What the token tells of its PIN counter after a refused PIN. */
static const char *pin_left(const rgs_p11_slot_info *info)
{
  if (info->token_flags & CKF_USER_PIN_LOCKED)
    return _("the token is now LOCKED: it needs its unblocking code");
  if (info->token_flags & CKF_USER_PIN_FINAL_TRY)
    return _("ONE try is left before the token locks; nothing was retried");
  if (info->token_flags & CKF_USER_PIN_COUNT_LOW)
    return _("fewer tries are left; nothing was retried");
  return _("nothing was retried");
}

static void warn_cb(void *ud, const char *message)
{
  rgs_warn((const rgs_io *)ud, "%s", message);
}

/* Consent for the AED's last PIN try, on the terminal only. */
static int aed_confirm(void *ud, const rgs_p11_slot_info *info)
{
  char answer[16];
  FILE *tty = fopen("/dev/tty", "r+");
  int yes = 0;

  (void)ud;
  if (tty == NULL)
    return 0;
  fprintf(tty, _("AED's token \"%s\": ONLY ONE PIN TRY IS LEFT. Type YES to try anyway: "),
          info->label);
  fflush(tty);
  if (fgets(answer, sizeof(answer), tty) != NULL) {
    answer[strcspn(answer, "\r\n")] = '\0';
    yes = strcmp(answer, "YES") == 0 || strcmp(answer, _("YES")) == 0;
  }
  fclose(tty);
  return yes;
}

/* ---- before the session: the order, its request, the two tokens ------------ */

static int load_order(run *r)
{
  rgs_order_rc rc;
  int found = 0, ret;
  char detail[512];
  BIO *b = NULL;
  unsigned char md[32], *der = NULL;
  int n;

  ret = rgs_store_open_for(r->io, CMD, r->id, &r->st);
  if (ret != RGS_EXIT_OK)
    return ret;
  rc = rgs_order_get(r->st, r->id, &r->order);
  if (rc != RGS_ORDER_OK)
    return rgs_fail_store(r->io, CMD, rc, r->st);
  if (!rgs_order_transition_allowed(r->order.status, RGS_STATUS_F2F_DONE)) {
    snprintf(detail, sizeof(detail),
             _("order %lld is %s (%s): the face-to-face comes once the request is submitted to the CA"),
             r->id, rgs_order_status_name(r->order.status), rgs_order_status_label(r->order.status));
    return rgs_fail_order(r->io, CMD, RGS_ORDER_ERR_TRANSITION, detail);
  }
  rc = rgs_order_binding_get(r->st, r->id, &r->bind, &found);
  if (rc != RGS_ORDER_OK)
    return rgs_fail_store(r->io, CMD, rc, r->st);
  if (!found) {
    snprintf(detail, sizeof(detail), _("no certificate request is bound to order %lld"), r->id);
    return rgs_fail(r->io, CMD, RGS_EXIT_CHECK, detail, NULL);
  }
  rc = rgs_order_appointment_get(r->st, r->id, &r->appt, &r->have_appt);
  if (rc != RGS_ORDER_OK)
    return rgs_fail_store(r->io, CMD, rc, r->st);
  /* The request of the order, and its key. */
  b = BIO_new_mem_buf(r->bind.csr_pem, -1);
  r->csr = b != NULL ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
  BIO_free(b);
  if (r->csr == NULL || X509_REQ_get0_pubkey(r->csr) == NULL)
    return rgs_fail(r->io, CMD, RGS_EXIT_STORE, _("the request stored with the order cannot be read"), NULL);
  r->spki_len = i2d_PUBKEY(X509_REQ_get0_pubkey(r->csr), &r->spki);
  if (r->spki_len <= 0)
    return rgs_fail(r->io, CMD, RGS_EXIT_INTERNAL, rgs_f2f_strerror(RGS_F2F_ERR_CRYPTO), NULL);
  SHA256(r->spki, (size_t)r->spki_len, md);
  rgsx_hex(md, sizeof(md), r->spki_hex);
  if (strcmp(r->spki_hex, r->bind.spki_sha256) != 0)
    return rgs_fail(r->io, CMD, RGS_EXIT_STORE,
                    _("the request stored with the order does not carry the key recorded for it"), NULL);
  n = i2d_X509_REQ(r->csr, &der);
  if (n <= 0)
    return rgs_fail(r->io, CMD, RGS_EXIT_INTERNAL, rgs_f2f_strerror(RGS_F2F_ERR_CRYPTO), NULL);
  SHA256(der, (size_t)n, md);
  OPENSSL_free(der);
  rgsx_hex(md, sizeof(md), r->csr_hex);
  snprintf(r->holder_name, sizeof(r->holder_name), "%s %s", r->order.first_name,
           r->order.last_name);
  return RGS_EXIT_OK;
}

/* Everything the operator must say, said or askable, before a token is
 * touched: a script learns of a missing flag before any PIN is spent. */
static int check_answers_given(run *r)
{
  static const struct {
    const char *flag;
    size_t off;
  } need[] = {
    { "--id-name", offsetof(rgs_f2f_run_opts, id_name) },
    { "--id-expires", offsetof(rgs_f2f_run_opts, id_expires) },
    /* Never on the command line: personal data (cli/cmd_f2f.c). */
    { "--id-number-file", offsetof(rgs_f2f_run_opts, id_number) },
    { "--extract-date", offsetof(rgs_f2f_run_opts, extract_date) },
  };
  size_t i;

  if (r->interactive)
    return RGS_EXIT_OK;
  for (i = 0; i < RGS_ARRAY_LEN(need); i++)
    if (*(const char *const *)((const char *)r->o + need[i].off) == NULL)
      return rgs_usage_error(r->io, CMD, _("%s is needed (no terminal to ask on)"), need[i].flag);
  if (r->o->id_doc == RGS_F2F_DOC_NONE)
    return rgs_usage_error(r->io, CMD, _("%s is needed (no terminal to ask on)"), "--id-document");
  if (r->o->id_verified < 0)
    return rgs_usage_error(r->io, CMD, _("%s is needed (no terminal to ask on)"), "--id-verified");
  if (r->o->office == NULL && r->office[0] == '\0')
    return rgs_usage_error(r->io, CMD, _("%s is needed (no terminal to ask on)"), "--office");
  if (r->o->place == NULL && r->place[0] == '\0')
    return rgs_usage_error(r->io, CMD, _("%s is needed (no terminal to ask on)"), "--place");
  return RGS_EXIT_OK;
}

/* Defaults from the appointment booked for the order. */
static void defaults_from_appointment(run *r)
{
  const rgs_order_aed *a = &r->appt.aed;

  if (!r->have_appt)
    return;
  snprintf(r->office, sizeof(r->office), "%s, %s %s %s", a->name, a->address, a->postal_code,
           a->city);
  /* Where it takes place: the office, unless the AED travels. */
  if (!r->appt.mode_set || r->appt.mode == RGS_F2F_HOLDER_TRAVELS)
    snprintf(r->place, sizeof(r->place), "%s %s", a->postal_code, a->city);
}

/* The holder's token: --token, else the one token present that is not the
 * AED's. */
static int choose_holder_token(run *r, const rgs_p11_uri *aed_uri)
{
  rgs_p11_ctx *ctx = NULL;
  rgs_p11_slot_info *slots = NULL;
  rgs_p11_uri *u = NULL;
  size_t n = 0, i, found = 0;
  char err[512];
  rgs_p11_rc rc;
  int ret = RGS_EXIT_OK;

  r->hcli = *r->io;
  if (r->io->token != NULL)
    return RGS_EXIT_OK;
  rc = rgs_p11_ctx_new(rgs_p11_default_module(r->io->module), &ctx, err, sizeof(err));
  if (rc != RGS_P11_OK)
    return rgs_fail(r->io, CMD, rgs_exit_for_p11(rc), rgs_p11_strerror(rc), err);
  rc = rgs_p11_slots(ctx, &slots, &n);
  if (rc != RGS_P11_OK) {
    ret = rgs_fail_p11(r->io, CMD, rc, ctx);
    goto cleanup;
  }
  for (i = 0; i < n; i++) {
    if (!slots[i].token_present || !(slots[i].token_flags & CKF_TOKEN_INITIALIZED) ||
        rgs_p11_uri_match_token(aed_uri, &slots[i]))
      continue;
    found++;
    if (found > 1)
      continue;
    if (rgs_p11_uri_for_token(&slots[i], &u) != RGS_P11_OK ||
        (r->holder_uri = rgs_p11_uri_format(u)) == NULL) {
      ret = rgs_fail(r->io, CMD, RGS_EXIT_INTERNAL, rgs_p11_strerror(RGS_P11_ERR_NOMEM), NULL);
      goto cleanup;
    }
  }
  if (found == 0)
    ret = rgs_fail(r->io, CMD, RGS_EXIT_TOKEN, _("the holder's token is not there: plug it in"), NULL);
  else if (found > 1)
    ret = rgs_fail(r->io, CMD, RGS_EXIT_TOKEN, rgs_p11_strerror(RGS_P11_ERR_MANY_TOKENS),
                   _("name the holder's token with --token"));
  else
    r->hcli.token = r->holder_uri;

cleanup:
  rgs_p11_uri_free(u);
  free(slots);
  rgs_p11_ctx_free(ctx);
  return ret;
}

static int same_token(const rgs_p11_slot_info *a, const rgs_p11_slot_info *b)
{
  return strcmp(a->serial, b->serial) == 0 && strcmp(a->label, b->label) == 0 &&
         strcmp(a->manufacturer, b->manufacturer) == 0 && strcmp(a->model, b->model) == 0;
}

/* The AED's certificate, before the holder's time is spent: a listed AED
 * (a certificate the verifiers will not accept makes a worthless record),
 * not the holder, and the name the operator gave is its name. */
static int check_aed(run *r)
{
  char detail[1024], cn[256], name[256];
  rgs_f2f_aed_verdict verdict;
  rgs_f2f_rc frc;

  frc = rgs_f2f_aed_check(r->aeds, r->aed_cert, NULL, rgs_now(), &verdict, detail,
                          sizeof(detail));
  r->aed_entry = verdict.entry;
  if (frc != RGS_F2F_OK)
    return rgs_fail(r->io, CMD, frc == RGS_F2F_ERR_CRYPTO ? RGS_EXIT_INTERNAL : RGS_EXIT_CHECK,
                    rgs_f2f_strerror(frc), detail);
  rgs_cert_cn(r->aed_cert, cn, sizeof(cn));
  if (cn[0] == '\0')
    return rgs_fail(r->io, CMD, RGS_EXIT_CHECK, _("the AED's certificate names no one (no CN)"),
                    NULL);
  if (EVP_PKEY_eq(X509_get0_pubkey(r->aed_cert), X509_REQ_get0_pubkey(r->csr)) == 1 ||
      rgs_f2f_is_holder_name(r->order.first_name, r->order.last_name, cn) !=
          RGS_F2F_NAME_OTHER) {
    snprintf(detail, sizeof(detail), _("the AED's certificate is %s's, the holder of order %lld"),
             cn, r->id);
    return rgs_fail(r->io, CMD, RGS_EXIT_CHECK,
                    _("the holder cannot be the AED of the holder's own face-to-face"), detail);
  }
  if (r->o->aed_name != NULL && !rgs_order_names_equal(r->o->aed_name, cn)) {
    snprintf(detail, sizeof(detail), _("--aed-name \"%s\", the certificate \"%s\""),
             rgsx_sanitize_buf(name, sizeof(name), r->o->aed_name, strlen(r->o->aed_name)), cn);
    return rgs_fail(r->io, CMD, RGS_EXIT_CHECK,
                    _("the AED's name is not the name of the AED's certificate"), detail);
  }
  return RGS_EXIT_OK;
}

/* The AED's token: opened after the holder's (a module that wraps another
 * must be initialised first), unlocked, its certificate and key found. */
static int open_aed(run *r, const rgs_p11_uri *aed_uri)
{
  const char *module = r->o->aed_module != NULL ? r->o->aed_module
                                                : rgs_p11_default_module(r->io->module);
  const unsigned char *id;
  size_t id_len = 0;
  char err[512], detail[600];
  rgs_p11_rc rc;
  int ret;

  rc = rgs_p11_ctx_new(module, &r->aed_ctx, err, sizeof(err));
  if (rc != RGS_P11_OK) {
    snprintf(detail, sizeof(detail), "%s: %s", module, err);
    return rgs_fail(r->io, CMD, rgs_exit_for_p11(rc), rgs_p11_strerror(rc), detail);
  }
  rc = rgs_p11_token_open(r->aed_ctx, aed_uri, &r->aed_tok);
  if (rc != RGS_P11_OK) {
    snprintf(detail, sizeof(detail), _("the AED's token (%s): %s"), r->o->aed_token,
             rgs_p11_last_error(r->aed_ctx));
    return rgs_fail(r->io, CMD, rgs_exit_for_p11(rc), rgs_p11_strerror(rc), detail);
  }
  if (same_token(rgs_p11_token_info(r->aed_tok), rgs_p11_token_info(r->s.tok)))
    return rgs_usage_error(r->io, CMD, "%s",
                           _("--token and --aed-token name the same token: the holder's and the AED's are two"));
  r->aed_pin.from = r->o->aed_pin_file != NULL ? RGS_PIN_FROM_FILE
                    : r->o->aed_pin_fd >= 0     ? RGS_PIN_FROM_FD
                                                : RGS_PIN_FROM_TTY;
  r->aed_pin.path = r->o->aed_pin_file;
  r->aed_pin.fd = r->o->aed_pin_fd;
  r->aed_pin.allow_final_try = r->o->aed_final_try;
  /* --batch never asks: the last try only with --aed-final-try. */
  r->aed_pin.confirm_final_try =
      r->aed_pin.from == RGS_PIN_FROM_TTY && !r->o->batch ? aed_confirm : NULL;
  r->aed_pin.warn = warn_cb;
  r->aed_pin.ud = r->io;
  snprintf(r->aed_prompt, sizeof(r->aed_prompt), _("AED: PIN of your token \"%s\": "),
           rgs_p11_token_info(r->aed_tok)->label);
  r->aed_pin.prompt = r->aed_prompt;
  rc = rgs_p11_login(r->aed_tok, RGS_PIN_USER, &r->aed_pin);
  if (rc != RGS_P11_OK) {
    snprintf(detail, sizeof(detail), _("the AED's token: %s"),
             rc == RGS_P11_ERR_PIN_INCORRECT || rc == RGS_P11_ERR_PIN_LOCKED
                 ? pin_left(rgs_p11_token_info(r->aed_tok))
                 : rgs_p11_last_error(r->aed_ctx));
    return rgs_fail(r->io, CMD, rgs_exit_for_p11(rc), rgs_p11_strerror(rc), detail);
  }
  id = rgs_p11_uri_get_id(aed_uri, &id_len);
  ret = rgs_f2f_aed_identity(r->io, r->aed_tok, id, id_len, rgs_now(), &r->aed_cert,
                             &r->aed_key, CMD);
  if (ret != RGS_EXIT_OK)
    return ret;
  return check_aed(r);
}

/* ---- the six steps -------------------------------------------------------------- */

static int step_token(run *r)
{
  const rgs_p11_slot_info *info = rgs_p11_token_info(r->s.tok);
  rgs_p11_requirements req;
  rgs_p11_rc rc;
  size_t i;
  char failed[160] = "";

  screen(r, rgs_f2f_step_title(RGS_F2F_STEP_TOKEN), 1);
  r->f.token_label = info->label;
  r->f.token_manufacturer = info->manufacturer;
  r->f.token_model = info->model;
  r->f.token_serial = info->serial;
  if (!r->io->json)
    rgs_print_token(r->io, info);
  rgs_requirements(&req, &r->s, r->order.validity_years);
  rc = rgs_p11_check_token(r->s.tok, &req, &r->rep);
  if (rc != RGS_P11_OK)
    return step_result(r, RGS_F2F_STEP_TOKEN, RGS_F2F_FAIL, rgs_exit_for_p11(rc), "%s (%s)",
                       rgs_p11_strerror(rc), rgs_p11_last_error(r->s.ctx));
  r->f.report = r->rep;
  r->f.check_passed = rgs_p11_report_passed(r->rep);
  r->f.check_admitted = rgs_p11_report_admitted(r->rep);
  if (!r->io->json) {
    rgs_print_report(r->io, r->rep);
    rgs_print_demo_notice(r->io, r->rep);
  }
  if (r->f.check_passed)
    return step_result(r, RGS_F2F_STEP_TOKEN, RGS_F2F_PASS, 0, "%s",
                       _("the token meets RGS**"));
  if (r->f.check_admitted)
    return step_result(r, RGS_F2F_STEP_TOKEN, RGS_F2F_PASS, 0, "%s",
                       _("DEMO device admitted by a demo policy: not a qualified device"));
  for (i = 0; i < rgs_p11_report_count(r->rep); i++) {
    const rgs_p11_criterion *c = rgs_p11_report_get(r->rep, i);
    if (c->verdict != RGS_CHECK_PASS && !c->waived && strlen(failed) + strlen(c->id) + 3 < sizeof(failed)) {
      if (failed[0] != '\0')
        strcat(failed, ", ");
      strcat(failed, c->id);
    }
  }
  return step_result(r, RGS_F2F_STEP_TOKEN, RGS_F2F_FAIL, RGS_EXIT_CHECK,
                     _("the token does not meet RGS** (%s)"), failed);
}

static int step_key(run *r)
{
  const rgs_p11_key_attrs *a;
  rgs_p11_rc rc;

  screen(r, rgs_f2f_step_title(RGS_F2F_STEP_KEY), 2);
  r->f.spki = r->spki;
  r->f.spki_len = (size_t)r->spki_len;
  r->f.csr_sha256_hex = r->csr_hex;
  out(r, _("The order's request: key SPKI SHA-256 %s\n"), r->spki_hex);
  out(r, "%s\n", _("The holder now types the token's PIN (the AED looks away)."));
  fflush(stdout);
  snprintf(r->holder_prompt, sizeof(r->holder_prompt), _("Holder: PIN of token \"%s\": "),
           rgs_p11_token_info(r->s.tok)->label);
  r->s.pin.prompt = r->holder_prompt;
  rc = rgs_p11_login(r->s.tok, RGS_PIN_USER, &r->s.pin);
  if (rc == RGS_P11_ERR_PIN_INCORRECT || rc == RGS_P11_ERR_PIN_LOCKED)
    return step_result(r, RGS_F2F_STEP_KEY, RGS_F2F_FAIL, RGS_EXIT_PIN, "%s: %s",
                       rgs_p11_strerror(rc), pin_left(rgs_p11_token_info(r->s.tok)));
  if (rc != RGS_P11_OK)
    return step_result(r, RGS_F2F_STEP_KEY, RGS_F2F_FAIL, rgs_exit_for_p11(rc), "%s%s%s",
                       rgs_p11_strerror(rc), rgs_p11_last_error(r->s.ctx)[0] != '\0' ? ": " : "",
                       rgs_p11_last_error(r->s.ctx));
  /* By public key: a label or an id proves nothing. */
  rc = rgs_p11_key_find_by_public(r->s.tok, X509_REQ_get0_pubkey(r->csr), &r->hkey);
  if (rc == RGS_P11_ERR_KEY_NOT_FOUND)
    return step_result(r, RGS_F2F_STEP_KEY, RGS_F2F_FAIL, RGS_EXIT_CHECK,
                       _("the token does not hold the private key of the order's request (SPKI SHA-256 %s)"),
                       r->spki_hex);
  if (rc != RGS_P11_OK)
    return step_result(r, RGS_F2F_STEP_KEY, RGS_F2F_FAIL, rgs_exit_for_p11(rc), "%s (%s)",
                       rgs_p11_strerror(rc), rgs_p11_last_error(r->s.ctx));
  a = rgs_p11_key_get_attrs(r->hkey);
  r->f.key_found = 1;
  r->f.key_type = a->type == RGS_KEY_RSA ? "rsa" : "ec";
  r->f.key_bits = a->bits;
  r->f.key_label = rgs_p11_key_label(r->hkey);
  return step_result(r, RGS_F2F_STEP_KEY, RGS_F2F_PASS, 0,
                     _("PIN accepted; the token holds the private key of the request (%s %u bits)"),
                     a->type == RGS_KEY_RSA ? "RSA" : "EC", a->bits);
}

static int step_pop(run *r)
{
  unsigned char nonce[32];
  EVP_MD_CTX *md = NULL;
  rgs_p11_rc rc;

  screen(r, rgs_f2f_step_title(RGS_F2F_STEP_POP), 3);
  if (RAND_bytes(nonce, sizeof(nonce)) != 1)
    return step_result(r, RGS_F2F_STEP_POP, RGS_F2F_FAIL, RGS_EXIT_INTERNAL, "%s",
                       rgs_f2f_strerror(RGS_F2F_ERR_CRYPTO));
  rgsx_hex(nonce, sizeof(nonce), r->f.nonce_hex);
  r->pop_msg = rgs_f2f_pop_message(r->id, r->spki_hex, r->f.nonce_hex, r->f.date);
  if (r->pop_msg == NULL)
    return step_result(r, RGS_F2F_STEP_POP, RGS_F2F_FAIL, RGS_EXIT_INTERNAL, "%s",
                       rgs_f2f_strerror(RGS_F2F_ERR_NOMEM));
  r->f.pop_message = r->pop_msg;
  out(r, _("Fresh challenge: %s\n"), r->f.nonce_hex);
  rc = rgs_p11_sign_sha256(r->s.tok, r->hkey, (const unsigned char *)r->pop_msg,
                           strlen(r->pop_msg), &r->pop_sig, &r->pop_sig_len);
  if (rc != RGS_P11_OK)
    return step_result(r, RGS_F2F_STEP_POP, RGS_F2F_FAIL, rgs_exit_for_p11(rc), "%s (%s)",
                       rgs_p11_strerror(rc), rgs_p11_last_error(r->s.ctx));
  r->f.pop_sig = r->pop_sig;
  r->f.pop_sig_len = r->pop_sig_len;
  /* Checked here against the request's key, not the token's word. */
  md = EVP_MD_CTX_new();
  r->f.pop_verified = md != NULL &&
      EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_REQ_get0_pubkey(r->csr)) == 1 &&
      EVP_DigestVerify(md, r->pop_sig, r->pop_sig_len, (const unsigned char *)r->pop_msg,
                       strlen(r->pop_msg)) == 1;
  EVP_MD_CTX_free(md);
  if (!r->f.pop_verified)
    return step_result(r, RGS_F2F_STEP_POP, RGS_F2F_FAIL, RGS_EXIT_CHECK, "%s",
                       _("the token's signature of the challenge does not verify with the request's key"));
  return step_result(r, RGS_F2F_STEP_POP, RGS_F2F_PASS, 0, "%s",
                     _("the token signed the fresh challenge; the signature verifies with the request's key"));
}

static int doc_valid(const void *ud, const char *s)
{
  (void)ud;
  return rgs_f2f_doc_parse(s) != RGS_F2F_DOC_NONE;
}

static int number_valid(const void *ud, const char *s)
{
  (void)ud;
  return rgs_f2f_id_number_valid(s);
}

static int step_identity(run *r)
{
  char buf[64];
  int ret, verified = 0;
  rgs_f2f_rc frc;

  screen(r, rgs_f2f_step_title(RGS_F2F_STEP_IDENTITY), 4);
  out(r, _("Holder of the order: %s\n"), r->holder_name);
  if (r->o->id_doc == RGS_F2F_DOC_NONE) {
    ret = ask(r, NULL, NULL, "--id-document",
              _("Document (id-card or passport)"), doc_valid, NULL,
              _("answer id-card (carte d'identité) or passport"), buf, sizeof(buf));
    if (ret != RGS_EXIT_OK)
      return ret;
    r->o->id_doc = rgs_f2f_doc_parse(buf);
  }
  r->f.id_doc = r->o->id_doc;
  ret = ask(r, r->o->id_name, NULL, "--id-name", _("Name as printed on the document"), text_ok,
            NULL, _("type the name as printed"), r->id_name, sizeof(r->id_name));
  if (ret == RGS_EXIT_OK)
    ret = ask(r, r->o->id_expires, NULL, "--id-expires",
              _("End of validity printed on the document (YYYY-MM-DD)"), date_ok, NULL,
              _("a date such as 2031-05-31"), r->id_expires, sizeof(r->id_expires));
  if (ret != RGS_EXIT_OK)
    return ret;
  if (r->o->id_number == NULL) {
    char number[64];
    ret = ask(r, NULL, NULL, "--id-number-file",
              _("Document number (only a salted hash and the last four characters are kept)"),
              number_valid, NULL, _("5 to 24 letters and digits"), number, sizeof(number));
    if (ret == RGS_EXIT_OK)
      r->o->id_number = strdup(number);
    rgsx_wipe(number, sizeof(number));
    if (ret != RGS_EXIT_OK)
      return ret;
    if (r->o->id_number == NULL)
      return rgs_fail(r->io, CMD, RGS_EXIT_INTERNAL, rgs_f2f_strerror(RGS_F2F_ERR_NOMEM), NULL);
  }
  if (!rgs_f2f_id_number_valid(r->o->id_number))
    return rgs_usage_error(r->io, CMD, "%s", _("the document number: 5 to 24 letters and digits"));
  frc = rgs_f2f_id_number_digest(r->o->id_number, r->f.id_salt, r->f.id_hmac, r->f.id_last4);
  if (frc != RGS_F2F_OK)
    return rgs_fail(r->io, CMD, RGS_EXIT_INTERNAL, rgs_f2f_strerror(frc),
                    _("the key derivation of the document number failed (scrypt, 32 MiB)"));
  rgsx_wipe(r->o->id_number, strlen(r->o->id_number));
  r->f.id_number_given = 1;
  ret = ask_yes_no(r, r->o->id_verified, "--id-verified",
                   _("Is the document genuine, and does its photo show the person present?"),
                   &verified);
  if (ret != RGS_EXIT_OK)
    return ret;
  r->f.id_name = r->id_name;
  r->f.id_expires = r->id_expires;
  r->f.id_verified_in_person = verified;
  r->f.id_valid_on_day = strcmp(r->id_expires, r->f.date) >= 0;
  r->f.id_name_matches =
      rgs_f2f_is_holder_name(r->order.first_name, r->order.last_name, r->id_name) ==
      RGS_F2F_NAME_HOLDER;
  if (!verified)
    return step_result(r, RGS_F2F_STEP_IDENTITY, RGS_F2F_FAIL, RGS_EXIT_CHECK, "%s",
                       _("the AED did not confirm that the document is genuine and shows the person present"));
  if (!r->f.id_valid_on_day)
    return step_result(r, RGS_F2F_STEP_IDENTITY, RGS_F2F_FAIL, RGS_EXIT_CHECK,
                       _("the %s expired on %s"), rgs_f2f_doc_label(r->f.id_doc), r->id_expires);
  if (!r->f.id_name_matches)
    return step_result(r, RGS_F2F_STEP_IDENTITY, RGS_F2F_FAIL, RGS_EXIT_CHECK,
                       _("the name on the document (%s) is not the holder of the order (%s)"),
                       r->id_name, r->holder_name);
  return step_result(r, RGS_F2F_STEP_IDENTITY, RGS_F2F_PASS, 0,
                     _("%s valid until %s, number ending %s, name matches the order"),
                     rgs_f2f_doc_label(r->f.id_doc), r->id_expires, r->f.id_last4);
}

static int step_company(run *r)
{
  int ret;

  screen(r, rgs_f2f_step_title(RGS_F2F_STEP_COMPANY), 5);
  out(r, _("Company of the order: %s (SIREN %s)\n"), r->order.company, r->order.siren);
  ret = ask(r, r->o->extract_date, NULL, "--extract-date",
            _("Date of the registration extract (YYYY-MM-DD)"), date_ok, NULL,
            _("a date such as 2026-02-15"), r->extract, sizeof(r->extract));
  if (ret != RGS_EXIT_OK)
    return ret;
  r->f.extract_date = r->extract;
  rgs_order_date_last_day_under(r->extract, RGS_ORDER_EXTRACT_MONTHS, r->f.extract_last_day,
                                sizeof(r->f.extract_last_day));
  if (strcmp(r->extract, r->f.date) > 0)
    return step_result(r, RGS_F2F_STEP_COMPANY, RGS_F2F_FAIL, RGS_EXIT_CHECK,
                       _("the registration extract is dated %s, after today"), r->extract);
  if (strcmp(r->f.date, r->f.extract_last_day) > 0)
    return step_result(r, RGS_F2F_STEP_COMPANY, RGS_F2F_FAIL, RGS_EXIT_CHECK,
                       _("the registration extract of %s is three months old or more (it was under three months until %s)"),
                       r->extract, r->f.extract_last_day);
  r->f.extract_ok = 1;
  return step_result(r, RGS_F2F_STEP_COMPANY, RGS_F2F_PASS, 0,
                     _("extract of %s, under three months old until %s"), r->extract,
                     r->f.extract_last_day);
}

/* The name typed must be the certificate's (ud: its CN), as people write
 * names. */
static int aed_name_ok(const void *ud, const char *s)
{
  return text_ok(NULL, s) && rgs_order_names_equal(s, (const char *)ud);
}

static int step_aed(run *r)
{
  const rgs_p11_slot_info *info = rgs_p11_token_info(r->aed_tok);
  char cn[256], *subject;
  int ret;

  screen(r, rgs_f2f_step_title(RGS_F2F_STEP_AED), 6);
  subject = rgs_subject_text(X509_get_subject_name(r->aed_cert));
  out(r, _("The AED's certificate: %s\n"), subject != NULL ? subject : "?");
  OPENSSL_free(subject);
  rgs_cert_cn(r->aed_cert, cn, sizeof(cn));
  ret = ask(r, r->o->aed_name, cn, "--aed-name", _("AED operator's name"), aed_name_ok, cn,
            _("the name of the AED's certificate, as it is written there"), r->aed_name,
            sizeof(r->aed_name));
  if (ret == RGS_EXIT_OK)
    ret = ask(r, r->o->office, r->office, "--office", _("AED office"), text_ok, NULL,
              _("type the office's name and address"), r->office, sizeof(r->office));
  if (ret == RGS_EXIT_OK)
    ret = ask(r, r->o->place, r->place, "--place", _("Place of the face-to-face"), text_ok, NULL,
              _("type where it takes place"), r->place, sizeof(r->place));
  if (ret != RGS_EXIT_OK)
    return ret;
  r->f.aed_cert = r->aed_cert;
  r->f.aed_name = r->aed_name;
  r->f.aed_office = r->office;
  r->f.aed_office_id = r->have_appt ? r->appt.aed.id : NULL;
  r->f.aed_token_manufacturer = info->manufacturer;
  r->f.aed_token_model = info->model;
  r->f.aed_token_serial = info->serial;
  r->f.place = r->place;
  return step_result(r, RGS_F2F_STEP_AED, RGS_F2F_PASS, 0, _("%s, %s; the record is signed with the AED's token"),
                     r->aed_name, r->office);
}

/* ---- the record --------------------------------------------------------------- */

typedef struct {
  unsigned char *der;
  size_t der_len;
  unsigned char sha[32];
  char sha_hex[65];
  int verified;
  char verify_err[512];
  char path[1024];
  int stored;
  long long record_id;
} made;

static int sign_record(run *r, made *m)
{
  rgs_f2f_token_signer signer = { r->aed_tok, r->aed_key, RGS_P11_OK };
  rgs_f2f_verified v;
  rgs_cj *rec = NULL;
  char *text = NULL, err[512];
  size_t len = 0;
  rgs_cj_rc crc;
  rgs_f2f_rc frc;
  int ret = RGS_EXIT_OK;

  r->f.signed_at = rgs_now();
  crc = rgs_f2f_record_make(&r->f, &rec);
  if (crc == RGS_CJ_OK)
    crc = rgs_cj_serialize(rec, &text, &len);
  if (crc != RGS_CJ_OK) {
    ret = rgs_fail(r->io, CMD, RGS_EXIT_INTERNAL, rgs_cj_strerror(crc), NULL);
    goto cleanup;
  }
  frc = rgs_f2f_cms_sign((const unsigned char *)text, len, r->aed_cert, NULL, r->f.signed_at,
                         rgs_f2f_token_sign, &signer, &m->der, &m->der_len, err, sizeof(err));
  if (frc == RGS_F2F_ERR_SIGNER && signer.rc != RGS_P11_OK) {
    ret = rgs_fail(r->io, CMD, rgs_exit_for_p11(signer.rc), rgs_f2f_strerror(frc),
                   rgs_p11_last_error(r->aed_ctx));
    goto cleanup;
  }
  if (frc != RGS_F2F_OK) {
    ret = rgs_fail(r->io, CMD, frc == RGS_F2F_ERR_NOMEM ? RGS_EXIT_INTERNAL : RGS_EXIT_INTERNAL,
                   rgs_f2f_strerror(frc), err);
    goto cleanup;
  }
  SHA256((const unsigned char *)text, len, m->sha);
  rgsx_hex(m->sha, sizeof(m->sha), m->sha_hex);
  /* The order moves on only on a record that verifies like any verifier's. */
  frc = rgs_f2f_verify(m->der, m->der_len, r->aeds, &v, m->verify_err, sizeof(m->verify_err));
  /* The chain was checked at the signingTime, a date the signer picks: the
   * record was made just now, so its AED certificate must be valid now too
   * (an expired or not yet valid one cannot pass by backdating). */
  if (frc == RGS_F2F_OK) {
    char why[1024] = "";
    rgs_f2f_aed_verdict now;
    frc = rgs_f2f_aed_check(r->aeds, v.signer, NULL, rgs_now(), &now, why, sizeof(why));
    if (frc != RGS_F2F_OK)
      snprintf(m->verify_err, sizeof(m->verify_err), _("the AED certificate, checked now: %s"),
               why);
  }
  m->verified = frc == RGS_F2F_OK;
  if (!m->verified && m->verify_err[0] == '\0')
    snprintf(m->verify_err, sizeof(m->verify_err), "%s", rgs_f2f_strerror(frc));
  rgs_f2f_verified_clear(&v);

cleanup:
  free(text);
  rgs_cj_free(rec);
  return ret;
}

static int store_record(run *r, made *m, int success)
{
  rgs_order_f2f_input in;
  rgs_order_doc_update du;
  rgs_order_rc rc;
  char stamp[32];
  size_t i;

  memset(&in, 0, sizeof(in));
  rgs_f2f_stamp(r->f.signed_at, stamp, sizeof(stamp));
  in.cms_der = m->der;
  in.cms_len = m->der_len;
  in.record_sha256 = m->sha_hex;
  in.spki_sha256 = r->f.results[RGS_F2F_STEP_KEY] == RGS_F2F_NOT_DONE ? NULL : r->spki_hex;
  in.signed_at = stamp;
  in.day = r->f.date;
  in.success = success;
  in.verified = m->verified;
  for (i = 0; i < RGS_F2F_N_STEPS; i++)
    if (r->f.results[i] == RGS_F2F_FAIL && in.failed_step == NULL)
      in.failed_step = rgs_f2f_step_id((rgs_f2f_step)i);
  in.reason = success ? (m->verified ? NULL : m->verify_err) : r->f.reason;
  in.aed_name = r->aed_name[0] != '\0' ? r->aed_name : NULL;
  rc = rgs_order_store_begin(r->st);
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_f2f_add(r->st, r->id, &in, &m->record_id);
  /* What the AED saw goes into the documents checklist. */
  if (rc == RGS_ORDER_OK && success && m->verified) {
    memset(&du, 0, sizeof(du));
    du.kind = RGS_DOC_ID;
    du.expires_on = r->id_expires;
    rc = rgs_order_doc_set(r->st, r->id, &du);
    if (rc == RGS_ORDER_OK) {
      memset(&du, 0, sizeof(du));
      du.kind = RGS_DOC_EXTRACT;
      du.issued_on = r->extract;
      rc = rgs_order_doc_set(r->st, r->id, &du);
    }
  }
  if (rc == RGS_ORDER_OK)
    rc = rgs_order_store_commit(r->st);
  else
    rgs_order_store_rollback(r->st);
  if (rc != RGS_ORDER_OK)
    return rgs_fail_store(r->io, CMD, rc, r->st);
  m->stored = 1;
  return RGS_EXIT_OK;
}

static void report(run *r, const made *m, int success, int ret)
{
  rgs_order now;
  rgs_json j;
  size_t i;

  if (rgs_order_get(r->st, r->id, &now) != RGS_ORDER_OK)
    now = r->order;
  if (!r->io->json) {
    if (r->interactive)
      printf("\n");
    printf(_("Record: %s (SHA-256 %s)\n"), m->path, m->sha_hex);
    rgs_f2f_print_demo_aed(r->io, r->aed_entry);
    if (success && m->verified)
      printf(_("Face-to-face DONE: the record is signed, verified and stored; order %lld is now %s.\n"),
             r->id, rgs_order_status_name(now.status));
    else if (success)
      printf(_("The record is signed but does NOT verify (%s): order %lld stays %s.\n"),
             m->verify_err, r->id, rgs_order_status_name(now.status));
    else
      printf(_("Face-to-face REFUSED: %s. The refusal is signed and stored; order %lld stays %s.\n"),
             r->f.reason, r->id, rgs_order_status_name(now.status));
    printf(_("Print the form: rgs-enroll f2f print %lld --out fiche.pdf\n"), r->id);
    return;
  }
  rgs_json_start(&j, stdout);
  rgs_json_object(&j, NULL);
  rgs_json_str(&j, "command", CMD);
  rgs_json_bool(&j, "ok", ret == RGS_EXIT_OK);
  rgs_json_int(&j, "exit", ret);
  rgs_json_int(&j, "order", r->id);
  rgs_json_int(&j, "order_id", r->id);
  rgs_json_str(&j, "result", success ? "success" : "refused");
  rgs_json_str(&j, "reason", success ? NULL : r->f.reason);
  rgs_json_bool(&j, "verified", m->verified);
  rgs_json_str(&j, "verify_error", m->verified ? NULL : m->verify_err);
  rgs_json_str(&j, "status", rgs_order_status_name(now.status));
  rgs_json_bool(&j, "demo_device", !r->f.check_passed && r->f.check_admitted);
  rgs_json_bool(&j, "demo_aed", r->aed_entry != NULL && r->aed_entry->demo);
  rgs_json_str(&j, "aed_entry", r->aed_entry != NULL ? r->aed_entry->name : NULL);
  rgs_json_object(&j, "record");
  rgs_json_str(&j, "file", m->path);
  rgs_json_str(&j, "sha256", m->sha_hex);
  rgs_json_bool(&j, "stored", m->stored);
  rgs_json_end(&j);
  rgs_json_array(&j, "steps");
  for (i = 0; i < RGS_F2F_N_STEPS; i++) {
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "id", rgs_f2f_step_id((rgs_f2f_step)i));
    rgs_json_str(&j, "result", rgs_f2f_result_name(r->f.results[i]));
    rgs_json_str(&j, "detail", r->f.details[i][0] != '\0' ? r->f.details[i] : NULL);
    rgs_json_end(&j);
  }
  rgs_json_end(&j);
  rgs_json_finish(&j);
}

/* ---- the session ------------------------------------------------------------------ */

/* Everything before a token is touched: the AED's token named, the order
 * and its request, every answer given or askable, no record file in the
 * way, the AED trust list. */
static int prepare(run *r, const made *m, rgs_p11_uri **aed_uri)
{
  char err[512];
  int ret;

  if (r->o->aed_token == NULL)
    return rgs_usage_error(r->io, CMD, "%s", _("--aed-token URI is needed: the AED's own token signs the record"));
  if (rgs_p11_uri_parse(r->o->aed_token, aed_uri, err, sizeof(err)) != RGS_P11_OK)
    return rgs_usage_error(r->io, CMD, "--aed-token: %s", err);
  ret = load_order(r);
  if (ret != RGS_EXIT_OK)
    return ret;
  defaults_from_appointment(r);
  ret = check_answers_given(r);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (!r->o->force && access(m->path, F_OK) == 0)
    return rgs_fail(r->io, CMD, RGS_EXIT_IO,
                    _("the record file exists; nothing was done (use --out or --force)"), m->path);
  return rgs_f2f_load_aeds(r->io, CMD, r->o->ca_file, r->o->ca_path, &r->aeds);
}

/* What the record says of the order. */
static void facts_from_order(run *r)
{
  r->f.ca_ref = r->order.ca_ref;
  r->f.partner = r->order.partner;
  r->f.product = r->order.product;
  r->f.validity_years = r->order.validity_years;
  r->f.first_name = r->order.first_name;
  r->f.last_name = r->order.last_name;
  r->f.email = r->order.email;
  r->f.company = r->order.company;
  r->f.company_id = r->order.company_id;
  r->f.siren = r->order.siren;
}

/* The holder's token chosen and opened, then the AED's unlocked. */
static int open_tokens(run *r, const rgs_p11_uri *aed_uri)
{
  int ret = choose_holder_token(r, aed_uri);

  if (ret != RGS_EXIT_OK)
    return ret;
  ret = rgs_session_open(&r->s, &r->hcli, CMD);
  if (ret != RGS_EXIT_OK)
    return ret;
  r->s_open = 1;
  /* --batch never asks, not even a keypad's last try: --final-try only. */
  if (r->o->batch)
    r->s.pin.confirm_final_try = NULL;
  screen(r, _("Face-to-face: the AED's token"), 0);
  out(r, _("Order %lld: %s, %s (SIREN %s), status %s\n"), r->id, r->holder_name,
      r->order.company, r->order.siren, rgs_order_status_name(r->order.status));
  ret = open_aed(r, aed_uri);
  if (ret != RGS_EXIT_OK)
    return ret;
  out(r, _("The AED's token is unlocked; its certificate is valid and listed as an AED (\"%s\", %s:%u).\n"),
      r->aed_entry->name, r->aed_entry->file, r->aed_entry->line);
  rgs_f2f_print_demo_aed(r->io, r->aed_entry);
  pause_screen(r);
  return RGS_EXIT_OK;
}

/* The holder's five steps until one fails, then the AED's. *success when
 * none failed; an unanswered question ends the session (its status). */
static int run_steps(run *r, int *success)
{
  int (*const steps[])(run *) = { step_token, step_key, step_pop, step_identity, step_company };
  int ret, step_ret = RGS_EXIT_OK;
  size_t i;

  *success = 0;
  for (i = 0; i < RGS_ARRAY_LEN(steps); i++) {
    step_ret = steps[i](r);
    if (r->f.results[i] != RGS_F2F_FAIL && step_ret != RGS_EXIT_OK)
      return step_ret;           /* no answer to a question: no session */
    if (step_ret != RGS_EXIT_OK)
      break;
    pause_screen(r);
  }
  ret = step_aed(r);
  if (ret != RGS_EXIT_OK)
    return ret;
  *success = step_ret == RGS_EXIT_OK;
  return RGS_EXIT_OK;
}

/* The record signed, written, stored and reported; the session's status. */
static int finish(run *r, made *m, int success)
{
  int ret = sign_record(r, m);

  if (ret != RGS_EXIT_OK)
    return ret;
  if (rgs_f2f_write_file(m->path, m->der, m->der_len, r->o->force) != RGS_F2F_OK)
    return rgs_fail(r->io, CMD, RGS_EXIT_IO, _("the record could not be written"), strerror(errno));
  ret = store_record(r, m, success);
  if (ret != RGS_EXIT_OK)
    return ret;
  if (!success)
    ret = r->exit_code;
  else if (!m->verified)
    ret = RGS_EXIT_CHECK;
  report(r, m, success, ret);
  return ret;
}

static void run_clear(run *r)
{
  if (r->o->id_number != NULL) {
    rgsx_wipe(r->o->id_number, strlen(r->o->id_number));
    free(r->o->id_number);
    r->o->id_number = NULL;
  }
  free(r->pop_sig);
  free(r->pop_msg);
  rgs_p11_key_free(r->hkey);
  rgs_p11_report_free(r->rep);
  rgs_p11_key_free(r->aed_key);
  X509_free(r->aed_cert);
  rgs_p11_token_close(r->aed_tok);
  rgs_p11_ctx_free(r->aed_ctx);      /* before the holder's: see open_aed */
  if (r->s_open)
    rgs_session_close(&r->s);
  rgs_f2f_aed_trust_free(r->aeds);
  OPENSSL_free(r->spki);
  X509_REQ_free(r->csr);
  rgs_order_binding_clear(&r->bind);
  rgs_order_store_close(r->st);
  free(r->holder_uri);
}

int rgs_f2f_run(rgs_io *io, long long id, rgs_f2f_run_opts *o)
{
  run r;
  made m;
  rgs_p11_uri *aed_uri = NULL;
  const char *today;
  int ret, success = 0;

  memset(&r, 0, sizeof(r));
  memset(&m, 0, sizeof(m));
  r.io = io;
  r.o = o;
  r.id = id;
  r.interactive = !o->batch && !io->json && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  r.f.order_id = id;
  rgs_order_date_of(rgs_now(), r.f.date, sizeof(r.f.date));
  today = r.f.date;
  if (o->out != NULL)
    snprintf(m.path, sizeof(m.path), "%s", o->out);
  else
    snprintf(m.path, sizeof(m.path), "f2f-%lld-%.4s%.2s%.2s.p7m", id, today, today + 5, today + 8);

  ret = prepare(&r, &m, &aed_uri);
  if (ret != RGS_EXIT_OK)
    goto cleanup;
  facts_from_order(&r);
  ret = open_tokens(&r, aed_uri);
  if (ret == RGS_EXIT_OK)
    ret = run_steps(&r, &success);
  if (ret == RGS_EXIT_OK)
    ret = finish(&r, &m, success);

cleanup:
  free(m.der);
  run_clear(&r);
  rgs_p11_uri_free(aed_uri);
  return ret;
}
