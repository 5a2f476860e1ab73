# Model data checks of mmrm_fit(): list columns, single-level factors and
# data beyond the representable scale are classed errors; logical
# covariates are fitted as the two-level factors model.matrix() makes.

test_that("bad columns are classed errors that name the column", {
  d <- sim_mmrm_data(n = 40)
  d2 <- d
  d2$L <- as.list(d$BASE)
  e <- expect_error(mmrm_fit(CHG ~ ARM + AVISIT + L + cs(AVISIT | USUBJID), d2),
                    class = "glycotrial_error_list_column")
  expect_match(conditionMessage(e), "L")
  d2 <- d
  d2$SEX <- "F"
  e <- expect_error(mmrm_fit(CHG ~ ARM + AVISIT + SEX + cs(AVISIT | USUBJID), d2),
                    class = "glycotrial_error_single_level")
  expect_match(conditionMessage(e), "SEX")
  d2 <- d
  d2$CHG <- d2$CHG * 1e120
  expect_error(mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), d2),
               class = "glycotrial_error_scale")
})

test_that("a logical covariate gives the coefficient a factor FALSE/TRUE gives", {
  d <- sim_mmrm_data(n = 40)
  d$HIGH <- d$BASE > 0
  d$HIGHF <- factor(d$HIGH, levels = c(FALSE, TRUE))
  f <- mmrm_fit(CHG ~ ARM + AVISIT + HIGH + cs(AVISIT | USUBJID), d)
  g <- mmrm_fit(CHG ~ ARM + AVISIT + HIGHF + cs(AVISIT | USUBJID), d)
  expect_true("HIGHTRUE" %in% names(coef(f)))
  expect_equal(unname(coef(f)), unname(coef(g)), tolerance = 1e-10)
  # the same name as lm() gives the logical column
  expect_true("HIGHTRUE" %in% names(coef(lm(CHG ~ HIGH, d))))
})
