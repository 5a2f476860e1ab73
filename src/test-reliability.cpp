// C++ unit tests of the reliability area: core entry points validate whole
// index vectors (not just their ends) and name the offending argument.
#include <testthat.h>

#include <cfenv>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/common/errors.hpp"
#include "core/indices/builtin.hpp"
#include "core/indices/fp_check.hpp"
#include "core/covariance/covariance.hpp"
#include "core/mmrm/engine.hpp"
#include "test-helpers.h"

namespace mm = glycotrial::mmrm;

namespace {
using test_helpers::builtin_index;
const glycotrial_covariance_v1* builtin_cov(const std::string& key) {
  return test_helpers::builtin_covariance(key);
}

// 3 subjects x 2 visits, intercept only; subject_start set by the caller.
mm::MmrmInput three_subjects(std::vector<int> start) {
  mm::MmrmInput in;
  in.n = 6;
  in.p = 1;
  in.X.assign(6, 1.0);
  in.y = {1.0, 2.0, 1.5, 2.5, 0.5, 1.0};
  in.coords = {0, 1, 0, 1, 0, 1};
  in.subject_start = std::move(start);
  in.subject_group = {0, 0, 0};
  in.n_groups = 1;
  in.n_visits = 2;
  return in;
}

// "" when the engine accepts the input, else the argument its InputError names.
std::string rejected_argument(std::vector<int> start) {
  mm::PluginCovariance cs(*builtin_cov("cs"));
  try {
    mm::MmrmEngine e(three_subjects(std::move(start)), cs);
    return "";
  } catch (const glycotrial::InputError& err) {
    return err.argument().empty() ? "<unnamed>" : err.argument();
  }
}
}  // namespace

context("reliability: MMRM subject offsets") {
  test_that("valid offsets are accepted") {
    expect_true(rejected_argument({0, 2, 4, 6}) == "");
  }
  test_that("every element of subject_start is validated") {
    // Correct ends, an interior offset beyond the data (read past the end
    // before the check covered the whole vector).
    expect_true(rejected_argument({0, 100, 4, 6}) == "subject_start");
    // Decreasing, repeated (an empty subject) and negative offsets.
    expect_true(rejected_argument({0, 4, 2, 6}) == "subject_start");
    expect_true(rejected_argument({0, 2, 2, 6}) == "subject_start");
    expect_true(rejected_argument({0, -2, 4, 6}) == "subject_start");
    // Wrong ends and wrong length.
    expect_true(rejected_argument({1, 2, 4, 6}) == "subject_start");
    expect_true(rejected_argument({0, 2, 4, 5}) == "subject_start");
    expect_true(rejected_argument({0, 2, 6}) == "subject_start");
    expect_true(rejected_argument({}) == "subject_start");
  }
}

// ---- over/underflow part-way through an index formula ---------------------
namespace ix = glycotrial::indices;

namespace {
// A row plugin whose tiny intermediate x * y underflows harmlessly: 1 + x * y.
int one_plus_product(int n, const double* const* in, double* out, char*, int) {
  for (int i = 0; i < n; ++i) out[i] = 1.0 + in[0][i] * in[1][i];
  return 0;
}
const char* kXY[] = {"x", "y"};
const char* kUnits[] = {"1", "1"};
const glycotrial_index_v1 kOnePlus = {GLYCOTRIAL_PLUGIN_ABI, "one_plus", "", "", "1", 2, kXY,
                                      kUnits, one_plus_product};

ix::RangeReport run(const glycotrial_index_v1& p, std::vector<std::vector<double>> cols,
                    bool by_curve, std::vector<double>* out = nullptr) {
  const int n = static_cast<int>(cols[0].size());
  std::vector<const double*> ptr;
  for (const auto& c : cols) ptr.push_back(c.data());
  std::vector<double> res(cols[0].size());
  ix::RangeReport rep;
  char err[128] = {0};
  const int st = ix::compute_with_range_check(p, n, ptr.data(), res.data(), by_curve, &rep, err,
                                              sizeof(err));
  if (st != 0) rep.overflow.push_back(-1);  // make a failure visible to the tests
  if (out) *out = res;
  return rep;
}
}  // namespace

