// The MMRM engine: REML/ML deviance, its analytic gradient and exact Hessian
// from per-visit-pattern moments (DESIGN.md, "pattern moments"), and the pieces
// the degrees-of-freedom methods need (Jacobian of Cov(beta) in theta and the
// Kenward-Roger sums).
//
// Model (Mallinckrodt et al. 2008; mmrm's "Details of the model fitting"
// vignette): y_i = X_i beta + e_i, e_i ~ N(0, W_i^{-1/2} Sigma_g(i)[P_i] W_i^{-1/2})
// with subject i's visits P_i, group g(i) and observation weights W_i.
// The deviance is -2 log L:
//   ML  : sum_i log|Sigma_i| + r'V^{-1}r + n log(2 pi)
//   REML: sum_i log|Sigma_i| + log|X'V^{-1}X| + r'V^{-1}r + (n - p) log(2 pi)
// where r = y - X beta_hat(theta). Its gradient in theta_j is
//   tr(Sigma^{-1} dSigma_j) - tr(Sigma^{-1} dSigma_j Sigma^{-1} (r r' + [REML] X C^{-1} X'))
// summed over subjects, C = X'V^{-1}X; every sum over the subjects of one
// pattern is a contraction of that pattern's moment matrix
//   M_P = sum_{i in P} vec[X_i | y_i] vec[X_i | y_i]'
// so an evaluation costs O(#patterns m^2 p^2) whatever the number of subjects.
// Patterns with few subjects keep their rows instead (a direct pass is then
// cheaper than the moment contraction).
#pragma once

#include <Eigen/Dense>

#include <string>
#include <vector>

#include "core/covariance/covariance.hpp"

namespace glycotrial {
namespace mmrm {

struct MmrmInput {
  int n = 0;                         // observations
  int p = 0;                         // columns of X (full column rank)
  std::vector<double> X;             // n x p, column-major
  std::vector<double> y;             // n
  std::vector<double> weights;       // n, or empty for unit weights
  std::vector<double> coords;        // n: 0-based visit index or time
  std::vector<int> subject_start;    // rows of subject s: [start[s], start[s+1]); sorted input
  std::vector<int> subject_group;    // per subject, 0-based
  int n_groups = 1;
  int n_visits = 0;                  // k for visit structures; distinct times for spatial
  bool reml = true;
};

class MmrmEngine {
 public:
  // Groups subjects by (group, visit pattern) and accumulates the moments in
  // one pass. Throws InputError on duplicated visits or bad sizes.
  MmrmEngine(MmrmInput input, const CovarianceModel& cov);

  // From precomputed pattern moments (moments.hpp data pass, an SQL
  // aggregate, or chunk workers; defined in moments_engine.cpp). No rows are
  // kept, so subject_pass() is unavailable on such an engine.
  struct PatternMomentsIn {
    int group = 0;
    std::vector<double> coords;  // visit indices
    long long n_subjects = 0;
    Eigen::MatrixXd M;           // m (p + 1) square, index c * m + a
  };
  MmrmEngine(int p, long long n_obs, int n_groups, int n_visits, bool reml, double log_weight_sum,
             std::vector<PatternMomentsIn> patterns, const CovarianceModel& cov);

  int n_theta() const { return n_theta_group_ * input_.n_groups; }
  int n_theta_group() const { return n_theta_group_; }
  int n_patterns() const { return static_cast<int>(patterns_.size()); }
  int n_subjects() const { return static_cast<int>(input_.subject_group.size()); }
  const MmrmInput& input() const { return input_; }

  // Deviance (-2 log L) at theta; with grad != nullptr also its gradient.
  // Returns +Inf when some Sigma is not positive definite.
  double deviance(const std::vector<double>& theta, std::vector<double>* grad);

  // Quantities at theta (call after choosing theta; recomputes as needed).
  struct Estimates {
    Eigen::VectorXd beta;
    Eigen::MatrixXd beta_vcov;  // C^{-1}
    double deviance = 0;
  };
  Estimates estimates(const std::vector<double>& theta);

