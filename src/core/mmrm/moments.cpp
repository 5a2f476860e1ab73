#include "core/mmrm/moments.hpp"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "core/common/errors.hpp"

namespace glycotrial {
namespace mmrm {

using Eigen::MatrixXd;

namespace {

constexpr int kFlush = 128;  // subjects per rank update (BLAS-3 size)

using Key = std::pair<int, std::uint64_t>;  // (group, visit bit mask)

struct Accum {
  int m = 0;
  std::int64_t n = 0;
  MatrixXd M;  // lower triangle accumulated
  MatrixXd Z;  // pending subjects, one per column
  int pending = 0;
  void flush() {
    if (pending == 0) return;
    M.selfadjointView<Eigen::Lower>().rankUpdate(Z.leftCols(pending));
    pending = 0;
  }
};

struct BlockResult {
  std::map<Key, Accum> acc;
  std::vector<double> var_sums;
  std::int64_t n_obs = 0, n_subjects = 0, n_dropped = 0;
  double log_w = 0;
  int error_kind = 0;        // 1 duplicated visit, 2 subject in two groups, 3 memory
  int error_subject = 0;
  double bytes = 0;          // pattern matrices held by this block
};

struct Pass {
  const RawChunk& ch;
  const std::vector<DesignColumn>& design;
  int k, G, p;
  std::vector<int> used_vars;
  const std::vector<std::int64_t>& starts;  // subject starts in ordered rows

  std::int64_t row(std::int64_t i) const { return ch.order ? ch.order[i] : i; }

  // Is row r usable? Sets *dropped when y is observed but something else is
  // missing.
  bool usable(std::int64_t r, bool* dropped) const {
    *dropped = false;
    if (std::isnan(ch.y[r])) return false;
    bool ok = ch.visit[r] >= 0 && ch.subject[r] != INT_MIN;
    if (ok && ch.group) ok = ch.group[r] >= 0;
    if (ok && ch.w) ok = !std::isnan(ch.w[r]);
    for (int v : used_vars) {
      if (!ok) break;
      if (ch.num[v]) {
        ok = !std::isnan(ch.num[v][r]);
      } else {
        ok = ch.codes[v][r] >= 0;
      }
    }
    *dropped = !ok;
    return ok;
  }

  double value(const DesignColumn& col, std::int64_t r) const {
    double v = 1.0;
    for (const auto& c : col.comps) {
      if (c.map.empty()) {
        v *= ch.num[c.var][r] - c.centre;
      } else {
        v *= c.map[ch.codes[c.var][r]];
      }
    }
    return v;
  }

