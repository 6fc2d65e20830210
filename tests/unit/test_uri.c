/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_uri.c - PKCS#11 URIs (RFC 7512): parsing, canonical formatting,
 * round trips, refusals, building from a token and matching a token.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <p11-kit/uri.h>

#include "rgs_p11.h"

/* RFC 7512, section 3: the example with every token attribute. */
#define RFC_FULL                                                                        \
  "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;" \
  "model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial="

/* The same in our canonical order. */
#define RFC_FULL_CANON                                                                  \
  "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;" \
  "serial=;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91"

static rgs_p11_uri *parse_ok(const char *text)
{
  rgs_p11_uri *uri = NULL;
  char err[256] = "";
  rgs_p11_rc rc = rgs_p11_uri_parse(text, &uri, err, sizeof(err));

  if (rc != RGS_P11_OK)
    fail_msg("parse of \"%s\" failed (%d): %s", text, (int)rc, err);
  assert_non_null(uri);
  return uri;
}

/* Parse must fail with RGS_P11_ERR_URI; returns the message (static). */
static const char *parse_fails(const char *text)
{
  static char err[512];
  rgs_p11_uri *uri = (rgs_p11_uri *)&err;   /* must be reset to NULL */
  rgs_p11_rc rc;

  err[0] = '\0';
  rc = rgs_p11_uri_parse(text, &uri, err, sizeof(err));
  if (rc != RGS_P11_ERR_URI)
    fail_msg("parse of \"%s\" gave %d, expected RGS_P11_ERR_URI", text, (int)rc);
  assert_null(uri);
  assert_true(err[0] != '\0');
  return err;
}

static void assert_contains(const char *haystack, const char *needle)
{
  if (strstr(haystack, needle) == NULL)
    fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

static void assert_format(const rgs_p11_uri *uri, const char *expected)
{
  char *text = rgs_p11_uri_format(uri);

  assert_non_null(text);
  assert_string_equal(text, expected);
  free(text);
}

static void fill_info(rgs_p11_slot_info *info, const char *label, const char *manufacturer,
                      const char *model, const char *serial)
{
  memset(info, 0, sizeof(*info));
  info->slot_id = 3;
  snprintf(info->slot_description, sizeof(info->slot_description), "%s",
           "Alcor Micro AU9540 00 00");
  snprintf(info->slot_manufacturer, sizeof(info->slot_manufacturer), "%s", "Generic");
  info->token_present = 1;
  snprintf(info->label, sizeof(info->label), "%s", label);
  snprintf(info->manufacturer, sizeof(info->manufacturer), "%s", manufacturer);
  snprintf(info->model, sizeof(info->model), "%s", model);
  snprintf(info->serial, sizeof(info->serial), "%s", serial);
}

/* Same attributes, id and slot-id in both. */
static void assert_same_uri(const rgs_p11_uri *a, const rgs_p11_uri *b)
{
  int attr;
  size_t la = 0, lb = 0;
  const unsigned char *ia = rgs_p11_uri_get_id(a, &la);
  const unsigned char *ib = rgs_p11_uri_get_id(b, &lb);
  CK_SLOT_ID sa = 0, sb = 0;

  for (attr = 0; attr < RGS_URI_N_ATTRS; attr++) {
    const char *va = rgs_p11_uri_get(a, (rgs_p11_uri_attr)attr);
    const char *vb = rgs_p11_uri_get(b, (rgs_p11_uri_attr)attr);
    if (va == NULL || vb == NULL)
      assert_true(va == vb);
    else
      assert_string_equal(va, vb);
  }
  assert_true((ia == NULL) == (ib == NULL));
  assert_int_equal(la, lb);
  if (la > 0)
    assert_memory_equal(ia, ib, la);
  assert_int_equal(rgs_p11_uri_get_slot_id(a, &sa), rgs_p11_uri_get_slot_id(b, &sb));
  assert_true(sa == sb);
}

/* ---- RFC 7512 examples ------------------------------------------------ */

static void test_rfc_full_example(void **state)
{
  static const unsigned char id[] = { 0x69, 0x95, 0x3e, 0x5c, 0xf4, 0xbd, 0xec, 0x91 };
  rgs_p11_uri *uri = parse_ok(RFC_FULL);
  const unsigned char *got;
  size_t len = 0;

  (void)state;
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_TOKEN), "The Software PKCS#11 Softtoken");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_MANUFACTURER), "Snake Oil, Inc.");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_MODEL), "1.0");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_OBJECT), "my-certificate");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_TYPE), "cert");
  /* serial= is present and empty, which is not the same as absent */
  assert_non_null(rgs_p11_uri_get(uri, RGS_URI_SERIAL));
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_SERIAL), "");
  assert_null(rgs_p11_uri_get(uri, RGS_URI_SLOT_DESCRIPTION));
  assert_null(rgs_p11_uri_get(uri, RGS_URI_MODULE_PATH));
  got = rgs_p11_uri_get_id(uri, &len);
  assert_non_null(got);
  assert_int_equal(len, sizeof(id));
  assert_memory_equal(got, id, sizeof(id));
  assert_int_equal(rgs_p11_uri_get_slot_id(uri, NULL), 0);
  assert_format(uri, RFC_FULL_CANON);
  rgs_p11_uri_free(uri);
}

