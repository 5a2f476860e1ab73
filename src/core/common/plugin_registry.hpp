// Registry of compiled plugins (covariance structures, indices). Built-ins and
// plugins from other packages enter through the same C entry points
// (glycotrial_register_*_v1), which are exported to other packages with
// R_RegisterCCallable by the glue. The R-level registry (R/registry.R) mirrors
// these entries so that glycotrial_plugins() lists everything in one table.
#pragma once

#include <string>
#include <vector>

#include "glycotrial/plugin_api.h"

namespace glycotrial {
namespace plugins {

struct PluginInfo {
  std::string kind;  // "covariance" or "index"
  std::string key;
  std::string package;
  std::string description;
  std::string reference;
  std::string units;  // index: "in1 [u1], in2 [u2] -> out"; covariance: ""
};

// Register a copy of the plugin (strings are copied; function pointers kept).
// Throws InputError on an invalid plugin or a conflicting key when !overwrite.
void register_covariance(const glycotrial_covariance_v1& plugin, const std::string& package,
                         bool overwrite);
void register_index(const glycotrial_index_v1& plugin, const std::string& package,
                    bool overwrite);

// Registered plugin or nullptr. The pointer stays valid until the key is
// unregistered or overwritten.
const glycotrial_covariance_v1* find_covariance(const std::string& key);
const glycotrial_index_v1* find_index(const std::string& key);

// Returns true when something was removed.
bool unregister(const std::string& kind, const std::string& key);

std::vector<PluginInfo> list();

// Evaluate an index plugin on column inputs (all the same length); throws
// InputError/NumericalError with the plugin's message on failure.
std::vector<double> compute_index(const glycotrial_index_v1& plugin,
                                  const std::vector<std::vector<double>>& inputs);

// Evaluate a covariance plugin for one subject: returns the m x m matrix
// (column-major) and, when derivatives is non-null, fills it with n_theta
// m x m derivative matrices (numerical central differences if the plugin has
// no analytic ones).
std::vector<double> covariance_sigma(const glycotrial_covariance_v1& plugin,
                                     const std::vector<double>& theta, int n_visits,
                                     const std::vector<double>& coords,
                                     std::vector<double>* derivatives = nullptr);

}  // namespace plugins
}  // namespace glycotrial

// C entry points (the ABI other packages call). Never throw.
extern "C" {
int glycotrial_register_covariance_v1(const glycotrial_covariance_v1* plugin, const char* package,
                                      int overwrite, char* err, int err_len);
int glycotrial_register_index_v1(const glycotrial_index_v1* plugin, const char* package,
                                 int overwrite, char* err, int err_len);
}
