// Reference-based conditional-mean imputation (issue 20): the imputation
// model is an MMRM fitted by the engine of core/mmrm; each subject's missing
// visits are imputed from the multivariate normal distribution of its visits
// under the subject's intercurrent-event (ICE) strategy, conditional on its
// observed visits.
//
// Strategies (Carpenter, Roger & Kenward 2013; rbmi's strategy_* functions,
// Wolbers et al. 2022). With mu_a = X_i(own arm) beta, mu_r = X_i(reference
// arm) beta, Sigma_a / Sigma_r the covariance of the own / reference arm's
// group and t the first visit affected by the ICE (visits 1..t-1 "MAR"):
//   MAR : mu = mu_a, Sigma = Sigma_a
//   JR  : mu = (mu_a[<t], mu_r[>=t]),                     Sigma = S*
//   CR  : mu = mu_r,                                      Sigma = Sigma_r
//   CIR : mu = (mu_a[<t], mu_a[t-1] + mu_r[>=t] - mu_r[t-1]), Sigma = S*
//   LMCF: mu = (mu_a[<t], mu_a[t-1] repeated),            Sigma = Sigma_a
// where S* keeps the own arm's covariance before the ICE and the reference
// arm's conditional structure after it (rbmi's compute_sigma()):
//   S*_11 = A_11, S*_21 = R_21 R_11^-1 A_11,
//   S*_22 = R_22 - R_21 R_11^-1 (R_11 - A_11) R_11^-1 R_12.
// The conditional mean of the missing visits m given the observed visits o is
//   mu_m + Sigma_mo Sigma_oo^-1 (y_o - mu_o).
#pragma once

#include <Eigen/Dense>

#include <string>
#include <vector>

namespace glycotrial {
namespace mi {

enum class Strategy { MAR = 0, JR = 1, CR = 2, CIR = 3, LMCF = 4 };

// Mean and covariance of all k visits of one subject under its strategy;
// ice = index of the first visit affected (k when no ICE or MAR).
void strategy_parameters(Strategy s, int ice, const Eigen::VectorXd& mu_own,
                         const Eigen::VectorXd& mu_ref, const Eigen::MatrixXd& sigma_own,
                         const Eigen::MatrixXd& sigma_ref, Eigen::VectorXd& mu,
                         Eigen::MatrixXd& sigma);

// The mean / the covariance part of strategy_parameters().
void strategy_mean(Strategy s, int ice, const Eigen::VectorXd& mu_own, const Eigen::VectorXd& mu_ref,
                   Eigen::VectorXd& mu);
Eigen::MatrixXd strategy_sigma(Strategy s, int ice, const Eigen::MatrixXd& sigma_own,
                               const Eigen::MatrixXd& sigma_ref);

// rbmi's compute_sigma(): the covariance S* above for the first n_mar visits.
Eigen::MatrixXd reference_sigma(const Eigen::MatrixXd& sigma_own, const Eigen::MatrixXd& sigma_ref,
                                int n_mar);

// S[rows, cols].
Eigen::MatrixXd submatrix(const Eigen::MatrixXd& S, const std::vector<int>& rows,
                          const std::vector<int>& cols);

// Fills the NaN entries of y with their conditional mean given the others.
// When cond_sigma != nullptr it receives the conditional covariance of the
// missing entries (for draws).
void conditional_mean(const Eigen::VectorXd& mu, const Eigen::MatrixXd& sigma, Eigen::VectorXd& y,
                      Eigen::MatrixXd* cond_sigma = nullptr);

// The whole problem: imputation model data, ICE table and analysis model.
struct MiProblem {
  int n_subjects = 0;
  int k = 0;  // visits
  int p = 0;  // columns of the imputation model's X
  // All subject-visits, row s * k + v, column-major (n_subjects k) x p, for
  // the own arm and for the reference arm.
  std::vector<double> X_own, X_ref;
  std::vector<double> y;            // n_subjects k, NaN where missing
  std::vector<int> fit_row;         // n_subjects k: 1 when the row enters the imputation model
  std::vector<int> ice;             // per subject: first visit index affected, k when none
  std::vector<int> strategy;        // per subject, Strategy code
  std::vector<int> group_own;       // per subject: covariance group of its arm
  std::vector<int> group_ref;       // per subject: covariance group of its reference arm
  // per subject: slot of a user-registered strategy's parameters in
  // SampleFit::custom_mu/custom_sigma, -1 for a built-in strategy (may be empty)
  std::vector<int> custom;
  int n_groups = 1;
  bool reml = true;
  std::string cov_key = "us";
  // Analysis: ANCOVA of the outcome at each visit on Z_v (n_subjects x q,
  // column-major, one matrix per visit); the estimates are the coefficients
  // at the columns `contrast_cols` (0-based).
  int q = 0;
  std::vector<std::vector<double>> Z;  // k matrices
  std::vector<int> contrast_cols;
  std::vector<double> delta;  // n_subjects k, added to the outcome before the analysis (may be empty)
};

// The imputation model fitted to one resample.
struct SampleFit {
  bool ok = false;
  std::vector<double> theta;
  Eigen::VectorXd beta;
  std::vector<Eigen::MatrixXd> sigma;  // per group, k x k
  // Mean and covariance of all k visits from user-registered strategies
  // (computed in R from beta and sigma), one per slot of MiProblem::custom.
  std::vector<Eigen::VectorXd> custom_mu;
  std::vector<Eigen::MatrixXd> custom_sigma;
};

// Throws unless the fit holds a k-vector and k x k matrix for the slot.
void check_custom(const SampleFit& fit, int slot, int k);

// Fits the imputation model to the subjects of each sample (indices into the
// problem's subjects, repeats allowed: a bootstrap sample), each by Newton
// from theta0 (the full-data optimum), on n_threads threads (one engine and
// covariance object per thread; the result does not depend on n_threads).
std::vector<SampleFit> fit_samples(const MiProblem& pb, const std::vector<std::vector<int>>& samples,
                                   const std::vector<double>& theta0, int n_threads,
                                   double grad_tol, int max_iter);

// Conditional-mean imputation of the sample's subjects from its fit:
// (n_sample k) outcome values, row i * k + v for the i-th subject of the sample.
Eigen::VectorXd impute_sample(const MiProblem& pb, const std::vector<int>& sample,
                              const SampleFit& fit);

// Imputes and analyses each sample: a k x n_contrasts matrix of estimates per
// sample (delta added to the imputed data before the analysis).
std::vector<Eigen::MatrixXd> analyse_samples(const MiProblem& pb,
                                             const std::vector<std::vector<int>>& samples,
                                             const std::vector<SampleFit>& fits, int n_threads);

}  // namespace mi
}  // namespace glycotrial
