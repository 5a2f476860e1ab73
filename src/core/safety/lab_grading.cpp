#include "lab_grading.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string>
#include <thread>
#include <utility>

#include "core/common/errors.hpp"

namespace glycotrial {
namespace safety {

namespace {
// The value of `s` among the choices, else an InputError naming them.
template <typename E>
E parse_choice(const std::string& s, std::initializer_list<std::pair<const char*, E>> choices,
               const std::string& what, const std::string& valid) {
  for (const auto& c : choices)
    if (s == c.first) return c.second;
  throw InputError("unknown " + what + " '" + s + "' (use " + valid + ")", "rules");
}
}  // namespace

Ref parse_ref(const std::string& s) {
  return parse_choice<Ref>(
      s, {{"ULN", Ref::ULN}, {"LLN", Ref::LLN}, {"BASE", Ref::BASE}, {"ABS", Ref::ABS}},
      "reference", "ULN, LLN, BASE or ABS");
}

Op parse_op(const std::string& s) {
  return parse_choice<Op>(s, {{">", Op::GT}, {">=", Op::GE}, {"<", Op::LT}, {"<=", Op::LE}},
                          "comparison", ">, >=, < or <=");
}

BaselineCond parse_baseline(const std::string& s) {
  return parse_choice<BaselineCond>(s,
                                    {{"any", BaselineCond::ANY},
                                     {"normal", BaselineCond::NORMAL},
                                     {"abnormal", BaselineCond::ABNORMAL}},
                                    "baseline condition", "any, normal or abnormal");
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

int grade_direction(const std::vector<GradeRule>& rules, double aval, double lln,
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
  for (const GradeRule& r : rules) {
    if (r.baseline == BaselineCond::NORMAL && base_abnormal) continue;
    if (r.baseline == BaselineCond::ABNORMAL && !base_abnormal) continue;
    double ref = 1;
    switch (r.ref) {
      case Ref::ULN: ref = uln; break;
      case Ref::LLN: ref = lln; break;
      case Ref::BASE: ref = base; break;
      case Ref::ABS: ref = 1; break;
    }
    if (std::isnan(ref)) {
      if (r.required) missing = true;
      continue;
    }
    if (compare(aval, r.op, r.factor * ref)) return missing ? kGradeNA : r.grade;
  }
  return missing ? kGradeNA : 0;
}

// Missing signed grade (a signed grade of -1 is a grade-1 low value).
constexpr int kSignedNA = std::numeric_limits<int>::min();

int signed_of(int h, int l) {
  // admiral's ATOXGR: the high grade when positive, else minus the low grade;
  // 0 when either direction is graded 0; missing otherwise (negative codes).
  if (h > 0) return h;
  if (l > 0) return -l;
  if (h == 0 || l == 0) return 0;
  return kSignedNA;
}

void grade_block(const GradeScheme& sc, const LabColumns& in, const LabGradeColumns& out,
                 int na, size_t from, size_t to, GradeGaps& gaps) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto put = [na](int g) { return g < 0 ? na : g; };
  for (size_t i = from; i < to; ++i) {
    const int code = in.param[i];
    if (code < 1) {
      out.high[i] = out.low[i] = out.signed_grade[i] = na;
      out.base_high[i] = out.base_low[i] = out.base_signed[i] = na;
      continue;
    }
    const int p = code - 1;
    const double x = in.aval[i], lo = in.lln[i], hi = in.uln[i], b = in.base[i];
    const int h = grade_direction(sc.high[p], x, lo, hi, b, 1);
    const int l = grade_direction(sc.low[p], x, lo, hi, b, -1);
    const int bh = grade_direction(sc.high[p], b, lo, hi, nan, 1);
    const int bl = grade_direction(sc.low[p], b, lo, hi, nan, -1);
    out.high[i] = put(h);
    out.low[i] = put(l);
    const int sg = signed_of(h, l);
    out.signed_grade[i] = sg == kSignedNA ? na : sg;
    out.base_high[i] = put(bh);
    out.base_low[i] = put(bl);
    const int bsg = signed_of(bh, bl);
    out.base_signed[i] = bsg == kSignedNA ? na : bsg;
    if (!std::isnan(x) && (h == kGradeNA || l == kGradeNA)) {
      if (gaps.count[p]++ == 0) gaps.first[p] = static_cast<long long>(i);
    }
  }
}
}  // namespace

GradeScheme prepare_scheme(const std::vector<GradeRule>& rules, int n_params) {
  require(n_params >= 0, "rules", "the number of graded parameters must not be negative");
  GradeScheme sc;
  sc.n_params = n_params;
  sc.high.resize(n_params);
  sc.low.resize(n_params);
  for (const GradeRule& r : rules) {
    require(r.param >= 0 && r.param < n_params, "rules", "rule parameter index out of range");
    require(r.grade >= 1 && r.grade <= 5, "rules", "rule grades must lie in 1..5");
    require(r.direction == 1 || r.direction == -1, "rules", "rule direction must be +1 or -1");
    require(std::isfinite(r.factor), "rules", "rule factors must be finite");
    (r.direction > 0 ? sc.high : sc.low)[r.param].push_back(r);
  }
  auto by_grade = [](const GradeRule& a, const GradeRule& b) { return a.grade > b.grade; };
  for (int p = 0; p < n_params; ++p) {
    std::stable_sort(sc.high[p].begin(), sc.high[p].end(), by_grade);
    std::stable_sort(sc.low[p].begin(), sc.low[p].end(), by_grade);
  }
  return sc;
}

GradeGaps grade_lab_columns(const GradeScheme& scheme, const LabColumns& in,
                            const LabGradeColumns& out, int na, int n_threads) {
  const size_t n = in.n;
  const int np = scheme.n_params;
  // Validate the parameter codes here, in the calling thread: the workers
  // must not throw.
  for (size_t i = 0; i < n; ++i)
    if (in.param[i] > np)
      throw InputError("parameter code out of range at record " + std::to_string(i + 1), "param");
  auto fresh = [np] {
    GradeGaps g;
    g.count.assign(np, 0);
    g.first.assign(np, -1);
    return g;
  };
  // Below ~50,000 records a thread costs more than it saves.
  const size_t k = n < 50000 ? 1 : static_cast<size_t>(std::max(1, std::min(n_threads, 8)));
  std::vector<GradeGaps> part(k, fresh());
  std::vector<size_t> cut(k + 1);
  for (size_t t = 0; t <= k; ++t) cut[t] = n * t / k;
  if (k == 1) {
    grade_block(scheme, in, out, na, 0, n, part[0]);
  } else {
    std::vector<std::thread> pool;
    pool.reserve(k - 1);
    for (size_t t = 1; t < k; ++t)
      pool.emplace_back(grade_block, std::cref(scheme), std::cref(in), std::cref(out), na, cut[t],
                        cut[t + 1], std::ref(part[t]));
    grade_block(scheme, in, out, na, cut[0], cut[1], part[0]);
    for (std::thread& th : pool) th.join();
  }
  // Blocks are in record order: the first gap is in the first block with one.
  GradeGaps gaps = fresh();
  for (size_t t = 0; t < k; ++t)
    for (int p = 0; p < np; ++p) {
      if (gaps.first[p] < 0) gaps.first[p] = part[t].first[p];
      gaps.count[p] += part[t].count[p];
    }
  return gaps;
}

LabGrades grade_labs(const std::vector<GradeRule>& rules, int n_params,
                     const std::vector<int>& param, const std::vector<double>& aval,
                     const std::vector<double>& lln, const std::vector<double>& uln,
                     const std::vector<double>& base) {
  const size_t n = param.size();
  require(aval.size() == n && lln.size() == n && uln.size() == n && base.size() == n, "adlb",
          "lab value, reference range and baseline vectors must have the same length");
  const GradeScheme sc = prepare_scheme(rules, n_params);
  std::vector<int> code(n);
  for (size_t i = 0; i < n; ++i) {
    require(param[i] < n_params, "param", "parameter index out of range");
    code[i] = param[i] < 0 ? 0 : param[i] + 1;
  }
  LabColumns in;
  in.n = n;
  in.param = code.data();
  in.aval = aval.data();
  in.lln = lln.data();
  in.uln = uln.data();
  in.base = base.data();
  LabGrades g;
  g.high.assign(n, 0);
  g.low.assign(n, 0);
  std::vector<int> sg(n), bh(n), bl(n), bsg(n);
  LabGradeColumns out{g.high.data(), g.low.data(), sg.data(), bh.data(), bl.data(), bsg.data()};
  const int na = -1000;
  grade_lab_columns(sc, in, out, na, 1);
  // Restore the direction codes: no rule in a direction -> kGradeNone.
  for (size_t i = 0; i < n; ++i) {
    const int p = param[i];
    if (p < 0) {
      g.high[i] = g.low[i] = kGradeNone;
      continue;
    }
    if (g.high[i] == na) g.high[i] = sc.high[p].empty() ? kGradeNone : kGradeNA;
    if (g.low[i] == na) g.low[i] = sc.low[p].empty() ? kGradeNone : kGradeNA;
  }
  return g;
}

}  // namespace safety
}  // namespace glycotrial
