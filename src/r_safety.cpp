// Glue for the safety core (src/core/safety): converts R vectors, calls the
// core, converts back. Every body runs inside glue::guard().
#include <Rcpp.h>

#include <cmath>
#include <cstdint>
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

// Worst grade per (row, subject), tallied per row and arm (see
// sf::worst_grade_cells); integer vectors read in place.
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_safety_worst_cells(Rcpp::IntegerVector subject_arm, int n_arms,
                                  Rcpp::IntegerVector subj, Rcpp::IntegerVector row,
                                  Rcpp::IntegerVector grade, int n_rows, int max_grade) {
  return glue::guard([&] {
    const R_xlen_t n = subj.size();
    glycotrial::require(row.size() == n && grade.size() == n, "adlb",
                        "subject, row and grade vectors must have the same length");
    sf::TermCounts tc = sf::worst_grade_cells(
        INTEGER(subject_arm), static_cast<int>(subject_arm.size()), n_arms, INTEGER(subj),
        INTEGER(row), INTEGER(grade), static_cast<size_t>(n), n_rows, max_grade, NA_INTEGER);
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
    int* out = INTEGER(code);
    std::vector<SEXP> values;
    // Open-addressing table keyed by CHARSXP address (power-of-two size,
    // linear probing, at most half full): subject identifiers have ~10^5
    // distinct values in random order, where std::unordered_map's node
    // lookups dominated.
    std::vector<SEXP> key(64, nullptr);
    std::vector<int> val(64, 0);
    size_t mask = 63;
    auto slot = [&](SEXP s) {
      size_t h = (reinterpret_cast<uintptr_t>(s) >> 3) * 0x9E3779B97F4A7C15ULL;
      h ^= h >> 29;
      size_t j = h & mask;
      while (key[j] != nullptr && key[j] != s) j = (j + 1) & mask;
      return j;
    };
    const SEXP* p = STRING_PTR_RO(x);
    SEXP last = nullptr;
    int last_code = 0;
    for (R_xlen_t i = 0; i < n; ++i) {
      const SEXP s = p[i];
      if (s != last) {
        size_t j = slot(s);
        if (key[j] == nullptr) {
          values.push_back(s);
          key[j] = s;
          val[j] = static_cast<int>(values.size());
          if (2 * values.size() > key.size()) {  // grow and rehash
            std::vector<SEXP> old_key(std::move(key));
            std::vector<int> old_val(std::move(val));
            key.assign(old_key.size() * 2, nullptr);
            val.assign(old_key.size() * 2, 0);
            mask = key.size() - 1;
            for (size_t k = 0; k < old_key.size(); ++k)
              if (old_key[k] != nullptr) {
                const size_t m = slot(old_key[k]);
                key[m] = old_key[k];
                val[m] = old_val[k];
              }
            j = slot(s);
          }
        }
        last = s;
        last_code = val[j];
      }
      out[i] = last_code;
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

// Minimum of value per (row, subject), each event counted in the rows of its
// term (row_start / row_index 0-based, compressed, as in
// cpp_safety_count_terms); returns out[row * n_subjects + subject].
// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector cpp_safety_row_subject_min(Rcpp::IntegerVector subject,
                                               Rcpp::IntegerVector term,
                                               Rcpp::NumericVector value, int n_subjects,
                                               int n_terms, Rcpp::IntegerVector row_start,
                                               Rcpp::IntegerVector row_index, int n_rows) {
  return glue::guard([&] {
    sf::TermRows rows;
    rows.start.assign(row_start.begin(), row_start.end());
    rows.index.assign(row_index.begin(), row_index.end());
    rows.n_rows = n_rows;
    std::vector<double> m = sf::row_subject_min(as_idx(subject), as_idx(term), as_dbl(value),
                                                n_subjects, n_terms, rows);
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
// op, factor, baseline, required. param: 1-based parameter codes (NA: not
// graded); aval, lln, uln, base: double vectors read in place. Returns the six
// ADaM grade columns and, per parameter, the number of records whose grade is
// missing because a reference is (gap_count) and the first one (gap_first,
// 1-based, NA when none).
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_safety_grade_labs(Rcpp::DataFrame rules, int n_params, Rcpp::IntegerVector param,
                                 Rcpp::NumericVector aval, Rcpp::NumericVector lln,
                                 Rcpp::NumericVector uln, Rcpp::NumericVector base,
                                 int n_threads = 1) {
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
    const sf::GradeScheme scheme = sf::prepare_scheme(rs, n_params);
    const R_xlen_t n = param.size();
    glycotrial::require(aval.size() == n && lln.size() == n && uln.size() == n &&
                            base.size() == n,
                        "adlb", "lab value, reference range and baseline vectors must have the "
                        "same length");
    // R's NA_real_ is a NaN, so the core reads the vectors in place.
    sf::LabColumns in;
    in.n = static_cast<size_t>(n);
    in.param = INTEGER(param);
    in.aval = REAL(aval);
    in.lln = REAL(lln);
    in.uln = REAL(uln);
    in.base = REAL(base);
    Rcpp::IntegerVector h(n), l(n), sg(n), bh(n), bl(n), bsg(n);
    sf::LabGradeColumns out{INTEGER(h), INTEGER(l), INTEGER(sg), INTEGER(bh), INTEGER(bl),
                            INTEGER(bsg)};
    sf::GradeGaps gaps = sf::grade_lab_columns(scheme, in, out, NA_INTEGER, n_threads);
    Rcpp::NumericVector gap_count(n_params), gap_first(n_params);
    for (int p = 0; p < n_params; ++p) {
      gap_count[p] = static_cast<double>(gaps.count[p]);
      gap_first[p] = gaps.first[p] < 0 ? NA_REAL : static_cast<double>(gaps.first[p] + 1);
    }
    return Rcpp::List::create(Rcpp::_["high"] = h, Rcpp::_["low"] = l, Rcpp::_["signed"] = sg,
                              Rcpp::_["base_high"] = bh, Rcpp::_["base_low"] = bl,
                              Rcpp::_["base_signed"] = bsg, Rcpp::_["gap_count"] = gap_count,
                              Rcpp::_["gap_first"] = gap_first);
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
