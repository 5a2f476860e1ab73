# Input checks of fit_lmm() / predict(): classed errors that name the column,
# instead of errors from model.frame() or silent NaN.

test_that("bad model data are classed errors naming the column", {
  d <- lmm_sim_trial(n = 20)
  d2 <- d
  d2$L <- as.list(d$WEEK)
  e <- expect_error(fit_lmm(AVAL ~ ARM + L + (1 | USUBJID), d2), class = "glycotrial_error_list_column")
  expect_match(conditionMessage(e), "L")
  d2 <- d
  d2$SITE <- "A"
  e <- expect_error(fit_lmm(AVAL ~ ARM + SITE + (1 | USUBJID), d2), class = "glycotrial_error_single_level")
  expect_match(conditionMessage(e), "SITE")
  d2 <- d
  d2$AVAL[2] <- Inf
  expect_error(fit_lmm(AVAL ~ ARM + (1 | USUBJID), d2), class = "glycotrial_error_nonfinite")
  d2 <- d
  d2$AVAL <- 2 + (d2$ARM == "UC-MSC")  # fitted exactly by the fixed effects
  expect_error(fit_lmm(AVAL ~ ARM + (1 | USUBJID), d2), class = "glycotrial_error_perfect_fit")
})

test_that("predict() refuses new data without a column or with a new level", {
  d <- lmm_sim_trial(n = 20)
  f <- fit_lmm(AVAL ~ ARM + WEEK + (1 | USUBJID), d)
  nd <- data.frame(ARM = factor("Placebo", levels = levels(d$ARM)), WEEK = 12)
  # population prediction by hand: intercept + slope * 12
  expect_equal(unname(predict(f, newdata = nd, level = "population")),
               unname(fixef(f)[["(Intercept)"]] + 12 * fixef(f)[["WEEK"]]), tolerance = 1e-10)
  e <- expect_error(predict(f, newdata = nd["ARM"], level = "population"),
                    class = "glycotrial_error_missing_column")
  expect_match(conditionMessage(e), "WEEK")
  nd$ARM <- "Other"
  expect_error(predict(f, newdata = nd, level = "population"), class = "glycotrial_error_new_level")
})
