# The moment route of mmrm_fit(): raw columns -> threaded pattern moments ->
# fit, validated against mmrm::mmrm() (independent implementation) and the
# row route of mmrm_fit().

test_that("moment route matches mmrm::mmrm() and the row route", {
  suppressWarnings(skip_if_not_installed("mmrm"))  # (mmrm warns about its TMB build)
  d <- scale_sim_data(300, 4)
  withr::local_options(glycotrial.mmrm_moment_rows = 1)
  fit_m <- mmrm_fit(scale_formula, data = d)
  expect_true(isTRUE(fit_m$moments_only))
  expect_true(fit_m$convergence$converged)
  withr::local_options(glycotrial.mmrm_moment_rows = Inf)
  fit_r <- mmrm_fit(scale_formula, data = d, control = mmrm_fit_control(grad_tol = 1e-9))
  expect_null(fit_r$moments_only)
  expect_equal(names(coef(fit_m)), names(coef(fit_r)))
  # same likelihood surface and Newton-polished optimum: on well-conditioned
  # (centred-scale) data the two routes agree to 1e-10 relative (measured
  # ~2e-12; what remains is summation order in the moments and the
  # gradient tolerance of the polish)
  expect_lt(rel_diff(coef(fit_m), coef(fit_r)), 1e-10)
  expect_lt(rel_diff(fit_m$theta, fit_r$theta), 1e-10)
  expect_equal(fit_m$deviance, fit_r$deviance, tolerance = 1e-12)
  expect_equal(vcov(fit_m), vcov(fit_r), tolerance = 1e-10)
  expect_lt(rel_diff(summary(fit_m)$coefficients[, "df"], summary(fit_r)$coefficients[, "df"]), 1e-10)
  expect_equal(fit_m$n_obs, fit_r$n_obs)
  expect_equal(fit_m$n_subjects, fit_r$n_subjects)
  # independent reference: mmrm (REML, us, Kenward-Roger)
  d2 <- d
  d2$USUBJID <- factor(d2$USUBJID)
  d2$ARM <- factor(d2$ARM)
  ref <- mmrm::mmrm(CHG ~ BASE + SEX + REGION + ARM * AVISIT + us(AVISIT | USUBJID),
                    data = d2, method = "Kenward-Roger")
  # same maximum of the likelihood; coefficients to mmrm's optimiser precision
  expect_equal(coef(fit_m), coef(ref), tolerance = 1e-5)
  expect_equal(unname(sqrt(diag(vcov(fit_m)))), unname(sqrt(diag(vcov(ref)))), tolerance = 1e-5)
  expect_equal(as.numeric(logLik(fit_m)), as.numeric(logLik(ref)), tolerance = 1e-8)
  s <- summary(fit_m)$coefficients
  sr <- summary(ref)$coefficients
  expect_equal(unname(s[, "df"]), unname(sr[, "df"]), tolerance = 1e-4)
  expect_output(print(fit_m))
})

test_that("the threaded data pass is bit-identical for 1 and 2 threads", {
  d <- scale_sim_data(9000, 3, seed = 2)   # > 2 blocks of 4096 subjects
  spec <- mmrm_formula(scale_formula)
  roles <- glycotrial:::moments_roles(spec, NULL)
  enc <- glycotrial:::moments_encoding(NULL, roles, glycotrial:::moments_schema(d, roles))
  m1 <- glycotrial:::moments_chunk(d, enc, threads = 1L)
  m2 <- glycotrial:::moments_chunk(d, enc, threads = 2L)
  expect_identical(m1, m2)
  # rows in any order give the same moments up to summation order
  m3 <- glycotrial:::moments_chunk(d[rev(seq_len(nrow(d))), ], enc, threads = 2L)
  expect_equal(m1$n_obs, m3$n_obs)
  expect_equal(m1$patterns[[1]]$M, m3$patterns[[1]]$M, tolerance = 1e-12)
  # hand check: one pattern's moment matrix is sum_i vec(A_i) vec(A_i)'
  X <- model.matrix(~ BASE + SEX + REGION + ARM * AVISIT, d)
  ok <- !is.na(d$CHG)
  full <- names(which(tapply(ok, d$USUBJID, all)))
  sel <- d$USUBJID %in% full
  A <- cbind(X[sel, ], d$CHG[sel])
  subj <- d$USUBJID[sel]
  Z <- do.call(rbind, lapply(split(seq_len(nrow(A)), subj), function(r) as.vector(A[r, ])))
  pat <- Filter(function(p) length(p$visits) == 3, m1$patterns)[[1]]
  expect_equal(pat$n, length(full))
  expect_equal(pat$M, crossprod(Z), tolerance = 1e-12)
})

