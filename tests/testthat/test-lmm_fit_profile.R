# Profile-likelihood intervals of variance components against
# lme4::confint(method = "profile") (which profiles the ML deviance on the SD
# / correlation scale and interpolates its profile with splines: agreement
# to 1e-3 relative; observed ~5e-5), and the constrained deviance of a 3 x 3
# block against a brute-force minimisation of lme4's own deviance function.

test_that("profile intervals of variance components match lme4 (sleepstudy, REML fit)", {
  skip_if_not_installed("lme4")
  data("sleepstudy", package = "lme4")
  f <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), sleepstudy)
  m <- lmm_tight_lmer(Reaction ~ Days + (1 + Days | Subject), sleepstudy)
  ci_f <- confint(f, parm = "theta_", method = "profile")
  ci_m <- suppressMessages(confint(m, parm = "theta_", method = "profile"))
  expect_equal(rownames(ci_f), c("sd__(Intercept)", "cor__(Intercept).Days", "sd__Days",
                                 "sd__Observation"))
  expect_equal(unname(ci_f), unname(ci_m), tolerance = 1e-3)
  # at a bound, the ML deviance with the component fixed is the ML optimum + qchisq(0.95, 1)
  ml <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), sleepstudy, reml = FALSE)
  p <- glycotrial:::cpp_lmm_profile_vc(glycotrial:::lmm_ptr(ml), "sd", 0L, 1L, 1L, ci_f[3, 2],
                                       ml$theta_absolute, 500L, 1e-7, 6L)
  expect_equal(p$deviance - ml$deviance, stats::qchisq(0.95, 1), tolerance = 1e-6)
})

test_that("SDs whose profile does not reach the critical value stop at 0 (Orthodont)", {
  skip_if_not_installed("lme4")
  orth <- as.data.frame(nlme::Orthodont)
  fm <- distance ~ age + (1 | Subject) + (0 + age | Subject)
  f <- fit_lmm(fm, orth)
  m <- lmm_tight_lmer(fm, orth)
  ci_f <- confint(f, method = "profile")
  ci_m <- suppressMessages(confint(m, method = "profile"))
  expect_equal(rownames(ci_f), c("sd__(Intercept)", "sd__age", "sd__Observation",
                                 "(Intercept)", "age"))
  expect_equal(unname(ci_f), unname(ci_m), tolerance = 1e-3)
  expect_equal(unname(ci_f[1:2, 1]), c(0, 0))
})

test_that("constrained deviance of a 3 x 3 block matches a brute-force minimisation of lme4's devfun", {
  skip_if_not_installed("lme4")
  data("sleepstudy", package = "lme4")
  sl <- sleepstudy
  sl$D2 <- (sl$Days - 4.5)^2 / 10
  fm <- Reaction ~ Days + D2 + (1 + Days + D2 | Subject)
  f <- fit_lmm(fm, sl, reml = FALSE)
  dfun <- lme4::lmer(fm, sl, REML = FALSE, devFunOnly = TRUE)
  ptr <- glycotrial:::lmm_ptr(f)
  # correlation of (Intercept) and D2 fixed at -0.2; lme4's relative
  # covariance is scale free, so optimise over 3 log SDs and 2 atanh cors.
  r13 <- -0.2
  brute <- function(par) {
    s <- exp(par[1:3])
    R <- diag(3)
    R[1, 2] <- R[2, 1] <- tanh(par[4])
    R[2, 3] <- R[3, 2] <- tanh(par[5])
    R[1, 3] <- R[3, 1] <- r13
    if (min(eigen(R, symmetric = TRUE, only.values = TRUE)$values) <= 0) return(1e10)
    L <- t(chol(outer(s, s) * R))
    dfun(L[lower.tri(L, diag = TRUE)])
  }
  o <- stats::optim(c(0, -1.5, -0.5, 0, 0), brute, method = "BFGS",
                    control = list(reltol = 1e-14, maxit = 1000))
  o <- stats::optim(o$par, brute, method = "Nelder-Mead", control = list(reltol = 1e-14, maxit = 5000))
  p <- glycotrial:::cpp_lmm_profile_vc(ptr, "cor", 0L, 0L, 2L, r13, f$theta_absolute, 500L, 1e-7, 6L)
  expect_equal(p$deviance, o$value, tolerance = 1e-7)
  # at the estimate the constrained deviance is the ML deviance
  vc <- glycotrial:::lmm_vc_table(f)
  for (k in seq_len(nrow(vc))) {
    r <- vc[k, ]
    pk <- glycotrial:::cpp_lmm_profile_vc(ptr, r$kind, r$block - 1L, r$i - 1L, r$j - 1L,
                                          r$estimate, f$theta_absolute, 500L, 1e-7, 6L)
    expect_equal(pk$deviance, f$deviance, tolerance = 1e-9)
  }
  ci <- confint(f, parm = "theta_", method = "profile")
  expect_true(all(ci[, 1] <= vc$estimate & vc$estimate <= ci[, 2]))
})

test_that("profile intervals work with a residual structure and reject bad parm", {
  d <- lmm_sim_trial(n = 30, seed = 2)
  f <- fit_lmm(AVAL ~ WEEK + (1 | USUBJID) + ar1(AVISIT | USUBJID), d)
  ci <- confint(f, parm = "theta_", method = "profile")
  expect_equal(rownames(ci), "sd__(Intercept)")
  expect_true(ci[1, 1] < sqrt(f$G[1, 1]) && sqrt(f$G[1, 1]) < ci[1, 2])
  expect_error(confint(f, parm = "sd__nope", method = "profile"), "unknown parameter",
               class = "glycotrial_error_input")
  expect_error(confint(f, parm = 1), class = "glycotrial_error_input")
  ci_w <- confint(f, parm = c("theta_", "WEEK"))
  expect_true(is.na(ci_w[1, 1]) && !is.na(ci_w[2, 1]))
})
