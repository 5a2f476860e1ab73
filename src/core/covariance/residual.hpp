// Residual covariance of the linear mixed models (fit_lmm()), built from the
// same CovarianceModel structures (covariance.hpp) as the MMRM engine and the
// visit random-effect covariance. The structures the LMM adds:
//   iid       sigma^2 I, theta = log sigma                          1 param
//   logchol   U = L L' over d responses (coordinates: response index),
//             L lower triangular with L_ii = exp(theta), below the diagonal
//             theta, column by column; diagonal: L_ii only   d(d+1)/2 (d)
//   ar1_tanh  correlation tanh(theta)^|t - t'| in visit coordinates 1 param
//   identity  correlation [t == t'] (no parameters)
// A registered plugin (built-in or not) is RegisteredCovariance.
//
// ResidualCovariance is the LMM's view: one structure over the residual
// coordinates, or, for bivariate responses, the Kronecker product
// Cov(e_{r,t}, e_{r',t'}) = U[r, r'] C(t, t') of a structure U over the
// responses (groups 0/1) and a correlation C over the visits. It holds no
// structure maths of its own: it only combines what the structures return.
#pragma once

#include <Eigen/Dense>

#include <memory>
#include <vector>

#include "core/covariance/covariance.hpp"
#include "core/lmm/lmm.hpp"

namespace glycotrial {
namespace mmrm {

std::unique_ptr<CovarianceModel> make_iid_covariance();
std::unique_ptr<CovarianceModel> make_logchol_covariance(int dim, bool diagonal);
std::unique_ptr<CovarianceModel> make_ar1_tanh_correlation();
std::unique_ptr<CovarianceModel> make_identity_correlation();

class ResidualCovariance {
 public:
  // over_groups == nullptr: `structure` alone, over the residual coordinates.
  ResidualCovariance(std::unique_ptr<CovarianceModel> structure, int n_visits,
                     std::unique_ptr<CovarianceModel> over_groups = nullptr, int n_groups = 0);
  int n_theta() const { return n_theta_; }
  bool is_iid() const;
  // Covariance of one subject's residuals at coords (response index per row
  // in groups for the Kronecker form) and, when dS != nullptr, its n_theta
  // derivatives (the structures' analytic ones or their one
  // finite-difference fallback).
  void sigma(const double* theta, const std::vector<double>& coords,
             const std::vector<int>& groups, Eigen::MatrixXd& S,
             std::vector<Eigen::MatrixXd>* dS) const;
  // Start for a standardised response (unit residual variance, of which the
  // residual takes 0.49 and the random effects the rest): each structure's
  // start() from that empirical covariance (a registered structure: the
  // built-in start of its key, zeros for a user's plugin).
  Eigen::VectorXd start() const;

 private:
  std::unique_ptr<CovarianceModel> structure_;  // over visits / times
  int n_visits_;
  std::unique_ptr<CovarianceModel> over_groups_;  // over responses, or nullptr
  int n_groups_;
  int n_structure_ = 0, n_theta_ = 0;
};

}  // namespace mmrm

namespace lmm {
std::unique_ptr<mmrm::ResidualCovariance> make_residual(const ResidualSpec& spec);
}  // namespace lmm
}  // namespace glycotrial