context("reliability: index over/underflow part-way through the formula") {
  test_that("a row that overflows in an intermediate is found, only that row") {
    const glycotrial_index_v1* p = builtin_index("homa1_ir");
    expect_true(p != nullptr);
    std::vector<double> out;
    auto rep = run(*p, {{5.0, 1e200, 6.0}, {10.0, 1e200, 12.0}}, false, &out);
    expect_true((rep.overflow == std::vector<int>{1}));
    expect_true(rep.underflow.empty());
    expect_true(std::fabs(out[0] - 50.0 / 22.5) < 1e-12);
  }
  test_that("a result rounded to 0 by underflow is found") {
    auto rep = run(*builtin_index("homa1_ir"), {{5.0, 1e-200}, {10.0, 1e-200}}, false);
    expect_true(rep.overflow.empty());
    expect_true((rep.underflow == std::vector<int>{1}));
  }
  test_that("normal inputs give an empty report") {
    auto rep = run(*builtin_index("homa1_ir"), {{5.0, 6.1, 7.0}, {10.0, 12.0, 3.0}}, false);
    expect_true((rep.overflow.empty() && rep.underflow.empty()));
  }
  test_that("a harmless underflowed intermediate is not reported") {
    std::vector<double> out;
    auto rep = run(kOnePlus, {{1e-200, 2.0}, {1e-200, 3.0}}, false, &out);
    expect_true((rep.overflow.empty() && rep.underflow.empty()));
    expect_true(out[0] == 1.0);
  }
  test_that("matsuda near 1e200 (finite, wrong 0 on its own) is flagged per curve") {
    const glycotrial_index_v1* p = builtin_index("matsuda");
    expect_true(p != nullptr);
    // curve 1 ordinary, curve 2 at 1e200, curve 3 at 1e-100; 3 points each.
    std::vector<double> id = {1, 1, 1, 2, 2, 2, 3, 3, 3};
    std::vector<double> t = {0, 60, 120, 0, 60, 120, 0, 60, 120};
    std::vector<double> g = {90, 150, 110, 1e200, 1e200, 1e200, 1e-100, 1e-100, 1e-100};
    std::vector<double> ins = {8, 60, 40, 1e200, 1e200, 1e200, 1e-100, 1e-100, 1e-100};
    std::vector<double> out;
    auto rep = run(*p, {id, t, g, ins}, true, &out);
    expect_true((rep.overflow == std::vector<int>{3}));
    expect_true((rep.underflow == std::vector<int>{6}));
    expect_true(out[3] == 0.0);  // the silent wrong answer that is now reported
    expect_true((std::isfinite(out[0]) && out[0] > 0));
  }
  test_that("the caller's flags and rounding mode are restored") {
    std::feclearexcept(FE_ALL_EXCEPT);
    std::fesetround(FE_TONEAREST);
    volatile double big = 1e300;
    volatile double r = big * big;  // raise FE_OVERFLOW in the caller
    (void)r;
    const bool before = std::fetestexcept(FE_OVERFLOW) != 0;
    auto rep = run(*builtin_index("homa1_ir"), {{5.0}, {10.0}}, false);
    expect_true(before);
    expect_true(std::fetestexcept(FE_OVERFLOW) != 0);
    expect_true(std::fegetround() == FE_TONEAREST);
    expect_true((rep.overflow.empty() && rep.underflow.empty()));
    std::feclearexcept(FE_ALL_EXCEPT);
  }
  test_that("the underflow rule on (nearest, up, down)") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    expect_true(ix::underflow_affects(0.0, 5e-324, 0.0));
    expect_true(ix::underflow_affects(1e-310, 1e-310, 1e-310));    // subnormal result
    expect_true(!ix::underflow_affects(1.0, 1.0, 1.0));
    expect_true(!ix::underflow_affects(1.0, 1.0 + 1e-15, 1.0 - 1e-15));
    expect_true(ix::underflow_affects(1.0, 1.0 + 1e-6, 1.0));
    expect_true(ix::underflow_affects(inf, 1e300, inf));          // 1/0 after underflow
    expect_true(!ix::underflow_affects(inf, inf, inf));
    expect_true(ix::underflow_affects(nan, 1.5, nan));            // 0/0 after underflow
    expect_true(!ix::underflow_affects(nan, nan, nan));
  }
}
