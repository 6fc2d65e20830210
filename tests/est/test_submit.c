/* SPDX-License-Identifier: BSD-3-Clause */
/* test_submit.c - the holder's second half of the journey through the
 * command: an order with its request bound (order new, start --order),
 * submit to a file or over EST to the real TLS test responder, the CA's
 * "not yet" recorded and shown by status, --wait, every failure an EST
 * exchange can meet, then install from what EST brought back, and renew
 * with TLS client authentication through the token. */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "est_fixture.h"
#include "rgs_order.h"
#include "rgs_test.h"

typedef struct {
  rgs_softhsm hsm;
  est_fixture est;
  char policy[600], db[600], code[600], csr[600], out[600];
  const char *env[4];
} fixture;

#define ENROLL(r, f, input, ...)                                                             \
  rgs_enroll((r), NULL, (input), "--db", (f)->db, "--policy", (f)->policy, "--pin-file",    \
             (f)->hsm.pin_file, __VA_ARGS__, NULL)

static void ok_run(rgs_run_result *r)
{
  rgs_assert_status(r, RGS_EXIT_OK);
  rgs_run_free(r);
}

static char *json_of(rgs_run_result *r, const char *path)
{
  return rgs_json_get(r->out, path);
}

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));
  rgs_run_result r;

  assert_non_null(f);
  assert_int_equal(rgs_softhsm_init(&f->hsm, "submit"), 0);
  setenv("RGS_ENROLL_MODULE", rgs_env("SOFTHSM2_MODULE"), 1);
  assert_int_equal(est_fixture_init(&f->est, f->hsm.dir), 0);
  snprintf(f->policy, sizeof(f->policy), "%s/data/policy/demo-softhsm.conf",
           rgs_env("RGS_SOURCE_DIR"));
  snprintf(f->db, sizeof(f->db), "%s/orders.db", f->hsm.dir);
  snprintf(f->code, sizeof(f->code), "%s/code", f->hsm.dir);
  snprintf(f->csr, sizeof(f->csr), "%s/req.csr", f->hsm.dir);
  snprintf(f->out, sizeof(f->out), "%s/upload.csr", f->hsm.dir);
  assert_int_equal(rgs_write_file(f->code, "R3TR-1EV4L\n"), 0);
  ENROLL(&r, f, NULL, "order", "new", "--partner", "cma", "--holder-first-name", "Jean",
         "--holder-last-name", "Dupont", "--email", "jean.dupont@example.fr", "--company", "ACME",
         "--siren", "732829320", "--payment", "carte", "--accept-cgu", "--ca-ref", "CMD-2026-0042");
  ok_run(&r);
  ENROLL(&r, f, NULL, "start", "--order", "1", "--key-type", "ec:p256", "--out", f->csr);
  ok_run(&r);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  est_fixture_cleanup(&f->est);
  rgs_softhsm_cleanup(&f->hsm);
  free(f);
  return 0;
}

static void serve(fixture *f, const char *script)
{
  assert_int_equal(est_fixture_start(&f->est, script, 0, NULL), 0);
}

