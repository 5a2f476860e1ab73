# Pooling of multiple imputations against hand calculations written out here
# (and against rbmi's own functions when installed).

test_that("Rubin's rules with Barnard-Rubin df equal the hand calculation", {
  est <- c(1, 2, 4)
  se <- c(1, 1, 2)
  # M = 3: mean 7/3; W = (1 + 1 + 4) / 3 = 2;
  # B = ((1 - 7/3)^2 + (2 - 7/3)^2 + (4 - 7/3)^2) / 2 = (16 + 1 + 25) / 18 = 7/3;
  # T = W + (1 + 1/3) B = 2 + 28/9 = 46/9; lambda = (28/9) / (46/9) = 14/23;
  # v_com = 10: v_obs = 11/13 * 10 * (1 - 14/23) = 990/299,
  # v_old = (M - 1) / lambda^2 = 2 * 529 / 196 = 529/98, df = v_old v_obs / (v_old + v_obs).
  r <- glycotrial:::mi_rubin_rules(est, se, v_com = 10)
  expect_equal(r$est, 7 / 3, tolerance = 1e-14)
  expect_equal(r$var_within, 2, tolerance = 1e-14)
  expect_equal(r$var_between, 7 / 3, tolerance = 1e-14)
  expect_equal(r$var, 46 / 9, tolerance = 1e-14)
  v_obs <- 990 / 299
  v_old <- 529 / 98
  expect_equal(r$df, v_old * v_obs / (v_old + v_obs), tolerance = 1e-14)
  # Infinite complete-data df: v_old; Rubin's (1987) df: (M - 1) (M T / ((M + 1) B))^2
  expect_equal(glycotrial:::mi_rubin_rules(est, se, v_com = Inf)$df, v_old, tolerance = 1e-14)
  expect_equal(glycotrial:::mi_rubin_rules(est, se, 10, "rubin")$df,
               2 * (3 * 46 / 9 / (4 * 7 / 3))^2, tolerance = 1e-14)
  # no between-imputation variance: v_obs = (v_com + 1) / (v_com + 3) v_com
  expect_equal(glycotrial:::mi_rubin_rules(c(2, 2), c(1, 1), 10)$df, 110 / 13, tolerance = 1e-14)
  skip_if_not_installed("rbmi")
  rb <- rbmi:::rubin_rules(est, se, v_com = 10, method = "barnard-rubin")
  expect_equal(c(r$est, r$var, r$df), c(rb$est_point, rb$var_t, rb$df), tolerance = 1e-14)
})

test_that("von Hippel-Bartlett pooling equals the hand calculation", {
  # B = 3 samples x D = 2 imputations: rows (1, 3), (2, 2), (6, 4); row means
  # 2, 2, 5, grand mean 3. SSW = 1 + 1 + 0 + 0 + 1 + 1 = 4, MSW = 4 / (3 * 1) = 4/3;
  # SSB = 2 * (1 + 1 + 4) = 12, MSB = 12 / 2 = 6;
  # var = (1 + 1/3) (6 - 4/3) / 2 + (4/3) / 6 = 28/9 + 2/9 = 10/3;
  # df = (10/3)^2 / ((4/6)^2 * 36 / 2 + (16/9) / (3 * 4 * 1)) = 1.36, raised to 3.
  r <- glycotrial:::mi_vhb_pool(c(1, 3, 2, 2, 6, 4), D = 2)
  expect_equal(r$est, 3, tolerance = 1e-14)
  expect_equal(c(r$msw, r$msb), c(4 / 3, 6), tolerance = 1e-14)
  expect_equal(r$var, 10 / 3, tolerance = 1e-14)
  expect_equal(r$df, 3)
  # a case with df above 3: B = 8, D = 2, the formulas written out in R
  e <- c(0, 1, 10, 11, 20, 19, 5, 5, 8, 9, 15, 14, 3, 2, 12, 12)
  m <- matrix(e, 8, 2, byrow = TRUE)
  msw <- sum((m - rowMeans(m))^2) / (8 * 1)
  msb <- 2 * sum((rowMeans(m) - mean(m))^2) / 7
  v <- (1 + 1 / 8) * (msb - msw) / 2 + msw / 16
  df <- v^2 / ((9 / 16)^2 * msb^2 / 7 + msw^2 / (8 * 4 * 1))
  r2 <- glycotrial:::mi_vhb_pool(e, D = 2)
  expect_equal(c(r2$est, r2$var, r2$df), c(mean(e), v, df), tolerance = 1e-14)
  expect_equal(c(r2$msw, r2$msb), c(0.375, 80.678571428571), tolerance = 1e-12)
  expect_gt(r2$df, 3)
  skip_if_not_installed("rbmi")
  rb <- rbmi:::get_ests_bmlmi(e, 2)
  expect_equal(c(r2$est, r2$var, r2$df), c(rb$est_point, rb$est_var, rb$df), tolerance = 1e-14)
})

test_that("t-based intervals and p-values follow the df", {
  r <- glycotrial:::mi_t_ci(1, 0.5, 10, 0.05, "two.sided")
  expect_equal(r$ci, 1 + c(-1, 1) * qt(0.975, 10) * 0.5)
  expect_equal(r$p, 2 * pt(2, 10, lower.tail = FALSE))
  expect_equal(glycotrial:::mi_t_ci(1, 0.5, 10, 0.05, "greater")$p, pt(2, 10, lower.tail = FALSE))
})
