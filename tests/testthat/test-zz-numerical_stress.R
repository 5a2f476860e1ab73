# Numerical stress: inputs at the edges of floating point where a fit or an
# interval must either be right (checked against an independent reference)
# or fail with a classed condition. Never a silent wrong answer.

# --- proportion and 2x2 statistics with rare events in huge denominators ---------------
# Regressions for defects found by the sanitizer drivers / fuzzing:
#  * Farrington-Manning restricted MLE (src/core/stats/score.cpp, rmle_rd) lost
#    its relative precision for small proportions (3/1e7 vs 2/1e7: 1e-4 relative
#    error in the statistic; 3/1e8 vs 2/1e8: 1e-2).
#  * mid-p limits used an absolute bisection tolerance of 1e-13 and returned
#    [2.8e-14, 2.8e-14] for 2 events in 1e15 (an interval excluding x/n).
#  * counts above 2^53 made Boost throw unclassed C++ errors.

test_that("Farrington-Manning statistic keeps full precision for rare events", {
  # At margin 0 the restricted MLE is the pooled proportion, so the statistic
  # has the closed form (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)).
  for (n in 10^(3:8)) {
    f <- farrington_manning_test(3, n, 2, n)
    p <- 5 / (2 * n)
    ref <- (1 / n) / sqrt(p * (1 - p) * 2 / n)
    expect_equal(f$statistic, ref, tolerance = 1e-12, label = paste("FM statistic at n =", n))
  }
})

test_that("mid-p limits are accurate for tiny proportions", {
  # Reference: the mid-p equations solved with uniroot on the log scale
  # (Agresti 2013, 16.6) using R's pbinom/dbinom.
  midp_ref <- function(x, n, conf = 0.95) {
    a2 <- (1 - conf) / 2
    up <- function(lp) { p <- exp(lp); pbinom(x, n, p, lower.tail = FALSE) + 0.5 * dbinom(x, n, p) - a2 }
    lo <- function(lp) { p <- exp(lp); pbinom(x - 1, n, p) + 0.5 * dbinom(x, n, p) - a2 }
    c(exp(uniroot(up, log(c(1e-6, 1) * x / n), tol = 1e-14)$root),
      exp(uniroot(lo, log(c(x / n, 1e3 * x / n)), tol = 1e-14)$root))
  }
  for (n in c(1e6, 1e12, 1e15)) {
    r <- prop_ci(2, n, method = "mid-p")
    expect_lte(r$lower, r$estimate)
    expect_gte(r$upper, r$estimate)
    expect_equal(c(r$lower, r$upper), midp_ref(2, n), tolerance = 1e-8,
                 label = paste("mid-p limits at n =", n))
  }
})

test_that("counts beyond exact double precision are refused, not mis-computed", {
  for (m in c("clopper-pearson", "jeffreys", "mid-p", "wilson")) {
    expect_error(prop_ci(1, 1e300, method = m), class = "glycotrial_error_input")
  }
  expect_error(diff_ci(1, 1e17, 1, 10), class = "glycotrial_error_input")
  expect_error(ratio_ci(1, 10, 1, 1e17), class = "glycotrial_error_input")
  expect_error(farrington_manning_test(1, 1e17, 1, 10), class = "glycotrial_error_input")
  r <- prop_ci(1, 2^53, method = "clopper-pearson")
  expect_true(r$lower < r$estimate && r$estimate < r$upper)
})

# --- MMRM under stress ------------------------------------------------------------------
# Each fit must either agree with an independent implementation (mmrm::mmrm,
# nlme::gls) or say that it did not converge (fit$convergence$converged FALSE
# with a message) or raise a classed glycotrial error. A fit that reports
# convergence must be right.

has_fun <- function(f) exists(f, envir = asNamespace("glycotrial"), inherits = FALSE)

# Subjects x visits with an unstructured-like correlation (AR(1), rho = 0.6,
# visit-specific SDs), a treatment effect growing over visits and a baseline
# covariate. Deterministic for a given seed.
sim_mmrm <- function(n_subj = 60, n_visits = 4, seed = 1, rho = 0.6, scale = 1) {
  set.seed(seed)
  v <- seq_len(n_visits)
  sds <- 1 + 0.2 * (v - 1)
  R <- rho^abs(outer(v, v, "-"))
  S <- R * outer(sds, sds)
  L <- chol(S)
  arm <- rep(c("PBO", "TRT"), length.out = n_subj)
  base <- round(rnorm(n_subj, 8, 1), 2)
  e <- matrix(rnorm(n_subj * n_visits), n_subj) %*% L
  mu <- outer(ifelse(arm == "TRT", -0.3, 0), v) - 0.2 * (base - 8)
  d <- data.frame(
    USUBJID = factor(rep(sprintf("S%03d", seq_len(n_subj)), times = n_visits)),
    AVISIT = factor(rep(sprintf("V%02d", v), each = n_subj), levels = sprintf("V%02d", v)),
    ARM = factor(rep(arm, times = n_visits)),
    BASE = rep(base, times = n_visits),
    CHG = as.vector(mu + e) * scale)
  d[order(d$USUBJID, d$AVISIT), ]
}

