#include "fp_check.hpp"

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <cstddef>

namespace glycotrial {
namespace indices {
namespace {

constexpr int kRangeFlags = FE_OVERFLOW | FE_UNDERFLOW;

// Makes the compiler finish every store to memory (and so the arithmetic that
// produced the stored values) before the next statement; see fp_check.hpp.
inline void fp_barrier() {
#if defined(__GNUC__) || defined(__clang__)
  __asm__ __volatile__("" ::: "memory");
#endif
}

// Restores the caller's overflow/underflow flags and rounding mode.
class FpStateGuard {
 public:
  FpStateGuard() : round_(std::fegetround()) { std::fegetexceptflag(&flags_, kRangeFlags); }
  ~FpStateGuard() {
    std::fesetround(round_);
    std::fesetexceptflag(&flags_, kRangeFlags);
  }
  FpStateGuard(const FpStateGuard&) = delete;
  FpStateGuard& operator=(const FpStateGuard&) = delete;

 private:
  std::fexcept_t flags_;
  int round_;
};

// Evaluates the plugin on rows [s, s + m) into buf; returns the raised range
// flags, or -1 if the plugin failed on the sub-range.
int unit_flags(const glycotrial_index_v1& p, const double* const* in, std::size_t s,
               std::size_t m, std::vector<const double*>* sub, std::vector<double>* buf) {
  for (int j = 0; j < p.n_inputs; ++j) (*sub)[static_cast<std::size_t>(j)] = in[j] + s;
  buf->assign(m, 0.0);
  char err[8] = {0};
  std::feclearexcept(kRangeFlags);
  const int st = p.compute(static_cast<int>(m), sub->data(), buf->data(), err, sizeof(err));
  fp_barrier();
  const int f = std::fetestexcept(kRangeFlags);
  return st == 0 ? f : -1;
}

bool is_tiny(double x) {
  const int c = std::fpclassify(x);
  return c == FP_ZERO || c == FP_SUBNORMAL;
}

// Recomputes rows [s, s + m) under rounding mode `mode` into buf; false if the
// plugin failed.
bool recompute(const glycotrial_index_v1& p, int mode, std::size_t m,
               const std::vector<const double*>& sub, std::vector<double>* buf) {
  buf->assign(m, 0.0);
  char err[8] = {0};
  std::fesetround(mode);
  const int st = p.compute(static_cast<int>(m), sub.data(), buf->data(), err, sizeof(err));
  fp_barrier();
  std::fesetround(FE_TONEAREST);
  return st == 0;
}

}  // namespace

bool underflow_affects(double nearest, double up, double down) {
  if (std::isnan(nearest)) {
    // Undefined under round-to-nearest: underflow is to blame only if another
    // rounding gives a number (e.g. 0/0 from two underflowed AUCs).
    return !std::isnan(up) || !std::isnan(down);
  }
  if (is_tiny(nearest)) return true;
  if (!std::isfinite(nearest) || !std::isfinite(up) || !std::isfinite(down))
    return !(nearest == up && up == down);  // e.g. Inf only when rounding down
  const double scale = std::max({std::fabs(nearest), std::fabs(up), std::fabs(down)});
  return std::fabs(up - down) > kUnderflowRelTol * scale;
}

int compute_with_range_check(const glycotrial_index_v1& p, int n, const double* const* in,
                             double* out, bool by_curve, RangeReport* report, char* err,
                             int err_len) {
  report->overflow.clear();
  report->underflow.clear();
  FpStateGuard guard;
  std::fesetround(FE_TONEAREST);
  std::feclearexcept(kRangeFlags);
  const int status = p.compute(n, in, out, err, err_len);
  fp_barrier();
  if (status != 0 || n <= 0 || std::fetestexcept(kRangeFlags) == 0) return status;

  // Something over- or underflowed: find the units it happened in.
  const std::size_t N = static_cast<std::size_t>(n);
  std::vector<const double*> sub(static_cast<std::size_t>(std::max(p.n_inputs, 0)));
  std::vector<double> buf, up, down;
  std::size_t s = 0;
  while (s < N) {
    std::size_t e = s + 1;
    if (by_curve && p.n_inputs > 0) {
      while (e < N && in[0][e] == in[0][s]) ++e;
    }
    const std::size_t m = e - s;
    const int f = unit_flags(p, in, s, m, &sub, &buf);
    if (f > 0 && (f & FE_OVERFLOW)) {
      report->overflow.push_back(static_cast<int>(s));
    } else if (f > 0 && (f & FE_UNDERFLOW)) {
      const bool ok_up = recompute(p, FE_UPWARD, m, sub, &up);
      const bool ok_down = recompute(p, FE_DOWNWARD, m, sub, &down);
      bool hit = false;
      for (std::size_t k = 0; k < m && !hit; ++k) {
        const double u = ok_up ? up[k] : buf[k];
        const double d = ok_down ? down[k] : buf[k];
        hit = underflow_affects(buf[k], u, d);
      }
      if (hit) report->underflow.push_back(static_cast<int>(s));
    }
    s = e;
  }
  return status;
}

}  // namespace indices
}  // namespace glycotrial
