// Likelihood profiles of variance components on lme4's scale (standard
// deviations of the random effects, their correlations within a block, and
// the residual standard deviation), as profile.merMod / confint(method =
// "profile") in lme4 (Bates et al. 2015, sec. 5.1).
//
// The profiled deviance at a fixed value of one component is minimised over
// all other variance parameters (beta profiled out in closed form) by
// re-parametrising the affected row of the block's Cholesky factor L so that
// the constraint holds exactly (ConstrainedRow, core/lmm/profile_row.hpp,
// shared with the sparse profile); the residual sd fixes the (iid) residual
// parameter. Other rows keep the log-Cholesky parametrisation. The gradient
// is the analytic deviance gradient times the Jacobian of this (cheap) map
// by central differences.
#pragma once

#include "core/lmm/lmm.hpp"  // Eigen, Model

namespace glycotrial {
namespace lmm {

enum class VcKind { Sd, Cor, Sigma };

struct VcTarget {
  VcKind kind = VcKind::Sd;
  int block = 0;  // index of the random-effect block (Sd, Cor)
  int i = 0;      // effect within the block (Sd: the effect; Cor: the smaller index)
  int j = 0;      // Cor: the larger index
};

struct ProfilePoint {
  double deviance = 0;
  Eigen::VectorXd theta;  // absolute theta at the constrained optimum
  bool converged = false;
};

// value: sd or sigma on the original response scale, or the correlation.
// start: absolute theta (e.g. the unconstrained estimate).
ProfilePoint profile_variance(const Model& model, const VcTarget& target, double value,
                              const Eigen::VectorXd& start, const FitOptions& options);

}  // namespace lmm
}  // namespace glycotrial
