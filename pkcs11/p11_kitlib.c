/* SPDX-License-Identifier: BSD-3-Clause */
/* p11_kitlib.c - p11-kit, loaded the first time it is needed (see
 * p11_kitlib.h). */
#include <dlfcn.h>
#include <stdio.h>
#include "p11_internal.h"
#include "p11_kitlib.h"

#define P11KIT_SONAME "libp11-kit.so.0"

static rgs_p11kit kit;
static int kit_state;              /* 0 not tried, 1 loaded, -1 failed */
static char kit_error[256];

/* Each symbol by name; 0 when one is missing. */
static int bind_all(void *dl)
{
  static const struct {
    const char *name;
    size_t offset;
  } syms[] = {
    { "p11_kit_uri_new", offsetof(rgs_p11kit, uri_new) },
    { "p11_kit_uri_free", offsetof(rgs_p11kit, uri_free) },
    { "p11_kit_uri_parse", offsetof(rgs_p11kit, uri_parse) },
    { "p11_kit_uri_message", offsetof(rgs_p11kit, uri_message) },
    { "p11_kit_uri_get_attribute", offsetof(rgs_p11kit, uri_get_attribute) },
    { "p11_kit_uri_get_module_name", offsetof(rgs_p11kit, uri_get_module_name) },
    { "p11_kit_uri_get_module_path", offsetof(rgs_p11kit, uri_get_module_path) },
    { "p11_kit_modules_load", offsetof(rgs_p11kit, modules_load) },
    { "p11_kit_modules_release", offsetof(rgs_p11kit, modules_release) },
    { "p11_kit_module_get_name", offsetof(rgs_p11kit, module_get_name) },
    { "p11_kit_module_get_filename", offsetof(rgs_p11kit, module_get_filename) },
    { "p11_kit_config_option", offsetof(rgs_p11kit, config_option) },
    { "p11_kit_message", offsetof(rgs_p11kit, message) },
  };
  size_t i;

  for (i = 0; i < RGS_ARRAY_LEN(syms); i++) {
    void *f = dlsym(dl, syms[i].name);
    if (f == NULL) {
      snprintf(kit_error, sizeof(kit_error), "%s: %s", P11KIT_SONAME, syms[i].name);
      return 0;
    }
    /* POSIX: a function pointer and a void * have the same representation. */
    *(void **)((char *)&kit + syms[i].offset) = f;
  }
  return 1;
}

const rgs_p11kit *rgs_p11kit_get(char *errbuf, size_t errlen)
{
  void *dl;

  if (kit_state == 0) {
    dl = dlopen(P11KIT_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL)
      snprintf(kit_error, sizeof(kit_error), "%s", dlerror());
    kit_state = dl != NULL && bind_all(dl) ? 1 : -1;
  }
  if (kit_state > 0)
    return &kit;
  rgsx_errf(errbuf, errlen, _("p11-kit could not be loaded: %s"), kit_error);
  return NULL;
}
