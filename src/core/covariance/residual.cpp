#include "core/covariance/residual.hpp"

#include <cmath>
#include <string>

#include "core/common/errors.hpp"
#include "core/covariance/log_cholesky.hpp"

namespace glycotrial {
namespace mmrm {
namespace {

using Eigen::MatrixXd;

// Structures of the LMM residual that are not plugins: no visit count, no
// registry entry (they are not offered as formula terms of mmrm_fit()).
class LmmStructure : public CovarianceModel {
 public:
  bool spatial() const override { return false; }
};

// sigma^2 I with theta = log sigma.
class IidCovariance : public LmmStructure {
 public:
  std::string key() const override { return "iid"; }
  int n_theta(int) const override { return 1; }
  void sigma(const std::vector<double>& theta, int, const std::vector<double>& coords,
             MatrixXd& S, std::vector<MatrixXd>* dS) const override {
    const int m = static_cast<int>(coords.size());
    const double s2 = std::exp(2 * theta[0]);
    S = s2 * MatrixXd::Identity(m, m);
    if (dS) dS->assign(1, 2 * s2 * MatrixXd::Identity(m, m));
  }
  // log of the root mean variance
  std::vector<double> start(const MatrixXd& S, double) const override {
    return {std::log(std::sqrt(S.diagonal().mean()))};
  }
};

// U = L L' (log-Cholesky); coordinates are the response indices.
class LogCholeskyCovariance : public LmmStructure {
 public:
  LogCholeskyCovariance(int dim, bool diagonal)
      : d_(dim), diagonal_(diagonal), pos_(log_cholesky_entries({dim}, diagonal)) {}
  std::string key() const override { return diagonal_ ? "logchol_diag" : "logchol"; }
  int n_theta(int) const override { return static_cast<int>(pos_.size()); }
  void sigma(const std::vector<double>& theta, int, const std::vector<double>& coords,
             MatrixXd& S, std::vector<MatrixXd>* dS) const override {
    const MatrixXd L = log_cholesky_factor(theta.data(), pos_, d_);
    const MatrixXd U = L * L.transpose();
    const int m = static_cast<int>(coords.size());
    auto at = [&](const MatrixXd& A, MatrixXd& out) {
      out.resize(m, m);
      for (int a = 0; a < m; ++a)
        for (int b = 0; b < m; ++b)
          out(a, b) = A(static_cast<int>(coords[a]), static_cast<int>(coords[b]));
    };
    at(U, S);
    if (dS) {
      dS->assign(pos_.size(), MatrixXd());
      for (size_t r = 0; r < pos_.size(); ++r) {
        const int i = pos_[r].first, j = pos_[r].second;
        MatrixXd dL = MatrixXd::Zero(d_, d_);
        dL(i, j) = log_cholesky_slope(L, pos_[r]);
        at(MatrixXd(dL * L.transpose() + L * dL.transpose()), (*dS)[r]);
      }
    }
  }
  // Cholesky factor of the empirical covariance (its diagonal when diagonal).
  std::vector<double> start(const MatrixXd& S, double) const override {
    return log_cholesky_parameters(S.llt().matrixL(), pos_);
  }

 private:
  int d_;
  bool diagonal_;
  std::vector<CholeskyEntry> pos_;  // (row, column) of L per parameter
};

// rho^|t - t'| with rho = tanh(theta), or the identity (no parameters).
class VisitCorrelation : public LmmStructure {
 public:
  explicit VisitCorrelation(bool ar1) : ar1_(ar1) {}
  std::string key() const override { return ar1_ ? "ar1_tanh" : "identity"; }
  int n_theta(int) const override { return ar1_ ? 1 : 0; }
  void sigma(const std::vector<double>& theta, int, const std::vector<double>& coords,
             MatrixXd& C, std::vector<MatrixXd>* dC) const override {
    const int m = static_cast<int>(coords.size());
    const double rho = ar1_ ? std::tanh(theta[0]) : 0.0;
    C.resize(m, m);
    MatrixXd D(m, m);
    for (int a = 0; a < m; ++a) {
      for (int b = 0; b < m; ++b) {
        const double lag = std::fabs(coords[a] - coords[b]);
        if (!ar1_) {
          C(a, b) = lag == 0 ? 1.0 : 0.0;
          D(a, b) = 0;
        } else {
          C(a, b) = lag == 0 ? 1.0 : std::pow(rho, lag);
          D(a, b) = lag == 0 ? 0.0 : lag * std::pow(rho, lag - 1) * (1 - rho * rho);
        }
      }
    }
    if (dC) dC->assign(n_theta(0), D);
  }
  // atanh of the mean lag-one correlation
  std::vector<double> start(const MatrixXd& S, double) const override {
    if (!ar1_) return {};
    double r = 0;
    const int k = static_cast<int>(S.rows());
    for (int i = 0; i + 1 < k; ++i) r += S(i + 1, i) / std::sqrt(S(i, i) * S(i + 1, i + 1));
    return {std::atanh(k > 1 ? r / (k - 1) : 0.0)};
  }

