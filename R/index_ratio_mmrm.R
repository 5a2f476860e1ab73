# Beta-cell function and insulin-resistance indices compared between arms on
# the log scale: an MMRM of log(index / baseline) adjusted for log(baseline),
# whose LS-mean differences are back-transformed to ratios of geometric means.

#' Ratios of geometric means of indices between arms (MMRM on the log scale)
#'
#' Skewed indices (HOMA-IR, HOMA-B, C-peptide AUC, Matsuda, ...) are compared
#' between arms on the log scale. For each index, `index_ratio_mmrm()` fits
#' the MMRM
#'
#' `log(AVAL / BASE) ~ log(BASE) + arm * visit + <covariance>(visit | subject)`
#'
#' with [mmrm_fit()] on the post-baseline visits, computes LS-means and their
#' differences to the reference arm by visit with [least_squares_means()], and
#' back-transforms them: `exp()` of an LS-mean is the adjusted geometric mean
#' ratio to baseline in that arm, and `exp()` of a difference is the ratio of
#' geometric means (arm / reference) with its confidence interval. Because
#' `log(BASE)` is a covariate, the ratios are the same as those from an MMRM
#' of `log(AVAL)`.
#'
#' @param x Result of [beta_cell_indices()] (wide, with a `units` attribute)
#'   or a long data frame with `subject`, `visit`, `arm`, `PARAMCD` and `AVAL`
#'   columns (see [index_change()]).
#' @param arm,subject,visit Column names.
#' @param reference Reference arm (denominator of the ratios); default: the
#'   first level of `arm` (or first sorted value).
#' @param baseline Value of `visit` that marks the baseline.
#' @param indices Index keys to analyse (`NULL`: all in `x`).
#' @param visitn Optional column of `x` with numeric visit order (e.g.
#'   `"AVISITN"`); when absent, visits keep their factor order or order of
#'   appearance.
#' @param covariance Covariance structures tried in turn until a fit
#'   converges (e.g. `c("us", "toeph", "cs")`).
#' @param df Degrees-of-freedom method passed to [mmrm_fit()].
#' @param conf_level Confidence level.
#' @return An object of class `glycotrial_index_ratio`: a list with
#'   `ratios` (per index, visit and comparison: `n`, `ratio`, `lower`,
#'   `upper`, `df`, `p_value`, and the log-scale `estimate`, `se`),
#'   `lsmeans` (per index, visit and arm: `n`, geometric mean `ratio_to_baseline`
#'   with `lower`, `upper`), `models` (structure used, structures tried,
#'   convergence), `fits` (the [mmrm_fit()] fits) and `conf_level`.
#'   `as.data.frame()` returns `ratios`.
#' @seealso [index_change()] for unadjusted ratios to baseline.
#' @examples
#' set.seed(2)
#' n <- 30
#' d <- expand.grid(USUBJID = sprintf("S%02d", 1:n),
#'                  AVISIT = c("Baseline", "Week 12", "Week 24"), stringsAsFactors = FALSE)
#' d$ARM <- ifelse(as.integer(substr(d$USUBJID, 2, 3)) %% 2 == 0, "Drug", "Placebo")
#' d$PARAMCD <- "homa_ir_cp"
#' d$AVAL <- exp(rep(rnorm(n, 1, 0.4), 3) + rnorm(nrow(d), 0, 0.2) -
#'               0.3 * (d$ARM == "Drug" & d$AVISIT != "Baseline"))
#' r <- index_ratio_mmrm(d, reference = "Placebo", covariance = "cs")
#' r$ratios[, c("PARAMCD", "AVISIT", "contrast", "ratio", "lower", "upper")]
#' @export
index_ratio_mmrm <- function(x, arm = "ARM", reference = NULL, subject = "USUBJID",
                             visit = "AVISIT", baseline = "Baseline", indices = NULL,
                             visitn = "AVISITN", covariance = c("us", "toeph", "ar1h", "cs"),
                             df = "Kenward-Roger", conf_level = 0.95) {
  check_string(arm)
  check_string(subject)
  check_string(visit)
  check_string(visitn)
  check_number(conf_level, lower = 0, upper = 1, open = TRUE)
  if (!is.character(covariance) || !length(covariance) || anyNA(covariance)) {
    glycotrial_abort("{.arg covariance} must be a character vector of covariance structure names, not {describe_value(covariance)}.")
  }
  if (!is.data.frame(x)) {
    glycotrial_abort("{.arg x} must be the result of {.fun beta_cell_indices} or a long data frame, not {describe_value(x)}.")
  }
  # Visit order, taken before index_change() drops the other columns.
  vis <- x[[visit]]
  vis_levels <- if (visitn %in% names(x)) {
    u <- unique(data.frame(v = as.character(vis), n = x[[visitn]], stringsAsFactors = FALSE))
    unique(u$v[order(u$n)])
  } else if (is.factor(vis)) levels(vis) else unique(as.character(vis))
  ch <- index_change(x, baseline = baseline, subject = subject, visit = visit, arm = arm,
                     indices = indices, log = TRUE, conf_level = conf_level)
  d <- ch$data
  d <- d[d$ABLFL != "Y" & !is.na(d$CHG) & !is.na(d[[arm]]), , drop = FALSE]
  if (!nrow(d)) {
    glycotrial_abort("No post-baseline records with a positive value and a positive baseline in {.arg x}.")
  }
  arm_levels <- if (is.factor(x[[arm]])) levels(x[[arm]]) else sort(unique(as.character(d[[arm]])))
  arm_levels <- arm_levels[arm_levels %in% as.character(d[[arm]])]
  if (is.null(reference)) reference <- arm_levels[1]
  check_string(reference)
  if (!reference %in% arm_levels) {
    glycotrial_abort("{.arg reference} must be an arm with post-baseline data ({.val {arm_levels}}), not {.val {reference}}.")
  }
  arm_levels <- c(reference, setdiff(arm_levels, reference))
  if (length(arm_levels) < 2) {
    glycotrial_abort("{.arg x} must have post-baseline data in at least two arms; found {.val {arm_levels}}.")
  }
  d$LOGCHG <- d$CHG
  d$LOGBASE <- log(d$BASE)
  d[[arm]] <- factor(as.character(d[[arm]]), levels = arm_levels)
  d[[subject]] <- factor(as.character(d[[subject]]))
  keys <- unique(d$PARAMCD)
  res <- lapply(keys, function(k) {
    dk <- d[d$PARAMCD == k, , drop = FALSE]
    dk[[visit]] <- factor(as.character(dk[[visit]]),
                          levels = intersect(vis_levels, as.character(dk[[visit]])))
    if (length(unique(dk[[arm]])) < 2 || nrow(dk) < 4) {
      glycotrial_warn("Index {.val {k}} skipped: too few post-baseline values in two arms.",
                      class = "glycotrial_warning_index_skipped")
      return(NULL)
    }
    index_ratio_one(dk, k, arm, subject, visit, reference, covariance, df, conf_level)
  })
  res <- Filter(Negate(is.null), res)
  if (!length(res)) {
    glycotrial_abort("No index in {.arg x} had enough post-baseline data for the MMRM.")
  }
  pick <- function(what) {
    out <- do.call(rbind, lapply(res, `[[`, what))
    rownames(out) <- NULL
    out
  }
  fits <- lapply(res, `[[`, "fit")
  names(fits) <- vapply(res, function(r) r$models$PARAMCD, character(1))
  structure(list(ratios = pick("ratios"), lsmeans = pick("lsmeans"), models = pick("models"),
                 fits = fits, conf_level = conf_level, reference = reference),
            class = "glycotrial_index_ratio")
}

