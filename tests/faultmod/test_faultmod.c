/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of rgsfaultp11 (tests/faultmod/rgsfaultp11.c) against a real SoftHSM2
 * token in a temporary directory.
 *
 * The module reads its RGS_FAULT_* configuration at C_Initialize: each test
 * sets the variables it needs and then calls C_Initialize on the module,
 * which stays loaded (dlopen once) for the whole run.  Changing a variable
 * between C_Finalize and the next C_Initialize therefore takes effect, which
 * several tests below rely on.
 *
 * Environment: RGS_FAULT_MODULE (our module) and SOFTHSM2_MODULE (the real
 * one) come from ctest; SOFTHSM2_UTIL is optional (default softhsm2-util).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define USER_PIN "123456"
#define SO_PIN "12345678"
#define WRONG_PIN "000000"

static struct {
    char dir[PATH_MAX];
    void *dl;
    CK_FUNCTION_LIST_PTR p11;
    CK_SLOT_ID slot;   /* the slot of the token labelled "t" */
} t;

static const char *const fault_vars[] = {
    "RGS_FAULT_FAIL", "RGS_FAULT_REMOVE_AT", "RGS_FAULT_TOKEN_MANUFACTURER",
    "RGS_FAULT_TOKEN_MODEL", "RGS_FAULT_TOKEN_LABEL", "RGS_FAULT_TOKEN_SERIAL",
    "RGS_FAULT_TOKEN_FLAGS_SET", "RGS_FAULT_TOKEN_FLAGS_CLEAR",
    "RGS_FAULT_SLOT_FLAGS_SET", "RGS_FAULT_SLOT_FLAGS_CLEAR",
    "RGS_FAULT_MECH_HIDE", "RGS_FAULT_RSA_MAX_BITS", "RGS_FAULT_PIN_STATE",
    "RGS_FAULT_PIN_TRIES", "RGS_FAULT_SO_PIN_STATE", "RGS_FAULT_SO_PIN_TRIES",
    "RGS_FAULT_NONSENSE", "RGS_FAULT_COUNT_FILE", "RGS_FAULT_LOG",
    "RGS_FAULT_SLOT_DESCRIPTION", "RGS_FAULT_EMPTY_SLOTS", "RGS_FAULT_UNRECOGNIZED_SLOTS", NULL
};

static const char *real_module(void)
{
    const char *m = getenv("SOFTHSM2_MODULE");

    return m != NULL ? m : "/usr/lib/softhsm/libsofthsm2.so";
}

/* ---- Helpers --------------------------------------------------------- */

static void path_in_dir(char *out, size_t size, const char *name)
{
    int n = snprintf(out, size, "%s/%s", t.dir, name);

    assert_true(n > 0 && (size_t)n < size);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* The first line of a small file, or "" if it does not exist. */
static void read_file(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "r");

    out[0] = '\0';
    if (f == NULL)
        return;
    if (fgets(out, (int)size, f) == NULL)
        out[0] = '\0';
    fclose(f);
}

