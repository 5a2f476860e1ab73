# Stratified analyses. References: Agresti (2013) 8-centre data (CMH 6.384,
# p = 0.0115, MH OR 2.13 (1.18, 3.87), MH RD 0.130 SE 0.050; printed values,
# tolerance half a unit in the last digit), stats::mantelhaen.test (1e-10),
# the SAS PROC FREQ documentation example (MH RR 2.1636 (1.2336, 3.7948)),
# ratesci::scoreci stratified (1e-6), and hand calculations written out here.

agresti <- data.frame(
  x1 = c(11, 16, 14, 2, 6, 1, 1, 4), f1 = c(25, 4, 5, 14, 11, 10, 4, 2),
  x2 = c(10, 22, 7, 1, 0, 0, 1, 6), f2 = c(27, 10, 12, 16, 12, 10, 8, 1))
agresti$n1 <- agresti$x1 + agresti$f1
agresti$n2 <- agresti$x2 + agresti$f2
agresti_array <- with(agresti, array(rbind(x1, x2, f1, f2), c(2, 2, 8)))

test_that("CMH test and MH odds ratio reproduce Agresti (2013) and mantelhaen.test", {
  r <- with(agresti, cmh_test(x1, n1, x2, n2))
  expect_close(r$statistic, 6.384, 5e-4)
  expect_close(r$p_value, 0.0115, 5e-5)
  ref <- mantelhaen.test(agresti_array, correct = FALSE)
  expect_equal(r$statistic, unname(ref$statistic), tolerance = 1e-10)
  expect_equal(r$p_value, ref$p.value, tolerance = 1e-10)
  refc <- mantelhaen.test(agresti_array, correct = TRUE)
  expect_equal(with(agresti, cmh_test(x1, n1, x2, n2, correct = TRUE))$statistic,
               unname(refc$statistic), tolerance = 1e-10)
  or <- with(agresti, mh_estimate(x1, n1, x2, n2, "or"))
  expect_close(c(or$estimate, or$lower, or$upper), c(2.13, 1.18, 3.87), 5e-3)
  expect_equal(c(or$estimate, or$lower, or$upper),
               unname(c(ref$estimate, ref$conf.int)), tolerance = 1e-10)
  # General association on the same data (as a 2 x 2 x K array) is the same test.
  expect_equal(cmh_test(table = agresti_array)$statistic, r$statistic, tolerance = 1e-10)
})

test_that("continuity-corrected CMH matches mantelhaen.test, also when |O - E| < 1/2 (issue 17.3)", {
  # |O - E| = 2 - 16/9 = 0.22 here: mantelhaen.test applies no correction,
  # where glycotrial used to return statistic 0 with p = 1.
  x1 <- c(2, 3); n1 <- c(4, 6); x2 <- c(2, 3); n2 <- c(5, 6)
  a <- array(rbind(x1, x2, n1 - x1, n2 - x2), c(2, 2, 2))
  ref <- mantelhaen.test(a, correct = TRUE)
  r <- cmh_test(x1, n1, x2, n2, correct = TRUE)
  expect_gt(r$statistic, 0)
  expect_equal(r$statistic, unname(ref$statistic), tolerance = 1e-10)
  set.seed(173)
  small <- 0
  for (i in 1:200) {
    k <- sample(1:5, 1)
    n1 <- sample(2:15, k, TRUE); n2 <- sample(2:15, k, TRUE)
    x1 <- rbinom(k, n1, 0.4); x2 <- rbinom(k, n2, 0.4)
    a <- array(rbind(x1, x2, n1 - x1, n2 - x2), c(2, 2, k))
    ref <- tryCatch(mantelhaen.test(a, correct = TRUE), error = function(e) NULL)
    if (is.null(ref) || !is.finite(ref$statistic)) next
    m1 <- x1 + x2; small <- small + (abs(sum(x1 - n1 * m1 / (n1 + n2))) < 0.5)
    r <- cmh_test(x1, n1, x2, n2, correct = TRUE)
    expect_equal(r$statistic, unname(ref$statistic), tolerance = 1e-10)
    expect_equal(r$p_value, ref$p.value, tolerance = 1e-10)
  }
  expect_gt(small, 10)
})

test_that("general-association CMH matches mantelhaen.test for r x c x K", {
  set.seed(11)
  for (d in list(c(3, 3, 4), c(2, 4, 3), c(3, 2, 5))) {
    a <- array(rpois(prod(d), 7) + 1, d)
    r <- cmh_test(table = a)
    ref <- mantelhaen.test(a)
    expect_equal(r$statistic, unname(ref$statistic), tolerance = 1e-10)
    expect_equal(r$df, unname(ref$parameter))
    expect_equal(r$p_value, ref$p.value, tolerance = 1e-10)
  }
})

