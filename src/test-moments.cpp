// C++ unit tests of the moment data pass (src/core/mmrm/moments.{hpp,cpp}):
// a hand-computed example, moments of chunks merged equal the moments of the
// whole, merging is associative and independent of the thread count, and
// the interrupt callback stops the pass (also with worker threads running).
#include <testthat.h>

#include <climits>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <stdexcept>

#include "core/common/errors.hpp"
#include "core/mmrm/moments.hpp"
#include "core/covariance/visit_re_covariance.hpp"
#include "test-helpers.h"

namespace mm = glycotrial::mmrm;

namespace {

// Owns the columns of a long data set sorted by subject: a numeric x, a
// factor f (codes 0..2) and y; rows [r0, r1) can be handed out as a chunk.
struct Data {
  std::vector<double> x, y;
  std::vector<int> f, visit, subject;
  std::vector<std::int64_t> subject_start;  // row where each subject starts

  mm::RawChunk chunk(std::int64_t r0, std::int64_t r1) const {
    mm::RawChunk ch;
    ch.n_rows = r1 - r0;
    ch.num = {x.data() + r0, nullptr};
    ch.codes = {nullptr, f.data() + r0};
    ch.y = y.data() + r0;
    ch.visit = visit.data() + r0;
    ch.subject = subject.data() + r0;
    return ch;
  }
  mm::RawChunk whole() const { return chunk(0, static_cast<std::int64_t>(y.size())); }
  // rows of subjects [s0, s1)
  mm::RawChunk subjects(std::int64_t s0, std::int64_t s1) const {
    return chunk(subject_start[s0], subject_start[s1]);
  }
};

// ns subjects, up to k visits (some missing); integer-valued data when
// `integers` (then every sum is exact in double precision).
Data make_data(int ns, int k, bool integers, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> small(-5, 5), lev(0, 2), pct(0, 99);
  std::normal_distribution<double> z(0.0, 1.0);
  Data d;
  for (int s = 0; s < ns; ++s) {
    d.subject_start.push_back(static_cast<std::int64_t>(d.y.size()));
    const double xs = integers ? small(gen) : 8 + z(gen);
    const int fs = lev(gen);
    for (int v = 0; v < k; ++v) {
      if (pct(gen) < 10) continue;  // ~10 % of visits missing
      d.x.push_back(xs);
      d.f.push_back(fs);
      d.visit.push_back(v);
      d.subject.push_back(s + 1);
      d.y.push_back(integers ? small(gen) + v : 0.3 * xs + 0.1 * v + z(gen));
    }
  }
  d.subject_start.push_back(static_cast<std::int64_t>(d.y.size()));
  return d;
}

// intercept, x, f level 1, f level 2 (treatment contrasts), x:f1
std::vector<mm::DesignColumn> design() {
  std::vector<mm::DesignColumn> des(5);
  des[1].comps = {{0, {}}};
  des[2].comps = {{1, {0.0, 1.0, 0.0}}};
  des[3].comps = {{1, {0.0, 0.0, 1.0}}};
  des[4].comps = {{0, {}}, {1, {0.0, 1.0, 0.0}}};
  return des;
}

bool same(const mm::MomentResult& a, const mm::MomentResult& b, double tol) {
  if (a.patterns.size() != b.patterns.size() || a.n_obs != b.n_obs ||
      a.n_subjects != b.n_subjects || a.var_sums.size() != b.var_sums.size())
    return false;
  for (std::size_t i = 0; i < a.patterns.size(); ++i) {
    const auto& pa = a.patterns[i];
    const auto& pb = b.patterns[i];
    if (pa.group != pb.group || pa.visits != pb.visits || pa.n_subjects != pb.n_subjects)
      return false;
    if (pa.M.rows() != pb.M.rows()) return false;
    const double scale = std::max(1.0, pb.M.cwiseAbs().maxCoeff());
    if ((pa.M - pb.M).cwiseAbs().maxCoeff() > tol * scale) return false;
  }
  for (std::size_t v = 0; v < a.var_sums.size(); ++v)
    if (std::fabs(a.var_sums[v] - b.var_sums[v]) > tol * std::max(1.0, std::fabs(b.var_sums[v])))
      return false;
  return std::fabs(a.log_weight_sum - b.log_weight_sum) <= tol * std::max(1.0, std::fabs(b.log_weight_sum));
}

// The tiny hand-computed data set of the pattern-moment tests:
// subject 1: visits 0 and 1, x = (1, 2), y = (3, 5)
// subject 2: visit 0, x = 4, y = 7;  subject 3: visit 0, x = 1, y = 2
// subject 4: visit 1 only, but x missing -> dropped (y observed)
struct TinyData {
  std::vector<double> x = {1, 2, 4, 1, NAN}, y = {3, 5, 7, 2, 9};
  std::vector<int> visit = {0, 1, 0, 0, 1}, subject = {1, 1, 2, 3, 4};
  mm::RawChunk chunk() {
    mm::RawChunk ch;
    ch.n_rows = 5;
    ch.num = {x.data()};
    ch.codes = {nullptr};
    ch.y = y.data();
    ch.visit = visit.data();
    ch.subject = subject.data();
    return ch;
  }
};

struct FakeInterrupt : std::exception {};

}  // namespace

