// C++ unit tests of the one optimiser (core/optim/optim.hpp): every method on
// the Rosenbrock function (minimum (1, 1), f = 0), a bounded quadratic whose
// minimum lies on the bound, a singular Hessian at the minimum (reported as
// not converged: the Hessian test fails), and a saddle point that optimise()
// escapes along the direction of negative curvature.
#include <testthat.h>

#include <cmath>
#include <limits>

#include "core/optim/optim.hpp"

namespace {

namespace op = glycotrial::optim;
using Eigen::MatrixXd;
using Eigen::VectorXd;

// f = 100 (y - x^2)^2 + (1 - x)^2, with its analytic gradient and Hessian.
class Rosenbrock : public op::Objective {
 public:
  explicit Rosenbrock(bool exact) : exact_(exact) {}
  double value(const VectorXd& v, VectorXd* g) override {
    const double x = v(0), y = v(1);
    if (g) {
      g->resize(2);
      (*g)(0) = -400 * x * (y - x * x) - 2 * (1 - x);
      (*g)(1) = 200 * (y - x * x);
    }
    return 100 * (y - x * x) * (y - x * x) + (1 - x) * (1 - x);
  }
  bool has_hessian() const override { return exact_; }
  bool hessian(const VectorXd& v, double* f, VectorXd* g, MatrixXd* H) override {
    *f = value(v, g);
    const double x = v(0), y = v(1);
    H->resize(2, 2);
    (*H)(0, 0) = 1200 * x * x - 400 * y + 2;
    (*H)(0, 1) = (*H)(1, 0) = -400 * x;
    (*H)(1, 1) = 200;
    return true;
  }

 private:
  bool exact_;
};

VectorXd vec2(double a, double b) {
  VectorXd v(2);
  v << a, b;
  return v;
}

}  // namespace

context("optimiser (core/optim)") {
  test_that("Newton (exact and finite-difference Hessian) and BFGS minimise Rosenbrock") {
    for (int exact = 0; exact < 2; ++exact) {
      Rosenbrock f(exact == 1);
      op::Options o;
      o.method = op::Method::newton;
      o.grad_tol = 1e-8;
      const op::Result r = op::minimise(f, vec2(-1.2, 1), o);
      expect_true((r.ok && r.converged));
      expect_true((std::fabs(r.x(0) - 1) < 1e-8 && std::fabs(r.x(1) - 1) < 1e-8));
      expect_true(r.f < 1e-16);
      expect_true(op::positive_definite(r.H));
    }
    Rosenbrock f(false);
    const op::Result b = op::minimise(f, vec2(-1.2, 1), op::bfgs_options(1000, 1e-10, 6));
    expect_true(b.converged);
    expect_true((std::fabs(b.x(0) - 1) < 1e-6 && std::fabs(b.x(1) - 1) < 1e-6));
    // optimise() with the default plan stops after Newton
    const op::Outcome out = op::optimise(f, vec2(-1.2, 1), op::Plan());
    expect_true((out.converged && out.tried.size() == 1 && out.best.method == "newton"));
  }

  test_that("the bounded method stops on the bound with a rising objective") {
    // f = (x + 1)^2 + (y - 2)^2 + x y / 2 with x >= 0: the unconstrained
    // minimum has x < 0, so x = 0 and then y = 2 (df/dx = 2 + y/2 > 0 there).
    op::ValueObjective f([](const VectorXd& v) {
      return (v(0) + 1) * (v(0) + 1) + (v(1) - 2) * (v(1) - 2) + 0.5 * v(0) * v(1);
    });
    VectorXd lo = vec2(0, -std::numeric_limits<double>::infinity());
    const op::Result r = op::minimise(f, vec2(3, -5), op::bounded_options(lo, 200, 1e-8));
    expect_true(r.converged);
    expect_true(r.x(0) == 0);
    expect_true(std::fabs(r.x(1) - 2) < 1e-6);
    expect_true(std::fabs(r.f - 1) < 1e-10);  // f(0, 2) = 1
    expect_true(r.method == "bounded");
  }

  test_that("the bounded method leaves a bound where the objective falls only in second order") {
    // f = (x^2 - 0.25)^2 + (y - 1)^2, x >= 0: like a variance component's
    // deviance in its Cholesky factor, f is even in x, so its one-sided
    // gradient at the bound x = 0 is 0 although the minimum is at x = 0.5.
    // Started on the bound, the search must not stop there.
    op::ValueObjective f([](const VectorXd& v) {
      const double a = v(0) * v(0) - 0.25;
      return a * a + (v(1) - 1) * (v(1) - 1);
    });
    VectorXd lo = vec2(0, -std::numeric_limits<double>::infinity());
    const op::Result r = op::minimise(f, vec2(0, 3), op::bounded_options(lo, 200, 1e-8));
    expect_true(r.converged);
    expect_true(std::fabs(r.x(0) - 0.5) < 1e-5);
    expect_true(std::fabs(r.x(1) - 1) < 1e-6);
    expect_true(r.f < 1e-10);
  }

  test_that("a singular Hessian at the minimum is not reported as converged") {
    // f = (x + y - 1)^2: minimal on a line, Hessian [[2, 2], [2, 2]] singular.
    op::FunctionObjective f([](const VectorXd& v, VectorXd* g) {
      const double r = v(0) + v(1) - 1;
      if (g) *g = VectorXd::Constant(2, 2 * r);
      return r * r;
    });
    const op::Outcome out = op::optimise(f, vec2(3, 4), op::Plan());
    expect_true(out.best.ok);
    expect_true(out.gradient_ok);               // on the line of minima ...
    expect_true(std::fabs(out.best.f) < 1e-12);
    expect_false(out.hessian_pd);               // ... but not a strict minimum
    expect_false(out.converged);
    expect_true(out.tried.size() == 2);         // BFGS tried as well
  }

  test_that("optimise() escapes a saddle point along the negative curvature") {
    // f = x^2 - y^2 + y^4: a saddle at (0, 0), minima at (0, +-1/sqrt(2)),
    // f = -1/4. Newton from (1, 0) stays on y = 0 and stops at the saddle.
    op::FunctionObjective f([](const VectorXd& v, VectorXd* g) {
      const double x = v(0), y = v(1);
      if (g) *g = vec2(2 * x, -2 * y + 4 * y * y * y);
      return x * x - y * y + y * y * y * y;
    });
    op::Plan newton_only;
    newton_only.methods = {op::Method::newton};
    const op::Outcome stuck = op::optimise(f, vec2(1, 0), newton_only);
    expect_true(stuck.gradient_ok);
    expect_false(stuck.hessian_pd);
    expect_false(stuck.converged);
    const op::Outcome out = op::optimise(f, vec2(1, 0), op::Plan());
    expect_true(out.converged);
    expect_true(std::fabs(out.best.f + 0.25) < 1e-12);
    expect_true(std::fabs(std::fabs(out.best.x(1)) - std::sqrt(0.5)) < 1e-8);
    expect_true(out.best.method == "bfgs");
  }

  test_that("unknown method names throw") {
    expect_true(op::method_of("newton") == op::Method::newton);
    expect_true(op::method_of("bfgs") == op::Method::bfgs);
    expect_error(op::method_of("nlminb"));
  }
}
