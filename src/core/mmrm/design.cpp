#include "core/mmrm/design.hpp"

#include <Eigen/Dense>
#include <cmath>

#include "core/common/errors.hpp"

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

DesignMatrix build_design(const std::vector<DesignVar>& vars, const std::vector<int>& factors,
                          int n_term, bool intercept, const std::vector<int>& rows) {
  const int n_var = static_cast<int>(vars.size());
  if (static_cast<int>(factors.size()) != n_var * n_term)
    throw InputError("factor pattern of the wrong size", "factors");
  DesignMatrix out;
  out.n = static_cast<int>(rows.size());
  const std::size_t n = rows.size();
  if (intercept) {
    out.X.assign(n, 1.0);
    out.colnames.push_back("(Intercept)");
    out.assign.push_back(0);
  }
  for (int t = 0; t < n_term; ++t) {
    // columns of this term, built up variable by variable: existing columns
    // vary fastest, as in R's addvar()/addfactor()
    std::vector<std::vector<double>> cols;
    std::vector<std::string> names;
    bool first = true;
    for (int v = 0; v < n_var; ++v) {
      const int code = factors[v + static_cast<std::size_t>(t) * n_var];
      if (code == 0) continue;
      const DesignVar& dv = vars[v];
      // the new variable's columns: values and names
      std::vector<std::vector<double>> vc;
      std::vector<std::string> vn;
      if (dv.is_factor) {
        const int k = static_cast<int>(dv.levels.size());
        const int from = code == 1 ? 2 : 1;
        for (int l = from; l <= k; ++l) {
          std::vector<double> c(n);
          for (std::size_t i = 0; i < n; ++i) c[i] = dv.codes[rows[i]] == l ? 1.0 : 0.0;
          vc.push_back(std::move(c));
          vn.push_back(dv.name + dv.levels[l - 1]);
        }
      } else {
        std::vector<double> c(n);
        for (std::size_t i = 0; i < n; ++i) c[i] = dv.values[rows[i]];
        vc.push_back(std::move(c));
        vn.push_back(dv.name);
      }
      if (first) {
        cols = std::move(vc);
        names = std::move(vn);
        first = false;
      } else {
        std::vector<std::vector<double>> nc;
        std::vector<std::string> nn;
        for (std::size_t j = 0; j < vc.size(); ++j) {
          for (std::size_t k = 0; k < cols.size(); ++k) {
            std::vector<double> c(n);
            for (std::size_t i = 0; i < n; ++i) c[i] = vc[j][i] * cols[k][i];
            nc.push_back(std::move(c));
            nn.push_back(names[k] + ":" + vn[j]);
          }
        }
        cols = std::move(nc);
        names = std::move(nn);
      }
    }
    for (std::size_t j = 0; j < cols.size(); ++j) {
      out.X.insert(out.X.end(), cols[j].begin(), cols[j].end());
      out.colnames.push_back(names[j]);
      out.assign.push_back(t + 1);
    }
  }
  out.p = static_cast<int>(out.colnames.size());
  return out;
}

}  // namespace mmrm
}  // namespace glycotrial