#define SUBMIT_EST(r, f, ...)                                                                \
  ENROLL(r, f, NULL, "--json", "submit", "1", "--est", (f)->est.url, "--ca-file",           \
         (f)->est.ca_file, "--code-file", (f)->code, "--timeout", "5", ##__VA_ARGS__)

#define SUBMIT_EST_ENV(r, f, env, ...)                                                        \
  rgs_enroll((r), (env), NULL, "--db", (f)->db, "--policy", (f)->policy, "--pin-file",       \
             (f)->hsm.pin_file, "--json", "submit", "1", "--est", (f)->est.url, "--ca-file",   \
             (f)->est.ca_file, "--code-file", (f)->code, "--timeout", "5", ##__VA_ARGS__, NULL)

/* The floor between two requests, lowered from 60 s to 1 s for the tests
 * (never lower than 1 s), and the cap on requests per run, lowered to 3. */
static const char *const floor_1s[] = { "RGS_ENROLL_EST_FLOOR=1", NULL };
static const char *const floor_1s_cap_3[] = { "RGS_ENROLL_EST_FLOOR=1", "RGS_ENROLL_EST_MAX_TRIES=3",
                                              NULL };

/* submit --json --est ... run under timeout(1) as a safety net only: a
 * client that would sleep for a century is killed (status 137) and the
 * test fails instead of hanging. The waits themselves follow the client's
 * exit. */
static void submit_bounded(rgs_run_result *r, fixture *f, const char *const *env,
                           const char *const *extra)
{
  const char *argv[48] = { "/usr/bin/timeout", "-s", "KILL", "60", rgs_env("RGS_ENROLL_BIN"),
                           "--db", f->db, "--policy", f->policy, "--pin-file", f->hsm.pin_file,
                           "--json", "submit", "1", "--est", f->est.url, "--ca-file",
                           f->est.ca_file, "--code-file", f->code, "--timeout", "5", NULL };
  size_t n = 22, i;

  for (i = 0; extra != NULL && extra[i] != NULL && n < 47; i++)
    argv[n++] = extra[i];
  argv[n] = NULL;
  assert_int_equal(rgs_run(argv, env, NULL, r), 0);
  if (r->status == 128 + 9)
    fail_msg("the client was still running after 60 s (killed):\n%s", r->err);
}

static long json_long(rgs_run_result *r, const char *path)
{
  char *v = json_of(r, path);
  long n;

  if (v == NULL)
    fail_msg("no %s in:\n%s", path, r->out);
  n = atol(v);
  free(v);
  return n;
}

static char *order_status(fixture *f)
{
  rgs_run_result r;
  char *v;

  ENROLL(&r, f, NULL, "--json", "status", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "orders.0.status");
  rgs_run_free(&r);
  return v;
}

/* The face-to-face as its record lands in the store (the AED's session
 * itself, rgs-enroll f2f run, is tested with the face-to-face commands):
 * a verified record of the bound key. */
static void record_face_to_face(fixture *f)
{
  rgs_order_store *st = NULL;
  rgs_order_binding b;
  static const unsigned char cms[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
  char err[256], now[32], today[16];
  time_t t = time(NULL);
  struct tm tm;
  int found = 0;

  strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
  strftime(today, sizeof(today), "%Y-%m-%d", &tm);
  assert_int_equal(rgs_order_store_open_existing(f->db, &st, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_binding_get(st, 1, &b, &found), RGS_ORDER_OK);
  assert_true(found);
  {
    rgs_order_f2f_input in = { cms, sizeof(cms),
                               "0000000000000000000000000000000000000000000000000000000000000000",
                               b.spki_sha256, now, today, 1, 1, NULL, NULL, "Test AED" };
    assert_int_equal(rgs_order_f2f_add(st, 1, &in, NULL), RGS_ORDER_OK);
  }
  rgs_order_binding_clear(&b);
  rgs_order_store_close(st);
}

/* The face-to-face and the originals, recorded as the holder would. */
static void through_documents(fixture *f)
{
  char today[16], extract[16];
  time_t now = time(NULL), then = now - 10 * 86400;
  struct tm tm;
  rgs_run_result r;

  strftime(today, sizeof(today), "%Y-%m-%d", gmtime_r(&now, &tm));
  strftime(extract, sizeof(extract), "%Y-%m-%d", gmtime_r(&then, &tm));
  record_face_to_face(f);
  ENROLL(&r, f, NULL, "order", "docs", "1", "--set", "request-form", "--state", "ready");
  ok_run(&r);
  ENROLL(&r, f, NULL, "order", "docs", "1", "--set", "intervention-form", "--state", "ready");
  ok_run(&r);
  ENROLL(&r, f, NULL, "order", "docs", "1", "--set", "id-document", "--expires", "2035-01-01");
  ok_run(&r);
  ENROLL(&r, f, NULL, "order", "docs", "1", "--set", "registration-extract", "--date", extract);
  ok_run(&r);
  ENROLL(&r, f, NULL, "order", "docs", "1", "--sent", today);
  ok_run(&r);
}

/* ---- to a file ------------------------------------------------------------ */

static void test_submit_to_file(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *v, *csr, *written;

  ENROLL(&r, f, NULL, "--json", "submit", "1", "--out", f->out);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = json_of(&r, "status");
  assert_string_equal(v, "submitted");
  free(v);
  rgs_run_free(&r);
  csr = rgs_read_file(f->csr, NULL);
  written = rgs_read_file(f->out, NULL);
  assert_non_null(written);
  assert_string_equal(csr, written);
  free(csr);
  free(written);
  /* Again: same file, nothing to do, no error. */
  ENROLL(&r, f, NULL, "submit", "1", "--out", f->out);
  rgs_expect(&r, RGS_EXIT_OK, "upload this file");
  /* Another file in the way is kept unless --force. */
  assert_int_equal(rgs_write_file(f->out, "something else\n"), 0);
  ENROLL(&r, f, NULL, "submit", "1", "--out", f->out);
  rgs_expect(&r, RGS_EXIT_IO, "exists");
  ENROLL(&r, f, NULL, "submit", "1", "--out", f->out, "--force");
  rgs_expect(&r, RGS_EXIT_OK, NULL);
  v = order_status(f);
  assert_string_equal(v, "submitted");
  free(v);
}

static void test_submit_needs_a_bound_request(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  ENROLL(&r, f, NULL, "order", "new", "--partner", "CMA", "--holder-first-name", "Anne",
         "--holder-last-name", "Martin", "--email", "anne@example.fr", "--company", "ACME",
         "--siren", "732829320", "--payment", "virement", "--accept-cgu");
  ok_run(&r);
  ENROLL(&r, f, NULL, "submit", "2");
  rgs_expect(&r, RGS_EXIT_CHECK, "bind a certificate request");
  ENROLL(&r, f, NULL, "submit", "99");
  rgs_expect(&r, RGS_EXIT_USAGE, NULL);
  ENROLL(&r, f, NULL, "submit", "1", "--wait");
  rgs_expect(&r, RGS_EXIT_USAGE, "go with --est");
}

/* ---- over EST ------------------------------------------------------------- */

static void test_est_200_then_install(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *v;

  ENROLL(&r, f, NULL, "order", "set", "1", "--status", "submitted");
  ok_run(&r);
  through_documents(f);
  serve(f, "200\n");
  SUBMIT_EST(&r, f, "--wait");
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = json_of(&r, "pending");
  assert_string_equal(v, "false");
  free(v);
  v = json_of(&r, "status");
  assert_string_equal(v, "issued");
  free(v);
  rgs_run_free(&r);
  /* The order reference and the retrieval code went as Basic credentials:
   * base64("CMD-2026-0042:R3TR-1EV4L"). */
  assert_int_equal(est_fixture_logged(&f->est, "auth=Basic Q01ELTIwMjYtMDA0MjpSM1RSLTFFVjRM"), 1);
  /* install takes what EST brought back, and the CA kept with it. */
  ENROLL(&r, f, NULL, "--json", "install", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = json_of(&r, "status");
  assert_string_equal(v, "installed");
  free(v);
  rgs_run_free(&r);
  v = order_status(f);
  assert_string_equal(v, "installed");
  free(v);
  ENROLL(&r, f, NULL, "install", "1");
  rgs_expect(&r, RGS_EXIT_OK, "nothing was changed");
  /* Installed: a new certificate comes through renew, not submit. */
  SUBMIT_EST(&r, f);
  rgs_expect(&r, RGS_EXIT_CHECK, "use rgs-enroll renew");
}

static void test_est_202_recorded_shown_then_200(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *v;

  serve(f, "202 120\n200\n");
  SUBMIT_EST(&r, f);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = json_of(&r, "pending");
  assert_string_equal(v, "true");
  free(v);
  v = json_of(&r, "retry_after");
  assert_string_equal(v, "120");
  free(v);
  rgs_run_free(&r);
  /* The order knows it is pending and when to ask again. */
  ENROLL(&r, f, NULL, "--json", "status", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "orders.0.status");
  assert_string_equal(v, "submitted");
  free(v);
  v = rgs_json_get(r.out, "orders.0.est.pending");
  assert_string_equal(v, "true");
  free(v);
  v = rgs_json_get(r.out, "orders.0.est.next_try_at");
  assert_non_null(v);
  assert_int_equal(strlen(v), 20);
  free(v);
  rgs_run_free(&r);
  ENROLL(&r, f, NULL, "status", "1");
  rgs_expect(&r, RGS_EXIT_OK, "next try");
  /* Asked again before the time the CA gave, on purpose (--now): issued. */
  SUBMIT_EST(&r, f, "--now");
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = json_of(&r, "pending");
  assert_string_equal(v, "false");
  free(v);
  rgs_run_free(&r);
  ENROLL(&r, f, NULL, "--json", "status", "1");
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = rgs_json_get(r.out, "orders.0.est.pending");
  assert_string_equal(v, "false");
  free(v);
  rgs_run_free(&r);
}

static void test_est_wait_polls_after_retry_after(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  time_t t0 = time(NULL);
  char *v;

  serve(f, "202 1\n202 1\n200\n");
  SUBMIT_EST_ENV(&r, f, floor_1s, "--wait");
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = json_of(&r, "tries");
  assert_string_equal(v, "3");
  free(v);
  assert_contains(r.err, "asking again in 1 s");
  rgs_run_free(&r);
  assert_true(time(NULL) - t0 >= 2);       /* never sooner than Retry-After */
  assert_int_equal(est_fixture_logged(&f->est, "POST /.well-known/est/simpleenroll"), 3);
}

static void test_est_failures(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *v;

  serve(f, "401\n400\nctype\ngarbage\n200-unwrapped\n");
  SUBMIT_EST(&r, f);
  rgs_assert_status(&r, RGS_EXIT_NETWORK);
  v = json_of(&r, "error.http_status");
  assert_string_equal(v, "401");
  free(v);
  assert_contains(r.err, "refused the credentials");
  rgs_run_free(&r);
  SUBMIT_EST(&r, f);
  rgs_expect(&r, RGS_EXIT_NETWORK, "does not match the order");
  SUBMIT_EST(&r, f);
  rgs_expect(&r, RGS_EXIT_NETWORK, "content type");
  SUBMIT_EST(&r, f);
  rgs_expect(&r, RGS_EXIT_NETWORK, "not a base64 PKCS#7");
  /* Unwrapped base64 is valid EST. */
  SUBMIT_EST(&r, f);
  rgs_expect(&r, RGS_EXIT_OK, NULL);
}

/* Credentials, a query or a fragment in the URL: refused before anything is
 * sent (libcurl would send user:password@ itself), and never echoed. */
static void test_est_url_with_credentials_refused(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char url[256];

  serve(f, "200\n");
  snprintf(url, sizeof(url), "https://a:b@127.0.0.1:%d/", f->est.port);
  ENROLL(&r, f, NULL, "submit", "1", "--est", url, "--ca-file", f->est.ca_file, "--code-file",
         f->code);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  assert_contains(r.err, "user name or password");
  assert_not_contains(r.err, "a:b@");
  assert_not_contains(r.out, "a:b@");
  rgs_run_free(&r);
  snprintf(url, sizeof(url), "https://127.0.0.1:%d/.well-known/est?code=R3TR", f->est.port);
  ENROLL(&r, f, NULL, "submit", "1", "--est", url, "--ca-file", f->est.ca_file, "--code-file",
         f->code);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  assert_contains(r.err, "query");
  assert_not_contains(r.err, "R3TR");
  rgs_run_free(&r);
  snprintf(url, sizeof(url), "https://127.0.0.1:%d/#frag", f->est.port);
  ENROLL(&r, f, NULL, "renew", "1", "--est", url, "--ca-file", f->est.ca_file);
  rgs_expect(&r, RGS_EXIT_USAGE, "fragment");
  assert_int_equal(est_fixture_logged(&f->est, "GET"), 0);
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 0);
}

static void test_est_untrusted_server(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  assert_int_equal(est_fixture_start(&f->est, "200\n", 1, NULL), 0);
  SUBMIT_EST(&r, f);
  /* A sentence of ours; libcurl's words on the detail line. */
  rgs_assert_says(&r, "  detail: https://127.0.0.1:");
  rgs_expect(&r, RGS_EXIT_NETWORK, "is not trusted by this computer");
  assert_int_equal(est_fixture_logged(&f->est, "GET"), 0);
}

/* A port of 127.0.0.1 where nothing listens (bound then closed). */
static int closed_port(void)
{
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  int fd = socket(AF_INET, SOCK_STREAM, 0), port;

  assert_true(fd >= 0);
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  port = ntohs(a.sin_port);
  close(fd);
  return port;
}

/* libcurl's English is the detail under our sentence, never the sentence:
 * the first line of stderr holds none of it, in English and in French. */
static void test_est_unreachable_phrased(void **state)
{
  static const char *const fr[] = { "LANGUAGE=fr", "LC_ALL=C.UTF-8", NULL };
  static const char *const en[] = { "LANGUAGE=", "LC_ALL=C.UTF-8", NULL };
  const char *const *envs[] = { en, fr };
  fixture *f = *state;
  rgs_run_result r;
  char url[128], *v, *nl;
  size_t i;

  snprintf(url, sizeof(url), "https://127.0.0.1:%d/", closed_port());
  for (i = 0; i < 2; i++) {
    rgs_enroll(&r, envs[i], NULL, "--db", f->db, "--policy", f->policy, "--pin-file",
               f->hsm.pin_file, "submit", "1", "--est", url, "--ca-file", f->est.ca_file,
               "--code-file", f->code, "--timeout", "5", NULL);
    rgs_assert_status(&r, RGS_EXIT_NETWORK);
    nl = strchr(r.err, '\n');
    assert_non_null(nl);
    *nl = '\0';
    assert_not_contains(r.err, "Failed to connect");
    assert_not_contains(r.err, "Couldn't connect");
    if (envs[i] == en)
      assert_contains(r.err, "the certification authority's server cannot be reached");
    *nl = '\n';
    assert_contains(nl, "127.0.0.1");      /* the detail line: libcurl's own words */
    rgs_run_free(&r);
  }
  ENROLL(&r, f, NULL, "--json", "submit", "1", "--est", url, "--ca-file", f->est.ca_file,
         "--code-file", f->code, "--timeout", "5");
  rgs_assert_status(&r, RGS_EXIT_NETWORK);
  v = json_of(&r, "error.code");
  assert_string_equal(v, "cannot-connect");
  free(v);
  v = json_of(&r, "error.detail");
  assert_contains(v, url);
  free(v);
  rgs_run_free(&r);
}

static void test_est_hanging_server(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  time_t t0 = time(NULL);

  serve(f, "hang\n");
  ENROLL(&r, f, NULL, "submit", "1", "--est", f->est.url, "--ca-file", f->est.ca_file,
         "--code-file", f->code, "--timeout", "2");
  rgs_expect(&r, RGS_EXIT_NETWORK, "did not answer in time");
  assert_true(time(NULL) - t0 < 10);
}

/* /cacerts not chaining to the anchors: only a fingerprint makes it trusted. */
static void test_est_ca_fingerprint(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char fp[200], *p;

  /* TLS from the "other" CA, given as --ca-file; the EST CA is unknown. */
  assert_int_equal(est_fixture_start(&f->est, "200\n", 1, NULL), 0);
  ENROLL(&r, f, NULL, "submit", "1", "--est", f->est.url, "--ca-file", f->est.other_ca_file,
         "--code-file", f->code);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  p = strstr(r.err, "SHA-256 ");
  assert_non_null(p);
  snprintf(fp, sizeof(fp), "%.95s", p + 8);
  assert_contains(r.err, "--ca-fingerprint");
  rgs_run_free(&r);
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 0);
  ENROLL(&r, f, NULL, "submit", "1", "--est", f->est.url, "--ca-file", f->est.other_ca_file,
         "--code-file", f->code, "--ca-fingerprint", "00:11:22");
  rgs_expect(&r, RGS_EXIT_CHECK, "matches none");
  ENROLL(&r, f, NULL, "--json", "submit", "1", "--est", f->est.url, "--ca-file",
         f->est.other_ca_file, "--code-file", f->code, "--ca-fingerprint", fp);
  rgs_expect(&r, RGS_EXIT_OK, NULL);
}

/* Run rgs-enroll on a pseudo-terminal, answer `answer` to the first prompt
 * that contains `prompt`, then the retrieval code; the exit status. */
static int on_terminal(fixture *f, const char *prompt, const char *answer, char *seen,
                       size_t cap)
{
  const char *argv[] = { rgs_env("RGS_ENROLL_BIN"), "--db", f->db, "submit", "1", "--est",
                         f->est.url, "--ca-file", f->est.other_ca_file, NULL };
  struct pollfd pf;
  size_t len = 0;
  int fd, status = 0, answered = 0, coded = 0;
  pid_t pid = forkpty(&fd, NULL, NULL, NULL);

  assert_true(pid >= 0);
  if (pid == 0) {
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  pf.fd = fd;
  pf.events = POLLIN;
  seen[0] = '\0';
  while (poll(&pf, 1, 20000) > 0) {
    ssize_t n = read(fd, seen + len, cap - 1 - len);
    if (n <= 0)
      break;
    len += (size_t)n;
    seen[len] = '\0';
    if (!answered && strstr(seen, prompt) != NULL) {
      answered = write(fd, answer, strlen(answer)) > 0;
    } else if (answered && !coded && strstr(seen, "Retrieval code") != NULL) {
      coded = write(fd, "R3TR-1EV4L\n", 11) > 0;
    }
  }
  waitpid(pid, &status, 0);
  close(fd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void test_est_fingerprint_confirmed_at_terminal(void **state)
{
  fixture *f = *state;
  char seen[8192];

  assert_int_equal(est_fixture_start(&f->est, "200\n", 1, NULL), 0);
  assert_int_equal(on_terminal(f, "Type YES", "no\n", seen, sizeof(seen)), 1);
  assert_contains(seen, "SHA-256");
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 0);
  assert_int_equal(on_terminal(f, "Type YES", "YES\n", seen, sizeof(seen)), 0);
  assert_not_contains(seen, "R3TR-1EV4L");        /* the code was not echoed */
  assert_contains(seen, "certificate received");
}

static void test_est_code_sources(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  serve(f, "401\n");
  /* No terminal, no file: nothing is sent. */
  ENROLL(&r, f, NULL, "submit", "1", "--est", f->est.url, "--ca-file", f->est.ca_file);
  rgs_expect(&r, RGS_EXIT_PIN, "retrieval code could not be read");
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 0);
  /* From a descriptor. */
  ENROLL(&r, f, "FROM-FD-CODE\n", "submit", "1", "--est", f->est.url, "--ca-file",
         f->est.ca_file, "--code-fd", "0");
  rgs_expect(&r, RGS_EXIT_NETWORK, NULL);
  assert_int_equal(est_fixture_logged(&f->est, "auth=Basic Q01ELTIwMjYtMDA0MjpGUk9NLUZELUNPREU="), 1);
  ENROLL(&r, f, NULL, "submit", "1", "--est", "http://127.0.0.1:1", "--code-file", f->code);
  rgs_expect(&r, RGS_EXIT_USAGE, "https://");
}

/* ---- install with an order --------------------------------------------------- */

/* A certificate from the test CA for the token key of order 1. */
static void issue_file(fixture *f, const char *subject, const char *path)
{
  EVP_PKEY *pub = tpki_csr_pubkey(f->csr);
  time_t now = time(NULL);
  tpki_leaf spec = { subject, now - 3600, now - 3600 + 3 * 365 * TPKI_DAY, NULL, 0, 0, NULL,
                     NULL, 0 };
  X509 *cert = tpki_issue(&f->est.ca, pub, &spec);
  X509 *chain[] = { cert, f->est.ca.cert, NULL };

  assert_non_null(cert);
  assert_int_equal(tpki_write_pem(path, chain), 0);
  X509_free(cert);
  EVP_PKEY_free(pub);
}

#define HOLDER "C=FR,O=ACME,OU=0002 732829320,CN=Jean DUPONT"

static void test_install_order_refused_before_documents(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char cert[700], *v;

  snprintf(cert, sizeof(cert), "%s/issued.pem", f->hsm.dir);
  issue_file(f, HOLDER, cert);
  ENROLL(&r, f, NULL, "install", "1", "--cert", cert, "--ca-file", f->est.ca_file);
  rgs_expect(&r, RGS_EXIT_CHECK, "cannot be installed for it now");
  v = order_status(f);
  assert_string_equal(v, "csr-linked");
  free(v);
}

static void test_install_order_subject_must_match(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char cert[700];

  ENROLL(&r, f, NULL, "order", "set", "1", "--status", "submitted");
  ok_run(&r);
  through_documents(f);
  snprintf(cert, sizeof(cert), "%s/issued.pem", f->hsm.dir);
  issue_file(f, "C=FR,O=ACME,OU=0002 732829320,CN=Paul MARTIN", cert);
  ENROLL(&r, f, NULL, "--json", "install", "1", "--cert", cert, "--ca-file", f->est.ca_file);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.out, "\"id\":\"cert.subject\",\"title\"");
  rgs_run_free(&r);
}

/* Pulled out at the proof: the order stays as it was; the same command
 * again finishes the job. */
static void test_install_order_token_removed_then_again(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char cert[700], real[700], *v;
  const char *env[] = { real, "RGS_FAULT_REMOVE_AT=C_SignInit:1", NULL };

  ENROLL(&r, f, NULL, "order", "set", "1", "--status", "submitted");
  ok_run(&r);
  through_documents(f);
  snprintf(cert, sizeof(cert), "%s/issued.pem", f->hsm.dir);
  snprintf(real, sizeof(real), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  issue_file(f, HOLDER, cert);
  rgs_enroll(&r, env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--db", f->db,
             "--pin-file", f->hsm.pin_file, "install", "1", "--cert", cert, "--ca-file",
             f->est.ca_file, NULL);
  rgs_expect(&r, RGS_EXIT_TOKEN, "order was not changed");
  v = order_status(f);
  assert_string_equal(v, "documents-sent");
  free(v);
  ENROLL(&r, f, NULL, "--json", "install", "1", "--cert", cert, "--ca-file", f->est.ca_file);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = json_of(&r, "certificate_written");
  assert_string_equal(v, "false");          /* it was whole on the token already */
  free(v);
  rgs_run_free(&r);
  v = order_status(f);
  assert_string_equal(v, "installed");
  free(v);
}

/* Authenticated by the holder's current certificate on the token instead of
 * the retrieval code. */
static void test_est_with_client_certificate(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char cert[700];

  assert_int_equal(est_fixture_start(&f->est, "200\n", 0, f->est.ca_file), 0);
  /* Without a certificate of the holder on the token: refused, nothing sent. */
  ENROLL(&r, f, NULL, "submit", "1", "--est", f->est.url, "--ca-file", f->est.ca_file,
         "--client-cert");
  rgs_expect(&r, RGS_EXIT_CHECK, "no valid certificate");
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 0);
  snprintf(cert, sizeof(cert), "%s/previous.pem", f->hsm.dir);
  issue_file(f, HOLDER, cert);
  ENROLL(&r, f, NULL, "install", "--cert", cert, "--ca-file", f->est.ca_file);
  ok_run(&r);
  ENROLL(&r, f, NULL, "--json", "submit", "1", "--est", f->est.url, "--ca-file", f->est.ca_file,
         "--client-cert");
  rgs_expect(&r, RGS_EXIT_OK, "\"pending\":false");
  assert_int_equal(est_fixture_logged(&f->est, "POST /.well-known/est/simpleenroll auth=- ct=application/pkcs10 client=Jean DUPONT"), 1);
  ENROLL(&r, f, NULL, "submit", "1", "--est", f->est.url, "--client-cert", "--code-file", f->code);
  rgs_expect(&r, RGS_EXIT_USAGE, "no --code");
}

/* A key that wants the PIN at every signature (CKA_ALWAYS_AUTHENTICATE):
 * libp11 would ask for it itself at the terminal, outside the PIN rules.
 * Refused for TLS client authentication, with one login only and nothing
 * sent. */
static void test_client_cert_always_authenticate_refused(void **state)
{
  fixture *f = *state;
  const char *gen[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                        "--keypairgen", "--key-type", "EC:prime256v1", "--always-auth",
                        "--usage-sign", "--id", "0b", "--label", "aa", "--login", "--pin",
                        RGS_TEST_PIN, NULL };
  char pubfile[700], certfile[700], real[700], count[700], countenv[760];
  const char *readpub[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                            "--read-object", "--type", "pubkey", "--id", "0b", "-o", pubfile,
                            NULL };
  const char *writecert[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                              "--login", "--pin", RGS_TEST_PIN, "--write-object", certfile,
                              "--type", "cert", "--id", "0b", "--label", "aa", NULL };
  const char *env[] = { real, countenv, NULL };
  time_t now = time(NULL);
  tpki_leaf spec = { HOLDER, now - 3600, now + 300 * TPKI_DAY, NULL, 0, 0, NULL, NULL, 0 };
  rgs_run_result r;
  EVP_PKEY *pub;
  X509 *cert;
  FILE *fp;
  char *calls, *p;
  int logins = 0;

  snprintf(pubfile, sizeof(pubfile), "%s/aa-pub.der", f->hsm.dir);
  snprintf(certfile, sizeof(certfile), "%s/aa-cert.der", f->hsm.dir);
  snprintf(count, sizeof(count), "%s/calls", f->hsm.dir);
  snprintf(real, sizeof(real), "RGS_FAULT_REAL=%s", rgs_env("SOFTHSM2_MODULE"));
  snprintf(countenv, sizeof(countenv), "RGS_FAULT_COUNT_FILE=%s", count);
  assert_int_equal(rgs_run(gen, NULL, NULL, &r), 0);
  rgs_assert_status(&r, 0);
  rgs_run_free(&r);
  assert_int_equal(rgs_run(readpub, NULL, NULL, &r), 0);
  rgs_assert_status(&r, 0);
  rgs_run_free(&r);
  fp = fopen(pubfile, "rb");
  assert_non_null(fp);
  pub = d2i_PUBKEY_fp(fp, NULL);
  fclose(fp);
  assert_non_null(pub);
  cert = tpki_issue(&f->est.ca, pub, &spec);
  assert_non_null(cert);
  fp = fopen(certfile, "wb");
  assert_non_null(fp);
  assert_int_equal(i2d_X509_fp(fp, cert), 1);
  fclose(fp);
  X509_free(cert);
  EVP_PKEY_free(pub);
  assert_int_equal(rgs_run(writecert, NULL, NULL, &r), 0);
  rgs_assert_status(&r, 0);
  rgs_run_free(&r);

  assert_int_equal(est_fixture_start(&f->est, "200\n", 0, f->est.ca_file), 0);
  rgs_enroll(&r, env, NULL, "--module", rgs_env("RGS_FAULT_MODULE"), "--db", f->db,
             "--policy", f->policy, "--pin-file", f->hsm.pin_file, "submit", "1", "--est",
             f->est.url, "--ca-file", f->est.ca_file, "--client-cert", NULL);
  rgs_expect(&r, RGS_EXIT_CHECK, "this key asks for the PIN at every signature; it cannot authenticate a TLS connection unattended");
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 0);
  calls = rgs_read_file(count, NULL);
  assert_non_null(calls);
  for (p = calls; (p = strstr(p, "C_Login\n")) != NULL; p++)
    logins++;
  free(calls);
  assert_true(logins <= 1);
}

/* ---- renew ------------------------------------------------------------------ */

static int private_keys(void)
{
  const char *argv[] = { rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                         "--login", "--pin", RGS_TEST_PIN, "--list-objects", "--type",
                         "privkey", NULL };
  rgs_run_result r;
  int n = 0;
  const char *p;

  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  for (p = r.out; (p = strstr(p, "Private Key Object")) != NULL; p++)
    n++;
  rgs_run_free(&r);
  return n;
}

static void installed_order(fixture *f)
{
  rgs_run_result r;

  ENROLL(&r, f, NULL, "order", "set", "1", "--status", "submitted");
  ok_run(&r);
  through_documents(f);
  SUBMIT_EST(&r, f);
  ok_run(&r);
  ENROLL(&r, f, NULL, "install", "1");
  ok_run(&r);
}

static void test_renew_with_client_certificate(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *v;

  assert_int_equal(est_fixture_start(&f->est, "200\n", 0, f->est.ca_file), 0);
  installed_order(f);
  assert_int_equal(private_keys(), 1);
  ENROLL(&r, f, NULL, "--json", "renew", "1", "--est", f->est.url, "--ca-file", f->est.ca_file,
         "--key-type", "ec:p256");
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = json_of(&r, "signature_verified");
  assert_string_equal(v, "true");
  free(v);
  rgs_run_free(&r);
  assert_int_equal(private_keys(), 2);
  /* The server saw the holder's certificate on the TLS connection. */
  assert_int_equal(est_fixture_logged(&f->est, "POST /.well-known/est/simplereenroll auth=- ct=application/pkcs10 client=Jean DUPONT"), 1);
}

static void test_renew_refused_leaves_no_key(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  assert_int_equal(est_fixture_start(&f->est, "200\n400\n", 0, f->est.ca_file), 0);
  installed_order(f);
  ENROLL(&r, f, NULL, "renew", "1", "--est", f->est.url, "--ca-file", f->est.ca_file,
         "--key-type", "ec:p256");
  rgs_expect(&r, RGS_EXIT_NETWORK, "new key pair made by this run was removed");
  assert_int_equal(private_keys(), 1);
}

static void test_renew_needs_current_certificate(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  serve(f, "200\n");
  ENROLL(&r, f, NULL, "renew", "1", "--est", f->est.url, "--ca-file", f->est.ca_file);
  rgs_expect(&r, RGS_EXIT_CHECK, "no valid certificate");
  assert_int_equal(private_keys(), 1);
  ENROLL(&r, f, NULL, "renew", "1");
  rgs_expect(&r, RGS_EXIT_USAGE, "--est");
}


/* ---- hostile Retry-After, pacing, the recorded next try --------------------- */

#define MONTH (30L * 24 * 3600)

/* Item 8: a Retry-After far away (delay-seconds that overflow a long, an
 * HTTP-date in year 9999) is clamped, never overflows (UBSan), and is never
 * waited for past --wait-max: one request, pending, at once. */
static void test_est_huge_retry_after_bounded(void **state)
{
  fixture *f = *state;
  const char *const args[] = { "--wait", "--wait-max", "20", NULL };
  rgs_run_result r;
  time_t t0 = time(NULL);
  char *v;

  serve(f, "202 99999999999999999999\n202 Fri, 31 Dec 9999 23:59:59 GMT\n200\n");
  submit_bounded(&r, f, NULL, args);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = json_of(&r, "pending");
  assert_string_equal(v, "true");
  free(v);
  assert_int_equal(json_long(&r, "retry_after"), MONTH);
  assert_int_equal(json_long(&r, "tries"), 1);
  assert_contains(r.err, "--wait-max");
  rgs_run_free(&r);
  assert_true(time(NULL) - t0 < 20);
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 1);
  /* The same with the HTTP-date, asked on purpose (--now). */
  {
    const char *const again[] = { "--wait", "--wait-max", "20", "--now", NULL };
    submit_bounded(&r, f, NULL, again);
    rgs_assert_status(&r, RGS_EXIT_OK);
    assert_int_equal(json_long(&r, "retry_after"), MONTH);
    rgs_run_free(&r);
  }
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 2);
}

