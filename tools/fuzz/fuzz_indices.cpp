// libFuzzer harness for the index computation (src/core/indices): every
// built-in index plugin is evaluated through the registry's compute_index()
// (the path R takes) on columns of arbitrary values - NaN, infinities, zero
// and negative concentrations, curve ids and time grids in any order, repeated
// or missing time points - and the output must have one value per row.
// The over/underflow check (core/indices/fp_check.hpp) runs on the same
// columns, fed extreme magnitudes (1e-320 .. 1e308) as well: it must give the
// same values as the plain call, a well-formed report (increasing unit starts
// within range, no unit in both lists, curve starts for curve plugins) and
// leave the rounding mode at round-to-nearest.
#include <cfenv>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/common/plugin_registry.hpp"
#include "core/indices/builtin.hpp"
#include "core/indices/fp_check.hpp"
#include "fuzz_util.hpp"

namespace reg = glycotrial::plugins;
namespace ix = glycotrial::indices;

namespace {
bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

void check_report(const std::vector<int>& v, const std::vector<std::vector<double>>& cols,
                  bool by_curve) {
  const int n = cols.empty() ? 0 : static_cast<int>(cols[0].size());
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (v[k] < 0 || v[k] >= n) fuzz::fail("range report: row outside the input");
    if (k > 0 && v[k] <= v[k - 1]) fuzz::fail("range report: rows not increasing");
    if (by_curve && v[k] > 0 && cols[0][v[k]] == cols[0][v[k] - 1])
      fuzz::fail("range report: a reported row is not the first of its curve");
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  std::size_t n_plugins = 0;
  const glycotrial_index_v1* plugins = glycotrial::indices::builtin_plugins(&n_plugins);
  if (n_plugins == 0) return 0;
  const glycotrial_index_v1& ip = plugins[p.ConsumeIntegralInRange<std::size_t>(0, n_plugins - 1)];
  const std::size_t n = p.ConsumeIntegralInRange<std::size_t>(0, 24);
  // Curve plugins read column 0 as a curve id and column 1 as time: often give
  // them tidy OGTT-like grids so that the formulas themselves are reached.
  const bool tidy = p.ConsumeBool();
  const double grid[] = {0, 15, 30, 60, 90, 120, 180};
  std::vector<std::vector<double>> cols(static_cast<std::size_t>(ip.n_inputs),
                                        std::vector<double>(n));
  for (std::size_t i = 0; i < n; ++i) {
    for (int j = 0; j < ip.n_inputs; ++j) {
      double v;
      if (tidy && j == 0) {
        v = static_cast<double>(i / 7);
      } else if (tidy && j == 1) {
        v = grid[i % 7];
      } else {
        switch (p.ConsumeIntegralInRange<int>(0, 3)) {
          case 0: v = fuzz::any_double(p); break;
          case 1: v = std::pow(10.0, p.ConsumeFloatingPointInRange<double>(-320.0, 308.0)); break;
          default: v = p.ConsumeFloatingPointInRange<double>(0.0, 400.0);
        }
      }
      cols[static_cast<std::size_t>(j)][i] = v;
    }
  }
  std::vector<double> out;
  const bool ok = fuzz::classed_or_ok([&] { out = reg::compute_index(ip, cols); });
  if (ok && out.size() != n) fuzz::fail("index output length differs from the number of rows");

  const bool by_curve = ip.n_inputs > 0 && std::strcmp(ip.input_names[0], "curve_id") == 0;
  std::vector<const double*> ptr;
  for (const auto& c : cols) ptr.push_back(c.data());
  std::vector<double> checked(n);
  ix::RangeReport rep;
  char err[256] = {0};
  const int st = ix::compute_with_range_check(ip, static_cast<int>(n), ptr.data(),
                                              checked.data(), by_curve, &rep, err, sizeof(err));
  if (std::fegetround() != FE_TONEAREST) fuzz::fail("range check left a directed rounding mode");
  if (ok != (st == 0)) fuzz::fail("range check and compute_index disagree on failure");
  if (st != 0) {
    if (!rep.overflow.empty() || !rep.underflow.empty()) fuzz::fail("report after a failure");
    return 0;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (!same(out[i], checked[i])) fuzz::fail("range check changed a value");
  check_report(rep.overflow, cols, by_curve);
  check_report(rep.underflow, cols, by_curve);
  for (int r : rep.overflow)
    for (int u : rep.underflow)
      if (r == u) fuzz::fail("a unit reported as both overflow and underflow");
  return 0;
}
