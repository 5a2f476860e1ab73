#include "core/mmrm/engine.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/common/errors.hpp"
#include "core/optim/optim.hpp"

namespace glycotrial {
namespace mmrm {

using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {
const double kLog2Pi = std::log(2.0 * 3.14159265358979323846);

// Position of (a, b), a <= b, in the packed upper triangle (column-major).
inline int tri(int a, int b) { return a + b * (b + 1) / 2; }

// Packed upper triangle of the symmetric part of B.
VectorXd pack_sym(const MatrixXd& B) {
  const int m = static_cast<int>(B.rows());
  VectorXd v(m * (m + 1) / 2);
  for (int b = 0; b < m; ++b)
    for (int a = 0; a <= b; ++a) v(tri(a, b)) = a == b ? B(a, a) : (B(a, b) + B(b, a)) / 2;
  return v;
}

// Symmetric q x q matrix from a packed upper triangle.
void unpack_sym(const double* v, int q, MatrixXd& out) {
  out.resize(q, q);
  for (int d = 0; d < q; ++d)
    for (int c = 0; c <= d; ++c) out(c, d) = out(d, c) = v[tri(c, d)];
}

// Subject count from which moments beat a direct pass: a direct evaluation
// costs ~ n_P m p (m + p), a moment contraction ~ m^2 p^2.
bool use_moments(int n_subjects, int m, int p) {
  return static_cast<double>(n_subjects) * (m + p + 1) >= 2.0 * m * (p + 1);
}
// Shape of a symmetric derivative matrix on one pattern: zero, "cross"
// (non-zero only in row and column c: D = e_c a' + a e_c' with a = D.col(c)
// and a_c halved) or dense.
struct DerivShape {
  enum Kind { kZero, kCross, kDense } kind = kDense;
  int c = -1;
  VectorXd a;
};

DerivShape deriv_shape(const MatrixXd& D) {
  DerivShape out;
  const int m = static_cast<int>(D.rows());
  int a0 = -1, b0 = -1;
  for (int b = 0; b < m && a0 < 0; ++b)
    for (int a = 0; a < m; ++a)
      if (D(a, b) != 0.0) {
        a0 = a;
        b0 = b;
        break;
      }
  if (a0 < 0) {
    out.kind = DerivShape::kZero;
    return out;
  }
  for (int c : {a0, b0}) {
    bool ok = true;
    for (int b = 0; b < m && ok; ++b)
      for (int a = 0; a < m; ++a)
        if (a != c && b != c && D(a, b) != 0.0) {
          ok = false;
          break;
        }
    if (ok) {
      out.kind = DerivShape::kCross;
      out.c = c;
      out.a = D.col(c);
      out.a(c) /= 2;
      return out;
    }
  }
  return out;
}
}  // namespace

MmrmEngine::MmrmEngine(MmrmInput in, const CovarianceModel& cov)
    : input_(std::move(in)), cov_(cov) {
  const int n = input_.n, p = input_.p;
  require(n > 0, "data", "no observations to fit");
  require(p >= 0 && static_cast<int>(input_.X.size()) == n * p, "X", "design matrix has the wrong size");
  require(static_cast<int>(input_.y.size()) == n, "y", "response has the wrong length");
  require(static_cast<int>(input_.coords.size()) == n, "coords", "visit coordinates have the wrong length");
  require(input_.weights.empty() || static_cast<int>(input_.weights.size()) == n, "weights",
          "weights have the wrong length");
  const int ns = static_cast<int>(input_.subject_group.size());
  // The whole offset vector, not just its ends: every subject's rows are
  // read as [start[s], start[s+1]), so one element out of order or out of
  // range would read outside the data.
  const auto& start = input_.subject_start;
  require(static_cast<int>(start.size()) == ns + 1, "subject_start",
          "subject offsets need " + std::to_string(ns + 1) + " entries (one per subject plus one), not " +
              std::to_string(start.size()));
  require(start[0] == 0 && start[ns] == n, "subject_start",
          "subject offsets must run from 0 to the number of observations (" + std::to_string(n) +
              "), not from " + std::to_string(start[0]) + " to " + std::to_string(start[ns]));
  for (int s = 0; s < ns; ++s) {
    require(start[s] >= 0 && start[s + 1] <= n && start[s + 1] > start[s], "subject_start",
            "subject offsets must increase strictly within [0, " + std::to_string(n) +
                "]; subject " + std::to_string(s + 1) + " has rows [" + std::to_string(start[s]) +
                ", " + std::to_string(start[s + 1]) + ")");
  }
  require(input_.n_groups >= 1, "group", "need at least one group");
  n_theta_group_ = cov_.n_theta(input_.n_visits);
  for (double w : input_.weights) {
    require(std::isfinite(w) && w > 0, "weights", "weights must be finite and positive");
    log_weight_sum_ += std::log(w);
  }
  // Group subjects by (group, coordinates).
  std::map<std::pair<int, std::vector<double>>, int> index;
  for (int s = 0; s < ns; ++s) {
    const int a = input_.subject_start[s], b = input_.subject_start[s + 1];
    require(b > a, "subject", "a subject has no observations");
    const int g = input_.subject_group[s];
    require(g >= 0 && g < input_.n_groups, "group", "group index out of range");
    std::vector<double> c(input_.coords.begin() + a, input_.coords.begin() + b);
    for (size_t j = 1; j < c.size(); ++j) {
      require(c[j] > c[j - 1], "data",
              "duplicated or unsorted visits within subject " + std::to_string(s + 1) +
                  " (each subject may have at most one row per visit)");
    }
    if (!cov_.spatial()) {
      for (double v : c)
        require(v >= 0 && v < input_.n_visits && v == std::floor(v), "coords",
                "visit index out of range");
    }
    auto key = std::make_pair(g, c);
    auto it = index.find(key);
    int pi;
    if (it == index.end()) {
      pi = static_cast<int>(patterns_.size());
      index.emplace(key, pi);
      Pattern P;
      P.group = g;
      P.coords = c;
      for (double v : c) P.visits.push_back(static_cast<int>(v));
      patterns_.push_back(std::move(P));
    } else {
      pi = it->second;
    }
    patterns_[pi].subjects.push_back(s);
  }
  // Moments, in chunks so that memory stays O(chunk * m p).
  for (auto& P : patterns_) {
    const int m = static_cast<int>(P.coords.size());
    const int nP = static_cast<int>(P.subjects.size());
    if (!use_moments(nP, m, p)) {
      // Keep the (weighted) rows contiguous: a direct pass then streams them.
      P.Ast.resize(m, static_cast<Eigen::Index>(nP) * (p + 1));
      for (int i = 0; i < nP; ++i) P.Ast.middleCols(i * (p + 1), p + 1) = subject_block(P.subjects[i]);
      continue;
    }
    P.moments = true;
    const int d = m * (p + 1);
    MatrixXd M = MatrixXd::Zero(d, d);
    const int chunk = 2048;
    MatrixXd Z(d, std::min<int>(chunk, nP));
    size_t done = 0;
    while (done < P.subjects.size()) {
      const int nc = static_cast<int>(std::min<size_t>(chunk, P.subjects.size() - done));
      for (int c = 0; c < nc; ++c) {
        MatrixXd A = subject_block(P.subjects[done + c]);
        Z.col(c) = Eigen::Map<VectorXd>(A.data(), d);
      }
      M.selfadjointView<Eigen::Lower>().rankUpdate(Z.leftCols(nc));
      done += nc;
    }
    P.N = compress_moments(M, m, p + 1);
  }
}

// The one loop over second derivatives of Sigma (Hessian and Kenward-Roger):
// central differences of the structure's analytic first derivatives in each
// theta_j (step h_rel * max(1, |theta_j|)); term(j, l, dSigma_l(theta_j + h),
// dSigma_l(theta_j - h), 2 h) for every j, l.
template <class Term>
void MmrmEngine::for_each_second_derivative(const std::vector<double>& th, int k,
                                            const std::vector<double>& coords, double h_rel,
                                            Term term) const {
  const int K = static_cast<int>(th.size());
  std::vector<double> t2 = th;
  MatrixXd S;
  std::vector<MatrixXd> dp, dm;
  for (int j = 0; j < K; ++j) {
    const double h = h_rel * std::max(1.0, std::fabs(th[j]));
    t2[j] = th[j] + h;
    cov_.sigma(t2, k, coords, S, &dp);
    t2[j] = th[j] - h;
    cov_.sigma(t2, k, coords, S, &dm);
    t2[j] = th[j];
    for (int l = 0; l < K; ++l) term(j, l, dp[l], dm[l], 2 * h);
  }
}

MatrixXd MmrmEngine::compress_moments(const MatrixXd& M, int m, int q) {
  // M(m c + a, m d + b) = sum_i A_i(a, c) A_i(b, d); lower triangle only.
  auto at = [&](int r, int c) { return r >= c ? M(r, c) : M(c, r); };
  const int mt = m * (m + 1) / 2, qt = q * (q + 1) / 2;
  MatrixXd N(mt, qt);
  for (int d = 0; d < q; ++d)
    for (int c = 0; c <= d; ++c) {
      const int col = tri(c, d);
      for (int b = 0; b < m; ++b)
        for (int a = 0; a <= b; ++a) {
          double v = at(m * c + a, m * d + b);
          if (a < b) v += at(m * c + b, m * d + a);
          N(tri(a, b), col) = v;
        }
    }
  return N;
}

MatrixXd MmrmEngine::subject_block(int s) const {
  const int a = input_.subject_start[s], b = input_.subject_start[s + 1], m = b - a;
  const int n = input_.n, p = input_.p;
  MatrixXd A(m, p + 1);
  for (int r = 0; r < m; ++r) {
    const double sw = input_.weights.empty() ? 1.0 : std::sqrt(input_.weights[a + r]);
    for (int c = 0; c < p; ++c) A(r, c) = sw * input_.X[static_cast<size_t>(c) * n + a + r];
    A(r, p) = sw * input_.y[a + r];
  }
  return A;
}

MatrixXd MmrmEngine::contract(const Pattern& P, const MatrixXd& B) const {
  const int q = input_.p + 1;
  MatrixXd Q;
  if (P.moments) {
    VectorXd v = P.N.transpose() * pack_sym(B);
    unpack_sym(v.data(), q, Q);
  } else {
    const int nP = static_cast<int>(P.subjects.size());
    MatrixXd W = B * P.Ast;
    Q = MatrixXd::Zero(q, q);
    for (int i = 0; i < nP; ++i)
      Q.noalias() += P.Ast.middleCols(i * q, q).transpose() * W.middleCols(i * q, q);
  }
  return Q;
}

MatrixXd MmrmEngine::contract_rev(const Pattern& P, const MatrixXd& T) const {
  const int m = static_cast<int>(P.coords.size()), q = input_.p + 1;
  MatrixXd F(m, m);
  if (P.moments) {
    // off-diagonal entries of T count twice in the packed sum, those of F
    // come out twice (compress_moments())
    VectorXd t(q * (q + 1) / 2);
    for (int d = 0; d < q; ++d)
      for (int c = 0; c <= d; ++c) t(tri(c, d)) = c == d ? T(c, c) : T(c, d) + T(d, c);
    VectorXd f = P.N * t;
    for (int b = 0; b < m; ++b)
      for (int a = 0; a <= b; ++a) F(a, b) = F(b, a) = a == b ? f(tri(a, a)) : f(tri(a, b)) / 2;
  } else {
    const int nP = static_cast<int>(P.subjects.size());
    F.setZero();
    for (int i = 0; i < nP; ++i) {
      const auto A = P.Ast.middleCols(i * q, q);
      F.noalias() += (A * T) * A.transpose();
    }
  }
  return F;
}

void MmrmEngine::group_sigmas(const std::vector<double>& theta, bool derivs,
                              std::vector<MatrixXd>& full,
                              std::vector<std::vector<MatrixXd>>& dfull) const {
  const int G = input_.n_groups, k = input_.n_visits, K = n_theta_group_;
  full.assign(G, MatrixXd());
  dfull.assign(G, {});
  if (cov_.spatial()) return;
  std::vector<double> all(k);
  for (int v = 0; v < k; ++v) all[v] = v;
  for (int g = 0; g < G; ++g) {
    std::vector<double> th(theta.begin() + g * K, theta.begin() + (g + 1) * K);
    cov_.sigma(th, k, all, full[g], derivs ? &dfull[g] : nullptr);
  }
}

bool MmrmEngine::eval_patterns(const std::vector<double>& theta, bool derivs,
                               std::vector<PatternEval>& ev) const {
  require(static_cast<int>(theta.size()) == n_theta(), "theta",
          "expected " + std::to_string(n_theta()) + " covariance parameters, got " +
              std::to_string(theta.size()));
  for (double t : theta)
    if (!std::isfinite(t)) return false;
  std::vector<MatrixXd> full;
  std::vector<std::vector<MatrixXd>> dfull;
  group_sigmas(theta, derivs, full, dfull);
  const int K = n_theta_group_;
  ev.assign(patterns_.size(), PatternEval());
  for (size_t pi = 0; pi < patterns_.size(); ++pi) {
    const Pattern& P = patterns_[pi];
    const int m = static_cast<int>(P.coords.size());
    PatternEval& e = ev[pi];
    if (cov_.spatial()) {
      std::vector<double> th(theta.begin() + P.group * K, theta.begin() + (P.group + 1) * K);
      cov_.sigma(th, input_.n_visits, P.coords, e.S, derivs ? &e.dS : nullptr);
    } else {
      e.S.resize(m, m);
      for (int b = 0; b < m; ++b)
        for (int a = 0; a < m; ++a) e.S(a, b) = full[P.group](P.visits[a], P.visits[b]);
      if (derivs) {
        e.dS.assign(K, MatrixXd(m, m));
        for (int j = 0; j < K; ++j)
          for (int b = 0; b < m; ++b)
            for (int a = 0; a < m; ++a)
              e.dS[j](a, b) = dfull[P.group][j](P.visits[a], P.visits[b]);
      }
    }
    Eigen::LLT<MatrixXd> llt(e.S);
    if (llt.info() != Eigen::Success) return false;
    const MatrixXd& L = llt.matrixLLT();
    e.logdet = 0;
    for (int a = 0; a < m; ++a) {
      if (!(L(a, a) > 0)) return false;
      e.logdet += 2 * std::log(L(a, a));
    }
    e.Sinv = llt.solve(MatrixXd::Identity(m, m));
  }
  return true;
}

bool MmrmEngine::fixed_part(const std::vector<PatternEval>& ev, bool need_G, FixedPart& out) const {
  const int p = input_.p, n = input_.n;
  out.Q = MatrixXd::Zero(p + 1, p + 1);
  double logdet = -log_weight_sum_;
  for (size_t pi = 0; pi < patterns_.size(); ++pi) {
    out.Q += contract(patterns_[pi], ev[pi].Sinv);
    logdet += patterns_[pi].subjects.size() * ev[pi].logdet;
  }
  const MatrixXd& Q = out.Q;
  double logdetC = 0;
  if (p > 0) {
    Eigen::LLT<MatrixXd> llt(Q.topLeftCorner(p, p));
    if (llt.info() != Eigen::Success) return false;
    const MatrixXd& Lc = llt.matrixLLT();
    for (int c = 0; c < p; ++c) logdetC += 2 * std::log(Lc(c, c));
    out.beta = llt.solve(Q.col(p).head(p));
    if (need_G) out.G = llt.solve(MatrixXd::Identity(p, p));
  } else {
    out.beta.resize(0);
    out.G.resize(0, 0);
  }
  const double rVr = Q(p, p) - (p > 0 ? Q.col(p).head(p).dot(out.beta) : 0.0);
  double dev = logdet + rVr;
  if (input_.reml) {
    dev += logdetC + (n - p) * kLog2Pi;
  } else {
    dev += n * kLog2Pi;
  }
  out.deviance = dev;
  return std::isfinite(dev);
}

double MmrmEngine::deviance(const std::vector<double>& theta, std::vector<double>* grad) {
  const int p = input_.p, k = input_.n_visits, G = input_.n_groups;
  const bool spatial = cov_.spatial();
  std::vector<PatternEval> ev;
  if (grad) grad->assign(n_theta(), 0.0);
  // Visit structures: the gradient is <sum_P E_P (scattered to the visits),
  // dSigma_j> on the k x k visit matrix, so no per-pattern derivatives.
  if (!eval_patterns(theta, grad != nullptr && spatial, ev))
    return std::numeric_limits<double>::infinity();
  FixedPart fp;
  if (!fixed_part(ev, grad != nullptr && input_.reml, fp))
    return std::numeric_limits<double>::infinity();
  if (grad) {
    // T = u u' (+ C^{-1} in the X block for REML), u = (-beta, 1).
    VectorXd u(p + 1);
    u.head(p) = -fp.beta;
    u(p) = 1.0;
    MatrixXd T = u * u.transpose();
    if (input_.reml && p > 0) T.topLeftCorner(p, p) += fp.G;
    const int K = n_theta_group_;
    std::vector<MatrixXd> Ebar(spatial ? 0 : G, MatrixXd::Zero(k, k));
    for (size_t pi = 0; pi < patterns_.size(); ++pi) {
      const Pattern& P = patterns_[pi];
      const PatternEval& e = ev[pi];
      MatrixXd F = contract_rev(P, T);
      MatrixXd E = static_cast<double>(P.subjects.size()) * e.Sinv - e.Sinv * F * e.Sinv;
      if (spatial) {
        for (int j = 0; j < K; ++j) (*grad)[P.group * K + j] += E.cwiseProduct(e.dS[j]).sum();
      } else {
        const int m = static_cast<int>(P.coords.size());
        for (int b = 0; b < m; ++b)
          for (int a = 0; a < m; ++a) Ebar[P.group](P.visits[a], P.visits[b]) += E(a, b);
      }
    }
    if (!spatial) {
      std::vector<MatrixXd> full;
      std::vector<std::vector<MatrixXd>> dfull;
      group_sigmas(theta, true, full, dfull);
      for (int g = 0; g < G; ++g)
        for (int j = 0; j < K; ++j) (*grad)[g * K + j] = Ebar[g].cwiseProduct(dfull[g][j]).sum();
    }
  }
  return fp.deviance;
}

// The exact Hessian. With V = blockdiag(Sigma_i), V_j = dV/dtheta_j,
// C = X'V^-1X, G = C^-1, P = V^-1 - V^-1 X G X'V^-1, r = y - X beta and
// D = log|V| [+ log|C|] + y'Py (REML [..]; y'Py = r'V^-1 r):
//   dD/dj      = tr(P V_j) - y'P V_j P y           (ML: tr(V^-1 V_j) - ...)
//   d2D/dj dk  = tr(P V_jk) - y'P V_jk P y - tr(P V_j P V_k) + 2 y'P V_j P V_k P y
// (dP/dj = -P V_j P). Expanding P and collecting per pattern, with
// F_P = sum_i A_i T A_i' (T = uu' [+ G], the matrix of the gradient),
// E_P = n_P S^-1 - S^-1 F_P S^-1 and Y_j = S^-1 dS_j:
//   d2D/dj dk = sum_P <E_P, d2S_jk> + sum_P tr(Y_j Y_k (2 S^-1 F_P - n_P I))
//               - 2 b_j' G b_k  [- tr(G P_j G P_k)]
// where P_j = X'V^-1 V_j V^-1 X and b_j = X'V^-1 V_j V^-1 r, both from the
// contractions Pt_j = sum_i X_i' S^-1 dS_j S^-1 [X_i | y_i] (b_j = Pt_j u).
MmrmEngine::Derivatives MmrmEngine::derivatives(const std::vector<double>& theta, bool jacobian) {
  const int p = input_.p, q = p + 1, K = n_theta_group_, Kall = n_theta(), k = input_.n_visits;
  const int G = input_.n_groups;
  Derivatives out;
  std::vector<PatternEval> ev;
  if (!eval_patterns(theta, true, ev)) return out;
  FixedPart fp;
  if (!fixed_part(ev, true, fp)) return out;
  out.deviance = fp.deviance;
  VectorXd u(q);
  u.head(p) = -fp.beta;
  u(p) = 1.0;
  MatrixXd T = u * u.transpose();
  if (input_.reml && p > 0) T.topLeftCorner(p, p) += fp.G;
  out.gradient.assign(Kall, 0.0);
  MatrixXd H = MatrixXd::Zero(Kall, Kall);
  std::vector<MatrixXd> Pt(Kall, MatrixXd::Zero(p, q));
  std::vector<MatrixXd> Ebar(G);
  const bool spatial = cov_.spatial();
  if (!spatial)
    for (int g = 0; g < G; ++g) Ebar[g] = MatrixXd::Zero(k, k);
  // <E, d2 Sigma_jl> of group g, into the Hessian.
  auto second_term = [&](int g, const std::vector<double>& coords, const MatrixXd& E) {
    const std::vector<double> th(theta.begin() + g * K, theta.begin() + (g + 1) * K);
    for_each_second_derivative(th, k, coords, 1e-5,
                               [&](int j, int l, const MatrixXd& dp, const MatrixXd& dm, double two_h) {
                                 H(g * K + j, g * K + l) += E.cwiseProduct(dp - dm).sum() / two_h;
                               });
  };
  std::vector<DerivShape> sh(K);
  std::vector<int> cross, dense;
  for (size_t pi = 0; pi < patterns_.size(); ++pi) {
    const Pattern& P = patterns_[pi];
    const PatternEval& e = ev[pi];
    const MatrixXd& Si = e.Sinv;
    const int m = static_cast<int>(P.coords.size());
    const double nP = static_cast<double>(P.subjects.size());
    const int off = P.group * K;
    MatrixXd SFS = Si * contract_rev(P, T) * Si;
    MatrixXd E = nP * Si - SFS;
    for (int j = 0; j < K; ++j) out.gradient[off + j] += E.cwiseProduct(e.dS[j]).sum();
    if (spatial) {
      second_term(P.group, P.coords, E);
    } else {
      for (int b = 0; b < m; ++b)
        for (int a = 0; a < m; ++a) Ebar[P.group](P.visits[a], P.visits[b]) += E(a, b);
    }
    // Most derivative matrices are zero on a pattern or "cross" shaped:
    // dS_j = e_c a' + a e_c' (e.g. every parameter of us, and the log sd of
    // the heterogeneous structures), which turns m^3 products into m^2 ones.
    cross.clear();
    dense.clear();
    for (int j = 0; j < K; ++j) {
      sh[j] = deriv_shape(e.dS[j]);
      if (sh[j].kind == DerivShape::kCross) cross.push_back(j);
      if (sh[j].kind == DerivShape::kDense) dense.push_back(j);
    }
    const int nc = static_cast<int>(cross.size());
    MatrixXd Amat(m, nc);
    for (int t = 0; t < nc; ++t) Amat.col(t) = sh[cross[t]].a;
    // tr(Y_j Y_l M) with Y_j = S^-1 dS_j and M = 2 S^-1 F - n I, i.e.
    // tr(dS_j S^-1 dS_l MS) with MS = M S^-1. For two cross-shaped
    // derivatives (columns c, d; vectors a_j, a_l) it is
    //   (S^-1 a_j)_d (MS a_l)_c + a_j'S^-1 a_l MS_dc + S^-1_cd a_l'MS a_j
    //   + (S^-1 a_l)_c (MS a_j)_d,
    // so all pairs come from the four products below.
    MatrixXd MS = 2.0 * SFS - nP * Si;
    MatrixXd SA = Si * Amat, MA = MS * Amat;
    MatrixXd AY = Amat.transpose() * SA, AMA = Amat.transpose() * MA;
    for (int t1 = 0; t1 < nc; ++t1) {
      const int j = cross[t1], c = sh[j].c;
      for (int t2 = t1; t2 < nc; ++t2) {
        const int l = cross[t2], d = sh[l].c;
        const double v = SA(d, t1) * MA(c, t2) + AY(t1, t2) * MS(d, c) + Si(c, d) * AMA(t2, t1) +
                         SA(c, t2) * MA(d, t1);
        H(off + j, off + l) += v;
        if (l != j) H(off + l, off + j) += v;
      }
    }
    // Pairs with a dense derivative: <dS_j, V_l'>, V_l = S^-1 dS_l MS.
    for (int l : dense) {
      MatrixXd V = Si * e.dS[l] * MS;
      for (int j = 0; j < K; ++j) {
        double v;
        if (sh[j].kind == DerivShape::kCross) {
          const int c = sh[j].c;
          v = sh[j].a.dot(V.col(c)) + sh[j].a.dot(V.row(c).transpose());
        } else if (sh[j].kind == DerivShape::kDense && j <= l) {
          v = e.dS[j].cwiseProduct(V.transpose()).sum();
        } else {
          continue;
        }
        H(off + j, off + l) += v;
        if (l != j) H(off + l, off + j) += v;
      }
    }
    // Pt_j = sum_i X_i' B_j A_i with B_j = S^-1 dS_j S^-1 (for cross j:
    // x y' + y x' with x = S^-1 e_c, y = S^-1 a_j).
    if (P.moments) {
      const int mt = m * (m + 1) / 2;
      MatrixXd Bm = MatrixXd::Zero(mt, K);
      for (int t = 0; t < nc; ++t) {
        const int j = cross[t], c = sh[j].c;
        for (int b = 0; b < m; ++b)
          for (int a = 0; a <= b; ++a)
            Bm(tri(a, b), j) = Si(a, c) * SA(b, t) + SA(a, t) * Si(b, c);
      }
      for (int j : dense) Bm.col(j) = pack_sym(Si * e.dS[j] * Si);
      MatrixXd R = P.N.transpose() * Bm;  // q(q+1)/2 x K
      for (int j = 0; j < K; ++j) {
        if (sh[j].kind == DerivShape::kZero) continue;
        MatrixXd& Pj = Pt[off + j];
        for (int d = 0; d < q; ++d)
          for (int c = 0; c <= std::min(d, p - 1); ++c) Pj(c, d) += R(tri(c, d), j);
      }
    } else {
      // Per subject, with W = S^-1 A_i: for cross j with column c,
      // X_i' B_j A_i = z[X] u' + u[X] z' with z = W' e_c and u = W' a_j
      // (upper triangle of the X block and the last column only).
      const int nPi = static_cast<int>(P.subjects.size());
      MatrixXd Wt(q, m), AWt(q, nc);
      for (int i = 0; i < nPi; ++i) {
        const auto A = P.Ast.middleCols(i * q, q);
        Wt.noalias() = A.transpose() * Si;
        if (nc > 0) AWt.noalias() = Wt * Amat;
        for (int t = 0; t < nc; ++t) {
          const int j = cross[t];
          const auto z = Wt.col(sh[j].c);
          const auto w = AWt.col(t);
          MatrixXd& Pj = Pt[off + j];
          for (int d = 0; d < p; ++d) Pj.col(d).head(d + 1) += w(d) * z.head(d + 1) + z(d) * w.head(d + 1);
          Pj.col(p) += w(p) * z.head(p) + z(p) * w.head(p);
        }
        for (int j : dense) Pt[off + j].noalias() += Wt.topRows(p) * e.dS[j] * Wt.transpose();
      }
    }
  }
  // Both routes filled the upper triangle of the X block of Pt_j.
  for (int j = 0; j < Kall; ++j)
    Pt[j].leftCols(p).triangularView<Eigen::StrictlyLower>() = Pt[j].leftCols(p).transpose();
  if (!spatial) {
    std::vector<double> all(k);
    for (int v = 0; v < k; ++v) all[v] = v;
    for (int g = 0; g < G; ++g) second_term(g, all, Ebar[g]);
  }
  if (p > 0) {
    MatrixXd Bv(p, Kall);
    for (int j = 0; j < Kall; ++j) Bv.col(j) = Pt[j] * u;
    H.noalias() -= 2.0 * Bv.transpose() * fp.G * Bv;
    if (input_.reml) {
      std::vector<MatrixXd> GP(Kall);
      for (int j = 0; j < Kall; ++j) GP[j].noalias() = fp.G * Pt[j].leftCols(p);
      for (int j = 0; j < Kall; ++j)
        for (int l = j; l < Kall; ++l) {
          const double v = GP[j].transpose().cwiseProduct(GP[l]).sum();
          H(j, l) -= v;
          if (l != j) H(l, j) -= v;
        }
    }
  }
  out.hessian = (H + H.transpose()) / 2;
  if (jacobian) {
    out.jacobian.resize(Kall);
    for (int j = 0; j < Kall; ++j) out.jacobian[j] = Pt[j].leftCols(p);
  }
  out.ok = std::isfinite(out.deviance) && out.hessian.allFinite();
  return out;
}

MmrmEngine::Estimates MmrmEngine::estimates(const std::vector<double>& theta) {
  const int p = input_.p;
  std::vector<PatternEval> ev;
  if (!eval_patterns(theta, false, ev))
    throw NumericalError("the covariance matrix is not positive definite at the estimate");
  MatrixXd Q = MatrixXd::Zero(p + 1, p + 1);
  for (size_t pi = 0; pi < patterns_.size(); ++pi) Q += contract(patterns_[pi], ev[pi].Sinv);
  Estimates out;
  Eigen::LLT<MatrixXd> llt(Q.topLeftCorner(p, p));
  if (llt.info() != Eigen::Success)
    throw NumericalError("X' V^-1 X is not positive definite (collinear design?)");
  out.beta = llt.solve(Q.col(p).head(p));
  out.beta_vcov = llt.solve(MatrixXd::Identity(p, p));
  out.deviance = deviance(theta, nullptr);
  return out;
}

namespace {

// The deviance of an engine as an optim::Objective; hessian() keeps the
// Derivatives (with the Jacobian terms) of its last call for the result.
class EngineObjective : public optim::Objective {
 public:
  explicit EngineObjective(MmrmEngine& e) : e_(e) {}
  double value(const VectorXd& x, VectorXd* g) override {
    const std::vector<double> th(x.data(), x.data() + x.size());
    std::vector<double> gv;
    const double d = e_.deviance(th, g ? &gv : nullptr);
    if (g) {
      if (gv.size() == static_cast<size_t>(x.size()))
        *g = Eigen::Map<const VectorXd>(gv.data(), x.size());
      else
        g->setConstant(x.size(), std::numeric_limits<double>::quiet_NaN());
    }
    return d;
  }
  bool has_hessian() const override { return true; }
  bool hessian(const VectorXd& x, double* f, VectorXd* g, MatrixXd* H) override {
    last_x = x;
    last = e_.derivatives(std::vector<double>(x.data(), x.data() + x.size()), true);
    if (!last.ok || !std::isfinite(last.deviance)) return false;
    *f = last.deviance;
    *g = Eigen::Map<const VectorXd>(last.gradient.data(), x.size());
    *H = last.hessian;
    return true;
  }
  // The derivatives for a result: Hessian and Jacobian at r.x_hessian (those
  // of the last hessian() call, recomputed if that was elsewhere), the
  // deviance and gradient at r.x.
  MmrmEngine::Derivatives at_end(const optim::Result& r) {
    MmrmEngine::Derivatives d;
    if (last_x.size() == r.x_hessian.size() && last_x == r.x_hessian && last.ok) {
      d = std::move(last);
    } else {
      d = e_.derivatives(
          std::vector<double>(r.x_hessian.data(), r.x_hessian.data() + r.x_hessian.size()), true);
    }
    d.deviance = r.f;
    d.gradient.assign(r.g.data(), r.g.data() + r.g.size());
    return d;
  }
  MmrmEngine::Derivatives last;
  VectorXd last_x;

