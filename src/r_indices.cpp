// Glue for the beta-cell / insulin-sensitivity indices: registers the built-in
// index plugins at load through glycotrial_register_index_v1(), the same C
// entry point a package with `LinkingTo: glycotrial` uses. Evaluation goes
// through the registry (cpp_compute_compiled_index in r_registry.cpp).
#include <Rcpp.h>
#include <R_ext/Rdynload.h>

#include <string>

#include "core/common/plugin_registry.hpp"
#include "core/indices/builtin.hpp"
#include "r_guard.h"

// [[Rcpp::init]]
void glycotrial_init_indices(DllInfo* dll) {
  (void)dll;
  std::size_t n = 0;
  const glycotrial_index_v1* p = glycotrial::indices::builtin_plugins(&n);
  for (std::size_t k = 0; k < n; ++k) {
    char err[512] = {0};
    if (glycotrial_register_index_v1(&p[k], "glycotrial", 1, err, sizeof(err)) != 0) {
      Rf_warning("glycotrial: built-in index '%s' failed to register: %s", p[k].key, err);
    }
  }
}

// Keys of the built-in index plugins, in declaration order.
// [[Rcpp::export(rng = false)]]
Rcpp::CharacterVector cpp_indices_builtin_keys() {
  return glue::guard([&] {
    std::size_t n = 0;
    const glycotrial_index_v1* p = glycotrial::indices::builtin_plugins(&n);
    Rcpp::CharacterVector out(n);
    for (std::size_t k = 0; k < n; ++k) out[k] = p[k].key;
    return out;
  });
}
