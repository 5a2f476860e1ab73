// The one row of a block's lower-triangular factor L (G = L L') that a
// fixed SD or correlation (a VcTarget of a variance-component profile, on
// lme4's scale) constrains, written in free coordinates so that the
// constraint holds exactly (lme4's profiles, Bates et al. 2015, sec. 5.1,
// are on the SD/correlation scale):
//   sd of effect i:      row_i = s u / |u|, u = (u_0..u_{i-1}, 1) free;
//   cor of effects i<j:  row_j = sd_j (r v_i + sqrt(1 - r^2) w), v_i = row_i/|row_i|,
//                        w the normalised projection of u = (u_c, c != i; u_i = 0,
//                        u_j = 1) on the orthogonal complement of v_i; log sd_j free.
// The row maths lives here once: the dense profile (profile.cpp, log-diagonal
// theta) and the sparse profile (sparse_profile.cpp, lme4's theta and sigma)
// only embed the row in their own parameter vectors.
#pragma once

#include "core/lmm/profile.hpp"  // Eigen, VcTarget

namespace glycotrial {
namespace lmm {

class ConstrainedRow {
 public:
  // t: an Sd or Cor target in a block of p effects; value: the SD on the
  // scale of the rows built (Sd) or the correlation (Cor). Throws an
  // InputError for effects outside the block or values outside the range.
  ConstrainedRow(const VcTarget& t, int p, double value);

  int row() const { return row_; }    // index of the constrained row
  int size() const { return row_; }   // number of free coordinates

  // The constrained row (length row() + 1) at the free coordinates
  // u[0 .. size()); row_i is row i of L (Cor only: entries 0..i are read).
  Eigen::VectorXd values(const double* u, const Eigen::VectorXd& row_i) const;
  // Free coordinates reproducing `row` (length row() + 1) as closely as the
  // constraint allows.
  Eigen::VectorXd coords(const Eigen::VectorXd& row, const Eigen::VectorXd& row_i) const;

 private:
  Eigen::VectorXd unit_row_i(const Eigen::VectorXd& row_i) const;

  VcTarget t_;
  int row_ = 0;
  double value_ = 0;
};

}  // namespace lmm
}  // namespace glycotrial
