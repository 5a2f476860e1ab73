// MmrmEngine built from precomputed pattern moments (declared in engine.hpp):
// the data never reach the engine, only the (group, visits, n, M_P) sums.
#include <numeric>

#include "core/common/errors.hpp"
#include "core/mmrm/engine.hpp"

namespace glycotrial {
namespace mmrm {

MmrmEngine::MmrmEngine(int p, long long n_obs, int n_groups, int n_visits, bool reml,
                       double log_weight_sum, std::vector<PatternMomentsIn> patterns,
                       const CovarianceModel& cov)
    : cov_(cov) {
  require(p >= 0, "p", "number of columns must be non-negative");
  require(n_obs > 0 && n_obs < 2147483647LL, "data", "number of observations out of range");
  require(n_groups >= 1, "group", "need at least one group");
  require(!patterns.empty(), "data", "no patterns");
  input_.n = static_cast<int>(n_obs);
  input_.p = p;
  input_.n_groups = n_groups;
  input_.n_visits = n_visits;
  input_.reml = reml;
  n_theta_group_ = cov_.n_theta(n_visits);
  log_weight_sum_ = log_weight_sum;
  long long n_subj = 0, obs = 0;
  for (const auto& pm : patterns) n_subj += pm.n_subjects;
  require(n_subj < 2147483647LL, "data", "too many subjects");
  input_.subject_group.assign(static_cast<size_t>(n_subj), 0);
  int next = 0;
  for (auto& pm : patterns) {
    const int m = static_cast<int>(pm.coords.size());
    require(m >= 1 && pm.M.rows() == m * (p + 1) && pm.M.cols() == m * (p + 1), "moments",
            "a pattern's moment matrix has the wrong size");
    require(pm.group >= 0 && pm.group < n_groups, "group", "group index out of range");
    require(pm.n_subjects >= 1, "moments", "a pattern has no subjects");
    Pattern P;
    P.group = pm.group;
    P.coords = pm.coords;
    for (size_t j = 0; j < pm.coords.size(); ++j) {
      const double v = pm.coords[j];
      require(v >= 0 && v < n_visits && (j == 0 || v > pm.coords[j - 1]), "moments",
              "pattern visits must be increasing visit indices");
      P.visits.push_back(static_cast<int>(v));
    }
    P.subjects.resize(static_cast<size_t>(pm.n_subjects));
    std::iota(P.subjects.begin(), P.subjects.end(), next);
    for (long long s = 0; s < pm.n_subjects; ++s) input_.subject_group[next + s] = pm.group;
    next += static_cast<int>(pm.n_subjects);
    obs += pm.n_subjects * m;
    P.moments = true;
    // The engine contracts through the compressed moments, as its own
    // constructor builds them.
    P.N = compress_moments(pm.M, m, p + 1);
    pm.M.resize(0, 0);
    patterns_.push_back(std::move(P));
  }
  require(obs == n_obs, "moments", "pattern sizes do not add up to the number of observations");
}

}  // namespace mmrm
}  // namespace glycotrial
