#!/usr/bin/env Rscript
# Before/after comparison of the model layer (issue 16): fits a fixed list of
# representative models with two installed versions of glycotrial, each in
# its own R process (callr), and prints the largest differences of the
# coefficients, covariance parameters, log-likelihood, coefficient covariance
# and degrees of freedom per model, then PASS (every difference <= 1e-10,
# relative to max(1, |value|)) or FAIL.
#
# Usage: Rscript tools/compare_engine.R [LIB_BEFORE [LIB_AFTER]]
#   LIB_BEFORE  library holding the version before (default /work/lib/baseline)
#   LIB_AFTER   library holding the version after (default: the library the
#               installed glycotrial is found in)
# A model whose difference exceeds the tolerance still passes when the new
# optimiser found a better optimum: new deviance <= old deviance + 1e-12 and
# a smaller largest |gradient| at the end point (printed per such model; the
# gradient is the fit's own optimality check, optinfo$gradient, where the fit
# has one: the LMM with a residual structure and several grouping factors;
# MMRM fits reproduce the old optimum bit for bit). A model may also carry an
# exact reference for a quantity (the same fit of data without an offset,
# mapped by hand): a difference there passes when the version after is
# closer to the reference.
# Needs the packages callr, mmrm and lme4.

tol <- 1e-10
args <- commandArgs(trailingOnly = TRUE)
lib_before <- if (length(args) >= 1) args[1] else "/work/lib/baseline"
lib_after <- if (length(args) >= 2) args[2] else dirname(find.package("glycotrial"))

