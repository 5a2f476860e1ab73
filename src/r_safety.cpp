// Glue for the safety core (src/core/safety): converts R vectors, calls the
// core, converts back. Every body runs inside glue::guard().
#include <Rcpp.h>

#include <cmath>
#include <unordered_map>

#include "core/safety/events.hpp"
#include "core/safety/fever.hpp"
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

// Counts per row x arm; returns vectors in row-major order. row_start /
// row_index (0-based, compressed) map each term to its output rows; an empty
// row_start means one row per term.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_safety_count_terms(Rcpp::IntegerVector subject_arm, int n_arms,
                                  Rcpp::IntegerVector ev_subject, Rcpp::IntegerVector ev_term,
                                  int n_terms, Rcpp::IntegerVector ev_grade, int n_grades,
                                  Rcpp::IntegerVector row_start, Rcpp::IntegerVector row_index,
                                  int n_rows) {
  return glue::guard([&] {
    std::vector<int> grade(ev_grade.size());
    for (R_xlen_t i = 0; i < ev_grade.size(); ++i)
      grade[i] = ev_grade[i] == NA_INTEGER ? 0 : ev_grade[i];
    sf::TermCounts tc;
    if (row_start.size() == 0) {
      tc = sf::count_terms(as_idx(subject_arm), n_arms, as_idx(ev_subject), as_idx(ev_term),
                           n_terms, grade, n_grades);
    } else {
      sf::TermRows rows;
      rows.start.assign(row_start.begin(), row_start.end());
      rows.index.assign(row_index.begin(), row_index.end());
      rows.n_rows = n_rows;
      tc = sf::count_term_rows(as_idx(subject_arm), n_arms, as_idx(ev_subject),
                               as_idx(ev_term), n_terms, grade, n_grades, rows);
    }
    return Rcpp::List::create(Rcpp::_["subjects"] = Rcpp::wrap(tc.subjects),
                              Rcpp::_["events"] = Rcpp::wrap(tc.events),
                              Rcpp::_["by_worst_grade"] = Rcpp::wrap(tc.by_worst_grade));
  });
}

// Integer codes (1-based, first-appearance order) and distinct values of a
// character vector in one pass. R keeps one copy of each string in its global
// cache, so equal strings of the same encoding share a CHARSXP and can be
// hashed by address; the R caller merges the (rare) equal strings in
// different encodings with match() on the few distinct values. NA is a value
// of its own.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_safety_encode(SEXP x) {
  return glue::guard([&] {
    if (TYPEOF(x) != STRSXP)
      throw glycotrial::InputError("values to encode must be a character vector", "x");
    const R_xlen_t n = XLENGTH(x);
    Rcpp::IntegerVector code(n);
    std::unordered_map<SEXP, int> seen;
    std::vector<SEXP> values;
    const SEXP* p = STRING_PTR_RO(x);
    SEXP last = nullptr;
    int last_code = 0;
    for (R_xlen_t i = 0; i < n; ++i) {
      const SEXP s = p[i];
      if (s != last) {
        int c = 0;
        if (values.size() <= 16) {
          // Few distinct values (grades, flags): a linear scan beats hashing.
          for (size_t j = 0; j < values.size(); ++j)
            if (values[j] == s) {
              c = static_cast<int>(j) + 1;
              break;
            }
          if (c == 0 && values.size() == 16)  // switching to the hash table
            for (size_t j = 0; j < values.size(); ++j) seen.emplace(values[j], static_cast<int>(j) + 1);
        } else {
          auto it = seen.find(s);
          if (it != seen.end()) c = it->second;
        }
        if (c == 0) {
          values.push_back(s);
          c = static_cast<int>(values.size());
          if (values.size() > 16) seen.emplace(s, c);
        }
        last = s;
        last_code = c;
      }
      code[i] = last_code;
    }
    Rcpp::CharacterVector levels(values.size());
    for (size_t j = 0; j < values.size(); ++j) SET_STRING_ELT(levels, j, values[j]);
    return Rcpp::List::create(Rcpp::_["code"] = code, Rcpp::_["levels"] = levels);
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
    const R_xlen_t nr = rp.size();
    glycotrial::require(rd.size() == nr && rg.size() == nr && rref.size() == nr &&
                            rop.size() == nr && rbase.size() == nr && rf.size() == nr &&
                            rreq.size() == nr,
                        "rules", "rule columns differ in length");
    std::vector<sf::GradeRule> rs(nr);
    for (R_xlen_t k = 0; k < nr; ++k) {
      glycotrial::require(rp[k] != NA_INTEGER && rd[k] != NA_INTEGER && rg[k] != NA_INTEGER &&
                              rref[k] != NA_STRING && rop[k] != NA_STRING && rbase[k] != NA_STRING,
                          "rules", "rule " + std::to_string(k + 1) + " has a missing entry");
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

// Longest run of consecutive high readings per group (1-based group codes,
// NA skipped) and whether it lasts longer than min_span.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_safety_fever_runs(Rcpp::IntegerVector group, Rcpp::NumericVector time,
                                 Rcpp::LogicalVector high, int n_groups, double min_span) {
  return glue::guard([&] {
    std::vector<int> h(high.size());
    for (R_xlen_t i = 0; i < high.size(); ++i) h[i] = high[i] == TRUE ? 1 : 0;
    sf::FeverRuns r = sf::fever_runs(as_idx(group), as_dbl(time), h, n_groups, min_span);
    Rcpp::NumericVector span(r.longest_span.size());
    for (size_t i = 0; i < span.size(); ++i)
      span[i] = std::isnan(r.longest_span[i]) ? NA_REAL : r.longest_span[i];
    return Rcpp::List::create(Rcpp::_["longest_span"] = span,
                              Rcpp::_["sustained"] = Rcpp::wrap(r.sustained));
  });
}
