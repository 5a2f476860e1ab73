#include "plugin_registry.hpp"

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "errors.hpp"

namespace glycotrial {
namespace plugins {
namespace {

// Owns the strings a plugin struct points to, so a plugin may be registered
// from temporary buffers.
struct CovarianceEntry {
  std::string key, description, reference, package;
  glycotrial_covariance_v1 api{};
};

struct IndexEntry {
  std::string key, description, reference, output_unit, package;
  std::vector<std::string> names, units;
  std::vector<const char*> name_ptrs, unit_ptrs;
  glycotrial_index_v1 api{};
};

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, std::unique_ptr<CovarianceEntry>>& covariances() {
  static std::map<std::string, std::unique_ptr<CovarianceEntry>> m;
  return m;
}
std::map<std::string, std::unique_ptr<IndexEntry>>& indices() {
  static std::map<std::string, std::unique_ptr<IndexEntry>> m;
  return m;
}

std::string str_or_empty(const char* s) { return s ? std::string(s) : std::string(); }

void check_key(const char* key) {
  require(key != nullptr && std::strlen(key) > 0, "key", "plugin key must be a non-empty string");
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

}  // namespace

void register_covariance(const glycotrial_covariance_v1& p, const std::string& package,
                         bool overwrite) {
  check_key(p.key);
  check_abi(p.abi_version, p.key);
  require(p.n_theta != nullptr && p.sigma != nullptr, "plugin",
          std::string("covariance plugin '") + p.key + "' needs both n_theta and sigma callbacks");
  auto e = std::make_unique<CovarianceEntry>();
  e->key = p.key;
  e->description = str_or_empty(p.description);
  e->reference = str_or_empty(p.reference);
  e->package = package;
  e->api = p;
  e->api.key = e->key.c_str();
  e->api.description = e->description.c_str();
  e->api.reference = e->reference.c_str();
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto& m = covariances();
  auto it = m.find(e->key);
  if (it != m.end() && !overwrite) {
    throw InputError("covariance structure '" + e->key + "' is already registered (by package '" +
                         it->second->package + "'); use overwrite = TRUE to replace it",
                     "key");
  }
  m[e->key] = std::move(e);
}

void register_index(const glycotrial_index_v1& p, const std::string& package, bool overwrite) {
  check_key(p.key);
  check_abi(p.abi_version, p.key);
  require(p.compute != nullptr, "plugin",
          std::string("index plugin '") + p.key + "' needs a compute callback");
  require(p.n_inputs > 0 && p.input_names != nullptr, "plugin",
          std::string("index plugin '") + p.key + "' must declare at least one named input");
  auto e = std::make_unique<IndexEntry>();
  e->key = p.key;
  e->description = str_or_empty(p.description);
  e->reference = str_or_empty(p.reference);
  e->output_unit = str_or_empty(p.output_unit);
  e->package = package;
  for (int j = 0; j < p.n_inputs; ++j) {
    require(p.input_names[j] != nullptr, "plugin",
            std::string("index plugin '") + p.key + "' has an unnamed input");
    e->names.emplace_back(p.input_names[j]);
    e->units.emplace_back(p.input_units ? str_or_empty(p.input_units[j]) : std::string());
  }
  for (int j = 0; j < p.n_inputs; ++j) {
    e->name_ptrs.push_back(e->names[j].c_str());
    e->unit_ptrs.push_back(e->units[j].c_str());
  }
  e->api = p;
  e->api.key = e->key.c_str();
  e->api.description = e->description.c_str();
  e->api.reference = e->reference.c_str();
  e->api.output_unit = e->output_unit.c_str();
  e->api.input_names = e->name_ptrs.data();
  e->api.input_units = e->unit_ptrs.data();
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto& m = indices();
  auto it = m.find(e->key);
  if (it != m.end() && !overwrite) {
    throw InputError("index '" + e->key + "' is already registered (by package '" +
                         it->second->package + "'); use overwrite = TRUE to replace it",
                     "key");
  }
  m[e->key] = std::move(e);
}

const glycotrial_covariance_v1* find_covariance(const std::string& key) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto it = covariances().find(key);
  return it == covariances().end() ? nullptr : &it->second->api;
}

const glycotrial_index_v1* find_index(const std::string& key) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto it = indices().find(key);
  return it == indices().end() ? nullptr : &it->second->api;
}

bool unregister(const std::string& kind, const std::string& key) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  if (kind == "covariance") return covariances().erase(key) > 0;
  if (kind == "index") return indices().erase(key) > 0;
  return false;
}

