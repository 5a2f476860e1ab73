# Risk-difference intervals against published values (Newcombe 1998b Table II,
# via ratesci test3.R and cicalc / WUSS 2016) and against ratesci, PropCIs and
# exact2x2. Tolerances: published 4-decimal values 1e-4 absolute; references
# that solve the same equations 1e-5 (ratesci precis) or 1e-4 (exact2x2 grid).

newcombe_cases <- data.frame(
  x1 = c(56, 9, 6, 5, 0, 0, 10, 10), n1 = c(70, 10, 7, 56, 10, 10, 10, 10),
  x2 = c(48, 3, 2, 0, 0, 0, 0, 0), n2 = c(80, 10, 7, 29, 20, 10, 20, 10))

test_that("Newcombe (1998b) hybrid score (method 10) examples", {
  pub <- rbind(c(0.0524, 0.3339), c(0.1705, 0.8090), c(0.0582, 0.8062), c(-0.0381, 0.1926),
               c(-0.1611, 0.2775), c(-0.2775, 0.2775), c(0.6791, 1.0000), c(0.6075, 1.0000))
  r <- with(newcombe_cases, diff_ci(x1, n1, x2, n2, "newcombe"))
  expect_close(as.matrix(r[, c("lower", "upper")]), pub, 5e-5)
})

test_that("Miettinen-Nurminen, Mee, Agresti-Caffo and Wald published values", {
  cc <- newcombe_cases[1:4, ]
  mn <- with(cc, diff_ci(x1, n1, x2, n2, "mn"))
  expect_close(as.matrix(mn[, c("lower", "upper")]),
               rbind(c(0.0528, 0.3382), c(0.1700, 0.8406), c(0.0342, 0.8534), c(-0.0326, 0.1933)),
               5e-5)
  mee <- with(cc, diff_ci(x1, n1, x2, n2, "mee"))
  expect_close(as.matrix(mee[, c("lower", "upper")]),
               rbind(c(0.0533, 0.3377), c(0.1821, 0.8370), c(0.0544, 0.8478), c(-0.0313, 0.1926)),
               5e-5)
  # cicalc: MN 10/10 vs 0/20 -> (0.7156, 1).
  expect_close(diff_ci(10, 10, 0, 20, "mn")[, c("lower", "upper")], c(0.7156, 1), 5e-5)
  r <- diff_ci(56, 70, 48, 80, c("wald", "wald-cc", "agresti-caffo"))
  expect_close(r$lower, c(0.0575, 0.0441, 0.0525), 5e-5)
  expect_close(r$upper, c(0.3425, 0.3559, 0.3358), 5e-5)
  # Gart & Nam (1990): 7/25 vs 2/25, Mee (no skew) (-0.014, 0.412).
  expect_close(diff_ci(7, 25, 2, 25, "mee")[, c("lower", "upper")], c(-0.014, 0.412), 5e-4)
})

test_that("the published primary result 9/45 vs 2/44 (unpooled Wald) is reproduced", {
  r <- diff_ci(9, 45, 2, 44, "wald")
  expect_equal(r$estimate, 9 / 45 - 2 / 44)
  expect_close(c(r$lower, r$upper), c(0.0225, 0.2866), 5e-5)
})

test_that("wald-cc is SAS's fixed correction and hauck-anderson its closed form", {
  z <- qnorm(0.975)
  p1 <- 9 / 45; p2 <- 2 / 44
  se <- sqrt(p1 * (1 - p1) / 45 + p2 * (1 - p2) / 44)
  r <- diff_ci(9, 45, 2, 44, c("wald-cc", "hauck-anderson"))
  expect_close(r$lower[1], p1 - p2 - z * se - 0.5 * (1 / 45 + 1 / 44), 1e-14)
  seha <- sqrt(p1 * (1 - p1) / 44 + p2 * (1 - p2) / 43)
  expect_equal(r$upper[2], p1 - p2 + 1 / (2 * 44) + z * seha, tolerance = 1e-12)
})

