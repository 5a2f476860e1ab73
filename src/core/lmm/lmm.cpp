#include "core/lmm/lmm.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/common/errors.hpp"
#include "core/optim/optim.hpp"
#include "core/covariance/residual.hpp"

namespace glycotrial {
namespace lmm {

namespace {
constexpr double kLog2Pi = 1.8378770664093454836;
}

// Subjects sharing Z_i and residual coordinates: V_i is the same for all.
// D holds the subjects' [X | y] with visits as rows and column c * n + i for
// column c of subject i, so that one triangular solve whitens them all and
// the cross-products are a single product of the reinterpreted memory.
struct Model::Pattern {
  int m = 0;
  int n = 0;
  Eigen::MatrixXd Z;  // m x q
  std::vector<double> coords;
  std::vector<int> groups;
  std::vector<int> subjects;
  Eigen::MatrixXd D;  // m x n (p + 1) (direct patterns only)
  // Pattern moments (DESIGN.md): Mom = sum_i d_i d_i' with d_i = vec([X_i | y_i])
  // (index a + c m), so that every evaluation costs O(m^2 (p+1)^2) for the
  // pattern whatever its number of subjects. Used when n > 2 (p + 1).
  bool moments = false;
  Eigen::MatrixXd Mom;  // m (p + 1) x m (p + 1)
};

Model::~Model() = default;

Model::Model(Data d)
    : X_(std::move(d.X)),
      Z_(std::move(d.Z)),
      y_(std::move(d.y)),
      subject_start_(std::move(d.subject_start)),
      re_blocks_(std::move(d.re_blocks)),
      groups_(std::move(d.groups)),
      coords_(std::move(d.coords)),
      reml_(d.reml),
      moment_min_(d.moment_min_subjects) {
  const int n = static_cast<int>(y_.size());
  p_ = static_cast<int>(X_.cols());
  q_ = static_cast<int>(Z_.cols());
  require(n > 0, "data", "no observations");
  require(X_.rows() == n && Z_.rows() == n, "data", "X, Z and y must have the same rows");
  require(p_ > 0, "formula", "the fixed-effects design has no columns");
  require(y_.allFinite() && X_.allFinite() && Z_.allFinite(), "data",
          "response and design must be finite (remove missing values first)");
  int qs = 0;
  for (int b : re_blocks_) {
    require(b > 0, "formula", "empty random-effect term");
    qs += b;
  }
  require(qs == q_, "formula", "random-effect blocks do not add up to the columns of Z");
  g_entries_ = mmrm::log_cholesky_entries(re_blocks_);
  require(subject_start_.size() >= 2 && subject_start_.front() == 0 &&
              subject_start_.back() == n,
          "data", "subject offsets must start at 0 and end at the number of rows");
  for (size_t i = 1; i < subject_start_.size(); ++i)
    require(subject_start_[i] > subject_start_[i - 1], "data", "empty subject block");
  if (coords_.empty()) coords_.assign(n, 0.0);
  if (groups_.empty()) groups_.assign(n, 0);
  require(static_cast<int>(coords_.size()) == n && static_cast<int>(groups_.size()) == n, "data",
          "residual coordinates must have one value per row");
  if (d.residual.type == ResidualType::Kronecker) {
    for (int g : groups_) require(g == 0 || g == 1, "data", "response index must be 0 or 1");
  }
  require(n - (reml_ ? p_ : 0) > 0, "data", "not enough observations for the fixed effects");
  if (!d.weights.empty()) {
    require(static_cast<int>(d.weights.size()) == n, "weights",
            "expected " + std::to_string(n) + " weights (one per row), got " +
                std::to_string(d.weights.size()));
    sqrt_w_.resize(n);
    for (int r = 0; r < n; ++r) {
      const double w = d.weights[r];
      require(std::isfinite(w) && w > 0, "weights",
              "weights must be positive and finite (row " + std::to_string(r + 1) + ")");
      sqrt_w_[r] = std::sqrt(w);
      log_w_sum_ += std::log(w);
      X_.row(r) *= sqrt_w_[r];
      Z_.row(r) *= sqrt_w_[r];
      y_(r) *= sqrt_w_[r];
    }
  }
  residual_ = make_residual(d.residual);
  // Without random effects the model is a GLS with the residual structure
  // (used to check Kenward-Roger against mmrm); an iid residual alone is OLS.
  require(q_ > 0 || !residual_->is_iid(), "formula", "the model has no random-effect terms");

  // Standardise the response by the OLS residual standard deviation.
  Eigen::LDLT<Eigen::MatrixXd> ldlt(X_.transpose() * X_);
  Eigen::VectorXd bols = ldlt.solve(X_.transpose() * y_);
  double rss = (y_ - X_ * bols).squaredNorm();
  double sd = std::sqrt(rss / std::max(1, n - p_));
  if (!(sd > 0) || !std::isfinite(sd)) {
    Eigen::VectorXd yc = y_.array() - y_.mean();
    sd = std::sqrt(yc.squaredNorm() / std::max(1, n - 1));
  }
  y_scale_ = (sd > 0 && std::isfinite(sd)) ? sd : 1.0;
  y_ /= y_scale_;
  build_patterns();
}

bool Model::can_profile() const { return residual_->is_iid(); }

int Model::n_patterns() const { return static_cast<int>(patterns_.size()); }

int Model::n_theta_g() const {
  int k = 0;
  for (int b : re_blocks_) k += n_chol(b);
  return k;
}

int Model::n_theta_residual() const { return residual_->n_theta(); }

void Model::build_patterns() {
  const int ns = n_subjects();
  std::map<std::vector<double>, int> index;
  std::vector<int> pattern_of(ns);
  for (int i = 0; i < ns; ++i) {
    const int a = subject_start_[i], b = subject_start_[i + 1], m = b - a;
    std::vector<double> key;
    key.reserve(static_cast<size_t>(m) * (q_ + 2) + 1);
    key.push_back(m);
    for (int r = a; r < b; ++r) {
      key.push_back(coords_[r]);
      key.push_back(groups_[r]);
      for (int c = 0; c < q_; ++c) key.push_back(Z_(r, c));
    }
    auto it = index.find(key);
    if (it == index.end()) {
      const int id = static_cast<int>(patterns_.size());
      index.emplace(std::move(key), id);
      Pattern P;
      P.m = m;
      P.Z = Z_.middleRows(a, m);
      P.coords.assign(coords_.begin() + a, coords_.begin() + b);
      P.groups.assign(groups_.begin() + a, groups_.begin() + b);
      patterns_.push_back(std::move(P));
      pattern_of[i] = id;
    } else {
      pattern_of[i] = it->second;
    }
    patterns_[pattern_of[i]].subjects.push_back(i);
  }
  for (auto& P : patterns_) {
    P.n = static_cast<int>(P.subjects.size());
    P.moments = P.n > (moment_min_ < 0 ? 2 * (p_ + 1) : moment_min_);
    if (P.moments) {
      // One data pass: stack the subjects' vec([X_i | y_i]) as columns, then a
      // symmetric rank-n update (BLAS-3).
      const Eigen::Index w = static_cast<Eigen::Index>(P.m) * (p_ + 1);
      Eigen::MatrixXd Dv(w, P.n);
      for (int k = 0; k < P.n; ++k) {
        const int a = subject_start_[P.subjects[k]];
        for (int c = 0; c < p_; ++c)
          Dv.col(k).segment(static_cast<Eigen::Index>(c) * P.m, P.m) = X_.col(c).segment(a, P.m);
        Dv.col(k).segment(static_cast<Eigen::Index>(p_) * P.m, P.m) = y_.segment(a, P.m);
      }
      P.Mom = Eigen::MatrixXd::Zero(w, w);
      P.Mom.selfadjointView<Eigen::Lower>().rankUpdate(Dv);
      P.Mom = P.Mom.selfadjointView<Eigen::Lower>();
      continue;
    }
    P.D.resize(P.m, static_cast<Eigen::Index>(P.n) * (p_ + 1));
    for (int k = 0; k < P.n; ++k) {
      const int a = subject_start_[P.subjects[k]];
      for (int c = 0; c < p_; ++c)
        P.D.col(static_cast<Eigen::Index>(c) * P.n + k) = X_.col(c).segment(a, P.m);
      P.D.col(static_cast<Eigen::Index>(p_) * P.n + k) = y_.segment(a, P.m);
    }
  }
}

Eigen::MatrixXd Model::g_from_theta(const Eigen::VectorXd& theta) const {
  Eigen::MatrixXd G = Eigen::MatrixXd::Zero(q_, q_);
  int off = 0, pos = 0;
  for (int b : re_blocks_) {
    Eigen::MatrixXd L = Eigen::MatrixXd::Zero(b, b);
    for (int c = 0; c < b; ++c)
      for (int r = c; r < b; ++r) L(r, c) = (r == c) ? std::exp(theta(pos++)) : theta(pos++);
    G.block(off, off, b, b) = L * L.transpose();
    off += b;
  }
  return G;
}

Eigen::MatrixXd Model::g_matrix(const Eigen::VectorXd& theta_absolute) const {
  return g_from_theta(theta_absolute) * (y_scale_ * y_scale_);
}

Eigen::VectorXd Model::start(bool profiled) const {
  Eigen::VectorXd th(n_theta(profiled));
  int off = 0, pos = 0;
  // Each random effect starts at a quarter of the (unit) residual variance,
  // scaled by the root mean square of its design column.
  for (int b : re_blocks_) {
    for (int c = 0; c < b; ++c) {
      for (int r = c; r < b; ++r) {
        if (r == c) {
          double rms = std::sqrt(Z_.col(off + c).squaredNorm() / std::max<Eigen::Index>(1, Z_.rows()));
          if (!(rms > 0)) rms = 1;
          th(pos++) = std::log((profiled ? 0.7 : 0.5) / rms);
        } else {
          th(pos++) = 0;
        }
      }
    }
    off += b;
  }
  if (!profiled) th.tail(n_theta_residual()) = residual_->start();
  return th;
}

Evaluation Model::evaluate(const Eigen::VectorXd& theta, bool profiled, bool want_grad) const {
  if (profiled && !can_profile())
    throw InputError("the residual variance can be profiled only without a residual structure",
                     "theta");
  const int k = n_theta(profiled);
  require(theta.size() == k, "theta",
          "expected " + std::to_string(k) + " parameters, got " + std::to_string(theta.size()));
  Evaluation ev;
  const double inf = std::numeric_limits<double>::infinity();
  if (!theta.allFinite()) {
    ev.ok = false;
    ev.deviance = inf;
    return ev;
  }
  const int n = n_obs(), p = p_;
  const int kg = n_theta_g(), kr = profiled ? 0 : n_theta_residual();
  const Eigen::MatrixXd G = g_from_theta(theta);
  const double* th_r = theta.data() + kg;

  std::vector<Eigen::MatrixXd> Ls(patterns_.size()), Ws(patterns_.size()), Vinvs(patterns_.size());
  std::vector<std::vector<Eigen::MatrixXd>> dRs(want_grad ? patterns_.size() : 0);
  Eigen::MatrixXd C = Eigen::MatrixXd::Zero(p + 1, p + 1);
  double logdetV = 0;
  for (size_t pi = 0; pi < patterns_.size(); ++pi) {
    const Pattern& P = patterns_[pi];
    Eigen::MatrixXd V = P.Z * G * P.Z.transpose();
    if (profiled) {
      V.diagonal().array() += 1.0;
    } else {
      Eigen::MatrixXd R;
      residual_->sigma(th_r, P.coords, P.groups, R, want_grad ? &dRs[pi] : nullptr);
      V += R;
    }
    Eigen::LLT<Eigen::MatrixXd> llt(V);
    if (llt.info() != Eigen::Success) {
      ev.ok = false;
      ev.deviance = inf;
      return ev;
    }
    Ls[pi] = llt.matrixL();
    const Eigen::VectorXd ld = Ls[pi].diagonal();
    if ((ld.array() <= 0).any()) {
      ev.ok = false;
      ev.deviance = inf;
      return ev;
    }
    logdetV += P.n * 2 * ld.array().log().sum();
    if (P.moments) {
      Vinvs[pi] = llt.solve(Eigen::MatrixXd::Identity(P.m, P.m));
      const Eigen::MatrixXd& Vi = Vinvs[pi];
      for (int c = 0; c <= p; ++c)
        for (int c2 = c; c2 <= p; ++c2)
          C(c2, c) += Vi.cwiseProduct(P.Mom.block(static_cast<Eigen::Index>(c) * P.m,
                                                  static_cast<Eigen::Index>(c2) * P.m, P.m, P.m))
                          .sum();
      continue;
    }
    Ws[pi] = Ls[pi].triangularView<Eigen::Lower>().solve(P.D);
    Eigen::Map<const Eigen::MatrixXd> W(Ws[pi].data(), static_cast<Eigen::Index>(P.m) * P.n,
                                        p + 1);
    C.selfadjointView<Eigen::Lower>().rankUpdate(W.transpose());
  }
  C = C.selfadjointView<Eigen::Lower>();
  const Eigen::MatrixXd A = C.topLeftCorner(p, p);
  Eigen::LLT<Eigen::MatrixXd> la(A);
  if (la.info() != Eigen::Success) {
    ev.ok = false;
    ev.deviance = inf;
    return ev;
  }
  const Eigen::VectorXd bvec = C.col(p).head(p);
  const Eigen::VectorXd beta = la.solve(bvec);
  const double rss = std::max(C(p, p) - bvec.dot(beta), 0.0);
  const Eigen::MatrixXd LA = la.matrixL();
  const double logdetA = 2 * LA.diagonal().array().log().sum();
  const double ls2 = 2 * std::log(y_scale_);
  const int dof = reml_ ? n - p : n;
  double dev;
  double s2 = 1;
  if (profiled) {
    s2 = rss / dof;
    if (!(s2 > 0)) {
      ev.ok = false;
      ev.deviance = inf;
      return ev;
    }
    dev = logdetV + dof * (1 + kLog2Pi + std::log(s2));
  } else {
    dev = logdetV + rss + dof * kLog2Pi;
  }
  if (reml_) dev += logdetA;
  ev.deviance = dev + dof * ls2 - log_w_sum_;
  ev.sigma2 = s2;
  ev.beta = beta * y_scale_;
  Eigen::MatrixXd Ainv = la.solve(Eigen::MatrixXd::Identity(p, p));
  ev.vcov_beta = Ainv * (s2 * y_scale_ * y_scale_);
  if (!want_grad) return ev;

  // Gradient: sum over patterns of tr(M dV), M = n V^-1 - V^-1 K V^-1.
  const Eigen::MatrixXd LAinvT =
      LA.triangularView<Eigen::Lower>().solve(Eigen::MatrixXd::Identity(p, p)).transpose();
  Eigen::MatrixXd B = Eigen::MatrixXd::Zero(q_, q_);
  Eigen::VectorXd grad = Eigen::VectorXd::Zero(k);
  for (size_t pi = 0; pi < patterns_.size(); ++pi) {
    const Pattern& P = patterns_[pi];
    if (P.moments) {
      // From the moments: sum_i r_i r_i' = sum_{c,c'} w_c w_c' Mom(c,c') with
      // w = (-beta, 1), and sum_i X_i A^-1 X_i' = sum_{c,c'<p} A^-1_{cc'} Mom(c,c').
      Eigen::VectorXd wv(p + 1);
      wv.head(p) = -beta;
      wv(p) = 1;
      Eigen::MatrixXd K = Eigen::MatrixXd::Zero(P.m, P.m);
      for (int c = 0; c <= p; ++c)
        for (int c2 = 0; c2 <= p; ++c2) {
          double coef = wv(c) * wv(c2) / s2;
          if (reml_ && c < p && c2 < p) coef += Ainv(c, c2);
          if (coef != 0)
            K.noalias() += coef * P.Mom.block(static_cast<Eigen::Index>(c) * P.m,
                                              static_cast<Eigen::Index>(c2) * P.m, P.m, P.m);
        }
      const Eigen::MatrixXd& Vi = Vinvs[pi];
      const Eigen::MatrixXd M = P.n * Vi - Vi * K * Vi;
      B.noalias() += P.Z.transpose() * M * P.Z;
      for (int j = 0; j < kr; ++j) grad(kg + j) += (M.cwiseProduct(dRs[pi][j])).sum();
      continue;
    }
    const Eigen::Index mn = static_cast<Eigen::Index>(P.m) * P.n;
    Eigen::Map<const Eigen::MatrixXd> Wx(Ws[pi].data(), mn, p);
    Eigen::Map<const Eigen::MatrixXd> Wy(Ws[pi].data() + static_cast<Eigen::Index>(p) * mn, P.m,
                                         P.n);
    Eigen::VectorXd fit = Wx * beta;
    Eigen::Map<const Eigen::MatrixXd> Fm(fit.data(), P.m, P.n);
    const Eigen::MatrixXd Rw = Wy - Fm;
    Eigen::MatrixXd K = Eigen::MatrixXd::Zero(P.m, P.m);
    K.selfadjointView<Eigen::Lower>().rankUpdate(Rw, 1.0 / s2);
    if (reml_) {
      Eigen::MatrixXd XU = Wx * LAinvT;
      Eigen::Map<const Eigen::MatrixXd> XUm(XU.data(), P.m, static_cast<Eigen::Index>(P.n) * p);
      K.selfadjointView<Eigen::Lower>().rankUpdate(XUm);
    }
    K = K.selfadjointView<Eigen::Lower>();
    // K is already whitened: V^-1 r r' V^-1 = L^-T (L^-1 r)(L^-1 r)' L^-1.
    Eigen::MatrixXd Linv = Ls[pi].triangularView<Eigen::Lower>().solve(Eigen::MatrixXd::Identity(P.m, P.m));
    Eigen::MatrixXd inner =
        Linv.transpose() * (Eigen::MatrixXd::Identity(P.m, P.m) * P.n - K) * Linv;
    const Eigen::MatrixXd& M = inner;
    B.noalias() += P.Z.transpose() * M * P.Z;
    for (int j = 0; j < kr; ++j) grad(kg + j) += (M.cwiseProduct(dRs[pi][j])).sum();
  }
  // G part: d tr(B L L') / dL = 2 B L; diagonal on log scale.
  // (L is block diagonal, so B L holds each block's B_bb L_b)
  const Eigen::MatrixXd L = mmrm::log_cholesky_factor(theta.data(), g_entries_, q_);
  const Eigen::MatrixXd GL = 2 * B * L;
  for (size_t r = 0; r < g_entries_.size(); ++r) {
    const auto& e = g_entries_[r];
    grad(r) = GL(e.first, e.second) * mmrm::log_cholesky_slope(L, e);
  }
  ev.gradient = grad;
  return ev;
}

Eigen::VectorXd Model::to_absolute(const Eigen::VectorXd& theta_profiled) const {
  require(can_profile(), "theta", "model has a residual structure: no profiled parametrisation");
  Evaluation ev = evaluate(theta_profiled, true, false);
  if (!ev.ok) throw NumericalError("cannot evaluate the model at these parameters", "theta");
  const double ls = 0.5 * std::log(ev.sigma2);
  Eigen::VectorXd out(n_theta(false));
  const int pos = static_cast<int>(g_entries_.size());
  for (int r = 0; r < pos; ++r)
    out(r) = g_entries_[r].first == g_entries_[r].second ? theta_profiled(r) + ls
                                                          : theta_profiled(r) * std::exp(ls);
  out(pos) = ls;
  return out;
}

Eigen::MatrixXd Model::residual_cov(const Eigen::VectorXd& theta_absolute,
                                    const std::vector<double>& coords,
                                    const std::vector<int>& groups) const {
  require(theta_absolute.size() == n_theta(false), "theta", "wrong number of parameters");
  Eigen::MatrixXd R;
  std::vector<int> gr = groups;
  if (gr.empty()) gr.assign(coords.size(), 0);
  residual_->sigma(theta_absolute.data() + n_theta_g(), coords, gr, R, nullptr);
  return R * (y_scale_ * y_scale_);
}

void Model::conditional_modes(const Eigen::VectorXd& theta, Eigen::MatrixXd& modes,
                              std::vector<Eigen::MatrixXd>& condvar) const {
  Evaluation ev = evaluate(theta, false, false);
  if (!ev.ok) throw NumericalError("the marginal covariance is not positive definite", "theta");
  const Eigen::VectorXd beta = ev.beta / y_scale_;
  const Eigen::MatrixXd G = g_from_theta(theta);
  const double* th_r = theta.data() + n_theta_g();
  modes.resize(n_subjects(), q_);
  condvar.assign(n_subjects(), Eigen::MatrixXd());
  for (const Pattern& P : patterns_) {
    Eigen::MatrixXd R;
    residual_->sigma(th_r, P.coords, P.groups, R, nullptr);
    Eigen::MatrixXd V = P.Z * G * P.Z.transpose() + R;
    Eigen::LLT<Eigen::MatrixXd> llt(V);
    if (llt.info() != Eigen::Success) throw NumericalError("V_i is not positive definite");
    const Eigen::MatrixXd GZt = G * P.Z.transpose();          // q x m
    const Eigen::MatrixXd cv = (G - GZt * llt.solve(GZt.transpose())) * (y_scale_ * y_scale_);
    for (int k = 0; k < P.n; ++k) {
      const int s = P.subjects[k];
      const int a = subject_start_[s];
      Eigen::VectorXd r = y_.segment(a, P.m) - X_.middleRows(a, P.m) * beta;
      modes.row(s) = (GZt * llt.solve(r)).transpose() * y_scale_;
      condvar[s] = cv;
    }
  }
}

Eigen::MatrixXd Model::hessian(const Eigen::VectorXd& theta, bool profiled) const {
  optim::FunctionObjective fn([&](const Eigen::VectorXd& x, Eigen::VectorXd* g) {
    Evaluation e = evaluate(x, profiled, g != nullptr);
    if (g) *g = e.ok ? e.gradient : Eigen::VectorXd::Constant(x.size(), NAN);
    return e.deviance;
  });
  return optim::numeric_hessian(fn, theta);
}

FitResult Model::fit(const FitOptions& opt) const {
  FitResult out;
  out.profiled = can_profile();
  optim::FunctionObjective fn([&](const Eigen::VectorXd& x, Eigen::VectorXd* g) {
    Evaluation e = evaluate(x, out.profiled, g != nullptr);
    if (g) {
      if (e.ok) *g = e.gradient; else g->setConstant(x.size(), 0.0);
    }
    return e.ok ? e.deviance : std::numeric_limits<double>::infinity();
  });
  Eigen::VectorXd x0 = start(out.profiled);
  const optim::Result o =
      optim::minimise(fn, x0, optim::bfgs_options(opt.max_iter, opt.grad_tol, opt.newton_steps));
  if (!std::isfinite(o.f)) {
    throw NumericalError("the likelihood cannot be evaluated at the start values: " + o.message);
  }
  out.theta = o.x;
  out.iterations = o.iterations;
  out.evaluations = o.evaluations;
  out.converged = o.converged;
  out.message = o.message;
  out.theta_absolute = out.profiled ? to_absolute(o.x) : o.x;
  out.eval = evaluate(out.theta_absolute, false, true);
  out.G = g_matrix(out.theta_absolute);
  if (residual_->is_iid())
    out.sigma2 = std::exp(2 * out.theta_absolute(n_theta_g())) * y_scale_ * y_scale_;
  // Singular fit (as lme4::isSingular): a diagonal element of the relative
  // Cholesky factor of G (relative to the residual SD) below the tolerance.
  {
    double ref = 1;  // standardised residual scale
    if (residual_->is_iid()) ref = std::exp(out.theta_absolute(n_theta_g()));
    for (size_t r = 0; r < g_entries_.size(); ++r)
      if (g_entries_[r].first == g_entries_[r].second &&
          std::exp(out.theta_absolute(r)) / ref < opt.singular_tol)
        out.singular = true;
  }
  conditional_modes(out.theta_absolute, out.ranef, out.ranef_condvar);
  return out;
}

namespace {

// sum over the pattern's subjects of X_i' A X_i (A m x m, any), from the
// moments or from the stacked data.
Eigen::MatrixXd pattern_xax(const Eigen::MatrixXd& A, int m, int n, int p, bool moments,
                            const Eigen::MatrixXd& Mom, const Eigen::MatrixXd& D) {
  Eigen::MatrixXd out(p, p);
  if (moments) {
    for (int c = 0; c < p; ++c)
      for (int c2 = 0; c2 < p; ++c2)
        out(c, c2) = A.cwiseProduct(Mom.block(static_cast<Eigen::Index>(c) * m,
                                              static_cast<Eigen::Index>(c2) * m, m, m))
                         .sum();
    return out;
  }
  const Eigen::MatrixXd AX = A * D.leftCols(static_cast<Eigen::Index>(n) * p);
  for (int c = 0; c < p; ++c)
    for (int c2 = 0; c2 < p; ++c2)
      out(c, c2) = D.middleCols(static_cast<Eigen::Index>(c) * n, n)
                       .cwiseProduct(AX.middleCols(static_cast<Eigen::Index>(c2) * n, n))
                       .sum();
  return out;
}

}  // namespace

KenwardRoger Model::kenward_roger(const Eigen::VectorXd& theta, bool observed) const {
  require(reml_, "ddf", "Kenward-Roger df are defined for REML fits only");
  require(theta.size() == n_theta(false), "theta", "wrong number of parameters");
  const int p = p_;
  const Eigen::MatrixXd G = g_from_theta(theta);
  const bool iid = residual_->is_iid();
  const int kg = n_theta_g(), kr_n = iid ? 1 : n_theta_residual();
  const double* th_r = theta.data() + kg;
  const double s2 = iid ? std::exp(2 * theta(kg)) : 0.0;
  // Variance parameters: the elements of G's blocks (lower triangles, V
  // linear in them), then either the iid residual variance (linear) or the
  // residual structure's own parameters theta_R (nonlinear: dV/dtheta_R from
  // the plugin, d2V/dtheta_R2 by central differences of R(theta_R)).
  const std::vector<mmrm::CholeskyEntry>& pars = g_entries_;  // (row, column) of G
  const int KG = static_cast<int>(pars.size());
  const int K = KG + kr_n;
  // Difference steps for the second derivatives of R in theta_R.
  std::vector<double> hstep(kr_n);
  for (int j = 0; j < kr_n; ++j) hstep[j] = 1e-4 * std::max(1.0, std::fabs(th_r[j]));
  Eigen::MatrixXd XVX = Eigen::MatrixXd::Zero(p, p);
  std::vector<Eigen::MatrixXd> P(K, Eigen::MatrixXd::Zero(p, p));
  std::vector<Eigen::MatrixXd> Q(static_cast<size_t>(K) * K, Eigen::MatrixXd::Zero(p, p));
  // R_jk = X' V^-1 d2V/dtheta_j dtheta_k V^-1 X (residual pairs only).
  std::vector<Eigen::MatrixXd> Rr(iid ? 0 : static_cast<size_t>(kr_n) * kr_n,
                                  Eigen::MatrixXd::Zero(p, p));
  Eigen::MatrixXd Ktrace = Eigen::MatrixXd::Zero(K, K);
  for (const Pattern& Pt : patterns_) {
    const int m = Pt.m;
    Eigen::MatrixXd V = Pt.Z * G * Pt.Z.transpose();
    std::vector<Eigen::MatrixXd> dR;
    if (iid) {
      V.diagonal().array() += s2;
    } else {
      Eigen::MatrixXd R;
      residual_->sigma(th_r, Pt.coords, Pt.groups, R, &dR);
      V += R;
    }
    Eigen::LLT<Eigen::MatrixXd> llt(V);
    if (llt.info() != Eigen::Success)
      throw NumericalError("the marginal covariance is not positive definite", "theta");
    const Eigen::MatrixXd Vi = llt.solve(Eigen::MatrixXd::Identity(m, m));
    XVX += pattern_xax(Vi, m, Pt.n, p, Pt.moments, Pt.Mom, Pt.D);
    // H_j = V_j V^-1
    std::vector<Eigen::MatrixXd> H(K);
    for (int j = 0; j < K; ++j) {
      if (j >= KG) {
        H[j] = iid ? Vi : Eigen::MatrixXd(dR[j - KG] * Vi);
      } else {
        const Eigen::VectorXd zr = Pt.Z.col(pars[j].first), zc = Pt.Z.col(pars[j].second);
        Eigen::MatrixXd Vj = zr * zc.transpose();
        if (pars[j].first != pars[j].second) Vj += zc * zr.transpose();
        H[j] = Vj * Vi;
      }
    }
    for (int j = 0; j < K; ++j) {
      const Eigen::MatrixXd ViHj = Vi * H[j];  // V^-1 V_j V^-1
      P[j] -= pattern_xax(ViHj, m, Pt.n, p, Pt.moments, Pt.Mom, Pt.D);
      for (int k = j; k < K; ++k) {
        Ktrace(j, k) += Pt.n * (H[j].transpose().cwiseProduct(H[k])).sum();
        const Eigen::MatrixXd A = ViHj * H[k];  // V^-1 V_j V^-1 V_k V^-1
        Q[static_cast<size_t>(j) * K + k] += pattern_xax(A, m, Pt.n, p, Pt.moments, Pt.Mom, Pt.D);
      }
    }
    if (!iid) {
      std::vector<double> th(th_r, th_r + kr_n);
      auto r_at = [&](int a, double da, int b, double db) {
        std::vector<double> t = th;
        t[a] += da;
        t[b] += db;
        Eigen::MatrixXd R;
        residual_->sigma(t.data(), Pt.coords, Pt.groups, R, nullptr);
        return R;
      };
      for (int a = 0; a < kr_n; ++a)
        for (int b = a; b < kr_n; ++b) {
          const double ha = hstep[a], hb = hstep[b];
          Eigen::MatrixXd D2;
          if (a == b) {
            Eigen::MatrixXd R0;
            residual_->sigma(th.data(), Pt.coords, Pt.groups, R0, nullptr);
            D2 = (r_at(a, ha, a, 0) - 2 * R0 + r_at(a, -ha, a, 0)) / (ha * ha);
          } else {
            D2 = (r_at(a, ha, b, hb) - r_at(a, ha, b, -hb) - r_at(a, -ha, b, hb) +
                  r_at(a, -ha, b, -hb)) / (4 * ha * hb);
          }
          const Eigen::MatrixXd A = Vi * D2 * Vi;
          Rr[static_cast<size_t>(a) * kr_n + b] +=
              pattern_xax(A, m, Pt.n, p, Pt.moments, Pt.Mom, Pt.D);
        }
    }
  }
  KenwardRoger kr;
  Eigen::LLT<Eigen::MatrixXd> lx(XVX);
  if (lx.info() != Eigen::Success)
    throw NumericalError("X' V^-1 X is not positive definite", "theta");
  const Eigen::MatrixXd Phi = lx.solve(Eigen::MatrixXd::Identity(p, p));
  for (auto& Pj : P) Pj = (0.5 * (Pj + Pj.transpose())).eval();
  Eigen::MatrixXd IE = inference::kr_expected_information(Ktrace, Phi, P, Q);
  if (observed) {
    // Observed information: the Hessian H of the deviance in the absolute
    // parametrisation theta, mapped to the KR parameters phi(theta) (G
    // elements; sigma^2 = exp(2 theta) for iid; theta_R as is):
    // Cov(phi) = K (2 H^-1) K', K = dphi/dtheta (central differences).
    const int kt = static_cast<int>(theta.size());
    require(kt == K, "theta", "the KR and absolute parametrisations differ in size");
    auto phi_of = [&](const Eigen::VectorXd& th) {
      Eigen::VectorXd out(K);
      const Eigen::MatrixXd Gt = g_from_theta(th);
      for (int j = 0; j < KG; ++j) out(j) = Gt(pars[j].first, pars[j].second);
      for (int j = 0; j < kr_n; ++j) out(KG + j) = iid ? std::exp(2 * th(kg)) : th(kg + j);
      return out;
    };
    Eigen::MatrixXd Kj(K, kt);
    for (int j = 0; j < kt; ++j) {
      const double h = 1e-6 * std::max(1.0, std::fabs(theta(j)));
      Eigen::VectorXd tp = theta, tm = theta;
      tp(j) += h;
      tm(j) -= h;
      Kj.col(j) = (phi_of(tp) - phi_of(tm)) / (2 * h);
    }
    Eigen::MatrixXd H = hessian(theta, false);
    H = (0.5 * (H + H.transpose())).eval();
    // IE such that 2 IE^-1 = K (2 H^-1) K', i.e. IE = K^-T H K^-1
    Eigen::FullPivLU<Eigen::MatrixXd> lk(Kj);
    if (!lk.isInvertible())
      throw NumericalError("the KR parametrisation is singular at these parameters", "theta");
    const Eigen::MatrixXd Kinv = lk.inverse();
    IE = Kinv.transpose() * H * Kinv;
    IE = (0.5 * (IE + IE.transpose())).eval();
  }
  const Eigen::MatrixXd W = inference::kr_weight_matrix(IE);
  kr.phi = Phi;
  kr.phi_adj = inference::kr_adjusted_vcov(Phi, P, W, inference::kr_pair_sum(Q, W),
                                           inference::kr_pair_sum(Rr, W));
  kr.P = std::move(P);
  kr.W = W;
  kr.scale2 = y_scale_ * y_scale_;
  return kr;
}

}  // namespace lmm
}  // namespace glycotrial
