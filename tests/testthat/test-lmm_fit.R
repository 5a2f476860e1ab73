# fit_lmm() against lme4::lmer (tightened bobyqa so that the reference is
# converged to ~1e-9): fixed effects, variance components and log-likelihood
# to 1e-6 relative, conditional modes to 1e-5 absolute.

test_that("random intercept and slope on sleepstudy match lme4 (REML and ML)", {
  skip_if_not_installed("lme4")
  data("sleepstudy", package = "lme4")
  for (reml in c(TRUE, FALSE)) {
    f <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), sleepstudy, reml = reml)
    m <- lmm_tight_lmer(Reaction ~ Days + (1 + Days | Subject), sleepstudy, REML = reml)
    expect_equal(fixef(f), lme4::fixef(m), tolerance = 1e-6)
    G <- as.matrix(lme4::VarCorr(m)$Subject)
    attr(G, "stddev") <- attr(G, "correlation") <- NULL
    expect_equal(VarCorr(f)$G, G, tolerance = 1e-6)
    expect_equal(VarCorr(f)$sigma, stats::sigma(m), tolerance = 1e-6)
    expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-6)
    expect_equal(attr(logLik(f), "df"), attr(logLik(m), "df"))
    expect_equal(AIC(f), AIC(m), tolerance = 1e-6)
    expect_equal(BIC(f), BIC(m), tolerance = 1e-6)
    expect_equal(unname(vcov(f)), unname(as.matrix(vcov(m))), tolerance = 1e-5)
    rm <- lme4::ranef(m, condVar = TRUE)$Subject
    rf <- ranef(f)
    expect_lt(max(abs(as.matrix(rf) - as.matrix(rm))), 1e-5)
    expect_equal(attr(rf, "condVar"), attr(rm, "postVar"), tolerance = 1e-5)
    expect_equal(as.matrix(coef(f)), as.matrix(coef(m)$Subject), tolerance = 1e-6)
    expect_false(f$singular)
  }
})

test_that("uncorrelated terms and Orthodont match lme4", {
  skip_if_not_installed("lme4")
  data("sleepstudy", package = "lme4")
  f <- fit_lmm(Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), sleepstudy)
  m <- lmm_tight_lmer(Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), sleepstudy)
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-6)
  expect_equal(unname(diag(VarCorr(f)$G)),
               unname(c(lme4::VarCorr(m)[[1]][1], lme4::VarCorr(m)[[2]][1])), tolerance = 1e-6)
  expect_equal(VarCorr(f)$G[1, 2], 0)
  # `||` expands to the same model
  f2 <- fit_lmm(Reaction ~ Days + (Days || Subject), sleepstudy)
  expect_equal(logLik(f2), logLik(f), tolerance = 1e-8)

  o <- as.data.frame(nlme::Orthodont)
  o$Subject <- factor(as.character(o$Subject))
  f <- fit_lmm(distance ~ age * Sex + (1 + age | Subject), o, reml = FALSE)
  m <- lmm_tight_lmer(distance ~ age * Sex + (1 + age | Subject), o, REML = FALSE)
  expect_equal(fixef(f), lme4::fixef(m), tolerance = 1e-6)
  G <- as.matrix(lme4::VarCorr(m)$Subject)
  attr(G, "stddev") <- attr(G, "correlation") <- NULL
  expect_equal(VarCorr(f)$G, G, tolerance = 1e-6)
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-6)
  expect_lt(max(abs(as.matrix(ranef(f)) - as.matrix(lme4::ranef(m)$Subject))), 1e-5)
})

test_that("simulated trial data with a factor by time interaction match lme4", {
  skip_if_not_installed("lme4")
  d <- lmm_sim_trial()
  f <- fit_lmm(AVAL ~ ARM * WEEK + (1 + WEEK | USUBJID), d)
  m <- lmm_tight_lmer(AVAL ~ ARM * WEEK + (1 + WEEK | USUBJID), d)
  expect_equal(fixef(f), lme4::fixef(m), tolerance = 1e-6)
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-6)
  expect_lt(max(abs(as.matrix(ranef(f)) - as.matrix(lme4::ranef(m)$USUBJID))), 1e-5)
  expect_equal(unname(predict(f)), unname(stats::fitted(m)), tolerance = 1e-6)
  expect_equal(unname(predict(f, level = "population")), unname(predict(m, re.form = NA)),
               tolerance = 1e-6)
  nd <- d[d$USUBJID %in% c("S001", "S002"), ]
  nd$USUBJID[1] <- "NEW"
  expect_equal(predict(f, newdata = nd),
               unname(predict(m, newdata = nd, allow.new.levels = TRUE)), tolerance = 1e-6)
  expect_equal(unname(residuals(f)), unname(stats::residuals(m)), tolerance = 1e-6)
})

