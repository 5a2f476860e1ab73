// libFuzzer harness for the MMRM data pass (src/core/mmrm/moments.cpp) and
// the engine built from its pattern moments: arbitrary raw columns (numeric
// variables with NaN/Inf/extreme magnitudes, factor codes in and out of
// range, missing codes), design encodings (unknown variables, empty maps,
// interactions), visit patterns (duplicated or out-of-range visits, unsorted
// subjects, row orders that are not permutations), groups, weights and 1 or
// 2 threads, as the glue passes them from R.
// Invariants on every successful pass: each pattern's moment matrix is square
// of size m (p + 1) for its m visits, symmetric, and finite when the data are;
// pattern subject counts add up; the engine built from the moments either
// throws a classed error or gives a deviance that is not NaN.
#include <climits>
#include <cmath>
#include <vector>

#include "core/covariance/covariance.hpp"
#include "core/mmrm/engine.hpp"
#include "core/mmrm/moments.hpp"
#include "fuzz_util.hpp"

namespace mm = glycotrial::mmrm;

namespace {
const glycotrial_covariance_v1* builtin_cov(const char* key) {
  for (const auto& c : mm::builtin_covariances())
    if (std::string(key) == c.key) return &c;
  return nullptr;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  const int n_visits = p.ConsumeIntegralInRange<int>(-1, 8);
  const int n_groups = p.ConsumeIntegralInRange<int>(0, 3);
  const int n_threads = p.ConsumeIntegralInRange<int>(1, 2);
  const int nv = p.ConsumeIntegralInRange<int>(0, 3);
  const int n = p.ConsumeIntegralInRange<int>(0, 60);
  // finite_data: no Inf and no magnitude whose fourth power (a moment of an
  // interaction) could overflow; only then must the moments be finite.
  bool finite_data = true;
  auto value = [&]() {
    double v = fuzz::any_double(p);
    if (p.ConsumeIntegralInRange<int>(0, 15) == 0) v *= 1e150;  // extreme magnitudes
    if (std::isinf(v) || std::fabs(v) > 1e70) finite_data = false;
    return v;
  };
  // Variables: numeric, factor codes, or both absent.
  std::vector<std::vector<double>> num(nv);
  std::vector<std::vector<int>> codes(nv);
  std::vector<int> kind(nv);
  for (int v = 0; v < nv; ++v) {
    kind[v] = p.ConsumeIntegralInRange<int>(0, 2);  // 0 numeric, 1 factor, 2 none
    if (kind[v] == 0) {
      num[v].resize(n);
      for (auto& x : num[v]) x = value();
    } else if (kind[v] == 1) {
      codes[v].resize(n);
      for (auto& c : codes[v]) c = p.ConsumeIntegralInRange<int>(-2, 4);
    }
  }
  std::vector<double> y(n), w(n);
  std::vector<int> visit(n), subject(n), group(n), order(n);
  for (int i = 0; i < n; ++i) {
    y[i] = value();
    w[i] = p.ConsumeBool() ? p.ConsumeFloatingPointInRange<double>(0.1, 4.0) : fuzz::any_double(p);
    visit[i] = p.ConsumeIntegralInRange<int>(-2, 9);
    subject[i] = p.ConsumeBool() ? i / 3 : p.ConsumeIntegralInRange<int>(INT_MIN, INT_MIN + 2) +
                                               p.ConsumeIntegralInRange<int>(0, 5) * (1 << 20);
    group[i] = p.ConsumeIntegralInRange<int>(-1, 3);
    order[i] = p.ConsumeBool() ? n - 1 - i : p.ConsumeIntegralInRange<int>(-1, n);
  }
  // Design: intercept, numeric and factor components, interactions.
  const int ncol = p.ConsumeIntegralInRange<int>(0, 4);
  std::vector<mm::DesignColumn> design(ncol);
  for (auto& col : design) {
    const int nc = p.ConsumeIntegralInRange<int>(0, 2);
    for (int c = 0; c < nc; ++c) {
      mm::DesignComponent comp;
      comp.var = p.ConsumeIntegralInRange<int>(-1, nv);
      const int levels = p.ConsumeIntegralInRange<int>(0, 4);
      for (int l = 0; l < levels; ++l) comp.map.push_back(p.ConsumeBool() ? 1.0 : 0.0);
      col.comps.push_back(comp);
    }
  }
  mm::RawChunk ch;
  ch.n_rows = n;
  for (int v = 0; v < nv; ++v) {
    ch.num.push_back(kind[v] == 0 ? num[v].data() : nullptr);
    ch.codes.push_back(kind[v] == 1 ? codes[v].data() : nullptr);
  }
  ch.y = y.data();
  if (p.ConsumeBool()) ch.w = w.data();
  ch.visit = visit.data();
  ch.subject = subject.data();
  if (p.ConsumeBool()) ch.group = group.data();
  if (p.ConsumeBool()) ch.order = order.data();

  mm::MomentResult res;
  if (!fuzz::classed_or_ok(
          [&] { res = mm::accumulate_moments(ch, design, n_visits, n_groups, n_threads); }))
    return 0;
  const int pp = ncol + 1;
  std::int64_t subjects = 0;
  bool finite_moments = true;
  for (const auto& pat : res.patterns) {
    const int m = static_cast<int>(pat.visits.size());
    if (pat.M.rows() != m * pp || pat.M.cols() != m * pp) fuzz::fail("moment matrix of the wrong size");
    if (!pat.M.allFinite()) {
      finite_moments = false;
      if (finite_data && ch.w == nullptr) fuzz::fail("non-finite moments from finite data");
    } else if ((pat.M - pat.M.transpose()).cwiseAbs().maxCoeff() >
               1e-12 * (1 + pat.M.cwiseAbs().maxCoeff())) {
      fuzz::fail("moment matrix not symmetric");
    }
    subjects += pat.n_subjects;
  }
  if (subjects > res.n_subjects) fuzz::fail("pattern subject counts exceed the subjects");
  if (res.n_obs > n) fuzz::fail("more observations used than rows");
  if (!finite_moments || res.patterns.empty()) return 0;

  // The engine from the moments, as the database / chunk routes build it.
  std::vector<mm::MmrmEngine::PatternMomentsIn> pats;
  for (const auto& pat : res.patterns) {
    mm::MmrmEngine::PatternMomentsIn in;
    in.group = pat.group;
    for (int v : pat.visits) in.coords.push_back(v);
    in.n_subjects = pat.n_subjects;
    in.M = pat.M;
    pats.push_back(std::move(in));
  }
  const char* key = p.ConsumeBool() ? "cs" : (p.ConsumeBool() ? "ar1" : "us");
  mm::PluginCovariance cov(*builtin_cov(key));
  fuzz::classed_or_ok([&] {
    mm::MmrmEngine e(ncol, res.n_obs, n_groups, n_visits, p.ConsumeBool(), res.log_weight_sum,
                     pats, cov);
    std::vector<double> theta(e.n_theta(), 0.0);
    for (auto& t : theta) t = p.ConsumeFloatingPointInRange<double>(-3.0, 3.0);
    std::vector<double> grad;
    const double d = e.deviance(theta, &grad);
    if (std::isnan(d)) fuzz::fail("NaN deviance from finite moments");
  });
  return 0;
}
