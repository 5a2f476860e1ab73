// Shared pieces of the stats core: interval type, quantiles, argument checks
// for 2x2 counts, and a bracketing root finder used to invert score tests.
#pragma once

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/common/errors.hpp"

namespace glycotrial {
namespace stats {

struct Interval {
  double estimate;
  double lower;
  double upper;
};

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Called by long computations (the exact unconditional interval) between
// blocks of work so that the glue can honour Ctrl-C: the glue's callback
// asks R and throws to abandon the computation. Empty = never interrupted.
using InterruptCheck = std::function<void()>;

// Upper alpha/2 standard normal quantile for a two-sided conf_level.
double z_two_sided(double conf_level);

// Checks shared by every CI: counts are whole, 0 <= x <= n, n > 0.
void check_binomial(double x, double n, const std::string& xname, const std::string& nname);
void check_conf_level(double conf_level);

// Joins names as "a", "b", "c" for error messages listing valid methods.
std::string join_names(const std::vector<std::string>& names);

// Bisection for a function that is monotone on [lo, hi] with f(lo) and
// f(hi) of opposite signs (either order). Returns the root to ~1e-13
// absolute; bisection is used because score statistics can be infinite at
// the ends of the parameter space, where faster bracketing methods break.
template <class F>
double bisect(F&& f, double lo, double hi, double tol = 1e-13, int max_iter = 300) {
  double flo = f(lo);
  const bool increasing = flo < 0;
  for (int i = 0; i < max_iter && (hi - lo) > tol; ++i) {
    const double mid = 0.5 * (lo + hi);
    const double fm = f(mid);
    if (fm == 0) return mid;
    if ((fm < 0) == increasing) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return 0.5 * (lo + hi);
}

}  // namespace stats
}  // namespace glycotrial