test_that("Satterthwaite df match lmerTest", {
  skip_if_not_installed("lmerTest")
  data("sleepstudy", package = "lme4")
  f <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), sleepstudy)
  m <- lmerTest::lmer(Reaction ~ Days + (1 + Days | Subject), sleepstudy,
                      control = lme4::lmerControl(optimizer = "bobyqa",
                                                  optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
  cf <- summary(m)$coefficients
  tab <- summary(f)$coefficients
  expect_equal(tab$df, unname(cf[, "df"]), tolerance = 1e-4)
  expect_equal(tab$`Pr(>|t|)`, unname(cf[, "Pr(>|t|)"]), tolerance = 1e-4)

  d <- lmm_sim_trial(n = 40, seed = 3)
  d$GRP <- factor(rep(c("a", "b", "c"), length.out = nrow(d)))
  f <- fit_lmm(AVAL ~ ARM + WEEK + GRP + (1 + WEEK | USUBJID), d)
  m <- lmerTest::lmer(AVAL ~ ARM + WEEK + GRP + (1 + WEEK | USUBJID), d,
                      control = lme4::lmerControl(optimizer = "bobyqa",
                                                  optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
  a_f <- anova(f)
  a_m <- anova(m, type = 3)
  expect_equal(a_f$DenDF, a_m$DenDF, tolerance = 1e-4)
  expect_equal(a_f$`F value`, a_m$`F value`, tolerance = 1e-5)
  expect_equal(a_f$NumDF, a_m$NumDF)
})

test_that("methods return well-formed results", {
  skip_if_not_installed("lme4")
  data("sleepstudy", package = "lme4")
  f <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), sleepstudy)
  expect_output(print(f), "REML")
  expect_output(print(summary(f)), "Satterthwaite")
  ci <- confint(f)
  z <- stats::qnorm(0.975)
  expect_equal(ci[, 2], fixef(f) + z * sqrt(diag(vcov(f))))
  td <- tidy(f, conf.int = TRUE)
  expect_true(all(c("term", "estimate", "std.error", "df") %in% names(td)))
  expect_equal(td$estimate[td$effect == "fixed"], unname(fixef(f)))
  gl <- glance(f)
  expect_equal(gl$AIC, AIC(f))
  expect_equal(nobs(f), 180L)
  s <- simulate(f, nsim = 200, seed = 1)
  expect_equal(dim(s), c(180L, 200L))
  # simulated marginal variance at day 9 vs model (Z G Z' + sigma^2); loose MC tolerance
  vd9 <- stats::var(unlist(s[sleepstudy$Days == 9, ]))
  G <- VarCorr(f)$G
  expect_equal(vd9, G[1, 1] + 81 * G[2, 2] + 18 * G[1, 2] + f$sigma2, tolerance = 0.15)
  # serialisation: the model pointer is rebuilt
  f2 <- unserialize(serialize(f, NULL))
  expect_equal(summary(f2)$coefficients, summary(f)$coefficients)
})

test_that("singular fits are reported, not errors", {
  set.seed(11)
  d <- data.frame(id = rep(1:30, each = 4), t = rep(0:3, 30))
  d$y <- 1 + 0.5 * d$t + rep(stats::rnorm(30, 0, 1), each = 4) + stats::rnorm(120)
  expect_warning(f <- fit_lmm(y ~ t + (1 + t | id), d),
                 class = "glycotrial_warning_singular_fit")
  expect_true(f$singular)
  skip_if_not_installed("lme4")
  m <- suppressMessages(lmm_tight_lmer(y ~ t + (1 + t | id), d))
  expect_true(lme4::isSingular(m))
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-6)
})

