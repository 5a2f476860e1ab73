// Duration of high fever from a temperature series: CTCAE v5.0 grades fever
// 4 when the temperature is > 40.0 degrees C "for > 24 hrs", which needs the
// time course, not single values.
#pragma once

#include <vector>

namespace glycotrial {
namespace safety {

struct FeverRuns {
  // Per group: the longest span (time of the last minus time of the first
  // reading) of a run of consecutive readings that are all high; NaN for a
  // group without a high reading (a single high reading is a span of 0).
  std::vector<double> longest_span;
  // Per group: 1 when longest_span > min_span, else 0.
  std::vector<int> sustained;
};

// group[i]: 0-based group (e.g. subject x infusion) of reading i, or -1 to
// skip it; time[i]: its time (any unit, e.g. hours; NaN skips the reading);
// high[i]: 1 when the reading is above the threshold (e.g. graded 3: > 40.0
// degrees C), 0 otherwise. Within each group readings are taken in time order
// (ties in input order); a reading that is not high ends a run, so a dip to
// 40.0 or below splits the fever into two runs. "Longer than min_span" is
// strict, with an absolute tolerance of 1e-6 time units for rounding of
// date-time differences (exactly 24 h is not longer than 24 h).
FeverRuns fever_runs(const std::vector<int>& group, const std::vector<double>& time,
                     const std::vector<int>& high, int n_groups, double min_span);

}  // namespace safety
}  // namespace glycotrial
