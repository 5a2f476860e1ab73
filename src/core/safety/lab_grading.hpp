// Rule-based laboratory toxicity grading (CTCAE v5.0 and user schemes).
// A scheme is a list of rules "grade g applies when AVAL <op> factor * REF",
// where REF is ULN (ANRHI), LLN (ANRLO), BASE or an absolute value (factor
// then is the threshold), optionally restricted to subjects whose baseline was
// normal or abnormal in the rule's direction. A record's grade in a direction
// is the highest grade whose rule holds; 0 when every rule can be evaluated
// and none holds; missing (NA) when a required reference is missing and no
// higher-grade rule held.
#pragma once

#include <string>
#include <vector>

namespace glycotrial {
namespace safety {

enum class Ref { ULN, LLN, BASE, ABS };
enum class Op { GT, GE, LT, LE };
enum class BaselineCond { ANY, NORMAL, ABNORMAL };

struct GradeRule {
  int param = 0;         // index of the parameter (0-based) in the caller's list
  int direction = 1;     // +1 high (increased), -1 low (decreased)
  int grade = 1;         // 1..5
  Ref ref = Ref::ULN;
  Op op = Op::GT;
  double factor = 1;     // multiplier of REF, or the threshold for ABS
  BaselineCond baseline = BaselineCond::ANY;
  bool required = true;  // missing REF makes the grade NA (else the rule is skipped)
};

Ref parse_ref(const std::string& s);
Op parse_op(const std::string& s);
BaselineCond parse_baseline(const std::string& s);

constexpr int kGradeNA = -1;   // reference missing
constexpr int kGradeNone = -2; // parameter has no rule in this direction

struct LabGrades {
  std::vector<int> high, low;
};

// param[i] = -1 for records of parameters the scheme does not grade.
LabGrades grade_labs(const std::vector<GradeRule>& rules, int n_params,
                     const std::vector<int>& param, const std::vector<double>& aval,
                     const std::vector<double>& lln, const std::vector<double>& uln,
                     const std::vector<double>& base);

}  // namespace safety
}  // namespace glycotrial