static int run(char *const argv[])
{
    pid_t pid = fork();
    int status = 0;

    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void initialize(void)
{
    assert_int_equal(t.p11->C_Initialize(NULL), CKR_OK);
}

static void finalize(void)
{
    assert_int_equal(t.p11->C_Finalize(NULL), CKR_OK);
}

static CK_SESSION_HANDLE open_session(void)
{
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;

    assert_int_equal(t.p11->C_OpenSession(t.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                                          NULL, NULL, &s), CKR_OK);
    return s;
}

static CK_RV login(CK_SESSION_HANDLE s, CK_USER_TYPE user, const char *pin)
{
    return t.p11->C_Login(s, user, (CK_UTF8CHAR_PTR)pin, strlen(pin));
}

static CK_TOKEN_INFO token_info(void)
{
    CK_TOKEN_INFO info;

    assert_int_equal(t.p11->C_GetTokenInfo(t.slot, &info), CKR_OK);
    return info;
}

#define PIN_FLAGS (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)

static CK_FLAGS user_pin_flags(void)
{
    return token_info().flags & PIN_FLAGS;
}

static CK_ULONG count_objects(CK_SESSION_HANDLE s, const char *label)
{
    CK_ATTRIBUTE tmpl[] = { { CKA_LABEL, (void *)label, strlen(label) } };
    CK_OBJECT_HANDLE found[16];
    CK_ULONG n = 0;

    assert_int_equal(t.p11->C_FindObjectsInit(s, tmpl, 1), CKR_OK);
    assert_int_equal(t.p11->C_FindObjects(s, found, 16, &n), CKR_OK);
    assert_int_equal(t.p11->C_FindObjectsFinal(s), CKR_OK);
    return n;
}

/* An EC P-256 key pair; on the token (persistent) or in the session. */
static CK_RV generate_ec(CK_SESSION_HANDLE s, const char *label, CK_BBOOL on_token,
                         CK_OBJECT_HANDLE *priv)
{
    static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
    CK_BBOOL yes = CK_TRUE;
    CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
    CK_ATTRIBUTE pub[] = {
        { CKA_TOKEN, &on_token, sizeof on_token },
        { CKA_LABEL, (void *)label, strlen(label) },
        { CKA_EC_PARAMS, (void *)p256, sizeof p256 },
        { CKA_VERIFY, &yes, sizeof yes },
    };
    CK_ATTRIBUTE prv[] = {
        { CKA_TOKEN, &on_token, sizeof on_token },
        { CKA_LABEL, (void *)label, strlen(label) },
        { CKA_PRIVATE, &yes, sizeof yes },
        { CKA_SENSITIVE, &yes, sizeof yes },
        { CKA_SIGN, &yes, sizeof yes },
    };
    CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE hpriv = CK_INVALID_HANDLE;
    CK_RV rv;

    rv = t.p11->C_GenerateKeyPair(s, &mech, pub, 4, prv, 5, &hpub, &hpriv);
    if (priv != NULL)
        *priv = hpriv;
    return rv;
}

static bool mech_listed(CK_MECHANISM_TYPE mech, CK_ULONG *count)
{
    CK_MECHANISM_TYPE list[512];
    CK_ULONG n = 512;
    CK_ULONG i;
    bool found = false;

    assert_int_equal(t.p11->C_GetMechanismList(t.slot, list, &n), CKR_OK);
    for (i = 0; i < n; i++)
        found = found || list[i] == mech;
    *count = n;
    return found;
}

/* ---- Fixtures --------------------------------------------------------- */

static int group_setup(void **state)
{
    char conf[PATH_MAX + 16];
    char tokens[PATH_MAX + 16];
    char text[2 * PATH_MAX];
    const char *util = getenv("SOFTHSM2_UTIL");
    const char *module = getenv("RGS_FAULT_MODULE");
    char *init[] = { (char *)(util != NULL ? util : "softhsm2-util"), "--init-token", "--free",
                     "--label", "t", "--pin", USER_PIN, "--so-pin", SO_PIN, NULL };
    CK_C_GetFunctionList get_list;
    CK_SLOT_ID slots[16];
    CK_ULONG n = 16;
    CK_ULONG i;
    CK_TOKEN_INFO info;

    (void)state;
    if (module == NULL) {
        fprintf(stderr, "RGS_FAULT_MODULE is not set\n");
        return -1;
    }
    snprintf(t.dir, sizeof t.dir, "%s", "/tmp/rgsfault-XXXXXX");
    if (mkdtemp(t.dir) == NULL)
        return -1;
    snprintf(tokens, sizeof tokens, "%s/tokens", t.dir);
    snprintf(conf, sizeof conf, "%s/softhsm2.conf", t.dir);
    snprintf(text, sizeof text, "directories.tokendir = %s\nobjectstore.backend = file\n"
             "log.level = ERROR\n", tokens);
    if (mkdir(tokens, 0700) != 0)
        return -1;
    write_file(conf, text);
    setenv("SOFTHSM2_CONF", conf, 1);
    if (run(init) != 0) {
        fprintf(stderr, "softhsm2-util --init-token failed\n");
        return -1;
    }

    t.dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (t.dl == NULL) {
        fprintf(stderr, "dlopen %s: %s\n", module, dlerror());
        return -1;
    }
    get_list = (CK_C_GetFunctionList)dlsym(t.dl, "C_GetFunctionList");
    if (get_list == NULL || get_list(&t.p11) != CKR_OK)
        return -1;

    /* Find the slot of our token through the module, without faults. */
    setenv("RGS_FAULT_REAL", real_module(), 1);
    if (t.p11->C_Initialize(NULL) != CKR_OK)
        return -1;
    if (t.p11->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
        return -1;
    for (i = 0; i < n; i++) {
        if (t.p11->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
            memcmp(info.label, "t                               ", 32) == 0)
            t.slot = slots[i];
    }
    return t.p11->C_Finalize(NULL) == CKR_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    if (t.dl != NULL)
        dlclose(t.dl);
    if (t.dir[0] != '\0')
        nftw(t.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* Every test starts with the real module set and no fault configured. */
static int test_setup(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; fault_vars[i] != NULL; i++)
        unsetenv(fault_vars[i]);
    setenv("RGS_FAULT_REAL", real_module(), 1);
    return 0;
}

/* Leaves the module finalized whatever the test did. */
static int test_teardown(void **state)
{
    (void)state;
    t.p11->C_Finalize(NULL);
    return 0;
}

/* ---- Tests ------------------------------------------------------------ */

static void test_forwarding(void **state)
{
    CK_INFO info;
    CK_SLOT_ID slots[16];
    CK_ULONG n = 0;
    CK_SESSION_HANDLE s;
    CK_TOKEN_INFO ti;

    (void)state;
    assert_int_equal(t.p11->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
    initialize();
    assert_int_equal(t.p11->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
    assert_int_equal(t.p11->C_GetInfo(&info), CKR_OK);
    assert_int_equal(t.p11->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
    assert_true(n >= 1);
    n = 16;
    assert_int_equal(t.p11->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
    ti = token_info();
    assert_memory_equal(ti.label, "t ", 2);
    assert_true(ti.flags & CKF_TOKEN_INITIALIZED);
    assert_int_equal(ti.flags & PIN_FLAGS, 0);
    s = open_session();
    assert_int_equal(login(s, CKU_USER, USER_PIN), CKR_OK);
    assert_int_equal(t.p11->C_Logout(s), CKR_OK);
    assert_int_equal(login(s, CKU_USER, WRONG_PIN), CKR_PIN_INCORRECT);
    assert_int_equal(t.p11->C_CloseSession(s), CKR_OK);
    finalize();
    assert_int_equal(t.p11->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
}

/* The process already uses the real module itself: f2f drives the holder's
 * token through SoftHSM2 and the AED's through this module over the same
 * SoftHSM2. Our module then works on the real module it did not initialise,
 * and its C_Finalize closes only its own sessions, leaving the real module
 * to the one who initialised it. */
static void test_real_module_already_initialised(void **state)
{
    void *dl = dlopen(real_module(), RTLD_NOW | RTLD_LOCAL);
    CK_C_GetFunctionList get_list;
    CK_FUNCTION_LIST_PTR real = NULL;
    CK_SLOT_ID slots[16];
    CK_ULONG n = 16;
    CK_SESSION_HANDLE s, own, s2;
    CK_SESSION_INFO si;
    CK_INFO info;

    (void)state;
    assert_non_null(dl);
    get_list = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList");
    assert_non_null(get_list);
    assert_int_equal(get_list(&real), CKR_OK);
    assert_int_equal(real->C_Initialize(NULL), CKR_OK);
    assert_int_equal(real->C_OpenSession(t.slot, CKF_SERIAL_SESSION, NULL, NULL, &own), CKR_OK);
    setenv("RGS_FAULT_FAIL", "C_Login:1:CKR_DEVICE_ERROR", 1);

    /* Nobody initialised our module: it says so, and it works. */
    initialize();
    assert_int_equal(t.p11->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
    assert_int_equal(t.p11->C_GetInfo(&info), CKR_OK);
    s = open_session();
    s2 = open_session();
    assert_int_equal(login(s, CKU_USER, USER_PIN), CKR_DEVICE_ERROR);   /* faults apply */
    assert_int_equal(login(s, CKU_USER, USER_PIN), CKR_OK);
    assert_int_equal(t.p11->C_CloseSession(s2), CKR_OK);

    /* C_CloseAllSessions and C_Finalize: our sessions only. */
    assert_int_equal(t.p11->C_CloseAllSessions(t.slot), CKR_OK);
    assert_int_equal(real->C_GetSessionInfo(s, &si), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(real->C_GetSessionInfo(own, &si), CKR_OK);
    s = open_session();
    finalize();
    assert_int_equal(t.p11->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(real->C_GetSessionInfo(s, &si), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(real->C_GetSessionInfo(own, &si), CKR_OK);
    assert_int_equal(real->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
    /* The login is the application's while a session of it stays open. */
    assert_int_equal(real->C_CloseSession(own), CKR_OK);

    /* Once more, the configuration read again; then the owner finalises. */
    unsetenv("RGS_FAULT_FAIL");
    initialize();
    s = open_session();
    assert_int_equal(login(s, CKU_USER, USER_PIN), CKR_OK);
    finalize();
    assert_int_equal(real->C_Finalize(NULL), CKR_OK);

    /* Alone again: our module initialises the real one and finalises it. */
    initialize();
    n = 16;
    assert_int_equal(real->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
    finalize();
    n = 16;
    assert_int_equal(real->C_GetSlotList(CK_TRUE, slots, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
    dlclose(dl);
}

static void test_real_module_missing(void **state)
{
    (void)state;
    unsetenv("RGS_FAULT_REAL");
    assert_int_equal(t.p11->C_Initialize(NULL), CKR_GENERAL_ERROR);
    setenv("RGS_FAULT_REAL", "/nonexistent/libnothing.so", 1);
    assert_int_equal(t.p11->C_Initialize(NULL), CKR_GENERAL_ERROR);
    /* The variable is read again at the next C_Initialize. */
    setenv("RGS_FAULT_REAL", real_module(), 1);
    initialize();
    finalize();
}

static void test_bad_config(void **state)
{
    static const char *const bad_fail[] = {
        "C_Nothing:1:CKR_DEVICE_ERROR", "C_Login:0:CKR_PIN_INCORRECT",
        "C_Login:1:CKR_NO_SUCH_THING", "C_Login:1", "C_Login:1:CKR_OK:later", NULL
    };
    size_t i;

    (void)state;
    for (i = 0; bad_fail[i] != NULL; i++) {
        setenv("RGS_FAULT_FAIL", bad_fail[i], 1);
        assert_int_equal(t.p11->C_Initialize(NULL), CKR_GENERAL_ERROR);
    }
    unsetenv("RGS_FAULT_FAIL");
    setenv("RGS_FAULT_TOKEN_FLAGS_SET", "CKF_NOT_A_FLAG", 1);
    assert_int_equal(t.p11->C_Initialize(NULL), CKR_GENERAL_ERROR);
    unsetenv("RGS_FAULT_TOKEN_FLAGS_SET");
    setenv("RGS_FAULT_NONSENSE", "everything", 1);
    assert_int_equal(t.p11->C_Initialize(NULL), CKR_GENERAL_ERROR);
    unsetenv("RGS_FAULT_NONSENSE");
    setenv("RGS_FAULT_REMOVE_AT", "C_Login", 1);
    assert_int_equal(t.p11->C_Initialize(NULL), CKR_GENERAL_ERROR);
    unsetenv("RGS_FAULT_REMOVE_AT");
    initialize();
    finalize();
}

static void test_fail_nth_call(void **state)
{
    CK_TOKEN_INFO ti;
    CK_SLOT_INFO si;

    (void)state;
    setenv("RGS_FAULT_FAIL", "C_GetTokenInfo:2:CKR_DEVICE_MEMORY, C_GetSlotInfo:*:0x30", 1);
    initialize();
    assert_int_equal(t.p11->C_GetTokenInfo(t.slot, &ti), CKR_OK);
    assert_int_equal(t.p11->C_GetTokenInfo(t.slot, &ti), CKR_DEVICE_MEMORY);
    assert_int_equal(t.p11->C_GetTokenInfo(t.slot, &ti), CKR_OK);
    assert_int_equal(t.p11->C_GetTokenInfo(t.slot, &ti), CKR_OK);
    assert_int_equal(t.p11->C_GetSlotInfo(t.slot, &si), CKR_DEVICE_ERROR);
    assert_int_equal(t.p11->C_GetSlotInfo(t.slot, &si), CKR_DEVICE_ERROR);
    finalize();

    /* Counters start again at C_Initialize. */
    initialize();
    assert_int_equal(t.p11->C_GetTokenInfo(t.slot, &ti), CKR_OK);
    assert_int_equal(t.p11->C_GetTokenInfo(t.slot, &ti), CKR_DEVICE_MEMORY);
    finalize();

    /* And a rule on C_Initialize itself. */
    setenv("RGS_FAULT_FAIL", "C_Initialize:1:CKR_FUNCTION_FAILED", 1);
    assert_int_equal(t.p11->C_Initialize(NULL), CKR_FUNCTION_FAILED);
    assert_int_equal(t.p11->C_GetTokenInfo(t.slot, &ti), CKR_CRYPTOKI_NOT_INITIALIZED);
    unsetenv("RGS_FAULT_FAIL");
    initialize();
    finalize();
}

/* Without :after the real function is not called: no key appears. */
static void test_fail_before_skips_real_call(void **state)
{
    CK_SESSION_HANDLE s;

    (void)state;
    setenv("RGS_FAULT_FAIL", "C_GenerateKeyPair:1:CKR_DEVICE_MEMORY", 1);
    initialize();
    s = open_session();
    assert_int_equal(login(s, CKU_USER, USER_PIN), CKR_OK);
    assert_int_equal(generate_ec(s, "before", CK_TRUE, NULL), CKR_DEVICE_MEMORY);
    assert_int_equal(count_objects(s, "before"), 0);
    assert_int_equal(generate_ec(s, "before", CK_TRUE, NULL), CKR_OK);
    assert_int_equal(count_objects(s, "before"), 2);
    finalize();
}

/* With :after the card does the work, the answer is lost. */
static void test_fail_after_makes_real_call(void **state)
{
    CK_SESSION_HANDLE s;

    (void)state;
    setenv("RGS_FAULT_FAIL", "C_GenerateKeyPair:1:CKR_DEVICE_ERROR:after", 1);
    initialize();
    s = open_session();
    assert_int_equal(login(s, CKU_USER, USER_PIN), CKR_OK);
    assert_int_equal(generate_ec(s, "after", CK_TRUE, NULL), CKR_DEVICE_ERROR);
    assert_int_equal(count_objects(s, "after"), 2);
    finalize();
}

static void test_remove_at(void **state)
{
    CK_SESSION_HANDLE s;
    CK_SESSION_HANDLE s2;
    CK_SESSION_INFO sinfo;
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    CK_ULONG n = 99;
    CK_ATTRIBUTE tmpl[] = { { CKA_LABEL, (void *)"x", 1 } };

    (void)state;
    setenv("RGS_FAULT_REMOVE_AT", "C_GetTokenInfo:2", 1);
    initialize();
    s = open_session();
    s2 = open_session();
    assert_int_equal(login(s, CKU_USER, USER_PIN), CKR_OK);
    assert_int_equal(t.p11->C_GetTokenInfo(t.slot, &ti), CKR_OK);
    assert_int_equal(t.p11->C_GetSlotInfo(t.slot, &si), CKR_OK);
    assert_true(si.flags & CKF_TOKEN_PRESENT);

    /* The second C_GetTokenInfo pulls the token out. */
    assert_int_equal(t.p11->C_GetTokenInfo(t.slot, &ti), CKR_TOKEN_NOT_PRESENT);
    assert_int_equal(t.p11->C_GetTokenInfo(t.slot, &ti), CKR_TOKEN_NOT_PRESENT);
    assert_int_equal(t.p11->C_GetSlotInfo(t.slot, &si), CKR_OK);
    assert_false(si.flags & CKF_TOKEN_PRESENT);
    assert_int_equal(t.p11->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(t.p11->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
    assert_true(n >= 1);
    assert_int_equal(t.p11->C_GetSessionInfo(s, &sinfo), CKR_DEVICE_REMOVED);
    assert_int_equal(t.p11->C_FindObjectsInit(s, tmpl, 1), CKR_DEVICE_REMOVED);
    assert_int_equal(login(s2, CKU_USER, USER_PIN), CKR_DEVICE_REMOVED);
    assert_int_equal(t.p11->C_OpenSession(t.slot, CKF_SERIAL_SESSION, NULL, NULL, &s2),
                     CKR_TOKEN_NOT_PRESENT);
    assert_int_equal(t.p11->C_CloseSession(s), CKR_OK);
    assert_int_equal(t.p11->C_CloseAllSessions(t.slot), CKR_OK);
    finalize();

    /* Plugged back: a new C_Initialize without the variable. */
    unsetenv("RGS_FAULT_REMOVE_AT");
    initialize();
    assert_int_equal(t.p11->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
    assert_true(n >= 1);
    token_info();
    finalize();
}

static void test_token_overrides(void **state)
{
    CK_TOKEN_INFO ti;
    CK_SLOT_INFO si;

    (void)state;
    setenv("RGS_FAULT_TOKEN_MANUFACTURER", "Gemalto", 1);
    setenv("RGS_FAULT_TOKEN_MODEL", "IDPrime MD 840", 1);
    setenv("RGS_FAULT_TOKEN_LABEL", "A label much longer than thirty-two characters", 1);
    setenv("RGS_FAULT_TOKEN_SERIAL", "0123456789ABCDEFGHIJ", 1);
    setenv("RGS_FAULT_TOKEN_FLAGS_SET", "CKF_PROTECTED_AUTHENTICATION_PATH|CKF_WRITE_PROTECTED", 1);
    setenv("RGS_FAULT_TOKEN_FLAGS_CLEAR", "0x4", 1); /* CKF_LOGIN_REQUIRED */
    setenv("RGS_FAULT_SLOT_FLAGS_SET", "CKF_HW_SLOT|CKF_REMOVABLE_DEVICE", 1);
    initialize();
    ti = token_info();
    assert_memory_equal(ti.manufacturerID, "Gemalto                         ", 32);
    assert_memory_equal(ti.model, "IDPrime MD 840  ", 16);
    assert_memory_equal(ti.label, "A label much longer than thirty-", 32);
    assert_memory_equal(ti.serialNumber, "0123456789ABCDEF", 16);
    assert_true(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH);
    assert_true(ti.flags & CKF_WRITE_PROTECTED);
    assert_false(ti.flags & CKF_LOGIN_REQUIRED);
    assert_true(ti.flags & CKF_TOKEN_INITIALIZED);
    assert_int_equal(t.p11->C_GetSlotInfo(t.slot, &si), CKR_OK);
    assert_true(si.flags & CKF_HW_SLOT);
    assert_true(si.flags & CKF_REMOVABLE_DEVICE);
    assert_true(si.flags & CKF_TOKEN_PRESENT);
    finalize();

    setenv("RGS_FAULT_SLOT_FLAGS_CLEAR", "CKF_TOKEN_PRESENT", 1);
    unsetenv("RGS_FAULT_TOKEN_FLAGS_CLEAR");
    initialize();
    assert_int_equal(t.p11->C_GetSlotInfo(t.slot, &si), CKR_OK);
    assert_false(si.flags & CKF_TOKEN_PRESENT);
    assert_true(token_info().flags & CKF_LOGIN_REQUIRED);
    finalize();
}

static void test_pin_counter(void **state)
{
    char path[PATH_MAX];
    char text[32];
    CK_SESSION_HANDLE s;

    (void)state;
    path_in_dir(path, sizeof path, "user-pin");
    setenv("RGS_FAULT_PIN_STATE", path, 1);
    initialize();
    assert_int_equal(user_pin_flags(), 0);
    read_file(path, text, sizeof text);
    assert_string_equal(text, "3\n");
    s = open_session();
    assert_int_equal(login(s, CKU_USER, WRONG_PIN), CKR_PIN_INCORRECT);
    assert_int_equal(user_pin_flags(), CKF_USER_PIN_COUNT_LOW);
    read_file(path, text, sizeof text);
    assert_string_equal(text, "2\n");
    assert_int_equal(login(s, CKU_USER, WRONG_PIN), CKR_PIN_INCORRECT);
    assert_int_equal(user_pin_flags(), CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
    finalize();

    /* The count survives C_Finalize / C_Initialize (it lives in the file). */
    initialize();
    assert_int_equal(user_pin_flags(), CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
    s = open_session();
    assert_int_equal(login(s, CKU_USER, WRONG_PIN), CKR_PIN_INCORRECT);
    assert_true(user_pin_flags() & CKF_USER_PIN_LOCKED);
    assert_false(user_pin_flags() & CKF_USER_PIN_FINAL_TRY);
    read_file(path, text, sizeof text);
    assert_string_equal(text, "0\n");
    /* Locked: even the right PIN is refused, without reaching the token. */
    assert_int_equal(login(s, CKU_USER, USER_PIN), CKR_PIN_LOCKED);
    assert_int_equal(login(s, CKU_USER, WRONG_PIN), CKR_PIN_LOCKED);
    finalize();

    initialize();
    assert_true(user_pin_flags() & CKF_USER_PIN_LOCKED);
    s = open_session();
    assert_int_equal(login(s, CKU_USER, USER_PIN), CKR_PIN_LOCKED);
    /* The SO unblocks: C_InitPIN restores the tries. */
    assert_int_equal(login(s, CKU_SO, SO_PIN), CKR_OK);
    assert_int_equal(t.p11->C_InitPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)), CKR_OK);
    assert_int_equal(t.p11->C_Logout(s), CKR_OK);
    assert_int_equal(user_pin_flags(), 0);
    read_file(path, text, sizeof text);
    assert_string_equal(text, "3\n");
    assert_int_equal(login(s, CKU_USER, USER_PIN), CKR_OK);
    finalize();
}

static void test_pin_counter_reset_and_tries(void **state)
{
    char path[PATH_MAX];
    char so_path[PATH_MAX];
    char text[32];
    CK_SESSION_HANDLE s;

    (void)state;
    path_in_dir(path, sizeof path, "user-pin-5");
    path_in_dir(so_path, sizeof so_path, "so-pin");
    setenv("RGS_FAULT_PIN_STATE", path, 1);
    setenv("RGS_FAULT_PIN_TRIES", "5", 1);
    setenv("RGS_FAULT_SO_PIN_STATE", so_path, 1);
    initialize();
    s = open_session();
    assert_int_equal(login(s, CKU_USER, WRONG_PIN), CKR_PIN_INCORRECT);
    read_file(path, text, sizeof text);
    assert_string_equal(text, "4\n");
    assert_int_equal(user_pin_flags(), CKF_USER_PIN_COUNT_LOW);
    /* A right PIN restores all the tries. */
    assert_int_equal(login(s, CKU_USER, USER_PIN), CKR_OK);
    read_file(path, text, sizeof text);
    assert_string_equal(text, "5\n");
    assert_int_equal(user_pin_flags(), 0);
    assert_int_equal(t.p11->C_Logout(s), CKR_OK);

    /* The SO PIN has its own counter and flags. */
    assert_int_equal(login(s, CKU_SO, WRONG_PIN), CKR_PIN_INCORRECT);
    assert_true(token_info().flags & CKF_SO_PIN_COUNT_LOW);
    assert_int_equal(user_pin_flags(), 0);
    write_file(so_path, "1\n");
    assert_true(token_info().flags & CKF_SO_PIN_FINAL_TRY);
    assert_int_equal(login(s, CKU_SO, SO_PIN), CKR_OK);
    assert_int_equal(token_info().flags & (CKF_SO_PIN_COUNT_LOW | CKF_SO_PIN_FINAL_TRY), 0);
    finalize();
}

static void test_rsa_max_bits(void **state)
{
    CK_MECHANISM_INFO mi;
    CK_SESSION_HANDLE s;
    CK_ULONG bits = 3072;
    CK_MECHANISM mech = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
    CK_ATTRIBUTE pub[] = { { CKA_MODULUS_BITS, &bits, sizeof bits } };
    CK_OBJECT_HANDLE hpub;
    CK_OBJECT_HANDLE hpriv;

    (void)state;
    initialize();
    assert_int_equal(t.p11->C_GetMechanismInfo(t.slot, CKM_RSA_PKCS_KEY_PAIR_GEN, &mi), CKR_OK);
    assert_true(mi.ulMaxKeySize > 2048);
    finalize();

    setenv("RGS_FAULT_RSA_MAX_BITS", "2048", 1);
    initialize();
    assert_int_equal(t.p11->C_GetMechanismInfo(t.slot, CKM_RSA_PKCS_KEY_PAIR_GEN, &mi), CKR_OK);
    assert_int_equal(mi.ulMaxKeySize, 2048);
    s = open_session();
    assert_int_equal(login(s, CKU_USER, USER_PIN), CKR_OK);
    assert_int_equal(t.p11->C_GenerateKeyPair(s, &mech, pub, 1, NULL, 0, &hpub, &hpriv),
                     CKR_KEY_SIZE_RANGE);
    finalize();
}

/* Is slot in the list of slots with a token? */
static bool slot_listed(CK_SLOT_ID slot)
{
    CK_SLOT_ID slots[16];
    CK_ULONG n = 16;
    CK_ULONG i;

    assert_int_equal(t.p11->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
    for (i = 0; i < n; i++) {
        if (slots[i] == slot)
            return true;
    }
    return false;
}

/* A reader without a card, one whose card the module does not know, and
 * a reader's name. */
static void test_slot_card_states(void **state)
{
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    CK_MECHANISM_INFO mi;
    CK_SESSION_HANDLE s;
    char id[32];

    (void)state;
    snprintf(id, sizeof id, "%lu", (unsigned long)t.slot);
    setenv("RGS_FAULT_EMPTY_SLOTS", id, 1);
    setenv("RGS_FAULT_SLOT_DESCRIPTION", "Gemalto USB Shell Token V2 00 00", 1);
    initialize();
    assert_false(slot_listed(t.slot));
    assert_int_equal(t.p11->C_GetSlotInfo(t.slot, &si), CKR_OK);
    assert_int_equal(si.flags & CKF_TOKEN_PRESENT, 0);
    assert_memory_equal(si.slotDescription, "Gemalto USB Shell Token V2 00 00  ", 34);
    assert_int_equal(t.p11->C_GetTokenInfo(t.slot, &ti), CKR_TOKEN_NOT_PRESENT);
    assert_int_equal(t.p11->C_OpenSession(t.slot, CKF_SERIAL_SESSION, NULL, NULL, &s),
                     CKR_TOKEN_NOT_PRESENT);
    finalize();

    unsetenv("RGS_FAULT_EMPTY_SLOTS");
    setenv("RGS_FAULT_UNRECOGNIZED_SLOTS", "*", 1);
    initialize();
    assert_true(slot_listed(t.slot));
    assert_int_equal(t.p11->C_GetSlotInfo(t.slot, &si), CKR_OK);
    assert_int_not_equal(si.flags & CKF_TOKEN_PRESENT, 0);
    assert_int_equal(t.p11->C_GetTokenInfo(t.slot, &ti), CKR_TOKEN_NOT_RECOGNIZED);
    assert_int_equal(t.p11->C_GetMechanismInfo(t.slot, CKM_RSA_PKCS, &mi),
                     CKR_TOKEN_NOT_RECOGNIZED);
    assert_int_equal(t.p11->C_OpenSession(t.slot, CKF_SERIAL_SESSION, NULL, NULL, &s),
                     CKR_TOKEN_NOT_RECOGNIZED);
    finalize();

    setenv("RGS_FAULT_UNRECOGNIZED_SLOTS", "x", 1);
    assert_int_equal(t.p11->C_Initialize(NULL), CKR_GENERAL_ERROR);
}

static void test_mech_hide(void **state)
{
    CK_ULONG before;
    CK_ULONG after;
    CK_ULONG n = 0;
    CK_MECHANISM_TYPE small[1];
    CK_MECHANISM_INFO mi;
    CK_SESSION_HANDLE s;
    CK_MECHANISM ecdsa = { CKM_ECDSA, NULL, 0 };

    (void)state;
    initialize();
    assert_true(mech_listed(CKM_EC_KEY_PAIR_GEN, &before));
    assert_true(mech_listed(CKM_SHA256_RSA_PKCS, &before));
    finalize();

    setenv("RGS_FAULT_MECH_HIDE", "CKM_EC_KEY_PAIR_GEN, CKM_ECDSA,0x40", 1); /* 0x40: SHA256_RSA_PKCS */
    initialize();
    assert_false(mech_listed(CKM_EC_KEY_PAIR_GEN, &after));
    assert_false(mech_listed(CKM_ECDSA, &after));
    assert_false(mech_listed(CKM_SHA256_RSA_PKCS, &after));
    assert_true(mech_listed(CKM_RSA_PKCS_KEY_PAIR_GEN, &after));
    assert_int_equal(after, before - 3);
    assert_int_equal(t.p11->C_GetMechanismList(t.slot, NULL, &n), CKR_OK);
    assert_int_equal(n, after);
    n = 1;
    assert_int_equal(t.p11->C_GetMechanismList(t.slot, small, &n), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(n, after);
    assert_int_equal(t.p11->C_GetMechanismInfo(t.slot, CKM_ECDSA, &mi), CKR_MECHANISM_INVALID);
    assert_int_equal(t.p11->C_GetMechanismInfo(t.slot, CKM_RSA_PKCS, &mi), CKR_OK);
    s = open_session();
    assert_int_equal(login(s, CKU_USER, USER_PIN), CKR_OK);
    assert_int_equal(generate_ec(s, "hidden", CK_FALSE, NULL), CKR_MECHANISM_INVALID);
    assert_int_equal(t.p11->C_SignInit(s, &ecdsa, CK_INVALID_HANDLE), CKR_MECHANISM_INVALID);
    finalize();
}

static unsigned count_lines(const char *path, const char *line)
{
    char buf[128];
    unsigned n = 0;
    FILE *f = fopen(path, "r");

    assert_non_null(f);
    while (fgets(buf, sizeof buf, f) != NULL)
        n += strcmp(buf, line) == 0;
    fclose(f);
    return n;
}

static void test_count_file(void **state)
{
    char path[PATH_MAX];
    CK_SESSION_HANDLE s;

    (void)state;
    path_in_dir(path, sizeof path, "calls");
    setenv("RGS_FAULT_COUNT_FILE", path, 1);
    setenv("RGS_FAULT_LOG", "1", 1);
    initialize();
    s = open_session();
    assert_int_equal(login(s, CKU_USER, WRONG_PIN), CKR_PIN_INCORRECT);
    assert_int_equal(login(s, CKU_USER, USER_PIN), CKR_OK);
    assert_int_equal(login(s, CKU_USER, USER_PIN), CKR_USER_ALREADY_LOGGED_IN);
    finalize();
    assert_int_equal(count_lines(path, "C_Login\n"), 3);
    assert_int_equal(count_lines(path, "C_OpenSession\n"), 1);
    assert_int_equal(count_lines(path, "C_Initialize\n"), 1);
    assert_int_equal(count_lines(path, "C_Finalize\n"), 1);

    /* Appended to by the next run, not truncated. */
    initialize();
    finalize();
    assert_int_equal(count_lines(path, "C_Initialize\n"), 2);
}

static void test_nonsense(void **state)
{
    CK_SLOT_ID slots[4];
    CK_ULONG n = 0;
    CK_ULONG i;
    CK_TOKEN_INFO ti;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
    CK_MECHANISM ecdsa = { CKM_ECDSA, NULL, 0 };
    CK_BYTE digest[32] = { 1, 2, 3 };
    CK_BYTE sig[256];
    CK_ULONG sig_len = sizeof sig;
    char label[64];
    CK_ATTRIBUTE attr = { CKA_LABEL, label, sizeof label };

    (void)state;
    setenv("RGS_FAULT_NONSENSE", "slotlist-huge,tokeninfo-garbage,attr-len-lies,sign-short", 1);
    initialize();
    assert_int_equal(t.p11->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
    assert_int_equal(n, 100000);
    n = 4;
    assert_int_equal(t.p11->C_GetSlotList(CK_TRUE, slots, &n), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 100000);

    ti = token_info();
    for (i = 0; i < sizeof ti.label; i++)
        assert_true(ti.label[i] == 0xff || (ti.label[i] >= 0x01 && ti.label[i] <= 0x1f));
    for (i = 0; i < sizeof ti.model; i++)
        assert_true(ti.model[i] == 0xff || (ti.model[i] >= 0x01 && ti.model[i] <= 0x1f));
    assert_int_equal(ti.manufacturerID[31], 0xff);

    s = open_session();
    assert_int_equal(login(s, CKU_USER, USER_PIN), CKR_OK);
    assert_int_equal(generate_ec(s, "nonsense", CK_FALSE, &key), CKR_OK);
    assert_int_equal(t.p11->C_GetAttributeValue(s, key, &attr, 1), CKR_OK);
    assert_int_equal(attr.ulValueLen, 1UL << 30);
    attr.pValue = NULL;
    assert_int_equal(t.p11->C_GetAttributeValue(s, key, &attr, 1), CKR_OK);
    assert_int_equal(attr.ulValueLen, strlen("nonsense"));

    assert_int_equal(t.p11->C_SignInit(s, &ecdsa, key), CKR_OK);
    assert_int_equal(t.p11->C_Sign(s, digest, sizeof digest, sig, &sig_len), CKR_OK);
    assert_int_equal(sig_len, 3);
    finalize();
}

struct worker {
    int errors;
};

static void *token_info_worker(void *arg)
{
    struct worker *w = arg;
    CK_TOKEN_INFO ti;
    int i;

    for (i = 0; i < 50; i++) {
        if (t.p11->C_GetTokenInfo(t.slot, &ti) != CKR_OK)
            w->errors++;
    }
    return NULL;
}

/* Counters are shared by the threads: call 100 fails exactly once. */
static void test_threads(void **state)
{
    CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
    pthread_t threads[4];
    struct worker w[4] = { { 0 } };
    int errors = 0;
    int i;

    (void)state;
    setenv("RGS_FAULT_FAIL", "C_GetTokenInfo:100:CKR_DEVICE_ERROR", 1);
    assert_int_equal(t.p11->C_Initialize(&args), CKR_OK);
    for (i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, token_info_worker, &w[i]), 0);
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        errors += w[i].errors;
    }
    assert_int_equal(errors, 1);
    finalize();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_forwarding, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_real_module_already_initialised, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_real_module_missing, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_bad_config, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_fail_nth_call, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_fail_before_skips_real_call, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_fail_after_makes_real_call, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_remove_at, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_token_overrides, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_pin_counter, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_pin_counter_reset_and_tries, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_rsa_max_bits, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_mech_hide, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_count_file, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_nonsense, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_slot_card_states, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_threads, test_setup, test_teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
