# Observation weights in fit_lmm(): residual variance sigma^2 / w_i (and
# W^{-1/2} R W^{-1/2} with a residual structure). References:
# lme4::lmer(weights = ) for random-effects-only models (fixed effects,
# variance components, logLik to 1e-6 relative, conditional modes to 1e-5)
# and nlme::lme(weights = varFixed(~ 1/w)) with residual AR(1) / CS.

lmm_w_lmer <- function(formula, data, REML = TRUE) {
  lme4::lmer(formula, data, REML = REML, weights = w,
             control = lme4::lmerControl(optimizer = "bobyqa",
                                         optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
}

# vc_tol: 1e-6 relative, except where lme4's own optimum is that imprecise
# on a flat likelihood (then our theta must give lme4's deviance function a
# value at least as low as lme4's optimum).
expect_matches_lmer <- function(f, m, vc_tol = 1e-6) {
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-6)
  expect_gte(as.numeric(logLik(f)), as.numeric(logLik(m)) - 1e-7)
  expect_equal(fixef(f), lme4::fixef(m), tolerance = 1e-6)
  expect_equal(sqrt(f$sigma2), stats::sigma(m), tolerance = 1e-6)
  G <- lme4::VarCorr(m)[[1]]
  attr(G, "stddev") <- attr(G, "correlation") <- NULL
  expect_equal(unname(f$G), unname(G[, ]), tolerance = vc_tol)
  dfun <- lme4::lmer(stats::formula(m), m@frame, weights = `(weights)`,
                     REML = lme4::isREML(m), devFunOnly = TRUE)
  Lf <- t(chol(f$G)) / sqrt(f$sigma2)
  expect_lte(dfun(Lf[lower.tri(Lf, diag = TRUE)]), dfun(lme4::getME(m, "theta")) + 1e-8)
  expect_equal(unname(vcov(f)), unname(as.matrix(stats::vcov(m))), tolerance = 1e-6)
  re <- as.matrix(lme4::ranef(m)[[1]])
  expect_equal(unname(as.matrix(ranef(f))), unname(re[rownames(ranef(f)), , drop = FALSE]),
               tolerance = 1e-5)
  # residuals and fitted values as lme4 (Pearson: scaled by sigma / sqrt(w))
  expect_equal(unname(residuals(f)), unname(residuals(m)), tolerance = 1e-5)
  expect_equal(unname(residuals(f, type = "pearson")), unname(residuals(m, type = "pearson", scaled = TRUE)),
               tolerance = 1e-5)
  expect_equal(unname(fitted(f)), unname(fitted(m)), tolerance = 1e-6)
}

test_that("weighted random intercept + slope on sleepstudy match lme4 (REML and ML)", {
  skip_if_not_installed("lme4")
  data("sleepstudy", package = "lme4")
  set.seed(1)
  sleepstudy$w <- stats::runif(nrow(sleepstudy), 0.3, 3)
  for (reml in c(TRUE, FALSE)) {
    f <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), sleepstudy, reml = reml, weights = "w")
    m <- lmm_w_lmer(Reaction ~ Days + (1 + Days | Subject), sleepstudy, REML = reml)
    expect_matches_lmer(f, m)
  }
  # a numeric vector is the same as the column name
  f2 <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), sleepstudy, weights = sleepstudy$w)
  expect_identical(fixef(f2), fixef(fit_lmm(Reaction ~ Days + (1 + Days | Subject), sleepstudy,
                                            weights = "w")))
})

test_that("weighted models on nlme::Orthodont match lme4 (uncorrelated terms, factor covariate)", {
  skip_if_not_installed("lme4")
  d <- as.data.frame(nlme::Orthodont)
  d$Subject <- factor(as.character(d$Subject))
  d$w <- c(1, 2, 0.5, 4)[(seq_len(nrow(d)) %% 4) + 1] * ifelse(d$Sex == "Female", 1.5, 1)
  f <- fit_lmm(distance ~ age * Sex + (1 | Subject) + (0 + age | Subject), d, weights = "w")
  m <- lmm_w_lmer(distance ~ age * Sex + (1 | Subject) + (0 + age | Subject), d)
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-6)
  expect_equal(fixef(f), lme4::fixef(m), tolerance = 1e-6)
  vc <- as.data.frame(lme4::VarCorr(m))
  expect_equal(unname(diag(f$G)), vc$vcov[1:2], tolerance = 1e-5)
  expect_equal(sqrt(f$sigma2), stats::sigma(m), tolerance = 1e-6)
  re <- lme4::ranef(m)$Subject
  expect_equal(unname(as.matrix(ranef(f))), unname(as.matrix(re[rownames(ranef(f)), ])),
               tolerance = 1e-5)
  f1 <- fit_lmm(distance ~ age + (1 + age | Subject), d, weights = "w", reml = FALSE)
  m1 <- lmm_w_lmer(distance ~ age + (1 + age | Subject), d, REML = FALSE)
  # flat in the slope variance: lme4's optimum is ~1e-6 off (ours is lower)
  expect_matches_lmer(f1, m1, vc_tol = 1e-5)
})

