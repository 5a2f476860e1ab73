// Glue for the stats core: vectorised CIs for proportions, their differences
// and ratios, and the 2x2 / stratified tests. Converts, calls the core,
// converts back; nothing else.
#include <Rcpp.h>

#include <algorithm>
#include <string>

#include "core/stats/diff_ci.hpp"
#include "core/stats/proportion_ci.hpp"
#include "core/stats/ratio_ci.hpp"
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

Rcpp::List as_list(const Rcpp::NumericVector& est, const Rcpp::NumericVector& lo,
                   const Rcpp::NumericVector& hi) {
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
    Rcpp::NumericVector est(len), lo(len), hi(len);
    for (R_xlen_t i = 0; i < len; ++i) {
      const st::Interval r = st::prop_ci(at(x, i), at(n, i), m, at(conf_level, i));
      est[i] = r.estimate;
      lo[i] = r.lower;
      hi[i] = r.upper;
    }
    return as_list(est, lo, hi);
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
    Rcpp::NumericVector est(len), lo(len), hi(len);
    for (R_xlen_t i = 0; i < len; ++i) {
      const st::Interval r =
          st::diff_ci(at(x1, i), at(n1, i), at(x2, i), at(n2, i), m, at(conf_level, i));
      est[i] = r.estimate;
      lo[i] = r.lower;
      hi[i] = r.upper;
    }
    return as_list(est, lo, hi);
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
    Rcpp::NumericVector est(len), lo(len), hi(len);
    for (R_xlen_t i = 0; i < len; ++i) {
      const st::Interval r =
          st::ratio_ci(at(x1, i), at(n1, i), at(x2, i), at(n2, i), c, m, at(conf_level, i));
      est[i] = r.estimate;
      lo[i] = r.lower;
      hi[i] = r.upper;
    }
    return as_list(est, lo, hi);
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
