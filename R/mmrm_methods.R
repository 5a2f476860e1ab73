# Methods for glycotrial_mmrm fits (see mmrm_fit() for the object's fields).

#' Methods for fitted MMRMs
#'
#' Standard accessors for a [mmrm_fit()] fit. `vcov()` returns the
#' covariance chosen at fit time (or another `type`); `VarCorr()` the
#' estimated residual covariance matrix over the visits (a list by group for
#' grouped structures); `anova()` Type III (default) or Type II F tests of
#' each term with the fit's degrees-of-freedom method, defined as in mmrm
#' (see Details);
#' `residuals()` response, Pearson or normalized residuals; `AIC()` with
#' `corrected = TRUE` gives AICc. `logLik()` counts the covariance
#' parameters (plus the coefficients for ML fits) as degrees of freedom, as
#' mmrm does.
#'
#' Hypotheses of `anova()`: Type III tests the coefficients of a term in
#' the sum-to-zero (`contr.sum`) parametrisation, mapped to the fit's
#' coding by `A = (X_s'X_s)^-1 X_s'X`, so that a main effect is averaged
#' over the levels of the factors it interacts with (as SAS and
#' `mmrm::Anova()`); Type II tests a term adjusted for all terms that do not
#' contain it: the block of a containing term T (same or higher order, all
#' the term's variables, extra variables all factors) is
#' `(X_1'M X_1)^-1 X_1'M X_T` with `M` the residual projection on the
#' remaining columns (mmrm's definition, from `X'X`). Without an intercept
#' the first term containing a factor carries it: its `k` level coefficients
#' are tested as the `k - 1` differences to the last level, `D = [I, -1]`,
#' applied to its own columns and to the containing terms' blocks alike
#' (`L = D (X_1'M X_1)^-1 X_1'M X`), so the test equals that of the same
#' model with an intercept. (mmrm 0.3 pairs `D` with differences to the
#' first level on the containing terms, so its test of such a term differs
#' when it interacts with another, and it stops when no term is left to
#' adjust for.) The F statistic uses
#' the fit's covariance (`vcov()`), its denominator df the fit's df method
#' (Kenward-Roger scaled F for the Kenward-Roger methods, Fai-Cornelius
#' Satterthwaite otherwise).
#'
#' @param object,x A `glycotrial_mmrm` fit.
#' @param complete Include aliased coefficients as `NA`?
#' @param type For `vcov()`: one of the `vcov` types of [mmrm_fit()]
#'   (default: the fit's). For `residuals()`: `"response"`, `"pearson"` or
#'   `"normalized"`. For `anova()`: `"III"` (default) or `"II"` (also
#'   `3`, `2`).
#' @param parm,level Coefficients and confidence level for `confint()`.
#' @param k,corrected Penalty per parameter; small-sample correction (AICc).
#' @param digits Digits to print.
#' @param ... Unused.
#' @return The usual values: numeric vectors, matrices, a `logLik` object,
#'   data frames (`anova()`), a `summary.glycotrial_mmrm` list with
#'   `coefficients` (Estimate, Std. Error, df, t value, Pr(>|t|)),
#'   `varcor`, `aic`, `bic`, `loglik`, `deviance`, `convergence`.
#' @examples
#' set.seed(2)
#' d <- expand.grid(USUBJID = factor(1:30), AVISIT = factor(c("W4", "W8", "W12"),
#'                  levels = c("W4", "W8", "W12")))
#' d$ARM <- factor(ifelse(as.integer(d$USUBJID) %% 2 == 0, "Drug", "Placebo"))
#' d$CHG <- rnorm(nrow(d)) + rep(rnorm(30), times = 3)
#' fit <- mmrm_fit(CHG ~ ARM + AVISIT + ar1(AVISIT | USUBJID), data = d,
#'                 df = "Satterthwaite")
#' coef(fit)
#' VarCorr(fit)
#' anova(fit)
#' anova(fit, type = "II")
#' confint(fit)
#' AIC(fit); BIC(fit); logLik(fit)
#' @name mmrm_methods
NULL

#' @rdname mmrm_methods
#' @export
coef.glycotrial_mmrm <- function(object, complete = TRUE, ...) {
  if (complete) object$beta else object$beta_est
}

