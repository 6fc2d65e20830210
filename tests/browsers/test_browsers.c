/* SPDX-License-Identifier: BSD-3-Clause */
/* test_browsers.c - rgs-enroll browsers in a fake home: a SoftHSM2 token
 * holding a key and its certificate, Chromium's ~/.pki/nssdb (absent: made
 * by --add), a Firefox profile tree with two profiles, one locked as a
 * running Firefox locks it. NSS's own tools are the oracle: certutil lists
 * the token's certificate through the registered module, modutil -rawlist
 * gives the module lists to compare, tstclnt authenticates with the token's
 * key to openssl s_server. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "rgs_test.h"
#include "testpki.h"

#define SUBJECT "C=FR,O=ACME,OU=0002 732829320,CN=Jean DUPONT"
#define NICK "browsers:jean"     /* token label : certificate label */

typedef struct {
  rgs_softhsm hsm;
  char ca_pem[600], srv_pem[600], srv_key[600];
  char request[600];            /* an HTTP request for tstclnt -A */
} fixture;

/* One fake home per test. */
typedef struct {
  char *dir;
  char home_env[600];
  char chromium[600], ff_default[600], ff_work[600];
  int lock_fd;                  /* holds b.work/.parentlock as Firefox does */
} home;

static fixture *F;

/* ---- tools ---------------------------------------------------------------- */

static void run_ok(const char *const *argv, const char *input, rgs_run_result *r)
{
  assert_int_equal(rgs_run(argv, NULL, input, r), 0);
  if (r->status != 0)
    print_error("%s: exit %d\n%s\n%s\n", argv[0], r->status, r->out, r->err);
  assert_int_equal(r->status, 0);
}

static void tool(const char *const *argv)
{
  rgs_run_result r;

  run_ok(argv, NULL, &r);
  rgs_run_free(&r);
}

/* modutil -rawlist: the module list as NSS reads it. Free with free(). */
static char *rawlist(const char *dir)
{
  char db[700];
  rgs_run_result r;
  char *out;

  snprintf(db, sizeof(db), "sql:%s", dir);
  run_ok((const char *const[]){ rgs_env("MODUTIL"), "-rawlist", "-dbdir", db, NULL }, NULL, &r);
  out = strdup(r.out);
  rgs_run_free(&r);
  /* The internal module's parameters carry the flags it was opened with
   * (readOnly here): the same for every call, kept as they are. */
  return out;
}

/* certutil -L -h all: every certificate NSS sees, tokens included. */
static char *cert_listing(const char *dir)
{
  char db[700];
  rgs_run_result r;
  char *out;

  snprintf(db, sizeof(db), "sql:%s", dir);
  assert_int_equal(rgs_run((const char *const[]){ rgs_env("CERTUTIL"), "-L", "-h", "all", "-d", db,
                                                  "-f", F->hsm.pin_file, NULL },
                           NULL, NULL, &r),
                   0);
  out = strdup(r.out);
  rgs_run_free(&r);
  return out;
}

static void new_nssdb(const char *dir)
{
  char db[700];

  assert_int_equal(mkdir(dir, 0700), 0);
  snprintf(db, sizeof(db), "sql:%s", dir);
  tool((const char *const[]){ rgs_env("CERTUTIL"), "-N", "--empty-password", "-d", db, NULL });
}

static char *file_or_empty(const char *dir, const char *name)
{
  char path[700];
  char *text;

  snprintf(path, sizeof(path), "%s/%s", dir, name);
  text = rgs_read_file(path, NULL);
  return text != NULL ? text : strdup("");
}

/* A binary file whole. */
static char *read_whole(const char *dir, const char *name, size_t *len)
{
  char path[700];
  char *data;

  snprintf(path, sizeof(path), "%s/%s", dir, name);
  data = rgs_read_file(path, len);
  assert_non_null(data);
  return data;
}

/* ---- the fake home -------------------------------------------------------- */

