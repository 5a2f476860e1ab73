# mmrm_fit() against nlme::gls (an independent REML/ML implementation) on
# simulated data, bad input, and internal consistency. Comparisons with the R
# package mmrm are in test-zz-validation_mmrm.R.

gls_ctrl <- nlme::glsControl(tolerance = 1e-10, msTol = 1e-10, maxIter = 500, msMaxIter = 500,
                             returnObject = TRUE)

test_that("us matches gls(corSymm + varIdent): REML and ML (logLik 1e-7, coefficients 1e-4 SE)", {
  d <- sim_mmrm_data()
  for (reml in c(TRUE, FALSE)) {
    f <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), d, reml = reml,
                  df = "Residual")
    g <- nlme::gls(CHG ~ BASE + ARM * AVISIT, data = d, na.action = na.omit,
                   correlation = nlme::corSymm(form = ~ as.integer(AVISIT) | USUBJID),
                   weights = nlme::varIdent(form = ~ 1 | AVISIT),
                   method = if (reml) "REML" else "ML", control = gls_ctrl)
    expect_true(f$convergence$converged)
    # gls' own optimiser stops around 1e-6 relative, hence the tolerance.
    expect_lt(rel_diff(as.numeric(logLik(f)), as.numeric(logLik(g))), 1e-7)
    expect_lt(se_diff(f, coef(g)), 1e-4)
    # gls scales Cov(beta) of an ML fit by N / (N - p); undo that.
    scale <- if (reml) 1 else (nobs(f) - f$n_beta) / nobs(f)
    expect_lt(rel_diff(sqrt(diag(vcov(f))), sqrt(diag(vcov(g)) * scale)), 1e-4)
    complete <- names(which(table(d$USUBJID[!is.na(d$CHG)]) == 4))[1]
    expect_lt(rel_diff(VarCorr(f), unclass(nlme::getVarCov(g, individual = complete))), 1e-4)
  }
})

test_that("ar1, cs, ar1h, csh match gls (logLik rel. tol 1e-7, coefficients 1e-4 SE)", {
  d <- sim_mmrm_data(seed = 7)
  cases <- list(
    ar1 = list(cor = nlme::corAR1(form = ~ as.integer(AVISIT) | USUBJID), w = NULL),
    cs = list(cor = nlme::corCompSymm(form = ~ 1 | USUBJID), w = NULL),
    ar1h = list(cor = nlme::corAR1(form = ~ as.integer(AVISIT) | USUBJID),
                w = nlme::varIdent(form = ~ 1 | AVISIT)),
    csh = list(cor = nlme::corCompSymm(form = ~ 1 | USUBJID),
               w = nlme::varIdent(form = ~ 1 | AVISIT)))
  for (st in names(cases)) {
    f <- mmrm_fit(stats::as.formula(paste0("CHG ~ BASE + ARM * AVISIT + ", st, "(AVISIT | USUBJID)")),
                  d, df = "Residual")
    g <- nlme::gls(CHG ~ BASE + ARM * AVISIT, data = d, na.action = na.omit,
                   correlation = cases[[st]]$cor, weights = cases[[st]]$w, control = gls_ctrl)
    expect_lt(rel_diff(as.numeric(logLik(f)), as.numeric(logLik(g))), 1e-7, label = st)
    expect_lt(se_diff(f, coef(g)), 1e-4, label = st)
    expect_lt(rel_diff(sqrt(diag(vcov(f))), sqrt(diag(vcov(g)))), 1e-4, label = st)
  }
})

