# Covariances and degrees of freedom of mmrm_fit() written out by hand: the
# CR0 sandwich (Liang & Zeger 1986; mmrm's "Empirical"), the between-within
# df, and the residual df.

test_that("the Empirical covariance is the CR0 sandwich written out", {
  d <- sim_mmrm_data(n = 40, missing = 0)
  f <- mmrm_fit(CHG ~ ARM + AVISIT + us(AVISIT | USUBJID), d, vcov = "Empirical", df = "Residual")
  g <- mmrm_fit(CHG ~ ARM + AVISIT + us(AVISIT | USUBJID), d, df = "Residual")
  S <- VarCorr(g)
  X <- model.matrix(~ ARM + AVISIT, d)
  r <- d$CHG - drop(X %*% coef(g))
  Phi <- as.matrix(vcov(g))
  meat <- matrix(0, ncol(X), ncol(X))
  for (s in unique(d$USUBJID)) {
    i <- which(d$USUBJID == s)
    Si <- solve(S[as.character(d$AVISIT[i]), as.character(d$AVISIT[i])])
    u <- t(X[i, , drop = FALSE]) %*% Si %*% r[i]
    meat <- meat + u %*% t(u)
  }
  expect_equal(unname(as.matrix(vcov(f))), unname(Phi %*% meat %*% Phi), tolerance = 1e-6)
  expect_equal(coef(f), coef(g))
  skip_if_not_installed("mmrm")
  m <- mmrm::mmrm(CHG ~ ARM + AVISIT + us(AVISIT | USUBJID), d, vcov = "Empirical",
                  method = "Residual")
  expect_equal(unname(as.matrix(vcov(f))), unname(as.matrix(vcov(m))), tolerance = 1e-5)
})

test_that("between-within and residual df count subjects and observations", {
  d <- sim_mmrm_data(n = 40, missing = 0)
  f <- mmrm_fit(CHG ~ ARM + AVISIT + BASE + cs(AVISIT | USUBJID), d, df = "Between-Within")
  df <- summary(f)$coefficients[, "df"]
  # ARM and BASE are constant within subject (between): 40 subjects - 2 - 1
  # (intercept); the visit columns (within) and the intercept: 160 - 40 - 3.
  expect_equal(unname(df[c("ARMDrug", "BASE")]), c(37, 37))
  expect_equal(unname(df[c("(Intercept)", "AVISITV2", "AVISITV3", "AVISITV4")]), rep(117, 4))
  r <- mmrm_fit(CHG ~ ARM + AVISIT + BASE + cs(AVISIT | USUBJID), d, df = "Residual")
  expect_equal(unname(summary(r)$coefficients[, "df"]), rep(160 - 6, 6))
})