  // Deviance, gradient and exact Hessian of the deviance in one pass over
  // the patterns (formulas in engine.cpp), and with jacobian = true also the
  // Jacobian terms P_j of jacobian_terms(). The second derivatives of Sigma
  // come from central differences of the structure's analytic first
  // derivatives (on the k x k visit matrix, so their cost does not grow with
  // the data). ok = false when some Sigma is not positive definite.
  struct Derivatives {
    bool ok = false;
    double deviance = 0;
    std::vector<double> gradient;
    Eigen::MatrixXd hessian;
    std::vector<Eigen::MatrixXd> jacobian;
  };
  Derivatives derivatives(const std::vector<double>& theta, bool jacobian);

  // Minimises the deviance from `start` with the optimiser of core/optim
  // (optim::optimise(): the methods in turn, e.g. {"newton", "bfgs"}, with a
  // saddle escape between them, then the alternative starts) on the exact
  // Hessian of derivatives(). derivatives holds the deviance and gradient
  // at theta, and the Hessian and Jacobian at the point of the last exact
  // Hessian (Newton: the point before its last step, which moves theta by
  // O(rounding)). grad_tol is the methods' tolerance; converged = largest
  // |gradient| <= accept_tol * max(1, |deviance|) and a positive definite
  // Hessian. ok = false when no method
  // reached a finite deviance.
  struct OptimiseResult {
    bool ok = false;
    std::vector<double> theta;
    Derivatives derivatives;
    int iterations = 0;
    std::string optimizer;
    std::vector<std::string> tried;
    bool gradient_ok = false, hessian_pd = false, converged = false;
  };
  OptimiseResult optimise(const std::vector<double>& start,
                          const std::vector<std::vector<double>>& alternatives,
                          const std::vector<std::string>& methods, double grad_tol,
                          double accept_tol, int max_iter);

  // Method::newton of core/optim alone from theta, max_iter iterations (the
  // MI refits of core/mi): theta, the derivatives as in optimise();
  // converged = largest |gradient| <= grad_tol * max(1, |deviance|); ok =
  // false when the deviance is not finite at the start.
  struct NewtonResult {
    bool ok = false;
    std::vector<double> theta;
    Derivatives derivatives;
    int iterations = 0;
    int n_hessian = 0, n_gradient = 0;
    bool converged = false;
  };
  NewtonResult newton(const std::vector<double>& theta, double grad_tol, int max_iter);

  // Default starting values of a structure with a C++ start(): the
  // structure's start() from ols_residual_covariance() per group; for
  // spatial structures the candidates of spatial_starts() (range parameter
  // from the median within-subject distance), ordered by their deviance
  // (the first is the start, the others the alternatives of optimise()).
  std::vector<std::vector<double>> default_starts();

  // Median distance between two times of the same subject (NaN when no
  // subject has two distinct times).
  double median_distance() const;

  // Starting values: ordinary least-squares residuals r from the moments (no
  // data pass), and per group the average of r_a r_b over the subjects seen
  // at visits a and b (k x k, NaN where no subject has both; visit
  // structures only) and the mean of r^2 over all observations of the group.
  struct ResidualCovariance {
    std::vector<Eigen::MatrixXd> S;
    std::vector<double> variance;
  };
  ResidualCovariance ols_residual_covariance() const;

  // The exact Hessian of derivatives(); throws NumericalError when the
  // deviance is not finite at theta.
  Eigen::MatrixXd hessian(const std::vector<double>& theta);

  // Hessian by central differences of the analytic gradient (reference for
  // the tests of the exact one).
  Eigen::MatrixXd hessian_numeric(const std::vector<double>& theta);

  // P_j = sum_i X_i' Sigma_i^{-1} dSigma_j Sigma_i^{-1} X_i, so that
  // d Cov(beta) / d theta_j = Cov(beta) P_j Cov(beta).
  std::vector<Eigen::MatrixXd> jacobian_terms(const std::vector<double>& theta);

  // Kenward-Roger sums for a weight matrix W (n_theta x n_theta):
  //   Q = sum_jk W_jk sum_i X_i' S^-1 dS_j S^-1 dS_k S^-1 X_i
  //   R = sum_jk W_jk sum_i X_i' S^-1 d2S_jk S^-1 X_i   (second derivatives
  //       by central differences of the analytic first ones)
  void kr_sums(const std::vector<double>& theta, const Eigen::MatrixXd& W, Eigen::MatrixXd& Q,
               Eigen::MatrixXd& R, bool need_R);