test_that("spatial sp_exp and sp_gau match gls corExp and corGaus", {
  d <- sim_mmrm_data(seed = 3)
  f <- mmrm_fit(CHG ~ BASE + ARM + sp_exp(TIME | USUBJID), d, df = "Residual")
  g <- nlme::gls(CHG ~ BASE + ARM, data = d, na.action = na.omit,
                 correlation = nlme::corExp(form = ~ TIME | USUBJID), control = gls_ctrl)
  expect_lt(rel_diff(as.numeric(logLik(f)), as.numeric(logLik(g))), 1e-7)
  expect_lt(se_diff(f, coef(g)), 1e-4)
  # corExp: exp(-d / range) = rho^d with rho = exp(-1 / range).
  rho <- plogis(f$theta[2])
  range <- coef(g$modelStruct$corStruct, unconstrained = FALSE)
  expect_lt(rel_diff(rho, exp(-1 / range)), 1e-4)
  f2 <- mmrm_fit(CHG ~ BASE + ARM + sp_gau(TIME | USUBJID), d, df = "Residual")
  g2 <- nlme::gls(CHG ~ BASE + ARM, data = d, na.action = na.omit,
                  correlation = nlme::corGaus(form = ~ TIME | USUBJID), control = gls_ctrl)
  expect_lt(rel_diff(as.numeric(logLik(f2)), as.numeric(logLik(g2))), 1e-7)
})

test_that("observation weights match gls varFixed (cs; rel. tol 1e-7 on logLik)", {
  d <- sim_mmrm_data(seed = 11)
  d$INVW <- 1 / d$W
  f <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + cs(AVISIT | USUBJID), d, weights = "W",
                df = "Residual")
  g <- nlme::gls(CHG ~ BASE + ARM * AVISIT, data = d, na.action = na.omit,
                 correlation = nlme::corCompSymm(form = ~ 1 | USUBJID),
                 weights = nlme::varFixed(~ INVW), control = gls_ctrl)
  expect_lt(rel_diff(as.numeric(logLik(f)), as.numeric(logLik(g))), 1e-7)
  expect_lt(se_diff(f, coef(g)), 1e-4)
  expect_equal(mmrm_fit(CHG ~ BASE + ARM * AVISIT + cs(AVISIT | USUBJID), d,
                        weights = d$W, df = "Residual")$loglik, f$loglik)
})

test_that("a structure registered from R fits exactly like the built-in one", {
  register_covariance(
    "test_r_cs",
    n_theta = function(n_visits) 2L,
    sigma = function(theta, n_visits, coords) {
      m <- length(coords)
      rho <- (n_visits * plogis(theta[2]) - 1) / (n_visits - 1)  # mmrm's cs map
      s <- matrix(rho, m, m)
      diag(s) <- 1
      exp(2 * theta[1]) * s
    }, description = "cs written in R (test)")
  on.exit(unregister_plugin("covariance", "test_r_cs"), add = TRUE)
  lst <- glycotrial_plugins("covariance")
  expect_equal(lst$implementation[lst$key == "test_r_cs"], "R")
  expect_equal(lst$implementation[lst$key == "us"], "C++")
  expect_equal(lst$package[lst$key == "us"], "glycotrial")
  expect_setequal(lst$key[lst$package == "glycotrial" & lst$implementation == "C++"],
                  c("us", "toep", "toeph", "ar1", "ar1h", "ad", "adh", "cs", "csh", "sp_exp", "sp_gau"))
  d <- sim_mmrm_data(n = 60)
  a <- mmrm_fit(CHG ~ ARM * AVISIT + cs(AVISIT | USUBJID), d, df = "Satterthwaite")
  b <- mmrm_fit(CHG ~ ARM * AVISIT + test_r_cs(AVISIT | USUBJID), d, df = "Satterthwaite")
  expect_equal(b$loglik, a$loglik, tolerance = 1e-9)
  expect_equal(coef(b), coef(a), tolerance = 1e-7)
  expect_equal(b$theta, a$theta, tolerance = 1e-5)
  expect_equal(summary(b)$coefficients[, "df"], summary(a)$coefficients[, "df"], tolerance = 1e-4)
})

test_that("rank-deficient designs give NA for aliased coefficients", {
  d <- sim_mmrm_data(n = 60)
  d$BASE2 <- 2 * d$BASE
  f <- mmrm_fit(CHG ~ BASE + BASE2 + AVISIT + ar1(AVISIT | USUBJID), d, df = "Residual")
  f0 <- mmrm_fit(CHG ~ BASE + AVISIT + ar1(AVISIT | USUBJID), d, df = "Residual")
  expect_true(is.na(coef(f)[["BASE2"]]))
  expect_equal(coef(f, complete = FALSE), coef(f0), tolerance = 1e-8)
  expect_equal(f$loglik, f0$loglik, tolerance = 1e-10)
  expect_true(all(is.na(vcov(f, complete = TRUE)["BASE2", ])))
  expect_error(mmrm_fit(CHG ~ BASE + BASE2 + AVISIT + ar1(AVISIT | USUBJID), d,
                        control = mmrm_fit_control(accept_singular = FALSE)),
               class = "glycotrial_error_input")
})

