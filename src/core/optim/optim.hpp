// The optimisers of the C++ core (one folder, so that a new model finds
// them): minimise() is unconstrained BFGS with a backtracking (Armijo) line
// search on an analytic gradient (Nocedal & Wright 2006, Algorithm 6.1), then
// a few Newton steps on a finite-difference Hessian of that gradient to
// polish the optimum to ~1e-10 gradient norm (dense LMM, profiles);
// minimise_bounded() (bounded.cpp) works on function values under lower
// bounds (sparse LMM). The MMRM engine's Newton-Raphson on its exact Hessian
// is MmrmEngine::newton (core/mmrm/engine.cpp).
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

// Bounded minimisation on function values only: projected BFGS with central
// finite-difference gradients (one-sided at an active bound), an Armijo
// search along the projected path, then Newton polishing on a
// finite-difference Hessian of the free parameters. Returns an
// OptimResult (x, f, g, iterations, evaluations, converged, message).
OptimResult minimise_bounded(const std::function<double(const Eigen::VectorXd&)>& fn,
                               Eigen::VectorXd x0, const Eigen::VectorXd& lower, int max_iter,
                               double grad_tol);

}  // namespace lmm
}  // namespace glycotrial
