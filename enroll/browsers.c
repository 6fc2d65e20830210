/* SPDX-License-Identifier: BSD-3-Clause */
/* browsers.c - the module registered in, removed from, and looked for in a
 * browser's NSS database, through NSS itself (browsers.h).
 *
 * Why the library and not modutil/certutil: SECMOD_AddNewModule and
 * SECMOD_DeleteModule say what happened without parsing a tool's
 * translated output, the module list and the slots' certificates are read
 * as structures for the status, and the command needs no libnss3-tools. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nss.h>
#include <pk11pub.h>
#include <secmod.h>
#include <secerr.h>
#include <cert.h>
#include <prerror.h>

#include "browsers.h"
#include "rgs_common.h"
#include "rgsx_i18n.h"

/* ---- one database open at a time ---------------------------------------- */

static void nss_detail(char *errbuf, size_t errlen, const char *what, const char *dir)
{
  PRErrorCode e = PORT_GetError();
  const char *text = PR_ErrorToName(e);

  rgsx_errf(errbuf, errlen, "%s %s: %s (%d)", what, dir, text != NULL ? text : "?", (int)e);
}

/* NSS on sql:dir. The builtin roots are not loaded: nothing here needs
 * them, and the browser decides that itself. */
static rgs_browsers_rc nss_open(const char *dir, int read_only, char *errbuf, size_t errlen)
{
  char config[PATH_MAX + 8];
  PRUint32 flags = NSS_INIT_NOROOTINIT;

  /* A database left initialised (a failed shutdown) would be written in
   * place of this one: refuse. */
  if (NSS_IsInitialized()) {
    rgsx_errf(errbuf, errlen, "NSS still holds the previous database; %s not opened", dir);
    return RGS_BROWSERS_ERR_OPEN;
  }
  if (read_only)
    flags |= NSS_INIT_READONLY;
  snprintf(config, sizeof(config), "sql:%s", dir);
  if (NSS_Initialize(config, "", "", SECMOD_DB, flags) != SECSuccess) {
    nss_detail(errbuf, errlen, "NSS_Initialize", config);
    return RGS_BROWSERS_ERR_OPEN;
  }
  return RGS_BROWSERS_OK;
}

static void nss_close(void)
{
  /* A failure (SEC_ERROR_BUSY: a reference leaked) leaves NSS
   * initialised, and nss_open then refuses the next database. */
  (void)NSS_Shutdown();
}

/* ---- the module list ------------------------------------------------------ */

static int ends_with_mark(const char *name)
{
  size_t len = name != NULL ? strlen(name) : 0, mark = strlen(RGS_BROWSERS_MARK);

  return len > mark && strcmp(name + len - mark, RGS_BROWSERS_MARK) == 0;
}

static int same_file(const char *a, const char *b)
{
  char *ra, *rb;
  int same;

  if (a == NULL || b == NULL)
    return 0;
  ra = realpath(a, NULL);
  rb = realpath(b, NULL);
  same = strcmp(ra != NULL ? ra : a, rb != NULL ? rb : b) == 0;
  free(ra);
  free(rb);
  return same;
}

/* What the database holds for us: our module (name, library) and the first
 * module of the person's that serves the token. */
typedef struct {
  char ours[128];
  char ours_library[PATH_MAX];
  char theirs[128];
} db_modules;

static void scan_modules(const rgs_browsers_module *m, db_modules *d)
{
  SECMODListLock *lock = SECMOD_GetDefaultModuleListLock();
  SECMODModuleList *l;

  memset(d, 0, sizeof(*d));
  SECMOD_GetReadLock(lock);
  for (l = SECMOD_GetDefaultModuleList(); l != NULL; l = l->next) {
    SECMODModule *mod = l->module;
    if (mod->internal || mod->commonName == NULL)
      continue;
    if (ends_with_mark(mod->commonName)) {
      if (d->ours[0] == '\0') {
        snprintf(d->ours, sizeof(d->ours), "%s", mod->commonName);
        snprintf(d->ours_library, sizeof(d->ours_library), "%s",
                 mod->dllName != NULL ? mod->dllName : "");
      }
    } else if (m != NULL && d->theirs[0] == '\0' &&
               (same_file(mod->dllName, m->library) ||
                same_file(mod->dllName, m->token_module))) {
      snprintf(d->theirs, sizeof(d->theirs), "%s", mod->commonName);
    }
  }
  SECMOD_ReleaseReadLock(lock);
}

/* The names of all our modules, for removal outside the read lock. */
static size_t our_names(char names[][128], size_t max)
{
  SECMODListLock *lock = SECMOD_GetDefaultModuleListLock();
  SECMODModuleList *l;
  size_t n = 0;

  SECMOD_GetReadLock(lock);
  for (l = SECMOD_GetDefaultModuleList(); l != NULL && n < max; l = l->next) {
    if (!l->module->internal && ends_with_mark(l->module->commonName))
      snprintf(names[n++], 128, "%s", l->module->commonName);
  }
  SECMOD_ReleaseReadLock(lock);
  return n;
}

