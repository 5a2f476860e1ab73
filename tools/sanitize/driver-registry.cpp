// Sanitizer driver for the plugin registry (src/core/common): registration
// through the C ABI with odd strings and NULLs, index evaluation with
// mismatched and empty inputs, covariance evaluation with numerical
// derivatives, and concurrent lookups.
#include <cstring>
#include <thread>

#include "core/common/plugin_registry.hpp"
#include "core/covariance/covariance.hpp"
#include "driver_util.hpp"

namespace {
using sanitize_driver::call;
using sanitize_driver::Outcome;
namespace reg = glycotrial::plugins;

int ratio_compute(int n, const double* const* in, double* out, char* err, int len) {
  for (int i = 0; i < n; ++i) {
    if (in[1][i] == 0) {
      std::snprintf(err, static_cast<size_t>(len), "division by zero in row %d", i + 1);
      return 1;
    }
    out[i] = in[0][i] / in[1][i];
  }
  return 0;
}
const char* in_names[] = {"num", "den"};

int cs_n_theta(int n_visits) { return n_visits >= 1 ? 2 : -1; }
// Compound symmetry on the log scale; no analytic derivatives (returns 2).
int cs_sigma(const double* th, int, int, const double*, int m, double* s, double* ds, char*,
             int) {
  if (ds) return 2;
  const double v = std::exp(th[0]), rho = std::tanh(th[1]);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) s[i + j * m] = i == j ? v : v * rho;
  return 0;
}
int nan_sigma(const double*, int, int, const double*, int m, double* s, double*, char*, int) {
  for (int i = 0; i < m * m; ++i) s[i] = std::nan("");
  return 0;
}
}  // namespace

context("sanitize driver: plugin registry") {
  test_that("index plugins: C ABI, NULL metadata, tiny error buffers, bad inputs") {
    glycotrial_index_v1 p{GLYCOTRIAL_PLUGIN_ABI, "san_ratio", nullptr, nullptr, nullptr, 2,
                          in_names, nullptr, ratio_compute};
    char err[4];
    expect_true(glycotrial_register_index_v1(&p, nullptr, 1, err, sizeof(err)) == 0);
    // A refused registration with a 1-byte and a 0-byte error buffer.
    expect_true(glycotrial_register_index_v1(&p, "x", 0, err, 1) != 0);
    expect_true(err[0] == '\0');
    expect_true(glycotrial_register_index_v1(&p, "x", 0, nullptr, 0) != 0);
    glycotrial_index_v1 bad = p;
    bad.key = "";
    expect_true(glycotrial_register_index_v1(&bad, "x", 1, err, sizeof(err)) != 0);
    bad.key = nullptr;
    expect_true(glycotrial_register_index_v1(&bad, "x", 1, err, sizeof(err)) != 0);
    bad = p;
    bad.n_inputs = 0;
    expect_true(glycotrial_register_index_v1(&bad, "x", 1, err, sizeof(err)) != 0);
    bad = p;
    bad.compute = nullptr;
    expect_true(glycotrial_register_index_v1(&bad, "x", 1, err, sizeof(err)) != 0);

    const glycotrial_index_v1* f = reg::find_index("san_ratio");
    expect_true(f != nullptr);
    auto out = reg::compute_index(*f, {{1, 2, 3}, {2, 4, 6}});
    expect_true((out.size() == 3 && out[2] == 0.5));
    expect_true(reg::compute_index(*f, {{}, {}}).empty());
    expect_true(call([&] { reg::compute_index(*f, {{1, 2}, {1}}); }) == Outcome::Classed);
    expect_true(call([&] { reg::compute_index(*f, {{1}}); }) == Outcome::Classed);
    expect_true(call([&] { reg::compute_index(*f, {}); }) == Outcome::Classed);
    expect_true(call([&] { reg::compute_index(*f, {{1}, {0}}); }) == Outcome::Classed);
    auto listed = reg::list();
    expect_true(!listed.empty());
    expect_true(reg::unregister("index", "san_ratio"));
    expect_false(reg::unregister("index", "san_ratio"));
    expect_false(reg::unregister("nonsense", "san_ratio"));
  }

  test_that("covariance plugins: numerical derivatives, bad theta, non-finite output") {
    glycotrial_covariance_v1 c{GLYCOTRIAL_PLUGIN_ABI, "san_cs", "cs", "", 0, cs_n_theta,
                               cs_sigma};
    reg::register_covariance(c, "sanitize", true);
    const glycotrial_covariance_v1* f = reg::find_covariance("san_cs");
    expect_true(f != nullptr);
    std::vector<double> d;
    auto s = glycotrial::mmrm::plugin_sigma(*f, {0.3, 0.2}, 4, {0, 1, 2, 3}, &d);
    expect_true((s.size() == 16 && d.size() == 32));
    expect_true(std::abs(d[0] - std::exp(0.3)) < 1e-6);
    expect_true(glycotrial::mmrm::plugin_sigma(*f, {0.0, 0.0}, 4, {}, &d).empty());
    expect_true(call([&] { glycotrial::mmrm::plugin_sigma(*f, {0.0}, 4, {0, 1}); }) == Outcome::Classed);
    expect_true(call([&] { glycotrial::mmrm::plugin_sigma(*f, {0.0, 0.0}, 0, {0}); }) == Outcome::Classed);
    expect_true(call([&] { glycotrial::mmrm::plugin_sigma(*f, {800.0, 0.0}, 2, {0, 1}); }) ==
                Outcome::Classed);  // exp(800) overflows: non-finite is refused
    glycotrial_covariance_v1 n{GLYCOTRIAL_PLUGIN_ABI, "san_nan", "", "", 0, cs_n_theta,
                               nan_sigma};
    reg::register_covariance(n, "sanitize", true);
    expect_true(call([&] { glycotrial::mmrm::plugin_sigma(n, {0.0, 0.0}, 2, {0, 1}); }) ==
                Outcome::Classed);
    expect_true(reg::unregister("covariance", "san_cs"));
    expect_true(reg::unregister("covariance", "san_nan"));
  }

  test_that("concurrent registration and lookup keep the registry consistent") {
    glycotrial_index_v1 p{GLYCOTRIAL_PLUGIN_ABI, "san_thread", "", "", "", 2, in_names, nullptr,
                          ratio_compute};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&p, t] {
        for (int i = 0; i < 200; ++i) {
          if (t % 2 == 0) {
            reg::register_index(p, "sanitize", true);
          } else {
            (void)reg::list();
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    expect_true(reg::unregister("index", "san_thread"));
  }
}
