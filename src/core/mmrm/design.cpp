#include "core/mmrm/design.hpp"

#include <Eigen/Dense>
#include <cmath>

namespace glycotrial {
namespace mmrm {

DesignCheck check_design(const double* X, int n, int p, double min_eigen) {
  DesignCheck out;
  Eigen::Map<const Eigen::MatrixXd> Xm(X, n, p);
  out.finite = Xm.allFinite();
  if (!out.finite || p == 0 || n < p) return out;
  Eigen::MatrixXd C = Eigen::MatrixXd::Zero(p, p);
  C.selfadjointView<Eigen::Lower>().rankUpdate(Xm.transpose());
  Eigen::VectorXd d = C.diagonal().cwiseSqrt();
  if (!(d.minCoeff() > 0)) return out;
  Eigen::MatrixXd S = C.selfadjointView<Eigen::Lower>();
  S = d.cwiseInverse().asDiagonal() * S * d.cwiseInverse().asDiagonal();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(S, Eigen::EigenvaluesOnly);
  out.full_rank = es.info() == Eigen::Success && es.eigenvalues().minCoeff() > min_eigen;
  return out;
}

}  // namespace mmrm
}  // namespace glycotrial
