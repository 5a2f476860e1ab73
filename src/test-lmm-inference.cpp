// C++ unit tests of the LMM inference code on hand-checkable cases:
// Kenward-Roger (balanced one-way random intercept: Phi_A = Phi = MSB / (a n),
// df = a - 1, the exact F test), the likelihood profile of the residual SD
// (balanced one-way ML: closed-form profiled deviance), observation weights
// (constant weights only rescale sigma^2; the deviance offset), and the
// composite probability / parametric bootstrap (Sheppard's formula, seeds).
#include <testthat.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/common/errors.hpp"
#include "core/lmm/bootstrap.hpp"
#include "core/lmm/lmm.hpp"
#include "core/lmm/profile.hpp"

namespace {

namespace lm = glycotrial::lmm;
constexpr double kPi = 3.14159265358979323846;

// Balanced one-way layout: a subjects x n observations, y_ij = mu + b_i + e_ij
// with fixed pseudo-random values (no RNG), intercept-only fixed part.
lm::Data one_way(int a, int n, bool reml) {
  lm::Data d;
  d.X = Eigen::MatrixXd::Ones(a * n, 1);
  d.Z = Eigen::MatrixXd::Ones(a * n, 1);
  d.y.resize(a * n);
  d.subject_start.push_back(0);
  for (int i = 0; i < a; ++i) {
    const double b = std::sin(1.7 * i + 0.3) * 2.0;
    for (int j = 0; j < n; ++j) d.y(i * n + j) = 10 + b + std::cos(2.3 * i + 1.1 * j * j + 0.5);
    d.subject_start.push_back((i + 1) * n);
  }
  d.re_blocks = {1};
  d.reml = reml;
  return d;
}

struct OneWaySS {
  double ssb, ssw, mean;
};

OneWaySS one_way_ss(const lm::Data& d, int a, int n) {
  OneWaySS s{0, 0, d.y.mean()};
  for (int i = 0; i < a; ++i) {
    const double mi = d.y.segment(i * n, n).mean();
    s.ssb += n * (mi - s.mean) * (mi - s.mean);
    for (int j = 0; j < n; ++j) s.ssw += (d.y(i * n + j) - mi) * (d.y(i * n + j) - mi);
  }
  return s;
}

// The shared set-up of the one-way tests: data, sums of squares and the fit.
struct OneWayFit {
  lm::Data d;
  OneWaySS ss;
  lm::Model m;
  lm::FitResult f;
  OneWayFit(int a, int n, bool reml)
      : d(one_way(a, n, reml)), ss(one_way_ss(d, a, n)), m(d), f(m.fit(lm::FitOptions())) {}
};

// Runs `f` and reports whether it threw an InputError and for which argument.
struct Thrown {
  bool input_error = false;
  std::string argument;
};

template <class F>
Thrown catch_input_error(F&& f) {
  Thrown t;
  try {
    f();
  } catch (const glycotrial::InputError& e) {
    t.input_error = true;
    t.argument = e.argument();
  }
  return t;
}

}  // namespace

