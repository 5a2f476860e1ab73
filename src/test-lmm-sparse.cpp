// C++ unit tests of the sparse LMM core (core/lmm/sparse_lmm.hpp) on a case
// small enough to check by hand: y = (1, 3, 5, 9), intercept only, a random
// intercept for two groups of two, theta = 1. Then V / sigma^2 = I + Z Z' has
// blocks [[2, 1], [1, 2]] (det 3, inverse [[2, -1], [-1, 2]] / 3), so
// 1'V^-1 1 = 4/3, 1'V^-1 y = 6, beta = 4.5, residuals (-3.5, -1.5, 0.5, 4.5),
// r^2 = 18.5/3 + 36.5/3 = 55/3, log det(Lambda'Z'Z Lambda + I) = 2 log 3,
// conditional modes b = Z'V^-1 e = (-5/3, 5/3).
#include <testthat.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/common/errors.hpp"
#include "core/lmm/sparse_lmm.hpp"
#include "core/lmm/sparse_residual.hpp"
#include "core/optim/optim.hpp"

namespace {

namespace lm = glycotrial::lmm;

lm::SparseData tiny(bool reml) {
  lm::SparseData d;
  d.y = Eigen::VectorXd(4);
  d.y << 1, 3, 5, 9;
  d.X = Eigen::MatrixXd::Ones(4, 1);
  d.Z.resize(4, 2);
  std::vector<Eigen::Triplet<double>> t = {{0, 0, 1.0}, {1, 0, 1.0}, {2, 1, 1.0}, {3, 1, 1.0}};
  d.Z.setFromTriplets(t.begin(), t.end());
  lm::SparseTerm term;
  term.p = 1;
  term.n_levels = 2;
  d.terms.push_back(term);
  d.reml = reml;
  return d;
}

bool near(double a, double b, double tol = 1e-10) { return std::fabs(a - b) <= tol * (1 + std::fabs(b)); }

}  // namespace

context("sparse LMM core") {

test_that("a residual structure whitens the design: hand calculation and C = I") {
  // Residual subjects = the two groups, C = [[1, r], [r, 1]], r = tanh(free).
  // With theta = 0 and r = 1/2, V / sigma^2 = C = (I + Z Z') / 2: beta = 4.5,
  // e' C^-1 e = 2 * 55/3, log|C| = 2 log(3/4); ML deviance
  // 2 log(3/4) + 4 (1 + log(2 pi (110/3) / 4)).
  lm::SparseResidualData d;
  d.model = tiny(false);
  d.subject_start = {0, 2, 4};
  d.subject_pattern = {0, 0};
  d.pattern_coords = {{0.0, 1.0}};
  d.n_theta_r = 2;
  lm::BlockCovariance cov = [](const Eigen::VectorXd& th, const std::vector<double>&) {
    Eigen::MatrixXd C(2, 2);
    const double r = std::tanh(th(1));
    C << 1, r, r, 1;
    return C;
  };
  lm::SparseResidualModel m(d, cov);
  expect_true((m.n_theta_re() == 1 && m.n_free() == 1));
  Eigen::VectorXd par(2);
  par << 0.0, std::atanh(0.5);
  const double two_pi = 2 * M_PI;
  expect_true(near(m.deviance(par), 2 * std::log(0.75) + 4 * (1 + std::log(two_pi * 110.0 / 12))));
  // r = 0 (C = I) and theta = 1: the model without a residual structure
  par << 1.0, 0.0;
  lm::SparseModel plain(tiny(false));
  Eigen::VectorXd th(1);
  th << 1.0;
  expect_true(near(m.deviance(par), plain.deviance(th)));
  // a C that is not positive definite: +inf, not an error
  par << 1.0, 40.0;
  expect_true(std::isinf(m.deviance(par)));
}

test_that("profiled ML and REML deviance match the hand calculation") {
  const double two_pi = 2 * M_PI, r2 = 55.0 / 3;
  lm::SparseModel ml(tiny(false));
  Eigen::VectorXd th(1);
  th << 1.0;
  const lm::SparseEvaluation e = ml.evaluate(th);
  expect_true(e.ok);
  expect_true(near(e.beta(0), 4.5));
  expect_true(near(e.pwrss, r2));
  expect_true(near(e.ldL2, 2 * std::log(3.0)));
  expect_true(near(e.deviance, 2 * std::log(3.0) + 4 * (1 + std::log(two_pi * r2 / 4))));
  expect_true((near(e.b(0), -5.0 / 3) && near(e.b(1), 5.0 / 3)));
  expect_true(near(e.XtVinvX_inv(0, 0), 3.0 / 4));
  lm::SparseModel reml(tiny(true));
  const lm::SparseEvaluation r = reml.evaluate(th);
  expect_true(near(r.deviance, 2 * std::log(3.0) + std::log(4.0 / 3) +
                                   3 * (1 + std::log(two_pi * r2 / 3))));
  // deviance with sigma given equals the profiled one at sigma^2 = r^2 / (n - p)
  expect_true(near(reml.deviance_sigma(th, std::sqrt(r2 / 3)), r.deviance));
}

test_that("conditional variances are sigma^2-free blocks of Lambda M^-1 Lambda'") {
  lm::SparseModel m(tiny(false));
  Eigen::VectorXd th(1);
  th << 1.0;
  // M = Z'Z + I = diag(3, 3): var(b | y) / sigma^2 = 1/3 per group.
  const Eigen::MatrixXd cv = m.conditional_var(th, 0);
  expect_true((cv.rows() == 1 && cv.cols() == 2));
  expect_true((near(cv(0, 0), 1.0 / 3) && near(cv(0, 1), 1.0 / 3)));
  expect_true(near(m.relative_cov(th, 0)(0, 0), 1.0));
}

test_that("bounded minimiser respects the bound and finds interior optima") {
  auto f = [](const Eigen::VectorXd& x) {
    return (x(0) + 1) * (x(0) + 1) + (x(1) - 2) * (x(1) - 2) + 0.5 * x(0) * x(1);
  };
  Eigen::VectorXd lo(2), x0(2);
  lo << 0, -std::numeric_limits<double>::infinity();
  x0 << 1, 0;
  glycotrial::optim::ValueObjective obj(f);
  const glycotrial::optim::Result r =
      glycotrial::optim::minimise(obj, x0, glycotrial::optim::bounded_options(lo, 200, 1e-8));
  expect_true(r.converged);
  expect_true(std::fabs(r.x(0)) < 1e-12);
  expect_true(std::fabs(r.x(1) - 2) < 1e-6);
}

test_that("the fitted theta of the tiny case is a stationary point") {
  lm::SparseModel m(tiny(true));
  auto f = [&m](const Eigen::VectorXd& th) { return m.deviance(th); };
  glycotrial::optim::ValueObjective obj(f);
  const glycotrial::optim::Result r = glycotrial::optim::minimise(
      obj, m.theta_start(), glycotrial::optim::bounded_options(m.theta_lower(), 200, 1e-8));
  expect_true(r.converged);
  const double h = 1e-4;
  Eigen::VectorXd a = r.x, b = r.x;
  a(0) += h;
  b(0) -= h;
  expect_true(std::fabs(f(a) - f(b)) / (2 * h) < 1e-5);
}

test_that("bad input to the sparse core throws InputError") {
  lm::SparseData d = tiny(true);
  d.terms[0].n_levels = 3;  // Z has 2 columns
  bool thrown = false;
  try {
    lm::SparseModel m(std::move(d));
  } catch (const glycotrial::InputError&) {
    thrown = true;
  }
  expect_true(thrown);
}

}  // context
