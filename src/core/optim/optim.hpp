// The one optimiser of the C++ core, used by the MMRM engine (REML/ML
// deviance in the covariance parameters), the dense LMM (profiled deviance
// in theta), the sparse LMM (variance components with lower bounds) and the
// LMM profiles. One API: an Objective (value, gradient, optionally an exact
// Hessian), starting values, Options (method, tolerance, box bounds).
//
// Methods (all in this folder):
//  - Method::newton (newton.cpp): Newton-Raphson on the exact Hessian
//    (finite differences of the gradient when the objective has none), BFGS
//    updates of it while the gradient falls fast, Levenberg damping where it
//    is not positive definite, backtracking; stops at a largest |gradient|
//    <= grad_tol * 1e-3 * max(1, |f|) and then takes a last Newton step to
//    rounding precision (the precision the Kenward-Roger df need).
//  - Method::bfgs (bfgs.cpp): BFGS with an Armijo line search (Nocedal &
//    Wright 2006, Algorithm 6.1) on the analytic gradient, then `polish`
//    Newton steps on a finite-difference Hessian of that gradient.
//  - bounds (bounded.cpp): with a finite `lower`, projected BFGS on function
//    values (finite-difference gradients, one-sided at an active bound) and a
//    Newton polish on the free parameters; a variance component at its bound
//    0 is optimal when the deviance rises into the interior, at the bound
//    and at finite steps (its one-sided gradient there is always 0).
// optimise() (driver.cpp) chains methods: it runs them in turn until the end
// point is a minimum (small gradient relative to |f| AND positive definite
// Hessian), starts each later method off a saddle point along the direction
// of negative curvature, and then tries alternative starts.
#pragma once

#include <Eigen/Dense>

#include <functional>
#include <string>
#include <vector>

namespace glycotrial {
namespace optim {

class Objective {
 public:
  virtual ~Objective() = default;
  // f(x) (+inf or NaN where undefined) and, when g is not null, the
  // gradient into *g.
  virtual double value(const Eigen::VectorXd& x, Eigen::VectorXd* g) = 0;
  // An exact Hessian? Then hessian() fills f, g and H at x and returns false
  // where they are undefined.
  virtual bool has_hessian() const { return false; }
  virtual bool hessian(const Eigen::VectorXd& x, double* f, Eigen::VectorXd* g,
                       Eigen::MatrixXd* H) {
    (void)x; (void)f; (void)g; (void)H;
    return false;
  }
};

// An Objective from a function of (x, g*) (the LMM deviances).
class FunctionObjective : public Objective {
 public:
  using Fn = std::function<double(const Eigen::VectorXd& x, Eigen::VectorXd* g)>;
  explicit FunctionObjective(Fn fn) : fn_(std::move(fn)) {}
  double value(const Eigen::VectorXd& x, Eigen::VectorXd* g) override { return fn_(x, g); }

 private:
  Fn fn_;
};

// An Objective from function values only (gradients by finite differences
// inside the bounded method).
class ValueObjective : public Objective {
 public:
  using Fn = std::function<double(const Eigen::VectorXd& x)>;
  explicit ValueObjective(Fn fn) : fn_(std::move(fn)) {}
  double value(const Eigen::VectorXd& x, Eigen::VectorXd* g) override {
    if (g) g->setConstant(x.size(), std::nan(""));
    return fn_(x);
  }

 private:
  Fn fn_;
};

enum class Method { newton, bfgs };

struct Options {
  Method method = Method::newton;
  int max_iter = 100;
  // newton: relative (see above); bfgs and bounded: absolute largest
  // (projected) |gradient| of the search.
  double grad_tol = 1e-6;
  int polish = 3;  // bfgs: Newton steps on a finite-difference Hessian
  // Box bounds: empty = none. A finite lower bound selects the bounded
  // method (function values only).
  Eigen::VectorXd lower;
  // bfgs: the initial inverse Hessian (empty: the identity, rescaled after
  // the first step). A known one, e.g. the full data's at its optimum for a
  // refit on resampled subjects, makes the first steps Newton-like.
  Eigen::MatrixXd inverse_hessian;
};

struct Result {
  Eigen::VectorXd x;
  double f = 0;
  Eigen::VectorXd g;
  // Hessian of f (exact, or finite differences) at x_hessian: the last point
  // where it was evaluated (newton: the point before the last step, which
  // moves x by O(rounding)); empty when none was evaluated.
  Eigen::MatrixXd H;
  Eigen::VectorXd x_hessian;
  int iterations = 0;
  int evaluations = 0;  // function (and gradient) evaluations
  int n_hessian = 0;    // exact Hessian evaluations
  bool ok = false;      // f finite at the start
  bool converged = false;
  std::string method;
  std::string message;
};

// One method from x0.
Result minimise(Objective& fn, Eigen::VectorXd x0, const Options& opt);

// Options of Method::bfgs (the LMM's: absolute gradient tolerance, `polish`
// Newton steps) and of the bounded method (lower bounds).
Options bfgs_options(int max_iter, double grad_tol, int polish);
Options bounded_options(const Eigen::VectorXd& lower, int max_iter, double grad_tol);

// Several methods in turn (with saddle escape) and then the alternative
// starts, until the end point is a minimum: max |g| <= accept_tol * max(1, |f|)
// and H positive definite. Methods other than newton are followed by up to
// three Newton steps on the exact Hessian when the objective has one.
struct Plan {
  std::vector<Method> methods{Method::newton, Method::bfgs};
  std::vector<Eigen::VectorXd> alternatives;
  int max_iter = 1000;
  double grad_tol = 1e-6;    // of the methods (newton: relative, see above)
  double accept_tol = 1e-6;  // minimum: max |g| <= accept_tol * max(1, |f|)
};
struct Outcome {
  Result best;
  std::vector<std::string> tried;
  bool gradient_ok = false;
  bool hessian_pd = false;
  bool converged = false;
};
Outcome optimise(Objective& fn, const Eigen::VectorXd& x0, const Plan& plan);

// Central-difference Hessian of the gradient, symmetrised.
Eigen::MatrixXd numeric_hessian(Objective& fn, const Eigen::VectorXd& x);

// Takes the step x + step (updating x, f, g and counting the evaluation) when
// the objective and gradient there are finite, the objective rises by at most
// `slack` and the largest |gradient| falls: the final Newton polish of both
// the Newton and the BFGS method. Returns whether the step was taken.
bool try_step(Objective& fn, const Eigen::VectorXd& step, double slack, Eigen::VectorXd& x,
              double& f, Eigen::VectorXd& g, int& evaluations);

// Positive definite (smallest eigenvalue > 0, all entries finite)?
bool positive_definite(const Eigen::MatrixXd& H);

std::string method_name(Method m);
Method method_of(const std::string& name);  // throws InputError for others

}  // namespace optim
}  // namespace glycotrial
