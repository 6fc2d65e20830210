/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rgsfaultp11: a fault-injecting PKCS#11 module for the tests of rgs-enroll.
 *
 * It wraps a real PKCS#11 module (SoftHSM2 in the tests), forwards every call
 * of the PKCS#11 2.40 function list to it and, where the environment says so,
 * injects a fault: a given call fails, the token goes away, the token reports
 * other labels or flags, mechanisms disappear, the user PIN has a retry
 * counter that persists across processes, or the module answers nonsense.
 * tests/faultmod/README.md lists the variables with examples.
 *
 * WHEN THE CONFIGURATION IS READ: the RGS_FAULT_* environment variables are
 * read by every C_Initialize (but one that answers
 * CKR_CRYPTOKI_ALREADY_INITIALIZED), never at any other time.  A test may therefore
 * change them between C_Finalize and the next C_Initialize of the same loaded
 * module; the new values take effect then.  Call counters (used by
 * RGS_FAULT_FAIL and RGS_FAULT_REMOVE_AT) and the "token removed" state also
 * start afresh at each C_Initialize.  The simulated PIN counters live in files
 * and so survive C_Finalize, C_Initialize and the end of the process.
 *
 * THE REAL MODULE MAY ALREADY BE IN USE by the process (f2f drives the
 * holder's token through SoftHSM2 and the AED's through this module over the
 * same SoftHSM2): its C_Initialize then answers
 * CKR_CRYPTOKI_ALREADY_INITIALIZED, and this module is initialised all the
 * same, as a second application would be. It does not own the real module's
 * initialisation then: its C_Finalize and C_CloseAllSessions close only the
 * sessions opened through it, and never finalise the real module.
 *
 * Order of the checks on every call: the call is counted (count file); a
 * RGS_FAULT_FAIL rule that fires answers without calling the real module; a
 * removed token answers CKR_DEVICE_REMOVED / CKR_TOKEN_NOT_PRESENT; then the
 * per-function behaviour (PIN counter, hidden mechanisms...) and the real
 * call; last, a rule written FUNC:N:CKR:after replaces the real result.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NODELETE; the project defines it for every file */
#endif
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define LOG_PREFIX "rgsfaultp11: "
#define MAX_SESSIONS 256

/* Every function of the PKCS#11 2.40 list, in list order, with what it
 * concerns: the library (GLOBAL), the token (TOKEN: answers
 * CKR_TOKEN_NOT_PRESENT once removed), a session (SESSION: answers
 * CKR_DEVICE_REMOVED once removed) or the closing of sessions (CLOSE: still
 * reaches the real module once removed, and reports success). */
#define RGS_FUNCTIONS(X)                                                     \
    X(C_Initialize, GLOBAL) X(C_Finalize, GLOBAL) X(C_GetInfo, GLOBAL)       \
    X(C_GetFunctionList, GLOBAL) X(C_GetSlotList, GLOBAL)                    \
    X(C_GetSlotInfo, GLOBAL) X(C_GetTokenInfo, TOKEN)                        \
    X(C_GetMechanismList, TOKEN) X(C_GetMechanismInfo, TOKEN)                \
    X(C_InitToken, TOKEN) X(C_InitPIN, SESSION) X(C_SetPIN, SESSION)         \
    X(C_OpenSession, TOKEN) X(C_CloseSession, CLOSE)                         \
    X(C_CloseAllSessions, CLOSE) X(C_GetSessionInfo, SESSION)                \
    X(C_GetOperationState, SESSION) X(C_SetOperationState, SESSION)          \
    X(C_Login, SESSION) X(C_Logout, SESSION) X(C_CreateObject, SESSION)      \
    X(C_CopyObject, SESSION) X(C_DestroyObject, SESSION)                     \
    X(C_GetObjectSize, SESSION) X(C_GetAttributeValue, SESSION)              \
    X(C_SetAttributeValue, SESSION) X(C_FindObjectsInit, SESSION)            \
    X(C_FindObjects, SESSION) X(C_FindObjectsFinal, SESSION)                 \
    X(C_EncryptInit, SESSION) X(C_Encrypt, SESSION)                          \
    X(C_EncryptUpdate, SESSION) X(C_EncryptFinal, SESSION)                   \
    X(C_DecryptInit, SESSION) X(C_Decrypt, SESSION)                          \
    X(C_DecryptUpdate, SESSION) X(C_DecryptFinal, SESSION)                   \
    X(C_DigestInit, SESSION) X(C_Digest, SESSION) X(C_DigestUpdate, SESSION) \
    X(C_DigestKey, SESSION) X(C_DigestFinal, SESSION)                        \
    X(C_SignInit, SESSION) X(C_Sign, SESSION) X(C_SignUpdate, SESSION)       \
    X(C_SignFinal, SESSION) X(C_SignRecoverInit, SESSION)                    \
    X(C_SignRecover, SESSION) X(C_VerifyInit, SESSION)                       \
    X(C_Verify, SESSION) X(C_VerifyUpdate, SESSION)                          \
    X(C_VerifyFinal, SESSION) X(C_VerifyRecoverInit, SESSION)                \
    X(C_VerifyRecover, SESSION) X(C_DigestEncryptUpdate, SESSION)            \
    X(C_DecryptDigestUpdate, SESSION) X(C_SignEncryptUpdate, SESSION)        \
    X(C_DecryptVerifyUpdate, SESSION) X(C_GenerateKey, SESSION)              \
    X(C_GenerateKeyPair, SESSION) X(C_WrapKey, SESSION)                      \
    X(C_UnwrapKey, SESSION) X(C_DeriveKey, SESSION)                          \
    X(C_SeedRandom, SESSION) X(C_GenerateRandom, SESSION)                    \
    X(C_GetFunctionStatus, SESSION) X(C_CancelFunction, SESSION)             \
    X(C_WaitForSlotEvent, GLOBAL)

enum fn {
#define X_ENUM(name, kind) FN_##name,
    RGS_FUNCTIONS(X_ENUM)
#undef X_ENUM
    FN_COUNT
};

enum fn_kind { KIND_GLOBAL, KIND_TOKEN, KIND_SESSION, KIND_CLOSE };

static const struct {
    const char *name;
    enum fn_kind kind;
} fn_info[FN_COUNT] = {
#define X_INFO(name, kind) { #name, KIND_##kind },
    RGS_FUNCTIONS(X_INFO)
#undef X_INFO
};

/* ---- Names of constants ------------------------------------------------ */

struct named {
    const char *name;
    unsigned long value;
};

#define NAMED(x) { #x, x }

static const struct named ckr_names[] = {
    NAMED(CKR_OK), NAMED(CKR_CANCEL), NAMED(CKR_HOST_MEMORY),
    NAMED(CKR_SLOT_ID_INVALID), NAMED(CKR_GENERAL_ERROR),
    NAMED(CKR_FUNCTION_FAILED), NAMED(CKR_ARGUMENTS_BAD), NAMED(CKR_NO_EVENT),
    NAMED(CKR_NEED_TO_CREATE_THREADS), NAMED(CKR_CANT_LOCK),
    NAMED(CKR_ATTRIBUTE_READ_ONLY), NAMED(CKR_ATTRIBUTE_SENSITIVE),
    NAMED(CKR_ATTRIBUTE_TYPE_INVALID), NAMED(CKR_ATTRIBUTE_VALUE_INVALID),
    NAMED(CKR_ACTION_PROHIBITED), NAMED(CKR_DATA_INVALID),
    NAMED(CKR_DATA_LEN_RANGE), NAMED(CKR_DEVICE_ERROR),
    NAMED(CKR_DEVICE_MEMORY), NAMED(CKR_DEVICE_REMOVED),
    NAMED(CKR_ENCRYPTED_DATA_INVALID), NAMED(CKR_ENCRYPTED_DATA_LEN_RANGE),
    NAMED(CKR_FUNCTION_CANCELED), NAMED(CKR_FUNCTION_NOT_PARALLEL),
    NAMED(CKR_FUNCTION_NOT_SUPPORTED), NAMED(CKR_KEY_HANDLE_INVALID),
    NAMED(CKR_KEY_SIZE_RANGE), NAMED(CKR_KEY_TYPE_INCONSISTENT),
    NAMED(CKR_KEY_NOT_NEEDED), NAMED(CKR_KEY_CHANGED), NAMED(CKR_KEY_NEEDED),
    NAMED(CKR_KEY_INDIGESTIBLE), NAMED(CKR_KEY_FUNCTION_NOT_PERMITTED),
    NAMED(CKR_KEY_NOT_WRAPPABLE), NAMED(CKR_KEY_UNEXTRACTABLE),
    NAMED(CKR_MECHANISM_INVALID), NAMED(CKR_MECHANISM_PARAM_INVALID),
    NAMED(CKR_OBJECT_HANDLE_INVALID), NAMED(CKR_OPERATION_ACTIVE),
    NAMED(CKR_OPERATION_NOT_INITIALIZED), NAMED(CKR_PIN_INCORRECT),
    NAMED(CKR_PIN_INVALID), NAMED(CKR_PIN_LEN_RANGE), NAMED(CKR_PIN_EXPIRED),
    NAMED(CKR_PIN_LOCKED), NAMED(CKR_SESSION_CLOSED), NAMED(CKR_SESSION_COUNT),
    NAMED(CKR_SESSION_HANDLE_INVALID),
    NAMED(CKR_SESSION_PARALLEL_NOT_SUPPORTED), NAMED(CKR_SESSION_READ_ONLY),
    NAMED(CKR_SESSION_EXISTS), NAMED(CKR_SESSION_READ_ONLY_EXISTS),
    NAMED(CKR_SESSION_READ_WRITE_SO_EXISTS), NAMED(CKR_SIGNATURE_INVALID),
    NAMED(CKR_SIGNATURE_LEN_RANGE), NAMED(CKR_TEMPLATE_INCOMPLETE),
    NAMED(CKR_TEMPLATE_INCONSISTENT), NAMED(CKR_TOKEN_NOT_PRESENT),
    NAMED(CKR_TOKEN_NOT_RECOGNIZED), NAMED(CKR_TOKEN_WRITE_PROTECTED),
    NAMED(CKR_UNWRAPPING_KEY_HANDLE_INVALID),
    NAMED(CKR_UNWRAPPING_KEY_SIZE_RANGE),
    NAMED(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT),
    NAMED(CKR_USER_ALREADY_LOGGED_IN), NAMED(CKR_USER_NOT_LOGGED_IN),
    NAMED(CKR_USER_PIN_NOT_INITIALIZED), NAMED(CKR_USER_TYPE_INVALID),
    NAMED(CKR_USER_ANOTHER_ALREADY_LOGGED_IN), NAMED(CKR_USER_TOO_MANY_TYPES),
    NAMED(CKR_WRAPPED_KEY_INVALID), NAMED(CKR_WRAPPED_KEY_LEN_RANGE),
    NAMED(CKR_WRAPPING_KEY_HANDLE_INVALID), NAMED(CKR_WRAPPING_KEY_SIZE_RANGE),
    NAMED(CKR_WRAPPING_KEY_TYPE_INCONSISTENT),
    NAMED(CKR_RANDOM_SEED_NOT_SUPPORTED), NAMED(CKR_RANDOM_NO_RNG),
    NAMED(CKR_DOMAIN_PARAMS_INVALID), NAMED(CKR_CURVE_NOT_SUPPORTED),
    NAMED(CKR_BUFFER_TOO_SMALL), NAMED(CKR_SAVED_STATE_INVALID),
    NAMED(CKR_INFORMATION_SENSITIVE), NAMED(CKR_STATE_UNSAVEABLE),
    NAMED(CKR_CRYPTOKI_NOT_INITIALIZED), NAMED(CKR_CRYPTOKI_ALREADY_INITIALIZED),
    NAMED(CKR_MUTEX_BAD), NAMED(CKR_MUTEX_NOT_LOCKED), NAMED(CKR_NEW_PIN_MODE),
    NAMED(CKR_NEXT_OTP), NAMED(CKR_EXCEEDED_MAX_ITERATIONS),
    NAMED(CKR_FIPS_SELF_TEST_FAILED), NAMED(CKR_LIBRARY_LOAD_FAILED),
    NAMED(CKR_PIN_TOO_WEAK), NAMED(CKR_PUBLIC_KEY_INVALID),
    NAMED(CKR_FUNCTION_REJECTED), { NULL, 0 }
};

