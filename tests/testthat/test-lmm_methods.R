# Methods of fit_lmm() results against lme4::lmer (tight optimiser settings,
# helper-lmm.R) on sleepstudy: fixed and random effects, variance
# components, information criteria and fitted values.

test_that("fixef, ranef, VarCorr, logLik, AIC, BIC and vcov agree with lme4", {
  skip_if_not_installed("lme4")
  data("sleepstudy", package = "lme4", envir = environment())
  fm <- Reaction ~ Days + (1 + Days | Subject)
  f <- fit_lmm(fm, sleepstudy)
  l <- lmm_tight_lmer(fm, sleepstudy)
  expect_equal(fixef(f), lme4::fixef(l), tolerance = 1e-6)
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(l)), tolerance = 1e-8)
  expect_equal(attr(logLik(f), "df"), attr(logLik(l), "df"))
  expect_equal(AIC(f), AIC(l), tolerance = 1e-8)
  expect_equal(BIC(f), BIC(l), tolerance = 1e-8)
  expect_equal(unname(as.matrix(vcov(f))), unname(as.matrix(vcov(l))), tolerance = 1e-5)
  re <- ranef(f)  # one grouping factor: a data frame, one column per term
  expect_equal(unname(as.matrix(re)), unname(as.matrix(lme4::ranef(l)$Subject)), tolerance = 1e-4)
  expect_equal(nobs(f), 180L)
  # coef() = fixed + random effects per subject, as lme4.
  expect_equal(unname(as.matrix(coef(f))), unname(as.matrix(coef(l)$Subject)), tolerance = 1e-4)
  expect_equal(unname(fitted(f)), unname(fitted(l)), tolerance = 1e-5)
})
