// Sanitizer driver for the stats core (src/core/stats): every proportion,
// difference and ratio method over a grid of small tables (all x in 0..n),
// plus hostile counts and confidence levels. Valid tables must give ordered
// limits inside the parameter space; invalid ones must throw a classed error.
#include <cmath>
#include <string>

#include "core/stats/diff_ci.hpp"
#include "core/stats/proportion_ci.hpp"
#include "core/stats/ratio_ci.hpp"
#include "driver_util.hpp"

namespace {
using sanitize_driver::call;
using sanitize_driver::hostile_doubles;
using sanitize_driver::Outcome;
namespace st = glycotrial::stats;

bool ordered(const st::Interval& r, double lo_bound, double hi_bound) {
  const double eps = 1e-9;
  if (std::isnan(r.lower) || std::isnan(r.upper)) return false;
  return r.lower <= r.upper + eps && r.lower >= lo_bound - eps && r.upper <= hi_bound + eps;
}
}  // namespace

context("sanitize driver: stats core") {
  test_that("proportion CIs: all methods, every x of small n, hostile arguments") {
    int bad = 0, unclassed = 0;
    std::string what;
    for (const std::string& name : st::prop_method_names()) {
      const st::PropMethod m = st::parse_prop_method(name);
      for (double n : {1.0, 2.0, 7.0, 40.0}) {
        for (double x = 0; x <= n; ++x) {
          for (double cl : {0.5, 0.95, 0.999999}) {
            st::Interval r{};
            if (call([&] { r = st::prop_ci(x, n, m, cl); }, &what) != Outcome::Returned ||
                !ordered(r, 0.0, 1.0) || r.lower > r.estimate + 1e-9 ||
                r.upper < r.estimate - 1e-9) {
              ++bad;
              std::printf("prop_ci %s x=%g n=%g cl=%g -> [%g, %g] %s\n", name.c_str(), x, n, cl,
                          r.lower, r.upper, what.c_str());
            }
          }
        }
      }
      for (double x : hostile_doubles())
        for (double n : hostile_doubles())
          for (double cl : {0.95, 0.0, 1.0, sanitize_driver::kNaN, -3.0}) {
            if (call([&] { st::prop_ci(x, n, m, cl); }, &what) == Outcome::Unclassed) {
              ++unclassed;
              std::printf("prop_ci %s x=%g n=%g cl=%g unclassed: %s\n", name.c_str(), x, n, cl,
                          what.c_str());
            }
          }
    }
    expect_true(bad == 0);
    expect_true(unclassed == 0);
    expect_true(call([] { st::parse_prop_method("nonsense"); }) == Outcome::Classed);
  }

  test_that("difference CIs: all methods over small 2x2 tables and hostile arguments") {
    int bad = 0, unclassed = 0;
    std::string what;
    for (const std::string& name : st::diff_method_names()) {
      const st::DiffMethod m = st::parse_diff_method(name);
      for (double n1 : {1.0, 3.0, 8.0})
        for (double n2 : {1.0, 4.0})
          for (double x1 = 0; x1 <= n1; ++x1)
            for (double x2 = 0; x2 <= n2; ++x2) {
              st::Interval r{};
              const Outcome o = call([&] { r = st::diff_ci(x1, n1, x2, n2, m, 0.95); }, &what);
              // Hauck-Anderson is undefined for a group of one subject: the core
              // returns NaN limits (R reports NA with a classed warning).
              const bool refused_ok = m == st::DiffMethod::HauckAnderson && (n1 < 2 || n2 < 2) &&
                                      (o == Outcome::Classed ||
                                       (o == Outcome::Returned && std::isnan(r.lower) &&
                                        std::isnan(r.upper)));
              if (!refused_ok && (o != Outcome::Returned || !ordered(r, -1.0, 1.0))) {
                ++bad;
                std::printf("diff_ci %s %g/%g vs %g/%g -> [%g, %g] %s\n", name.c_str(), x1, n1,
                            x2, n2, r.lower, r.upper, what.c_str());
              }
            }
      for (double x : hostile_doubles())
        for (double n : hostile_doubles()) {
          if (call([&] { st::diff_ci(x, n, 1, 5, m, 0.9); }, &what) == Outcome::Unclassed ||
              call([&] { st::diff_ci(1, 5, x, n, m, 0.9); }, &what) == Outcome::Unclassed) {
            ++unclassed;
            std::printf("diff_ci %s x=%g n=%g unclassed: %s\n", name.c_str(), x, n, what.c_str());
          }
        }
    }
    expect_true(bad == 0);
    expect_true(unclassed == 0);
    for (double margin : {0.0, -0.1, 0.2, 1.5, sanitize_driver::kNaN})
      for (int alt : {-1, 0, 1, 7})
        expect_true(call([&] { st::fm_test(3, 10, 5, 12, margin, alt); }) != Outcome::Unclassed);
  }

  test_that("risk and odds ratio CIs: all methods, zero cells and hostile arguments") {
    int bad = 0, unclassed = 0;
    std::string what;
    for (const std::string& name : st::ratio_method_names()) {
      const st::RatioMethod m = st::parse_ratio_method(name);
      for (st::Contrast c : {st::Contrast::RR, st::Contrast::OR})
        for (double n1 : {1.0, 5.0})
          for (double n2 : {2.0, 6.0})
            for (double x1 = 0; x1 <= n1; ++x1)
              for (double x2 = 0; x2 <= n2; ++x2) {
                st::Interval r{};
                const Outcome o =
                    call([&] { r = st::ratio_ci(x1, n1, x2, n2, c, m, 0.95); }, &what);
                if (o == Outcome::Unclassed ||
                    (o == Outcome::Returned && !std::isnan(r.lower) &&
                     !ordered(r, 0.0, sanitize_driver::kInf))) {
                  ++bad;
                  std::printf("ratio_ci %s %g/%g vs %g/%g -> [%g, %g] %s\n", name.c_str(), x1,
                              n1, x2, n2, r.lower, r.upper, what.c_str());
                }
              }
      for (double x : hostile_doubles())
        for (double n : hostile_doubles())
          for (st::Contrast c : {st::Contrast::RR, st::Contrast::OR})
            if (call([&] { st::ratio_ci(x, n, 2, 7, c, m, 0.95); }, &what) ==
                Outcome::Unclassed) {
              ++unclassed;
              std::printf("ratio_ci %s x=%g n=%g unclassed: %s\n", name.c_str(), x, n,
                          what.c_str());
            }
    }
    expect_true(bad == 0);
    expect_true(unclassed == 0);
  }
}
