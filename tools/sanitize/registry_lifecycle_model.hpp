// A model of the plugin registry's lifecycle (register, overwrite, override a
// built-in, unregister, unload and reload a shared library), shared by the
// sanitizer driver (driver-registry-lifecycle.cpp) and the libFuzzer harness
// (tools/fuzz/fuzz_registry_lifecycle.cpp).
//
// Three fake shared libraries provide plugins; their callbacks abort the
// process when called while their library is "unloaded" (a real call would
// be a segfault). The owner hooks tell the registry which libraries are
// loaded, as the glue does with R_getDllInfo()/dladdr(). A sequence of
// operations, read from bytes, must never call into an unloaded library,
// never list an entry of one, never let a built-in be replaced without the
// override flag, and never throw anything but a classed glycotrial::Error.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/common/plugin_registry.hpp"
#include "core/covariance/covariance.hpp"

namespace lifecycle {

namespace reg = glycotrial::plugins;

constexpr int kDlls = 3;
constexpr int kKeys = 3;
inline const char* dll_name(int d) {
  static const char* names[kDlls] = {"lcA", "lcB", "lcC"};
  return names[d];
}
inline const char* key_name(int k) {
  static const char* names[kKeys] = {"lc_builtin", "lc_one", "lc_two"};
  return names[k];
}
constexpr const char* kBuiltinPackage = "lc-builtin";
constexpr const char* kCoreDll = "lc-core";

inline bool& loaded(int d) {
  static bool v[kDlls] = {true, true, true};
  return v[d];
}

[[noreturn]] inline void defect(const std::string& what) {
  std::fprintf(stderr, "REGISTRY LIFECYCLE DEFECT: %s\n", what.c_str());
  std::abort();
}

inline void check_loaded(int d) {
  if (!loaded(d)) defect(std::string("called into unloaded library ") + dll_name(d));
}

// Callbacks of library D (D = kDlls: the "core", i.e. the built-ins).
template <int D>
int compute(int n, const double* const* in, double* out, char*, int) {
  if (D < kDlls) check_loaded(D);
  for (int i = 0; i < n; ++i) out[i] = in[0][i] + in[1][i] + D;
  return 0;
}
template <int D>
int n_theta(int) {
  if (D < kDlls) check_loaded(D);
  return 2;
}
template <int D>
int sigma(const double* th, int, int, const double*, int m, double* s, double* ds, char*, int) {
  if (D < kDlls) check_loaded(D);
  if (ds) return 2;
  const double v = std::exp(th[0]), rho = std::tanh(th[1]);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) s[i + j * m] = i == j ? v : v * rho;
  return 0;
}

using ComputeFn = int (*)(int, const double* const*, double*, char*, int);
using SigmaFn = int (*)(const double*, int, int, const double*, int, double*, double*, char*, int);
inline ComputeFn compute_of(int d) {
  static const ComputeFn f[kDlls + 1] = {compute<0>, compute<1>, compute<2>, compute<3>};
  return f[d];
}
inline SigmaFn sigma_of(int d) {
  static const SigmaFn f[kDlls + 1] = {sigma<0>, sigma<1>, sigma<2>, sigma<3>};
  return f[d];
}
inline int (*n_theta_of(int d))(int) {
  static int (*const f[kDlls + 1])(int) = {n_theta<0>, n_theta<1>, n_theta<2>, n_theta<3>};
  return f[d];
}

// Owner hooks: a v1 registration is attributed from the callback's address.
inline reg::Owner resolve(const std::string& dll, const void* cb) {
  reg::Owner o;
  o.dll = dll;
  o.address = cb;
  if (o.dll.empty()) {
    o.dll = kCoreDll;
    for (int d = 0; d < kDlls; ++d) {
      if (cb == reinterpret_cast<const void*>(compute_of(d)) ||
          cb == reinterpret_cast<const void*>(sigma_of(d)))
        o.dll = dll_name(d);
    }
  }
  return o;
}
inline bool owner_loaded(const reg::Owner& o) {
  for (int d = 0; d < kDlls; ++d)
    if (o.dll == dll_name(d)) return loaded(d);
  return true;
}

const char* const kInputs[] = {"a", "b"};

inline glycotrial_index_v1 index_plugin(int key, int d) {
  return glycotrial_index_v1{GLYCOTRIAL_PLUGIN_ABI, key_name(key), "lifecycle", "", "1", 2,
                             kInputs, nullptr, compute_of(d)};
}
inline glycotrial_covariance_v1 covariance_plugin(int key, int d) {
  return glycotrial_covariance_v1{GLYCOTRIAL_PLUGIN_ABI, key_name(key), "lifecycle", "", 0,
                                  n_theta_of(d), sigma_of(d)};
}

template <class F>
void classed_or_ok(F&& f) {
  try {
    f();
  } catch (const glycotrial::Error&) {
  } catch (const std::exception& e) {
    defect(std::string("unclassed exception: ") + e.what());
  }
}