static const struct named ckm_names[] = {
    NAMED(CKM_RSA_PKCS_KEY_PAIR_GEN), NAMED(CKM_RSA_X9_31_KEY_PAIR_GEN),
    NAMED(CKM_RSA_PKCS), NAMED(CKM_RSA_X_509), NAMED(CKM_RSA_PKCS_OAEP),
    NAMED(CKM_RSA_PKCS_PSS), NAMED(CKM_SHA1_RSA_PKCS),
    NAMED(CKM_SHA256_RSA_PKCS), NAMED(CKM_SHA384_RSA_PKCS),
    NAMED(CKM_SHA512_RSA_PKCS), NAMED(CKM_SHA1_RSA_PKCS_PSS),
    NAMED(CKM_SHA256_RSA_PKCS_PSS), NAMED(CKM_SHA384_RSA_PKCS_PSS),
    NAMED(CKM_SHA512_RSA_PKCS_PSS), NAMED(CKM_EC_KEY_PAIR_GEN),
    NAMED(CKM_ECDSA), NAMED(CKM_ECDSA_SHA1), NAMED(CKM_ECDSA_SHA256),
    NAMED(CKM_ECDSA_SHA384), NAMED(CKM_ECDSA_SHA512),
    NAMED(CKM_ECDH1_DERIVE), NAMED(CKM_SHA_1), NAMED(CKM_SHA256),
    NAMED(CKM_SHA384), NAMED(CKM_SHA512), NAMED(CKM_SHA256_HMAC),
    NAMED(CKM_GENERIC_SECRET_KEY_GEN), NAMED(CKM_AES_KEY_GEN),
    NAMED(CKM_AES_ECB), NAMED(CKM_AES_CBC), NAMED(CKM_AES_CBC_PAD),
    NAMED(CKM_AES_GCM), { NULL, 0 }
};

static const struct named token_flag_names[] = {
    NAMED(CKF_RNG), NAMED(CKF_WRITE_PROTECTED), NAMED(CKF_LOGIN_REQUIRED),
    NAMED(CKF_USER_PIN_INITIALIZED), NAMED(CKF_RESTORE_KEY_NOT_NEEDED),
    NAMED(CKF_CLOCK_ON_TOKEN), NAMED(CKF_PROTECTED_AUTHENTICATION_PATH),
    NAMED(CKF_DUAL_CRYPTO_OPERATIONS), NAMED(CKF_TOKEN_INITIALIZED),
    NAMED(CKF_SECONDARY_AUTHENTICATION), NAMED(CKF_USER_PIN_COUNT_LOW),
    NAMED(CKF_USER_PIN_FINAL_TRY), NAMED(CKF_USER_PIN_LOCKED),
    NAMED(CKF_USER_PIN_TO_BE_CHANGED), NAMED(CKF_SO_PIN_COUNT_LOW),
    NAMED(CKF_SO_PIN_FINAL_TRY), NAMED(CKF_SO_PIN_LOCKED),
    NAMED(CKF_SO_PIN_TO_BE_CHANGED), { NULL, 0 }
};

static const struct named slot_flag_names[] = {
    NAMED(CKF_TOKEN_PRESENT), NAMED(CKF_REMOVABLE_DEVICE), NAMED(CKF_HW_SLOT),
    { NULL, 0 }
};

enum nonsense {
    NONSENSE_SLOTLIST_HUGE = 1 << 0,
    NONSENSE_TOKENINFO_GARBAGE = 1 << 1,
    NONSENSE_ATTR_LEN_LIES = 1 << 2,
    NONSENSE_SIGN_SHORT = 1 << 3,
};

static const struct named nonsense_names[] = {
    { "slotlist-huge", NONSENSE_SLOTLIST_HUGE },
    { "tokeninfo-garbage", NONSENSE_TOKENINFO_GARBAGE },
    { "attr-len-lies", NONSENSE_ATTR_LEN_LIES },
    { "sign-short", NONSENSE_SIGN_SHORT },
    { NULL, 0 }
};

#define HUGE_SLOT_COUNT 100000UL
#define LYING_ATTR_LEN (1UL << 30)
#define SHORT_SIGNATURE_LEN 3UL

/* ---- Configuration ------------------------------------------------------- */

#define MAX_RULES 64
#define MAX_HIDDEN 64
#define TEXT_MAX 64 /* widest text field: CK_SLOT_INFO slotDescription */

struct rule {
    enum fn fn;
    unsigned long nth; /* 1-based; 0 means every call */
    CK_RV rv;
    bool after;        /* make the real call, then replace its result */
};

struct text_override {
    bool set;
    char text[TEXT_MAX + 1];
};

/* Slots named by a variable: "*" for every slot, or slot ids. */
#define MAX_SLOT_IDS 8
struct slot_set {
    bool all;
    CK_SLOT_ID ids[MAX_SLOT_IDS];
    size_t n;
};

struct pin_counter {
    bool on;
    char path[PATH_MAX];
    unsigned long max;
    CK_FLAGS count_low, final_try, locked;
};

struct config {
    char real[PATH_MAX];
    struct rule rules[MAX_RULES];
    size_t n_rules;
    bool remove_on;
    enum fn remove_fn;
    unsigned long remove_nth;
    struct text_override manufacturer, model, label, serial;
    CK_FLAGS token_set, token_clear, slot_set, slot_clear;
    CK_MECHANISM_TYPE hidden[MAX_HIDDEN];
    size_t n_hidden;
    unsigned long rsa_max_bits; /* 0: no limit */
    unsigned long keygen_tamper; /* TAMPER_* bits */
    struct pin_counter user_pin, so_pin;
    unsigned long nonsense;
    char count_file[PATH_MAX];
    bool log;
    int cert_kill;               /* CERT_KILL_* (RGS_FAULT_CERT_CREATE_KILL) */
    int keygen_pause;            /* KEYGEN_PAUSE_* (RGS_FAULT_KEYGEN_PAUSE) */
    char pause_fifo[PATH_MAX];   /* RGS_FAULT_PAUSE_FIFO */
    struct text_override slot_description;   /* RGS_FAULT_SLOT_DESCRIPTION */
    struct slot_set empty_slots;             /* RGS_FAULT_EMPTY_SLOTS */
    struct slot_set unrecognized_slots;      /* RGS_FAULT_UNRECOGNIZED_SLOTS */
};

static struct {
    pthread_mutex_t lock;
    bool initialized; /* real module loaded and initialized */
    struct config cfg;
    void *dl;
    CK_FUNCTION_LIST_PTR real;
    unsigned long calls[FN_COUNT];
    bool removed;
    int count_fd;
    bool owns_real;   /* our C_Initialize initialised the real module */
    /* Sessions opened through us, closed by us when the real module is
     * another user's (owns_real false). */
    struct { CK_SESSION_HANDLE h; CK_SLOT_ID slot; } sessions[MAX_SESSIONS];
    size_t n_sessions;
} g = { .lock = PTHREAD_MUTEX_INITIALIZER, .count_fd = -1 };