test_that("df methods: residual and between-within by hand; methods differ", {
  d <- sim_mmrm_data(n = 80, missing = 0)
  f <- mmrm_fit(CHG ~ BASE + ARM + AVISIT + us(AVISIT | USUBJID), d, df = "Residual")
  ct <- summary(f)$coefficients
  expect_equal(unname(ct[, "df"]), rep(nrow(d) - 6, 6))  # n - p
  bw <- update(f, df = "Between-Within")
  ctb <- summary(bw)$coefficients
  # Between: BASE, ARM -> 80 - 2 - 1 (intercept); within: 3 visit columns and,
  # by mmrm's convention, the intercept -> 320 - 80 - 3.
  expect_equal(unname(ctb[c("BASE", "ARMDrug"), "df"]), rep(77, 2))
  expect_equal(unname(ctb[c("(Intercept)", "AVISITV2", "AVISITV3", "AVISITV4"), "df"]), rep(237, 4))
  sat <- update(f, df = "Satterthwaite")
  kr <- update(f, df = "Kenward-Roger")
  expect_false(isTRUE(all.equal(summary(sat)$coefficients[, "df"], ct[, "df"])))
  expect_equal(coef(kr), coef(sat))
  # KR changes the covariance of beta, Satterthwaite does not.
  expect_equal(vcov(sat), f$beta_vcov)
  expect_false(isTRUE(all.equal(vcov(kr), vcov(sat))))
})

test_that("Satterthwaite df of a 1-d contrast equals the closed form for cs on balanced data", {
  # Balanced complete data, cs, a within-subject contrast: the df equal the
  # within-subject residual df (n - 1)(k - 1) of the ANOVA decomposition.
  d <- sim_mmrm_data(n = 40, k = 3, missing = 0)
  f <- mmrm_fit(CHG ~ AVISIT + cs(AVISIT | USUBJID), d, df = "Satterthwaite")
  expect_equal(summary(f)$coefficients["AVISITV2", "df"], 39 * 2, tolerance = 1e-5)
})

test_that("methods return consistent values", {
  d <- sim_mmrm_data(n = 60)
  f <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + ar1h(AVISIT | USUBJID), d, df = "Satterthwaite")
  expect_s3_class(f, "glycotrial_mmrm")
  expect_equal(nobs(f), sum(!is.na(d$CHG)))
  expect_equal(AIC(f), -2 * f$loglik + 2 * f$n_theta)
  expect_equal(BIC(f), -2 * f$loglik + log(60) * f$n_theta)
  expect_equal(deviance(f), -2 * f$loglik)
  expect_equal(unname(fitted(f) + residuals(f)), f$y)
  ci <- confint(f)
  expect_true(all(ci[, 1] < coef(f) & coef(f) < ci[, 2]))
  nr <- residuals(f, type = "normalized")
  expect_equal(length(nr), nobs(f))
  a <- anova(f)
  expect_equal(rownames(a), c("BASE", "ARM", "AVISIT", "ARM:AVISIT"))
  # A 1-df term: F = t^2 and the same df.
  ct <- summary(f)$coefficients
  expect_equal(a["BASE", "F value"], ct["BASE", "t value"]^2, tolerance = 1e-10)
  expect_equal(a["BASE", "Denom Df"], ct["BASE", "df"], tolerance = 1e-10)
  expect_output(print(f), "MMRM fit by REML")
  expect_output(print(summary(f)), "Coefficients")
  p <- predict(f, interval = "confidence")
  expect_equal(unname(p[, "fit"]), unname(fitted(f)), tolerance = 1e-10)
  s <- simulate(f, nsim = 2, seed = 1)
  expect_equal(dim(s), c(nobs(f), 2))
  expect_equal(simulate(f, nsim = 1, seed = 5), simulate(f, nsim = 1, seed = 5))
})

