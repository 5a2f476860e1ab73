# The dense single-grouping-factor LMM path (R/lmm_dense.R) against lme4.

test_that("the dense path fits a random intercept and slope model as lme4 does", {
  skip_if_not_installed("lme4")
  data("sleepstudy", package = "lme4", envir = environment())
  f <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), sleepstudy)
  expect_false(inherits(f, "glycotrial_lmm_multi"))  # one grouping factor: dense path
  m <- lme4::lmer(Reaction ~ Days + (1 + Days | Subject), sleepstudy, REML = TRUE)
  expect_equal(unname(fixef(f)), unname(lme4::fixef(m)), tolerance = 1e-6)
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-7)
})

test_that("the dense design keeps the rows and subjects of the data", {
  skip_if_not_installed("lme4")
  data("sleepstudy", package = "lme4", envir = environment())
  f <- fit_lmm(Reaction ~ Days + (1 | Subject), sleepstudy[-(1:5), ])
  expect_equal(nobs(f), nrow(sleepstudy) - 5)
  # random-intercept REML by hand: the balanced one-way variance components
  # (ANOVA estimators equal REML here when both are positive)
  d <- sleepstudy
  r <- residuals(lm(Reaction ~ Days + Subject, d))
  g <- fit_lmm(Reaction ~ Days + (1 | Subject), d)
  sigma2 <- sum(r^2) / (nrow(d) - 1 - nlevels(d$Subject))
  expect_equal(VarCorr(g)$sigma^2, sigma2, tolerance = 1e-6)
})
