// Unconstrained minimisation for the LMM criterion: BFGS with a backtracking
// (Armijo) line search on the analytic gradient (Nocedal & Wright 2006,
// Algorithm 6.1), then a few Newton steps on a finite-difference Hessian of
// the analytic gradient to polish the optimum to ~1e-10 gradient norm.
#pragma once

#include <Eigen/Dense>

#include <functional>
#include <string>

namespace glycotrial {
namespace lmm {

// Returns f(x) and fills g; returns +inf (or NaN) where undefined.
using Objective = std::function<double(const Eigen::VectorXd& x, Eigen::VectorXd* g)>;

struct OptimResult {
  Eigen::VectorXd x;
  double f = 0;
  Eigen::VectorXd g;
  int iterations = 0;
  int evaluations = 0;
  bool converged = false;
  std::string message;
};

OptimResult minimise(const Objective& fn, Eigen::VectorXd x0, int max_iter, double grad_tol,
                     int newton_steps);

// Central-difference Hessian of an analytic gradient, symmetrised.
Eigen::MatrixXd numeric_hessian(const Objective& fn, const Eigen::VectorXd& x);

}  // namespace lmm
}  // namespace glycotrial
