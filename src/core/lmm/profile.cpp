#include "core/lmm/profile.hpp"

#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "core/common/errors.hpp"
#include "core/lmm/profile_row.hpp"
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
    } else {
      require(t.block >= 0 && t.block < static_cast<int>(blocks.size()), "parm",
              "no such random-effect block");
      b_ = blocks[t.block];
      for (int k = 0; k < t.block; ++k) bs_ += n_chol(blocks[k]);
      row_.emplace(t, b_, t.kind == VcKind::Sd ? value / m.y_scale() : value);
      for (int c = 0; c <= row_->row(); ++c) special_.push_back(index(row_->row(), c));
    }
    std::vector<bool> sp(theta0.size(), false);
    for (int k : special_) sp[k] = true;
    for (int k = 0; k < theta0.size(); ++k)
      if (!sp[k]) kept_.push_back(k);
  }

  int size() const { return static_cast<int>(kept_.size()) + (row_ ? row_->size() : 0); }

  Eigen::VectorXd theta(const Eigen::VectorXd& u) const {
    Eigen::VectorXd th = templ_;
    const int nk = static_cast<int>(kept_.size());
    for (int k = 0; k < nk; ++k) th(kept_[k]) = u(k);
    if (!row_) {
      th(special_[0]) = value_;
      return th;
    }
    const int r = row_->row();
    const Eigen::VectorXd row = row_->values(u.data() + nk, l_row(th, t_.i));
    for (int c = 0; c < r; ++c) th(index(r, c)) = row(c);
    th(index(r, r)) = std::log(row(r));
    return th;
  }

  // Free parameters reproducing theta0 as closely as the constraint allows.
  Eigen::VectorXd start(const Eigen::VectorXd& theta0) const {
    Eigen::VectorXd u(size());
    const int nk = static_cast<int>(kept_.size());
    for (int k = 0; k < nk; ++k) u(k) = theta0(kept_[k]);
    if (row_) u.tail(row_->size()) = row_->coords(l_row(theta0, row_->row()), l_row(theta0, t_.i));
    return u;
  }

 private:
  int index(int r, int c) const {
    int k = bs_;
    for (int cc = 0; cc < c; ++cc) k += b_ - cc;
    return k + (r - c);
  }
  // Row r of L (the diagonal is stored as its log).
  Eigen::VectorXd l_row(const Eigen::VectorXd& th, int r) const {
    Eigen::VectorXd out(r + 1);
    for (int c = 0; c <= r; ++c) out(c) = r == c ? std::exp(th(index(r, c))) : th(index(r, c));
    return out;
  }

  VcTarget t_;
  Eigen::VectorXd templ_;
  std::vector<int> kept_, special_;
  std::optional<ConstrainedRow> row_;  // none: the residual sd
  int bs_ = 0, b_ = 0;
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
