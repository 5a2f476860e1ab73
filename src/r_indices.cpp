// Glue for the beta-cell / insulin-sensitivity indices: registers the built-in
// index plugins at load through glycotrial_register_index_v1(), the same C
// entry point a package with `LinkingTo: glycotrial` uses. Evaluation goes
// through the registry (cpp_compute_compiled_index in r_registry.cpp).
#include <Rcpp.h>
#include <R_ext/Rdynload.h>

#include <climits>
#include <cmath>
#include <string>
#include <vector>

#include "core/common/plugin_registry.hpp"
#include "core/indices/builtin.hpp"
#include "core/indices/fp_check.hpp"
#include "core/indices/plausibility.hpp"
#include "r_guard.h"

// [[Rcpp::init]]
void glycotrial_init_indices(DllInfo* dll) {
  (void)dll;
  std::size_t n = 0;
  const glycotrial_index_v1* p = glycotrial::indices::builtin_plugins(&n);
  for (std::size_t k = 0; k < n; ++k) {
    char err[512] = {0};
    if (glycotrial_register_index_v1(&p[k], "glycotrial", 1, err, sizeof(err)) != 0) {
      Rf_warning("glycotrial: built-in index '%s' failed to register: %s", p[k].key, err);
    }
  }
}

// Keys of the built-in index plugins, in declaration order.
// [[Rcpp::export(rng = false)]]
Rcpp::CharacterVector cpp_indices_builtin_keys() {
  return glue::guard([&] {
    std::size_t n = 0;
    const glycotrial_index_v1* p = glycotrial::indices::builtin_plugins(&n);
    Rcpp::CharacterVector out(n);
    for (std::size_t k = 0; k < n; ++k) out[k] = p[k].key;
    return out;
  });
}

// Evaluate a compiled index on columns without copying them (the registry's
// generic cpp_compute_compiled_index copies into std::vectors). NaN results
// become NA. The IEEE overflow/underflow flags are checked around the call
// (core/indices/fp_check.hpp): when an over- or underflow part-way through
// the formula changed a result, the result carries the 1-based first rows of
// the affected units (rows, or curves when `by_curve`) in the attributes
// "overflow" / "underflow" (absent when there are none).
// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector cpp_indices_compute(std::string key, Rcpp::List cols, bool by_curve = false) {
  return glue::guard([&] {
    const glycotrial_index_v1* p = glycotrial::plugins::find_index(key);
    glycotrial::require(p != nullptr, "key", "no compiled index '" + key + "' is registered");
    const R_xlen_t m = cols.size();
    glycotrial::require(m == p->n_inputs, "inputs",
                        "index '" + key + "' needs " + std::to_string(p->n_inputs) +
                            " inputs, got " + std::to_string(m));
    std::vector<Rcpp::NumericVector> keep;
    std::vector<const double*> ptr;
    R_xlen_t n = -1;
    for (R_xlen_t j = 0; j < m; ++j) {
      keep.emplace_back(Rcpp::as<Rcpp::NumericVector>(cols[j]));
      if (n < 0) n = keep.back().size();
      glycotrial::require(keep.back().size() == n, p->input_names[j],
                          "all inputs must have the same length");
      ptr.push_back(keep.back().begin());
    }
    if (n < 0) n = 0;
    glycotrial::require(n <= INT_MAX, "inputs", "too many rows for one call");
    // NA until the plugin writes a row: a plugin that writes nothing gives NA,
    // not 0.
    Rcpp::NumericVector out(n, NA_REAL);
    char err[512] = {0};
    glycotrial::indices::RangeReport range;
    if (glycotrial::indices::compute_with_range_check(*p, static_cast<int>(n), ptr.data(),
                                                      out.begin(), by_curve, &range, err,
                                                      sizeof(err)) != 0) {
      err[sizeof(err) - 1] = '\0';
      throw glycotrial::plugins::PluginFailedError(
          std::string("index '") + key + "' failed: " + (err[0] ? err : "no message from the plugin"),
          false);
    }
    for (R_xlen_t i = 0; i < n; ++i)
      if (std::isnan(out[i])) out[i] = NA_REAL;
    auto rows = [](const std::vector<int>& v) {
      Rcpp::IntegerVector r(v.size());
      for (std::size_t k = 0; k < v.size(); ++k) r[k] = v[k] + 1;
      return r;
    };
    if (!range.overflow.empty()) out.attr("overflow") = rows(range.overflow);
    if (!range.underflow.empty()) out.attr("underflow") = rows(range.underflow);
    return out;
  });
}

