# Simulated long MMRM data shared by the MMRM tests: n subjects, k visits,
# two arms, a baseline covariate, AR(1)-like correlation with increasing
# variance, and about 10% of responses missing.
sim_mmrm_data <- function(n = 120, k = 4, seed = 42, missing = 0.1) {
  set.seed(seed)
  d <- expand.grid(AVISIT = factor(paste0("V", seq_len(k)), levels = paste0("V", seq_len(k))),
                   USUBJID = sprintf("S%03d", seq_len(n)), stringsAsFactors = FALSE)
  d <- d[, c("USUBJID", "AVISIT")]
  d$ARM <- factor(ifelse(match(d$USUBJID, unique(d$USUBJID)) %% 2 == 0, "Drug", "Placebo"),
                  levels = c("Placebo", "Drug"))
  d$BASE <- rep(rnorm(n), each = k)
  d$ADY <- as.integer(d$AVISIT) * 28 + rep(sample(-3:3, n * k, replace = TRUE))
  d$TIME <- d$ADY / 28
  S <- 0.6^abs(outer(seq_len(k), seq_len(k), "-")) * outer(sqrt(seq_len(k)), sqrt(seq_len(k)))
  e <- t(chol(S)) %*% matrix(rnorm(k * n), k)
  d$CHG <- 1 + 0.5 * d$BASE + 0.4 * (d$ARM == "Drug") * as.integer(d$AVISIT) / k + as.vector(e)
  d$W <- runif(nrow(d), 0.5, 2)
  if (missing > 0) d$CHG[sample(nrow(d), round(missing * nrow(d)))] <- NA
  d
}

# Relative difference, the measure every tolerance in the MMRM tests uses.
rel_diff <- function(a, b) max(abs(a - b) / pmax(abs(b), 1e-8))

# Largest coefficient difference in units of the fit's standard errors
# (stable when a coefficient is near zero).
se_diff <- function(fit, ref) {
  max(abs(coef(fit, complete = FALSE) - ref[names(coef(fit, complete = FALSE))]) /
        sqrt(diag(fit$beta_vcov)))
}
