// Linear mixed models with several (nested or crossed) grouping factors by the
// profiled deviance of Bates, Maechler, Bolker & Walker (2015, J Stat Softw
// 67(1), section 3): b = Lambda_theta u, u ~ N(0, sigma^2 I), Lambda_theta
// block diagonal with one lower-triangular p_k x p_k factor T_k per term
// (repeated for each level of the term's grouping factor); the sparse
// Cholesky of M = Lambda' Z' Z Lambda + I (SimplicialLDLT, AMD ordering) is
// analysed symbolically once and refactorised numerically for each theta.
// beta and sigma are profiled out; theta is optimised under the bounds
// diag(T_k) >= 0 by a projected quasi-Newton method on finite-difference
// gradients with a Newton polish (the bounded method of core/optim).
#pragma once

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <Eigen/SparseCholesky>

#include "core/lmm/lmm.hpp"

#include <functional>
#include <string>
#include <vector>

namespace glycotrial {
namespace lmm {

// One random-effect term: p coefficients per level of a factor with
// n_levels levels. Columns of Z for the term are offset + level * p + j.
struct SparseTerm {
  int n_levels = 0;
  int p = 0;
};

struct SparseData {
  Eigen::MatrixXd X;                  // n x p fixed-effects design
  Eigen::VectorXd y;                  // n responses
  Eigen::SparseMatrix<double> Z;      // n x q (explicit zeros kept structurally)
  std::vector<SparseTerm> terms;
  bool reml = true;
  // Optional observation weights (empty: none): the residual variance of row
  // i is sigma^2 / w_i; rows of X, y and Z are scaled by sqrt(w) and the
  // deviance includes -sum(log w), as lme4.
  Eigen::VectorXd weights;
};

// Everything the profiled deviance yields at one theta.
struct SparseEvaluation {
  bool ok = false;
  double deviance = 0;     // -2 log (restricted) likelihood, profiled
  double ldL2 = 0;         // log det(M)
  double ldRX2 = 0;        // log det(RX' RX)
  double pwrss = 0;        // penalised weighted residual sum of squares r^2
  double sigma2 = 0;       // r^2 / (n or n - p)
  Eigen::VectorXd beta;
  Eigen::MatrixXd XtVinvX_inv;  // (RX' RX)^-1: vcov(beta) = sigma2 * this
  Eigen::VectorXd u;            // spherical conditional modes
  Eigen::VectorXd b;            // Lambda u
};

class SparseModel {
 public:
  explicit SparseModel(SparseData data);

  int n_obs() const { return static_cast<int>(data_.y.size()); }
  int n_fixed() const { return static_cast<int>(data_.X.cols()); }
  int n_random() const { return q_; }
  int n_theta() const { return n_theta_; }
  bool reml() const { return data_.reml; }
  const std::vector<SparseTerm>& terms() const { return data_.terms; }
  // Position of T_k(r, c) (r >= c) in theta.
  int theta_index(int k, int r, int c) const;
  // Lower bounds of theta: 0 for diagonal elements of each T_k, -inf else.
  Eigen::VectorXd theta_lower() const;
  // lme4's start: identity T_k.
  Eigen::VectorXd theta_start() const;
  // Deviance of the model with the residual standard deviation given
  // (not profiled), as lmerTest's devfun_vp: used for Satterthwaite df.
  double deviance_sigma(const Eigen::VectorXd& theta, double sigma);

  // Replaces X, y and Z (same dimensions; a model without weights) and keeps
  // the symbolic analysis while the pattern of M stays: the whitened designs
  // of SparseResidualModel, one per value of the residual parameters.
  void set_data(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                const Eigen::SparseMatrix<double>& Z);

  SparseEvaluation evaluate(const Eigen::VectorXd& theta);
  double deviance(const Eigen::VectorXd& theta);

  // Kenward-Roger pieces (REML only) in pbkrtest's parametrisation: the
  // lower-triangle elements of each term's covariance G_k and sigma^2, in
  // which V = Z G Z' + sigma^2 W^-1 is linear (so R_jk = 0). Dense in the
  // observations (V^-1 is n x n, as pbkrtest): O(n^3 + K^2 n^2 p) time and
  // K n^2 doubles of memory for K variance parameters; throws an InputError
  // above `max_cells` = K n^2.
  KenwardRoger kenward_roger(const Eigen::VectorXd& theta, double max_cells = 1e8);

  // Covariance of the random effects of term k relative to sigma^2: T_k T_k'.
  Eigen::MatrixXd relative_cov(const Eigen::VectorXd& theta, int k) const;
  // Conditional covariance blocks var(b | y) / sigma^2 = Lambda M^-1 Lambda'
  // for each level of term k, stacked as p x (p * n_levels).
  Eigen::MatrixXd conditional_var(const Eigen::VectorXd& theta, int k);

 private:
  void cross_products();
  void update_lambda(const Eigen::VectorXd& theta);
  bool factorise();

  SparseData data_;
  int q_ = 0;
  int n_theta_ = 0;
  double log_det_w_ = 0;              // sum(log w)
  std::vector<int> theta_offset_;     // per term
  std::vector<int> col_offset_;       // per term
  Eigen::SparseMatrix<double> ZtZ_;
  Eigen::MatrixXd ZtX_;
  Eigen::VectorXd Zty_;
  Eigen::MatrixXd XtX_;
  Eigen::VectorXd Xty_;
  Eigen::SparseMatrix<double> Lambda_;  // q x q, fixed pattern
  std::vector<int> lambda_map_;         // theta index of each stored value
  Eigen::SparseMatrix<double> M_;
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>, Eigen::Lower, Eigen::AMDOrdering<int>> chol_;
  bool analysed_ = false;
  std::vector<int> pattern_outer_, pattern_inner_;
};

}  // namespace lmm
}  // namespace glycotrial
