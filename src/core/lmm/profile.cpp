#include "core/lmm/profile.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "core/common/errors.hpp"
#include "core/optim/optim.hpp"

namespace glycotrial {
namespace lmm {

namespace {

class ProfileMap {
 public:
  ProfileMap(const Model& m, const VcTarget& t, double value, const Eigen::VectorXd& theta0)
      : t_(t), templ_(theta0) {
    const int kg = m.n_theta_g();
    const auto& blocks = m.re_blocks();
    if (t.kind == VcKind::Sigma) {
      require(m.can_profile(), "parm",
              "the residual SD can be profiled only without a residual structure");
      special_.push_back(kg);
      value_ = std::log(value / m.y_scale());
      n_special_ = 0;
    } else {
      require(t.block >= 0 && t.block < static_cast<int>(blocks.size()), "parm",
              "no such random-effect block");
      b_ = blocks[t.block];
      for (int k = 0; k < t.block; ++k) bs_ += n_chol(blocks[k]);
      if (t.kind == VcKind::Sd) {
        require(t.i >= 0 && t.i < b_, "parm", "no such random effect");
        require(value > 0, "parm", "a standard deviation must be positive");
        row_ = t.i;
        value_ = value / m.y_scale();
        n_special_ = row_;
      } else {
        require(t.i >= 0 && t.i < t.j && t.j < b_, "parm", "no such correlation");
        require(std::fabs(value) < 1, "parm", "a correlation must be in (-1, 1)");
        row_ = t.j;
        value_ = value;
        n_special_ = row_;  // log sd_j and u_c for c < j, c != i
      }
      for (int c = 0; c <= row_; ++c) special_.push_back(index(row_, c));
    }
    std::vector<bool> sp(theta0.size(), false);
    for (int k : special_) sp[k] = true;
    for (int k = 0; k < theta0.size(); ++k)
      if (!sp[k]) kept_.push_back(k);
  }

  int size() const { return static_cast<int>(kept_.size()) + n_special_; }

  Eigen::VectorXd theta(const Eigen::VectorXd& u) const {
    Eigen::VectorXd th = templ_;
    const int nk = static_cast<int>(kept_.size());
    for (int k = 0; k < nk; ++k) th(kept_[k]) = u(k);
    if (t_.kind == VcKind::Sigma) {
      th(special_[0]) = value_;
      return th;
    }
    Eigen::VectorXd row;
    if (t_.kind == VcKind::Sd) {
      Eigen::VectorXd v(row_ + 1);
      for (int c = 0; c < row_; ++c) v(c) = u(nk + c);
      v(row_) = 1;
      row = value_ * v / v.norm();
    } else {
      const double sdj = std::exp(u(nk));
      Eigen::VectorXd vi = Eigen::VectorXd::Zero(row_ + 1);
      for (int c = 0; c <= t_.i; ++c) vi(c) = l_entry(th, t_.i, c);
      vi /= vi.norm();
      Eigen::VectorXd w(row_ + 1);
      int pos = nk + 1;
      for (int c = 0; c < row_; ++c) w(c) = (c == t_.i) ? 0.0 : u(pos++);
      w(row_) = 1;
      w -= w.dot(vi) * vi;
      w /= w.norm();
      row = sdj * (value_ * vi + std::sqrt(1 - value_ * value_) * w);
    }
    for (int c = 0; c < row_; ++c) th(index(row_, c)) = row(c);
    th(index(row_, row_)) = std::log(row(row_));
    return th;
  }

  // Free parameters reproducing theta0 as closely as the constraint allows.
  Eigen::VectorXd start(const Eigen::VectorXd& theta0) const {
    Eigen::VectorXd u(size());
    const int nk = static_cast<int>(kept_.size());
    for (int k = 0; k < nk; ++k) u(k) = theta0(kept_[k]);
    if (t_.kind == VcKind::Sigma) return u;
    Eigen::VectorXd lr(row_ + 1);
    for (int c = 0; c <= row_; ++c) lr(c) = l_entry(theta0, row_, c);
    if (t_.kind == VcKind::Sd) {
      for (int c = 0; c < row_; ++c) u(nk + c) = lr(c) / lr(row_);
      return u;
    }
    u(nk) = std::log(lr.norm());
    Eigen::VectorXd vi = Eigen::VectorXd::Zero(row_ + 1);
    for (int c = 0; c <= t_.i; ++c) vi(c) = l_entry(theta0, t_.i, c);
    vi /= vi.norm();
    Eigen::VectorXd w = lr / lr.norm();
    w -= w.dot(vi) * vi;
    const double wn = w.norm();
    int pos = nk + 1;
    for (int c = 0; c < row_; ++c) {
      if (c == t_.i) continue;
      u(pos++) = (wn > 1e-8 && w(row_) > 1e-8)
                     ? (w(c) / wn - (w(t_.i) / wn) * vi(c) / vi(t_.i)) / (w(row_) / wn)
                     : 0.0;
    }
    return u;
  }

 private:
  int index(int r, int c) const {
    int k = bs_;
    for (int cc = 0; cc < c; ++cc) k += b_ - cc;
    return k + (r - c);
  }
  double l_entry(const Eigen::VectorXd& th, int r, int c) const {
    return r == c ? std::exp(th(index(r, c))) : th(index(r, c));
  }

  VcTarget t_;
  Eigen::VectorXd templ_;
  std::vector<int> kept_, special_;
  int n_special_ = 0;
  int bs_ = 0, b_ = 0, row_ = 0;
  double value_ = 0;
};

}  // namespace

ProfilePoint profile_variance(const Model& model, const VcTarget& target, double value,
                              const Eigen::VectorXd& start, const FitOptions& opt) {
  require(start.size() == model.n_theta(false), "theta", "wrong number of parameters");
  require(std::isfinite(value), "parm", "the profiled value must be finite");
  ProfileMap map(model, target, value, start);
  const int k = map.size();
  optim::FunctionObjective fn([&](const Eigen::VectorXd& u, Eigen::VectorXd* g) {
    const Eigen::VectorXd th = map.theta(u);
    Evaluation e = model.evaluate(th, false, g != nullptr);
    if (!e.ok) {
      if (g) g->setZero(k);
      return std::numeric_limits<double>::infinity();
    }
    if (g) {
      g->resize(k);
      Eigen::VectorXd up = u;
      for (int a = 0; a < k; ++a) {
        const double h = 1e-6 * std::max(1.0, std::fabs(u(a)));
        up(a) = u(a) + h;
        const Eigen::VectorXd tp = map.theta(up);
        up(a) = u(a) - h;
        const Eigen::VectorXd tm = map.theta(up);
        up(a) = u(a);
        (*g)(a) = e.gradient.dot((tp - tm) / (2 * h));
      }
    }
    return e.deviance;
  });
  const optim::Result o = optim::minimise(
      fn, map.start(start), optim::bfgs_options(opt.max_iter, opt.grad_tol, opt.newton_steps));
  ProfilePoint out;
  out.deviance = o.f;
  out.theta = map.theta(o.x);
  out.converged = o.converged;
  return out;
}

}  // namespace lmm
}  // namespace glycotrial
