#include "core/lmm/sparse_residual.hpp"

#include <cmath>
#include <limits>
#include <utility>

#include "core/common/errors.hpp"

namespace glycotrial {
namespace lmm {

namespace {

// The sparse core gets the unweighted data: the weights enter the whitening.
SparseData without_weights(SparseData d) {
  d.weights.resize(0);
  return d;
}

}  // namespace

SparseResidualModel::SparseResidualModel(SparseResidualData data, BlockCovariance covariance)
    : data_(std::move(data)),
      covariance_(std::move(covariance)),
      white_(without_weights(data_.model)) {
  const int n = static_cast<int>(data_.model.y.size());
  const auto& ss = data_.subject_start;
  require(!ss.empty() && ss.front() == 0 && ss.back() == n, "subject_start",
          "the residual subjects must cover the rows 0..n");
  require(data_.subject_pattern.size() + 1 == ss.size(), "subject_pattern",
          "one visit pattern per residual subject");
  require(data_.n_theta_r >= 1, "n_theta_r", "the residual structure needs a parameter");
  const int np = static_cast<int>(data_.pattern_coords.size());
  pattern_size_.assign(np, 0);
  pattern_count_.assign(np, 0);
  for (int p = 0; p < np; ++p) pattern_size_[p] = static_cast<int>(data_.pattern_coords[p].size());
  for (size_t s = 0; s + 1 < ss.size(); ++s) {
    const int m = ss[s + 1] - ss[s];
    const int p = data_.subject_pattern[s];
    require(m >= 0, "subject_start", "row offsets must not decrease");
    if (m == 0) continue;
    require(p >= 0 && p < np && pattern_size_[p] == m, "subject_pattern",
            "each subject's pattern must have as many visits as the subject has rows");
    ++pattern_count_[p];
  }
  const Eigen::VectorXd& w = data_.model.weights;
  if (w.size() > 0) {
    require(w.size() == n && w.allFinite() && (w.array() > 0).all(), "weights",
            "weights must be positive and finite, one per observation");
    sqrt_w_ = w.array().sqrt();
    log_w_sum_ = w.array().log().sum();
  }
}

Eigen::VectorXd SparseResidualModel::lower() const {
  Eigen::VectorXd lo(n_theta_re() + n_free());
  lo << white_.theta_lower(),
      Eigen::VectorXd::Constant(n_free(), -std::numeric_limits<double>::infinity());
  return lo;
}

Eigen::VectorXd SparseResidualModel::theta_r(const Eigen::VectorXd& free) const {
  require(free.size() == n_free(), "theta_r", "wrong number of free residual parameters");
  Eigen::VectorXd th = Eigen::VectorXd::Zero(data_.n_theta_r);
  th.tail(n_free()) = free;
  return th;
}

bool SparseResidualModel::whitening(const Eigen::VectorXd& theta_r, Eigen::SparseMatrix<double>* W,
                                    double* logdet, std::vector<Eigen::MatrixXd>* L) const {
  const int np = static_cast<int>(pattern_size_.size());
  std::vector<Eigen::MatrixXd> linv(np);
  L->assign(np, Eigen::MatrixXd());
  double ld = 0;
  for (int p = 0; p < np; ++p) {
    if (pattern_count_[p] == 0) continue;
    const int m = pattern_size_[p];
    const Eigen::MatrixXd C = covariance_(theta_r, data_.pattern_coords[p]);
    if (C.rows() != m || C.cols() != m || !C.allFinite()) return false;
    Eigen::LLT<Eigen::MatrixXd> llt(C);
    if (llt.info() != Eigen::Success) return false;
    const Eigen::MatrixXd Lp = llt.matrixL();
    if ((Lp.diagonal().array() <= 0).any() || !Lp.allFinite()) return false;
    linv[p] = Lp.triangularView<Eigen::Lower>().solve(Eigen::MatrixXd::Identity(m, m));
    ld += pattern_count_[p] * 2 * Lp.diagonal().array().log().sum();
    (*L)[p] = Lp;
  }
  const int n = static_cast<int>(data_.model.y.size());
  std::vector<Eigen::Triplet<double>> trip;
  const auto& ss = data_.subject_start;
  for (size_t s = 0; s + 1 < ss.size(); ++s) {
    const int r0 = ss[s], m = ss[s + 1] - ss[s];
    if (m == 0) continue;
    const Eigen::MatrixXd& Li = linv[data_.subject_pattern[s]];
    for (int j = 0; j < m; ++j) {
      const double wj = sqrt_w_.size() ? sqrt_w_(r0 + j) : 1.0;
      for (int i = j; i < m; ++i) trip.emplace_back(r0 + i, r0 + j, Li(i, j) * wj);
    }
  }
  W->resize(n, n);
  W->setFromTriplets(trip.begin(), trip.end());
  *logdet = ld - log_w_sum_;
  return true;
}

SparseResidualModel::Whitened SparseResidualModel::whitened(const Eigen::VectorXd& theta_r) const {
  Whitened out;
  Eigen::SparseMatrix<double> W;
  if (!whitening(theta_r, &W, &out.logdet, &out.L)) return out;
  out.X = W * data_.model.X;
  out.y = W * data_.model.y;
  out.Z = W * data_.model.Z;
  out.ok = true;
  return out;
}

double SparseResidualModel::deviance(const Eigen::VectorXd& par) {
  const int k = n_theta_re();
  require(par.size() == k + n_free(), "par", "wrong number of parameters");
  if (!par.allFinite()) return std::numeric_limits<double>::infinity();
  const Whitened w = whitened(theta_r(par.tail(n_free())));
  if (!w.ok) return std::numeric_limits<double>::infinity();
  white_.set_data(w.X, w.y, w.Z);
  const double d = white_.deviance(par.head(k)) + w.logdet;
  return std::isfinite(d) ? d : std::numeric_limits<double>::infinity();
}

optim::Result SparseResidualModel::minimise(const Eigen::VectorXd& start, int max_iter,
                                            double grad_tol) {
  optim::ValueObjective fn([this](const Eigen::VectorXd& par) { return deviance(par); });
  return optim::minimise(fn, start, optim::bounded_options(lower(), max_iter, grad_tol));
}

}  // namespace lmm
}  // namespace glycotrial