__attribute__((format(printf, 1, 2)))
static void complain(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs(LOG_PREFIX, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static const char *ckr_name(CK_RV rv)
{
    size_t i;

    for (i = 0; ckr_names[i].name != NULL; i++) {
        if (ckr_names[i].value == rv)
            return ckr_names[i].name;
    }
    return NULL;
}

static char *trim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *end = '\0';
    return s;
}

static bool parse_ulong(const char *s, unsigned long *out)
{
    char *end = NULL;
    unsigned long v;

    if (*s == '\0' || *s == '-')
        return false;
    errno = 0;
    v = strtoul(s, &end, 0);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

/* A symbolic name from the table, or a number (decimal or 0x...). */
static bool parse_named(const struct named *table, const char *s,
                        unsigned long *out)
{
    size_t i;

    for (i = 0; table[i].name != NULL; i++) {
        if (strcmp(table[i].name, s) == 0) {
            *out = table[i].value;
            return true;
        }
    }
    return parse_ulong(s, out);
}

/* "NAME|NAME|0x10": the union of the flags. */
static bool parse_flags(const struct named *table, const char *s,
                        CK_FLAGS *out)
{
    char *copy = strdup(s);
    char *save = NULL;
    char *item;
    unsigned long v = 0;
    bool ok = copy != NULL;

    *out = 0;
    for (item = ok ? strtok_r(copy, "|", &save) : NULL; ok && item != NULL;
         item = strtok_r(NULL, "|", &save)) {
        ok = parse_named(table, trim(item), &v);
        *out |= v;
    }
    free(copy);
    return ok;
}

static bool parse_fn(const char *s, enum fn *out)
{
    int i;

    for (i = 0; i < FN_COUNT; i++) {
        if (strcmp(fn_info[i].name, s) == 0) {
            *out = (enum fn)i;
            return true;
        }
    }
    return false;
}

/* "FUNC:N:CKR" or "FUNC:N:CKR:after", N a number from 1 or "*". */
static bool parse_rule(char *s, struct rule *r)
{
    char *save = NULL;
    char *func = strtok_r(s, ":", &save);
    char *nth = strtok_r(NULL, ":", &save);
    char *rv = strtok_r(NULL, ":", &save);
    char *when = strtok_r(NULL, ":", &save);
    char *extra = strtok_r(NULL, ":", &save);

    if (func == NULL || nth == NULL || rv == NULL || extra != NULL)
        return false;
    if (!parse_fn(trim(func), &r->fn))
        return false;
    nth = trim(nth);
    if (strcmp(nth, "*") == 0)
        r->nth = 0;
    else if (!parse_ulong(nth, &r->nth) || r->nth == 0)
        return false;
    if (!parse_named(ckr_names, trim(rv), &r->rv))
        return false;
    r->after = false;
    if (when != NULL) {
        if (strcmp(trim(when), "after") != 0)
            return false;
        r->after = true;
    }
    return true;
}

static bool parse_remove_at(char *s, struct config *cfg)
{
    char *save = NULL;
    char *func = strtok_r(s, ":", &save);
    char *nth = strtok_r(NULL, ":", &save);
    char *extra = strtok_r(NULL, ":", &save);

    if (func == NULL || nth == NULL || extra != NULL)
        return false;
    if (!parse_fn(trim(func), &cfg->remove_fn))
        return false;
    if (!parse_ulong(trim(nth), &cfg->remove_nth) || cfg->remove_nth == 0)
        return false;
    cfg->remove_on = true;
    return true;
}

static bool add_hidden(char *s, struct config *cfg)
{
    unsigned long mech;

    if (cfg->n_hidden >= MAX_HIDDEN || !parse_named(ckm_names, s, &mech))
        return false;
    cfg->hidden[cfg->n_hidden++] = mech;
    return true;
}

static bool add_rule(char *s, struct config *cfg)
{
    if (cfg->n_rules >= MAX_RULES || !parse_rule(s, &cfg->rules[cfg->n_rules]))
        return false;
    cfg->n_rules++;
    return true;
}

static bool add_nonsense(char *s, struct config *cfg)
{
    size_t i;

    for (i = 0; nonsense_names[i].name != NULL; i++) {
        if (strcmp(nonsense_names[i].name, s) == 0) {
            cfg->nonsense |= nonsense_names[i].value;
            return true;
        }
    }
    return false;
}

/* Calls add() on each non-empty item of a comma-separated variable. */
static bool add_tamper(char *item, struct config *cfg);
static bool env_keygen_pause(struct config *cfg);

static bool parse_list(const char *var, bool (*add)(char *, struct config *),
                       struct config *cfg)
{
    const char *value = getenv(var);
    char *copy = NULL;
    char *save = NULL;
    char *item;
    bool ok = true;

    if (value == NULL)
        return true;
    copy = strdup(value);
    if (copy == NULL) {
        complain("out of memory reading %s", var);
        return false;
    }
    for (item = strtok_r(copy, ",", &save); ok && item != NULL;
         item = strtok_r(NULL, ",", &save)) {
        item = trim(item);
        if (*item == '\0')
            continue;
        ok = add(item, cfg);
    }
    if (!ok)
        complain("bad %s: '%s'", var, value);
    free(copy);
    return ok;
}

static bool slot_set_add(struct slot_set *set, char *s)
{
    unsigned long id;

    if (strcmp(s, "*") == 0) {
        set->all = true;
        return true;
    }
    if (set->n >= MAX_SLOT_IDS || !parse_ulong(s, &id))
        return false;
    set->ids[set->n++] = id;
    return true;
}

static bool add_empty_slot(char *s, struct config *cfg)
{
    return slot_set_add(&cfg->empty_slots, s);
}

static bool add_unrecognized_slot(char *s, struct config *cfg)
{
    return slot_set_add(&cfg->unrecognized_slots, s);
}

static bool slot_in(const struct slot_set *set, CK_SLOT_ID slot)
{
    size_t i;

    if (set->all)
        return true;
    for (i = 0; i < set->n; i++) {
        if (set->ids[i] == slot)
            return true;
    }
    return false;
}

static bool env_text(const char *var, char *out, size_t size)
{
    const char *value = getenv(var);

    if (value == NULL || *value == '\0')
        return false;
    snprintf(out, size, "%s", value);
    return true;
}

static bool env_path(const char *var, char *out)
{
    const char *value = getenv(var);

    if (value == NULL || *value == '\0')
        return true;
    if (strlen(value) >= PATH_MAX) {
        complain("%s is too long", var);
        return false;
    }
    memcpy(out, value, strlen(value) + 1);
    return true;
}

static bool env_number(const char *var, unsigned long *out)
{
    const char *value = getenv(var);

    if (value == NULL || *value == '\0')
        return true;
    if (!parse_ulong(value, out)) {
        complain("%s is not a number: '%s'", var, value);
        return false;
    }
    return true;
}

static bool env_flags(const char *var, const struct named *table,
                      CK_FLAGS *out)
{
    const char *value = getenv(var);

    if (value == NULL || *value == '\0')
        return true;
    if (!parse_flags(table, value, out)) {
        complain("%s: bad flags '%s'", var, value);
        return false;
    }
    return true;
}

static bool env_pin_counter(const char *path_var, const char *tries_var,
                            struct pin_counter *p)
{
    p->max = 3;
    if (!env_path(path_var, p->path) || !env_number(tries_var, &p->max))
        return false;
    if (p->max == 0) {
        complain("%s must be at least 1", tries_var);
        return false;
    }
    p->on = p->path[0] != '\0';
    return true;
}

static bool env_remove_at(struct config *cfg)
{
    const char *value = getenv("RGS_FAULT_REMOVE_AT");
    char *copy = NULL;
    bool ok;

    if (value == NULL || *value == '\0')
        return true;
    copy = strdup(value);
    ok = copy != NULL && parse_remove_at(copy, cfg);
    if (!ok)
        complain("bad RGS_FAULT_REMOVE_AT: '%s' (want FUNC:N)", value);
    free(copy);
    return ok;
}

/* RGS_FAULT_CERT_CREATE_KILL=bare|empty|written: C_CreateObject of a
 * certificate leaves on the real token what a kill -9 at that instant
 * leaves, then the process kills itself (SIGKILL, exit status 137).
 * bare: a certificate object with only its class, type and CKA_TOKEN, every
 * other attribute at the module's default (SoftHSM2's file store, killed
 * inside its own C_CreateObject); empty: the caller's template with an empty
 * CKA_VALUE (a module that creates the object, then fills it); written: the
 * object complete, the caller never told. */
enum { CERT_KILL_NONE, CERT_KILL_BARE, CERT_KILL_EMPTY, CERT_KILL_WRITTEN };

static bool env_cert_kill(struct config *cfg)
{
    static const struct named modes[] = {
        { "bare", CERT_KILL_BARE }, { "empty", CERT_KILL_EMPTY },
        { "written", CERT_KILL_WRITTEN }, { NULL, 0 },
    };
    const char *value = getenv("RGS_FAULT_CERT_CREATE_KILL");
    size_t i;

    if (value == NULL || *value == '\0')
        return true;
    for (i = 0; modes[i].name != NULL; i++) {
        if (strcmp(value, modes[i].name) == 0) {
            cfg->cert_kill = (int)modes[i].value;
            return true;
        }
    }
    complain("bad RGS_FAULT_CERT_CREATE_KILL: '%s' (want bare, empty or written)", value);
    return false;
}

static bool config_load(struct config *cfg)
{
    const char *log = getenv("RGS_FAULT_LOG");
    bool ok;

    memset(cfg, 0, sizeof *cfg);
    cfg->log = log != NULL && *log != '\0' && strcmp(log, "0") != 0;
    cfg->user_pin.count_low = CKF_USER_PIN_COUNT_LOW;
    cfg->user_pin.final_try = CKF_USER_PIN_FINAL_TRY;
    cfg->user_pin.locked = CKF_USER_PIN_LOCKED;
    cfg->so_pin.count_low = CKF_SO_PIN_COUNT_LOW;
    cfg->so_pin.final_try = CKF_SO_PIN_FINAL_TRY;
    cfg->so_pin.locked = CKF_SO_PIN_LOCKED;
    cfg->manufacturer.set = env_text("RGS_FAULT_TOKEN_MANUFACTURER",
                                     cfg->manufacturer.text, sizeof cfg->manufacturer.text);
    cfg->model.set = env_text("RGS_FAULT_TOKEN_MODEL", cfg->model.text,
                              sizeof cfg->model.text);
    cfg->label.set = env_text("RGS_FAULT_TOKEN_LABEL", cfg->label.text,
                              sizeof cfg->label.text);
    cfg->serial.set = env_text("RGS_FAULT_TOKEN_SERIAL", cfg->serial.text,
                               sizeof cfg->serial.text);
    cfg->slot_description.set = env_text("RGS_FAULT_SLOT_DESCRIPTION",
                                         cfg->slot_description.text,
                                         sizeof cfg->slot_description.text);

    ok = env_path("RGS_FAULT_REAL", cfg->real) &&
         env_path("RGS_FAULT_COUNT_FILE", cfg->count_file) &&
         env_number("RGS_FAULT_RSA_MAX_BITS", &cfg->rsa_max_bits) &&
         parse_list("RGS_FAULT_KEYGEN_TAMPER", add_tamper, cfg) &&
         env_flags("RGS_FAULT_TOKEN_FLAGS_SET", token_flag_names, &cfg->token_set) &&
         env_flags("RGS_FAULT_TOKEN_FLAGS_CLEAR", token_flag_names, &cfg->token_clear) &&
         env_flags("RGS_FAULT_SLOT_FLAGS_SET", slot_flag_names, &cfg->slot_set) &&
         env_flags("RGS_FAULT_SLOT_FLAGS_CLEAR", slot_flag_names, &cfg->slot_clear) &&
         env_pin_counter("RGS_FAULT_PIN_STATE", "RGS_FAULT_PIN_TRIES", &cfg->user_pin) &&
         env_pin_counter("RGS_FAULT_SO_PIN_STATE", "RGS_FAULT_SO_PIN_TRIES", &cfg->so_pin) &&
         parse_list("RGS_FAULT_FAIL", add_rule, cfg) &&
         parse_list("RGS_FAULT_MECH_HIDE", add_hidden, cfg) &&
         parse_list("RGS_FAULT_NONSENSE", add_nonsense, cfg) &&
         parse_list("RGS_FAULT_EMPTY_SLOTS", add_empty_slot, cfg) &&
         parse_list("RGS_FAULT_UNRECOGNIZED_SLOTS", add_unrecognized_slot, cfg) &&
         env_remove_at(cfg) &&
         env_keygen_pause(cfg);

    ok = ok && env_cert_kill(cfg);
    return ok;
}

/* ---- Loading the real module --------------------------------------------- */

static void module_unload(void)
{
    if (g.count_fd >= 0)
        close(g.count_fd);
    g.count_fd = -1;
    if (g.dl != NULL)
        dlclose(g.dl);
    g.dl = NULL;
    g.real = NULL;
    g.initialized = false;
    g.owns_real = false;
    g.n_sessions = 0;
}

/* Called with g.lock held.  RTLD_NODELETE keeps the real module mapped after
 * dlclose(), so that its static state and leak reports stay sane. */
static CK_RV module_load(void)
{
    CK_C_GetFunctionList get_list;
    CK_RV rv;

    if (g.cfg.real[0] == '\0') {
        complain("RGS_FAULT_REAL is not set: no real module to wrap");
        return CKR_GENERAL_ERROR;
    }
    g.dl = dlopen(g.cfg.real, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (g.dl == NULL) {
        complain("cannot load %s: %s", g.cfg.real, dlerror());
        return CKR_GENERAL_ERROR;
    }
    get_list = (CK_C_GetFunctionList)dlsym(g.dl, "C_GetFunctionList");
    if (get_list == NULL) {
        complain("%s has no C_GetFunctionList", g.cfg.real);
        return CKR_GENERAL_ERROR;
    }
    rv = get_list(&g.real);
    if (rv != CKR_OK || g.real == NULL) {
        complain("C_GetFunctionList of %s failed (0x%lx)", g.cfg.real, rv);
        return CKR_GENERAL_ERROR;
    }
    if (g.cfg.count_file[0] != '\0') {
        g.count_fd = open(g.cfg.count_file,
                          O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (g.count_fd < 0) {
            complain("cannot open %s: %s", g.cfg.count_file, strerror(errno));
            return CKR_GENERAL_ERROR;
        }
    }
    return CKR_OK;
}

/* ---- The path of every call -------------------------------------------- */

struct call {
    enum fn fn;
    CK_FUNCTION_LIST_PTR real;
    bool removed;      /* the token was gone when the call came in */
    bool skip;         /* the real module is not called; rv is the answer */
    CK_RV rv;
    bool after;        /* the real result is replaced by after_rv */
    CK_RV after_rv;
    const char *why;   /* for the log */
};

static const struct rule *rule_for(enum fn fn, unsigned long nth)
{
    size_t i;

    for (i = 0; i < g.cfg.n_rules; i++) {
        const struct rule *r = &g.cfg.rules[i];

        if (r->fn == fn && (r->nth == 0 || r->nth == nth))
            return r;
    }
    return NULL;
}

static void call_skip(struct call *c, CK_RV rv, const char *why)
{
    c->skip = true;
    c->rv = rv;
    c->why = why;
}

/* Counts the call and decides whether the real module is called: returns
 * true if it should be, false if c->rv is already the answer. */
static bool call_begin(struct call *c, enum fn fn)
{
    const struct rule *r = NULL;
    unsigned long nth;

    memset(c, 0, sizeof *c);
    c->fn = fn;
    pthread_mutex_lock(&g.lock);
    if (!g.initialized && fn != FN_C_Initialize) {
        pthread_mutex_unlock(&g.lock);
        call_skip(c, CKR_CRYPTOKI_NOT_INITIALIZED, "not initialized");
        return false;
    }
    nth = ++g.calls[fn];
    if (g.count_fd >= 0) {
        char line[64];
        int len = snprintf(line, sizeof line, "%s\n", fn_info[fn].name);

        if (write(g.count_fd, line, (size_t)len) != len)
            complain("cannot write %s: %s", g.cfg.count_file, strerror(errno));
    }
    if (g.cfg.remove_on && g.cfg.remove_fn == fn && nth >= g.cfg.remove_nth)
        g.removed = true;
    c->removed = g.removed;
    c->real = g.real;
    r = rule_for(fn, nth);
    pthread_mutex_unlock(&g.lock);

    if (r != NULL && !r->after) {
        call_skip(c, r->rv, "injected");
    } else if (c->removed && fn_info[fn].kind == KIND_TOKEN) {
        call_skip(c, CKR_TOKEN_NOT_PRESENT, "token removed");
    } else if (c->removed && fn_info[fn].kind == KIND_SESSION) {
        call_skip(c, CKR_DEVICE_REMOVED, "token removed");
    } else if (r != NULL) {
        c->after = true;
        c->after_rv = r->rv;
    }
    return !c->skip;
}

/* RGS_FAULT_LOG=1: "rgsfaultp11: C_Login -> CKR_PIN_LOCKED, why" */
static void log_call(const struct call *c, CK_RV rv)
{
    const char *name = ckr_name(rv);
    char hex[32];

    if (name == NULL) {
        snprintf(hex, sizeof hex, "0x%lx", rv);
        name = hex;
    }
    complain("%s -> %s%s%s", fn_info[c->fn].name, name,
             c->why != NULL ? ", " : "", c->why != NULL ? c->why : "");
}

/* Returns the answer of the call: rv from the real module unless the call
 * was skipped or its result is replaced. */
static CK_RV call_end(struct call *c, CK_RV rv)
{
    if (c->skip) {
        rv = c->rv;
    } else if (c->after) {
        rv = c->after_rv;
        c->why = "injected after the real call";
    } else if (c->removed && fn_info[c->fn].kind == KIND_CLOSE) {
        rv = CKR_OK;
        c->why = "token removed";
    }
    if (g.cfg.log)
        log_call(c, rv);
    return rv;
}

/* RGS_FAULT_EMPTY_SLOTS / RGS_FAULT_UNRECOGNIZED_SLOTS: what a function
 * about the token answers for a reader without a card, or one whose card
 * this module does not know; CKR_OK for the other slots. */
static CK_RV slot_card_rv(CK_SLOT_ID slot)
{
    if (slot_in(&g.cfg.empty_slots, slot))
        return CKR_TOKEN_NOT_PRESENT;
    if (slot_in(&g.cfg.unrecognized_slots, slot))
        return CKR_TOKEN_NOT_RECOGNIZED;
    return CKR_OK;
}

static bool slot_allowed(struct call *c, CK_SLOT_ID slot)
{
    CK_RV rv = slot_card_rv(slot);

    if (rv != CKR_OK)
        call_skip(c, rv, rv == CKR_TOKEN_NOT_PRESENT ? "empty reader" : "card not recognized");
    return !c->skip;
}

static bool mech_hidden(CK_MECHANISM_TYPE mech)
{
    size_t i;

    for (i = 0; i < g.cfg.n_hidden; i++) {
        if (g.cfg.hidden[i] == mech)
            return true;
    }
    return false;
}

/* A hidden mechanism is refused by every function that takes one. */
static bool mech_allowed(struct call *c, const CK_MECHANISM *mech)
{
    if (mech != NULL && mech_hidden(mech->mechanism))
        call_skip(c, CKR_MECHANISM_INVALID, "mechanism hidden");
    return !c->skip;
}

static bool is_rsa_keygen(CK_MECHANISM_TYPE mech)
{
    return mech == CKM_RSA_PKCS_KEY_PAIR_GEN || mech == CKM_RSA_X9_31_KEY_PAIR_GEN;
}

/* ---- Simulated PIN retry counters ---------------------------------------- */

enum pin_op { PIN_READ, PIN_FAILED, PIN_RESET };

/* Reads, and for PIN_FAILED / PIN_RESET updates, the number of tries left
 * kept in p->path (created with p->max when absent or unreadable).  The file
 * is locked so that concurrent processes see a consistent count. */
static bool pin_file(const struct pin_counter *p, enum pin_op op,
                     unsigned long *tries_left)
{
    char buf[32];
    unsigned long tries = p->max;
    unsigned long next;
    ssize_t n;
    int len;
    int fd;
    bool ok = false;

    fd = open(p->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        complain("cannot open PIN state %s: %s", p->path, strerror(errno));
        return false;
    }
    if (flock(fd, LOCK_EX) != 0) {
        complain("cannot lock PIN state %s: %s", p->path, strerror(errno));
        goto cleanup;
    }
    n = pread(fd, buf, sizeof buf - 1, 0);
    if (n > 0) {
        buf[n] = '\0';
        if (!parse_ulong(trim(buf), &tries)) {
            tries = p->max;
            n = 0; /* rewrite it */
        }
    }
    next = tries;
    if (op == PIN_FAILED && next > 0)
        next--;
    else if (op == PIN_RESET)
        next = p->max;
    if (n <= 0 || next != tries) {
        len = snprintf(buf, sizeof buf, "%lu\n", next);
        if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
            complain("cannot write PIN state %s: %s", p->path, strerror(errno));
            goto cleanup;
        }
    }
    *tries_left = next;
    ok = true;
cleanup:
    close(fd);
    return ok;
}

/* The counter that a login of this user type spends, or NULL. */
static const struct pin_counter *pin_counter_for(CK_USER_TYPE user)
{
    const struct pin_counter *p = NULL;

    if (user == CKU_SO)
        p = &g.cfg.so_pin;
    else if (user == CKU_USER || user == CKU_CONTEXT_SPECIFIC)
        p = &g.cfg.user_pin;
    return p != NULL && p->on ? p : NULL;
}

/* Before a PIN check: skips the call when the PIN is locked. */
static bool pin_allowed(struct call *c, const struct pin_counter *p)
{
    unsigned long tries = 0;

    if (p == NULL)
        return true;
    if (!pin_file(p, PIN_READ, &tries))
        call_skip(c, CKR_GENERAL_ERROR, "PIN state unreadable");
    else if (tries == 0)
        call_skip(c, CKR_PIN_LOCKED, "simulated PIN counter at 0");
    return !c->skip;
}

/* After a PIN check by the real module: spends a try or restores them. */
static void pin_account(const struct pin_counter *p, CK_RV rv)
{
    unsigned long tries;

    if (p == NULL)
        return;
    if (rv == CKR_PIN_INCORRECT)
        pin_file(p, PIN_FAILED, &tries);
    else if (rv == CKR_OK)
        pin_file(p, PIN_RESET, &tries);
}

static CK_FLAGS pin_flags(const struct pin_counter *p, CK_FLAGS flags)
{
    unsigned long tries;

    if (!p->on || !pin_file(p, PIN_READ, &tries))
        return flags;
    flags &= ~(p->count_low | p->final_try | p->locked);
    if (tries < p->max)
        flags |= p->count_low;
    if (tries == 1)
        flags |= p->final_try;
    if (tries == 0)
        flags |= p->locked;
    return flags;
}

/* ---- Token information ----------------------------------------------------- */

static void put_text(CK_UTF8CHAR *field, size_t width,
                     const struct text_override *o)
{
    size_t len;

    if (!o->set)
        return;
    len = strlen(o->text);
    if (len > width)
        len = width;
    memset(field, ' ', width);
    memcpy(field, o->text, len);
}

/* Control characters 0x01..0x1f and 0xff, no blank padding. */
static void put_garbage(CK_UTF8CHAR *field, size_t width)
{
    size_t i;

    for (i = 0; i < width; i++)
        field[i] = (i % 32 == 31) ? 0xff : (CK_UTF8CHAR)(1 + i % 32);
}

static void token_info_override(CK_TOKEN_INFO *info)
{
    const struct config *cfg = &g.cfg;

    info->flags = pin_flags(&cfg->user_pin, info->flags);
    info->flags = pin_flags(&cfg->so_pin, info->flags);
    info->flags = (info->flags | cfg->token_set) & ~cfg->token_clear;
    put_text(info->manufacturerID, sizeof info->manufacturerID, &cfg->manufacturer);
    put_text(info->model, sizeof info->model, &cfg->model);
    put_text(info->label, sizeof info->label, &cfg->label);
    put_text(info->serialNumber, sizeof info->serialNumber, &cfg->serial);
    if (cfg->nonsense & NONSENSE_TOKENINFO_GARBAGE) {
        put_garbage(info->manufacturerID, sizeof info->manufacturerID);
        put_garbage(info->model, sizeof info->model);
        put_garbage(info->label, sizeof info->label);
        put_garbage(info->serialNumber, sizeof info->serialNumber);
    }
}

/* ---- Plain forwarders -------------------------------------------------- */

#define FORWARD(name, params, args)                                          \
    static CK_RV fault_##name params                                         \
    {                                                                        \
        struct call c;                                                       \
        CK_RV rv = CKR_OK;                                                   \
        if (call_begin(&c, FN_##name))                                       \
            rv = c.real->name args;                                          \
        return call_end(&c, rv);                                             \
    }

/* The same for a function that takes a mechanism, refused when hidden. */
#define FORWARD_MECH(name, params, mech, args)                               \
    static CK_RV fault_##name params                                         \
    {                                                                        \
        struct call c;                                                       \
        CK_RV rv = CKR_OK;                                                   \
        if (call_begin(&c, FN_##name) && mech_allowed(&c, mech))             \
            rv = c.real->name args;                                          \
        return call_end(&c, rv);                                             \
    }

typedef CK_SESSION_HANDLE SH;
typedef CK_OBJECT_HANDLE OH;
typedef CK_BYTE_PTR BP;
typedef CK_ULONG_PTR LP;

FORWARD(C_GetInfo, (CK_INFO_PTR info), (info))
FORWARD(C_GetSessionInfo, (SH s, CK_SESSION_INFO_PTR info), (s, info))
FORWARD(C_GetOperationState, (SH s, BP state, LP len), (s, state, len))
FORWARD(C_SetOperationState, (SH s, BP state, CK_ULONG len, OH enc, OH auth),
        (s, state, len, enc, auth))
FORWARD(C_Logout, (SH s), (s))

/* The template that RGS_FAULT_CERT_CREATE_KILL makes the real module write
 * for a certificate; 0 when it does not apply (not a certificate, too big). */
static CK_ULONG cert_kill_template(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE *out,
                                   CK_ULONG max)
{
    CK_OBJECT_CLASS cls;
    CK_ULONG i, k = 0;
    bool cert = false;

    for (i = 0; i < n; i++) {
        if (t[i].type == CKA_CLASS && t[i].pValue != NULL && t[i].ulValueLen == sizeof cls) {
            memcpy(&cls, t[i].pValue, sizeof cls);
            cert = cls == CKO_CERTIFICATE;
        }
    }
    if (!cert || n > max)
        return 0;
    for (i = 0; i < n; i++) {
        bool basic = t[i].type == CKA_CLASS || t[i].type == CKA_CERTIFICATE_TYPE ||
                     t[i].type == CKA_TOKEN;

        if (g.cfg.cert_kill == CERT_KILL_BARE && !basic && t[i].type != CKA_VALUE)
            continue;
        out[k] = t[i];
        if (g.cfg.cert_kill != CERT_KILL_WRITTEN && t[i].type == CKA_VALUE)
            out[k].ulValueLen = 0;
        k++;
    }
    return k;
}

static CK_RV fault_C_CreateObject(SH s, CK_ATTRIBUTE_PTR t, CK_ULONG n, OH *o)
{
    struct call c;
    CK_ATTRIBUTE partial[64];
    CK_ULONG k = 0;
    CK_RV rv = CKR_OK;

    if (call_begin(&c, FN_C_CreateObject)) {
        if (g.cfg.cert_kill != CERT_KILL_NONE && t != NULL)
            k = cert_kill_template(t, n, partial, 64);
        if (k == 0) {
            rv = c.real->C_CreateObject(s, t, n, o);
        } else {
            rv = c.real->C_CreateObject(s, partial, k, o);
            complain("C_CreateObject of a certificate -> 0x%lx, then SIGKILL "
                     "(RGS_FAULT_CERT_CREATE_KILL)", rv);
            kill(getpid(), SIGKILL);
        }
    }
    return call_end(&c, rv);
}
FORWARD(C_CopyObject, (SH s, OH o, CK_ATTRIBUTE_PTR t, CK_ULONG n,
                       CK_OBJECT_HANDLE_PTR out),
        (s, o, t, n, out))
FORWARD(C_DestroyObject, (SH s, OH o), (s, o))
FORWARD(C_GetObjectSize, (SH s, OH o, LP size), (s, o, size))
static CK_RV fault_C_SetAttributeValue(SH s, OH o, CK_ATTRIBUTE_PTR t, CK_ULONG n);
FORWARD(C_FindObjectsInit, (SH s, CK_ATTRIBUTE_PTR t, CK_ULONG n), (s, t, n))
FORWARD(C_FindObjects, (SH s, CK_OBJECT_HANDLE_PTR o, CK_ULONG max, LP n),
        (s, o, max, n))
FORWARD(C_FindObjectsFinal, (SH s), (s))
FORWARD_MECH(C_EncryptInit, (SH s, CK_MECHANISM_PTR m, OH k), m, (s, m, k))
FORWARD(C_Encrypt, (SH s, BP in, CK_ULONG inl, BP out, LP outl), (s, in, inl, out, outl))
FORWARD(C_EncryptUpdate, (SH s, BP in, CK_ULONG inl, BP out, LP outl),
        (s, in, inl, out, outl))
FORWARD(C_EncryptFinal, (SH s, BP out, LP outl), (s, out, outl))
FORWARD_MECH(C_DecryptInit, (SH s, CK_MECHANISM_PTR m, OH k), m, (s, m, k))
FORWARD(C_Decrypt, (SH s, BP in, CK_ULONG inl, BP out, LP outl), (s, in, inl, out, outl))
FORWARD(C_DecryptUpdate, (SH s, BP in, CK_ULONG inl, BP out, LP outl),
        (s, in, inl, out, outl))
FORWARD(C_DecryptFinal, (SH s, BP out, LP outl), (s, out, outl))
FORWARD_MECH(C_DigestInit, (SH s, CK_MECHANISM_PTR m), m, (s, m))
FORWARD(C_Digest, (SH s, BP in, CK_ULONG inl, BP out, LP outl), (s, in, inl, out, outl))
FORWARD(C_DigestUpdate, (SH s, BP in, CK_ULONG inl), (s, in, inl))
FORWARD(C_DigestKey, (SH s, OH k), (s, k))
FORWARD(C_DigestFinal, (SH s, BP out, LP outl), (s, out, outl))
FORWARD_MECH(C_SignInit, (SH s, CK_MECHANISM_PTR m, OH k), m, (s, m, k))
FORWARD(C_SignUpdate, (SH s, BP in, CK_ULONG inl), (s, in, inl))
FORWARD(C_SignFinal, (SH s, BP sig, LP sigl), (s, sig, sigl))
FORWARD_MECH(C_SignRecoverInit, (SH s, CK_MECHANISM_PTR m, OH k), m, (s, m, k))
FORWARD(C_SignRecover, (SH s, BP in, CK_ULONG inl, BP sig, LP sigl),
        (s, in, inl, sig, sigl))
FORWARD_MECH(C_VerifyInit, (SH s, CK_MECHANISM_PTR m, OH k), m, (s, m, k))
FORWARD(C_Verify, (SH s, BP in, CK_ULONG inl, BP sig, CK_ULONG sigl),
        (s, in, inl, sig, sigl))
FORWARD(C_VerifyUpdate, (SH s, BP in, CK_ULONG inl), (s, in, inl))
FORWARD(C_VerifyFinal, (SH s, BP sig, CK_ULONG sigl), (s, sig, sigl))
FORWARD_MECH(C_VerifyRecoverInit, (SH s, CK_MECHANISM_PTR m, OH k), m, (s, m, k))
FORWARD(C_VerifyRecover, (SH s, BP sig, CK_ULONG sigl, BP out, LP outl),
        (s, sig, sigl, out, outl))
FORWARD(C_DigestEncryptUpdate, (SH s, BP in, CK_ULONG inl, BP out, LP outl),
        (s, in, inl, out, outl))
FORWARD(C_DecryptDigestUpdate, (SH s, BP in, CK_ULONG inl, BP out, LP outl),
        (s, in, inl, out, outl))
FORWARD(C_SignEncryptUpdate, (SH s, BP in, CK_ULONG inl, BP out, LP outl),
        (s, in, inl, out, outl))
FORWARD(C_DecryptVerifyUpdate, (SH s, BP in, CK_ULONG inl, BP out, LP outl),
        (s, in, inl, out, outl))
FORWARD_MECH(C_GenerateKey, (SH s, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t, CK_ULONG n,
                             CK_OBJECT_HANDLE_PTR k),
             m, (s, m, t, n, k))
FORWARD_MECH(C_WrapKey, (SH s, CK_MECHANISM_PTR m, OH wk, OH k, BP out, LP outl),
             m, (s, m, wk, k, out, outl))
FORWARD_MECH(C_UnwrapKey, (SH s, CK_MECHANISM_PTR m, OH uk, BP in, CK_ULONG inl,
                           CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k),
             m, (s, m, uk, in, inl, t, n, k))
FORWARD_MECH(C_DeriveKey, (SH s, CK_MECHANISM_PTR m, OH base, CK_ATTRIBUTE_PTR t,
                           CK_ULONG n, CK_OBJECT_HANDLE_PTR k),
             m, (s, m, base, t, n, k))
FORWARD(C_SeedRandom, (SH s, BP seed, CK_ULONG len), (s, seed, len))
FORWARD(C_GenerateRandom, (SH s, BP out, CK_ULONG len), (s, out, len))
FORWARD(C_GetFunctionStatus, (SH s), (s))
FORWARD(C_CancelFunction, (SH s), (s))
FORWARD(C_WaitForSlotEvent, (CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR r),
        (flags, slot, r))

/* ---- Functions with behaviour of their own ------------------------------- */

/* The sessions opened through us (with g.lock held). A session the table
 * cannot hold is still opened: only the cleanup of a module we do not own
 * would miss it, and the list is far larger than any test needs. */
static void session_add(CK_SESSION_HANDLE h, CK_SLOT_ID slot)
{
    if (g.n_sessions >= MAX_SESSIONS) {
        complain("more than %d sessions: the last ones are not tracked", MAX_SESSIONS);
        return;
    }
    g.sessions[g.n_sessions].h = h;
    g.sessions[g.n_sessions].slot = slot;
    g.n_sessions++;
}

static void session_remove(CK_SESSION_HANDLE h)
{
    size_t i;

    for (i = 0; i < g.n_sessions; i++) {
        if (g.sessions[i].h == h) {
            g.sessions[i] = g.sessions[--g.n_sessions];
            return;
        }
    }
}

/* Close the sessions opened through us, on slot (all slots when all);
 * real NULL: they are closed already, forget them. */
static void sessions_close_own(CK_FUNCTION_LIST_PTR real, bool all, CK_SLOT_ID slot)
{
    size_t i = 0;

    pthread_mutex_lock(&g.lock);
    while (i < g.n_sessions) {
        if (all || g.sessions[i].slot == slot) {
            if (real != NULL)
                real->C_CloseSession(g.sessions[i].h);
            g.sessions[i] = g.sessions[--g.n_sessions];
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&g.lock);
}

static CK_RV fault_C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app,
                                 CK_NOTIFY notify, CK_SESSION_HANDLE_PTR s)
{
    struct call c;
    CK_RV rv = CKR_OK;
    bool opened = false;

    if (call_begin(&c, FN_C_OpenSession) && slot_allowed(&c, slot)) {
        rv = c.real->C_OpenSession(slot, flags, app, notify, s);
        opened = rv == CKR_OK;
    }
    if (opened) {
        pthread_mutex_lock(&g.lock);
        session_add(*s, slot);
        pthread_mutex_unlock(&g.lock);
    }
    return call_end(&c, rv);
}

static CK_RV fault_C_CloseSession(SH s)
{
    struct call c;
    CK_RV rv = CKR_OK;

    if (call_begin(&c, FN_C_CloseSession))
        rv = c.real->C_CloseSession(s);
    rv = call_end(&c, rv);
    if (rv == CKR_OK) {
        pthread_mutex_lock(&g.lock);
        session_remove(s);
        pthread_mutex_unlock(&g.lock);
    }
    return rv;
}

/* The real C_CloseAllSessions would close the other user's sessions too
 * when the real module is not ours: then only ours are closed. */
static CK_RV fault_C_CloseAllSessions(CK_SLOT_ID slot)
{
    struct call c;
    CK_RV rv = CKR_OK;

    if (call_begin(&c, FN_C_CloseAllSessions)) {
        if (g.owns_real) {
            rv = c.real->C_CloseAllSessions(slot);
            if (rv == CKR_OK)
                sessions_close_own(NULL, false, slot);
        } else {
            sessions_close_own(c.real, false, slot);
        }
    }
    return call_end(&c, rv);
}

static CK_RV fault_C_Initialize(CK_VOID_PTR init_args)
{
    struct call c;
    CK_RV rv = CKR_OK;
    bool real_ok = false, shared = false;

    pthread_mutex_lock(&g.lock);
    if (g.initialized) {
        pthread_mutex_unlock(&g.lock);
        return CKR_CRYPTOKI_ALREADY_INITIALIZED;
    }
    module_unload();
    if (!config_load(&g.cfg))
        rv = CKR_GENERAL_ERROR;
    if (rv == CKR_OK)
        rv = module_load();
    if (rv != CKR_OK)
        module_unload();
    memset(g.calls, 0, sizeof g.calls);
    g.removed = false;
    pthread_mutex_unlock(&g.lock);
    if (rv != CKR_OK)
        return rv;

    if (call_begin(&c, FN_C_Initialize)) {
        rv = c.real->C_Initialize(init_args);
        real_ok = rv == CKR_OK;
        /* Someone else in the process uses the real module: it is ready,
         * and ours is initialised now for our caller, who had not. */
        if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
            rv = CKR_OK;
            shared = true;
        }
    }
    rv = call_end(&c, rv);

    pthread_mutex_lock(&g.lock);
    if (real_ok && rv != CKR_OK)
        g.real->C_Finalize(NULL); /* the caller believes it failed */
    if ((real_ok || shared) && rv == CKR_OK) {
        g.initialized = true;
        g.owns_real = real_ok;
        g.n_sessions = 0;
    } else {
        module_unload();
    }
    pthread_mutex_unlock(&g.lock);
    return rv;
}

static CK_RV fault_C_Finalize(CK_VOID_PTR reserved)
{
    struct call c;
    CK_RV rv = CKR_OK;
    bool finalized = false;

    if (call_begin(&c, FN_C_Finalize)) {
        if (g.owns_real) {
            rv = c.real->C_Finalize(reserved);
        } else if (reserved != NULL) {
            rv = CKR_ARGUMENTS_BAD;
        } else {
            /* Not ours to finalise: end what our caller opened, only. */
            sessions_close_own(c.real, true, 0);
        }
        finalized = rv == CKR_OK;
    }
    rv = call_end(&c, rv);
    if (finalized) {
        pthread_mutex_lock(&g.lock);
        module_unload();
        pthread_mutex_unlock(&g.lock);
    }
    return rv;
}

/* The slots with a token, without the empty readers, with the usual
 * two-call protocol. */
static CK_RV slot_list_filtered(CK_FUNCTION_LIST_PTR real, CK_SLOT_ID_PTR list,
                                CK_ULONG_PTR count)
{
    CK_SLOT_ID_PTR all = NULL;
    CK_ULONG n = 0;
    CK_ULONG kept = 0;
    CK_ULONG i;
    CK_RV rv;

    rv = real->C_GetSlotList(CK_TRUE, NULL, &n);
    if (rv != CKR_OK)
        goto cleanup;
    all = calloc(n + 1, sizeof *all);
    if (all == NULL) {
        rv = CKR_HOST_MEMORY;
        goto cleanup;
    }
    rv = real->C_GetSlotList(CK_TRUE, all, &n);
    if (rv != CKR_OK)
        goto cleanup;
    for (i = 0; i < n; i++) {
        if (!slot_in(&g.cfg.empty_slots, all[i]))
            all[kept++] = all[i];
    }
    if (list != NULL && *count < kept)
        rv = CKR_BUFFER_TOO_SMALL;
    else if (list != NULL)
        memcpy(list, all, kept * sizeof *all);
    *count = kept;
cleanup:
    free(all);
    return rv;
}

static CK_RV fault_C_GetSlotList(CK_BBOOL token_present, CK_SLOT_ID_PTR list,
                                 CK_ULONG_PTR count)
{
    struct call c;
    CK_RV rv = CKR_OK;

    if (call_begin(&c, FN_C_GetSlotList)) {
        if (count == NULL) {
            rv = CKR_ARGUMENTS_BAD;
        } else if (g.cfg.nonsense & NONSENSE_SLOTLIST_HUGE) {
            *count = HUGE_SLOT_COUNT;
            rv = list == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
        } else if (c.removed && token_present) {
            *count = 0;
        } else if (token_present && (g.cfg.empty_slots.all || g.cfg.empty_slots.n > 0)) {
            rv = slot_list_filtered(c.real, list, count);
        } else {
            rv = c.real->C_GetSlotList(token_present, list, count);
        }
    }
    return call_end(&c, rv);
}

static CK_RV fault_C_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info)
{
    struct call c;
    CK_RV rv = CKR_OK;

    if (call_begin(&c, FN_C_GetSlotInfo)) {
        rv = c.real->C_GetSlotInfo(slot, info);
        if (rv == CKR_OK) {
            CK_RV card = slot_card_rv(slot);

            if (c.removed || card == CKR_TOKEN_NOT_PRESENT)
                info->flags &= ~(CK_FLAGS)CKF_TOKEN_PRESENT;
            else if (card == CKR_TOKEN_NOT_RECOGNIZED)
                info->flags |= CKF_TOKEN_PRESENT;
            info->flags = (info->flags | g.cfg.slot_set) & ~g.cfg.slot_clear;
            put_text(info->slotDescription, sizeof info->slotDescription,
                     &g.cfg.slot_description);
        }
    }
    return call_end(&c, rv);
}

static CK_RV fault_C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
    struct call c;
    CK_RV rv = CKR_OK;

    if (call_begin(&c, FN_C_GetTokenInfo) && slot_allowed(&c, slot)) {
        rv = c.real->C_GetTokenInfo(slot, info);
        if (rv == CKR_OK)
            token_info_override(info);
    }
    return call_end(&c, rv);
}

/* The real list without the hidden mechanisms, with the usual two-call
 * protocol (NULL list: count only; short list: CKR_BUFFER_TOO_SMALL). */
static CK_RV mech_list_filtered(CK_FUNCTION_LIST_PTR real, CK_SLOT_ID slot,
                                CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
    CK_MECHANISM_TYPE_PTR all = NULL;
    CK_ULONG n = 0;
    CK_ULONG kept = 0;
    CK_ULONG i;
    CK_RV rv;

    rv = real->C_GetMechanismList(slot, NULL, &n);
    if (rv != CKR_OK)
        goto cleanup;
    all = calloc(n + 1, sizeof *all);
    if (all == NULL) {
        rv = CKR_HOST_MEMORY;
        goto cleanup;
    }
    rv = real->C_GetMechanismList(slot, all, &n);
    if (rv != CKR_OK)
        goto cleanup;
    for (i = 0; i < n; i++) {
        if (!mech_hidden(all[i]))
            all[kept++] = all[i];
    }
    if (list != NULL && *count < kept)
        rv = CKR_BUFFER_TOO_SMALL;
    else if (list != NULL)
        memcpy(list, all, kept * sizeof *all);
    *count = kept;
cleanup:
    free(all);
    return rv;
}

static CK_RV fault_C_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list,
                                      CK_ULONG_PTR count)
{
    struct call c;
    CK_RV rv = CKR_OK;

    if (call_begin(&c, FN_C_GetMechanismList) && slot_allowed(&c, slot)) {
        if (g.cfg.n_hidden == 0)
            rv = c.real->C_GetMechanismList(slot, list, count);
        else if (count == NULL)
            rv = CKR_ARGUMENTS_BAD;
        else
            rv = mech_list_filtered(c.real, slot, list, count);
    }
    return call_end(&c, rv);
}

static CK_RV fault_C_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type,
                                      CK_MECHANISM_INFO_PTR info)
{
    struct call c;
    CK_RV rv = CKR_OK;

    if (call_begin(&c, FN_C_GetMechanismInfo) && slot_allowed(&c, slot)) {
        if (mech_hidden(type)) {
            rv = CKR_MECHANISM_INVALID;
        } else {
            rv = c.real->C_GetMechanismInfo(slot, type, info);
            if (rv == CKR_OK && g.cfg.rsa_max_bits != 0 && is_rsa_keygen(type))
                info->ulMaxKeySize = g.cfg.rsa_max_bits;
        }
    }
    return call_end(&c, rv);
}

static CK_RV fault_C_InitToken(CK_SLOT_ID slot, CK_UTF8CHAR_PTR pin, CK_ULONG len,
                               CK_UTF8CHAR_PTR label)
{
    struct call c;
    CK_RV rv = CKR_OK;
    const struct pin_counter *so = pin_counter_for(CKU_SO);
    const struct pin_counter *user = pin_counter_for(CKU_USER);

    if (call_begin(&c, FN_C_InitToken) && slot_allowed(&c, slot) && pin_allowed(&c, so)) {
        rv = c.real->C_InitToken(slot, pin, len, label);
        pin_account(so, rv);
        if (rv == CKR_OK)
            pin_account(user, rv);
    }
    return call_end(&c, rv);
}

static CK_RV fault_C_InitPIN(SH s, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
    struct call c;
    CK_RV rv = CKR_OK;

    if (call_begin(&c, FN_C_InitPIN)) {
        rv = c.real->C_InitPIN(s, pin, len);
        if (rv == CKR_OK)
            pin_account(pin_counter_for(CKU_USER), rv);
    }
    return call_end(&c, rv);
}

/* C_SetPIN changes the PIN of whoever is logged in: the SO in an SO
 * session, the user otherwise; a wrong old PIN spends one of its tries. */
static CK_RV fault_C_SetPIN(SH s, CK_UTF8CHAR_PTR old_pin, CK_ULONG old_len,
                            CK_UTF8CHAR_PTR new_pin, CK_ULONG new_len)
{
    struct call c;
    CK_RV rv = CKR_OK;
    CK_SESSION_INFO info;
    const struct pin_counter *p = NULL;

    if (call_begin(&c, FN_C_SetPIN)) {
        if (c.real->C_GetSessionInfo(s, &info) == CKR_OK)
            p = pin_counter_for(info.state == CKS_RW_SO_FUNCTIONS ? CKU_SO : CKU_USER);
        if (pin_allowed(&c, p)) {
            rv = c.real->C_SetPIN(s, old_pin, old_len, new_pin, new_len);
            pin_account(p, rv);
        }
    }
    return call_end(&c, rv);
}

static CK_RV fault_C_Login(SH s, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
    struct call c;
    CK_RV rv = CKR_OK;
    const struct pin_counter *p = pin_counter_for(user);

    if (call_begin(&c, FN_C_Login) && pin_allowed(&c, p)) {
        rv = c.real->C_Login(s, user, pin, len);
        pin_account(p, rv);
    }
    return call_end(&c, rv);
}

static CK_RV fault_C_GetAttributeValue(SH s, OH o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
    struct call c;
    CK_RV rv = CKR_OK;
    CK_ULONG i;

    if (call_begin(&c, FN_C_GetAttributeValue)) {
        rv = c.real->C_GetAttributeValue(s, o, t, n);
        /* Also lie on the answers that fill what they can around an invalid
         * or sensitive attribute: one-call read-backs get those. */
        if ((rv == CKR_OK || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
             rv == CKR_ATTRIBUTE_SENSITIVE) &&
            (g.cfg.nonsense & NONSENSE_ATTR_LEN_LIES)) {
            for (i = 0; i < n; i++) {
                if (t[i].pValue != NULL && t[i].ulValueLen != CK_UNAVAILABLE_INFORMATION)
                    t[i].ulValueLen = LYING_ATTR_LEN;
            }
        }
    }
    return call_end(&c, rv);
}

static CK_RV fault_C_Sign(SH s, BP in, CK_ULONG inl, BP sig, LP sigl)
{
    struct call c;
    CK_RV rv = CKR_OK;

    if (call_begin(&c, FN_C_Sign)) {
        rv = c.real->C_Sign(s, in, inl, sig, sigl);
        if (rv == CKR_OK && sig != NULL && (g.cfg.nonsense & NONSENSE_SIGN_SHORT))
            *sigl = SHORT_SIGNATURE_LEN;
    }
    return call_end(&c, rv);
}

/* CKA_MODULUS_BITS above RGS_FAULT_RSA_MAX_BITS for an RSA key pair. */
static bool rsa_too_big(const CK_MECHANISM *m, const CK_ATTRIBUTE *t, CK_ULONG n)
{
    CK_ULONG bits;
    CK_ULONG i;

    if (g.cfg.rsa_max_bits == 0 || m == NULL || !is_rsa_keygen(m->mechanism))
        return false;
    for (i = 0; i < n; i++) {
        if (t[i].type == CKA_MODULUS_BITS && t[i].pValue != NULL &&
            t[i].ulValueLen == sizeof bits) {
            memcpy(&bits, t[i].pValue, sizeof bits);
            return bits > g.cfg.rsa_max_bits;
        }
    }
    return false;
}

/* RGS_FAULT_KEYGEN_TAMPER: a module that quietly makes something else than
 * the template asks, as some do. */
enum {
    TAMPER_EXPONENT3 = 1 << 0,  /* RSA public exponent 3 instead of 65537 */
    TAMPER_SMALLER = 1 << 1,    /* CKA_MODULUS_BITS halved */
    TAMPER_DECRYPT = 1 << 2,    /* private key also allowed to decrypt */
};

static bool add_tamper(char *item, struct config *cfg)
{
    static const struct named tampers[] = {
        { "exponent3", TAMPER_EXPONENT3 }, { "smaller", TAMPER_SMALLER },
        { "decrypt", TAMPER_DECRYPT }, { NULL, 0 },
    };
    size_t i;

    for (i = 0; tampers[i].name != NULL; i++) {
        if (strcmp(item, tampers[i].name) == 0) {
            cfg->keygen_tamper |= tampers[i].value;
            return true;
        }
    }
    return false;
}

/* Copies of the templates with the tampering applied; storage in *t. */
struct tampered {
    CK_ATTRIBUTE pub[32], priv[32];
    CK_BYTE e3[1];
    CK_ULONG bits;
    CK_BBOOL yes;
};

static void tamper(struct tampered *t, CK_ATTRIBUTE_PTR *pub, CK_ULONG *npub,
                   CK_ATTRIBUTE_PTR *priv, CK_ULONG *npriv)
{
    CK_ULONG i;

    if (g.cfg.keygen_tamper == 0 || *npub > 32 || *npriv > 32)
        return;
    memcpy(t->pub, *pub, *npub * sizeof(**pub));
    memcpy(t->priv, *priv, *npriv * sizeof(**priv));
    t->e3[0] = 3;
    t->yes = CK_TRUE;
    for (i = 0; i < *npub; i++) {
        if (t->pub[i].type == CKA_PUBLIC_EXPONENT && (g.cfg.keygen_tamper & TAMPER_EXPONENT3)) {
            t->pub[i].pValue = t->e3;
            t->pub[i].ulValueLen = 1;
        } else if (t->pub[i].type == CKA_MODULUS_BITS && (g.cfg.keygen_tamper & TAMPER_SMALLER) &&
                   t->pub[i].ulValueLen == sizeof(CK_ULONG)) {
            t->bits = *(CK_ULONG *)t->pub[i].pValue / 2;
            t->pub[i].pValue = &t->bits;
        }
    }
    for (i = 0; i < *npriv; i++)
        if (t->priv[i].type == CKA_DECRYPT && (g.cfg.keygen_tamper & TAMPER_DECRYPT))
            t->priv[i].pValue = &t->yes;
    *pub = t->pub;
    *priv = t->priv;
}

/* RGS_FAULT_KEYGEN_PAUSE=before|after with RGS_FAULT_PAUSE_FIFO=PATH: the
 * first C_GenerateKeyPair of the process stops before (or just after) the
 * real call, writes "paused C_GenerateKeyPair before|after PID\n" to the FIFO
 * PATH (made by the test, which reads it: an event, not a guessed delay),
 * then waits until the test writes a byte to the FIFO PATH.go. A test may
 * instead kill the process while it waits. */
enum { KEYGEN_PAUSE_NONE, KEYGEN_PAUSE_BEFORE, KEYGEN_PAUSE_AFTER, KEYGEN_PAUSE_SETID };

static bool env_keygen_pause(struct config *cfg)
{
    const char *value = getenv("RGS_FAULT_KEYGEN_PAUSE");

    if (value == NULL || *value == '\0')
        return true;
    if (strcmp(value, "before") == 0)
        cfg->keygen_pause = KEYGEN_PAUSE_BEFORE;
    else if (strcmp(value, "after") == 0)
        cfg->keygen_pause = KEYGEN_PAUSE_AFTER;
    else if (strcmp(value, "setid") == 0)
        cfg->keygen_pause = KEYGEN_PAUSE_SETID;
    if (cfg->keygen_pause == KEYGEN_PAUSE_NONE || !env_path("RGS_FAULT_PAUSE_FIFO", cfg->pause_fifo) ||
        cfg->pause_fifo[0] == '\0') {
        complain("bad RGS_FAULT_KEYGEN_PAUSE: '%s' (want before, after or setid, with RGS_FAULT_PAUSE_FIFO)",
                 value);
        return false;
    }
    return true;
}

/* Returns the byte the test wrote to PATH.go ('r': the token is pulled
 * out while the call is held), 0 when there was no pause. */
static char keygen_pause(int when)
{
    static bool done;
    char line[96], go[PATH_MAX + 4];
    int fd, len;

    if (g.cfg.keygen_pause != when || done)
        return 0;
    done = true;
    len = snprintf(line, sizeof line, "paused %s %s %ld\n",
                   when == KEYGEN_PAUSE_SETID ? "C_SetAttributeValue" : "C_GenerateKeyPair",
                   when == KEYGEN_PAUSE_BEFORE ? "before" : "after", (long)getpid());
    fd = open(g.cfg.pause_fifo, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, line, (size_t)len) != len)
        complain("cannot write %s: %s", g.cfg.pause_fifo, strerror(errno));
    if (fd >= 0)
        close(fd);
    snprintf(go, sizeof go, "%s.go", g.cfg.pause_fifo);
    line[0] = 0;
    fd = open(go, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, line, 1) != 1)
        complain("cannot read %s: %s", go, strerror(errno));
    if (fd >= 0)
        close(fd);
    return line[0];
}

