// Linear mixed models with random effects for one grouping factor (subject)
// and an optional residual covariance structure per subject:
//   y_i = X_i beta + Z_i b_i + e_i,  b_i ~ N(0, G),  e_i ~ N(0, R_i(theta_R)),
//   V_i = Z_i G Z_i' + R_i.
// Subjects are independent blocks, so the (RE)ML criterion is a sum over
// subjects. Subjects that share Z_i and their residual coordinates share V_i
// (a "pattern", cf. the pattern-moment design in DESIGN.md): one Cholesky per
// pattern, then one triangular solve with all the pattern's subjects' [X | y]
// as right-hand sides (BLAS-3), and one cross-product.
//
// G = blockdiag(L_k L_k'), one block per random-effect term, L_k lower
// triangular with log-diagonal (log-Cholesky; Pinheiro & Bates 1996,
// "Unconstrained parametrizations for variance-covariance matrices").
// Without a residual structure (R_i = sigma^2 I), sigma^2 is profiled out and
// G = sigma^2 T T' with T parametrised the same way ("profiled" mode, as in
// lme4, Bates et al. 2015, J Stat Softw 67(1), eqs. 33-42). "Absolute" mode
// carries all variance parameters explicitly (needed with residual
// structures, and for the Hessian used by Satterthwaite df).
//
// Derivatives (Searle, Casella & McCulloch 1992, sec. 6.12; Wolfinger, Tobias
// & Sall 1994): with P-contributions M_i = V_i^{-1} - V_i^{-1} (r_i r_i' / s +
// X_i A^{-1} X_i' [REML]) V_i^{-1},  d(-2 l)/d theta_j = sum_i tr(M_i dV_i/dtheta_j).
//
// The response is standardised internally (divided by y_scale) so that start
// values are scale free; all outputs are on the original scale except the
// parameter vectors (theta) themselves, which live on the standardised scale.
#pragma once

#include <Eigen/Dense>

#include "core/covariance/log_cholesky.hpp"
#include "core/inference/kenward_roger.hpp"

#include <memory>
#include <string>
#include <vector>

namespace glycotrial {
namespace lmm {

enum class ResidualType { Iid, Plugin, Kronecker };

struct ResidualSpec {
  ResidualType type = ResidualType::Iid;
  std::string plugin_key;      // Plugin: registered covariance key
  int n_visits = 0;            // Plugin: number of distinct visits / times
  // Kronecker (bivariate responses): Cov(e_{r,t}, e_{r',t'}) = U[r,r'] C(t,t')
  bool kron_unstructured = true;  // U unstructured (else diagonal)
  bool kron_ar1 = false;          // C = AR(1) over visit index (else identity)
};

struct Data {
  Eigen::MatrixXd X;            // n x p fixed-effects design
  Eigen::MatrixXd Z;            // n x q random-effects design
  Eigen::VectorXd y;            // n
  std::vector<int> subject_start;  // offsets, size n_subjects + 1; rows sorted by subject
  std::vector<int> re_blocks;      // sizes of G's diagonal blocks (sum = q)
  std::vector<double> coords;      // residual coordinate per row (visit index or time)
  std::vector<int> groups;         // Kronecker: response index (0/1) per row
  // Observation weights w (> 0, finite), empty: all 1. Subject i's residual
  // covariance becomes W_i^{-1/2} R_i W_i^{-1/2} (sigma^2 / w with an iid
  // residual, as lme4 / nlme varFixed(~ 1/w) / mmrm). The model works on
  // rows scaled by sqrt(w) (y*, X*, Z* so that V* = Z* G Z*' + R) and adds
  // log|W^{-1}| = -sum log w to the deviance; REML's X'V^-1X is unchanged.
  std::vector<double> weights;
  ResidualSpec residual;
  bool reml = true;
  // Patterns with more subjects than this use pattern moments; -1: 2 (p + 1).
  int moment_min_subjects = -1;
};

struct Evaluation {
  double deviance = 0;  // -2 log-likelihood (REML or ML), original scale
  Eigen::VectorXd gradient;  // d deviance / d theta (theta on standardised scale)
  Eigen::VectorXd beta;      // original scale
  Eigen::MatrixXd vcov_beta;  // original scale
  double sigma2 = 1;          // profiled residual variance (standardised scale)
  bool ok = true;             // false when V_i or X'V^{-1}X was not positive definite
};

// Kenward-Roger (1997) small-sample adjustment for the fixed effects:
//   Phi_A = Phi + 2 Phi { sum_jk W_jk (Q_jk - P_j Phi P_k - R_jk / 4) } Phi,
// W = 2 (expected REML information)^-1 of the variance parameters. Without a
// residual structure the parametrisation is pbkrtest's (Halekoh & Hojsgaard
// 2014): the elements of each G block (lower triangle) and the residual
// variance, in which V is linear, so R_jk = 0. With a residual structure the
// parameters are the G elements and the structure's own parameters theta_R
// (as stored, e.g. log sd and the mmrm correlation transform for ar1): the
// second derivatives d2R/dtheta_R2 (central differences of R in the core)
// enter R_jk, as mmrm's "Kenward-Roger" (not "-Linear"). Everything is on the
// standardised response scale (with log-sd parameters a shift only); multiply
// phi / phi_adj by `scale2` for the original scale.
struct KenwardRoger {
  Eigen::MatrixXd phi;       // (X' V^-1 X)^-1
  Eigen::MatrixXd phi_adj;   // Phi_A = Phi + 2 Phi U Phi
  std::vector<Eigen::MatrixXd> P;  // P_j = -X' V^-1 V_j V^-1 X
  Eigen::MatrixXd W;         // 2 * (expected REML information)^-1 of the variance parameters
  double scale2 = 1;
};

// The Kenward-Roger algebra on these pieces (df, F scaling, Phi_A, W) is the
// shared core/inference implementation; kr_test() applies it to a setup.
using KrTest = inference::KrDf;
inline KrTest kr_test(const KenwardRoger& kr, const Eigen::MatrixXd& L) {
  return inference::kr_df(kr.phi, kr.P, kr.W, L);
}

struct FitOptions {
  int max_iter = 500;
  double grad_tol = 1e-7;
  int newton_steps = 6;
  double singular_tol = 1e-4;
};

struct FitResult {
  Eigen::VectorXd theta;           // working parameters (profiled mode when profiled)
  Eigen::VectorXd theta_absolute;  // absolute-mode parameters
  bool profiled = false;
  Evaluation eval;
  Eigen::MatrixXd G;               // q x q, original scale
  double sigma2 = NAN;             // residual variance, original scale (Iid only)
  int iterations = 0;
  int evaluations = 0;
  bool converged = false;
  bool singular = false;
  std::string message;
  Eigen::MatrixXd ranef;           // n_subjects x q conditional modes
  std::vector<Eigen::MatrixXd> ranef_condvar;  // per subject q x q
};

}  // namespace lmm
namespace mmrm {
class ResidualCovariance;
}  // namespace mmrm
namespace lmm {

class Model {
 public:
  explicit Model(Data data);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  int n_obs() const { return static_cast<int>(y_.size()); }
  int n_fixed() const { return p_; }
  int n_random() const { return q_; }
  int n_subjects() const { return static_cast<int>(subject_start_.size()) - 1; }
  int n_patterns() const;
  bool can_profile() const;
  int n_theta_g() const;
  int n_theta_residual() const;
  int n_theta(bool profiled) const { return n_theta_g() + (profiled ? 0 : n_theta_residual()); }
  double y_scale() const { return y_scale_; }
  const std::vector<int>& re_blocks() const { return re_blocks_; }
  bool is_reml() const { return reml_; }
  bool has_weights() const { return !sqrt_w_.empty(); }
  // -sum log w_i (0 without weights): the deviance offset of the weights.
  double weight_offset() const { return -log_w_sum_; }

