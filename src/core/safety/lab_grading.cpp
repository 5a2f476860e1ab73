#include "lab_grading.hpp"

#include <algorithm>
#include <cmath>

#include "core/common/errors.hpp"

namespace glycotrial {
namespace safety {

Ref parse_ref(const std::string& s) {
  if (s == "ULN") return Ref::ULN;
  if (s == "LLN") return Ref::LLN;
  if (s == "BASE") return Ref::BASE;
  if (s == "ABS") return Ref::ABS;
  throw InputError("unknown reference '" + s + "' (use ULN, LLN, BASE or ABS)", "rules");
}

Op parse_op(const std::string& s) {
  if (s == ">") return Op::GT;
  if (s == ">=") return Op::GE;
  if (s == "<") return Op::LT;
  if (s == "<=") return Op::LE;
  throw InputError("unknown comparison '" + s + "' (use >, >=, < or <=)", "rules");
}

BaselineCond parse_baseline(const std::string& s) {
  if (s == "any") return BaselineCond::ANY;
  if (s == "normal") return BaselineCond::NORMAL;
  if (s == "abnormal") return BaselineCond::ABNORMAL;
  throw InputError("unknown baseline condition '" + s + "' (use any, normal or abnormal)",
                   "rules");
}

namespace {
// Thresholds such as 3 x ULN are products of decimals; a relative tolerance
// keeps "at the boundary" values on the side the criterion text puts them
// (admiral rounds to significant digits for the same reason).
constexpr double kRelTol = 1e-9;

bool compare(double x, Op op, double thr) {
  const double tol = kRelTol * std::max(1.0, std::fabs(thr));
  switch (op) {
    case Op::GT: return x > thr + tol;
    case Op::GE: return x >= thr - tol;
    case Op::LT: return x < thr - tol;
    case Op::LE: return x <= thr + tol;
  }
  return false;
}

int grade_direction(const std::vector<const GradeRule*>& rules, double aval, double lln,
                    double uln, double base, int direction) {
  if (rules.empty()) return kGradeNone;
  if (std::isnan(aval)) return kGradeNA;
  // Baseline abnormal in this direction (BASE above ULN / below LLN); with no
  // baseline the normal-baseline criteria apply.
  bool base_abnormal = false;
  if (!std::isnan(base)) {
    if (direction > 0 && !std::isnan(uln)) base_abnormal = base > uln;
    if (direction < 0 && !std::isnan(lln)) base_abnormal = base < lln;
  }
  // Rules are sorted by decreasing grade.
  bool missing = false;
  for (const GradeRule* r : rules) {
    if (r->baseline == BaselineCond::NORMAL && base_abnormal) continue;
    if (r->baseline == BaselineCond::ABNORMAL && !base_abnormal) continue;
    double ref = 1;
    switch (r->ref) {
      case Ref::ULN: ref = uln; break;
      case Ref::LLN: ref = lln; break;
      case Ref::BASE: ref = base; break;
      case Ref::ABS: ref = 1; break;
    }
    if (std::isnan(ref)) {
      if (r->required) missing = true;
      continue;
    }
    if (compare(aval, r->op, r->factor * ref)) return missing ? kGradeNA : r->grade;
  }
  return missing ? kGradeNA : 0;
}
}  // namespace

LabGrades grade_labs(const std::vector<GradeRule>& rules, int n_params,
                     const std::vector<int>& param, const std::vector<double>& aval,
                     const std::vector<double>& lln, const std::vector<double>& uln,
                     const std::vector<double>& base) {
  const size_t n = param.size();
  require(n_params >= 0, "rules", "the number of graded parameters must not be negative");
  require(aval.size() == n && lln.size() == n && uln.size() == n && base.size() == n, "adlb",
          "lab value, reference range and baseline vectors must have the same length");
  std::vector<std::vector<const GradeRule*>> hi(n_params), lo(n_params);
  for (const GradeRule& r : rules) {
    require(r.param >= 0 && r.param < n_params, "rules", "rule parameter index out of range");
    require(r.grade >= 1 && r.grade <= 5, "rules", "rule grades must lie in 1..5");
    require(r.direction == 1 || r.direction == -1, "rules", "rule direction must be +1 or -1");
    require(std::isfinite(r.factor), "rules", "rule factors must be finite");
    (r.direction > 0 ? hi : lo)[r.param].push_back(&r);
  }
  auto by_grade = [](const GradeRule* a, const GradeRule* b) { return a->grade > b->grade; };
  for (int p = 0; p < n_params; ++p) {
    std::stable_sort(hi[p].begin(), hi[p].end(), by_grade);
    std::stable_sort(lo[p].begin(), lo[p].end(), by_grade);
  }
  LabGrades out;
  out.high.assign(n, kGradeNone);
  out.low.assign(n, kGradeNone);
  for (size_t i = 0; i < n; ++i) {
    const int p = param[i];
    if (p < 0) continue;
    require(p < n_params, "param", "parameter index out of range");
    out.high[i] = grade_direction(hi[p], aval[i], lln[i], uln[i], base[i], 1);
    out.low[i] = grade_direction(lo[p], aval[i], lln[i], uln[i], base[i], -1);
  }
  return out;
}

}  // namespace safety
}  // namespace glycotrial
