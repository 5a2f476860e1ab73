// Glue for the safety core (src/core/safety): converts R vectors, calls the
// core, converts back. Every body runs inside glue::guard().
#include <Rcpp.h>

#include <cmath>

#include "core/safety/events.hpp"
#include "core/safety/lab_grading.hpp"
#include "core/safety/rates.hpp"
#include "r_guard.h"

namespace sf = glycotrial::safety;

namespace {
std::vector<double> as_dbl(const Rcpp::NumericVector& x) {
  std::vector<double> out(x.size());
  for (R_xlen_t i = 0; i < x.size(); ++i)
    out[i] = Rcpp::NumericVector::is_na(x[i]) ? std::nan("") : x[i];
  return out;
}
// 1-based R integer codes (NA allowed) -> 0-based, NA -> -1.
std::vector<int> as_idx(const Rcpp::IntegerVector& x) {
  std::vector<int> out(x.size());
  for (R_xlen_t i = 0; i < x.size(); ++i)
    out[i] = x[i] == NA_INTEGER ? -1 : x[i] - 1;
  return out;
}
Rcpp::IntegerVector grades_to_r(const std::vector<int>& g) {
  Rcpp::IntegerVector out(g.size());
  for (size_t i = 0; i < g.size(); ++i) out[i] = g[i] < 0 ? NA_INTEGER : g[i];
  return out;
}
}  // namespace