/* Item 9: "Retry-After: 0", a date in the past or a missing value never
 * make the client hammer the server: at least the floor between two
 * requests (60 s by default, 1 s here), at most the cap of requests per
 * run. The server counts what it received. */
static void test_est_floor_between_tries(void **state)
{
  fixture *f = *state;
  const char *const args[] = { "--wait", "--wait-max", "3", NULL };
  rgs_run_result r;
  time_t t0, t1;
  int posts;

  serve(f, "202 0\n202 Thu, 01 Jan 1970 00:00:00 GMT\n");
  t0 = time(NULL);
  submit_bounded(&r, f, floor_1s, args);
  t1 = time(NULL);
  posts = est_fixture_logged(&f->est, "POST");
  /* One request, then one per floor at most, within the run. */
  if (posts > (int)(t1 - t0) + 2)
    fail_msg("%d requests in %ld s with a floor of 1 s", posts, (long)(t1 - t0));
  assert_true(posts >= 2);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_int_equal(json_long(&r, "retry_after"), 1);
  rgs_run_free(&r);
}

static void test_est_cap_on_tries(void **state)
{
  fixture *f = *state;
  const char *const args[] = { "--wait", "--wait-max", "30", NULL };
  rgs_run_result r;
  time_t t0 = time(NULL);
  char *v;

  serve(f, "202 0\n");
  submit_bounded(&r, f, floor_1s_cap_3, args);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = json_of(&r, "pending");
  assert_string_equal(v, "true");
  free(v);
  assert_int_equal(json_long(&r, "tries"), 3);
  rgs_run_free(&r);
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 3);
  /* Two floors between the three requests. */
  assert_true(time(NULL) - t0 >= 2);
}

