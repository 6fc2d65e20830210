/* SPDX-License-Identifier: BSD-3-Clause */
/* p11_kitlib.h - p11-kit, loaded the first time it is needed (internal).
 *
 * Reading a pkcs11: URI (P11KitUri) and finding a module by its registered
 * name need p11-kit; loading a module by path or by file name does not.
 * The lean rgs-enroll therefore does not map libp11-kit and libffi at
 * start-up (about 0.6 MiB of the holder's `start`): they are opened with
 * dlopen when a URI or a module name first comes, and kept. */
#ifndef RGS_P11_KITLIB_H
#define RGS_P11_KITLIB_H

#include <stddef.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

typedef struct {
  P11KitUri *(*uri_new)(void);
  void (*uri_free)(P11KitUri *uri);
  int (*uri_parse)(const char *string, P11KitUriType uri_type, P11KitUri *uri);
  const char *(*uri_message)(int code);
  CK_ATTRIBUTE_PTR (*uri_get_attribute)(P11KitUri *uri, CK_ATTRIBUTE_TYPE attr_type);
  const char *(*uri_get_module_name)(P11KitUri *uri);
  const char *(*uri_get_module_path)(P11KitUri *uri);
  CK_FUNCTION_LIST **(*modules_load)(const char *reserved, int flags);
  void (*modules_release)(CK_FUNCTION_LIST **modules);
  char *(*module_get_name)(CK_FUNCTION_LIST *module);
  char *(*module_get_filename)(CK_FUNCTION_LIST *module);
  char *(*config_option)(CK_FUNCTION_LIST *module, const char *option);
  const char *(*message)(void);
} rgs_p11kit;

/* The functions, or NULL when libp11-kit cannot be opened (the reason in
 * errbuf). Loaded once per process. */
const rgs_p11kit *rgs_p11kit_get(char *errbuf, size_t errlen);

#endif
