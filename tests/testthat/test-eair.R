test_that("eair reproduces the published exact Poisson check values", {
  # 10 events in 250 patient-years: 4.00 (1.918, 7.356) per 100 PY;
  # 0 events: upper limit 1.476 (Garwood / Ulm exact limits).
  r <- eair(c(10, 0), 250)
  expect_equal(r$rate, c(4, 0))
  expect_equal(r$lower, c(1.918, 0), tolerance = 5e-4)
  expect_equal(r$upper, c(7.356, 1.476), tolerance = 5e-4)
})

test_that("eair equals the chi-square formula", {
  x <- c(0, 1, 3, 17, 250)
  t <- c(12.5, 100, 33.3, 250, 1000)
  r <- eair(x, t, conf_level = 0.9, per = 1000)
  lo <- ifelse(x == 0, 0, stats::qchisq(0.05, 2 * x) / (2 * t)) * 1000
  hi <- stats::qchisq(0.95, 2 * x + 2) / (2 * t) * 1000
  expect_equal(r$lower, lo, tolerance = 1e-10)
  expect_equal(r$upper, hi, tolerance = 1e-10)
  expect_equal(r$rate, x / t * 1000)
  # poisson.test gives the same exact interval for the rate.
  pt <- stats::poisson.test(17, 250, conf.level = 0.9)$conf.int
  expect_equal(r$lower[4], pt[1] * 1000, tolerance = 1e-8)
  expect_equal(r$upper[4], pt[2] * 1000, tolerance = 1e-8)
})

test_that("eair_diff: MOVER and Wald intervals by hand", {
  d <- eair_diff(10, 250, 4, 240)
  e1 <- eair(10, 250)
  e2 <- eair(4, 240)
  r1 <- e1$rate
  r2 <- e2$rate
  expect_equal(d$diff, r1 - r2)
  expect_equal(d$lower, r1 - r2 - sqrt((r1 - e1$lower)^2 + (e2$upper - r2)^2), tolerance = 1e-10)
  expect_equal(d$upper, r1 - r2 + sqrt((e1$upper - r1)^2 + (r2 - e2$lower)^2), tolerance = 1e-10)
  w <- eair_diff(10, 250, 4, 240, method = "wald")
  se <- sqrt(10 / 250^2 + 4 / 240^2) * 100
  expect_equal(w$lower, (10 / 250 - 4 / 240) * 100 - stats::qnorm(0.975) * se, tolerance = 1e-10)
})

test_that("eair rejects bad input with classed errors", {
  expect_error(eair(-1, 10), class = "glycotrial_error_input")
  expect_error(eair(1.5, 10), class = "glycotrial_error_input")
  expect_error(eair(1, 0), class = "glycotrial_error_input")
  expect_error(eair(1, 10, conf_level = 1), class = "glycotrial_error_input")
  expect_error(eair(1:3, c(10, 20)), class = "glycotrial_error_input")
  expect_error(eair_diff(1, 10, 2, 10, method = "exact"), class = "glycotrial_error_input")
})
