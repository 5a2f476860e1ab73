# Plots and R Markdown tables for result objects that the report uses:
# ggplot2::autoplot() for MMRM fits and LS-means (LS-means over visits with
# CIs), index ratios (forest plot) and beta-cell indices (mean +- SE over
# visits), and knitr::knit_print() for the same objects so that they render
# as formatted tables in R Markdown without extra calls. ggplot2 and knitr are
# optional; the methods are registered when those packages load.

#' @include plugins_registry.R
NULL

#' Plots and R Markdown tables of glycotrial results
#'
#' With ggplot2 loaded, `autoplot()` draws
#' * a [mmrm_fit()] fit or [least_squares_means()] result: LS-means by arm over visits
#'   with confidence intervals (the fit's degrees-of-freedom method);
#' * an [index_ratio_mmrm()] result: a forest plot of the ratios of geometric
#'   means with confidence intervals on a log axis, by index and visit;
#' * a [beta_cell_indices()] result: mean \eqn{\pm} SE of each index by arm over
#'   visits, one panel per index labelled with its unit.
#'
#' In R Markdown (knitr loaded), printing these objects gives formatted tables
#' ([report_table()]): coefficients of a fit, LS-means and differences,
#' ratios of geometric means, [index_change()] summaries and the safety
#' tables ([ae_overview()], [ae_by_term()], [lab_shift()], ...) with their
#' titles and footnotes. These are S3 methods of `ggplot2::autoplot()`
#' and `knitr::knit_print()`, registered when those packages are loaded.
#'
#' Arguments of the `autoplot()` methods: for fits, `specs` and `by` (passed
#' to [least_squares_means()]; defaults: the first factor of the model other than the
#' visit, and the visit), `level` and `ylab`; for indices, `visit` (column
#' for the x axis, default `"AVISITN"` when present) and `arm`.
#'
#' @return `autoplot()`: a ggplot object; `knit_print()`: formatted table(s).
#' @examples
#' if (requireNamespace("ggplot2", quietly = TRUE)) {
#'   d <- adlb[adlb$PARAMCD == "HBA1C" & adlb$AVISITN > 0, ]
#'   d$AVISIT <- factor(d$AVISIT, levels = unique(d$AVISIT[order(d$AVISITN)]))
#'   d$ARM <- factor(d$ARM, levels = c("Placebo", "UC-MSC"))
#'   fit <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + ar1(AVISIT | USUBJID), data = d)
#'   ggplot2::autoplot(fit)
#' }
#' @name glycotrial_autoplot
#' @usage NULL
#' @format NULL
NULL

autoplot_mmrm <- function(object, specs = NULL, by = NULL, level = 0.95, ylab = NULL, ...) {
  if (!inherits(object, "glycotrial_mmrm")) {
    glycotrial_abort("{.arg object} must be a {.fun mmrm_fit} fit, not {describe_value(object)}.")
  }
  if (is.null(by)) by <- if (!isTRUE(object$cov_spatial)) object$visit_var
  if (is.null(specs)) {
    f <- setdiff(names(object$xlevels), c(by, object$visit_var, object$subject_var,
                                          object$group_var))
    if (!length(f)) {
      glycotrial_abort("The model has no factor to compare; give {.arg specs}.")
    }
    specs <- f[1]
  }
  autoplot_lsmeans(least_squares_means(object, specs = specs, by = by, level = level),
                   ylab = ylab %||% paste("LS-mean of", object$response))
}

autoplot_lsmeans <- function(object, ylab = "LS-mean", ...) {
  need_ggplot2()
  if (!inherits(object, "glycotrial_lsmeans")) {
    glycotrial_abort("{.arg object} must be an {.fun lsmeans} result, not {describe_value(object)}.")
  }
  lsm <- object$lsmeans
  x <- if (is.null(object$by)) factor(rep("", nrow(lsm))) else
    factor(as.character(lsm[[object$by]]), levels = unique(as.character(lsm[[object$by]])))
  df <- data.frame(x = x, arm = factor(as.character(lsm[[object$specs]]),
                                       levels = unique(as.character(lsm[[object$specs]]))),
                   est = lsm$estimate, lo = lsm$lower, hi = lsm$upper)
  pd <- ggplot2::position_dodge(width = 0.3)
  ggplot2::ggplot(df, ggplot2::aes(.data$x, .data$est, colour = .data$arm, group = .data$arm)) +
    ggplot2::geom_line(position = pd) +
    ggplot2::geom_point(position = pd) +
    ggplot2::geom_errorbar(ggplot2::aes(ymin = .data$lo, ymax = .data$hi), width = 0.2,
                           position = pd) +
    scale_colour_glycotrial(name = NULL) + theme_glycotrial() +
    ggplot2::labs(x = object$by %||% "", y = ylab,
                  caption = sprintf("LS-mean with %g%% CI (%s df)", 100 * object$level,
                                    object$df_method))
}

