# model_selection(): covariance structures tabulated by information criteria.

test_that("model_selection() tabulates structures by AIC, matching individual fits", {
  d <- sim_mmrm_data(n = 60)
  ms <- model_selection(CHG ~ ARM * AVISIT, d, structures = c("us", "ar1", "cs", "nosuch"))
  expect_equal(nrow(ms), 4)
  expect_false(ms$converged[ms$structure == "nosuch"])
  expect_true(all(diff(ms$AIC[!is.na(ms$AIC)]) >= 0))
  f <- mmrm_fit(CHG ~ ARM * AVISIT + ar1(AVISIT | USUBJID), d, df = "Residual")
  expect_equal(ms$AIC[ms$structure == "ar1"], AIC(f))
  expect_equal(ms$AICc[ms$structure == "ar1"], AIC(f, corrected = TRUE))
  expect_error(model_selection("x", d), class = "glycotrial_error_input")
})
