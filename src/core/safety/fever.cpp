#include "fever.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/common/errors.hpp"

namespace glycotrial {
namespace safety {

FeverRuns fever_runs(const std::vector<int>& group, const std::vector<double>& time,
                     const std::vector<int>& high, int n_groups, double min_span) {
  const size_t n = group.size();
  require(time.size() == n && high.size() == n, "time",
          "group, time and high-temperature vectors must have the same length");
  require(n_groups >= 0, "n_groups", "the number of groups must not be negative");
  require(std::isfinite(min_span) && min_span >= 0, "min_span",
          "the minimum duration must be a finite number >= 0");
  constexpr double kTol = 1e-6;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  FeverRuns out;
  out.longest_span.assign(n_groups, nan);
  out.sustained.assign(n_groups, 0);

  // Readings grouped by a counting sort (stable: input order within a group).
  std::vector<size_t> start(static_cast<size_t>(n_groups) + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    const int g = group[i];
    if (g < 0 || std::isnan(time[i])) continue;
    require(g < n_groups, "group", "group index out of range");
    ++start[g + 1];
  }
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<size_t> order(start.back());
  std::vector<size_t> fill(start.begin(), start.end() - 1);
  for (size_t i = 0; i < n; ++i) {
    const int g = group[i];
    if (g < 0 || std::isnan(time[i])) continue;
    order[fill[g]++] = i;
  }

  for (int g = 0; g < n_groups; ++g) {
    auto first = order.begin() + start[g], last = order.begin() + start[g + 1];
    if (first == last) continue;
    std::stable_sort(first, last, [&](size_t a, size_t b) { return time[a] < time[b]; });
    double best = nan;
    bool in_run = false;
    double run_start = 0;
    for (auto it = first; it != last; ++it) {
      const size_t i = *it;
      if (high[i] != 0) {
        if (!in_run) {
          in_run = true;
          run_start = time[i];
        }
        const double span = time[i] - run_start;
        if (std::isnan(best) || span > best) best = span;
      } else {
        in_run = false;
      }
    }
    out.longest_span[g] = best;
    out.sustained[g] = (!std::isnan(best) && best > min_span + kTol) ? 1 : 0;
  }
  return out;
}

}  // namespace safety
}  // namespace glycotrial
