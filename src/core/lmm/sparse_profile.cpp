#include "core/lmm/sparse_profile.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "core/common/errors.hpp"
#include "core/lmm/profile_row.hpp"
#include "core/optim/optim.hpp"

namespace glycotrial {
namespace lmm {

namespace {

// u = (log sigma unless sigma is the target, kept theta, row coordinates).
class SparseProfileMap {
 public:
  SparseProfileMap(const SparseModel& m, const VcTarget& t, double value,
                   const Eigen::VectorXd& theta0)
      : m_(m), t_(t), templ_(theta0), value_(value) {
    std::vector<bool> sp(theta0.size(), false);
    if (t.kind == VcKind::Sigma) {
      require(value > 0, "parm", "the residual SD must be positive");
    } else {
      require(t.block >= 0 && t.block < static_cast<int>(m.terms().size()), "parm",
              "no such random-effect term");
      row_.emplace(t, m.terms()[t.block].p, value);
      for (int c = 0; c <= row_->row(); ++c) sp[m.theta_index(t.block, row_->row(), c)] = true;
    }
    for (int k = 0; k < theta0.size(); ++k)
      if (!sp[k]) kept_.push_back(k);
  }

  int n_sigma() const { return row_ ? 1 : 0; }
  int size() const {
    return n_sigma() + static_cast<int>(kept_.size()) + (row_ ? row_->size() : 0);
  }

  // Kept diagonals >= 0; log sigma >= log(DBL_MIN) (no restriction, but a
  // finite bound, so the bounded method also runs when no diagonal is kept).
  Eigen::VectorXd lower(const Eigen::VectorXd& theta_lower) const {
    const double inf = std::numeric_limits<double>::infinity();
    Eigen::VectorXd lo = Eigen::VectorXd::Constant(size(), -inf);
    if (row_) lo(0) = std::log(std::numeric_limits<double>::min());
    for (size_t k = 0; k < kept_.size(); ++k) lo(n_sigma() + k) = theta_lower(kept_[k]);
    return lo;
  }

  // theta (into *theta) and sigma (returned) at u.
  double unpack(const Eigen::VectorXd& u, Eigen::VectorXd* theta) const {
    const double sigma = row_ ? std::exp(u(0)) : value_;
    Eigen::VectorXd& th = *theta;
    th = templ_;
    const int nk = static_cast<int>(kept_.size());
    for (int k = 0; k < nk; ++k) th(kept_[k]) = u(n_sigma() + k);
    if (row_) {
      const int r = row_->row();
      const Eigen::VectorXd row = row_->values(u.data() + n_sigma() + nk, t_row(th, t_.i));
      for (int c = 0; c <= r; ++c) th(m_.theta_index(t_.block, r, c)) = row(c) / sigma;
    }
    return sigma;
  }

  // The deviance is even in sd_j of a constrained correlation row, so it has
  // a stationary point at sd_j = 0 that log sd_j cannot leave (a kept
  // diagonal of T_k at its bound 0 is the bounded method's own case: it
  // tests finite steps into the interior). For sd_j within 1e-4 of 0 (on
  // T's scale): the coordinate at 0.01 on that scale, where the search may
  // resume.
  std::vector<std::pair<int, double>> resume_points(const Eigen::VectorXd& u,
                                                    const Eigen::VectorXd& lower) const {
    (void)lower;
    std::vector<std::pair<int, double>> out;
    if (row_ && t_.kind == VcKind::Cor) {
      const int k = n_sigma() + static_cast<int>(kept_.size());  // log sd_j
      if (std::exp(u(k) - u(0)) < 1e-4) out.emplace_back(k, u(0) + std::log(1e-2));
    }
    return out;
  }

  // Free parameters reproducing (theta0, sigma0) as closely as the
  // constraint allows: the absolute covariances sigma0^2 T T' are kept (with
  // sigma the target, theta0 is rescaled to the fixed sigma).
  Eigen::VectorXd start(const Eigen::VectorXd& theta0, double sigma0) const {
    Eigen::VectorXd u(size());
    if (row_) u(0) = std::log(sigma0);
    const double scale = row_ ? 1.0 : sigma0 / value_;
    for (size_t k = 0; k < kept_.size(); ++k) u(n_sigma() + k) = scale * theta0(kept_[k]);
    if (row_)
      u.tail(row_->size()) =
          row_->coords(sigma0 * t_row(theta0, row_->row()), t_row(theta0, t_.i));
    return u;
  }

