// Glue for the MMRM engine (src/core/mmrm): registers the built-in covariance
// structures through the public C entry point, wraps R-level covariance
// plugins for the core, and exposes the engine to R through an external
// pointer. The engine runs on the R main thread, so R plugins may be called
// back from it.
#include <Rcpp.h>
#include <R_ext/Rdynload.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/common/errors.hpp"
#include "core/common/plugin_registry.hpp"
#include "core/covariance/covariance.hpp"
#include "core/mmrm/design.hpp"
#include "core/mmrm/engine.hpp"
#include "core/covariance/visit_re_covariance.hpp"
#include "r_guard.h"

namespace mm = glycotrial::mmrm;
using Eigen::MatrixXd;

// [[Rcpp::init]]
void glycotrial_init_mmrm(DllInfo* dll) {
  (void)dll;
  char err[512];
  for (const auto& p : mm::builtin_covariances()) {
    // Same door as any other package: glycotrial_register_covariance_v1().
    if (glycotrial_register_covariance_v1(&p, "glycotrial", 1, err, sizeof(err)) != 0)
      Rf_warning("glycotrial: could not register covariance '%s': %s", p.key, err);
  }
}

namespace {

// A covariance structure written in R: n_theta(n_visits) and
// sigma(theta, n_visits, coords) returning an m x m matrix, optionally with an
// attribute "gradient" (a list of n_theta m x m matrices).
class RCovariance : public mm::CovarianceModel {
 public:
  RCovariance(std::string key, Rcpp::Function n_theta, Rcpp::Function sigma, bool spatial)
      : key_(std::move(key)), n_theta_(n_theta), sigma_(sigma), spatial_(spatial) {}
  std::string key() const override { return key_; }
  bool spatial() const override { return spatial_; }
  int n_theta(int n_visits) const override {
    Rcpp::RObject r = n_theta_(n_visits);
    const bool number = (Rf_isInteger(r) || Rf_isReal(r)) && Rf_xlength(r) == 1;
    const double kd = number ? Rcpp::as<double>(r) : -1.0;
    glycotrial::require(number && std::isfinite(kd) && kd == std::floor(kd) && kd < 1e6,
                        "n_theta", "covariance '" + key_ + "': n_theta() must return one whole number");
    int k = static_cast<int>(kd);
    glycotrial::require(k >= 0, "n_theta", "covariance '" + key_ + "' rejected " +
                                               std::to_string(n_visits) + " visits");
    const double bound = std::max(static_cast<double>(n_visits) * n_visits,
                                  static_cast<double>(glycotrial::plugins::kMinThetaBound));
    if (k > bound)
      throw glycotrial::plugins::PluginOutputError(
          "covariance structure '" + key_ + "' reports " + std::to_string(k) +
          " parameters for " + std::to_string(n_visits) + " visits; at most " +
          std::to_string(static_cast<long long>(bound)) + " (visits squared) are accepted");
    return k;
  }
  // The plugin's R result as an m x m double matrix, or an InputError naming
  // `sigma` (never an out-of-bounds read of a smaller matrix).
  Rcpp::NumericMatrix square_matrix(SEXP x, int m, const char* what) const {
    if (!(Rf_isReal(x) || Rf_isInteger(x)) || !Rf_isMatrix(x))
      throw glycotrial::InputError("covariance '" + key_ + "' " + what + " " +
                                       Rf_type2char(TYPEOF(x)) +
                                       " where a numeric matrix is needed",
                                   "sigma");
    Rcpp::NumericMatrix sm(x);
    if (sm.nrow() != m || sm.ncol() != m)
      throw glycotrial::InputError("covariance '" + key_ + "' " + what + " a " +
                                       std::to_string(sm.nrow()) + " x " +
                                       std::to_string(sm.ncol()) + " matrix for " +
                                       std::to_string(m) + " coordinates",
                                   "sigma");
    return sm;
  }
  void sigma(const std::vector<double>& theta, int n_visits, const std::vector<double>& coords,
             MatrixXd& S, std::vector<MatrixXd>* dS) const override {
    const int m = static_cast<int>(coords.size());
    Rcpp::RObject res = sigma_(Rcpp::wrap(theta), n_visits, Rcpp::wrap(coords));
    Rcpp::NumericMatrix sm = square_matrix(res, m, "returned");
    S = Eigen::Map<MatrixXd>(sm.begin(), m, m);
    // Finite and symmetric: a non-symmetric result is refused, never read
    // through one triangle.
    glycotrial::plugins::check_covariance_matrix(key_, S.data(), m);
    if (dS) {
      Rcpp::RObject g = res.attr("gradient");
      if (g.isNULL()) {
        *dS = mm::numerical_dsigma(*this, theta, n_visits, coords);
      } else {
        Rcpp::List gl(g);
        if (gl.size() != static_cast<R_xlen_t>(theta.size()))
          throw glycotrial::InputError("covariance '" + key_ + "': attribute 'gradient' needs " +
                                           std::to_string(theta.size()) + " matrices",
                                       "sigma");
        dS->clear();
        for (R_xlen_t j = 0; j < gl.size(); ++j) {
          Rcpp::NumericMatrix dj = square_matrix(gl[j], m, "gave as gradient");
          dS->push_back(Eigen::Map<MatrixXd>(dj.begin(), m, m));
        }
      }
    }
  }

