#include "core/covariance/visit_re_covariance.hpp"

#include <cmath>

#include "core/common/errors.hpp"
#include "core/covariance/log_cholesky.hpp"

namespace glycotrial {
namespace mmrm {

VisitRandomEffectsCovariance::VisitRandomEffectsCovariance(Eigen::MatrixXd Z,
                                                           std::vector<int> blocks,
                                                           std::unique_ptr<CovarianceModel> residual,
                                                           std::vector<double> residual_coords)
    : Z_(std::move(Z)),
      blocks_(std::move(blocks)),
      residual_(std::move(residual)),
      residual_coords_(std::move(residual_coords)) {
  int q = 0;
  for (int b : blocks_) {
    if (b < 1) throw InputError("random-effect blocks must have at least one column", "blocks");
    q += b;
  }
  pos_ = log_cholesky_entries(blocks_);
  if (q != Z_.cols())
    throw InputError("the random-effect blocks (" + std::to_string(q) +
                         " columns) do not match Z (" + std::to_string(Z_.cols()) + ")",
                     "blocks");
  if (residual_ && static_cast<Eigen::Index>(residual_coords_.size()) != Z_.rows())
    throw InputError("one residual coordinate per visit is needed", "residual_coords");
  n_g_ = static_cast<int>(pos_.size());
}

int VisitRandomEffectsCovariance::n_theta(int) const {
  const int k = static_cast<int>(Z_.rows());
  return n_g_ + (residual_ ? residual_->n_theta(k) : 1);
}

void VisitRandomEffectsCovariance::sigma(const std::vector<double>& theta, int,
                                         const std::vector<double>& coords, Eigen::MatrixXd& S,
                                         std::vector<Eigen::MatrixXd>* dS) const {
  const int k = static_cast<int>(Z_.rows());
  const int q = static_cast<int>(Z_.cols());
  const int m = static_cast<int>(coords.size());
  const int n_r = residual_ ? residual_->n_theta(k) : 1;
  if (static_cast<int>(theta.size()) != n_g_ + n_r)
    throw InputError("expected " + std::to_string(n_g_ + n_r) + " parameters", "theta");
  const Eigen::MatrixXd L = log_cholesky_factor(theta.data(), pos_, q);
  Eigen::MatrixXd Zi(m, q);
  for (int a = 0; a < m; ++a) {
    const int v = static_cast<int>(coords[a]);
    if (v < 0 || v >= k) throw InputError("visit index out of range", "coords");
    Zi.row(a) = Z_.row(v);
  }
  const Eigen::MatrixXd ZL = Zi * L;
  S = ZL * ZL.transpose();
  std::vector<double> th_r(theta.begin() + n_g_, theta.end());
  if (dS) {
    dS->clear();
    dS->reserve(n_g_ + n_r);
    // d(L L') = E L' + L E' with E the unit matrix at (a, b) (times L_aa on
    // the diagonal, where L_aa = exp(theta)); Zi E L' Zi' = z_a (ZL_b)'.
    for (int r = 0; r < n_g_; ++r) {
      const int a = pos_[r].first, b = pos_[r].second;
      const double c = log_cholesky_slope(L, pos_[r]);
      Eigen::MatrixXd D = c * Zi.col(a) * ZL.col(b).transpose();
      dS->push_back(D + D.transpose());
    }
  }
  if (!residual_) {
    const double s2 = std::exp(2.0 * th_r[0]);
    S.diagonal().array() += s2;
    if (dS) dS->push_back(2.0 * s2 * Eigen::MatrixXd::Identity(m, m));
  } else {
    std::vector<double> rc(m);
    for (int a = 0; a < m; ++a) rc[a] = residual_coords_[static_cast<int>(coords[a])];
    Eigen::MatrixXd R;
    std::vector<Eigen::MatrixXd> dR;
    residual_->sigma(th_r, k, rc, R, dS ? &dR : nullptr);
    S += R;
    if (dS)
      for (auto& d : dR) dS->push_back(std::move(d));
  }
  if (!S.allFinite()) throw NumericalError("the marginal covariance is not finite");
}

}  // namespace mmrm
}  // namespace glycotrial