# Outcome of a fit: list(fit, error) where error is a condition or NULL.
try_fit <- function(...) {
  tryCatch(list(fit = suppressWarnings(mmrm_fit(...)), error = NULL),
           error = function(e) list(fit = NULL, error = e))
}

# The fit is either classed-refused, flagged as not converged with a message,
# or (when it claims convergence) passes `check`.
expect_right_or_flagged <- function(res, check, label) {
  if (!is.null(res$error)) {
    expect(inherits(res$error, "glycotrial_error"),
           sprintf("%s: unclassed error: %s", label, conditionMessage(res$error)))
    return(invisible("error"))
  }
  conv <- res$fit$convergence
  if (!isTRUE(conv$converged)) {
    expect(is.character(conv$message) && nzchar(conv$message),
           sprintf("%s: non-convergence without a diagnostic message", label))
    return(invisible("flagged"))
  }
  check(res$fit)
  invisible("converged")
}

# mmrm warns at load when its TMB is older than it would like; irrelevant here.
if (requireNamespace("mmrm", quietly = TRUE)) suppressWarnings(loadNamespace("mmrm"))

mmrm_reference <- function(formula, data, ...) {
  suppressWarnings(mmrm::mmrm(formula, data = data, reml = TRUE, ...))
}

test_that("MMRM recovers mmrm's estimates at ordinary, 1e8 and 1e-8 response scales", {
  skip_if_not(has_fun("mmrm_fit"))
  skip_if_not_installed("mmrm")
  d <- sim_mmrm()
  f <- CHG ~ ARM * AVISIT + BASE + us(AVISIT | USUBJID)
  ref <- mmrm_reference(f, d)
  base <- try_fit(f, data = d, df = "Satterthwaite")
  expect_null(base$error)
  expect_true(isTRUE(base$fit$convergence$converged))
  # mmrm (TMB) stops a little early on this flat unstructured likelihood: our
  # REML log-likelihood must be at least as high, and the estimates agree to
  # mmrm's own precision (1e-4); standard errors (both asymptotic) to 1e-3.
  expect_gte(as.numeric(logLik(base$fit)), as.numeric(logLik(ref)) - 1e-8)
  expect_equal(unname(coef(base$fit)), unname(coef(ref)), tolerance = 1e-4)
  expect_equal(unname(sqrt(diag(vcov(base$fit)))), unname(sqrt(diag(vcov(ref)))),
               tolerance = 1e-3)
  # Rescaling the response by 1e8 or 1e-8 must rescale the estimates and
  # standard errors exactly (equivariance), to 1e-7 relative per coefficient.
  for (scale in c(1e8, 1e-8)) {
    ds <- d
    ds$CHG <- d$CHG * scale
    res <- try_fit(f, data = ds, df = "Satterthwaite")
    expect_null(res$error)
    expect_true(isTRUE(res$fit$convergence$converged), label = paste("converged at scale", scale))
    rel <- abs(coef(res$fit) / scale - coef(base$fit)) / pmax(abs(coef(base$fit)), 1e-3)
    expect_lt(max(rel), 1e-7, label = paste("max relative coefficient error at scale", scale))
    se_rel <- abs(sqrt(diag(vcov(res$fit))) / scale / sqrt(diag(vcov(base$fit))) - 1)
    expect_lt(max(se_rel), 1e-6, label = paste("max relative SE error at scale", scale))
  }
})

test_that("MMRM with perfectly collinear covariates reports the aliased column", {
  skip_if_not(has_fun("mmrm_fit"))
  d <- sim_mmrm(seed = 2)
  d$BASE2 <- 2 * d$BASE - 1
  full <- try_fit(CHG ~ ARM * AVISIT + BASE + BASE2 + us(AVISIT | USUBJID), data = d)
  plain <- try_fit(CHG ~ ARM * AVISIT + BASE + us(AVISIT | USUBJID), data = d)
  expect_null(plain$error)
  if (!is.null(full$error)) {
    expect_s3_class(full$error, "glycotrial_error")
  } else {
    b <- coef(full$fit)
    est <- b[!is.na(b)]
    expect_equal(unname(est), unname(coef(plain$fit)), tolerance = 1e-6)
  }
  # Refusing rank deficiency on request is a classed error.
  expect_error(mmrm_fit(CHG ~ ARM * AVISIT + BASE + BASE2 + us(AVISIT | USUBJID), data = d,
                        control = mmrm_fit_control(accept_singular = FALSE)),
               class = "glycotrial_error")
})

