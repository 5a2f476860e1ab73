#include "core/stats/common.hpp"

#include <boost/math/distributions/normal.hpp>

namespace glycotrial {
namespace stats {

double z_two_sided(double conf_level) {
  check_conf_level(conf_level);
  const double alpha = 1.0 - conf_level;
  boost::math::normal_distribution<double> nd;
  return boost::math::quantile(boost::math::complement(nd, alpha / 2.0));
}

void check_conf_level(double conf_level) {
  require(std::isfinite(conf_level) && conf_level > 0.0 && conf_level < 1.0, "conf_level",
          "must lie strictly between 0 and 1");
}

void check_binomial(double x, double n, const std::string& xname, const std::string& nname) {
  // Above 2^53 doubles are no longer exact whole numbers: Boost's beta
  // quantiles then threw unclassed std::domain_error / evaluation_error
  // (Clopper-Pearson, Jeffreys at n = 1e300) and the score methods returned
  // degenerate intervals. Refuse such counts as bad input instead.
  require(std::isfinite(n) && n == std::floor(n) && n >= 1.0 && n <= 9007199254740992.0, nname,
          "must be a whole number between 1 and 2^53");
  require(std::isfinite(x) && x == std::floor(x) && x >= 0.0, xname,
          "must be a non-negative whole number");
  require(x <= n, xname, "must not exceed " + nname);
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += "\"" + names[i] + "\"";
  }
  return out;
}

}  // namespace stats
}  // namespace glycotrial
