// C++ unit tests of the MMRM core: covariance structures against hand values,
// analytic derivatives against central differences, and the engine's
// analytic gradient against finite differences of its deviance.
#include <testthat.h>

#include <cmath>
#include <random>

#include "core/common/errors.hpp"
#include "core/covariance/covariance.hpp"
#include "core/mmrm/engine.hpp"
#include "test-helpers.h"

namespace mm = glycotrial::mmrm;

namespace {
const glycotrial_covariance_v1* builtin(const std::string& key) {
  return test_helpers::builtin_covariance(key);
}

// Small deterministic data set: ns subjects, 4 visits, some visits missing.
mm::MmrmInput small_input(bool reml, bool weights) {
  std::mt19937 gen(17);
  std::normal_distribution<double> z(0.0, 1.0);
  mm::MmrmInput in;
  const int ns = 25, k = 4, p = 3;
  in.n_visits = k;
  in.reml = reml;
  in.subject_start.push_back(0);
  std::vector<std::vector<double>> rows;
  for (int s = 0; s < ns; ++s) {
    double b = z(gen);
    for (int v = 0; v < k; ++v) {
      if ((s + v) % 7 == 3) continue;  // intermittent missingness
      in.coords.push_back(v);
      rows.push_back({1.0, static_cast<double>(s % 2), b});
      in.y.push_back(1.0 + 0.5 * b + 0.3 * v + z(gen) + 0.5 * b * z(gen));
      if (weights) in.weights.push_back(0.5 + 0.1 * ((s + v) % 5));
    }
    in.subject_start.push_back(static_cast<int>(in.y.size()));
    in.subject_group.push_back(s % 2);
  }
  in.n = static_cast<int>(in.y.size());
  in.p = p;
  in.n_groups = 2;
  in.X.resize(static_cast<size_t>(in.n) * p);
  for (int c = 0; c < p; ++c)
    for (int r = 0; r < in.n; ++r) in.X[static_cast<size_t>(c) * in.n + r] = rows[r][c];
  return in;
}
}  // namespace

context("mmrm covariance structures") {
  test_that("ar1, cs and us give the hand-computed matrices") {
    mm::PluginCovariance ar1(*builtin("ar1"));
    Eigen::MatrixXd S;
    const double r = 0.75, rho = r / std::sqrt(1 + r * r);
    ar1.sigma({std::log(2.0), r}, 4, {0, 1, 3}, S, nullptr);
    expect_true(std::fabs(S(0, 0) - 4.0) < 1e-12);
    expect_true(std::fabs(S(0, 1) - 4.0 * rho) < 1e-12);
    expect_true(std::fabs(S(0, 2) - 4.0 * rho * rho * rho) < 1e-12);
    mm::PluginCovariance cs(*builtin("cs"));
    cs.sigma({0.0, r}, 3, {0, 2}, S, nullptr);
    const double rho_cs = (3.0 / (1.0 + std::exp(-r)) - 1.0) / 2.0;  // mmrm's cs map, k = 3
    expect_true((std::fabs(S(0, 1) - rho_cs) < 1e-12 && std::fabs(S(1, 1) - 1.0) < 1e-12));
    // us over 2 visits: L = [[1, 0], [2 * 0.5, 2]] so Sigma = [[1, 1], [1, 5]].
    mm::PluginCovariance us(*builtin("us"));
    us.sigma({0.0, std::log(2.0), 0.5}, 2, {0, 1}, S, nullptr);
    expect_true((std::fabs(S(0, 1) - 1.0) < 1e-12 && std::fabs(S(1, 1) - 5.0) < 1e-12));
    // sp_exp: exp(theta0) * rho^d with rho = plogis(theta1).
    mm::PluginCovariance sp(*builtin("sp_exp"));
    sp.sigma({std::log(3.0), 0.0}, 2, {0.0, 2.0}, S, nullptr);
    expect_true(std::fabs(S(0, 1) - 3.0 * 0.25) < 1e-12);
  }

  test_that("analytic derivatives of every built-in match central differences") {
    for (const auto& p : mm::builtin_covariances()) {
      mm::PluginCovariance cov(p);
      const int k = 4;
      const int K = cov.n_theta(k);
      std::vector<double> theta(K);
      for (int j = 0; j < K; ++j) theta[j] = 0.3 * std::sin(1.0 + j) + 0.1;
      std::vector<double> coords = cov.spatial() ? std::vector<double>{0.5, 1.7, 3.0}
                                                 : std::vector<double>{0, 2, 3};
      Eigen::MatrixXd S;
      std::vector<Eigen::MatrixXd> dS;
      cov.sigma(theta, k, coords, S, &dS);
      auto num = mm::numerical_dsigma(cov, theta, k, coords, 1e-6);
      double err = 0;
      for (int j = 0; j < K; ++j) err = std::max(err, (dS[j] - num[j]).cwiseAbs().maxCoeff());
      expect_true(err < 1e-7);
      expect_true(static_cast<int>(dS.size()) == K);
    }
  }
}

