#include "core/inference/kenward_roger.hpp"

#include <cmath>
#include <limits>

#include "core/common/errors.hpp"

namespace glycotrial {
namespace inference {

Eigen::MatrixXd kr_expected_information(const Eigen::MatrixXd& trace, const Eigen::MatrixXd& Phi,
                                        const std::vector<Eigen::MatrixXd>& P,
                                        const std::vector<Eigen::MatrixXd>& Q) {
  const int K = static_cast<int>(P.size());
  require(trace.rows() == K && trace.cols() == K && static_cast<int>(Q.size()) == K * K, "Q",
          "traces and Q must be K x K for K derivative matrices");
  Eigen::MatrixXd IE(K, K);
  for (int j = 0; j < K; ++j)
    for (int k = j; k < K; ++k) {
      const Eigen::MatrixXd& Qjk = Q[static_cast<size_t>(j) * K + k];
      IE(j, k) = IE(k, j) = trace(j, k) - 2 * Phi.cwiseProduct(Qjk).sum() +
                            (Phi * P[j]).cwiseProduct(P[k] * Phi).sum();
    }
  return IE;
}

Eigen::MatrixXd kr_weight_matrix(const Eigen::MatrixXd& IE) {
  const int K = static_cast<int>(IE.rows());
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(IE);
  const Eigen::VectorXd ev = es.eigenvalues();
  if (ev.cwiseAbs().minCoeff() > 1e-10) return 2 * IE.inverse();
  const double tol = std::sqrt(std::numeric_limits<double>::epsilon()) * ev.cwiseAbs().maxCoeff();
  Eigen::VectorXd inv = ev;
  for (int i = 0; i < K; ++i) inv(i) = std::fabs(ev(i)) > tol ? 1 / ev(i) : 0;
  return 2 * es.eigenvectors() * inv.asDiagonal() * es.eigenvectors().transpose();
}

Eigen::MatrixXd kr_pair_sum(const std::vector<Eigen::MatrixXd>& M, const Eigen::MatrixXd& W) {
  const int K = static_cast<int>(W.rows());
  const int k = static_cast<int>(std::lround(std::sqrt(static_cast<double>(M.size()))));
  require(k * k == static_cast<int>(M.size()) && k <= K, "M", "pair matrices do not match W");
  if (k == 0) return Eigen::MatrixXd();
  const int off = K - k;
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(M[0].rows(), M[0].cols());
  for (int j = 0; j < k; ++j)
    for (int l = j; l < k; ++l) {
      const Eigen::MatrixXd& Mjl = M[static_cast<size_t>(j) * k + l];
      const double w = W(off + j, off + l);
      if (j == l) out += w * Mjl; else out += w * (Mjl + Mjl.transpose());
    }
  return out;
}

Eigen::MatrixXd kr_adjusted_vcov(const Eigen::MatrixXd& Phi, const std::vector<Eigen::MatrixXd>& P,
                                 const Eigen::MatrixXd& W, const Eigen::MatrixXd& Qw,
                                 const Eigen::MatrixXd& Rw) {
  const int K = static_cast<int>(P.size());
  require(W.rows() == K && W.cols() == K, "W", "W must be K x K for K derivative matrices");
  require(Qw.rows() == Phi.rows() && Qw.cols() == Phi.cols(), "Q", "Q must be p x p");
  std::vector<Eigen::MatrixXd> PhiP(K);
  for (int j = 0; j < K; ++j) PhiP[j] = Phi * P[j];
  Eigen::MatrixXd Lambda = Qw;
  for (int i = 0; i < K; ++i)
    for (int j = 0; j < K; ++j)
      if (W(i, j) != 0) Lambda -= W(i, j) * (P[i] * PhiP[j]);
  if (Rw.size() > 0) Lambda -= Rw / 4;
  Eigen::MatrixXd out = Phi + 2 * Phi * Lambda * Phi;
  return 0.5 * (out + out.transpose());
}

KrDf kr_df(const Eigen::MatrixXd& Phi, const std::vector<Eigen::MatrixXd>& P,
           const Eigen::MatrixXd& W, const Eigen::MatrixXd& L) {
  const int p = static_cast<int>(Phi.rows());
  const int K = static_cast<int>(P.size());
  require(L.cols() == p, "L", "L must have one column per fixed effect");
  require(L.rows() >= 1, "L", "L must have at least one row");
  require(W.rows() == K && W.cols() == K, "W", "W must be K x K for K derivative matrices");
  Eigen::FullPivLU<Eigen::MatrixXd> lu(L);
  require(lu.rank() == L.rows(), "L", "L must have full row rank");
  const int q = static_cast<int>(L.rows());
  const Eigen::MatrixXd LPL = L * Phi * L.transpose();
  const Eigen::MatrixXd Theta = L.transpose() * LPL.ldlt().solve(L);
  const Eigen::MatrixXd ThetaPhi = Theta * Phi;
  std::vector<Eigen::MatrixXd> u(K);
  for (int j = 0; j < K; ++j) u[j] = ThetaPhi * P[j] * Phi;
  double A1 = 0, A2 = 0;
  for (int i = 0; i < K; ++i)
    for (int j = i; j < K; ++j) {
      const double e = i == j ? 1 : 2;
      A1 += e * W(i, j) * u[i].trace() * u[j].trace();
      A2 += e * W(i, j) * u[i].cwiseProduct(u[j].transpose()).sum();
    }
  const double qd = q;
  const double B = (A1 + 6 * A2) / (2 * qd);
  const double g = ((qd + 1) * A1 - (qd + 4) * A2) / ((qd + 2) * A2);
  const double den = 3 * qd + 2 * (1 - g);
  const double c1 = g / den, c2 = (qd - g) / den, c3 = (qd + 2 - g) / den;
  // pbkrtest's guards for the degenerate cases (A2 -> 0, V0 -> 0)
  double V0 = 1 + c1 * B;
  const double V1 = 1 - c2 * B, V2 = 1 - c3 * B;
  if (std::fabs(V0) < 1e-10) V0 = 0;
  const double num = 1 - A2 / qd;
  const double ratio = (std::fabs(num) < 1e-14 && std::fabs(V1) < 1e-14) ? 1.0 : num / V1;
  const double rho = ratio * ratio * V0 / V2 / qd;
  KrDf out;
  out.q = q;
  out.df = 4 + (qd + 2) / (qd * rho - 1);
  out.f_scaling = std::fabs(out.df - 2) < 1e-2 ? 1.0 : out.df * (1 - A2 / qd) / (out.df - 2);
  return out;
}

}  // namespace inference
}  // namespace glycotrial
