#include "rates.hpp"

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>

#include "core/common/errors.hpp"

namespace glycotrial {
namespace safety {

namespace {
void check_rate_args(double events, double time, double conf, double per) {
  require(std::isfinite(events) && events >= 0 && std::floor(events) == events, "events",
          "event counts must be non-negative whole numbers");
  require(std::isfinite(time) && time > 0, "time_at_risk", "time at risk must be positive");
  require(conf > 0 && conf < 1, "conf_level", "conf_level must lie in (0, 1)");
  require(std::isfinite(per) && per > 0, "per", "the rate multiplier must be positive");
}
}  // namespace

RateEstimate poisson_rate_exact(double events, double time, double conf, double per) {
  check_rate_args(events, time, conf, per);
  const double alpha = 1 - conf;
  RateEstimate r;
  r.rate = events / time * per;
  if (events > 0) {
    boost::math::chi_squared lo(2 * events);
    r.lower = boost::math::quantile(lo, alpha / 2) / (2 * time) * per;
  } else {
    r.lower = 0;
  }
  boost::math::chi_squared hi(2 * events + 2);
  r.upper = boost::math::quantile(hi, 1 - alpha / 2) / (2 * time) * per;
  return r;
}

RateDifference rate_difference(double x1, double t1, double x2, double t2, double conf,
                               double per, const std::string& method) {
  check_rate_args(x1, t1, conf, per);
  check_rate_args(x2, t2, conf, per);
  RateDifference d;
  const double r1 = x1 / t1, r2 = x2 / t2;
  d.diff = (r1 - r2) * per;
  if (method == "wald") {
    const double z = boost::math::quantile(boost::math::normal(), 1 - (1 - conf) / 2);
    const double se = std::sqrt(x1 / (t1 * t1) + x2 / (t2 * t2));
    d.lower = (r1 - r2 - z * se) * per;
    d.upper = (r1 - r2 + z * se) * per;
  } else if (method == "mover") {
    // Square-and-add around the exact limits of each rate.
    const RateEstimate e1 = poisson_rate_exact(x1, t1, conf, 1.0);
    const RateEstimate e2 = poisson_rate_exact(x2, t2, conf, 1.0);
    d.lower = (r1 - r2 - std::sqrt(std::pow(r1 - e1.lower, 2) + std::pow(e2.upper - r2, 2))) * per;
    d.upper = (r1 - r2 + std::sqrt(std::pow(e1.upper - r1, 2) + std::pow(r2 - e2.lower, 2))) * per;
  } else {
    throw InputError("unknown rate difference method '" + method + "' (use 'mover' or 'wald')",
                     "method");
  }
  return d;
}

}  // namespace safety
}  // namespace glycotrial
