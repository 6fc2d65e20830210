/* SPDX-License-Identifier: BSD-3-Clause */
/* f2f_facts.c - one face-to-face that passed (see f2f_facts.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/sha.h>
#include "f2f_facts.h"
#include "f2f_pki.h"
#include "rgs_common.h"

static void sample_who(rgs_f2f_facts *f)
{
  f->order_id = 12;
  f->ca_ref = "CMD-2026-0042";
  f->partner = "CMA";
  f->product = "Pack ID RGS**";
  f->validity_years = 3;
  f->first_name = "Frédéric";
  f->last_name = "Senez";
  f->email = "f.senez@example.fr";
  f->company = "BS AUTO";
  f->company_id = "732829320";
  f->siren = "732829320";
  f->token_label = "Clé";
  f->token_model = "IDPrime MD 840";
  f->token_serial = "0123456789";
  f->check_passed = 1;
}

static void sample_checks(rgs_f2f_facts *f, X509 *aed)
{
  size_t i;

  f->id_doc = RGS_F2F_DOC_ID_CARD;
  f->id_name = "SENEZ Frédéric";
  f->id_expires = "2031-05-31";
  f->id_name_matches = f->id_valid_on_day = f->id_verified_in_person = 1;
  f->extract_date = "2026-02-15";
  snprintf(f->extract_last_day, sizeof(f->extract_last_day), "2026-05-14");
  f->extract_ok = 1;
  f->aed_cert = aed;
  f->aed_name = "jeanne dupont-leger";         /* the CN, as people write it */
  f->aed_office = "SELARL Acthemis, 29 Chemin de Séverin 13200 ARLES";
  f->place = "13200 ARLES";
  for (i = 0; i < RGS_F2F_N_STEPS; i++) {
    f->results[i] = RGS_F2F_PASS;
    snprintf(f->details[i], sizeof(f->details[i]), "ok %zu", i);
  }
}

void f2f_sample_init(f2f_sample *s, EVP_PKEY *holder, X509 *aed)
{
  unsigned char md[32];
  int len;

  memset(s, 0, sizeof(*s));
  len = i2d_PUBKEY(holder, &s->spki);
  assert_true(len > 0);
  s->spki_len = (size_t)len;
  SHA256(s->spki, s->spki_len, md);
  rgsx_hex(md, 32, s->spki_hex);
  sample_who(&s->f);
  s->f.spki = s->spki;
  s->f.spki_len = s->spki_len;
  s->f.key_type = "ec";
  s->f.key_bits = 256;
  s->f.key_found = 1;
  snprintf(s->f.date, sizeof(s->f.date), "2026-03-10");
  s->f.signed_at = 1773137400;                 /* 2026-03-10T10:10:00Z */
  snprintf(s->f.nonce_hex, sizeof(s->f.nonce_hex), "%064d", 7);
  s->pop_msg = rgs_f2f_pop_message(12, s->spki_hex, s->f.nonce_hex, s->f.date);
  assert_non_null(s->pop_msg);
  assert_int_equal(pki_sign(holder, (const unsigned char *)s->pop_msg, strlen(s->pop_msg),
                            &s->pop_sig, &s->pop_sig_len), 0);
  s->f.pop_message = s->pop_msg;
  s->f.pop_sig = s->pop_sig;
  s->f.pop_sig_len = s->pop_sig_len;
  s->f.pop_verified = 1;
  sample_checks(&s->f, aed);
}

void f2f_sample_free(f2f_sample *s)
{
  free(s->pop_msg);
  free(s->pop_sig);
  OPENSSL_free(s->spki);
  memset(s, 0, sizeof(*s));
}