#' @rdname mmrm_methods
#' @export
vcov.glycotrial_mmrm <- function(object, complete = FALSE, type = NULL, ...) {
  v <- if (is.null(type) || identical(type, object$vcov_type)) {
    object$beta_vcov_adj
  } else {
    type <- check_choice(type, mmrm_vcov_types, arg = "type")
    if (type %in% c("Kenward-Roger", "Kenward-Roger-Linear")) {
      mmrm_kr_components(object, linear = type == "Kenward-Roger-Linear")$vcov_adj
    } else {
      mmrm_vcov_compute(object, type)
    }
  }
  if (complete && any(object$aliased)) {
    nm <- names(object$aliased)
    full <- matrix(NA_real_, length(nm), length(nm), dimnames = list(nm, nm))
    full[!object$aliased, !object$aliased] <- v
    v <- full
  }
  v
}

#' @rdname mmrm_methods
#' @export
logLik.glycotrial_mmrm <- function(object, ...) {
  df <- object$n_theta + if (object$reml) 0 else object$n_beta
  structure(object$loglik, df = df, nobs = object$n_obs, class = "logLik")
}

#' @rdname mmrm_methods
#' @export
AIC.glycotrial_mmrm <- function(object, ..., k = 2, corrected = FALSE) {
  df <- attr(stats::logLik(object), "df")
  pen <- k * df
  if (corrected) {
    n <- object$n_obs - if (object$reml) object$n_beta else 0
    pen <- pen * n / (n - df - 1)
  }
  -2 * object$loglik + pen
}

#' @rdname mmrm_methods
#' @export
BIC.glycotrial_mmrm <- function(object, ...) {
  df <- attr(stats::logLik(object), "df")
  -2 * object$loglik + log(object$n_subjects) * df
}

#' @rdname mmrm_methods
#' @export
deviance.glycotrial_mmrm <- function(object, ...) object$deviance

#' @rdname mmrm_methods
#' @export
nobs.glycotrial_mmrm <- function(object, ...) object$n_obs

#' @rdname mmrm_methods
#' @export
model.matrix.glycotrial_mmrm <- function(object, ...) {
  mmrm_need_rows(object, "{.fun model.matrix}")
  object$x_matrix
}

#' @rdname mmrm_methods
#' @export
fitted.glycotrial_mmrm <- function(object, ...) {
  mmrm_need_rows(object, "{.fun fitted}")
  f <- drop(object$x_matrix %*% object$beta_est)
  # offset() terms of the formula (R/mmrm_offset.R)
  if (!is.null(object$offset)) f <- f + object$offset
  mmrm_to_data_order(object, f)
}

#' @rdname mmrm_methods
#' @export
residuals.glycotrial_mmrm <- function(object, type = c("response", "pearson", "normalized"), ...) {
  type <- match.arg(type)
  mmrm_need_rows(object, "{.fun residuals}")
  r <- object$y - drop(object$x_matrix %*% object$beta_est)  # y net of any offset
  out <- switch(type,
    response = r,
    pearson = {
      sd <- numeric(length(r))
      st <- object$subject_start
      for (s in seq_len(length(st) - 1)) {
        idx <- (st[s] + 1):st[s + 1]
        sd[idx] <- sqrt(diag(mmrm_subject_sigma(object, s)))
      }
      r / sd
    },
    normalized = {
      cpp_mmrm_subject_pass(object$engine, object$theta, mmrm_engine_beta(object))$normalized
    })
  mmrm_to_data_order(object, out)
}

#' @rdname mmrm_methods
#' @export
confint.glycotrial_mmrm <- function(object, parm, level = 0.95, ...) {
  check_number(level, lower = 0, upper = 1, open = TRUE)
  ct <- mmrm_coef_table(object)
  if (missing(parm)) parm <- rownames(ct)
  ct <- ct[parm, , drop = FALSE]
  q <- stats::qt((1 + level) / 2, ct[, "df"])
  out <- cbind(ct[, "Estimate"] - q * ct[, "Std. Error"], ct[, "Estimate"] + q * ct[, "Std. Error"])
  pct <- paste(format(100 * c((1 - level) / 2, (1 + level) / 2), trim = TRUE, scientific = FALSE,
                      digits = 3), "%")
  dimnames(out) <- list(parm, pct)
  out
}

