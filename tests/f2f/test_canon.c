/* SPDX-License-Identifier: BSD-3-Clause */
/* test_canon.c - the canonical JSON library on its own (enroll/canon.h):
 * its header stands alone, and each failure has its own result, with a
 * message, where one -1 used to stand for all of them. */
#include "canon.h"
#if defined(RGS_F2F_RECORD_H) || defined(RGS_F2F_H) || defined(RGS_FLOW_H) || defined(RGS_CLI_H)
#error "canon.h includes a header of a layer above it"
#endif
#include <stdlib.h>
#include <string.h>
#include "rgs_test.h"

static void test_builder_says_why(void **state)
{
  rgs_cj *o = rgs_cj_new_object(), *arr = rgs_cj_new_array();

  (void)state;
  assert_int_equal(rgs_cj_set_str(o, "k", "v"), RGS_CJ_OK);
  assert_int_equal(rgs_cj_set_str(o, "k", "caf\xe9"), RGS_CJ_ERR_UTF8);
  assert_int_equal(rgs_cj_push_str(arr, "\xc0\xaf"), RGS_CJ_ERR_UTF8);
  assert_int_equal(rgs_cj_set_str(o, "clé", "v"), RGS_CJ_ERR_KEY);
  assert_int_equal(rgs_cj_set_str(o, "", "v"), RGS_CJ_ERR_KEY);
  assert_int_equal(rgs_cj_set_int(o, "k", RGS_CJ_INT_MAX + 1), RGS_CJ_ERR_RANGE);
  assert_int_equal(rgs_cj_set_int(o, "k", -RGS_CJ_INT_MAX - 1), RGS_CJ_ERR_RANGE);
  assert_int_equal(rgs_cj_set_bool(arr, "k", 1), RGS_CJ_ERR_TYPE);     /* not an object */
  assert_int_equal(rgs_cj_push_str(o, "v"), RGS_CJ_ERR_TYPE);          /* not an array */
  assert_int_equal(rgs_cj_set_null(NULL, "k"), RGS_CJ_ERR_TYPE);
  assert_null(rgs_cj_set_object(o, "bad\"key"));
  rgs_cj_free(arr);
  rgs_cj_free(o);
}

static void test_parser_says_why(void **state)
{
  static const struct {
    const char *text;
    rgs_cj_rc rc;
  } cases[] = {
    { "{\"a\":1}", RGS_CJ_OK },
    { "{ }", RGS_CJ_ERR_SYNTAX },
    { "{\"b\":1,\"a\":2}", RGS_CJ_ERR_SYNTAX },
    { "9007199254740992", RGS_CJ_ERR_RANGE },
    { "\"caf\xe9\"", RGS_CJ_ERR_UTF8 },
    { "{\"\xc3\xa9\":1}", RGS_CJ_ERR_KEY },
    { "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", RGS_CJ_ERR_RANGE },
    { "", RGS_CJ_ERR_SYNTAX },
  };
  char err[256], *text = NULL;
  rgs_cj *v = NULL;
  size_t i, len = 0;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    rgs_cj_rc rc = rgs_cj_parse(cases[i].text, strlen(cases[i].text), &v, err, sizeof(err));
    if (rc != cases[i].rc)
      fail_msg("%s: result %d (%s), expected %d", cases[i].text, rc, err, cases[i].rc);
    if (rc != RGS_CJ_OK) {
      assert_null(v);
      assert_contains(err, "byte ");
    }
    rgs_cj_free(v);
    v = NULL;
  }
  assert_int_equal(rgs_cj_parse(NULL, 0, &v, err, sizeof(err)), RGS_CJ_ERR_TYPE);
  assert_int_equal(rgs_cj_parse("{}", RGS_CJ_MAX_TEXT + 1, &v, err, sizeof(err)),
                   RGS_CJ_ERR_RANGE);
  assert_int_equal(rgs_cj_serialize(NULL, &text, &len), RGS_CJ_ERR_TYPE);
  assert_null(text);
}

static void test_decoders_say_why(void **state)
{
  unsigned char *p = NULL;
  size_t n = 0;

  (void)state;
  assert_int_equal(rgs_cj_unhex("00FF", &p, &n), RGS_CJ_ERR_ENCODING);
  assert_int_equal(rgs_cj_unhex("abc", &p, &n), RGS_CJ_ERR_ENCODING);
  assert_int_equal(rgs_cj_unhex(NULL, &p, &n), RGS_CJ_ERR_TYPE);
  assert_int_equal(rgs_cj_unb64("aGl=", &p, &n), RGS_CJ_ERR_ENCODING);
  assert_int_equal(rgs_cj_unb64(NULL, &p, &n), RGS_CJ_ERR_TYPE);
  assert_null(p);
  assert_int_equal(rgs_cj_unb64("aGk=", &p, &n), RGS_CJ_OK);
  assert_int_equal(n, 2);
  free(p);
}

static void test_every_result_has_its_message(void **state)
{
  const char *seen[RGS_CJ_ERR_ENCODING + 1];
  int rc, k;

  (void)state;
  for (rc = RGS_CJ_OK; rc <= RGS_CJ_ERR_ENCODING; rc++) {
    seen[rc] = rgs_cj_strerror((rgs_cj_rc)rc);
    assert_non_null(seen[rc]);
    assert_true(seen[rc][0] != '\0');
    assert_string_not_equal(seen[rc], "unknown error");
    for (k = 0; k < rc; k++)
      assert_string_not_equal(seen[rc], seen[k]);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_builder_says_why),
    cmocka_unit_test(test_parser_says_why),
    cmocka_unit_test(test_decoders_say_why),
    cmocka_unit_test(test_every_result_has_its_message),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
