#include "plugin_registry.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "errors.hpp"

namespace glycotrial {
namespace plugins {
namespace {

// Owns the strings a plugin struct points to, so a plugin may be registered
// from temporary buffers.
struct EntryBase {
  std::string key, description, reference, package;
  Owner owner;
  bool builtin = false;
};

struct CovarianceEntry : EntryBase {
  glycotrial_covariance_v1 api{};
  std::unique_ptr<CovarianceEntry> shadow;  // the built-in this entry overrides
};

struct IndexEntry : EntryBase {
  std::string output_unit;
  std::vector<std::string> names, units;
  std::vector<const char*> name_ptrs, unit_ptrs;
  glycotrial_index_v1 api{};
  std::unique_ptr<IndexEntry> shadow;
};

template <class E>
using Table = std::map<std::string, std::unique_ptr<E>>;

struct State {
  std::mutex mutex;
  Table<CovarianceEntry> covariances;
  Table<IndexEntry> indices;
  // key -> DLL name of entries dropped because their DLL was unloaded.
  std::map<std::string, std::string> covariances_gone, indices_gone;
  std::vector<Notice> notices;
  ResolveOwnerFn resolve = nullptr;
  OwnerLoadedFn loaded = nullptr;
  std::thread::id check_thread;
};

State& state() {
  static State s;
  return s;
}

std::string str_or_empty(const char* s) { return s ? std::string(s) : std::string(); }

void check_key(const char* key) {
  require(key != nullptr && std::strlen(key) > 0, "key", "plugin key must be a non-empty string");
  require(std::strlen(key) <= 256, "key", "plugin key is longer than 256 characters");
  for (const char* c = key; *c; ++c) {
    bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '.';
    require(ok, "key",
            std::string("plugin key '") + key + "' may contain only letters, digits, '_' and '.'");
  }
}

void check_abi(int abi, const char* key) {
  require(abi == GLYCOTRIAL_PLUGIN_ABI, "abi_version",
          std::string("plugin '") + key + "' was built for plugin ABI " + std::to_string(abi) +
              " but this glycotrial provides ABI " + std::to_string(GLYCOTRIAL_PLUGIN_ABI));
}

// The units glycotrial converts between, per quantity (the canonical
// spellings of R's unit_catalogue(), R/units.R). An index input named after
// one of these quantities must declare one of them, exactly as the R-level
// register_index() requires; other input names may declare any unit.
const std::map<std::string, std::vector<std::string>>& unit_catalogue() {
  static const std::map<std::string, std::vector<std::string>> m = {
      {"glucose", {"mmol/L", "mg/dL"}},
      {"insulin", {"uU/mL", "pmol/L"}},
      {"cpeptide", {"nmol/L", "pmol/L", "ng/mL"}},
      {"creatinine", {"mg/dL", "umol/L"}},
      {"time", {"min", "h"}},
      {"weight", {"kg", "g", "lb"}},
      {"height", {"cm", "m", "in"}},
      {"age", {"years"}},
      {"bmi", {"kg/m2"}},
      {"hba1c", {"%", "mmol/mol"}},
      {"sex", {"female=1"}},
      {"value", {"1"}}};
  return m;
}

void check_input_unit(const std::string& key, const std::string& name, const std::string& unit) {
  const auto& cat = unit_catalogue();
  auto it = cat.find(name);
  if (it == cat.end()) return;
  if (std::find(it->second.begin(), it->second.end(), unit) != it->second.end()) return;
  std::string accepted;
  for (const auto& u : it->second) accepted += (accepted.empty() ? "'" : ", '") + u + "'";
  throw InputError("index plugin '" + key + "' declares unit '" + unit + "' for input '" + name +
                       "', which glycotrial does not know; accepted units for " + name + ": " +
                       accepted,
                   "input_units");
}

// Liveness of an entry's DLL: checked only on the thread that installed the
// hooks (R's main thread) and never for built-ins.
bool owner_gone(const State& s, const EntryBase& e) {
  return s.loaded != nullptr && !e.builtin && !e.owner.dll.empty() &&
         std::this_thread::get_id() == s.check_thread && !s.loaded(e.owner);
}

Owner resolve_owner(const std::string& dll, const void* callback) {
  ResolveOwnerFn resolve;
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    resolve = state().resolve;
  }
  if (resolve != nullptr) return resolve(dll, callback);
  Owner o;
  o.dll = dll;
  return o;
}

template <class E>
void insert(Table<E>& table, std::map<std::string, std::string>& gone, std::unique_ptr<E> e,
            const RegisterOptions& o, const std::string& what, const std::string& kind) {
  auto it = table.find(e->key);
  if (it != table.end()) {
    E& old = *it->second;
    if (old.builtin || old.shadow) {
      const E& builtin = old.builtin ? old : *old.shadow;
      if (!o.override_builtin) {
        throw InputError(what + " '" + e->key + "' is built into " + builtin.package +
                             "; package '" + e->package +
                             "' may replace it only with the explicit opt-in "
                             "(override_builtin = TRUE in R, flag "
                             "GLYCOTRIAL_REGISTER_OVERRIDE_BUILTIN in C)",
                         "key");
      }
      state().notices.push_back(
          {kind, e->key, e->package,
           "package '" + e->package + "' overrides the built-in " + what + " '" + e->key + "'"});
      e->shadow = old.builtin ? std::move(it->second) : std::move(old.shadow);
    } else if (!o.overwrite && !o.override_builtin) {
      throw InputError(what + " '" + e->key + "' is already registered (by package '" +
                           old.package + "'); use overwrite = TRUE to replace it",
                       "key");
    }
  }
  gone.erase(e->key);
  std::string key = e->key;
  table[key] = std::move(e);
}

// Removes the entry at `it`; a built-in it overrode comes back.
template <class E>
void drop(Table<E>& table, typename Table<E>::iterator it, const std::string& kind,
          const std::string& why) {
  std::unique_ptr<E> shadow = std::move(it->second->shadow);
  if (shadow) {
    state().notices.push_back({kind, it->first, shadow->package,
                               "the built-in " + kind + " '" + it->first + "' is back (" + why +
                                   ")"});
    it->second = std::move(shadow);
  } else {
    table.erase(it);
  }
}

// The live entry for key, or nullptr; an entry whose DLL is gone is dropped
// and, unless a built-in takes its place, reported as PluginUnloadedError.
template <class E>
E* find_live(Table<E>& table, std::map<std::string, std::string>& gone, const std::string& key,
             const std::string& kind, const std::string& what) {
  State& s = state();
  auto it = table.find(key);
  if (it == table.end()) {
    auto g = gone.find(key);
    if (g != gone.end()) {
      throw PluginUnloadedError(what + " '" + key + "' came from the shared library '" +
                                g->second +
                                "', which has been unloaded; load its package again to use it");
    }
    return nullptr;
  }
  if (owner_gone(s, *it->second)) {
    const std::string dll = it->second->owner.dll, package = it->second->package;
    const bool restored = it->second->shadow != nullptr;
    drop(table, it, kind, "the shared library '" + dll + "' of package '" + package +
                              "' was unloaded");
    if (restored) return table.find(key)->second.get();
    gone[key] = dll;
    throw PluginUnloadedError(what + " '" + key + "' was registered by package '" + package +
                              "' from the shared library '" + dll +
                              "', which has been unloaded; load the package again to use it");
  }
  return it->second.get();
}

template <class E>
int prune_table(Table<E>& table, std::map<std::string, std::string>& gone,
                const std::string& kind) {
  State& s = state();
  int n = 0;
  for (auto it = table.begin(); it != table.end();) {
    if (owner_gone(s, *it->second)) {
      const std::string key = it->first, dll = it->second->owner.dll;
      const bool restored = it->second->shadow != nullptr;
      drop(table, it, kind, "the shared library '" + dll + "' was unloaded");
      if (!restored) gone[key] = dll;
      ++n;
      it = table.upper_bound(key);
    } else {
      ++it;
    }
  }
  return n;
}

}  // namespace

void set_owner_hooks(ResolveOwnerFn resolve, OwnerLoadedFn loaded) {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().resolve = resolve;
  state().loaded = loaded;
  state().check_thread = std::this_thread::get_id();
}

void register_covariance(const glycotrial_covariance_v1& p, const std::string& package,
                         const RegisterOptions& o) {
  check_key(p.key);
  check_abi(p.abi_version, p.key);
  require(p.n_theta != nullptr && p.sigma != nullptr, "plugin",
          std::string("covariance plugin '") + p.key + "' needs both n_theta and sigma callbacks");
  auto e = std::make_unique<CovarianceEntry>();
  e->key = p.key;
  e->description = str_or_empty(p.description);
  e->reference = str_or_empty(p.reference);
  e->package = package;
  e->owner = resolve_owner(o.dll, reinterpret_cast<const void*>(p.sigma));
  e->api = p;
  e->api.key = e->key.c_str();
  e->api.description = e->description.c_str();
  e->api.reference = e->reference.c_str();
  std::lock_guard<std::mutex> lock(state().mutex);
  insert(state().covariances, state().covariances_gone, std::move(e), o, "covariance structure",
         "covariance");
}

void register_index(const glycotrial_index_v1& p, const std::string& package,
                    const RegisterOptions& o) {
  check_key(p.key);
  check_abi(p.abi_version, p.key);
  require(p.compute != nullptr, "plugin",
          std::string("index plugin '") + p.key + "' needs a compute callback");
  require(p.n_inputs > 0 && p.input_names != nullptr, "plugin",
          std::string("index plugin '") + p.key + "' must declare at least one named input");
  require(p.n_inputs <= kMaxIndexInputs, "plugin",
          std::string("index plugin '") + p.key + "' declares " + std::to_string(p.n_inputs) +
              " inputs; at most " + std::to_string(kMaxIndexInputs) + " are allowed");
  auto e = std::make_unique<IndexEntry>();
  e->key = p.key;
  e->description = str_or_empty(p.description);
  e->reference = str_or_empty(p.reference);
  e->output_unit = str_or_empty(p.output_unit);
  e->package = package;
  for (int j = 0; j < p.n_inputs; ++j) {
    require(p.input_names[j] != nullptr && p.input_names[j][0] != '\0', "plugin",
            std::string("index plugin '") + p.key + "' has an unnamed input");
    e->names.emplace_back(p.input_names[j]);
    e->units.emplace_back(p.input_units ? str_or_empty(p.input_units[j]) : std::string());
    check_input_unit(e->key, e->names.back(), e->units.back());
  }
  for (int j = 0; j < p.n_inputs; ++j) {
    e->name_ptrs.push_back(e->names[j].c_str());
    e->unit_ptrs.push_back(e->units[j].c_str());
  }
  e->owner = resolve_owner(o.dll, reinterpret_cast<const void*>(p.compute));
  e->api = p;
  e->api.key = e->key.c_str();
  e->api.description = e->description.c_str();
  e->api.reference = e->reference.c_str();
  e->api.output_unit = e->output_unit.c_str();
  e->api.input_names = e->name_ptrs.data();
  e->api.input_units = e->unit_ptrs.data();
  std::lock_guard<std::mutex> lock(state().mutex);
  insert(state().indices, state().indices_gone, std::move(e), o, "index", "index");
}

void register_covariance(const glycotrial_covariance_v1& p, const std::string& package,
                         bool overwrite) {
  RegisterOptions o;
  o.overwrite = overwrite;
  register_covariance(p, package, o);
}

void register_index(const glycotrial_index_v1& p, const std::string& package, bool overwrite) {
  RegisterOptions o;
  o.overwrite = overwrite;
  register_index(p, package, o);
}

void seal_builtins(const std::string& package) {
  std::lock_guard<std::mutex> lock(state().mutex);
  for (auto& kv : state().covariances)
    if (kv.second->package == package && !kv.second->shadow) kv.second->builtin = true;
  for (auto& kv : state().indices)
    if (kv.second->package == package && !kv.second->shadow) kv.second->builtin = true;
}

const glycotrial_covariance_v1* find_covariance(const std::string& key) {
  std::lock_guard<std::mutex> lock(state().mutex);
  CovarianceEntry* e = find_live(state().covariances, state().covariances_gone, key,
                                 "covariance", "covariance structure");
  return e ? &e->api : nullptr;
}

const glycotrial_index_v1* find_index(const std::string& key) {
  std::lock_guard<std::mutex> lock(state().mutex);
  IndexEntry* e = find_live(state().indices, state().indices_gone, key, "index", "index");
  return e ? &e->api : nullptr;
}

bool unregister(const std::string& kind, const std::string& key) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (kind == "covariance") {
    auto it = state().covariances.find(key);
    if (it == state().covariances.end()) return false;
    drop(state().covariances, it, kind, "its override was unregistered");
    return true;
  }
  if (kind == "index") {
    auto it = state().indices.find(key);
    if (it == state().indices.end()) return false;
    drop(state().indices, it, kind, "its override was unregistered");
    return true;
  }
  return false;
}

