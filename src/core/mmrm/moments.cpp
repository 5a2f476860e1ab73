#include "core/mmrm/moments.hpp"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
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

inline int lut_code(const int* p, const CodeLut& L, std::int64_t r) {
  const int c = p[r];
  if (!L.lut) return c;
  if (c == INT_MIN || c < 1) return -1;
  return c > L.n ? INT_MAX : L.lut[c - 1];
}

struct Accum {
  int m = 0;
  std::int64_t n = 0;
  MatrixXd M;  // lower triangle accumulated (of the compressed z z')
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

// The accumulated vector z = [h (H) | R columns, m entries each | y (m)] and
// how M_P's entry (c, a) is read from it (see moments.hpp, "Layout").
struct Layout {
  int H = 0, nR = 0;
  std::vector<std::vector<const DesignComponent*>> h_comps;  // S components of each h
  std::vector<int> col_h, col_r;      // per design column: h index / R index, or -1
  std::vector<int> r_cols;            // R index -> design column
  std::vector<std::vector<double>> f; // per design column, per visit: product of V components
  std::vector<std::vector<double>> B; // per h, per visit: sum of y_coef_c f_c over its columns
};

struct Pass {
  const RawChunk& ch;
  const std::vector<DesignColumn>& design;
  int k, G, p;
  std::vector<int> used_vars;
  const std::vector<std::int64_t>& starts;  // subject starts in ordered rows
  const std::vector<unsigned char>& flag;   // per row: 1 usable, 2 dropped, 0 neither
  const Layout& lay;

  std::int64_t row(std::int64_t i) const { return ch.order ? ch.order[i] : i; }
  int visit(std::int64_t r) const { return lut_code(ch.visit, ch.visit_lut, r); }
  int group(std::int64_t r) const { return ch.group ? lut_code(ch.group, ch.group_lut, r) : 0; }
  int code(int v, std::int64_t r) const {
    return ch.code_luts.empty() ? ch.codes[v][r] : lut_code(ch.codes[v], ch.code_luts[v], r);
  }

  double comp_value(const DesignComponent& c, std::int64_t r) const {
    return c.map.empty() ? ch.num[c.var][r] - c.centre : c.map[code(c.var, r)];
  }

  double value(const DesignColumn& col, std::int64_t r) const {
    double v = 1.0;
    for (const auto& c : col.comps) v *= comp_value(c, r);
    return v;
  }

