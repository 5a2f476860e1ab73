# Risk differences for the safety tables, with the interval methods of the
# responder analyses (diff_ci(), R/diff_ci.R), so that a safety table and a
# responder table give the same interval for the same counts.

# Vectorised RD (x1/n1 - x2/n2) with CI; NA where an arm has no subjects.
safety_rd <- function(x1, n1, x2, n2, conf_level = 0.95, method = "newcombe") {
  method <- match_ci_method(method, diff_ci_methods, diff_ci_aliases, arg = "rd_method",
                            call = NULL)
  n <- length(x1)
  out <- data.frame(estimate = rep(NA_real_, n), lower = NA_real_, upper = NA_real_)
  ok <- n1 > 0 & n2 > 0
  if (!any(ok)) return(out)
  res <- diff_ci(x1[ok], n1[ok], x2[ok], n2[ok], method = method, conf_level = conf_level)
  out$estimate[ok] <- res$estimate
  out$lower[ok] <- res$lower
  out$upper[ok] <- res$upper
  out
}
