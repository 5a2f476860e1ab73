# Shared plotting look for every glycotrial figure: a colour-blind-safe
# palette (Okabe & Ito, "Color Universal Design", 2008), a theme, and the two
# longitudinal figures of the trial report (trajectories and OGTT curves).
# ggplot2 is optional (Suggests); the functions say so when it is missing.

#' Colour-blind-safe palette, theme and scales for glycotrial figures
#'
#' `glycotrial_palette()` returns the Okabe--Ito palette (Okabe & Ito 2008,
#' distinguishable under the common colour-vision deficiencies), starting
#' with blue and vermillion so that a two-arm trial gets the most
#' distinguishable pair. `theme_glycotrial()` is a light ggplot2 theme;
#' `scale_colour_glycotrial()` / `scale_fill_glycotrial()` apply the palette.
#' All glycotrial plots use them, so user figures match the report.
#'
#' @param n Number of colours, or `NULL` for all eight.
#' @param base_size Base font size (pt).
#' @param ... Passed to [ggplot2::scale_colour_manual()] or
#'   [ggplot2::theme_minimal()].
#' @return `glycotrial_palette()`: a character vector of hex colours;
#'   `theme_glycotrial()`: a ggplot2 theme; the scales: ggplot2 scales.
#' @examples
#' glycotrial_palette(2)
#' if (requireNamespace("ggplot2", quietly = TRUE)) {
#'   library(ggplot2)
#'   ggplot(mtcars, aes(wt, mpg, colour = factor(cyl))) + geom_point() +
#'     scale_colour_glycotrial() + theme_glycotrial() +
#'     labs(x = "Weight (1000 lb)", y = "Miles per gallon")
#' }
#' @export
glycotrial_palette <- function(n = NULL) {
  pal <- c("#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9", "#CC79A7",
           "#F0E442", "#000000")
  if (is.null(n)) return(pal)
  check_count(n, lower = 1, len = 1L)
  if (n > length(pal)) {
    glycotrial_abort("{.arg n} must be at most {length(pal)} (the palette size), not {n}.")
  }
  pal[seq_len(n)]
}

need_ggplot2 <- function(call = sys.call(-1)) {
  if (!requireNamespace("ggplot2", quietly = TRUE)) {
    glycotrial_abort("Package {.pkg ggplot2} is needed for plots; install it.",
                     class = c("glycotrial_error_missing_package", "input"), call = call)
  }
}

#' @rdname glycotrial_palette
#' @export
theme_glycotrial <- function(base_size = 11, ...) {
  check_number(base_size, lower = 0, upper = Inf, open = TRUE)
  need_ggplot2()
  ggplot2::theme_minimal(base_size = base_size, ...) +
    ggplot2::theme(legend.position = "bottom",
                   panel.grid.minor = ggplot2::element_blank(),
                   strip.text = ggplot2::element_text(face = "bold"),
                   plot.title.position = "plot")
}

#' @rdname glycotrial_palette
#' @export
scale_colour_glycotrial <- function(...) {
  need_ggplot2()
  ggplot2::scale_colour_manual(values = glycotrial_palette(), ...)
}

#' @rdname glycotrial_palette
#' @export
scale_fill_glycotrial <- function(...) {
  need_ggplot2()
  ggplot2::scale_fill_manual(values = glycotrial_palette(), ...)
}

# Parameter label with its unit, e.g. "HbA1c (%)", from PARAM/AVALU columns.
param_axis_label <- function(data, paramcd, param_col = "PARAM", unit_col = "AVALU",
                             what = NULL) {
  unit <- if (unit_col %in% names(data)) unique(stats::na.omit(data[[unit_col]])) else character()
  lab <- if (param_col %in% names(data)) unique(data[[param_col]])[1] else paramcd
  lab <- sub("\\s*\\([^()]*\\)\\s*$", "", lab)
  if (!is.null(what)) lab <- paste(what, lab)
  if (length(unit) == 1 && nzchar(unit)) paste0(lab, " (", unit, ")") else lab
}

# Mean, SE and n by group (NA values dropped).
# Arms in the order of the factor levels (the report's arm order, so colours
# match across plots), else of first appearance.
plot_arm_levels <- function(x) {
  if (is.factor(x)) return(levels(droplevels(x)))
  unique(as.character(x[!is.na(x)]))
}

