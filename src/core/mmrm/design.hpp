// Checks of an MMRM design matrix before the fit.
#pragma once

#include <string>
#include <vector>

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

// One right-hand-side variable of a model formula: a factor (codes
// 1..levels.size(), coded by treatment contrasts or full indicators as the
// term's factor code says) or a numeric column.
struct DesignVar {
  std::string name;
  bool is_factor = false;
  const int* codes = nullptr;       // factor codes (1-based), length n_all
  const double* values = nullptr;   // numeric values, length n_all
  std::vector<std::string> levels;  // factor levels
};

struct DesignMatrix {
  int n = 0, p = 0;
  std::vector<double> X;  // n x p, column-major
  std::vector<std::string> colnames;
  std::vector<int> assign;  // term index per column (0 = intercept)
};

// The model matrix that R's model.matrix() builds for treatment contrasts:
// `factors` is the n_var x n_term factor-pattern matrix of terms() without
// the response row (column-major; 1 = contrasts, 2 = all indicators), the
// columns of a term run with its first variable fastest, names are joined
// with ":" and products accumulate left to right as in R's modelmatrix().
// `rows` are the 0-based rows of the data to use (none may be missing).
DesignMatrix build_design(const std::vector<DesignVar>& vars, const std::vector<int>& factors,
                          int n_term, bool intercept, const std::vector<int>& rows);

}  // namespace mmrm
}  // namespace glycotrial