context("mmrm engine") {
  test_that("analytic gradient matches finite differences (REML, ML, weights, groups)") {
    for (int variant = 0; variant < 3; ++variant) {
      mm::MmrmInput in = small_input(variant != 1, variant == 2);
      mm::PluginCovariance cov(*builtin(variant == 2 ? "adh" : "us"));
      mm::MmrmEngine eng(in, cov);
      std::vector<double> theta(eng.n_theta());
      for (int j = 0; j < eng.n_theta(); ++j) theta[j] = 0.1 * std::cos(2.0 + j);
      std::vector<double> g;
      const double f0 = eng.deviance(theta, &g);
      expect_true(std::isfinite(f0));
      double err = 0, scale = 1;
      for (int j = 0; j < eng.n_theta(); ++j) {
        std::vector<double> tp = theta, tm = theta;
        const double h = 1e-6;
        tp[j] += h;
        tm[j] -= h;
        const double fd = (eng.deviance(tp, nullptr) - eng.deviance(tm, nullptr)) / (2 * h);
        err = std::max(err, std::fabs(fd - g[j]));
        scale = std::max(scale, std::fabs(g[j]));
      }
      expect_true(err / scale < 1e-5);
    }
  }

  test_that("exact Hessian matches differences of the analytic gradient") {
    for (int variant = 0; variant < 4; ++variant) {
      mm::MmrmInput in = small_input(variant != 1, variant == 2);
      const char* key = variant == 2 ? "adh" : (variant == 3 ? "toeph" : "us");
      mm::PluginCovariance cov(*builtin(key));
      mm::MmrmEngine eng(in, cov);
      std::vector<double> theta(eng.n_theta());
      for (int j = 0; j < eng.n_theta(); ++j) theta[j] = 0.1 * std::cos(2.0 + j);
      auto d = eng.derivatives(theta, true);
      expect_true(d.ok);
      Eigen::MatrixXd Hn = eng.hessian_numeric(theta);
      const double err = (d.hessian - Hn).cwiseAbs().maxCoeff();
      expect_true(err / std::max(1.0, Hn.cwiseAbs().maxCoeff()) < 1e-6);
      auto P = eng.jacobian_terms(theta);
      double jerr = 0;
      for (size_t j = 0; j < P.size(); ++j)
        jerr = std::max(jerr, (P[j] - d.jacobian[j]).cwiseAbs().maxCoeff());
      expect_true(jerr < 1e-9);
      std::vector<double> g;
      const double f = eng.deviance(theta, &g);
      expect_true(std::fabs(f - d.deviance) < 1e-9 * std::max(1.0, std::fabs(f)));
    }
  }

  test_that("duplicated visits are an input error") {
    mm::MmrmInput in = small_input(true, false);
    in.coords[1] = in.coords[0];
    mm::PluginCovariance cov(*builtin("cs"));
    expect_true(test_helpers::throws_input_error([&] { mm::MmrmEngine eng(in, cov); }));
  }
}