/* The default floor, without the test setting: "Retry-After: 0" is taken
 * as 60 s, so --wait-max 5 allows no second request. */
static void test_est_default_floor(void **state)
{
  fixture *f = *state;
  const char *const args[] = { "--wait", "--wait-max", "5", NULL };
  rgs_run_result r;

  serve(f, "202 0\n");
  submit_bounded(&r, f, NULL, args);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_int_equal(json_long(&r, "retry_after"), 60);
  assert_int_equal(json_long(&r, "tries"), 1);
  rgs_run_free(&r);
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 1);
  /* A test setting of 0 is no floor at all: refused, the default stays. */
  {
    const char *const zero[] = { "RGS_ENROLL_EST_FLOOR=0", NULL };
    const char *const now[] = { "--wait", "--wait-max", "5", "--now", NULL };
    submit_bounded(&r, f, zero, now);
    rgs_assert_status(&r, RGS_EXIT_OK);
    assert_int_equal(json_long(&r, "retry_after"), 60);
    rgs_run_free(&r);
  }
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 2);
}

/* A Retry-After that is not one: the default delay (5 minutes). */
static void test_est_garbage_retry_after(void **state)
{
  fixture *f = *state;
  const char *const args[] = { "--wait", "--wait-max", "5", NULL };
  rgs_run_result r;

  serve(f, "202 soon\n");
  submit_bounded(&r, f, floor_1s, args);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_int_equal(json_long(&r, "retry_after"), 300);
  rgs_run_free(&r);
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 1);
}

