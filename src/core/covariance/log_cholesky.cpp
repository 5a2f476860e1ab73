#include "core/covariance/log_cholesky.hpp"

#include <cmath>

namespace glycotrial {
namespace mmrm {

std::vector<CholeskyEntry> log_cholesky_entries(const std::vector<int>& blocks,
                                                bool diagonal_only) {
  std::vector<CholeskyEntry> out;
  int q = 0;
  for (int b : blocks) {
    for (int j = 0; j < b; ++j)
      for (int i = j; i < b; ++i)
        if (i == j || !diagonal_only) out.emplace_back(q + i, q + j);
    q += b;
  }
  return out;
}

Eigen::MatrixXd log_cholesky_factor(const double* theta, const std::vector<CholeskyEntry>& entries,
                                    int q) {
  Eigen::MatrixXd L = Eigen::MatrixXd::Zero(q, q);
  for (size_t r = 0; r < entries.size(); ++r) {
    const int i = entries[r].first, j = entries[r].second;
    L(i, j) = i == j ? std::exp(theta[r]) : theta[r];
  }
  return L;
}

std::vector<double> log_cholesky_parameters(const Eigen::MatrixXd& L,
                                            const std::vector<CholeskyEntry>& entries) {
  std::vector<double> th;
  th.reserve(entries.size());
  for (const auto& e : entries)
    th.push_back(e.first == e.second ? std::log(L(e.first, e.first)) : L(e.first, e.second));
  return th;
}

}  // namespace mmrm
}  // namespace glycotrial
