// libFuzzer harness for the plugin registry (src/core/common): plugin structs
// as a foreign package could fill them (odd keys, NULL strings, any n_inputs,
// wrong ABI), registered through the C entry points, then evaluated with
// columns of arbitrary lengths and covariance parameters of any value.
#include <cstring>
#include <string>
#include <vector>

#include "core/common/plugin_registry.hpp"
#include "core/covariance/covariance.hpp"
#include "fuzz_util.hpp"

namespace reg = glycotrial::plugins;

namespace {
int sum_compute(int n, const double* const* in, double* out, char*, int) {
  for (int i = 0; i < n; ++i) out[i] = in[0][i] + in[1 % 2][i];
  return 0;
}
int fail_compute(int, const double* const*, double*, char* err, int len) {
  // Writes exactly err_len bytes, the most a plugin may write.
  std::memset(err, 'x', static_cast<size_t>(len) - 1);
  err[len - 1] = '\0';
  return 3;
}
int nt_fixed(int n) { return n >= 0 && n < 100 ? 2 : -1; }
int nt_us(int n) { return n >= 1 && n <= 20 ? n * (n + 1) / 2 : -1; }
int sigma_cs(const double* th, int k, int, const double*, int m, double* s, double* ds, char*,
             int) {
  if (ds) return 2;
  const double v = std::exp(th[0]), rho = k > 1 ? std::tanh(th[1]) : 0.0;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) s[i + j * m] = i == j ? v : v * rho;
  return 0;
}
int sigma_fail(const double*, int, int, const double*, int, double*, double*, char* err,
               int len) {
  std::snprintf(err, static_cast<size_t>(len), "%s", "refused");
  return 1;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  // The C ABI sees the key up to its first NUL (R strings never contain one).
  const std::string key = std::string(p.ConsumeRandomLengthString(24).c_str());
  const std::string package = p.ConsumeRandomLengthString(8);
  const int abi = p.ConsumeBool() ? GLYCOTRIAL_PLUGIN_ABI : p.ConsumeIntegral<int>();
  const bool null_key = p.ConsumeIntegralInRange<int>(0, 15) == 0;
  char err[64];
  const int err_len = p.ConsumeIntegralInRange<int>(0, static_cast<int>(sizeof(err)));
  if (p.ConsumeBool()) {
    const int n_inputs = p.ConsumeIntegralInRange<int>(-2, 4);
    std::vector<std::string> names;
    std::vector<const char*> name_ptrs;
    for (int j = 0; j < std::max(0, n_inputs); ++j) names.push_back(p.ConsumeRandomLengthString(6));
    for (auto& s : names) name_ptrs.push_back(s.c_str());
    const bool use_units = p.ConsumeBool();
    glycotrial_index_v1 ip{abi, null_key ? nullptr : key.c_str(), nullptr, "ref", "u",
                           n_inputs, name_ptrs.empty() ? nullptr : name_ptrs.data(),
                           use_units && !name_ptrs.empty() ? name_ptrs.data() : nullptr,
                           p.ConsumeBool() ? sum_compute : fail_compute};
    if (n_inputs != 2) ip.compute = fail_compute;  // sum_compute reads two columns
    const int rc = glycotrial_register_index_v1(&ip, package.c_str(), p.ConsumeBool(),
                                                err_len ? err : nullptr, err_len);
    if (rc != 0) return 0;
    const glycotrial_index_v1* f = reg::find_index(key);
    if (!f) fuzz::fail("registered index not found");
    std::vector<std::vector<double>> cols(p.ConsumeIntegralInRange<size_t>(0, 4));
    for (auto& c : cols) {
      c.resize(p.ConsumeIntegralInRange<size_t>(0, 8));
      for (double& v : c) v = fuzz::any_double(p);
    }
    fuzz::classed_or_ok([&] { reg::compute_index(*f, cols); });
    (void)reg::list();
    reg::unregister("index", key);
  } else {
    const bool us = p.ConsumeBool();
    glycotrial_covariance_v1 cp{abi, null_key ? nullptr : key.c_str(), nullptr, nullptr,
                                p.ConsumeBool(), us ? nt_us : nt_fixed,
                                p.ConsumeIntegralInRange<int>(0, 9) ? sigma_cs : sigma_fail};
    if (us) cp.sigma = p.ConsumeBool() ? sigma_cs : sigma_fail;
    const int rc = glycotrial_register_covariance_v1(&cp, package.c_str(), 1,
                                                     err_len ? err : nullptr, err_len);
    if (rc != 0) return 0;
    const glycotrial_covariance_v1* f = reg::find_covariance(key);
    if (!f) fuzz::fail("registered covariance not found");
    const int n_visits = p.ConsumeIntegralInRange<int>(-1, 25);
    std::vector<double> theta(p.ConsumeIntegralInRange<size_t>(0, 6));
    for (double& v : theta) v = fuzz::any_double(p);
    std::vector<double> coords(p.ConsumeIntegralInRange<size_t>(0, 6));
    for (double& v : coords) v = fuzz::any_double(p);
    std::vector<double> d;
    fuzz::classed_or_ok(
        [&] { glycotrial::mmrm::plugin_sigma(*f, theta, n_visits, coords, p.ConsumeBool() ? &d : nullptr); });
    reg::unregister("covariance", key);
  }
  return 0;
}
