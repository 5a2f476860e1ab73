// Glue for the linear mixed model core (src/core/lmm): converts R inputs to a
// glycotrial::lmm::Model held in an external pointer, and results back. The
// second part is the sparse model for several grouping factors
// (core/lmm/sparse_lmm): a glycotrial::lmm::SparseModel in a tagged pointer.
#include <RcppEigen.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/common/plugin_registry.hpp"
#include "core/lmm/bootstrap.hpp"
#include "core/lmm/bvn.hpp"
#include "core/lmm/lmm.hpp"
#include "core/lmm/profile.hpp"
#include "core/lmm/sparse_residual.hpp"
#include "core/optim/optim.hpp"
#include "core/lmm/sparse_lmm.hpp"
#include "core/lmm/sparse_profile.hpp"
#include "r_guard.h"

namespace lmm = glycotrial::lmm;

namespace {

// The object behind an external pointer made with `tag`; an InputError for
// another pointer, or one that did not survive a saved session.
template <class T>
T* tagged_ptr(SEXP ptr, SEXP tag, const char* what) {
  if (TYPEOF(ptr) != EXTPTRSXP || R_ExternalPtrTag(ptr) != tag)
    throw glycotrial::InputError(std::string("not a ") + what + " pointer", "object");
  T* p = static_cast<T*>(R_ExternalPtrAddr(ptr));
  if (p == nullptr)
    throw glycotrial::InputError("the model pointer is no longer valid; refit the model", "object");
  return p;
}

SEXP model_tag() { return Rf_install("glycotrial_lmm"); }

lmm::Model* model_ptr(SEXP ptr) { return tagged_ptr<lmm::Model>(ptr, model_tag(), "LMM model"); }

Rcpp::List evaluation_to_list(const lmm::Evaluation& e) {
  return Rcpp::List::create(
      Rcpp::_["deviance"] = e.deviance, Rcpp::_["ok"] = e.ok,
      Rcpp::_["gradient"] = e.ok && e.gradient.size() ? Rcpp::wrap(e.gradient) : R_NilValue,
      Rcpp::_["beta"] = e.ok ? Rcpp::wrap(e.beta) : R_NilValue,
      Rcpp::_["vcov"] = e.ok ? Rcpp::wrap(e.vcov_beta) : R_NilValue,
      Rcpp::_["sigma2"] = e.sigma2);
}

// Test-only covariance plugins (AR(1) with analytic derivatives, CS without),
// theta = (log sd, atanh rho), visit-index coordinates.
int test_n_theta(int) { return 2; }
int test_ar1_sigma(const double* th, int, int, const double* co, int m, double* s, double* ds,
                   char*, int) {
  const double sd2 = std::exp(2 * th[0]), rho = std::tanh(th[1]);
  for (int a = 0; a < m; ++a)
    for (int b = 0; b < m; ++b) {
      const double lag = std::fabs(co[a] - co[b]);
      const double c = lag == 0 ? 1.0 : std::pow(rho, lag);
      s[a + b * m] = sd2 * c;
      if (ds) {
        ds[a + b * m] = 2 * sd2 * c;
        ds[m * m + a + b * m] =
            lag == 0 ? 0.0 : sd2 * lag * std::pow(rho, lag - 1) * (1 - rho * rho);
      }
    }
  return 0;
}
int test_cs_sigma(const double* th, int, int, const double*, int m, double* s, double* ds, char*,
                  int) {
  if (ds) return 2;
  const double sd2 = std::exp(2 * th[0]), rho = std::tanh(th[1]);
  for (int a = 0; a < m; ++a)
    for (int b = 0; b < m; ++b) s[a + b * m] = sd2 * (a == b ? 1.0 : rho);
  return 0;
}

}  // namespace

