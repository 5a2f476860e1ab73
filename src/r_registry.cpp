// Glue for the compiled plugin registry: exports the C registration entry
// points to other packages and lets R list, evaluate and remove compiled plugins.
#include <Rcpp.h>
#include <R_ext/Rdynload.h>
#ifndef _WIN32
#include <dlfcn.h>
#endif

#include "core/common/plugin_registry.hpp"
#include "core/covariance/covariance.hpp"
#include "r_guard.h"

namespace reg = glycotrial::plugins;

namespace {

// The owner of a plugin: the DLL name given at registration (v2), or the
// file its callback lives in (dladdr), named as R names DLLs (file name
// without extension).
reg::Owner resolve_owner(const std::string& dll, const void* callback) {
  reg::Owner o;
  o.dll = dll;
  o.address = callback;
#ifndef _WIN32
  Dl_info info;
  if (callback != nullptr && dladdr(callback, &info) != 0 && info.dli_fname != nullptr) {
    o.path = info.dli_fname;
    if (o.dll.empty()) {
      std::string base = o.path.substr(o.path.find_last_of('/') + 1);
      o.dll = base.substr(0, base.find('.') == std::string::npos ? base.size() : base.rfind('.'));
    }
  }
#endif
  return o;
}

// Still loaded: R knows a DLL of that name and the callback still lies in
// the same file (a DLL unloaded and another loaded under the same name, or at
// the same address, does not pass).
bool owner_loaded(const reg::Owner& o) {
  // R_getDllInfo() matches the DLL's path (and, in some R versions, its
  // name): ask with both.
  if ((o.path.empty() || R_getDllInfo(o.path.c_str()) == nullptr) &&
      R_getDllInfo(o.dll.c_str()) == nullptr)
    return false;
#ifndef _WIN32
  if (!o.path.empty()) {
    Dl_info info;
    if (dladdr(o.address, &info) == 0 || info.dli_fname == nullptr || o.path != info.dli_fname)
      return false;
  }
#endif
  return true;
}

}  // namespace

// [[Rcpp::init]]
void glycotrial_init_callables(DllInfo* dll) {
  (void)dll;
  reg::set_owner_hooks(&resolve_owner, &owner_loaded);
  R_RegisterCCallable("glycotrial", "glycotrial_register_covariance_v1",
                      (DL_FUNC)&glycotrial_register_covariance_v1);
  R_RegisterCCallable("glycotrial", "glycotrial_register_index_v1",
                      (DL_FUNC)&glycotrial_register_index_v1);
  R_RegisterCCallable("glycotrial", "glycotrial_register_covariance_v2",
                      (DL_FUNC)&glycotrial_register_covariance_v2);
  R_RegisterCCallable("glycotrial", "glycotrial_register_index_v2",
                      (DL_FUNC)&glycotrial_register_index_v2);
}

// Marks the entries glycotrial registered at load as built-in (protected).
// [[Rcpp::export(rng = false)]]
void cpp_plugins_seal_builtins() {
  glue::guard([&] { reg::seal_builtins("glycotrial"); });
}

// Notices of built-in overrides (and built-ins restored) since the last call.
// [[Rcpp::export(rng = false)]]
Rcpp::DataFrame cpp_plugin_notices() {
  return glue::guard([&] {
    auto v = reg::take_notices();
    const R_xlen_t n = static_cast<R_xlen_t>(v.size());
    Rcpp::CharacterVector kind(n), key(n), package(n), text(n);
    for (R_xlen_t i = 0; i < n; ++i) {
      kind[i] = v[i].kind;
      key[i] = v[i].key;
      package[i] = v[i].package;
      text[i] = v[i].text;
    }
    return Rcpp::DataFrame::create(Rcpp::_["kind"] = kind, Rcpp::_["key"] = key,
                                   Rcpp::_["package"] = package, Rcpp::_["text"] = text,
                                   Rcpp::_["stringsAsFactors"] = false);
  });
}

