# offset() in mmrm_fit() formulas: the fit equals the fit of y - offset
# without it, and fitted values add the offset back (as lm() does).

test_that("an offset is subtracted from the response and added to fitted values", {
  d <- sim_mmrm_data(n = 40)
  d$OFF <- 0.5 * d$BASE
  d$Y2 <- d$CHG - d$OFF
  f <- mmrm_fit(CHG ~ ARM * AVISIT + offset(OFF) + ar1(AVISIT | USUBJID), d)
  g <- mmrm_fit(Y2 ~ ARM * AVISIT + ar1(AVISIT | USUBJID), d)
  expect_equal(coef(f), coef(g), tolerance = 1e-8)
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(g)), tolerance = 1e-8)
  ok <- !is.na(d$CHG)
  expect_equal(unname(fitted(f)), unname(fitted(g) + d$OFF[ok]), tolerance = 1e-8)
  expect_equal(unname(residuals(f)), unname(residuals(g)), tolerance = 1e-8)
  # Reference for the convention: lm() with the same offset.
  l <- lm(CHG ~ ARM * AVISIT + offset(OFF), d)
  expect_equal(unname(fitted(l)), unname(drop(model.matrix(l) %*% coef(l)) + d$OFF[ok]))
})

test_that("a non-finite offset is a classed error naming the row", {
  d <- sim_mmrm_data(n = 40)
  d$OFF <- 0
  d$OFF[3] <- Inf
  e <- expect_error(mmrm_fit(CHG ~ ARM + AVISIT + offset(OFF) + cs(AVISIT | USUBJID), d),
                    class = "glycotrial_error_offset")
  expect_match(conditionMessage(e), "row 3")
})