  // One pass over the subjects: normalized residuals L_i^{-1} r_i (in input
  // row order) and the score contributions X_i' Sigma_i^{-1} r_i (one row per
  // subject) used by the sandwich estimator.
  void subject_pass(const std::vector<double>& theta, const Eigen::VectorXd& beta,
                    Eigen::VectorXd& normalized, Eigen::MatrixXd& scores);

  // Sigma of group g at the given coordinates (visit indices or times).
  Eigen::MatrixXd sigma(const std::vector<double>& theta, int group,
                        const std::vector<double>& coords) const;

 private:
  struct Pattern {
    int group = 0;
    std::vector<double> coords;   // m coordinates
    std::vector<int> visits;      // visit indices (non-spatial)
    std::vector<int> subjects;
    bool moments = false;
    // [X_i | y_i] of the subjects side by side (m x n_P (p+1)), when !moments
    Eigen::MatrixXd Ast;
    // The moments M_P compressed by symmetry (see compress_moments()):
    // m(m+1)/2 x (p+1)(p+2)/2, when moments
    Eigen::MatrixXd N;
  };

  // N[tri(a, b), tri(c, d)] = sum_i A_i(a, c) A_i(b, d) [+ A_i(b, c) A_i(a, d) when
  // a < b], for a <= b and c <= d, from M = sum_i vec(A_i) vec(A_i)' (only its
  // lower triangle is read); tri(a, b) = a + b (b + 1) / 2. Then for symmetric
  // B and T, sum_i A_i' B A_i and sum_i A_i T A_i' are one matrix-vector
  // product each, of about a quarter of the size of the uncompressed one.
  static Eigen::MatrixXd compress_moments(const Eigen::MatrixXd& M, int m, int q);

  // d2 Sigma / d theta_j d theta_l (one group's parameters th, at coords) by
  // central differences of the analytic first derivatives, handed to
  // term(j, l, dSigma_l at theta_j + h, dSigma_l at theta_j - h, 2 h).
  template <class Term>
  void for_each_second_derivative(const std::vector<double>& th, int k,
                                  const std::vector<double>& coords, double h_rel, Term term) const;

  // Per-evaluation cache for one pattern.
  struct PatternEval {
    Eigen::MatrixXd S, Sinv;
    std::vector<Eigen::MatrixXd> dS;
    double logdet = 0;
  };

  // The fixed-effect part at theta: Q = sum_i A_i' Sigma_i^-1 A_i, beta,
  // G = C^-1 (when need_G) and the deviance. False when C is singular or the
  // deviance is not finite.
  struct FixedPart {
    Eigen::MatrixXd Q, G;
    Eigen::VectorXd beta;
    double deviance = 0;
  };
  bool fixed_part(const std::vector<PatternEval>& ev, bool need_G, FixedPart& out) const;

  void group_sigmas(const std::vector<double>& theta, bool derivs,
                    std::vector<Eigen::MatrixXd>& full, std::vector<std::vector<Eigen::MatrixXd>>& dfull) const;
  bool eval_patterns(const std::vector<double>& theta, bool derivs, std::vector<PatternEval>& ev) const;
  // A_i = [sqrt(w) X_i | sqrt(w) y_i] for subject s (m x (p+1)).
  Eigen::MatrixXd subject_block(int s) const;
  // Q = sum_i A_i' B A_i over the pattern ((p+1) square).
  Eigen::MatrixXd contract(const Pattern& P, const Eigen::MatrixXd& B) const;
  // F = sum_i A_i T A_i' over the pattern (m x m).
  Eigen::MatrixXd contract_rev(const Pattern& P, const Eigen::MatrixXd& T) const;

  MmrmInput input_;
  const CovarianceModel& cov_;
  int n_theta_group_ = 0;
  double log_weight_sum_ = 0;  // sum log w (enters log|Sigma_i|)
  std::vector<Pattern> patterns_;
};

}  // namespace mmrm
}  // namespace glycotrial