test_that("MH risk difference (Sato) and relative risk reproduce published values", {
  rd <- with(agresti, mh_estimate(x1, n1, x2, n2, "rd"))
  expect_close(c(rd$estimate, rd$se), c(0.130, 0.050), 5e-4)
  # Hand calculation of the Sato variance.
  w <- with(agresti, n1 * n2 / (n1 + n2)); N <- with(agresti, n1 + n2)
  d <- with(agresti, sum(w * (x1 / n1 - x2 / n2)) / sum(w))
  P <- with(agresti, (n1^2 * x2 - n2^2 * x1 + n1 * n2 * (n2 - n1) / 2) / N^2)
  Q <- with(agresti, (x1 * (n2 - x2) + x2 * (n1 - x1)) / (2 * N))
  expect_equal(rd$se, sqrt((d * sum(P) + sum(Q)) / sum(w)^2), tolerance = 1e-12)
  # SAS PROC FREQ documentation (gender strata): MH RR 2.1636 (1.2336, 3.7948).
  rr <- mh_estimate(c(16, 12), c(27, 28), c(5, 7), c(25, 26), "rr")
  expect_close(c(rr$estimate, rr$lower, rr$upper), c(2.1636, 1.2336, 3.7948), 5e-5)
})

test_that("Breslow-Day (and Tarone) equal a hand calculation", {
  bd <- with(agresti, breslow_day_test(x1, n1, x2, n2))
  psi <- mantelhaen.test(agresti_array, correct = FALSE)$estimate
  stat <- 0; dev <- 0; vs <- 0; k <- 0
  for (h in seq_len(nrow(agresti))) {
    n1 <- agresti$n1[h]; N <- n1 + agresti$n2[h]; m1 <- agresti$x1[h] + agresti$x2[h]
    lo <- max(0, n1 + m1 - N); hi <- min(n1, m1)
    if (hi <= lo) next
    f <- function(e) e * (N - n1 - m1 + e) - psi * (n1 - e) * (m1 - e)
    E <- uniroot(f, c(lo, hi), tol = 1e-13)$root
    v <- 1 / (1 / E + 1 / (n1 - E) + 1 / (m1 - E) + 1 / (N - n1 - m1 + E))
    stat <- stat + (agresti$x1[h] - E)^2 / v
    dev <- dev + agresti$x1[h] - E; vs <- vs + v; k <- k + 1
  }
  expect_equal(bd$statistic[1], stat, tolerance = 1e-8)
  expect_equal(bd$statistic[2], stat - dev^2 / vs, tolerance = 1e-8)
  expect_equal(bd$df, c(k - 1, k - 1))
  expect_equal(bd$p_value[1], pchisq(stat, k - 1, lower.tail = FALSE), tolerance = 1e-8)
})

test_that("stratified MN (MH and MN weights) agree with ratesci and the CMH test", {
  skip_if_not_installed("ratesci")
  mr <- list(x1 = c(21, 11, 8), n1 = c(464, 165, 69), x2 = c(26, 25, 11), n2 = c(453, 174, 70))
  for (dat in list(as.list(agresti[c("x1", "n1", "x2", "n2")]), mr)) {
    r <- stratified_diff_ci(dat$x1, dat$n1, dat$x2, dat$n2, c("mnmh", "mn"))
    for (i in 1:2) {
      wt <- c("MH", "MN")[i]
      ref <- ratesci::scoreci(dat$x1, dat$n1, dat$x2, dat$n2, stratified = TRUE,
                              weighting = wt, skew = FALSE, precis = 10, warn = FALSE)
      expect_equal(c(r$lower[i], r$estimate[i], r$upper[i]),
                   unname(ref$estimates[1, c("lower", "est", "upper")]), tolerance = 1e-6,
                   label = wt)
    }
    # MH weights, no skew correction: the score test at 0 is the CMH test.
    cmh <- cmh_test(dat$x1, dat$n1, dat$x2, dat$n2)
    expect_equal(r$p_value[1], cmh$p_value, tolerance = 1e-8)
    expect_equal(r$statistic[1]^2, cmh$statistic, tolerance = 1e-8)
  }
})

# Yan & Su (2010) stratified Newcombe written out from the paper's formulas
# (as prop_diff_strat_nc() of tern, whose source these lines follow), with the
# stratum Wilson limits taken from stats::prop.test().
yan_su <- function(x1, n1, x2, n2, weights = "cmh", correct = FALSE, conf = 0.95) {
  z <- qnorm((1 + conf) / 2)
  squant <- function(v, w) z * sqrt(sum(w^2 * v)) / sum(sqrt(w^2 * v))
  if (weights == "cmh") {
    w <- n1 * n2 / (n1 + n2); w <- w / sum(w)
  } else {
    n <- n1 + n2; p <- (x1 + x2) / n; v <- p * (1 - p) / n
    w <- rep(1 / length(n), length(n)); zs <- squant(v, w)
    for (it in 1:10) {
      wn <- (1 + zs^2 / n)^2 / (v + zs^2 / (4 * n^2)); wn <- wn / sum(wn)
      zs <- squant(v, wn); dv <- sum(abs(wn - w)); w <- wn
      if (dv < 0.001) break
    }
  }
  arm <- function(x, n) {
    p <- x / n; zs <- squant(p * (1 - p) / n, w)
    lims <- sapply(seq_along(x), function(h) {
      suppressWarnings(prop.test(x[h], n[h], correct = correct,
                                 conf.level = 2 * pnorm(zs) - 1)$conf.int)
    })
    c(sum(w * p), sum(w * lims[1, ]), sum(w * lims[2, ]))
  }
  a1 <- arm(x1, n1); a2 <- arm(x2, n2)
  l1 <- sum(w^2 / n1); l2 <- sum(w^2 / n2); d <- a1[1] - a2[1]
  c(d, d - z * sqrt(l1 * a1[2] * (1 - a1[2]) + l2 * a2[3] * (1 - a2[3])),
    d + z * sqrt(l2 * a2[2] * (1 - a2[2]) + l1 * a1[3] * (1 - a1[3])))
}

