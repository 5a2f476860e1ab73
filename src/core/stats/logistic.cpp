#include "core/stats/logistic.hpp"

#include <cmath>

#include "core/common/errors.hpp"

namespace glycotrial {
namespace stats {

namespace {
double expit(double e) { return e >= 0 ? 1.0 / (1.0 + std::exp(-e)) : std::exp(e) / (1.0 + std::exp(e)); }
}  // namespace

LogisticFit logistic_fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int max_iter,
                         double tol) {
  const Eigen::Index n = X.rows(), p = X.cols();
  require(n == y.size(), "data", "the design matrix and the response differ in length");
  require(n > p, "data", "needs more subjects than model coefficients");
  for (Eigen::Index i = 0; i < n; ++i)
    require(y(i) == 0.0 || y(i) == 1.0, "response", "must be 0/1");
  // Rank check up front: a singular design is an input problem.
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(X);
  require(qr.rank() == p, "formula",
          "gives a rank-deficient design (collinear or constant covariates)");
  LogisticFit f;
  f.beta = Eigen::VectorXd::Zero(p);
  double dev_old = 1e300;
  f.converged = false;
  f.iterations = 0;
  Eigen::VectorXd mu(n), w(n), z(n);
  auto deviance = [&](const Eigen::VectorXd& m) {
    double d = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double mi = std::min(1 - 1e-300, std::max(1e-300, m(i)));
      d -= 2 * (y(i) * std::log(mi) + (1 - y(i)) * std::log(1 - mi));
    }
    return d;
  };
  // Start from the glm() initial values: mu = (y + 0.5) / 2.
  for (Eigen::Index i = 0; i < n; ++i) mu(i) = (y(i) + 0.5) / 2;
  Eigen::VectorXd eta = (mu.array() / (1 - mu.array())).log().matrix();
  for (int it = 1; it <= max_iter; ++it) {
    for (Eigen::Index i = 0; i < n; ++i) {
      w(i) = std::max(mu(i) * (1 - mu(i)), 1e-12);
      z(i) = eta(i) + (y(i) - mu(i)) / w(i);
    }
    Eigen::MatrixXd XtW = X.transpose() * w.asDiagonal();
    Eigen::LDLT<Eigen::MatrixXd> ldlt(XtW * X);
    f.beta = ldlt.solve(XtW * z);
    eta = X * f.beta;
    for (Eigen::Index i = 0; i < n; ++i) mu(i) = expit(eta(i));
    const double dev = deviance(mu);
    f.iterations = it;
    // glm.fit's criterion.
    if (std::abs(dev - dev_old) / (std::abs(dev) + 0.1) < tol) {
      f.converged = true;
      dev_old = dev;
      break;
    }
    dev_old = dev;
  }
  f.deviance = dev_old;
  f.fitted = mu;
  f.boundary = false;
  for (Eigen::Index i = 0; i < n; ++i) {
    w(i) = mu(i) * (1 - mu(i));
    if (mu(i) < 1e-10 || mu(i) > 1 - 1e-10) f.boundary = true;
  }
  const Eigen::MatrixXd info = X.transpose() * w.asDiagonal() * X;
  Eigen::LDLT<Eigen::MatrixXd> ldlt(info);
  if (ldlt.info() != Eigen::Success || !(ldlt.vectorD().minCoeff() > 0)) {
    throw NumericalError("the Fisher information is singular (complete separation?)", "data");
  }
  f.vcov = ldlt.solve(Eigen::MatrixXd::Identity(p, p));
  const Eigen::VectorXd r = y - mu;
  const Eigen::MatrixXd meat = X.transpose() * r.array().square().matrix().asDiagonal() * X;
  f.vcov_hc0 = f.vcov * meat * f.vcov;
  return f;
}

Gcomp gcomp_risk_difference(const LogisticFit& fit, const Eigen::MatrixXd& X,
                            const Eigen::VectorXd& y, int treat_col, GcompVariance v) {
  const Eigen::Index n = X.rows(), p = X.cols();
  require(treat_col >= 0 && treat_col < p, "arm", "treatment column out of range");
  Eigen::MatrixXd X1 = X, X0 = X;
  X1.col(treat_col).setOnes();
  X0.col(treat_col).setZero();
  Eigen::VectorXd p1(n), p0(n);
  Eigen::VectorXd eta1 = X1 * fit.beta, eta0 = X0 * fit.beta;
  for (Eigen::Index i = 0; i < n; ++i) {
    p1(i) = expit(eta1(i));
    p0(i) = expit(eta0(i));
  }
  Gcomp g;
  g.p1 = p1.mean();
  g.p0 = p0.mean();
  g.rd = g.p1 - g.p0;
  // d mean(p_a) / d beta = mean(p_a (1 - p_a) x_a).
  const Eigen::VectorXd d1 = X1.transpose() * (p1.array() * (1 - p1.array())).matrix() / n;
  const Eigen::VectorXd d0 = X0.transpose() * (p0.array() * (1 - p0.array())).matrix() / n;
  const Eigen::VectorXd dd = d1 - d0;
  if (v == GcompVariance::Model) {
    g.se_p1 = std::sqrt(d1.dot(fit.vcov * d1));
    g.se_p0 = std::sqrt(d0.dot(fit.vcov * d0));
    g.se_rd = std::sqrt(dd.dot(fit.vcov * dd));
  } else {
    // Influence functions: IF_i(m_a) = p_a,i - m_a + d_a' (n * vcov) x_i (y_i - mu_i).
    const Eigen::VectorXd r = y - fit.fitted;
    const Eigen::VectorXd score_dir1 = X * (fit.vcov * d1) * static_cast<double>(n);
    const Eigen::VectorXd score_dir0 = X * (fit.vcov * d0) * static_cast<double>(n);
    double s1 = 0, s0 = 0, sd = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double if1 = p1(i) - g.p1 + score_dir1(i) * r(i);
      const double if0 = p0(i) - g.p0 + score_dir0(i) * r(i);
      s1 += if1 * if1;
      s0 += if0 * if0;
      sd += (if1 - if0) * (if1 - if0);
    }
    const double n2 = static_cast<double>(n) * static_cast<double>(n);
    g.se_p1 = std::sqrt(s1 / n2);
    g.se_p0 = std::sqrt(s0 / n2);
    g.se_rd = std::sqrt(sd / n2);
  }
  return g;
}

}  // namespace stats
}  // namespace glycotrial