  Evaluation evaluate(const Eigen::VectorXd& theta, bool profiled, bool gradient) const;
  Eigen::MatrixXd hessian(const Eigen::VectorXd& theta, bool profiled) const;
  Eigen::VectorXd start(bool profiled) const;
  // theta of the profiled parametrisation -> absolute parametrisation
  Eigen::VectorXd to_absolute(const Eigen::VectorXd& theta_profiled) const;
  // G (original scale) for absolute theta
  Eigen::MatrixXd g_matrix(const Eigen::VectorXd& theta_absolute) const;
  // Residual covariance (original scale) for the given coordinates/groups.
  Eigen::MatrixXd residual_cov(const Eigen::VectorXd& theta_absolute,
                               const std::vector<double>& coords,
                               const std::vector<int>& groups) const;
  // Conditional modes and variances at absolute theta.
  void conditional_modes(const Eigen::VectorXd& theta_absolute, Eigen::MatrixXd& modes,
                         std::vector<Eigen::MatrixXd>& condvar) const;

  FitResult fit(const FitOptions& options) const;

  // Kenward-Roger quantities at absolute theta (REML fits).
  // W is 2 x the inverse EXPECTED REML information (Kenward & Roger 1997,
  // pbkrtest) by default; with observed_information the inverse of the
  // observed one (numerical Hessian of the REML deviance, mapped to the KR
  // parametrisation by the delta method), as mmrm does.
  KenwardRoger kenward_roger(const Eigen::VectorXd& theta_absolute,
                             bool observed_information = false) const;

 private:
  struct Pattern;
  void build_patterns();
  // Fills the standardised-scale G from the G part of theta.
  Eigen::MatrixXd g_from_theta(const Eigen::VectorXd& theta) const;

  Eigen::MatrixXd X_, Z_;
  Eigen::VectorXd y_;
  std::vector<int> subject_start_, re_blocks_, groups_;
  std::vector<mmrm::CholeskyEntry> g_entries_;  // log-Cholesky entries of G's blocks
  std::vector<double> coords_;
  int p_ = 0, q_ = 0;
  bool reml_ = true;
  int moment_min_ = -1;
  double y_scale_ = 1;
  std::vector<double> sqrt_w_;  // empty without weights
  double log_w_sum_ = 0;
  std::unique_ptr<mmrm::ResidualCovariance> residual_;
  std::vector<Pattern> patterns_;
};

// Lower-triangular log-Cholesky block: number of parameters for a q x q block.
inline int n_chol(int q) { return q * (q + 1) / 2; }

}  // namespace lmm
}  // namespace glycotrial
