# mmrm_formula(): stage 1 of mmrm_fit() (R/mmrm_formula.R).

test_that("mmrm_formula() splits the covariance term from the fixed effects", {
  f <- mmrm_formula(CHG ~ BASE + ARM * AVISIT + ar1h(AVISIT | ARM / USUBJID))
  expect_s3_class(f, "glycotrial_mmrm_formula")
  expect_identical(f$fixed, CHG ~ BASE + ARM * AVISIT)
  expect_identical(f$response, "CHG")
  expect_identical(f$key, "ar1h")
  expect_identical(c(f$visit, f$subject, f$group), c("AVISIT", "USUBJID", "ARM"))
  expect_identical(f$cov_term, quote(ar1h(AVISIT | ARM / USUBJID)))
  # the term may stand anywhere; a parsed formula passes through unchanged
  g <- mmrm_formula(CHG ~ us(AVISIT | USUBJID) + ARM)
  expect_identical(g$fixed, CHG ~ ARM)
  expect_null(g$group)
  expect_identical(mmrm_formula(g), g)
  expect_output(print(f), "ar1h over visit AVISIT, subject USUBJID, by group ARM")
})

test_that("mmrm_formula() keeps the formula's environment for the fixed part", {
  k <- 3
  f <- mmrm_formula(CHG ~ I(BASE * k) + cs(AVISIT | USUBJID))
  expect_identical(environment(f$fixed), environment())
})

test_that("stopping after the formula stage fits nothing and equals what mmrm_fit() used", {
  skip_if_not_installed("mmrm")
  fev <- suppressWarnings(mmrm::fev_data)
  fit <- mmrm_fit(FEV1 ~ ARMCD + AVISIT + cs(AVISIT | USUBJID), fev)
  f <- mmrm_formula(FEV1 ~ ARMCD + AVISIT + cs(AVISIT | USUBJID))
  expect_identical(f$fixed, fit$formula_fixed)
  expect_identical(f$key, fit$cov_type)
})

test_that("bad formulas give classed errors", {
  expect_error(mmrm_formula("CHG ~ ARM"), class = "glycotrial_error_input")
  expect_error(mmrm_formula(~ ARM + us(AVISIT | USUBJID)), class = "glycotrial_error_input")
  expect_error(mmrm_formula(CHG ~ ARM), class = "glycotrial_error_input")
  expect_error(mmrm_formula(CHG ~ us(AVISIT | USUBJID) + ar1(AVISIT | USUBJID)),
               class = "glycotrial_error_input")
  expect_error(mmrm_formula(CHG ~ us(factor(AVISIT) | USUBJID)), class = "glycotrial_error_input")
  expect_error(mmrm_formula(CHG ~ us(AVISIT | f(ARM) / USUBJID)), class = "glycotrial_error_input")
  expect_error(mmrm_formula(CHG ~ nosuchstructure(AVISIT | USUBJID)), class = "glycotrial_error")
})
