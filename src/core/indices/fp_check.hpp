// Evaluate a compiled index plugin and find the rows (row indices) or curves
// (curve indices) whose result was changed by a floating-point overflow or
// underflow PART-WAY through the formula - e.g. Matsuda with inputs near 1e200
// overflows G0 * I0 * Gmean * Imean to Inf and returns a finite, wrong 0.
// The final value alone cannot show that; the IEEE 754 exception flags can.
//
// Rule (documented for users in ?evaluate_index):
//  - overflow: FE_OVERFLOW was raised while computing the unit. An overflow
//    always changes what the formula computes (Inf propagates, or turns into
//    0, NaN or a wrong finite number), so every occurrence counts.
//  - underflow: FE_UNDERFLOW was raised while computing the unit (an
//    intermediate was rounded into the subnormal range or to 0, losing
//    precision) AND the result is affected: it is 0 or subnormal, or the unit
//    recomputed with rounding toward +Inf and toward -Inf gives results that
//    differ by more than kUnderflowRelTol relatively (or one is NaN/Inf and
//    the other is not). A harmless underflow - a tiny term added to a normal
//    one, a subnormal intermediate that only loses digits that never reach
//    the result - does not count.
//
// How the flags are read reliably: gcc (12.2, -O2, also with -frounding-math:
// GCC bug 34678) moves an inline FP operation across fetestexcept(), so a
// check written around inline arithmetic can miss the flag. Here all the
// arithmetic happens inside the plugin's callback, called through a function
// pointer found at run time (opaque to the compiler), and its results are
// stored into memory the caller can see; a compiler barrier with a memory
// clobber after the call additionally forces those stores (and so the
// arithmetic producing them) to happen before the flags are tested, even if
// a future build inlined the callback. No #pragma STDC FENV_ACCESS (gcc ignores
// it) and no -frounding-math (not needed, and Makevars is shared) are used.
//
// Limits: the flags are per thread, so a plugin that spreads its work over
// worker threads is checked only for the work done on the calling thread.
// Index functions written in R (register_index() with an R function) are not
// seen at all: R arithmetic runs outside this call; only their final value is
// checked (Inf from finite inputs, subnormal results).
//
// No R headers here: the glue (src/r_indices.cpp) turns the report into R
// attributes, and the sanitizer and fuzz builds call this directly.
#pragma once

#include <string>
#include <vector>

#include "glycotrial/plugin_api.h"

namespace glycotrial {
namespace indices {

// Relative disagreement between the upward- and downward-rounded
// recomputations above which an underflow is taken to have affected the
// result (about 10 significant digits).
constexpr double kUnderflowRelTol = 1e-10;

struct RangeReport {
  // 0-based first row of each affected unit (a row, or a curve's first row),
  // increasing. A unit is in at most one list (overflow wins).
  std::vector<int> overflow;
  std::vector<int> underflow;
};

// Calls p.compute(n, in, out, err, err_len) with the overflow/underflow flags
// cleared and, only if a flag was raised, localises it by recomputing each
// unit (one row, or for curve plugins one run of equal values of in[0]) on
// its own. Returns the plugin's status (non-zero: failed, message in err; the
// report is then empty). `out` always holds the values of the full call. The
// caller's floating-point flags and rounding mode are restored on return.
int compute_with_range_check(const glycotrial_index_v1& p, int n, const double* const* in,
                             double* out, bool by_curve, RangeReport* report, char* err,
                             int err_len);

// The underflow test on one unit's results under round-to-nearest (`nearest`),
// toward +Inf (`up`) and toward -Inf (`down`). Exposed for unit tests.
bool underflow_affects(double nearest, double up, double down);

}  // namespace indices
}  // namespace glycotrial
