# Unusual but valid fit_lmm() models: every method runs, gives classed
# errors only where documented, and agrees with lme4 / lmerTest.

edge_lmer <- function(formula, data, REML = TRUE) {
  lmerTest::lmer(formula, data, REML = REML,
                 control = lme4::lmerControl(optimizer = "bobyqa",
                                             optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
}

edge_data <- function() {
  d <- lme4::sleepstudy
  d$F2 <- factor(ifelse(d$Days < 5, "early", "late"))
  d
}

test_that("anova() of an intercept-only model is an empty table, as lmerTest", {
  skip_if_not_installed("lmerTest")
  d <- edge_data()
  f <- fit_lmm(Reaction ~ 1 + (1 | Subject), d)
  m <- edge_lmer(Reaction ~ 1 + (1 | Subject), d)
  for (ddf in c("Satterthwaite", "Kenward-Roger", "residual")) {
    a <- anova(f, ddf = ddf)
    expect_s3_class(a, "anova")
    expect_equal(nrow(a), 0L)
    expect_named(a, c("NumDF", "DenDF", "F value", "Pr(>F)"))
    out <- capture.output(print(a))
    expect_true(any(grepl("No fixed-effect terms to test", out)))
  }
  expect_equal(nrow(anova(m)), 0L)  # lmerTest's answer
  fml <- suppressWarnings(fit_lmm(Reaction ~ 1 + (1 | Subject), d, reml = FALSE))
  expect_equal(nrow(anova(fml)), 0L)
  expect_silent(capture.output(print(anova(fml))))
  # the intercept's t test is in summary(), as lmerTest's
  tab <- summary(f)$coefficients
  cf <- summary(m)$coefficients
  expect_equal(tab$Estimate, unname(cf[, "Estimate"]), tolerance = 1e-6)
  expect_equal(tab$`Std. Error`, unname(cf[, "Std. Error"]), tolerance = 1e-5)
  expect_equal(tab$df, unname(cf[, "df"]), tolerance = 1e-4)
  # profile intervals: variance components work, the only fixed effect is a classed error
  ci <- confint(f, parm = "theta_", method = "profile")
  ci_m <- suppressMessages(confint(m, parm = "theta_", method = "profile", oldNames = FALSE))
  expect_equal(unname(ci), unname(ci_m), tolerance = 1e-3)
  expect_error(confint(f, parm = "(Intercept)", method = "profile"),
               "at least two fixed effects", class = "glycotrial_error_input")
})

test_that("unusual models: all methods run and match lmerTest", {
  skip_if_not_installed("lmerTest")
  skip_if_not_installed("emmeans")
  d <- edge_data()
  cases <- list(
    list(f = Reaction ~ 1 + (1 | Subject), reml = TRUE, spec = ~ 1),
    list(f = Reaction ~ 0 + Days + (1 | Subject), reml = TRUE, spec = ~ Days),
    list(f = Reaction ~ Days + (1 | Subject), reml = TRUE, spec = ~ Days),
    list(f = Reaction ~ F2 + (1 | Subject), reml = TRUE, spec = ~ F2),
    list(f = Reaction ~ 0 + F2 + (1 | Subject), reml = TRUE, spec = ~ F2),
    list(f = Reaction ~ Days + (0 + Days | Subject), reml = TRUE, spec = ~ Days),
    list(f = Reaction ~ Days + (Days | Subject), reml = FALSE, spec = ~ Days)
  )
  for (cs in cases) {
    lab <- paste(deparse(cs$f), if (cs$reml) "REML" else "ML")
    f <- fit_lmm(cs$f, d, reml = cs$reml)
    m <- edge_lmer(cs$f, d, REML = cs$reml)
    # fit
    expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-6, info = lab)
    expect_equal(unname(fixef(f)), unname(lme4::fixef(m)), tolerance = 1e-6, info = lab)
    vc <- VarCorr(f)
    vm <- as.data.frame(lme4::VarCorr(m))
    expect_equal(unname(vc$sd), vm$sdcor[is.na(vm$var2) & vm$grp == "Subject"],
                 tolerance = 1e-5, info = lab)
    expect_equal(vc$sigma, sigma(m), tolerance = 1e-6, info = lab)
    expect_output(print(vc))
    re <- ranef(f)
    expect_equal(unname(as.matrix(re)), unname(as.matrix(lme4::ranef(m)$Subject)),
                 tolerance = 1e-4, info = lab)
    expect_equal(dim(attr(re, "condVar")), c(ncol(re), ncol(re), 18L))
    expect_false(anyNA(coef(f)))
    # t tests and F tests
    tab <- summary(f)$coefficients
    cf <- summary(m)$coefficients
    expect_equal(tab$df, unname(cf[, "df"]), tolerance = 1e-4, info = lab)
    expect_equal(tab$`Pr(>|t|)`, unname(cf[, "Pr(>|t|)"]), tolerance = 1e-4, info = lab)
    expect_output(print(summary(f)))
    a <- anova(f)
    am <- anova(m)
    expect_equal(nrow(a), nrow(am), info = lab)
    if (nrow(a)) {
      expect_equal(a$DenDF, am$DenDF, tolerance = 1e-4, info = lab)
      expect_equal(a$`F value`, am$`F value`, tolerance = 1e-5, info = lab)
    }
    expect_false(anyNA(anova(f, ddf = "residual")))
    if (cs$reml) {
      akr <- anova(f, ddf = "Kenward-Roger")
      if (nrow(a) && requireNamespace("pbkrtest", quietly = TRUE)) {
        amkr <- anova(m, ddf = "Kenward-Roger")
        expect_equal(akr$DenDF, amkr$DenDF, tolerance = 1e-4, info = lab)
      }
      expect_false(anyNA(summary(f, ddf = "Kenward-Roger")$coefficients))
    } else {
      expect_error(anova(f, ddf = "Kenward-Roger"), "REML fits only",
                   class = "glycotrial_error_input")
    }
    # intervals, predictions, simulation
    expect_false(anyNA(confint(f)))
    expect_equal(unname(predict(f)), unname(fitted(m)), tolerance = 1e-5, info = lab)
    nd <- d[c(1, 15, 30), ]
    expect_equal(predict(f, newdata = nd), unname(predict(m, newdata = nd)), tolerance = 1e-5)
    expect_equal(predict(f, newdata = nd, level = "population"),
                 unname(predict(m, newdata = nd, re.form = NA)), tolerance = 1e-5)
    s <- simulate(f, nsim = 2, seed = 1)
    expect_equal(dim(s), c(nrow(d), 2L))
    expect_false(anyNA(s))
    expect_false(anyNA(residuals(f, type = "pearson")))
    # emmeans
    ef <- as.data.frame(emmeans::emmeans(f, cs$spec))
    em <- as.data.frame(emmeans::emmeans(m, cs$spec, lmer.df = "satterthwaite"))
    expect_equal(ef$emmean, em$emmean, tolerance = 1e-6, info = lab)
    expect_equal(ef$df, em$df, tolerance = 1e-4, info = lab)
    # broom
    td <- tidy(f, conf.int = TRUE)
    fx <- td[td$effect == "fixed", ]
    expect_false(anyNA(fx[, c("estimate", "std.error", "df", "p.value", "conf.low", "conf.high")]))
    expect_false(anyNA(td$estimate))
    g <- glance(f)
    expect_equal(g$logLik, as.numeric(logLik(m)), tolerance = 1e-6)
    au <- augment(f)
    expect_equal(nrow(au), nrow(d))
    expect_equal(au$.fitted, unname(fitted(m)), tolerance = 1e-5, info = lab)
    expect_equal(au$.resid, unname(residuals(m)), tolerance = 1e-4, info = lab)
    expect_equal(au$.fixed, unname(predict(m, re.form = NA)), tolerance = 1e-5, info = lab)
  }
})

test_that("augment() with newdata, and bad newdata, for fit_lmm()", {
  d <- edge_data()
  f <- fit_lmm(Reaction ~ Days + (1 | Subject), d)
  nd <- d[1:4, ]
  nd$Subject <- factor(c("308", "308", "new", "new"))
  au <- augment(f, newdata = nd)
  expect_equal(au$.fitted, predict(f, newdata = nd))
  expect_equal(au$.fixed[3:4], au$.fitted[3:4])  # unknown subject: population level
  expect_equal(au$.resid, nd$Reaction - au$.fitted)
  nd$Reaction <- NULL
  expect_true(all(is.na(augment(f, newdata = nd)$.resid)))
  expect_error(augment(f, newdata = 1:3), class = "glycotrial_error_input")
})

test_that("tidy(conf.int = TRUE) gives t intervals with the reported df (lmerTest, emmeans)", {
  skip_if_not_installed("lmerTest")
  d <- edge_data()
  f <- fit_lmm(Reaction ~ Days + (Days | Subject), d)
  m <- edge_lmer(Reaction ~ Days + (Days | Subject), d)
  for (ddf in c("Satterthwaite", "Kenward-Roger")) {
    if (ddf == "Kenward-Roger" && !requireNamespace("pbkrtest", quietly = TRUE)) next
    td <- tidy(f, effects = "fixed", conf.int = TRUE, conf.level = 0.9, ddf = ddf)
    cf <- summary(m, ddf = ddf)$coefficients
    # by hand from lmerTest's t table: estimate -/+ qt(0.95, df) * SE
    q <- stats::qt(0.95, cf[, "df"])
    expect_equal(td$conf.low, unname(cf[, "Estimate"] - q * cf[, "Std. Error"]), tolerance = 1e-5)
    expect_equal(td$conf.high, unname(cf[, "Estimate"] + q * cf[, "Std. Error"]), tolerance = 1e-5)
    expect_equal(td$df.method, rep(ddf, 2))
  }
  # residual df: n - p
  td <- tidy(f, effects = "fixed", conf.int = TRUE, ddf = "residual")
  q <- stats::qt(0.975, nrow(d) - 2)
  se <- sqrt(diag(vcov(f)))
  expect_equal(td$conf.low, unname(fixef(f) - q * se), tolerance = 1e-10)
  # the interval of the intercept-only model's mean equals emmeans' on lmerTest
  skip_if_not_installed("emmeans")
  f1 <- fit_lmm(Reaction ~ 1 + (1 | Subject), d)
  m1 <- edge_lmer(Reaction ~ 1 + (1 | Subject), d)
  em <- as.data.frame(emmeans::emmeans(m1, ~ 1, lmer.df = "satterthwaite"))
  td <- tidy(f1, effects = "fixed", conf.int = TRUE)
  expect_equal(td$conf.low, em$lower.CL, tolerance = 1e-5)
  expect_equal(td$conf.high, em$upper.CL, tolerance = 1e-5)
  # wider than the normal (Wald) intervals of confint()
  ci <- confint(f1)
  expect_lt(td$conf.low, ci[1, 1])
  expect_gt(td$conf.high, ci[1, 2])
})

test_that("anova(fit1, fit2) gives likelihood-ratio tests as lme4 (ML refits)", {
  d <- edge_data()
  f1 <- fit_lmm(Reaction ~ Days + (1 | Subject), d)
  f2 <- fit_lmm(Reaction ~ Days + (Days | Subject), d)
  f0 <- fit_lmm(Reaction ~ 1 + (1 | Subject), d)
  m1 <- lmm_tight_lmer(Reaction ~ Days + (1 | Subject), d)
  m2 <- lmm_tight_lmer(Reaction ~ Days + (Days | Subject), d)
  m0 <- lmm_tight_lmer(Reaction ~ 1 + (1 | Subject), d)
  a <- anova(f2, f0, f1)
  am <- suppressMessages(anova(m2, m0, m1))
  expect_s3_class(a, "anova")
  expect_equal(rownames(a), c("f0", "f1", "f2"))
  expect_equal(a$npar, am$npar)
  expect_equal(a$logLik, am$logLik, tolerance = 1e-6)
  expect_equal(a$AIC, am$AIC, tolerance = 1e-6)
  expect_equal(a$BIC, am$BIC, tolerance = 1e-6)
  expect_equal(a$Chisq[-1], am$Chisq[-1], tolerance = 1e-5)
  expect_equal(a$Df, am$Df)
  expect_equal(a$`Pr(>Chisq)`[-1], am$`Pr(>Chisq)`[-1], tolerance = 1e-5)
  expect_output(print(a), "Likelihood-ratio tests")
  # refit = FALSE keeps the REML criteria
  ar <- anova(f1, f2, refit = FALSE)
  expect_equal(ar$logLik, c(f1$logLik, f2$logLik))
  expect_error(anova(f1, lm(Reaction ~ Days, d)), "fit_lmm", class = "glycotrial_error_input")
  expect_error(anova(f1, fit_lmm(Reaction ~ Days + (1 | Subject), d[-1, ])), "same observations",
               class = "glycotrial_error_input")
})
