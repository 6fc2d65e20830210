/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_order_cli.c - the commands order, aed and status run for real:
 * every bad value gets its message and exit status, the documented JSON
 * fields, the AED directory and fees, the documents and their dates, the
 * binding of requests (made here with OpenSSL), the store refused and left
 * untouched, and where the store lives by default.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <cmocka.h>

#include "rgs_test.h"
#include "rgs_order.h"

static void record_f2f(const char *db, long long id, EVP_PKEY *k);

/* Dates are shown in the machine's zone: pinned to the one of the AED. */
static const char *const base_env[] = { "RGS_ENROLL_NOW=2026-11-24", "LC_ALL=C.UTF-8",
                                        "LANGUAGE=en", "TZ=Europe/Paris", NULL };

static void run(rgs_run_result *r, const char *db, ...)
{
  va_list ap;

  va_start(ap, db);
  rgs_enroll_db_v(r, base_env, db, 0, ap);
  va_end(ap);
}

static void run_json(rgs_run_result *r, const char *db, ...)
{
  va_list ap;

  va_start(ap, db);
  rgs_enroll_db_v(r, base_env, db, 1, ap);
  va_end(ap);
}

#define NEW_ORDER "order", "new", "--partner", "cma", "--validity", "3", \
  "--holder-first-name", "Frédéric", "--holder-last-name", "Senez", "--email", \
  "f.senez@example.fr", "--company", "BS AUTO", "--siren", "732829320"