test_that("unit weights change nothing and constant weights only rescale sigma", {
  data("sleepstudy", package = "lme4")
  f0 <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), sleepstudy)
  f1 <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), sleepstudy, weights = rep(1, 180))
  expect_equal(logLik(f1), logLik(f0), tolerance = 1e-12)
  expect_equal(fixef(f1), fixef(f0), tolerance = 1e-10)
  # w = 4 everywhere: the same distributions, reparametrised (hand
  # calculation): the fitted sigma^2 is 4 times larger, so that sigma^2 / w
  # and the likelihood are unchanged, and so is everything else
  f4 <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), sleepstudy, weights = rep(4, 180))
  expect_equal(f4$sigma2, 4 * f0$sigma2, tolerance = 1e-7)
  expect_equal(as.numeric(logLik(f4)), as.numeric(logLik(f0)), tolerance = 1e-10)
  expect_equal(fixef(f4), fixef(f0), tolerance = 1e-7)
  expect_equal(f4$G, f0$G, tolerance = 1e-6)
})

test_that("weights with a residual AR(1) or CS structure match nlme::lme(varFixed(~ 1/w))", {
  glycotrial:::cpp_lmm_register_test_plugins()
  d <- lmm_sim_trial(n = 60, seed = 11)
  d$VIS <- as.integer(d$AVISIT)
  set.seed(3)
  d$w <- stats::runif(nrow(d), 0.4, 2.5)
  d$iw <- 1 / d$w
  for (reml in c(TRUE, FALSE)) {
    f <- fit_lmm(AVAL ~ ARM * WEEK + (1 | USUBJID) + lmm_test_ar1(AVISIT | USUBJID), d,
                 reml = reml, weights = "w")
    m <- nlme::lme(AVAL ~ ARM * WEEK, random = ~ 1 | USUBJID,
                   correlation = nlme::corAR1(form = ~ VIS | USUBJID),
                   weights = nlme::varFixed(~ iw), data = d,
                   method = if (reml) "REML" else "ML", control = nlme_tight())
    expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-8)
    expect_equal(fixef(f), nlme::fixef(m), tolerance = 1e-6)
    expect_equal(unname(f$G[1, 1]), as.numeric(nlme::getVarCov(m)[1, 1]), tolerance = 1e-4)
    expect_equal(unname(vcov(f)), unname(stats::vcov(m)), tolerance = 1e-4)
    re_ref <- as.matrix(nlme::ranef(m))
    expect_lt(max(abs(as.matrix(ranef(f)) - re_ref[rownames(ranef(f)), ])), 1e-4)
    # Pearson residuals as nlme's (within-subject level, weights included)
    rp <- stats::residuals(m, type = "pearson", level = 1)
    expect_equal(unname(residuals(f, type = "pearson")), as.numeric(rp), tolerance = 1e-4)
  }
  # random slope + CS (a random intercept + CS is nearly confounded with it)
  f <- fit_lmm(AVAL ~ ARM + WEEK + (0 + WEEK | USUBJID) + lmm_test_cs(AVISIT | USUBJID), d,
               weights = "w")
  m <- nlme::lme(AVAL ~ ARM + WEEK, random = ~ 0 + WEEK | USUBJID,
                 correlation = nlme::corCompSymm(form = ~ 1 | USUBJID),
                 weights = nlme::varFixed(~ iw), data = d, control = nlme_tight())
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-8)
  expect_equal(fixef(f), nlme::fixef(m), tolerance = 1e-6)
  expect_equal(unname(vcov(f)), unname(stats::vcov(m)), tolerance = 1e-4)
})

test_that("simulate() uses the weighted covariance and residuals skip dropped rows", {
  data("sleepstudy", package = "lme4")
  set.seed(2)
  sleepstudy$w <- stats::runif(nrow(sleepstudy), 0.3, 3)
  f <- fit_lmm(Reaction ~ Days + (1 | Subject), sleepstudy, weights = "w")
  s <- simulate(f, nsim = 2, seed = 7)
  # hand calculation: subject by subject, mu + chol(V)' z with
  # V = tau^2 11' + sigma^2 diag(1 / w), in the same order of draws
  set.seed(7)
  mu <- fitted(f, level = "population")
  ref <- matrix(NA_real_, nrow(sleepstudy), 2)
  for (s_id in levels(f$design$subject)) {
    rows <- which(sleepstudy$Subject == s_id)
    V <- f$G[1, 1] + diag(f$sigma2 / sleepstudy$w[rows])
    V <- V + diag(1e-12 * max(diag(V)), nrow(V))
    ref[rows, ] <- mu[rows] + t(chol(V)) %*% matrix(stats::rnorm(length(rows) * 2), length(rows), 2)
  }
  expect_equal(unname(as.matrix(s)), ref, tolerance = 1e-10)
  # rows with a missing response are dropped together with their weights
  d <- sleepstudy
  d$Reaction[c(3, 50)] <- NA
  fw <- fit_lmm(Reaction ~ Days + (1 | Subject), d, weights = "w")
  fr <- fit_lmm(Reaction ~ Days + (1 | Subject), d[-c(3, 50), ], weights = d$w[-c(3, 50)])
  expect_equal(fixef(fw), fixef(fr), tolerance = 1e-12)
  expect_length(residuals(fw, type = "pearson"), 178)
})

test_that("bad weights give classed errors naming `weights`", {
  data("sleepstudy", package = "lme4")
  fm <- Reaction ~ Days + (1 | Subject)
  n <- nrow(sleepstudy)
  for (w in list(rep(-1, n), c(0, rep(1, n - 1)), c(NA, rep(1, n - 1)), rep("a", n),
                 rep(1, 3), c(Inf, rep(1, n - 1)), "no_such_column", list(1), factor(rep(1, n)))) {
    expect_error(fit_lmm(fm, sleepstudy, weights = w), "weights", class = "glycotrial_error_input")
  }
})
