// Bivariate standard normal distribution function P(X < a, Y < b) with
// correlation rho, by Plackett's identity (Plackett 1954; Genz 2004, Stat
// Comput 14:251, eq. 3): Phi(a)Phi(b) + int_0^rho phi2(a, b; r) dr, with the
// substitution r = sin(t) that removes the (1 - r^2)^{-1/2} singularity, and
// composite Gauss-Legendre quadrature (absolute error < 1e-12 in tests).
#pragma once

namespace glycotrial {
namespace lmm {

double norm_cdf(double x);
double bvn_cdf(double a, double b, double rho);

}  // namespace lmm
}  // namespace glycotrial
