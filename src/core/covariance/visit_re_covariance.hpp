// Marginal covariance of a linear mixed model whose random-effect design
// depends only on the visit (fit_lmm() on out-of-core data, R/lmm_moments.R):
// at visit indices c (0-based, into the k visit values),
//   Sigma = Z[c, ] G Z[c, ]' + R[c, c],
// Z the k x q random design at the k visits, G block diagonal with blocks
// G_b = L_b L_b' (log-Cholesky: diagonal of L_b = exp(theta), below it theta,
// column by column), and R = exp(2 theta_r) I or a registered residual
// structure evaluated at visit coordinates residual_coords[c]. The MMRM
// pattern-moment engine fits it like any covariance structure.
#pragma once

#include <Eigen/Dense>

#include <memory>
#include <string>
#include <vector>

#include "core/covariance/covariance.hpp"
#include "core/covariance/log_cholesky.hpp"

namespace glycotrial {
namespace mmrm {

class VisitRandomEffectsCovariance : public CovarianceModel {
 public:
  // residual == nullptr: iid residual with one parameter (log sigma).
  VisitRandomEffectsCovariance(Eigen::MatrixXd Z, std::vector<int> blocks,
                               std::unique_ptr<CovarianceModel> residual,
                               std::vector<double> residual_coords);
  std::string key() const override { return "lmm_moments"; }
  bool spatial() const override { return false; }
  int n_theta(int n_visits) const override;
  void sigma(const std::vector<double>& theta, int n_visits, const std::vector<double>& coords,
             Eigen::MatrixXd& sigma, std::vector<Eigen::MatrixXd>* dsigma) const override;
  int n_theta_g() const { return n_g_; }

 private:
  Eigen::MatrixXd Z_;
  std::vector<int> blocks_;
  std::unique_ptr<CovarianceModel> residual_;
  std::vector<double> residual_coords_;
  int n_g_ = 0;
  // (row, column) of L for each G parameter
  std::vector<CholeskyEntry> pos_;  // log-Cholesky entries of G
};

}  // namespace mmrm
}  // namespace glycotrial
