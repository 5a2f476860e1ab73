# Risk differences for the safety tables. The interval methods are shared
# with the responder analyses: diff_ci() (R/diff_ci.R) when it is available in
# this build; otherwise the Newcombe hybrid score interval (Newcombe 1998,
# Stat Med 17:873, method 10) computed here so that tables still carry an RD.

# Wilson score limits (Wilson 1927).
wilson_limits <- function(x, n, conf_level) {
  z <- stats::qnorm(1 - (1 - conf_level) / 2)
  p <- x / n
  centre <- (p + z^2 / (2 * n)) / (1 + z^2 / n)
  half <- z * sqrt(p * (1 - p) / n + z^2 / (4 * n^2)) / (1 + z^2 / n)
  cbind(lower = pmax(0, centre - half), upper = pmin(1, centre + half))
}

newcombe_rd <- function(x1, n1, x2, n2, conf_level) {
  p1 <- x1 / n1
  p2 <- x2 / n2
  w1 <- wilson_limits(x1, n1, conf_level)
  w2 <- wilson_limits(x2, n2, conf_level)
  d <- p1 - p2
  data.frame(estimate = d,
             lower = d - sqrt((p1 - w1[, "lower"])^2 + (w2[, "upper"] - p2)^2),
             upper = d + sqrt((w1[, "upper"] - p1)^2 + (p2 - w2[, "lower"])^2))
}

# Vectorised RD (x1/n1 - x2/n2) with CI; NA where an arm has no subjects.
safety_rd <- function(x1, n1, x2, n2, conf_level = 0.95, method = "newcombe") {
  if (exists("diff_ci_methods", envir = asNamespace("glycotrial"), inherits = FALSE)) {
    method <- match_ci_method(method, diff_ci_methods, diff_ci_aliases, arg = "rd_method",
                              call = NULL)
  }
  n <- length(x1)
  out <- data.frame(estimate = rep(NA_real_, n), lower = NA_real_, upper = NA_real_)
  ok <- n1 > 0 & n2 > 0
  if (!any(ok)) return(out)
  diff_fun <- get0("diff_ci", envir = asNamespace("glycotrial"), mode = "function",
                   inherits = FALSE)
  res <- if (!is.null(diff_fun)) {
    diff_fun(x1[ok], n1[ok], x2[ok], n2[ok], method = method, conf_level = conf_level)
  } else {
    if (!identical(method, "newcombe")) {
      glycotrial_abort("{.arg rd_method} {.val {method}} needs {.fn diff_ci}, which this build lacks; use {.val newcombe}.")
    }
    newcombe_rd(x1[ok], n1[ok], x2[ok], n2[ok], conf_level)
  }
  out$estimate[ok] <- res$estimate
  out$lower[ok] <- res$lower
  out$upper[ok] <- res$upper
  out
}
