// Method::newton (optim.hpp): Newton-Raphson on the exact Hessian, moved
// here from the MMRM engine (MmrmEngine::newton) unchanged, so that the
// engine and the LMM share it. The exact Hessian is evaluated at the start,
// at the end (it gives Cov(theta) and the degrees of freedom) and whenever an
// iteration reduces the largest absolute gradient by less than a factor 4;
// in between it is carried forward by BFGS updates from the gradients (a
// gradient costs a fraction of a Hessian).
#include <algorithm>
#include <cmath>

#include "core/optim/optim.hpp"

namespace glycotrial {
namespace optim {

namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

// The exact Hessian, or central differences of the gradient.
bool hessian_at(Objective& fn, const VectorXd& x, double* f, VectorXd* g, MatrixXd* H) {
  if (fn.has_hessian()) return fn.hessian(x, f, g, H);
  *f = fn.value(x, g);
  if (!std::isfinite(*f) || !g->allFinite()) return false;
  *H = numeric_hessian(fn, x);
  return H->allFinite();
}

}  // namespace

Result minimise_newton(Objective& fn, VectorXd theta, const Options& opt) {
  Result res;
  res.method = "newton";
  const int K = static_cast<int>(theta.size());
  auto maxabs = [](const VectorXd& g) { return g.size() ? g.lpNorm<Eigen::Infinity>() : 0.0; };
  double dev = 0;
  VectorXd g(K), g_new(K);
  MatrixXd Hd;  // the last exact Hessian (at x_hessian)
  bool ok = hessian_at(fn, theta, &dev, &g, &Hd);
  ++res.n_hessian;
  res.x = theta;
  res.f = dev;
  res.g = g;
  if (!std::isfinite(dev) || !ok) {
    res.message = "the objective is not finite at the start values";
    return res;
  }
  res.ok = true;
  VectorXd x_h = theta;
  auto tol = [&](double d) { return opt.grad_tol * 1e-3 * std::max(1.0, std::fabs(d)); };
  MatrixXd H = Hd;
  bool exact = true;  // H belongs to theta
  // The exact Hessian at theta (f and g there are known already).
  auto refresh = [&]() {
    double f2;
    VectorXd g2(K);
    ok = hessian_at(fn, theta, &f2, &g2, &Hd);
    ++res.n_hessian;
    if (!ok) return false;
    x_h = theta;
    H = Hd;
    exact = true;
    return true;
  };
  int it = 0;
  while (it < opt.max_iter && maxabs(g) > tol(dev)) {
    ++it;
    double lam = 0;
    Eigen::LLT<MatrixXd> llt;
    bool pd = false;
    while (true) {
      llt.compute(H + lam * MatrixXd::Identity(K, K));
      if (llt.info() == Eigen::Success) {
        pd = true;
        break;
      }
      lam = std::max(4 * lam, 1e-6 * std::max(1.0, H.diagonal().cwiseAbs().maxCoeff()));
      if (lam > 1e12) break;
    }
    if (!pd) break;
    VectorXd step = -llt.solve(g);
    const double slope = g.dot(step);
    const bool near = std::fabs(slope) < 1e-8 * std::max(1.0, std::fabs(dev));
    double dev_new = fn.value(theta + step, &g_new);
    ++res.evaluations;
    bool accepted = std::isfinite(dev_new) &&
                    (dev_new <= dev + 1e-4 * slope || (near && maxabs(g_new) < maxabs(g)));
    if (!accepted) {
      double a = 1;
      while (!accepted && a > 1e-10) {
        a /= 4;
        const double dv = fn.value(theta + a * step, nullptr);
        ++res.evaluations;
        accepted = std::isfinite(dv) && dv <= dev + 1e-4 * a * slope;
      }
      if (accepted) {
        step *= a;
        dev_new = fn.value(theta + step, &g_new);
        ++res.evaluations;
      } else if (!exact) {
        // a carried-forward Hessian may point badly: retry with the exact one
        if (!refresh()) break;
        continue;
      } else {
        break;
      }
    }
    if (near && maxabs(g_new) >= maxabs(g)) break;  // rounding floor
    const double gmax_old = maxabs(g);
    const VectorXd y = g_new - g;
    theta = theta + step;
    g = g_new;
    dev = dev_new;
    exact = false;
    if (maxabs(g) <= tol(dev)) break;
    if (maxabs(g) > gmax_old / 4) {
      if (!refresh()) break;
    } else {
      const double sy = step.dot(y);
      const VectorXd Hs = H * step;
      const double sHs = step.dot(Hs);
      if (sy > 1e-12 * std::sqrt(step.squaredNorm() * y.squaredNorm()) && sHs > 0)
        H += y * y.transpose() / sy - Hs * Hs.transpose() / sHs;
    }
  }
  if (!exact) {
    ok = hessian_at(fn, theta, &dev, &g, &Hd);
    ++res.n_hessian;
    if (!ok) {
      res.ok = false;
      res.x = theta;
      res.message = "the Hessian cannot be evaluated at the end point";
      return res;
    }
    x_h = theta;
  }
  // One last Newton step with the final exact Hessian, at the cost of a
  // gradient evaluation.
  Eigen::LDLT<MatrixXd> ldlt(Hd);
  if (ldlt.info() == Eigen::Success) {
    const VectorXd step = -ldlt.solve(g);
    if (step.allFinite()) try_step(fn, step, 1e-10 * std::fabs(dev), theta, dev, g, res.evaluations);
  }
  res.x = theta;
  res.f = dev;
  res.g = g;
  res.H = Hd;
  res.x_hessian = x_h;
  res.iterations = it;
  res.converged = maxabs(g) <= tol(dev) * 1e3;
  res.message = res.converged ? "converged" : "largest absolute gradient exceeds the tolerance";
  return res;
}

}  // namespace optim
}  // namespace glycotrial
