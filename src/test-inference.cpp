// C++ unit tests of the shared small-sample inference core
// (src/core/inference) on matrices written down by hand, independent of any
// model class.
//
// Balanced one-way random intercept: a subjects x n observations,
// y_ij = mu + b_i + e_ij, Var(b) = s_b, Var(e) = s_e, theta = (s_b, s_e).
// With tau = s_e + n s_b, V_i = s_b J + s_e I, V_i^-1 1 = 1 / tau:
//   Phi  = (X' V^-1 X)^-1 = tau / (a n)
//   P_1  = X'V^-1 J V^-1 X = a n^2 / tau^2,   P_2 = a n / tau^2
//   Q_11 = a n^3 / tau^3,  Q_12 = a n^2 / tau^3,  Q_22 = a n / tau^3,  R = 0.
// REML = ANOVA here: s_e = MSW, s_b = (MSB - MSW) / n with Var(MSB) =
// 2 tau^2 / (a - 1), Var(MSW) = 2 s_e^2 / (a (n - 1)) =: w, so
//   W = [(2 tau^2 / (a - 1) + w) / n^2, -w / n; -w / n, w].
// Kenward-Roger, L = 1: u_i = Theta Phi P_i Phi = P_i Phi = (n / tau, 1 / tau),
//   A1 = A2 = u' W u = 2 / (a - 1)  =>  m = 2 / A1 = a - 1, lambda = 1,
// and P_i Phi P_j = Q_ij for every pair, so Lambda = 0 and Phi_A = Phi:
// the exact F test of the mean.
// Satterthwaite: dPhi/dtheta = (1 / a, 1 / (a n)) =: g, g' W g =
//   2 tau^2 / ((a - 1) a^2 n^2), 2 Phi^2 / (g' W g) = a - 1.
#include <testthat.h>

#include <cmath>
#include <vector>

#include "core/common/errors.hpp"
#include "core/inference/df.hpp"
#include "core/inference/kenward_roger.hpp"

namespace {

namespace inf = glycotrial::inference;

struct OneWayPieces {
  Eigen::MatrixXd Phi, W;
  std::vector<Eigen::MatrixXd> P, Q;  // Q: 2 x 2 pairs, upper triangle
  std::vector<Eigen::MatrixXd> jac;
};

OneWayPieces one_way_pieces(double a, double n, double s_b, double s_e) {
  const double tau = s_e + n * s_b;
  auto m1 = [](double x) { return Eigen::MatrixXd::Constant(1, 1, x); };
  OneWayPieces o;
  o.Phi = m1(tau / (a * n));
  o.P = {m1(a * n * n / (tau * tau)), m1(a * n / (tau * tau))};
  const double t3 = tau * tau * tau;
  o.Q = {m1(a * n * n * n / t3), m1(a * n * n / t3), m1(0), m1(a * n / t3)};
  const double w = 2 * s_e * s_e / (a * (n - 1));
  o.W.resize(2, 2);
  o.W << (2 * tau * tau / (a - 1) + w) / (n * n), -w / n, -w / n, w;
  o.jac = {m1(1 / a), m1(1 / (a * n))};
  return o;
}

bool near(double x, double y, double tol = 1e-12) { return std::fabs(x - y) <= tol * std::max(1.0, std::fabs(y)); }

}  // namespace

