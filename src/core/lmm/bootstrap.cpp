#include "core/lmm/bootstrap.hpp"

#include <cmath>
#include <limits>
#include <random>

#include "core/common/errors.hpp"
#include "core/lmm/bvn.hpp"

namespace glycotrial {
namespace lmm {

namespace {

// Standard normal deviates by Box-Muller on the 53-bit uniforms of
// mt19937_64 (std::normal_distribution is implementation-defined).
class Normal {
 public:
  explicit Normal(std::uint64_t seed) : eng_(seed) {}
  double operator()() {
    if (have_) {
      have_ = false;
      return spare_;
    }
    double u1;
    do {
      u1 = static_cast<double>(eng_() >> 11) * 0x1.0p-53;
    } while (u1 <= 0);
    const double u2 = static_cast<double>(eng_() >> 11) * 0x1.0p-53;
    const double r = std::sqrt(-2 * std::log(u1)), a = 2 * M_PI * u2;
    spare_ = r * std::sin(a);
    have_ = true;
    return r * std::cos(a);
  }

 private:
  std::mt19937_64 eng_;
  bool have_ = false;
  double spare_ = 0;
};

}  // namespace

Eigen::VectorXd composite_probability(const Model& model, const Eigen::VectorXd& theta,
                                      const Eigen::VectorXd& beta, const CompositeSpec& spec) {
  require(spec.zt.rows() == 2 && spec.zt.cols() == model.n_random(), "spec",
          "the target random-effect design must be 2 x q");
  const Eigen::MatrixXd G = model.g_matrix(theta);
  const Eigen::MatrixXd R = model.residual_cov(theta, {spec.target, spec.target}, {0, 1});
  const Eigen::MatrixXd V = spec.zt * G * spec.zt.transpose() + R;
  const double s1 = std::sqrt(V(0, 0)), s2 = std::sqrt(V(1, 1));
  const double rho = V(0, 1) / (s1 * s2);
  Eigen::VectorXd out(spec.arms.size());
  for (size_t a = 0; a < spec.arms.size(); ++a) {
    const CompositeArm& arm = spec.arms[a];
    require(arm.X1.cols() == beta.size() && arm.X2.cols() == beta.size(), "spec",
            "prediction rows must have one column per fixed effect");
    const Eigen::VectorXd m1 = arm.X1 * beta, m2 = arm.X2 * beta;
    double sum = 0;
    for (Eigen::Index k = 0; k < m1.size(); ++k)
      sum += bvn_cdf((arm.c1(k) - m1(k)) / s1, (arm.c2(k) - m2(k)) / s2, rho);
    out(a) = sum / static_cast<double>(m1.size());
  }
  return out;
}

Eigen::MatrixXd bootstrap_composite(const Data& data, const Eigen::VectorXd& theta,
                                    const Eigen::VectorXd& beta, const CompositeSpec& spec,
                                    int n_boot, std::uint64_t seed, const FitOptions& options) {
  require(n_boot >= 1, "n_boot", "must be at least 1");
  // Marginal covariance factors per subject at the fitted parameters.
  Data d0 = data;
  Model fitted(d0);
  require(theta.size() == fitted.n_theta(false), "theta", "wrong number of parameters");
  require(beta.size() == fitted.n_fixed(), "beta", "wrong number of fixed effects");
  const Eigen::MatrixXd G = fitted.g_matrix(theta);
  const int ns = fitted.n_subjects();
  std::vector<Eigen::MatrixXd> Ls(ns);
  for (int i = 0; i < ns; ++i) {
    const int a = data.subject_start[i], m = data.subject_start[i + 1] - a;
    std::vector<double> co(data.coords.begin() + a, data.coords.begin() + a + m);
    std::vector<int> gr = data.groups.empty()
                              ? std::vector<int>(m, 0)
                              : std::vector<int>(data.groups.begin() + a, data.groups.begin() + a + m);
    const Eigen::MatrixXd Zi = data.Z.middleRows(a, m);
    Eigen::MatrixXd Ri = fitted.residual_cov(theta, co, gr);
    if (!data.weights.empty()) {
      // W^{-1/2} R W^{-1/2}
      for (int k = 0; k < m; ++k) {
        const double s = 1 / std::sqrt(data.weights[a + k]);
        Ri.row(k) *= s;
        Ri.col(k) *= s;
      }
    }
    const Eigen::MatrixXd V = Zi * G * Zi.transpose() + Ri;
    Eigen::LLT<Eigen::MatrixXd> llt(V);
    if (llt.info() != Eigen::Success)
      throw NumericalError("the fitted marginal covariance is not positive definite", "object");
    Ls[i] = llt.matrixL();
  }
  const Eigen::VectorXd mu = data.X * beta;
  Normal rnorm(seed);
  Eigen::MatrixXd out(n_boot, spec.arms.size());
  for (int b = 0; b < n_boot; ++b) {
    Data db = data;
    for (int i = 0; i < ns; ++i) {
      const int a = data.subject_start[i], m = data.subject_start[i + 1] - a;
      Eigen::VectorXd z(m);
      for (int k = 0; k < m; ++k) z(k) = rnorm();
      db.y.segment(a, m) = mu.segment(a, m) + Ls[i] * z;
    }
    try {
      Model mb(std::move(db));
      FitResult f = mb.fit(options);
      if (!f.converged || !f.eval.ok) {
        out.row(b).setConstant(std::numeric_limits<double>::quiet_NaN());
        continue;
      }
      out.row(b) = composite_probability(mb, f.theta_absolute, f.eval.beta, spec).transpose();
    } catch (const NumericalError&) {
      out.row(b).setConstant(std::numeric_limits<double>::quiet_NaN());
    } catch (const ConvergenceError&) {
      out.row(b).setConstant(std::numeric_limits<double>::quiet_NaN());
    }
  }
  return out;
}

}  // namespace lmm
}  // namespace glycotrial
