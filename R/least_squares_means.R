# Built-in least-squares means for glycotrial_mmrm fits (no emmeans needed):
# estimates of the model averaged over a reference grid with equal weights
# for factors not in `specs`/`by` and numeric covariates at their mean (the
# emmeans defaults), and differences to a reference level within each `by`.

#' Least-squares means and differences from an MMRM
#'
#' Computes LS-means of `specs` (e.g. treatment arm) within each level of
#' `by` (e.g. visit), and the differences of each level to the reference
#' level, with confidence intervals, tests and the degrees-of-freedom method
#' and covariance of the fit. Other factors are averaged with equal weights
#' and numeric covariates are held at their mean over the analysed rows, as
#' `emmeans::emmeans()` does by default.
#'
#' @param object A [mmrm_fit()] fit.
#' @param specs Name of the factor whose levels are compared (default `"ARM"`).
#' @param by Optional name of a factor within whose levels the comparison is
#'   made (default `"AVISIT"`; `NULL` for none).
#' @param ref Reference level of `specs` for the differences (default: the
#'   first level).
#' @param at Optional named list of values for numeric covariates.
#' @param level Confidence level.
#' @details LS-means and differences that are not estimable (a cell without
#'   data, e.g. no subject of one arm at one visit or a planned visit not yet
#'   observed, so that an interaction coefficient is aliased) are reported as
#'   `NA` with a message of class `glycotrial_message_nonestimable`, as
#'   emmeans reports them `nonEst`: estimability is checked against the null
#'   space of the design matrix (package estimability).
#' @return An object of class `glycotrial_lsmeans`: a list with data frames
#'   `lsmeans` (columns `by`, `specs`, `estimate`, `se`, `df`, `lower`,
#'   `upper`) and `diffs` (same plus `t_stat`, `p_value`), and the contrast
#'   matrices `L_lsmeans`, `L_diffs`.
#' @examples
#' set.seed(4)
#' d <- expand.grid(USUBJID = factor(1:40), AVISIT = factor(c("W4", "W8", "W12"),
#'                  levels = c("W4", "W8", "W12")))
#' d$ARM <- factor(ifelse(as.integer(d$USUBJID) %% 2 == 0, "Drug", "Placebo"),
#'                 levels = c("Placebo", "Drug"))
#' d$BASE <- rep(rnorm(40), times = 3)
#' d$CHG <- rnorm(nrow(d)) - 0.5 * (d$ARM == "Drug") + rep(rnorm(40), times = 3)
#' fit <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), data = d,
#'                 df = "Satterthwaite")
#' least_squares_means(fit, specs = "ARM", by = "AVISIT")
#' @export
least_squares_means <- function(object, specs = "ARM", by = "AVISIT", ref = NULL, at = list(),
                    level = 0.95) {
  if (!inherits(object, "glycotrial_mmrm")) {
    glycotrial_abort("{.arg object} must be a {.fun mmrm_fit} fit, not {describe_value(object)}.")
  }
  check_string(specs)
  if (!is.null(by)) check_string(by)
  if (identical(specs, by)) {
    glycotrial_abort(c(
      "{.arg specs} and {.arg by} are both {.val {specs}}; compare the levels of one factor within the levels of another.",
      "i" = "E.g. {.code least_squares_means(fit, specs = \"ARM\", by = \"AVISIT\")}, or {.code by = NULL} for {.val {specs}} alone."),
      class = c("glycotrial_error_specs_by", "glycotrial_error_input"))
  }
  if (!is.null(ref)) check_string(ref)
  check_number(level, lower = 0, upper = 1, open = TRUE)
  if (!is.list(at)) glycotrial_abort("{.arg at} must be a named list, not {describe_value(at)}.")
  xlev <- object$xlevels
  for (v in c(specs, by)) {
    if (is.null(xlev[[v]])) {
      glycotrial_abort("{.arg {if (identical(v, specs)) 'specs' else 'by'}} must name a factor of the model; {.val {v}} is not one (factors: {.val {names(xlev)}}).")
    }
  }
  lev_s <- xlev[[specs]]
  if (length(lev_s) < 2) {
    glycotrial_abort(c(
      "{.arg specs} {.val {specs}} has a single level ({.val {lev_s}}) in the fit; there is nothing to compare.",
      "i" = "Choose a factor with at least two levels for {.arg specs}."),
      class = c("glycotrial_error_single_level", "glycotrial_error_input"))
  }
  if (is.null(ref)) ref <- lev_s[1]
  if (!ref %in% lev_s) {
    glycotrial_abort("{.arg ref} must be a level of {.field {specs}} ({.val {lev_s}}), not {.val {ref}}.")
  }
  vars <- all.vars(stats::delete.response(object$terms))
  num_vars <- setdiff(vars, names(xlev))
  if (length(at) && (is.null(names(at)) || any(!names(at) %in% num_vars))) {
    bad_at <- if (is.null(names(at))) "(unnamed)" else setdiff(names(at), num_vars)
    glycotrial_abort("{.arg at} may only set numeric covariates of the model ({.val {num_vars}}); found {.val {bad_at}}.")
  }
  for (v in names(at)) {
    check_number(at[[v]], len = NULL, arg = paste0("at$", v))
    if (!length(at[[v]]) || any(!is.finite(at[[v]]))) {
      glycotrial_abort(c(
        "{.arg at${v}} must be finite numbers; found {.val {format(at[[v]])}}.",
        "i" = "Give the covariate values at which to compute the LS-means, e.g. {.code at = list({v} = 0)}."),
        class = c("glycotrial_error_at", "glycotrial_error_input"))
    }
  }
  dat <- object$data
  grid_vals <- lapply(vars, function(v) {
    if (!is.null(xlev[[v]])) return(xlev[[v]])
    if (!is.null(at[[v]])) return(at[[v]])
    if (isTRUE(object$moments_only)) return(object$covariate_means[[v]])
    x <- dat[[v]]
    if (is.logical(x)) return(mean(x))
    mean(x)
  })
  names(grid_vals) <- vars
  grid <- expand.grid(grid_vals, stringsAsFactors = FALSE, KEEP.OUT.ATTRS = FALSE)
  # all columns, aliased ones included, for the estimability check
  X <- mmrm_full_x(object, grid)
  by_levels <- if (is.null(by)) NA_character_ else xlev[[by]]
  cells <- expand.grid(specs = lev_s, by = by_levels, stringsAsFactors = FALSE)
  L_full <- matrix(t(vapply(seq_len(nrow(cells)), function(i) {
    sel <- grid[[specs]] == cells$specs[i]
    if (!is.null(by)) sel <- sel & grid[[by]] == cells$by[i]
    colMeans(X[sel, , drop = FALSE])
  }, numeric(ncol(X)))), ncol = ncol(X), dimnames = list(NULL, colnames(X)))
  est_ok <- mmrm_is_estimable(object, L_full)
  L <- L_full[, !object$aliased, drop = FALSE]
  na_test <- list(est = NA_real_, se = NA_real_, df = NA_real_, t_stat = NA_real_, p_val = NA_real_)
  one <- function(Lrow, ok = TRUE) if (ok) mmrm_test_1d(object, Lrow) else na_test
  q <- function(df) stats::qt((1 + level) / 2, df)
  est <- lapply(seq_len(nrow(L)), function(i) one(L[i, ], est_ok[i]))
  lsm <- data.frame(by = cells$by, specs = cells$specs,
                    estimate = vapply(est, `[[`, numeric(1), "est"),
                    se = vapply(est, `[[`, numeric(1), "se"),
                    df = vapply(est, `[[`, numeric(1), "df"), stringsAsFactors = FALSE)
  lsm$lower <- lsm$estimate - q(lsm$df) * lsm$se
  lsm$upper <- lsm$estimate + q(lsm$df) * lsm$se
  D <- list()
  D_full <- list()
  dcells <- list()
  for (b in by_levels) {
    ir <- which(cells$specs == ref & (is.na(b) | cells$by %in% b))
    for (s in setdiff(lev_s, ref)) {
      is <- which(cells$specs == s & (is.na(b) | cells$by %in% b))
      D[[length(D) + 1]] <- L[is, ] - L[ir, ]
      D_full[[length(D_full) + 1]] <- L_full[is, ] - L_full[ir, ]
      dcells[[length(dcells) + 1]] <- data.frame(by = b, contrast = paste(s, "-", ref),
                                                 stringsAsFactors = FALSE)
    }
  }
  Ld <- do.call(rbind, D)
  d_ok <- mmrm_is_estimable(object, do.call(rbind, D_full))
  dt <- lapply(seq_len(nrow(Ld)), function(i) one(Ld[i, ], d_ok[i]))
  if (any(!est_ok) || any(!d_ok)) {
    mmrm_inform_nonestimable("LS-means or differences", sum(!est_ok) + sum(!d_ok))
  }
  diffs <- do.call(rbind, dcells)
  diffs$estimate <- vapply(dt, `[[`, numeric(1), "est")
  diffs$se <- vapply(dt, `[[`, numeric(1), "se")
  diffs$df <- vapply(dt, `[[`, numeric(1), "df")
  diffs$lower <- diffs$estimate - q(diffs$df) * diffs$se
  diffs$upper <- diffs$estimate + q(diffs$df) * diffs$se
  diffs$t_stat <- vapply(dt, `[[`, numeric(1), "t_stat")
  diffs$p_value <- vapply(dt, `[[`, numeric(1), "p_val")
  if (is.null(by)) {
    lsm$by <- NULL
    diffs$by <- NULL
  } else {
    names(lsm)[1] <- by
    names(diffs)[1] <- by
  }
  names(lsm)[names(lsm) == "specs"] <- specs
  structure(list(lsmeans = lsm, diffs = diffs, L_lsmeans = L, L_diffs = Ld, level = level,
                 df_method = object$df_method, specs = specs, by = by),
            class = "glycotrial_lsmeans")
}

#' @export
print.glycotrial_lsmeans <- function(x, digits = 4, ..., n = 40) {
  cat("LS-means (", x$df_method, " df, ", format(100 * x$level), "% CI)\n", sep = "")
  console_cat(console_table(x$lsmeans, n = n, digits = digits))
  cat("\nDifferences to the reference level\n")
  d <- x$diffs
  if ("p_value" %in% names(d)) d$p_value <- fmt_pvalue(d$p_value)
  console_cat(console_table(d, n = n, digits = digits))
  invisible(x)
}

#' @export
as.data.frame.glycotrial_lsmeans <- function(x, ...) x$diffs
