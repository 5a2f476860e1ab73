// libFuzzer harness for the index computation (src/core/indices): every
// built-in index plugin is evaluated through the registry's compute_index()
// (the path R takes) on columns of arbitrary values - NaN, infinities, zero
// and negative concentrations, curve ids and time grids in any order, repeated
// or missing time points - and the output must have one value per row.
#include <vector>

#include "core/common/plugin_registry.hpp"
#include "core/indices/builtin.hpp"
#include "fuzz_util.hpp"

namespace reg = glycotrial::plugins;

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
        v = p.ConsumeBool() ? p.ConsumeFloatingPointInRange<double>(0.0, 400.0)
                            : fuzz::any_double(p);
      }
      cols[static_cast<std::size_t>(j)][i] = v;
    }
  }
  std::vector<double> out;
  if (fuzz::classed_or_ok([&] { out = reg::compute_index(ip, cols); }) && out.size() != n)
    fuzz::fail("index output length differs from the number of rows");
  return 0;
}
