// Tests for two-way tables: Fisher's exact test for a 2x2 table with the
// conditional MLE and exact CI of the odds ratio, and Pearson's chi-square
// test for an r x c table.
#pragma once

#include <vector>

#include "core/stats/common.hpp"

namespace glycotrial {
namespace stats {

struct FisherResult {
  double p_value;
  double estimate;  // conditional MLE of the odds ratio
  double lower;
  double upper;
};

// 2x2 table [[a, b], [c, d]] (rows = groups, columns = event / no event).
// alternative: 0 two-sided (R's / SAS's "sum of probabilities <= observed"),
// 1 greater, -1 less.
FisherResult fisher_2x2(double a, double b, double c, double d, int alternative,
                        double conf_level);

struct ChisqResult {
  double statistic;
  double df;
  double p_value;
  double min_expected;
};

// counts: row-major r x c table. correct: Yates' continuity correction (2x2 only).
ChisqResult pearson_chisq(const std::vector<double>& counts, int nrow, int ncol, bool correct);

}  // namespace stats
}  // namespace glycotrial
