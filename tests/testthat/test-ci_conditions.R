# Interval conditions shared by prop_ci(), diff_ci() and ratio_ci(): NaN
# limits become NA with a classed warning, zero-width intervals are kept and
# flagged.

test_that("undefined limits become NA, zero-width intervals are flagged", {
  flag <- glycotrial:::flag_ci_conditions
  d <- data.frame(estimate = c(0.1, 0.2, 0), lower = c(0.05, NaN, 0), upper = c(0.2, NaN, 0))
  expect_warning(
    expect_warning(out <- flag(d, "hauck-anderson"), class = "glycotrial_warning_undefined_interval"),
    class = "glycotrial_warning_degenerate_interval")
  expect_identical(out$lower, c(0.05, NA, 0))
  expect_identical(out$upper, c(0.2, NA, 0))
  ok <- data.frame(estimate = 0.1, lower = 0.05, upper = 0.2)
  expect_no_warning(expect_identical(flag(ok, "wald"), ok))
})

test_that("a Wald difference with no within-group variance warns through diff_ci()", {
  # 10/10 vs 0/10: p1 - p2 = 1 with variance 1*0/10 + 0*1/10 = 0, so lower = upper = 1.
  expect_warning(r <- diff_ci(10, 10, 0, 10, method = "wald"),
                 class = "glycotrial_warning_degenerate_interval")
  expect_equal(c(r$lower, r$upper), c(1, 1))
})
