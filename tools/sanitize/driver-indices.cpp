// Sanitizer driver for the index computation (src/core/indices): every
// built-in index through the registry's compute_index() on hostile columns -
// zero rows, one row, NaN/Inf/zero/negative/huge values, non-contiguous curve
// ids, repeated and decreasing times. Each call must return one value per row
// or throw a classed error.
#include <cfenv>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/common/plugin_registry.hpp"
#include "core/indices/builtin.hpp"
#include "core/indices/fp_check.hpp"
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

// The over/underflow check around every built-in index, on OGTT-like curves
// (or rows) scaled to magnitudes from 1e-320 to 1e300: it must reproduce the
// plain call's values, report only valid unit starts, and restore the
// rounding mode.
context("sanitize driver: index over/underflow check") {
  test_that("every built-in index under the range check at extreme magnitudes") {
    std::size_t n_plugins = 0;
    const glycotrial_index_v1* plugins = glycotrial::indices::builtin_plugins(&n_plugins);
    const double scales[] = {1e-320, 1e-200, 1e-100, 1.0, 1e100, 1e200, 1e300};
    const std::vector<double> t = {0, 30, 60, 90, 120, 180, 0, 30, 60, 90, 120, 180};
    int bad = 0, reported = 0;
    for (std::size_t k = 0; k < n_plugins; ++k) {
      const glycotrial_index_v1& ip = plugins[k];
      const std::size_t m = static_cast<std::size_t>(ip.n_inputs);
      const bool curve = m > 0 && std::strcmp(ip.input_names[0], "curve_id") == 0;
      for (double sc : scales) {
        // Two curves (or 12 rows): the first ordinary, the second scaled.
        std::vector<std::vector<double>> c(m, std::vector<double>(t.size()));
        for (std::size_t i = 0; i < t.size(); ++i) {
          const double f = i < 6 ? 1.0 : sc;
          for (std::size_t j = 0; j < m; ++j) c[j][i] = (5.0 + static_cast<double>(j + i % 6)) * f;
          if (curve) {
            c[0][i] = i < 6 ? 1.0 : 2.0;
            c[1][i] = t[i];
          }
        }
        std::vector<double> plain = reg::compute_index(ip, c);
        std::vector<const double*> ptr;
        for (const auto& col : c) ptr.push_back(col.data());
        std::vector<double> out(t.size());
        glycotrial::indices::RangeReport rep;
        char err[256] = {0};
        const int st = glycotrial::indices::compute_with_range_check(
            ip, static_cast<int>(t.size()), ptr.data(), out.data(), curve, &rep, err, sizeof(err));
        bool ok = st == 0 && std::fegetround() == FE_TONEAREST;
        for (std::size_t i = 0; ok && i < t.size(); ++i)
          ok = (std::isnan(plain[i]) && std::isnan(out[i])) || plain[i] == out[i];
        for (const auto* v : {&rep.overflow, &rep.underflow}) {
          for (int r : *v) {
            ++reported;
            // Only the scaled half can be affected: row >= 6 (curve 2 starts at 6).
            ok = ok && r >= 6 && r < static_cast<int>(t.size()) && (!curve || r == 6);
          }
        }
        if (sc == 1.0) ok = ok && rep.overflow.empty() && rep.underflow.empty();
        if (!ok) {
          ++bad;
          std::printf("index %s at scale %g: range check broke an invariant\n", ip.key, sc);
        }
      }
    }
    expect_true(reported > 0);
    expect_true(bad == 0);
  }
}
