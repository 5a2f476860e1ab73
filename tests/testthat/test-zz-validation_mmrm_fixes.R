# Regression tests for the defects independent validation found in mmrm_fit()
# (issues 17 and 18), each against an independent reference.

suppressWarnings(requireNamespace("mmrm", quietly = TRUE))  # TMB version note on load

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
    fit <- expect_no_warning(mmrm_fit(f, d, reml = FALSE, df = "Residual"))
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
    stuck <- mmrm_fit(f, d, reml = FALSE, df = "Residual",
                      control = mmrm_fit_control(start = c(1.3, 0), optimizers = "newton")),
    class = "glycotrial_warning_convergence")
  expect_false(stuck$convergence$converged)
  expect_false(stuck$convergence$hessian_pd)
  expect_lt(stuck$loglik, as.numeric(logLik(g)) - 100)
  # Same start, the default optimisers: Newton stops at the saddle, the next
  # optimiser starts along the direction of negative curvature.
  fit <- expect_no_warning(mmrm_fit(f, d, reml = FALSE, df = "Residual",
                                    control = mmrm_fit_control(start = c(1.3, 0))))
  expect_true(fit$convergence$converged)
  expect_true(length(fit$convergence$optimizers_tried) > 1)
  expect_lt(abs(fit$loglik - as.numeric(logLik(g))), 1e-4)
})

test_that("REML sp_gau in weeks agrees with mmrm started at the optimum (issue 17.5)", {
  suppressWarnings(skip_if_not_installed("mmrm"))  # TMB version note on load
  d <- sim_spatial_weeks(2)
  fit <- mmrm_fit(CHG ~ ARM + TIME + sp_gau(TIME | USUBJID), d, df = "Residual")
  ref <- suppressWarnings(mmrm::mmrm(CHG ~ ARM + TIME + sp_gau(TIME | USUBJID), d,
                                     start = function(...) c(1, 5)))
  expect_lt(abs(fit$loglik - as.numeric(logLik(ref))), 1e-4)
  expect_gte(fit$loglik, as.numeric(logLik(ref)) - 1e-6)
})

test_that("conditional predictions of imputed rows have the conditional-mean SE (issue 17.8)", {
  d <- sim_mmrm_data(n = 60, k = 3, missing = 0)
  fit <- mmrm_fit(CHG ~ ARM + AVISIT + us(AVISIT | USUBJID), d, df = "Residual")
  nd <- d[d$USUBJID %in% c("S001", "S002"), ]
  nd$CHG[c(2, 6)] <- NA  # S001 at V2, S002 at V3
  p <- predict(fit, nd, conditional = TRUE, interval = "confidence")
  # hand calculation: mean (X_m - A X_o) beta + A y_o, A = S_mo S_oo^-1,
  # variance (X_m - A X_o) Cov(beta) (X_m - A X_o)'
  X <- model.matrix(~ ARM + AVISIT, nd)
  S <- VarCorr(fit)
  V <- vcov(fit)
  b <- coef(fit, complete = FALSE)
  for (i in c(2, 6)) {
    idx <- which(nd$USUBJID == nd$USUBJID[i])
    m <- idx == i
    vis <- as.character(nd$AVISIT[idx])
    A <- S[vis[m], vis[!m], drop = FALSE] %*% solve(S[vis[!m], vis[!m]])
    B <- X[idx[m], , drop = FALSE] - A %*% X[idx[!m], , drop = FALSE]
    est <- unname(drop(B %*% b + A %*% nd$CHG[idx[!m]]))
    se <- unname(sqrt(drop(B %*% V %*% t(B))))
    expect_equal(unname(p[i, "fit"]), est, tolerance = 1e-10)
    expect_equal(unname(p[i, "se"]), se, tolerance = 1e-10)
    # smaller than the population SE sqrt(x'Vx) it used to report
    expect_lt(se, sqrt(drop(X[i, ] %*% V %*% X[i, ])))
  }
  expect_equal(unname(p[-c(2, 6), "se"]), rep(0, 4))
  skip_if_not_installed("mmrm")
  suppressWarnings(requireNamespace("mmrm", quietly = TRUE))
  ref <- mmrm::mmrm(CHG ~ ARM + AVISIT + us(AVISIT | USUBJID), d)
  pr <- predict(ref, nd, conditional = TRUE, interval = "confidence", se.fit = TRUE)
  expect_equal(unname(p[c(2, 6), "fit"]), unname(pr[c(2, 6), "fit"]), tolerance = 1e-4)
  expect_equal(unname(p[c(2, 6), "se"]), unname(pr[c(2, 6), "se"]), tolerance = 1e-4)
})

