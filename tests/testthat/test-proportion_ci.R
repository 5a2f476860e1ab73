# Single-proportion intervals against published values and independent
# implementations. Tolerances: published 4-decimal values 1e-4 absolute
# (rounding); closed-form references 1e-10; root-finding references 1e-6.

test_that("Newcombe (1998a) published examples are reproduced", {
  # Newcombe RG (1998) Stat Med 17:857, Table I (as in ratesci test3.R).
  x <- c(15, 0, 1); n <- c(148, 20, 29)
  pub <- list(
    "wilson" = rbind(c(0.0624, 0.1605), c(0, 0.1611), c(0.0061, 0.1718)),
    "wilson-cc" = rbind(c(0.0598, 0.1644), c(0, 0.2005), c(0.0018, 0.1963)),
    "clopper-pearson" = rbind(c(0.0578, 0.1617), c(0, 0.1684), c(0.0009, 0.1776)),
    "mid-p" = rbind(c(0.0601, 0.1581), c(0, 0.1391), c(0.0017, 0.1585)))
  for (m in names(pub)) {
    r <- prop_ci(x, n, method = m)
    expect_close(as.matrix(r[, c("lower", "upper")]), pub[[m]], 5e-5, label = m)
  }
})

test_that("cicalc / Agresti single-proportion values are reproduced", {
  # GSK-Biostatistics/cicalc snapshots (tests/testthat/_snaps/prop_ci.md).
  r <- function(x, n, m, cl = 0.95) unlist(prop_ci(x, n, m, cl)[, c("lower", "upper")])
  expect_equal(r(5, 10, "clopper-pearson"), c(0.187086, 0.812914), tolerance = 1e-6, ignore_attr = TRUE)
  expect_equal(r(5, 10, "agresti-coull"), c(0.2365931, 0.7634069), tolerance = 1e-6, ignore_attr = TRUE)
  expect_equal(r(5, 10, "jeffreys"), c(0.2235287, 0.7764713), tolerance = 1e-6, ignore_attr = TRUE)
  expect_equal(r(5, 10, "wald-cc"), c(0.1401025, 0.8598975), tolerance = 1e-6, ignore_attr = TRUE)
  expect_equal(r(5, 10, "wilson", 0.9), c(0.2692718, 0.7307282), tolerance = 1e-6, ignore_attr = TRUE)
  expect_equal(r(32, 32, "wilson"), c(0.8928208, 1), tolerance = 1e-6, ignore_attr = TRUE)
  expect_equal(r(32, 32, "clopper-pearson"), c(0.8911188, 1), tolerance = 1e-6, ignore_attr = TRUE)
  expect_equal(r(32, 32, "jeffreys"), c(0.9250722, 1), tolerance = 1e-6, ignore_attr = TRUE)
  expect_warning(w <- r(32, 32, "wald"), class = "glycotrial_warning_degenerate_interval")
  expect_equal(w, c(1, 1), ignore_attr = TRUE)
  expect_equal(r(0, 32, "wilson"), c(0, 0.1071792), tolerance = 1e-6, ignore_attr = TRUE)
  expect_equal(r(0, 32, "agresti-coull"), c(0, 0.1273181), tolerance = 1e-6, ignore_attr = TRUE)
  expect_equal(r(0, 32, "jeffreys"), c(0, 0.07492776), tolerance = 1e-6, ignore_attr = TRUE)
  # Agresti (2013, p. 605): mid-p upper limit for 0/25 is 0.113.
  expect_close(r(0, 25, "mid-p")[2], 0.113, 5e-4)
  # Limiting value: Wilson 0/n upper = z^2 / (n + z^2).
  z <- qnorm(0.975)
  expect_equal(r(0, 20, "wilson"), c(0, z^2 / (20 + z^2)), tolerance = 1e-12, ignore_attr = TRUE)
})

grid_xn <- function(ns = c(1, 2, 5, 13, 40)) {
  do.call(rbind, lapply(ns, function(n) data.frame(x = 0:n, n = n)))
}

