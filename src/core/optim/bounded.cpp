// Bounded minimisation on function values only (optim.hpp; the sparse
// LMM's variance-component parameters, diag(T_k) >= 0, and the residual
// structure of several grouping factors): projected BFGS with
// finite-difference gradients (central, one-sided second order at a bound),
// an Armijo search along the projected path, then Newton polishing on a
// finite-difference Hessian of the free parameters (those off their bound).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/optim/optim.hpp"

namespace glycotrial {
namespace optim {

namespace {

struct Counted {
  Objective& fn;
  int evals = 0;
  double operator()(const Eigen::VectorXd& x) {
    ++evals;
    const double f = fn.value(x, nullptr);
    return std::isfinite(f) ? f : std::numeric_limits<double>::infinity();
  }
};

double step_of(double x) { return 2e-5 * std::max(1.0, std::fabs(x)); }

// Central differences (one-sided second order at a bound); with `forward`,
// first-order forward differences (half the evaluations), used while the
// gradient is large and its O(h) error is immaterial to the search.
Eigen::VectorXd fd_gradient(Counted& f, const Eigen::VectorXd& x, double fx,
                            const Eigen::VectorXd& lower, bool forward = false) {
  const int k = static_cast<int>(x.size());
  Eigen::VectorXd g(k);
  Eigen::VectorXd xp = x;
  for (int i = 0; i < k; ++i) {
    const double h = step_of(x(i));
    if (forward) {
      xp(i) = x(i) + h;
      g(i) = (f(xp) - fx) / h;
    } else if (x(i) - h >= lower(i)) {
      xp(i) = x(i) + h;
      const double fp = f(xp);
      xp(i) = x(i) - h;
      const double fm = f(xp);
      g(i) = (fp - fm) / (2 * h);
    } else {
      xp(i) = x(i) + h;
      const double f1 = f(xp);
      xp(i) = x(i) + 2 * h;
      const double f2 = f(xp);
      g(i) = (-3 * fx + 4 * f1 - f2) / (2 * h);
    }
    xp(i) = x(i);
  }
  return g;
}

Eigen::VectorXd project(const Eigen::VectorXd& x, const Eigen::VectorXd& lower) {
  return x.cwiseMax(lower);
}

// Moves x off its bounds where the objective falls at a finite step into the
// interior (1e-3, 1e-2, 1e-1 times max(1, |bound|)), to the best such point;
// returns whether it moved.
bool escape_bound(Counted& f, Eigen::VectorXd& x, double& fx, const Eigen::VectorXd& lower) {
  bool moved = false;
  for (int i = 0; i < x.size(); ++i) {
    if (!(x(i) <= lower(i))) continue;
    Eigen::VectorXd best = x, xp = x;
    double fbest = fx;
    for (double step : {1e-3, 1e-2, 1e-1}) {
      xp(i) = lower(i) + step * std::max(1.0, std::fabs(lower(i)));
      const double fp = f(xp);
      if (fp < fbest - 1e-10 * (1 + std::fabs(fx))) {
        fbest = fp;
        best = xp;
      }
    }
    if (fbest < fx) {
      x = best;
      fx = fbest;
      moved = true;
    }
  }
  return moved;
}

}  // namespace

Result minimise_bounded(Objective& fn, Eigen::VectorXd x, const Options& opt) {
  const Eigen::VectorXd& lower = opt.lower;
  const int max_iter = opt.max_iter;
  const double grad_tol = opt.grad_tol;
  const int k = static_cast<int>(x.size());
  Counted f{fn};
  Result res;
  res.method = "bounded";
  x = project(x, lower);
  double fx = f(x);
  if (!std::isfinite(fx)) {
    res.x = x;
    res.f = fx;
    res.g = Eigen::VectorXd::Zero(k);
    res.evaluations = f.evals;
    res.message = "the deviance is not finite at the start values";
    return res;
  }
  Eigen::VectorXd g = fd_gradient(f, x, fx, lower);
  Eigen::MatrixXd B = Eigen::MatrixXd::Identity(k, k);
  std::vector<bool> active(k, false);
  auto proj_grad = [&](const Eigen::VectorXd& xx, const Eigen::VectorXd& gg,
                       std::vector<bool>& act) {
    Eigen::VectorXd pg = gg;
    for (int i = 0; i < k; ++i) {
      act[i] = xx(i) <= lower(i) && gg(i) > 0;
      if (act[i]) pg(i) = 0;
    }
    return pg;
  };
  int small = 0;
  int it = 0;
  bool fresh = true;
  // A parameter at its bound 0 (a variance component) has a zero one-sided
  // gradient whatever its optimum, since the deviance depends on theta^2
  // there: a step projected onto the bound would count as optimal. So the
  // bound must also hold at finite steps into the interior; where the
  // deviance falls at one, the search goes on from the best such step.
  for (int round = 0; round < 4; ++round) {
    for (; it < max_iter; ++it) {
      std::vector<bool> act(k);
      Eigen::VectorXd pg = proj_grad(x, g, act);
      if (act != active) {
        B.setIdentity();
        fresh = true;
        active = act;
      }
      if (pg.lpNorm<Eigen::Infinity>() < grad_tol) break;
      Eigen::VectorXd d = -B * pg;
      for (int i = 0; i < k; ++i)
        if (active[i]) d(i) = 0;
      if (!(d.dot(pg) < 0)) {
        B.setIdentity();
        fresh = true;
        d = -pg;
      }
      double t = 1;
      const double dmax = d.lpNorm<Eigen::Infinity>();
      if (dmax > 2) t = 2 / dmax;
      bool accepted = false;
      Eigen::VectorXd xn(k);
      double fn_new = 0;
      for (int ls = 0; ls < 50; ++ls) {
        xn = project(x + t * d, lower);
        fn_new = f(xn);
        if (std::isfinite(fn_new) && fn_new <= fx + 1e-4 * g.dot(xn - x)) {
          accepted = true;
          break;
        }
        t *= 0.5;
      }
      if (!accepted) {
        if (fresh) break;  // steepest descent fails too: numerically optimal
        B.setIdentity();
        fresh = true;
        continue;
      }
      const bool coarse = pg.lpNorm<Eigen::Infinity>() > 10 && (fx - fn_new) > 1;
      const Eigen::VectorXd gn = fd_gradient(f, xn, fn_new, lower, coarse);
      Eigen::VectorXd s = xn - x, yv = gn - g;
      for (int i = 0; i < k; ++i)
        if (active[i]) {
          s(i) = 0;
          yv(i) = 0;
        }
      const double sy = s.dot(yv);
      if (sy > 1e-12 * s.norm() * yv.norm()) {
        if (fresh) B *= sy / yv.squaredNorm();
        const double rho = 1 / sy;
        const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(k, k);
        B = (I - rho * s * yv.transpose()) * B * (I - rho * yv * s.transpose()) +
            rho * s * s.transpose();
        fresh = false;
      }
      const double df = fx - fn_new;
      x = xn;
      fx = fn_new;
      g = gn;
      small = df < 1e-12 * (1 + std::fabs(fx)) ? small + 1 : 0;
      if (small >= 3) break;
    }
    if (it >= max_iter || !escape_bound(f, x, fx, lower)) break;
    g = fd_gradient(f, x, fx, lower);
    B.setIdentity();
    fresh = true;
    small = 0;
  }
  res.iterations = it;

  // Newton polish over the free parameters (those away from their bound).
  // The finite-difference Hessian (2 m^2 evaluations) is computed at the
  // first step and reused while the free set is unchanged (a chord Newton
  // iteration: near the optimum it converges about as fast, at a fraction
  // of the deviance evaluations).
  Eigen::MatrixXd H_cache;
  std::vector<int> free_cache;
  for (int step = 0; step < 4; ++step) {
    std::vector<int> free;
    bool room = true;
    for (int i = 0; i < k; ++i) {
      if (x(i) <= lower(i)) continue;
      if (x(i) - 2 * 1e-4 * std::max(1.0, std::fabs(x(i))) < lower(i)) room = false;
      free.push_back(i);
    }
    const int m = static_cast<int>(free.size());
    if (!room || m == 0) break;
    Eigen::VectorXd gf(m);
    for (int a = 0; a < m; ++a) gf(a) = g(free[a]);
    if (gf.lpNorm<Eigen::Infinity>() < 1e-9) break;
    Eigen::MatrixXd H(m, m);
    const bool reuse = free == free_cache && H_cache.rows() == m;
    if (reuse) H = H_cache;
    Eigen::VectorXd xp = x;
    std::vector<double> h(m);
    for (int a = 0; a < m; ++a) h[a] = 1e-4 * std::max(1.0, std::fabs(x(free[a])));
    for (int a = 0; a < m && !reuse; ++a) {
      const int i = free[a];
      xp(i) = x(i) + h[a];
      const double fp = f(xp);
      xp(i) = x(i) - h[a];
      const double fm = f(xp);
      xp(i) = x(i);
      H(a, a) = (fp - 2 * fx + fm) / (h[a] * h[a]);
      for (int b2 = 0; b2 < a; ++b2) {
        const int j = free[b2];
        double v[4];
        const int sa[4] = {1, 1, -1, -1}, sb[4] = {1, -1, 1, -1};
        for (int c = 0; c < 4; ++c) {
          xp(i) = x(i) + sa[c] * h[a];
          xp(j) = x(j) + sb[c] * h[b2];
          v[c] = f(xp);
        }
        xp(i) = x(i);
        xp(j) = x(j);
        H(a, b2) = H(b2, a) = (v[0] - v[1] - v[2] + v[3]) / (4 * h[a] * h[b2]);
      }
    }
    H_cache = H;
    free_cache = free;
    Eigen::LLT<Eigen::MatrixXd> llt(H);
    if (llt.info() != Eigen::Success) break;
    const Eigen::VectorXd dfree = -llt.solve(gf);
    if (!dfree.allFinite() || dfree.lpNorm<Eigen::Infinity>() > 0.5) break;
    Eigen::VectorXd xn = x;
    for (int a = 0; a < m; ++a) xn(free[a]) += dfree(a);
    xn = project(xn, lower);
    const double fn_new = f(xn);
    if (!std::isfinite(fn_new) || fn_new > fx + 1e-11 * (1 + std::fabs(fx))) break;
    const Eigen::VectorXd gn = fd_gradient(f, xn, fn_new, lower);
    std::vector<bool> act(k);
    const double before = proj_grad(x, g, act).lpNorm<Eigen::Infinity>();
    if (proj_grad(xn, gn, act).lpNorm<Eigen::Infinity>() > before && fn_new >= fx) break;
    x = xn;
    fx = fn_new;
    g = gn;
  }
  res.ok = true;
  std::vector<bool> act(k);
  const double gmax = k ? proj_grad(x, g, act).lpNorm<Eigen::Infinity>() : 0.0;
  res.x = x;
  res.f = fx;
  res.g = g;
  res.evaluations = f.evals;
  res.converged = gmax < std::max(grad_tol, 1e-4) || small >= 3;
  res.message = res.converged ? "converged"
                              : "no convergence after " + std::to_string(it) +
                                    " iterations (max |projected gradient| " +
                                    std::to_string(gmax) + ")";
  return res;
}

}  // namespace optim
}  // namespace glycotrial
