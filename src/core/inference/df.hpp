// Degrees of freedom other than Kenward-Roger, on matrices only (see
// kenward_roger.hpp for the shared notation):
// - Satterthwaite (1946) for one contrast l: 2 (l' Phi l)^2 / (g' A g),
//   g_j = l' dPhi/dtheta_j l, A = covariance of theta-hat (as lmerTest, mmrm);
// - Fai & Cornelius (1996) for a q-row contrast from the df nu_1..nu_q of q
//   one-row contrasts rotated to independence;
// - between-within (Schluchter & Elashoff 1990; SAS DDFM=BW) per coefficient;
// - Satterthwaite for the sandwich covariances (Bell & McCaffrey 2002).
#pragma once

#include <Eigen/Dense>

#include <vector>

namespace glycotrial {
namespace inference {

// One df per row of L (each row one contrast).
Eigen::VectorXd satterthwaite_df(const Eigen::MatrixXd& Phi, const std::vector<Eigen::MatrixXd>& jac,
                                 const Eigen::MatrixXd& A, const Eigen::MatrixXd& L);

// Fai-Cornelius denominator df, E = sum nu_i / (nu_i - 2), df = 2 E / (E - q).
// Small-df convention (one for every model, that of lmerTest's
// get_Fstat_ddf, mmrm's h_md_denom_df and pbkrtest): a single nu is returned
// as is; nu all equal (within sqrt(machine eps)) gives nu_1; any nu_i <= 2
// gives 2 (E is then undefined or the formula's df below 2); NaN in, NaN out.
double fai_cornelius_df(const Eigen::VectorXd& nu);

// Between-within df per column of X (n x p) with subject codes per row: a
// column constant within every subject (and not an intercept) is a between
// effect with n_subjects - (between columns) - (intercepts) df; the others
// and the intercept get n_obs - n_subjects - (within, non-intercept columns).
Eigen::VectorXd between_within_df(const Eigen::MatrixXd& X, const std::vector<int>& subject,
                                  const std::vector<bool>& is_intercept, int n_obs,
                                  int n_subjects);

// Bell-McCaffrey df of c' V_emp c: tr(G)^2 / ||G||_F^2 with G = D - Z Phi Z',
// D = diag(a' K_i a), z_i = N_i a, a = Phi c. N and K stack the subjects'
// p x p matrices N_i = X~_i' A_i X~_i and K_i = X~_i' A_i' A_i X~_i by rows
// (n p x p), so only p x p algebra per subject is needed.
double empirical_df(const Eigen::MatrixXd& N, const Eigen::MatrixXd& K, const Eigen::MatrixXd& Phi,
                    const Eigen::VectorXd& contrast);

}  // namespace inference
}  // namespace glycotrial
