# ggplot2::autoplot methods for the safety summaries (registered on ggplot2's
# load, see R/plugins_safety.R). need_ggplot2() is in R/plots.R. Every arm
# aesthetic uses the package palette with the arms as limits, in the order the
# summary stored (the arm column's factor levels, i.e. the report's `arms`), so
# an arm keeps its colour in every figure even when it has no points in one.

# Colour (and optionally shape) scales for the arms, in their display order.
arm_scales <- function(arms, shape = FALSE) {
  out <- list(scale_colour_glycotrial(limits = arms))
  if (shape) out <- c(out, list(ggplot2::scale_shape_discrete(limits = arms)))
  out
}

# Arms of a summary in display order: the stored order, else factor levels.
plot_arms <- function(object, x) {
  object$meta$arms %||% plot_arm_levels(x)
}

# AE dot plot (Amit, Heiberger & Lane 2008): incidence per arm and the risk
# difference with its CI for the preferred terms, most frequent first.
autoplot_ae_by_term <- function(object, ..., top = 30) {
  need_ggplot2()
  ard <- object$ard
  if (!identical(object$meta$by, "none")) {
    glycotrial_abort("The AE dot plot needs {.code ae_by_term(by = \"none\")}.")
  }
  pts <- ard[ard$level == "pt", , drop = FALSE]
  pct <- pts[pts$stat_name == "pct", ]
  total <- tapply(pct$stat, pct$pt, sum, na.rm = TRUE)
  keep <- names(sort(total, decreasing = TRUE))[seq_len(min(top, length(total)))]
  lv <- rev(keep)
  pct <- pct[pct$pt %in% keep, ]
  pct$y <- match(pct$pt, lv)
  arms <- plot_arms(object, pct$arm)
  pct$arm <- factor(pct$arm, levels = arms)
  pct$panel <- "Percent of subjects"
  rd <- pts[pts$stat_name %in% c("rd", "rd_lower", "rd_upper") & pts$pt %in% keep, ]
  g <- ggplot2::ggplot() +
    ggplot2::geom_point(data = pct, ggplot2::aes(x = .data$stat, y = .data$y,
                                                 colour = .data$arm, shape = .data$arm))
  if (nrow(rd)) {
    rdw <- stats::reshape(rd[, c("soc", "pt", "arm", "stat_name", "stat")],
                          idvar = c("soc", "pt", "arm"), timevar = "stat_name",
                          direction = "wide")
    names(rdw) <- sub("^stat\\.", "", names(rdw))
    cmp <- unique(rdw$arm)
    # Comparisons side by side within a term's row.
    off <- if (length(cmp) > 1) seq(-0.2, 0.2, length.out = length(cmp)) else 0
    rdw$y <- match(rdw$pt, lv) + off[match(rdw$arm, cmp)]
    rdw$panel <- "Risk difference (%) with CI"
    g <- g + ggplot2::geom_vline(data = data.frame(panel = rdw$panel[1], x = 0),
                                 ggplot2::aes(xintercept = .data$x), linetype = 2) +
      ggplot2::geom_errorbarh(data = rdw, ggplot2::aes(xmin = .data$rd_lower, xmax = .data$rd_upper,
                                                       y = .data$y, linetype = .data$arm),
                              height = 0.15) +
      ggplot2::geom_point(data = rdw, ggplot2::aes(x = .data$rd, y = .data$y))
  }
  g + ggplot2::facet_grid(. ~ panel, scales = "free_x") +
    ggplot2::scale_y_continuous(breaks = seq_along(lv), labels = lv) +
    arm_scales(arms, shape = TRUE) +
    ggplot2::labs(x = NULL, y = NULL, colour = "Arm", shape = "Arm", linetype = "Comparison",
                  title = "Adverse events: incidence and risk difference") +
    theme_glycotrial()
}

