// Registry of compiled plugins (covariance structures, indices). Built-ins and
// plugins from other packages enter through the same C entry points
// (glycotrial_register_*_v1 / _v2), which are exported to other packages with
// R_RegisterCCallable by the glue. The R-level registry (R/plugins_registry.R) mirrors
// these entries so that glycotrial_plugins() lists everything in one table.
//
// Each kind has its own table keyed by the exact key (no "kind:key" strings).
// Every entry records the package that registered it and the shared library
// (DLL) its callbacks live in. Before a registered plugin is handed out, the
// owning DLL is checked to be still loaded (through a hook the glue installs,
// see set_owner_hooks()); entries of an unloaded DLL are dropped and their use
// is a PluginUnloadedError, never a call into unmapped code.
//
// Built-in entries (sealed with seal_builtins() once glycotrial has registered
// them) can only be replaced with an explicit override_builtin; the override
// is recorded as a notice (take_notices()) so the glue can tell the user, and
// the built-in comes back when the overriding entry is unregistered or its
// DLL unloaded.
#pragma once

#include <string>
#include <vector>

#include "core/common/errors.hpp"
#include "glycotrial/plugin_api.h"

namespace glycotrial {
namespace plugins {

// R classes carried by these exceptions (r_guard.h/raise_core_error split on
// spaces): the specific plugin class first, then the general one.
class PluginUnloadedError : public InputError {
 public:
  using InputError::InputError;
  const char* r_class() const noexcept override {
    return "glycotrial_error_plugin_unloaded glycotrial_error_input";
  }
};

// A plugin returned something unusable (an absurd size, a non-symmetric or
// non-finite matrix).
class PluginOutputError : public NumericalError {
 public:
  using NumericalError::NumericalError;
  const char* r_class() const noexcept override {
    return "glycotrial_error_plugin_output glycotrial_error_numerical";
  }
};

// A plugin callback reported failure (non-zero status); the message is the
// plugin's own. `base` keeps the class the failure had before (input for
// indices, numerical for covariance structures).
class PluginFailedError : public Error {
 public:
  PluginFailedError(const std::string& message, bool numerical, std::string argument = "")
      : Error(message, std::move(argument)), numerical_(numerical) {}
  const char* r_class() const noexcept override {
    return numerical_ ? "glycotrial_error_plugin_failed glycotrial_error_numerical"
                      : "glycotrial_error_plugin_failed glycotrial_error_input";
  }

 private:
  bool numerical_;
};

// Upper bounds on sizes a plugin reports: visits (or distinct times) a
// structure is evaluated over, and parameters per structure
// (max(n_visits^2, kMinThetaBound)); inputs of an index.
constexpr int kMaxVisits = 10000;
constexpr int kMinThetaBound = 64;
constexpr int kMaxIndexInputs = 1000;

struct PluginInfo {
  std::string kind;  // "covariance" or "index"
  std::string key;
  std::string package;
  std::string description;
  std::string reference;
  std::string units;  // index: "in1 [u1], in2 [u2] -> out"; covariance: ""
  std::string dll;    // shared library the callbacks live in ("" if unknown)
  bool builtin = false;
  std::string overrides;  // package of the built-in this entry overrides, or ""
};

struct RegisterOptions {
  bool overwrite = false;         // replace a non-built-in entry of the same key
  bool override_builtin = false;  // also replace a built-in (implies overwrite)
  std::string dll;                // owning DLL name; "" = resolve from the callbacks
};

// Owner of a plugin: DLL name and path. The glue resolves it at registration
// (from the name given to the v2 entry point, or from the address of a
// callback) and tells whether it is still loaded; without hooks (standalone
// builds) nothing is checked.
struct Owner {
  std::string dll;
  std::string path;
  const void* address = nullptr;  // a callback of the plugin, to re-check its mapping
};
using ResolveOwnerFn = Owner (*)(const std::string& dll, const void* callback);
using OwnerLoadedFn = bool (*)(const Owner& owner);
// Installs the hooks; liveness is checked only on the calling thread (R's
// main thread), where a DLL can be unloaded. Pass nullptrs to remove them.
void set_owner_hooks(ResolveOwnerFn resolve, OwnerLoadedFn loaded);

// Register a copy of the plugin (strings are copied; function pointers kept).
// Throws InputError on an invalid plugin or a conflicting key.
void register_covariance(const glycotrial_covariance_v1& plugin, const std::string& package,
                         const RegisterOptions& options);
void register_index(const glycotrial_index_v1& plugin, const std::string& package,
                    const RegisterOptions& options);
// Older form: overwrite only (a built-in is never replaced).
void register_covariance(const glycotrial_covariance_v1& plugin, const std::string& package,
                         bool overwrite);
void register_index(const glycotrial_index_v1& plugin, const std::string& package,
                    bool overwrite);

// Marks every entry registered so far by `package` as built-in.
void seal_builtins(const std::string& package);

// Registered plugin or nullptr; throws PluginUnloadedError when the owning DLL
// was unloaded. The pointer stays valid until the key is unregistered,
// overwritten or its DLL unloaded.
const glycotrial_covariance_v1* find_covariance(const std::string& key);
const glycotrial_index_v1* find_index(const std::string& key);

// Returns true when something was removed (a built-in overridden by the
// removed entry comes back).
bool unregister(const std::string& kind, const std::string& key);

// Drops the entries whose DLL is no longer loaded; returns how many.
int prune_unloaded();

// DLL name when kind/key was dropped because its DLL was unloaded (and not
// registered again since), else "".
std::string unloaded_owner(const std::string& kind, const std::string& key);

// Pending notices (built-in overrides, built-ins restored), oldest first;
// taking them clears the list.
struct Notice {
  std::string kind, key, package, text;
};
std::vector<Notice> take_notices();

std::vector<PluginInfo> list();

// Number of parameters of a structure over n_visits visits, checked against
// the bounds above (InputError for too many visits, PluginOutputError for an
// absurd count).
int checked_n_theta(const glycotrial_covariance_v1& plugin, int n_visits);
// Checks an m x m covariance matrix from a plugin: finite and symmetric
// (relative tolerance 1e-8); throws PluginOutputError.
void check_covariance_matrix(const std::string& key, const double* sigma, int m);

// Evaluate an index plugin on column inputs (all the same length); throws
// InputError/PluginFailedError with the plugin's message on failure. Rows the
// plugin does not write stay NaN.
std::vector<double> compute_index(const glycotrial_index_v1& plugin,
                                  const std::vector<std::vector<double>>& inputs);

}  // namespace plugins
}  // namespace glycotrial

// C entry points (the ABI other packages call). Never throw.
extern "C" {
int glycotrial_register_covariance_v1(const glycotrial_covariance_v1* plugin, const char* package,
                                      int overwrite, char* err, int err_len);
int glycotrial_register_index_v1(const glycotrial_index_v1* plugin, const char* package,
                                 int overwrite, char* err, int err_len);
int glycotrial_register_covariance_v2(const glycotrial_covariance_v1* plugin, const char* package,
                                      const char* dll, int flags, char* err, int err_len);
int glycotrial_register_index_v2(const glycotrial_index_v1* plugin, const char* package,
                                 const char* dll, int flags, char* err, int err_len);
}