  void run_block(std::int64_t s0, std::int64_t s1, BlockResult& out) const {
    std::vector<std::pair<int, std::int64_t>> rows;  // (visit, row)
    out.var_sums.assign(ch.num.size(), 0.0);
    for (std::int64_t s = s0; s < s1; ++s) {
      rows.clear();
      for (std::int64_t i = starts[s]; i < starts[s + 1]; ++i) {
        const std::int64_t r = row(i);
        bool dropped;
        if (usable(r, &dropped)) {
          rows.emplace_back(ch.visit[r], r);
        } else if (dropped) {
          ++out.n_dropped;
        }
      }
      if (rows.empty()) continue;
      std::sort(rows.begin(), rows.end());
      const int m = static_cast<int>(rows.size());
      std::uint64_t mask = 0;
      const int g = ch.group ? ch.group[rows[0].second] : 0;
      for (int a = 0; a < m; ++a) {
        if (a > 0 && rows[a].first == rows[a - 1].first) {
          out.error_kind = 1;
          out.error_subject = ch.subject[rows[a].second];
          return;
        }
        if (ch.group && ch.group[rows[a].second] != g) {
          out.error_kind = 2;
          out.error_subject = ch.subject[rows[a].second];
          return;
        }
        mask |= (std::uint64_t(1) << rows[a].first);
      }
      const int d = m * (p + 1);
      if (ch.memory_limit > 0 && out.acc.find(Key(g, mask)) == out.acc.end()) {
        out.bytes += 8.0 * d * d;
        if (out.bytes > ch.memory_limit) {
          out.error_kind = 3;
          return;
        }
      }
      Accum& A = out.acc[Key(g, mask)];
      if (A.M.size() == 0) {
        A.m = m;
        A.M = MatrixXd::Zero(d, d);
        A.Z.resize(d, kFlush);
      }
      double* z = A.Z.col(A.pending).data();
      for (int a = 0; a < m; ++a) {
        const std::int64_t r = rows[a].second;
        double sw = 1.0;
        if (ch.w) {
          sw = std::sqrt(ch.w[r]);
          out.log_w += std::log(ch.w[r]);
        }
        if (ch.y_coef.empty()) {
          for (int c = 0; c < p; ++c) z[c * m + a] = sw * value(design[c], r);
          z[p * m + a] = sw * ch.y[r];
        } else {
          double fit = 0.0;
          for (int c = 0; c < p; ++c) {
            const double x = value(design[c], r);
            if (ch.y_coef[c] != 0.0) fit += ch.y_coef[c] * x;
            z[c * m + a] = sw * x;
          }
          z[p * m + a] = sw * (ch.y[r] - fit);
        }
        for (int v : used_vars)
          if (ch.num[v]) out.var_sums[v] += ch.num[v][r];
      }
      ++A.n;
      ++out.n_subjects;
      out.n_obs += m;
      if (++A.pending == kFlush) A.flush();
    }
    for (auto& kv : out.acc) {
      kv.second.flush();
      kv.second.Z.resize(0, 0);
    }
  }
};

}  // namespace

MomentResult accumulate_moments(const RawChunk& ch, const std::vector<DesignColumn>& design,
                                int n_visits, int n_groups, int n_threads,
                                const InterruptCheck& check) {
  require(n_visits >= 1 && n_visits <= 63, "visit",
          "the moment data pass supports 1 to 63 visits, not " + std::to_string(n_visits));
  require(n_groups >= 1, "group", "need at least one group");
  require(ch.y && ch.visit && ch.subject, "data", "response, visit and subject are required");
  const int p = static_cast<int>(design.size());
  const int nv = static_cast<int>(ch.num.size());
  require(ch.y_coef.empty() || static_cast<int>(ch.y_coef.size()) == p, "y_coef",
          "the response shift needs one coefficient per design column");
  require(static_cast<int>(ch.codes.size()) == nv, "data", "variable lists differ in length");
  std::vector<char> used(nv, 0);
  for (const auto& col : design)
    for (const auto& c : col.comps) {
      require(c.var >= 0 && c.var < nv, "design", "design refers to an unknown variable");
      if (c.map.empty()) {
        require(ch.num[c.var] != nullptr, "design", "a numeric design component has no numeric data");
      } else {
        require(ch.codes[c.var] != nullptr, "design", "a factor design component has no codes");
      }
      used[c.var] = 1;
    }
  // Codes in range (checked once, serially: cheap and keeps workers simple).
  for (int v = 0; v < nv; ++v) {
    if (!used[v] || !ch.codes[v]) continue;
    std::size_t levels = SIZE_MAX;
    for (const auto& col : design)
      for (const auto& c : col.comps)
        if (c.var == v && !c.map.empty()) levels = std::min(levels, c.map.size());
    for (std::int64_t r = 0; r < ch.n_rows; ++r)
      require(ch.codes[v][r] < static_cast<int>(levels), "data", "factor code out of range");
  }
  for (std::int64_t r = 0; r < ch.n_rows; ++r) {
    require(ch.visit[r] < n_visits, "visit", "visit code out of range");
    if (ch.group) require(ch.group[r] < n_groups, "group", "group code out of range");
  }
  std::vector<int> used_vars;
  for (int v = 0; v < nv; ++v)
    if (used[v]) used_vars.push_back(v);
  // Subject boundaries in row order.
  std::vector<std::int64_t> starts;
  starts.reserve(ch.n_rows / 4 + 2);
  for (std::int64_t i = 0; i < ch.n_rows; ++i) {
    const std::int64_t r = ch.order ? ch.order[i] : i;
    require(r >= 0 && r < ch.n_rows, "order", "row order out of range");
    if (i == 0 || ch.subject[r] != ch.subject[ch.order ? ch.order[i - 1] : i - 1]) starts.push_back(i);
  }
  starts.push_back(ch.n_rows);
  const std::int64_t n_subj = static_cast<std::int64_t>(starts.size()) - 1;
  const std::int64_t n_blocks = (n_subj + kBlockSubjects - 1) / kBlockSubjects;

  Pass pass{ch, design, n_visits, n_groups, p, used_vars, starts};
  MomentResult res;
  res.var_sums.assign(static_cast<std::size_t>(nv), 0.0);
  std::map<Key, Accum> total;
  std::vector<std::unique_ptr<BlockResult>> done(static_cast<std::size_t>(n_blocks));
  std::int64_t next_merge = 0;
  std::atomic<std::int64_t> next_block(0);
  std::atomic<bool> failed(false);
  std::mutex mu;
  std::exception_ptr err;
  int error_kind = 0, error_subject = 0;
  double total_bytes = 0;
  std::size_t n_pat_seen = 0;

  auto merge_ready = [&]() {  // under mu: add finished blocks in block order
    while (next_merge < n_blocks && done[next_merge]) {
      BlockResult& b = *done[next_merge];
      if (b.error_kind && !error_kind) {
        error_kind = b.error_kind;
        error_subject = b.error_subject;
      }
      if (b.error_kind == 3) {
        total_bytes = std::max(total_bytes, b.bytes);
        n_pat_seen = std::max(n_pat_seen, b.acc.size() + 1);
        failed.store(true);
      }
      for (auto& kv : b.acc) {
        auto it = total.find(kv.first);
        if (it == total.end()) {
          total_bytes += 8.0 * kv.second.M.size();
          if (ch.memory_limit > 0 && total_bytes > ch.memory_limit && !error_kind) {
            error_kind = 3;
            failed.store(true);
          }
          total.emplace(kv.first, std::move(kv.second));
        } else {
          it->second.M.triangularView<Eigen::Lower>() += kv.second.M;
          it->second.n += kv.second.n;
        }
      }
      res.n_obs += b.n_obs;
      res.n_subjects += b.n_subjects;
      res.n_dropped += b.n_dropped;
      res.log_weight_sum += b.log_w;
      for (int v = 0; v < nv; ++v) res.var_sums[v] += b.var_sums[v];
      done[next_merge].reset();
      ++next_merge;
    }
  };
  // The calling thread runs this too (is_caller), and only it calls check().
  auto worker = [&](bool is_caller) {
    try {
      for (;;) {
        if (is_caller && check) check();
        if (failed.load()) return;
        const std::int64_t b = next_block.fetch_add(1);
        if (b >= n_blocks) return;
        auto r = std::make_unique<BlockResult>();
        pass.run_block(b * kBlockSubjects, std::min(n_subj, (b + 1) * kBlockSubjects), *r);
        std::lock_guard<std::mutex> lock(mu);
        done[b] = std::move(r);
        merge_ready();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!err) err = std::current_exception();
      failed.store(true);
    }
  };
  int T = std::max(1, std::min<int>(n_threads, static_cast<int>(std::max<std::int64_t>(1, n_blocks))));
  {
    std::vector<std::thread> pool;
    for (int t = 1; t < T; ++t) {
      try {
        pool.emplace_back(worker, false);
      } catch (const std::system_error&) {
        break;  // no more threads available: the others do the work
      }
    }
    worker(true);
    for (auto& th : pool) th.join();
  }
  if (err) std::rethrow_exception(err);
  if (error_kind == 3) {
    throw InputError("MEMORY_LIMIT:" + std::to_string(total_bytes) + ":" +
                         std::to_string(std::max(n_pat_seen, total.size())),
                     "memory");
  }
  if (error_kind) {
    throw InputError(std::string(error_kind == 1 ? "DUPLICATED_VISIT" : "TWO_GROUPS") + ":" +
                         std::to_string(error_subject),
                     "data");
  }
  std::uint64_t all = 0;
  for (auto& kv : total) {
    PatternMoment pm;
    pm.group = kv.first.first;
    for (int v = 0; v < n_visits; ++v)
      if (kv.first.second & (std::uint64_t(1) << v)) pm.visits.push_back(v);
    all |= kv.first.second;
    pm.n_subjects = kv.second.n;
    pm.M = std::move(kv.second.M);
    pm.M.triangularView<Eigen::StrictlyUpper>() = pm.M.transpose();
    res.patterns.push_back(std::move(pm));
  }
  for (int v = 0; v < n_visits; ++v)
    if (all & (std::uint64_t(1) << v)) ++res.n_used_visits;
  return res;
}

void merge_moments(MomentResult& a, const MomentResult& b) {
  if (a.var_sums.empty()) a.var_sums.assign(b.var_sums.size(), 0.0);
  require(b.var_sums.empty() || a.var_sums.size() == b.var_sums.size(), "moments",
          "moment results with different variables cannot be merged");
  auto key_of = [](const PatternMoment& pm) {
    std::uint64_t mask = 0;
    for (int v : pm.visits) mask |= (std::uint64_t(1) << v);
    return Key(pm.group, mask);
  };
  std::vector<PatternMoment> out;
  out.reserve(a.patterns.size() + b.patterns.size());
  std::size_t i = 0, j = 0;
  while (i < a.patterns.size() || j < b.patterns.size()) {
    if (j == b.patterns.size() ||
        (i < a.patterns.size() && key_of(a.patterns[i]) < key_of(b.patterns[j]))) {
      out.push_back(std::move(a.patterns[i++]));
    } else if (i == a.patterns.size() || key_of(b.patterns[j]) < key_of(a.patterns[i])) {
      out.push_back(b.patterns[j++]);
    } else {
      PatternMoment& pa = a.patterns[i];
      const PatternMoment& pb = b.patterns[j];
      require(pa.M.rows() == pb.M.rows() && pa.M.cols() == pb.M.cols(), "moments",
              "moment matrices of one pattern differ in size (different designs?)");
      pa.M += pb.M;
      pa.n_subjects += pb.n_subjects;
      out.push_back(std::move(pa));
      ++i;
      ++j;
    }
  }
  a.patterns = std::move(out);
  a.n_obs += b.n_obs;
  a.n_subjects += b.n_subjects;
  a.n_dropped += b.n_dropped;
  a.log_weight_sum += b.log_weight_sum;
  for (std::size_t v = 0; v < b.var_sums.size(); ++v) a.var_sums[v] += b.var_sums[v];
  std::uint64_t all = 0;
  for (const auto& pm : a.patterns) all |= key_of(pm).second;
  a.n_used_visits = 0;
  for (int v = 0; v < 64; ++v)
    if (all & (std::uint64_t(1) << v)) ++a.n_used_visits;
}

}  // namespace mmrm
}  // namespace glycotrial