static void test_rfc_other_examples(void **state)
{
  rgs_p11_uri *uri;
  CK_SLOT_ID slot = 0;

  (void)state;
  uri = parse_ok("pkcs11:");
  assert_null(rgs_p11_uri_get(uri, RGS_URI_TOKEN));
  assert_format(uri, "pkcs11:");
  rgs_p11_uri_free(uri);

  uri = parse_ok("pkcs11:object=my-pubkey;type=public");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_OBJECT), "my-pubkey");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_TYPE), "public");
  rgs_p11_uri_free(uri);

  uri = parse_ok("pkcs11:slot-description=Sun%20Metaslot");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_SLOT_DESCRIPTION), "Sun Metaslot");
  rgs_p11_uri_free(uri);

  uri = parse_ok("pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;"
                 "library-description=Soft%20Token%20Library;library-version=1.23");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_LIBRARY_MANUFACTURER), "Snake Oil, Inc.");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_LIBRARY_DESCRIPTION), "Soft Token Library");
  assert_format(uri, "pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;"
                     "library-description=Soft%20Token%20Library;library-version=1.23");
  rgs_p11_uri_free(uri);

  uri = parse_ok("pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_MODULE_PATH), "/mnt/libmypkcs11.so.1");
  assert_format(uri, "pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1");
  rgs_p11_uri_free(uri);

  uri = parse_ok("pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.;"
                 "model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91"
                 "?module-name=mypkcs11");
  assert_format(uri, "pkcs11:token=Software%20PKCS%2311%20softtoken;"
                     "manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;"
                     "type=cert;id=%69%95%3E%5C%F4%BD%EC%91?module-name=mypkcs11");
  rgs_p11_uri_free(uri);

  uri = parse_ok("pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;"
                 "object=my-certificate;type=cert");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_TOKEN), "A name with a substring %;");
  rgs_p11_uri_free(uri);

  uri = parse_ok("pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_TOKEN),
                      "Name with a small A with acute: \xc3\xa1");
  rgs_p11_uri_free(uri);

  uri = parse_ok("pkcs11:slot-id=1;token=my-token");
  assert_int_equal(rgs_p11_uri_get_slot_id(uri, &slot), 1);
  assert_int_equal(slot, 1);
  rgs_p11_uri_free(uri);
}

/* ---- round trips ------------------------------------------------------ */

static void test_round_trips(void **state)
{
  static const char *const uris[] = {
    "pkcs11:",
    RFC_FULL,
    "pkcs11:token=Cl%C3%A9%20Fr%C3%A9d%C3%A9ric",
    "pkcs11:token=Cl\xc3\xa9",
    "pkcs11:id=%00%01%02%FF",
    "pkcs11:id=",
    "pkcs11:id=abc",
    "pkcs11:slot-id=18446744073709551615",
    "pkcs11:library-version=2",
    "pkcs11:library-version=0.255",
    "pkcs11:model=PKCS%2315%20emulated;manufacturer=Gemalto;token=Jean%20DUPONT",
    "pkcs11:object=a=b;type=data",
    "pkcs11:token=:[]@!$'()*+,=-._~",
    "pkcs11:token=%3B%3F%23%25%26%2F%20%22",
    "pkcs11:token=a/b&c",
    "pkcs11:x-vendor=1;token=t?x-other=2&module-name=opensc-pkcs11",
    "pkcs11:?module-path=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so&module-name=opensc",
    "pkcs11:?module-path=C:%5CProgram%20Files%5Cx.dll",
    "PKCS11:slot-manufacturer=Generic;slot-description=Alcor%20Micro%20AU9540%2000%2000",
    "pkcs11:token=t?",
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
    rgs_p11_uri *a = parse_ok(uris[i]);
    char *ta = rgs_p11_uri_format(a);
    rgs_p11_uri *b;
    char *tb;

    assert_non_null(ta);
    b = parse_ok(ta);
    tb = rgs_p11_uri_format(b);
    assert_non_null(tb);
    assert_string_equal(ta, tb);
    assert_same_uri(a, b);
    free(ta);
    free(tb);
    rgs_p11_uri_free(a);
    rgs_p11_uri_free(b);
  }
}

static void test_canonical_form(void **state)
{
  rgs_p11_uri *uri;

  (void)state;
  /* Canonical order: library-*, slot-*, token, manufacturer, serial, model,
   * object, type, id, then ?module-name, module-path. */
  uri = parse_ok("pkcs11:id=%01;type=private;object=k;model=m;serial=s;manufacturer=M;token=T;"
                 "slot-id=7;slot-description=SD;slot-manufacturer=SM;library-version=3.1;"
                 "library-description=LD;library-manufacturer=LM"
                 "?module-path=/p.so&module-name=n");
  assert_format(uri, "pkcs11:library-manufacturer=LM;library-description=LD;library-version=3.1;"
                     "slot-manufacturer=SM;slot-description=SD;slot-id=7;token=T;"
                     "manufacturer=M;serial=s;model=m;object=k;type=private;id=%01"
                     "?module-name=n&module-path=/p.so");
  rgs_p11_uri_free(uri);

  /* Normalised numbers, upper-case hex, ids always fully encoded. */
  uri = parse_ok("pkcs11:library-version=02;slot-id=007;id=ab%7e;token=%7e%41");
  assert_format(uri, "pkcs11:library-version=2.0;slot-id=7;token=~A;id=%61%62%7E");
  rgs_p11_uri_free(uri);

  /* Vendor attributes are dropped. */
  uri = parse_ok("pkcs11:x-foo=bar;token=a?x-baz=%41");
  assert_format(uri, "pkcs11:token=a");
  rgs_p11_uri_free(uri);
}