context("scale: pattern moments") {

test_that("hand-computed moments of a tiny data set") {
  TinyData tiny;  // see TinyData for the four subjects
  mm::RawChunk ch = tiny.chunk();
  std::vector<mm::DesignColumn> des(2);  // intercept, x
  des[1].comps = {{0, {}}};
  mm::MomentResult r = mm::accumulate_moments(ch, des, 2, 1, 1);
  expect_true(r.patterns.size() == 2u);
  expect_true((r.n_obs == 4 && r.n_subjects == 3 && r.n_dropped == 1));
  expect_true((r.var_sums.size() == 1u && r.var_sums[0] == 8.0));  // 1 + 2 + 4 + 1
  // pattern {0}: subjects 2 and 3, A_i = [1 x y]; M = sum A_i' A_i
  const mm::PatternMoment& p0 = r.patterns[0];
  expect_true((p0.visits == std::vector<int>{0} && p0.n_subjects == 2));
  Eigen::Matrix3d M0;
  M0 << 2, 5, 9, 5, 17, 30, 9, 30, 53;
  expect_true((p0.M.rows() == 3 && (p0.M - Eigen::MatrixXd(M0)).cwiseAbs().maxCoeff() == 0));
  // pattern {0, 1}: subject 1, vec(A) = (1, 1, 1, 2, 3, 5), M = vec vec'
  const mm::PatternMoment& p1 = r.patterns[1];
  expect_true(((p1.visits == std::vector<int>{0, 1}) && p1.n_subjects == 1));
  Eigen::VectorXd v(6);
  v << 1, 1, 1, 2, 3, 5;
  expect_true((p1.M.rows() == 6 && (p1.M - v * v.transpose()).cwiseAbs().maxCoeff() == 0));
  expect_true(p1.M(3, 5) == 10.0);  // x at visit 1 times y at visit 1
}

test_that("the memory cap stops the pass with MEMORY_LIMIT") {
  // the tiny data set above: patterns {0} (3 x 3 matrix, 72 bytes) and
  // {0, 1} (6 x 6, 288 bytes)
  TinyData tiny;
  mm::RawChunk ch = tiny.chunk();
  std::vector<mm::DesignColumn> des(2);
  des[1].comps = {{0, {}}};
  ch.memory_limit = 360;  // exactly enough
  expect_true(mm::accumulate_moments(ch, des, 2, 1, 1).patterns.size() == 2u);
  ch.memory_limit = 300;
  bool thrown = false;
  try {
    mm::accumulate_moments(ch, des, 2, 1, 1);
  } catch (const glycotrial::InputError& e) {
    thrown = std::string(e.what()).rfind("MEMORY_LIMIT:", 0) == 0;
  }
  expect_true(thrown);
}

test_that("moments of chunks merged equal the moments of the whole") {
  for (int integers = 1; integers >= 0; --integers) {
    const Data d = make_data(10000, 4, integers == 1, 7);  // 3 blocks of 4096 subjects
    const auto des = design();
    const mm::MomentResult whole = mm::accumulate_moments(d.whole(), des, 4, 1, 1);
    expect_true(whole.n_subjects > 9990);  // a subject may have no visits at all
    mm::MomentResult merged;
    const std::int64_t cuts[] = {0, 1234, 5000, 5001, 10000};
    for (int c = 0; c < 4; ++c) {
      mm::merge_moments(merged, mm::accumulate_moments(d.subjects(cuts[c], cuts[c + 1]), des, 4, 1, 1));
    }
    // integer data: every partial sum is exact, so the merge is exact
    expect_true(same(merged, whole, integers ? 0.0 : 1e-13));
    expect_true(merged.n_used_visits == whole.n_used_visits);
  }
}

test_that("merging is associative and independent of the thread count") {
  for (int integers = 1; integers >= 0; --integers) {
    const Data d = make_data(9000, 3, integers == 1, 11);
    const auto des = design();
    const mm::MomentResult a = mm::accumulate_moments(d.subjects(0, 3000), des, 3, 1, 1);
    const mm::MomentResult b = mm::accumulate_moments(d.subjects(3000, 3100), des, 3, 1, 1);
    const mm::MomentResult c = mm::accumulate_moments(d.subjects(3100, 9000), des, 3, 1, 1);
    mm::MomentResult left = a;  // (a + b) + c
    mm::merge_moments(left, b);
    mm::merge_moments(left, c);
    mm::MomentResult bc = b;  // a + (b + c)
    mm::merge_moments(bc, c);
    mm::MomentResult right = a;
    mm::merge_moments(right, bc);
    mm::MomentResult swapped = c;  // (c + a) + b
    mm::merge_moments(swapped, a);
    mm::merge_moments(swapped, b);
    const double tol = integers ? 0.0 : 1e-13;
    expect_true(same(left, right, tol));
    expect_true(same(left, swapped, tol));
    // blocks are summed in block order whatever the thread count: bit-identical
    const mm::MomentResult t1 = mm::accumulate_moments(d.whole(), des, 3, 1, 1);
    const mm::MomentResult t2 = mm::accumulate_moments(d.whole(), des, 3, 1, 2);
    const mm::MomentResult t3 = mm::accumulate_moments(d.whole(), des, 3, 1, 3);
    expect_true(same(t1, t2, 0.0));
    expect_true(same(t1, t3, 0.0));
    expect_true(same(left, t1, tol));
  }
}

test_that("the compressed layout equals the plain layout (subject terms once per subject)") {
  for (int integers = 0; integers < 2; ++integers) {
    const Data d = make_data(5000, 4, integers == 1, 11);  // x and f constant within subject
    const auto des = design();
    mm::RawChunk plain = d.whole();
    plain.compress = false;
    const mm::MomentResult a = mm::accumulate_moments(d.whole(), des, 4, 1, 2);
    const mm::MomentResult b = mm::accumulate_moments(plain, des, 4, 1, 2);
    expect_true(same(a, b, integers ? 0.0 : 1e-13));
  }
}

test_that("merge rejects moments of different designs") {
  const Data d = make_data(50, 3, true, 3);
  auto des = design();
  mm::MomentResult a = mm::accumulate_moments(d.whole(), des, 3, 1, 1);
  des.pop_back();
  const mm::MomentResult b = mm::accumulate_moments(d.whole(), des, 3, 1, 1);
  expect_true(test_helpers::throws_input_error([&] { mm::merge_moments(a, b); }));
}

}  // context