test_that("bad input gives classed errors", {
  d <- sim_mmrm_data(n = 30)
  expect_error(mmrm_fit(CHG ~ ARM + AVISIT, d), "no covariance term",
               class = "glycotrial_error_input")
  expect_error(mmrm_fit(CHG ~ ARM + nosuch(AVISIT | USUBJID), d),
               class = "glycotrial_error_unknown_plugin")
  d2 <- d
  d2$AVISIT <- as.character(d2$AVISIT)
  expect_error(mmrm_fit(CHG ~ ARM + us(AVISIT | USUBJID), d2), "must be a factor",
               class = "glycotrial_error_input")
  expect_error(mmrm_fit(CHG ~ ARM + sp_exp(AVISIT | USUBJID), d), "numeric time",
               class = "glycotrial_error_input")
  d3 <- d
  d3$TIME[!is.na(d3$CHG)][1] <- NA
  expect_error(mmrm_fit(CHG ~ ARM + sp_exp(TIME | USUBJID), d3), "time",
               class = "glycotrial_error_input")
  expect_error(mmrm_fit(CHG ~ ARM + us(AVISIT | USUBJID), rbind(d, d[1, ])), "Duplicated",
               class = "glycotrial_error_input")
  d4 <- d
  d4$GRP <- factor(rep(c("a", "b"), length.out = nrow(d4)))
  expect_error(mmrm_fit(CHG ~ ARM + us(AVISIT | GRP / USUBJID), d4), "more than one group",
               class = "glycotrial_error_input")
  d5 <- d
  d5$CHG <- as.character(d5$CHG)
  expect_error(mmrm_fit(CHG ~ ARM + us(AVISIT | USUBJID), d5), "must be numeric",
               class = "glycotrial_error_input")
  expect_error(mmrm_fit(CHG ~ ARM + us(AVISIT | USUBJID), d, weights = rep(-1, nrow(d))),
               "positive", class = "glycotrial_error_input")
  expect_error(mmrm_fit(CHG ~ ARM + us(AVISIT | USUBJID), d, weights = rep(0, nrow(d))),
               "positive", class = "glycotrial_error_input")
  d6 <- d
  d6$CHG <- NA_real_
  expect_error(mmrm_fit(CHG ~ ARM + us(AVISIT | USUBJID), d6), "missing",
               class = "glycotrial_error_input")
  expect_error(mmrm_fit(CHG ~ ARM + us(AVISIT | USUBJID), d[d$USUBJID %in% c("S001", "S002"), ]),
               "Too few", class = "glycotrial_error_input")
  expect_error(mmrm_fit(CHG ~ ARM + us(AVISIT | USUBJID), d, df = "bogus"),
               class = "glycotrial_error_input")
  expect_error(mmrm_fit("CHG ~ ARM", d), class = "glycotrial_error_input")
  expect_error(mmrm_fit(CHG ~ ARM + us(AVISIT | USUBJID), d, df = "Satterthwaite",
                        vcov = "Kenward-Roger"), class = "glycotrial_error_input")
  d7 <- d
  d7$BASE[!is.na(d7$CHG)][1:3] <- NA
  expect_message(mmrm_fit(CHG ~ BASE + us(AVISIT | USUBJID), d7, df = "Residual"),
                 "dropped 3 rows", class = "glycotrial_message_dropped_rows")
  expect_error(register_covariance("bad key", function(k) 1, function(...) 1),
               class = "glycotrial_error_input")
  expect_error(register_covariance("us", function(k) 1, function(...) 1),
               class = "glycotrial_error_registry_conflict")
})

test_that("non-convergence gives a classed warning and diagnostics", {
  d <- sim_mmrm_data(n = 40)
  expect_warning(
    f <- mmrm_fit(CHG ~ ARM * AVISIT + us(AVISIT | USUBJID), d, df = "Residual",
                  control = mmrm_fit_control(optimizers = "bfgs", max_iter = 1L, grad_tol = 1e-300)),
    class = "glycotrial_warning_convergence")
  expect_false(f$convergence$converged)
  expect_true(is.numeric(f$convergence$max_gradient))
})