static void test_format_encoding(void **state)
{
  static const unsigned char id[] = { 'a', 0x00, 0xff };
  rgs_p11_uri *uri = rgs_p11_uri_new();

  (void)state;
  assert_non_null(uri);
  assert_format(uri, "pkcs11:");
  assert_int_equal(rgs_p11_uri_set(uri, RGS_URI_TOKEN, "a b;c/d?e#f%g&h\"\xc3\xa9"), RGS_P11_OK);
  assert_format(uri, "pkcs11:token=a%20b%3Bc%2Fd%3Fe%23f%25g%26h%22%C3%A9");
  assert_int_equal(rgs_p11_uri_set(uri, RGS_URI_MODULE_PATH, "/usr/lib/a b/x?.so|&"),
                   RGS_P11_OK);
  assert_format(uri, "pkcs11:token=a%20b%3Bc%2Fd%3Fe%23f%25g%26h%22%C3%A9"
                     "?module-path=/usr/lib/a%20b/x?.so|%26");
  assert_int_equal(rgs_p11_uri_set_id(uri, id, sizeof(id)), RGS_P11_OK);
  assert_int_equal(rgs_p11_uri_set(uri, RGS_URI_TOKEN, NULL), RGS_P11_OK);
  assert_format(uri, "pkcs11:id=%61%00%FF?module-path=/usr/lib/a%20b/x?.so|%26");
  rgs_p11_uri_free(uri);
}

/* ---- refusals --------------------------------------------------------- */

static void test_pin_refused(void **state)
{
  const char *err;

  (void)state;
  err = parse_fails("pkcs11:token=Software%20PKCS%2311%20softtoken;"
                    "manufacturer=Snake%20Oil,%20Inc.?pin-value=the-pin");
  assert_contains(err, "pin-value");
  assert_contains(err, "PIN");
  err = parse_fails("pkcs11:object=my-key;type=private?pin-source=file:/etc/token");
  assert_contains(err, "pin-source");
  /* Wherever it hides. */
  parse_fails("pkcs11:pin-value=1234");
  parse_fails("pkcs11:token=a?module-name=x&pin-value=");
  /* The PIN itself is never echoed in the message. */
  err = parse_fails("pkcs11:token=a?pin-value=424242");
  assert_null(strstr(err, "424242"));
}

static void test_bad_escapes(void **state)
{
  static const char *const bad[] = {
    "pkcs11:token=%",     "pkcs11:token=%4",    "pkcs11:token=%zz",
    "pkcs11:token=%4g",   "pkcs11:token=a%",    "pkcs11:token=%%41",
    "pkcs11:id=%0",       "pkcs11:x-v=%q1",     "pkcs11:?module-path=%2",
    "pkcs11:token=a%00b", "pkcs11:object=%00",  "pkcs11:?module-name=%00",
  };
  rgs_p11_uri *uri;
  size_t i;
  size_t len = 0;
  const unsigned char *id;

  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    parse_fails(bad[i]);
  assert_contains(parse_fails("pkcs11:token=%zz"), "%zz");
  assert_contains(parse_fails("pkcs11:token=a%00"), "NUL");
  /* Lower-case hex is fine; id may hold NUL bytes. */
  uri = parse_ok("pkcs11:token=%c3%a9;id=%00%00");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_TOKEN), "\xc3\xa9");
  id = rgs_p11_uri_get_id(uri, &len);
  assert_int_equal(len, 2);
  assert_int_equal(id[0], 0);
  assert_int_equal(id[1], 0);
  rgs_p11_uri_free(uri);
}

static void test_raw_characters(void **state)
{
  rgs_p11_uri *uri;

  (void)state;
  assert_contains(parse_fails("pkcs11:token=My Token"), "%20");
  assert_contains(parse_fails("pkcs11:token=a#b"), "%23");
  parse_fails("pkcs11:token=a\tb");
  parse_fails("pkcs11:token=a\"b");
  parse_fails("pkcs11:token=a\\b");
  parse_fails("pkcs11:?module-path=a;b");
  /* Raw UTF-8 as pasted from a token listing, '/' and '&' in the path. */
  uri = parse_ok("pkcs11:token=Cl\xc3\xa9;object=a/b&c");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_TOKEN), "Cl\xc3\xa9");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_OBJECT), "a/b&c");
  assert_format(uri, "pkcs11:token=Cl%C3%A9;object=a%2Fb%26c");
  rgs_p11_uri_free(uri);
}

