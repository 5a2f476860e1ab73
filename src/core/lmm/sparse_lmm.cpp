#include "core/lmm/sparse_lmm.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/common/errors.hpp"

namespace glycotrial {
namespace lmm {

namespace {
constexpr double kLog2Pi = 1.8378770664093454836;

// Column-wise index of (i, j), i >= j, in the lower triangle of a p x p matrix.
int lower_index(int i, int j, int p) { return j * p - j * (j - 1) / 2 + (i - j); }
}  // namespace

SparseModel::SparseModel(SparseData data) : data_(std::move(data)) {
  const int n = static_cast<int>(data_.y.size());
  require(n > 0, "y", "the response is empty");
  require(data_.X.rows() == n, "X", "X must have one row per observation");
  require(data_.Z.rows() == n, "Z", "Z must have one row per observation");
  require(!data_.terms.empty(), "terms", "at least one random-effect term is needed");
  require(data_.y.allFinite() && data_.X.allFinite(), "y",
          "the response and fixed-effects design must be finite");
  q_ = 0;
  n_theta_ = 0;
  for (const auto& t : data_.terms) {
    require(t.p >= 1 && t.n_levels >= 1, "terms", "each term needs p >= 1 and at least one level");
    col_offset_.push_back(q_);
    theta_offset_.push_back(n_theta_);
    q_ += t.p * t.n_levels;
    n_theta_ += t.p * (t.p + 1) / 2;
  }
  require(data_.Z.cols() == q_, "Z", "Z must have one column per random effect");
  require(n > data_.X.cols(), "X", "more fixed effects than observations");
  if (data_.weights.size() > 0) {
    require(data_.weights.size() == n, "weights", "weights must have one value per observation");
    require(data_.weights.allFinite() && (data_.weights.array() > 0).all(), "weights",
            "weights must be positive and finite");
    const Eigen::VectorXd sw = data_.weights.array().sqrt();
    data_.y = data_.y.cwiseProduct(sw);
    data_.X = sw.asDiagonal() * data_.X;
    data_.Z = sw.asDiagonal() * data_.Z;
    log_det_w_ = data_.weights.array().log().sum();
  }
  cross_products();

  // Lambda: block diagonal, lower-triangular p x p block per term and level.
  std::vector<Eigen::Triplet<double>> trip;
  for (size_t k = 0; k < data_.terms.size(); ++k) {
    const int p = data_.terms[k].p;
    for (int l = 0; l < data_.terms[k].n_levels; ++l) {
      const int c0 = col_offset_[k] + l * p;
      for (int j = 0; j < p; ++j)
        for (int i = j; i < p; ++i) trip.emplace_back(c0 + i, c0 + j, 1.0);
    }
  }
  Lambda_.resize(q_, q_);
  Lambda_.setFromTriplets(trip.begin(), trip.end());
  Lambda_.makeCompressed();
  lambda_map_.assign(Lambda_.nonZeros(), 0);
  size_t term = 0;
  for (int c = 0; c < q_; ++c) {
    while (term + 1 < data_.terms.size() && c >= col_offset_[term + 1]) ++term;
    const int p = data_.terms[term].p;
    const int j = (c - col_offset_[term]) % p;
    for (Eigen::SparseMatrix<double>::InnerIterator it(Lambda_, c); it; ++it) {
      const int i = (static_cast<int>(it.row()) - col_offset_[term]) % p;
      lambda_map_[&it.valueRef() - Lambda_.valuePtr()] = theta_offset_[term] + lower_index(i, j, p);
    }
  }
}

void SparseModel::cross_products() {
  data_.Z.makeCompressed();
  const Eigen::SparseMatrix<double> Zt = data_.Z.transpose();
  ZtZ_ = Zt * data_.Z;
  ZtX_ = Zt * data_.X;
  Zty_ = Zt * data_.y;
  XtX_ = data_.X.transpose() * data_.X;
  Xty_ = data_.X.transpose() * data_.y;
}

void SparseModel::set_data(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                           const Eigen::SparseMatrix<double>& Z) {
  require(data_.weights.size() == 0, "weights", "set_data() needs a model without weights");
  require(X.rows() == data_.X.rows() && X.cols() == data_.X.cols() && y.size() == data_.y.size() &&
              Z.rows() == data_.Z.rows() && Z.cols() == data_.Z.cols(),
          "X", "set_data() keeps the dimensions of the model");
  data_.X = X;
  data_.y = y;
  data_.Z = Z;
  cross_products();
}

int SparseModel::theta_index(int k, int r, int c) const {
  require(k >= 0 && k < static_cast<int>(data_.terms.size()), "k", "term index out of range");
  return theta_offset_[k] + lower_index(r, c, data_.terms[k].p);
}

Eigen::VectorXd SparseModel::theta_lower() const {
  Eigen::VectorXd lo(n_theta_);
  for (size_t k = 0; k < data_.terms.size(); ++k) {
    const int p = data_.terms[k].p;
    for (int j = 0; j < p; ++j)
      for (int i = j; i < p; ++i)
        lo(theta_offset_[k] + lower_index(i, j, p)) =
            i == j ? 0.0 : -std::numeric_limits<double>::infinity();
  }
  return lo;
}

Eigen::VectorXd SparseModel::theta_start() const {
  Eigen::VectorXd lo = theta_lower();
  Eigen::VectorXd th(n_theta_);
  for (int i = 0; i < n_theta_; ++i) th(i) = std::isfinite(lo(i)) ? 1.0 : 0.0;
  return th;
}

void SparseModel::update_lambda(const Eigen::VectorXd& theta) {
  require(theta.size() == n_theta_, "theta", "theta has the wrong length");
  double* v = Lambda_.valuePtr();
  for (size_t k = 0; k < lambda_map_.size(); ++k) v[k] = theta(lambda_map_[k]);
}

bool SparseModel::factorise() {
  Eigen::SparseMatrix<double> LtZtZ = Eigen::SparseMatrix<double>(Lambda_.transpose()) * ZtZ_;
  M_ = LtZtZ * Lambda_;
  Eigen::SparseMatrix<double> I(q_, q_);
  I.setIdentity();
  M_ = M_ + I;
  M_.makeCompressed();
  const int nnz = static_cast<int>(M_.nonZeros());
  bool same = analysed_ && static_cast<int>(pattern_inner_.size()) == nnz;
  if (same) {
    same = std::equal(M_.outerIndexPtr(), M_.outerIndexPtr() + q_ + 1, pattern_outer_.begin()) &&
           std::equal(M_.innerIndexPtr(), M_.innerIndexPtr() + nnz, pattern_inner_.begin());
  }
  if (!same) {
    chol_.analyzePattern(M_);
    pattern_outer_.assign(M_.outerIndexPtr(), M_.outerIndexPtr() + q_ + 1);
    pattern_inner_.assign(M_.innerIndexPtr(), M_.innerIndexPtr() + nnz);
    analysed_ = true;
  }
  chol_.factorize(M_);
  return chol_.info() == Eigen::Success;
}

SparseEvaluation SparseModel::evaluate(const Eigen::VectorXd& theta) {
  SparseEvaluation e;
  if (!theta.allFinite()) return e;
  update_lambda(theta);
  if (!factorise()) return e;
  const Eigen::VectorXd D = chol_.vectorD();
  if ((D.array() <= 0).any()) return e;
  e.ldL2 = D.array().log().sum();
  const Eigen::SparseMatrix<double> Lt = Lambda_.transpose();
  const Eigen::VectorXd LtZty = Lt * Zty_;
  const Eigen::MatrixXd LtZtX = Lt * ZtX_;
  const Eigen::VectorXd cu = chol_.solve(LtZty);
  const int p = n_fixed();
  const int n = n_obs();
  Eigen::MatrixXd W(q_, p);
  if (p > 0) W = chol_.solve(LtZtX);
  Eigen::MatrixXd A = XtX_ - LtZtX.transpose() * W;
  Eigen::VectorXd rhs = Xty_ - LtZtX.transpose() * cu;
  e.beta = Eigen::VectorXd::Zero(p);
  e.XtVinvX_inv = Eigen::MatrixXd::Zero(p, p);
  e.ldRX2 = 0;
  if (p > 0) {
    A = 0.5 * (A + A.transpose());
    Eigen::LLT<Eigen::MatrixXd> llt(A);
    if (llt.info() != Eigen::Success) return e;
    e.beta = llt.solve(rhs);
    e.ldRX2 = 2 * llt.matrixLLT().diagonal().array().log().sum();
    e.XtVinvX_inv = llt.solve(Eigen::MatrixXd::Identity(p, p));
  }
  e.u = cu - W * e.beta;
  e.b = Lambda_ * e.u;
  const Eigen::VectorXd resid = data_.y - data_.X * e.beta - data_.Z * e.b;
  e.pwrss = resid.squaredNorm() + e.u.squaredNorm();
  if (!(e.pwrss > 0) || !std::isfinite(e.pwrss)) return e;
  const double nr = data_.reml ? n - p : n;
  e.sigma2 = e.pwrss / nr;
  e.deviance = e.ldL2 - log_det_w_ + nr * (1 + kLog2Pi + std::log(e.pwrss / nr));
  if (data_.reml) e.deviance += e.ldRX2;
  e.ok = std::isfinite(e.deviance);
  return e;
}

double SparseModel::deviance(const Eigen::VectorXd& theta) {
  const SparseEvaluation e = evaluate(theta);
  return e.ok ? e.deviance : std::numeric_limits<double>::infinity();
}

double SparseModel::deviance_sigma(const Eigen::VectorXd& theta, double sigma) {
  const SparseEvaluation e = evaluate(theta);
  if (!e.ok || !(sigma > 0)) return std::numeric_limits<double>::quiet_NaN();
  const double s2 = sigma * sigma;
  double dev = e.ldL2 - log_det_w_ + e.pwrss / s2 + n_obs() * (kLog2Pi + std::log(s2));
  if (data_.reml) dev += e.ldRX2 - n_fixed() * (kLog2Pi + std::log(s2));
  return dev;
}

KenwardRoger SparseModel::kenward_roger(const Eigen::VectorXd& theta, double max_cells) {
  require(data_.reml, "ddf", "Kenward-Roger df are defined for REML fits only");
  const SparseEvaluation e = evaluate(theta);
  if (!e.ok) throw NumericalError("the model cannot be evaluated at these parameters", "theta");
  const int n = n_obs(), p = n_fixed();
  const double s2 = e.sigma2;
  // Variance parameters: (term, r, c) for the lower triangle of each G_k,
  // then sigma^2 (term = -1). In the sqrt(w)-scaled rows V_sigma = I.
  struct Par { int term, r, c; };
  std::vector<Par> pars;
  for (size_t k = 0; k < data_.terms.size(); ++k) {
    const int pk = data_.terms[k].p;
    for (int c = 0; c < pk; ++c)
      for (int r = c; r < pk; ++r) pars.push_back({static_cast<int>(k), r, c});
  }
  pars.push_back({-1, 0, 0});
  const int K = static_cast<int>(pars.size());
  if (static_cast<double>(K) * n * n > max_cells)
    throw InputError("Kenward-Roger df need " + std::to_string(K) + " dense " + std::to_string(n) +
                     " x " + std::to_string(n) + " matrices here (too large); use Satterthwaite df",
                     "ddf");
  // Columns of Z for coefficient r of term k, one per level: n x L.
  auto zcols = [&](int k, int r) {
    const int pk = data_.terms[k].p, nl = data_.terms[k].n_levels;
    Eigen::SparseMatrix<double> S(q_, nl);
    std::vector<Eigen::Triplet<double>> t;
    t.reserve(nl);
    for (int l = 0; l < nl; ++l) t.emplace_back(col_offset_[k] + l * pk + r, l, 1.0);
    S.setFromTriplets(t.begin(), t.end());
    return Eigen::SparseMatrix<double>(data_.Z * S);
  };
  const Eigen::SparseMatrix<double> ZL = data_.Z * Lambda_;
  Eigen::MatrixXd V = s2 * Eigen::MatrixXd(ZL * ZL.transpose());
  V.diagonal().array() += s2;
  Eigen::LLT<Eigen::MatrixXd> llt(V);
  if (llt.info() != Eigen::Success)
    throw NumericalError("the marginal covariance is not positive definite", "theta");
  const Eigen::MatrixXd Vi = llt.solve(Eigen::MatrixXd::Identity(n, n));
  V.resize(0, 0);
  const Eigen::MatrixXd& X = data_.X;
  const Eigen::MatrixXd A = Vi * X;  // V^-1 X
  Eigen::LLT<Eigen::MatrixXd> lx(X.transpose() * A);
  if (lx.info() != Eigen::Success)
    throw NumericalError("X' V^-1 X is not positive definite", "theta");
  const Eigen::MatrixXd Phi = lx.solve(Eigen::MatrixXd::Identity(p, p));
  // H_j = V_j V^-1, V_j A and V^-1 V_j A for each parameter.
  std::vector<Eigen::MatrixXd> H(K), VjA(K), ViVjA(K);
  for (int j = 0; j < K; ++j) {
    const Par& pr = pars[j];
    if (pr.term < 0) {
      H[j] = Vi;
      VjA[j] = A;
    } else {
      const Eigen::SparseMatrix<double> Zr = zcols(pr.term, pr.r);
      const Eigen::MatrixXd ZrA = Zr.transpose() * A;
      const Eigen::MatrixXd ZrVi = Zr.transpose() * Vi;
      if (pr.r == pr.c) {
        H[j] = Zr * ZrVi;
        VjA[j] = Zr * ZrA;
      } else {
        const Eigen::SparseMatrix<double> Zc = zcols(pr.term, pr.c);
        const Eigen::MatrixXd ZcVi = Zc.transpose() * Vi;
        H[j] = Zr * ZcVi + Zc * ZrVi;
        VjA[j] = Zr * Eigen::MatrixXd(Zc.transpose() * A) + Zc * ZrA;
      }
    }
    ViVjA[j] = Vi * VjA[j];
  }
  std::vector<Eigen::MatrixXd> P(K);
  for (int j = 0; j < K; ++j) {
    P[j] = -(A.transpose() * VjA[j]);
    P[j] = (0.5 * (P[j] + P[j].transpose())).eval();
  }
  // Q_jk = X' V^-1 V_j V^-1 V_k V^-1 X; expected REML information IE.
  std::vector<Eigen::MatrixXd> Q(static_cast<size_t>(K) * K);
  Eigen::MatrixXd trace = Eigen::MatrixXd::Zero(K, K);
  for (int j = 0; j < K; ++j)
    for (int k = j; k < K; ++k) {
      Q[static_cast<size_t>(j) * K + k] = VjA[j].transpose() * ViVjA[k];
      trace(j, k) = (H[j].transpose().cwiseProduct(H[k])).sum();
    }
  KenwardRoger kr;
  kr.W = inference::kr_weight_matrix(inference::kr_expected_information(trace, Phi, P, Q));
  kr.phi = Phi;
  kr.phi_adj = inference::kr_adjusted_vcov(Phi, P, kr.W, inference::kr_pair_sum(Q, kr.W));
  kr.P = std::move(P);
  kr.scale2 = 1;
  return kr;
}

Eigen::MatrixXd SparseModel::relative_cov(const Eigen::VectorXd& theta, int k) const {
  require(k >= 0 && k < static_cast<int>(data_.terms.size()), "k", "term index out of range");
  const int p = data_.terms[k].p;
  Eigen::MatrixXd T = Eigen::MatrixXd::Zero(p, p);
  for (int j = 0; j < p; ++j)
    for (int i = j; i < p; ++i) T(i, j) = theta(theta_offset_[k] + lower_index(i, j, p));
  return T * T.transpose();
}

Eigen::MatrixXd SparseModel::conditional_var(const Eigen::VectorXd& theta, int k) {
  require(k >= 0 && k < static_cast<int>(data_.terms.size()), "k", "term index out of range");
  update_lambda(theta);
  if (!factorise()) throw NumericalError("the sparse Cholesky factorisation failed", "theta");
  const int p = data_.terms[k].p;
  const int nl = data_.terms[k].n_levels;
  Eigen::MatrixXd T = Eigen::MatrixXd::Zero(p, p);
  for (int j = 0; j < p; ++j)
    for (int i = j; i < p; ++i) T(i, j) = theta(theta_offset_[k] + lower_index(i, j, p));
  Eigen::MatrixXd out(p, p * nl);
  Eigen::VectorXd e = Eigen::VectorXd::Zero(q_);
  Eigen::MatrixXd blk(p, p);
  for (int l = 0; l < nl; ++l) {
    const int c0 = col_offset_[k] + l * p;
    for (int j = 0; j < p; ++j) {
      e(c0 + j) = 1;
      const Eigen::VectorXd x = chol_.solve(e);
      e(c0 + j) = 0;
      blk.col(j) = x.segment(c0, p);
    }
    out.block(0, l * p, p, p) = T * (0.5 * (blk + blk.transpose())) * T.transpose();
  }
  return out;
}

// ---------------------------------------------------------------------------

}  // namespace lmm
}  // namespace glycotrial
