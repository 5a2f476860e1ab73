# Logistic regression + g-computation: coefficients against stats::glm
# (1e-6), and the delta-method / influence-function standard errors against
# a hand computation written out below (1e-8).

make_gcomp_data <- function(n = 150, seed = 3) {
  set.seed(seed)
  d <- data.frame(ARM = sample(c("Placebo", "UC-MSC"), n, TRUE),
                  HBA1C_BL = rnorm(n, 8.2, 0.9), INS_BL = rlnorm(n, log(40), 0.3))
  lp <- -0.5 + 1.1 * (d$ARM == "UC-MSC") - 0.8 * (d$HBA1C_BL - 8.2) - 0.02 * (d$INS_BL - 40)
  d$RESP <- rbinom(n, 1, plogis(lp))
  d
}

test_that("coefficients match glm and the SEs match the written-out delta method", {
  d <- make_gcomp_data()
  cov <- c("HBA1C_BL", "INS_BL")
  ref <- glm(RESP ~ I(ARM == "UC-MSC") + HBA1C_BL + INS_BL, family = binomial, data = d,
             control = glm.control(epsilon = 1e-12))
  X <- model.matrix(ref); b <- coef(ref); V <- vcov(ref)
  X1 <- X; X1[, 2] <- 1; X0 <- X; X0[, 2] <- 0
  p1 <- plogis(X1 %*% b); p0 <- plogis(X0 %*% b)
  g1 <- colMeans(X1 * as.vector(p1 * (1 - p1))); g0 <- colMeans(X0 * as.vector(p0 * (1 - p0)))
  rd <- mean(p1) - mean(p0)
  se_model <- sqrt(drop(t(g1 - g0) %*% V %*% (g1 - g0)))
  # Influence functions of (beta, mean p1, mean p0) (M-estimation sandwich).
  n <- nrow(d); mu <- fitted(ref)
  ifb <- (X * (d$RESP - mu)) %*% V * n
  if1 <- p1 - mean(p1) + ifb %*% g1; if0 <- p0 - mean(p0) + ifb %*% g0
  se_sand <- sqrt(sum((if1 - if0)^2) / n^2)

  m <- covariate_adjusted_rd(d, "RESP", "ARM", cov, treatment = "UC-MSC", variance = "model")
  s <- covariate_adjusted_rd(d, "RESP", "ARM", cov, treatment = "UC-MSC", variance = "sandwich")
  expect_equal(m$coefficients$estimate, unname(b), tolerance = 1e-6)
  expect_equal(m$coefficients$se, unname(sqrt(diag(V))), tolerance = 1e-6)
  expect_equal(m$estimates$estimate, rd, tolerance = 1e-8)
  expect_equal(m$estimates$p_treatment, mean(p1), tolerance = 1e-8)
  expect_equal(m$estimates$se, se_model, tolerance = 1e-6)
  expect_equal(s$estimates$se, se_sand, tolerance = 1e-6)
  z <- qnorm(0.975)
  expect_equal(c(s$estimates$lower, s$estimates$upper), rd + c(-1, 1) * z * se_sand,
               tolerance = 1e-6)
  expect_equal(m$control, "Placebo")
  td <- tidy(s)
  expect_named(td, c("term", "estimate", "std.error", "statistic", "p.value", "conf.low", "conf.high"))
  expect_output(print(s), "risk difference")
})

test_that("without covariates the g-computation RD is the crude RD with the Wald SE", {
  d <- make_gcomp_data(seed = 9)
  r <- covariate_adjusted_rd(d, "RESP", "ARM", variance = "model")
  tab <- table(d$ARM, d$RESP)
  p1 <- mean(d$RESP[d$ARM == "UC-MSC"]); p0 <- mean(d$RESP[d$ARM == "Placebo"])
  n1 <- sum(d$ARM == "UC-MSC"); n0 <- sum(d$ARM == "Placebo")
  expect_equal(r$estimates$estimate, p1 - p0, tolerance = 1e-8)
  expect_equal(r$estimates$se, sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0), tolerance = 1e-6)
})

test_that("bad input is rejected with classed errors", {
  d <- make_gcomp_data()
  expect_error(covariate_adjusted_rd(d, "RESP", "ARM", "NOPE"), class = "glycotrial_error_input")
  d2 <- d; d2$RESP <- d2$RESP + 1
  expect_error(covariate_adjusted_rd(d2, "RESP", "ARM"), class = "glycotrial_error_input")
  expect_error(covariate_adjusted_rd(d, "RESP", "ARM", treatment = "Drug"),
               class = "glycotrial_error_input")
  d3 <- d; d3$K <- 1
  expect_error(covariate_adjusted_rd(d3, "RESP", "ARM", "K"), class = "glycotrial_error_input")
  d4 <- d; d4$HBA1C_BL[1:3] <- NA
  expect_warning(covariate_adjusted_rd(d4, "RESP", "ARM", "HBA1C_BL"),
                 class = "glycotrial_warning_missing_data")
})
