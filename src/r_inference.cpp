// Glue for the small-sample inference core (src/core/inference): the one
// Kenward-Roger / Satterthwaite / Fai-Cornelius / between-within / empirical
// df implementation, called from R by the MMRM (R/mmrm_df.R), the LMM
// (R/lmm_inference.R) and the emmeans methods (R/interop-emmeans.R). Lists of
// matrices (P_j, Jacobians) arrive as R lists.
#include <RcppEigen.h>

#include <vector>

#include "core/inference/df.hpp"
#include "core/inference/kenward_roger.hpp"
#include "r_guard.h"

namespace inf = glycotrial::inference;

namespace {
std::vector<Eigen::MatrixXd> matrix_list(const Rcpp::List& x) {
  std::vector<Eigen::MatrixXd> out;
  out.reserve(x.size());
  for (R_xlen_t j = 0; j < x.size(); ++j) out.push_back(Rcpp::as<Eigen::MatrixXd>(x[j]));
  return out;
}
}  // namespace

// Phi_A = Phi + 2 Phi (Qw - sum_ij W_ij P_i Phi P_j - Rw / 4) Phi; Rw NULL
// for a covariance linear in theta (or the "-Linear" variant).
// [[Rcpp::export(rng = false)]]
Eigen::MatrixXd cpp_kr_adjusted_vcov(Eigen::MatrixXd Phi, Rcpp::List P, Eigen::MatrixXd W,
                                     Eigen::MatrixXd Qw,
                                     Rcpp::Nullable<Rcpp::NumericMatrix> Rw = R_NilValue) {
  return glue::guard([&] {
    const Eigen::MatrixXd R = Rw.isNull() ? Eigen::MatrixXd()
                                          : Rcpp::as<Eigen::MatrixXd>(Rw.get());
    return inf::kr_adjusted_vcov(Phi, matrix_list(P), W, Qw, R);
  });
}

// Kenward-Roger denominator df and F scaling for L beta = 0.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_kr_df(Eigen::MatrixXd Phi, Rcpp::List P, Eigen::MatrixXd W, Eigen::MatrixXd L) {
  return glue::guard([&] {
    const inf::KrDf r = inf::kr_df(Phi, matrix_list(P), W, L);
    return Rcpp::List::create(Rcpp::_["q"] = r.q, Rcpp::_["df"] = r.df,
                              Rcpp::_["f_scaling"] = r.f_scaling);
  });
}

// Satterthwaite df of each row of L.
// [[Rcpp::export(rng = false)]]
Eigen::VectorXd cpp_satterthwaite_df(Eigen::MatrixXd Phi, Rcpp::List jac, Eigen::MatrixXd A,
                                     Eigen::MatrixXd L) {
  return glue::guard([&] { return inf::satterthwaite_df(Phi, matrix_list(jac), A, L); });
}

// [[Rcpp::export(rng = false)]]
double cpp_fai_cornelius_df(Eigen::VectorXd nu) {
  return glue::guard([&] { return inf::fai_cornelius_df(nu); });
}

// subject: integer codes (1-based, as R factors).
// [[Rcpp::export(rng = false)]]
Eigen::VectorXd cpp_between_within_df(Eigen::MatrixXd X, std::vector<int> subject,
                                      std::vector<bool> is_intercept, int n_obs, int n_subjects) {
  return glue::guard([&] {
    for (int& s : subject) s -= 1;
    return inf::between_within_df(X, subject, is_intercept, n_obs, n_subjects);
  });
}

// [[Rcpp::export(rng = false)]]
double cpp_empirical_df(Eigen::MatrixXd N, Eigen::MatrixXd K, Eigen::MatrixXd Phi,
                        Eigen::VectorXd contrast) {
  return glue::guard([&] { return inf::empirical_df(N, K, Phi, contrast); });
}