test_that("moment route: time is linear in n (the pattern count stays fixed)", {
  d1 <- scale_sim_data(500, 4, seed = 3)
  d2 <- scale_sim_data(2000, 4, seed = 3)
  withr::local_options(glycotrial.mmrm_moment_rows = 1)
  f1 <- mmrm_fit(scale_formula, data = d1)
  f2 <- mmrm_fit(scale_formula, data = d2)
  expect_lte(f2$n_patterns, 2^4 - 1)
  expect_equal(f2$n_subjects, 2000)
})

test_that("moment route: bad input and unavailable quantities are classed errors", {
  d <- scale_sim_data(100, 3)
  withr::local_options(glycotrial.mmrm_moment_rows = 1)
  dd <- rbind(d, d[2, ])
  expect_error(mmrm_fit(scale_formula, data = dd), class = "glycotrial_error_input",
               regexp = "S00001")
  expect_error(mmrm_fit(scale_formula, data = d, vcov = "Empirical", df = "Satterthwaite"),
               class = "glycotrial_error_moment_route")
  expect_error(mmrm_fit(scale_formula, data = d, df = "Between-Within"),
               class = "glycotrial_error_moment_route")
  expect_error(mmrm_fit(CHG ~ log(BASE) + ARM + us(AVISIT | USUBJID), data = d),
               class = "glycotrial_error_input", regexp = "log")
  expect_error(mmrm_fit(scale_formula, data = d, weights = rep(1, nrow(d))),
               class = "glycotrial_error_input")
  fit <- mmrm_fit(scale_formula, data = d, df = "Satterthwaite")
  expect_error(glycotrial:::cpp_mmrm_subject_pass(fit$engine, fit$theta, fit$beta_est),
               class = "glycotrial_error_input", regexp = "pattern moments")
})

test_that("moment route: weights and grouped covariance agree with the row route", {
  d <- scale_sim_data(200, 3, seed = 5)
  d$W <- withr::with_seed(1, stats::runif(nrow(d), 0.5, 2))
  f <- CHG ~ BASE + ARM * AVISIT + us(AVISIT | ARM / USUBJID)
  withr::local_options(glycotrial.mmrm_moment_rows = 1)
  fm <- mmrm_fit(f, data = d, weights = "W", df = "Satterthwaite")
  withr::local_options(glycotrial.mmrm_moment_rows = Inf)
  fr <- mmrm_fit(f, data = d, weights = "W", df = "Satterthwaite",
                 control = mmrm_fit_control(grad_tol = 1e-9))
  expect_lt(rel_diff(coef(fm), coef(fr)), 1e-10)
  expect_lt(rel_diff(fm$theta, fr$theta), 1e-10)
  expect_equal(vcov(fm), vcov(fr), tolerance = 1e-10)
  expect_equal(fm$deviance, fr$deviance, tolerance = 1e-12)
})

test_that("moment and row routes agree to 1e-10 for other structures and ML", {
  d <- scale_sim_data(400, 5, seed = 21)
  for (cs in c("ar1h", "toep", "csh")) {
    f <- stats::as.formula(paste0("CHG ~ BASE + SEX + ARM * AVISIT + ", cs, "(AVISIT | USUBJID)"))
    withr::local_options(glycotrial.mmrm_moment_rows = 1)
    fm <- mmrm_fit(f, data = d, reml = FALSE, df = "Residual")
    withr::local_options(glycotrial.mmrm_moment_rows = Inf)
    fr <- mmrm_fit(f, data = d, reml = FALSE, df = "Residual",
                   control = mmrm_fit_control(grad_tol = 1e-9))
    expect_true(isTRUE(fm$moments_only))
    expect_lt(rel_diff(coef(fm), coef(fr)), 1e-10)
    expect_lt(rel_diff(fm$theta, fr$theta), 1e-10)
    expect_equal(vcov(fm), vcov(fr), tolerance = 1e-10)
  }
})

