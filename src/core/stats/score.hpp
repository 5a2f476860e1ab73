// Restricted maximum likelihood estimates of (p1, p2) under a fixed contrast
// and the corresponding score statistics (Miettinen & Nurminen 1985; Farrington
// & Manning 1990). Shared by the unstratified and stratified score intervals
// and by the Farrington-Manning test.
#pragma once

namespace glycotrial {
namespace stats {

enum class Contrast { RD, RR, OR };

struct Rmle {
  double p1;
  double p2;
};

// p1 - p2 = delta: closed-form root of the Farrington-Manning cubic.
Rmle rmle_rd(double x1, double n1, double x2, double n2, double delta);
// p1 / p2 = phi: root of a quadratic (Farrington & Manning 1990).
Rmle rmle_rr(double x1, double n1, double x2, double n2, double phi);
// odds(p1) / odds(p2) = psi: root of a quadratic (Miettinen & Nurminen 1985).
Rmle rmle_or(double x1, double n1, double x2, double n2, double psi);
Rmle rmle(Contrast c, double x1, double n1, double x2, double n2, double theta);

// Score statistic for H0: contrast = theta; decreasing in theta.
// bcf = true multiplies the variance by N / (N - 1) (Miettinen-Nurminen);
// bcf = false gives Mee (RD) / Koopman (RR) / unadjusted (OR) statistics.
double score_z(Contrast c, double x1, double n1, double x2, double n2, double theta, bool bcf);

// Numerator and variance of the score statistic (variance without bcf), so
// stratified methods can combine strata.
struct ScoreParts {
  double num;  // observed contrast minus theta, on the score scale
  double var;  // its variance under the restricted MLE
};
ScoreParts score_parts(Contrast c, double x1, double n1, double x2, double n2, double theta);

}  // namespace stats
}  // namespace glycotrial
