# Delta adjustment and the tipping-point grid.

test_that("delta shifts the ANCOVA estimate by the regression of delta on the design", {
  d <- mi_example_data(n = 40, seed = 6)
  ice <- attr(d, "data_ice")
  v <- mi_example_vars()
  base <- mi_reference_based(d, v, ice, reference = c(TRT = "PBO"), analysis_covariates = "BASE")
  # delta on the imputed values of TRT subjects at WEEK16 (rbmi's delta data frame)
  imp <- mi_imputed_data(base)
  rows <- imp$imputed & imp$ARM == "TRT" & imp$AVISIT == "WEEK16"
  dl <- data.frame(USUBJID = imp$USUBJID[rows], AVISIT = as.character(imp$AVISIT[rows]), delta = 0.7)
  shifted <- mi_reference_based(d, v, ice, reference = c(TRT = "PBO"), analysis_covariates = "BASE",
                                delta = dl)
  # OLS is linear in the response: the change of the ARM coefficient is the
  # ARM coefficient of lm(delta ~ BASE + ARM) at that visit.
  wk <- d[d$AVISIT == "WEEK16", ]
  dvec <- ifelse(wk$USUBJID %in% dl$USUBJID, 0.7, 0)
  expected <- coef(lm(dvec ~ wk$BASE + wk$ARM))[[3]]
  diff <- shifted$results$estimate - base$results$estimate
  expect_equal(diff[4], expected, tolerance = 1e-10)
  expect_equal(diff[1:3], c(0, 0, 0), tolerance = 1e-12)
  # the tipping-point grid reuses the fits and gives the same numbers
  tp <- mi_tipping_point(base, deltas = c(0, 0.7), visits = "WEEK16")
  expect_equal(tp$estimate[tp$delta == 0.7], shifted$results$estimate, tolerance = 1e-12)
  expect_equal(tp$se[tp$delta == 0.7], shifted$results$se, tolerance = 1e-12)
  expect_equal(tp$estimate[tp$delta == 0], base$results$estimate, tolerance = 1e-12)
})

test_that("tipping point: the estimate moves monotonically with delta", {
  d <- mi_example_data(n = 40, seed = 7)
  fit <- mi_reference_based(d, mi_example_vars(), attr(d, "data_ice"), reference = c(TRT = "PBO"))
  tp <- mi_tipping_point(fit, deltas = seq(-1, 1, by = 0.5))
  last <- tp[tp$visit == "WEEK16", ]
  expect_true(all(diff(last$estimate) > 0))
  expect_error(mi_tipping_point(fit, deltas = NA), class = "glycotrial_error_input")
  expect_error(mi_tipping_point(fit, 1, arms = "XX"), class = "glycotrial_error_input", regexp = "XX")
  expect_error(mi_reference_based(d, mi_example_vars(), attr(d, "data_ice"), reference = c(TRT = "PBO"),
                                  delta = data.frame(USUBJID = "ZZZ", AVISIT = "WEEK4", delta = 1)),
               class = "glycotrial_error_input", regexp = "ZZZ")
})