test_that("moment fits: predict() from newdata matches the row route; per-row methods give a classed error", {
  d <- scale_sim_data(150, 4, seed = 31)
  withr::local_options(glycotrial.mmrm_moment_rows = 1)
  fm <- mmrm_fit(scale_formula, data = d, df = "Satterthwaite")
  withr::local_options(glycotrial.mmrm_moment_rows = Inf)
  fr <- mmrm_fit(scale_formula, data = d, df = "Satterthwaite",
                 control = mmrm_fit_control(grad_tol = 1e-9))
  # no rows are kept: fitted/residuals/model.matrix/simulate and predict()
  # without newdata say so and how to get them
  for (f in list(fitted, residuals, model.matrix, function(x) simulate(x, seed = 1), predict)) {
    expect_error(f(fm), class = "glycotrial_error_moments_only", regexp = "newdata")
  }
  expect_error(residuals(fm, type = "normalized"), class = "glycotrial_error_input")
  # augment() likewise: without newdata a classed error (also an input
  # error); with the data at hand it equals the row route's augment()
  expect_error(augment(fm), class = "glycotrial_error_moments_only", regexp = "newdata")
  expect_error(augment(fm), class = "glycotrial_error_input")
  nd0 <- d[!is.na(d$CHG), ]
  am <- augment(fm, newdata = nd0, se_fit = TRUE)
  ar <- augment(fr, newdata = nd0, se_fit = TRUE)
  expect_equal(am[c(".fitted", ".resid", ".se.fit")], ar[c(".fitted", ".resid", ".se.fit")],
               tolerance = 1e-10)
  expect_equal(am$.resid, unname(residuals(fr)), tolerance = 1e-10)
  # with the data at hand, predictions (population and conditional, with
  # intervals) equal the row route's; residuals as the error message says
  nd <- d[!is.na(d$CHG), ]
  expect_lt(rel_diff(predict(fm, newdata = nd), fitted(fr)), 1e-10)
  expect_equal(unname(nd$CHG - predict(fm, newdata = nd)), unname(residuals(fr)), tolerance = 1e-10)
  expect_equal(predict(fm, newdata = d, interval = "prediction"),
               predict(fr, newdata = d, interval = "prediction"), tolerance = 1e-10)
  expect_equal(predict(fm, newdata = d, conditional = TRUE),
               predict(fr, newdata = d, conditional = TRUE), tolerance = 1e-10)
  # model-level methods work without rows: Type III tests (term assignment
  # from the design encoding) and least-squares means (covariate means from
  # the data pass)
  expect_equal(anova(fm), anova(fr), tolerance = 1e-8)
  expect_equal(fm$covariate_means$BASE, mean(d$BASE[!is.na(d$CHG)]), tolerance = 1e-12)
  expect_equal(least_squares_means(fm, "ARM", by = "AVISIT"), least_squares_means(fr, "ARM", by = "AVISIT"), tolerance = 1e-8)
  skip_if_not_installed("emmeans")
  em_m <- as.data.frame(emmeans::emmeans(fm, ~ ARM | AVISIT))
  em_r <- as.data.frame(emmeans::emmeans(fr, ~ ARM | AVISIT))
  expect_equal(em_m$emmean, em_r$emmean, tolerance = 1e-8)
  expect_equal(em_m$SE, em_r$SE, tolerance = 1e-8)
})

test_that("an interrupt during the threaded data pass is honoured and leaves the session usable", {
  d <- scale_sim_data(9000, 3, seed = 2)  # 3 blocks of 4096 subjects
  withr::local_options(glycotrial.mmrm_moment_rows = 1, glycotrial.threads = 2L)
  ref <- mmrm_fit(scale_formula, data = d)
  # pretend Ctrl-C arrives at the first / second check of the pass (the glue
  # then raises a real R interrupt, as R_CheckUserInterrupt() would)
  for (k in 1:2) {
    withr::local_options(glycotrial.scale_test_interrupt_after = k)
    out <- tryCatch(mmrm_fit(scale_formula, data = d), interrupt = function(e) "interrupted")
    if (k == 1) expect_identical(out, "interrupted")
    # (at k = 2 the worker thread may already have taken the remaining blocks)
    if (!identical(out, "interrupted")) expect_equal(coef(out), coef(ref))
  }
  withr::local_options(glycotrial.scale_test_interrupt_after = -1L, glycotrial.threads = 1L)
  out <- tryCatch(mmrm_fit(scale_formula, data = d), interrupt = function(e) "interrupted")
  expect_identical(coef(out), coef(ref))
  withr::local_options(glycotrial.scale_test_interrupt_after = 3L)
  out <- tryCatch(mmrm_fit(scale_formula, data = d), interrupt = function(e) "interrupted")
  expect_identical(out, "interrupted")  # one thread: the third check comes after block 2
})