context("scale: interruption") {

test_that("the interrupt callback runs per block and its exception stops the pass") {
  const Data d = make_data(10000, 3, true, 5);  // 3 blocks
  const auto des = design();
  int calls = 0;
  mm::accumulate_moments(d.whole(), des, 3, 1, 1, [&calls]() { ++calls; });
  expect_true(calls == 4);  // before each of 3 blocks, and once finding none left
  for (int threads = 1; threads <= 2; ++threads) {
    for (int after = 1; after <= 2; ++after) {
      int n = 0;
      bool stopped = false;
      try {
        mm::accumulate_moments(d.whole(), des, 3, 1, threads, [&n, after]() {
          if (++n >= after) throw FakeInterrupt();
        });
      } catch (const FakeInterrupt&) {
        stopped = true;
      }
      // with 2 threads the second check may not come (the worker thread can
      // take the remaining blocks); the first always does
      if (threads == 1 || after == 1) expect_true((stopped && n == after));
    }
  }
  // the pass still works afterwards (threads were joined, nothing left over)
  const mm::MomentResult r1 = mm::accumulate_moments(d.whole(), des, 3, 1, 2);
  const mm::MomentResult r2 = mm::accumulate_moments(d.whole(), des, 3, 1, 1);
  expect_true(same(r1, r2, 0.0));
}
}  // context