test_that("intervals agree with stats, PropCIs and closed forms over a grid incl. 0 and n", {
  g <- grid_xn()
  for (cl in c(0.9, 0.95)) {
    w <- prop_ci(g$x, g$n, "wilson", cl)
    wcc <- prop_ci(g$x, g$n, "wilson-cc", cl)
    cp <- prop_ci(g$x, g$n, "clopper-pearson", cl)
    jf <- prop_ci(g$x, g$n, "jeffreys", cl)
    a <- 1 - cl
    for (i in seq_len(nrow(g))) {
      x <- g$x[i]; n <- g$n[i]
      # stats::prop.test gives Wilson without / with continuity correction.
      ref <- suppressWarnings(prop.test(x, n, conf.level = cl, correct = FALSE)$conf.int)
      expect_equal(c(w$lower[i], w$upper[i]), as.numeric(ref), tolerance = 1e-10)
      # prop.test shrinks the correction to |x - n p0| when that is below 1/2,
      # so p0 is set far from x / n to get the full correction.
      p0 <- if (x > n / 2) 0.001 else 0.999
      refc <- suppressWarnings(prop.test(x, n, p = p0, conf.level = cl, correct = TRUE)$conf.int)
      expect_equal(c(wcc$lower[i], wcc$upper[i]), as.numeric(refc), tolerance = 1e-10)
      # Clopper-Pearson and Jeffreys from beta quantiles (closed form).
      expect_equal(c(cp$lower[i], cp$upper[i]),
                   c(if (x == 0) 0 else qbeta(a / 2, x, n - x + 1),
                     if (x == n) 1 else qbeta(1 - a / 2, x + 1, n - x)), tolerance = 1e-10)
      expect_equal(c(jf$lower[i], jf$upper[i]),
                   c(if (x == 0) 0 else qbeta(a / 2, x + 0.5, n - x + 0.5),
                     if (x == n) 1 else qbeta(1 - a / 2, x + 0.5, n - x + 0.5)),
                   tolerance = 1e-10)
    }
  }
  # Mid-p limits solved here with uniroot at tight tolerance (PropCIs::midPci
  # is only accurate to ~5e-4, so it is not used as the reference).
  mp <- prop_ci(g$x, g$n, "mid-p")
  for (i in seq_len(nrow(g))) {
    x <- g$x[i]; n <- g$n[i]
    up <- function(p) pbinom(x, n, p, lower.tail = FALSE) + 0.5 * dbinom(x, n, p) - 0.025
    lo <- function(p) pbinom(x - 1, n, p) + 0.5 * dbinom(x, n, p) - 0.025
    ref <- c(if (x == 0) 0 else uniroot(up, c(0, 1), tol = 1e-14)$root,
             if (x == n) 1 else uniroot(lo, c(0, 1), tol = 1e-14)$root)
    expect_close(c(mp$lower[i], mp$upper[i]), ref, 1e-9)
  }
  skip_if_not_installed("PropCIs")
  ac <- prop_ci(g$x, g$n, "agresti-coull")
  for (i in seq_len(nrow(g))) {
    x <- g$x[i]; n <- g$n[i]
    expect_equal(c(ac$lower[i], ac$upper[i]),
                 as.numeric(PropCIs::addz2ci(x, n, 0.95)$conf.int), tolerance = 1e-10)
  }
})

test_that("wald intervals are the closed forms, truncated to [0, 1]", {
  # 0/10 Wald is (0, 0): zero width, flagged (issue 17.4).
  expect_warning(r <- prop_ci(c(3, 0), c(10, 10), c("wald", "wald-cc")),
                 class = "glycotrial_warning_degenerate_interval")
  z <- qnorm(0.975)
  h <- z * sqrt(0.3 * 0.7 / 10)
  expect_equal(r$lower, c(max(0, 0.3 - h), 0, max(0, 0.3 - h - 0.05), 0), tolerance = 1e-12)
  expect_equal(r$upper, c(0.3 + h, 0, 0.3 + h + 0.05, 0.05), tolerance = 1e-12)
})

test_that("prop_ci is vectorised and returns one row per element and method", {
  r <- prop_ci(c(1, 2, 3), 10, method = c("wilson", "exact"), conf_level = c(0.9, 0.95, 0.99))
  expect_equal(nrow(r), 6)
  expect_equal(r$method, rep(c("wilson", "clopper-pearson"), each = 3))
  expect_equal(r$conf_level, rep(c(0.9, 0.95, 0.99), 2))
  expect_true(all(r$lower <= r$estimate & r$estimate <= r$upper))
})

test_that("bad input raises classed errors", {
  expect_error(prop_ci(11, 10), class = "glycotrial_error_input")
  expect_error(prop_ci(-1, 10), class = "glycotrial_error_input")
  expect_error(prop_ci(1.5, 10), class = "glycotrial_error_input")
  expect_error(prop_ci(0, 0), class = "glycotrial_error_input")
  expect_error(prop_ci(1, 10, conf_level = 1), class = "glycotrial_error_input")
  expect_error(prop_ci(1, 10, conf_level = 0), class = "glycotrial_error_input")
  expect_error(prop_ci(1:3, 1:2 + 10), class = "glycotrial_error_input")
  e <- expect_error(prop_ci(1, 10, method = "bogus"), class = "glycotrial_error_unknown_method")
  expect_match(conditionMessage(e), "clopper-pearson")
  expect_s3_class(e, "glycotrial_error_input")
  # The core re-checks the method name (defence in depth) with a classed error.
  expect_error(glycotrial:::cpp_stats_prop_ci(1, 10, "bogus", 0.95),
               class = "glycotrial_error_input")
})
