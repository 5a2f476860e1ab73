# Methods of mmrm_fit() results: information criteria against the R package
# mmrm (same conventions: REML counts the covariance parameters, BIC uses the
# number of subjects), intervals and residuals written out by hand.

test_that("logLik, AIC, BIC agree with mmrm and with the formulas", {
  d <- sim_mmrm_data(n = 60)
  f <- mmrm_fit(CHG ~ ARM * AVISIT + us(AVISIT | USUBJID), d)
  k <- 10  # us over 4 visits: 4 * 5 / 2 parameters
  expect_equal(attr(logLik(f), "df"), k)
  expect_equal(AIC(f), -2 * as.numeric(logLik(f)) + 2 * k)
  expect_equal(BIC(f), -2 * as.numeric(logLik(f)) + log(60) * k)
  n_eff <- nobs(f) - 8  # REML: observations minus fixed effects
  expect_equal(AIC(f, corrected = TRUE), -2 * as.numeric(logLik(f)) + 2 * k * n_eff / (n_eff - k - 1))
  expect_equal(nobs(f), sum(!is.na(d$CHG)))
  skip_if_not_installed("mmrm")
  m <- mmrm::mmrm(CHG ~ ARM * AVISIT + us(AVISIT | USUBJID), d)
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-6)
  expect_equal(AIC(f), AIC(m), tolerance = 1e-6)
  expect_equal(BIC(f), BIC(m), tolerance = 1e-6)
})

test_that("confint, fitted and residuals by hand", {
  d <- sim_mmrm_data(n = 60)
  f <- mmrm_fit(CHG ~ ARM + AVISIT + ar1(AVISIT | USUBJID), d, df = "Residual")
  b <- coef(f)
  se <- sqrt(diag(vcov(f)))
  q <- qt(0.95, nobs(f) - length(b))
  ci <- confint(f, level = 0.9)
  expect_equal(unname(ci[, 1]), unname(b - q * se), tolerance = 1e-10)
  expect_equal(colnames(ci), c("5 %", "95 %"))
  X <- model.matrix(f)
  expect_equal(unname(fitted(f)), unname(drop(X %*% b)), tolerance = 1e-10)
  obs <- d$CHG[!is.na(d$CHG)]
  expect_equal(unname(fitted(f) + residuals(f)), obs, tolerance = 1e-10)
  # ar1: the same variance at every visit, so Pearson residuals are r / sigma.
  s <- sqrt(VarCorr(f)[1, 1])
  expect_equal(unname(residuals(f, type = "pearson")), unname(residuals(f) / s), tolerance = 1e-10)
  expect_error(confint(f, level = 2), class = "glycotrial_error_input")
})