namespace {

lmm::Data make_data(Eigen::MatrixXd X, Eigen::MatrixXd Z, Eigen::VectorXd y,
                    std::vector<int> subject_start, std::vector<int> re_blocks,
                    std::vector<double> coords, std::vector<int> groups, Rcpp::List residual,
                    bool reml, SEXP weights = R_NilValue) {
  lmm::Data d;
  if (!Rf_isNull(weights)) {
    if (!Rf_isReal(weights) && !Rf_isInteger(weights))
      throw glycotrial::InputError("weights must be numeric", "weights");
    d.weights = Rcpp::as<std::vector<double>>(weights);
  }
  d.X = std::move(X);
  d.Z = std::move(Z);
  d.y = std::move(y);
  d.subject_start = std::move(subject_start);
  d.re_blocks = std::move(re_blocks);
  d.coords = std::move(coords);
  d.groups = std::move(groups);
  d.reml = reml;
  const std::string type = Rcpp::as<std::string>(residual["type"]);
  if (type == "iid") {
    d.residual.type = lmm::ResidualType::Iid;
  } else if (type == "plugin") {
    d.residual.type = lmm::ResidualType::Plugin;
    d.residual.plugin_key = Rcpp::as<std::string>(residual["key"]);
    d.residual.n_visits = Rcpp::as<int>(residual["n_visits"]);
  } else if (type == "kronecker") {
    d.residual.type = lmm::ResidualType::Kronecker;
    d.residual.kron_unstructured = Rcpp::as<bool>(residual["unstructured"]);
    d.residual.kron_ar1 = Rcpp::as<bool>(residual["ar1"]);
  } else {
    throw glycotrial::InputError("unknown residual type '" + type + "'", "residual");
  }
  return d;
}

lmm::CompositeSpec make_spec(Rcpp::List arms, Eigen::MatrixXd zt, double target) {
  lmm::CompositeSpec spec;
  spec.zt = std::move(zt);
  spec.target = target;
  for (R_xlen_t a = 0; a < arms.size(); ++a) {
    Rcpp::List arm = arms[a];
    lmm::CompositeArm ca;
    ca.X1 = Rcpp::as<Eigen::MatrixXd>(arm["X1"]);
    ca.X2 = Rcpp::as<Eigen::MatrixXd>(arm["X2"]);
    ca.c1 = Rcpp::as<Eigen::VectorXd>(arm["c1"]);
    ca.c2 = Rcpp::as<Eigen::VectorXd>(arm["c2"]);
    if (ca.c1.size() != ca.X1.rows() || ca.c2.size() != ca.X2.rows() ||
        ca.X1.rows() != ca.X2.rows())
      throw glycotrial::InputError("composite rows and thresholds do not match", "arms");
    spec.arms.push_back(std::move(ca));
  }
  return spec;
}

}  // namespace

// [[Rcpp::export(rng = false)]]
SEXP cpp_lmm_model(Eigen::MatrixXd X, Eigen::MatrixXd Z, Eigen::VectorXd y,
                   std::vector<int> subject_start, std::vector<int> re_blocks,
                   std::vector<double> coords, std::vector<int> groups, Rcpp::List residual,
                   bool reml, SEXP weights = R_NilValue) {
  return glue::guard([&]() -> SEXP {
    lmm::Data d = make_data(std::move(X), std::move(Z), std::move(y), std::move(subject_start),
                            std::move(re_blocks), std::move(coords), std::move(groups), residual,
                            reml, weights);
    Rcpp::XPtr<lmm::Model> ptr(new lmm::Model(std::move(d)), true, model_tag(), R_NilValue);
    return ptr;
  });
}

// Composite probability per arm (see core/lmm/bootstrap.hpp).
// [[Rcpp::export(rng = false)]]
Eigen::VectorXd cpp_lmm_composite(SEXP ptr, Eigen::VectorXd theta, Eigen::VectorXd beta,
                                  Rcpp::List arms, Eigen::MatrixXd zt, double target) {
  return glue::guard([&] {
    return lmm::composite_probability(*model_ptr(ptr), theta, beta,
                                      make_spec(arms, std::move(zt), target));
  });
}

