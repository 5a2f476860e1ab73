// Glue for reference-based conditional-mean imputation (src/core/mi): converts
// the problem assembled by R/mi_problem.R, runs the resampling loop in the
// core, converts back. Worker threads never touch R.
#include <Rcpp.h>

#include <vector>

#include "core/mi/condmean.hpp"
#include "core/mi/draws.hpp"
#include "r_guard.h"

namespace mi = glycotrial::mi;

namespace {

mi::MiProblem as_problem(Rcpp::List P) {
  mi::MiProblem pb;
  pb.n_subjects = Rcpp::as<int>(P["n_subjects"]);
  pb.k = Rcpp::as<int>(P["k"]);
  Rcpp::NumericMatrix Xo(Rcpp::as<Rcpp::NumericMatrix>(P["X_own"]));
  Rcpp::NumericMatrix Xr(Rcpp::as<Rcpp::NumericMatrix>(P["X_ref"]));
  pb.p = Xo.ncol();
  glycotrial::require(Xo.nrow() == pb.n_subjects * pb.k && Xr.nrow() == Xo.nrow() &&
                          Xr.ncol() == Xo.ncol(),
                      "problem", "design matrices do not match n_subjects x visits");
  pb.X_own.assign(Xo.begin(), Xo.end());
  pb.X_ref.assign(Xr.begin(), Xr.end());
  pb.y = Rcpp::as<std::vector<double>>(P["y"]);
  pb.fit_row = Rcpp::as<std::vector<int>>(P["fit_row"]);
  pb.ice = Rcpp::as<std::vector<int>>(P["ice"]);
  pb.strategy = Rcpp::as<std::vector<int>>(P["strategy"]);
  pb.group_own = Rcpp::as<std::vector<int>>(P["group_own"]);
  pb.group_ref = Rcpp::as<std::vector<int>>(P["group_ref"]);
  pb.n_groups = Rcpp::as<int>(P["n_groups"]);
  pb.reml = Rcpp::as<bool>(P["reml"]);
  pb.cov_key = Rcpp::as<std::string>(P["cov_key"]);
  Rcpp::List Z(P["Z"]);
  for (R_xlen_t v = 0; v < Z.size(); ++v) {
    Rcpp::NumericMatrix Zv(Rcpp::as<Rcpp::NumericMatrix>(Z[v]));
    glycotrial::require(Zv.nrow() == pb.n_subjects, "problem", "analysis design has wrong rows");
    pb.q = Zv.ncol();
    pb.Z.emplace_back(Zv.begin(), Zv.end());
  }
  glycotrial::require(static_cast<int>(pb.Z.size()) == pb.k, "problem", "one analysis design per visit");
  pb.contrast_cols = Rcpp::as<std::vector<int>>(P["contrast_cols"]);
  pb.delta = Rcpp::as<std::vector<double>>(P["delta"]);
  if (P.containsElementNamed("custom")) pb.custom = Rcpp::as<std::vector<int>>(P["custom"]);
  const size_t N = static_cast<size_t>(pb.n_subjects) * pb.k;
  glycotrial::require(pb.y.size() == N && pb.fit_row.size() == N &&
                          (pb.delta.empty() || pb.delta.size() == N),
                      "problem", "outcome vectors do not match n_subjects x visits");
  const size_t n = pb.n_subjects;
  glycotrial::require(pb.ice.size() == n && pb.strategy.size() == n && pb.group_own.size() == n &&
                          pb.group_ref.size() == n && (pb.custom.empty() || pb.custom.size() == n),
                      "problem", "per-subject vectors have the wrong length");
  return pb;
}

std::vector<std::vector<int>> as_samples(Rcpp::List samples, int n_subjects) {
  std::vector<std::vector<int>> out;
  for (R_xlen_t i = 0; i < samples.size(); ++i) {
    std::vector<int> s = Rcpp::as<std::vector<int>>(samples[i]);
    for (int& j : s) {
      glycotrial::require(j >= 1 && j <= n_subjects, "samples", "subject index out of range");
      --j;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<mi::SampleFit> as_fits(Rcpp::List fits) {
  std::vector<mi::SampleFit> out(fits.size());
  for (R_xlen_t i = 0; i < fits.size(); ++i) {
    Rcpp::List f(fits[i]);
    out[i].ok = Rcpp::as<bool>(f["ok"]);
    if (!out[i].ok) continue;
    Rcpp::NumericVector b(f["beta"]);
    out[i].beta = Eigen::Map<Eigen::VectorXd>(b.begin(), b.size());
    Rcpp::List sg(f["sigma"]);
    for (R_xlen_t g = 0; g < sg.size(); ++g) {
      Rcpp::NumericMatrix S(Rcpp::as<Rcpp::NumericMatrix>(sg[g]));
      out[i].sigma.push_back(Eigen::Map<Eigen::MatrixXd>(S.begin(), S.nrow(), S.ncol()));
    }
    if (f.containsElementNamed("custom_mu")) {
      Rcpp::List cm(f["custom_mu"]), cs(f["custom_sigma"]);
      for (R_xlen_t j = 0; j < cm.size(); ++j) {
        Rcpp::NumericVector m(cm[j]);
        out[i].custom_mu.push_back(Eigen::Map<Eigen::VectorXd>(m.begin(), m.size()));
      }
      for (R_xlen_t j = 0; j < cs.size(); ++j) {
        Rcpp::NumericMatrix S(Rcpp::as<Rcpp::NumericMatrix>(cs[j]));
        out[i].custom_sigma.push_back(Eigen::Map<Eigen::MatrixXd>(S.begin(), S.nrow(), S.ncol()));
      }
    }
  }
  return out;
}

Rcpp::NumericMatrix to_r(const Eigen::MatrixXd& M) {
  Rcpp::NumericMatrix out(M.rows(), M.cols());
  std::copy(M.data(), M.data() + M.size(), out.begin());
  return out;
}

}  // namespace

// Fits the imputation model to each sample (warm-started Newton from theta0).
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_mi_fit_samples(Rcpp::List problem, Rcpp::List samples, std::vector<double> theta0,
                              int n_threads, double grad_tol, int max_iter) {
  return glue::guard([&] {
    const mi::MiProblem pb = as_problem(problem);
    const auto smp = as_samples(samples, pb.n_subjects);
    const auto fits = mi::fit_samples(pb, smp, theta0, n_threads, grad_tol, max_iter);
    Rcpp::List out(fits.size());
    for (size_t i = 0; i < fits.size(); ++i) {
      Rcpp::List sg(fits[i].sigma.size());
      for (size_t g = 0; g < fits[i].sigma.size(); ++g) sg[g] = to_r(fits[i].sigma[g]);
      out[i] = Rcpp::List::create(
          Rcpp::_["ok"] = fits[i].ok, Rcpp::_["theta"] = Rcpp::wrap(fits[i].theta),
          Rcpp::_["beta"] = Rcpp::NumericVector(fits[i].beta.data(),
                                                fits[i].beta.data() + fits[i].beta.size()),
          Rcpp::_["sigma"] = sg);
    }
    return out;
  });
}

// Imputes and analyses each sample: a list of visits x contrasts matrices.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_mi_analyse_samples(Rcpp::List problem, Rcpp::List samples, Rcpp::List fits,
                                  int n_threads) {
  return glue::guard([&] {
    const mi::MiProblem pb = as_problem(problem);
    const auto smp = as_samples(samples, pb.n_subjects);
    const auto f = as_fits(fits);
    glycotrial::require(f.size() == smp.size(), "fits", "one fit per sample");
    const auto est = mi::analyse_samples(pb, smp, f, n_threads);
    Rcpp::List out(est.size());
    for (size_t i = 0; i < est.size(); ++i) out[i] = to_r(est[i]);
    return out;
  });
}

// The conditional-mean imputed outcomes of the sample's subjects
// (subject-major, visits within subject).
// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector cpp_mi_impute(Rcpp::List problem, Rcpp::IntegerVector sample, Rcpp::List fit) {
  return glue::guard([&] {
    const mi::MiProblem pb = as_problem(problem);
    Rcpp::List one = Rcpp::List::create(sample);
    const auto smp = as_samples(one, pb.n_subjects);
    Rcpp::List fl = Rcpp::List::create(fit);
    const auto f = as_fits(fl);
    glycotrial::require(f[0].ok, "fit", "the imputation model fit failed");
    const Eigen::VectorXd y = mi::impute_sample(pb, smp[0], f[0]);
    return Rcpp::NumericVector(y.data(), y.data() + y.size());
  });
}

// Bootstrap samples of subjects stratified by arm (0-based codes), from the
// per-sample streams of the seed: a list of 1-based index vectors.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_mi_bootstrap_samples(std::vector<int> arm, int n_samples, double seed) {
  return glue::guard([&] {
    glycotrial::require(n_samples >= 1, "n_samples", "at least one sample");
    const auto smp = mi::bootstrap_samples(arm, n_samples, static_cast<std::uint32_t>(seed));
    Rcpp::List out(smp.size());
    for (size_t i = 0; i < smp.size(); ++i) {
      Rcpp::IntegerVector v(smp[i].begin(), smp[i].end());
      out[i] = v + 1;
    }
    return out;
  });
}