test_that("MMRM with near-singular covariance (correlation ~ 1) is right or flagged", {
  skip_if_not(has_fun("mmrm_fit"))
  skip_if_not_installed("mmrm")
  d <- sim_mmrm(seed = 3, rho = 0.99999)
  res <- try_fit(CHG ~ ARM * AVISIT + BASE + us(AVISIT | USUBJID), data = d)
  ref <- tryCatch(mmrm_reference(CHG ~ ARM * AVISIT + BASE + us(AVISIT | USUBJID), d),
                  error = function(e) NULL)
  expect_right_or_flagged(res, function(fit) {
    if (!is.null(ref)) {
      expect_equal(unname(coef(fit)), unname(coef(ref)), tolerance = 1e-4)
    }
  }, "near-singular us()")
})

test_that("MMRM with one observation per subject is right or flagged", {
  skip_if_not(has_fun("mmrm_fit"))
  d <- sim_mmrm(n_subj = 80, seed = 4)
  # Keep one visit per subject, cycling through the visits.
  # (pairs of subjects, one per arm, share a visit so arm and visit are not confounded)
  keep <- as.integer(d$AVISIT) == ((as.integer(d$USUBJID) - 1) %/% 2) %% 4 + 1
  d1 <- d[keep, ]
  res <- try_fit(CHG ~ ARM + AVISIT + BASE + us(AVISIT | USUBJID), data = d1)
  # With one row per subject only the visit variances are identified: the
  # fixed effects equal weighted least squares with visit-specific variances.
  ref <- nlme::gls(CHG ~ ARM + AVISIT + BASE, data = d1,
                   weights = nlme::varIdent(form = ~ 1 | AVISIT), method = "REML")
  expect_right_or_flagged(res, function(fit) {
    expect_equal(unname(coef(fit)), unname(coef(ref)), tolerance = 1e-4)
  }, "one observation per subject")
  # ar1h: the correlation is not identified. Regression: Kenward-Roger (the
  # default df) used to fail with the unclassed R error "missing value where
  # TRUE/FALSE needed" (R/mmrm_df.R) because the Hessian was singular.
  expect_error(mmrm_fit(CHG ~ ARM + AVISIT + BASE + ar1h(AVISIT | USUBJID), data = d1),
               class = "glycotrial_error_numerical")
  res_ar1h <- try_fit(CHG ~ ARM + AVISIT + BASE + ar1h(AVISIT | USUBJID), data = d1,
                      df = "Residual")
  expect_right_or_flagged(res_ar1h, function(fit) {
    expect_equal(unname(coef(fit)), unname(coef(ref)), tolerance = 1e-4)
  }, "one observation per subject, ar1h")
  # Flagged or not, the fixed effects are those of gls (the visit variances
  # are identified).
  if (!is.null(res_ar1h$fit)) {
    expect_equal(unname(coef(res_ar1h$fit)), unname(coef(ref)), tolerance = 1e-4)
  }
})

test_that("MMRM with a single subject per visit is refused or flagged, never silently 'converged' wrong", {
  skip_if_not(has_fun("mmrm_fit"))
  d <- sim_mmrm(n_subj = 4, n_visits = 4, seed = 5)
  keep <- as.integer(d$AVISIT) == as.integer(d$USUBJID)
  d1 <- d[keep, ]
  res <- try_fit(CHG ~ AVISIT + us(AVISIT | USUBJID), data = d1)
  # 4 observations, 4 mean parameters: nothing is left to estimate a variance.
  outcome <- expect_right_or_flagged(res, function(fit) {
    expect(FALSE, "a fit with zero residual degrees of freedom claimed convergence")
  }, "one subject per visit")
  expect_true(outcome %in% c("error", "flagged"))
})

