// Glue for the covariance structures of src/core/covariance: their parameter
// counts, built-in starts and the log-Cholesky random-effect covariance, for
// the R side of the MMRM and LMM (the engines use them in C++).
#include <RcppEigen.h>

#include <string>
#include <vector>

#include "core/common/errors.hpp"
#include "core/covariance/covariance.hpp"
#include "core/covariance/log_cholesky.hpp"
#include "r_guard.h"

namespace mm = glycotrial::mmrm;

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_covariance_info(std::string key, int n_visits) {
  return glue::guard([&] {
    auto cov = mm::find_covariance_model(key);
    return Rcpp::List::create(Rcpp::_["n_theta"] = cov->n_theta(n_visits),
                              Rcpp::_["spatial"] = cov->spatial());
  });
}

// Starting theta of a compiled structure from an empirical covariance S
// (NA where a pair of visits was never observed); fallback_var NA: the
// median usable variance (CovarianceModel::start, core/covariance/start.cpp).
// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector cpp_covariance_start(std::string key, Rcpp::NumericMatrix S,
                                         double fallback_var) {
  return glue::guard([&] {
    auto cov = mm::find_covariance_model(key);
    Eigen::MatrixXd s(S.nrow(), S.ncol());
    for (int j = 0; j < S.ncol(); ++j)
      for (int i = 0; i < S.nrow(); ++i) s(i, j) = S(i, j);  // NA_real_ is a NaN
    return Rcpp::wrap(cov->start(s, fallback_var));
  });
}

// Keys of the structures with a built-in start (for the tests).
// [[Rcpp::export(rng = false)]]
std::vector<std::string> cpp_covariance_start_keys() { return mm::builtin_start_keys(); }

// G = L L' of block-diagonal log-Cholesky parameters (fit_lmm()'s random
// effects on pattern moments; core/covariance/log_cholesky.hpp).
// [[Rcpp::export(rng = false)]]
Eigen::MatrixXd cpp_log_cholesky_cov(std::vector<double> theta, std::vector<int> blocks) {
  return glue::guard([&] {
    int q = 0;
    for (int b : blocks) {
      if (b < 1) throw glycotrial::InputError("blocks must have at least one column", "blocks");
      q += b;
    }
    const auto entries = mm::log_cholesky_entries(blocks);
    if (theta.size() != entries.size())
      throw glycotrial::InputError("expected " + std::to_string(entries.size()) + " parameters, got " +
                                       std::to_string(theta.size()),
                                   "theta");
    const Eigen::MatrixXd L = mm::log_cholesky_factor(theta.data(), entries, q);
    return Eigen::MatrixXd(L * L.transpose());
  });
}