static void test_unknown_attribute(void **state)
{
  rgs_p11_uri *uri;

  (void)state;
  assert_contains(parse_fails("pkcs11:foo=bar"), "\"foo\"");
  assert_contains(parse_fails("pkcs11:token=a;vendor-aaa=value-a"), "vendor-aaa");
  assert_contains(parse_fails("pkcs11:token=a?colour=blue"), "colour");
  /* Attribute names are case-sensitive, as in p11-kit. */
  parse_fails("pkcs11:Token=a");
  /* In the wrong part. */
  assert_contains(parse_fails("pkcs11:module-path=/x.so"), "query");
  assert_contains(parse_fails("pkcs11:?token=a"), "path");
  /* Not NAME=VALUE. */
  parse_fails("pkcs11:token");
  parse_fails("pkcs11:=a");
  parse_fails("pkcs11:x-=a");
  /* x- vendor attributes are ignored, in the path and the query. */
  uri = parse_ok("pkcs11:x-vendor-aaa=value-a;token=t;x-vendor-aaa=again?x-bbb=value-b");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_TOKEN), "t");
  rgs_p11_uri_free(uri);
}

static void test_duplicates(void **state)
{
  (void)state;
  assert_contains(parse_fails("pkcs11:token=a;token=b"), "token");
  assert_contains(parse_fails("pkcs11:token=a;token=a"), "twice");
  parse_fails("pkcs11:id=%01;model=x;id=%01");
  parse_fails("pkcs11:slot-id=1;slot-id=2");
  parse_fails("pkcs11:?module-path=/a&module-path=/b");
  parse_fails("pkcs11:serial=;serial=");
}

static void test_empty_parts(void **state)
{
  rgs_p11_uri *uri;

  (void)state;
  parse_fails("pkcs11:;");
  parse_fails("pkcs11:token=a;");
  parse_fails("pkcs11:token=a;;model=b");
  parse_fails("pkcs11:;token=a");
  parse_fails("pkcs11:?&");
  parse_fails("pkcs11:?module-name=a&");
  uri = parse_ok("pkcs11:token=a?");
  assert_format(uri, "pkcs11:token=a");
  rgs_p11_uri_free(uri);
  uri = parse_ok("pkcs11:?");
  assert_format(uri, "pkcs11:");
  rgs_p11_uri_free(uri);
}

static void test_scheme(void **state)
{
  rgs_p11_uri *uri;

  (void)state;
  uri = parse_ok("PKCS11:token=a");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_TOKEN), "a");
  assert_format(uri, "pkcs11:token=a");
  rgs_p11_uri_free(uri);
  uri = parse_ok("Pkcs11:");
  rgs_p11_uri_free(uri);
  assert_contains(parse_fails("token=a"), "pkcs11:");
  parse_fails("");
  parse_fails("pkcs11");
  parse_fails("pkcs12:token=a");
  parse_fails(" pkcs11:token=a");
  parse_fails("pkcs11:token=a#fragment");
}

static void test_types(void **state)
{
  static const char *const ok[] = { "public", "private", "cert", "secret-key", "data" };
  char text[64];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    rgs_p11_uri *uri;
    snprintf(text, sizeof(text), "pkcs11:type=%s", ok[i]);
    uri = parse_ok(text);
    assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_TYPE), ok[i]);
    assert_format(uri, text);
    rgs_p11_uri_free(uri);
  }
  assert_contains(parse_fails("pkcs11:type=certificate"), "certificate");
  parse_fails("pkcs11:type=");
  parse_fails("pkcs11:type=Cert");
  parse_fails("pkcs11:type=cert%00");
}

static void test_numbers(void **state)
{
  rgs_p11_uri *uri;
  CK_SLOT_ID slot = 0;

  (void)state;
  uri = parse_ok("pkcs11:slot-id=574810405");
  assert_int_equal(rgs_p11_uri_get_slot_id(uri, &slot), 1);
  assert_int_equal(slot, 574810405);
  assert_int_equal(rgs_p11_uri_get_slot_id(uri, NULL), 1);
  rgs_p11_uri_free(uri);
  parse_fails("pkcs11:slot-id=");
  parse_fails("pkcs11:slot-id=abc");
  parse_fails("pkcs11:slot-id=-1");
  parse_fails("pkcs11:slot-id=0x10");
  parse_fails("pkcs11:slot-id=%31%20");
  parse_fails("pkcs11:slot-id=18446744073709551616");
  parse_fails("pkcs11:slot-id=99999999999999999999999999");

  uri = parse_ok("pkcs11:library-version=1.23");
  assert_format(uri, "pkcs11:library-version=1.23");
  rgs_p11_uri_free(uri);
  parse_fails("pkcs11:library-version=");
  parse_fails("pkcs11:library-version=1.");
  parse_fails("pkcs11:library-version=.1");
  parse_fails("pkcs11:library-version=1.2.3");
  parse_fails("pkcs11:library-version=256");
  parse_fails("pkcs11:library-version=1.256");
  parse_fails("pkcs11:library-version=v1");
}

