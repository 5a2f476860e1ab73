// Checks of an MMRM design matrix before the fit.
#pragma once

namespace glycotrial {
namespace mmrm {

struct DesignCheck {
  bool finite = true;      // every entry finite
  bool full_rank = false;  // certainly of full column rank (see below)
};

// X is n x p, column-major. full_rank is true when the smallest eigenvalue
// of the column-scaled cross-product D^-1 X'X D^-1 (D = column norms)
// exceeds min_eigen: then every column's residual after projecting out the
// others is at least sqrt(min_eigen) times its norm, so a pivoted QR with a
// relative tolerance below that (R's qr(), 1e-7) finds full rank, and the
// QR can be skipped. false means "not certain" (the caller runs the QR).
DesignCheck check_design(const double* X, int n, int p, double min_eigen);

}  // namespace mmrm
}  // namespace glycotrial