 private:
  MmrmEngine& e_;
};

VectorXd to_eigen(const std::vector<double>& v) {
  return Eigen::Map<const VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

// The fields OptimiseResult and NewtonResult share, from the optimiser's end point.
template <class Res>
void take_end_point(Res& res, const optim::Result& r, EngineObjective& obj) {
  res.ok = true;
  res.theta.assign(r.x.data(), r.x.data() + r.x.size());
  res.derivatives = obj.at_end(r);
  res.iterations = r.iterations;
}

}  // namespace

MmrmEngine::OptimiseResult MmrmEngine::optimise(const std::vector<double>& start,
                                                const std::vector<std::vector<double>>& alternatives,
                                                const std::vector<std::string>& methods,
                                                double grad_tol, double accept_tol,
                                                int max_iter) {
  if (static_cast<int>(start.size()) != n_theta())
    throw InputError("the start has " + std::to_string(start.size()) + " values, not " +
                         std::to_string(n_theta()),
                     "start");
  optim::Plan plan;
  plan.methods.clear();
  for (const std::string& m : methods) plan.methods.push_back(optim::method_of(m));
  for (const auto& a : alternatives)
    if (static_cast<int>(a.size()) == n_theta()) plan.alternatives.push_back(to_eigen(a));
  plan.grad_tol = grad_tol;
  plan.accept_tol = accept_tol;
  plan.max_iter = max_iter;
  EngineObjective obj(*this);
  const optim::Outcome o = optim::optimise(obj, to_eigen(start), plan);
  OptimiseResult res;
  res.tried = o.tried;
  if (!o.best.ok) return res;
  const optim::Result& r = o.best;
  take_end_point(res, r, obj);
  res.optimizer = r.method;
  res.gradient_ok = o.gradient_ok;
  res.hessian_pd = o.hessian_pd;
  res.converged = o.converged;
  return res;
}

MmrmEngine::NewtonResult MmrmEngine::newton(const std::vector<double>& theta, double grad_tol,
                                             int max_iter) {
  optim::Options o;
  o.method = optim::Method::newton;
  o.grad_tol = grad_tol;
  o.max_iter = max_iter;
  EngineObjective obj(*this);
  const optim::Result r = optim::minimise(obj, to_eigen(theta), o);
  NewtonResult res;
  if (!r.ok) return res;
  take_end_point(res, r, obj);
  res.n_hessian = r.n_hessian;
  res.n_gradient = r.evaluations;
  res.converged = r.converged;
  return res;
}

double MmrmEngine::median_distance() const {
  std::vector<std::pair<double, double>> dn;
  for (const Pattern& P : patterns_) {
    const double n = static_cast<double>(P.subjects.size());
    for (size_t a = 0; a < P.coords.size(); ++a)
      for (size_t b = a + 1; b < P.coords.size(); ++b) {
        const double d = std::fabs(P.coords[b] - P.coords[a]);
        if (std::isfinite(d) && d > 0) dn.emplace_back(d, n);
      }
  }
  return weighted_median(std::move(dn));
}

std::vector<std::vector<double>> MmrmEngine::default_starts() {
  const ResidualCovariance rc = ols_residual_covariance();
  const int G = input_.n_groups;
  std::vector<double> th;
  if (!cov_.spatial()) {
    for (int g = 0; g < G; ++g) {
      const std::vector<double> s = cov_.start(rc.S[g], rc.variance[g]);
      th.insert(th.end(), s.begin(), s.end());
    }
    for (double& x : th)
      if (!std::isfinite(x)) x = 0;
    return {th};
  }
  std::vector<std::vector<double>> cands =
      spatial_starts(cov_.key(), rc.variance, median_distance(), n_theta_group_);
  std::vector<double> dev(cands.size());
  for (size_t i = 0; i < cands.size(); ++i) {
    double v;
    try {
      v = deviance(cands[i], nullptr);
    } catch (const NumericalError&) {
      v = std::numeric_limits<double>::infinity();
    }
    dev[i] = std::isfinite(v) ? v : std::numeric_limits<double>::infinity();
  }
  std::vector<size_t> o(cands.size());
  for (size_t i = 0; i < o.size(); ++i) o[i] = i;
  std::stable_sort(o.begin(), o.end(), [&](size_t a, size_t b) { return dev[a] < dev[b]; });
  std::vector<std::vector<double>> out;
  for (size_t i : o)
    if (std::isfinite(dev[i])) out.push_back(cands[i]);
  if (out.empty()) out.push_back(cands[0]);
  return out;
}

MmrmEngine::ResidualCovariance MmrmEngine::ols_residual_covariance() const {
  const int p = input_.p, q = p + 1, k = input_.n_visits, G = input_.n_groups;
  const bool spatial = cov_.spatial();
  MatrixXd Q = MatrixXd::Zero(q, q);
  for (const Pattern& P : patterns_) {
    const int m = static_cast<int>(P.coords.size());
    Q += contract(P, MatrixXd::Identity(m, m));
  }
  VectorXd u = VectorXd::Zero(q);
  u(p) = 1.0;
  if (p > 0) {
    Eigen::LDLT<MatrixXd> ldlt(Q.topLeftCorner(p, p));
    VectorXd beta = ldlt.solve(Q.col(p).head(p));
    if (ldlt.info() == Eigen::Success && beta.allFinite()) u.head(p) = -beta;
  }
  const MatrixXd T = u * u.transpose();
  ResidualCovariance out;
  std::vector<MatrixXd> N(spatial ? 0 : G, MatrixXd::Zero(k, k));
  out.S.assign(spatial ? 0 : G, MatrixXd::Zero(k, k));
  std::vector<double> ss(G, 0.0), nobs(G, 0.0);
  for (const Pattern& P : patterns_) {
    const int m = static_cast<int>(P.coords.size()), g = P.group;
    const double nP = static_cast<double>(P.subjects.size());
    const MatrixXd F = contract_rev(P, T);  // sum_i r_i r_i'
    ss[g] += F.trace();
    nobs[g] += nP * m;
    if (spatial) continue;
    for (int b = 0; b < m; ++b)
      for (int a = 0; a < m; ++a) {
        out.S[g](P.visits[a], P.visits[b]) += F(a, b);
        N[g](P.visits[a], P.visits[b]) += nP;
      }
  }
  for (int g = 0; g < G; ++g) {
    out.variance.push_back(nobs[g] > 0 ? ss[g] / nobs[g] : std::numeric_limits<double>::quiet_NaN());
    if (spatial) continue;
    for (int b = 0; b < k; ++b)
      for (int a = 0; a < k; ++a)
        out.S[g](a, b) = N[g](a, b) > 0 ? out.S[g](a, b) / N[g](a, b)
                                        : std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

MatrixXd MmrmEngine::hessian(const std::vector<double>& theta) {
  Derivatives d = derivatives(theta, false);
  if (!d.ok)
    throw NumericalError("the deviance is not finite at the estimate; cannot compute the Hessian");
  return d.hessian;
}

MatrixXd MmrmEngine::hessian_numeric(const std::vector<double>& theta) {
  // Central differences of the analytic gradient.
  const int K = n_theta();
  MatrixXd H(K, K);
  std::vector<double> th = theta, gp, gm;
  for (int j = 0; j < K; ++j) {
    const double h = 1e-4 * std::max(1.0, std::fabs(theta[j]));
    th[j] = theta[j] + h;
    double f1 = deviance(th, &gp);
    th[j] = theta[j] - h;
    double f2 = deviance(th, &gm);
    th[j] = theta[j];
    if (!std::isfinite(f1) || !std::isfinite(f2))
      throw NumericalError("the deviance is not finite near the estimate; cannot compute the Hessian");
    for (int i = 0; i < K; ++i) H(i, j) = (gp[i] - gm[i]) / (2 * h);
  }
  return (H + H.transpose()) / 2;
}

std::vector<MatrixXd> MmrmEngine::jacobian_terms(const std::vector<double>& theta) {
  const int p = input_.p, K = n_theta_group_;
  std::vector<PatternEval> ev;
  if (!eval_patterns(theta, true, ev))
    throw NumericalError("the covariance matrix is not positive definite at the estimate");
  std::vector<MatrixXd> out(n_theta(), MatrixXd::Zero(p, p));
  for (size_t pi = 0; pi < patterns_.size(); ++pi) {
    const Pattern& P = patterns_[pi];
    for (int j = 0; j < K; ++j) {
      MatrixXd B = ev[pi].Sinv * ev[pi].dS[j] * ev[pi].Sinv;
      out[P.group * K + j] += contract(P, B).topLeftCorner(p, p);
    }
  }
  return out;
}

void MmrmEngine::kr_sums(const std::vector<double>& theta, const MatrixXd& W, MatrixXd& Qs,
                         MatrixXd& Rs, bool need_R) {
  const int p = input_.p, K = n_theta_group_, G = input_.n_groups, k = input_.n_visits;
  require(W.rows() == n_theta() && W.cols() == n_theta(), "W", "weight matrix has the wrong size");
  std::vector<PatternEval> ev;
  if (!eval_patterns(theta, true, ev))
    throw NumericalError("the covariance matrix is not positive definite at the estimate");
  // Sum_jk W_jk d2 Sigma / d theta_j d theta_k per group, by central
  // differences of the analytic first derivatives (full visit matrix, or per
  // pattern for spatial structures).
  auto weighted_second = [&](int g, const std::vector<double>& coords) {
    const int m = static_cast<int>(coords.size());
    MatrixXd out = MatrixXd::Zero(m, m);
    const std::vector<double> th(theta.begin() + g * K, theta.begin() + (g + 1) * K);
    for_each_second_derivative(th, k, coords, 1e-4,
                               [&](int j, int l, const MatrixXd& dp, const MatrixXd& dm, double two_h) {
                                 out += W(g * K + j, g * K + l) * (dp - dm) / two_h;
                               });
    return MatrixXd((out + out.transpose()) / 2);
  };
  std::vector<MatrixXd> second_full(G);
  if (need_R && !cov_.spatial()) {
    std::vector<double> all(k);
    for (int v = 0; v < k; ++v) all[v] = v;
    for (int g = 0; g < G; ++g) second_full[g] = weighted_second(g, all);
  }
  Qs = MatrixXd::Zero(p, p);
  Rs = MatrixXd::Zero(p, p);
  for (size_t pi = 0; pi < patterns_.size(); ++pi) {
    const Pattern& P = patterns_[pi];
    const PatternEval& e = ev[pi];
    const int m = static_cast<int>(P.coords.size());
    MatrixXd inner = MatrixXd::Zero(m, m);
    std::vector<MatrixXd> SdS(K);
    for (int j = 0; j < K; ++j) SdS[j] = e.Sinv * e.dS[j];
    for (int j = 0; j < K; ++j)
      for (int l = 0; l < K; ++l) {
        const double w = W(P.group * K + j, P.group * K + l);
        if (w != 0.0) inner.noalias() += w * e.dS[j] * SdS[l];
      }
    Qs += contract(P, e.Sinv * inner * e.Sinv).topLeftCorner(p, p);
    if (need_R) {
      MatrixXd D2;
      if (cov_.spatial()) {
        D2 = weighted_second(P.group, P.coords);
      } else {
        D2.resize(m, m);
        for (int b = 0; b < m; ++b)
          for (int a = 0; a < m; ++a) D2(a, b) = second_full[P.group](P.visits[a], P.visits[b]);
      }
      Rs += contract(P, e.Sinv * D2 * e.Sinv).topLeftCorner(p, p);
    }
  }
}

void MmrmEngine::subject_pass(const std::vector<double>& theta, const VectorXd& beta,
                              VectorXd& normalized, MatrixXd& scores) {
  const int p = input_.p;
  require(p == 0 || !input_.X.empty(), "object",
          "this fit was made from pattern moments only; per-subject quantities are unavailable");
  std::vector<PatternEval> ev;
  if (!eval_patterns(theta, false, ev))
    throw NumericalError("the covariance matrix is not positive definite at the estimate");
  normalized.resize(input_.n);
  scores.resize(n_subjects(), p);
  for (size_t pi = 0; pi < patterns_.size(); ++pi) {
    Eigen::LLT<MatrixXd> llt(ev[pi].S);
    for (int s : patterns_[pi].subjects) {
      MatrixXd A = subject_block(s);
      VectorXd r = A.col(p) - A.leftCols(p) * beta;
      VectorXd z = llt.matrixL().solve(r);
      // Back to unweighted scale: residual / sd where sd includes 1/sqrt(w).
      normalized.segment(input_.subject_start[s], r.size()) = z;
      scores.row(s) = (A.leftCols(p).transpose() * llt.solve(r)).transpose();
    }
  }
}

MatrixXd MmrmEngine::sigma(const std::vector<double>& theta, int group,
                           const std::vector<double>& coords) const {
  const int K = n_theta_group_;
  require(group >= 0 && group < input_.n_groups, "group", "group index out of range");
  std::vector<double> th(theta.begin() + group * K, theta.begin() + (group + 1) * K);
  MatrixXd S;
  cov_.sigma(th, input_.n_visits, coords, S, nullptr);
  return S;
}

}  // namespace mmrm
}  // namespace glycotrial
