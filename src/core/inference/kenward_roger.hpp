// Kenward-Roger (1997) small-sample inference for the fixed effects of a
// Gaussian model with covariance V(theta), written on the model's matrices
// only, so that every model (MMRM engine, dense and sparse LMM) supplies its
// pieces and shares one implementation:
//   Phi    = (X' V^-1 X)^-1                                  (p x p)
//   P_i    = X' V^-1 (dV/dtheta_i) V^-1 X (up to sign)        (p x p each; the
//            sign cancels in every product below)
//   Q_ij   = X' V^-1 V_i V^-1 V_j V^-1 X,  R_ij = X' V^-1 V_ij V^-1 X
//   W      = covariance of theta-hat (2 x inverse information)  (K x K)
//   L      = contrast (q x p, full row rank).
// Phi_A = Phi + 2 Phi Lambda Phi, Lambda = sum_ij W_ij (Q_ij - P_i Phi P_j -
// R_ij / 4) (K&R eq. 2-5; R = 0 for covariances linear in theta). The
// denominator df m and the F scaling lambda follow K&R section 4 in the form
// of pbkrtest's Lb_ddf (Halekoh & Hojsgaard 2014), which mmrm and emmeans share.
#pragma once

#include <Eigen/Dense>

#include <vector>

namespace glycotrial {
namespace inference {

// Expected REML information of the variance parameters (Kenward & Roger
// 1997, eq. 6; pbkrtest): IE_jk = tr(V^-1 V_j V^-1 V_k) - 2 tr(Phi Q_jk) +
// tr(Phi P_j Phi P_k), from the model's traces (upper triangle of `trace`
// used), P and the upper-triangle pair matrices Q (row-major K x K).
Eigen::MatrixXd kr_expected_information(const Eigen::MatrixXd& trace, const Eigen::MatrixXd& Phi,
                                        const std::vector<Eigen::MatrixXd>& P,
                                        const std::vector<Eigen::MatrixXd>& Q);

// W = 2 IE^-1 for the expected information IE of the variance parameters (a
// pseudo-inverse when IE is near singular, as pbkrtest).
Eigen::MatrixXd kr_weight_matrix(const Eigen::MatrixXd& IE);

// sum_jk W_jk M_jk for K x K pair matrices stored row-major with only the
// upper triangle (j <= k) filled, M_kj = M_jk'. M may cover only the last
// k = sqrt(M.size()) of W's parameters (e.g. R_jk of a residual structure).
Eigen::MatrixXd kr_pair_sum(const std::vector<Eigen::MatrixXd>& M, const Eigen::MatrixXd& W);

// Phi_A from the weighted sums Qw = sum_ij W_ij Q_ij and Rw = sum_ij W_ij R_ij
// (Rw empty: a linear covariance, or the "-Linear" variant).
Eigen::MatrixXd kr_adjusted_vcov(const Eigen::MatrixXd& Phi, const std::vector<Eigen::MatrixXd>& P,
                                 const Eigen::MatrixXd& W, const Eigen::MatrixXd& Qw,
                                 const Eigen::MatrixXd& Rw = Eigen::MatrixXd());

struct KrDf {
  int q = 0;              // numerator df (rows of L)
  double df = NAN;        // denominator df m
  double f_scaling = 1;   // lambda: F = lambda * Wald(Phi_A) / q
};

// Denominator df and F scaling for H0: L beta = 0 (L full row rank).
KrDf kr_df(const Eigen::MatrixXd& Phi, const std::vector<Eigen::MatrixXd>& P,
           const Eigen::MatrixXd& W, const Eigen::MatrixXd& L);

}  // namespace inference
}  // namespace glycotrial
