#include "core/lmm/profile_row.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/common/errors.hpp"

namespace glycotrial {
namespace lmm {

ConstrainedRow::ConstrainedRow(const VcTarget& t, int p, double value) : t_(t) {
  if (t.kind == VcKind::Sd) {
    require(t.i >= 0 && t.i < p, "parm", "no such random effect");
    require(value > 0, "parm", "a standard deviation must be positive");
    row_ = t.i;
  } else {
    require(t.kind == VcKind::Cor, "parm", "the residual SD constrains no row of a block");
    require(t.i >= 0 && t.i < t.j && t.j < p, "parm", "no such correlation");
    require(std::fabs(value) < 1, "parm", "a correlation must be in (-1, 1)");
    row_ = t.j;
  }
  value_ = value;
}

Eigen::VectorXd ConstrainedRow::unit_row_i(const Eigen::VectorXd& row_i) const {
  Eigen::VectorXd vi = Eigen::VectorXd::Zero(row_ + 1);
  for (int c = 0; c <= t_.i; ++c) vi(c) = row_i(c);
  return vi / vi.norm();
}

Eigen::VectorXd ConstrainedRow::values(const double* u, const Eigen::VectorXd& row_i) const {
  if (t_.kind == VcKind::Sd) {
    Eigen::VectorXd v(row_ + 1);
    for (int c = 0; c < row_; ++c) v(c) = u[c];
    v(row_) = 1;
    return value_ * v / v.norm();
  }
  const double sdj = std::exp(u[0]);
  const Eigen::VectorXd vi = unit_row_i(row_i);
  Eigen::VectorXd w(row_ + 1);
  int pos = 1;
  for (int c = 0; c < row_; ++c) w(c) = (c == t_.i) ? 0.0 : u[pos++];
  w(row_) = 1;
  w -= w.dot(vi) * vi;
  w /= w.norm();
  return sdj * (value_ * vi + std::sqrt(1 - value_ * value_) * w);
}

Eigen::VectorXd ConstrainedRow::coords(const Eigen::VectorXd& lr,
                                       const Eigen::VectorXd& row_i) const {
  Eigen::VectorXd u(size());
  if (t_.kind == VcKind::Sd) {
    // a diagonal at its bound 0 (sparse theta): a large finite slope instead
    const double d = lr(row_) > 0 ? lr(row_) : 1e-8 * std::max(lr.norm(), 1.0);
    for (int c = 0; c < row_; ++c) u(c) = lr(c) / d;
    return u;
  }
  const double norm = lr.norm();
  if (!(norm > 0)) {  // sd_j = 0: any direction
    u.setZero();
    u(0) = std::log(std::numeric_limits<double>::min());
    return u;
  }
  u(0) = std::log(norm);
  const Eigen::VectorXd vi = unit_row_i(row_i);
  Eigen::VectorXd w = lr / norm;
  w -= w.dot(vi) * vi;
  const double wn = w.norm();
  const bool ok = wn > 1e-8 && w(row_) > 1e-8 && vi(t_.i) != 0;
  int pos = 1;
  for (int c = 0; c < row_; ++c) {
    if (c == t_.i) continue;
    u(pos++) = ok ? (w(c) / wn - (w(t_.i) / wn) * vi(c) / vi(t_.i)) / (w(row_) / wn) : 0.0;
  }
  return u;
}

}  // namespace lmm
}  // namespace glycotrial
