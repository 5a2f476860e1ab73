# Design pieces shared by the one- and several-grouping-factor LMM paths:
# the fixed-effects design (rank-deficient columns dropped with a classed
# warning, as lm() aliases them), grouping and slope variables checked.

test_that("a rank-deficient fixed design drops the aliased column, as lm() does", {
  d <- lmm_sim_trial(n = 20)
  d$WEEK2 <- 2 * d$WEEK  # collinear with WEEK
  expect_warning(f <- fit_lmm(AVAL ~ ARM + WEEK + WEEK2 + (1 | USUBJID), d),
                 class = "glycotrial_warning_rank_deficient")
  l <- lm(AVAL ~ ARM + WEEK + WEEK2, d)
  expect_identical(names(fixef(f)), names(coef(l))[!is.na(coef(l))])
  g <- fit_lmm(AVAL ~ ARM + WEEK + (1 | USUBJID), d)
  expect_equal(fixef(f), fixef(g), tolerance = 1e-8)
})

test_that("grouping variables without NA and numeric slope variables are required", {
  d <- lmm_sim_trial(n = 20)
  d2 <- d
  d2$USUBJID[3] <- NA
  e <- expect_error(fit_lmm(AVAL ~ ARM + (1 | USUBJID), d2), class = "glycotrial_error")
  expect_match(conditionMessage(e), "USUBJID")
  expect_match(conditionMessage(e), "row 3")
  e <- expect_error(fit_lmm(AVAL ~ ARM + (1 + AVISIT | USUBJID), d), class = "glycotrial_error")
  expect_match(conditionMessage(e), "AVISIT")
})

test_that("confint() parm names select fixed effects and variance components", {
  parm <- glycotrial:::lmm_confint_parm
  b <- c("(Intercept)", "WEEK")
  vc <- c("sd_(Intercept)", "sigma")
  expect_identical(parm("beta_", b, vc), b)
  expect_identical(parm("theta_", b, vc), vc)
  expect_error(parm("nosuch", b, vc), class = "glycotrial_error")
})
