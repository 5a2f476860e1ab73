// Several grouping factors plus a residual covariance structure
// (`y ~ ... + (1 | SITE) + (1 | USUBJID) + ar1(AVISIT | USUBJID)`).
//
// R = sigma^2 C, block diagonal by the residual structure's subject, C_i =
// C(theta_r) at the subject's visit coordinates. For given theta_r every
// subject block of X, y and Z is whitened by L_i^-1 (C_i = L_i L_i'); the
// whitened model has iid residuals, so its profiled deviance is the sparse
// core's (Bates et al. 2015) and
//   deviance(theta_re, theta_r) = deviance_white(theta_re) + log|C|
// (REML and ML alike: X' V^-1 X is unchanged by the whitening). With weights
// C_w = W^-1/2 C W^-1/2, so L_w^-1 = L^-1 W^1/2 and log|C_w| = log|C| - sum log w.
// The overall scale of C is not identifiable next to sigma^2: the first
// residual parameter (the log SD of the homogeneous structures) is held at 0,
// and (theta_re, the other residual parameters) are optimised jointly by the
// bounded method of core/optim. C_i depends only on the subject's visit
// pattern, so one factorisation serves all subjects of a pattern, and the
// whitened Z keeps its sparsity pattern across theta_r (explicit zeros are
// kept), so the symbolic analysis of the sparse Cholesky is done once.
#pragma once

#include <Eigen/Dense>
#include <Eigen/SparseCore>

#include "core/lmm/sparse_lmm.hpp"
#include "core/optim/optim.hpp"

#include <functional>
#include <vector>

namespace glycotrial {
namespace lmm {

struct SparseResidualData {
  SparseData model;                   // X, y, Z, terms, reml, optional weights
  std::vector<int> subject_start;     // row offsets of the residual subjects (size n_subjects + 1)
  std::vector<int> subject_pattern;   // visit pattern of each subject (-1: no rows)
  std::vector<std::vector<double>> pattern_coords;  // visit coordinates of each pattern
  int n_theta_r = 0;                  // parameters of the residual structure
};

// C(theta_r) at the coordinates, relative to sigma^2 (the first residual
// parameter held at 0 makes it a correlation matrix for homogeneous structures).
using BlockCovariance =
    std::function<Eigen::MatrixXd(const Eigen::VectorXd& theta_r, const std::vector<double>& coords)>;

class SparseResidualModel {
 public:
  SparseResidualModel(SparseResidualData data, BlockCovariance covariance);

  int n_theta_re() const { return white_.n_theta(); }
  int n_free() const { return std::max(data_.n_theta_r - 1, 0); }
  // (theta_re lower bounds, -inf for the free residual parameters)
  Eigen::VectorXd lower() const;
  // theta_r from its free parameters (the first one held at 0)
  Eigen::VectorXd theta_r(const Eigen::VectorXd& free) const;
  // Deviance at par = (theta_re, free residual parameters); +inf where a C_i
  // is not positive definite or the whitened model cannot be evaluated.
  double deviance(const Eigen::VectorXd& par);
  // One run of the bounded method from `start`.
  optim::Result minimise(const Eigen::VectorXd& start, int max_iter, double grad_tol);

  // The whitened design at theta_r (for the fit's outputs and the
  // Satterthwaite df): W X, W y, W Z, log|C| (weights included) and the
  // unweighted factor L_p of each visit pattern. ok = false when a C_i is not
  // positive definite.
  struct Whitened {
    bool ok = false;
    Eigen::MatrixXd X;
    Eigen::VectorXd y;
    Eigen::SparseMatrix<double> Z;
    double logdet = 0;
    std::vector<Eigen::MatrixXd> L;
  };
  Whitened whitened(const Eigen::VectorXd& theta_r) const;

 private:
  // W = blockdiag(L_i^-1) diag(sqrt w), log|C| and each pattern's factor L at
  // theta_r; false when a C_i is not positive definite.
  bool whitening(const Eigen::VectorXd& theta_r, Eigen::SparseMatrix<double>* W, double* logdet,
                 std::vector<Eigen::MatrixXd>* L) const;

  SparseResidualData data_;
  BlockCovariance covariance_;
  Eigen::VectorXd sqrt_w_;      // empty without weights
  double log_w_sum_ = 0;
  std::vector<int> pattern_size_;
  std::vector<int> pattern_count_;
  SparseModel white_;
};

}  // namespace lmm
}  // namespace glycotrial