int prune_unloaded() {
  std::lock_guard<std::mutex> lock(state().mutex);
  return prune_table(state().covariances, state().covariances_gone, "covariance") +
         prune_table(state().indices, state().indices_gone, "index");
}

std::string unloaded_owner(const std::string& kind, const std::string& key) {
  std::lock_guard<std::mutex> lock(state().mutex);
  const auto& gone = kind == "covariance" ? state().covariances_gone : state().indices_gone;
  if (kind != "covariance" && kind != "index") return "";
  auto it = gone.find(key);
  return it == gone.end() ? std::string() : it->second;
}

std::vector<Notice> take_notices() {
  std::lock_guard<std::mutex> lock(state().mutex);
  std::vector<Notice> out;
  out.swap(state().notices);
  return out;
}

std::vector<PluginInfo> list() {
  prune_unloaded();
  std::lock_guard<std::mutex> lock(state().mutex);
  std::vector<PluginInfo> out;
  for (const auto& kv : state().covariances) {
    const auto& e = *kv.second;
    out.push_back({"covariance", e.key, e.package, e.description, e.reference, "", e.owner.dll,
                   e.builtin, e.shadow ? e.shadow->package : ""});
  }
  for (const auto& kv : state().indices) {
    const auto& e = *kv.second;
    std::string units;
    for (size_t j = 0; j < e.names.size(); ++j) {
      if (j) units += ", ";
      units += e.names[j] + " [" + e.units[j] + "]";
    }
    units += " -> " + e.output_unit;
    out.push_back({"index", e.key, e.package, e.description, e.reference, units, e.owner.dll,
                   e.builtin, e.shadow ? e.shadow->package : ""});
  }
  return out;
}

