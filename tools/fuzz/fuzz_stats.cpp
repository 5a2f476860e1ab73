// libFuzzer harness for the stats core (src/core/stats): arbitrary counts,
// sample sizes, confidence levels, methods and margins reach prop_ci,
// diff_ci, ratio_ci and fm_test exactly as the glue passes them from R.
// Invariant checked on every interval returned for a valid table: the limits
// are not NaN, are ordered and lie in the parameter space.
#include <string>

#include "core/stats/diff_ci.hpp"
#include "core/stats/proportion_ci.hpp"
#include "core/stats/ratio_ci.hpp"
#include "fuzz_util.hpp"

namespace st = glycotrial::stats;

namespace {
void check_interval(const st::Interval& r, double lo, double hi, const char* what) {
  const double eps = 1e-7;
  if (std::isnan(r.lower) || std::isnan(r.upper)) fuzz::fail(what);
  if (r.lower > r.upper + eps || r.lower < lo - eps || r.upper > hi + eps) fuzz::fail(what);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  const int which = p.ConsumeIntegralInRange<int>(0, 3);
  const double x1 = fuzz::count_like(p), n1 = fuzz::count_like(p);
  const double x2 = fuzz::count_like(p), n2 = fuzz::count_like(p);
  const double cl = p.ConsumeBool() ? 0.95 : fuzz::any_double(p);
  if (which == 0) {
    const auto& names = st::prop_method_names();
    const std::string name = names[p.ConsumeIntegralInRange<size_t>(0, names.size() - 1)];
    st::Interval r{};
    if (fuzz::classed_or_ok([&] { r = st::prop_ci(x1, n1, st::parse_prop_method(name), cl); }))
      check_interval(r, 0.0, 1.0, ("prop_ci " + name).c_str());
  } else if (which == 1) {
    const auto& names = st::diff_method_names();
    const std::string name = names[p.ConsumeIntegralInRange<size_t>(0, names.size() - 1)];
    // The exact interval enumerates (n1+1)(n2+1) tables per step: keep it small
    // so that each input runs in milliseconds.
    if (name == "exact" && !((n1 + 1) * (n2 + 1) <= 400)) return 0;
    st::Interval r{};
    if (fuzz::classed_or_ok(
            [&] { r = st::diff_ci(x1, n1, x2, n2, st::parse_diff_method(name), cl); }))
      check_interval(r, -1.0, 1.0, ("diff_ci " + name).c_str());
  } else if (which == 2) {
    const auto& names = st::ratio_method_names();
    const std::string name = names[p.ConsumeIntegralInRange<size_t>(0, names.size() - 1)];
    const st::Contrast c = p.ConsumeBool() ? st::Contrast::RR : st::Contrast::OR;
    st::Interval r{};
    if (fuzz::classed_or_ok(
            [&] { r = st::ratio_ci(x1, n1, x2, n2, c, st::parse_ratio_method(name), cl); }) &&
        !std::isnan(r.lower))  // NaN limits are documented for undefined ratios (0/0)
      check_interval(r, 0.0, std::numeric_limits<double>::infinity(),
                     ("ratio_ci " + name).c_str());
  } else {
    const double margin = fuzz::any_double(p);
    const int alt = p.ConsumeIntegralInRange<int>(-2, 2);
    st::TestResult t{};
    if (fuzz::classed_or_ok([&] { t = st::fm_test(x1, n1, x2, n2, margin, alt); })) {
      if (!(t.p_value >= 0.0 && t.p_value <= 1.0) && !std::isnan(t.statistic))
        fuzz::fail("fm_test p-value outside [0, 1]");
    }
  }
  return 0;
}
