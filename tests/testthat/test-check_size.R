# Size bounds: a size beyond the bound is a classed error naming the bound,
# checked before anything is allocated.

test_that("sizes up to the bound pass, beyond it a classed error names both", {
  check_size <- glycotrial:::check_size
  expect_identical(check_size(c(10, NA, 1e6), max = 1e6), c(10, NA, 1e6))
  n_boot <- 1e12
  e <- expect_error(check_size(n_boot, max = 1e7, what = "replicates"),
                    class = "glycotrial_error_resources")
  expect_match(conditionMessage(e), "n_boot")
  expect_match(conditionMessage(e), "1,000,000,000,000", fixed = TRUE)
  expect_match(conditionMessage(e), "10,000,000 replicates", fixed = TRUE)
  expect_s3_class(e, "glycotrial_error_input")
})

test_that("the exported entry points refuse sizes beyond their bounds", {
  e <- expect_error(simulate_trial(n = 2^31), class = "glycotrial_error_resources")
  expect_match(conditionMessage(e), "10,000,000 simulated subjects per trial", fixed = TRUE)
})