int checked_n_theta(const glycotrial_covariance_v1& p, int n_visits) {
  const std::string key = p.key ? p.key : "";
  require(n_visits >= 0 && n_visits <= kMaxVisits, "n_visits",
          "covariance structure '" + key + "' evaluated over " + std::to_string(n_visits) +
              " visits; at most " + std::to_string(kMaxVisits) + " are supported");
  const int k = p.n_theta(n_visits);
  require(k >= 0, "n_visits", "covariance structure '" + key + "' cannot be used with " +
                                  std::to_string(n_visits) + " visits");
  const long long bound =
      std::max<long long>(static_cast<long long>(n_visits) * n_visits, kMinThetaBound);
  if (k > bound) {
    throw PluginOutputError("covariance structure '" + key + "' reports " + std::to_string(k) +
                            " parameters for " + std::to_string(n_visits) +
                            " visits; at most " + std::to_string(bound) +
                            " (visits squared) are accepted from a plugin");
  }
  return k;
}

void check_covariance_matrix(const std::string& key, const double* s, int m) {
  for (int j = 0; j < m; ++j) {
    for (int i = 0; i < m; ++i) {
      const double a = s[i + static_cast<size_t>(j) * m];
      if (!std::isfinite(a))
        throw PluginOutputError("covariance structure '" + key +
                                "' returned a non-finite value at [" + std::to_string(i + 1) +
                                ", " + std::to_string(j + 1) + "]");
      if (i <= j) continue;
      const double b = s[j + static_cast<size_t>(i) * m];
      const double scale = std::sqrt(std::fabs(s[i + static_cast<size_t>(i) * m]) *
                                     std::fabs(s[j + static_cast<size_t>(j) * m]));
      const double tol = 1e-8 * std::max({scale, std::fabs(a), std::fabs(b)});
      if (std::fabs(a - b) > tol) {
        throw PluginOutputError("covariance structure '" + key +
                                "' returned a non-symmetric matrix: element [" +
                                std::to_string(i + 1) + ", " + std::to_string(j + 1) + "] is " +
                                std::to_string(a) + " but [" + std::to_string(j + 1) + ", " +
                                std::to_string(i + 1) + "] is " + std::to_string(b));
      }
    }
  }
}

