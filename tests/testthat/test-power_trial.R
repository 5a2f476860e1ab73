# power_trial(): reproducible parallel simulation; MMRM power checked against
# the closed-form formula of Lu, Luo & Chen (2008) as implemented in
# longpower::power.mmrm(), with the covariance, retention and effect taken
# from a large simulated trial of the same design.

test_that("MMRM power agrees with Lu, Luo & Chen (2008) within simulation error", {
  skip_if_not_installed("longpower")
  skip_if_not_installed("future.apply")
  visits <- c(0, 4, 8, 24, 48)
  args <- list(dropout = c(0.15, 0.15), missingness = 0, ae_rate = 0, visits = visits,
               ogtt_visits = c(0, 48))
  big <- do.call("simulate_trial", c(list(n = c(700, 700), hba1c_change = c(-1.1, -0.7),
                                        seed = 7), args))
  d <- big$adlb[big$adlb$PARAMCD == "HBA1C" & big$adlb$AVISITN > 0 & !is.na(big$adlb$CHG), ]
  d$AVISIT <- factor(d$AVISITN, levels = visits[-1])
  d$ARM <- factor(d$ARM, levels = c("Placebo", "UC-MSC"))
  fit <- mmrm_fit(CHG ~ BASE + AVISIT + AVISIT:ARM + us(AVISIT | USUBJID), data = d,
                  df = "Satterthwaite")
  Sigma <- fit$sigma
  k <- nrow(Sigma)
  Ra <- stats::cov2cor(Sigma)
  sigmaa <- sqrt(Sigma[k, k])
  ra <- as.numeric(table(d$AVISIT)) / 1400
  delta_hat <- unname(fit$beta_est[paste0("AVISIT", visits[length(visits)], ":ARMUC-MSC")])
  # the design's effect is recovered (the simulation's regression towards the
  # mean attenuates it a little); the closed form uses the estimate
  expect_equal(delta_hat, -0.4, tolerance = 0.3)
  n <- 45
  closed <- longpower::power.mmrm(N = 2 * n, Ra = Ra, ra = ra, sigmaa = sigmaa,
                                  delta = abs(delta_hat), sig.level = 0.05)$power
  old <- future::plan(future::multisession, workers = 2)
  on.exit(future::plan(old), add = TRUE)
  nsim <- 100
  pw <- do.call(power_trial, c(list(n = n, effect = -0.4, nsim = nsim, endpoint = "mmrm",
                                    control_change = -0.7, df = "Satterthwaite", seed = 11),
                               args))
  expect_s3_class(pw, "glycotrial_power")
  expect_equal(pw$n_failed, 0)
  se <- sqrt(closed * (1 - closed) / nsim)
  expect_lt(abs(pw$power - closed), 3 * se)
  expect_equal(pw$mean_estimate, delta_hat, tolerance = 0.2)
})

test_that("power_trial() is reproducible and independent of the number of workers", {
  skip_if_not_installed("future.apply")
  args <- list(n = 15, effect = -1, nsim = 6, endpoint = c("mmrm", "composite"),
               df = "Residual", seed = 3, ae_rate = 0, visits = c(0, 4, 8, 24),
               ogtt_visits = c(0, 24))
  old <- future::plan(future::sequential)
  on.exit(future::plan(old), add = TRUE)
  a <- do.call(power_trial, args)
  b <- do.call(power_trial, args)
  expect_identical(a, b)
  future::plan(future::multisession, workers = 2)
  c2 <- do.call(power_trial, args)
  expect_identical(attr(c2, "sims"), attr(a, "sims"))
  expect_equal(a$endpoint, c("mmrm", "composite"))
  expect_true(all(a$power >= 0 & a$power <= 1))
  expect_output(print(a), "glycotrial_power")
  # the caller's RNG stream is untouched by the seeded parallel streams
  set.seed(1); u1 <- runif(1)
  set.seed(1); future::plan(future::sequential); invisible(do.call(power_trial, args)); u2 <- runif(1)
  expect_identical(u1, u2)
})

test_that("power_trial() rejects bad input with classed errors", {
  expect_error(power_trial(n = 0, effect = 1, nsim = 2), class = "glycotrial_error_input")
  expect_error(power_trial(n = 10, effect = "big", nsim = 2), class = "glycotrial_error_input")
  expect_error(power_trial(n = 10, effect = 1, nsim = 2, endpoint = "os"),
               class = "glycotrial_error_input")
  expect_error(power_trial(n = 10, effect = 1, nsim = 2, hba1c_change = c(1, 2)),
               class = "glycotrial_error_input")
  expect_error(power_trial(n = 10, effect = 1, nsim = 2, alpha = 2),
               class = "glycotrial_error_input")
})
