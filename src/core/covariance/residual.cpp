#include "core/covariance/residual.hpp"

#include <cmath>
#include <string>

#include "core/common/errors.hpp"
#include "core/common/plugin_registry.hpp"
#include "core/covariance/covariance.hpp"

namespace glycotrial {
namespace lmm {
namespace {

// sigma^2 I with theta = log sigma.
class IidResidual : public Residual {
 public:
  int n_theta() const override { return 1; }
  void sigma(const double* theta, const std::vector<double>& coords, const std::vector<int>&,
             Eigen::MatrixXd& S, std::vector<Eigen::MatrixXd>* dS) const override {
    const int m = static_cast<int>(coords.size());
    const double s2 = std::exp(2 * theta[0]);
    S = s2 * Eigen::MatrixXd::Identity(m, m);
    if (dS) dS->assign(1, 2 * s2 * Eigen::MatrixXd::Identity(m, m));
  }
  Eigen::VectorXd start() const override { return Eigen::VectorXd::Constant(1, std::log(0.7)); }
  bool is_iid() const override { return true; }
};

// A registered covariance plugin, looked up by key at every evaluation so
// that a plugin replaced with overwrite = TRUE is never called stale.
class PluginResidual : public Residual {
 public:
  PluginResidual(std::string key, int n_visits) : key_(std::move(key)), n_visits_(n_visits) {
    const glycotrial_covariance_v1* p = plugins::find_covariance(key_);
    require(p != nullptr, "formula",
            "no covariance structure '" + key_ + "' is registered (see glycotrial_plugins())");
    // Bounded (visits <= 1e4, parameters <= visits^2): a plugin reporting
    // 2e9 parameters is refused here, before anything is allocated.
    n_theta_ = plugins::checked_n_theta(*p, n_visits_);
  }
  int n_theta() const override { return n_theta_; }
  void sigma(const double* theta, const std::vector<double>& coords, const std::vector<int>&,
             Eigen::MatrixXd& S, std::vector<Eigen::MatrixXd>* dS) const override {
    const glycotrial_covariance_v1* p = plugins::find_covariance(key_);
    if (p == nullptr)
      throw InputError("covariance structure '" + key_ + "' was unregistered during the fit",
                       "formula");
    // the one plugin evaluation (with its finite-difference fallback) of
    // the MMRM engine
    const std::vector<double> th(theta, theta + n_theta_);
    mmrm::PluginCovariance(*p).sigma(th, n_visits_, coords, S, dS);
  }
  Eigen::VectorXd start() const override { return Eigen::VectorXd::Zero(n_theta_); }

 private:
  std::string key_;
  int n_visits_;
  int n_theta_ = 0;
};

// Bivariate responses: Cov(e_{r,t}, e_{r',t'}) = U[r,r'] * C(t, t'), with U
// 2x2 (log-Cholesky when unstructured, log standard deviations when
// diagonal) and C = identity (t == t') or AR(1) rho^|t - t'| with
// rho = tanh(theta_rho). Coordinates are visit indices.
class KroneckerResidual : public Residual {
 public:
  KroneckerResidual(bool us, bool ar1) : us_(us), ar1_(ar1) {}
  int n_theta() const override { return (us_ ? 3 : 2) + (ar1_ ? 1 : 0); }
  Eigen::VectorXd start() const override {
    Eigen::VectorXd s = Eigen::VectorXd::Zero(n_theta());
    s(0) = std::log(0.7);
    if (us_) s(2) = std::log(0.7); else s(1) = std::log(0.7);
    return s;
  }
  void sigma(const double* theta, const std::vector<double>& coords,
             const std::vector<int>& groups, Eigen::MatrixXd& S,
             std::vector<Eigen::MatrixXd>* dS) const override {
    const int m = static_cast<int>(coords.size());
    // U and dU/dtheta
    Eigen::Matrix2d L = Eigen::Matrix2d::Zero();
    std::vector<Eigen::Matrix2d> dL;
    if (us_) {
      L(0, 0) = std::exp(theta[0]);
      L(1, 0) = theta[1];
      L(1, 1) = std::exp(theta[2]);
      Eigen::Matrix2d e = Eigen::Matrix2d::Zero();
      e(0, 0) = L(0, 0); dL.push_back(e); e.setZero();
      e(1, 0) = 1; dL.push_back(e); e.setZero();
      e(1, 1) = L(1, 1); dL.push_back(e);
    } else {
      L(0, 0) = std::exp(theta[0]);
      L(1, 1) = std::exp(theta[1]);
      Eigen::Matrix2d e = Eigen::Matrix2d::Zero();
      e(0, 0) = L(0, 0); dL.push_back(e); e.setZero();
      e(1, 1) = L(1, 1); dL.push_back(e);
    }
    const Eigen::Matrix2d U = L * L.transpose();
    const int nu = static_cast<int>(dL.size());
    const double rho = ar1_ ? std::tanh(theta[nu]) : 0.0;
    Eigen::MatrixXd C(m, m), dC(m, m);
    for (int a = 0; a < m; ++a) {
      for (int b = 0; b < m; ++b) {
        const double lag = std::fabs(coords[a] - coords[b]);
        if (!ar1_) {
          C(a, b) = lag == 0 ? 1.0 : 0.0;
          dC(a, b) = 0;
        } else {
          C(a, b) = lag == 0 ? 1.0 : std::pow(rho, lag);
          dC(a, b) = lag == 0 ? 0.0 : lag * std::pow(rho, lag - 1) * (1 - rho * rho);
        }
      }
    }
    S.resize(m, m);
    for (int a = 0; a < m; ++a)
      for (int b = 0; b < m; ++b) S(a, b) = U(groups[a], groups[b]) * C(a, b);
    if (dS) {
      dS->assign(n_theta(), Eigen::MatrixXd(m, m));
      for (int j = 0; j < nu; ++j) {
        const Eigen::Matrix2d dU = dL[j] * L.transpose() + L * dL[j].transpose();
        for (int a = 0; a < m; ++a)
          for (int b = 0; b < m; ++b) (*dS)[j](a, b) = dU(groups[a], groups[b]) * C(a, b);
      }
      if (ar1_) {
        for (int a = 0; a < m; ++a)
          for (int b = 0; b < m; ++b) (*dS)[nu](a, b) = U(groups[a], groups[b]) * dC(a, b);
      }
    }
  }

 private:
  bool us_, ar1_;
};

}  // namespace

std::unique_ptr<Residual> make_residual(const ResidualSpec& spec) {
  switch (spec.type) {
    case ResidualType::Iid:
      return std::make_unique<IidResidual>();
    case ResidualType::Plugin:
      return std::make_unique<PluginResidual>(spec.plugin_key, spec.n_visits);
    case ResidualType::Kronecker:
      return std::make_unique<KroneckerResidual>(spec.kron_unstructured, spec.kron_ar1);
  }
  throw InputError("unknown residual structure", "residual");
}

}  // namespace lmm
}  // namespace glycotrial