  void run_block(std::int64_t s0, std::int64_t s1, BlockResult& out) const {
    std::vector<std::pair<int, std::int64_t>> rows;  // (visit, row)
    std::vector<double> hraw(static_cast<std::size_t>(lay.H));
    out.var_sums.assign(ch.num.size(), 0.0);
    Key last_key(-1, 0);
    Accum* last = nullptr;
    const int H = lay.H, nR = lay.nR;
    for (std::int64_t s = s0; s < s1; ++s) {
      rows.clear();
      for (std::int64_t i = starts[s]; i < starts[s + 1]; ++i) {
        const std::int64_t r = row(i);
        if (flag[r] == 1) {
          // insertion by visit (a handful of rows per subject)
          rows.emplace_back(visit(r), r);
          for (std::size_t j = rows.size() - 1; j > 0 && rows[j] < rows[j - 1]; --j)
            std::swap(rows[j], rows[j - 1]);
        } else if (flag[r] == 2) {
          ++out.n_dropped;
        }
      }
      if (rows.empty()) continue;
      const int m = static_cast<int>(rows.size());
      std::uint64_t mask = 0;
      const int g = group(rows[0].second);
      for (int a = 0; a < m; ++a) {
        if (a > 0 && rows[a].first == rows[a - 1].first) {
          out.error_kind = 1;
          out.error_subject = ch.subject[rows[a].second];
          return;
        }
        if (ch.group && group(rows[a].second) != g) {
          out.error_kind = 2;
          out.error_subject = ch.subject[rows[a].second];
          return;
        }
        mask |= (std::uint64_t(1) << rows[a].first);
      }
      const Key key(g, mask);
      if (!last || key != last_key) {
        const int d = m * (p + 1);
        if (ch.memory_limit > 0 && out.acc.find(key) == out.acc.end()) {
          out.bytes += 8.0 * d * d;
          if (out.bytes > ch.memory_limit) {
            out.error_kind = 3;
            return;
          }
        }
        last = &out.acc[key];
        last_key = key;
        if (last->M.size() == 0) {
          const int e = H + (nR + 1) * m;
          last->m = m;
          last->M = MatrixXd::Zero(e, e);
          last->Z.resize(e, kFlush);
        }
      }
      Accum& A = *last;
      double* z = A.Z.col(A.pending).data();
      if (H > 0) {
        const std::int64_t r0 = rows[0].second;
        const double sw0 = ch.w ? std::sqrt(ch.w[r0]) : 1.0;
        for (int j = 0; j < H; ++j) {
          double h = 1.0;
          for (const DesignComponent* c : lay.h_comps[j]) h *= comp_value(*c, r0);
          hraw[j] = h;
          z[j] = sw0 * h;
        }
      }
      double* zy = z + H + nR * m;
      for (int a = 0; a < m; ++a) {
        const std::int64_t r = rows[a].second;
        const int vis = rows[a].first;
        double sw = 1.0;
        if (ch.w) {
          sw = std::sqrt(ch.w[r]);
          out.log_w += std::log(ch.w[r]);
        }
        double fit = 0.0;
        if (ch.y_coef.empty()) {
          for (int q = 0; q < nR; ++q) z[H + q * m + a] = sw * value(design[lay.r_cols[q]], r);
        } else {
          for (int j = 0; j < H; ++j) fit += lay.B[j][vis] * hraw[j];
          for (int q = 0; q < nR; ++q) {
            const int c = lay.r_cols[q];
            const double x = value(design[c], r);
            if (ch.y_coef[c] != 0.0) fit += ch.y_coef[c] * x;
            z[H + q * m + a] = sw * x;
          }
        }
        zy[a] = sw * (ch.y[r] - fit);
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

// Serialised component (to find design columns with the same subject term).
std::string comp_key(const DesignComponent* c) {
  std::string s = std::to_string(c->var) + "|";
  auto put = [&s](double x) {
    char b[sizeof(double)];
    std::memcpy(b, &x, sizeof(double));
    s.append(b, sizeof(double));
  };
  put(c->centre);
  s += std::to_string(c->map.size()) + "|";
  for (double x : c->map) put(x);
  return s;
}

// Classifies the used variables (V: a function of the visit over the usable
// rows; S: constant within every subject) and builds the layout.
Layout make_layout(const Pass& ps, int nv) {
  const RawChunk& ch = ps.ch;
  const int p = ps.p, k = ps.k;
  Layout lay;
  lay.col_h.assign(p, -1);
  lay.col_r.assign(p, -1);
  lay.f.assign(p, std::vector<double>());
  std::vector<char> isV(nv, 0), isS(nv, 0);
  // table of V candidates: value per visit (codes as doubles)
  std::vector<std::vector<double>> tab(nv, std::vector<double>(k, 0.0));
  std::vector<std::vector<char>> seen(nv, std::vector<char>(k, 0));
  bool w_subject = ch.w == nullptr;
  if (ch.compress) {
    for (int v : ps.used_vars) isV[v] = isS[v] = 1;
    w_subject = true;
    std::vector<int> candV(ps.used_vars), candS(ps.used_vars);
    auto val = [&](int v, std::int64_t r) {
      return ch.num[v] ? ch.num[v][r] : static_cast<double>(ps.code(v, r));
    };
    const std::int64_t n_subj = static_cast<std::int64_t>(ps.starts.size()) - 1;
    for (std::int64_t s = 0; s < n_subj && (!candV.empty() || !candS.empty() || (ch.w && w_subject)); ++s) {
      std::int64_t r0 = -1;
      for (std::int64_t i = ps.starts[s]; i < ps.starts[s + 1]; ++i) {
        const std::int64_t r = ps.row(i);
        if (ps.flag[r] != 1) continue;
        const int vis = ps.visit(r);
        for (std::size_t q = 0; q < candV.size();) {
          const int v = candV[q];
          const double x = val(v, r);
          if (!seen[v][vis]) {
            seen[v][vis] = 1;
            tab[v][vis] = x;
          } else if (!(tab[v][vis] == x)) {
            isV[v] = 0;
            candV[q] = candV.back();
            candV.pop_back();
            continue;
          }
          ++q;
        }
        if (r0 < 0) {
          r0 = r;
          continue;
        }
        for (std::size_t q = 0; q < candS.size();) {
          const int v = candS[q];
          if (!(val(v, r) == val(v, r0))) {
            isS[v] = 0;
            candS[q] = candS.back();
            candS.pop_back();
            continue;
          }
          ++q;
        }
        if (ch.w && w_subject && !(ch.w[r] == ch.w[r0])) w_subject = false;
      }
    }
  }
  std::map<std::string, int> h_index;
  for (int c = 0; c < p; ++c) {
    const auto& comps = ps.design[c].comps;
    bool ok = ch.compress && w_subject;
    std::vector<const DesignComponent*> sc;
    std::vector<double> f(k, 1.0);
    for (const auto& cp : comps) {
      if (!ok) break;
      if (isV[cp.var]) {
        for (int vis = 0; vis < k; ++vis) {
          const double x = tab[cp.var][vis];
          if (!seen[cp.var][vis]) {
            f[vis] = 0.0;
          } else if (cp.map.empty()) {
            f[vis] *= x - cp.centre;
          } else {
            f[vis] *= cp.map[static_cast<std::size_t>(x)];
          }
        }
      } else if (isS[cp.var]) {
        sc.push_back(&cp);
      } else {
        ok = false;
      }
    }
    if (!ok) {
      lay.col_r[c] = lay.nR++;
      lay.r_cols.push_back(c);
      continue;
    }
    std::vector<std::string> keys;
    for (const DesignComponent* x : sc) keys.push_back(comp_key(x));
    std::vector<std::size_t> idx(sc.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [&keys](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
    std::string key;
    std::vector<const DesignComponent*> sorted;
    for (std::size_t i : idx) {
      key += keys[i] + ";";
      sorted.push_back(sc[i]);
    }
    auto it = h_index.find(key);
    if (it == h_index.end()) {
      it = h_index.emplace(key, lay.H++).first;
      lay.h_comps.push_back(sorted);
    }
    lay.col_h[c] = it->second;
    lay.f[c] = std::move(f);
  }
  lay.B.assign(lay.H, std::vector<double>(k, 0.0));
  if (!ch.y_coef.empty()) {
    for (int c = 0; c < p; ++c)
      if (lay.col_h[c] >= 0 && ch.y_coef[c] != 0.0)
        for (int vis = 0; vis < k; ++vis) lay.B[lay.col_h[c]][vis] += ch.y_coef[c] * lay.f[c][vis];
  }
  return lay;
}

// M_P (m (p + 1) square, index c m + a) from the accumulated lower triangle
// of sum z z'.
MatrixXd expand_moment(const Layout& lay, const MatrixXd& C, const std::vector<int>& visits, int p) {
  const int m = static_cast<int>(visits.size());
  const int d = m * (p + 1);
  std::vector<int> pos(d);
  std::vector<double> coef(d, 1.0);
  for (int c = 0; c <= p; ++c)
    for (int a = 0; a < m; ++a) {
      const int i = c * m + a;
      if (c < p && lay.col_h[c] >= 0) {
        pos[i] = lay.col_h[c];
        coef[i] = lay.f[c][visits[a]];
      } else if (c < p) {
        pos[i] = lay.H + lay.col_r[c] * m + a;
      } else {
        pos[i] = lay.H + lay.nR * m + a;
      }
    }
  MatrixXd M(d, d);
  for (int j = 0; j < d; ++j)
    for (int i = j; i < d; ++i) {
      const int a = std::max(pos[i], pos[j]), b = std::min(pos[i], pos[j]);
      const double x = coef[i] * coef[j] * C(a, b);
      M(i, j) = x;
      M(j, i) = x;
    }
  return M;
}

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
  require(ch.code_luts.empty() || static_cast<int>(ch.code_luts.size()) == nv, "data",
          "variable lists differ in length");
  std::vector<char> used(nv, 0);
  std::vector<int> n_levels(nv, INT_MAX);
  for (const auto& col : design)
    for (const auto& c : col.comps) {
      require(c.var >= 0 && c.var < nv, "design", "design refers to an unknown variable");
      if (c.map.empty()) {
        require(ch.num[c.var] != nullptr, "design", "a numeric design component has no numeric data");
      } else {
        require(ch.codes[c.var] != nullptr, "design", "a factor design component has no codes");
        n_levels[c.var] = std::min<int>(n_levels[c.var], static_cast<int>(c.map.size()));
      }
      used[c.var] = 1;
    }
  std::vector<int> used_vars;
  for (int v = 0; v < nv; ++v)
    if (used[v]) used_vars.push_back(v);
  // Subject boundaries in row order.
  std::vector<std::int64_t> starts;
  starts.reserve(ch.n_rows / 4 + 2);
  for (std::int64_t i = 0; i < ch.n_rows; ++i) {
    const std::int64_t r = ch.order ? ch.order[i] : i;
    if (r < 0 || r >= ch.n_rows) require(false, "order", "row order out of range");
    if (i == 0 || ch.subject[r] != ch.subject[ch.order ? ch.order[i - 1] : i - 1]) starts.push_back(i);
  }
  starts.push_back(ch.n_rows);
  const std::int64_t n_subj = static_cast<std::int64_t>(starts.size()) - 1;
  const std::int64_t n_blocks = (n_subj + kBlockSubjects - 1) / kBlockSubjects;

  std::vector<unsigned char> flag(static_cast<std::size_t>(ch.n_rows), 0);
  Layout lay0;
  Pass pass{ch, design, n_visits, n_groups, p, used_vars, starts, flag, lay0};
  // Codes in range (all rows) and which rows are usable (flag 1) or dropped:
  // y observed but a covariate, the visit, subject, group or weight missing
  // (flag 2).
  // (require() builds strings: called only on failure in this loop)
  for (std::int64_t r = 0; r < ch.n_rows; ++r) {
    const int vis = pass.visit(r);
    if (vis >= n_visits) require(false, "visit", "visit code out of range");
    const int g = ch.group ? pass.group(r) : 0;
    if (g >= n_groups) require(false, "group", "group code out of range");
    bool ok = vis >= 0 && ch.subject[r] != INT_MIN && g >= 0;
    if (ok && ch.w) ok = !std::isnan(ch.w[r]);
    for (int v : used_vars) {
      if (ch.num[v]) {
        if (ok && std::isnan(ch.num[v][r])) ok = false;
      } else {
        const int c = pass.code(v, r);
        if (c >= n_levels[v]) require(false, "data", "factor code out of range");
        if (c < 0) ok = false;
      }
    }
    flag[r] = std::isnan(ch.y[r]) ? 0 : (ok ? 1 : 2);
  }
  const Layout lay = make_layout(pass, nv);
  Pass run{ch, design, n_visits, n_groups, p, used_vars, starts, flag, lay};
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
          const double d = static_cast<double>(kv.second.m) * (p + 1);
          total_bytes += 8.0 * d * d;
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
        run.run_block(b * kBlockSubjects, std::min(n_subj, (b + 1) * kBlockSubjects), *r);
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
    pm.M = expand_moment(lay, kv.second.M, pm.visits, p);
    kv.second.M.resize(0, 0);
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
