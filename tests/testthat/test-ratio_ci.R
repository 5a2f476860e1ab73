# Relative risk and odds ratio intervals against published values
# (Fagerland & Newcombe 2013, Gart & Nam 1988, as in ratesci test3.R), ratesci,
# and the Woolf / Katz closed forms. Tolerances: 3-decimal published values
# 1e-3 absolute; ratesci 1e-5 relative; closed forms 1e-12.

fn <- data.frame(x1 = c(24, 29, 7), n1 = c(73, 55, 18), x2 = c(53, 11, 1), n2 = c(65, 11, 18))

test_that("published relative-risk and odds-ratio score intervals", {
  rr <- with(fn, ratio_ci(x1, n1, x2, n2, "rr", "score"))
  expect_close(rr$lower, c(0.280, 0.397, 1.296), 5e-4)
  expect_close(rr$upper, c(0.560, 0.742, 42.544), 5e-4)
  or <- with(fn, ratio_ci(x1, n1, x2, n2, "or", "score"))
  expect_close(or$lower, c(0.050, 0, 1.416), 5e-4)
  expect_close(or$upper, c(0.245, 0.417, 76.428), 5e-4)
  # Gart & Nam (1988): score without bias correction.
  gn <- ratio_ci(c(8, 6), c(15, 10), c(4, 6), c(15, 20), "rr", "score-nobcf")
  expect_close(gn$lower, c(0.815, 0.844), 5e-4)
  expect_close(gn$upper, c(5.336, 4.594), 5e-4)
})

test_that("score intervals agree with ratesci over a grid including zeros", {
  skip_if_not_installed("ratesci")
  g <- expand.grid(x1 = c(0, 2, 9, 12), n1 = 12, x2 = c(1, 5, 14), n2 = 14)
  for (bcf in c(TRUE, FALSE)) {
    m <- if (bcf) "score" else "score-nobcf"
    rr <- with(g, ratio_ci(x1, n1, x2, n2, "rr", m))
    ref <- ratesci::scoreci(g$x1, g$n1, g$x2, g$n2, contrast = "RR", skew = FALSE, bcf = bcf,
                            precis = 10, warn = FALSE)$estimates
    expect_equal(rr$lower, ref[, "lower"], tolerance = 1e-5)
    expect_equal(rr$upper, ref[, "upper"], tolerance = 1e-5)
  }
  g2 <- g[g$x2 < 14 & g$x1 > 0 & g$x1 < 12, ]
  or <- with(g2, ratio_ci(x1, n1, x2, n2, "or", "score"))
  ref <- ratesci::scoreci(g2$x1, g2$n1, g2$x2, g2$n2, contrast = "OR", skew = FALSE,
                          bcf = TRUE, or_bias = FALSE, precis = 10, warn = FALSE)$estimates
  expect_equal(or$lower, ref[, "lower"], tolerance = 1e-5)
  expect_equal(or$upper, ref[, "upper"], tolerance = 1e-5)
})

