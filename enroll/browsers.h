/* SPDX-License-Identifier: BSD-3-Clause */
/* browsers.h - the token's PKCS#11 module registered in the NSS databases
 * that the person's browsers read: Chromium's ~/.pki/nssdb and every
 * Firefox profile of profiles.ini.
 *
 * What is registered: p11-kit's proxy (p11-kit-proxy.so), which serves
 * every module registered with p11-kit (OpenSC, SoftHSM, vendor modules),
 * when the token's module is one of them; else the token's module itself.
 * Our registration carries a name ending in RGS_BROWSERS_MARK: that is how
 * --remove tells it from a module the person registered, which it never
 * touches.
 *
 * The databases are changed through NSS itself (NSS_Initialize,
 * SECMOD_AddNewModule, SECMOD_DeleteModule), never by editing pkcs11.txt.
 * NSS does not lock pkcs11.txt (it appends to it, or rewrites it through a
 * temporary file and a rename), and a browser reads it only at start: a
 * Firefox running on a profile has its database left alone (read only, for
 * the status). Chromium has no lock on its database either: its cert9.db
 * and key4.db are SQLite files NSS shares between processes, and Chromium
 * never writes pkcs11.txt itself, so the database is written and the person
 * told to restart Chromium.
 *
 * Nothing here knows the command line. NSS is initialised and shut down
 * once per database, so none of it may be in use elsewhere in the process. */
#ifndef RGS_BROWSERS_H
#define RGS_BROWSERS_H

#include <stddef.h>

/* The end of the name of every module we register. */
#define RGS_BROWSERS_MARK " (rgs-enroll)"

typedef enum {
  RGS_BROWSERS_OK = 0,
  RGS_BROWSERS_ERR_NOMEM,
  RGS_BROWSERS_ERR_ARG,
  RGS_BROWSERS_ERR_HOME,       /* no home directory to look in */
  RGS_BROWSERS_ERR_CREATE,     /* Chromium's database directory could not be made */
  RGS_BROWSERS_ERR_OPEN,       /* NSS could not open the database */
  RGS_BROWSERS_ERR_WRITE,      /* NSS could not write the module list */
  RGS_BROWSERS_ERR_LOAD,       /* NSS could not load the module */
  RGS_BROWSERS_ERR_RUNNING,    /* Firefox runs on the profile: left alone */
  RGS_BROWSERS_ERR_SANDBOXED,  /* snap / flatpak Firefox: cannot load this computer's module */
  RGS_BROWSERS_ERR_REGISTRY,   /* p11-kit's registry could not be read */
} rgs_browsers_rc;

/* A translated sentence; static storage. */
const char *rgs_browsers_strerror(rgs_browsers_rc rc);

typedef enum { RGS_BROWSER_CHROMIUM = 0, RGS_BROWSER_FIREFOX } rgs_browser_kind;

/* One NSS database a browser reads. */
typedef struct {
  rgs_browser_kind kind;
  char *profile;     /* Firefox: the profile's Name (untrusted: sanitise to show); Chromium: NULL */
  char *dir;         /* the database directory */
  int exists;        /* the database is there (Chromium's is made by --add) */
  int running;       /* Firefox: the profile's lock is held; Chromium: it runs */
  int sandboxed;     /* a snap or flatpak Firefox */
} rgs_browser_db;

/* The databases under home: Chromium's (listed even when absent), then the
 * profiles of ~/.mozilla/firefox/profiles.ini, and of the snap and flatpak
 * Firefox. Free with rgs_browsers_free(). */
rgs_browsers_rc rgs_browsers_find(const char *home, rgs_browser_db **out, size_t *n);
void rgs_browsers_free(rgs_browser_db *list, size_t n);
/* "chromium", "firefox": stable words for JSON. */
const char *rgs_browser_kind_name(rgs_browser_kind kind);

/* The module to register for a token served by token_module (a path). */
typedef struct {
  char *library;     /* the file NSS loads */
  char *name;        /* NSS's name for it, ends with RGS_BROWSERS_MARK */
  char *token_module;/* the token's own module, realpath when it resolves */
  int proxy;         /* 1: p11-kit's proxy */
} rgs_browsers_module;

/* p11-kit's proxy (proxy_path; NULL: the one p11-kit was built with) when
 * it is installed and token_module is registered with p11-kit, else
 * token_module itself. A module registered with p11-kit but kept out of the
 * proxy by its own configuration (disable-in, enable-in) is not told apart:
 * the status then says its certificate is not visible. errbuf says why on
 * failure. Free with rgs_browsers_module_free(). */
rgs_browsers_rc rgs_browsers_choose(const char *token_module, const char *proxy_path,
                                    rgs_browsers_module *m, char *errbuf, size_t errlen);
void rgs_browsers_module_free(rgs_browsers_module *m);

/* What was found, or done, in one database. */
typedef enum {
  RGS_BROWSER_ADDED = 0,     /* our module added */
  RGS_BROWSER_REPLACED,      /* our module was there for another library: replaced */
  RGS_BROWSER_ALREADY,       /* our module already there: nothing changed */
  RGS_BROWSER_THEIRS,        /* a module the person registered serves the token: nothing added */
  RGS_BROWSER_REMOVED,       /* our module removed */
  RGS_BROWSER_ABSENT,        /* no module of ours to remove: nothing changed */
  RGS_BROWSER_SKIPPED,       /* left alone (running or sandboxed: see the rc) */
  RGS_BROWSER_FAILED,        /* see the rc */
} rgs_browser_outcome;
/* "added", "replaced", ...: stable words for JSON. */
const char *rgs_browser_outcome_name(rgs_browser_outcome o);

/* The state of one database, read only. */
typedef struct {
  int registered;            /* a module serves the token (ours or theirs) */
  int ours;                  /* ... and it is ours */
  char module_name[128];     /* that module's name in NSS (untrusted if theirs) */
  int token_seen;            /* a slot of that module shows the token (by serial) */
  size_t certs_seen;         /* of the certificates given, how many NSS lists there */
} rgs_browser_state;

/* The certificates a status looks for: those on the token. */
typedef struct {
  const char *serial;        /* the token's serial number, NULL: any token */
  const unsigned char *const *der;
  const size_t *der_len;
  size_t n;
} rgs_browsers_certs;

/* Register m in db: nothing when a module there already serves the token
 * (ours: ALREADY; the person's, for m's library or the token's own module:
 * THEIRS); Chromium's directory is made (0700) when absent. A running or
 * sandboxed Firefox: SKIPPED and RGS_BROWSERS_ERR_RUNNING / _SANDBOXED,
 * nothing opened. */
rgs_browsers_rc rgs_browsers_add(const rgs_browser_db *db, const rgs_browsers_module *m,
                                 rgs_browser_outcome *out, char *errbuf, size_t errlen);
/* Remove every module of ours (named ...RGS_BROWSERS_MARK) from db, and
 * nothing else. A database that does not exist: ABSENT. */
rgs_browsers_rc rgs_browsers_remove(const rgs_browser_db *db, rgs_browser_outcome *out,
                                    char *errbuf, size_t errlen);
/* Read db (read only, also while the browser runs): is a module there that
 * serves the token, and does NSS list the given certificates through it
 * (certs may be NULL: not looked for). */
rgs_browsers_rc rgs_browsers_state_of(const rgs_browser_db *db, const rgs_browsers_module *m,
                                      const rgs_browsers_certs *certs, rgs_browser_state *st,
                                      char *errbuf, size_t errlen);

#endif