/* 'r' on PATH.go: the token leaves its reader while the call is held; the
 * call (and every later call of the process to the token) answers as a
 * removed token does. */
static bool pulled_out(struct call *c, char byte)
{
    if (byte != 'r')
        return false;
    pthread_mutex_lock(&g.lock);
    g.removed = true;
    pthread_mutex_unlock(&g.lock);
    call_skip(c, CKR_DEVICE_REMOVED, "token pulled out during the pause");
    return true;
}

static CK_RV fault_C_GenerateKeyPair(SH s, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pub,
                                     CK_ULONG npub, CK_ATTRIBUTE_PTR priv,
                                     CK_ULONG npriv, CK_OBJECT_HANDLE_PTR hpub,
                                     CK_OBJECT_HANDLE_PTR hpriv)
{
    struct call c;
    struct tampered t;
    CK_RV rv = CKR_OK;

    if (call_begin(&c, FN_C_GenerateKeyPair) && mech_allowed(&c, m)) {
        if (pub != NULL && rsa_too_big(m, pub, npub)) {
            call_skip(&c, CKR_KEY_SIZE_RANGE, "RSA_MAX_BITS");
        } else {
            if (pub != NULL && priv != NULL)
                tamper(&t, &pub, &npub, &priv, &npriv);
            if (!pulled_out(&c, keygen_pause(KEYGEN_PAUSE_BEFORE))) {
                rv = c.real->C_GenerateKeyPair(s, m, pub, npub, priv, npriv, hpub, hpriv);
                pulled_out(&c, keygen_pause(KEYGEN_PAUSE_AFTER));
            }
        }
    }
    return call_end(&c, rv);
}