/* ---- add ------------------------------------------------------------------ */

/* Chromium's database, made as Chromium makes it: ~/.pki/nssdb, 0700. */
static rgs_browsers_rc make_dir(const char *dir, char *errbuf, size_t errlen)
{
  char path[PATH_MAX];
  char *slash;

  snprintf(path, sizeof(path), "%s", dir);
  slash = strrchr(path, '/');
  if (slash != NULL && slash != path) {
    *slash = '\0';
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
      goto fail;
  }
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    goto fail;
  return RGS_BROWSERS_OK;
fail:
  rgsx_errf(errbuf, errlen, "mkdir %s: %s", path, strerror(errno));
  return RGS_BROWSERS_ERR_CREATE;
}

/* A new database's key store gets its empty password, as the browsers do on
 * first start: NSS then treats it as initialised. */
static void init_new_key_db(void)
{
  PK11SlotInfo *slot = PK11_GetInternalKeySlot();

  if (slot == NULL)
    return;
  if (PK11_NeedUserInit(slot))
    (void)PK11_InitPin(slot, NULL, NULL);
  PK11_FreeSlot(slot);
}

static rgs_browsers_rc add_module(const char *dir, const rgs_browsers_module *m, char *errbuf,
                                  size_t errlen)
{
  char pkcs11txt[PATH_MAX];

  if (SECMOD_AddNewModule(m->name, m->library, 0, 0) == SECSuccess)
    return RGS_BROWSERS_OK;
  nss_detail(errbuf, errlen, "SECMOD_AddNewModule", m->library);
  snprintf(pkcs11txt, sizeof(pkcs11txt), "%s/pkcs11.txt", dir);
  /* A module that loads but a list that cannot be written, or a module
   * NSS cannot load. */
  if (access(dir, W_OK) != 0 || (access(pkcs11txt, F_OK) == 0 && access(pkcs11txt, W_OK) != 0))
    return RGS_BROWSERS_ERR_WRITE;
  return RGS_BROWSERS_ERR_LOAD;
}

static rgs_browsers_rc delete_module(const char *name, const char *dir, char *errbuf,
                                     size_t errlen)
{
  int type = 0;

  if (SECMOD_DeleteModule(name, &type) == SECSuccess)
    return RGS_BROWSERS_OK;
  nss_detail(errbuf, errlen, "SECMOD_DeleteModule", dir);
  return RGS_BROWSERS_ERR_WRITE;
}

/* A database we must not open for writing: left alone. */
static rgs_browsers_rc left_alone(const rgs_browser_db *db, rgs_browser_outcome *out)
{
  if (db->kind == RGS_BROWSER_FIREFOX && db->sandboxed) {
    *out = RGS_BROWSER_SKIPPED;
    return RGS_BROWSERS_ERR_SANDBOXED;
  }
  if (db->kind == RGS_BROWSER_FIREFOX && db->running) {
    *out = RGS_BROWSER_SKIPPED;
    return RGS_BROWSERS_ERR_RUNNING;
  }
  return RGS_BROWSERS_OK;
}

rgs_browsers_rc rgs_browsers_add(const rgs_browser_db *db, const rgs_browsers_module *m,
                                 rgs_browser_outcome *out, char *errbuf, size_t errlen)
{
  rgs_browsers_rc rc;
  db_modules d;

  rgsx_errf(errbuf, errlen, "%s", "");
  if (db == NULL || m == NULL || out == NULL || m->name == NULL || m->library == NULL)
    return RGS_BROWSERS_ERR_ARG;
  *out = RGS_BROWSER_FAILED;
  rc = left_alone(db, out);
  if (rc != RGS_BROWSERS_OK)
    return rc;
  if (db->kind == RGS_BROWSER_CHROMIUM && !db->exists) {
    rc = make_dir(db->dir, errbuf, errlen);
    if (rc != RGS_BROWSERS_OK)
      return rc;
  }
  rc = nss_open(db->dir, 0, errbuf, errlen);
  if (rc != RGS_BROWSERS_OK)
    return rc;
  if (!db->exists)
    init_new_key_db();
  scan_modules(m, &d);
  if (d.ours[0] != '\0' && strcmp(d.ours, m->name) == 0 && same_file(d.ours_library, m->library)) {
    *out = RGS_BROWSER_ALREADY;
  } else if (d.theirs[0] != '\0') {
    *out = RGS_BROWSER_THEIRS;
  } else {
    /* Ours for another library (the token's module changed): replaced. */
    if (d.ours[0] != '\0')
      rc = delete_module(d.ours, db->dir, errbuf, errlen);
    if (rc == RGS_BROWSERS_OK)
      rc = add_module(db->dir, m, errbuf, errlen);
    if (rc == RGS_BROWSERS_OK)
      *out = d.ours[0] != '\0' ? RGS_BROWSER_REPLACED : RGS_BROWSER_ADDED;
  }
  nss_close();
  return rc;
}