// DLL name when kind/key was dropped because its DLL was unloaded, else "".
// [[Rcpp::export(rng = false)]]
std::string cpp_plugin_unloaded_owner(std::string kind, std::string key) {
  return glue::guard([&] {
    reg::prune_unloaded();
    return reg::unloaded_owner(kind, key);
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::DataFrame cpp_compiled_plugins() {
  return glue::guard([&] {
    auto info = reg::list();
    const R_xlen_t n = static_cast<R_xlen_t>(info.size());
    Rcpp::CharacterVector kind(n), key(n), package(n), description(n), reference(n), units(n),
        dll(n), overrides(n);
    Rcpp::LogicalVector builtin(n);
    for (R_xlen_t i = 0; i < n; ++i) {
      dll[i] = info[i].dll;
      builtin[i] = info[i].builtin;
      overrides[i] = info[i].overrides;
      kind[i] = info[i].kind;
      key[i] = info[i].key;
      package[i] = info[i].package;
      description[i] = info[i].description;
      reference[i] = info[i].reference;
      units[i] = info[i].units;
    }
    return Rcpp::DataFrame::create(Rcpp::_["kind"] = kind, Rcpp::_["key"] = key,
                                   Rcpp::_["package"] = package,
                                   Rcpp::_["description"] = description,
                                   Rcpp::_["units"] = units, Rcpp::_["reference"] = reference,
                                   Rcpp::_["dll"] = dll, Rcpp::_["builtin"] = builtin,
                                   Rcpp::_["overrides"] = overrides,
                                   Rcpp::_["stringsAsFactors"] = false);
  });
}

// [[Rcpp::export(rng = false)]]
bool cpp_unregister_compiled(std::string kind, std::string key) {
  return glue::guard([&] { return reg::unregister(kind, key); });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_compiled_index_info(std::string key) {
  return glue::guard([&] {
    const glycotrial_index_v1* p = reg::find_index(key);
    glycotrial::require(p != nullptr, "key", "no compiled index '" + key + "' is registered");
    Rcpp::CharacterVector names(p->n_inputs), units(p->n_inputs);
    for (int j = 0; j < p->n_inputs; ++j) {
      names[j] = p->input_names[j];
      units[j] = p->input_units[j];
    }
    units.attr("names") = names;
    return Rcpp::List::create(Rcpp::_["inputs"] = units,
                              Rcpp::_["output_unit"] = std::string(p->output_unit));
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector cpp_compute_compiled_index(std::string key, Rcpp::List inputs) {
  return glue::guard([&] {
    const glycotrial_index_v1* p = reg::find_index(key);
    glycotrial::require(p != nullptr, "key", "no compiled index '" + key + "' is registered");
    std::vector<std::vector<double>> cols;
    for (R_xlen_t j = 0; j < inputs.size(); ++j)
      cols.push_back(Rcpp::as<std::vector<double>>(inputs[j]));
    return Rcpp::wrap(reg::compute_index(*p, cols));
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_compiled_covariance(std::string key, std::vector<double> theta, int n_visits,
                                   std::vector<double> coords, bool derivatives) {
  return glue::guard([&] {
    const glycotrial_covariance_v1* p = reg::find_covariance(key);
    glycotrial::require(p != nullptr, "key",
                        "no compiled covariance structure '" + key + "' is registered");
    std::vector<double> d;
    std::vector<double> s = glycotrial::mmrm::plugin_sigma(*p, theta, n_visits, coords,
                                                           derivatives ? &d : nullptr);
    const int m = static_cast<int>(coords.size());
    Rcpp::NumericMatrix sigma(m, m, s.begin());
    Rcpp::List dl;
    for (size_t j = 0; j * m * m < d.size(); ++j)
      dl.push_back(Rcpp::NumericMatrix(m, m, d.begin() + static_cast<long>(j * m * m)));
    return Rcpp::List::create(Rcpp::_["sigma"] = sigma, Rcpp::_["dsigma"] = dl,
                              Rcpp::_["n_theta"] = reg::checked_n_theta(*p, n_visits),
                              Rcpp::_["spatial"] = p->spatial != 0);
  });
}

// Raises a core InputError; lets the tests prove the exception mapping.
// [[Rcpp::export(rng = false)]]
double cpp_throw_for_test(std::string kind) {
  return glue::guard([&]() -> double {
    if (kind == "input") throw glycotrial::InputError("bad value for x", "x");
    if (kind == "numerical") throw glycotrial::NumericalError("matrix is singular");
    if (kind == "convergence") throw glycotrial::ConvergenceError("no convergence after 3 steps");
    if (kind == "std") throw std::runtime_error("plain std exception");
    return 1.0;
  });
}