 private:
  bool ar1_;
};

}  // namespace

std::unique_ptr<CovarianceModel> make_iid_covariance() { return std::make_unique<IidCovariance>(); }
std::unique_ptr<CovarianceModel> make_logchol_covariance(int dim, bool diagonal) {
  return std::make_unique<LogCholeskyCovariance>(dim, diagonal);
}
std::unique_ptr<CovarianceModel> make_ar1_tanh_correlation() {
  return std::make_unique<VisitCorrelation>(true);
}
std::unique_ptr<CovarianceModel> make_identity_correlation() {
  return std::make_unique<VisitCorrelation>(false);
}

ResidualCovariance::ResidualCovariance(std::unique_ptr<CovarianceModel> structure, int n_visits,
                                       std::unique_ptr<CovarianceModel> over_groups, int n_groups)
    : structure_(std::move(structure)),
      n_visits_(n_visits),
      over_groups_(std::move(over_groups)),
      n_groups_(n_groups) {
  n_structure_ = structure_->n_theta(n_visits_);
  n_theta_ = n_structure_ + (over_groups_ ? over_groups_->n_theta(n_groups_) : 0);
}

void ResidualCovariance::sigma(const double* theta, const std::vector<double>& coords,
                               const std::vector<int>& groups, MatrixXd& S,
                               std::vector<MatrixXd>* dS) const {
  if (!over_groups_) {
    structure_->sigma(std::vector<double>(theta, theta + n_theta_), n_visits_, coords, S, dS);
    return;
  }
  // U (x) C: theta = (theta_U, theta_C); rows pair (groups[a], coords[a])
  const int nu = n_theta_ - n_structure_;
  const int m = static_cast<int>(coords.size());
  std::vector<double> g(groups.begin(), groups.end());
  MatrixXd U, C;
  std::vector<MatrixXd> dU, dC;
  over_groups_->sigma(std::vector<double>(theta, theta + nu), n_groups_, g, U, dS ? &dU : nullptr);
  structure_->sigma(std::vector<double>(theta + nu, theta + n_theta_), n_visits_, coords, C,
                    dS ? &dC : nullptr);
  S = U.cwiseProduct(C);
  if (dS) {
    dS->assign(n_theta_, MatrixXd(m, m));
    for (int j = 0; j < nu; ++j) (*dS)[j] = dU[j].cwiseProduct(C);
    for (int j = 0; j < n_structure_; ++j) (*dS)[nu + j] = U.cwiseProduct(dC[j]);
  }
}

bool ResidualCovariance::is_iid() const {
  return !over_groups_ && dynamic_cast<const IidCovariance*>(structure_.get()) != nullptr;
}

Eigen::VectorXd ResidualCovariance::start() const {
  std::vector<double> th;
  if (!over_groups_) {
    th = is_iid() ? structure_->start(MatrixXd::Constant(1, 1, 0.49), 0.49)
                  : structure_->start(0.49 * MatrixXd::Identity(n_visits_, n_visits_), 0.49);
  } else {
    th = over_groups_->start(0.49 * MatrixXd::Identity(n_groups_, n_groups_), 0.49);
    const std::vector<double> c = structure_->start(MatrixXd::Identity(2, 2), 1.0);
    th.insert(th.end(), c.begin(), c.end());
  }
  return Eigen::Map<const Eigen::VectorXd>(th.data(), static_cast<Eigen::Index>(th.size()));
}

}  // namespace mmrm

namespace lmm {

std::unique_ptr<mmrm::ResidualCovariance> make_residual(const ResidualSpec& spec) {
  using mmrm::ResidualCovariance;
  switch (spec.type) {
    case ResidualType::Iid:
      return std::make_unique<ResidualCovariance>(mmrm::make_iid_covariance(), 0);
    case ResidualType::Plugin:
      return std::make_unique<ResidualCovariance>(
          std::make_unique<mmrm::RegisteredCovariance>(spec.plugin_key, spec.n_visits),
          spec.n_visits);
    case ResidualType::Kronecker:
      return std::make_unique<ResidualCovariance>(
          spec.kron_ar1 ? mmrm::make_ar1_tanh_correlation() : mmrm::make_identity_correlation(), 0,
          mmrm::make_logchol_covariance(2, !spec.kron_unstructured), 2);
  }
  throw InputError("unknown residual structure", "residual");
}

}  // namespace lmm
}  // namespace glycotrial