static void test_length_limit(void **state)
{
  const size_t limit = 64 * 1024;
  const char *prefix = "pkcs11:token=";
  char *text = malloc(limit + 2);
  rgs_p11_uri *uri = NULL;

  (void)state;
  assert_non_null(text);
  strcpy(text, prefix);
  memset(text + strlen(prefix), 'a', limit - strlen(prefix));
  text[limit] = '\0';
  uri = parse_ok(text);
  assert_int_equal(strlen(rgs_p11_uri_get(uri, RGS_URI_TOKEN)), limit - strlen(prefix));
  rgs_p11_uri_free(uri);
  text[limit] = 'a';
  text[limit + 1] = '\0';
  assert_contains(parse_fails(text), "longer");
  free(text);
}

static void test_errbuf_handling(void **state)
{
  rgs_p11_uri *uri = NULL;
  char small[8];

  (void)state;
  /* errbuf may be NULL, or too small: no overflow, still terminated. */
  assert_int_equal(rgs_p11_uri_parse("pkcs11:foo=bar", &uri, NULL, 0), RGS_P11_ERR_URI);
  assert_null(uri);
  memset(small, 'x', sizeof(small));
  assert_int_equal(rgs_p11_uri_parse("pkcs11:foo=bar", &uri, small, sizeof(small)),
                   RGS_P11_ERR_URI);
  assert_int_equal(strlen(small), sizeof(small) - 1);
  /* Cleared on success. */
  assert_int_equal(rgs_p11_uri_parse("pkcs11:token=a", &uri, small, sizeof(small)), RGS_P11_OK);
  assert_string_equal(small, "");
  rgs_p11_uri_free(uri);
  /* Long unknown names are quoted, cut and made printable. */
  uri = NULL;
  {
    char text[300];
    char err[512];
    memset(text, 0, sizeof(text));
    strcpy(text, "pkcs11:");
    memset(text + 7, 'n', 200);
    strcat(text, "\x01=v");
    assert_int_equal(rgs_p11_uri_parse(text, &uri, err, sizeof(err)), RGS_P11_ERR_URI);
    assert_contains(err, "...");
    assert_true(strlen(err) < 200);
  }
}

/* ---- the object API --------------------------------------------------- */

static void test_null_guards(void **state)
{
  rgs_p11_uri *uri = NULL;
  rgs_p11_slot_info info;
  size_t len = 99;
  char err[64];
  CK_SLOT_ID slot = 0;

  (void)state;
  fill_info(&info, "a", "b", "c", "d");
  assert_int_equal(rgs_p11_uri_parse(NULL, &uri, err, sizeof(err)), RGS_P11_ERR_ARG);
  assert_int_equal(rgs_p11_uri_parse("pkcs11:", NULL, err, sizeof(err)), RGS_P11_ERR_ARG);
  assert_null(rgs_p11_uri_get(NULL, RGS_URI_TOKEN));
  assert_int_equal(rgs_p11_uri_set(NULL, RGS_URI_TOKEN, "a"), RGS_P11_ERR_ARG);
  assert_null(rgs_p11_uri_get_id(NULL, &len));
  assert_int_equal(len, 0);
  assert_int_equal(rgs_p11_uri_set_id(NULL, (const unsigned char *)"a", 1), RGS_P11_ERR_ARG);
  assert_int_equal(rgs_p11_uri_get_slot_id(NULL, &slot), 0);
  assert_null(rgs_p11_uri_format(NULL));
  assert_int_equal(rgs_p11_uri_for_token(NULL, &uri), RGS_P11_ERR_ARG);
  assert_int_equal(rgs_p11_uri_for_token(&info, NULL), RGS_P11_ERR_ARG);
  assert_int_equal(rgs_p11_uri_match_token(NULL, &info), 0);
  rgs_p11_uri_free(NULL);

  uri = rgs_p11_uri_new();
  assert_non_null(uri);
  assert_int_equal(rgs_p11_uri_match_token(uri, NULL), 0);
  assert_null(rgs_p11_uri_get(uri, RGS_URI_N_ATTRS));
  assert_null(rgs_p11_uri_get(uri, (rgs_p11_uri_attr)-1));
  assert_int_equal(rgs_p11_uri_set(uri, RGS_URI_N_ATTRS, "a"), RGS_P11_ERR_ARG);
  assert_int_equal(rgs_p11_uri_set_id(uri, NULL, 3), RGS_P11_ERR_ARG);
  rgs_p11_uri_free(uri);
}

