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

// Rules validated and grouped by parameter and direction, highest grade
// first: built once per call, shared read-only by the worker threads.
struct GradeScheme {
  int n_params = 0;
  std::vector<std::vector<GradeRule>> high, low;  // [param]
};
GradeScheme prepare_scheme(const std::vector<GradeRule>& rules, int n_params);

// Column views of the lab data (no copies; NaN = missing). param[i] is the
// 1-based parameter code; codes < 1 (R's NA included) mark records the
// scheme does not grade, codes > n_params are an error.
struct LabColumns {
  size_t n = 0;
  const int* param = nullptr;
  const double* aval = nullptr;
  const double* lln = nullptr;
  const double* uln = nullptr;
  const double* base = nullptr;
};

// Output columns, each of length n, filled with grades or `na`: ATOXGRH,
// ATOXGRL, ATOXGR (signed: the high grade when positive, else minus the low
// grade, 0 when either is 0) and the same for the baseline value graded with
// the normal-baseline criteria (BTOXGRH, BTOXGRL, BTOXGR).
struct LabGradeColumns {
  int* high = nullptr;
  int* low = nullptr;
  int* signed_grade = nullptr;
  int* base_high = nullptr;
  int* base_low = nullptr;
  int* base_signed = nullptr;
};

// Records whose grade is missing because a reference (range or baseline) is:
// per parameter, their number and the first such record (0-based; -1 none).
struct GradeGaps {
  std::vector<long long> count, first;
};

// One pass over the records grading the value and the baseline in both
// directions. With n_threads > 1 the records are split into contiguous blocks
// graded in parallel (pure computation on the given buffers); the result does
// not depend on the number of threads.
GradeGaps grade_lab_columns(const GradeScheme& scheme, const LabColumns& in,
                            const LabGradeColumns& out, int na, int n_threads);

// Vector interface (tests): param[i] = -1 for records of parameters the
// scheme does not grade; grades kGradeNA / kGradeNone as above.
LabGrades grade_labs(const std::vector<GradeRule>& rules, int n_params,
                     const std::vector<int>& param, const std::vector<double>& aval,
                     const std::vector<double>& lln, const std::vector<double>& uln,
                     const std::vector<double>& base);

}  // namespace safety
}  // namespace glycotrial