test_that("odds-ratio score intervals hold on unbalanced and near-degenerate tables (issue 17.1)", {
  # Issue 17 numbers (score without bias correction, as ratesci bcf = FALSE):
  # 9999/10000 vs 5/8 collapsed to (0, 48457); 4858/4859 vs 100000/100000 and
  # 1000/1000 vs 7/8 to (0, Inf).
  r <- ratio_ci(c(9999, 4858, 1000), c(10000, 4859, 1000), c(5, 1e5, 7), c(8, 1e5, 8),
                "or", "score-nobcf")
  expect_equal(r$lower, c(699.77, 0, 34.11), tolerance = 1e-4)
  expect_equal(r$upper, c(48453.6, 0.18664, Inf), tolerance = 1e-4)
  # Zero cells give exact limits: lower 0 when a or d is 0, upper Inf when b or c is 0.
  z <- ratio_ci(c(0, 3, 10, 4), 10, c(4, 10, 0, 2), 10, "or", "score")
  expect_identical(z$lower[1:2], c(0, 0))
  expect_identical(z$upper[3], Inf)
  expect_true(all(is.finite(z$lower[3:4]) & z$lower[3:4] > 0))
  skip_if_not_installed("ratesci")
  set.seed(17)
  sizes <- c(1:12, 50, 125, 500, 1000, 1e4, 1e5)
  n1 <- sample(sizes, 150, TRUE); n2 <- sample(sizes, 150, TRUE)
  pick <- function(n) sample(unique(c(0, 1, n - 1, n, sample(0:n, 1))), 1)
  x1 <- vapply(n1, pick, 1); x2 <- vapply(n2, pick, 1)
  x1 <- c(x1, 9999, 4858, 1000); n1 <- c(n1, 10000, 4859, 1000)
  x2 <- c(x2, 5, 1e5, 7); n2 <- c(n2, 8, 1e5, 8)
  for (bcf in c(TRUE, FALSE)) {
    g <- ratio_ci(x1, n1, x2, n2, "or", if (bcf) "score" else "score-nobcf")
    ref <- ratesci::scoreci(x1 = x1, n1 = n1, x2 = x2, n2 = n2, contrast = "OR", skew = FALSE,
                            bcf = bcf, or_bias = FALSE, precis = 10, warn = FALSE)$estimates
    # ratesci rounds its limits to 10 decimal places: compare at 1e-6
    # relative or 1e-9 absolute; infinite limits must match exactly.
    for (side in c("lower", "upper")) {
      a <- g[[side]]; b <- ref[, side]
      expect_identical(is.finite(a), is.finite(b))
      f <- is.finite(a)
      expect_true(all(abs(a[f] - b[f]) <= pmax(1e-9, 1e-6 * abs(b[f]))),
                  info = paste(side, "bcf", bcf))
    }
  }
})

test_that("Wald (Katz / Woolf) and modified Wald are the closed forms", {
  z <- qnorm(0.975)
  a <- 9; b <- 36; c <- 2; d <- 42
  or <- ratio_ci(9, 45, 2, 44, "or", c("wald", "wald-modified"))
  se <- sqrt(1 / a + 1 / b + 1 / c + 1 / d)
  expect_equal(or$estimate[1], a * d / (b * c))
  expect_equal(or$lower[1], exp(log(a * d / (b * c)) - z * se), tolerance = 1e-12)
  se2 <- sqrt(1 / 9.5 + 1 / 36.5 + 1 / 2.5 + 1 / 42.5)
  expect_equal(or$upper[2], exp(log(9.5 * 42.5 / (36.5 * 2.5)) + z * se2), tolerance = 1e-12)
  rr <- ratio_ci(9, 45, 2, 44, "rr", "wald")
  se <- sqrt(1 / 9 - 1 / 45 + 1 / 2 - 1 / 44)
  expect_equal(rr$upper, (9 / 45) / (2 / 44) * exp(z * se), tolerance = 1e-12)
  # A zero cell gives the limiting interval (0, Inf).
  expect_equal(unlist(ratio_ci(0, 10, 3, 10, "or", "wald")[, c("lower", "upper")]),
               c(0, Inf), ignore_attr = TRUE)
})

test_that("exact odds-ratio interval is fisher.test's conditional interval", {
  r <- ratio_ci(c(9, 0, 7), c(45, 10, 18), c(2, 3, 1), c(44, 10, 18), "or", "exact")
  for (i in 1:3) {
    m <- matrix(c(r$x1[i], r$x2[i], r$n1[i] - r$x1[i], r$n2[i] - r$x2[i]), 2)
    # fisher.test's uniroot stops early for large limits (0.3 % off for 7/18
    # vs 1/18), so compare at 5e-3 relative and check the defining equation.
    expect_equal(c(r$lower[i], r$upper[i]), as.numeric(fisher.test(m)$conf.int),
                 tolerance = 5e-3)
  }
  u <- 0:8
  tail_le <- function(psi) {
    d <- dhyper(u, 18, 18, 8, log = TRUE) + log(psi) * u
    d <- exp(d - max(d)); sum((d / sum(d))[u <= 7])
  }
  expect_equal(tail_le(r$upper[3]), 0.025, tolerance = 1e-8)
  expect_error(ratio_ci(9, 45, 2, 44, "rr", "exact"), class = "glycotrial_error_input")
})

test_that("bad input raises classed errors", {
  expect_error(ratio_ci(1, 10, 1, 10, "hr"), class = "glycotrial_error_input")
  expect_error(ratio_ci(1, 10, 1, 10, "rr", "exact-ish"),
               class = "glycotrial_error_unknown_method")
  expect_error(ratio_ci(12, 10, 1, 10), class = "glycotrial_error_input")
})
