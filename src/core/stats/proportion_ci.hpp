// Confidence intervals for a single binomial proportion. Method names follow
// SAS PROC FREQ BINOMIAL(CL=...) terms.
#pragma once

#include <string>
#include <vector>

#include "core/stats/common.hpp"

namespace glycotrial {
namespace stats {

enum class PropMethod { Wilson, WilsonCC, ClopperPearson, Jeffreys, AgrestiCoull, MidP, Wald, WaldCC };

const std::vector<std::string>& prop_method_names();
// Throws InputError (argument "method") listing the valid names.
PropMethod parse_prop_method(const std::string& name);

Interval prop_ci(double x, double n, PropMethod method, double conf_level);

// Wilson score limits (Wilson 1927), optionally with Newcombe's (1998a,
// method 4) continuity correction; exposed for the Newcombe difference CI.
Interval wilson_ci(double x, double n, double z, bool correct);

}  // namespace stats
}  // namespace glycotrial