grid2 <- expand.grid(x1 = c(0, 1, 4, 12), n1 = 12, x2 = c(0, 3, 9, 15), n2 = 15)

test_that("MN, Mee and Newcombe agree with ratesci over a grid including 0 and n", {
  skip_if_not_installed("ratesci")
  g <- grid2
  mn <- with(g, diff_ci(x1, n1, x2, n2, "mn"))
  ref <- ratesci::scoreci(g$x1, g$n1, g$x2, g$n2, contrast = "RD", skew = FALSE, bcf = TRUE,
                          precis = 10, warn = FALSE)$estimates
  expect_equal(mn$lower, ref[, "lower"], tolerance = 1e-6)
  expect_equal(mn$upper, ref[, "upper"], tolerance = 1e-6)
  mee <- with(g, diff_ci(x1, n1, x2, n2, "mee"))
  ref <- ratesci::scoreci(g$x1, g$n1, g$x2, g$n2, contrast = "RD", skew = FALSE, bcf = FALSE,
                          precis = 10, warn = FALSE)$estimates
  expect_equal(mee$lower, ref[, "lower"], tolerance = 1e-6)
  expect_equal(mee$upper, ref[, "upper"], tolerance = 1e-6)
  nc <- with(g, diff_ci(x1, n1, x2, n2, "newcombe"))
  ref <- ratesci::moverci(g$x1, g$n1, g$x2, g$n2, contrast = "RD", type = "wilson")$estimates
  expect_equal(nc$lower, ref[, "lower"], tolerance = 1e-6)
  expect_equal(nc$upper, ref[, "upper"], tolerance = 1e-6)
})

test_that("Wald and Agresti-Caffo agree with PropCIs::wald2ci", {
  skip_if_not_installed("PropCIs")
  g <- grid2[grid2$x1 > 0 & grid2$x1 < 12 & grid2$x2 > 0 & grid2$x2 < 15, ]
  w <- with(g, diff_ci(x1, n1, x2, n2, c("wald", "agresti-caffo")))
  for (i in seq_len(nrow(g))) {
    r1 <- PropCIs::wald2ci(g$x1[i], g$n1[i], g$x2[i], g$n2[i], 0.95, adjust = "Wald")$conf.int
    r2 <- PropCIs::wald2ci(g$x1[i], g$n1[i], g$x2[i], g$n2[i], 0.95, adjust = "AC")$conf.int
    expect_equal(c(w$lower[i], w$upper[i]), pmax(-1, pmin(1, as.numeric(r1))), tolerance = 1e-10)
    j <- i + nrow(g)
    expect_equal(c(w$lower[j], w$upper[j]), pmax(-1, pmin(1, as.numeric(r2))), tolerance = 1e-10)
  }
})

test_that("exact unconditional (Chan-Zhang) agrees with exact2x2", {
  skip_if_not_installed("exact2x2")
  # The primary-endpoint table, against the limits exact2x2 1.7.0 printed for
  # uncondExact2x2(2, 44, 9, 45, parmtype = "difference", method = "score",
  # conf.int = TRUE) (stored: that call takes ~10 s).
  r0 <- diff_ci(9, 45, 2, 44, "exact")
  expect_close(c(r0$lower, r0$upper), c(0.01516549, 0.30740492), 1e-5)
  cases <- data.frame(x1 = c(7, 0, 10), n1 = c(12, 10, 10),
                      x2 = c(2, 0, 0), n2 = c(11, 12, 10))
  r <- with(cases, diff_ci(x1, n1, x2, n2, "exact"))
  for (i in seq_len(nrow(cases))) {
    # exact2x2 parameterises p2 - p1, so swap the groups.
    ref <- exact2x2::uncondExact2x2(cases$x2[i], cases$n2[i], cases$x1[i], cases$n1[i],
                                    parmtype = "difference", method = "score",
                                    tsmethod = "central", conf.int = TRUE)$conf.int
    expect_close(c(r$lower[i], r$upper[i]), ref, 1e-4, label = paste("case", i))
  }
})

