# Deprecated aliases warn with a classed warning and forward every argument:
# the result equals the new function's.

test_that("fit_mmrm(), mmrm_control() and lsmeans() warn and forward", {
  d <- sim_mmrm_data(n = 40)
  ref <- mmrm_fit(CHG ~ ARM * AVISIT + ar1(AVISIT | USUBJID), d)
  w <- expect_warning(f <- glycotrial:::fit_mmrm(CHG ~ ARM * AVISIT + ar1(AVISIT | USUBJID), d),
                      class = "glycotrial_warning_deprecated")
  expect_identical(w$new, "mmrm_fit")
  expect_equal(coef(f), coef(ref))
  expect_warning(ctl <- glycotrial:::mmrm_control(),
                 class = "glycotrial_warning_deprecated")
  expect_identical(ctl, mmrm_fit_control())
  expect_warning(ls <- glycotrial:::lsmeans(ref, "ARM"), class = "glycotrial_warning_deprecated")
  expect_equal(ls, least_squares_means(ref, "ARM"))
})
