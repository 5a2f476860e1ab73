// Pattern moments from raw columns, without a model matrix (DESIGN.md,
// "pattern moments"), so that data too large for memory are read once.
//
// A data pass reads the raw variables of long data (numeric columns and
// factor codes), builds each subject's block A_i = [sqrt(w) X_i | sqrt(w) y_i]
// on the fly from a design encoding, and accumulates per (group, visit
// pattern) the moment matrix M_P = sum_i vec(A_i) vec(A_i)'. Only these
// matrices leave the pass, so the same pass serves in-memory data, chunks
// read from files, future workers and (through an equivalent SQL query) a
// database.
//
// Layout (the hot loop is a SYRK-like rank-k update): before the pass, each
// used variable is classified over the usable rows as a function of the
// visit ("V": the visit factor, a time per visit), constant within subject
// ("S": baseline covariates, treatment) or neither ("R"). A design column
// whose components are all V or S is x_iac = f_c(visit a) h_c(subject i),
// so a subject contributes only its distinct h values once instead of m
// copies: the accumulated vector is z_i = [h_i | R columns per visit | y_i]
// (H + m (n_R + 1) entries instead of m (p + 1)), and M_P is expanded from
// sum_i z_i z_i' at the end (M[(c,a),(d,b)] = f_c(a) f_d(b) C[h_c, h_d]).
// Same sums of the same products; for 18 columns of which 10 distinct
// subject terms at 6 visits that is 16 instead of 114 entries, ~50x fewer
// flops. Weights that vary within a subject make every column R (the plain
// layout); `compress = false` forces it (tests compare the two).
//
// Threads: subjects are cut into fixed blocks of kBlockSubjects subjects (a
// property of the data, not of the thread count); each block is accumulated
// on its own and the blocks are added to the result strictly in block order,
// so the moments are bit-identical for any number of threads. Worker threads
// never call R: the caller hands in plain pointers.
#pragma once

#include <Eigen/Dense>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace glycotrial {
namespace mmrm {

// One factor of a design column: a numeric variable (map empty: its value
// minus `centre`) or a factor variable whose 0-based level code indexes `map`.
// Centring is how the caller keeps the moments of data far from zero
// accurate (an exact reparametrisation of the fixed effects when the model
// has the marginal columns; the caller maps the coefficients back).
struct DesignComponent {
  int var = 0;
  std::vector<double> map;
  double centre = 0.0;
};

// A design column is the product of its components (none: the intercept).
struct DesignColumn {
  std::vector<DesignComponent> comps;
};

// Raw columns of one chunk. Factor codes are 0-based, -1 for missing;
// numeric NaN is missing. Rows of one subject must be contiguous in `order`
// (or in storage order when order is empty).
// Optional recoding of stored integer codes (R factors, without a copy):
// when `lut` is set the stored codes are 1-based (INT_MIN or 0: missing)
// and code c means lut[c - 1] (0-based, -1 missing); codes above n are an
// error (factor code out of range).
struct CodeLut {
  const int* lut = nullptr;
  int n = 0;
};

struct RawChunk {
  std::int64_t n_rows = 0;
  std::vector<const double*> num;    // per variable: numeric data or nullptr
  std::vector<const int*> codes;     // per variable: factor codes or nullptr
  std::vector<CodeLut> code_luts;    // empty, or per variable (see CodeLut)
  const double* y = nullptr;
  const double* w = nullptr;         // optional weights
  const int* visit = nullptr;        // 0-based visit code, -1 missing
  CodeLut visit_lut;
  const int* subject = nullptr;      // subject id (any int; NA = INT_MIN)
  const int* group = nullptr;        // optional 0-based group, -1 missing
  CodeLut group_lut;
  bool compress = true;              // the compressed layout where it applies
  const int* order = nullptr;        // optional row order (0-based)
  // Optional response shift: the pass uses y - sum_c y_coef[c] x_c (x_c the
  // design columns as encoded, before weighting), so that a pilot estimate
  // removes the bulk of y before products are summed (empty: y as is).
  std::vector<double> y_coef;
  // Optional cap (bytes, 0: none) on the pattern matrices the pass holds
  // (8 (m (p + 1))^2 bytes per pattern, in each block and in the total);
  // beyond it the pass throws InputError with message "MEMORY_LIMIT:<bytes
  // needed so far>:<patterns>" (argument "memory"), which the glue maps to a
  // classed refusal that names the route that works (many visits with
  // scattered missing values: nearly a pattern per subject).
  double memory_limit = 0;
};

struct PatternMoment {
  int group = 0;
  std::vector<int> visits;     // sorted visit codes
  std::int64_t n_subjects = 0;
  Eigen::MatrixXd M;           // m (p + 1) square, index c * m + a
};

struct MomentResult {
  std::vector<PatternMoment> patterns;  // sorted by (group, visits)
  std::int64_t n_obs = 0;
  std::int64_t n_subjects = 0;
  std::int64_t n_dropped = 0;           // observed y but a covariate missing
  double log_weight_sum = 0;
  int n_used_visits = 0;
  // Per variable of the chunk: sum of the (unweighted) numeric values over
  // the rows used in the fit (0 for factor variables), so that covariate
  // means are known without the rows (least-squares means, emmeans grids).
  std::vector<double> var_sums;
};

constexpr int kBlockSubjects = 4096;

// Interruption: `check` (optional) is called only on the calling thread,
// before each block that thread takes (so at least once per pass, and about
// every kBlockSubjects subjects). To abort it throws; the pass then stops the
// worker threads after their current block, joins them and rethrows the
// same exception. The glue passes a callback that asks R whether the user
// pressed Ctrl-C (the core itself never sees R).
using InterruptCheck = std::function<void()>;

// The data pass. Throws InputError on a subject with two rows at one visit,
// a subject in two groups, or bad codes.
MomentResult accumulate_moments(const RawChunk& chunk, const std::vector<DesignColumn>& design,
                                int n_visits, int n_groups, int n_threads,
                                const InterruptCheck& check = InterruptCheck());

// Adds the moments of `b` into `a` (patterns matched by group and visit set,
// kept sorted by (group, visit bit mask) as accumulate_moments() returns
// them; counts, log weights and variable sums added). Moments of disjoint
// sets of subjects merged this way equal the moments of their union up to
// summation order. Throws InputError when the two have different sizes.
void merge_moments(MomentResult& a, const MomentResult& b);

}  // namespace mmrm
}  // namespace glycotrial