static void test_set_get(void **state)
{
  rgs_p11_uri *uri = rgs_p11_uri_new();
  char value[16] = "mutable";
  unsigned char id[2] = { 1, 2 };
  size_t len = 0;

  (void)state;
  assert_non_null(uri);
  /* Values are copied. */
  assert_int_equal(rgs_p11_uri_set(uri, RGS_URI_OBJECT, value), RGS_P11_OK);
  strcpy(value, "changed");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_OBJECT), "mutable");
  assert_int_equal(rgs_p11_uri_set(uri, RGS_URI_OBJECT, "again"), RGS_P11_OK);
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_OBJECT), "again");
  assert_int_equal(rgs_p11_uri_set(uri, RGS_URI_OBJECT, NULL), RGS_P11_OK);
  assert_null(rgs_p11_uri_get(uri, RGS_URI_OBJECT));
  /* type is checked. */
  assert_int_equal(rgs_p11_uri_set(uri, RGS_URI_TYPE, "key"), RGS_P11_ERR_ARG);
  assert_null(rgs_p11_uri_get(uri, RGS_URI_TYPE));
  assert_int_equal(rgs_p11_uri_set(uri, RGS_URI_TYPE, "secret-key"), RGS_P11_OK);
  /* id: copied; empty but present; cleared. */
  assert_int_equal(rgs_p11_uri_set_id(uri, id, sizeof(id)), RGS_P11_OK);
  id[0] = 9;
  assert_int_equal(rgs_p11_uri_get_id(uri, &len)[0], 1);
  assert_int_equal(len, 2);
  assert_int_equal(rgs_p11_uri_set_id(uri, id, 0), RGS_P11_OK);
  assert_non_null(rgs_p11_uri_get_id(uri, &len));
  assert_int_equal(len, 0);
  assert_format(uri, "pkcs11:type=secret-key;id=");
  assert_int_equal(rgs_p11_uri_set_id(uri, NULL, 0), RGS_P11_OK);
  assert_null(rgs_p11_uri_get_id(uri, &len));
  assert_format(uri, "pkcs11:type=secret-key");
  rgs_p11_uri_free(uri);
}

/* ---- tokens ----------------------------------------------------------- */

static void test_for_token(void **state)
{
  rgs_p11_slot_info info;
  rgs_p11_uri *uri = NULL;
  rgs_p11_uri *back = NULL;
  char *text;

  (void)state;
  fill_info(&info, "Cl\xc3\xa9 Fr\xc3\xa9" "d\xc3\xa9ric", "Gemalto", "PKCS#15 emulated",
            "0123456789ABCDEF");
  assert_int_equal(rgs_p11_uri_for_token(&info, &uri), RGS_P11_OK);
  text = rgs_p11_uri_format(uri);
  assert_string_equal(text, "pkcs11:token=Cl%C3%A9%20Fr%C3%A9d%C3%A9ric;manufacturer=Gemalto;"
                            "serial=0123456789ABCDEF;model=PKCS%2315%20emulated");
  back = parse_ok(text);
  assert_string_equal(rgs_p11_uri_get(back, RGS_URI_TOKEN), "Cl\xc3\xa9 Fr\xc3\xa9" "d\xc3\xa9ric");
  assert_int_equal(rgs_p11_uri_match_token(back, &info), 1);
  /* Slot attributes are not part of a token's name (slots move). */
  assert_null(rgs_p11_uri_get(uri, RGS_URI_SLOT_DESCRIPTION));
  assert_int_equal(rgs_p11_uri_get_slot_id(uri, NULL), 0);
  free(text);
  rgs_p11_uri_free(uri);
  rgs_p11_uri_free(back);

  /* Empty fields are left out; padding blanks are trimmed. */
  fill_info(&info, "", "SoftHSM project   ", "SoftHSM v2", "");
  assert_int_equal(rgs_p11_uri_for_token(&info, &uri), RGS_P11_OK);
  assert_format(uri, "pkcs11:manufacturer=SoftHSM%20project;model=SoftHSM%20v2");
  assert_null(rgs_p11_uri_get(uri, RGS_URI_TOKEN));
  assert_null(rgs_p11_uri_get(uri, RGS_URI_SERIAL));
  rgs_p11_uri_free(uri);

  /* A full-width label (32 bytes, no NUL in the field) stays in bounds. */
  memset(&info, 0, sizeof(info));
  info.token_present = 1;
  memset(info.label, 'L', sizeof(info.label));
  assert_int_equal(rgs_p11_uri_for_token(&info, &uri), RGS_P11_OK);
  assert_int_equal(strlen(rgs_p11_uri_get(uri, RGS_URI_TOKEN)), sizeof(info.label));
  rgs_p11_uri_free(uri);

  /* No token: no URI (an empty one would select any token). */
  fill_info(&info, "a", "b", "c", "d");
  info.token_present = 0;
  uri = (rgs_p11_uri *)&info;
  assert_int_equal(rgs_p11_uri_for_token(&info, &uri), RGS_P11_ERR_NO_TOKEN);
  assert_null(uri);
}

static int matches(const char *text, const rgs_p11_slot_info *info)
{
  rgs_p11_uri *uri = parse_ok(text);
  int m = rgs_p11_uri_match_token(uri, info);

  rgs_p11_uri_free(uri);
  return m;
}

