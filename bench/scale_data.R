# The simulated trial of the scale benchmarks (bench/mmrm_moments.R,
# bench/scale.R): n subjects x k visits, ~8 % missing responses, 18
# fixed-effect columns; subject ids start after id0 (for chunks).
gen <- function(n, k = 6, seed = 1, id0 = 0L) {
  set.seed(seed)
  vis <- paste0("W", seq_len(k) * 8)
  N <- n * k
  sid <- rep(seq_len(n), each = k)
  arm <- sample(0:1, n, TRUE)
  base <- rnorm(n, 8, 1)
  d <- data.frame(USUBJID = sid + as.integer(id0), AVISIT = factor(rep(vis, n), levels = vis))
  d$ARM <- factor(c("Placebo", "Drug")[arm + 1L][sid], levels = c("Placebo", "Drug"))
  d$SEX <- factor(c("F", "M")[sample(1:2, n, TRUE)][sid])
  d$REGION <- factor(c("ASIA", "EU", "LATAM", "NAM")[sample(1:4, n, TRUE)][sid])
  d$BASE <- base[sid]
  d$AGE <- rnorm(n, 55, 9)[sid]
  d$BMI <- rnorm(n, 30, 4)[sid]
  d$DIABDUR <- rexp(n, 0.1)[sid]
  u <- rnorm(n)[sid]
  e <- rnorm(N)
  e <- e + c(0, head(e, -1)) * 0.5 * (rep(seq_len(k), n) > 1)
  d$CHG <- -0.3 * (d$BASE - 8) - 0.05 * as.integer(d$AVISIT) -
    0.4 * (d$ARM == "Drug") * as.integer(d$AVISIT) / k + 0.8 * u + e
  d$CHG[runif(N) < 0.08] <- NA
  d
}
