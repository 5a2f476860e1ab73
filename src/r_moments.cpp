// Glue for the moment route: the threaded moment data pass
// (src/core/mmrm/moments.hpp). Pointers to the R vectors are taken here, on
// the R main thread; the worker threads of the core only read plain memory.
#include <Rcpp.h>

#include <climits>

#include "core/mmrm/moments.hpp"
#include "r_guard.h"

namespace mm = glycotrial::mmrm;

// Ctrl-C: the core calls this on the R main thread between blocks of the
// data pass. Rcpp::checkUserInterrupt() asks R (inside R_ToplevelExec, so R
// never longjmps over C++ frames) and throws Rcpp's InterruptedException,
// which the core passes through after joining its threads and which the
// generated wrapper turns back into an R interrupt. `interrupt_after` >= 1
// (tests only) pretends the user pressed Ctrl-C at that check.
// vars: list of numeric (double) or integer (0-based codes, NA allowed)
// vectors, all of length n. design: list of design columns, each a list of
// components list(var = 0-based index, map = numeric or NULL, centre =
// optional number subtracted from a numeric variable). y_coef: NULL or one
// coefficient per design column; the pass then uses y - X y_coef.
// memory_limit: bytes of pattern matrices the pass may hold (0: no cap).
// luts (NULL or a list parallel to vars), visit_lut, group_lut: NULL, or for
// integer vectors that are R factors' 1-based codes, the 0-based code of each
// of their levels (-1: missing), so that factors are read without a copy.
// compress = FALSE forces the plain layout (tests compare the two).
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_scale_moments(Rcpp::List vars, Rcpp::List design, Rcpp::NumericVector y,
                             Rcpp::RObject w, Rcpp::IntegerVector visit,
                             Rcpp::IntegerVector subject, Rcpp::RObject group,
                             Rcpp::RObject order, int n_visits, int n_groups, int threads,
                             int interrupt_after = -1,
                             Rcpp::RObject y_coef = R_NilValue, double memory_limit = 0,
                             Rcpp::RObject luts = R_NilValue, Rcpp::RObject visit_lut = R_NilValue,
                             Rcpp::RObject group_lut = R_NilValue, bool compress = true) {
  return glue::guard([&] {
    mm::RawChunk ch;
    const R_xlen_t n = y.size();
    ch.n_rows = n;
    glycotrial::require(visit.size() == n && subject.size() == n, "data",
                        "columns differ in length");
    for (R_xlen_t v = 0; v < vars.size(); ++v) {
      SEXP x = vars[v];
      glycotrial::require(Rf_xlength(x) == n, "data", "columns differ in length");
      if (TYPEOF(x) == REALSXP) {
        ch.num.push_back(REAL(x));
        ch.codes.push_back(nullptr);
      } else if (TYPEOF(x) == INTSXP) {
        ch.num.push_back(nullptr);
        ch.codes.push_back(INTEGER(x));
      } else {
        throw glycotrial::InputError("variables must be double or integer codes", "data");
      }
    }
    auto lut_of = [](SEXP l) {
      mm::CodeLut L;
      if (Rf_isNull(l)) return L;
      glycotrial::require(TYPEOF(l) == INTSXP, "data", "code tables must be integer");
      L.lut = INTEGER(l);
      L.n = static_cast<int>(Rf_xlength(l));
      return L;
    };
    if (!luts.isNULL()) {
      Rcpp::List lt(luts);
      glycotrial::require(lt.size() == vars.size(), "data", "variable lists differ in length");
      for (R_xlen_t v = 0; v < lt.size(); ++v) {
        ch.code_luts.push_back(lut_of(lt[v]));
        glycotrial::require(ch.code_luts.back().lut == nullptr || ch.codes[v] != nullptr, "data",
                            "a code table for a numeric variable");
      }
    }
    ch.visit_lut = lut_of(visit_lut);
    ch.group_lut = lut_of(group_lut);
    ch.compress = compress;
    std::vector<mm::DesignColumn> cols;
    for (R_xlen_t j = 0; j < design.size(); ++j) {
      Rcpp::List col(design[j]);
      mm::DesignColumn dc;
      for (R_xlen_t c = 0; c < col.size(); ++c) {
        Rcpp::List comp(col[c]);
        mm::DesignComponent d;
        d.var = Rcpp::as<int>(comp["var"]);
        Rcpp::RObject map = comp["map"];
        if (!map.isNULL()) d.map = Rcpp::as<std::vector<double>>(map);
        if (comp.containsElementNamed("centre")) {
          Rcpp::RObject ce = comp["centre"];
          if (!ce.isNULL()) d.centre = Rcpp::as<double>(ce);
        }
        dc.comps.push_back(std::move(d));
      }
      cols.push_back(std::move(dc));
    }
    ch.y = REAL(y);
    ch.memory_limit = memory_limit > 0 ? memory_limit : 0;
    if (!y_coef.isNULL()) ch.y_coef = Rcpp::as<std::vector<double>>(y_coef);
    if (!w.isNULL()) {
      glycotrial::require(Rf_xlength(w) == n && TYPEOF(w) == REALSXP, "weights", "bad weights");
      ch.w = REAL(w);
    }
    ch.visit = INTEGER(visit);
    ch.subject = INTEGER(subject);  // NA_INTEGER == INT_MIN
    if (!group.isNULL()) {
      glycotrial::require(Rf_xlength(group) == n && TYPEOF(group) == INTSXP, "group", "bad group");
      ch.group = INTEGER(group);
    }
    if (!order.isNULL()) {
      glycotrial::require(Rf_xlength(order) == n && TYPEOF(order) == INTSXP, "order", "bad order");
      ch.order = INTEGER(order);
    }
    int n_checks = 0;
    mm::InterruptCheck check = [&n_checks, interrupt_after]() {
      ++n_checks;
      if (interrupt_after > 0 && n_checks >= interrupt_after) {
        throw Rcpp::internal::InterruptedException();
      }
      Rcpp::checkUserInterrupt();
    };
    mm::MomentResult res = mm::accumulate_moments(ch, cols, n_visits, n_groups, threads, check);
    Rcpp::List pats(res.patterns.size());
    for (size_t i = 0; i < res.patterns.size(); ++i) {
      const auto& pm = res.patterns[i];
      Rcpp::NumericMatrix M(pm.M.rows(), pm.M.cols());
      std::copy(pm.M.data(), pm.M.data() + pm.M.size(), M.begin());
      pats[i] = Rcpp::List::create(Rcpp::_["group"] = pm.group,
                                   Rcpp::_["visits"] = Rcpp::wrap(pm.visits),
                                   Rcpp::_["n"] = static_cast<double>(pm.n_subjects),
                                   Rcpp::_["M"] = M);
    }
    return Rcpp::List::create(Rcpp::_["patterns"] = pats,
                              Rcpp::_["n_obs"] = static_cast<double>(res.n_obs),
                              Rcpp::_["n_subjects"] = static_cast<double>(res.n_subjects),
                              Rcpp::_["n_dropped"] = static_cast<double>(res.n_dropped),
                              Rcpp::_["log_weight_sum"] = res.log_weight_sum,
                              Rcpp::_["var_sums"] = Rcpp::wrap(res.var_sums));
  });
}