test_that("limits are ordered and contain the estimate for every method", {
  g <- grid2
  # Wald is (p, p) when both groups are all-or-none: flagged, as issue 17.4 asks.
  r <- withCallingHandlers(
    with(g, diff_ci(x1, n1, x2, n2, setdiff(glycotrial:::diff_ci_methods, "exact"))),
    glycotrial_warning_degenerate_interval = function(w) invokeRestart("muffleWarning"))
  expect_true(all(r$lower <= r$estimate + 1e-12 & r$estimate <= r$upper + 1e-12))
  expect_true(all(r$lower >= -1 & r$upper <= 1))
})

test_that("bad input raises classed errors naming the argument", {
  expect_error(diff_ci(11, 10, 1, 10), class = "glycotrial_error_input")
  expect_error(diff_ci(1, 10, -1, 10), class = "glycotrial_error_input")
  expect_error(diff_ci(1, 10, 0, 0), class = "glycotrial_error_input")
  expect_error(diff_ci(1, 10, 1, 10, conf_level = 1.2), class = "glycotrial_error_input")
  e <- expect_error(diff_ci(1, 10, 1, 10, method = "newcomb"),
                    class = "glycotrial_error_unknown_method")
  expect_match(conditionMessage(e), "miettinen|mn")
})

test_that("Hauck-Anderson with n = 1 is NA for that element only, with a classed warning (issue 17.4)", {
  expect_warning(r <- diff_ci(c(1, 9, 4), c(1, 45, 10), c(1, 2, 0), c(10, 44, 1), "hauck-anderson"),
                 class = "glycotrial_warning_undefined_interval")
  expect_true(all(is.na(r$lower[c(1, 3)]) & is.na(r$upper[c(1, 3)])))
  expect_false(any(is.nan(c(r$lower, r$upper))))
  expect_equal(r$estimate, c(1 - 0.1, 9 / 45 - 2 / 44, 0.4))
  # Element 2 is the closed form (SAS RISKDIFF(CL=HA)), as when computed alone.
  z <- qnorm(0.975); p1 <- 9 / 45; p2 <- 2 / 44
  half <- 1 / (2 * 44) + z * sqrt(p1 * (1 - p1) / 44 + p2 * (1 - p2) / 43)
  expect_equal(c(r$lower[2], r$upper[2]), p1 - p2 + c(-1, 1) * half, tolerance = 1e-12)
  # Other methods in the same call are unaffected.
  expect_warning(r2 <- diff_ci(1, 1, 1, 10, c("newcombe", "hauck-anderson")),
                 class = "glycotrial_warning_undefined_interval")
  expect_true(all(is.finite(c(r2$lower[1], r2$upper[1]))))
})

test_that("zero-width intervals carry a degenerate-interval warning (issue 17.4)", {
  # Wald difference 0/10 vs 0/12 is (0, 0); RR Wald 100 % vs 100 % is (1, 1);
  # Wald for one proportion at x = 0 is (0, 0).
  expect_warning(r <- diff_ci(c(0, 3), c(10, 10), c(0, 5), c(12, 10), "wald"),
                 class = "glycotrial_warning_degenerate_interval")
  expect_equal(c(r$lower[1], r$upper[1]), c(0, 0))
  expect_true(r$lower[2] < r$upper[2])
  expect_warning(rr <- ratio_ci(20, 20, 15, 15, "rr", "wald"),
                 class = "glycotrial_warning_degenerate_interval")
  expect_equal(c(rr$lower, rr$upper), c(1, 1))
  expect_warning(p <- prop_ci(c(0, 7), c(5, 7), "wald"),
                 class = "glycotrial_warning_degenerate_interval")
  expect_equal(c(p$lower, p$upper), c(0, 1, 0, 1))
  # Score, exact and Newcombe intervals are never degenerate on these tables.
  expect_no_warning(diff_ci(0, 10, 0, 12, c("newcombe", "mn", "agresti-caffo")))
  expect_no_warning(ratio_ci(20, 20, 15, 15, "rr", "score"))
  expect_no_warning(prop_ci(0, 5, c("wilson", "clopper-pearson", "jeffreys")))
})
