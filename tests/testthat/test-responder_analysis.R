# responder_analysis(): every number is checked against the stand-alone
# functions (themselves validated against published values) on counts taken
# by hand with table(); Rubin's rules against the formulas written out here.

rsp_example <- function() derive_responders(adlb, adsl, visit = "Week 48")

test_that("complete-case analysis reproduces the published primary result", {
  res <- responder_analysis(rsp_example(), treatment = "UC-MSC", missing = "complete-case",
                            ci = list(diff = c("wald", "newcombe", "mn")))
  expect_equal(res$arms$responders, c(9, 2))
  expect_equal(res$arms$n, c(45, 44))
  w <- res$difference[res$difference$method == "wald", ]
  expect_close(c(w$estimate, w$lower, w$upper), c(0.1545, 0.0225, 0.2866), 5e-5)
  ref <- diff_ci(9, 45, 2, 44, c("wald", "newcombe", "mn"))
  expect_equal(res$difference$lower, ref$lower)
  expect_equal(res$tests$p_value[1], fisher_exact_test(9, 45, 2, 44)$p_value)
  rr <- ratio_ci(9, 45, 2, 44, "rr", "score")
  expect_equal(res$ratios$estimate[1], rr$estimate)
})

test_that("non-responder imputation counts missing as failures; strata and covariates", {
  r <- rsp_example()
  res <- responder_analysis(r, treatment = "UC-MSC", strata = "STRATA",
                            covariates = c("HBA1CBL", "INSDOSBL"))
  expect_equal(res$arms$n, c(45, 46))
  expect_equal(res$missing$n_missing, c(treatment = 0, control = 2))
  y <- ifelse(is.na(r$RESPONDER), 0, r$RESPONDER)
  tab <- table(r$STRATA, r$ARM, y)
  x1 <- tab[, "UC-MSC", "1"]; n1 <- rowSums(tab[, "UC-MSC", ])
  x0 <- tab[, "Placebo", "1"]; n0 <- rowSums(tab[, "Placebo", ])
  expect_equal(res$tests$p_value[res$tests$test == "CMH (general association)"],
               cmh_test(x1, n1, x0, n0)$p_value)
  expect_equal(res$stratified$difference$estimate,
               stratified_diff_ci(x1, n1, x0, n0, c("mh", "mnmh", "mn", "newcombe"))$estimate)
  d <- r; d$Y <- y
  adj <- covariate_adjusted_rd(d, "Y", "ARM", c("HBA1CBL", "INSDOSBL"), treatment = "UC-MSC")
  expect_equal(res$adjusted$estimates$estimate, adj$estimates$estimate)
  df <- as.data.frame(res)
  expect_true(all(c("arm", "risk difference", "relative risk", "odds ratio", "test",
                    "stratified risk difference", "adjusted risk difference") %in% df$section))
  td <- tidy(res)
  expect_true(all(c("estimate", "conf.low", "conf.high", "p.value") %in% names(td)))
  expect_output(print(res), "Risk difference")
  expect_output(print(res), "Stratified")
})

test_that("multiple imputation pools with Rubin's rules as written out", {
  r <- rsp_example()
  res <- responder_analysis(r, treatment = "UC-MSC", missing = "multiple-imputation",
                            n_imputations = 10, seed = 42)
  per <- res$imputation$per_imputation
  m <- nrow(per)
  est <- per[, "p1"] - per[, "p0"]; u <- per[, "v1"] + per[, "v0"]
  qbar <- mean(est); ubar <- mean(u); b <- var(est); tt <- ubar + (1 + 1 / m) * b
  lambda <- (1 + 1 / m) * b / tt
  dfc <- 91 - 2
  df_old <- (m - 1) / lambda^2
  df_obs <- (dfc + 1) / (dfc + 3) * dfc * (1 - lambda)
  df <- 1 / (1 / df_old + 1 / df_obs)
  p <- res$imputation$pooled[1, ]
  expect_equal(p$estimate, qbar, tolerance = 1e-12)
  expect_equal(p$se, sqrt(tt), tolerance = 1e-12)
  expect_equal(p$df, df, tolerance = 1e-10)
  expect_equal(p$lower, qbar - qt(0.975, df) * sqrt(tt), tolerance = 1e-12)
  # Observed subjects keep their observed response: treatment-arm proportion
  # (no missing data there) is 9/45 in every imputation.
  expect_true(all(abs(per[, "p1"] - 9 / 45) < 1e-12))
  # Placebo: 2 observed responders of 46, plus 0-2 imputed.
  expect_true(all(per[, "p0"] * 46 >= 2 - 1e-9 & per[, "p0"] * 46 <= 4 + 1e-9))
  # Reproducible with a seed, and the caller's RNG stream is untouched.
  set.seed(1); a <- runif(1)
  set.seed(1)
  res2 <- responder_analysis(r, treatment = "UC-MSC", missing = "multiple-imputation",
                             n_imputations = 10, seed = 42)
  expect_equal(runif(1), a)
  expect_equal(res2$imputation$pooled, res$imputation$pooled)
  expect_output(print(res), "Multiple imputation")
  expect_output(print(res), "use non-responder imputation")
})

test_that("tipping-point grid: corners equal the extreme imputations", {
  r <- rsp_example()
  res <- responder_analysis(r, treatment = "UC-MSC", missing = "tipping-point")
  tp <- res$tipping
  expect_equal(nrow(tp), 1 * 3)
  worst <- tp[tp$k_control == 2, ]
  ref <- diff_ci(9, 45, 4, 46, "newcombe")
  expect_equal(c(worst$lower, worst$upper), c(ref$lower, ref$upper))
  expect_equal(worst$p_value, fisher_exact_test(9, 45, 4, 46)$p_value)
  nri <- tp[tp$k_control == 0, ]
  expect_equal(nri$estimate, res$difference$estimate[1])
  expect_output(print(res), "Tipping point")
  skip_if_not_installed("ggplot2")
  p <- ggplot2::autoplot(res)
  expect_s3_class(p, "ggplot")
  expect_error(ggplot2::autoplot(responder_analysis(r, treatment = "UC-MSC")),
               class = "glycotrial_error_input")
})

test_that("bad input raises classed errors", {
  r <- derive_responders(fixture_adlb(), fixture_adsl())
  expect_error(responder_analysis(r, missing = "LOCF"), class = "glycotrial_error_input")
  expect_error(responder_analysis(r, ci = list(diff = "bogus")),
               class = "glycotrial_error_unknown_method")
  expect_error(responder_analysis(r, ci = list(foo = "wald")), class = "glycotrial_error_input")
  # Strata with a single arm.
  r2 <- r; r2$STRATA <- c("x", "x", "x", "y", "y", "y", "y")
  expect_error(responder_analysis(r2, strata = "STRATA"),
               class = "glycotrial_error_single_arm_stratum")
  # All week-48 data missing in one arm.
  r3 <- r; r3$RESPONDER[r3$ARM == "P"] <- NA
  expect_error(responder_analysis(r3), class = "glycotrial_error_all_missing")
  # Multiple imputation needs derive_responders() output.
  expect_error(responder_analysis(as.data.frame(unclass(r))[, c("ARM", "RESPONDER")],
                                  missing = "multiple-imputation"),
               class = "glycotrial_error_input")
})