context("inference core (Kenward-Roger, Satterthwaite, Fai-Cornelius, BW, empirical)") {
  test_that("Kenward-Roger on the balanced one-way layout: m = a - 1, lambda = 1, Phi_A = Phi") {
    for (double a : {5.0, 8.0, 12.0}) {
      const OneWayPieces o = one_way_pieces(a, 4, 0.7, 1.3);
      const inf::KrDf r = inf::kr_df(o.Phi, o.P, o.W, Eigen::MatrixXd::Ones(1, 1));
      expect_true(r.q == 1);
      expect_true(near(r.df, a - 1, 1e-10));
      expect_true(near(r.f_scaling, 1, 1e-10));
      const Eigen::MatrixXd Qw = inf::kr_pair_sum(o.Q, o.W);
      const Eigen::MatrixXd PhiA = inf::kr_adjusted_vcov(o.Phi, o.P, o.W, Qw);
      expect_true(near(PhiA(0, 0), o.Phi(0, 0), 1e-10));
      // a non-zero R term enters as - Phi R Phi / 2
      const Eigen::MatrixXd Rw = Eigen::MatrixXd::Constant(1, 1, 0.5);
      const Eigen::MatrixXd PhiR = inf::kr_adjusted_vcov(o.Phi, o.P, o.W, Qw, Rw);
      expect_true(near(PhiR(0, 0), o.Phi(0, 0) - o.Phi(0, 0) * 0.5 * o.Phi(0, 0) / 2, 1e-10));
    }
  }

  test_that("expected information of the one-way layout inverts to the ANOVA covariance W") {
    // per subject tr(V^-1 J V^-1 J) = n^2 / tau^2, tr(V^-1 J V^-1) = n / tau^2,
    // tr(V^-2) = (n - 1) / s_e^2 + 1 / tau^2; then IE = trace - 2 Phi Q + (Phi P)^2
    // = (a - 1) / tau^2 [n^2, n; n, 1] + diag(0, a (n - 1) / s_e^2) and 2 IE^-1 = W.
    const double a = 7, n = 3, s_b = 0.8, s_e = 1.1, tau = s_e + n * s_b;
    const OneWayPieces o = one_way_pieces(a, n, s_b, s_e);
    Eigen::MatrixXd trace(2, 2);
    trace << a * n * n / (tau * tau), a * n / (tau * tau), 0,
        a * ((n - 1) / (s_e * s_e) + 1 / (tau * tau));
    const Eigen::MatrixXd IE = inf::kr_expected_information(trace, o.Phi, o.P, o.Q);
    expect_true(near(IE(0, 1), (a - 1) * n / (tau * tau)));
    expect_true(near(IE(1, 0), IE(0, 1)));
    expect_true((inf::kr_weight_matrix(IE) - o.W).cwiseAbs().maxCoeff() < 1e-12);
  }

  test_that("Satterthwaite on the balanced one-way layout is a - 1") {
    const OneWayPieces o = one_way_pieces(9, 3, 0.4, 2.0);
    const Eigen::VectorXd df = inf::satterthwaite_df(o.Phi, o.jac, o.W, Eigen::MatrixXd::Ones(2, 1));
    expect_true(df.size() == 2);
    expect_true(near(df(0), 8, 1e-10));
    expect_true(near(df(1), 8, 1e-10));
  }

  test_that("kr_weight_matrix is 2 IE^-1, a pseudo-inverse when IE is singular") {
    Eigen::MatrixXd IE(2, 2);
    IE << 4, 1, 1, 2;
    expect_true((inf::kr_weight_matrix(IE) - 2 * IE.inverse()).cwiseAbs().maxCoeff() < 1e-14);
    Eigen::MatrixXd S(2, 2);
    S << 1, 1, 1, 1;  // rank 1: pinv = S / 4
    expect_true((inf::kr_weight_matrix(S) - S / 2).cwiseAbs().maxCoeff() < 1e-12);
  }

  test_that("kr_pair_sum covers the last parameters of W and uses M_kj = M_jk'") {
    Eigen::MatrixXd W(3, 3);
    W << 1, 2, 3, 2, 4, 5, 3, 5, 6;
    Eigen::MatrixXd M01(2, 2);
    M01 << 1, 2, 3, 4;
    const std::vector<Eigen::MatrixXd> M = {Eigen::MatrixXd::Identity(2, 2), M01,
                                            Eigen::MatrixXd::Zero(2, 2),
                                            2 * Eigen::MatrixXd::Identity(2, 2)};
    // parameters 1 and 2 of W: 4 I + 5 (M01 + M01') + 6 * 2 I
    const Eigen::MatrixXd expect = 16 * Eigen::MatrixXd::Identity(2, 2) + 5 * (M01 + M01.transpose());
    expect_true((inf::kr_pair_sum(M, W) - expect).cwiseAbs().maxCoeff() < 1e-14);
  }

  test_that("Fai-Cornelius: formula, equal df, and the small-df convention (any nu <= 2 gives 2)") {
    Eigen::VectorXd nu(2);
    nu << 4, 6;  // E = 2 + 1.5 = 3.5, 2 E / (E - 2) = 14 / 3
    expect_true(near(inf::fai_cornelius_df(nu), 14.0 / 3));
    nu << 7, 7;
    expect_true(inf::fai_cornelius_df(nu) == 7);
    nu << 1.5, 30;  // lmerTest / mmrm / pbkrtest: 2, not NA
    expect_true(inf::fai_cornelius_df(nu) == 2);
    nu << 2, 30;
    expect_true(inf::fai_cornelius_df(nu) == 2);
    expect_true(inf::fai_cornelius_df(Eigen::VectorXd::Constant(1, 1.2)) == 1.2);
    nu << NAN, 5;
    expect_true(std::isnan(inf::fai_cornelius_df(nu)));
  }

  test_that("between-within df count between and within columns") {
    // 3 subjects x 2 visits; columns: intercept, arm (constant within
    // subject), visit (varies), age (constant) => 2 between, 1 within:
    // between df = 3 - 2 - 1 = 0, within df = 6 - 3 - 1 = 2.
    Eigen::MatrixXd X(6, 4);
    X << 1, 0, 0, 50, 1, 0, 1, 50, 1, 1, 0, 61, 1, 1, 1, 61, 1, 1, 0, 47, 1, 1, 1, 47;
    const std::vector<int> subj = {0, 0, 1, 1, 2, 2};
    const Eigen::VectorXd df = inf::between_within_df(X, subj, {true, false, false, false}, 6, 3);
    const Eigen::Vector4d want(2, 0, 2, 0);
    expect_true(df == want);
  }

  test_that("empirical (Bell-McCaffrey) df of a mean with equal subjects is n - 1") {
    // p = 1, N_i = K_i = 1 (whitened x = 1, A_i = I): Phi = 1 / n, a = 1 / n,
    // d_i = 1 / n^2, q_i = 1 / n^3: tr G = (n - 1) / n^2,
    // ||G||^2 = 1 / n^3 - 2 / n^4 + 1 / n^4 => df = n - 1 (the one-sample t).
    const int n = 7;
    const Eigen::MatrixXd N = Eigen::MatrixXd::Ones(n, 1);
    const double df = inf::empirical_df(N, N, Eigen::MatrixXd::Constant(1, 1, 1.0 / n),
                                        Eigen::VectorXd::Ones(1));
    expect_true(near(df, n - 1, 1e-10));
  }

  test_that("bad input is an InputError, not a crash") {
    const OneWayPieces o = one_way_pieces(5, 4, 0.7, 1.3);
    bool thrown = false;
    try {
      inf::kr_df(o.Phi, o.P, o.W, Eigen::MatrixXd::Zero(1, 1));  // rank 0
    } catch (const glycotrial::InputError&) {
      thrown = true;
    }
    expect_true(thrown);
    thrown = false;
    try {
      inf::kr_df(o.Phi, o.P, Eigen::MatrixXd::Identity(3, 3), Eigen::MatrixXd::Ones(1, 1));
    } catch (const glycotrial::InputError&) {
      thrown = true;
    }
    expect_true(thrown);
  }
}
