/* Header for packages that add compiled plugins to glycotrial.
 * In the plugin package: DESCRIPTION has `LinkingTo: glycotrial` and
 * `Imports: glycotrial`; its R_init_<pkg> (or .onLoad, after glycotrial is
 * loaded) calls glycotrial_register_covariance2() / glycotrial_register_index2()
 * with its DLL name, and its .onUnload unregisters what it registered
 * (glycotrial::unregister_plugin()). The v1 wrappers without a DLL name are
 * kept for existing plugins. Only C types cross the boundary. */
#ifndef GLYCOTRIAL_H
#define GLYCOTRIAL_H

#include <R.h>
#include <R_ext/Rdynload.h>
#include "plugin_api.h"

#ifdef __cplusplus
extern "C" {
#endif

static inline int glycotrial_register_covariance(const glycotrial_covariance_v1* plugin,
                                                 const char* package, int overwrite,
                                                 char* err, int err_len) {
  static glycotrial_register_covariance_v1_fn fn = NULL;
  if (fn == NULL)
    fn = (glycotrial_register_covariance_v1_fn)R_GetCCallable("glycotrial",
                                                              "glycotrial_register_covariance_v1");
  return fn(plugin, package, overwrite, err, err_len);
}

static inline int glycotrial_register_index(const glycotrial_index_v1* plugin,
                                            const char* package, int overwrite,
                                            char* err, int err_len) {
  static glycotrial_register_index_v1_fn fn = NULL;
  if (fn == NULL)
    fn = (glycotrial_register_index_v1_fn)R_GetCCallable("glycotrial",
                                                         "glycotrial_register_index_v1");
  return fn(plugin, package, overwrite, err, err_len);
}

/* Registration naming the owning shared library `dll` (e.g. "mypkg" in
 * R_init_mypkg); flags: GLYCOTRIAL_REGISTER_OVERWRITE,
 * GLYCOTRIAL_REGISTER_OVERRIDE_BUILTIN (plugin_api.h). */
static inline int glycotrial_register_covariance2(const glycotrial_covariance_v1* plugin,
                                                  const char* package, const char* dll,
                                                  int flags, char* err, int err_len) {
  static glycotrial_register_covariance_v2_fn fn = NULL;
  if (fn == NULL)
    fn = (glycotrial_register_covariance_v2_fn)R_GetCCallable("glycotrial",
                                                              "glycotrial_register_covariance_v2");
  return fn(plugin, package, dll, flags, err, err_len);
}

static inline int glycotrial_register_index2(const glycotrial_index_v1* plugin,
                                             const char* package, const char* dll, int flags,
                                             char* err, int err_len) {
  static glycotrial_register_index_v2_fn fn = NULL;
  if (fn == NULL)
    fn = (glycotrial_register_index_v2_fn)R_GetCCallable("glycotrial",
                                                         "glycotrial_register_index_v2");
  return fn(plugin, package, dll, flags, err, err_len);
}

#ifdef __cplusplus
}
#endif

#endif
