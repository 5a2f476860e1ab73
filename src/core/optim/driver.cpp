// minimise() picks the method of Options (optim.hpp); optimise() chains
// methods and starts until the end point is a minimum. optimise() replaces
// the R loop of R/mmrm_optimise.R (nlminb/optim fallbacks, mmrm_polish(),
// mmrm_saddle_escape()), so that a fit never leaves C++ to optimise.
#include <algorithm>
#include <cmath>

#include "core/common/errors.hpp"
#include "core/optim/optim.hpp"

namespace glycotrial {
namespace optim {

Result minimise_newton(Objective& fn, Eigen::VectorXd x0, const Options& opt);
Result minimise_bfgs(Objective& fn, Eigen::VectorXd x0, const Options& opt);
Result minimise_bounded(Objective& fn, Eigen::VectorXd x0, const Options& opt);

namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

double maxabs(const VectorXd& g) { return g.size() ? g.lpNorm<Eigen::Infinity>() : 0.0; }

// Up to three Newton steps on the exact (or finite-difference) Hessian after
// another method, each backtracked (1, 1/2, 1/4, 1/10) and accepted only if
// the objective does not rise and the gradient falls: the precision the
// degrees of freedom need. H and x_hessian are those of the end point.
void polish(Objective& fn, Result& r, double grad_tol) {
  const int K = static_cast<int>(r.x.size());
  auto hess = [&](const VectorXd& x, double* f, VectorXd* g, MatrixXd* H) {
    ++r.n_hessian;
    if (fn.has_hessian()) return fn.hessian(x, f, g, H);
    *f = fn.value(x, g);
    *H = numeric_hessian(fn, x);
    return std::isfinite(*f);
  };
  double f;
  VectorXd g(K);
  MatrixXd H;
  if (!hess(r.x, &f, &g, &H) || !std::isfinite(f)) {
    r.g = VectorXd::Constant(K, INFINITY);
    r.H = MatrixXd::Constant(K, K, NAN);
    r.x_hessian = r.x;
    return;
  }
  for (int i = 0; i < 3; ++i) {
    const double tol = grad_tol * std::max(1.0, std::fabs(f));
    if (maxabs(g) <= tol * 1e-3) break;
    Eigen::FullPivLU<MatrixXd> lu(H);
    if (!lu.isInvertible()) break;
    const VectorXd step = lu.solve(g);
    if (!step.allFinite()) break;
    bool accepted = false;
    for (double a : {1.0, 0.5, 0.25, 0.1}) {
      const VectorXd xn = r.x - a * step;
      double fn_new;
      VectorXd gn(K);
      MatrixXd Hn;
      if (hess(xn, &fn_new, &gn, &Hn) && std::isfinite(fn_new) &&
          fn_new <= f + 1e-10 * std::fabs(f) && maxabs(gn) < maxabs(g)) {
        r.x = xn;
        f = fn_new;
        g = gn;
        H = Hn;
        accepted = true;
        break;
      }
    }
    if (!accepted) break;
  }
  r.f = f;
  r.g = g;
  r.H = H;
  r.x_hessian = r.x;
}

// From a stationary point that is not a minimum, a step along the
// eigenvector of the smallest eigenvalue of H (both signs, several lengths)
// to the lowest objective found; otherwise the point itself.
VectorXd saddle_escape(Objective& fn, const Result& best) {
  const VectorXd& x = best.x;
  if (best.H.size() == 0 || !best.H.allFinite() || positive_definite(best.H)) return x;
  Eigen::SelfAdjointEigenSolver<MatrixXd> es(best.H);
  if (es.info() != Eigen::Success) return x;
  const VectorXd v = es.eigenvectors().col(0);  // eigenvalues ascending
  const double f0 = best.f;
  double fbest = f0;
  VectorXd cand = x;
  for (double a : {0.1, 0.3, 1.0, 3.0, 10.0}) {
    for (double sg : {1.0, -1.0}) {
      const VectorXd y = x + sg * a * v;
      double f;
      try {
        f = fn.value(y, nullptr);
      } catch (const NumericalError&) {
        continue;
      }
      if (std::isfinite(f) && f < fbest - 1e-8 * std::max(1.0, std::fabs(f0))) {
        fbest = f;
        cand = y;
      }
    }
  }
  return cand;
}

}  // namespace

bool positive_definite(const MatrixXd& H) {
  if (H.size() == 0 || !H.allFinite()) return false;
  Eigen::SelfAdjointEigenSolver<MatrixXd> es(H, Eigen::EigenvaluesOnly);
  if (es.info() != Eigen::Success) return false;
  return es.eigenvalues().allFinite() && es.eigenvalues().minCoeff() > 0;
}

std::string method_name(Method m) { return m == Method::newton ? "newton" : "bfgs"; }

Method method_of(const std::string& name) {
  if (name == "newton") return Method::newton;
  if (name == "bfgs") return Method::bfgs;
  throw InputError("unknown optimiser method '" + name + "' (newton or bfgs)", "optimizers");
}

Options bfgs_options(int max_iter, double grad_tol, int polish) {
  Options o;
  o.method = Method::bfgs;
  o.max_iter = max_iter;
  o.grad_tol = grad_tol;
  o.polish = polish;
  return o;
}

Options bounded_options(const VectorXd& lower, int max_iter, double grad_tol) {
  Options o = bfgs_options(max_iter, grad_tol, 0);
  o.lower = lower;
  return o;
}

Result minimise(Objective& fn, VectorXd x0, const Options& opt) {
  bool bounded = false;
  for (Eigen::Index i = 0; i < opt.lower.size(); ++i) bounded = bounded || std::isfinite(opt.lower(i));
  if (bounded) {
    if (opt.lower.size() != x0.size()) throw InputError("the lower bounds have the wrong length", "lower");
    return minimise_bounded(fn, std::move(x0), opt);
  }
  return opt.method == Method::newton ? minimise_newton(fn, std::move(x0), opt)
                                      : minimise_bfgs(fn, std::move(x0), opt);
}

Outcome optimise(Objective& fn, const VectorXd& x0, const Plan& plan) {
  Outcome out;
  auto grad_ok = [&](const Result& r) {
    return std::isfinite(r.f) && maxabs(r.g) <= plan.accept_tol * std::max(1.0, std::fabs(r.f));
  };
  auto done = [&](const Result* r) { return r && grad_ok(*r) && positive_definite(r->H); };
  auto run_one = [&](Method m, const VectorXd& x) -> Result {
    Result r;
    try {
      Options o;
      o.method = m;
      if (m == Method::newton) {
        // Newton needs few iterations when it works; past 100 the next
        // method is the better bet.
        o.max_iter = std::min(plan.max_iter, 100);
        o.grad_tol = plan.grad_tol;
        r = minimise_newton(fn, x, o);
      } else {
        o.max_iter = plan.max_iter;
        o.polish = 0;
        const double f0 = fn.value(x, nullptr);
        o.grad_tol = plan.grad_tol * 1e-3 * std::max(1.0, std::isfinite(f0) ? std::fabs(f0) : 1.0);
        r = minimise_bfgs(fn, x, o);
        if (r.ok && std::isfinite(r.f)) polish(fn, r, plan.grad_tol);
      }
    } catch (const NumericalError&) {
      r = Result();
    }
    if (!r.ok || !std::isfinite(r.f)) r.ok = false;
    r.method = method_name(m);
    return r;
  };
  bool have = false;
  auto better = [&](const Result& r) {
    if (!r.ok) return false;
    if (!have) return true;
    const bool dr = done(&r), db = done(&out.best);
    if (dr != db) return dr && r.f <= out.best.f + 1e-8 * std::max(1.0, std::fabs(out.best.f));
    return r.f <= out.best.f;
  };
  auto note = [&](Method m) {
    const std::string s = method_name(m);
    if (std::find(out.tried.begin(), out.tried.end(), s) == out.tried.end()) out.tried.push_back(s);
  };
  for (Method m : plan.methods) {
    note(m);
    const VectorXd start = have ? saddle_escape(fn, out.best) : x0;
    Result r = run_one(m, start);
    if (better(r)) {
      out.best = std::move(r);
      have = true;
    }
    if (have && done(&out.best)) break;
  }
  for (const VectorXd& start : plan.alternatives) {
    if (have && done(&out.best)) break;
    for (Method m : plan.methods) {
      note(m);
      Result r = run_one(m, start);
      const bool d = done(&r);
      if (better(r)) {
        out.best = std::move(r);
        have = true;
      }
      if (d) break;
    }
  }
  if (!have) return out;
  out.gradient_ok = grad_ok(out.best);
  out.hessian_pd = positive_definite(out.best.H);
  out.converged = out.gradient_ok && out.hessian_pd;
  return out;
}

}  // namespace optim
}  // namespace glycotrial