test_that("bad input gives classed errors", {
  d <- lmm_sim_trial(n = 10)
  expect_error(fit_lmm(AVAL ~ WEEK + (1 | USUBJID), d[d$USUBJID == "S001", ]),
               "at least 2 levels", class = "glycotrial_error_input")
  d1 <- d[d$AVISITN == 0, ]
  expect_error(fit_lmm(AVAL ~ 1 + (1 + WEEK | USUBJID), d1[1:4, ]),
               "More random effects", class = "glycotrial_error_input")
  expect_error(fit_lmm(AVAL ~ WEEK + (1 + ARM | USUBJID), d), "must be numeric",
               class = "glycotrial_error_input")
  dn <- d
  dn$USUBJID[3] <- NA
  expect_error(fit_lmm(AVAL ~ WEEK + (1 | USUBJID), dn), "missing values",
               class = "glycotrial_error_input")
  expect_error(fit_lmm(AVAL ~ WEEK, d), "neither a random-effect term", class = "glycotrial_error_input")
  # several grouping factors are fitted (test-lmm_sparse.R), also with a
  # residual structure (test-lmm_sparse_residual.R); a malformed one is an error
  expect_error(fit_lmm(AVAL ~ WEEK + (1 | USUBJID) + (1 | ARM) + ar1(AVISIT), d),
               "must look like", class = "glycotrial_error_input")
  expect_error(fit_lmm(AVAL ~ NOPE + (1 | USUBJID), d), "lacks column",
               class = "glycotrial_error_input")
  expect_error(fit_lmm(AVAL ~ WEEK + (1 | USUBJID), d, reml = "yes"),
               class = "glycotrial_error_input")
  expect_error(fit_lmm(AVAL ~ WEEK + (1 | USUBJID), as.matrix(d)),
               class = "glycotrial_error_input")
  expect_error(fit_lmm(AVAL ~ WEEK + (1 | USUBJID), d, bogus = 1),
               class = "glycotrial_error_input")
  expect_error(lmm_control(max_iter = -1), class = "glycotrial_error_input")
})

test_that("emmeans on fit_lmm() matches emmeans on lmerTest (Satterthwaite df)", {
  skip_if_not_installed("emmeans")
  skip_if_not_installed("lmerTest")
  d <- lmm_sim_trial(n = 40, seed = 3)
  f <- fit_lmm(AVAL ~ ARM * AVISIT + (1 | USUBJID), d)
  m <- lmerTest::lmer(AVAL ~ ARM * AVISIT + (1 | USUBJID), d,
                      control = lme4::lmerControl(optimizer = "bobyqa",
                                                  optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
  ef <- as.data.frame(emmeans::emmeans(f, ~ ARM | AVISIT))
  em <- as.data.frame(emmeans::emmeans(m, ~ ARM | AVISIT, lmer.df = "satterthwaite"))
  expect_equal(ef$emmean, em$emmean, tolerance = 1e-6)
  expect_equal(ef$SE, em$SE, tolerance = 1e-5)
  expect_equal(ef$df, em$df, tolerance = 1e-4)
  cf <- as.data.frame(emmeans::contrast(emmeans::emmeans(f, ~ ARM | AVISIT), "revpairwise"))
  cm <- as.data.frame(emmeans::contrast(emmeans::emmeans(m, ~ ARM | AVISIT,
                                                         lmer.df = "satterthwaite"),
                                        "revpairwise"))
  expect_equal(cf$estimate, cm$estimate, tolerance = 1e-6)
  expect_equal(cf$df, cm$df, tolerance = 1e-4)
})

test_that("profile confidence intervals of fixed effects match lme4's profile", {
  skip_if_not_installed("lme4")
  data("sleepstudy", package = "lme4")
  f <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), sleepstudy, reml = FALSE)
  m <- lmm_tight_lmer(Reaction ~ Days + (1 + Days | Subject), sleepstudy, REML = FALSE)
  ci_f <- confint(f, parm = "beta_", method = "profile")
  ci_m <- suppressMessages(confint(m, parm = "beta_", method = "profile"))
  # lme4 interpolates its profile with splines: agreement to ~1e-4 relative
  expect_equal(unname(ci_f), unname(ci_m), tolerance = 1e-4)
  # the deviance at a bound is the optimum + qchisq(0.95, 1)
  expect_error(confint(f, parm = "nope"), class = "glycotrial_error_input")
})