static void home_make(home *h, int lock_work)
{
  char path[700];
  struct flock fl;

  memset(h, 0, sizeof(*h));
  h->lock_fd = -1;
  h->dir = rgs_tmpdir();
  snprintf(h->home_env, sizeof(h->home_env), "HOME=%s", h->dir);
  snprintf(h->chromium, sizeof(h->chromium), "%s/.pki/nssdb", h->dir);
  snprintf(path, sizeof(path), "%s/.mozilla", h->dir);
  assert_int_equal(mkdir(path, 0700), 0);
  snprintf(path, sizeof(path), "%s/.mozilla/firefox", h->dir);
  assert_int_equal(mkdir(path, 0700), 0);
  snprintf(path, sizeof(path), "%s/.mozilla/firefox/profiles.ini", h->dir);
  assert_int_equal(rgs_write_file(path, "[Install4F96D1932A9F858E]\nDefault=a.default\n\n"
                                        "[Profile1]\nName=work\nIsRelative=1\nPath=b.work\n\n"
                                        "[Profile0]\nName=default\nIsRelative=1\nPath=a.default\n"
                                        "Default=1\n\n[General]\nStartWithLastProfile=1\n"),
                   0);
  snprintf(h->ff_default, sizeof(h->ff_default), "%s/.mozilla/firefox/a.default", h->dir);
  snprintf(h->ff_work, sizeof(h->ff_work), "%s/.mozilla/firefox/b.work", h->dir);
  new_nssdb(h->ff_default);
  new_nssdb(h->ff_work);
  if (!lock_work)
    return;
  /* Firefox's lock: a write lock on .parentlock held while it runs. */
  snprintf(path, sizeof(path), "%s/.parentlock", h->ff_work);
  h->lock_fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  assert_true(h->lock_fd >= 0);
  memset(&fl, 0, sizeof(fl));
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  assert_int_equal(fcntl(h->lock_fd, F_SETLK, &fl), 0);
}

static void home_unlock(home *h)
{
  if (h->lock_fd >= 0)
    close(h->lock_fd);
  h->lock_fd = -1;
}

static void home_free(home *h)
{
  home_unlock(h);
  rgs_rmrf(h->dir);
  free(h->dir);
}

/* rgs-enroll --module SOFTHSM [--json] browsers ARGS... in home h. */
static void browsers(rgs_run_result *r, const home *h, const char *module, int json,
                     const char *a1, const char *a2)
{
  const char *env[] = { h->home_env, NULL };
  const char *args[8];
  size_t n = 0;

  args[n++] = "--module";
  args[n++] = module != NULL ? module : rgs_env("SOFTHSM2_MODULE");
  if (json)
    args[n++] = "--json";
  args[n++] = "browsers";
  if (a1 != NULL)
    args[n++] = a1;
  if (a2 != NULL)
    args[n++] = a2;
  args[n] = NULL;
  assert_int_equal(rgs_enroll_v(r, env, NULL, args), 0);
}

/* ---- TLS client authentication -------------------------------------------- */

/* openssl s_server on 127.0.0.1, any port, one connection, asking for a
 * client certificate issued by the test CA. Waits for its ACCEPT line. */