context("lmm inference (Kenward-Roger, profiles, weights, bootstrap)") {
  test_that("Kenward-Roger on a balanced one-way layout is the exact F test") {
    const int a = 8, n = 4;
    OneWayFit ow(a, n, true);
    auto& [data, ss, m, f] = ow;  // data, sums of squares, model, fit
    expect_true(f.converged);
    // REML = ANOVA estimates here (MSB > MSW): Var(mean) = MSB / (a n)
    const double msb = ss.ssb / (a - 1);
    lm::KenwardRoger kr = m.kenward_roger(f.theta_absolute);
    const double phi = kr.phi(0, 0) * kr.scale2, phia = kr.phi_adj(0, 0) * kr.scale2;
    expect_true(std::fabs(phi / (msb / (a * n)) - 1) < 1e-6);
    // mean-hat = ybar does not depend on the variance parameters: no adjustment
    expect_true(std::fabs(phia / phi - 1) < 1e-6);
    lm::KrTest t = lm::kr_test(kr, Eigen::MatrixXd::Ones(1, 1));
    expect_true(t.q == 1);
    expect_true(std::fabs(t.df - (a - 1)) < 1e-4);
    expect_true(std::fabs(t.f_scaling - 1) < 1e-6);
    // Kenward-Roger needs REML
    OneWayFit ml(a, n, false);
    expect_true(catch_input_error([&] { ml.m.kenward_roger(ml.f.theta_absolute); }).argument ==
                "ddf");
  }

  test_that("Kenward-Roger setup: one P_j per variance parameter; L must have full row rank") {
    OneWayFit ow(8, 4, true);
    lm::KenwardRoger kr = ow.m.kenward_roger(ow.f.theta_absolute);
    expect_true(kr.W.allFinite());
    expect_true(kr.P.size() == 2);  // G element and the residual variance
    // kr_test rejects a rank-deficient L
    Eigen::MatrixXd L = Eigen::MatrixXd::Ones(2, 1);
    expect_true(catch_input_error([&] { lm::kr_test(kr, L); }).input_error);
  }

  test_that("the profiled ML deviance at a fixed residual SD has the closed form") {
    // ML, balanced one-way: with lambda = sigma^2 + n tau^2,
    //   -2 l = a (n - 1) log sigma^2 + SSW / sigma^2 + a log lambda + SSB / lambda + a n log 2 pi,
    // minimised over lambda >= sigma^2 at lambda = SSB / a.
    const int a = 8, n = 4;
    OneWayFit ow(a, n, false);
    auto& [data, ss, m, f] = ow;  // data, sums of squares, model, fit
    for (double sigma : {0.5, 0.6, 0.8}) {
      const double s2 = sigma * sigma, lambda = ss.ssb / a;
      expect_true(lambda > s2);
      const double dev = a * (n - 1) * std::log(s2) + ss.ssw / s2 + a * std::log(lambda) + a +
                         a * n * std::log(2 * kPi);
      lm::VcTarget t;
      t.kind = lm::VcKind::Sigma;
      lm::ProfilePoint pp = lm::profile_variance(m, t, sigma, f.theta_absolute, lm::FitOptions());
      expect_true(pp.converged);
      expect_true(std::fabs(pp.deviance - dev) < 1e-6);
    }
    // at the ML estimate of sigma the profile is the minimum deviance
    lm::VcTarget t;
    t.kind = lm::VcKind::Sigma;
    const double shat = std::sqrt(ss.ssw / (a * (n - 1)));
    lm::ProfilePoint p0 = lm::profile_variance(m, t, shat, f.theta_absolute, lm::FitOptions());
    expect_true(std::fabs(p0.deviance - f.eval.deviance) < 1e-6);
  }

  test_that("constant weights rescale sigma^2 and keep the likelihood") {
    const int a = 8, n = 4;
    lm::Data d0 = one_way(a, n, true), d4 = one_way(a, n, true);
    d4.weights.assign(a * n, 4.0);
    lm::Model m0(d0), m4(d4);
    lm::FitResult f0 = m0.fit(lm::FitOptions()), f4 = m4.fit(lm::FitOptions());
    expect_true(std::fabs(f4.eval.deviance - f0.eval.deviance) < 1e-8);
    expect_true(std::fabs(f4.sigma2 / f0.sigma2 - 4) < 1e-6);
    expect_true(std::fabs(f4.G(0, 0) / f0.G(0, 0) - 1) < 1e-6);
    expect_true(std::fabs(m4.weight_offset() + a * n * std::log(4.0)) < 1e-12);
    // bad weights
    for (double w : {0.0, -1.0, std::nan("")}) {
      lm::Data b = one_way(a, n, true);
      b.weights.assign(a * n, 1.0);
      b.weights[3] = w;
      expect_true(catch_input_error([&] { lm::Model mb(b); }).argument == "weights");
    }
    lm::Data b = one_way(a, n, true);
    b.weights.assign(3, 1.0);
    expect_true(catch_input_error([&] { lm::Model mb(b); }).argument == "weights");
  }

  test_that("composite probability and its parametric bootstrap") {
    // Bivariate responses (Kronecker residual, unstructured U, no AR(1)),
    // random intercept per response: 10 subjects x 2 visits x 2 responses.
    lm::Data d;
    const int ns = 10;
    std::vector<double> y;
    d.subject_start.push_back(0);
    for (int i = 0; i < ns; ++i) {
      for (int v = 0; v < 2; ++v)
        for (int r = 0; r < 2; ++r) {
          y.push_back((r == 0 ? 8.0 : 1.0) + 0.7 * std::sin(3.1 * i + r) +
                      0.4 * std::cos(1.3 * i + 2.2 * v + 0.7 * r));
          d.coords.push_back(v);
          d.groups.push_back(r);
        }
      d.subject_start.push_back(static_cast<int>(y.size()));
    }
    const int nr = static_cast<int>(y.size());
    d.y = Eigen::Map<Eigen::VectorXd>(y.data(), nr);
    d.X.resize(nr, 2);
    d.Z.resize(nr, 2);
    for (int k = 0; k < nr; ++k) {
      d.X(k, 0) = d.groups[k] == 0;
      d.X(k, 1) = d.groups[k] == 1;
      d.Z(k, 0) = d.groups[k] == 0;
      d.Z(k, 1) = d.groups[k] == 1;
    }
    d.re_blocks = {2};
    d.residual.type = lm::ResidualType::Kronecker;
    d.residual.kron_unstructured = true;
    d.residual.kron_ar1 = false;
    lm::Model m(d);
    lm::FitResult f = m.fit(lm::FitOptions());
    expect_true(f.eval.ok);
    // thresholds at each response's mean: P = Phi_2(0, 0; rho) =
    // 1/4 + asin(rho) / (2 pi) (Sheppard), rho from zt G zt' + U
    lm::CompositeSpec spec;
    spec.zt = Eigen::MatrixXd::Identity(2, 2);
    spec.target = 1;
    lm::CompositeArm arm;
    arm.X1 = Eigen::MatrixXd(1, 2);
    arm.X1 << 1, 0;
    arm.X2 = Eigen::MatrixXd(1, 2);
    arm.X2 << 0, 1;
    arm.c1 = Eigen::VectorXd::Constant(1, f.eval.beta(0));
    arm.c2 = Eigen::VectorXd::Constant(1, f.eval.beta(1));
    spec.arms.push_back(arm);
    const Eigen::MatrixXd V = f.G + m.residual_cov(f.theta_absolute, {1, 1}, {0, 1});
    const double rho = V(0, 1) / std::sqrt(V(0, 0) * V(1, 1));
    Eigen::VectorXd pr = lm::composite_probability(m, f.theta_absolute, f.eval.beta, spec);
    expect_true(std::fabs(pr(0) - (0.25 + std::asin(rho) / (2 * kPi))) < 1e-10);
    // bootstrap: reproducible from the seed, different seeds differ,
    // probabilities in (0, 1); thresholds at +-infinity give exactly 1 / 0
    lm::FitOptions opt;
    Eigen::MatrixXd b1 = lm::bootstrap_composite(d, f.theta_absolute, f.eval.beta, spec, 5, 42, opt);
    Eigen::MatrixXd b2 = lm::bootstrap_composite(d, f.theta_absolute, f.eval.beta, spec, 5, 42, opt);
    Eigen::MatrixXd b3 = lm::bootstrap_composite(d, f.theta_absolute, f.eval.beta, spec, 5, 43, opt);
    expect_true((b1.rows() == 5 && b1.cols() == 1));
    expect_true((b1.array() == b2.array()).all());
    expect_true((b1 - b3).cwiseAbs().maxCoeff() > 0);
    expect_true(((b1.array() > 0) && (b1.array() < 1)).all());
    spec.arms[0].c1(0) = 1e6;
    spec.arms[0].c2(0) = 1e6;
    Eigen::MatrixXd b4 = lm::bootstrap_composite(d, f.theta_absolute, f.eval.beta, spec, 3, 1, opt);
    expect_true((b4.array() == 1).all());
    spec.arms[0].c1(0) = -1e6;
    Eigen::MatrixXd b5 = lm::bootstrap_composite(d, f.theta_absolute, f.eval.beta, spec, 3, 1, opt);
    expect_true((b5.array() == 0).all());
    expect_true(catch_input_error([&] {
                  lm::bootstrap_composite(d, f.theta_absolute, f.eval.beta, spec, 0, 1, opt);
                }).input_error);
  }
}