/* ---- remove --------------------------------------------------------------- */

rgs_browsers_rc rgs_browsers_remove(const rgs_browser_db *db, rgs_browser_outcome *out,
                                    char *errbuf, size_t errlen)
{
  char names[8][128];
  size_t n, i;
  rgs_browsers_rc rc;

  rgsx_errf(errbuf, errlen, "%s", "");
  if (db == NULL || out == NULL)
    return RGS_BROWSERS_ERR_ARG;
  *out = RGS_BROWSER_ABSENT;
  if (!db->exists)
    return RGS_BROWSERS_OK;
  rc = left_alone(db, out);
  if (rc != RGS_BROWSERS_OK)
    return rc;
  rc = nss_open(db->dir, 0, errbuf, errlen);
  if (rc != RGS_BROWSERS_OK) {
    *out = RGS_BROWSER_FAILED;
    return rc;
  }
  n = our_names(names, RGS_ARRAY_LEN(names));
  for (i = 0; i < n && rc == RGS_BROWSERS_OK; i++)
    rc = delete_module(names[i], db->dir, errbuf, errlen);
  if (rc != RGS_BROWSERS_OK)
    *out = RGS_BROWSER_FAILED;
  else if (n > 0)
    *out = RGS_BROWSER_REMOVED;
  nss_close();
  return rc;
}

/* ---- status --------------------------------------------------------------- */

/* A blank-padded PKCS#11 string equals s. */
static int padded_equals(const unsigned char *p, size_t len, const char *s)
{
  size_t n = strlen(s);

  while (len > 0 && p[len - 1] == ' ')
    len--;
  return len == n && memcmp(p, s, n) == 0;
}

static int wanted(const rgs_browsers_certs *c, const SECItem *der)
{
  size_t i;

  for (i = 0; i < c->n; i++) {
    if (c->der_len[i] == der->len && memcmp(c->der[i], der->data, der->len) == 0)
      return 1;
  }
  return 0;
}

/* The certificates of c that NSS lists on slot. */
static size_t certs_on_slot(PK11SlotInfo *slot, const rgs_browsers_certs *c)
{
  CERTCertList *list = PK11_ListCertsInSlot(slot);
  CERTCertListNode *node;
  size_t seen = 0;

  if (list == NULL)
    return 0;
  for (node = CERT_LIST_HEAD(list); !CERT_LIST_END(node, list); node = CERT_LIST_NEXT(node)) {
    if (wanted(c, &node->cert->derCert))
      seen++;
  }
  CERT_DestroyCertList(list);
  return seen;
}

/* The token through the module named name: seen (by serial), and how many
 * of the certificates NSS lists on it. */
static void look_through(const char *name, const rgs_browsers_certs *c, rgs_browser_state *st)
{
  SECMODModule *mod = SECMOD_FindModule(name);
  CK_TOKEN_INFO ti;
  int i;

  if (mod == NULL)
    return;
  for (i = 0; i < mod->slotCount; i++) {
    PK11SlotInfo *slot = mod->slots[i];
    if (!PK11_IsPresent(slot) || PK11_GetTokenInfo(slot, &ti) != SECSuccess)
      continue;
    if (c->serial != NULL && !padded_equals(ti.serialNumber, sizeof(ti.serialNumber), c->serial))
      continue;
    st->token_seen = 1;
    st->certs_seen += certs_on_slot(slot, c);
  }
  SECMOD_DestroyModule(mod);
}

rgs_browsers_rc rgs_browsers_state_of(const rgs_browser_db *db, const rgs_browsers_module *m,
                                      const rgs_browsers_certs *certs, rgs_browser_state *st,
                                      char *errbuf, size_t errlen)
{
  rgs_browsers_rc rc;
  db_modules d;

  rgsx_errf(errbuf, errlen, "%s", "");
  if (db == NULL || st == NULL)
    return RGS_BROWSERS_ERR_ARG;
  memset(st, 0, sizeof(*st));
  if (!db->exists)
    return RGS_BROWSERS_OK;
  rc = nss_open(db->dir, 1, errbuf, errlen);
  if (rc != RGS_BROWSERS_OK)
    return rc;
  scan_modules(m, &d);
  st->ours = d.ours[0] != '\0';
  st->registered = st->ours || d.theirs[0] != '\0';
  snprintf(st->module_name, sizeof(st->module_name), "%s", st->ours ? d.ours : d.theirs);
  if (st->registered && certs != NULL) {
    look_through(st->module_name, certs, st);
    /* Ours may be for an old library while theirs serves the token now. */
    if (!st->token_seen && st->ours && d.theirs[0] != '\0')
      look_through(d.theirs, certs, st);
  }
  nss_close();
  return RGS_BROWSERS_OK;
}