// 1-based rows where any column holds a negative value.
// [[Rcpp::export(rng = false)]]
Rcpp::IntegerVector cpp_indices_negative_rows(Rcpp::List cols) {
  return glue::guard([&] {
    std::vector<int> rows;
    R_xlen_t n = 0;
    std::vector<Rcpp::NumericVector> keep;
    for (R_xlen_t j = 0; j < cols.size(); ++j) {
      keep.emplace_back(Rcpp::as<Rcpp::NumericVector>(cols[j]));
      n = std::max(n, keep.back().size());
    }
    for (R_xlen_t i = 0; i < n; ++i) {
      for (const auto& v : keep) {
        if (i < v.size() && v[i] < 0) {
          rows.push_back(static_cast<int>(i + 1));
          break;
        }
      }
    }
    return Rcpp::IntegerVector(rows.begin(), rows.end());
  });
}

// Run codes of a vector: 1 for the first run of equal values, 2 for the next, ...
// [[Rcpp::export(rng = false)]]
Rcpp::IntegerVector cpp_indices_runs(SEXP id) {
  return glue::guard([&] {
    const R_xlen_t n = Rf_xlength(id);
    Rcpp::IntegerVector out(n);
    int code = 0;
    for (R_xlen_t i = 0; i < n; ++i) {
      bool change = i == 0;
      if (!change) {
        switch (TYPEOF(id)) {
          case INTSXP: case LGLSXP: change = INTEGER(id)[i] != INTEGER(id)[i - 1]; break;
          case REALSXP: change = REAL(id)[i] != REAL(id)[i - 1]; break;
          case STRSXP: change = STRING_ELT(id, i) != STRING_ELT(id, i - 1); break;
          default: throw glycotrial::InputError("curve ids must be numeric, character or factor", "id");
        }
      }
      if (change) ++code;
      out[i] = code;
    }
    return out;
  });
}

// Plausibility of values of `quantity` declared in `unit` (core/indices/
// plausibility.hpp): per value a status (0 plausible or missing, 1 plausible
// only in another unit, 2 implausible in every unit) and the likely unit
// (NA unless status is 1).
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_unit_plausibility(std::string quantity, std::string unit, Rcpp::NumericVector x) {
  return glue::guard([&] {
    std::size_t nr = 0;
    const glycotrial::indices::UnitRange* tab = glycotrial::indices::unit_ranges(&nr);
    const glycotrial::indices::PlausibilityVerdict v =
        glycotrial::indices::check_unit_plausibility(quantity, unit, x.begin(),
                                                     static_cast<std::size_t>(x.size()));
    Rcpp::IntegerVector status(v.status.begin(), v.status.end());
    Rcpp::CharacterVector likely(x.size(), NA_STRING);
    for (R_xlen_t i = 0; i < x.size(); ++i)
      if (v.likely[i] >= 0) likely[i] = tab[v.likely[i]].unit;
    return Rcpp::List::create(Rcpp::Named("status") = status, Rcpp::Named("likely") = likely);
  });
}

// The plausible-range table as a data frame (quantity, unit, low, high, typical).
// [[Rcpp::export(rng = false)]]
Rcpp::DataFrame cpp_unit_ranges() {
  return glue::guard([&] {
    std::size_t n = 0;
    const glycotrial::indices::UnitRange* tab = glycotrial::indices::unit_ranges(&n);
    Rcpp::CharacterVector q(n), u(n);
    Rcpp::NumericVector lo(n), hi(n), ty(n);
    for (std::size_t k = 0; k < n; ++k) {
      q[k] = tab[k].quantity;
      u[k] = tab[k].unit;
      lo[k] = tab[k].low;
      hi[k] = tab[k].high;
      ty[k] = tab[k].typical;
    }
    return Rcpp::DataFrame::create(Rcpp::Named("quantity") = q, Rcpp::Named("unit") = u,
                                   Rcpp::Named("low") = lo, Rcpp::Named("high") = hi,
                                   Rcpp::Named("typical") = ty,
                                   Rcpp::Named("stringsAsFactors") = false);
  });
}
