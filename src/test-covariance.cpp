// C++ unit tests of the covariance interface (src/core/covariance): every
// built-in visit structure carries a start() of its parameter count, and the
// starts equal hand calculations from a small empirical covariance.
#include <testthat.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/common/plugin_registry.hpp"
#include "core/covariance/covariance.hpp"
#include "core/covariance/residual.hpp"

namespace mm = glycotrial::mmrm;

context("covariance starts") {
  test_that("every non-spatial built-in has a start of its parameter count") {
    Eigen::MatrixXd S(4, 4);
    S << 4, 1, 0.5, 0.2, 1, 2, 0.8, 0.3, 0.5, 0.8, 3, 1, 0.2, 0.3, 1, 5;
    const auto keys = mm::builtin_start_keys();
    for (const auto& p : mm::builtin_covariances()) {
      mm::PluginCovariance cov(p);
      const std::vector<double> th = cov.start(S, std::nan(""));
      expect_true(static_cast<int>(th.size()) == cov.n_theta(4));
      bool has = false;
      for (const auto& k : keys) has = has || k == p.key;
      // spatial structures start at zeros here (their range start needs the
      // times, R/mmrm_optimise.R); every visit structure has its own start
      expect_true(has == (p.spatial == 0));
      // the start is a valid point: a finite covariance matrix
      Eigen::MatrixXd sigma;
      cov.sigma(th, 4, {0, 1, 2, 3}, sigma, nullptr);
      expect_true(sigma.allFinite());
    }
  }

  test_that("ar1, cs and us starts equal the hand calculation") {
    // sds 2 and 1, correlation 1 / (2 * 1) = 0.5
    Eigen::MatrixXd S(2, 2);
    S << 4, 1, 1, 1;
    std::vector<double> th;
    expect_true(mm::builtin_start("ar1", S, std::nan(""), th));
    expect_true(th.size() == 2u);
    expect_true(std::fabs(th[0] - std::log(1.5)) < 1e-15);
    expect_true(std::fabs(th[1] - 0.5 / std::sqrt(0.75)) < 1e-15);
    // cs: rho = (2 plogis(t) - 1) / 1 = 0.5 at plogis(t) = 0.75
    expect_true(mm::builtin_start("cs", S, std::nan(""), th));
    expect_true(std::fabs(th[1] - std::log(3.0)) < 1e-15);
    // us: Cholesky of diag(sd) (C + 1e-3 I) diag(sd) / 1.001
    expect_true(mm::builtin_start("us", S, std::nan(""), th));
    const double a11 = 4 * 1.001 / 1.001, a21 = 1.0 / 1.001, a22 = 1.001 / 1.001;
    const double l11 = std::sqrt(a11), l21 = a21 / l11, l22 = std::sqrt(a22 - l21 * l21);
    expect_true(std::fabs(th[0] - std::log(l11)) < 1e-14);
    expect_true(std::fabs(th[1] - std::log(l22)) < 1e-14);
    expect_true(std::fabs(th[2] - l21 / l22) < 1e-14);
  }

  test_that("unobserved pairs and variances fall back") {
    const double na = std::numeric_limits<double>::quiet_NaN();
    Eigen::MatrixXd S(3, 3);
    S << 4, na, 1, na, na, na, 1, na, 1;
    std::vector<double> th;
    // variance of visit 2 unknown: the median of 4 and 1 (2.5)
    expect_true(mm::builtin_start("ar1h", S, na, th));
    expect_true(std::fabs(th[1] - 0.5 * std::log(2.5)) < 1e-15);
    // an explicit fallback variance wins
    expect_true(mm::builtin_start("ar1h", S, 9.0, th));
    expect_true(std::fabs(th[1] - std::log(3.0)) < 1e-15);
    expect_false(mm::builtin_start("sp_exp", S, na, th));
  }
}