static pid_t server_start(int *port, FILE **out)
{
  int p[2];
  pid_t pid;
  char line[256];

  assert_int_equal(pipe(p), 0);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(p[1], 1);
    close(p[0]);
    execl(rgs_env("OPENSSL_BIN"), "openssl", "s_server", "-accept", "127.0.0.1:0", "-cert",
          F->srv_pem, "-key", F->srv_key, "-CAfile", F->ca_pem, "-Verify", "1", "-www",
          "-naccept", "1", (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  *out = fdopen(p[0], "r");
  assert_non_null(*out);
  *port = 0;
  while (*port == 0 && fgets(line, sizeof(line), *out) != NULL) {
    if (strncmp(line, "ACCEPT 127.0.0.1:", 17) == 0)
      *port = atoi(line + 17);
  }
  assert_true(*port > 0);
  return pid;
}

/* tstclnt with the database dir and the token's certificate: 1 when the
 * server saw the client certificate. */
static int tls_client_auth(const char *dir)
{
  char db[700], port_s[16];
  rgs_run_result r;
  FILE *out = NULL;
  int port, ok, status;
  pid_t pid = server_start(&port, &out);

  snprintf(db, sizeof(db), "sql:%s", dir);
  snprintf(port_s, sizeof(port_s), "%d", port);
  assert_int_equal(rgs_run((const char *const[]){ rgs_env("TSTCLNT"), "-h", "127.0.0.1", "-p",
                                                  port_s, "-d", db, "-n", NICK, "-W",
                                                  F->hsm.pin_file, "-o", "-A", F->request,
                                                  NULL },
                           NULL, NULL, &r),
                   0);
  /* s_server -www describes the session, the client certificate included. */
  ok = r.status == 0 && strstr(r.out, "Client certificate") != NULL &&
       strstr(r.out, "Jean DUPONT") != NULL;
  rgs_run_free(&r);
  kill(pid, SIGTERM);    /* when the handshake failed it still waits */
  waitpid(pid, &status, 0);
  fclose(out);
  return ok;
}

/* ---- fixture -------------------------------------------------------------- */

/* A key and its certificate written on the token with pkcs11-tool. */
static void token_with_certificate(fixture *f, const tpki_ca *ca)
{
  char key_pem[600], cert_der[600];
  EVP_PKEY *key = tpki_ec_key();
  tpki_leaf spec = { SUBJECT, time(NULL) - TPKI_DAY, time(NULL) + 30 * TPKI_DAY, NULL, 0, 0,
                     NULL, NULL, 0 };
  X509 *cert;

  assert_non_null(key);
  cert = tpki_issue(ca, key, &spec);
  assert_non_null(cert);
  snprintf(key_pem, sizeof(key_pem), "%s/jean.key", f->hsm.dir);
  snprintf(cert_der, sizeof(cert_der), "%s/jean.der", f->hsm.dir);
  assert_int_equal(tpki_write_key_pem(key_pem, key), 0);
  assert_int_equal(tpki_write_der(cert_der, cert), 0);
  tool((const char *const[]){ rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                              "--login", "--pin", RGS_TEST_PIN, "--write-object", key_pem,
                              "--type", "privkey", "--id", "01", "--label", "jean", NULL });
  tool((const char *const[]){ rgs_env("PKCS11_TOOL"), "--module", rgs_env("SOFTHSM2_MODULE"),
                              "--login", "--pin", RGS_TEST_PIN, "--write-object", cert_der,
                              "--type", "cert", "--id", "01", "--label", "jean", NULL });
  unlink(key_pem);
  X509_free(cert);
  EVP_PKEY_free(key);
}

static void server_certificate(fixture *f, const tpki_ca *ca)
{
  EVP_PKEY *key = tpki_ec_key();
  tpki_leaf spec = { "CN=127.0.0.1", time(NULL) - TPKI_DAY, time(NULL) + 30 * TPKI_DAY, NULL,
                     0, 1, "localhost", NULL, 0 };
  X509 *cert;

  assert_non_null(key);
  cert = tpki_issue(ca, key, &spec);
  assert_non_null(cert);
  snprintf(f->srv_pem, sizeof(f->srv_pem), "%s/srv.pem", f->hsm.dir);
  snprintf(f->srv_key, sizeof(f->srv_key), "%s/srv.key", f->hsm.dir);
  assert_int_equal(tpki_write_pem(f->srv_pem, (X509 *const[]){ cert, NULL }), 0);
  assert_int_equal(tpki_write_key_pem(f->srv_key, key), 0);
  X509_free(cert);
  EVP_PKEY_free(key);
}

static int group_setup(void **state)
{
  fixture *f = calloc(1, sizeof(*f));
  tpki_ca ca;

  (void)state;
  assert_non_null(f);
  F = f;
  assert_int_equal(rgs_softhsm_init(&f->hsm, "browsers"), 0);
  assert_int_equal(tpki_ca_new(&ca, "Test Root", NULL, 3650), 0);
  snprintf(f->ca_pem, sizeof(f->ca_pem), "%s/ca.pem", f->hsm.dir);
  assert_int_equal(tpki_write_pem(f->ca_pem, (X509 *const[]){ ca.cert, NULL }), 0);
  token_with_certificate(f, &ca);
  /* From a file: on an empty stdin tstclnt never ends. */
  snprintf(f->request, sizeof(f->request), "%s/request", f->hsm.dir);
  assert_int_equal(rgs_write_file(f->request, "GET / HTTP/1.0\r\n\r\n"), 0);
  server_certificate(f, &ca);
  tpki_ca_free(&ca);
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  rgs_softhsm_cleanup(&F->hsm);
  free(F);
  return 0;
}

/* ---- tests ---------------------------------------------------------------- */

/* Before --add the browsers do not see the token: the client authentication
 * fails (the test can fail). --add registers p11-kit's proxy in Chromium's
 * new database and the default profile, leaves the running profile alone
 * (exit 8); NSS then lists the certificate and tstclnt authenticates with
 * the token's key. */
static void test_add_then_tls(void **state)
{
  rgs_run_result r;
  home h;
  char *work_before, *work_db_before, *after, *listing;
  size_t db_len_before, db_len_after;
  struct stat st;

  (void)state;
  home_make(&h, 1);
  assert_false(tls_client_auth(h.ff_default));
  work_before = file_or_empty(h.ff_work, "pkcs11.txt");
  work_db_before = read_whole(h.ff_work, "cert9.db", &db_len_before);

  browsers(&r, &h, NULL, 0, "--add", NULL);
  assert_contains(r.out, "p11-kit's proxy");
  assert_contains(r.out, "Firefox is running on this profile: nothing was changed");
  rgs_expect(&r, RGS_EXIT_IO, "module added");

  /* Chromium's database made as Chromium makes it. */
  assert_int_equal(stat(h.chromium, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  after = rawlist(h.chromium);
  assert_contains(after, "name=\"p11-kit-proxy (rgs-enroll)\"");
  free(after);
  listing = cert_listing(h.ff_default);
  assert_contains(listing, NICK);
  free(listing);
  listing = cert_listing(h.chromium);
  assert_contains(listing, NICK);
  free(listing);
  assert_true(tls_client_auth(h.ff_default));
  assert_true(tls_client_auth(h.chromium));

  /* The running profile: not a byte changed, and no TLS through it. */
  after = file_or_empty(h.ff_work, "pkcs11.txt");
  assert_string_equal(after, work_before);
  free(after);
  after = read_whole(h.ff_work, "cert9.db", &db_len_after);
  assert_int_equal(db_len_after, db_len_before);
  assert_memory_equal(after, work_db_before, db_len_before);
  free(after);
  assert_false(tls_client_auth(h.ff_work));
  free(work_before);
  free(work_db_before);
  home_free(&h);
}

/* --add twice changes nothing the second time; once Firefox is closed the
 * profile it held is done; --status then says every browser sees the
 * certificate (text and JSON); --remove gives back the module lists of
 * before --add. */
static void test_idempotent_status_remove(void **state)
{
  rgs_run_result r;
  home h;
  char *before_default, *first, *second;
  char *j;

  (void)state;
  home_make(&h, 1);
  before_default = rawlist(h.ff_default);
  browsers(&r, &h, NULL, 0, "--status", NULL);
  rgs_expect(&r, RGS_EXIT_CHECK, "module not registered");

  browsers(&r, &h, NULL, 0, "--add", NULL);
  rgs_run_free(&r);
  first = file_or_empty(h.ff_default, "pkcs11.txt");
  browsers(&r, &h, NULL, 0, "--add", NULL);
  assert_not_contains(r.out, "module added");
  rgs_expect(&r, RGS_EXIT_IO, "already registered: nothing changed");
  second = file_or_empty(h.ff_default, "pkcs11.txt");
  assert_string_equal(first, second);
  free(first);
  free(second);

  /* Firefox still running: the status says its profile lacks the module. */
  browsers(&r, &h, NULL, 1, "--status", NULL);
  assert_int_equal(r.status, RGS_EXIT_CHECK);
  rgs_assert_json(r.out, "browsers.0.browser", "chromium");
  rgs_assert_json(r.out, "browsers.0.certificate_visible", "true");
  rgs_assert_json(r.out, "browsers.1.profile", "work");
  rgs_assert_json(r.out, "browsers.1.running", "true");
  rgs_assert_json(r.out, "browsers.1.registered", "false");
  rgs_run_free(&r);

  home_unlock(&h);
  browsers(&r, &h, NULL, 0, "--add", NULL);
  rgs_expect(&r, RGS_EXIT_OK, "module added");
  browsers(&r, &h, NULL, 0, "--status", NULL);
  assert_not_contains(r.out, "NOT");
  rgs_expect(&r, RGS_EXIT_OK, "token seen, its certificate is visible");
  browsers(&r, &h, NULL, 1, "--status", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "action", "status");
  rgs_assert_json(r.out, "module.proxy", "true");
  rgs_assert_json(r.out, "token_found", "true");
  rgs_assert_json(r.out, "token_certificates", "1");
  for (int i = 0; i < 3; i++) {
    char key[64];
    snprintf(key, sizeof(key), "browsers.%d.certificate_visible", i);
    rgs_assert_json(r.out, key, "true");
    snprintf(key, sizeof(key), "browsers.%d.module_name", i);
    rgs_assert_json(r.out, key, "p11-kit-proxy (rgs-enroll)");
  }
  rgs_run_free(&r);

  browsers(&r, &h, NULL, 1, "--remove", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "browsers.1.outcome", "removed");
  rgs_run_free(&r);
  j = rawlist(h.ff_default);
  assert_string_equal(j, before_default);
  free(j);
  j = rawlist(h.chromium);
  assert_not_contains(j, "rgs-enroll");
  free(j);
  /* Removing needs no module: ours are known by their name. */
  browsers(&r, &h, "/nonexistent/module.so", 0, "--remove", NULL);
  rgs_expect(&r, RGS_EXIT_OK, "nothing registered by rgs-enroll: nothing changed");
  free(before_default);
  home_free(&h);
}

/* A module the person registered themselves: --add adds nothing beside it,
 * --remove leaves it. */
static void test_theirs_stays(void **state)
{
  rgs_run_result r;
  home h;
  char db[700];
  char *before, *after;

  (void)state;
  home_make(&h, 0);
  snprintf(db, sizeof(db), "sql:%s", h.ff_default);
  tool((const char *const[]){ rgs_env("MODUTIL"), "-force", "-add", "My token", "-libfile",
                              rgs_env("SOFTHSM2_MODULE"), "-dbdir", db, NULL });
  before = rawlist(h.ff_default);
  browsers(&r, &h, NULL, 1, "--add", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "browsers.2.profile", "default");
  rgs_assert_json(r.out, "browsers.2.outcome", "theirs");
  rgs_assert_json(r.out, "browsers.1.outcome", "added");
  rgs_run_free(&r);
  after = rawlist(h.ff_default);
  assert_string_equal(after, before);
  free(after);
  browsers(&r, &h, NULL, 1, "--status", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "browsers.2.ours", "false");
  rgs_assert_json(r.out, "browsers.2.module_name", "My token");
  rgs_assert_json(r.out, "browsers.2.certificate_visible", "true");
  rgs_run_free(&r);
  browsers(&r, &h, NULL, 0, "--remove", NULL);
  rgs_expect(&r, RGS_EXIT_OK, "module removed");
  after = rawlist(h.ff_default);
  assert_string_equal(after, before);
  free(after);
  free(before);
  home_free(&h);
}

/* A module that p11-kit does not know (SoftHSM2 copied elsewhere: a file
 * no .module names) is registered itself; NSS lists the certificate
 * through it. (Not the fault module: an ASan build of it cannot be loaded
 * by certutil.) */
static void test_unregistered_module_direct(void **state)
{
  rgs_run_result r;
  home h;
  char copy[700];
  size_t len = 0;
  char *lib, *listing;
  FILE *out;

  (void)state;
  home_make(&h, 0);
  snprintf(copy, sizeof(copy), "%s/libsofthsm2-copy.so", h.dir);
  lib = rgs_read_file(rgs_env("SOFTHSM2_MODULE"), &len);
  assert_non_null(lib);
  out = fopen(copy, "wb");
  assert_non_null(out);
  assert_int_equal(fwrite(lib, 1, len, out), len);
  assert_int_equal(fclose(out), 0);
  free(lib);
  browsers(&r, &h, copy, 1, "--add", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "module.proxy", "false");
  rgs_assert_json(r.out, "module.name", "libsofthsm2-copy (rgs-enroll)");
  rgs_run_free(&r);
  listing = cert_listing(h.ff_work);
  assert_contains(listing, NICK);
  free(listing);
  browsers(&r, &h, copy, 0, "--status", NULL);
  rgs_expect(&r, RGS_EXIT_OK, "its certificate is visible");
  /* Now through p11-kit's proxy: ours replaced, not doubled. */
  browsers(&r, &h, NULL, 0, "--add", NULL);
  rgs_expect(&r, RGS_EXIT_OK, "module replaced");
  listing = rawlist(h.ff_work);
  assert_not_contains(listing, "libsofthsm2-copy");
  assert_contains(listing, "p11-kit-proxy (rgs-enroll)");
  free(listing);
  home_free(&h);
}

/* A stale Firefox lock link (a dead process) does not block; a live one does. */
static void test_lock_link(void **state)
{
  rgs_run_result r;
  home h;
  char link_path[700], target[64];

  (void)state;
  home_make(&h, 0);
  snprintf(link_path, sizeof(link_path), "%s/lock", h.ff_work);
  assert_int_equal(symlink("127.0.0.1:+2147483646", link_path), 0);
  browsers(&r, &h, NULL, 0, "--add", NULL);
  rgs_expect(&r, RGS_EXIT_OK, NULL);
  unlink(link_path);
  snprintf(target, sizeof(target), "127.0.0.1:+%ld", (long)getpid());
  assert_int_equal(symlink(target, link_path), 0);
  browsers(&r, &h, NULL, 0, "--remove", NULL);
  rgs_expect(&r, RGS_EXIT_IO, "Firefox is running on this profile");
  home_free(&h);
}

/* No token to look for: the registration is said, exit 4. */
static void test_status_without_token(void **state)
{
  rgs_run_result r;
  home h;
  const char *env[2];

  (void)state;
  home_make(&h, 0);
  env[0] = h.home_env;
  env[1] = NULL;
  rgs_enroll(&r, env, NULL, "--module", rgs_env("SOFTHSM2_MODULE"), "--token",
             "pkcs11:token=absent", "browsers", NULL);
  assert_contains(r.out, "cannot be checked");
  rgs_expect(&r, RGS_EXIT_TOKEN, "module not registered");
  home_free(&h);
}

static void test_usage(void **state)
{
  static const rgs_cli_case cases[] = {
    { RGS_EXIT_USAGE, "give one of", { "browsers", "--add", "--remove", NULL } },
    { RGS_EXIT_USAGE, "unknown option", { "browsers", "--frob", NULL } },
    { RGS_EXIT_USAGE, "unexpected argument", { "browsers", "firefox", NULL } },
    { RGS_EXIT_OK, NULL, { "browsers", "--help", NULL } },
  };

  (void)state;
  rgs_cli_cases_run(cases, sizeof(cases) / sizeof(cases[0]), NULL, NULL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_usage),
    cmocka_unit_test(test_add_then_tls),
    cmocka_unit_test(test_idempotent_status_remove),
    cmocka_unit_test(test_theirs_stays),
    cmocka_unit_test(test_unregistered_module_direct),
    cmocka_unit_test(test_lock_link),
    cmocka_unit_test(test_status_without_token),
  };

  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