test_that("stratified Newcombe is Yan & Su (2010) as tern, and Newcombe for one stratum (issue 17.2)", {
  one <- stratified_diff_ci(56, 70, 48, 80, "newcombe")
  nc <- diff_ci(56, 70, 48, 80, "newcombe")
  expect_equal(c(one$lower, one$upper), c(nc$lower, nc$upper), tolerance = 1e-12)
  sets <- list(
    list(x1 = c(12, 5, 9), n1 = c(30, 20, 25), x2 = c(6, 4, 2), n2 = c(28, 22, 24)),
    as.list(agresti[c("x1", "n1", "x2", "n2")]),
    list(x1 = c(21, 11, 8), n1 = c(464, 165, 69), x2 = c(26, 25, 11), n2 = c(453, 174, 70)),
    list(x1 = c(3, 17, 40, 1), n1 = c(9, 31, 60, 5), x2 = c(1, 9, 31, 0), n2 = c(12, 30, 58, 6)))
  for (dat in sets) {
    for (wt in c("cmh", "wilson")) {
      for (cc in c(FALSE, TRUE)) {
        # prop.test() drops the correction when x = n/2 exactly; avoid that quirk.
        if (cc && any(c(dat$x1 * 2 == dat$n1, dat$x2 * 2 == dat$n2))) next
        r <- stratified_diff_ci(dat$x1, dat$n1, dat$x2, dat$n2,
                                if (cc) "newcombe-cc" else "newcombe", weights = wt)
        ref <- yan_su(dat$x1, dat$n1, dat$x2, dat$n2, wt, cc)
        expect_equal(c(r$estimate, r$lower, r$upper), ref, tolerance = 1e-10,
                     label = paste(wt, cc))
      }
    }
  }
  # The square-and-add combination of the stratified Wilson limits that this
  # function used to return is not the published method: it must differ.
  x1 <- c(12, 5, 9); n1 <- c(30, 20, 25); x2 <- c(6, 4, 2); n2 <- c(28, 22, 24)
  r <- stratified_diff_ci(x1, n1, x2, n2, "newcombe")
  w <- n1 * n2 / (n1 + n2); w <- w / sum(w); z <- qnorm(0.975)
  arm <- function(x, n) {
    p <- x / n; zs <- z * sqrt(sum(w^2 * p * (1 - p) / n)) / sum(w * sqrt(p * (1 - p) / n))
    l <- sapply(seq_along(x), function(h) prop.test(x[h], n[h], correct = FALSE,
                                                    conf.level = 2 * pnorm(zs) - 1)$conf.int)
    c(sum(w * p), sum(w * l[1, ]), sum(w * l[2, ]))
  }
  a1 <- arm(x1, n1); a2 <- arm(x2, n2)
  square_add <- a1[1] - a2[1] - sqrt((a1[1] - a1[2])^2 + (a2[3] - a2[1])^2)
  expect_gt(abs(r$lower - square_add), 1e-3)
  expect_error(stratified_diff_ci(x1, n1, x2, n2, "newcombe", weights = "equal"),
               class = "glycotrial_error_unknown_method")
  # Zero events in a stratum and arm (the tern #1416 case) works.
  z0 <- stratified_diff_ci(c(0, 3), c(10, 12), c(0, 1), c(11, 10), c("newcombe", "mnmh", "mn", "mh"))
  expect_true(all(is.finite(c(z0$lower, z0$upper))))
  expect_true(all(z0$lower <= z0$estimate & z0$estimate <= z0$upper))
})

test_that("bad input: single-arm strata and mismatched lengths are classed errors", {
  expect_error(cmh_test(c(1, 2), c(5, 0), c(1, 2), c(5, 6)),
               class = "glycotrial_error_single_arm_stratum")
  expect_error(stratified_diff_ci(c(1, 2), c(5, 5), c(1, 2), c(0, 6)),
               class = "glycotrial_error_input")
  expect_error(mh_estimate(1:2, c(5, 5), 1, 5), class = "glycotrial_error_input")
  expect_error(stratified_diff_ci(1, 5, 1, 5, "summary-score"),
               class = "glycotrial_error_unknown_method")
  expect_error(breslow_day_test(1, 5, 1, 5), class = "glycotrial_error_input")
  expect_error(cmh_test(table = matrix(1:4, 2)), class = "glycotrial_error_input")
})
