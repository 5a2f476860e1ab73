# Numerical stress: inputs at the edges of floating point where a fit or an
# interval must either be right (checked against an independent reference)
# or fail with a classed condition. Never a silent wrong answer.

# --- proportion and 2x2 statistics with rare events in huge denominators ---------------
# Regressions for defects found by the sanitizer drivers / fuzzing:
#  * Farrington-Manning restricted MLE (src/core/stats/score.cpp, rmle_rd) lost
#    its relative precision for small proportions (3/1e7 vs 2/1e7: 1e-4 relative
#    error in the statistic; 3/1e8 vs 2/1e8: 1e-2).
#  * mid-p limits used an absolute bisection tolerance of 1e-13 and returned
#    [2.8e-14, 2.8e-14] for 2 events in 1e15 (an interval excluding x/n).
#  * counts above 2^53 made Boost throw unclassed C++ errors.

test_that("Farrington-Manning statistic keeps full precision for rare events", {
  # At margin 0 the restricted MLE is the pooled proportion, so the statistic
  # has the closed form (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)).
  for (n in 10^(3:8)) {
    f <- farrington_manning_test(3, n, 2, n)
    p <- 5 / (2 * n)
    ref <- (1 / n) / sqrt(p * (1 - p) * 2 / n)
    expect_equal(f$statistic, ref, tolerance = 1e-12, label = paste("FM statistic at n =", n))
  }
})

test_that("mid-p limits are accurate for tiny proportions", {
  # Reference: the mid-p equations solved with uniroot on the log scale
  # (Agresti 2013, 16.6) using R's pbinom/dbinom.
  midp_ref <- function(x, n, conf = 0.95) {
    a2 <- (1 - conf) / 2
    up <- function(lp) { p <- exp(lp); pbinom(x, n, p, lower.tail = FALSE) + 0.5 * dbinom(x, n, p) - a2 }
    lo <- function(lp) { p <- exp(lp); pbinom(x - 1, n, p) + 0.5 * dbinom(x, n, p) - a2 }
    c(exp(uniroot(up, log(c(1e-6, 1) * x / n), tol = 1e-14)$root),
      exp(uniroot(lo, log(c(x / n, 1e3 * x / n)), tol = 1e-14)$root))
  }
  for (n in c(1e6, 1e12, 1e15)) {
    r <- prop_ci(2, n, method = "mid-p")
    expect_lte(r$lower, r$estimate)
    expect_gte(r$upper, r$estimate)
    expect_equal(c(r$lower, r$upper), midp_ref(2, n), tolerance = 1e-8,
                 label = paste("mid-p limits at n =", n))
  }
})

test_that("counts beyond exact double precision are refused, not mis-computed", {
  for (m in c("clopper-pearson", "jeffreys", "mid-p", "wilson")) {
    expect_error(prop_ci(1, 1e300, method = m), class = "glycotrial_error_input")
  }
  expect_error(diff_ci(1, 1e17, 1, 10), class = "glycotrial_error_input")
  expect_error(ratio_ci(1, 10, 1, 1e17), class = "glycotrial_error_input")
  expect_error(farrington_manning_test(1, 1e17, 1, 10), class = "glycotrial_error_input")
  r <- prop_ci(1, 2^53, method = "clopper-pearson")
  expect_true(r$lower < r$estimate && r$estimate < r$upper)
})