index_ratio_one <- function(dk, k, arm, subject, visit, reference, covariance, df, conf_level) {
  multi <- nlevels(dk[[visit]]) > 1
  fixed <- if (multi) sprintf("LOGCHG ~ LOGBASE + `%s` * `%s`", arm, visit) else
    sprintf("LOGCHG ~ LOGBASE + `%s`", arm)
  fit <- NULL
  tried <- character()
  for (cov in covariance) {
    tried <- c(tried, cov)
    f <- stats::as.formula(sprintf("%s + %s(`%s` | `%s`)", fixed, cov, visit, subject))
    fit <- tryCatch(suppressWarnings(suppressMessages(mmrm_fit(f, data = dk, df = df))),
                    error = function(e) NULL)
    if (!is.null(fit) && isTRUE(fit$convergence$converged)) break
  }
  if (is.null(fit)) {
    glycotrial_abort("The MMRM of log({k}) could not be fitted with any of {.val {covariance}}.",
                     class = "convergence")
  }
  lm_ <- least_squares_means(fit, specs = arm, by = if (multi) visit else NULL, ref = reference,
                 level = conf_level)
  lsm <- lm_$lsmeans
  dif <- lm_$diffs
  if (!multi) {
    lsm[[visit]] <- levels(dk[[visit]])
    dif[[visit]] <- levels(dk[[visit]])
  }
  count <- function(v, a) sum(dk[[visit]] == v & dk[[arm]] == a)
  lsm_out <- data.frame(PARAMCD = k, visit = as.character(lsm[[visit]]),
                        arm = as.character(lsm[[arm]]),
                        n = mapply(count, as.character(lsm[[visit]]), as.character(lsm[[arm]])),
                        ratio_to_baseline = exp(lsm$estimate), lower = exp(lsm$lower),
                        upper = exp(lsm$upper), estimate = lsm$estimate, se = lsm$se,
                        stringsAsFactors = FALSE)
  num <- sub(paste0(" - ", reference, "$"), "", dif$contrast)
  rat <- data.frame(PARAMCD = k, visit = as.character(dif[[visit]]),
                    contrast = paste(num, "/", reference),
                    n = mapply(function(v, a) count(v, a) + count(v, reference),
                               as.character(dif[[visit]]), num),
                    ratio = exp(dif$estimate), lower = exp(dif$lower), upper = exp(dif$upper),
                    df = dif$df, p_value = dif$p_value, estimate = dif$estimate, se = dif$se,
                    stringsAsFactors = FALSE)
  names(lsm_out)[2:3] <- c(visit, arm)
  names(rat)[2] <- visit
  rownames(lsm_out) <- rownames(rat) <- NULL
  cv <- fit$convergence
  models <- data.frame(PARAMCD = k, covariance = tried[length(tried)],
                       tried = paste(tried, collapse = ", "), n_obs = nrow(dk),
                       converged = isTRUE(cv$converged), stringsAsFactors = FALSE)
  list(ratios = rat, lsmeans = lsm_out, models = models, fit = fit)
}

#' @export
print.glycotrial_index_ratio <- function(x, digits = 3, ...) {
  cat("<glycotrial ratios of geometric means (MMRM on log(index / baseline), ",
      100 * x$conf_level, "% CI)>\n", sep = "")
  r <- x$ratios[, setdiff(names(x$ratios), c("estimate", "se"))]
  print(r, digits = digits, row.names = FALSE, ...)
  invisible(x)
}

#' @export
as.data.frame.glycotrial_index_ratio <- function(x, ...) x$ratios
