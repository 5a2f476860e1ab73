#include "core/inference/df.hpp"

#include <cmath>
#include <algorithm>
#include <limits>
#include <vector>

#include "core/common/errors.hpp"

namespace glycotrial {
namespace inference {

Eigen::VectorXd satterthwaite_df(const Eigen::MatrixXd& Phi, const std::vector<Eigen::MatrixXd>& jac,
                                 const Eigen::MatrixXd& A, const Eigen::MatrixXd& L) {
  const int K = static_cast<int>(jac.size());
  require(L.cols() == Phi.rows(), "L", "L must have one column per fixed effect");
  require(A.rows() == K && A.cols() == K, "A", "A must be K x K for K Jacobian matrices");
  Eigen::VectorXd out(L.rows());
  Eigen::VectorXd g(K);
  for (Eigen::Index r = 0; r < L.rows(); ++r) {
    const Eigen::VectorXd l = L.row(r).transpose();
    const double v = l.dot(Phi * l);
    for (int j = 0; j < K; ++j) g(j) = l.dot(jac[j] * l);
    out(r) = 2 * v * v / g.dot(A * g);
  }
  return out;
}

double fai_cornelius_df(const Eigen::VectorXd& nu) {
  require(nu.size() >= 1, "nu", "at least one df is needed");
  if (nu.hasNaN()) return std::numeric_limits<double>::quiet_NaN();
  if (nu.size() == 1) return nu(0);
  const double tol = std::sqrt(std::numeric_limits<double>::epsilon());
  if (((nu.array() - nu(0)).abs() < tol).all()) return nu(0);
  if ((nu.array() <= 2).any()) return 2;
  const double E = (nu.array() / (nu.array() - 2)).sum();
  return 2 * E / (E - static_cast<double>(nu.size()));
}

Eigen::VectorXd between_within_df(const Eigen::MatrixXd& X, const std::vector<int>& subject,
                                  const std::vector<bool>& is_intercept, int n_obs,
                                  int n_subjects) {
  const Eigen::Index n = X.rows(), p = X.cols();
  require(static_cast<Eigen::Index>(subject.size()) == n, "subject", "one subject per row of X");
  require(static_cast<Eigen::Index>(is_intercept.size()) == p, "is_intercept", "one flag per column");
  int max_code = -1;
  for (int s : subject) max_code = std::max(max_code, s);
  std::vector<bool> between(p);
  int n_between = 0, n_int = 0, n_within = 0;
  for (Eigen::Index c = 0; c < p; ++c) {
    // first value of each subject, then every row against it
    std::vector<double> first(static_cast<size_t>(max_code + 1), std::nan(""));
    std::vector<bool> seen(static_cast<size_t>(max_code + 1), false);
    bool constant = true;
    for (Eigen::Index i = 0; i < n && constant; ++i) {
      const int s = subject[i];
      require(s >= 0, "subject", "subject codes must be non-negative");
      if (!seen[s]) {
        seen[s] = true;
        first[s] = X(i, c);
      } else if (!(X(i, c) == first[s])) {
        constant = false;
      }
    }
    between[c] = constant && !is_intercept[c];
    n_between += between[c];
    n_int += is_intercept[c];
    n_within += !between[c] && !is_intercept[c];
  }
  const double df_between = n_subjects - n_between - n_int;
  const double df_within = n_obs - n_subjects - n_within;
  Eigen::VectorXd out(p);
  for (Eigen::Index c = 0; c < p; ++c) out(c) = between[c] ? df_between : df_within;
  return out;
}

double empirical_df(const Eigen::MatrixXd& N, const Eigen::MatrixXd& K, const Eigen::MatrixXd& Phi,
                    const Eigen::VectorXd& contrast) {
  const Eigen::Index p = Phi.rows();
  require(contrast.size() == p, "contrast", "one contrast element per fixed effect");
  require(N.cols() == p && K.cols() == p && N.rows() == K.rows() && N.rows() % p == 0, "N",
          "N and K must stack p x p matrices by rows");
  const Eigen::Index n = N.rows() / p;
  const Eigen::VectorXd a = Phi * contrast;
  const Eigen::VectorXd Na = N * a, Ka = K * a;
  const Eigen::MatrixXd Zt = Eigen::Map<const Eigen::MatrixXd>(Na.data(), p, n);  // column i: z_i
  const Eigen::MatrixXd Ka_m = Eigen::Map<const Eigen::MatrixXd>(Ka.data(), p, n);
  const Eigen::VectorXd d = Ka_m.transpose() * a;                                 // a' K_i a
  const Eigen::VectorXd q = (Zt.array() * (Phi * Zt).array()).colwise().sum().transpose();
  const Eigen::MatrixXd BZZ = Phi * (Zt * Zt.transpose());
  const double tr_g = d.sum() - q.sum();
  const double frob = d.squaredNorm() - 2 * d.dot(q) + BZZ.cwiseProduct(BZZ.transpose()).sum();
  return tr_g * tr_g / frob;
}

}  // namespace inference
}  // namespace glycotrial
