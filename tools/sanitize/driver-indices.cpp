// Sanitizer driver for the index computation (src/core/indices): every
// built-in index through the registry's compute_index() on hostile columns -
// zero rows, one row, NaN/Inf/zero/negative/huge values, non-contiguous curve
// ids, repeated and decreasing times. Each call must return one value per row
// or throw a classed error.
#include <vector>

#include "core/common/plugin_registry.hpp"
#include "core/indices/builtin.hpp"
#include "driver_util.hpp"

namespace {
using sanitize_driver::call;
using sanitize_driver::hostile_doubles;
using sanitize_driver::Outcome;
namespace reg = glycotrial::plugins;
}  // namespace

context("sanitize driver: built-in indices") {
  test_that("every built-in index survives hostile columns") {
    std::size_t n_plugins = 0;
    const glycotrial_index_v1* plugins = glycotrial::indices::builtin_plugins(&n_plugins);
    const auto& hv = hostile_doubles();
    int bad = 0;
    std::string what;
    for (std::size_t k = 0; k < n_plugins; ++k) {
      const glycotrial_index_v1& ip = plugins[k];
      const std::size_t m = static_cast<std::size_t>(ip.n_inputs);
      std::vector<std::vector<std::vector<double>>> cases;
      cases.push_back(std::vector<std::vector<double>>(m));           // zero rows
      cases.push_back(std::vector<std::vector<double>>(m, {1.0}));    // one row
      for (double v : hv) cases.push_back(std::vector<std::vector<double>>(m, {v, v, v}));
      // OGTT-like grid with one hostile value per column, then ids out of order.
      const std::vector<double> t = {0, 30, 60, 90, 120, 0, 30, 120};
      for (std::size_t j = 0; j < m; ++j) {
        for (double v : hv) {
          std::vector<std::vector<double>> c(m, std::vector<double>(t.size(), 100.0));
          c[0] = {1, 1, 1, 1, 1, 2, 2, 2};
          if (m > 1) c[1] = t;
          c[j][3] = v;
          cases.push_back(c);
        }
      }
      std::vector<std::vector<double>> shuffled(m, std::vector<double>(t.size(), 5.0));
      shuffled[0] = {1, 2, 1, 2, 1, 2, 1, 2};
      if (m > 1) shuffled[1] = {120, 0, 0, 30, 30, 30, 60, 60};
      cases.push_back(shuffled);
      for (const auto& c : cases) {
        std::vector<double> out;
        const Outcome o = call([&] { out = reg::compute_index(ip, c); }, &what);
        if (o == Outcome::Unclassed || (o == Outcome::Returned && out.size() != c[0].size())) {
          ++bad;
          std::printf("index %s: %s\n", ip.key, what.c_str());
        }
      }
    }
    expect_true(n_plugins > 0);
    expect_true(bad == 0);
  }
}