std::vector<double> compute_index(const glycotrial_index_v1& p,
                                  const std::vector<std::vector<double>>& inputs) {
  require(static_cast<int>(inputs.size()) == p.n_inputs, "inputs",
          std::string("index '") + p.key + "' needs " + std::to_string(p.n_inputs) +
              " inputs, got " + std::to_string(inputs.size()));
  const size_t n = inputs.empty() ? 0 : inputs[0].size();
  std::vector<const double*> cols;
  for (size_t j = 0; j < inputs.size(); ++j) {
    require(inputs[j].size() == n, p.input_names[j],
            std::string("input '") + p.input_names[j] + "' has length " +
                std::to_string(inputs[j].size()) + " but the first input has length " +
                std::to_string(n));
    cols.push_back(inputs[j].data());
  }
  require(n <= 2147483647u, "inputs", "too many rows for one call");
  std::vector<double> out(n, std::nan(""));
  char err[512] = {0};
  int rc = p.compute(static_cast<int>(n), cols.data(), out.data(), err, sizeof(err));
  err[sizeof(err) - 1] = '\0';
  if (rc != 0) {
    throw PluginFailedError(std::string("index '") + p.key + "' failed: " +
                                (err[0] ? err : "no message from the plugin"),
                            false);
  }
  return out;
}

}  // namespace plugins
}  // namespace glycotrial