autoplot_index_ratio <- function(object, ...) {
  need_ggplot2()
  if (!inherits(object, "glycotrial_index_ratio")) {
    glycotrial_abort("{.arg object} must be an {.fun index_ratio_mmrm} result, not {describe_value(object)}.")
  }
  r <- object$ratios
  vis <- names(r)[2]
  df <- data.frame(index = factor(r$PARAMCD, levels = unique(r$PARAMCD)),
                   visit = factor(r[[vis]], levels = rev(unique(r[[vis]]))),
                   contrast = r$contrast, ratio = r$ratio, lo = r$lower, hi = r$upper)
  ggplot2::ggplot(df, ggplot2::aes(.data$ratio, .data$visit, colour = .data$contrast)) +
    ggplot2::geom_vline(xintercept = 1, colour = "grey60") +
    ggplot2::geom_errorbarh(ggplot2::aes(xmin = .data$lo, xmax = .data$hi), height = 0.2) +
    ggplot2::geom_point(size = 2) +
    ggplot2::scale_x_log10() +
    ggplot2::facet_wrap(~index, ncol = 1, scales = "free_y") +
    scale_colour_glycotrial(name = NULL) + theme_glycotrial() +
    ggplot2::labs(x = "Ratio of geometric means (log scale)", y = NULL,
                  caption = sprintf("MMRM of log(index / baseline); %g%% CI",
                                    100 * object$conf_level))
}

autoplot_indices <- function(object, visit = NULL, arm = "ARM", ...) {
  need_ggplot2()
  units <- attr(object, "units")
  if (!is.data.frame(object) || is.null(units)) {
    glycotrial_abort("{.arg object} must be a {.fun beta_cell_indices} result, not {describe_value(object)}.")
  }
  if (is.null(visit)) visit <- if ("AVISITN" %in% names(object)) "AVISITN" else "AVISIT"
  check_data_frame(object, c(visit, arm), arg = "object")
  long <- do.call(rbind, lapply(names(units), function(k) {
    lab <- if (nzchar(units[[k]]) && units[[k]] != "1") sprintf("%s (%s)", k, units[[k]]) else k
    data.frame(index = lab, visit = object[[visit]], arm = as.character(object[[arm]]),
               y = object[[k]], stringsAsFactors = FALSE)
  }))
  s <- mean_se_by(long$y, long[c("index", "visit", "arm")])
  s$index <- factor(s$index, levels = unique(s$index))
  num <- is.numeric(s$visit)
  if (!num) s$visit <- factor(s$visit, levels = unique(as.character(object[[visit]])))
  pd <- ggplot2::position_dodge(width = if (num) 1 else 0.3)
  ggplot2::ggplot(s, ggplot2::aes(.data$visit, .data$mean, colour = .data$arm,
                                  group = .data$arm)) +
    ggplot2::geom_line(position = pd) + ggplot2::geom_point(position = pd) +
    ggplot2::geom_errorbar(ggplot2::aes(ymin = .data$mean - .data$se,
                                        ymax = .data$mean + .data$se),
                           width = if (num) 1 else 0.2, position = pd) +
    ggplot2::facet_wrap(~index, scales = "free_y") +
    scale_colour_glycotrial(name = NULL) + theme_glycotrial() +
    ggplot2::labs(x = if (visit == "AVISITN") "Week" else visit, y = "Mean \u00b1 SE")
}

knit_print_mmrm <- function(x, options = NULL, ...) {
  ct <- summary(x)$coefficients
  df <- data.frame(Term = rownames(ct), as.data.frame(ct), check.names = FALSE)
  report_table(df, caption = options$tab.cap %||%
                 sprintf("MMRM %s (%s, %s df): fixed effects", x$cov_type,
                         if (isTRUE(x$reml)) "REML" else "ML", x$df_method), digits = 4)
}

knit_print_lsmeans <- function(x, options = NULL, ...) {
  a <- report_table(x$lsmeans, caption = sprintf("LS-means (%g%% CI)", 100 * x$level), digits = 3)
  b <- report_table(x$diffs, caption = sprintf("Differences (%g%% CI, %s df)", 100 * x$level,
                                               x$df_method), digits = 3)
  knitr::asis_output(paste(a, b, sep = "\n"))
}

knit_print_index_ratio <- function(x, options = NULL, ...) {
  r <- x$ratios[, setdiff(names(x$ratios), c("estimate", "se"))]
  report_table(r, caption = options$tab.cap %||%
                 sprintf("Ratios of geometric means (%g%% CI), MMRM of log(index / baseline)",
                         100 * x$conf_level), digits = 3)
}

knit_print_safety <- function(x, options = NULL, ...) {
  tab <- report_table(format(x), caption = options$tab.cap %||% x$title)
  notes <- c(x$meta$subtitle, x$meta$footnote)
  if (length(notes)) tab <- knitr::asis_output(paste(c(tab, "", paste0("*", notes, "*  ")),
                                                     collapse = "\n"))
  tab
}

knit_print_index_change <- function(x, options = NULL, ...) {
  report_table(x$summary, digits = 3, caption = options$tab.cap %||%
                 if (isTRUE(x$log)) "Change from baseline on the log scale (ratio = geometric mean ratio to baseline)"
                 else "Change from baseline by index, arm and visit")
}

add_builtin_plugins("report_methods", function() {
  add_s3_interop("ggplot2", "autoplot", "glycotrial_mmrm", autoplot_mmrm)
  add_s3_interop("ggplot2", "autoplot", "glycotrial_lsmeans", autoplot_lsmeans)
  add_s3_interop("ggplot2", "autoplot", "glycotrial_index_ratio", autoplot_index_ratio)
  add_s3_interop("ggplot2", "autoplot", "glycotrial_indices", autoplot_indices)
  add_s3_interop("knitr", "knit_print", "glycotrial_mmrm", knit_print_mmrm)
  add_s3_interop("knitr", "knit_print", "glycotrial_lsmeans", knit_print_lsmeans)
  add_s3_interop("knitr", "knit_print", "glycotrial_index_ratio", knit_print_index_ratio)
  add_s3_interop("knitr", "knit_print", "glycotrial_safety", knit_print_safety)
  add_s3_interop("knitr", "knit_print", "glycotrial_index_change", knit_print_index_change)
})
