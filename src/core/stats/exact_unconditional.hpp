// Exact unconditional confidence interval for p1 - p2 by inverting two
// one-sided tests ordered by the score statistic, maximising the tail
// probability over the nuisance parameter (Chan & Zhang 1999; SAS PROC FREQ
// EXACT RISKDIFF(METHOD=SCORE)).
#pragma once

#include "core/stats/common.hpp"

namespace glycotrial {
namespace stats {

// `check` is called every few thousand tables (see InterruptCheck).
Interval exact_unconditional_rd_ci(double x1, double n1, double x2, double n2,
                                   double conf_level,
                                   const InterruptCheck& check = InterruptCheck());

// Largest number of 2x2 tables ((n1 + 1)(n2 + 1)) the exact method enumerates.
constexpr double kExactMaxTables = 1e6;

}  // namespace stats
}  // namespace glycotrial
