/* Header for packages that add compiled plugins to glycotrial.
 * In the plugin package: DESCRIPTION has `LinkingTo: glycotrial` and
 * `Imports: glycotrial`; its R_init_<pkg> (or .onLoad, after glycotrial is
 * loaded) calls glycotrial_register_covariance() / glycotrial_register_index().
 * Only C types cross the boundary. */
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

#ifdef __cplusplus
}
#endif

#endif
