// Likelihood profiles of the variance components of the sparse LMM (several
// grouping factors, core/lmm/sparse_lmm.hpp), as lme4's profile.merMod: with
// one component on lme4's scale fixed (an SD, a correlation within a term's
// block, or the residual SD), the deviance deviance_sigma(theta, sigma) is
// minimised over all others by the bounded method of core/optim. This
// replaced an nlminb loop in R/lmm_sparse_profile.R over the components
// themselves (a Cholesky in R of every proposed covariance): the project has
// one optimiser, in C++, and the dense profile (profile.hpp) already used it.
//
// Free parameters: log sigma (unless sigma is the target), the theta entries
// outside the constrained row (diagonals of T_k >= 0, the others free), and
// the coordinates of the constrained row (ConstrainedRow,
// core/lmm/profile_row.hpp, shared with the dense profile) built on the
// ABSOLUTE row sigma * T_k[row, ], so that the fixed SD or correlation holds
// exactly whatever sigma is. A variance whose deviance is even in it (a
// scalar term's theta, sd_j of a correlation row) is stationary at 0, where
// the bounded method may stop: such end points are searched again from 0.01
// (and from an alternative start), see sparse_profile.cpp.
#pragma once

#include "core/lmm/lmm.hpp"      // FitOptions
#include "core/lmm/profile.hpp"  // VcTarget
#include "core/lmm/sparse_lmm.hpp"

namespace glycotrial {
namespace lmm {

struct SparseProfilePoint {
  double deviance = 0;    // deviance_sigma at the constrained optimum
  Eigen::VectorXd theta;  // lme4's theta there
  double sigma = 0;       // the residual SD there
  bool converged = false;
};

// target.block: the term; value: an SD or sigma on the response scale, or the
// correlation; (theta_start, sigma_start): e.g. the ML estimate or the
// previous profile point; (theta_alt, sigma_alt), optional: a second start
// (the ML estimate), searched from too when the first search ends with a
// variance at a stationary 0 where the second start has it away from 0. The
// deviance is the model's (ML for an ML model, as lme4 profiles).
SparseProfilePoint profile_variance_sparse(SparseModel& model, const VcTarget& target,
                                           double value, const Eigen::VectorXd& theta_start,
                                           double sigma_start, const FitOptions& options,
                                           const Eigen::VectorXd& theta_alt = Eigen::VectorXd(),
                                           double sigma_alt = 0);

}  // namespace lmm
}  // namespace glycotrial
