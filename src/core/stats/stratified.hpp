// Stratified analyses of K 2x2 tables (group 1 / group 2 by event / no
// event): CMH tests, Mantel-Haenszel common odds ratio, relative risk and risk
// difference, Breslow-Day homogeneity test, and stratified score (MN) and
// Newcombe intervals for the common risk difference (SAS PROC FREQ CMH and
// COMMONRISKDIFF).
#pragma once

#include <vector>

#include "core/stats/common.hpp"

namespace glycotrial {
namespace stats {

struct Strata {
  std::vector<double> x1, n1, x2, n2;
  size_t size() const { return x1.size(); }
};

// Validates counts; every stratum must contain both groups.
void check_strata(const Strata& s);

struct ChiTest {
  double statistic;
  double df;
  double p_value;
};

// CMH statistic for K 2x2 tables (df 1), optionally with continuity correction.
ChiTest cmh_2x2(const Strata& s, bool correct);

// General-association CMH statistic for an r x c x K array stored as R does
// (column-major, first index fastest); df = (r - 1)(c - 1).
ChiTest cmh_general(const std::vector<double>& counts, int r, int c, int k);

struct CommonEstimate {
  double estimate;
  double se;  // SE of log(estimate) for OR / RR, of the estimate for RD
  double lower;
  double upper;
};

// Mantel-Haenszel odds ratio with the Robins-Breslow-Greenland variance.
CommonEstimate mh_odds_ratio(const Strata& s, double conf_level);
// Mantel-Haenszel relative risk with the Greenland-Robins variance.
CommonEstimate mh_relative_risk(const Strata& s, double conf_level);
// Mantel-Haenszel risk difference with the Sato (1989) variance.
CommonEstimate mh_risk_difference(const Strata& s, double conf_level);

struct BreslowDay {
  double statistic;  // Breslow-Day
  double df;
  double p_value;
  double tarone;  // with Tarone's (1985) correction
  double tarone_p_value;
};
BreslowDay breslow_day(const Strata& s);

enum class StratWeights { MH, MN };

struct StratifiedScore {
  double estimate;
  double lower;
  double upper;
  double statistic;  // score statistic at delta = 0
  double p_value;    // two-sided
};
// Stratified Miettinen-Nurminen score interval for the common risk
// difference with MH weights (SAS COMMONRISKDIFF(CL=MNMH)) or iterative MN
// weights (CL=MN).
StratifiedScore stratified_mn_rd(const Strata& s, StratWeights w, double conf_level);

// Stratified Newcombe interval (Yan & Su 2010), as tern::prop_diff_strat_nc():
// CMH weights, or the iterative weights that minimise the squared length of
// the pooled stratified Wilson interval (tern weights_method = "wilson_h").
enum class NewcombeWeights { CMH, Wilson };
struct StratNewcombe {
  Interval interval;
  std::vector<double> weights;  // normalised stratum weights used
  bool converged;               // Wilson weights: iteration converged
  int iterations;
};
StratNewcombe stratified_newcombe_rd(const Strata& s, double conf_level, bool correct,
                                     NewcombeWeights weights);

}  // namespace stats
}  // namespace glycotrial
