// Exposure-adjusted incidence rates and their differences.
//   Exact (Garwood 1936) Poisson limits: lower = chi2_{a/2}(2x) / (2T),
//   upper = chi2_{1-a/2}(2x + 2) / (2T); lower = 0 when x = 0
//   (Ulm 1990, Am J Epidemiol 131:373).
//   Rate difference: Wald, or MOVER (Li, Tang & Wong 2014, Stat Med 33:1637;
//   Newcombe 1998 square-and-add) built on the exact single-rate limits.
#pragma once

#include <string>
#include <vector>

namespace glycotrial {
namespace safety {

struct RateEstimate {
  double rate = 0, lower = 0, upper = 0;
};

// Rate x / t scaled by `per` (e.g. 100 for per 100 patient-years) with the
// exact Poisson confidence interval at level conf.
RateEstimate poisson_rate_exact(double events, double time, double conf, double per);

struct RateDifference {
  double diff = 0, lower = 0, upper = 0;
};

// Difference of rates (x1/t1 - x2/t2) * per; method "mover" or "wald".
RateDifference rate_difference(double x1, double t1, double x2, double t2, double conf,
                               double per, const std::string& method);

}  // namespace safety
}  // namespace glycotrial