mean_se_by <- function(y, groups) {
  df <- as.data.frame(groups, stringsAsFactors = FALSE)
  keep <- !is.na(y)
  df <- df[keep, , drop = FALSE]
  y <- y[keep]
  key <- do.call(paste, c(unname(df), sep = "\r"))
  first <- !duplicated(key)
  out <- df[first, , drop = FALSE]
  sp <- split(y, factor(key, levels = key[first]))
  out$n <- vapply(sp, length, integer(1))
  out$mean <- vapply(sp, mean, numeric(1))
  out$se <- vapply(sp, function(v) if (length(v) > 1) stats::sd(v) / sqrt(length(v)) else NA_real_,
                   numeric(1))
  rownames(out) <- NULL
  out
}

# ggplot2's data pronoun, resolved in its data mask at run time.
utils::globalVariables(".data")

#' Longitudinal trajectories: individual profiles and arm means
#'
#' Spaghetti plot of one parameter over visits (one thin line per subject)
#' with the arm mean \eqn{\pm} standard error on top, labelled with the
#' parameter's unit from the data.
#'
#' @param data Long data (e.g. `adlb`).
#' @param paramcd Parameter to plot (value of the `paramcd_col` column).
#' @param value Column with the values to plot (`"AVAL"`, or `"CHG"` for
#'   change from baseline).
#' @param subject,arm,visit,paramcd_col,unit_col,param_col Column names.
#' @param spaghetti Draw the individual profiles?
#' @param x_label Label of the visit axis.
#' @return A ggplot object.
#' @examples
#' if (requireNamespace("ggplot2", quietly = TRUE)) {
#'   plot_trajectories(adlb, "HBA1C")
#'   plot_trajectories(adlb, "INSDOSE", value = "PCHG", spaghetti = FALSE)
#' }
#' @export
plot_trajectories <- function(data, paramcd = "HBA1C", value = "AVAL", subject = "USUBJID",
                              arm = "ARM", visit = "AVISITN", paramcd_col = "PARAMCD",
                              unit_col = "AVALU", param_col = "PARAM", spaghetti = TRUE,
                              x_label = "Week") {
  need_ggplot2()
  check_string(paramcd)
  check_flag(spaghetti)
  check_data_frame(data, c(subject, arm, visit, paramcd_col, value))
  d <- data[data[[paramcd_col]] == paramcd, , drop = FALSE]
  if ("ATPTN" %in% names(d)) d <- d[is.na(d$ATPTN) | d$ATPTN == 0, , drop = FALSE]
  if (!nrow(d)) {
    glycotrial_abort("No rows with {.field {paramcd_col}} == {.val {paramcd}} in {.arg data}.")
  }
  d <- d[!is.na(d[[value]]), , drop = FALSE]
  unit <- if (value == "PCHG") NULL else unit_col
  ylab <- switch(value,
                 CHG = param_axis_label(d, paramcd, param_col, unit_col, "Change in"),
                 PCHG = paste0(sub(" \\(.*", "", param_axis_label(d, paramcd, param_col, unit_col,
                                                                  "Change in")), " (%)"),
                 param_axis_label(d, paramcd, param_col, unit))
  # visit labels on the axis in visit order (AVISITN when present), not as text
  plot_df <- data.frame(subject = d[[subject]], arm = as.character(d[[arm]]),
                        visit = visit_factor(d, visit), y = d[[value]], stringsAsFactors = FALSE)
  arms <- plot_arm_levels(d[[arm]])
  plot_df$arm <- factor(plot_df$arm, levels = arms)
  ms <- mean_se_by(plot_df$y, list(arm = as.character(plot_df$arm), visit = plot_df$visit))
  ms$arm <- factor(ms$arm, levels = arms)
  g <- ggplot2::ggplot(plot_df, ggplot2::aes(x = .data$visit, y = .data$y, colour = .data$arm))
  if (spaghetti) {
    g <- g + ggplot2::geom_line(ggplot2::aes(group = .data$subject), alpha = 0.18,
                                linewidth = 0.3)
  }
  dodge <- ggplot2::position_dodge(width = 0.8)
  g + ggplot2::geom_errorbar(data = ms, ggplot2::aes(x = .data$visit, ymin = .data$mean - .data$se,
                                                     ymax = .data$mean + .data$se,
                                                     colour = .data$arm),
                             inherit.aes = FALSE, width = 1.2, position = dodge) +
    ggplot2::geom_line(data = ms, ggplot2::aes(x = .data$visit, y = .data$mean, colour = .data$arm),
                       inherit.aes = FALSE, linewidth = 1, position = dodge) +
    ggplot2::geom_point(data = ms, ggplot2::aes(x = .data$visit, y = .data$mean, colour = .data$arm),
                        inherit.aes = FALSE, size = 2, position = dodge) +
    scale_colour_glycotrial(name = NULL) + theme_glycotrial() +
    ggplot2::labs(x = x_label, y = ylab,
                  caption = if (spaghetti) "Thin lines: subjects; thick: arm mean \u00b1 SE" else
                    "Arm mean \u00b1 SE")
}

