/*
 * rgs_order.h - the order component of rgs-enroll: the Certigna "Pack ID RGS**"
 * order, its holder and company, the AED directory and appointment, the
 * documents, the binding to the key and CSR, and the status history, stored
 * in SQLite. It knows nothing of tokens or of the command line.
 *
 * Functions return rgs_order_rc, 0 on success. Each says who owns what it
 * returns.
 */
#ifndef RGS_ORDER_H
#define RGS_ORDER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  RGS_ORDER_OK = 0,
  RGS_ORDER_ERR_NOMEM,
  RGS_ORDER_ERR_ARG,
  RGS_ORDER_ERR_SIREN,          /* SIREN/SIRET: wrong length, not digits or bad check digit */
} rgs_order_rc;

/* Translated sentence for rc; static storage, never NULL. */
const char *rgs_order_strerror(rgs_order_rc rc);

/* ---- company identifiers --------------------------------------------- */

typedef enum { RGS_ID_SIREN = 9, RGS_ID_SIRET = 14 } rgs_order_company_id_kind;

/* Validate a SIREN (9 digits) or SIRET (14 digits) and its Luhn check digit.
 * Spaces are allowed and dropped ("732 829 320"). On success the bare
 * digits are written to out (at least 15 bytes) and *kind is set. */
rgs_order_rc rgs_order_company_id_parse(const char *text, char *out, size_t outlen,
                                        rgs_order_company_id_kind *kind);

#ifdef __cplusplus
}
#endif
#endif /* RGS_ORDER_H */
