// C++ unit tests of the LMM core: analytic gradient vs finite differences
// (profiled and absolute, iid / plugin / Kronecker residuals), input errors,
// and the bivariate normal distribution function.
#include <testthat.h>

#include <cmath>
#include <cstring>

#include "core/common/errors.hpp"
#include "core/common/plugin_registry.hpp"
#include "core/lmm/bvn.hpp"
#include "core/lmm/lmm.hpp"
#include "test-helpers.h"

namespace {

namespace lm = glycotrial::lmm;

// Small deterministic data set: 12 subjects, 4 visits, one missing visit in
// every third subject (so there are two patterns).
lm::Data small_data(bool kron = false) {
  lm::Data d;
  std::vector<double> y, x1, t, coords;
  std::vector<int> groups;
  d.subject_start.push_back(0);
  unsigned s = 7;
  auto rnd = [&s]() {
    s = s * 1103515245u + 12345u;
    return ((s >> 8) % 10000) / 10000.0 - 0.5;
  };
  for (int i = 0; i < 12; ++i) {
    const double b0 = 2 * rnd(), b1 = 0.4 * rnd();
    for (int v = 0; v < 4; ++v) {
      if (i % 3 == 0 && v == 2) continue;
      for (int r = 0; r < (kron ? 2 : 1); ++r) {
        t.push_back(v);
        x1.push_back(i % 2);
        y.push_back(1 + 0.5 * v + b0 + b1 * v + rnd() + 3 * r);
        coords.push_back(v);
        groups.push_back(r);
      }
    }
    d.subject_start.push_back(static_cast<int>(y.size()));
  }
  const int n = static_cast<int>(y.size());
  d.X.resize(n, 3);
  d.Z.resize(n, 2);
  d.y.resize(n);
  for (int k = 0; k < n; ++k) {
    d.X(k, 0) = 1;
    d.X(k, 1) = x1[k];
    d.X(k, 2) = kron ? groups[k] : t[k];
    d.Z(k, 0) = 1;
    d.Z(k, 1) = kron ? groups[k] : t[k];
    d.y(k) = y[k];
  }
  d.re_blocks = {2};
  d.coords = coords;
  d.groups = groups;
  return d;
}

double max_grad_error(const lm::Model& m, const Eigen::VectorXd& th, bool profiled) {
  lm::Evaluation e = m.evaluate(th, profiled, true);
  double err = 0;
  for (int j = 0; j < th.size(); ++j) {
    Eigen::VectorXd tp = th, tm = th;
    const double h = 1e-6;
    tp(j) += h;
    tm(j) -= h;
    const double fd = (m.evaluate(tp, profiled, false).deviance -
                       m.evaluate(tm, profiled, false).deviance) / (2 * h);
    err = std::max(err, std::fabs(fd - e.gradient(j)) / std::max(1.0, std::fabs(fd)));
  }
  return err;
}

int ar1_n(int) { return 2; }
int ar1_sigma(const double* th, int, int, const double* co, int m, double* s, double* ds, char*,
              int) {
  if (ds) return 2;  // no analytic derivatives: the registry differentiates numerically
  const double sd2 = std::exp(2 * th[0]), rho = std::tanh(th[1]);
  for (int a = 0; a < m; ++a)
    for (int b = 0; b < m; ++b) s[a + b * m] = sd2 * std::pow(rho, std::fabs(co[a] - co[b]));
  return 0;
}

}  // namespace

