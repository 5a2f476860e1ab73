#' @include plugins_registry.R
NULL

# The tipping point of a delta grid (mi_tipping_point()) and its plot.

#' Tipping point of a delta-adjustment grid
#'
#' The delta at which the conclusion of a [mi_tipping_point()] grid changes:
#' between the two neighbouring grid values where the two-sided p-value
#' crosses `alpha`, the confidence limit that crosses 0 is interpolated
#' linearly (the estimate is linear in delta; its standard error changes
#' little over a step of the grid, so a finer grid gives a finer answer).
#'
#' @param x A result of [mi_tipping_point()].
#' @param visit Visit (default: the last one).
#' @param contrast Contrast (default: the first one).
#' @return A data frame with `visit`, `contrast`, `tipping_delta` (`NA` when
#'   the conclusion does not change over the grid) and `bound` (`"lower"` or
#'   `"upper"`: the confidence limit that crosses 0).
#' @examples
#' d <- mi_example_data(n = 60, seed = 1)
#' fit <- mi_reference_based(d, mi_example_vars(), data_ice = attr(d, "data_ice"),
#'   reference = c(TRT = "PBO"), analysis_covariates = "BASE")
#' tp <- mi_tipping_point(fit, deltas = seq(0, 2, by = 0.25))
#' mi_tipping_delta(tp)
#' @export
mi_tipping_delta <- function(x, visit = NULL, contrast = NULL) {
  if (!inherits(x, "glycotrial_mi_tipping")) {
    glycotrial_abort("{.arg x} must come from {.fun mi_tipping_point}; found {describe_value(x)}.")
  }
  visit <- visit %||% x$visit[nrow(x)]
  contrast <- contrast %||% x$contrast[1]
  for (a in c("visit", "contrast")) {
    val <- get(a)
    if (!is.character(val) || length(val) != 1L || !val %in% x[[a]]) {
      glycotrial_abort("{.arg {a}} must be one of {.val {unique(x[[a]])}}; found {describe_value(val)}.")
    }
  }
  d <- x[x$visit == visit & x$contrast == contrast, , drop = FALSE]
  d <- d[order(d$delta), , drop = FALSE]
  alpha <- attr(x, "alpha") %||% 0.05
  sig <- d$p_value < alpha
  ch <- which(sig[-1] != sig[-nrow(d)])[1]
  out <- data.frame(visit = visit, contrast = contrast, tipping_delta = NA_real_,
                    bound = NA_character_, stringsAsFactors = FALSE)
  if (is.na(ch)) return(out)
  i <- c(ch, ch + 1L)
  for (b in c("lower", "upper")) {
    v <- d[[b]][i]
    if (all(is.finite(v)) && prod(sign(v)) <= 0 && v[1] != v[2]) {
      out$tipping_delta <- d$delta[i[1]] + (0 - v[1]) * diff(d$delta[i]) / diff(v)
      out$bound <- b
      break
    }
  }
  out
}

#' Plot a tipping-point grid
#'
#' The estimate of a [mi_tipping_point()] grid against delta with its
#' confidence band, the line of no effect and the tipping delta
#' ([mi_tipping_delta()]) marked by a dashed vertical line. `plot()` draws
#' it; with ggplot2 loaded, `autoplot(object, visit = NULL, contrast = NULL)`
#' (an S3 method of `ggplot2::autoplot()`, registered when ggplot2 is loaded)
#' returns the ggplot and takes the same arguments.
#'
#' @param x A result of [mi_tipping_point()].
#' @param visit Visit shown (default: the last one).
#' @param contrast Contrast shown (default: the first one).
#' @param ... Unused.
#' @return `autoplot()`: a ggplot object; `plot()`: `x`, invisibly.
#' @examples
#' d <- mi_example_data(n = 60, seed = 1)
#' fit <- mi_reference_based(d, mi_example_vars(), data_ice = attr(d, "data_ice"),
#'   reference = c(TRT = "PBO"), analysis_covariates = "BASE")
#' tp <- mi_tipping_point(fit, deltas = seq(0, 2, by = 0.25))
#' if (requireNamespace("ggplot2", quietly = TRUE)) plot(tp)
#' @name mi_tipping_plot
NULL

autoplot_mi_tipping <- function(object, visit = NULL, contrast = NULL, ...) {
  tip <- mi_tipping_delta(object, visit, contrast)
  d <- object[object$visit == tip$visit & object$contrast == tip$contrast, , drop = FALSE]
  d <- as.data.frame(d[order(d$delta), , drop = FALSE])
  .data <- ggplot2::.data
  level <- 100 * (1 - (attr(object, "alpha") %||% 0.05))
  p <- ggplot2::ggplot(d, ggplot2::aes(x = .data$delta, y = .data$estimate)) +
    ggplot2::geom_ribbon(ggplot2::aes(ymin = .data$lower, ymax = .data$upper), fill = "#9ecae1",
                         alpha = 0.5) +
    ggplot2::geom_line(colour = "#08519c") +
    ggplot2::geom_point(colour = "#08519c") +
    ggplot2::geom_hline(yintercept = 0, colour = "grey40")
  sub <- "the conclusion does not change over the grid"
  if (!is.na(tip$tipping_delta)) {
    p <- p + ggplot2::geom_vline(xintercept = tip$tipping_delta, linetype = "dashed", colour = "#cb181d")
    sub <- sprintf("tipping point: delta = %.3g (the %s %g%% limit crosses 0)", tip$tipping_delta,
                   tip$bound, level)
  }
  p + ggplot2::labs(x = sprintf("Delta added to the imputed values (%s)",
                                  paste(attr(object, "arms") %||% "shifted arms", collapse = ", ")), y = sprintf("%s (%g%% CI)", tip$contrast, level),
                    title = sprintf("Tipping-point analysis at %s", tip$visit), subtitle = sub) +
    ggplot2::theme_minimal()
}

#' @rdname mi_tipping_plot
#' @export
plot.glycotrial_mi_tipping <- function(x, visit = NULL, contrast = NULL, ...) {
  if (!requireNamespace("ggplot2", quietly = TRUE)) {
    glycotrial_abort("Plotting a tipping-point grid needs the package {.pkg ggplot2}.",
                     class = c("input", "glycotrial_error_missing_package"))
  }
  print(autoplot_mi_tipping(x, visit, contrast))
  invisible(x)
}

add_builtin_plugins("mi_tipping", function() {
  add_s3_interop("ggplot2", "autoplot", "glycotrial_mi_tipping", autoplot_mi_tipping)
})
