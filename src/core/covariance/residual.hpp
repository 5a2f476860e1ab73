// Residual covariance models of the LMM core: iid (sigma^2 I), a registered
// covariance plugin (glycotrial_covariance_v1, see plugin_api.h), and the
// bivariate Kronecker structure U (x) C(t) used by the joint model.
#pragma once

#include <Eigen/Dense>

#include <vector>

#include "core/lmm/lmm.hpp"

struct glycotrial_covariance_v1;

namespace glycotrial {
namespace lmm {

class Residual {
 public:
  virtual ~Residual() = default;
  virtual int n_theta() const = 0;
  // Covariance of one subject's residuals at the given coordinates; when dS is
  // non-null also the n_theta derivative matrices.
  virtual void sigma(const double* theta, const std::vector<double>& coords,
                     const std::vector<int>& groups, Eigen::MatrixXd& S,
                     std::vector<Eigen::MatrixXd>* dS) const = 0;
  // Start values for a standardised response (unit residual variance).
  virtual Eigen::VectorXd start() const = 0;
  virtual bool is_iid() const { return false; }
};

std::unique_ptr<Residual> make_residual(const ResidualSpec& spec);

}  // namespace lmm
}  // namespace glycotrial