static void new_order(const char *db)
{
  rgs_run_result r;

  run(&r, db, NEW_ORDER, "--payment", "virement", "--accept-cgu", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
}

/* ---- order new ---------------------------------------------------------------- */

static void test_new_example_of_the_issue(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  run(&r, f->db, NEW_ORDER, "--payment", "virement", "--accept-cgu", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Order 1 recorded");
  assert_contains(r.out, "Frédéric SENEZ");
  assert_contains(r.out, "ordered");
  rgs_run_free(&r);
  run_json(&r, f->db, "order", "show", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "command", "order show");
  rgs_assert_json(r.out, "ok", "true");
  rgs_assert_json(r.out, "order.id", "1");
  rgs_assert_json(r.out, "order.status", "ordered");
  rgs_assert_json(r.out, "order.partner", "CMA");
  rgs_assert_json(r.out, "order.product", "Pack ID RGS**");
  rgs_assert_json(r.out, "order.validity_years", "3");
  rgs_assert_json(r.out, "order.os", "windows");
  rgs_assert_json(r.out, "order.holder.first_name", "Frédéric");
  rgs_assert_json(r.out, "order.holder.last_name", "Senez");
  rgs_assert_json(r.out, "order.holder.is_orderer", "true");
  rgs_assert_json(r.out, "order.company.name", "BS AUTO");
  rgs_assert_json(r.out, "order.company.siren", "732829320");
  rgs_assert_json(r.out, "order.payment", "virement");
  rgs_assert_json(r.out, "order.cgu_accepted_at", "2026-11-24T00:00:00Z");
  rgs_assert_json(r.out, "documents.0.kind", "request-form");
  rgs_assert_json(r.out, "documents.3.kind", "registration-extract");
  rgs_assert_json(r.out, "documents.3.state", "missing");
  rgs_assert_json(r.out, "history.0.to", "draft");
  rgs_assert_json(r.out, "history.1.to", "ordered");
  assert_contains(r.out, "\"binding\":null");
  assert_contains(r.out, "\"appointment\":null");
  rgs_run_free(&r);
  /* text */
  run(&r, f->db, "order", "show", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "BS AUTO, SIREN 732829320");
  assert_contains(r.out, "History:");
  rgs_run_free(&r);
}

static void test_new_draft_says_why(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  run(&r, f->db, NEW_ORDER, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "DRAFT");
  assert_contains(r.out, "--accept-cgu");
  assert_contains(r.out, "--payment");
  rgs_run_free(&r);
  run_json(&r, f->db, NEW_ORDER, "--payment", "cheque", "--holder", "other", "--ordered-by",
           "Marie Senez", "--os", "macos", "--validity", "1", "--phone", "04 91 00 00 00", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "order.status", "draft");
  rgs_assert_json(r.out, "draft_reasons.0", "cgu-not-accepted");
  rgs_assert_json(r.out, "order.holder.is_orderer", "false");
  rgs_assert_json(r.out, "order.holder.ordered_by", "Marie Senez");
  rgs_assert_json(r.out, "order.os", "macos");
  rgs_assert_json(r.out, "order.validity_years", "1");
  rgs_run_free(&r);
  /* accepting the CGU later places it */
  run_json(&r, f->db, "order", "set", "2", "--accept-cgu", "--ca-ref", "CMD-42", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "order.status", "ordered");
  rgs_assert_json(r.out, "order.ca_ref", "CMD-42");
  rgs_run_free(&r);
}

#define NEW_BASE(db) "--db", db, "order", "new", "--partner", "cma", "--holder-first-name", "A", \
  "--holder-last-name", "B", "--email", "a@b.fr", "--company", "C"

static void test_bad_values(void **state)
{
  rgs_store_fixture *f = *state;
  const char *db = f->db;
  const rgs_cli_case cases[] = {
    { RGS_EXIT_USAGE, "accepted codes are CMA", { "--db", db, "order", "new", "--partner", "xyz", NULL } },
    { RGS_EXIT_USAGE, "--partner: required", { "--db", db, "order", "new", "--company", "C", NULL } },
    { RGS_EXIT_USAGE, "Luhn", { NEW_BASE(db), "--siren", "732829321", NULL } },
    { RGS_EXIT_USAGE, "--siren: '73282932000074' is a SIRET", { NEW_BASE(db), "--siren", "73282932000074", NULL } },
    { RGS_EXIT_USAGE, "--siret: '732829320' is a SIREN", { NEW_BASE(db), "--siret", "732829320", NULL } },
    { RGS_EXIT_USAGE, "--siren, --siret: required", { NEW_BASE(db), NULL } },
    { RGS_EXIT_USAGE, "1, 2 or 3", { NEW_BASE(db), "--siren", "732829320", "--validity", "5", NULL } },
    { RGS_EXIT_USAGE, "carte (card), virement (transfer), cheque (check)", { NEW_BASE(db), "--siren", "732829320", "--payment", "bitcoin", NULL } },
    { RGS_EXIT_USAGE, "windows, macos, other", { NEW_BASE(db), "--siren", "732829320", "--os", "beos", NULL } },
    { RGS_EXIT_USAGE, "self or other", { NEW_BASE(db), "--siren", "732829320", "--holder", "boss", NULL } },
    { RGS_EXIT_USAGE, "--ordered-by: goes with --holder other", { NEW_BASE(db), "--siren", "732829320", "--ordered-by", "X", NULL } },
    { RGS_EXIT_USAGE, "'not-an-email' is not an email", { "--db", db, "order", "new", "--partner", "cma",
      "--holder-first-name", "A", "--holder-last-name", "B", "--email", "not-an-email", "--company", "C",
      "--siren", "732829320", NULL } },
    { RGS_EXIT_USAGE, "'99' is not a French département", { NEW_BASE(db), "--siren", "732829320", "--dept", "99", NULL } },
    { RGS_EXIT_USAGE, "no AED office 'nowhere'", { NEW_BASE(db), "--siren", "732829320", "--aed", "nowhere", NULL } },
    { RGS_EXIT_USAGE, "is in département 13, not 69", { NEW_BASE(db), "--siren", "732829320", "--aed", "acthemis-arles", "--dept", "69", NULL } },
    { RGS_EXIT_USAGE, "unknown option '--colour'", { NEW_BASE(db), "--colour", "red", NULL } },
    { RGS_EXIT_USAGE, "no order 99", { "--db", db, "order", "show", "99", NULL } },
    { RGS_EXIT_USAGE, "'abc' is not an order number", { "--db", db, "order", "show", "abc", NULL } },
    { RGS_EXIT_USAGE, "'0' is not an order number", { "--db", db, "status", "0", NULL } },
    { RGS_EXIT_USAGE, "no order 42", { "--db", db, "status", "42", NULL } },
    { RGS_EXIT_USAGE, "no order 42", { "--db", db, "order", "cancel", "42", NULL } },
    { RGS_EXIT_USAGE, "--date '2026-02-30': there is no such day", { "--db", db, "order", "docs", "1", "--set", "registration-extract", "--date", "2026-02-30", NULL } },
    { RGS_EXIT_USAGE, "--planned '2027-13-01': there is no such day", { "--db", db, "order", "docs", "1", "--planned", "2027-13-01", NULL } },
    { RGS_EXIT_USAGE, "is in the future", { "--db", db, "order", "docs", "1", "--set", "registration-extract", "--date", "2026-12-01", NULL } },
    { RGS_EXIT_USAGE, "intervention-form", { "--db", db, "order", "docs", "1", "--set", "diploma", "--date", "2026-11-01", NULL } },
    { RGS_EXIT_USAGE, "missing, ready, sent or accepted", { "--db", db, "order", "docs", "1", "--set", "id-document", "--state", "lost", NULL } },
    { RGS_EXIT_USAGE, "registration extract only", { "--db", db, "order", "docs", "1", "--set", "id-document", "--date", "2026-11-01", NULL } },
    { RGS_EXIT_USAGE, "go with --set", { "--db", db, "order", "docs", "1", "--date", "2026-11-01", NULL } },
    { RGS_EXIT_USAGE, "face-to-face-done", { "--db", db, "order", "set", "1", "--status", "shipped", NULL } },
    { RGS_EXIT_USAGE, "1, 2 or 3", { "--db", db, "order", "set", "1", "--validity", "0", NULL } },
    { RGS_EXIT_USAGE, "nothing to change", { "--db", db, "order", "set", "1", NULL } },
    { RGS_EXIT_USAGE, "no such time of day", { "--db", db, "aed", "book", "1", "--aed", "acthemis-arles", "--date", "2026-12-03T25:00", "--mode", "holder-travels", NULL } },
    { RGS_EXIT_USAGE, "no such day", { "--db", db, "aed", "book", "1", "--aed", "acthemis-arles", "--date", "2026-02-30T10:00", "--mode", "holder-travels", NULL } },
    { RGS_EXIT_USAGE, "the time is missing", { "--db", db, "aed", "book", "1", "--aed", "acthemis-arles", "--date", "03/12/2026", "--mode", "holder-travels", NULL } },
    { RGS_EXIT_USAGE, "no such day", { "--db", db, "order", "docs", "1", "--set", "kbis", "--date", "31/02/2026", NULL } },
    { RGS_EXIT_USAGE, "without a time", { "--db", db, "order", "docs", "1", "--planned", "20/12/2026 10h", NULL } },
    { RGS_EXIT_USAGE, "no AED office 'nowhere'", { "--db", db, "aed", "book", "1", "--aed", "nowhere", "--date", "2026-12-03T10:00", "--mode", "holder-travels", NULL } },
    { RGS_EXIT_USAGE, "holder-travels", { "--db", db, "aed", "book", "1", "--aed", "acthemis-arles", "--date", "2026-12-03T10:00", "--mode", "teleport", NULL } },
    { RGS_EXIT_USAGE, "give the distance", { "--db", db, "aed", "book", "1", "--aed", "acthemis-arles", "--date", "2026-12-03T10:00", "--mode", "aed-travels", NULL } },
    { RGS_EXIT_USAGE, "give the distance", { "--db", db, "aed", "quote", "--mode", "aed-travels", NULL } },
    { RGS_EXIT_USAGE, "0 to 2000", { "--db", db, "aed", "quote", "--mode", "aed-travels", "--distance-km", "-3", NULL } },
    { RGS_EXIT_USAGE, "0 to 2000", { "--db", db, "aed", "quote", "--mode", "aed-travels", "--distance-km", "far", NULL } },
    { RGS_EXIT_USAGE, "--mode holder-travels or --mode aed-travels is required", { "--db", db, "aed", "quote", NULL } },
    { RGS_EXIT_USAGE, "not a French département", { "--db", db, "aed", "list", "--dept", "99", NULL } },
    { RGS_EXIT_USAGE, "not a French postal code", { "--db", db, "aed", "list", "--postal-code", "1300", NULL } },
    { RGS_EXIT_USAGE, "unknown order command 'frob'", { "--db", db, "order", "frob", NULL } },
    { RGS_EXIT_USAGE, "unknown aed command 'frob'", { "--db", db, "aed", "frob", NULL } },
    { RGS_EXIT_USAGE, "--csr FILE is required", { "--db", db, "order", "link", "1", NULL } },
    { RGS_EXIT_USAGE, "--key-uri", { "--db", db, "order", "link", "1", "--csr", "x.csr", "--key-uri", "http://x", NULL } },
    { RGS_EXIT_IO, "could not be read", { "--db", db, "order", "link", "1", "--csr", "/nonexistent.csr", NULL } },
  };

  new_order(f->db);
  rgs_cli_cases_run(cases, sizeof(cases) / sizeof(cases[0]), base_env, NULL);
}

static void test_json_error_document(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  run_json(&r, f->db, "order", "new", "--partner", "xyz", NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  rgs_assert_json(r.out, "ok", "false");
  rgs_assert_json(r.out, "exit", "2");
  rgs_assert_json(r.out, "command", "order new");
  assert_contains(r.out, "CMA");
  rgs_run_free(&r);
  run_json(&r, f->db, "status", "7", NULL);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  rgs_assert_json(r.out, "ok", "false");
  rgs_run_free(&r);
}

static void test_illegal_transition(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  new_order(f->db);
  run(&r, f->db, "order", "set", "1", "--status", "issued", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "order 1 is at the step \"ordered (CGU accepted)\"");
  assert_contains(r.err, "issued");
  assert_contains(r.err, "key generated");
  rgs_run_free(&r);
  run(&r, f->db, "order", "cancel", "1", "--note", "ordered twice", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  run(&r, f->db, "order", "cancel", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "order 1 is at the step \"cancelled\"");
  rgs_run_free(&r);
  run(&r, f->db, "order", "set", "1", "--phone", "0491000000", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  rgs_run_free(&r);
  run_json(&r, f->db, "order", "show", "1", NULL);
  rgs_assert_json(r.out, "history.2.to", "cancelled");
  rgs_assert_json(r.out, "history.2.note", "ordered twice");
  rgs_run_free(&r);
}

/* ---- the store refused ------------------------------------------------------------ */

static void test_foreign_store_untouched(void **state)
{
  rgs_store_fixture *f = *state;
  char path[600], side[640];
  const char *contents[] = { "just some text\n", "SQLite format 3" };
  size_t i, k, len0, len1;
  char *before, *after;
  rgs_run_result r;
  FILE *fp;

  for (i = 0; i < 3; i++) {
    snprintf(path, sizeof(path), "%s/foreign-%zu.db", f->dir, i);
    if (i < 2) {
      rgs_write_file(path, contents[i]);
    } else {
      /* another application's SQLite database */
      const char *argv[] = { "/usr/bin/env", "sqlite3", path,
                             "CREATE TABLE t(x); INSERT INTO t VALUES (1);", NULL };
      if (access("/usr/bin/sqlite3", X_OK) != 0) {
        fp = fopen(path, "wb");
        for (k = 0; k < 4096; k++)
          fputc((int)(k * 7 % 251), fp);
        fclose(fp);
      } else {
        assert_int_equal(rgs_run(argv, NULL, NULL, &r), 0);
        rgs_assert_status(&r, 0);
        rgs_run_free(&r);
      }
    }
    before = rgs_read_file(path, &len0);
    run(&r, path, NEW_ORDER, "--accept-cgu", NULL);
    rgs_assert_status(&r, RGS_EXIT_STORE);
    assert_contains(r.err, "not an rgs-enroll order store");
    assert_contains(r.err, "untouched");
    rgs_run_free(&r);
    run(&r, path, "order", "list", NULL);
    rgs_assert_status(&r, RGS_EXIT_STORE);
    rgs_run_free(&r);
    run(&r, path, "status", NULL);
    rgs_assert_status(&r, RGS_EXIT_STORE);
    rgs_run_free(&r);
    run_json(&r, path, "aed", "import", "/dev/null", NULL);
    rgs_assert_status(&r, RGS_EXIT_IO);       /* the file is checked first: no header */
    rgs_run_free(&r);
    after = rgs_read_file(path, &len1);
    assert_int_equal(len0, len1);
    assert_memory_equal(before, after, len0);
    snprintf(side, sizeof(side), "%s-wal", path);
    assert_int_not_equal(access(side, F_OK), 0);
    snprintf(side, sizeof(side), "%s-shm", path);
    assert_int_not_equal(access(side, F_OK), 0);
    free(before);
    free(after);
  }
}

static void test_default_store_location(void **state)
{
  rgs_store_fixture *f = *state;
  char xdg[600], home[600], env_xdg[700], env_home[700], path[800];
  const char *env1[] = { "RGS_ENROLL_NOW=2026-11-24", "LC_ALL=C.UTF-8", env_xdg, env_home, NULL };
  const char *env2[] = { "RGS_ENROLL_NOW=2026-11-24", "LC_ALL=C.UTF-8", "XDG_DATA_HOME=", env_home, NULL };
  const char *args[] = { NEW_ORDER, NULL };
  const char *status_args[] = { "status", NULL };
  rgs_run_result r;
  struct stat sb;

  snprintf(xdg, sizeof(xdg), "%s/xdg", f->dir);
  snprintf(home, sizeof(home), "%s/home", f->dir);
  mkdir(home, 0755);
  snprintf(env_xdg, sizeof(env_xdg), "XDG_DATA_HOME=%s", xdg);
  snprintf(env_home, sizeof(env_home), "HOME=%s", home);
  /* reading creates nothing */
  assert_int_equal(rgs_enroll_v(&r, env1, NULL, status_args), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "No order in progress");
  rgs_run_free(&r);
  assert_int_not_equal(access(xdg, F_OK), 0);
  assert_int_equal(rgs_enroll_v(&r, env1, NULL, args), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  snprintf(path, sizeof(path), "%s/rgs-enroll/orders.db", xdg);
  assert_int_equal(stat(path, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0600);
  snprintf(path, sizeof(path), "%s/rgs-enroll", xdg);
  assert_int_equal(stat(path, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0700);
  /* without XDG_DATA_HOME: ~/.local/share */
  assert_int_equal(rgs_enroll_v(&r, env2, NULL, args), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  snprintf(path, sizeof(path), "%s/.local/share/rgs-enroll/orders.db", home);
  assert_int_equal(stat(path, &sb), 0);
}

/* ---- AED ------------------------------------------------------------------------------ */

static void test_aed_list_and_quote(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  run_json(&r, f->db, "aed", "list", "--dept", "13", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "count", "6");
  rgs_assert_json(r.out, "offices.0.id", "acthemis-arles");
  rgs_assert_json(r.out, "offices.0.postal_code", "13200");
  rgs_assert_json(r.out, "offices.5.city", "LA CIOTAT");
  rgs_run_free(&r);
  /* no store was created for a read */
  assert_int_not_equal(access(f->db, F_OK), 0);
  run_json(&r, f->db, "aed", "list", "--postal-code", "13090", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "count", "6");
  rgs_assert_json(r.out, "offices.0.id", "benedictis-coeffard-maurel-aix");
  rgs_run_free(&r);
  run(&r, f->db, "aed", "list", "--dept", "69", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "03 20 79 24 09");
  rgs_run_free(&r);
  run(&r, f->db, "aed", "list", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "SCP MATHIEU DE BENEDICTIS COEFFARD & MAUREL");
  rgs_run_free(&r);

  run_json(&r, f->db, "aed", "quote", "--mode", "holder-travels", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "quote.priced", "true");
  rgs_assert_json(r.out, "quote.ht_cents", "5000");
  rgs_assert_json(r.out, "quote.vat_cents", "1000");
  rgs_assert_json(r.out, "quote.ttc_cents", "6000");
  rgs_assert_json(r.out, "quote.vat_percent", "20");
  assert_contains(r.out, "taxes of its profession");
  rgs_run_free(&r);
  run(&r, f->db, "aed", "quote", "--mode", "aed-travels", "--distance-km", "25", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "170.00 € HT");
  assert_contains(r.out, "204.00 € TTC");
  assert_contains(r.out, "taxes of its profession");
  rgs_run_free(&r);
  run(&r, f->db, "aed", "quote", "--mode", "aed-travels", "--distance-km", "45", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "contact the AED");
  assert_contains(r.out, "taxes of its profession");
  rgs_run_free(&r);
  run_json(&r, f->db, "aed", "quote", "--mode", "aed-travels", "--distance-km", "45", NULL);
  rgs_assert_json(r.out, "quote.priced", "false");
  assert_contains(r.out, "\"ht_cents\":null");
  rgs_run_free(&r);
}

static void test_aed_book(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  run(&r, f->db, NEW_ORDER, "--aed", "synergie-marseille", NULL);      /* a draft */
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  run(&r, f->db, "aed", "book", "1", "--date", "2026-12-03T10:00", "--mode", "holder-travels", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "draft");
  rgs_run_free(&r);
  run(&r, f->db, "order", "set", "1", "--accept-cgu", "--payment", "carte", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  /* the office chosen with the order */
  run_json(&r, f->db, "aed", "book", "1", "--date", "2026-12-03 10:00", "--mode", "holder-travels", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "aed.id", "synergie-marseille");
  rgs_assert_json(r.out, "at", "2026-12-03T10:00:00+01:00");
  rgs_assert_json(r.out, "quote.ht_cents", "5000");
  rgs_run_free(&r);
  run(&r, f->db, "aed", "book", "1", "--aed", "acthemis-arles", "--date", "2026-12-04T14:30",
      "--mode", "aed-travels", "--distance-km", "12", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "SELARL Acthemis");
  assert_contains(r.out, "170.00 € HT");
  rgs_run_free(&r);
  run_json(&r, f->db, "order", "show", "1", NULL);
  rgs_assert_json(r.out, "appointment.aed.id", "acthemis-arles");
  rgs_assert_json(r.out, "appointment.at", "2026-12-04T14:30:00+01:00");
  rgs_assert_json(r.out, "appointment.mode", "aed-travels");
  rgs_assert_json(r.out, "appointment.distance_km", "12");
  rgs_assert_json(r.out, "appointment.fee_ht_cents", "17000");
  rgs_assert_json(r.out, "order.dept", "13");
  rgs_run_free(&r);
  /* a past date is recorded with a warning when forced */
  run(&r, f->db, "aed", "book", "1", "--date", "2026-11-01T10:00", "--mode", "holder-travels", "--force", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.err, "in the past");
  rgs_run_free(&r);
  run(&r, f->db, "order", "list", "--dept", "13", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Frédéric SENEZ");
  rgs_run_free(&r);
}

static void test_aed_import(void **state)
{
  rgs_store_fixture *f = *state;
  char csv[600], bad[600];
  rgs_run_result r;

  snprintf(csv, sizeof(csv), "%s/lyon.csv", f->dir);
  snprintf(bad, sizeof(bad), "%s/bad.csv", f->dir);
  rgs_write_file(csv, "id,name,address,postal_code,city,department,phone\n"
                      "lyon-bellecour,\"Étude Bellecour, huissiers\",1 place Bellecour,69002,LYON,69,04 78 00 00 00\n");
  rgs_write_file(bad, "id,name,address,postal_code,city,department\n"
                      "lyon-a,Étude A,1 rue,69001,LYON,69\n"
                      "lyon-b,Étude B,2 rue,6900,LYON,69\n");
  run(&r, f->db, "aed", "import", bad, NULL);
  rgs_assert_status(&r, RGS_EXIT_IO);
  {
    char want[700];
    snprintf(want, sizeof(want), "%s:3: ", bad);
    assert_contains(r.err, want);
  }
  assert_contains(r.err, "6900");
  rgs_run_free(&r);
  run_json(&r, f->db, "aed", "list", "--dept", "69", NULL);
  rgs_assert_json(r.out, "count", "0");
  rgs_run_free(&r);
  run(&r, f->db, "aed", "import", csv, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  run_json(&r, f->db, "aed", "list", "--dept", "69", NULL);
  rgs_assert_json(r.out, "count", "1");
  rgs_assert_json(r.out, "offices.0.name", "Étude Bellecour, huissiers");
  rgs_assert_json(r.out, "offices.0.phone", "04 78 00 00 00");
  rgs_run_free(&r);
  run_json(&r, f->db, "aed", "list", NULL);
  rgs_assert_json(r.out, "count", "7");
  rgs_run_free(&r);
  run(&r, f->db, "aed", "import", "--replace", csv, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  run_json(&r, f->db, "aed", "list", NULL);
  rgs_assert_json(r.out, "count", "1");
  rgs_run_free(&r);
  /* an order can name the imported office */
  run(&r, f->db, NEW_ORDER, "--aed", "lyon-bellecour", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
}

/* ---- requests made here -------------------------------------------------------------- */

/* A PKCS#10 request made here with OpenSSL: C=FR, O, OU, CN. */
static void write_csr(const char *path, EVP_PKEY *key, const char *cn, const char *o,
                      const char *ou, int der, int corrupt)
{
  X509_REQ *req = X509_REQ_new();
  X509_NAME *n = X509_NAME_new();
  const ASN1_BIT_STRING *sig = NULL;
  BIO *b;

  X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"FR", -1, -1, 0);
  X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)o, -1, -1, 0);
  X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8, (const unsigned char *)ou, -1, -1, 0);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
  assert_int_equal(X509_REQ_set_subject_name(req, n), 1);
  assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
  assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
  if (corrupt) {
    X509_REQ_get0_signature(req, &sig, NULL);
    ((unsigned char *)ASN1_STRING_get0_data(sig))[8] ^= 0x5A;
  }
  b = BIO_new_file(path, "wb");
  assert_non_null(b);
  assert_int_equal(der ? i2d_X509_REQ_bio(b, req) : PEM_write_bio_X509_REQ(b, req), 1);
  BIO_free(b);
  X509_NAME_free(n);
  X509_REQ_free(req);
}

static void spki_hex(EVP_PKEY *key, char out[65])
{
  unsigned char *der = NULL, md[32];
  int len = i2d_PUBKEY(key, &der), i;

  assert_true(len > 0);
  SHA256(der, (size_t)len, md);
  OPENSSL_free(der);
  for (i = 0; i < 32; i++)
    sprintf(out + 2 * i, "%02x", md[i]);
}

/* ---- documents ----------------------------------------------------------------------- */

static void test_documents(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;
  static const char *const later[] = { "RGS_ENROLL_NOW=2026-12-10", "LC_ALL=C.UTF-8", NULL };
  const char *sent_req[] = { "--db", f->db, "order", "docs", "1", "--set", "request-form", "--state",
                             "ready", "--sent", "2026-12-05", NULL };
  const char *sent_future[] = { "--db", f->db, "order", "docs", "1", "--sent", "2026-12-11", NULL };

  new_order(f->db);
  run(&r, f->db, "order", "docs", "1", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Certigna");
  assert_contains(r.out, "20 allée de la Râperie");
  assert_contains(r.out, "59650 Villeneuve d'Ascq");
  assert_contains(r.out, "[missing ] signed request form");
  rgs_run_free(&r);
  run(&r, f->db, "order", "docs", "1", "--set", "registration-extract", "--date", "2026-11-01", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "good until 31 January 2027");
  rgs_run_free(&r);
  run(&r, f->db, "order", "docs", "1", "--planned", "2027-02-10", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Warning: the registration extract is good until 31 January 2027 only");
  rgs_run_free(&r);
  run_json(&r, f->db, "order", "docs", "1", "--set", "id-document", "--expires", "2031-05-02", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "documents.2.state", "ready");
  rgs_assert_json(r.out, "documents.2.expires_on", "2031-05-02");
  rgs_assert_json(r.out, "postal_address.1", "20 allée de la Râperie");
  rgs_assert_json(r.out, "planned_sending", "2027-02-10");
  rgs_assert_json(r.out, "notes.2.document", "registration-extract");
  rgs_run_free(&r);
  /* the status does not refuse a sending; the missing originals do */
  run(&r, f->db, "order", "docs", "1", "--sent", "2026-11-24", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "still missing");
  rgs_run_free(&r);
  /* steps recorded from elsewhere (submit and f2f drive them later) */
  run(&r, f->db, "order", "set", "1", "--status", "key-generated", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  run(&r, f->db, "order", "set", "1", "--status", "submitted", NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "order 1 is at the step \"key pair generated on the token\"");
  rgs_run_free(&r);
  run(&r, f->db, "aed", "book", "1", "--aed", "acthemis-arles", "--date", "2026-12-03T10:00",
      "--mode", "holder-travels", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  {
    EVP_PKEY *k = EVP_EC_gen("P-256");
    char csr[600];
    snprintf(csr, sizeof(csr), "%s/r.csr", f->dir);
    write_csr(csr, k, "Frédéric SENEZ", "BS AUTO", "0002 732829320", 0, 0);
    run(&r, f->db, "order", "link", "1", "--csr", csr, NULL);
    rgs_assert_status(&r, RGS_EXIT_OK);
    rgs_run_free(&r);
    run(&r, f->db, "order", "set", "1", "--status", "submitted", NULL);
    rgs_assert_status(&r, RGS_EXIT_OK);
    rgs_run_free(&r);
    /* The face-to-face cannot be declared: only a verified record moves there. */
    run(&r, f->db, "order", "set", "1", "--status", "face-to-face-done", "--note", "AED: Acthemis", NULL);
    rgs_assert_status(&r, RGS_EXIT_CHECK);
    assert_contains(r.err, "f2f run");
    rgs_run_free(&r);
    record_f2f(f->db, 1, k);
    EVP_PKEY_free(k);
  }
  /* a document missing: refused, and the whole command changes nothing */
  assert_int_equal(rgs_enroll_v(&r, later, NULL, sent_req), 0);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "still missing: signed face-to-face intervention form");
  rgs_run_free(&r);
  run_json(&r, f->db, "order", "docs", "1", NULL);
  rgs_assert_json(r.out, "documents.0.state", "missing");
  rgs_assert_json(r.out, "status", "face-to-face-done");
  rgs_run_free(&r);
  /* in the future: refused */
  run(&r, f->db, "order", "docs", "1", "--set", "intervention-form", "--state", "ready", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_run_free(&r);
  assert_int_equal(rgs_enroll_v(&r, later, NULL, sent_future), 0);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  assert_contains(r.err, "in the future");
  rgs_run_free(&r);
  assert_int_equal(rgs_enroll_v(&r, later, NULL, sent_req), 0);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "documents sent");
  assert_contains(r.out, "sent 5 December 2026");
  rgs_run_free(&r);
  run_json(&r, f->db, "status", "1", NULL);
  rgs_assert_json(r.out, "orders.0.status", "documents-sent");
  rgs_assert_json(r.out, "orders.0.next.0.step", "wait-issue");
  rgs_run_free(&r);
}

/* What f2f run stores after a verified, successful session (the CMS bytes
 * are not read by the order layer; the f2f tests sign real ones). */
static void record_f2f(const char *db, long long id, EVP_PKEY *k)
{
  static const unsigned char cms[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
  unsigned char *der = NULL, spki[32];
  char spki_hex[65], err[256];
  int n = i2d_PUBKEY(k, &der), i;
  rgs_order_store *st = NULL;
  rgs_order_f2f_input in;

  assert_true(n > 0);
  SHA256(der, (size_t)n, spki);
  OPENSSL_free(der);
  for (i = 0; i < 32; i++)
    snprintf(spki_hex + 2 * i, 3, "%02x", spki[i]);
  memset(&in, 0, sizeof(in));
  in.cms_der = cms;
  in.cms_len = sizeof(cms);
  in.record_sha256 = "00000000000000000000000000000000000000000000000000000000000000aa";
  in.spki_sha256 = spki_hex;
  in.signed_at = "2026-12-03T10:30:00Z";
  in.day = "2026-12-03";
  in.success = 1;
  in.verified = 1;
  assert_int_equal(rgs_order_store_open(db, &st, err, sizeof(err)), RGS_ORDER_OK);
  assert_int_equal(rgs_order_f2f_add(st, id, &in, NULL), RGS_ORDER_OK);
  rgs_order_store_close(st);
}

/* ---- binding requests ------------------------------------------------------------------- */

static void test_link(void **state)
{
  rgs_store_fixture *f = *state;
  EVP_PKEY *k1 = EVP_EC_gen("P-256"), *k2 = EVP_EC_gen("P-256");
  char good[600], der[600], wrong_cn[600], wrong_o[600], wrong_ou[600], forged[600], junk[600];
  char hex[65];
  rgs_run_result r;

  assert_non_null(k1);
  assert_non_null(k2);
  snprintf(good, sizeof(good), "%s/good.csr", f->dir);
  snprintf(der, sizeof(der), "%s/good.der", f->dir);
  snprintf(wrong_cn, sizeof(wrong_cn), "%s/cn.csr", f->dir);
  snprintf(wrong_o, sizeof(wrong_o), "%s/o.csr", f->dir);
  snprintf(wrong_ou, sizeof(wrong_ou), "%s/ou.csr", f->dir);
  snprintf(forged, sizeof(forged), "%s/forged.csr", f->dir);
  snprintf(junk, sizeof(junk), "%s/junk.csr", f->dir);
  write_csr(good, k1, "FRÉDÉRIC SENEZ", "BS AUTO", "0002 732829320", 0, 0);
  write_csr(der, k2, "Frédéric Senez", "bs auto", "0002 73282932000074", 1, 0);
  write_csr(wrong_cn, k1, "Jean Dupont", "BS AUTO", "0002 732829320", 0, 0);
  write_csr(wrong_o, k1, "Frédéric Senez", "AUTRE SARL", "0002 732829320", 0, 0);
  write_csr(wrong_ou, k1, "Frédéric Senez", "BS AUTO", "0002 552100554", 0, 0);
  write_csr(forged, k1, "Frédéric Senez", "BS AUTO", "0002 732829320", 0, 1);
  rgs_write_file(junk, "-----BEGIN CERTIFICATE REQUEST-----\nnot base64\n-----END CERTIFICATE REQUEST-----\n");
  new_order(f->db);
  new_order(f->db);
  run(&r, f->db, NEW_ORDER, NULL);        /* order 3: a draft */
  rgs_run_free(&r);

  {
    const char *base[] = { "--db", f->db, NULL };
    const rgs_cli_case refused[] = {
      { RGS_EXIT_CHECK, "CN \"Jean Dupont\"", { "order", "link", "1", "--csr", wrong_cn, NULL } },
      { RGS_EXIT_CHECK, "AUTRE SARL", { "order", "link", "1", "--csr", wrong_o, NULL } },
      { RGS_EXIT_CHECK, "552100554", { "order", "link", "1", "--csr", wrong_ou, NULL } },
      { RGS_EXIT_CHECK, "fails its own signature check", { "order", "link", "1", "--csr", forged, NULL } },
      { RGS_EXIT_IO, "not a certificate request", { "order", "link", "1", "--csr", junk, NULL } },
      { RGS_EXIT_CHECK, "order 3 is draft", { "order", "link", "3", "--csr", good, NULL } },
    };
    rgs_cli_cases_run(refused, sizeof(refused) / sizeof(refused[0]), base_env, base);
  }
  run_json(&r, f->db, "status", "1", NULL);
  rgs_assert_json(r.out, "orders.0.status", "ordered");
  rgs_assert_json(r.out, "orders.0.next.0.step", "make-key");
  rgs_run_free(&r);

  run_json(&r, f->db, "order", "link", "1", "--csr", good, "--token-serial", "0A1B2C3D",
           "--token-model", "IDPrime 940", "--key-uri", "pkcs11:token=RGS;id=%01;type=private", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  spki_hex(k1, hex);
  rgs_assert_json(r.out, "order.status", "csr-linked");
  rgs_assert_json(r.out, "binding.spki_sha256", hex);
  rgs_assert_json(r.out, "binding.token_serial", "0A1B2C3D");
  rgs_assert_json(r.out, "binding.token_model", "IDPrime 940");
  rgs_assert_json(r.out, "binding.key_uri", "pkcs11:token=RGS;id=%01;type=private");
  assert_contains(r.out, "BEGIN CERTIFICATE REQUEST");
  rgs_run_free(&r);
  run_json(&r, f->db, "order", "show", "1", NULL);
  rgs_assert_json(r.out, "history.2.to", "key-generated");
  rgs_assert_json(r.out, "history.3.to", "csr-linked");
  rgs_assert_json(r.out, "binding.subject", "C = FR, O = BS AUTO, OU = 0002 732829320, CN = FRÉDÉRIC SENEZ");
  rgs_run_free(&r);
  run_json(&r, f->db, "status", "1", NULL);
  rgs_assert_json(r.out, "orders.0.next.0.step", "submit");
  rgs_run_free(&r);

  /* the same key for order 2: refused, naming order 1 */
  run(&r, f->db, "order", "link", "2", "--csr", good, NULL);
  rgs_assert_status(&r, RGS_EXIT_CHECK);
  assert_contains(r.err, "bound to order 1");
  rgs_run_free(&r);
  /* another key, DER, with a SIRET whose SIREN is the company's */
  run(&r, f->db, "order", "link", "2", "--csr", der, NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Request bound to order 2");
  rgs_run_free(&r);
  EVP_PKEY_free(k1);
  EVP_PKEY_free(k2);
}

/* ---- status ------------------------------------------------------------------------------- */

static void test_status(void **state)
{
  rgs_store_fixture *f = *state;
  rgs_run_result r;

  run(&r, f->db, "status", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "No order in progress");
  rgs_run_free(&r);
  new_order(f->db);
  new_order(f->db);
  run(&r, f->db, NEW_ORDER, NULL);
  rgs_run_free(&r);
  run(&r, f->db, "order", "cancel", "2", NULL);
  rgs_run_free(&r);
  run(&r, f->db, "status", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "Order 1:");
  assert_contains(r.out, "Order 3:");
  assert_not_contains(r.out, "Order 2:");        /* a cancelled order is not listed */
  assert_contains(r.out, "rgs-enroll start --order 1");
  assert_contains(r.out, "rgs-enroll aed list --dept NN");
  assert_contains(r.out, "--accept-cgu");
  rgs_run_free(&r);
  run(&r, f->db, "status", "2", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  assert_contains(r.out, "cancelled");
  rgs_run_free(&r);
  run(&r, f->db, "aed", "book", "1", "--aed", "acthemis-arles", "--date", "2026-12-03T10:00",
      "--mode", "holder-travels", NULL);
  rgs_run_free(&r);
  run_json(&r, f->db, "status", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "count", "2");
  rgs_assert_json(r.out, "orders.0.id", "1");
  rgs_assert_json(r.out, "orders.0.next.1.step", "meet-aed");
  rgs_assert_json(r.out, "orders.0.next.2.step", "prepare-documents");
  rgs_assert_json(r.out, "orders.1.next.0.step", "accept-cgu");
  rgs_assert_json(r.out, "orders.1.next.1.step", "choose-payment");
  rgs_run_free(&r);
  run(&r, f->db, "status", "1", NULL);
  assert_contains(r.out, "Meet the AED on 3 December 2026 at 10:00 at SELARL Acthemis");
  rgs_run_free(&r);
  /* list */
  run_json(&r, f->db, "order", "list", "--status", "cancelled", NULL);
  rgs_assert_status(&r, RGS_EXIT_OK);
  rgs_assert_json(r.out, "count", "1");
  rgs_assert_json(r.out, "orders.0.id", "2");
  rgs_run_free(&r);
  run_json(&r, f->db, "order", "list", "--open", "--limit", "1", NULL);
  rgs_assert_json(r.out, "count", "1");
  rgs_run_free(&r);
  run_json(&r, f->db, "order", "list", "--dept", "13", NULL);
  rgs_assert_json(r.out, "count", "1");
  rgs_run_free(&r);
}

static void test_help(void **state)
{
  static const char *const cmds[][3] = {
    { "order", "--help", NULL }, { "order", "new", "--help" }, { "order", "set", "--help" },
    { "order", "show", "--help" }, { "order", "list", "--help" }, { "order", "cancel", "--help" },
    { "order", "link", "--help" }, { "order", "docs", "--help" }, { "aed", "--help", NULL },
    { "aed", "list", "--help" }, { "aed", "quote", "--help" }, { "aed", "book", "--help" },
    { "aed", "import", "--help" }, { "status", "--help", NULL },
  };
  rgs_run_result r;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
    const char *args[4] = { cmds[i][0], cmds[i][1], cmds[i][2], NULL };
    assert_int_equal(rgs_enroll_v(&r, base_env, NULL, args), 0);
    rgs_assert_status(&r, RGS_EXIT_OK);
    assert_contains(r.out, "Usage: rgs-enroll");
    rgs_run_free(&r);
  }
  assert_int_equal(rgs_enroll(&r, base_env, NULL, "order", NULL), 0);
  rgs_assert_status(&r, RGS_EXIT_USAGE);
  rgs_run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_new_example_of_the_issue, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_new_draft_says_why, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_bad_values, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_json_error_document, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_illegal_transition, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_foreign_store_untouched, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_default_store_location, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_aed_list_and_quote, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_aed_book, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_aed_import, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_documents, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_link, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test_setup_teardown(test_status, rgs_store_setup, rgs_store_teardown),
    cmocka_unit_test(test_help),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
