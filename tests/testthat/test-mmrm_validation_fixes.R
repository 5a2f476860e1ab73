# Regression tests for the defects independent validation found in fit_mmrm()
# (issues 17 and 18), each against an independent reference.

# Continuous times in weeks (2-54, jittered), Gaussian spatial correlation
# with a range of 40 weeks plus a nugget: glycotrial's old start (rho = 0.5,
# i.e. no correlation between any two visits) was a saddle point.
sim_spatial_weeks <- function(seed, n = 200) {
  set.seed(seed)
  d <- expand.grid(v = 1:5, USUBJID = sprintf("S%03d", seq_len(n)))
  d$USUBJID <- factor(d$USUBJID)
  d$TIME <- c(2, 14, 28, 40, 54)[d$v] + stats::runif(nrow(d), -2, 2)
  d$ARM <- factor(ifelse(as.integer(d$USUBJID) %% 2 == 0, "Drug", "Placebo"))
  d <- d[order(d$USUBJID, d$TIME), ]
  e <- unlist(lapply(split(d$TIME, d$USUBJID), function(t) {
    S <- 4 * exp(-(outer(t, t, "-") / 40)^2) + diag(0.3, length(t))
    drop(t(chol(S)) %*% stats::rnorm(length(t)))
  }))
  d$CHG <- e + 0.3 * (d$ARM == "Drug") + 0.02 * d$TIME
  d
}

test_that("sp_gau / sp_exp with times in weeks reach the ML optimum of nlme::gls (issue 17.5)", {
  skip_if_not_installed("nlme")
  d <- sim_spatial_weeks(1)
  for (cs in c("sp_gau", "sp_exp")) {
    f <- stats::as.formula(sprintf("CHG ~ ARM + TIME + %s(TIME | USUBJID)", cs))
    fit <- expect_no_warning(fit_mmrm(f, d, reml = FALSE, df = "Residual"))
    corr <- if (cs == "sp_gau") nlme::corGaus(form = ~ TIME | USUBJID) else
      nlme::corExp(form = ~ TIME | USUBJID)
    g <- nlme::gls(CHG ~ ARM + TIME, d, correlation = corr, method = "ML")
    expect_true(fit$convergence$converged)
    expect_true(fit$convergence$hessian_pd)
    # equal to the reference's optimum and not below it
    expect_lt(abs(fit$loglik - as.numeric(logLik(g))), 1e-4)
    expect_gte(fit$loglik, as.numeric(logLik(g)) - 1e-6)
    expect_equal(unname(fit$beta), unname(coef(g)), tolerance = 1e-4)
  }
})

test_that("a saddle point is not 'converged'; the fallback optimisers escape it (issue 17.5)", {
  skip_if_not_installed("nlme")
  d <- sim_spatial_weeks(1)
  g <- nlme::gls(CHG ~ ARM + TIME, d, correlation = nlme::corGaus(form = ~ TIME | USUBJID),
                 method = "ML")
  f <- CHG ~ ARM + TIME + sp_gau(TIME | USUBJID)
  # theta2 = 0 (rho = 0.5): zero correlation between any two visits, a
  # stationary point that is not a minimum.
  expect_warning(
    stuck <- fit_mmrm(f, d, reml = FALSE, df = "Residual",
                      control = mmrm_control(start = c(1.3, 0), optimizers = "newton")),
    class = "glycotrial_warning_convergence")
  expect_false(stuck$convergence$converged)
  expect_false(stuck$convergence$hessian_pd)
  expect_lt(stuck$loglik, as.numeric(logLik(g)) - 100)
  # Same start, the default optimisers: Newton stops at the saddle, the next
  # optimiser starts along the direction of negative curvature.
  fit <- expect_no_warning(fit_mmrm(f, d, reml = FALSE, df = "Residual",
                                    control = mmrm_control(start = c(1.3, 0))))
  expect_true(fit$convergence$converged)
  expect_true(length(fit$convergence$optimizers_tried) > 1)
  expect_lt(abs(fit$loglik - as.numeric(logLik(g))), 1e-4)
})

test_that("REML sp_gau in weeks agrees with mmrm started at the optimum (issue 17.5)", {
  skip_if_not_installed("mmrm")
  suppressWarnings(requireNamespace("mmrm", quietly = TRUE))  # TMB version note
  d <- sim_spatial_weeks(2)
  fit <- fit_mmrm(CHG ~ ARM + TIME + sp_gau(TIME | USUBJID), d, df = "Residual")
  ref <- suppressWarnings(mmrm::mmrm(CHG ~ ARM + TIME + sp_gau(TIME | USUBJID), d,
                                     start = function(...) c(1, 5)))
  expect_lt(abs(fit$loglik - as.numeric(logLik(ref))), 1e-4)
  expect_gte(fit$loglik, as.numeric(logLik(ref)) - 1e-6)
})
