// Glue for the stats core: vectorised CIs for proportions, their differences
// and ratios, and the 2x2 / stratified tests. Converts, calls the core,
// converts back; nothing else.
#include <Rcpp.h>

#include <algorithm>
#include <string>

#include "core/stats/diff_ci.hpp"
#include "core/stats/logistic.hpp"
#include "core/stats/proportion_ci.hpp"
#include "core/stats/ratio_ci.hpp"
#include "core/stats/stratified.hpp"
#include "core/stats/tests_2x2.hpp"
#include "r_guard.h"

namespace st = glycotrial::stats;

namespace {

R_xlen_t common_length(std::initializer_list<R_xlen_t> lens) {
  R_xlen_t n = 0;
  for (R_xlen_t l : lens) {
    if (l == 0) return 0;
    n = std::max(n, l);
  }
  return n;
}

double at(const Rcpp::NumericVector& v, R_xlen_t i) { return v[i % v.size()]; }

// The intervals f(0), ..., f(len - 1) as list(estimate, lower, upper).
template <class F>
Rcpp::List intervals(R_xlen_t len, F f) {
  Rcpp::NumericVector est(len), lo(len), hi(len);
  for (R_xlen_t i = 0; i < len; ++i) {
    const st::Interval r = f(i);
    est[i] = r.estimate;
    lo[i] = r.lower;
    hi[i] = r.upper;
  }
  return Rcpp::List::create(Rcpp::_["estimate"] = est, Rcpp::_["lower"] = lo,
                            Rcpp::_["upper"] = hi);
}

}  // namespace

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_stats_prop_ci(Rcpp::NumericVector x, Rcpp::NumericVector n, std::string method,
                             Rcpp::NumericVector conf_level) {
  return glue::guard([&] {
    const st::PropMethod m = st::parse_prop_method(method);
    const R_xlen_t len = common_length({x.size(), n.size(), conf_level.size()});
    return intervals(len, [&](R_xlen_t i) {
      return st::prop_ci(at(x, i), at(n, i), m, at(conf_level, i));
    });
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_stats_diff_ci(Rcpp::NumericVector x1, Rcpp::NumericVector n1,
                             Rcpp::NumericVector x2, Rcpp::NumericVector n2, std::string method,
                             Rcpp::NumericVector conf_level) {
  return glue::guard([&] {
    const st::DiffMethod m = st::parse_diff_method(method);
    const R_xlen_t len =
        common_length({x1.size(), n1.size(), x2.size(), n2.size(), conf_level.size()});
    // Ctrl-C: Rcpp::checkUserInterrupt() asks R inside R_ToplevelExec (R never
    // longjmps over our frames) and throws Rcpp's InterruptedException, which
    // glue::guard() lets pass and the generated wrapper turns back into an R
    // interrupt (as cpp_scale_moments does). The exact method calls it every
    // few thousand tables; every method between elements.
    const st::InterruptCheck check = [] { Rcpp::checkUserInterrupt(); };
    return intervals(len, [&](R_xlen_t i) {
      if (m == st::DiffMethod::Exact) check();
      return st::diff_ci(at(x1, i), at(n1, i), at(x2, i), at(n2, i), m, at(conf_level, i),
                         check);
    });
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_stats_ratio_ci(Rcpp::NumericVector x1, Rcpp::NumericVector n1,
                              Rcpp::NumericVector x2, Rcpp::NumericVector n2, std::string measure,
                              std::string method, Rcpp::NumericVector conf_level) {
  return glue::guard([&] {
    const st::RatioMethod m = st::parse_ratio_method(method);
    if (measure != "rr" && measure != "or")
      throw glycotrial::InputError("must be \"rr\" or \"or\"", "measure");
    const st::Contrast c = measure == "rr" ? st::Contrast::RR : st::Contrast::OR;
    const R_xlen_t len =
        common_length({x1.size(), n1.size(), x2.size(), n2.size(), conf_level.size()});
    return intervals(len, [&](R_xlen_t i) {
      return st::ratio_ci(at(x1, i), at(n1, i), at(x2, i), at(n2, i), c, m, at(conf_level, i));
    });
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_stats_fm_test(Rcpp::NumericVector x1, Rcpp::NumericVector n1,
                             Rcpp::NumericVector x2, Rcpp::NumericVector n2,
                             Rcpp::NumericVector margin, int alternative) {
  return glue::guard([&] {
    const R_xlen_t len =
        common_length({x1.size(), n1.size(), x2.size(), n2.size(), margin.size()});
    Rcpp::NumericVector stat(len), p(len);
    for (R_xlen_t i = 0; i < len; ++i) {
      const st::TestResult r =
          st::fm_test(at(x1, i), at(n1, i), at(x2, i), at(n2, i), at(margin, i), alternative);
      stat[i] = r.statistic;
      p[i] = r.p_value;
    }
    return Rcpp::List::create(Rcpp::_["statistic"] = stat, Rcpp::_["p_value"] = p);
  });
}

namespace {
st::Strata as_strata(const Rcpp::NumericVector& x1, const Rcpp::NumericVector& n1,
                     const Rcpp::NumericVector& x2, const Rcpp::NumericVector& n2) {
  st::Strata s;
  s.x1.assign(x1.begin(), x1.end());
  s.n1.assign(n1.begin(), n1.end());
  s.x2.assign(x2.begin(), x2.end());
  s.n2.assign(n2.begin(), n2.end());
  return s;
}
}  // namespace

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_stats_fisher(double a, double b, double c, double d, int alternative,
                            double conf_level) {
  return glue::guard([&] {
    const st::FisherResult r = st::fisher_2x2(a, b, c, d, alternative, conf_level);
    return Rcpp::List::create(Rcpp::_["p_value"] = r.p_value, Rcpp::_["estimate"] = r.estimate,
                              Rcpp::_["lower"] = r.lower, Rcpp::_["upper"] = r.upper);
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_stats_chisq(Rcpp::NumericVector counts_row_major, int nrow, int ncol,
                           bool correct) {
  return glue::guard([&] {
    std::vector<double> v(counts_row_major.begin(), counts_row_major.end());
    const st::ChisqResult r = st::pearson_chisq(v, nrow, ncol, correct);
    return Rcpp::List::create(Rcpp::_["statistic"] = r.statistic, Rcpp::_["df"] = r.df,
                              Rcpp::_["p_value"] = r.p_value,
                              Rcpp::_["min_expected"] = r.min_expected);
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_stats_cmh(Rcpp::NumericVector x1, Rcpp::NumericVector n1, Rcpp::NumericVector x2,
                         Rcpp::NumericVector n2, bool correct) {
  return glue::guard([&] {
    const st::ChiTest r = st::cmh_2x2(as_strata(x1, n1, x2, n2), correct);
    return Rcpp::List::create(Rcpp::_["statistic"] = r.statistic, Rcpp::_["df"] = r.df,
                              Rcpp::_["p_value"] = r.p_value);
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_stats_cmh_general(Rcpp::NumericVector counts, int r, int c, int k) {
  return glue::guard([&] {
    std::vector<double> v(counts.begin(), counts.end());
    const st::ChiTest t = st::cmh_general(v, r, c, k);
    return Rcpp::List::create(Rcpp::_["statistic"] = t.statistic, Rcpp::_["df"] = t.df,
                              Rcpp::_["p_value"] = t.p_value);
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_stats_mh_common(Rcpp::NumericVector x1, Rcpp::NumericVector n1,
                               Rcpp::NumericVector x2, Rcpp::NumericVector n2,
                               std::string measure, double conf_level) {
  return glue::guard([&] {
    const st::Strata s = as_strata(x1, n1, x2, n2);
    st::CommonEstimate e;
    if (measure == "or") {
      e = st::mh_odds_ratio(s, conf_level);
    } else if (measure == "rr") {
      e = st::mh_relative_risk(s, conf_level);
    } else if (measure == "rd") {
      e = st::mh_risk_difference(s, conf_level);
    } else {
      throw glycotrial::InputError("must be \"or\", \"rr\" or \"rd\"", "measure");
    }
    return Rcpp::List::create(Rcpp::_["estimate"] = e.estimate, Rcpp::_["se"] = e.se,
                              Rcpp::_["lower"] = e.lower, Rcpp::_["upper"] = e.upper);
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_stats_breslow_day(Rcpp::NumericVector x1, Rcpp::NumericVector n1,
                                 Rcpp::NumericVector x2, Rcpp::NumericVector n2) {
  return glue::guard([&] {
    const st::BreslowDay r = st::breslow_day(as_strata(x1, n1, x2, n2));
    return Rcpp::List::create(Rcpp::_["statistic"] = r.statistic, Rcpp::_["df"] = r.df,
                              Rcpp::_["p_value"] = r.p_value, Rcpp::_["tarone"] = r.tarone,
                              Rcpp::_["tarone_p_value"] = r.tarone_p_value);
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_stats_strat_rd(Rcpp::NumericVector x1, Rcpp::NumericVector n1,
                              Rcpp::NumericVector x2, Rcpp::NumericVector n2, std::string method,
                              double conf_level, std::string weights) {
  return glue::guard([&] {
    const st::Strata s = as_strata(x1, n1, x2, n2);
    double est, lo, hi, stat = NA_REAL, p = NA_REAL, se = NA_REAL;
    bool converged = true;
    Rcpp::NumericVector wts;
    if (method == "mn" || method == "mnmh") {
      const st::StratifiedScore r = st::stratified_mn_rd(
          s, method == "mn" ? st::StratWeights::MN : st::StratWeights::MH, conf_level);
      est = r.estimate;
      lo = r.lower;
      hi = r.upper;
      stat = r.statistic;
      p = r.p_value;
    } else if (method == "newcombe" || method == "newcombe-cc") {
      if (weights != "cmh" && weights != "wilson")
        throw glycotrial::InputError("must be \"cmh\" or \"wilson\"", "weights");
      const st::StratNewcombe r = st::stratified_newcombe_rd(
          s, conf_level, method == "newcombe-cc",
          weights == "cmh" ? st::NewcombeWeights::CMH : st::NewcombeWeights::Wilson);
      est = r.interval.estimate;
      lo = r.interval.lower;
      hi = r.interval.upper;
      converged = r.converged;
      wts = Rcpp::NumericVector(r.weights.begin(), r.weights.end());
    } else if (method == "mh") {
      const st::CommonEstimate r = st::mh_risk_difference(s, conf_level);
      est = r.estimate;
      lo = r.lower;
      hi = r.upper;
      se = r.se;
    } else {
      throw glycotrial::InputError("unknown method \"" + method +
                                       "\"; valid methods are \"mh\", \"mn\", \"mnmh\", "
                                       "\"newcombe\", \"newcombe-cc\"",
                                   "method");
    }
    return Rcpp::List::create(Rcpp::_["estimate"] = est, Rcpp::_["lower"] = lo,
                              Rcpp::_["upper"] = hi, Rcpp::_["se"] = se,
                              Rcpp::_["statistic"] = stat, Rcpp::_["p_value"] = p,
                              Rcpp::_["converged"] = converged, Rcpp::_["weights"] = wts);
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_stats_logistic_gcomp(Rcpp::NumericMatrix X, Rcpp::NumericVector y, int treat_col,
                                    std::string variance) {
  return glue::guard([&] {
    const Eigen::Map<Eigen::MatrixXd> Xm(REAL(X), X.nrow(), X.ncol());
    const Eigen::Map<Eigen::VectorXd> ym(REAL(y), y.size());
    const Eigen::MatrixXd Xd = Xm;
    const Eigen::VectorXd yd = ym;
    if (variance != "model" && variance != "sandwich")
      throw glycotrial::InputError("must be \"model\" or \"sandwich\"", "variance");
    const st::LogisticFit f = st::logistic_fit(Xd, yd);
    const st::Gcomp g = st::gcomp_risk_difference(
        f, Xd, yd, treat_col,
        variance == "model" ? st::GcompVariance::Model : st::GcompVariance::Sandwich);
    const int p = static_cast<int>(f.beta.size());
    Rcpp::NumericVector beta(p);
    Rcpp::NumericMatrix V(p, p), Vs(p, p);
    for (int i = 0; i < p; ++i) {
      beta[i] = f.beta(i);
      for (int j = 0; j < p; ++j) {
        V(i, j) = f.vcov(i, j);
        Vs(i, j) = f.vcov_hc0(i, j);
      }
    }
    return Rcpp::List::create(
        Rcpp::_["beta"] = beta, Rcpp::_["vcov"] = V, Rcpp::_["vcov_hc0"] = Vs,
        Rcpp::_["deviance"] = f.deviance, Rcpp::_["iterations"] = f.iterations,
        Rcpp::_["converged"] = f.converged, Rcpp::_["boundary"] = f.boundary,
        Rcpp::_["p1"] = g.p1, Rcpp::_["p0"] = g.p0, Rcpp::_["rd"] = g.rd,
        Rcpp::_["se_p1"] = g.se_p1, Rcpp::_["se_p0"] = g.se_p0, Rcpp::_["se_rd"] = g.se_rd);
  });
}