# Runs in a fresh R process with `lib` first on the library path: every
# model of the list, each reduced to the numbers compared (or the error).
fit_all <- function(lib) {
  suppressPackageStartupMessages(library(glycotrial, lib.loc = lib))
  fev <- suppressWarnings(mmrm::fev_data)
  fev$WT <- seq_len(nrow(fev)) %% 5 + 1
  cov_formula <- function(term) stats::as.formula(paste("FEV1 ~ RACE + SEX + ARMCD * AVISIT +", term))
  set.seed(20261205)
  # LMM data: subjects in sites, weekly visits, AR(1) residuals
  n_s <- 60; k <- 5
  lmm_d <- expand.grid(WEEK = seq_len(k), USUBJID = factor(sprintf("S%03d", seq_len(n_s))))
  lmm_d$SITE <- factor(paste0("site", (as.integer(lmm_d$USUBJID) - 1) %% 6 + 1))
  lmm_d$ARM <- factor(ifelse(as.integer(lmm_d$USUBJID) %% 2 == 0, "Drug", "Placebo"))
  lmm_d$AVISIT <- factor(paste0("W", lmm_d$WEEK), levels = paste0("W", seq_len(k)))
  e <- as.numeric(unlist(lapply(seq_len(n_s), function(i) stats::arima.sim(list(ar = 0.5), k))))
  lmm_d$AVAL <- 10 + 0.5 * lmm_d$WEEK - 0.3 * (lmm_d$ARM == "Drug") * lmm_d$WEEK +
    rep(stats::rnorm(6), length.out = nrow(lmm_d))[as.integer(lmm_d$SITE)] +
    rep(stats::rnorm(n_s), each = k) + e
  sleep <- lme4::sleepstudy

  mmrm_numbers <- function(fit, lsm = FALSE) {
    s <- summary(fit)$coefficients
    out <- list(coef = stats::coef(fit), theta = fit$theta, logLik = as.numeric(stats::logLik(fit)),
                vcov = stats::vcov(fit), df = s[, "df"])
    if (lsm) {
      l <- least_squares_means(fit, specs = "ARMCD", by = "AVISIT")
      num <- vapply(l, is.numeric, NA)
      out$lsmeans <- unlist(l[num])
    }
    out
  }
  lmm_numbers <- function(fit, ddf = "Satterthwaite") {
    s <- summary(fit, ddf = ddf)$coefficients
    g <- fit$optinfo$gradient
    list(coef = fixef(fit), theta = fit$theta, logLik = as.numeric(stats::logLik(fit)),
         vcov = as.matrix(stats::vcov(fit)), df = s[, "df"],
         optimum = list(deviance = -2 * as.numeric(stats::logLik(fit)),
                        max_gradient = if (is.null(g)) NA_real_ else max(abs(g))))
  }
  structures <- c("us", "toep", "toeph", "ar1", "ar1h", "ad", "adh", "cs", "csh")
  cases <- c(
    stats::setNames(lapply(structures, function(s) {
      function() mmrm_numbers(mmrm_fit(cov_formula(paste0(s, "(AVISIT | USUBJID)")), fev))
    }), paste0("mmrm ", structures)),
    list(
      "mmrm sp_exp" = function() mmrm_numbers(mmrm_fit(cov_formula("sp_exp(VISITN | USUBJID)"), fev)),
      "mmrm sp_gau" = function() mmrm_numbers(mmrm_fit(cov_formula("sp_gau(VISITN | USUBJID)"), fev)),
      "mmrm us, group ARMCD" = function() mmrm_numbers(mmrm_fit(cov_formula("us(AVISIT | ARMCD / USUBJID)"), fev)),
      "mmrm ar1h, group ARMCD" = function() mmrm_numbers(mmrm_fit(cov_formula("ar1h(AVISIT | ARMCD / USUBJID)"), fev)),
      "mmrm cs, weights" = function() mmrm_numbers(mmrm_fit(cov_formula("cs(AVISIT | USUBJID)"), fev, weights = "WT")),
      "mmrm us, ML Satterthwaite" = function() mmrm_numbers(mmrm_fit(cov_formula("us(AVISIT | USUBJID)"), fev,
                                                                      reml = FALSE, df = "Satterthwaite")),
      "mmrm us, KR-linear" = function() mmrm_numbers(mmrm_fit(cov_formula("us(AVISIT | USUBJID)"), fev,
                                                               df = "Kenward-Roger-Linear")),
      "mmrm us, Between-Within" = function() mmrm_numbers(mmrm_fit(cov_formula("us(AVISIT | USUBJID)"), fev,
                                                                    df = "Between-Within")),
      "mmrm us, Empirical Satterthwaite" = function() mmrm_numbers(mmrm_fit(cov_formula("us(AVISIT | USUBJID)"), fev,
                                                                             df = "Satterthwaite", vcov = "Empirical")),
      "mmrm toeph, Empirical-Jackknife Residual" = function() {
        mmrm_numbers(mmrm_fit(cov_formula("toeph(AVISIT | USUBJID)"), fev, df = "Residual",
                              vcov = "Empirical-Jackknife"))
      },
      "mmrm us, LS means (KR)" = function() mmrm_numbers(mmrm_fit(cov_formula("us(AVISIT | USUBJID)"), fev), lsm = TRUE),
      "mmrm cs, data far from zero" = function() {
        far <- fev
        far$FEV1 <- far$FEV1 + 1e4
        mmrm_numbers(mmrm_fit(cov_formula("cs(AVISIT | USUBJID)"), far), lsm = TRUE)
      },
      "mmrm us, covariate far from zero, later vcovs" = function() {
        far <- fev
        far$FEV1 <- far$FEV1 + 1e4
        far$FEV1_BL <- far$FEV1_BL + 1e4
        fit <- mmrm_fit(FEV1 ~ FEV1_BL + ARMCD * AVISIT + us(AVISIT | USUBJID), far, df = "Satterthwaite")
        out <- mmrm_numbers(fit)
        # computed after the fit from the engine (a second engine before
        # issue 16, the centred one mapped with T after)
        later <- function(f) list(vcov(f, type = "Kenward-Roger"), vcov(f, type = "Empirical-Jackknife"))
        out$vcov <- c(list(out$vcov), later(fit))
        out$lsmeans <- stats::residuals(fit, type = "normalized")
        # exact reference: the same fit without the offsets, mapped (intercept
        # - 1e4 * slope; the response offset leaves the covariances alone)
        base <- mmrm_fit(FEV1 ~ FEV1_BL + ARMCD * AVISIT + us(AVISIT | USUBJID), fev, df = "Satterthwaite")
        A <- diag(length(coef(base)))
        A[1, which(names(coef(base)) == "FEV1_BL")] <- -1e4
        out$reference <- list(vcov = lapply(c(list(vcov(base)), later(base)), function(V) A %*% V %*% t(A)))
        out
      },
      "mmrm us, moment route (chunks)" = function() {
        ch <- split(fev, as.integer(fev$USUBJID) %% 3)
        ch <- lapply(ch, function(x) x[order(x$USUBJID), ])
        mmrm_numbers(mmrm_fit(cov_formula("us(AVISIT | USUBJID)"), mmrm_data_chunks(unname(ch))))
      },
      "mmrm ar1, moment route (large frame)" = function() {
        old <- options(glycotrial.mmrm_moment_rows = 1, glycotrial.moment_route_min_bytes = 0)
        on.exit(options(old))
        mmrm_numbers(mmrm_fit(cov_formula("ar1(AVISIT | USUBJID)"), fev, df = "Satterthwaite"))
      },
      "lmm sleepstudy (1 + Days | Subject)" = function() lmm_numbers(fit_lmm(Reaction ~ Days + (1 + Days | Subject), sleep)),
      "lmm sleepstudy, KR" = function() lmm_numbers(fit_lmm(Reaction ~ Days + (1 | Subject), sleep), "Kenward-Roger"),
      "lmm crossed (1 | plate) + (1 | sample)" = function() {
        lmm_numbers(fit_lmm(diameter ~ 1 + (1 | plate) + (1 | sample), lme4::Penicillin))
      },
      "lmm nested (1 | batch/cask)" = function() lmm_numbers(fit_lmm(strength ~ 1 + (1 | batch / cask), lme4::Pastes)),
      "lmm residual ar1" = function() {
        lmm_numbers(fit_lmm(AVAL ~ ARM * AVISIT + (1 | USUBJID) + ar1(AVISIT | USUBJID), lmm_d))
      },
      "lmm site + subject + residual ar1" = function() {
        lmm_numbers(fit_lmm(AVAL ~ ARM * AVISIT + (1 | SITE) + ar1(AVISIT | USUBJID), lmm_d))
      },
      "lmm residual cs" = function() {
        lmm_numbers(fit_lmm(AVAL ~ ARM * AVISIT + (1 | SITE) + cs(AVISIT | USUBJID), lmm_d))
      },
      "lmm residual us only, KR" = function() {
        lmm_numbers(fit_lmm(AVAL ~ ARM * AVISIT + us(AVISIT | USUBJID), lmm_d), "Kenward-Roger")
      },
      "joint (Kronecker U x AR(1) residual)" = function() {
        d <- adlb[adlb$USUBJID %in% unique(adlb$USUBJID)[1:50], ]
        f <- fit_joint(d, formula = ~ ARM * AVISIT, time_cor = "ar1")
        list(coef = f$coefficients, theta = f$theta, logLik = f$logLik, vcov = f$vcov, df = f$joint$residual_cov)
      },
      "joint (independent residuals)" = function() {
        d <- adlb[adlb$USUBJID %in% unique(adlb$USUBJID)[1:50], ]
        f <- fit_joint(d, formula = ~ ARM + AVISIT, residual = "independent")
        list(coef = f$coefficients, theta = f$theta, logLik = f$logLik, vcov = f$vcov, df = f$joint$residual_cov)
      },
      "lmm moment route (chunks)" = function() {
        ch <- split(lmm_d, as.integer(lmm_d$USUBJID) %% 2)
        lmm_numbers(fit_lmm(AVAL ~ ARM * WEEK + (1 + WEEK | USUBJID), mmrm_data_chunks(unname(ch))))
      }
    ))
  out <- lapply(cases, function(f) {
    tryCatch(suppressWarnings(suppressMessages(f())),
             error = function(e) list(error = gsub("\\s+", " ", paste(class(e)[1], conditionMessage(e)))))
  })
  attr(out, "path") <- find.package("glycotrial")
  attr(out, "version") <- as.character(utils::packageVersion("glycotrial", lib.loc = lib))
  out
}

