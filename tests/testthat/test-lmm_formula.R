# Formulas of fit_lmm(), lme4 style: the fixed part is what lme4::nobars()
# leaves, `||` gives uncorrelated random effects as in lme4, a residual
# covariance term names a registered structure; malformed formulas are
# classed errors.

test_that("the fixed part and || are read as lme4 reads them", {
  skip_if_not_installed("lme4")
  data("sleepstudy", package = "lme4", envir = environment())
  fm <- Reaction ~ Days + I(Days^2) + (1 + Days || Subject)
  f <- fit_lmm(fm, sleepstudy)
  l <- lmm_tight_lmer(fm, sleepstudy)
  expect_identical(names(fixef(f)), colnames(model.matrix(lme4::nobars(fm), sleepstudy)))
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(l)), tolerance = 1e-8)
  # `||`: two variance components and no correlation parameter.
  expect_equal(attr(logLik(f), "df"), 3 + 2 + 1)
})

test_that("a residual covariance term is recognised by its registered key", {
  d <- lmm_sim_trial(n = 20)
  f <- fit_lmm(AVAL ~ ARM + (1 | USUBJID) + ar1(AVISIT | USUBJID), d)
  expect_identical(names(fixef(f)), c("(Intercept)", "ARMUC-MSC"))
  expect_error(fit_lmm(AVAL ~ ARM + (1 | USUBJID) + ar1(AVISIT | USUBJID) + cs(AVISIT | USUBJID), d),
               class = "glycotrial_error")
  expect_error(fit_lmm(AVAL ~ ARM + ar1(AVISIT), d), class = "glycotrial_error")
})

test_that("formulas without a random or residual term, or one-sided, are refused", {
  d <- lmm_sim_trial(n = 20)
  expect_error(fit_lmm(AVAL ~ ARM, d), class = "glycotrial_error")
  expect_error(fit_lmm(~ ARM + (1 | USUBJID), d), class = "glycotrial_error")
  expect_error(fit_lmm(AVAL ~ ARM + (1 | factor(USUBJID)), d), class = "glycotrial_error")
})