context("lmm core") {
  test_that("analytic gradients agree with finite differences") {
    for (bool reml : {true, false}) {
      lm::Data d = small_data();
      d.reml = reml;
      lm::Model m(d);
      expect_true(m.n_patterns() == 2);
      Eigen::VectorXd th(3);
      th << -0.3, 0.2, -1.1;
      expect_true(max_grad_error(m, th, true) < 1e-5);
      Eigen::VectorXd ta(4);
      ta << -0.3, 0.2, -1.1, 0.1;
      expect_true(max_grad_error(m, ta, false) < 1e-5);
    }
  }

  test_that("pattern moments and the direct pass give the same criterion and gradient") {
    for (bool reml : {true, false}) {
      lm::Data d1 = small_data(), d2 = small_data();
      d1.reml = d2.reml = reml;
      d1.moment_min_subjects = 0;       // every pattern through its moments
      d2.moment_min_subjects = 100000;  // every pattern directly
      lm::Model m1(d1), m2(d2);
      Eigen::VectorXd th(3);
      th << -0.3, 0.2, -1.1;
      lm::Evaluation e1 = m1.evaluate(th, true, true), e2 = m2.evaluate(th, true, true);
      expect_true(std::fabs(e1.deviance - e2.deviance) < 1e-9);
      expect_true((e1.gradient - e2.gradient).lpNorm<Eigen::Infinity>() < 1e-8);
      expect_true(max_grad_error(m1, th, true) < 1e-5);
    }
  }

  test_that("plugin and Kronecker residual gradients agree with finite differences") {
    glycotrial_covariance_v1 p{GLYCOTRIAL_PLUGIN_ABI, "lmm_unit_ar1", "", "", 0, ar1_n,
                               ar1_sigma};
    glycotrial::plugins::register_covariance(p, "unit-test", true);
    lm::Data d = small_data();
    d.residual.type = lm::ResidualType::Plugin;
    d.residual.plugin_key = "lmm_unit_ar1";
    d.residual.n_visits = 4;
    lm::Model m(d);
    Eigen::VectorXd th(5);
    th << -0.3, 0.2, -1.1, 0.1, 0.4;
    expect_true(max_grad_error(m, th, false) < 1e-5);
    glycotrial::plugins::unregister("covariance", "lmm_unit_ar1");

    lm::Data k = small_data(true);
    k.residual.type = lm::ResidualType::Kronecker;
    k.residual.kron_unstructured = true;
    k.residual.kron_ar1 = true;
    lm::Model mk(k);
    Eigen::VectorXd tk(7);
    tk << -0.3, 0.2, -1.1, 0.1, 0.3, -0.2, 0.5;
    expect_true(max_grad_error(mk, tk, false) < 1e-5);
  }

  test_that("the fit reaches a zero gradient and profiled = absolute deviance") {
    lm::Model m(small_data());
    lm::FitResult f = m.fit(lm::FitOptions());
    expect_true(f.converged);
    lm::Evaluation ep = m.evaluate(f.theta, true, false);
    lm::Evaluation ea = m.evaluate(f.theta_absolute, false, true);
    expect_true(std::fabs(ep.deviance - ea.deviance) < 1e-8);
    expect_true(ea.gradient.lpNorm<Eigen::Infinity>() < 1e-4);
  }

  test_that("bad input throws InputError") {
    lm::Data d = small_data();
    d.subject_start.back() += 1;
    expect_true(test_helpers::throws_input_error([&] { lm::Model m(d); }));
    lm::Data e = small_data();
    e.re_blocks = {1};
    bool threw = false;
    try {
      lm::Model m(e);
    } catch (const glycotrial::InputError& err) {
      threw = std::string(err.argument()) == "formula";
    }
    expect_true(threw);
    lm::Data f = small_data();
    f.residual.type = lm::ResidualType::Plugin;
    f.residual.plugin_key = "no_such_structure";
    expect_true(test_helpers::throws_input_error([&] { lm::Model m(f); }));
  }

  test_that("bivariate normal cdf matches known values") {
    // Independence, and P(X<0, Y<0) = 1/4 + asin(rho) / (2 pi) (Sheppard).
    expect_true(std::fabs(lm::bvn_cdf(0.3, -0.2, 0) - lm::norm_cdf(0.3) * lm::norm_cdf(-0.2)) <
                1e-14);
    for (double r : {-0.95, -0.5, 0.3, 0.8, 0.99}) {
      expect_true(std::fabs(lm::bvn_cdf(0, 0, r) - (0.25 + std::asin(r) / (2 * M_PI))) < 1e-12);
    }
    // rho = 1: P(X < min(a, b))
    expect_true(std::fabs(lm::bvn_cdf(0.5, 1.2, 1.0) - lm::norm_cdf(0.5)) < 1e-10);
  }
}