std::vector<PluginInfo> list() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::vector<PluginInfo> out;
  for (const auto& kv : covariances()) {
    const auto& e = *kv.second;
    out.push_back({"covariance", e.key, e.package, e.description, e.reference, ""});
  }
  for (const auto& kv : indices()) {
    const auto& e = *kv.second;
    std::string units;
    for (size_t j = 0; j < e.names.size(); ++j) {
      if (j) units += ", ";
      units += e.names[j] + " [" + e.units[j] + "]";
    }
    units += " -> " + e.output_unit;
    out.push_back({"index", e.key, e.package, e.description, e.reference, units});
  }
  return out;
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
  std::vector<double> out(n, std::nan(""));
  char err[512] = {0};
  int rc = p.compute(static_cast<int>(n), cols.data(), out.data(), err, sizeof(err));
  if (rc != 0) {
    throw InputError(std::string("index '") + p.key + "' failed: " +
                     (err[0] ? err : "no message from the plugin"));
  }
  return out;
}

std::vector<double> covariance_sigma(const glycotrial_covariance_v1& p,
                                     const std::vector<double>& theta, int n_visits,
                                     const std::vector<double>& coords,
                                     std::vector<double>* derivatives) {
  const int k = p.n_theta(n_visits);
  require(k >= 0, "n_visits", std::string("covariance '") + p.key + "' rejected " +
                                  std::to_string(n_visits) + " visits");
  require(static_cast<int>(theta.size()) == k, "theta",
          std::string("covariance '") + p.key + "' over " + std::to_string(n_visits) +
              " visits has " + std::to_string(k) + " parameters, got " +
              std::to_string(theta.size()));
  const int m = static_cast<int>(coords.size());
  std::vector<double> sigma(static_cast<size_t>(m) * m);
  char err[512] = {0};
  double* dptr = nullptr;
  if (derivatives) {
    derivatives->assign(static_cast<size_t>(k) * m * m, 0.0);
    dptr = derivatives->data();
  }
  int rc = p.sigma(theta.data(), k, n_visits, coords.data(), m, sigma.data(), dptr, err,
                   sizeof(err));
  if (rc == 2 && derivatives) {
    // No analytic derivatives: central differences with a relative step.
    rc = p.sigma(theta.data(), k, n_visits, coords.data(), m, sigma.data(), nullptr, err,
                 sizeof(err));
    std::vector<double> th = theta, sp(sigma.size()), sm(sigma.size());
    for (int j = 0; j < k && rc == 0; ++j) {
      const double h = 1e-5 * std::max(1.0, std::fabs(theta[j]));
      th[j] = theta[j] + h;
      rc = p.sigma(th.data(), k, n_visits, coords.data(), m, sp.data(), nullptr, err, sizeof(err));
      th[j] = theta[j] - h;
      if (rc == 0)
        rc = p.sigma(th.data(), k, n_visits, coords.data(), m, sm.data(), nullptr, err, sizeof(err));
      th[j] = theta[j];
      for (size_t i = 0; i < sigma.size() && rc == 0; ++i)
        (*derivatives)[static_cast<size_t>(j) * m * m + i] = (sp[i] - sm[i]) / (2 * h);
    }
  }
  if (rc != 0) {
    throw NumericalError(std::string("covariance '") + p.key + "' failed: " +
                         (err[0] ? err : "no message from the plugin"));
  }
  for (double v : sigma) {
    if (!std::isfinite(v))
      throw NumericalError(std::string("covariance '") + p.key + "' returned a non-finite value");
  }
  return sigma;
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
}  // namespace

extern "C" int glycotrial_register_covariance_v1(const glycotrial_covariance_v1* plugin,
                                                 const char* package, int overwrite, char* err,
                                                 int err_len) {
  return c_guard(
      [&] {
        glycotrial::require(plugin != nullptr, "plugin", "plugin pointer is NULL");
        glycotrial::plugins::register_covariance(*plugin, package ? package : "", overwrite != 0);
      },
      err, err_len);
}

extern "C" int glycotrial_register_index_v1(const glycotrial_index_v1* plugin, const char* package,
                                            int overwrite, char* err, int err_len) {
  return c_guard(
      [&] {
        glycotrial::require(plugin != nullptr, "plugin", "plugin pointer is NULL");
        glycotrial::plugins::register_index(*plugin, package ? package : "", overwrite != 0);
      },
      err, err_len);
}
