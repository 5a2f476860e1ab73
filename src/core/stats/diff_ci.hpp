// Confidence intervals for the difference of two independent binomial
// proportions, p1 - p2. Names follow SAS PROC FREQ RISKDIFF(CL=...) terms.
#pragma once

#include <string>
#include <vector>

#include "core/stats/common.hpp"

namespace glycotrial {
namespace stats {

enum class DiffMethod {
  Wald,
  WaldCC,
  Newcombe,
  NewcombeCC,
  MN,
  Mee,
  AgrestiCaffo,
  HauckAnderson,
  Exact
};

const std::vector<std::string>& diff_method_names();
DiffMethod parse_diff_method(const std::string& name);

// `check` is passed to the long-running exact method (see InterruptCheck).
Interval diff_ci(double x1, double n1, double x2, double n2, DiffMethod method,
                 double conf_level, const InterruptCheck& check = InterruptCheck());

// Generic score-interval inversion for the risk difference (MN or Mee).
Interval rd_score_ci(double x1, double n1, double x2, double n2, double conf_level, bool bcf);

struct TestResult {
  double statistic;
  double p_value;
};

// Farrington-Manning (1990) score test of H0: p1 - p2 = margin (restricted
// MLE variance without the N/(N-1) factor, as SAS RISKDIFF(METHOD=FM)).
// alternative: 0 two-sided, 1 greater (p1 - p2 > margin), -1 less.
TestResult fm_test(double x1, double n1, double x2, double n2, double margin, int alternative);

}  // namespace stats
}  // namespace glycotrial