 private:
  std::string key_;
  Rcpp::Function n_theta_, sigma_;
  bool spatial_;
};

struct EngineHolder {
  std::unique_ptr<mm::CovarianceModel> cov;
  std::unique_ptr<mm::MmrmEngine> engine;
};

// A holder with the covariance model of `key`: the registered (compiled)
// plugin when r_plugin is NULL, otherwise the R functions n_theta / sigma /
// spatial of an R-level plugin. The caller adds the engine and calls
// release_holder().
std::unique_ptr<EngineHolder> new_holder(const std::string& key, Rcpp::RObject r_plugin) {
  auto h = std::make_unique<EngineHolder>();
  if (r_plugin.isNULL()) {
    h->cov = mm::find_covariance_model(key);
  } else {
    Rcpp::List rp(r_plugin);
    if (rp.containsElementNamed("visit_re")) {
      // fit_lmm() on pattern moments (R/lmm_moments.R): Z G Z' + R in C++
      Rcpp::List v(rp["visit_re"]);
      Rcpp::NumericMatrix Z(Rcpp::as<Rcpp::NumericMatrix>(v["Z"]));
      std::vector<int> blocks = Rcpp::as<std::vector<int>>(v["blocks"]);
      std::unique_ptr<mm::CovarianceModel> residual;
      Rcpp::RObject rk(v["residual_key"]);
      if (!rk.isNULL()) residual = mm::find_covariance_model(Rcpp::as<std::string>(rk));
      h->cov.reset(new mm::VisitRandomEffectsCovariance(
          Eigen::Map<MatrixXd>(Z.begin(), Z.nrow(), Z.ncol()), blocks, std::move(residual),
          Rcpp::as<std::vector<double>>(v["residual_coords"])));
    } else {
      h->cov.reset(new RCovariance(key, Rcpp::Function(rp["n_theta"]), Rcpp::Function(rp["sigma"]),
                                   Rcpp::as<bool>(rp["spatial"])));
    }
  }
  return h;
}

// Hand the holder to R as an external pointer (finalised with it).
SEXP release_holder(std::unique_ptr<EngineHolder> h) {
  Rcpp::XPtr<EngineHolder> ptr(h.release(), true);
  return ptr;
}

mm::MmrmEngine& get(SEXP ptr) {
  Rcpp::XPtr<EngineHolder> h(ptr);
  glycotrial::require(h.get() != nullptr && h->engine != nullptr, "object",
                      "the fitted model's engine is no longer available (saved and reloaded?); "
                      "refit the model");
  return *h->engine;
}

Rcpp::NumericMatrix to_r(const MatrixXd& M) {
  Rcpp::NumericMatrix out(M.rows(), M.cols());
  std::copy(M.data(), M.data() + M.size(), out.begin());
  return out;
}

}  // namespace

