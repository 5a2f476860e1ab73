# Responder analysis output: printing, data-frame/tidy views, the plot and
# the report table.

#' @export
print.glycotrial_responder_analysis <- function(x, digits = 3, ...) {
  s <- x$settings
  f <- function(v) formatC(v, format = "f", digits = digits)
  pct <- function(v) formatC(100 * v, format = "f", digits = 1)
  cat("Responder analysis: ", s$response, " (", s$treatment, " vs ", s$control, ")\n", sep = "")
  cat("Missing data: ", x$missing$strategy, " (missing: ",
      paste0(c(s$treatment, s$control), " ", x$missing$n_missing, collapse = ", "), ")\n",
      sep = "")
  cat(sprintf("Confidence level: %g%%\n\n", 100 * s$conf_level))
  a <- x$arms
  cat("Response by arm\n")
  for (i in seq_len(nrow(a))) {
    cat(sprintf("  %-12s %8s %5s%%  (%s%%, %s%%) [%s]\n", a$arm[i],
                paste0(fmt_count(a$responders[i]), "/", a$n[i]), pct(a$proportion[i]), pct(a$lower[i]), pct(a$upper[i]), a$method[i]))
  }
  cat("\nRisk difference (", s$treatment, " - ", s$control, ")\n", sep = "")
  dd <- x$difference
  for (i in seq_len(nrow(dd))) {
    cat(sprintf("  %-45s %s  (%s, %s)\n", dd$method[i], f(dd$estimate[i]), f(dd$lower[i]),
                f(dd$upper[i])))
  }
  cat("\nRelative risk and odds ratio\n")
  r <- x$ratios
  for (i in seq_len(nrow(r))) {
    cat(sprintf("  %-3s %-12s %s  (%s, %s)\n", toupper(r$measure[i]), r$method[i], f(r$estimate[i]),
                f(r$lower[i]), f(r$upper[i])))
  }
  cat("\nTests\n")
  t <- x$tests
  for (i in seq_len(nrow(t))) {
    st <- if (is.na(t$statistic[i])) "" else sprintf("stat %s, df %g, ", f(t$statistic[i]), t$df[i])
    cat(sprintf("  %-28s %sp = %s\n", t$test[i], st, format.pval(t$p_value[i], digits = 3)))
  }
  if (!is.null(x$stratified)) {
    cat("\nStratified risk difference (strata: ", paste(s$strata, collapse = ", "), ")\n", sep = "")
    sd <- x$stratified$difference
    for (i in seq_len(nrow(sd))) {
      cat(sprintf("  %-10s %s  (%s, %s)\n", sd$method[i], f(sd$estimate[i]), f(sd$lower[i]),
                  f(sd$upper[i])))
    }
  }
  if (!is.null(x$adjusted)) {
    e <- x$adjusted$estimates
    cat(sprintf("\nCovariate-adjusted risk difference (g-computation; %s): %s  (%s, %s)\n",
                paste(s$covariates, collapse = ", "), f(e$estimate), f(e$lower), f(e$upper)))
  }
  if (!is.null(x$imputation)) {
    cat(sprintf("\nMultiple imputation: m = %d; fraction of missing information %s\n",
                x$imputation$m, f(x$imputation$pooled$fmi[1])))
    cat("  (response by arm and the 'rubin' difference are pooled over imputations; ratios,\n",
        "  tests and stratified/adjusted analyses use non-responder imputation)\n", sep = "")
  }
  if (!is.null(x$tipping)) {
    tp <- x$tipping
    cat(sprintf("\nTipping point: %d of %d imputation scenarios keep the %s CI excluding 0.\n",
                sum(tp$significant), nrow(tp), s$ci$diff[1]))
  }
  invisible(x)
}

