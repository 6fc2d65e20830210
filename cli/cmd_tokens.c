/* cmd_tokens.c - rgs-enroll tokens: every slot and token with its URI. */
#include <getopt.h>
#include <stdlib.h>
#include "commands.h"

static const char *pin_state(CK_FLAGS f)
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

static void print_slot_text(const rgs_p11_slot_info *s, const char *uri)
{
  printf(_("Slot %lu: %s%s%s\n"), (unsigned long)s->slot_id, s->slot_description,
         (s->slot_flags & CKF_HW_SLOT) ? _(" [hardware]") : "",
         (s->slot_flags & CKF_REMOVABLE_DEVICE) ? _(" [removable]") : "");
  if (!s->token_present) {
    printf("  %s\n", _("no token"));
    return;
  }
  printf(_("  token        : %s\n  manufacturer : %s\n  model        : %s\n"
           "  serial       : %s\n  URI          : %s\n"),
         s->label, s->manufacturer, s->model, s->serial, uri != NULL ? uri : "?");
  printf(_("  flags        :%s%s%s%s%s\n"),
         (s->token_flags & CKF_TOKEN_INITIALIZED) ? _(" initialised") : _(" NOT-initialised"),
         (s->token_flags & CKF_LOGIN_REQUIRED) ? _(" login-required") : "",
         (s->token_flags & CKF_PROTECTED_AUTHENTICATION_PATH) ? _(" pinpad") : "",
         (s->token_flags & CKF_WRITE_PROTECTED) ? _(" write-protected") : "",
         (s->token_flags & CKF_RNG) ? _(" rng") : "");
  printf(_("  PIN          : %s (length %lu-%lu)\n"), _(pin_state(s->token_flags)),
         (unsigned long)s->min_pin, (unsigned long)s->max_pin);
}

void rgs_json_token(rgs_json *j, const char *key, const rgs_p11_slot_info *s)
{
  rgs_json_object(j, key);
  rgs_json_str(j, "label", s->label);
  rgs_json_str(j, "manufacturer", s->manufacturer);
  rgs_json_str(j, "model", s->model);
  rgs_json_str(j, "serial", s->serial);
  rgs_json_int(j, "flags", (long long)s->token_flags);
  rgs_json_str(j, "pin_state", pin_state(s->token_flags));
  rgs_json_bool(j, "pinpad", (s->token_flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0);
  rgs_json_int(j, "min_pin", (long long)s->min_pin);
  rgs_json_int(j, "max_pin", (long long)s->max_pin);
  rgs_json_end(j);
}

static void print_slot_json(rgs_json *j, const rgs_p11_slot_info *s, const char *uri)
{
  rgs_json_object(j, NULL);
  rgs_json_int(j, "slot_id", (long long)s->slot_id);
  rgs_json_str(j, "slot_description", s->slot_description);
  rgs_json_bool(j, "hardware", (s->slot_flags & CKF_HW_SLOT) != 0);
  rgs_json_bool(j, "removable", (s->slot_flags & CKF_REMOVABLE_DEVICE) != 0);
  rgs_json_bool(j, "token_present", s->token_present);
  if (s->token_present) {
    rgs_json_str(j, "uri", uri);
    rgs_json_token(j, "token", s);
  }
  rgs_json_end(j);
}

static char *slot_uri(const rgs_p11_slot_info *s)
{
  rgs_p11_uri *uri = NULL;
  char *text = NULL;

  if (!s->token_present || rgs_p11_uri_for_token(s, &uri) != RGS_P11_OK)
    return NULL;
  text = rgs_p11_uri_format(uri);
  rgs_p11_uri_free(uri);
  return text;
}

int rgs_cmd_tokens(rgs_io *io, int argc, char **argv)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
  rgs_p11_ctx *ctx = NULL;
  rgs_p11_slot_info *slots = NULL;
  size_t n = 0, i;
  char err[512];
  rgs_json j;
  rgs_p11_rc rc;
  int c, ret = RGS_EXIT_OK;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'h') {
      printf("%s\n", _("Usage: rgs-enroll tokens\nList every slot of the module, its token, URI, flags and PIN state."));
      return RGS_EXIT_OK;
    }
    return rgs_usage_error(io, "tokens", _("unknown option '%s'"), argv[optind - 1]);
  }
  rc = rgs_p11_ctx_new(rgs_p11_default_module(io->module), &ctx, err, sizeof(err));
  if (rc != RGS_P11_OK) {
    ret = rgs_fail(io, "tokens", rgs_exit_for_p11(rc), rgs_p11_strerror(rc), err);
    goto cleanup;
  }
  rc = rgs_p11_slots(ctx, &slots, &n);
  if (rc != RGS_P11_OK) {
    ret = rgs_fail_p11(io, "tokens", rc, ctx);
    goto cleanup;
  }
  if (io->json) {
    rgs_json_start(&j, stdout);
    rgs_json_object(&j, NULL);
    rgs_json_str(&j, "command", "tokens");
    rgs_json_bool(&j, "ok", 1);
    rgs_json_str(&j, "module", rgs_p11_module_path(ctx));
    rgs_json_array(&j, "slots");
  } else if (n == 0) {
    printf("%s\n", _("No slot: is the reader connected and pcscd running?"));
  }
  for (i = 0; i < n; i++) {
    char *uri = slot_uri(&slots[i]);
    if (io->json)
      print_slot_json(&j, &slots[i], uri);
    else
      print_slot_text(&slots[i], uri);
    free(uri);
  }
  if (io->json)
    rgs_json_finish(&j);

cleanup:
  free(slots);
  rgs_p11_ctx_free(ctx);
  return ret;
}