#' Mixed-meal / OGTT curves by arm and visit
#'
#' Mean \eqn{\pm} standard error of a meal- or glucose-tolerance-test
#' parameter against minutes after the load, one panel per visit, one colour
#' per arm, labelled with the unit from the data.
#'
#' @inheritParams plot_trajectories
#' @param paramcd Parameter (e.g. `"GLUC"`, `"CPEP"`, `"INS"`).
#' @param time Column with minutes after the load.
#' @param visit Column used for the panels (visit label).
#' @param visit_order Column giving the panel order (visit number).
#' @param visits Optional subset of visit labels to show.
#' @param arm Column with the treatment arm.
#' @param paramcd_col,param_col,unit_col Columns with the parameter code, its
#'   label and its unit (the unit labels the y axis).
#' @return A ggplot object.
#' @examples
#' if (requireNamespace("ggplot2", quietly = TRUE)) {
#'   plot_ogtt_curves(adlb, "CPEP", visits = c("Baseline", "Week 48"))
#' }
#' @export
plot_ogtt_curves <- function(data, paramcd = "GLUC", value = "AVAL", time = "ATPTN",
                             arm = "ARM", visit = "AVISIT", visit_order = "AVISITN",
                             paramcd_col = "PARAMCD", unit_col = "AVALU", param_col = "PARAM",
                             visits = NULL) {
  need_ggplot2()
  check_string(paramcd)
  check_data_frame(data, c(arm, visit, visit_order, time, paramcd_col, value))
  d <- data[data[[paramcd_col]] == paramcd & !is.na(data[[time]]) & !is.na(data[[value]]), ,
            drop = FALSE]
  if (!is.null(visits)) {
    absent <- setdiff(visits, d[[visit]])
    if (length(absent)) {
      glycotrial_abort("{.arg visits}: no timed {.val {paramcd}} rows at {.field {visit}} {.val {absent}}.")
    }
    d <- d[d[[visit]] %in% visits, , drop = FALSE]
  }
  if (!nrow(d)) {
    glycotrial_abort("No timed rows with {.field {paramcd_col}} == {.val {paramcd}} in {.arg data}.")
  }
  vlev <- unique(d[[visit]][order(d[[visit_order]])])
  ms <- mean_se_by(d[[value]], list(arm = as.character(d[[arm]]), visit = d[[visit]],
                                    time = d[[time]]))
  ms$arm <- factor(ms$arm, levels = plot_arm_levels(d[[arm]]))
  ms$visit <- factor(ms$visit, levels = vlev)
  ggplot2::ggplot(ms, ggplot2::aes(x = .data$time, y = .data$mean, colour = .data$arm)) +
    ggplot2::geom_ribbon(ggplot2::aes(ymin = .data$mean - .data$se, ymax = .data$mean + .data$se,
                                      fill = .data$arm), alpha = 0.15, colour = NA) +
    ggplot2::geom_line(linewidth = 0.9) + ggplot2::geom_point(size = 1.6) +
    ggplot2::facet_wrap(~visit) +
    scale_colour_glycotrial(name = NULL) + scale_fill_glycotrial(name = NULL) +
    theme_glycotrial() +
    ggplot2::labs(x = "Time after load (min)", y = param_axis_label(d, paramcd, param_col, unit_col),
                  caption = "Arm mean \u00b1 SE")
}