#' @export
as.data.frame.glycotrial_responder_analysis <- function(x, ...) {
  rows <- list(
    data.frame(section = "arm", term = x$arms$arm, method = x$arms$method,
               estimate = x$arms$proportion, lower = x$arms$lower, upper = x$arms$upper,
               p_value = NA_real_, stringsAsFactors = FALSE),
    data.frame(section = "risk difference", term = paste(x$settings$treatment, "-", x$settings$control),
               method = x$difference$method, estimate = x$difference$estimate,
               lower = x$difference$lower, upper = x$difference$upper, p_value = NA_real_,
               stringsAsFactors = FALSE),
    data.frame(section = ifelse(x$ratios$measure == "rr", "relative risk", "odds ratio"),
               term = paste(x$settings$treatment, "/", x$settings$control),
               method = x$ratios$method, estimate = x$ratios$estimate, lower = x$ratios$lower,
               upper = x$ratios$upper, p_value = NA_real_, stringsAsFactors = FALSE),
    data.frame(section = "test", term = x$tests$test, method = "", estimate = x$tests$statistic,
               lower = NA_real_, upper = NA_real_, p_value = x$tests$p_value,
               stringsAsFactors = FALSE))
  if (!is.null(x$stratified)) {
    sd <- x$stratified$difference
    rows[[length(rows) + 1]] <- data.frame(section = "stratified risk difference",
                                           term = paste(x$settings$treatment, "-", x$settings$control),
                                           method = sd$method, estimate = sd$estimate,
                                           lower = sd$lower, upper = sd$upper,
                                           p_value = sd$p_value, stringsAsFactors = FALSE)
  }
  if (!is.null(x$adjusted)) {
    e <- x$adjusted$estimates
    rows[[length(rows) + 1]] <- data.frame(section = "adjusted risk difference",
                                           term = paste(x$settings$treatment, "-", x$settings$control),
                                           method = paste("g-computation", x$adjusted$variance),
                                           estimate = e$estimate, lower = e$lower,
                                           upper = e$upper, p_value = e$p_value,
                                           stringsAsFactors = FALSE)
  }
  out <- do.call(rbind, rows)
  rownames(out) <- NULL
  out
}

#' @method tidy glycotrial_responder_analysis
#' @export
tidy.glycotrial_responder_analysis <- function(x, ...) {
  d <- as.data.frame(x)
  data.frame(section = d$section, term = d$term, method = d$method, estimate = d$estimate,
             conf.low = d$lower, conf.high = d$upper, p.value = d$p_value,
             stringsAsFactors = FALSE)
}

# ggplot2::autoplot for tipping-point results: the grid of imputed response
# rates in the missing subjects of each arm, coloured by the p-value, with
# cells whose primary CI excludes 0 marked.
autoplot_responder_analysis <- function(object, ...) {
  if (is.null(object$tipping)) {
    glycotrial_abort("autoplot() needs a tipping-point analysis ({.code missing = \"tipping-point\"}).")
  }
  .data <- ggplot2::.data
  tp <- object$tipping
  s <- object$settings
  tp$x <- tp$k_treatment
  tp$y <- tp$k_control
  tp$label <- ifelse(tp$significant, "CI excludes 0", "CI includes 0")
  ggplot2::ggplot(tp, ggplot2::aes(x = .data$x, y = .data$y)) +
    ggplot2::geom_tile(ggplot2::aes(fill = .data$p_value), colour = "white") +
    ggplot2::geom_point(ggplot2::aes(shape = .data$label), size = 2) +
    ggplot2::scale_fill_gradient(low = "#2166ac", high = "#f7f7f7", limits = c(0, 1),
                                 name = "Fisher p") +
    ggplot2::scale_shape_manual(values = c("CI excludes 0" = 16, "CI includes 0" = 4),
                                name = paste(s$ci$diff[1], "CI")) +
    ggplot2::labs(
      x = sprintf("Imputed responders among %d missing (%s)", object$missing$n_missing[["treatment"]], s$treatment),
      y = sprintf("Imputed responders among %d missing (%s)", object$missing$n_missing[["control"]], s$control),
      title = "Tipping-point analysis of the responder rate difference") +
    ggplot2::theme_minimal()
}

# Registered from the built-in hook, like the other areas' interop methods
# (.onLoad runs the built-in hooks before it registers the S3 interop methods).
add_builtin_plugins("responder", function() {
  add_s3_interop("ggplot2", "autoplot", "glycotrial_responder_analysis",
                 autoplot_responder_analysis)
})

