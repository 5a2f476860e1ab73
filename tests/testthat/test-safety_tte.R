# ae_time_to_first(): Kaplan-Meier estimates against survival::survfit and by hand.

test_that("time to first event matches survival::survfit by hand", {
  skip_if_not_installed("survival")
  d <- safety_toy()
  res <- ae_time_to_first(d$adae, d$adsl, terms = "Nausea", times = c(4, 30))
  # A: S2 event day 3, S1 day 5, S3 censored 120 -> KM at day 4: 2/3 remain.
  expect_equal(ard_stat(res, arm = "A", time = 4, stat_name = "cum_inc"), 100 / 3,
               tolerance = 1e-10)
  expect_equal(ard_stat(res, arm = "A", time = 30, stat_name = "cum_inc"), 200 / 3,
               tolerance = 1e-10)
  expect_equal(ard_stat(res, arm = "A", time = 30, stat_name = "n_risk"), 1)
  skip_if_not_installed("ggplot2")
  expect_s3_class(ggplot2::autoplot(res), "ggplot")
})