// The entry listed for kind/key, if any.
inline bool listed(const std::string& kind, const std::string& key, reg::PluginInfo* out) {
  for (const auto& e : reg::list()) {
    if (e.kind == kind && e.key == key) {
      if (out) *out = e;
      return true;
    }
  }
  return false;
}

// Installs the hooks and the built-ins (key 0 of both kinds).
inline void begin() {
  for (int d = 0; d < kDlls; ++d) loaded(d) = true;
  reg::set_owner_hooks(&resolve, &owner_loaded);
  auto ip = index_plugin(0, kDlls);
  auto cp = covariance_plugin(0, kDlls);
  reg::RegisterOptions o;
  o.overwrite = true;
  o.override_builtin = true;
  reg::register_index(ip, kBuiltinPackage, o);
  reg::register_covariance(cp, kBuiltinPackage, o);
  reg::seal_builtins(kBuiltinPackage);
}

// Removes everything the model registered and the hooks.
inline void end() {
  for (int d = 0; d < kDlls; ++d) loaded(d) = true;
  for (int k = 0; k < kKeys; ++k) {
    while (reg::unregister("index", key_name(k))) {
    }
    while (reg::unregister("covariance", key_name(k))) {
    }
  }
  (void)reg::take_notices();
  reg::set_owner_hooks(nullptr, nullptr);
}

// One operation from three bytes.
inline void step(uint8_t op, uint8_t a, uint8_t b) {
  const int key = a % kKeys, d = (a / kKeys) % kDlls;
  const bool covariance = (b & 1) != 0;
  const char* kind = covariance ? "covariance" : "index";
  switch (op % 8) {
    case 0: {  // register (v1 or v2, any flags) from a loaded library
      if (!loaded(d)) break;
      const int flags = (b >> 1) & 3;
      const bool v2 = (b & 8) != 0;
      reg::PluginInfo before;
      const bool had = listed(kind, key_name(key), &before);
      const bool protected_now = had && (before.builtin || !before.overrides.empty());
      char err[128];
      int rc;
      if (covariance) {
        auto p = covariance_plugin(key, d);
        rc = v2 ? glycotrial_register_covariance_v2(&p, dll_name(d), dll_name(d), flags, err,
                                                    sizeof(err))
                : glycotrial_register_covariance_v1(&p, dll_name(d), flags, err, sizeof(err));
      } else {
        auto p = index_plugin(key, d);
        rc = v2 ? glycotrial_register_index_v2(&p, dll_name(d), dll_name(d), flags, err,
                                               sizeof(err))
                : glycotrial_register_index_v1(&p, dll_name(d), flags, err, sizeof(err));
      }
      if (protected_now && !(flags & GLYCOTRIAL_REGISTER_OVERRIDE_BUILTIN) && rc == 0)
        defect(std::string("built-in ") + kind + " '" + key_name(key) +
               "' replaced without the override flag");
      if (had && !protected_now && flags == 0 && rc == 0)
        defect("an existing entry was replaced without overwrite");
      if (rc == 0) {
        reg::PluginInfo now;
        if (!listed(kind, key_name(key), &now) && loaded(d))
          defect("a registered plugin is not listed");
        if (loaded(d) && now.dll != dll_name(d)) defect("wrong owner recorded: " + now.dll);
      }
      break;
    }
    case 1: {
      // The glue never removes a built-in itself (unregister_plugin() needs
      // override_builtin = TRUE); removing an override brings it back.
      reg::PluginInfo e;
      if (listed(kind, key_name(key), &e) && e.builtin) break;
      reg::unregister(kind, key_name(key));
      break;
    }
    case 2:
      loaded(d) = false;  // dyn.unload()
      break;
    case 3:
      loaded(d) = true;  // dyn.load() again: same code at the same place
      break;
    case 4:
    case 5:
      if (covariance) {
        classed_or_ok([&] {
          const glycotrial_covariance_v1* p = reg::find_covariance(key_name(key));
          if (p) glycotrial::mmrm::plugin_sigma(*p, {0.1, 0.2}, 3, {0, 1, 2});
        });
      } else {
        classed_or_ok([&] {
          const glycotrial_index_v1* p = reg::find_index(key_name(key));
          if (p) reg::compute_index(*p, {{1, 2}, {3, 4}});
        });
      }
      break;
    case 6:
      for (const auto& e : reg::list()) {
        for (int dd = 0; dd < kDlls; ++dd)
          if (!loaded(dd) && e.dll == dll_name(dd))
            defect("list() shows " + e.kind + " '" + e.key + "' of unloaded " + e.dll);
      }
      break;
    default: {
      (void)reg::take_notices();
      // The built-ins are never lost: each key 0 is a built-in or overrides one.
      reg::PluginInfo e;
      for (const char* k : {"index", "covariance"}) {
        if (!listed(k, key_name(0), &e) || (!e.builtin && e.overrides.empty()))
          defect(std::string("built-in ") + k + " '" + key_name(0) + "' was lost");
      }
      break;
    }
  }
}

inline void run(const uint8_t* data, size_t size) {
  begin();
  for (size_t i = 0; i + 2 < size; i += 3) step(data[i], data[i + 1], data[i + 2]);
  end();
}

}  // namespace lifecycle