// Random conditional MVN imputation of imp_sets[i] (1-based subject indices)
// from fits[i], n_draws times, each analysed: est and se as visits x
// contrasts x imputations arrays, df per imputation.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_mi_draw_analyse(Rcpp::List problem, Rcpp::List imp_sets, Rcpp::List fits,
                               int n_draws, double seed, int n_threads, int first = 0) {
  return glue::guard([&] {
    const mi::MiProblem pb = as_problem(problem);
    const auto sets = as_samples(imp_sets, pb.n_subjects);
    const auto f = as_fits(fits);
    const auto r = mi::draw_and_analyse(pb, sets, f, n_draws, static_cast<std::uint32_t>(seed),
                                        n_threads, first);
    const int nc = static_cast<int>(pb.contrast_cols.size());
    const R_xlen_t m = static_cast<R_xlen_t>(r.est.size());
    Rcpp::NumericVector est(pb.k * nc * m), se(pb.k * nc * m);
    for (R_xlen_t j = 0; j < m; ++j) {
      std::copy(r.est[j].data(), r.est[j].data() + pb.k * nc, est.begin() + j * pb.k * nc);
      std::copy(r.se[j].data(), r.se[j].data() + pb.k * nc, se.begin() + j * pb.k * nc);
    }
    Rcpp::IntegerVector dims = Rcpp::IntegerVector::create(pb.k, nc, static_cast<int>(m));
    est.attr("dim") = dims;
    se.attr("dim") = dims;
    return Rcpp::List::create(Rcpp::_["est"] = est, Rcpp::_["se"] = se,
                              Rcpp::_["df"] = Rcpp::wrap(r.df));
  });
}
