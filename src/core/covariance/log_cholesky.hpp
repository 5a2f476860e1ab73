// The log-Cholesky parametrisation (Pinheiro & Bates 1996, Stat Comput
// 6:289-96): a covariance G = L L' with L lower triangular, its parameters
// listed column by column, the diagonal on the log scale (L_ii = exp(theta),
// so G stays positive definite for every theta) and the entries below it as
// they are. One implementation for the random-effect blocks of the dense
// LMM, the visit-level random effects and the joint model's response
// covariance U.
#pragma once

#include <Eigen/Dense>

#include <utility>
#include <vector>

namespace glycotrial {
namespace mmrm {

using CholeskyEntry = std::pair<int, int>;  // (row, column) of L

// The entries of a block-diagonal L with the given block sizes, column by
// column within each block: the whole lower triangle, or the diagonal only.
std::vector<CholeskyEntry> log_cholesky_entries(const std::vector<int>& blocks,
                                                bool diagonal_only = false);

// L (q x q) from theta[0 .. entries.size()).
Eigen::MatrixXd log_cholesky_factor(const double* theta, const std::vector<CholeskyEntry>& entries,
                                    int q);

// The parameters of a given lower-triangular L with a positive diagonal.
std::vector<double> log_cholesky_parameters(const Eigen::MatrixXd& L,
                                            const std::vector<CholeskyEntry>& entries);

// d L(entry) / d theta: L_ii on the diagonal, 1 below it.
inline double log_cholesky_slope(const Eigen::MatrixXd& L, const CholeskyEntry& e) {
  return e.first == e.second ? L(e.first, e.first) : 1.0;
}

}  // namespace mmrm
}  // namespace glycotrial