test_that("emmeans on a fit with an aliased column: KR and Satterthwaite df (issue 17.9)", {
  skip_if_not_installed("emmeans")
  d <- sim_mmrm_data(n = 80)
  d$BASE2 <- 2 * d$BASE
  for (dfm in c("Kenward-Roger", "Satterthwaite")) {
    fit <- mmrm_fit(CHG ~ BASE + BASE2 + ARM * AVISIT + us(AVISIT | USUBJID), d, df = dfm)
    expect_true(fit$aliased[["BASE2"]])
    em <- as.data.frame(emmeans::emmeans(fit, ~ ARM | AVISIT))
    ls <- glycotrial::least_squares_means(fit)$lsmeans
    expect_false(anyNA(em$df))
    expect_equal(em$emmean, ls$estimate, tolerance = 1e-10)
    expect_equal(em$SE, ls$se, tolerance = 1e-10)
    expect_equal(em$df, ls$df, tolerance = 1e-10)
    # the model without the aliased column gives the same answers
    fit0 <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), d, df = dfm)
    em0 <- as.data.frame(emmeans::emmeans(fit0, ~ ARM | AVISIT))
    expect_equal(em$df, em0$df, tolerance = 1e-6)
    skip_if_not_installed("mmrm")
    suppressWarnings(requireNamespace("mmrm", quietly = TRUE))
    ref <- mmrm::mmrm(CHG ~ BASE + BASE2 + ARM * AVISIT + us(AVISIT | USUBJID), d, method = dfm)
    er <- as.data.frame(emmeans::emmeans(ref, ~ ARM | AVISIT))
    expect_equal(em$emmean, er$emmean, tolerance = 1e-4)
    expect_equal(em$SE, er$SE, tolerance = 1e-4)
    expect_equal(em$df, er$df, tolerance = 1e-3)
  }
})

test_that("non-estimable cells give NA with a classed message, as emmeans' nonEst (issue 18.8)", {
  skip_if_not_installed("emmeans")
  d <- sim_mmrm_data(n = 80)
  d <- d[!(d$ARM == "Drug" & d$AVISIT == "V3"), ]
  fit <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), d, df = "Kenward-Roger")
  expect_true(fit$aliased[["ARMDrug:AVISITV3"]])
  expect_message(ls <- glycotrial::least_squares_means(fit), class = "glycotrial_message_nonestimable")
  em <- as.data.frame(emmeans::emmeans(fit, ~ ARM | AVISIT))
  # emmeans marks the same cell nonEst (NA)
  expect_equal(is.na(ls$lsmeans$estimate), is.na(em$emmean))
  expect_equal(which(is.na(ls$lsmeans$estimate)), 6L)  # Drug at V3
  ok <- !is.na(em$emmean)
  expect_equal(ls$lsmeans$estimate[ok], em$emmean[ok], tolerance = 1e-10)
  expect_equal(ls$lsmeans$se[ok], em$SE[ok], tolerance = 1e-10)
  expect_true(all(is.na(unlist(ls$lsmeans[6, c("se", "df", "lower", "upper")]))))
  expect_true(all(is.na(unlist(ls$diffs[ls$diffs$AVISIT == "V3",
                                         c("estimate", "se", "df", "p_value")]))))
  ec <- as.data.frame(emmeans::contrast(emmeans::emmeans(fit, ~ ARM | AVISIT),
                                        "trt.vs.ctrl"))
  expect_equal(is.na(ls$diffs$estimate), is.na(ec$estimate))
  # predict: the non-estimable cell is NA too
  nd <- d[1:2, ]
  nd$ARM[] <- "Drug"
  nd$AVISIT <- factor(c("V3", "V2"), levels = levels(d$AVISIT))
  expect_message(p <- predict(fit, nd), class = "glycotrial_message_nonestimable")
  expect_true(is.na(p[1]))
  expect_false(is.na(p[2]))
})

test_that("model_selection() ranks converged fits only (issue 18.13)", {
  d <- sim_mmrm_data(n = 60)
  ctl <- mmrm_fit_control(optimizers = "newton", max_iter = 2)  # toeph cannot converge in 2 steps
  expect_message(
    ms <- model_selection(CHG ~ ARM * AVISIT, d, structures = c("us", "ar1", "cs", "toeph"),
                          control = ctl),
    class = "glycotrial_message_not_converged")
  expect_identical(names(ms)[1], "rank")
  expect_true(any(!ms$converged))
  expect_true(all(is.na(ms$rank[!ms$converged])))
  expect_false(any(is.na(ms$rank[ms$converged])))
  conv <- ms[ms$converged, ]
  expect_identical(conv$rank, seq_len(nrow(conv)))
  expect_true(all(diff(conv$AIC) >= 0))
  # converged rows come first, whatever the AIC of the others
  expect_true(all(ms$converged[seq_len(nrow(conv))]))
  # each ranked AIC equals that of the individual fit
  for (st in conv$structure) {
    f <- suppressWarnings(mmrm_fit(stats::as.formula(sprintf(
      "CHG ~ ARM * AVISIT + %s(AVISIT | USUBJID)", st)), d, df = "Residual", control = ctl))
    expect_equal(conv$AIC[conv$structure == st], AIC(f))
  }
})