test_that("MMRM over 32 visits (ar1) agrees with mmrm", {
  skip_if_not(has_fun("mmrm_fit"))
  skip_if_not_installed("mmrm")
  d <- sim_mmrm(n_subj = 40, n_visits = 32, seed = 6)
  res <- try_fit(CHG ~ ARM + AVISIT + BASE + ar1(AVISIT | USUBJID), data = d)
  ref <- mmrm_reference(CHG ~ ARM + AVISIT + BASE + ar1(AVISIT | USUBJID), d)
  expect_null(res$error)
  expect_true(isTRUE(res$fit$convergence$converged))
  expect_equal(unname(coef(res$fit)), unname(coef(ref)), tolerance = 1e-6)
  expect_equal(as.numeric(logLik(res$fit)), as.numeric(logLik(ref)), tolerance = 1e-8)
})

test_that("MMRM with a visit whose values are all identical is refused or flagged", {
  skip_if_not(has_fun("mmrm_fit"))
  d <- sim_mmrm(seed = 7)
  d$CHG[d$AVISIT == "V03"] <- 0.5
  res <- try_fit(CHG ~ ARM + AVISIT + BASE + us(AVISIT | USUBJID), data = d)
  # Zero variance at a visit: the REML likelihood is unbounded. A fit that
  # claims convergence must at least show the (near) zero variance.
  expect_right_or_flagged(res, function(fit) {
    s <- fit$sigma
    if (is.list(s)) s <- s[[1]]
    expect_lt(s[3, 3], 1e-6)
  }, "identical values at one visit")
})

test_that("exact conditional odds-ratio limits refuse margins beyond int range", {
  # Regression (UBSan, tools/sanitize/driver-stats.cpp): the Fisher support
  # was cast to int without a bound (undefined behaviour at 2^31) and could
  # try to allocate billions of doubles.
  expect_error(ratio_ci(2^31, 2^31, 2, 7, measure = "or", method = "exact"),
               class = "glycotrial_error_input")
  expect_error(ratio_ci(5e7, 1e8, 5e7, 1e8, measure = "or", method = "exact"),
               class = "glycotrial_error_input")
  r <- ratio_ci(3, 10, 1, 12, measure = "or", method = "exact")
  expect_true(r$lower < r$estimate && r$estimate < r$upper)
})

# --- indices: overflow / underflow part-way through the formula ------------------------
# A formula can leave the double range in an intermediate and still return a
# finite, wrong value (Matsuda at 1e200: G0*I0*Gmean*Imean = Inf, 1e4/sqrt(Inf)
# = 0). The compiled call tests the IEEE flags per row / curve
# (src/core/indices/fp_check.cpp); the warning must name exactly the affected
# units and set them to NA.
warnings_of <- function(expr) {
  ws <- list()
  value <- withCallingHandlers(expr, warning = function(w) {
    ws[[length(ws) + 1]] <<- w
    invokeRestart("muffleWarning")
  })
  list(value = value, warnings = ws)
}
named_in <- function(w) {
  # The labels are listed after the bullet as "a", "b", ...
  regmatches(conditionMessage(w), gregexpr('"[^"]*"', conditionMessage(w)))[[1]]
}

test_that("matsuda at 1e200 (a silent 0 before) warns overflow naming the curve", {
  # FP flags only; extreme values are also implausible (test-plausibility.R)
  withr::local_options(glycotrial.check_plausibility = FALSE)
  t <- c(0, 30, 60, 90, 120)
  r <- warnings_of(matsuda(t, rep(1e200, 5), rep(1e200, 5)))
  expect_true(is.na(r$value))
  expect_length(r$warnings, 1)
  expect_s3_class(r$warnings[[1]], "glycotrial_warning_overflow")
  # Hand check of what the formula alone gives: 1e4 / sqrt(Inf) = 0 (finite, wrong).
  expect_identical(1e4 / sqrt(1e200 * 1e200 * 1e200 * 1e200), 0)
})

test_that("in a mixed set of curves only the affected ones are named", {
  # FP flags only; extreme values are also implausible (test-plausibility.R)
  withr::local_options(glycotrial.check_plausibility = FALSE)
  t <- c(0, 30, 60, 90, 120)
  g <- c(90, 160, 150, 130, 110)
  ins <- c(8, 60, 70, 50, 40)
  r <- warnings_of(matsuda(rep(t, 4), c(g, rep(1e200, 5), g, rep(1e-100, 5)),
                           c(ins, rep(1e200, 5), ins, rep(1e-100, 5)),
                           id = rep(c("s1", "s2", "s3", "s4"), each = 5)))
  ref <- matsuda(t, g, ins)
  expect_equal(unname(r$value[c("s1", "s3")]), c(ref, ref), tolerance = 1e-14)
  expect_true(all(is.na(r$value[c("s2", "s4")])))
  cls <- vapply(r$warnings, function(w) class(w)[1], "")
  expect_setequal(cls, c("glycotrial_warning_overflow", "glycotrial_warning_underflow"))
  over <- r$warnings[[which(cls == "glycotrial_warning_overflow")]]
  under <- r$warnings[[which(cls == "glycotrial_warning_underflow")]]
  expect_identical(named_in(over)[-1], "\"s2\"")
  expect_identical(named_in(under)[-1], "\"s4\"")
})

