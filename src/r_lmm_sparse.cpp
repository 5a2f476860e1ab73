// Glue for the sparse (several grouping factors) LMM core,
// src/core/lmm/sparse_lmm.{hpp,cpp}: builds a glycotrial::lmm::SparseModel
// held in a tagged external pointer and converts results back to R.
#include <RcppEigen.h>

#include <string>
#include <vector>

#include "core/lmm/sparse_lmm.hpp"
#include "r_guard.h"

namespace lmm = glycotrial::lmm;

namespace {

SEXP sparse_tag() { return Rf_install("glycotrial_lmm_sparse"); }

lmm::SparseModel* sparse_ptr(SEXP ptr) {
  if (TYPEOF(ptr) != EXTPTRSXP || R_ExternalPtrTag(ptr) != sparse_tag())
    throw glycotrial::InputError("not a sparse LMM model pointer", "object");
  Rcpp::XPtr<lmm::SparseModel> xp(ptr);
  if (xp.get() == nullptr)
    throw glycotrial::InputError("the model pointer is no longer valid; refit the model", "object");
  return xp.get();
}

}  // namespace

// Z is given as 0-based triplets (zi, zj, zx) of an n x q matrix; terms by
// their number of coefficients p and levels (columns offset + level * p + j);
// weights of length 0 mean none.
// [[Rcpp::export(rng = false)]]
SEXP cpp_lmm_sparse_model(Eigen::MatrixXd X, Eigen::VectorXd y, std::vector<int> zi,
                          std::vector<int> zj, std::vector<double> zx, int q,
                          std::vector<int> term_p, std::vector<int> term_levels, bool reml,
                          Eigen::VectorXd weights) {
  return glue::guard([&]() -> SEXP {
    const int n = static_cast<int>(y.size());
    if (zi.size() != zj.size() || zi.size() != zx.size())
      throw glycotrial::InputError("Z triplets have different lengths", "Z");
    if (term_p.size() != term_levels.size())
      throw glycotrial::InputError("term_p and term_levels differ in length", "terms");
    std::vector<Eigen::Triplet<double>> trip;
    trip.reserve(zi.size());
    for (size_t k = 0; k < zi.size(); ++k) {
      if (zi[k] < 0 || zi[k] >= n || zj[k] < 0 || zj[k] >= q)
        throw glycotrial::InputError("Z triplet index out of range", "Z");
      trip.emplace_back(zi[k], zj[k], zx[k]);
    }
    lmm::SparseData d;
    d.X = std::move(X);
    d.y = std::move(y);
    d.Z.resize(n, q);
    d.Z.setFromTriplets(trip.begin(), trip.end());
    for (size_t k = 0; k < term_p.size(); ++k) {
      lmm::SparseTerm t;
      t.p = term_p[k];
      t.n_levels = term_levels[k];
      d.terms.push_back(t);
    }
    d.reml = reml;
    d.weights = std::move(weights);
    Rcpp::XPtr<lmm::SparseModel> ptr(new lmm::SparseModel(std::move(d)), true, sparse_tag(),
                                     R_NilValue);
    return ptr;
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_lmm_sparse_info(SEXP ptr) {
  return glue::guard([&] {
    lmm::SparseModel* m = sparse_ptr(ptr);
    return Rcpp::List::create(Rcpp::_["n_obs"] = m->n_obs(), Rcpp::_["q"] = m->n_random(),
                              Rcpp::_["n_theta"] = m->n_theta(),
                              Rcpp::_["lower"] = m->theta_lower(),
                              Rcpp::_["start"] = m->theta_start());
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_lmm_sparse_evaluate(SEXP ptr, Eigen::VectorXd theta) {
  return glue::guard([&] {
    const lmm::SparseEvaluation e = sparse_ptr(ptr)->evaluate(theta);
    if (!e.ok) throw glycotrial::NumericalError("the deviance is not finite at this theta", "theta");
    return Rcpp::List::create(
        Rcpp::_["deviance"] = e.deviance, Rcpp::_["ldL2"] = e.ldL2, Rcpp::_["ldRX2"] = e.ldRX2,
        Rcpp::_["pwrss"] = e.pwrss, Rcpp::_["sigma2"] = e.sigma2, Rcpp::_["beta"] = e.beta,
        Rcpp::_["unscaled_vcov"] = e.XtVinvX_inv, Rcpp::_["u"] = e.u, Rcpp::_["b"] = e.b);
  });
}

// [[Rcpp::export(rng = false)]]
double cpp_lmm_sparse_deviance(SEXP ptr, Eigen::VectorXd theta) {
  return glue::guard([&] { return sparse_ptr(ptr)->deviance(theta); });
}

// [[Rcpp::export(rng = false)]]
double cpp_lmm_sparse_deviance_sigma(SEXP ptr, Eigen::VectorXd theta, double sigma) {
  return glue::guard([&] { return sparse_ptr(ptr)->deviance_sigma(theta, sigma); });
}

// [[Rcpp::export(rng = false)]]
Eigen::MatrixXd cpp_lmm_sparse_condvar(SEXP ptr, Eigen::VectorXd theta, int k) {
  return glue::guard([&] { return sparse_ptr(ptr)->conditional_var(theta, k); });
}

// [[Rcpp::export(rng = false)]]
Eigen::MatrixXd cpp_lmm_sparse_relcov(SEXP ptr, Eigen::VectorXd theta, int k) {
  return glue::guard([&] { return sparse_ptr(ptr)->relative_cov(theta, k); });
}

// Optimise theta from theta0 (NULL: lme4's start) under the bounds.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_lmm_sparse_fit(SEXP ptr, Rcpp::Nullable<Rcpp::NumericVector> theta0, int max_iter,
                              double grad_tol) {
  return glue::guard([&] {
    lmm::SparseModel* m = sparse_ptr(ptr);
    Eigen::VectorXd start = theta0.isNull() ? m->theta_start()
                                            : Rcpp::as<Eigen::VectorXd>(theta0.get());
    if (start.size() != m->n_theta())
      throw glycotrial::InputError("theta0 has the wrong length", "theta0");
    const Eigen::VectorXd lower = m->theta_lower();
    auto fn = [m](const Eigen::VectorXd& th) { return m->deviance(th); };
    const lmm::OptimResult r = lmm::minimise_bounded(fn, start, lower, max_iter, grad_tol);
    return Rcpp::List::create(Rcpp::_["theta"] = r.x, Rcpp::_["deviance"] = r.f,
                              Rcpp::_["gradient"] = r.g, Rcpp::_["iterations"] = r.iterations,
                              Rcpp::_["evaluations"] = r.evaluations,
                              Rcpp::_["converged"] = r.converged,
                              Rcpp::_["message"] = r.message, Rcpp::_["lower"] = lower);
  });
}

// Kenward-Roger setup (pbkrtest's parametrisation, dense in the
// observations) in the list format of cpp_lmm_kr_setup, for cpp_lmm_kr_test.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_lmm_sparse_kr(SEXP ptr, Eigen::VectorXd theta, double max_cells = 1e8) {
  return glue::guard([&] {
    lmm::KenwardRoger kr = sparse_ptr(ptr)->kenward_roger(theta, max_cells);
    Rcpp::List P(kr.P.size());
    for (size_t j = 0; j < kr.P.size(); ++j) P[j] = Rcpp::wrap(kr.P[j]);
    return Rcpp::List::create(Rcpp::_["phi"] = kr.phi, Rcpp::_["phi_adj"] = kr.phi_adj,
                              Rcpp::_["P"] = P, Rcpp::_["W"] = kr.W,
                              Rcpp::_["scale2"] = kr.scale2);
  });
}