#' @rdname mmrm_methods
#' @export
VarCorr.glycotrial_mmrm <- function(x, ...) x$sigma

#' @importFrom nlme VarCorr
#' @export
nlme::VarCorr

mmrm_coef_table <- function(object) {
  p <- length(object$beta_est)
  rows <- lapply(seq_len(p), function(j) {
    cc <- numeric(p)
    cc[j] <- 1
    mmrm_test_1d(object, cc)
  })
  tab <- cbind(
    Estimate = vapply(rows, `[[`, numeric(1), "est"),
    `Std. Error` = vapply(rows, `[[`, numeric(1), "se"),
    df = vapply(rows, `[[`, numeric(1), "df"),
    `t value` = vapply(rows, `[[`, numeric(1), "t_stat"),
    `Pr(>|t|)` = vapply(rows, `[[`, numeric(1), "p_val"))
  rownames(tab) <- names(object$beta_est)
  tab
}

#' @rdname mmrm_methods
#' @export
summary.glycotrial_mmrm <- function(object, ...) {
  structure(list(
    call = object$call, cov_type = object$cov_type, reml = object$reml,
    df_method = object$df_method, vcov_type = object$vcov_type,
    coefficients = mmrm_coef_table(object), aliased = names(object$aliased)[object$aliased],
    varcor = object$sigma, n_obs = object$n_obs, n_subjects = object$n_subjects,
    n_theta = object$n_theta, loglik = object$loglik, deviance = object$deviance,
    aic = stats::AIC(object), bic = stats::BIC(object),
    aicc = stats::AIC(object, corrected = TRUE), convergence = object$convergence,
    group_var = object$group_var),
    class = "summary.glycotrial_mmrm")
}

#' @rdname mmrm_methods
#' @export
print.summary.glycotrial_mmrm <- function(x, digits = max(3, getOption("digits") - 3), ...) {
  cat("MMRM fit by", if (x$reml) "REML" else "ML", "(glycotrial)\n")
  cat("Formula:    ", deparse(x$call$formula), "\n", sep = "")
  cat("Covariance: ", x$cov_type, if (!is.null(x$group_var)) paste0(" (by ", x$group_var, ")"),
      ", ", x$n_theta, " parameters\n", sep = "")
  cat("Inference:  ", x$df_method, " df, ", x$vcov_type, " covariance\n", sep = "")
  cat("Data:       ", x$n_obs, " observations from ", x$n_subjects, " subjects\n\n", sep = "")
  cat("Model fit:\n")
  print(c(AIC = x$aic, AICc = x$aicc, BIC = x$bic, logLik = x$loglik, deviance = x$deviance),
        digits = digits + 2)
  cat("\nCoefficients:\n")
  stats::printCoefmat(x$coefficients, digits = digits, has.Pvalue = TRUE, P.values = TRUE)
  if (length(x$aliased)) cat("Aliased (not estimable):", paste(x$aliased, collapse = ", "), "\n")
  cat("\nCovariance estimate:\n")
  print(x$varcor, digits = digits)
  cat("\nConvergence: ", x$convergence$message, " (", x$convergence$optimizer, ", max |gradient| ",
      format(x$convergence$max_gradient, digits = 2), ")\n", sep = "")
  invisible(x)
}

#' @rdname mmrm_methods
#' @export
print.glycotrial_mmrm <- function(x, digits = max(3, getOption("digits") - 3), ...) {
  cat("MMRM fit by", if (x$reml) "REML" else "ML", "(glycotrial)\n")
  cat("Formula:    ", paste(deparse(x$formula), collapse = " "), "\n", sep = "")
  cat("Covariance: ", x$cov_type, if (!is.null(x$group_var)) paste0(" (by ", x$group_var, ")"),
      "; inference: ", x$df_method, "\n", sep = "")
  cat("Data:       ", x$n_obs, " observations, ", x$n_subjects, " subjects\n", sep = "")
  cat("logLik:     ", format(x$loglik, digits = digits + 3),
      if (!x$convergence$converged) "  (NOT CONVERGED)", "\n\nCoefficients:\n", sep = "")
  print(x$beta, digits = digits)
  invisible(x)
}

