// C++ unit tests of the stats core (src/core/stats): published values that
// do not need R, checked to the printed precision.
#include <testthat.h>

#include <cmath>

#include "core/common/errors.hpp"
#include "core/stats/diff_ci.hpp"
#include "core/stats/proportion_ci.hpp"
#include "core/stats/ratio_ci.hpp"
#include "core/stats/score.hpp"

namespace st = glycotrial::stats;

namespace {
bool near(double a, double b, double tol) { return std::abs(a - b) <= tol; }
}  // namespace

context("stats core: proportion and difference intervals") {
  test_that("Wilson and Clopper-Pearson reproduce Newcombe (1998a)") {
    st::Interval w = st::prop_ci(15, 148, st::PropMethod::Wilson, 0.95);
    expect_true((near(w.lower, 0.0624, 5e-5) && near(w.upper, 0.1605, 5e-5)));
    st::Interval cp = st::prop_ci(1, 29, st::PropMethod::ClopperPearson, 0.95);
    expect_true((near(cp.lower, 0.0009, 5e-5) && near(cp.upper, 0.1776, 5e-5)));
    st::Interval z = st::prop_ci(0, 20, st::PropMethod::MidP, 0.95);
    expect_true((z.lower == 0.0 && near(z.upper, 1.0 - std::pow(0.05, 1.0 / 20), 1e-10)));
  }
  test_that("Newcombe hybrid score and MN reproduce Newcombe (1998b)") {
    st::Interval n = st::diff_ci(56, 70, 48, 80, st::DiffMethod::Newcombe, 0.95);
    expect_true((near(n.lower, 0.0524, 5e-5) && near(n.upper, 0.3339, 5e-5)));
    st::Interval m = st::diff_ci(56, 70, 48, 80, st::DiffMethod::MN, 0.95);
    expect_true((near(m.lower, 0.0528, 5e-5) && near(m.upper, 0.3382, 5e-5)));
    st::Interval e = st::diff_ci(10, 10, 0, 20, st::DiffMethod::Newcombe, 0.95);
    expect_true((near(e.lower, 0.6791, 5e-5) && e.upper == 1.0));
  }
  test_that("the restricted MLE satisfies its constraint") {
    st::Rmle r = st::rmle_rd(9, 45, 2, 44, 0.05);
    expect_true(near(r.p1 - r.p2, 0.05, 1e-12));
    st::Rmle o = st::rmle_or(7, 18, 1, 18, 0.01);
    expect_true(near(18 * o.p1 + 18 * o.p2, 8.0, 1e-9));
  }
  test_that("bad input throws InputError") {
    bool threw = false;
    try {
      st::prop_ci(5, 4, st::PropMethod::Wilson, 0.95);
    } catch (const glycotrial::InputError& e) {
      threw = e.argument() == "x";
    }
    expect_true(threw);
    threw = false;
    try {
      st::parse_diff_method("nope");
    } catch (const glycotrial::InputError& e) {
      threw = std::string(e.what()).find("newcombe") != std::string::npos;
    }
    expect_true(threw);
  }
}