run_in <- function(lib) {
  callr::r(fit_all, args = list(lib = lib), libpath = c(lib, .libPaths()), show = FALSE)
}

cat("before:", lib_before, "\nafter: ", lib_after, "\n")
before <- run_in(lib_before)
after <- run_in(lib_after)
cat("glycotrial loaded from", attr(before, "path"), "and", attr(after, "path"), "\n\n")

# Largest difference of two numeric objects, absolute and relative to
# max(1, |before|); Inf when their shapes, names or missing values differ.
diffs <- function(a, b) {
  if (is.null(a) && is.null(b)) return(c(abs = NA, rel = NA))
  a <- unlist(a)
  b <- unlist(b)
  if (length(a) != length(b) || !identical(names(a), names(b)) || !identical(is.na(a), is.na(b))) {
    return(c(abs = Inf, rel = Inf))
  }
  ok <- !is.na(a)
  if (!any(ok)) return(c(abs = 0, rel = 0))
  d <- abs(a[ok] - b[ok])
  c(abs = max(d), rel = max(d / pmax(1, abs(a[ok]))))
}

`%||%` <- function(a, b) if (is.null(a)) b else a
what <- c("coef", "theta", "logLik", "vcov", "df", "lsmeans")
rows <- lapply(names(before), function(m) {
  a <- before[[m]]
  b <- after[[m]]
  if (!is.null(a$error) || !is.null(b$error)) {
    # a model that fails (in either version) was not compared: FAIL
    cat(sprintf("%-42s ERROR before: %s | after: %s\n", m, a$error %||% "none", b$error %||% "none"))
    return(data.frame(model = m, quantity = what, abs = Inf, rel = Inf))
  }
  do.call(rbind, lapply(what, function(q) {
    d <- diffs(a[[q]], b[[q]])
    data.frame(model = m, quantity = q, abs = d[["abs"]], rel = d[["rel"]])
  }))
})
tab <- do.call(rbind, rows)
wide_abs <- stats::reshape(tab[, c("model", "quantity", "abs")], idvar = "model", timevar = "quantity",
                           direction = "wide")