# eDISH (Watkins et al. 2011): peak ALT or AST vs peak bilirubin, x ULN, log axes.
autoplot_hys_law <- function(object, ...) {
  need_ggplot2()
  s <- object$data$subjects
  # Log axes: only positive peak ratios can be shown.
  s <- s[!is.na(s$at_uln) & !is.na(s$bili_uln) & s$at_uln > 0 & s$bili_uln > 0, , drop = FALSE]
  m <- object$meta
  arms <- plot_arms(object, object$data$subjects$arm)
  s$arm <- factor(as.character(s$arm), levels = arms)
  # Lower-edge labels at the smallest shown value (0 is -Inf on the log axes).
  x_low <- min(s$at_uln, m$at_threshold)
  y_low <- min(s$bili_uln, m$bili_threshold)
  ggplot2::ggplot(s, ggplot2::aes(x = .data$at_uln, y = .data$bili_uln, colour = .data$arm)) +
    ggplot2::geom_point(alpha = 0.7) +
    ggplot2::geom_vline(xintercept = m$at_threshold, linetype = 2) +
    ggplot2::geom_hline(yintercept = m$bili_threshold, linetype = 2) +
    ggplot2::scale_x_log10() + ggplot2::scale_y_log10() +
    ggplot2::annotate("text", x = Inf, y = Inf, label = "Potential Hy's law", hjust = 1.1,
                      vjust = 1.5, size = 3) +
    ggplot2::annotate("text", x = Inf, y = y_low, label = "Temple's corollary", hjust = 1.1,
                      vjust = -0.5, size = 3) +
    ggplot2::annotate("text", x = x_low, y = Inf, label = "Hyperbilirubinaemia", hjust = -0.1,
                      vjust = 1.5, size = 3) +
    arm_scales(arms) +
    ggplot2::labs(x = "Peak ALT or AST (x ULN)", y = "Peak total bilirubin (x ULN)",
                  colour = "Arm", title = "eDISH") +
    theme_glycotrial()
}

autoplot_lab_trajectory <- function(object, ...) {
  need_ggplot2()
  s <- object$data$summary
  s <- s[!is.na(s$visitn) & !is.na(s$mean), , drop = FALSE]
  pd <- ggplot2::position_dodge(width = 0.3)
  ggplot2::ggplot(s, ggplot2::aes(x = .data$visitn, y = .data$mean, colour = .data$arm,
                                  group = .data$arm)) +
    ggplot2::geom_line(position = pd) + ggplot2::geom_point(position = pd) +
    ggplot2::geom_errorbar(ggplot2::aes(ymin = .data$mean - .data$se,
                                        ymax = .data$mean + .data$se),
                           width = 0.2, position = pd) +
    ggplot2::facet_wrap(~param, scales = "free_y") +
    ggplot2::labs(x = "Visit", y = if (object$meta$value == "aval") "Mean (SE)"
                                   else "Mean change from baseline (SE)",
                  colour = "Arm", title = object$title) +
    ggplot2::theme_bw()
}

autoplot_ae_time_to_first <- function(object, ...) {
  need_ggplot2()
  fit <- object$data$fit
  s <- summary(fit, censored = TRUE)
  strata <- sub("^arm=", "", as.character(s$strata))
  df <- data.frame(arm = strata, time = s$time, cum_inc = 100 * (1 - s$surv))
  start <- data.frame(arm = unique(strata), time = 0, cum_inc = 0)
  df <- rbind(start, df)
  ggplot2::ggplot(df, ggplot2::aes(x = .data$time, y = .data$cum_inc, colour = .data$arm)) +
    ggplot2::geom_step() +
    ggplot2::labs(x = "Days since first dose", y = "Cumulative incidence (%)", colour = "Arm",
                  title = object$title) +
    ggplot2::theme_bw()
}

safety_autoplot_methods <- function() {
  list(list(class = "glycotrial_ae_by_term", fun = autoplot_ae_by_term),
       list(class = "glycotrial_hys_law", fun = autoplot_hys_law),
       list(class = "glycotrial_lab_trajectory", fun = autoplot_lab_trajectory),
       list(class = "glycotrial_ae_time_to_first", fun = autoplot_ae_time_to_first))
}