 private:
  // Row r of T_k for the target's term (relative to sigma).
  Eigen::VectorXd t_row(const Eigen::VectorXd& th, int r) const {
    Eigen::VectorXd out(r + 1);
    for (int c = 0; c <= r; ++c) out(c) = th(m_.theta_index(t_.block, r, c));
    return out;
  }

  const SparseModel& m_;
  VcTarget t_;
  Eigen::VectorXd templ_;
  double value_ = 0;
  std::vector<int> kept_;
  std::optional<ConstrainedRow> row_;  // none: sigma is the target
};

}  // namespace

SparseProfilePoint profile_variance_sparse(SparseModel& model, const VcTarget& target,
                                           double value, const Eigen::VectorXd& theta_start,
                                           double sigma_start, const FitOptions& opt,
                                           const Eigen::VectorXd& theta_alt, double sigma_alt) {
  require(theta_start.size() == model.n_theta(), "theta", "wrong number of parameters");
  require(std::isfinite(value), "parm", "the profiled value must be finite");
  require(std::isfinite(sigma_start) && sigma_start > 0, "sigma",
          "the starting residual SD must be positive");
  SparseProfileMap map(model, target, value, theta_start);
  Eigen::VectorXd th;
  optim::ValueObjective fn([&](const Eigen::VectorXd& u) {
    const double sigma = map.unpack(u, &th);
    if (!th.allFinite() || !std::isfinite(sigma) || !(sigma > 0))
      return std::numeric_limits<double>::infinity();
    return model.deviance_sigma(th, sigma);  // NaN where undefined: +inf to the optimiser
  });
  const Eigen::VectorXd lower = map.lower(model.theta_lower());
  const optim::Options bounded = optim::bounded_options(lower, opt.max_iter, opt.grad_tol);
  // After a large change of the fixed value the search can stop at such a
  // stationary point (a cor of -0.9 in test-lmm_sparse_profile.R's
  // random-slope fit did): where the deviance falls at the resume point,
  // search again from there, keeping the better end point.
  auto search = [&](const Eigen::VectorXd& u0) {
    optim::Result o = optim::minimise(fn, u0, bounded);
    for (int round = 0; round < 3 && o.ok; ++round) {
      Eigen::VectorXd u = o.x;
      double fu = o.f;
      bool moved = false;
      for (const auto& kv : map.resume_points(o.x, lower)) {
        Eigen::VectorXd v = u;
        v(kv.first) = kv.second;
        const double fv = fn.value(v, nullptr);
        if (fv < fu - 1e-8 * std::max(1.0, std::fabs(fu))) {
          u = v;
          fu = fv;
          moved = true;
        }
      }
      if (!moved) break;
      optim::Result r = optim::minimise(fn, u, bounded);
      if (!(r.ok && r.f < o.f)) break;
      o = std::move(r);
    }
    return o;
  };
  optim::Result o = search(map.start(theta_start, sigma_start));
  // A warm start from such a point can be a local minimum of its own (sd_j
  // at 0 for a correlation that the previous value made unfavourable): when
  // the end point sits at a stationary 0 that the alternative start does
  // not, search from the alternative too.
  if (theta_alt.size() > 0) {
    require(theta_alt.size() == model.n_theta(), "theta", "wrong number of parameters");
    require(std::isfinite(sigma_alt) && sigma_alt > 0, "sigma",
            "the alternative residual SD must be positive");
    const Eigen::VectorXd ua = map.start(theta_alt, sigma_alt);
    std::vector<int> at_zero;
    for (const auto& kv : map.resume_points(ua, lower)) at_zero.push_back(kv.first);
    bool other = false;
    for (const auto& kv : map.resume_points(o.x, lower))
      other = other || std::find(at_zero.begin(), at_zero.end(), kv.first) == at_zero.end();
    if (other) {
      optim::Result r = search(ua);
      if (r.ok && (!o.ok || r.f < o.f)) o = std::move(r);
    }
  }
  SparseProfilePoint out;
  out.deviance = o.f;
  out.sigma = map.unpack(o.x, &out.theta);
  out.converged = o.converged;
  return out;
}

}  // namespace lmm
}  // namespace glycotrial
