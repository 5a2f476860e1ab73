# fit_lmm() with a residual covariance term and no random effects: a
# covariance-pattern model (MMRM) fitted by the LMM core, checked against
# mmrm_fit() and nlme::gls().

resid_only_data <- function() {
  d <- lmm_sim_trial(n = 40, seed = 17)
  set.seed(3)
  d <- d[!(d$WEEK > 0 & stats::runif(nrow(d)) < 0.15), ]
  d$USUBJID <- factor(d$USUBJID)
  d$VIS <- as.integer(d$AVISIT)  # visit index (AR(1) lag = index difference)
  d
}

test_that("ar1 / cs / us residual-only models match mmrm_fit() and nlme::gls()", {
  keys <- glycotrial_plugins("covariance")$key
  skip_if_not(all(c("ar1", "cs", "us") %in% keys))
  d <- resid_only_data()
  gls_cor <- list(
    ar1 = list(cor = nlme::corAR1(form = ~ VIS | USUBJID), w = NULL),
    cs = list(cor = nlme::corCompSymm(form = ~ 1 | USUBJID), w = NULL),
    us = list(cor = nlme::corSymm(form = ~ VIS | USUBJID), w = nlme::varIdent(form = ~ 1 | AVISIT))
  )
  for (key in names(gls_cor)) {
    for (reml in c(TRUE, FALSE)) {
      lab <- paste(key, if (reml) "REML" else "ML")
      fml <- stats::as.formula(sprintf("AVAL ~ ARM * AVISIT + %s(AVISIT | USUBJID)", key))
      f <- fit_lmm(fml, d, reml = reml)
      expect_s3_class(f, "glycotrial_lmm")
      expect_true(f$converged, info = lab)
      mm <- mmrm_fit(fml, d, reml = reml, df = "Satterthwaite")
      expect_equal(as.numeric(logLik(f)), as.numeric(logLik(mm)), tolerance = 1e-6, info = lab)
      expect_equal(unname(fixef(f)), unname(coef(mm)), tolerance = 1e-6, info = lab)
      expect_equal(unname(vcov(f)), unname(as.matrix(vcov(mm))), tolerance = 1e-4, info = lab)
      g <- nlme::gls(AVAL ~ ARM * AVISIT, d, correlation = gls_cor[[key]]$cor,
                     weights = gls_cor[[key]]$w, method = if (reml) "REML" else "ML",
                     control = nlme::glsControl(tolerance = 1e-10, msTol = 1e-10,
                                                maxIter = 200, msMaxIter = 500))
      expect_equal(as.numeric(logLik(f)), as.numeric(logLik(g)), tolerance = 1e-6, info = lab)
      expect_equal(unname(fixef(f)), unname(coef(g)), tolerance = 1e-6, info = lab)
      expect_equal(attr(logLik(f), "df"), attr(logLik(g), "df"), info = lab)
      expect_equal(AIC(f), AIC(g), tolerance = 1e-6, info = lab)
    }
  }
})

test_that("residual-only models: Satterthwaite df, emmeans and methods", {
  skip_if_not("ar1" %in% glycotrial_plugins("covariance")$key)
  d <- resid_only_data()
  fml <- AVAL ~ ARM * AVISIT + ar1(AVISIT | USUBJID)
  f <- fit_lmm(fml, d)
  mm <- mmrm_fit(fml, d, df = "Satterthwaite")
  tf <- tidy(f, effects = "fixed")
  tm <- tidy(mm)
  expect_equal(tf$std.error, tm$std.error, tolerance = 1e-4)
  expect_equal(tf$df, tm$df, tolerance = 1e-3)
  a <- anova(f)
  expect_equal(rownames(a), c("ARM", "AVISIT", "ARM:AVISIT"))
  expect_false(anyNA(a))
  expect_false(anyNA(anova(f, ddf = "Kenward-Roger")))
  # no random effects
  expect_equal(ncol(ranef(f)), 0L)
  expect_equal(nrow(ranef(f)), 40L)
  expect_output(print(VarCorr(f)), "No random effects")
  expect_output(print(f), "ar1\\(AVISIT \\| USUBJID\\)")
  expect_output(print(summary(f)))
  cf <- coef(f)
  expect_equal(unlist(cf[1, ]), fixef(f))
  expect_equal(predict(f), predict(f, level = "population"))
  expect_equal(predict(f, newdata = d[1:3, ]), unname(fitted(f)[1:3]))
  expect_equal(residuals(f), d$AVAL - fitted(f))
  expect_false(anyNA(residuals(f, type = "pearson")))
  s <- simulate(f, nsim = 2, seed = 1)
  expect_equal(dim(s), c(nrow(d), 2L))
  td <- tidy(f)
  # no random effects: the only variance parameters are the residual structure's
  expect_true(all(grepl("__Observation", td$term[td$effect == "ran_pars"])))
  expect_false(anyNA(glance(f)$logLik))
  expect_equal(nrow(augment(f)), nrow(d))
  expect_false(anyNA(confint(f)))
  skip_if_not_installed("emmeans")
  ef <- as.data.frame(emmeans::emmeans(f, ~ ARM | AVISIT))
  em <- as.data.frame(emmeans::emmeans(mm, ~ ARM | AVISIT))
  expect_equal(ef$emmean, em$emmean, tolerance = 1e-6)
  expect_equal(ef$SE, em$SE, tolerance = 1e-4)
  expect_equal(ef$df, em$df, tolerance = 1e-3)
})

test_that("residual-only models: weights as nlme::gls(varFixed), and classed errors", {
  skip_if_not("ar1" %in% glycotrial_plugins("covariance")$key)
  d <- resid_only_data()
  set.seed(5)
  d$W <- stats::runif(nrow(d), 0.5, 2)
  f <- fit_lmm(AVAL ~ ARM + AVISIT + ar1(AVISIT | USUBJID), d, weights = "W")
  g <- nlme::gls(AVAL ~ ARM + AVISIT, d, correlation = nlme::corAR1(form = ~ VIS | USUBJID),
                 weights = nlme::varFixed(~ 1 / W),
                 control = nlme::glsControl(tolerance = 1e-10, msTol = 1e-10))
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(g)), tolerance = 1e-6)
  expect_equal(unname(fixef(f)), unname(coef(g)), tolerance = 1e-6)
  expect_error(fit_lmm(AVAL ~ ARM, d), "neither a random-effect term nor a residual",
               class = "glycotrial_error_input")
  dd <- rbind(d, d[2, ])
  expect_error(fit_lmm(AVAL ~ ARM + ar1(AVISIT | USUBJID), dd), "at most one row per visit",
               class = "glycotrial_error_input")
})