static void test_match_token(void **state)
{
  rgs_p11_slot_info info;

  (void)state;
  fill_info(&info, "Jean DUPONT", "Gemalto", "PKCS#15 emulated", "1B201C6106F96E94");
  assert_true(matches("pkcs11:", &info));
  assert_true(matches("pkcs11:token=Jean%20DUPONT", &info));
  assert_true(matches("pkcs11:manufacturer=Gemalto;model=PKCS%2315%20emulated", &info));
  assert_true(matches("pkcs11:serial=1B201C6106F96E94;token=Jean%20DUPONT", &info));
  assert_true(matches("pkcs11:slot-id=3", &info));
  assert_true(matches("pkcs11:slot-description=Alcor%20Micro%20AU9540%2000%2000;"
                      "slot-manufacturer=Generic",
                      &info));
  /* Object, type, id and module attributes do not name a token. */
  assert_true(matches("pkcs11:token=Jean%20DUPONT;object=x;type=private;id=%01"
                      "?module-path=/x.so",
                      &info));
  /* Library attributes cannot be checked against a slot: ignored. */
  assert_true(matches("pkcs11:library-manufacturer=Other", &info));

  /* Exact comparison: no case folding, no prefix, no glob. */
  assert_false(matches("pkcs11:token=jean%20dupont", &info));
  assert_false(matches("pkcs11:token=Jean", &info));
  assert_false(matches("pkcs11:token=Jean*", &info));
  assert_false(matches("pkcs11:manufacturer=Gemalto%20", &info));
  assert_false(matches("pkcs11:token=Jean%20DUPONT;manufacturer=Thales", &info));
  assert_false(matches("pkcs11:serial=", &info));
  assert_false(matches("pkcs11:slot-id=4", &info));
  assert_false(matches("pkcs11:slot-description=Alcor", &info));
  assert_false(matches("pkcs11:slot-manufacturer=generic", &info));

  /* Fields padded with blanks (as PKCS#11 returns them) are trimmed. */
  snprintf(info.label, sizeof(info.label), "%s", "Jean DUPONT          ");
  assert_true(matches("pkcs11:token=Jean%20DUPONT", &info));

  /* UTF-8 labels compare byte for byte. */
  fill_info(&info, "Cl\xc3\xa9 Fr\xc3\xa9" "d\xc3\xa9ric", "SoftHSM project", "SoftHSM v2", "07");
  assert_true(matches("pkcs11:token=Cl%C3%A9%20Fr%C3%A9d%C3%A9ric", &info));
  assert_true(matches("pkcs11:token=Cl\xc3\xa9%20Fr\xc3\xa9" "d\xc3\xa9ric", &info));
  assert_false(matches("pkcs11:token=Cle%20Frederic", &info));
  assert_false(matches("pkcs11:token=CL%C3%89%20FR%C3%89D%C3%89RIC", &info));

  /* An empty slot matches only a URI that names no token attribute. */
  memset(&info, 0, sizeof(info));
  info.slot_id = 1;
  assert_true(matches("pkcs11:", &info));
  assert_true(matches("pkcs11:slot-id=1", &info));
  assert_false(matches("pkcs11:serial=", &info));
  assert_false(matches("pkcs11:token=", &info));
}

/* Our canonical output must be a URI that p11-kit reads the same way. */
static void test_p11kit_reads_our_output(void **state)
{
  rgs_p11_slot_info info;
  rgs_p11_uri *uri = NULL;
  P11KitUri *pk = p11_kit_uri_new();
  CK_TOKEN_INFO *ti;
  CK_ATTRIBUTE *label;
  char *text;
  char want[32];

  (void)state;
  assert_non_null(pk);
  fill_info(&info, "Cl\xc3\xa9 a;b?c%d", "Snake Oil, Inc.", "PKCS#15 emulated", "0001");
  assert_int_equal(rgs_p11_uri_for_token(&info, &uri), RGS_P11_OK);
  assert_int_equal(rgs_p11_uri_set(uri, RGS_URI_OBJECT, "my key/1"), RGS_P11_OK);
  text = rgs_p11_uri_format(uri);
  assert_non_null(text);
  assert_int_equal(p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, pk), P11_KIT_URI_OK);
  ti = p11_kit_uri_get_token_info(pk);
  memset(want, ' ', sizeof(want));
  memcpy(want, "Cl\xc3\xa9 a;b?c%d", strlen("Cl\xc3\xa9 a;b?c%d"));
  assert_memory_equal(ti->label, want, sizeof(want));
  memset(want, ' ', sizeof(want));
  memcpy(want, "Snake Oil, Inc.", 15);
  assert_memory_equal(ti->manufacturerID, want, sizeof(want));
  label = p11_kit_uri_get_attribute(pk, CKA_LABEL);
  assert_non_null(label);
  assert_int_equal(label->ulValueLen, 8);
  assert_memory_equal(label->pValue, "my key/1", 8);
  free(text);
  rgs_p11_uri_free(uri);
  p11_kit_uri_free(pk);
}

/* Key and token URIs as the previous parser (before p11-kit) formatted them
 * for the order store (key_uri) and `tokens`: they must still read as the
 * same token and key, and format to the very same text. */