wide_rel <- stats::reshape(tab[, c("model", "quantity", "rel")], idvar = "model", timevar = "quantity",
                           direction = "wide")
fmt <- function(x) ifelse(is.na(x), "       -", formatC(x, format = "e", digits = 1, width = 8))
cols <- intersect(what, sub("^abs\\.", "", names(wide_abs)[-1]))
cat(sprintf("%-42s %s\n", "max abs difference", paste(formatC(cols, width = 8), collapse = " ")))
for (i in seq_len(nrow(wide_abs))) {
  cat(sprintf("%-42s %s\n", wide_abs$model[i],
              paste(fmt(unlist(wide_abs[i, paste0("abs.", cols)])), collapse = " ")))
}
cat(sprintf("\n%-42s %s\n", "max rel difference (to max(1, |before|))", paste(formatC(cols, width = 8), collapse = " ")))
for (i in seq_len(nrow(wide_rel))) {
  cat(sprintf("%-42s %s\n", wide_rel$model[i],
              paste(fmt(unlist(wide_rel[i, paste0("rel.", cols)])), collapse = " ")))
}
# Models beyond the tolerance where the new optimum is better (see above).
better <- character()
for (m in unique(tab$model[tab$rel > tol])) {
  a <- before[[m]]$optimum
  b <- after[[m]]$optimum
  if (is.null(a) || is.null(b) || !is.finite(a$max_gradient) || !is.finite(b$max_gradient)) next
  ok <- b$deviance <= a$deviance + 1e-12 && b$max_gradient < a$max_gradient
  cat(sprintf("\n%s: deviance before %.15g after %.15g (after - before %.3g); max |gradient| before %.3g after %.3g: %s\n",
              m, a$deviance, b$deviance, b$deviance - a$deviance, a$max_gradient, b$max_gradient,
              if (ok) "a better optimum, accepted" else "not better"))
  if (ok) better <- c(better, m)
}
# Models whose only difference beyond the tolerance is in a quantity with an
# exact reference (the same fit of data without an offset, mapped): accepted
# when the version after is closer to the reference.
closer <- character()
for (m in setdiff(unique(tab$model[tab$rel > tol]), better)) {
  ref <- after[[m]]$reference
  off <- tab$quantity[tab$model == m & tab$rel > tol]
  if (is.null(ref) || !all(off %in% names(ref))) next
  ok <- TRUE
  for (q in off) {
    d_before <- diffs(ref[[q]], before[[m]][[q]])[["rel"]]
    d_after <- diffs(ref[[q]], after[[m]][[q]])[["rel"]]
    cat(sprintf("\n%s: %s %.2g from the exact reference before, %.2g after\n", m, q, d_before, d_after))
    ok <- ok && d_after < d_before
  }
  cat(sprintf("%s: %s\n", m, if (ok) "closer to the exact reference, accepted" else "not closer"))
  if (ok) better <- c(better, m)
}
worst <- max(tab$rel[!tab$model %in% better], na.rm = TRUE)
n_models <- length(before)
cat(sprintf("\n%s: %d models, largest relative difference %.2g (tolerance %.0e)%s\n",
            if (worst <= tol) "PASS" else "FAIL", n_models, worst, tol,
            if (length(better)) sprintf(", not counting %d model(s) at a better optimum or closer to an exact reference", length(better)) else ""))
quit(status = if (worst <= tol) 0 else 1)