#' Publication table of a responder analysis
#'
#' Lays out a [responder_analysis()] result as a table in the usual layout of
#' a clinical study report: one column per arm and a comparison column
#' (treatment vs control), with counts, percentages, confidence intervals and
#' p-values formatted as text. Render it with `knitr::kable()`, or with
#' `flextable::as_flextable()` on the analysis object (HTML, Word,
#' PowerPoint); in R Markdown the analysis object prints as this table.
#'
#' @param x A `glycotrial_responder_analysis`.
#' @param digits Decimals for percentages and estimates.
#' @return A data frame with columns `statistic`, one per arm, and
#'   `comparison`.
#' @examples
#' res <- responder_analysis(derive_responders(adlb, adsl), treatment = "UC-MSC")
#' responder_table(res)
#' @export
responder_table <- function(x, digits = 1) {
  if (!inherits(x, "glycotrial_responder_analysis")) {
    glycotrial_abort("{.arg x} must be a responder analysis (from {.fn responder_analysis}), not {describe_value(x)}.")
  }
  check_count(digits, len = 1, arg = "digits")
  s <- x$settings
  f <- function(v, k = digits) formatC(v, format = "f", digits = k)
  pc <- function(v) f(100 * v)
  ci_txt <- function(e, l, u, scale = 100) {
    sprintf("%s (%s, %s)", f(scale * e), f(scale * l), f(scale * u))
  }
  p_txt <- function(p) ifelse(is.na(p), "", ifelse(p < 0.001, "<0.001", formatC(p, format = "f", digits = 3)))
  a <- x$arms
  a1 <- a[a$arm == s$treatment, ][1, ]
  a0 <- a[a$arm == s$control, ][1, ]
  lvl <- paste0(100 * s$conf_level, "% CI")
  resp_n <- function(r) if (abs(r - round(r)) < 1e-9) format(round(r)) else f(r)
  row <- function(stat, t = "", c = "", comp = "") {
    data.frame(statistic = stat, t = t, c = c, comparison = comp, stringsAsFactors = FALSE)
  }
  rows <- list(
    row("N", format(a1$n), format(a0$n)),
    row("Missing response, n", format(x$missing$n_missing[[1]]), format(x$missing$n_missing[[2]])),
    row(sprintf("Responders, n (%%) [%s]", x$missing$strategy),
        sprintf("%s (%s)", resp_n(a1$responders), pc(a1$proportion)),
        sprintf("%s (%s)", resp_n(a0$responders), pc(a0$proportion))),
    row(sprintf("%s (%s)", lvl, a1$method), sprintf("(%s, %s)", pc(a1$lower), pc(a1$upper)),
        sprintf("(%s, %s)", pc(a0$lower), pc(a0$upper))))
  d <- x$difference
  for (i in seq_len(nrow(d))) {
    rows[[length(rows) + 1]] <- row(sprintf("Risk difference, %% (%s) [%s]", lvl, d$method[i]),
                                    comp = ci_txt(d$estimate[i], d$lower[i], d$upper[i]))
  }
  r <- x$ratios
  for (i in seq_len(nrow(r))) {
    rows[[length(rows) + 1]] <- row(sprintf("%s (%s) [%s]",
                                            if (r$measure[i] == "rr") "Relative risk" else "Odds ratio",
                                            lvl, r$method[i]),
                                    comp = ci_txt(r$estimate[i], r$lower[i], r$upper[i], 1))
  }
  if (!is.null(x$stratified)) {
    sd <- x$stratified$difference
    for (i in seq_len(nrow(sd))) {
      rows[[length(rows) + 1]] <- row(sprintf("Stratified risk difference, %% (%s) [%s]", lvl, sd$method[i]),
                                      comp = ci_txt(sd$estimate[i], sd$lower[i], sd$upper[i]))
    }
  }
  if (!is.null(x$adjusted)) {
    e <- x$adjusted$estimates
    rows[[length(rows) + 1]] <- row(sprintf("Adjusted risk difference, %% (%s) [g-computation]", lvl),
                                    comp = ci_txt(e$estimate, e$lower, e$upper))
  }
  t <- x$tests
  for (i in seq_len(nrow(t))) {
    rows[[length(rows) + 1]] <- row(paste0(t$test[i], " p-value"), comp = p_txt(t$p_value[i]))
  }
  out <- do.call(rbind, rows)
  names(out) <- c("statistic", s$treatment, s$control, "comparison")
  names(out)[4] <- sprintf("%s vs %s", s$treatment, s$control)
  rownames(out) <- NULL
  out
}

as_flextable_responder_analysis <- function(x, ...) {
  report_flextable(x, ...)
}

knit_print_responder_analysis <- function(x, ...) {
  knitr::knit_print(knitr::kable(responder_table(x), row.names = FALSE), ...)
}

add_builtin_plugins("responder_tables", function() {
  add_s3_interop("flextable", "as_flextable", "glycotrial_responder_analysis",
                 as_flextable_responder_analysis)
  add_s3_interop("knitr", "knit_print", "glycotrial_responder_analysis",
                 knit_print_responder_analysis)
})