/* RGS_FAULT_KEYGEN_PAUSE=setid: the first C_SetAttributeValue of a CKA_ID
 * (keygen giving one half of a pair its final id) pauses after the real
 * call, the other half not yet changed. */
static CK_RV fault_C_SetAttributeValue(SH s, OH o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
    struct call c;
    CK_RV rv = CKR_OK;
    CK_ULONG i;

    if (call_begin(&c, FN_C_SetAttributeValue)) {
        rv = c.real->C_SetAttributeValue(s, o, t, n);
        for (i = 0; rv == CKR_OK && t != NULL && i < n; i++)
            if (t[i].type == CKA_ID)
                keygen_pause(KEYGEN_PAUSE_SETID);
    }
    return call_end(&c, rv);
}

/* ---- The function list ----------------------------------------------------- */

static CK_RV fault_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

static CK_FUNCTION_LIST fault_functions = {
    .version = { 2, 40 },
#define X_ENTRY(name, kind) .name = fault_##name,
    RGS_FUNCTIONS(X_ENTRY)
#undef X_ENTRY
};

static CK_RV fault_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
    if (list == NULL)
        return CKR_ARGUMENTS_BAD;
    *list = &fault_functions;
    return CKR_OK;
}

/* The only exported symbol. */
__attribute__((visibility("default")))
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
    return fault_C_GetFunctionList(list);
}