test_that("homa1_ir of tiny inputs (rounded to 0 by underflow) warns, naming only that row", {
  # FP flags only; extreme values are also implausible (test-plausibility.R)
  withr::local_options(glycotrial.check_plausibility = FALSE)
  # True value 1e-400 / 22.5 = 4.4e-402: below the smallest double.
  r <- warnings_of(homa1_ir(1e-200, 1e-200))
  expect_true(is.na(r$value))
  expect_length(r$warnings, 1)
  expect_s3_class(r$warnings[[1]], "glycotrial_warning_underflow")
  r <- warnings_of(homa1_ir(c(5, 1e-200, 6, 1e200, NA), c(10, 1e-200, 12, 1e200, 3)))
  expect_equal(r$value[c(1, 3)], c(5 * 10, 6 * 12) / 22.5, tolerance = 1e-15)
  expect_true(all(is.na(r$value[c(2, 4, 5)])))
  cls <- vapply(r$warnings, function(w) class(w)[1], "")
  expect_setequal(cls, c("glycotrial_warning_overflow", "glycotrial_warning_underflow"))
  expect_identical(named_in(r$warnings[[which(cls == "glycotrial_warning_underflow")]])[-1], "\"2\"")
  expect_identical(named_in(r$warnings[[which(cls == "glycotrial_warning_overflow")]])[-1], "\"4\"")
})

test_that("ordinary inputs, NA and harmless underflow give no warning", {
  expect_no_warning(v <- homa1_ir(c(5.2, 7.8, NA), c(10, 20, 5)))
  expect_equal(v, c(5.2 * 10, 7.8 * 20, NA) / 22.5, tolerance = 1e-15)
  t <- c(0, 30, 60, 90, 120)
  # glucose in mg/dL, declared as such (under the mmol/L default it is implausible)
  expect_no_warning(matsuda(t, c(90, 160, NA, 130, 110), c(8, 60, 70, NA, 40), glucose_unit = "mg/dL"))
  # Stumvoll 1st phase with subnormal-level insulin: 1.829 * I30 and 3.772 * I0
  # underflow, but the result 1283 - 138.7 * G30 is unaffected.
  expect_no_warning(v <- stumvoll(c(0, 30, 120), c(5, 9, 7), c(1e-310, 1e-310, 1e-310)))
  expect_equal(v, 1283 - 138.7 * 9, tolerance = 1e-12)
})

test_that("an eGFR whose power term underflows to 0 is flagged, not returned as 0", {
  # FP flags only; extreme values are also implausible (test-plausibility.R)
  withr::local_options(glycotrial.check_plausibility = FALSE)
  # max(Scr/k, 1)^-1.2 with Scr = 1e300 mg/dL is about 1e-360: 0 in double.
  r <- warnings_of(egfr_ckd_epi_2021(c(1, 1e300), c(50, 50), c(0, 1)))
  expect_false(is.na(r$value[1]))
  expect_true(is.na(r$value[2]))
  expect_length(r$warnings, 1)
  expect_s3_class(r$warnings[[1]], "glycotrial_warning_underflow")
})

test_that("R-function indices keep the final-value checks only (documented)", {
  register_index("fp_test_r", function(glucose, insulin) 1 / (glucose * insulin),
                 inputs = c(glucose = "mmol/L", insulin = "uU/mL"))
  on.exit(unregister_plugin("index", "fp_test_r"))
  # (after the plain on.exit() above, which would drop the restore)
  # FP flags only; extreme values are also implausible (test-plausibility.R)
  withr::local_options(glycotrial.check_plausibility = FALSE)
  # 1e200 * 1e200 overflows inside R: 1/Inf = 0 is not seen ...
  expect_no_warning(v <- evaluate_index("fp_test_r", list(glucose = 1e200, insulin = 1e200)))
  expect_identical(v, 0)
  # ... but an Inf result from finite inputs still is.
  register_index("fp_test_r2", function(glucose, insulin) glucose * insulin,
                 inputs = c(glucose = "mmol/L", insulin = "uU/mL"))
  on.exit(unregister_plugin("index", "fp_test_r2"), add = TRUE)
  expect_warning(evaluate_index("fp_test_r2", list(glucose = 1e200, insulin = 1e200)),
                 class = "glycotrial_warning_overflow")
})