// [[Rcpp::export(rng = false)]]
Rcpp::DataFrame cpp_safety_eair(Rcpp::NumericVector events, Rcpp::NumericVector time,
                                double conf_level, double per) {
  return glue::guard([&] {
    const R_xlen_t n = events.size();
    Rcpp::NumericVector rate(n), lower(n), upper(n);
    for (R_xlen_t i = 0; i < n; ++i) {
      if (Rcpp::NumericVector::is_na(events[i]) || Rcpp::NumericVector::is_na(time[i])) {
        rate[i] = lower[i] = upper[i] = NA_REAL;
        continue;
      }
      sf::RateEstimate r = sf::poisson_rate_exact(events[i], time[i], conf_level, per);
      rate[i] = r.rate;
      lower[i] = r.lower;
      upper[i] = r.upper;
    }
    return Rcpp::DataFrame::create(Rcpp::_["rate"] = rate, Rcpp::_["lower"] = lower,
                                   Rcpp::_["upper"] = upper);
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::DataFrame cpp_safety_rate_diff(Rcpp::NumericVector x1, Rcpp::NumericVector t1,
                                     Rcpp::NumericVector x2, Rcpp::NumericVector t2,
                                     double conf_level, double per, std::string method) {
  return glue::guard([&] {
    const R_xlen_t n = x1.size();
    Rcpp::NumericVector diff(n), lower(n), upper(n);
    for (R_xlen_t i = 0; i < n; ++i) {
      sf::RateDifference d = sf::rate_difference(x1[i], t1[i], x2[i], t2[i], conf_level, per,
                                                 method);
      diff[i] = d.diff;
      lower[i] = d.lower;
      upper[i] = d.upper;
    }
    return Rcpp::DataFrame::create(Rcpp::_["diff"] = diff, Rcpp::_["lower"] = lower,
                                   Rcpp::_["upper"] = upper);
  });
}

// Counts per term x arm; returns vectors in term-major order.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_safety_count_terms(Rcpp::IntegerVector subject_arm, int n_arms,
                                  Rcpp::IntegerVector ev_subject, Rcpp::IntegerVector ev_term,
                                  int n_terms, Rcpp::IntegerVector ev_grade, int n_grades) {
  return glue::guard([&] {
    std::vector<int> grade(ev_grade.size());
    for (R_xlen_t i = 0; i < ev_grade.size(); ++i)
      grade[i] = ev_grade[i] == NA_INTEGER ? 0 : ev_grade[i];
    sf::TermCounts tc = sf::count_terms(as_idx(subject_arm), n_arms, as_idx(ev_subject),
                                        as_idx(ev_term), n_terms, grade, n_grades);
    return Rcpp::List::create(Rcpp::_["subjects"] = Rcpp::wrap(tc.subjects),
                              Rcpp::_["events"] = Rcpp::wrap(tc.events),
                              Rcpp::_["by_worst_grade"] = Rcpp::wrap(tc.by_worst_grade));
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::LogicalVector cpp_safety_teae(Rcpp::NumericVector onset_day, Rcpp::NumericVector end_day,
                                    double lag, bool missing_is_teae) {
  return glue::guard([&] {
    std::vector<int> f = sf::teae_flag(as_dbl(onset_day), as_dbl(end_day), lag, missing_is_teae);
    Rcpp::LogicalVector out(f.size());
    for (size_t i = 0; i < f.size(); ++i) out[i] = f[i] != 0;
    return out;
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::IntegerVector cpp_safety_infusion_window(Rcpp::IntegerVector ev_subject,
                                               Rcpp::NumericVector ev_day,
                                               Rcpp::IntegerVector inf_subject,
                                               Rcpp::NumericVector inf_day,
                                               Rcpp::IntegerVector inf_number, int n_subjects,
                                               double lower, double upper) {
  return glue::guard([&] {
    std::vector<int> num(inf_number.begin(), inf_number.end());
    return Rcpp::wrap(sf::infusion_window(as_idx(ev_subject), as_dbl(ev_day),
                                          as_idx(inf_subject), as_dbl(inf_day), num, n_subjects,
                                          lower, upper));
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector cpp_safety_group_subject_min(Rcpp::IntegerVector subject,
                                                 Rcpp::IntegerVector group,
                                                 Rcpp::NumericVector value, int n_subjects,
                                                 int n_groups) {
  return glue::guard([&] {
    std::vector<double> m = sf::group_subject_min(as_idx(subject), as_idx(group), as_dbl(value),
                                                  n_subjects, n_groups);
    Rcpp::NumericVector out(m.size());
    for (size_t i = 0; i < m.size(); ++i) out[i] = std::isnan(m[i]) ? NA_REAL : m[i];
    return out;
  });
}

// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector cpp_safety_group_max(Rcpp::IntegerVector group, Rcpp::NumericVector value,
                                         int n_groups) {
  return glue::guard([&] {
    std::vector<double> m = sf::group_max(as_idx(group), as_dbl(value), n_groups);
    Rcpp::NumericVector out(m.size());
    for (size_t i = 0; i < m.size(); ++i) out[i] = std::isnan(m[i]) ? NA_REAL : m[i];
    return out;
  });
}

// rules: data frame with param (1-based int), direction (+1/-1), grade, ref,
// op, factor, baseline, required.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_safety_grade_labs(Rcpp::DataFrame rules, int n_params, Rcpp::IntegerVector param,
                                 Rcpp::NumericVector aval, Rcpp::NumericVector lln,
                                 Rcpp::NumericVector uln, Rcpp::NumericVector base) {
  return glue::guard([&] {
    Rcpp::IntegerVector rp = rules["param"], rd = rules["direction"], rg = rules["grade"];
    Rcpp::CharacterVector rref = rules["ref"], rop = rules["op"], rbase = rules["baseline"];
    Rcpp::NumericVector rf = rules["factor"];
    Rcpp::LogicalVector rreq = rules["required"];
    std::vector<sf::GradeRule> rs(rp.size());
    for (R_xlen_t k = 0; k < rp.size(); ++k) {
      rs[k].param = rp[k] - 1;
      rs[k].direction = rd[k];
      rs[k].grade = rg[k];
      rs[k].ref = sf::parse_ref(Rcpp::as<std::string>(rref[k]));
      rs[k].op = sf::parse_op(Rcpp::as<std::string>(rop[k]));
      rs[k].factor = rf[k];
      rs[k].baseline = sf::parse_baseline(Rcpp::as<std::string>(rbase[k]));
      rs[k].required = rreq[k] == TRUE;
    }
    sf::LabGrades g = sf::grade_labs(rs, n_params, as_idx(param), as_dbl(aval), as_dbl(lln),
                                     as_dbl(uln), as_dbl(base));
    // kGradeNone -> NA as well; the R side knows which directions exist.
    return Rcpp::List::create(Rcpp::_["high"] = grades_to_r(g.high),
                              Rcpp::_["low"] = grades_to_r(g.low));
  });
}