// [[Rcpp::export(rng = false)]]
SEXP cpp_mmrm_engine(Rcpp::NumericMatrix X, Rcpp::NumericVector y, Rcpp::NumericVector weights,
                     Rcpp::NumericVector coords, Rcpp::IntegerVector subject_start,
                     Rcpp::IntegerVector subject_group, int n_groups, int n_visits, bool reml,
                     std::string key, Rcpp::RObject r_plugin) {
  return glue::guard([&]() -> SEXP {
    auto h = new_holder(key, r_plugin);
    mm::MmrmInput in;
    in.n = X.nrow();
    in.p = X.ncol();
    in.X.assign(X.begin(), X.end());
    in.y.assign(y.begin(), y.end());
    in.weights.assign(weights.begin(), weights.end());
    in.coords.assign(coords.begin(), coords.end());
    in.subject_start.assign(subject_start.begin(), subject_start.end());
    in.subject_group.assign(subject_group.begin(), subject_group.end());
    in.n_groups = n_groups;
    in.n_visits = n_visits;
    in.reml = reml;
    h->engine.reset(new mm::MmrmEngine(std::move(in), *h->cov));
    return release_holder(std::move(h));
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_mmrm_info(SEXP ptr) {
  return glue::guard([&] {
    auto& e = get(ptr);
    return Rcpp::List::create(Rcpp::_["n_theta"] = e.n_theta(),
                              Rcpp::_["n_theta_group"] = e.n_theta_group(),
                              Rcpp::_["n_patterns"] = e.n_patterns(),
                              Rcpp::_["n_subjects"] = e.n_subjects());
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector cpp_mmrm_deviance(SEXP ptr, std::vector<double> theta, bool gradient) {
  return glue::guard([&] {
    auto& e = get(ptr);
    std::vector<double> g;
    double d = e.deviance(theta, gradient ? &g : nullptr);
    Rcpp::NumericVector out = Rcpp::NumericVector::create(d);
    if (gradient) out.attr("gradient") = Rcpp::wrap(g);
    return out;
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_mmrm_estimates(SEXP ptr, std::vector<double> theta) {
  return glue::guard([&] {
    auto est = get(ptr).estimates(theta);
    return Rcpp::List::create(Rcpp::_["beta"] = Rcpp::NumericVector(est.beta.data(), est.beta.data() + est.beta.size()),
                              Rcpp::_["beta_vcov"] = to_r(est.beta_vcov),
                              Rcpp::_["deviance"] = est.deviance);
  });
}

// Deviance, gradient, exact Hessian (and with jacobian = TRUE the P_j of
// cpp_mmrm_jacobian()) in one pass; deviance Inf when Sigma is not positive
// definite.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_mmrm_derivatives(SEXP ptr, std::vector<double> theta, bool jacobian) {
  return glue::guard([&] {
    auto d = get(ptr).derivatives(theta, jacobian);
    if (!d.ok) return Rcpp::List::create(Rcpp::_["deviance"] = R_PosInf);
    Rcpp::List jac(d.jacobian.size());
    for (size_t j = 0; j < d.jacobian.size(); ++j) jac[j] = to_r(d.jacobian[j]);
    return Rcpp::List::create(Rcpp::_["deviance"] = d.deviance,
                              Rcpp::_["gradient"] = Rcpp::wrap(d.gradient),
                              Rcpp::_["hessian"] = to_r(d.hessian), Rcpp::_["jacobian"] = jac);
  });
}

// Minimises the deviance from `start` (MmrmEngine::optimise(): the methods
// of core/optim in turn, saddle escape, then the alternative starts); NULL
// when no method reached a finite deviance.
// [[Rcpp::export(rng = false)]]
SEXP cpp_mmrm_optimise(SEXP ptr, std::vector<double> start, Rcpp::List alternatives,
                       std::vector<std::string> methods, double grad_tol, double accept_tol,
                       int max_iter) {
  return glue::guard([&]() -> SEXP {
    std::vector<std::vector<double>> alt;
    for (R_xlen_t i = 0; i < alternatives.size(); ++i)
      alt.push_back(Rcpp::as<std::vector<double>>(alternatives[i]));
    auto r = get(ptr).optimise(start, alt, methods, grad_tol, accept_tol, max_iter);
    Rcpp::CharacterVector tried = Rcpp::wrap(r.tried);
    if (!r.ok) return Rcpp::List::create(Rcpp::_["ok"] = false, Rcpp::_["tried"] = tried);
    const auto& d = r.derivatives;
    Rcpp::List jac(d.jacobian.size());
    for (size_t j = 0; j < d.jacobian.size(); ++j) jac[j] = to_r(d.jacobian[j]);
    return Rcpp::List::create(Rcpp::_["ok"] = true, Rcpp::_["par"] = Rcpp::wrap(r.theta),
                              Rcpp::_["value"] = d.deviance,
                              Rcpp::_["gradient"] = Rcpp::wrap(d.gradient),
                              Rcpp::_["hessian"] = to_r(d.hessian), Rcpp::_["jacobian"] = jac,
                              Rcpp::_["iterations"] = r.iterations,
                              Rcpp::_["optimizer"] = r.optimizer, Rcpp::_["tried"] = tried,
                              Rcpp::_["gradient_ok"] = r.gradient_ok,
                              Rcpp::_["hessian_pd"] = r.hessian_pd,
                              Rcpp::_["converged"] = r.converged);
  });
}

// Default starts of a structure with a C++ start() (MmrmEngine::
// default_starts()): a list, the first the start, the others restarts.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_mmrm_default_starts(SEXP ptr) {
  return glue::guard([&] { return Rcpp::wrap(get(ptr).default_starts()); });
}

// Finite entries, and full column rank for certain (else run qr()).
// [[Rcpp::export(rng = false)]]
Rcpp::LogicalVector cpp_mmrm_check_design(Rcpp::NumericMatrix X, double min_eigen) {
  return glue::guard([&] {
    auto r = glycotrial::mmrm::check_design(X.begin(), X.nrow(), X.ncol(), min_eigen);
    return Rcpp::LogicalVector::create(Rcpp::_["finite"] = r.finite,
                                       Rcpp::_["full_rank"] = r.full_rank);
  });
}

// The model matrix of a formula with factor and numeric variables only
// (treatment contrasts), on the given 1-based rows, with the dimnames and
// "assign" attribute model.matrix() gives (R/mmrm_fit.R: mmrm_fast_frame()).
// cols: integer codes for factors, doubles for numerics; levels: the
// factors' levels (NULL for numerics).
// [[Rcpp::export(rng = false)]]
Rcpp::NumericMatrix cpp_mmrm_model_matrix(Rcpp::List cols, Rcpp::List levels,
                                          Rcpp::CharacterVector names,
                                          Rcpp::IntegerMatrix factors, bool intercept,
                                          Rcpp::IntegerVector rows, SEXP rownames) {
  return glue::guard([&] {
    const int n_var = cols.size();
    if (levels.size() != n_var || names.size() != n_var || factors.nrow() != n_var)
      throw glycotrial::InputError("variables, levels and factor pattern do not match", "cols");
    std::vector<mm::DesignVar> vars(n_var);
    for (int v = 0; v < n_var; ++v) {
      SEXP col = cols[v];
      vars[v].name = Rcpp::as<std::string>(names[v]);
      if (TYPEOF(col) == INTSXP) {
        vars[v].is_factor = true;
        vars[v].codes = INTEGER(col);
        vars[v].levels = Rcpp::as<std::vector<std::string>>(levels[v]);
      } else if (TYPEOF(col) == REALSXP) {
        vars[v].values = REAL(col);
      } else {
        throw glycotrial::InputError("columns must be integer codes or doubles", "cols");
      }
      if (Rf_xlength(col) < 1) throw glycotrial::InputError("empty column", "cols");
    }
    std::vector<int> r(rows.size());
    for (R_xlen_t i = 0; i < rows.size(); ++i) {
      for (int v = 0; v < n_var; ++v) {
        if (rows[i] < 1 || rows[i] > Rf_xlength(cols[v]))
          throw glycotrial::InputError("row index out of range", "rows");
      }
      r[i] = rows[i] - 1;
    }
    std::vector<int> fac(factors.begin(), factors.end());
    mm::DesignMatrix d = mm::build_design(vars, fac, factors.ncol(), intercept, r);
    Rcpp::NumericMatrix X(d.n, d.p);
    std::copy(d.X.begin(), d.X.end(), X.begin());
    Rcpp::CharacterVector cn(d.colnames.begin(), d.colnames.end());
    X.attr("dimnames") = Rcpp::List::create(rownames, cn);
    X.attr("assign") = Rcpp::IntegerVector(d.assign.begin(), d.assign.end());
    return X;
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_mmrm_jacobian(SEXP ptr, std::vector<double> theta) {
  return glue::guard([&] {
    auto P = get(ptr).jacobian_terms(theta);
    Rcpp::List out(P.size());
    for (size_t j = 0; j < P.size(); ++j) out[j] = to_r(P[j]);
    return out;
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_mmrm_kr(SEXP ptr, std::vector<double> theta, Rcpp::NumericMatrix W, bool need_R) {
  return glue::guard([&] {
    MatrixXd Wm = Eigen::Map<MatrixXd>(W.begin(), W.nrow(), W.ncol());
    MatrixXd Q, R;
    get(ptr).kr_sums(theta, Wm, Q, R, need_R);
    return Rcpp::List::create(Rcpp::_["Q"] = to_r(Q), Rcpp::_["R"] = to_r(R));
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_mmrm_subject_pass(SEXP ptr, std::vector<double> theta, Rcpp::NumericVector beta) {
  return glue::guard([&] {
    Eigen::VectorXd b = Eigen::Map<Eigen::VectorXd>(beta.begin(), beta.size());
    Eigen::VectorXd z;
    MatrixXd scores;
    get(ptr).subject_pass(theta, b, z, scores);
    return Rcpp::List::create(Rcpp::_["normalized"] = Rcpp::NumericVector(z.data(), z.data() + z.size()),
                              Rcpp::_["scores"] = to_r(scores));
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::NumericMatrix cpp_mmrm_sigma(SEXP ptr, std::vector<double> theta, int group,
                                   std::vector<double> coords) {
  return glue::guard([&] { return to_r(get(ptr).sigma(theta, group, coords)); });
}

// Engine from precomputed pattern moments (the moment route's data passes:
// src/r_moments.cpp, SQL aggregates, chunk workers). `patterns` is a list of
// lists with group (0-based), visits (0-based), n (subjects) and M.
// [[Rcpp::export(rng = false)]]
SEXP cpp_mmrm_engine_moments(Rcpp::List patterns, int p, double n_obs, int n_groups,
                             int n_visits, bool reml, double log_weight_sum, std::string key,
                             Rcpp::RObject r_plugin) {
  return glue::guard([&]() -> SEXP {
    auto h = new_holder(key, r_plugin);
    std::vector<mm::MmrmEngine::PatternMomentsIn> pats;
    for (R_xlen_t i = 0; i < patterns.size(); ++i) {
      Rcpp::List pi(patterns[i]);
      mm::MmrmEngine::PatternMomentsIn pm;
      pm.group = Rcpp::as<int>(pi["group"]);
      Rcpp::IntegerVector v(pi["visits"]);
      for (int x : v) pm.coords.push_back(x);
      pm.n_subjects = static_cast<long long>(Rcpp::as<double>(pi["n"]));
      Rcpp::NumericMatrix M(Rcpp::as<Rcpp::NumericMatrix>(pi["M"]));
      pm.M = Eigen::Map<MatrixXd>(M.begin(), M.nrow(), M.ncol());
      pats.push_back(std::move(pm));
    }
    h->engine.reset(new mm::MmrmEngine(p, static_cast<long long>(n_obs), n_groups, n_visits, reml,
                                       log_weight_sum, std::move(pats), *h->cov));
    return release_holder(std::move(h));
  });
}