/* Item 10: the next try the order recorded holds across runs (RFC 7030
 * 4.2.3): before it, submit says when and sends nothing (not even
 * /cacerts), unless --wait allows waiting for it; --now asks at once. */
static void test_est_second_run_honours_next_try(void **state)
{
  fixture *f = *state;
  rgs_run_result r;
  char *v, *next;

  serve(f, "202 120\n200\n");
  SUBMIT_EST(&r, f);
  rgs_assert_status(&r, RGS_EXIT_OK);
  next = json_of(&r, "next_try_at");
  assert_non_null(next);
  rgs_run_free(&r);
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 1);
  assert_int_equal(est_fixture_logged(&f->est, "GET"), 1);
  /* Again at once: nothing sent, the same time given back. */
  SUBMIT_EST(&r, f);
  rgs_assert_status(&r, RGS_EXIT_OK);
  v = json_of(&r, "pending");
  assert_string_equal(v, "true");
  free(v);
  v = json_of(&r, "next_try_at");
  assert_string_equal(v, next);
  free(v);
  assert_int_equal(json_long(&r, "tries"), 0);
  assert_true(json_long(&r, "retry_after") > 100);
  rgs_run_free(&r);
  ENROLL(&r, f, NULL, "submit", "1", "--est", f->est.url, "--ca-file", f->est.ca_file,
         "--code-file", f->code);
  /* The time in words for people, never the ISO stamp of --json. */
  assert_null(strstr(r.out != NULL ? r.out : "", next));
  rgs_expect(&r, RGS_EXIT_OK, "asked to be asked again after");
  /* --wait within a --wait-max shorter than what is left: nothing sent. */
  SUBMIT_EST(&r, f, "--wait", "--wait-max", "5");
  rgs_expect(&r, RGS_EXIT_OK, "\"pending\":true");
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 1);
  assert_int_equal(est_fixture_logged(&f->est, "GET"), 1);
  /* --now: asked at once. */
  SUBMIT_EST(&r, f, "--now");
  rgs_expect(&r, RGS_EXIT_OK, "\"pending\":false");
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 2);
  free(next);
}