static void test_stored_format(void **state)
{
  static const struct {
    const char *text;
    const char *label, *manufacturer, *model, *serial, *object;
    const char *id;
    size_t id_len;
  } stored[] = {
    { "pkcs11:token=Cl%C3%A9%20Fr%C3%A9d%C3%A9ric;manufacturer=SoftHSM%20project;"
      "serial=5f3c0e2a9b1d4c67;model=SoftHSM%20v2;object=rgs-2025-0001;type=private;"
      "id=%3A%9F%01%00%FF",
      "Cl\xc3\xa9 Fr\xc3\xa9" "d\xc3\xa9ric", "SoftHSM project", "SoftHSM v2", "5f3c0e2a9b1d4c67",
      "rgs-2025-0001", "\x3a\x9f\x01\x00\xff", 5 },
    { "pkcs11:token=Jean%20DUPONT;manufacturer=Gemalto;serial=1B201C6106F96E94;"
      "model=PKCS%2315%20emulated;type=private;id=%E8%28%BC%2E%7A%41%20%3B",
      "Jean DUPONT", "Gemalto", "PKCS#15 emulated", "1B201C6106F96E94", NULL,
      "\xe8\x28\xbc\x2e\x7a\x41\x20\x3b", 8 },
    { "pkcs11:token=SARL%20L'Atelier%20%26%20Fils;manufacturer=SafeNet,%20Inc.;"
      "serial=02f4a1b7;model=eToken;object=Cl%C3%A9%20RGS**%20(2025)%2Fsign%3B1;"
      "type=private;id=%3A%9F",
      "SARL L'Atelier & Fils", "SafeNet, Inc.", "eToken", "02f4a1b7",
      "Cl\xc3\xa9 RGS** (2025)/sign;1", "\x3a\x9f", 2 },
    { "pkcs11:token=IDPrime%20MD;manufacturer=Gemalto;serial=0A1B2C3D4E5F6071;"
      "model=ID%20Prime%20MD%20840",
      "IDPrime MD", "Gemalto", "ID Prime MD 840", "0A1B2C3D4E5F6071", NULL, NULL, 0 },
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(stored) / sizeof(stored[0]); i++) {
    rgs_p11_uri *uri = parse_ok(stored[i].text);
    rgs_p11_slot_info info;
    const unsigned char *id;
    size_t len = 0;

    assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_TOKEN), stored[i].label);
    assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_MANUFACTURER), stored[i].manufacturer);
    assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_MODEL), stored[i].model);
    assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_SERIAL), stored[i].serial);
    if (stored[i].object == NULL)
      assert_null(rgs_p11_uri_get(uri, RGS_URI_OBJECT));
    else
      assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_OBJECT), stored[i].object);
    id = rgs_p11_uri_get_id(uri, &len);
    assert_int_equal(len, stored[i].id_len);
    if (stored[i].id_len > 0) {
      assert_memory_equal(id, stored[i].id, len);
      assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_TYPE), "private");
    }
    fill_info(&info, stored[i].label, stored[i].manufacturer, stored[i].model, stored[i].serial);
    assert_int_equal(rgs_p11_uri_match_token(uri, &info), 1);
    assert_format(uri, stored[i].text);
    rgs_p11_uri_free(uri);
  }
}

/* Where reading through p11-kit changed what is accepted: RFC 7512 writes
 * type, slot-id and library-version without escapes, p11-kit reads them so
 * and knows "secretkey" as an old spelling; vendor names are the ones
 * p11-kit accepts. */
static void test_p11kit_reading(void **state)
{
  rgs_p11_uri *uri;

  (void)state;
  uri = parse_ok("pkcs11:type=secretkey");
  assert_string_equal(rgs_p11_uri_get(uri, RGS_URI_TYPE), "secret-key");
  assert_format(uri, "pkcs11:type=secret-key");
  rgs_p11_uri_free(uri);
  assert_contains(parse_fails("pkcs11:type=%63ert"), "%63ert");
  assert_contains(parse_fails("pkcs11:slot-id=%37"), "slot-id");
  assert_contains(parse_fails("pkcs11:library-version=%31"), "library-version");
  assert_contains(parse_fails("pkcs11:?x-Vendor=1"), "x-Vendor");
  assert_contains(parse_fails("pkcs11:x-v.n=1"), "x-v.n");
  uri = parse_ok("pkcs11:x-v_1-b=%41;token=t?x-abc_9=1&module-name=m");
  assert_format(uri, "pkcs11:token=t?module-name=m");
  rgs_p11_uri_free(uri);
  /* What p11-kit itself would misread is refused before it sees it: an
   * empty slot-id (slot 0 to p11-kit), a doubled ';' (the rest read as the
   * query), a raw blank (silently dropped). */
  assert_contains(parse_fails("pkcs11:slot-id="), "slot-id");
  assert_contains(parse_fails("pkcs11:token=a;;model=b"), "empty attribute");
  assert_contains(parse_fails("pkcs11:token=My\nToken"), "0x0A");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_rfc_full_example),
    cmocka_unit_test(test_rfc_other_examples),
    cmocka_unit_test(test_round_trips),
    cmocka_unit_test(test_canonical_form),
    cmocka_unit_test(test_format_encoding),
    cmocka_unit_test(test_pin_refused),
    cmocka_unit_test(test_bad_escapes),
    cmocka_unit_test(test_raw_characters),
    cmocka_unit_test(test_unknown_attribute),
    cmocka_unit_test(test_duplicates),
    cmocka_unit_test(test_empty_parts),
    cmocka_unit_test(test_scheme),
    cmocka_unit_test(test_types),
    cmocka_unit_test(test_numbers),
    cmocka_unit_test(test_length_limit),
    cmocka_unit_test(test_errbuf_handling),
    cmocka_unit_test(test_null_guards),
    cmocka_unit_test(test_set_get),
    cmocka_unit_test(test_for_token),
    cmocka_unit_test(test_match_token),
    cmocka_unit_test(test_p11kit_reads_our_output),
    cmocka_unit_test(test_stored_format),
    cmocka_unit_test(test_p11kit_reading),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