namespace {
template <class F>
int c_guard(F&& f, char* err, int err_len) {
  try {
    f();
    return 0;
  } catch (const std::exception& e) {
    if (err && err_len > 0) {
      std::strncpy(err, e.what(), static_cast<size_t>(err_len) - 1);
      err[err_len - 1] = '\0';
    }
    return 1;
  }
}

// The options of a v2 registration, after refusing a NULL plugin and flags
// this build does not know (a newer caller's flag must not be ignored).
glycotrial::plugins::RegisterOptions options_from(const void* plugin, const char* dll,
                                                  int flags) {
  glycotrial::require(plugin != nullptr, "plugin", "plugin pointer is NULL");
  glycotrial::require(
      (flags & ~(GLYCOTRIAL_REGISTER_OVERWRITE | GLYCOTRIAL_REGISTER_OVERRIDE_BUILTIN)) == 0,
      "flags", "unknown registration flags " + std::to_string(flags));
  glycotrial::plugins::RegisterOptions o;
  o.overwrite = (flags & GLYCOTRIAL_REGISTER_OVERWRITE) != 0;
  o.override_builtin = (flags & GLYCOTRIAL_REGISTER_OVERRIDE_BUILTIN) != 0;
  o.dll = dll ? dll : "";
  return o;
}

// v1 callers passed a boolean; only the override bit keeps its meaning.
int v1_flags(int overwrite) {
  if (overwrite == 0) return 0;
  return GLYCOTRIAL_REGISTER_OVERWRITE | (overwrite & GLYCOTRIAL_REGISTER_OVERRIDE_BUILTIN);
}
}  // namespace

// v1: `overwrite` is read as the flags of v2 (1 = overwrite; a built-in
// additionally needs GLYCOTRIAL_REGISTER_OVERRIDE_BUILTIN); the owning DLL is
// found from the callbacks' addresses.
extern "C" int glycotrial_register_covariance_v1(const glycotrial_covariance_v1* plugin,
                                                 const char* package, int overwrite, char* err,
                                                 int err_len) {
  return glycotrial_register_covariance_v2(plugin, package, nullptr, v1_flags(overwrite), err,
                                           err_len);
}

extern "C" int glycotrial_register_index_v1(const glycotrial_index_v1* plugin, const char* package,
                                            int overwrite, char* err, int err_len) {
  return glycotrial_register_index_v2(plugin, package, nullptr, v1_flags(overwrite), err,
                                      err_len);
}

extern "C" int glycotrial_register_covariance_v2(const glycotrial_covariance_v1* plugin,
                                                 const char* package, const char* dll, int flags,
                                                 char* err, int err_len) {
  return c_guard(
      [&] {
        const auto options = options_from(plugin, dll, flags);
        glycotrial::plugins::register_covariance(*plugin, package ? package : "", options);
      },
      err, err_len);
}

extern "C" int glycotrial_register_index_v2(const glycotrial_index_v1* plugin, const char* package,
                                            const char* dll, int flags, char* err, int err_len) {
  return c_guard(
      [&] {
        const auto options = options_from(plugin, dll, flags);
        glycotrial::plugins::register_index(*plugin, package ? package : "", options);
      },
      err, err_len);
}