/* The recorded time within --wait-max: waited for, then asked. */
static void test_est_second_run_waits_for_next_try(void **state)
{
  fixture *f = *state;
  /* The events of that first wait on stderr, as the window reads them. */
  const char *const args[] = { "--wait", "--wait-max", "30", "--progress-fd", "2", NULL };
  rgs_run_result r;
  time_t t0;

  serve(f, "202 3\n200\n");
  SUBMIT_EST_ENV(&r, f, floor_1s);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_int_equal(json_long(&r, "retry_after"), 3);
  rgs_run_free(&r);
  t0 = time(NULL);
  submit_bounded(&r, f, floor_1s, args);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "\"pending\":false");
  assert_contains(r.err, "asking again at");
  assert_contains(r.err, "{\"event\":\"start\",\"step\":\"submit-wait\"");
  assert_contains(r.err, "{\"event\":\"done\",\"step\":\"submit-wait\",\"ok\":true");
  rgs_run_free(&r);
  assert_true(time(NULL) - t0 >= 1);
  assert_int_equal(est_fixture_logged(&f->est, "POST"), 2);
}

/* Item 11 and item 3, through the command: "too large", and the server's
 * words without escapes. */
static void test_est_too_large_and_hostile_text(void **state)
{
  fixture *f = *state;
  rgs_run_result r;

  serve(f, "huge\nhostile\n");
  SUBMIT_EST(&r, f);
  rgs_assert_status(&r, RGS_EXIT_NETWORK);
  assert_contains(r.err, "too large");
  assert_not_contains(r.err, "PKCS#7");
  rgs_run_free(&r);
  SUBMIT_EST(&r, f);
  rgs_assert_status(&r, RGS_EXIT_NETWORK);
  assert_contains(r.err, "denied");
  assert_null(strchr(r.err, '\x1b'));
  assert_not_contains(r.err, "\xe2\x80\xae");
  assert_not_contains(r.out, "\xe2\x80\xae");
  assert_not_contains(r.err, "\xc2\x9b");
  rgs_run_free(&r);
}

