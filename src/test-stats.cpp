// C++ unit tests of the stats core (src/core/stats): published values that
// do not need R, checked to the printed precision.
#include <testthat.h>

#include <cmath>

#include "core/common/errors.hpp"
#include "core/stats/diff_ci.hpp"
#include "core/stats/proportion_ci.hpp"
#include "core/stats/ratio_ci.hpp"
#include "core/stats/score.hpp"
#include "core/stats/stratified.hpp"
#include "core/stats/tests_2x2.hpp"
#include "test-helpers.h"

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

context("stats core: stratified and exact tests") {
  test_that("CMH and MH odds ratio reproduce Agresti (2013) 8-centre data") {
    st::Strata s;
    s.x1 = {11, 16, 14, 2, 6, 1, 1, 4};
    s.n1 = {36, 20, 19, 16, 17, 11, 5, 6};
    s.x2 = {10, 22, 7, 1, 0, 0, 1, 6};
    s.n2 = {37, 32, 19, 17, 12, 10, 9, 7};
    st::ChiTest t = st::cmh_2x2(s, false);
    expect_true((near(t.statistic, 6.384, 5e-4) && near(t.p_value, 0.0115, 5e-5)));
    st::CommonEstimate o = st::mh_odds_ratio(s, 0.95);
    expect_true((near(o.estimate, 2.13, 5e-3) && near(o.lower, 1.18, 5e-3) &&
                 near(o.upper, 3.87, 5e-3)));
  }
  test_that("a stratum with one group is an input error") {
    st::Strata s;
    s.x1 = {1};
    s.n1 = {0};
    s.x2 = {1};
    s.n2 = {5};
    expect_true(test_helpers::throws_input_error([&] { st::cmh_2x2(s, false); }));
  }
  test_that("Fisher's two-sided p-value for 9/45 vs 2/44") {
    st::FisherResult f = st::fisher_2x2(9, 36, 2, 42, 0, 0.95);
    expect_true(near(f.p_value, 0.04956, 5e-6));
  }
}