// Parametric bootstrap of the composite probability: n_boot x n_arms. y is
// the fitted response (it fixes the scale on which theta is defined).
// [[Rcpp::export(rng = false)]]
Eigen::MatrixXd cpp_lmm_bootstrap_composite(Eigen::MatrixXd X, Eigen::MatrixXd Z,
                                            Eigen::VectorXd y, std::vector<int> subject_start,
                                            std::vector<int> re_blocks,
                                            std::vector<double> coords, std::vector<int> groups,
                                            Rcpp::List residual, bool reml, Eigen::VectorXd theta,
                                            Eigen::VectorXd beta, Rcpp::List arms,
                                            Eigen::MatrixXd zt, double target, int n_boot,
                                            double seed, int max_iter, double grad_tol,
                                            int newton_steps, SEXP weights = R_NilValue) {
  return glue::guard([&] {
    lmm::Data d = make_data(std::move(X), std::move(Z), std::move(y),
                            std::move(subject_start), std::move(re_blocks), std::move(coords),
                            std::move(groups), residual, reml, weights);
    lmm::FitOptions opt;
    opt.max_iter = max_iter;
    opt.grad_tol = grad_tol;
    opt.newton_steps = newton_steps;
    return lmm::bootstrap_composite(d, theta, beta, make_spec(arms, std::move(zt), target),
                                    n_boot, static_cast<std::uint64_t>(seed), opt);
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_lmm_info(SEXP ptr) {
  return glue::guard([&] {
    lmm::Model* m = model_ptr(ptr);
    return Rcpp::List::create(
        Rcpp::_["n_obs"] = m->n_obs(), Rcpp::_["n_subjects"] = m->n_subjects(),
        Rcpp::_["n_patterns"] = m->n_patterns(), Rcpp::_["n_theta_g"] = m->n_theta_g(),
        Rcpp::_["n_theta_residual"] = m->n_theta_residual(),
        Rcpp::_["can_profile"] = m->can_profile(), Rcpp::_["y_scale"] = m->y_scale());
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_lmm_evaluate(SEXP ptr, Eigen::VectorXd theta, bool profiled, bool gradient) {
  return glue::guard([&] {
    return evaluation_to_list(model_ptr(ptr)->evaluate(theta, profiled, gradient));
  });
}

// [[Rcpp::export(rng = false)]]
Eigen::MatrixXd cpp_lmm_hessian(SEXP ptr, Eigen::VectorXd theta, bool profiled) {
  return glue::guard([&] { return model_ptr(ptr)->hessian(theta, profiled); });
}

// [[Rcpp::export(rng = false)]]
Eigen::MatrixXd cpp_lmm_residual_cov(SEXP ptr, Eigen::VectorXd theta, std::vector<double> coords,
                                     std::vector<int> groups) {
  return glue::guard([&] { return model_ptr(ptr)->residual_cov(theta, coords, groups); });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_lmm_fit(SEXP ptr, int max_iter, double grad_tol, int newton_steps,
                       double singular_tol) {
  return glue::guard([&] {
    lmm::Model* m = model_ptr(ptr);
    lmm::FitOptions opt;
    opt.max_iter = max_iter;
    opt.grad_tol = grad_tol;
    opt.newton_steps = newton_steps;
    opt.singular_tol = singular_tol;
    lmm::FitResult f = m->fit(opt);
    Rcpp::List cvl(f.ranef_condvar.size());
    for (size_t i = 0; i < f.ranef_condvar.size(); ++i) cvl[i] = Rcpp::wrap(f.ranef_condvar[i]);
    return Rcpp::List::create(
        Rcpp::_["theta"] = f.theta, Rcpp::_["theta_absolute"] = f.theta_absolute,
        Rcpp::_["profiled"] = f.profiled, Rcpp::_["evaluation"] = evaluation_to_list(f.eval),
        Rcpp::_["G"] = f.G, Rcpp::_["sigma2"] = f.sigma2, Rcpp::_["iterations"] = f.iterations,
        Rcpp::_["evaluations"] = f.evaluations, Rcpp::_["converged"] = f.converged,
        Rcpp::_["singular"] = f.singular, Rcpp::_["message"] = f.message,
        Rcpp::_["ranef"] = f.ranef, Rcpp::_["condvar"] = cvl);
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector cpp_lmm_bvn(Rcpp::NumericVector a, Rcpp::NumericVector b,
                                Rcpp::NumericVector rho) {
  return glue::guard([&] {
    const R_xlen_t n = a.size();
    if (b.size() != n || rho.size() != n)
      throw glycotrial::InputError("a, b and rho must have the same length", "rho");
    Rcpp::NumericVector out(n);
    for (R_xlen_t i = 0; i < n; ++i) out[i] = lmm::bvn_cdf(a[i], b[i], rho[i]);
    return out;
  });
}

// Registers two covariance plugins used by the LMM tests (keys
// "lmm_test_ar1" and "lmm_test_cs"); returns the keys.
// [[Rcpp::export(rng = false)]]
Rcpp::CharacterVector cpp_lmm_register_test_plugins() {
  return glue::guard([&] {
    glycotrial_covariance_v1 ar1{GLYCOTRIAL_PLUGIN_ABI, "lmm_test_ar1",
                                 "AR(1) over visit index (LMM tests)", "test", 0, test_n_theta,
                                 test_ar1_sigma};
    glycotrial_covariance_v1 cs{GLYCOTRIAL_PLUGIN_ABI, "lmm_test_cs",
                                "compound symmetry (LMM tests, numeric derivatives)", "test", 0,
                                test_n_theta, test_cs_sigma};
    glycotrial::plugins::register_covariance(ar1, "glycotrial-tests", true);
    glycotrial::plugins::register_covariance(cs, "glycotrial-tests", true);
    return Rcpp::CharacterVector::create("lmm_test_ar1", "lmm_test_cs");
  });
}

// Whether a registered compiled covariance structure uses continuous times.
// [[Rcpp::export(rng = false)]]
bool cpp_lmm_plugin_spatial(std::string key) {
  return glue::guard([&] {
    const glycotrial_covariance_v1* p = glycotrial::plugins::find_covariance(key);
    glycotrial::require(p != nullptr, "formula",
                        "no compiled covariance structure '" + key + "' is registered");
    return p->spatial != 0;
  });
}

// Kenward-Roger setup at absolute theta: Phi and Phi_A on the original
// scale, with P_j (standardised scale) and W kept for kr contrast tests.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_lmm_kr_setup(SEXP ptr, Eigen::VectorXd theta, bool observed = false) {
  return glue::guard([&] {
    lmm::KenwardRoger kr = model_ptr(ptr)->kenward_roger(theta, observed);
    Rcpp::List P(kr.P.size());
    for (size_t j = 0; j < kr.P.size(); ++j) P[j] = Rcpp::wrap(kr.P[j]);
    Eigen::MatrixXd phi = kr.phi * kr.scale2, phia = kr.phi_adj * kr.scale2;
    return Rcpp::List::create(Rcpp::_["phi"] = phi, Rcpp::_["phi_adj"] = phia,
                              Rcpp::_["P"] = P, Rcpp::_["W"] = kr.W,
                              Rcpp::_["scale2"] = kr.scale2);
  });
}

// Kenward-Roger denominator df and F scaling for L beta = 0.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_lmm_kr_test(Rcpp::List setup, Eigen::MatrixXd L) {
  return glue::guard([&] {
    lmm::KenwardRoger kr;
    const double s2 = Rcpp::as<double>(setup["scale2"]);
    kr.phi = Rcpp::as<Eigen::MatrixXd>(setup["phi"]) / s2;
    kr.W = Rcpp::as<Eigen::MatrixXd>(setup["W"]);
    Rcpp::List P = setup["P"];
    for (R_xlen_t j = 0; j < P.size(); ++j) kr.P.push_back(Rcpp::as<Eigen::MatrixXd>(P[j]));
    kr.scale2 = s2;
    lmm::KrTest t = lmm::kr_test(kr, L);
    return Rcpp::List::create(Rcpp::_["q"] = t.q, Rcpp::_["df"] = t.df,
                              Rcpp::_["f_scaling"] = t.f_scaling);
  });
}

namespace {

// A profile target from R: kind "sd" (block, i), "cor" (block, i < j) or
// "sigma" (block, i, j unused).
lmm::VcTarget vc_target(const std::string& kind, int block, int i, int j) {
  lmm::VcTarget t;
  if (kind == "sd") t.kind = lmm::VcKind::Sd;
  else if (kind == "cor") t.kind = lmm::VcKind::Cor;
  else if (kind == "sigma") t.kind = lmm::VcKind::Sigma;
  else throw glycotrial::InputError("unknown variance component kind '" + kind + "'", "parm");
  t.block = block;
  t.i = i;
  t.j = j;
  return t;
}

}  // namespace

// Profiled deviance at a fixed variance component (see core/lmm/profile.hpp):
// kind "sd" (block, i), "cor" (block, i < j) or "sigma"; value on the
// original scale. Returns the deviance and the constrained optimum.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_lmm_profile_vc(SEXP ptr, std::string kind, int block, int i, int j, double value,
                              Eigen::VectorXd start, int max_iter, double grad_tol,
                              int newton_steps) {
  return glue::guard([&] {
    const lmm::VcTarget t = vc_target(kind, block, i, j);
    lmm::FitOptions opt;
    opt.max_iter = max_iter;
    opt.grad_tol = grad_tol;
    opt.newton_steps = newton_steps;
    lmm::ProfilePoint p = lmm::profile_variance(*model_ptr(ptr), t, value, start, opt);
    return Rcpp::List::create(Rcpp::_["deviance"] = p.deviance, Rcpp::_["theta"] = p.theta,
                              Rcpp::_["converged"] = p.converged);
  });
}

// ---- several grouping factors (sparse) ----

namespace {

SEXP sparse_tag() { return Rf_install("glycotrial_lmm_sparse"); }

lmm::SparseModel* sparse_ptr(SEXP ptr) {
  return tagged_ptr<lmm::SparseModel>(ptr, sparse_tag(), "sparse LMM model");
}

// Z is given as 0-based triplets (zi, zj, zx) of an n x q matrix; terms by
// their number of coefficients p and levels (columns offset + level * p + j);
// weights of length 0 mean none.
lmm::SparseData sparse_data(Eigen::MatrixXd X, Eigen::VectorXd y, const std::vector<int>& zi,
                            const std::vector<int>& zj, const std::vector<double>& zx, int q,
                            const std::vector<int>& term_p, const std::vector<int>& term_levels,
                            bool reml, Eigen::VectorXd weights) {
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
  return d;
}

}  // namespace

// [[Rcpp::export(rng = false)]]
SEXP cpp_lmm_sparse_model(Eigen::MatrixXd X, Eigen::VectorXd y, std::vector<int> zi,
                          std::vector<int> zj, std::vector<double> zx, int q,
                          std::vector<int> term_p, std::vector<int> term_levels, bool reml,
                          Eigen::VectorXd weights) {
  return glue::guard([&]() -> SEXP {
    lmm::SparseData d = sparse_data(std::move(X), std::move(y), zi, zj, zx, q, term_p,
                                    term_levels, reml, std::move(weights));
    Rcpp::XPtr<lmm::SparseModel> ptr(new lmm::SparseModel(std::move(d)), true, sparse_tag(),
                                     R_NilValue);
    return ptr;
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
    glycotrial::optim::ValueObjective fn([m](const Eigen::VectorXd& th) { return m->deviance(th); });
    const glycotrial::optim::Result r =
        glycotrial::optim::minimise(fn, start, glycotrial::optim::bounded_options(lower, max_iter, grad_tol));
    return Rcpp::List::create(Rcpp::_["theta"] = r.x, Rcpp::_["deviance"] = r.f,
                              Rcpp::_["gradient"] = r.g, Rcpp::_["iterations"] = r.iterations,
                              Rcpp::_["evaluations"] = r.evaluations,
                              Rcpp::_["converged"] = r.converged,
                              Rcpp::_["message"] = r.message, Rcpp::_["lower"] = lower);
  });
}

// Deviance at a fixed variance component of a sparse fit (see
// core/lmm/sparse_profile.hpp): kind "sd" (term, i), "cor" (term, i < j) or
// "sigma"; value on the response scale; the other components minimised from
// (theta, sigma) (and from (theta_alt, sigma_alt), e.g. the ML estimate, when
// that search ends at a stationary 0). Returns the deviance and the
// constrained optimum.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_lmm_sparse_profile_vc(SEXP ptr, std::string kind, int term, int i, int j,
                                     double value, Eigen::VectorXd theta, double sigma,
                                     Eigen::VectorXd theta_alt, double sigma_alt, int max_iter,
                                     double grad_tol) {
  return glue::guard([&] {
    lmm::FitOptions opt;
    opt.max_iter = max_iter;
    opt.grad_tol = grad_tol;
    const lmm::SparseProfilePoint p =
        lmm::profile_variance_sparse(*sparse_ptr(ptr), vc_target(kind, term, i, j), value, theta,
                                     sigma, opt, theta_alt, sigma_alt);
    return Rcpp::List::create(Rcpp::_["deviance"] = p.deviance, Rcpp::_["theta"] = p.theta,
                              Rcpp::_["sigma"] = p.sigma, Rcpp::_["converged"] = p.converged);
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

// ---- several grouping factors with a residual covariance structure ----

namespace {

SEXP sparse_resid_tag() { return Rf_install("glycotrial_lmm_sparse_resid"); }

lmm::SparseResidualModel* sparse_resid_ptr(SEXP ptr) {
  return tagged_ptr<lmm::SparseResidualModel>(ptr, sparse_resid_tag(), "residual-structure LMM");
}

}  // namespace

// The residual blocks C_i come from `single`, a one-factor model with the
// same plugin residual structure (cpp_lmm_model), which the returned pointer
// keeps alive: C = residual_cov(0 (random effects), theta_r) / y_scale^2.
// subject_start: 0-based row offsets of the residual subjects; subject_pattern:
// 0-based visit pattern per subject (-1 for none); pattern_coords: a list of
// the patterns' visit coordinates.
// [[Rcpp::export(rng = false)]]
SEXP cpp_lmm_sparse_resid_model(SEXP single, Eigen::MatrixXd X, Eigen::VectorXd y,
                                std::vector<int> zi, std::vector<int> zj, std::vector<double> zx,
                                int q, std::vector<int> term_p, std::vector<int> term_levels,
                                bool reml, Eigen::VectorXd weights, std::vector<int> subject_start,
                                std::vector<int> subject_pattern, Rcpp::List pattern_coords) {
  return glue::guard([&]() -> SEXP {
    const lmm::Model* m = model_ptr(single);
    lmm::SparseResidualData d;
    d.model = sparse_data(std::move(X), std::move(y), zi, zj, zx, q, term_p, term_levels, reml,
                          std::move(weights));
    d.subject_start = std::move(subject_start);
    d.subject_pattern = std::move(subject_pattern);
    for (R_xlen_t p = 0; p < pattern_coords.size(); ++p)
      d.pattern_coords.push_back(Rcpp::as<std::vector<double>>(pattern_coords[p]));
    d.n_theta_r = m->n_theta_residual();
    const int ng = m->n_theta_g();
    const double ys2 = m->y_scale() * m->y_scale();
    lmm::BlockCovariance cov = [m, ng, ys2](const Eigen::VectorXd& theta_r,
                                            const std::vector<double>& coords) {
      Eigen::VectorXd th = Eigen::VectorXd::Zero(ng + theta_r.size());
      th.tail(theta_r.size()) = theta_r;
      return Eigen::MatrixXd(m->residual_cov(th, coords, std::vector<int>(coords.size(), 0)) / ys2);
    };
    Rcpp::XPtr<lmm::SparseResidualModel> ptr(new lmm::SparseResidualModel(std::move(d), cov), true,
                                             sparse_resid_tag(), single);
    return ptr;
  });
}

// [[Rcpp::export(rng = false)]]
double cpp_lmm_sparse_resid_deviance(SEXP ptr, Eigen::VectorXd par) {
  return glue::guard([&] { return sparse_resid_ptr(ptr)->deviance(par); });
}

// One run of the core's bounded method over (theta_re, free residual parameters).
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_lmm_sparse_resid_minimise(SEXP ptr, Eigen::VectorXd start, int max_iter,
                                         double grad_tol) {
  return glue::guard([&] {
    lmm::SparseResidualModel* m = sparse_resid_ptr(ptr);
    if (start.size() != m->n_theta_re() + m->n_free())
      throw glycotrial::InputError("start has the wrong length", "start");
    const glycotrial::optim::Result r = m->minimise(start, max_iter, grad_tol);
    return Rcpp::List::create(Rcpp::_["par"] = r.x, Rcpp::_["objective"] = r.f,
                              Rcpp::_["iterations"] = r.iterations,
                              Rcpp::_["evaluations"] = r.evaluations,
                              Rcpp::_["converged"] = r.converged, Rcpp::_["message"] = r.message,
                              Rcpp::_["lower"] = m->lower());
  });
}

// The whitened design at the free residual parameters: X, y, Z as 0-based
// triplets (zi, zj, zx), log|C| and each visit pattern's factor L (C_p = L L').
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_lmm_sparse_resid_white(SEXP ptr, Eigen::VectorXd free) {
  return glue::guard([&] {
    const lmm::SparseResidualModel* m = sparse_resid_ptr(ptr);
    const lmm::SparseResidualModel::Whitened w = m->whitened(m->theta_r(free));
    if (!w.ok) return Rcpp::List::create(Rcpp::_["ok"] = false);
    std::vector<int> zi, zj;
    std::vector<double> zx;
    for (int c = 0; c < w.Z.outerSize(); ++c)
      for (Eigen::SparseMatrix<double>::InnerIterator it(w.Z, c); it; ++it) {
        zi.push_back(static_cast<int>(it.row()));
        zj.push_back(c);
        zx.push_back(it.value());
      }
    Rcpp::List L(w.L.size());
    for (size_t p = 0; p < w.L.size(); ++p) L[p] = Rcpp::wrap(w.L[p]);
    return Rcpp::List::create(Rcpp::_["ok"] = true, Rcpp::_["X"] = w.X, Rcpp::_["y"] = w.y,
                              Rcpp::_["zi"] = zi, Rcpp::_["zj"] = zj, Rcpp::_["zx"] = zx,
                              Rcpp::_["logdet"] = w.logdet, Rcpp::_["L"] = L);
  });
}