test_that("fitted/residuals/augment follow the data's row order and na.action (issue 17.11)", {
  skip_if_not_installed("nlme")
  d <- sim_mmrm_data(n = 40)  # 10 % of CHG missing
  set.seed(9)
  ds <- d[sample(nrow(d)), ]
  f_sorted <- mmrm_fit(CHG ~ BASE + ARM + AVISIT + cs(AVISIT | USUBJID), d)
  f_omit <- mmrm_fit(CHG ~ BASE + ARM + AVISIT + cs(AVISIT | USUBJID), ds)
  used <- !is.na(ds$CHG)
  # in the shuffled data's order, named by its row names
  expect_identical(names(fitted(f_omit)), rownames(ds)[used])
  expect_identical(names(residuals(f_omit)), rownames(ds)[used])
  expect_equal(fitted(f_omit), fitted(f_sorted)[rownames(ds)[used]], tolerance = 1e-8)
  expect_equal(unname(residuals(f_omit)), ds$CHG[used] - unname(fitted(f_omit)), tolerance = 1e-12)
  # the same names and NA pattern as lm() and nlme::gls(), same values as gls (cs)
  g_omit <- nlme::gls(CHG ~ BASE + ARM + AVISIT, ds, na.action = na.omit,
                      correlation = nlme::corCompSymm(form = ~ 1 | USUBJID))
  expect_identical(names(fitted(f_omit)), names(fitted(g_omit)))
  expect_equal(unname(fitted(f_omit)), as.numeric(fitted(g_omit)), tolerance = 1e-6)
  f_excl <- mmrm_fit(CHG ~ BASE + ARM + AVISIT + cs(AVISIT | USUBJID), ds, na.action = na.exclude)
  g_excl <- nlme::gls(CHG ~ BASE + ARM + AVISIT, ds, na.action = na.exclude,
                      correlation = nlme::corCompSymm(form = ~ 1 | USUBJID))
  l_excl <- lm(CHG ~ BASE + ARM + AVISIT, ds, na.action = na.exclude)
  expect_length(fitted(f_excl), nrow(ds))
  expect_identical(names(fitted(f_excl)), names(fitted(l_excl)))
  expect_identical(is.na(fitted(f_excl)), is.na(fitted(l_excl)))
  expect_identical(is.na(residuals(f_excl)), is.na(residuals(l_excl)))
  expect_equal(unname(fitted(f_excl)), as.numeric(fitted(g_excl)), tolerance = 1e-6)
  expect_equal(unname(residuals(f_excl)), as.numeric(residuals(g_excl)), tolerance = 1e-6)
  # data$fit <- fitted(fit) aligns
  ds$fit <- fitted(f_excl)
  expect_equal(ds$fit[used], unname(fitted(f_sorted)[rownames(ds)[used]]), tolerance = 1e-8)
  # augment(): rows of the data in its order
  a_omit <- augment(f_omit)
  expect_identical(rownames(a_omit), rownames(ds)[used])
  expect_equal(a_omit$.fitted, unname(fitted(f_omit)), tolerance = 1e-12)
  a_excl <- augment(f_excl)
  expect_identical(rownames(a_excl), rownames(ds))
  expect_identical(is.na(a_excl$.fitted), unname(is.na(fitted(l_excl))))
  expect_equal(a_excl$.resid, unname(residuals(f_excl)), tolerance = 1e-12)
  # predict() without newdata: same order
  expect_equal(predict(f_omit), fitted(f_omit), tolerance = 1e-12)
  expect_error(mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), ds, na.action = na.fail),
               class = "glycotrial_error_na_fail")
  expect_s3_class(mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), ds[used, ], na.action = "na.fail"),
                  "glycotrial_mmrm")
  expect_error(mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), ds, na.action = identity),
               class = "glycotrial_error_input")
})