#' Predictions and simulations from a fitted MMRM
#'
#' `predict()` gives population predictions `X beta` for `newdata` (default:
#' the model data) or, with `conditional = TRUE`, the best linear unbiased
#' prediction of each row given the same subject's observed responses in
#' `newdata` (rows with a missing response are predicted from the subject's
#' observed visits; observed rows are returned as observed). `simulate()`
#' draws responses from the fitted marginal model.
#'
#' @param object A `glycotrial_mmrm` fit.
#' @param newdata Data frame with the model's columns (response may be `NA`).
#' @param conditional Condition on the subject's observed responses?
#' @param interval `"none"`, `"confidence"` or `"prediction"`.
#' @param level Confidence level.
#' @param nsim Number of simulated responses (at most
#'   `getOption("glycotrial.max_simulate_cells", 1e8)` values in all).
#' @param seed Random seed (as in [stats::simulate()]).
#' @param ... Unused.
#' @return `predict()`: a numeric vector, or a matrix with columns `fit`,
#'   `se`, `lwr`, `upr` when an interval is requested. Without `newdata`, in
#'   the row order of the fitted data (see `na.action` of [mmrm_fit()]).
#'   With `conditional = TRUE` the `se` of a row with a missing response is
#'   that of its conditional mean `(x_m - A X_o) beta + A y_o` given the
#'   subject's observed rows (`A = S_mo S_oo^-1`), 0 for observed rows.
#'   Rows that are not estimable (aliased cells) are `NA`, with a
#'   `glycotrial_message_nonestimable` message. `simulate()`: a data
#'   frame with `nsim` columns, one row per model observation.
#' @examples
#' set.seed(3)
#' d <- expand.grid(USUBJID = factor(1:30), AVISIT = factor(c("W4", "W8")))
#' d$CHG <- rnorm(nrow(d)) + rep(rnorm(30), times = 2)
#' fit <- mmrm_fit(CHG ~ AVISIT + us(AVISIT | USUBJID), data = d, df = "Residual")
#' head(predict(fit, interval = "confidence"))
#' nd <- d[d$USUBJID == "1", ]
#' nd$CHG[2] <- NA
#' predict(fit, nd, conditional = TRUE)
#' dim(simulate(fit, nsim = 2, seed = 1))
#' @name mmrm_predict
NULL

mmrm_new_x <- function(object, newdata) {
  newdata <- mmrm_logical_as_factor(object, newdata)
  tt <- stats::delete.response(object$terms)
  mf <- stats::model.frame(tt, newdata, na.action = stats::na.pass, xlev = object$xlevels)
  X <- stats::model.matrix(tt, mf, contrasts.arg = object$contrasts)
  off <- stats::model.offset(mf)
  X <- X[, !object$aliased, drop = FALSE]
  if (!is.null(off)) attr(X, "offset") <- as.numeric(off)
  X
}

