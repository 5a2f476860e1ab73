// Confidence intervals for the relative risk p1 / p2 and the odds ratio
// (p1 / q1) / (p2 / q2). Names follow SAS PROC FREQ RELRISK / ODDSRATIO
// (CL=...) terms.
#pragma once

#include <string>
#include <vector>

#include "core/stats/common.hpp"
#include "core/stats/score.hpp"

namespace glycotrial {
namespace stats {

enum class RatioMethod { Score, ScoreNoBcf, Wald, WaldModified, Exact };

const std::vector<std::string>& ratio_method_names();
RatioMethod parse_ratio_method(const std::string& name);

// measure: Contrast::RR or Contrast::OR.
Interval ratio_ci(double x1, double n1, double x2, double n2, Contrast measure,
                  RatioMethod method, double conf_level);

// Inverts the (MN) score statistic for RR or OR on the log scale.
Interval ratio_score_ci(double x1, double n1, double x2, double n2, Contrast measure,
                        double conf_level, bool bcf);

}  // namespace stats
}  // namespace glycotrial