test_that("offset() is honoured on the row route and refused on the moment route (issue 18.12)", {
  d <- sim_mmrm_data(n = 60)
  d$OFF <- 0.5 * d$BASE + 1
  fo <- mmrm_fit(CHG ~ ARM * AVISIT + offset(OFF) + us(AVISIT | USUBJID), d)
  # by hand: the same model for CHG - OFF
  d$Y2 <- d$CHG - d$OFF
  fh <- mmrm_fit(Y2 ~ ARM * AVISIT + us(AVISIT | USUBJID), d)
  expect_equal(fo$loglik, fh$loglik, tolerance = 1e-10)
  expect_equal(coef(fo), coef(fh), tolerance = 1e-8)
  used <- !is.na(d$CHG)
  expect_equal(unname(fitted(fo)), unname(fitted(fh)) + d$OFF[used], tolerance = 1e-8)
  expect_equal(unname(residuals(fo)), unname(residuals(fh)), tolerance = 1e-8)
  nd <- d[1:8, ]
  expect_equal(unname(predict(fo, nd)), unname(predict(fh, nd)) + nd$OFF, tolerance = 1e-8)
  # the offset changes the answer (the test can fail)
  fn <- mmrm_fit(CHG ~ ARM * AVISIT + us(AVISIT | USUBJID), d)
  expect_gt(max(abs(coef(fn) - coef(fo))), 0.1)
  # (mmrm 0.3 ignores offset() silently, so it is no reference here; lm()
  # shows the convention: coefficients of y - offset, fitted values with it)
  l_off <- lm(CHG ~ ARM * AVISIT + offset(OFF), d)
  l_hand <- lm(Y2 ~ ARM * AVISIT, d)
  expect_equal(coef(l_off), coef(l_hand))
})

test_that("offset() on the moment route is a classed error", {
  d <- sim_mmrm_data(n = 60)
  d$OFF <- 0.5 * d$BASE
  withr::local_options(glycotrial.mmrm_moment_rows = 10)
  expect_error(mmrm_fit(CHG ~ ARM + AVISIT + offset(OFF) + us(AVISIT | USUBJID), d),
               class = "glycotrial_error_offset_unsupported")
  expect_error(mmrm_fit(CHG ~ ARM + AVISIT + us(AVISIT | USUBJID), d, na.action = na.exclude),
               class = "glycotrial_error_input")
})

test_that("data sources with planned, unobserved visits in `levels`: NA for non-estimable cells (issue 18.8)", {
  skip_if_not_installed("emmeans")
  d <- sim_mmrm_data(n = 80)
  d$USUBJID <- factor(d$USUBJID)
  lv <- list(AVISIT = levels(d$AVISIT), ARM = levels(d$ARM), USUBJID = levels(d$USUBJID))
  # interim analysis: V4 planned but not observed; no Drug data at V3
  di <- d[d$AVISIT != "V4" & !(d$ARM == "Drug" & d$AVISIT == "V3"), ]
  src <- mmrm_data_chunks(list(di[1:100, ], di[-(1:100), ]), levels = lv)
  fm <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), src, df = "Satterthwaite")
  expect_message(lm_src <- glycotrial::least_squares_means(fm), class = "glycotrial_message_nonestimable")
  est <- lm_src$lsmeans
  expect_identical(is.na(est$estimate), est$AVISIT == "V4" | (est$AVISIT == "V3" & est$ARM == "Drug"))
  em <- as.data.frame(emmeans::emmeans(fm, ~ ARM | AVISIT))
  expect_identical(is.na(em$emmean), is.na(est$estimate))
  # the estimable cells equal the row route's on the same data
  fr <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), droplevels(di), df = "Satterthwaite")
  lr <- suppressMessages(glycotrial::least_squares_means(fr))$lsmeans
  ok <- !is.na(est$estimate)
  expect_equal(est$estimate[ok], lr$estimate[!is.na(lr$estimate)], tolerance = 1e-6)
  expect_equal(est$se[ok], lr$se[!is.na(lr$se)], tolerance = 1e-6)
  # an aliased covariate (BASE2 = 2 BASE, far from zero) leaves every cell estimable
  d$BASE <- d$BASE + 50
  d$BASE2 <- 2 * d$BASE
  src2 <- mmrm_data_chunks(list(d[1:100, ], d[-(1:100), ]), levels = lv)
  f2 <- mmrm_fit(CHG ~ BASE + BASE2 + ARM * AVISIT + us(AVISIT | USUBJID), src2, df = "Satterthwaite")
  expect_true(f2$aliased[["BASE2"]])
  expect_no_message(l2 <- glycotrial::least_squares_means(f2), class = "glycotrial_message_nonestimable")
  expect_false(anyNA(l2$lsmeans$estimate))
})