context("scale: visit random-effects covariance") {
  test_that("Z G Z' + sigma^2 I by hand and derivatives against differences") {
    // visits at weeks 0, 4, 12; random intercept and slope (one block)
    Eigen::MatrixXd Z(3, 2);
    Z << 1, 0, 1, 4, 1, 12;
    mm::VisitRandomEffectsCovariance cov(Z, {2}, nullptr, {});
    expect_true(cov.n_theta(3) == 4);
    const std::vector<double> theta = {std::log(0.9), 0.05, std::log(0.04), std::log(0.6)};
    const std::vector<double> coords = {0, 2};  // a subject seen at weeks 0 and 12
    Eigen::MatrixXd S;
    std::vector<Eigen::MatrixXd> dS;
    cov.sigma(theta, 3, coords, S, &dS);
    // L = [0.9 0; 0.05 0.04]: G = [0.81 0.045; 0.045 0.0041]
    const double g11 = 0.81, g12 = 0.045, g22 = 0.0025 + 0.0016, s2 = 0.36;
    expect_true((std::fabs(S(0, 0) - (g11 + s2)) < 1e-12));
    expect_true((std::fabs(S(1, 0) - (g11 + 12 * g12)) < 1e-12));
    expect_true((std::fabs(S(1, 1) - (g11 + 24 * g12 + 144 * g22 + s2)) < 1e-12));
    const auto num = mm::numerical_dsigma(cov, theta, 3, coords);
    expect_true(dS.size() == 4);
    for (size_t j = 0; j < dS.size(); ++j) expect_true(((dS[j] - num[j]).cwiseAbs().maxCoeff() < 1e-7));
  }
  test_that("two uncorrelated blocks with a registered ar1 residual") {
    Eigen::MatrixXd Z(4, 2);
    Z << 1, 0, 1, 1, 1, 2, 1, 3;
    const glycotrial_covariance_v1* ar1p = nullptr;
    for (const auto& p : mm::builtin_covariances())
      if (std::string("ar1") == p.key) ar1p = &p;
    expect_true(ar1p != nullptr);
    std::unique_ptr<mm::CovarianceModel> ar1(new mm::PluginCovariance(*ar1p));
    mm::VisitRandomEffectsCovariance cov(Z, {1, 1}, std::move(ar1), {0, 1, 2, 3});
    expect_true(cov.n_theta(4) == 4);
    const std::vector<double> theta = {-0.2, -1.5, 0.3, 0.7};
    const std::vector<double> coords = {1, 2, 3};
    Eigen::MatrixXd S;
    std::vector<Eigen::MatrixXd> dS;
    cov.sigma(theta, 4, coords, S, &dS);
    const auto num = mm::numerical_dsigma(cov, theta, 4, coords);
    for (size_t j = 0; j < dS.size(); ++j) expect_true(((dS[j] - num[j]).cwiseAbs().maxCoeff() < 1e-7));
    expect_true(((S - S.transpose()).cwiseAbs().maxCoeff() < 1e-14));
  }
}  // context
