// Helpers shared by the sanitizer drivers (driver-*.cpp): each driver calls
// core entry points the way the glue does, over grids of ordinary and hostile
// arguments. A call may return or throw a glycotrial::Error (the glue turns
// that into a classed R error); any other exception would reach R as an
// unclassed error and counts as a failure, as does any ASan/UBSan report.
#pragma once

#include <testthat.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "core/common/errors.hpp"

namespace sanitize_driver {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

enum class Outcome { Returned, Classed, Unclassed };

template <class F>
Outcome call(F&& f, std::string* what = nullptr) {
  try {
    f();
    return Outcome::Returned;
  } catch (const glycotrial::Error&) {
    return Outcome::Classed;
  } catch (const std::exception& e) {
    if (what) *what = e.what();
    return Outcome::Unclassed;
  } catch (...) {
    if (what) *what = "non-std exception";
    return Outcome::Unclassed;
  }
}

// Values that reach the core from R when a user passes junk.
inline const std::vector<double>& hostile_doubles() {
  static const std::vector<double> v = {kNaN, kInf, -kInf, -1.0, 0.0, 0.5, 1.0, 2.0, 1e300,
                                        -1e300, 4.9e-324, 2147483648.0, 1e15};
  return v;
}

}  // namespace sanitize_driver