context("LMM residual structures behind the covariance interface") {
  test_that("analytic derivatives equal the one finite-difference fallback") {
    std::vector<std::unique_ptr<mm::CovarianceModel>> models;
    models.push_back(mm::make_iid_covariance());
    models.push_back(mm::make_logchol_covariance(2, false));
    models.push_back(mm::make_logchol_covariance(2, true));
    models.push_back(mm::make_ar1_tanh_correlation());
    const std::vector<std::vector<double>> coords = {
        {0, 1, 2}, {0, 1, 1, 0}, {1, 0}, {0, 1, 3, 4}};
    for (size_t i = 0; i < models.size(); ++i) {
      const int k = models[i]->n_theta(2);
      std::vector<double> th(k);
      for (int j = 0; j < k; ++j) th[j] = 0.3 - 0.2 * j;
      Eigen::MatrixXd S;
      std::vector<Eigen::MatrixXd> dS;
      models[i]->sigma(th, 2, coords[i], S, &dS);
      const auto num = mm::numerical_dsigma(*models[i], th, 2, coords[i]);
      expect_true((static_cast<int>(dS.size()) == k && num.size() == dS.size()));
      for (int j = 0; j < k; ++j) expect_true(((dS[j] - num[j]).cwiseAbs().maxCoeff() < 1e-8));
    }
  }

  test_that("starts from an empirical covariance equal the hand calculation") {
    // iid: log sqrt(mean variance); logchol: the Cholesky factor of S
    Eigen::MatrixXd S(2, 2);
    S << 4, 2, 2, 5;
    expect_true((std::fabs(mm::make_iid_covariance()->start(S, 1)[0] - 0.5 * std::log(4.5)) < 1e-15));
    const std::vector<double> th = mm::make_logchol_covariance(2, false)->start(S, 1);
    // L = [2 0; 1 2]
    expect_true((th.size() == 3u && std::fabs(th[0] - std::log(2.0)) < 1e-15 &&
                std::fabs(th[1] - 1) < 1e-15 && std::fabs(th[2] - std::log(2.0)) < 1e-15));
    // ar1_tanh: atanh of the lag-one correlation 2 / sqrt(20)
    const double r = mm::make_ar1_tanh_correlation()->start(S, 1)[0];
    expect_true((std::fabs(r - std::atanh(2 / std::sqrt(20.0))) < 1e-15));
  }

  test_that("a registered residual structure of the LMM starts from its own start(), not zeros") {
    // a standardised response whose residual takes 0.49 of the variance:
    // every visit-structure key starts from 0.49 I (us: log sd 0.5 log 0.49
    // on the diagonal, 0 below), as the MMRM engine starts it from S.
    // (The standalone C++ test driver has no R session that registered the
    // built-ins: register the missing ones here, and remove them after.)
    std::vector<std::string> added;
    for (const auto& p : mm::builtin_covariances()) {
      if (glycotrial::plugins::find_covariance(p.key) != nullptr) continue;
      glycotrial::plugins::register_covariance(p, "unit-test", false);
      added.emplace_back(p.key);
    }
    for (const std::string key : {"us", "ar1", "cs", "toeph"}) {
      glycotrial::lmm::ResidualSpec spec;
      spec.type = glycotrial::lmm::ResidualType::Plugin;
      spec.plugin_key = key;
      spec.n_visits = 3;
      const Eigen::VectorXd th = glycotrial::lmm::make_residual(spec)->start();
      std::vector<double> want;
      expect_true(mm::builtin_start(key, 0.49 * Eigen::MatrixXd::Identity(3, 3), 0.49, want));
      expect_true(th.size() == static_cast<Eigen::Index>(want.size()));
      for (size_t j = 0; j < want.size(); ++j) expect_true(th(j) == want[j]);
      expect_true(std::fabs(th(0) - 0.5 * std::log(0.49)) < 1e-12);
    }
    for (const auto& key : added) glycotrial::plugins::unregister("covariance", key);
  }

  test_that("the Kronecker wrapper is U (x) C of the two structures") {
    mm::ResidualCovariance kron(mm::make_ar1_tanh_correlation(), 0,
                                mm::make_logchol_covariance(2, false), 2);
    expect_true((kron.n_theta() == 4 && !kron.is_iid()));
    const double th[] = {0.1, 0.4, -0.2, 0.5};
    Eigen::MatrixXd S;
    kron.sigma(th, {0, 1, 0, 1}, {0, 0, 1, 1}, S, nullptr);
    // hand: L = [e^0.1 0; 0.4 e^-0.2], rho = tanh(0.5)
    const double l0 = std::exp(0.1), l1 = std::exp(-0.2), rho = std::tanh(0.5);
    const double u00 = l0 * l0, u01 = l0 * 0.4, u11 = 0.16 + l1 * l1;
    expect_true((std::fabs(S(0, 0) - u00) < 1e-14 && std::fabs(S(0, 1) - u00 * rho) < 1e-14));
    expect_true((std::fabs(S(0, 2) - u01) < 1e-14 && std::fabs(S(1, 2) - u01 * rho) < 1e-14));
    expect_true((std::fabs(S(3, 3) - u11) < 1e-14));
    mm::ResidualCovariance iid(mm::make_iid_covariance(), 0);
    expect_true((iid.is_iid() && std::fabs(iid.start()(0) - std::log(0.7)) < 1e-15));
  }
}
