// Method::bfgs (optim.hpp): BFGS with a backtracking (Armijo) line search on
// the analytic gradient (Nocedal & Wright 2006, Algorithm 6.1), then up to
// `polish` Newton steps on a finite-difference Hessian of that gradient to
// take the optimum to ~1e-10 gradient norm. The dense LMM and the profiles
// use it; it is the MMRM's fallback after Newton.
#include "core/optim/optim.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace glycotrial {
namespace optim {

bool try_step(Objective& fn, const Eigen::VectorXd& step, double slack, Eigen::VectorXd& x,
              double& f, Eigen::VectorXd& g, int& evaluations) {
  auto maxabs = [](const Eigen::VectorXd& v) { return v.size() ? v.lpNorm<Eigen::Infinity>() : 0.0; };
  Eigen::VectorXd x_new = x + step, g_new(g.size());
  const double f_new = fn.value(x_new, &g_new);
  ++evaluations;
  if (!std::isfinite(f_new) || !g_new.allFinite() || f_new > f + slack || maxabs(g_new) >= maxabs(g))
    return false;
  x = x_new;
  f = f_new;
  g = g_new;
  return true;
}

Eigen::MatrixXd numeric_hessian(Objective& fn, const Eigen::VectorXd& x) {
  const int k = static_cast<int>(x.size());
  Eigen::MatrixXd H(k, k);
  Eigen::VectorXd xp = x, gp(k), gm(k);
  for (int j = 0; j < k; ++j) {
    const double h = 1e-4 * std::max(1.0, std::fabs(x(j)));
    xp(j) = x(j) + h;
    fn.value(xp, &gp);
    xp(j) = x(j) - h;
    fn.value(xp, &gm);
    xp(j) = x(j);
    H.col(j) = (gp - gm) / (2 * h);
  }
  return 0.5 * (H + H.transpose());
}

Result minimise_bfgs(Objective& fn, Eigen::VectorXd x, const Options& opt) {
  const int max_iter = opt.max_iter, newton_steps = opt.polish;
  const double grad_tol = opt.grad_tol;
  const int k = static_cast<int>(x.size());
  Result res;
  res.method = "bfgs";
  Eigen::VectorXd g(k), g_new(k);
  double f = fn.value(x, &g);
  res.evaluations = 1;
  if (!std::isfinite(f)) {
    res.x = x;
    res.f = f;
    res.g = g;
    res.message = "the objective is not finite at the start values";
    return res;
  }
  if (k == 0) {
    res.x = x; res.f = f; res.g = g; res.ok = true; res.converged = true; res.message = "no parameters";
    return res;
  }
  const bool given = opt.inverse_hessian.rows() == k && opt.inverse_hessian.cols() == k;
  Eigen::MatrixXd Hinv = given ? opt.inverse_hessian : Eigen::MatrixXd::Identity(k, k);
  int small_change = 0;
  int it = 0;
  for (; it < max_iter; ++it) {
    if (g.lpNorm<Eigen::Infinity>() < grad_tol) break;
    Eigen::VectorXd d = -Hinv * g;
    double slope = g.dot(d);
    if (!(slope < 0)) {
      Hinv.setIdentity();
      d = -g;
      slope = g.dot(d);
    }
    // Keep any single step moderate: parameters are logs and correlations.
    double t = 1.0;
    const double dmax = d.lpNorm<Eigen::Infinity>();
    if (dmax * t > 3) t = 3 / dmax;
    Eigen::VectorXd x_new(k);
    double f_new = std::numeric_limits<double>::infinity();
    bool accepted = false;
    for (int ls = 0; ls < 60; ++ls) {
      x_new = x + t * d;
      f_new = fn.value(x_new, &g_new);
      ++res.evaluations;
      if (std::isfinite(f_new) && f_new <= f + 1e-4 * t * slope) {
        accepted = true;
        break;
      }
      t *= (std::isfinite(f_new) ? 0.5 : 0.1);
    }
    if (!accepted) {
      if (Hinv.isIdentity()) break;  // steepest descent failed too: at the optimum (numerically)
      Hinv.setIdentity();
      continue;
    }
    const Eigen::VectorXd s = x_new - x, yv = g_new - g;
    const double sy = s.dot(yv);
    if (it == 0 && sy > 0 && !given) Hinv *= sy / yv.squaredNorm();
    if (sy > 1e-12 * s.norm() * yv.norm()) {
      const double rho = 1 / sy;
      const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(k, k);
      Hinv = (I - rho * s * yv.transpose()) * Hinv * (I - rho * yv * s.transpose()) +
             rho * s * s.transpose();
    }
    const double df = f - f_new;
    x = x_new;
    f = f_new;
    g = g_new;
    small_change = (df < 1e-13 * (1 + std::fabs(f))) ? small_change + 1 : 0;
    if (small_change >= 3) break;
  }
  res.iterations = it;
  // Newton polish on the finite-difference Hessian of the analytic gradient.
  for (int s = 0; s < newton_steps; ++s) {
    if (g.lpNorm<Eigen::Infinity>() < 1e-10) break;
    Eigen::MatrixXd H = numeric_hessian(fn, x);
    res.evaluations += 2 * k;
    Eigen::LLT<Eigen::MatrixXd> llt(H);
    if (llt.info() != Eigen::Success) break;
    Eigen::VectorXd d = -llt.solve(g);
    if (!d.allFinite() || d.lpNorm<Eigen::Infinity>() > 1) break;
    if (!try_step(fn, d, 1e-12 * (1 + std::fabs(f)), x, f, g, res.evaluations)) break;
  }
  res.ok = true;
  res.x = x;
  res.f = f;
  res.g = g;
  const double gmax = g.lpNorm<Eigen::Infinity>();
  res.converged = gmax < std::max(grad_tol, 1e-5) || small_change >= 3;
  res.message = res.converged ? "converged"
                              : "no convergence after " + std::to_string(it) +
                                    " iterations (max |gradient| " + std::to_string(gmax) + ")";
  return res;
}

}  // namespace optim
}  // namespace glycotrial
