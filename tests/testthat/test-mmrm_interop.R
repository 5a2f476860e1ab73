# broom tidiers and model_selection().

test_that("tidy() and glance() agree with summary()", {
  d <- sim_mmrm_data(n = 50)
  g <- fit_mmrm(CHG ~ BASE + ARM * AVISIT + ar1(AVISIT | USUBJID), d, df = "Satterthwaite")
  td <- tidy(g, conf.int = TRUE)
  ct <- summary(g)$coefficients
  expect_equal(td$estimate, unname(ct[, "Estimate"]))
  expect_equal(td$df, unname(ct[, "df"]))
  expect_equal(unname(as.matrix(td[, c("conf.low", "conf.high")])), unname(confint(g)))
  gl <- glance(g)
  expect_equal(gl$AIC, AIC(g))
  expect_equal(gl$nobs, nobs(g))
})

test_that("model_selection() tabulates structures by AIC, matching individual fits", {
  d <- sim_mmrm_data(n = 60)
  ms <- model_selection(CHG ~ ARM * AVISIT, d, structures = c("us", "ar1", "cs", "nosuch"))
  expect_equal(nrow(ms), 4)
  expect_false(ms$converged[ms$structure == "nosuch"])
  expect_true(all(diff(ms$AIC[!is.na(ms$AIC)]) >= 0))
  f <- fit_mmrm(CHG ~ ARM * AVISIT + ar1(AVISIT | USUBJID), d, df = "Residual")
  expect_equal(ms$AIC[ms$structure == "ar1"], AIC(f))
  expect_equal(ms$AICc[ms$structure == "ar1"], AIC(f, corrected = TRUE))
  expect_error(model_selection("x", d), class = "glycotrial_error_input")
})