/* renew meets the same server: a huge Retry-After is not waited for, the
 * new key made by the run is removed. */
static void test_renew_huge_retry_after(void **state)
{
  fixture *f = *state;
  const char *argv[] = { "/usr/bin/timeout", "-s", "KILL", "60", rgs_env("RGS_ENROLL_BIN"),
                         "--db", f->db, "--policy", f->policy, "--pin-file", f->hsm.pin_file,
                         "renew", "1", "--est", f->est.url, "--ca-file", f->est.ca_file,
                         "--key-type", "ec:p256", "--wait", "--wait-max", "20", NULL };
  rgs_run_result r;

  assert_int_equal(est_fixture_start(&f->est, "200\n202 99999999999999999999\n", 0,
                                     f->est.ca_file), 0);
  installed_order(f);
  assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
  rgs_expect(&r, RGS_EXIT_NETWORK, "not issued the new certificate yet");
  assert_int_equal(private_keys(), 1);
  assert_int_equal(est_fixture_logged(&f->est, "POST /.well-known/est/simplereenroll"), 1);
}

/* ---- no secret held through the recorded wait (review item 2) -------------- */

/* The next try order 1 recorded, read from the store itself. */
static time_t recorded_next_try(fixture *f)
{
  rgs_order_store *st = NULL;
  time_t next = 0;
  int pending = 0;
  char err[256];

  assert_int_equal(rgs_order_store_open_existing(f->db, &st, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_est_next_try(st, 1, &next, &pending), RGS_ORDER_OK);
  rgs_order_store_close(st);
  assert_true(pending);
  return next;
}

typedef struct {
  int status;
  time_t drained;              /* when the client had taken the secret from the pipe */
  char err[16384];
  char out_file[700];
} piped_run;

/* Append what the client's stderr has now; 0 at its end. */
static int read_err(int fd, piped_run *p, size_t *len, int timeout_ms)
{
  struct pollfd pf = { fd, POLLIN, 0 };
  ssize_t n;

  if (poll(&pf, 1, timeout_ms) <= 0)
    return 1;
  n = read(fd, p->err + *len, sizeof(p->err) - 1 - *len);
  if (n <= 0)
    return 0;
  *len += (size_t)n;
  p->err[*len] = '\0';
  return 1;
}

/* Run rgs-enroll with args (after the safety net timeout(1) and the
 * binary), the secret's descriptor being 3, a pipe that stays empty until
 * the client says it waits for the recorded next try ("asking again at
 * that time"). Then the secret is written, and the pipe watched until the
 * client has read all of it (FIONREAD 0): p->drained is the time then. */
static void run_secret_on_pipe(const char *const *args, const char *secret, piped_run *p)
{
  const char *argv[48] = { "/usr/bin/timeout", "-s", "KILL", "60", rgs_env("RGS_ENROLL_BIN") };
  int sec[2], errp[2], out, waiting = 1, open_err = 1, left = 1, st = 0;
  size_t n = 5, i, len = 0;
  pid_t pid;

  for (i = 0; args[i] != NULL && n < 47; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  p->err[0] = '\0';
  p->drained = 0;
  assert_int_equal(pipe(sec), 0);
  assert_int_equal(pipe(errp), 0);
  out = open(p->out_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true(out >= 0);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    setsid();
    dup2(null, 0);
    dup2(out, 1);
    dup2(errp[1], 2);
    if (sec[0] != 3) {
      dup2(sec[0], 3);
      close(sec[0]);
    }
    close(sec[1]);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  close(out);
  close(errp[1]);
  signal(SIGPIPE, SIG_IGN);
  while (waiting && open_err) {
    open_err = read_err(errp[0], p, &len, 60000);
    waiting = strstr(p->err, "asking again at that time") == NULL;
  }
  if (waiting)
    fail_msg("the client never said it waits for the recorded next try:\n%s", p->err);
  assert_int_equal(write(sec[1], secret, strlen(secret)), (ssize_t)strlen(secret));
  close(sec[1]);
  /* Sampled while the client's stderr is read: the time noted can only be
   * later than the read, never earlier. */
  while (left > 0 && open_err) {
    assert_int_equal(ioctl(sec[0], FIONREAD, &left), 0);
    if (left == 0)
      p->drained = time(NULL);
    else
      open_err = read_err(errp[0], p, &len, 10);
  }
  while (open_err)
    open_err = read_err(errp[0], p, &len, -1);
  close(errp[0]);
  close(sec[0]);
  waitpid(pid, &st, 0);
  p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  if (p->drained == 0)
    fail_msg("the client never read the secret (exit %d):\n%s", p->status, p->err);
}

static void expect_issued_after(piped_run *p, time_t next)
{
  char *out = rgs_read_file(p->out_file, NULL);

  if (p->status != RGS_EXIT_OK)
    fail_msg("exit %d\n%s\n%s", p->status, out != NULL ? out : "", p->err);
  assert_non_null(out);
  assert_contains(out, "\"pending\":false");
  free(out);
  /* The secret left the pipe only once the wait for the recorded next try
   * was over: never held through it. */
  if (p->drained < next)
    fail_msg("the secret was read %ld s before the recorded next try, then held through the wait",
             (long)(next - p->drained));
}

/* --wait with the retrieval code on a pipe (--code-fd): the code is read
 * after the wait for the time the CA gave, not before it. */
static void test_est_code_read_after_the_wait(void **state)
{
  fixture *f = *state;
  piped_run *p = calloc(1, sizeof(*p));
  rgs_run_result r;
  time_t next;

  assert_non_null(p);
  serve(f, "202 6\n200\n");
  SUBMIT_EST_ENV(&r, f, floor_1s);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_int_equal(json_long(&r, "retry_after"), 6);
  rgs_run_free(&r);
  next = recorded_next_try(f);
  snprintf(p->out_file, sizeof(p->out_file), "%s/piped.out", f->hsm.dir);
  {
    const char *const args[] = { "--db", f->db, "--policy", f->policy, "--json", "submit", "1",
                                 "--est", f->est.url, "--ca-file", f->est.ca_file, "--code-fd",
                                 "3", "--timeout", "5", "--wait", "--wait-max", "60", NULL };
    run_secret_on_pipe(args, "R3TR-1EV4L\n", p);
  }
  expect_issued_after(p, next);
  /* The code read from the pipe went out as the Basic password. */
  assert_int_equal(est_fixture_logged(&f->est, "auth=Basic Q01ELTIwMjYtMDA0MjpSM1RSLTFFVjRM"), 2);
  free(p);
}

/* The same with --client-cert: the token is logged in (PIN on a pipe,
 * --pin-fd) after the wait. */
static void test_est_token_login_after_the_wait(void **state)
{
  fixture *f = *state;
  piped_run *p = calloc(1, sizeof(*p));
  rgs_run_result r;
  char cert[700];
  time_t next;

  assert_non_null(p);
  assert_int_equal(est_fixture_start(&f->est, "202 6\n200\n", 0, f->est.ca_file), 0);
  snprintf(cert, sizeof(cert), "%s/previous.pem", f->hsm.dir);
  issue_file(f, HOLDER, cert);
  ENROLL(&r, f, NULL, "install", "--cert", cert, "--ca-file", f->est.ca_file);
  ok_run(&r);
  rgs_enroll(&r, floor_1s, NULL, "--db", f->db, "--policy", f->policy, "--pin-file",
             f->hsm.pin_file, "--json", "submit", "1", "--est", f->est.url, "--ca-file",
             f->est.ca_file, "--client-cert", "--timeout", "5", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_int_equal(json_long(&r, "retry_after"), 6);
  rgs_run_free(&r);
  next = recorded_next_try(f);
  snprintf(p->out_file, sizeof(p->out_file), "%s/piped.out", f->hsm.dir);
  {
    const char *const args[] = { "--db", f->db, "--policy", f->policy, "--pin-fd", "3", "--json",
                                 "submit", "1", "--est", f->est.url, "--ca-file", f->est.ca_file,
                                 "--client-cert", "--timeout", "5", "--wait", "--wait-max", "60",
                                 NULL };
    run_secret_on_pipe(args, RGS_TEST_PIN "\n", p);
  }
  expect_issued_after(p, next);
  assert_int_equal(est_fixture_logged(&f->est, "POST /.well-known/est/simpleenroll auth=- ct=application/pkcs10 client=Jean DUPONT"), 2);
  free(p);
}

/* Review item 17: the test settings of the pace, when refused, are named
 * but their value is made printable first (whoever set the environment
 * wrote it). */
static void test_est_hostile_test_setting(void **state)
{
  fixture *f = *state;
  const char *const env[] = { "RGS_ENROLL_EST_FLOOR=\x1b]0;owned\x07\x1b[2J\xe2\x80\xae" "5",
                              "RGS_ENROLL_EST_MAX_TRIES=\x9b" "31m\xc2\x9b" "1m\x1b[31m2", NULL };
  const char *const args[] = { "--wait", "--wait-max", "5", NULL };
  rgs_run_result r;

  serve(f, "202 0\n");
  submit_bounded(&r, f, env, args);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.err, "RGS_ENROLL_EST_FLOOR=");
  assert_contains(r.err, "RGS_ENROLL_EST_MAX_TRIES=");
  assert_contains(r.err, "ignored");
  assert_null(strchr(r.err, '\x1b'));
  assert_null(strchr(r.err, '\x07'));
  assert_not_contains(r.err, "\xe2\x80\xae");
  assert_null(strchr(r.err, '\x9b'));
  assert_not_contains(r.err, "\xc2\x9b");
  /* Refused: the defaults hold (60 s floor). */
  assert_int_equal(json_long(&r, "retry_after"), 60);
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_est_unreachable_phrased, setup, teardown),
    cmocka_unit_test_setup_teardown(test_submit_to_file, setup, teardown),
    cmocka_unit_test_setup_teardown(test_submit_needs_a_bound_request, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_200_then_install, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_202_recorded_shown_then_200, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_wait_polls_after_retry_after, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_failures, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_url_with_credentials_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_untrusted_server, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_hanging_server, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_ca_fingerprint, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_code_sources, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_fingerprint_confirmed_at_terminal, setup, teardown),
    cmocka_unit_test_setup_teardown(test_install_order_refused_before_documents, setup, teardown),
    cmocka_unit_test_setup_teardown(test_install_order_subject_must_match, setup, teardown),
    cmocka_unit_test_setup_teardown(test_install_order_token_removed_then_again, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_with_client_certificate, setup, teardown),
    cmocka_unit_test_setup_teardown(test_client_cert_always_authenticate_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_renew_with_client_certificate, setup, teardown),
    cmocka_unit_test_setup_teardown(test_renew_refused_leaves_no_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_renew_needs_current_certificate, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_huge_retry_after_bounded, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_floor_between_tries, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_cap_on_tries, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_default_floor, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_garbage_retry_after, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_second_run_honours_next_try, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_second_run_waits_for_next_try, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_too_large_and_hostile_text, setup, teardown),
    cmocka_unit_test_setup_teardown(test_renew_huge_retry_after, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_code_read_after_the_wait, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_token_login_after_the_wait, setup, teardown),
    cmocka_unit_test_setup_teardown(test_est_hostile_test_setting, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