#' @rdname mmrm_predict
#' @export
predict.glycotrial_mmrm <- function(object, newdata, conditional = FALSE,
                                    interval = c("none", "confidence", "prediction"),
                                    level = 0.95, ...) {
  interval <- match.arg(interval)
  check_flag(conditional)
  if (missing(newdata)) {
    mmrm_need_rows(object, "{.fun predict} without {.arg newdata}")
    # the data's row order (and its unused rows with na.exclude)
    newdata <- mmrm_data_in_order(object)
  }
  check_data_frame(newdata)
  X <- mmrm_new_x(object, newdata)
  fit <- drop(X %*% object$beta_est)
  if (!is.null(attr(X, "offset"))) fit <- fit + attr(X, "offset")
  V <- object$beta_vcov_adj
  se <- sqrt(pmax(rowSums((X %*% V) * X), 0))
  pred_var <- rep(NA_real_, length(fit))
  if (conditional || interval == "prediction") {
    subj <- as.character(newdata[[object$subject_var]])
    vis <- newdata[[object$visit_var]]
    coords <- if (object$cov_spatial) as.numeric(vis) else match(as.character(vis), object$visit_levels) - 1
    if (!object$cov_spatial && any(is.na(coords) & !is.na(vis))) {
      glycotrial_abort("{.arg newdata} has visits not in the model: {.val {unique(vis[is.na(coords) & !is.na(vis)])}}.")
    }
    y <- if (object$response %in% names(newdata)) newdata[[object$response]] else rep(NA_real_, length(fit))
    grp <- if (is.null(object$group_var)) NULL else newdata[[object$group_var]]
    for (s in unique(subj)) {
      idx <- which(subj == s)
      g <- if (is.null(grp)) 0L else match(as.character(grp[idx[1]]), object$group_levels) - 1L
      S <- cpp_mmrm_sigma(object$engine, object$theta, g, coords[idx])
      obs <- !is.na(y[idx])
      cond_var <- diag(S)
      if (conditional && any(obs) && any(!obs)) {
        So <- S[obs, obs, drop = FALSE]
        Smo <- S[!obs, obs, drop = FALSE]
        A <- t(solve(So, t(Smo)))
        ro <- y[idx][obs] - fit[idx][obs]
        fit[idx][!obs] <- fit[idx][!obs] + drop(A %*% ro)
        cond_var[!obs] <- diag(S[!obs, !obs, drop = FALSE] - A %*% t(Smo))
        # The conditional mean (X_m - A X_o) beta + A y_o: its standard
        # error from Cov(beta) is that of the row (X_m - A X_o), not X_m.
        B <- X[idx[!obs], , drop = FALSE] - A %*% X[idx[obs], , drop = FALSE]
        se[idx][!obs] <- sqrt(pmax(rowSums((B %*% V) * B), 0))
      }
      if (conditional && any(obs)) {
        fit[idx][obs] <- y[idx][obs]
        cond_var[obs] <- 0
        se[idx][obs] <- 0
      }
      pred_var[idx] <- cond_var
    }
  }
  if (any(object$aliased)) {
    est_ok <- mmrm_is_estimable(object, mmrm_full_x(object, newdata)) | is.na(fit)
    if (any(!est_ok)) {
      fit[!est_ok] <- NA_real_
      se[!est_ok] <- NA_real_
      mmrm_inform_nonestimable("predictions", sum(!est_ok))
    }
  }
  if (interval == "none") return(stats::setNames(fit, rownames(newdata)))
  q <- stats::qnorm((1 + level) / 2)
  s <- if (interval == "confidence") se else sqrt(se^2 + pred_var)
  cbind(fit = fit, se = s, lwr = fit - q * s, upr = fit + q * s)
}

#' @rdname mmrm_predict
#' @export
simulate.glycotrial_mmrm <- function(object, nsim = 1, seed = NULL, ...) {
  check_count(nsim, lower = 1, len = 1)
  mmrm_need_rows(object, "{.fun simulate}")
  cap <- getOption("glycotrial.max_simulate_cells", 1e8)
  if (nsim * length(object$y) > cap) {
    glycotrial_abort(c(
      "{.arg nsim} = {format(nsim, big.mark = ',')} would simulate {format(nsim * length(object$y), big.mark = ',')} values, more than the limit of {format(cap, big.mark = ',')}.",
      "i" = "Simulate in batches of fewer replicates, or raise the limit with {.code options(glycotrial.max_simulate_cells = )} if the memory allows."),
      class = c("glycotrial_error_too_large", "glycotrial_error_input"))
  }
  if (!is.null(seed)) set.seed(seed)
  mu <- drop(object$x_matrix %*% object$beta_est)
  st <- object$subject_start
  chols <- lapply(seq_len(length(st) - 1), function(s) t(chol(mmrm_subject_sigma(object, s))))
  out <- vapply(seq_len(nsim), function(i) {
    y <- mu
    for (s in seq_along(chols)) {
      idx <- (st[s] + 1):st[s + 1]
      y[idx] <- y[idx] + drop(chols[[s]] %*% stats::rnorm(length(idx)))
    }
    y
  }, numeric(length(mu)))
  out <- as.data.frame(matrix(out, ncol = nsim))
  names(out) <- paste0("sim_", seq_len(nsim))
  rownames(out) <- object$rows
  out
}
