// libFuzzer harness for laboratory toxicity grading (src/core/safety/
// lab_grading.cpp): arbitrary rule tables (parameter indices in and out of
// range, any grade, reference, operator, factor, baseline condition) applied
// to records with arbitrary parameter codes and values (NaN, +-Inf, extreme
// magnitudes), exactly as the glue passes them from R.
// Invariants on every successful call: one grade per record in each
// direction, each grade one of kGradeNone, kGradeNA or 0..5, and a grade > 0
// only for records whose parameter has a rule of that grade and direction.
#include <vector>

#include "core/safety/lab_grading.hpp"
#include "fuzz_util.hpp"

namespace sf = glycotrial::safety;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  const int n_params = p.ConsumeIntegralInRange<int>(-1, 6);
  const int n_rules = p.ConsumeIntegralInRange<int>(0, 12);
  std::vector<sf::GradeRule> rules(n_rules);
  for (auto& r : rules) {
    r.param = p.ConsumeIntegralInRange<int>(-2, 7);
    r.direction = p.ConsumeIntegralInRange<int>(-2, 2);
    r.grade = p.ConsumeIntegralInRange<int>(-1, 7);
    r.ref = static_cast<sf::Ref>(p.ConsumeIntegralInRange<int>(0, 3));
    r.op = static_cast<sf::Op>(p.ConsumeIntegralInRange<int>(0, 3));
    r.factor = fuzz::any_double(p);
    r.baseline = static_cast<sf::BaselineCond>(p.ConsumeIntegralInRange<int>(0, 2));
    r.required = p.ConsumeBool();
  }
  const int n = p.ConsumeIntegralInRange<int>(0, 40);
  // Mismatched lengths are part of the input space.
  const int n_other = p.ConsumeBool() ? n : p.ConsumeIntegralInRange<int>(0, 40);
  std::vector<int> param(n);
  std::vector<double> aval(n), lln(n_other), uln(n_other), base(n_other);
  for (int i = 0; i < n; ++i) {
    param[i] = p.ConsumeIntegralInRange<int>(-2, 7);
    aval[i] = fuzz::count_like(p);
  }
  for (int i = 0; i < n_other; ++i) {
    lln[i] = fuzz::any_double(p);
    uln[i] = fuzz::any_double(p);
    base[i] = fuzz::count_like(p);
  }
  sf::LabGrades g;
  if (!fuzz::classed_or_ok([&] { g = sf::grade_labs(rules, n_params, param, aval, lln, uln, base); }))
    return 0;
  if (static_cast<int>(g.high.size()) != n || static_cast<int>(g.low.size()) != n)
    fuzz::fail("grade_labs: one grade per record and direction");
  for (int i = 0; i < n; ++i) {
    for (int dir : {1, -1}) {
      const int gr = dir == 1 ? g.high[i] : g.low[i];
      if (!(gr == sf::kGradeNone || gr == sf::kGradeNA || (gr >= 0 && gr <= 5)))
        fuzz::fail("grade_labs: grade outside {none, NA, 0..5}");
      if (gr > 0) {
        bool has_rule = false;
        for (const auto& r : rules)
          if (r.param == param[i] && r.direction == dir && r.grade == gr) has_rule = true;
        if (!has_rule) fuzz::fail("grade_labs: a grade without a rule of that grade");
      }
    }
  }
  return 0;
}
